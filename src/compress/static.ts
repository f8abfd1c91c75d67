/**
 * Static post-training quantization in PyTorch's eager mode (torch.ao.quantization): fusing
 * Conv2d + BatchNorm2d + ReLU and Linear + ReLU (`fuseModules`), `prepare` (observers on every
 * quantizable layer's input and output), calibration by the user, and the conversion of the
 * observed layers into int8 ones (`convert`, in qat.ts, calls {@link convertObserved}). Also the
 * static quantized Linear and the walk that chains activation grids through a Sequential.
 */
import type { LayerConfig } from '../nn/config';
import { BatchNorm1d, BatchNorm2d } from '../nn/normalization';
import {
  AdaptiveAvgPool2d, AvgPool2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d,
} from '../nn/layers';
import { Identity, ReLU } from '../nn/activations';
import { Module, type ModuleConfig } from '../nn/module';
import { Sequential } from '../nn/sequential';
import { ArgumentError, ShapeError, fmtShape } from '../tensor/errors';
import { kernels as K } from '../tensor/kernels/backend';
import { arrayOf, bool, checkArg, func, instanceOf, isPlainObject, object, oneOf, parseOptions, posInt, str, type Check } from '../tensor/options';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { TypedBuffer } from '../tensor/typed';
import {
  HistogramObserver, MinMaxObserver, ObserverBase, PerChannelMinMaxObserver, type QParams,
} from './observers';
import {
  QuantizedConv2d, buildRequant, checkActivationParams, checkFiniteWeight, observeWeight, quantizeActivations, quantizeWeightRows,
  requantValue, rowSumsU8, type ConvGeometry, type Requant, type StaticActivationParams, type WeightParams,
} from './quantized-conv';
import { replaceModule } from './swap';

const f = Math.fround;

// ---------------------------------------------------------------------------------------------
// Fused float modules

/**
 * Conv2d followed by ReLU as one module (torch.ao.nn.intrinsic.ConvReLU2d), what
 * {@link fuseModules} makes of a Conv2d (with its BatchNorm2d folded in) and the ReLU after it:
 * `convert` turns it into one {@link QuantizedConv2d} with `relu`, whose output grid starts at 0.
 * A Sequential of the two, so state-dict keys are PyTorch's `0.weight`, `0.bias`.
 * Shapes: as Conv2d.
 * @example new ConvReLU2d(new Conv2d(1, 2, 3)).forward(zeros([1, 1, 5, 5])).shape; // [1, 2, 3, 3]
 * @category Quantization
 */
export class ConvReLU2d extends Sequential {
  /** Builds it from its config object with the rebuilt children (what `loadModel` does). */
  constructor(config: { children: Module[] });
  /** @param conv - The convolution; a ReLU is appended. */
  constructor(conv: Conv2d);
  constructor(arg: Conv2d | { children: Module[] }) {
    const kids = fusedChildren('ConvReLU2d', arg, Conv2d);
    super(...kids);
  }

  /** The convolution. */
  get conv(): Conv2d {
    return this[0] as Conv2d;
  }

  override config(): ModuleConfig {
    return { type: 'ConvReLU2d', children: this.layers().map((m) => m.config()) };
  }
}

/**
 * Linear followed by ReLU as one module (torch.ao.nn.intrinsic.LinearReLU); `convert` turns it
 * into one {@link StaticQuantizedLinear} with `relu`. Keys `0.weight`, `0.bias`. Shapes: as Linear.
 * @example new LinearReLU(new Linear(3, 2)).forward(zeros([4, 3])).shape; // [4, 2]
 * @category Quantization
 */
export class LinearReLU extends Sequential {
  /** Builds it from its config object with the rebuilt children (what `loadModel` does). */
  constructor(config: { children: Module[] });
  /** @param linear - The layer; a ReLU is appended. */
  constructor(linear: Linear);
  constructor(arg: Linear | { children: Module[] }) {
    const kids = fusedChildren('LinearReLU', arg, Linear);
    super(...kids);
  }

  /** The linear layer. */
  get linear(): Linear {
    return this[0] as Linear;
  }

  override config(): ModuleConfig {
    return { type: 'LinearReLU', children: this.layers().map((m) => m.config()) };
  }
}

/**
 * Conv2d followed by BatchNorm2d as one module (torch.ao.nn.intrinsic.ConvBn2d), what
 * {@link fuseModulesQat} makes of the pair so that `prepareQat` can turn it into a
 * {@link QatConvBn2d}, which keeps the batch norm training. Its float forward is the batch norm of
 * the convolution. A Sequential of the two: keys `0.weight`, `1.runningMean`, as PyTorch's.
 * @example new ConvBn2d(new Conv2d(1, 2, 3), new BatchNorm2d(2)).forward(zeros([1, 1, 5, 5])).shape; // [1, 2, 3, 3]
 * @category Quantization
 */
