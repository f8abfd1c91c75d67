import { record } from '../autograd';
import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { kernels as K } from '../kernels/backend';
import {
  arrayOf, badValue, bool, int, num, oneOf, parseOptions, positive, type Check,
} from '../options';
import { broadcastStrides, describe, sameShape, sizeOf, fmtPosition } from '../shape';
import { Tensor } from '../tensor';
import type { Indices } from './index';
import { classLayout, toClassIndices, type Reduction } from './softmax';

// The fused losses: each validates, calls its kernel pair (kernels/losses.ts) and records its
// hand-written backward, like every op. Their public home is nn/losses.ts (torch.nn.functional),
// which re-exports them with crossEntropy (fused with logSoftmax in ops/softmax.ts).

/** Options of the element-wise losses ({@link mseLoss}, {@link l1Loss}). */
export interface LossOptions {
  /** 'mean' (default) over all elements, 'sum', or 'none' (one loss per element). */
  reduction?: Reduction;
}

/** Options of {@link huberLoss}. */
export interface HuberLossOptions extends LossOptions {
  /** δ > 0 where the loss turns from quadratic to linear (default 1). */
  delta?: number;
}

/** Per-class or per-element weights: a tensor, or a flat array read as a 1-D tensor. Never differentiated. */
export type LossWeight = Tensor | Float32Array | readonly number[];

/** Options of {@link nllLoss}; the names and defaults are PyTorch's `F.nll_loss`. */
export interface NllLossOptions extends LossOptions {
  /** Per-class weights, length C (default: all 1). */
  weight?: LossWeight | null;
  /** Targets equal to this contribute no loss and no gradient (default −100). */
  ignoreIndex?: number;
}

/** Options of {@link binaryCrossEntropy}. */
export interface BinaryCrossEntropyOptions extends LossOptions {
  /** Weights broadcast to the input's shape (default: all 1). */
  weight?: LossWeight | null;
}

/** Options of {@link binaryCrossEntropyWithLogits}. */
export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  /**
   * Weight p of the positive term, broadcast to the input's shape like PyTorch's `pos_weight`: a
   * [C] tensor weights the classes of the last axis of an (N, C) input (default: all 1).
   */
  posWeight?: LossWeight | null;
}

/** How {@link klDiv} combines its elements: {@link Reduction} or 'batchmean' (sum / batch size). */
export type KlDivReduction = Reduction | 'batchmean';

/** Options of {@link klDiv}. */
export interface KlDivOptions {
  /** 'mean' (default; over all elements, as PyTorch), 'batchmean' (the true KL per sample), 'sum' or 'none'. */
  reduction?: KlDivReduction;
  /** The target is given as log-probabilities (default false: as probabilities). */
  logTarget?: boolean;
}

// ──────────────────────────────── validation ────────────────────────────────

const REDUCTION = oneOf<Reduction>(['mean', 'sum', 'none']);

/** A {@link LossWeight} or null: a Tensor, a Float32Array, or an array of numbers. */
const lossWeight: Check<LossWeight | null> = (v, name, op) => {
  if (v === null || v instanceof Tensor || v instanceof Float32Array) return v;
  if (Array.isArray(v)) return arrayOf(num({ nonFinite: true }))(v, name, op);
  throw badValue(op, name, 'a Tensor, Float32Array or number[]', v);
};

const LOSS_SPEC = { reduction: REDUCTION };
const HUBER_SPEC = { reduction: REDUCTION, delta: positive };
const NLL_SPEC = { reduction: REDUCTION, weight: lossWeight, ignoreIndex: int({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }) };
const BCE_SPEC = { reduction: REDUCTION, weight: lossWeight };
const BCE_LOGITS_SPEC = { reduction: REDUCTION, weight: lossWeight, posWeight: lossWeight };
const KL_SPEC = { reduction: oneOf<KlDivReduction>(['mean', 'batchmean', 'sum', 'none']), logTarget: bool };

/** Both must be tensors of one shape: PyTorch broadcasts them with a warning, which hides bugs such as [N] against [N, 1]. */
function checkPair(op: string, inp: unknown, target: unknown, names: [string, string]): asserts inp is Tensor {
  if (!(inp instanceof Tensor)) throw new ArgumentError(`${op}: ${names[0]} must be a Tensor, got ${describe(inp)}`);
  if (!(target instanceof Tensor)) throw new ArgumentError(`${op}: ${names[1]} must be a Tensor, got ${describe(target)}`);
  if (!sameShape(inp.shape, target.shape)) {
    throw new ShapeError(`${op}: ${names[0]} ${fmtShape(inp.shape)} and ${names[1]} ${fmtShape(target.shape)} must have the same shape (reshape or expand one of them explicitly)`);
  }
}

