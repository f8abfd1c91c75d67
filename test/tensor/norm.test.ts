import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as tk from '../../src/tensor/index';
import { ArgumentError, Generator, ShapeError, Tensor, manualSeed, ones, tensor, zeros } from '../../src/tensor/index';
import * as KN from '../../src/tensor/kernels/norm';
import { dropout } from '../../src/tensor/ops/dropout';
import { embedding } from '../../src/tensor/ops/embedding';
import { batchNorm, layerNorm } from '../../src/tensor/ops/norm';
import { expectClose, expectGrad, randPos, randT } from '../helpers/check';

const prod = (s: readonly number[]) => s.reduce((p, q) => p * q, 1);

// ---------------------------------------------------------------- layerNorm

/** Float64 layer norm of each row of x seen as (B, C). */
function refLayerNorm(x: Tensor, C: number, w: Tensor | null, b: Tensor | null, eps: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.size / C; r++) {
    const row = Array.from(x.data.subarray(r * C, (r + 1) * C));
    const m = row.reduce((p, q) => p + q, 0) / C;
    const v = row.reduce((p, q) => p + (q - m) ** 2, 0) / C;
    row.forEach((xi, c) => out.push(((xi - m) / Math.sqrt(v + eps)) * (w ? w.data[c] : 1) + (b ? b.data[c] : 0)));
  }
  return out;
}

/** A shape of 1–4 dims (sizes 1–5), how many trailing dims to normalize, affine or not, a seed. */
const lnArb = fc
  .array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 })
  .chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: 1, max: shape.length }), fc.boolean(), fc.integer()));

describe('layerNorm', () => {
  it('matches a float64 reference over the trailing dims, with and without weight and bias', () => {
    fc.assert(
      fc.property(lnArb, ([shape, k, affine, seed]) => {
        const rng = new Generator(seed);
        const ns = shape.slice(shape.length - k);
        const x = randT(shape, rng, { scale: 3 });
        const w = affine ? randT(ns, rng) : null;
        const b = affine ? randT(ns, rng) : null;
        const y = layerNorm(x, ns, w, b);
        expect(y.shape).toEqual(shape);
        expectClose(y.data, refLayerNorm(x, prod(ns), w, b, 1e-5), 1e-5, 1e-5);
      }),
      { numRuns: 50 },
    );
  });

  it('gradients for x, weight and bias in a random direction', () => {
    fc.assert(
      fc.property(lnArb, ([shape, k, affine, seed]) => {
        const rng = new Generator(seed);
        const ns = shape.slice(shape.length - k);
        if (prod(ns) < 2) return; // one feature: the output is the constant bias, d/dx = 0 exactly
        const x = randT(shape, rng);
        if (affine) expectGrad((t, w, b) => layerNorm(t, ns, w, b), [x, randT(ns, rng), randT(ns, rng)]);
        else expectGrad((t) => layerNorm(t, ns, null, null, 1e-3), [x]);
      }),
      { numRuns: 30 },
    );
  });

  it('each row has mean 0 and variance 1 (no affine); a constant row gives 0; the doc example', () => {
    const x = randT([6, 7], new Generator(3), { scale: 5 });
    const y = layerNorm(x, 7);
    for (let r = 0; r < 6; r++) {
      const row = Array.from(y.data.subarray(r * 7, r * 7 + 7));
      const m = row.reduce((p, q) => p + q, 0) / 7;
      expectClose([m, row.reduce((p, q) => p + (q - m) ** 2, 0) / 7], [0, 1], 1e-5, 1e-4);
    }
    expect(layerNorm(tensor([[4, 4, 4]]), [3]).toArray()).toEqual([0, 0, 0]);
    // mean 2, biased variance 2/3: (x − 2)/√(2/3 + 1e−5)
    const s = Math.sqrt(2 / 3 + 1e-5);
    expectClose(layerNorm(tensor([[1, 2, 3]]), [3]).data, [-1 / s, 0, 1 / s], 0, 1e-6);
    expectClose(layerNorm(tensor([[1, 2, 3]]), [3]).data, [-1.2247357, 0, 1.2247357], 0, 1e-6);
  });

  it('is exact for rows with a large mean (two-pass statistics)', () => {
    // 1e4 ± 0.01 alternating: normalized values ±0.01/√(1e-4 + eps).
    const x = tensor([1e4 + 0.01, 1e4 - 0.01, 1e4 + 0.01, 1e4 - 0.01], [1, 4]);
    const d = Math.fround(1e4 + 0.01) - 1e4;
    expectClose(layerNorm(x, 4).data, [1, -1, 1, -1].map((s) => (s * d) / Math.sqrt(d * d + 1e-5)), 0, 1e-4);
  });

  it('bad shapes name them', () => {
    const x = zeros([2, 3, 4]);
    expect(() => layerNorm(x, [3])).toThrow(ShapeError);
    expect(() => layerNorm(x, [3])).toThrow(/layerNorm: x \[2, 3, 4\] must end with normalizedShape \[3\]/);
    expect(() => layerNorm(x, [1, 2, 3, 4])).toThrow(ShapeError);
    expect(() => layerNorm(x, [4], zeros([3]))).toThrow(/weight \[3\] must have normalizedShape \[4\] \(x \[2, 3, 4\]\)/);
    expect(() => layerNorm(x, [4], null, zeros([4, 1]))).toThrow(/bias \[4, 1\]/);
    expect(() => layerNorm(x, [])).toThrow(ArgumentError);
    expect(() => layerNorm(x, [4], null, null, -1)).toThrow(/eps must be a finite number ≥ 0/);
  });
});

