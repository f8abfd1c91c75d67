import { Module } from '../nn/module';
import { DataLoader, TensorDataset, type Dataset } from '../data/dataset';
import { Tensor } from '../tensor/tensor';
import { ArgumentError, ShapeError, fmtShape } from '../tensor/errors';
import { type Generator, defaultGenerator } from '../tensor/random';
import { badValue, bool, checkArg, instanceOf, nonNeg, nonNegInt, num, oneOf, parseOptions, posInt, positive, rng as rngCheck } from '../tensor/options';
import { describe } from '../tensor/shape';
import { RDPAccountant } from './accountant';
import { GradSampler, type LossReduction, type PerSampleGrad } from './per-sample';

/** What {@link clipPerSample} returns. @category Privacy */
export interface ClipResult {
  /** Each sample's gradient norm before clipping. */
  norms: Float64Array;
  /** Each sample's factor min(1, C / norm). */
  factors: Float64Array;
}

/**
 * Scales each sample's whole gradient (all parameters together) to norm at most `maxGradNorm`
 * (flat clipping): sample b is multiplied by min(1, C / ‖g_b‖) (by 1 when ‖g_b‖ = 0). Changes
 * `grads` in place and returns each sample's norm before clipping and its factor.
 * @example
 * const g = [{ param: new Parameter(new Float32Array(2), [2]), grad: new Float32Array([3, 4, 0.3, 0.4]) }];
 * Array.from(clipPerSample(g, 1).factors); // [0.2, 1]
 * @category Privacy
 */
export function clipPerSample(grads: readonly PerSampleGrad[], maxGradNorm: number, batchSize?: number): ClipResult {
  const op = 'clipPerSample';
  if (!Array.isArray(grads) || grads.some((g) => g === null || typeof g !== 'object' || !(g.param instanceof Tensor) || !(g.grad instanceof Float32Array))) {
    throw badValue(op, 'grads', 'an array of { param, grad } per-sample gradients (GradSampler.perSample().grads)', grads);
  }
  const C = checkArg(op, 'maxGradNorm', maxGradNorm, positive);
  const B = batchSize === undefined ? (grads.length === 0 ? 0 : grads[0].grad.length / grads[0].param.size) : checkArg(op, 'batchSize', batchSize, nonNegInt);
  if (!Number.isInteger(B)) throw new ShapeError(`${op}: per-sample gradients of a parameter ${fmtShape(grads[0].param.shape)} hold ${grads[0].grad.length} values, not a whole number of samples`);
  const sq = new Float64Array(B);
  for (const { param, grad } of grads) {
    const n = param.size;
    if (grad.length !== B * n) throw new ShapeError(`${op}: per-sample gradients of a parameter ${fmtShape(param.shape)} must hold ${B} × ${n} values, got ${grad.length}`);
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let i = b * n; i < (b + 1) * n; i++) s += grad[i] * grad[i];
      sq[b] += s;
    }
  }
  const norms = new Float64Array(B), factors = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    norms[b] = Math.sqrt(sq[b]);
    factors[b] = norms[b] > C ? C / norms[b] : 1;
  }
  for (const { param, grad } of grads) {
    const n = param.size;
    for (let b = 0; b < B; b++) {
      const f = factors[b];
      if (f !== 1) for (let i = b * n; i < (b + 1) * n; i++) grad[i] *= f;
    }
  }
  return { norms, factors };
}

/** The optimizer surface {@link DPOptimizer} wraps (every `tensorkit/optim` optimizer has it). @category Privacy */
export interface WrappedOptimizer {
  /** Updates the parameters from their `grad`. */
  step(): unknown;
  /** Clears the gradients. */
  zeroGrad(): void;
  /** The learning rate. */
  lr: number;
  /** A JSON-safe state, when the optimizer has one. */
  stateDict?(): unknown;
  /** Restores a state. */
  loadStateDict?(state: never): void;
}

/** What {@link DPOptimizer} reports about its last step. @category Privacy */
export interface DPStepInfo {
  /** Samples in the batch (varies under Poisson sampling; 0 is allowed). */
  batchSize: number;
  /** Each sample's gradient norm before clipping. */
  norms: Float64Array;
  /** Samples whose gradient was scaled down. */
  clipped: number;
}

/**
 * Opacus' `DPOptimizer`: `step()` takes the per-sample gradients recorded by its
 * {@link GradSampler}, clips each to `maxGradNorm`, sums them, adds Gaussian noise of standard
 * deviation `noiseMultiplier · maxGradNorm` to every coordinate, divides by `expectedBatchSize`
 * (q·N), writes the result to each parameter's `grad`, records the step in the accountant, and
 * steps the wrapped optimizer. `zeroGrad()` also forgets the recorded activations. Build it with
 * {@link makePrivate}.
 * @category Privacy
 */
