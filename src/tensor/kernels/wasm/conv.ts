/**
 * The wasm backend's convolutions: conv2d forward, weight gradient and input gradient as f32x4
 * kernels that read the receptive fields straight from a staged image, with no im2col matrix and
 * no gather (the contracts of the JS kernels in conv.ts).
 *
 * Staging. Each image (one group's Cg channels) is copied into the wasm memory zero-padded and
 * split into its SH·SW stride phases: phase (a, b) of channel c holds the padded pixels (i·SH + a,
 * j·SW + b) as an Hq × Wq plane (Hq = ⌈Hp/SH⌉, Wq = ⌈Wp/SW⌉). Output position (oh, ow) is given the
 * index q = oh·Wq + ow, and tap (c, kh, kw) the offset t = plane(c, kh·DH mod SH, kw·DW mod SW) +
 * ⌊kh·DH/SH⌋·Wq + ⌊kw·DW/SW⌋, so the pixel a tap reads for position q is xs[q + t] for every
 * stride, padding and dilation: consecutive positions of an output row read consecutive floats,
 * one `v128.load` for four positions. The positions ow ∈ [OW, Wq) of each row are computed and
 * dropped (the forward pass) or carry a zero output gradient (the backward passes); the image is
 * followed by enough zeros that every load stays inside the staged buffer.
 *
 * - Forward, out[o, q] = Σ_t w[o, t]·xs[q + t]: the 4×8 tile of the GEMM micro-kernel (wasm/gemm.ts)
 *   with the packed B panel replaced by two loads at xs + q + t; weights packed in 4-row panels.
 * - Weight gradient, dw[o, t] += Σ_q dy[o, q]·xs[q + t]: vectors run along q (four positions a
 *   lane), a 4-output × 2-tap tile in eight f32x4 accumulators that live in memory across the
 *   images of the batch; their lanes are summed at the end (in float64).
 * - Input gradient, dxs[q + t] += Σ_o w[o, t]·dy[o, q]: the micro-kernel's 4×8 tile over (taps,
 *   positions) with K = the output channels, whose epilogue adds each tap's row into dxs at its
 *   offset (col2im fused into the GEMM); dxs is then added into dx. With stride 1 and four or
 *   more input channels per group it is the forward pass of dy with the kernel flipped instead.
 * - Bias gradient: each image's dy row summed in f32x4 (`sum`) from the staged dy.
 *
 * Each call copies the batch (in chunks of at most {@link convStaging}.maxFloats floats) into
 * the memory in one piece and out again; staging an image, compacting the output rows and adding
 * the staged gradient back run in a wasm strided copy (`copy2d`).
 *
 * Threads: the per-image work runs in chunks of images fixed by the shape (at most 16, see
 * imageChunks), each with its own scratch, as a {@link Plan} of module calls that the `exec`
 * export runs through runChunks (threads.ts). The weight gradient's chunks keep their own
 * accumulators, added in chunk order afterwards; so every result is bit-identical for every
 * thread count. Against the kernel before the chunks, at one thread, the forward pass, the input
 * gradient and the bias gradient are bit-identical, the weight gradient equal to rounding.
 *
 * Depthwise convolutions (one input and one output channel per group: four-row tiles would be
 * three quarters padding) and pointwise ones (already one `gemm` through the table) take the JS
 * kernels. Sums run in float32 lanes in another order than the JS kernels' float64 sums: results
 * agree within float32 rounding of a Cg·KH·KW-term (forward), B·OH·OW-term (weight gradient) or
 * OCg·KH·KW-term (input gradient) sum.
 */
import {
  conv2dBackward as jsConv2dBackward, conv2dForward as jsConv2dForward, conv2dReluPoolBackward as jsConv2dReluPoolBackward,
  convTranspose2dBackward as jsConvTranspose2dBackward, convTranspose2dForward as jsConvTranspose2dForward,
  type ConvGeom,
} from '../conv';
import { F32, I32, ModuleBuilder, V128, type Code, type ValType } from './encoder';
import { ensureBytes, f32View, importWasmMemory, wasmMemory } from './memory';
import { wasmMaxPoolInMemory } from './pool';
import { wasmReluInMemory } from './relu';
import { registerModule, runChunks, wakeWorkers } from './threads';

