/**
 * Public backend selection (DESIGN.md §15): which kernel table the ops run on. The mechanism is
 * the kernel table of kernels/backend.ts; this file is its validated public face.
 */
import { activeBackend, installBackend } from './kernels/backend';
import { simdSupported } from './kernels/wasm/index';
import { ArgumentError } from './errors';
import { checkArg, oneOf } from './options';

/**
 * A compute backend: `'wasm'`, tensorkit's own WebAssembly SIMD kernels (compiled at run time,
 * no dependency; kernels not yet written in wasm run the JS ones), or `'js'`, the scalar
 * TypeScript kernels.
 * @category Backend
 */
export type Backend = 'wasm' | 'js';

/**
 * Selects the backend every op runs on from now on. The default is `'wasm'` where the engine
 * validates WebAssembly SIMD128 (Node 20, current browsers) and `'js'` otherwise. Results agree
 * within float32 rounding (SIMD sums in another order); switching does not touch existing
 * tensors. Guide: docs/backends.md.
 *
 * Throws `ArgumentError` for an unknown name, and when `'wasm'` is asked for in an engine without
 * WebAssembly SIMD (the backend then stays as it was).
 *
 * @example
 * setBackend('js'); getBackend(); // 'js'
 * @category Backend
 */
export function setBackend(name: Backend): void {
  const n = checkArg('setBackend', 'name', name, oneOf(['wasm', 'js'] as const));
  if (!installBackend(n)) {
    throw new ArgumentError("setBackend: name 'wasm' is not available: this engine has no WebAssembly SIMD128");
  }
}

/**
 * The backend ops run on: the last {@link setBackend}, or the default.
 * @example
 * setBackend('js'); getBackend(); // 'js'
 * @category Backend
 */
export function getBackend(): Backend {
  return activeBackend();
}

/**
 * True when this engine can run the `'wasm'` backend (it validates a WebAssembly SIMD128 module).
 * @example
 * typeof wasmAvailable(); // 'boolean'
 * @category Backend
 */
export function wasmAvailable(): boolean {
  return simdSupported();
}
