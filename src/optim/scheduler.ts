import { ArgumentError, FormatError, ShapeError } from '../tensor/errors';
import { decodeNumber, decodeNumbers, encodeNumber, encodeNumbers } from '../tensor/json';
import {
  anyOf, arrayOf, badValue, bool, checkArg, nonNeg, nonNegInt, num, oneOf, parseOptions, positive, posInt, prob, type Check,
} from '../tensor/options';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { Optimizer, type JsonValue } from './optimizer';

/**
 * The serialized state of a scheduler, JSON-safe (non-finite numbers as `'Infinity'` etc.):
 * `scheduler` is the class name, `lastEpoch` the number of `step()` calls since construction
 * (PyTorch's `last_epoch`), `baseLrs` and `lastLr` one entry per parameter group, and the
 * scheduler's options and counters under their option names.
 */
export interface SchedulerStateDict {
  /** Class name of the scheduler that wrote the state (`'StepLR'`); loading into another class throws. */
  scheduler: string;
  /** Number of `step()` calls since construction (PyTorch's `last_epoch`). */
  lastEpoch: number;
  /** Learning rates set by the last `step()`, one per parameter group (non-finite values as strings). */
  lastLr: Array<number | string>;
  [key: string]: JsonValue;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A saved per-group list of numbers (JSON convention of `tensor/json`), one per parameter group. */
function decodeList(v: unknown, n: number, where: string): number[] {
  if (Array.isArray(v) && v.length !== n) throw new ShapeError(`${where} has ${v.length} entries but the optimizer has ${n} parameter groups`);
  return decodeNumbers(v, where);
}

/** The first argument of every scheduler. */
const optimizerArg: Check<Optimizer> = (v, name, op) => {
  if (!(v instanceof Optimizer)) throw badValue(op, name, 'an Optimizer (e.g. new SGD(params, { lr }))', v);
  return v;
};

/** A number ≥ 0, or one per parameter group. */
const nonNegOrList: Check<number | number[]> = anyOf<number | number[]>('a finite number ≥ 0 or an array of them (one per parameter group)', nonNeg, arrayOf(nonNeg));

/** A number or one number per parameter group, each passing `check`, as one number per group. */
function perGroup(where: string, name: string, v: unknown, n: number, check: Check<number>): number[] {
  if (Array.isArray(v)) {
    if (v.length !== n) throw new ArgumentError(`${where}: ${name} has ${v.length} entries but the optimizer has ${n} parameter groups`);
    return v.map((x, i) => check(x, `${name}[${i}]`, where));
  }
  return new Array<number>(n).fill(check(v, name, where));
}

/**
 * Base class of the epoch-based learning-rate schedulers. `step()` advances `lastEpoch` and sets
 * every group's `lr` by the scheduler's chainable rule (the same arithmetic as
 * `torch.optim.lr_scheduler`, so `getLastLr()` prints the same numbers); the constructor takes
 * the first step (epoch 0), as PyTorch does. A group's first learning rate is kept in
 * `group.initialLr` (PyTorch's `initial_lr`).
 *
 * Call `optimizer.step()` first and `scheduler.step()` after it, once per epoch (or per batch for
 * {@link OneCycleLR}). To resume, save and load both state dicts.
 * @example
 * const opt = new SGD([new Parameter(tensor([1]))], { lr: 1 });
 * const s = new ExponentialLR(opt, { gamma: 0.5 });
 * s.step();
 * s.getLastLr(); // [0.5]
 * @category Schedulers
 */
export abstract class LRScheduler {
  /** The optimizer whose groups' `lr` this scheduler sets. */
  readonly optimizer: Optimizer;
  /** The class name, checked by `loadStateDict`. */
  readonly name: string;
  /** Number of `step()` calls since construction (0 after construction). */
  lastEpoch = -1;
  /** The learning rates the schedule starts from, one per group. */
  baseLrs: number[] = [];
  /** The learning rates set by the last `step()`, one per group; read them with {@link getLastLr}. */
  protected lastLr: number[] = [];

  constructor(name: string, optimizer: Optimizer) {
    this.name = name;
    this.optimizer = checkArg(name, 'optimizer', optimizer, optimizerArg);
  }

