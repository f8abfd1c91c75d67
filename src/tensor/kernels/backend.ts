/**
 * The kernel table: every kernel an op calls, looked up through one mutable object so a backend
 * can replace kernels without the ops knowing.
 *
 * Ops import the active table and call through it, one property load per call:
 *
 *     import { kernels as K } from '../kernels/backend';
 *     K.reluForward(out.data, x.data, x.size);
 *
 * `js` is the default backend, the scalar TypeScript kernels of this folder. A backend is a
 * complete {@link Kernels} table; one that implements only some kernels spreads `js` for the rest
 * (`{ ...js, gemm: simdGemm }`), as `wasm` does. `useKernels` installs a table (tests do, with an
 * oracle table or a spy); `installBackend('wasm' | 'js')` installs a named one and is what the
 * public `setBackend` (tensor/backend.ts) calls. The default is `wasm` where the SIMD probe
 * validates, `js` otherwise (DESIGN.md §15).
 *
 * What a backend may replace, and at which granularity: whole entries of this table, each with the
 * contract documented on its JS implementation (shapes, offsets, overwrite or accumulate). The
 * entries are coarse on purpose (a whole GEMM, a whole convolution pass, a whole recurrent
 * sequence), so a backend crosses into its own memory once per call, not once per element or per
 * tile. The kernels that are built on other entries call them through this table too: the
 * recurrent kernels and the pointwise and col2im paths of the convolutions call `gemm`, and the
 * stride-1 convolution input gradient and the transposed convolution's backward call
 * `conv2dForward`, so a backend that replaces `gemm` (or `conv2dForward`) speeds those up as well.
 * The 4×4 micro-kernel and the panel packing are not entries: they work on the JS backend's packed
 * panels (plain arrays of doubles) and are private to it; a backend that wants the gathered
 * convolution paths faster replaces the convolution entries.
 */
import * as binary from './binary';
import * as conv from './conv';
import * as embedding from './embedding';
import * as gather from './gather';
import * as int8 from './int8';
import * as linalg from './linalg';
import * as losses from './losses';
import * as matmul from './matmul';
import * as norm from './norm';
import * as pool from './pool';
import * as reduce from './reduce';
import * as rnn from './rnn';
import * as softmax from './softmax';
import * as sparse from './sparse';
import * as strided from './strided';
import * as unary from './unary';
import { simdSupported, wasmOverrides } from './wasm/index';

/**
 * Every kernel the ops call. Each entry has the signature and contract of the JS kernel of the
 * same name (documented where it is defined); a backend implements the same contract.
 */
