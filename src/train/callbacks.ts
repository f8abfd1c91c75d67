import { ArgumentError } from '../tensor/index';
import type { StateDict } from '../nn/index';
import type { Callback, Logs, TrainContext } from './types';

/** `'min'` when a smaller value is better (losses), `'max'` for scores; `'auto'` guesses from the name. */
export type MonitorMode = 'min' | 'max' | 'auto';

function resolveMode(mode: MonitorMode, monitor: string): 'min' | 'max' {
  if (mode === 'min' || mode === 'max') return mode;
  if (mode !== 'auto') throw new ArgumentError(`mode must be 'min', 'max' or 'auto', got ${String(mode)}`);
  return /loss|error|mse|mae|rmse/i.test(monitor) ? 'min' : 'max';
}

function snapshot(sd: StateDict): StateDict {
  const out: StateDict = {};
  for (const [k, t] of Object.entries(sd)) out[k] = t.clone();
  return out;
}

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions {
  /** The logged value to watch (default `'valLoss'`, falling back to `'loss'` when there is no validation). */
  monitor?: string;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** The least change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Whether smaller or larger is better (default 'auto': 'min' for names with loss/error). */
  mode?: MonitorMode;
  /** Put back the weights of the best epoch when training ends (default false). */
  restoreBest?: boolean;
}

/**
 * Stops training when the monitored value has not improved by more than `minDelta` for
 * `patience` epochs (Keras's EarlyStopping); with `restoreBest`, the model's weights return to
 * those of the best epoch at the end.
 * @example new EarlyStopping({ patience: 3, restoreBest: true }).patience; // 3
 * @category Training
 */
export class EarlyStopping implements Callback {
  /** The logged value watched (`'valLoss'` falls back to `'loss'` when there is no validation). */
  readonly monitor: string;
  /** Epochs without improvement before stopping (default 0). */
  readonly patience: number;
  /** The least change that counts as an improvement, ≥ 0 (default 0). */
  readonly minDelta: number;
  /** Whether the best epoch's weights are put back when training ends (default false). */
  readonly restoreBest: boolean;
  private readonly modeOpt: MonitorMode;
  /** Best monitored value seen (NaN before the first epoch). */
  best = NaN;
  /** Epoch of {@link best}, counting from 0 (−1 before the first epoch). */
  bestEpoch = -1;
  /** The epoch training stopped at, or −1. */
  stoppedEpoch = -1;
  private wait = 0;
  private bestState: StateDict | null = null;
  constructor(options: EarlyStoppingOptions = {}) {
    this.monitor = options?.monitor ?? 'valLoss';
    this.patience = options?.patience ?? 0;
    this.minDelta = Math.abs(options?.minDelta ?? 0);
    this.restoreBest = options?.restoreBest ?? false;
    this.modeOpt = options?.mode ?? 'auto';
    if (!Number.isInteger(this.patience) || this.patience < 0) throw new ArgumentError(`EarlyStopping: patience must be a non-negative integer, got ${String(options?.patience)}`);
    if (!Number.isFinite(this.minDelta)) throw new ArgumentError(`EarlyStopping: minDelta must be finite, got ${String(options?.minDelta)}`);
    resolveMode(this.modeOpt, this.monitor);
  }
  /** Resets the best value, counters and saved weights, so one instance can serve several `fit` calls. */
  onTrainBegin(): void {
    this.best = NaN;
    this.bestEpoch = -1;
    this.stoppedEpoch = -1;
    this.wait = 0;
    this.bestState = null;
  }
  /**
   * Compares the epoch's monitored value with the best and stops training after `patience`
   * epochs without improvement.
   * @throws ArgumentError when the monitored value is not logged.
   */
  onEpochEnd(epoch: number, logs: Logs, ctx: TrainContext): void {
    const key = this.monitor in logs ? this.monitor : this.monitor === 'valLoss' ? 'loss' : this.monitor;
    const v = logs[key];
    if (v === undefined) throw new ArgumentError(`EarlyStopping: monitored value '${this.monitor}' is not logged (logged: ${Object.keys(logs).join(', ')})`);
    const mode = resolveMode(this.modeOpt, key);
    const improved = this.bestEpoch < 0 || (mode === 'min' ? v < this.best - this.minDelta : v > this.best + this.minDelta);
    if (improved && !Number.isNaN(v)) {
      this.best = v;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBest) this.bestState = snapshot(ctx.model.stateDict());
      return;
    }
    this.wait++;
    if (this.wait >= this.patience) {
      this.stoppedEpoch = epoch;
      ctx.stopTraining = true;
      ctx.stopReason ??= `early stopping: ${key} did not improve for ${this.wait} epoch(s); best ${this.best} at epoch ${this.bestEpoch}`;
    }
  }
  /** With `restoreBest`, loads the best epoch's weights back into the model. */
  onTrainEnd(ctx: TrainContext): void {
    if (this.restoreBest && this.bestState !== null) ctx.model.loadStateDict(this.bestState);
  }
}

