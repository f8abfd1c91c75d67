import { ArgumentError, ShapeError } from '../tensor/index';
import {
  average, fmtList, labelVector, later, sameLength, sampleWeights, uniqueSorted, values,
  type MetricArray, type MetricMatrix,
} from './util';
import { badValue, bool, checkArg, nonNegInt, nullable, oneOf, parseOptions, posInt, type Check } from '../tensor/options';

/** zeroDivision: 'warn', 0 or 1 (numbers, so not a oneOf of strings). */
const zeroDivisionCheck: Check<ZeroDivision> = (v, name, op) => {
  if (v !== 'warn' && v !== 0 && v !== 1) throw badValue(op, name, "'warn', 0 or 1", v);
  return v;
};

/** fbeta's β: a number ≥ 0, Infinity included (β → ∞ is recall). */
const betaCheck: Check<number> = (v, name, op) => {
  if (typeof v !== 'number' || !(v >= 0)) throw badValue(op, name, 'a number ≥ 0 (Infinity allowed)', v);
  return v;
};

const PRF_SPEC = {
  average: nullable(oneOf(['binary', 'micro', 'macro', 'weighted'] as const)), posLabel: later, labels: later,
  zeroDivision: zeroDivisionCheck, sampleWeight: later,
};

/**
 * What precision, recall and F-scores return when their denominator is zero (no predicted or no
 * true samples of a class). `'warn'` is scikit-learn's default; tensorkit prints no warnings, so
 * `'warn'` behaves exactly as `0`.
 * @category Metrics
 */
export type ZeroDivision = 'warn' | 0 | 1;

/**
 * How per-class scores are combined: `'binary'` reports the class `posLabel` only; `'micro'` pools
 * the counts of all classes; `'macro'` is the unweighted mean over classes; `'weighted'` weights
 * each class by its support (number of true samples); `null` returns the per-class array.
 * @category Metrics
 */
export type Average = 'binary' | 'micro' | 'macro' | 'weighted' | null;

/** Options shared by every classification metric. @category Metrics */
export interface SampleWeightOptions {
  /** One non-negative weight per sample (default: all 1). */
  sampleWeight?: MetricArray;
}

/** Options of {@link accuracy}. @category Metrics */
export interface AccuracyOptions extends SampleWeightOptions {
  /** Return the fraction of correct samples (default true) rather than their (weighted) count. */
  normalize?: boolean;
}

/** Options of {@link precision}, {@link recall}, {@link f1} and {@link fbeta}. @category Metrics */
export interface PrfOptions extends SampleWeightOptions {
  /** Averaging over classes (default `'binary'`, as scikit-learn). */
  average?: Average;
  /** The positive class when `average` is `'binary'` (default 1); ignored otherwise. */
  posLabel?: number;
  /** Classes to score, in output order (default: the sorted labels present in yTrue or yPred). A subset drops the others from every average. */
  labels?: MetricArray;
  /** Value of an undefined ratio (default `'warn'`, which behaves as 0). */
  zeroDivision?: ZeroDivision;
}

/** Options of {@link fbeta}: {@link PrfOptions} plus `beta`. @category Metrics */
export interface FbetaOptions extends PrfOptions {
  /** Weight of recall relative to precision (≥ 0; `Infinity` gives recall). */
  beta: number;
}

/** Per-class option overload: `average: null`. @category Metrics */
export type PerClass<O> = O & {
  /** `null`: return one score per class, in `labels` order, instead of an average. */
  average: null;
};

interface Prf {
  precision: number[];
  recall: number[];
  f: number[];
  support: number[];
}

/** Integer labels of yTrue and yPred with equal, non-zero lengths, plus the sample weights. */
function pair(fn: string, yTrue: MetricArray, yPred: MetricArray, sw?: MetricArray | null, names = ['yTrue', 'yPred']) {
  const yt = labelVector(fn, names[0], yTrue);
  const yp = labelVector(fn, names[1], yPred);
  sameLength(fn, names[0], yt.length, names[1], yp.length);
  return { yt, yp, w: sampleWeights(fn, sw, yt.length) };
}

/** Per-class counts for the classes in `labels`: true positives, predicted and true totals (weighted). */
function classCounts(yt: Float64Array, yp: Float64Array, w: Float64Array | null, labels: readonly number[]) {
  const L = labels.length;
  const index = new Map<number, number>();
  for (let i = 0; i < L; i++) if (!index.has(labels[i])) index.set(labels[i], i);
  const tp = new Float64Array(L), pred = new Float64Array(L), tru = new Float64Array(L);
  for (let i = 0; i < yt.length; i++) {
    const wi = w === null ? 1 : w[i];
    const a = index.get(yt[i]), b = index.get(yp[i]);
    if (a !== undefined) tru[a] += wi;
    if (b !== undefined) pred[b] += wi;
    if (a !== undefined && yt[i] === yp[i]) tp[a] += wi;
  }
  // A label listed twice gets the counts of its first slot.
  for (let i = 0; i < L; i++) {
    const j = index.get(labels[i])!;
    if (j !== i) { tp[i] = tp[j]; pred[i] = pred[j]; tru[i] = tru[j]; }
  }
  return { tp, pred, tru };
}