// ---------------------------------------------------------------- batchNorm

/** (N, C, L) and a seed; the op sees x of shape (N, C) when L is absent, else (N, C, L) or (N, C, H, W). */
const bnArb = fc.tuple(
  fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom([] as number[], [1], [3], [2, 3], [1, 2]), fc.integer(),
);

/** Float64 per-channel mean and biased variance of x (N, C, …). */
function refStats(x: Tensor): { mean: number[]; biased: number[]; cnt: number } {
  const [N, C] = x.shape;
  const L = prod(x.shape.slice(2));
  const mean: number[] = [], biased: number[] = [];
  for (let c = 0; c < C; c++) {
    const v: number[] = [];
    for (let n = 0; n < N; n++) for (let l = 0; l < L; l++) v.push(x.data[(n * C + c) * L + l]);
    const m = v.reduce((p, q) => p + q, 0) / v.length;
    mean.push(m);
    biased.push(v.reduce((p, q) => p + (q - m) ** 2, 0) / v.length);
  }
  return { mean, biased, cnt: N * L };
}

describe('batchNorm kernels', () => {
  it('statistics and backward match their naive twins on any (N, C, L)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 7 }), fc.boolean(), fc.integer(), (N, C, L, training, seed) => {
        const rng = new Generator(seed);
        const x = randT([N * C * L], rng, { scale: 2 }).data;
        const m1 = new Float32Array(C), v1 = new Float32Array(C), m2 = new Float32Array(C), v2 = new Float32Array(C);
        KN.batchNormStats(m1, v1, x, N, C, L);
        KN.batchNormStatsNaive(m2, v2, x, N, C, L);
        expectClose(m1, m2, 1e-6, 1e-6);
        expectClose(v1, v2, 1e-6, 1e-6);
        const rstd = v1.map((v) => 1 / Math.sqrt(v + 1e-5));
        const w = randT([C], rng).data, dy = randT([N * C * L], rng).data;
        const start = randT([N * C * L], rng).data, startW = randT([C], rng).data, startB = randT([C], rng).data;
        const dx1 = start.slice(), dw1 = startW.slice(), db1 = startB.slice();
        const dx2 = start.slice(), dw2 = startW.slice(), db2 = startB.slice();
        KN.batchNormBackward(dx1, dw1, db1, dy, x, m1, rstd, w, training, N, C, L);
        KN.batchNormBackwardNaive(dx2, dw2, db2, dy, x, m1, rstd, w, training, N, C, L);
        expectClose(dx1, dx2, 1e-5, 1e-5);
        expectClose(dw1, dw2, 1e-5, 1e-5);
        expectClose(db1, db2, 1e-5, 1e-5);
      }),
      { numRuns: 60 },
    );
  });
});