  /** Records the base learning rates and takes the first step; subclasses call it last in their constructor. */
  protected start(): void {
    for (const g of this.optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr;
    this.baseLrs = this.optimizer.paramGroups.map((g) => g.initialLr as number);
    this.step();
  }

  /** The learning rates of the groups at `this.lastEpoch`, by the chainable rule (PyTorch's `get_lr`). */
  protected abstract computeLr(): number[];
  /** The scheduler's options (JSON) for the state dict. */
  protected abstract options(): Record<string, JsonValue>;
  /** Validates and applies options (constructor and `loadStateDict`). */
  protected abstract setOptions(o: Record<string, unknown>, where: string): void;

  /** Advances one epoch and sets every group's learning rate. */
  step(): void {
    this.lastEpoch++;
    const lrs = this.computeLr();
    const groups = this.optimizer.paramGroups;
    for (let i = 0; i < groups.length; i++) groups[i].lr = lrs[i];
    this.lastLr = groups.map((g) => g.lr);
  }

  /** The learning rates set by the last `step()` (one per group). */
  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  /** A JSON-safe snapshot: `lastEpoch`, `baseLrs`, `lastLr` and the options. See {@link SchedulerStateDict}. */
  stateDict(): SchedulerStateDict {
    return { scheduler: this.name, lastEpoch: this.lastEpoch, baseLrs: encodeNumbers(this.baseLrs), lastLr: encodeNumbers(this.lastLr), ...this.options() };
  }

  /**
   * Restores a state from {@link stateDict} and sets every group's `lr` to the saved
   * `getLastLr()`. Load the optimizer's state dict too (it holds the momentum / β₁ that
   * {@link OneCycleLR} cycles and the optimizer's own state). Nothing changes unless the state is valid.
   * @throws FormatError on a malformed state or one from another scheduler class; ShapeError when
   * the per-group lists do not match the optimizer's groups; ArgumentError on an invalid option.
   */
  loadStateDict(sd: SchedulerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    if (!isRecord(sd)) throw new FormatError(`${where}: expected an object, got ${describe(sd)}`);
    if (sd.scheduler !== this.name) throw new FormatError(`${where}: the state dict is from ${describe(sd.scheduler)}, not ${this.name}`);
    const n = this.optimizer.paramGroups.length;
    const lastEpoch = sd.lastEpoch;
    if (typeof lastEpoch !== 'number' || !Number.isInteger(lastEpoch) || lastEpoch < 0) throw new FormatError(`${where}: lastEpoch must be an integer ≥ 0, got ${describe(lastEpoch)}`);
    const baseLrs = decodeList(sd.baseLrs, n, `${where}: baseLrs`);
    const lastLr = decodeList(sd.lastLr, n, `${where}: lastLr`);
    const opts: Record<string, unknown> = {};
    for (const k of Object.keys(sd)) if (k !== 'scheduler' && k !== 'lastEpoch' && k !== 'baseLrs' && k !== 'lastLr') opts[k] = sd[k];
    const saved = this.options();
    for (const k of Object.keys(saved)) if (!(k in opts)) throw new FormatError(`${where}: missing '${k}'`);
    for (const k of Object.keys(opts)) if (!(k in saved)) throw new FormatError(`${where}: unknown entry '${k}'`);
    const decoded: Record<string, unknown> = {};
    for (const k of Object.keys(opts)) {
      const v = opts[k];
      decoded[k] = Array.isArray(v) ? v.map((x) => decodeNumber(x) ?? x) : (decodeNumber(v) ?? v);
    }
    const before = this.options();
    try {
      this.setOptions(decoded, where);
    } catch (e) {
      this.setOptions(before, where);
      throw e;
    }
    this.lastEpoch = lastEpoch;
    this.baseLrs = baseLrs;
    this.lastLr = lastLr;
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = lastLr[i];
    });
  }
}

/** Options of {@link StepLR}. */
export interface StepLROptions {
  /** Epochs between decays (an integer ≥ 1). */
  stepSize: number;
  /** Multiplicative decay γ (default 0.1). */
  gamma?: number;
}

/**
 * Step decay: η_e = η₀ · γ^⌊e / stepSize⌋, computed as torch's chainable `StepLR` (the current lr
 * times γ every `stepSize` epochs).
 * @example
 * const opt = new SGD([new Parameter(tensor([1]))], { lr: 1 });
 * const s = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
 * s.step(); s.step();
 * s.getLastLr(); // [0.5]
 * @throws ArgumentError on stepSize not a positive integer, gamma negative or not finite.
 * @category Schedulers
 */
export class StepLR extends LRScheduler {
  /** Epochs between decays (an integer ≥ 1). */
  stepSize = 1;
  /** Multiplicative decay γ applied every `stepSize` epochs (default 0.1). */
  gamma = 0.1;

