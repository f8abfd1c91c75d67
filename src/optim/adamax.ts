import type { Tensor } from '../tensor/tensor';
import { bool, nonNeg } from '../tensor/options';
import { betas, Optimizer, type ParamGroup, type StateKind } from './optimizer';

const ADAMAX_SPEC = { betas, eps: nonNeg, weightDecay: nonNeg, maximize: bool };

/** Hyperparameters of {@link Adamax}. */
export interface AdamaxOptions {
  /** Learning rate η (default 2e-3). */
  lr: number;
  /** Decay rates [β₁, β₂] of the first moment and of the infinity norm, each in [0, 1) (default [0.9, 0.999]). */
  betas: [number, number];
  /** ε added to |g| inside the max (default 1e-8). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** State of one parameter under {@link Adamax}. */
export interface AdamaxState {
  [key: string]: Float32Array | number | undefined;
  /** Number of updates so far. */
  step: number;
  /** First moment m. */
  expAvg: Float32Array;
  /** Exponentially weighted infinity norm u. */
  expInf: Float32Array;
}

/**
 * Adamax: m ← β₁m + (1 − β₁)g, u ← max(β₂u, |g| + ε), θ ← θ − η/(1 − β₁ᵗ) · m / u,
 * g = ∇ + λθ, exactly as `torch.optim.Adamax` (ε inside the max).
 *
 * Shapes: parameters of every shape; m and u have the parameter's shape.
 * @example
 * const p = new Parameter(tensor([1]));
 * const opt = new Adamax([p], { lr: 0.1 });
 * p.grad = new Float32Array([-2]);
 * opt.step();
 * p.data[0]; // 1.1
 * @throws ArgumentError on an invalid hyperparameter (betas outside [0, 1), negative lr, eps or
 * weightDecay, NaN or ±Inf).
 * @see Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", §7.1, https://arxiv.org/abs/1412.6980
 * @category Optimizers
 */
export class Adamax extends Optimizer<AdamaxOptions, AdamaxState> {
  protected override readonly stateKinds: Record<string, StateKind> = { step: 'scalar', expAvg: 'buffer', expInf: 'buffer' };

  constructor(params: readonly Tensor[] | readonly ParamGroup<AdamaxOptions>[], options: Partial<AdamaxOptions> = {}) {
    super('Adamax', params, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false }, options, ADAMAX_SPEC);
  }

  protected initState(p: Tensor): AdamaxState {
    return { step: 0, expAvg: new Float32Array(p.size), expInf: new Float32Array(p.size) };
  }

  protected update(p: Tensor, grad: Float32Array | Float64Array, st: AdamaxState, group: AdamaxOptions): void {
    const { lr, eps } = group;
    const b1 = group.betas[0], b2 = group.betas[1];
    const w = p.data;
    const n = w.length;
    const step = ++st.step;
    const clr = lr / (1 - b1 ** step);
    const m = st.expAvg, u = st.expInf;
    for (let i = 0; i < n; i++) {
      const g = grad[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      // Math.max propagates NaN, as torch.amax does.
      u[i] = Math.max(b2 * u[i], Math.abs(g) + eps);
      w[i] = w[i] - (clr * m[i]) / u[i];
    }
  }
}
