import { ArgumentError, FormatError, Tensor, type ErrorCode } from '../tensor/index';
import {
  LITTLE_ENDIAN, dtypeOf, dtypeRank, f32BitsToBf16, f32BitsToHalf, halfToF32Bits, itemSize,
  swapBytes, type Dtype,
} from './dtypes';
import { isJsonObject, parseJsonStrict, type Json } from './json';
import type { TypedData, TypedTensor } from '../tensor/typed';

export type { TypedData, TypedTensor } from '../tensor/typed';

/** What {@link loadSafetensors} returns. @category IO */
export interface SafetensorsContents {
  /** Tensors by name, in file order: float dtypes as Tensors, the others as {@link TypedTensor}s. */
  tensors: Record<string, Tensor | TypedTensor>;
  /** The `__metadata__` string map (empty when the file has none). */
  metadata: Record<string, string>;
}

/** One tensor's header entry, as {@link inspectSafetensors} reports it. @category IO */
export interface SafetensorsEntryInfo {
  /** The element type. */
  dtype: Dtype;
  /** The dimensions. */
  shape: number[];
  /** [begin, end) in bytes, relative to the start of the data region (after the header). */
  dataOffsets: [number, number];
}

/**
 * The largest header a file may declare: 100 MB, the limit of the reference implementation
 * (`MAX_HEADER_SIZE = 100_000_000`).
 * @example MAX_HEADER_BYTES; // 100000000
 * @category IO
 */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * The most tensors a file may hold (100,000; the reference has no limit). A header entry costs a
 * few dozen bytes of file but about 1.5 KB of memory once parsed, so without it a header of a
 * million zero-size tensors would need twenty times the file's size; `saveSafetensors` refuses
 * more too, so that every file it writes loads back.
 * @example MAX_TENSORS; // 100000
 * @category IO
 */
export const MAX_TENSORS = 100_000;

/**
 * The most JSON keys and values a header may hold (2,000,000: {@link MAX_TENSORS} tensors of rank
 * 9 or less; a tensor entry of rank r takes 10 + r, a metadata entry 2). Each
 * parsed value costs tens of bytes, so without it a header of millions of tiny metadata entries or
 * dimensions would need many times the file's size. They are counted on the raw bytes before
 * parsing (one plus every `{`, `[`, `,` and `:` outside strings, an upper bound), so such a header
 * is `HEADER_TOO_LARGE` before anything is built; `saveSafetensors` counts the same way.
 * @example MAX_HEADER_VALUES; // 2000000
 * @category IO
 */
export const MAX_HEADER_VALUES = 2_000_000;

const TWO32 = 4294967296;
const TWO53 = 9007199254740992;

/** A parsed, validated header entry with a view of its bytes. @internal */
export interface RawEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
  bytes: Uint8Array;
}

function bad(code: ErrorCode, msg: string): never {
  throw new FormatError(`loadSafetensors: ${msg}`, code);
}

/** Product of dims with the overflow check done before anything is allocated; null past 2^53. */
function checkedProduct(shape: readonly number[]): number | null {
  let p = 1;
  for (const d of shape) {
    if (d === 0) return 0;
  }
  for (const d of shape) {
    p *= d;
    if (p > Number.MAX_SAFE_INTEGER) return null;
  }
  return p;
}

function isSafeNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && !Object.is(v, -0);
}

/**
 * Parses and validates a whole safetensors file without decoding tensor data: every check of the
 * safe loader happens here, in an order that never reads past `bytes` and allocates nothing the
 * file's size does not pay for. Entries come back sorted by offset.
 * @internal
 */
