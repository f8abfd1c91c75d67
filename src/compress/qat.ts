/**
 * Quantization-aware training: `FakeQuantize` (an observer plus fake quantization, as
 * torch.ao.quantization.FakeQuantize), the QAT Linear that trains through it, and
 * `prepareQat` / `convert`, which swap layers in and out.
 */
import type { LayerConfig } from '../nn/config';
import { Conv2d, Linear } from '../nn/layers';
import { Module } from '../nn/module';
import { conv2d, linear } from '../tensor/ops/conv';
import { add, div, mul } from '../tensor/ops/binary';
import { reshape } from '../tensor/ops/shape';
import { BatchNorm2d } from '../nn/normalization';
import { relu } from '../tensor/ops/unary';
import { ArgumentError } from '../tensor/errors';
import { bool, checkArg, instanceOf, int, isPlainObject, num, oneOf, parseOptions, posInt } from '../tensor/options';
import { describe } from '../tensor/shape';
import { Parameter, Tensor } from '../tensor/tensor';
import { fakeQuantizePerChannelAffine, fakeQuantizePerTensorAffine } from './fake-quantize';
import { MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver, type ObserverBase } from './observers';
import { QuantizedLinear } from './quantized-linear';
import { QuantizedConv2d, type ConvGeometry, type WeightParams } from './quantized-conv';
import {
  ConvBn2d, ConvBnReLU2d, ConvReLU2d, LinearReLU, StaticQuantizedLinear, convertObserved, foldBatchNorm, gridOf, isQuantizable, isTerminal, swapChained,
  type Quantizable,
} from './static';
import { replaceModule } from './swap';
import type { QDtype, QScheme } from './quantize';

/** Options of {@link FakeQuantize}. @category Quantization */
export type FakeQuantizeOptions = {
  /** The integer type (default `'quint8'`, PyTorch's activation default). */
  dtype?: QDtype;
  /** Affine or symmetric, per tensor or per channel (default `'perTensorAffine'`). */
  qscheme?: QScheme;
  /** Lower end of the integer range (default the dtype's; 4-bit weights: −8 with quantMax 7). */
  quantMin?: number;
  /** Upper end of the integer range. */
  quantMax?: number;
  /** Channel axis for the per-channel schemes (default 0). */
  chAxis?: number;
  /** Weight of the newest batch in the moving-average observer (default 0.01). */
  averagingConstant?: number;
};

const FQ_SPEC = {
  dtype: oneOf(['qint8', 'quint8'] as const), qscheme: oneOf(['perTensorAffine', 'perTensorSymmetric', 'perChannelAffine', 'perChannelSymmetric'] as const),
  quantMin: int(), quantMax: int(), chAxis: int(), averagingConstant: num({ min: 0, max: 1, openMin: true }),
};

/**
 * Fake quantization with a range that is learned as training runs
 * (torch.ao.quantization.FakeQuantize): in forward, a moving-average min/max observer records the
 * input's range (when enabled), and the input is quantized and dequantized with the observer's
 * current scale and zero point (when enabled), the gradient passing straight through inside the
 * range. Per-channel schemes use one scale per index along `chAxis`.
 * @example
 * const fq = new FakeQuantize({ dtype: 'qint8', qscheme: 'perTensorSymmetric', quantMin: -8, quantMax: 7 });
 * fq.forward(tensor([-1, 0.3, 1])).toArray(); // [-0.93333334, 0.26666668, 0.93333334]
 * @throws ArgumentError for an unknown or mistyped option, or the observers' range errors.
 * @category Quantization
 */
export class FakeQuantize extends Module {
  /** The observer whose range sets the scale and zero point. */
  readonly activationPostProcess: ObserverBase;
  /** Whether forward updates the observer (`disableObserver()` freezes the range). */
  observerEnabled = true;
  /** Whether forward fake-quantizes (false: the identity, observing only). */
  fakeQuantEnabled = true;
  private readonly opts: FakeQuantizeOptions;

