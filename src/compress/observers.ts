/**
 * Observers: modules that watch the tensors passing through them and turn the range they saw into
 * a scale and zero point, with torch.ao.quantization.observer's formulas (PyTorch 1.13).
 */
import type { LayerConfig } from '../nn/config';
import { Module } from '../nn/module';
import { ArgumentError } from '../tensor/errors';
import { bool, int, num, oneOf, parseOptions, type Check } from '../tensor/options';
import { describe, normAxis } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { QDTYPE, channelLayout, type QDtype, type QScheme } from './quantize';
import { nearbyint } from '../tensor/special';

/** float32's machine epsilon, PyTorch's default floor on a scale (`torch.finfo(torch.float32).eps`). */
const FLOAT32_EPS = 2 ** -23;
const f = Math.fround;

/** Scales and zero points an observer computed: one entry per tensor, or one per channel. @category Quantization */
export interface QParams {
  /** float32 scales. */
  scale: Float32Array;
  /** int32 zero points. */
  zeroPoint: Int32Array;
}

/** Options shared by every observer (PyTorch's constructor arguments in camelCase). @category Quantization */
export type ObserverOptions = {
  /** The quantized type the parameters are for (default `'quint8'`, as PyTorch). */
  dtype?: QDtype;
  /**
   * Affine (a zero point that fits [min, max]) or symmetric (zero point 0, or 128 for quint8);
   * per tensor for the per-tensor observers (default `'perTensorAffine'`), per channel for the
   * per-channel ones (default `'perChannelAffine'`).
   */
  qscheme?: QScheme;
  /**
   * Use one bit less than the dtype's range (qint8 [−64, 63], quint8 [0, 127]), PyTorch's
   * fbgemm default for activations, which leaves room for the int16 intermediate sums of x86's
   * integer dot product. Default false.
   */
  reduceRange?: boolean;
  /** A custom lower end of the integer range (with `quantMax`; the range must contain 0). */
  quantMin?: number;
  /** A custom upper end of the integer range (with `quantMin`). */
  quantMax?: number;
  /** The smallest scale returned (default float32's epsilon, 2⁻²³). */
  eps?: number;
};

/** Options of the moving-average observers. @category Quantization */
export type MovingAverageObserverOptions = ObserverOptions & {
  /** Weight of the newest batch's min and max in the running average (default 0.01). */
  averagingConstant?: number;
};

/** Options of the per-channel observers. @category Quantization */
export type PerChannelObserverOptions = ObserverOptions & {
  /** The channel axis of the observed tensors (default 0, a weight's output channels). */
  chAxis?: number;
  /**
   * The channel count seen so far, written by `config()` once the observer has seen a tensor so
   * that a saved observer's `minVal`/`maxVal` buffers load back; leave it out when building one.
   */
  numChannels?: number;
};

/** Options of the moving-average per-channel observer. @category Quantization */
export type MovingAveragePerChannelObserverOptions = PerChannelObserverOptions & {
  /** Weight of the newest batch's min and max in the running average (default 0.01). */
  averagingConstant?: number;
};

const SCHEMES_TENSOR: readonly QScheme[] = ['perTensorAffine', 'perTensorSymmetric'];
const SCHEMES_CHANNEL: readonly QScheme[] = ['perChannelAffine', 'perChannelSymmetric'];

const BASE_SPEC = {
  dtype: QDTYPE as Check<QDtype>, reduceRange: bool, quantMin: int(), quantMax: int(), eps: num({ min: 0, openMin: true }),
};

/** The resolved settings of an observer. */
interface Resolved {
  dtype: QDtype;
  qscheme: QScheme;
  reduceRange: boolean;
  quantMin: number;
  quantMax: number;
  customRange: boolean;
  eps: number;
}

