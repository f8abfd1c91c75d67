import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError, tensor } from '../../src/tensor/index';
import { explainedVariance, mae, mape, medianAbsoluteError, mse, r2, rmse } from '../../src/metrics/index';

const NUM_RUNS = 150;

const pairs = fc.integer({ min: 2, max: 30 }).chain((n) =>
  fc.tuple(fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: n, maxLength: n }), fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: n, maxLength: n })));

describe('regression metrics by hand', () => {
  // Errors ŷ − y: 1, −2, 0, 3.
  const y = [1, 2, 3, 4], p = [2, 0, 3, 7];

  it('mse, rmse, mae, mape, median', () => {
    expect(mse(y, p)).toBe(14 / 4);
    expect(rmse(y, p)).toBe(Math.sqrt(14 / 4));
    expect(mse(y, p, { squared: false })).toBe(rmse(y, p));
    expect(mae(y, p)).toBe(6 / 4);
    expect(mape(y, p)).toBeCloseTo((1 / 1 + 2 / 2 + 0 + 3 / 4) / 4, 15);
    expect(medianAbsoluteError(y, p)).toBe(1.5); // |e| sorted 0 1 2 3
    expect(medianAbsoluteError([1, 2, 3], [2, 0, 3])).toBe(1);
  });

  it('r2 = 1 − SSres / SStot and explained variance ignores a constant bias', () => {
    // ȳ = 2.5, SStot = 5, SSres = 14.
    expect(r2(y, p)).toBeCloseTo(1 - 14 / 5, 15);
    expect(r2(y, y.map((v) => v + 1))).toBeCloseTo(1 - 4 / 5, 15);
    expect(explainedVariance(y, y.map((v) => v + 1))).toBe(1);
  });

  it('sample weights', () => {
    // Weights 1, 0, 1, 2: squared errors 1, 4, 0, 9 → (1 + 0 + 0 + 18) / 4.
    expect(mse(y, p, { sampleWeight: [1, 0, 1, 2] })).toBe(19 / 4);
    // Weighted median of |e| = 1, 2, 0, 3 with weights 1, 0, 1, 2: sorted 0(1) 1(1) 2(0) 3(2), half = 2 → 1.
    expect(medianAbsoluteError(y, p, { sampleWeight: [1, 0, 1, 2] })).toBe(1);
  });

  it('[N, K] targets: rawValues, uniformAverage, varianceWeighted and custom weights', () => {
    const t = [[1, 10], [2, 20], [3, 30]], q = [[1, 12], [2, 18], [4, 30]];
    expect(mse(t, q, { multioutput: 'rawValues' })).toEqual([1 / 3, 8 / 3]);
    expect(mse(t, q)).toBeCloseTo(1.5, 15);
    expect(mse(tensor(t), tensor(q), { multioutput: [3, 1] })).toBeCloseTo((1 + 8 / 3) / 4, 14);
    // Column variances (×N) 2 and 200: R² per column 1 − 1/2 and 1 − 8/200.
    const raw = r2(t, q, { multioutput: 'rawValues' });
    expect(raw[0]).toBeCloseTo(0.5, 15);
    expect(raw[1]).toBeCloseTo(0.96, 15);
    expect(r2(t, q, { multioutput: 'varianceWeighted' })).toBeCloseTo((0.5 * 2 + 0.96 * 200) / 202, 14);
    expect(rmse(t, q, { multioutput: 'rawValues' })).toEqual([Math.sqrt(1 / 3), Math.sqrt(8 / 3)]);
  });

  it('constant targets: forceFinite gives 1 for perfect and 0 otherwise; raw formula NaN / −Infinity', () => {
    expect(r2([2, 2, 2], [2, 2, 2])).toBe(1);
    expect(r2([2, 2, 2], [2, 2, 3])).toBe(0);
    expect(r2([2, 2, 2], [2, 2, 2], { forceFinite: false })).toBeNaN();
    expect(r2([2, 2, 2], [2, 2, 3], { forceFinite: false })).toBe(-Infinity);
    expect(explainedVariance([2, 2, 2], [2, 2, 3])).toBe(0);
    expect(r2([5], [4])).toBeNaN(); // fewer than two samples
  });

  it('mape of a zero target divides by machine epsilon, not zero', () => {
    expect(mape([0, 1], [1, 1])).toBe(1 / 2 ** -52 / 2);
  });
});

describe('regression properties', () => {
  it('rmse² = mse, mae ≤ rmse, r2 = 1 − mse / var(y) (property)', () => {
    fc.assert(fc.property(pairs, ([y, p]) => {
      const m = mse(y, p), r = rmse(y, p);
      const mean = y.reduce((a, b) => a + b, 0) / y.length;
      const v = y.reduce((a, b) => a + (b - mean) ** 2, 0) / y.length;
      const okR2 = v === 0 || Math.abs(r2(y, p) - (1 - m / v)) <= 1e-9 * Math.max(1, m / v);
      return Math.abs(r * r - m) <= 1e-9 * Math.max(1, m) && mae(y, p) <= r + 1e-9 && okR2;
    }), { numRuns: NUM_RUNS });
  });

  it('a perfect prediction scores 0 error and R² = explained variance = 1 (property)', () => {
    fc.assert(fc.property(pairs, ([y]) =>
      mse(y, y) === 0 && mae(y, y) === 0 && medianAbsoluteError(y, y) === 0 && r2(y, y) === 1 && explainedVariance(y, y) === 1), { numRuns: NUM_RUNS });
  });
});

describe('regression input validation', () => {
  it('shape errors name both sizes', () => {
    expect(() => mse([1, 2, 3], [1, 2])).toThrow('mse: yTrue has 3 samples but yPred has 2');
    expect(() => mse([[1, 2], [3, 4]], [[1], [2]])).toThrow('mse: yTrue has 2 outputs but yPred has 1');
    expect(() => mse([[1, 2], [3, 4]], [[1, 2], [3, 4]], { multioutput: [1] })).toThrow(ShapeError);
    expect(() => mse([[1, 2], [3]], [[1, 2], [3, 4]])).toThrow(/ragged/);
  });

  it('argument errors', () => {
    expect(() => mae([1, NaN], [1, 2])).toThrow('mae: yTrue[1] is NaN; every value must be a finite number');
    expect(() => r2([[1, 2], [3, Infinity]], [[1, 2], [3, 4]])).toThrow('yTrue[1, 1] is Infinity');
    expect(() => mse([1, 2], [1, 2], { multioutput: 'varianceWeighted' })).toThrow(ArgumentError);
    expect(() => mse([1, 2], [1, 2], { multioutput: [1] })).toThrow(/several outputs/);
    expect(() => mse([], [])).toThrow(ArgumentError);
    expect(() => mse([1, 2], [1, 2], { sampleWeight: [0, 0] })).toThrow(/sum to zero/);
  });
});
