import { ArgumentError, NumericError } from '../tensor/errors';
import { badValue, bool, checkArg, parseOptions, type Check } from '../tensor/options';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

/** A number ≥ 0, Infinity included (no clipping), NaN refused. */
const nonNegOrInf: Check<number> = (v, name, op) => {
  if (typeof v !== 'number' || !(v >= 0)) throw badValue(op, name, 'a number ≥ 0', v);
  return v;
};

/** A norm order p: a number > 0, or Infinity for the max norm. */
const normOrder: Check<number> = (v, name, op) => {
  if (typeof v !== 'number' || !(v > 0)) throw badValue(op, name, 'a number > 0 or Infinity', v);
  return v;
};

/** Options of {@link clipGradNorm}. */
export interface ClipGradNormOptions {
  /** p of the norm: a number > 0, or Infinity for the max norm (default 2). */
  normType?: number;
  /** Throw a `NumericError` when the total norm is NaN or ±Inf (default false: the grads become NaN, as PyTorch). */
  errorIfNonfinite?: boolean;
}

function gradsOf(params: Tensor | readonly Tensor[], where: string): Float32Array[] {
  const list = params instanceof Tensor ? [params] : params;
  if (!Array.isArray(list)) throw new ArgumentError(`${where}: params must be a Tensor or an array of Tensors, got ${describe(params)}`);
  const out: Float32Array[] = [];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new ArgumentError(`${where}: params[${i}] must be a Tensor, got ${describe(p)}`);
    if (p.grad !== null) out.push(p.grad);
  });
  return out;
}

/**
 * Rescales gradients in place so that their total norm ‖(‖g₁‖ₚ, …, ‖gₖ‖ₚ)‖ₚ is at most `maxNorm`:
 * every grad is multiplied by min(1, maxNorm / (total + 1e-6)), exactly as
 * `torch.nn.utils.clip_grad_norm_`. Returns the total norm before clipping (0 when no parameter
 * has a gradient). Parameters whose `grad` is null are skipped.
 * @example
 * const p = new Parameter(tensor([0, 0]));
 * p.grad = new Float32Array([3, 4]);
 * clipGradNorm([p], 1); // 5
 * Array.from(p.grad); // [0.6, 0.8]
 * @throws ArgumentError on maxNorm negative or NaN, or normType not > 0; NumericError on a
 * non-finite total norm when `errorIfNonfinite`.
 * @category Gradient clipping
 */
export function clipGradNorm(params: Tensor | readonly Tensor[], maxNorm: number, options: ClipGradNormOptions = {}): number {
  const where = 'clipGradNorm';
  const { normType = 2, errorIfNonfinite = false } = parseOptions(where, options, { normType: normOrder, errorIfNonfinite: bool });
  checkArg(where, 'maxNorm', maxNorm, nonNegOrInf);
  const grads = gradsOf(params, where);
  if (grads.length === 0) return 0;
  let total: number;
  if (normType === Infinity) {
    total = 0;
    for (const g of grads) {
      for (let i = 0; i < g.length; i++) {
        const a = Math.abs(g[i]);
        if (!(a <= total)) total = a;
      }
    }
  } else {
    // As PyTorch: a p-norm of each gradient (rounded to float32), then the p-norm of those.
    const p = normType;
    let acc = 0;
    for (const g of grads) {
      let s = 0;
      if (p === 2) for (let i = 0; i < g.length; i++) s += g[i] * g[i];
      else if (p === 1) for (let i = 0; i < g.length; i++) s += Math.abs(g[i]);
      else for (let i = 0; i < g.length; i++) s += Math.abs(g[i]) ** p;
      const norm = Math.fround(p === 2 ? Math.sqrt(s) : p === 1 ? s : s ** (1 / p));
      acc += p === 2 ? norm * norm : p === 1 ? norm : norm ** p;
    }
    total = p === 2 ? Math.sqrt(acc) : p === 1 ? acc : acc ** (1 / p);
  }
  total = Math.fround(total);
  if (errorIfNonfinite && !Number.isFinite(total)) {
    throw new NumericError(`${where}: the total norm of order ${normType} of the gradients is ${total}; set errorIfNonfinite: false to clip anyway`);
  }
  const coef = Math.min(Math.fround(maxNorm / Math.fround(total + 1e-6)), 1);
  // NaN coef (NaN norm) must reach the grads, as in PyTorch; Math.min propagates it.
  for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = g[i] * coef;
  return total;
}

/**
 * Clamps every gradient entry to [−clipValue, clipValue] in place, as
 * `torch.nn.utils.clip_grad_value_` (NaN entries stay NaN). Parameters whose `grad` is null are
 * skipped.
 * @example
 * const p = new Parameter(tensor([0, 0, 0]));
 * p.grad = new Float32Array([-3, 0.5, 2]);
 * clipGradValue([p], 1);
 * Array.from(p.grad); // [-1, 0.5, 1]
 * @throws ArgumentError on clipValue negative or NaN.
 * @category Gradient clipping
 */
export function clipGradValue(params: Tensor | readonly Tensor[], clipValue: number): void {
  const where = 'clipGradValue';
  checkArg(where, 'clipValue', clipValue, nonNegOrInf);
  for (const g of gradsOf(params, where)) {
    for (let i = 0; i < g.length; i++) {
      const v = g[i];
      if (v > clipValue) g[i] = clipValue;
      else if (v < -clipValue) g[i] = -clipValue;
    }
  }
}
