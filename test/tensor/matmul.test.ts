import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as tk from '../../src/tensor/index';
import { ArgumentError, Generator, ShapeError, Tensor, tensor, zeros } from '../../src/tensor/index';
import { expectClose, expectGrad, randT, readBroadcast, unravel } from '../helpers/check';

/** Reference batched matmul by explicit loops in float64, with broadcast batch axes. */
function refMatmul(a: Tensor, b: Tensor, batch: number[], M: number, K: number, N: number): number[] {
  const out: number[] = [];
  const nb = batch.reduce((p, q) => p * q, 1);
  for (let k = 0; k < nb; k++) {
    const bidx = unravel(k, batch);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let c = 0; c < K; c++) s += readBroadcast(a, [...bidx, i, c]) * readBroadcast(b, [...bidx, c, j]);
        out.push(s);
      }
    }
  }
  return out;
}

describe('matmul', () => {
  it('batched matmul with broadcast batch axes equals explicit loops', () => {
    const arb = fc.record({
      batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
      maskA: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
      maskB: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
      dropB: fc.boolean(),
      M: fc.integer({ min: 1, max: 9 }),
      K: fc.integer({ min: 1, max: 9 }),
      N: fc.integer({ min: 1, max: 9 }),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(arb, ({ batch, maskA, maskB, dropB, M, K, N, seed }) => {
        const rng = new Generator(seed);
        const ab = batch.map((d, i) => (maskA[i] ? 1 : d));
        const bb = dropB ? [] : batch.map((d, i) => (maskB[i] ? 1 : d));
        const a = randT([...ab, M, K], rng), b = randT([...bb, K, N], rng);
        const y = tk.matmul(a, b);
        const outBatch = ab.map((d, i) => Math.max(d, bb.length ? bb[i] : 1));
        expect(y.shape).toEqual([...outBatch, M, N]);
        expectClose(y.data, refMatmul(a, b, outBatch, M, K, N), 1e-5, 1e-4);
      }),
      { numRuns: 60 },
    );
  });

  it('1-D operands follow torch.matmul: vector·matrix, matrix·vector, vector·vector', () => {
    const m = tensor([[1, 2], [3, 4]]);
    expect(tk.matmul(tensor([1, 1]), m).toArray()).toEqual([4, 6]);
    expect(tk.matmul(m, tensor([1, 1])).toArray()).toEqual([3, 7]);
    expect(tk.matmul(tensor([1, 2]), tensor([3, 4])).shape).toEqual([]);
    expect(tk.dot(tensor([1, 2, 3]), tensor([4, 5, 6])).item()).toBe(32);
    expect(tk.outer(tensor([1, 2]), tensor([3, 4])).tolist()).toEqual([[3, 4], [6, 8]]);
    expect(tk.matmul(zeros([2, 3, 4]), tensor([1, 1, 1, 1])).shape).toEqual([2, 3]);
  });

  it('gradients: plain, batched, broadcast batch, folded (b one matrix), vectors', () => {
    const rng = new Generator(5);
    expectGrad(tk.matmul, [randT([3, 4], rng), randT([4, 5], rng)]);
    expectGrad(tk.matmul, [randT([2, 3, 4], rng), randT([2, 4, 5], rng)]);
    expectGrad(tk.matmul, [randT([2, 1, 3, 4], rng), randT([3, 4, 2], rng)]);
    expectGrad(tk.matmul, [randT([2, 3, 4], rng), randT([4, 5], rng)]);
    expectGrad(tk.matmul, [randT([4], rng), randT([2, 4, 3], rng)]);
    expectGrad(tk.matmul, [randT([3, 4], rng), randT([4], rng)]);
    expectGrad(tk.dot, [randT([5], rng), randT([5], rng)]);
    expectGrad(tk.outer, [randT([3], rng), randT([2], rng)]);
  });

  it('a weight used twice accumulates both gradients: d/dW sum(W·W) = (sum-ones)·Wᵀ + Wᵀ·(ones)', () => {
    const w = tensor([[1, 2], [3, 4]], undefined, { requiresGrad: true });
    tk.matmul(w, w).sum().backward();
    // d/dW Σ_ij (W W)_ij = 1·Wᵀ + Wᵀ·1, with 1 the all-ones matrix: row sums and column sums.
    // 1·Wᵀ = [[3, 7], [3, 7]]; Wᵀ·1 = [[4, 4], [6, 6]].
    expect(Array.from(w.grad!)).toEqual([7, 11, 9, 13]);
  });

  it('errors name both shapes', () => {
    expect(() => tk.matmul(zeros([2, 3]), zeros([4, 5]))).toThrow('matmul: a [2, 3] and b [4, 5]: inner dimensions 3 and 4 differ');
    expect(() => tk.matmul(zeros([2, 2, 3]), zeros([3, 3, 4]))).toThrow(/cannot be broadcast/);
    expect(() => tk.matmul(zeros([]), zeros([3]))).toThrow(ShapeError);
    expect(() => tk.matmul([1, 2] as unknown as Tensor, zeros([2]))).toThrow(ArgumentError);
    expect(() => tk.dot(zeros([2]), zeros([3]))).toThrow(/dot: a \[2\] and b \[3\]/);
  });
});
