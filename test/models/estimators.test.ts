import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Generator, Tensor, tensor, ArgumentError, FormatError, ShapeError, TensorkitError } from '../../src/tensor/index';
import { StandardScaler, loadIris, makeMoons, makeRegression, makeBlobs, trainTestSplit } from '../../src/data/index';
import { LinearRegression } from '../../src/models/linear';
import { LogisticRegression } from '../../src/models/logistic';
import { MLPClassifier, MLPRegressor } from '../../src/models/mlp-estimators';

/*
 * Oracles: test/fixtures/estimators.json (scikit-learn 1.2, see gen_estimators.py, every iterative
 * reference run to tol ≤ 1e-10 so it is the exact optimum) for the linear models; stated scores
 * on seeded synthetic tasks for the MLPs; exact equalities for the JSON round trips and for the
 * "one update rule" claim of the gradient solvers.
 */

interface Logit { coef: number[][]; intercept: number[]; predict: number[]; proba: number[][] }
const fx = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/estimators.json'), 'utf8')) as {
  regression: {
    x: number[][]; y: number[]; y2: number[];
    ols: { coef: number[]; intercept: number; mse: number };
    ridge: { alpha: number; coef: number[]; intercept: number };
    ridgeMulti: { alpha: number; coef: number[][]; intercept: number[] };
    ridgeNoIntercept: { alpha: number; coef: number[] };
    lasso: { alpha: number; coef: number[]; intercept: number };
    elasticNet: { alpha: number; l1Ratio: number; coef: number[]; intercept: number };
  };
  iris: { x: number[][]; y: number[]; multinomial: Logit; ovr: Logit; multinomialC01: Logit; l1: Logit };
  binary: { x: number[][]; y: number[]; l2: Logit; noIntercept: Logit; none: Logit; l1: Logit; multinomial: Logit };
};

/** max |a − b| / max(1, |b|) over flattened values. */
function relErr(a: ArrayLike<number>, b: readonly number[]): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

function mse(pred: Tensor, y: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (pred.data[i] - y[i]) ** 2;
  return s / y.length;
}

function agreement(pred: Tensor, want: readonly number[]): number {
  let same = 0;
  for (let i = 0; i < want.length; i++) if (pred.data[i] === want[i]) same++;
  return same / want.length;
}

function roundTrip<T extends { toJSON(): unknown }>(m: T, from: (j: unknown) => T): T {
  return from(JSON.parse(JSON.stringify(m.toJSON())));
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as TensorkitError).code;
  }
  return 'none';
}

const R = fx.regression;
const N = R.x.length;