export class DPOptimizer {
  /** The optimizer that applies the privatized gradient. */
  readonly inner: WrappedOptimizer;
  /** The hooks recording per-sample gradients. */
  readonly sampler: GradSampler;
  /** The accountant each step is recorded in. */
  readonly accountant: RDPAccountant;
  /** σ: the noise standard deviation in units of `maxGradNorm`. */
  readonly noiseMultiplier: number;
  /** C: each sample's gradient norm bound. */
  readonly maxGradNorm: number;
  /** q: the probability that a sample is in a batch. */
  readonly sampleRate: number;
  /** q·N: the divisor of the noisy sum. */
  readonly expectedBatchSize: number;
  /** What the last step saw (null before the first). */
  lastStep: DPStepInfo | null = null;
  private readonly rng: Generator;

  /** @internal Built by {@link makePrivate}. */
  constructor(inner: WrappedOptimizer, sampler: GradSampler, options: { noiseMultiplier: number; maxGradNorm: number; sampleRate: number; expectedBatchSize: number; rng: Generator; accountant: RDPAccountant }) {
    const op = 'DPOptimizer';
    if (inner === null || typeof inner !== 'object' || typeof inner.step !== 'function' || typeof inner.zeroGrad !== 'function') {
      throw badValue(op, 'inner', 'an object with step() and zeroGrad() (a tensorkit/optim optimizer)', inner);
    }
    checkArg(op, 'sampler', sampler, instanceOf(GradSampler));
    const spec = { noiseMultiplier: nonNeg, maxGradNorm: positive, sampleRate: num({ min: 0, max: 1, openMin: true }), expectedBatchSize: positive, rng: rngCheck, accountant: instanceOf(RDPAccountant) };
    const o = parseOptions(op, options, spec) as Required<typeof options>;
    for (const k of Object.keys(spec) as (keyof typeof spec)[]) if (o[k] === undefined) throw new ArgumentError(`${op}: options.${k} is required (build it with makePrivate)`);
    this.inner = inner;
    this.sampler = sampler;
    this.noiseMultiplier = o.noiseMultiplier;
    this.maxGradNorm = o.maxGradNorm;
    this.sampleRate = o.sampleRate;
    this.expectedBatchSize = o.expectedBatchSize;
    this.rng = o.rng;
    this.accountant = o.accountant;
  }

  /** The wrapped optimizer's learning rate. */
  get lr(): number {
    return this.inner.lr;
  }
  /** Sets the wrapped optimizer's learning rate. */
  set lr(v: number) {
    this.inner.lr = v;
  }

  /** Clears the gradients and the recorded activations. */
  zeroGrad(): void {
    this.inner.zeroGrad();
    this.sampler.clear();
  }

  /**
   * Replaces each parameter's `grad` by the privatized gradient (clip, sum, noise, divide by q·N)
   * and records the step in the accountant, without stepping the wrapped optimizer.
   * @throws ArgumentError when no forward and backward pass was recorded since `zeroGrad()`.
   */
  privatize(): DPStepInfo {
    const { batchSize, grads } = this.sampler.perSample();
    const { norms, factors } = clipPerSample(grads, this.maxGradNorm, batchSize);
    const std = this.noiseMultiplier * this.maxGradNorm;
    for (const { param, grad } of grads) {
      const n = param.size;
      const out = new Float32Array(n);
      if (std > 0) this.rng.fillNormal(out, 0, std);
      for (let b = 0; b < batchSize; b++) for (let i = 0; i < n; i++) out[i] += grad[b * n + i];
      for (let i = 0; i < n; i++) out[i] /= this.expectedBatchSize;
      param.grad = out;
    }
    this.accountant.step({ noiseMultiplier: this.noiseMultiplier, sampleRate: this.sampleRate });
    let clipped = 0;
    for (const f of factors) if (f < 1) clipped++;
    this.lastStep = { batchSize, norms, clipped };
    return this.lastStep;
  }

  /** {@link DPOptimizer.privatize}, then the wrapped optimizer's step. */
  step(): unknown {
    this.privatize();
    return this.inner.step();
  }

  /** The wrapped optimizer's state. */
  stateDict(): unknown {
    return this.inner.stateDict?.();
  }

  /** Restores the wrapped optimizer's state. */
  loadStateDict(state: never): void {
    this.inner.loadStateDict?.(state);
  }
}

