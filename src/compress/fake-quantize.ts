/**
 * Fake quantization: quantize and dequantize in one differentiable float op, so a network can train
 * with the rounding it will meet once quantized (torch.fake_quantize_per_tensor_affine and
 * torch.fake_quantize_per_channel_affine). The backward is the straight-through estimator.
 */
import { record } from '../tensor/autograd';
import { ArgumentError, ShapeError } from '../tensor/errors';
import { checkArg, int } from '../tensor/options';
import { describe, normAxis } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { channelLayout, channelValues, checkScale, invScaleOf } from './quantize';
import { nearbyint } from '../tensor/special';

function checkRange(op: string, quantMin: unknown, quantMax: unknown): [number, number] {
  const lo = checkArg(op, 'quantMin', quantMin, int());
  const hi = checkArg(op, 'quantMax', quantMax, int());
  if (lo > hi) throw new ArgumentError(`${op}: quantMin ${lo} must not exceed quantMax ${hi}`);
  return [lo, hi];
}

/**
 * One element: y = (clamp(roundHalfEven(x·(1/s)) + z, lo, hi) − z)·s, and whether the unclamped
 * integer lay inside [lo, hi] (the straight-through estimator's mask).
 */
function fakeQuant(
  x: Float32Array, y: Float32Array, mask: Uint8Array, i: number, scale: number, inv: number, zp: number, lo: number, hi: number,
): void {
  const qf = zp + nearbyint(Math.fround(x[i] * inv));
  const q = qf < lo ? lo : qf > hi ? hi : qf;
  y[i] = (q - zp) * scale;
  mask[i] = lo <= qf && qf <= hi ? 1 : 0;
}

/**
 * Quantizes and dequantizes x with one scale and zero point, in float
 * (torch.fake_quantize_per_tensor_affine): y = (clamp(roundHalfEven(x·(1/scale)) + zeroPoint,
 * quantMin, quantMax) − zeroPoint)·scale. Any integer range works (4-bit: [−8, 7] or [0, 15]).
 * Gradient: the straight-through estimator, dx = dy where the unclamped integer lies within
 * [quantMin, quantMax], 0 where it was clamped; NaN inputs give NaN and no gradient.
 * Shapes: x (…) → y (…).
 * @example fakeQuantizePerTensorAffine(tensor([0.26, 9]), 0.1, 0, -8, 7).toArray(); // [0.3, 0.7]
 * @throws ArgumentError for a non-tensor x, a scale that is not positive, or a range with
 * quantMin > quantMax.
 * @category Quantization
 */
export function fakeQuantizePerTensorAffine(x: Tensor, scale: number, zeroPoint: number, quantMin: number, quantMax: number): Tensor {
  const op = 'fakeQuantizePerTensorAffine';
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(x)}`);
  const s = checkScale(op, 'scale', scale);
  const zp = checkArg(op, 'zeroPoint', zeroPoint, int());
  const [lo, hi] = checkRange(op, quantMin, quantMax);
  if (zp < lo || zp > hi) throw new ArgumentError(`${op}: zeroPoint ${zp} must lie in [quantMin, quantMax] = [${lo}, ${hi}]`);
  const inv = invScaleOf(s);
  const out = Tensor.empty(x.shape);
  const mask = new Uint8Array(x.size);
  for (let i = 0; i < x.size; i++) fakeQuant(x.data, out.data, mask, i, s, inv, zp, lo, hi);
  return record(op, out, [x], (dy) => passThrough(x, dy, mask), { scale: s, zeroPoint: zp, quantMin: lo, quantMax: hi });
}

/**
 * {@link fakeQuantizePerTensorAffine} with one scale and zero point per index along `axis`
 * (torch.fake_quantize_per_channel_affine), the form QAT uses for weights.
 * Shapes: x (…, C, …) with C at `axis`; scales (C); zeroPoints (C) → y like x.
 * Gradient: the straight-through estimator per element, as the per-tensor form.
 * @example fakeQuantizePerChannelAffine(tensor([[1, 1], [1, 1]]), [0.3, 0.5], [0, 0], 0, -8, 7).toArray(); // [0.9, 0.9, 1, 1]
 * @throws ShapeError if scales or zeroPoints do not have `shape[axis]` entries.
 * @throws ArgumentError as the per-tensor form, naming the channel.
 * @category Quantization
 */
export function fakeQuantizePerChannelAffine(
  x: Tensor, scales: Tensor | ArrayLike<number>, zeroPoints: Tensor | ArrayLike<number>, axis: number, quantMin: number, quantMax: number,
): Tensor {
  const op = 'fakeQuantizePerChannelAffine';
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(x)}`);
  if (x.ndim === 0) throw new ShapeError(`${op}: x must have at least one axis, got shape []`);
  const ax = normAxis(checkArg(op, 'axis', axis, int()), x.ndim, op);
  const [lo, hi] = checkRange(op, quantMin, quantMax);
  const { inner, n } = channelLayout(x.shape, ax);
  const sIn = channelValues(op, 'scales', scales, n, ax, x.shape);
  const zIn = channelValues(op, 'zeroPoints', zeroPoints, n, ax, x.shape);
  const s = new Float32Array(n), inv = new Float32Array(n), z = new Int32Array(n);
  for (let c = 0; c < n; c++) {
    s[c] = checkScale(op, `scales[${c}]`, sIn[c]);
    inv[c] = invScaleOf(s[c]);
    z[c] = checkArg(op, `zeroPoints[${c}]`, zIn[c], int());
    if (z[c] < lo || z[c] > hi) throw new ArgumentError(`${op}: zeroPoints[${c}] = ${z[c]} must lie in [quantMin, quantMax] = [${lo}, ${hi}]`);
  }
  const out = Tensor.empty(x.shape);
  const mask = new Uint8Array(x.size);
  for (let i = 0; i < x.size; i++) {
    const c = Math.floor(i / inner) % n;
    fakeQuant(x.data, out.data, mask, i, s[c], inv[c], z[c], lo, hi);
  }
  return record(op, out, [x], (dy) => passThrough(x, dy, mask), { axis: ax, quantMin: lo, quantMax: hi });
}

/** The straight-through estimator: dx += dy where the mask is set. */
function passThrough(x: Tensor, dy: Float32Array, mask: Uint8Array): void {
  if (!x.requiresGrad) return;
  const g = x.gradBuffer();
  for (let i = 0; i < g.length; i++) if (mask[i] !== 0) g[i] += dy[i];
}
