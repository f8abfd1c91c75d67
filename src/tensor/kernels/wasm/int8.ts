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
import { ensureBytes, importWasmMemory, wasmMemory } from './memory';

/** Below this many multiply-adds the JS kernel is faster than staging. */
export const WASM_INT8_MIN_WORK = 16 * 16 * 16;

/**
 * Appends `dot{R}(ap, wp, op, M, Np, Kp)`: out (M, Np) int32 = a (M, Kp) · w (Np, Kp)ᵀ with R × 4
 * tiles of outputs per pass over K (M a multiple of R, Np of 4, pointers in bytes). Each 16-byte
 * load of a weight row, widened once, feeds R dot products; each load of a row of a feeds four.
 */
function addDot(m: ModuleBuilder, R: 1 | 2): void {
  const [ap, wp, op, M, Np, Kp] = [0, 1, 2, 3, 4, 5];
  // i32 locals: the row and column counters, the K steps, R row pointers of a, four weight-row
  // pointers, the output pointer; v128 locals: 4R accumulators, the loaded vector, the widened
  // halves of each row of a and of the current weight row.
  let next = 6;
  const [mi, n, k] = [next++, next++, next++];
  const pa = Array.from({ length: R }, () => next++);
  const ws = Array.from({ length: 4 }, () => next++);
  const po = next++;
  const nI32 = next - 6;
  const acc = Array.from({ length: 4 * R }, () => next++); // acc[4·row + col]
  const t = next++;
  const lo = Array.from({ length: R }, () => next++), hi = Array.from({ length: R }, () => next++);
  const wl = next++, wh = next++;
  const locals: ValType[] = [...Array<ValType>(nI32).fill(I32), ...Array<ValType>(next - 6 - nI32).fill(V128)];
  m.func(`dot${R}`, [I32, I32, I32, I32, I32, I32], [], locals, (f: Code) => {
    f.i32Const(0).localSet(mi);
    f.loop(); // R rows of a at a time
    f.i32Const(0).localSet(n);
    f.loop(); // four weight rows at a time
    f.localGet(ap).localGet(mi).localGet(Kp).i32Mul().i32Add().localSet(pa[0]);
    for (let r = 1; r < R; r++) f.localGet(pa[r - 1]).localGet(Kp).i32Add().localSet(pa[r]);
    f.localGet(wp).localGet(n).localGet(Kp).i32Mul().i32Add().localSet(ws[0]);
    for (let c = 1; c < 4; c++) f.localGet(ws[c - 1]).localGet(Kp).i32Add().localSet(ws[c]);
    for (const x of acc) f.v128ConstF32(0).localSet(x);
    f.localGet(Kp).i32Const(4).i32ShrU().localSet(k);
    f.loop(); // 16 bytes of K per step
    for (let r = 0; r < R; r++) {
      f.localGet(pa[r]).v128Load(0, 0).localSet(t);
      f.localGet(t).i16x8ExtendLowI8x16U().localSet(lo[r]);
      f.localGet(t).i16x8ExtendHighI8x16U().localSet(hi[r]);
    }
    for (let c = 0; c < 4; c++) {
      f.localGet(ws[c]).v128Load(0, 0).localSet(t);
      f.localGet(t).i16x8ExtendLowI8x16S().localSet(wl);
      f.localGet(t).i16x8ExtendHighI8x16S().localSet(wh);
      for (let r = 0; r < R; r++) {
        f.localGet(acc[4 * r + c]).localGet(lo[r]).localGet(wl).i32x4DotI16x8S().i32x4Add()
          .localGet(hi[r]).localGet(wh).i32x4DotI16x8S().i32x4Add().localSet(acc[4 * r + c]);
      }
      f.localGet(ws[c]).i32Const(16).i32Add().localSet(ws[c]);
    }
    for (let r = 0; r < R; r++) f.localGet(pa[r]).i32Const(16).i32Add().localSet(pa[r]);
    f.localGet(k).i32Const(1).i32Sub().localTee(k).brIf(0);
    f.end();
    // out[m + row, n + c] = the four lanes of acc[4·row + c] summed.
    for (let r = 0; r < R; r++) {
      f.localGet(op).localGet(mi).i32Const(r).i32Add().localGet(Np).i32Mul().localGet(n).i32Add().i32Const(2).i32Shl().i32Add().localSet(po);
      for (let c = 0; c < 4; c++) {
        const x = acc[4 * r + c];
        f.localGet(po)
          .localGet(x).i32x4ExtractLane(0).localGet(x).i32x4ExtractLane(1).i32Add()
          .localGet(x).i32x4ExtractLane(2).i32Add().localGet(x).i32x4ExtractLane(3).i32Add()
          .i32Store(4 * c);
      }
    }
    f.localGet(n).i32Const(4).i32Add().localTee(n).localGet(Np).i32LtS().brIf(0);
    f.end();
    f.localGet(mi).i32Const(R).i32Add().localTee(mi).localGet(M).i32LtS().brIf(0);
    f.end();
  });
}

/**
 * The int8 module over the shared memory: `dot2` (2 × 4 tiles, for an even number of rows) and
 * `dot1` (1 × 4 tiles, for batch 1 and a last odd row).
 */
export function buildInt8Module(): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  importWasmMemory(m);
  addDot(m, 2);
  addDot(m, 1);
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