/** PyTorch's `_calculate_qmin_qmax` and its checks of a custom range. */
function resolve(op: string, o: Record<string, unknown>, schemes: readonly QScheme[]): Resolved {
  const dtype = (o.dtype as QDtype | undefined) ?? 'quint8';
  const qscheme = o.qscheme === undefined ? schemes[0] : oneOf(schemes)(o.qscheme, 'qscheme', op);
  const reduceRange = (o.reduceRange as boolean | undefined) ?? false;
  const eps = (o.eps as number | undefined) ?? FLOAT32_EPS;
  if (reduceRange && dtype === 'quint8' && (qscheme === 'perTensorSymmetric' || qscheme === 'perChannelSymmetric')) {
    throw new ArgumentError(`${op}: reduceRange is not supported for symmetric quantization to quint8 (as PyTorch); use qint8, or an affine qscheme`);
  }
  const customRange = o.quantMin !== undefined || o.quantMax !== undefined;
  let quantMin: number, quantMax: number;
  if (customRange) {
    if (o.quantMin === undefined || o.quantMax === undefined) throw new ArgumentError(`${op}: quantMin and quantMax must be given together, got ${describe(o.quantMin)} and ${describe(o.quantMax)}`);
    quantMin = o.quantMin as number;
    quantMax = o.quantMax as number;
    if (!(quantMin <= 0 && 0 <= quantMax)) throw new ArgumentError(`${op}: the range [quantMin, quantMax] = [${quantMin}, ${quantMax}] must contain 0`);
    if (quantMax - quantMin + 1 > 256) throw new ArgumentError(`${op}: the range [${quantMin}, ${quantMax}] holds ${quantMax - quantMin + 1} integers; an 8-bit dtype holds at most 256`);
    const [lo, hi] = dtype === 'qint8' ? [-128, 127] : [0, 255];
    if (quantMin < lo || quantMax > hi) throw new ArgumentError(`${op}: the range [${quantMin}, ${quantMax}] does not fit ${dtype} [${lo}, ${hi}]`);
    if (reduceRange) {
      // PyTorch's calculate_qmin_qmax halves a custom range too (floor division).
      quantMin = Math.floor(quantMin / 2);
      quantMax = Math.floor(quantMax / 2);
    }
  } else if (dtype === 'qint8') {
    [quantMin, quantMax] = reduceRange ? [-64, 63] : [-128, 127];
  } else {
    [quantMin, quantMax] = reduceRange ? [0, 127] : [0, 255];
  }
  return { dtype, qscheme, reduceRange, quantMin, quantMax, customRange, eps };
}

/** PyTorch's `_calculate_qparams` for one channel, in float32 as PyTorch computes it. */
function qparamsOf(minVal: number, maxVal: number, r: Resolved, out: QParams, c: number): void {
  const minNeg = Math.min(minVal, 0);
  let maxPos = Math.max(maxVal, 0);
  const eps = f(r.eps);
  if (r.qscheme === 'perTensorSymmetric' || r.qscheme === 'perChannelSymmetric') {
    maxPos = Math.max(-minNeg, maxPos);
    const scale = Math.max(f(maxPos / f((r.quantMax - r.quantMin) / 2)), eps);
    out.scale[c] = scale;
    out.zeroPoint[c] = r.dtype === 'quint8' ? (r.customRange ? Math.floor((r.quantMin + r.quantMax) / 2) : 128) : 0;
  } else {
    const scale = Math.max(f(f(maxPos - minNeg) / (r.quantMax - r.quantMin)), eps);
    out.scale[c] = scale;
    const zp = r.quantMin - nearbyint(f(minNeg / scale));
    out.zeroPoint[c] = Math.min(Math.max(zp, r.quantMin), r.quantMax);
  }
}

/**
 * What every observer shares: the settings, `forward` (records the input's range and returns the
 * input unchanged, outside autograd) and {@link ObserverBase.calculateQparams}. Observers are
 * modules, so a prepared model saves their `minVal`/`maxVal` buffers with its state dict.
 * @category Quantization
 */
export abstract class ObserverBase extends Module {
  /** The quantized type the parameters are for. */
  readonly dtype: QDtype;
  /** Affine or symmetric, per tensor or per channel. */
  readonly qscheme: QScheme;
  /** Whether one bit of the range is left unused (PyTorch's `reduce_range`). */
  readonly reduceRange: boolean;
  /** Lower end of the integer range actually used. */
  readonly quantMin: number;
  /** Upper end of the integer range actually used. */
  readonly quantMax: number;
  /** The smallest scale returned. */
  readonly eps: number;
  /** @internal */
  protected readonly customRange: boolean;
  /** @internal */
  protected readonly typeName: string;

