import type { Tensor } from '../tensor/index';
import type { Module } from '../nn/index';

/** A batch source: anything iterable that yields `[input, target]` pairs, re-iterable per epoch (a `DataLoader`). */
export type Batches = Iterable<readonly Tensor[]>;

/** A loss: `(prediction, target) → scalar Tensor`, PyTorch's `(input, target)` order (e.g. `crossEntropy`, `mseLoss`). */
export type LossFn = (prediction: Tensor, target: Tensor) => Tensor;

/**
 * A metric: `(yTrue, yPred) → number`, the order of every `tensorkit/metrics` function (and of
 * scikit-learn and Keras), computed without gradients. As a plain function it receives the model's
 * raw output as `yPred`; use a {@link MetricSpec} to turn the output into labels first.
 */
export type MetricFn = (yTrue: Tensor, yPred: Tensor) => number;

/**
 * A metric with the conversion of the model's output into `yPred`, e.g.
 * `{ fn: precision, predictions: 'argmax' }` for class labels from `[B, C]` scores.
 */
export interface MetricSpec {
  /** The metric, `(yTrue, yPred) → number`. */
  fn: MetricFn;
  /**
   * How the model's output becomes `yPred`: `'raw'` (default) as it is; `'argmax'` the index of
   * the largest value on the last axis (`[B, C]` scores → `[B]` class labels); or a function of
   * the output (e.g. `(o) => gt(o, 0)` for one logit per sample).
   */
  predictions?: 'raw' | 'argmax' | ((output: Tensor) => Tensor);
}

/** A metric of `fit` and `evaluate`: a {@link MetricFn} on the raw output, or a {@link MetricSpec}. */
export type Metric = MetricFn | MetricSpec;

/** The optimizer surface `fit` needs (every `tensorkit/optim` optimizer has it). */
export interface OptimizerLike {
  /** Updates the parameters from their gradients; called once per batch after `backward()`. */
  step(): unknown;
  /** Clears the parameters' gradients; called before each batch's forward pass. */
  zeroGrad(): void;
  /** The current learning rate (of the first group), logged as `lr` each batch and epoch. */
  lr: number;
  /** A JSON-safe snapshot of the optimizer's state, saved by `ModelCheckpoint` when present. */
  stateDict?(): unknown;
  /** Restores a state from `stateDict()`. */
  loadStateDict?(state: never): void;
}

/** The scheduler surface `fit` needs; `ReduceLROnPlateau` reads the monitored value. */
export interface SchedulerLike {
  /**
   * Advances the schedule and sets the optimizer's learning rate. Per epoch, `fit` passes the
   * epoch's `valLoss` (or `loss` without validation); per batch, nothing.
   */
  step(metric?: number): void;
}

/** A model `fit` can train: a Module whose forward maps one input tensor to one output tensor. */
export type TrainableModule = Module & {
  /** Maps one batch of inputs to the batch's predictions. */
  forward(x: Tensor): Tensor;
};

/** Values logged for one epoch or batch: `loss`, metric names, `val`-prefixed validation values, `lr`. */
export type Logs = Record<string, number>;

/** The training state callbacks see and may change (`stopTraining`). */
export interface TrainContext {
  /** The model being trained. */
  model: TrainableModule;
  /** The optimizer stepping the model's parameters. */
  optimizer: OptimizerLike;
  /** Set to true to stop after the current batch. */
  stopTraining: boolean;
  /** Why training stopped early (shown in the History); set it when setting stopTraining. */
  stopReason: string | null;
  /** Epochs planned. */
  epochs: number;
  /** Batches per epoch, when the data source has a `length`. */
  batchesPerEpoch: number | null;
  /** The History being filled, the one `fit` returns (updated at the end of each epoch). */
  history: History;
  /**
   * Set to true in `onBeforeStep` to skip this batch's optimizer step (the gradients are left
   * unused); reset to false before every batch's gradient stage.
   */
  skipStep: boolean;
}

/**
 * Training hooks, each optional (Keras's callback interface). A hook may return a Promise; `fit`
 * awaits it.
 */
export interface Callback {
  /** Called once before the first epoch. */
  onTrainBegin?(ctx: TrainContext): void | Promise<void>;
  /** Called once after the last epoch, or after training stopped early. */
  onTrainEnd?(ctx: TrainContext): void | Promise<void>;
  /** Called at the start of each epoch; `epoch` counts from 0. */
  onEpochBegin?(epoch: number, ctx: TrainContext): void | Promise<void>;
  /** `logs` holds the epoch's averages: loss, metrics, validation values, lr. */
  onEpochEnd?(epoch: number, logs: Logs, ctx: TrainContext): void | Promise<void>;
  /** Called before each batch's forward pass; `batch` counts from 0 within the epoch. */
  onBatchBegin?(batch: number, ctx: TrainContext): void | Promise<void>;
  /**
   * The gradient stage: called after `backward()` and before the optimizer step, with the
   * gradients in each parameter's `grad`. Change them in place (clip, add noise, apply a mask), or
   * set `ctx.skipStep` to skip this batch's step. `logs` holds the batch's loss and size. `fit`'s
   * `clipGradNorm` / `clipGradValue` options run after every callback's `onBeforeStep`.
   */
  onBeforeStep?(batch: number, logs: Logs, ctx: TrainContext): void | Promise<void>;
  /** `logs` holds the batch's loss, metrics, size and lr. */
  onBatchEnd?(batch: number, logs: Logs, ctx: TrainContext): void | Promise<void>;
}

/**
 * What `fit` returns: per-epoch series by name (`loss`, `valLoss`, `accuracy`, `valAccuracy`,
 * `lr`, …), the epochs run, and why training stopped early (null when it ran every epoch).
 */
export interface History {
  /** The epochs run, counting from 0 (one entry per value in each series). */
  epochs: number[];
  /** Per-epoch series by log name: `loss`, metric names, `val`-prefixed validation values, `lr`. */
  history: Record<string, number[]>;
  /** Why training stopped early (a callback's message, or `'aborted'` from the signal), or null when it ran every epoch. */
  stopReason: string | null;
}
