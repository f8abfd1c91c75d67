import { ArgumentError, Tensor, concat, noGrad, TensorkitError } from '../tensor/index';
import { Module } from '../nn/index';
import type {
  Batches, Callback, History, Logs, LossFn, MetricFn, OptimizerLike, SchedulerLike, TrainContext, TrainableModule,
} from './types';

/** Options of {@link fit}. */
export interface FitOptions {
  /** Training batches, re-iterated every epoch (a `DataLoader`). */
  data: Batches;
  /** Validation batches, evaluated after each epoch without gradients. */
  validation?: Batches;
  /** The loss to minimise. */
  loss: LossFn;
  /** The optimizer holding the model's parameters. */
  optimizer: OptimizerLike;
  /** Number of passes over `data`. */
  epochs: number;
  /** A learning-rate schedule, stepped once per epoch (or per batch, see `schedulerStep`). */
  scheduler?: SchedulerLike;
  /** `'epoch'` (default) or `'batch'` (for OneCycleLR and warmups counted in steps). */
  schedulerStep?: 'epoch' | 'batch';
  /** Metrics by name, logged for training batches (averaged) and validation (on all of it). */
  metrics?: Record<string, MetricFn>;
  /** Hooks, run in order. */
  callbacks?: Callback[];
  /** Stops training at the next batch when aborted; `fit` then resolves with `stopReason` 'aborted'. */
  signal?: AbortSignal;
}

function checkModel(model: unknown, op: string): void {
  if (!(model instanceof Module)) throw new ArgumentError(`${op}: model must be a Module (got ${model === null ? 'null' : typeof model})`);
}

