import { ArgumentError, ShapeError } from '../tensor/index';
import {
  average, fmtList, labelVector, later, sameLength, sampleWeights, uniqueSorted, values, vector,
  type MetricArray, type MetricMatrix,
} from './util';
import { bool, checkArg, nullable, oneOf, parseOptions } from '../tensor/options';

/** Options of {@link rocCurve} and {@link precisionRecallCurve}. @category Metrics */
export interface CurveOptions {
  /**
   * The positive class. Default: 1, allowed only when yTrue's labels are within {0, 1} or {−1, 1}
   * (scikit-learn's rule); any other labels need an explicit posLabel.
   */
  posLabel?: number;
  /** One non-negative weight per sample; zero-weight samples are dropped first. */
  sampleWeight?: MetricArray;
}

/** Options of {@link rocCurve}. @category Metrics */
export interface RocCurveOptions extends CurveOptions {
  /** Drop thresholds whose points are collinear with their neighbours (default true); the area is unchanged. */
  dropIntermediate?: boolean;
}

/** Result of {@link rocCurve}: false and true positive rates at decreasing thresholds. @category Metrics */
export interface RocCurve {
  /** False positive rate FP / negatives at each threshold, starting at 0 (all NaN without negatives). */
  fpr: number[];
  /** True positive rate TP / positives at each threshold, starting at 0 (all NaN without positives). */
  tpr: number[];
  /** Score thresholds, decreasing; the first is max score + 1 (scikit-learn 1.2). */
  thresholds: number[];
}

/** Result of {@link precisionRecallCurve}: precision and recall at increasing thresholds, then the end point (1, 0). @category Metrics */
export interface PrecisionRecallCurve {
  /** Precision TP / (TP + FP) at each threshold, then 1 (length thresholds.length + 1). */
  precision: number[];
  /** Recall TP / P at each threshold, then 0 (length thresholds.length + 1). */
  recall: number[];
  /** Distinct score thresholds, increasing. */
  thresholds: number[];
}

interface ClfCurve {
  fps: Float64Array;
  tps: Float64Array;
  thresholds: Float64Array;
}

/**
 * Cumulative false and true positive (weighted) counts at each distinct score, highest first
 * (scikit-learn's `_binary_clf_curve`). `pos` is a 0/1 array.
 */
function clfCurve(pos: ArrayLike<number>, score: Float64Array, w: Float64Array | null): ClfCurve {
  let idx: number[] = [];
  for (let i = 0; i < score.length; i++) if (w === null || w[i] !== 0) idx.push(i);
  // NumPy's reversed stable argsort: descending score, ties by descending index.
  idx = idx.sort((a, b) => score[b] - score[a] || b - a);
  const n = idx.length;
  const ends: number[] = [];
  for (let i = 0; i < n - 1; i++) if (score[idx[i]] !== score[idx[i + 1]]) ends.push(i);
  if (n > 0) ends.push(n - 1);
  const m = ends.length;
  const fps = new Float64Array(m), tps = new Float64Array(m), thresholds = new Float64Array(m);
  let ct = 0, cf = 0, e = 0;
  for (let i = 0; i < n && e < m; i++) {
    const j = idx[i];
    const wi = w === null ? 1 : w[j];
    ct += pos[j] * wi;
    cf += (1 - pos[j]) * wi;
    if (i === ends[e]) {
      tps[e] = ct;
      // Unweighted false positives as 1 + i − tps, exactly as scikit-learn.
      fps[e] = w === null ? 1 + i - ct : cf;
      thresholds[e] = score[j];
      e++;
    }
  }
  return { fps, tps, thresholds };
}

/** Resolves posLabel as scikit-learn's `_check_pos_label_consistency` and returns the 0/1 positives. */
function positives(fn: string, yt: Float64Array, posLabel: number | undefined): Float64Array {
  const classes = uniqueSorted(yt);
  if (posLabel === undefined) {
    const ok = classes.every((c) => c === 0 || c === 1) || classes.every((c) => c === -1 || c === 1);
    if (!ok) {
      throw new ArgumentError(`${fn}: yTrue takes values in ${fmtList(classes)} and posLabel is not given; make yTrue take values in {0, 1} or {-1, 1}, or pass posLabel`);
    }
    posLabel = 1;
  }
  if (classes.length > 2) throw new ArgumentError(`${fn}: yTrue must be binary, got labels ${fmtList(classes)}`);
  const pos = new Float64Array(yt.length);
  for (let i = 0; i < yt.length; i++) pos[i] = yt[i] === posLabel ? 1 : 0;
  return pos;
}

