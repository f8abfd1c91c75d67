export { fit, evaluate, predict, type FitOptions, type EvaluateOptions, type PredictOptions } from './fit';
export {
  EarlyStopping, TerminateOnNaN, LearningRateLogger, ModelCheckpoint, ProgressBar,
  type EarlyStoppingOptions, type ModelCheckpointOptions, type CheckpointInfo, type ProgressBarOptions, type MonitorMode,
} from './callbacks';
export type {
  Batches, LossFn, MetricFn, Metric, MetricSpec, OptimizerLike, SchedulerLike, TrainableModule, Logs, TrainContext, Callback, History,
} from './types';
