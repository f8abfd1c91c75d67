import { ArgumentError, TensorkitError } from '../tensor/index';
import { describe } from '../tensor/shape';
import type { LoadModelOptions } from '../io/model';
import { ModelRegistry } from '../io/registry';
import { Batcher } from './batcher';
import { HttpError } from './http';
import { checkSignatureSpec, resolveSignature, runForward, signatureFromMetadata, type ModelSignature, type Plain, type Servable, type SignatureSpec } from './signature';

/**
 * A model served from memory, with its versions: `{ versions: { '1': netA, '2': netB },
 * defaultVersion: '2' }` (the default defaults to the last version listed).
 * @category Serve
 */
export interface InMemoryModel {
  /** The versions by name (1–64 characters of [A-Za-z0-9._-]). */
  versions: Record<string, Servable>;
  /** The version served when a request names none. */
  defaultVersion?: string;
}

/** One loaded version, ready to compute. */
export interface LoadedVersion {
  readonly version: string;
  readonly model: Servable;
  readonly signature: ModelSignature;
  /** Runs the model on inputs in signature order (no batching). */
  run(inputs: Plain[]): Plain[];
  readonly batcher: Batcher | null;
}

/** A served model: its loaded versions, the default, and why a version is unavailable. */
export interface ModelEntry {
  readonly name: string;
  readonly source: 'registry' | 'memory';
  readonly memory: InMemoryModel | null;
  loaded: Map<string, LoadedVersion>;
  failed: Map<string, string>;
  loading: Map<string, Promise<LoadedVersion>>;
  /** Versions that exist (registry index or memory), oldest first. */
  available: string[];
  defaultVersion: string | null;
  /** Earlier defaults, most recent last, for rollback. */
  history: string[];
  unloaded: boolean;
  /** Why the model has no default version, when it has none. */
  reason: string;
  /** Serializes admin actions on this model. */
  lock: Promise<unknown>;
}

const VERSION_RE = /^[A-Za-z0-9._-]{1,64}$/;

/** Options the repository needs from createServer. */
export interface RepositoryOptions {
  registry: ModelRegistry | null;
  models: Record<string, InMemoryModel>;
  signatures: Record<string, SignatureSpec>;
  loadOptions: LoadModelOptions;
  batching: { maxBatchSize: number; maxDelayMs: number } | null;
  onBatch: (model: string, version: string, size: number) => void;
}

/** Normalizes the `models` option: a bare model is one version named '1'. */
export function normalizeModels(models: unknown): Record<string, InMemoryModel> {
  if (models === undefined) return {};
  if (typeof models !== 'object' || models === null || Array.isArray(models)) throw new ArgumentError(`createServer: models must be an object of models by name, got ${describe(models)}`);
  const out: Record<string, InMemoryModel> = Object.create(null);
  for (const [name, m] of Object.entries(models)) {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(name) || name.startsWith('.')) throw new ArgumentError(`createServer: model name ${JSON.stringify(name)} must be 1–128 characters of [A-Za-z0-9._-] not starting with '.'`);
    const isServable = (v: unknown): v is Servable => typeof v === 'object' && v !== null && typeof (v as Servable).forward === 'function';
    if (isServable(m)) {
      out[name] = { versions: { '1': m }, defaultVersion: '1' };
      continue;
    }
    const mm = m as InMemoryModel;
    if (typeof mm !== 'object' || mm === null || typeof mm.versions !== 'object' || mm.versions === null) throw new ArgumentError(`createServer: models.${name} must be a model (with forward) or { versions, defaultVersion? }, got ${describe(m)}`);
    const vs = Object.keys(mm.versions);
    if (vs.length === 0) throw new ArgumentError(`createServer: models.${name}.versions is empty`);
    for (const v of vs) {
      if (!VERSION_RE.test(v)) throw new ArgumentError(`createServer: models.${name}: version ${JSON.stringify(v)} must be 1–64 characters of [A-Za-z0-9._-]`);
      if (!isServable(mm.versions[v])) throw new ArgumentError(`createServer: models.${name}.versions.${v} must be a model with forward, got ${describe(mm.versions[v])}`);
    }
    const def = mm.defaultVersion ?? vs[vs.length - 1];
    if (!vs.includes(def)) throw new ArgumentError(`createServer: models.${name}.defaultVersion ${JSON.stringify(def)} is not one of its versions (${vs.join(', ')})`);
    out[name] = { versions: { ...mm.versions }, defaultVersion: def };
  }
  return out;
}

