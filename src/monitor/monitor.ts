import { quantileSorted } from '../data/util';
import { ArgumentError, ShapeError, Tensor } from '../tensor/index';
import {
  anyOf, arrayOf, bool, func, instanceOf, nonNeg, nullable, num, oneOf, parseOptions, posInt, prob,
  str, type Check,
} from '../tensor/options';
import { describe } from '../tensor/shape';
import { values, type Values } from '../metrics/util';
import { ks2SampSorted, type KsResult } from './ks';
import {
  binCounts, chiSquareFromCounts, jsFromCounts, psiFromCounts, quantileEdges,
} from './drift';

/**
 * Rows × features: nested arrays (one inner array or typed array per row) or a 2-D Tensor.
 * @category Monitor
 */
export type MonitorMatrix = readonly (readonly number[] | Float32Array | Float64Array)[] | Tensor;

/**
 * Predictions, one per row: a 1-D array or Tensor of scores, values or class labels, or a 2-D
 * [rows, C] array or Tensor (one column is that value; C > 1 columns are class scores, reduced to
 * the argmax class).
 * @category Monitor
 */
export type MonitorPredictions = readonly number[] | Float32Array | Float64Array | MonitorMatrix;

/**
 * Thresholds of the {@link Monitor}'s drift levels. A feature is at level `'drift'` when its PSI
 * is ≥ `psiDrift`, or its KS (numeric) or chi-square (categorical) p-value is < `pValue`, or (if
 * set) its Jensen–Shannon distance is ≥ `jensenShannon`; at `'warning'` when its PSI is ≥
 * `psiWarning`; else `'ok'`.
 * @category Monitor
 */
export interface MonitorThresholds {
  /** PSI of a moderate shift (default 0.1). */
  psiWarning?: number;
  /** PSI of a significant shift (default 0.25). */
  psiDrift?: number;
  /** Significance level of the KS and chi-square tests (default 0.05). */
  pValue?: number;
  /** Jensen–Shannon distance (natural log) that counts as drift; null (the default) ignores it. */
  jensenShannon?: number | null;
}

/**
 * A threshold crossing, passed to `onAlert` and listed in {@link MonitorReport.alerts}.
 * @category Monitor
 */
export interface MonitorAlert {
  /** The feature's name, or `'prediction'` for prediction drift. */
  feature: string;
  /** Whether the feature is an input or the model's output. */
  target: 'feature' | 'prediction';
  /** The level reached: `'warning'` or `'drift'`. */
  level: 'warning' | 'drift';
  /** The statistic that crossed its threshold. */
  statistic: 'psi' | 'ks' | 'chiSquare' | 'jensenShannon';
  /** Its value (a p-value for `'ks'` and `'chiSquare'`). */
  value: number;
  /** The threshold it crossed. */
  threshold: number;
  /** How many rows the monitor had observed when the crossing was found. */
  count: number;
}

/**
 * A test's statistic and p-value, as they appear in a {@link FeatureDrift}.
 * @category Monitor
 */
export interface DriftTest {
  /** The test statistic (KS's D, or Pearson's chi-square). */
  statistic: number;
  /** Its p-value. */
  pValue: number;
}

/**
 * The drift of one feature (or of the predictions) between the reference and the current window.
 * Statistics are null while the window is empty and where they do not apply to the kind.
 * @category Monitor
 */
export interface FeatureDrift {
  /** The feature's name (`'prediction'` for the predictions). */
  name: string;
  /** Numeric (quantile bins, KS) or categorical (one bin per category, chi-square). */
  kind: 'numeric' | 'categorical';
  /** Population stability index against the reference ({@link psi}). */
  psi: number | null;
  /** Two-sided two-sample KS test against the reference ({@link ks2Samp}); numeric features only. */
  ks: DriftTest | null;
  /** Jensen–Shannon distance (natural log) between the binned reference and window ({@link jensenShannon}). */
  jensenShannon: number | null;
  /** Chi-square test of homogeneity of the category counts ({@link chiSquare}); categorical features only. */
  chiSquare: DriftTest | null;
  /** `'ok'`, `'warning'` or `'drift'` under the thresholds (see {@link MonitorThresholds}). */
  level: 'ok' | 'warning' | 'drift';
  /** True when the level is `'drift'`. */
  drifted: boolean;
}