describe('LinearRegression against scikit-learn', () => {
  it("solver 'normal' equals LinearRegression and Ridge within 1e-6 (float32 storage of float64 solves)", () => {
    const ols = new LinearRegression().fit(R.x, R.y);
    expect(relErr(ols.coef.data, R.ols.coef)).toBeLessThan(1e-6);
    expect(relErr(ols.intercept.data, [R.ols.intercept])).toBeLessThan(1e-6);
    expect(ols.coef.shape).toEqual([5]);
    expect(ols.intercept.shape).toEqual([]);
    expect(ols.nIter).toBe(1);
    expect(mse(ols.predict(R.x), R.y) / R.ols.mse).toBeCloseTo(1, 5);

    const ridge = new LinearRegression({ l2: R.ridge.alpha }).fit(R.x, R.y);
    expect(relErr(ridge.coef.data, R.ridge.coef)).toBeLessThan(1e-6);
    expect(relErr(ridge.intercept.data, [R.ridge.intercept])).toBeLessThan(1e-6);

    const noB = new LinearRegression({ l2: R.ridgeNoIntercept.alpha, fitIntercept: false }).fit(R.x, R.y);
    expect(relErr(noB.coef.data, R.ridgeNoIntercept.coef)).toBeLessThan(1e-6);
    expect(noB.intercept.item()).toBe(0);
  });

  it('multi-output Ridge: coef [K, F], intercept [K], predict [N, K]', () => {
    const Y = R.y.map((v, i) => [v, R.y2[i]]);
    const m = new LinearRegression({ l2: R.ridgeMulti.alpha }).fit(R.x, Y);
    expect(m.coef.shape).toEqual([2, 5]);
    expect(m.intercept.shape).toEqual([2]);
    expect(relErr(m.coef.data, R.ridgeMulti.coef.flat())).toBeLessThan(1e-6);
    expect(relErr(m.intercept.data, R.ridgeMulti.intercept)).toBeLessThan(1e-6);
    expect(m.predict(R.x).shape).toEqual([N, 2]);
    // Each target is its own ridge problem: the first column equals the single-target fit.
    const one = new LinearRegression({ l2: R.ridgeMulti.alpha }).fit(R.x, R.y);
    expect(relErr(m.coef.data.subarray(0, 5), Array.from(one.coef.data))).toBeLessThan(1e-6);
  });

  it('Lasso and ElasticNet (coordinate descent) within 1e-5, with both option spellings', () => {
    const lasso = new LinearRegression({ l1: R.lasso.alpha }).fit(R.x, R.y);
    expect(relErr(lasso.coef.data, R.lasso.coef)).toBeLessThan(1e-5);
    expect(relErr(lasso.intercept.data, [R.lasso.intercept])).toBeLessThan(1e-5);
    // The lasso zeroes the coefficients scikit-learn zeroes, exactly.
    R.lasso.coef.forEach((c, j) => expect(lasso.coef.data[j] === 0).toBe(c === 0));

    const { alpha, l1Ratio } = R.elasticNet;
    const en = new LinearRegression({ alpha, l1Ratio }).fit(R.x, R.y);
    expect(relErr(en.coef.data, R.elasticNet.coef)).toBeLessThan(1e-5);
    expect(relErr(en.intercept.data, [R.elasticNet.intercept])).toBeLessThan(1e-5);
    // ElasticNet(α, ρ) ≡ l1 = αρ, l2 = N·α(1 − ρ).
    const same = new LinearRegression({ l1: alpha * l1Ratio, l2: N * alpha * (1 - l1Ratio) }).fit(R.x, R.y);
    expect(relErr(same.coef.data, Array.from(en.coef.data))).toBeLessThan(1e-6);
    // The objective decreases sweep by sweep.
    const c = en.lossCurve;
    expect(c.length).toBe(en.nIter);
    for (let i = 1; i < c.length; i++) expect(c[i]).toBeLessThanOrEqual(c[i - 1] + 1e-12);
  });

  it('collinear columns give the minimum-norm least-squares solution (as NumPy lstsq)', () => {
    // y = 2a + 1 with the column a given twice: the min-norm split is [1, 1].
    const a = [0, 1, 2, 3, 4];
    const m = new LinearRegression().fit(a.map((v) => [v, v]), a.map((v) => 2 * v + 1));
    expect(Array.from(m.coef.data).map((v) => +v.toFixed(5))).toEqual([1, 1]);
    expect(m.intercept.item()).toBeCloseTo(1, 5);
  });
});

