// An append-only audit log: JSON lines chained by SHA-256. Each record holds the hash of the one
// before it, and its own hash over its canonical JSON, so an edited, deleted, inserted or reordered
// line breaks the chain at that line. The log is browser-safe: it writes through a sink (a function
// that appends one line); `openAuditLog` in `tensorkit/io/node` backs it with a file.
import { ArgumentError, IntegrityError } from '../tensor/errors';
import { checkArg, func, isPlainObject, nonNegInt, parseOptions, str, type Check } from '../tensor/options';
import { describe } from '../tensor/shape';
import { isJsonObject, type Json } from './json';
import { sha256Hex } from './security';

/** The hash before the first record: 64 zeros. @category IO */
export const AUDIT_GENESIS = '0'.repeat(64);

/** One line of the audit log. @category IO */
export interface AuditRecord {
  /** Position in the log, from 0. */
  seq: number;
  /** ISO 8601 time of the append. */
  time: string;
  /** Who did it (a user, an API key's name, a service). */
  actor: string;
  /** What was done (`publish`, `promote`, `rollback`, `delete`, `fit`, …). */
  action: string;
  /** Plain JSON details (model name, version, metrics, …). */
  details: Record<string, Json>;
  /** `hash` of the record before (or {@link AUDIT_GENESIS}). */
  prev: string;
  /** Hex SHA-256 of this record's canonical JSON without `hash`. */
  hash: string;
}

/** What {@link AuditLog.append} takes. @category IO */
export interface AuditEntry {
  /** Who did it (a user, an API key's name, a service). */
  actor: string;
  /** What was done. */
  action: string;
  /** Plain JSON details (default `{}`). */
  details?: Record<string, Json>;
}

/** Where the log stands: the last record's sequence number and hash. @category IO */
export interface AuditHead {
  /** Number of records (the next record's `seq`). */
  count: number;
  /** Hash of the last record, {@link AUDIT_GENESIS} for an empty log. */
  hash: string;
}

/** Options of {@link AuditLog}. @category IO */
export interface AuditLogOptions {
  /** Appends one line (without its newline); awaited before `append` resolves. Default: keep lines in memory only. */
  sink?: (line: string) => void | Promise<void>;
  /** Continue a log that already holds records (from {@link verifyAuditLog}'s `head`). */
  head?: AuditHead;
  /** The clock (tests): returns the time to record. Default `() => new Date()`. */
  now?: () => Date;
}

