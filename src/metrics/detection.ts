import { ArgumentError, ShapeError } from '../tensor/index';
import { arrayOf, num, parseOptions, posInt } from '../tensor/options';
import { labelVector, values, vector, type MetricArray, type MetricMatrix } from './util';

// COCO's bounding-box mAP (pycocotools' COCOeval with iouType 'bbox', area range 'all', no crowd
// annotations), on plain arrays: IoU is computed here in float64 rather than with tensor's boxIou,
// because COCO computes it in double and the matching is sensitive to IoUs right at a threshold.

/** The detections of one image (xyxy boxes in pixels), as {@link meanAveragePrecision} reads them. */
export interface DetectionPrediction {
  /** Boxes [K, 4] as (x1, y1, x2, y2): nested arrays or a Tensor. */
  boxes: MetricMatrix;
  /** Confidence of each box [K]. */
  scores: MetricArray;
  /** Integer class of each box [K]. */
  labels: MetricArray;
}

/** The ground truth of one image, as {@link meanAveragePrecision} reads it. */
export interface DetectionTarget {
  /** Boxes [G, 4] as (x1, y1, x2, y2): nested arrays or a Tensor. */
  boxes: MetricMatrix;
  /** Integer class of each box [G]. */
  labels: MetricArray;
}

/** Options of {@link meanAveragePrecision}. */
export interface MeanAveragePrecisionOptions {
  /** IoU thresholds averaged over (default COCO's 0.50:0.05:0.95, ten values). */
  iouThresholds?: number[];
  /** Highest-scoring detections kept per image and class (default 100, COCO's maxDets). */
  maxDetections?: number;
}

/** Average precision of one class, from {@link meanAveragePrecision}. */
export interface ClassAveragePrecision {
  /** The class label. */
  label: number;
  /** AP averaged over the IoU thresholds. */
  ap: number;
  /** AP at IoU 0.5 (−1 when 0.5 is not among the thresholds). */
  ap50: number;
  /** AP at IoU 0.75 (−1 when 0.75 is not among the thresholds). */
  ap75: number;
  /** Ground-truth boxes of the class over all images. */
  numGroundTruth: number;
}

/** Result of {@link meanAveragePrecision}. */
export interface MeanAveragePrecision {
  /** COCO's AP: mean over classes and IoU thresholds (−1 when no image has a ground-truth box). */
  map: number;
  /** AP at IoU 0.5 averaged over classes (PASCAL VOC's metric, with COCO's interpolation). */
  map50: number;
  /** AP at IoU 0.75 averaged over classes. */
  map75: number;
  /** One entry per class that has ground truth, by label. */
  perClass: ClassAveragePrecision[];
}

/** np.linspace(start, stop, num) as numpy computes it (i·step + start, the last point exactly stop). */
function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => i * step + start);
  out[num - 1] = stop;
  return out;
}

const COCO_IOU = linspace(0.5, 0.95, 10);
const REC_THRS = linspace(0, 1, 101);

const SPEC = { iouThresholds: arrayOf(num({ min: 0, max: 1 }), { min: 1 }), maxDetections: posInt };

interface Parsed {
  boxes: Float64Array; // [K, 4]
  labels: Float64Array; // [K]
  scores: Float64Array | null;
}

function parseBoxes(fn: string, name: string, b: MetricMatrix): Float64Array {
  const v = values(fn, name, b);
  if (v.rows === 0) return new Float64Array(0);
  if (v.ndim !== 2 || v.cols !== 4) throw new ShapeError(`${fn}: ${name} must be [K, 4] boxes (x1, y1, x2, y2), got shape [${v.ndim === 1 ? v.rows : `${v.rows}, ${v.cols}`}]`);
  return v.data;
}