/**
 * Poisson sampling of batches (Opacus' `DPDataLoader`): each of the `length` batches of an epoch
 * holds every sample independently with probability `sampleRate`, so batch sizes vary and a batch
 * may be empty (its tensors then have 0 rows). Yields the samples' tensors stacked, as `DataLoader`.
 * @example
 * const dl = new PoissonLoader(new TensorDataset(ones([100, 2]), ones([100])), { sampleRate: 0.1, rng: new Generator(1) });
 * dl.length; // 10
 * @category Privacy
 */
export class PoissonLoader implements Iterable<Tensor[]> {
  /** The samples. */
  readonly dataset: Dataset<Tensor[]>;
  /** q: each sample's probability of being in a batch. */
  readonly sampleRate: number;
  /** Batches per epoch (default round(1/q), one pass in expectation). */
  readonly length: number;
  private readonly rng: Generator;

  constructor(dataset: Dataset<Tensor[]>, options: { sampleRate: number; length?: number; rng?: Generator }) {
    const op = 'PoissonLoader';
    if (dataset === null || typeof dataset !== 'object' || typeof (dataset as Dataset<Tensor[]>).get !== 'function' || typeof dataset.length !== 'number') {
      throw new ArgumentError(`${op}: dataset must have a length and a get(i) method, got ${describe(dataset)}`);
    }
    if (dataset.length === 0) throw new ArgumentError(`${op}: dataset is empty`);
    const o = parseOptions(op, options, { sampleRate: num({ min: 0, max: 1, openMin: true }), length: posInt, rng: rngCheck });
    if (o.sampleRate === undefined) throw new ArgumentError(`${op}: sampleRate is required`);
    this.dataset = dataset;
    this.sampleRate = o.sampleRate;
    this.length = o.length ?? Math.max(1, Math.round(1 / o.sampleRate));
    this.rng = o.rng ?? defaultGenerator();
  }

  /** One epoch of `length` Poisson-sampled batches. */
  *[Symbol.iterator](): Iterator<Tensor[]> {
    const N = this.dataset.length, q = this.sampleRate;
    const first = this.dataset.get(0);
    if (!Array.isArray(first) || first.some((t) => !(t instanceof Tensor))) throw new ArgumentError(`PoissonLoader: samples must be arrays of Tensors, got ${describe(first)}`);
    const fast = this.dataset instanceof TensorDataset;
    for (let s = 0; s < this.length; s++) {
      const idx: number[] = [];
      for (let i = 0; i < N; i++) if (this.rng.random() < q) idx.push(i);
      const rows = fast ? null : idx.map((i) => this.dataset.get(i));
      yield first.map((t0, k) => {
        const R = t0.size;
        const out = new Float32Array(idx.length * R);
        for (let j = 0; j < idx.length; j++) {
          const src = fast ? (this.dataset as unknown as TensorDataset).tensors[k].data.subarray(idx[j] * R, (idx[j] + 1) * R) : rows![j][k].data;
          if (src.length !== R) throw new ShapeError(`PoissonLoader: sample ${idx[j]} has a part of ${src.length} values where sample 0 has ${fmtShape(t0.shape)}`);
          out.set(src, j * R);
        }
        return new Tensor(out, [idx.length, ...t0.shape]);
      });
    }
  }
}

/** Options of {@link makePrivate}. @category Privacy */
export interface MakePrivateOptions {
  /** σ: the noise standard deviation in units of `maxGradNorm` (pick it with `getNoiseMultiplier`). */
  noiseMultiplier: number;
  /** C: each sample's whole gradient is clipped to this L2 norm. */
  maxGradNorm: number;
  /** The generator of the noise and of the Poisson sampling (default: the global one). */
  rng?: Generator;
  /** Poisson sampling of batches (default true; false keeps the given loader, and the accounting then assumes what it does not have). */
  poisson?: boolean;
  /** How the training loss reduces over the batch (default `'mean'`). */
  lossReduction?: LossReduction;
  /** Allow the per-sample loop for modules with parameters and no rule (default true). */
  fallback?: boolean;
  /** The accountant to record steps in (default a new one). */
  accountant?: RDPAccountant;
}

/** What {@link makePrivate} returns: pass `model`, `optimizer` and `data` to `fit`. @category Privacy */
export interface PrivateTraining {
  /** The same model, with the per-sample gradient hooks installed (`optimizer.sampler.remove()` takes them off). */
  model: Module;
  /** The DP optimizer wrapping the given one. */
  optimizer: DPOptimizer;
  /** The Poisson-sampling loader (or the given loader with `poisson: false`). */
  data: PoissonLoader | DataLoader<Tensor[]>;
  /** The accountant: `accountant.getEpsilon(delta)` after training. */
  accountant: RDPAccountant;
}