export class ConvBn2d extends Sequential {
  /** Builds it from its config object with the rebuilt children (what `loadModel` does). */
  constructor(config: { children: Module[] });
  /** @param conv - The convolution. @param bn - The batch norm over its output channels. */
  constructor(conv: Conv2d, bn: BatchNorm2d);
  constructor(arg: Conv2d | { children: Module[] }, bn?: BatchNorm2d) {
    super(...convBnChildren('ConvBn2d', arg, bn, false));
  }

  /** The convolution. */
  get conv(): Conv2d {
    return this[0] as Conv2d;
  }

  /** The batch norm. */
  get bn(): BatchNorm2d {
    return this[1] as BatchNorm2d;
  }

  override config(): ModuleConfig {
    return { type: 'ConvBn2d', children: this.layers().map((m) => m.config()) };
  }
}

/**
 * Conv2d, BatchNorm2d and ReLU as one module (torch.ao.nn.intrinsic.ConvBnReLU2d), as
 * {@link ConvBn2d} with the ReLU after the batch norm. Keys `0.weight`, `1.runningMean`.
 * @example new ConvBnReLU2d(new Conv2d(1, 2, 3), new BatchNorm2d(2)).forward(zeros([1, 1, 5, 5])).shape; // [1, 2, 3, 3]
 * @category Quantization
 */
export class ConvBnReLU2d extends Sequential {
  /** Builds it from its config object with the rebuilt children (what `loadModel` does). */
  constructor(config: { children: Module[] });
  /** @param conv - The convolution. @param bn - The batch norm over its output channels; a ReLU is appended. */
  constructor(conv: Conv2d, bn: BatchNorm2d);
  constructor(arg: Conv2d | { children: Module[] }, bn?: BatchNorm2d) {
    super(...convBnChildren('ConvBnReLU2d', arg, bn, true));
  }

  /** The convolution. */
  get conv(): Conv2d {
    return this[0] as Conv2d;
  }

  /** The batch norm. */
  get bn(): BatchNorm2d {
    return this[1] as BatchNorm2d;
  }

  override config(): ModuleConfig {
    return { type: 'ConvBnReLU2d', children: this.layers().map((m) => m.config()) };
  }
}

function convBnChildren(op: string, arg: unknown, bn: unknown, relu: boolean): Module[] {
  let kids: unknown[] = [arg, bn];
  if (isPlainObject(arg)) kids = parseOptions(op, arg, { children: arrayOf(instanceOf(Module), { min: relu ? 3 : 2, max: relu ? 3 : 2 }) }).children ?? [];
  const [a, b, c] = kids;
  if (!(a instanceof Conv2d && b instanceof BatchNorm2d && (!relu || !isPlainObject(arg) || c instanceof ReLU))) {
    throw new ArgumentError(`${op}: expected a Conv2d and a BatchNorm2d (or a config { children: [Conv2d, BatchNorm2d${relu ? ', ReLU' : ''}] }), got ${describe(a)} and ${describe(b)}`);
  }
  if (b.numFeatures !== a.outChannels) throw new ShapeError(`${op}: the batch norm has ${b.numFeatures} features but the convolution has ${a.outChannels} output channels`);
  return relu ? [a, b, c instanceof ReLU ? c : new ReLU()] : [a, b];
}

/** The fused containers whose children a chained walk treats as one layer. @internal */
export function isFusedContainer(m: Module): boolean {
  return m instanceof ConvReLU2d || m instanceof LinearReLU || m instanceof ConvBn2d || m instanceof ConvBnReLU2d;
}

function fusedChildren(op: string, arg: unknown, Cls: typeof Conv2d | typeof Linear): [Module, ReLU] {
  if (arg instanceof Cls) return [arg, new ReLU()];
  if (isPlainObject(arg)) {
    const o = parseOptions(op, arg, { children: arrayOf(instanceOf(Module), { min: 2, max: 2 }) });
    const [a, b] = o.children ?? [];
    if (a instanceof Cls && b instanceof ReLU) return [a, b];
  }
  throw new ArgumentError(`${op}: expected a ${Cls.name} (or a config { children: [${Cls.name}, ReLU] }), got ${describe(arg)}`);
}

/**
 * Folds an eval-mode BatchNorm into the preceding Conv2d or Linear (PyTorch's
 * fuse_conv_bn_eval, in float32 in its order): w' = w·γ/√(var + eps) per output channel,
 * b' = (b − mean)/√(var + eps)·γ + β. Returns a new layer with a bias. @internal
 */
