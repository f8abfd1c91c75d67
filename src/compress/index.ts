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
export { fakeQuantizePerTensorAffine, fakeQuantizePerChannelAffine } from './fake-quantize';
export {
  QuantizedLinear, quantizeDynamic,
  type DynamicQuantOptions, type QuantizeDynamicOptions, type QuantizedLinearConfig,
} from './quantized-linear';
export {
  FakeQuantize, QatLinear, prepareQat, convert,
  type FakeQuantizeOptions, type PrepareQatOptions, type QatLinearConfig,
} from './qat';
