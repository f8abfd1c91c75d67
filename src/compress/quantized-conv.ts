/**
 * The statically quantized Conv2d (torch.ao.nn.quantized.Conv2d, and ConvReLU2d with `relu`):
 * int8 weights, uint8 activations with scales and zero points fixed by calibration, an int32
 * product and PyTorch's requantization of the sums to the output's uint8 grid, all in the
 * `qconv2dForward` kernel (an int8 direct convolution on the wasm backend). Also the pieces the static Linear shares.
 */
import type { LayerConfig } from '../nn/config';
import { Conv2d } from '../nn/layers';
import { Module } from '../nn/module';
import { ArgumentError, ShapeError, fmtShape } from '../tensor/errors';
import { kernels as K } from '../tensor/kernels/backend';
import type { QConvParams } from '../tensor/kernels/int8';
import type { ConvGeom } from '../tensor/kernels/conv';
import type { Size2 } from '../tensor/ops/pool';
import { anyOf, arrayOf, bool, checkArg, instanceOf, nonNegInt, oneOf, parseOptions, posInt, type Check } from '../tensor/options';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { TypedBuffer } from '../tensor/typed';
import { ObserverBase, PerChannelMinMaxObserver } from './observers';
import { checkScale, invScaleOf } from './quantize';
import { nearbyint } from '../tensor/special';

const f = Math.fround;

/**
 * The quantization parameters of a static layer's activations: the uint8 grid its float input is
 * quantized to, and the grid its output is requantized to (PyTorch's `scale` and `zero_point`).
 * @category Quantization
 */
export interface StaticActivationParams {
  /** Scale of the input's uint8 grid. */
  inputScale: number;
  /** Zero point of the input's uint8 grid, in [0, 255]. */
  inputZeroPoint: number;
  /** Scale of the output's uint8 grid. */
  scale: number;
  /** Zero point of the output's uint8 grid, in [0, 255]. */
  zeroPoint: number;
}

/** Integer weights' parameters: one scale and zero point, or one per output channel, and the clamp range. @internal */
export interface WeightParams {
  scale: Float32Array;
  zeroPoint: Int32Array;
  quantMin: number;
  quantMax: number;
}

const OBSERVER: Check<ObserverBase> = (v, name, op) => {
  if (!(v instanceof ObserverBase)) throw new ArgumentError(`${op}: ${name} must be an observer, got ${describe(v)}`);
  return v;
};

/** Checks the activation parameters (scales positive float32, zero points within uint8). @internal */
export function checkActivationParams(op: string, p: unknown): StaticActivationParams {
  if (p === null || typeof p !== 'object') throw new ArgumentError(`${op}: the activation parameters must be an object { inputScale, inputZeroPoint, scale, zeroPoint }, got ${describe(p)}`);
  const o = parseOptions(op, p, { inputScale: (v, n, o2) => checkScale(o2, n, v), scale: (v, n, o2) => checkScale(o2, n, v), inputZeroPoint: nonNegInt, zeroPoint: nonNegInt });
  for (const k of ['inputScale', 'inputZeroPoint', 'scale', 'zeroPoint'] as const) {
    if (o[k] === undefined) throw new ArgumentError(`${op}: the activation parameters need ${k}, got undefined`);
  }
  for (const k of ['inputZeroPoint', 'zeroPoint'] as const) {
    if (o[k]! > 255) throw new ArgumentError(`${op}: ${k} must be an integer in [0, 255] (quint8), got ${o[k]}`);
  }
  return o as StaticActivationParams;
}

/** Refuses a float weight holding NaN or ±Infinity. @internal */
export function checkFiniteWeight(op: string, w: Tensor): void {
  for (let i = 0; i < w.size; i++) {
    if (!Number.isFinite(w.data[i])) throw new ArgumentError(`${op}: the weight ${fmtShape(w.shape)} holds ${describe(w.data[i])} at element ${i}; only finite weights can be quantized`);
  }
}

