export type { MetricArray, MetricMatrix } from './util';
export {
  accuracy, precision, recall, f1, fbeta, confusionMatrix, classificationReport, matthewsCorrcoef, cohenKappa,
  balancedAccuracy, logLoss, topKAccuracy,
  type ZeroDivision, type Average, type SampleWeightOptions, type AccuracyOptions, type PrfOptions, type FbetaOptions,
  type PerClass, type ConfusionMatrixOptions, type ReportRow, type ReportClassRow, type ClassificationReport,
  type ClassificationReportOptions, type CohenKappaOptions, type BalancedAccuracyOptions, type LogLossOptions,
  type TopKAccuracyOptions,
} from './classification';
export {
  rocCurve, rocAuc, auc, precisionRecallCurve, averagePrecision,
  type CurveOptions, type RocCurveOptions, type RocCurve, type PrecisionRecallCurve, type RocAucOptions,
  type AveragePrecisionOptions,
} from './curves';
export {
  mse, rmse, mae, mape, medianAbsoluteError, r2, explainedVariance,
  type Multioutput, type RegressionOptions, type MseOptions, type R2Options, type RawValues,
} from './regression';
export {
  precisionAtK, recallAtK, hitRateAtK, mapAtK, mrr, ndcgAtK, coverage, ndcgScore,
  type Recommendations, type Relevance, type RankingOptions, type NdcgAtKOptions, type MrrOptions, type CoverageOptions,
  type NdcgScoreOptions,
} from './ranking';
export {
  meanAveragePrecision,
  type DetectionPrediction, type DetectionTarget, type MeanAveragePrecisionOptions, type MeanAveragePrecision, type ClassAveragePrecision,
} from './detection';
