import {
  ArgumentError, Generator, ShapeError, Tensor, abs, add, batchedNms, concat, defaultGenerator, maxPool2d, mul, neg, noGrad, relu,
  sigmoid, softplus, split, square, sub, sum,
} from '../../tensor/index';
import { fmtShape } from '../../tensor/errors';
import { describe } from '../../tensor/shape';
import { BatchNorm2d, Conv2d, MaxPool2d, Module, ReLU, type ModuleConfig } from '../../nn/index';
import { arrayOf, bool, checkArg, num, pairOf, parseOptions, posInt, prob, rng as rngCheck } from '../../tensor/options';

/** Options of {@link Detector}. */
export interface DetectorOptions {
  /** Channels of the input images (default 1). */
  inChannels?: number;
  /** Input height and width, [H, W] or one number; each divisible by 4 (the output stride). Required. */
  inputSize: number | [number, number];
  /** Object classes (channels of the heatmap). Required. */
  numClasses: number;
  /** Output channels of the backbone's 3×3 convolutions, at least two: the first two are each followed by a 2×2 max pool, the rest run at stride 4 (default [16, 32, 32]). */
  channels?: number[];
  /** Channels of the shared 3×3 head convolution (default 32). */
  headChannels?: number;
  /** BatchNorm2d after each backbone convolution (default true). */
  batchNorm?: boolean;
  /** Weight of the box regression (offset and log-size L1) against the heatmap focal loss (default 1). */
  boxWeight?: number;
  /** Generator of the initial weights (default: the global one). Not saved in config(). */
  rng?: Generator;
}

/** Options of {@link Detector.detect}. */
export interface DetectOptions {
  /** Keep peaks whose class score is at least this (default 0.1). */
  scoreThreshold?: number;
  /** IoU above which {@link batchedNms} drops the lower-scored box of a class (default 0.5). */
  iouThreshold?: number;
  /** At most this many boxes per image, the highest-scoring (default 100, COCO's maxDets). */
  maxDetections?: number;
}

/** The detections of one image, from {@link Detector.detect}: xyxy boxes in pixels, by score descending. */
export interface Detections {
  /** Boxes [K][4] as (x1, y1, x2, y2) in input pixels. */
  boxes: number[][];
  /** Class score of each box, in (0, 1). */
  scores: number[];
  /** Class index of each box. */
  labels: number[];
}

const SPEC = {
  inChannels: posInt, inputSize: pairOf(posInt), numClasses: posInt, channels: arrayOf(posInt, { min: 2 }), headChannels: posInt,
  batchNorm: bool, boxWeight: num({ min: 0 }), rng: rngCheck,
};
const DETECT_SPEC = { scoreThreshold: prob, iouThreshold: num({ min: 0, max: 1 }), maxDetections: posInt };

/** Output stride of the heads: two 2×2 max pools. */
const STRIDE = 4;
/** Initial heatmap bias: sigmoid(−2.19) ≈ 0.1, CenterNet's prior, so the focal loss starts small. */
const HEAT_BIAS = -2.19;
/** Floor of the target Gaussians' standard deviation, in output cells. */
const MIN_SIGMA = 0.35;

/**
 * One-stage anchor-free object detector in the style of CenterNet ("Objects as Points"): a small
 * CNN backbone (3×3 conv → [BatchNorm2d] → ReLU, a 2×2 max pool after each of the first two, so
 * the heads run at stride 4), a shared 3×3 conv + ReLU, then 1×1 heads for a class heatmap (one
 * channel per class, an object is a peak at the cell of its box centre) and four box channels at
 * each cell: the sub-cell offset (dx, dy) of the centre and the log of the box width and height in
 * cells. Train `forward` against {@link Detector.encodeTargets} with {@link Detector.loss} through
 * `fit`; {@link Detector.detect} decodes 3×3 heatmap peaks into boxes and runs {@link batchedNms}.
 *
 * Loss (CenterNet's): the penalty-reduced pixel-wise focal loss on the heatmap,
 * −(1/P) Σ [ (1 − p)² log p at object centres; (1 − y)⁴ p² log(1 − p) elsewhere ], with y the
 * target heatmap (a Gaussian of σ = max(side/6, 0.35) cells per object) and P the number of
 * objects, plus `boxWeight` · (1/P) Σ over centres of |Δ offset| + |Δ log size|.
 *
 * Shapes: x (B, inChannels, H, W) → (B, numClasses + 4, H/4, W/4): the heatmap logits, then
 * dx, dy, log w, log h.
 * Init: as `Conv2d` (PyTorch's default); the heatmap bias −2.19 (a prior of 0.1, as CenterNet).
 * @example
 * const model = new Detector({ inputSize: 32, numClasses: 3, rng: new Generator(0) });
 * model.forward(zeros([2, 1, 32, 32])).shape; // [2, 7, 8, 8]
 * model.encodeTargets([[[4, 4, 12, 20]]], [[1]]).shape; // [1, 8, 8, 8]
 * model.detect(zeros([1, 1, 32, 32]), { scoreThreshold: 0.5 })[0].boxes; // []
 * @throws ArgumentError on a malformed option or an input size not divisible by 4; ShapeError from
 * forward when x is not (B, inChannels, H, W).
 * @see Zhou, Wang & Krähenbühl, "Objects as Points" (2019), https://arxiv.org/abs/1904.07850
 * @category Models
 */