  /** @internal */
  protected constructor(typeName: string, options: Record<string, unknown>, schemes: readonly QScheme[]) {
    super();
    const r = resolve(typeName, options, schemes);
    this.typeName = typeName;
    this.dtype = r.dtype;
    this.qscheme = r.qscheme;
    this.reduceRange = r.reduceRange;
    this.quantMin = r.quantMin;
    this.quantMax = r.quantMax;
    this.eps = r.eps;
    this.customRange = r.customRange;
  }

  /** Records the range of `x` (NaN values are refused) and returns `x` itself. */
  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) throw new ArgumentError(`${this.typeName}: input must be a Tensor, got ${describe(x)}`);
    if (x.size === 0) return x;
    this.observe(x);
    return x;
  }

  /** @internal */
  protected abstract observe(x: Tensor): void;

  /** The min and max seen so far, one entry per tensor or per channel (empty before any input). @internal */
  protected abstract range(): { min: ArrayLike<number>; max: ArrayLike<number> };

  /**
   * The scale and zero point for the range seen so far (PyTorch's `calculate_qparams`); before any
   * input, scale 1 and zero point 0, as PyTorch returns with its warning.
   * @example
   * const obs = new MinMaxObserver({ dtype: 'quint8' });
   * obs.forward(tensor([-1, 0, 3]));
   * obs.calculateQparams().zeroPoint[0]; // 64
   */
  calculateQparams(): QParams {
    const { min, max } = this.range();
    const n = min.length;
    if (n === 0 || !Number.isFinite(min[0]) || !Number.isFinite(max[0])) {
      return { scale: Float32Array.of(1), zeroPoint: Int32Array.of(0) };
    }
    const out: QParams = { scale: new Float32Array(n), zeroPoint: new Int32Array(n) };
    const r: Resolved = { ...this, customRange: this.customRange };
    for (let c = 0; c < n; c++) {
      if (min[c] > max[c]) throw new ArgumentError(`${this.typeName}: channel ${c} has min ${min[c]} > max ${max[c]}`);
      qparamsOf(min[c], max[c], r, out, c);
    }
    return out;
  }

  /** Whether the observer has seen data (a non-empty input) since it was built or loaded. */
  hasObserved(): boolean {
    const { min } = this.range();
    return min.length > 0 && Number.isFinite(min[0]);
  }

  /** @internal */
  protected baseOptions(): ObserverOptions {
    const o: ObserverOptions = { dtype: this.dtype, qscheme: this.qscheme, reduceRange: this.reduceRange, eps: this.eps };
    if (this.customRange) {
      o.quantMin = this.quantMin;
      o.quantMax = this.quantMax;
      o.reduceRange = false;
    }
    return o;
  }
}

/** min and max buffers of `shape` before any input: +∞ and −∞. */
function emptyRange(shape: number[]): [Tensor, Tensor] {
  const lo = Tensor.empty(shape), hi = Tensor.empty(shape);
  lo.data.fill(Infinity);
  hi.data.fill(-Infinity);
  return [lo, hi];
}

