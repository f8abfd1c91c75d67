import { chargeAllocation } from './alloc';
import { brand } from './brand';
import { ArgumentError, fmtShape } from './errors';
import { checkShape, describe, sizeOf } from './shape';

// Storage types beyond float32 (the type moved here from io so that tensor, nn and io share it):
// a tensor of any safetensors dtype as plain data. Modules hold such tensors as buffers (int8
// quantized weights, uint8 pruning masks) and reflection saves and loads them like float buffers.

/**
 * A safetensors element type. Floats load as float32 `Tensor`s; integers and booleans load as
 * typed arrays of exact values (`I64`/`U64` as a `Float64Array`, refused past 2^53).
 * @category Tensor
 */
export type Dtype = 'BOOL' | 'U8' | 'I8' | 'I16' | 'U16' | 'F16' | 'BF16' | 'I32' | 'U32' | 'F32' | 'F64' | 'I64' | 'U64';

/** Typed arrays that hold the values of a {@link TypedTensor}. @category Tensor */
export type TypedData =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array;

/**
 * A tensor of any safetensors dtype as plain data: `data` holds the values row-major.
 *
 * What `data` is, per dtype — on save (any listed type accepted) and on load (the first one):
 * `F32`, `F16`, `BF16`: Float32Array (16-bit floats are rounded to nearest even on save; they load
 * as float32 Tensors); `F64`: Float64Array (loads as a float32 Tensor); `I8` Int8Array; `U8`
 * Uint8Array; `BOOL` Uint8Array of 0 and 1; `I16` Int16Array; `U16` Uint16Array; `I32` Int32Array;
 * `U32` Uint32Array; `I64`: Float64Array of integers with |v| ≤ 2^53, or BigInt64Array; `U64`:
 * Float64Array of integers in [0, 2^53], or BigUint64Array.
 * @category Tensor
 */
export interface TypedTensor {
  /** The element type written to (or read from) the file. */
  dtype: Dtype;
  /** The dimensions, row-major. */
  shape: readonly number[];
  /** The values, `product(shape)` of them, in the array type the table above gives. */
  data: TypedData;
}


// ------------------------------------------------------------------------------ TypedBuffer

/**
 * The element types a {@link TypedBuffer} holds: the integer and boolean safetensors dtypes (float
 * storage is a float32 `Tensor`).
 * @category Tensor
 */
export type IntegerDtype = 'BOOL' | 'U8' | 'I8' | 'I16' | 'U16' | 'I32' | 'U32' | 'I64' | 'U64';

/** The array of a {@link TypedBuffer}: one class per dtype, `I64`/`U64` as exact float64 integers. @category Tensor */
export type IntegerData = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float64Array;

/** The JSON form of a {@link TypedBuffer}, as {@link TypedBuffer.toJSON} writes it. @category Tensor */
export interface TypedTensorJson {
  /** The element type. */
  dtype: IntegerDtype;
  /** The dimensions, row-major. */
  shape: number[];
  /** The values as exact integers, row-major. */
  data: number[];
}

type IntegerArrayClass = { new (n: number): IntegerData; name: string };

const ARRAY_OF: Readonly<Record<IntegerDtype, IntegerArrayClass>> = {
  BOOL: Uint8Array, U8: Uint8Array, I8: Int8Array, I16: Int16Array, U16: Uint16Array,
  I32: Int32Array, U32: Uint32Array, I64: Float64Array, U64: Float64Array,
};

const TWO53 = 2 ** 53;

// Recognised by a brand rather than `instanceof`, so that two copies of the library in one process
// (an ESM and a CommonJS build) accept each other's buffers.
const BRAND = brand('TypedBuffer');

function isIntegerDtype(v: unknown): v is IntegerDtype {
  return typeof v === 'string' && Object.hasOwn(ARRAY_OF, v);
}

