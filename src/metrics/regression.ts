import { ArgumentError, ShapeError } from '../tensor/index';
import { average, later, sampleWeights, values, vector, type MetricArray, type MetricMatrix } from './util';
import { bool, parseOptions } from '../tensor/options';

const REG_SPEC = { sampleWeight: later, multioutput: later };

/**
 * How the scores of several outputs (columns of [N, K] targets) are combined: `'rawValues'` returns
 * one per output, `'uniformAverage'` their mean, `'varianceWeighted'` (r2 and explainedVariance
 * only) their mean weighted by each output's variance, or an array of K weights.
 * @category Metrics
 */
export type Multioutput = 'rawValues' | 'uniformAverage' | 'varianceWeighted' | MetricArray;

/** Options of the regression metrics. @category Metrics */
export interface RegressionOptions {
  /** One non-negative weight per sample (row). */
  sampleWeight?: MetricArray;
  /** Combination of per-output scores for [N, K] targets (default `'uniformAverage'`). */
  multioutput?: Multioutput;
}

/** Options of {@link mse}. @category Metrics */
export interface MseOptions extends RegressionOptions {
  /** Return the mean squared error (default true) or its square root per output. */
  squared?: boolean;
}

/** Options of {@link r2} and {@link explainedVariance}. @category Metrics */
export interface R2Options extends RegressionOptions {
  /**
   * Replace non-finite scores of constant targets (default true, as scikit-learn): a perfect
   * prediction scores 1 and any other 0. With false, the raw formula gives NaN or −Infinity.
   */
  forceFinite?: boolean;
}

/** Raw-values overload of the regression metrics. @category Metrics */
export type RawValues<O> = O & {
  /** `'rawValues'`: return one value per output column ([K]) instead of their mean. */
  multioutput: 'rawValues';
};

interface Targets {
  yt: Float64Array;
  yp: Float64Array;
  N: number;
  K: number;
  w: Float64Array | null;
  mo: 'rawValues' | 'uniformAverage' | 'varianceWeighted' | Float64Array;
}

function targets(fn: string, yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, o: RegressionOptions, allowVariance: boolean): Targets {
  const t = values(fn, 'yTrue', yTrue), p = values(fn, 'yPred', yPred);
  if (t.rows !== p.rows) throw new ShapeError(`${fn}: yTrue has ${t.rows} samples but yPred has ${p.rows}`);
  if (t.rows === 0) throw new ArgumentError(`${fn}: yTrue and yPred are empty`);
  if (t.cols !== p.cols) throw new ShapeError(`${fn}: yTrue has ${t.cols} output${t.cols === 1 ? '' : 's'} but yPred has ${p.cols}`);
  const K = t.cols;
  const m = o.multioutput ?? 'uniformAverage';
  let mo: Targets['mo'];
  if (typeof m === 'string') {
    const allowed = allowVariance ? ['rawValues', 'uniformAverage', 'varianceWeighted'] : ['rawValues', 'uniformAverage'];
    if (!allowed.includes(m)) throw new ArgumentError(`${fn}: multioutput must be ${allowed.map((a) => `'${a}'`).join(', ')} or an array of weights, got '${m}'`);
    mo = m as Targets['mo'];
  } else {
    mo = vector(fn, 'multioutput', m);
    if (K === 1) throw new ArgumentError(`${fn}: multioutput weights are only meaningful with several outputs`);
    if (mo.length !== K) throw new ShapeError(`${fn}: multioutput has ${mo.length} weights but there are ${K} outputs`);
  }
  return { yt: t.data, yp: p.data, N: t.rows, K, w: sampleWeights(fn, o.sampleWeight, t.rows), mo };
}

/** Weighted column means of f(yTrue, yPred) (NumPy's `average(…, axis=0, weights=w)`). */
function columnMeans(fn: string, T: Targets, f: (t: number, p: number) => number): Float64Array {
  const { yt, yp, N, K, w } = T;
  const out = new Float64Array(K);
  let sw = 0;
  for (let i = 0; i < N; i++) sw += w === null ? 1 : w[i];
  if (sw === 0) throw new ArgumentError(`${fn}: the sample weights sum to zero`);
  for (let i = 0; i < N; i++) {
    const wi = w === null ? 1 : w[i];
    const row = i * K;
    for (let k = 0; k < K; k++) out[k] += wi * f(yt[row + k], yp[row + k]);
  }
  for (let k = 0; k < K; k++) out[k] /= sw;
  return out;
}