/** Quantizes a float weight whose rows are output channels into `q` with one or OC parameter pairs. @internal */
export function quantizeWeightRows(q: Int8Array, w: Float32Array, OC: number, Kc: number, p: WeightParams): void {
  const nq = p.scale.length;
  for (let o = 0; o < OC; o++) {
    const c = nq > 1 ? o : 0;
    const inv = invScaleOf(p.scale[c]), zp = p.zeroPoint[c];
    for (let k = 0; k < Kc; k++) {
      const v = nearbyint(f(w[o * Kc + k] * inv)) + zp;
      q[o * Kc + k] = v < p.quantMin ? p.quantMin : v > p.quantMax ? p.quantMax : v;
    }
  }
}

/** The weight's parameters from an observer run over the weight (PyTorch's `from_float`). @internal */
export function observeWeight(op: string, obs: ObserverBase, w: Tensor): WeightParams {
  if (obs.dtype !== 'qint8') throw new ArgumentError(`${op}: the weight observer must be for qint8 (the kernels multiply uint8 by int8), got ${obs.dtype}`);
  obs.forward(w);
  const { scale, zeroPoint } = obs.calculateQparams();
  if (scale.length !== 1 && scale.length !== w.shape[0]) {
    throw new ArgumentError(`${op}: the weight observer gave ${scale.length} scales for a weight ${fmtShape(w.shape)}; observe per tensor or along axis 0 (chAxis 0)`);
  }
  return { scale, zeroPoint, quantMin: obs.quantMin, quantMax: obs.quantMax };
}

/**
 * What a static layer derives from its buffers before it multiplies, cached until new values are
 * loaded: per output channel, the requantization multiplier sₓ·s_w/s_y (float32, as PyTorch's
 * qnnpack), the weight zero point and the constant part of Σ(qx − zx)(qw − zw) + bias_q.
 * @internal
 */
export interface Requant {
  mult: Float32Array;
  zw: Float64Array;
  k0: Float64Array;
  anyZw: boolean;
  inv: number;
  zx: number;
  so: number;
  zo: number;
  lo: number;
  /** The same terms as the kernel `qconv2dForward` takes them. */
  params: QConvParams;
}

/** Reads and checks a static layer's scalar buffers, then builds its {@link Requant}. @internal */
export function buildRequant(
  op: string, w: Int8Array, OC: number, Kc: number, ws: Float32Array, wz: Int32Array, bias: Float32Array | null,
  inScale: Tensor, inZp: TypedBuffer, outScale: Tensor, outZp: TypedBuffer, relu: boolean,
): Requant {
  const sx = checkScale(op, 'inputScale', inScale.data[0]), so = checkScale(op, 'scale', outScale.data[0]);
  const zx = inZp.data[0], zo = outZp.data[0];
  if (!(zx >= 0 && zx <= 255)) throw new ArgumentError(`${op}: inputZeroPoint must lie in [0, 255], got ${zx}`);
  if (!(zo >= 0 && zo <= 255)) throw new ArgumentError(`${op}: zeroPoint must lie in [0, 255], got ${zo}`);
  const nq = ws.length;
  const mult = new Float32Array(OC), zw = new Float64Array(OC), k0 = new Float64Array(OC);
  const invSo = f(1 / so);
  let anyZw = false;
  for (let o = 0; o < OC; o++) {
    const c = nq > 1 ? o : 0;
    const sw = checkScale(op, `weightScale[${c}]`, ws[c]);
    const z = wz[c];
    if (!(z >= -128 && z <= 127)) throw new ArgumentError(`${op}: weightZeroPoint[${c}] must lie in [-128, 127], got ${z}`);
    // PyTorch quantizes the float bias to int32 with scale sₓ·s_w (QuantizeBias) and requantizes
    // with (s_w·sₓ)·(1/s_y) in float32 (generate_requantization_scales).
    const sb = f(sx * sw);
    const bq = bias === null ? 0 : nearbyint(f(bias[o] * f(1 / sb)));
    let colSum = 0;
    for (let k = 0; k < Kc; k++) colSum += w[o * Kc + k];
    mult[o] = f(f(sw * sx) * invSo);
    zw[o] = z;
    if (z !== 0) anyZw = true;
    k0[o] = bq - zx * colSum + Kc * zx * z;
  }
  const inv = invScaleOf(sx), lo = relu ? zo : 0;
  return { mult, zw, k0, anyZw, inv, zx, so, zo, lo, params: { inv, zx, mult, k0, zw: anyZw ? zw : null, zo, lo, so } };
}