/** min and max of a tensor's values, refusing NaN (a NaN would poison every later scale). */
function minMaxOf(op: string, d: Float32Array): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v !== v) throw new ArgumentError(`${op}: input element ${i} is NaN; an observer cannot compute a range over NaN`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/**
 * Tracks the running min and max of every tensor it sees (torch.ao.quantization.MinMaxObserver)
 * and maps [min(min, 0), max(max, 0)] onto the integer range.
 * @example
 * const obs = new MinMaxObserver({ dtype: 'qint8', qscheme: 'perTensorSymmetric' });
 * obs.forward(tensor([-2, 1]));
 * obs.calculateQparams().scale[0]; // 0.015686275
 * @throws ArgumentError for an unknown or mistyped option, a custom range that does not contain
 * 0 or does not fit the dtype, or a NaN input.
 * @category Quantization
 */
export class MinMaxObserver extends ObserverBase {
  /** The smallest value seen (+∞ before any input); a 0-d buffer. */
  readonly minVal: Tensor;
  /** The largest value seen (−∞ before any input); a 0-d buffer. */
  readonly maxVal: Tensor;

  /** @param options - dtype, qscheme, reduceRange, a custom range and eps ({@link ObserverOptions}). */
  constructor(options: ObserverOptions = {}) {
    super('MinMaxObserver', parseOptions('MinMaxObserver', options, { ...BASE_SPEC, qscheme: oneOf(SCHEMES_TENSOR) }), SCHEMES_TENSOR);
    [this.minVal, this.maxVal] = emptyRange([]);
  }

  /** @internal */
  protected observe(x: Tensor): void {
    const [lo, hi] = minMaxOf(this.typeName, x.data);
    this.minVal.data[0] = Math.min(this.minVal.data[0], lo);
    this.maxVal.data[0] = Math.max(this.maxVal.data[0], hi);
  }

  /** @internal */
  protected range(): { min: ArrayLike<number>; max: ArrayLike<number> } {
    return { min: this.minVal.data, max: this.maxVal.data };
  }

  override config(): LayerConfig<ObserverOptions> {
    return { type: this.typeName, options: this.baseOptions() };
  }
}

/**
 * A running average of each batch's min and max (torch.ao.quantization.MovingAverageMinMaxObserver):
 * the first batch sets them, every later one moves them by `averagingConstant`
 * (min ← min + c·(batchMin − min)), so outliers in one batch weigh little. The usual observer of
 * activations during quantization-aware training.
 * @example
 * const obs = new MovingAverageMinMaxObserver({ averagingConstant: 0.5 });
 * obs.forward(tensor([0, 2])); obs.forward(tensor([0, 4]));
 * obs.maxVal.item(); // 3
 * @throws ArgumentError as {@link MinMaxObserver}, or for an averagingConstant outside (0, 1].
 * @category Quantization
 */
export class MovingAverageMinMaxObserver extends ObserverBase {
  /** The averaged min (+∞ before any input); a 0-d buffer. */
  readonly minVal: Tensor;
  /** The averaged max (−∞ before any input); a 0-d buffer. */
  readonly maxVal: Tensor;
  /** Weight of the newest batch. */
  readonly averagingConstant: number;

  /** @param options - averagingConstant and the options of every observer ({@link MovingAverageObserverOptions}). */
  constructor(options: MovingAverageObserverOptions = {}) {
    const op = 'MovingAverageMinMaxObserver';
    const o = parseOptions(op, options, { ...BASE_SPEC, qscheme: oneOf(SCHEMES_TENSOR), averagingConstant: num({ min: 0, max: 1, openMin: true }) });
    super(op, o, SCHEMES_TENSOR);
    this.averagingConstant = o.averagingConstant ?? 0.01;
    [this.minVal, this.maxVal] = emptyRange([]);
  }

  /** @internal */
  protected observe(x: Tensor): void {
    const [lo, hi] = minMaxOf(this.typeName, x.data);
    const mn = this.minVal.data, mx = this.maxVal.data;
    if (mn[0] === Infinity && mx[0] === -Infinity) {
      mn[0] = lo;
      mx[0] = hi;
    } else {
      const c = f(this.averagingConstant);
      mn[0] = f(mn[0] + f(c * f(lo - mn[0])));
      mx[0] = f(mx[0] + f(c * f(hi - mx[0])));
    }
  }

  /** @internal */
  protected range(): { min: ArrayLike<number>; max: ArrayLike<number> } {
    return { min: this.minVal.data, max: this.maxVal.data };
  }

  override config(): LayerConfig<MovingAverageObserverOptions> {
    return { type: this.typeName, options: { ...this.baseOptions(), averagingConstant: this.averagingConstant } };
  }
}

/** Per-channel min and max of x along `axis`. */
function channelMinMax(op: string, x: Tensor, axis: number): { lo: Float32Array; hi: Float32Array } {
  const { inner, n } = channelLayout(x.shape, normAxis(axis, x.ndim, op, x.shape));
  const lo = new Float32Array(n).fill(Infinity), hi = new Float32Array(n).fill(-Infinity);
  const d = x.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v !== v) throw new ArgumentError(`${op}: input element ${i} is NaN; an observer cannot compute a range over NaN`);
    const c = Math.floor(i / inner) % n;
    if (v < lo[c]) lo[c] = v;
    if (v > hi[c]) hi[c] = v;
  }
  return { lo, hi };
}

