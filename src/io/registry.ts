import { createHash, randomInt, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Module } from '../nn/index';
import { ArgumentError, FormatError, IntegrityError, TensorkitError } from '../tensor/index';
import { arrayOf, instanceOf, nonNeg, object, parseOptions, str, type Check } from '../tensor/options';
import { describe } from '../tensor/shape';
import { syncDir, writeFileAtomic } from './fs';
import { isJsonObject, parseJsonStrict, type Json } from './json';
import { loadModel, saveModel, type LoadModelOptions, type LoadedModel, type OptimizerStateSource, type Savable } from './model';
import { AuditLog } from './audit';
import { signModel, verifyModel } from './security';

/** Options of {@link ModelRegistry}. @category IO */
export interface ModelRegistryOptions {
  /** Give up acquiring a model's lock after this long, with a `LOCK_TIMEOUT` error (default 10 000 ms). */
  lockTimeoutMs?: number;
  /**
   * A lock older than this is presumed abandoned and broken (default 30 000 ms); it must exceed the
   * longest time a writer holds the lock, or two writers could both proceed. A lock whose owner
   * process (same host) no longer exists is broken at once. Locks are held only for the
   * milliseconds of a rename and an index write, never while a model is serialized.
   */
  staleLockMs?: number;
  /** An audit log that gets one record per publish (save), tag, rollback and delete. */
  audit?: AuditLog;
  /** The actor named in those records (default `'registry'`). */
  actor?: string;
  /** A private key (JWK or CryptoKey, see `generateSigningKeys`): every saved version gets a detached signature `vN.sig`. */
  signingKey?: JsonWebKey | CryptoKey;
  /** A public key: `load` then refuses (`IntegrityError`) a version whose signature is missing or does not verify. */
  verifyKey?: JsonWebKey | CryptoKey;
}

/** Options of {@link ModelRegistry.save}. @category IO */
export interface RegistrySaveOptions {
  /** Tags to put on the new version; a tag names one version at a time, so it moves from any older one. */
  tags?: string[];
  /** Finite numbers to record with the version (validation loss, accuracy, …). */
  metrics?: Record<string, number>;
  /** An optimizer (or its state) to store in the version file. */
  optimizer?: OptimizerStateSource;
  /** Extra string metadata for the model file (see {@link saveModel}). */
  metadata?: Record<string, string>;
}

/** One version as {@link ModelRegistry.list} reports it. @category IO */
export interface ModelVersionInfo {
  /** The version number (1, 2, …). */
  version: number;
  /** The tags currently on this version. */
  tags: string[];
  /** The metrics given to `save`. */
  metrics: Record<string, number>;
  /** ISO 8601 time of the save. */
  createdAt: string;
  /** `sha256:` and the hex SHA-256 of the version file, checked on every load. */
  checksum: string;
  /** Size of the version file in bytes. */
  size: number;
  /** Whether this is the version 'latest' resolves to. */
  latest: boolean;
}

/** What {@link ModelRegistry.load} returns: {@link LoadedModel} and the version it resolved to. @category IO */
export interface RegistryLoaded<M extends Savable = Module> extends LoadedModel<M> {
  /** The version the reference resolved to. */
  version: number;
}

/** A version as the index file stores it ('latest' is derived, not stored). */
type VersionEntry = Omit<ModelVersionInfo, 'latest'>;

interface Index {
  latest: number | null;
  nextVersion: number;
  versions: VersionEntry[];
}

const keyCheck: Check<JsonWebKey | CryptoKey> = (v, name, op) => {
  if ((typeof CryptoKey !== 'undefined' && v instanceof CryptoKey) || isJsonObject(v as Json)) return v as JsonWebKey | CryptoKey;
  throw new ArgumentError(`${op}: ${name} must be a JSON Web Key or a CryptoKey, got ${describe(v)}`);
};
const REGISTRY_OPTIONS = {
  lockTimeoutMs: nonNeg, staleLockMs: nonNeg, audit: instanceOf(AuditLog), actor: str, signingKey: keyCheck, verifyKey: keyCheck,
};
const anything: Check<unknown> = (v) => v; // checked by saveModel
const SAVE_OPTIONS = { tags: arrayOf(str), metrics: object, optimizer: anything, metadata: anything };

