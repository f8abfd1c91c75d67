import { ArgumentError, Tensor } from '../tensor/index';
import { encodeNumbers } from '../tensor/json';
import { badValue, bool, finite, func, nonNegInt, oneOf, parseOptions, str, type Check } from '../tensor/options';
import type { StateDict } from '../nn/index';
import type { Callback, Logs, TrainContext } from './types';

/** `'min'` when a smaller value is better (losses), `'max'` for scores; `'auto'` guesses from the name. */
export type MonitorMode = 'min' | 'max' | 'auto';

const monitorMode = oneOf(['min', 'max', 'auto'] as const);

function resolveMode(mode: MonitorMode, monitor: string): 'min' | 'max' {
  if (mode === 'min' || mode === 'max') return mode;
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
    const o = parseOptions('EarlyStopping', options, { monitor: str, patience: nonNegInt, minDelta: finite, mode: monitorMode, restoreBest: bool });
    this.monitor = o.monitor ?? 'valLoss';
    this.patience = o.patience ?? 0;
    this.minDelta = Math.abs(o.minDelta ?? 0);
    this.restoreBest = o.restoreBest ?? false;
    this.modeOpt = o.mode ?? 'auto';
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
 * Stops training as soon as a batch loss is NaN or ±Inf, or a step leaves a weight non-finite,
 * naming the epoch and batch in `history.stopReason` (Keras's TerminateOnNaN). The model keeps the
 * weights (and buffers) of the last finite step: a non-finite loss skips its step (in the gradient
 * stage), and a step that makes a weight non-finite is undone. To do so it copies the parameters and
 * buffers before every batch (one copy, reused).
 * @example new TerminateOnNaN() instanceof TerminateOnNaN; // true
 * @category Training
 */
export class TerminateOnNaN implements Callback {
  private epoch = 0;
  private tensors: Tensor[] = [];
  private saved: Float32Array[] = [];
  private stopped = false;
  /** Finds the parameters and buffers to guard. */
  onTrainBegin(ctx: TrainContext): void {
    // Integer buffers (TypedBuffer) cannot become non-finite; only float tensors are guarded.
    this.tensors = [...ctx.model.parameters(), ...ctx.model.buffers().filter((b): b is Tensor => b instanceof Tensor)];
    this.saved = this.tensors.map((t) => new Float32Array(t.size));
    this.stopped = false;
  }
  /** Remembers the epoch, for the stop message. */
  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }
  /** Copies the weights and buffers before the batch changes them. */
  onBatchBegin(): void {
    for (let i = 0; i < this.tensors.length; i++) this.saved[i].set(this.tensors[i].data);
  }
  /** On a non-finite batch loss: skips the step, puts the buffers back and stops training. */
  onBeforeStep(batch: number, logs: Logs, ctx: TrainContext): void {
    if (Number.isFinite(logs.loss)) return;
    ctx.skipStep = true;
    this.stop(ctx, `loss became ${logs.loss} at epoch ${this.epoch}, batch ${batch}: training stopped before its step`);
  }
  /** After the step: if a weight became NaN or ±Inf, undoes the step and stops training. */
  onBatchEnd(batch: number, _logs: Logs, ctx: TrainContext): void {
    if (this.stopped) return;
    for (const t of this.tensors) {
      const d = t.data;
      for (let i = 0; i < d.length; i++) {
        if (d[i] - d[i] !== 0) {
          this.stop(ctx, `weights became non-finite in the step of epoch ${this.epoch}, batch ${batch}: the step was undone and training stopped`);
          return;
        }
      }
    }
  }
  private stop(ctx: TrainContext, why: string): void {
    for (let i = 0; i < this.tensors.length; i++) this.tensors[i].data.set(this.saved[i]);
    this.stopped = true;
    ctx.stopTraining = true;
    ctx.stopReason = `${why} (check the learning rate and inputs; setDebug({ checkNumerics: true }) finds the op)`;
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
    this.perBatch = parseOptions('LearningRateLogger', options, { perBatch: bool }).perBatch ?? false;
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
  /**
   * The optimizer's state dict, if it has one, as a JSON copy (typed arrays as number arrays,
   * NaN and ±Inf as `'NaN'`, `'Infinity'`, `'-Infinity'`); `JSON.stringify(info)` writes the
   * whole checkpoint, the model state through `Tensor.toJSON`.
   */
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
    const o = parseOptions('ModelCheckpoint', options, { monitor: str, mode: monitorMode, saveBestOnly: bool, save: func });
    this.monitor = o.monitor ?? 'valLoss';
    this.saveBestOnly = o.saveBestOnly ?? true;
    this.modeOpt = o.mode ?? 'auto';
    this.save = (o.save as ModelCheckpointOptions['save']) ?? null;
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
      optimizerState: opt === undefined ? null : JSON.parse(JSON.stringify(opt, (_k, val) => (val instanceof Float32Array || val instanceof Float64Array ? encodeNumbers(val) : val))),
    };
    this.last = info;
    if (this.save) await this.save(info);
  }
}

