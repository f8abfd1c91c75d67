import { ArgumentError, ShapeError, fmtShape } from '../tensor/errors';
import { Generator, defaultGenerator } from '../tensor/random';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { checkArg, num, parseOptions, rng as rngCheck, type Check } from '../tensor/options';

// Augmentations work on image batches [B, C, H, W] (gaussianNoise on any shape), draw from
// `{ rng }` (default: the global generator), return new tensors and record no gradient: they
// belong to the data pipeline, before the model.

/** Options with only a generator. */
export interface AugmentOptions {
  /** The generator to draw from (default: the global one, see `manualSeed`). */
  rng?: Generator;
}

// Options: parseOptions (tensor/options) refuses a non-object and unknown keys; each value is then
// checked where it is read, with checkArg and the same module's checks.
/** Checked where the value is read (so a default can depend on other options). */
const later: Check<unknown> = (v) => v;


function checkImages(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(x)}`);
  if (x.ndim !== 4) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} must be an image batch [B, C, H, W]`);
  return x;
}

// ---------------------------------------------------------------------------------------------
// Random distributions used by mixup

/** Options of {@link sampleGamma}. */
export interface SampleGammaOptions extends AugmentOptions {
  /** Scale θ (the mean is shape·θ). Default 1. */
  scale?: number;
}

/** log of a Gamma(k, 1) draw; the log form keeps Beta draws with tiny shapes from underflowing to 0/0. */
function logGamma1(k: number, rng: Generator): number {
  if (k < 1) {
    // Gamma(k) = Gamma(k + 1)·U^(1/k) (Marsaglia and Tsang, §4); 1 − U lies in (0, 1].
    return logGamma1(k + 1, rng) + Math.log(1 - rng.random()) / k;
  }
  const d = k - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = rng.normal();
    const t = 1 + c * z;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = 1 - rng.random();
    if (u < 1 - 0.0331 * z * z * z * z || Math.log(u) < 0.5 * z * z + d * (1 - v + Math.log(v))) return Math.log(d * v);
  }
}

/**
 * One draw from the Gamma distribution with shape k and scale θ (density ∝ x^(k−1)·e^(−x/θ),
 * mean k·θ) by Marsaglia and Tsang's squeeze method; shapes k < 1 use Gamma(k + 1)·U^(1/k).
 *
 * Shapes: returns a number.
 * @example
 * sampleGamma(2, { rng: new Generator(0) }) > 0; // true
 * @throws ArgumentError unless shape > 0 and scale > 0 are finite.
 * @see G. Marsaglia, W. W. Tsang, "A simple method for generating gamma variables", ACM TOMS 26 (2000).
 * @category Data
 */
export function sampleGamma(shape: number, options: SampleGammaOptions = {}): number {
  const op = 'sampleGamma';
  options = parseOptions(op, options, { scale: later, rng: later }) as typeof options;
  const k = checkArg(op, 'shape', shape, num({ min: 0, openMin: true }));
  const scale = checkArg(op, 'scale', options.scale ?? 1, num({ min: 0, openMin: true }));
  return scale * Math.exp(logGamma1(k, (options.rng === undefined ? defaultGenerator() : checkArg(op, 'rng', options.rng, rngCheck))));
}

/**
 * One draw from the Beta(α, β) distribution, as X/(X + Y) with X ~ Gamma(α), Y ~ Gamma(β)
 * (mean α/(α + β)). Computed from the logs of the two Gamma draws, so tiny α and β (mixup's 0.1)
 * still give a value in [0, 1] rather than 0/0.
 *
 * Shapes: returns a number in [0, 1].
 * @example
 * const v = sampleBeta(2, 5, { rng: new Generator(0) });
 * v >= 0 && v <= 1; // true
 * @throws ArgumentError unless α > 0 and β > 0 are finite.
 * @category Data
 */
