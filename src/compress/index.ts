/**
 * `tensorkit/compress`: model compression with PyTorch's semantics and camelCase names —
 * quantization (torch.ao.quantization), pruning (torch.nn.utils.prune) and knowledge
 * distillation. See docs/compress.md.
 * @module compress
 */
export {
  QuantizedTensor, quantizePerTensor, quantizePerChannel, dequantize, roundHalfEven, qRange,
  type QDtype, type QScheme, type QRange,
} from './quantize';
export {
  ObserverBase, MinMaxObserver, MovingAverageMinMaxObserver, PerChannelMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  type QParams, type ObserverOptions, type MovingAverageObserverOptions, type PerChannelObserverOptions,
  type MovingAveragePerChannelObserverOptions,
} from './observers';
export { HistogramObserver, type HistogramObserverOptions } from './observers';
export { fakeQuantizePerTensorAffine, fakeQuantizePerChannelAffine } from './fake-quantize';
export {
  QuantizedLinear, quantizeDynamic,
  type DynamicQuantOptions, type QuantizeDynamicOptions, type QuantizedLinearConfig, type DynamicQuantizable,
} from './quantized-linear';
export { QuantizedLSTM, QuantizedGRU, type QuantizedRecurrentConfig } from './quantized-rnn';
export { QuantizedConv2d, type QuantizedConv2dConfig, type StaticActivationParams, type ConvGeometry } from './quantized-conv';
export {
  ConvReLU2d, LinearReLU, StaticQuantizedLinear, ObservedModule, fuseModules, prepare, getDefaultQconfig,
  ConvBn2d, ConvBnReLU2d, fuseModulesQat,
  type FuseModulesOptions, type StaticQuantizedLinearConfig, type QConfig, type QuantBackend,
} from './static';
export {
  FakeQuantize, QatLinear, prepareQat, convert,
  type FakeQuantizeOptions, type PrepareQatOptions, type QatLinearConfig,
} from './qat';
export { QatConv2d, type QatConv2dConfig, type QatLayerOptions } from './qat';
export { QatConvBn2d, type QatConvBn2dConfig } from './qat';
export {
  l1Unstructured, randomUnstructured, lnStructured, globalUnstructured, customFromMask, identityPruning, removePruning, isPruned,
  prunedNames, restorePruning,
  type PruningAmount, type Pruned, type L1UnstructuredOptions, type RandomUnstructuredOptions, type LnStructuredOptions,
  type GlobalUnstructuredOptions, type UnstructuredMethod,
} from './prune';
export { PruningSchedule, type PruningScheduleOptions } from './prune-schedule';
export { distillationLoss, Distiller, type DistillationOptions, type DistillerOptions } from './distill';
export { SparseLinear, type SparseLinearConfig } from './sparse-linear';
export { compressionReport, type CompressionReport, type CompressionReportOptions, type ModelFigures, type ReportData } from './report';
export { shrink, type ShrinkStep } from './shrink';