/** scikit-learn's precision_recall_fscore_support, returning arrays (length 1 unless average is null or macro/weighted). */
function prfs(fn: string, yTrue: MetricArray, yPred: MetricArray, opts: PrfOptions, beta: number): { per: Prf; average: Average; zd: number } {
  const { average: avg = 'binary', posLabel = 1, labels, zeroDivision = 'warn', sampleWeight } = opts;
  if (!(beta >= 0)) throw new ArgumentError(`${fn}: beta must be ≥ 0, got ${beta}`);
  const { yt, yp, w } = pair(fn, yTrue, yPred, sampleWeight);
  const present = uniqueSorted(yt, yp);
  let sel: number[];
  if (avg === 'binary') {
    if (present.length > 2) {
      throw new ArgumentError(`${fn}: the targets are multiclass (labels ${fmtList(present)}) but average is 'binary'; choose 'micro', 'macro', 'weighted' or null`);
    }
    if (!present.includes(posLabel) && present.length >= 2) {
      throw new ArgumentError(`${fn}: posLabel=${posLabel} is not a valid label; it should be one of ${fmtList(present)}`);
    }
    sel = [posLabel];
  } else if (labels !== undefined) {
    sel = Array.from(labelVector(fn, 'labels', labels));
    if (sel.length === 0) throw new ArgumentError(`${fn}: labels is empty`);
  } else sel = present;

  let { tp, pred, tru } = classCounts(yt, yp, w, sel);
  if (avg === 'micro') {
    const s = (a: Float64Array) => Float64Array.of(a.reduce((p, q) => p + q, 0));
    tp = s(tp); pred = s(pred); tru = s(tru);
  }
  const zd = zeroDivision === 1 ? 1 : 0;
  const n = tp.length;
  const b2 = beta * beta;
  const per: Prf = { precision: [], recall: [], f: [], support: Array.from(tru) };
  for (let i = 0; i < n; i++) {
    const p = pred[i] === 0 ? zd : tp[i] / pred[i];
    const r = tru[i] === 0 ? zd : tp[i] / tru[i];
    let f: number;
    if (beta === Infinity) f = r;
    else {
      const denom = b2 * p + r;
      f = denom === 0 ? 0 : ((1 + b2) * p * r) / denom;
    }
    per.precision.push(p);
    per.recall.push(r);
    per.f.push(f);
  }
  if (avg === 'weighted') {
    let st = 0, sp = 0;
    for (let i = 0; i < n; i++) { st += tru[i]; sp += pred[i]; }
    if (st === 0) {
      // No true samples in any selected class: scikit-learn returns zeroDivision for the undefined ratios.
      const pr = sp === 0 ? zd : 0, f = sp === 0 ? zd : 0;
      return { per: { precision: [pr], recall: [zd], f: [f], support: [0] }, average: avg, zd };
    }
  }
  return { per, average: avg, zd };
}

function reduce(fn: string, r: { per: Prf; average: Average }, key: 'precision' | 'recall' | 'f'): number | number[] {
  const xs = r.per[key];
  if (r.average === null) return xs;
  if (r.average === 'weighted' && xs.length === 1 && r.per.support.length === 1 && r.per.support[0] === 0) return xs[0];
  return average(fn, xs, r.average === 'weighted' ? r.per.support : null);
}

/**
 * Fraction of exact matches: Σᵢ wᵢ·[yTrueᵢ = yPredᵢ] / Σᵢ wᵢ (scikit-learn's `accuracy_score`).
 *
 * Shapes: yTrue [N], yPred [N] integer labels; sampleWeight [N].
 * @param options `normalize: false` returns the (weighted) number of matches instead.
 * @example
 * accuracy([0, 1, 2, 3], [0, 2, 1, 3]); // 0.5
 * accuracy([0, 1, 2, 3], [0, 2, 1, 3], { normalize: false }); // 2
 * @throws ShapeError if the lengths differ; ArgumentError on empty input, non-integer or non-finite labels.
 * @see {@link balancedAccuracy}, {@link topKAccuracy}
 * @category Metrics
 */
export function accuracy(yTrue: MetricArray, yPred: MetricArray, options: AccuracyOptions = {}): number {
  options = parseOptions('accuracy', options, { normalize: bool, sampleWeight: later }) as typeof options;
  const { normalize = true, sampleWeight } = options;
  const { yt, yp, w } = pair('accuracy', yTrue, yPred, sampleWeight);
  const hit = new Float64Array(yt.length);
  let s = 0;
  for (let i = 0; i < yt.length; i++) {
    hit[i] = yt[i] === yp[i] ? 1 : 0;
    s += w === null ? hit[i] : hit[i] * w[i];
  }
  return normalize ? average('accuracy', hit, w) : s;
}

/**
 * Precision tp / (tp + fp): of the samples predicted as a class, the fraction that belong to it.
 *
 * Shapes: yTrue [N], yPred [N] integer labels; result a number, or [L] per class with `average: null`.
 * Averages as in {@link Average}; an empty denominator gives `zeroDivision` (default 0).
 * @example
 * precision([0, 1, 1, 0], [1, 1, 1, 0]); // 0.6666666666666666
 * precision([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], { average: 'macro' }); // 0.2222222222222222
 * precision([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], { average: null }); // [0.6666666666666666, 0, 0]
 * @throws ShapeError if the lengths differ; ArgumentError for `'binary'` on multiclass targets, an invalid posLabel or option.
 * @see {@link recall}, {@link f1}, {@link classificationReport}
 * @category Metrics
 */
