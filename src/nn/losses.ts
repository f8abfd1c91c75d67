import { record } from '../tensor/autograd';
import { ArgumentError, ShapeError, fmtShape } from '../tensor/errors';
import type { Indices } from '../tensor/ops/index';
import { toClassIndices, type Reduction } from '../tensor/ops/softmax';
import { broadcastStrides, describe, sameShape, sizeOf, fmtPosition } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

// The fused cross-entropy lives in the tensor core (one kernel pair with logSoftmax); nn users find it here too.
export { crossEntropy, type CrossEntropyOptions, type Reduction } from '../tensor/ops/softmax';

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

// ───────────────────────────────── kernels ─────────────────────────────────
// Forward kernels write the per-element loss into `out` when it is given ('none') and return the
// float64 sum of the losses. Backward kernels ACCUMULATE into dinp / dtarget (either may be null):
// element i gets scale · dy[i · D] · ∂ℓᵢ, with D = 1 for 'none' and 0 for a reduced loss.
// Shapes: out, inp, target, weight, posWeight (N); weight and posWeight are null or pre-broadcast.

/** ℓ = (x − y)². */
function mseForward(out: Float32Array | null, inp: Float32Array, target: Float32Array, N: number): number {
  let acc = 0;
  for (let i = 0; i < N; i++) {
    const d = inp[i] - target[i];
    const l = d * d;
    if (out !== null) out[i] = l;
    acc += l;
  }
  return acc;
}

/** ∂ℓ/∂x = 2(x − y) = −∂ℓ/∂y. */
function mseBackward(
  dinp: Float32Array | null, dtarget: Float32Array | null, dy: Float32Array, D: number, scale: number,
  inp: Float32Array, target: Float32Array, N: number,
): void {
  for (let i = 0; i < N; i++) {
    const g = 2 * scale * dy[i * D] * (inp[i] - target[i]);
    if (dinp !== null) dinp[i] += g;
    if (dtarget !== null) dtarget[i] -= g;
  }
}

/** ℓ = |x − y|. */
function l1Forward(out: Float32Array | null, inp: Float32Array, target: Float32Array, N: number): number {
  let acc = 0;
  for (let i = 0; i < N; i++) {
    const l = Math.abs(inp[i] - target[i]);
    if (out !== null) out[i] = l;
    acc += l;
  }
  return acc;
}

/** ∂ℓ/∂x = sign(x − y) = −∂ℓ/∂y, 0 at x = y (as PyTorch); NaN stays NaN. */
function l1Backward(
  dinp: Float32Array | null, dtarget: Float32Array | null, dy: Float32Array, D: number, scale: number,
  inp: Float32Array, target: Float32Array, N: number,
): void {
  for (let i = 0; i < N; i++) {
    const d = inp[i] - target[i];
    const s = d > 0 ? 1 : d < 0 ? -1 : d * 0;
    const g = scale * dy[i * D] * s;
    if (dinp !== null) dinp[i] += g;
    if (dtarget !== null) dtarget[i] -= g;
  }
}

/** ℓ = ½d² for |d| < δ, δ(|d| − ½δ) otherwise, d = x − y. */
function huberForward(out: Float32Array | null, inp: Float32Array, target: Float32Array, delta: number, N: number): number {
  let acc = 0;
  for (let i = 0; i < N; i++) {
    const d = inp[i] - target[i];
    const a = Math.abs(d);
    const l = a < delta ? 0.5 * d * d : delta * (a - 0.5 * delta);
    if (out !== null) out[i] = l;
    acc += l;
  }
  return acc;
}

/** ∂ℓ/∂x = clamp(d, −δ, δ) = −∂ℓ/∂y; continuous at |d| = δ, where it is ±δ. */
function huberBackward(
  dinp: Float32Array | null, dtarget: Float32Array | null, dy: Float32Array, D: number, scale: number,
  inp: Float32Array, target: Float32Array, delta: number, N: number,
): void {
  for (let i = 0; i < N; i++) {
    const d = inp[i] - target[i];
    const c = d > delta ? delta : d < -delta ? -delta : d;
    const g = scale * dy[i * D] * c;
    if (dinp !== null) dinp[i] += g;
    if (dtarget !== null) dtarget[i] -= g;
  }
}

/** ℓ = −w·(y·max(ln x, −100) + (1 − y)·max(ln(1 − x), −100)). */
function bceForward(
  out: Float32Array | null, inp: Float32Array, target: Float32Array, weight: Float32Array | null, N: number,
): number {
  let acc = 0;
  for (let i = 0; i < N; i++) {
    const x = inp[i], y = target[i];
    const lx = Math.max(Math.log(x), -100);
    const l1x = Math.max(Math.log1p(-x), -100);
    let l = (y - 1) * l1x - y * lx;
    if (weight !== null) l *= weight[i];
    if (out !== null) out[i] = l;
    acc += l;
  }
  return acc;
}

