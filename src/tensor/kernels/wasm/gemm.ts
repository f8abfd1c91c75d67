/**
 * The wasm backend's GEMM: f32x4 SIMD over packed panels, the same contract as the JS `gemm`
 * (matmul.ts). Layout (GotoBLAS / XNNPACK style):
 *
 * - op(a) is packed into 4-row panels, op(b) into 8-column panels, k-major (panel p holds, for each
 *   k, its 4 or 8 values contiguously), zero-padded past the edges, one K block (KC deep) at a time.
 *   Packing is done in JS straight into the wasm memory: it is O(MK + KN) against O(MNK) work, and
 *   it is where the transpositions are absorbed, so the wasm kernel has one case.
 * - The wasm micro-kernel computes a 4×8 tile in eight f32x4 accumulators: per k, two vector loads
 *   of the B row and, for each of the four rows, one `v128.load32_splat` of the A value, an
 *   `f32x4.mul` and an `f32x4.add` per vector (no relaxed FMA in Node 20). It sweeps the 8-column
 *   panels (outer) and, for each, an MC-row chunk of A panels (inner), so the B panel stays in L1
 *   and the A chunk in L2.
 * - Results accumulate in float32 into a staged (M padded to 4) × (N padded to 8) C, one K block
 *   after another, then are copied (or added) into `out`.
 * - Threads (threads.ts): all of op(a) and op(b) are packed first, then C is cut into fixed
 *   chunks of MC rows × NC columns (a function of M and N only) that `gemmChunk` computes, each
 *   through every K block in order; whichever thread runs a chunk, each element of C gets the same
 *   instructions in the same order, so results are bit-identical for every thread count (and to
 *   one thread).
 *
 * Small products, where staging costs more than SIMD saves, and matrix-vector shapes go to the JS
 * gemm (thresholds measured with bench/gemm.ts, see docs/backends.md).
 */
import { balancedBlock, gemm as jsGemm } from '../matmul';
import { ensureBytes, f32View, importWasmMemory, wasmMemory } from './memory';
import { Code, I32, ModuleBuilder, V128, type ValType } from './encoder';
import { registerModule, runChunks } from './threads';

/** Depth of a packed K block. */
const KC = 256;
/** Rows of op(a) per kernel call (a multiple of 4): MC×KC floats stay in L2. */
const MC = 64;
/** Columns of op(b) per thread chunk (a multiple of 8). */
const NC = 128;
/** Below this many multiply-adds (M·K·N) the JS gemm is faster than staging. */
export const WASM_GEMM_MIN_WORK = 16 * 16 * 16;
/** Below this many multiply-adds one thread computes every chunk: waking workers costs more. */
export const WASM_GEMM_PARALLEL_MIN_WORK = 64 * 64 * 128;
let parallelMinWork = WASM_GEMM_PARALLEL_MIN_WORK;

/** Test hook: the multiply-adds from which a product enlists the workers (null restores the default). Internal. */
export function forceGemmParallelMinWork(work: number | null): void {
  parallelMinWork = work ?? WASM_GEMM_PARALLEL_MIN_WORK;
}

/**
 * The GEMM module: the micro-kernel `gemm4x8(ap, bp, c, mPanels, nPanels, kc, ldcBytes, add)` and
 * the thread chunk `gemmChunk(chunk, ap, bp, c, Mp, Np, K, kcB, colChunks)` (pointers in bytes).
 */
