/**
 * The dynamically quantized Linear (torch.ao.nn.quantized.dynamic.Linear) and
 * `quantizeDynamic`, which swaps a model's Linear layers for it.
 */
import type { LayerConfig } from '../nn/config';
import { Linear } from '../nn/layers';
import { GRU, LSTM } from '../nn/recurrent';
import { Module } from '../nn/module';
import { ArgumentError, ShapeError, fmtShape } from '../tensor/errors';
import { kernels as K } from '../tensor/kernels/backend';
import { arrayOf, bool, checkArg, func, instanceOf, parseOptions, posInt, str, anyOf, type Check } from '../tensor/options';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { TypedBuffer } from '../tensor/typed';
import { MinMaxObserver, PerChannelMinMaxObserver } from './observers';
import { checkScale, invScaleOf } from './quantize';
import { nearbyint } from '../tensor/special';
import { QuantizedGRU, QuantizedLSTM } from './quantized-rnn';
import { replaceModule } from './swap';

/** PyTorch's SMALL_SCALE_THRESHOLD: activation scales below it are raised to it. */
const SMALL_SCALE = Math.fround(6.1e-5);

/**
 * PyTorch's `ChooseQuantizationParams` (quant_utils.h), which its dynamic layers run on every
 * input: the range [min(min, 0), max(max, 0)] onto [qmin, qmax] (halved with `reduceRange`), the
 * scale in double then float32, the zero point from whichever end adds the smaller error, nudged
 * to an integer inside the range.
 * @internal
 */
export function chooseQParams(min: number, max: number, qmin: number, qmax: number, reduceRange: boolean): { scale: number; zeroPoint: number } {
  if (reduceRange) {
    qmin = Math.trunc(qmin / 2);
    qmax = Math.trunc(qmax / 2);
  }
  min = Math.min(min, 0);
  max = Math.max(max, 0);
  let scale = (max - min) / (qmax - qmin);
  if (Math.fround(scale) === 0 || !Number.isFinite(1 / Math.fround(scale))) scale = 0.1;
  if (scale < SMALL_SCALE) {
    const org = scale;
    scale = SMALL_SCALE;
    if (min === 0) max = SMALL_SCALE * (qmax - qmin);
    else if (max === 0) min = -SMALL_SCALE * (qmax - qmin);
    else {
      const amp = Math.fround(SMALL_SCALE / org);
      min = Math.fround(min * amp);
      max = Math.fround(max * amp);
    }
  }
  const zMin = qmin - min / scale, zMax = qmax - max / scale;
  const eMin = Math.abs(qmin) - Math.abs(min / scale), eMax = Math.abs(qmax) - Math.abs(max / scale);
  const z0 = eMin < eMax ? zMin : zMax;
  const zeroPoint = z0 < qmin ? qmin : z0 > qmax ? qmax : nearbyint(z0);
  return { scale: Math.fround(scale), zeroPoint };
}

/** Options of {@link QuantizedLinear.fromFloat} and {@link quantizeDynamic}. @category Quantization */
export interface DynamicQuantOptions {
  /**
   * One weight scale per output feature (`per_channel_dynamic_qconfig`) instead of one for the
   * whole weight (PyTorch's default). Default false.
   */
  perChannel?: boolean;
  /**
   * Quantize activations to [0, 127] instead of [0, 255] (PyTorch's x86 default, true), which
   * leaves headroom for SIMD kernels that sum pairs of products in int16.
   */
  reduceRange?: boolean;
}

/** What {@link QuantizedLinear}'s constructor takes back: its `config().options`. @category Quantization */
export type QuantizedLinearConfig = {
  /** Input features K. */
  inFeatures: number;
  /** Output features N. */
  outFeatures: number;
  /** Whether the layer adds a (float) bias. */
  bias: boolean;
  /** Per-output-feature weight scales. */
  perChannel: boolean;
  /** Activations in [0, 127] rather than [0, 255]. */
  reduceRange: boolean;
};

