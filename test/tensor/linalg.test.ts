import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import * as tk from '../../src/tensor/index';
import { noGrad, setDebug } from '../../src/tensor/autograd';
import { eye, tensor } from '../../src/tensor/creation';
import { NumericError, ShapeError, TensorkitError } from '../../src/tensor/errors';
import { gradcheck } from '../../src/tensor/gradcheck';
import {
  EPS32, applyQ64, choleskyForward, detForward, householderQR64, identity64, invForward, luFactor64, luSolve64,
  lstsqForward, qrForward, solveForward, toFloat64,
} from '../../src/tensor/kernels/linalg';
import { cholesky, det, inv, lstsq, qr, solve } from '../../src/tensor/linalg';
import { add, mul } from '../../src/tensor/ops/binary';
import { matmul } from '../../src/tensor/ops/matmul';
import { transpose } from '../../src/tensor/ops/shape';
import { Generator } from '../../src/tensor/random';
import { Tensor } from '../../src/tensor/tensor';

// ─────────────── float64 references, independent of the kernels under test ───────────────

type Mat = ArrayLike<number>;

/** C = op(A)·B in float64; A is (M, K) or, with ta, stored as (K, M). */
function mm(a: Mat, b: Mat, M: number, K: number, N: number, ta = false, abs = false): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      let aik = ta ? a[k * M + i] : a[i * K + k];
      if (abs) aik = Math.abs(aik);
      for (let j = 0; j < N; j++) c[i * N + j] += aik * (abs ? Math.abs(b[k * N + j]) : b[k * N + j]);
    }
  }
  return c;
}

/** C = A·Bᵀ in float64; A (M, K), B (N, K). */
function mmT(a: Mat, b: Mat, M: number, K: number, N: number, abs = false): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += abs ? Math.abs(a[i * K + k] * b[j * K + k]) : a[i * K + k] * b[j * K + k];
      c[i * N + j] = s;
    }
  }
  return c;
}

/** Gauss–Jordan elimination with partial pivoting in float64: X = A⁻¹·B. A (N, N), B (N, R). */
function gaussSolve(a: Mat, b: Mat, N: number, R: number): Float64Array {
  const A = Array.from({ length: N }, (_, i) => Array.from({ length: N }, (_, j) => a[i * N + j]));
  const B = Array.from({ length: N }, (_, i) => Array.from({ length: R }, (_, j) => b[i * R + j]));
  for (let k = 0; k < N; k++) {
    let p = k;
    for (let i = k + 1; i < N; i++) if (Math.abs(A[i][k]) > Math.abs(A[p][k])) p = i;
    [A[k], A[p]] = [A[p], A[k]];
    [B[k], B[p]] = [B[p], B[k]];
    for (let i = 0; i < N; i++) {
      if (i === k) continue;
      const f = A[i][k] / A[k][k];
      for (let j = k; j < N; j++) A[i][j] -= f * A[k][j];
      for (let j = 0; j < R; j++) B[i][j] -= f * B[k][j];
    }
  }
  const x = new Float64Array(N * R);
  for (let i = 0; i < N; i++) for (let j = 0; j < R; j++) x[i * R + j] = B[i][j] / A[i][i];
  return x;
}

function transposed(a: Mat, M: number, N: number): Float64Array {
  const t = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) t[j * M + i] = a[i * N + j];
  return t;
}

/** Least squares by the normal equations in float64: (AᵀA)⁻¹Aᵀb. */
function normalEquations(a: Mat, b: Mat, M: number, N: number, R: number): Float64Array {
  return gaussSolve(mm(a, a, N, M, N, true), mm(a, b, N, M, R, true), N, R);
}

/** Minimum-norm solution of an underdetermined full-row-rank system: Aᵀ(AAᵀ)⁻¹b. */
function minNorm(a: Mat, b: Mat, M: number, N: number, R: number): Float64Array {
  return mm(a, gaussSolve(mmT(a, a, M, N, M), b, M, R), N, M, R, true);
}

function randMat(g: Generator, M: number, N: number): Float32Array {
  return g.fillNormal(new Float32Array(M * N));
}

/** A well-conditioned symmetric positive-definite matrix, A = GᵀG + N·I. */
function spd(g: Generator, N: number): Float32Array {
  const m = randMat(g, N, N);
  const a = mm(m, m, N, N, N, true);
  for (let i = 0; i < N; i++) a[i * N + i] += N;
  return Float32Array.from(a);
}

/**
 * Asserts |got − want| ≤ tol elementwise, where tol is given per entry. The residual tests use
 * componentwise bounds c·ε₃₂·(|A|·|x|): rounding x to float32 perturbs A·x by at most ε₃₂/2·|A|·|x|,
 * so they hold independently of the conditioning of A.
 */
