import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as protoLoader from '@grpc/proto-loader';
import { ProtoReader, ProtoWriter } from '../../src/io/onnx/protobuf';
import { decodeInferRequest, encodeInferResponse, encodeModelMetadata } from '../../src/serve/grpc-messages';
import { encodeGrpcMessage, grpcStatusOf } from '../../src/serve/grpc';
import { decodeBinary, type Datatype } from '../../src/serve/datatypes';
import { HttpError } from '../../src/serve/http';

// The reference encoder and decoder: protobufjs through @grpc/proto-loader, from the protocol's own
// .proto. Each datatype's typed and raw forms are encoded by it and decoded by tensorkit, and the
// other way round.
const PROTO = resolve(__dirname, '../fixtures/grpc_predict_v2.proto');
const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: String, defaults: true, oneofs: true });
type Serde = { requestSerialize(m: object): Buffer; responseDeserialize(b: Buffer): Record<string, unknown> };
const service = definition['inference.GRPCInferenceService'] as unknown as Record<string, Serde>;
const request = (m: object): Uint8Array => service.ModelInfer.requestSerialize(m);
const response = (b: Uint8Array): Record<string, unknown> => service.ModelInfer.responseDeserialize(Buffer.from(b));

function refused(f: () => unknown, status: number, msg: RegExp): void {
  let e: unknown = null;
  try {
    f();
  } catch (x) {
    e = x;
  }
  expect(e).toBeInstanceOf(HttpError);
  expect((e as HttpError).status).toBe(status);
  expect((e as HttpError).message).toMatch(msg);
}

describe('io protobuf codec: the additions for gRPC', () => {
  it('writes and reads packed doubles, and 64-bit varints over their whole range', () => {
    const ds = [0, -0.5, 1e308, Number.MIN_VALUE, Infinity, -Infinity];
    const signed = [-(2n ** 63n), -1n, 0n, 2n ** 53n + 1n, 2n ** 63n - 1n];
    const unsigned = [0n, 2n ** 63n, 2n ** 64n - 1n];
    const bytes = new ProtoWriter().packedDoubles(1, ds).packedVarints(2, signed).packedVarints(3, unsigned).double(4, 2.5).uint(5, -7).finish();
    const r = new ProtoReader(bytes);
    const got: unknown[] = [];
    for (let f = r.next(); f !== null; f = r.next()) {
      if (f.field === 1 || f.field === 4) got.push(r.doubles('d'));
      else got.push(r.bigVarints('v', f.field !== 3));
    }
    expect(got).toEqual([ds, signed, unsigned, [2.5], [-7n]]);
    expect(new ProtoWriter().packedDoubles(1, []).finish()).toEqual(new Uint8Array(0));
    const odd = new ProtoReader(new ProtoWriter().bytes(1, new Uint8Array(12)).finish());
    odd.next();
    expect(() => odd.doubles('d')).toThrow(/packed doubles of 12 bytes/);
  });
});

