import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { f32BitsToBf16, f32BitsToHalf, halfToF32Bits } from '../../src/io/dtypes';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsOf = (x: number): number => {
  f32[0] = x;
  return u32[0];
};
const valueOf = (bits: number): number => {
  u32[0] = bits;
  return f32[0];
};

/** IEEE binary16 value from its fields: (−1)^s · 2^(e−15) · (1 + m/1024), subnormals 2^−14 · m/1024. */
function halfValue(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (m / 1024);
  if (e === 31) return m ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + m / 1024);
}

/**
 * Round-to-nearest-even to binary16 by brute force in float64: the two neighbouring halves around x
 * (found by bisection over the ordered finite halves) and the one closer, even mantissa on ties;
 * beyond 65504 + half an ulp (65520) the result is Inf.
 */
function halfRef(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0;
  let hi = 0x7bff;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (halfValue(mid) <= a) lo = mid;
    else hi = mid;
  }
  if (halfValue(hi) <= a) lo = hi;
  const up = Math.min(lo + 1, 0x7c00);
  const dl = a - halfValue(lo);
  const du = (up === 0x7c00 ? 65536 : halfValue(up)) - a;
  const pick = dl < du ? lo : du < dl ? up : (lo & 1) === 0 ? lo : up;
  return sign | pick;
}

describe('float16 conversions', () => {
  it('decodes every one of the 65536 halves exactly (subnormals, ±0, ±Inf, NaN with sign)', () => {
    const wrong: string[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const bits = halfToF32Bits(h);
      const got = valueOf(bits);
      const want = halfValue(h);
      const ok = Number.isNaN(want) ? Number.isNaN(got) && bits >>> 31 === h >>> 15 : Object.is(got, want);
      if (!ok) wrong.push(`${h.toString(16)}: ${got} vs ${want}`);
    }
    expect(wrong).toEqual([]);
  });

  it('re-encodes every one of the 65536 halves to itself, NaN payloads included', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) if (f32BitsToHalf(halfToF32Bits(h)) !== h) wrong.push(h);
    expect(wrong).toEqual([]);
  });

  it('rounds float32 to nearest even exactly as a brute-force search over halves does', () => {
    const cases = [
      65504, 65519.99, 65520, 1e6, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -25 + 2 ** -40, 1 + 2 ** -11, 1 + 3 * 2 ** -11,
      2 ** -14 - 2 ** -25, 6.1e-5, 0.1, -0.3333333, 1e-8, 5.96e-8, 1.5 * 2 ** -24, -0, 0, Infinity, -Infinity,
    ];
    for (const x of cases) expect(f32BitsToHalf(bitsOf(x)), `x=${x}`).toBe(halfRef(Math.fround(x)));
    // The canonical NaN (either sign) becomes the quiet NaN 0x7E00, as PyTorch writes it.
    expect(f32BitsToHalf(0x7fc00000)).toBe(0x7e00);
    expect(f32BitsToHalf(0xffc00000)).toBe(0xfe00);
    // A signalling NaN whose payload would truncate to zero must not become Inf.
    expect(f32BitsToHalf(0x7f800001)).toBe(0x7e00);
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (bits) => {
      const x = valueOf(bits);
      if (Number.isNaN(x)) {
        const p = (bits & 0x7fffff) >>> 13;
        return f32BitsToHalf(bits) === (((bits >>> 16) & 0x8000) | 0x7c00 | (p === 0 ? 0x200 : p));
      }
      return f32BitsToHalf(bits) === halfRef(x);
    }), { numRuns: 300 });
  });
});

describe('bfloat16 conversions', () => {
  it('rounds to nearest even on the upper 16 bits; NaN stays NaN (canonical → 0x7FC0); Inf stays Inf', () => {
    expect(f32BitsToBf16(bitsOf(1))).toBe(0x3f80);
    // 1 + 2^−8 is a tie between 1 (even) and 1 + 2^−7: stays 1. 1 + 3·2^−8 ties up to 1 + 2^−6.
    expect(f32BitsToBf16(bitsOf(1 + 2 ** -8))).toBe(0x3f80);
    expect(f32BitsToBf16(bitsOf(1 + 3 * 2 ** -8))).toBe(0x3f82);
    expect(f32BitsToBf16(bitsOf(Infinity))).toBe(0x7f80);
    expect(f32BitsToBf16(bitsOf(-Infinity))).toBe(0xff80);
    expect(f32BitsToBf16(0x7fc00000)).toBe(0x7fc0);
    expect(f32BitsToBf16(0xffff0000)).toBe(0xffff);
    // A NaN whose upper half would read as Inf is made quiet instead.
    expect(f32BitsToBf16(0x7f800001)).toBe(0x7fc0);
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) if (f32BitsToBf16((h << 16) >>> 0) !== h) wrong.push(h);
    expect(wrong).toEqual([]);
    // The largest float32 rounds up past bfloat16's largest finite value to Inf.
    expect(f32BitsToBf16(0x7f7fffff)).toBe(0x7f80);
  });

  it('is the nearest bfloat16 for random finite floats (checked against its two neighbours)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (bits) => {
      const x = valueOf(bits);
      if (!Number.isFinite(x)) return true;
      const b = f32BitsToBf16(bits);
      const lo = bits >>> 16;
      const cand = [lo, lo + 1].map((h) => valueOf((h & 0xffff) << 16));
      const got = valueOf(b << 16);
      const best = Math.min(...cand.map((c) => Math.abs(c - x)));
      return Math.abs(got - x) === best || !Number.isFinite(got);
    }), { numRuns: 300 });
  });
});
