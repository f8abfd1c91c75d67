export {
  Optimizer, type BaseOptions, type ParamGroup, type ResolvedGroup, type Closure, type OptimizerStateDict, type ParamState,
  type StateKind, type JsonValue,
} from './optimizer';
export { SGD, type SGDOptions, type SGDState } from './sgd';
export { Adam, AdamW, type AdamOptions, type AdamState } from './adam';
export { RMSprop, type RMSpropOptions, type RMSpropState } from './rmsprop';
export { Adagrad, type AdagradOptions, type AdagradState } from './adagrad';
export { Adadelta, type AdadeltaOptions, type AdadeltaState } from './adadelta';
export { Adamax, type AdamaxOptions, type AdamaxState } from './adamax';
export { LBFGS, type LBFGSOptions } from './lbfgs';
export {
  LRScheduler, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearWarmup, OneCycleLR, ReduceLROnPlateau,
  type SchedulerStateDict, type StepLROptions, type MultiStepLROptions, type ExponentialLROptions,
  type CosineAnnealingLROptions, type LinearWarmupOptions, type OneCycleLROptions, type ReduceLROnPlateauOptions,
} from './scheduler';
export { clipGradNorm, clipGradValue, type ClipGradNormOptions } from './clip';
export { l1Penalty, l2Penalty } from './penalty';
