/**
 * Worker threads for the wasm backend: a pool of `n − 1` workers (`worker_threads` in Node, Web
 * Workers on a `crossOriginIsolated` page) that instantiate the same kernel modules over the one
 * shared memory (memory.ts) and run chunks of a job beside the calling thread.
 *
 * The one primitive is {@link runChunks}: a parallel for over chunks `0 … nChunks − 1` of a wasm
 * export `f(chunk, a0, …, a11)`. The caller fixes the chunks from the problem's shape only, never
 * from the thread count; each chunk writes its own part of the output with the same instructions
 * whichever thread claims it, so results are bit-identical for every thread count. Threads claim
 * chunks from one atomic counter (the calling thread too), which balances the load when a core is
 * busy with something else; the call returns once every enlisted worker has reported.
 *
 * Protocol (an Int32Array over a SharedArrayBuffer, not the wasm memory, so kernels may use all of
 * theirs): the job's module, export, chunk count and arguments; per worker a `go` word (the job's
 * generation, −1 to exit), `done` (the last generation it finished), `ready` (1 once its modules
 * are instantiated, −1 if that failed) and a chunk count. The calling thread writes the job,
 * stores `go` and notifies; a worker waits on its `go` with `Atomics.wait` (workers may block),
 * claims chunks with `Atomics.add`, then stores `done` and notifies. The Atomics operations order
 * the plain memory writes around them, so the packed operands are visible to the workers and their
 * outputs to the caller. Only workers whose `ready` is set are enlisted: on a page, workers start
 * after the page's task yields, and until then the calling thread runs every chunk itself.
 *
 * Waiting: Node's main thread (and every worker) may block in `Atomics.wait`; a browser's main
 * thread may not, so there the caller spins on `Atomics.load` until the workers report.
 */
import { memoryShared, wasmMemory } from './memory';

/** The most threads {@link setThreadCount} accepts. */
export const MAX_THREADS = 64;
/** Arguments after the chunk index that a chunk function takes. */
const NARGS = 12;

// Control words.
const NEXT = 0, NCHUNKS = 1, MODULE = 2, FUNC = 3, ERROR = 4, ARGS = 8;
const WORKER0 = ARGS + NARGS, STRIDE = 4;
const GO = 0, DONE = 1, READY = 2, COUNT = 3;
const CTL_WORDS = WORKER0 + STRIDE * MAX_THREADS;
/**
 * Polls of its `go` word a worker makes before it sleeps in `Atomics.wait` (about 10 µs): enough
 * for the next job of the same op, short enough not to take CPU from the calling thread.
 */
const SPIN = 4000;
/**
 * Polls after a {@link wakeWorkers} (about 2 ms): the caller is staging a job (copies, a plan), so
 * the worker waits for it awake instead of going back to sleep; a futex wake costs tens to hundreds
 * of µs on a virtual machine, paid between every two kernels of a training step otherwise.
 */
const WARM_SPIN = 800000;

/** A chunk function: chunk index, then up to twelve i32 arguments. */
type ChunkFn = (chunk: number, ...args: number[]) => void;

/** A kernel module the threads can run: its compiled module and the calling thread's instance. */
interface Registered { module: WebAssembly.Module; names: string[]; fns: ChunkFn[] }
const registry: Registered[] = [];

/** A worker as both Node's `Worker` and the browser's `Worker` look from here. */
interface AnyWorker { postMessage(msg: unknown): void; terminate(): unknown; unref?(): void }

interface Pool { ctl: Int32Array; workers: AnyWorker[]; modules: number }
let pool: Pool | null = null;
let threads = 1;
let generation = 0;
let workersOnly = false;
let supportForced: false | null = null;

/**
 * The worker's program, as source (so no file has to ship beside the bundle): Node runs it with
 * `eval: true`, a page from a Blob URL. It receives the control words, the memory and the modules,
 * instantiates them, sets `ready`, and then serves jobs until its `go` word is −1.
 */