export function precision(yTrue: MetricArray, yPred: MetricArray, options: PerClass<PrfOptions>): number[];
export function precision(yTrue: MetricArray, yPred: MetricArray, options?: PrfOptions): number;
export function precision(yTrue: MetricArray, yPred: MetricArray, options: PrfOptions = {}): number | number[] {
  options = parseOptions('precision', options, PRF_SPEC) as typeof options;
  return reduce('precision', prfs('precision', yTrue, yPred, options, 1), 'precision');
}

/**
 * Recall tp / (tp + fn): of the samples of a class, the fraction predicted as it (sensitivity, true positive rate).
 *
 * Shapes: yTrue [N], yPred [N] integer labels; result a number, or [L] per class with `average: null`.
 * Averages as in {@link Average}; an empty denominator gives `zeroDivision` (default 0).
 * @example
 * recall([0, 1, 1, 0], [1, 1, 0, 0]); // 0.5
 * recall([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], { average: 'micro' }); // 0.3333333333333333
 * @throws ShapeError if the lengths differ; ArgumentError for `'binary'` on multiclass targets, an invalid posLabel or option.
 * @see {@link precision}, {@link f1}, {@link balancedAccuracy}
 * @category Metrics
 */
export function recall(yTrue: MetricArray, yPred: MetricArray, options: PerClass<PrfOptions>): number[];
export function recall(yTrue: MetricArray, yPred: MetricArray, options?: PrfOptions): number;
export function recall(yTrue: MetricArray, yPred: MetricArray, options: PrfOptions = {}): number | number[] {
  options = parseOptions('recall', options, PRF_SPEC) as typeof options;
  return reduce('recall', prfs('recall', yTrue, yPred, options, 1), 'recall');
}

/**
 * F-beta score (1 + β²)·P·R / (β²·P + R), the weighted harmonic mean of precision P and recall R.
 *
 * Per class it is computed from P and R after their zero-division substitution, and is 0 when
 * β²·P + R = 0 (scikit-learn 1.2's `fbeta_score`). β < 1 favours precision, β > 1 recall.
 * Shapes: yTrue [N], yPred [N] integer labels; result a number, or [L] per class with `average: null`.
 * @example
 * fbeta([0, 1, 1, 0], [1, 1, 0, 0], { beta: 2 }); // 0.5
 * fbeta([0, 1, 1, 1], [1, 1, 0, 0], { beta: 0.5 }); // 0.45454545454545453
 * @throws ShapeError if the lengths differ; ArgumentError for β < 0 and the cases of {@link precision}.
 * @see {@link f1}
 * @category Metrics
 */
export function fbeta(yTrue: MetricArray, yPred: MetricArray, options: PerClass<FbetaOptions>): number[];
export function fbeta(yTrue: MetricArray, yPred: MetricArray, options: FbetaOptions): number;
export function fbeta(yTrue: MetricArray, yPred: MetricArray, options: FbetaOptions): number | number[] {
  options = parseOptions('fbeta', options, { ...PRF_SPEC, beta: betaCheck }) as FbetaOptions;
  checkArg('fbeta', 'beta', options.beta, betaCheck);
  return reduce('fbeta', prfs('fbeta', yTrue, yPred, options, options.beta), 'f');
}

/**
 * F1 score 2·P·R / (P + R), the harmonic mean of precision and recall ({@link fbeta} with β = 1).
 *
 * Shapes: yTrue [N], yPred [N] integer labels; result a number, or [L] per class with `average: null`.
 * @example
 * f1([0, 1, 1, 0], [1, 1, 0, 0]); // 0.5
 * f1([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], { average: 'weighted' }); // 0.26666666666666666
 * @throws ShapeError if the lengths differ; ArgumentError for the cases of {@link precision}.
 * @see {@link classificationReport}
 * @category Metrics
 */
export function f1(yTrue: MetricArray, yPred: MetricArray, options: PerClass<PrfOptions>): number[];
export function f1(yTrue: MetricArray, yPred: MetricArray, options?: PrfOptions): number;
export function f1(yTrue: MetricArray, yPred: MetricArray, options: PrfOptions = {}): number | number[] {
  options = parseOptions('f1', options, PRF_SPEC) as typeof options;
  return reduce('f1', prfs('f1', yTrue, yPred, options, 1), 'f');
}

/** Options of {@link confusionMatrix}. @category Metrics */
export interface ConfusionMatrixOptions extends SampleWeightOptions {
  /** Row and column order (default: sorted labels of yTrue ∪ yPred). Samples with other labels are dropped. */
  labels?: MetricArray;
  /** Divide by row sums (`'true'`), column sums (`'pred'`) or the total (`'all'`); 0/0 becomes 0. Default null (counts). */
  normalize?: 'true' | 'pred' | 'all' | null;
}