export function foldBatchNorm(op: string, layer: Conv2d | Linear, bn: BatchNorm1d | BatchNorm2d, names: string): Conv2d | Linear {
  const OC = layer instanceof Conv2d ? layer.outChannels : layer.outFeatures;
  if (bn.numFeatures !== OC) throw new ShapeError(`${op}: ${names}: the batch norm has ${bn.numFeatures} features but the layer before it has ${OC} outputs`);
  if (bn.runningMean === null || bn.runningVar === null) throw new ArgumentError(`${op}: ${names}: the batch norm keeps no running statistics (trackRunningStats: false), so it cannot be folded`);
  const opts = layer.config().options as Record<string, unknown>;
  const fused = layer instanceof Conv2d ? new Conv2d({ ...opts, bias: true } as never) : new Linear({ ...opts, bias: true } as never);
  const w = layer.weight.data, Kc = w.length / OC, fw = fused.weight.data, fb = fused.bias!.data;
  const rm = bn.runningMean.data, rv = bn.runningVar.data, eps = f(bn.eps);
  for (let o = 0; o < OC; o++) {
    const rs = f(1 / f(Math.sqrt(f(rv[o] + eps))));
    const gamma = bn.weight === null ? 1 : bn.weight.data[o], beta = bn.bias === null ? 0 : bn.bias.data[o];
    const sc = f(gamma * rs);
    for (let k = 0; k < Kc; k++) fw[o * Kc + k] = f(w[o * Kc + k] * sc);
    const b = layer.bias === null ? 0 : layer.bias.data[o];
    fb[o] = f(f(f(f(b - rm[o]) * rs) * gamma) + beta);
  }
  return fused;
}

/** The patterns {@link fuseModules} knows, by the classes in order. */
function fuseGroup(op: string, mods: Module[], names: string, qat = false): Module | null {
  const [a, b, c] = mods;
  const isRelu = (m: Module | undefined): boolean => m instanceof ReLU;
  if (a instanceof Conv2d) {
    if (qat && mods.length === 2 && b instanceof BatchNorm2d) return new ConvBn2d(a, b);
    if (qat && mods.length === 3 && b instanceof BatchNorm2d && isRelu(c)) return new ConvBnReLU2d(a, b);
    if (mods.length === 2 && isRelu(b)) return new ConvReLU2d(a);
    if (mods.length === 2 && b instanceof BatchNorm2d) return foldBatchNorm(op, a, b, names);
    if (mods.length === 3 && b instanceof BatchNorm2d && isRelu(c)) return new ConvReLU2d(foldBatchNorm(op, a, b, names) as Conv2d);
  }
  if (a instanceof Linear) {
    if (mods.length === 2 && isRelu(b)) return new LinearReLU(a);
    if (mods.length === 2 && b instanceof BatchNorm1d) return foldBatchNorm(op, a, b, names);
  }
  return null;
}

/** Options of {@link fuseModules}. @category Quantization */
export interface FuseModulesOptions {
  /**
   * The groups to fuse, each a list of dotted layer names in order (PyTorch's
   * `modules_to_fuse`): `[['0', '1', '2'], ['4', '5']]`. Default: every Conv2d → BatchNorm2d →
   * ReLU, Conv2d → BatchNorm2d, Conv2d → ReLU, Linear → BatchNorm1d and Linear → ReLU run of
   * adjacent layers inside each Sequential.
   */
  groups?: string[][];
}

/**
 * Fuses layers for quantization (torch.ao.quantization.fuse_modules): Conv2d + BatchNorm2d folds
 * the batch norm's running statistics into the convolution's weight and bias; Conv2d (+
 * BatchNorm2d) + ReLU becomes a {@link ConvReLU2d}, Linear + ReLU a {@link LinearReLU}; the
 * other layers of each group become `Identity`, so a Sequential keeps its indices. In place;
 * returns the model. Folding uses the running statistics whatever the mode (PyTorch's eval-mode
 * fusion): fuse a trained model, in eval mode, before `prepare` or `prepareQat` (QAT then trains
 * the folded convolution; PyTorch's ConvBn2d that keeps updating the batch norm during QAT is not
 * here). The float outputs in eval mode are unchanged up to float32 rounding.
 * @example
 * const net = fuseModules(new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new ReLU()));
 * net[0].constructor.name; // 'ConvReLU2d'
 * @throws ArgumentError if a name does not exist, a group does not match a known pattern, a batch
 * norm keeps no running statistics, or no group is found; ShapeError if a batch norm's size does
 * not match the layer before it.
 * @category Quantization
 */
export function fuseModules<M extends Module>(model: M, options: FuseModulesOptions = {}): M {
  return fuseWith('fuseModules', model, options, false);
}

/**
 * Fuses layers for quantization-aware training (torch.ao.quantization.fuse_modules_qat): as
 * {@link fuseModules}, except that Conv2d + BatchNorm2d (+ ReLU) becomes a {@link ConvBn2d}
 * ({@link ConvBnReLU2d}) that keeps the batch norm as a module, so that {@link prepareQat} makes a
 * {@link QatConvBn2d} of it, which trains the batch norm's statistics with the fake-quantized
 * weights and folds them only at `convert`. Float outputs are unchanged. In place; returns the model.
 * @example
 * const net = fuseModulesQat(new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new ReLU()));
 * net[0].constructor.name; // 'ConvBnReLU2d'
 * @throws as {@link fuseModules}.
 * @category Quantization
 */
export function fuseModulesQat<M extends Module>(model: M, options: FuseModulesOptions = {}): M {
  return fuseWith('fuseModulesQat', model, options, true);
}

