/**
 * The wasm backend's ReLU forward and backward (the activations between convolutions), the
 * contracts of the JS `reluForward` and `reluBackward` (unary.ts), with the same results bit for
 * bit (NaN stays NaN, −∞ gives 0, −0 gives +0; the backward's masked lanes give g·0 for a finite
 * g and +0 otherwise, as the JS kernel). The operands are copied into the wasm memory in one piece
 * each (a memcpy), four lanes are done per instruction, and the result is copied out; the last
 * N mod 4 elements and arrays below {@link WASM_RELU_MIN} elements take the JS kernel.
 */
import { reluBackward as jsReluBackward, reluForward as jsReluForward } from '../unary';
import { I32, ModuleBuilder, V128, type Code, type ValType } from './encoder';
import { ensureBytes, f32View, importWasmMemory, wasmMemory } from './memory';
import { registerModule, runChunks } from './threads';

/** Below this many elements the copies cost more than the lanes save. */
export const WASM_RELU_MIN = 4096;

// SIMD opcodes the encoder has no method for (sub-opcodes from the SIMD spec).
const F32X4_EQ = 0x41, F32X4_LE = 0x45, V128_NOT = 0x4d;

/** The module: `fwd(x, n4)` in place, `bwd(dx, dy, x, n4)` into dx; pointers in bytes, n4 groups of four. */
export function buildReluModule(): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  importWasmMemory(m);
  const fwd = m.func('fwd', [I32, I32], [], [], (f: Code) => {
    const [p, n] = [0, 1];
    f.loop();
    f.localGet(p).localGet(p).v128Load(0).v128ConstF32(0).f32x4Max().v128Store(0);
    f.localGet(p).i32Const(16).i32Add().localSet(p);
    f.localGet(n).i32Const(1).i32Sub().localTee(n).brIf(0);
    f.end();
  });
  const locals: ValType[] = [V128, V128, V128];
  const bwd = m.func('bwd', [I32, I32, I32, I32], [], locals, (f: Code) => {
    const [pdx, pdy, px, n, g, z, mask] = [0, 1, 2, 3, 4, 5, 6];
    f.loop();
    f.localGet(pdy).v128Load(0).localSet(g);
    // z = g·0 where that is ±0 (finite g), else +0.
    f.localGet(g).v128ConstF32(0).f32x4Mul().localSet(z);
    f.localGet(z).localGet(z).localGet(z).simd(F32X4_EQ).v128And().localSet(z);
    // mask = !(x ≤ 0): x > 0 or NaN passes g.
    f.localGet(px).v128Load(0).v128ConstF32(0).simd(F32X4_LE).simd(V128_NOT).localSet(mask);
    f.localGet(pdx).localGet(pdx).v128Load(0).localGet(g).localGet(z).localGet(mask).v128Bitselect().f32x4Add().v128Store(0);
    f.localGet(pdx).i32Const(16).i32Add().localSet(pdx);
    f.localGet(pdy).i32Const(16).i32Add().localSet(pdy);
    f.localGet(px).i32Const(16).i32Add().localSet(px);
    f.localGet(n).i32Const(1).i32Sub().localTee(n).brIf(0);
    f.end();
  });
  // fwdChunk(c, x, n4, per) and bwdChunk(c, dx, dy, x, n4, per): the groups of four
  // [c·per, min(n4, (c + 1)·per)) of fwd and bwd (the chunk functions of runChunks).
  m.func('fwdChunk', [I32, I32, I32, I32], [], [I32, I32], (f: Code) => {
    const [c, x, n4, per, s, n] = [0, 1, 2, 3, 4, 5];
    f.localGet(c).localGet(per).i32Mul().localTee(s).localGet(per).i32Add().localGet(n4).i32GtS().if();
    f.localGet(n4).localGet(s).i32Sub().localSet(n);
    f.else();
    f.localGet(per).localSet(n);
    f.end();
    f.localGet(x).localGet(s).i32Const(4).i32Shl().i32Add().localGet(n).call(fwd);
  });
  m.func('bwdChunk', [I32, I32, I32, I32, I32, I32], [], [I32, I32, I32], (f: Code) => {
    const [c, dx, dy, x, n4, per, s, n, o] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    f.localGet(c).localGet(per).i32Mul().localTee(s).localGet(per).i32Add().localGet(n4).i32GtS().if();
    f.localGet(n4).localGet(s).i32Sub().localSet(n);
    f.else();
    f.localGet(per).localSet(n);
    f.end();
    f.localGet(s).i32Const(4).i32Shl().localSet(o);
    f.localGet(dx).localGet(o).i32Add().localGet(dy).localGet(o).i32Add().localGet(x).localGet(o).i32Add().localGet(n).call(bwd);
  });
  return m.build();
}

let moduleId = -1;

/** Compiles the module on first use and makes it known to the threads; returns its id. */
function getModule(): number {
  if (moduleId < 0) {
    const module = new WebAssembly.Module(buildReluModule());
    moduleId = registerModule(module, new WebAssembly.Instance(module, { env: { mem: wasmMemory() } }));
  }
  return moduleId;
}

/**
 * Groups of four per chunk (32 Ki floats, 128 KiB): chunks are fixed by N alone, so the result
 * is the same for every thread count (it is anyway: each element is computed on its own).
 */
const RELU_CHUNK = 8192;
/** From this many elements the workers are woken. */
const RELU_PARALLEL_MIN = 1 << 16;

/** max(x, 0) on the wasm backend: the contract and results of the JS `reluForward`. */
export function wasmReluForward(out: Float32Array, x: Float32Array, N: number): void {
  if (N < WASM_RELU_MIN) {
    jsReluForward(out, x, N);
    return;
  }
  ensureBytes(N * 4);
  f32View().set(x.subarray(0, N), 0);
  wasmReluInMemory(0, N);
  out.set(f32View().subarray(0, N), 0);
}

/**
 * max(v, 0) in place over `n` floats of the wasm memory from float offset `at` (a multiple of 4),
 * as {@link wasmReluForward} computes it: the fused ReLU of a kernel whose output is still staged
 * there (the convolution's), which saves the copies out, in and out again of a separate ReLU.
 */
export function wasmReluInMemory(at: number, n: number): void {
  const n4 = n >> 2, M = n4 << 2;
  if (n4 > 0) runChunks(getModule(), 'fwdChunk', Math.ceil(n4 / RELU_CHUNK), [at * 4, n4, RELU_CHUNK], n >= RELU_PARALLEL_MIN);
  if (M < n) {
    const tail = f32View().subarray(at + M, at + n);
    jsReluForward(tail, tail, n - M);
  }
}

/** dx += dy where x > 0 (or NaN), on the wasm backend: the contract and results of the JS `reluBackward`. */
export function wasmReluBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, N: number): void {
  if (N < WASM_RELU_MIN) {
    jsReluBackward(dx, dy, x, N);
    return;
  }
  const n4 = N >> 2, M = n4 << 2;
  ensureBytes(3 * M * 4);
  const mem = f32View();
  mem.set(dx.subarray(0, M), 0);
  mem.set(dy.subarray(0, M), M);
  mem.set(x.subarray(0, M), 2 * M);
  runChunks(getModule(), 'bwdChunk', Math.ceil(n4 / RELU_CHUNK), [0, 4 * M, 8 * M, n4, RELU_CHUNK], N >= RELU_PARALLEL_MIN);
  dx.set(mem.subarray(0, M), 0);
  if (M < N) jsReluBackward(dx.subarray(M), dy.subarray(M), x.subarray(M), N - M);
}