describe('LinearRegression gradient solvers: one proximal-SGD rule, three batch sizes', () => {
  // Standardized features so one learning rate suits every coefficient; OLS is scale-invariant,
  // so the normal solution's training MSE is still scikit-learn's.
  const xs = new StandardScaler().fitTransform(tensor(R.x));
  const normal = new LinearRegression().fit(xs, R.y);
  const best = mse(normal.predict(xs), R.y);

  it('the closed form on standardized x has scikit-learn\'s training MSE', () => {
    expect(best / R.ols.mse).toBeCloseTo(1, 5);
  });

  for (const [solver, lr, epochs] of [['gd', 0.3, 300], ['sgd', 0.002, 60], ['minibatch', 0.05, 150]] as const) {
    it(`${solver} reaches the normal solution's training MSE within 1% in ≤ ${epochs} epochs`, () => {
      const m = new LinearRegression({ solver, lr, epochs, batchSize: 16, tol: 1e-6, rng: new Generator(1) }).fit(xs, R.y);
      expect(m.nIter).toBeLessThanOrEqual(epochs);
      expect(m.lossCurve.length).toBe(m.nIter);
      expect(mse(m.predict(xs), R.y)).toBeLessThan(1.01 * best);
    });
  }

  it("'minibatch' with batchSize 1 is 'sgd', and with batchSize N it is 'gd' (up to summation order)", () => {
    const sgd = new LinearRegression({ solver: 'sgd', lr: 0.002, epochs: 3, rng: new Generator(7) }).fit(xs, R.y);
    const mb1 = new LinearRegression({ solver: 'minibatch', batchSize: 1, lr: 0.002, epochs: 3, rng: new Generator(7) }).fit(xs, R.y);
    expect(mb1.coef.data).toEqual(sgd.coef.data);
    expect(mb1.intercept.data).toEqual(sgd.intercept.data);
    const gd = new LinearRegression({ solver: 'gd', lr: 0.3, epochs: 20, tol: 0 }).fit(xs, R.y);
    const mbN = new LinearRegression({ solver: 'minibatch', batchSize: N, lr: 0.3, epochs: 20, tol: 0, rng: new Generator(7) }).fit(xs, R.y);
    expect(relErr(mbN.coef.data, Array.from(gd.coef.data))).toBeLessThan(1e-5);
    // Full-batch GD with a stable step decreases the objective every epoch.
    const c = gd.lossCurve;
    for (let i = 1; i < c.length; i++) expect(c[i]).toBeLessThan(c[i - 1]);
  });

  it("'gd' with l1 (ISTA) converges to the coordinate-descent lasso; 'minibatch' with l1 gets close", () => {
    const cd = new LinearRegression({ l1: 0.5, l2: 20 }).fit(xs, R.y);
    const ista = new LinearRegression({ solver: 'gd', l1: 0.5, l2: 20, lr: 0.3, epochs: 500, tol: 1e-10 }).fit(xs, R.y);
    expect(relErr(ista.coef.data, Array.from(cd.coef.data))).toBeLessThan(1e-3);
    expect(relErr(ista.intercept.data, Array.from(cd.intercept.data))).toBeLessThan(1e-3);
    // Exact zeros where coordinate descent has them (the proximal step makes them exactly 0).
    cd.coef.data.forEach((c, j) => expect(ista.coef.data[j] === 0).toBe(c === 0));
    const mb = new LinearRegression({ solver: 'minibatch', l1: 0.5, l2: 20, lr: 0.01, epochs: 100, rng: new Generator(3) }).fit(xs, R.y);
    const cdObj = cd.lossCurve[cd.lossCurve.length - 1];
    expect(mb.lossCurve[mb.lossCurve.length - 1]).toBeLessThan(1.01 * cdObj);
  });

  it('seeded: the same rng seed gives identical coefficients', () => {
    const a = new LinearRegression({ solver: 'minibatch', epochs: 5, rng: new Generator(11) }).fit(xs, R.y);
    const b = new LinearRegression({ solver: 'minibatch', epochs: 5, rng: new Generator(11) }).fit(xs, R.y);
    expect(a.coef.data).toEqual(b.coef.data);
  });
});