function curveInputs(fn: string, yTrue: MetricArray, yScore: MetricArray, sw: MetricArray | undefined) {
  const yt = labelVector(fn, 'yTrue', yTrue);
  const ys = vector(fn, 'yScore', yScore);
  sameLength(fn, 'yTrue', yt.length, 'yScore', ys.length);
  return { yt, ys, w: sampleWeights(fn, sw, yt.length) };
}

function rocFromCounts(c: ClfCurve, dropIntermediate: boolean): RocCurve {
  let { fps, tps, thresholds } = c;
  if (dropIntermediate && fps.length > 2) {
    // Keep the ends and every corner: a point whose second difference in fps or tps is non-zero.
    const keep: number[] = [0];
    for (let i = 1; i < fps.length - 1; i++) {
      if (fps[i + 1] - 2 * fps[i] + fps[i - 1] !== 0 || tps[i + 1] - 2 * tps[i] + tps[i - 1] !== 0) keep.push(i);
    }
    keep.push(fps.length - 1);
    fps = Float64Array.from(keep, (i) => c.fps[i]);
    tps = Float64Array.from(keep, (i) => c.tps[i]);
    thresholds = Float64Array.from(keep, (i) => c.thresholds[i]);
  }
  const m = fps.length + 1;
  const fN = fps[fps.length - 1], tN = tps[tps.length - 1];
  const fpr = new Array<number>(m), tpr = new Array<number>(m), thr = new Array<number>(m);
  fpr[0] = fN > 0 ? 0 : NaN;
  tpr[0] = tN > 0 ? 0 : NaN;
  thr[0] = thresholds[0] + 1;
  for (let i = 1; i < m; i++) {
    fpr[i] = fN > 0 ? fps[i - 1] / fN : NaN;
    tpr[i] = tN > 0 ? tps[i - 1] / tN : NaN;
    thr[i] = thresholds[i - 1];
  }
  return { fpr, tpr, thresholds: thr };
}

/**
 * Receiver operating characteristic: at each distinct score threshold t (highest first),
 * fpr = FP(score ≥ t) / negatives and tpr = TP(score ≥ t) / positives (scikit-learn 1.2's `roc_curve`).
 *
 * Tied scores form a single point. The curve starts at (0, 0) with an extra threshold
 * thresholds[0] = max score + 1 (scikit-learn 1.2; 1.3 and later use +Infinity). Without negatives
 * fpr is all NaN, without positives tpr is.
 * Shapes: yTrue [N] binary labels, yScore [N]; fpr, tpr, thresholds [M + 1] for M kept thresholds.
 * @example
 * const { fpr, tpr, thresholds } = rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
 * fpr; // [0, 0, 0.5, 0.5, 1]
 * tpr; // [0, 0.5, 0.5, 1, 1]
 * thresholds; // [1.8, 0.8, 0.4, 0.35, 0.1]
 * @throws ShapeError if the lengths differ; ArgumentError if yTrue has more than two labels or needs a posLabel.
 * @see {@link rocAuc}, {@link auc}
 * @category Metrics
 */
export function rocCurve(yTrue: MetricArray, yScore: MetricArray, options: RocCurveOptions = {}): RocCurve {
  options = parseOptions('rocCurve', options, { posLabel: later, dropIntermediate: bool, sampleWeight: later }) as typeof options;
  const fn = 'rocCurve';
  const { posLabel, dropIntermediate = true, sampleWeight } = options;
  const { yt, ys, w } = curveInputs(fn, yTrue, yScore, sampleWeight);
  return rocFromCounts(clfCurve(positives(fn, yt, posLabel), ys, w), dropIntermediate);
}