/**
 * ∂ℓ/∂x = w·(x − y) / max(x(1 − x), 1e−12) (PyTorch's clamp, so x ∈ {0, 1} gives a finite
 * gradient, up to ±1e12); ∂ℓ/∂y = w·(max(ln(1 − x), −100) − max(ln x, −100)).
 */
function bceBackward(
  dinp: Float32Array | null, dtarget: Float32Array | null, dy: Float32Array, D: number, scale: number,
  inp: Float32Array, target: Float32Array, weight: Float32Array | null, N: number,
): void {
  for (let i = 0; i < N; i++) {
    const x = inp[i], y = target[i];
    const g = weight === null ? scale * dy[i * D] : scale * dy[i * D] * weight[i];
    if (dinp !== null) dinp[i] += (g * (x - y)) / Math.max((1 - x) * x, 1e-12);
    if (dtarget !== null) dtarget[i] += g * (Math.max(Math.log1p(-x), -100) - Math.max(Math.log(x), -100));
  }
}

/**
 * ℓ = w·(max(x, 0) − x·z + log1p(e^(−|x|)) + (p − 1)·z·softplus(−x)), which is
 * w·((1 − z)·x + (1 + (p − 1)·z)·softplus(−x)) without the cancellation for large |x|.
 */
function bceLogitsForward(
  out: Float32Array | null, inp: Float32Array, target: Float32Array, weight: Float32Array | null,
  posWeight: Float32Array | null, N: number,
): number {
  let acc = 0;
  for (let i = 0; i < N; i++) {
    const x = inp[i], z = target[i];
    const lp = Math.log1p(Math.exp(-Math.abs(x)));
    let l = Math.max(x, 0) - x * z + lp;
    if (posWeight !== null) l += (posWeight[i] - 1) * z * (Math.max(-x, 0) + lp);
    if (weight !== null) l *= weight[i];
    if (out !== null) out[i] = l;
    acc += l;
  }
  return acc;
}

/** ∂ℓ/∂x = w·((1 + (p − 1)·z)·σ(x) − p·z); ∂ℓ/∂z = w·(−x + (p − 1)·softplus(−x)). */
function bceLogitsBackward(
  dinp: Float32Array | null, dtarget: Float32Array | null, dy: Float32Array, D: number, scale: number,
  inp: Float32Array, target: Float32Array, weight: Float32Array | null, posWeight: Float32Array | null, N: number,
): void {
  for (let i = 0; i < N; i++) {
    const x = inp[i], z = target[i];
    const g = weight === null ? scale * dy[i * D] : scale * dy[i * D] * weight[i];
    const p = posWeight === null ? 1 : posWeight[i];
    if (dinp !== null) {
      // σ(x) without overflow of e^(−x) for very negative x.
      const e = Math.exp(-Math.abs(x));
      const sig = x >= 0 ? 1 / (1 + e) : e / (1 + e);
      dinp[i] += g * ((1 + (p - 1) * z) * sig - p * z);
    }
    if (dtarget !== null) {
      const spNeg = Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
      dtarget[i] += g * ((p - 1) * spNeg - x);
    }
  }
}

/** ℓ = t·ln t − t·x (0·ln 0 = 0, PyTorch's xlogy), or e^t·(t − x) for log-targets. */
function klDivForward(out: Float32Array | null, inp: Float32Array, target: Float32Array, logTarget: boolean, N: number): number {
  let acc = 0;
  for (let i = 0; i < N; i++) {
    const x = inp[i], t = target[i];
    const l = logTarget ? Math.exp(t) * (t - x) : (t === 0 ? 0 : t * Math.log(t)) - t * x;
    if (out !== null) out[i] = l;
    acc += l;
  }
  return acc;
}

/** ∂ℓ/∂x = −t, ∂ℓ/∂t = ln t + 1 − x; for log-targets −e^t and e^t·(t − x + 1). */
function klDivBackward(
  dinp: Float32Array | null, dtarget: Float32Array | null, dy: Float32Array, D: number, scale: number,
  inp: Float32Array, target: Float32Array, logTarget: boolean, N: number,
): void {
  for (let i = 0; i < N; i++) {
    const x = inp[i], t = target[i];
    const g = scale * dy[i * D];
    if (logTarget) {
      const p = Math.exp(t);
      if (dinp !== null) dinp[i] -= g * p;
      if (dtarget !== null) dtarget[i] += g * p * (t - x + 1);
    } else {
      if (dinp !== null) dinp[i] -= g * t;
      if (dtarget !== null) dtarget[i] += g * (Math.log(t) + 1 - x);
    }
  }
}

