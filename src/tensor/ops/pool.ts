import { record } from '../autograd';
import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { kernels as K } from '../kernels/backend';
import type { Pool2dParams } from '../kernels/pool';
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

function checkOptions(options: unknown, x: Tensor, op: string): void {
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(`${op}: options must be an object with kernelSize, got ${describe(options)} (x ${fmtShape(x.shape)})`);
  }
}

function outShape(inp: Input4, OH: number, OW: number): number[] {
  return inp.batched ? [inp.B, inp.C, OH, OW] : [inp.C, OH, OW];
}

/** Reads a number-or-pair option as [h, w] of integers ≥ min. */
function pair(v: unknown, op: string, arg: string, min: number, x: Tensor): [number, number] {
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= min;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  const what = min === 0 ? 'non-negative' : 'positive';
  const got = Array.isArray(v) ? `[${v.map(describe).join(', ')}]` : describe(v);
  throw new ArgumentError(`${op}: ${arg} must be a ${what} integer or a pair [h, w] of them, got ${got} (x ${fmtShape(x.shape)})`);
}

function fmtPair(p: readonly [number, number]): string {
  return `[${p[0]}, ${p[1]}]`;
}

/** Validates the window options against x and returns the kernel geometry and output size. */
function geometry(
  x: Tensor, inp: Input4, op: string,
  options: { kernelSize: Size2; stride?: Size2; padding?: Size2; dilation?: Size2 },
): { p: Pool2dParams; OH: number; OW: number } {
  const k = pair(options.kernelSize, op, 'kernelSize', 1, x);
  const s = options.stride === undefined || options.stride === null ? k : pair(options.stride, op, 'stride', 1, x);
  const pad = pair(options.padding ?? 0, op, 'padding', 0, x);
  const d = pair(options.dilation ?? 1, op, 'dilation', 1, x);
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
 * @example
 * maxPool2d(arange(16).reshape([1, 1, 4, 4]), { kernelSize: 2 }).tolist(); // [[[[5, 7], [13, 15]]]]
 * @throws ShapeError if x is not 3-D or 4-D, has an empty channel or spatial axis, or the (dilated)
 * kernel is larger than the padded input; ArgumentError on a non-positive kernelSize, stride or
 * dilation, a negative padding, or padding larger than half the kernel.
 * @see {@link avgPool2d}, {@link adaptiveAvgPool2d}
 * @category Convolution
 */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor {
  const inp = input4(x, 'maxPool2d');
  checkOptions(options, x, 'maxPool2d');
  const { p, OH, OW } = geometry(x, inp, 'maxPool2d', options);
  const { B, C, H, W } = inp;
  const y = Tensor.empty(outShape(inp, OH, OW));
  const argmax = new Int32Array(y.size);
  K.maxPool2dForward(y.data, argmax, x.data, p, B, C, H, W, OH, OW);
  return record('maxPool2d', y, [x], (dy) => {
    if (x.requiresGrad) K.maxPool2dBackward(x.gradBuffer(), dy, argmax, B, C, H, W, OH, OW);
  });
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
 * @example
 * avgPool2d(arange(16).reshape([1, 1, 4, 4]), { kernelSize: 2 }).tolist(); // [[[[2.5, 4.5], [10.5, 12.5]]]]
 * @throws ShapeError if x is not 3-D or 4-D, has an empty channel or spatial axis, or the kernel
 * is larger than the padded input; ArgumentError on a non-positive kernelSize or stride, a
 * negative padding, or padding larger than half the kernel.
 * @see {@link maxPool2d}, {@link adaptiveAvgPool2d}
 * @category Convolution
 */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  const inp = input4(x, 'avgPool2d');
  checkOptions(options, x, 'avgPool2d');
  const { kernelSize, stride, padding, countIncludePad = true } = options;
  // avgPool2d has no dilation (as PyTorch), so a stray one in options is not passed on.
  const { p, OH, OW } = geometry(x, inp, 'avgPool2d', { kernelSize, stride, padding });
  if (typeof countIncludePad !== 'boolean') {
    throw new ArgumentError(`avgPool2d: countIncludePad must be a boolean, got ${describe(countIncludePad)} (x ${fmtShape(x.shape)})`);
  }
  const { B, C, H, W } = inp;
  const y = Tensor.empty(outShape(inp, OH, OW));
  K.avgPool2dForward(y.data, x.data, p, countIncludePad, B, C, H, W, OH, OW);
  return record('avgPool2d', y, [x], (dy) => {
    if (x.requiresGrad) K.avgPool2dBackward(x.gradBuffer(), dy, p, countIncludePad, B, C, H, W, OH, OW);
  });
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
  const [OH, OW] = pair(outputSize, 'adaptiveAvgPool2d', 'outputSize', 1, x);
  const { B, C, H, W } = inp;
  const y = Tensor.empty(outShape(inp, OH, OW));
  K.adaptiveAvgPool2dForward(y.data, x.data, B, C, H, W, OH, OW);
  return record('adaptiveAvgPool2d', y, [x], (dy) => {
    if (x.requiresGrad) K.adaptiveAvgPool2dBackward(x.gradBuffer(), dy, B, C, H, W, OH, OW);
  });
}