/**
 * Confusion matrix C[i][j] = Σ w over samples whose true label is labels[i] and predicted label is labels[j].
 *
 * Shapes: yTrue [N], yPred [N] integer labels; result [L][L] (rows true, columns predicted).
 * @example
 * confusionMatrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2]); // [[2, 0, 0], [0, 0, 1], [1, 0, 2]]
 * confusionMatrix([0, 0, 1, 1], [0, 1, 1, 1], { normalize: 'true' }); // [[0.5, 0.5], [0, 1]]
 * @throws ShapeError if the lengths differ; ArgumentError if `labels` is empty or contains no label of yTrue.
 * @see {@link classificationReport}
 * @category Metrics
 */
export function confusionMatrix(yTrue: MetricArray, yPred: MetricArray, options: ConfusionMatrixOptions = {}): number[][] {
  options = parseOptions('confusionMatrix', options, { labels: later, normalize: nullable(oneOf(['true', 'pred', 'all'] as const)), sampleWeight: later }) as typeof options;
  const fn = 'confusionMatrix';
  const { labels, normalize = null, sampleWeight } = options;
  const { yt, yp, w } = pair(fn, yTrue, yPred, sampleWeight);
  return confusion(fn, yt, yp, w, labels === undefined ? null : Array.from(labelVector(fn, 'labels', labels)), normalize);
}

function confusion(fn: string, yt: Float64Array, yp: Float64Array, w: Float64Array | null, labels: number[] | null, normalize: ConfusionMatrixOptions['normalize'] = null): number[][] {
  let L: number[];
  if (labels === null) L = uniqueSorted(yt, yp);
  else {
    if (labels.length === 0) throw new ArgumentError(`${fn}: labels must contain at least one label`);
    const s = new Set(labels);
    let any = false;
    for (let i = 0; i < yt.length && !any; i++) any = s.has(yt[i]);
    if (!any) throw new ArgumentError(`${fn}: none of labels ${fmtList(labels)} occurs in yTrue`);
    L = labels;
  }
  const n = L.length;
  const index = new Map<number, number>();
  for (let i = 0; i < n; i++) if (!index.has(L[i])) index.set(L[i], i);
  const cm: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < yt.length; i++) {
    const a = index.get(yt[i]), b = index.get(yp[i]);
    if (a !== undefined && b !== undefined) cm[a][b] += w === null ? 1 : w[i];
  }
  if (normalize === null) return cm;
  const rowSum = new Float64Array(n), colSum = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { rowSum[i] += cm[i][j]; colSum[j] += cm[i][j]; total += cm[i][j]; }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const d = normalize === 'true' ? rowSum[i] : normalize === 'pred' ? colSum[j] : total;
      // NumPy's nan_to_num after 0/0, as scikit-learn does.
      cm[i][j] = d === 0 ? 0 : cm[i][j] / d;
    }
  }
  return cm;
}

/** One row of a {@link ClassificationReport}. @category Metrics */
export interface ReportRow {
  /** Precision TP / (TP + FP), in [0, 1]. */
  precision: number;
  /** Recall TP / (TP + FN), in [0, 1]. */
  recall: number;
  /** F1 score 2·P·R / (P + R), in [0, 1]. */
  f1: number;
  /** Number (or total weight) of true samples. */
  support: number;
}

/** A per-class row of a {@link ClassificationReport}: the label, its display name and its scores. @category Metrics */
export interface ReportClassRow extends ReportRow {
  /** The class label. */
  label: number;
  /** Its display name (from `targetNames`, else the label as text). */
  name: string;
}

/**
 * Result of {@link classificationReport}: per-class rows, the averages, and `toString()` giving
 * scikit-learn's text table.
 * @category Metrics
 */
export interface ClassificationReport {
  /** One row per label, in label order. */
  classes: ReportClassRow[];
  /** Accuracy, present when every label is reported (then micro-averaged P = R = F1 = accuracy). */
  accuracy?: number;
  /** Micro average, present instead of `accuracy` when `labels` selects a subset. */
  microAvg?: ReportRow;
  /** Unweighted mean of the per-class rows; support is the total. */
  macroAvg: ReportRow;
  /** Mean of the per-class rows weighted by support; support is the total. */
  weightedAvg: ReportRow;
  /** The text table of scikit-learn's `classification_report`. */
  toString(): string;
}

/** Options of {@link classificationReport}. @category Metrics */
export interface ClassificationReportOptions extends SampleWeightOptions {
  /** Labels to report (default: sorted labels of yTrue ∪ yPred). */
  labels?: MetricArray;
  /** Display names, one per label (default: the labels as text). */
  targetNames?: readonly string[];
  /** Decimal places of the text table (default 2). */
  digits?: number;
  /** Value of an undefined ratio (default `'warn'`, which behaves as 0). */
  zeroDivision?: ZeroDivision;
}

/** Python's `'{:.{d}f}'`: round-half-even on the exact binary value (JS toFixed rounds exact ties up). */
function pyFixed(x: number, d: number): string {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return String(x);
  const s = Math.abs(x).toFixed(100);
  const dot = s.indexOf('.');
  const intPart = s.slice(0, dot);
  const frac = s.slice(dot + 1);
  const kept = intPart + frac.slice(0, d);
  const rest = frac.slice(d);
  let up = rest[0] > '5' || (rest[0] === '5' && /[1-9]/.test(rest.slice(1)));
  if (rest[0] === '5' && !/[1-9]/.test(rest.slice(1))) up = Number(kept[kept.length - 1]) % 2 === 1;
  const digits = kept.split('').map(Number);
  if (up) {
    let i = digits.length - 1;
    while (i >= 0 && digits[i] === 9) digits[i--] = 0;
    if (i < 0) digits.unshift(1);
    else digits[i]++;
  }
  const all = digits.join('');
  const ip = all.slice(0, all.length - d) || '0';
  const out = d > 0 ? `${ip}.${all.slice(all.length - d)}` : ip;
  return (x < 0 && /[1-9]/.test(out) ? '-' : '') + out;
}

