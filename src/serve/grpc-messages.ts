// The protobuf messages of the Open Inference Protocol's gRPC binding (KServe's
// grpc_predict_v2.proto, package `inference`), read and written with io's one protobuf codec.
// Requests are turned into the REST binding's JSON form (raw contents passed beside it, as the REST
// binary extension's bytes are), so that one validator (server.ts's parseInferRequest and
// datatypes.ts) checks both; only what exists on the gRPC wire alone (which contents field a
// datatype travels in, one raw entry per input) is checked here.

import { FormatError } from '../tensor/errors';
import type { Json } from '../io/json';
import { ProtoReader, ProtoWriter } from '../io/onnx/protobuf';
import { BINARY_SIZE, encodeBinary, encodeData, isDatatype, type Datatype } from './datatypes';
import { HttpError } from './http';
import type { InferResult, ModelMetadata } from './server';
import type { TensorSpec } from './signature';

// Field numbers of grpc_predict_v2.proto.
const INFER_REQUEST = { modelName: 1, modelVersion: 2, id: 3, parameters: 4, inputs: 5, outputs: 6, rawInputContents: 7 } as const;
const INPUT_TENSOR = { name: 1, datatype: 2, shape: 3, parameters: 4, contents: 5 } as const;
const REQUESTED_OUTPUT = { name: 1, parameters: 2 } as const;
const INFER_RESPONSE = { modelName: 1, modelVersion: 2, id: 3, outputs: 5, rawOutputContents: 6 } as const;
const OUTPUT_TENSOR = { name: 1, datatype: 2, shape: 3, contents: 5 } as const;
const PARAMETER = { bool: 1, int64: 2, string: 3, double: 4 } as const;
const TENSOR_METADATA = { name: 1, datatype: 2, shape: 3 } as const;

/** InferTensorContents: the field each datatype travels in (FP16 has none: it travels raw only). */
const CONTENTS = ['', 'bool_contents', 'int_contents', 'int64_contents', 'uint_contents', 'uint64_contents', 'fp32_contents', 'fp64_contents', 'bytes_contents'] as const;
const CONTENTS_OF: Record<string, number> = {
  BOOL: 1, INT8: 2, INT16: 2, INT32: 2, INT64: 3, UINT8: 4, UINT16: 4, UINT32: 4, UINT64: 5, FP32: 6, FP64: 7, BYTES: 8,
};
/** A request message that is not valid protobuf is the client's mistake: a 400 (INVALID_ARGUMENT). */
function readWith<T>(what: string, bytes: Uint8Array, read: (r: ProtoReader) => T): T {
  try {
    return read(new ProtoReader(bytes, { what }));
  } catch (e) {
    if (e instanceof FormatError) throw new HttpError(400, `malformed ${e.message}`);
    throw e;
  }
}

/** Walks a message whose fields are all skipped (the empty requests); malformed bytes are still a 400. */
export function decodeEmpty(what: string, bytes: Uint8Array): void {
  readWith(what, bytes, (r) => {
    while (r.next() !== null) r.skip();
  });
}

/** ModelReadyRequest and ModelMetadataRequest: `name` (1) and `version` (2, empty: the default). */
export function decodeModelRequest(what: string, bytes: Uint8Array): { name: string; version: string | undefined } {
  return readWith(what, bytes, (r) => {
    let name = '', version = '';
    for (let f = r.next(); f !== null; f = r.next()) {
      if (f.field === 1) name = r.string('name');
      else if (f.field === 2) version = r.string('version');
      else r.skip();
    }
    return { name, version: version === '' ? undefined : version };
  });
}

/** A map<string, InferParameter> entry into `out` (a parameter whose oneof is unset is left out). */
function readParameter(r: ProtoReader, out: Record<string, Json>): void {
  let key = '';
  let value: Json | undefined;
  for (let f = r.next(); f !== null; f = r.next()) {
    if (f.field === 1) key = r.string('parameters.key');
    else if (f.field === 2) {
      const p = r.message('parameters.value');
      for (let g = p.next(); g !== null; g = p.next()) {
        if (g.field === PARAMETER.bool) value = p.int('bool_param') !== 0;
        else if (g.field === PARAMETER.int64) value = Number(p.int64('int64_param'));
        else if (g.field === PARAMETER.string) value = p.string('string_param');
        else if (g.field === PARAMETER.double) value = p.double('double_param');
        else p.skip();
      }
    } else r.skip();
  }
  if (value !== undefined) out[key] = value;
}

/** What {@link decodeInferRequest} gives: the model and version asked for, and the request in the REST form. */
export interface DecodedInfer {
  name: string;
  version: string | undefined;
  /** Whether the inputs came as raw_input_contents (the response then uses raw_output_contents). */
  raw: boolean;
  /** The request as the REST binding's JSON body, for the one validator. */
  body: Json;
  /** raw_input_contents, one entry per input in order (the inputs' `data` is then empty), or null. */
  rawContents: Uint8Array[] | null;
}

