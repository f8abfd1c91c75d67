import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gemmU8I8Naive } from '../../../src/tensor/kernels/int8';
import { WASM_INT8_MIN_WORK, buildInt8Module, wasmGemmU8I8 } from '../../../src/tensor/kernels/wasm/int8';
import { simdSupported } from '../../../src/tensor/kernels/wasm/index';

/** Seeded integers in [lo, hi] (mulberry32). */
function ints<T extends Uint8Array | Int8Array | Int32Array>(Cls: new (n: number) => T, n: number, seed: number, lo: number, hi: number): T {
  const out = new Cls(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (((t ^ (t >>> 14)) >>> 0) % (hi - lo + 1));
  }
  return out;
}

describe.runIf(simdSupported())('wasm gemmU8I8 (i32x4.dot_i16x8_s) equals its naive twin exactly', () => {
  it('the module validates', () => {
    expect(WebAssembly.validate(buildInt8Module())).toBe(true);
  });

  const size = fc.oneof(fc.constantFrom(1, 3, 4, 5, 17, 64), fc.integer({ min: 1, max: 40 }));
  it('on random shapes (ragged K and N, offsets, accumulate), extremes included', () => {
    fc.assert(fc.property(
      fc.record({ M: size, K: fc.oneof(size, fc.constantFrom(15, 16, 33, 255)), N: size, acc: fc.boolean(), aOff: fc.nat(3), wOff: fc.nat(3), oOff: fc.nat(3), seed: fc.nat() }),
      (r) => {
        const a = ints(Uint8Array, r.aOff + r.M * r.K, r.seed, 0, 255);
        const w = ints(Int8Array, r.wOff + r.N * r.K, r.seed + 1, -128, 127);
        const o1 = ints(Int32Array, r.oOff + r.M * r.N + 2, r.seed + 2, -1000, 1000), o2 = o1.slice();
        wasmGemmU8I8(o1, r.oOff, a, r.aOff, w, r.wOff, r.M, r.K, r.N, r.acc);
        gemmU8I8Naive(o2, r.oOff, a, r.aOff, w, r.wOff, r.M, r.K, r.N, r.acc);
        expect(Array.from(o1)).toEqual(Array.from(o2));
      },
    ), { numRuns: 60 });
  });

  it('at the extremes of both types over a long row (255 · −128 at every k)', () => {
    const M = 3, K = 1000, N = 9;
    const a = new Uint8Array(M * K).fill(255), w = new Int8Array(N * K).fill(-128);
    const o1 = new Int32Array(M * N), o2 = new Int32Array(M * N);
    expect(M * K * N).toBeGreaterThan(WASM_INT8_MIN_WORK);
    wasmGemmU8I8(o1, 0, a, 0, w, 0, M, K, N, false);
    gemmU8I8Naive(o2, 0, a, 0, w, 0, M, K, N, false);
    expect(Array.from(o1)).toEqual(Array.from(o2));
    expect(o1[0]).toBe(255 * -128 * K);
  });
});
