import { record } from '../autograd';
import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { kernels as K } from '../kernels/backend';
import { anyOf, arrayOf, bool, checkArg, int, nonNeg, parseOptions, type Check, type OptionSpec } from '../options';
import { describe, normAxes, normAxis, sizeOf } from '../shape';
import { Tensor } from '../tensor';
import { permute, reshape } from './shape';

/** An axis or a list of axes (their range is checked against the tensor by normAxes). */
const AXES: Check<number | number[]> = anyOf<number | number[]>('an integer or an array of integers', int(), arrayOf(int()));
const REDUCE_SPEC = { axis: AXES, keepDims: bool };
const VAR_SPEC = { axis: AXES, keepDims: bool, correction: nonNeg };
const NORM_P: Check<number> = (v, name, op) => {
  if (v !== 1 && v !== 2 && v !== Infinity) throw new ArgumentError(`${op}: ${name} must be 1, 2 or Infinity, got ${describe(v)}`);
  return v;
};
const NORM_SPEC = { axis: AXES, keepDims: bool, p: NORM_P };
const ARG_SPEC = { axis: int(), keepDims: bool };

/**
 * The options of a reduction from either form: an options object, or PyTorch's positional
 * `(axis, keepDims)` (`sum(x, 1)`, `sum(x, [0, 2], true)`). `positional` false refuses the
 * positional form (where PyTorch reads the second argument as something else).
 */
function reduceArgs(
  op: string, options: unknown, keepDims: unknown, spec: OptionSpec, positional: 'axes' | 'axis' | false, hint = '',
): { axis?: number | number[]; keepDims?: boolean } & Record<string, unknown> {
  if (options instanceof Tensor) {
    throw new ArgumentError(`${op}: the second argument is a Tensor ${fmtShape(options.shape)}, not options${hint}`);
  }
  if (typeof options === 'number' || Array.isArray(options)) {
    if (positional === false) throw new ArgumentError(`${op}: the second argument must be an options object, got ${describe(options)}${hint}`);
    const axis = checkArg(op, 'axis', options, positional === 'axis' ? ARG_SPEC.axis : AXES);
    return keepDims === undefined ? { axis } : { axis, keepDims: checkArg(op, 'keepDims', keepDims, bool) };
  }
  if (keepDims !== undefined) throw new ArgumentError(`${op}: keepDims ${describe(keepDims)} was given positionally after an options object; put it in the options`);
  return parseOptions(op, options, spec);
}

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
  /** The op's attributes relative to `x` (the reduced axes of the recorded input). */
  attrs: { axis: number[]; keepDims: boolean };
  /** Shape to view the result as afterwards (keepDims over permuted axes), or null. */
  finalShape: number[] | null;
}

/**
 * Brings a reduction into the [O, R, I] layout: a contiguous block of axes is used in place; other
 * axis sets are permuted to the end first (through `permute`, so autograd sees it).
 */
