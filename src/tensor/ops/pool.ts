import { record } from '../autograd';
import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { kernels as K } from '../kernels/backend';
import type { Pool2dParams } from '../kernels/pool';
import { bool, checkArg, int, isPlainObject, pairOf, parseOptions, posInt } from '../options';
import { describe } from '../shape';
import { Tensor } from '../tensor';

/** A size per spatial axis: one number for both, or `[h, w]`. */
export type Size2 = number | readonly [number, number];

/** Options of {@link maxPool2d}. */
export interface MaxPool2dOptions {
  /** Window size. */
  kernelSize: Size2;
  /** Step between windows (default: kernelSize). */
  stride?: Size2;
  /** Implicit −Inf padding on each side (default 0); at most half the kernel. */
  padding?: Size2;
  /** Spacing between the taps of a window (default 1). */
  dilation?: Size2;
}

/** Options of {@link avgPool2d}. */
export interface AvgPool2dOptions {
  /** Window size. */
  kernelSize: Size2;
  /** Step between windows (default: kernelSize). */
  stride?: Size2;
  /** Implicit zero padding on each side (default 0); at most half the kernel. */
  padding?: Size2;
  /** Divide by kH·kW, counting padding as zeros (default true, as PyTorch); false divides by the in-bounds taps. */
  countIncludePad?: boolean;
}

/** The input viewed as (B, C, H, W); a 3-D (C, H, W) input is one unbatched image. */
interface Input4 {
  B: number;
  C: number;
  H: number;
  W: number;
  batched: boolean;
}