function parseImage(fn: string, name: string, x: unknown, withScores: boolean): Parsed {
  if (x === null || typeof x !== 'object') throw new ArgumentError(`${fn}: ${name} must be an object { boxes, ${withScores ? 'scores, ' : ''}labels }, got ${x === null ? 'null' : typeof x}`);
  const o = x as Partial<DetectionPrediction>;
  if (o.boxes === undefined || o.labels === undefined || (withScores && o.scores === undefined)) {
    throw new ArgumentError(`${fn}: ${name} must have boxes, ${withScores ? 'scores and ' : ''}labels`);
  }
  const boxes = parseBoxes(fn, `${name}.boxes`, o.boxes);
  const k = boxes.length / 4;
  const labels = labelVector(fn, `${name}.labels`, o.labels);
  if (labels.length !== k) throw new ShapeError(`${fn}: ${name} has ${k} boxes but ${labels.length} labels`);
  let scores: Float64Array | null = null;
  if (withScores) {
    scores = vector(fn, `${name}.scores`, o.scores as MetricArray);
    if (scores.length !== k) throw new ShapeError(`${fn}: ${name} has ${k} boxes but ${scores.length} scores`);
  }
  for (let i = 0; i < k; i++) {
    if (boxes[4 * i + 2] < boxes[4 * i] || boxes[4 * i + 3] < boxes[4 * i + 1]) {
      throw new ArgumentError(`${fn}: ${name}.boxes[${i}] = [${Array.from(boxes.subarray(4 * i, 4 * i + 4)).join(', ')}] must have x1 ≤ x2 and y1 ≤ y2`);
    }
  }
  return { boxes, labels, scores };
}

/** IoU of box i of a and box j of b (xyxy, no +1), as COCO's bbIou (0 when they do not overlap). */
function iou(a: Float64Array, i: number, b: Float64Array, j: number): number {
  const w = Math.min(a[4 * i + 2], b[4 * j + 2]) - Math.max(a[4 * i], b[4 * j]);
  if (w <= 0) return 0;
  const h = Math.min(a[4 * i + 3], b[4 * j + 3]) - Math.max(a[4 * i + 1], b[4 * j + 1]);
  if (h <= 0) return 0;
  const inter = w * h;
  const areaA = (a[4 * i + 2] - a[4 * i]) * (a[4 * i + 3] - a[4 * i + 1]);
  const areaB = (b[4 * j + 2] - b[4 * j]) * (b[4 * j + 3] - b[4 * j + 1]);
  return inter / (areaA + areaB - inter);
}

/**
 * Mean average precision of object detections, COCO's definition (pycocotools' COCOeval, bbox,
 * area 'all', maxDets 100). Per class c and IoU threshold t: each image's detections of c, sorted
 * by score and cut to `maxDetections`, are matched greedily to the unmatched ground-truth box of
 * highest IoU ≥ t (each ground truth matched once); over all images, detections sorted by score
 * give precision Pᵢ and recall Rᵢ; P is made monotone (Pᵢ ← maxⱼ≥ᵢ Pⱼ) and sampled at the 101
 * recalls r = 0, 0.01, …, 1 (the first i with Rᵢ ≥ r, 0 past the last); AP is their mean.
 * mAP averages AP over thresholds and over classes that have ground truth (a class with only
 * false positives counts as 0; one without ground truth is skipped). Boxes are xyxy, areas
 * (x2 − x1)·(y2 − y1), IoU in float64.
 *
 * Shapes: predictions and targets are arrays with one entry per image; an image's boxes [K, 4],
 * scores [K], labels [K] (ragged across images).
 * @example
 * const t = [{ boxes: [[0, 0, 10, 10]], labels: [1] }];
 * meanAveragePrecision([{ boxes: [[0, 0, 10, 10]], scores: [0.9], labels: [1] }], t).map; // 1
 * // a false positive ranked above the match: precision 1/2 at every recall
 * meanAveragePrecision([{ boxes: [[20, 20, 30, 30], [0, 0, 10, 10]], scores: [0.9, 0.8], labels: [1, 1] }], t).map50; // 0.5
 * @throws ArgumentError when the arrays differ in length, a value is not finite, a label is not an
 * integer, a box has x2 < x1 or y2 < y1, or an option is malformed; ShapeError when an image's
 * boxes are not [K, 4] or its scores or labels do not have K entries.
 * @see Lin et al., "Microsoft COCO: Common Objects in Context" (2014), https://arxiv.org/abs/1405.0312; https://cocodataset.org/#detection-eval
 * @category Metrics
 */
