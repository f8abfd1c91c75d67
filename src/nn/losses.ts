// The loss functions (torch.nn.functional's losses), the one public home of the loss API. A loss
// with a hand-written backward is an op like any other and lives in the tensor core: the
// element-wise losses, nllLoss, the binary cross-entropies and klDiv in tensor/ops/losses.ts
// (kernels in tensor/kernels/losses.ts), crossEntropy fused with logSoftmax in
// tensor/ops/softmax.ts. A loss composed of other ops is written here.
export { crossEntropy, type CrossEntropyOptions, type Reduction } from '../tensor/ops/softmax';
export {
  mseLoss, l1Loss, huberLoss, nllLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits, klDiv,
  type LossOptions, type HuberLossOptions, type LossWeight, type NllLossOptions, type BinaryCrossEntropyOptions,
  type BinaryCrossEntropyWithLogitsOptions, type KlDivReduction, type KlDivOptions,
} from '../tensor/ops/losses';
