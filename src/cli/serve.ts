import cluster from 'node:cluster';
import { readFile } from 'node:fs/promises';
import { ArgumentError, TensorkitError } from '../tensor/index';
import { parseJsonStrict } from '../io/json';
import { createServer, type ApiKey, type InferenceServer, type ServerOptions } from '../serve/index';
import { ModelRegistry } from '../io/registry';
import { isJsonObject, type Json } from '../io/json';
import { flagHelp, parseFlags, type FlagSpec } from './args';

export const SERVE_FLAGS: Record<string, FlagSpec> = {
  registry: { kind: 'string', help: 'the ModelRegistry directory to serve (required)' },
  port: { kind: 'int', min: 0, max: 65535, help: 'port to listen on (default 8080; 0 picks a free one)' },
  'grpc-port': { kind: 'int', min: 0, max: 65535, help: 'also serve the protocol over gRPC (HTTP/2) on this port (0 picks a free one)' },
  host: { kind: 'string', help: 'address to bind (default 127.0.0.1; 0.0.0.0 in a container)' },
  workers: { kind: 'int', min: 1, max: 256, help: 'worker processes sharing the port through node:cluster (default 1)' },
  keys: { kind: 'string', help: 'JSON file of API keys: [{ "id", "sha256", "scopes", "rate"?, "burst"? }]' },
  audit: { kind: 'string', help: 'audit log file (JSON lines; with --workers N, worker i writes <file>.<i>)' },
  'verify-key': { kind: 'string', help: 'JSON Web Key file of a public key: serve only versions whose signature (vN.sig) verifies' },
  'max-batch-size': { kind: 'int', min: 1, help: 'turn on micro-batching with this many rows per pass (default 32 with --max-delay-ms)' },
  'max-delay-ms': { kind: 'int', min: 0, help: 'turn on micro-batching with this longest wait, in ms (default 2 with --max-batch-size)' },
  'max-body-bytes': { kind: 'int', min: 1, help: 'largest request body (default 16 MiB)' },
  'body-timeout-ms': { kind: 'int', min: 1, help: 'time allowed for a request body to arrive (default 30 000)' },
  'poll-ms': { kind: 'int', min: 0, help: "how often to follow the registry's latest (default 2000; 0 never)" },
  help: { kind: 'bool', help: 'print this help' },
};

export const SERVE_USAGE = `Usage: tensorkit serve --registry DIR [flags]

Serves every model of a ModelRegistry over the Open Inference Protocol v2 (KServe) REST API,
and over its gRPC API with --grpc-port.
SIGTERM or SIGINT drains the requests in flight, then exits.

${flagHelp(SERVE_FLAGS)}
`;

/** What the serve command prints and how it ends; a seam for tests. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** The JSON document of a file named by a flag; unreadable or malformed files are ArgumentErrors naming the flag. */
async function readJsonFlag(flag: string, path: string, maxDepth: number): Promise<Json> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ArgumentError(`serve: --${flag} ${path} cannot be read (${(e as { code?: string }).code ?? 'error'})`);
  }
  try {
    return parseJsonStrict(text, { what: `serve: --${flag} ${path}`, maxDepth });
  } catch (e) {
    throw new ArgumentError((e as Error).message);
  }
}

async function readKeys(path: string): Promise<ApiKey[]> {
  const doc = await readJsonFlag('keys', path, 8);
  if (!Array.isArray(doc)) throw new ArgumentError(`serve: --keys ${path} must hold a JSON array of keys`);
  return doc as unknown as ApiKey[];
}

/** The public key of --verify-key: a JSON Web Key file. */
async function readVerifyKey(path: string): Promise<JsonWebKey> {
  const doc = await readJsonFlag('verify-key', path, 4);
  if (!isJsonObject(doc) || typeof doc.kty !== 'string') throw new ArgumentError(`serve: --verify-key ${path} must hold one JSON Web Key (an object with kty)`);
  if (typeof doc.d === 'string') throw new ArgumentError(`serve: --verify-key ${path} holds a private key; give the public key only`);
  return doc as unknown as JsonWebKey;
}

/** The server options the flags ask for (validated by createServer). */
async function optionsOf(flags: Record<string, string | number | boolean>, worker: number | null): Promise<ServerOptions> {
  const dir = flags.registry as string;
  const o: ServerOptions = {
    registry: flags['verify-key'] === undefined ? dir : new ModelRegistry(dir, { verifyKey: await readVerifyKey(flags['verify-key'] as string) }),
  };
  if (flags.keys !== undefined) o.auth = { keys: await readKeys(flags.keys as string) };
  if (flags.audit !== undefined) o.audit = worker === null ? (flags.audit as string) : `${flags.audit as string}.${worker}`;
  if (flags['max-batch-size'] !== undefined || flags['max-delay-ms'] !== undefined) {
    o.batching = {};
    if (flags['max-batch-size'] !== undefined) o.batching.maxBatchSize = flags['max-batch-size'] as number;
    if (flags['max-delay-ms'] !== undefined) o.batching.maxDelayMs = flags['max-delay-ms'] as number;
  }
  const limits: NonNullable<ServerOptions['limits']> = {};
  if (flags['max-body-bytes'] !== undefined) limits.maxBodyBytes = flags['max-body-bytes'] as number;
  if (flags['body-timeout-ms'] !== undefined) limits.bodyTimeoutMs = flags['body-timeout-ms'] as number;
  o.limits = limits;
  if (flags['poll-ms'] !== undefined) o.pollMs = flags['poll-ms'] as number;
  return o;
}

