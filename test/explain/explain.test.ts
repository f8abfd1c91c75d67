import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  integratedGradients, inputXGradient, kernelShap, lime, linearShap, partialDependence, permutationImportance, saliency,
} from '../../src/explain/index';
import { featureGrid } from '../../src/explain/inspection';
import { integrationSteps, legendreGauss } from '../../src/explain/gradients';
import { ArgumentError, Generator, Linear, Sequential, Tanh, Tensor, add, matmul, mul, r2, softmax, tensor } from '../../src/index';
import { expectClose } from '../helpers/check';

const fx = JSON.parse(readFileSync(new URL('../fixtures/explain.json', import.meta.url), 'utf8'));
const X = tensor(fx.X as number[][]);
const y = tensor(fx.y as number[]);

/** The fitted LinearRegression of the fixture, as a function of a [N, 4] tensor (float64 inside). */
const linearModel = (x: Tensor) => {
  const { coef, intercept } = fx.linear;
  const n = x.shape[0], out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = intercept;
    for (let j = 0; j < 4; j++) s += coef[j] * x.data[i * 4 + j];
    out[i] = s;
  }
  return new Tensor(out, [n]);
};
/** The fixture's LogisticRegression's predict_proba (binary: [1 − σ, σ]; multinomial: softmax). */
const logistic = (which: 'binary' | 'multi') => (x: Tensor) => {
  const { coef, intercept } = fx.logistic[which];
  const n = x.shape[0], K = which === 'binary' ? 2 : coef.length, out = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    const z = (coef as number[][]).map((w, k) => w.reduce((s, wj, j) => s + wj * x.data[i * 4 + j], intercept[k]));
    if (which === 'binary') {
      const p = 1 / (1 + Math.exp(-z[0]));
      out[i * 2] = 1 - p;
      out[i * 2 + 1] = p;
    } else {
      const mx = Math.max(...z), e = z.map((v) => Math.exp(v - mx)), s = e.reduce((a, b) => a + b, 0);
      e.forEach((v, k) => { out[i * K + k] = v / s; });
    }
  }
  return new Tensor(Float32Array.from(out), [n, K]);
};

describe('partialDependence (sklearn.inspection, brute, average)', () => {
  it('builds the grid as scikit-learn: mquantiles(0.4, 0.4) at the percentiles then linspace, or the unique values', () => {
    for (const g of fx.grid) {
      const col = Float64Array.from({ length: 120 }, (_, i) => X.data[i * 4 + g.feature]);
      expectClose(featureGrid(col, g.gridResolution, [0.05, 0.95], 't', g.feature), g.values, 1e-6, 1e-6);
    }
  });

  it('matches scikit-learn on a linear regression, one feature and a pair', () => {
    for (const c of fx.pdRegression) {
      const pd = partialDependence(linearModel, X, c.features, { gridResolution: c.gridResolution });
      pd.values.forEach((v, d) => expectClose(v, c.values[d], 1e-6, 1e-6));
      expect(pd.gridShape).toEqual(c.values.map((v: number[]) => v.length));
      expectClose(pd.average[0], (c.average[0] as number[] | number[][]).flat(), 1e-4, 1e-5);
    }
  });

  it('matches scikit-learn on predict_proba: the binary case is average[1], the 3-class case every class', () => {
    for (const c of fx.pdClassifier) {
      const pd = partialDependence(logistic(c.model), X, c.features, { gridResolution: c.gridResolution });
      if (c.model === 'binary') expectClose(pd.average[1], c.average[0], 1e-5, 1e-4);
      else c.average.forEach((row: number[], k: number) => expectClose(pd.average[k], row, 1e-5, 1e-4));
    }
  });

  it('bad input is an ArgumentError naming it', () => {
    expect(() => partialDependence(linearModel, X, 7)).toThrow(/features must be/);
    expect(() => partialDependence(linearModel, X, [1, 1])).toThrow(/must not repeat/);
    expect(() => partialDependence(linearModel, X, 0, { percentiles: [0.9, 0.1] })).toThrow(/increasing/);
    expect(() => partialDependence(linearModel, tensor([1, 2, 3]), 0)).toThrow(/\[N, p\] matrix/);
    expect(() => partialDependence(linearModel, [[1, NaN]], 0)).toThrow(/NaN at row 0, column 1/);
    expect(() => partialDependence(() => tensor([1]), X, 0)).toThrow(/returned shape \[1\] for 120 samples/);
  });
});