/** Loss output and backward closure shared by the element-wise losses: scale is 1/N for 'mean'. */
function finish(
  op: string, reduction: Reduction, shape: readonly number[], scale: number, inputs: Tensor[],
  forward: (out: Float32Array | null) => number,
  backward: (dy: Float32Array, D: number, scale: number) => void,
): Tensor {
  const none = reduction === 'none';
  const out = Tensor.empty(none ? shape : []);
  const total = forward(none ? out.data : null);
  if (!none) out.data[0] = total * scale;
  return record(op, out, inputs, (dy) => backward(dy, none ? 1 : 0, scale));
}

function meanScale(reduction: Reduction, N: number): number {
  // An empty input gives 0 · ∞ = NaN for 'mean', as PyTorch.
  return reduction === 'mean' ? 1 / N : 1;
}

/** A checked `weight` as its shape and values; null when not given. */
function weightSource(w: LossWeight | null): { data: Float32Array; shape: readonly number[] } | null {
  if (w === null) return null;
  if (w instanceof Tensor) return { data: w.data, shape: w.shape };
  return { data: w instanceof Float32Array ? w : Float32Array.from(w), shape: [w.length] };
}

/** `w` broadcast (NumPy rules) to exactly `shape` and made contiguous; null if not given. */
function broadcastWeight(op: string, name: string, w: LossWeight | null, shape: readonly number[]): Float32Array | null {
  const src = weightSource(w);
  if (src === null) return null;
  const ws = src.shape;
  let fits = ws.length <= shape.length;
  for (let i = 0; fits && i < ws.length; i++) {
    const d = ws[ws.length - 1 - i];
    fits = d === 1 || d === shape[shape.length - 1 - i];
  }
  if (!fits) throw new ShapeError(`${op}: ${name} ${fmtShape(ws)} cannot be broadcast to the input's shape ${fmtShape(shape)}`);
  if (sameShape(ws, shape)) return src.data;
  const out = new Float32Array(sizeOf(shape));
  K.stridedCopy(out, src.data, 0, shape, broadcastStrides(ws, shape));
  return out;
}

// ───────────────────────────────── losses ─────────────────────────────────

/**
 * Mean squared error ℓᵢ = (xᵢ − yᵢ)², reduced by `reduction` (PyTorch's `F.mse_loss`).
 * Shapes: input (…) and target (…) of the same shape; out () or, for 'none', (…).
 * Gradient: dx = 2(x − y)·g = −dy(target), g the element's upstream gradient (÷ N for 'mean').
 * @example
 * // ((1 − 0)² + (2 − 4)²) / 2 = 2.5
 * mseLoss(tensor([1, 2]), tensor([0, 4])).item(); // 2.5
 * @throws ShapeError if the shapes differ; ArgumentError for an unknown or mistyped option (a reduction other than the three).
 * @see https://pytorch.org/docs/stable/generated/torch.nn.functional.mse_loss.html
 * @category Losses
 */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const op = 'mseLoss';
  const { reduction = 'mean' } = parseOptions(op, options, LOSS_SPEC);
  checkPair(op, input, target, ['input', 'target']);
  const N = input.size;
  return finish(op, reduction, input.shape, meanScale(reduction, N), [input, target],
    (out) => K.mseForward(out, input.data, target.data, N),
    (dy, D, s) => K.mseBackward(input.requiresGrad ? input.gradBuffer() : null, target.requiresGrad ? target.gradBuffer() : null, dy, D, s, input.data, target.data, N));
}

/**
 * Mean absolute error ℓᵢ = |xᵢ − yᵢ|, reduced by `reduction` (PyTorch's `F.l1_loss`).
 * Shapes: input (…) and target (…) of the same shape; out () or, for 'none', (…).
 * Gradient: dx = sign(x − y)·g = −dy(target), and 0 where x = y (as PyTorch).
 * @example
 * // |1 − 0| + |2 − 4| = 3
 * l1Loss(tensor([1, 2]), tensor([0, 4]), { reduction: 'sum' }).item(); // 3
 * @throws ShapeError if the shapes differ; ArgumentError for an unknown or mistyped option (a reduction other than the three).
 * @see https://pytorch.org/docs/stable/generated/torch.nn.functional.l1_loss.html
 * @category Losses
 */
