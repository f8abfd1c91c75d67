import { ArgumentError } from '../tensor/errors';
import { add } from '../tensor/ops/binary';
import { sum } from '../tensor/ops/reduce';
import { abs, square } from '../tensor/ops/unary';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

function penalty(params: Tensor | readonly Tensor[], where: string, term: (p: Tensor) => Tensor): Tensor {
  const list = params instanceof Tensor ? [params] : params;
  if (!Array.isArray(list)) throw new ArgumentError(`${where}: params must be a Tensor or an array of Tensors, got ${describe(params)}`);
  let total: Tensor | null = null;
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new ArgumentError(`${where}: params[${i}] must be a Tensor, got ${describe(p)}`);
    const t = sum(term(p));
    total = total === null ? t : add(total, t);
  });
  return total ?? new Tensor(new Float32Array(1), []);
}

/**
 * L1 penalty Σᵢ Σⱼ |wᵢⱼ| over every parameter, as a differentiable scalar Tensor (add
 * `λ · l1Penalty(params)` to a loss for lasso-style sparsity). Gradient: sign(w) (0 at 0).
 * Shapes: parameters of every shape → scalar `[]` (0 for an empty list).
 * @example
 * const w = new Parameter(tensor([1, -2]));
 * l1Penalty([w]).item(); // 3
 * @throws ArgumentError on a non-Tensor entry.
 * @category Penalties
 */
export function l1Penalty(params: Tensor | readonly Tensor[]): Tensor {
  return penalty(params, 'l1Penalty', abs);
}

/**
 * L2 penalty Σᵢ Σⱼ wᵢⱼ² over every parameter (no ½ factor), as a differentiable scalar Tensor.
 * Gradient: 2w. Adding `λ · l2Penalty(params)` to a loss equals SGD `weightDecay: 2λ`.
 * Shapes: parameters of every shape → scalar `[]` (0 for an empty list).
 * @example
 * const w = new Parameter(tensor([1, -2]));
 * l2Penalty([w]).item(); // 5
 * @throws ArgumentError on a non-Tensor entry.
 * @category Penalties
 */
export function l2Penalty(params: Tensor | readonly Tensor[]): Tensor {
  return penalty(params, 'l2Penalty', square);
}
