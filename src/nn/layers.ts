import {
  ArgumentError, Generator, Parameter, Tensor, adaptiveAvgPool2d, avgPool2d, conv1d, conv2d, convTranspose2d,
  dropout, flatten, linear, maxPool2d, type Size2,
} from '../tensor/index';
import {
  anyOf, arrayOf, bool, int, nonNegInt, num, oneOf, posInt, rng, type Check,
} from '../tensor/options';
import { conv2dRelu, conv2dReluPool } from '../tensor/ops/conv';
import { type LayerConfig, layerArgs, layerRng } from './config';
import { Module } from './module';

/** A size as one positive integer or a pair [h, w] of them, kept in the form given. */
const size2: Check<Size2> = anyOf('a positive integer or a pair [h, w] of them', posInt, arrayOf(posInt, { min: 2, max: 2 }) as unknown as Check<Size2>);
/** A padding as one integer ≥ 0 or a pair of them. */
const pad2: Check<Size2> = anyOf('an integer ≥ 0 or a pair [h, w] of them', nonNegInt, arrayOf(nonNegInt, { min: 2, max: 2 }) as unknown as Check<Size2>);
const padMode = oneOf<'same' | 'valid'>(['same', 'valid']);

/**
 * The weight and bias of a convolution, after checking that `groups` divides both channel counts:
 * weight [OC, C / groups, …kernel] ([C, OC / groups, …kernel] when transposed), both drawn from
 * U(−k, k) with k = 1/√(weight.shape[1] · Π kernel), PyTorch's default.
 */
function convParams(
  op: string, C: number, OC: number, groups: number, kernel: readonly number[], transposed: boolean,
  bias: boolean | undefined, rng: Generator | undefined,
): { weight: Parameter; bias: Parameter | null } {
  if (C % groups !== 0 || OC % groups !== 0) {
    throw new ArgumentError(`${op}: groups ${groups} must divide inChannels ${C} and outChannels ${OC}`);
  }
  const shape = transposed ? [C, OC / groups, ...kernel] : [OC, C / groups, ...kernel];
  let fanIn = shape[1];
  for (const d of kernel) fanIn *= d;
  const g = layerRng(rng);
  const k = 1 / Math.sqrt(fanIn);
  return { weight: Parameter.uniform(shape, -k, k, g), bias: bias === false ? null : Parameter.uniform([OC], -k, k, g) };
}

/** A kernel size as [KH, KW]. */
function pair(v: Size2): readonly [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the global one). */
  rng?: Generator;
}

/** The single-argument form of {@link Linear}: what its `config().options` returns, plus `rng`. */
export interface LinearConfig extends LinearOptions {
  /** Size of each input sample. */
  inFeatures: number;
  /** Size of each output sample. */
  outFeatures: number;
}

const LINEAR = { inFeatures: posInt, outFeatures: posInt, bias: bool, rng };

