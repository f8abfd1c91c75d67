import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { checkArg, nonNeg, oneOf, parseOptions } from '../options';
import { describe } from '../shape';
import { Tensor } from '../tensor';
import { add, div, maximum, minimum, mul, sub } from './binary';
import { mean, sum } from './reduce';
import { concat, reshape, split } from './shape';
import { relu } from './unary';

// Detection box ops with torchvision.ops' semantics: boxes are [x1, y1, x2, y2] (xyxy) with
// x1 ≤ x2 and y1 ≤ y2, and a box's area is (x2 − x1)·(y2 − y1) (no +1, unlike the old Pascal VOC
// code). They live in tensor (not metrics) because metrics, models and plot all need them, and
// tensor is the one layer each of them may import.

/** Refuses NaN entries (where the op's result would depend on how NaN compares). */
function noNaN(op: string, name: string, t: Tensor): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (Number.isNaN(d[i])) throw new ArgumentError(`${op}: ${name} must not contain NaN, got NaN at flat index ${i} of ${fmtShape(t.shape)}`);
  }
}

function boxes(op: string, name: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new ArgumentError(`${op}: ${name} must be a Tensor of shape [N, 4], got ${describe(t)}`);
  if (t.ndim !== 2 || t.shape[1] !== 4) throw new ShapeError(`${op}: ${name} must have shape [N, 4] (x1, y1, x2, y2), got ${fmtShape(t.shape)}`);
  return t;
}

/**
 * Pairwise intersection over union of two sets of xyxy boxes (torchvision.ops.box_iou):
 * IoU[i][j] = |aᵢ ∩ bⱼ| / |aᵢ ∪ bⱼ|, areas (x2 − x1)·(y2 − y1). Differentiable (built from
 * elementwise ops); two empty boxes give 0/0 = NaN, as torchvision.
 *
 * Shapes: a [N, 4], b [M, 4] → [N, M].
 * @example
 * boxIou(tensor([[0, 0, 2, 2]]), tensor([[1, 1, 3, 3], [0, 0, 2, 2]])).toArray(); // [0.14285714924335480, 1]
 * @throws ArgumentError if a or b is not a Tensor; ShapeError if one is not [·, 4].
 * @see {@link nms}
 * @category Detection
 */
export function boxIou(a: Tensor, b: Tensor): Tensor {
  const { n, m, inter, union } = pairwise('boxIou', a, b);
  const out = div(inter, union);
  return n === 0 || m === 0 ? reshape(out, [n, m]) : out;
}

/** The [N, M] intersections and unions of two sets of xyxy boxes (checked), and their corners for the enclosing box. */
function pairwise(op: string, a: Tensor, b: Tensor): { n: number; m: number; inter: Tensor; union: Tensor; enclose: () => Tensor } {
  boxes(op, 'a', a);
  boxes(op, 'b', b);
  const n = a.shape[0], m = b.shape[0];
  const [ax1, ay1, ax2, ay2] = split(a, 4, 1); // each [N, 1]
  const [bx1, by1, bx2, by2] = split(b, 4, 1).map((t) => reshape(t, [1, m])); // each [1, M]
  const areaA = mul(sub(ax2, ax1), sub(ay2, ay1));
  const areaB = mul(sub(bx2, bx1), sub(by2, by1));
  const inter = mul(relu(sub(minimum(ax2, bx2), maximum(ax1, bx1))), relu(sub(minimum(ay2, by2), maximum(ay1, by1)))); // [N, M]
  const union = sub(add(areaA, areaB), inter);
  const enclose = () => mul(relu(sub(maximum(ax2, bx2), minimum(ax1, bx1))), relu(sub(maximum(ay2, by2), minimum(ay1, by1))));
  return { n, m, inter, union, enclose };
}