  /** @param options - dtype, qscheme, range, chAxis and averagingConstant ({@link FakeQuantizeOptions}). */
  constructor(options: FakeQuantizeOptions = {}) {
    super();
    const o = parseOptions('FakeQuantize', options, FQ_SPEC);
    this.opts = o;
    const perChannel = o.qscheme === 'perChannelAffine' || o.qscheme === 'perChannelSymmetric';
    const common = { dtype: o.dtype, qscheme: o.qscheme, quantMin: o.quantMin, quantMax: o.quantMax, averagingConstant: o.averagingConstant };
    this.activationPostProcess = perChannel
      ? new MovingAveragePerChannelMinMaxObserver({ ...common, chAxis: o.chAxis })
      : new MovingAverageMinMaxObserver(common);
  }

  /** Lower end of the integer range. */
  get quantMin(): number {
    return this.activationPostProcess.quantMin;
  }

  /** Upper end of the integer range. */
  get quantMax(): number {
    return this.activationPostProcess.quantMax;
  }

  /** Stops updating the range (PyTorch's `disable_observer`); returns this. */
  disableObserver(): this {
    this.observerEnabled = false;
    return this;
  }

  /** Resumes updating the range; returns this. */
  enableObserver(): this {
    this.observerEnabled = true;
    return this;
  }

  /** Turns fake quantization off (forward is the identity) or back on; returns this. */
  enableFakeQuant(enabled = true): this {
    this.fakeQuantEnabled = checkArg('FakeQuantize.enableFakeQuant', 'enabled', enabled, bool);
    return this;
  }

  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) throw new ArgumentError(`FakeQuantize: input must be a Tensor, got ${describe(x)}`);
    if (this.observerEnabled) this.activationPostProcess.forward(x);
    if (!this.fakeQuantEnabled || x.size === 0) return x;
    const { scale, zeroPoint } = this.activationPostProcess.calculateQparams();
    const obs = this.activationPostProcess as { chAxis?: number };
    return obs.chAxis !== undefined && scale.length > 1
      ? fakeQuantizePerChannelAffine(x, scale, zeroPoint, obs.chAxis, this.quantMin, this.quantMax)
      : fakeQuantizePerTensorAffine(x, scale[0], zeroPoint[0], this.quantMin, this.quantMax);
  }

  override config(): LayerConfig<FakeQuantizeOptions> {
    return { type: 'FakeQuantize', options: { ...this.opts } };
  }
}

/** Options of {@link prepareQat}. @category Quantization */
export interface PrepareQatOptions {
  /** Bits of the weights, 2 to 8 (default 8): the symmetric signed range [−2ᵇ⁻¹, 2ᵇ⁻¹ − 1]. */
  weightBits?: number;
  /** One weight scale per output feature (default false). */
  perChannel?: boolean;
  /**
   * Fake-quantize activations too (default true, as PyTorch's QAT qconfigs): each layer's output,
   * and its input unless it is the previous layer's output on the same grid, go through a
   * quint8 {@link FakeQuantize}, and `convert` gives static int8 layers ({@link QuantizedConv2d},
   * {@link StaticQuantizedLinear}). false: weights only, Linear layers only, and `convert` gives
   * the dynamic {@link QuantizedLinear}.
   */
  activations?: boolean;
}

/** Options of a QAT layer built from a float one: {@link PrepareQatOptions} and where it fake-quantizes activations. @category Quantization */
export interface QatLayerOptions {
  /** Bits of the weights, 2 to 8 (default 8). */
  weightBits?: number;
  /** One weight scale per output channel (default false). */
  perChannel?: boolean;
  /** Fake-quantize the input (default false). */
  inputFakeQuant?: boolean;
  /** Fake-quantize the output, after the fused ReLU (default false). */
  outputFakeQuant?: boolean;
}

const LAYER_SPEC = { weightBits: int({ min: 2, max: 8 }), perChannel: bool, inputFakeQuant: bool, outputFakeQuant: bool };
const QAT_CONFIG_SPEC = { inFeatures: posInt, outFeatures: posInt, bias: bool, relu: bool, ...LAYER_SPEC };

/** What {@link QatLinear}'s constructor takes back: its `config().options`. @category Quantization */
export type QatLinearConfig = {
  /** Input features. */
  inFeatures: number;
  /** Output features. */
  outFeatures: number;
  /** Whether the layer has a bias. */
  bias: boolean;
  /** Bits of the weights. */
  weightBits: number;
  /** Per-output-feature weight scales. */
  perChannel: boolean;
  /** A ReLU fused after the product (from a LinearReLU). */
  relu?: boolean;
  /** Whether the input is fake-quantized. */
  inputFakeQuant?: boolean;
  /** Whether the output is fake-quantized. */
  outputFakeQuant?: boolean;
};

