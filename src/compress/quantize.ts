/**
 * Quantized tensors: int8 or uint8 values with a float32 scale and an int32 zero point, per tensor
 * or per channel along one axis (torch.quantize_per_tensor, torch.quantize_per_channel).
 */
import { ArgumentError, ShapeError, fmtShape } from '../tensor/errors';
import { checkArg, finite, int, oneOf, type Check } from '../tensor/options';
import { describe, fmtPosition, normAxis, sizeOf, stridesOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { TypedBuffer } from '../tensor/typed';
import { nearbyint } from '../tensor/special';

/** The quantized integer types (PyTorch's `torch.qint8` and `torch.quint8`). @category Quantization */
export type QDtype = 'qint8' | 'quint8';

/** How a tensor's quantization parameters are shared (PyTorch's `qscheme` names in camelCase). @category Quantization */
export type QScheme = 'perTensorAffine' | 'perTensorSymmetric' | 'perChannelAffine' | 'perChannelSymmetric';

/** An integer range [quantMin, quantMax]. @category Quantization */
export interface QRange {
  /** The smallest integer. */
  quantMin: number;
  /** The largest integer. */
  quantMax: number;
}

/**
 * The integer range of a quantized dtype: [−128, 127] for qint8, [0, 255] for quint8.
 * @example qRange('qint8').quantMin; // -128
 * @category Quantization
 */
export function qRange(dtype: QDtype): QRange {
  checkArg('qRange', 'dtype', dtype, QDTYPE);
  return dtype === 'qint8' ? { quantMin: -128, quantMax: 127 } : { quantMin: 0, quantMax: 255 };
}

/** @internal */
export const QDTYPE: Check<QDtype> = oneOf(['qint8', 'quint8']);

/**
 * Rounds to the nearest integer, ties to the even one (C's `nearbyint` in the default rounding
 * mode, which PyTorch's quantizers use): 0.5 → 0, 1.5 → 2, 2.5 → 2, −0.5 → −0. NaN and ±Infinity
 * come back unchanged.
 * @example roundHalfEven(2.5); // 2
 * @example roundHalfEven(-1.5); // -2
 * @throws ArgumentError if x is not a number.
 * @category Quantization
 */
export function roundHalfEven(x: number): number {
  if (typeof x !== 'number') throw new ArgumentError(`roundHalfEven: x must be a number, got ${describe(x)}`);
  return nearbyint(x);
}


/**
 * Quantizes one value with PyTorch's rule, in float32 as PyTorch computes it:
 * q = clamp(roundHalfEven(x · (1/scale)) + zeroPoint, quantMin, quantMax), with 1/scale rounded
 * to float32 once (PyTorch's `inv_scale`).
 * @internal
 */
export function quantizeValue(x: number, invScale: number, zeroPoint: number, quantMin: number, quantMax: number): number {
  const q = nearbyint(Math.fround(x * invScale)) + zeroPoint;
  return q < quantMin ? quantMin : q > quantMax ? quantMax : q;
}

/** A float32 `1 / scale`, as PyTorch's `inv_scale = 1.0f / scale`. @internal */
export function invScaleOf(scale: number): number {
  return Math.fround(1 / Math.fround(scale));
}

/**
 * A quantized tensor: integer `data` (an `Int8Array` for qint8, a `Uint8Array` for quint8) with
 * float32 `scale` and int32 `zeroPoint`, one of each for the whole tensor (`axis` null) or one per
 * index along `axis`. The real value of element i is `(data[i] − zeroPoint[c]) · scale[c]`, c
 * being the element's channel. A quantized tensor is a value: it takes no part in autograd (use
 * {@link fakeQuantizePerTensorAffine} to train through quantization) and is made by
 * {@link quantizePerTensor} and {@link quantizePerChannel}.
 *
 * Shapes: data has Π shape elements, row-major; scale and zeroPoint have 1 element, or
 * `shape[axis]`.
 * @example
 * const q = quantizePerTensor(tensor([-1, 0, 0.26, 10]), 0.1, 0, 'qint8');
 * Array.from(q.data); // [-10, 0, 3, 100]
 * q.dequantize().toArray(); // [-1, 0, 0.3, 10]
 * @category Quantization
 */
export class QuantizedTensor {
  /** The dimensions, row-major. */
  readonly shape: readonly number[];
  /** The integer type. */
  readonly dtype: QDtype;
  /** The integers, row-major. */
  readonly data: Int8Array | Uint8Array;
  /** One float32 scale, or one per index along `axis`. */
  readonly scale: Float32Array;
  /** One int32 zero point, or one per index along `axis`. */
  readonly zeroPoint: Int32Array;
  /** The channel axis of a per-channel tensor, null for per tensor. */
  readonly axis: number | null;

  /**
   * Wraps integers and their parameters (not copied). Prefer {@link quantizePerTensor} and
   * {@link quantizePerChannel}; this constructor is for rebuilding a saved tensor and checks that
   * the parts agree.
   */
  constructor(
    shape: readonly number[], dtype: QDtype, data: Int8Array | Uint8Array, scale: Float32Array, zeroPoint: Int32Array,
    axis: number | null = null,
  ) {
    const op = 'QuantizedTensor';
    checkArg(op, 'dtype', dtype, QDTYPE);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ArgumentError(`${op}: shape must be an array of non-negative integers, got ${describe(shape)}`);
    }
    const Want = dtype === 'qint8' ? Int8Array : Uint8Array;
    if (!(data instanceof Want)) throw new ArgumentError(`${op}: data of a ${dtype} tensor must be a ${Want.name}, got ${describe(data)}`);
    if (data.length !== sizeOf(shape)) throw new ShapeError(`${op}: data has ${data.length} elements but shape ${fmtShape(shape)} has ${sizeOf(shape)}`);
    if (!(scale instanceof Float32Array)) throw new ArgumentError(`${op}: scale must be a Float32Array, got ${describe(scale)}`);
    if (!(zeroPoint instanceof Int32Array)) throw new ArgumentError(`${op}: zeroPoint must be an Int32Array, got ${describe(zeroPoint)}`);
    const ax = axis === null ? null : normAxis(checkArg(op, 'axis', axis, int()), shape.length, op);
    const n = ax === null ? 1 : shape[ax];
    if (scale.length !== n || zeroPoint.length !== n) {
      throw new ShapeError(`${op}: ${ax === null ? 'a per-tensor quantization has one' : `axis ${ax} of shape ${fmtShape(shape)} needs ${n}`} scale and zero point, got ${scale.length} and ${zeroPoint.length}`);
    }
    const { quantMin, quantMax } = qRange(dtype);
    for (let c = 0; c < n; c++) {
      if (!(scale[c] > 0) || !Number.isFinite(scale[c])) throw new ArgumentError(`${op}: scale[${c}] must be a positive finite number, got ${describe(scale[c])}`);
      if (zeroPoint[c] < quantMin || zeroPoint[c] > quantMax) {
        throw new ArgumentError(`${op}: zeroPoint[${c}] = ${zeroPoint[c]} is outside ${dtype}'s range [${quantMin}, ${quantMax}]`);
      }
    }
    this.shape = shape.slice();
    this.dtype = dtype;
    this.data = data;
    this.scale = scale;
    this.zeroPoint = zeroPoint;
    this.axis = ax;
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** `'perTensorAffine'` or `'perChannelAffine'` (PyTorch's `qscheme()`). */
  get qscheme(): QScheme {
    return this.axis === null ? 'perTensorAffine' : 'perChannelAffine';
  }

  /**
   * The real values, float32: `(q − zeroPoint) · scale` per element (torch's `dequantize`).
   * @example quantizePerTensor(tensor([0.5, 1]), 0.25, 2, 'quint8').dequantize().toArray(); // [0.5, 1]
   */
  dequantize(): Tensor {
    const out = Tensor.empty(this.shape);
    const o = out.data, q = this.data, s = this.scale, z = this.zeroPoint;
    if (this.axis === null) {
      const sc = s[0], zp = z[0];
      for (let i = 0; i < q.length; i++) o[i] = (q[i] - zp) * sc;
      return out;
    }
    const { inner, n } = channelLayout(this.shape, this.axis);
    for (let i = 0; i < q.length; i++) {
      const c = Math.floor(i / inner) % n;
      o[i] = (q[i] - z[c]) * s[c];
    }
    return out;
  }

  /**
   * The integers as an I8 or U8 {@link TypedBuffer} (PyTorch's `int_repr()`), sharing `data`.
   * @example quantizePerTensor(tensor([1, 2]), 0.5, 0, 'qint8').intRepr().toArray(); // [2, 4]
   */
  intRepr(): TypedBuffer {
    return new TypedBuffer(this.dtype === 'qint8' ? 'I8' : 'U8', this.shape, this.data);
  }
}

/** Elements per step of `axis` (`inner`) and its size (`n`) in a row-major shape. @internal */
export function channelLayout(shape: readonly number[], axis: number): { inner: number; n: number } {
  return { inner: stridesOf(shape)[axis] ?? 1, n: shape[axis] };
}

function checkTensor(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(x)}`);
  const d = x.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      throw new ArgumentError(`${op}: x[${fmtPosition(i, x.shape)}] is ${describe(d[i])}; only finite values can be quantized (x ${fmtShape(x.shape)})`);
    }
  }
  return x;
}

/** A positive scale that float32 can hold, rounded to float32. @internal */
export function checkScale(op: string, name: string, v: unknown): number {
  const s = checkArg(op, name, v, finite);
  const f = Math.fround(s);
  if (!(f > 0) || !Number.isFinite(f)) throw new ArgumentError(`${op}: ${name} must be a positive number that float32 can hold, got ${describe(v)}`);
  return f;
}

function checkZeroPoint(op: string, name: string, v: unknown, dtype: QDtype): number {
  const { quantMin, quantMax } = qRange(dtype);
  return checkArg(op, name, v, int({ min: quantMin, max: quantMax }));
}

/**
 * Quantizes a float tensor with one scale and zero point (torch.quantize_per_tensor):
 * q = clamp(roundHalfEven(x · (1/scale)) + zeroPoint, qmin, qmax), in float32 as PyTorch
 * computes it, ties to even; values past the range saturate.
 * Shapes: x (…) → a {@link QuantizedTensor} of the same shape.
 * @param scale - Step between two integers; positive, rounded to float32.
 * @param zeroPoint - The integer that represents 0; within the dtype's range.
 * @example Array.from(quantizePerTensor(tensor([0.25, 0.75, 100]), 0.5, 0, 'qint8').data); // [0, 2, 127]
 * @throws ArgumentError for a non-tensor x, a NaN or infinite element (named by position), a scale
 * that is not positive, a zero point outside [qmin, qmax] or an unknown dtype.
 * @category Quantization
 */
export function quantizePerTensor(x: Tensor, scale: number, zeroPoint: number, dtype: QDtype): QuantizedTensor {
  const op = 'quantizePerTensor';
  checkArg(op, 'dtype', dtype, QDTYPE);
  checkTensor(op, x);
  const s = checkScale(op, 'scale', scale);
  const zp = checkZeroPoint(op, 'zeroPoint', zeroPoint, dtype);
  const { quantMin, quantMax } = qRange(dtype);
  const inv = invScaleOf(s);
  const q = dtype === 'qint8' ? new Int8Array(x.size) : new Uint8Array(x.size);
  const d = x.data;
  for (let i = 0; i < d.length; i++) q[i] = quantizeValue(d[i], inv, zp, quantMin, quantMax);
  return new QuantizedTensor(x.shape, dtype, q, Float32Array.of(s), Int32Array.of(zp));
}

/** Per-channel parameters from a tensor, a typed array or a number[], one per index along `axis`. @internal */
export function channelValues(op: string, name: string, v: unknown, n: number, axis: number, shape: readonly number[]): ArrayLike<number> {
  const arr: ArrayLike<number> | null = v instanceof Tensor ? v.data
    : Array.isArray(v) || v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array ? v as ArrayLike<number> : null;
  if (arr === null) throw new ArgumentError(`${op}: ${name} must be a Tensor, a typed array or a number[], got ${describe(v)}`);
  if (arr.length !== n) {
    throw new ShapeError(`${op}: ${name} has ${arr.length} entries but axis ${axis} of x ${fmtShape(shape)} has ${n}`);
  }
  return arr;
}

/**
 * Quantizes a float tensor with one scale and zero point per index along `axis`
 * (torch.quantize_per_channel), each channel by the rule of {@link quantizePerTensor}.
 * Shapes: x (…, C, …) with C at `axis`; scales (C); zeroPoints (C) → same shape as x.
 * @example
 * const q = quantizePerChannel(tensor([[1, 2], [1, 2]]), [0.5, 0.25], [0, 1], 0, 'qint8');
 * Array.from(q.data); // [2, 4, 5, 9]
 * @throws ShapeError if scales or zeroPoints do not have `shape[axis]` entries.
 * @throws ArgumentError as {@link quantizePerTensor}, naming the channel.
 * @category Quantization
 */
export function quantizePerChannel(
  x: Tensor, scales: Tensor | ArrayLike<number>, zeroPoints: Tensor | ArrayLike<number>, axis: number, dtype: QDtype,
): QuantizedTensor {
  const op = 'quantizePerChannel';
  checkArg(op, 'dtype', dtype, QDTYPE);
  checkTensor(op, x);
  if (x.ndim === 0) throw new ShapeError(`${op}: x must have at least one axis to quantize per channel, got shape []`);
  const ax = normAxis(checkArg(op, 'axis', axis, int()), x.ndim, op);
  const { inner, n } = channelLayout(x.shape, ax);
  const sIn = channelValues(op, 'scales', scales, n, ax, x.shape);
  const zIn = channelValues(op, 'zeroPoints', zeroPoints, n, ax, x.shape);
  const s = new Float32Array(n), z = new Int32Array(n), inv = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    s[c] = checkScale(op, `scales[${c}]`, sIn[c]);
    z[c] = checkZeroPoint(op, `zeroPoints[${c}]`, zIn[c], dtype);
    inv[c] = invScaleOf(s[c]);
  }
  const { quantMin, quantMax } = qRange(dtype);
  const q = dtype === 'qint8' ? new Int8Array(x.size) : new Uint8Array(x.size);
  const d = x.data;
  for (let i = 0; i < d.length; i++) {
    const c = Math.floor(i / inner) % n;
    q[i] = quantizeValue(d[i], inv[c], z[c], quantMin, quantMax);
  }
  return new QuantizedTensor(x.shape, dtype, q, s, z, ax);
}

/**
 * The real values of a quantized tensor (torch.dequantize); the same as `q.dequantize()`.
 * @example dequantize(quantizePerTensor(tensor([1.3]), 0.5, 0, 'qint8')).item(); // 1.5
 * @throws ArgumentError if q is not a {@link QuantizedTensor}.
 * @category Quantization
 */
export function dequantize(q: QuantizedTensor): Tensor {
  if (!(q instanceof QuantizedTensor)) throw new ArgumentError(`dequantize: q must be a QuantizedTensor, got ${describe(q)}`);
  return q.dequantize();
}