/**
 * Non-maximum suppression (torchvision.ops.nms): visits boxes by score, highest first, keeps a box
 * and drops every later box whose IoU with it is above `iouThreshold` (IoU equal to the threshold
 * is kept). Returns the kept indices in descending score order. Ties in score keep index order.
 * A NaN box or score is refused (it has no place in the order).
 *
 * Shapes: boxes [N, 4] xyxy, scores [N] → indices [K].
 * @example
 * nms(tensor([[0, 0, 2, 2], [0, 0, 2, 2.1], [5, 5, 6, 6]]), tensor([0.9, 0.8, 0.7]), 0.5); // [0, 2]
 * @throws ArgumentError if iouThreshold is not a number or a box or score is NaN; ShapeError if scores is not [N].
 * @see {@link boxIou}, {@link batchedNms}
 * @category Detection
 */
export function nms(boxesIn: Tensor, scores: Tensor, iouThreshold: number): number[] {
  const op = 'nms';
  const b = boxes(op, 'boxes', boxesIn);
  if (!(scores instanceof Tensor)) throw new ArgumentError(`${op}: scores must be a Tensor of shape [N], got ${describe(scores)}`);
  const n = b.shape[0];
  if (scores.ndim !== 1 || scores.shape[0] !== n) throw new ShapeError(`${op}: scores must have shape [${n}] to match boxes ${fmtShape(b.shape)}, got ${fmtShape(scores.shape)}`);
  if (typeof iouThreshold !== 'number' || Number.isNaN(iouThreshold)) throw new ArgumentError(`${op}: iouThreshold must be a number, got ${describe(iouThreshold)}`);
  noNaN(op, 'boxes', b);
  noNaN(op, 'scores', scores);
  const bx = b.data, s = scores.data;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => s[j] - s[i] || i - j);
  const area = (i: number): number => (bx[4 * i + 2] - bx[4 * i]) * (bx[4 * i + 3] - bx[4 * i + 1]);
  const removed = new Uint8Array(n);
  const keep: number[] = [];
  for (let p = 0; p < n; p++) {
    const i = order[p];
    if (removed[i]) continue;
    keep.push(i);
    const ai = area(i);
    for (let q = p + 1; q < n; q++) {
      const j = order[q];
      if (removed[j]) continue;
      const w = Math.max(0, Math.min(bx[4 * i + 2], bx[4 * j + 2]) - Math.max(bx[4 * i], bx[4 * j]));
      const h = Math.max(0, Math.min(bx[4 * i + 3], bx[4 * j + 3]) - Math.max(bx[4 * i + 1], bx[4 * j + 1]));
      const inter = w * h;
      if (inter / (ai + area(j) - inter) > iouThreshold) removed[j] = 1;
    }
  }
  return keep;
}

/**
 * Batched non-maximum suppression (torchvision.ops.batched_nms): {@link nms} run separately for
 * each category `idxs[i]`, so boxes of different categories never suppress each other. Returns the
 * kept indices sorted by score, highest first (ties in index order), as torchvision.
 *
 * Shapes: boxes [N, 4] xyxy, scores [N], idxs [N] (integer categories) → indices [K].
 * @example
 * batchedNms(tensor([[0, 0, 2, 2], [0, 0, 2, 2], [0, 0, 2, 2.1]]), tensor([0.9, 0.8, 0.7]), tensor([0, 1, 0]), 0.5); // [0, 1]
 * @throws ArgumentError if iouThreshold is not a number, an idx is not an integer, or a box or score is NaN;
 * ShapeError if scores or idxs is not [N].
 * @see {@link nms}
 * @category Detection
 */