export function sampleBeta(alpha: number, beta: number, options: AugmentOptions = {}): number {
  const op = 'sampleBeta';
  options = parseOptions(op, options, { rng: later }) as typeof options;
  const a = checkArg(op, 'alpha', alpha, num({ min: 0, openMin: true }));
  const b = checkArg(op, 'beta', beta, num({ min: 0, openMin: true }));
  const rng = (options.rng === undefined ? defaultGenerator() : checkArg(op, 'rng', options.rng, rngCheck));
  const la = logGamma1(a, rng), lb = logGamma1(b, rng);
  return 1 / (1 + Math.exp(lb - la));
}

// ---------------------------------------------------------------------------------------------
// randomHorizontalFlip

/** Options of {@link randomHorizontalFlip}. */
export interface RandomHorizontalFlipOptions extends AugmentOptions {
  /** Probability that an image is flipped. Default 0.5. */
  p?: number;
}

/**
 * Mirrors each image of the batch left–right (out[b, c, h, w] = x[b, c, h, W − 1 − w]) with
 * probability p, independently per image (torchvision's `RandomHorizontalFlip`, applied per sample).
 *
 * Shapes: x [B, C, H, W] → [B, C, H, W].
 * @example
 * const x = tensor([1, 2, 3, 4, 5, 6], [1, 1, 2, 3]);
 * randomHorizontalFlip(x, { p: 1 }).toArray(); // [3, 2, 1, 6, 5, 4]
 * randomHorizontalFlip(x, { p: 0 }).toArray(); // [1, 2, 3, 4, 5, 6]
 * @throws ShapeError unless x is 4-D; ArgumentError on p outside [0, 1].
 * @category Data
 */
export function randomHorizontalFlip(x: Tensor, options: RandomHorizontalFlipOptions = {}): Tensor {
  const op = 'randomHorizontalFlip';
  checkImages(op, x);
  options = parseOptions(op, options, { p: later, rng: later }) as typeof options;
  const p = checkArg(op, 'p', options.p ?? 0.5, num({ min: 0, max: 1 }));
  const rng = (options.rng === undefined ? defaultGenerator() : checkArg(op, 'rng', options.rng, rngCheck));
  const [B, C, H, W] = x.shape;
  const out = new Float32Array(x.size);
  const inp = x.data;
  const img = C * H * W;
  for (let b = 0; b < B; b++) {
    const base = b * img;
    if (!(rng.random() < p)) {
      out.set(inp.subarray(base, base + img), base);
      continue;
    }
    for (let r = 0; r < C * H; r++) {
      const row = base + r * W;
      for (let w = 0; w < W; w++) out[row + w] = inp[row + W - 1 - w];
    }
  }
  return new Tensor(out, x.shape);
}

// ---------------------------------------------------------------------------------------------
// randomCrop

/** Options of {@link randomCrop}. */
export interface RandomCropOptions extends AugmentOptions {
  /** Output size: one number for a square crop, or [height, width]. */
  size: number | readonly [number, number];
  /** Pixels added on every side before cropping. Default 0. */
  padding?: number;
  /** How the padding is filled: `constant` (with `fill`) or `reflect` (mirror without repeating the edge, as NumPy and PyTorch). Default 'constant'. */
  paddingMode?: 'constant' | 'reflect';
  /** The constant padding value. Default 0. */
  fill?: number;
}

/**
 * Crops each image of the batch at a random position, after padding it by `padding` pixels on
 * every side (torchvision's `RandomCrop`, per sample): for an offset (i, j) drawn uniformly from
 * [0, H + 2·pad − h] × [0, W + 2·pad − w], out[b, c, y, x] = padded[b, c, i + y, j + x].
 *
 * Shapes: x [B, C, H, W] → [B, C, h, w].
 * @example
 * const x = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
 * randomCrop(x, { size: 4, padding: 1 }).toArray(); // [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0]
 * randomCrop(x, { size: 4, padding: 1, paddingMode: 'reflect' }).toArray(); // [4, 3, 4, 3, 2, 1, 2, 1, 4, 3, 4, 3, 2, 1, 2, 1]
 * randomCrop(zeros([8, 3, 32, 32]), { size: 28 }).shape; // [8, 3, 28, 28]
 * @throws ShapeError unless x is 4-D; ArgumentError if the crop is larger than the padded image,
 * on a negative padding, or, for `reflect`, a padding not smaller than H and W.
 * @category Data
 */
