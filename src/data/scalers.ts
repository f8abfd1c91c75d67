import { ArgumentError } from '../tensor/errors';
import { arrayOf, badValue, bool, finite, num, parseOptions, type Check } from '../tensor/options';
import { Tensor } from '../tensor/tensor';
import {
  checkState, savableToJSON, stateScalar, stateValues, transformerFromJSON, typed,
  type LoadStateOptions, type LoadStateResult, type FittedConfig, type SavableJSON, type SavableState,
} from './savable';
import {
  checkNoInf, checkNonEmpty, columnMoments, featureMismatch, handleZeroScale,
  matrixTensor, medianSorted, notFitted, percentileSorted, sortedColumn, toMatrix,
  type Matrix, type MatrixLike,
} from './util';

/** out[n, f] = (x[n, f] − sub[f]) / div[f], in float64, rounded once. Shapes: x, out (N, F); sub, div (F). */
function subDivForward(out: Float32Array, x: Float32Array, sub: Float64Array, div: Float64Array, N: number, F: number): void {
  for (let n = 0; n < N; n++) {
    const row = n * F;
    for (let f = 0; f < F; f++) out[row + f] = (x[row + f] - sub[f]) / div[f];
  }
}

/** out[n, f] = x[n, f] · mul[f] + add[f], in float64, rounded once. Shapes: x, out (N, F); mul, add (F). */
function mulAddForward(out: Float32Array, x: Float32Array, mul: Float64Array, add: Float64Array, N: number, F: number): void {
  for (let n = 0; n < N; n++) {
    const row = n * F;
    for (let f = 0; f < F; f++) out[row + f] = x[row + f] * mul[f] + add[f];
  }
}

/** Reads and checks a fit input: 2-D, non-empty, no ±Inf. */
function fitInput(x: unknown, op: string): Matrix {
  const m = toMatrix(x, op);
  checkNonEmpty(m, op);
  checkNoInf(m.data, m.F, op);
  return m;
}

/** Reads and checks a transform input against the fitted feature count. */
function transformInput(x: unknown, op: string, F: number): Matrix {
  const m = toMatrix(x, op);
  if (m.F !== F) throw featureMismatch(op, m.F, F);
  checkNoInf(m.data, m.F, op);
  return m;
}

/** Validates x as [N, F] and returns (x − sub) / div per feature as a new [N, F] tensor. */
function subDivMatrix(x: unknown, op: string, sub: Float64Array, div: Float64Array): Tensor {
  const m = transformInput(x, op, sub.length);
  const out = new Float32Array(m.N * m.F);
  subDivForward(out, m.data, sub, div, m.N, m.F);
  return matrixTensor(out, m.N, m.F);
}

/** Validates x as [N, F] and returns x · mul + add per feature as a new [N, F] tensor. */
function mulAddMatrix(x: unknown, op: string, mul: Float64Array, add: Float64Array): Tensor {
  const m = transformInput(x, op, mul.length);
  const out = new Float32Array(m.N * m.F);
  mulAddForward(out, m.data, mul, add, m.N, m.F);
  return matrixTensor(out, m.N, m.F);
}

function filled(F: number, v: number): Float64Array {
  return new Float64Array(F).fill(v);
}

/** A float64 statistic as a state entry. */
function f64(a: Float64Array): SavableState[string] {
  return typed('F64', a.slice(), [a.length]);
}

/** `[lo, hi]` with finite lo < hi (bounds checked by `inner`). */
function orderedPair(inner: Check<number>, what: string): Check<[number, number]> {
  const pair = arrayOf(inner, { min: 2, max: 2 });
  return (v, name, op) => {
    const r = (() => {
      try {
        return pair(v, name, op);
      } catch {
        throw badValue(op, name, what, v);
      }
    })();
    // Both are checked numbers here, so the message can show them (describe shows an array's length).
    if (!(r[0] < r[1])) throw new ArgumentError(`${op}: ${name} must be ${what}, got [${r[0]}, ${r[1]}]`);
    return [r[0], r[1]];
  };
}


/** Options of {@link StandardScaler}. */
export interface StandardScalerOptions {
  /** Subtract the mean (default true). */
  withMean?: boolean;
  /** Divide by the standard deviation (default true). */
  withStd?: boolean;
}