/** Checks each value against the dtype's range where the array class does not enforce it. */
function checkValues(op: string, dtype: IntegerDtype, data: ArrayLike<number>): void {
  if (dtype === 'BOOL') {
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== 0 && data[i] !== 1) throw new ArgumentError(`${op}: BOOL element ${i} is ${describe(data[i])}, not 0 or 1`);
    }
  } else if (dtype === 'I64' || dtype === 'U64') {
    const lo = dtype === 'I64' ? -TWO53 : 0;
    for (let i = 0; i < data.length; i++) {
      const x = data[i];
      if (!Number.isInteger(x) || x < lo || x > TWO53) {
        throw new ArgumentError(`${op}: ${dtype} element ${i} = ${describe(x)} is not an integer in [${dtype === 'I64' ? '-2^53' : '0'}, 2^53]`);
      }
    }
  }
}

/**
 * Integer or boolean storage for a module: int8 quantized weights, uint8 pruning masks, int32
 * indices. A `TypedBuffer` field of a `Module` is a buffer like a non-parameter `Tensor`
 * field: reflection finds it (`namedBuffers`), `stateDict()` saves it and `loadStateDict` loads
 * it back in place, checking dtype and shape; safetensors writes it as its dtype bit-exactly. It
 * never takes part in autograd. Values are exact: each dtype has one array class (`I8`
 * Int8Array, `U8` and `BOOL` Uint8Array, `I16` Int16Array, `U16` Uint16Array, `I32` Int32Array,
 * `U32` Uint32Array, `I64`/`U64` Float64Array of integers within ±2^53), and a value the dtype
 * cannot hold is refused, never wrapped. It implements {@link TypedTensor}, so it is accepted
 * wherever one is, and it is recognised by a brand ({@link TypedBuffer.isTypedBuffer}), not by
 * `instanceof`.
 *
 * Shapes: every rank and size; `size` = Π shape.
 * @example
 * const mask = new TypedBuffer('U8', [2, 2], new Uint8Array([1, 0, 0, 1]));
 * mask.size; // 4
 * mask.toJSON(); // { dtype: 'U8', shape: [2, 2], data: [1, 0, 0, 1] }
 * new TypedBuffer('I8', [3]).toArray(); // [0, 0, 0]
 * @throws ArgumentError for a dtype that is not an integer dtype, a bad shape, data of another
 * array class or length, or a value outside the dtype (BOOL other than 0 and 1, I64 past 2^53).
 * @category Tensor
 */
export class TypedBuffer implements TypedTensor {
  /** The element type. */
  readonly dtype: IntegerDtype;
  /** The dimensions, row-major. */
  readonly shape: readonly number[];
  /** The values (shared, not copied, when given to the constructor). */
  readonly data: IntegerData;
  /** Number of elements. */
  readonly size: number;

  /**
   * Wraps `data` (not copied) as a buffer of `dtype` and `shape`, or allocates zeros when `data`
   * is omitted.
   */
  constructor(dtype: IntegerDtype, shape: readonly number[], data?: IntegerData) {
    const op = 'TypedBuffer';
    if (!isIntegerDtype(dtype)) {
      throw new ArgumentError(`${op}: dtype must be one of ${Object.keys(ARRAY_OF).map((k) => `'${k}'`).join(', ')}, got ${describe(dtype)} (float storage is a Tensor)`);
    }
    const s = checkShape(shape, op);
    const n = sizeOf(s);
    const cls = ARRAY_OF[dtype];
    if (data === undefined) {
      chargeAllocation(n, op);
      data = new cls(n);
    } else {
      if (!(data instanceof cls)) {
        throw new ArgumentError(`${op}: ${dtype} data must be ${/^[AEIOU]/.test(cls.name) ? 'an' : 'a'} ${cls.name}, got ${describe(data)}`);
      }
      if (data.length !== n) throw new ArgumentError(`${op}: data has ${data.length} elements but shape ${fmtShape(s)} needs ${n}`);
      checkValues(op, dtype, data);
    }
    this.dtype = dtype;
    this.shape = s;
    this.data = data;
    this.size = n;
  }

