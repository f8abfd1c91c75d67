import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as tk from '../../src/tensor/index';
import { ArgumentError, Generator, ShapeError, Tensor, tensor } from '../../src/tensor/index';
import * as K from '../../src/tensor/kernels/softmax';
import { crossEntropy, logSoftmax, softmax, type CrossEntropyOptions } from '../../src/tensor/ops/softmax';
import { expectClose, expectGrad, randT } from '../helpers/check';

/** [O, R, I] dims with size-1 cases and sizes that are not multiples of anything in particular. */
const dimsArb = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 6 }), fc.integer());

/** A shape of 1–4 dims (sizes 1–5), an axis of it (maybe negative) and a seed. */
const shapeAxisArb = fc
  .array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 })
  .chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: -shape.length, max: shape.length - 1 }), fc.integer()));

/** Float64 softmax or log-softmax of each slice along `axis`, by explicit loops over [O, R, I]. */
function refSoftmax(x: Tensor, axis: number, log: boolean): number[] {
  const a = axis < 0 ? axis + x.ndim : axis;
  const O = x.shape.slice(0, a).reduce((p, q) => p * q, 1);
  const R = x.shape[a];
  const I = x.shape.slice(a + 1).reduce((p, q) => p * q, 1);
  const out = new Array<number>(x.size);
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      const at = (r: number) => o * R * I + r * I + i;
      let m = -Infinity;
      for (let r = 0; r < R; r++) m = Math.max(m, x.data[at(r)]);
      let s = 0;
      for (let r = 0; r < R; r++) s += Math.exp(x.data[at(r)] - m);
      for (let r = 0; r < R; r++) out[at(r)] = log ? x.data[at(r)] - m - Math.log(s) : Math.exp(x.data[at(r)] - m) / s;
    }
  }
  return out;
}

