import { connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { gzipSync } from 'node:zlib';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Tensor } from '../../src/tensor/index';
import { createServer, SERVER_VERSION, type InferenceServer, type ServerOptions } from '../../src/serve/index';
import { direct, mlp, start } from './helpers';

// The client side is the protocol's own .proto (test/fixtures/grpc_predict_v2.proto, KServe's
// grpc_predict_v2.proto) compiled by @grpc/proto-loader and called through @grpc/grpc-js: nothing
// of tensorkit's codec is used to talk to the server.
const PROTO = resolve(__dirname, '../fixtures/grpc_predict_v2.proto');
const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
const inference = (grpc.loadPackageDefinition(definition).inference as grpc.GrpcObject);
const Service = inference.GRPCInferenceService as grpc.ServiceClientConstructor;
// The same .proto's serializers, for messages sent and read over raw node:http2.
const methods = definition['inference.GRPCInferenceService'] as unknown as Record<string, { requestSerialize(m: object): Buffer; responseDeserialize(b: Buffer): Record<string, unknown> }>;
const encodeInfer = (m: object): Buffer => methods.ModelInfer.requestSerialize(m);

type Msg = Record<string, unknown>;
interface Contents { bool_contents: boolean[]; int_contents: number[]; int64_contents: number[]; uint_contents: number[]; uint64_contents: number[]; fp32_contents: number[]; fp64_contents: number[] }
interface OutTensor { name: string; datatype: string; shape: number[]; contents: Contents | null }
interface InferResponse { model_name: string; model_version: string; id: string; outputs: OutTensor[]; raw_output_contents: Buffer[] }

const clients: grpc.Client[] = [];
const sessions: ClientHttp2Session[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const s of sessions.splice(0)) s.destroy();
});

/** A gRPC client of the service whose calls resolve with the response or reject with the ServiceError. */
function client(port: number, options: grpc.ClientOptions = {}): (method: string, request: Msg, metadata?: Record<string, string>) => Promise<Msg> {
  const c = new Service(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options);
  clients.push(c);
  return (method, request, metadata = {}) => new Promise((res, rej) => {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(metadata)) md.set(k, v);
    (c as unknown as Record<string, (r: Msg, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, out: Msg) => void) => void>)[method](request, md, (e, out) => (e === null ? res(out) : rej(e)));
  });
}

/** Starts a server on 127.0.0.1 with REST and gRPC on port 0 (closed after the test by the helpers). */
async function both(options: ServerOptions): Promise<{ server: InferenceServer; call: ReturnType<typeof client>; rest: Awaited<ReturnType<typeof start>>['client']; port: number }> {
  const { server, client: rest } = await start(options);
  const { port } = await server.listenGrpc(0, '127.0.0.1');
  return { server, call: client(port), rest, port };
}

/** The gRPC error of a call that must fail. */
async function failure(p: Promise<unknown>): Promise<grpc.ServiceError> {
  const r = await p.then(() => null, (e: grpc.ServiceError) => e);
  expect(r, 'the call must fail').not.toBeNull();
  return r!;
}

/** a (FP32) and b (INT64) → sum = a + b (FP32), count = b + 1 (INT64), positive = a > 0 (BOOL), third = a / 3 (FP64). */
class Mixed {
  forward(a: Tensor, b: Tensor): Tensor[] {
    const n = a.size;
    const sum = new Float32Array(n), count = new Float32Array(n), pos = new Float32Array(n), third = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      sum[i] = a.data[i] + b.data[i];
      count[i] = b.data[i] + 1;
      pos[i] = a.data[i] > 0 ? 1 : 0;
      third[i] = a.data[i] / 3;
    }
    return [new Tensor(sum, a.shape), new Tensor(count, a.shape), new Tensor(pos, a.shape), new Tensor(third, a.shape)];
  }
}
const MIXED = {
  inputs: [{ name: 'a', shape: [-1, 2] }, { name: 'b', shape: [-1, 2], datatype: 'INT64' as const }],
  outputs: [{ name: 'sum' }, { name: 'count', datatype: 'INT64' as const }, { name: 'positive', datatype: 'BOOL' as const }, { name: 'third', datatype: 'FP64' as const }],
};
const A = [0.5, -1, 2.25, 0];
const B = [1, -2, 40, 2 ** 40];