/** Quantizes float activations to uint8 on the input grid (clamped to [0, 255]), refusing NaN and ±Infinity. @internal */
export function quantizeActivations(op: string, x: Tensor, q: Uint8Array, inv: number, zp: number): void {
  const d = x.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (!Number.isFinite(v)) throw new ArgumentError(`${op}: input ${fmtShape(x.shape)} holds ${describe(v)} at element ${i}; a quantized layer needs finite inputs`);
    const y = f(v * inv);
    let r = Math.round(y);
    if (r - y === 0.5 && r % 2 !== 0) r -= 1;
    const t = r + zp;
    q[i] = t < 0 ? 0 : t > 255 ? 255 : t;
  }
}

/** One requantized output: (clamp(roundHalfEven(float32(acc)·mult) + zo, lo, 255) − zo)·so. @internal */
export function requantValue(v: number, mult: number, r: Requant): number {
  const y = f(f(v) * mult);
  let q = Math.round(y);
  if (q - y === 0.5 && q % 2 !== 0) q -= 1;
  q += r.zo;
  q = q < r.lo ? r.lo : q > 255 ? 255 : q;
  return (q - r.zo) * r.so;
}

/** Σ of each row of a uint8 matrix (for weights with a nonzero zero point). @internal */
export function rowSumsU8(rows: Uint8Array, M: number, Kc: number): Float64Array {
  const s = new Float64Array(M);
  for (let m = 0; m < M; m++) {
    let t = 0;
    for (let k = 0; k < Kc; k++) t += rows[m * Kc + k];
    s[m] = t;
  }
  return s;
}

/** A convolution's shape and geometry (the fields of a Conv2d's `config().options` that define it). @category Quantization */
export type ConvGeometry = Pick<QuantizedConv2dConfig, 'inChannels' | 'outChannels' | 'kernelSize' | 'stride' | 'padding' | 'dilation' | 'groups'>;

/** What {@link QuantizedConv2d}'s constructor takes back: its `config().options`. @category Quantization */
export type QuantizedConv2dConfig = {
  /** Channels C of the input image. */
  inChannels: number;
  /** Channels produced. */
  outChannels: number;
  /** Kernel height and width: one number or [KH, KW]. */
  kernelSize: Size2;
  /** Step between receptive fields (default 1). */
  stride?: Size2;
  /** Padding on each side, `'same'` or `'valid'` (default 0); padded taps read the input's zero point. */
  padding?: Size2 | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2;
  /** Channel groups (default 1). */
  groups?: number;
  /** Whether a float bias is added (default true). */
  bias?: boolean;
  /** One weight scale per output channel (default true, PyTorch's x86/onednn static default). */
  perChannel?: boolean;
  /** ReLU fused into the output (PyTorch's ConvReLU2d): the output is clamped at its zero point. */
  relu?: boolean;
};

const size2: Check<Size2> = anyOf('a positive integer or a pair [h, w] of them', posInt, arrayOf(posInt, { min: 2, max: 2 }) as unknown as Check<Size2>);
const pad2: Check<Size2> = anyOf('an integer ≥ 0 or a pair [h, w] of them', nonNegInt, arrayOf(nonNegInt, { min: 2, max: 2 }) as unknown as Check<Size2>);
const CONV_SPEC = {
  inChannels: posInt, outChannels: posInt, kernelSize: size2, stride: size2,
  padding: anyOf<Size2 | 'same' | 'valid'>("an integer ≥ 0, a pair of them, 'same' or 'valid'", pad2, oneOf<'same' | 'valid'>(['same', 'valid'])),
  dilation: size2, groups: posInt, bias: bool, perChannel: bool, relu: bool,
};