export function batchedNms(boxesIn: Tensor, scores: Tensor, idxs: Tensor, iouThreshold: number): number[] {
  const op = 'batchedNms';
  const b = boxes(op, 'boxes', boxesIn);
  const n = b.shape[0];
  for (const [name, t] of [['scores', scores], ['idxs', idxs]] as const) {
    if (!(t instanceof Tensor)) throw new ArgumentError(`${op}: ${name} must be a Tensor of shape [N], got ${describe(t)}`);
    if (t.ndim !== 1 || t.shape[0] !== n) throw new ShapeError(`${op}: ${name} must have shape [${n}] to match boxes ${fmtShape(b.shape)}, got ${fmtShape(t.shape)}`);
  }
  if (typeof iouThreshold !== 'number' || Number.isNaN(iouThreshold)) throw new ArgumentError(`${op}: iouThreshold must be a number, got ${describe(iouThreshold)}`);
  noNaN(op, 'boxes', b);
  noNaN(op, 'scores', scores);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = idxs.data[i];
    if (!Number.isInteger(c)) throw new ArgumentError(`${op}: idxs must hold integer categories, got ${describe(c)} at index ${i}`);
    let g = groups.get(c);
    if (g === undefined) groups.set(c, (g = []));
    g.push(i);
  }
  const keep: number[] = [];
  for (const g of groups.values()) {
    const sub4 = new Float32Array(4 * g.length), subS = new Float32Array(g.length);
    g.forEach((i, k) => {
      sub4.set(b.data.subarray(4 * i, 4 * i + 4), 4 * k);
      subS[k] = scores.data[i];
    });
    for (const k of nms(new Tensor(sub4, [g.length, 4]), new Tensor(subS, [g.length]), iouThreshold)) keep.push(g[k]);
  }
  const s = scores.data;
  return keep.sort((i, j) => s[j] - s[i] || i - j);
}

/** The box formats {@link boxConvert} reads and writes. */
export type BoxFormat = 'xyxy' | 'xywh' | 'cxcywh';
const BOX_FORMATS: readonly BoxFormat[] = ['xyxy', 'xywh', 'cxcywh'];

/**
 * Converts boxes between formats (torchvision.ops.box_convert): 'xyxy' = (x1, y1, x2, y2),
 * 'xywh' = (x1, y1, w, h), 'cxcywh' = (cx, cy, w, h), with x2 = x1 + w and cx = (x1 + x2)/2.
 * Differentiable (built from elementwise ops).
 *
 * Shapes: boxes [N, 4] → [N, 4].
 * Gradient: through the linear maps above, e.g. xyxy → cxcywh: ∂cx/∂x1 = ½, ∂w/∂x1 = −1.
 * @example
 * boxConvert(tensor([[1, 2, 4, 6]]), 'xyxy', 'cxcywh').toArray(); // [2.5, 4, 3, 4]
 * @throws ArgumentError for an unknown format; ShapeError if boxes is not [N, 4].
 * @see {@link boxIou}
 * @category Detection
 */
export function boxConvert(boxesIn: Tensor, inFmt: BoxFormat, outFmt: BoxFormat): Tensor {
  const op = 'boxConvert';
  const b = boxes(op, 'boxes', boxesIn);
  const from = checkArg(op, 'inFmt', inFmt, oneOf(BOX_FORMATS));
  const to = checkArg(op, 'outFmt', outFmt, oneOf(BOX_FORMATS));
  if (from === to) return b;
  const [p, q, r, s] = split(b, 4, 1); // each [N, 1]
  // Through xyxy, as torchvision.
  let x1 = p, y1 = q, x2 = r, y2 = s;
  if (from === 'xywh') {
    x2 = add(p, r);
    y2 = add(q, s);
  } else if (from === 'cxcywh') {
    x1 = sub(p, mul(r, 0.5));
    y1 = sub(q, mul(s, 0.5));
    x2 = add(p, mul(r, 0.5));
    y2 = add(q, mul(s, 0.5));
  }
  if (to === 'xyxy') return concat([x1, y1, x2, y2], 1);
  const w = sub(x2, x1), h = sub(y2, y1);
  if (to === 'xywh') return concat([x1, y1, w, h], 1);
  return concat([mul(add(x1, x2), 0.5), mul(add(y1, y2), 0.5), w, h], 1);
}