describe('LogisticRegression against scikit-learn', () => {
  const I = fx.iris, B = fx.binary;
  const cases: Array<[string, number[][], number[], Logit, ConstructorParameters<typeof LogisticRegression>[0], number]> = [
    ['iris multinomial lbfgs', I.x, I.y, I.multinomial, { multiClass: 'multinomial' }, 1e-4],
    ['iris multinomial gd', I.x, I.y, I.multinomial, { multiClass: 'multinomial', solver: 'gd', maxIter: 5000, tol: 1e-6 }, 1e-4],
    ['iris ovr lbfgs', I.x, I.y, I.ovr, { multiClass: 'ovr' }, 1e-4],
    ['iris ovr gd', I.x, I.y, I.ovr, { multiClass: 'ovr', solver: 'gd', maxIter: 5000, tol: 1e-6 }, 1e-4],
    ['iris multinomial C=0.1', I.x, I.y, I.multinomialC01, { C: 0.1 }, 1e-4],
    ['iris multinomial l1 (proximal gradient vs saga)', I.x, I.y, I.l1, { penalty: 'l1', solver: 'gd', maxIter: 5000, tol: 1e-6 }, 1e-4],
    ['binary lbfgs', B.x, B.y, B.l2, {}, 1e-4],
    ['binary gd', B.x, B.y, B.l2, { solver: 'gd', maxIter: 5000, tol: 1e-6 }, 1e-4],
    ['binary without intercept', B.x, B.y, B.noIntercept, { fitIntercept: false }, 1e-4],
    ['binary without penalty', B.x, B.y, B.none, { penalty: 'none' }, 1e-4],
    ['binary l1', B.x, B.y, B.l1, { penalty: 'l1', solver: 'gd', maxIter: 5000, tol: 1e-6 }, 1e-4],
    ['binary multinomial', B.x, B.y, B.multinomial, { multiClass: 'multinomial' }, 1e-4],
  ];
  for (const [name, x, y, ref, opts, tol] of cases) {
    it(`${name}: ≥ 99% equal predictions, probabilities within 1e-4, coefficients within ${tol}`, () => {
      const m = new LogisticRegression({ tol: 1e-5, maxIter: 500, ...opts }).fit(x, y);
      expect(agreement(m.predict(x), ref.predict)).toBeGreaterThanOrEqual(0.99);
      expect(relErr(m.predictProba(x).data, ref.proba.flat())).toBeLessThan(1e-4);
      expect(m.coef.shape).toEqual([ref.coef.length, ref.coef[0].length]);
      expect(relErr(m.coef.data, ref.coef.flat())).toBeLessThan(tol);
      expect(relErr(m.intercept.data, ref.intercept)).toBeLessThan(tol);
      expect(m.classes).toEqual([...new Set(y)].sort((a, b) => a - b));
      expect(m.nIter).toBeGreaterThan(0);
      expect(m.lossCurve.length).toBeGreaterThan(0);
    });
  }

  it('l1 zeroes exactly the coefficients saga zeroes', () => {
    const m = new LogisticRegression({ penalty: 'l1', solver: 'gd', maxIter: 5000, tol: 1e-6 }).fit(I.x, I.y);
    I.l1.coef.flat().forEach((c, j) => expect(m.coef.data[j] === 0).toBe(c === 0));
  });

  it('predictProba rows sum to 1; predict is the argmax; score is the accuracy; labels may be any integers', () => {
    const y = B.y.map((v) => (v === 1 ? -5 : 7));
    const m = new LogisticRegression().fit(B.x, y);
    expect(m.classes).toEqual([-5, 7]);
    const p = m.predictProba(B.x);
    const pred = m.predict(B.x);
    let correct = 0;
    for (let n = 0; n < y.length; n++) {
      expect(p.data[2 * n] + p.data[2 * n + 1]).toBeCloseTo(1, 6);
      expect(pred.data[n]).toBe(p.data[2 * n + 1] > p.data[2 * n] ? 7 : -5);
      if (pred.data[n] === y[n]) correct++;
    }
    expect(m.score(B.x, y)).toBe(correct / y.length);
    expect(agreement(pred, B.l2.predict.map((v) => (v === 1 ? -5 : 7)))).toBeGreaterThanOrEqual(0.99);
  });

  it('refuses continuous and string labels with an error naming y and LabelEncoder (scikit-learn refuses continuous targets)', () => {
    const x = [[0], [1], [2]];
    for (const m of [new LogisticRegression(), new MLPClassifier({ hiddenLayerSizes: [2], maxIter: 2, rng: new Generator(0) })]) {
      expect(() => m.fit(x, [0, 1, 0.5])).toThrow(ArgumentError);
      expect(() => m.fit(x, [0, 1, 0.5])).toThrow(/y holds the continuous value 0.5 at index 2.*LabelEncoder/);
      expect(() => m.fit(x, ['a', 'b', 'a'] as unknown as number[])).toThrow(ArgumentError);
      expect(() => m.fit(x, ['a', 'b', 'a'] as unknown as number[])).toThrow(/y holds the string "a" at index 0.*LabelEncoder/);
    }
  });
});

