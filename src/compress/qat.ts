/**
 * Quantization-aware training: `FakeQuantize` (an observer plus fake quantization, as
 * torch.ao.quantization.FakeQuantize), the QAT Linear that trains through it, and
 * `prepareQat` / `convert`, which swap layers in and out.
 */
import type { LayerConfig } from '../nn/config';
import { Linear } from '../nn/layers';
import { Module } from '../nn/module';
import { linear } from '../tensor/ops/conv';
import { ArgumentError } from '../tensor/errors';
import { bool, checkArg, instanceOf, int, num, oneOf, parseOptions, posInt } from '../tensor/options';
import { describe } from '../tensor/shape';
import { Parameter, Tensor } from '../tensor/tensor';
import { fakeQuantizePerChannelAffine, fakeQuantizePerTensorAffine } from './fake-quantize';
import { MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver, type ObserverBase } from './observers';
import { QuantizedLinear } from './quantized-linear';
import { convertObserved } from './static';
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
}

const QAT_CONFIG_SPEC = { inFeatures: posInt, outFeatures: posInt, bias: bool, weightBits: int({ min: 2, max: 8 }), perChannel: bool };

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
};

/**
 * A Linear that trains with fake-quantized weights (torch.ao.nn.qat.Linear):
 * y = x·fq(W)ᵀ + b, fq a {@link FakeQuantize} over the weight with a symmetric signed range of
 * `weightBits` bits, so the network learns weights that survive rounding. `weight` and `bias` are
 * the float layer's own parameters (the same objects), so an optimizer built on the float model
 * keeps training them. {@link convert} turns it into a {@link QuantizedLinear}.
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
  /** Input features. */
  readonly inFeatures: number;
  /** Output features. */
  readonly outFeatures: number;
  /** Bits of the weights. */
  readonly weightBits: number;
  /** Per-output-feature weight scales. */
  readonly perChannel: boolean;

  /** Builds the layer from its config object (`q.config().options`), with fresh weights. */
  constructor(config: QatLinearConfig);
  /**
   * @param float - The trained Linear whose parameters this layer takes over.
   * @param options - weightBits and perChannel ({@link PrepareQatOptions}).
   */
  constructor(float: Linear, options?: PrepareQatOptions);
  constructor(float: Linear | QatLinearConfig, options: PrepareQatOptions = {}) {
    super();
    const op = 'QatLinear';
    let lin: Linear, o: { weightBits?: number; perChannel?: boolean };
    if (float instanceof Linear) {
      lin = float;
      o = parseOptions(op, options, { weightBits: int({ min: 2, max: 8 }), perChannel: bool });
    } else {
      const c = parseOptions(op, float, QAT_CONFIG_SPEC);
      for (const key of ['inFeatures', 'outFeatures'] as const) if (c[key] === undefined) QAT_CONFIG_SPEC[key](undefined, key, op);
      lin = new Linear(c.inFeatures!, c.outFeatures!, { bias: c.bias ?? true });
      o = c;
    }
    this.weight = lin.weight;
    this.bias = lin.bias;
    this.inFeatures = lin.inFeatures;
    this.outFeatures = lin.outFeatures;
    this.weightBits = o.weightBits ?? 8;
    this.perChannel = o.perChannel ?? false;
    const half = 2 ** (this.weightBits - 1);
    this.weightFakeQuant = new FakeQuantize({
      dtype: 'qint8', qscheme: this.perChannel ? 'perChannelSymmetric' : 'perTensorSymmetric', quantMin: -half, quantMax: half - 1, chAxis: 0,
    });
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weightFakeQuant.forward(this.weight), this.bias);
  }

  override config(): LayerConfig<QatLinearConfig> {
    return {
      type: 'QatLinear',
      options: { inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null, weightBits: this.weightBits, perChannel: this.perChannel },
    };
  }
}

/**
 * Prepares a model for quantization-aware training (torch.ao.quantization.prepare_qat): every
 * Linear becomes a {@link QatLinear} sharing its parameters, and the model is put in training
 * mode. Train it as usual (`fit` works), then {@link convert} it.
 * @example
 * const net = prepareQat(new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2)), { weightBits: 4 });
 * net[0].constructor.name; // 'QatLinear'
 * @throws ArgumentError if `model` is not a Module, an option is bad, or it has no Linear layer.
 * @category Quantization
 */
export function prepareQat<M extends Module>(model: M, options: PrepareQatOptions = {}): M {
  const op = 'prepareQat';
  checkArg(op, 'model', model, instanceOf(Module));
  const o = parseOptions(op, options, { weightBits: int({ min: 2, max: 8 }), perChannel: bool });
  let count = 0;
  for (const [name, m] of model.namedModules()) {
    if (!(m instanceof Linear)) continue;
    replaceModule(model, name, new QatLinear(m, o), op);
    count++;
  }
  if (count === 0) throw new ArgumentError(`${op}: the model (${model.constructor.name}) has no Linear layer to prepare`);
  model.train();
  return model;
}

/**
 * Turns a QAT-trained model into a quantized one (torch.ao.quantization.convert): every
 * {@link QatLinear} becomes a {@link QuantizedLinear} whose integer weights are exactly those the
 * fake quantizer trained with (its scale and range), with activations quantized per call; the
 * model goes to eval mode.
 * @example
 * const net = convert(prepareQat(new Sequential(new Linear(4, 2))));
 * net[0].constructor.name; // 'QuantizedLinear'
 * @throws ArgumentError if `model` is not a Module or has no QatLinear layer.
 * @category Quantization
 */
export function convert<M extends Module>(model: M): M {
  const op = 'convert';
  checkArg(op, 'model', model, instanceOf(Module));
  let count = convertObserved(op, model);
  for (const [name, m] of model.namedModules()) {
    if (!(m instanceof QatLinear)) continue;
    const fq = m.weightFakeQuant;
    // Observe the final weights once more so the scale fits them, then quantize with it.
    if (fq.observerEnabled) fq.activationPostProcess.forward(m.weight);
    const { scale, zeroPoint } = fq.activationPostProcess.calculateQparams();
    replaceModule(model, name, QuantizedLinear.fromFloatWith(m.weight, m.bias, { scale, zeroPoint, quantMin: fq.quantMin, quantMax: fq.quantMax }), op);
    count++;
  }
  if (count === 0) throw new ArgumentError(`${op}: the model (${model.constructor.name}) has no layer prepared for quantization (ObservedModule, QatLinear); call prepare or prepareQat first`);
  model.eval();
  return model;
}