/**
 * Latency over the window of the last `window` observations that carried `latencyMs`
 * (null statistics while there are none). Percentiles interpolate linearly (NumPy's default).
 * @category Monitor
 */
export interface LatencyReport {
  /** Observations in the latency window. */
  count: number;
  /** Mean latency, milliseconds. */
  mean: number | null;
  /** Median latency, milliseconds. */
  p50: number | null;
  /** 99th percentile latency, milliseconds. */
  p99: number | null;
}

/**
 * What {@link Monitor.report} returns: plain data, JSON-serializable (every number finite, or null
 * where undefined).
 * @category Monitor
 */
export interface MonitorReport {
  /** Rows observed since the monitor was created. */
  count: number;
  /** Rows in the current window (at most the `window` option), the rows the statistics describe. */
  window: number;
  /** One entry per input feature, in the reference's column order. */
  features: FeatureDrift[];
  /** Prediction drift, or null without a `predictionReference`. */
  prediction: FeatureDrift | null;
  /** Latency over the last `window` observations. */
  latency: LatencyReport;
  /** Fraction of the last `window` observations that had `error` set; null before the first. */
  errorRate: number | null;
  /** The threshold crossings found so far, oldest first (the last 100 are kept). */
  alerts: MonitorAlert[];
}

/**
 * Options of the {@link Monitor}.
 * @category Monitor
 */
export interface MonitorOptions {
  /** The reference data, rows × features (for instance the training inputs). At least one row. */
  reference: MonitorMatrix;
  /** Feature names, one per column (default `x0`, `x1`, …). */
  features?: readonly string[];
  /** The categorical features, by column index or by name; every other feature is numeric. */
  categorical?: readonly (number | string)[];
  /** Rows of the sliding window (default 1000); also the length of the latency and error windows. */
  window?: number;
  /** Thresholds of the drift levels (PSI 0.1 / 0.25, p < 0.05 by default). */
  thresholds?: MonitorThresholds;
  /** Called once each time a feature's level rises (ok → warning, ok or warning → drift). */
  onAlert?: (alert: MonitorAlert) => void;
  /** Reference predictions, one per reference row or another sample of the model's outputs. */
  predictionReference?: MonitorPredictions;
  /** Whether predictions are monitored as numbers or as classes (default: categorical for 2-D class scores, else numeric). */
  predictionKind?: 'numeric' | 'categorical';
  /** Quantile bins of the numeric features' PSI and Jensen–Shannon (default 10). */
  bins?: number;
  /** Floor of the bin proportions in PSI (default 1e-4). */
  epsilon?: number;
  /** With `onAlert`, rows between automatic evaluations of the thresholds (default: `window`). */
  checkEvery?: number;
  /** How KS p-values are computed (default `'auto'`, as {@link ks2Samp}). */
  ksMethod?: 'auto' | 'exact' | 'asymp';
}

/**
 * One observation: a batch of input rows and, optionally, the model's predictions for them, the
 * request's latency and whether it failed.
 * @category Monitor
 */
export interface Observation {
  /** Input rows × features (the reference's feature count); an empty array for a request without rows. */
  inputs: MonitorMatrix;
  /** One prediction per input row, in the form of `predictionReference` (ignored without one). */
  predictions?: MonitorPredictions;
  /** The request's latency in milliseconds. */
  latencyMs?: number;
  /** Whether the request failed (true or the Error). */
  error?: boolean | Error;
}

const THRESHOLD_SPEC = {
  psiWarning: nonNeg,
  psiDrift: nonNeg,
  pValue: prob,
  jensenShannon: nullable(nonNeg),
};

const OPTIONS_SPEC = {
  reference: ((v) => v) as Check<unknown>,
  features: arrayOf(str, { min: 1 }),
  categorical: arrayOf(anyOf<number | string>('a column index or a feature name', num({ min: 0, integer: true }), str)),
  window: posInt,
  thresholds: ((v, name, op) => parseOptions(`${op} ${name}`, v, THRESHOLD_SPEC)) as Check<Partial<Record<keyof MonitorThresholds, unknown>>>,
  onAlert: func,
  predictionReference: ((v) => v) as Check<unknown>,
  predictionKind: oneOf(['numeric', 'categorical'] as const),
  bins: posInt,
  epsilon: num({ min: 0, max: 1, openMin: true, openMax: true }),
  checkEvery: posInt,
  ksMethod: oneOf(['auto', 'exact', 'asymp'] as const),
};