/** A 413 once a request holds more than `maxValues` elements, counted while they decode. */
function countValues(total: { n: number }, add: number, maxValues: number): void {
  total.n += add;
  if (total.n > maxValues) throw new HttpError(413, `the inputs hold more than ${maxValues} elements`);
}

/**
 * ModelInferRequest → the REST form `{ id?, parameters?, inputs: [{ name, shape, datatype, data,
 * parameters? }], outputs? }`. Typed contents must be in the field of the input's datatype; raw
 * contents (one entry per input, little-endian) are passed on as bytes, counted against
 * `maxValues` by the input's datatype. The element values are left for the shared validator to
 * check (range, booleans, count against the shape).
 */
export function decodeInferRequest(bytes: Uint8Array, maxValues: number): DecodedInfer {
  return readWith('ModelInferRequest', bytes, (r) => {
    let name = '', version = '', id = '';
    const parameters: Record<string, Json> = {};
    let hasParameters = false;
    const inputs: { [key: string]: Json }[] = [];
    const outputs: Json[] = [];
    const raw: Uint8Array[] = [];
    let withContents = -1;
    const total = { n: 0 };
    for (let f = r.next(); f !== null; f = r.next()) {
      switch (f.field) {
        case INFER_REQUEST.modelName: name = r.string('model_name'); break;
        case INFER_REQUEST.modelVersion: version = r.string('model_version'); break;
        case INFER_REQUEST.id: id = r.string('id'); break;
        case INFER_REQUEST.parameters: readParameter(r.message('parameters'), parameters); hasParameters = true; break;
        case INFER_REQUEST.inputs: {
          const i = inputs.length;
          const t = readInput(r.message(`inputs[${i}]`), i, total, maxValues);
          if (t.contents) withContents = i;
          inputs.push(t.input);
          break;
        }
        case INFER_REQUEST.outputs: {
          const o = r.message(`outputs[${outputs.length}]`);
          let oname = '';
          const params: Record<string, Json> = {};
          let hasParams = false;
          for (let g = o.next(); g !== null; g = o.next()) {
            if (g.field === REQUESTED_OUTPUT.name) oname = o.string('outputs.name');
            else if (g.field === REQUESTED_OUTPUT.parameters) {
              readParameter(o.message('outputs.parameters'), params);
              hasParams = true;
            } else o.skip();
          }
          outputs.push(hasParams ? { name: oname, parameters: params } : { name: oname });
          break;
        }
        case INFER_REQUEST.rawInputContents: raw.push(r.bytes('raw_input_contents')); break;
        default: r.skip();
      }
    }
    if (raw.length > 0) {
      if (withContents >= 0) throw new HttpError(400, `inputs[${withContents}] has contents while the request has raw_input_contents; send one or the other`);
      if (raw.length !== inputs.length) throw new HttpError(400, `raw_input_contents has ${raw.length} entries for ${inputs.length} inputs (one per input, in order)`);
      for (let i = 0; i < raw.length; i++) {
        const dt = inputs[i].datatype;
        // A datatype without a binary layout (BYTES, an unknown name) is the validator's to refuse.
        if (!isDatatype(dt)) continue;
        const size = BINARY_SIZE[dt];
        if (raw[i].length % size !== 0) throw new HttpError(400, `raw_input_contents[${i}] has ${raw[i].length} bytes, not a multiple of ${size} (the size of ${dt})`);
        countValues(total, raw[i].length / size, maxValues);
      }
    }
    const body: { [key: string]: Json } = {};
    if (id !== '') body.id = id;
    if (hasParameters) body.parameters = parameters;
    body.inputs = inputs;
    if (outputs.length > 0) body.outputs = outputs;
    return { name, version: version === '' ? undefined : version, raw: raw.length > 0, body, rawContents: raw.length > 0 ? raw : null };
  });
}

/** One InferInputTensor in the REST form; `contents` tells whether it had a contents message. */
function readInput(r: ProtoReader, i: number, total: { n: number }, maxValues: number): { input: { [key: string]: Json }; contents: boolean } {
  const w = `inputs[${i}]`;
  let name = '', datatype = '';
  const shape: number[] = [];
  const params: Record<string, Json> = {};
  let hasParams = false;
  let contents: ProtoReader | null = null;
  for (let f = r.next(); f !== null; f = r.next()) {
    switch (f.field) {
      case INPUT_TENSOR.name: name = r.string(`${w}.name`); break;
      case INPUT_TENSOR.datatype: datatype = r.string(`${w}.datatype`); break;
      // int64 beyond ±2^53 becomes an inexact number, which the validator refuses as a shape.
      case INPUT_TENSOR.shape: for (const d of r.bigVarints(`${w}.shape`, true)) shape.push(Number(d)); break;
      case INPUT_TENSOR.parameters: readParameter(r.message(`${w}.parameters`), params); hasParams = true; break;
      case INPUT_TENSOR.contents: contents = r.message(`${w}.contents`); break;
      default: r.skip();
    }
  }
  const input: { [key: string]: Json } = { name, shape, datatype, data: contents === null ? [] : readContents(contents, datatype, w, total, maxValues) };
  if (hasParams) input.parameters = params;
  return { input, contents: contents !== null };
}