const CONFIG_SPEC = { inFeatures: posInt, outFeatures: posInt, bias: bool, perChannel: bool, reduceRange: bool };
const DYNAMIC_SPEC = { perChannel: bool, reduceRange: bool };

/**
 * A Linear layer with int8 weights that quantizes its input to uint8 on every call and multiplies
 * in integers (PyTorch's dynamic quantized Linear): the weight stays int8 in memory (a quarter of
 * the float bytes), each forward takes the input's min and max, quantizes it with
 * ChooseQuantizationParams, runs the uint8 × int8 → int32 kernel and rescales to float32:
 * y = sₓ·s_w·(Σₖ (qx − zₓ)(q_w − z_w)) + bias. Build it from a trained layer with
 * {@link QuantizedLinear.fromFloat} or {@link quantizeDynamic}; it is for inference (no autograd
 * through it).
 *
 * Shapes: x (…, inFeatures) → (…, outFeatures). Buffers: `weight` I8 [out, in], `weightScale`
 * [1] or [out], `weightZeroPoint` I32 [1] or [out], `bias` [out] or null.
 * @example
 * const q = QuantizedLinear.fromFloat(new Linear(4, 2, { rng: new Generator(0) }));
 * q.forward(ones([3, 4])).shape; // [3, 2]
 * q.weight.dtype; // 'I8'
 * @category Quantization
 */
export class QuantizedLinear extends Module {
  /** The int8 weight, [outFeatures, inFeatures]. */
  readonly weight: TypedBuffer;
  /** float32 weight scale(s): [1], or [outFeatures] per channel. */
  readonly weightScale: Tensor;
  /** Weight zero point(s), I32: [1] or [outFeatures] (0 for the symmetric weights made here). */
  readonly weightZeroPoint: TypedBuffer;
  /** The float bias, [outFeatures], or null. */
  readonly bias: Tensor | null;
  /** Input features K. */
  readonly inFeatures: number;
  /** Output features N. */
  readonly outFeatures: number;
  /** Per-output-feature weight scales. */
  readonly perChannel: boolean;
  /** Activations in [0, 127] rather than [0, 255]. */
  readonly reduceRange: boolean;
  private rowSums: Int32Array | null = null;
  private scratch: Scratch | null = null;

  /**
   * Allocates a layer with zero weights from its config (`q.config().options`), for loading a
   * saved one; {@link QuantizedLinear.fromFloat} builds one from a trained `Linear`.
   */
  constructor(config: QuantizedLinearConfig) {
    super();
    const op = 'QuantizedLinear';
    const o = parseOptions(op, config, CONFIG_SPEC);
    for (const k of ['inFeatures', 'outFeatures'] as const) if (o[k] === undefined) CONFIG_SPEC[k](undefined, k, op);
    this.inFeatures = o.inFeatures!;
    this.outFeatures = o.outFeatures!;
    this.perChannel = o.perChannel ?? false;
    this.reduceRange = o.reduceRange ?? true;
    const nq = this.perChannel ? this.outFeatures : 1;
    this.weight = new TypedBuffer('I8', [this.outFeatures, this.inFeatures]);
    this.weightScale = Tensor.empty([nq]);
    this.weightScale.data.fill(1);
    this.weightZeroPoint = new TypedBuffer('I32', [nq]);
    this.bias = (o.bias ?? true) ? Tensor.empty([this.outFeatures]) : null;
    this.bias?.data.fill(0);
  }

