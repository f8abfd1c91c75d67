import {
  ArgumentError, Generator, Parameter, Tensor, adaptiveAvgPool2d, avgPool2d, conv1d, conv2d, convTranspose2d,
  defaultGenerator, flatten, linear, maxPool2d, type Size2,
} from '../tensor/index';
import { Module, type ModuleConfig } from './module';

function posInt(v: unknown, layer: string, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new ArgumentError(`${layer}: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the global one). */
  rng?: Generator;
}

/**
 * Fully connected layer y = x·Wᵀ + b.
 * Shapes: x (…, inFeatures) → (…, outFeatures); weight [outFeatures, inFeatures], bias [outFeatures].
 * Init: U(−k, k) with k = 1/√inFeatures for weight and bias (PyTorch's default).
 * @example new Linear(3, 2).forward(zeros([4, 3])).shape; // [4, 2]
 * @category Layers
 */
export class Linear extends Module {
  /** The weight W, [outFeatures, inFeatures]. */
  readonly weight: Parameter;
  /** The bias b, [outFeatures]; null when built with `bias: false`. */
  readonly bias: Parameter | null;
  /** Size of each input sample (the last axis of x). */
  readonly inFeatures: number;
  /** Size of each output sample (the last axis of y). */
  readonly outFeatures: number;
  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.inFeatures = posInt(inFeatures, 'Linear', 'inFeatures');
    this.outFeatures = posInt(outFeatures, 'Linear', 'outFeatures');
    const rng = options?.rng ?? defaultGenerator();
    const k = 1 / Math.sqrt(inFeatures);
    this.weight = Parameter.uniform([outFeatures, inFeatures], -k, k, rng);
    this.bias = options?.bias === false ? null : Parameter.uniform([outFeatures], -k, k, rng);
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
  override config(): ModuleConfig {
    return { type: 'Linear', options: { inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null } };
  }
}

/** Options of {@link Conv2d}. */
export interface Conv2dLayerOptions {
  /** Step between receptive fields, one number or [sH, sW] (default 1). */
  stride?: Size2;
  /** Zero padding on each side (default 0), or `'valid'` (none) or `'same'` (output size equals input size; stride 1 only). */
  padding?: Size2 | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2;
  /** Channel groups (default 1); must divide both channel counts, `groups = inChannels` is depthwise. */
  groups?: number;
  /** Learn a bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the global one). */
  rng?: Generator;
}

function kpair(v: Size2, layer: string): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((n) => Number.isInteger(n) && n > 0)) throw new ArgumentError(`${layer}: kernelSize must be a positive integer or a pair, got ${JSON.stringify(v)}`);
  return [p[0], p[1]];
}

/**
 * 2-D convolution layer over NCHW images (see the `conv2d` op).
 * Shapes: x (B, inChannels, H, W) → (B, outChannels, OH, OW); weight [outChannels, inChannels / groups, KH, KW].
 * Init: U(−k, k), k = 1/√(inChannels / groups · KH · KW), for weight and bias (PyTorch's default).
 * @example new Conv2d(1, 4, 3, { padding: 1 }).forward(zeros([2, 1, 8, 8])).shape; // [2, 4, 8, 8]
 * @throws ArgumentError when groups does not divide both channel counts.
 * @category Layers
 */
export class Conv2d extends Module {
  /** The kernel, [outChannels, inChannels / groups, KH, KW]. */
  readonly weight: Parameter;
  /** The per-output-channel bias, [outChannels]; null when built with `bias: false`. */
  readonly bias: Parameter | null;
  private readonly opts: Required<Pick<Conv2dLayerOptions, 'stride' | 'padding' | 'dilation' | 'groups'>>;
  /**
   * @param inChannels - Channels C of the input image (B, C, H, W).
   * @param outChannels - Channels produced, one per filter.
   * @param kernelSize - Kernel height and width: one number for a square kernel, or [KH, KW].
   * @param options - Stride, padding, dilation, groups, bias and generator ({@link Conv2dLayerOptions}).
   */
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: Size2, options: Conv2dLayerOptions = {}) {
    super();
    posInt(inChannels, 'Conv2d', 'inChannels');
    posInt(outChannels, 'Conv2d', 'outChannels');
    const [kh, kw] = kpair(kernelSize, 'Conv2d');
    const groups = options?.groups ?? 1;
    if (!Number.isInteger(groups) || groups < 1 || inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new ArgumentError(`Conv2d: groups ${groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`);
    }
    const rng = options?.rng ?? defaultGenerator();
    const k = 1 / Math.sqrt((inChannels / groups) * kh * kw);
    this.weight = Parameter.uniform([outChannels, inChannels / groups, kh, kw], -k, k, rng);
    this.bias = options?.bias === false ? null : Parameter.uniform([outChannels], -k, k, rng);
    this.opts = { stride: options?.stride ?? 1, padding: options?.padding ?? 0, dilation: options?.dilation ?? 1, groups };
  }
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.opts);
  }
  override config(): ModuleConfig {
    return { type: 'Conv2d', options: { inChannels: this.inChannels, outChannels: this.outChannels, kernelSize: this.kernelSize, ...this.opts, bias: this.bias !== null } };
  }
}

/** Options of {@link Conv1d}. */
export interface Conv1dLayerOptions {
  /** Step between receptive fields (default 1). */
  stride?: number;
  /** Zero padding on each side (default 0), or `'valid'` (none) or `'same'` (output length equals input length; stride 1 only). */
  padding?: number | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: number;
  /** Channel groups (default 1); must divide both channel counts. */
  groups?: number;
  /** Learn a bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the global one). */
  rng?: Generator;
}

/**
 * 1-D convolution layer over [B, C, L] sequences.
 * Shapes: x (B, inChannels, L) → (B, outChannels, OL); weight [outChannels, inChannels / groups, K].
 * Init: U(−k, k), k = 1/√(inChannels / groups · K).
 * @example new Conv1d(2, 3, 3).forward(zeros([1, 2, 10])).shape; // [1, 3, 8]
 * @category Layers
 */
export class Conv1d extends Module {
  /** The kernel, [outChannels, inChannels / groups, K]. */
  readonly weight: Parameter;
  /** The per-output-channel bias, [outChannels]; null when built with `bias: false`. */
  readonly bias: Parameter | null;
  private readonly opts: Required<Pick<Conv1dLayerOptions, 'stride' | 'padding' | 'dilation' | 'groups'>>;
  /**
   * @param inChannels - Channels C of the input sequence (B, C, L).
   * @param outChannels - Channels produced, one per filter.
   * @param kernelSize - Kernel length K.
   * @param options - Stride, padding, dilation, groups, bias and generator ({@link Conv1dLayerOptions}).
   */
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number, options: Conv1dLayerOptions = {}) {
    super();
    posInt(inChannels, 'Conv1d', 'inChannels');
    posInt(outChannels, 'Conv1d', 'outChannels');
    posInt(kernelSize, 'Conv1d', 'kernelSize');
    const groups = options?.groups ?? 1;
    if (!Number.isInteger(groups) || groups < 1 || inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new ArgumentError(`Conv1d: groups ${groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`);
    }
    const rng = options?.rng ?? defaultGenerator();
    const k = 1 / Math.sqrt((inChannels / groups) * kernelSize);
    this.weight = Parameter.uniform([outChannels, inChannels / groups, kernelSize], -k, k, rng);
    this.bias = options?.bias === false ? null : Parameter.uniform([outChannels], -k, k, rng);
    this.opts = { stride: options?.stride ?? 1, padding: options?.padding ?? 0, dilation: options?.dilation ?? 1, groups };
  }
  forward(x: Tensor): Tensor {
    return conv1d(x, this.weight, this.bias, this.opts);
  }
  override config(): ModuleConfig {
    return { type: 'Conv1d', options: { inChannels: this.inChannels, outChannels: this.outChannels, kernelSize: this.kernelSize, ...this.opts, bias: this.bias !== null } };
  }
}

/** Options of {@link ConvTranspose2d}. */
export interface ConvTranspose2dLayerOptions {
  /** Stride of the convolution this one transposes, i.e. the upsampling factor (default 1). */
  stride?: Size2;
  /** Padding of the convolution this one transposes (default 0): removed from each side of the output. */
  padding?: Size2;
  /** Extra rows/columns added to one side of the output (default 0; smaller than stride or dilation). */
  outputPadding?: Size2;
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2;
  /** Channel groups (default 1); must divide both channel counts. */
  groups?: number;
  /** Learn a bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the global one). */
  rng?: Generator;
}

/**
 * Transposed 2-D convolution layer (learned upsampling).
 * Shapes: x (B, inChannels, H, W) → (B, outChannels, OH, OW); weight [inChannels, outChannels / groups, KH, KW].
 * Init: U(−k, k), k = 1/√(outChannels / groups · KH · KW) (PyTorch computes fan-in from weight dim 1).
 * @example new ConvTranspose2d(4, 2, 2, { stride: 2 }).forward(zeros([1, 4, 5, 5])).shape; // [1, 2, 10, 10]
 * @category Layers
 */
export class ConvTranspose2d extends Module {
  /** The kernel, [inChannels, outChannels / groups, KH, KW]. */
  readonly weight: Parameter;
  /** The per-output-channel bias, [outChannels]; null when built with `bias: false`. */
  readonly bias: Parameter | null;
  private readonly opts: Required<Pick<ConvTranspose2dLayerOptions, 'stride' | 'padding' | 'outputPadding' | 'dilation' | 'groups'>>;
  /**
   * @param inChannels - Channels C of the input image (B, C, H, W).
   * @param outChannels - Channels produced.
   * @param kernelSize - Kernel height and width: one number for a square kernel, or [KH, KW].
   * @param options - Stride, padding, output padding, dilation, groups, bias and generator ({@link ConvTranspose2dLayerOptions}).
   */
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: Size2, options: ConvTranspose2dLayerOptions = {}) {
    super();
    posInt(inChannels, 'ConvTranspose2d', 'inChannels');
    posInt(outChannels, 'ConvTranspose2d', 'outChannels');
    const [kh, kw] = kpair(kernelSize, 'ConvTranspose2d');
    const groups = options?.groups ?? 1;
    if (!Number.isInteger(groups) || groups < 1 || inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new ArgumentError(`ConvTranspose2d: groups ${groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`);
    }
    const rng = options?.rng ?? defaultGenerator();
    const k = 1 / Math.sqrt((outChannels / groups) * kh * kw);
    this.weight = Parameter.uniform([inChannels, outChannels / groups, kh, kw], -k, k, rng);
    this.bias = options?.bias === false ? null : Parameter.uniform([outChannels], -k, k, rng);
    this.opts = { stride: options?.stride ?? 1, padding: options?.padding ?? 0, outputPadding: options?.outputPadding ?? 0, dilation: options?.dilation ?? 1, groups };
  }
  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, this.opts);
  }
  override config(): ModuleConfig {
    return { type: 'ConvTranspose2d', options: { inChannels: this.inChannels, outChannels: this.outChannels, kernelSize: this.kernelSize, ...this.opts, bias: this.bias !== null } };
  }
}

/** Options of {@link MaxPool2d}. */
export interface MaxPool2dLayerOptions {
  /** Step between windows (default: the kernel size). */
  stride?: Size2;
  /** Implicit −∞ padding on each side (default 0); at most half the kernel. */
  padding?: Size2;
  /** Spacing between the taps of a window (default 1). */
  dilation?: Size2;
}

/**
 * Max pooling layer (see the `maxPool2d` op); stride defaults to the kernel size.
 * Shapes: (B, C, H, W) → (B, C, OH, OW).
 * @example new MaxPool2d(2).forward(zeros([1, 3, 8, 8])).shape; // [1, 3, 4, 4]
 * @category Layers
 */
export class MaxPool2d extends Module {
  /**
   * @param kernelSize - Window height and width: one number for a square window, or [KH, KW].
   * @param options - Stride, padding and dilation ({@link MaxPool2dLayerOptions}).
   */
  constructor(readonly kernelSize: Size2, readonly options: MaxPool2dLayerOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, { kernelSize: this.kernelSize, ...this.options });
  }
  override config(): ModuleConfig {
    return { type: 'MaxPool2d', options: { kernelSize: this.kernelSize, ...this.options } };
  }
}

/** Options of {@link AvgPool2d}. */
export interface AvgPool2dLayerOptions {
  /** Step between windows (default: the kernel size). */
  stride?: Size2;
  /** Implicit zero padding on each side (default 0); at most half the kernel. */
  padding?: Size2;
  /** Divide by KH·KW, counting padding as zeros (default true, as PyTorch); false divides by the in-bounds taps. */
  countIncludePad?: boolean;
}

/**
 * Average pooling layer (see the `avgPool2d` op).
 * Shapes: (B, C, H, W) → (B, C, OH, OW).
 * @example new AvgPool2d(2).forward(ones([1, 1, 4, 4])).tolist(); // [[[[1, 1], [1, 1]]]]
 * @category Layers
 */
export class AvgPool2d extends Module {
  /**
   * @param kernelSize - Window height and width: one number for a square window, or [KH, KW].
   * @param options - Stride, padding and countIncludePad ({@link AvgPool2dLayerOptions}).
   */
  constructor(readonly kernelSize: Size2, readonly options: AvgPool2dLayerOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, { kernelSize: this.kernelSize, ...this.options });
  }
  override config(): ModuleConfig {
    return { type: 'AvgPool2d', options: { kernelSize: this.kernelSize, ...this.options } };
  }
}

/**
 * Adaptive average pooling to a fixed output size (e.g. 1 for global average pooling).
 * Shapes: (B, C, H, W) → (B, C, OH, OW).
 * @example new AdaptiveAvgPool2d(1).forward(ones([2, 3, 5, 7])).shape; // [2, 3, 1, 1]
 * @category Layers
 */
export class AdaptiveAvgPool2d extends Module {
  /** @param outputSize - Output height and width (OH, OW): one number for a square output, or [OH, OW]. */
  constructor(readonly outputSize: Size2) {
    super();
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  override config(): ModuleConfig {
    return { type: 'AdaptiveAvgPool2d', options: { outputSize: this.outputSize } };
  }
}

/**
 * Flattens axes startAxis … endAxis (default 1 … −1, keeping the batch axis) — a view.
 * Shapes: (B, C, H, W) → (B, C·H·W).
 * @example new Flatten().forward(zeros([2, 3, 4])).shape; // [2, 12]
 * @category Layers
 */
export class Flatten extends Module {
  /**
   * @param startAxis - First axis to flatten (default 1, keeping the batch axis); negative counts from the end.
   * @param endAxis - Last axis to flatten, inclusive (default −1, the last).
   */
  constructor(readonly startAxis = 1, readonly endAxis = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startAxis, this.endAxis);
  }
  override config(): ModuleConfig {
    return { type: 'Flatten', options: { startAxis: this.startAxis, endAxis: this.endAxis } };
  }
}