/** The JSON form of a {@link StandardScaler}: `config().options` and the state dict (`mean`, `var`, `scale` [F]). */
export type StandardScalerJSON = SavableJSON<'StandardScaler'>;

/**
 * Standardizes features: z = (x − μ) / σ per column, with μ the mean and σ the population
 * standard deviation (ddof 0) of the training data (sklearn.preprocessing.StandardScaler).
 * A (numerically) constant feature gets σ = 1, so it maps to 0 instead of ±Inf. NaN marks a
 * missing value: it is ignored by `fit` and passes through `transform` as NaN.
 * Shapes: x (N, F) → (N, F); `mean`, `var`, `scale` (F).
 * @example
 * const s = new StandardScaler().fit([[1, 10], [3, 10]]);
 * s.mean; // [2, 10]
 * s.scale; // [1, 1]
 * s.transform([[5, 10]]).tolist(); // [[3, 0]]
 * s.inverseTransform([[3, 0]]).tolist(); // [[5, 10]]
 * @throws TensorkitError code 'NOT_FITTED' from transform before fit; ShapeError when the feature
 * count differs from fit's (naming both); ArgumentError on ±Inf or an empty input.
 * @see https://scikit-learn.org/stable/modules/generated/sklearn.preprocessing.StandardScaler.html
 * @category Data
 */
export class StandardScaler {
  /** Whether the mean is subtracted. */
  readonly withMean: boolean;
  /** Whether values are divided by the standard deviation. */
  readonly withStd: boolean;
  private meanV: Float64Array | null = null;
  private varV: Float64Array | null = null;
  private scaleV: Float64Array | null = null;

  /** Takes {@link StandardScalerOptions}, or `config().options` of another StandardScaler. */
  constructor(options: StandardScalerOptions = {}) {
    const o = parseOptions('StandardScaler', options, { withMean: bool, withStd: bool });
    this.withMean = o.withMean ?? true;
    this.withStd = o.withStd ?? true;
  }

  /** Per-feature mean of the training data (NaN for an all-NaN column), or null before fit. */
  get mean(): number[] | null {
    return this.meanV && Array.from(this.meanV);
  }

  /** Per-feature population variance of the training data, or null before fit. */
  get var(): number[] | null {
    return this.varV && Array.from(this.varV);
  }

  /** Per-feature divisor (σ, or 1 for a constant feature); null before fit or when `withStd` is false. */
  get scale(): number[] | null {
    return this.scaleV && Array.from(this.scaleV);
  }

  /** Number of features seen in fit, or null before fit. */
  get nFeatures(): number | null {
    return this.meanV && this.meanV.length;
  }

  /** Computes μ and σ per column, ignoring NaN. */
  fit(x: MatrixLike): this {
    const m = fitInput(x, 'StandardScaler.fit');
    const F = m.F;
    const mean = new Float64Array(F), v = new Float64Array(F), scale = new Float64Array(F);
    for (let f = 0; f < F; f++) {
      const st = columnMoments(m, f);
      mean[f] = st.mean;
      v[f] = st.var;
      // scikit-learn's _is_constant_feature: the variance is within the two-pass algorithm's error bound of 0.
      const n = st.count;
      const constant = st.var <= n * Number.EPSILON * st.var + (n * st.mean * Number.EPSILON) ** 2;
      scale[f] = constant ? 1 : Math.sqrt(st.var);
    }
    this.meanV = mean;
    this.varV = v;
    this.scaleV = this.withStd ? scale : null;
    return this;
  }

  /** (x − μ) / σ. */
  transform(x: MatrixLike): Tensor {
    const [sub, div] = this.params('transform');
    return subDivMatrix(x, 'StandardScaler.transform', sub, div);
  }

  /** fit(x) then transform(x). */
  fitTransform(x: MatrixLike): Tensor {
    return this.fit(x).transform(x);
  }

  /** x · σ + μ, undoing transform. */
  inverseTransform(x: MatrixLike): Tensor {
    const [add, mul] = this.params('inverseTransform');
    return mulAddMatrix(x, 'StandardScaler.inverseTransform', mul, add);
  }

  private params(method: string): [Float64Array, Float64Array] {
    if (this.meanV === null) throw notFitted('StandardScaler', method);
    const F = this.meanV.length;
    return [this.withMean ? this.meanV : filled(F, 0), this.scaleV ?? filled(F, 1)];
  }

