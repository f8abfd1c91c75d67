export { Module, type ModuleConfig, type StateDict, type LoadStateDictOptions, type LoadStateDictResult, type ForwardHook, type ForwardPreHook, type HookOptions, type StateDictSource, type TensorJson } from './module';
export { type LayerConfig, type OptionlessConfig } from './config';
export { Sequential, type SequentialConfig } from './sequential';
export {
  Linear, Conv1d, Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Dropout,
  type LinearOptions, type Conv1dLayerOptions, type Conv2dLayerOptions, type ConvTranspose2dLayerOptions,
  type MaxPool2dLayerOptions, type AvgPool2dLayerOptions, type DropoutLayerOptions,
  type LinearConfig, type Conv1dConfig, type Conv2dConfig, type ConvTranspose2dConfig,
  type MaxPool2dConfig, type AvgPool2dConfig, type AdaptiveAvgPool2dConfig, type FlattenConfig, type DropoutConfig,
} from './layers';
export {
  BatchNorm1d, BatchNorm2d, LayerNorm,
  type BatchNormLayerOptions, type LayerNormLayerOptions, type BatchNormConfig, type LayerNormConfig,
} from './normalization';
export { Embedding, type EmbeddingLayerOptions, type EmbeddingConfig } from './embedding';
export {
  ReLU, GELU, Tanh, Sigmoid, LeakyReLU, ELU, Softplus, Identity, Softmax,
  type GELUConfig, type LeakyReLUConfig, type ELUConfig, type SoftplusConfig, type SoftmaxConfig,
} from './activations';
export * as init from './init';
export {
  mseLoss, l1Loss, huberLoss, crossEntropy, nllLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits, klDiv,
  type LossOptions, type HuberLossOptions, type NllLossOptions, type BinaryCrossEntropyOptions,
  type BinaryCrossEntropyWithLogitsOptions, type KlDivOptions, type KlDivReduction, type LossWeight,
  type CrossEntropyOptions, type Reduction,
} from './losses';
export {
  MultiHeadAttention, scaledDotProductAttention, generateSquareSubsequentMask, torchAttentionStateDict,
  type MultiHeadAttentionOptions, type MultiHeadAttentionForwardOptions, type AttentionOutput,
  type ScaledDotProductAttentionOptions, type AttnMask, type KeyPaddingMask, type NestedBool, type MultiHeadAttentionConfig,
} from './attention';
export {
  TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer, TransformerDecoder, PositionalEncoding,
  type TransformerLayerOptions, type TransformerActivation, type EncoderForwardOptions, type DecoderForwardOptions,
  type TransformerStackOptions, type EncoderLayerLike, type DecoderLayerLike, type PositionalEncodingOptions,
  type TransformerLayerConfig, type TransformerStackConfig, type PositionalEncodingConfig,
} from './transformer';
export {
  RNNBase, RNN, LSTM, GRU,
  type RecurrentOptions, type RNNOptions, type RecurrentOutput, type LSTMOutput, type LSTMState, type RecurrentConfig, type RNNConfig,
} from './recurrent';