function expectWithin(got: Mat, want: Mat, tol: Mat | number, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const t = typeof tol === 'number' ? tol : tol[i];
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= t)) throw new Error(`${what}: entry ${i}: got ${got[i]}, want ${want[i]}, |err| ${err} > tol ${t}`);
  }
}

function scaled(x: Mat, s: number): Float64Array {
  return Float64Array.from(x, (v) => v * s);
}

function maxAbsOf(x: Mat): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

const SIZES = [1, 2, 3, 5, 17] as const;
const size = fc.constantFrom(...SIZES);
const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const RUNS = { numRuns: 25, seed: 20260101 };
const R4 = 4 * EPS32;

// ─────────────────────────────── kernels ───────────────────────────────

describe('linalg kernels', () => {
  it('choleskyForward: L·Lᵀ = A, L lower with a positive diagonal', () => {
    fc.assert(fc.property(seed, size, (s, N) => {
      const a = spd(new Generator(s), N);
      const L = new Float32Array(N * N);
      expect(choleskyForward(L, a, N)).toBe(-1);
      for (let i = 0; i < N; i++) {
        expect(L[i * N + i]).toBeGreaterThan(0);
        for (let j = i + 1; j < N; j++) expect(L[i * N + j]).toBe(0);
      }
      expectWithin(mmT(L, L, N, N, N), a, scaled(mmT(L, L, N, N, N, true), R4), 'L·Lᵀ');
    }), RUNS);
  });

  it('choleskyForward reports the first non-positive pivot', () => {
    // diag(1, 4, −1): pivots 1, 4, −1, so index 2 fails.
    expect(choleskyForward(new Float32Array(9), Float32Array.of(1, 0, 0, 0, 4, 0, 0, 0, -1), 3)).toBe(2);
    // [[1, 2], [2, 1]]: second pivot 1 − 2² = −3.
    expect(choleskyForward(new Float32Array(4), Float32Array.of(1, 2, 2, 1), 2)).toBe(1);
    // Positive semi-definite but singular: [[1, 1], [1, 1]] has pivot 1 − 1 = 0 exactly.
    expect(choleskyForward(new Float32Array(4), Float32Array.of(1, 1, 1, 1), 2)).toBe(1);
    expect(choleskyForward(new Float32Array(1), Float32Array.of(NaN), 1)).toBe(0);
  });

  it('luFactor64 + luSolve64 solve A·X = B and Aᵀ·X = B', () => {
    fc.assert(fc.property(seed, size, fc.constantFrom(1, 3), fc.boolean(), (s, N, R, trans) => {
      const g = new Generator(s);
      const a = randMat(g, N, N);
      const b = randMat(g, N, R);
      const lu = toFloat64(a);
      const piv = new Int32Array(N);
      expect(luFactor64(lu, piv, N, 0)).toBe(-1);
      const x = toFloat64(b);
      luSolve64(x, lu, piv, N, R, trans);
      const at = trans ? transposed(a, N, N) : a;
      // The reference is also float64, so the two agree to ≈ cond(A)·ε₆₄ relative to |A⁻¹|·|b|.
      const ref = gaussSolve(at, b, N, R);
      const inv = gaussSolve(at, identity64(N, N), N, N);
      expectWithin(x, ref, scaled(mm(inv, b, N, N, R, false, true), 1e-9), 'LU solve');
    }), RUNS);
  });

  it('solveForward and invForward: residuals at float32 rounding level', () => {
    fc.assert(fc.property(seed, size, fc.constantFrom(1, 2, 7), (s, N, R) => {
      const g = new Generator(s);
      const a = randMat(g, N, N);
      const b = randMat(g, N, R);
      const x = new Float32Array(N * R);
      expect(solveForward(x, a, b, N, R)).toBe(-1);
      expectWithin(mm(a, x, N, N, R), b, scaled(mm(a, x, N, N, R, false, true), R4), 'A·x');
      const y = new Float32Array(N * N);
      expect(invForward(y, a, N)).toBe(-1);
      expectWithin(mm(a, y, N, N, N), identity64(N, N), scaled(mm(a, y, N, N, N, false, true), R4), 'A·A⁻¹');
    }), RUNS);
  });

  it('solveForward flags singular matrices, including ones that float64 round-off leaves non-zero', () => {
    // [[1, 2, 3], [4, 5, 6], [7, 8, 9]] has rank 2; elimination leaves a last pivot ≈ 1.1e-16.
    expect(solveForward(new Float32Array(3), Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), Float32Array.of(1, 2, 3), 3, 1)).toBe(2);
    expect(invForward(new Float32Array(4), Float32Array.of(1, 2, 2, 4), 2)).toBe(1);
    expect(invForward(new Float32Array(4), new Float32Array(4), 2)).toBe(0);
    // Ill-conditioned but regular (Hilbert 5 × 5, cond ≈ 5e5): accepted.
    const h = new Float32Array(25);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) h[i * 5 + j] = 1 / (i + j + 1);
    expect(invForward(new Float32Array(25), h, 5)).toBe(-1);
  });

  it('detForward: closed forms, sign of the row swaps, and det(AB) = det A · det B', () => {
    expect(detForward(Float32Array.of(1, 2, 3, 4), 2)).toBeCloseTo(-2, 12);
    expect(detForward(Float32Array.of(0, 1, 1, 0), 2)).toBe(-1);
    expect(detForward(Float32Array.of(0, 0, 1, 1, 0, 0, 0, 1, 0), 3)).toBe(1); // a 3-cycle is even
    expect(detForward(Float32Array.of(1, 2, 2, 4), 2)).toBe(0);
    expect(detForward(new Float32Array(0), 0)).toBe(1);
    fc.assert(fc.property(seed, fc.constantFrom(1, 2, 3, 5), (s, N) => {
      const g = new Generator(s);
      const a = randMat(g, N, N), b = randMat(g, N, N);
      const ab = Float32Array.from(mm(a, b, N, N, N));
      const want = detForward(a, N) * detForward(b, N);
      // ab was rounded to float32: relative perturbation ε₃₂ per entry, amplified by ≤ cond(ab)·N.
      expect(Math.abs(detForward(ab, N) - want)).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)) * N);
    }), { numRuns: 15, seed: 7 });
  });

  it('qrForward: Q·R = A, QᵀQ = I, R upper triangular, for tall, square and wide A', () => {
    fc.assert(fc.property(seed, size, size, (s, M, N) => {
      const a = randMat(new Generator(s), M, N);
      const K = Math.min(M, N);
      const q = new Float32Array(M * K), r = new Float32Array(K * N);
      qrForward(q, r, a, M, N);
      for (let i = 0; i < K; i++) for (let j = 0; j < Math.min(i, N); j++) expect(r[i * N + j]).toBe(0);
      expectWithin(mm(q, r, M, K, N), a, scaled(mm(q, r, M, K, N, false, true), R4), 'Q·R');
      expectWithin(mm(q, q, K, M, K, true), identity64(K, K), scaled(mm(q, q, K, M, K, true, true), R4), 'QᵀQ');
    }), RUNS);
  });

  it('householderQR64 with pivoting: A·P = Q·R with |R_kk| non-increasing', () => {
    fc.assert(fc.property(seed, size, size, (s, M, N) => {
      const a = randMat(new Generator(s), M, N);
      const K = Math.min(M, N);
      const w = toFloat64(a), tau = new Float64Array(K), jpvt = Int32Array.from({ length: N }, (_, j) => j);
      householderQR64(w, tau, jpvt, new Float64Array(Math.max(M, N)), M, N);
      expect(Array.from(jpvt).sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, j) => j));
      for (let k = 1; k < K; k++) expect(Math.abs(w[k * N + k])).toBeLessThanOrEqual(Math.abs(w[(k - 1) * N + k - 1]) * (1 + 1e-12));
      // Q·R column by column against the permuted columns of A.
      const rr = new Float64Array(M * N);
      for (let i = 0; i < K; i++) for (let j = i; j < N; j++) rr[i * N + j] = w[i * N + j];
      applyQ64(rr, w, tau, new Float64Array(N), false, M, K, N, N);
      const ap = new Float64Array(M * N);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) ap[i * N + j] = a[i * N + jpvt[j]];
      expectWithin(rr, ap, 1e-12 * Math.max(1, maxAbsOf(a)) * M, 'A·P = Q·R');
      // Qᵀ then Q is the identity map.
      const c = toFloat64(randMat(new Generator(s + 1), M, 2));
      const c0 = c.slice();
      applyQ64(c, w, tau, new Float64Array(2), true, M, K, N, 2);
      applyQ64(c, w, tau, new Float64Array(2), false, M, K, N, 2);
      expectWithin(c, c0, 1e-12 * M, 'Q·Qᵀ·c');
    }), RUNS);
  });

  it('lstsqForward: overdetermined equals the normal equations; the residual is orthogonal to range(A)', () => {
    fc.assert(fc.property(seed, size, fc.constantFrom(0, 1, 4, 12), fc.constantFrom(1, 3), (s, N, extra, R) => {
      const M = N + extra;
      const g = new Generator(s);
      const a = randMat(g, M, N), b = randMat(g, M, R);
      const x = new Float32Array(N * R);
      expect(lstsqForward(x, a, b, M, N, R)).toBe(N);
      const ref = normalEquations(a, b, M, N, R);
      expectWithin(x, ref, 1e-6 * Math.max(1, maxAbsOf(ref)), 'x vs (AᵀA)⁻¹Aᵀb');
      const ax = mm(a, x, M, N, R);
      const res = Float64Array.from(ax, (v, i) => b[i] - v);
      const bound = mm(a, Float64Array.from(mm(a, x, M, N, R, false, true), (v, i) => v + Math.abs(b[i])), N, M, R, true, true);
      expectWithin(mm(a, res, N, M, R, true), new Float64Array(N * R), scaled(bound, R4), 'Aᵀ(b − A·x)');
    }), RUNS);
  });

  it('lstsqForward: underdetermined gives the minimum-norm solution Aᵀ(AAᵀ)⁻¹b', () => {
    fc.assert(fc.property(seed, size, fc.constantFrom(1, 4, 12), (s, M, extra) => {
      const N = M + extra;
      const g = new Generator(s);
      const a = randMat(g, M, N), b = randMat(g, M, 2);
      const x = new Float32Array(N * 2);
      expect(lstsqForward(x, a, b, M, N, 2)).toBe(M);
      const ref = minNorm(a, b, M, N, 2);
      expectWithin(x, ref, 1e-6 * Math.max(1, maxAbsOf(ref)), 'x vs Aᵀ(AAᵀ)⁻¹b');
      expectWithin(mm(a, x, M, N, 2), b, scaled(mm(a, x, M, N, 2, false, true), R4), 'A·x = b');
    }), RUNS);
  });

  it('lstsqForward: rank-deficient A gives the minimum-norm least-squares solution (the pseudo-inverse)', () => {
    fc.assert(fc.property(seed, fc.constantFrom(1, 2, 3, 5), fc.constantFrom(1, 2, 4), fc.constantFrom(0, 3), (s, r, dup, extraRows) => {
      // A = B·C with B (M, r) of full column rank and C = [I | S], S copying columns times powers
      // of two (exact in float32), so A⁺ = C⁺·B⁺ = Cᵀ(CCᵀ)⁻¹·(BᵀB)⁻¹Bᵀ exactly.
      const g = new Generator(s);
      const N = r + dup, M = N + extraRows;
      const B = randMat(g, M, r);
      const C = new Float64Array(r * N);
      for (let i = 0; i < r; i++) C[i * N + i] = 1;
      for (let d = 0; d < dup; d++) C[(d % r) * N + r + d] = 2 ** (d - 1);
      const a = Float32Array.from(mm(B, C, M, r, N));
      const b = randMat(g, M, 1);
      const x = new Float32Array(N);
      expect(lstsqForward(x, a, b, M, N, 1)).toBe(r);
      const ref = minNorm(C, normalEquations(B, b, M, r, 1), r, N, 1);
      expectWithin(x, ref, 1e-5 * Math.max(1, maxAbsOf(ref)), 'x vs A⁺b');
    }), RUNS);
  });
});

