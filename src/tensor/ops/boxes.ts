import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { describe } from '../shape';
import { Tensor } from '../tensor';
import { add, div, maximum, minimum, mul, sub } from './binary';
import { reshape, split } from './shape';
import { relu } from './unary';

// Detection box ops with torchvision.ops' semantics: boxes are [x1, y1, x2, y2] (xyxy) with
// x1 ≤ x2 and y1 ≤ y2, and a box's area is (x2 − x1)·(y2 − y1) (no +1, unlike the old Pascal VOC
// code). They live in tensor (not metrics) because metrics, models and plot all need them, and
// tensor is the one layer each of them may import.

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
  const op = 'boxIou';
  boxes(op, 'a', a);
  boxes(op, 'b', b);
  const n = a.shape[0], m = b.shape[0];
  const [ax1, ay1, ax2, ay2] = split(a, 4, 1); // each [N, 1]
  const [bx1, by1, bx2, by2] = split(b, 4, 1).map((t) => reshape(t, [1, m])); // each [1, M]
  const areaA = mul(sub(ax2, ax1), sub(ay2, ay1));
  const areaB = mul(sub(bx2, bx1), sub(by2, by1));
  const w = relu(sub(minimum(ax2, bx2), maximum(ax1, bx1)));
  const h = relu(sub(minimum(ay2, by2), maximum(ay1, by1)));
  const inter = mul(w, h); // [N, M]
  const out = div(inter, sub(add(areaA, areaB), inter));
  return n === 0 || m === 0 ? reshape(out, [n, m]) : out;
}

/**
 * Non-maximum suppression (torchvision.ops.nms): visits boxes by score, highest first, keeps a box
 * and drops every later box whose IoU with it is above `iouThreshold` (IoU equal to the threshold
 * is kept). Returns the kept indices in descending score order. Ties in score keep index order.
 *
 * Shapes: boxes [N, 4] xyxy, scores [N] → indices [K].
 * @example
 * nms(tensor([[0, 0, 2, 2], [0, 0, 2, 2.1], [5, 5, 6, 6]]), tensor([0.9, 0.8, 0.7]), 0.5); // [0, 2]
 * @throws ArgumentError if iouThreshold is not a number; ShapeError if scores is not [N].
 * @see {@link boxIou}
 * @category Detection
 */
export function nms(boxesIn: Tensor, scores: Tensor, iouThreshold: number): number[] {
  const op = 'nms';
  const b = boxes(op, 'boxes', boxesIn);
  if (!(scores instanceof Tensor)) throw new ArgumentError(`${op}: scores must be a Tensor of shape [N], got ${describe(scores)}`);
  const n = b.shape[0];
  if (scores.ndim !== 1 || scores.shape[0] !== n) throw new ShapeError(`${op}: scores must have shape [${n}] to match boxes ${fmtShape(b.shape)}, got ${fmtShape(scores.shape)}`);
  if (typeof iouThreshold !== 'number' || Number.isNaN(iouThreshold)) throw new ArgumentError(`${op}: iouThreshold must be a number, got ${describe(iouThreshold)}`);
  const bx = b.toArray(), s = scores.toArray();
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
