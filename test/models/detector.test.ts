import { describe, expect, it } from 'vitest';
import {
  Adam, ArgumentError, DataLoader, Detector, Generator, ShapeError, Tensor, TensorDataset, fit, makeDetection, meanAveragePrecision, noGrad,
  tensor, zeros, familyFromConfig,
} from '../../src/index';
import { expectClose, expectGrad, expectThrows, randT } from '../helpers/check';

const sig = (v: number) => 1 / (1 + Math.exp(-v));

describe('Detector', () => {
  it('maps images to class logits and four box channels at stride 4', () => {
    const det = new Detector({ inChannels: 3, inputSize: [16, 24], numClasses: 2, channels: [4, 4, 4], headChannels: 4, rng: new Generator(0) });
    expect(det.forward(zeros([2, 3, 16, 24])).shape).toEqual([2, 6, 4, 6]);
    // the heatmap starts at CenterNet's prior of 0.1 wherever the features vanish
    expect(det.heatmapHead.bias!.toArray()).toEqual([-2.190000057220459, -2.190000057220459]);
  });

  it('encodes a box as a Gaussian peak at its centre cell with offset, log size and mask', () => {
    const det = new Detector({ inputSize: 32, numClasses: 2, rng: new Generator(0) });
    // box [5, 6, 13, 22]: centre (9, 14) px = (2.25, 3.5) cells → cell (i 3, j 2), offset (0.25, 0.5);
    // size (8, 16) px = (2, 4) cells; σx = max(2/6, 0.35) = 0.35, σy = 4/6
    const y = det.encodeTargets([[[5, 6, 13, 22]], []], [[1], []]);
    expect(y.shape).toEqual([2, 7, 8, 8]);
    const at = (b: number, c: number, i: number, j: number) => y.data[((b * 7 + c) * 8 + i) * 8 + j];
    expect(at(0, 1, 3, 2)).toBe(1);
    expectClose([at(0, 1, 3, 3), at(0, 1, 4, 2), at(0, 1, 5, 3)], [Math.exp(-1 / (2 * 0.35 ** 2)), Math.exp(-1 / (2 * (4 / 6) ** 2)), Math.exp(-1 / (2 * 0.35 ** 2) - 4 / (2 * (4 / 6) ** 2))]);
    expect(at(0, 0, 3, 2)).toBe(0); // another class's heatmap
    expectClose([at(0, 2, 3, 2), at(0, 3, 3, 2), at(0, 4, 3, 2), at(0, 5, 3, 2), at(0, 6, 3, 2)], [0.25, 0.5, Math.log(2), Math.log(4), 1]);
    let rest = 0;
    for (let q = 0; q < 7 * 64; q++) rest += Math.abs(y.data[7 * 64 + q]);
    expect(rest).toBe(0); // the empty image
  });

  it('has the focal + L1 loss written out, and its gradient', () => {
    const det = new Detector({ inputSize: 8, numClasses: 1, boxWeight: 0.5, rng: new Generator(0) });
    const target = det.encodeTargets([[[0, 0, 4, 8]]], [[0]]); // centre (2, 4) px = (0.5, 1) cells → cell (1, 0)
    const rng = new Generator(1);
    const pred = randT([1, 5, 2, 2], rng);
    // −Σ [y = 1: (1 − p)² log p; else (1 − y)⁴ p² log(1 − p)] / P + 0.5 · Σ_centre |box − t| / P, P = 1
    let focal = 0;
    for (let q = 0; q < 4; q++) {
      const p = sig(pred.data[q]), yq = target.data[q];
      focal -= yq === 1 ? (1 - p) ** 2 * Math.log(p) : (1 - yq) ** 4 * p ** 2 * Math.log(1 - p);
    }
    let l1 = 0;
    for (let c = 0; c < 4; c++) l1 += Math.abs(pred.data[(1 + c) * 4 + 2] - target.data[(1 + c) * 4 + 2]);
    expect(target.data[4 * 5 + 2]).toBe(1); // the mask at cell (1, 0)
    expectClose([det.loss(pred, target).item()], [focal + 0.5 * l1], 1e-5, 1e-5);
    expectGrad((p) => det.loss(p, target), [pred]);
  });

  it('decodes 3×3 peaks into boxes, highest score first, and applies the score threshold', () => {
    class Fixed extends Detector {
      out: Tensor = zeros([1]);
      override forward(): Tensor {
        return this.out;
      }
    }
    const det = new Fixed({ inputSize: 8, numClasses: 2, rng: new Generator(0) });
    // grid 2×2: class 0 peaks at (0, 0); class 1 has (1, 0) = 2 above its diagonal neighbour (0, 1) = 1
    det.out = tensor([[[[3, -5], [-5, -5]], [[-5, 1], [2, -5]], [[0.5, 0.5], [0.5, 0.5]], [[0.5, 0.5], [0.5, 0.5]], [[0, 0], [0, 0]], [[Math.log(2), 0], [0, 0]]]]);
    const [d] = det.detect(zeros([1, 1, 8, 8]), { scoreThreshold: 0.5 });
    // class 0 at cell (0, 0): centre (2, 2) px, w 4, h 8 → [0, −2, 4, 6] clipped to [0, 0, 4, 6]; class 1 at (1, 0): centre (2, 6), 4 × 4
    expect(d.labels).toEqual([0, 1]);
    expectClose(d.scores, [sig(3), sig(2)], 1e-6);
    expectClose(d.boxes.flat(), [0, 0, 4, 6, 0, 4, 4, 8]);
    expect(det.detect(zeros([1, 1, 8, 8]), { scoreThreshold: 0.9 })[0].labels).toEqual([0]);
    expect(det.detect(zeros([1, 1, 8, 8]), { scoreThreshold: 0.5, maxDetections: 1 })[0].labels).toEqual([0]);
  });

  it('learns makeDetection to mAP@0.5 ≥ 0.8 in a few seconds', async () => {
    const classes = ['rectangle', 'ellipse'] as const;
    const tr = makeDetection({ nSamples: 320, size: 32, maxObjects: 2, classes: [...classes], rng: new Generator(1) });
    const te = makeDetection({ nSamples: 64, size: 32, maxObjects: 2, classes: [...classes], rng: new Generator(2) });
    const det = new Detector({ inputSize: 32, numClasses: 2, channels: [8, 16, 16], headChannels: 16, rng: new Generator(3) });
    await fit(det, {
      data: new DataLoader(new TensorDataset(tr.images, det.encodeTargets(tr.boxes, tr.labels)), { batchSize: 32, shuffle: true, rng: new Generator(4) }),
      loss: (p, t) => det.loss(p, t), optimizer: new Adam(det.parameters(), { lr: 5e-3 }), epochs: 10,
    });
    const m = meanAveragePrecision(det.detect(te.images, { scoreThreshold: 0.01 }), te.boxes.map((b, i) => ({ boxes: b, labels: te.labels[i] })));
    expect(m.map50).toBeGreaterThanOrEqual(0.8);
    expect(m.map).toBeGreaterThan(0.4);
  }, 60_000);

  it('rebuilds from its config and reloads its weights (savable)', () => {
    const det = new Detector({ inChannels: 3, inputSize: 16, numClasses: 2, channels: [4, 4], headChannels: 4, batchNorm: false, boxWeight: 2, rng: new Generator(5) });
    const cfg = JSON.parse(JSON.stringify(det.config()));
    expect(cfg).toEqual({ type: 'Detector', options: { inChannels: 3, inputSize: [16, 16], numClasses: 2, channels: [4, 4], headChannels: 4, batchNorm: false, boxWeight: 2 } });
    const copy = familyFromConfig(cfg, { rng: new Generator(6) }) as Detector;
    copy.loadStateDict(det.stateDict());
    const x = randT([2, 3, 16, 16], new Generator(7));
    expect(noGrad(() => copy.forward(x).toArray())).toEqual(noGrad(() => det.forward(x).toArray()));
  });

  it('refuses bad options, inputs and targets', () => {
    expectThrows(() => new Detector({ inputSize: 30, numClasses: 2 }), ArgumentError, 'Detector: inputSize 30×30 must be divisible by the output stride 4');
    expectThrows(() => new Detector({ inputSize: 32, numClasses: 2, channels: [8] }), ArgumentError, 'Detector: channels');
    const det = new Detector({ inputSize: 16, numClasses: 2, channels: [2, 2], headChannels: 2 });
    expectThrows(() => det.forward(zeros([1, 3, 16, 16])), ShapeError, 'Detector: x [1, 3, 16, 16] must be [B, 1, 16, 16]');
    expectThrows(() => det.encodeTargets([[[0, 0, 4, 4]]], [[2]]), ArgumentError, 'Detector.encodeTargets: labels[0][0] must be an integer in [0, 2), got 2');
    expectThrows(() => det.encodeTargets([[[4, 0, 4, 4]]], [[0]]), ArgumentError, 'boxes[0][0] must be 4 finite numbers [x1, y1, x2, y2] with x1 < x2 and y1 < y2');
    expectThrows(() => det.encodeTargets([[[0, 0, 4, 4]]], []), ArgumentError, 'boxes and labels must be arrays with one entry per image');
    expectThrows(() => det.loss(zeros([1, 6, 4, 4]), zeros([1, 6, 4, 4])), ShapeError, 'Detector.loss: prediction [1, 6, 4, 4] must be [B, 6, h, w] and target [1, 6, 4, 4] [B, 7, h, w]');
    expectThrows(() => det.detect(zeros([1, 1, 16, 16]), { scoreThreshold: 2 }), ArgumentError, 'Detector.detect: scoreThreshold');
  });
});