function combine(fn: string, scores: Float64Array, mo: Targets['mo'], variance?: Float64Array): number | number[] {
  if (mo === 'rawValues') return Array.from(scores);
  if (mo === 'uniformAverage') return average(fn, scores, null);
  if (mo === 'varianceWeighted') {
    // All-constant targets give all-zero weights; scikit-learn falls back to the uniform mean.
    return variance!.some((v) => v !== 0) ? average(fn, scores, variance!) : average(fn, scores, null);
  }
  return average(fn, scores, mo);
}

/**
 * Mean squared error (1/N)·Σᵢ (yᵢ − ŷᵢ)², per output (scikit-learn 1.2's `mean_squared_error`).
 *
 * Shapes: yTrue, yPred [N] or [N, K]; a number, or [K] with `multioutput: 'rawValues'`.
 * @param options `squared: false` gives the root of each output's MSE (see {@link rmse}).
 * @example
 * mse([3, -0.5, 2, 7], [2.5, 0, 2, 8]); // 0.375
 * mse([[0.5, 1], [-1, 1], [7, -6]], [[0, 2], [-1, 2], [8, -5]], { multioutput: 'rawValues' }); // [0.4166666666666667, 1]
 * @throws ShapeError if rows or outputs differ; ArgumentError on empty or non-finite input.
 * @see {@link mseLoss} for the differentiable loss.
 * @category Metrics
 */
export function mse(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options: RawValues<MseOptions>): number[];
export function mse(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options?: MseOptions): number;
export function mse(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options: MseOptions = {}): number | number[] {
  options = parseOptions('mse', options, { sampleWeight: later, multioutput: later, squared: bool }) as typeof options;
  const T = targets('mse', yTrue, yPred, options, false);
  const e = columnMeans('mse', T, (t, p) => (t - p) * (t - p));
  if (options.squared === false) for (let k = 0; k < e.length; k++) e[k] = Math.sqrt(e[k]);
  return combine('mse', e, T.mo);
}

/**
 * Root mean squared error √((1/N)·Σᵢ (yᵢ − ŷᵢ)²), per output, then combined
 * (`mean_squared_error(squared=False)` of scikit-learn 1.2: the mean of per-output roots).
 *
 * Shapes: yTrue, yPred [N] or [N, K]; a number, or [K] with `multioutput: 'rawValues'`.
 * @example
 * rmse([3, -0.5, 2, 7], [2.5, 0, 2, 8]); // 0.6123724356957945
 * @throws ShapeError if rows or outputs differ; ArgumentError on empty or non-finite input.
 * @category Metrics
 */
export function rmse(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options: RawValues<RegressionOptions>): number[];
export function rmse(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options?: RegressionOptions): number;
export function rmse(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options: RegressionOptions = {}): number | number[] {
  options = parseOptions('rmse', options, REG_SPEC) as typeof options;
  return mse(yTrue, yPred, { ...options, squared: false });
}

/**
 * Mean absolute error (1/N)·Σᵢ |yᵢ − ŷᵢ|, per output (scikit-learn's `mean_absolute_error`).
 *
 * Shapes: yTrue, yPred [N] or [N, K]; a number, or [K] with `multioutput: 'rawValues'`.
 * @example
 * mae([3, -0.5, 2, 7], [2.5, 0, 2, 8]); // 0.5
 * @throws ShapeError if rows or outputs differ; ArgumentError on empty or non-finite input.
 * @see {@link l1Loss}
 * @category Metrics
 */
export function mae(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options: RawValues<RegressionOptions>): number[];
export function mae(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options?: RegressionOptions): number;
export function mae(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options: RegressionOptions = {}): number | number[] {
  options = parseOptions('mae', options, REG_SPEC) as typeof options;
  const T = targets('mae', yTrue, yPred, options, false);
  return combine('mae', columnMeans('mae', T, (t, p) => Math.abs(p - t)), T.mo);
}

