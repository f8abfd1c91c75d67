import { encodeNumber } from '../tensor/json';
import { describe } from '../tensor/shape';
import { f32BitsToHalf, halfToF32Bits } from '../io/dtypes';
import { HttpError } from './http';

// Tensors on the wire, as the Open Inference Protocol writes them: a `datatype` name, a `shape`,
// and the elements in row-major order, either as a JSON array (flat or nested as the shape) or as
// binary data (the REST binding's binary tensor data extension and gRPC's raw contents: each
// element in its native size, little-endian, no padding). Models compute in float32, so every
// numeric input is converted to float32 after it is checked against its datatype's range, and
// outputs are written in the datatype their signature declares.

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

/** An element's path below `data` for a message: a nested path as given, a flat index as `[i]`. */
const spellPath = (at: string | number): string => (typeof at === 'number' ? `[${at}]` : at);

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
  // `at` is the element's path below data, or its index in a flat array (spelled only for an error).
  const put = (v: unknown, at: string | number): void => {
    if (k >= n) throw new HttpError(400, `${where}.data has more than the ${n} elements shape [${shape.join(', ')}] holds`);
    let x: number;
    if (datatype === 'BOOL') {
      if (typeof v !== 'boolean') throw new HttpError(400, `${where}.data${spellPath(at)} must be a boolean for datatype BOOL, got ${describe(v)}`);
      x = v ? 1 : 0;
    } else if (range !== undefined) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < range.min || v > range.max) {
        throw new HttpError(400, `${where}.data${spellPath(at)} must be an integer in [${range.min}, ${range.max}] for datatype ${datatype}, got ${describe(v)}`);
      }
      x = v;
    } else {
      if (typeof v === 'number') x = v;
      else if (v === 'NaN') x = NaN;
      else if (v === 'Infinity') x = Infinity;
      else if (v === '-Infinity') x = -Infinity;
      else throw new HttpError(400, `${where}.data${spellPath(at)} must be a number (or 'NaN', 'Infinity', '-Infinity') for datatype ${datatype}, got ${describe(v)}`);
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
    for (let i = 0; i < data.length; i++) put(data[i], i);
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

/** Bytes per element in binary form (BOOL one byte, 0 or 1; FP16 IEEE half precision). */
export const BINARY_SIZE: Record<Datatype, number> = {
  BOOL: 1, INT8: 1, UINT8: 1, INT16: 2, UINT16: 2, FP16: 2, INT32: 4, UINT32: 4, FP32: 4, INT64: 8, UINT64: 8, FP64: 8,
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Reads binary tensor data (little-endian, row-major, no padding) of `datatype` into float32:
 * `b.length` must be a multiple of the element size; a BOOL byte must be 0 or 1, and 64-bit
 * integers must lie within ±(2^53 − 1), as in the JSON form. The result is a copy (the request's
 * buffer is not kept). `where` names the bytes in errors.
 */
export function decodeBinary(b: Uint8Array, datatype: Datatype, where: string): Float32Array {
  const size = BINARY_SIZE[datatype];
  if (b.length % size !== 0) throw new HttpError(400, `${where} has ${b.length} bytes, not a multiple of ${size} (the size of ${datatype})`);
  const n = b.length / size;
  if (datatype === 'FP32' && LITTLE_ENDIAN) {
    const out = new Float32Array(n);
    new Uint8Array(out.buffer).set(b);
    return out;
  }
  const out = new Float32Array(n);
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const range = INT_RANGES[datatype];
  for (let k = 0; k < n; k++) {
    let v: number;
    switch (datatype) {
      case 'BOOL':
        v = dv.getUint8(k);
        if (v > 1) throw new HttpError(400, `${where}: element ${k} is the byte ${v}; a BOOL element is one byte, 0 or 1`);
        break;
      case 'INT8': v = dv.getInt8(k); break;
      case 'UINT8': v = dv.getUint8(k); break;
      case 'INT16': v = dv.getInt16(2 * k, true); break;
      case 'UINT16': v = dv.getUint16(2 * k, true); break;
      case 'FP16': u32[0] = halfToF32Bits(dv.getUint16(2 * k, true)); v = f32[0]; break;
      case 'INT32': v = dv.getInt32(4 * k, true); break;
      case 'UINT32': v = dv.getUint32(4 * k, true); break;
      case 'FP32': v = dv.getFloat32(4 * k, true); break;
      case 'INT64': v = Number(dv.getBigInt64(8 * k, true)); break;
      case 'UINT64': v = Number(dv.getBigUint64(8 * k, true)); break;
      default: v = dv.getFloat64(8 * k, true);
    }
    if (range !== undefined && (v < range.min || v > range.max)) {
      throw new HttpError(400, `${where}: element ${k} must be an integer in [${range.min}, ${range.max}] for datatype ${datatype} (what a float64 holds exactly), got ${v}`);
    }
    out[k] = v;
  }
  return out;
}

/**
 * Writes float32 model output as binary tensor data of `datatype` (little-endian, row-major): floats
 * as they are (non-finite ones included; FP16 rounded to nearest even), integers and BOOL converted
 * as {@link encodeData} converts them.
 */
export function encodeBinary(data: Float32Array, datatype: Datatype): Uint8Array {
  const n = data.length;
  const b = new Uint8Array(n * BINARY_SIZE[datatype]);
  if (datatype === 'FP32' && LITTLE_ENDIAN) {
    b.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return b;
  }
  const dv = new DataView(b.buffer);
  if (datatype === 'FP32') for (let k = 0; k < n; k++) dv.setFloat32(4 * k, data[k], true);
  else if (datatype === 'FP64') for (let k = 0; k < n; k++) dv.setFloat64(8 * k, data[k], true);
  else if (datatype === 'FP16') {
    for (let k = 0; k < n; k++) {
      f32[0] = data[k];
      dv.setUint16(2 * k, f32BitsToHalf(u32[0]), true);
    }
  } else {
    const vs = encodeData(data, datatype);
    for (let k = 0; k < n; k++) {
      const v = vs[k];
      switch (datatype) {
        case 'BOOL': dv.setUint8(k, v ? 1 : 0); break;
        case 'INT8': dv.setInt8(k, v as number); break;
        case 'UINT8': dv.setUint8(k, v as number); break;
        case 'INT16': dv.setInt16(2 * k, v as number, true); break;
        case 'UINT16': dv.setUint16(2 * k, v as number, true); break;
        case 'INT32': dv.setInt32(4 * k, v as number, true); break;
        case 'UINT32': dv.setUint32(4 * k, v as number, true); break;
        case 'INT64': dv.setBigInt64(8 * k, BigInt(v as number), true); break;
        default: dv.setBigUint64(8 * k, BigInt(v as number), true);
      }
    }
  }
  return b;
}