const pairOf2 = (v: Size2): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/**
 * A 2-D convolution with int8 weights over uint8 activations, with the activation grids fixed by
 * calibration (PyTorch's static quantized Conv2d; ConvReLU2d with `relu`). Forward takes and
 * returns float32 tensors: the input is quantized to its grid, q = clamp(roundHalfEven(x/sₓ) + zₓ,
 * 0, 255); the product Σ (qx − zₓ)(q_w − z_w) runs in int32 in the `qconv2dForward` kernel
 * (padding reads zₓ, the integer for 0), plus the bias quantized to int32 at scale
 * sₓ·s_w; the sum is requantized to the output grid, q_y = clamp(roundHalfEven(acc·sₓs_w/s_y) + z_y,
 * 0 (z_y with relu), 255), and returned dequantized, (q_y − z_y)·s_y — so every output value lies
 * on the uint8 grid PyTorch's quantized tensor would hold. Build it with
 * {@link QuantizedConv2d.fromFloat} or `prepare` → calibration → `convert`; it is for inference.
 *
 * Shapes: x (B, inChannels, H, W) or (inChannels, H, W) → (B, outChannels, OH, OW) as Conv2d.
 * Buffers: `weight` I8 [OC, C / groups, KH, KW], `weightScale` [1] or [OC], `weightZeroPoint` I32,
 * `bias` [OC] or null, `inputScale` [1], `inputZeroPoint` I32 [1], `scale` [1], `zeroPoint` I32 [1].
 * @example
 * const conv = new Conv2d(1, 2, 3, { padding: 1, rng: new Generator(0) });
 * const q = QuantizedConv2d.fromFloat(conv, { inputScale: 0.01, inputZeroPoint: 128, scale: 0.02, zeroPoint: 100 });
 * q.forward(zeros([1, 1, 4, 4])).shape; // [1, 2, 4, 4]
 * q.weight.dtype; // 'I8'
 * @category Quantization
 */
export class QuantizedConv2d extends Module {
  /** The int8 kernel, [outChannels, inChannels / groups, KH, KW]. */
  readonly weight: TypedBuffer;
  /** float32 weight scale(s): [1], or [outChannels] per channel. */
  readonly weightScale: Tensor;
  /** Weight zero point(s), I32 (0 for symmetric weights). */
  readonly weightZeroPoint: TypedBuffer;
  /** The float bias, [outChannels], or null. */
  readonly bias: Tensor | null;
  /** Scale of the input grid, [1]. */
  readonly inputScale: Tensor;
  /** Zero point of the input grid, I32 [1]. */
  readonly inputZeroPoint: TypedBuffer;
  /** Scale of the output grid, [1] (PyTorch's `scale`). */
  readonly scale: Tensor;
  /** Zero point of the output grid, I32 [1] (PyTorch's `zero_point`). */
  readonly zeroPoint: TypedBuffer;
  /** Channels C of the input. */
  readonly inChannels: number;
  /** Channels produced. */
  readonly outChannels: number;
  /** Kernel height and width, as given. */
  readonly kernelSize: Size2;
  /** Per-output-channel weight scales. */
  readonly perChannel: boolean;
  /** Whether ReLU is fused into the output. */
  readonly relu: boolean;
  private readonly opts: { stride: Size2; padding: Size2 | 'same' | 'valid'; dilation: Size2; groups: number };
  private requant: Requant | null = null;

  /**
   * Allocates a layer with zero weights from its config (`q.config().options`), for loading a
   * saved one; {@link QuantizedConv2d.fromFloat} builds one from a trained Conv2d.
   * @throws ArgumentError for a bad option, or groups that do not divide both channel counts.
   */
  constructor(config: QuantizedConv2dConfig) {
    super();
    const op = 'QuantizedConv2d';
    const o = parseOptions(op, config, CONV_SPEC);
    for (const k of ['inChannels', 'outChannels', 'kernelSize'] as const) if (o[k] === undefined) CONV_SPEC[k](undefined, k, op);
    const C = o.inChannels!, OC = o.outChannels!, groups = o.groups ?? 1;
    if (C % groups !== 0 || OC % groups !== 0) throw new ArgumentError(`${op}: groups ${groups} must divide inChannels ${C} and outChannels ${OC}`);
    const [KH, KW] = pairOf2(o.kernelSize!);
    this.inChannels = C;
    this.outChannels = OC;
    this.kernelSize = o.kernelSize!;
    this.perChannel = o.perChannel ?? true;
    this.relu = o.relu ?? false;
    this.opts = { stride: o.stride ?? 1, padding: o.padding ?? 0, dilation: o.dilation ?? 1, groups };
    const nq = this.perChannel ? OC : 1;
    this.weight = new TypedBuffer('I8', [OC, C / groups, KH, KW]);
    this.weightScale = Tensor.empty([nq]);
    this.weightScale.data.fill(1);
    this.weightZeroPoint = new TypedBuffer('I32', [nq]);
    this.bias = (o.bias ?? true) ? Tensor.empty([OC]) : null;
    this.bias?.data.fill(0);
    this.inputScale = Tensor.empty([1]);
    this.inputScale.data[0] = 1;
    this.inputZeroPoint = new TypedBuffer('I32', [1]);
    this.scale = Tensor.empty([1]);
    this.scale.data[0] = 1;
    this.zeroPoint = new TypedBuffer('I32', [1]);
  }

