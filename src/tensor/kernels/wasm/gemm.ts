/**
 * The wasm backend's GEMM: f32x4 SIMD over packed panels, the same contract as the JS `gemm`
 * (matmul.ts). Layout (GotoBLAS / XNNPACK style):
 *
 * - op(a) is packed into 4-row panels, op(b) into 8-column panels, k-major (panel p holds, for each
 *   k, its 4 or 8 values contiguously), zero-padded past the edges, in K blocks (KC deep). a and b
 *   are first copied (`set`, a memcpy) into the wasm memory as row-major copies padded with zeros
 *   to Mp rows or Np columns; the wasm `packChunk` then writes the panels (f32x4 copies where a
 *   panel's values are adjacent, gathers where they are a row apart). That is where the
 *   transpositions are absorbed, so the micro-kernel has one case, and it is O(MK + KN) work that
 *   the threads share.
 * - The wasm micro-kernel computes a 4×8 tile in eight f32x4 accumulators: per k, two vector loads
 *   of the B row and, for each of the four rows, one `v128.load32_splat` of the A value, an
 *   `f32x4.mul` and an `f32x4.add` per vector (no relaxed FMA in Node 20). It sweeps the 8-column
 *   panels (outer) and, for each, an MC-row chunk of A panels (inner), so the B panel stays in L1
 *   and the A chunk in L2.
 * - Results accumulate in float32 into a staged (M padded to 4) × (N padded to 8) C, one K block
 *   after another, then are copied (or added) into `out`.
 * - Threads (threads.ts): C is cut into fixed chunks of MC rows × NC columns (a function of M and N
 *   only) that `gemmChunk` computes, each through every K block in order; whichever thread runs a
 *   chunk, each element of C gets the same instructions in the same order, so results are
 *   bit-identical for every thread count. The packing job is cut into fixed groups of panels the
 *   same way (it only moves values).
 *
 * Small products, where staging costs more than SIMD saves, and matrix-vector shapes go to the JS
 * gemm (thresholds measured with bench/gemm.ts, see docs/backends.md).
 */
import { balancedBlock, gemm as jsGemm } from '../matmul';
import { SHARED_MAX_PAGES, ensureBytes, f32View, importWasmMemory, wasmMemory } from './memory';
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
/** The most bytes a product stages: the memory's 4 GiB less a page. */
const MAX_STAGED_BYTES = (SHARED_MAX_PAGES - 1) * 65536;

/** Test hook: the multiply-adds from which a product enlists the workers (null restores the default). Internal. */
export function forceGemmParallelMinWork(work: number | null): void {
  parallelMinWork = work ?? WASM_GEMM_PARALLEL_MIN_WORK;
}

/**
 * Emits one k step of the 4×8 micro-kernel tile: acc[2r + h] += splat(A[pa + 4r]) · b_h for r < 4
 * and h < 2 (A's four floats from local `pa`, B's eight in locals b0 and b1; `va` is scratch).
 * Shared by the GEMM and the convolution forward (conv-module.ts).
 */
export function emitTileStep(f: Code, pa: number, va: number, b0: number, b1: number, acc: readonly number[]): void {
  for (let r = 0; r < 4; r++) {
    f.localGet(pa).v128Load32Splat(4 * r).localSet(va);
    f.localGet(acc[2 * r]).localGet(va).localGet(b0).f32x4Mul().f32x4Add().localSet(acc[2 * r]);
    f.localGet(acc[2 * r + 1]).localGet(va).localGet(b1).f32x4Mul().f32x4Add().localSet(acc[2 * r + 1]);
  }
}

/**
 * The GEMM module: the micro-kernel `gemm4x8(ap, bp, c, mPanels, nPanels, kc, ldcBytes, add)`, the
 * thread chunk of the product `gemmChunk(chunk, ap, bp, c, Mp, Np, K, kcB, colChunks)` and of the
 * packing `packChunk(…)` (pointers in bytes).
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
    emitTileStep(f, pa, va, b0, b1, acc);
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
  const packs = [addPack(m, 4, false), addPack(m, 4, true), addPack(m, 8, true), addPack(m, 8, false)];
  addPackChunk(m, packs);
  return m.build();
}

/** Panels of op(a) (4 rows) or op(b) (8 columns) packed per chunk of the packing job. */
const PANELS_PER_CHUNK = 8;