describe('MLP estimators learn their seeded tasks', () => {
  it('MLPClassifier: ≥ 95% test accuracy on makeMoons within 200 epochs (adam and sgd)', () => {
    const { x, y } = makeMoons({ nSamples: 400, noise: 0.15, rng: new Generator(0) });
    const s = trainTestSplit(x, y, { testSize: 0.25, rng: new Generator(1) });
    for (const solver of ['adam', 'sgd'] as const) {
      const clf = new MLPClassifier({ hiddenLayerSizes: [32], solver, learningRateInit: solver === 'adam' ? 0.01 : 0.05, batchSize: 32, maxIter: 200, rng: new Generator(2) });
      clf.fit(s.xTrain, s.yTrain);
      expect(clf.nIter).toBeLessThanOrEqual(200);
      expect(clf.score(s.xTest, s.yTest)).toBeGreaterThanOrEqual(0.95);
      expect(clf.predictProba(s.xTest).shape).toEqual([100, 2]);
    }
  });

  it('MLPClassifier: 3 classes (softmax output), ≥ 95% on standardized iris', () => {
    const iris = loadIris();
    const x = new StandardScaler().fitTransform(iris.x);
    const clf = new MLPClassifier({ hiddenLayerSizes: [16], activation: 'tanh', learningRateInit: 0.01, maxIter: 200, rng: new Generator(0) }).fit(x, iris.y);
    expect(clf.score(x, iris.y)).toBeGreaterThanOrEqual(0.95);
    const p = clf.predictProba(x);
    expect(p.shape).toEqual([150, 3]);
    for (let n = 0; n < 150; n++) expect(p.data[3 * n] + p.data[3 * n + 1] + p.data[3 * n + 2]).toBeCloseTo(1, 5);
  });

  it('MLPRegressor: R² ≥ 0.9 on held-out makeRegression data within 200 epochs', () => {
    const { x, y } = makeRegression({ nSamples: 400, nFeatures: 4, noise: 5, rng: new Generator(0) });
    const s = trainTestSplit(x, y.div(100), { testSize: 0.25, rng: new Generator(1) });
    const reg = new MLPRegressor({ hiddenLayerSizes: [32], learningRateInit: 0.01, batchSize: 32, rng: new Generator(2) }).fit(s.xTrain, s.yTrain);
    expect(reg.nIter).toBeLessThanOrEqual(200);
    expect(reg.score(s.xTest, s.yTest)).toBeGreaterThanOrEqual(0.9);
    expect(reg.predict(s.xTest).shape).toEqual([100]);
  });

  it('MLPRegressor: multi-output y [N, 2] gives predictions [N, 2]', () => {
    const { x, y } = makeRegression({ nSamples: 200, nFeatures: 3, nTargets: 2, rng: new Generator(4) });
    const reg = new MLPRegressor({ hiddenLayerSizes: [16], activation: 'identity', learningRateInit: 0.01, batchSize: 32, maxIter: 100, rng: new Generator(0) }).fit(x, y.div(100));
    expect(reg.predict(x).shape).toEqual([200, 2]);
    expect(reg.score(x, y.div(100))).toBeGreaterThan(0.99);
  });

  it('early stopping holds out validationFraction, records a score per epoch and stops early', () => {
    const { x, y } = makeBlobs({ nSamples: 300, centers: 3, rng: new Generator(5) });
    const clf = new MLPClassifier({ hiddenLayerSizes: [8], earlyStopping: true, validationFraction: 0.2, nIterNoChange: 5, learningRateInit: 0.01, maxIter: 500, rng: new Generator(0) }).fit(x, y);
    expect(clf.validationScores.length).toBe(clf.nIter);
    expect(clf.nIter).toBeLessThan(500);
    expect(Math.max(...clf.validationScores)).toBeGreaterThanOrEqual(0.95);
    const plain = new MLPClassifier({ hiddenLayerSizes: [8], maxIter: 3, rng: new Generator(0) }).fit(x, y);
    expect(plain.validationScores).toEqual([]);
    expect(plain.lossCurve.length).toBe(3);
  });

  it('seeded: the same rng seed gives identical networks', () => {
    const { x, y } = makeMoons({ nSamples: 100, rng: new Generator(0) });
    const a = new MLPClassifier({ hiddenLayerSizes: [4], maxIter: 5, rng: new Generator(9) }).fit(x, y);
    const b = new MLPClassifier({ hiddenLayerSizes: [4], maxIter: 5, rng: new Generator(9) }).fit(x, y);
    expect(a.coefs.map((t) => Array.from(t.data))).toEqual(b.coefs.map((t) => Array.from(t.data)));
    expect(a.coefs.map((t) => t.shape)).toEqual([[4, 2], [1, 4]]);
  });
});