/**
 * ℓ[o, i] = −w[t]·inp[o, t, i] with t = target[o, i]; 0 where t = ignoreIndex. Writes the item's
 * weight (0 if ignored) into wt and returns Σ ℓ. Shapes: out, wt, target (O·I), inp (O, C, I), weight (C).
 */
function nllForward(
  out: Float32Array | null, wt: Float32Array, inp: Float32Array, target: Int32Array, weight: Float32Array | null,
  ignoreIndex: number, O: number, C: number, I: number,
): number {
  let acc = 0;
  for (let o = 0; o < O; o++) {
    const inpRow = o * C * I;
    for (let i = 0; i < I; i++) {
      const m = o * I + i;
      const t = target[m];
      let l = 0;
      if (t !== ignoreIndex) {
        const w = weight === null ? 1 : weight[t];
        wt[m] = w;
        l = -w * inp[inpRow + t * I + i];
      }
      if (out !== null) out[m] = l;
      acc += l;
    }
  }
  return acc;
}

/** dinp[o, t, i] += −scale·dy[m·D]·w[t] at each item's target class only. */
function nllBackward(
  dinp: Float32Array, dy: Float32Array, D: number, scale: number, target: Int32Array, weight: Float32Array | null,
  ignoreIndex: number, O: number, C: number, I: number,
): void {
  for (let o = 0; o < O; o++) {
    const inpRow = o * C * I;
    for (let i = 0; i < I; i++) {
      const m = o * I + i;
      const t = target[m];
      if (t === ignoreIndex) continue;
      const w = weight === null ? 1 : weight[t];
      dinp[inpRow + t * I + i] -= scale * dy[m * D] * w;
    }
  }
}

// ──────────────────────────────── validation ────────────────────────────────

function optionsOf<T extends object>(op: string, options: T): T {
  if (typeof options !== 'object' || options === null) throw new ArgumentError(`${op}: options must be an object, got ${describe(options)}`);
  return options;
}

function checkReduction(op: string, reduction: unknown, batchmean = false): void {
  if (reduction === 'mean' || reduction === 'sum' || reduction === 'none' || (batchmean && reduction === 'batchmean')) return;
  const allowed = batchmean ? "'mean', 'batchmean', 'sum' or 'none'" : "'mean', 'sum' or 'none'";
  throw new ArgumentError(`${op}: reduction must be ${allowed}, got ${describe(reduction)}`);
}

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

/** `weight` read as a tensor shape and its values, or null. */
function weightSource(op: string, name: string, w: unknown): { data: ArrayLike<number>; shape: readonly number[] } | null {
  if (w === null || w === undefined) return null;
  if (w instanceof Tensor) return { data: w.data, shape: w.shape };
  if (w instanceof Float32Array) return { data: w, shape: [w.length] };
  if (Array.isArray(w)) {
    for (let i = 0; i < w.length; i++) {
      if (typeof w[i] !== 'number') throw new ArgumentError(`${op}: ${name}[${i}] must be a number, got ${describe(w[i])}`);
    }
    return { data: w as readonly number[], shape: [w.length] };
  }
  throw new ArgumentError(`${op}: ${name} must be a Tensor, Float32Array or number[], got ${describe(w)}`);
}

/** `w` broadcast (NumPy rules) to exactly `shape` and made contiguous; null if not given. */
function broadcastWeight(op: string, name: string, w: unknown, shape: readonly number[]): Float32Array | null {
  const src = weightSource(op, name, w);
  if (src === null) return null;
  const ws = src.shape;
  let fits = ws.length <= shape.length;
  for (let i = 0; fits && i < ws.length; i++) {
    const d = ws[ws.length - 1 - i];
    fits = d === 1 || d === shape[shape.length - 1 - i];
  }
  if (!fits) throw new ShapeError(`${op}: ${name} ${fmtShape(ws)} cannot be broadcast to the input's shape ${fmtShape(shape)}`);
  if (sameShape(ws, shape) && src.data instanceof Float32Array) return src.data;
  const st = broadcastStrides(ws, shape);
  const N = sizeOf(shape);
  const out = new Float32Array(N);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let off = 0;
  for (let k = 0; k < N; k++) {
    out[k] = src.data[off];
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      off += st[d];
      if (idx[d] < shape[d]) break;
      off -= st[d] * shape[d];
      idx[d] = 0;
    }
  }
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
 * @throws ShapeError if the shapes differ; ArgumentError for an unknown reduction.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.functional.mse_loss.html
 * @category Losses
 */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const op = 'mseLoss';
  const { reduction = 'mean' } = { ...optionsOf(op, options) };
  checkReduction(op, reduction);
  checkPair(op, input, target, ['input', 'target']);
  const N = input.size;
  return finish(op, reduction, input.shape, meanScale(reduction, N), [input, target],
    (out) => mseForward(out, input.data, target.data, N),
    (dy, D, s) => mseBackward(input.requiresGrad ? input.gradBuffer() : null, target.requiresGrad ? target.gradBuffer() : null, dy, D, s, input.data, target.data, N));
}

