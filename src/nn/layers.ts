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
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly inFeatures: number;
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
  stride?: Size2;
  padding?: Size2 | 'same' | 'valid';
  dilation?: Size2;
  groups?: number;
  /** Learn a bias (default true). */
  bias?: boolean;
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
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  private readonly opts: Required<Pick<Conv2dLayerOptions, 'stride' | 'padding' | 'dilation' | 'groups'>>;
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
  stride?: number;
  padding?: number | 'same' | 'valid';
  dilation?: number;
  groups?: number;
  bias?: boolean;
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
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  private readonly opts: Required<Pick<Conv1dLayerOptions, 'stride' | 'padding' | 'dilation' | 'groups'>>;
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
  stride?: Size2;
  padding?: Size2;
  outputPadding?: Size2;
  dilation?: Size2;
  groups?: number;
  bias?: boolean;
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
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  private readonly opts: Required<Pick<ConvTranspose2dLayerOptions, 'stride' | 'padding' | 'outputPadding' | 'dilation' | 'groups'>>;
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
  stride?: Size2;
  padding?: Size2;
  dilation?: Size2;
}

/**
 * Max pooling layer (see the `maxPool2d` op); stride defaults to the kernel size.
 * Shapes: (B, C, H, W) → (B, C, OH, OW).
 * @example new MaxPool2d(2).forward(zeros([1, 3, 8, 8])).shape; // [1, 3, 4, 4]
 * @category Layers
 */
export class MaxPool2d extends Module {
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
  stride?: Size2;
  padding?: Size2;
  countIncludePad?: boolean;
}

/**
 * Average pooling layer (see the `avgPool2d` op).
 * Shapes: (B, C, H, W) → (B, C, OH, OW).
 * @example new AvgPool2d(2).forward(ones([1, 1, 4, 4])).tolist(); // [[[[1, 1], [1, 1]]]]
 * @category Layers
 */
export class AvgPool2d extends Module {
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