/**
 * Stops training as soon as a batch loss is NaN or ±Inf, naming the epoch and batch in
 * `history.stopReason` (Keras's TerminateOnNaN). The weights are those after the last finite step.
 * @example new TerminateOnNaN() instanceof TerminateOnNaN; // true
 * @category Training
 */
export class TerminateOnNaN implements Callback {
  private epoch = 0;
  /** Remembers the epoch, for the stop message. */
  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }
  /** Stops training when the batch loss is NaN or ±Inf. */
  onBatchEnd(batch: number, logs: Logs, ctx: TrainContext): void {
    if (!Number.isFinite(logs.loss)) {
      ctx.stopTraining = true;
      ctx.stopReason = `loss became ${logs.loss} at epoch ${this.epoch}, batch ${batch}: training stopped (check the learning rate and inputs; setDebug({ checkNumerics: true }) finds the op)`;
    }
  }
}

/**
 * Records the learning rate: once per epoch into `history.history.lr` (fit logs it already) and,
 * with `perBatch`, every batch into {@link LearningRateLogger.values}.
 * @example new LearningRateLogger({ perBatch: true }).values.length; // 0
 * @category Training
 */
export class LearningRateLogger implements Callback {
  /** Learning rates seen, one per epoch (or per batch with `perBatch`). */
  readonly values: number[] = [];
  private readonly perBatch: boolean;
  constructor(options: { perBatch?: boolean } = {}) {
    this.perBatch = options?.perBatch ?? false;
  }
  /** With `perBatch`, records the batch's learning rate. */
  onBatchEnd(_batch: number, logs: Logs): void {
    if (this.perBatch) this.values.push(logs.lr);
  }
  /** Without `perBatch`, records the epoch's learning rate. */
  onEpochEnd(_epoch: number, logs: Logs): void {
    if (!this.perBatch) this.values.push(logs.lr);
  }
}

/** What {@link ModelCheckpoint} hands to its `save` function. */
export interface CheckpointInfo {
  /** The epoch just finished, counting from 0. */
  epoch: number;
  /** A copy of the epoch's logs: loss, metrics, validation values, lr. */
  logs: Logs;
  /** A snapshot (cloned tensors) of the model's state dict. */
  modelState: StateDict;
  /** The optimizer's state dict, if it has one. */
  optimizerState: unknown;
}

/** Options of {@link ModelCheckpoint}. */
export interface ModelCheckpointOptions {
  /** Value that decides "best" (default 'valLoss', falling back to 'loss'). */
  monitor?: string;
  /** Whether smaller or larger is better (default 'auto': 'min' for names with loss/error). */
  mode?: MonitorMode;
  /** Save only when the monitored value improves (default true). */
  saveBestOnly?: boolean;
  /**
   * Where checkpoints go, e.g. `(info) => saveModelFile(path, model, { optimizer })` from
   * `tensorkit/io`. Without it the checkpoint is kept in memory in {@link ModelCheckpoint.last}.
   */
  save?: (info: CheckpointInfo) => void | Promise<void>;
}

/**
 * Saves the model (and optimizer state, for exact resumption) after an epoch — every epoch, or
 * only when the monitored value improves. `train` does not write files itself (it cannot depend on
 * `io`); pass a `save` function, or read the in-memory {@link ModelCheckpoint.last}.
 * @example new ModelCheckpoint().saveBestOnly; // true
 * @category Training
 */
