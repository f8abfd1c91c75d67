import { ArgumentError, FormatError } from '../tensor/errors';
import { describe } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import {
  boolOpt, checkNoInf, checkNonEmpty, columnMoments, decodeNums, encodeNums, featureMismatch, handleZeroScale,
  jsonObject, matrixTensor, wrapFormat, medianSorted, notFitted, optionsOf, percentileSorted, sortedColumn, toMatrix,
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

function nullableNums(o: Record<string, unknown>, field: string, op: string, length?: number): Float64Array | null {
  return o[field] === null || o[field] === undefined ? null : decodeNums(o[field], op, field, length);
}

/** Options of {@link StandardScaler}. */
export interface StandardScalerOptions {
  /** Subtract the mean (default true). */
  withMean?: boolean;
  /** Divide by the standard deviation (default true). */
  withStd?: boolean;
}

/** The JSON form of a {@link StandardScaler}; statistics are null before fit, NaN is written as null. */
export interface StandardScalerJSON {
  /** Type tag, always 'StandardScaler'. */
  type: 'StandardScaler';
  /** Whether the mean is subtracted. */
  withMean: boolean;
  /** Whether values are divided by the standard deviation. */
  withStd: boolean;
  /** Per-feature mean [F] (null for NaN), or null before fit. */
  mean: (number | null)[] | null;
  /** Per-feature population variance [F] (null for NaN), or null before fit. */
  var: (number | null)[] | null;
  /** Per-feature divisor [F] (null for NaN), or null before fit or without `withStd`. */
  scale: (number | null)[] | null;
}

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

  constructor(options: StandardScalerOptions = {}) {
    const o = optionsOf(options, 'StandardScaler', ['withMean', 'withStd']);
    this.withMean = boolOpt(o.withMean, true, 'StandardScaler', 'withMean');
    this.withStd = boolOpt(o.withStd, true, 'StandardScaler', 'withStd');
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

  /** A JSON-safe snapshot; `StandardScaler.fromJSON(s.toJSON())` transforms identically. */
  toJSON(): StandardScalerJSON {
    return {
      type: 'StandardScaler', withMean: this.withMean, withStd: this.withStd,
      mean: this.meanV && encodeNums(this.meanV), var: this.varV && encodeNums(this.varV), scale: this.scaleV && encodeNums(this.scaleV),
    };
  }

  /**
   * Rebuilds a scaler from {@link toJSON} output.
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): StandardScaler {
    const op = 'StandardScaler.fromJSON';
    const o = jsonObject(json, 'StandardScaler');
    const s = wrapFormat(op, () => new StandardScaler({ withMean: o.withMean as boolean, withStd: o.withStd as boolean }));
    s.meanV = nullableNums(o, 'mean', op);
    const F = s.meanV?.length;
    s.varV = nullableNums(o, 'var', op, F);
    s.scaleV = nullableNums(o, 'scale', op, F);
    if ((s.meanV === null) !== (s.varV === null) || (s.meanV !== null && s.withStd !== (s.scaleV !== null))) {
      throw new FormatError(`${op}: fields 'mean', 'var' and 'scale' are inconsistent`);
    }
    return s;
  }
}

/** Options of {@link MinMaxScaler}. */
export interface MinMaxScalerOptions {
  /** Target range [lo, hi] with lo < hi (default [0, 1]). */
  featureRange?: readonly [number, number];
  /** Clip transformed values into `featureRange` (default false: data outside the training range maps outside it). */
  clip?: boolean;
}

/** The JSON form of a {@link MinMaxScaler}. */
export interface MinMaxScalerJSON {
  /** Type tag, always 'MinMaxScaler'. */
  type: 'MinMaxScaler';
  /** The target range [lo, hi]. */
  featureRange: [number, number];
  /** Whether transformed values are clipped into the range. */
  clip: boolean;
  /** Per-feature training minimum [F] (null for NaN), or null before fit. */
  dataMin: (number | null)[] | null;
  /** Per-feature training maximum [F] (null for NaN), or null before fit. */
  dataMax: (number | null)[] | null;
  /** Per-feature factor s [F] (null for NaN), or null before fit. */
  scale: (number | null)[] | null;
  /** Per-feature offset m [F] (null for NaN), or null before fit. */
  min: (number | null)[] | null;
}

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

  constructor(options: MinMaxScalerOptions = {}) {
    const op = 'MinMaxScaler';
    const o = optionsOf(options, op, ['featureRange', 'clip']);
    const r = o.featureRange ?? [0, 1];
    if (!Array.isArray(r) || r.length !== 2 || typeof r[0] !== 'number' || typeof r[1] !== 'number' || !Number.isFinite(r[0]) || !Number.isFinite(r[1]) || !(r[0] < r[1])) {
      throw new ArgumentError(`${op}: featureRange must be [lo, hi] with finite lo < hi, got ${Array.isArray(r) ? `[${r.map(describe).join(', ')}]` : describe(r)}`);
    }
    this.featureRange = [r[0], r[1]];
    this.clip = boolOpt(o.clip, false, op, 'clip');
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

  /** A JSON-safe snapshot. */
  toJSON(): MinMaxScalerJSON {
    const e = (a: Float64Array | null) => a && encodeNums(a);
    return {
      type: 'MinMaxScaler', featureRange: [this.featureRange[0], this.featureRange[1]], clip: this.clip,
      dataMin: e(this.dataMinV), dataMax: e(this.dataMaxV), scale: e(this.scaleV), min: e(this.minV),
    };
  }

  /**
   * Rebuilds a scaler from {@link toJSON} output.
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): MinMaxScaler {
    const op = 'MinMaxScaler.fromJSON';
    const o = jsonObject(json, 'MinMaxScaler');
    const s = wrapFormat(op, () => new MinMaxScaler({ featureRange: o.featureRange as [number, number], clip: o.clip as boolean }));
    s.scaleV = nullableNums(o, 'scale', op);
    const F = s.scaleV?.length;
    s.minV = nullableNums(o, 'min', op, F);
    s.dataMinV = nullableNums(o, 'dataMin', op, F);
    s.dataMaxV = nullableNums(o, 'dataMax', op, F);
    const fitted = [s.scaleV, s.minV, s.dataMinV, s.dataMaxV].map((a) => a !== null);
    if (fitted.some((f) => f !== fitted[0])) throw new FormatError(`${op}: fields 'dataMin', 'dataMax', 'scale' and 'min' must all be present or all null`);
    return s;
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

/** The JSON form of a {@link RobustScaler}. */
export interface RobustScalerJSON {
  /** Type tag, always 'RobustScaler'. */
  type: 'RobustScaler';
  /** Whether the median is subtracted. */
  withCentering: boolean;
  /** Whether values are divided by the quantile range. */
  withScaling: boolean;
  /** The percentiles [qLo, qHi] whose difference is the scale. */
  quantileRange: [number, number];
  /** Per-feature median [F] (null for NaN); null before fit or without centering. */
  center: (number | null)[] | null;
  /** Per-feature quantile range [F] (null for NaN); null before fit or without scaling. */
  scale: (number | null)[] | null;
  /** Number of features seen in fit, or null before fit. */
  nFeatures: number | null;
}

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

  constructor(options: RobustScalerOptions = {}) {
    const op = 'RobustScaler';
    const o = optionsOf(options, op, ['withCentering', 'withScaling', 'quantileRange']);
    this.withCentering = boolOpt(o.withCentering, true, op, 'withCentering');
    this.withScaling = boolOpt(o.withScaling, true, op, 'withScaling');
    const q = o.quantileRange ?? [25, 75];
    if (!Array.isArray(q) || q.length !== 2 || typeof q[0] !== 'number' || typeof q[1] !== 'number' || !(q[0] >= 0 && q[0] < q[1] && q[1] <= 100)) {
      throw new ArgumentError(`${op}: quantileRange must be [qLo, qHi] with 0 ≤ qLo < qHi ≤ 100, got ${Array.isArray(q) ? `[${q.map(describe).join(', ')}]` : describe(q)}`);
    }
    this.quantileRange = [q[0], q[1]];
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

  /** A JSON-safe snapshot. */
  toJSON(): RobustScalerJSON {
    return {
      type: 'RobustScaler', withCentering: this.withCentering, withScaling: this.withScaling,
      quantileRange: [this.quantileRange[0], this.quantileRange[1]],
      center: this.centerV && encodeNums(this.centerV), scale: this.scaleV && encodeNums(this.scaleV), nFeatures: this.F,
    };
  }

  /**
   * Rebuilds a scaler from {@link toJSON} output.
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): RobustScaler {
    const op = 'RobustScaler.fromJSON';
    const o = jsonObject(json, 'RobustScaler');
    const s = wrapFormat(op, () => new RobustScaler({
      withCentering: o.withCentering as boolean, withScaling: o.withScaling as boolean, quantileRange: o.quantileRange as [number, number],
    }));
    const F = o.nFeatures;
    if (F !== null && (typeof F !== 'number' || !Number.isSafeInteger(F) || F < 1)) throw new FormatError(`${op}: nFeatures must be a positive integer or null, got ${describe(F)}`);
    s.F = F;
    const len = F ?? undefined;
    s.centerV = nullableNums(o, 'center', op, len);
    s.scaleV = nullableNums(o, 'scale', op, len);
    if (F === null ? s.centerV !== null || s.scaleV !== null : (s.centerV !== null) !== s.withCentering || (s.scaleV !== null) !== s.withScaling) {
      throw new FormatError(`${op}: fields 'center', 'scale' and 'nFeatures' are inconsistent with the options`);
    }
    return s;
  }
}