export function l1Loss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const op = 'l1Loss';
  const { reduction = 'mean' } = parseOptions(op, options, LOSS_SPEC);
  checkPair(op, input, target, ['input', 'target']);
  const N = input.size;
  return finish(op, reduction, input.shape, meanScale(reduction, N), [input, target],
    (out) => K.l1Forward(out, input.data, target.data, N),
    (dy, D, s) => K.l1Backward(input.requiresGrad ? input.gradBuffer() : null, target.requiresGrad ? target.gradBuffer() : null, dy, D, s, input.data, target.data, N));
}

/**
 * Huber loss ℓᵢ = ½dᵢ² if |dᵢ| < δ, else δ·(|dᵢ| − ½δ), with d = x − y (PyTorch's `F.huber_loss`;
 * `smooth_l1_loss` with β is huberLoss with δ = β divided by β). Quadratic near 0, linear in the
 * tails, and continuously differentiable at |d| = δ.
 * Shapes: input (…) and target (…) of the same shape; out () or, for 'none', (…).
 * Gradient: dx = clamp(d, −δ, δ)·g = −dy(target): exactly ±δ·g at |d| = δ, 0 at d = 0.
 * @example
 * // d = [0.5, −3]: ½·0.5² = 0.125 and 1·(3 − ½) = 2.5
 * huberLoss(tensor([0.5, -3]), tensor([0, 0]), { reduction: 'none' }).toArray(); // [0.125, 2.5]
 * @throws ShapeError if the shapes differ; ArgumentError for δ that is not a finite number > 0, or an unknown or mistyped option.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.functional.huber_loss.html
 * @category Losses
 */
export function huberLoss(input: Tensor, target: Tensor, options: HuberLossOptions = {}): Tensor {
  const op = 'huberLoss';
  const { reduction = 'mean', delta = 1 } = parseOptions(op, options, HUBER_SPEC);
  checkPair(op, input, target, ['input', 'target']);
  const N = input.size;
  return finish(op, reduction, input.shape, meanScale(reduction, N), [input, target],
    (out) => K.huberForward(out, input.data, target.data, delta, N),
    (dy, D, s) => K.huberBackward(input.requiresGrad ? input.gradBuffer() : null, target.requiresGrad ? target.gradBuffer() : null, dy, D, s, input.data, target.data, delta, N));
}

/**
 * Negative log-likelihood of class-index targets given log-probabilities (PyTorch's `F.nll_loss`):
 * ℓₙ = −w[tₙ]·logProbs[n, tₙ], and 0 where tₙ = ignoreIndex. 'mean' divides the sum by
 * Σₙ w[tₙ] over the items not ignored (their count when unweighted), so a batch in which every
 * item is ignored gives NaN, as PyTorch. `nllLoss(logSoftmax(x, 1), t)` equals
 * `crossEntropy(x, t)`; prefer the fused {@link crossEntropy} for logits.
 * Shapes: logProbs (N, C), (N, C, d₁, …) with the classes on axis 1, or (C) unbatched; target the
 * shape without the class axis — (N), (N, d₁, …) or () — holding exact integers (a float tensor,
 * an `Int32Array` or a `number[]`, flat arrays read row-major); out () or, for 'none', the
 * target's shape.
 * Gradient: d logProbs[n, tₙ] = −w[tₙ]·g (÷ Σ w[tₙ] for 'mean'), 0 at every other class and at
 * ignored items. `weight` gets no gradient.
 * @example
 * // −(ln 0.5 + ln 0.25) / 2 = 1.5 ln 2
 * nllLoss(log(tensor([[0.5, 0.5], [0.75, 0.25]])), [0, 1]).item(); // 1.0397208
 * @throws ShapeError if logProbs is a scalar, the target does not have logProbs' shape without the
 * class axis, or `weight` does not have length C.
 * @throws ArgumentError for a target that is not an integer in [0, C) nor `ignoreIndex` (naming
 * the value and its position), or an unknown or mistyped option.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.functional.nll_loss.html
 * @category Losses
 */
