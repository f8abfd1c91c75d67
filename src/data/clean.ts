import { ArgumentError, ShapeError, fmtShape } from '../tensor/errors';
import { Tensor } from '../tensor/tensor';
import { finite, nonNeg, nullable, oneOf, parseOptions } from '../tensor/options';
import {
  checkState, savableToJSON, stateValues, transformerFromJSON, typed, type LoadStateOptions, type LoadStateResult, type FittedConfig, type SavableJSON,
  type SavableState,
} from './savable';
import {
  checkNoInf, checkNonEmpty, columnMoments, featureMismatch, matrixTensor, medianSorted,
  notFitted, percentileSorted, sortedColumn, toMatrix, toTensorAny, type MatrixLike,
} from './util';

/** Imputation strategies of {@link SimpleImputer}. */
export type ImputeStrategy = 'mean' | 'median' | 'mostFrequent' | 'constant';

/** Options of {@link SimpleImputer}. */
export interface SimpleImputerOptions {
  /** How each column's fill value is computed from its non-missing values (default 'mean'). */
  strategy?: ImputeStrategy;
  /** The fill value of 'constant' (default 0), and of a column with no observed value under the other strategies (default 0). */
  fillValue?: number;
}

/** The JSON form of a {@link SimpleImputer}: `config().options` and the state dict (`statistics` [F]). */
export type SimpleImputerJSON = SavableJSON<'SimpleImputer'>;

/**
 * Replaces missing values (NaN) column by column with a statistic of the column's observed values
 * in the training data: the mean, the median, the most frequent value (ties → the smallest) or a
 * constant (sklearn.impute.SimpleImputer with `missing_values=np.nan`).
 * Unlike scikit-learn, which drops a column with no observed value under 'mean', 'median' and
 * 'mostFrequent', this keeps it and fills it with `fillValue ?? 0`, so the output always has the
 * input's columns.
 * Shapes: x (N, F) → (N, F); `statistics` (F).
 * @example
 * const imp = new SimpleImputer({ strategy: 'median' }).fit([[1, NaN], [NaN, 4], [3, 6], [10, NaN]]);
 * imp.statistics; // [3, 5]
 * imp.transform([[NaN, NaN]]).tolist(); // [[3, 5]]
 * new SimpleImputer({ strategy: 'constant', fillValue: -1 }).fitTransform([[NaN, 2]]).tolist(); // [[-1, 2]]
 * @throws TensorkitError code 'NOT_FITTED' before fit; ShapeError on a feature count that differs
 * from fit's; ArgumentError on ±Inf, an empty input, an unknown strategy or a non-finite `fillValue`.
 * @see https://scikit-learn.org/stable/modules/generated/sklearn.impute.SimpleImputer.html
 * @category Data
 */
export class SimpleImputer {
  /** The imputation strategy. */
  readonly strategy: ImputeStrategy;
  /** The constant fill value, or null for the default 0. */
  readonly fillValue: number | null;
  private stats: Float64Array | null = null;

  /** Takes {@link SimpleImputerOptions}, or `config().options` of another SimpleImputer. */
  constructor(options: SimpleImputerOptions = {}) {
    const op = 'SimpleImputer';
    const o = parseOptions(op, options, { strategy: oneOf(['mean', 'median', 'mostFrequent', 'constant'] as const), fillValue: nullable(finite) });
    this.strategy = o.strategy ?? 'mean';
    this.fillValue = o.fillValue ?? null;
  }

  /** The fill value of each column, or null before fit. */
  get statistics(): number[] | null {
    return this.stats && Array.from(this.stats);
  }

  /** Number of features seen in fit, or null before fit. */
  get nFeatures(): number | null {
    return this.stats && this.stats.length;
  }

  /** Computes each column's fill value from its non-NaN entries. */
  fit(x: MatrixLike): this {
    const op = 'SimpleImputer.fit';
    const m = toMatrix(x, op);
    checkNonEmpty(m, op);
    checkNoInf(m.data, m.F, op);
    const fallback = this.fillValue ?? 0;
    const stats = new Float64Array(m.F);
    for (let f = 0; f < m.F; f++) {
      let s: number;
      switch (this.strategy) {
        case 'constant': s = fallback; break;
        case 'mean': s = columnMoments(m, f).mean; break;
        case 'median': s = medianSorted(sortedColumn(m, f)); break;
        case 'mostFrequent': s = modeSorted(sortedColumn(m, f)); break;
      }
      stats[f] = Number.isNaN(s) ? fallback : s;
    }
    this.stats = stats;
    return this;
  }