describe('batchNorm', () => {
  it('training: per-channel output mean 0 and variance 1, running stats updated in place with the unbiased variance', () => {
    fc.assert(
      fc.property(bnArb, ([N, C, rest, seed]) => {
        const shape = [N, C, ...rest];
        if (N * prod(rest) < 2) return;
        const rng = new Generator(seed);
        const x = randT(shape, rng, { scale: 3 });
        const rm0 = randT([C], rng), rv0 = randPos([C], rng);
        const rm = rm0.clone(), rv = rv0.clone();
        const y = batchNorm(x, rm, rv, null, null, { training: true, momentum: 0.25 });
        const st = refStats(x);
        const ys = refStats(y);
        // Mean 0 and variance σ²/(σ² + eps) ≈ 1 per channel.
        expectClose(ys.mean, ys.mean.map(() => 0), 1e-5, 0);
        expectClose(ys.biased, st.biased.map((v) => v / (v + 1e-5)), 1e-5, 1e-4);
        expectClose(rm.data, Array.from(rm0.data, (r, c) => 0.75 * r + 0.25 * st.mean[c]), 1e-6, 1e-5);
        expectClose(rv.data, Array.from(rv0.data, (r, c) => 0.75 * r + 0.25 * st.biased[c] * (st.cnt / (st.cnt - 1))), 1e-6, 1e-5);
      }),
      { numRuns: 40 },
    );
  });

  it('eval: uses the running statistics and leaves them untouched', () => {
    fc.assert(
      fc.property(bnArb, ([N, C, rest, seed]) => {
        const shape = [N, C, ...rest];
        const rng = new Generator(seed);
        const x = randT(shape, rng), w = randT([C], rng), b = randT([C], rng);
        const rm = randT([C], rng), rv = randPos([C], rng);
        const rmBefore = rm.toArray(), rvBefore = rv.toArray();
        const y = batchNorm(x, rm, rv, w, b);
        const L = prod(rest);
        const ref = Array.from(x.data, (v, k) => {
          const c = Math.floor(k / L) % C;
          return ((v - rm.data[c]) / Math.sqrt(rv.data[c] + 1e-5)) * w.data[c] + b.data[c];
        });
        expectClose(y.data, ref, 1e-5, 1e-5);
        expect(rm.toArray()).toEqual(rmBefore);
        expect(rv.toArray()).toEqual(rvBefore);
      }),
      { numRuns: 30 },
    );
  });

  it('gradients for x, weight and bias, training (through the batch statistics) and eval', () => {
    fc.assert(
      fc.property(bnArb, fc.boolean(), ([N, C, rest, seed], training) => {
        const shape = [N, C, ...rest];
        if (N * prod(rest) < 2) return;
        const rng = new Generator(seed);
        const x = randT(shape, rng), w = randT([C], rng), b = randT([C], rng);
        const rm = randT([C], rng), rv = randPos([C], rng);
        // Fresh running buffers per call: the finite differences must not see earlier updates.
        expectGrad((t, wt, bt) => batchNorm(t, rm.clone(), rv.clone(), wt, bt, { training }), [x, w, b]);
      }),
      { numRuns: 30 },
    );
  });

  it('the backward uses the statistics of its forward even if the running buffers change meanwhile', () => {
    const x = tensor([[1, 2], [3, 5], [0, -1]], undefined, { requiresGrad: true });
    const rm = tensor([0.5, -0.5]), rv = tensor([2, 3]);
    const y = batchNorm(x, rm, rv, null, null, { training: false });
    batchNorm(tensor([[9, 9], [7, 1]]), rm, rv, null, null, { training: true }); // updates rm, rv in place
    y.backward([1, 2, 3, 4, 5, 6]);
    const k = [1 / Math.sqrt(2 + 1e-5), 1 / Math.sqrt(3 + 1e-5)];
    expectClose(x.grad!, [1 * k[0], 2 * k[1], 3 * k[0], 4 * k[1], 5 * k[0], 6 * k[1]], 0, 1e-6);
  });

  it('training without running statistics works; the doc example', () => {
    const y = batchNorm(tensor([[1], [3]]), null, null, null, null, { training: true });
    expectClose(y.data, [-1 / Math.sqrt(1 + 1e-5), 1 / Math.sqrt(1 + 1e-5)], 0, 1e-6);
    const rm = zeros([1]), rv = ones([1]);
    expectClose(batchNorm(tensor([[1], [3]]), rm, rv, null, null, { training: true }).data, [-0.999995, 0.999995], 0, 1e-6);
    expectClose(rm.data, [0.2], 0, 1e-6);
    expectClose(rv.data, [1.1], 0, 1e-6);
  });

  it('bad inputs: one value per channel in training, missing running stats in eval, shapes named', () => {
    expect(() => batchNorm(zeros([1, 3]), zeros([3]), ones([3]), null, null, { training: true })).toThrow(
      /batchNorm: Expected more than 1 value per channel when training, got input size \[1, 3\]/,
    );
    expect(() => batchNorm(zeros([1, 3, 1, 1]), null, null, null, null, { training: true })).toThrow(ArgumentError);
    expect(batchNorm(zeros([1, 3]), zeros([3]), ones([3])).shape).toEqual([1, 3]); // eval is fine with N = 1
    expect(() => batchNorm(zeros([2, 3]), null, null)).toThrow(/eval mode \(training false\) needs runningMean and runningVar/);
    expect(() => batchNorm(zeros([2, 3]), zeros([3]), null, null, null, { training: true })).toThrow(/both runningMean and runningVar/);
    expect(() => batchNorm(zeros([2, 3, 4]), zeros([4]), ones([3]))).toThrow(ShapeError);
    expect(() => batchNorm(zeros([2, 3, 4]), zeros([4]), ones([3]))).toThrow(/runningMean \[4\] must have shape \[3\], one value per channel of x \[2, 3, 4\]/);
    expect(() => batchNorm(zeros([2, 3]), zeros([3]), ones([3]), zeros([3, 1]))).toThrow(/weight \[3, 1\]/);
    expect(() => batchNorm(zeros([3]), zeros([3]), ones([3]))).toThrow(/x \[3\] must be \(N, C\)/);
    expect(() => batchNorm(zeros([2, 3]), zeros([3]), ones([3]), null, null, { eps: NaN })).toThrow(ArgumentError);
    expect(() => batchNorm(zeros([2, 3]), zeros([3]), ones([3]), null, null, { momentum: Infinity })).toThrow(/momentum/);
  });
});