/**
 * Fully connected layer y = x·Wᵀ + b.
 * Shapes: x (…, inFeatures) → (…, outFeatures); weight [outFeatures, inFeatures], bias [outFeatures].
 * Init: U(−k, k) with k = 1/√inFeatures for weight and bias (PyTorch's default).
 * @example
 * new Linear(3, 2).forward(zeros([4, 3])).shape; // [4, 2]
 * new Linear({ inFeatures: 3, outFeatures: 2, bias: false }).bias; // null
 * @throws ArgumentError for a size that is not a positive integer or an unknown or mistyped option.
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
  /** Builds the layer from its config object (`lin.config().options`). */
  constructor(config: LinearConfig);
  constructor(inFeatures: number, outFeatures: number, options?: LinearOptions);
  constructor(inFeatures: number | LinearConfig, outFeatures?: number, options?: LinearOptions) {
    super();
    const o = layerArgs('Linear', LINEAR, ['inFeatures', 'outFeatures'], [inFeatures, outFeatures], options);
    const I = o.inFeatures!, O = o.outFeatures!;
    this.inFeatures = I;
    this.outFeatures = O;
    const g = layerRng(o.rng);
    const k = 1 / Math.sqrt(I);
    this.weight = Parameter.uniform([O, I], -k, k, g);
    this.bias = o.bias === false ? null : Parameter.uniform([O], -k, k, g);
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
  override config(): LayerConfig<LinearConfig> {
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

/** The single-argument form of {@link Conv2d}: what its `config().options` returns, plus `rng`. */
export interface Conv2dConfig extends Conv2dLayerOptions {
  /** Channels C of the input image. */
  inChannels: number;
  /** Channels produced, one per filter. */
  outChannels: number;
  /** Kernel height and width: one number or [KH, KW]. */
  kernelSize: Size2;
}

const CONV2D = {
  inChannels: posInt, outChannels: posInt, kernelSize: size2, stride: size2,
  padding: anyOf<Size2 | 'same' | 'valid'>("an integer ≥ 0, a pair of them, 'same' or 'valid'", pad2, padMode),
  dilation: size2, groups: posInt, bias: bool, rng,
};

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
  /** Channels C of the input image. */
  readonly inChannels: number;
  /** Channels produced. */
  readonly outChannels: number;
  /** Kernel height and width, as given. */
  readonly kernelSize: Size2;
  /** Builds the layer from its config object (`conv.config().options`). */
  constructor(config: Conv2dConfig);
  /**
   * @param inChannels - Channels C of the input image (B, C, H, W).
   * @param outChannels - Channels produced, one per filter.
   * @param kernelSize - Kernel height and width: one number for a square kernel, or [KH, KW].
   * @param options - Stride, padding, dilation, groups, bias and generator ({@link Conv2dLayerOptions}).
   */
  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options?: Conv2dLayerOptions);
  constructor(inChannels: number | Conv2dConfig, outChannels?: number, kernelSize?: Size2, options?: Conv2dLayerOptions) {
    super();
    const o = layerArgs('Conv2d', CONV2D, ['inChannels', 'outChannels', 'kernelSize'], [inChannels, outChannels, kernelSize], options);
    const C = o.inChannels!, OC = o.outChannels!, groups = o.groups ?? 1;
    this.inChannels = C;
    this.outChannels = OC;
    this.kernelSize = o.kernelSize!;
    const p = convParams('Conv2d', C, OC, groups, pair(this.kernelSize), false, o.bias, o.rng);
    this.weight = p.weight;
    this.bias = p.bias;
    this.opts = { stride: o.stride ?? 1, padding: o.padding ?? 0, dilation: o.dilation ?? 1, groups };
  }
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.opts);
  }
  /** relu(forward(x)) as one fused op (what `Sequential` runs for this layer and a `ReLU` after it). @internal */
  forwardRelu(x: Tensor): Tensor {
    return conv2dRelu(x, this.weight, this.bias, this.opts);
  }
  /** maxPool2d(relu(forward(x)), 2) as one fused op (what `Sequential` runs for this layer, a `ReLU` and a `MaxPool2d(2)`). @internal */
  forwardReluPool(x: Tensor): Tensor {
    return conv2dReluPool(x, this.weight, this.bias, this.opts);
  }
  override config(): LayerConfig<Conv2dConfig> {
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

/** The single-argument form of {@link Conv1d}: what its `config().options` returns, plus `rng`. */
export interface Conv1dConfig extends Conv1dLayerOptions {
  /** Channels C of the input sequence. */
  inChannels: number;
  /** Channels produced, one per filter. */
  outChannels: number;
  /** Kernel length K. */
  kernelSize: number;
}

const CONV1D = {
  inChannels: posInt, outChannels: posInt, kernelSize: posInt, stride: posInt,
  padding: anyOf<number | 'same' | 'valid'>("an integer ≥ 0, 'same' or 'valid'", nonNegInt, padMode),
  dilation: posInt, groups: posInt, bias: bool, rng,
};

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
  /** Channels C of the input sequence. */
  readonly inChannels: number;
  /** Channels produced. */
  readonly outChannels: number;
  /** Kernel length K. */
  readonly kernelSize: number;
  /** Builds the layer from its config object (`conv.config().options`). */
  constructor(config: Conv1dConfig);
  /**
   * @param inChannels - Channels C of the input sequence (B, C, L).
   * @param outChannels - Channels produced, one per filter.
   * @param kernelSize - Kernel length K.
   * @param options - Stride, padding, dilation, groups, bias and generator ({@link Conv1dLayerOptions}).
   */
  constructor(inChannels: number, outChannels: number, kernelSize: number, options?: Conv1dLayerOptions);
  constructor(inChannels: number | Conv1dConfig, outChannels?: number, kernelSize?: number, options?: Conv1dLayerOptions) {
    super();
    const o = layerArgs('Conv1d', CONV1D, ['inChannels', 'outChannels', 'kernelSize'], [inChannels, outChannels, kernelSize], options);
    const C = o.inChannels!, OC = o.outChannels!, K = o.kernelSize!, groups = o.groups ?? 1;
    this.inChannels = C;
    this.outChannels = OC;
    this.kernelSize = K;
    const p = convParams('Conv1d', C, OC, groups, [K], false, o.bias, o.rng);
    this.weight = p.weight;
    this.bias = p.bias;
    this.opts = { stride: o.stride ?? 1, padding: o.padding ?? 0, dilation: o.dilation ?? 1, groups };
  }
  forward(x: Tensor): Tensor {
    return conv1d(x, this.weight, this.bias, this.opts);
  }
  override config(): LayerConfig<Conv1dConfig> {
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

/** The single-argument form of {@link ConvTranspose2d}: what its `config().options` returns, plus `rng`. */
export interface ConvTranspose2dConfig extends ConvTranspose2dLayerOptions {
  /** Channels C of the input image. */
  inChannels: number;
  /** Channels produced. */
  outChannels: number;
  /** Kernel height and width: one number or [KH, KW]. */
  kernelSize: Size2;
}

const CONV_T2D = {
  inChannels: posInt, outChannels: posInt, kernelSize: size2, stride: size2, padding: pad2, outputPadding: pad2,
  dilation: size2, groups: posInt, bias: bool, rng,
};

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
  /** Channels C of the input image. */
  readonly inChannels: number;
  /** Channels produced. */
  readonly outChannels: number;
  /** Kernel height and width, as given. */
  readonly kernelSize: Size2;
  /** Builds the layer from its config object (`conv.config().options`). */
  constructor(config: ConvTranspose2dConfig);
  /**
   * @param inChannels - Channels C of the input image (B, C, H, W).
   * @param outChannels - Channels produced.
   * @param kernelSize - Kernel height and width: one number for a square kernel, or [KH, KW].
   * @param options - Stride, padding, output padding, dilation, groups, bias and generator ({@link ConvTranspose2dLayerOptions}).
   */
  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options?: ConvTranspose2dLayerOptions);
  constructor(inChannels: number | ConvTranspose2dConfig, outChannels?: number, kernelSize?: Size2, options?: ConvTranspose2dLayerOptions) {
    super();
    const o = layerArgs('ConvTranspose2d', CONV_T2D, ['inChannels', 'outChannels', 'kernelSize'], [inChannels, outChannels, kernelSize], options);
    const C = o.inChannels!, OC = o.outChannels!, groups = o.groups ?? 1;
    this.inChannels = C;
    this.outChannels = OC;
    this.kernelSize = o.kernelSize!;
    const p = convParams('ConvTranspose2d', C, OC, groups, pair(this.kernelSize), true, o.bias, o.rng);
    this.weight = p.weight;
    this.bias = p.bias;
    this.opts = {
      stride: o.stride ?? 1, padding: o.padding ?? 0, outputPadding: o.outputPadding ?? 0, dilation: o.dilation ?? 1, groups,
    };
  }
  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, this.opts);
  }
  override config(): LayerConfig<ConvTranspose2dConfig> {
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

/** The single-argument form of {@link MaxPool2d}: what its `config().options` returns. */
export interface MaxPool2dConfig extends MaxPool2dLayerOptions {
  /** Window height and width: one number or [KH, KW]. */
  kernelSize: Size2;
}

const MAXPOOL = { kernelSize: size2, stride: size2, padding: pad2, dilation: size2 };

/**
 * Max pooling layer (see the `maxPool2d` op); stride defaults to the kernel size.
 * Shapes: (B, C, H, W) → (B, C, OH, OW).
 * @example new MaxPool2d(2).forward(zeros([1, 3, 8, 8])).shape; // [1, 3, 4, 4]
 * @category Layers
 */
export class MaxPool2d extends Module {
  /** Window height and width, as given. */
  readonly kernelSize: Size2;
  /** Stride, padding and dilation, as given (validated). */
  readonly options: MaxPool2dLayerOptions;
  /** Builds the layer from its config object (`pool.config().options`). */
  constructor(config: MaxPool2dConfig);
  /**
   * @param kernelSize - Window height and width: one number for a square window, or [KH, KW].
   * @param options - Stride, padding and dilation ({@link MaxPool2dLayerOptions}).
   */
  constructor(kernelSize: Size2, options?: MaxPool2dLayerOptions);
  constructor(kernelSize: Size2 | MaxPool2dConfig, options?: MaxPool2dLayerOptions) {
    super();
    const { kernelSize: ks, ...rest } = layerArgs('MaxPool2d', MAXPOOL, ['kernelSize'], [kernelSize], options);
    this.kernelSize = ks!;
    this.options = rest;
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, { kernelSize: this.kernelSize, ...this.options });
  }
  /** True for `MaxPool2d(2)`: a 2×2 window, stride 2, no padding or dilation (the pool a convolution can fuse). @internal */
  halves(): boolean {
    const { stride, padding, dilation } = this.options;
    const is = (v: Size2 | undefined, n: number): boolean => v === undefined || v === n || (Array.isArray(v) && v[0] === n && v[1] === n);
    return this.kernelSize !== undefined && is(this.kernelSize, 2) && is(stride, 2) && is(padding, 0) && is(dilation, 1);
  }
  override config(): LayerConfig<MaxPool2dConfig> {
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

/** The single-argument form of {@link AvgPool2d}: what its `config().options` returns. */
export interface AvgPool2dConfig extends AvgPool2dLayerOptions {
  /** Window height and width: one number or [KH, KW]. */
  kernelSize: Size2;
}

const AVGPOOL = { kernelSize: size2, stride: size2, padding: pad2, countIncludePad: bool };

/**
 * Average pooling layer (see the `avgPool2d` op).
 * Shapes: (B, C, H, W) → (B, C, OH, OW).
 * @example new AvgPool2d(2).forward(ones([1, 1, 4, 4])).tolist(); // [[[[1, 1], [1, 1]]]]
 * @category Layers
 */
export class AvgPool2d extends Module {
  /** Window height and width, as given. */
  readonly kernelSize: Size2;
  /** Stride, padding and countIncludePad, as given (validated). */
  readonly options: AvgPool2dLayerOptions;
  /** Builds the layer from its config object (`pool.config().options`). */
  constructor(config: AvgPool2dConfig);
  /**
   * @param kernelSize - Window height and width: one number for a square window, or [KH, KW].
   * @param options - Stride, padding and countIncludePad ({@link AvgPool2dLayerOptions}).
   */
  constructor(kernelSize: Size2, options?: AvgPool2dLayerOptions);
  constructor(kernelSize: Size2 | AvgPool2dConfig, options?: AvgPool2dLayerOptions) {
    super();
    const { kernelSize: ks, ...rest } = layerArgs('AvgPool2d', AVGPOOL, ['kernelSize'], [kernelSize], options);
    this.kernelSize = ks!;
    this.options = rest;
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, { kernelSize: this.kernelSize, ...this.options });
  }
  override config(): LayerConfig<AvgPool2dConfig> {
    return { type: 'AvgPool2d', options: { kernelSize: this.kernelSize, ...this.options } };
  }
}

/** The single-argument form of {@link AdaptiveAvgPool2d}: what its `config().options` returns. */
export interface AdaptiveAvgPool2dConfig {
  /** Output height and width: one number or [OH, OW]. */
  outputSize: Size2;
}

/**
 * Adaptive average pooling to a fixed output size (e.g. 1 for global average pooling).
 * Shapes: (B, C, H, W) → (B, C, OH, OW).
 * @example new AdaptiveAvgPool2d(1).forward(ones([2, 3, 5, 7])).shape; // [2, 3, 1, 1]
 * @category Layers
 */
export class AdaptiveAvgPool2d extends Module {
  /** Output height and width, as given. */
  readonly outputSize: Size2;
  /** Builds the layer from its config object (`pool.config().options`). */
  constructor(config: AdaptiveAvgPool2dConfig);
  /** @param outputSize - Output height and width (OH, OW): one number for a square output, or [OH, OW]. */
  constructor(outputSize: Size2);
  constructor(outputSize: Size2 | AdaptiveAvgPool2dConfig) {
    super();
    this.outputSize = layerArgs('AdaptiveAvgPool2d', { outputSize: size2 }, ['outputSize'], [outputSize], undefined).outputSize!;
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  override config(): LayerConfig<AdaptiveAvgPool2dConfig> {
    return { type: 'AdaptiveAvgPool2d', options: { outputSize: this.outputSize } };
  }
}

/** The single-argument form of {@link Flatten}: what its `config().options` returns. */
export interface FlattenConfig {
  /** First axis to flatten (default 1). */
  startAxis?: number;
  /** Last axis to flatten, inclusive (default −1). */
  endAxis?: number;
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
  /** First axis flattened. */
  readonly startAxis: number;
  /** Last axis flattened, inclusive. */
  readonly endAxis: number;
  /** Builds the layer from its config object (`flatten.config().options`). */
  constructor(config: FlattenConfig);
  constructor(startAxis?: number, endAxis?: number);
  constructor(startAxis?: number | FlattenConfig, endAxis?: number) {
    super();
    const o = layerArgs('Flatten', { startAxis: int(), endAxis: int() }, ['startAxis', 'endAxis'], [startAxis, endAxis], undefined, []);
    this.startAxis = o.startAxis ?? 1;
    this.endAxis = o.endAxis ?? -1;
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startAxis, this.endAxis);
  }
  override config(): LayerConfig<FlattenConfig> {
    return { type: 'Flatten', options: { startAxis: this.startAxis, endAxis: this.endAxis } };
  }
}

/** Options of {@link Dropout}. */
export interface DropoutLayerOptions {
  /** Generator for the masks (default: the global one, looked up at each forward). */
  rng?: Generator;
}

/** The single-argument form of {@link Dropout}: what its `config().options` returns, plus `rng`. */
export interface DropoutConfig extends DropoutLayerOptions {
  /** Probability of zeroing each element in training (default 0.5). */
  p?: number;
}

const DROPOUT = { p: num({ min: 0, max: 1 }), rng };

/**
 * Zeroes each element with probability p in training and scales the rest by 1/(1 − p)
 * (inverted dropout, Srivastava et al., 2014); the identity in eval mode.
 * Shapes: x of every shape, returned unchanged.
 * @example new Dropout(0.5).eval().forward(ones([3])).toArray(); // [1, 1, 1]
 * @see https://jmlr.org/papers/v15/srivastava14a.html
 * @category Layers
 */
export class Dropout extends Module {
  /** Probability of zeroing each element in training. */
  readonly p: number;
  private readonly rng: Generator | undefined;
  /** Builds the layer from its config object (`drop.config().options`). */
  constructor(config: DropoutConfig);
  /**
   * @param p - Probability of zeroing each element in training, in [0, 1] (default 0.5).
   * @param options - The mask generator ({@link DropoutLayerOptions}).
   */
  constructor(p?: number, options?: DropoutLayerOptions);
  constructor(p?: number | DropoutConfig, options?: DropoutLayerOptions) {
    super();
    const o = layerArgs('Dropout', DROPOUT, ['p'], [p], options, []);
    this.p = o.p ?? 0.5;
    this.rng = o.rng;
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training, rng: layerRng(this.rng) });
  }
  override config(): LayerConfig<DropoutConfig> {
    return { type: 'Dropout', options: { p: this.p } };
  }
}
