/**
 * `tensorkit/monitor`: drift statistics on plain arrays that match SciPy (`ks2Samp`,
 * `jensenShannon`, `chiSquare`) and the population stability index (`psi`), and the `Monitor`
 * that windows them over a deployed model's inputs and predictions, with latency, error rates and
 * alerts. Browser-safe. See docs/monitoring.md.
 * @module monitor
 */
export { ks2Samp, type Ks2SampOptions, type KsResult, type KsAlternative, type DriftSample } from './ks';
export {
  psi, jensenShannon, chiSquare,
  type PsiOptions, type JensenShannonOptions, type ChiSquareOptions, type ChiSquareResult, type CategoricalSample,
} from './drift';
export {
  Monitor,
  type MonitorOptions, type MonitorThresholds, type MonitorAlert, type MonitorReport, type FeatureDrift, type DriftTest,
  type LatencyReport, type Observation, type MonitorMatrix, type MonitorPredictions,
} from './monitor';
