import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ArgumentError, boxIou, nms, ShapeError, sum, tensor, zeros } from '../../src/tensor/index';
import { expectClose, expectThrows } from '../helpers/check';

interface Fixture {
  source: string;
  boxIou: { a: number[][]; b: number[][]; iou: number[][] }[];
  nms: { boxes: number[][]; scores: number[]; iouThreshold: number; keep: number[] }[];
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
