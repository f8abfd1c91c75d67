import { record } from '../autograd';
import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { kernels as K } from '../kernels/backend';
import { int, nullable, parseOptions } from '../options';
import { describe } from '../shape';
import { Tensor } from '../tensor';
import { toIndexArray, type Indices } from './index';

const EMBEDDING_SPEC = { paddingIdx: nullable(int()) };

/** Options of {@link embedding}. */
export interface EmbeddingOptions {
  /** A row whose lookups get no gradient (PyTorch's `padding_idx`; negative counts from the end). */
  paddingIdx?: number | null;
}


/**
 * Embedding lookup: out[…, :] = weight[indices[…], :], one row of the table per index.
 * Shapes: indices (…) of integers in [0, V) (a tensor of exact integers, an `Int32Array` or a
 * `number[]`), weight (V, D) → out (…, D).
 * Gradient: dweight[v] = Σ over the positions holding v of dout (a scatter-add; repeats
 * accumulate), except row `paddingIdx`, which gets none. Indices get no gradient.
 * PyTorch's positional `embedding(indices, weight, paddingIdx)` is accepted for `{ paddingIdx }`.
 * @example
 * embedding([2, 0], tensor([[0, 1], [2, 3], [4, 5]])).tolist(); // [[4, 5], [0, 1]]
 * @throws ArgumentError naming the first index that is not an integer in [0, V), or a
 * `paddingIdx` outside [−V, V).
 * @throws ShapeError if weight is not 2-D.
 * @category Neural network ops
 */
export function embedding(indices: Indices, weight: Tensor, options: EmbeddingOptions | number | null = {}): Tensor {
  const op = 'embedding';
  if (!(weight instanceof Tensor)) throw new ArgumentError(`${op}: weight must be a Tensor, got ${describe(weight)}`);
  if (weight.ndim !== 2) throw new ShapeError(`${op}: weight ${fmtShape(weight.shape)} must be 2-D (V, D)`);
  const [V, D] = weight.shape;
  // PyTorch's F.embedding(input, weight, padding_idx) takes paddingIdx positionally.
  const given = typeof options === 'number' || options === null ? { paddingIdx: options } : options;
  const { paddingIdx } = { paddingIdx: null, ...parseOptions(op, given, EMBEDDING_SPEC) };
  let pad = -1;
  if (paddingIdx !== null) {
    if (paddingIdx < -V || paddingIdx >= V) {
      throw new ArgumentError(`${op}: paddingIdx ${describe(paddingIdx)} must be an integer in [${-V}, ${V - 1}] for weight ${fmtShape(weight.shape)}`);
    }
    pad = paddingIdx < 0 ? paddingIdx + V : paddingIdx;
  }
  const { idx, shape } = toIndexArray(indices, V, op, 'indices', { negative: false, context: ` for weight ${fmtShape(weight.shape)}` });
  const N = idx.length;
  const out = Tensor.empty([...shape, D]);
  K.embeddingForward(out.data, weight.data, idx, N, D);
  return record(op, out, [weight], (dy) => {
    if (weight.requiresGrad) K.embeddingBackward(weight.gradBuffer(), dy, idx, pad, N, D);
  }, { paddingIdx: pad < 0 ? null : pad });
}