describe('toJSON / fromJSON round trips give identical predictions', () => {
  const xs = tensor(R.x);
  it('LinearRegression (closed form, lasso, gradient, multi-output, unfitted)', () => {
    const Y = R.y.map((v, i) => [v, R.y2[i]]);
    for (const m of [
      new LinearRegression().fit(xs, R.y),
      new LinearRegression({ alpha: 0.5, l1Ratio: 0.3 }).fit(xs, R.y),
      new LinearRegression({ solver: 'sgd', lr: 1e-4, epochs: 2, rng: new Generator(0) }).fit(xs, R.y),
      new LinearRegression({ l2: 1 }).fit(xs, Y),
    ]) {
      const back = roundTrip(m, LinearRegression.fromJSON);
      expect(back.predict(xs).data).toEqual(m.predict(xs).data);
      expect(back.predict(xs).shape).toEqual(m.predict(xs).shape);
      expect(back.params).toEqual(m.params);
      expect(back.lossCurve).toEqual(m.lossCurve);
      expect(back.nIter).toBe(m.nIter);
    }
    const empty = roundTrip(new LinearRegression({ l2: 3 }), LinearRegression.fromJSON);
    expect(empty.params.l2).toBe(3);
    expect(code(() => empty.predict(xs))).toBe('NOT_FITTED');
  });

  it('LogisticRegression (binary, multinomial, ovr)', () => {
    const I = fx.iris;
    for (const m of [
      new LogisticRegression().fit(fx.binary.x, fx.binary.y),
      new LogisticRegression().fit(I.x, I.y),
      new LogisticRegression({ multiClass: 'ovr' }).fit(I.x, I.y),
      new LogisticRegression({ multiClass: 'multinomial' }).fit(fx.binary.x, fx.binary.y),
    ]) {
      const back = roundTrip(m, LogisticRegression.fromJSON);
      expect(back.predict(I.x).data).toEqual(m.predict(I.x).data);
      expect(back.predictProba(I.x).data).toEqual(m.predictProba(I.x).data);
      expect(back.classes).toEqual(m.classes);
    }
  });

  it('MLPClassifier and MLPRegressor', () => {
    const { x, y } = makeMoons({ nSamples: 100, noise: 0.1, rng: new Generator(0) });
    const clf = new MLPClassifier({ hiddenLayerSizes: [8, 4], maxIter: 10, rng: new Generator(0) }).fit(x, y);
    const c2 = roundTrip(clf, MLPClassifier.fromJSON);
    expect(c2.predictProba(x).data).toEqual(clf.predictProba(x).data);
    expect(c2.predict(x).data).toEqual(clf.predict(x).data);
    expect(c2.lossCurve).toEqual(clf.lossCurve);
    const reg = new MLPRegressor({ hiddenLayerSizes: [8], activation: 'logistic', maxIter: 10, rng: new Generator(0) }).fit(x, y);
    const r2 = roundTrip(reg, MLPRegressor.fromJSON);
    expect(r2.predict(x).data).toEqual(reg.predict(x).data);
    expect(r2.params).toEqual(reg.params);
  });

  it('fromJSON refuses another type or a malformed object (FormatError)', () => {
    const json = new LinearRegression().fit(xs, R.y).toJSON();
    expect(() => LogisticRegression.fromJSON(json)).toThrow(FormatError);
    expect(() => LinearRegression.fromJSON({ ...json, version: 1 })).toThrow(FormatError);
    expect(() => LinearRegression.fromJSON(null)).toThrow(FormatError);
    const bad = JSON.parse(JSON.stringify(json));
    bad.state.coef.data.pop();
    expect(() => LinearRegression.fromJSON(bad)).toThrow(FormatError);
    const badOpt = JSON.parse(JSON.stringify(json));
    badOpt.options.solver = 'qr';
    expect(() => LinearRegression.fromJSON(badOpt)).toThrow(FormatError);
    const inf = new LinearRegression().fit([[0], [1]], [0, 1]);
    inf.coef.data[0] = Infinity;
    expect(JSON.parse(JSON.stringify(inf.toJSON())).state.coef.data).toEqual(['Infinity']);
    expect(LinearRegression.fromJSON(JSON.parse(JSON.stringify(inf.toJSON()))).coef.data[0]).toBe(Infinity);
  });
});