const WORKER_SOURCE = `
const node = typeof self === 'undefined';
const port = node ? require('node:worker_threads').parentPort : self;
const NEXT = ${NEXT}, NCHUNKS = ${NCHUNKS}, MODULE = ${MODULE}, FUNC = ${FUNC}, ERROR = ${ERROR}, ARGS = ${ARGS};
function serve(msg) {
  const { ctl: buf, mem, index, modules } = msg;
  const ctl = new Int32Array(buf);
  const base = ${WORKER0} + ${STRIDE} * index;
  let fns;
  try {
    fns = modules.map((m) => {
      const ex = new WebAssembly.Instance(m, { env: { mem } }).exports;
      return WebAssembly.Module.exports(m).map((e) => ex[e.name]);
    });
  } catch (e) {
    Atomics.store(ctl, base + ${READY}, -1);
    Atomics.notify(ctl, base + ${READY});
    return;
  }
  Atomics.store(ctl, base + ${READY}, 1);
  Atomics.notify(ctl, base + ${READY});
  let seen = 0;
  let spins = ${SPIN};
  for (;;) {
    // Spin a little first: the jobs of one op (packing, then the product) come back to back.
    let g = Atomics.load(ctl, base + ${GO});
    for (let spin = 0; g === seen && spin < spins; spin++) g = Atomics.load(ctl, base + ${GO});
    spins = ${SPIN};
    if (g === seen) {
      // Woken without a job (wakeWorkers): one is being staged, so wait for it awake.
      if (Atomics.wait(ctl, base + ${GO}, seen) === 'ok') spins = ${WARM_SPIN};
      continue;
    }
    if (g < 0) break;
    seen = g;
    const n = ctl[NCHUNKS], f = fns[ctl[MODULE]][ctl[FUNC]];
    const args = Array.from(ctl.subarray(ARGS, ARGS + ${NARGS}));
    let count = 0;
    try {
      for (let c = Atomics.add(ctl, NEXT, 1); c < n; c = Atomics.add(ctl, NEXT, 1)) {
        f(c, ...args);
        count++;
      }
    } catch (e) {
      Atomics.store(ctl, ERROR, 1);
      Atomics.store(ctl, NEXT, n);
    }
    Atomics.add(ctl, base + ${COUNT}, count);
    Atomics.store(ctl, base + ${DONE}, g);
    Atomics.notify(ctl, base + ${DONE});
  }
  if (node) port.close(); else self.close();
}
if (node) port.once('message', serve); else self.onmessage = (e) => serve(e.data);
`;

interface NodeWorkerThreads { Worker: new (src: string, opts: { eval: boolean }) => AnyWorker }

/** Node's worker_threads, resolved at run time so no bundle for a page imports it. */
function nodeWorkerThreads(): NodeWorkerThreads | null {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (proc?.versions?.node === undefined || typeof proc.getBuiltinModule !== 'function') return null;
  return (proc.getBuiltinModule('node:worker_threads') as NodeWorkerThreads | undefined) ?? null;
}

/** True in Node (main thread or worker) and in a web worker; false on a page's main thread. */
function canBlock(): boolean {
  const g = globalThis as { process?: { versions?: { node?: string } }; WorkerGlobalScope?: unknown };
  return g.process?.versions?.node !== undefined || typeof g.WorkerGlobalScope !== 'undefined';
}

/**
 * The most threads this engine can run: {@link MAX_THREADS} where workers and a shared memory
 * exist (Node 20.16+ with `process.getBuiltinModule`; a `crossOriginIsolated` page), 1 elsewhere.
 */
export function maxThreads(): number {
  if (supportForced === false) return 1;
  if (typeof Atomics !== 'object' || !memoryShared()) return 1;
  if (nodeWorkerThreads() !== null) return MAX_THREADS;
  const g = globalThis as { Worker?: unknown; Blob?: unknown; URL?: { createObjectURL?: unknown } };
  return typeof g.Worker === 'function' && typeof g.Blob === 'function' && typeof g.URL?.createObjectURL === 'function' ? MAX_THREADS : 1;
}