describe('softmax / logSoftmax kernels', () => {
  it('fast kernels match their naive twins, forward and backward, on any [O, R, I]', () => {
    fc.assert(
      fc.property(dimsArb, ([O, R, I, seed]) => {
        const rng = new Generator(seed);
        const n = O * R * I;
        const x = randT([n], rng, { scale: 3 }).data;
        const dy = randT([n], rng).data;
        for (const [fwd, naive, bwd, bwdNaive] of [
          [K.softmaxForward, K.softmaxForwardNaive, K.softmaxBackward, K.softmaxBackwardNaive],
          [K.logSoftmaxForward, K.logSoftmaxForwardNaive, K.logSoftmaxBackward, K.logSoftmaxBackwardNaive],
        ] as const) {
          const y = new Float32Array(n), yRef = new Float32Array(n);
          fwd(y, x, O, R, I);
          naive(yRef, x, O, R, I);
          expectClose(y, yRef, 1e-6, 1e-6);
          // Backward kernels accumulate: start both from the same non-zero buffer.
          const dx = Float32Array.from(dy), dxRef = Float32Array.from(dy);
          bwd(dx, dy, y, O, R, I);
          bwdNaive(dxRef, dy, y, O, R, I);
          expectClose(dx, dxRef, 1e-6, 1e-5);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('softmax / logSoftmax', () => {
  it('match a float64 reference along any axis', () => {
    fc.assert(
      fc.property(shapeAxisArb, ([shape, axis, seed]) => {
        const x = randT(shape, new Generator(seed), { scale: 4 });
        expectClose(softmax(x, axis).data, refSoftmax(x, axis, false), 1e-6, 1e-5);
        expectClose(logSoftmax(x, axis).data, refSoftmax(x, axis, true), 1e-5, 1e-5);
      }),
      { numRuns: 50 },
    );
  });

  it('slices sum to 1 and exp(logSoftmax) = softmax', () => {
    fc.assert(
      fc.property(shapeAxisArb, ([shape, axis, seed]) => {
        const x = randT(shape, new Generator(seed), { scale: 10 });
        const y = softmax(x, axis);
        // Σ over the axis of y, at every position of the slice.
        const ones = new Array<number>(x.size).fill(0);
        const a = axis < 0 ? axis + shape.length : axis;
        const R = shape[a], I = shape.slice(a + 1).reduce((p, q) => p * q, 1);
        for (let k = 0; k < x.size; k++) {
          const o = Math.floor(k / (R * I)), i = k % I;
          for (let r = 0; r < R; r++) ones[k] += y.data[o * R * I + r * I + i];
        }
        expectClose(ones, ones.map(() => 1), 1e-6, 1e-6);
        expectClose(logSoftmax(x, axis).data.map(Math.exp), y.data, 1e-6, 1e-5);
      }),
      { numRuns: 30 },
    );
  });

  it('gradients in a random direction with a random cotangent', () => {
    fc.assert(
      fc.property(shapeAxisArb, ([shape, axis, seed]) => {
        const x = randT(shape, new Generator(seed), { scale: 2 });
        expectGrad((t) => softmax(t, axis), [x]);
        expectGrad((t) => logSoftmax(t, axis), [x]);
      }),
      { numRuns: 25 },
    );
  });

  it('is stable at the extremes: logSoftmax([−1000, 1000]) = [−2000, 0] exactly; ±1e4 stays finite', () => {
    expect(logSoftmax(tensor([-1000, 1000])).toArray()).toEqual([-2000, 0]);
    expect(softmax(tensor([-1000, 1000])).toArray()).toEqual([0, 1]);
    // Equal huge logits: exactly uniform, log-probabilities exactly −ln 2 (rounded to float32).
    expect(softmax(tensor([1e4, 1e4])).toArray()).toEqual([0.5, 0.5]);
    expect(logSoftmax(tensor([-1e4, -1e4])).toArray()).toEqual([Math.fround(-Math.LN2), Math.fround(-Math.LN2)]);
    const x = tensor([[1e4, -1e4, 0], [-1e4, -1e4 + 1, -1e4]]);
    for (const y of [softmax(x), logSoftmax(x), softmax(x, 0), logSoftmax(x, 0)]) {
      expect(y.toArray().every(Number.isFinite)).toBe(true);
    }
    // Row 2: shifting by 1e4 changes nothing: softmax([0, 1, 0]) = [1, e, 1] / (2 + e).
    const e = Math.E;
    expectClose(softmax(x).data.subarray(3), [1 / (2 + e), e / (2 + e), 1 / (2 + e)], 0, 1e-6);
    // Row 1 with target 1: lse = 1e4, loss 2e4. Row 2 with target 0: loss = ln(2 + e).
    expectClose([crossEntropy(x, [1, 0]).item()], [(2e4 + Math.log(2 + e)) / 2], 0, 1e-6);
  });

  it('NaN makes its own slice NaN and leaves the others alone', () => {
    const x = tensor([[1, NaN, 2], [1, 2, 3]]);
    for (const y of [softmax(x), logSoftmax(x)]) {
      const v = y.toArray();
      expect(v.slice(0, 3).every(Number.isNaN)).toBe(true);
      expect(v.slice(3).every(Number.isFinite)).toBe(true);
    }
    const xc = tensor([[1, 2], [NaN, 3], [0, 1]]);
    const yc = softmax(xc, 0).toArray(); // column 0 holds the NaN
    expect([yc[0], yc[2], yc[4]].every(Number.isNaN)).toBe(true);
    expect([yc[1], yc[3], yc[5]].every(Number.isFinite)).toBe(true);
  });

  it('doc examples', () => {
    expectClose(softmax(tensor([1, 2, 3])).data, [0.09003057, 0.24472848, 0.66524094], 1e-7, 1e-6);
    expect(logSoftmax(tensor([-1000, 1000])).toArray()).toEqual([-2000, 0]);
    // −log softmax([2, 0, 0])[0] = ln(e² + 2) − 2; −log softmax([0, 1, 0])[1] = ln(2 + e) − 1.
    const ref = (Math.log(Math.exp(2) + 2) - 2 + Math.log(2 + Math.E) - 1) / 2;
    expectClose([crossEntropy(tensor([[2, 0, 0], [0, 1, 0]]), [0, 1]).item()], [ref], 0, 1e-6);
    expectClose([ref], [0.39549], 1e-5, 0);
  });

  it('a scalar is one slice of length 1; bad axes are named', () => {
    expect(softmax(tensor(3)).item()).toBe(1);
    expect(logSoftmax(tensor(3)).item()).toBe(0);
    expect(() => softmax(tensor([[1, 2]]), 2)).toThrow(/softmax: axis 2 is out of range \[-2, 1\] for a tensor of shape \[1, 2\]/);
    expect(() => logSoftmax(tensor(1), 1)).toThrow(ArgumentError);
    expect(() => softmax([1, 2] as unknown as Tensor)).toThrow(/x must be a Tensor/);
  });
});

// ---------------------------------------------------------------- crossEntropy

interface CEOpts {
  weight?: number[] | null;
  ignoreIndex?: number;
  labelSmoothing?: number;
  reduction?: 'mean' | 'sum' | 'none';
}

/**
 * Float64 reference written from PyTorch's definition: with lp = log-softmax over the class axis,
 * index targets give (1 − ε)·w[t]·(−lp[t]) + (ε/C)·Σ_c w[c]·(−lp[c]) (0 when ignored), 'mean'
 * divided by Σ w[t] over non-ignored items; probability targets give −Σ_c w[c]·q'[c]·lp[c] with
 * q' = (1 − ε)q + ε/C, 'mean' divided by the number of items.
 */
function refCE(logits: Tensor, target: number[] | Tensor, o: CEOpts): number[] {
  const { weight = null, ignoreIndex = -100, labelSmoothing: eps = 0, reduction = 'mean' } = o;
  const sh = logits.shape;
  const C = sh.length === 1 ? sh[0] : sh[1];
  const O = sh.length === 1 ? 1 : sh[0];
  const I = sh.slice(2).reduce((p, q) => p * q, 1);
  const w = (c: number) => (weight === null ? 1 : weight[c]);
  const losses: number[] = [];
  let denom = 0;
  for (let n = 0; n < O; n++) {
    for (let i = 0; i < I; i++) {
      const at = (c: number) => n * C * I + c * I + i;
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, logits.data[at(c)]);
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(logits.data[at(c)] - m);
      const lp = (c: number) => logits.data[at(c)] - m - Math.log(s);
      if (Array.isArray(target)) {
        const t = target[n * I + i];
        if (t === ignoreIndex) {
          losses.push(0);
          continue;
        }
        let smooth = 0;
        for (let c = 0; c < C; c++) smooth -= w(c) * lp(c);
        losses.push(-(1 - eps) * w(t) * lp(t) + (eps / C) * smooth);
        denom += w(t);
      } else {
        let l = 0;
        for (let c = 0; c < C; c++) l -= w(c) * ((1 - eps) * target.data[at(c)] + eps / C) * lp(c);
        losses.push(l);
        denom += 1;
      }
    }
  }
  const total = losses.reduce((p, q) => p + q, 0);
  return reduction === 'none' ? losses : reduction === 'sum' ? [total] : [total / denom];
}

/** logits (N, C, d…) or (C), its item count and class count. */
const ceShapeArb = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 })).map(([n, c]) => [n, c]),
  fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 })).map(([n, c, d1, d2]) => [n, c, d1, d2]),
  fc.integer({ min: 1, max: 6 }).map((c) => [c]),
);
const ceOptsArb = fc.record({
  weighted: fc.boolean(),
  labelSmoothing: fc.constantFrom(0, 0.1, 0.5, 1),
  reduction: fc.constantFrom('mean' as const, 'sum' as const, 'none' as const),
  ignoreValid: fc.boolean(),
  seed: fc.integer(),
});