  /** `{ type: 'StandardScaler', options: { withMean, withStd } }`; the constructor accepts the options back. */
  config(): FittedConfig {
    return { type: 'StandardScaler', options: { withMean: this.withMean, withStd: this.withStd } };
  }

  /** The fitted statistics as float64 typed tensors: `mean`, `var` and (with `withStd`) `scale`, each [F]; empty before fit. */
  stateDict(): SavableState {
    if (this.meanV === null || this.varV === null) return {};
    return { mean: f64(this.meanV), var: f64(this.varV), ...(this.scaleV === null ? {} : { scale: f64(this.scaleV) }) };
  }

  /**
   * Restores the statistics of {@link StandardScaler.stateDict} (an empty one unfits the scaler).
   * @throws TensorkitError `INVALID_ARGUMENT` on missing (or, with `strict`, unexpected) keys; ShapeError on sizes that disagree.
   */
  loadStateDict(sd: SavableState, options: LoadStateOptions = {}): LoadStateResult {
    const op = 'StandardScaler.loadStateDict';
    const r = checkState(op, sd, ['mean', 'var', ...(this.withStd ? ['scale'] : [])], [], options);
    if (r.empty) {
      this.meanV = this.varV = this.scaleV = null;
      return r;
    }
    const mean = stateValues(op, sd, 'mean', [-1]);
    const F = mean.length;
    const v = stateValues(op, sd, 'var', [F]);
    this.scaleV = this.withStd ? stateValues(op, sd, 'scale', [F]) : null;
    this.meanV = mean;
    this.varV = v;
    return r;
  }

  /** A JSON-safe snapshot, `config()` and `stateDict()` as {@link StandardScalerJSON}; `fromJSON` transforms identically. */
  toJSON(): StandardScalerJSON {
    return savableToJSON('StandardScaler', this.config().options, this.stateDict());
  }

  /**
   * Rebuilds a scaler from {@link StandardScaler.toJSON} output.
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): StandardScaler {
    return transformerFromJSON(json, 'StandardScaler', (o) => new StandardScaler(o as StandardScalerOptions));
  }
}

/** Options of {@link MinMaxScaler}. */
export interface MinMaxScalerOptions {
  /** Target range [lo, hi] with lo < hi (default [0, 1]). */
  featureRange?: readonly [number, number];
  /** Clip transformed values into `featureRange` (default false: data outside the training range maps outside it). */
  clip?: boolean;
}

/** The JSON form of a {@link MinMaxScaler}: `config().options` and the state dict (`dataMin`, `dataMax`, `scale`, `min` [F]). */
export type MinMaxScalerJSON = SavableJSON<'MinMaxScaler'>;

/**
 * Rescales each feature linearly onto `featureRange` = [lo, hi], x′ = x · s + m with
 * s = (hi − lo) / (max − min) and m = lo − min · s from the training data
 * (sklearn.preprocessing.MinMaxScaler). A constant feature gets max − min := 1. NaN is ignored by
 * `fit` and passes through `transform`.
 * Shapes: x (N, F) → (N, F); `dataMin`, `dataMax`, `scale`, `min` (F).
 * @example
 * const s = new MinMaxScaler().fit([[0, -1], [10, 1]]);
 * s.transform([[5, 0], [20, 1]]).tolist(); // [[0.5, 0.5], [2, 1]]
 * new MinMaxScaler({ featureRange: [-1, 1], clip: true }).fit([[0], [10]]).transform([[20]]).tolist(); // [[1]]
 * @throws TensorkitError code 'NOT_FITTED' before fit; ShapeError on a feature count that differs
 * from fit's; ArgumentError on ±Inf, an empty input or a `featureRange` that is not lo < hi.
 * @see https://scikit-learn.org/stable/modules/generated/sklearn.preprocessing.MinMaxScaler.html
 * @category Data
 */
export class MinMaxScaler {
  /** The target range. */
  readonly featureRange: readonly [number, number];
  /** Whether transformed values are clipped into the range. */
  readonly clip: boolean;
  private dataMinV: Float64Array | null = null;
  private dataMaxV: Float64Array | null = null;
  private scaleV: Float64Array | null = null;
  private minV: Float64Array | null = null;