export interface Kernels {
  // matmul
  gemm: typeof matmul.gemm;
  // quantized matmul: uint8 activations × int8 weights → int32
  gemmU8I8: typeof int8.gemmU8I8;
  im2rowU8: typeof int8.im2rowU8;
  qconv2dForward: typeof int8.qconv2dForward;
  // sparse (CSR) weight × dense input
  csrLinearForward: typeof sparse.csrLinearForward;
  csrLinearBackwardInput: typeof sparse.csrLinearBackwardInput;
  // strided iteration (broadcasting, permutes, slices)
  mapRows: typeof strided.mapRows;
  stridedCopy: typeof strided.stridedCopy;
  stridedAccumulate: typeof strided.stridedAccumulate;
  stridedWrite: typeof strided.stridedWrite;
  sumToShape: typeof strided.sumToShape;
  // binary row kernels (driven by mapRows)
  addRow: typeof binary.addRow;
  subRow: typeof binary.subRow;
  mulRow: typeof binary.mulRow;
  divRow: typeof binary.divRow;
  powRow: typeof binary.powRow;
  maximumRow: typeof binary.maximumRow;
  minimumRow: typeof binary.minimumRow;
  eqRow: typeof binary.eqRow;
  neRow: typeof binary.neRow;
  gtRow: typeof binary.gtRow;
  geRow: typeof binary.geRow;
  ltRow: typeof binary.ltRow;
  leRow: typeof binary.leRow;
  whereRow: typeof binary.whereRow;
  copyGradRow: typeof binary.copyGradRow;
  negGradRow: typeof binary.negGradRow;
  mulGradARow: typeof binary.mulGradARow;
  mulGradBRow: typeof binary.mulGradBRow;
  divGradARow: typeof binary.divGradARow;
  divGradBRow: typeof binary.divGradBRow;
  powGradARow: typeof binary.powGradARow;
  powGradBRow: typeof binary.powGradBRow;
  maximumGradARow: typeof binary.maximumGradARow;
  maximumGradBRow: typeof binary.maximumGradBRow;
  minimumGradARow: typeof binary.minimumGradARow;
  minimumGradBRow: typeof binary.minimumGradBRow;
  whereGradARow: typeof binary.whereGradARow;
  whereGradBRow: typeof binary.whereGradBRow;
  // unary element-wise
  negForward: typeof unary.negForward;
  negBackward: typeof unary.negBackward;
  absForward: typeof unary.absForward;
  absBackward: typeof unary.absBackward;
  expForward: typeof unary.expForward;
  mulByOutputBackward: typeof unary.mulByOutputBackward;
  logForward: typeof unary.logForward;
  logBackward: typeof unary.logBackward;
  log1pForward: typeof unary.log1pForward;
  log1pBackward: typeof unary.log1pBackward;
  sqrtForward: typeof unary.sqrtForward;
  sqrtBackward: typeof unary.sqrtBackward;
  rsqrtForward: typeof unary.rsqrtForward;
  rsqrtBackward: typeof unary.rsqrtBackward;
  squareForward: typeof unary.squareForward;
  squareBackward: typeof unary.squareBackward;
  sinForward: typeof unary.sinForward;
  sinBackward: typeof unary.sinBackward;
  cosForward: typeof unary.cosForward;
  cosBackward: typeof unary.cosBackward;
  tanhForward: typeof unary.tanhForward;
  tanhBackward: typeof unary.tanhBackward;
  sigmoidForward: typeof unary.sigmoidForward;
  sigmoidBackward: typeof unary.sigmoidBackward;
  reluForward: typeof unary.reluForward;
  reluBackward: typeof unary.reluBackward;
  leakyReluForward: typeof unary.leakyReluForward;
  leakyReluBackward: typeof unary.leakyReluBackward;
  eluForward: typeof unary.eluForward;
  eluBackward: typeof unary.eluBackward;
  geluForward: typeof unary.geluForward;
  geluBackward: typeof unary.geluBackward;
  geluTanhForward: typeof unary.geluTanhForward;
  geluTanhBackward: typeof unary.geluTanhBackward;
  softplusForward: typeof unary.softplusForward;
  softplusBackward: typeof unary.softplusBackward;
  signForward: typeof unary.signForward;
  clampForward: typeof unary.clampForward;
  clampBackward: typeof unary.clampBackward;
  addInto: typeof unary.addInto;
  // reductions over the middle axis of (O, R, I)
  sumForward: typeof reduce.sumForward;
  sumBackward: typeof reduce.sumBackward;
  maxForward: typeof reduce.maxForward;
  maxBackward: typeof reduce.maxBackward;
  varForward: typeof reduce.varForward;
  varBackward: typeof reduce.varBackward;
  logSumExpForward: typeof reduce.logSumExpForward;
  logSumExpBackward: typeof reduce.logSumExpBackward;
  normForward: typeof reduce.normForward;
  normBackward: typeof reduce.normBackward;
  // softmax and cross-entropy
  softmaxForward: typeof softmax.softmaxForward;
  softmaxBackward: typeof softmax.softmaxBackward;
  logSoftmaxForward: typeof softmax.logSoftmaxForward;
  logSoftmaxBackward: typeof softmax.logSoftmaxBackward;
  crossEntropyForward: typeof softmax.crossEntropyForward;
  crossEntropyBackward: typeof softmax.crossEntropyBackward;
  crossEntropyProbForward: typeof softmax.crossEntropyProbForward;
  crossEntropyProbBackward: typeof softmax.crossEntropyProbBackward;
  // normalization
  layerNormForward: typeof norm.layerNormForward;
  layerNormBackward: typeof norm.layerNormBackward;
  batchNormStats: typeof norm.batchNormStats;
  batchNormForward: typeof norm.batchNormForward;
  batchNormUpdateRunning: typeof norm.batchNormUpdateRunning;
  batchNormBackward: typeof norm.batchNormBackward;
  // convolution
  conv2dForward: typeof conv.conv2dForward;
  conv2dBackward: typeof conv.conv2dBackward;
  conv2dReluPoolBackward: typeof conv.conv2dReluPoolBackward;
  convTranspose2dForward: typeof conv.convTranspose2dForward;
  convTranspose2dBackward: typeof conv.convTranspose2dBackward;
  // pooling
  maxPool2dForward: typeof pool.maxPool2dForward;
  maxPool2dBackward: typeof pool.maxPool2dBackward;
  avgPool2dForward: typeof pool.avgPool2dForward;
  avgPool2dBackward: typeof pool.avgPool2dBackward;
  adaptiveAvgPool2dForward: typeof pool.adaptiveAvgPool2dForward;
  adaptiveAvgPool2dBackward: typeof pool.adaptiveAvgPool2dBackward;
  // recurrent layers (a whole sequence per call)
  lstmForward: typeof rnn.lstmForward;
  lstmBackward: typeof rnn.lstmBackward;
  gruForward: typeof rnn.gruForward;
  gruBackward: typeof rnn.gruBackward;
  rnnForward: typeof rnn.rnnForward;
  rnnBackward: typeof rnn.rnnBackward;
  swapLeadingAxes: typeof rnn.swapLeadingAxes;
  swapLeadingAxesAdd: typeof rnn.swapLeadingAxesAdd;
  // indexing
  embeddingForward: typeof embedding.embeddingForward;
  embeddingBackward: typeof embedding.embeddingBackward;
  indexSelectForward: typeof gather.indexSelectForward;
  indexSelectBackward: typeof gather.indexSelectBackward;
  gatherForward: typeof gather.gatherForward;
  gatherBackward: typeof gather.gatherBackward;
  // fused losses
  mseForward: typeof losses.mseForward;
  mseBackward: typeof losses.mseBackward;
  l1Forward: typeof losses.l1Forward;
  l1Backward: typeof losses.l1Backward;
  huberForward: typeof losses.huberForward;
  huberBackward: typeof losses.huberBackward;
  bceForward: typeof losses.bceForward;
  bceBackward: typeof losses.bceBackward;
  bceLogitsForward: typeof losses.bceLogitsForward;
  bceLogitsBackward: typeof losses.bceLogitsBackward;
  klDivForward: typeof losses.klDivForward;
  klDivBackward: typeof losses.klDivBackward;
  nllForward: typeof losses.nllForward;
  nllBackward: typeof losses.nllBackward;
  firstOutside: typeof losses.firstOutside;
  sum64: typeof losses.sum64;
  // dense linear algebra in float64 (the conversions, tolerances and constants stay plain imports)
  choleskyFactor64: typeof linalg.choleskyFactor64;
  lowerSolve64: typeof linalg.lowerSolve64;
  lowerTransSolve64: typeof linalg.lowerTransSolve64;
  luFactor64: typeof linalg.luFactor64;
  luSolve64: typeof linalg.luSolve64;
  luDet64: typeof linalg.luDet64;
  householderQR64: typeof linalg.householderQR64;
  applyQ64: typeof linalg.applyQ64;
  lstsq64: typeof linalg.lstsq64;
}