/** The module: `fwd`, `wgrad`, `dgrad`, `copy2d` and `sum` (pointers in bytes; see the comments on each). */
export function buildConvModule(): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  importWasmMemory(m);
  const i32s = (n: number): ValType[] => Array<ValType>(n).fill(I32);
  const v128s = (n: number): ValType[] => Array<ValType>(n).fill(V128);

  // fwd(wp, xs, taps, c, mp, np, kc, ldc): for each 8-position panel j (outer) and 4-row weight
  // panel i (inner), acc[r][0..7] = Σ_k wp[i][k][r]·xs[8j + taps[k] .. +8]; stored at c + 4i·ldc + 32j.
  {
    const [wp, xs, taps, c, mp, np, kc, ldc] = [0, 1, 2, 3, 4, 5, 6, 7];
    const [j, i, pa, pt, k, rp, xj, addr] = [8, 9, 10, 11, 12, 13, 14, 15];
    const acc = [16, 17, 18, 19, 20, 21, 22, 23];
    const va = 24, b0 = 25, b1 = 26;
    m.func('fwd', i32s(8), [], [...i32s(8), ...v128s(11)], (f: Code) => {
      f.i32Const(0).localSet(j);
      f.loop();
      f.localGet(xs).localGet(j).i32Const(5).i32Shl().i32Add().localSet(xj);
      f.i32Const(0).localSet(i);
      f.loop();
      f.localGet(wp).localGet(i).localGet(kc).i32Mul().i32Const(4).i32Shl().i32Add().localSet(pa);
      f.localGet(taps).localSet(pt);
      f.localGet(kc).localSet(k);
      for (const r of acc) f.v128ConstF32(0).localSet(r);
      f.loop();
      f.localGet(xj).localGet(pt).i32Load(0).i32Add().localSet(addr);
      f.localGet(addr).v128Load(0, 2).localSet(b0);
      f.localGet(addr).v128Load(16, 2).localSet(b1);
      for (let r = 0; r < 4; r++) {
        f.localGet(pa).v128Load32Splat(4 * r).localSet(va);
        f.localGet(acc[2 * r]).localGet(va).localGet(b0).f32x4Mul().f32x4Add().localSet(acc[2 * r]);
        f.localGet(acc[2 * r + 1]).localGet(va).localGet(b1).f32x4Mul().f32x4Add().localSet(acc[2 * r + 1]);
      }
      f.localGet(pa).i32Const(16).i32Add().localSet(pa);
      f.localGet(pt).i32Const(4).i32Add().localSet(pt);
      f.localGet(k).i32Const(1).i32Sub().localTee(k).brIf(0);
      f.end();
      f.localGet(c).localGet(i).i32Const(2).i32Shl().localGet(ldc).i32Mul().i32Add()
        .localGet(j).i32Const(5).i32Shl().i32Add().localSet(rp);
      for (let r = 0; r < 4; r++) {
        f.localGet(rp).localGet(acc[2 * r]).v128Store(0);
        f.localGet(rp).localGet(acc[2 * r + 1]).v128Store(16);
        if (r < 3) f.localGet(rp).localGet(ldc).i32Add().localSet(rp);
      }
      f.localGet(i).i32Const(1).i32Add().localTee(i).localGet(mp).i32LtS().brIf(0);
      f.end();
      f.localGet(j).i32Const(1).i32Add().localTee(j).localGet(np).i32LtS().brIf(0);
      f.end();
    });
  }

  // wgrad(dy, ldy, xs, taps, accp, mp, tp, n4): for each 4-row panel i of dy (rows of ldy bytes)
  // and tap pair s, the eight accumulators at accp + (i·tp + s)·128 (vector 2r + e: row 4i + r,
  // tap 2s + e) gain Σ_n dy[4i + r][4n .. +4]·xs[4n + taps[2s + e] .. +4].
  {
    const [dy, ldy, xs, taps, accp, mp, tp, n4] = [0, 1, 2, 3, 4, 5, 6, 7];
    const [i, s, py, p0, p1, n, ap, l2, l3, yi] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
    const acc = [18, 19, 20, 21, 22, 23, 24, 25];
    const d = [26, 27, 28, 29];
    const x0 = 30, x1 = 31;
    m.func('wgrad', i32s(8), [], [...i32s(10), ...v128s(14)], (f: Code) => {
      f.localGet(ldy).i32Const(1).i32Shl().localSet(l2);
      f.localGet(l2).localGet(ldy).i32Add().localSet(l3);
      f.i32Const(0).localSet(i);
      f.loop();
      f.localGet(dy).localGet(i).localGet(ldy).i32Mul().i32Const(2).i32Shl().i32Add().localSet(yi);
      f.i32Const(0).localSet(s);
      f.loop();
      f.localGet(accp).localGet(i).localGet(tp).i32Mul().localGet(s).i32Add().i32Const(7).i32Shl().i32Add().localSet(ap);
      for (let v = 0; v < 8; v++) f.localGet(ap).v128Load(16 * v).localSet(acc[v]);
      f.localGet(yi).localSet(py);
      f.localGet(xs).localGet(taps).localGet(s).i32Const(3).i32Shl().i32Add().i32Load(0).i32Add().localSet(p0);
      f.localGet(xs).localGet(taps).localGet(s).i32Const(3).i32Shl().i32Add().i32Load(4).i32Add().localSet(p1);
      f.localGet(n4).localSet(n);
      f.loop();
      f.localGet(py).v128Load(0, 2).localSet(d[0]);
      f.localGet(py).localGet(ldy).i32Add().v128Load(0, 2).localSet(d[1]);
      f.localGet(py).localGet(l2).i32Add().v128Load(0, 2).localSet(d[2]);
      f.localGet(py).localGet(l3).i32Add().v128Load(0, 2).localSet(d[3]);
      f.localGet(p0).v128Load(0, 2).localSet(x0);
      f.localGet(p1).v128Load(0, 2).localSet(x1);
      for (let r = 0; r < 4; r++) {
        f.localGet(acc[2 * r]).localGet(d[r]).localGet(x0).f32x4Mul().f32x4Add().localSet(acc[2 * r]);
        f.localGet(acc[2 * r + 1]).localGet(d[r]).localGet(x1).f32x4Mul().f32x4Add().localSet(acc[2 * r + 1]);
      }
      f.localGet(py).i32Const(16).i32Add().localSet(py);
      f.localGet(p0).i32Const(16).i32Add().localSet(p0);
      f.localGet(p1).i32Const(16).i32Add().localSet(p1);
      f.localGet(n).i32Const(1).i32Sub().localTee(n).brIf(0);
      f.end();
      for (let v = 0; v < 8; v++) f.localGet(ap).localGet(acc[v]).v128Store(16 * v);
      f.localGet(s).i32Const(1).i32Add().localTee(s).localGet(tp).i32LtS().brIf(0);
      f.end();
      f.localGet(i).i32Const(1).i32Add().localTee(i).localGet(mp).i32LtS().brIf(0);
      f.end();
    });
  }

  // copy2d(src, sRow, sCol, dst, dRow, dCol, rows, cols, bias, acc): dst[r·dRow + c·dCol] =
  // src[r·sRow + c·sCol] + bias (+ the old dst when acc), strides in bytes; rows, cols ≥ 1.
  {
    const [src, sRow, sCol, dst, dRow, dCol, rows, cols, bias, accf] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const [ps, pd, c] = [10, 11, 12];
    m.func('copy2d', [...i32s(8), F32, I32], [], i32s(3), (f: Code) => {
      f.loop();
      f.localGet(src).localSet(ps);
      f.localGet(dst).localSet(pd);
      f.localGet(cols).localSet(c);
      f.localGet(accf).if();
      f.loop();
      f.localGet(pd).localGet(ps).f32Load(0).localGet(bias).f32Add().localGet(pd).f32Load(0).f32Add().f32Store(0);
      f.localGet(ps).localGet(sCol).i32Add().localSet(ps);
      f.localGet(pd).localGet(dCol).i32Add().localSet(pd);
      f.localGet(c).i32Const(1).i32Sub().localTee(c).brIf(0);
      f.end();
      f.else();
      f.loop();
      f.localGet(pd).localGet(ps).f32Load(0).localGet(bias).f32Add().f32Store(0);
      f.localGet(ps).localGet(sCol).i32Add().localSet(ps);
      f.localGet(pd).localGet(dCol).i32Add().localSet(pd);
      f.localGet(c).i32Const(1).i32Sub().localTee(c).brIf(0);
      f.end();
      f.end();
      f.localGet(src).localGet(sRow).i32Add().localSet(src);
      f.localGet(dst).localGet(dRow).i32Add().localSet(dst);
      f.localGet(rows).i32Const(1).i32Sub().localTee(rows).brIf(0);
      f.end();
    });
  }

  // dgrad(wt, dy, ldy, taps, dxs, mp, np, ko): for each 8-position panel j (outer) and 4-tap
  // panel i (inner), acc[r][0..7] = Σ_o wt[i][o][r]·dy[o·ldy + 8j .. +8], then
  // dxs[8j + taps[4i + r] .. +8] += acc[r].
  {
    const [wt, dy, ldy, taps, dxs, mp, np, ko] = [0, 1, 2, 3, 4, 5, 6, 7];
    const [j, i, pa, pb, k, pt, dj, addr, xj] = [8, 9, 10, 11, 12, 13, 14, 15, 16];
    const acc = [17, 18, 19, 20, 21, 22, 23, 24];
    const va = 25, b0 = 26, b1 = 27;
    m.func('dgrad', i32s(8), [], [...i32s(9), ...v128s(11)], (f: Code) => {
      f.i32Const(0).localSet(j);
      f.loop();
      f.localGet(dy).localGet(j).i32Const(5).i32Shl().i32Add().localSet(dj);
      f.localGet(dxs).localGet(j).i32Const(5).i32Shl().i32Add().localSet(xj);
      f.i32Const(0).localSet(i);
      f.loop();
      f.localGet(wt).localGet(i).localGet(ko).i32Mul().i32Const(4).i32Shl().i32Add().localSet(pa);
      f.localGet(dj).localSet(pb);
      f.localGet(ko).localSet(k);
      for (const r of acc) f.v128ConstF32(0).localSet(r);
      f.loop();
      f.localGet(pb).v128Load(0, 2).localSet(b0);
      f.localGet(pb).v128Load(16, 2).localSet(b1);
      for (let r = 0; r < 4; r++) {
        f.localGet(pa).v128Load32Splat(4 * r).localSet(va);
        f.localGet(acc[2 * r]).localGet(va).localGet(b0).f32x4Mul().f32x4Add().localSet(acc[2 * r]);
        f.localGet(acc[2 * r + 1]).localGet(va).localGet(b1).f32x4Mul().f32x4Add().localSet(acc[2 * r + 1]);
      }
      f.localGet(pa).i32Const(16).i32Add().localSet(pa);
      f.localGet(pb).localGet(ldy).i32Add().localSet(pb);
      f.localGet(k).i32Const(1).i32Sub().localTee(k).brIf(0);
      f.end();
      f.localGet(taps).localGet(i).i32Const(4).i32Shl().i32Add().localSet(pt);
      for (let r = 0; r < 4; r++) {
        f.localGet(xj).localGet(pt).i32Load(4 * r).i32Add().localSet(addr);
        f.localGet(addr).localGet(addr).v128Load(0, 2).localGet(acc[2 * r]).f32x4Add().v128Store(0, 2);
        f.localGet(addr).localGet(addr).v128Load(16, 2).localGet(acc[2 * r + 1]).f32x4Add().v128Store(16, 2);
      }
      f.localGet(i).i32Const(1).i32Add().localTee(i).localGet(mp).i32LtS().brIf(0);
      f.end();
      f.localGet(j).i32Const(1).i32Add().localTee(j).localGet(np).i32LtS().brIf(0);
      f.end();
    });
  }
  // sum(src, n) → f32: Σ of n floats at src, four lanes then the tail, lanes added at the end.
  {
    const [src, n] = [0, 1];
    const [p, e] = [2, 3];
    const acc = 4, t = 5;
    m.func('sum', i32s(2), [F32], [...i32s(2), V128, F32], (f: Code) => {
      f.v128ConstF32(0).localSet(acc);
      f.localGet(src).localSet(p);
      f.localGet(src).localGet(n).i32Const(-4).i32And().i32Const(2).i32Shl().i32Add().localSet(e);
      f.block();
      f.localGet(p).localGet(e).i32GeS().brIf(0);
      f.loop();
      f.localGet(acc).localGet(p).v128Load(0, 2).f32x4Add().localSet(acc);
      f.localGet(p).i32Const(16).i32Add().localTee(p).localGet(e).i32LtS().brIf(0);
      f.end();
      f.end();
      f.localGet(acc).f32x4ExtractLane(0).localGet(acc).f32x4ExtractLane(1).f32Add()
        .localGet(acc).f32x4ExtractLane(2).localGet(acc).f32x4ExtractLane(3).f32Add().f32Add().localSet(t);
      f.localGet(src).localGet(n).i32Const(2).i32Shl().i32Add().localSet(e);
      f.block();
      f.localGet(p).localGet(e).i32GeS().brIf(0);
      f.loop();
      f.localGet(t).localGet(p).f32Load(0).f32Add().localSet(t);
      f.localGet(p).i32Const(4).i32Add().localTee(p).localGet(e).i32LtS().brIf(0);
      f.end();
      f.end();
      f.localGet(t);
    });
  }
  // zero(dst, n4): n4 ≥ 1 vectors of zeros at dst.
  m.func('zero', i32s(2), [], [], (f: Code) => {
    f.loop();
    f.localGet(0).v128ConstF32(0).v128Store(0, 2);
    f.localGet(0).i32Const(16).i32Add().localSet(0);
    f.localGet(1).i32Const(1).i32Sub().localTee(1).brIf(0);
    f.end();
  });
  // unpool(dst, dy, out, am, n, P): one plane of maxPool2dBackward with its reluOut, into zeros: dst[0 … P) = 0,
  // then dst[am[i]] = 0 + dy[i] where !(out[i] ≤ 0) (else 0) for i < n with am[i] ≥ 0; the
  // windows do not overlap, so each tap is written once (the JS kernel's += on zeros, bit for bit).
  {
    const [dst, dy, out, am, n, P] = [0, 1, 2, 3, 4, 5];
    const [i, a] = [6, 7];
    m.func('unpool', i32s(6), [], i32s(2), (f: Code) => {
      f.i32Const(0).localSet(i);
      f.block();
      f.loop();
      f.localGet(i).i32Const(4).i32Add().localGet(P).i32GtS().brIf(1);
      f.localGet(dst).localGet(i).i32Const(2).i32Shl().i32Add().v128ConstF32(0).v128Store(0, 2);
      f.localGet(i).i32Const(4).i32Add().localSet(i);
      f.br(0);
      f.end();
      f.end();
      f.block();
      f.loop();
      f.localGet(i).localGet(P).i32GeS().brIf(1);
      f.localGet(dst).localGet(i).i32Const(2).i32Shl().i32Add().f32Const(0).f32Store(0);
      f.localGet(i).i32Const(1).i32Add().localSet(i);
      f.br(0);
      f.end();
      f.end();
      f.i32Const(0).localSet(i);
      f.block();
      f.loop();
      f.localGet(i).localGet(n).i32GeS().brIf(1);
      f.localGet(am).localGet(i).i32Const(2).i32Shl().i32Add().i32Load(0).localTee(a).i32Const(0).i32GeS().if();
      f.localGet(dst).localGet(a).i32Const(2).i32Shl().i32Add();
      f.f32Const(0).localGet(dy).localGet(i).i32Const(2).i32Shl().i32Add().f32Load(0).f32Add();
      f.f32Const(0);
      f.localGet(out).localGet(i).i32Const(2).i32Shl().i32Add().f32Load(0).f32Const(0).raw(F32_LE).i32Eqz();
      f.select().f32Store(0);
      f.end();
      f.localGet(i).i32Const(1).i32Add().localSet(i);
      f.br(0);
      f.end();
      f.end();
    });
  }
  // exec(chunk, idx, ops): runs the plan's ops idx[chunk] … idx[chunk + 1] − 1, each OP_WORDS
  // words at ops (an opcode, then the callee's arguments; see Plan). The chunk function of runChunks.
  {
    const [chunk, idx, ops] = [0, 1, 2];
    const [p, e, code] = [3, 4, 5];
    const ids = { copy2d: 2, fwd: 0, wgrad: 1, dgrad: 3, sum: 4, zero: 5, unpool: 6 };
    m.func('exec', i32s(3), [], i32s(3), (f: Code) => {
      const arg = (k: number): Code => f.localGet(p).i32Load(4 + 4 * k);
      f.localGet(ops).localGet(idx).localGet(chunk).i32Const(2).i32Shl().i32Add().i32Load(0).i32Const(OP_WORDS * 4).i32Mul().i32Add().localSet(p);
      f.localGet(ops).localGet(idx).localGet(chunk).i32Const(2).i32Shl().i32Add().i32Load(4).i32Const(OP_WORDS * 4).i32Mul().i32Add().localSet(e);
      f.block();
      f.loop();
      f.localGet(p).localGet(e).i32GeS().brIf(1);
      f.localGet(p).i32Load(0).localSet(code);
      f.localGet(code).i32Const(OP_COPY).i32Eq().if();
      for (let k = 0; k < 8; k++) arg(k);
      f.localGet(p).f32Load(4 + 4 * 8);
      arg(9);
      f.call(ids.copy2d);
      f.end();
      for (const [op, fn] of [[OP_FWD, ids.fwd], [OP_WGRAD, ids.wgrad], [OP_DGRAD, ids.dgrad]] as const) {
        f.localGet(code).i32Const(op).i32Eq().if();
        for (let k = 0; k < 8; k++) arg(k);
        f.call(fn);
        f.end();
      }
      f.localGet(code).i32Const(OP_SUM).i32Eq().if();
      arg(2);
      arg(0);
      arg(1);
      f.call(ids.sum).f32Store(0);
      f.end();
      f.localGet(code).i32Const(OP_ZERO).i32Eq().if();
      arg(0);
      arg(1);
      f.call(ids.zero);
      f.end();
      f.localGet(code).i32Const(OP_UNPOOL).i32Eq().if();
      for (let k = 0; k < 6; k++) arg(k);
      f.call(ids.unpool);
      f.end();
      f.localGet(p).i32Const(OP_WORDS * 4).i32Add().localSet(p);
      f.br(0);
      f.end();
      f.end();
    });
  }
  return m.build();
}

