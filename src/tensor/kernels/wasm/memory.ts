/**
 * The wasm backend's one memory: a growable `WebAssembly.Memory` that every kernel module imports
 * as `env.mem`. Operands are staged in (packed) and results staged out on each call; tensors do
 * not live in it, so the no-`dispose()` contract of the JS backend holds unchanged.
 *
 * It grows in 64 KiB pages and never shrinks. Growing detaches every view on the old buffer, so
 * callers take views with {@link f32View} after their last {@link ensureBytes} of a call, never
 * across one.
 */

const PAGE = 65536;
let memory: WebAssembly.Memory | null = null;
let view: Float32Array | null = null;

/** The shared memory, created on first use (one page). */
export function wasmMemory(): WebAssembly.Memory {
  if (memory === null) memory = new WebAssembly.Memory({ initial: 1 });
  return memory;
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