  /** x with each NaN replaced by its column's statistic. */
  transform(x: MatrixLike): Tensor {
    const op = 'SimpleImputer.transform';
    const st = this.stats;
    if (st === null) throw notFitted('SimpleImputer', 'transform');
    const { data, N, F } = toMatrix(x, op);
    if (F !== st.length) throw featureMismatch(op, F, st.length);
    checkNoInf(data, F, op);
    const out = new Float32Array(N * F);
    for (let n = 0; n < N; n++) {
      const row = n * F;
      for (let f = 0; f < F; f++) {
        const v = data[row + f];
        out[row + f] = v === v ? v : st[f];
      }
    }
    return matrixTensor(out, N, F);
  }

  /** fit(x) then transform(x). */
  fitTransform(x: MatrixLike): Tensor {
    return this.fit(x).transform(x);
  }

  /** `{ type: 'SimpleImputer', options: { strategy, fillValue } }`; the constructor accepts the options back. */
  config(): FittedConfig {
    return { type: 'SimpleImputer', options: { strategy: this.strategy, fillValue: this.fillValue } };
  }

  /** `statistics` [F], the fill values, as a float64 typed tensor; empty before fit. */
  stateDict(): SavableState {
    return this.stats === null ? {} : { statistics: typed('F64', this.stats.slice(), [this.stats.length]) };
  }

  /**
   * Restores the fill values of {@link SimpleImputer.stateDict} (an empty one unfits the imputer).
   * @throws TensorkitError `INVALID_ARGUMENT` on a missing key; ArgumentError on a non-finite fill value.
   */
  loadStateDict(sd: SavableState, options: LoadStateOptions = {}): LoadStateResult {
    const op = 'SimpleImputer.loadStateDict';
    const r = checkState(op, sd, ['statistics'], [], options);
    if (r.empty) {
      this.stats = null;
      return r;
    }
    const s = stateValues(op, sd, 'statistics', [-1]);
    if (s.length === 0 || s.some((v) => !Number.isFinite(v))) throw new ArgumentError(`${op}: statistics must be a non-empty array of finite numbers`);
    this.stats = s;
    return r;
  }

  /** A JSON-safe snapshot, `config()` and `stateDict()` as {@link SimpleImputerJSON}. */
  toJSON(): SimpleImputerJSON {
    return savableToJSON('SimpleImputer', this.config().options, this.stateDict());
  }