describe('typed errors', () => {
  const x = [[0, 1], [1, 0], [1, 1], [0, 0]];
  const y = [0, 1, 1, 0];
  const makers: Array<[string, () => { fit(x: number[][], y: number[]): unknown; predict(x: number[][]): Tensor; score(x: number[][], y: number[]): number }]> = [
    ['LinearRegression', () => new LinearRegression()],
    ['LogisticRegression', () => new LogisticRegression()],
    ['MLPClassifier', () => new MLPClassifier({ hiddenLayerSizes: [2], maxIter: 2, rng: new Generator(0) })],
    ['MLPRegressor', () => new MLPRegressor({ hiddenLayerSizes: [2], maxIter: 2, rng: new Generator(0) })],
  ];
  for (const [name, make] of makers) {
    it(`${name}: NOT_FITTED, feature count, NaN, y length`, () => {
      const m = make();
      expect(code(() => m.predict(x))).toBe('NOT_FITTED');
      expect(code(() => m.score(x, y))).toBe('NOT_FITTED');
      expect(() => m.fit([[0, NaN], [1, 0], [1, 1], [0, 0]], y)).toThrow(ArgumentError);
      expect(() => m.fit([[0, Infinity], [1, 0], [1, 1], [0, 0]], y)).toThrow(ArgumentError);
      expect(() => m.fit(x, [0, 1, 1])).toThrow(ShapeError);
      expect(() => m.fit(x, [0, NaN, 1, 0])).toThrow(ArgumentError);
      expect(() => m.fit([0, 1, 1, 0] as unknown as number[][], y)).toThrow(ShapeError);
      m.fit(x, y);
      let err: unknown = null;
      try {
        m.predict([[1, 2, 3]]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ShapeError);
      expect((err as Error).message).toMatch(/3 features.*fitted on 2/);
      expect(() => m.predict([[NaN, 1]])).toThrow(ArgumentError);
      expect(m.predict(x).shape).toEqual([4]);
    });
  }

  it('classifiers: unseen labels at score and a single class at fit are ArgumentErrors', () => {
    for (const m of [new LogisticRegression(), new MLPClassifier({ hiddenLayerSizes: [2], maxIter: 2, rng: new Generator(0) })]) {
      expect(() => m.fit(x, [1, 1, 1, 1])).toThrow(ArgumentError);
      m.fit(x, y);
      expect(() => m.score(x, [0, 1, 2, 0])).toThrow(/label 2/);
      expect(() => m.score(x, [0, 1, 2, 0])).toThrow(ArgumentError);
    }
  });

  it('bad hyperparameters are ArgumentErrors at construction', () => {
    const bad: Array<() => unknown> = [
      () => new LinearRegression({ solver: 'qr' as 'normal' }),
      () => new LinearRegression({ l2: -1 }),
      () => new LinearRegression({ l1: NaN }),
      () => new LinearRegression({ lr: 0 }),
      () => new LinearRegression({ epochs: 1.5 }),
      () => new LinearRegression({ batchSize: 0 }),
      () => new LinearRegression({ alpha: 1, l1: 1 }),
      () => new LinearRegression({ alpha: 1, l1Ratio: 2 }),
      () => new LinearRegression({ l1Ratio: 0.5 }),
      () => new LinearRegression({ l1_ratio: 0.5 } as never),
      () => new LinearRegression({ rng: 3 as unknown as Generator }),
      () => new LogisticRegression({ C: 0 }),
      () => new LogisticRegression({ C: -1 }),
      () => new LogisticRegression({ penalty: 'elasticnet' as 'l2' }),
      () => new LogisticRegression({ penalty: 'l1' }),
      () => new LogisticRegression({ multiClass: 'both' as 'ovr' }),
      () => new LogisticRegression({ maxIter: 0 }),
      () => new LogisticRegression({ tol: -1 }),
      () => new MLPClassifier({ hiddenLayerSizes: [0] }),
      () => new MLPClassifier({ hiddenLayerSizes: 5 as unknown as number[] }),
      () => new MLPClassifier({ activation: 'gelu' as 'relu' }),
      () => new MLPRegressor({ alpha: -1 }),
      () => new MLPRegressor({ validationFraction: 1.5 }),
      () => new MLPRegressor({ learningRateInit: 0 }),
      () => new MLPRegressor({ solver: 'lbfgs' as 'adam' }),
      () => new MLPRegressor({ batch_size: 3 } as never),
    ];
    for (const f of bad) expect(f).toThrow(ArgumentError);
    expect(() => new LinearRegression({ l1_ratio: 0.5 } as never)).toThrow("LinearRegression: unknown option 'l1_ratio' (did you mean 'l1Ratio'?)");
    expect(() => new LogisticRegression({ C: 0 })).toThrow('LogisticRegression: C must be a finite number > 0, got 0');
    expect(() => new MLPRegressor({ batch_size: 3 } as never)).toThrow(/did you mean 'batchSize'/);
    expect(() => new MLPClassifier(5 as never)).toThrow('MLPClassifier: options must be an object, got 5');
  });

  it('fitted attributes throw NOT_FITTED before fit', () => {
    const lr = new LinearRegression();
    const lg = new LogisticRegression();
    const mc = new MLPClassifier();
    for (const f of [() => lr.coef, () => lr.intercept, () => lr.nIter, () => lg.coef, () => lg.classes, () => lg.predictProba([[1]]), () => mc.classes, () => mc.coefs, () => mc.predictProba([[1]])]) {
      expect(code(f)).toBe('NOT_FITTED');
    }
  });
});
