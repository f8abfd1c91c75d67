import { record } from '../autograd';
import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { kernels as K } from '../kernels/backend';
import { describe, normAxes, normAxis, sizeOf } from '../shape';
import { Tensor } from '../tensor';
import { permute } from './shape';

/** Options shared by the reductions. */
export interface ReduceOptions {
  /** Axis or axes to reduce (negative counts from the end); all axes when omitted. */
  axis?: number | readonly number[];
  /** Keep reduced axes as size 1 (default false). */
  keepDims?: boolean;
}

/** Options of {@link variance} and {@link std}. */
export interface VarOptions extends ReduceOptions {
  /** Divide by R − correction (default 1: the unbiased estimate, as PyTorch). */
  correction?: number;
}

/** Options of {@link norm}. */
export interface NormOptions extends ReduceOptions {
  /** 1, 2 (default) or Infinity. */
  p?: 1 | 2 | number;
}

interface Plan {
  x: Tensor;
  O: number;
  R: number;
  I: number;
  outShape: number[];
}

/**
 * Brings a reduction into the [O, R, I] layout: a contiguous block of axes is used in place; other
 * axis sets are permuted to the end first (through `permute`, so autograd sees it).
 */
function plan(op: string, xIn: Tensor, options: ReduceOptions | undefined): Plan {
  if (!(xIn instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(xIn)}`);
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new ArgumentError(`${op}: options must be an object like { axis, keepDims }, got ${describe(options)}`);
  let x = xIn;
  const axes = normAxes(options?.axis, x.ndim, op, x.shape);
  const keep = options?.keepDims === true;
  const red = new Set(axes);
  const outShape: number[] = [];
  for (let d = 0; d < x.ndim; d++) {
    if (!red.has(d)) outShape.push(x.shape[d]);
    else if (keep) outShape.push(1);
  }
  const contiguous = axes.length === 0 || axes[axes.length - 1] - axes[0] === axes.length - 1;
  if (!contiguous) {
    const rest: number[] = [];
    for (let d = 0; d < x.ndim; d++) if (!red.has(d)) rest.push(d);
    x = permute(x, [...rest, ...axes]);
    return { x, O: sizeOf(rest.map((d) => xIn.shape[d])), R: sizeOf(axes.map((d) => xIn.shape[d])), I: 1, outShape };
  }
  if (axes.length === 0) return { x, O: x.size, R: 1, I: 1, outShape };
  const first = axes[0], last = axes[axes.length - 1];
  return {
    x,
    O: sizeOf(x.shape.slice(0, first)),
    R: sizeOf(x.shape.slice(first, last + 1)),
    I: sizeOf(x.shape.slice(last + 1)),
    outShape,
  };
}

function sumLike(op: string, xIn: Tensor, options: ReduceOptions | undefined, mean: boolean): Tensor {
  const { x, O, R, I, outShape } = plan(op, xIn, options);
  const scale = mean ? 1 / R : 1;
  const out = Tensor.empty(outShape);
  K.sumForward(out.data, x.data, scale, O, R, I);
  return record(op, out, [x], (dy) => {
    if (x.requiresGrad) K.sumBackward(x.gradBuffer(), dy, scale, O, R, I);
  });
}

/**
 * Σ over the given axes (all by default), accumulated in float64.
 * Shapes: reduced axes removed (or kept as 1 with keepDims). Gradient: dy broadcast back.
 * @example sum(tensor([[1, 2], [3, 4]]), { axis: 0 }).toArray(); // [4, 6]
 * @throws ArgumentError on an axis out of range or repeated.
 * @category Reductions
 */
export function sum(x: Tensor, options?: ReduceOptions): Tensor {
  return sumLike('sum', x, options, false);
}

/**
 * Arithmetic mean over the given axes (NaN over zero elements).
 * Gradient: dy / R broadcast back.
 * @example mean(tensor([1, 2, 3, 4])).item(); // 2.5
 * @category Reductions
 */
export function mean(x: Tensor, options?: ReduceOptions): Tensor {
  return sumLike('mean', x, options, true);
}

function extreme(op: string, xIn: Tensor, options: ReduceOptions | undefined, sign: number): Tensor {
  const { x, O, R, I, outShape } = plan(op, xIn, options);
  if (R === 0) throw new ShapeError(`${op}: cannot reduce over zero elements (x ${fmtShape(xIn.shape)})`);
  const out = Tensor.empty(outShape);
  const idx = new Int32Array(out.size);
  K.maxForward(out.data, idx, x.data, sign, O, R, I);
  return record(op, out, [x], (dy) => {
    if (x.requiresGrad) K.maxBackward(x.gradBuffer(), dy, x.data, out.data, O, R, I);
  });
}

/**
 * Maximum over the given axes; NaN if the slice holds a NaN.
 * Gradient: dy split evenly among the positions equal to the maximum (as torch.amax).
 * @example max(tensor([[1, 5], [7, 2]]), { axis: 1 }).toArray(); // [5, 7]
 * @throws ShapeError when reducing over zero elements.
 * @category Reductions
 */
export function max(x: Tensor, options?: ReduceOptions): Tensor {
  return extreme('max', x, options, 1);
}

/**
 * Minimum over the given axes; NaN if the slice holds a NaN.
 * Gradient: dy split evenly among the positions equal to the minimum.
 * @example min(tensor([3, 1, 2])).item(); // 1
 * @category Reductions
 */
export function min(x: Tensor, options?: ReduceOptions): Tensor {
  return extreme('min', x, options, -1);
}

function varLike(op: string, xIn: Tensor, options: VarOptions | undefined, isStd: boolean): Tensor {
  const correction = options?.correction ?? 1;
  if (typeof correction !== 'number' || !Number.isFinite(correction) || correction < 0) {
    throw new ArgumentError(`${op}: correction must be a non-negative number, got ${describe(correction)}`);
  }
  const { x, O, R, I, outShape } = plan(op, xIn, options);
  const out = Tensor.empty(outShape);
  const m = new Float32Array(out.size);
  K.varForward(out.data, m, x.data, correction, isStd, O, R, I);
  return record(op, out, [x], (dy) => {
    if (x.requiresGrad) K.varBackward(x.gradBuffer(), dy, x.data, out.data, m, correction, isStd, O, R, I);
  });
}

/**
 * Variance Σ (x − x̄)² / (R − correction) by two passes (exact when |mean| ≫ std). Named
 * `variance` because `var` is reserved in JavaScript; also exported under the name `var`.
 * Gradient: dy · 2(x − x̄)/(R − correction).
 * @example variance(tensor([1, 2, 3, 4])).item(); // 1.6666666
 * @category Reductions
 */
export function variance(x: Tensor, options?: VarOptions): Tensor {
  return varLike('var', x, options, false);
}

/**
 * Standard deviation √var (correction 1 by default).
 * Gradient: dy · (x − x̄)/((R − correction)·std).
 * @example std(tensor([2, 4, 4, 4, 5, 5, 7, 9]), { correction: 0 }).item(); // 2
 * @category Reductions
 */
export function std(x: Tensor, options?: VarOptions): Tensor {
  return varLike('std', x, options, true);
}

/**
 * log Σ exp(x), stable for any finite input (the maximum is subtracted first).
 * Gradient: dy · softmax(x).
 * @example logSumExp(tensor([1000, 1000])).item(); // 1000.6931
 * @category Reductions
 */
export function logSumExp(x: Tensor, options?: ReduceOptions): Tensor {
  const { x: xv, O, R, I, outShape } = plan('logSumExp', x, options);
  const out = Tensor.empty(outShape);
  K.logSumExpForward(out.data, xv.data, O, R, I);
  return record('logSumExp', out, [xv], (dy) => {
    if (xv.requiresGrad) K.logSumExpBackward(xv.gradBuffer(), dy, xv.data, out.data, O, R, I);
  });
}

/**
 * Vector p-norm over the given axes (all by default: the Frobenius norm of a matrix for p = 2).
 * Gradient: p = 2: dy·x/‖x‖ (0 at ‖x‖ = 0); p = 1: dy·sign(x); p = Inf: to the largest |x|.
 * @example norm(tensor([3, 4])).item(); // 5
 * @throws ArgumentError unless p is 1, 2 or Infinity.
 * @category Reductions
 */
export function norm(x: Tensor, options?: NormOptions): Tensor {
  const p = options?.p ?? 2;
  if (p !== 1 && p !== 2 && p !== Infinity) throw new ArgumentError(`norm: p must be 1, 2 or Infinity, got ${describe(p)}`);
  const { x: xv, O, R, I, outShape } = plan('norm', x, options);
  const out = Tensor.empty(outShape);
  K.normForward(out.data, xv.data, p, O, R, I);
  return record('norm', out, [xv], (dy) => {
    if (xv.requiresGrad) K.normBackward(xv.gradBuffer(), dy, xv.data, out.data, p, O, R, I);
  });
}

/** Options of {@link argmax} and {@link argmin}. */
export interface ArgOptions {
  /** One axis; when omitted the index is into the flattened tensor. */
  axis?: number;
  /** Keep the reduced axis as size 1. */
  keepDims?: boolean;
}

function argExtreme(op: string, xIn: Tensor, options: ArgOptions | undefined, sign: number): Tensor {
  if (!(xIn instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(xIn)}`);
  const axis = options?.axis;
  let O: number, R: number, I: number, outShape: number[];
  if (axis === undefined) {
    O = 1;
    R = xIn.size;
    I = 1;
    outShape = options?.keepDims ? xIn.shape.map(() => 1) : [];
  } else {
    const a = normAxis(axis, xIn.ndim, op, xIn.shape);
    O = sizeOf(xIn.shape.slice(0, a));
    R = xIn.shape[a];
    I = sizeOf(xIn.shape.slice(a + 1));
    outShape = xIn.shape.slice();
    if (options?.keepDims) outShape[a] = 1;
    else outShape.splice(a, 1);
  }
  if (R === 0) throw new ShapeError(`${op}: cannot reduce over zero elements (x ${fmtShape(xIn.shape)})`);
  const vals = new Float32Array(O * I);
  const idx = new Int32Array(O * I);
  K.maxForward(vals, idx, xIn.data, sign, O, R, I);
  const out = new Tensor(Float32Array.from(idx), outShape);
  return record(op, out, [xIn], null);
}

/**
 * Index of the maximum along `axis` (first one on ties; a NaN counts as the maximum), as exact
 * float32 integers. No gradient.
 * @example argmax(tensor([[1, 5], [7, 2]]), { axis: 1 }).toArray(); // [1, 0]
 * @category Reductions
 */
export function argmax(x: Tensor, options?: ArgOptions): Tensor {
  return argExtreme('argmax', x, options, 1);
}

/**
 * Index of the minimum along `axis` (first one on ties). No gradient.
 * @example argmin(tensor([3, 1, 2])).item(); // 1
 * @category Reductions
 */
export function argmin(x: Tensor, options?: ArgOptions): Tensor {
  return argExtreme('argmin', x, options, -1);
}