/** Python's str() of a support value: an int without weights, a float repr with them. */
function pySupport(x: number, weighted: boolean): string {
  if (!weighted) return String(x);
  return Number.isInteger(x) && Math.abs(x) < 1e16 ? `${x}.0` : String(x);
}

/**
 * Per-class precision, recall, F1 and support with their micro (or accuracy), macro and weighted
 * averages, as scikit-learn's `classification_report`; `toString()` renders its text table.
 *
 * Shapes: yTrue [N], yPred [N] integer labels.
 * @example
 * const r = classificationReport([0, 1, 2, 2, 2], [0, 0, 2, 2, 1]);
 * r.classes[2].recall; // 0.6666666666666666
 * r.accuracy; // 0.6
 * r.macroAvg.f1; // 0.48888888888888893
 * r.toString().split('\n')[0]; // '              precision    recall  f1-score   support'
 * @throws ShapeError if the lengths differ or targetNames does not match the labels; ArgumentError for the cases of {@link precision}.
 * @see {@link precision}, {@link recall}, {@link f1}
 * @category Metrics
 */
export function classificationReport(yTrue: MetricArray, yPred: MetricArray, options: ClassificationReportOptions = {}): ClassificationReport {
  options = parseOptions('classificationReport', options, { labels: later, targetNames: later, digits: nonNegInt, zeroDivision: zeroDivisionCheck, sampleWeight: later }) as typeof options;
  const fn = 'classificationReport';
  const { labels, targetNames, digits = 2, zeroDivision = 'warn', sampleWeight } = options;
  const { yt, yp } = pair(fn, yTrue, yPred, sampleWeight);
  const present = uniqueSorted(yt, yp);
  const L = labels === undefined ? present : Array.from(labelVector(fn, 'labels', labels));
  const microIsAccuracy = labels === undefined || (new Set(L).size === present.length && present.every((v) => L.includes(v)));
  if (targetNames !== undefined && targetNames.length !== L.length) {
    throw new ShapeError(`${fn}: targetNames has ${targetNames.length} names but there are ${L.length} labels ${fmtList(L)}`);
  }
  const names = targetNames === undefined ? L.map(String) : targetNames.map(String);
  const opts: PrfOptions = { labels: L, zeroDivision, sampleWeight };
  const per = prfs(fn, yTrue, yPred, { ...opts, average: null }, 1).per;
  const classes: ReportClassRow[] = L.map((label, i) => ({
    label, name: names[i], precision: per.precision[i], recall: per.recall[i], f1: per.f[i], support: per.support[i],
  }));
  const totalSupport = per.support.reduce((a, b) => a + b, 0);
  const avgRow = (avg: 'micro' | 'macro' | 'weighted'): ReportRow => {
    const r = prfs(fn, yTrue, yPred, { ...opts, average: avg }, 1);
    return {
      precision: reduce(fn, r, 'precision') as number, recall: reduce(fn, r, 'recall') as number, f1: reduce(fn, r, 'f') as number,
      support: totalSupport,
    };
  };
  const micro = avgRow('micro');
  const macroAvg = avgRow('macro');
  const weightedAvg = avgRow('weighted');
  const weighted = sampleWeight !== undefined && sampleWeight !== null;
  const report: ClassificationReport = {
    classes,
    ...(microIsAccuracy ? { accuracy: micro.f1 } : { microAvg: micro }),
    macroAvg,
    weightedAvg,
    toString(): string {
      const width = Math.max(...names.map((s) => s.length), 'weighted avg'.length, digits);
      const pad = (s: string, n: number) => s.padStart(n);
      const headers = ['precision', 'recall', 'f1-score', 'support'];
      let out = `${pad('', width)} ${headers.map((h) => ` ${pad(h, 9)}`).join('')}\n\n`;
      const row = (name: string, r: ReportRow) =>
        `${pad(name, width)} ${[r.precision, r.recall, r.f1].map((v) => ` ${pad(pyFixed(v, digits), 9)}`).join('')} ${pad(pySupport(r.support, weighted), 9)}\n`;
      for (const c of classes) out += row(c.name, c);
      out += '\n';
      if (microIsAccuracy) {
        out += `${pad('accuracy', width)} ${pad('', 10)}${pad('', 10)} ${pad(pyFixed(micro.f1, digits), 9)} ${pad(pySupport(totalSupport, weighted), 9)}\n`;
      } else out += row('micro avg', micro);
      out += row('macro avg', macroAvg);
      out += row('weighted avg', weightedAvg);
      return out;
    },
  };
  return report;
}