/**
 * Pairwise generalized IoU of two sets of xyxy boxes (torchvision.ops.generalized_box_iou):
 * GIoU[i][j] = IoU − (|C| − |aᵢ ∪ bⱼ|) / |C|, C the smallest box enclosing aᵢ and bⱼ; in [−1, 1].
 * Differentiable (built from elementwise ops).
 *
 * Shapes: a [N, 4], b [M, 4] → [N, M].
 * Gradient: that of the composed formula (min/max route the gradient to the winning coordinate).
 * @example
 * // disjoint unit squares 1 apart: IoU 0, |C| = 3, |∪| = 2 → −1/3
 * generalizedBoxIou(tensor([[0, 0, 1, 1]]), tensor([[2, 0, 3, 1]])).toArray(); // [-0.3333333432674408]
 * @throws ArgumentError if a or b is not a Tensor; ShapeError if one is not [·, 4].
 * @see Rezatofighi et al., "Generalized Intersection over Union" (CVPR 2019), https://arxiv.org/abs/1902.09630
 * @category Detection
 */
export function generalizedBoxIou(a: Tensor, b: Tensor): Tensor {
  const p = pairwise('generalizedBoxIou', a, b);
  const { n, m, inter, union } = p;
  const enclose = p.enclose();
  const out = sub(div(inter, union), div(sub(enclose, union), enclose));
  return n === 0 || m === 0 ? reshape(out, [n, m]) : out;
}

/** Options of {@link giouLoss}. */
export interface GiouLossOptions {
  /** 'none' (per pair), 'mean' (default 'none', as torchvision) or 'sum'. */
  reduction?: 'none' | 'mean' | 'sum';
  /** Added to the union and the enclosing area before dividing (default 1e-7, as torchvision). */
  eps?: number;
}

const GIOU_SPEC = { reduction: oneOf(['none', 'mean', 'sum'] as const), eps: nonNeg };

/**
 * Generalized IoU loss of paired boxes (torchvision.ops.generalized_box_iou_loss):
 * loss[i] = 1 − (IoUᵢ − (|Cᵢ| − |∪ᵢ|) / (|Cᵢ| + ε)), IoUᵢ = |∩ᵢ| / (|∪ᵢ| + ε), Cᵢ the box
 * enclosing aᵢ and bᵢ; in [0, 2]. Unlike 1 − IoU it still has a gradient when the boxes are disjoint.
 *
 * Shapes: a [N, 4], b [N, 4] xyxy → [N] ('none') or [] ('mean', 'sum'). The mean of no pairs is 0.
 * Gradient: that of the composed formula.
 * @example
 * giouLoss(tensor([[0, 0, 1, 1]]), tensor([[2, 0, 3, 1]])).toArray(); // [1.3333333730697632]
 * @throws ArgumentError on a bad option; ShapeError if a or b is not [N, 4] or their N differ.
 * @see {@link generalizedBoxIou}
 * @category Detection
 */
export function giouLoss(a: Tensor, b: Tensor, options: GiouLossOptions = {}): Tensor {
  const op = 'giouLoss';
  boxes(op, 'a', a);
  boxes(op, 'b', b);
  const { reduction, eps } = { reduction: 'none' as const, eps: 1e-7, ...parseOptions(op, options, GIOU_SPEC) };
  const n = a.shape[0];
  if (b.shape[0] !== n) throw new ShapeError(`${op}: a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)} must hold the same number of boxes (pairs)`);
  const [x1, y1, x2, y2] = split(a, 4, 1);
  const [gx1, gy1, gx2, gy2] = split(b, 4, 1);
  const inter = mul(relu(sub(minimum(x2, gx2), maximum(x1, gx1))), relu(sub(minimum(y2, gy2), maximum(y1, gy1))));
  const union = sub(add(mul(sub(x2, x1), sub(y2, y1)), mul(sub(gx2, gx1), sub(gy2, gy1))), inter);
  const enclose = mul(sub(maximum(x2, gx2), minimum(x1, gx1)), sub(maximum(y2, gy2), minimum(y1, gy1)));
  const iou = div(inter, add(union, eps));
  const loss = reshape(sub(1, sub(iou, div(sub(enclose, union), add(enclose, eps)))), [n]);
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return sum(loss);
  return n === 0 ? mul(sum(loss), 0) : mean(loss);
}