// ─────────────────────────────── ops ───────────────────────────────

function randn2(g: Generator, M: number, N: number, requiresGrad = false): Tensor {
  return new Tensor(randMat(g, M, N), [M, N], requiresGrad);
}

/** A well-conditioned square matrix: G + 2√N·I (eigenvalues of a Gaussian G lie within ≈ √N of 0). */
function regular(g: Generator, N: number): Tensor {
  const a = randMat(g, N, N);
  for (let i = 0; i < N; i++) a[i * N + i] += 2 * Math.sqrt(N) * (g.random() < 0.5 ? -1 : 1);
  return new Tensor(a, [N, N]);
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as TensorkitError).code;
  }
  return 'no error';
}

describe('linalg ops: values', () => {
  it('doc examples', () => {
    // 4 = 2², 2 = 2·1, 5 = 1² + 2².
    expect(cholesky(tensor([[4, 2], [2, 5]])).tolist()).toEqual([[2, 0], [1, 2]]);
    // Cramer: det = 5, x = [3·3 − 5, 2·5 − 3] / 5.
    const x = solve(tensor([[2, 1], [1, 3]]), tensor([3, 5]));
    expect(x.shape).toEqual([2]);
    expectWithin(x.data, [0.8, 1.4], 1e-7, 'solve');
    expect(inv(tensor([[2, 0], [0, 4]])).tolist()).toEqual([[0.5, 0], [0, 0.25]]);
    expect(det(tensor([[1, 2], [3, 4]])).item()).toBeCloseTo(-2, 6);
    expect(det(tensor([[1, 2], [3, 4]])).shape).toEqual([]);
    // H₀ maps [3, 4] to [−5, 0]: v = [1, ½], τ = 8/5, so H₀·[0, 5] = [−4, 3] and Q = H₀.
    const { q, r } = qr(tensor([[3, 0], [4, 5]]));
    expectWithin(q.data, [-0.6, -0.8, -0.8, 0.6], 1e-7, 'q');
    expectWithin(r.data, [-5, -4, 0, 3], 1e-6, 'r');
    // Normal equations [[3, 6], [6, 14]]·c = [5, 11] → c = [2/3, 1/2].
    expectWithin(lstsq(tensor([[1, 1], [1, 2], [1, 3]]), tensor([1, 2, 2])).data, [2 / 3, 0.5], 1e-6, 'lstsq');
  });

  it('inv of [[1, 2], [3, 4]] is [[4, −2], [−3, 1]] / (−2); 1 × 1 and 0 × 0 cases', () => {
    expectWithin(inv(tensor([[1, 2], [3, 4]])).data, [-2, 1, 1.5, -0.5], 1e-6, 'inv');
    expect(inv(tensor([[4]])).tolist()).toEqual([[0.25]]);
    expect(cholesky(tensor([[9]])).tolist()).toEqual([[3]]);
    expect(inv(new Tensor(new Float32Array(0), [0, 0])).shape).toEqual([0, 0]);
    expect(det(new Tensor(new Float32Array(0), [0, 0])).item()).toBe(1);
    expect(solve(new Tensor(new Float32Array(0), [0, 0]), new Tensor(new Float32Array(0), [0, 3])).shape).toEqual([0, 3]);
  });

  it('lstsq: min-norm for collinear columns and wide systems, matching NumPy', () => {
    // x₁ + x₂ = 1 fits every row exactly; the shortest such x is [½, ½].
    expectWithin(lstsq(tensor([[1, 1], [2, 2], [3, 3]]), tensor([1, 2, 3])).data, [0.5, 0.5], 1e-6, 'collinear');
    // numpy.linalg.lstsq([[1, 2, 3], [4, 5, 6]], [1, 2]) = [−1/18, 1/9, 5/18].
    expectWithin(lstsq(tensor([[1, 2, 3], [4, 5, 6]]), tensor([1, 2])).data, [-1 / 18, 1 / 9, 5 / 18], 1e-6, 'wide');
    expect(lstsq(tensor([[1, 2, 3], [4, 5, 6]]), tensor([[1], [2]])).shape).toEqual([3, 1]);
    // An all-zero a has rank 0: x = 0.
    expect(lstsq(tensor([[0, 0], [0, 0]]), tensor([1, 2])).toArray()).toEqual([0, 0]);
    // rcond decides the rank: with rcond = 1 only R₀₀ survives.
    expect(lstsq(tensor([[1, 0], [0, 1e-3]]), tensor([1, 1]), { rcond: 0.5 }).toArray()).toEqual([1, 0]);
  });

  it('ops agree with the kernels and keep 1-D b as 1-D', () => {
    fc.assert(fc.property(seed, size, (s, N) => {
      const g = new Generator(s);
      const a = regular(g, N);
      const b = new Tensor(randMat(g, N, 1), [N]);
      const x = solve(a, b);
      expect(x.shape).toEqual([N]);
      const want = new Float32Array(N);
      solveForward(want, a.data, b.data, N, 1);
      expect(x.data).toEqual(want);
      const ls = lstsq(a, b);
      expect(ls.shape).toEqual([N]);
      expectWithin(ls.data, x.data, 1e-5 * Math.max(1, maxAbsOf(x.data)), 'lstsq = solve on a square regular a');
      const L = cholesky(new Tensor(spd(g, N), [N, N]));
      expect(L.shape).toEqual([N, N]);
    }), { numRuns: 15, seed: 3 });
  });

  it('NaN or ±Inf in a gives an all-NaN result; NaN in b stays in its column', () => {
    const bad = tensor([[1, NaN], [0, 1]]);
    for (const y of [cholesky(bad), solve(bad, tensor([1, 2])), inv(bad), det(bad), lstsq(bad, tensor([1, 2])), qr(bad).q, qr(bad).r]) {
      expect(y.toArray().every((v) => Number.isNaN(v))).toBe(true);
    }
    expect(inv(tensor([[Infinity, 0], [0, 1]])).toArray().every(Number.isNaN)).toBe(true);
    const x = solve(tensor([[2, 1], [1, 3]]), tensor([[3, NaN], [5, 1]]));
    expect(Number.isNaN(x.data[1]) && Number.isNaN(x.data[3])).toBe(true);
    expectWithin([x.data[0], x.data[2]], [0.8, 1.4], 1e-6, 'finite column');
  });
});