export function randomCrop(x: Tensor, options: RandomCropOptions): Tensor {
  const op = 'randomCrop';
  checkImages(op, x);
  if (options === undefined) throw new ArgumentError(`${op}: options with a size are required, e.g. { size: 28, padding: 2 }`);
  options = parseOptions(op, options, { size: later, padding: later, paddingMode: later, fill: later, rng: later }) as typeof options;
  const [B, C, H, W] = x.shape;
  const sizeOpt = options.size;
  let h: number, w: number;
  if (typeof sizeOpt === 'number') h = w = sizeOpt;
  else if (Array.isArray(sizeOpt) && sizeOpt.length === 2) [h, w] = sizeOpt;
  else throw new ArgumentError(`${op}: size must be a number or [height, width], got ${describe(sizeOpt)}`);
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new ArgumentError(`${op}: size must hold positive integers, got ${describe(h)} × ${describe(w)}`);
  }
  const pad = options.padding ?? 0;
  if (!Number.isInteger(pad) || pad < 0) throw new ArgumentError(`${op}: padding must be a non-negative integer, got ${describe(pad)}`);
  const mode = options.paddingMode ?? 'constant';
  if (mode !== 'constant' && mode !== 'reflect') throw new ArgumentError(`${op}: paddingMode must be 'constant' or 'reflect', got ${describe(mode)}`);
  if (mode === 'reflect' && (pad >= H || pad >= W)) {
    throw new ArgumentError(`${op}: reflect padding ${pad} must be smaller than the image sides of x ${fmtShape(x.shape)}`);
  }
  const fill = checkArg(op, 'fill', options.fill ?? 0, num());
  const rng = (options.rng === undefined ? defaultGenerator() : checkArg(op, 'rng', options.rng, rngCheck));
  const PH = H + 2 * pad, PW = W + 2 * pad;
  if (h > PH || w > PW) {
    throw new ArgumentError(`${op}: crop ${h} × ${w} is larger than the padded image ${PH} × ${PW} of x ${fmtShape(x.shape)} with padding ${pad}`);
  }
  const out = new Float32Array(B * C * h * w);
  const inp = x.data;
  // Source column (or −1 for constant fill) per output column, rebuilt per image: no branch on mode in the inner loop.
  const colSrc = new Int32Array(w);
  for (let b = 0; b < B; b++) {
    const i0 = rng.randint(0, PH - h + 1) - pad;
    const j0 = rng.randint(0, PW - w + 1) - pad;
    for (let xx = 0; xx < w; xx++) colSrc[xx] = sourceIndex(j0 + xx, W, mode);
    for (let c = 0; c < C; c++) {
      const inPlane = (b * C + c) * H * W;
      const outPlane = (b * C + c) * h * w;
      for (let yy = 0; yy < h; yy++) {
        const sy = sourceIndex(i0 + yy, H, mode);
        const oRow = outPlane + yy * w;
        if (sy < 0) {
          out.fill(fill, oRow, oRow + w);
          continue;
        }
        const iRow = inPlane + sy * W;
        for (let xx = 0; xx < w; xx++) {
          const sx = colSrc[xx];
          out[oRow + xx] = sx < 0 ? fill : inp[iRow + sx];
        }
      }
    }
  }
  return new Tensor(out, [B, C, h, w]);
}

/** Index into [0, n) of padded coordinate i, or −1 for constant fill; `reflect` mirrors about the edge pixels (needs |overhang| < n). */
function sourceIndex(i: number, n: number, mode: 'constant' | 'reflect'): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'constant') return -1;
  return i < 0 ? -i : 2 * (n - 1) - i;
}