// ---------------------------------------------------------------- PyTorch fixtures (norms)

interface Arr { shape: number[]; data: number[] }
interface LNFixture { x: Arr; normalizedShape: number[]; weight: number[] | null; bias: number[] | null; upstream: number[]; y: number[]; dx: number[]; dweight: number[] | null; dbias: number[] | null }
interface BNFixture {
  x: Arr; training: boolean; momentum: number; runningMean: number[]; runningVar: number[]; weight: number[] | null; bias: number[] | null;
  upstream: number[]; y: number[]; dx: number[]; dweight: number[] | null; dbias: number[] | null; runningMeanAfter: number[]; runningVarAfter: number[];
}
const fixtures = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/primitives.json'), 'utf8')) as { layerNorm: LNFixture[]; batchNorm: BNFixture[] };

describe('layerNorm and batchNorm against PyTorch (test/fixtures/primitives.json)', () => {
  it(`F.layer_norm: outputs and input, weight, bias gradients (${fixtures.layerNorm.length} cases)`, () => {
    expect(fixtures.layerNorm.length).toBeGreaterThan(0);
    for (const f of fixtures.layerNorm) {
      const x = tensor(f.x.data, f.x.shape, { requiresGrad: true });
      const w = f.weight ? tensor(f.weight, f.normalizedShape, { requiresGrad: true }) : null;
      const b = f.bias ? tensor(f.bias, f.normalizedShape, { requiresGrad: true }) : null;
      const y = layerNorm(x, f.normalizedShape, w, b);
      expectClose(y.data, f.y, 1e-6, 1e-5);
      y.backward(f.upstream);
      expectClose(x.grad!, f.dx, 1e-6, 1e-5);
      if (w) expectClose(w.grad!, f.dweight!, 1e-6, 1e-5);
      if (b) expectClose(b.grad!, f.dbias!, 1e-6, 1e-5);
    }
  });

  it(`F.batch_norm: train and eval outputs, gradients and updated running stats (${fixtures.batchNorm.length} cases)`, () => {
    expect(fixtures.batchNorm.length).toBeGreaterThan(0);
    for (const [k, f] of fixtures.batchNorm.entries()) {
      const C = f.x.shape[1];
      try {
        const x = tensor(f.x.data, f.x.shape, { requiresGrad: true });
        const w = f.weight ? tensor(f.weight, [C], { requiresGrad: true }) : null;
        const b = f.bias ? tensor(f.bias, [C], { requiresGrad: true }) : null;
        const rm = tensor(f.runningMean), rv = tensor(f.runningVar);
        const y = batchNorm(x, rm, rv, w, b, { training: f.training, momentum: f.momentum });
        expectClose(y.data, f.y, 1e-6, 1e-5);
        expectClose(rm.data, f.runningMeanAfter, 1e-6, 1e-5);
        expectClose(rv.data, f.runningVarAfter, 1e-6, 1e-5);
        y.backward(f.upstream);
        expectClose(x.grad!, f.dx, 1e-6, 1e-5);
        if (w) expectClose(w.grad!, f.dweight!, 1e-6, 1e-5);
        if (b) expectClose(b.grad!, f.dbias!, 1e-6, 1e-5);
      } catch (e) {
        throw new Error(`case ${k} ${JSON.stringify(f.x.shape)} training=${f.training}: ${(e as Error).message}`);
      }
    }
  });
});

