// The one validator of inference requests, whatever the transport: the REST binding's JSON body
// (from REST, or built by grpc-messages.ts from a ModelInferRequest) with the binary tensor data
// that came beside it, checked against the served version's signature and turned into float32
// inputs in signature order.

import { randomUUID } from 'node:crypto';
import { describe } from '../tensor/shape';
import { isJsonObject, type Json } from '../io/json';
import { BINARY_SIZE, checkRequestDatatype, decodeBinary, decodeData } from './datatypes';
import { HttpError } from './http';
import { checkAgainstSpec, type ModelSignature, type Plain } from './signature';

/** A request in the REST form, with the binary tensor data that came beside its JSON. @internal */
export interface InferRequestBody {
  body: Json;
  binary: BinaryInputs | null;
}

/**
 * Binary tensor data of a request: REST's binary part after the JSON (the binary tensor data
 * extension), read in input order by each input's `binary_data_size` parameter, or gRPC's
 * raw_input_contents, one entry per input. @internal
 */
export type BinaryInputs = { kind: 'blob'; bytes: Uint8Array } | { kind: 'raw'; entries: Uint8Array[] };

/** A checked inference request: inputs in signature order, and the outputs asked for (by index into the signature's outputs). @internal */
export interface ParsedInfer {
  id: string;
  parameters: Record<string, Json> | null;
  inputs: Plain[];
  rows: number;
  outputs: { index: number; binary: boolean }[];
}

/**
 * Checks an inference request against `sig` (names, shapes, datatypes, the batch axis, at most
 * `maxValues` elements in all) and decodes its inputs, from JSON `data` or from binary bytes: REST's
 * binary part, read in input order by `binary_data_size`, or gRPC's raw contents, one entry per
 * input. Each refusal is a 400 (413 past `maxValues`) that names the input and `where`.
 */
