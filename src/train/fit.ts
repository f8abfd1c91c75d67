import { ArgumentError, ShapeError, Tensor, argmax, concat, noGrad, TensorkitError } from '../tensor/index';
import { fmtShape } from '../tensor/errors';
import {
  anyOf, arrayOf, badValue, bool, checkArg, func, instanceOf, isPlainObject, nonNeg, nonNegInt, oneOf, parseOptions, posInt, type Check,
} from '../tensor/options';
import { Module } from '../nn/index';
import { clipGradNorm, clipGradValue } from '../optim/index';
import type {
  Batches, Callback, History, Logs, LossFn, Metric, MetricSpec, OptimizerLike, SchedulerLike, TrainContext, TrainableModule,
} from './types';

/** Options of {@link fit}. */
export interface FitOptions {
  /** Training batches, re-iterated every epoch (a `DataLoader`). */
  data: Batches;
  /** Validation batches, evaluated after each epoch without gradients. */
  validation?: Batches;
  /** The loss to minimise, `(prediction, target) → scalar`. */
  loss: LossFn;
  /** The optimizer holding the model's parameters. */
  optimizer: OptimizerLike;
  /** Number of passes over `data`. */
  epochs: number;
  /** A learning-rate schedule, stepped once per epoch (or per batch, see `schedulerStep`). */
  scheduler?: SchedulerLike;
  /** `'epoch'` (default) or `'batch'` (for OneCycleLR and warmups counted in steps). */
  schedulerStep?: 'epoch' | 'batch';
  /**
   * Metrics by name, `(yTrue, yPred) → number` (the order of `tensorkit/metrics`), or
   * `{ fn, predictions: 'argmax' }` to score class labels; logged for training batches (averaged)
   * and validation (on all of it).
   */
  metrics?: Record<string, Metric>;
  /** Hooks, run in order. */
  callbacks?: Callback[];
  /** Stops training at the next batch when aborted; `fit` then resolves with `stopReason` 'aborted'. */
  signal?: AbortSignal;
  /**
   * Rescale the gradients to a total norm of at most this (`clipGradNorm`) before every step, or
   * `{ maxNorm, normType, errorIfNonfinite }`. Runs in the gradient stage after the callbacks'
   * `onBeforeStep` and after `clipGradValue`.
   */
  clipGradNorm?: number | {
    /** The largest total norm of the gradients. */
    maxNorm: number;
    /** p of the norm: a number > 0, or Infinity for the max norm (default 2). */
    normType?: number;
    /** Throw a `NumericError` when the total norm is NaN or ±Inf (default false). */
    errorIfNonfinite?: boolean;
  };
  /** Clamp every gradient entry to [−v, v] (`clipGradValue`) before every step, in the gradient stage. */
  clipGradValue?: number;
}