// ---------------------------------------------------------------- embedding

describe('embedding', () => {
  it('looks rows up for indices of any shape: tensor, Int32Array, number[]', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 3 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.integer(), (ishape, V, D, seed) => {
        const rng = new Generator(seed);
        const w = randT([V, D], rng);
        const idx = Array.from({ length: prod(ishape) }, () => rng.randint(0, V));
        const y = embedding(new Tensor(Float32Array.from(idx), ishape), w);
        expect(y.shape).toEqual([...ishape, D]);
        const ref = idx.flatMap((i) => Array.from(w.data.subarray(i * D, i * D + D)));
        expect(Array.from(y.data)).toEqual(ref);
        expect(Array.from(embedding(Int32Array.from(idx), w).data)).toEqual(ref);
        expect(embedding(idx, w).shape).toEqual([idx.length, D]);
      }),
      { numRuns: 40 },
    );
  });

  it('backward scatter-adds into weight (repeats accumulate), paddingIdx rows get nothing', () => {
    const w = tensor([[0, 1], [2, 3], [4, 5]], undefined, { requiresGrad: true });
    const y = embedding(tensor([[2, 0], [2, 1]]), w, { paddingIdx: 1 });
    expect(y.tolist()).toEqual([[[4, 5], [0, 1]], [[4, 5], [2, 3]]]); // the padding row is still read
    y.backward([1, 2, 3, 4, 5, 6, 7, 8]);
    // Row 2 appears at positions 0 and 2: [1, 2] + [5, 6]; row 0 at position 1; row 1 is padding.
    expect(Array.from(w.grad!)).toEqual([3, 4, 0, 0, 6, 8]);
    const w2 = tensor([[0, 1], [2, 3], [4, 5]], undefined, { requiresGrad: true });
    embedding([2, 2, 0], w2, { paddingIdx: -1 }).backward([1, 1, 1, 1, 1, 1]); // −1 is row 2
    expect(Array.from(w2.grad!)).toEqual([1, 1, 0, 0, 0, 0]);
  });

  it('gradient in a random direction; doc example', () => {
    const w = randT([5, 3], new Generator(4));
    // Without paddingIdx: with it the gradient is zeroed on purpose, which is not the derivative.
    expectGrad((t) => embedding(tensor([[4, 0], [4, 3]]), t), [w]);
    expect(embedding([2, 0], tensor([[0, 1], [2, 3], [4, 5]])).tolist()).toEqual([[4, 5], [0, 1]]);
  });

  it('bad indices are named with their position; bad weight and paddingIdx', () => {
    const w = zeros([10, 4]);
    expect(() => embedding([1, 10], w)).toThrow(ArgumentError);
    expect(() => embedding([1, 10], w)).toThrow(/embedding: indices\[1\] = 10 is not an integer index in \[0, 9\] for weight \[10, 4\]/);
    expect(() => embedding(tensor([[0, 1], [-1, 2]]), w)).toThrow(/indices\[1, 0\] = -1/);
    expect(() => embedding([1.5], w)).toThrow(/indices\[0\] = 1.5/);
    expect(() => embedding([0], zeros([10]))).toThrow(/weight \[10\] must be 2-D/);
    expect(() => embedding([0], w, { paddingIdx: 10 })).toThrow(/paddingIdx 10 must be an integer in \[-10, 9\]/);
  });
});

// ---------------------------------------------------------------- dropout