/**
 * The models a server serves, from a {@link ModelRegistry} and from memory. A registry version is
 * loaded with `registry.load`, which checks the file's SHA-256 against the index, so a version
 * whose file was altered fails to load (`CHECKSUM_MISMATCH`) and is never served: it is listed as
 * unavailable with the reason, and the default stays where it was.
 */
export class Repository {
  readonly entries = new Map<string, ModelEntry>();

  constructor(private readonly o: RepositoryOptions) {
    for (const [name, spec] of Object.entries(o.signatures)) o.signatures[name] = checkSignatureSpec(spec, `createServer: signatures.${name}`);
  }

  private newEntry(name: string, source: 'registry' | 'memory', memory: InMemoryModel | null): ModelEntry {
    return { name, source, memory, loaded: new Map(), failed: new Map(), loading: new Map(), available: [], defaultVersion: null, history: [], unloaded: false, reason: '', lock: Promise.resolve() };
  }

  /** Loads every model's default version (memory models first; a registry model's 'latest'). */
  async init(): Promise<void> {
    for (const [name, m] of Object.entries(this.o.models)) {
      const e = this.newEntry(name, 'memory', m);
      this.entries.set(name, e);
      await this.loadDefault(e);
    }
    if (this.o.registry !== null) {
      for (const name of await this.o.registry.names()) {
        if (this.entries.has(name)) continue;
        const e = this.newEntry(name, 'registry', null);
        this.entries.set(name, e);
        await this.loadDefault(e);
      }
    }
  }

  /** Every model name the repository can serve (loaded or not), for the repository index. */
  async names(): Promise<string[]> {
    const names = new Set(this.entries.keys());
    if (this.o.registry !== null) for (const n of await this.o.registry.names()) names.add(n);
    return [...names].sort();
  }

  /** The entry of `name`, created for a registry model not seen yet; null when unknown. */
  async entry(name: string): Promise<ModelEntry | null> {
    const e = this.entries.get(name);
    if (e !== undefined) return e;
    if (this.o.registry === null) return null;
    let versions;
    try {
      versions = await this.o.registry.list(name);
    } catch (err) {
      if (err instanceof ArgumentError) return null; // not a valid registry name
      throw err;
    }
    if (versions.length === 0) return null;
    const fresh = this.newEntry(name, 'registry', null);
    fresh.unloaded = true;
    fresh.reason = 'not loaded';
    this.entries.set(name, fresh);
    return fresh;
  }

  /** Re-reads which versions exist and which one is the registry's 'latest'. */
  private async refresh(e: ModelEntry): Promise<string | null> {
    if (e.source === 'memory') {
      e.available = Object.keys(e.memory!.versions);
      return e.memory!.defaultVersion!;
    }
    const list = await this.o.registry!.list(e.name);
    e.available = list.map((v) => String(v.version));
    const latest = list.find((v) => v.latest);
    return latest === undefined ? null : String(latest.version);
  }

  /** Loads (or reloads) a model's default version; on failure the model has no default, with the reason. */
  async loadDefault(e: ModelEntry): Promise<void> {
    let def: string | null;
    try {
      def = await this.refresh(e);
    } catch (err) {
      e.defaultVersion = null;
      e.reason = messageOf(err);
      return;
    }
    if (def === null) {
      e.defaultVersion = null;
      e.reason = 'the registry lists no latest version';
      return;
    }
    e.failed.delete(def);
    e.loaded.delete(def);
    try {
      await this.version(e, def);
      e.defaultVersion = def;
      e.unloaded = false;
      e.reason = '';
    } catch (err) {
      e.defaultVersion = null;
      e.reason = `version ${def}: ${messageOf(err)}`;
    }
  }

  /**
   * A loaded version, loading it on first use (concurrent callers share one load).
   * @throws HttpError 404 for a version that does not exist, 503 for one that cannot be loaded.
   */
  async version(e: ModelEntry, v: string): Promise<LoadedVersion> {
    const have = e.loaded.get(v);
    if (have !== undefined) return have;
    const failed = e.failed.get(v);
    if (failed !== undefined) throw new HttpError(503, `model ${JSON.stringify(e.name)} version ${v} cannot be served: ${failed}`);
    let p = e.loading.get(v);
    if (p === undefined) {
      p = this.build(e, v).then(
        (lv) => {
          e.loaded.set(v, lv);
          return lv;
        },
        (err: unknown) => {
          if (!(err instanceof HttpError && err.status === 404)) e.failed.set(v, messageOf(err));
          throw err instanceof HttpError ? err : new HttpError(503, `model ${JSON.stringify(e.name)} version ${v} cannot be served: ${messageOf(err)}`);
        },
      ).finally(() => e.loading.delete(v));
      e.loading.set(v, p);
    }
    return p;
  }

