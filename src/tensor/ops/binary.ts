import { record } from '../autograd';
import { asTensor } from '../creation';
import { kernels as K } from '../kernels/backend';
import type { RowKernel } from '../kernels/strided';
import { broadcastShapes, broadcastStrides, sameShape, sizeOf, stridesOf } from '../shape';
import { Tensor } from '../tensor';

/** A tensor, or a number/array that is converted to one. */
export type TensorOrScalar = Tensor | number | number[];

/**
 * Accumulates dy·∂out/∂x into x's gradient: straight into x.grad when x has the output's shape,
 * else into a temporary of the output's shape that `sumToShape` folds back (the one place
 * broadcasting is undone).
 */
function accumulateGrad(
  x: Tensor, outShape: readonly number[], row: RowKernel, dy: Float32Array,
  a: Tensor, as: readonly number[], b: Tensor | null, bs: readonly number[] | null,
): void {
  const contiguous = stridesOf(outShape);
  if (sameShape(x.shape, outShape)) {
    K.mapRows(x.gradBuffer(), outShape, row, dy, contiguous, a.data, as, b === null ? null : b.data, bs);
  } else {
    const tmp = new Float32Array(sizeOf(outShape));
    K.mapRows(tmp, outShape, row, dy, contiguous, a.data, as, b === null ? null : b.data, bs);
    K.sumToShape(x.gradBuffer(), tmp, outShape, broadcastStrides(x.shape, outShape));
  }
}

function binary(op: string, aIn: TensorOrScalar, bIn: TensorOrScalar, fwd: RowKernel, gradA: RowKernel | null, gradB: RowKernel | null): Tensor {
  const a = asTensor(aIn, op, 'a');
  const b = asTensor(bIn, op, 'b');
  const shape = sameShape(a.shape, b.shape) ? a.shape.slice() : broadcastShapes(a.shape, b.shape, op);
  const out = Tensor.empty(shape);
  const as = broadcastStrides(a.shape, shape);
  const bs = broadcastStrides(b.shape, shape);
  K.mapRows(out.data, shape, fwd, a.data, as, b.data, bs, null, null);
  if (gradA === null || gradB === null) return record(op, out, [a, b], null);
  return record(op, out, [a, b], (dy) => {
    if (a.requiresGrad) accumulateGrad(a, shape, gradA, dy, a, as, b, bs);
    if (b.requiresGrad) accumulateGrad(b, shape, gradB, dy, a, as, b, bs);
  });
}

/**
 * Element-wise sum a + b with NumPy broadcasting.
 * Shapes: a, b broadcast to out.
 * Gradient: da = dy, db = dy (each summed over its broadcast dimensions).
 * @example
 * add(tensor([[1, 2], [3, 4]]), tensor([10, 20])).tolist(); // [[11, 22], [13, 24]]
 * @throws ShapeError if the shapes cannot be broadcast.
 * @category Elementwise
 */
export function add(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('add', a, b, K.addRow, K.copyGradRow, K.copyGradRow);
}

/**
 * Element-wise difference a − b with broadcasting.
 * Shapes: a, b broadcast to out. Gradient: da = dy, db = −dy.
 * @example
 * sub(tensor([5, 7]), 2).toArray(); // [3, 5]
 * @category Elementwise
 */
export function sub(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('sub', a, b, K.subRow, K.copyGradRow, K.negGradRow);
}

/**
 * Element-wise product a · b with broadcasting.
 * Shapes: a, b broadcast to out. Gradient: da = dy · b, db = dy · a.
 * @example
 * mul(tensor([1, 2, 3]), 2).toArray(); // [2, 4, 6]
 * @category Elementwise
 */
export function mul(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('mul', a, b, K.mulRow, K.mulGradARow, K.mulGradBRow);
}

/**
 * Element-wise quotient a / b with broadcasting (IEEE: x/0 = ±Inf, 0/0 = NaN).
 * Shapes: a, b broadcast to out. Gradient: da = dy / b, db = −dy · a / b².
 * @example
 * div(tensor([1, 3]), 2).toArray(); // [0.5, 1.5]
 * @category Elementwise
 */
export function div(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('div', a, b, K.divRow, K.divGradARow, K.divGradBRow);
}