/** InferTensorContents: the elements of the one field the datatype travels in, as JSON values. */
function readContents(r: ProtoReader, datatype: string, w: string, total: { n: number }, maxValues: number): Json[] {
  const want = CONTENTS_OF[datatype];
  const data: Json[] = [];
  for (let f = r.next(); f !== null; f = r.next()) {
    if (f.field < 1 || f.field > 8) {
      r.skip();
      continue;
    }
    const name = `${w}.contents.${CONTENTS[f.field]}`;
    // An unknown datatype is the validator's to refuse (with the list of datatypes): no data then.
    if (want === undefined) {
      r.skip();
      continue;
    }
    if (f.field !== want) {
      throw new HttpError(400, `${w}: datatype ${datatype} travels in ${datatype === 'FP16' ? 'raw_input_contents' : CONTENTS[want]}, got ${CONTENTS[f.field]}`);
    }
    const before = data.length;
    switch (f.field) {
      case 1: for (const v of r.varints(name)) data.push(v === 0 ? false : v === 1 ? true : v); break;
      case 2: case 4: r.varints(name, data as number[]); break;
      case 3: for (const v of r.bigVarints(name, true)) data.push(Number(v)); break;
      case 5: for (const v of r.bigVarints(name, false)) data.push(Number(v)); break;
      case 6: r.floats(name, data as number[]); break;
      case 7: r.doubles(name, data as number[]); break;
      default: r.skip();
    }
    countValues(total, data.length - before, maxValues);
  }
  if (want === undefined && datatype === 'FP16') throw new HttpError(400, `${w}: datatype FP16 travels in raw_input_contents (InferTensorContents has no 16-bit float field)`);
  return data;
}

/** ServerLiveResponse, ServerReadyResponse, ModelReadyResponse: one bool, field 1. */
export function encodeBool(v: boolean): Uint8Array {
  const w = new ProtoWriter();
  if (v) w.uint(1, true);
  return w.finish();
}

/** ServerMetadataResponse. */
export function encodeServerMetadata(m: { name: string; version: string; extensions: string[] }): Uint8Array {
  const w = new ProtoWriter().string(1, m.name).string(2, m.version);
  for (const e of m.extensions) w.string(3, e);
  return w.finish();
}

function tensorMetadata(w: ProtoWriter, t: TensorSpec): void {
  w.string(TENSOR_METADATA.name, t.name).string(TENSOR_METADATA.datatype, t.datatype).packedVarints(TENSOR_METADATA.shape, t.shape);
}

/** ModelMetadataResponse. */
export function encodeModelMetadata(m: ModelMetadata): Uint8Array {
  const w = new ProtoWriter().string(1, m.name);
  for (const v of m.versions) w.string(2, v);
  w.string(3, m.platform);
  for (const t of m.inputs) w.message(4, (x) => tensorMetadata(x, t));
  for (const t of m.outputs) w.message(5, (x) => tensorMetadata(x, t));
  return w.finish();
}

/**
 * ModelInferResponse, in the representation the request used: raw_output_contents after raw
 * inputs (or when an output is FP16, which has no typed field), else each output's typed contents.
 * Values are converted as the REST binding converts them (`encodeData`: integers rounded and
 * clamped to their type, BOOL as ≠ 0); floats travel as they are, non-finite ones included.
 */
export function encodeInferResponse(r: InferResult, raw: boolean): Uint8Array {
  const useRaw = raw || r.outputs.some((o) => o.datatype === 'FP16');
  const w = new ProtoWriter().string(INFER_RESPONSE.modelName, r.model_name).string(INFER_RESPONSE.modelVersion, r.model_version).string(INFER_RESPONSE.id, r.id);
  for (const o of r.outputs) {
    w.message(INFER_RESPONSE.outputs, (t) => {
      t.string(OUTPUT_TENSOR.name, o.name).string(OUTPUT_TENSOR.datatype, o.datatype).packedVarints(OUTPUT_TENSOR.shape, o.shape);
      if (!useRaw) t.message(OUTPUT_TENSOR.contents, (c) => writeContents(c, o.data, o.datatype));
    });
  }
  if (useRaw) for (const o of r.outputs) w.bytes(INFER_RESPONSE.rawOutputContents, encodeBinary(o.data, o.datatype));
  return w.finish();
}

function writeContents(c: ProtoWriter, data: Float32Array, datatype: Datatype): void {
  const field = CONTENTS_OF[datatype];
  if (datatype === 'FP32') c.packedFloats(field, data);
  else if (datatype === 'FP64') c.packedDoubles(field, data);
  else {
    const vs = encodeData(data, datatype);
    c.packedVarints(field, datatype === 'BOOL' ? vs.map((v) => (v ? 1 : 0)) : (vs as number[]));
  }
}