/**
 * Mean absolute percentage error (1/N)·Σᵢ |yᵢ − ŷᵢ| / max(|yᵢ|, ε), ε = 2⁻⁵², as a fraction (not
 * ×100), as scikit-learn's `mean_absolute_percentage_error`. A zero target gives a huge term, not Infinity.
 *
 * Shapes: yTrue, yPred [N] or [N, K]; a number, or [K] with `multioutput: 'rawValues'`.
 * @example
 * mape([3, -0.5, 2, 7], [2.5, 0, 2, 8]); // 0.3273809523809524
 * @throws ShapeError if rows or outputs differ; ArgumentError on empty or non-finite input.
 * @category Metrics
 */
export function mape(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options: RawValues<RegressionOptions>): number[];
export function mape(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options?: RegressionOptions): number;
export function mape(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options: RegressionOptions = {}): number | number[] {
  options = parseOptions('mape', options, REG_SPEC) as typeof options;
  const T = targets('mape', yTrue, yPred, options, false);
  const eps = 2 ** -52;
  return combine('mape', columnMeans('mape', T, (t, p) => Math.abs(p - t) / Math.max(Math.abs(t), eps)), T.mo);
}

/**
 * Median absolute error medianᵢ |yᵢ − ŷᵢ| per output, robust to outliers (scikit-learn 1.2's
 * `median_absolute_error`). Unweighted it is NumPy's median (mean of the two middle values for even
 * N); with sampleWeight it is the lower weighted median: the smallest error whose cumulative weight
 * reaches half the total.
 *
 * Shapes: yTrue, yPred [N] or [N, K]; a number, or [K] with `multioutput: 'rawValues'`.
 * @example
 * medianAbsoluteError([3, -0.5, 2, 7], [2.5, 0, 2, 8]); // 0.5
 * @throws ShapeError if rows or outputs differ; ArgumentError on empty or non-finite input.
 * @category Metrics
 */
export function medianAbsoluteError(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options: RawValues<RegressionOptions>): number[];
export function medianAbsoluteError(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options?: RegressionOptions): number;
export function medianAbsoluteError(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options: RegressionOptions = {}): number | number[] {
  options = parseOptions('medianAbsoluteError', options, REG_SPEC) as typeof options;
  const fn = 'medianAbsoluteError';
  const T = targets(fn, yTrue, yPred, options, false);
  const { yt, yp, N, K, w } = T;
  const out = new Float64Array(K);
  const err = new Float64Array(N);
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < N; i++) err[i] = Math.abs(yp[i * K + k] - yt[i * K + k]);
    if (w === null) {
      const s = Float64Array.from(err).sort();
      out[k] = N % 2 === 1 ? s[(N - 1) / 2] : (s[N / 2 - 1] + s[N / 2]) / 2;
    } else {
      const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => err[a] - err[b] || a - b);
      const cdf = new Float64Array(N);
      let c = 0;
      for (let i = 0; i < N; i++) cdf[i] = c += w[order[i]];
      let half = 0.5 * cdf[N - 1];
      // scikit-learn nudges a zero target past leading zero weights.
      if (half === 0) half = Number.MIN_VALUE;
      let j = 0;
      while (j < N && cdf[j] < half) j++;
      out[k] = err[order[Math.min(j, N - 1)]];
    }
  }
  return combine(fn, out, T.mo);
}

/** Residual and total sums of squares per output for r2 (weighted sums, not means). */
function r2Parts(T: Targets, fn: string) {
  const { yt, yp, N, K, w } = T;
  const mean = columnMeans(fn, T, (t) => t);
  const num = new Float64Array(K), den = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    const wi = w === null ? 1 : w[i];
    for (let k = 0; k < K; k++) {
      const t = yt[i * K + k], d = t - yp[i * K + k], c = t - mean[k];
      num[k] += wi * d * d;
      den[k] += wi * c * c;
    }
  }
  return { num, den };
}