export class Detector extends Module {
  /** Backbone modules in order: Conv2d, [BatchNorm2d], ReLU, [MaxPool2d] per entry of `channels`. */
  readonly backbone: Module[];
  /** Shared 3×3 head convolution. */
  readonly headConv: Conv2d;
  /** 1×1 conv to the class heatmap logits. */
  readonly heatmapHead: Conv2d;
  /** 1×1 conv to (dx, dy, log w, log h). */
  readonly boxHead: Conv2d;
  /** Output stride (4): a cell of the heads covers 4×4 input pixels. */
  readonly stride = STRIDE;
  private readonly opts: {
    inChannels: number; inputSize: [number, number]; numClasses: number; channels: number[]; headChannels: number; batchNorm: boolean; boxWeight: number;
  };

  constructor(options: DetectorOptions) {
    super();
    const op = 'Detector';
    const o = parseOptions(op, options, SPEC);
    const inChannels = o.inChannels ?? 1;
    const inputSize = checkArg(op, 'inputSize', o.inputSize, pairOf(posInt));
    const numClasses = checkArg(op, 'numClasses', o.numClasses, posInt);
    const channels = o.channels ?? [16, 32, 32];
    const headChannels = o.headChannels ?? 32;
    const batchNorm = o.batchNorm ?? true;
    const boxWeight = o.boxWeight ?? 1;
    if (inputSize[0] % STRIDE !== 0 || inputSize[1] % STRIDE !== 0) {
      throw new ArgumentError(`${op}: inputSize ${inputSize.join('×')} must be divisible by the output stride ${STRIDE}`);
    }
    const rng = o.rng ?? defaultGenerator();
    this.backbone = [];
    let C = inChannels;
    channels.forEach((c, i) => {
      this.backbone.push(new Conv2d(C, c, 3, { padding: 1, bias: !batchNorm, rng }));
      if (batchNorm) this.backbone.push(new BatchNorm2d(c));
      this.backbone.push(new ReLU());
      if (i < 2) this.backbone.push(new MaxPool2d(2));
      C = c;
    });
    this.headConv = new Conv2d(C, headChannels, 3, { padding: 1, rng });
    this.heatmapHead = new Conv2d(headChannels, numClasses, 1, { rng });
    this.heatmapHead.bias!.data.fill(HEAT_BIAS);
    this.boxHead = new Conv2d(headChannels, 4, 1, { rng });
    this.opts = { inChannels, inputSize, numClasses, channels: [...channels], headChannels, batchNorm, boxWeight };
  }

  /** Number of object classes. */
  get numClasses(): number {
    return this.opts.numClasses;
  }

  /** Backbone, shared head, then the heatmap logits and box channels concatenated. */
  forward(x: Tensor): Tensor {
    const { inChannels: C, inputSize: [H, W] } = this.opts;
    if (!(x instanceof Tensor)) throw new ArgumentError(`Detector: x must be a Tensor, got ${describe(x)}`);
    if (x.ndim !== 4 || x.shape[1] !== C || x.shape[2] !== H || x.shape[3] !== W) throw new ShapeError(`Detector: x ${fmtShape(x.shape)} must be [B, ${C}, ${H}, ${W}]`);
    let h = x;
    for (const l of this.backbone) h = (l.forward as (t: Tensor) => Tensor)(h);
    h = relu(this.headConv.forward(h));
    return concat([this.heatmapHead.forward(h), this.boxHead.forward(h)], 1);
  }