function input4(x: Tensor, op: string): Input4 {
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(x)}`);
  const s = x.shape;
  if (s.length !== 3 && s.length !== 4) {
    throw new ShapeError(`${op}: x must be 4-D (B, C, H, W) or 3-D (C, H, W), got ${fmtShape(s)}`);
  }
  const batched = s.length === 4;
  const C = s[s.length - 3], H = s[s.length - 2], W = s[s.length - 1];
  if (C === 0 || H === 0 || W === 0) {
    throw new ShapeError(`${op}: x ${fmtShape(s)} has an empty channel or spatial axis; only the batch axis may be 0`);
  }
  return { B: batched ? s[0] : 1, C, H, W, batched };
}

const POS_PAIR = pairOf(posInt);
const NONNEG_PAIR = pairOf(int({ min: 0 }));
const MAX_SPEC = { kernelSize: POS_PAIR, stride: POS_PAIR, padding: NONNEG_PAIR, dilation: POS_PAIR };
const AVG_SPEC = { kernelSize: POS_PAIR, stride: POS_PAIR, padding: NONNEG_PAIR, countIncludePad: bool };

/**
 * The options of a pooling op from either form: an options object, or PyTorch's positional
 * `(kernelSize, stride, padding, …)` (`maxPool2d(x, 2)`); `names` is the positional order.
 */
function poolArgs(op: string, options: unknown, rest: readonly unknown[], names: readonly string[]): unknown {
  if (typeof options === 'number' || Array.isArray(options)) {
    const args = [options, ...rest];
    if (args.length > names.length) throw new ArgumentError(`${op}: ${args.length} positional arguments; ${op} takes at most ${names.length} (${names.join(', ')})`);
    const o: Record<string, unknown> = {};
    for (let i = 0; i < args.length; i++) if (args[i] !== undefined) o[names[i]] = args[i];
    return o;
  }
  if (rest.some((v) => v !== undefined)) throw new ArgumentError(`${op}: ${describe(rest[0])} was given positionally after an options object; put it in the options`);
  if (!isPlainObject(options)) throw new ArgumentError(`${op}: options must be an object with kernelSize (or the kernel size itself), got ${describe(options)}`);
  return options;
}

function outShape(inp: Input4, OH: number, OW: number): number[] {
  return inp.batched ? [inp.B, inp.C, OH, OW] : [inp.C, OH, OW];
}


function poolAttrs(p: Pool2dParams): Record<string, number[]> {
  return { kernelSize: [p.kH, p.kW], stride: [p.sH, p.sW], padding: [p.pH, p.pW], dilation: [p.dH, p.dW] };
}

function fmtPair(p: readonly [number, number]): string {
  return `[${p[0]}, ${p[1]}]`;
}

/** Validates the window options (already parsed) against x and returns the kernel geometry and output size. */
function geometry(
  x: Tensor, inp: Input4, op: string,
  options: { kernelSize?: [number, number]; stride?: [number, number] | null; padding?: [number, number]; dilation?: [number, number] },
): { p: Pool2dParams; OH: number; OW: number } {
  if (options.kernelSize === undefined) throw new ArgumentError(`${op}: kernelSize is required (x ${fmtShape(x.shape)})`);
  const k = options.kernelSize;
  const s = options.stride ?? k;
  const pad = options.padding ?? [0, 0];
  const d = options.dilation ?? [1, 1];
  if (pad[0] > Math.floor(k[0] / 2) || pad[1] > Math.floor(k[1] / 2)) {
    throw new ArgumentError(`${op}: padding ${fmtPair(pad)} must be at most half of kernelSize ${fmtPair(k)} (x ${fmtShape(x.shape)})`);
  }
  const span: [number, number] = [d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1];
  const padded: [number, number] = [inp.H + 2 * pad[0], inp.W + 2 * pad[1]];
  if (span[0] > padded[0] || span[1] > padded[1]) {
    const kernel = d[0] === 1 && d[1] === 1
      ? `kernelSize ${fmtPair(k)} is`
      : `kernelSize ${fmtPair(k)} with dilation ${fmtPair(d)} spans ${fmtPair(span)},`;
    throw new ShapeError(`${op}: ${kernel} larger than the padded input ${fmtPair(padded)} (x ${fmtShape(x.shape)}, padding ${fmtPair(pad)})`);
  }
  const OH = Math.floor((padded[0] - span[0]) / s[0]) + 1;
  const OW = Math.floor((padded[1] - span[1]) / s[1]) + 1;
  return { p: { kH: k[0], kW: k[1], sH: s[0], sW: s[1], pH: pad[0], pW: pad[1], dH: d[0], dW: d[1] }, OH, OW };
}

/**
 * 2-D max pooling: y[b, c, i, j] = max_{m, n} x[b, c, i·sH − pH + m·dH, j·sW − pW + n·dW] over the
 * kH × kW window (padding is −Inf, so it never wins). Output size OH = ⌊(H + 2pH − dH(kH − 1) − 1)/sH⌋ + 1
 * (floor mode), likewise OW. A NaN in a window makes its output NaN, as PyTorch.
 *
 * Shapes: x (B, C, H, W) → (B, C, OH, OW), or unbatched (C, H, W) → (C, OH, OW).
 *
 * Gradient: dy of each window goes to the input element that was its maximum (saved in forward);
 * for equal maxima, the first in row-major window order gets it, as PyTorch. Overlapping windows
 * that share a maximum accumulate.
 *
 * The options may also be PyTorch's positional arguments: `maxPool2d(x, kernelSize, stride,
 * padding, dilation)`, e.g. `maxPool2d(x, 2)`.
 * @example
 * maxPool2d(arange(16).reshape([1, 1, 4, 4]), { kernelSize: 2 }).tolist(); // [[[[5, 7], [13, 15]]]]
 * @throws ShapeError if x is not 3-D or 4-D, has an empty channel or spatial axis, or the (dilated)
 * kernel is larger than the padded input; ArgumentError on a non-positive kernelSize, stride or
 * dilation, a negative padding, or padding larger than half the kernel.
 * @see {@link avgPool2d}, {@link adaptiveAvgPool2d}
 * @category Convolution
 */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions | Size2, ...rest: (Size2 | undefined)[]): Tensor {
  const inp = input4(x, 'maxPool2d');
  const o = parseOptions('maxPool2d', poolArgs('maxPool2d', options, rest, ['kernelSize', 'stride', 'padding', 'dilation']), MAX_SPEC);
  const { p, OH, OW } = geometry(x, inp, 'maxPool2d', o);
  const { B, C, H, W } = inp;
  const y = Tensor.empty(outShape(inp, OH, OW));
  const argmax = new Int32Array(y.size);
  K.maxPool2dForward(y.data, argmax, x.data, p, B, C, H, W, OH, OW);
  return record('maxPool2d', y, [x], (dy) => {
    if (x.requiresGrad) K.maxPool2dBackward(x.gradBuffer(), dy, argmax, B, C, H, W, OH, OW);
  }, poolAttrs(p));
}

/**
 * 2-D average pooling: y[b, c, i, j] = (1/D) Σ_{m, n} x[b, c, i·sH − pH + m, j·sW − pW + n] over the
 * kH × kW window, with padding as zeros and D = kH·kW when countIncludePad (the default, as
 * PyTorch), else D = the number of in-bounds elements of the window. Output size
 * OH = ⌊(H + 2pH − kH)/sH⌋ + 1 (floor mode), likewise OW.
 *
 * Shapes: x (B, C, H, W) → (B, C, OH, OW), or unbatched (C, H, W) → (C, OH, OW).
 *
 * Gradient: dx[b, c, h, w] = Σ over the windows containing (h, w) of dy / D.
 *
 * The options may also be PyTorch's positional arguments: `avgPool2d(x, kernelSize, stride,
 * padding)`, e.g. `avgPool2d(x, 2)`. It has no dilation (as PyTorch): `{ dilation }` is refused.
 * @example
 * avgPool2d(arange(16).reshape([1, 1, 4, 4]), { kernelSize: 2 }).tolist(); // [[[[2.5, 4.5], [10.5, 12.5]]]]
 * @throws ShapeError if x is not 3-D or 4-D, has an empty channel or spatial axis, or the kernel
 * is larger than the padded input; ArgumentError on a non-positive kernelSize or stride, a
 * negative padding, or padding larger than half the kernel.
 * @see {@link maxPool2d}, {@link adaptiveAvgPool2d}
 * @category Convolution
 */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions | Size2, ...rest: (Size2 | undefined)[]): Tensor {
  const inp = input4(x, 'avgPool2d');
  const o = parseOptions('avgPool2d', poolArgs('avgPool2d', options, rest, ['kernelSize', 'stride', 'padding']), AVG_SPEC);
  const countIncludePad = o.countIncludePad ?? true;
  const { p, OH, OW } = geometry(x, inp, 'avgPool2d', o);
  const { B, C, H, W } = inp;
  const y = Tensor.empty(outShape(inp, OH, OW));
  K.avgPool2dForward(y.data, x.data, p, countIncludePad, B, C, H, W, OH, OW);
  return record('avgPool2d', y, [x], (dy) => {
    if (x.requiresGrad) K.avgPool2dBackward(x.gradBuffer(), dy, p, countIncludePad, B, C, H, W, OH, OW);
  }, { kernelSize: [p.kH, p.kW], stride: [p.sH, p.sW], padding: [p.pH, p.pW], countIncludePad });
}

/**
 * Adaptive 2-D average pooling to a fixed output size: y[b, c, i, j] is the mean of x[b, c] over
 * rows [⌊i·H/OH⌋, ⌈(i+1)·H/OH⌉) and columns [⌊j·W/OW⌋, ⌈(j+1)·W/OW⌉), as PyTorch. Windows
 * overlap when H is not a multiple of OH; OH may exceed H.
 *
 * Shapes: x (B, C, H, W) → (B, C, OH, OW), or unbatched (C, H, W) → (C, OH, OW);
 * outputSize is a number (OH = OW) or [OH, OW].
 *
 * Gradient: each element of window (i, j) gets dy[b, c, i, j] / (window size), summed over the
 * windows that contain it.
 * @example
 * adaptiveAvgPool2d(arange(16).reshape([1, 1, 4, 4]), [2, 1]).tolist(); // [[[[3.5], [11.5]]]]
 * @throws ShapeError if x is not 3-D or 4-D or has an empty channel or spatial axis;
 * ArgumentError if outputSize is not a positive integer or a pair of them.
 * @see {@link avgPool2d}
 * @category Convolution
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: Size2): Tensor {
  const inp = input4(x, 'adaptiveAvgPool2d');
  const [OH, OW] = checkArg('adaptiveAvgPool2d', 'outputSize', outputSize, POS_PAIR);
  const { B, C, H, W } = inp;
  const y = Tensor.empty(outShape(inp, OH, OW));
  K.adaptiveAvgPool2dForward(y.data, x.data, B, C, H, W, OH, OW);
  return record('adaptiveAvgPool2d', y, [x], (dy) => {
    if (x.requiresGrad) K.adaptiveAvgPool2dBackward(x.gradBuffer(), dy, B, C, H, W, OH, OW);
  }, { outputSize: [OH, OW] });
}