const OBSERVE_SPEC = {
  inputs: ((v) => v) as Check<unknown>,
  predictions: ((v) => v) as Check<unknown>,
  latencyMs: nonNeg,
  error: anyOf<boolean | Error>('a boolean or an Error', bool, instanceOf(Error)),
};

const LEVELS = { ok: 0, warning: 1, drift: 2 } as const;
const MAX_ALERTS = 100;

/** A fixed-capacity ring of float64 rows (the sliding window). */
class Ring {
  readonly data: Float64Array;
  head = 0;
  size = 0;
  constructor(readonly capacity: number, readonly width: number) {
    this.data = new Float64Array(capacity * width);
  }
  push(src: Float64Array, off: number): void {
    this.data.set(src.subarray(off, off + this.width), this.head * this.width);
    this.head = (this.head + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }
  /** Column c of the rows held, in no particular order. */
  column(c: number): Float64Array {
    const out = new Float64Array(this.size);
    const w = this.width;
    for (let i = 0; i < this.size; i++) out[i] = this.data[i * w + c];
    return out;
  }
}

/** What the monitor keeps of one reference column. */
interface ColumnRef {
  name: string;
  kind: 'numeric' | 'categorical';
  target: 'feature' | 'prediction';
  /** Numeric: the sorted reference, its PSI edges and bin counts. */
  sorted: Float64Array | null;
  edges: Float64Array | null;
  counts: Float64Array | null;
  /** Categorical: counts per category code. */
  categories: Map<number, number> | null;
  level: 'ok' | 'warning' | 'drift';
}

function matrix(op: string, name: string, x: unknown, cols: number | null, allowEmpty: boolean): Values {
  const v = values(op, name, x as never);
  if (v.rows === 0 && !allowEmpty) throw new ArgumentError(`${op}: ${name} must have at least one row, got ${describe(x)}`);
  // `[]` (or a [0, C] tensor) is a request without rows.
  if (v.rows === 0 && v.ndim === 1) return { ...v, cols: cols ?? 0, ndim: 2 };
  if (v.ndim !== 2) throw new ShapeError(`${op}: ${name} must be rows × features (nested arrays or a 2-D Tensor), got a 1-D input of ${v.rows} values`);
  if (cols !== null && v.cols !== cols) throw new ShapeError(`${op}: ${name} has ${v.cols} features per row but the reference has ${cols}`);
  return v;
}

/** Predictions as one value per row; `classes` tells whether 2-D class scores were reduced to argmax. */
function predictionValues(op: string, name: string, x: unknown): { data: Float64Array; classes: boolean } {
  const v = values(op, name, x as never);
  if (v.ndim === 1 || v.cols === 1) return { data: v.data, classes: false };
  const out = new Float64Array(v.rows);
  for (let i = 0; i < v.rows; i++) {
    const row = i * v.cols;
    let best = 0;
    for (let c = 1; c < v.cols; c++) if (v.data[row + c] > v.data[row + best]) best = c;
    out[i] = best;
  }
  return { data: out, classes: true };
}

function countCategories(x: ArrayLike<number>): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < x.length; i++) m.set(x[i], (m.get(x[i]) ?? 0) + 1);
  return m;
}

function buildColumn(name: string, kind: 'numeric' | 'categorical', target: 'feature' | 'prediction', col: Float64Array, bins: number): ColumnRef {
  if (kind === 'categorical') {
    return { name, kind, target, sorted: null, edges: null, counts: null, categories: countCategories(col), level: 'ok' };
  }
  const sorted = Float64Array.from(col).sort();
  const edges = quantileEdges(sorted, bins);
  return { name, kind, target, sorted, edges, counts: binCounts(edges, sorted), categories: null, level: 'ok' };
}