/**
 * Area under a curve by the trapezoidal rule, Σᵢ (xᵢ₊₁ − xᵢ)·(yᵢ + yᵢ₊₁)/2, for x monotone
 * (increasing, or decreasing with the sign flipped), as scikit-learn's `auc`.
 *
 * Shapes: x [M], y [M], M ≥ 2.
 * @example
 * auc([0, 0.5, 1], [0, 1, 1]); // 0.75
 * @throws ShapeError if the lengths differ; ArgumentError if M < 2 or x is not monotone.
 * @see {@link rocCurve}, {@link rocAuc}
 * @category Metrics
 */
export function auc(x: MetricArray, y: MetricArray): number {
  const fn = 'auc';
  const xs = vector(fn, 'x', x), ysv = vector(fn, 'y', y);
  if (xs.length !== ysv.length) throw new ShapeError(`${fn}: x has ${xs.length} points but y has ${ysv.length}`);
  return trapezoid(fn, xs, ysv);
}

function trapezoid(fn: string, x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length < 2) throw new ArgumentError(`${fn}: at least 2 points are needed to compute an area, got ${x.length}`);
  let inc = true, dec = true;
  for (let i = 1; i < x.length; i++) {
    if (x[i] < x[i - 1]) inc = false;
    if (x[i] > x[i - 1]) dec = false;
  }
  if (!inc && !dec) throw new ArgumentError(`${fn}: x is neither increasing nor decreasing`);
  let s = 0;
  for (let i = 1; i < x.length; i++) s += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return inc ? s : -s;
}

/** ROC AUC of 0/1 positives (scikit-learn's `_binary_roc_auc_score`), optionally standardised partial AUC. */
function binaryRocAuc(fn: string, pos: ArrayLike<number>, score: Float64Array, w: Float64Array | null, maxFpr: number | null = null): number {
  let np = 0, nn = 0;
  for (let i = 0; i < pos.length; i++) if (pos[i] === 1) np++; else nn++;
  if (np === 0 || nn === 0) throw new ArgumentError(`${fn}: only one class is present in yTrue; ROC AUC is not defined in that case`);
  const { fpr, tpr } = rocFromCounts(clfCurve(pos, score, w), true);
  if (maxFpr === null || maxFpr === 1) return trapezoid(fn, fpr, tpr);
  // Interpolate a point at maxFpr, integrate up to it, then apply McClish's correction.
  let stop = 0;
  while (stop < fpr.length && fpr[stop] <= maxFpr) stop++;
  const x0 = fpr[stop - 1], x1 = fpr[stop], y0 = tpr[stop - 1], y1 = tpr[stop];
  const yi = x1 === x0 ? y1 : y0 + ((maxFpr - x0) * (y1 - y0)) / (x1 - x0);
  const px = [...fpr.slice(0, stop), maxFpr], py = [...tpr.slice(0, stop), yi];
  const partial = trapezoid(fn, px, py);
  const minArea = 0.5 * maxFpr * maxFpr;
  return 0.5 * (1 + (partial - minArea) / (maxFpr - minArea));
}

/** Options of {@link rocAuc}. @category Metrics */
export interface RocAucOptions {
  /** Multiclass strategy: `'raise'` (default: multiclass input is an error), `'ovr'` one-vs-rest, `'ovo'` one-vs-one (Hand & Till). */
  multiClass?: 'raise' | 'ovr' | 'ovo';
  /** Multiclass averaging (default `'macro'`); `'weighted'` by prevalence; `'micro'` and null (per class) with `'ovr'` only. */
  average?: 'macro' | 'weighted' | 'micro' | null;
  /** All class labels in column order, sorted (multiclass; default: sorted labels of yTrue). */
  labels?: MetricArray;
  /** One non-negative weight per sample (not with `'ovo'`). */
  sampleWeight?: MetricArray;
  /** Binary only: standardised partial AUC over fpr ∈ [0, maxFpr] (McClish correction). */
  maxFpr?: number | null;
}

