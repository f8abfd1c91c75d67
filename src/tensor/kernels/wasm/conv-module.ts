/**
 * The convolution module of the wasm backend, built with the encoder: the kernels `fwd`, `wgrad`,
 * `dgrad`, the strided copy `copy2d`, the row sum `sum`, `zero`, the pool-gradient scatter `unpool`,
 * and `exec`, which runs a chunk of a plan (the op list conv.ts writes into the memory; see its
 * `Plan`). The staging scheme and what each kernel computes are described in conv.ts.
 */
import { F32, I32, ModuleBuilder, V128, type Code, type ValType } from './encoder';
import { emitTileStep } from './gemm';
import { importWasmMemory } from './memory';

/** Words per op of a plan: the opcode and up to ten arguments (one spare). */
export const OP_WORDS = 12;
/** The plan's opcodes: which module function an op calls. */
export const OP_FWD = 0, OP_WGRAD = 1, OP_COPY = 2, OP_DGRAD = 3, OP_SUM = 4, OP_ZERO = 5, OP_UNPOOL = 6;
/** f32.le (the encoder has no method for it). */
const F32_LE = 0x5f;

/** The module: `fwd`, `wgrad`, `copy2d`, `dgrad`, `sum`, `zero`, `unpool` and `exec` (pointers in bytes; see the comments on each). */
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
      emitTileStep(f, pa, va, b0, b1, acc);
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
      emitTileStep(f, pa, va, b0, b1, acc);
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
