import { ArgumentError } from '../tensor/index';
import { nonNegInt, num, oneOf, parseOptions, posInt, prob, checkArg } from '../tensor/options';
import type { Module } from '../nn/index';
import type { Callback, TrainContext } from '../train/index';
import { globalUnstructured, l1Unstructured, prunePairs, prunedCounts } from './prune';
import { roundHalfEven } from './prune-masks';

/** Options of {@link PruningSchedule}. */
export interface PruningScheduleOptions {
  /** The sparsity s_f reached at `endStep` and kept after it, in [0, 1]. */
  finalSparsity: number;
  /** The sparsity s_i pruned at `beginStep` (default 0), in [0, finalSparsity]. */
  initialSparsity?: number;
  /** t₀, the optimizer step (counted from 0 over all epochs) of the first pruning (default 0). */
  beginStep?: number;
  /** t₀ + nΔt, the step of the last pruning; `endStep − beginStep` must be a multiple of `frequency`. */
  endStep: number;
  /** Δt, steps between prunings (default 100). */
  frequency?: number;
  /** The exponent of the polynomial (default 3, Zhu & Gupta's). */
  power?: number;
  /**
   * `'global'` (default): rank the magnitudes of all the listed tensors together
   * ({@link globalUnstructured}), reaching s_t over their union; `'layer'`: each tensor pruned to
   * s_t on its own ({@link l1Unstructured}).
   */
  scope?: 'global' | 'layer';
}

const SPEC = {
  finalSparsity: prob, initialSparsity: prob, beginStep: nonNegInt, endStep: nonNegInt, frequency: posInt,
  power: num({ min: 0, openMin: true }), scope: oneOf(['global', 'layer'] as const),
};

/**
 * Gradual magnitude pruning as a `fit` callback, with the polynomial schedule of Zhu & Gupta
 * (2017): at steps t = t₀, t₀ + Δt, …, t₀ + nΔt the listed tensors are pruned (by |w|) to the
 * sparsity s_t = s_f + (s_i − s_f)(1 − (t − t₀)/(nΔt))³, and masks keep them there in between (a
 * pruned weight stays zero and gets no gradient). Steps are optimizer steps counted over all
 * epochs; the pruning of step t runs before that batch's forward pass. Each pruning composes with
 * the masks already there, pruning only what s_t adds (counts, so s_t is met exactly: round(s_t·N)
 * pruned entries, half to even).
 * @example
 * const model = new Linear(10, 1, { rng: new Generator(0) });
 * const sched = new PruningSchedule([[model, 'weight']], { finalSparsity: 0.8, endStep: 4, frequency: 2 });
 * sched.sparsityAt(0); // 0
 * sched.sparsityAt(2); // 0.7
 * sched.sparsityAt(9); // 0.8
 * @throws ArgumentError for a bad list of parameters or options (initialSparsity above
 * finalSparsity, endStep before beginStep or not on the Δt grid).
 * @see Zhu & Gupta, "To prune, or not to prune: exploring the efficacy of pruning for model compression", 2017.
 * @category Pruning
 */
export class PruningSchedule implements Callback {
  /** The `[module, name]` pairs pruned. */
  readonly params: [Module, string][];
  /** s_f. */
  readonly finalSparsity: number;
  /** s_i. */
  readonly initialSparsity: number;
  /** t₀. */
  readonly beginStep: number;
  /** t₀ + nΔt. */
  readonly endStep: number;
  /** Δt. */
  readonly frequency: number;
  /** The exponent (3). */
  readonly power: number;
  /** 'global' or 'layer'. */
  readonly scope: 'global' | 'layer';
  /** Optimizer steps seen so far (the t of the next batch). */
  step = 0;

  constructor(params: readonly (readonly [Module, string])[], options: PruningScheduleOptions) {
    const op = 'PruningSchedule';
    this.params = checkArg(op, 'params', params, prunePairs);
    const o = parseOptions(op, options, SPEC);
    if (o.finalSparsity === undefined) prob(undefined, 'finalSparsity', op);
    if (o.endStep === undefined) nonNegInt(undefined, 'endStep', op);
    this.finalSparsity = o.finalSparsity!;
    this.initialSparsity = o.initialSparsity ?? 0;
    this.beginStep = o.beginStep ?? 0;
    this.endStep = o.endStep!;
    this.frequency = o.frequency ?? 100;
    this.power = o.power ?? 3;
    this.scope = o.scope ?? 'global';
    if (this.initialSparsity > this.finalSparsity) throw new ArgumentError(`${op}: initialSparsity ${this.initialSparsity} must be ≤ finalSparsity ${this.finalSparsity}`);
    const span = this.endStep - this.beginStep;
    if (span < 0 || span % this.frequency !== 0) {
      throw new ArgumentError(`${op}: endStep − beginStep (${this.endStep} − ${this.beginStep}) must be a non-negative multiple of frequency ${this.frequency}`);
    }
  }

  /**
   * s_t = s_f + (s_i − s_f)(1 − (t − t₀)/(nΔt))^power for t₀ ≤ t ≤ t₀ + nΔt; 0 before t₀ (nothing
   * pruned yet), s_f after.
   */
  sparsityAt(step: number): number {
    const t = checkArg('PruningSchedule.sparsityAt', 'step', step, nonNegInt);
    if (t < this.beginStep) return 0;
    const span = this.endStep - this.beginStep;
    const r = span === 0 ? 1 : Math.min(1, (t - this.beginStep) / span);
    return this.finalSparsity + (this.initialSparsity - this.finalSparsity) * (1 - r) ** this.power;
  }

  /** True if the schedule prunes at step t (t₀ ≤ t ≤ t₀ + nΔt on the Δt grid). */
  prunesAt(step: number): boolean {
    return step >= this.beginStep && step <= this.endStep && (step - this.beginStep) % this.frequency === 0;
  }

  /** Prunes every listed tensor (or their union) up to s_t; called by `fit` before each batch. */
  onBatchBegin(_batch: number, _ctx: TrainContext): void {
    const t = this.step++;
    if (this.prunesAt(t)) this.pruneTo(this.sparsityAt(t));
  }

  /** Prunes the listed tensors so that round(s·N) of their entries are pruned (never un-prunes). */
  pruneTo(sparsity: number): void {
    const op = 'PruningSchedule';
    const s = checkArg(`${op}.pruneTo`, 'sparsity', sparsity, prob);
    const counts = prunedCounts(op, this.params);
    const want = (n: number): number => roundHalfEven(s * n);
    if (this.scope === 'global') {
      let pruned = 0, total = 0;
      for (const c of counts) {
        pruned += c.pruned;
        total += c.total;
      }
      globalUnstructured(this.params, { amount: { count: Math.max(0, want(total) - pruned) } });
    } else {
      this.params.forEach(([m, n], i) => l1Unstructured(m, n, { amount: { count: Math.max(0, want(counts[i].total) - counts[i].pruned) } }));
    }
  }
}