/**
 * Area under the ROC curve: the probability that a random positive is scored above a random
 * negative (ties count ½), as scikit-learn 1.2's `roc_auc_score`.
 *
 * Binary: yTrue has two labels and the greater one is positive; scores are [N], or [N, 2] class
 * probabilities whose column 1 is used (an extension: scikit-learn rejects [N, 2]). Multiclass
 * (three or more labels, or more than two score columns) needs `multiClass` and rows of probabilities
 * summing to 1: `'ovr'` averages the AUCs of each class against the rest; `'ovo'` averages, over all
 * pairs of classes (a, b) present in yTrue, ½·(AUC(a | b) + AUC(b | a)) computed on the samples of a
 * and b only (Hand & Till 2001); `'weighted'` weights classes (ovr) or pairs (ovo) by prevalence.
 * Shapes: yTrue [N] integer labels; scores [N], [N, 2] or [N, C].
 * @example
 * rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.75
 * const y = [0, 1, 2, 2, 1, 0, 1];
 * const p = [[0.6, 0.3, 0.1], [0.3, 0.4, 0.3], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7], [0.5, 0.3, 0.2], [0.3, 0.3, 0.4], [0.2, 0.6, 0.2]];
 * rocAuc(y, p, { multiClass: 'ovr' }); // 0.8166666666666668
 * rocAuc(y, p, { multiClass: 'ovr', average: null }); // [0.85, 0.75, 0.85]
 * rocAuc(y, p, { multiClass: 'ovo' }); // 0.8194444444444443
 * @throws ShapeError if lengths or columns and classes differ; ArgumentError if only one class is present, multiclass input meets `multiClass: 'raise'`, rows do not sum to 1, or an option is invalid.
 * @see Hand & Till (2001), "A simple generalisation of the area under the ROC curve for multiple class classification problems".
 * @category Metrics
 */