function makeCase(shape: number[], r: { weighted: boolean; labelSmoothing: number; reduction: 'mean' | 'sum' | 'none'; ignoreValid: boolean; seed: number }) {
  const rng = new Generator(r.seed);
  const C = shape.length === 1 ? shape[0] : shape[1];
  const M = shape.length === 1 ? 1 : shape[0] * shape.slice(2).reduce((p, q) => p * q, 1);
  const logits = randT(shape, rng, { scale: 2 });
  // ignoreIndex either PyTorch's default −100 or a real class (then those items are skipped too).
  const ignoreIndex = r.ignoreValid && C > 1 ? rng.randint(0, C) : -100;
  const target = Array.from({ length: M }, () => (rng.random() < 0.2 ? ignoreIndex : rng.randint(0, C)));
  // Keep at least one item counted so 'mean' has a non-zero denominator.
  if (target.every((t) => t === ignoreIndex)) target[0] = ignoreIndex >= 0 ? (ignoreIndex + 1) % C : 0;
  const weight = r.weighted ? Array.from({ length: C }, () => 0.5 + rng.random()) : null;
  const probs = softmax(randT(shape, rng, { scale: 2 }), shape.length === 1 ? 0 : 1);
  const opts: CEOpts = { weight, ignoreIndex, labelSmoothing: r.labelSmoothing, reduction: r.reduction };
  return { logits, target, probs, opts };
}