export function nllLoss(logProbs: Tensor, target: Indices, options: NllLossOptions = {}): Tensor {
  const op = 'nllLoss';
  const { weight = null, ignoreIndex = -100, reduction = 'mean' } = parseOptions(op, options, NLL_SPEC);
  if (!(logProbs instanceof Tensor)) throw new ArgumentError(`${op}: logProbs must be a Tensor, got ${describe(logProbs)}`);
  const { C, O, I, M, itemShape } = classLayout(logProbs, op, 'logProbs');
  const shape = logProbs.shape;

  let w: Float32Array | null = null;
  const ws = weightSource(weight);
  if (ws !== null) {
    if (ws.shape.length !== 1 || ws.shape[0] !== C) {
      throw new ShapeError(`${op}: weight ${fmtShape(ws.shape)} must have shape [${C}], one weight per class of logProbs ${fmtShape(shape)}`);
    }
    w = ws.data;
  }

  const t = toClassIndices(op, 'logProbs', target, C, ignoreIndex, itemShape, M, shape);

  const wt = new Float32Array(M);
  const none = reduction === 'none';
  const out = Tensor.empty(none ? itemShape : []);
  const total = K.nllForward(none ? out.data : null, wt, logProbs.data, t, w, ignoreIndex, O, C, I);
  const den = reduction === 'mean' ? K.sum64(wt, M) : 1;
  const scale = 1 / den;
  if (!none) out.data[0] = total / den;
  return record(op, out, [logProbs], (dy) => {
    if (logProbs.requiresGrad) K.nllBackward(logProbs.gradBuffer(), dy, none ? 1 : 0, scale, t, w, ignoreIndex, O, C, I);
  });
}

/**
 * Binary cross-entropy of probabilities (PyTorch's `F.binary_cross_entropy`):
 * ℓᵢ = −wᵢ·(yᵢ·ln xᵢ + (1 − yᵢ)·ln(1 − xᵢ)), each logarithm clamped at −100 as PyTorch, so x = 0
 * or 1 gives a finite loss (at most 100·w). Prefer {@link binaryCrossEntropyWithLogits}: it is
 * exact where the sigmoid saturates. Targets may be soft (any value in [0, 1]).
 * Shapes: probs (…) and target (…) of the same shape; weight broadcast to it; out () or, for
 * 'none', (…).
 * Gradient: dx = w·(x − y) / max(x(1 − x), 10⁻¹²)·g (PyTorch's clamp: finite, up to ±10¹²·w·g,
 * at x = 0 or 1; 0 where x = y ∈ {0, 1}); d target = w·(ln(1 − x) − ln x)·g with the clamped logs.
 * `weight` gets no gradient.
 * @example
 * // −(ln 0.8 + ln(1 − 0.4)) / 2 = 0.36698
 * binaryCrossEntropy(tensor([0.8, 0.4]), tensor([1, 0])).item(); // 0.36698458
 * @throws ShapeError if probs and target differ in shape, or weight does not broadcast to it.
 * @throws ArgumentError for a probability or a target outside [0, 1] (naming it; NaN propagates
 * instead), or an unknown or mistyped option.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.functional.binary_cross_entropy.html
 * @category Losses
 */
export function binaryCrossEntropy(probs: Tensor, target: Tensor, options: BinaryCrossEntropyOptions = {}): Tensor {
  const op = 'binaryCrossEntropy';
  const { weight = null, reduction = 'mean' } = parseOptions(op, options, BCE_SPEC);
  checkPair(op, probs, target, ['probs', 'target']);
  const N = probs.size;
  const x = probs.data;
  const bad = K.firstOutside(x, 0, 1, N);
  if (bad >= 0) {
    throw new ArgumentError(`${op}: probs[${fmtPosition(bad, probs.shape)}] = ${x[bad]} is outside [0, 1] (probs ${fmtShape(probs.shape)}); for logits use binaryCrossEntropyWithLogits`);
  }
  const badT = K.firstOutside(target.data, 0, 1, N);
  if (badT >= 0) {
    throw new ArgumentError(`${op}: target[${fmtPosition(badT, target.shape)}] = ${target.data[badT]} is outside [0, 1] (target ${fmtShape(target.shape)}); targets are probabilities`);
  }
  const w = broadcastWeight(op, 'weight', weight, probs.shape);
  return finish(op, reduction, probs.shape, meanScale(reduction, N), [probs, target],
    (out) => K.bceForward(out, x, target.data, w, N),
    (dy, D, s) => K.bceBackward(probs.requiresGrad ? probs.gradBuffer() : null, target.requiresGrad ? target.gradBuffer() : null, dy, D, s, x, target.data, w, N));
}