export function rocAuc(yTrue: MetricArray, scores: MetricArray | MetricMatrix, options: RocAucOptions & { average: null; multiClass: 'ovr' }): number[];
export function rocAuc(yTrue: MetricArray, scores: MetricArray | MetricMatrix, options?: RocAucOptions): number;
export function rocAuc(yTrue: MetricArray, scores: MetricArray | MetricMatrix, options: RocAucOptions = {}): number | number[] {
  options = parseOptions('rocAuc', options, { multiClass: oneOf(['raise', 'ovr', 'ovo'] as const), average: later, labels: later, sampleWeight: later, maxFpr: later }) as typeof options;
  const fn = 'rocAuc';
  const { multiClass = 'raise', average: avg = 'macro', labels, sampleWeight, maxFpr = null } = options;
  const yt = labelVector(fn, 'yTrue', yTrue);
  const S = values(fn, 'scores', scores);
  sameLength(fn, 'yTrue', yt.length, 'scores', S.rows);
  const w = sampleWeights(fn, sampleWeight, yt.length);
  const present = uniqueSorted(yt);
  const multiclass = present.length > 2 || S.cols > 2;
  if (!multiclass) {
    if (maxFpr !== null && !(maxFpr > 0 && maxFpr <= 1)) throw new ArgumentError(`${fn}: maxFpr must be in (0, 1], got ${maxFpr}`);
    if (present.length < 2) throw new ArgumentError(`${fn}: only one class (${present[0]}) is present in yTrue; ROC AUC is not defined in that case`);
    const pos = Float64Array.from(yt, (v) => (v === present[1] ? 1 : 0));
    const score = S.cols === 2 ? Float64Array.from({ length: S.rows }, (_, i) => S.data[i * 2 + 1]) : S.data;
    return binaryRocAuc(fn, pos, score, w, maxFpr);
  }
  if (maxFpr !== null && maxFpr !== 1) throw new ArgumentError(`${fn}: maxFpr (partial AUC) is not available for multiclass input`);
  if (multiClass === 'raise') throw new ArgumentError(`${fn}: yTrue has labels ${fmtList(present)} and scores ${S.cols} columns; multiclass ROC AUC needs multiClass 'ovr' or 'ovo'`);
  checkArg(fn, 'average', avg, multiClass === 'ovr' ? nullable(oneOf(['micro', 'macro', 'weighted'] as const)) : oneOf(['macro', 'weighted'] as const));
  const C = S.cols;
  for (let i = 0; i < S.rows; i++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += S.data[i * C + c];
    // NumPy's allclose(1, s): |s − 1| ≤ 1e-8 + 1e-5·|s|.
    if (!(Math.abs(s - 1) <= 1e-8 + 1e-5 * Math.abs(s))) throw new ArgumentError(`${fn}: multiclass scores must be probabilities summing to 1 over classes; row ${i} sums to ${s}`);
  }
  let classes: number[];
  if (labels !== undefined) {
    const l = Array.from(labelVector(fn, 'labels', labels));
    classes = uniqueSorted(l);
    if (classes.length !== l.length) throw new ArgumentError(`${fn}: labels must be unique, got ${fmtList(l)}`);
    if (classes.some((c, i) => c !== l[i])) throw new ArgumentError(`${fn}: labels must be sorted, got ${fmtList(l)}`);
    if (classes.length !== C) throw new ShapeError(`${fn}: ${classes.length} labels given but scores has ${C} columns`);
    const s = new Set(classes);
    const bad = present.find((v) => !s.has(v));
    if (bad !== undefined) throw new ArgumentError(`${fn}: yTrue contains label ${bad}, which is not in labels ${fmtList(classes)}`);
  } else {
    classes = present;
    if (classes.length !== C) throw new ShapeError(`${fn}: yTrue has ${classes.length} classes ${fmtList(classes)} but scores has ${C} columns; pass all class labels through options.labels`);
  }
  const index = new Map<number, number>();
  classes.forEach((c, i) => index.set(c, i));
  const enc = Int32Array.from(yt, (v) => index.get(v)!);
  const N = yt.length;
  const column = (c: number, rows: ArrayLike<number>) => Float64Array.from(rows, (i) => S.data[i * C + c]);
  if (multiClass === 'ovo') {
    if (w !== null) throw new ArgumentError(`${fn}: sampleWeight is not supported with multiClass 'ovo'`);
    const cls = uniqueSorted(enc);
    const pairScores: number[] = [], prevalence: number[] = [];
    for (let ia = 0; ia < cls.length; ia++) {
      for (let ib = ia + 1; ib < cls.length; ib++) {
        const a = cls[ia], b = cls[ib];
        const rows: number[] = [];
        for (let i = 0; i < N; i++) if (enc[i] === a || enc[i] === b) rows.push(i);
        const aPos = rows.map((i) => (enc[i] === a ? 1 : 0)), bPos = rows.map((i) => (enc[i] === b ? 1 : 0));
        const sa = binaryRocAuc(fn, aPos, column(a, rows), null), sb = binaryRocAuc(fn, bPos, column(b, rows), null);
        pairScores.push((sa + sb) / 2);
        prevalence.push(rows.length / N);
      }
    }
    return average(fn, pairScores, avg === 'weighted' ? prevalence : null);
  }
  const all = Array.from({ length: N }, (_, i) => i);
  if (avg === 'micro') {
    const pos = new Float64Array(N * C), sc = new Float64Array(N * C);
    const ww = w === null ? null : new Float64Array(N * C);
    for (let i = 0; i < N; i++) {
      for (let c = 0; c < C; c++) {
        pos[i * C + c] = enc[i] === c ? 1 : 0;
        sc[i * C + c] = S.data[i * C + c];
        if (ww !== null) ww[i * C + c] = w![i];
      }
    }
    return binaryRocAuc(fn, pos, sc, ww);
  }
  const score: number[] = [], support: number[] = [];
  for (let c = 0; c < C; c++) {
    const pos = Float64Array.from(enc, (v) => (v === c ? 1 : 0));
    let s = 0;
    for (let i = 0; i < N; i++) s += pos[i] * (w === null ? 1 : w[i]);
    support.push(s);
    score.push(binaryRocAuc(fn, pos, column(c, all), w));
  }
  if (avg === null) return score;
  if (avg === 'weighted') {
    const tot = support.reduce((p, q) => p + q, 0);
    if (Math.abs(tot) <= 1e-8) return 0;
    return average(fn, score.map((s, c) => (support[c] === 0 ? 0 : s)), support);
  }
  return average(fn, score, null);
}