describe('dropout', () => {
  it('keeps each entry with probability 1 − p, scaled by 1/(1 − p); the same seed gives the same mask', () => {
    const x = ones([100_000]);
    const y = dropout(x, 0.3, { rng: new Generator(7) });
    let kept = 0;
    for (const v of y.data) {
      if (v !== 0) {
        expect(v).toBe(Math.fround(1 / 0.7));
        kept++;
      }
    }
    // Binomial(1e5, 0.7): standard deviation ≈ 145, so ±1000 is a 7σ bound.
    expect(Math.abs(kept - 70_000)).toBeLessThan(1000);
    expect(Array.from(dropout(x, 0.3, { rng: new Generator(7) }).data)).toEqual(Array.from(y.data));
    expect(Array.from(dropout(x, 0.3, { rng: new Generator(8) }).data)).not.toEqual(Array.from(y.data));
    manualSeed(11);
    const a = dropout(ones([50]), 0.5).toArray();
    manualSeed(11);
    expect(dropout(ones([50]), 0.5).toArray()).toEqual(a);
  });

  it('backward uses the forward mask', () => {
    const x = randT([4, 5], new Generator(2));
    const xg = tensor(x.toArray(), [4, 5], { requiresGrad: true });
    const y = dropout(xg, 0.4, { rng: new Generator(3) });
    const dy = randT([4, 5], new Generator(5));
    y.backward(dy);
    // y = x·m ⇒ dx = dy·m with m = y/x (x has no zeros here).
    expectClose(xg.grad!, Array.from(dy.data, (g, i) => (g * y.data[i]) / x.data[i]), 1e-6, 1e-5);
    expectGrad((t) => dropout(t, 0.4, { rng: new Generator(3) }), [x]);
  });

  it('eval mode and p = 0 return x itself; p = 1 gives zeros with zero gradient; NaN stays NaN', () => {
    const x = tensor([1, 2, NaN], undefined, { requiresGrad: true });
    expect(dropout(x, 0.5, { training: false })).toBe(x);
    expect(dropout(x, 0)).toBe(x);
    const y = dropout(x, 1);
    expect(y.toArray().slice(0, 2)).toEqual([0, 0]);
    expect(Number.isNaN(y.toArray()[2])).toBe(true); // NaN · 0, as PyTorch's x · mask
    y.backward([1, 1, 1]);
    expect(Array.from(x.grad!)).toEqual([0, 0, 0]);
    expect(dropout(ones([6]), 0.5, { rng: new Generator(1) }).toArray()).toEqual([2, 2, 2, 0, 0, 2]);
  });

  it('p outside [0, 1] is an ArgumentError', () => {
    for (const p of [-0.1, 1.5, NaN, '0.5' as unknown as number]) {
      expect(() => dropout(ones([2]), p)).toThrow(ArgumentError);
    }
    expect(() => dropout(ones([2]), 2)).toThrow('dropout: p must be a finite number ≥ 0 and ≤ 1, got 2');
  });
});

describe('norm, dropout, embedding and recurrent options are checked', () => {
  const x = tensor([[1, 2], [3, 5]]);
  it('unknown keys and wrong types throw', () => {
    expect(() => batchNorm(x, zeros([2]), ones([2]), null, null, { trainig: true } as never)).toThrow("batchNorm: unknown option 'trainig' (did you mean 'training'?); batchNorm takes training, momentum, eps");
    expect(() => batchNorm(x, zeros([2]), ones([2]), null, null, { training: 'yes' } as never)).toThrow('batchNorm: training must be a boolean, got "yes"');
    expect(() => batchNorm(x, zeros([2]), ones([2]), null, null, { eps: -1 })).toThrow('batchNorm: eps must be a finite number ≥ 0, got -1');
    expect(() => layerNorm(x, [2], null, null, NaN)).toThrow('layerNorm: eps must be a finite number ≥ 0, got NaN');
    expect(() => dropout(x, 0.5, { trainng: false } as never)).toThrow("dropout: unknown option 'trainng' (did you mean 'training'?)");
    expect(() => dropout(x, 0.5, { rng: 1 } as never)).toThrow('dropout: rng must be a Generator (e.g. new Generator(42)), got 1');
    expect(() => embedding([0], x, { padding_idx: 0 } as never)).toThrow("embedding: unknown option 'padding_idx' (did you mean 'paddingIdx'?)");
    expect(() => embedding([0], x, { paddingIdx: 0.5 })).toThrow('embedding: paddingIdx must be an integer, got 0.5');
    const seq = ones([1, 2, 1]);
    expect(() => tk.lstmLayer(seq, null, null, ones([4, 1]), ones([4, 1]), null, null, { reversed: true } as never)).toThrow("lstmLayer: unknown option 'reversed' (did you mean 'reverse'?)");
    expect(() => tk.gruLayer(seq, null, ones([3, 1]), ones([3, 1]), null, null, { reverse: 1 } as never)).toThrow('gruLayer: reverse must be a boolean, got 1');
    expect(() => tk.rnnLayer(seq, null, ones([1, 1]), ones([1, 1]), null, null, { nonlinearity: 'sigmoid' } as never)).toThrow("rnnLayer: nonlinearity must be one of 'tanh', 'relu', got \"sigmoid\"");
  });
});