  /**
   * A new buffer holding a copy of `source`'s values: a {@link TypedTensor} of an integer dtype
   * (any array class safetensors accepts for it, `BigInt64Array` included), or its JSON form
   * `{ dtype, shape, data: number[] }` (what {@link TypedBuffer.toJSON} writes).
   * @example
   * Array.from(TypedBuffer.from({ dtype: 'I32', shape: [2], data: [7, -8] }).data); // [7, -8]
   * @throws ArgumentError naming the problem: not an integer dtype, a bad shape or length, or a
   * value the dtype cannot hold exactly (a fraction, an I8 of 200, an I64 past 2^53).
   */
  static from(source: TypedTensor | TypedTensorJson): TypedBuffer {
    const op = 'TypedBuffer.from';
    if (source === null || typeof source !== 'object') throw new ArgumentError(`${op}: source must be { dtype, shape, data }, got ${describe(source)}`);
    const { dtype, shape, data } = source as { dtype: unknown; shape: unknown; data: unknown };
    if (!isIntegerDtype(dtype)) throw new ArgumentError(`${op}: dtype must be an integer dtype, got ${describe(dtype)}`);
    const s = checkShape(shape, op);
    const n = sizeOf(s);
    const ok = Array.isArray(data) || (ArrayBuffer.isView(data) && !(data instanceof DataView));
    if (!ok) throw new ArgumentError(`${op}: data must be an array or a typed array, got ${describe(data)}`);
    const src = data as ArrayLike<unknown>;
    if (src.length !== n) throw new ArgumentError(`${op}: data has ${src.length} elements but shape ${fmtShape(s)} needs ${n}`);
    chargeAllocation(n, op);
    const cls = ARRAY_OF[dtype];
    const out = new cls(n);
    // The range of each array class, so that a value is refused rather than wrapped by the store.
    const probe = new cls(1);
    for (let i = 0; i < n; i++) {
      const raw = src[i];
      const v = typeof raw === 'bigint' && raw >= -BigInt(TWO53) && raw <= BigInt(TWO53) ? Number(raw) : raw;
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new ArgumentError(`${op}: ${dtype} element ${i} = ${describe(raw)} is not an exact integer`);
      probe[0] = v;
      if (probe[0] !== v) throw new ArgumentError(`${op}: ${dtype} element ${i} = ${describe(v)} is out of range`);
      out[i] = v;
    }
    checkValues(op, dtype, out);
    return new TypedBuffer(dtype, s, out);
  }

  /** Like {@link TypedBuffer.isTypedBuffer} for `x instanceof TypedBuffer`; a subclass gets the ordinary prototype check. */
  static [Symbol.hasInstance](v: unknown): boolean {
    return BRAND.hasInstance(TypedBuffer, this, v);
  }

  /** True for a {@link TypedBuffer} of any copy of the library (a brand check, not `instanceof`). */
  static isTypedBuffer(v: unknown): v is TypedBuffer {
    return BRAND.is(v);
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** A buffer sharing this one's data (what `stateDict()` returns). */
  view(): TypedBuffer {
    return new TypedBuffer(this.dtype, this.shape, this.data);
  }

  /** A deep copy. */
  clone(): TypedBuffer {
    return new TypedBuffer(this.dtype, this.shape, this.data.slice());
  }

  /** The values as a flat array of numbers. */
  toArray(): number[] {
    return Array.from(this.data);
  }

  /** The JSON form `{ dtype, shape, data }` with `data` a number array; {@link TypedBuffer.from} reads it back. */
  toJSON(): TypedTensorJson {
    return { dtype: this.dtype, shape: [...this.shape], data: Array.from(this.data) };
  }
}

BRAND.mark(TypedBuffer.prototype);
