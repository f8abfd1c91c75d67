import { createHash } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { parseJsonStrict, isJsonObject } from '../io/json';

/** One admin action in the audit log. @category Serve */
export interface AuditEntry {
  /** ISO 8601 time of the action. */
  time: string;
  /** The API key id that acted, or 'anonymous' when the server has no auth. */
  who: string;
  /** The action: 'promote', 'rollback', 'load', 'unload'. */
  action: string;
  /** The model acted on. */
  model: string;
  /** The version it concerns (the new default for promote and rollback), or null. */
  version: string | null;
  /** The default version before the action, or null. */
  previous: string | null;
  /** Whether the action succeeded. */
  ok: boolean;
  /** Why it failed, when it did. */
  error?: string;
  /** SHA-256 (hex) of the previous line of the log, or 64 zeros for the first line. */
  prev: string;
}

const GENESIS = '0'.repeat(64);
const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * An append-only audit log of admin actions as JSON lines, each holding the SHA-256 of the line
 * before it (`prev`), so deleting, reordering or editing a line breaks the chain from there on
 * ({@link verifyAuditLog} finds where). Appends are serialized within the process; the chain
 * continues across restarts from the file's last line. One process per file: with `--workers`,
 * each worker writes its own file.
 */
export class AuditLog {
  private last: Promise<string> | null = null;

  constructor(private readonly path: string) {}

  private async tail(): Promise<string> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ENOENT') return GENESIS;
      throw e;
    }
    const lines = text.split('\n').filter((l) => l !== '');
    return lines.length === 0 ? GENESIS : sha256(lines[lines.length - 1]);
  }

  /** Appends one entry (its `prev` is filled in) and resolves once it is written. */
  append(entry: Omit<AuditEntry, 'prev'>): Promise<void> {
    const prevHash = this.last ?? this.tail();
    const next = prevHash.then(async (prev) => {
      const line = JSON.stringify({ ...entry, prev });
      await appendFile(this.path, `${line}\n`, { encoding: 'utf8', mode: 0o600 });
      return sha256(line);
    });
    // A failed write leaves the chain where it was: the next append re-reads the file's tail.
    this.last = next.catch(() => this.tail());
    return next.then(() => undefined);
  }
}

/** What {@link verifyAuditLog} finds. @category Serve */
export interface AuditCheck {
  /** Whether every line chains to the one before. */
  ok: boolean;
  /** The entries read (up to the break, when there is one). */
  entries: number;
  /** The 1-based line where the chain breaks, when it does. */
  line?: number;
  /** Why that line breaks it. */
  reason?: string;
}

/**
 * Checks an audit log's chain: every line is a JSON object whose `prev` is the SHA-256 of the line
 * before it (64 zeros for the first). Returns the number of entries, or the 1-based line number
 * where the chain first breaks.
 * @example
 * // Node only, from 'tensorkit/serve':
 * // verifyAuditLog(await readFile('audit.jsonl', 'utf8')) gives { ok: true, entries: 12 },
 * // or { ok: false, entries: 4, line: 5, reason: '…' } where the chain breaks.
 * @category Serve
 */
export function verifyAuditLog(text: string): AuditCheck {
  const lines = text.split('\n').filter((l) => l !== '');
  let prev = GENESIS;
  for (let i = 0; i < lines.length; i++) {
    let doc;
    try {
      doc = parseJsonStrict(lines[i], { maxDepth: 4 });
    } catch {
      return { ok: false, entries: i, line: i + 1, reason: 'not JSON' };
    }
    if (!isJsonObject(doc) || doc.prev !== prev) return { ok: false, entries: i, line: i + 1, reason: 'prev does not match the SHA-256 of the line before' };
    prev = sha256(lines[i]);
  }
  return { ok: true, entries: lines.length };
}