const INDEX = 'index.json';
const LOCK = '.lock';
// Temporary files of the registry's writes: uploads, and the atomic writes' own temporaries.
const TEMP_RE = /^\.(\.?upload-|index\.json\.)[\w.-]+\.tmp$/;
// A writer fills its lock file within milliseconds of creating it; an empty or unreadable lock
// older than this was left by a crash between the two, and is broken.
const LOCK_WRITE_GRACE_MS = 1000;
const NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;

function checkName(name: unknown, what: string): string {
  if (typeof name !== 'string' || !NAME_RE.test(name) || name.startsWith('.')) {
    throw new ArgumentError(`ModelRegistry: ${what} must be 1–128 characters of [A-Za-z0-9._-] not starting with '.', got ${describe(name)}`);
  }
  return name;
}

function checkTag(tag: unknown): string {
  const t = checkName(tag, 'a tag');
  if (t === 'latest' || /^\d+$/.test(t)) throw new ArgumentError(`ModelRegistry: tag ${JSON.stringify(t)} is reserved ('latest' and plain numbers name versions)`);
  return t;
}

function checkVersion(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new ArgumentError(`ModelRegistry: a version must be a positive integer, got ${describe(v)}`);
  return v;
}

const fileOf = (version: number): string => `v${version}.safetensors`;
const sigOf = (version: number): string => `v${version}.sig`;
const sha256 = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const isCode = (e: unknown, code: string): boolean => (e as { code?: unknown })?.code === code;

function badIndex(path: string, msg: string): never {
  throw new FormatError(`ModelRegistry: ${path}: ${msg}`, 'BAD_INDEX');
}

/** Parses and validates an index file; every field is checked, file names are never read from it. */
function parseIndex(text: string, path: string): Index {
  const doc = parseJsonStrict(text, { what: `ModelRegistry: ${path}`, maxDepth: 8 });
  if (!isJsonObject(doc) || doc.format !== 'tensorkit-registry' || doc.formatVersion !== 1) badIndex(path, 'not a tensorkit registry index (format 1)');
  const posInt = (v: Json | undefined): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
  const { latest, nextVersion, versions } = doc as Record<string, Json>;
  if (!(latest === null || posInt(latest)) || !posInt(nextVersion) || !Array.isArray(versions)) badIndex(path, 'latest, nextVersion or versions malformed');
  const out: VersionEntry[] = [];
  for (const v of versions as Json[]) {
    if (!isJsonObject(v)) badIndex(path, 'a version entry is not an object');
    const { version, tags, metrics, createdAt, checksum, size } = v as Record<string, Json>;
    if (!posInt(version) || version >= (nextVersion as number)) badIndex(path, `version ${JSON.stringify(version)} malformed`);
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string' && NAME_RE.test(t))) badIndex(path, `version ${version}: tags malformed`);
    if (!isJsonObject(metrics) || !Object.values(metrics).every((m) => typeof m === 'number')) badIndex(path, `version ${version}: metrics malformed`);
    if (typeof createdAt !== 'string' || typeof checksum !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(checksum)) badIndex(path, `version ${version}: createdAt or checksum malformed`);
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) badIndex(path, `version ${version}: size malformed`);
    if (out.some((o) => o.version === version)) badIndex(path, `version ${version} listed twice`);
    out.push({ version: version as number, tags: tags as string[], metrics: { ...(metrics as Record<string, number>) }, createdAt: createdAt as string, checksum: checksum as string, size: size as number });
  }
  if (latest !== null && !out.some((o) => o.version === latest)) badIndex(path, `latest ${latest} is not a listed version`);
  out.sort((a, b) => a.version - b.version);
  return { latest: latest as number | null, nextVersion: nextVersion as number, versions: out };
}

function serializeIndex(ix: Index): string {
  return `${JSON.stringify({ format: 'tensorkit-registry', formatVersion: 1, latest: ix.latest, nextVersion: ix.nextVersion, versions: ix.versions }, null, 2)}\n`;
}