  /**
   * Rebuilds an imputer from {@link SimpleImputer.toJSON} output.
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): SimpleImputer {
    return transformerFromJSON(json, 'SimpleImputer', (o) => new SimpleImputer(o as SimpleImputerOptions));
  }
}

/** The most frequent of sorted values, the smallest on a tie (scipy.stats.mode); NaN for none. */
function modeSorted(v: Float64Array): number {
  let best = NaN, bestCount = 0;
  for (let i = 0; i < v.length;) {
    let j = i + 1;
    while (j < v.length && v[j] === v[i]) j++;
    if (j - i > bestCount) {
      bestCount = j - i;
      best = v[i];
    }
    i = j;
  }
  return best;
}

/** Result of {@link dropNonFinite} without targets. */
export interface DropNonFiniteResult {
  /** The rows of x that were kept. */
  x: Tensor;
  /** Indices of the kept rows in the input, ascending. */
  kept: Int32Array;
}

/** Result of {@link dropNonFinite} with targets. */
export interface DropNonFiniteXYResult extends DropNonFiniteResult {
  /** The rows of y that were kept. */
  y: Tensor;
}

/**
 * Removes every sample (row along the first axis) that holds a NaN or ±Inf in x, or in y when
 * given (a sample with a missing target is as unusable as one with a missing feature).
 * Shapes: x (N, …), y (N, …) → (M, …), M ≤ N; `kept` (M).
 * @example
 * const r = dropNonFinite(tensor([[1, 2], [NaN, 0], [3, Infinity], [4, 5]]), tensor([0, 1, 0, NaN]));
 * r.x.tolist(); // [[1, 2]]
 * Array.from(r.kept); // [0]
 * dropNonFinite([[1], [NaN], [2]]).x.tolist(); // [[1], [2]]
 * @throws ShapeError when x and y have different first dimensions or either is a scalar.
 * @category Data
 */
export function dropNonFinite(x: Tensor | readonly number[] | readonly (readonly number[])[]): DropNonFiniteResult;
export function dropNonFinite(x: Tensor | readonly number[] | readonly (readonly number[])[], y: Tensor | readonly number[] | readonly (readonly number[])[]): DropNonFiniteXYResult;
export function dropNonFinite(
  xIn: Tensor | readonly number[] | readonly (readonly number[])[], yIn?: Tensor | readonly number[] | readonly (readonly number[])[] | null,
): DropNonFiniteResult | DropNonFiniteXYResult {
  const op = 'dropNonFinite';
  const x = toTensorAny(xIn, op, 'x');
  const y = yIn === undefined || yIn === null ? null : toTensorAny(yIn, op, 'y');
  const N = x.shape[0];
  if (y !== null && y.shape[0] !== N) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} and y ${fmtShape(y.shape)} have different numbers of samples`);
  const keep = new Uint8Array(N).fill(1);
  for (const t of y === null ? [x] : [x, y]) {
    const R = N === 0 ? 0 : t.size / N;
    const d = t.data;
    for (let n = 0; n < N; n++) {
      const row = n * R;
      for (let c = 0; c < R; c++) {
        // v − v is NaN exactly for NaN and ±Inf.
        if (d[row + c] - d[row + c] !== 0) {
          keep[n] = 0;
          break;
        }
      }
    }
  }
  let M = 0;
  for (let n = 0; n < N; n++) M += keep[n];
  const kept = new Int32Array(M);
  for (let n = 0, k = 0; n < N; n++) if (keep[n]) kept[k++] = n;
  const res: DropNonFiniteResult = { x: takeRows(x, kept), kept };
  return y === null ? res : { ...res, y: takeRows(y, kept) };
}

/** Rows `idx` of t along the first axis, as a new tensor. @internal */
export function takeRows(t: Tensor, idx: Int32Array): Tensor {
  const N = t.shape[0];
  const R = N === 0 ? 0 : t.size / N;
  const src = t.data;
  const out = new Float32Array(idx.length * R);
  for (let k = 0; k < idx.length; k++) {
    const from = idx[k] * R, to = k * R;
    if (R >= 64) out.set(src.subarray(from, from + R), to);
    else for (let c = 0; c < R; c++) out[to + c] = src[from + c];
  }
  return new Tensor(out, [idx.length, ...t.shape.slice(1)]);
}

/** Options of {@link clipOutliers}. */
export interface ClipOutliersOptions {
  /** 'iqr' (default): fences [Q1 − k·IQR, Q3 + k·IQR]; 'zscore': [μ − k·σ, μ + k·σ]. */
  method?: 'iqr' | 'zscore';
  /** The multiplier k ≥ 0 (default 1.5 for 'iqr', Tukey's fences; 3 for 'zscore'). */
  factor?: number;
}

/**
 * Clips each column into fences computed from that column itself: with 'iqr',
 * [Q1 − k·IQR, Q3 + k·IQR] (Tukey's fences, quantiles by NumPy's linear interpolation); with
 * 'zscore', [μ − k·σ, μ + k·σ] (population σ). Fit-free: the fences come from `x`, so clipping a
 * test set this way uses the test set's own statistics; to reuse training fences, clip with
 * `clamp` and the numbers from the training set. NaN is ignored in the statistics and passes
 * through.
 * Shapes: x (N, F) → (N, F).
 * @example
 * // Q1 = 2, Q3 = 4, IQR = 2: fences [−1, 7]
 * clipOutliers([[1], [2], [3], [4], [100]]).toArray(); // [1, 2, 3, 4, 7]
 * @throws ArgumentError on an unknown method, a negative or non-finite factor, or ±Inf in x.
 * @category Data
 */
export function clipOutliers(x: MatrixLike, options: ClipOutliersOptions = {}): Tensor {
  const op = 'clipOutliers';
  const o = parseOptions(op, options, { method: oneOf(['iqr', 'zscore'] as const), factor: nonNeg });
  const method = o.method ?? 'iqr';
  const k = o.factor ?? (method === 'iqr' ? 1.5 : 3);
  const m = toMatrix(x, op);
  checkNoInf(m.data, m.F, op);
  const { data, N, F } = m;
  const lo = new Float64Array(F), hi = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    if (method === 'iqr') {
      const v = sortedColumn(m, f);
      const q1 = percentileSorted(v, 25), q3 = percentileSorted(v, 75);
      lo[f] = q1 - k * (q3 - q1);
      hi[f] = q3 + k * (q3 - q1);
    } else {
      const st = columnMoments(m, f);
      const s = Math.sqrt(st.var);
      lo[f] = st.mean - k * s;
      hi[f] = st.mean + k * s;
    }
  }
  const out = new Float32Array(N * F);
  for (let n = 0; n < N; n++) {
    const row = n * F;
    for (let f = 0; f < F; f++) {
      const v = data[row + f];
      // NaN fails both comparisons and stays NaN.
      out[row + f] = v < lo[f] ? lo[f] : v > hi[f] ? hi[f] : v;
    }
  }
  return matrixTensor(out, N, F);
}