export class ModelCheckpoint implements Callback {
  /** The logged value that decides "best" (`'valLoss'` falls back to `'loss'` when there is no validation). */
  readonly monitor: string;
  /** Whether a checkpoint is taken only when the monitored value improves (default true). */
  readonly saveBestOnly: boolean;
  private readonly modeOpt: MonitorMode;
  private readonly save: ((info: CheckpointInfo) => void | Promise<void>) | null;
  /** The most recent checkpoint taken (null before the first). */
  last: CheckpointInfo | null = null;
  /** Best monitored value seen (NaN before the first epoch). */
  best = NaN;
  constructor(options: ModelCheckpointOptions = {}) {
    this.monitor = options?.monitor ?? 'valLoss';
    this.saveBestOnly = options?.saveBestOnly ?? true;
    this.modeOpt = options?.mode ?? 'auto';
    this.save = options?.save ?? null;
    if (this.save !== null && typeof this.save !== 'function') throw new ArgumentError('ModelCheckpoint: save must be a function');
    resolveMode(this.modeOpt, this.monitor);
  }
  /**
   * Takes a checkpoint (every epoch, or only on improvement with `saveBestOnly`), keeps it in
   * {@link last} and awaits `save`.
   * @throws ArgumentError when the monitored value is not logged.
   */
  async onEpochEnd(epoch: number, logs: Logs, ctx: TrainContext): Promise<void> {
    const key = this.monitor in logs ? this.monitor : this.monitor === 'valLoss' ? 'loss' : this.monitor;
    const v = logs[key];
    if (v === undefined) throw new ArgumentError(`ModelCheckpoint: monitored value '${this.monitor}' is not logged (logged: ${Object.keys(logs).join(', ')})`);
    const mode = resolveMode(this.modeOpt, key);
    const better = Number.isNaN(this.best) || (mode === 'min' ? v < this.best : v > this.best);
    if (this.saveBestOnly && !better) return;
    if (better && !Number.isNaN(v)) this.best = v;
    const opt = ctx.optimizer.stateDict?.();
    const info: CheckpointInfo = {
      epoch, logs: { ...logs }, modelState: snapshot(ctx.model.stateDict()),
      optimizerState: opt === undefined ? null : JSON.parse(JSON.stringify(opt, (_k, val) => (val instanceof Float32Array ? Array.from(val) : val))),
    };
    this.last = info;
    if (this.save) await this.save(info);
  }
}

/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Where to draw (default `process.stdout` in Node; nothing elsewhere). */
  stream?: {
    /** Writes a chunk of text (the line is redrawn with `\r`). */
    write(s: string): unknown;
    /** Whether the stream is a terminal; the bar draws only when true, unless `force`. */
    isTTY?: boolean;
    /** Terminal width in characters; the line is cut to fit (default 120). */
    columns?: number;
  };
  /** Draw even when the stream is not a TTY (default false: silent in CI logs and pipes). */
  force?: boolean;
}

/**
 * A live progress line on a Node terminal: epoch, batch, running loss and samples per second,
 * redrawn at most 10 times a second, with a summary line per epoch. Silent when the output is not
 * a TTY (pipes, CI logs) and in browsers.
 * @example new ProgressBar({ stream: { write: () => true } }).enabled; // false
 * @category Training
 */
export class ProgressBar implements Callback {
  private readonly stream: ProgressBarOptions['stream'] | null;
  /** Whether the bar draws: there is a stream and it is a TTY, or `force` was given. */
  readonly enabled: boolean;
  private epoch = 0;
  private seen = 0;
  private lossSum = 0;
  private t0 = 0;
  private lastDraw = 0;
  constructor(options: ProgressBarOptions = {}) {
    const proc = (globalThis as { process?: { stdout?: ProgressBarOptions['stream'] } }).process;
    this.stream = options?.stream ?? proc?.stdout ?? null;
    this.enabled = this.stream !== null && (options?.force === true || this.stream?.isTTY === true);
  }
  /** Resets the running loss, sample count and clock for the new epoch. */
  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
    this.seen = 0;
    this.lossSum = 0;
    this.t0 = Date.now();
    this.lastDraw = 0;
  }
  /** Redraws the progress line, at most every 100 ms. */
  onBatchEnd(batch: number, logs: Logs, ctx: TrainContext): void {
    if (!this.enabled) return;
    this.seen += logs.size;
    this.lossSum += logs.loss * logs.size;
    const t = Date.now();
    if (t - this.lastDraw < 100) return;
    this.lastDraw = t;
    const total = ctx.batchesPerEpoch;
    const width = 24;
    const frac = total ? Math.min(1, (batch + 1) / total) : 0;
    const bar = total ? `[${'='.repeat(Math.round(frac * width)).padEnd(width, '.')}] ` : '';
    const rate = this.seen / Math.max(1e-3, (t - this.t0) / 1000);
    const line = `epoch ${this.epoch + 1}/${ctx.epochs} ${bar}batch ${batch + 1}${total ? `/${total}` : ''}  loss ${(this.lossSum / this.seen).toFixed(4)}  ${rate.toFixed(0)} samples/s`;
    this.stream!.write(`\r${line.slice(0, (this.stream!.columns ?? 120) - 1)}\x1b[K`);
  }
  /** Writes the epoch's summary line: its logs (without lr) and duration. */
  onEpochEnd(epoch: number, logs: Logs, ctx: TrainContext): void {
    if (!this.enabled) return;
    const secs = (Date.now() - this.t0) / 1000;
    const parts = Object.entries(logs).filter(([k]) => k !== 'lr').map(([k, v]) => `${k} ${v.toFixed(4)}`);
    this.stream!.write(`\repoch ${epoch + 1}/${ctx.epochs}  ${parts.join('  ')}  (${secs.toFixed(1)} s)\x1b[K\n`);
  }
}