  /**
   * Quantizes a trained Linear's weight to int8 with PyTorch's dynamic qconfig: a symmetric
   * qint8 MinMaxObserver over the whole weight (or a PerChannelMinMaxObserver along the output
   * axis with `perChannel`); the bias stays float.
   * @example QuantizedLinear.fromFloat(new Linear(3, 2), { perChannel: true }).weightScale.shape; // [2]
   * @throws ArgumentError if `linear` is not a Linear, its weight holds NaN or ±Infinity, or an
   * option is unknown or mistyped.
   */
  static fromFloat(linear: Linear, options: DynamicQuantOptions = {}): QuantizedLinear {
    const op = 'QuantizedLinear.fromFloat';
    checkArg(op, 'linear', linear, instanceOf(Linear));
    const o = parseOptions(op, options, DYNAMIC_SPEC);
    const w = linear.weight;
    checkFiniteWeight(op, w);
    const obs = o.perChannel
      ? new PerChannelMinMaxObserver({ dtype: 'qint8', qscheme: 'perChannelSymmetric', chAxis: 0 })
      : new MinMaxObserver({ dtype: 'qint8', qscheme: 'perTensorSymmetric' });
    obs.forward(w);
    return quantizeWith(w, linear.bias, { ...obs.calculateQparams(), quantMin: -128, quantMax: 127, reduceRange: o.reduceRange });
  }

  /**
   * Quantizes a float weight [out, in] (and keeps a float bias) with given parameters: one scale
   * and zero point, or one per output feature, and the integer range the weights are clamped to
   * (narrower than int8 for the 4-bit weights of quantization-aware training).
   * @example QuantizedLinear.fromFloatWith(ones([2, 3]), null, { scale: Float32Array.of(0.5), zeroPoint: Int32Array.of(0), quantMin: -8, quantMax: 7 }).weight.toArray(); // [2, 2, 2, 2, 2, 2]
   * @throws ArgumentError if the weight is not a finite 2-D tensor, the parameters' lengths are
   * neither 1 nor the output features, or the range does not fit int8.
   */
  static fromFloatWith(
    weight: Tensor, bias: Tensor | null,
    params: { scale: Float32Array; zeroPoint: Int32Array; quantMin: number; quantMax: number; reduceRange?: boolean },
  ): QuantizedLinear {
    const op = 'QuantizedLinear.fromFloatWith';
    checkArg(op, 'weight', weight, instanceOf(Tensor));
    if (weight.ndim !== 2) throw new ShapeError(`${op}: weight ${fmtShape(weight.shape)} must be 2-D [outFeatures, inFeatures]`);
    const N = weight.shape[0];
    checkFiniteWeight(op, weight);
    if (bias !== null && (!(bias instanceof Tensor) || bias.size !== N)) throw new ShapeError(`${op}: bias must be null or a [${N}] tensor for weight ${fmtShape(weight.shape)}, got ${describe(bias)}`);
    const { scale, zeroPoint, quantMin, quantMax } = params;
    if (!(scale instanceof Float32Array) || !(zeroPoint instanceof Int32Array)) {
      throw new ArgumentError(`${op}: params.scale must be a Float32Array and params.zeroPoint an Int32Array, got ${describe(scale)} and ${describe(zeroPoint)}`);
    }
    const nq = scale.length;
    scale.forEach((v, c) => checkScale(op, `params.scale[${c}]`, v));
    if ((nq !== 1 && nq !== N) || zeroPoint.length !== nq) throw new ShapeError(`${op}: ${nq} scales and ${zeroPoint.length} zero points for ${N} output features; give 1 of each or ${N}`);
    if (!(Number.isInteger(quantMin) && Number.isInteger(quantMax) && -128 <= quantMin && quantMin <= quantMax && quantMax <= 127)) {
      throw new ArgumentError(`${op}: the range [${describe(quantMin)}, ${describe(quantMax)}] must be integers within int8's [-128, 127]`);
    }
    return quantizeWith(weight, bias, params);
  }

  /** The dequantized weight as float32 [outFeatures, inFeatures] (for inspection and reports). */
  dequantizedWeight(): Tensor {
    const out = Tensor.empty([this.outFeatures, this.inFeatures]);
    const K = this.inFeatures, w = this.weight.data, s = this.weightScale.data, z = this.weightZeroPoint.data;
    for (let i = 0; i < out.size; i++) {
      const c = this.perChannel ? Math.floor(i / K) : 0;
      out.data[i] = (w[i] - z[c]) * s[c];
    }
    return out;
  }