/** The default backend: the scalar TypeScript kernels. */
export const js: Readonly<Kernels> = Object.freeze({
  gemm: matmul.gemm,
  gemmU8I8: int8.gemmU8I8,
  im2rowU8: int8.im2rowU8,
  qconv2dForward: int8.qconv2dForward,
  csrLinearForward: sparse.csrLinearForward,
  csrLinearBackwardInput: sparse.csrLinearBackwardInput,
  mapRows: strided.mapRows,
  stridedCopy: strided.stridedCopy,
  stridedAccumulate: strided.stridedAccumulate,
  stridedWrite: strided.stridedWrite,
  sumToShape: strided.sumToShape,
  addRow: binary.addRow,
  subRow: binary.subRow,
  mulRow: binary.mulRow,
  divRow: binary.divRow,
  powRow: binary.powRow,
  maximumRow: binary.maximumRow,
  minimumRow: binary.minimumRow,
  eqRow: binary.eqRow,
  neRow: binary.neRow,
  gtRow: binary.gtRow,
  geRow: binary.geRow,
  ltRow: binary.ltRow,
  leRow: binary.leRow,
  whereRow: binary.whereRow,
  copyGradRow: binary.copyGradRow,
  negGradRow: binary.negGradRow,
  mulGradARow: binary.mulGradARow,
  mulGradBRow: binary.mulGradBRow,
  divGradARow: binary.divGradARow,
  divGradBRow: binary.divGradBRow,
  powGradARow: binary.powGradARow,
  powGradBRow: binary.powGradBRow,
  maximumGradARow: binary.maximumGradARow,
  maximumGradBRow: binary.maximumGradBRow,
  minimumGradARow: binary.minimumGradARow,
  minimumGradBRow: binary.minimumGradBRow,
  whereGradARow: binary.whereGradARow,
  whereGradBRow: binary.whereGradBRow,
  negForward: unary.negForward,
  negBackward: unary.negBackward,
  absForward: unary.absForward,
  absBackward: unary.absBackward,
  expForward: unary.expForward,
  mulByOutputBackward: unary.mulByOutputBackward,
  logForward: unary.logForward,
  logBackward: unary.logBackward,
  log1pForward: unary.log1pForward,
  log1pBackward: unary.log1pBackward,
  sqrtForward: unary.sqrtForward,
  sqrtBackward: unary.sqrtBackward,
  rsqrtForward: unary.rsqrtForward,
  rsqrtBackward: unary.rsqrtBackward,
  squareForward: unary.squareForward,
  squareBackward: unary.squareBackward,
  sinForward: unary.sinForward,
  sinBackward: unary.sinBackward,
  cosForward: unary.cosForward,
  cosBackward: unary.cosBackward,
  tanhForward: unary.tanhForward,
  tanhBackward: unary.tanhBackward,
  sigmoidForward: unary.sigmoidForward,
  sigmoidBackward: unary.sigmoidBackward,
  reluForward: unary.reluForward,
  reluBackward: unary.reluBackward,
  leakyReluForward: unary.leakyReluForward,
  leakyReluBackward: unary.leakyReluBackward,
  eluForward: unary.eluForward,
  eluBackward: unary.eluBackward,
  geluForward: unary.geluForward,
  geluBackward: unary.geluBackward,
  geluTanhForward: unary.geluTanhForward,
  geluTanhBackward: unary.geluTanhBackward,
  softplusForward: unary.softplusForward,
  softplusBackward: unary.softplusBackward,
  signForward: unary.signForward,
  clampForward: unary.clampForward,
  clampBackward: unary.clampBackward,
  addInto: unary.addInto,
  sumForward: reduce.sumForward,
  sumBackward: reduce.sumBackward,
  maxForward: reduce.maxForward,
  maxBackward: reduce.maxBackward,
  varForward: reduce.varForward,
  varBackward: reduce.varBackward,
  logSumExpForward: reduce.logSumExpForward,
  logSumExpBackward: reduce.logSumExpBackward,
  normForward: reduce.normForward,
  normBackward: reduce.normBackward,
  softmaxForward: softmax.softmaxForward,
  softmaxBackward: softmax.softmaxBackward,
  logSoftmaxForward: softmax.logSoftmaxForward,
  logSoftmaxBackward: softmax.logSoftmaxBackward,
  crossEntropyForward: softmax.crossEntropyForward,
  crossEntropyBackward: softmax.crossEntropyBackward,
  crossEntropyProbForward: softmax.crossEntropyProbForward,
  crossEntropyProbBackward: softmax.crossEntropyProbBackward,
  layerNormForward: norm.layerNormForward,
  layerNormBackward: norm.layerNormBackward,
  batchNormStats: norm.batchNormStats,
  batchNormForward: norm.batchNormForward,
  batchNormUpdateRunning: norm.batchNormUpdateRunning,
  batchNormBackward: norm.batchNormBackward,
  conv2dForward: conv.conv2dForward,
  conv2dBackward: conv.conv2dBackward,
  conv2dReluPoolBackward: conv.conv2dReluPoolBackward,
  convTranspose2dForward: conv.convTranspose2dForward,
  convTranspose2dBackward: conv.convTranspose2dBackward,
  maxPool2dForward: pool.maxPool2dForward,
  maxPool2dBackward: pool.maxPool2dBackward,
  avgPool2dForward: pool.avgPool2dForward,
  avgPool2dBackward: pool.avgPool2dBackward,
  adaptiveAvgPool2dForward: pool.adaptiveAvgPool2dForward,
  adaptiveAvgPool2dBackward: pool.adaptiveAvgPool2dBackward,
  lstmForward: rnn.lstmForward,
  lstmBackward: rnn.lstmBackward,
  gruForward: rnn.gruForward,
  gruBackward: rnn.gruBackward,
  rnnForward: rnn.rnnForward,
  rnnBackward: rnn.rnnBackward,
  swapLeadingAxes: rnn.swapLeadingAxes,
  swapLeadingAxesAdd: rnn.swapLeadingAxesAdd,
  embeddingForward: embedding.embeddingForward,
  embeddingBackward: embedding.embeddingBackward,
  indexSelectForward: gather.indexSelectForward,
  indexSelectBackward: gather.indexSelectBackward,
  gatherForward: gather.gatherForward,
  gatherBackward: gather.gatherBackward,
  mseForward: losses.mseForward,
  mseBackward: losses.mseBackward,
  l1Forward: losses.l1Forward,
  l1Backward: losses.l1Backward,
  huberForward: losses.huberForward,
  huberBackward: losses.huberBackward,
  bceForward: losses.bceForward,
  bceBackward: losses.bceBackward,
  bceLogitsForward: losses.bceLogitsForward,
  bceLogitsBackward: losses.bceLogitsBackward,
  klDivForward: losses.klDivForward,
  klDivBackward: losses.klDivBackward,
  nllForward: losses.nllForward,
  nllBackward: losses.nllBackward,
  firstOutside: losses.firstOutside,
  sum64: losses.sum64,
  choleskyFactor64: linalg.choleskyFactor64,
  lowerSolve64: linalg.lowerSolve64,
  lowerTransSolve64: linalg.lowerTransSolve64,
  luFactor64: linalg.luFactor64,
  luSolve64: linalg.luSolve64,
  luDet64: linalg.luDet64,
  householderQR64: linalg.householderQR64,
  applyQ64: linalg.applyQ64,
  lstsq64: linalg.lstsq64,
});

