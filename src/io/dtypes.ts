/**
 * Element types of the safetensors format that tensorkit reads and writes, with their sizes and
 * the reference writer's order. Bit-exact conversions between float32 and the 16-bit floats.
 */

export type { Dtype } from '../tensor/typed';
import type { Dtype } from '../tensor/typed';

/**
 * Rank of each dtype in the reference implementation's `Dtype` enum (safetensors/src/tensor.rs,
 * "in increasing alignment order"); the writer lays tensors out by descending rank, then name.
 * FP8 types sit between I8 and I16 in that enum; tensorkit does not support them.
 */
const RANK: Record<Dtype, number> = {
  BOOL: 0, U8: 1, I8: 2, I16: 5, U16: 6, F16: 7, BF16: 8, I32: 9, U32: 10, F32: 11, F64: 12, I64: 13, U64: 14,
};

const ITEM_SIZE: Record<Dtype, number> = {
  BOOL: 1, U8: 1, I8: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

const DTYPES: ReadonlyMap<string, Dtype> = new Map(Object.keys(RANK).map((k) => [k, k as Dtype]));

/** The dtype named `s`, or null: a Map lookup, so names like 'constructor' are just unknown. @internal */
export function dtypeOf(s: string): Dtype | null {
  return DTYPES.get(s) ?? null;
}

/** Bytes per element. @internal */
export function itemSize(d: Dtype): number {
  return ITEM_SIZE[d];
}

/** Position in the reference writer's dtype order (higher is written first). @internal */
export function dtypeRank(d: Dtype): number {
  return RANK[d];
}

/** True on the (nearly universal) little-endian hosts, where typed arrays are already in file order. @internal */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the byte order of each `k`-byte element of `bytes` in place (big-endian hosts only). @internal */
export function swapBytes(bytes: Uint8Array, k: number): void {
  if (k === 1) return;
  for (let i = 0; i + k <= bytes.length; i += k) {
    for (let a = i, b = i + k - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/**
 * float32 bits → IEEE binary16 bits, round to nearest even; overflow gives ±Inf, values below half
 * the smallest subnormal give ±0. A NaN keeps its sign and the top 10 payload bits, or becomes the
 * quiet NaN 0x7E00 (what PyTorch writes for the canonical NaN) when those are all zero, so that
 * half → float32 → half is the identity on all 65536 bit patterns.
 * @internal
 */
export function f32BitsToHalf(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : (mant >>> 13) === 0 ? sign | 0x7e00 : sign | 0x7c00 | (mant >>> 13);
  const e = exp - 112; // rebias 127 → 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: value = mant·2^(exp−150) in units of 2^−24 is mant >> (14 − e).
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (h & 1) === 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, and 0x7BFF + 1 = 0x7C00 is Inf: both correct.
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++;
  return sign | h;
}

/**
 * IEEE binary16 bits → float32 bits of the same value (exact: every half is a float32; NaN keeps
 * its sign and payload).
 * @internal
 */
export function halfToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = (h >>> 10) & 0x1f;
  let m = h & 0x3ff;
  if (e === 31) return (sign | 0x7f800000 | (m << 13)) >>> 0;
  if (e !== 0) return (sign | ((e + 112) << 23) | (m << 13)) >>> 0;
  if (m === 0) return sign >>> 0;
  // Subnormal half m·2^−24: shift the leading 1 up to the implicit-bit position.
  let ex = 113;
  while ((m & 0x400) === 0) {
    m <<= 1;
    ex--;
  }
  return (sign | (ex << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

/**
 * float32 bits → bfloat16 bits, round to nearest even. A NaN keeps its upper 16 bits, made quiet
 * (0x0040) when its top 7 payload bits are zero: the canonical NaN gives 0x7FC0, as PyTorch's scalar
 * `round_to_nearest_even`, and bfloat16 → float32 → bfloat16 is the identity.
 * @internal
 */
export function f32BitsToBf16(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) {
    const h = bits >>> 16;
    return (h & 0x7f) === 0 ? h | 0x40 : h;
  }
  const lsb = (bits >>> 16) & 1;
  return (((bits >>> 0) + 0x7fff + lsb) >>> 16) & 0xffff;
}