  forward(x: Tensor): Tensor {
    const op = 'QuantizedLinear';
    if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: input must be a Tensor, got ${describe(x)}`);
    const Kf = this.inFeatures, N = this.outFeatures;
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== Kf) {
      throw new ShapeError(`${op}: input ${fmtShape(x.shape)} must end in inFeatures = ${Kf} (weight [${N}, ${Kf}])`);
    }
    const M = x.size / Kf;
    const out = Tensor.empty([...x.shape.slice(0, -1), N]);
    if (M === 0) return out;
    const d = x.data;
    let lo = Infinity, hi = -Infinity, probe = 0;
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      probe += v * 0; // NaN once a NaN or ±Infinity has passed
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (probe !== 0) {
      const i = d.findIndex((v) => !Number.isFinite(v));
      throw new ArgumentError(`${op}: input ${fmtShape(x.shape)} holds ${describe(d[i])} at element ${i}; a dynamically quantized layer needs finite inputs`);
    }
    const { scale: sx, zeroPoint: zx } = chooseQParams(lo, hi, 0, 255, this.reduceRange);
    const w = this.scratchFor(M);
    const qx = w.qx.length === d.length ? w.qx : w.qx.subarray(0, d.length);
    quantizeRows(d, qx, w.rowSumX, M, Kf, invScaleOf(sx), zx, this.reduceRange ? 127 : 255);
    const acc = w.acc.length === M * N ? w.acc : w.acc.subarray(0, M * N);
    K.gemmU8I8(acc, 0, qx, 0, this.weight.data as Int8Array, 0, M, Kf, N, false);
    const rowSumW = this.weightRowSums();
    const ws = this.weightScale.data, wz = this.weightZeroPoint.data, b = this.bias?.data ?? null;
    // Per output feature: its scale, zero point, and the terms that do not depend on the row, so
    // the rescaling below runs row by row over contiguous memory.
    // Σ (qx − zx)(qw − zw) = Σ qx·qw − zx·Σqw − zw·Σqx + K·zx·zw
    const { scale, zw, shift } = w;
    let allZw0 = true;
    for (let n = 0; n < N; n++) {
      const c = this.perChannel ? n : 0;
      scale[n] = sx * ws[c];
      zw[n] = wz[c];
      if (wz[c] !== 0) allZw0 = false;
      shift[n] = (b === null ? 0 : b[n]) - scale[n] * (zx * rowSumW[n] - Kf * zx * wz[c]);
    }
    rescaleRows(out.data, acc, w.rowSumX, scale, allZw0 ? null : zw, shift, M, N);
    return out;
  }

  /** The per-call work buffers for M rows, kept between calls (grown, never shrunk). */
  private scratchFor(M: number): Scratch {
    const K = this.inFeatures, N = this.outFeatures;
    let w = this.scratch;
    if (w === null || w.rowSumX.length < M) {
      w = { qx: new Uint8Array(M * K), rowSumX: new Float64Array(M), acc: new Int32Array(M * N), scale: w?.scale ?? new Float64Array(N), zw: w?.zw ?? new Float64Array(N), shift: w?.shift ?? new Float64Array(N) };
      this.scratch = w;
    }
    return w;
  }

  private weightRowSums(): Int32Array {
    if (this.rowSums !== null) return this.rowSums;
    const K = this.inFeatures, w = this.weight.data, sums = new Int32Array(this.outFeatures);
    for (let n = 0; n < this.outFeatures; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += w[n * K + k];
      sums[n] = s;
    }
    this.rowSums = sums;
    return sums;
  }

  /** Drops the cached weight row sums when new weights are loaded. @internal */
  protected override stateLoaded(): void {
    this.rowSums = null;
  }

  override config(): LayerConfig<QuantizedLinearConfig> {
    return {
      type: 'QuantizedLinear',
      options: { inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null, perChannel: this.perChannel, reduceRange: this.reduceRange },
    };
  }
}

/** Refuses a weight holding NaN or ±Infinity (they have no integer). */
function checkFiniteWeight(op: string, w: Tensor): void {
  for (let i = 0; i < w.size; i++) {
    if (!Number.isFinite(w.data[i])) throw new ArgumentError(`${op}: the weight ${fmtShape(w.shape)} holds ${describe(w.data[i])} at element ${i}; only finite weights can be quantized`);
  }
}

/** Builds the layer from a checked weight [N, K], bias and parameters. */
function quantizeWith(
  weight: Tensor, bias: Tensor | null,
  params: { scale: Float32Array; zeroPoint: Int32Array; quantMin: number; quantMax: number; reduceRange?: boolean },
): QuantizedLinear {
  const [N, K] = weight.shape;
  const { scale, zeroPoint, quantMin, quantMax } = params;
  const nq = scale.length;
  const q = new QuantizedLinear({ inFeatures: K, outFeatures: N, bias: bias !== null, perChannel: nq > 1, reduceRange: params.reduceRange ?? true });
  q.weightScale.data.set(scale);
  q.weightZeroPoint.data.set(zeroPoint);
  const qw = q.weight.data as Int8Array;
  for (let n = 0; n < N; n++) {
    const c = nq > 1 ? n : 0;
    const inv = invScaleOf(scale[c]), zp = zeroPoint[c];
    for (let k = 0; k < K; k++) {
      const v = nearbyint(Math.fround(weight.data[n * K + k] * inv)) + zp;
      qw[n * K + k] = v < quantMin ? quantMin : v > quantMax ? quantMax : v;
    }
  }
  if (bias !== null) q.bias!.data.set(bias.data);
  return q;
}

/** Reused work buffers of {@link QuantizedLinear.forward}: qx (M·K), row sums (M), int32 products (M·N), per-feature terms (N). */
interface Scratch { qx: Uint8Array; rowSumX: Float64Array; acc: Int32Array; scale: Float64Array; zw: Float64Array; shift: Float64Array }

/** 1.5·2⁵²: adding then subtracting it rounds a double of magnitude below 2⁵¹ to an integer, half to even. */
const ROUND_MAGIC = 6755399441055744;

/** Quantizes rows of x to uint8 with one scale and zero point, and sums each row's integers. @internal */
export function quantizeRows(d: Float32Array, qx: Uint8Array, rowSum: Float64Array, M: number, K: number, inv: number, zp: number, qmax: number): void {
  for (let m = 0; m < M; m++) {
    let s = 0;
    const base = m * K;
    for (let k = 0; k < K; k++) {
      // roundHalfEven inline by the 1.5·2⁵² trick (exact: y lies within a few hundred of 0, as x
      // is within [min, max]), identical to roundHalfEven without its branches.
      const y = Math.fround(d[base + k] * inv);
      const v = ((y + ROUND_MAGIC) - ROUND_MAGIC + zp) | 0;
      const q = v < 0 ? 0 : v > qmax ? qmax : v;
      qx[base + k] = q;
      s += q;
    }
    rowSum[m] = s;
  }
}

/** o[m, n] = scale[n]·(acc[m, n] − zw[n]·rowSum[m]) + shift[n], row by row (zw null: all zero weight zero points). */
function rescaleRows(
  o: Float32Array, acc: Int32Array, rowSum: Float64Array, scale: Float64Array, zw: Float64Array | null, shift: Float64Array, M: number, N: number,
): void {
  if (zw === null) {
    // acc − 0·rowSum is acc exactly, so this is the general formula's value.
    for (let m = 0; m < M; m++) {
      const r = m * N;
      for (let n = 0; n < N; n++) o[r + n] = scale[n] * acc[r + n] + shift[n];
    }
    return;
  }
  for (let m = 0; m < M; m++) {
    const r = m * N, sxm = rowSum[m];
    for (let n = 0; n < N; n++) o[r + n] = scale[n] * (acc[r + n] - zw[n] * sxm) + shift[n];
  }
}

/** The layer classes {@link quantizeDynamic} quantizes. @category Quantization */
export type DynamicQuantizable = typeof Linear | typeof LSTM | typeof GRU;

/** Options of {@link quantizeDynamic}. @category Quantization */
export interface QuantizeDynamicOptions extends DynamicQuantOptions {
  /**
   * Which layers to quantize: layer classes (`[Linear, LSTM, GRU]`, the default, as PyTorch's
   * default set for qint8), or the dotted names of particular layers (`['0', 'head.fc']`).
   */
  modules?: (string | DynamicQuantizable)[];
}

const MODULE_ENTRY: Check<string | DynamicQuantizable> = anyOf<string | DynamicQuantizable>('a layer class or a dotted layer name', str as Check<string | DynamicQuantizable>, func as unknown as Check<DynamicQuantizable>);

/** The supported classes and their quantized forms. */
const DYNAMIC: readonly [DynamicQuantizable, (m: Module, o: DynamicQuantOptions) => Module][] = [
  [Linear, (m, o) => QuantizedLinear.fromFloat(m as Linear, o)],
  [LSTM, (m, o) => QuantizedLSTM.fromFloat(m as LSTM, o)],
  [GRU, (m, o) => QuantizedGRU.fromFloat(m as GRU, o)],
];

/** The converter of a supported layer (by exact class or subclass), or undefined. */
function converterOf(m: Module): ((m: Module, o: DynamicQuantOptions) => Module) | undefined {
  return DYNAMIC.find(([C]) => m instanceof C)?.[1];
}

/**
 * Replaces a model's Linear, LSTM and GRU layers with {@link QuantizedLinear},
 * {@link QuantizedLSTM} and {@link QuantizedGRU} (torch.ao.quantization.quantize_dynamic): int8
 * weights, uint8 activations quantized on every call. The model is changed in place and returned
 * (PyTorch copies unless `inplace=True`; save the float model first, or rebuild a copy with
 * `loadModel(saveModel(model))`, to keep it). Quantized models are for inference, so it is put in
 * eval mode.
 * @example
 * const net = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
 * quantizeDynamic(net)[2].constructor.name; // 'QuantizedLinear'
 * @throws ArgumentError if `model` is not a Module, a named layer does not exist or is not a
 * Linear, LSTM or GRU, another class is asked for, or the model has no layer to quantize.
 * @category Quantization
 */
export function quantizeDynamic<M extends Module>(model: M, options: QuantizeDynamicOptions = {}): M {
  const op = 'quantizeDynamic';
  checkArg(op, 'model', model, instanceOf(Module));
  const o = parseOptions(op, options, { ...DYNAMIC_SPEC, modules: arrayOf(MODULE_ENTRY, { min: 1 }) });
  const wanted = o.modules ?? DYNAMIC.map(([C]) => C);
  const classes = new Set<DynamicQuantizable>();
  for (const w of wanted) {
    if (typeof w !== 'function') continue;
    if (!DYNAMIC.some(([C]) => C === w)) throw new ArgumentError(`${op}: modules: ${w.name || 'this class'} has no quantized form yet; dynamic quantization covers Linear, LSTM and GRU`);
    classes.add(w);
  }
  const names = new Set(wanted.filter((w): w is string => typeof w === 'string'));
  const all = new Map(model.namedModules());
  for (const n of names) {
    const m = all.get(n);
    if (m === undefined) throw new ArgumentError(`${op}: modules: the model has no layer '${n}'`);
    if (converterOf(m) === undefined) throw new ArgumentError(`${op}: modules: layer '${n}' is a ${m.constructor.name}, not a Linear, LSTM or GRU`);
  }
  let count = 0;
  for (const [name, m] of all) {
    const convert = converterOf(m);
    if (convert === undefined || !(names.has(name) || [...classes].some((C) => m instanceof C))) continue;
    replaceModule(model, name, convert(m, { perChannel: o.perChannel, reduceRange: o.reduceRange }), op);
    count++;
  }
  if (count === 0) {
    const cs = [...classes].map((C) => C.name);
    const which = cs.length > 1 ? `${cs.slice(0, -1).join(', ')} or ${cs[cs.length - 1]}` : cs[0];
    throw new ArgumentError(`${op}: the model (${model.constructor.name}) has no ${which} layer to quantize`);
  }
  model.eval();
  return model;
}