/**
 * Matthews correlation coefficient (c·s − Σₖ pₖ·tₖ) / √((s² − Σₖ pₖ²)(s² − Σₖ tₖ²)), with c the
 * correct count, s the total, tₖ and pₖ the true and predicted counts of class k (the multiclass
 * R_K statistic; the binary φ coefficient for two classes). 0 when a denominator factor is 0.
 *
 * Shapes: yTrue [N], yPred [N] integer labels. Range [−1, 1].
 * @example
 * matthewsCorrcoef([1, 1, 1, 0], [1, 0, 1, 1]); // -0.3333333333333333
 * matthewsCorrcoef([0, 0, 0], [0, 0, 0]); // 0
 * @throws ShapeError if the lengths differ.
 * @see Gorodkin (2004), "Comparing two K-category assignments by a K-category correlation coefficient".
 * @category Metrics
 */
export function matthewsCorrcoef(yTrue: MetricArray, yPred: MetricArray, options: SampleWeightOptions = {}): number {
  options = parseOptions('matthewsCorrcoef', options, { sampleWeight: later }) as typeof options;
  const fn = 'matthewsCorrcoef';
  const { yt, yp, w } = pair(fn, yTrue, yPred, options.sampleWeight);
  const C = confusion(fn, yt, yp, w, null);
  const n = C.length;
  const t = new Float64Array(n), p = new Float64Array(n);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    correct += C[i][i];
    for (let j = 0; j < n; j++) { t[i] += C[i][j]; p[j] += C[i][j]; }
  }
  let s = 0, tp = 0, pp = 0, tt = 0;
  for (let k = 0; k < n; k++) { s += p[k]; tp += t[k] * p[k]; pp += p[k] * p[k]; tt += t[k] * t[k]; }
  const covTP = correct * s - tp, covPP = s * s - pp, covTT = s * s - tt;
  if (covPP * covTT === 0) return 0;
  return covTP / Math.sqrt(covTT * covPP);
}

/** Options of {@link cohenKappa}. @category Metrics */
export interface CohenKappaOptions extends SampleWeightOptions {
  /** Labels indexing the confusion matrix (default: sorted labels of both raters). */
  labels?: MetricArray;
  /** Disagreement weights: null (0 on the diagonal, 1 elsewhere), `'linear'` |i − j| or `'quadratic'` (i − j)². */
  weights?: null | 'linear' | 'quadratic';
}

/**
 * Cohen's kappa κ = 1 − Σᵢⱼ wᵢⱼ·Oᵢⱼ / Σᵢⱼ wᵢⱼ·Eᵢⱼ: agreement between two raters beyond chance, with
 * O the confusion matrix, E = outer(column sums, row sums) / total the agreement expected by chance
 * and w the disagreement weights. NaN when E puts no weight off the diagonal (both raters constant and equal).
 *
 * Shapes: y1 [N], y2 [N] integer labels. Symmetric in y1 and y2.
 * @example
 * cohenKappa([0, 1, 1, 0], [0, 1, 0, 0]); // 0.5
 * cohenKappa([0, 1, 2, 2], [0, 2, 2, 1], { weights: 'quadratic' }); // 0.6363636363636364
 * @throws ShapeError if the lengths differ; ArgumentError for an unknown weighting.
 * @see Cohen (1960), "A coefficient of agreement for nominal scales".
 * @category Metrics
 */
export function cohenKappa(y1: MetricArray, y2: MetricArray, options: CohenKappaOptions = {}): number {
  options = parseOptions('cohenKappa', options, { labels: later, weights: nullable(oneOf(['linear', 'quadratic'] as const)), sampleWeight: later }) as typeof options;
  const fn = 'cohenKappa';
  const { labels, weights = null, sampleWeight } = options;
  const { yt, yp, w } = pair(fn, y1, y2, sampleWeight, ['y1', 'y2']);
  const C = confusion(fn, yt, yp, w, labels === undefined ? null : Array.from(labelVector(fn, 'labels', labels)));
  const n = C.length;
  const s0 = new Float64Array(n), s1 = new Float64Array(n);
  let tot = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { s0[j] += C[i][j]; s1[i] += C[i][j]; tot += C[i][j]; }
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const wij = weights === null ? (i === j ? 0 : 1) : weights === 'linear' ? Math.abs(i - j) : (i - j) * (i - j);
      num += wij * C[i][j];
      den += (wij * s0[i] * s1[j]) / tot;
    }
  }
  return 1 - num / den;
}

/** Options of {@link balancedAccuracy}. @category Metrics */
export interface BalancedAccuracyOptions extends SampleWeightOptions {
  /** Rescale so that chance is 0 and perfect is 1: (score − 1/K) / (1 − 1/K). Default false. */
  adjusted?: boolean;
}

/**
 * Balanced accuracy (1/K)·Σₖ recallₖ: the mean recall over the K classes that occur in yTrue
 * (classes only predicted are ignored), which is robust to class imbalance.
 *
 * Shapes: yTrue [N], yPred [N] integer labels.
 * @example
 * balancedAccuracy([0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1]); // 0.625
 * balancedAccuracy([0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1], { adjusted: true }); // 0.25
 * @throws ShapeError if the lengths differ.
 * @see Brodersen et al. (2010), "The balanced accuracy and its posterior distribution".
 * @category Metrics
 */
