/**
 * The oracle table: kernel name → its naive twin, a direct transcription of the kernel's
 * definition with the same signature and contract (overwrite or accumulate, offsets, null
 * gradients). `test/tensor/kernels/oracles.test.ts` checks every kernel of the active backend that
 * has an entry here against it, so a new backend is checked against the whole table by running
 * that test with it installed.
 *
 * Kernels without an entry are their own definition (one loop per element: the unary and binary
 * element-wise kernels, the gathers and scatters, the layer norm, the linear-algebra factorizations,
 * which are checked against their identities by the op tests instead).
 */
import type { Kernels } from './backend';
import { conv2dBackwardNaive, conv2dForwardNaive, convTranspose2dBackwardNaive, convTranspose2dForwardNaive } from './conv';
import { gemmU8I8Naive, im2rowU8Naive, qconv2dForwardNaive } from './int8';
import { gemmNaive } from './matmul';
import { batchNormBackwardNaive, batchNormStatsNaive } from './norm';
import {
  adaptiveAvgPool2dBackwardNaive, adaptiveAvgPool2dForwardNaive, avgPool2dBackwardNaive, avgPool2dForwardNaive,
  maxPool2dForwardNaive,
} from './pool';
import { sumForwardNaive } from './reduce';
import {
  gruBackwardNaive, gruForwardNaive, lstmBackwardNaive, lstmForwardNaive, rnnBackwardNaive, rnnForwardNaive,
} from './rnn';
import { csrLinearBackwardInputNaive, csrLinearForwardNaive } from './sparse';
import { logSoftmaxBackwardNaive, logSoftmaxForwardNaive, softmaxBackwardNaive, softmaxForwardNaive } from './softmax';
import {
  mapRowsNaive, stridedAccumulateNaive, stridedCopyNaive, stridedWriteNaive, sumToShapeNaive,
} from './strided';

/** Kernel name → naive twin, for every kernel that has one. */
export const oracles: Readonly<Partial<Kernels>> = Object.freeze({
  gemm: gemmNaive,
  gemmU8I8: gemmU8I8Naive,
  im2rowU8: im2rowU8Naive,
  qconv2dForward: qconv2dForwardNaive,
  csrLinearForward: csrLinearForwardNaive,
  csrLinearBackwardInput: csrLinearBackwardInputNaive,
  mapRows: mapRowsNaive,
  stridedCopy: stridedCopyNaive,
  stridedAccumulate: stridedAccumulateNaive,
  stridedWrite: stridedWriteNaive,
  sumToShape: sumToShapeNaive,
  sumForward: sumForwardNaive,
  softmaxForward: softmaxForwardNaive,
  softmaxBackward: softmaxBackwardNaive,
  logSoftmaxForward: logSoftmaxForwardNaive,
  logSoftmaxBackward: logSoftmaxBackwardNaive,
  batchNormStats: batchNormStatsNaive,
  batchNormBackward: batchNormBackwardNaive,
  conv2dForward: conv2dForwardNaive,
  conv2dBackward: conv2dBackwardNaive,
  convTranspose2dForward: convTranspose2dForwardNaive,
  convTranspose2dBackward: convTranspose2dBackwardNaive,
  maxPool2dForward: maxPool2dForwardNaive,
  avgPool2dForward: avgPool2dForwardNaive,
  avgPool2dBackward: avgPool2dBackwardNaive,
  adaptiveAvgPool2dForward: adaptiveAvgPool2dForwardNaive,
  adaptiveAvgPool2dBackward: adaptiveAvgPool2dBackwardNaive,
  lstmForward: lstmForwardNaive,
  lstmBackward: lstmBackwardNaive,
  gruForward: gruForwardNaive,
  gruBackward: gruBackwardNaive,
  rnnForward: rnnForwardNaive,
  rnnBackward: rnnBackwardNaive,
});