function checkFit(model: unknown, o: FitOptions): void {
  checkModel(model, 'fit');
  if (o === null || typeof o !== 'object') throw new ArgumentError('fit: options must be an object { data, loss, optimizer, epochs, ... }');
  if (o.data === null || typeof (o.data as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function') throw new ArgumentError('fit: data must be an iterable of [x, y] batches (e.g. a DataLoader)');
  if (o.validation !== undefined && typeof (o.validation as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function') throw new ArgumentError('fit: validation must be an iterable of [x, y] batches');
  if (typeof o.loss !== 'function') throw new ArgumentError('fit: loss must be a function (prediction, target) => Tensor');
  if (o.optimizer === null || typeof o.optimizer !== 'object' || typeof o.optimizer.step !== 'function' || typeof o.optimizer.zeroGrad !== 'function') {
    throw new ArgumentError('fit: optimizer must have step() and zeroGrad() (a tensorkit/optim optimizer)');
  }
  if (!Number.isInteger(o.epochs) || o.epochs < 0) throw new ArgumentError(`fit: epochs must be a non-negative integer, got ${String(o.epochs)}`);
  if (o.schedulerStep !== undefined && o.schedulerStep !== 'epoch' && o.schedulerStep !== 'batch') throw new ArgumentError(`fit: schedulerStep must be 'epoch' or 'batch', got ${String(o.schedulerStep)}`);
  for (const [k, f] of Object.entries(o.metrics ?? {})) if (typeof f !== 'function') throw new ArgumentError(`fit: metrics.${k} must be a function (prediction, target) => number`);
}

function batchSizeOf(x: Tensor): number {
  return x.ndim === 0 ? 1 : x.shape[0];
}

function lengthOf(data: Batches): number | null {
  const n = (data as { length?: unknown }).length;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());
/** Lets timers and abort events run; used at most every ~50 ms. */
const yieldToEventLoop = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** Capitalised validation key: `loss` → `valLoss`, `accuracy` → `valAccuracy`. @internal */
export function valKey(name: string): string {
  return `val${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

/**
 * Trains `model` for `epochs` passes over `data`: per batch, forward, loss, backward, optimizer
 * step (full-batch, stochastic and mini-batch gradient descent are the same loop fed a
 * `DataLoader` of batch size N, 1 or k). After each epoch it evaluates `validation` (if given),
 * steps the scheduler, and runs the callbacks. The model is in training mode while fitting and
 * left in training mode.
 * @returns the History: per-epoch `loss`, metrics, `valLoss`, validation metrics and `lr`.
 * @example
 * const model = new Linear(1, 1, { rng: new Generator(0) });
 * const x = tensor([[0], [1], [2], [3]]), y = tensor([[1], [3], [5], [7]]);
 * const h = await fit(model, { data: [[x, y]], loss: mseLoss, optimizer: new SGD(model.parameters(), { lr: 0.05 }), epochs: 300 });
 * h.history.loss.length; // 300
 * @throws ArgumentError on malformed options; a NaN loss is not an error unless a callback (TerminateOnNaN) says so.
 * @category Training
 */
export async function fit(model: TrainableModule, options: FitOptions): Promise<History> {
  const it = fitLoop(model, options, false);
  let r = it.next();
  while (!r.done) {
    let v: unknown;
    try {
      v = await r.value;
    } catch (e) {
      r = it.throw(e);
      continue;
    }
    r = it.next(v);
  }
  return r.value;
}

/**
 * {@link fit} run to completion synchronously, for the estimators whose `fit(x, y)` returns `this`
 * (MLPClassifier, LinearRegression's gradient solvers): the same loop, with callbacks that must not
 * return a Promise and without yielding to the event loop.
 * @throws ArgumentError if a callback returns a Promise; otherwise as {@link fit}.
 * @internal
 */
export function fitSync(model: TrainableModule, options: FitOptions): History {
  const it = fitLoop(model, options, true);
  let r = it.next();
  while (!r.done) {
    if (r.value instanceof Promise) {
      r = it.throw(new ArgumentError('fitSync: a callback returned a Promise; use the asynchronous fit for asynchronous callbacks'));
      continue;
    }
    r = it.next(r.value);
  }
  return r.value;
}

/**
 * The training loop of {@link fit} and {@link fitSync}: every value a callback returns is yielded
 * (the async driver awaits it), and so is a pause for the event loop (unless `sync`).
 */
function* fitLoop(model: TrainableModule, options: FitOptions, sync: boolean): Generator<unknown, History, unknown> {
  checkFit(model, options);
  const { data, validation, loss, optimizer, epochs, scheduler, metrics = {}, callbacks = [], signal } = options;
  const perBatch = options.schedulerStep === 'batch';
  const history: History = { epochs: [], history: {}, stopReason: null };
  const ctx: TrainContext = { model, optimizer, stopTraining: false, stopReason: null, epochs, batchesPerEpoch: lengthOf(data), history };
  const metricNames = Object.keys(metrics);
  const push = (k: string, v: number) => (history.history[k] ??= []).push(v);
  const onAbort = () => {
    ctx.stopTraining = true;
    ctx.stopReason ??= 'aborted';
  };
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort);
  let lastYield = now();
  try {
    model.train(true);
    for (const cb of callbacks) yield cb.onTrainBegin?.(ctx);
    for (let epoch = 0; epoch < epochs && !ctx.stopTraining; epoch++) {
      for (const cb of callbacks) yield cb.onEpochBegin?.(epoch, ctx);
      let seen = 0;
      let lossSum = 0;
      const metricSums = new Float64Array(metricNames.length);
      let batch = 0;
      for (const item of data) {
        if (ctx.stopTraining) break;
        if (!Array.isArray(item) || !(item[0] instanceof Tensor) || !(item[1] instanceof Tensor)) {
          throw new ArgumentError(`fit: batch ${batch} of epoch ${epoch} is not an [x, y] pair of tensors`);
        }
        const [x, y] = item;
        for (const cb of callbacks) yield cb.onBatchBegin?.(batch, ctx);
        optimizer.zeroGrad();
        const pred = model.forward(x);
        const l = loss(pred, y);
        if (!(l instanceof Tensor) || l.size !== 1) throw new ArgumentError('fit: loss must return a one-element tensor');
        const lv = l.item();
        if (l.requiresGrad) l.backward();
        optimizer.step();
        if (perBatch) scheduler?.step();
        const n = batchSizeOf(x);
        seen += n;
        lossSum += lv * n;
        const logs: Logs = { loss: lv, size: n, lr: optimizer.lr };
        if (metricNames.length > 0) {
          noGrad(() => {
            const p = pred.detach();
            metricNames.forEach((name, i) => {
              const v = metrics[name](p, y);
              metricSums[i] += v * n;
              logs[name] = v;
            });
          });
        }
        for (const cb of callbacks) yield cb.onBatchEnd?.(batch, logs, ctx);
        batch++;
        if (!sync && now() - lastYield > 50) {
          yield yieldToEventLoop();
          lastYield = now();
        }
      }
      if (batch === 0 && !ctx.stopTraining) throw new ArgumentError(`fit: data yielded no batches in epoch ${epoch} (an empty dataset?)`);
      if (seen === 0) break;
      const logs: Logs = { loss: lossSum / seen };
      metricNames.forEach((name, i) => (logs[name] = metricSums[i] / seen));
      if (validation !== undefined) Object.assign(logs, prefixVal(evaluate(model, validation, { loss, metrics })));
      logs.lr = optimizer.lr;
      if (!perBatch) scheduler?.step(logs.valLoss ?? logs.loss);
      history.epochs.push(epoch);
      for (const [k, v] of Object.entries(logs)) push(k, v);
      for (const cb of callbacks) yield cb.onEpochEnd?.(epoch, logs, ctx);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  history.stopReason = ctx.stopReason;
  for (const cb of callbacks) yield cb.onTrainEnd?.(ctx);
  return history;
}

function prefixVal(r: Logs): Logs {
  const out: Logs = {};
  for (const [k, v] of Object.entries(r)) out[valKey(k)] = v;
  return out;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** The loss to report as `loss` (optional). */
  loss?: LossFn;
  /** Metrics by name, computed once on all predictions concatenated (exact, not batch-averaged). */
  metrics?: Record<string, MetricFn>;
}

/**
 * Runs the model over every batch without gradients, in eval mode (restored afterwards), and
 * returns the mean loss (weighted by batch size) and each metric computed on all the predictions
 * at once.
 * @example
 * const m = new Linear(1, 1, { bias: false }); m.weight.data[0] = 2;
 * evaluate(m, [[tensor([[1], [2]]), tensor([[2], [4]])]], { loss: mseLoss }).loss; // 0
 * @category Training
 */
export function evaluate(model: TrainableModule, data: Batches, options: EvaluateOptions = {}): Logs {
  checkModel(model, 'evaluate');
  if (data === null || typeof (data as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function') throw new ArgumentError('evaluate: data must be an iterable of [x, y] batches');
  const metricNames = Object.keys(options?.metrics ?? {});
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      let seen = 0;
      let lossSum = 0;
      const preds: Tensor[] = [];
      const targets: Tensor[] = [];
      let batch = 0;
      for (const item of data) {
        if (!Array.isArray(item) || !(item[0] instanceof Tensor) || !(item[1] instanceof Tensor)) {
          throw new ArgumentError(`evaluate: batch ${batch} is not an [x, y] pair of tensors`);
        }
        batch++;
        const [x, y] = item;
        const p = model.forward(x);
        const n = batchSizeOf(x);
        if (options?.loss) lossSum += options.loss(p, y).item() * n;
        seen += n;
        if (metricNames.length > 0) {
          preds.push(p);
          targets.push(y);
        }
      }
      if (seen === 0) throw new ArgumentError('evaluate: data yielded no batches (an empty dataset?)');
      const out: Logs = {};
      if (options?.loss) out.loss = lossSum / seen;
      if (metricNames.length > 0) {
        const P = preds.length === 1 ? preds[0] : concat(preds, 0);
        const Y = targets.length === 1 ? targets[0] : concat(targets, 0);
        for (const name of metricNames) out[name] = options.metrics![name](P, Y);
      }
      return out;
    });
  } finally {
    model.train(wasTraining);
  }
}

/** Options of {@link predict}. */
export interface PredictOptions {
  /** Rows per forward pass (default 256). */
  batchSize?: number;
}

/**
 * The model's outputs for every row of `x` (or every batch of an iterable of tensors or
 * `[x, y]` pairs), computed in batches without gradients in eval mode, concatenated on axis 0.
 * Shapes: x (N, …) → (N, …outputs).
 * @example
 * const m = new Linear(2, 1, { bias: false }); m.weight.data.set([1, 1]);
 * predict(m, tensor([[1, 2], [3, 4]])).toArray(); // [3, 7]
 * @category Training
 */
export function predict(model: TrainableModule, x: Tensor | Iterable<Tensor | readonly [Tensor, Tensor]>, options: PredictOptions = {}): Tensor {
  checkModel(model, 'predict');
  const bs = options?.batchSize ?? 256;
  if (!Number.isInteger(bs) || bs <= 0) throw new ArgumentError(`predict: batchSize must be a positive integer, got ${String(bs)}`);
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      const outs: Tensor[] = [];
      if (x instanceof Tensor) {
        if (x.ndim === 0) throw new ArgumentError('predict: x must have a batch axis');
        const n = x.shape[0];
        if (n <= bs) outs.push(model.forward(x));
        else {
          const rowSize = x.size / n;
          for (let s = 0; s < n; s += bs) {
            const e = Math.min(n, s + bs);
            outs.push(model.forward(new Tensor(x.data.slice(s * rowSize, e * rowSize), [e - s, ...x.shape.slice(1)])));
          }
        }
      } else if (x !== null && typeof (x as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] === 'function') {
        for (const item of x) outs.push(model.forward(item instanceof Tensor ? item : item[0]));
      } else throw new ArgumentError('predict: x must be a Tensor or an iterable of batches');
      if (outs.length === 0) throw new TensorkitError('INVALID_ARGUMENT', 'predict: no input rows');
      return outs.length === 1 ? outs[0] : concat(outs, 0);
    });
  } finally {
    model.train(wasTraining);
  }
}
