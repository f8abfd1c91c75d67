import { record } from '../autograd';
import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { kernels as K } from '../kernels/backend';
import { describe, fmtPosition, normAxis, sizeOf } from '../shape';
import { Tensor } from '../tensor';

/** Integer indices: a tensor of exact integer values, an `Int32Array` or a `number[]`. */
export type Indices = Tensor | Int32Array | readonly number[];

/**
 * Converts indices to an Int32Array, checking each is an integer in [−n, n) (negative counts from
 * the end, as PyTorch) or, with `negative: false`, in [0, n), and naming the first bad one by its
 * position; `context` ends that message (e.g. ` for weight [10, 4]`).
 * @internal
 */
export function toIndexArray(
  indices: Indices, n: number, op: string, arg = 'indices', opts: { negative?: boolean; context?: string } = {},
): { idx: Int32Array; shape: number[] } {
  let src: ArrayLike<number>;
  let shape: number[];
  if (indices instanceof Tensor) {
    src = indices.data;
    shape = indices.shape.slice();
  } else if (indices instanceof Int32Array || Array.isArray(indices)) {
    src = indices as ArrayLike<number>;
    shape = [src.length];
  } else throw new ArgumentError(`${op}: ${arg} must be a Tensor, Int32Array or number[], got ${describe(indices)}`);
  const lo = opts.negative === false ? 0 : -n;
  const idx = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (!Number.isInteger(v) || v < lo || v >= n) {
      throw new ArgumentError(`${op}: ${arg}[${fmtPosition(i, shape)}] = ${describe(v)} is not an integer index in [${lo}, ${n - 1}]${opts.context ?? ''}`);
    }
    idx[i] = v < 0 ? v + n : v;
  }
  return { idx, shape };
}

/**
 * Picks slices along `axis` by index (torch.index_select); indices may repeat.
 * Shapes: x (…, N, …), indices (J) → (…, J, …).
 * Gradient: scatter-add of dy into the selected slices (repeats accumulate).
 * @example indexSelect(tensor([[1, 2], [3, 4], [5, 6]]), 0, [2, 0]).tolist(); // [[5, 6], [1, 2]]
 * @throws ArgumentError on an index out of range; ShapeError on non-1-D indices.
 * @category Indexing
 */
export function indexSelect(x: Tensor, axis: number, indices: Indices): Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(`indexSelect: x must be a Tensor, got ${describe(x)}`);
  const a = normAxis(axis, x.ndim, 'indexSelect', x.shape);
  const N = x.shape[a];
  const { idx, shape: ishape } = toIndexArray(indices, N, 'indexSelect');
  if (ishape.length !== 1) throw new ShapeError(`indexSelect: indices must be 1-D, got ${fmtShape(ishape)}`);
  const O = sizeOf(x.shape.slice(0, a)), I = sizeOf(x.shape.slice(a + 1));
  const outShape = x.shape.slice();
  outShape[a] = idx.length;
  const out = Tensor.empty(outShape);
  K.indexSelectForward(out.data, x.data, idx, O, N, I);
  return record('indexSelect', out, [x], (dy) => {
    if (x.requiresGrad) K.indexSelectBackward(x.gradBuffer(), dy, idx, O, N, I);
  }, { axis: a });
}

/**
 * torch.gather: out[…, j, …] = x[…, index[…, j, …], …] along `axis`; index has x's number of axes
 * and x's size on every other axis.
 * Shapes: x (…, N, …), index (…, J, …) → index's shape.
 * Gradient: scatter-add into x.
 * @example gather(tensor([[1, 2], [3, 4]]), 1, tensor([[1], [0]])).tolist(); // [[2], [3]]
 * @category Indexing
 */
export function gather(x: Tensor, axis: number, index: Indices): Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(`gather: x must be a Tensor, got ${describe(x)}`);
  const a = normAxis(axis, x.ndim, 'gather', x.shape);
  const N = x.shape[a];
  const { idx, shape } = toIndexArray(index, N, 'gather', 'index');
  const ok = shape.length === x.ndim && shape.every((d, i) => i === a || d === x.shape[i]);
  if (!ok) throw new ShapeError(`gather: index ${fmtShape(shape)} must match x ${fmtShape(x.shape)} on every axis but ${a}`);
  const O = sizeOf(x.shape.slice(0, a)), I = sizeOf(x.shape.slice(a + 1)), J = shape[a];
  const out = Tensor.empty(shape);
  K.gatherForward(out.data, x.data, idx, O, N, J, I);
  return record('gather', out, [x], (dy) => {
    if (x.requiresGrad) K.gatherBackward(x.gradBuffer(), dy, idx, O, N, J, I);
  }, { axis: a });
}

/**
 * One-hot encoding: a new last axis of length `numClasses` with a 1 at each index. No gradient.
 * Shapes: indices (…) → (…, numClasses).
 * @example oneHot([0, 2], 3).tolist(); // [[1, 0, 0], [0, 0, 1]]
 * @throws ArgumentError on an index outside [0, numClasses).
 * @category Indexing
 */
export function oneHot(indices: Indices, numClasses: number): Tensor {
  if (!Number.isInteger(numClasses) || numClasses <= 0) throw new ArgumentError(`oneHot: numClasses must be a positive integer, got ${describe(numClasses)}`);
  const raw = indices instanceof Tensor ? indices.data : (indices as ArrayLike<number>);
  if (raw && typeof raw.length === 'number') {
    for (let i = 0; i < raw.length; i++) {
      if (typeof raw[i] === 'number' && raw[i] < 0) throw new ArgumentError(`oneHot: indices[${i}] = ${raw[i]} is negative; classes are 0 … ${numClasses - 1}`);
    }
  }
  const { idx, shape } = toIndexArray(indices, numClasses, 'oneHot');
  const out = Tensor.empty([...shape, numClasses], 'oneHot');
  for (let i = 0; i < idx.length; i++) out.data[i * numClasses + idx[i]] = 1;
  return record('oneHot', out, [], null, { numClasses });
}