export function buildGemmModule(): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  importWasmMemory(m);
  // params 0..7, then i32 locals 8..14, then v128 locals 15..25.
  const [ap, bp, c, mp, np, kc, ldc, add] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [j, i, pa, pb, k, rp, bpj] = [8, 9, 10, 11, 12, 13, 14];
  const acc = [15, 16, 17, 18, 19, 20, 21, 22];
  const va = 23, b0 = 24, b1 = 25;
  const locals: ValType[] = [...Array<ValType>(7).fill(I32), ...Array<ValType>(11).fill(V128)];
  m.func('gemm4x8', [I32, I32, I32, I32, I32, I32, I32, I32], [], locals, (f: Code) => {
    f.i32Const(0).localSet(j);
    f.loop(); // over 8-column panels
    f.localGet(bp).localGet(j).localGet(kc).i32Mul().i32Const(5).i32Shl().i32Add().localSet(bpj);
    f.i32Const(0).localSet(i);
    f.loop(); // over 4-row panels
    f.localGet(ap).localGet(i).localGet(kc).i32Mul().i32Const(4).i32Shl().i32Add().localSet(pa);
    f.localGet(bpj).localSet(pb);
    f.localGet(kc).localSet(k);
    for (const r of acc) f.v128ConstF32(0).localSet(r);
    f.loop(); // over k
    f.localGet(pb).v128Load(0).localSet(b0);
    f.localGet(pb).v128Load(16).localSet(b1);
    for (let r = 0; r < 4; r++) {
      f.localGet(pa).v128Load32Splat(4 * r).localSet(va);
      f.localGet(acc[2 * r]).localGet(va).localGet(b0).f32x4Mul().f32x4Add().localSet(acc[2 * r]);
      f.localGet(acc[2 * r + 1]).localGet(va).localGet(b1).f32x4Mul().f32x4Add().localSet(acc[2 * r + 1]);
    }
    f.localGet(pa).i32Const(16).i32Add().localSet(pa);
    f.localGet(pb).i32Const(32).i32Add().localSet(pb);
    f.localGet(k).i32Const(1).i32Sub().localTee(k).brIf(0);
    f.end();
    // Tile address: c + 4i rows of ldc bytes + 8j columns of 4 bytes.
    f.localGet(c).localGet(i).i32Const(2).i32Shl().localGet(ldc).i32Mul().i32Add()
      .localGet(j).i32Const(5).i32Shl().i32Add().localSet(rp);
    for (let r = 0; r < 4; r++) {
      f.localGet(add).if();
      f.localGet(acc[2 * r]).localGet(rp).v128Load(0).f32x4Add().localSet(acc[2 * r]);
      f.localGet(acc[2 * r + 1]).localGet(rp).v128Load(16).f32x4Add().localSet(acc[2 * r + 1]);
      f.end();
      f.localGet(rp).localGet(acc[2 * r]).v128Store(0);
      f.localGet(rp).localGet(acc[2 * r + 1]).v128Store(16);
      if (r < 3) f.localGet(rp).localGet(ldc).i32Add().localSet(rp);
    }
    f.localGet(i).i32Const(1).i32Add().localTee(i).localGet(mp).i32LtS().brIf(0);
    f.end();
    f.localGet(j).i32Const(1).i32Add().localTee(j).localGet(np).i32LtS().brIf(0);
    f.end();
  });
  addChunk(m, 0);
  return m.build();
}

/**
 * Appends `gemmChunk(chunk, ap, bp, c, Mp, Np, K, kcB, colChunks)`: the C block of rows
 * i0 = MC·⌊chunk / colChunks⌋ (MC of them, fewer at the edge) and columns j0 = NC·(chunk mod
 * colChunks), through every K block k0 = 0, kcB, 2·kcB, … in order, by calls of the micro-kernel
 * (function `kernel`). Packed layout: the A block of k0 at ap + 4·Mp·k0 bytes, the B block at
 * bp + 4·Np·k0, each laid out as packA/packB write it for a block of depth kc = min(kcB, K − k0).
 */