  /**
   * Quantizes a trained Conv2d with given activation grids: the weight through `weightObserver`
   * (default PyTorch's `default_per_channel_weight_observer`, symmetric qint8 per output channel;
   * pass a `MinMaxObserver({ dtype: 'qint8', qscheme: 'perTensorSymmetric' })` for one scale,
   * qnnpack's default), the bias kept in float.
   * @example QuantizedConv2d.fromFloat(new Conv2d(2, 3, 1), { inputScale: 0.1, inputZeroPoint: 0, scale: 0.1, zeroPoint: 0 }).weightScale.shape; // [3]
   * @throws ArgumentError if `conv` is not a Conv2d, its weight holds NaN or ±Infinity, the
   * parameters are bad, or the observer is not a qint8 one.
   */
  static fromFloat(conv: Conv2d, params: StaticActivationParams, options: { weightObserver?: ObserverBase; relu?: boolean } = {}): QuantizedConv2d {
    const op = 'QuantizedConv2d.fromFloat';
    checkArg(op, 'conv', conv, instanceOf(Conv2d));
    const o = parseOptions(op, options, { weightObserver: OBSERVER, relu: bool });
    checkFiniteWeight(op, conv.weight);
    const wp = observeWeight(op, o.weightObserver ?? new PerChannelMinMaxObserver({ dtype: 'qint8', qscheme: 'perChannelSymmetric', chAxis: 0 }), conv.weight);
    return QuantizedConv2d.fromFloatWith(conv.config().options as ConvGeometry, conv.weight, conv.bias, wp, params, o.relu ?? false);
  }

  /**
   * Builds the layer from a convolution's geometry (a Conv2d's `config().options`), a float
   * weight and bias (a folded or QAT-trained one) and the integer weight parameters. @internal
   */
  static fromFloatWith(geometry: ConvGeometry, weight: Tensor, bias: Tensor | null, wp: WeightParams, params: StaticActivationParams, relu: boolean): QuantizedConv2d {
    const op = 'QuantizedConv2d.fromFloat';
    const act = checkActivationParams(op, params);
    checkFiniteWeight(op, weight);
    const { inChannels, outChannels, kernelSize, stride, padding, dilation, groups } = geometry;
    const q = new QuantizedConv2d({
      inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias: bias !== null, perChannel: wp.scale.length > 1, relu,
    });
    if (weight.size !== q.weight.size) throw new ShapeError(`${op}: weight ${fmtShape(weight.shape)} does not match the layer's ${fmtShape(q.weight.shape)}`);
    q.weightScale.data.set(wp.scale);
    q.weightZeroPoint.data.set(wp.zeroPoint);
    quantizeWeightRows(q.weight.data as Int8Array, weight.data, outChannels, weight.size / outChannels, wp);
    if (bias !== null) q.bias!.data.set(bias.data);
    q.inputScale.data[0] = act.inputScale;
    q.inputZeroPoint.data[0] = act.inputZeroPoint;
    q.scale.data[0] = act.scale;
    q.zeroPoint.data[0] = act.zeroPoint;
    return q;
  }

  /** The dequantized kernel as float32 [OC, C / groups, KH, KW]. */
  dequantizedWeight(): Tensor {
    const out = Tensor.empty(this.weight.shape);
    const Kc = this.weight.size / this.outChannels, w = this.weight.data, s = this.weightScale.data, z = this.weightZeroPoint.data;
    for (let i = 0; i < out.size; i++) {
      const c = this.perChannel ? Math.floor(i / Kc) : 0;
      out.data[i] = (w[i] - z[c]) * s[c];
    }
    return out;
  }