/**
 * The wasm backend: the js table with the entries written in WebAssembly SIMD (wasm/index.ts)
 * in place of their JS twins. Only usable where {@link simdSupported} is true.
 */
export const wasm: Readonly<Kernels> = Object.freeze({ ...js, ...wasmOverrides });

/** The names of every kernel, in the interface's order. */
export const kernelNames: readonly (keyof Kernels)[] = Object.freeze(Object.keys(js) as (keyof Kernels)[]);

/**
 * The active table, the object every op calls through. Its entries are overwritten in place by
 * {@link useKernels}, so importers keep one reference and always see the active backend.
 */
export const kernels: Kernels = { ...js };

/** A named backend. */
export type BackendName = 'wasm' | 'js';

let active: BackendName = 'js';

/** The backend used when none is chosen: `wasm` where the SIMD probe validates, else `js`. */
export function defaultBackend(): BackendName {
  return simdSupported() ? 'wasm' : 'js';
}

/**
 * Installs the named backend's table; returns false (and changes nothing) when it is `wasm` and
 * the engine has no WebAssembly SIMD. Internal: the public, validating form is `setBackend`.
 */
export function installBackend(name: BackendName): boolean {
  if (name === 'wasm' && !simdSupported()) return false;
  useKernels(name === 'wasm' ? wasm : js);
  active = name;
  return true;
}

/** The backend last installed by {@link installBackend} (`useKernels` with a custom table does not change it). */
export function activeBackend(): BackendName {
  return active;
}

installBackend(defaultBackend());

/** A copy of the active table's entries. */
export function getKernels(): Kernels {
  return { ...kernels };
}

/**
 * Makes `table` the active backend and returns the table that was active, to restore it:
 * `const prev = useKernels(t); try { … } finally { useKernels(prev); }`. Internal (tests and, later,
 * `setBackend`). Throws if `table` lacks a kernel or has an entry that is not a kernel, so a
 * partial backend cannot leave the table half replaced.
 */
export function useKernels(table: Kernels): Kernels {
  for (const name of kernelNames) {
    if (typeof table[name] !== 'function') throw new Error(`useKernels: the table has no kernel '${name}'`);
  }
  for (const name of Object.keys(table)) {
    if (!(name in js)) throw new Error(`useKernels: '${name}' is not a kernel`);
  }
  const previous = getKernels();
  Object.assign(kernels, table);
  return previous;
}