/** The weight fake quantizer of `weightBits` bits, symmetric, per tensor or per output channel. */
function weightFq(bits: number, perChannel: boolean): FakeQuantize {
  const half = 2 ** (bits - 1);
  return new FakeQuantize({ dtype: 'qint8', qscheme: perChannel ? 'perChannelSymmetric' : 'perTensorSymmetric', quantMin: -half, quantMax: half - 1, chAxis: 0 });
}

/** An activation fake quantizer: quint8 on [0, 255], affine, moving-average range (PyTorch's QAT qconfigs for qnnpack/onednn). */
function activationFq(): FakeQuantize {
  return new FakeQuantize({ dtype: 'quint8', qscheme: 'perTensorAffine' });
}

/** The shared part of the QAT layers: weight and activation fake quantizers and the fused ReLU. */
interface QatCommon {
  weightBits: number;
  perChannel: boolean;
  relu: boolean;
  inputFakeQuant: FakeQuantize | null;
  activationPostProcess: FakeQuantize | null;
}

function qatCommon(o: { weightBits?: number; perChannel?: boolean; inputFakeQuant?: boolean; outputFakeQuant?: boolean }, relu: boolean): QatCommon {
  return {
    weightBits: o.weightBits ?? 8, perChannel: o.perChannel ?? false, relu,
    inputFakeQuant: o.inputFakeQuant ? activationFq() : null, activationPostProcess: o.outputFakeQuant ? activationFq() : null,
  };
}

/**
 * A Linear that trains with fake-quantized weights, and activations when prepared so
 * (torch.ao.nn.qat.Linear, and LinearReLU from a fused {@link LinearReLU}):
 * y = fq_out(relu?(fq_in(x)·fq(W)ᵀ + b)), fq a {@link FakeQuantize} over the weight with a
 * symmetric signed range of `weightBits` bits, fq_in and fq_out quint8 fake quantizers of the
 * input and output (each optional), so the network learns weights and ranges that survive
 * rounding. `weight` and `bias` are the float layer's own parameters (the same objects), so an
 * optimizer built on the float model keeps training them. {@link convert} turns it into a
 * {@link StaticQuantizedLinear} (with activation fake quantization) or a {@link QuantizedLinear}.
 * Shapes: as Linear.
 * @example
 * const q = new QatLinear(new Linear(4, 2), { weightBits: 4 });
 * q.forward(ones([3, 4])).shape; // [3, 2]
 * @category Quantization
 */
export class QatLinear extends Module {
  /** The float weight, trained through the fake quantizer. */
  readonly weight: Parameter;
  /** The float bias, or null. */
  readonly bias: Parameter | null;
  /** The weight's fake quantizer. */
  readonly weightFakeQuant: FakeQuantize;
  /** The input's fake quantizer, or null. */
  readonly inputFakeQuant: FakeQuantize | null;
  /** The output's fake quantizer (PyTorch's `activation_post_process`), or null. */
  readonly activationPostProcess: FakeQuantize | null;
  /** Input features. */
  readonly inFeatures: number;
  /** Output features. */
  readonly outFeatures: number;
  /** Bits of the weights. */
  readonly weightBits: number;
  /** Per-output-feature weight scales. */
  readonly perChannel: boolean;
  /** Whether a ReLU follows the product. */
  readonly relu: boolean;

  /** Builds the layer from its config object (`q.config().options`), with fresh weights. */
  constructor(config: QatLinearConfig);
  /**
   * @param float - The trained Linear (or fused LinearReLU) whose parameters this layer takes over.
   * @param options - weightBits, perChannel and the activation fake quantizers ({@link QatLayerOptions}).
   */
  constructor(float: Linear | LinearReLU, options?: QatLayerOptions);
  constructor(float: Linear | LinearReLU | QatLinearConfig, options: QatLayerOptions = {}) {
    super();
    const op = 'QatLinear';
    let lin: Linear, o: QatLayerOptions, relu = false;
    if (float instanceof Linear || float instanceof LinearReLU) {
      lin = float instanceof LinearReLU ? float.linear : float;
      relu = float instanceof LinearReLU;
      o = parseOptions(op, options, LAYER_SPEC);
    } else {
      const c = parseOptions(op, float, QAT_CONFIG_SPEC);
      for (const key of ['inFeatures', 'outFeatures'] as const) if (c[key] === undefined) QAT_CONFIG_SPEC[key](undefined, key, op);
      lin = new Linear(c.inFeatures!, c.outFeatures!, { bias: c.bias ?? true });
      relu = c.relu ?? false;
      o = c;
    }
    this.weight = lin.weight;
    this.bias = lin.bias;
    this.inFeatures = lin.inFeatures;
    this.outFeatures = lin.outFeatures;
    const q = qatCommon(o, relu);
    this.weightBits = q.weightBits;
    this.perChannel = q.perChannel;
    this.relu = q.relu;
    this.weightFakeQuant = weightFq(this.weightBits, this.perChannel);
    this.inputFakeQuant = q.inputFakeQuant;
    this.activationPostProcess = q.activationPostProcess;
  }

