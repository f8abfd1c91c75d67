import type { Tensor } from '../tensor/tensor';
import { bool, nonNeg, prob } from '../tensor/options';
import { Optimizer, type ParamGroup, type StateKind } from './optimizer';

const RMSPROP_SPEC = { alpha: prob, eps: nonNeg, weightDecay: nonNeg, momentum: nonNeg, centered: bool, maximize: bool };

/** Hyperparameters of {@link RMSprop}. */
export interface RMSpropOptions {
  /** Learning rate η (default 1e-2). */
  lr: number;
  /** Smoothing constant α of the squared-gradient average, in [0, 1] (default 0.99). */
  alpha: number;
  /** ε added to the root mean square (default 1e-8). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum factor μ (default 0). */
  momentum: number;
  /** Normalize by the centered second moment v − ḡ² (an estimate of the variance; default false). */
  centered: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** State of one parameter under {@link RMSprop}. */
export interface RMSpropState {
  [key: string]: Float32Array | number | undefined;
  /** Number of updates so far. */
  step: number;
  /** Average of squared gradients v. */
  squareAvg: Float32Array;
  /** Momentum buffer b (momentum > 0 only). */
  momentumBuffer?: Float32Array;
  /** Average of gradients ḡ (centered only). */
  gradAvg?: Float32Array;
}

/**
 * RMSprop: v ← αv + (1 − α)g², θ ← θ − η·g / (√v + ε) (√(v − ḡ²) + ε when centered, with
 * ḡ ← αḡ + (1 − α)g; with momentum b ← μb + g / (√v + ε), θ ← θ − ηb), g = ∇ + λθ, exactly as
 * `torch.optim.RMSprop` (ε outside the square root).
 *
 * Shapes: parameters of every shape; every buffer has the parameter's shape.
 * @example
 * const p = new Parameter(tensor([1]));
 * const opt = new RMSprop([p], { lr: 0.01, alpha: 0.75 });
 * p.grad = new Float32Array([2]);
 * opt.step();
 * p.data[0]; // 0.98
 * @throws ArgumentError on an invalid hyperparameter (alpha outside [0, 1], negative lr, eps,
 * momentum or weightDecay, NaN or ±Inf).
 * @see Hinton, Srivastava & Swersky, "Neural Networks for Machine Learning", lecture 6e (2012)
 * @see Graves 2013, "Generating Sequences With Recurrent Neural Networks" (the centered form)
 * @category Optimizers
 */
export class RMSprop extends Optimizer<RMSpropOptions, RMSpropState> {
  protected override readonly stateKinds: Record<string, StateKind> = { step: 'scalar', squareAvg: 'buffer', momentumBuffer: 'buffer?', gradAvg: 'buffer?' };

  constructor(params: readonly Tensor[] | readonly ParamGroup<RMSpropOptions>[], options: Partial<RMSpropOptions> = {}) {
    super('RMSprop', params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false }, options, RMSPROP_SPEC);
  }

  protected initState(p: Tensor): RMSpropState {
    return { step: 0, squareAvg: new Float32Array(p.size) };
  }

  protected update(p: Tensor, grad: Float32Array | Float64Array, st: RMSpropState, group: RMSpropOptions): void {
    const { lr, alpha, eps, momentum, centered } = group;
    const w = p.data;
    const n = w.length;
    if (momentum > 0 && st.momentumBuffer === undefined) st.momentumBuffer = new Float32Array(n);
    if (centered && st.gradAvg === undefined) st.gradAvg = new Float32Array(n);
    st.step++;
    const sq = st.squareAvg;
    const buf = st.momentumBuffer as Float32Array;
    const ga = st.gradAvg as Float32Array;
    for (let i = 0; i < n; i++) {
      const g = grad[i];
      sq[i] = alpha * sq[i] + (1 - alpha) * g * g;
      let avg: number;
      if (centered) {
        ga[i] = alpha * ga[i] + (1 - alpha) * g;
        avg = Math.sqrt(sq[i] - ga[i] * ga[i]) + eps;
      } else avg = Math.sqrt(sq[i]) + eps;
      if (momentum > 0) {
        buf[i] = momentum * buf[i] + g / avg;
        w[i] = w[i] - lr * buf[i];
      } else w[i] = w[i] - (lr * g) / avg;
    }
  }
}