function addChunk(m: ModuleBuilder, kernel: number): void {
  const [chunk, ap, bp, c, Mp, Np, K, kcB, cols] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [i0, j0, mp, np, k0, kc, cp] = [9, 10, 11, 12, 13, 14, 15];
  const min = (f: Code, x: () => void, y: () => void): Code => {
    x(); y(); x(); y();
    return f.i32LtS().select();
  };
  m.func('gemmChunk', Array<ValType>(9).fill(I32), [], Array<ValType>(7).fill(I32), (f: Code) => {
    f.localGet(chunk).localGet(cols).i32DivU().i32Const(MC).i32Mul().localSet(i0);
    f.localGet(chunk).localGet(cols).i32RemU().i32Const(NC).i32Mul().localSet(j0);
    min(f, () => f.i32Const(MC), () => f.localGet(Mp).localGet(i0).i32Sub()).i32Const(2).i32ShrU().localSet(mp);
    min(f, () => f.i32Const(NC), () => f.localGet(Np).localGet(j0).i32Sub()).i32Const(3).i32ShrU().localSet(np);
    f.localGet(c).localGet(i0).localGet(Np).i32Mul().localGet(j0).i32Add().i32Const(2).i32Shl().i32Add().localSet(cp);
    f.i32Const(0).localSet(k0);
    f.loop();
    min(f, () => f.localGet(kcB), () => f.localGet(K).localGet(k0).i32Sub()).localSet(kc);
    f.localGet(ap).localGet(Mp).localGet(k0).i32Mul().localGet(i0).localGet(kc).i32Mul().i32Add().i32Const(2).i32Shl().i32Add();
    f.localGet(bp).localGet(Np).localGet(k0).i32Mul().localGet(j0).localGet(kc).i32Mul().i32Add().i32Const(2).i32Shl().i32Add();
    f.localGet(cp).localGet(mp).localGet(np).localGet(kc).localGet(Np).i32Const(2).i32Shl();
    f.localGet(k0).i32Const(0).i32GtS();
    f.call(kernel);
    f.localGet(k0).localGet(kc).i32Add().localTee(k0).localGet(K).i32LtS().brIf(0);
    f.end();
  });
}

type GemmKernel = (ap: number, bp: number, c: number, mp: number, np: number, kc: number, ldc: number, add: number) => void;
let kernel: GemmKernel | null = null;
let moduleId = -1;
/** Milliseconds the first call spent building and compiling the module (for the startup figure). */
export let gemmCompileMs = 0;

function getKernel(): GemmKernel {
  if (kernel === null) {
    const t0 = performance.now();
    const mod = new WebAssembly.Module(buildGemmModule());
    const inst = new WebAssembly.Instance(mod, { env: { mem: wasmMemory() } });
    kernel = inst.exports.gemm4x8 as GemmKernel;
    moduleId = registerModule(mod, inst);
    gemmCompileMs = performance.now() - t0;
  }
  return kernel;
}

/** Compiles the GEMM module now (and makes it known to the threads), rather than at the first product. */
export function prepareGemm(): void {
  getKernel();
}

/**
 * General matrix product on the wasm backend: out = op(a)·op(b), or out += op(a)·op(b) when
 * `accumulate`; the contract of the JS {@link jsGemm | gemm} (shapes, offsets, overwrite or
 * accumulate, K = 0 zero-fills, M = 0 or N = 0 is a no-op). Sums are accumulated in float32
 * lanes in a different order than the JS kernel's float64 ones: results agree within float32
 * rounding of a K-term sum (about 1e-6·Σ|a||b| per element).
 */
export function wasmGemm(
  out: Float32Array, outOff: number, a: Float32Array, aOff: number, b: Float32Array, bOff: number,
  M: number, K: number, N: number, transA: boolean, transB: boolean, accumulate: boolean,
): void {
  if (M < 4 || N < 4 || K === 0 || M * K * N < WASM_GEMM_MIN_WORK) {
    jsGemm(out, outOff, a, aOff, b, bOff, M, K, N, transA, transB, accumulate);
    return;
  }
  getKernel();
  const Mp = (M + 3) & ~3, Np = (N + 7) & ~7;
  const kcB = balancedBlock(K, KC, 1);
  const bBase = Mp * K, cBase = bBase + K * Np;
  ensureBytes((cBase + Mp * Np) * 4);
  const mem = f32View();
  for (let k0 = 0; k0 < K; k0 += kcB) {
    const kc = Math.min(kcB, K - k0);
    if (transA) packAT(mem, Mp * k0, a, aOff, M, k0, kc);
    else packAN(mem, Mp * k0, a, aOff, K, M, k0, kc);
    if (transB) packBT(mem, bBase + Np * k0, b, bOff, K, N, k0, kc);
    else packBN(mem, bBase + Np * k0, b, bOff, N, k0, kc);
  }
  const cols = Math.ceil(Np / NC), chunks = Math.ceil(Mp / MC) * cols;
  runChunks(moduleId, 'gemmChunk', chunks, [0, bBase << 2, cBase << 2, Mp, Np, K, kcB, cols], M * K * N >= parallelMinWork);
  for (let i = 0; i < M; i++) {
    const o = outOff + i * N, s = cBase + i * Np;
    if (accumulate) for (let j = 0; j < N; j++) out[o + j] += mem[s + j];
    else out.set(mem.subarray(s, s + N), o);
  }
}