  /**
   * Dense training targets from per-image boxes (xyxy, input pixels) and labels, the `y` to pair
   * with the images in a `TensorDataset`: per cell, the class heatmap (a Gaussian peak of 1 at each
   * object's centre cell, the maximum where objects overlap), then at centre cells dx, dy, log w,
   * log h (in cells) and a mask of 1. When two objects share a centre cell, the later one's box is kept.
   * Shapes: boxes [B][K][4], labels [B][K] (ragged) → (B, numClasses + 5, H/4, W/4).
   * @throws ArgumentError on mismatched lengths, a label outside [0, numClasses), or a box that is not finite with x1 < x2 and y1 < y2.
   */
  encodeTargets(boxes: readonly (readonly (readonly number[])[])[], labels: readonly (readonly number[])[]): Tensor {
    const op = 'Detector.encodeTargets';
    const { numClasses: K, inputSize: [H, W] } = this.opts;
    const h = H / STRIDE, w = W / STRIDE, plane = h * w, CH = K + 5;
    if (!Array.isArray(boxes) || !Array.isArray(labels) || boxes.length !== labels.length) {
      throw new ArgumentError(`${op}: boxes and labels must be arrays with one entry per image, got ${describe(boxes)} and ${describe(labels)}`);
    }
    const B = boxes.length;
    const out = new Float32Array(B * CH * plane);
    for (let b = 0; b < B; b++) {
      const bx = boxes[b], lb = labels[b];
      if (!Array.isArray(bx) || !Array.isArray(lb) || bx.length !== lb.length) throw new ArgumentError(`${op}: image ${b} must have as many boxes as labels, got ${describe(bx)} and ${describe(lb)}`);
      const base = b * CH * plane;
      for (let k = 0; k < bx.length; k++) {
        const box = bx[k], c = lb[k];
        if (!Number.isInteger(c) || c < 0 || c >= K) throw new ArgumentError(`${op}: labels[${b}][${k}] must be an integer in [0, ${K}), got ${describe(c)}`);
        if (!Array.isArray(box) || box.length !== 4 || !box.every(Number.isFinite) || !(box[0] < box[2] && box[1] < box[3])) {
          throw new ArgumentError(`${op}: boxes[${b}][${k}] must be 4 finite numbers [x1, y1, x2, y2] with x1 < x2 and y1 < y2, got ${describe(box)}`);
        }
        const cx = (box[0] + box[2]) / 2 / STRIDE, cy = (box[1] + box[3]) / 2 / STRIDE;
        const bw = (box[2] - box[0]) / STRIDE, bh = (box[3] - box[1]) / STRIDE;
        const j = Math.min(w - 1, Math.max(0, Math.floor(cx))), i = Math.min(h - 1, Math.max(0, Math.floor(cy)));
        const sx = Math.max(bw / 6, MIN_SIGMA), sy = Math.max(bh / 6, MIN_SIGMA);
        const heat = base + c * plane;
        for (let u = 0; u < h; u++) {
          for (let v = 0; v < w; v++) {
            const g = Math.exp(-((v - j) ** 2 / (2 * sx * sx) + (u - i) ** 2 / (2 * sy * sy)));
            if (g > out[heat + u * w + v]) out[heat + u * w + v] = g;
          }
        }
        const cell = i * w + j, reg = base + K * plane;
        out[reg + cell] = cx - j;
        out[reg + plane + cell] = cy - i;
        out[reg + 2 * plane + cell] = Math.log(bw);
        out[reg + 3 * plane + cell] = Math.log(bh);
        out[reg + 4 * plane + cell] = 1;
      }
    }
    return new Tensor(out, [B, CH, h, w]);
  }

  /**
   * The training loss of a forward output against {@link Detector.encodeTargets}' targets (see the
   * class description): heatmap focal loss plus `boxWeight` × the L1 box regression at object
   * centres, both divided by the number of objects (at least 1). Pass it to `fit` as
   * `loss: (p, t) => det.loss(p, t)`.
   * Shapes: prediction (B, numClasses + 4, h, w), target (B, numClasses + 5, h, w) → ().
   * Gradient: through the prediction only.
   * @throws ShapeError when the shapes do not fit.
   */
  loss(prediction: Tensor, target: Tensor): Tensor {
    const op = 'Detector.loss';
    const K = this.opts.numClasses;
    if (!(prediction instanceof Tensor) || !(target instanceof Tensor)) throw new ArgumentError(`${op}: prediction and target must be Tensors, got ${describe(prediction)} and ${describe(target)}`);
    const [B, , h, w] = prediction.shape;
    if (prediction.ndim !== 4 || prediction.shape[1] !== K + 4 || target.ndim !== 4 || target.shape[0] !== B || target.shape[1] !== K + 5 || target.shape[2] !== h || target.shape[3] !== w) {
      throw new ShapeError(`${op}: prediction ${fmtShape(prediction.shape)} must be [B, ${K + 4}, h, w] and target ${fmtShape(target.shape)} [B, ${K + 5}, h, w]`);
    }
    const plane = h * w;
    // Constant weights from the target (no gradient flows into it).
    const pos = new Float32Array(B * K * plane), negW = new Float32Array(B * K * plane);
    const regT = new Float32Array(B * 4 * plane), mask = new Float32Array(B * plane);
    let nPos = 0;
    const td = target.data;
    for (let b = 0; b < B; b++) {
      const src = b * (K + 5) * plane;
      for (let q = 0; q < K * plane; q++) {
        const y = td[src + q];
        if (y >= 1) pos[b * K * plane + q] = 1;
        else negW[b * K * plane + q] = (1 - y) ** 4;
      }
      regT.set(td.subarray(src + K * plane, src + (K + 4) * plane), b * 4 * plane);
      for (let q = 0; q < plane; q++) nPos += mask[b * plane + q] = td[src + (K + 4) * plane + q];
    }
    const norm = 1 / Math.max(1, nPos);
    const [logits, box] = split(prediction, [K, 4], 1);
    const p = sigmoid(logits);
    const logP = neg(softplus(neg(logits))), log1mP = neg(softplus(logits));
    const posTerm = mul(mul(new Tensor(pos, logits.shape), square(sub(1, p))), logP);
    const negTerm = mul(mul(new Tensor(negW, logits.shape), square(p)), log1mP);
    const focal = mul(sum(add(posTerm, negTerm)), -norm);
    const l1 = sum(mul(abs(sub(box, new Tensor(regT, box.shape))), new Tensor(mask, [B, 1, h, w])));
    return add(focal, mul(l1, this.opts.boxWeight * norm));
  }