/** Words per op of a {@link Plan}: the opcode and up to ten arguments (one spare). */
const OP_WORDS = 12;
const OP_FWD = 0, OP_WGRAD = 1, OP_COPY = 2, OP_DGRAD = 3, OP_SUM = 4, OP_ZERO = 5, OP_UNPOOL = 6;
/** f32.le (the encoder has no method for it). */
const F32_LE = 0x5f;

/**
 * The work of a call as a list of module calls per chunk (chunks of images fixed by the shape),
 * written into the memory and run by the `exec` export through runChunks, so the staging copies,
 * the products and the copies back of each image run on whichever thread claims its chunk. Ops
 * of a chunk run in order; chunks touch disjoint scratch and outputs. Addresses in bytes.
 */
class Plan {
  private buf = new Int32Array(OP_WORDS * 256);
  private f32 = new Float32Array(this.buf.buffer);
  /** Ops so far. */
  n = 0;
  /** Op index at which each chunk starts, then the total. */
  starts: number[] = [0];

  /** Starts a new plan; for a plan that will run in parallel, wakes the workers, which poll while the call stages its operands. */
  reset(parallel: boolean): void {
    this.n = 0;
    this.starts = [0];
    if (parallel) wakeWorkers();
  }

  private at(): number {
    if ((this.n + 1) * OP_WORDS > this.buf.length) {
      const b = new Int32Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
      this.f32 = new Float32Array(b.buffer);
    }
    return this.n++ * OP_WORDS;
  }