/** An iterable (of batches). */
const iterable: Check<Batches> = (v, name, op) => {
  if (v === null || typeof (v as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function') {
    throw badValue(op, name, 'an iterable of [x, y] batches (e.g. a DataLoader)', v);
  }
  return v as Batches;
};

const optimizerLike: Check<OptimizerLike> = (v, name, op) => {
  const o = v as OptimizerLike | null;
  if (o === null || typeof o !== 'object' || typeof o.step !== 'function' || typeof o.zeroGrad !== 'function') {
    throw badValue(op, name, 'an object with step() and zeroGrad() (a tensorkit/optim optimizer)', v);
  }
  return o;
};

const schedulerLike: Check<SchedulerLike> = (v, name, op) => {
  if (v === null || typeof v !== 'object' || typeof (v as SchedulerLike).step !== 'function') throw badValue(op, name, 'an object with step() (a scheduler)', v);
  return v as SchedulerLike;
};

const abortSignal: Check<AbortSignal> = (v, name, op) => {
  const s = v as AbortSignal | null;
  if (s === null || typeof s !== 'object' || typeof s.aborted !== 'boolean' || typeof s.addEventListener !== 'function') throw badValue(op, name, 'an AbortSignal', v);
  return s;
};

const HOOKS = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd', 'onBeforeStep'] as const;

const callback: Check<Callback> = (v, name, op) => {
  if (v === null || typeof v !== 'object') throw badValue(op, name, 'a callback object (with onEpochEnd, onBatchEnd, …)', v);
  for (const h of HOOKS) {
    const f = (v as Record<string, unknown>)[h];
    if (f !== undefined && typeof f !== 'function') throw badValue(op, `${name}.${h}`, 'a function', f);
  }
  return v as Callback;
};

const METRIC_SPEC = {
  fn: func,
  predictions: anyOf<MetricSpec['predictions']>("'raw', 'argmax' or a function", oneOf(['raw', 'argmax'] as const), func as Check<(o: Tensor) => Tensor>),
};

/** A metric: a function, or a spec `{ fn, predictions }`. */
const metric: Check<Metric> = (v, name, op) => {
  if (typeof v === 'function') return v as Metric;
  if (!isPlainObject(v)) throw badValue(op, name, 'a function (yTrue, yPred) => number or { fn, predictions }', v);
  const spec = parseOptions(`${op}: ${name}`, v, METRIC_SPEC);
  if (spec.fn === undefined) throw badValue(op, `${name}.fn`, 'a function (yTrue, yPred) => number', undefined);
  return spec as MetricSpec;
};

const metrics: Check<Record<string, Metric>> = (v, name, op) => {
  if (!isPlainObject(v)) throw badValue(op, name, 'an object { name: metric }', v);
  const out: Record<string, Metric> = {};
  for (const k of Object.keys(v)) out[k] = metric(v[k], `${name}.${k}`, op);
  return out;
};

const clipNormOption: Check<number | { maxNorm: number; normType?: number; errorIfNonfinite?: boolean }> = (v, name, op) => {
  if (typeof v === 'number') return nonNeg(v, name, op);
  if (!isPlainObject(v)) throw badValue(op, name, 'a number ≥ 0 or { maxNorm, normType, errorIfNonfinite }', v);
  const o = parseOptions(`${op}: ${name}`, v, { maxNorm: nonNeg, normType: (x) => x, errorIfNonfinite: bool });
  if (o.maxNorm === undefined) throw badValue(op, `${name}.maxNorm`, 'a finite number ≥ 0', undefined);
  // clipGradNorm's own checks of normType and errorIfNonfinite, run once on no parameters.
  clipGradNorm([], o.maxNorm, { normType: o.normType as number | undefined, errorIfNonfinite: o.errorIfNonfinite });
  return o as { maxNorm: number; normType?: number; errorIfNonfinite?: boolean };
};

const FIT_SPEC = {
  data: iterable, validation: iterable, loss: func, optimizer: optimizerLike, epochs: nonNegInt, scheduler: schedulerLike,
  schedulerStep: oneOf(['epoch', 'batch'] as const), metrics, callbacks: arrayOf(callback), signal: abortSignal,
  clipGradNorm: clipNormOption, clipGradValue: nonNeg,
};

const modelArg = instanceOf(Module);

/**
 * The model's forward pass on one batch, checked to return a Tensor (so that any Module, e.g. one
 * from `loadModel` whose forward is typed `unknown`, can be passed).
 */
function forwardOf(model: Module, op: string): (x: Tensor) => Tensor {
  const m = model as TrainableModule;
  return (x) => {
    const out: unknown = m.forward(x);
    if (!(out instanceof Tensor)) throw badValue(op, 'model.forward(x)', 'a Tensor', out);
    return out;
  };
}

function batchSizeOf(x: Tensor): number {
  return x.ndim === 0 ? 1 : x.shape[0];
}

function lengthOf(data: Batches): number | null {
  const n = (data as { length?: unknown }).length;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

/**
 * The one adapter between a model's output and a metric: the metric's `(yTrue, yPred)` order, with
 * `yPred` the raw output or, for a spec, its conversion (`'argmax'` on the last axis, or a function).
 */
function metricValue(op: string, name: string, m: Metric, output: Tensor, target: Tensor): number {
  let v: unknown;
  if (typeof m === 'function') v = m(target, output);
  else {
    const p = m.predictions;
    if (p === 'argmax' && output.ndim < 2) {
      throw new ShapeError(`${op}: metric '${name}': predictions 'argmax' takes scores [B, C], got an output of shape ${fmtShape(output.shape)} (pass a function, e.g. (o) => gt(o, 0))`);
    }
    const yPred = p === 'argmax' ? argmax(output, { axis: output.ndim - 1 }) : typeof p === 'function' ? p(output) : output;
    v = m.fn(target, yPred);
  }
  if (typeof v !== 'number') throw badValue(op, `metric '${name}'`, 'a function returning a number', v);
  return v;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());
/** Lets timers and abort events run; used at most every ~50 ms. */
const yieldToEventLoop = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** Capitalised validation key: `loss` → `valLoss`, `accuracy` → `valAccuracy`. @internal */
export function valKey(name: string): string {
  return `val${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

/**
 * Trains `model` for `epochs` passes over `data`: per batch, forward, loss, backward, the
 * gradient stage (every callback's `onBeforeStep`, then the `clipGradValue` and `clipGradNorm`
 * options), optimizer step (full-batch, stochastic and mini-batch gradient descent are the same
 * loop fed a `DataLoader` of batch size N, 1 or k). Metrics take `(yTrue, yPred)`, the order of
 * `tensorkit/metrics`. After each epoch it evaluates `validation` (if given),
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
export async function fit(model: TrainableModule | Module, options: FitOptions): Promise<History> {
  const it = fitLoop(model, options, false, 'fit');
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
export function fitSync(model: TrainableModule | Module, options: FitOptions): History {
  const it = fitLoop(model, options, true, 'fitSync');
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
function* fitLoop(model: TrainableModule | Module, options: FitOptions, sync: boolean, op: string): Generator<unknown, History, unknown> {
  checkArg(op, 'model', model, modelArg);
  const forward = forwardOf(model, op);
  const o = parseOptions(op, options, FIT_SPEC);
  for (const k of ['data', 'loss', 'optimizer', 'epochs'] as const) if (o[k] === undefined) FIT_SPEC[k](undefined, k, op);
  const { validation, scheduler, metrics = {}, callbacks = [], signal } = o;
  const data = o.data!, loss = o.loss! as LossFn, optimizer = o.optimizer!, epochs = o.epochs!;
  const perBatch = o.schedulerStep === 'batch';
  const history: History = { epochs: [], history: {}, stopReason: null };
  const ctx: TrainContext = { model: model as TrainableModule, optimizer, stopTraining: false, stopReason: null, epochs, batchesPerEpoch: lengthOf(data), history, skipStep: false };
  const metricNames = Object.keys(metrics);
  // The gradient stage: the callbacks' onBeforeStep, then fit's own clipping.
  const stage: Callback[] = callbacks.filter((cb) => typeof cb.onBeforeStep === 'function');
  const params = model.parameters();
  if (o.clipGradValue !== undefined) {
    const v = o.clipGradValue;
    stage.push({ onBeforeStep: () => clipGradValue(params, v) });
  }
  if (o.clipGradNorm !== undefined) {
    const c = o.clipGradNorm;
    const { maxNorm, ...rest } = typeof c === 'number' ? { maxNorm: c } : c;
    stage.push({ onBeforeStep: () => void clipGradNorm(params, maxNorm, rest) });
  }
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
        const pred = forward(x);
        const l = loss(pred, y);
        if (!(l instanceof Tensor) || l.size !== 1) throw new ArgumentError('fit: loss must return a one-element tensor');
        const lv = l.item();
        if (l.requiresGrad) l.backward();
        const n = batchSizeOf(x);
        const logs: Logs = { loss: lv, size: n };
        ctx.skipStep = false;
        for (const cb of stage) yield cb.onBeforeStep!(batch, logs, ctx);
        if (!ctx.skipStep) optimizer.step();
        if (perBatch) scheduler?.step();
        seen += n;
        // An empty batch (Poisson sampling in DP-SGD can draw one) steps but adds nothing to the epoch's averages.
        if (n > 0) lossSum += lv * n;
        logs.lr = optimizer.lr;
        if (metricNames.length > 0 && n > 0) {
          noGrad(() => {
            const p = pred.detach();
            metricNames.forEach((name, i) => {
              const v = metricValue('fit', name, metrics[name], p, y);
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
  /** Metrics by name, `(yTrue, yPred) → number` or `{ fn, predictions }` (as `fit`'s), computed once on all predictions concatenated (exact, not batch-averaged). */
  metrics?: Record<string, Metric>;
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
export function evaluate(model: TrainableModule | Module, data: Batches, options: EvaluateOptions = {}): Logs {
  checkArg('evaluate', 'model', model, modelArg);
  const forward = forwardOf(model, 'evaluate');
  checkArg('evaluate', 'data', data, iterable);
  const { loss, metrics: ms = {} } = parseOptions('evaluate', options, { loss: func, metrics });
  const metricNames = Object.keys(ms);
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
        const p = forward(x);
        const n = batchSizeOf(x);
        if (loss !== undefined) lossSum += (loss as LossFn)(p, y).item() * n;
        seen += n;
        if (metricNames.length > 0) {
          preds.push(p);
          targets.push(y);
        }
      }
      if (seen === 0) throw new ArgumentError('evaluate: data yielded no batches (an empty dataset?)');
      const out: Logs = {};
      if (loss !== undefined) out.loss = lossSum / seen;
      if (metricNames.length > 0) {
        const P = preds.length === 1 ? preds[0] : concat(preds, 0);
        const Y = targets.length === 1 ? targets[0] : concat(targets, 0);
        for (const name of metricNames) out[name] = metricValue('evaluate', name, ms[name], P, Y);
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
export function predict(model: TrainableModule | Module, x: Tensor | Iterable<Tensor | readonly [Tensor, Tensor]>, options: PredictOptions = {}): Tensor {
  checkArg('predict', 'model', model, modelArg);
  const forward = forwardOf(model, 'predict');
  const { batchSize: bs = 256 } = parseOptions('predict', options, { batchSize: posInt });
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      const outs: Tensor[] = [];
      if (x instanceof Tensor) {
        if (x.ndim === 0) throw new ArgumentError('predict: x must have a batch axis');
        const n = x.shape[0];
        if (n <= bs) outs.push(forward(x));
        else {
          const rowSize = x.size / n;
          for (let s = 0; s < n; s += bs) {
            const e = Math.min(n, s + bs);
            outs.push(forward(new Tensor(x.data.slice(s * rowSize, e * rowSize), [e - s, ...x.shape.slice(1)])));
          }
        }
      } else if (x !== null && typeof (x as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] === 'function') {
        for (const item of x) outs.push(forward(item instanceof Tensor ? item : item[0]));
      } else throw badValue('predict', 'x', 'a Tensor or an iterable of batches', x);
      if (outs.length === 0) throw new TensorkitError('INVALID_ARGUMENT', 'predict: no input rows');
      return outs.length === 1 ? outs[0] : concat(outs, 0);
    });
  } finally {
    model.train(wasTraining);
  }
}