/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Where to draw (default `process.stdout` in Node; nothing elsewhere). */
  stream?: {
    /** Writes a chunk of text (the live line is redrawn with `\r`). */
    write(s: string): unknown;
    /** Whether the stream is a terminal: the live line draws only there, unless `force`. */
    isTTY?: boolean;
    /** Terminal width in characters; the line is fitted to it (default 120). */
    columns?: number;
  };
  /** Draw the live line even when the stream is not a TTY (default false: one line per epoch there). */
  force?: boolean;
}

const streamCheck: Check<NonNullable<ProgressBarOptions['stream']>> = (v, name, op) => {
  if (v === null || typeof v !== 'object' || typeof (v as { write?: unknown }).write !== 'function') throw badValue(op, name, 'a stream with write(s)', v);
  return v as NonNullable<ProgressBarOptions['stream']>;
};

/** Seconds as `12s`, `1:05` or `1:02:03`. */
function fmtDuration(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  if (s < 60) return `${s}s`;
  const two = (n: number) => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

/**
 * Progress output. On a Node terminal, a live line — epoch, bar, batch, running loss, ETA and
 * samples per second, redrawn at most 10 times a second and fitted to the terminal's width (the bar,
 * then the rate, the batch count and the ETA give way before the loss does) — and a summary line per
 * epoch. When the output is not a TTY (pipes, CI logs), only the summary line per epoch, without
 * escape codes. Silent in browsers (no stream).
 * @example new ProgressBar({ stream: { write: () => true } }).live; // false
 * @category Training
 */
export class ProgressBar implements Callback {
  private readonly stream: ProgressBarOptions['stream'] | null;
  /** Whether anything is written: there is a stream (a summary line per epoch at least). */
  readonly enabled: boolean;
  /** Whether the live line is drawn: the stream is a TTY, or `force` was given. */
  readonly live: boolean;
  private epoch = 0;
  private seen = 0;
  private lossSum = 0;
  private t0 = 0;
  private lastDraw = 0;
  constructor(options: ProgressBarOptions = {}) {
    const o = parseOptions('ProgressBar', options, { stream: streamCheck, force: bool });
    const proc = (globalThis as { process?: { stdout?: ProgressBarOptions['stream'] } }).process;
    this.stream = o.stream ?? proc?.stdout ?? null;
    this.enabled = this.stream !== null;
    this.live = this.enabled && (o.force === true || this.stream?.isTTY === true);
  }
  /** Resets the running loss, sample count and clock for the new epoch. */
  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
    this.seen = 0;
    this.lossSum = 0;
    this.t0 = Date.now();
    this.lastDraw = 0;
  }
  /** Redraws the live line, at most every 100 ms. */
  onBatchEnd(batch: number, logs: Logs, ctx: TrainContext): void {
    if (!this.live) return;
    this.seen += logs.size;
    this.lossSum += logs.loss * logs.size;
    const t = Date.now();
    if (t - this.lastDraw < 100) return;
    this.lastDraw = t;
    const total = ctx.batchesPerEpoch;
    const elapsed = Math.max(1e-3, (t - this.t0) / 1000);
    const done = batch + 1;
    const width = 24;
    const frac = total ? Math.min(1, done / total) : 0;
    // In display order; `drop` is the order in which parts give way on a narrow terminal (the loss never does).
    const parts: Array<{ text: string; drop: number }> = [{ text: `epoch ${this.epoch + 1}/${ctx.epochs}`, drop: Infinity }];
    if (total) parts.push({ text: `[${'='.repeat(Math.round(frac * width)).padEnd(width, '.')}]`, drop: 0 });
    parts.push({ text: `batch ${done}${total ? `/${total}` : ''}`, drop: 2 });
    parts.push({ text: ` loss ${(this.lossSum / this.seen).toFixed(4)}`, drop: Infinity });
    if (total && done < total) parts.push({ text: ` ETA ${fmtDuration((elapsed / done) * (total - done))}`, drop: 3 });
    parts.push({ text: ` ${(this.seen / elapsed).toFixed(0)} samples/s`, drop: 1 });
    const cols = (this.stream!.columns ?? 120) - 1;
    let line = parts.map((p) => p.text).join(' ');
    for (let d = 0; line.length > cols && d <= 3; d++) line = parts.filter((p) => p.drop > d).map((p) => p.text).join(' ');
    this.stream!.write(`\r${line.slice(0, cols)}\x1b[K`);
  }
  /** Writes the epoch's summary line: its logs (without lr) and duration. */
  onEpochEnd(epoch: number, logs: Logs, ctx: TrainContext): void {
    if (!this.enabled) return;
    const secs = (Date.now() - this.t0) / 1000;
    const parts = Object.entries(logs).filter(([k]) => k !== 'lr').map(([k, v]) => `${k} ${v.toFixed(4)}`);
    const line = `epoch ${epoch + 1}/${ctx.epochs}  ${parts.join('  ')}  (${secs.toFixed(1)} s)`;
    this.stream!.write(this.live ? `\r${line}\x1b[K\n` : `${line}\n`);
  }
}
