import { encodeNumber } from '../tensor/json';
import { describe } from '../tensor/shape';
import { HttpError } from './http';

// Tensors on the wire, as the Open Inference Protocol's REST binding writes them: a `datatype`
// name, a `shape`, and `data` as a JSON array in row-major order, flat or nested as the shape.
// Models compute in float32, so every numeric input is converted to float32 after it is checked
// against its datatype's range, and outputs are written in the datatype their signature declares.

/** The tensor datatypes of the Open Inference Protocol that travel as JSON numbers or booleans. @category Serve */
export type Datatype = 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64' | 'INT8' | 'INT16' | 'INT32' | 'INT64' | 'FP16' | 'FP32' | 'FP64';

/** Every datatype name the protocol defines (BYTES included, which tensorkit models cannot take). */
const PROTOCOL_DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'];

interface IntRange { min: number; max: number }
const INT_RANGES: Record<string, IntRange> = {
  UINT8: { min: 0, max: 255 },
  UINT16: { min: 0, max: 65_535 },
  UINT32: { min: 0, max: 4_294_967_295 },
  // 64-bit integers: JSON numbers are exact up to 2^53 − 1, so that is the range accepted.
  UINT64: { min: 0, max: Number.MAX_SAFE_INTEGER },
  INT8: { min: -128, max: 127 },
  INT16: { min: -32_768, max: 32_767 },
  INT32: { min: -2_147_483_648, max: 2_147_483_647 },
  INT64: { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
};

/** True for a datatype name this server reads and writes. */
export function isDatatype(v: unknown): v is Datatype {
  return typeof v === 'string' && v !== 'BYTES' && PROTOCOL_DATATYPES.includes(v);
}

/** The 400 of a datatype a client sent that the server does not take, with the reason. */
export function checkRequestDatatype(v: unknown, where: string): Datatype {
  if (typeof v !== 'string') throw new HttpError(400, `${where}.datatype must be a string naming a datatype (FP32, INT64, BOOL, …), got ${describe(v)}`);
  if (v === 'BYTES') throw new HttpError(400, `${where}.datatype BYTES is not supported: tensorkit models take numeric tensors`);
  if (!isDatatype(v)) throw new HttpError(400, `${where}.datatype ${JSON.stringify(v)} is not a datatype of the protocol (${PROTOCOL_DATATYPES.join(', ')})`);
  return v;
}

/**
 * Reads `data` of a request input into float32, checking each element against `datatype`: BOOL
 * takes `true`/`false`; integer types take integers within their range (64-bit ones within
 * ±(2^53 − 1), what a JSON number holds exactly); FP32, FP64 and FP16 take numbers and the strings
 * 'NaN', 'Infinity', '-Infinity'. Nested arrays must follow `shape`; a flat array must hold
 * exactly `shape`'s product of elements.
 */
export function decodeData(data: unknown, shape: readonly number[], datatype: Datatype, where: string): Float32Array {
  if (!Array.isArray(data)) throw new HttpError(400, `${where}.data must be an array, got ${describe(data)}`);
  let n = 1;
  for (const d of shape) n *= d;
  const out = new Float32Array(n);
  let k = 0;
  const range = INT_RANGES[datatype];
  const put = (v: unknown, path: string): void => {
    if (k >= n) throw new HttpError(400, `${where}.data has more than the ${n} elements shape [${shape.join(', ')}] holds`);
    let x: number;
    if (datatype === 'BOOL') {
      if (typeof v !== 'boolean') throw new HttpError(400, `${where}.data${path} must be a boolean for datatype BOOL, got ${describe(v)}`);
      x = v ? 1 : 0;
    } else if (range !== undefined) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < range.min || v > range.max) {
        throw new HttpError(400, `${where}.data${path} must be an integer in [${range.min}, ${range.max}] for datatype ${datatype}, got ${describe(v)}`);
      }
      x = v;
    } else {
      if (typeof v === 'number') x = v;
      else if (v === 'NaN') x = NaN;
      else if (v === 'Infinity') x = Infinity;
      else if (v === '-Infinity') x = -Infinity;
      else throw new HttpError(400, `${where}.data${path} must be a number (or 'NaN', 'Infinity', '-Infinity') for datatype ${datatype}, got ${describe(v)}`);
    }
    out[k++] = x;
  };
  if (data.length > 0 && Array.isArray(data[0])) {
    // The natural multi-dimensional form: nesting must follow the shape exactly.
    const walk = (v: unknown, axis: number, path: string): void => {
      if (axis === shape.length) {
        put(v, path);
        return;
      }
      if (!Array.isArray(v) || v.length !== shape[axis]) {
        throw new HttpError(400, `${where}.data${path} must be an array of ${shape[axis]} (axis ${axis} of shape [${shape.join(', ')}]), got ${Array.isArray(v) ? `${v.length} elements` : describe(v)}`);
      }
      for (let i = 0; i < v.length; i++) walk(v[i], axis + 1, `${path}[${i}]`);
    };
    walk(data, 0, '');
  } else {
    if (data.length !== n) {
      throw new HttpError(400, `${where}: shape [${shape.join(', ')}] holds ${n} elements but data has ${data.length}`);
    }
    for (let i = 0; i < data.length; i++) put(data[i], `[${i}]`);
  }
  if (k !== n) throw new HttpError(400, `${where}: shape [${shape.join(', ')}] holds ${n} elements but data has ${k}`);
  return out;
}

/**
 * Writes float32 model output as `datatype`: floats as numbers (non-finite as the strings 'NaN',
 * 'Infinity', '-Infinity'), BOOL as `value !== 0`, integer types rounded to nearest (ties to even
 * would need the exact value; the output of a model meant as an integer is integral already) and
 * clamped to the type's range.
 */
export function encodeData(data: Float32Array, datatype: Datatype): Array<number | string | boolean> {
  const out = new Array<number | string | boolean>(data.length);
  if (datatype === 'BOOL') {
    for (let i = 0; i < data.length; i++) out[i] = data[i] !== 0;
    return out;
  }
  const range = INT_RANGES[datatype];
  if (range === undefined) {
    for (let i = 0; i < data.length; i++) out[i] = encodeNumber(data[i]);
    return out;
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    out[i] = v !== v ? 0 : Math.min(range.max, Math.max(range.min, Math.round(v)));
  }
  return out;
}
