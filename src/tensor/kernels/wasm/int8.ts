/**
 * The wasm backend's uint8 × int8 → int32 product (the kernel-table entry `gemmU8I8`), with
 * SIMD128's integer dot product: 16 bytes of a row of a and of a weight row are widened to two
 * i16x8 each (`i16x8.extend_*_i8x16_u` for a, `_s` for the weights) and `i32x4.dot_i16x8_s` sums
 * adjacent products into four int32 lanes, exact (no saturation: |255 · −128 · 2| < 2¹⁶ per lane
 * per step). Both operands are row-major along K, so no packing is needed: rows are copied into the
 * shared memory with a stride padded to 16 bytes (zeros past K), and 2 × 4 tiles of outputs are
 * computed per pass over K (1 × 4 for a last odd row, and at batch 1).
 *
 * Also `qconv2dForward`, the statically quantized convolution as one int8 direct-convolution
 * kernel (quantize → multiply → requantize inside the module, see {@link wasmQconv2dForward}).
 */
import type { ConvGeom } from '../conv';
import { gemmU8I8 as jsGemmU8I8, qconv2dForward as jsQconv2dForward, type QConvParams } from '../int8';
import { F32, I32, ModuleBuilder, V128, type Code, type ValType } from './encoder';
import { ensureBytes, f32View, importWasmMemory, wasmMemory } from './memory';

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
  addStage(m);
  addQconv(m);
  return m.build();
}

type Int8Kernel = (ap: number, wp: number, op: number, M: number, Np: number, Kp: number) => void;
type StageKernel = (xp: number, qp: number, Cg: number, H: number, W: number, rowBytes: number, inv: number, zx: number) => number;
type QconvKernel = (...args: number[]) => void;
interface Int8Kernels { dot1: Int8Kernel; dot2: Int8Kernel; qstage: StageKernel; qconv: QconvKernel }
let kernels: Int8Kernels | null = null;

function getKernels(): Int8Kernels {
  if (kernels === null) {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(buildInt8Module()), { env: { mem: wasmMemory() } });
    const e = inst.exports;
    kernels = { dot1: e.dot1 as Int8Kernel, dot2: e.dot2 as Int8Kernel, qstage: e.qstage as StageKernel, qconv: e.qconv as QconvKernel };
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

// Instructions the encoder has no method for (SIMD128 and scalar opcodes by number).
const op = {
  /** i8x16.shuffle of two i32x4 by i32 lanes (0–3 the first operand, 4–7 the second). */
  shuffle32: (f: Code, lanes: number[]): Code => f.simd(0x0d).raw(...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])),
  f32x4Nearest: (f: Code): Code => f.simd(0x6a),
  f32x4Ne: (f: Code): Code => f.simd(0x42),
  i32x4TruncSatF32x4S: (f: Code): Code => f.simd(0xf8),
  f32x4ConvertI32x4S: (f: Code): Code => f.simd(0xfa),
  i16x8NarrowI32x4S: (f: Code): Code => f.simd(0x85),
  i8x16NarrowI16x8U: (f: Code): Code => f.simd(0x66),
  i32x4Sub: (f: Code): Code => f.simd(0xb1),
  i32x4MinS: (f: Code): Code => f.simd(0xb6),
  i32x4MaxS: (f: Code): Code => f.simd(0xb8),
  v128AnyTrue: (f: Code): Code => f.simd(0x53),
  /** v128.store8_lane at the address on the stack (alignment 0, offset 0). */
  v128Store8Lane: (f: Code, lane: number): Code => f.simd(0x58).raw(0, 0, lane),
  /** v128.store64_lane at the address on the stack (alignment 0, offset 0). */
  v128Store64Lane: (f: Code, lane: number): Code => f.simd(0x5b).raw(0, 0, lane),
  f32Nearest: (f: Code): Code => f.raw(0x90),
  f32Min: (f: Code): Code => f.raw(0x96),
  f32Max: (f: Code): Code => f.raw(0x97),
  f32Ne: (f: Code): Code => f.raw(0x5c),
  i32TruncSatF32S: (f: Code): Code => f.raw(0xfc, 0x00),
  i32Store8: (f: Code): Code => f.raw(0x3a, 0, 0),
};

