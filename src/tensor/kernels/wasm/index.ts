/**
 * The wasm backend: the kernels tensorkit writes in WebAssembly with its own encoder
 * (`encoder.ts`), and the SIMD probe that decides whether the running engine can use them.
 *
 * {@link wasmOverrides} lists the entries this backend replaces; backend.ts spreads them over the
 * js table (`{ ...js, ...wasmOverrides }`), so every kernel not written in wasm yet stays the JS
 * one. Later kernels (convolution, recurrent step products, int8 dot products) add an entry here.
 */
import type { Kernels } from '../backend';
import { ModuleBuilder, V128 } from './encoder';
import { wasmConv2dForward } from './conv';
import { wasmConv2dBackward, wasmConv2dReluPoolBackward, wasmConvTranspose2dBackward, wasmConvTranspose2dForward } from './conv';
import { wasmGemm } from './gemm';
import { wasmGemmU8I8, wasmQconv2dForward } from './int8';
import { wasmGruBackward, wasmGruForward, wasmLstmBackward, wasmLstmForward, wasmRnnBackward, wasmRnnForward } from './rnn';
import { wasmMaxPool2dForward } from './pool';
import { wasmReluBackward, wasmReluForward } from './relu';
import {
  wasmExpForward, wasmGeluBackward, wasmGeluForward, wasmLogSoftmaxBackward, wasmLogSoftmaxForward, wasmMulByOutputBackward,
  wasmSigmoidBackward, wasmSigmoidForward, wasmSoftmaxBackward, wasmSoftmaxForward, wasmTanhBackward, wasmTanhForward,
} from './unary';

/** The kernel-table entries the wasm backend replaces. */
export const wasmOverrides: Readonly<Partial<Kernels>> = Object.freeze({
  gemm: wasmGemm,
  conv2dForward: wasmConv2dForward,
  conv2dBackward: wasmConv2dBackward,
  conv2dReluPoolBackward: wasmConv2dReluPoolBackward,
  convTranspose2dForward: wasmConvTranspose2dForward,
  convTranspose2dBackward: wasmConvTranspose2dBackward,
  gemmU8I8: wasmGemmU8I8,
  qconv2dForward: wasmQconv2dForward,
  lstmForward: wasmLstmForward,
  lstmBackward: wasmLstmBackward,
  gruForward: wasmGruForward,
  gruBackward: wasmGruBackward,
  rnnForward: wasmRnnForward,
  rnnBackward: wasmRnnBackward,
  maxPool2dForward: wasmMaxPool2dForward,
  reluForward: wasmReluForward,
  reluBackward: wasmReluBackward,
  expForward: wasmExpForward,
  mulByOutputBackward: wasmMulByOutputBackward,
  tanhForward: wasmTanhForward,
  tanhBackward: wasmTanhBackward,
  sigmoidForward: wasmSigmoidForward,
  sigmoidBackward: wasmSigmoidBackward,
  geluForward: wasmGeluForward,
  geluBackward: wasmGeluBackward,
  softmaxForward: wasmSoftmaxForward,
  logSoftmaxForward: wasmLogSoftmaxForward,
  softmaxBackward: wasmSoftmaxBackward,
  logSoftmaxBackward: wasmLogSoftmaxBackward,
});

let probed: boolean | null = null;
let forced: boolean | null = null;

/**
 * True when the engine has WebAssembly with SIMD128: a one-function module using `f32x4.add`
 * validates. Computed once (a fraction of a millisecond).
 */
export function simdSupported(): boolean {
  if (forced !== null) return forced;
  if (probed === null) {
    try {
      const m = new ModuleBuilder();
      m.func('p', [V128, V128], [V128], [], (c) => c.localGet(0).localGet(1).f32x4Add());
      probed = typeof WebAssembly === 'object' && WebAssembly.validate(m.build());
    } catch {
      probed = false;
    }
  }
  return probed;
}

/** Test hook: makes {@link simdSupported} answer `value` (null restores the real probe). Internal. */
export function forceSimdProbe(value: boolean | null): void {
  forced = value;
}