  constructor(optimizer: Optimizer, options: StepLROptions) {
    super('StepLR', optimizer);
    this.setOptions({ gamma: 0.1, ...parseOptions('StepLR', options, { stepSize: posInt, gamma: nonNeg }) }, 'StepLR');
    this.start();
  }

  protected computeLr(): number[] {
    const e = this.lastEpoch;
    return this.optimizer.paramGroups.map((g) => (e === 0 || e % this.stepSize !== 0 ? g.lr : g.lr * this.gamma));
  }

  protected options(): Record<string, JsonValue> {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }

  protected setOptions(o: Record<string, unknown>, where: string): void {
    const stepSize = checkArg(where, 'stepSize', o.stepSize, posInt);
    this.gamma = checkArg(where, 'gamma', o.gamma, nonNeg);
    this.stepSize = stepSize;
  }
}

/** Options of {@link MultiStepLR}. */
export interface MultiStepLROptions {
  /** Epochs at which to decay (integers ≥ 0; a repeated milestone decays once per repetition). */
  milestones: number[];
  /** Multiplicative decay γ (default 0.1). */
  gamma?: number;
}

/**
 * Decay at milestones: η_e = η₀ · γ^(number of milestones ≤ e), computed as torch's chainable
 * `MultiStepLR` (the current lr times γ^count at each milestone).
 * @example
 * const opt = new SGD([new Parameter(tensor([1]))], { lr: 1 });
 * const s = new MultiStepLR(opt, { milestones: [1, 3], gamma: 0.5 });
 * s.step(); s.step(); s.step();
 * s.getLastLr(); // [0.25]
 * @throws ArgumentError on milestones that are not non-negative integers, gamma negative or not finite.
 * @category Schedulers
 */
export class MultiStepLR extends LRScheduler {
  /** Epochs at which to decay, sorted ascending (a repeated milestone decays once per repetition). */
  milestones: number[] = [];
  /** Multiplicative decay γ applied at each milestone (default 0.1). */
  gamma = 0.1;

  constructor(optimizer: Optimizer, options: MultiStepLROptions) {
    super('MultiStepLR', optimizer);
    this.setOptions({ gamma: 0.1, ...parseOptions('MultiStepLR', options, { milestones: arrayOf(nonNegInt), gamma: nonNeg }) }, 'MultiStepLR');
    this.start();
  }

  protected computeLr(): number[] {
    let count = 0;
    for (const m of this.milestones) if (m === this.lastEpoch) count++;
    if (count === 0) return this.optimizer.paramGroups.map((g) => g.lr);
    return this.optimizer.paramGroups.map((g) => g.lr * this.gamma ** count);
  }

  protected options(): Record<string, JsonValue> {
    return { milestones: this.milestones.slice(), gamma: this.gamma };
  }

  protected setOptions(o: Record<string, unknown>, where: string): void {
    const milestones = checkArg(where, 'milestones', o.milestones, arrayOf(nonNegInt));
    this.gamma = checkArg(where, 'gamma', o.gamma, nonNeg);
    this.milestones = milestones.sort((a, b) => a - b);
  }
}

/** Options of {@link ExponentialLR}. */
export interface ExponentialLROptions {
  /** Multiplicative decay γ per epoch. */
  gamma: number;
}

/**
 * Exponential decay: η_e = η₀ · γᵉ, computed as torch's chainable `ExponentialLR` (the current
 * lr times γ each epoch).
 * @example
 * const opt = new SGD([new Parameter(tensor([1]))], { lr: 2 });
 * const s = new ExponentialLR(opt, { gamma: 0.5 });
 * s.step(); s.step();
 * s.getLastLr(); // [0.5]
 * @throws ArgumentError on gamma negative or not finite.
 * @category Schedulers
 */
export class ExponentialLR extends LRScheduler {
  /** Multiplicative decay γ per epoch. */
  gamma = 1;

  constructor(optimizer: Optimizer, options: ExponentialLROptions) {
    super('ExponentialLR', optimizer);
    this.setOptions(parseOptions('ExponentialLR', options, { gamma: nonNeg }), 'ExponentialLR');
    this.start();
  }

  protected computeLr(): number[] {
    return this.optimizer.paramGroups.map((g) => (this.lastEpoch === 0 ? g.lr : g.lr * this.gamma));
  }

  protected options(): Record<string, JsonValue> {
    return { gamma: this.gamma };
  }