export function balancedAccuracy(yTrue: MetricArray, yPred: MetricArray, options: BalancedAccuracyOptions = {}): number {
  options = parseOptions('balancedAccuracy', options, { adjusted: bool, sampleWeight: later }) as typeof options;
  const fn = 'balancedAccuracy';
  const { adjusted = false, sampleWeight } = options;
  const { yt, yp, w } = pair(fn, yTrue, yPred, sampleWeight);
  const C = confusion(fn, yt, yp, w, null);
  let s = 0, K = 0;
  for (let i = 0; i < C.length; i++) {
    let row = 0;
    for (let j = 0; j < C.length; j++) row += C[i][j];
    if (row === 0) continue;
    s += C[i][i] / row;
    K++;
  }
  if (K === 0) throw new ArgumentError(`${fn}: every sample has zero weight`);
  let score = s / K;
  if (adjusted) {
    const chance = 1 / K;
    score = (score - chance) / (1 - chance);
  }
  return score;
}

/** Options of {@link logLoss}. @category Metrics */
export interface LogLossOptions extends SampleWeightOptions {
  /**
   * Probabilities are clipped to [eps, 1 − eps]. `'auto'` (default) is the machine epsilon of the
   * input's precision, as scikit-learn 1.2: 2⁻²³ ≈ 1.19e-7 for Float32Array and Tensor input,
   * 2⁻⁵² ≈ 2.22e-16 for plain arrays and Float64Array.
   */
  eps?: 'auto' | number;
  /** Mean over samples (default true) or the (weighted) sum. */
  normalize?: boolean;
  /** All class labels in column order (default: sorted labels of yTrue). Needed when yTrue misses a class. */
  labels?: MetricArray;
}

/**
 * Cross-entropy −(1/N)·Σᵢ log pᵢ,yᵢ of predicted probabilities (natural log), after clipping each
 * probability to [eps, 1 − eps] and renormalising each row to sum 1, as scikit-learn 1.2's `log_loss`.
 *
 * Shapes: yTrue [N] integer labels; probs [N, C] with columns in sorted-label order, or [N] (or
 * [N, 1]) probabilities of the greater label for two classes.
 * @example
 * logLoss([1, 0, 0, 1], [[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]]); // 0.21616187468057912
 * logLoss([1, 0], [0.8, 0.3]); // 0.2899092476264711
 * @throws ShapeError if lengths or the number of columns and classes differ; ArgumentError if fewer than two classes are known, yTrue has a label outside `labels`, or a probability lies outside [0, 1] (as `binaryCrossEntropy`; only values inside are clipped to [eps, 1 − eps]).
 * @see {@link crossEntropy} for the differentiable loss on logits.
 * @category Metrics
 */
export function logLoss(yTrue: MetricArray, probs: MetricArray | MetricMatrix, options: LogLossOptions = {}): number {
  options = parseOptions('logLoss', options, { eps: later, normalize: bool, labels: later, sampleWeight: later }) as typeof options;
  const fn = 'logLoss';
  const { eps = 'auto', normalize = true, labels, sampleWeight } = options;
  const yt = labelVector(fn, 'yTrue', yTrue);
  const P = values(fn, 'probs', probs);
  sameLength(fn, 'yTrue', yt.length, 'probs', P.rows);
  // As binaryCrossEntropy: a probability outside [0, 1] is a bug upstream, not something to clip.
  for (let i = 0; i < P.data.length; i++) {
    const v = P.data[i];
    if (v < 0 || v > 1) {
      const at = P.ndim === 1 ? `${i}` : `${Math.floor(i / P.cols)}, ${i % P.cols}`;
      throw new ArgumentError(`${fn}: probs[${at}] is ${v}; probabilities must lie in [0, 1] (apply softmax or sigmoid to logits first)`);
    }
  }
  const w = sampleWeights(fn, sampleWeight, yt.length);
  const e = eps === 'auto' ? (P.f32 ? 2 ** -23 : 2 ** -52) : eps;
  if (typeof e !== 'number' || !(e >= 0 && e < 0.5)) throw new ArgumentError(`${fn}: eps must be 'auto' or a number in [0, 0.5), got ${String(eps)}`);
  const classes = labels === undefined ? uniqueSorted(yt) : uniqueSorted(labelVector(fn, 'labels', labels));
  if (classes.length < 2) {
    throw new ArgumentError(labels === undefined
      ? `${fn}: yTrue contains only one label (${classes[0]}); pass all class labels through options.labels`
      : `${fn}: labels must contain at least two labels, got ${fmtList(classes)}`);
  }
  const C = classes.length;
  const cols = P.cols;
  if (!(cols === C || (cols === 1 && C === 2))) {
    throw new ShapeError(`${fn}: probs has ${cols} column${cols === 1 ? '' : 's'} but there are ${C} classes ${fmtList(classes)}${labels === undefined ? '; pass all class labels through options.labels' : ''}`);
  }
  const index = new Map<number, number>();
  classes.forEach((c, i) => index.set(c, i));
  const clip = (v: number) => (v < e ? e : v > 1 - e ? 1 - e : v);
  const loss = new Float64Array(yt.length);
  for (let i = 0; i < yt.length; i++) {
    const k = index.get(yt[i]);
    if (k === undefined) throw new ArgumentError(`${fn}: yTrue[${i}] = ${yt[i]} is not one of the labels ${fmtList(classes)}`);
    let pk: number, sum: number;
    if (cols === 1) {
      const p1 = clip(P.data[i]);
      const p0 = 1 - p1;
      pk = k === 1 ? p1 : p0;
      sum = p0 + p1;
    } else {
      const row = i * cols;
      sum = 0;
      for (let c = 0; c < cols; c++) sum += clip(P.data[row + c]);
      pk = clip(P.data[row + k]);
    }
    loss[i] = -Math.log(pk / sum);
  }
  if (normalize) return average(fn, loss, w);
  let s = 0;
  for (let i = 0; i < loss.length; i++) s += w === null ? loss[i] : loss[i] * w[i];
  return s;
}