/**
 * Appends `qstage(xp, qp, Cg, H, W, rowBytes, inv, zx) → i32`: quantizes the float32 planes
 * x (Cg, H, W) at xp to uint8, q = clamp(roundHalfEven(float32(x·inv)) + zx, 0, 255) (the
 * rounding is `f32x4.nearest`, ties to even, as PyTorch's nearbyint), and writes them channels
 * last: q[h·rowBytes + w·Cg + c] at qp. Returns 1 when an element was NaN or ±Infinity.
 * Four pixels of a row per step (`narrow` saturates to [0, 255]), the rest of the row one by one.
 */
function addStage(m: ModuleBuilder): void {
  const [xp, qp, Cg, H, W, rowBytes, inv, zx] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [c, h, w, d, qi] = [8, 9, 10, 11, 12];
  const [sp, y] = [13, 14];
  const [probe, t, vinv, vzx, vhi, vlo] = [15, 16, 17, 18, 19, 20];
  const params: ValType[] = [I32, I32, I32, I32, I32, I32, F32, I32];
  m.func('qstage', params, [I32], [I32, I32, I32, I32, I32, F32, F32, V128, V128, V128, V128, V128, V128], (f: Code) => {
    f.v128ConstF32(0).localSet(probe);
    f.localGet(inv).f32x4Splat().localSet(vinv);
    f.localGet(zx).i32x4Splat().localSet(vzx);
    f.v128ConstF32(1024).localSet(vhi);
    f.v128ConstF32(-1024).localSet(vlo);
    f.f32Const(0).localSet(sp);
    f.i32Const(0).localSet(c);
    f.loop(); // channels
    f.i32Const(0).localSet(h);
    f.loop(); // rows
    f.localGet(qp).localGet(c).i32Add().localGet(h).localGet(rowBytes).i32Mul().i32Add().localSet(d);
    f.i32Const(0).localSet(w);
    f.block();
    f.loop(); // four pixels at a time
    f.localGet(w).i32Const(4).i32Add().localGet(W).i32GtS().brIf(1);
    f.localGet(xp).v128Load(0, 2).localSet(t);
    f.localGet(probe).localGet(t).v128ConstF32(0).f32x4Mul().f32x4Add().localSet(probe);
    f.localGet(t).localGet(vinv).f32x4Mul();
    op.f32x4Nearest(f).localGet(vlo).f32x4Max().localGet(vhi).f32x4Min();
    op.i32x4TruncSatF32x4S(f).localGet(vzx).i32x4Add().localTee(t).localGet(t);
    op.i16x8NarrowI32x4S(f).localTee(t).localGet(t);
    op.i8x16NarrowI16x8U(f).localSet(t);
    for (let lane = 0; lane < 4; lane++) {
      f.localGet(d).localGet(t);
      op.v128Store8Lane(f, lane);
      f.localGet(d).localGet(Cg).i32Add().localSet(d);
    }
    f.localGet(xp).i32Const(16).i32Add().localSet(xp);
    f.localGet(w).i32Const(4).i32Add().localSet(w);
    f.br(0);
    f.end();
    f.end();
    f.block();
    f.loop(); // the rest of the row
    f.localGet(w).localGet(W).i32GeS().brIf(1);
    f.localGet(xp).f32Load(0).localSet(y);
    f.localGet(sp).localGet(y).f32Const(0).f32Mul().f32Add().localSet(sp);
    f.localGet(y).localGet(inv).f32Mul();
    op.f32Nearest(f).f32Const(-1024);
    op.f32Max(f).f32Const(1024);
    op.f32Min(f);
    op.i32TruncSatF32S(f).localGet(zx).i32Add().localSet(qi);
    f.i32Const(0).localGet(qi).localGet(qi).i32Const(0).i32LtS().select().localSet(qi);
    f.i32Const(255).localGet(qi).localGet(qi).i32Const(255).i32GtS().select().localSet(qi);
    f.localGet(d).localGet(qi);
    op.i32Store8(f);
    f.localGet(d).localGet(Cg).i32Add().localSet(d);
    f.localGet(xp).i32Const(4).i32Add().localSet(xp);
    f.localGet(w).i32Const(1).i32Add().localSet(w);
    f.br(0);
    f.end();
    f.end();
    f.localGet(h).i32Const(1).i32Add().localTee(h).localGet(H).i32LtS().brIf(0);
    f.end();
    f.localGet(c).i32Const(1).i32Add().localTee(c).localGet(Cg).i32LtS().brIf(0);
    f.end();
    f.localGet(probe).localGet(probe);
    op.f32x4Ne(f);
    op.v128AnyTrue(f).localGet(sp).localGet(sp);
    op.f32Ne(f).i32Or();
  });
}