  /** Appends `code(a0, …)` (integer arguments). */
  op(code: number, a0: number, a1: number, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0): void {
    const k = this.at(), b = this.buf;
    b[k] = code; b[k + 1] = a0; b[k + 2] = a1; b[k + 3] = a2; b[k + 4] = a3;
    b[k + 5] = a4; b[k + 6] = a5; b[k + 7] = a6; b[k + 8] = a7;
  }

  /** copy2d with its arguments, as a {@link Copy2d} (for stageCopy and stageDy). */
  readonly copy: Copy2d = (src, sRow, sCol, dst, dRow, dCol, rows, cols, bias, acc) => {
    const k = this.at(), b = this.buf;
    b[k] = OP_COPY; b[k + 1] = src; b[k + 2] = sRow; b[k + 3] = sCol; b[k + 4] = dst;
    b[k + 5] = dRow; b[k + 6] = dCol; b[k + 7] = rows; b[k + 8] = cols; this.f32[k + 9] = bias; b[k + 10] = acc;
  };

  /** Closes the current chunk. */
  endChunk(): void {
    this.starts.push(this.n);
  }

  /** Floats the plan takes in the memory (chunk starts, then the ops). */
  get floats(): number {
    return al(this.starts.length) + this.n * OP_WORDS;
  }

  /**
   * Writes the plan at float offset `at` (memory sized for {@link floats}) and runs its chunks,
   * in parallel when `parallel`.
   */
  run(ints: Int32Array, at: number, parallel: boolean): void {
    for (let c = 0; c < this.starts.length; c++) ints[at + c] = this.starts[c];
    const ops = at + al(this.starts.length);
    ints.set(this.buf.subarray(0, this.n * OP_WORDS), ops);
    runChunks(moduleId, 'exec', this.starts.length - 1, [at * 4, ops * 4], parallel);
  }
}
const plan = new Plan();

/** At most this many chunks of images per call (enough for balance on a few threads). */
const MAX_IMAGE_CHUNKS = 16;
/** Floats of per-chunk scratch a call may take in all (16 MiB): fewer chunks for large images. */
const SCRATCH_FLOATS = 1 << 22;
/** Multiply-adds from which a call wakes the workers (the GEMM's threshold, 64·64·128). */
const PARALLEL_MIN_WORK = 64 * 64 * 128;

/**
 * Chunks of images for a batch of B, each chunk needing `scratch` floats of its own: a function of
 * the shape only (never of the thread count). Returns [chunks, images per chunk].
 */
function imageChunks(B: number, scratch: number): [number, number] {
  const most = Math.max(1, Math.min(B, MAX_IMAGE_CHUNKS, Math.floor(SCRATCH_FLOATS / scratch)));
  const per = Math.ceil(B / most);
  return [Math.ceil(B / per), per];
}