function fuseWith<M extends Module>(op: string, model: M, options: FuseModulesOptions, qat: boolean): M {
  checkArg(op, 'model', model, instanceOf(Module));
  const o = parseOptions(op, options, { groups: arrayOf(arrayOf(str, { min: 2, max: 3 }), { min: 1 }) });
  const groups = o.groups ?? findGroups(model);
  if (groups.length === 0) throw new ArgumentError(`${op}: the model (${model.constructor.name}) has no Conv2d/Linear followed by BatchNorm or ReLU to fuse`);
  const all = new Map(model.namedModules());
  for (const g of groups) {
    const mods = g.map((n) => {
      const m = all.get(n);
      if (m === undefined) throw new ArgumentError(`${op}: groups: the model has no layer '${n}'`);
      return m;
    });
    const fused = fuseGroup(op, mods, g.join(', '), qat);
    if (fused === null) {
      throw new ArgumentError(`${op}: cannot fuse [${g.join(', ')}] (${mods.map((m) => m.constructor.name).join(' → ')}); known patterns: Conv2d → BatchNorm2d (→ ReLU), Conv2d → ReLU, Linear → BatchNorm1d, Linear → ReLU`);
    }
    replaceModule(model, g[0], fused, op);
    for (let i = 1; i < g.length; i++) replaceModule(model, g[i], new Identity(), op);
  }
  return model;
}