describe('gRPC messages against the reference protobuf encoder', () => {
  // One value set per datatype, with the typed field it travels in and its raw layout.
  const CASES: { dt: Datatype; field: string; values: (number | boolean)[]; raw: (dv: DataView, i: number, v: number | boolean) => void; size: number }[] = [
    { dt: 'BOOL', field: 'bool_contents', values: [true, false, true], size: 1, raw: (dv, i, v) => dv.setUint8(i, v ? 1 : 0) },
    { dt: 'INT8', field: 'int_contents', values: [-128, 0, 127], size: 1, raw: (dv, i, v) => dv.setInt8(i, v as number) },
    { dt: 'INT16', field: 'int_contents', values: [-32768, 5, 32767], size: 2, raw: (dv, i, v) => dv.setInt16(2 * i, v as number, true) },
    { dt: 'INT32', field: 'int_contents', values: [-2147483648, -1, 2147483647], size: 4, raw: (dv, i, v) => dv.setInt32(4 * i, v as number, true) },
    { dt: 'INT64', field: 'int64_contents', values: [-(2 ** 53 - 1), -1, 2 ** 53 - 1], size: 8, raw: (dv, i, v) => dv.setBigInt64(8 * i, BigInt(v as number), true) },
    { dt: 'UINT8', field: 'uint_contents', values: [0, 1, 255], size: 1, raw: (dv, i, v) => dv.setUint8(i, v as number) },
    { dt: 'UINT16', field: 'uint_contents', values: [0, 1, 65535], size: 2, raw: (dv, i, v) => dv.setUint16(2 * i, v as number, true) },
    { dt: 'UINT32', field: 'uint_contents', values: [0, 1, 4294967295], size: 4, raw: (dv, i, v) => dv.setUint32(4 * i, v as number, true) },
    { dt: 'UINT64', field: 'uint64_contents', values: [0, 1, 2 ** 53 - 1], size: 8, raw: (dv, i, v) => dv.setBigUint64(8 * i, BigInt(v as number), true) },
    { dt: 'FP32', field: 'fp32_contents', values: [1.5, -0, Infinity], size: 4, raw: (dv, i, v) => dv.setFloat32(4 * i, v as number, true) },
    { dt: 'FP64', field: 'fp64_contents', values: [0.1, -1e300, NaN], size: 8, raw: (dv, i, v) => dv.setFloat64(8 * i, v as number, true) },
  ];
  const rawOf = (c: (typeof CASES)[number]): Buffer => {
    const b = Buffer.alloc(c.values.length * c.size);
    const dv = new DataView(b.buffer, b.byteOffset, b.length);
    c.values.forEach((v, i) => c.raw(dv, i, v));
    return b;
  };

  it('decodes typed contents of every datatype into the REST form', () => {
    for (const c of CASES) {
      const values = c.field.includes('64_') ? c.values.map(String) : c.values;
      const bytes = request({ model_name: 'm', model_version: '3', id: 'x', inputs: [{ name: 'in', datatype: c.dt, shape: [1, 3], contents: { [c.field]: values } }], outputs: [{ name: 'out' }] });
      const d = decodeInferRequest(bytes, 100);
      expect(d, c.dt).toEqual({ name: 'm', version: '3', raw: false, rawContents: null, body: { id: 'x', inputs: [{ name: 'in', shape: [1, 3], datatype: c.dt, data: c.values }], outputs: [{ name: 'out' }] } });
    }
  });

  it('passes raw contents on as bytes, which decode little-endian by datatype, FP16 included', () => {
    for (const c of CASES) {
      const d = decodeInferRequest(request({ model_name: 'm', inputs: [{ name: 'in', datatype: c.dt, shape: [3] }], raw_input_contents: [rawOf(c)] }), 100);
      expect(d.raw).toBe(true);
      expect(Buffer.from(d.rawContents![0])).toEqual(rawOf(c));
      expect((d.body as { inputs: { data: unknown }[] }).inputs[0].data, c.dt).toEqual([]);
      expect(decodeBinary(d.rawContents![0], c.dt, 'raw'), c.dt).toEqual(Float32Array.from(c.values as number[], Number));
    }
    // binary16: 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF, the smallest subnormal 2^-24 = 0x0001.
    const half = Buffer.from([0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00]);
    expect(decodeBinary(half, 'FP16', 'raw')).toEqual(Float32Array.from([1, -2, 65504, 2 ** -24]));
  });

  it('decodes parameters of each kind, and leaves absent id, version and outputs out', () => {
    const d = decodeInferRequest(request({
      model_name: 'm',
      parameters: { b: { bool_param: true }, i: { int64_param: '-5' }, s: { string_param: 'x' } },
      inputs: [{ name: 'in', datatype: 'FP32', shape: [1], parameters: { k: { string_param: 'v' } }, contents: { fp32_contents: [1] } }],
    }), 100);
    expect(d).toEqual({ name: 'm', version: undefined, raw: false, rawContents: null, body: { parameters: { b: true, i: -5, s: 'x' }, inputs: [{ name: 'in', shape: [1], datatype: 'FP32', data: [1], parameters: { k: 'v' } }] } });
  });

  it('refuses what only the gRPC wire can get wrong, and counts elements against maxValues', () => {
    const one = (input: object, extra: object = {}) => () => decodeInferRequest(request({ model_name: 'm', inputs: [{ name: 'in', datatype: 'FP32', shape: [2], ...input }], ...extra }), 4);
    refused(one({ contents: { fp64_contents: [1, 2] } }), 400, /datatype FP32 travels in fp32_contents, got fp64_contents/);
    refused(one({ datatype: 'FP16', contents: { fp32_contents: [1, 2] } }), 400, /FP16 travels in raw_input_contents/);
    refused(one({}, { raw_input_contents: [Buffer.alloc(8), Buffer.alloc(8)] }), 400, /2 entries for 1 inputs/);
    refused(one({ contents: { fp32_contents: [1, 2, 3, 4, 5] } }), 413, /more than 4 elements/);
    refused(one({}, { raw_input_contents: [Buffer.alloc(20)] }), 413, /more than 4 elements/);
    refused(() => decodeInferRequest(Uint8Array.from([0x0a, 5, 0x61]), 4), 400, /malformed ModelInferRequest: model_name: length 5 past the end/);
    // An unknown datatype or BYTES is left to the shared validator, which names the datatypes.
    expect(decodeInferRequest(request({ model_name: 'm', inputs: [{ name: 'in', datatype: 'FP33', shape: [1], contents: { fp32_contents: [1] } }] }), 4).body).toMatchObject({ inputs: [{ datatype: 'FP33', data: [] }] });
  });

  it('encodes outputs typed or raw, as the reference decoder reads them', () => {
    const data = Float32Array.from([1.25, -3, 0.25, 300]);
    for (const c of CASES) {
      const r = { model_name: 'm', model_version: '2', id: 'q', outputs: [{ name: 'o', shape: [2, 2], datatype: c.dt, data }] };
      const typed = response(encodeInferResponse(r, false)) as { outputs: { name: string; datatype: string; shape: string[]; contents: Record<string, unknown[]> }[]; raw_output_contents: Buffer[] };
      expect(typed.outputs[0]).toMatchObject({ name: 'o', datatype: c.dt, shape: ['2', '2'] });
      expect(typed.raw_output_contents).toEqual([]);
      const raw = response(encodeInferResponse(r, true)) as typeof typed;
      expect(raw.outputs[0].contents).toBeNull();
      expect(raw.raw_output_contents[0].length).toBe(4 * c.size);
      // Both forms hold the values REST writes: floats as they are, integers rounded and clamped.
      const want = c.dt === 'BOOL' ? [true, true, true, true]
        : c.dt === 'FP32' || c.dt === 'FP64' ? [1.25, -3, 0.25, 300]
        : c.dt.startsWith('U') ? [1, 0, 0, c.dt === 'UINT8' ? 255 : 300]
        : [1, -3, 0, c.dt === 'INT8' ? 127 : 300];
      const typedValues = typed.outputs[0].contents[c.field].map((v) => (typeof v === 'string' ? Number(v) : v));
      expect(typedValues, c.dt).toEqual(want);
      const back = Buffer.alloc(4 * c.size);
      const dv = new DataView(back.buffer);
      want.forEach((v, i) => c.raw(dv, i, v));
      expect(raw.raw_output_contents[0], c.dt).toEqual(back);
    }
    // An FP16 output has no typed field: the whole response goes raw.
    const h = response(encodeInferResponse({ model_name: 'm', model_version: '1', id: '', outputs: [{ name: 'h', shape: [2], datatype: 'FP16', data: Float32Array.from([1, -2]) }] }, false)) as { raw_output_contents: Buffer[] };
    expect([...h.raw_output_contents[0]]).toEqual([0x00, 0x3c, 0x00, 0xc0]);
  });

  it('encodes model metadata with -1 for the batch axis', () => {
    const m = service.ModelMetadata.responseDeserialize(Buffer.from(encodeModelMetadata({
      name: 'm', versions: ['1', '2'], platform: 'tensorkit',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }], outputs: [{ name: 'y', datatype: 'INT64', shape: [-1] }],
    })));
    expect(m).toEqual({ name: 'm', versions: ['1', '2'], platform: 'tensorkit', inputs: [{ name: 'x', datatype: 'FP32', shape: ['-1', '3'] }], outputs: [{ name: 'y', datatype: 'INT64', shape: ['-1'] }] });
  });
});

describe('gRPC status and message', () => {
  it('maps the HTTP statuses of the shared handlers to gRPC codes', () => {
    expect([400, 401, 403, 404, 408, 409, 413, 429, 500, 503].map(grpcStatusOf)).toEqual([3, 16, 7, 5, 4, 9, 8, 8, 13, 14]);
  });

  it('percent-encodes grpc-message: non-ASCII bytes and % only', () => {
    expect(encodeGrpcMessage('shape [1, 3] holds 3 — 100%')).toBe('shape [1, 3] holds 3 %E2%80%94 100%25');
    expect(decodeURIComponent(encodeGrpcMessage('α\nβ'))).toBe('α\nβ');
  });
});
