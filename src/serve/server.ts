import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { ArgumentError, TensorkitError } from '../tensor/index';
import { bool, func, nonNegInt, object, parseOptions, posInt, str, anyOf, instanceOf, type Check } from '../tensor/options';
import { describe } from '../tensor/shape';
import { isJsonObject, type Json } from '../io/json';
import type { LoadModelOptions } from '../io/model';
import { ModelRegistry } from '../io/registry';
import { openAuditLog } from '../io/audit-file';
import type { AuditLog } from '../io/audit';
import { KeyStore, type AuthOptions, type Scope } from './auth';
import type { BatchingOptions } from './batcher';
import type { Datatype } from './datatypes';
import { createGrpcTransport } from './grpc';
import { HttpError, parseBody, readBody, readBodyBytes, sendJson, sendText } from './http';
import { checkParameters, parseInferRequest, type InferRequestBody } from './infer-request';
import { readInferBody, sendInferResponse } from './rest-infer';
import { BATCH_BUCKETS, LATENCY_BUCKETS, Metrics } from './metrics';
import { Repository, messageOf, normalizeModels, type InMemoryModel, type LoadedVersion, type ModelEntry } from './repository';
import type { Plain, Servable, SignatureSpec, TensorSpec } from './signature';

/** The version {@link createServer} reports in `GET /v2`. @category Serve */
export const SERVER_VERSION = '0.1.0';

/**
 * What the server feeds after each inference and serves at `GET /v2/models/{name}/monitor`: the
 * structural type of `tensorkit/monitor`'s `Monitor` (every object with these two methods works).
 * @category Serve
 */
export interface MonitorLike {
  /** Takes one request's input rows, prediction rows (or one number per row), latency and whether it failed. */
  observe(o: MonitorObservation): void;
  /** The current drift report; `features` become drift gauges on `/metrics`. */
  report(): MonitorReport;
}

/** What the server passes to {@link MonitorLike.observe} after each inference request. @category Serve */
export interface MonitorObservation {
  /** The request's rows of the first input, each flattened. */
  inputs: number[][];
  /** The rows of the first output (one number per row when it has one column); absent when the model failed. */
  predictions?: number[][] | number[];
  /** Time of the forward pass (batching wait included), in ms. */
  latencyMs?: number;
  /** Whether the model failed on this request. */
  error?: boolean;
}

/** The part of a monitor's report the server reads for its drift gauges (the rest is served as is). @category Serve */
export interface MonitorReport {
  /** Drift per feature. */
  features: MonitorFeature[];
}

/** One feature's drift in a {@link MonitorReport}. @category Serve */
export interface MonitorFeature {
  /** The feature's name (the `feature` label of the gauges). */
  name: string;
  /** Its population stability index. */
  psi: number;
  /** Whether the monitor flags it as drifted. */
  drifted: boolean;
}

/** Limits on requests. @category Serve */
export interface LimitOptions {
  /** Largest request body, in bytes (default 16 MiB); larger is 413, found while it streams. */
  maxBodyBytes?: number;
  /** Time for a request body to arrive, in ms (default 30 000); slower is 408. */
  bodyTimeoutMs?: number;
  /** Most JSON values (numbers, strings, …) in one request body (default 4 000 000). */
  maxValues?: number;
}

/** Options of {@link createServer}. @category Serve */
export interface ServerOptions {
  /** A registry (or its directory) whose models are served, each at its 'latest' version. */
  registry?: ModelRegistry | string;
  /** Models from memory by name: a model (one version, '1') or {@link InMemoryModel}. */
  models?: Record<string, Servable | InMemoryModel>;
  /** Signatures by model name, overriding a file's `metadata.signature` and what is read off the model. */
  signatures?: Record<string, SignatureSpec>;
  /** Passed to `registry.load` (custom classes under `registry`). */
  loadOptions?: LoadModelOptions;
  /** How often to re-read the registry's index and follow a new 'latest', in ms (default 2000; 0: never). */
  pollMs?: number;
  /** API keys; without this option every endpoint is open. */
  auth?: AuthOptions;
  /** Dynamic micro-batching (`true` for the defaults); off by default. */
  batching?: BatchingOptions | boolean;
  /** Request limits. */
  limits?: LimitOptions;
  /** Monitors by model name, fed after every inference of that model. */
  monitor?: Record<string, MonitorLike>;
  /** Path of the audit log (JSON lines, SHA-256 chained) of admin actions. */
  audit?: string;
  /** Where server faults are logged (default `console.error`); never sent to clients. */
  log?: (message: string) => void;
}