function assemble(fn: string, num: Float64Array, den: Float64Array, mo: Targets['mo'], forceFinite: boolean): number | number[] {
  const K = num.length;
  const s = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    if (!forceFinite) s[k] = 1 - num[k] / den[k];
    else if (num[k] === 0) s[k] = 1;
    else s[k] = den[k] === 0 ? 0 : 1 - num[k] / den[k];
  }
  return combine(fn, s, mo, den);
}

/**
 * Coefficient of determination R² = 1 − Σᵢ wᵢ(yᵢ − ŷᵢ)² / Σᵢ wᵢ(yᵢ − ȳ)², per output (scikit-learn
 * 1.2's `r2_score`). 1 is perfect, 0 is the constant mean predictor, and it can be negative.
 *
 * Constant targets (zero denominator): with `forceFinite` (default) a perfect prediction scores 1 and
 * any other 0. Fewer than two samples give NaN.
 * Shapes: yTrue, yPred [N] or [N, K]; a number, or [K] with `multioutput: 'rawValues'`.
 * @example
 * r2([3, -0.5, 2, 7], [2.5, 0, 2, 8]); // 0.9486081370449679
 * r2([[0.5, 1], [-1, 1], [7, -6]], [[0, 2], [-1, 2], [8, -5]], { multioutput: 'varianceWeighted' }); // 0.9382566585956417
 * r2([1, 1, 1], [1, 1, 2]); // 0
 * @throws ShapeError if rows or outputs differ; ArgumentError on empty or non-finite input.
 * @category Metrics
 */
export function r2(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options: RawValues<R2Options>): number[];
export function r2(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options?: R2Options): number;
export function r2(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options: R2Options = {}): number | number[] {
  options = parseOptions('r2', options, { sampleWeight: later, multioutput: later, forceFinite: bool }) as typeof options;
  const T = targets('r2', yTrue, yPred, options, true);
  if (T.N < 2) return T.mo === 'rawValues' ? new Array<number>(T.K).fill(NaN) : NaN;
  const { num, den } = r2Parts(T, 'r2');
  return assemble('r2', num, den, T.mo, options.forceFinite ?? true);
}

/**
 * Explained variance 1 − Var(y − ŷ) / Var(y), per output (scikit-learn 1.2's
 * `explained_variance_score`, weighted variances). Unlike R² it ignores a constant bias in ŷ.
 *
 * Constant targets as in {@link r2} (`forceFinite`).
 * Shapes: yTrue, yPred [N] or [N, K]; a number, or [K] with `multioutput: 'rawValues'`.
 * @example
 * explainedVariance([3, -0.5, 2, 7], [2.5, 0, 2, 8]); // 0.9571734475374732
 * explainedVariance([1, 2, 3], [2, 3, 4]); // 1
 * @throws ShapeError if rows or outputs differ; ArgumentError on empty or non-finite input.
 * @see {@link r2}
 * @category Metrics
 */
export function explainedVariance(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options: RawValues<R2Options>): number[];
export function explainedVariance(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options?: R2Options): number;
export function explainedVariance(yTrue: MetricArray | MetricMatrix, yPred: MetricArray | MetricMatrix, options: R2Options = {}): number | number[] {
  options = parseOptions('explainedVariance', options, { sampleWeight: later, multioutput: later, forceFinite: bool }) as typeof options;
  const fn = 'explainedVariance';
  const T = targets(fn, yTrue, yPred, options, true);
  const diffMean = columnMeans(fn, T, (t, p) => t - p);
  const tMean = columnMeans(fn, T, (t) => t);
  const K = T.K;
  const num = new Float64Array(K), den = new Float64Array(K);
  let sw = 0;
  for (let i = 0; i < T.N; i++) {
    const wi = T.w === null ? 1 : T.w[i];
    sw += wi;
    for (let k = 0; k < K; k++) {
      const t = T.yt[i * K + k], a = t - T.yp[i * K + k] - diffMean[k], b = t - tMean[k];
      num[k] += wi * a * a;
      den[k] += wi * b * b;
    }
  }
  for (let k = 0; k < K; k++) { num[k] /= sw; den[k] /= sw; }
  return assemble(fn, num, den, T.mo, options.forceFinite ?? true);
}
