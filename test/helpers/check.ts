import { expect } from 'vitest';
import fc from 'fast-check';
import { gradcheck, Generator, Tensor, type GradcheckOptions } from '../../src/tensor/index';
import { stridesOf } from '../../src/tensor/shape';

/** Asserts |a − e| ≤ atol + rtol·|e| element-wise (NaN must match NaN), with the worst index in the message. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-5, rtol = 1e-5): void {
  expect(actual.length, 'length').toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e)) {
      expect(Number.isNaN(a), `index ${i}: expected NaN, got ${a}`).toBe(true);
      continue;
    }
    if (!Number.isFinite(e)) {
      expect(a, `index ${i}`).toBe(e);
      continue;
    }
    const tol = atol + rtol * Math.abs(e);
    if (!(Math.abs(a - e) <= tol)) {
      throw new Error(`index ${i}: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > tol ${tol})`);
    }
  }
}

/** A tensor of normal samples from a seeded generator, optionally shifted away from a kink. */
export function randT(shape: number[], rng: Generator, { scale = 1, awayFrom }: { scale?: number; awayFrom?: number } = {}): Tensor {
  const n = shape.reduce((p, q) => p * q, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = rng.normal() * scale;
    if (awayFrom !== undefined && Math.abs(v - awayFrom) < 0.1) v = awayFrom + (v >= awayFrom ? 0.1 : -0.1) + v - awayFrom;
    d[i] = v;
  }
  return new Tensor(d, shape);
}

/** Positive samples in [lo, hi). */
export function randPos(shape: number[], rng: Generator, lo = 0.5, hi = 2): Tensor {
  const n = shape.reduce((p, q) => p * q, 1);
  return new Tensor(rng.fillUniform(new Float32Array(n), lo, hi), shape);
}

/** Random-direction gradient check (several trials), failing with both numbers in the message. */
export function expectGrad(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): void {
  const r = gradcheck(fn, inputs, { trials: 3, ...opts });
  if (!r.ok) throw new Error(`gradcheck failed: analytic ${r.analytic}, numeric ${r.numeric}, error ${r.error}`);
}

/** Nested-loop reference helpers (row-major strides come from the library's own helper). */
export { stridesOf };

/** Unravels flat index k of `shape` into a multi-index. */
export function unravel(k: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = k % shape[d];
    k = Math.floor(k / shape[d]);
  }
  return idx;
}

/** Reads x at a broadcast multi-index (size-1 dims read index 0, missing leading dims ignored). */
export function readBroadcast(x: Tensor, idx: readonly number[]): number {
  const off = idx.length - x.ndim;
  const st = stridesOf(x.shape);
  let p = 0;
  for (let d = 0; d < x.ndim; d++) p += (x.shape[d] === 1 ? 0 : idx[d + off]) * st[d];
  return x.data[p];
}

/**
 * Values whose magnitudes are all distinct and at least 0.05 apart (random signs), so max, min
 * and the ∞-norm have no near-ties a finite-difference step could cross.
 */
export function randDistinct(shape: number[], rng: Generator): Tensor {
  const n = shape.reduce((p, q) => p * q, 1);
  const perm = rng.permutation(n);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = (perm[i] + 0.3) * 0.05 * (rng.random() < 0.5 ? -1 : 1);
  return new Tensor(d, shape);
}

/** Expects `fn` to throw an instance of `cls` (a tensorkit error class, whatever its constructor's arguments) whose message contains every one of `parts`. */
export function expectThrows(fn: () => unknown, cls: abstract new (...args: never[]) => Error, ...parts: string[]): void {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an error').toBeInstanceOf(cls);
  for (const p of parts) expect((err as Error).message).toContain(p);
}

/** Seeded uniform values in [lo, hi) (mulberry32), for kernel tests whose buffers are too large for fast-check. */
export function seededUniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * (hi - lo);
  }
  return out;
}

/** One GEMM case of a kernel test: sizes, transpositions, accumulate, offsets and a seed. */
export interface GemmCase {
  M: number; K: number; N: number; transA: boolean; transB: boolean; accumulate: boolean;
  aOff: number; bOff: number; outOff: number; seed: number;
}

/** GEMM cases with sizes drawn from `dim` (K also at the 256-deep block edges), up to 2M multiply-adds. */
export function gemmCases(dim: fc.Arbitrary<number>, transA: boolean, transB: boolean): fc.Arbitrary<GemmCase> {
  return fc.record({
    M: dim, K: fc.oneof(dim, fc.constantFrom(256, 300, 513)), N: dim,
    transA: fc.constant(transA), transB: fc.constant(transB), accumulate: fc.boolean(),
    aOff: fc.integer({ min: 0, max: 7 }), bOff: fc.integer({ min: 0, max: 7 }), outOff: fc.integer({ min: 0, max: 7 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  }).filter((c) => c.M * c.K * c.N <= 2_000_000);
}