/**
 * Watches a deployed model: per-feature drift of the inputs and drift of the predictions against a
 * reference, over a sliding window of the last `window` rows, plus latency and error rates, with
 * alerts through a callback. Numeric features are compared with {@link psi} on the reference's
 * quantile bins, {@link jensenShannon} on the same bins and {@link ks2Samp}; categorical ones
 * with PSI and Jensen–Shannon on the category proportions and {@link chiSquare}.
 *
 * Cost: {@link Monitor.observe} is O(rows · features) (it copies rows into the window); the
 * statistics are computed lazily by {@link Monitor.report} (and, with `onAlert`, once every
 * `checkEvery` rows), O(F·(W log W + R)) for W window rows and R reference rows plus the KS
 * p-values (exact ones are O(R·W) at worst), and cached until the next observation.
 * Browser-safe: no Node imports.
 * @example
 * const ref = [[0, 1], [1, 0], [2, 1], [3, 0], [4, 1], [5, 0], [6, 1], [7, 0]];
 * const mon = new Monitor({ reference: ref, features: ['age', 'plan'], categorical: ['plan'], window: 4 });
 * mon.observe({ inputs: [[100, 1], [101, 1], [102, 1], [103, 1]], latencyMs: 12 });
 * mon.report().features[0].drifted; // true
 * mon.report().features[1].kind; // 'categorical'
 * mon.report().latency.p50; // 12
 * new Monitor({ reference: ref, window: 0 }); // throws ArgumentError
 * @throws ArgumentError for an empty or non-finite reference, bad names or options; ShapeError
 * for ragged rows.
 * @see docs/monitoring.md
 * @category Monitor
 */
export class Monitor {
  /** The window length in rows. */
  readonly windowSize: number;
  /** The feature names, in column order. */
  readonly features: readonly string[];
  private readonly columns: ColumnRef[];
  private readonly prediction: ColumnRef | null;
  private readonly inputs: Ring;
  private readonly predictions: Ring | null;
  private readonly latencies: Ring;
  private readonly errors: Ring;
  private readonly thresholds: Required<MonitorThresholds>;
  private readonly onAlert: ((alert: MonitorAlert) => void) | null;
  private readonly bins: number;
  private readonly epsilon: number;
  private readonly checkEvery: number;
  private readonly ksMethod: 'auto' | 'exact' | 'asymp';
  private readonly alerts: MonitorAlert[] = [];
  private count = 0;
  private sinceCheck = 0;
  private cached: { features: FeatureDrift[]; prediction: FeatureDrift | null } | null = null;

  constructor(options: MonitorOptions) {
    const op = 'Monitor';
    if (options === undefined || options === null) throw new ArgumentError(`${op}: options must be an object with a reference, got ${describe(options)}`);
    const o = parseOptions(op, options, OPTIONS_SPEC);
    if (o.reference === undefined) throw new ArgumentError(`${op}: reference is required (rows × features)`);
    const ref = matrix(op, 'reference', o.reference, null, false);
    const F = ref.cols;
    if (F === 0) throw new ArgumentError(`${op}: reference must have at least one feature`);
    const names = o.features ?? Array.from({ length: F }, (_, i) => `x${i}`);
    if (names.length !== F) throw new ShapeError(`${op}: features has ${names.length} names but the reference has ${F} columns`);
    if (new Set(names).size !== names.length) throw new ArgumentError(`${op}: features must be distinct, got [${names.join(', ')}]`);
    const categorical = new Set<number>();
    for (const c of o.categorical ?? []) {
      const idx = typeof c === 'number' ? c : names.indexOf(c);
      if (idx < 0 || idx >= F) throw new ArgumentError(`${op}: categorical names ${describe(c)}, which is not a feature (features: ${names.join(', ')})`);
      categorical.add(idx);
    }
    this.windowSize = o.window ?? 1000;
    this.features = names;
    this.bins = o.bins ?? 10;
    this.epsilon = o.epsilon ?? 1e-4;
    this.checkEvery = o.checkEvery ?? this.windowSize;
    this.ksMethod = o.ksMethod ?? 'auto';
    this.onAlert = (o.onAlert as ((alert: MonitorAlert) => void) | undefined) ?? null;
    const t = o.thresholds ?? {};
    this.thresholds = {
      psiWarning: (t.psiWarning as number | undefined) ?? 0.1,
      psiDrift: (t.psiDrift as number | undefined) ?? 0.25,
      pValue: (t.pValue as number | undefined) ?? 0.05,
      jensenShannon: (t.jensenShannon as number | null | undefined) ?? null,
    };
    this.columns = [];
    const col = new Float64Array(ref.rows);
    for (let c = 0; c < F; c++) {
      for (let i = 0; i < ref.rows; i++) col[i] = ref.data[i * F + c];
      this.columns.push(buildColumn(names[c], categorical.has(c) ? 'categorical' : 'numeric', 'feature', col, this.bins));
    }
    if (o.predictionReference !== undefined) {
      const p = predictionValues(op, 'predictionReference', o.predictionReference);
      if (p.data.length === 0) throw new ArgumentError(`${op}: predictionReference must hold at least one prediction`);
      const kind = o.predictionKind ?? (p.classes ? 'categorical' : 'numeric');
      this.prediction = buildColumn('prediction', kind, 'prediction', p.data, this.bins);
      this.predictions = new Ring(this.windowSize, 1);
    } else {
      this.prediction = null;
      this.predictions = null;
    }
    this.inputs = new Ring(this.windowSize, F);
    this.latencies = new Ring(this.windowSize, 1);
    this.errors = new Ring(this.windowSize, 1);
  }