/**
 * Mean absolute error ℓᵢ = |xᵢ − yᵢ|, reduced by `reduction` (PyTorch's `F.l1_loss`).
 * Shapes: input (…) and target (…) of the same shape; out () or, for 'none', (…).
 * Gradient: dx = sign(x − y)·g = −dy(target), and 0 where x = y (as PyTorch).
 * @example
 * // |1 − 0| + |2 − 4| = 3
 * l1Loss(tensor([1, 2]), tensor([0, 4]), { reduction: 'sum' }).item(); // 3
 * @throws ShapeError if the shapes differ; ArgumentError for an unknown reduction.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.functional.l1_loss.html
 * @category Losses
 */
export function l1Loss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const op = 'l1Loss';
  const { reduction = 'mean' } = { ...optionsOf(op, options) };
  checkReduction(op, reduction);
  checkPair(op, input, target, ['input', 'target']);
  const N = input.size;
  return finish(op, reduction, input.shape, meanScale(reduction, N), [input, target],
    (out) => l1Forward(out, input.data, target.data, N),
    (dy, D, s) => l1Backward(input.requiresGrad ? input.gradBuffer() : null, target.requiresGrad ? target.gradBuffer() : null, dy, D, s, input.data, target.data, N));
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
 * @throws ShapeError if the shapes differ; ArgumentError for δ ≤ 0 or NaN, or an unknown reduction.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.functional.huber_loss.html
 * @category Losses
 */
export function huberLoss(input: Tensor, target: Tensor, options: HuberLossOptions = {}): Tensor {
  const op = 'huberLoss';
  const { reduction = 'mean', delta = 1 } = { ...optionsOf(op, options) };
  checkReduction(op, reduction);
  if (typeof delta !== 'number' || !(delta > 0)) throw new ArgumentError(`${op}: delta must be a positive number, got ${describe(delta)}`);
  checkPair(op, input, target, ['input', 'target']);
  const N = input.size;
  return finish(op, reduction, input.shape, meanScale(reduction, N), [input, target],
    (out) => huberForward(out, input.data, target.data, delta, N),
    (dy, D, s) => huberBackward(input.requiresGrad ? input.gradBuffer() : null, target.requiresGrad ? target.gradBuffer() : null, dy, D, s, input.data, target.data, delta, N));
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
 * the value and its position), or an unknown reduction.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.functional.nll_loss.html
 * @category Losses
 */