describe('linalg ops: errors', () => {
  afterEach(() => setDebug({ checkNumerics: false }));

  it('non-square and non-matrix a', () => {
    expect(() => solve(tensor([[1, 2, 3], [4, 5, 6]]), tensor([1, 2]))).toThrow(ShapeError);
    expect(() => solve(tensor([[1, 2, 3], [4, 5, 6]]), tensor([1, 2]))).toThrow('solve: a [2, 3] must be square');
    expect(() => cholesky(tensor([[1, 2, 3]]))).toThrow('cholesky: a [1, 3] must be square');
    expect(() => inv(tensor([1, 2]))).toThrow('inv: a [2] must be 2-D (a matrix)');
    expect(() => det(tensor(3))).toThrow('det: a [] must be 2-D');
    expect(() => qr(tensor([1, 2, 3]))).toThrow('qr: a [3] must be 2-D');
    expect(() => lstsq(new Tensor(new Float32Array(8), [2, 2, 2]), tensor([1, 2]))).toThrow('lstsq: a [2, 2, 2] must be 2-D');
  });

  it('b with the wrong number of rows or dimensions', () => {
    expect(() => solve(eye(3), tensor([1, 2, 3, 4]))).toThrow('solve: a [3, 3] and b [4]: b must have 3 rows (one per row of a), got 4');
    expect(() => lstsq(tensor([[1, 2], [3, 4], [5, 6]]), tensor([[1, 2]]))).toThrow('lstsq: a [3, 2] and b [1, 2]: b must have 3 rows');
    expect(() => solve(eye(2), new Tensor(new Float32Array(8), [2, 2, 2]))).toThrow('solve: b [2, 2, 2] must be 1-D [M] or 2-D [M, NRHS]');
    expect(codeOf(() => solve(eye(2), tensor([1])))).toBe('SHAPE_MISMATCH');
  });

  it('cholesky of a non-positive-definite matrix names the failing pivot', () => {
    expect(() => cholesky(tensor([[1, 2], [2, 1]]))).toThrow(NumericError);
    expect(() => cholesky(tensor([[1, 2], [2, 1]]))).toThrow('cholesky: a [2, 2] is not positive-definite: pivot 1 is -3 ≤ 0 (the leading minor of order 2 is not positive)');
    expect(() => cholesky(tensor([[1, 0, 0], [0, 4, 0], [0, 0, -1]]))).toThrow('pivot 2 is -1');
    expect(() => cholesky(tensor([[-1]]))).toThrow('pivot 0 is -1');
  });

  it('singular matrices for solve and inv', () => {
    const s = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    expect(() => solve(s, tensor([1, 2, 3]))).toThrow(NumericError);
    expect(() => solve(s, tensor([1, 2, 3]))).toThrow(/^solve: a \[3, 3\] is singular: pivot 2 of its LU factorization is/);
    expect(() => inv(tensor([[1, 2], [2, 4]]))).toThrow('inv: a [2, 2] is singular: pivot 1 of its LU factorization is 0');
    expect(() => inv(tensor([[0]]))).toThrow('inv: a [1, 1] is singular');
    expect(det(tensor([[1, 2], [2, 4]])).item()).toBe(0);
  });

  it('bad rcond', () => {
    expect(() => lstsq(eye(2), tensor([1, 2]), { rcond: -1 })).toThrow('lstsq: rcond must be a finite number ≥ 0, got -1');
    expect(codeOf(() => lstsq(eye(2), tensor([1, 2]), { rcond: NaN }))).toBe('INVALID_ARGUMENT');
  });

  it('checkNumerics reports that the NaN came in through a', () => {
    setDebug({ checkNumerics: true });
    expect(() => solve(tensor([[NaN, 0], [0, 1]]), tensor([1, 2]))).toThrow(/solve: output \[2\] has 2 NaN .*input 0 \[2, 2\] already had 1 NaN/);
  });
});