function spawn(): AnyWorker {
  const wt = nodeWorkerThreads();
  if (wt !== null) {
    const w = new wt.Worker(WORKER_SOURCE, { eval: true });
    // An idle pool must not keep a Node process alive.
    w.unref?.();
    return w;
  }
  const g = globalThis as unknown as { Worker: new (url: string) => AnyWorker; Blob: typeof Blob; URL: typeof URL };
  const url = g.URL.createObjectURL(new g.Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  try {
    return new g.Worker(url);
  } finally {
    g.URL.revokeObjectURL(url);
  }
}

function stopPool(): void {
  if (pool === null) return;
  const { ctl, workers } = pool;
  pool = null;
  for (let w = 0; w < workers.length; w++) {
    Atomics.store(ctl, WORKER0 + STRIDE * w + GO, -1);
    Atomics.notify(ctl, WORKER0 + STRIDE * w + GO);
    void workers[w].terminate();
  }
}

/** Starts `threads − 1` workers over the registered modules; in Node, waits (up to 10 s) until they are ready. */
function startPool(): void {
  const ctl = new Int32Array(new SharedArrayBuffer(CTL_WORDS * 4));
  const mem = wasmMemory();
  const modules = registry.map((r) => r.module);
  const workers: AnyWorker[] = [];
  for (let w = 0; w < threads - 1; w++) {
    const worker = spawn();
    worker.postMessage({ ctl: ctl.buffer, mem, index: w, modules });
    workers.push(worker);
  }
  pool = { ctl, workers, modules: modules.length };
  if (nodeWorkerThreads() === null) return;
  const deadline = performance.now() + 10_000;
  for (let w = 0; w < workers.length; w++) {
    const at = WORKER0 + STRIDE * w + READY;
    while (Atomics.load(ctl, at) === 0) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      Atomics.wait(ctl, at, 0, left);
    }
  }
}

/**
 * Sets the number of threads the wasm kernels split their work over (the calling thread and
 * `n − 1` workers); 1 stops every worker. Internal: the validating public form is `setNumThreads`.
 * The caller has checked 1 ≤ n ≤ {@link maxThreads}.
 */
export function setThreadCount(n: number): void {
  if (n === threads && (n === 1 || pool !== null)) return;
  stopPool();
  threads = n;
  if (n > 1) startPool();
}

/** The number of threads set by {@link setThreadCount} (1 by default). */
export function threadCount(): number {
  return threads;
}

/**
 * Makes a compiled kernel module (instantiated over the memory by the caller, `instance`)
 * runnable by {@link runChunks}; returns its id. A pool that is running is restarted so its
 * workers instantiate the module too (once per module per process, at its first use).
 */
export function registerModule(module: WebAssembly.Module, instance: WebAssembly.Instance): number {
  const names = WebAssembly.Module.exports(module).map((e) => e.name);
  registry.push({ module, names, fns: names.map((n) => instance.exports[n] as ChunkFn) });
  if (pool !== null) {
    stopPool();
    startPool();
  }
  return registry.length - 1;
}

/**
 * Test hook: while on, the calling thread claims no chunk when workers are enlisted, so the
 * workers compute every chunk (tests compare their results with the calling thread's). Internal.
 */
export function forceWorkersOnly(on: boolean): void {
  workersOnly = on;
}

let parallelForced = false;
/**
 * Test hook: while on, {@link runChunks} treats every call as `parallel` (small problems enlist
 * the workers too, so tests reach the threaded path on small shapes). Internal.
 */
export function forceParallel(on: boolean): void {
  parallelForced = on;
}