  protected setOptions(o: Record<string, unknown>, where: string): void {
    this.gamma = checkArg(where, 'gamma', o.gamma, nonNeg);
  }
}

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions {
  /** Half period T_max in epochs (> 0). */
  tMax: number;
  /** Minimum learning rate η_min (default 0). */
  etaMin?: number;
}

/**
 * Cosine annealing: η_e = η_min + (η₀ − η_min)(1 + cos(πe / T_max)) / 2, computed as torch's
 * chainable `CosineAnnealingLR` (which keeps rising again after T_max, with period 2·T_max).
 * @example
 * const opt = new SGD([new Parameter(tensor([1]))], { lr: 1 });
 * const s = new CosineAnnealingLR(opt, { tMax: 2 });
 * s.step();
 * s.getLastLr(); // [0.5]
 * @throws ArgumentError on tMax not > 0 or etaMin negative or not finite.
 * @see Loshchilov & Hutter 2017, "SGDR: Stochastic Gradient Descent with Warm Restarts", https://arxiv.org/abs/1608.03983
 * @category Schedulers
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Half period T_max in epochs (> 0). */
  tMax = 1;
  /** Minimum learning rate η_min (default 0). */
  etaMin = 0;

  constructor(optimizer: Optimizer, options: CosineAnnealingLROptions) {
    super('CosineAnnealingLR', optimizer);
    this.setOptions({ etaMin: 0, ...parseOptions('CosineAnnealingLR', options, { tMax: positive, etaMin: nonNeg }) }, 'CosineAnnealingLR');
    this.start();
  }

  protected computeLr(): number[] {
    const e = this.lastEpoch, T = this.tMax, etaMin = this.etaMin;
    const groups = this.optimizer.paramGroups;
    if (e === 0) return groups.map((g) => g.lr);
    if ((e - 1 - T) % (2 * T) === 0) {
      return groups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return groups.map((g) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (g.lr - etaMin) + etaMin);
  }

  protected options(): Record<string, JsonValue> {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }

  protected setOptions(o: Record<string, unknown>, where: string): void {
    const tMax = checkArg(where, 'tMax', o.tMax, positive);
    this.etaMin = checkArg(where, 'etaMin', o.etaMin, nonNeg);
    this.tMax = tMax;
  }
}

/** A warmup's starting factor, in (0, 1]. */
const FACTOR = num({ min: 0, openMin: true, max: 1 });

/** Options of {@link LinearWarmup}. */
export interface LinearWarmupOptions {
  /** Epochs (or batches) over which the factor ramps to 1 (an integer ≥ 1). */
  warmupSteps: number;
  /** Factor at epoch 0, in (0, 1] (default 1/3, as torch's `LinearLR`). */
  startFactor?: number;
}

/**
 * Linear warmup: η_e = η₀ · (s + (1 − s) · min(e, W) / W) with s = `startFactor`, W =
 * `warmupSteps`: the base lr times a factor ramping linearly from s to 1, then constant.
 * Computed as torch's chainable `LinearLR(start_factor=s, end_factor=1, total_iters=W)`.
 * @example
 * const opt = new SGD([new Parameter(tensor([1]))], { lr: 1 });
 * const s = new LinearWarmup(opt, { warmupSteps: 2, startFactor: 0.5 });
 * s.getLastLr(); // [0.5]
 * s.step();
 * s.getLastLr(); // [0.75]
 * @throws ArgumentError on warmupSteps not a positive integer or startFactor outside (0, 1].
 * @category Schedulers
 */
export class LinearWarmup extends LRScheduler {
  /** Epochs (or batches) W over which the factor ramps to 1 (an integer ≥ 1). */
  warmupSteps = 1;
  /** Factor s at epoch 0, in (0, 1] (default 1/3). */
  startFactor = 1 / 3;

  constructor(optimizer: Optimizer, options: LinearWarmupOptions) {
    super('LinearWarmup', optimizer);
    this.setOptions({ startFactor: 1 / 3, ...parseOptions('LinearWarmup', options, { warmupSteps: posInt, startFactor: FACTOR }) }, 'LinearWarmup');
    this.start();
  }

  protected computeLr(): number[] {
    const e = this.lastEpoch, s = this.startFactor, T = this.warmupSteps;
    const groups = this.optimizer.paramGroups;
    if (e === 0) return groups.map((g) => g.lr * s);
    if (e > T) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * (1 + (1 - s) / (T * s + (e - 1) * (1 - s))));
  }

  protected options(): Record<string, JsonValue> {
    return { warmupSteps: this.warmupSteps, startFactor: this.startFactor };
  }

  protected setOptions(o: Record<string, unknown>, where: string): void {
    const warmupSteps = checkArg(where, 'warmupSteps', o.warmupSteps, posInt);
    this.startFactor = checkArg(where, 'startFactor', o.startFactor, FACTOR);
    this.warmupSteps = warmupSteps;
  }
}

