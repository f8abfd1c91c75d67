import type { Tensor } from '../tensor/tensor';
import { ArgumentError } from '../tensor/errors';
import { bool, finite, nonNeg } from '../tensor/options';
import { Optimizer, type ParamGroup, type StateKind } from './optimizer';

const SGD_SPEC = { momentum: nonNeg, dampening: finite, weightDecay: nonNeg, nesterov: bool, maximize: bool };

/** Hyperparameters of {@link SGD}. */
export interface SGDOptions {
  /** Learning rate (required, as in PyTorch). */
  lr: number;
  /** Momentum factor μ (default 0: plain SGD). */
  momentum: number;
  /** Dampening τ of the momentum buffer update (default 0). */
  dampening: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** State of one parameter under {@link SGD}: the momentum buffer b (only when momentum ≠ 0). */
export interface SGDState {
  [key: string]: Float32Array | number | undefined;
  /** Momentum buffer b, the size of the parameter (created on the first step with momentum ≠ 0). */
  momentumBuffer?: Float32Array;
}

/**
 * Stochastic gradient descent with momentum: g ← ∇ + λθ; b ← μb + (1 − τ)g (b₁ = g); θ ← θ − η·b
 * (or θ − η·(g + μb) with Nesterov), exactly as `torch.optim.SGD`.
 *
 * The first momentum step copies the gradient into the buffer without dampening (PyTorch's
 * rule). With `maximize` the gradient is negated before weight decay is added (as PyTorch 1.13).
 * Shapes: parameters of every shape; the momentum buffer has the parameter's shape.
 * @example
 * const p = new Parameter(tensor([1]));
 * const opt = new SGD([p], { lr: 0.1 });
 * p.grad = new Float32Array([2]);
 * opt.step();
 * p.data[0]; // 0.8
 * @throws ArgumentError on an invalid hyperparameter (negative lr, momentum or weightDecay, NaN,
 * nesterov without momentum or with dampening, a missing lr).
 * @see Sutskever et al. 2013, "On the importance of initialization and momentum in deep learning"
 * @category Optimizers
 */
export class SGD extends Optimizer<SGDOptions, SGDState> {
  protected override readonly stateKinds: Record<string, StateKind> = { momentumBuffer: 'buffer?' };

  constructor(params: readonly Tensor[] | readonly ParamGroup<SGDOptions>[], options: Partial<SGDOptions> & { lr?: number }) {
    super('SGD', params, { lr: undefined as unknown as number, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }, options, SGD_SPEC);
  }

  protected override validateGroup(g: SGDOptions, where: string): void {
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new ArgumentError(`${where}: nesterov needs momentum > 0 and dampening 0, got momentum ${g.momentum} and dampening ${g.dampening}`);
    }
  }

  protected initState(): SGDState {
    return {};
  }

  protected update(p: Tensor, g: Float32Array | Float64Array, st: SGDState, group: SGDOptions): void {
    const { lr, momentum, dampening, nesterov } = group;
    const w = p.data;
    const n = w.length;
    if (momentum === 0) {
      for (let i = 0; i < n; i++) w[i] = w[i] - lr * g[i];
      return;
    }
    let buf = st.momentumBuffer;
    if (buf === undefined) {
      // PyTorch starts the buffer at the first gradient itself, undamped.
      buf = new Float32Array(n);
      st.momentumBuffer = buf;
      for (let i = 0; i < n; i++) {
        buf[i] = g[i];
        w[i] = w[i] - lr * (nesterov ? g[i] + momentum * buf[i] : buf[i]);
      }
      return;
    }
    const keep = 1 - dampening;
    if (nesterov) {
      for (let i = 0; i < n; i++) {
        buf[i] = momentum * buf[i] + keep * g[i];
        w[i] = w[i] - lr * (g[i] + momentum * buf[i]);
      }
    } else {
      for (let i = 0; i < n; i++) {
        buf[i] = momentum * buf[i] + keep * g[i];
        w[i] = w[i] - lr * buf[i];
      }
    }
  }
}