// Packing, one K block of depth kc at a time. A panels: panel p (rows 4p..4p+3) at base + p·4·kc,
// value (k, r) at +4k + r. B panels: panel q (columns 8q..8q+7) at base + q·8·kc, value (k, c) at +8k + c. Lanes past the edge are zero.

/** op(a) = a, stored (M, K). */
function packAN(m: Float32Array, base: number, a: Float32Array, aOff: number, K: number, M: number, k0: number, kc: number): void {
  for (let i = 0; i < M; i += 4) {
    const mr = Math.min(4, M - i);
    let p = base + i * kc;
    const r0 = aOff + i * K + k0;
    if (mr === 4) {
      const r1 = r0 + K, r2 = r1 + K, r3 = r2 + K;
      for (let k = 0; k < kc; k++, p += 4) {
        m[p] = a[r0 + k]; m[p + 1] = a[r1 + k]; m[p + 2] = a[r2 + k]; m[p + 3] = a[r3 + k];
      }
    } else {
      for (let k = 0; k < kc; k++, p += 4) {
        for (let r = 0; r < 4; r++) m[p + r] = r < mr ? a[r0 + r * K + k] : 0;
      }
    }
  }
}

/** op(a) = aᵀ, a stored (K, M). */
function packAT(m: Float32Array, base: number, a: Float32Array, aOff: number, M: number, k0: number, kc: number): void {
  for (let i = 0; i < M; i += 4) {
    const mr = Math.min(4, M - i);
    let p = base + i * kc;
    let s = aOff + k0 * M + i;
    if (mr === 4) {
      for (let k = 0; k < kc; k++, p += 4, s += M) {
        m[p] = a[s]; m[p + 1] = a[s + 1]; m[p + 2] = a[s + 2]; m[p + 3] = a[s + 3];
      }
    } else {
      for (let k = 0; k < kc; k++, p += 4, s += M) {
        for (let r = 0; r < 4; r++) m[p + r] = r < mr ? a[s + r] : 0;
      }
    }
  }
}

/** op(b) = b, stored (K, N): each k contributes eight contiguous values. */
function packBN(m: Float32Array, base: number, b: Float32Array, bOff: number, N: number, k0: number, kc: number): void {
  for (let j = 0; j < N; j += 8) {
    const nr = Math.min(8, N - j);
    let p = base + j * kc;
    let s = bOff + k0 * N + j;
    if (nr === 8) {
      for (let k = 0; k < kc; k++, p += 8, s += N) {
        m[p] = b[s]; m[p + 1] = b[s + 1]; m[p + 2] = b[s + 2]; m[p + 3] = b[s + 3];
        m[p + 4] = b[s + 4]; m[p + 5] = b[s + 5]; m[p + 6] = b[s + 6]; m[p + 7] = b[s + 7];
      }
    } else {
      for (let k = 0; k < kc; k++, p += 8, s += N) {
        for (let c = 0; c < 8; c++) m[p + c] = c < nr ? b[s + c] : 0;
      }
    }
  }
}

/** op(b) = bᵀ, b stored (N, K): eight rows of b, each contiguous in k. */
function packBT(m: Float32Array, base: number, b: Float32Array, bOff: number, K: number, N: number, k0: number, kc: number): void {
  for (let j = 0; j < N; j += 8) {
    const nr = Math.min(8, N - j);
    let p = base + j * kc;
    const r0 = bOff + j * K + k0;
    if (nr === 8) {
      for (let k = 0; k < kc; k++, p += 8) {
        const s = r0 + k;
        m[p] = b[s]; m[p + 1] = b[s + K]; m[p + 2] = b[s + 2 * K]; m[p + 3] = b[s + 3 * K];
        m[p + 4] = b[s + 4 * K]; m[p + 5] = b[s + 5 * K]; m[p + 6] = b[s + 6 * K]; m[p + 7] = b[s + 7 * K];
      }
    } else {
      for (let k = 0; k < kc; k++, p += 8) {
        for (let c = 0; c < 8; c++) m[p + c] = c < nr ? b[r0 + c * K + k] : 0;
      }
    }
  }
}