  /** Takes {@link MinMaxScalerOptions}, or `config().options` of another MinMaxScaler. */
  constructor(options: MinMaxScalerOptions = {}) {
    const o = parseOptions('MinMaxScaler', options, { featureRange: orderedPair(finite, '[lo, hi] with finite lo < hi'), clip: bool });
    this.featureRange = o.featureRange ?? [0, 1];
    this.clip = o.clip ?? false;
  }

  /** Per-feature minimum of the training data, or null before fit. */
  get dataMin(): number[] | null { return this.dataMinV && Array.from(this.dataMinV); }
  /** Per-feature maximum of the training data, or null before fit. */
  get dataMax(): number[] | null { return this.dataMaxV && Array.from(this.dataMaxV); }
  /** Per-feature factor s, or null before fit. */
  get scale(): number[] | null { return this.scaleV && Array.from(this.scaleV); }
  /** Per-feature offset m, or null before fit. */
  get min(): number[] | null { return this.minV && Array.from(this.minV); }
  /** Number of features seen in fit, or null before fit. */
  get nFeatures(): number | null { return this.scaleV && this.scaleV.length; }

  /** Finds each column's minimum and maximum, ignoring NaN. */
  fit(x: MatrixLike): this {
    const m = fitInput(x, 'MinMaxScaler.fit');
    const { data, N, F } = m;
    const lo = filled(F, Infinity), hi = filled(F, -Infinity);
    for (let n = 0; n < N; n++) {
      const row = n * F;
      for (let f = 0; f < F; f++) {
        const v = data[row + f];
        if (v < lo[f]) lo[f] = v;
        if (v > hi[f]) hi[f] = v;
      }
    }
    const [a, b] = this.featureRange;
    const scale = new Float64Array(F), min = new Float64Array(F);
    for (let f = 0; f < F; f++) {
      // An all-NaN column has no extremes: NaN, as numpy's nanmin.
      if (lo[f] === Infinity) lo[f] = hi[f] = NaN;
      scale[f] = (b - a) / handleZeroScale(hi[f] - lo[f]);
      min[f] = a - lo[f] * scale[f];
    }
    this.dataMinV = lo;
    this.dataMaxV = hi;
    this.scaleV = scale;
    this.minV = min;
    return this;
  }

  /** x · s + m, clipped into `featureRange` when `clip`. */
  transform(x: MatrixLike): Tensor {
    if (this.scaleV === null || this.minV === null) throw notFitted('MinMaxScaler', 'transform');
    const y = mulAddMatrix(x, 'MinMaxScaler.transform', this.scaleV, this.minV);
    if (this.clip) {
      const out = y.data;
      const [a, b] = this.featureRange;
      const fa = Math.fround(a), fb = Math.fround(b);
      // NaN fails both comparisons and stays NaN.
      for (let i = 0; i < out.length; i++) out[i] = out[i] < fa ? fa : out[i] > fb ? fb : out[i];
    }
    return y;
  }

  /** fit(x) then transform(x). */
  fitTransform(x: MatrixLike): Tensor {
    return this.fit(x).transform(x);
  }

  /** (x − m) / s, undoing transform (clipped values stay at the range ends). */
  inverseTransform(x: MatrixLike): Tensor {
    if (this.scaleV === null || this.minV === null) throw notFitted('MinMaxScaler', 'inverseTransform');
    return subDivMatrix(x, 'MinMaxScaler.inverseTransform', this.minV, this.scaleV);
  }

  /** `{ type: 'MinMaxScaler', options: { featureRange, clip } }`; the constructor accepts the options back. */
  config(): FittedConfig {
    return { type: 'MinMaxScaler', options: { featureRange: [this.featureRange[0], this.featureRange[1]], clip: this.clip } };
  }

  /** The fitted statistics as float64 typed tensors `dataMin`, `dataMax`, `scale`, `min`, each [F]; empty before fit. */
  stateDict(): SavableState {
    if (this.dataMinV === null || this.dataMaxV === null || this.scaleV === null || this.minV === null) return {};
    return { dataMin: f64(this.dataMinV), dataMax: f64(this.dataMaxV), scale: f64(this.scaleV), min: f64(this.minV) };
  }