/** Little-endian bytes of `values` written by a DataView setter of `size` bytes. */
function le(values: number[], size: number, set: (dv: DataView, off: number, v: number) => void): Buffer {
  const b = Buffer.alloc(values.length * size);
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  values.forEach((v, i) => set(dv, i * size, v));
  return b;
}
const f32le = (vs: number[]) => le(vs, 4, (dv, o, v) => dv.setFloat32(o, v, true));
const i64le = (vs: number[]) => le(vs, 8, (dv, o, v) => dv.setBigInt64(o, BigInt(v), true));
function readLe(b: Buffer, size: number, get: (dv: DataView, off: number) => number): number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  return Array.from({ length: b.length / size }, (_, i) => get(dv, i * size));
}

describe('Open Inference Protocol v2 over gRPC: health and metadata', () => {
  it('answers ServerLive, ServerReady, ServerMetadata, ModelReady and ModelMetadata as REST does', async () => {
    const { call, rest } = await both({ models: { mlp: { versions: { '1': mlp(1), '2': mlp(2) }, defaultVersion: '1' } } });
    expect(await call('ServerLive', {})).toEqual({ live: true });
    expect(await call('ServerReady', {})).toEqual({ ready: true });
    const meta = await call('ServerMetadata', {});
    expect(meta).toEqual({ name: 'tensorkit', version: SERVER_VERSION, extensions: (await rest.serverMetadata()).extensions });
    expect(meta.extensions).toContain('model_repository');
    expect(await call('ModelReady', { name: 'mlp' })).toEqual({ ready: true });
    expect(await call('ModelReady', { name: 'mlp', version: '2' })).toEqual({ ready: true });
    const m = await call('ModelMetadata', { name: 'mlp' });
    expect(m).toEqual({
      name: 'mlp', versions: ['1', '2'], platform: 'tensorkit',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3] }],
      outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 2] }],
    });
    expect(m).toEqual(await rest.modelMetadata('mlp'));
  });

  it('answers an unknown model or version with NOT_FOUND and the REST message', async () => {
    const { call } = await both({ models: { mlp: mlp() } });
    const e = await failure(call('ModelMetadata', { name: 'nope' }));
    expect(e.code).toBe(grpc.status.NOT_FOUND);
    expect(e.details).toMatch(/unknown model "nope"/);
    expect((await failure(call('ModelMetadata', { name: 'mlp', version: '7' }))).code).toBe(grpc.status.NOT_FOUND);
    expect((await failure(call('ModelReady', { name: 'nope' }))).code).toBe(grpc.status.NOT_FOUND);
    const req = { model_name: 'nope', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } }] };
    expect((await failure(call('ModelInfer', req))).code).toBe(grpc.status.NOT_FOUND);
  });
});

