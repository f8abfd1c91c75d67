import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gemm, gemmNaive } from '../../../src/tensor/kernels/matmul';
import { seededUniform as randomArray, gemmCases } from '../../helpers/check';


function absArray(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.abs(x[i]);
  return out;
}

interface Case {
  M: number; K: number; N: number;
  transA: boolean; transB: boolean; accumulate: boolean;
  aOff: number; bOff: number; outOff: number; seed: number;
}

const SENTINEL = -12345;

/**
 * Runs gemm and gemmNaive on the same inputs and checks every output element against
 * |x − y| ≤ 1e-4·(1 + Σ_k |a_ik||b_kj| + |out₀|), the scale of the sum's rounding error, and that
 * nothing outside out[outOff, outOff + M·N) was written.
 */
function checkAgainstNaive(c: Case): void {
  const { M, K, N, transA, transB, accumulate, aOff, bOff, outOff, seed } = c;
  const a = randomArray(aOff + M * K + 3, seed);
  const b = randomArray(bOff + K * N + 3, seed + 1);
  const out0 = randomArray(outOff + M * N + 3, seed + 2);
  out0.fill(SENTINEL, 0, outOff);
  out0.fill(SENTINEL, outOff + M * N);
  const fast = out0.slice();
  const slow = out0.slice();
  gemm(fast, outOff, a, aOff, b, bOff, M, K, N, transA, transB, accumulate);
  gemmNaive(slow, outOff, a, aOff, b, bOff, M, K, N, transA, transB, accumulate);
  const scale = absArray(out0);
  gemmNaive(scale, outOff, absArray(a), aOff, absArray(b), bOff, M, K, N, transA, transB, accumulate);
  for (let i = 0; i < fast.length; i++) {
    if (i < outOff || i >= outOff + M * N) {
      if (fast[i] !== SENTINEL) throw new Error(`wrote outside out at ${i} (${JSON.stringify(c)})`);
      continue;
    }
    const tol = 1e-4 * (1 + scale[i]);
    if (!(Math.abs(fast[i] - slow[i]) <= tol)) {
      throw new Error(`out[${i}] = ${fast[i]}, naive ${slow[i]}, tol ${tol} (${JSON.stringify(c)})`);
    }
  }
}

// Sizes around the 4×4 register block, the 64-row / 256-column / 256-deep cache blocks, and 1.
const edgeDim = fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 9, 17, 63, 65, 255, 257);
const dim = fc.oneof(edgeDim, fc.integer({ min: 1, max: 40 }));
const caseArb = (transA: boolean, transB: boolean) => gemmCases(dim, transA, transB);