type Copy2d = (src: number, sRow: number, sCol: number, dst: number, dRow: number, dCol: number, rows: number, cols: number, bias: number, acc: number) => void;
let mod: WebAssembly.Instance | null = null;
let moduleId = -1;
/** Milliseconds the first call spent building and compiling the module (for the startup figure). */
export let convCompileMs = 0;

/** Compiles the module on first use and makes it known to the threads (threads.ts). */
function getModule(): void {
  if (mod === null) {
    const t0 = performance.now();
    const module = new WebAssembly.Module(buildConvModule());
    mod = new WebAssembly.Instance(module, { env: { mem: wasmMemory() } });
    moduleId = registerModule(module, mod);
    convCompileMs = performance.now() - t0;
  }
}

/**
 * Floats of dense input and output a call stages at most (64 MiB): larger batches are run in
 * chunks of images, so the memory stays near the size of one chunk. Internal; tests lower it.
 */
export const convStaging = { maxFloats: 1 << 24 };

/** Images per chunk when one image stages `perImage` floats (at least one). */
function batchChunk(perImage: number): number {
  return Math.max(1, Math.floor(convStaging.maxFloats / perImage));
}

/** Rounds a float offset up to 16 floats (64 bytes), so every region starts on a cache line. */
const al = (n: number): number => (n + 15) & ~15;

let i32: Int32Array = new Int32Array(0);
/** An Int32Array over the same buffer as `mem`. */
function i32View(mem: Float32Array): Int32Array {
  if (i32.buffer !== mem.buffer) i32 = new Int32Array(mem.buffer);
  return i32;
}

/** Stride-phase layout of one staged image (see the module comment). Sizes in floats. */
interface Stage {
  /** Width of a phase plane. */
  Wq: number;
  /** Floats of one phase plane (Hq·Wq). */
  plane: number;
  /** Position index q = oh·Wq + ow; Nq = OH·Wq positions (with the dropped ones). */
  Nq: number;
  /** Nq rounded up to 8 (the forward and input-gradient panels, the staged dy rows). */
  Nq8: number;
  /** Floats of the staged image with its zero tail: every load q + t + 8 with q < Nq8 stays inside. */
  len: number;
  /** Floats per channel (SH·SW planes). */
  chan: number;
}

function stageOf(g: ConvGeom): Stage {
  const { H, W, KH, KW, OH, OW, SH, SW, PH, PW, DH, DW, C } = g;
  const Hp = Math.max((OH - 1) * SH + (KH - 1) * DH + 1, PH + H);
  const Wp = Math.max((OW - 1) * SW + (KW - 1) * DW + 1, PW + W);
  const Hq = Math.ceil(Hp / SH), Wq = Math.ceil(Wp / SW), plane = Hq * Wq;
  const Nq = OH * Wq, Nq8 = (Nq + 7) & ~7;
  const chan = SH * SW * plane;
  return { Wq, plane, Nq, Nq8, len: C * chan + Nq8 + 16, chan };
}

/** Tap offsets in bytes, t = plane(c, phase) + row + column (see the module comment), padded with 0 up to n. */
function tapOffsets(dst: Int32Array, at: number, g: ConvGeom, s: Stage, n: number): void {
  const { C, KH, KW, SH, SW, DH, DW } = g;
  let k = at;
  for (let c = 0; c < C; c++) {
    for (let kh = 0; kh < KH; kh++) {
      const dh = kh * DH, a = dh % SH, rowPart = c * s.chan + a * SW * s.plane + ((dh - a) / SH) * s.Wq;
      for (let kw = 0; kw < KW; kw++) {
        const dw = kw * DW, b = dw % SW;
        dst[k++] = (rowPart + b * s.plane + (dw - b) / SW) * 4;
      }
    }
  }
  for (; k < at + n; k++) dst[k] = 0;
}

/**
 * Copies one image (C, H, W) between its dense form at `dense` and its staged form at `staged`
 * (both float offsets in the memory), phase by phase with copy2d: `toStage` stages it (the zero
 * border is left as it is), otherwise the staged gradient is added into the dense image.
 */
function stageCopy(copy2d: Copy2d, dense: number, staged: number, g: ConvGeom, s: Stage, toStage: boolean): void {
  const { C, H, W, SH, SW, PH, PW } = g;
  for (let c = 0; c < C; c++) {
    for (let a = 0; a < SH; a++) {
      const h0 = (((a - PH) % SH) + SH) % SH;
      if (h0 >= H) continue;
      const rows = Math.ceil((H - h0) / SH), i0 = (h0 + PH - a) / SH;
      for (let b = 0; b < SW; b++) {
        const w0 = (((b - PW) % SW) + SW) % SW;
        if (w0 >= W) continue;
        const cols = Math.ceil((W - w0) / SW), j0 = (w0 + PW - b) / SW;
        const d = 4 * (dense + (c * H + h0) * W + w0), st = 4 * (staged + c * s.chan + (a * SW + b) * s.plane + i0 * s.Wq + j0);
        if (toStage) copy2d(d, 4 * SH * W, 4 * SW, st, 4 * s.Wq, 4, rows, cols, 0, 0);
        else copy2d(st, 4 * s.Wq, 4, d, 4 * SH * W, 4 * SW, rows, cols, 0, 1);
      }
    }
  }
}

/** Stages the OCg rows of one image's dy (OCg, OH, OW) at `dense` as rows of Nq8 floats (q = oh·Wq + ow) at `rows`. */
function stageDy(copy2d: Copy2d, dense: number, rows: number, OCg: number, g: ConvGeom, s: Stage): void {
  const { OH, OW } = g;
  for (let o = 0; o < OCg; o++) copy2d(4 * (dense + o * OH * OW), 4 * OW, 4, 4 * (rows + o * s.Nq8), 4 * s.Wq, 4, OH, OW, 0, 0);
}

/** True when the JS kernel takes this geometry: pointwise (one `gemm`) or depthwise (direct loops). */
function jsPath(g: ConvGeom, OC: number, G: number): boolean {
  const pointwise = g.KH === 1 && g.KW === 1 && g.SH === 1 && g.SW === 1 && g.PH === 0 && g.PW === 0 && g.OH === g.H && g.OW === g.W;
  return pointwise || (g.C === 1 && OC === G);
}

/**
 * conv2d forward on the wasm backend: the signature and contract of the JS `conv2dForward`
 * (x (B, G·Cg, H, W), w (OC, Cg, KH, KW), bias (OC) or null, out (B, OC, OH, OW), overwritten
 * or accumulated; with `relu`, max(out, 0) taken while the output is still in the wasm memory;
 * with `pool`, out is (B, OC, ⌊OH/2⌋, ⌊OW/2⌋), the 2×2 stride-2 max pool of that output, taken in
 * the wasm memory too, so the full-size output is never copied out; its argmax is copied to `pool`
 * when that is an Int32Array).
 * Results within float32 rounding of a Cg·KH·KW-term sum.
 */