// ─────────────────────────────── gradients ───────────────────────────────

/** (a + aᵀ)/2 + c·I: symmetric, and positive-definite for c above the spectral radius of (a + aᵀ)/2. */
function sym(a: Tensor, c: number): Tensor {
  return add(mul(add(a, transpose(a)), 0.5), mul(eye(a.shape[0]), c));
}

describe('linalg ops: gradients', () => {
  const GSIZES = fc.constantFrom(1, 2, 3, 5);
  const GRUNS = { numRuns: 12, seed: 99 };
  // The random checks use gradcheck's default tolerances (rtol 1e-2): float32 central differences
  // cannot resolve much better, since rounding a + εv to float32 already perturbs the step by ≈ 1e-4
  // relative. Small-scale errors (a factor 0.99) are caught by the closed-form tests below instead.

  it('solve: b̄ = a⁻ᵀx̄, ā = −b̄·xᵀ', () => {
    fc.assert(fc.property(seed, GSIZES, fc.constantFrom(1, 3), (s, N, R) => {
      const g = new Generator(s);
      const a = regular(g, N), b = randn2(g, N, R);
      const res = gradcheck((aa, bb) => solve(aa, bb), [a, b], { trials: 2, rng: g });
      expect(res.ok, JSON.stringify(res)).toBe(true);
      const b1 = new Tensor(randMat(g, N, 1), [N]);
      expect(gradcheck((aa, bb) => solve(aa, bb), [a, b1], { rng: g }).ok).toBe(true);
    }), GRUNS);
  });

  it('solve with a used twice, solve(a, aᵀ): gradients from both paths accumulate', () => {
    fc.assert(fc.property(seed, GSIZES, (s, N) => {
      const g = new Generator(s);
      const res = gradcheck((aa) => solve(aa, transpose(aa)), [regular(g, N)], { rng: g });
      expect(res.ok, JSON.stringify(res)).toBe(true);
    }), GRUNS);
  });

  it('inv: ā = −yᵀ·ȳ·yᵀ', () => {
    fc.assert(fc.property(seed, GSIZES, (s, N) => {
      const g = new Generator(s);
      const res = gradcheck((aa) => inv(aa), [regular(g, N)], { trials: 3, rng: g });
      expect(res.ok, JSON.stringify(res)).toBe(true);
    }), GRUNS);
  });

  it('inv gradient in closed form: for diagonal y = a⁻¹, ā_ij = −y_i·ū_ij·y_j', () => {
    const a = tensor([[2, 0], [0, 4]], undefined, { requiresGrad: true });
    inv(a).backward([1, 2, 3, 4]);
    // −[[½·1·½, ½·2·¼], [¼·3·½, ¼·4·¼]]
    expect(Array.from(a.grad as Float32Array)).toEqual([-0.25, -0.25, -0.375, -0.25]);
  });

  it('cholesky gradient in closed form for 1 × 1: L = √a, so ā = L̄ / (2√a)', () => {
    const a = tensor([[9]], undefined, { requiresGrad: true });
    cholesky(a).backward([6]);
    expect(Array.from(a.grad as Float32Array)).toEqual([1]);
  });

  it('cholesky through a symmetrization: ā = L⁻ᵀ·½(P + tril(P, −1)ᵀ)·L⁻¹, P = tril(Lᵀ·L̄)', () => {
    fc.assert(fc.property(seed, GSIZES, (s, N) => {
      const g = new Generator(s);
      const c = 2 * Math.sqrt(N) + 1;
      const res = gradcheck((aa) => cholesky(sym(aa, c)), [randn2(g, N, N)], { trials: 3, rng: g });
      expect(res.ok, JSON.stringify(res)).toBe(true);
    }), GRUNS);
  });

  it('cholesky backward is symmetric', () => {
    const g = new Generator(5);
    const a = new Tensor(spd(g, 4), [4, 4], true);
    const L = cholesky(a);
    L.backward(randMat(g, 4, 4));
    const ga = a.grad as Float32Array;
    for (let i = 0; i < 4; i++) for (let j = 0; j < i; j++) expect(ga[i * 4 + j]).toBeCloseTo(ga[j * 4 + i], 5);
  });

  it('det: ā = ȳ·det a·a⁻ᵀ, and the cofactor matrix at exactly singular a', () => {
    fc.assert(fc.property(seed, GSIZES, (s, N) => {
      const g = new Generator(s);
      // det is a polynomial, so a larger step costs little truncation error, while det's own float32
      // rounding (|det| reaches ~10³ here) would swamp a 1e-3 difference quotient.
      const res = gradcheck((aa) => det(aa), [regular(g, N)], { eps: 1e-2, trials: 3, rng: g });
      expect(res.ok, JSON.stringify(res)).toBe(true);
    }), GRUNS);
    // d det / d a = adj(a)ᵀ = cofactors: for [[1, 2], [2, 4]] that is [[4, −2], [−2, 1]].
    const a = tensor([[1, 2], [2, 4]], undefined, { requiresGrad: true });
    det(a).backward();
    expect(Array.from(a.grad as Float32Array)).toEqual([4, -2, -2, 1]);
    const z = tensor([[0]], undefined, { requiresGrad: true });
    det(z).backward();
    expect(Array.from(z.grad as Float32Array)).toEqual([1]);
    expect(gradcheck((aa) => det(aa), [tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]])]).ok).toBe(true);
  });

  it('lstsq: full column rank (M ≥ N) and full row rank (M < N)', () => {
    fc.assert(fc.property(seed, GSIZES, fc.constantFrom(1, 2, 5), fc.boolean(), (s, K, extra, wide) => {
      const g = new Generator(s);
      const [M, N] = wide ? [K, K + extra] : [K + extra, K];
      const a = randn2(g, M, N), b = randn2(g, M, 2);
      const res = gradcheck((aa, bb) => lstsq(aa, bb), [a, b], { trials: 3, rng: g });
      expect(res.ok, `${M}×${N} ${JSON.stringify(res)}`).toBe(true);
    }), { numRuns: 20, seed: 11 });
  });

  it('solve, det and lstsq gradients in closed form', () => {
    // a = diag(2, 4), b = [1, 1]: x = [½, ¼]; x̄ = [1, 1] → b̄ = a⁻ᵀx̄ = [½, ¼], ā = −b̄·xᵀ.
    const a = tensor([[2, 0], [0, 4]], undefined, { requiresGrad: true });
    const b = tensor([1, 1], undefined, { requiresGrad: true });
    solve(a, b).backward([1, 1]);
    expect(Array.from(a.grad as Float32Array)).toEqual([-0.25, -0.125, -0.125, -0.0625]);
    expect(Array.from(b.grad as Float32Array)).toEqual([0.5, 0.25]);
    // ∂ det / ∂a = cofactors: for [[1, 2], [3, 4]] that is [[4, −3], [−2, 1]].
    const d = tensor([[1, 2], [3, 4]], undefined, { requiresGrad: true });
    det(d).backward();
    expectWithin(d.grad as Float32Array, [4, -3, -2, 1], 1e-6, 'det cofactors');
    // Tall: x = (a·b)/(a·a) for a column a; with a = [1, 1], b = [1, 3]: x = 2,
    // ∂x/∂a_i = b_i/(a·a) − 2a_i(a·b)/(a·a)² = [−3/2, −1/2], ∂x/∂b = a/(a·a) = [½, ½].
    const at = tensor([[1], [1]], undefined, { requiresGrad: true });
    const bt = tensor([1, 3], undefined, { requiresGrad: true });
    lstsq(at, bt).backward([1]);
    expect(Array.from(at.grad as Float32Array)).toEqual([-1.5, -0.5]);
    expect(Array.from(bt.grad as Float32Array)).toEqual([0.5, 0.5]);
    // Wide: x = aᵀb/(a·a) for a row a; with a = [1, 1], b = [2]: x = [1, 1]; for x̄ = [1, 0],
    // ∂x₀/∂a = [b/(a·a) − 2a₀²b/(a·a)², −2a₀a₁b/(a·a)²] = [0, −1], ∂x₀/∂b = a₀/(a·a) = ½.
    const aw = tensor([[1, 1]], undefined, { requiresGrad: true });
    const bw = tensor([2], undefined, { requiresGrad: true });
    lstsq(aw, bw).backward([1, 0]);
    expectWithin(aw.grad as Float32Array, [0, -1], 1e-6, 'wide ā');
    expectWithin(bw.grad as Float32Array, [0.5], 1e-6, 'wide b̄');
  });

  it('lstsq gradient agrees with solve on a square system', () => {
    const g = new Generator(8);
    const a0 = regular(g, 4), b0 = randn2(g, 4, 2), u = randMat(g, 4, 2);
    const grads = [solve, lstsq].map((f) => {
      const a = new Tensor(a0.data.slice(), [4, 4], true), b = new Tensor(b0.data.slice(), [4, 2], true);
      f(a, b).backward(u);
      return [a.grad as Float32Array, b.grad as Float32Array];
    });
    expectWithin(grads[1][0], grads[0][0], 1e-4 * maxAbsOf(grads[0][0]), 'ā');
    expectWithin(grads[1][1], grads[0][1], 1e-4 * maxAbsOf(grads[0][1]), 'b̄');
  });

  it('matmul(a, solve(a, b)) = b, with gradient ∂/∂a = 0 through the composition', () => {
    const g = new Generator(4);
    const res = gradcheck((aa, bb) => matmul(aa, solve(aa, bb)), [regular(g, 3), randn2(g, 3, 2)], { rng: g });
    expect(res.ok, JSON.stringify(res)).toBe(true);
  });

  it('qr refuses to drop a gradient; detached and noGrad calls work', () => {
    const a = randn2(new Generator(1), 3, 2, true);
    expect(() => qr(a)).toThrow(TensorkitError);
    expect(codeOf(() => qr(a))).toBe('NOT_DIFFERENTIABLE');
    expect(() => qr(a)).toThrow('qr: gradient is not implemented; call it on a detached tensor or inside noGrad');
    expect(qr(a.detach()).q.shape).toEqual([3, 2]);
    const { q, r } = noGrad(() => qr(a));
    expect(q.requiresGrad || r.requiresGrad).toBe(false);
  });

  it('lstsq refuses a gradient at rank-deficient a, but still solves it without one', () => {
    const a = tensor([[1, 1], [2, 2], [3, 3]], undefined, { requiresGrad: true });
    expect(codeOf(() => lstsq(a, tensor([1, 2, 3])))).toBe('NOT_DIFFERENTIABLE');
    expect(() => lstsq(a, tensor([1, 2, 3]))).toThrow('lstsq: a [3, 2] has numerical rank 1 < 2');
    expect(noGrad(() => lstsq(a, tensor([1, 2, 3]))).shape).toEqual([2]);
  });
});

describe('linalg options are checked', () => {
  it('lstsq refuses unknown keys', () => {
    expect(() => lstsq(eye(2), tensor([1, 2]), { rcnd: 1e-3 } as never)).toThrow("lstsq: unknown option 'rcnd' (did you mean 'rcond'?); lstsq takes rcond");
    expect(tk.lstsq(eye(2), tensor([1, 2]), { rcond: 1e-3 }).toArray()).toEqual([1, 2]);
  });
});