/**
 * Appends `qconv(img, wp, prm, op, M, OW, rowStep, colStep, segs, nseg, seg16, Np, P4, zo, lo, so)`,
 * the int8 direct convolution with its requantization: for output positions m < M (m = oh·OW + ow)
 * and channels n < Np, acc = Σ over the nseg segments s of Σ_j img[base(m) + segs[s] + j] ·
 * wp[n][s·16·seg16 + j], base(m) = oh·rowStep + ow·colStep, the weights already int16 (rows of
 * nseg·seg16·16 elements, so only the image bytes are widened), on 2 × 4 tiles as `dot2` (a last
 * odd position is computed twice). The epilogue sums the lanes of the four accumulators of a
 * position into one i32x4 of four channels, adds k0 (prm, i32 × Np), converts to float32,
 * multiplies by mult (prm + 4·Np, f32 × Np), rounds to nearest even, adds zo, clamps to [lo, 255],
 * subtracts zo, multiplies by so, and stores channel n of position m at op + n·P4 + 4m: the
 * output planes are padded to Np channels and an even number of positions (P4 bytes each), as
 * positions are stored in pairs.
 */
function addQconv(m: ModuleBuilder): void {
  const [img, wp, prm, opp, M, OW, rowStep, colStep, segs, nseg, seg16, Np, P4, zo, lo, so] =
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  let next = 16;
  const [mi, m1, n, k, s, b0, b1, pa0, pa1, segp, kp, po, pm] = Array.from({ length: 13 }, () => next++);
  const ws = Array.from({ length: 4 }, () => next++);
  const nI32 = next - 16;
  const acc = Array.from({ length: 8 }, () => next++);
  const [t, lo0, hi0, lo1, hi1, wl, wh, u0, u1, fv0, fv1, vzo, vlo, v255, vso, vhi, vmn] = Array.from({ length: 17 }, () => next++);
  const locals: ValType[] = [...Array<ValType>(nI32).fill(I32), ...Array<ValType>(next - 16 - nI32).fill(V128)];
  const params: ValType[] = [...Array<ValType>(15).fill(I32), F32];
  m.func('qconv', params, [], locals, (f: Code) => {
    f.localGet(zo).i32x4Splat().localSet(vzo);
    f.localGet(lo).i32x4Splat().localSet(vlo);
    f.i32Const(255).i32x4Splat().localSet(v255);
    f.localGet(so).f32x4Splat().localSet(vso);
    f.v128ConstF32(1024).localSet(vhi);
    f.v128ConstF32(-1024).localSet(vmn);
    f.localGet(nseg).localGet(seg16).i32Mul().i32Const(5).i32Shl().localSet(kp);
    f.localGet(prm).localGet(Np).i32Const(2).i32Shl().i32Add().localSet(pm);
    f.i32Const(0).localSet(mi);
    f.loop(); // two positions at a time
    f.localGet(mi).i32Const(1).i32Add().localTee(m1).localGet(M).i32GeS().if();
    f.localGet(M).i32Const(1).i32Sub().localSet(m1);
    f.end();
    for (const [mm, b] of [[mi, b0], [m1, b1]] as const) {
      f.localGet(mm).localGet(OW).i32DivU().localGet(rowStep).i32Mul()
        .localGet(mm).localGet(OW).i32RemU().localGet(colStep).i32Mul().i32Add().localGet(img).i32Add().localSet(b);
    }
    f.i32Const(0).localSet(n);
    f.loop(); // four channels at a time
    f.localGet(wp).localGet(n).localGet(kp).i32Mul().i32Add().localSet(ws[0]);
    for (let c = 1; c < 4; c++) f.localGet(ws[c - 1]).localGet(kp).i32Add().localSet(ws[c]);
    for (const x of acc) f.v128ConstF32(0).localSet(x);
    f.localGet(segs).localSet(segp);
    f.localGet(nseg).localSet(s);
    f.loop(); // segments
    f.localGet(segp).i32Load(0).localTee(pa0).localGet(b1).i32Add().localSet(pa1);
    f.localGet(pa0).localGet(b0).i32Add().localSet(pa0);
    f.localGet(seg16).localSet(k);
    f.loop(); // 16 bytes per step
    for (const [pa, l, hh] of [[pa0, lo0, hi0], [pa1, lo1, hi1]] as const) {
      f.localGet(pa).v128Load(0, 0).localSet(t);
      f.localGet(t).i16x8ExtendLowI8x16U().localSet(l);
      f.localGet(t).i16x8ExtendHighI8x16U().localSet(hh);
    }
    for (let c = 0; c < 4; c++) {
      f.localGet(ws[c]).v128Load(0, 0).localSet(wl);
      f.localGet(ws[c]).v128Load(16, 0).localSet(wh);
      for (const [r, l, hh] of [[0, lo0, hi0], [1, lo1, hi1]] as const) {
        f.localGet(acc[4 * r + c]).localGet(l).localGet(wl).i32x4DotI16x8S().i32x4Add()
          .localGet(hh).localGet(wh).i32x4DotI16x8S().i32x4Add().localSet(acc[4 * r + c]);
      }
      f.localGet(ws[c]).i32Const(32).i32Add().localSet(ws[c]);
    }
    f.localGet(pa0).i32Const(16).i32Add().localSet(pa0);
    f.localGet(pa1).i32Const(16).i32Add().localSet(pa1);
    f.localGet(k).i32Const(1).i32Sub().localTee(k).brIf(0);
    f.end();
    f.localGet(segp).i32Const(4).i32Add().localSet(segp);
    f.localGet(s).i32Const(1).i32Sub().localTee(s).brIf(0);
    f.end();
    for (const [r, fv] of [[0, fv0], [1, fv1]] as const) {
      const [a0, a1, a2, a3] = acc.slice(4 * r, 4 * r + 4);
      // Lane sums of a0 … a3 as one vector: pairwise interleave-and-add, twice.
      f.localGet(a0).localGet(a1);
      op.shuffle32(f, [0, 4, 1, 5]).localGet(a0).localGet(a1);
      op.shuffle32(f, [2, 6, 3, 7]).i32x4Add().localSet(u0);
      f.localGet(a2).localGet(a3);
      op.shuffle32(f, [0, 4, 1, 5]).localGet(a2).localGet(a3);
      op.shuffle32(f, [2, 6, 3, 7]).i32x4Add().localSet(u1);
      f.localGet(u0).localGet(u1);
      op.shuffle32(f, [0, 1, 4, 5]).localGet(u0).localGet(u1);
      op.shuffle32(f, [2, 3, 6, 7]).i32x4Add();
      // + k0, × mult in float32, round half to even, + zo, clamp [lo, 255], − zo, × so.
      f.localGet(prm).localGet(n).i32Const(2).i32Shl().i32Add().v128Load(0, 2).i32x4Add();
      op.f32x4ConvertI32x4S(f).localGet(pm).localGet(n).i32Const(2).i32Shl().i32Add().v128Load(0, 2).f32x4Mul();
      op.f32x4Nearest(f).localGet(vmn).f32x4Max().localGet(vhi).f32x4Min();
      op.i32x4TruncSatF32x4S(f).localGet(vzo).i32x4Add().localGet(vlo);
      op.i32x4MaxS(f).localGet(v255);
      op.i32x4MinS(f).localGet(vzo);
      op.i32x4Sub(f);
      op.f32x4ConvertI32x4S(f).localGet(vso).f32x4Mul().localSet(fv);
    }
    // Positions mi and mi + 1 of channels n … n + 3 as four pairs of floats (a last odd position
    // writes its pair into the plane's padding float).
    f.localGet(opp).localGet(n).localGet(P4).i32Mul().i32Add().localGet(mi).i32Const(2).i32Shl().i32Add().localSet(po);
    for (const [lanes, first] of [[[0, 4, 1, 5], true], [[2, 6, 3, 7], false]] as const) {
      f.localGet(fv0).localGet(fv1);
      op.shuffle32(f, [...lanes]).localSet(t);
      for (const lane of [0, 1]) {
        if (!(first && lane === 0)) f.localGet(po).localGet(P4).i32Add().localSet(po);
        f.localGet(po).localGet(t);
        op.v128Store64Lane(f, lane);
      }
    }
    f.localGet(n).i32Const(4).i32Add().localTee(n).localGet(Np).i32LtS().brIf(0);
    f.end();
    f.localGet(mi).i32Const(2).i32Add().localTee(mi).localGet(M).i32LtS().brIf(0);
    f.end();
  });
}