  forward(x: Tensor): Tensor {
    const xin = this.inputFakeQuant === null ? x : this.inputFakeQuant.forward(x);
    let y = linear(xin, this.weightFakeQuant.forward(this.weight), this.bias);
    if (this.relu) y = relu(y);
    return this.activationPostProcess === null ? y : this.activationPostProcess.forward(y);
  }

  override config(): LayerConfig<QatLinearConfig> {
    const options: QatLinearConfig = { inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null, weightBits: this.weightBits, perChannel: this.perChannel };
    if (this.relu) options.relu = true;
    if (this.inputFakeQuant !== null) options.inputFakeQuant = true;
    if (this.activationPostProcess !== null) options.outputFakeQuant = true;
    return { type: 'QatLinear', options };
  }
}

/** What {@link QatConv2d}'s constructor takes back: its `config().options`. @category Quantization */
export type QatConv2dConfig = ConvGeometry & {
  /** Whether the layer has a bias. */
  bias?: boolean;
  /** Bits of the weights (default 8). */
  weightBits?: number;
  /** Per-output-channel weight scales (default false). */
  perChannel?: boolean;
  /** A ReLU fused after the convolution (from a ConvReLU2d). */
  relu?: boolean;
  /** Whether the input is fake-quantized. */
  inputFakeQuant?: boolean;
  /** Whether the output is fake-quantized. */
  outputFakeQuant?: boolean;
};

/**
 * A Conv2d that trains with fake-quantized weights and activations (torch.ao.nn.qat.Conv2d, and
 * ConvReLU2d from a fused {@link ConvReLU2d}): y = fq_out(relu?(conv2d(fq_in(x), fq(W), b))), as
 * {@link QatLinear}. Its `weight` and `bias` are the float layer's Parameters. {@link convert}
 * turns it into a {@link QuantizedConv2d}.
 * Shapes: as Conv2d.
 * @example
 * const q = new QatConv2d(new Conv2d(1, 2, 3), { outputFakeQuant: true });
 * q.forward(ones([1, 1, 5, 5])).shape; // [1, 2, 3, 3]
 * @category Quantization
 */
export class QatConv2d extends Module {
  /** The float kernel, trained through the fake quantizer. */
  readonly weight: Parameter;
  /** The float bias, or null. */
  readonly bias: Parameter | null;
  /** The weight's fake quantizer. */
  readonly weightFakeQuant: FakeQuantize;
  /** The input's fake quantizer, or null. */
  readonly inputFakeQuant: FakeQuantize | null;
  /** The output's fake quantizer, or null. */
  readonly activationPostProcess: FakeQuantize | null;
  /** Bits of the weights. */
  readonly weightBits: number;
  /** Per-output-channel weight scales. */
  readonly perChannel: boolean;
  /** Whether a ReLU follows the convolution. */
  readonly relu: boolean;
  /** The convolution's shape and geometry. */
  readonly geometry: ConvGeometry;

