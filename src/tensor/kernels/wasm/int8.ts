/**
 * The wasm backend's uint8 × int8 → int32 product (the kernel-table entry `gemmU8I8`), with
 * SIMD128's integer dot product: 16 bytes of a row of a and of a weight row are widened to two
 * i16x8 each (`i16x8.extend_*_i8x16_u` for a, `_s` for the weights) and `i32x4.dot_i16x8_s` sums
 * adjacent products into four int32 lanes, exact (no saturation: |255 · −128 · 2| < 2¹⁶ per lane
 * per step). Both operands are row-major along K, so no packing is needed: rows are copied into the
 * shared memory with a stride padded to 16 bytes (zeros past K), and 2 × 4 tiles of outputs are
 * computed per pass over K (1 × 4 for a last odd row, and at batch 1).
 */
import { gemmU8I8 as jsGemmU8I8 } from '../int8';
import { I32, ModuleBuilder, V128, type Code, type ValType } from './encoder';
import { ensureBytes, wasmMemory } from './memory';

/** Below this many multiply-adds the JS kernel is faster than staging. */
export const WASM_INT8_MIN_WORK = 16 * 16 * 16;

/**
 * Two functions over one memory: `dot2(ap, wp, op, M, Np, Kp)`, out (M, Np) int32 = a (M, Kp) ·
 * w (Np, Kp)ᵀ for M even, a 2 × 4 tile of outputs per pass over K (each 16-byte load of a weight
 * row, widened once, feeds two dot products; each load of a feeds four); and `dot1`, the same
 * with 1 × 4 tiles, for a single row. Pointers in bytes, Np a multiple of 4.
 */