  /**
   * Detected objects per image: class scores sigmoid(heatmap), the peaks (a cell at least as high
   * as its 8 neighbours) scoring at least `scoreThreshold`, decoded to boxes from the offset and
   * size channels (clipped to the image), then {@link batchedNms} per class and the
   * `maxDetections` best. Runs without gradients in eval mode (the mode is restored).
   * Shapes: images (B, inChannels, H, W) → B entries.
   * @throws ArgumentError on a malformed option; ShapeError as forward.
   */
  detect(images: Tensor, options: DetectOptions = {}): Detections[] {
    const o = parseOptions('Detector.detect', options, DETECT_SPEC);
    const { scoreThreshold, iouThreshold, maxDetections } = { scoreThreshold: 0.1, iouThreshold: 0.5, maxDetections: 100, ...o };
    const { numClasses: K, inputSize: [H, W] } = this.opts;
    const wasTraining = this.training;
    this.eval();
    try {
      return noGrad(() => {
        const out = this.forward(images);
        const [B, , h, w] = out.shape;
        const plane = h * w;
        const [logits, box] = split(out, [K, 4], 1);
        const heat = sigmoid(logits);
        const peak = maxPool2d(heat, { kernelSize: 3, stride: 1, padding: 1 });
        const hd = heat.data, pd = peak.data, bd = box.data;
        const result: Detections[] = [];
        for (let b = 0; b < B; b++) {
          const cand: { s: number; c: number; q: number }[] = [];
          for (let c = 0; c < K; c++) {
            const off = (b * K + c) * plane;
            for (let q = 0; q < plane; q++) {
              const s = hd[off + q];
              if (s >= scoreThreshold && s >= pd[off + q]) cand.push({ s, c, q });
            }
          }
          cand.sort((u, v) => v.s - u.s);
          if (cand.length > maxDetections) cand.length = maxDetections;
          const n = cand.length;
          const bx = new Float32Array(4 * n), sc = new Float32Array(n), lb = new Float32Array(n);
          const bo = b * 4 * plane;
          cand.forEach(({ s, c, q }, k) => {
            const i = Math.floor(q / w), j = q % w;
            const cx = (j + bd[bo + q]) * STRIDE, cy = (i + bd[bo + plane + q]) * STRIDE;
            const hw = (Math.exp(bd[bo + 2 * plane + q]) * STRIDE) / 2, hh = (Math.exp(bd[bo + 3 * plane + q]) * STRIDE) / 2;
            bx[4 * k] = Math.min(W, Math.max(0, cx - hw));
            bx[4 * k + 1] = Math.min(H, Math.max(0, cy - hh));
            bx[4 * k + 2] = Math.min(W, Math.max(0, cx + hw));
            bx[4 * k + 3] = Math.min(H, Math.max(0, cy + hh));
            sc[k] = s;
            lb[k] = c;
          });
          const keep = n === 0 ? [] : batchedNms(new Tensor(bx, [n, 4]), new Tensor(sc, [n]), new Tensor(lb, [n]), iouThreshold);
          result.push({
            boxes: keep.map((k) => Array.from(bx.subarray(4 * k, 4 * k + 4))),
            scores: keep.map((k) => sc[k]),
            labels: keep.map((k) => lb[k]),
          });
        }
        return result;
      });
    } finally {
      this.train(wasTraining);
    }
  }

  /** `{ type: 'Detector', options }` with every option resolved (rng excepted). */
  override config(): ModuleConfig {
    const o = this.opts;
    return { type: 'Detector', options: { ...o, inputSize: [...o.inputSize], channels: [...o.channels] } };
  }
}