const MAKE_PRIVATE = {
  noiseMultiplier: nonNeg, maxGradNorm: positive, rng: rngCheck, poisson: bool,
  lossReduction: oneOf(['mean', 'sum'] as const), fallback: bool,
  accountant: instanceOf(RDPAccountant),
};

/**
 * DP-SGD, as Opacus' `PrivacyEngine.make_private`: hooks the model for per-sample gradients, wraps
 * the optimizer in a {@link DPOptimizer} (flat clipping to `maxGradNorm`, Gaussian noise
 * σ·C, division by the expected batch size q·N, one accountant step per optimizer step) and
 * replaces the loader by Poisson sampling at q = batchSize / N. The three go to `fit` unchanged:
 * `fit(model, { data, optimizer, loss, epochs })`.
 * @example
 * const net = new Linear(2, 2);
 * const dl = new DataLoader(new TensorDataset(ones([8, 2]), zeros([8])), { batchSize: 2 });
 * const p = makePrivate(net, new SGD(net.parameters(), { lr: 0.1 }), dl, { noiseMultiplier: 1, maxGradNorm: 1, rng: new Generator(0) });
 * p.optimizer.sampleRate; // 0.25
 * @throws ArgumentError for bad options, a data source that is not a DataLoader, an optimizer
 * updating a parameter the model does not own, a BatchNorm layer, or (with `fallback: false`) a
 * module with parameters and no per-sample rule.
 * @category Privacy
 */
export function makePrivate(model: Module, optimizer: WrappedOptimizer, data: DataLoader<Tensor[]>, options: MakePrivateOptions): PrivateTraining {
  const op = 'makePrivate';
  if (!(model instanceof Module)) throw new ArgumentError(`${op}: model must be a Module, got ${describe(model)}`);
  if (optimizer === null || typeof optimizer !== 'object' || typeof optimizer.step !== 'function' || typeof optimizer.zeroGrad !== 'function') {
    throw new ArgumentError(`${op}: optimizer must be an object with step() and zeroGrad() (a tensorkit/optim optimizer), got ${describe(optimizer)}`);
  }
  if (optimizer instanceof DPOptimizer) throw new ArgumentError(`${op}: optimizer is already a DPOptimizer`);
  if (!(data instanceof DataLoader)) throw new ArgumentError(`${op}: data must be a DataLoader (its dataset and batchSize give N and q), got ${describe(data)}`);
  const o = parseOptions(op, options, MAKE_PRIVATE);
  if (o.noiseMultiplier === undefined || o.maxGradNorm === undefined) throw new ArgumentError(`${op}: noiseMultiplier and maxGradNorm are required`);
  const N = data.dataset.length;
  if (N === 0) throw new ArgumentError(`${op}: the data set is empty`);
  // A parameter the optimizer updates but the model does not own would keep its plain gradient.
  const groups = (optimizer as { paramGroups?: unknown }).paramGroups;
  if (Array.isArray(groups)) {
    const own = new Set(model.parameters());
    for (const g of groups) {
      const ps = (g as { params?: unknown } | null)?.params;
      for (const p of Array.isArray(ps) ? ps : []) {
        if (p instanceof Tensor && p.requiresGrad && !own.has(p as never)) {
          throw new ArgumentError(`${op}: the optimizer updates a parameter ${fmtShape(p.shape)} that is not in the model, so its gradient would not be privatized; build the optimizer on model.parameters()`);
        }
      }
    }
  }
  const q = Math.min(1, data.batchSize / N);
  const rng = o.rng ?? defaultGenerator();
  const sampler = new GradSampler(model, { ...(o.lossReduction ? { lossReduction: o.lossReduction } : {}), ...(o.fallback === undefined ? {} : { fallback: o.fallback }) });
  const accountant = o.accountant ?? new RDPAccountant();
  const dp = new DPOptimizer(optimizer, sampler, { noiseMultiplier: o.noiseMultiplier, maxGradNorm: o.maxGradNorm, sampleRate: q, expectedBatchSize: q * N, rng, accountant });
  const loader = (o.poisson ?? true) ? new PoissonLoader(data.dataset as Dataset<Tensor[]>, { sampleRate: q, length: data.length, rng }) : data;
  return { model, optimizer: dp, data: loader, accountant };
}