  /** Builds the layer from its config object (`q.config().options`), with fresh weights. */
  constructor(config: QatConv2dConfig);
  /**
   * @param float - The trained Conv2d (or fused ConvReLU2d) whose parameters this layer takes over.
   * @param options - weightBits, perChannel and the activation fake quantizers ({@link QatLayerOptions}).
   */
  constructor(float: Conv2d | ConvReLU2d, options?: QatLayerOptions);
  constructor(float: Conv2d | ConvReLU2d | QatConv2dConfig, options: QatLayerOptions = {}) {
    super();
    const op = 'QatConv2d';
    let conv: Conv2d, o: QatLayerOptions, relu = false;
    if (float instanceof Conv2d || float instanceof ConvReLU2d) {
      conv = float instanceof ConvReLU2d ? float.conv : float;
      relu = float instanceof ConvReLU2d;
      o = parseOptions(op, options, LAYER_SPEC);
    } else {
      if (!isPlainObject(float)) throw new ArgumentError(`${op}: expected a Conv2d, a ConvReLU2d or a config object, got ${describe(float)}`);
      const { weightBits, perChannel, relu: r, inputFakeQuant, outputFakeQuant, ...convOpts } = float;
      o = parseOptions(op, { weightBits, perChannel, inputFakeQuant, outputFakeQuant }, LAYER_SPEC);
      relu = checkArg(op, 'relu', r ?? false, bool);
      conv = new Conv2d(convOpts as never);
    }
    this.weight = conv.weight;
    this.bias = conv.bias;
    const { inChannels, outChannels, kernelSize, stride, padding, dilation, groups } = conv.config().options as ConvGeometry;
    this.geometry = { inChannels, outChannels, kernelSize, stride, padding, dilation, groups };
    const q = qatCommon(o, relu);
    this.weightBits = q.weightBits;
    this.perChannel = q.perChannel;
    this.relu = q.relu;
    this.weightFakeQuant = weightFq(this.weightBits, this.perChannel);
    this.inputFakeQuant = q.inputFakeQuant;
    this.activationPostProcess = q.activationPostProcess;
  }

  forward(x: Tensor): Tensor {
    const { stride, padding, dilation, groups } = this.geometry;
    const xin = this.inputFakeQuant === null ? x : this.inputFakeQuant.forward(x);
    let y = conv2d(xin, this.weightFakeQuant.forward(this.weight), this.bias, { stride, padding, dilation, groups } as never);
    if (this.relu) y = relu(y);
    return this.activationPostProcess === null ? y : this.activationPostProcess.forward(y);
  }

  override config(): LayerConfig<QatConv2dConfig> {
    const options: QatConv2dConfig = { ...this.geometry, bias: this.bias !== null, weightBits: this.weightBits, perChannel: this.perChannel };
    if (this.relu) options.relu = true;
    if (this.inputFakeQuant !== null) options.inputFakeQuant = true;
    if (this.activationPostProcess !== null) options.outputFakeQuant = true;
    return { type: 'QatConv2d', options };
  }
}

/** What {@link QatConvBn2d}'s constructor takes back: its `config().options` and its rebuilt `bn`. @category Quantization */
export type QatConvBn2dConfig = QatConv2dConfig & {
  /** The batch norm (a config object's rebuilt child). */
  children?: Module[];
};

/**
 * A Conv2d and the BatchNorm2d after it, trained together with fake-quantized weights
 * (torch.ao.nn.intrinsic.qat.ConvBn2d, and ConvBnReLU2d with `relu`), from a {@link ConvBn2d} or
 * {@link ConvBnReLU2d} made by {@link fuseModulesQat}. Forward as PyTorch's (the "approximate"
 * forward of _ConvBnNd): with s = γ/√(running var + eps) per output channel, the weight the
 * quantized model will hold, W·s, is fake-quantized, the convolution runs with it and no bias,
 * is divided by s and given the bias back, y = bn(conv(x, fq(W·s))/s + b), so the batch norm still
 * normalizes with the batch's statistics in training mode (and updates its running ones) while
 * the weights train against the rounding they will get; in eval mode y equals the folded
 * convolution with fake-quantized weights. {@link convert} folds the batch norm's running
 * statistics into the weight and bias (fuse_conv_bn_weights) and quantizes the folded weight with
 * the scale its fake quantizer learned. `weight`, `bias` and `bn` are the float modules' own.
 * Shapes: as Conv2d.
 * @example
 * const q = new QatConvBn2d(new ConvBn2d(new Conv2d(1, 2, 3), new BatchNorm2d(2)), { outputFakeQuant: true });
 * q.forward(ones([2, 1, 5, 5])).shape; // [2, 2, 3, 3]
 * @category Quantization
 */