/** The shared body of the per-channel observers: buffers sized on the first input. */
abstract class PerChannelBase extends ObserverBase {
  /** Min per channel, [C] ([0] before any input); a buffer. */
  minVal: Tensor = Tensor.empty([0]);
  /** Max per channel, [C] ([0] before any input); a buffer. */
  maxVal: Tensor = Tensor.empty([0]);
  /** The channel axis. */
  readonly chAxis: number;

  /** @internal */
  protected constructor(typeName: string, o: Record<string, unknown>) {
    super(typeName, o, SCHEMES_CHANNEL);
    this.chAxis = (o.chAxis as number | undefined) ?? 0;
    // A saved observer's config carries the channel count it had seen, so its buffers load back.
    const n = (o.numChannels as number | undefined) ?? 0;
    if (n > 0) {
      [this.minVal, this.maxVal] = emptyRange([n]);
    }
  }

  /** @internal */
  protected channelOptions(): PerChannelObserverOptions {
    const o: PerChannelObserverOptions = { ...this.baseOptions(), chAxis: this.chAxis };
    if (this.minVal.size > 0) o.numChannels = this.minVal.size;
    return o;
  }

  /** @internal */
  protected abstract merge(lo: Float32Array, hi: Float32Array): void;

  /** @internal */
  protected observe(x: Tensor): void {
    if (x.ndim === 0) throw new ArgumentError(`${this.typeName}: a per-channel observer needs an input with an axis ${this.chAxis}, got a 0-d tensor`);
    const { lo, hi } = channelMinMax(this.typeName, x, this.chAxis);
    if (this.minVal.size === 0) {
      this.minVal = new Tensor(lo, [lo.length]);
      this.maxVal = new Tensor(hi, [hi.length]);
      return;
    }
    if (lo.length !== this.minVal.size) {
      throw new ArgumentError(`${this.typeName}: input has ${lo.length} channels along axis ${this.chAxis}, but the observer has seen ${this.minVal.size}`);
    }
    if (this.minVal.data[0] === Infinity && this.maxVal.data[0] === -Infinity) {
      // Sized by its config but not yet fed: the first batch sets the range, as for a fresh observer.
      this.minVal.data.set(lo);
      this.maxVal.data.set(hi);
      return;
    }
    this.merge(lo, hi);
  }

  /** @internal */
  protected range(): { min: ArrayLike<number>; max: ArrayLike<number> } {
    return { min: this.minVal.data, max: this.maxVal.data };
  }
}

/**
 * Min and max per channel (torch.ao.quantization.PerChannelMinMaxObserver), the observer of
 * weights for per-channel quantization: one scale and zero point per index along `chAxis`.
 * @example
 * const obs = new PerChannelMinMaxObserver({ dtype: 'qint8', qscheme: 'perChannelSymmetric' });
 * obs.forward(tensor([[1, -2], [0.5, 0.25]]));
 * Array.from(obs.calculateQparams().zeroPoint); // [0, 0]
 * @throws ArgumentError as {@link MinMaxObserver}, or for inputs whose channel count changes.
 * @category Quantization
 */
export class PerChannelMinMaxObserver extends PerChannelBase {
  /** @param options - chAxis and the options of every observer ({@link PerChannelObserverOptions}). */
  constructor(options: PerChannelObserverOptions = {}) {
    const op = 'PerChannelMinMaxObserver';
    super(op, parseOptions(op, options, { ...BASE_SPEC, qscheme: oneOf(SCHEMES_CHANNEL), chAxis: int(), numChannels: int({ min: 0 }) }));
  }

  /** @internal */
  protected merge(lo: Float32Array, hi: Float32Array): void {
    const mn = this.minVal.data, mx = this.maxVal.data;
    for (let c = 0; c < lo.length; c++) {
      mn[c] = Math.min(mn[c], lo[c]);
      mx[c] = Math.max(mx[c], hi[c]);
    }
  }

  override config(): LayerConfig<PerChannelObserverOptions> {
    return { type: this.typeName, options: this.channelOptions() };
  }
}

/**
 * A running average of each channel's min and max
 * (torch.ao.quantization.MovingAveragePerChannelMinMaxObserver).
 * @example
 * const obs = new MovingAveragePerChannelMinMaxObserver({ averagingConstant: 0.5 });
 * obs.forward(tensor([[0, 2]])); obs.forward(tensor([[0, 4]]));
 * obs.maxVal.toArray(); // [3]
 * @throws ArgumentError as {@link PerChannelMinMaxObserver}, or for an averagingConstant outside (0, 1].
 * @category Quantization
 */