export function parseInferRequest({ body, binary }: InferRequestBody, sig: ModelSignature, maxValues: number, where: string): ParsedInfer {
  if (!isJsonObject(body)) throw new HttpError(400, `${where}: the request body must be a JSON object { id?, parameters?, inputs, outputs? }, got ${Array.isArray(body) ? 'an array' : describe(body)}`);
  for (const k of Object.keys(body)) if (!['id', 'parameters', 'inputs', 'outputs'].includes(k)) throw new HttpError(400, `${where}: unknown field ${JSON.stringify(k)} in the inference request (it has id, parameters, inputs, outputs)`);
  if (body.id !== undefined && typeof body.id !== 'string') throw new HttpError(400, `${where}: id must be a string, got ${describe(body.id)}`);
  const parameters = checkParameters(body.parameters, `${where}: parameters`);
  const binaryOutput = binaryFlag(parameters, 'binary_data_output', `${where}: parameters`) ?? false;
  if (!Array.isArray(body.inputs) || body.inputs.length === 0) throw new HttpError(400, `${where}: inputs must be a non-empty array, got ${describe(body.inputs)}`);
  const byName = new Map<string, Plain>();
  let rows = -1;
  let elements = 0;
  let offset = 0;
  body.inputs.forEach((inp, i) => {
    const w = `${where}: inputs[${i}]`;
    if (!isJsonObject(inp)) throw new HttpError(400, `${w} must be an object { name, shape, datatype, data }, got ${describe(inp)}`);
    for (const k of Object.keys(inp)) if (!['name', 'shape', 'datatype', 'data', 'parameters'].includes(k)) throw new HttpError(400, `${w}: unknown field ${JSON.stringify(k)} (an input has name, shape, datatype, parameters, data)`);
    const { name, shape, datatype, data } = inp;
    if (typeof name !== 'string') throw new HttpError(400, `${w}.name must be a string, got ${describe(name)}`);
    const spec = sig.inputs.find((s) => s.name === name);
    if (spec === undefined) throw new HttpError(400, `${w}: the model has no input ${JSON.stringify(name)} (its inputs: ${sig.inputs.map((s) => s.name).join(', ')})`);
    if (byName.has(name)) throw new HttpError(400, `${w}: input ${JSON.stringify(name)} is given twice`);
    const params = checkParameters(inp.parameters, `${w}.parameters`);
    if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) throw new HttpError(400, `${w}.shape must be an array of non-negative integers, got ${describe(shape)}${Array.isArray(shape) ? ` [${shape.map(describe).join(', ')}]` : ''}`);
    const dims = shape as number[];
    const dt = checkRequestDatatype(datatype, w);
    checkAgainstSpec(spec, dims, dt, w);
    const n = dims.reduce((a, b) => a * b, 1);
    elements += n;
    if (elements > maxValues) throw new HttpError(413, `${w}: the inputs hold more than ${maxValues} elements`);
    if (rows !== -1 && dims[0] !== rows) throw new HttpError(400, `${w}: batch axis ${dims[0]} differs from the other inputs' ${rows}`);
    rows = dims[0];
    let values: Float32Array;
    const size = params?.binary_data_size;
    if (binary?.kind === 'raw') {
      values = decodeBinary(binary.entries[i], dt, `raw_input_contents[${i}]`);
      if (values.length !== n) throw new HttpError(400, `${w}: shape [${dims.join(', ')}] holds ${n} elements but raw_input_contents[${i}] has ${values.length}`);
    } else if (size !== undefined) {
      const want = n * BINARY_SIZE[dt];
      if (binary === null) throw new HttpError(400, `${w}.parameters.binary_data_size is given but the request has no binary part (send the Inference-Header-Content-Length header: the byte length of the JSON before the binary data)`);
      if (data !== undefined) throw new HttpError(400, `${w} has both data and parameters.binary_data_size; send one or the other`);
      if (size !== want) throw new HttpError(400, `${w}.parameters.binary_data_size must be ${want} (shape [${dims.join(', ')}] of ${dt}: ${n} elements of ${BINARY_SIZE[dt]} bytes), got ${describe(size)}`);
      if (offset + want > binary.bytes.length) throw new HttpError(400, `${w}.parameters.binary_data_size ${want} runs past the end of the binary part (${binary.bytes.length - offset} of its ${binary.bytes.length} bytes left)`);
      values = decodeBinary(binary.bytes.subarray(offset, offset + want), dt, `${w} binary data`);
      offset += want;
    } else values = decodeData(data, dims, dt, w);
    byName.set(name, { data: values, shape: dims });
  });
  if (binary?.kind === 'blob' && offset !== binary.bytes.length) {
    throw new HttpError(400, `${where}: the binary part has ${binary.bytes.length} bytes but the inputs' binary_data_size add up to ${offset}`);
  }
  const missing = sig.inputs.filter((s) => !byName.has(s.name));
  if (missing.length > 0) throw new HttpError(400, `${where}: missing input${missing.length > 1 ? 's' : ''} ${missing.map((s) => JSON.stringify(s.name)).join(', ')}`);
  if (rows === 0) throw new HttpError(400, `${where}: the batch axis is 0; send at least one row`);
  let outputs = sig.outputs.map((_, i) => ({ index: i, binary: binaryOutput }));
  if (body.outputs !== undefined) {
    if (!Array.isArray(body.outputs)) throw new HttpError(400, `${where}: outputs must be an array of { name }, got ${describe(body.outputs)}`);
    outputs = body.outputs.map((out, i) => {
      const w = `${where}: outputs[${i}]`;
      if (!isJsonObject(out) || typeof out.name !== 'string') throw new HttpError(400, `${w} must be an object { name, parameters? }, got ${describe(out)}`);
      for (const k of Object.keys(out)) if (k !== 'name' && k !== 'parameters') throw new HttpError(400, `${w}: unknown field ${JSON.stringify(k)} (a requested output has name, parameters)`);
      const params = checkParameters(out.parameters, `${w}.parameters`);
      const j = sig.outputs.findIndex((s) => s.name === out.name);
      if (j < 0) throw new HttpError(400, `${w}: the model has no output ${JSON.stringify(out.name)} (its outputs: ${sig.outputs.map((s) => s.name).join(', ')})`);
      return { index: j, binary: binaryFlag(params, 'binary_data', `${w}.parameters`) ?? binaryOutput };
    });
  }
  return { id: (body.id as string | undefined) ?? randomUUID(), parameters, inputs: sig.inputs.map((s) => byName.get(s.name)!), rows, outputs };
}

/** A boolean parameter of the binary tensor data extension (`binary_data_output`, `binary_data`), or undefined when absent. */
function binaryFlag(params: Record<string, Json> | null, key: string, where: string): boolean | undefined {
  const v = params?.[key];
  if (v !== undefined && typeof v !== 'boolean') throw new HttpError(400, `${where}.${key} must be a boolean, got ${describe(v)}`);
  return v;
}

/** `parameters` of the protocol: an object of string, number or boolean values (null when absent). */
export function checkParameters(v: Json | undefined, where: string): Record<string, Json> | null {
  if (v === undefined) return null;
  if (!isJsonObject(v)) throw new HttpError(400, `${where} must be an object of string, number or boolean values, got ${describe(v)}`);
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') throw new HttpError(400, `${where}.${k} must be a string, number or boolean, got ${describe(x)}`);
  }
  return v;
}