export function buildInt8Module(): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  m.importMemory('env', 'mem', 1);
  const [ap, wp, op, M, Np, Kp] = [0, 1, 2, 3, 4, 5];
  const [mi, n, k, pa0, pa1, w0, w1, w2, w3, po] = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  const acc = [16, 17, 18, 19, 20, 21, 22, 23]; // acc[4·row + col]
  const [t, lo0, hi0, lo1, hi1, wl, wh] = [24, 25, 26, 27, 28, 29, 30];
  const locals: ValType[] = [...Array<ValType>(10).fill(I32), ...Array<ValType>(15).fill(V128)];
  const ws = [w0, w1, w2, w3];
  m.func('dot2', [I32, I32, I32, I32, I32, I32], [], locals, (f: Code) => {
    f.i32Const(0).localSet(mi);
    f.loop(); // pairs of rows of a
    f.i32Const(0).localSet(n);
    f.loop(); // four weight rows at a time
    f.localGet(ap).localGet(mi).localGet(Kp).i32Mul().i32Add().localSet(pa0);
    f.localGet(pa0).localGet(Kp).i32Add().localSet(pa1);
    f.localGet(wp).localGet(n).localGet(Kp).i32Mul().i32Add().localSet(w0);
    f.localGet(w0).localGet(Kp).i32Add().localSet(w1);
    f.localGet(w1).localGet(Kp).i32Add().localSet(w2);
    f.localGet(w2).localGet(Kp).i32Add().localSet(w3);
    for (const r of acc) f.v128ConstF32(0).localSet(r);
    f.localGet(Kp).i32Const(4).i32ShrU().localSet(k);
    f.loop(); // 16 bytes of K per step
    f.localGet(pa0).v128Load(0, 0).localSet(t);
    f.localGet(t).i16x8ExtendLowI8x16U().localSet(lo0);
    f.localGet(t).i16x8ExtendHighI8x16U().localSet(hi0);
    f.localGet(pa1).v128Load(0, 0).localSet(t);
    f.localGet(t).i16x8ExtendLowI8x16U().localSet(lo1);
    f.localGet(t).i16x8ExtendHighI8x16U().localSet(hi1);
    for (let c = 0; c < 4; c++) {
      f.localGet(ws[c]).v128Load(0, 0).localSet(t);
      f.localGet(t).i16x8ExtendLowI8x16S().localSet(wl);
      f.localGet(t).i16x8ExtendHighI8x16S().localSet(wh);
      f.localGet(acc[c]).localGet(lo0).localGet(wl).i32x4DotI16x8S().i32x4Add()
        .localGet(hi0).localGet(wh).i32x4DotI16x8S().i32x4Add().localSet(acc[c]);
      f.localGet(acc[4 + c]).localGet(lo1).localGet(wl).i32x4DotI16x8S().i32x4Add()
        .localGet(hi1).localGet(wh).i32x4DotI16x8S().i32x4Add().localSet(acc[4 + c]);
      f.localGet(ws[c]).i32Const(16).i32Add().localSet(ws[c]);
    }
    f.localGet(pa0).i32Const(16).i32Add().localSet(pa0);
    f.localGet(pa1).i32Const(16).i32Add().localSet(pa1);
    f.localGet(k).i32Const(1).i32Sub().localTee(k).brIf(0);
    f.end();
    // out[m + row, n + c] = the four lanes of acc[4·row + c] summed.
    for (let row = 0; row < 2; row++) {
      f.localGet(op).localGet(mi).i32Const(row).i32Add().localGet(Np).i32Mul().localGet(n).i32Add().i32Const(2).i32Shl().i32Add().localSet(po);
      for (let c = 0; c < 4; c++) {
        const a4 = acc[4 * row + c];
        f.localGet(po)
          .localGet(a4).i32x4ExtractLane(0).localGet(a4).i32x4ExtractLane(1).i32Add()
          .localGet(a4).i32x4ExtractLane(2).i32Add().localGet(a4).i32x4ExtractLane(3).i32Add()
          .i32Store(4 * c);
      }
    }
    f.localGet(n).i32Const(4).i32Add().localTee(n).localGet(Np).i32LtS().brIf(0);
    f.end();
    f.localGet(mi).i32Const(2).i32Add().localTee(mi).localGet(M).i32LtS().brIf(0);
    f.end();
  });
  {
    // dot1: the same for single rows (M = 1, and the last row when M is odd): 1 × 4 tiles.
    const [ap, wp, op, M, Np, Kp] = [0, 1, 2, 3, 4, 5];
    const [mi, n, k, pa, w0, w1, w2, w3, po] = [6, 7, 8, 9, 10, 11, 12, 13, 14];
    const acc = [15, 16, 17, 18];
    const [t, lo, hi] = [19, 20, 21];
    const locals: ValType[] = [...Array<ValType>(9).fill(I32), ...Array<ValType>(7).fill(V128)];
    const ws = [w0, w1, w2, w3];
    m.func('dot1', [I32, I32, I32, I32, I32, I32], [], locals, (f: Code) => {
      f.i32Const(0).localSet(mi);
      f.loop(); // rows of a
      f.i32Const(0).localSet(n);
      f.loop(); // four weight rows at a time
      f.localGet(ap).localGet(mi).localGet(Kp).i32Mul().i32Add().localSet(pa);
      f.localGet(wp).localGet(n).localGet(Kp).i32Mul().i32Add().localSet(w0);
      f.localGet(w0).localGet(Kp).i32Add().localSet(w1);
      f.localGet(w1).localGet(Kp).i32Add().localSet(w2);
      f.localGet(w2).localGet(Kp).i32Add().localSet(w3);
      for (const r of acc) f.v128ConstF32(0).localSet(r);
      f.localGet(Kp).i32Const(4).i32ShrU().localSet(k);
      f.loop(); // 16 bytes of K per step
      f.localGet(pa).v128Load(0, 0).localSet(t);
      f.localGet(t).i16x8ExtendLowI8x16U().localSet(lo);
      f.localGet(t).i16x8ExtendHighI8x16U().localSet(hi);
      for (let r = 0; r < 4; r++) {
        f.localGet(ws[r]).v128Load(0, 0).localSet(t);
        f.localGet(acc[r]).localGet(lo).localGet(t).i16x8ExtendLowI8x16S().i32x4DotI16x8S().i32x4Add()
          .localGet(hi).localGet(t).i16x8ExtendHighI8x16S().i32x4DotI16x8S().i32x4Add().localSet(acc[r]);
        f.localGet(ws[r]).i32Const(16).i32Add().localSet(ws[r]);
      }
      f.localGet(pa).i32Const(16).i32Add().localSet(pa);
      f.localGet(k).i32Const(1).i32Sub().localTee(k).brIf(0);
      f.end();
      // out[m, n + r] = the four lanes of acc[r] summed.
      f.localGet(op).localGet(mi).localGet(Np).i32Mul().localGet(n).i32Add().i32Const(2).i32Shl().i32Add().localSet(po);
      for (let r = 0; r < 4; r++) {
        f.localGet(po)
          .localGet(acc[r]).i32x4ExtractLane(0).localGet(acc[r]).i32x4ExtractLane(1).i32Add()
          .localGet(acc[r]).i32x4ExtractLane(2).i32Add().localGet(acc[r]).i32x4ExtractLane(3).i32Add()
          .i32Store(4 * r);
      }
      f.localGet(n).i32Const(4).i32Add().localTee(n).localGet(Np).i32LtS().brIf(0);
      f.end();
      f.localGet(mi).i32Const(1).i32Add().localTee(mi).localGet(M).i32LtS().brIf(0);
      f.end();
    });
  }
  return m.build();
}