export function wasmConv2dForward(
  out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, B: number, OC: number, G: number, g: ConvGeom,
  accumulate = false, relu = false, pool: boolean | Int32Array = false,
): void {
  if (jsPath(g, OC, G) || B === 0 || (pool !== false && (g.OH < 2 || g.OW < 2))) {
    jsConv2dForward(out, x, w, bias, B, OC, G, g, accumulate, relu, pool);
    return;
  }
  const { C: Cg, H, W, KH, KW, OH, OW } = g;
  const OCg = OC / G, Kc = Cg * KH * KW, P = OH * OW, Mp = (OCg + 3) & ~3, HW = H * W;
  const chunk = batchChunk(G * Cg * HW + OC * P);
  if (B > chunk) {
    const outPer = pool !== false ? OC * (OH >> 1) * (OW >> 1) : OC * P;
    for (let b0 = 0; b0 < B; b0 += chunk) {
      const nb = Math.min(chunk, B - b0);
      const am = typeof pool === 'boolean' ? pool : pool.subarray(b0 * outPer, (b0 + nb) * outPer);
      wasmConv2dForward(out.subarray(b0 * outPer, (b0 + nb) * outPer), x.subarray(b0 * G * Cg * HW, (b0 + nb) * G * Cg * HW), w, bias, nb, OC, G, g, accumulate, relu, am);
    }
    return;
  }
  getModule();
  const s = stageOf(g);
  const { Nq8, Wq } = s;
  const nx = B * G * Cg * HW, no = B * OC * P;
  // Regions (floats): packed weights of every group, taps, then per chunk of images its staged
  // image and output tile rows, dense x, dense out (with 8 floats of slack for the pool), the plan.
  const xsLen = al(s.len), scr = xsLen + al(Mp * Nq8);
  const [nCh, per] = imageChunks(B, scr);
  const wpB = 0, tapB = al(G * Mp * Kc), sc0 = al(tapB + Kc), X = sc0 + nCh * scr, O = al(X + nx), PL = al(O + no + 8);
  const parallel = B * G * Mp * Nq8 * Kc >= PARALLEL_MIN_WORK;
  plan.reset(parallel);
  for (let k = 0; k < nCh; k++) {
    const xsB = sc0 + k * scr, cB = xsB + xsLen;
    for (let b = k * per; b < Math.min(B, (k + 1) * per); b++) {
      for (let gi = 0; gi < G; gi++) {
        stageCopy(plan.copy, X + (b * G + gi) * Cg * HW, xsB, g, s, true);
        plan.op(OP_FWD, (wpB + gi * Mp * Kc) * 4, xsB * 4, tapB * 4, cB * 4, Mp >> 2, Nq8 >> 3, Kc, Nq8 * 4);
        for (let o = 0; o < OCg; o++) {
          const oc = gi * OCg + o;
          plan.copy(4 * (cB + o * Nq8), 4 * Wq, 4, 4 * (O + (b * OC + oc) * P), 4 * OW, 4, OH, OW, bias === null ? 0 : bias[oc], accumulate ? 1 : 0);
        }
      }
    }
    plan.endChunk();
  }
  ensureBytes((PL + plan.floats) * 4);
  const mem = f32View(), ints = i32View(mem);
  tapOffsets(ints, tapB, g, s, Kc);
  for (let k = 0; k < nCh; k++) mem.fill(0, sc0 + k * scr, sc0 + k * scr + s.len);
  mem.set(x.subarray(0, nx), X);
  if (accumulate) mem.set(out.subarray(0, no), O);
  for (let gi = 0; gi < G; gi++) {
    for (let i = 0; i < Mp; i += 4) {
      for (let r = 0; r < 4; r++) {
        const o = i + r, d = wpB + gi * Mp * Kc + i * Kc + r;
        if (o < OCg) {
          const src = (gi * OCg + o) * Kc;
          for (let k = 0; k < Kc; k++) mem[d + 4 * k] = w[src + k];
        } else for (let k = 0; k < Kc; k++) mem[d + 4 * k] = 0;
      }
    }
  }
  plan.run(ints, PL, parallel);
  if (relu) wasmReluInMemory(O, no);
  // The plan has run: the pool's outputs may take its place.
  if (pool !== false) wasmMaxPoolInMemory(O, PL, B * OC, OH, OW, OH >> 1, OW >> 1, out, pool === true ? null : pool);
  else out.set(mem.subarray(O, O + no));
}

/**
 * The pooled side of a fused conv2d + ReLU + 2×2 max pool: the pooled output and its argmax, each
 * (B, OC, ⌊OH/2⌋, ⌊OW/2⌋), with which a gradient of the pooled output becomes the convolution's
 * output gradient (`maxPool2dBackward` with the ReLU's mask).
 */
interface Unpool {
  out: Float32Array;
  argmax: Int32Array;
}

/**
 * dw[o, k] += Σ_{b, p} dy[b, o, p]·cols_b[k, p] on the wasm backend (the weight gradient of
 * {@link wasmConv2dForward}), and dbias[o] += Σ_{b, p} dy[b, o, p] unless dbias is null (each
 * image's row summed in f32x4 lanes, the rows added in float64); the caller has ruled out the
 * JS path. With `unpool`, dy is the gradient of the pooled output, and each image's dense dy is
 * built from it in the memory, inside the image's chunk (`maxPool2dBackward` with the ReLU's mask, in wasm).
 */