/** JSON with object keys sorted at every depth: the bytes each hash is taken over. */
function canonical(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, Json>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

async function recordHash(r: Omit<AuditRecord, 'hash'>): Promise<string> {
  const { seq, time, actor, action, details, prev } = r;
  return sha256Hex(canonical({ seq, time, actor, action, details, prev }), 'AuditLog');
}

/** A check that the value is plain JSON (finite numbers, no functions, no cycles deeper than 64). */
const jsonDetails: Check<Record<string, Json>> = (v, name, op) => {
  const ok = (x: unknown, depth: number): boolean => {
    if (depth > 64) return false;
    if (x === null || typeof x === 'string' || typeof x === 'boolean') return true;
    if (typeof x === 'number') return Number.isFinite(x);
    if (Array.isArray(x)) return x.every((e) => ok(e, depth + 1));
    return isPlainObject(x) && Object.values(x).every((e) => ok(e, depth + 1));
  };
  if (!isPlainObject(v) || !ok(v, 0)) throw new ArgumentError(`${op}: ${name} must be a plain JSON object (strings, finite numbers, booleans, null, arrays, objects), got ${describe(v)}`);
  return v as Record<string, Json>;
};

const HEAD_CHECK: Check<AuditHead> = (v, name, op) => {
  const o = parseOptions(op, v, { count: nonNegInt, hash: str });
  if (o.count === undefined || o.hash === undefined || !/^[0-9a-f]{64}$/.test(o.hash)) {
    throw new ArgumentError(`${op}: ${name} must be { count, hash } with a 64-digit hex hash, got ${describe(v)}`);
  }
  return { count: o.count, hash: o.hash };
};

/**
 * An append-only, hash-chained audit log (JSON lines). Appends are serialized: concurrent calls
 * are written in call order, each after the one before has reached the sink.
 * @example
 * const lines: string[] = [];
 * const audit = new AuditLog({ sink: (l) => { lines.push(l); } });
 * await audit.append({ actor: 'ci', action: 'publish', details: { model: 'digits', version: 3 } });
 * const check = await verifyAuditLog(lines);
 * check.valid; // true
 * audit.head.count; // 1
 * @category IO
 */
export class AuditLog {
  private readonly sink: (line: string) => void | Promise<void>;
  private readonly now: () => Date;
  private tail: Promise<unknown> = Promise.resolve();
  private state: AuditHead;
  /** Lines appended through this object (kept only without a sink). */
  readonly lines: string[] = [];

  constructor(options: AuditLogOptions = {}) {
    const op = 'AuditLog';
    const o = parseOptions(op, options, { sink: func, head: HEAD_CHECK, now: func });
    this.sink = (o.sink as AuditLogOptions['sink']) ?? ((l: string) => { this.lines.push(l); });
    this.now = (o.now as () => Date) ?? (() => new Date());
    this.state = o.head ?? { count: 0, hash: AUDIT_GENESIS };
  }

  /** The number of records and the last hash (store it elsewhere to detect a truncated tail later). */
  get head(): AuditHead {
    return { ...this.state };
  }

  /**
   * Appends one record and resolves with it once the sink has taken the line. A sink that throws
   * rejects this append and leaves the head where it was, so the next append chains to the last
   * record that was really written.
   * @throws ArgumentError for an entry without `actor`/`action` strings or with non-JSON details.
   */
  append(entry: AuditEntry): Promise<AuditRecord> {
    const op = 'AuditLog.append';
    const e = parseOptions(op, entry, { actor: str, action: str, details: jsonDetails });
    if (!e.actor || !e.action) throw new ArgumentError(`${op}: entry needs non-empty actor and action strings, got ${describe(entry)}`);
    const details = JSON.parse(JSON.stringify(e.details ?? {})) as Record<string, Json>;
    const run = async (): Promise<AuditRecord> => {
      const body = { seq: this.state.count, time: this.now().toISOString(), actor: e.actor!, action: e.action!, details, prev: this.state.hash };
      const rec: AuditRecord = { ...body, hash: await recordHash(body) };
      await this.sink(JSON.stringify(rec));
      this.state = { count: rec.seq + 1, hash: rec.hash };
      return rec;
    };
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }
}

/** What {@link verifyAuditLog} finds. @category IO */
export interface AuditVerification {
  /** True when every line parses, chains to the one before and hashes to its `hash` (and the head matches, if given). */
  valid: boolean;
  /** The records that verified, in order (all of them when valid). */
  records: AuditRecord[];
  /** The head after the last verified record: pass it to {@link AuditLog} to continue the log. */
  head: AuditHead;
  /** The first problem: 1-based line number and what is wrong. */
  error?: {
    /** 1-based line number of the first bad line. */
    line: number;
    /** What is wrong with it. */
    reason: string;
  };
}

/**
 * Verifies an audit log's hash chain: every line must parse as a record, its `seq` must be its
 * position, its `prev` the hash of the line before, and its `hash` the SHA-256 of its content. An
 * edit, a deletion, an insertion or a reordering fails at the first line it touches. A deleted
 * tail leaves a valid shorter chain: pass the `head` you stored after the last append (count and
 * hash) to detect it too.
 * @throws ArgumentError when `log` is not a string or an array of strings.
 * @category IO
 */
export async function verifyAuditLog(log: string | readonly string[], options: { head?: AuditHead } = {}): Promise<AuditVerification> {
  const op = 'verifyAuditLog';
  const o = parseOptions(op, options, { head: HEAD_CHECK });
  const lines = typeof log === 'string' ? log.split('\n') : checkArg(op, 'log', log, linesCheck);
  if (typeof log === 'string' && lines.at(-1) === '') lines.pop();
  const records: AuditRecord[] = [];
  let head: AuditHead = { count: 0, hash: AUDIT_GENESIS };
  const fail = (line: number, reason: string): AuditVerification => ({ valid: false, records, head, error: { line, reason } });
  for (let i = 0; i < lines.length; i++) {
    let r: unknown;
    try {
      r = JSON.parse(lines[i]);
    } catch {
      return fail(i + 1, 'not valid JSON (a torn or edited line)');
    }
    if (!isJsonObject(r as Json) || typeof (r as AuditRecord).hash !== 'string' || typeof (r as AuditRecord).prev !== 'string'
      || typeof (r as AuditRecord).seq !== 'number' || typeof (r as AuditRecord).actor !== 'string' || typeof (r as AuditRecord).action !== 'string'
      || typeof (r as AuditRecord).time !== 'string' || !isJsonObject((r as AuditRecord).details ?? null)) {
      return fail(i + 1, 'not an audit record (seq, time, actor, action, details, prev, hash)');
    }
    const rec = r as AuditRecord;
    if (rec.seq !== i) return fail(i + 1, `seq is ${rec.seq}, expected ${i} (a line was deleted, inserted or moved)`);
    if (rec.prev !== head.hash) return fail(i + 1, 'prev does not match the hash of the line before (a line was deleted, inserted or moved)');
    if ((await recordHash(rec)) !== rec.hash) return fail(i + 1, 'the record does not hash to its hash (it was edited)');
    records.push(rec);
    head = { count: i + 1, hash: rec.hash };
  }
  if (o.head !== undefined && (o.head.count !== head.count || o.head.hash !== head.hash)) {
    return { valid: false, records, head, error: { line: lines.length, reason: `the log ends at record ${head.count}, but the stored head is record ${o.head.count} (records were removed from the end, or the head is of another log)` } };
  }
  return { valid: true, records, head };
}

const linesCheck: Check<string[]> = (v, name, op) => {
  if (!Array.isArray(v) || !v.every((l) => typeof l === 'string')) throw new ArgumentError(`${op}: ${name} must be the log's text or an array of its lines, got ${describe(v)}`);
  return [...v];
};

/** Throws an IntegrityError for a verification that failed (for callers that must refuse a tampered log). @internal */
export function assertAuditValid(v: AuditVerification, what: string): void {
  if (!v.valid) throw new IntegrityError(`${what}: the audit log is broken at line ${v.error!.line}: ${v.error!.reason}`);
}