function plan(op: string, xIn: Tensor, options: { axis?: number | readonly number[]; keepDims?: boolean }): Plan {
  if (!(xIn instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(xIn)}`);
  let x = xIn;
  const axes = normAxes(options.axis, x.ndim, op, x.shape);
  const keep = options.keepDims === true;
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
    // The recorded op reduces the trailing axes of the permuted x; keepDims is a view afterwards.
    const trailing = axes.map((_, i) => rest.length + i);
    return {
      x, O: sizeOf(rest.map((d) => xIn.shape[d])), R: sizeOf(axes.map((d) => xIn.shape[d])), I: 1,
      outShape: rest.map((d) => xIn.shape[d]), attrs: { axis: trailing, keepDims: false }, finalShape: keep ? outShape : null,
    };
  }
  const attrs = { axis: axes, keepDims: keep };
  if (axes.length === 0) return { x, O: x.size, R: 1, I: 1, outShape, attrs, finalShape: null };
  const first = axes[0], last = axes[axes.length - 1];
  return {
    x,
    O: sizeOf(x.shape.slice(0, first)),
    R: sizeOf(x.shape.slice(first, last + 1)),
    I: sizeOf(x.shape.slice(last + 1)),
    outShape,
    attrs,
    finalShape: null,
  };
}

/** The reduction's result in its final shape (a view when keepDims went over permuted axes). */
function finish(p: Plan, out: Tensor): Tensor {
  return p.finalShape === null ? out : reshape(out, p.finalShape);
}

function sumLike(op: string, xIn: Tensor, options: ReduceOptions | number | readonly number[] | undefined, keepDims: boolean | undefined, mean: boolean): Tensor {
  const pl = plan(op, xIn, reduceArgs(op, options, keepDims, REDUCE_SPEC, 'axes'));
  const { x, O, R, I, outShape } = pl;
  const scale = mean ? 1 / R : 1;
  const out = Tensor.empty(outShape);
  K.sumForward(out.data, x.data, scale, O, R, I);
  return finish(pl, record(op, out, [x], (dy) => {
    if (x.requiresGrad) K.sumBackward(x.gradBuffer(), dy, scale, O, R, I);
  }, pl.attrs));
}

/**
 * Σ over the given axes (all by default), accumulated in float64. PyTorch's positional form
 * `sum(x, axis, keepDims)` is accepted too (as by mean, max, min and logSumExp).
 * Shapes: reduced axes removed (or kept as 1 with keepDims). Gradient: dy broadcast back.
 * @example sum(tensor([[1, 2], [3, 4]]), { axis: 0 }).toArray(); // [4, 6]
 * @example sum(tensor([[1, 2], [3, 4]]), 1, true).tolist(); // [[3], [7]]
 * @throws ArgumentError on an axis out of range or repeated, an unknown option, or keepDims given
 * positionally after an options object.
 * @category Reductions
 */
export function sum(x: Tensor, options?: ReduceOptions | number | readonly number[], keepDims?: boolean): Tensor {
  return sumLike('sum', x, options, keepDims, false);
}

/**
 * Arithmetic mean over the given axes (NaN over zero elements).
 * Gradient: dy / R broadcast back.
 * @example mean(tensor([1, 2, 3, 4])).item(); // 2.5
 * @category Reductions
 */
export function mean(x: Tensor, options?: ReduceOptions | number | readonly number[], keepDims?: boolean): Tensor {
  return sumLike('mean', x, options, keepDims, true);
}

function extreme(op: string, xIn: Tensor, options: ReduceOptions | number | readonly number[] | undefined, keepDims: boolean | undefined, sign: number): Tensor {
  const hint = `; for the element-wise ${op}imum of two tensors use ${op}imum(a, b)`;
  const pl = plan(op, xIn, reduceArgs(op, options, keepDims, REDUCE_SPEC, 'axes', hint));
  const { x, O, R, I, outShape } = pl;
  if (R === 0) throw new ShapeError(`${op}: cannot reduce over zero elements (x ${fmtShape(xIn.shape)})`);
  const out = Tensor.empty(outShape);
  const idx = new Int32Array(out.size);
  K.maxForward(out.data, idx, x.data, sign, O, R, I);
  return finish(pl, record(op, out, [x], (dy) => {
    if (x.requiresGrad) K.maxBackward(x.gradBuffer(), dy, x.data, out.data, O, R, I);
  }, pl.attrs));
}

/**
 * Maximum over the given axes; NaN if the slice holds a NaN. `max(x, axis, keepDims)` returns
 * the values only (as torch.amax; for the indices use {@link argmax}); a tensor as the second
 * argument is refused (the element-wise maximum is `maximum(a, b)`).
 * Gradient: dy split evenly among the positions equal to the maximum (as torch.amax).
 * @example max(tensor([[1, 5], [7, 2]]), { axis: 1 }).toArray(); // [5, 7]
 * @throws ShapeError when reducing over zero elements.
 * @category Reductions
 */
export function max(x: Tensor, options?: ReduceOptions | number | readonly number[], keepDims?: boolean): Tensor {
  return extreme('max', x, options, keepDims, 1);
}

/**
 * Minimum over the given axes; NaN if the slice holds a NaN.
 * Gradient: dy split evenly among the positions equal to the minimum.
 * @example min(tensor([3, 1, 2])).item(); // 1
 * @category Reductions
 */
export function min(x: Tensor, options?: ReduceOptions | number | readonly number[], keepDims?: boolean): Tensor {
  return extreme('min', x, options, keepDims, -1);
}

function varLike(op: string, xIn: Tensor, options: VarOptions | number | readonly number[] | undefined, more: unknown, isStd: boolean): Tensor {
  // PyTorch's third positional of var/std was `unbiased`, then `correction`: too ambiguous to read.
  if (more !== undefined) throw new ArgumentError(`${op}: only the axis may be positional; pass keepDims and correction as options ({ axis, keepDims, correction }), got ${describe(more)}`);
  const o = reduceArgs(op, options, undefined, VAR_SPEC, 'axes');
  const correction = (o.correction as number | undefined) ?? 1;
  const pl = plan(op, xIn, o);
  const { x, O, R, I, outShape } = pl;
  const out = Tensor.empty(outShape);
  const m = new Float32Array(out.size);
  K.varForward(out.data, m, x.data, correction, isStd, O, R, I);
  return finish(pl, record(op, out, [x], (dy) => {
    if (x.requiresGrad) K.varBackward(x.gradBuffer(), dy, x.data, out.data, m, correction, isStd, O, R, I);
  }, { ...pl.attrs, correction }));
}

/**
 * Variance Σ (x − x̄)² / (R − correction) by two passes (exact when |mean| ≫ std). Named
 * `variance` because `var` is reserved in JavaScript; also exported under the name `var`.
 * `variance(x, axis)` is accepted; keepDims and correction go in the options (PyTorch's third
 * positional argument has meant `unbiased`, then `correction`, so it is refused).
 * Gradient: dy · 2(x − x̄)/(R − correction).
 * @example variance(tensor([1, 2, 3, 4])).item(); // 1.6666666
 * @category Reductions
 */
export function variance(x: Tensor, options?: VarOptions | number | readonly number[], ...rest: never[]): Tensor {
  return varLike('var', x, options, rest[0], false);
}

/**
 * Standard deviation √var (correction 1 by default).
 * Gradient: dy · (x − x̄)/((R − correction)·std).
 * @example std(tensor([2, 4, 4, 4, 5, 5, 7, 9]), { correction: 0 }).item(); // 2
 * @category Reductions
 */
export function std(x: Tensor, options?: VarOptions | number | readonly number[], ...rest: never[]): Tensor {
  return varLike('std', x, options, rest[0], true);
}

/**
 * log Σ exp(x), stable for any finite input (the maximum is subtracted first).
 * Gradient: dy · softmax(x).
 * @example logSumExp(tensor([1000, 1000])).item(); // 1000.6931
 * @category Reductions
 */
export function logSumExp(x: Tensor, options?: ReduceOptions | number | readonly number[], keepDims?: boolean): Tensor {
  const pl = plan('logSumExp', x, reduceArgs('logSumExp', options, keepDims, REDUCE_SPEC, 'axes'));
  const { x: xv, O, R, I, outShape } = pl;
  const out = Tensor.empty(outShape);
  K.logSumExpForward(out.data, xv.data, O, R, I);
  return finish(pl, record('logSumExp', out, [xv], (dy) => {
    if (xv.requiresGrad) K.logSumExpBackward(xv.gradBuffer(), dy, xv.data, out.data, O, R, I);
  }, pl.attrs));
}

/**
 * Vector p-norm over the given axes (all by default: the Frobenius norm of a matrix for p = 2).
 * Options only: `norm(x, 1)` is refused because PyTorch reads that number as p.
 * Gradient: p = 2: dy·x/‖x‖ (0 at ‖x‖ = 0); p = 1: dy·sign(x); p = Inf: to the largest |x|.
 * @example norm(tensor([3, 4])).item(); // 5
 * @throws ArgumentError unless p is 1, 2 or Infinity.
 * @category Reductions
 */
export function norm(x: Tensor, options?: NormOptions): Tensor {
  // PyTorch's torch.norm(x, 1) means p = 1, not axis 1: refuse the positional form.
  const o = reduceArgs('norm', options, undefined, NORM_SPEC, false, ' (PyTorch reads a positional number as p); pass { p } or { axis }');
  const p = (o.p as number | undefined) ?? 2;
  const pl = plan('norm', x, o);
  const { x: xv, O, R, I, outShape } = pl;
  const out = Tensor.empty(outShape);
  K.normForward(out.data, xv.data, p, O, R, I);
  return finish(pl, record('norm', out, [xv], (dy) => {
    if (xv.requiresGrad) K.normBackward(xv.gradBuffer(), dy, xv.data, out.data, p, O, R, I);
  }, { ...pl.attrs, p }));
}

/** Options of {@link argmax} and {@link argmin}. */
export interface ArgOptions {
  /** One axis; when omitted the index is into the flattened tensor. */
  axis?: number;
  /** Keep the reduced axis as size 1. */
  keepDims?: boolean;
}

function argExtreme(op: string, xIn: Tensor, options: ArgOptions | number | undefined, keepDims: boolean | undefined, sign: number): Tensor {
  if (!(xIn instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(xIn)}`);
  const o = reduceArgs(op, options, keepDims, ARG_SPEC, 'axis');
  const axis = o.axis as number | undefined;
  const keep = o.keepDims === true;
  let O: number, R: number, I: number, outShape: number[];
  if (axis === undefined) {
    O = 1;
    R = xIn.size;
    I = 1;
    outShape = keep ? xIn.shape.map(() => 1) : [];
  } else {
    const a = normAxis(axis, xIn.ndim, op, xIn.shape);
    O = sizeOf(xIn.shape.slice(0, a));
    R = xIn.shape[a];
    I = sizeOf(xIn.shape.slice(a + 1));
    outShape = xIn.shape.slice();
    if (keep) outShape[a] = 1;
    else outShape.splice(a, 1);
  }
  if (R === 0) throw new ShapeError(`${op}: cannot reduce over zero elements (x ${fmtShape(xIn.shape)})`);
  const vals = new Float32Array(O * I);
  const idx = new Int32Array(O * I);
  K.maxForward(vals, idx, xIn.data, sign, O, R, I);
  const out = new Tensor(Float32Array.from(idx), outShape);
  return record(op, out, [xIn], null, { axis: axis === undefined ? null : normAxis(axis, xIn.ndim, op), keepDims: keep });
}

/**
 * Index of the maximum along `axis` (first one on ties; a NaN counts as the maximum), as exact
 * float32 integers; without an axis, the index into the flattened tensor. PyTorch's positional
 * `argmax(x, axis, keepDims)` is accepted. No gradient.
 * @example argmax(tensor([[1, 5], [7, 2]]), { axis: 1 }).toArray(); // [1, 0]
 * @example argmax(tensor([[1, 5], [7, 2]]), 0).toArray(); // [1, 0]
 * @category Reductions
 */
export function argmax(x: Tensor, options?: ArgOptions | number, keepDims?: boolean): Tensor {
  return argExtreme('argmax', x, options, keepDims, 1);
}

/**
 * Index of the minimum along `axis` (first one on ties). No gradient.
 * @example argmin(tensor([3, 1, 2])).item(); // 1
 * @category Reductions
 */
export function argmin(x: Tensor, options?: ArgOptions | number, keepDims?: boolean): Tensor {
  return argExtreme('argmin', x, options, keepDims, -1);
}