function wasmWeightGrad(dw: Float32Array, dbias: Float32Array | null, dy: Float32Array, x: Float32Array, B: number, OC: number, G: number, g: ConvGeom, unpool: Unpool | null = null): void {
  const { C: Cg, H, W, KH, KW, OH, OW } = g;
  const OCg = OC / G, Kc = Cg * KH * KW, P = OH * OW, Mp = (OCg + 3) & ~3, HW = H * W;
  // Pooled outputs per plane, and the dy floats per image as given.
  const PP = unpool === null ? 0 : (OH >> 1) * (OW >> 1), dyPer = OC * (unpool === null ? P : PP);
  // The batch is split as without unpool (so the sums, and the result, are the same bits); the
  // pooled arrays add at most three quarters of dy's floats to a call's memory.
  const chunk = batchChunk(G * Cg * HW + OC * P);
  if (B > chunk) {
    for (let b0 = 0; b0 < B; b0 += chunk) {
      const nb = Math.min(chunk, B - b0), d0 = b0 * dyPer, d1 = (b0 + nb) * dyPer;
      const part = unpool === null ? null : { out: unpool.out.subarray(d0, d1), argmax: unpool.argmax.subarray(d0, d1) };
      wasmWeightGrad(dw, dbias, dy.subarray(d0, d1), x.subarray(b0 * G * Cg * HW, (b0 + nb) * G * Cg * HW), nb, OC, G, g, part);
    }
    return;
  }
  getModule();
  const s = stageOf(g);
  const n4 = (s.Nq + 3) >> 2, Kp = (Kc + 1) & ~1, tp = Kp >> 1;
  const nx = B * G * Cg * HW, ny = B * OC * P;
  // Regions (floats): taps, then per chunk of images its staged image, staged dy rows and one set
  // of accumulators per group (the chunk's partial sums), dense x, dense dy, the bias sums of
  // every (image, channel), the plan.
  const accLen = (Mp >> 2) * tp * 32, xsLen = al(s.len), dyLen = al(Mp * s.Nq8), scr = xsLen + dyLen + G * accLen;
  const [nCh, per] = imageChunks(B, scr);
  // With unpool, then the pooled dy, output and argmax.
  const np = B * OC * PP;
  const tapB = 0, sc0 = al(Kp), X = sc0 + nCh * scr, Y = al(X + nx), DB = al(Y + ny), DYP = al(DB + (dbias === null ? 0 : B * OC));
  const OUTP = al(DYP + np), AMP = al(OUTP + np), PL = al(AMP + np);
  const parallel = B * G * Mp * s.Nq8 * Kc >= PARALLEL_MIN_WORK;
  plan.reset(parallel);
  for (let k = 0; k < nCh; k++) {
    const xsB = sc0 + k * scr, dyB = xsB + xsLen, accB = dyB + dyLen;
    for (let b = k * per; b < Math.min(B, (k + 1) * per); b++) {
      if (unpool !== null) {
        for (let o = 0; o < OC; o++) {
          const q = (b * OC + o) * PP;
          plan.op(OP_UNPOOL, 4 * (Y + (b * OC + o) * P), 4 * (DYP + q), 4 * (OUTP + q), 4 * (AMP + q), PP, P);
        }
      }
      for (let gi = 0; gi < G; gi++) {
        stageCopy(plan.copy, X + (b * G + gi) * Cg * HW, xsB, g, s, true);
        stageDy(plan.copy, Y + (b * OC + gi * OCg) * P, dyB, OCg, g, s);
        plan.op(OP_WGRAD, dyB * 4, s.Nq8 * 4, xsB * 4, tapB * 4, (accB + gi * accLen) * 4, Mp >> 2, tp, n4);
      }
      if (dbias !== null) for (let o = 0; o < OC; o++) plan.op(OP_SUM, 4 * (Y + (b * OC + o) * P), P, 4 * (DB + b * OC + o));
    }
    plan.endChunk();
  }
  ensureBytes((PL + plan.floats) * 4);
  const mem = f32View(), ints = i32View(mem);
  tapOffsets(ints, tapB, g, s, Kp);
  mem.fill(0, sc0, X);
  mem.set(x.subarray(0, nx), X);
  if (unpool === null) mem.set(dy.subarray(0, ny), Y);
  else {
    mem.set(dy.subarray(0, np), DYP);
    mem.set(unpool.out.subarray(0, np), OUTP);
    ints.set(unpool.argmax.subarray(0, np), AMP);
  }
  plan.run(ints, PL, parallel);
  // The partial sums of the chunks, added in chunk order (each chunk's four lanes first).
  for (let gi = 0; gi < G; gi++) {
    for (let o = 0; o < OCg; o++) {
      const i = o >> 2, r = o & 3, row = (gi * OCg + o) * Kc;
      for (let k = 0; k < Kc; k++) {
        const v0 = sc0 + xsLen + dyLen + gi * accLen + ((i * tp + (k >> 1)) * 8 + 2 * r + (k & 1)) * 4;
        let t = 0;
        for (let c = 0, v = v0; c < nCh; c++, v += scr) t += mem[v] + mem[v + 1] + mem[v + 2] + mem[v + 3];
        dw[row + k] += t;
      }
    }
  }
  if (dbias !== null) {
    for (let o = 0; o < OC; o++) {
      let t = 0;
      for (let b = 0; b < B; b++) t += mem[DB + b * OC + o];
      dbias[o] += t;
    }
  }
}

let flipBuf = new Float32Array(0);
/**
 * dx += col2im(wᵀ·dy) on the wasm backend (the input gradient of {@link wasmConv2dForward});
 * the caller has ruled out the JS path.
 */
function wasmInputGrad(dx: Float32Array, dy: Float32Array, w: Float32Array, B: number, OC: number, G: number, g: ConvGeom): void {
  // Stride 1 with four or more input channels per group: dx is the forward convolution of dy with
  // the kernel flipped and its channel axes swapped (no scatter epilogue; 1.5 → 1.1 ms on the
  // bench CNN's second layer). With fewer channels that forward's four-row tiles would be mostly
  // padding, and the scatter path is faster (0.7 against 1.3 ms on its first layer).
  if (g.C >= 4 && g.SH === 1 && g.SW === 1 && g.PH <= (g.KH - 1) * g.DH && g.PW <= (g.KW - 1) * g.DW) {
    const { C: Cg, KH, KW } = g;
    const OCg = OC / G, KK = KH * KW;
    if (flipBuf.length < OC * Cg * KK) flipBuf = new Float32Array(OC * Cg * KK);
    for (let gi = 0; gi < G; gi++) {
      for (let o = 0; o < OCg; o++) {
        for (let c = 0; c < Cg; c++) {
          const src = ((gi * OCg + o) * Cg + c) * KK, dst = ((gi * Cg + c) * OCg + o) * KK;
          for (let t = 0; t < KK; t++) flipBuf[dst + KK - 1 - t] = w[src + t];
        }
      }
    }
    const gT: ConvGeom = {
      C: OCg, H: g.OH, W: g.OW, KH, KW, OH: g.H, OW: g.W, SH: 1, SW: 1,
      PH: (KH - 1) * g.DH - g.PH, PW: (KW - 1) * g.DW - g.PW, DH: g.DH, DW: g.DW,
    };
    wasmConv2dForward(dx, dy, flipBuf, null, B, G * Cg, G, gT, true);
    return;
  }
  const { C: Cg, H, W, KH, KW, OH, OW } = g;
  const OCg = OC / G, Kc = Cg * KH * KW, P = OH * OW, Kp = (Kc + 3) & ~3, HW = H * W;
  const chunk = batchChunk(G * Cg * HW + OC * P);
  if (B > chunk) {
    for (let b0 = 0; b0 < B; b0 += chunk) {
      const nb = Math.min(chunk, B - b0);
      wasmInputGrad(dx.subarray(b0 * G * Cg * HW, (b0 + nb) * G * Cg * HW), dy.subarray(b0 * OC * P, (b0 + nb) * OC * P), w, nb, OC, G, g);
    }
    return;
  }
  getModule();
  const s = stageOf(g);
  const { Nq8 } = s;
  const nx = B * G * Cg * HW, ny = B * OC * P;
  // Regions (floats): transposed weight panels of every group, taps, then per chunk of images its
  // staged dy rows and staged gradient image, dense dx, dense dy, the plan.
  const dyLen = al(OCg * Nq8), dxLen = al(s.len), scr = dyLen + dxLen;
  const [nCh, per] = imageChunks(B, scr);
  const wtB = 0, tapB = al(G * Kp * OCg), sc0 = al(tapB + Kp), X = sc0 + nCh * scr, Y = al(X + nx), PL = al(Y + ny);
  const parallel = B * G * Kp * Nq8 * OCg >= PARALLEL_MIN_WORK;
  plan.reset(parallel);
  for (let k = 0; k < nCh; k++) {
    const dyB = sc0 + k * scr, dxB = dyB + dyLen;
    for (let b = k * per; b < Math.min(B, (k + 1) * per); b++) {
      for (let gi = 0; gi < G; gi++) {
        stageDy(plan.copy, Y + (b * OC + gi * OCg) * P, dyB, OCg, g, s);
        plan.op(OP_ZERO, dxB * 4, dxLen >> 2);
        plan.op(OP_DGRAD, (wtB + gi * Kp * OCg) * 4, dyB * 4, Nq8 * 4, tapB * 4, dxB * 4, Kp >> 2, Nq8 >> 3, OCg);
        stageCopy(plan.copy, X + (b * G + gi) * Cg * HW, dxB, g, s, false);
      }
    }
    plan.endChunk();
  }
  ensureBytes((PL + plan.floats) * 4);
  const mem = f32View(), ints = i32View(mem);
  tapOffsets(ints, tapB, g, s, Kp);
  mem.fill(0, sc0, X);
  mem.set(dx.subarray(0, nx), X);
  mem.set(dy.subarray(0, ny), Y);
  for (let gi = 0; gi < G; gi++) {
    // wt panel i of group gi: wt[gi·Kp·OCg + (i·OCg + o)·4 + r] = w[o, 4i + r] (zero past Kc).
    for (let o = 0; o < OCg; o++) {
      const src = (gi * OCg + o) * Kc, d0 = wtB + gi * Kp * OCg;
      for (let k = 0; k < Kp; k++) mem[d0 + ((k >> 2) * OCg + o) * 4 + (k & 3)] = k < Kc ? w[src + k] : 0;
    }
  }
  plan.run(ints, PL, parallel);
  dx.set(mem.subarray(X, X + nx));
}