describe('crossEntropy', () => {
  it('matches a float64 reference of PyTorch’s definition: both target kinds, weights, smoothing, ignoreIndex, every reduction', () => {
    fc.assert(
      fc.property(ceShapeArb, ceOptsArb, (shape, r) => {
        const { logits, target, probs, opts } = makeCase(shape, r);
        const idxShape = shape.length === 1 ? [] : [shape[0], ...shape.slice(2)];
        const yIdx = crossEntropy(logits, target, opts as CrossEntropyOptions);
        expect(yIdx.shape).toEqual(r.reduction === 'none' ? idxShape : []);
        expectClose(yIdx.data, refCE(logits, target, opts), 1e-5, 1e-5);
        // The same targets as a float tensor of the item shape, and as an Int32Array.
        expectClose(crossEntropy(logits, new Tensor(Float32Array.from(target), idxShape), opts as CrossEntropyOptions).data, yIdx.data, 0, 0);
        expectClose(crossEntropy(logits, Int32Array.from(target), opts as CrossEntropyOptions).data, yIdx.data, 0, 0);
        const pOpts = { ...opts, ignoreIndex: -100 };
        const yProb = crossEntropy(logits, probs, pOpts as CrossEntropyOptions);
        expectClose(yProb.data, refCE(logits, probs, pOpts), 1e-5, 1e-5);
      }),
      { numRuns: 80 },
    );
  });

  it('gradients in a random direction (logits, and probability targets)', () => {
    fc.assert(
      fc.property(ceShapeArb, ceOptsArb, (shape, r) => {
        const { logits, target, probs, opts } = makeCase(shape, r);
        expectGrad((x) => crossEntropy(x, target, opts as CrossEntropyOptions), [logits]);
        const pOpts = { ...opts, ignoreIndex: -100 } as CrossEntropyOptions;
        expectGrad((x, q) => crossEntropy(x, q, pOpts), [logits, probs]);
      }),
      { numRuns: 40 },
    );
  });

  it('one-hot probability targets equal index targets (mean unweighted; sum and none also weighted)', () => {
    fc.assert(
      fc.property(ceShapeArb, ceOptsArb, (shape, r) => {
        const { logits, opts } = makeCase(shape, { ...r, ignoreValid: false });
        const C = shape.length === 1 ? shape[0] : shape[1];
        const M = logits.size / C;
        const rng = new Generator(r.seed + 1);
        const target = Array.from({ length: M }, () => rng.randint(0, C));
        const I = shape.slice(2).reduce((p, q) => p * q, 1);
        const oneHot = new Float32Array(logits.size);
        for (let m = 0; m < M; m++) oneHot[Math.floor(m / I) * C * I + target[m] * I + (m % I)] = 1;
        const o = { ...opts, weight: r.reduction === 'mean' ? null : opts.weight } as CrossEntropyOptions;
        const a = tensor(logits.toArray(), shape, { requiresGrad: true });
        const b = tensor(logits.toArray(), shape, { requiresGrad: true });
        const ya = crossEntropy(a, target, o);
        const yb = crossEntropy(b, new Tensor(oneHot, shape), o);
        expectClose(ya.data, yb.data, 1e-6, 1e-5);
        const up = randT(ya.shape.slice(), rng);
        ya.backward(up);
        yb.backward(up);
        expectClose(a.grad!, b.grad!, 1e-6, 1e-5);
      }),
      { numRuns: 30 },
    );
  });

  it('hand-computed case: weights and ignoreIndex in the mean’s denominator, smoothing weighted too', () => {
    // logits rows [0, 0] (lp = −ln 2 each) and [ln 3, 0] (lp = [ln ¾, ln ¼]); targets [1, 0, −100].
    const L2 = Math.LN2;
    const x = tensor([[0, 0], [Math.log(3), 0], [5, -5]]);
    const w = [2, 3];
    // Items: w[1]·ln 2 = 3 ln 2 and w[0]·(−ln ¾) = −2 ln ¾; the third is ignored. Σw[t] = 3 + 2.
    const nll = [3 * L2, -2 * Math.log(0.75), 0];
    expectClose(crossEntropy(x, [1, 0, -100], { weight: w, reduction: 'none' }).data, nll, 1e-6, 1e-6);
    expectClose([crossEntropy(x, [1, 0, -100], { weight: w }).item()], [(nll[0] + nll[1]) / 5], 0, 1e-6);
    // ε = 0.4: item = 0.6·nll + (0.4/2)·Σ_c w[c]·(−lp[c]); item 1: 0.2·(2 + 3)·ln 2; item 2: 0.2·(−2 ln ¾ − 3 ln ¼).
    const sm = [0.6 * nll[0] + 0.2 * 5 * L2, 0.6 * nll[1] + 0.2 * (-2 * Math.log(0.75) - 3 * Math.log(0.25)), 0];
    expectClose(crossEntropy(x, [1, 0, -100], { weight: w, labelSmoothing: 0.4, reduction: 'none' }).data, sm, 1e-6, 1e-6);
    expectClose([crossEntropy(x, [1, 0, -100], { weight: w, labelSmoothing: 0.4 }).item()], [(sm[0] + sm[1]) / 5], 0, 1e-6);
    expectClose([crossEntropy(x, [1, 0, -100], { weight: w, labelSmoothing: 0.4, reduction: 'sum' }).item()], [sm[0] + sm[1]], 0, 1e-6);
  });

  it('ignored items get no gradient; an all-ignored batch gives NaN for mean (0 for sum), zero gradients', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], undefined, { requiresGrad: true });
    crossEntropy(x, [2, -100], { labelSmoothing: 0.3 }).backward();
    expect(Array.from(x.grad!.subarray(3))).toEqual([0, 0, 0]);
    expect(x.grad!.subarray(0, 3).some((v) => v !== 0)).toBe(true);
    const z = tensor([[1, 2, 3], [4, 5, 6]], undefined, { requiresGrad: true });
    const y = crossEntropy(z, [-100, -100], { weight: [1, 2, 3], labelSmoothing: 0.1 });
    expect(Number.isNaN(y.item())).toBe(true);
    y.backward();
    expect(Array.from(z.grad!)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(crossEntropy(z, [-100, -100], { reduction: 'sum' }).item()).toBe(0);
    expect(crossEntropy(z, [-100, -100], { reduction: 'none' }).toArray()).toEqual([0, 0]);
  });

  it('stays finite for logits up to ±1e4 and propagates NaN', () => {
    const x = tensor([[1e4, -1e4, 0], [-1e4, 1e4, 1e4]]);
    // Row 1: lse = 1e4, loss for class 1 = 2e4. Row 2: lse = 1e4 + ln 2, loss for class 2 = ln 2.
    expectClose(crossEntropy(x, [1, 2], { reduction: 'none' }).data, [2e4, Math.LN2], 1e-6, 1e-6);
    expect(crossEntropy(x, softmax(x)).toArray().every(Number.isFinite)).toBe(true);
    const xn = tensor([[NaN, 0], [0, 1]]);
    const l = crossEntropy(xn, [1, 0], { reduction: 'none' }).toArray();
    expect(Number.isNaN(l[0])).toBe(true);
    expect(Number.isFinite(l[1])).toBe(true);
    expect(Number.isNaN(crossEntropy(xn, [1, 0]).item())).toBe(true);
  });

  it('unbatched (C) logits take a scalar target', () => {
    const x = tensor([1, 2, 3]);
    const ref = -logSoftmax(x).data[2];
    expectClose([crossEntropy(x, tensor(2)).item()], [ref], 0, 1e-6);
    expectClose([crossEntropy(x, [2]).item()], [ref], 0, 1e-6);
    expect(crossEntropy(x, [2], { reduction: 'none' }).shape).toEqual([]);
  });

  it('bad inputs throw typed errors naming values, positions and shapes', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(() => crossEntropy(x, [0, 3])).toThrow(ArgumentError);
    expect(() => crossEntropy(x, [0, 3])).toThrow(/crossEntropy: target\[1\] = 3 is not a class index in \[0, 2\] for logits \[2, 3\]/);
    expect(() => crossEntropy(x, [-1, 0])).toThrow(/target\[0\] = -1/);
    expect(() => crossEntropy(x, [0.5, 0])).toThrow(/target\[0\] = 0.5/);
    const x3 = tensor(new Array(2 * 3 * 2).fill(0), [2, 3, 2]);
    expect(() => crossEntropy(x3, tensor([[0, 1], [2, 7]]))).toThrow(/target\[1, 1\] = 7/);
    expect(() => crossEntropy(x, [0, 1, 2])).toThrow(ShapeError);
    expect(() => crossEntropy(x, [0, 1, 2])).toThrow(/target has 3 class indices but logits \[2, 3\] have 2 items/);
    expect(() => crossEntropy(x, tensor([[0, 1]]))).toThrow(/probability target \[1, 2\] must have the shape of logits \[2, 3\]/);
    expect(() => crossEntropy(x, tensor([0, 1, 2]))).toThrow(/target \[3\] does not fit logits \[2, 3\]: class indices need shape \[2\]/);
    expect(() => crossEntropy(x, [0, 1], { weight: [1, 2] })).toThrow(ShapeError);
    expect(() => crossEntropy(x, [0, 1], { weight: [1, 2] })).toThrow(/weight \[2\] must have shape \[3\]/);
    expect(() => crossEntropy(x, [0, 1], { labelSmoothing: 1.5 })).toThrow('crossEntropy: labelSmoothing must be a finite number ≥ 0 and ≤ 1, got 1.5');
    expect(() => crossEntropy(x, [0, 1], { labelSmoothing: -0.1 })).toThrow(ArgumentError);
    expect(() => crossEntropy(x, [0, 1], { labelSmoothing: NaN })).toThrow(ArgumentError);
    expect(() => crossEntropy(x, [0, 1], { reduction: 'avg' as 'mean' })).toThrow("crossEntropy: reduction must be one of 'mean', 'sum', 'none', got \"avg\"");
    expect(() => crossEntropy(x, softmax(x), { ignoreIndex: 0 })).toThrow(/ignoreIndex 0 is not supported with probability targets/);
    expect(() => crossEntropy(tensor(1), [0])).toThrow(ShapeError);
    // ignoreIndex may be any integer, also a real class; targets equal to it are skipped, not range-checked.
    expect(crossEntropy(x, [7, 1], { ignoreIndex: 7, reduction: 'none' }).toArray()[0]).toBe(0);
  });
});

