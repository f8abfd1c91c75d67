import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gemmNaive } from '../../../src/tensor/kernels/matmul';
import { wasmGemm } from '../../../src/tensor/kernels/wasm/gemm';
import { ensureBytes, f32View, memoryBytes } from '../../../src/tensor/kernels/wasm/memory';
import { seededUniform as randomArray, gemmCases } from '../../helpers/check';

const abs = (x: Float32Array): Float32Array => x.map(Math.abs);

interface Case { M: number; K: number; N: number; transA: boolean; transB: boolean; accumulate: boolean; aOff: number; bOff: number; outOff: number; seed: number }
const SENTINEL = -12345;

/**
 * wasmGemm against gemmNaive: |x − y| ≤ 4·2⁻²⁴·(K + 2)·(1 + Σ_k |a_ik||b_kj| + |out₀|), the bound
 * of float32 accumulation of K terms (u = 2⁻²⁴ per add) in another order than the float64
 * oracle, with a factor 4 of slack; and nothing written outside out[outOff, outOff + M·N).
 */
function check(c: Case): void {
  const { M, K, N, transA, transB, accumulate, aOff, bOff, outOff, seed } = c;
  const a = randomArray(aOff + M * K + 3, seed), b = randomArray(bOff + K * N + 3, seed + 1);
  const out0 = randomArray(outOff + M * N + 3, seed + 2);
  out0.fill(SENTINEL, 0, outOff);
  out0.fill(SENTINEL, outOff + M * N);
  const fast = out0.slice(), slow = out0.slice(), scale = abs(out0);
  wasmGemm(fast, outOff, a, aOff, b, bOff, M, K, N, transA, transB, accumulate);
  gemmNaive(slow, outOff, a, aOff, b, bOff, M, K, N, transA, transB, accumulate);
  gemmNaive(scale, outOff, abs(a), aOff, abs(b), bOff, M, K, N, transA, transB, accumulate);
  for (let i = 0; i < fast.length; i++) {
    if (i < outOff || i >= outOff + M * N) {
      if (fast[i] !== SENTINEL) throw new Error(`wrote outside out at ${i} (${JSON.stringify(c)})`);
      continue;
    }
    const tol = 4 * 2 ** -24 * (K + 2) * (1 + scale[i]);
    if (!(Math.abs(fast[i] - slow[i]) <= tol)) throw new Error(`out[${i}] = ${fast[i]}, naive ${slow[i]}, tol ${tol} (${JSON.stringify(c)})`);
  }
}

// Sizes around the 4×8 tile, the 64-row chunk and the 256-deep K block, and the JS fallback below.
const dim = fc.oneof(fc.constantFrom(1, 3, 4, 5, 7, 8, 9, 17, 63, 65, 255), fc.integer({ min: 1, max: 40 }));
const caseArb = (transA: boolean, transB: boolean) => gemmCases(dim, transA, transB);

describe('wasmGemm against gemmNaive (tolerance 4·2⁻²⁴·(K + 2)·(1 + Σ|a||b|))', () => {
  for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
    const name = `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;
    it(`${name}: random shapes, offsets and accumulate`, () => {
      fc.assert(fc.property(caseArb(transA, transB), check), { numRuns: 40 });
    });
    it(`${name}: every edge at once (M 67, K 513, N 259: a ragged tile row and column, three K blocks)`, () => {
      for (const accumulate of [false, true]) check({ M: 67, K: 513, N: 259, transA, transB, accumulate, aOff: 3, bOff: 5, outOff: 1, seed: 7 });
      check({ M: 255, K: 17, N: 255, transA, transB, accumulate: false, aOff: 0, bOff: 1, outOff: 2, seed: 9 });
    });
  }

  it('ones · ones = K exactly, and a garbage out (NaN, ±Infinity) is fully overwritten', () => {
    const M = 70, K = 600, N = 263;
    const out = new Float32Array(M * N).fill(NaN);
    out[5] = Infinity;
    wasmGemm(out, 0, new Float32Array(M * K).fill(1), 0, new Float32Array(K * N).fill(1), 0, M, K, N, false, false, false);
    for (let i = 0; i < out.length; i++) if (out[i] !== K) throw new Error(`out[${i}] = ${out[i]}`);
  });

  it('K = 0 zero-fills (or leaves out when accumulating), M = 0 is a no-op', () => {
    const out = Float32Array.of(9, 1, 2, 3, 4, 9);
    wasmGemm(out, 1, new Float32Array(0), 0, new Float32Array(0), 0, 2, 0, 2, false, false, true);
    expect(Array.from(out)).toEqual([9, 1, 2, 3, 4, 9]);
    wasmGemm(out, 1, new Float32Array(0), 0, new Float32Array(0), 0, 2, 0, 2, false, false, false);
    expect(Array.from(out)).toEqual([9, 0, 0, 0, 0, 9]);
    wasmGemm(out, 0, new Float32Array(8), 0, new Float32Array(8), 0, 0, 4, 2, false, false, false);
    expect(Array.from(out)).toEqual([9, 0, 0, 0, 0, 9]);
  });

  it('the same result after the memory grew (views re-taken), and the memory never shrinks', () => {
    const M = 20, K = 30, N = 40;
    const a = randomArray(M * K, 4), b = randomArray(K * N, 5);
    const before = new Float32Array(M * N), after = new Float32Array(M * N);
    wasmGemm(before, 0, a, 0, b, 0, M, K, N, false, false, false);
    const old = f32View();
    ensureBytes(memoryBytes() + 3 * 65536);
    // A new view over the grown memory (an ordinary memory's old view is detached, a shared one's stays short).
    expect(f32View()).not.toBe(old);
    expect(f32View().length).toBe(memoryBytes() / 4);
    const big = 300;
    wasmGemm(new Float32Array(big * big), 0, randomArray(big * big, 6), 0, randomArray(big * big, 7), 0, big, big, big, false, false, false);
    const size = memoryBytes();
    wasmGemm(after, 0, a, 0, b, 0, M, K, N, false, false, false);
    expect(after).toEqual(before);
    expect(memoryBytes()).toBe(size);
  });
});