/** Options of {@link OneCycleLR}. Give `totalSteps`, or `epochs` and `stepsPerEpoch`. */
export interface OneCycleLROptions {
  /** Peak learning rate (one per group, or one for all). */
  maxLr: number | number[];
  /** Number of `step()` calls in the cycle. */
  totalSteps?: number;
  /** Epochs (with `stepsPerEpoch`, instead of `totalSteps`). */
  epochs?: number;
  /** Steps per epoch (with `epochs`). */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr, in [0, 1] (default 0.3). */
  pctStart?: number;
  /** `'cos'` (default) or `'linear'` annealing. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle the momentum (SGD, RMSprop `momentum`; Adam-family β₁) inversely to the lr (default true, as PyTorch). */
  cycleMomentum?: boolean;
  /** Lowest momentum, reached at the peak lr (default 0.85). */
  baseMomentum?: number | number[];
  /** Highest momentum, at the start and end (default 0.95). */
  maxMomentum?: number | number[];
  /** Initial lr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** Final lr = initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
}

/**
 * The 1cycle policy: the lr rises from maxLr/divFactor to maxLr over the first pctStart of the
 * steps, then anneals to maxLr/(divFactor·finalDivFactor), by cos (η = b + (a − b)(1 + cos πp)/2)
 * or linearly, exactly as torch's `OneCycleLR` (two phases). With `cycleMomentum` the momentum
 * (or β₁) moves the other way between maxMomentum and baseMomentum, as in PyTorch, which needs an
 * optimizer with `momentum` or `betas`. Step it once per batch; stepping past `totalSteps` throws.
 * @example
 * const opt = new SGD([new Parameter(tensor([1]))], { lr: 1, momentum: 0.9 });
 * const s = new OneCycleLR(opt, { maxLr: 1, totalSteps: 10, annealStrategy: 'linear' });
 * s.getLastLr(); // [0.04]
 * @throws ArgumentError on invalid options, neither totalSteps nor epochs and stepsPerEpoch,
 * cycleMomentum on an optimizer without momentum or betas, or a step past totalSteps.
 * @see Smith & Topin 2018, "Super-Convergence: Very Fast Training of Neural Networks Using Large Learning Rates", https://arxiv.org/abs/1708.07120
 * @category Schedulers
 */
export class OneCycleLR extends LRScheduler {
  /** Number of `step()` calls in the cycle (an integer ≥ 1). */
  totalSteps = 1;
  /** Fraction of the cycle spent increasing the lr, in [0, 1] (default 0.3). */
  pctStart = 0.3;
  /** `'cos'` (default) or `'linear'` annealing. */
  annealStrategy: 'cos' | 'linear' = 'cos';
  /** Whether the momentum (or β₁) is cycled inversely to the lr (default true). */
  cycleMomentum = true;
  /** Initial lr = maxLr / divFactor (default 25). */
  divFactor = 25;
  /** Final lr = initial lr / finalDivFactor (default 1e4). */
  finalDivFactor = 1e4;
  /** Peak learning rate, one per group. */
  maxLrs: number[] = [];
  /** Final learning rate maxLr / (divFactor · finalDivFactor), one per group. */
  minLrs: number[] = [];
  /** Lowest momentum (or β₁), reached at the peak lr, one per group (default 0.85). */
  baseMomentums: number[] = [];
  /** Highest momentum (or β₁), at the start and end of the cycle, one per group (default 0.95). */
  maxMomentums: number[] = [];

