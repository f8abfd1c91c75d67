import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ArgumentError, batchedNms, boxConvert, boxIou, Generator, generalizedBoxIou, giouLoss, nms, ShapeError, sum, tensor, zeros,
  type BoxFormat, type Tensor,
} from '../../src/tensor/index';
import { expectClose, expectGrad, expectThrows } from '../helpers/check';

interface Fixture {
  source: string;
  boxIou: { a: number[][]; b: number[][]; iou: number[][] }[];
  nms: { boxes: number[][]; scores: number[]; iouThreshold: number; keep: number[] }[];
  batchedNms: { boxes: number[][]; scores: number[]; idxs: number[]; iouThreshold: number; keep: number[] }[];
  generalizedBoxIou: { a: number[][]; b: number[][]; giou: number[][] }[];
  boxConvert: { boxes: number[][]; inFmt: BoxFormat; outFmt: BoxFormat; out: number[][] }[];
  giouLoss: {
    a: number[][]; b: number[][]; reduction: 'none' | 'mean' | 'sum'; eps: number; loss: number[]; gradA: number[][]; gradB: number[][];
  }[];
}
const fx = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/boxes.json'), 'utf8')) as Fixture;

describe('boxIou', () => {
  it('matches the reference on random boxes (test/fixtures/gen_boxes.py)', () => {
    for (const c of fx.boxIou) expectClose(boxIou(tensor(c.a), tensor(c.b)).toArray(), c.iou.flat(), 1e-6, 1e-5);
  });
  it('uses areas without +1: unit squares overlapping by half have IoU 1/3', () => {
    // |∩| = 0.5·1, |∪| = 1 + 1 − 0.5
    expectClose(boxIou(tensor([[0, 0, 1, 1]]), tensor([[0.5, 0, 1.5, 1], [2, 2, 3, 3]])).toArray(), [1 / 3, 0]);
  });
  it('has the gradient of the composed formula for a box strictly inside another', () => {
    // a = [x1, y1, x2, y2] inside b = [0, 0, 2, 1]: IoU = (x2 − x1)(y2 − y1) / 2, so
    // ∂/∂x1 = −(y2 − y1)/2, ∂/∂x2 = (y2 − y1)/2, ∂/∂y1 = −(x2 − x1)/2, ∂/∂y2 = (x2 − x1)/2
    const a = tensor([[0.5, 0.25, 1.5, 0.75]], { requiresGrad: true });
    sum(boxIou(a, tensor([[0, 0, 2, 1]]))).backward();
    expectClose(a.grad!, [-0.25, -0.5, 0.25, 0.5]);
  });
  it('gives [N, 0] for no boxes and refuses other shapes', () => {
    expect(boxIou(tensor([[0, 0, 1, 1]]), zeros([0, 4])).shape).toEqual([1, 0]);
    expectThrows(() => boxIou(zeros([2, 3]), zeros([1, 4])), ShapeError, 'boxIou: a must have shape [N, 4] (x1, y1, x2, y2), got [2, 3]');
    expectThrows(() => boxIou([[0, 0, 1, 1]] as never, zeros([1, 4])), ArgumentError, 'boxIou: a must be a Tensor');
  });
});

describe('nms', () => {
  it('keeps the reference indices in the reference order (test/fixtures/gen_boxes.py)', () => {
    for (const c of fx.nms) expect(nms(tensor(c.boxes), tensor(c.scores), c.iouThreshold)).toEqual(c.keep);
  });
  it('keeps a box whose IoU equals the threshold and drops one above it', () => {
    const b = tensor([[0, 0, 1, 1], [0.5, 0, 1.5, 1]]); // IoU 1/3
    expect(nms(b, tensor([0.9, 0.8]), 0.5)).toEqual([0, 1]);
    expect(nms(b, tensor([0.8, 0.9]), 0.2)).toEqual([1]);
    expect(nms(tensor([[0, 0, 2, 1], [0, 0, 1, 1]]), tensor([1, 0.5]), 0.5)).toEqual([0, 1]); // IoU exactly 0.5
  });
  it('refuses mismatched scores and a non-number threshold', () => {
    expectThrows(() => nms(zeros([2, 4]), zeros([3]), 0.5), ShapeError, 'nms: scores must have shape [2] to match boxes [2, 4], got [3]');
    expectThrows(() => nms(zeros([2, 4]), zeros([2]), NaN), ArgumentError, 'nms: iouThreshold must be a number, got NaN');
  });
});

/** n random xyxy boxes in [0, size)² with sides in [lo, lo + 0.4·size) (kept away from the min/max kinks by chance only). */
function randBoxes(n: number, rng: Generator, size = 10, lo = 1): Tensor {
  const d = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    const x = rng.random() * size, y = rng.random() * size;
    d.set([x, y, x + lo + rng.random() * 0.4 * size, y + lo + rng.random() * 0.4 * size], 4 * i);
  }
  return tensor(Array.from({ length: n }, (_, i) => Array.from(d.subarray(4 * i, 4 * i + 4))));
}