/**
 * Appends `pack{W}{c|s}(raw, out, P, K, kcB, ld, p0, p1)` (internal): panels p0 … p1 − 1 of width
 * W from a zero-padded row-major copy `raw` (row length `ld` floats) into the packed layout at
 * `out`, every K block k0 of depth kc = min(kcB, K − k0): value (k, r) of panel p at
 * out + P·k0 + p·W·kc + W·(k − k0) + r (floats). Contiguous (`c`): the panel's W values of one k
 * are adjacent in raw (raw is K × P: op(a) = aᵀ, op(b) = b), copied as f32x4 vectors. Strided
 * (`s`): they are W rows apart (raw is P × K: op(a) = a, op(b) = bᵀ), gathered one by one.
 */
function addPack(m: ModuleBuilder, W: 4 | 8, contiguous: boolean): number {
  const [raw, out, P, K, kcB, ld, p0, p1] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [p, k0, kc, src, dst, sp, k, t, ldb] = [8, 9, 10, 11, 12, 13, 14, 15, 16];
  return m.func(null, Array<ValType>(8).fill(I32), [], Array<ValType>(9).fill(I32), (f: Code) => {
    f.localGet(ld).i32Const(2).i32Shl().localSet(ldb);
    f.localGet(p0).localSet(p);
    f.block();
    f.localGet(p).localGet(p1).i32GeS().brIf(0);
    f.loop(); // panels
    f.localGet(raw).localGet(p).i32Const(W * 4).i32Mul();
    if (!contiguous) f.localGet(ld).i32Mul();
    f.i32Add().localSet(src);
    f.i32Const(0).localSet(k0);
    f.loop(); // K blocks
    f.localGet(kcB).localGet(K).localGet(k0).i32Sub().localGet(kcB).localGet(K).localGet(k0).i32Sub().i32LtS().select().localSet(kc);
    f.localGet(out).localGet(P).localGet(k0).i32Mul().localGet(p).i32Const(W).i32Mul().localGet(kc).i32Mul().i32Add()
      .i32Const(2).i32Shl().i32Add().localSet(dst);
    f.localGet(src).localGet(k0);
    if (contiguous) f.localGet(ldb).i32Mul();
    else f.i32Const(2).i32Shl();
    f.i32Add().localSet(sp);
    f.localGet(kc).localSet(k);
    f.loop(); // k
    if (contiguous) {
      for (let h = 0; h < W / 4; h++) f.localGet(dst).localGet(sp).v128Load(16 * h, 0).v128Store(16 * h, 0);
      f.localGet(sp).localGet(ldb).i32Add().localSet(sp);
    } else {
      f.localGet(sp).localSet(t);
      for (let r = 0; r < W; r++) {
        f.localGet(dst).localGet(t).f32Load(0).f32Store(4 * r);
        if (r < W - 1) f.localGet(t).localGet(ldb).i32Add().localSet(t);
      }
      f.localGet(sp).i32Const(4).i32Add().localSet(sp);
    }
    f.localGet(dst).i32Const(W * 4).i32Add().localSet(dst);
    f.localGet(k).i32Const(1).i32Sub().localTee(k).brIf(0);
    f.end();
    f.localGet(k0).localGet(kc).i32Add().localTee(k0).localGet(K).i32LtS().brIf(0);
    f.end();
    f.localGet(p).i32Const(1).i32Add().localTee(p).localGet(p1).i32LtS().brIf(0);
    f.end();
    f.end();
  });
}

/**
 * Appends `packChunk(chunk, rawA, rawB, packA, Mp, Np, K, kcB, transA, transB, aChunks)`: chunks
 * below aChunks pack PANELS_PER_CHUNK panels of op(a), the rest as many of op(b), into packA
 * (Mp·K floats) and the B panels right after it. `packs` are the indices of pack4s, pack4c,
 * pack8c, pack8s.
 */