  /**
   * Restores the statistics of {@link MinMaxScaler.stateDict} (an empty one unfits the scaler).
   * @throws TensorkitError `INVALID_ARGUMENT` on missing (or, with `strict`, unexpected) keys; ShapeError on sizes that disagree.
   */
  loadStateDict(sd: SavableState, options: LoadStateOptions = {}): LoadStateResult {
    const op = 'MinMaxScaler.loadStateDict';
    const r = checkState(op, sd, ['dataMin', 'dataMax', 'scale', 'min'], [], options);
    if (r.empty) {
      this.dataMinV = this.dataMaxV = this.scaleV = this.minV = null;
      return r;
    }
    const scale = stateValues(op, sd, 'scale', [-1]);
    const F = scale.length;
    const min = stateValues(op, sd, 'min', [F]), lo = stateValues(op, sd, 'dataMin', [F]), hi = stateValues(op, sd, 'dataMax', [F]);
    [this.scaleV, this.minV, this.dataMinV, this.dataMaxV] = [scale, min, lo, hi];
    return r;
  }

  /** A JSON-safe snapshot, `config()` and `stateDict()` as {@link MinMaxScalerJSON}. */
  toJSON(): MinMaxScalerJSON {
    return savableToJSON('MinMaxScaler', this.config().options, this.stateDict());
  }

  /**
   * Rebuilds a scaler from {@link MinMaxScaler.toJSON} output.
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): MinMaxScaler {
    return transformerFromJSON(json, 'MinMaxScaler', (o) => new MinMaxScaler(o as MinMaxScalerOptions));
  }
}

/** Options of {@link RobustScaler}. */
export interface RobustScalerOptions {
  /** Subtract the median (default true). */
  withCentering?: boolean;
  /** Divide by the inter-quantile range (default true). */
  withScaling?: boolean;
  /** Percentiles [qLo, qHi], 0 ≤ qLo < qHi ≤ 100, whose difference is the scale (default [25, 75]: the IQR). */
  quantileRange?: readonly [number, number];
}

/** The JSON form of a {@link RobustScaler}: `config().options` and the state dict (`center`, `scale` [F], `nFeatures` []). */
export type RobustScalerJSON = SavableJSON<'RobustScaler'>;

/**
 * Scales features robustly to outliers: x′ = (x − median) / (Q(qHi) − Q(qLo)) per column, with
 * quantiles by NumPy's default linear interpolation (sklearn.preprocessing.RobustScaler without
 * `unit_variance`). A zero range becomes 1. NaN is ignored by `fit` and passes through `transform`.
 * Shapes: x (N, F) → (N, F); `center`, `scale` (F).
 * @example
 * // median 3; quartiles 2 and 4 (positions 1 and 3 of the sorted column), so the scale is 2
 * const s = new RobustScaler().fit([[1], [2], [3], [4], [100]]);
 * s.center; // [3]
 * s.scale; // [2]
 * s.transform([[7]]).tolist(); // [[2]]
 * @throws TensorkitError code 'NOT_FITTED' before fit; ShapeError on a feature count that differs
 * from fit's; ArgumentError on ±Inf, an empty input or a bad `quantileRange`.
 * @see https://scikit-learn.org/stable/modules/generated/sklearn.preprocessing.RobustScaler.html
 * @category Data
 */
export class RobustScaler {
  /** Whether the median is subtracted. */
  readonly withCentering: boolean;
  /** Whether values are divided by the quantile range. */
  readonly withScaling: boolean;
  /** The percentiles whose difference is the scale. */
  readonly quantileRange: readonly [number, number];
  private centerV: Float64Array | null = null;
  private scaleV: Float64Array | null = null;
  private F: number | null = null;

  /** Takes {@link RobustScalerOptions}, or `config().options` of another RobustScaler. */
  constructor(options: RobustScalerOptions = {}) {
    const o = parseOptions('RobustScaler', options, {
      withCentering: bool, withScaling: bool, quantileRange: orderedPair(num({ min: 0, max: 100 }), '[qLo, qHi] with 0 ≤ qLo < qHi ≤ 100'),
    });
    this.withCentering = o.withCentering ?? true;
    this.withScaling = o.withScaling ?? true;
    this.quantileRange = o.quantileRange ?? [25, 75];
  }