  constructor(optimizer: Optimizer, options: OneCycleLROptions) {
    super('OneCycleLR', optimizer);
    const where = 'OneCycleLR';
    const o = parseOptions(where, options, {
      maxLr: nonNegOrList, totalSteps: posInt, epochs: posInt, stepsPerEpoch: posInt, pctStart: prob, annealStrategy: oneOf(['cos', 'linear'] as const),
      cycleMomentum: bool, baseMomentum: nonNegOrList, maxMomentum: nonNegOrList, divFactor: positive, finalDivFactor: positive,
    });
    let totalSteps: number;
    if (o.totalSteps !== undefined) totalSteps = o.totalSteps;
    else if (o.epochs !== undefined || o.stepsPerEpoch !== undefined) {
      totalSteps = checkArg(where, 'epochs', o.epochs, posInt) * checkArg(where, 'stepsPerEpoch', o.stepsPerEpoch, posInt);
    } else throw new ArgumentError(`${where}: give totalSteps, or epochs and stepsPerEpoch`);
    const n = optimizer.paramGroups.length;
    const maxLrs = perGroup(where, 'maxLr', o.maxLr, n, nonNeg);
    const divFactor = o.divFactor ?? 25, finalDivFactor = o.finalDivFactor ?? 1e4;
    const initial = maxLrs.map((m) => m / divFactor);
    const cycleMomentum = o.cycleMomentum ?? true;
    const maxMomentums = perGroup(where, 'maxMomentum', o.maxMomentum ?? 0.95, n, nonNeg);
    const baseMomentums = perGroup(where, 'baseMomentum', o.baseMomentum ?? 0.85, n, nonNeg);
    this.setOptions({
      totalSteps, pctStart: o.pctStart ?? 0.3, annealStrategy: o.annealStrategy ?? 'cos', cycleMomentum, divFactor, finalDivFactor,
      maxLrs, minLrs: initial.map((x) => x / finalDivFactor), baseMomentums, maxMomentums,
    }, where);
    if (cycleMomentum) {
      const d = optimizer.defaults as unknown as Record<string, unknown>;
      if (!('momentum' in d) && !('betas' in d)) throw new ArgumentError(`${where}: cycleMomentum needs an optimizer with momentum or betas; ${optimizer.name} has neither (pass cycleMomentum: false)`);
      const useBeta1 = 'betas' in d;
      optimizer.paramGroups.forEach((g, i) => {
        const r = g as unknown as Record<string, unknown>;
        if (useBeta1) r.betas = [maxMomentums[i], (r.betas as number[])[1]];
        else r.momentum = maxMomentums[i];
      });
    }
    optimizer.paramGroups.forEach((g, i) => {
      g.initialLr = initial[i];
    });
    this.start();
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'cos') return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  protected computeLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new ArgumentError(`OneCycleLR: stepped ${stepNum + 1} times but totalSteps is ${this.totalSteps}`);
    }
    const end1 = this.pctStart * this.totalSteps - 1;
    const end2 = this.totalSteps - 1;
    const d = this.optimizer.defaults as unknown as Record<string, unknown>;
    const useBeta1 = 'betas' in d;
    return this.optimizer.paramGroups.map((g, i) => {
      let lr: number, mom: number;
      if (stepNum <= end1) {
        const pct = stepNum / end1;
        lr = this.anneal(this.baseLrs[i], this.maxLrs[i], pct);
        mom = this.anneal(this.maxMomentums[i], this.baseMomentums[i], pct);
      } else {
        const pct = (stepNum - end1) / (end2 - end1);
        lr = this.anneal(this.maxLrs[i], this.minLrs[i], pct);
        mom = this.anneal(this.baseMomentums[i], this.maxMomentums[i], pct);
      }
      if (this.cycleMomentum) {
        const r = g as unknown as Record<string, unknown>;
        if (useBeta1) r.betas = [mom, (r.betas as number[])[1]];
        else r.momentum = mom;
      }
      return lr;
    });
  }

  protected options(): Record<string, JsonValue> {
    return {
      totalSteps: this.totalSteps, pctStart: this.pctStart, annealStrategy: this.annealStrategy, cycleMomentum: this.cycleMomentum,
      divFactor: this.divFactor, finalDivFactor: this.finalDivFactor, maxLrs: encodeNumbers(this.maxLrs), minLrs: encodeNumbers(this.minLrs),
      baseMomentums: encodeNumbers(this.baseMomentums), maxMomentums: encodeNumbers(this.maxMomentums),
    };
  }

  protected setOptions(o: Record<string, unknown>, where: string): void {
    const n = this.optimizer.paramGroups.length;
    const totalSteps = checkArg(where, 'totalSteps', o.totalSteps, posInt);
    const pctStart = checkArg(where, 'pctStart', o.pctStart, prob);
    const annealStrategy = checkArg(where, 'annealStrategy', o.annealStrategy, oneOf(['cos', 'linear'] as const));
    const cycleMomentum = checkArg(where, 'cycleMomentum', o.cycleMomentum, bool);
    const divFactor = checkArg(where, 'divFactor', o.divFactor, positive);
    const finalDivFactor = checkArg(where, 'finalDivFactor', o.finalDivFactor, positive);
    const lists = ['maxLrs', 'minLrs', 'baseMomentums', 'maxMomentums'].map((k) => {
      if (!Array.isArray(o[k])) throw badValue(where, k, 'an array', o[k]);
      return perGroup(where, k, o[k], n, nonNeg);
    });
    this.totalSteps = totalSteps;
    this.pctStart = pctStart;
    this.annealStrategy = annealStrategy;
    this.cycleMomentum = cycleMomentum;
    this.divFactor = divFactor;
    this.finalDivFactor = finalDivFactor;
    [this.maxLrs, this.minLrs, this.baseMomentums, this.maxMomentums] = lists;
  }
}