export class QatConvBn2d extends Module {
  /** The float kernel, trained through the fake quantizer (scaled by the batch norm first). */
  readonly weight: Parameter;
  /** The convolution's float bias, or null. */
  readonly bias: Parameter | null;
  /** The batch norm, trained as in the float model. */
  readonly bn: BatchNorm2d;
  /** The scaled weight's fake quantizer. */
  readonly weightFakeQuant: FakeQuantize;
  /** The input's fake quantizer, or null. */
  readonly inputFakeQuant: FakeQuantize | null;
  /** The output's fake quantizer, or null. */
  readonly activationPostProcess: FakeQuantize | null;
  /** Bits of the weights. */
  readonly weightBits: number;
  /** Per-output-channel weight scales. */
  readonly perChannel: boolean;
  /** Whether a ReLU follows the batch norm. */
  readonly relu: boolean;
  /** The convolution's shape and geometry. */
  readonly geometry: ConvGeometry;

  /** Builds the layer from its config object (`q.config().options` with the rebuilt `children: [bn]`), with fresh weights. */
  constructor(config: QatConvBn2dConfig);
  /**
   * @param float - The fused ConvBn2d or ConvBnReLU2d whose parameters and batch norm this layer takes over.
   * @param options - weightBits, perChannel and the activation fake quantizers ({@link QatLayerOptions}).
   */
  constructor(float: ConvBn2d | ConvBnReLU2d, options?: QatLayerOptions);
  constructor(float: ConvBn2d | ConvBnReLU2d | QatConvBn2dConfig, options: QatLayerOptions = {}) {
    super();
    const op = 'QatConvBn2d';
    let conv: Conv2d, bn: BatchNorm2d, o: QatLayerOptions, relu = false;
    if (float instanceof ConvBn2d || float instanceof ConvBnReLU2d) {
      conv = float.conv;
      bn = float.bn;
      relu = float instanceof ConvBnReLU2d;
      o = parseOptions(op, options, LAYER_SPEC);
    } else {
      if (!isPlainObject(float)) throw new ArgumentError(`${op}: expected a ConvBn2d, a ConvBnReLU2d or a config object, got ${describe(float)}`);
      const { weightBits, perChannel, relu: r, inputFakeQuant, outputFakeQuant, children, ...convOpts } = float;
      o = parseOptions(op, { weightBits, perChannel, inputFakeQuant, outputFakeQuant }, LAYER_SPEC);
      relu = checkArg(op, 'relu', r ?? false, bool);
      conv = new Conv2d(convOpts as never);
      const kid = children?.[0];
      bn = kid instanceof BatchNorm2d ? kid : new BatchNorm2d(conv.outChannels);
    }
    if (bn.runningMean === null || bn.runningVar === null) throw new ArgumentError(`${op}: the batch norm keeps no running statistics (trackRunningStats: false); QAT scales the weight by them`);
    this.weight = conv.weight;
    this.bias = conv.bias;
    this.bn = bn;
    const { inChannels, outChannels, kernelSize, stride, padding, dilation, groups } = conv.config().options as ConvGeometry;
    this.geometry = { inChannels, outChannels, kernelSize, stride, padding, dilation, groups };
    const q = qatCommon(o, relu);
    this.weightBits = q.weightBits;
    this.perChannel = q.perChannel;
    this.relu = q.relu;
    this.weightFakeQuant = weightFq(this.weightBits, this.perChannel);
    this.inputFakeQuant = q.inputFakeQuant;
    this.activationPostProcess = q.activationPostProcess;
  }

  /** s = γ/√(running var + eps) per output channel, as a tensor γ's gradient flows through. */
  private scaleFactor(): Tensor {
    const bn = this.bn, OC = this.geometry.outChannels;
    const invStd = Tensor.empty([OC]);
    const rv = bn.runningVar!.data;
    for (let o = 0; o < OC; o++) invStd.data[o] = 1 / Math.sqrt(rv[o] + bn.eps);
    return bn.weight === null ? invStd : mul(bn.weight, invStd);
  }

  forward(x: Tensor): Tensor {
    const { stride, padding, dilation, groups, outChannels: OC } = this.geometry;
    const xin = this.inputFakeQuant === null ? x : this.inputFakeQuant.forward(x);
    const s = this.scaleFactor();
    const w = this.weightFakeQuant.forward(mul(this.weight, reshape(s, [OC, 1, 1, 1])));
    let y = div(conv2d(xin, w, null, { stride, padding, dilation, groups } as never), reshape(s, [1, OC, 1, 1]));
    if (this.bias !== null) y = add(y, reshape(this.bias, [1, OC, 1, 1]));
    y = this.bn.forward(y);
    if (this.relu) y = relu(y);
    return this.activationPostProcess === null ? y : this.activationPostProcess.forward(y);
  }