  /** Per-feature median of the training data; null before fit or without centering. */
  get center(): number[] | null { return this.centerV && Array.from(this.centerV); }
  /** Per-feature quantile range (1 where it is 0); null before fit or without scaling. */
  get scale(): number[] | null { return this.scaleV && Array.from(this.scaleV); }
  /** Number of features seen in fit, or null before fit. */
  get nFeatures(): number | null { return this.F; }

  /** Computes each column's median and quantile range, ignoring NaN. */
  fit(x: MatrixLike): this {
    const m = fitInput(x, 'RobustScaler.fit');
    const F = m.F;
    const center = new Float64Array(F), scale = new Float64Array(F);
    const [qa, qb] = this.quantileRange;
    for (let f = 0; f < F; f++) {
      const v = sortedColumn(m, f);
      center[f] = medianSorted(v);
      scale[f] = handleZeroScale(percentileSorted(v, qb) - percentileSorted(v, qa));
    }
    this.centerV = this.withCentering ? center : null;
    this.scaleV = this.withScaling ? scale : null;
    this.F = F;
    return this;
  }

  /** (x − median) / range. */
  transform(x: MatrixLike): Tensor {
    const [sub, div] = this.params('transform');
    return subDivMatrix(x, 'RobustScaler.transform', sub, div);
  }

  /** fit(x) then transform(x). */
  fitTransform(x: MatrixLike): Tensor {
    return this.fit(x).transform(x);
  }

  /** x · range + median, undoing transform. */
  inverseTransform(x: MatrixLike): Tensor {
    const [add, mul] = this.params('inverseTransform');
    return mulAddMatrix(x, 'RobustScaler.inverseTransform', mul, add);
  }

  private params(method: string): [Float64Array, Float64Array] {
    if (this.F === null) throw notFitted('RobustScaler', method);
    return [this.centerV ?? filled(this.F, 0), this.scaleV ?? filled(this.F, 1)];
  }

  /** `{ type: 'RobustScaler', options: { withCentering, withScaling, quantileRange } }`; the constructor accepts the options back. */
  config(): FittedConfig {
    return {
      type: 'RobustScaler',
      options: { withCentering: this.withCentering, withScaling: this.withScaling, quantileRange: [this.quantileRange[0], this.quantileRange[1]] },
    };
  }

  /** `nFeatures` [] and, per the options, `center` and `scale` [F] as float64 typed tensors; empty before fit. */
  stateDict(): SavableState {
    if (this.F === null) return {};
    return {
      nFeatures: new Tensor(new Float32Array([this.F]), []),
      ...(this.centerV === null ? {} : { center: f64(this.centerV) }),
      ...(this.scaleV === null ? {} : { scale: f64(this.scaleV) }),
    };
  }

  /**
   * Restores the statistics of {@link RobustScaler.stateDict} (an empty one unfits the scaler).
   * @throws TensorkitError `INVALID_ARGUMENT` on missing (or, with `strict`, unexpected) keys; ShapeError on sizes that disagree.
   */
  loadStateDict(sd: SavableState, options: LoadStateOptions = {}): LoadStateResult {
    const op = 'RobustScaler.loadStateDict';
    const r = checkState(op, sd, ['nFeatures', ...(this.withCentering ? ['center'] : []), ...(this.withScaling ? ['scale'] : [])], [], options);
    if (r.empty) {
      this.F = this.centerV = this.scaleV = null;
      return r;
    }
    const F = stateScalar(op, sd, 'nFeatures');
    if (!Number.isSafeInteger(F) || F < 1) throw new ArgumentError(`${op}: nFeatures must be a positive integer, got ${F}`);
    this.centerV = this.withCentering ? stateValues(op, sd, 'center', [F]) : null;
    this.scaleV = this.withScaling ? stateValues(op, sd, 'scale', [F]) : null;
    this.F = F;
    return r;
  }

  /** A JSON-safe snapshot, `config()` and `stateDict()` as {@link RobustScalerJSON}. */
  toJSON(): RobustScalerJSON {
    return savableToJSON('RobustScaler', this.config().options, this.stateDict());
  }

  /**
   * Rebuilds a scaler from {@link RobustScaler.toJSON} output.
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): RobustScaler {
    return transformerFromJSON(json, 'RobustScaler', (o) => new RobustScaler(o as RobustScalerOptions));
  }
}