/** Adjacent fusable runs inside every Sequential (not inside already fused modules). */
function findGroups(model: Module): string[][] {
  const out: string[][] = [];
  for (const [name, m] of model.namedModules()) {
    if (!(m instanceof Sequential) || isFusedContainer(m)) continue;
    const kids = m.layers();
    const at = (i: number): string => (name ? `${name}.${i}` : String(i));
    for (let i = 0; i < kids.length; i++) {
      const a = kids[i], b = kids[i + 1], c = kids[i + 2];
      let len = 0;
      if (a instanceof Conv2d && b instanceof BatchNorm2d) len = c instanceof ReLU ? 3 : 2;
      else if (a instanceof Conv2d && b instanceof ReLU) len = 2;
      else if (a instanceof Linear && (b instanceof ReLU || b instanceof BatchNorm1d)) len = 2;
      if (len === 0) continue;
      out.push(Array.from({ length: len }, (_, j) => at(i + j)));
      i += len - 1;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The static quantized Linear

/** An observer argument. @internal */
const observerCheck: Check<ObserverBase> = (v, name, op) => {
  if (!(v instanceof ObserverBase)) throw new ArgumentError(`${op}: ${name} must be an observer, got ${describe(v)}`);
  return v;
};

/** What {@link StaticQuantizedLinear}'s constructor takes back: its `config().options`. @category Quantization */
export type StaticQuantizedLinearConfig = {
  /** Input features K. */
  inFeatures: number;
  /** Output features N. */
  outFeatures: number;
  /** Whether a float bias is added (default true). */
  bias?: boolean;
  /** One weight scale per output feature (default true). */
  perChannel?: boolean;
  /** ReLU fused into the output (PyTorch's LinearReLU). */
  relu?: boolean;
};

const LINEAR_SPEC = { inFeatures: posInt, outFeatures: posInt, bias: bool, perChannel: bool, relu: bool };

/**
 * A Linear layer with int8 weights over uint8 activations whose grids were fixed by calibration
 * (PyTorch's static quantized Linear, torch.ao.nn.quantized.Linear; LinearReLU with `relu`): as
 * {@link QuantizedConv2d}, the float input is quantized to `inputScale`/`inputZeroPoint`, the
 * product Σ(qx − zₓ)(q_w − z_w) + bias_q runs in int32 on `gemmU8I8`, and the sums are
 * requantized to the output grid (`scale`, `zeroPoint`) and returned dequantized. Unlike the
 * dynamic {@link QuantizedLinear}, no range is computed per call.
 * Shapes: x (…, inFeatures) → (…, outFeatures). Buffers as QuantizedConv2d's, `weight` I8 [out, in].
 * @example
 * const q = StaticQuantizedLinear.fromFloat(new Linear(4, 2), { inputScale: 0.02, inputZeroPoint: 128, scale: 0.01, zeroPoint: 128 });
 * q.forward(zeros([3, 4])).shape; // [3, 2]
 * @category Quantization
 */
export class StaticQuantizedLinear extends Module {
  /** The int8 weight, [outFeatures, inFeatures]. */
  readonly weight: TypedBuffer;
  /** float32 weight scale(s): [1], or [outFeatures] per channel. */
  readonly weightScale: Tensor;
  /** Weight zero point(s), I32. */
  readonly weightZeroPoint: TypedBuffer;
  /** The float bias, [outFeatures], or null. */
  readonly bias: Tensor | null;
  /** Scale of the input grid, [1]. */
  readonly inputScale: Tensor;
  /** Zero point of the input grid, I32 [1]. */
  readonly inputZeroPoint: TypedBuffer;
  /** Scale of the output grid, [1]. */
  readonly scale: Tensor;
  /** Zero point of the output grid, I32 [1]. */
  readonly zeroPoint: TypedBuffer;
  /** Input features K. */
  readonly inFeatures: number;
  /** Output features N. */
  readonly outFeatures: number;
  /** Per-output-feature weight scales. */
  readonly perChannel: boolean;
  /** Whether ReLU is fused into the output. */
  readonly relu: boolean;
  private requant: Requant | null = null;

  /** Allocates a layer with zero weights from its config (`q.config().options`), for loading a saved one. */
  constructor(config: StaticQuantizedLinearConfig) {
    super();
    const op = 'StaticQuantizedLinear';
    const o = parseOptions(op, config, LINEAR_SPEC);
    for (const k of ['inFeatures', 'outFeatures'] as const) if (o[k] === undefined) LINEAR_SPEC[k](undefined, k, op);
    this.inFeatures = o.inFeatures!;
    this.outFeatures = o.outFeatures!;
    this.perChannel = o.perChannel ?? true;
    this.relu = o.relu ?? false;
    const nq = this.perChannel ? this.outFeatures : 1;
    this.weight = new TypedBuffer('I8', [this.outFeatures, this.inFeatures]);
    this.weightScale = Tensor.empty([nq]);
    this.weightScale.data.fill(1);
    this.weightZeroPoint = new TypedBuffer('I32', [nq]);
    this.bias = (o.bias ?? true) ? Tensor.empty([this.outFeatures]) : null;
    this.bias?.data.fill(0);
    this.inputScale = Tensor.empty([1]);
    this.inputScale.data[0] = 1;
    this.inputZeroPoint = new TypedBuffer('I32', [1]);
    this.scale = Tensor.empty([1]);
    this.scale.data[0] = 1;
    this.zeroPoint = new TypedBuffer('I32', [1]);
  }

  /**
   * Quantizes a trained Linear with given activation grids, the weight through `weightObserver`
   * (default symmetric qint8 per output feature), the bias kept in float.
   * @example StaticQuantizedLinear.fromFloat(new Linear(3, 2), { inputScale: 0.1, inputZeroPoint: 0, scale: 0.1, zeroPoint: 0 }).weight.dtype; // 'I8'
   * @throws ArgumentError as {@link QuantizedConv2d.fromFloat}.
   */
  static fromFloat(linear: Linear, params: StaticActivationParams, options: { weightObserver?: ObserverBase; relu?: boolean } = {}): StaticQuantizedLinear {
    const op = 'StaticQuantizedLinear.fromFloat';
    checkArg(op, 'linear', linear, instanceOf(Linear));
    const o = parseOptions(op, options, { weightObserver: observerCheck, relu: bool });
    checkFiniteWeight(op, linear.weight);
    const obs = o.weightObserver ?? new PerChannelMinMaxObserver({ dtype: 'qint8', qscheme: 'perChannelSymmetric', chAxis: 0 });
    return StaticQuantizedLinear.fromFloatWith(linear.weight, linear.bias, observeWeight(op, obs, linear.weight), params, o.relu ?? false);
  }

  /** Builds the layer from a float weight [out, in], bias and the integer weight parameters. @internal */
  static fromFloatWith(weight: Tensor, bias: Tensor | null, wp: WeightParams, params: StaticActivationParams, relu: boolean): StaticQuantizedLinear {
    const op = 'StaticQuantizedLinear.fromFloat';
    const act = checkActivationParams(op, params);
    if (weight.ndim !== 2) throw new ShapeError(`${op}: weight ${fmtShape(weight.shape)} must be 2-D [outFeatures, inFeatures]`);
    checkFiniteWeight(op, weight);
    const [N, Kf] = weight.shape;
    const q = new StaticQuantizedLinear({ inFeatures: Kf, outFeatures: N, bias: bias !== null, perChannel: wp.scale.length > 1, relu });
    q.weightScale.data.set(wp.scale);
    q.weightZeroPoint.data.set(wp.zeroPoint);
    quantizeWeightRows(q.weight.data as Int8Array, weight.data, N, Kf, wp);
    if (bias !== null) q.bias!.data.set(bias.data);
    q.inputScale.data[0] = act.inputScale;
    q.inputZeroPoint.data[0] = act.inputZeroPoint;
    q.scale.data[0] = act.scale;
    q.zeroPoint.data[0] = act.zeroPoint;
    return q;
  }

  forward(x: Tensor): Tensor {
    const op = 'StaticQuantizedLinear';
    if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: input must be a Tensor, got ${describe(x)}`);
    const Kf = this.inFeatures, N = this.outFeatures;
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== Kf) throw new ShapeError(`${op}: input ${fmtShape(x.shape)} must end in inFeatures = ${Kf} (weight [${N}, ${Kf}])`);
    if (this.requant === null) {
      this.requant = buildRequant(op, this.weight.data as Int8Array, N, Kf, this.weightScale.data, this.weightZeroPoint.data as Int32Array,
        this.bias?.data ?? null, this.inputScale, this.inputZeroPoint, this.scale, this.zeroPoint, this.relu);
    }
    const r = this.requant;
    const M = x.size / Kf;
    const out = Tensor.empty([...x.shape.slice(0, -1), N], op);
    if (M === 0) return out;
    const qx = new Uint8Array(x.size);
    quantizeActivations(op, x, qx, r.inv, r.zx);
    const acc = new Int32Array(M * N);
    K.gemmU8I8(acc, 0, qx, 0, this.weight.data as Int8Array, 0, M, Kf, N, false);
    const rs = r.anyZw ? rowSumsU8(qx, M, Kf) : null;
    const o = out.data;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        const v = acc[m * N + n] + r.k0[n] - (rs === null ? 0 : r.zw[n] * rs[m]);
        o[m * N + n] = requantValue(v, r.mult[n], r);
      }
    }
    return out;
  }

  /** Drops the cached requantization terms when new values are loaded. @internal */
  protected override stateLoaded(): void {
    this.requant = null;
  }

  override config(): LayerConfig<StaticQuantizedLinearConfig> {
    return {
      type: 'StaticQuantizedLinear',
      options: { inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null, perChannel: this.perChannel, relu: this.relu },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// prepare and the conversion of observed layers

/**
 * How to observe a model for static quantization (PyTorch's QConfig): factories of the observer
 * of activations (quint8, per tensor) and of weights (qint8, per tensor or along axis 0).
 * @category Quantization
 */
export interface QConfig {
  /** Makes the observer of a layer's input or output (a quint8, per-tensor observer). */
  activation: () => ObserverBase;
  /** Makes the observer of a layer's weight (a qint8 observer, per tensor or per output channel). */
  weight: () => ObserverBase;
}

/** The backends whose default qconfig {@link getDefaultQconfig} reproduces. @category Quantization */
export type QuantBackend = 'x86' | 'fbgemm' | 'qnnpack' | 'onednn';

/**
 * PyTorch 1.13's `get_default_qconfig(backend)`: a {@link HistogramObserver} on activations
 * (`reduceRange` true for x86/fbgemm, whose int16 intermediate sums need the headroom; false for
 * qnnpack and onednn) and symmetric qint8 weights, per output channel (x86, fbgemm, onednn) or per
 * tensor (qnnpack).
 * @example getDefaultQconfig('qnnpack').weight().qscheme; // 'perTensorSymmetric'
 * @throws ArgumentError for an unknown backend.
 * @category Quantization
 */
export function getDefaultQconfig(backend: QuantBackend = 'fbgemm'): QConfig {
  const b = checkArg('getDefaultQconfig', 'backend', backend, oneOf<QuantBackend>(['x86', 'fbgemm', 'qnnpack', 'onednn']));
  const reduceRange = b === 'x86' || b === 'fbgemm';
  return {
    activation: () => new HistogramObserver({ reduceRange }),
    weight: b === 'qnnpack'
      ? () => new MinMaxObserver({ dtype: 'qint8', qscheme: 'perTensorSymmetric' })
      : () => new PerChannelMinMaxObserver({ dtype: 'qint8', qscheme: 'perChannelSymmetric' }),
  };
}

/** The float layers static quantization converts. @internal */
export type Quantizable = Conv2d | Linear | ConvReLU2d | LinearReLU;

/** @internal */
export function isQuantizable(m: Module): m is Quantizable {
  return m instanceof Conv2d || m instanceof Linear || m instanceof ConvReLU2d || m instanceof LinearReLU;
}

/**
 * Layers whose output a quantized model keeps on its input's grid (PyTorch's quantized ReLU,
 * max and average pooling, flatten and dropout keep the input's scale and zero point), so the next
 * quantized layer of a Sequential reads the grid of the last one's output.
 */
function keepsGrid(m: Module): boolean {
  return m instanceof ReLU || m instanceof MaxPool2d || m instanceof AvgPool2d || m instanceof AdaptiveAvgPool2d
    || m instanceof Flatten || m instanceof Dropout || m instanceof Identity;
}

/**
 * Walks the model and replaces each layer for which `isTarget` holds with `make(layer, previous,
 * previousReplacement)`, where `previous` is the target layer whose output reaches this one's
 * input unchanged in grid (only through {@link keepsGrid} layers of the same Sequential) and
 * `previousReplacement` what it was replaced with, or both null. Modules for which `stop` is true
 * are not entered. Returns the number of layers replaced.
 * @internal
 */
export function swapChained<T extends Module, W extends Module>(
  op: string, root: Module, isTarget: (m: Module) => m is T, make: (layer: T, previous: T | null, previousReplacement: W | null) => W,
  stop: (m: Module) => boolean,
): number {
  let count = 0;
  const seen = new Set<Module>();
  const visit = (m: Module, prefix: string): void => {
    const chain = m instanceof Sequential && !isFusedContainer(m);
    let prev: T | null = null, prevW: W | null = null;
    for (const [k, child] of m.namedChildren()) {
      const name = prefix ? `${prefix}.${k}` : k;
      if (seen.has(child)) {
        prev = prevW = null;
        continue;
      }
      seen.add(child);
      if (isTarget(child)) {
        const w: W = chain ? make(child, prev, prevW) : make(child, null, null);
        if ((w as Module) !== child) replaceModule(root, name, w, op);
        prev = child;
        prevW = w;
        count++;
      } else if (chain && keepsGrid(child)) {
        // The grid passes through.
      } else {
        prev = prevW = null;
        if (!stop(child)) visit(child, name);
      }
    }
  };
  if (isTarget(root)) throw new ArgumentError(`${op}: the model itself is a ${root.constructor.name}; wrap it in a Sequential to quantize it`);
  visit(root, '');
  return count;
}

/**
 * A float layer under observation for static quantization (what {@link prepare} puts in place of
 * each Conv2d, Linear, ConvReLU2d and LinearReLU): forward runs the layer unchanged and records
 * the range of its input (`inputObserver`, unless the input is the previous observed layer's
 * output on the same grid) and of its output (`activationPostProcess`, PyTorch's name). `convert`
 * replaces it with the quantized layer.
 * Shapes: as the wrapped layer.
 * @example
 * const net = prepare(new Sequential(new Linear(3, 2)));
 * net[0].constructor.name; // 'ObservedModule'
 * @category Quantization
 */
export class ObservedModule extends Module {
  /** The float layer. */
  readonly module: Conv2d | Linear | ConvReLU2d | LinearReLU;
  /** The observer of the input (the role of PyTorch's QuantStub), or null when the input grid is the previous layer's output grid. */
  readonly inputObserver: ObserverBase | null;
  /** The observer of the output. */
  readonly activationPostProcess: ObserverBase;
  /** The observer `convert` runs over the weight. */
  readonly weightObserver: ObserverBase;
  /** The observed layer whose output grid is this one's input grid, or null. @internal */
  declare readonly inputFrom: ObservedModule | null;

  /**
   * @param module - The float layer.
   * @param qconfig - The observers' factories.
   * @param inputFrom - The observed layer whose output feeds this one's input on the same grid, or null.
   */
  constructor(module: Conv2d | Linear | ConvReLU2d | LinearReLU, qconfig: QConfig, inputFrom: ObservedModule | null = null) {
    super();
    const op = 'ObservedModule';
    if (!(module instanceof Module) || !isQuantizable(module)) throw new ArgumentError(`${op}: module must be a Conv2d, Linear, ConvReLU2d or LinearReLU, got ${describe(module)}`);
    this.module = module;
    this.inputObserver = inputFrom === null ? activationObserver(op, qconfig) : null;
    this.activationPostProcess = activationObserver(op, qconfig);
    this.weightObserver = weightObserver(op, qconfig);
    Object.defineProperty(this, 'inputFrom', { value: inputFrom, enumerable: false });
  }

  forward(x: Tensor): Tensor {
    if (this.inputObserver !== null) this.inputObserver.forward(x);
    const y = (this.module.forward as (t: Tensor) => Tensor)(x);
    this.activationPostProcess.forward(y);
    return y;
  }
}

function activationObserver(op: string, qconfig: QConfig): ObserverBase {
  const o = qconfig.activation();
  if (!(o instanceof ObserverBase)) throw new ArgumentError(`${op}: qconfig.activation() must return an observer, got ${describe(o)}`);
  if (o.dtype !== 'quint8' || !(o.qscheme === 'perTensorAffine' || o.qscheme === 'perTensorSymmetric')) {
    throw new ArgumentError(`${op}: activations are quantized to quint8 per tensor (the kernels multiply uint8 by int8); qconfig.activation() gave a ${o.dtype} ${o.qscheme} observer`);
  }
  return o;
}

function weightObserver(op: string, qconfig: QConfig): ObserverBase {
  const o = qconfig.weight();
  if (!(o instanceof ObserverBase)) throw new ArgumentError(`${op}: qconfig.weight() must return an observer, got ${describe(o)}`);
  if (o.dtype !== 'qint8') throw new ArgumentError(`${op}: weights are quantized to qint8; qconfig.weight() gave a ${o.dtype} observer`);
  const ax = (o as { chAxis?: number }).chAxis;
  if (ax !== undefined && ax !== 0) throw new ArgumentError(`${op}: a per-channel weight observer must observe the output channels (chAxis 0), got chAxis ${ax}`);
  return o;
}

/** A QConfig object or a backend name. */
function resolveQconfig(op: string, q: unknown): QConfig {
  if (typeof q === 'string') return getDefaultQconfig(q as QuantBackend);
  const o = checkArg(op, 'qconfig', q, object);
  const p = parseOptions(op, o, { activation: func, weight: func });
  if (p.activation === undefined || p.weight === undefined) throw new ArgumentError(`${op}: qconfig must have activation and weight factories, got ${describe(q)}`);
  return p as unknown as QConfig;
}

/** The default qconfig of {@link prepare}: histogram activations on the full uint8 range, per-channel symmetric int8 weights. */
const DEFAULT_QCONFIG: QuantBackend = 'onednn';

/**
 * Prepares a model for static quantization (torch.ao.quantization.prepare, eager mode): every
 * Conv2d, Linear, {@link ConvReLU2d} and {@link LinearReLU} (fuse first with
 * {@link fuseModules}) is wrapped in an {@link ObservedModule} that records the ranges of its
 * input and output; the model goes to eval mode and is changed in place. Run calibration batches
 * through it (`model.forward(x)`; no training), then {@link convert}.
 *
 * Inside a Sequential, a layer whose input is the previous observed layer's output, reached
 * through ReLU, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Dropout or Identity only,
 * gets no input observer: it will read that layer's output grid, as a PyTorch quantized model
 * passes one quantized tensor along. Every other quantizable layer observes its own input (the
 * role of PyTorch's QuantStub).
 *
 * `qconfig`: a {@link QConfig}, or a backend name for {@link getDefaultQconfig}; default
 * `'onednn'` — histogram observers on the full uint8 range and per-channel symmetric int8 weights
 * (the kernels here sum exactly in int32, so the x86 headroom bit of `reduceRange` is not needed).
 * @example
 * const net = prepare(new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2)), 'qnnpack');
 * (net[2] as ObservedModule).inputObserver; // null
 * @throws ArgumentError if `model` is not a Module, the qconfig is bad or makes observers of the
 * wrong type, or the model has no layer to quantize.
 * @category Quantization
 */
export function prepare<M extends Module>(model: M, qconfig: QConfig | QuantBackend = DEFAULT_QCONFIG): M {
  const op = 'prepare';
  checkArg(op, 'model', model, instanceOf(Module));
  const qc = resolveQconfig(op, qconfig);
  const n = swapChained<Quantizable, ObservedModule>(op, model, isQuantizable, (layer, _p, prevW) => new ObservedModule(layer, qc, prevW), isTerminal);
  if (n === 0) throw new ArgumentError(`${op}: the model (${model.constructor.name}) has no Conv2d, Linear, ConvReLU2d or LinearReLU layer to quantize`);
  model.eval();
  return model;
}

/** Modules a prepare or convert walk does not enter. @internal */
export function isTerminal(m: Module): boolean {
  return m instanceof ObservedModule || m instanceof QuantizedConv2d || m instanceof StaticQuantizedLinear || m instanceof ObserverBase;
}

/** The activation grid an observer found, as a scale and a uint8 zero point. @internal */
export function gridOf(obs: { calculateQparams(): QParams }): { scale: number; zeroPoint: number } {
  const { scale, zeroPoint } = obs.calculateQparams();
  return { scale: scale[0], zeroPoint: zeroPoint[0] };
}

/** Builds the quantized layer for a float one, given its activation grids and weight parameters. @internal */
export function quantizedLayer(layer: Quantizable, weight: Tensor, bias: Tensor | null, wp: WeightParams, act: StaticActivationParams): QuantizedConv2d | StaticQuantizedLinear {
  if (layer instanceof ConvReLU2d) return QuantizedConv2d.fromFloatWith(layer.conv.config().options as ConvGeometry, weight, bias, wp, act, true);
  if (layer instanceof Conv2d) return QuantizedConv2d.fromFloatWith(layer.config().options as ConvGeometry, weight, bias, wp, act, false);
  return StaticQuantizedLinear.fromFloatWith(weight, bias, wp, act, layer instanceof LinearReLU);
}

/** The weight and bias Parameters of a quantizable layer. @internal */
export function weightsOf(layer: Quantizable): { weight: Tensor; bias: Tensor | null } {
  const inner = layer instanceof ConvReLU2d ? layer.conv : layer instanceof LinearReLU ? layer.linear : layer;
  return { weight: inner.weight, bias: inner.bias };
}

/**
 * Replaces every {@link ObservedModule} with its quantized layer; returns how many. Throws if a
 * layer has not been calibrated.
 * @internal
 */
export function convertObserved(op: string, model: Module): number {
  const found = model.namedModules().filter((e): e is [string, ObservedModule] => e[1] instanceof ObservedModule);
  const built: [string, Module][] = [];
  for (const [name, m] of found) {
    const inObs = m.inputObserver ?? m.inputFrom!.activationPostProcess;
    for (const [what, obs] of [['input', inObs], ['output', m.activationPostProcess]] as const) {
      if (!obs.hasObserved()) {
        throw new ArgumentError(`${op}: layer '${name}' (${m.module.constructor.name}) has observed no ${what}; run calibration batches through the prepared model (model.forward(x)) before convert`);
      }
    }
    const i = gridOf(inObs), o = gridOf(m.activationPostProcess);
    const { weight, bias } = weightsOf(m.module);
    checkFiniteWeight(op, weight);
    const wp = observeWeight(op, m.weightObserver, weight);
    built.push([name, quantizedLayer(m.module, weight, bias, wp, { inputScale: i.scale, inputZeroPoint: i.zeroPoint, scale: o.scale, zeroPoint: o.zeroPoint })]);
  }
  for (const [name, q] of built) replaceModule(model, name, q, op);
  return built.length;
}