  /** The convolution with the batch norm's running statistics folded in (what `convert` quantizes). */
  folded(): Conv2d {
    const conv = new Conv2d({ ...this.geometry, bias: this.bias !== null } as never);
    conv.weight.data.set(this.weight.data);
    if (this.bias !== null) conv.bias!.data.set(this.bias.data);
    return foldBatchNorm('QatConvBn2d', conv, this.bn, 'the batch norm') as Conv2d;
  }

  override config(): LayerConfig<QatConv2dConfig> {
    const options: QatConv2dConfig = { ...this.geometry, bias: this.bias !== null, weightBits: this.weightBits, perChannel: this.perChannel };
    if (this.relu) options.relu = true;
    if (this.inputFakeQuant !== null) options.inputFakeQuant = true;
    if (this.activationPostProcess !== null) options.outputFakeQuant = true;
    return { type: 'QatConvBn2d', options, children: [this.bn.config()] } as LayerConfig<QatConv2dConfig>;
  }
}

type QatLayer = QatLinear | QatConv2d | QatConvBn2d;
const isQatStatic = (m: Module): m is QatLayer => (m instanceof QatLinear || m instanceof QatConv2d || m instanceof QatConvBn2d) && m.activationPostProcess !== null;
const stopQat = (m: Module): boolean => m instanceof QatLinear || m instanceof QatConv2d || m instanceof QatConvBn2d || isTerminal(m) || m instanceof FakeQuantize;
type QatTarget = Quantizable | ConvBn2d | ConvBnReLU2d;
const isQatTarget = (m: Module): m is QatTarget => isQuantizable(m) || m instanceof ConvBn2d || m instanceof ConvBnReLU2d;

/**
 * Prepares a model for quantization-aware training (torch.ao.quantization.prepare_qat): every
 * Conv2d, Linear, {@link ConvReLU2d} and {@link LinearReLU} (fuse first with {@link fuseModules})
 * becomes a {@link QatConv2d} or {@link QatLinear} sharing its parameters, with fake-quantized
 * weights and, by default, activations: each layer's output goes through a quint8
 * {@link FakeQuantize}, and so does its input unless, inside a Sequential, it is the previous
 * layer's output reached through grid-keeping layers (ReLU, pooling, Flatten, Dropout, Identity;
 * as `prepare`). The model is changed in place and put in training mode. Train it as usual
 * (`fit` works), then {@link convert} it. With `activations: false` only Linear layers are
 * prepared, with fake-quantized weights, and `convert` gives dynamic {@link QuantizedLinear}s.
 * @example
 * const net = prepareQat(new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2)), { weightBits: 4 });
 * net[0].constructor.name; // 'QatLinear'
 * @throws ArgumentError if `model` is not a Module, an option is bad, or it has no layer to prepare.
 * @category Quantization
 */
export function prepareQat<M extends Module>(model: M, options: PrepareQatOptions = {}): M {
  const op = 'prepareQat';
  checkArg(op, 'model', model, instanceOf(Module));
  const o = parseOptions(op, options, { weightBits: int({ min: 2, max: 8 }), perChannel: bool, activations: bool });
  const w = { weightBits: o.weightBits, perChannel: o.perChannel };
  let count = 0;
  if (o.activations ?? true) {
    count = swapChained<QatTarget, Module>(op, model, isQatTarget, (layer, prev) => {
      const lo = { ...w, inputFakeQuant: prev === null, outputFakeQuant: true };
      if (layer instanceof ConvBn2d || layer instanceof ConvBnReLU2d) return new QatConvBn2d(layer, lo);
      return layer instanceof Conv2d || layer instanceof ConvReLU2d ? new QatConv2d(layer, lo) : new QatLinear(layer, lo);
    }, stopQat);
    if (count === 0) throw new ArgumentError(`${op}: the model (${model.constructor.name}) has no Conv2d, Linear, ConvReLU2d or LinearReLU layer to prepare`);
  } else {
    for (const [name, m] of model.namedModules()) {
      if (!(m instanceof Linear)) continue;
      replaceModule(model, name, new QatLinear(m, w), op);
      count++;
    }
    if (count === 0) throw new ArgumentError(`${op}: the model (${model.constructor.name}) has no Linear layer to prepare`);
  }
  model.train();
  return model;
}

