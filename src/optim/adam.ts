import type { Tensor } from '../tensor/tensor';
import { bool, nonNeg } from '../tensor/options';
import { betas, Optimizer, type ParamGroup, type StateKind } from './optimizer';

/** Hyperparameters of {@link Adam} and {@link AdamW}. */
export interface AdamOptions {
  /** Learning rate η (default 1e-3). */
  lr: number;
  /** Decay rates [β₁, β₂] of the first and second moment averages, each in [0, 1) (default [0.9, 0.999]). */
  betas: [number, number];
  /** ε added to √v̂ in the denominator (default 1e-8). */
  eps: number;
  /** Weight decay λ: an L2 term added to the gradient in Adam (default 0), decoupled in AdamW (default 1e-2). */
  weightDecay: number;
  /** Use the running maximum of v (AMSGrad, Reddi et al. 2018; default false). */
  amsgrad: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** State of one parameter under {@link Adam} / {@link AdamW}. */
export interface AdamState {
  [key: string]: Float32Array | number | undefined;
  /** Number of updates so far. */
  step: number;
  /** First moment m. */
  expAvg: Float32Array;
  /** Second moment v. */
  expAvgSq: Float32Array;
  /** Running max of v (AMSGrad only). */
  maxExpAvgSq?: Float32Array;
}

const ADAM_STATE: Record<string, StateKind> = { step: 'scalar', expAvg: 'buffer', expAvgSq: 'buffer', maxExpAvgSq: 'buffer?' };

const ADAM_SPEC = { betas, eps: nonNeg, weightDecay: nonNeg, amsgrad: bool, maximize: bool };

function adamInit(p: Tensor): AdamState {
  return { step: 0, expAvg: new Float32Array(p.size), expAvgSq: new Float32Array(p.size) };
}

/**
 * One Adam/AdamW update of one parameter from its effective gradient. `decoupled` selects AdamW's
 * θ ← θ(1 − ηλ) (the base class then leaves λθ out of the gradient) instead of Adam's g ← g + λθ.
 */
function adamUpdate(p: Tensor, grad: Float32Array | Float64Array, st: AdamState, group: AdamOptions, decoupled: boolean): void {
  const { lr, eps, weightDecay: wd, amsgrad } = group;
  const b1 = group.betas[0], b2 = group.betas[1];
  const w = p.data;
  const n = w.length;
  let vmax = st.maxExpAvgSq;
  if (amsgrad && vmax === undefined) {
    vmax = new Float32Array(n);
    st.maxExpAvgSq = vmax;
  }
  if (decoupled && wd !== 0) {
    const decay = 1 - lr * wd;
    for (let i = 0; i < n; i++) w[i] = w[i] * decay;
  }
  const step = ++st.step;
  const m = st.expAvg, v = st.expAvgSq;
  const stepSize = lr / (1 - b1 ** step);
  const bc2Sqrt = Math.sqrt(1 - b2 ** step);
  if (amsgrad) {
    for (let i = 0; i < n; i++) {
      const g = grad[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      // Math.max propagates NaN, as torch.maximum does.
      vmax![i] = Math.max(vmax![i], v[i]);
      w[i] = w[i] - (stepSize * m[i]) / (Math.sqrt(vmax![i]) / bc2Sqrt + eps);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const g = grad[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      w[i] = w[i] - (stepSize * m[i]) / (Math.sqrt(v[i]) / bc2Sqrt + eps);
    }
  }
}

/**
 * Adam: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², θ ← θ − η·(m / (1 − β₁ᵗ)) / (√v / √(1 − β₂ᵗ) + ε),
 * with g = ∇ + λθ (L2 weight decay folded into the gradient), exactly as `torch.optim.Adam`.
 *
 * ε is added after the bias correction of √v (PyTorch's placement, not the paper's ε̂). With
 * `amsgrad`, the running maximum of v replaces v in the denominator.
 * Shapes: parameters of every shape; m, v (and max v) have the parameter's shape.
 * @example
 * const p = new Parameter(tensor([1]));
 * const opt = new Adam([p], { lr: 0.1 });
 * p.grad = new Float32Array([3]);
 * opt.step();
 * p.data[0]; // 0.9
 * @throws ArgumentError on an invalid hyperparameter (betas outside [0, 1), negative lr, eps or
 * weightDecay, NaN or ±Inf).
 * @see Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", https://arxiv.org/abs/1412.6980
 * @category Optimizers
 */
export class Adam extends Optimizer<AdamOptions, AdamState> {
  protected override readonly stateKinds = ADAM_STATE;

  constructor(params: readonly Tensor[] | readonly ParamGroup<AdamOptions>[], options: Partial<AdamOptions> = {}) {
    super('Adam', params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false }, options, ADAM_SPEC);
  }

  protected initState(p: Tensor): AdamState {
    return adamInit(p);
  }

  protected update(p: Tensor, grad: Float32Array | Float64Array, st: AdamState, group: AdamOptions): void {
    adamUpdate(p, grad, st, group, false);
  }
}

/**
 * AdamW: θ ← θ(1 − ηλ), then the Adam update with the raw gradient (decoupled weight decay),
 * exactly as `torch.optim.AdamW`; the default λ is 1e-2.
 *
 * Shapes: parameters of every shape; m, v (and max v) have the parameter's shape.
 * @example
 * const p = new Parameter(tensor([1]));
 * const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.5 });
 * p.grad = new Float32Array([3]);
 * opt.step();
 * p.data[0]; // 0.85
 * @throws ArgumentError on an invalid hyperparameter (betas outside [0, 1), negative lr, eps or
 * weightDecay, NaN or ±Inf).
 * @see Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", https://arxiv.org/abs/1711.05101
 * @category Optimizers
 */
export class AdamW extends Optimizer<AdamOptions, AdamState> {
  protected override readonly stateKinds = ADAM_STATE;

  protected override readonly foldWeightDecay = false;

  constructor(params: readonly Tensor[] | readonly ParamGroup<AdamOptions>[], options: Partial<AdamOptions> = {}) {
    super('AdamW', params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false }, options, ADAM_SPEC);
  }

  protected initState(p: Tensor): AdamState {
    return adamInit(p);
  }

  protected update(p: Tensor, grad: Float32Array | Float64Array, st: AdamState, group: AdamOptions): void {
    adamUpdate(p, grad, st, group, true);
  }
}
