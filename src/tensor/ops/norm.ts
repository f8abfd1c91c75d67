import { record } from '../autograd';
import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { kernels as K } from '../kernels/backend';
import { bool, checkArg, nonNeg, num, parseOptions } from '../options';
import { describe, sameShape, sizeOf } from '../shape';
import { Tensor } from '../tensor';

/** Options of {@link batchNorm}; names and defaults are PyTorch's `F.batch_norm`. */
export interface BatchNormOptions {
  /** Normalize with this batch's statistics and update the running ones (default false: use the running statistics). */
  training?: boolean;
  /** Weight of the new batch in the running statistics (default 0.1). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

const BATCH_NORM_SPEC = { training: bool, momentum: num(), eps: nonNeg };

function optTensor(op: string, name: string, t: unknown): Tensor | null {
  if (t === undefined || t === null) return null;
  if (!(t instanceof Tensor)) throw new ArgumentError(`${op}: ${name} must be a Tensor or null, got ${describe(t)}`);
  return t;
}

/**
 * Layer normalization over the trailing dims: y = (x − E[x]) / √(Var[x] + eps) · weight + bias,
 * with E and the biased Var taken over the last `normalizedShape.length` dims of each sample.
 * Shapes: x (…, *normalizedShape) → y of the same shape; weight and bias (normalizedShape) or null.
 * Gradient: with n̂ the normalized x, g = dy ⊙ weight and means over the normalized dims:
 * dx = (g − mean(g) − n̂ · mean(g ⊙ n̂)) / √(Var[x] + eps); dweight = Σ dy ⊙ n̂; dbias = Σ dy.
 * @example
 * // mean 2, biased variance 2/3: (x − 2)/√(2/3 + 1e−5)
 * layerNorm(tensor([[1, 2, 3]]), [3]).toArray(); // [-1.2247357, 0, 1.2247357]
 * @throws ShapeError if x's trailing dims are not `normalizedShape`, or weight/bias have another shape.
 * @throws ArgumentError for an empty `normalizedShape` or a negative or non-finite `eps`.
 * @see Ba, Kiros and Hinton, "Layer Normalization" (2016), https://arxiv.org/abs/1607.06450
 * @category Neural network ops
 */
export function layerNorm(
  x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5,
): Tensor {
  const op = 'layerNorm';
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(x)}`);
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(ns) || ns.length === 0) {
    throw new ArgumentError(`${op}: normalizedShape must be a positive integer or a non-empty array of them, got ${describe(normalizedShape)}`);
  }
  checkArg(op, 'eps', eps, nonNeg);
  const k = ns.length;
  if (k > x.ndim || !sameShape(x.shape.slice(x.ndim - k), ns)) {
    throw new ShapeError(`${op}: x ${fmtShape(x.shape)} must end with normalizedShape ${fmtShape(ns)}`);
  }
  const w = optTensor(op, 'weight', weight);
  const b = optTensor(op, 'bias', bias);
  if (w !== null && !sameShape(w.shape, ns)) throw new ShapeError(`${op}: weight ${fmtShape(w.shape)} must have normalizedShape ${fmtShape(ns)} (x ${fmtShape(x.shape)})`);
  if (b !== null && !sameShape(b.shape, ns)) throw new ShapeError(`${op}: bias ${fmtShape(b.shape)} must have normalizedShape ${fmtShape(ns)} (x ${fmtShape(x.shape)})`);
  const C = sizeOf(ns);
  const B = sizeOf(x.shape.slice(0, x.ndim - k));
  const out = Tensor.empty(x.shape);
  const mean = new Float32Array(B);
  const rstd = new Float32Array(B);
  K.layerNormForward(out.data, mean, rstd, x.data, w === null ? null : w.data, b === null ? null : b.data, eps, B, C);
  const inputs = [x];
  if (w !== null) inputs.push(w);
  if (b !== null) inputs.push(b);
  return record(op, out, inputs, (dy) => {
    K.layerNormBackward(
      x.requiresGrad ? x.gradBuffer() : null,
      w !== null && w.requiresGrad ? w.gradBuffer() : null,
      b !== null && b.requiresGrad ? b.gradBuffer() : null,
      dy, x.data, w === null ? null : w.data, mean, rstd, B, C,
    );
  }, { normalizedShape: ns.slice(), eps, weight: w !== null, bias: b !== null });
}

/**
 * Batch normalization per channel (axis 1): y = (x − μ_c) / √(σ²_c + eps) · weight[c] + bias[c].
 * In training mode μ and σ² are this batch's mean and biased variance over every axis but 1, and
 * the running statistics are updated IN PLACE: r ← (1 − momentum)·r + momentum·batch, the running
 * variance with the unbiased batch variance (as PyTorch). In eval mode (the default, as
 * `F.batch_norm`) μ and σ² are the running statistics, which stay untouched.
 * Shapes: x (N, C), (N, C, L) or (N, C, H, W) (any rank ≥ 2) → y of the same shape;
 * runningMean, runningVar, weight, bias (C), each may be null except the running statistics in eval mode.
 * Gradient: training, with x̂ the normalized x and sums over a channel's cnt = N·L values:
 * dx = weight·rstd·(dy − Σdy/cnt − x̂·Σ(dy·x̂)/cnt) (through the batch statistics); eval:
 * dx = weight·rstd·dy. dweight = Σ dy·x̂, dbias = Σ dy. The running statistics get no gradient.
 * The options may also be PyTorch's positional arguments `(training, momentum, eps)` after bias.
 * @example
 * const rm = zeros([1]), rv = ones([1]);
 * batchNorm(tensor([[1], [3]]), rm, rv, null, null, { training: true }).toArray(); // [-0.999995, 0.999995]
 * // updated in place from batch mean 2 and unbiased batch variance 2
 * rm.toArray(); // [0.2]
 * rv.toArray(); // [1.1]
 * @throws ShapeError if x has fewer than 2 dims, or a per-channel tensor is not of shape [C].
 * @throws ArgumentError when training with one value per channel ("Expected more than 1 value per
 * channel when training", as PyTorch), in eval mode without running statistics, or for a bad
 * momentum or eps.
 * @see Ioffe and Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing
 * Internal Covariate Shift" (2015), https://arxiv.org/abs/1502.03167
 * @category Neural network ops
 */
export function batchNorm(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight?: Tensor | null, bias?: Tensor | null,
  options: BatchNormOptions | boolean = {}, momentumArg?: number, epsArg?: number,
): Tensor {
  const op = 'batchNorm';
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(x)}`);
  const positional = momentumArg !== undefined || epsArg !== undefined;
  let given: unknown = options;
  if (typeof options === 'boolean' || (options === undefined && positional)) given = { training: options, momentum: momentumArg, eps: epsArg };
  else if (positional) throw new ArgumentError(`${op}: momentum and eps were given positionally after an options object; put them in the options`);
  const { training, momentum, eps } = { training: false, momentum: 0.1, eps: 1e-5, ...parseOptions(op, given, BATCH_NORM_SPEC) };
  if (x.ndim < 2) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} must be (N, C), (N, C, L) or (N, C, H, W)`);
  const N = x.shape[0], C = x.shape[1], L = sizeOf(x.shape.slice(2));
  const rm = optTensor(op, 'runningMean', runningMean);
  const rv = optTensor(op, 'runningVar', runningVar);
  const w = optTensor(op, 'weight', weight);
  const b = optTensor(op, 'bias', bias);
  const perChannel: [string, Tensor | null][] = [['runningMean', rm], ['runningVar', rv], ['weight', w], ['bias', b]];
  for (const [name, t] of perChannel) {
    if (t !== null && !(t.ndim === 1 && t.shape[0] === C)) {
      throw new ShapeError(`${op}: ${name} ${fmtShape(t.shape)} must have shape [${C}], one value per channel of x ${fmtShape(x.shape)}`);
    }
  }
  if ((rm === null) !== (rv === null)) throw new ArgumentError(`${op}: pass both runningMean and runningVar or neither`);
  const isTraining = training;
  const mean = new Float32Array(C);
  const rstd = new Float32Array(C);
  if (isTraining) {
    const cnt = N * L;
    if (cnt <= 1) throw new ArgumentError(`${op}: Expected more than 1 value per channel when training, got input size ${fmtShape(x.shape)}`);
    const variance = new Float32Array(C);
    K.batchNormStats(mean, variance, x.data, N, C, L);
    for (let c = 0; c < C; c++) rstd[c] = 1 / Math.sqrt(variance[c] + eps);
    if (rm !== null && rv !== null) K.batchNormUpdateRunning(rm.data, rv.data, mean, variance, momentum, cnt, C);
  } else {
    if (rm === null || rv === null) throw new ArgumentError(`${op}: eval mode (training false) needs runningMean and runningVar`);
    // Copies: a later training step updates the running buffers in place before this backward may run.
    mean.set(rm.data);
    for (let c = 0; c < C; c++) rstd[c] = 1 / Math.sqrt(rv.data[c] + eps);
  }
  const out = Tensor.empty(x.shape);
  K.batchNormForward(out.data, x.data, mean, rstd, w === null ? null : w.data, b === null ? null : b.data, N, C, L);
  const inputs = [x];
  if (w !== null) inputs.push(w);
  if (b !== null) inputs.push(b);
  return record(op, out, inputs, (dy) => {
    K.batchNormBackward(
      x.requiresGrad ? x.gradBuffer() : null,
      w !== null && w.requiresGrad ? w.gradBuffer() : null,
      b !== null && b.requiresGrad ? b.gradBuffer() : null,
      dy, x.data, mean, rstd, w === null ? null : w.data, isTraining, N, C, L,
    );
  }, { training: isTraining, momentum, eps, weight: w !== null, bias: b !== null });
}