describe('permutationImportance (sklearn.inspection)', () => {
  it('agrees with scikit-learn on a linear regression (200 repeats each; means within 4 standard errors)', () => {
    const r = permutationImportance(linearModel, X, y, { metric: (a, b) => r2(a, b), nRepeats: 200, rng: new Generator(0) });
    const ref = fx.permutation;
    expect(r.baselineScore).toBeCloseTo(ref.baseline, 5);
    for (let j = 0; j < 4; j++) {
      const se = Math.hypot(r.importancesStd[j], ref.importancesStd[j]) / Math.sqrt(200);
      expect(Math.abs(r.importancesMean[j] - ref.importancesMean[j]), `feature ${j}`).toBeLessThanOrEqual(4 * se + 1e-6);
      expect(r.importancesStd[j]).toBeCloseTo(ref.importancesStd[j], 1);
    }
    expect(r.importances).toHaveLength(4);
    expect(r.importances[0]).toHaveLength(200);
    // The order: feature 1 (coef −2) > 0 (1.5) > 2 (0.5) > 3 (0).
    const order = [0, 1, 2, 3].sort((a, b) => r.importancesMean[b] - r.importancesMean[a]);
    expect(order).toEqual([1, 0, 2, 3]);
  });

  it('a loss with greaterIsBetter: false gives positive importances; seeded runs repeat', () => {
    const mse = (a: Tensor, b: Tensor) => a.data.reduce((s, v, i) => s + (v - b.data[i]) ** 2, 0) / a.size;
    const a = permutationImportance(linearModel, X, y, { metric: mse, greaterIsBetter: false, rng: new Generator(3) });
    const b = permutationImportance(linearModel, X, y, { metric: mse, greaterIsBetter: false, rng: new Generator(3) });
    expect(a).toEqual(b);
    expect(a.importancesMean[1]).toBeGreaterThan(1);
    expect(a.baselineScore).toBeLessThan(0.05);
  });

  it('bad input is an ArgumentError', () => {
    expect(() => permutationImportance(linearModel, X, y, {} as never)).toThrow(/metric is required/);
    expect(() => permutationImportance(linearModel, X, [1, 2], { metric: () => 0 })).toThrow(/y has 2 samples but X \[120, 4\]/);
    expect(() => permutationImportance(linearModel, X, y, { metric: () => 0, nRepeats: 0 })).toThrow(/nRepeats/);
    expect(() => permutationImportance(42 as never, X, y, { metric: () => 0 })).toThrow(/model must be a Module or a function/);
  });
});

