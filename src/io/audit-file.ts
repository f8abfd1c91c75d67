import { open, readFile, truncate } from 'node:fs/promises';
import { AuditLog, assertAuditValid, verifyAuditLog, type AuditLogOptions } from './audit';

/**
 * Opens (or creates) an audit log file of JSON lines and returns an {@link AuditLog} that appends
 * to it: each record is written with `O_APPEND` and fsynced before `append` resolves, so an
 * acknowledged record survives a crash. The existing records are verified first; a broken chain
 * is an `IntegrityError` and nothing is appended to a tampered log. The one repair: a last line
 * without its newline (a write cut short by a crash, never acknowledged) is cut off.
 * Node only (entry `tensorkit/io/node`).
 * @example
 * // Node only: const log = await openAuditLog('audit.jsonl');
 * // await log.append({ actor: 'alice', action: 'promote', details: { model: 'digits', version: 4 } });
 * @throws IntegrityError when the existing file's chain is broken.
 * @category IO
 */
export async function openAuditLog(path: string, options: Pick<AuditLogOptions, 'now'> = {}): Promise<AuditLog> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as { code?: unknown })?.code !== 'ENOENT') throw e;
  }
  if (text !== '' && !text.endsWith('\n')) {
    const cut = text.lastIndexOf('\n') + 1;
    await truncate(path, Buffer.byteLength(text.slice(0, cut)));
    text = text.slice(0, cut);
  }
  const v = await verifyAuditLog(text);
  assertAuditValid(v, `openAuditLog(${path})`);
  const sink = async (line: string): Promise<void> => {
    const fh = await open(path, 'a');
    try {
      await fh.write(`${line}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
  };
  return new AuditLog({ ...options, sink, head: v.head });
}
