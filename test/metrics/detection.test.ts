import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ArgumentError, ShapeError, tensor } from '../../src/tensor/index';
import { meanAveragePrecision, type DetectionPrediction, type DetectionTarget, type MeanAveragePrecisionOptions } from '../../src/metrics/index';
import { expectThrows } from '../helpers/check';

interface Case {
  predictions: DetectionPrediction[];
  targets: DetectionTarget[];
  options: MeanAveragePrecisionOptions;
  expected: { map: number; map50: number; map75: number; perClass: { label: number; ap: number; ap50: number }[] };
}
const fx = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/detection.json'), 'utf8')) as { cases: Case[] };

const box = (x: number, y: number, w = 10, h = 10) => [x, y, x + w, y + h];
const one = (boxes: number[][], scores: number[], labels: number[]): DetectionPrediction => ({ boxes, scores, labels });

describe('meanAveragePrecision', () => {
  it('matches a re-implementation of pycocotools COCOeval (test/fixtures/gen_detection.py)', () => {
    for (const c of fx.cases) {
      const r = meanAveragePrecision(c.predictions, c.targets, c.options);
      expect(r.map).toBeCloseTo(c.expected.map, 12);
      expect(r.map50).toBeCloseTo(c.expected.map50, 12);
      expect(r.map75).toBeCloseTo(c.expected.map75, 12);
      expect(r.perClass.map((p) => p.label)).toEqual(c.expected.perClass.map((p) => p.label));
      r.perClass.forEach((p, i) => expect(p.ap).toBeCloseTo(c.expected.perClass[i].ap, 12));
    }
  });

  it('gives 1 for a perfect detector and for every score order of it', () => {
    const t = [{ boxes: [box(0, 0), box(20, 20)], labels: [0, 1] }, { boxes: [box(5, 5, 30, 40)], labels: [0] }];
    const p = [one([box(0, 0), box(20, 20)], [0.3, 0.9], [0, 1]), one([box(5, 5, 30, 40)], [0.1], [0])];
    expect(meanAveragePrecision(p, t)).toEqual({
      map: 1, map50: 1, map75: 1,
      perClass: [{ label: 0, ap: 1, ap50: 1, ap75: 1, numGroundTruth: 2 }, { label: 1, ap: 1, ap50: 1, ap75: 1, numGroundTruth: 1 }],
    });
  });

  it('gives 1/2 when one false positive is ranked above the only match, 1 when ranked below', () => {
    // ranked first: P = [0, 1/2], R = [0, 1] → monotone P = [1/2, 1/2] → all 101 samples 1/2
    const t = [{ boxes: [box(0, 0)], labels: [3] }];
    const fpFirst = [one([box(50, 50), box(0, 0)], [0.9, 0.5], [3, 3])];
    expect(meanAveragePrecision(fpFirst, t).map).toBeCloseTo(0.5, 12);
    // ranked last: recall 1 is reached at precision 1 already
    expect(meanAveragePrecision([one([box(50, 50), box(0, 0)], [0.1, 0.5], [3, 3])], t).map).toBe(1);
    // a false positive of another class does not touch class 3 and that class has no ground truth: skipped
    const r = meanAveragePrecision([one([box(50, 50), box(0, 0)], [0.9, 0.5], [7, 3])], t);
    expect(r.map).toBe(1);
    expect(r.perClass.map((c) => c.label)).toEqual([3]);
  });

  it('counts a duplicate detection of one object as a false positive (a ground truth matches once)', () => {
    // two objects, both detections on the first: P = [1, 1/2], R = [1/2, 1/2] → the 51 recall
    // points r ≤ 0.5 sample precision 1, the 50 above are never reached (0)
    const t = [{ boxes: [box(0, 0), box(40, 40)], labels: [0, 0] }];
    expect(meanAveragePrecision([one([box(0, 0), box(0, 0)], [0.9, 0.8], [0, 0])], t).map50).toBeCloseTo(51 / 101, 12);
    // with the second object found after the duplicate:
    const found = meanAveragePrecision([one([box(0, 0), box(0, 0), box(40, 40)], [0.9, 0.8, 0.7], [0, 0, 0])], t);
    // P = [1, 1/2, 2/3] → monotone [1, 2/3, 2/3]; R = [1/2, 1/2, 1]: r ≤ 0.5 → 1 (51 points), r > 0.5 → 2/3 (50 points)
    expect(found.map50).toBeCloseTo((51 + 50 * (2 / 3)) / 101, 12);
  });

  it('uses the IoU thresholds 0.50:0.05:0.95: a box at IoU 0.6 counts at 0.50, 0.55 and 0.60 only', () => {
    // gt [0,0,10,10], det [0,0,10,6]: IoU 60/100 = 0.6 (≥ 0.6 holds for the threshold itself)
    const r = meanAveragePrecision([one([[0, 0, 10, 6]], [1], [0])], [{ boxes: [box(0, 0)], labels: [0] }]);
    expect(r.map50).toBe(1);
    expect(r.map75).toBe(0);
    expect(r.map).toBeCloseTo(3 / 10, 12);
  });

  it('matches a detection to the unmatched ground truth of highest IoU and gives a missed class 0', () => {
    // the detection overlaps gt 1 more than gt 0; the second detection then takes gt 0
    const t = [{ boxes: [box(0, 0), box(2, 0)], labels: [0, 0] }];
    expect(meanAveragePrecision([one([box(2, 0), box(0, 0)], [0.9, 0.8], [0, 0])], t).map).toBe(1);
    const missed = meanAveragePrecision([one([box(0, 0)], [0.9], [0])], [{ boxes: [box(0, 0), box(40, 40)], labels: [0, 1] }]);
    expect(missed.perClass.map((c) => c.ap)).toEqual([1, 0]);
    expect(missed.map).toBe(0.5);
  });

  it('keeps only the maxDetections best detections per image and class', () => {
    const t = [{ boxes: [box(0, 0)], labels: [0] }];
    const p = [one([box(50, 50), box(60, 60), box(0, 0)], [0.9, 0.8, 0.7], [0, 0, 0])];
    expect(meanAveragePrecision(p, t, { maxDetections: 2 }).map).toBe(0);
    expect(meanAveragePrecision(p, t).map).toBeCloseTo(1 / 3, 12);
  });

  it('reads tensors and returns −1 without ground truth, as COCO', () => {
    const p = [{ boxes: tensor([[0, 0, 10, 10]]), scores: tensor([0.5]), labels: tensor([0]) }];
    expect(meanAveragePrecision(p, [{ boxes: tensor([[0, 0, 10, 10]]), labels: tensor([0]) }]).map).toBe(1);
    expect(meanAveragePrecision(p, [{ boxes: [], labels: [] }])).toEqual({ map: -1, map50: -1, map75: -1, perClass: [] });
    expect(meanAveragePrecision([], []).map).toBe(-1);
  });

  it('refuses mismatched lengths, bad boxes, NaN and bad options', () => {
    const t = [{ boxes: [box(0, 0)], labels: [0] }];
    expectThrows(() => meanAveragePrecision([], t), ArgumentError, 'meanAveragePrecision: predictions has 0 images but targets has 1');
    expectThrows(() => meanAveragePrecision([one([[0, 0, 1]], [1], [0])], t), ShapeError, 'meanAveragePrecision: predictions[0].boxes must be [K, 4] boxes (x1, y1, x2, y2), got shape [1, 3]');
    expectThrows(() => meanAveragePrecision([one([box(0, 0)], [1, 2], [0])], t), ShapeError, 'predictions[0] has 1 boxes but 2 scores');
    expectThrows(() => meanAveragePrecision([one([box(0, 0)], [NaN], [0])], t), ArgumentError, 'predictions[0].scores[0] is NaN');
    expectThrows(() => meanAveragePrecision([one([[0, NaN, 1, 1]], [1], [0])], t), ArgumentError, 'predictions[0].boxes[0, 1] is NaN');
    expectThrows(() => meanAveragePrecision([one([[5, 0, 1, 1]], [1], [0])], t), ArgumentError, 'predictions[0].boxes[0] = [5, 0, 1, 1] must have x1 ≤ x2 and y1 ≤ y2');
    expectThrows(() => meanAveragePrecision([one([box(0, 0)], [1], [0.5])], t), ArgumentError, 'class labels must be integers');
    expectThrows(() => meanAveragePrecision([one([box(0, 0)], [1], [0])], [{ boxes: [box(0, 0)] } as never]), ArgumentError, 'targets[0] must have boxes');
    expectThrows(() => meanAveragePrecision([], [], { maxDets: 5 } as never), ArgumentError, 'maxDetections');
  });
});