describe('gradient attributions (Captum semantics)', () => {
  // f(x) = x0·x1 + 3·x2 as tensorkit ops: IG from 0 is exact for a polynomial of degree 2 under Gauss–Legendre.
  const f = (x: Tensor) => {
    const x0 = matmul(x, tensor([[1], [0], [0]])), x1 = matmul(x, tensor([[0], [1], [0]])), x2 = matmul(x, tensor([[0], [0], [1]]));
    return add(mul(x0, x1), mul(x2, 3)).reshape([x.shape[0]]);
  };
  const x = tensor([[1, 2, 3], [-1, 0.5, 2]]);

  it('Gauss–Legendre nodes and weights equal numpy leggauss; Captum\'s Riemann alphas', () => {
    for (const c of fx.leggauss) {
      const { nodes, weights } = legendreGauss(c.n);
      expectClose(nodes, c.nodes, 1e-13, 0);
      expectClose(weights, c.weights, 1e-13, 0);
    }
    expect(integrationSteps('riemann_left', 4).alphas).toEqual([0, 0.25, 0.5, 0.75]);
    expect(integrationSteps('riemann_right', 4).alphas).toEqual([0.25, 0.5, 0.75, 1]);
    expect(integrationSteps('riemann_middle', 2).alphas).toEqual([0.25, 0.75]);
    expect(integrationSteps('riemann_trapezoid', 3).weights).toEqual([0.25, 0.5, 0.25]);
  });

  it('integrated gradients are exact on x0·x1 + 3·x2 from a zero baseline (x0x1/2 each, 3·x2), with delta ≈ 0', () => {
    const r = integratedGradients(f, x);
    expectClose(r.attributions, [1, 1, 9, -0.25, -0.25, 6], 1e-5, 1e-5);
    expect(r.shape).toEqual([2, 3]);
    for (const d of r.delta) expect(Math.abs(d)).toBeLessThan(1e-5);
    // A baseline of one sample's shape, the Riemann methods, internal batches: completeness holds.
    const b = tensor([0.5, 0.5, 0.5]);
    for (const method of ['riemann_trapezoid', 'riemann_middle', 'gausslegendre'] as const) {
      const q = integratedGradients(f, x, { baselines: b, method, nSteps: 64, internalBatchSize: 30 });
      for (const d of q.delta) expect(Math.abs(d)).toBeLessThan(1e-3);
    }
  });

  it('completeness on a network with several outputs, per-sample targets', () => {
    const g = new Generator(5);
    const net = new Sequential(new Linear(4, 8, { rng: g }), new Tanh(), new Linear(8, 3, { rng: g }));
    const xs = new Tensor(Float32Array.from({ length: 12 }, () => g.normal()), [3, 4]);
    const r = integratedGradients(net, xs, { target: [0, 2, 1], nSteps: 100 });
    for (const d of r.delta) expect(Math.abs(d)).toBeLessThan(1e-3);
    expect(() => integratedGradients(net, xs)).toThrow(/3 outputs per sample; say which to explain with target/);
    expect(() => integratedGradients(net, xs, { target: [0, 1] })).toThrow(/target has 2 entries for 3 samples/);
    expect(() => integratedGradients(net, xs, { target: 5 })).toThrow(/target 5 is out of range for 3 outputs/);
    expect(() => integratedGradients(net, xs, { baselines: tensor([1, 2]) })).toThrow(/baselines of shape \[2\]/);
    expect(net.training).toBe(true); // restored after eval-mode calls
  });

  it('saliency is |∂f/∂x| and input × gradient is x·∂f/∂x', () => {
    const s = saliency(f, x);
    expectClose(s.attributions, [2, 1, 3, 0.5, 1, 3]);
    const raw = saliency(f, x, { abs: false });
    expectClose(raw.attributions, [2, 1, 3, 0.5, -1, 3]);
    const ixg = inputXGradient(f, x);
    expectClose(ixg.attributions, [2, 2, 9, -0.5, -0.5, 6]);
    const sm = (t: Tensor) => softmax(t, { axis: 1 });
    const p = saliency(sm, tensor([[0, 0]]), { target: 0, abs: false });
    expectClose(p.attributions, [0.25, -0.25]);
    expect(() => saliency(() => tensor([1, 2]), x)).toThrow(/does not depend differentiably/);
  });
});