type Int8Kernel = (ap: number, wp: number, op: number, M: number, Np: number, Kp: number) => void;
let kernels: { dot1: Int8Kernel; dot2: Int8Kernel } | null = null;

function getKernels(): { dot1: Int8Kernel; dot2: Int8Kernel } {
  if (kernels === null) {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(buildInt8Module()), { env: { mem: wasmMemory() } });
    kernels = { dot1: inst.exports.dot1 as Int8Kernel, dot2: inst.exports.dot2 as Int8Kernel };
  }
  return kernels;
}

/** Copies `rows` rows of `cols` bytes from src into dst with a row stride of `stride` bytes, zero-padded. */
function stageRows(dst: Uint8Array, dstOff: number, src: Uint8Array | Int8Array, srcOff: number, rows: number, cols: number, stride: number): void {
  const bytes = src instanceof Uint8Array ? src : new Uint8Array(src.buffer, src.byteOffset, src.length);
  if (cols === stride) {
    dst.set(bytes.subarray(srcOff, srcOff + rows * cols), dstOff);
    return;
  }
  for (let r = 0; r < rows; r++) {
    dst.set(bytes.subarray(srcOff + r * cols, srcOff + (r + 1) * cols), dstOff + r * stride);
    dst.fill(0, dstOff + r * stride + cols, dstOff + (r + 1) * stride);
  }
}

/**
 * `gemmU8I8` on the wasm backend: the contract of the JS kernel (out (M, N) int32 = Σₖ a[m, k] ·
 * w[n, k], overwrite or accumulate, offsets), exact. Small products go to the JS kernel.
 */
export function wasmGemmU8I8(
  out: Int32Array, outOff: number, a: Uint8Array, aOff: number, w: Int8Array, wOff: number,
  M: number, K: number, N: number, accumulate: boolean,
): void {
  if (M === 0 || N === 0 || K === 0 || M * K * N < WASM_INT8_MIN_WORK) {
    jsGemmU8I8(out, outOff, a, aOff, w, wOff, M, K, N, accumulate);
    return;
  }
  const Kp = (K + 15) & ~15, Np = (N + 3) & ~3, M2 = M & ~1;
  const aBase = 0, wBase = M * Kp, oBase = (wBase + Np * Kp + 15) & ~15;
  ensureBytes(oBase + M * Np * 4);
  const buf = wasmMemory().buffer;
  const u8 = new Uint8Array(buf);
  stageRows(u8, aBase, a, aOff, M, K, Kp);
  stageRows(u8, wBase, w, wOff, N, K, Kp);
  u8.fill(0, wBase + N * Kp, wBase + Np * Kp);
  const { dot1, dot2 } = getKernels();
  if (M2 > 0) dot2(aBase, wBase, oBase, M2, Np, Kp);
  if (M2 < M) dot1(aBase + M2 * Kp, wBase, oBase + M2 * Np * 4, 1, Np, Kp);
  const res = new Int32Array(buf, oBase, M * Np);
  for (let m = 0; m < M; m++) {
    const o = outOff + m * N, s = m * Np;
    if (accumulate) for (let n = 0; n < N; n++) out[o + n] = (out[o + n] + res[s + n]) | 0;
    else out.set(res.subarray(s, s + N), o);
  }
}