export class MovingAveragePerChannelMinMaxObserver extends PerChannelBase {
  /** Weight of the newest batch. */
  readonly averagingConstant: number;

  /** @param options - averagingConstant, chAxis and the options of every observer ({@link MovingAveragePerChannelObserverOptions}). */
  constructor(options: MovingAveragePerChannelObserverOptions = {}) {
    const op = 'MovingAveragePerChannelMinMaxObserver';
    const o = parseOptions(op, options, { ...BASE_SPEC, qscheme: oneOf(SCHEMES_CHANNEL), chAxis: int(), numChannels: int({ min: 0 }), averagingConstant: num({ min: 0, max: 1, openMin: true }) });
    super(op, o);
    this.averagingConstant = o.averagingConstant ?? 0.01;
  }

  /** @internal */
  protected merge(lo: Float32Array, hi: Float32Array): void {
    const mn = this.minVal.data, mx = this.maxVal.data, c0 = f(this.averagingConstant);
    for (let c = 0; c < lo.length; c++) {
      mn[c] = f(mn[c] + f(c0 * f(lo[c] - mn[c])));
      mx[c] = f(mx[c] + f(c0 * f(hi[c] - mx[c])));
    }
  }

  override config(): LayerConfig<MovingAveragePerChannelObserverOptions> {
    return { type: this.typeName, options: { ...this.channelOptions(), averagingConstant: this.averagingConstant } };
  }
}

/** Options of {@link HistogramObserver}. @category Quantization */
export type HistogramObserverOptions = ObserverOptions & {
  /** Bins of the histogram (default 2048). */
  bins?: number;
  /** How finely the old histogram is resampled when the range grows (default 128). */
  upsampleRate?: number;
};

/** torch.histc on float32 data as PyTorch 1.13 computes it (bin = ⌊(x − lo)·bins/(hi − lo)⌋ in float32). */
function histc(d: Float32Array, bins: number, lo: number, hi: number, out: Float32Array): void {
  let l = lo, r = hi;
  if (l === r && d.length > 0) {
    l = Infinity;
    r = -Infinity;
    for (let i = 0; i < d.length; i++) {
      if (d[i] < l) l = d[i];
      if (d[i] > r) r = d[i];
    }
  }
  if (l === r) {
    l -= 1;
    r += 1;
  }
  l = f(l);
  r = f(r);
  const width = f(r - l);
  out.fill(0);
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v < l || v > r) continue;
    let pos = Math.trunc(f(f(f(v - l) * bins) / width));
    if (pos === bins) pos -= 1;
    out[pos] += 1;
  }
}

/** PyTorch's floor division of float32 values (c10's div_floor_floating). */
function floorDivF32(a: number, b: number): number {
  if (b === 0) return a / b;
  const mod = a % b;
  let div = f(f(a - mod) / b);
  if (mod !== 0 && (b < 0) !== (mod < 0)) div = f(div - 1);
  if (div === 0) return 0;
  let fl = Math.floor(div);
  if (f(div - fl) > 0.5) fl += 1;
  return fl;
}

/**
 * Records a running histogram of every tensor it sees and picks the range that minimizes the L2
 * quantization error (torch.ao.quantization.HistogramObserver, PyTorch 1.13, the default
 * activation observer of its post-training qconfigs). The first batch is binned over its range;
 * each later batch that widens the range is binned over the widened one and the old histogram is
 * resampled onto it (upsampled `upsampleRate` times, then summed in blocks). `calculateQparams`
 * runs PyTorch's `_non_linear_param_search`: it narrows [start, end] bin by bin from whichever
 * side holds less mass (quantiles moved in steps of 10⁻⁵) as long as the L2 error of quantizing
 * the histogram onto 256 levels over the narrowed range keeps falling, then maps that range as
 * {@link MinMaxObserver} does. Float32 arithmetic follows PyTorch's, including its quirk of
 * binning over the integer-truncated range (`torch.histc(x, bins, int(min), int(max))`: values
 * outside [trunc(min), trunc(max)] are left out of the histogram, and a range inside (−1, 1) is
 * binned over the data's own min and max), so scales and zero points equal PyTorch 1.13's.
 * Per-tensor schemes only.
 * @example
 * const obs = new HistogramObserver();
 * obs.forward(tensor([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]));
 * obs.calculateQparams().zeroPoint[0]; // 0
 * @throws ArgumentError as {@link MinMaxObserver}, or for bins or upsampleRate that are not positive integers.
 * @category Quantization
 */