/** ReduceLROnPlateau's decay factor, in [0, 1). */
const PLATEAU_FACTOR = num({ min: 0, max: 1, openMax: true });

/** Options of {@link ReduceLROnPlateau}. */
export interface ReduceLROnPlateauOptions {
  /** `'min'` (default): lower metric is better; `'max'`: higher is better. */
  mode?: 'min' | 'max';
  /** Multiplicative decay on a plateau, in [0, 1) (default 0.1). */
  factor?: number;
  /** Epochs without improvement tolerated before decaying (default 10). */
  patience?: number;
  /** Minimum significant improvement (default 1e-4). */
  threshold?: number;
  /** `'rel'` (default): improve on best·(1 ∓ threshold); `'abs'`: on best ∓ threshold. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a decay before counting again (default 0). */
  cooldown?: number;
  /** Lower bound of the lr (one per group, or one for all; default 0). */
  minLr?: number | number[];
  /** A decay smaller than this is skipped (default 1e-8). */
  eps?: number;
}

/**
 * Decays the lr on a plateau: after more than `patience` epochs whose metric does not improve on
 * the best by `threshold`, every group's lr becomes max(lr · factor, minLr), exactly as torch's
 * `ReduceLROnPlateau`. `step(metric)` takes the epoch's validation metric.
 * @example
 * const opt = new SGD([new Parameter(tensor([1]))], { lr: 1 });
 * const s = new ReduceLROnPlateau(opt, { patience: 1, factor: 0.5 });
 * for (const m of [3, 2, 2, 2]) s.step(m);
 * s.getLastLr(); // [0.5]
 * @throws ArgumentError on invalid options or a metric that is not a number (or one-element Tensor).
 * @category Schedulers
 */
