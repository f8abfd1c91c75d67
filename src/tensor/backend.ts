/**
 * Public backend selection (DESIGN.md §15): which kernel table the ops run on. The mechanism is
 * the kernel table of kernels/backend.ts; this file is its validated public face.
 */
import { activeBackend, installBackend } from './kernels/backend';
import { simdSupported } from './kernels/wasm/index';
import { prepareGemm } from './kernels/wasm/gemm';
import { MAX_THREADS, maxThreads, setThreadCount, threadCount } from './kernels/wasm/threads';
import { ArgumentError } from './errors';
import { checkArg, int, oneOf } from './options';

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

/**
 * Sets how many threads the wasm kernels split their work over: the calling thread and `n − 1`
 * workers (`worker_threads` in Node, Web Workers on a `crossOriginIsolated` page) over the shared
 * WebAssembly memory. The default is 1; `setNumThreads(1)` stops every worker. Work is cut into
 * chunks fixed by the problem's shape alone, so results are bit-identical for every thread count.
 * Today the GEMM (every `matmul`, `linear`, and the kernels built on it) runs in parallel, from
 * 64·64·128 multiply-adds up; the js backend always runs on one thread. Ops stay synchronous: the
 * calling thread computes chunks too and waits for the workers. Idle workers do not keep a Node
 * process alive. Guide: docs/backends.md (Threads).
 *
 * Throws `ArgumentError` unless `n` is an integer from 1 to 64, and for every `n` above 1 where
 * the engine cannot run threads (a page that is not `crossOriginIsolated`, an engine without
 * shared WebAssembly memory or workers); the count then stays as it was.
 *
 * @example
 * setNumThreads(1); getNumThreads(); // 1
 * @category Backend
 */
export function setNumThreads(n: number): void {
  const count = checkArg('setNumThreads', 'n', n, int({ min: 1, max: MAX_THREADS }));
  if (count > maxThreads()) {
    throw new ArgumentError(
      `setNumThreads: n must be 1 in this engine, got ${count}: threads need a shared WebAssembly memory and workers ` +
      '(Node 20.16+, or a page that is crossOriginIsolated)',
    );
  }
  // Compiled before the workers start, so they instantiate it with the pool rather than restart for it.
  if (count > 1) prepareGemm();
  setThreadCount(count);
}

/**
 * The number of threads the wasm kernels use: the last {@link setNumThreads}, or 1.
 * @example
 * setNumThreads(1); getNumThreads(); // 1
 * @category Backend
 */
export function getNumThreads(): number {
  return threadCount();
}

/**
 * The most threads {@link setNumThreads} accepts in this engine: 64 where shared WebAssembly
 * memory and workers exist (Node 20.16+, a `crossOriginIsolated` page), else 1.
 * @example
 * maxNumThreads() >= 1; // true
 * @category Backend
 */
export function maxNumThreads(): number {
  return maxThreads();
}