export function parseSafetensors(bytes: Uint8Array): { entries: RawEntry[]; metadata: Record<string, string> | null } {
  if (!(bytes instanceof Uint8Array)) {
    throw new ArgumentError(`loadSafetensors: bytes must be a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  const L = bytes.length;
  if (L < 8) bad('TRUNCATED', `${L} bytes is shorter than the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  if (hi !== 0 || lo > MAX_HEADER_BYTES) {
    bad('HEADER_TOO_LARGE', `header length ${hi * TWO32 + lo} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const N = lo;
  if (8 + N > L) bad('TRUNCATED', `header length ${N} runs past the end of the ${L}-byte file`);

  // One more than MAX_TENSORS for __metadata__; the exact count is checked after parsing.
  const { entries: declared, values } = countEntries(bytes, 8, 8 + N);
  if (declared > MAX_TENSORS + 1) bad('HEADER_TOO_LARGE', `the header declares ${declared} entries, over the ${MAX_TENSORS}-tensor limit`);
  if (values > MAX_HEADER_VALUES) bad('HEADER_TOO_LARGE', `the header holds about ${values} JSON keys and values, over the ${MAX_HEADER_VALUES} limit`);

  let text: string;
  try {
    // ignoreBOM keeps a BOM in the text so that the JSON parser rejects it, as the reference does.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + N));
  } catch {
    return bad('BAD_JSON', 'header is not valid UTF-8');
  }
  const header = parseJsonStrict(text, { what: 'loadSafetensors: header', maxDepth: 16, maxValues: MAX_HEADER_VALUES, maxValuesCode: 'HEADER_TOO_LARGE' });
  if (!isJsonObject(header)) bad('BAD_HEADER', 'header is not a JSON object');

  let metadata: Record<string, string> | null = null;
  const infos: RawEntry[] = [];
  for (const name of Object.keys(header)) {
    const v = header[name];
    if (name === '__metadata__') {
      if (!isJsonObject(v)) bad('BAD_METADATA', '__metadata__ is not an object of strings');
      for (const k of Object.keys(v)) {
        const s = v[k];
        if (typeof s !== 'string') bad('BAD_METADATA', `__metadata__[${JSON.stringify(k)}] is not a string (${describeJson(s)})`);
      }
      // The parsed object itself (a plain object of strings now), not a copy: a header of many
      // metadata entries would otherwise hold two dictionaries of them.
      metadata = v as Record<string, string>;
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (!isJsonObject(v)) bad('BAD_HEADER', `${where}: entry is not an object`);
    for (const k of Object.keys(v)) {
      if (k !== 'dtype' && k !== 'shape' && k !== 'data_offsets') bad('BAD_HEADER', `${where}: unknown field ${JSON.stringify(k)}`);
    }
    if (!Object.hasOwn(v, 'dtype') || !Object.hasOwn(v, 'shape') || !Object.hasOwn(v, 'data_offsets')) {
      bad('BAD_HEADER', `${where}: needs dtype, shape and data_offsets`);
    }
    const dt = v.dtype;
    const dtype = typeof dt === 'string' ? dtypeOf(dt) : null;
    if (dtype === null) bad('BAD_DTYPE', `${where}: unknown or unsupported dtype ${describeJson(dt)}`);
    const sh = v.shape;
    if (!Array.isArray(sh)) bad('BAD_SHAPE', `${where}: shape is not an array`);
    const shape: number[] = [];
    for (let i = 0; i < sh.length; i++) {
      const d = sh[i];
      if (!isSafeNonNegInt(d)) bad('BAD_SHAPE', `${where}: shape[${i}] = ${describeJson(d)} is not a non-negative safe integer`);
      shape.push(d);
    }
    const off = v.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !isSafeNonNegInt(off[0]) || !isSafeNonNegInt(off[1])) {
      bad('BAD_OFFSETS', `${where}: data_offsets must be [begin, end] of non-negative safe integers`);
    }
    const begin = off[0] as number;
    const end = off[1] as number;
    if (end < begin) bad('BAD_OFFSETS', `${where}: data_offsets [${begin}, ${end}] end before they begin`);
    const count = checkedProduct(shape);
    const nbytes = count === null ? null : count * itemSize(dtype);
    if (nbytes === null || nbytes > Number.MAX_SAFE_INTEGER) bad('BAD_SHAPE', `${where}: shape [${shape.join(', ')}] overflows`);
    if (end - begin !== nbytes) {
      bad('SIZE_MISMATCH', `${where}: ${dtype} [${shape.join(', ')}] needs ${nbytes} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    infos.push({ name, dtype, shape, begin, end, bytes: NO_BYTES });
  }

  if (infos.length > MAX_TENSORS) bad('HEADER_TOO_LARGE', `the header declares ${infos.length} tensors, over the ${MAX_TENSORS}-tensor limit`);

  // The reference reader sorts by offsets and then requires the entries to tile the data exactly.
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of infos) {
    if (e.begin !== at) {
      bad('BAD_OFFSETS', `tensor ${JSON.stringify(e.name)}: data_offsets [${e.begin}, ${e.end}] ${e.begin < at ? 'overlap the previous tensor' : 'leave a gap'} (expected to begin at ${at})`);
    }
    at = e.end;
  }
  const D = L - 8 - N;
  if (at > D) bad('TRUNCATED', `the tensors need ${at} data bytes but the file has ${D} after the header`);
  if (at < D) bad('TRAILING_BYTES', `${D - at} bytes after the last tensor`);

  const base = 8 + N;
  for (const e of infos) e.bytes = bytes.subarray(base + e.begin, base + e.end);
  return { entries: infos, metadata };
}

const NO_BYTES = new Uint8Array(0);

/**
 * Counts on the raw UTF-8 bytes of the header's JSON, without allocating, so that a header of a
 * million entries is refused before it is parsed: `entries`, the values opened at depth 1 (`{` or
 * `[` directly inside the top-level object: the tensor entries and `__metadata__`), and `values`,
 * an upper bound of the keys and values the parser would build: one (the root) plus every `{`, `[`,
 * `,` and `:` (each key or value but the root is a container's first item or follows a `,` or a
 * `:`). Bytes inside strings do not count (UTF-8 continuation bytes are never ASCII). Malformed
 * JSON is left to the parser.
 */
function countEntries(b: Uint8Array, from: number, to: number): { entries: number; values: number } {
  let depth = 0, entries = 0, values = 1, inString = false;
  for (let i = from; i < to; i++) {
    const c = b[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (depth === 1) entries++;
      depth++;
      values++;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c || c === 0x3a) values++;
  }
  return { entries, values };
}

function describeJson(v: Json | undefined): string {
  if (v === undefined) return 'missing';
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return JSON.stringify(v);
}

/** A fresh, aligned copy of `src` in host byte order, for elements of `k` bytes. */
function alignedCopy(src: Uint8Array, k: number): ArrayBuffer {
  const buf = new ArrayBuffer(src.length);
  const out = new Uint8Array(buf);
  out.set(src);
  if (!LITTLE_ENDIAN) swapBytes(out, k);
  return buf;
}

/** Reads 64-bit integers as exact numbers, refusing any beyond ±2^53. */
function read64(e: RawEntry, signed: boolean): Float64Array {
  const n = e.bytes.length / 8;
  const out = new Float64Array(n);
  const dv = new DataView(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength);
  for (let i = 0; i < n; i++) {
    const lo = dv.getUint32(8 * i, true);
    const hi = signed ? dv.getInt32(8 * i + 4, true) : dv.getUint32(8 * i + 4, true);
    // |v| ≤ 2^53 ⇔ |hi| < 2^21, or hi = 2^21 with lo = 0, or hi = −2^21 with lo = 0.
    if (hi > 0x200000 || (hi === 0x200000 && lo !== 0) || hi < -0x200000 || (hi === -0x200000 && lo !== 0)) {
      bad('BAD_VALUE', `tensor ${JSON.stringify(e.name)}: ${e.dtype} element ${i} is beyond ±2^53 and cannot be read exactly`);
    }
    out[i] = hi * TWO32 + lo;
  }
  return out;
}

/** Decodes one validated entry: floats to a float32 Tensor, the rest to a TypedTensor. @internal */
export function decodeEntry(e: RawEntry): Tensor | TypedTensor {
  const { dtype, shape, bytes } = e;
  const k = itemSize(dtype);
  const n = bytes.length / k;
  const float = (data: Float32Array): Tensor => new Tensor(data, shape);
  if (dtype === 'F32' || dtype === 'F64' || dtype === 'F16' || dtype === 'BF16') {
    if (n > 2 ** 31 - 1) bad('BAD_SHAPE', `tensor ${JSON.stringify(e.name)}: ${n} elements exceed a Tensor's 2^31 − 1`);
  }
  switch (dtype) {
    case 'F32': return float(new Float32Array(alignedCopy(bytes, 4)));
    case 'F64': return float(new Float32Array(new Float64Array(alignedCopy(bytes, 8))));
    case 'F16': case 'BF16': {
      // Written as float32 bits, not numbers, so NaN signs and payloads survive.
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      if (dtype === 'F16') for (let i = 0; i < n; i++) bits[i] = halfToF32Bits(bytes[2 * i] | (bytes[2 * i + 1] << 8));
      else for (let i = 0; i < n; i++) bits[i] = (bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16;
      return float(out);
    }
    case 'BOOL': {
      const data = bytes.slice();
      for (let i = 0; i < n; i++) {
        if (data[i] > 1) bad('BAD_VALUE', `tensor ${JSON.stringify(e.name)}: BOOL element ${i} is ${data[i]}, not 0 or 1`);
      }
      return { dtype, shape, data };
    }
    case 'U8': return { dtype, shape, data: bytes.slice() };
    case 'I8': return { dtype, shape, data: new Int8Array(alignedCopy(bytes, 1)) };
    case 'I16': return { dtype, shape, data: new Int16Array(alignedCopy(bytes, 2)) };
    case 'U16': return { dtype, shape, data: new Uint16Array(alignedCopy(bytes, 2)) };
    case 'I32': return { dtype, shape, data: new Int32Array(alignedCopy(bytes, 4)) };
    case 'U32': return { dtype, shape, data: new Uint32Array(alignedCopy(bytes, 4)) };
    case 'I64': return { dtype, shape, data: read64(e, true) };
    case 'U64': return { dtype, shape, data: read64(e, false) };
  }
}

/**
 * A typed array of class `ctor` over a copy of an entry's raw bytes (host byte order); no value
 * conversion. Used for optimizer state, which must come back bit-exact in its own array class.
 * @internal
 */
export function rawArray<T>(e: RawEntry, ctor: new (buf: ArrayBuffer) => T): T {
  return new ctor(alignedCopy(e.bytes, itemSize(e.dtype)));
}

/**
 * Reads a safetensors file (the format of Hugging Face's `safetensors`): an 8-byte little-endian
 * header length N, N bytes of UTF-8 JSON (`{ name: { dtype, shape, data_offsets }, __metadata__ }`)
 * and the tensors' bytes. F32, F64, F16 and BF16 tensors become float32 {@link Tensor}s (F64 is
 * rounded to float32; 16-bit floats convert exactly, subnormals, ±Inf and NaN included); integer and
 * BOOL tensors become {@link TypedTensor}s of exact values (I64 and U64 as Float64Array, refused
 * beyond ±2^53).
 *
 * The loader is safe on untrusted bytes: it never reads out of bounds, allocates at most about
 * twice the file's size plus about 1.5 KB per tensor (at most {@link MAX_TENSORS} of them) and
 * 200 bytes per metadata entry (at most {@link MAX_HEADER_VALUES} keys and values in all),
 * and rejects with a {@link FormatError} whose `code` names the problem:
 * `TRUNCATED`, `HEADER_TOO_LARGE` (> 100 MB, more than {@link MAX_TENSORS} tensors, or more than {@link MAX_HEADER_VALUES} JSON values), `BAD_JSON` (invalid UTF-8 or JSON), `DUPLICATE_KEY`,
 * `FORBIDDEN_KEY` (`__proto__`), `BAD_HEADER`, `BAD_DTYPE`, `BAD_SHAPE`, `SIZE_MISMATCH`,
 * `BAD_OFFSETS` (overlaps or gaps), `TRAILING_BYTES`, `BAD_METADATA` (non-string values), `BAD_VALUE`.
 *
 * @example
 * const bytes = saveSafetensors({ w: tensor([[1, 2], [3, 4]]) }, { note: 'hi' });
 * const { tensors, metadata } = loadSafetensors(bytes);
 * (tensors.w as Tensor).tolist(); // [[1, 2], [3, 4]]
 * metadata.note; // 'hi'
 * @throws FormatError with one of the codes above; ArgumentError if `bytes` is not a Uint8Array.
 * @see https://huggingface.co/docs/safetensors
 * @category IO
 */
export function loadSafetensors(bytes: Uint8Array): SafetensorsContents {
  const { entries, metadata } = parseSafetensors(bytes);
  const tensors: Record<string, Tensor | TypedTensor> = {};
  for (const e of entries) tensors[e.name] = decodeEntry(e);
  return { tensors, metadata: metadata ?? {} };
}

/** What {@link inspectSafetensors} returns. @category IO */
export interface SafetensorsHeader {
  /** Each tensor's header entry by name, in file order. */
  tensors: Record<string, SafetensorsEntryInfo>;
  /** The `__metadata__` string map (empty when the file has none). */
  metadata: Record<string, string>;
}

/**
 * Validates a safetensors file and returns its header (dtype, shape, offsets of every tensor, in
 * file order) and metadata without decoding any tensor data.
 * @example
 * const info = inspectSafetensors(saveSafetensors({ b: tensor([1, 2, 3]) }));
 * info.tensors.b.dataOffsets; // [0, 12]
 * @throws FormatError as {@link loadSafetensors}.
 * @category IO
 */
export function inspectSafetensors(bytes: Uint8Array): SafetensorsHeader {
  const { entries, metadata } = parseSafetensors(bytes);
  const tensors: Record<string, SafetensorsEntryInfo> = {};
  for (const e of entries) tensors[e.name] = { dtype: e.dtype, shape: e.shape, dataOffsets: [e.begin, e.end] };
  return { tensors, metadata: metadata ?? {} };
}

// ------------------------------------------------------------------------------------------ save

/** Matches a string that UTF-8 cannot encode. @internal */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Orders strings by Unicode code point, which is the byte order of their UTF-8 (Rust's `str` order). @internal */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Below the surrogates, and between two surrogates, code units compare as code points; a
    // surrogate (an astral code point) sorts after any BMP unit at or above U+E000.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs === ys) return x - y;
    return xs ? (y >= 0xe000 ? 1 : x - y) : (x >= 0xe000 ? -1 : x - y);
  }
  return a.length - b.length;
}

interface Prepared {
  name: string;
  dtype: Dtype;
  shape: number[];
  data: TypedData;
  nbytes: number;
}

const ACCEPTS: Record<Dtype, string[]> = {
  F32: ['Float32Array'], F16: ['Float32Array'], BF16: ['Float32Array'], F64: ['Float64Array'],
  I8: ['Int8Array'], U8: ['Uint8Array'], BOOL: ['Uint8Array'], I16: ['Int16Array'], U16: ['Uint16Array'],
  I32: ['Int32Array'], U32: ['Uint32Array'], I64: ['Float64Array', 'BigInt64Array'], U64: ['Float64Array', 'BigUint64Array'],
};

function arrayKind(d: unknown): string | null {
  if (d instanceof Float32Array) return 'Float32Array';
  if (d instanceof Float64Array) return 'Float64Array';
  if (d instanceof Int8Array) return 'Int8Array';
  if (d instanceof Uint8Array) return 'Uint8Array';
  if (d instanceof Int16Array) return 'Int16Array';
  if (d instanceof Uint16Array) return 'Uint16Array';
  if (d instanceof Int32Array) return 'Int32Array';
  if (d instanceof Uint32Array) return 'Uint32Array';
  if (d instanceof BigInt64Array) return 'BigInt64Array';
  if (d instanceof BigUint64Array) return 'BigUint64Array';
  return null;
}

function prepare(name: string, v: unknown): Prepared {
  const op = 'saveSafetensors';
  if (v instanceof Tensor) return { name, dtype: 'F32', shape: [...v.shape], data: v.data, nbytes: v.size * 4 };
  if (typeof v !== 'object' || v === null) throw new ArgumentError(`${op}: ${JSON.stringify(name)} must be a Tensor or { dtype, shape, data }, got ${v === null ? 'null' : typeof v}`);
  const { dtype: dt, shape: sh, data } = v as Partial<TypedTensor>;
  const dtype = typeof dt === 'string' ? dtypeOf(dt) : null;
  if (dtype === null) throw new ArgumentError(`${op}: ${JSON.stringify(name)} has unknown dtype ${String(dt)}`);
  if (!Array.isArray(sh) || !sh.every(isSafeNonNegInt)) throw new ArgumentError(`${op}: ${JSON.stringify(name)}: shape must be an array of non-negative integers`);
  const shape = [...(sh as number[])];
  const kind = arrayKind(data);
  if (kind === null || !ACCEPTS[dtype].includes(kind)) {
    throw new ArgumentError(`${op}: ${JSON.stringify(name)}: ${dtype} data must be ${ACCEPTS[dtype].join(' or ')}, got ${kind ?? typeof data}`);
  }
  const arr = data as TypedData;
  const count = checkedProduct(shape);
  if (count === null || count !== arr.length) {
    throw new ArgumentError(`${op}: ${JSON.stringify(name)}: shape [${shape.join(', ')}] needs ${count ?? 'too many'} elements, data has ${arr.length}`);
  }
  if (dtype === 'BOOL') {
    for (let i = 0; i < arr.length; i++) if ((arr as Uint8Array)[i] > 1) throw new ArgumentError(`${op}: ${JSON.stringify(name)}: BOOL element ${i} is ${(arr as Uint8Array)[i]}, not 0 or 1`);
  }
  if ((dtype === 'I64' || dtype === 'U64') && arr instanceof Float64Array) {
    const lo = dtype === 'I64' ? -TWO53 : 0;
    for (let i = 0; i < arr.length; i++) {
      const x = arr[i];
      if (!Number.isInteger(x) || x < lo || x > TWO53) throw new ArgumentError(`${op}: ${JSON.stringify(name)}: ${dtype} element ${i} = ${x} is not an integer in [${lo}, 2^53]`);
    }
  }
  return { name, dtype, shape, data: arr, nbytes: count * itemSize(dtype) };
}

function writeData(out: Uint8Array, pos: number, p: Prepared): void {
  const { dtype, data } = p;
  const n = data.length;
  if (dtype === 'F16' || dtype === 'BF16') {
    // Read float32 bits (a Float32Array's offset is always 4-aligned) so NaN signs reach the encoder.
    const src = new Uint32Array(data.buffer, data.byteOffset, n);
    const conv = dtype === 'F16' ? f32BitsToHalf : f32BitsToBf16;
    for (let i = 0; i < n; i++) {
      const h = conv(src[i]);
      out[pos + 2 * i] = h & 0xff;
      out[pos + 2 * i + 1] = h >>> 8;
    }
    return;
  }
  if ((dtype === 'I64' || dtype === 'U64') && data instanceof Float64Array) {
    const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    for (let i = 0; i < n; i++) {
      const x = data[i];
      const hi = Math.floor(x / TWO32);
      dv.setUint32(pos + 8 * i, x - hi * TWO32, true);
      dv.setInt32(pos + 8 * i + 4, hi, true);
    }
    return;
  }
  const src = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  out.set(src, pos);
  if (!LITTLE_ENDIAN) swapBytes(out.subarray(pos, pos + src.length), itemSize(dtype));
}

/**
 * Writes tensors in the safetensors format, byte for byte as the reference writer
 * (`safetensors.torch.save_file`) lays them out: tensors sorted by dtype alignment descending (the
 * reference's dtype order: U64, I64, F64, F32, U32, I32, BF16, F16, U16, I16, I8, U8, BOOL), then by
 * name in UTF-8 byte order, packed with no gaps; the header is compact JSON with `__metadata__`
 * first (its keys sorted, where the reference leaves them in hash order), padded with spaces to a
 * multiple of 8 bytes so the data starts 8-byte aligned. A Tensor is written as F32; other dtypes
 * as a {@link TypedTensor}, e.g. `{ dtype: 'F16', shape: t.shape, data: t.data }`.
 *
 * @example
 * const bytes = saveSafetensors({ a: tensor([1, 2]), ids: { dtype: 'I32', shape: [2], data: new Int32Array([7, 8]) } });
 * Object.keys(inspectSafetensors(bytes).tensors); // ['a', 'ids']
 * Array.from((loadSafetensors(bytes).tensors.ids as TypedTensor).data); // [7, 8]
 * @throws ArgumentError for more than {@link MAX_TENSORS} tensors or {@link MAX_HEADER_VALUES} header values, a reserved or malformed name
 * (`__metadata__`, `__proto__`, a lone surrogate), an unknown dtype, data of the wrong array type or length, a BOOL value other than 0
 * and 1, an I64/U64 value that is not an exact integer, or a metadata value that is not a string.
 * @category IO
 */
export function saveSafetensors(tensors: Record<string, Tensor | TypedTensor>, metadata?: Record<string, string>): Uint8Array {
  const op = 'saveSafetensors';
  if (typeof tensors !== 'object' || tensors === null) throw new ArgumentError(`${op}: tensors must be an object of name → tensor`);
  const checkName = (s: string, what: string): void => {
    if (LONE_SURROGATE.test(s)) throw new ArgumentError(`${op}: ${what} ${JSON.stringify(s)} contains a lone surrogate, which UTF-8 cannot encode`);
    if (s === '__proto__') throw new ArgumentError(`${op}: ${what} "__proto__" is not allowed`);
  };
  const items: Prepared[] = [];
  const names = Object.keys(tensors);
  if (names.length > MAX_TENSORS) throw new ArgumentError(`${op}: ${names.length} tensors is over the ${MAX_TENSORS} that readers of tensorkit accept`);
  for (const name of names) {
    checkName(name, 'tensor name');
    if (name === '__metadata__') throw new ArgumentError(`${op}: "__metadata__" is reserved for the metadata map`);
    items.push(prepare(name, tensors[name]));
  }
  items.sort((a, b) => dtypeRank(b.dtype) - dtypeRank(a.dtype) || compareCodePoints(a.name, b.name));

  const parts: string[] = [];
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null) throw new ArgumentError(`${op}: metadata must be an object of strings`);
    const keys = Object.keys(metadata).sort(compareCodePoints);
    const kv: string[] = [];
    for (const k of keys) {
      checkName(k, 'metadata key');
      const val = metadata[k];
      if (typeof val !== 'string') throw new ArgumentError(`${op}: metadata[${JSON.stringify(k)}] must be a string, got ${typeof val}`);
      checkName(val, 'metadata value');
      kv.push(`${JSON.stringify(k)}:${JSON.stringify(val)}`);
    }
    parts.push(`"__metadata__":{${kv.join(',')}}`);
  }
  let offset = 0;
  for (const p of items) {
    parts.push(`${JSON.stringify(p.name)}:{"dtype":"${p.dtype}","shape":[${p.shape.join(',')}],"data_offsets":[${offset},${offset + p.nbytes}]}`);
    offset += p.nbytes;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const N = Math.ceil(json.length / 8) * 8;
  if (N > MAX_HEADER_BYTES) throw new ArgumentError(`${op}: the header would be ${N} bytes, over the ${MAX_HEADER_BYTES}-byte limit readers enforce`);
  // Counted as the reader counts, so that every file written here loads back.
  const { values } = countEntries(json, 0, json.length);
  if (values > MAX_HEADER_VALUES) throw new ArgumentError(`${op}: the header would hold about ${values} JSON keys and values, over the ${MAX_HEADER_VALUES} that readers of tensorkit accept`);
  const out = new Uint8Array(8 + N + offset);
  new DataView(out.buffer).setUint32(0, N, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + N);
  let pos = 8 + N;
  for (const p of items) {
    writeData(out, pos, p);
    pos += p.nbytes;
  }
  return out;
}
