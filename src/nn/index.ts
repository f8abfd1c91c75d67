export { Module, type ModuleConfig, type StateDict, type LoadStateDictOptions, type LoadStateDictResult, type ForwardHook, type ForwardPreHook, type HookOptions, type StateDictSource, type TensorJson } from './module';
export { Sequential } from './sequential';
export {
  Linear, Conv1d, Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten,
  type LinearOptions, type Conv1dLayerOptions, type Conv2dLayerOptions, type ConvTranspose2dLayerOptions,
  type MaxPool2dLayerOptions, type AvgPool2dLayerOptions,
} from './layers';
export {
  BatchNorm1d, BatchNorm2d, LayerNorm, Embedding, Dropout, Softmax,
  type BatchNormLayerOptions, type LayerNormLayerOptions, type EmbeddingLayerOptions, type DropoutLayerOptions,
} from './normalization';
export { ReLU, GELU, Tanh, Sigmoid, LeakyReLU, ELU, Softplus, Identity } from './activations';
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
  type ScaledDotProductAttentionOptions, type AttnMask, type KeyPaddingMask, type NestedBool,
} from './attention';
export {
  TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer, TransformerDecoder, PositionalEncoding,
  type TransformerLayerOptions, type TransformerActivation, type EncoderForwardOptions, type DecoderForwardOptions,
  type TransformerStackOptions, type EncoderLayerLike, type DecoderLayerLike, type PositionalEncodingOptions,
} from './transformer';
export {
  RNNBase, RNN, LSTM, GRU,
  type RecurrentOptions, type RNNOptions, type RecurrentOutput, type LSTMOutput, type LSTMState,
} from './recurrent';
