import type { Tensor } from '../tensor/tensor';
import { ArgumentError } from '../tensor/errors';
import { checkBool, checkFinite, checkNonNeg, Optimizer, type Closure, type ParamGroup, type StateKind } from './optimizer';

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
  protected readonly stateKinds: Record<string, StateKind> = { momentumBuffer: 'buffer?' };

  constructor(params: readonly Tensor[] | readonly ParamGroup<SGDOptions>[], options: Partial<SGDOptions> & { lr?: number }) {
    super('SGD', params, { lr: undefined as unknown as number, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }, options);
  }

  protected validateGroup(g: SGDOptions, where: string): void {
    checkNonNeg(where, 'momentum', g.momentum);
    checkFinite(where, 'dampening', g.dampening);
    checkNonNeg(where, 'weightDecay', g.weightDecay);
    checkBool(where, 'nesterov', g.nesterov);
    checkBool(where, 'maximize', g.maximize);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new ArgumentError(`${where}: nesterov needs momentum > 0 and dampening 0, got momentum ${g.momentum} and dampening ${g.dampening}`);
    }
  }

  step(closure?: Closure): number | undefined {
    const loss = this.evalClosure(closure);
    for (const group of this.paramGroups) {
      const { lr, momentum, dampening, weightDecay: wd, nesterov, maximize } = group;
      const sign = maximize ? -1 : 1;
      for (const p of group.params) {
        const grad = p.grad;
        if (grad === null) continue;
        const w = p.data;
        const n = w.length;
        if (momentum === 0) {
          for (let i = 0; i < n; i++) w[i] = w[i] - lr * (wd === 0 ? sign * grad[i] : sign * grad[i] + wd * w[i]);
          continue;
        }
        let st = this.state.get(p);
        if (st === undefined) {
          st = {};
          this.state.set(p, st);
        }
        let buf = st.momentumBuffer;
        const first = buf === undefined;
        if (buf === undefined) {
          buf = new Float32Array(n);
          st.momentumBuffer = buf;
        }
        const keep = 1 - dampening;
        for (let i = 0; i < n; i++) {
          // wd = 0 must not touch the gradient (0 · ∞ would be NaN).
          const d = wd === 0 ? sign * grad[i] : sign * grad[i] + wd * w[i];
          // PyTorch starts the buffer at the first gradient itself, undamped.
          const b = first ? d : momentum * buf[i] + keep * d;
          buf[i] = b;
          w[i] = w[i] - lr * (nesterov ? d + momentum * buf[i] : buf[i]);
        }
      }
    }
    return loss;
  }
}
