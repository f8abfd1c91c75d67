export {
  RDPAccountant, computeRdp, privacySpent, getNoiseMultiplier, DEFAULT_ORDERS,
  type RdpConversion, type PrivacySpent, type AccountantStep,
} from './accountant';
export { GradSampler, perSampleGradients, type GradSamplerOptions, type PerSampleGrad, type LossReduction, type SamplerRule, type HookedModule, type PerSampleResult } from './per-sample';
export {
  makePrivate, DPOptimizer, PoissonLoader, clipPerSample,
  type MakePrivateOptions, type PrivateTraining, type WrappedOptimizer, type DPStepInfo, type ClipResult,
} from './dp-sgd';
