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