// ---------------------------------------------------------------------------------------------
// gaussianNoise

/** Options of {@link gaussianNoise}. */
export interface GaussianNoiseOptions extends AugmentOptions {
  /** Standard deviation of the noise (≥ 0). */
  std: number;
  /** Mean of the noise. Default 0. */
  mean?: number;
  /** Clip the result to [low, high] (e.g. [0, 1] for images). Default: no clipping. */
  clip?: readonly [number, number];
}

/**
 * Adds independent Gaussian noise to every element: out = x + N(mean, std²), optionally clipped
 * to [low, high].
 *
 * Shapes: x (any) → same shape.
 * @example
 * gaussianNoise(zeros([2, 3]), { std: 0.1, rng: new Generator(0) }).shape; // [2, 3]
 * gaussianNoise(ones([4]), { std: 0 }).toArray(); // [1, 1, 1, 1]
 * gaussianNoise(zeros([100]), { std: 5, clip: [-1, 1] }).abs().max().item() <= 1; // true
 * @throws ArgumentError on a negative or non-finite std, or clip bounds with low > high.
 * @category Data
 */
export function gaussianNoise(x: Tensor, options: GaussianNoiseOptions): Tensor {
  const op = 'gaussianNoise';
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(x)}`);
  if (options === undefined) throw new ArgumentError(`${op}: options with a std are required, e.g. { std: 0.1 }`);
  options = parseOptions(op, options, { std: later, mean: later, clip: later, rng: later }) as typeof options;
  const std = checkArg(op, 'std', options.std, num({ min: 0 }));
  const mean = checkArg(op, 'mean', options.mean ?? 0, num());
  let lo = -Infinity, hi = Infinity;
  if (options.clip !== undefined) {
    const c = options.clip;
    if (!Array.isArray(c) || c.length !== 2) throw new ArgumentError(`${op}: clip must be [low, high], got ${describe(c)}`);
    lo = checkArg(op, 'clip[0]', c[0], num());
    hi = checkArg(op, 'clip[1]', c[1], num());
    if (lo > hi) throw new ArgumentError(`${op}: clip must have low ≤ high, got [${lo}, ${hi}]`);
  }
  const rng = (options.rng === undefined ? defaultGenerator() : checkArg(op, 'rng', options.rng, rngCheck));
  const out = new Float32Array(x.size);
  const inp = x.data;
  for (let i = 0; i < out.length; i++) {
    const v = inp[i] + mean + (std > 0 ? std * rng.normal() : 0);
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return new Tensor(out, x.shape);
}

// ---------------------------------------------------------------------------------------------
// mixup

/** Options of {@link mixup}. */
export interface MixupOptions extends AugmentOptions {
  /** Beta(α, α) concentration; α = 0 disables mixing (λ = 1). Default 1. */
  alpha?: number;
  /** Number of classes; required when y holds class indices. */
  numClasses?: number;
}

/** The result of {@link mixup}. */
export interface MixupResult {
  /** Mixed inputs λ·x + (1 − λ)·x[index], same shape as x. */
  x: Tensor;
  /** Mixed soft targets λ·onehot(y) + (1 − λ)·onehot(y[index]), [B, K]; rows sum to 1. */
  y: Tensor;
  /** The mixing weight λ ∈ [0, 1]. */
  lambda: number;
  /** The permutation of the batch each sample was mixed with. */
  index: Int32Array;
}

/**
 * mixup (Zhang et al., 2018): draws λ ~ Beta(α, α) once per batch and a random permutation π of
 * the batch, and returns x̃ = λ·x + (1 − λ)·x[π] with soft targets ỹ = λ·y + (1 − λ)·y[π], where
 * y is one-hot of the class indices (or already a [B, K] probability matrix). Train with
 * `crossEntropy` on probability targets.
 *
 * Shapes: x [B, …], y [B] class indices (Tensor, Int32Array or number[]) or [B, K] → x [B, …], y [B, K].
 * @example
 * const m = mixup(tensor([[1, 1], [3, 3]]), [0, 1], { numClasses: 2, rng: new Generator(0) });
 * m.y.sum({ axis: 1 }).toArray(); // [1, 1]
 * m.x.shape; // [2, 2]
 * mixup(tensor([[1], [2]]), [0, 1], { alpha: 0, numClasses: 2 }).lambda; // 1
 * @throws ArgumentError on α < 0, a missing numClasses for indices, a label outside [0, K); ShapeError when x and y disagree on B.
 * @see H. Zhang, M. Cisse, Y. N. Dauphin, D. Lopez-Paz, "mixup: Beyond empirical risk minimization", ICLR 2018.
 * @category Data
 */
export function mixup(x: Tensor, y: Tensor | Int32Array | readonly number[], options: MixupOptions = {}): MixupResult {
  const op = 'mixup';
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(x)}`);
  if (x.ndim < 1) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} needs a batch axis`);
  options = parseOptions(op, options, { alpha: later, numClasses: later, rng: later }) as typeof options;
  const alpha = checkArg(op, 'alpha', options.alpha ?? 1, num({ min: 0 }));
  const rng = (options.rng === undefined ? defaultGenerator() : checkArg(op, 'rng', options.rng, rngCheck));
  const B = x.shape[0];

  let K: number;
  let target: Float32Array;
  if (y instanceof Tensor && y.ndim === 2) {
    if (y.shape[0] !== B) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} and y ${fmtShape(y.shape)} differ in batch size`);
    K = y.shape[1];
    if (options.numClasses !== undefined && options.numClasses !== K) {
      throw new ArgumentError(`${op}: numClasses = ${describe(options.numClasses)} but y ${fmtShape(y.shape)} has ${K} columns`);
    }
    target = y.data;
  } else {
    let labels: ArrayLike<number>;
    if (y instanceof Tensor) {
      if (y.ndim !== 1) throw new ShapeError(`${op}: y ${fmtShape(y.shape)} must be class indices [B] or targets [B, K]`);
      labels = y.data;
    } else if (y instanceof Int32Array || Array.isArray(y)) labels = y as ArrayLike<number>;
    else throw new ArgumentError(`${op}: y must be a Tensor, Int32Array or number[], got ${describe(y)}`);
    if (labels.length !== B) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} and y [${labels.length}] differ in batch size`);
    if (options.numClasses === undefined) throw new ArgumentError(`${op}: numClasses is required when y holds class indices`);
    K = options.numClasses;
    if (!Number.isInteger(K) || K < 1) throw new ArgumentError(`${op}: numClasses must be a positive integer, got ${describe(K)}`);
    target = new Float32Array(B * K);
    for (let b = 0; b < B; b++) {
      const c = labels[b];
      if (!Number.isInteger(c) || c < 0 || c >= K) throw new ArgumentError(`${op}: y[${b}] = ${describe(c)} is not a class index in [0, ${K - 1}]`);
      target[b * K + c] = 1;
    }
  }

  const lambda = alpha > 0 ? sampleBeta(alpha, alpha, { rng }) : 1;
  const index = rng.permutation(B);
  const mu = 1 - lambda;
  const D = B === 0 ? 0 : x.size / B;
  const xo = new Float32Array(x.size);
  const xi = x.data;
  for (let b = 0; b < B; b++) {
    const row = b * D, other = index[b] * D;
    for (let d = 0; d < D; d++) xo[row + d] = lambda * xi[row + d] + mu * xi[other + d];
  }
  const yo = new Float32Array(B * K);
  for (let b = 0; b < B; b++) {
    const row = b * K, other = index[b] * K;
    for (let k = 0; k < K; k++) yo[row + k] = lambda * target[row + k] + mu * target[other + k];
  }
  return { x: new Tensor(xo, x.shape), y: new Tensor(yo, [B, K]), lambda, index };
}