/** Options of {@link topKAccuracy}. @category Metrics */
export interface TopKAccuracyOptions extends SampleWeightOptions {
  /** How many of the highest-scored classes count as a hit (default 2, as scikit-learn). */
  k?: number;
  /** Fraction (default true) or (weighted) count of hits. */
  normalize?: boolean;
  /** All class labels in column order, sorted (default: sorted labels of yTrue). */
  labels?: MetricArray;
}

/**
 * Top-k accuracy: the fraction of samples whose true class is among the k highest-scored classes
 * (scikit-learn's `top_k_accuracy_score`). Among tied scores the class with the higher column index
 * ranks first, as scikit-learn's reversed stable argsort.
 *
 * Shapes: yTrue [N] integer labels; scores [N, C] with columns in sorted-label order. For two
 * classes scores may be [N], the score of the greater label: with k = 1 it is predicted when its score
 * exceeds 0.5 (scores within [0, 1]) or 0 (otherwise); with k ≥ 2 every sample is a hit.
 * @example
 * topKAccuracy([0, 1, 2, 2], [[0.5, 0.2, 0.2], [0.3, 0.4, 0.2], [0.2, 0.4, 0.3], [0.7, 0.2, 0.1]], { k: 2 }); // 0.75
 * topKAccuracy([0, 1, 2], [[0.5, 0.5, 0], [0.5, 0.5, 0], [0, 0, 1]], { k: 1 }); // 0.6666666666666666
 * @throws ShapeError if the lengths or the number of columns and classes differ; ArgumentError if yTrue has a label outside `labels`.
 * @see {@link accuracy}
 * @category Metrics
 */
export function topKAccuracy(yTrue: MetricArray, scores: MetricArray | MetricMatrix, options: TopKAccuracyOptions = {}): number {
  options = parseOptions('topKAccuracy', options, { k: posInt, normalize: bool, labels: later, sampleWeight: later }) as typeof options;
  const fn = 'topKAccuracy';
  const { k = 2, normalize = true, labels, sampleWeight } = options;
  const yt = labelVector(fn, 'yTrue', yTrue);
  const S = values(fn, 'scores', scores);
  sameLength(fn, 'yTrue', yt.length, 'scores', S.rows);
  const w = sampleWeights(fn, sampleWeight, yt.length);
  let classes: number[];
  if (labels !== undefined) {
    const l = Array.from(labelVector(fn, 'labels', labels));
    classes = uniqueSorted(l);
    if (classes.length !== l.length) throw new ArgumentError(`${fn}: labels must be unique, got ${fmtList(l)}`);
    if (classes.some((c, i) => c !== l[i])) throw new ArgumentError(`${fn}: labels must be sorted, got ${fmtList(l)}`);
  } else classes = uniqueSorted(yt);
  const C = S.cols === 1 ? 2 : S.cols;
  if (classes.length !== C) {
    throw new ShapeError(`${fn}: scores has ${S.cols === 1 ? '1 column (binary)' : `${S.cols} columns`} but there are ${classes.length} classes ${fmtList(classes)}${labels === undefined ? '; pass all class labels through options.labels' : ''}`);
  }
  const index = new Map<number, number>();
  classes.forEach((c, i) => index.set(c, i));
  const hits = new Float64Array(yt.length);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < S.data.length; i++) { lo = Math.min(lo, S.data[i]); hi = Math.max(hi, S.data[i]); }
  const threshold = lo >= 0 && hi <= 1 ? 0.5 : 0;
  for (let i = 0; i < yt.length; i++) {
    const t = index.get(yt[i]);
    if (t === undefined) throw new ArgumentError(`${fn}: yTrue[${i}] = ${yt[i]} is not one of the labels ${fmtList(classes)}`);
    if (S.cols === 1) {
      hits[i] = k >= 2 ? 1 : Number((S.data[i] > threshold ? 1 : 0) === t);
      continue;
    }
    // Rank of the true class: classes scored higher, or tied with a higher column index, come first.
    const row = i * C;
    const st = S.data[row + t];
    let ahead = 0;
    for (let c = 0; c < C; c++) {
      const v = S.data[row + c];
      if (v > st || (v === st && c > t)) ahead++;
    }
    hits[i] = ahead < k ? 1 : 0;
  }
  if (normalize) return average(fn, hits, w);
  let s = 0;
  for (let i = 0; i < hits.length; i++) s += w === null ? hits[i] : hits[i] * w[i];
  return s;
}