  /** The convolution's geometry for an input, checked as Conv2d checks it. */
  private geometry(x: Tensor): { B: number; geom: ConvGeom; unbatched: boolean } {
    const op = 'QuantizedConv2d';
    if (x.ndim !== 4 && x.ndim !== 3) throw new ShapeError(`${op}: input ${fmtShape(x.shape)} must be [B, C, H, W] or unbatched [C, H, W]`);
    const unbatched = x.ndim === 3;
    const [B, C, H, W] = unbatched ? [1, ...x.shape] : x.shape;
    if (C !== this.inChannels) throw new ShapeError(`${op}: input ${fmtShape(x.shape)} has ${C} channels but the layer (weight ${fmtShape(this.weight.shape)}) expects ${this.inChannels}`);
    const [KH, KW] = pairOf2(this.kernelSize), [SH, SW] = pairOf2(this.opts.stride), [DH, DW] = pairOf2(this.opts.dilation);
    const ekh = DH * (KH - 1) + 1, ekw = DW * (KW - 1) + 1;
    let PH: number, PW: number, OH: number, OW: number;
    const pad = this.opts.padding;
    if (pad === 'same') {
      if (SH !== 1 || SW !== 1) throw new ArgumentError(`${op}: padding 'same' needs stride 1, got stride [${SH}, ${SW}]`);
      PH = Math.floor((ekh - 1) / 2);
      PW = Math.floor((ekw - 1) / 2);
      OH = H;
      OW = W;
    } else {
      [PH, PW] = pad === 'valid' ? [0, 0] : pairOf2(pad);
      if (H + 2 * PH < ekh || W + 2 * PW < ekw) {
        throw new ShapeError(`${op}: kernel [${KH}, ${KW}] (dilated [${ekh}, ${ekw}]) is larger than the padded input [${H + 2 * PH}, ${W + 2 * PW}] (input ${fmtShape(x.shape)}, padding [${PH}, ${PW}])`);
      }
      OH = Math.floor((H + 2 * PH - ekh) / SH) + 1;
      OW = Math.floor((W + 2 * PW - ekw) / SW) + 1;
    }
    return { B, unbatched, geom: { C: C / this.opts.groups, H, W, KH, KW, OH, OW, SH, SW, PH, PW, DH, DW } };
  }

  private prepared(): Requant {
    if (this.requant === null) {
      this.requant = buildRequant('QuantizedConv2d', this.weight.data as Int8Array, this.outChannels, this.weight.size / this.outChannels,
        this.weightScale.data, this.weightZeroPoint.data as Int32Array, this.bias?.data ?? null,
        this.inputScale, this.inputZeroPoint, this.scale, this.zeroPoint, this.relu);
    }
    return this.requant;
  }

  forward(x: Tensor): Tensor {
    const op = 'QuantizedConv2d';
    if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: input must be a Tensor, got ${describe(x)}`);
    const { B, geom, unbatched } = this.geometry(x);
    const r = this.prepared();
    const OC = this.outChannels, G = this.opts.groups, { OH, OW } = geom;
    const out = Tensor.empty(unbatched ? [OC, OH, OW] : [B, OC, OH, OW], op);
    if (out.size === 0) return out;
    const bad = K.qconv2dForward(out.data, x.data, B, this.weight.data as Int8Array, geom, G, OC, r.params);
    if (bad >= 0) throw new ArgumentError(`${op}: input ${fmtShape(x.shape)} holds ${describe(x.data[bad])} at element ${bad}; a quantized layer needs finite inputs`);
    return out;
  }

  /** Drops the cached requantization terms when new values are loaded. @internal */
  protected override stateLoaded(): void {
    this.requant = null;
  }

  override config(): LayerConfig<QuantizedConv2dConfig> {
    return {
      type: 'QuantizedConv2d',
      options: {
        inChannels: this.inChannels, outChannels: this.outChannels, kernelSize: this.kernelSize, ...this.opts,
        bias: this.bias !== null, perChannel: this.perChannel, relu: this.relu,
      },
    };
  }
}