export function nllLoss(logProbs: Tensor, target: Indices, options: NllLossOptions = {}): Tensor {
  const op = 'nllLoss';
  const { weight = null, ignoreIndex = -100, reduction = 'mean' } = { ...optionsOf(op, options) };
  checkReduction(op, reduction);
  if (!(logProbs instanceof Tensor)) throw new ArgumentError(`${op}: logProbs must be a Tensor, got ${describe(logProbs)}`);
  if (logProbs.ndim === 0) throw new ShapeError(`${op}: logProbs must have a class axis: (N, C), (N, C, d1, …) or (C); got a scalar []`);
  if (typeof ignoreIndex !== 'number' || !Number.isInteger(ignoreIndex) || Math.abs(ignoreIndex) >= 2 ** 31) {
    throw new ArgumentError(`${op}: ignoreIndex must be a 32-bit integer, got ${describe(ignoreIndex)}`);
  }
  const shape = logProbs.shape;
  const unbatched = logProbs.ndim === 1;
  const C = unbatched ? shape[0] : shape[1];
  const O = unbatched ? 1 : shape[0];
  const I = unbatched ? 1 : sizeOf(shape.slice(2));
  const M = O * I;
  const itemShape = unbatched ? [] : [shape[0], ...shape.slice(2)];

  let w: Float32Array | null = null;
  const ws = weightSource(op, 'weight', weight);
  if (ws !== null) {
    if (ws.shape.length !== 1 || ws.shape[0] !== C) {
      throw new ShapeError(`${op}: weight ${fmtShape(ws.shape)} must have shape [${C}], one weight per class of logProbs ${fmtShape(shape)}`);
    }
    w = ws.data instanceof Float32Array ? ws.data : Float32Array.from(ws.data);
  }

  const t = toClassIndices(op, 'logProbs', target, C, ignoreIndex, itemShape, M, shape);

  const wt = new Float32Array(M);
  const none = reduction === 'none';
  const out = Tensor.empty(none ? itemShape : []);
  const total = nllForward(none ? out.data : null, wt, logProbs.data, t, w, ignoreIndex, O, C, I);
  let den = 1;
  if (reduction === 'mean') {
    den = 0;
    for (let m = 0; m < M; m++) den += wt[m];
  }
  const scale = 1 / den;
  if (!none) out.data[0] = total / den;
  return record(op, out, [logProbs], (dy) => {
    if (logProbs.requiresGrad) nllBackward(logProbs.gradBuffer(), dy, none ? 1 : 0, scale, t, w, ignoreIndex, O, C, I);
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
 * @throws ArgumentError for a probability outside [0, 1] (naming it; NaN propagates instead), or an
 * unknown reduction.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.functional.binary_cross_entropy.html
 * @category Losses
 */
export function binaryCrossEntropy(probs: Tensor, target: Tensor, options: BinaryCrossEntropyOptions = {}): Tensor {
  const op = 'binaryCrossEntropy';
  const { weight = null, reduction = 'mean' } = { ...optionsOf(op, options) };
  checkReduction(op, reduction);
  checkPair(op, probs, target, ['probs', 'target']);
  const N = probs.size;
  const x = probs.data;
  for (let i = 0; i < N; i++) {
    if (x[i] < 0 || x[i] > 1) {
      throw new ArgumentError(`${op}: probs[${fmtPosition(i, probs.shape)}] = ${x[i]} is outside [0, 1] (probs ${fmtShape(probs.shape)}); for logits use binaryCrossEntropyWithLogits`);
    }
  }
  const w = broadcastWeight(op, 'weight', weight, probs.shape);
  return finish(op, reduction, probs.shape, meanScale(reduction, N), [probs, target],
    (out) => bceForward(out, x, target.data, w, N),
    (dy, D, s) => bceBackward(probs.requiresGrad ? probs.gradBuffer() : null, target.requiresGrad ? target.gradBuffer() : null, dy, D, s, x, target.data, w, N));
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
 * @throws ArgumentError for an unknown reduction.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.functional.binary_cross_entropy_with_logits.html
 * @category Losses
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, options: BinaryCrossEntropyWithLogitsOptions = {}): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  const { weight = null, posWeight = null, reduction = 'mean' } = { ...optionsOf(op, options) };
  checkReduction(op, reduction);
  checkPair(op, logits, target, ['logits', 'target']);
  const N = logits.size;
  const w = broadcastWeight(op, 'weight', weight, logits.shape);
  const pw = broadcastWeight(op, 'posWeight', posWeight, logits.shape);
  return finish(op, reduction, logits.shape, meanScale(reduction, N), [logits, target],
    (out) => bceLogitsForward(out, logits.data, target.data, w, pw, N),
    (dy, D, s) => bceLogitsBackward(logits.requiresGrad ? logits.gradBuffer() : null, target.requiresGrad ? target.gradBuffer() : null, dy, D, s, logits.data, target.data, w, pw, N));
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
 * @throws ShapeError if the shapes differ; ArgumentError for an unknown reduction or a
 * non-boolean `logTarget`.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.functional.kl_div.html
 * @category Losses
 */
export function klDiv(input: Tensor, target: Tensor, options: KlDivOptions = {}): Tensor {
  const op = 'klDiv';
  const { reduction = 'mean', logTarget = false } = { ...optionsOf(op, options) };
  checkReduction(op, reduction, true);
  if (typeof logTarget !== 'boolean') throw new ArgumentError(`${op}: logTarget must be a boolean, got ${describe(logTarget)}`);
  checkPair(op, input, target, ['input', 'target']);
  const N = input.size;
  const scale = reduction === 'batchmean' ? (input.ndim === 0 ? 1 : 1 / input.shape[0]) : meanScale(reduction, N);
  return finish(op, reduction === 'batchmean' ? 'sum' : reduction, input.shape, scale, [input, target],
    (out) => klDivForward(out, input.data, target.data, logTarget, N),
    (dy, D, s) => klDivBackward(input.requiresGrad ? input.gradBuffer() : null, target.requiresGrad ? target.gradBuffer() : null, dy, D, s, input.data, target.data, logTarget, N));
}