/** The weight's integer parameters from its fake quantizer, after one more look at the final weights. */
function qatWeightParams(m: QatLayer, weight: Tensor = m.weight): WeightParams {
  const fq = m.weightFakeQuant;
  // Observe the final weights once more so the scale fits them (as PyTorch's from_float).
  if (fq.observerEnabled) fq.activationPostProcess.forward(weight);
  const { scale, zeroPoint } = fq.activationPostProcess.calculateQparams();
  return { scale, zeroPoint, quantMin: fq.quantMin, quantMax: fq.quantMax };
}

/**
 * Turns a prepared model into a quantized one (torch.ao.quantization.convert), in place, in eval
 * mode: every {@link ObservedModule} (from `prepare` and calibration) and every QAT layer with
 * activation fake quantization (from `prepareQat` and training) becomes a {@link QuantizedConv2d}
 * or {@link StaticQuantizedLinear}, its activation grids those its observers or fake quantizers
 * found, its integer weights exactly those the weight fake quantizer trained with; a
 * {@link QatLinear} that fake-quantizes weights only becomes a dynamic {@link QuantizedLinear}.
 * @example
 * const net = convert(prepareQat(new Sequential(new Linear(4, 2)), { activations: false }));
 * net[0].constructor.name; // 'QuantizedLinear'
 * @throws ArgumentError if `model` is not a Module, has no prepared layer, or a layer has observed
 * nothing yet (convert before calibration or training).
 * @category Quantization
 */
export function convert<M extends Module>(model: M): M {
  const op = 'convert';
  checkArg(op, 'model', model, instanceOf(Module));
  let count = convertObserved(op, model);
  const names = new Map(model.namedModules().map(([n, m]) => [m, n]));
  count += swapChained<QatLayer, Module>(op, model, isQatStatic, (m, prev) => {
    const name = names.get(m) ?? '';
    const inFq = m.inputFakeQuant ?? prev?.activationPostProcess ?? null;
    if (inFq === null) throw new ArgumentError(`${op}: layer '${name}' (${m.constructor.name}) fake-quantizes no input and follows no fake-quantized layer; prepare it again with prepareQat`);
    const outFq = m.activationPostProcess!;
    for (const [what, fq] of [['input', inFq], ['output', outFq]] as const) {
      if (!fq.activationPostProcess.hasObserved()) {
        throw new ArgumentError(`${op}: layer '${name}' (${m.constructor.name}) has observed no ${what}; train it (or run batches through it) before convert`);
      }
    }
    const i = gridOf(inFq.activationPostProcess), g = gridOf(outFq.activationPostProcess);
    const act = { inputScale: i.scale, inputZeroPoint: i.zeroPoint, scale: g.scale, zeroPoint: g.zeroPoint };
    if (m instanceof QatConvBn2d) {
      const fused = m.folded();
      return QuantizedConv2d.fromFloatWith(m.geometry, fused.weight, fused.bias, qatWeightParams(m, fused.weight), act, m.relu);
    }
    const wp = qatWeightParams(m);
    return m instanceof QatConv2d
      ? QuantizedConv2d.fromFloatWith(m.geometry, m.weight, m.bias, wp, act, m.relu)
      : StaticQuantizedLinear.fromFloatWith(m.weight, m.bias, wp, act, m.relu);
  }, (m) => stopQat(m) && !isQatStatic(m));
  for (const [name, m] of model.namedModules()) {
    if (!(m instanceof QatLinear) || m.activationPostProcess !== null) continue;
    const wp = qatWeightParams(m);
    const q = QuantizedLinear.fromFloatWith(m.weight, m.bias, wp);
    if (m.relu) throw new ArgumentError(`${op}: layer '${name}' has a fused ReLU but no activation fake quantization; the dynamic QuantizedLinear has no ReLU`);
    replaceModule(model, name, q, op);
    count++;
  }
  if (count === 0) throw new ArgumentError(`${op}: the model (${model.constructor.name}) has no layer prepared for quantization (ObservedModule, QatLinear, QatConv2d); call prepare or prepareQat first`);
  model.eval();
  return model;
}