// ---------------------------------------------------------------- PyTorch fixtures

interface Arr { shape: number[]; data: number[] }
interface CEFixture {
  kind: 'index' | 'prob';
  logits: Arr;
  target: Arr;
  weight: number[] | null;
  ignoreIndex: number;
  labelSmoothing: number;
  reduction: 'mean' | 'sum' | 'none';
  upstream: Arr;
  loss: Arr;
  grad: number[];
}

const fixtures = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/primitives.json'), 'utf8')) as { crossEntropy: CEFixture[] };

describe('crossEntropy against PyTorch (test/fixtures/primitives.json)', () => {
  it(`matches F.cross_entropy values and logits gradients in ${fixtures.crossEntropy.length} cases`, () => {
    expect(fixtures.crossEntropy.length).toBeGreaterThan(40);
    for (const [k, f] of fixtures.crossEntropy.entries()) {
      const where = `case ${k}: ${f.kind} ${JSON.stringify(f.logits.shape)} w=${f.weight !== null} ε=${f.labelSmoothing} ignore=${f.ignoreIndex} ${f.reduction}`;
      const x = tensor(f.logits.data, f.logits.shape, { requiresGrad: true });
      const target = f.kind === 'index' ? new Tensor(Float32Array.from(f.target.data), f.target.shape) : tensor(f.target.data, f.target.shape);
      const y = crossEntropy(x, target, { weight: f.weight, ignoreIndex: f.ignoreIndex, labelSmoothing: f.labelSmoothing, reduction: f.reduction });
      expect(y.shape, where).toEqual(f.loss.shape);
      try {
        expectClose(y.data, f.loss.data, 1e-6, 1e-5);
        y.backward(f.upstream.data);
        expectClose(x.grad!, f.grad, 1e-6, 1e-5);
      } catch (e) {
        throw new Error(`${where}: ${(e as Error).message}`);
      }
    }
  });
});