describe('nms and NaN', () => {
  it('refuses a NaN box or score (the visiting order would be undefined)', () => {
    expectThrows(() => nms(tensor([[0, 0, 1, NaN]]), tensor([1]), 0.5), ArgumentError, 'nms: boxes must not contain NaN, got NaN at flat index 3 of [1, 4]');
    expectThrows(() => nms(zeros([1, 4]), tensor([NaN]), 0.5), ArgumentError, 'nms: scores must not contain NaN');
  });
});

describe('batchedNms', () => {
  it('keeps the reference indices in the reference order (test/fixtures/gen_boxes.py)', () => {
    for (const c of fx.batchedNms) {
      const keep = batchedNms(tensor(c.boxes), tensor(c.scores), tensor(c.idxs), c.iouThreshold);
      expect(keep).toEqual(c.keep);
      // the categories matter: plain nms on the same boxes keeps fewer
      expect(nms(tensor(c.boxes), tensor(c.scores), c.iouThreshold).length).toBeLessThan(keep.length);
    }
  });
  it('never lets one category suppress another, and sorts the union by score', () => {
    // boxes 0 and 1 are identical but of different categories; box 2 overlaps box 0 (IoU 2/2.1) in category 0
    const b = tensor([[0, 0, 2, 2], [0, 0, 2, 2], [0, 0, 2, 2.1], [5, 5, 6, 6]]);
    expect(batchedNms(b, tensor([0.5, 0.9, 0.8, 0.7]), tensor([0, 1, 0, 1]), 0.5)).toEqual([1, 2, 3]);
    expect(batchedNms(b, tensor([0.5, 0.9, 0.8, 0.7]), tensor([0, 0, 0, 0]), 0.5)).toEqual(nms(b, tensor([0.5, 0.9, 0.8, 0.7]), 0.5));
    expect(batchedNms(zeros([0, 4]), zeros([0]), zeros([0]), 0.5)).toEqual([]);
  });
  it('refuses mismatched idxs, non-integer categories and NaN', () => {
    expectThrows(() => batchedNms(zeros([2, 4]), zeros([2]), zeros([3]), 0.5), ShapeError, 'batchedNms: idxs must have shape [2] to match boxes [2, 4], got [3]');
    expectThrows(() => batchedNms(zeros([2, 4]), zeros([2]), tensor([0, 0.5]), 0.5), ArgumentError, 'batchedNms: idxs must hold integer categories, got 0.5 at index 1');
    expectThrows(() => batchedNms(zeros([1, 4]), tensor([NaN]), zeros([1]), 0.5), ArgumentError, 'batchedNms: scores must not contain NaN');
    expectThrows(() => batchedNms(zeros([1, 3]), zeros([1]), zeros([1]), 0.5), ShapeError, 'batchedNms: boxes must have shape [N, 4]');
  });
});

describe('boxConvert', () => {
  it('matches the reference for each pair of formats (test/fixtures/gen_boxes.py)', () => {
    for (const c of fx.boxConvert) expectClose(boxConvert(tensor(c.boxes), c.inFmt, c.outFmt).toArray(), c.out.flat(), 1e-5, 1e-6);
  });
  it('is the closed form on one box and round-trips', () => {
    // [1, 2, 4, 6]: w = 3, h = 4, centre (2.5, 4)
    const b = tensor([[1, 2, 4, 6]]);
    expect(boxConvert(b, 'xyxy', 'xywh').toArray()).toEqual([1, 2, 3, 4]);
    expect(boxConvert(b, 'xyxy', 'cxcywh').toArray()).toEqual([2.5, 4, 3, 4]);
    expect(boxConvert(boxConvert(b, 'xyxy', 'cxcywh'), 'cxcywh', 'xywh').toArray()).toEqual([1, 2, 3, 4]);
    expect(boxConvert(zeros([0, 4]), 'xywh', 'xyxy').shape).toEqual([0, 4]);
  });
  it('has the gradient of the linear map', () => {
    const rng = new Generator(1);
    const fmts: BoxFormat[] = ['xyxy', 'xywh', 'cxcywh'];
    for (const f of fmts) for (const g of fmts) if (f !== g) expectGrad((x) => boxConvert(x, f, g), [randBoxes(3, rng)]);
    // xyxy → cxcywh on one box, cotangent e_w: ∂w/∂(x1, y1, x2, y2) = (−1, 0, 1, 0)
    const x = tensor([[1, 2, 4, 6]], { requiresGrad: true });
    boxConvert(x, 'xyxy', 'cxcywh').backward(tensor([[0, 0, 1, 0]]));
    expect(Array.from(x.grad!)).toEqual([-1, 0, 1, 0]);
  });
  it('refuses unknown formats and bad shapes', () => {
    expectThrows(() => boxConvert(zeros([1, 4]), 'xyxy', 'yxyx' as BoxFormat), ArgumentError, "boxConvert: outFmt must be one of 'xyxy', 'xywh', 'cxcywh'");
    expectThrows(() => boxConvert(zeros([1, 4]), 'cxcy' as BoxFormat, 'xyxy'), ArgumentError, 'boxConvert: inFmt');
    expectThrows(() => boxConvert(zeros([4]), 'xyxy', 'xywh'), ShapeError, 'boxConvert: boxes must have shape [N, 4] (x1, y1, x2, y2), got [4]');
  });
});