const align16 = (n: number): number => (n + 15) & ~15;

/** True when every acc + k0[o] stays inside int32 (|acc| ≤ Kc·255·128), so the i32x4 sums are exact. */
function k0Fits(k0: Float64Array, Kc: number): boolean {
  const room = 2147483647 - Kc * 255 * 128;
  for (let o = 0; o < k0.length; o++) if (!(Number.isInteger(k0[o]) && Math.abs(k0[o]) <= room)) return false;
  return true;
}

/**
 * `qconv2dForward` on the wasm backend: the contract of the JS kernel, bit-identical, as an int8
 * direct convolution. Per image and group, `qstage` quantizes the float32 input into a padded
 * channels-last uint8 image (padding holds zₓ); the receptive field of an output position is then
 * KH contiguous runs of KW·Cg bytes of it (KH·KW runs of Cg bytes when dilated along W), each
 * padded to a multiple of 16, and the weights are packed once per call in the same order (zeros in
 * the padding, so the bytes read past a run add nothing). `qconv` multiplies in 2 × 4 tiles and
 * requantizes in its epilogue, writing float32 NCHW. No unfolded matrix is built.
 *
 * Falls back to the JS kernel for small work, weights with a nonzero zero point (whose Σqx term
 * the padded runs would miscount), and constants that could overflow int32.
 */
