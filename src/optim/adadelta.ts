import type { Tensor } from '../tensor/tensor';
import { bool, nonNeg, prob } from '../tensor/options';
import { Optimizer, type ParamGroup, type StateKind } from './optimizer';

const ADADELTA_SPEC = { rho: prob, eps: nonNeg, weightDecay: nonNeg, maximize: bool };

/** Hyperparameters of {@link Adadelta}. */
export interface AdadeltaOptions {
  /** Scale η applied to the update (default 1). */
  lr: number;
  /** Decay ρ of both running averages, in [0, 1] (default 0.9). */
  rho: number;
  /** ε inside both square roots (default 1e-6). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** State of one parameter under {@link Adadelta}. */
export interface AdadeltaState {
  [key: string]: Float32Array | number | undefined;
  /** Number of updates so far. */
  step: number;
  /** Running average of squared gradients E[g²]. */
  squareAvg: Float32Array;
  /** Running average of squared updates E[Δ²]. */
  accDelta: Float32Array;
}

/**
 * Adadelta: E[g²] ← ρE[g²] + (1 − ρ)g², Δ = √(E[Δ²] + ε) / √(E[g²] + ε) · g,
 * E[Δ²] ← ρE[Δ²] + (1 − ρ)Δ², θ ← θ − ηΔ, g = ∇ + λθ, exactly as `torch.optim.Adadelta`.
 *
 * Shapes: parameters of every shape; both averages have the parameter's shape.
 * @example
 * const p = new Parameter(tensor([1]));
 * const opt = new Adadelta([p], { rho: 0, eps: 1 });
 * p.grad = new Float32Array([0.75]);
 * opt.step();
 * p.data[0]; // 0.4
 * @throws ArgumentError on an invalid hyperparameter (rho outside [0, 1], negative lr, eps or
 * weightDecay, NaN or ±Inf).
 * @see Zeiler 2012, "ADADELTA: An Adaptive Learning Rate Method", https://arxiv.org/abs/1212.5701
 * @category Optimizers
 */
export class Adadelta extends Optimizer<AdadeltaOptions, AdadeltaState> {
  protected override readonly stateKinds: Record<string, StateKind> = { step: 'scalar', squareAvg: 'buffer', accDelta: 'buffer' };

  constructor(params: readonly Tensor[] | readonly ParamGroup<AdadeltaOptions>[], options: Partial<AdadeltaOptions> = {}) {
    super('Adadelta', params, { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false }, options, ADADELTA_SPEC);
  }

  protected initState(p: Tensor): AdadeltaState {
    return { step: 0, squareAvg: new Float32Array(p.size), accDelta: new Float32Array(p.size) };
  }

  protected update(p: Tensor, grad: Float32Array | Float64Array, st: AdadeltaState, group: AdadeltaOptions): void {
    const { lr, rho, eps } = group;
    const w = p.data;
    const n = w.length;
    st.step++;
    const sq = st.squareAvg, acc = st.accDelta;
    for (let i = 0; i < n; i++) {
      const g = grad[i];
      sq[i] = rho * sq[i] + (1 - rho) * g * g;
      const delta = (Math.sqrt(acc[i] + eps) / Math.sqrt(sq[i] + eps)) * g;
      acc[i] = rho * acc[i] + (1 - rho) * delta * delta;
      w[i] = w[i] - lr * delta;
    }
  }
}