describe('generalizedBoxIou', () => {
  it('matches the reference on random boxes (test/fixtures/gen_boxes.py)', () => {
    for (const c of fx.generalizedBoxIou) expectClose(generalizedBoxIou(tensor(c.a), tensor(c.b)).toArray(), c.giou.flat(), 1e-6, 1e-5);
  });
  it('equals IoU when one box encloses the other and −1/3 for unit squares a unit apart', () => {
    // a inside b: C = b = a ∪ b, so the penalty is 0
    const a = tensor([[0.5, 0.25, 1.5, 0.75]]), b = tensor([[0, 0, 2, 1], [2, 0, 3, 1]]);
    expectClose(generalizedBoxIou(a, b).toArray().slice(0, 1), boxIou(a, b).toArray().slice(0, 1));
    // [0,0,1,1] vs [2,0,3,1]: IoU 0, |C| = 3, |∪| = 2 → −(3 − 2)/3
    expectClose(generalizedBoxIou(tensor([[0, 0, 1, 1]]), tensor([[2, 0, 3, 1]])).toArray(), [-1 / 3]);
    expect(generalizedBoxIou(zeros([0, 4]), tensor([[0, 0, 1, 1]])).shape).toEqual([0, 1]);
  });
  it('has the gradient of the composed formula, also for disjoint boxes', () => {
    const rng = new Generator(2);
    expectGrad((a, b) => generalizedBoxIou(a, b), [randBoxes(4, rng), randBoxes(3, rng)]);
    expectGrad((a) => generalizedBoxIou(a, tensor([[20, 20, 22, 23]])), [randBoxes(3, rng)]); // all disjoint: only the penalty term
  });
  it('refuses bad shapes', () => {
    expectThrows(() => generalizedBoxIou(zeros([2, 4]), zeros([2, 5])), ShapeError, 'generalizedBoxIou: b must have shape [N, 4] (x1, y1, x2, y2), got [2, 5]');
  });
});

describe('giouLoss', () => {
  it('matches the reference values and gradients for each reduction and eps (test/fixtures/gen_boxes.py)', () => {
    for (const c of fx.giouLoss) {
      const a = tensor(c.a, { requiresGrad: true }), b = tensor(c.b, { requiresGrad: true });
      const loss = giouLoss(a, b, { reduction: c.reduction, eps: c.eps });
      expect(loss.shape).toEqual(c.reduction === 'none' ? [c.a.length] : []);
      expectClose(loss.toArray(), c.loss, 1e-5, 1e-5);
      sum(loss).backward();
      expectClose(a.grad!, c.gradA.flat(), 1e-5, 1e-4);
      expectClose(b.grad!, c.gradB.flat(), 1e-5, 1e-4);
    }
  });
  it('is 0 for identical boxes and 4/3 for unit squares a unit apart (eps 0)', () => {
    // identical: IoU 1, C = ∪ → 1 − 1; apart: 1 − (0 − 1/3)
    expectClose(giouLoss(tensor([[0, 0, 2, 3], [0, 0, 1, 1]]), tensor([[0, 0, 2, 3], [2, 0, 3, 1]]), { eps: 0 }).toArray(), [0, 4 / 3]);
    expectClose(giouLoss(tensor([[0, 0, 2, 3], [0, 0, 1, 1]]), tensor([[0, 0, 2, 3], [2, 0, 3, 1]]), { reduction: 'mean', eps: 0 }).toArray(), [2 / 3]);
    expect(giouLoss(zeros([0, 4]), zeros([0, 4]), { reduction: 'mean' }).item()).toBe(0);
  });
  it('passes gradcheck in a random direction', () => {
    const rng = new Generator(3);
    expectGrad((a, b) => giouLoss(a, b), [randBoxes(5, rng), randBoxes(5, rng)]);
    expectGrad((a, b) => giouLoss(a, b, { reduction: 'mean', eps: 0.1 }), [randBoxes(5, rng), randBoxes(5, rng)]);
  });
  it('refuses mismatched pairs and bad options', () => {
    expectThrows(() => giouLoss(zeros([2, 4]), zeros([3, 4])), ShapeError, 'giouLoss: a [2, 4] and b [3, 4] must hold the same number of boxes');
    expectThrows(() => giouLoss(zeros([1, 4]), zeros([1, 4]), { reduction: 'avg' as 'mean' }), ArgumentError, 'giouLoss: reduction must be one of');
    expectThrows(() => giouLoss(zeros([1, 4]), zeros([1, 4]), { eps: NaN }), ArgumentError, 'giouLoss: eps');
  });
});