export class HistogramObserver extends ObserverBase {
  /** The smallest value seen (+∞ before the first input); a 0-d buffer. */
  minVal: Tensor;
  /** The largest value seen, widened to a whole number of resampled bins (−∞ before the first input); a 0-d buffer. */
  maxVal: Tensor;
  /** The counts per bin, [bins]; a buffer. */
  readonly histogram: Tensor;
  /** Bins of the histogram. */
  readonly bins: number;
  /** Resampling factor of the old histogram when the range grows. */
  readonly upsampleRate: number;
  /** Levels of the quantized type the error is measured against (2⁸). */
  private readonly dstNbins = 256;

  /** @param options - bins, upsampleRate and the options of every observer ({@link HistogramObserverOptions}). */
  constructor(options: HistogramObserverOptions = {}) {
    const op = 'HistogramObserver';
    const o = parseOptions(op, options, { ...BASE_SPEC, qscheme: oneOf(SCHEMES_TENSOR), bins: int({ min: 1 }), upsampleRate: int({ min: 1 }) });
    super(op, o, SCHEMES_TENSOR);
    this.bins = o.bins ?? 2048;
    this.upsampleRate = o.upsampleRate ?? 128;
    [this.minVal, this.maxVal] = emptyRange([]);
    this.histogram = Tensor.empty([this.bins], op);
    this.histogram.data.fill(0);
  }

  /** @internal */
  protected observe(x: Tensor): void {
    const [lo, hi] = minMaxOf(this.typeName, x.data);
    const mn = this.minVal.data[0], mx = this.maxVal.data[0], hist = this.histogram.data, bins = this.bins;
    if ((mn === Infinity && mx === -Infinity) || mn === mx) {
      this.minVal.data[0] = lo;
      this.maxVal.data[0] = hi;
      histc(x.data, bins, Math.trunc(lo), Math.trunc(hi), hist);
      return;
    }
    const cmin = Math.min(lo, mn);
    let cmax = Math.max(hi, mx);
    // PyTorch's _adjust_min_max: a common grid of width (max − min)/(bins·upsampleRate).
    const up = this.upsampleRate;
    const hbw = f(f(mx - mn) / f(bins * up));
    const span = f(bins * hbw);
    const ds = Math.ceil(f(f(cmax - cmin) / span));
    cmax = f(cmax + f(f(ds * span) - f(cmax - cmin)));
    const startIdx = nearbyint(f(f(mn - cmin) / hbw));
    const fresh = new Float32Array(bins);
    histc(x.data, bins, Math.trunc(cmin), Math.trunc(cmax), fresh);
    if (cmin === mn && cmax === mx) {
      for (let i = 0; i < bins; i++) fresh[i] = f(fresh[i] + hist[i]);
    } else {
      combineHistograms(fresh, hist, up, ds, startIdx, bins);
    }
    hist.set(fresh);
    this.minVal.data[0] = cmin;
    this.maxVal.data[0] = cmax;
  }

  /** @internal */
  protected range(): { min: ArrayLike<number>; max: ArrayLike<number> } {
    return { min: this.minVal.data, max: this.maxVal.data };
  }