/** A layer's weights and per-channel terms in the order `qconv` reads them, with what they were made from. */
interface Packed { w: Int8Array; key: string; weights: Int16Array; prm: Int32Array }
/**
 * Packed weights by the parameters object they were made for (the layer keeps one until its
 * weights change, as PyTorch keeps a packed-params object), so a forward pass copies them into the
 * memory with one `set` instead of reordering them. Weakly held: it goes with the layer.
 */
const packs = new WeakMap<QConvParams, Packed>();

/** The weights [group][channel < Np][run][seg] widened to int16 (zeros in the padding), and per group k0 (i32) then mult (f32 bits), Np each. */
function packFor(w: Int8Array, p: QConvParams, key: string, groups: number, OCg: number, Np: number, Cg: number, KH: number, KW: number, byRows: boolean, seg: number): Packed {
  const hit = packs.get(p);
  if (hit !== undefined && hit.w === w && hit.key === key) return hit;
  const Kp = (byRows ? KH : KH * KW) * seg, Kc = Cg * KH * KW;
  const weights = new Int16Array(groups * Np * Kp), prm = new Int32Array(groups * Np * 2);
  const multBits = new Float32Array(prm.buffer);
  for (let gi = 0; gi < groups; gi++) {
    for (let n = 0; n < OCg; n++) {
      const dst = (gi * Np + n) * Kp, src = (gi * OCg + n) * Kc;
      for (let c = 0; c < Cg; c++) {
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) weights[dst + (byRows ? kh * seg + kw * Cg + c : (kh * KW + kw) * seg + c)] = w[src + (c * KH + kh) * KW + kw];
        }
      }
      prm[gi * Np * 2 + n] = p.k0[gi * OCg + n];
      multBits[gi * Np * 2 + Np + n] = p.mult[gi * OCg + n];
    }
  }
  const packed = { w, key, weights, prm };
  packs.set(p, packed);
  return packed;
}

/**
 * `qconv2dForward` on the wasm backend: the contract of the JS kernel, bit-identical, as an int8
 * direct convolution. Per image and group, `qstage` quantizes the float32 input into a padded
 * channels-last uint8 image (padding holds zₓ); the receptive field of an output position is then
 * KH contiguous runs of KW·Cg bytes of it (KH·KW runs of Cg bytes when dilated along W), each
 * padded to a multiple of 16, and the weights are packed in the same order, widened to int16
 * (zeros in the padding, so the bytes read past a run add nothing). `qconv` multiplies in 2 × 4
 * tiles and requantizes in its epilogue, writing float32 NCHW. No unfolded matrix is built.
 *
 * The packed weights are cached per `p` object (a WeakMap, so they go with the layer that holds
 * `p`); a caller that changes the values of `w` in place passes a new `p`, as QuantizedConv2d does
 * when state is loaded. Everything else lives in the wasm memory only during the call.
 *
 * Falls back to the JS kernel for small work, weights with a nonzero zero point (whose Σqx term
 * the padded runs would miscount), and constants that could overflow int32.
 */