/**
 * Precision–recall pairs at every distinct score threshold t: precision = TP / (TP + FP) and
 * recall = TP / P over samples with score ≥ t (scikit-learn 1.2's `precision_recall_curve`).
 *
 * Thresholds increase; precision and recall have one more entry, the end point (precision 1,
 * recall 0). Precision with no predicted positive is 0; without any positive sample recall is 1
 * at every threshold.
 * Shapes: yTrue [N] binary labels, yScore [N]; precision, recall [M + 1], thresholds [M].
 * @example
 * const pr = precisionRecallCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
 * pr.precision; // [0.5, 0.6666666666666666, 0.5, 1, 1]
 * pr.recall; // [1, 1, 0.5, 0.5, 0]
 * pr.thresholds; // [0.1, 0.35, 0.4, 0.8]
 * @throws ShapeError if the lengths differ; ArgumentError if yTrue has more than two labels or needs a posLabel.
 * @see {@link averagePrecision}
 * @category Metrics
 */
export function precisionRecallCurve(yTrue: MetricArray, yScore: MetricArray, options: CurveOptions = {}): PrecisionRecallCurve {
  options = parseOptions('precisionRecallCurve', options, { posLabel: later, sampleWeight: later }) as typeof options;
  const fn = 'precisionRecallCurve';
  const { yt, ys, w } = curveInputs(fn, yTrue, yScore, options.sampleWeight);
  return prCurve(clfCurve(positives(fn, yt, options.posLabel), ys, w));
}

function prCurve({ fps, tps, thresholds }: ClfCurve): PrecisionRecallCurve {
  const m = tps.length;
  const last = tps[m - 1];
  const precision: number[] = [], recall: number[] = [], thr: number[] = [];
  for (let i = m - 1; i >= 0; i--) {
    const ps = tps[i] + fps[i];
    precision.push(ps !== 0 ? tps[i] / ps : 0);
    recall.push(last === 0 ? 1 : tps[i] / last);
    thr.push(thresholds[i]);
  }
  precision.push(1);
  recall.push(0);
  return { precision, recall, thresholds: thr };
}

/** Options of {@link averagePrecision}. @category Metrics */
export interface AveragePrecisionOptions {
  /** The positive class (default 1). */
  posLabel?: number;
  /** One non-negative weight per sample. */
  sampleWeight?: MetricArray;
}

/**
 * Average precision AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the thresholds of {@link precisionRecallCurve}:
 * the precision at each threshold weighted by the recall it adds, without interpolation
 * (scikit-learn 1.2's `average_precision_score`, binary targets).
 *
 * Shapes: yTrue [N] binary labels, yScore [N].
 * @example
 * averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.8333333333333333
 * @throws ShapeError if the lengths differ; ArgumentError if yTrue has more than two labels, or two labels and neither is posLabel.
 * @see {@link precisionRecallCurve}, {@link mapAtK} for recommender lists.
 * @category Metrics
 */
export function averagePrecision(yTrue: MetricArray, yScore: MetricArray | MetricMatrix, options: AveragePrecisionOptions = {}): number {
  options = parseOptions('averagePrecision', options, { posLabel: later, sampleWeight: later }) as typeof options;
  const fn = 'averagePrecision';
  const { posLabel = 1, sampleWeight } = options;
  const yt = labelVector(fn, 'yTrue', yTrue);
  const S = values(fn, 'yScore', yScore);
  if (S.cols !== 1) throw new ShapeError(`${fn}: yScore must be 1-D (binary targets), got shape [${S.rows}, ${S.cols}]`);
  sameLength(fn, 'yTrue', yt.length, 'yScore', S.rows);
  const w = sampleWeights(fn, sampleWeight, yt.length);
  const present = uniqueSorted(yt);
  if (present.length > 2) throw new ArgumentError(`${fn}: yTrue must be binary, got labels ${fmtList(present)} (multiclass average precision is not supported, as in scikit-learn 1.2)`);
  if (present.length === 2 && !present.includes(posLabel)) throw new ArgumentError(`${fn}: posLabel=${posLabel} is not a valid label; it should be one of ${fmtList(present)}`);
  const pos = positives(fn, yt, posLabel);
  const { precision, recall } = prCurve(clfCurve(pos, S.data, w));
  let ap = 0;
  for (let i = 0; i < recall.length - 1; i++) ap -= (recall[i + 1] - recall[i]) * precision[i];
  return ap;
}