/** Runs one server in this process until SIGTERM/SIGINT (or a 'shutdown' message from the cluster primary). */
async function serveHere(flags: Record<string, string | number | boolean>, io: CliIo, worker: number | null): Promise<number> {
  const server: InferenceServer = createServer(await optionsOf(flags, worker));
  const host = (flags.host as string | undefined) ?? '127.0.0.1';
  const addr = await server.listen((flags.port as number | undefined) ?? 8080, host);
  const grpcAddr = flags['grpc-port'] === undefined ? null : await server.listenGrpc(flags['grpc-port'] as number, host);
  if (worker === null) io.out(`tensorkit serve: listening on http://${addr.address}:${addr.port}${grpcAddr === null ? '' : `, gRPC on ${grpcAddr.address}:${grpcAddr.port}`}`);
  else process.send!({ type: 'listening', address: addr.address, port: addr.port, grpcPort: grpcAddr?.port });
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (why: string): void => {
      if (stopping) return;
      stopping = true;
      if (worker === null) io.out(`tensorkit serve: ${why}: draining`);
      server.close().then(() => {
        if (worker === null) io.out('tensorkit serve: shut down');
        resolve(0);
      }, () => resolve(1));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    if (worker !== null) process.on('message', (m) => (m as { type?: string })?.type === 'shutdown' && stop('shutdown'));
  });
}

/** The cluster primary: forks the workers, reports once all listen, forwards SIGTERM and waits for them. */
async function servePrimary(io: CliIo, n: number): Promise<number> {
  const workers = Array.from({ length: n }, (_, i) => cluster.fork({ TENSORKIT_SERVE_WORKER: String(i + 1) }));
  let failed = false;
  const listening = workers.map((w) => new Promise<{ address: string; port: number; grpcPort?: number }>((resolve, reject) => {
    w.on('message', (m: { type?: string; address?: string; port?: number; grpcPort?: number }) => {
      if (m?.type === 'listening') resolve({ address: m.address!, port: m.port!, grpcPort: m.grpcPort });
    });
    w.once('exit', (code) => reject(new TensorkitError('INVALID_ARGUMENT', `serve: worker ${w.id} exited with code ${code} before listening`)));
  }));
  let addr: { address: string; port: number; grpcPort?: number };
  try {
    addr = (await Promise.all(listening))[0];
  } catch (e) {
    for (const w of workers) if (!w.isDead()) w.kill('SIGTERM');
    io.err((e as Error).message);
    return 1;
  }
  io.out(`tensorkit serve: listening on http://${addr.address}:${addr.port}${addr.grpcPort === undefined ? '' : `, gRPC on ${addr.address}:${addr.grpcPort}`} (${n} workers)`);
  return new Promise((resolve) => {
    let alive = n;
    let stopping = false;
    for (const w of workers) {
      w.on('exit', (code) => {
        if (code !== 0) failed = true;
        if (--alive === 0) {
          io.out('tensorkit serve: shut down');
          resolve(failed ? 1 : 0);
        } else if (!stopping) io.err(`tensorkit serve: worker ${w.id} exited with code ${code}`);
      });
    }
    const stop = (why: string): void => {
      if (stopping) return;
      stopping = true;
      io.out(`tensorkit serve: ${why}: draining ${alive} workers`);
      for (const w of workers) if (!w.isDead()) w.send({ type: 'shutdown' });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/**
 * `tensorkit serve`: parses the flags, then serves in this process (`--workers 1`) or as a cluster
 * primary with N workers sharing the port. Resolves with the exit code once shut down.
 * @throws ArgumentError for bad flags (printed without a stack by the CLI).
 */
export async function serveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const worker = cluster.isPrimary ? null : Number(process.env.TENSORKIT_SERVE_WORKER ?? cluster.worker?.id ?? 0);
  const flags = parseFlags('serve', argv, SERVE_FLAGS);
  if (flags.help === true) {
    io.out(SERVE_USAGE);
    return 0;
  }
  if (flags.registry === undefined) throw new ArgumentError('serve: --registry DIR is required (the ModelRegistry directory to serve)');
  const n = (flags.workers as number | undefined) ?? 1;
  if (worker === null && n > 1) return servePrimary(io, n);
  return serveHere(flags, io, worker);
}