export class ReduceLROnPlateau {
  /** The optimizer whose groups' `lr` this scheduler sets. */
  readonly optimizer: Optimizer;
  /** The class name, checked by `loadStateDict`. */
  readonly name = 'ReduceLROnPlateau';
  /** `'min'` (default): lower metric is better; `'max'`: higher is better. */
  mode: 'min' | 'max' = 'min';
  /** Multiplicative decay on a plateau, in [0, 1) (default 0.1). */
  factor = 0.1;
  /** Epochs without improvement tolerated before decaying (default 10). */
  patience = 10;
  /** Minimum significant improvement (default 1e-4). */
  threshold = 1e-4;
  /** `'rel'` (default): improve on best·(1 ∓ threshold); `'abs'`: on best ∓ threshold. */
  thresholdMode: 'rel' | 'abs' = 'rel';
  /** Epochs to wait after a decay before counting again (default 0). */
  cooldown = 0;
  /** Lower bound of the lr, one per group (default 0). */
  minLrs: number[] = [];
  /** A decay smaller than this is skipped (default 1e-8). */
  eps = 1e-8;
  /** Best metric so far (±Infinity before the first step). */
  best = Infinity;
  /** Consecutive epochs without improvement. */
  numBadEpochs = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  /** Number of `step` calls. */
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}) {
    const where = 'ReduceLROnPlateau';
    this.optimizer = checkArg(where, 'optimizer', optimizer, optimizerArg);
    const { minLr, ...o } = parseOptions(where, options, {
      mode: oneOf(['min', 'max'] as const), factor: PLATEAU_FACTOR, patience: nonNegInt, threshold: nonNeg, thresholdMode: oneOf(['rel', 'abs'] as const),
      cooldown: nonNegInt, minLr: nonNegOrList, eps: nonNeg,
    });
    const n = optimizer.paramGroups.length;
    this.setOptions({
      mode: 'min', factor: 0.1, patience: 10, threshold: 1e-4, thresholdMode: 'rel', cooldown: 0, eps: 1e-8, ...o,
      minLrs: perGroup(where, 'minLr', minLr ?? 0, n, nonNeg),
    }, where);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  private setOptions(o: Record<string, unknown>, where: string): void {
    const mode = checkArg(where, 'mode', o.mode, oneOf(['min', 'max'] as const));
    const factor = checkArg(where, 'factor', o.factor, PLATEAU_FACTOR);
    const patience = checkArg(where, 'patience', o.patience, nonNegInt);
    const threshold = checkArg(where, 'threshold', o.threshold, nonNeg);
    const thresholdMode = checkArg(where, 'thresholdMode', o.thresholdMode, oneOf(['rel', 'abs'] as const));
    const cooldown = checkArg(where, 'cooldown', o.cooldown, nonNegInt);
    const eps = checkArg(where, 'eps', o.eps, nonNeg);
    const minLrs = perGroup(where, 'minLrs', o.minLrs, this.optimizer.paramGroups.length, nonNeg);
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.eps = eps;
    this.minLrs = minLrs;
  }

  private isBetter(a: number, best: number): boolean {
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  /**
   * Records one epoch's metric and decays the lr if it has plateaued. The metric is required; it
   * is typed optional only so that this class fits a generic `step(metric?)` scheduler slot.
   * @throws ArgumentError unless `metric` is a number or a one-element Tensor (NaN counts as no improvement).
   */
  step(metric?: number | Tensor): void {
    let current: number;
    if (metric instanceof Tensor) {
      if (metric.size !== 1) throw new ArgumentError(`ReduceLROnPlateau.step: metric must be a number or a one-element Tensor, got a Tensor of ${metric.size} elements`);
      current = metric.data[0];
    } else if (typeof metric === 'number') current = metric;
    else throw new ArgumentError(`ReduceLROnPlateau.step: metric must be a number or a one-element Tensor, got ${describe(metric)}`);
    this.lastEpoch++;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else this.numBadEpochs++;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const oldLr = g.lr;
        const newLr = Math.max(oldLr * this.factor, this.minLrs[i]);
        if (oldLr - newLr > this.eps) g.lr = newLr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rates after the last `step` (the optimizer's at construction). */
  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  /** A JSON-safe snapshot of the options and counters (`best` as `'Infinity'` before the first step). */
  stateDict(): SchedulerStateDict {
    return {
      scheduler: this.name, lastEpoch: this.lastEpoch, lastLr: encodeNumbers(this.lastLr), mode: this.mode, factor: this.factor,
      patience: this.patience, threshold: this.threshold, thresholdMode: this.thresholdMode, cooldown: this.cooldown,
      minLrs: encodeNumbers(this.minLrs), eps: this.eps, best: encodeNumber(this.best), numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
    };
  }

  /**
   * Restores a state from {@link stateDict} and sets every group's `lr` to the saved
   * `getLastLr()`. Nothing changes unless the state is valid.
   * @throws FormatError on a malformed state or one from another scheduler class; ShapeError when
   * the per-group lists do not match the optimizer's groups; ArgumentError on an invalid option.
   */
  loadStateDict(sd: SchedulerStateDict): void {
    const where = 'ReduceLROnPlateau.loadStateDict';
    if (!isRecord(sd)) throw new FormatError(`${where}: expected an object, got ${describe(sd)}`);
    if (sd.scheduler !== this.name) throw new FormatError(`${where}: the state dict is from ${describe(sd.scheduler)}, not ${this.name}`);
    const n = this.optimizer.paramGroups.length;
    const lastLr = decodeList(sd.lastLr, n, `${where}: lastLr`);
    const minLrs = decodeList(sd.minLrs, n, `${where}: minLrs`);
    const best = decodeNumber(sd.best);
    if (best === undefined) throw new FormatError(`${where}: best must be a number, got ${describe(sd.best)}`);
    for (const k of ['lastEpoch', 'numBadEpochs', 'cooldownCounter']) {
      const v = sd[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new FormatError(`${where}: ${k} must be an integer ≥ 0, got ${describe(v)}`);
    }
    const before: Record<string, unknown> = {
      mode: this.mode, factor: this.factor, patience: this.patience, threshold: this.threshold, thresholdMode: this.thresholdMode,
      cooldown: this.cooldown, eps: this.eps, minLrs: this.minLrs,
    };
    try {
      this.setOptions({ ...sd, minLrs }, where);
    } catch (e) {
      this.setOptions(before, where);
      throw e;
    }
    this.best = best;
    this.lastEpoch = sd.lastEpoch;
    this.numBadEpochs = sd.numBadEpochs as number;
    this.cooldownCounter = sd.cooldownCounter as number;
    this.lastLr = lastLr;
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = lastLr[i];
    });
  }
}
