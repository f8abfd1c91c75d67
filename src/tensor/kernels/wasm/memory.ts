/**
 * The wasm backend's one memory: a growable `WebAssembly.Memory` that every kernel module imports
 * as `env.mem`. Operands are staged in (packed) and results staged out on each call; tensors do
 * not live in it, so the no-`dispose()` contract of the JS backend holds unchanged.
 *
 * Where the engine allows it (Node; a browser page that is `crossOriginIsolated`) the memory is a
 * shared one (`shared: true`, maximum {@link SHARED_MAX_PAGES}), so worker threads (threads.ts)
 * can run kernels on it; elsewhere it is an ordinary memory. Which kind is decided once, when it is
 * created, and kernel modules declare their import to match with {@link importWasmMemory} (a
 * module declaring the other kind fails to link).
 *
 * It grows in 64 KiB pages and never shrinks. Growing detaches every view on an ordinary memory's
 * old buffer (and leaves a shared memory's old views short), so callers take views with
 * {@link f32View} after their last {@link ensureBytes} of a call, never across one.
 */
import type { ModuleBuilder } from './encoder';

const PAGE = 65536;
/** The maximum of the shared memory in 64 KiB pages (4 GiB, all that 32-bit addresses reach). */
export const SHARED_MAX_PAGES = 65536;
let memory: WebAssembly.Memory | null = null;
let shared = false;
let view: Float32Array | null = null;

/** True when this engine can create a shared memory (SharedArrayBuffer, and isolation on a page). */
function canShare(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

/** The memory, created on first use (one page; shared where the engine allows it). */
export function wasmMemory(): WebAssembly.Memory {
  if (memory === null) {
    if (canShare()) {
      try {
        memory = new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true });
        shared = true;
      } catch {
        memory = null;
      }
    }
    if (memory === null) memory = new WebAssembly.Memory({ initial: 1 });
  }
  return memory;
}

/** True when the memory is a shared one (backed by a SharedArrayBuffer), which threads need. */
export function memoryShared(): boolean {
  wasmMemory();
  return shared;
}

/**
 * Declares the import of the memory on a module under construction (`env.mem`, one page minimum,
 * shared with its maximum when the memory is shared). The one call every kernel module uses in
 * place of `m.importMemory(…)`, so it links against this memory whichever kind it is.
 */
export function importWasmMemory(m: ModuleBuilder): ModuleBuilder {
  return memoryShared() ? m.importMemory('env', 'mem', 1, SHARED_MAX_PAGES, true) : m.importMemory('env', 'mem', 1);
}

/** Makes the memory at least `bytes` long (growing by whole pages; never shrinks). */
export function ensureBytes(bytes: number): void {
  const mem = wasmMemory();
  const have = mem.buffer.byteLength;
  if (bytes > have) {
    mem.grow(Math.ceil((bytes - have) / PAGE));
    view = null;
  }
}

/** A Float32Array over the whole memory, re-taken whenever the memory grew (or was detached). */
export function f32View(): Float32Array {
  const mem = wasmMemory();
  if (view === null || view.buffer !== mem.buffer) view = new Float32Array(mem.buffer);
  return view;
}

/** Current size of the memory in bytes. */
export function memoryBytes(): number {
  return wasmMemory().buffer.byteLength;
}
