import { randomUUID } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TensorkitError } from '../tensor/errors';

/** fsyncs a directory so a rename in it survives a crash; a no-op where directories cannot be opened (Windows). @internal */
export async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Not supported on this platform or file system: the rename is still atomic, only not yet durable.
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * Writes `bytes` to `path` atomically: into a temporary file in the same directory, fsynced, then
 * renamed over `path` (and the directory fsynced where the platform allows), so a reader sees the
 * old file or the new one, never a torn one. The temporary file is removed on failure.
 * @throws TensorkitError `NOT_FOUND` naming the folder when it does not exist (`op` names the caller).
 * @internal
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string, op = 'writeFile'): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomUUID()}.tmp`);
  let fh;
  try {
    fh = await open(tmp, 'wx');
  } catch (e) {
    if ((e as { code?: unknown })?.code === 'ENOENT') throw new TensorkitError('NOT_FOUND', `${op}: the folder ${dir} does not exist (create it first) to write ${path}`);
    throw e;
  }
  try {
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncDir(dir);
}