  /**
   * Records one observation: its input rows (and predictions) enter the sliding window, pushing
   * out the oldest rows; its latency and error enter the request windows. O(rows · features),
   * plus an evaluation of the thresholds every `checkEvery` rows when `onAlert` is set.
   * @throws ShapeError when a row's feature count or the number of predictions does not match;
   * ArgumentError for a non-finite value, a negative latency or an unknown key.
   */
  observe(observation: Observation): void {
    const op = 'Monitor.observe';
    if (observation === undefined || observation === null) throw new ArgumentError(`${op}: observation must be an object with inputs, got ${describe(observation)}`);
    const o = parseOptions(op, observation, OBSERVE_SPEC);
    if (o.inputs === undefined) throw new ArgumentError(`${op}: inputs is required (rows × features)`);
    const F = this.features.length;
    const x = matrix(op, 'inputs', o.inputs, F, true);
    let preds: Float64Array | null = null;
    if (o.predictions !== undefined && this.predictions !== null) {
      preds = predictionValues(op, 'predictions', o.predictions).data;
      if (preds.length !== x.rows) throw new ShapeError(`${op}: predictions has ${preds.length} values but inputs has ${x.rows} rows`);
    }
    for (let i = 0; i < x.rows; i++) this.inputs.push(x.data, i * F);
    if (preds !== null) for (let i = 0; i < preds.length; i++) this.predictions!.push(preds, i);
    if (o.latencyMs !== undefined) this.latencies.push(Float64Array.of(o.latencyMs), 0);
    this.errors.push(Float64Array.of(o.error === undefined || o.error === false ? 0 : 1), 0);
    this.count += x.rows;
    if (x.rows > 0 || preds !== null) this.cached = null;
    this.sinceCheck += x.rows;
    if (this.onAlert !== null && this.sinceCheck >= this.checkEvery) {
      this.sinceCheck = 0;
      this.evaluate();
    }
  }

  /**
   * The current state as plain data (see {@link MonitorReport}): drift per feature and of the
   * predictions over the window, latency, error rate and the alerts so far. Computes the
   * statistics if rows arrived since the last evaluation (and raises the alerts they imply).
   */
  report(): MonitorReport {
    const drift = this.evaluate();
    const lat = this.latencies.column(0).sort();
    const n = lat.length;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += lat[i];
    const errs = this.errors.column(0);
    let e = 0;
    for (let i = 0; i < errs.length; i++) e += errs[i];
    return {
      count: this.count,
      window: this.inputs.size,
      features: drift.features.map((f) => ({ ...f, ks: f.ks && { ...f.ks }, chiSquare: f.chiSquare && { ...f.chiSquare } })),
      prediction: drift.prediction && { ...drift.prediction, ks: drift.prediction.ks && { ...drift.prediction.ks }, chiSquare: drift.prediction.chiSquare && { ...drift.prediction.chiSquare } },
      latency: { count: n, mean: n ? sum / n : null, p50: n ? quantileSorted(lat, 0.5) : null, p99: n ? quantileSorted(lat, 0.99) : null },
      errorRate: errs.length ? e / errs.length : null,
      alerts: this.alerts.map((a) => ({ ...a })),
    };
  }

