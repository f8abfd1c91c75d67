import type { Tensor } from '../tensor/tensor';
import { bool, nonNeg } from '../tensor/options';
import { Optimizer, type ParamGroup, type StateKind } from './optimizer';

const ADAGRAD_SPEC = { lrDecay: nonNeg, weightDecay: nonNeg, initialAccumulatorValue: nonNeg, eps: nonNeg, maximize: bool };

/** Hyperparameters of {@link Adagrad}. */
export interface AdagradOptions {
  /** Learning rate η (default 1e-2). */
  lr: number;
  /** Learning rate decay δ: step t uses η / (1 + (t − 1)δ) (default 0). */
  lrDecay: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Starting value of the accumulated squared gradients (default 0). */
  initialAccumulatorValue: number;
  /** ε added to √G (default 1e-10). */
  eps: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** State of one parameter under {@link Adagrad}. */
export interface AdagradState {
  [key: string]: Float32Array | number | undefined;
  /** Number of updates so far. */
  step: number;
  /** Accumulated squared gradients G. */
  sum: Float32Array;
}

/**
 * Adagrad: G ← G + g², θ ← θ − η/(1 + (t − 1)δ) · g / (√G + ε), g = ∇ + λθ, exactly as
 * `torch.optim.Adagrad`.
 *
 * G starts at `initialAccumulatorValue`; t counts this parameter's updates from 1.
 * Shapes: parameters of every shape; G has the parameter's shape.
 * @example
 * const p = new Parameter(tensor([1]));
 * const opt = new Adagrad([p], { lr: 0.5 });
 * p.grad = new Float32Array([4]);
 * opt.step();
 * p.data[0]; // 0.5
 * @throws ArgumentError on an invalid hyperparameter (negative lr, lrDecay, weightDecay,
 * initialAccumulatorValue or eps, NaN or ±Inf).
 * @see Duchi, Hazan & Singer 2011, "Adaptive Subgradient Methods for Online Learning and Stochastic Optimization", JMLR 12
 * @category Optimizers
 */
export class Adagrad extends Optimizer<AdagradOptions, AdagradState> {
  protected override readonly stateKinds: Record<string, StateKind> = { step: 'scalar', sum: 'buffer' };

  constructor(params: readonly Tensor[] | readonly ParamGroup<AdagradOptions>[], options: Partial<AdagradOptions> = {}) {
    super('Adagrad', params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false }, options, ADAGRAD_SPEC);
  }

  protected initState(p: Tensor, group: AdagradOptions): AdagradState {
    return { step: 0, sum: new Float32Array(p.size).fill(group.initialAccumulatorValue) };
  }

  protected update(p: Tensor, grad: Float32Array | Float64Array, st: AdagradState, group: AdagradOptions): void {
    const { lr, lrDecay, eps } = group;
    const w = p.data;
    const n = w.length;
    const step = ++st.step;
    const clr = lr / (1 + (step - 1) * lrDecay);
    const sum = st.sum;
    for (let i = 0; i < n; i++) {
      const g = grad[i];
      sum[i] = sum[i] + g * g;
      w[i] = w[i] - (clr * g) / (Math.sqrt(sum[i]) + eps);
    }
  }
}