  /** The L2 error of quantizing the histogram onto 256 levels over bins [start, end] (PyTorch's `_compute_quantization_error`). */
  private quantizationError(start: number, end: number): number {
    const bins = this.bins, hist = this.histogram.data;
    const bw = (this.maxVal.data[0] - this.minVal.data[0]) / bins;
    const dstW = bw * (end - start + 1) / this.dstNbins;
    if (dstW === 0) return 0;
    const bwf = f(bw), dw = f(dstW), half = f(dstW / 2), top = this.dstNbins - 1;
    const cube = (v: number): number => f(f(v * v) * v);
    const halfCube = cube(half), negHalfCube = cube(-half);
    const inner = f(f(halfCube - negHalfCube) / 3);
    let sum = 0;
    for (let i = 0; i < bins; i++) {
      const sb = f(f(i - start) * bwf), se = f(sb + bwf);
      const db = Math.min(Math.max(floorDivF32(sb, dw), 0), top);
      const de = Math.min(Math.max(floorDivF32(se, dw), 0), top);
      const density = f(hist[i] / bwf);
      const dBegin = f(sb - f(f(db + 0.5) * dw));
      let norm = f(density * f(f(halfCube - cube(dBegin)) / 3));
      norm = f(norm + f(f(de - db - 1) * f(density * inner)));
      const dEnd = f(se - f(f(de * dw) + half));
      norm = f(norm + f(density * f(f(cube(dEnd) - negHalfCube) / 3)));
      sum += norm;
    }
    return f(sum);
  }

  /** PyTorch's `_non_linear_param_search`: the [min, max] that the L2 search settles on. */
  private search(): [number, number] {
    const bins = this.bins, hist = this.histogram.data, mn = this.minVal.data[0];
    const binWidth = f(f(this.maxVal.data[0] - mn) / bins);
    const cSum = new Float32Array(bins);
    let acc = 0;
    for (let i = 0; i < bins; i++) {
      acc += hist[i];
      cSum[i] = acc;
    }
    const total = f(acc);
    const stepsize = 1e-5;
    let alpha = 0, beta = 1, start = 0, end = bins - 1, normMin = Infinity;
    while (alpha < beta) {
      const nextAlpha = alpha + stepsize, nextBeta = beta - stepsize;
      let l = start, r = end;
      const aT = f(nextAlpha * total), bT = f(nextBeta * total);
      while (l < end && cSum[l] < aT) l++;
      while (r > start && cSum[r] > bT) r--;
      let nextStart = start, nextEnd = end;
      if (l - start > end - r) {
        nextStart = l;
        alpha = nextAlpha;
      } else {
        nextEnd = r;
        beta = nextBeta;
      }
      if (nextStart === start && nextEnd === end) continue;
      const norm = this.quantizationError(nextStart, nextEnd);
      if (norm > normMin) break;
      normMin = norm;
      start = nextStart;
      end = nextEnd;
    }
    return [f(mn + f(binWidth * start)), f(mn + f(binWidth * (end + 1)))];
  }

  /**
   * The scale and zero point of the range the L2 search picks; before the first input, scale 1 and
   * zero point 0, as PyTorch.
   */
  override calculateQparams(): QParams {
    if (!this.hasObserved()) return { scale: Float32Array.of(1), zeroPoint: Int32Array.of(0) };
    const [lo, hi] = this.search();
    const out: QParams = { scale: new Float32Array(1), zeroPoint: new Int32Array(1) };
    qparamsOf(lo, hi, { ...this, customRange: this.customRange }, out, 0);
    return out;
  }

  override config(): LayerConfig<HistogramObserverOptions> {
    return { type: this.typeName, options: { ...this.baseOptions(), bins: this.bins, upsampleRate: this.upsampleRate } };
  }
}

/**
 * PyTorch's `_combine_histograms`: the old histogram upsampled `up` times (each count repeated)
 * and placed at `startIdx` on the new grid of bins·ds fine bins, summed in blocks of ds (the
 * block sums in float64, the previous block's cumulative sum rounded to float32 as PyTorch's
 * float32 buffer rounds it), divided by `up` and added to `fresh`. The fine grid is not built.
 */
function combineHistograms(fresh: Float32Array, old: Float32Array, up: number, ds: number, startIdx: number, bins: number): void {
  const cum = new Float64Array(bins + 1);
  for (let b = 0; b < bins; b++) cum[b + 1] = cum[b] + old[b] * up;
  const len = bins * up;
  const C = (n: number): number => {
    const t = Math.min(Math.max(n - startIdx, 0), len);
    const full = Math.floor(t / up), rem = t - full * up;
    return cum[full] + (rem > 0 ? rem * old[full] : 0);
  };
  let prev = 0;
  for (let i = 0; i < bins; i++) {
    const integral = C((i + 1) * ds);
    fresh[i] = f(fresh[i] + f((integral - prev) / up));
    prev = f(integral);
  }
}