describe('softmax and crossEntropy options are checked', () => {
  const logits = tensor([[1, 2, 3], [0, 0, 1]]);
  it('unknown keys and wrong types throw', () => {
    expect(() => crossEntropy(logits, [0, 1], { ignore_index: 1 } as never)).toThrow("crossEntropy: unknown option 'ignore_index' (did you mean 'ignoreIndex'?)");
    expect(() => crossEntropy(logits, [0, 1], { ignoreIndex: 0.5 })).toThrow(/crossEntropy: ignoreIndex must be an integer/);
    expect(() => crossEntropy(logits, [0, 1], { weight: 'x' } as never)).toThrow('crossEntropy: weight must be a Tensor, Float32Array, number[] or null, got "x"');
    expect(() => crossEntropy(logits, [0, 1], tensor([1, 1, 1]) as never)).toThrow('crossEntropy: options must be an object, got Tensor');
    expect(() => softmax(logits, { dim: 0 } as never)).toThrow("softmax: unknown option 'dim'; softmax takes axis");
    expect(() => logSoftmax(logits, { axis: 0.5 })).toThrow('logSoftmax: axis must be an integer, got 0.5');
    expect(tk.crossEntropy(logits, [0, 1], { weight: null }).item()).toBe(tk.crossEntropy(logits, [0, 1]).item());
  });
});
