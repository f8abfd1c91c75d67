import type { Tensor } from '../tensor/index';
import type { Module } from '../nn/index';

/** A batch source: anything iterable that yields `[input, target]` pairs, re-iterable per epoch (a `DataLoader`). */
export type Batches = Iterable<readonly Tensor[]>;

/** A loss: `(prediction, target) → scalar Tensor` (e.g. `crossEntropy`, `mseLoss`). */
export type LossFn = (prediction: Tensor, target: Tensor) => Tensor;

/** A metric: `(prediction, target) → number`, computed without gradients. */
export type MetricFn = (prediction: Tensor, target: Tensor) => number;

/** The optimizer surface `fit` needs (every `tensorkit/optim` optimizer has it). */
export interface OptimizerLike {
  step(): unknown;
  zeroGrad(): void;
  lr: number;
  stateDict?(): unknown;
  loadStateDict?(state: never): void;
}

/** The scheduler surface `fit` needs; `ReduceLROnPlateau` reads the monitored value. */
export interface SchedulerLike {
  step(metric?: number): void;
}

/** A model `fit` can train: a Module whose forward maps one input tensor to one output tensor. */
export type TrainableModule = Module & { forward(x: Tensor): Tensor };

/** Values logged for one epoch or batch: `loss`, metric names, `val`-prefixed validation values, `lr`. */
export type Logs = Record<string, number>;

/** The training state callbacks see and may change (`stopTraining`). */
export interface TrainContext {
  model: TrainableModule;
  optimizer: OptimizerLike;
  /** Set to true to stop after the current batch. */
  stopTraining: boolean;
  /** Why training stopped early (shown in the History); set it when setting stopTraining. */
  stopReason: string | null;
  /** Epochs planned. */
  epochs: number;
  /** Batches per epoch, when the data source has a `length`. */
  batchesPerEpoch: number | null;
  history: History;
}

/**
 * Training hooks, each optional (Keras's callback interface). A hook may return a Promise; `fit`
 * awaits it.
 */
export interface Callback {
  onTrainBegin?(ctx: TrainContext): void | Promise<void>;
  onTrainEnd?(ctx: TrainContext): void | Promise<void>;
  onEpochBegin?(epoch: number, ctx: TrainContext): void | Promise<void>;
  /** `logs` holds the epoch's averages: loss, metrics, validation values, lr. */
  onEpochEnd?(epoch: number, logs: Logs, ctx: TrainContext): void | Promise<void>;
  onBatchBegin?(batch: number, ctx: TrainContext): void | Promise<void>;
  /** `logs` holds the batch's loss, metrics, size and lr. */
  onBatchEnd?(batch: number, logs: Logs, ctx: TrainContext): void | Promise<void>;
}

/**
 * What `fit` returns: per-epoch series by name (`loss`, `valLoss`, `accuracy`, `valAccuracy`,
 * `lr`, …), the epochs run, and why training stopped early (null when it ran every epoch).
 */
export interface History {
  epochs: number[];
  history: Record<string, number[]>;
  stopReason: string | null;
}