describe('Open Inference Protocol v2 over gRPC: ModelInfer', () => {
  const rows = [[1, -2, 0.5], [0, 3, -1]];

  it('computes what the model computes with fp32_contents, identical to REST, echoing the id and naming the version', async () => {
    const model = mlp();
    const { call, rest } = await both({ models: { mlp: model } });
    const r = (await call('ModelInfer', { model_name: 'mlp', id: 'q-1', inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 3], contents: { fp32_contents: rows.flat() } }] })) as unknown as InferResponse;
    expect(r).toMatchObject({ model_name: 'mlp', model_version: '1', id: 'q-1', raw_output_contents: [] });
    expect(r.outputs).toHaveLength(1);
    expect(r.outputs[0]).toMatchObject({ name: 'output', datatype: 'FP32', shape: [2, 2] });
    const want = (await rest.infer('mlp', { inputs: [{ name: 'input', shape: [2, 3], datatype: 'FP32', data: rows.flat() }] })).outputs[0].data;
    expect(r.outputs[0].contents!.fp32_contents).toEqual(want);
    expect(r.outputs[0].contents!.fp32_contents).toEqual(direct(model, rows));
    const v1 = (await call('ModelInfer', { model_name: 'mlp', model_version: '1', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: rows[0] } }] })) as unknown as InferResponse;
    expect(v1.model_version).toBe('1');
  });

  it('takes fp32 and int64 contents and answers each output in the typed field of its datatype, as REST', async () => {
    const { call, rest } = await both({ models: { mixed: new Mixed() }, signatures: { mixed: MIXED } });
    const r = (await call('ModelInfer', {
      model_name: 'mixed',
      inputs: [
        { name: 'b', datatype: 'INT64', shape: [2, 2], contents: { int64_contents: B } },
        { name: 'a', datatype: 'FP32', shape: [2, 2], contents: { fp32_contents: A } },
      ],
    })) as unknown as InferResponse;
    const byName = Object.fromEntries(r.outputs.map((o) => [o.name, o]));
    expect(r.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([['sum', 'FP32', [2, 2]], ['count', 'INT64', [2, 2]], ['positive', 'BOOL', [2, 2]], ['third', 'FP64', [2, 2]]]);
    // b + 1 in float32: 2^40 + 1 rounds to 2^40 (24 significant bits), as REST answers it too.
    expect(byName.count.contents!.int64_contents).toEqual([2, -1, 41, 2 ** 40]);
    expect(byName.positive.contents!.bool_contents).toEqual([true, false, true, false]);
    const json = await rest.infer('mixed', { inputs: [{ name: 'a', shape: [2, 2], datatype: 'FP32', data: A }, { name: 'b', shape: [2, 2], datatype: 'INT64', data: B }] });
    const want = Object.fromEntries(json.outputs.map((o) => [o.name, o.data]));
    expect(byName.sum.contents!.fp32_contents).toEqual(want.sum);
    expect(byName.count.contents!.int64_contents).toEqual(want.count);
    expect(byName.positive.contents!.bool_contents).toEqual(want.positive);
    expect(byName.third.contents!.fp64_contents).toEqual(want.third);
    // Only the requested outputs, in the requested order.
    const some = (await call('ModelInfer', {
      model_name: 'mixed', outputs: [{ name: 'positive' }, { name: 'sum' }],
      inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [1, -1] } }, { name: 'b', datatype: 'INT64', shape: [1, 2], contents: { int64_contents: [0, 0] } }],
    })) as unknown as InferResponse;
    expect(some.outputs.map((o) => o.name)).toEqual(['positive', 'sum']);
  });

  it('takes raw_input_contents (little-endian) and answers with raw_output_contents, identical to REST', async () => {
    const { call, rest } = await both({ models: { mixed: new Mixed() }, signatures: { mixed: MIXED } });
    const r = (await call('ModelInfer', {
      model_name: 'mixed',
      inputs: [{ name: 'a', datatype: 'FP32', shape: [2, 2] }, { name: 'b', datatype: 'INT64', shape: [2, 2] }],
      raw_input_contents: [f32le(A), i64le(B)],
    })) as unknown as InferResponse;
    expect(r.outputs.every((o) => o.contents === null)).toBe(true);
    expect(r.raw_output_contents.map((b) => b.length)).toEqual([16, 32, 4, 32]);
    const json = await rest.infer('mixed', { inputs: [{ name: 'a', shape: [2, 2], datatype: 'FP32', data: A }, { name: 'b', shape: [2, 2], datatype: 'INT64', data: B }] });
    const [sum, count, positive, third] = r.raw_output_contents;
    expect(readLe(sum, 4, (dv, o) => dv.getFloat32(o, true))).toEqual(json.outputs[0].data);
    expect(readLe(count, 8, (dv, o) => Number(dv.getBigInt64(o, true)))).toEqual(json.outputs[1].data);
    expect([...positive].map((x) => x === 1)).toEqual(json.outputs[2].data);
    expect(readLe(third, 8, (dv, o) => dv.getFloat64(o, true))).toEqual(json.outputs[3].data);
  });

  it('answers shape × data mismatches and other request mistakes with INVALID_ARGUMENT and the REST wording', async () => {
    const { call } = await both({ models: { mlp: mlp(), mixed: new Mixed() }, signatures: { mixed: MIXED } });
    const one = (input: Msg, extra: Msg = {}) => call('ModelInfer', { model_name: 'mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], ...input }], ...extra });
    const cases: [Promise<unknown>, RegExp][] = [
      [one({ contents: { fp32_contents: [1, 2] } }), /shape \[1, 3\] holds 3 elements but data has 2/],
      [one({ shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }), /shape \[1, 4\] does not match the model's \[-1, 3\]/],
      [one({ name: 'x', contents: { fp32_contents: [1, 2, 3] } }), /no input "x"/],
      [one({ datatype: 'FP64', contents: { fp64_contents: [1, 2, 3] } }), /datatype FP64 does not match the model's FP32/],
      [one({ contents: { int_contents: [1, 2, 3] } }), /datatype FP32 travels in fp32_contents, got int_contents/],
      [one({}, { raw_input_contents: [Buffer.alloc(7)] }), /raw_input_contents\[0\] has 7 bytes, not a multiple of 4/],
      [one({ contents: { fp32_contents: [1, 2, 3] } }, { raw_input_contents: [f32le([1, 2, 3])] }), /has contents while the request has raw_input_contents/],
      [one({ contents: { fp32_contents: [1, 2, 3] } }, { outputs: [{ name: 'logits' }] }), /no output "logits"/],
      [call('ModelInfer', { model_name: 'mlp', inputs: [] }), /inputs must be a non-empty array/],
      [call('ModelInfer', { model_name: 'mixed', inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [1, 2] } }, { name: 'b', datatype: 'INT64', shape: [1, 2], contents: { int64_contents: ['9007199254740993', 0] } }] }), /integer in \[-9007199254740991, 9007199254740991\] for datatype INT64/],
    ];
    for (const [p, msg] of cases) {
      const e = await failure(p);
      expect(e.code, String(msg)).toBe(grpc.status.INVALID_ARGUMENT);
      expect(e.details, String(msg)).toMatch(msg);
    }
  });

  it('refuses a message over limits.maxBodyBytes with RESOURCE_EXHAUSTED, and keeps serving', async () => {
    const { call } = await both({ models: { mlp: mlp() }, limits: { maxBodyBytes: 1000 } });
    const big = { model_name: 'mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [100_000, 3], contents: { fp32_contents: new Array(300_000).fill(1) } }] };
    const e = await failure(call('ModelInfer', big));
    expect(e.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(e.details).toMatch(/over the limit of 1000 bytes/);
    const ok = (await call('ModelInfer', { model_name: 'mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } }] })) as unknown as InferResponse;
    expect(ok.outputs[0].contents!.fp32_contents).toHaveLength(2);
  });

  it('goes through the same batcher, monitor and metrics as REST', async () => {
    const model = mlp();
    const seen: number[][][] = [];
    const monitor = { observe: (o: { inputs: number[][] }) => seen.push(o.inputs), report: () => ({ features: [] }) };
    const { call, server } = await both({ models: { mlp: model }, batching: { maxBatchSize: 16, maxDelayMs: 20 }, monitor: { mlp: monitor } });
    const inputs = Array.from({ length: 8 }, (_, i) => [i, -i, 0.5 * i]);
    const outs = (await Promise.all(inputs.map((row) => call('ModelInfer', { model_name: 'mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: row } }] })))) as unknown as InferResponse[];
    // Results identical to the unbatched forward pass of each row (the js backend sums rows alike;
    // wasm may differ in the last bit between a stacked pass and a single row).
    outs.forEach((o, i) => {
      const want = direct(model, [inputs[i]]);
      o.outputs[0].contents!.fp32_contents.forEach((v, j) => expect(v).toBeCloseTo(want[j], 5));
    });
    expect(seen.map((s) => s[0]).sort((x, y) => x[0] - y[0])).toEqual(inputs);
    const text = server.metricsText();
    expect(text).toContain('tensorkit_requests_total{code="200",endpoint="infer",model="mlp",version="1"} 8');
    expect(text).toMatch(/tensorkit_batch_size_sum\{model="mlp",version="1"\} 8\n/);
    await failure(call('ModelMetadata', { name: 'zzz' }));
    expect(server.metricsText()).toContain('tensorkit_requests_total{code="404",endpoint="model_metadata",model="zzz",version=""} 1');
  });
});

describe('Open Inference Protocol v2 over gRPC: API keys from metadata', () => {
  const ALICE = 'alice-key-0123456789';
  const ROOT = 'root-key-0123456789ab';
  const keys = [
    { id: 'alice', key: ALICE, scopes: ['infer:a'], rate: 1, burst: 2 },
    { id: 'root', key: ROOT, scopes: ['admin'] },
  ];
  const req = (model: string) => ({ model_name: model, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } }] });

  it('reads authorization and x-api-key as the REST headers: UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED', async () => {
    const { call } = await both({ models: { a: mlp(1), b: mlp(2) }, auth: { keys } });
    const none = await failure(call('ModelInfer', req('a')));
    expect(none.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(none.details).toMatch(/an API key is required/);
    expect((await failure(call('ModelInfer', req('a'), { authorization: `Bearer ${ALICE}x` }))).code).toBe(grpc.status.UNAUTHENTICATED);
    // Without a key even the names of models stay hidden: UNAUTHENTICATED, not NOT_FOUND.
    expect((await failure(call('ModelMetadata', { name: 'nope' }))).code).toBe(grpc.status.UNAUTHENTICATED);
    const denied = await failure(call('ModelInfer', req('b'), { authorization: `Bearer ${ALICE}` }));
    expect(denied.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(denied.details).toMatch(/key "alice" does not have scope infer:b/);
    // alice's bucket holds 2 (a call out of scope takes none): these two empty it, the next is over.
    await call('ModelInfer', req('a'), { 'x-api-key': ALICE });
    await call('ModelReady', { name: 'a' }, { authorization: `Bearer ${ALICE}` });
    const limited = await failure(call('ModelInfer', req('a'), { 'x-api-key': ALICE }));
    expect(limited.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(limited.details).toMatch(/over its rate limit/);
    expect(await call('ServerMetadata', {}, { authorization: `Bearer ${ROOT}` })).toMatchObject({ name: 'tensorkit' });
    expect((await failure(call('ServerMetadata', {}))).code).toBe(grpc.status.UNAUTHENTICATED);
    // Health stays open for probes, as on REST.
    expect(await call('ServerLive', {})).toEqual({ live: true });
  });
});

/** One unary call over raw node:http2: the frames given, then the answer's headers, trailers and body. */
async function rawCall(port: number, path: string, frames: Buffer[], headers: Record<string, string> = {}): Promise<{ headers: IncomingHttpHeaders; trailers: IncomingHttpHeaders; body: Buffer }> {
  const s = connect(`http://127.0.0.1:${port}`);
  sessions.push(s);
  const stream = s.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...headers });
  return new Promise((res, rej) => {
    let head: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (head = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => res({ headers: head, trailers, body: Buffer.concat(chunks) }));
    stream.on('error', rej);
    for (const f of frames) stream.write(f);
    stream.end();
  });
}

/** A gRPC length-prefixed message. */
function frame(message: Buffer, compressed = false): Buffer {
  const b = Buffer.alloc(5 + message.length);
  b[0] = compressed ? 1 : 0;
  b.writeUInt32BE(message.length, 1);
  message.copy(b, 5);
  return b;
}

/** The grpc-status of a raw answer: in the trailers, or in the headers of a trailers-only answer. */
const statusOf = (r: { headers: IncomingHttpHeaders; trailers: IncomingHttpHeaders }): number => Number(r.trailers['grpc-status'] ?? r.headers['grpc-status']);

describe('Open Inference Protocol v2 over gRPC: framing', () => {
  const INFER = '/inference.GRPCInferenceService/ModelInfer';

  it('answers a malformed protobuf message with INVALID_ARGUMENT and stays up', async () => {
    const { port, call } = await both({ models: { mlp: mlp() } });
    // Field 5 (inputs), length-delimited, claiming 100 bytes where 2 follow.
    const bad = await rawCall(port, INFER, [frame(Buffer.from([0x2a, 100, 1, 2]))]);
    expect(bad.headers[':status']).toBe(200);
    expect(statusOf(bad)).toBe(grpc.status.INVALID_ARGUMENT);
    expect(decodeURIComponent(String(bad.headers['grpc-message']))).toMatch(/malformed ModelInferRequest: inputs\[0\]: length 100 past the end/);
    // A frame whose header promises more bytes than arrive, and a body that is not a frame at all.
    expect(statusOf(await rawCall(port, INFER, [Buffer.from([0, 0, 0, 0, 9, 1, 2])]))).toBe(grpc.status.INVALID_ARGUMENT);
    expect(statusOf(await rawCall(port, INFER, [Buffer.from([7, 0, 0, 0, 0])]))).toBe(grpc.status.INVALID_ARGUMENT);
    expect(statusOf(await rawCall(port, INFER, []))).toBe(grpc.status.INVALID_ARGUMENT);
    expect(statusOf(await rawCall(port, INFER, [frame(Buffer.alloc(0)), frame(Buffer.alloc(0))]))).toBe(grpc.status.INVALID_ARGUMENT);
    expect(statusOf(await rawCall(port, '/inference.GRPCInferenceService/Nope', [frame(Buffer.alloc(0))]))).toBe(grpc.status.UNIMPLEMENTED);
    expect(statusOf(await rawCall(port, '/inference.GRPCInferenceService/constructor', [frame(Buffer.alloc(0))]))).toBe(grpc.status.UNIMPLEMENTED);
    expect(await call('ServerLive', {})).toEqual({ live: true });
  });

  it('survives garbage, HTTP/1.1 and calls reset mid-message, and counts none of them in flight afterwards', async () => {
    const { port, call, server } = await both({ models: { mlp: mlp() } });
    const { connect: tcp } = await import('node:net');
    for (const bytes of ['GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n', '\x00\xff garbage that is no HTTP/2 preface']) {
      const sock = tcp(port, '127.0.0.1');
      sock.on('error', () => undefined);
      // Read the server's answer (a GOAWAY), so that its end of the connection is seen.
      sock.resume();
      await new Promise((r) => sock.on('connect', r));
      sock.write(bytes);
      await new Promise((r) => sock.on('close', r));
    }
    const s = connect(`http://127.0.0.1:${port}`);
    sessions.push(s);
    const stream = s.request({ ':method': 'POST', ':path': INFER, 'content-type': 'application/grpc', te: 'trailers' });
    stream.on('error', () => undefined);
    stream.write(Buffer.from([0, 0, 0, 0, 50, 1, 2]));
    await new Promise((r) => setTimeout(r, 50));
    stream.close(0x8); // RST_STREAM CANCEL, as a client whose deadline passed
    await new Promise((r) => stream.on('close', r));
    expect(await call('ServerLive', {})).toEqual({ live: true });
    await new Promise((r) => setTimeout(r, 50));
    expect(server.metricsText()).toMatch(/tensorkit_in_flight_requests 0\n/);
  });

  it('refuses a message length over the limit before reading it', async () => {
    const { port } = await both({ models: { mlp: mlp() }, limits: { maxBodyBytes: 1000 } });
    // The header alone claims 2^31 bytes; nothing of the body is sent.
    const r = await rawCall(port, INFER, [Buffer.from([0, 0x80, 0, 0, 0])]);
    expect(statusOf(r)).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(decodeURIComponent(String(r.headers['grpc-message']))).toMatch(/2147483648 bytes is over the limit of 1000 bytes/);
  });

  it('answers a call whose message does not arrive within limits.bodyTimeoutMs with DEADLINE_EXCEEDED', async () => {
    const { port } = await both({ models: { mlp: mlp() }, limits: { bodyTimeoutMs: 150 } });
    const s = connect(`http://127.0.0.1:${port}`);
    sessions.push(s);
    const stream = s.request({ ':method': 'POST', ':path': INFER, 'content-type': 'application/grpc', te: 'trailers' });
    const head = new Promise<IncomingHttpHeaders>((r) => stream.on('response', r));
    stream.on('error', () => undefined);
    // The header promises 100 bytes; 3 arrive, then nothing.
    stream.write(Buffer.from([0, 0, 0, 0, 100, 1, 2, 3]));
    const h = await head;
    expect(Number(h['grpc-status'])).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(decodeURIComponent(String(h['grpc-message']))).toMatch(/did not arrive within 150 ms/);
  });

  it('inflates gzip messages within the limit and refuses other encodings with UNIMPLEMENTED', async () => {
    const { port } = await both({ models: { mlp: mlp() }, limits: { maxBodyBytes: 4000 } });
    const msg = encodeInfer({ model_name: 'mlp', id: 'z', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } }] });
    const ok = await rawCall(port, INFER, [frame(gzipSync(msg), true)], { 'grpc-encoding': 'gzip' });
    expect(statusOf(ok)).toBe(grpc.status.OK);
    expect(ok.body.readUInt32BE(1)).toBe(ok.body.length - 5);
    // A bomb: 1 MB of zeros in a few kB of gzip inflates past the limit.
    const bomb = await rawCall(port, INFER, [frame(gzipSync(Buffer.alloc(1 << 20)), true)], { 'grpc-encoding': 'gzip' });
    expect(statusOf(bomb)).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const other = await rawCall(port, INFER, [frame(msg, true)], { 'grpc-encoding': 'snappy' });
    expect(statusOf(other)).toBe(grpc.status.UNIMPLEMENTED);
    expect(other.headers['grpc-accept-encoding']).toBe('identity,gzip,deflate');
    const notGrpc = await rawCall(port, INFER, [frame(msg)], { 'content-type': 'application/json' });
    expect(notGrpc.headers[':status']).toBe(415);
  });

  it('answers through grpc-js with gzip compression on', async () => {
    const model = mlp();
    const { port } = await both({ models: { mlp: model } });
    const call = client(port, { 'grpc.default_compression_algorithm': 2, 'grpc.default_compression_level': 2 });
    const r = (await call('ModelInfer', { model_name: 'mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } }] })) as unknown as InferResponse;
    expect(r.outputs[0].contents!.fp32_contents).toEqual(direct(model, [[1, 2, 3]]));
  });

  it('close() drains the call in flight on both transports, then refuses connections', async () => {
    const server = createServer({ models: { m: mlp() }, log: () => undefined });
    await server.listen(0, '127.0.0.1');
    const { port } = await server.listenGrpc(0, '127.0.0.1');
    const msg = frame(encodeInfer({ model_name: 'm', id: 'late', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } }] }));
    // A call whose message is half sent when close() is called: it must still be answered.
    const s = connect(`http://127.0.0.1:${port}`);
    sessions.push(s);
    const stream = s.request({ ':method': 'POST', ':path': INFER, 'content-type': 'application/grpc', te: 'trailers' });
    let trailers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((r) => stream.on('end', r));
    stream.write(msg.subarray(0, 10));
    await new Promise((r) => setTimeout(r, 100));
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false);
    // New connections are refused while the call drains.
    await expect(failure(client(port)('ServerLive', {}))).resolves.toMatchObject({ code: grpc.status.UNAVAILABLE });
    stream.end(msg.subarray(10));
    await ended;
    await closing;
    expect(trailers['grpc-status']).toBe('0');
    const response = methods.ModelInfer.responseDeserialize(Buffer.concat(chunks).subarray(5));
    expect(response).toMatchObject({ id: 'late', model_version: '1' });
  });
});