/**
 * A directory of versioned models (like MLflow's model registry, on a plain file system). Each
 * model name is a folder holding `v1.safetensors`, `v2.safetensors`, … written by
 * {@link saveModel}, and an `index.json` with each version's tags, metrics, creation time, size and
 * SHA-256 checksum, and which version is 'latest'.
 *
 * - `save` assigns the next version number (1, 2, …; numbers are never reused, even after
 *   `remove`), makes it 'latest' and moves its tags to it.
 * - `load(name, ref)` takes a version number, a tag or 'latest', and verifies the checksum
 *   (`CHECKSUM_MISMATCH` on any altered byte) before parsing.
 * - `rollback(name, v)` points 'latest' at an older version; later versions are kept (nothing is
 *   deleted), and the next `save` still gets a fresh number above all of them and becomes latest.
 * - `remove(name, v)` deletes one version (if it was latest, latest falls back to the highest
 *   remaining version); `remove(name)` deletes the model.
 *
 * Concurrency: writers of one model serialize through a lock file created with `open(path, 'wx')`
 * (atomic create-if-absent), retried with jittered exponential backoff; a lock whose owner process
 * died (same host) or that is older than `staleLockMs` is broken, under a second lock so that two
 * processes cannot both break it. Version files are written to a temporary file before the lock
 * is taken and renamed into place under it, and the index is replaced atomically (temporary file,
 * fsync, rename), so readers never take the lock and never see a torn index.
 *
 * Trust (options): with `audit`, every publish, tag, rollback and delete appends a record to that
 * {@link AuditLog} once the change is on disk (if the append fails, the method rejects although
 * the change was made: the log's chain stays intact, the record is missing); with `signingKey`,
 * each saved version gets a detached signature `vN.sig` (renamed into place before the version
 * file); with `verifyKey`, `load` refuses a version whose signature is missing or does not verify
 * with an `IntegrityError`, after the checksum check. Node only (entry
 * `tensorkit/io/node`). Names and tags: 1–128 characters of `[A-Za-z0-9._-]`, not starting with '.'.
 * @example
 * // Node only, from 'tensorkit/io/node':
 * // const reg = new ModelRegistry('./models');
 * // const v = await reg.save('mnist', net, { tags: ['candidate'], metrics: { accuracy: 0.98 } }); // v === 1 in a new registry
 * // const { model } = await reg.load('mnist', 'candidate');
 * // await reg.rollback('mnist', 1);
 * @category IO
 */
export class ModelRegistry {
  /** The registry's directory. */
  readonly root: string;
  private readonly lockTimeoutMs: number;
  private readonly staleLockMs: number;
  private readonly audit: AuditLog | null;
  private readonly actor: string;
  private readonly signingKey: JsonWebKey | CryptoKey | null;
  private readonly verifyKey: JsonWebKey | CryptoKey | null;

  /** A registry rooted at the directory `root` (created on first save). */
  constructor(root: string, options: ModelRegistryOptions = {}) {
    if (typeof root !== 'string' || root === '') throw new ArgumentError(`ModelRegistry: root must be a non-empty path, got ${describe(root)}`);
    this.root = root;
    const o = parseOptions('ModelRegistry', options, REGISTRY_OPTIONS);
    this.lockTimeoutMs = o.lockTimeoutMs ?? 10_000;
    this.staleLockMs = o.staleLockMs ?? 30_000;
    this.audit = o.audit ?? null;
    this.actor = o.actor ?? 'registry';
    this.signingKey = o.signingKey ?? null;
    this.verifyKey = o.verifyKey ?? null;
  }

  /** Appends an audit record when the registry has a log (after the change is on disk). */
  private async record(action: string, details: Record<string, Json>): Promise<void> {
    if (this.audit !== null) await this.audit.append({ actor: this.actor, action, details });
  }

  private dir(name: string): string {
    return join(this.root, checkName(name, 'a model name'));
  }