/** Test hook: `false` makes {@link maxThreads} answer 1, as on a page that is not isolated (null restores it). Internal. */
export function forceThreadSupport(value: false | null): void {
  supportForced = value;
}

/** The running pool's workers (Node `Worker`s or web `Worker`s; empty at one thread). Internal, for tests. */
export function poolWorkers(): readonly unknown[] {
  return pool === null ? [] : pool.workers;
}

/** Chunks each worker has run since its pool started (tests check that the workers took part). */
export function workerChunkCounts(): number[] {
  if (pool === null) return [];
  const { ctl, workers } = pool;
  return workers.map((_, w) => Atomics.load(ctl, WORKER0 + STRIDE * w + COUNT));
}

/**
 * Wakes sleeping workers ahead of a job: a kernel calls it before staging its operands, so that
 * by the time it calls {@link runChunks} the workers are polling (see WARM_SPIN) rather than asleep.
 * Does nothing at one thread; harmless when no job follows (the workers sleep again after about 2 ms).
 */
export function wakeWorkers(): void {
  const p = pool;
  if (p === null) return;
  for (let w = 0; w < p.workers.length; w++) Atomics.notify(p.ctl, WORKER0 + STRIDE * w + GO);
}

/**
 * Runs `f(c, ...args)` for every chunk c in 0 … nChunks − 1, where f is the export `name` of the
 * module `id` (from {@link registerModule}), on the calling thread and every ready worker, and
 * returns when all chunks are done. `args` are at most twelve i32 values. Chunks must write
 * disjoint parts of the memory and not depend on each other's order. Throws if a chunk trapped
 * (after every worker has stopped touching the memory). `parallel` false runs every chunk on the
 * calling thread (for work too small to be worth waking the workers; the result is the same).
 */
export function runChunks(id: number, name: string, nChunks: number, args: readonly number[], parallel = true): void {
  const reg = registry[id];
  const fi = reg.names.indexOf(name);
  const f = reg.fns[fi];
  const p = pool;
  const enlisted: number[] = [];
  if (p !== null && (parallel || parallelForced) && nChunks > 1) {
    for (let w = 0; w < p.workers.length && enlisted.length < nChunks - 1; w++) {
      if (id < p.modules && Atomics.load(p.ctl, WORKER0 + STRIDE * w + READY) === 1) enlisted.push(w);
    }
  }
  if (p === null || enlisted.length === 0) {
    for (let c = 0; c < nChunks; c++) f(c, ...args);
    return;
  }
  const ctl = p.ctl;
  ctl[NCHUNKS] = nChunks;
  ctl[MODULE] = id;
  ctl[FUNC] = fi;
  for (let i = 0; i < NARGS; i++) ctl[ARGS + i] = args[i] ?? 0;
  Atomics.store(ctl, ERROR, 0);
  Atomics.store(ctl, NEXT, 0);
  generation = generation >= 0x7ffffffe ? 1 : generation + 1;
  const gen = generation;
  for (const w of enlisted) {
    Atomics.store(ctl, WORKER0 + STRIDE * w + GO, gen);
    Atomics.notify(ctl, WORKER0 + STRIDE * w + GO);
  }
  let failure: unknown = null;
  try {
    if (!workersOnly) for (let c = Atomics.add(ctl, NEXT, 1); c < nChunks; c = Atomics.add(ctl, NEXT, 1)) f(c, ...args);
  } catch (e) {
    failure = e;
    Atomics.store(ctl, NEXT, nChunks);
  }
  const block = canBlock();
  for (const w of enlisted) {
    const at = WORKER0 + STRIDE * w + DONE;
    for (let spin = 0; ; spin++) {
      const d = Atomics.load(ctl, at);
      if (d === gen) break;
      if (block && spin > 2000) Atomics.wait(ctl, at, d, 50);
    }
  }
  if (failure !== null) throw failure;
  if (Atomics.load(ctl, ERROR) !== 0) throw new Error(`runChunks: a worker trapped in '${name}'`);
}