  private async build(e: ModelEntry, v: string): Promise<LoadedVersion> {
    const where = `model ${JSON.stringify(e.name)} version ${v}`;
    let model: Servable;
    let metadata: Record<string, string> = {};
    if (e.source === 'memory') {
      if (!Object.hasOwn(e.memory!.versions, v)) throw new HttpError(404, `${where} does not exist (versions: ${Object.keys(e.memory!.versions).join(', ')})`);
      model = e.memory!.versions[v];
    } else {
      if (!/^[1-9]\d{0,14}$/.test(v)) throw new HttpError(404, `${where} does not exist (registry versions are positive integers)`);
      try {
        const loaded = await this.o.registry!.load(e.name, Number(v), this.o.loadOptions);
        model = loaded.model as unknown as Servable;
        metadata = loaded.metadata;
      } catch (err) {
        if (err instanceof TensorkitError && err.code === 'NOT_FOUND') throw new HttpError(404, `${where} does not exist`);
        throw err;
      }
    }
    if (typeof (model as { eval?: unknown }).eval === 'function') (model as unknown as { eval(): void }).eval();
    const spec = this.o.signatures[e.name] ?? signatureFromMetadata(metadata, where);
    const signature = resolveSignature(model, spec, where);
    const run = (inputs: Plain[]): Plain[] => {
      const rows = inputs[0].shape[0];
      const outs = runForward(model, inputs, signature.outputs.length, where);
      for (let i = 0; i < outs.length; i++) {
        const s = outs[i].shape, want = signature.outputs[i].shape;
        const ok = s.length === want.length && s[0] === rows && want.every((d, j) => d === -1 || d === s[j]);
        if (!ok) throw new TensorkitError('SHAPE_MISMATCH', `${where}: output ${JSON.stringify(signature.outputs[i].name)} has shape [${s.join(', ')}], not [${want.join(', ')}] with ${rows} rows`);
      }
      return outs;
    };
    const b = this.o.batching;
    const batcher = b === null ? null : new Batcher(run, b.maxBatchSize, b.maxDelayMs, (size) => this.o.onBatch(e.name, v, size));
    return { version: v, model, signature, run, batcher };
  }

  /**
   * Makes `v` the default of `e` after loading it (so no request sees a half-ready version); with
   * a registry, also points the registry's 'latest' at it, so other processes follow.
   * @returns the previous default.
   */
  async promote(e: ModelEntry, v: string, persist: boolean): Promise<string | null> {
    if (e.source === 'registry') {
      // A version file may have been replaced since it failed; try again.
      e.failed.delete(v);
    }
    await this.version(e, v);
    if (persist && e.source === 'registry' && /^\d+$/.test(v)) await this.o.registry!.rollback(e.name, Number(v));
    const prev = e.defaultVersion;
    if (prev !== null && prev !== v) e.history.push(prev);
    e.defaultVersion = v;
    e.unloaded = false;
    e.reason = '';
    return prev;
  }

  /** Follows the registry: a new 'latest' written by another process becomes the default once it loads. */
  async poll(onSwitch: (e: ModelEntry, from: string | null, to: string) => void): Promise<void> {
    if (this.o.registry === null) return;
    for (const e of this.entries.values()) {
      if (e.source !== 'registry' || e.unloaded) continue;
      let latest: string | null;
      try {
        latest = await this.refresh(e);
      } catch {
        continue;
      }
      if (latest === null || latest === e.defaultVersion || e.failed.has(latest)) continue;
      await (e.lock = e.lock.then(async () => {
        if (e.unloaded || latest === e.defaultVersion) return;
        try {
          const from = await this.promote(e, latest!, false);
          onSwitch(e, from, latest!);
        } catch {
          // Recorded in e.failed: the old default keeps serving.
        }
      }));
    }
  }
}

/** The message of an error, without a stack; non-Error values are described. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : describe(e);
}