/** A running inference server. @category Serve */
export interface InferenceServer {
  /** Loads the models, then listens; resolves with the bound address (port 0 picks a free port). */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /**
   * Stops accepting connections, answers requests that arrive on open connections with 503 (gRPC:
   * GOAWAY on every connection, and UNAVAILABLE to a call that still arrives), waits for the
   * requests and calls in flight on both transports to finish (at most `timeoutMs`, default
   * 10 000, after which connections are cut) and resolves once the server is closed.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
  /** Makes `version` the default of `model` (the promote endpoint without HTTP); resolves with the previous default. */
  promote(model: string, version: string): Promise<string | null>;
  /** The metrics in Prometheus text format (what `GET /metrics` serves). */
  metricsText(): string;
  /**
   * Loads the models, then listens for the protocol's gRPC binding (`inference.GRPCInferenceService`
   * over cleartext HTTP/2) on its own port, beside or instead of {@link InferenceServer.listen};
   * resolves with the bound address. Both transports share every model, key, limit, batcher,
   * monitor and metric; {@link InferenceServer.close} drains both.
   */
  listenGrpc(port?: number, host?: string): Promise<AddressInfo>;
  /** The underlying `node:http` server. */
  readonly http: Server;
  /** The underlying `node:http2` server of the gRPC binding (listening once {@link InferenceServer.listenGrpc} resolved). */
  readonly grpc: Http2Server;
}

const ENDPOINTS = ['server_metadata', 'health', 'model_metadata', 'model_ready', 'infer', 'monitor', 'repository', 'metrics', 'unknown'] as const;
type Endpoint = (typeof ENDPOINTS)[number];

/** What a request's metrics and audit records name; filled in as the request is handled. @internal */
export interface Ctx {
  endpoint: Endpoint;
  model: string;
  version: string;
  who: string;
}

/** An inference's outputs before a transport writes them (float32, batch axis first). @internal */
export interface InferResult {
  model_name: string;
  model_version: string;
  id: string;
  /** `binary`: the client asked for this output as binary tensor data (REST; gRPC ignores it). */
  outputs: { name: string; shape: number[]; datatype: Datatype; data: Float32Array; binary?: boolean }[];
}


/** A model's metadata, as both transports answer it. @internal */
export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

const monitorCheck: Check<Record<string, MonitorLike>> = (v, name, op) => {
  const o = object(v, name, op);
  for (const [k, m] of Object.entries(o)) {
    if (typeof m !== 'object' || m === null || typeof (m as MonitorLike).observe !== 'function' || typeof (m as MonitorLike).report !== 'function') {
      throw new ArgumentError(`${op}: ${name}.${k} must have observe and report methods, got ${describe(m)}`);
    }
  }
  return o as Record<string, MonitorLike>;
};

const OPTIONS = {
  registry: anyOf<ModelRegistry | string>('a ModelRegistry or a directory', instanceOf(ModelRegistry) as Check<ModelRegistry | string>, str),
  models: object,
  signatures: object,
  loadOptions: object,
  pollMs: nonNegInt,
  auth: object,
  batching: anyOf<object | boolean>('an object or a boolean', bool, object),
  limits: object,
  monitor: monitorCheck,
  audit: str,
  log: func,
};
const BATCHING = { maxBatchSize: posInt, maxDelayMs: nonNegInt };
const LIMITS = { maxBodyBytes: posInt, bodyTimeoutMs: posInt, maxValues: posInt };

/**
 * An inference server on `node:http` speaking the Open Inference Protocol v2 (KServe's REST
 * "predict protocol v2"): `GET /v2`, `/v2/health/live`, `/v2/health/ready`,
 * `/v2/models/{name}[/versions/{v}]` (metadata), `…/ready`, `POST …/infer`, the model repository
 * extension (`POST /v2/repository/index`, `/v2/repository/models/{name}/load`, `/unload`), and
 * tensorkit extensions: `POST /v2/repository/models/{name}/promote` (`{ "version": "3" }`) and
 * `/rollback`, `GET /v2/models/{name}/monitor`, `GET /metrics` (Prometheus). `listenGrpc` serves
 * the protocol's gRPC binding (`inference.GRPCInferenceService` on `node:http2`) through the same
 * handlers. See docs/serving.md.
 *
 * Every response names the version that computed it; a request resolves its version once, when it
 * arrives, so a promotion never gives a failed or mixed answer. Client mistakes are 4xx with
 * `{ "error": message }`; 5xx only for a server fault (its details go to `log`, not the client).
 * Node only (entry `tensorkit/serve`).
 * @example
 * // Node only, from 'tensorkit/serve':
 * // const server = createServer({ registry: './models', batching: { maxBatchSize: 32, maxDelayMs: 2 } });
 * // const { port } = await server.listen(8080, '0.0.0.0');
 * // await server.listenGrpc(8081, '0.0.0.0'); // gRPC too
 * // ... await server.close();
 * @throws ArgumentError for bad options (unknown keys, bad keys or signatures, neither registry nor models).
 * @category Serve
 */