describe('gemm against gemmNaive', () => {
  for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
    const name = `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;
    it(`${name}: random shapes, offsets and accumulate`, () => {
      fc.assert(fc.property(caseArb(transA, transB), (c) => checkAgainstNaive(c)), { numRuns: 40 });
    });
    it(`${name}: every block-remainder combination at once (M 67, K 300, N 259)`, () => {
      // 67 = 64 + 3 (MC block plus an edge tile), 300 = 256 + 44 (two K blocks),
      // 259 = 256 + 3 (two N blocks, the second a 3-wide edge tile).
      for (const accumulate of [false, true]) {
        checkAgainstNaive({ M: 67, K: 300, N: 259, transA, transB, accumulate, aOff: 3, bOff: 5, outOff: 1, seed: 7 });
      }
    });
    it(`${name}: size-1 dims`, () => {
      for (const [M, K, N] of [[1, 1, 1], [1, 300, 17], [17, 300, 1], [5, 1, 9], [1, 1, 64], [64, 1, 1], [2, 1, 2]]) {
        checkAgainstNaive({ M, K, N, transA, transB, accumulate: false, aOff: 1, bOff: 2, outOff: 3, seed: M * 1000 + K + N });
        checkAgainstNaive({ M, K, N, transA, transB, accumulate: true, aOff: 0, bOff: 0, outOff: 0, seed: M + K * N });
      }
    });
  }
});

describe('gemm closed forms', () => {
  // A = [[1, 2, 3], [4, 5, 6]], B = [[7, 8], [9, 10], [11, 12]]:
  // (AB)₀₀ = 1·7 + 2·9 + 3·11 = 58, (AB)₀₁ = 1·8 + 2·10 + 3·12 = 64,
  // (AB)₁₀ = 4·7 + 5·9 + 6·11 = 139, (AB)₁₁ = 4·8 + 5·10 + 6·12 = 154.
  const A = Float32Array.of(1, 2, 3, 4, 5, 6);
  const At = Float32Array.of(1, 4, 2, 5, 3, 6); // stored (K, M) = (3, 2)
  const B = Float32Array.of(7, 8, 9, 10, 11, 12);
  const Bt = Float32Array.of(7, 9, 11, 8, 10, 12); // stored (N, K) = (2, 3)
  const AB = [58, 64, 139, 154];

  for (const f of [gemm, gemmNaive]) {
    it(`${f.name}: 2×3 · 3×2 by hand in all four layouts`, () => {
      for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
        const out = new Float32Array(4);
        f(out, 0, transA ? At : A, 0, transB ? Bt : B, 0, 2, 3, 2, transA, transB, false);
        expect(Array.from(out)).toEqual(AB);
      }
    });
  }

  it('the TSDoc examples', () => {
    const out = new Float32Array(4);
    gemm(out, 0, Float32Array.of(1, 2, 3, 4), 0, Float32Array.of(5, 6, 7, 8), 0, 2, 2, 2, false, false, false);
    expect(Array.from(out)).toEqual([19, 22, 43, 50]);
    const dot = new Float32Array(1);
    gemmNaive(dot, 0, Float32Array.of(1, 2, 3), 0, Float32Array.of(4, 5, 6), 0, 1, 3, 1, false, false, false);
    expect(Array.from(dot)).toEqual([32]);
  });

  it('ones (M, K) · ones (K, N) = K everywhere, exactly, across blocks and edges', () => {
    // Each entry is a sum of K ones; integers below 2²⁴ are exact in float32.
    const M = 70, K = 600, N = 263;
    const out = new Float32Array(M * N);
    gemm(out, 0, new Float32Array(M * K).fill(1), 0, new Float32Array(K * N).fill(1), 0, M, K, N, false, false, false);
    for (let i = 0; i < out.length; i++) if (out[i] !== K) throw new Error(`out[${i}] = ${out[i]}`);
  });

  it('A · I = A and I · Aᵀ = Aᵀ exactly', () => {
    const n = 37;
    const A = randomArray(n * n, 3);
    const I = new Float32Array(n * n);
    for (let i = 0; i < n; i++) I[i * n + i] = 1;
    const out = new Float32Array(n * n);
    gemm(out, 0, A, 0, I, 0, n, n, n, false, false, false);
    expect(out).toEqual(A);
    gemm(out, 0, I, 0, A, 0, n, n, n, false, true, false);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(out[i * n + j]).toBe(A[j * n + i]);
  });

  it('accumulate adds onto out: two calls give twice the product', () => {
    const M = 9, K = 11, N = 13;
    const a = randomArray(M * K, 1), b = randomArray(K * N, 2);
    const once = new Float32Array(M * N), twice = new Float32Array(M * N);
    gemm(once, 0, a, 0, b, 0, M, K, N, false, false, false);
    gemm(twice, 0, a, 0, b, 0, M, K, N, false, false, false);
    gemm(twice, 0, a, 0, b, 0, M, K, N, false, false, true);
    for (let i = 0; i < once.length; i++) expect(Math.abs(twice[i] - 2 * once[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(once[i])));
  });
});

describe('gemm output contract', () => {
  it('overwrites a garbage-filled out (NaN, ±Infinity, huge) when accumulate is false', () => {
    for (const [M, K, N] of [[67, 300, 259], [5, 7, 3], [1, 9, 8], [8, 9, 1]]) {
      for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
        const a = randomArray(M * K, M), b = randomArray(K * N, N);
        const garbage = new Float32Array(M * N);
        for (let i = 0; i < garbage.length; i++) garbage[i] = [NaN, Infinity, -Infinity, 3e38][i % 4];
        const clean = new Float32Array(M * N);
        gemm(garbage, 0, a, 0, b, 0, M, K, N, transA, transB, false);
        gemm(clean, 0, a, 0, b, 0, M, K, N, transA, transB, false);
        expect(garbage).toEqual(clean);
      }
    }
  });

  it('K = 0 gives zeros, or leaves out unchanged when accumulating', () => {
    const empty = new Float32Array(0);
    const out = Float32Array.of(9, 1, 2, 3, 4, 9);
    gemm(out, 1, empty, 0, empty, 0, 2, 0, 2, false, false, true);
    expect(Array.from(out)).toEqual([9, 1, 2, 3, 4, 9]);
    gemm(out, 1, empty, 0, empty, 0, 2, 0, 2, true, true, false);
    expect(Array.from(out)).toEqual([9, 0, 0, 0, 0, 9]);
  });

  it('M = 0 or N = 0 is a no-op', () => {
    const a = randomArray(12, 1), b = randomArray(12, 2);
    const out = Float32Array.of(1, 2, 3);
    gemm(out, 0, a, 0, b, 0, 0, 4, 3, false, false, false);
    gemm(out, 0, a, 0, b, 0, 3, 4, 0, false, true, false);
    expect(Array.from(out)).toEqual([1, 2, 3]);
  });

  it('gives the same result when called again after a larger product grew the scratch', () => {
    const M = 6, K = 10, N = 7;
    const a = randomArray(M * K, 4), b = randomArray(K * N, 5);
    const before = new Float32Array(M * N), after = new Float32Array(M * N);
    gemm(before, 0, a, 0, b, 0, M, K, N, false, false, false);
    const big = 300;
    gemm(new Float32Array(big * big), 0, randomArray(big * big, 6), 0, randomArray(big * big, 7), 0, big, big, big, false, false, false);
    gemm(after, 0, a, 0, b, 0, M, K, N, false, false, false);
    expect(after).toEqual(before);
  });
});
