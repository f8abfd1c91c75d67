export { Tensor, Parameter, type NestedArray, type TensorJson } from './tensor';
export {
  TensorkitError, ShapeError, ArgumentError, FormatError, NumericError, IntegrityError, type ErrorCode,
} from './errors';
export { Generator, manualSeed, defaultGenerator, type GeneratorState, type IndexableArray } from './random';
export {
  noGrad, enableGrad, isGradEnabled, setDebug, getDebug, type DebugOptions, type BackwardOptions,
  type RemovableHandle, type GradHook, type OpAttrs,
} from './autograd';
export { gradcheck, valueAndGrad, type GradcheckOptions, type GradcheckResult } from './gradcheck';
export {
  tensor, zeros, ones, full, zerosLike, onesLike, arange, linspace, eye, rand, randn, randint,
  type CreationOptions, type RandomOptions, type TensorLike,
} from './creation';
export {
  add, sub, mul, div, pow, maximum, minimum, eq, ne, gt, ge, lt, le, where, type TensorOrScalar,
} from './ops/binary';
export {
  neg, abs, exp, log, log1p, sqrt, rsqrt, square, sin, cos, tanh, sigmoid, relu, leakyRelu, elu, gelu,
  softplus, sign, clamp, type GeluOptions, type SoftplusOptions, type ClampOptions,
} from './ops/unary';
export {
  sum, mean, max, min, variance, variance as var, std, logSumExp, norm, argmax, argmin,
  type ReduceOptions, type VarOptions, type NormOptions, type ArgOptions,
} from './ops/reduce';
export {
  reshape, flatten, squeeze, unsqueeze, expand, permute, transpose, concat, stack, split, slice, pad,
  repeat, tile, type SliceSpec, type PadOptions,
} from './ops/shape';
export { gather, indexSelect, oneHot, type Indices } from './ops/index';
export { matmul, dot, outer } from './ops/matmul';
export {
  linear, conv1d, conv2d, convTranspose2d,
  type Pair, type Conv1dOptions, type Conv2dOptions, type ConvTranspose2dOptions,
} from './ops/conv';
export { cholesky, solve, inv, det, qr, lstsq, type QRResult, type LstsqOptions } from './linalg';
export {
  maxPool2d, avgPool2d, adaptiveAvgPool2d,
  type Size2, type MaxPool2dOptions, type AvgPool2dOptions,
} from './ops/pool';
export { softmax, logSoftmax, crossEntropy, type CrossEntropyOptions, type Reduction } from './ops/softmax';
export { layerNorm, batchNorm, type BatchNormOptions } from './ops/norm';
export { embedding, type EmbeddingOptions } from './ops/embedding';
export { dropout, type DropoutOptions } from './ops/dropout';
export {
  lstmLayer, gruLayer, rnnLayer,
  type RecurrentLayerOptions, type RnnLayerOptions, type RecurrentLayerResult, type LstmLayerResult,
} from './ops/rnn';
export { TypedBuffer, type Dtype, type TypedData, type TypedTensor, type IntegerDtype, type IntegerData, type TypedTensorJson } from './typed';
export { setBackend, getBackend, wasmAvailable, setNumThreads, getNumThreads, maxNumThreads, type Backend } from './backend';
export { VERSION } from './version';
export {
  boxIou, nms, batchedNms, boxConvert, generalizedBoxIou, giouLoss, type BoxFormat, type GiouLossOptions,
} from './ops/boxes';