export function createServer(options: ServerOptions): InferenceServer {
  const op = 'createServer';
  const o = parseOptions(op, options, OPTIONS);
  if (o.registry === undefined && o.models === undefined) throw new ArgumentError(`${op}: give registry (a ModelRegistry or its directory) or models (models by name)`);
  const registry = o.registry === undefined ? null : typeof o.registry === 'string' ? new ModelRegistry(o.registry) : o.registry;
  const batching = o.batching === undefined || o.batching === false ? null : { maxBatchSize: 32, maxDelayMs: 2, ...parseOptions(`${op}: batching`, o.batching === true ? {} : o.batching, BATCHING) };
  const limits = { maxBodyBytes: 16 * 2 ** 20, bodyTimeoutMs: 30_000, maxValues: 4_000_000, ...parseOptions(`${op}: limits`, o.limits, LIMITS) };
  const keys = o.auth === undefined ? null : new KeyStore(o.auth as unknown as AuthOptions);
  const monitors = o.monitor ?? {};
  // The audit log (io's hash-chained AuditLog) opens in listen(): a broken chain refuses to start.
  let audit: AuditLog | null = null;
  const log = (o.log as ((m: string) => void) | undefined) ?? ((m: string) => console.error(m));
  const pollMs = o.pollMs ?? 2000;
  const metrics = new Metrics();
  const repo = new Repository({
    registry,
    models: normalizeModels(o.models),
    signatures: { ...(o.signatures as Record<string, SignatureSpec> | undefined) },
    loadOptions: (o.loadOptions as LoadModelOptions | undefined) ?? {},
    batching,
    onBatch: (model, version, size) => metrics.observe('tensorkit_batch_size', 'Rows per forward pass.', BATCH_BUCKETS, { model, version }, size),
  });

  let inFlight = 0;
  let draining = false;
  let loaded = false;
  let pollTimer: ReturnType<typeof setInterval> | null = null;
  const idle: (() => void)[] = [];

  // `req` is an HTTP/1 request or, for gRPC, the call's metadata: both carry `authorization` and `x-api-key`.
  const authorize = (req: { headers: IncomingHttpHeaders }, scope: Scope): string => (keys === null ? 'anonymous' : keys.authorize(KeyStore.presented(req.headers), scope));

  const writeAudit = async (ctx: Ctx, action: string, model: string, version: string | null, previous: string | null, error?: string): Promise<void> => {
    if (audit === null) return;
    try {
      await audit.append({ actor: ctx.who, action, details: { model, version, previous, ok: error === undefined, ...(error === undefined ? {} : { error }) } });
    } catch (e) {
      log(`tensorkit serve: audit log write failed: ${messageOf(e)}`);
    }
  };

  // ---------------------------------------------------------------------------------- handlers

  const modelEntry = async (name: string): Promise<ModelEntry> => {
    const e = await repo.entry(name);
    if (e === null) throw new HttpError(404, `unknown model ${JSON.stringify(name)}`);
    return e;
  };

  /** The version a request is served by, fixed now (the request's arrival). */
  const resolveVersion = async (e: ModelEntry, v: string | undefined): Promise<LoadedVersion> => {
    if (e.unloaded) throw new HttpError(404, `model ${JSON.stringify(e.name)} is not loaded (POST /v2/repository/models/${e.name}/load loads it)`);
    if (v === undefined) {
      const def = e.defaultVersion;
      if (def === null) throw new HttpError(503, `model ${JSON.stringify(e.name)} has no servable version: ${e.reason}`);
      return e.loaded.get(def) ?? repo.version(e, def);
    }
    return e.loaded.get(v) ?? repo.version(e, v);
  };

  const tensorMeta = (t: TensorSpec): TensorSpec => ({ name: t.name, datatype: t.datatype, shape: t.shape });

  /**
   * One inference, whatever the transport: key, model, version, the request (`readRequest` gives
   * it in the REST form, once the version is fixed), the forward pass (batched or not), monitor
   * and metrics. The caller writes the outputs in its wire format.
   */
  const inferCore = async (req: { headers: IncomingHttpHeaders }, ctx: Ctx, name: string, v: string | undefined, readRequest: () => Promise<InferRequestBody>): Promise<InferResult> => {
    // The key first: without one, a client cannot even learn which model names exist.
    ctx.who = authorize(req, { kind: 'infer', model: name });
    const e = await modelEntry(name);
    const lv = await resolveVersion(e, v);
    ctx.version = lv.version;
    const where = `model ${JSON.stringify(name)} version ${lv.version}`;
    // Announced while its body arrives, so the batcher knows a request is worth waiting for.
    lv.batcher?.announce();
    let r: ReturnType<typeof parseInferRequest>;
    try {
      r = parseInferRequest(await readRequest(), lv.signature, limits.maxValues, where);
    } catch (err) {
      lv.batcher?.withdraw();
      throw err;
    }
    const t0 = performance.now();
    let outs: Plain[];
    const monitor = Object.hasOwn(monitors, name) ? monitors[name] : undefined;
    try {
      outs = lv.batcher === null ? lv.run(r.inputs) : (await lv.batcher.submit(r.inputs)).outputs;
      if (lv.batcher === null) metrics.observe('tensorkit_batch_size', 'Rows per forward pass.', BATCH_BUCKETS, { model: name, version: lv.version }, r.rows);
    } catch (err) {
      feed(monitor, r.inputs[0], null, performance.now() - t0, true);
      if (err instanceof TensorkitError) throw new HttpError(400, `${where} cannot compute this input: ${err.message}`);
      log(`tensorkit serve: ${where} threw: ${err instanceof Error ? (err.stack ?? err.message) : describe(err)}`);
      throw new HttpError(500, `${where} failed with an internal error`);
    }
    feed(monitor, r.inputs[0], outs[0], performance.now() - t0, false);
    const outputs = r.outputs.map(({ index: j, binary }) => {
      const spec = lv.signature.outputs[j];
      return { name: spec.name, shape: outs[j].shape, datatype: spec.datatype, data: outs[j].data, binary };
    });
    return { model_name: name, model_version: lv.version, id: r.id, outputs };
  };

  const infer = async (req: IncomingMessage, res: ServerResponse, ctx: Ctx, name: string, v: string | undefined): Promise<void> => {
    const r = await inferCore(req, ctx, name, v, async () => readInferBody(await readBodyBytes(req, limits), req.headers, limits.maxValues));
    sendInferResponse(res, r);
  };

  const feed = (m: MonitorLike | undefined, input: Plain, output: Plain | null, latencyMs: number, error: boolean): void => {
    if (m === undefined) return;
    try {
      const inputs = rowsOf(input);
      if (output === null) m.observe({ inputs, latencyMs, error: true });
      else {
        const rows = rowsOf(output);
        m.observe({ inputs, predictions: rows.length > 0 && rows[0].length === 1 ? rows.map((r) => r[0]) : rows, latencyMs, error });
      }
    } catch (err) {
      log(`tensorkit serve: the monitor threw: ${messageOf(err)}`);
    }
  };

  const modelMetadataCore = async (req: { headers: IncomingHttpHeaders }, ctx: Ctx, name: string, v: string | undefined): Promise<ModelMetadata> => {
    // The key first: without one, a client cannot even learn which model names exist.
    ctx.who = authorize(req, { kind: 'infer', model: name });
    const e = await modelEntry(name);
    const lv = await resolveVersion(e, v);
    ctx.version = lv.version;
    return { name, versions: [...e.available], platform: 'tensorkit', inputs: lv.signature.inputs.map(tensorMeta), outputs: lv.signature.outputs.map(tensorMeta) };
  };

  const modelMetadata = async (req: IncomingMessage, res: ServerResponse, ctx: Ctx, name: string, v: string | undefined): Promise<void> => {
    sendJson(res, 200, await modelMetadataCore(req, ctx, name, v));
  };

  const modelReady = async (req: IncomingMessage, res: ServerResponse, ctx: Ctx, name: string, v: string | undefined): Promise<void> => {
    const ready = await modelReadyCore(req, ctx, name, v);
    sendJson(res, ready ? 200 : 400, { name, ready });
  };

  const modelReadyCore = async (req: { headers: IncomingHttpHeaders }, ctx: Ctx, name: string, v: string | undefined): Promise<boolean> => {
    // The key first: without one, a client cannot even learn which model names exist.
    ctx.who = authorize(req, { kind: 'infer', model: name });
    const e = await modelEntry(name);
    let ready = false;
    if (!e.unloaded && !draining) {
      try {
        ctx.version = (await resolveVersion(e, v)).version;
        ready = true;
      } catch (err) {
        if (err instanceof HttpError && err.status === 404 && v !== undefined && !e.available.includes(v)) throw err;
      }
    }
    return ready;
  };

  const repositoryIndex = async (req: IncomingMessage, res: ServerResponse, ctx: Ctx): Promise<void> => {
    ctx.who = authorize(req, { kind: 'admin' });
    const body = parseBody(await readBody(req, limits), 1000, {});
    if (!isJsonObject(body)) throw new HttpError(400, `the index request must be an object { ready? }, got ${describe(body)}`);
    for (const k of Object.keys(body)) if (k !== 'ready') throw new HttpError(400, `unknown field ${JSON.stringify(k)} in the index request (it has ready)`);
    if (body.ready !== undefined && typeof body.ready !== 'boolean') throw new HttpError(400, `ready must be a boolean, got ${describe(body.ready)}`);
    const out: Json[] = [];
    for (const name of await repo.names()) {
      const e = repo.entries.get(name);
      if (e === undefined || e.unloaded) {
        if (body.ready !== true) out.push({ name, state: 'UNAVAILABLE', reason: e?.reason || 'not loaded' });
        continue;
      }
      const versions = new Set([...e.loaded.keys(), ...e.failed.keys()]);
      for (const v of [...versions].sort(byVersion)) {
        const fail = e.failed.get(v);
        if (fail === undefined) out.push({ name, version: v, state: 'READY', reason: v === e.defaultVersion ? 'default' : '' });
        else if (body.ready !== true) out.push({ name, version: v, state: 'UNAVAILABLE', reason: fail });
      }
      if (versions.size === 0 && body.ready !== true) out.push({ name, state: 'UNAVAILABLE', reason: e.reason });
    }
    sendJson(res, 200, out);
  };

  /** The body of an admin request: empty, or `{ parameters? }`, plus `version` where `allowVersion`. */
  const adminBody = async (req: IncomingMessage, allowVersion: boolean): Promise<{ version?: string }> => {
    const body = parseBody(await readBody(req, limits), 1000, {});
    if (!isJsonObject(body)) throw new HttpError(400, `the request body must be an object, got ${describe(body)}`);
    const known = allowVersion ? ['version', 'parameters'] : ['parameters'];
    for (const k of Object.keys(body)) if (!known.includes(k)) throw new HttpError(400, `unknown field ${JSON.stringify(k)} (this request takes ${known.join(', ')})`);
    checkParameters(body.parameters, 'parameters');
    if (body.version !== undefined && typeof body.version !== 'string') throw new HttpError(400, `version must be a string such as "3", got ${describe(body.version)}`);
    return body.version === undefined ? {} : { version: body.version as string };
  };

  const admin = async (req: IncomingMessage, res: ServerResponse, ctx: Ctx, name: string, action: 'load' | 'unload' | 'promote' | 'rollback'): Promise<void> => {
    ctx.who = authorize(req, { kind: 'admin' });
    const body = await adminBody(req, action === 'promote' || action === 'rollback');
    const e = await modelEntry(name);
    const run = async (): Promise<void> => {
      const previous = e.defaultVersion;
      try {
        if (action === 'load') {
          await repo.loadDefault(e);
          if (e.defaultVersion === null) throw new HttpError(400, `model ${JSON.stringify(name)} could not be loaded: ${e.reason}`);
          e.unloaded = false;
        } else if (action === 'unload') {
          e.unloaded = true;
          e.reason = 'unloaded';
          e.loaded = new Map();
          e.failed = new Map();
        } else {
          let target = body.version;
          if (action === 'promote' && target === undefined) throw new HttpError(400, 'promote needs { "version": "<v>" }');
          if (target === undefined) {
            target = e.history[e.history.length - 1];
            if (target === undefined) throw new HttpError(409, `model ${JSON.stringify(name)} has no earlier default to roll back to; give { "version": "<v>" }`);
          }
          const wasHistory = action === 'rollback' && body.version === undefined;
          try {
            await repo.promote(e, target, true);
          } catch (err) {
            if (err instanceof HttpError && err.status === 503) throw new HttpError(409, `${err.message}; the default stays ${previous ?? 'unset'}`);
            throw err;
          }
          // A rollback to the previous default consumes that history entry (and the one promote pushed).
          if (wasHistory) e.history.splice(-2, 2);
        }
      } catch (err) {
        await writeAudit(ctx, action, name, body.version ?? null, previous, messageOf(err));
        throw err;
      }
      ctx.version = e.defaultVersion ?? '';
      await writeAudit(ctx, action, name, e.defaultVersion, previous);
      sendJson(res, 200, action === 'promote' || action === 'rollback' ? { name, version: e.defaultVersion, previous } : {});
    };
    const p = e.lock.then(run);
    e.lock = p.catch(() => undefined);
    await p;
  };

  const monitorReport = async (req: IncomingMessage, res: ServerResponse, ctx: Ctx, name: string): Promise<void> => {
    ctx.who = authorize(req, { kind: 'infer', model: name });
    await modelEntry(name);
    if (!Object.hasOwn(monitors, name)) throw new HttpError(404, `model ${JSON.stringify(name)} has no monitor (createServer's monitor option)`);
    let report: unknown;
    try {
      report = monitors[name].report();
    } catch (err) {
      log(`tensorkit serve: the monitor of ${name} threw: ${messageOf(err)}`);
      throw new HttpError(500, `the monitor of model ${JSON.stringify(name)} failed`);
    }
    sendJson(res, 200, toJsonSafe(report));
  };

  const metricsText = (): string => {
    metrics.set('tensorkit_in_flight_requests', 'Requests being handled.', {}, inFlight);
    metrics.clear('tensorkit_drift_psi');
    metrics.clear('tensorkit_drift_detected');
    for (const [name, m] of Object.entries(monitors)) {
      let r;
      try {
        r = m.report();
      } catch {
        continue;
      }
      for (const f of r?.features ?? []) {
        metrics.set('tensorkit_drift_psi', 'Population stability index of a feature over the monitor window.', { model: name, feature: String(f.name) }, Number(f.psi));
        metrics.set('tensorkit_drift_detected', 'Whether the monitor flags a feature as drifted (1) or not (0).', { model: name, feature: String(f.name) }, f.drifted ? 1 : 0);
      }
    }
    for (const e of repo.entries.values()) {
      metrics.set('tensorkit_model_ready', 'Whether the model has a servable default version (1) or not (0).', { model: e.name }, !e.unloaded && e.defaultVersion !== null ? 1 : 0);
    }
    return metrics.render();
  };

  const serverMetadata = (req: { headers: IncomingHttpHeaders }, ctx: Ctx): { name: string; version: string; extensions: string[] } => {
    ctx.who = authorize(req, { kind: 'key' });
    return { name: 'tensorkit', version: SERVER_VERSION, extensions: ['binary_tensor_data', 'model_repository', 'tensorkit_versions', 'tensorkit_monitor', 'tensorkit_metrics'] };
  };

  const serverReady = (): boolean => loaded && !draining && [...repo.entries.values()].every((e) => e.unloaded || e.defaultVersion !== null);

  // ----------------------------------------------------------------------------------- routing

  const route = async (req: IncomingMessage, res: ServerResponse, ctx: Ctx): Promise<void> => {
    const url = req.url ?? '/';
    const path = url.split('?')[0];
    let parts: string[];
    try {
      parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
    } catch {
      throw new HttpError(400, `malformed URL path ${JSON.stringify(path.slice(0, 200))}`);
    }
    const m = req.method ?? 'GET';
    const want = (method: string): void => {
      if (m !== method) throw new HttpError(405, `${m} is not allowed on ${path}; use ${method}`, { allow: method });
    };
    if (parts.length === 1 && parts[0] === 'metrics') {
      ctx.endpoint = 'metrics';
      want('GET');
      ctx.who = authorize(req, { kind: 'metrics' });
      sendText(res, 200, metricsText(), 'text/plain; version=0.0.4; charset=utf-8');
      return;
    }
    if (parts[0] !== 'v2') throw new HttpError(404, `no endpoint ${JSON.stringify(path.slice(0, 200))} (the API is under /v2)`);
    if (parts.length === 1) {
      ctx.endpoint = 'server_metadata';
      want('GET');
      sendJson(res, 200, serverMetadata(req, ctx));
      return;
    }
    if (parts[1] === 'health' && parts.length === 3 && (parts[2] === 'live' || parts[2] === 'ready')) {
      ctx.endpoint = 'health';
      want('GET');
      if (parts[2] === 'live') sendJson(res, 200, { live: true });
      else {
        const ready = serverReady();
        sendJson(res, ready ? 200 : 400, { ready });
      }
      return;
    }
    if (parts[1] === 'models' && parts.length >= 3) {
      const name = parts[2];
      ctx.model = name;
      let rest = parts.slice(3);
      let v: string | undefined;
      if (rest[0] === 'versions') {
        if (rest.length < 2) throw new HttpError(404, `no endpoint ${JSON.stringify(path.slice(0, 200))}: /versions needs a version`);
        v = rest[1];
        ctx.version = v;
        rest = rest.slice(2);
      }
      if (rest.length === 0) {
        ctx.endpoint = 'model_metadata';
        want('GET');
        return modelMetadata(req, res, ctx, name, v);
      }
      if (rest.length === 1 && rest[0] === 'ready') {
        ctx.endpoint = 'model_ready';
        want('GET');
        return modelReady(req, res, ctx, name, v);
      }
      if (rest.length === 1 && rest[0] === 'infer') {
        ctx.endpoint = 'infer';
        want('POST');
        return infer(req, res, ctx, name, v);
      }
      if (rest.length === 1 && rest[0] === 'monitor' && v === undefined) {
        ctx.endpoint = 'monitor';
        want('GET');
        return monitorReport(req, res, ctx, name);
      }
    }
    if (parts[1] === 'repository') {
      ctx.endpoint = 'repository';
      if (parts.length === 3 && parts[2] === 'index') {
        want('POST');
        return repositoryIndex(req, res, ctx);
      }
      const action = parts[4];
      if (parts.length === 5 && parts[2] === 'models' && (action === 'load' || action === 'unload' || action === 'promote' || action === 'rollback')) {
        ctx.model = parts[3];
        want('POST');
        return admin(req, res, ctx, parts[3], action);
      }
    }
    throw new HttpError(404, `no endpoint ${JSON.stringify(path.slice(0, 200))}`);
  };

  /** Counts a request (REST or gRPC) in flight until `end`, which records its status code and latency. */
  const track = (): { ctx: Ctx; end: (status: number) => void } => {
    const t0 = performance.now();
    const ctx: Ctx = { endpoint: 'unknown', model: '', version: '', who: 'anonymous' };
    inFlight++;
    let ended = false;
    const end = (status: number): void => {
      if (ended) return;
      ended = true;
      inFlight--;
      const seconds = (performance.now() - t0) / 1000;
      const code = String(status);
      metrics.inc('tensorkit_requests_total', 'Requests by endpoint, model, version and status code.', { endpoint: ctx.endpoint, model: ctx.model, version: ctx.version, code });
      metrics.observe('tensorkit_request_duration_seconds', 'Request latency, from arrival to the last byte written.', LATENCY_BUCKETS, { endpoint: ctx.endpoint, model: ctx.model }, seconds);
      if (inFlight === 0) for (const f of idle.splice(0)) f();
    };
    return { ctx, end };
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const { ctx, end } = track();
    res.on('close', () => end(res.statusCode));
    if (draining) {
      sendJson(res, 503, { error: 'the server is shutting down' }, { connection: 'close' });
      return;
    }
    route(req, res, ctx).catch((err: unknown) => {
      if (err instanceof HttpError) {
        sendJson(res, err.status, { error: err.message }, err.headers);
        // A body left unread (refused as too large or too slow) is dropped with the connection.
        if (err.headers.connection === 'close') res.on('finish', () => req.socket.destroySoon?.());
        return;
      }
      log(`tensorkit serve: ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : describe(err)}`);
      sendJson(res, 500, { error: 'internal server error' });
    });
  };

  const http = createHttpServer({ requestTimeout: limits.bodyTimeoutMs * 2, headersTimeout: limits.bodyTimeoutMs }, handle);
  // A client error (malformed request line, headers too large) gets a 400 and the socket closes.
  http.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return;
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const text = JSON.stringify({ error: status === 431 ? 'request headers too large' : status === 408 ? 'request timed out' : 'malformed HTTP request' });
    socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
  });

  // Before either transport listens: the audit log opens (a broken chain refuses to start) and the models load.
  let preparing: Promise<void> | null = null;
  const prepare = (): Promise<void> => {
    preparing ??= (async () => {
      if (o.audit !== undefined && audit === null) audit = await openAuditLog(o.audit);
      if (!loaded) {
        await repo.init();
        loaded = true;
      }
    })().finally(() => {
      preparing = null;
    });
    return preparing;
  };

  const grpc = createGrpcTransport({
    limits,
    log,
    track,
    draining: () => draining,
    serverLive: () => true,
    serverReady,
    serverMetadata,
    modelReady: modelReadyCore,
    modelMetadata: modelMetadataCore,
    infer: inferCore,
  });

  const startPolling = (): void => {
    if (pollTimer !== null || registry === null || pollMs === 0) return;
    let polling = false;
    pollTimer = setInterval(() => {
      if (polling) return;
      polling = true;
      repo.poll((e, from, to) => {
        void writeAudit({ endpoint: 'repository', model: e.name, version: to, who: 'registry' }, 'follow', e.name, to, from);
      }).catch((err: unknown) => log(`tensorkit serve: registry poll failed: ${messageOf(err)}`)).finally(() => {
        polling = false;
      });
    }, pollMs);
    pollTimer.unref();
  };

  return {
    http,
    async listen(port = 8080, host = '127.0.0.1') {
      checkPort(port);
      await prepare();
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => {
          http.off('error', reject);
          resolve();
        });
      });
      startPolling();
      return http.address() as AddressInfo;
    },
    async listenGrpc(port = 8081, host = '127.0.0.1') {
      checkPort(port, 'listenGrpc');
      await prepare();
      const addr = await grpc.listen(port, host);
      startPolling();
      return addr;
    },
    get grpc() {
      return grpc.http2;
    },
    async close({ timeoutMs = 10_000 } = {}) {
      draining = true;
      if (pollTimer !== null) clearInterval(pollTimer);
      const closed = new Promise<void>((resolve) => {
        if (!http.listening) resolve();
        else http.close(() => resolve());
      });
      // gRPC: GOAWAY to every connection; calls already started finish, new ones go elsewhere.
      const grpcClosed = grpc.close();
      http.closeIdleConnections();
      const drained = inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          http.closeAllConnections();
          grpc.destroy();
          resolve();
        }, timeoutMs);
        timer.unref();
      });
      await Promise.race([drained, timeout]);
      // Keep-alive connections whose last response is written go now.
      http.closeIdleConnections();
      await Promise.race([Promise.all([closed, grpcClosed]), timeout]);
      clearTimeout(timer);
    },
    async promote(model: string, version: string) {
      const e = await repo.entry(model);
      if (e === null) throw new ArgumentError(`promote: unknown model ${JSON.stringify(model)}`);
      const p = e.lock.then(() => repo.promote(e, version, true));
      e.lock = p.catch(() => undefined);
      return p;
    },
    metricsText,
  };
}

function checkPort(port: unknown, op = 'listen'): void {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) throw new ArgumentError(`${op}: port must be an integer in [0, 65535], got ${describe(port)}`);
}


/** The rows of a batch-first tensor as arrays of numbers (each row flattened). */
function rowsOf(p: Plain): number[][] {
  const rows = p.shape[0];
  const size = rows === 0 ? 0 : p.data.length / rows;
  const out = new Array<number[]>(rows);
  for (let r = 0; r < rows; r++) out[r] = Array.from(p.data.subarray(r * size, (r + 1) * size));
  return out;
}

/** A value made JSON-safe: non-finite numbers as 'NaN', 'Infinity', '-Infinity' (tensorkit's convention). */
function toJsonSafe(v: unknown, depth = 0): unknown {
  if (depth > 32) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (Array.isArray(v)) return v.map((x) => toJsonSafe(x, depth + 1));
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>, (x) => toJsonSafe(x, depth + 1));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (typeof x !== 'function' && x !== undefined) out[k] = toJsonSafe(x, depth + 1);
    return out;
  }
  return typeof v === 'bigint' ? String(v) : v;
}

function byVersion(a: string, b: string): number {
  const na = Number(a), nb = Number(b);
  return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
}