/**
 * Backward of conv2d on the wasm backend, accumulating: dw += dy·colsᵀ, dx += col2im(wᵀ·dy),
 * dbias += Σ_{b, p} dy; the signature and contract of the JS `conv2dBackward` (null skips a
 * gradient). Results within float32 rounding of a B·OH·OW-term (dw, dbias) or OCg·KH·KW-term
 * (dx) sum.
 */
export function wasmConv2dBackward(
  dx: Float32Array | null, dw: Float32Array | null, dbias: Float32Array | null,
  dy: Float32Array, x: Float32Array, w: Float32Array, B: number, OC: number, G: number, g: ConvGeom,
): void {
  if (jsPath(g, OC, G) || B === 0) {
    jsConv2dBackward(dx, dw, dbias, dy, x, w, B, OC, G, g);
    return;
  }
  if (dw !== null) wasmWeightGrad(dw, dbias, dy, x, B, OC, G, g);
  else if (dbias !== null) jsConv2dBackward(null, null, dbias, dy, x, w, B, OC, G, g);
  if (dx !== null) wasmInputGrad(dx, dy, w, B, OC, G, g);
}

/**
 * Backward of the fused conv2d + ReLU + 2×2 max pool on the wasm backend: the signature and
 * contract of the JS `conv2dReluPoolBackward` (dy, out and argmax (B, OC, ⌊OH/2⌋, ⌊OW/2⌋)). When
 * only the weight and bias gradients are wanted (the first layer of a network), the convolution's
 * output gradient is built inside the weight gradient's chunks in the wasm memory, so it is never
 * allocated, scattered or copied in on the calling thread; otherwise it is the JS composite over
 * this backend's kernels.
 */
export function wasmConv2dReluPoolBackward(
  dx: Float32Array | null, dw: Float32Array | null, dbias: Float32Array | null,
  dy: Float32Array, out: Float32Array, argmax: Int32Array, x: Float32Array, w: Float32Array, B: number, OC: number, G: number, g: ConvGeom,
): void {
  if (dx !== null || dw === null || jsPath(g, OC, G) || B === 0) {
    jsConv2dReluPoolBackward(dx, dw, dbias, dy, out, argmax, x, w, B, OC, G, g);
    return;
  }
  wasmWeightGrad(dw, dbias, dy, x, B, OC, G, g, { out, argmax });
}

/**
 * Transposed convolution on the wasm backend (the input gradient of the conv `g` describes, with
 * x in the place of dy, plus the bias); the signature and contract of the JS
 * `convTranspose2dForward`. Overwrites out.
 */
export function wasmConvTranspose2dForward(out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, B: number, Cin: number, G: number, g: ConvGeom): void {
  if (jsPath(g, Cin, G) || B === 0) {
    jsConvTranspose2dForward(out, x, w, bias, B, Cin, G, g);
    return;
  }
  const OC = g.C * G, HW = g.H * g.W;
  out.fill(0, 0, B * OC * HW);
  wasmInputGrad(out, x, w, B, Cin, G, g);
  if (bias !== null) {
    for (let b = 0; b < B; b++) {
      for (let o = 0; o < OC; o++) {
        const bo = bias[o], base = (b * OC + o) * HW;
        for (let p = 0; p < HW; p++) out[base + p] += bo;
      }
    }
  }
}

/**
 * Backward of the transposed convolution on the wasm backend, accumulating: dx += conv2d(dy, w),
 * dw += the conv2d weight gradient with x in the place of dy, dbias += Σ dy; the signature and
 * contract of the JS `convTranspose2dBackward`.
 */
export function wasmConvTranspose2dBackward(
  dx: Float32Array | null, dw: Float32Array | null, dbias: Float32Array | null,
  dy: Float32Array, x: Float32Array, w: Float32Array, B: number, Cin: number, G: number, g: ConvGeom,
): void {
  if (jsPath(g, Cin, G) || B === 0) {
    jsConvTranspose2dBackward(dx, dw, dbias, dy, x, w, B, Cin, G, g);
    return;
  }
  if (dx !== null) wasmConv2dForward(dx, dy, w, null, B, Cin, G, g, true);
  if (dw !== null) wasmWeightGrad(dw, null, x, dy, B, Cin, G, g);
  if (dbias !== null) jsConvTranspose2dBackward(null, null, dbias, dy, x, w, B, Cin, G, g);
}
