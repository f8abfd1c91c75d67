import { record } from '../autograd';
import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { kernels as K } from '../kernels/backend';
import { badValue, int, isPlainObject, oneOf, parseOptions, prob, type Check } from '../options';
import { describe, normAxis, sameShape, sizeOf, fmtPosition } from '../shape';
import { Tensor } from '../tensor';
import type { Indices } from './index';

/** How a loss combines its per-item values: their mean (default), their sum, or none (one per item). */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options of {@link crossEntropy}; the names and defaults are PyTorch's `F.cross_entropy`. */
export interface CrossEntropyOptions {
  /** Per-class weights, length C (default: all 1). Not differentiated. */
  weight?: Tensor | Float32Array | readonly number[] | null;
  /** Class-index targets equal to this contribute no loss and no gradient (default −100). */
  ignoreIndex?: number;
  /** ε in [0, 1]: the target mixes (1 − ε) of itself with ε of the uniform distribution (default 0). */
  labelSmoothing?: number;
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

const AXIS_SPEC = { axis: int() };
const CE_WEIGHT: Check<Tensor | Float32Array | readonly number[] | null> = (v, name, op) => {
  if (v === null || v instanceof Tensor || v instanceof Float32Array || Array.isArray(v)) return v as Tensor | Float32Array | readonly number[] | null;
  throw badValue(op, name, 'a Tensor, Float32Array, number[] or null', v);
};
const CE_SPEC = {
  weight: CE_WEIGHT,
  ignoreIndex: int({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }),
  labelSmoothing: prob,
  reduction: oneOf(['mean', 'sum', 'none'] as const),
};

/** The axis of softmax/logSoftmax: a number (PyTorch's `dim`) or `{ axis }`. */
function axisOf(op: string, axis: number | { axis?: number }): number {
  return isPlainObject(axis) ? (parseOptions(op, axis, AXIS_SPEC).axis ?? -1) : (axis as number);
}

/** [O, R, I] view of `x` around `axis`; a scalar counts as one slice of length 1. */
function axisLayout(op: string, x: Tensor, axis: number): { O: number; R: number; I: number } {
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(x)}`);
  if (x.ndim === 0) {
    if (axis !== 0 && axis !== -1) throw new ArgumentError(`${op}: axis ${describe(axis)} is out of range [-1, 0] for a scalar`);
    return { O: 1, R: 1, I: 1 };
  }
  const a = normAxis(axis, x.ndim, op, x.shape);
  return { O: sizeOf(x.shape.slice(0, a)), R: x.shape[a], I: sizeOf(x.shape.slice(a + 1)) };
}

/**
 * Softmax along `axis`: y = exp(x − m) / Σ exp(x − m), m the maximum of the slice (so any finite
 * input, even ±1e4, gives finite probabilities). A NaN makes its whole slice NaN.
 * Shapes: x (…) → y (…), same shape; each slice along `axis` sums to 1.
 * Gradient: dx = y ⊙ (dy − Σ_axis dy·y), from the saved output.
 * @example
 * softmax(tensor([1, 2, 3])).toArray(); // [0.09003057, 0.24472848, 0.66524094]
 * @throws ArgumentError if `axis` is out of range.
 * @see {@link logSoftmax} for log-probabilities (more accurate than log(softmax(x))).
 * @category Neural network ops
 */
export function softmax(x: Tensor, axis: number | { axis?: number } = -1): Tensor {
  const a = axisOf('softmax', axis);
  const { O, R, I } = axisLayout('softmax', x, a);
  const y = Tensor.empty(x.shape);
  K.softmaxForward(y.data, x.data, O, R, I);
  return record('softmax', y, [x], (dy) => {
    if (x.requiresGrad) K.softmaxBackward(x.gradBuffer(), dy, y.data, O, R, I);
  }, { axis: x.ndim === 0 ? 0 : normAxis(a, x.ndim, 'softmax') });
}

/**
 * Log-softmax along `axis`: y = (x − m) − ln Σ exp(x − m), m the maximum of the slice; finite for
 * any finite input and exact at the extremes: logSoftmax([−1000, 1000]) = [−2000, 0].
 * Shapes: x (…) → y (…), same shape.
 * Gradient: dx = dy − exp(y) · Σ_axis dy, from the saved output.
 * @example
 * logSoftmax(tensor([-1000, 1000])).toArray(); // [-2000, 0]
 * @throws ArgumentError if `axis` is out of range.
 * @category Neural network ops
 */
export function logSoftmax(x: Tensor, axis: number | { axis?: number } = -1): Tensor {
  const a = axisOf('logSoftmax', axis);
  const { O, R, I } = axisLayout('logSoftmax', x, a);
  const y = Tensor.empty(x.shape);
  K.logSoftmaxForward(y.data, x.data, O, R, I);
  return record('logSoftmax', y, [x], (dy) => {
    if (x.requiresGrad) K.logSoftmaxBackward(x.gradBuffer(), dy, y.data, O, R, I);
  }, { axis: x.ndim === 0 ? 0 : normAxis(a, x.ndim, 'logSoftmax') });
}


/**
 * Cross-entropy of logits against class indices or class probabilities, fused (log-softmax and
 * the negative log-likelihood in one kernel pair), with exactly the semantics of PyTorch's
 * `F.cross_entropy`. With class index t, weights w (default 1), smoothing ε and log p = log-softmax
 * over the class axis:
 * loss = (1 − ε)·w[t]·(−log p[t]) + (ε/C)·Σ_c w[c]·(−log p[c]), and 0 where t = ignoreIndex.
 * 'mean' divides the sum by Σ w[t] over the items not ignored (their count when unweighted), so a
 * batch where every item is ignored gives NaN, as PyTorch. With probability targets q:
 * loss = −Σ_c w[c]·q'[c]·log p[c], q' = (1 − ε)·q + ε/C, and 'mean' divides by the number of items.
 *
 * Shapes: logits (N, C), (N, C, d₁, …) with the classes on axis 1, or (C) unbatched. Class-index
 * target: logits' shape without the class axis — (N), (N, d₁, …) or () — holding exact integers
 * (a float tensor, an `Int32Array` or a `number[]`; flat arrays are read in row-major order).
 * Probability target: a tensor of the logits' shape. Output: () for 'mean' and 'sum', the target's
 * item shape for 'none'.
 * Gradient: d/dlogits = g·((1 − ε)·w[t] + ε·Σw/C)·p − g·(1 − ε)·w[t]·onehot(t) − g·(ε/C)·w, with g
 * the item's upstream gradient (divided by the denominator for 'mean'); for probability targets
 * g·(Σ_c w[c]·q'[c])·p − g·w⊙q', and the target, if it requires grad, gets −g·(1 − ε)·w⊙log p.
 * `weight` gets no gradient.
 * @example
 * // the mean of −log softmax([2, 0, 0])[0] = ln(e² + 2) − 2 and −log softmax([0, 1, 0])[1] = ln(2 + e) − 1
 * crossEntropy(tensor([[2, 0, 0], [0, 1, 0]]), [0, 1]).item(); // 0.3954947
 * @throws ShapeError if the target's shape fits neither kind, or `weight` does not have length C.
 * @throws ArgumentError for a class index that is not an integer in [0, C) nor `ignoreIndex`
 * (naming the value and its position), `labelSmoothing` outside [0, 1], an unknown reduction, or
 * an `ignoreIndex` ≥ 0 with probability targets (PyTorch refuses it too).
 * @see https://pytorch.org/docs/stable/generated/torch.nn.functional.cross_entropy.html
 * @category Losses
 */
export function crossEntropy(logits: Tensor, target: Indices, options: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  if (!(logits instanceof Tensor)) throw new ArgumentError(`${op}: logits must be a Tensor, got ${describe(logits)}`);
  const { weight, ignoreIndex, labelSmoothing, reduction } = {
    weight: null, ignoreIndex: -100, labelSmoothing: 0, reduction: 'mean' as Reduction, ...parseOptions(op, options, CE_SPEC),
  };
  const { C, O, I, M, itemShape } = classLayout(logits, op, 'logits');
  const shape = logits.shape;

  let w: Float32Array | null = null;
  if (weight !== null) {
    let src: ArrayLike<number>;
    let wShape: readonly number[];
    if (weight instanceof Tensor) {
      src = weight.data;
      wShape = weight.shape;
    } else if (weight instanceof Float32Array || Array.isArray(weight)) {
      src = weight as ArrayLike<number>;
      wShape = [src.length];
    } else throw new ArgumentError(`${op}: weight must be a Tensor, Float32Array or number[], got ${describe(weight)}`);
    if (wShape.length !== 1 || wShape[0] !== C) {
      throw new ShapeError(`${op}: weight ${fmtShape(wShape)} must have shape [${C}], one weight per class of logits ${fmtShape(shape)}`);
    }
    w = weight instanceof Tensor ? weight.data : Float32Array.from(src);
  }
  const attrs = { ignoreIndex, labelSmoothing, reduction, weight: w === null ? null : Array.from(w) };

  const out = Tensor.empty(reduction === 'none' ? itemShape : []);
  const loss = reduction === 'none' ? out.data : new Float32Array(M);
  const lse = new Float32Array(M);

  if (target instanceof Tensor && target.ndim === logits.ndim) {
    if (!sameShape(target.shape, shape)) {
      throw new ShapeError(`${op}: probability target ${fmtShape(target.shape)} must have the shape of logits ${fmtShape(shape)} (or ${fmtShape(itemShape)} for class indices)`);
    }
    if (ignoreIndex >= 0) throw new ArgumentError(`${op}: ignoreIndex ${ignoreIndex} is not supported with probability targets ${fmtShape(target.shape)} (as PyTorch; leave it at −100)`);
    const q = target;
    K.crossEntropyProbForward(loss, lse, logits.data, q.data, w, labelSmoothing, O, C, I);
    // PyTorch's probability-target mean divides by the number of items, weighted or not.
    const scale = reduction === 'mean' ? 1 / M : 1;
    if (reduction !== 'none') out.data[0] = sum64(loss) * scale;
    return record(op, out, [logits, q], (dy) => {
      const dx = logits.requiresGrad ? logits.gradBuffer() : null;
      const dq = q.requiresGrad ? q.gradBuffer() : null;
      K.crossEntropyProbBackward(dx, dq, dy, reduction === 'none' ? 1 : 0, scale, logits.data, lse, q.data, w, labelSmoothing, O, C, I);
    }, { ...attrs, target: 'probabilities' });
  }

  const t = toClassIndices(op, 'logits', target, C, ignoreIndex, itemShape, M, shape, `, probabilities ${fmtShape(shape)}`);
  const wt = new Float32Array(M);
  K.crossEntropyForward(loss, lse, wt, logits.data, t, w, ignoreIndex, labelSmoothing, O, C, I);
  const scale = reduction === 'mean' ? 1 / sum64(wt) : 1;
  if (reduction !== 'none') out.data[0] = sum64(loss) * scale;
  return record(op, out, [logits], (dy) => {
    if (logits.requiresGrad) {
      K.crossEntropyBackward(logits.gradBuffer(), dy, reduction === 'none' ? 1 : 0, scale, logits.data, lse, t, w, ignoreIndex, labelSmoothing, O, C, I);
    }
  }, { ...attrs, target: 'indices' });
}

function sum64(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

/**
 * The layout of a classification input with its class axis at 1, (N, C, d1, …), or unbatched (C):
 * C classes, O leading items, I trailing positions per item, M = O·I items in all, and the shape
 * of one target per item. Shared by crossEntropy and nllLoss.
 * @throws ShapeError for a scalar input.
 * @internal
 */
export function classLayout(x: Tensor, op: string, arg: string): { C: number; O: number; I: number; M: number; itemShape: number[] } {
  if (x.ndim === 0) throw new ShapeError(`${op}: ${arg} must have a class axis: (N, C), (N, C, d1, …) or (C); got a scalar []`);
  const shape = x.shape;
  const unbatched = x.ndim === 1;
  const C = unbatched ? shape[0] : shape[1];
  const O = unbatched ? 1 : shape[0];
  const I = unbatched ? 1 : sizeOf(shape.slice(2));
  return { C, O, I, M: O * I, itemShape: unbatched ? [] : [shape[0], ...shape.slice(2)] };
}

/**
 * Validates class-index targets for a classification loss (crossEntropy, nllLoss): exact integers
 * in [0, C) or equal to ignoreIndex, read from a tensor of the input's item shape or a flat array.
 * `input` names the scores argument in messages; `hint` is appended to the shape error.
 * @internal
 */
export function toClassIndices(
  op: string, input: string, target: Indices, C: number, ignoreIndex: number, itemShape: number[], M: number,
  inputShape: readonly number[], hint = '',
): Int32Array {
  let src: ArrayLike<number>;
  let posShape: readonly number[];
  if (target instanceof Tensor) {
    if (!sameShape(target.shape, itemShape)) {
      throw new ShapeError(
        `${op}: target ${fmtShape(target.shape)} does not fit ${input} ${fmtShape(inputShape)}: class indices need shape ${fmtShape(itemShape)} (${input} without the class axis)${hint}`,
      );
    }
    src = target.data;
    posShape = target.shape;
  } else if (target instanceof Int32Array || Array.isArray(target)) {
    src = target as ArrayLike<number>;
    if (src.length !== M) {
      throw new ShapeError(`${op}: target has ${src.length} class indices but ${input} ${fmtShape(inputShape)} have ${M} items (shape ${fmtShape(itemShape)})`);
    }
    posShape = [src.length];
  } else throw new ArgumentError(`${op}: target must be a Tensor, Int32Array or number[], got ${describe(target)}`);
  const t = new Int32Array(M);
  for (let k = 0; k < M; k++) {
    const v = src[k];
    if (v === ignoreIndex) {
      t[k] = ignoreIndex;
      continue;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= C) {
      throw new ArgumentError(
        `${op}: target[${fmtPosition(k, posShape)}] = ${describe(v)} is not a class index in [0, ${C - 1}] for ${input} ${fmtShape(inputShape)} (nor ignoreIndex ${ignoreIndex})`,
      );
    }
    t[k] = v;
  }
  return t;
}