  private async readIndex(name: string): Promise<Index | null> {
    const path = join(this.dir(name), INDEX);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if (isCode(e, 'ENOENT')) return null;
      throw e;
    }
    return parseIndex(text, path);
  }

  /**
   * Saves a new version of `name` — any {@link Savable} — and returns its number; it becomes
   * 'latest'. Temporary files of crashed saves older than `staleLockMs` are removed first.
   * @throws ArgumentError for a bad name, tag or metric; TensorkitError `LOCK_TIMEOUT`, or
   * `NOT_FOUND` when the model is removed while this save runs (nothing is saved then).
   */
  async save(name: string, model: Savable, options: RegistrySaveOptions = {}): Promise<number> {
    const dir = this.dir(name);
    const o = parseOptions('ModelRegistry.save', options, SAVE_OPTIONS) as RegistrySaveOptions;
    const tags = [...new Set((o.tags ?? []).map(checkTag))];
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(o.metrics ?? {})) {
      if (k === '__proto__' || typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(`ModelRegistry.save: metric ${JSON.stringify(k)} must be a finite number, got ${describe(v)}`);
      metrics[k] = v;
    }
    const bytes = saveModel(model, { optimizer: o.optimizer, metadata: o.metadata });
    const checksum = sha256(bytes);
    const signature = this.signingKey === null ? null : await signModel(bytes, this.signingKey);
    await mkdir(dir, { recursive: true });
    await this.sweepUploads(dir);
    const removed = (): TensorkitError => new TensorkitError('NOT_FOUND', `ModelRegistry.save: ${JSON.stringify(name)} was removed from ${this.root} while this version was being saved; nothing was saved`);
    // The slow part, outside the lock: a complete, fsynced temporary file.
    const tmp = join(dir, `.upload-${randomUUID()}.tmp`);
    const sigTmp = join(dir, `.upload-${randomUUID()}.tmp`);
    try {
      await writeFileAtomic(tmp, bytes, 'ModelRegistry.save');
      if (signature !== null) await writeFileAtomic(sigTmp, signature, 'ModelRegistry.save');
    } catch (e) {
      if (e instanceof TensorkitError && e.code === 'NOT_FOUND') throw removed();
      throw e;
    }
    try {
      const saved = await this.locked(name, async () => {
        const ix = (await this.readIndex(name)) ?? { latest: null, nextVersion: 1, versions: [] };
        const version = ix.nextVersion;
        try {
          // The signature first: a version file is never visible without its signature.
          if (signature !== null) await rename(sigTmp, join(dir, sigOf(version)));
          await rename(tmp, join(dir, fileOf(version)));
        } catch (e) {
          // A concurrent remove took the folder (and our temporary file) away.
          if (isCode(e, 'ENOENT')) throw removed();
          throw e;
        }
        await syncDir(dir);
        for (const v of ix.versions) v.tags = v.tags.filter((t) => !tags.includes(t));
        ix.versions.push({ version, tags, metrics, createdAt: new Date().toISOString(), checksum, size: bytes.length });
        ix.latest = version;
        ix.nextVersion = version + 1;
        await writeFileAtomic(join(dir, INDEX), serializeIndex(ix));
        return version;
      });
      await this.record('publish', { model: name, version: saved, checksum, tags, signed: signature !== null });
      return saved;
    } finally {
      await unlink(tmp).catch(() => undefined);
      await unlink(sigTmp).catch(() => undefined);
    }
  }

  /** Removes temporary files of saves that crashed (older than staleLockMs); best effort. */
  private async sweepUploads(dir: string): Promise<void> {
    const items = await readdir(dir).catch(() => [] as string[]);
    for (const f of items) {
      if (!TEMP_RE.test(f)) continue;
      const p = join(dir, f);
      const st = await stat(p).catch(() => null);
      if (st !== null && Date.now() - st.mtimeMs > this.staleLockMs) await unlink(p).catch(() => undefined);
    }
  }

  private async resolve(name: string, ref: number | string): Promise<VersionEntry> {
    if (typeof ref === 'number') checkVersion(ref);
    else if (typeof ref !== 'string') throw new ArgumentError(`ModelRegistry: a version reference is a number, a tag or 'latest', got ${typeof ref}`);
    const ix = await this.readIndex(name);
    if (ix === null) throw new TensorkitError('NOT_FOUND', `ModelRegistry: no model named ${JSON.stringify(name)} in ${this.root}`);
    let entry: VersionEntry | undefined;
    if (typeof ref === 'number') entry = ix.versions.find((v) => v.version === ref);
    else if (ref === 'latest') entry = ix.versions.find((v) => v.version === ix.latest);
    else entry = ix.versions.find((v) => v.tags.includes(ref));
    if (entry === undefined) throw new TensorkitError('NOT_FOUND', `ModelRegistry: ${JSON.stringify(name)} has no version ${JSON.stringify(ref)}`);
    return entry;
  }

  /**
   * Loads a version (number), a tagged version, or 'latest' (default), after verifying its SHA-256.
   * @throws TensorkitError `NOT_FOUND` (no such model or version, or a version listed whose file
   * is gone); FormatError `CHECKSUM_MISMATCH`, `BAD_INDEX` or any {@link loadModel} code.
   */
  async load<M extends Savable = Module>(name: string, ref: number | string = 'latest', options: LoadModelOptions = {}): Promise<RegistryLoaded<M>> {
    const entry = await this.resolve(name, ref);
    const path = join(this.dir(name), fileOf(entry.version));
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (e) {
      if (isCode(e, 'ENOENT')) throw new TensorkitError('NOT_FOUND', `ModelRegistry: ${JSON.stringify(name)} version ${entry.version} is listed in the index but ${path} is missing (removed concurrently, or deleted by hand)`);
      throw e;
    }
    const sum = sha256(bytes);
    if (sum !== entry.checksum) {
      throw new FormatError(`ModelRegistry: ${path} has checksum ${sum} but the index records ${entry.checksum}; the file was altered or corrupted`, 'CHECKSUM_MISMATCH');
    }
    if (this.verifyKey !== null) {
      const sigPath = join(this.dir(name), sigOf(entry.version));
      const sig = await readFile(sigPath).catch((e: unknown) => {
        if (isCode(e, 'ENOENT')) throw new IntegrityError(`ModelRegistry: ${JSON.stringify(name)} version ${entry.version} has no signature (${sigPath}); this registry requires one`);
        throw e;
      });
      await verifyModel(bytes, sig, this.verifyKey);
    }
    return { ...loadModel<M>(bytes, options), version: entry.version };
  }

  /** Every version of `name`, oldest first ([] for an unknown name). */
  async list(name: string): Promise<ModelVersionInfo[]> {
    const ix = await this.readIndex(name);
    if (ix === null) return [];
    return ix.versions.map((v) => ({ ...v, tags: [...v.tags], metrics: { ...v.metrics }, latest: v.version === ix.latest }));
  }

  /** The model names in the registry, sorted. */
  async names(): Promise<string[]> {
    let items: string[];
    try {
      items = await readdir(this.root);
    } catch (e) {
      if (isCode(e, 'ENOENT')) return [];
      throw e;
    }
    const out: string[] = [];
    for (const n of items) {
      if (!NAME_RE.test(n) || n.startsWith('.')) continue;
      const ok = await stat(join(this.root, n, INDEX)).then(() => true, () => false);
      if (ok) out.push(n);
    }
    return out.sort();
  }

  /** Puts `tag` on `version`, moving it from whichever version had it. */
  async tag(name: string, version: number, tag: string): Promise<void> {
    checkVersion(version);
    const t = checkTag(tag);
    await this.update(name, (ix) => {
      const entry = this.find(name, ix, version);
      for (const v of ix.versions) v.tags = v.tags.filter((x) => x !== t);
      entry.tags.push(t);
    });
    await this.record('tag', { model: name, version, tag: t });
  }

  /**
   * Makes `version` the one 'latest' resolves to. Later versions are kept, and the next save gets
   * a number above all of them (and becomes latest).
   */
  async rollback(name: string, version: number): Promise<void> {
    checkVersion(version);
    let previous: number | null = null;
    await this.update(name, (ix) => {
      this.find(name, ix, version);
      previous = ix.latest;
      ix.latest = version;
    });
    await this.record('rollback', { model: name, version, previous });
  }

  /**
   * Deletes one version (its file and its entry; if it was latest, the highest remaining version
   * becomes latest), or with no version the whole model.
   */
  async remove(name: string, version?: number): Promise<void> {
    const dir = this.dir(name);
    if (version === undefined) {
      await this.locked(name, async () => {
        // Rename first: the model disappears atomically for readers, then the files go.
        const trash = join(this.root, `.trash-${name}-${randomUUID()}`);
        await rename(dir, trash);
        await rm(trash, { recursive: true, force: true });
      }, { allowMissing: true });
      await this.record('delete', { model: name, version: null });
      return;
    }
    checkVersion(version);
    await this.update(name, async (ix) => {
      this.find(name, ix, version);
      ix.versions = ix.versions.filter((v) => v.version !== version);
      if (ix.latest === version) ix.latest = ix.versions.length > 0 ? ix.versions[ix.versions.length - 1].version : null;
    });
    await unlink(join(dir, fileOf(version))).catch((e: unknown) => {
      if (!isCode(e, 'ENOENT')) throw e;
    });
    await unlink(join(dir, sigOf(version))).catch(() => undefined);
    await this.record('delete', { model: name, version });
  }

  private find(name: string, ix: Index, version: number): VersionEntry {
    const entry = ix.versions.find((v) => v.version === version);
    if (entry === undefined) throw new TensorkitError('NOT_FOUND', `ModelRegistry: ${JSON.stringify(name)} has no version ${version}`);
    return entry;
  }

  /** Read-modify-write of the index under the lock. */
  private async update(name: string, fn: (ix: Index) => void | Promise<void>): Promise<void> {
    await this.locked(name, async () => {
      const ix = await this.readIndex(name);
      if (ix === null) throw new TensorkitError('NOT_FOUND', `ModelRegistry: no model named ${JSON.stringify(name)} in ${this.root}`);
      await fn(ix);
      await writeFileAtomic(join(this.dir(name), INDEX), serializeIndex(ix));
    });
  }

  /** Runs `fn` holding the model's lock file. */
  private async locked<T>(name: string, fn: () => Promise<T>, { allowMissing = false } = {}): Promise<T> {
    const dir = this.dir(name);
    const lockPath = join(dir, LOCK);
    const token = randomUUID();
    const deadline = Date.now() + this.lockTimeoutMs;
    let delay = 2;
    for (;;) {
      try {
        const fh = await open(lockPath, 'wx');
        try {
          await fh.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), token, createdAt: new Date().toISOString() }));
        } finally {
          await fh.close();
        }
        break;
      } catch (e) {
        if (isCode(e, 'ENOENT')) {
          // The model folder is gone (first save, or a concurrent remove): recreate it and retry.
          if (allowMissing) throw new TensorkitError('NOT_FOUND', `ModelRegistry: no model named ${JSON.stringify(name)} in ${this.root}`);
          await mkdir(dir, { recursive: true });
          continue;
        }
        if (!isCode(e, 'EEXIST')) throw e;
      }
      if (await this.breakIfStale(lockPath)) continue;
      if (Date.now() > deadline) {
        throw new TensorkitError('LOCK_TIMEOUT', `ModelRegistry: could not lock ${JSON.stringify(name)} within ${this.lockTimeoutMs} ms (${lockPath} is held; delete it if no process owns it)`);
      }
      await sleep(delay + randomInt(delay + 1));
      delay = Math.min(delay * 2, 100);
    }
    try {
      return await fn();
    } finally {
      await this.release(lockPath, token);
    }
  }

  private async release(lockPath: string, token: string): Promise<void> {
    const text = await readFile(lockPath, 'utf8').catch(() => null);
    // Unlink only our own lock: after a (mistaken) stale break the file may belong to someone else.
    if (text !== null && text.includes(token)) await unlink(lockPath).catch(() => undefined);
  }

  /** True if the lock at `lockPath` was stale and has been removed. */
  private async breakIfStale(lockPath: string): Promise<boolean> {
    if (!(await this.isStale(lockPath))) return false;
    const breaker = `${lockPath}.break`;
    let fh;
    try {
      fh = await open(breaker, 'wx');
    } catch (e) {
      if (!isCode(e, 'EEXIST')) return false;
      // A breaker that died mid-break leaves its file; it is tiny-window state, so age it out.
      const st = await stat(breaker).catch(() => null);
      if (st !== null && Date.now() - st.mtimeMs > Math.max(this.staleLockMs, 1000)) await unlink(breaker).catch(() => undefined);
      return false;
    }
    try {
      await fh.close();
      // Re-check under the breaker lock: the lock may have been released and re-taken meanwhile.
      if (!(await this.isStale(lockPath))) return false;
      await unlink(lockPath).catch(() => undefined);
      return true;
    } finally {
      await unlink(breaker).catch(() => undefined);
    }
  }

  private async isStale(lockPath: string): Promise<boolean> {
    const st = await stat(lockPath).catch(() => null);
    if (st === null) return false;
    if (Date.now() - st.mtimeMs > this.staleLockMs) return true;
    const text = await readFile(lockPath, 'utf8').catch(() => '');
    let owner: Json = null;
    try {
      owner = parseJsonStrict(text, { maxDepth: 2 });
    } catch {
      // Being written right now — or, past the grace period, left empty by a crash between
      // creating the lock and writing its owner, which would otherwise block every writer.
      return Date.now() - st.mtimeMs > LOCK_WRITE_GRACE_MS;
    }
    if (!isJsonObject(owner) || owner.host !== hostname() || typeof owner.pid !== 'number' || !Number.isSafeInteger(owner.pid) || owner.pid <= 0) return false;
    if (owner.pid === process.pid) return false;
    try {
      process.kill(owner.pid, 0);
      return false;
    } catch (e) {
      return isCode(e, 'ESRCH');
    }
  }
}