  private evaluate(): { features: FeatureDrift[]; prediction: FeatureDrift | null } {
    if (this.cached !== null) return this.cached;
    const features = this.columns.map((c, i) => this.drift(c, this.inputs.size === 0 ? null : this.inputs.column(i)));
    const prediction = this.prediction === null
      ? null
      : this.drift(this.prediction, this.predictions!.size === 0 ? null : this.predictions!.column(0));
    this.cached = { features, prediction };
    return this.cached;
  }

  /** The statistics of one column against its reference, and the alert of a rising level. */
  private drift(ref: ColumnRef, cur: Float64Array | null): FeatureDrift {
    const out: FeatureDrift = {
      name: ref.name, kind: ref.kind, psi: null, ks: null, jensenShannon: null, chiSquare: null, level: 'ok', drifted: false,
    };
    if (cur === null) return out;
    const th = this.thresholds;
    let pValue: number;
    if (ref.kind === 'numeric') {
      cur.sort();
      const counts = binCounts(ref.edges!, cur);
      out.psi = psiFromCounts(ref.counts!, counts, this.epsilon);
      out.jensenShannon = jsFromCounts(ref.counts!, counts, 1);
      const ks: KsResult = ks2SampSorted(ref.sorted!, cur, 'two-sided', this.ksMethod);
      // The asymptotic p-value is undefined (NaN, as SciPy) only for a reference and a window of
      // one row each; the report stays JSON by leaving the test out there.
      out.ks = Number.isNaN(ks.pValue) ? null : { statistic: ks.statistic, pValue: ks.pValue };
      pValue = out.ks === null ? 1 : ks.pValue;
    } else {
      const curCats = countCategories(cur);
      const keys = [...new Set([...ref.categories!.keys(), ...curCats.keys()])].sort((a, b) => a - b);
      const r = new Float64Array(keys.length);
      const c = new Float64Array(keys.length);
      for (let k = 0; k < keys.length; k++) {
        r[k] = ref.categories!.get(keys[k]) ?? 0;
        c[k] = curCats.get(keys[k]) ?? 0;
      }
      out.psi = psiFromCounts(r, c, this.epsilon);
      out.jensenShannon = jsFromCounts(r, c, 1);
      const chi = chiSquareFromCounts(r, c, true);
      out.chiSquare = { statistic: chi.statistic, pValue: chi.pValue };
      pValue = chi.pValue;
    }
    let trigger: { statistic: MonitorAlert['statistic']; value: number; threshold: number } | null = null;
    if (out.psi >= th.psiDrift) trigger = { statistic: 'psi', value: out.psi, threshold: th.psiDrift };
    else if (pValue < th.pValue) trigger = { statistic: ref.kind === 'numeric' ? 'ks' : 'chiSquare', value: pValue, threshold: th.pValue };
    else if (th.jensenShannon !== null && out.jensenShannon >= th.jensenShannon) trigger = { statistic: 'jensenShannon', value: out.jensenShannon, threshold: th.jensenShannon };
    if (trigger !== null) out.level = 'drift';
    else if (out.psi >= th.psiWarning) {
      out.level = 'warning';
      trigger = { statistic: 'psi', value: out.psi, threshold: th.psiWarning };
    }
    out.drifted = out.level === 'drift';
    if (LEVELS[out.level] > LEVELS[ref.level] && trigger !== null) {
      const alert: MonitorAlert = { feature: ref.name, target: ref.target, level: out.level as 'warning' | 'drift', ...trigger, count: this.count };
      this.alerts.push(alert);
      if (this.alerts.length > MAX_ALERTS) this.alerts.shift();
      this.onAlert?.({ ...alert });
    }
    ref.level = out.level;
    return out;
  }
}