export function meanAveragePrecision(
  predictions: readonly DetectionPrediction[], targets: readonly DetectionTarget[], options: MeanAveragePrecisionOptions = {},
): MeanAveragePrecision {
  const fn = 'meanAveragePrecision';
  const o = parseOptions(fn, options, SPEC);
  const thresholds = o.iouThresholds ?? COCO_IOU;
  const maxDet = o.maxDetections ?? 100;
  if (!Array.isArray(predictions)) throw new ArgumentError(`${fn}: predictions must be an array (one entry per image), got ${typeof predictions}`);
  if (!Array.isArray(targets)) throw new ArgumentError(`${fn}: targets must be an array (one entry per image), got ${typeof targets}`);
  if (predictions.length !== targets.length) throw new ArgumentError(`${fn}: predictions has ${predictions.length} images but targets has ${targets.length}`);
  const preds = predictions.map((p, i) => parseImage(fn, `predictions[${i}]`, p, true));
  const gts = targets.map((t, i) => parseImage(fn, `targets[${i}]`, t, false));

  const classes = new Set<number>();
  for (const g of gts) for (const l of g.labels) classes.add(l);
  const T = thresholds.length, R = REC_THRS.length;
  const perClass: ClassAveragePrecision[] = [];
  const tIndex = (v: number) => thresholds.findIndex((t) => Math.abs(t - v) < 1e-12);
  const i50 = tIndex(0.5), i75 = tIndex(0.75);
  const sumAt = new Float64Array(T);

  for (const c of [...classes].sort((a, b) => a - b)) {
    // Every detection of class c over all images: its score and, per threshold, whether it matched.
    const scores: number[] = [];
    const matched: Uint8Array[] = []; // [T] per detection
    let nGt = 0;
    preds.forEach((p, img) => {
      const g = gts[img];
      const gIdx: number[] = [];
      for (let j = 0; j < g.labels.length; j++) if (g.labels[j] === c) gIdx.push(j);
      nGt += gIdx.length;
      const dIdx: number[] = [];
      for (let j = 0; j < p.labels.length; j++) if (p.labels[j] === c) dIdx.push(j);
      const s = p.scores!;
      dIdx.sort((a, b) => s[b] - s[a]); // stable, as COCO's mergesort
      if (dIdx.length > maxDet) dIdx.length = maxDet;
      const ious = dIdx.map((d) => gIdx.map((gj) => iou(p.boxes, d, g.boxes, gj)));
      const dm = dIdx.map(() => new Uint8Array(T));
      for (let t = 0; t < T; t++) {
        const gtTaken = new Uint8Array(gIdx.length);
        for (let d = 0; d < dIdx.length; d++) {
          let best = Math.min(thresholds[t], 1 - 1e-10);
          let m = -1;
          for (let k = 0; k < gIdx.length; k++) {
            if (gtTaken[k]) continue;
            // `<` with ties replacing: COCO keeps the last ground truth of the highest IoU
            if (ious[d][k] < best) continue;
            best = ious[d][k];
            m = k;
          }
          if (m === -1) continue;
          gtTaken[m] = 1;
          dm[d][t] = 1;
        }
      }
      dIdx.forEach((d, k) => {
        scores.push(s[d]);
        matched.push(dm[k]);
      });
    });
    const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
    const apAt = new Float64Array(T);
    const nd = order.length;
    const pr = new Float64Array(nd), rc = new Float64Array(nd);
    for (let t = 0; t < T; t++) {
      let tp = 0, fp = 0;
      for (let i = 0; i < nd; i++) {
        if (matched[order[i]][t]) tp++;
        else fp++;
        rc[i] = tp / nGt;
        pr[i] = tp / (tp + fp);
      }
      for (let i = nd - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
      let acc = 0;
      let i = 0;
      for (let r = 0; r < R; r++) {
        while (i < nd && rc[i] < REC_THRS[r]) i++; // np.searchsorted(rc, r, 'left')
        if (i === nd) break;
        acc += pr[i];
      }
      apAt[t] = acc / R;
      sumAt[t] += apAt[t];
    }
    let ap = 0;
    for (let t = 0; t < T; t++) ap += apAt[t];
    perClass.push({ label: c, ap: ap / T, ap50: i50 < 0 ? -1 : apAt[i50], ap75: i75 < 0 ? -1 : apAt[i75], numGroundTruth: nGt });
  }
  const K = perClass.length;
  if (K === 0) return { map: -1, map50: -1, map75: -1, perClass };
  let total = 0;
  for (let t = 0; t < T; t++) total += sumAt[t];
  return {
    map: total / (K * T),
    map50: i50 < 0 ? -1 : sumAt[i50] / K,
    map75: i75 < 0 ? -1 : sumAt[i75] / K,
    perClass,
  };
}