/**
 * Element-wise power aᵇ with broadcasting (a negative base with a fractional exponent gives NaN),
 * with IEEE 754's special cases as PyTorch: 1ᵇ = 1 for every b (NaN and ±Inf too), a⁰ = 1 for
 * every a, (−1)^±∞ = 1.
 * Shapes: a, b broadcast to out. Gradient: da = dy · b · aᵇ⁻¹ (0 where b = 0),
 * db = dy · aᵇ · ln a (0 where a = 0 and b ≥ 0), as PyTorch.
 * @example
 * pow(tensor([2, 3]), 2).toArray(); // [4, 9]
 * @category Elementwise
 */
export function pow(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('pow', a, b, K.powRow, K.powGradARow, K.powGradBRow);
}

/**
 * Element-wise maximum with broadcasting; NaN in either operand gives NaN.
 * Shapes: a, b broadcast to out. Gradient: to the larger operand; split ½–½ at ties (as PyTorch).
 * @example
 * maximum(tensor([1, 5]), tensor([3, 2])).toArray(); // [3, 5]
 * @category Elementwise
 */
export function maximum(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('maximum', a, b, K.maximumRow, K.maximumGradARow, K.maximumGradBRow);
}

/**
 * Element-wise minimum with broadcasting; NaN in either operand gives NaN.
 * Shapes: a, b broadcast to out. Gradient: to the smaller operand; split ½–½ at ties.
 * @example
 * minimum(tensor([1, 5]), tensor([3, 2])).toArray(); // [1, 2]
 * @category Elementwise
 */
export function minimum(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('minimum', a, b, K.minimumRow, K.minimumGradARow, K.minimumGradBRow);
}

/** a = b element-wise as 1/0 (no gradient). @example eq(tensor([1, 2]), 2).toArray(); // [0, 1] @category Comparison */
export function eq(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('eq', a, b, K.eqRow, null, null);
}
/** a ≠ b element-wise as 1/0 (no gradient; NaN ≠ NaN is 1). @category Comparison */
export function ne(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('ne', a, b, K.neRow, null, null);
}
/** a > b element-wise as 1/0 (no gradient). @example gt(tensor([1, 3]), 2).toArray(); // [0, 1] @category Comparison */
export function gt(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('gt', a, b, K.gtRow, null, null);
}
/** a ≥ b element-wise as 1/0 (no gradient). @category Comparison */
export function ge(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('ge', a, b, K.geRow, null, null);
}
/** a < b element-wise as 1/0 (no gradient). @category Comparison */
export function lt(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('lt', a, b, K.ltRow, null, null);
}
/** a ≤ b element-wise as 1/0 (no gradient). @category Comparison */
export function le(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('le', a, b, K.leRow, null, null);
}

/**
 * Selects a where cond ≠ 0 and b elsewhere, with all three broadcast together.
 * Shapes: cond, a, b broadcast to out. Gradient: da = dy where cond, db = dy elsewhere; none to cond.
 * @example
 * where(tensor([1, 0]), tensor([1, 2]), tensor([9, 9])).toArray(); // [1, 9]
 * @category Elementwise
 */
export function where(cond: TensorOrScalar, aIn: TensorOrScalar, bIn: TensorOrScalar): Tensor {
  const c = asTensor(cond, 'where', 'cond');
  const a = asTensor(aIn, 'where', 'a');
  const b = asTensor(bIn, 'where', 'b');
  const ab = broadcastShapes(a.shape, b.shape, 'where');
  const shape = broadcastShapes(c.shape, ab, 'where', ['cond', 'a/b']);
  const cs = broadcastStrides(c.shape, shape);
  const as = broadcastStrides(a.shape, shape);
  const bs = broadcastStrides(b.shape, shape);
  const out = Tensor.empty(shape);
  K.mapRows(out.data, shape, K.whereRow, c.data, cs, a.data, as, b.data, bs);
  // cond is an input too (first, as ONNX's Where), so a trace sees it; it never gets a gradient.
  return record('where', out, [c, a, b], (dy) => {
    if (a.requiresGrad) accumulateGrad(a, shape, K.whereGradARow, dy, c, cs, null, null);
    if (b.requiresGrad) accumulateGrad(b, shape, K.whereGradBRow, dy, c, cs, null, null);
  });
}