describe('SHAP', () => {
  /** Exact Shapley values of v(S) = mean over background of f(x_S, bg_rest), by enumeration. */
  function exactShapley(fn: (x: Tensor) => Tensor, row: number[], bg: number[][]): number[] {
    const p = row.length, fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
    const v = (mask: number) => {
      const rows = bg.map((b) => b.map((bv, j) => ((mask >> j) & 1 ? row[j] : bv)));
      const out = fn(tensor(rows));
      return out.data.reduce((s, z) => s + z, 0) / bg.length;
    };
    const phi = new Array<number>(p).fill(0);
    for (let j = 0; j < p; j++) {
      for (let S = 0; S < 1 << p; S++) {
        if ((S >> j) & 1) continue;
        const size = [...S.toString(2)].filter((c) => c === '1').length;
        phi[j] += (fact(size) * fact(p - size - 1)) / fact(p) * (v(S | (1 << j)) - v(S));
      }
    }
    return phi;
  }
  const nonlinear = (x: Tensor) => {
    const n = x.shape[0], p = x.shape[1], out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const r = x.data.subarray(i * p, (i + 1) * p);
      out[i] = r[0] * r[1] + Math.sin(r[2]) + (p > 3 ? r[3] * r[3] * r[4 % p] : 0) + r[p - 1];
    }
    return new Tensor(out, [n]);
  };

  it('kernelShap enumerates every coalition when they fit and equals the exact Shapley values (p = 3, 6, 9)', () => {
    const g = new Generator(2);
    for (const p of [3, 6, 9]) {
      const row = Array.from({ length: p }, () => g.normal());
      const bg = Array.from({ length: 6 }, () => Array.from({ length: p }, () => g.normal()));
      const r = kernelShap(nonlinear, row, bg, { nSamples: 2 ** p });
      expect(r.exact).toBe(true);
      expectClose(r.values[0], exactShapley(nonlinear, row, bg), 1e-4, 1e-4);
      const fxv = nonlinear(tensor([row])).data[0];
      expect(r.values[0].reduce((s, v) => s + v, 0) + r.expectedValue[0]).toBeCloseTo(fxv, 5);
    }
  });

  it('sampled kernelShap keeps additivity exactly and lands near the exact values (p = 12)', () => {
    const g = new Generator(4);
    const p = 12;
    const row = Array.from({ length: p }, () => g.normal());
    const bg = Array.from({ length: 4 }, () => Array.from({ length: p }, () => g.normal()));
    const r = kernelShap(nonlinear, row, bg, { nSamples: 1500, rng: new Generator(9) });
    expect(r.exact).toBe(false);
    const fxv = nonlinear(tensor([row])).data[0];
    expect(r.values[0].reduce((s, v) => s + v, 0) + r.expectedValue[0]).toBeCloseTo(fxv, 4);
    const ex = exactShapley(nonlinear, row, bg);
    const err = Math.max(...r.values[0].map((v, j) => Math.abs(v - ex[j])));
    expect(err).toBeLessThan(0.1);
  });

  it('linearShap is exact for linear models and agrees with kernelShap on them', () => {
    const coef = [[1.5, -2, 0.5, 0]], intercept = [0.3];
    const lin = (x: Tensor) => matmul(x, tensor([[1.5], [-2], [0.5], [0]])).add(0.3);
    const bg = (fx.X as number[][]).slice(0, 20), row = fx.X[50] as number[];
    const a = linearShap({ coef, intercept }, row, bg), b = kernelShap(lin, row, bg);
    expectClose(a.values[0], b.values[0], 1e-4, 1e-4);
    expectClose(a.expectedValue, b.expectedValue, 1e-4, 1e-4);
    expect(() => linearShap({ coef: [[1, 2]] }, row, bg)).toThrow(/4 finite numbers per output/);
    expect(() => kernelShap(lin, [1, 2], bg)).toThrow(/one sample of 4 features/);
    expect(() => kernelShap(lin, row, bg, { nSamples: 0 })).toThrow(ArgumentError);
  });
});

describe('lime (LimeTabularExplainer defaults)', () => {
  it('ranks a linear model\'s features by |coefficient|, with a good local fit, and repeats under a seed', () => {
    const row = fx.X[7] as number[];
    const e = lime(linearModel, row, { trainingData: X, rng: new Generator(1) });
    expect(e.features.map((f) => f.feature).slice(0, 3)).toEqual([1, 0, 2]);
    // Coefficient −2 on x1: being in x's bin lowers the output when x1 is above the middle (data centred on 0).
    expect(Math.sign(e.features[0].weight)).toBe(-Math.sign(row[1]));
    expect(e.score).toBeGreaterThan(0.5);
    expect(e.score).toBeLessThanOrEqual(1);
    expect(e.modelPrediction).toBeCloseTo(linearModel(tensor([row])).data[0], 5);
    expect(e.features[0].condition).toMatch(/x1/);
    const again = lime(linearModel, row, { trainingData: X, rng: new Generator(1) });
    expect(again).toEqual(e);
    const few = lime(linearModel, row, { trainingData: X, rng: new Generator(1), numFeatures: 2 });
    expect(few.features.map((f) => f.feature).sort()).toEqual([0, 1]);
  });

  it('explains the positive class of a binary classifier by default; bad input is an ArgumentError', () => {
    const e = lime(logistic('binary'), fx.X[3], { trainingData: X, numSamples: 1000, rng: new Generator(2) });
    expect(e.modelPrediction).toBeCloseTo(logistic('binary')(tensor([fx.X[3]])).data[1], 5);
    expect(() => lime(linearModel, fx.X[0], {} as never)).toThrow(/trainingData is required/);
    expect(() => lime(linearModel, [1, 2], { trainingData: X })).toThrow(/one sample of 4 features/);
    expect(() => lime(logistic('multi'), fx.X[0], { trainingData: X, numSamples: 10 })).toThrow(/3 outputs; say which to explain with label/);
    expect(() => lime(linearModel, fx.X[0], { trainingData: X, discretize: 'decile' as never })).toThrow(/discretize/);
  });
});