/**
 * Binary cross-entropy of logits, σ fused in (PyTorch's `F.binary_cross_entropy_with_logits`):
 * ℓᵢ = wᵢ·((1 − zᵢ)·xᵢ + (1 + (pᵢ − 1)·zᵢ)·softplus(−xᵢ)), p the positive weight (default 1),
 * computed as w·(max(x, 0) − x·z + log1p(e^(−|x|)) + (p − 1)·z·softplus(−x)): exact for any
 * finite logit, e.g. x = ±1e4. p > 1 raises recall, p < 1 precision (p = #negatives / #positives
 * balances the classes).
 * Shapes: logits (…) and target (…) of the same shape; weight and posWeight broadcast to it (a
 * [C] posWeight weights the last axis, the classes of an (N, C) multi-label input); out () or,
 * for 'none', (…).
 * Gradient: dx = w·((1 + (p − 1)·z)·σ(x) − p·z)·g, i.e. w·(σ(x) − z)·g when p = 1; d target =
 * w·((p − 1)·softplus(−x) − x)·g. `weight` and `posWeight` get no gradient.
 * @example
 * // x = 0: ln 2 for either target; x = 1e4, z = 0: 1e4 (no overflow)
 * binaryCrossEntropyWithLogits(tensor([0, 1e4]), tensor([1, 0]), { reduction: 'none' }).toArray(); // [0.6931472, 10000]
 * @throws ShapeError if logits and target differ in shape, or weight or posWeight does not
 * broadcast to it.
 * @throws ArgumentError for an unknown or mistyped option (a reduction other than the three).
 * @see https://pytorch.org/docs/stable/generated/torch.nn.functional.binary_cross_entropy_with_logits.html
 * @category Losses
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, options: BinaryCrossEntropyWithLogitsOptions = {}): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  const { weight = null, posWeight = null, reduction = 'mean' } = parseOptions(op, options, BCE_LOGITS_SPEC);
  checkPair(op, logits, target, ['logits', 'target']);
  const N = logits.size;
  const w = broadcastWeight(op, 'weight', weight, logits.shape);
  const pw = broadcastWeight(op, 'posWeight', posWeight, logits.shape);
  return finish(op, reduction, logits.shape, meanScale(reduction, N), [logits, target],
    (out) => K.bceLogitsForward(out, logits.data, target.data, w, pw, N),
    (dy, D, s) => K.bceLogitsBackward(logits.requiresGrad ? logits.gradBuffer() : null, target.requiresGrad ? target.gradBuffer() : null, dy, D, s, logits.data, target.data, w, pw, N));
}

/**
 * Kullback–Leibler divergence KL(target ‖ p) with `input` = ln p (log-probabilities, e.g. from
 * {@link logSoftmax}), as PyTorch's `F.kl_div`: ℓᵢ = tᵢ·(ln tᵢ − xᵢ) with 0·ln 0 = 0, or, with
 * `logTarget`, ℓᵢ = e^{tᵢ}·(tᵢ − xᵢ). Reductions: 'mean' averages over ALL elements, as PyTorch
 * does, which is the KL divided by the number of classes too; 'batchmean' divides the sum by the
 * batch size input.shape[0] (the sum for a scalar) and is the mathematically correct mean KL per
 * sample — use it. 'sum' and 'none' as usual.
 * Shapes: input (…) and target (…) of the same shape, usually (N, C) with distributions on the
 * last axis; out () or, for 'none', (…).
 * Gradient: dx = −t·g (−e^t·g with logTarget); d target = (ln t + 1 − x)·g, −∞ at t = 0 where
 * the one-sided derivative is (PyTorch gives NaN there), or e^t·(t − x + 1)·g with logTarget.
 * @example
 * // KL([0.5, 0.5] ‖ [0.25, 0.75]) = 0.5 ln 2 + 0.5 ln(2/3) = 0.5 ln(4/3)
 * klDiv(log(tensor([[0.25, 0.75]])), tensor([[0.5, 0.5]]), { reduction: 'batchmean' }).item(); // 0.14384104
 * @throws ShapeError if the shapes differ; ArgumentError for an unknown or mistyped option (a
 * non-boolean `logTarget`).
 * @see https://pytorch.org/docs/stable/generated/torch.nn.functional.kl_div.html
 * @category Losses
 */
export function klDiv(input: Tensor, target: Tensor, options: KlDivOptions = {}): Tensor {
  const op = 'klDiv';
  const { reduction = 'mean', logTarget = false } = parseOptions(op, options, KL_SPEC);
  checkPair(op, input, target, ['input', 'target']);
  const N = input.size;
  const scale = reduction === 'batchmean' ? (input.ndim === 0 ? 1 : 1 / input.shape[0]) : meanScale(reduction, N);
  return finish(op, reduction === 'batchmean' ? 'sum' : reduction, input.shape, scale, [input, target],
    (out) => K.klDivForward(out, input.data, target.data, logTarget, N),
    (dy, D, s) => K.klDivBackward(input.requiresGrad ? input.gradBuffer() : null, target.requiresGrad ? target.gradBuffer() : null, dy, D, s, input.data, target.data, logTarget, N));
}