function addPackChunk(m: ModuleBuilder, packs: number[]): void {
  const [chunk, rawA, rawB, packA, Mp, Np, K, kcB, transA, transB, aChunks] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [q0, q1, n] = [11, 12, 13];
  // q0 = PPC·c, q1 = min(q0 + PPC, n) for panel count n.
  const range = (f: Code, c: () => void, panels: () => void): void => {
    c();
    f.i32Const(PANELS_PER_CHUNK).i32Mul().localSet(q0);
    panels();
    f.localSet(n);
    f.localGet(q0).i32Const(PANELS_PER_CHUNK).i32Add().localGet(n).localGet(q0).i32Const(PANELS_PER_CHUNK).i32Add().localGet(n).i32LtS()
      .select().localSet(q1);
  };
  m.func('packChunk', Array<ValType>(11).fill(I32), [], Array<ValType>(3).fill(I32), (f: Code) => {
    f.localGet(chunk).localGet(aChunks).i32LtS().if();
    range(f, () => f.localGet(chunk), () => f.localGet(Mp).i32Const(2).i32ShrU());
    // op(a) = aᵀ: raw is K × Mp (contiguous); op(a) = a: raw is Mp × K (strided).
    f.localGet(transA).if();
    f.localGet(rawA).localGet(packA).localGet(Mp).localGet(K).localGet(kcB).localGet(Mp).localGet(q0).localGet(q1).call(packs[1]);
    f.else();
    f.localGet(rawA).localGet(packA).localGet(Mp).localGet(K).localGet(kcB).localGet(K).localGet(q0).localGet(q1).call(packs[0]);
    f.end();
    f.else();
    range(f, () => f.localGet(chunk).localGet(aChunks).i32Sub(), () => f.localGet(Np).i32Const(3).i32ShrU());
    // The B panels follow the Mp·K floats of the A panels. op(b) = b: raw is K × Np (contiguous).
    f.localGet(transB).if();
    f.localGet(rawB).localGet(packA).localGet(Mp).localGet(K).i32Mul().i32Const(2).i32Shl().i32Add()
      .localGet(Np).localGet(K).localGet(kcB).localGet(K).localGet(q0).localGet(q1).call(packs[3]);
    f.else();
    f.localGet(rawB).localGet(packA).localGet(Mp).localGet(K).i32Mul().i32Const(2).i32Shl().i32Add()
      .localGet(Np).localGet(K).localGet(kcB).localGet(Np).localGet(q0).localGet(q1).call(packs[2]);
    f.end();
    f.end();
  });
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
  const Mp = (M + 3) & ~3, Np = (N + 7) & ~7;
  const kcB = balancedBlock(K, KC, 1);
  // Floats: zero-padded copies of a and b, their packed panels, then C.
  const rawB = Mp * K, packA = rawB + Np * K, packB = packA + Mp * K, cBase = packB + K * Np;
  // Past what 32-bit addresses reach (operands of about 16384² and up), the JS kernel runs.
  if ((cBase + Mp * Np) * 4 > MAX_STAGED_BYTES) {
    jsGemm(out, outOff, a, aOff, b, bOff, M, K, N, transA, transB, accumulate);
    return;
  }
  getKernel();
  ensureBytes((cBase + Mp * Np) * 4);
  const mem = f32View();
  if (transA) copyPadded(mem, 0, a, aOff, K, M, Mp);
  else copyRows(mem, 0, a, aOff, M, K, Mp);
  if (transB) copyRows(mem, rawB, b, bOff, N, K, Np);
  else copyPadded(mem, rawB, b, bOff, K, N, Np);
  const parallel = M * K * N >= parallelMinWork;
  const aChunks = Math.ceil(Mp / 4 / PANELS_PER_CHUNK), bChunks = Math.ceil(Np / 8 / PANELS_PER_CHUNK);
  runChunks(moduleId, 'packChunk', aChunks + bChunks,
    [0, rawB << 2, packA << 2, Mp, Np, K, kcB, transA ? 1 : 0, transB ? 1 : 0, aChunks], parallel);
  const cols = Math.ceil(Np / NC), chunks = Math.ceil(Mp / MC) * cols;
  runChunks(moduleId, 'gemmChunk', chunks, [packA << 2, packB << 2, cBase << 2, Mp, Np, K, kcB, cols], parallel);
  for (let i = 0; i < M; i++) {
    const o = outOff + i * N, s = cBase + i * Np;
    if (accumulate) for (let j = 0; j < N; j++) out[o + j] += mem[s + j];
    else out.set(mem.subarray(s, s + N), o);
  }
}

// Staging. The wasm packer reads row-major copies whose padding (rows or columns up to Mp or Np)
// is zero, so it has no edge cases.

/** rows × cols values of src (row-major) at dst, then zero rows up to `paddedRows`. */
function copyRows(m: Float32Array, dst: number, src: Float32Array, srcOff: number, rows: number, cols: number, paddedRows: number): void {
  m.set(src.subarray(srcOff, srcOff + rows * cols), dst);
  m.fill(0, dst + rows * cols, dst + paddedRows * cols);
}

/** rows × cols values of src (row-major) at dst with rows of `ld` ≥ cols floats, zero past cols. */
function copyPadded(m: Float32Array, dst: number, src: Float32Array, srcOff: number, rows: number, cols: number, ld: number): void {
  if (ld === cols) {
    m.set(src.subarray(srcOff, srcOff + rows * cols), dst);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const s = srcOff + r * cols, d = dst + r * ld;
    m.set(src.subarray(s, s + cols), d);
    m.fill(0, d + cols, d + ld);
  }
}