export function wasmQconv2dForward(out: Float32Array, x: Float32Array, B: number, w: Int8Array, g: ConvGeom, groups: number, OC: number, p: QConvParams): number {
  const { C: Cg, H, W, KH, KW, OH, OW, SH, SW, PH, PW, DH, DW } = g;
  const OCg = OC / groups, P = OH * OW, Kc = Cg * KH * KW, C = Cg * groups;
  if (B * P * Kc * OC < WASM_INT8_MIN_WORK || p.zw !== null || !k0Fits(p.k0, Kc)) return jsQconv2dForward(out, x, B, w, g, groups, OC, p);
  // Runs: one per kernel row (KW·Cg bytes) when taps along W are adjacent, else one per tap.
  const rowSeg = align16(KW * Cg), tapSeg = align16(Cg);
  const byRows = DW === 1 && KH * rowSeg <= KH * KW * tapSeg;
  const nseg = byRows ? KH : KH * KW, seg = byRows ? rowSeg : tapSeg, Kp = nseg * seg;
  const Hp = Math.max(PH + H, (OH - 1) * SH + DH * (KH - 1) + 1), Wp = Math.max(PW + W, (OW - 1) * SW + DW * (KW - 1) + 1);
  const rowBytes = Wp * Cg, Np = (OCg + 3) & ~3;
  const pk = packFor(w, p, `${groups},${OCg},${Cg},${KH},${KW},${byRows ? 1 : 0}`, groups, OCg, Np, Cg, KH, KW, byRows, seg);
  const wBase = 0, prmBase = align16(wBase + pk.weights.byteLength), segBase = align16(prmBase + pk.prm.byteLength);
  const xBase = align16(segBase + nseg * 4), qBase = align16(xBase + Cg * H * W * 4);
  const qBytes = Hp * rowBytes + seg + 16, oBase = align16(qBase + qBytes), Pe = P + (P & 1);
  ensureBytes(oBase + groups * Np * Pe * 4);
  const buf = wasmMemory().buffer;
  const u8 = new Uint8Array(buf), i32 = new Int32Array(buf), f32 = f32View();
  new Int16Array(buf).set(pk.weights, wBase >> 1);
  i32.set(pk.prm, prmBase >> 2);
  for (let kh = 0, s = 0; kh < KH; kh++) {
    if (byRows) i32[(segBase >> 2) + s++] = kh * DH * rowBytes;
    else for (let kw = 0; kw < KW; kw++) i32[(segBase >> 2) + s++] = kh * DH * rowBytes + kw * DW * Cg;
  }
  u8.fill(p.zx, qBase, qBase + qBytes);
  const { qstage, qconv } = getKernels();
  const plane = Cg * H * W, qOrigin = qBase + PH * rowBytes + PW * Cg;
  for (let b = 0; b < B; b++) {
    for (let gi = 0; gi < groups; gi++) {
      const xo = (b * C + gi * Cg) * H * W, ob = oBase + gi * Np * Pe * 4;
      f32.set(x.subarray(xo, xo + plane), xBase >> 2);
      if (qstage(xBase, qOrigin, Cg, H, W, rowBytes, p.inv, p.zx) !== 0) return x.findIndex((v) => !Number.isFinite(v));
      qconv(qBase, wBase + gi * Np * Kp * 2, prmBase + gi * Np * 8, ob, P, OW, SH * rowBytes, SW * Cg, segBase, nseg, seg >> 4, Np, Pe * 4, p.zo, p.lo, p.so);
      const to = (b * OC + gi * OCg) * P;
      if (Pe === P) out.set(f32.subarray(ob >> 2, (ob >> 2) + OCg * P), to);
      else for (let n = 0; n < OCg; n++) out.set(f32.subarray((ob >> 2) + n * Pe, (ob >> 2) + n * Pe + P), to + n * P);
    }
  }
  return -1;
}
