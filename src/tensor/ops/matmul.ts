import { record } from '../autograd';
import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { kernels } from '../kernels/backend';
import { broadcastShapes, broadcastStrides, describe, sizeOf } from '../shape';
import { Tensor } from '../tensor';
import { reshape } from './shape';

/** Offsets (in matrices) of each batch element into a and b, for broadcast batch dimensions. */
function batchOffsets(batch: readonly number[], aBatch: readonly number[], bBatch: readonly number[]): [Int32Array, Int32Array] {
  const n = sizeOf(batch);
  const as = broadcastStrides(aBatch, batch);
  const bs = broadcastStrides(bBatch, batch);
  const ao = new Int32Array(n), bo = new Int32Array(n);
  const idx = new Array<number>(batch.length).fill(0);
  let ai = 0, bi = 0;
  for (let k = 0; k < n; k++) {
    ao[k] = ai;
    bo[k] = bi;
    for (let d = batch.length - 1; d >= 0; d--) {
      idx[d]++;
      ai += as[d];
      bi += bs[d];
      if (idx[d] < batch[d]) break;
      ai -= as[d] * batch[d];
      bi -= bs[d] * batch[d];
      idx[d] = 0;
    }
  }
  return [ao, bo];
}

/**
 * Matrix product with NumPy/PyTorch `matmul` semantics: the last two axes multiply, leading
 * (batch) axes broadcast; a 1-D `a` is a row vector and a 1-D `b` a column vector (that axis is
 * dropped from the result). Runs on the register-blocked `gemm` kernel; when `b` is a single
 * matrix, a's batch is folded into one large product.
 * Shapes: a (…, M, K), b (…, K, N) → (broadcast(…), M, N).
 * Gradient: da = dy·bᵀ, db = aᵀ·dy (summed over broadcast batch axes).
 * @example matmul(tensor([[1, 2], [3, 4]]), tensor([[5], [6]])).tolist(); // [[17], [39]]
 * @throws ShapeError `matmul: a [2, 3] and b [4, 5]: inner dimensions 3 and 4 differ`.
 * @category Linear algebra
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (!(a instanceof Tensor)) throw new ArgumentError(`matmul: a must be a Tensor, got ${describe(a)}`);
  if (!(b instanceof Tensor)) throw new ArgumentError(`matmul: b must be a Tensor, got ${describe(b)}`);
  if (a.ndim === 0 || b.ndim === 0) throw new ShapeError(`matmul: a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)}: both need at least one dimension (use mul for scalars)`);
  const aVec = a.ndim === 1, bVec = b.ndim === 1;
  const aShape = aVec ? [1, a.shape[0]] : a.shape;
  const bShape = bVec ? [b.shape[0], 1] : b.shape;
  const M = aShape[aShape.length - 2], K = aShape[aShape.length - 1];
  const K2 = bShape[bShape.length - 2], N = bShape[bShape.length - 1];
  if (K !== K2) throw new ShapeError(`matmul: a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)}: inner dimensions ${K} and ${K2} differ`);
  const aBatch = aShape.slice(0, -2), bBatch = bShape.slice(0, -2);
  const batch = broadcastShapes(aBatch, bBatch, 'matmul', ['a batch', 'b batch']);
  const outShape = [...batch];
  if (!aVec) outShape.push(M);
  if (!bVec) outShape.push(N);
  const out = Tensor.empty(outShape, 'matmul');

  if (bBatch.length === 0 && aBatch.length >= 0) {
    // b is one matrix: fold a's batch into rows and run one GEMM.
    const MM = sizeOf(aBatch) * M;
    kernels.gemm(out.data, 0, a.data, 0, b.data, 0, MM, K, N, false, false, false);
    return record('matmul', out, [a, b], (dy) => {
      if (a.requiresGrad) kernels.gemm(a.gradBuffer(), 0, dy, 0, b.data, 0, MM, N, K, false, true, true);
      if (b.requiresGrad) kernels.gemm(b.gradBuffer(), 0, a.data, 0, dy, 0, K, MM, N, true, false, true);
    });
  }

  const [ao, bo] = batchOffsets(batch, aBatch, bBatch);
  const nb = ao.length;
  const sa = M * K, sb = K * N, sc = M * N;
  for (let k = 0; k < nb; k++) kernels.gemm(out.data, k * sc, a.data, ao[k] * sa, b.data, bo[k] * sb, M, K, N, false, false, false);
  return record('matmul', out, [a, b], (dy) => {
    if (a.requiresGrad) {
      const da = a.gradBuffer();
      for (let k = 0; k < nb; k++) kernels.gemm(da, ao[k] * sa, dy, k * sc, b.data, bo[k] * sb, M, N, K, false, true, true);
    }
    if (b.requiresGrad) {
      const db = b.gradBuffer();
      for (let k = 0; k < nb; k++) kernels.gemm(db, bo[k] * sb, a.data, ao[k] * sa, dy, k * sc, K, M, N, true, false, true);
    }
  });
}

/**
 * Inner product of two vectors Σ aᵢ bᵢ.
 * Shapes: a (N), b (N) → scalar []. Gradient: da = dy·b, db = dy·a.
 * @example dot(tensor([1, 2, 3]), tensor([4, 5, 6])).item(); // 32
 * @throws ShapeError unless both are 1-D of equal length.
 * @category Linear algebra
 */
export function dot(a: Tensor, b: Tensor): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor) || a.ndim !== 1 || b.ndim !== 1 || a.size !== b.size) {
    const sa = a instanceof Tensor ? fmtShape(a.shape) : describe(a);
    const sb = b instanceof Tensor ? fmtShape(b.shape) : describe(b);
    throw new ShapeError(`dot: a ${sa} and b ${sb} must be 1-D tensors of equal length`);
  }
  return matmul(a, b);
}

/**
 * Outer product aᵢ bⱼ.
 * Shapes: a (N), b (M) → (N, M). Gradient: da = dy·b, db = dyᵀ·a.
 * @example outer(tensor([1, 2]), tensor([3, 4])).tolist(); // [[3, 4], [6, 8]]
 * @category Linear algebra
 */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor) || a.ndim !== 1 || b.ndim !== 1) {
    const sa = a instanceof Tensor ? fmtShape(a.shape) : describe(a);
    const sb = b instanceof Tensor ? fmtShape(b.shape) : describe(b);
    throw new ShapeError(`outer: a ${sa} and b ${sb} must be 1-D tensors`);
  }
  return matmul(reshape(a, [a.size, 1]), reshape(b, [1, b.size]));
}
