/**
 * The wasm backend's recurrent kernels (kernel-table entries `lstmForward`, `lstmBackward`,
 * `gruForward`, `gruBackward`, `rnnForward`, `rnnBackward`): a whole sequence per call, with the
 * contracts of the JS kernels in `kernels/rnn.ts` (which stay the fallback and the oracle's
 * neighbour).
 *
 * Per call the weights are packed into the shared memory once, the input, the initial state and
 * (backward) the saved gates once; then every step runs in wasm and the results are copied out
 * once. The JS kernels instead call `gemm` once per step, and the wasm GEMM stages wHh on each of
 * those calls.
 *
 * - LSTM forward: one function per step. For a tile of 2 batch rows × 4 hidden units it
 *   accumulates all four gates (16 columns: i, f, g, o of units 4q..4q+3, in eight f32x4
 *   accumulators started at the bias) over the concatenated [x_t | h] against a packed
 *   [wIh | wHh] panel, so the input projection needs no pass of its own; then σ, tanh, the cell
 *   and the hidden update happen on the accumulators, and the activated gates are stored once.
 * - LSTM backward: one function per step for the element-wise part (the gate gradients from the
 *   saved gates) and a 2 × 16 product dh₋₁ = dgates·wHh against packed wHh; the weight gradients
 *   stay the large GEMMs of the JS kernel (through the table, so the SIMD GEMM).
 * - GRU and Elman RNN forward: the same 2 × 16 product for the input projection of every position
 *   at once and for each step's h·wHhᵀ, then one element-wise function per step; backward like
 *   the LSTM's (an element-wise function and the dh₋₁ product per step, then the weight GEMMs).
 *
 * Padding: batch rows to a multiple of 2, hidden units to a multiple of 16 (Hp), zeros past the
 * edges of every packed weight, input and state, so padded units stay exactly 0.
 *
 * σ and tanh are one rational approximation (Eigen's `ptanh_float`: clamp to ±7.998811,
 * x·p(x²)/q(x²) with p of degree 6 and q of degree 3 in x²), σ(v) = ½ + ½·tanh(v/2). Evaluated in
 * float32 lanes, its largest error against Math.tanh is 4e-7 absolute over the whole float32 range
 * (near |x| = 5.8), σ's against 1/(1 + e⁻ˣ) is 2.3e-7 (test/tensor/kernels/wasm-rnn.test.ts
 * sweeps both); relative accuracy is kept for small |x|, but σ of a large negative v is an absolute
 * ~1e-7, not e^v. NaN stays NaN; ±Infinity give ±(1 − 1.8e-7) for tanh (the clamp). The
 * whole-sequence results agree with the naive twins within 2e-5·(1 + |x|) (the tests).
 */
import {
  gruBackward as jsGruBackward, gruForward as jsGruForward, lstmBackward as jsLstmBackward, lstmForward as jsLstmForward,
  rnnBackward as jsRnnBackward, rnnForward as jsRnnForward, weightGrads,
} from '../rnn';
import { I32, ModuleBuilder } from './encoder';
import { Locals, emitSigmoid, emitTanh, forLoop } from './math';
import { ensureBytes, f32View, importWasmMemory, wasmMemory } from './memory';

// ---- code generation helpers: Locals, forLoop, emitTanh and emitSigmoid live in math.ts ----

/**
 * Appends `mm(a, lda, w, K, out, ldo, M, P, add)`: out[r, 16p + c] (+)= Σ_k a[r, k]·w[p][k][c]
 * for r < M (even), p < P, c < 16; w panel p holds K rows of 16 floats at w + 64·K·p; lda and ldo
 * are row strides in floats, pointers in bytes. A 2 × 16 tile per pass over K: per k, four vector
 * loads of the panel row and two `v128.load32_splat` of a, eight `f32x4.mul` + `f32x4.add`.
 */
function addMm(m: ModuleBuilder): void {
  const [a, lda, w, K, out, ldo, M, P, add] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const L = new Locals(9);
  const r = L.i32(), p = L.i32(), k = L.i32(), pa0 = L.i32(), pa1 = L.i32(), pw = L.i32(), po = L.i32(), lda4 = L.i32(), ldo4 = L.i32();
  const acc = Array.from({ length: 8 }, () => L.v128());
  const wv = Array.from({ length: 4 }, () => L.v128());
  const s0 = L.v128(), s1 = L.v128();
  m.func('mm', [I32, I32, I32, I32, I32, I32, I32, I32, I32], [], L.list(), (f) => {
    f.localGet(lda).i32Const(2).i32Shl().localSet(lda4);
    f.localGet(ldo).i32Const(2).i32Shl().localSet(ldo4);
    forLoop(f, p, P, 1, () => {
      forLoop(f, r, M, 2, () => {
        f.localGet(a).localGet(r).localGet(lda4).i32Mul().i32Add().localTee(pa0).localGet(lda4).i32Add().localSet(pa1);
        f.localGet(w).localGet(p).localGet(K).i32Mul().i32Const(6).i32Shl().i32Add().localSet(pw);
        f.localGet(out).localGet(r).localGet(ldo4).i32Mul().i32Add().localGet(p).i32Const(6).i32Shl().i32Add().localSet(po);
        f.localGet(add).if();
        for (let c = 0; c < 4; c++) {
          f.localGet(po).v128Load(16 * c).localSet(acc[c]);
          f.localGet(po).localGet(ldo4).i32Add().v128Load(16 * c).localSet(acc[4 + c]);
        }
        f.else();
        for (const x of acc) f.v128ConstF32(0).localSet(x);
        f.end();
        forLoop(f, k, K, 1, () => {
          for (let c = 0; c < 4; c++) f.localGet(pw).v128Load(16 * c).localSet(wv[c]);
          f.localGet(pa0).v128Load32Splat().localSet(s0);
          f.localGet(pa1).v128Load32Splat().localSet(s1);
          for (let c = 0; c < 4; c++) {
            f.localGet(acc[c]).localGet(s0).localGet(wv[c]).f32x4Mul().f32x4Add().localSet(acc[c]);
            f.localGet(acc[4 + c]).localGet(s1).localGet(wv[c]).f32x4Mul().f32x4Add().localSet(acc[4 + c]);
          }
          f.localGet(pa0).i32Const(4).i32Add().localSet(pa0);
          f.localGet(pa1).i32Const(4).i32Add().localSet(pa1);
          f.localGet(pw).i32Const(64).i32Add().localSet(pw);
        });
        for (let c = 0; c < 4; c++) {
          f.localGet(po).localGet(acc[c]).v128Store(16 * c);
          f.localGet(po).localGet(ldo4).i32Add().localGet(acc[4 + c]).v128Store(16 * c);
        }
      });
    });
  });
}

/**
 * Appends `lstmStep(x, C, h, c, hn, cn, gt, w, bias, M, Hp)`: one LSTM step for M (even) rows.
 * x (M, C) the step's input, h, c (M, Hp) the read state, hn, cn (M, Hp) the written state,
 * gt (M, 4Hp) the activated gates in blocks i, f, g, o; w: for unit quad q, C + Hp rows of 16
 * floats (gate-major: i of units 4q..4q+3, then f, g, o) at w + 64·(C + Hp)·q, the x rows first;
 * bias: 16 floats per quad in the same order. Pointers in bytes.
 */
function addLstmStep(m: ModuleBuilder): void {
  const [x, C, h, c, hn, cn, gt, w, bias, M, Hp] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const L = new Locals(11);
  const r = L.i32(), q = L.i32(), k = L.i32(), pa0 = L.i32(), pa1 = L.i32(), pw = L.i32(), ps = L.i32(), pg = L.i32(), hp4 = L.i32(), Q = L.i32(), KW = L.i32();
  const acc = Array.from({ length: 8 }, () => L.v128());
  const wv = Array.from({ length: 4 }, () => L.v128());
  const s0 = L.v128(), s1 = L.v128(), t0 = L.v128(), t1 = L.v128(), cv = L.v128();
  m.func('lstmStep', [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32], [], L.list(), (f) => {
    f.localGet(Hp).i32Const(2).i32Shl().localSet(hp4);
    f.localGet(Hp).i32Const(2).i32ShrU().localSet(Q);
    f.localGet(C).localGet(Hp).i32Add().localSet(KW);
    const sweep = (A: number, lda4: () => void, K: number) => {
      // pa0, pa1 at the tile's two rows of A; accumulate K rows of the panel at pw.
      f.localGet(A).localGet(r).localGet(K === C ? C : Hp).i32Mul().i32Const(2).i32Shl().i32Add().localTee(pa0);
      lda4();
      f.i32Add().localSet(pa1);
      forLoop(f, k, K, 1, () => {
        for (let g = 0; g < 4; g++) f.localGet(pw).v128Load(16 * g).localSet(wv[g]);
        f.localGet(pa0).v128Load32Splat().localSet(s0);
        f.localGet(pa1).v128Load32Splat().localSet(s1);
        for (let g = 0; g < 4; g++) {
          f.localGet(acc[g]).localGet(s0).localGet(wv[g]).f32x4Mul().f32x4Add().localSet(acc[g]);
          f.localGet(acc[4 + g]).localGet(s1).localGet(wv[g]).f32x4Mul().f32x4Add().localSet(acc[4 + g]);
        }
        f.localGet(pa0).i32Const(4).i32Add().localSet(pa0);
        f.localGet(pa1).i32Const(4).i32Add().localSet(pa1);
        f.localGet(pw).i32Const(64).i32Add().localSet(pw);
      });
    };
    forLoop(f, q, Q, 1, () => {
      forLoop(f, r, M, 2, () => {
        for (let g = 0; g < 4; g++) {
          f.localGet(bias).localGet(q).i32Const(6).i32Shl().i32Add().v128Load(16 * g).localTee(acc[g]).localSet(acc[4 + g]);
        }
        f.localGet(w).localGet(q).localGet(KW).i32Mul().i32Const(6).i32Shl().i32Add().localSet(pw);
        sweep(x, () => f.localGet(C).i32Const(2).i32Shl(), C);
        sweep(h, () => f.localGet(hp4), Hp);
        for (let rr = 0; rr < 2; rr++) {
          const [ai, af, ag, ao] = [acc[4 * rr], acc[4 * rr + 1], acc[4 * rr + 2], acc[4 * rr + 3]];
          // ps: the state offset of (row r + rr, units 4q..), pg: the gate row's i block.
          f.localGet(r).i32Const(rr).i32Add().localGet(hp4).i32Mul().localGet(q).i32Const(4).i32Shl().i32Add().localSet(ps);
          f.localGet(gt).localGet(r).i32Const(rr).i32Add().localGet(hp4).i32Const(2).i32Shl().i32Mul().i32Add().localGet(q).i32Const(4).i32Shl().i32Add().localSet(pg);
          f.localGet(ai); emitSigmoid(f, t0, t1); f.localSet(ai);
          f.localGet(af); emitSigmoid(f, t0, t1); f.localSet(af);
          f.localGet(ag); emitTanh(f, t0, t1); f.localSet(ag);
          f.localGet(ao); emitSigmoid(f, t0, t1); f.localSet(ao);
          f.localGet(pg).localGet(ai).v128Store(0);
          f.localGet(pg).localGet(hp4).i32Add().localGet(af).v128Store(0);
          f.localGet(pg).localGet(hp4).i32Const(1).i32Shl().i32Add().localGet(ag).v128Store(0);
          f.localGet(pg).localGet(hp4).i32Const(3).i32Mul().i32Add().localGet(ao).v128Store(0);
          // c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c').
          f.localGet(af).localGet(c).localGet(ps).i32Add().v128Load(0).f32x4Mul()
            .localGet(ai).localGet(ag).f32x4Mul().f32x4Add().localSet(cv);
          f.localGet(cn).localGet(ps).i32Add().localGet(cv).v128Store(0);
          f.localGet(hn).localGet(ps).i32Add().localGet(ao).localGet(cv);
          emitTanh(f, t0, t1);
          f.f32x4Mul().v128Store(0);
        }
      });
    });
  });
}

/**
 * Appends `lstmCells(gt, cn, cp, dy, dh, dc, dg, M, Hp)`: one step of the LSTM backward's
 * element-wise part for M rows: from the saved gates gt (M, 4Hp), the cell states cn (written
 * by the step) and cp (read by it), the output gradient dy and the carried dh, dc (M, Hp), the gate
 * gradients dg (M, 4Hp); dc becomes dc ⊙ f (the carry to the previous step).
 */
function addLstmCells(m: ModuleBuilder): void {
  const [gt, cn, cp, dy, dh, dc, dg, M, Hp] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const L = new Locals(9);
  const r = L.i32(), u = L.i32(), ps = L.i32(), pg = L.i32(), hp4 = L.i32(), n4 = L.i32();
  const vi = L.v128(), vf = L.v128(), vg = L.v128(), vo = L.v128(), tc = L.v128(), vdh = L.v128(), vdc = L.v128(), t0 = L.v128(), t1 = L.v128();
  m.func('lstmCells', [I32, I32, I32, I32, I32, I32, I32, I32, I32], [], L.list(), (f) => {
    f.localGet(Hp).i32Const(2).i32Shl().localSet(hp4);
    f.localGet(Hp).i32Const(2).i32Shl().localSet(n4);
    forLoop(f, r, M, 1, () => {
      forLoop(f, u, n4, 16, () => {
        f.localGet(r).localGet(hp4).i32Mul().localGet(u).i32Add().localSet(ps);
        f.localGet(gt).localGet(r).localGet(hp4).i32Const(2).i32Shl().i32Mul().i32Add().localGet(u).i32Add().localSet(pg);
        f.localGet(pg).v128Load(0).localSet(vi);
        f.localGet(pg).localGet(hp4).i32Add().v128Load(0).localSet(vf);
        f.localGet(pg).localGet(hp4).i32Const(1).i32Shl().i32Add().v128Load(0).localSet(vg);
        f.localGet(pg).localGet(hp4).i32Const(3).i32Mul().i32Add().v128Load(0).localSet(vo);
        f.localGet(cn).localGet(ps).i32Add().v128Load(0);
        emitTanh(f, t0, t1);
        f.localSet(tc);
        f.localGet(dy).localGet(ps).i32Add().v128Load(0).localGet(dh).localGet(ps).i32Add().v128Load(0).f32x4Add().localSet(vdh);
        // dc = dc' + dh ⊙ o ⊙ (1 − tanh²c)
        f.localGet(dc).localGet(ps).i32Add().v128Load(0)
          .localGet(vdh).localGet(vo).f32x4Mul()
          .v128ConstF32(1).localGet(tc).localGet(tc).f32x4Mul().f32x4Sub().f32x4Mul().f32x4Add().localSet(vdc);
        const oneMinus = (v: number) => f.v128ConstF32(1).localGet(v).f32x4Sub();
        // di = dc ⊙ g ⊙ i(1 − i)
        f.localGet(dg).localGet(pg).localGet(gt).i32Sub().i32Add();
        f.localGet(vdc).localGet(vg).f32x4Mul().localGet(vi).f32x4Mul(); oneMinus(vi); f.f32x4Mul().v128Store(0);
        // df = dc ⊙ c₋₁ ⊙ f(1 − f)
        f.localGet(dg).localGet(pg).localGet(gt).i32Sub().i32Add().localGet(hp4).i32Add();
        f.localGet(vdc).localGet(cp).localGet(ps).i32Add().v128Load(0).f32x4Mul().localGet(vf).f32x4Mul(); oneMinus(vf); f.f32x4Mul().v128Store(0);
        // dg = dc ⊙ i ⊙ (1 − g²)
        f.localGet(dg).localGet(pg).localGet(gt).i32Sub().i32Add().localGet(hp4).i32Const(1).i32Shl().i32Add();
        f.localGet(vdc).localGet(vi).f32x4Mul().v128ConstF32(1).localGet(vg).localGet(vg).f32x4Mul().f32x4Sub().f32x4Mul().v128Store(0);
        // do = dh ⊙ tanh c ⊙ o(1 − o)
        f.localGet(dg).localGet(pg).localGet(gt).i32Sub().i32Add().localGet(hp4).i32Const(3).i32Mul().i32Add();
        f.localGet(vdh).localGet(tc).f32x4Mul().localGet(vo).f32x4Mul(); oneMinus(vo); f.f32x4Mul().v128Store(0);
        f.localGet(dc).localGet(ps).i32Add().localGet(vdc).localGet(vf).f32x4Mul().v128Store(0);
      });
    });
  });
}

/**
 * Appends `gruCells(xg, hh, bn, hp, hn, gt, hnOut, M, Hp)`: one GRU step's element-wise part for
 * M rows: xg (M, 3Hp) the input pre-activations with bIh + bHh of r, z and bIh of n added, hh
 * (M, 3Hp) the hidden products, bn (Hp) the n gate's bHh, hp (M, Hp) the read state; writes the
 * gates r, z, n into gt (M, 3Hp), W_hn h + b_hn into hnOut (M, Hp) and h' into hn (M, Hp).
 */
function addGruCells(m: ModuleBuilder): void {
  const [xg, hh, bn, hp, hn, gt, hnOut, M, Hp] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const L = new Locals(9);
  const r = L.i32(), u = L.i32(), ps = L.i32(), pg = L.i32(), hp4 = L.i32();
  const vr = L.v128(), vz = L.v128(), vn = L.v128(), vh = L.v128(), t0 = L.v128(), t1 = L.v128();
  m.func('gruCells', [I32, I32, I32, I32, I32, I32, I32, I32, I32], [], L.list(), (f) => {
    f.localGet(Hp).i32Const(2).i32Shl().localSet(hp4);
    forLoop(f, r, M, 1, () => {
      forLoop(f, u, hp4, 16, () => {
        f.localGet(r).localGet(hp4).i32Mul().localGet(u).i32Add().localSet(ps);
        f.localGet(r).localGet(hp4).i32Const(3).i32Mul().i32Mul().localGet(u).i32Add().localSet(pg);
        const at = (base: number, block: number) => {
          f.localGet(base).localGet(pg).i32Add();
          if (block > 0) f.localGet(hp4).i32Const(block).i32Mul().i32Add();
        };
        at(xg, 0); f.v128Load(0); at(hh, 0); f.v128Load(0); f.f32x4Add(); emitSigmoid(f, t0, t1); f.localSet(vr);
        at(xg, 1); f.v128Load(0); at(hh, 1); f.v128Load(0); f.f32x4Add(); emitSigmoid(f, t0, t1); f.localSet(vz);
        at(hh, 2); f.v128Load(0); f.localGet(bn).localGet(u).i32Add().v128Load(0).f32x4Add().localSet(vh);
        at(xg, 2); f.v128Load(0); f.localGet(vr).localGet(vh).f32x4Mul().f32x4Add(); emitTanh(f, t0, t1); f.localSet(vn);
        at(gt, 0); f.localGet(vr).v128Store(0);
        at(gt, 1); f.localGet(vz).v128Store(0);
        at(gt, 2); f.localGet(vn).v128Store(0);
        f.localGet(hnOut).localGet(ps).i32Add().localGet(vh).v128Store(0);
        // h' = n + z ⊙ (h − n)
        f.localGet(hn).localGet(ps).i32Add()
          .localGet(vn).localGet(vz).localGet(hp).localGet(ps).i32Add().v128Load(0).localGet(vn).f32x4Sub().f32x4Mul().f32x4Add()
          .v128Store(0);
      });
    });
  });
}

/**
 * Appends `rnnCells(h, bias, N, relu)`: h[k] = act(h[k] + bias[k mod Hp]) over one step's
 * (M, Hp) block, N = M·Hp floats (bias pointer re-based per row by the caller's layout: bias holds
 * M copies). act = tanh, or relu when relu ≠ 0 (NaN kept).
 */
function addRnnCells(m: ModuleBuilder): void {
  const [h, bias, N, relu] = [0, 1, 2, 3];
  const L = new Locals(4);
  const k = L.i32(), n4 = L.i32(), v = L.v128(), t0 = L.v128(), t1 = L.v128();
  m.func('rnnCells', [I32, I32, I32, I32], [], L.list(), (f) => {
    f.localGet(N).i32Const(2).i32Shl().localSet(n4);
    forLoop(f, k, n4, 16, () => {
      f.localGet(h).localGet(k).i32Add();
      f.localGet(h).localGet(k).i32Add().v128Load(0).localGet(bias).localGet(k).i32Add().v128Load(0).f32x4Add().localSet(v);
      f.localGet(relu).if();
      // f32x4.max propagates NaN, as the JS relu keeps it.
      f.localGet(v).v128ConstF32(0).f32x4Max().localSet(v);
      f.else();
      f.localGet(v); emitTanh(f, t0, t1); f.localSet(v);
      f.end();
      f.localGet(v).v128Store(0);
    });
  });
}

/**
 * Appends `gruBack(gt, hnv, hp, dy, dh, dgi, dgh, M, Hp)`: one step of the GRU backward's
 * element-wise part for M rows: from the saved gates gt (M, 3Hp) = r, z, n, the saved
 * W_hn h + b_hn hnv and the read state hp (M, Hp), the output gradient dy and the carried dh,
 * the input-side gate gradients dgi = (dr, dz, dn) and the hidden-side dgh = (dr, dz, dn ⊙ r)
 * (M, 3Hp), each times its activation's derivative; dh becomes dh ⊙ z (the product dgh·wHh is
 * added by the caller).
 */
function addGruBack(m: ModuleBuilder): void {
  const [gt, hnv, hp, dy, dh, dgi, dgh, M, Hp] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const L = new Locals(9);
  const r = L.i32(), u = L.i32(), ps = L.i32(), pg = L.i32(), hp4 = L.i32();
  const vr = L.v128(), vz = L.v128(), vn = L.v128(), vdh = L.v128(), dpn = L.v128(), dpr = L.v128(), dpz = L.v128();
  m.func('gruBack', [I32, I32, I32, I32, I32, I32, I32, I32, I32], [], L.list(), (f) => {
    f.localGet(Hp).i32Const(2).i32Shl().localSet(hp4);
    forLoop(f, r, M, 1, () => {
      forLoop(f, u, hp4, 16, () => {
        f.localGet(r).localGet(hp4).i32Mul().localGet(u).i32Add().localSet(ps);
        f.localGet(r).localGet(hp4).i32Const(3).i32Mul().i32Mul().localGet(u).i32Add().localSet(pg);
        const at = (base: number, block: number) => {
          f.localGet(base).localGet(pg).i32Add();
          if (block > 0) f.localGet(hp4).i32Const(block).i32Mul().i32Add();
        };
        const oneMinus = (v: number) => f.v128ConstF32(1).localGet(v).f32x4Sub();
        at(gt, 0); f.v128Load(0).localSet(vr);
        at(gt, 1); f.v128Load(0).localSet(vz);
        at(gt, 2); f.v128Load(0).localSet(vn);
        f.localGet(dy).localGet(ps).i32Add().v128Load(0).localGet(dh).localGet(ps).i32Add().v128Load(0).f32x4Add().localSet(vdh);
        // dn = dh ⊙ (1 − z) ⊙ (1 − n²)
        f.localGet(vdh); oneMinus(vz); f.f32x4Mul().v128ConstF32(1).localGet(vn).localGet(vn).f32x4Mul().f32x4Sub().f32x4Mul().localSet(dpn);
        // dr = dn ⊙ hn ⊙ r(1 − r)
        f.localGet(dpn).localGet(hnv).localGet(ps).i32Add().v128Load(0).f32x4Mul().localGet(vr).f32x4Mul(); oneMinus(vr); f.f32x4Mul().localSet(dpr);
        // dz = dh ⊙ (h₋₁ − n) ⊙ z(1 − z)
        f.localGet(vdh).localGet(hp).localGet(ps).i32Add().v128Load(0).localGet(vn).f32x4Sub().f32x4Mul().localGet(vz).f32x4Mul(); oneMinus(vz); f.f32x4Mul().localSet(dpz);
        at(dgi, 0); f.localGet(dpr).v128Store(0);
        at(dgi, 1); f.localGet(dpz).v128Store(0);
        at(dgi, 2); f.localGet(dpn).v128Store(0);
        at(dgh, 0); f.localGet(dpr).v128Store(0);
        at(dgh, 1); f.localGet(dpz).v128Store(0);
        at(dgh, 2); f.localGet(dpn).localGet(vr).f32x4Mul().v128Store(0);
        f.localGet(dh).localGet(ps).i32Add().localGet(vdh).localGet(vz).f32x4Mul().v128Store(0);
      });
    });
  });
}

/** `f32x4.gt` and `v128.and` (SIMD sub-opcodes from the spec; the encoder has no method for them). */
const F32X4_GT = 0x44, V128_AND = 0x4e;

/**
 * Appends `rnnBack(h, dy, dh, dg, N, relu)`: one step of the Elman RNN backward's element-wise
 * part over N floats: dg = (dy + dh) ⊙ act′, act′ = 1 − h² (tanh) or [h > 0] (relu), from the
 * step's output h.
 */
function addRnnBack(m: ModuleBuilder): void {
  const [h, dy, dh, dg, N, relu] = [0, 1, 2, 3, 4, 5];
  const L = new Locals(6);
  const k = L.i32(), n4 = L.i32(), vh = L.v128(), vd = L.v128();
  m.func('rnnBack', [I32, I32, I32, I32, I32, I32], [], L.list(), (f) => {
    f.localGet(N).i32Const(2).i32Shl().localSet(n4);
    forLoop(f, k, n4, 16, () => {
      f.localGet(h).localGet(k).i32Add().v128Load(0).localSet(vh);
      f.localGet(dy).localGet(k).i32Add().v128Load(0).localGet(dh).localGet(k).i32Add().v128Load(0).f32x4Add().localSet(vd);
      f.localGet(relu).if();
      f.localGet(vd).localGet(vh).v128ConstF32(0).simd(F32X4_GT).simd(V128_AND).localSet(vd);
      f.else();
      f.localGet(vd).v128ConstF32(1).localGet(vh).localGet(vh).f32x4Mul().f32x4Sub().f32x4Mul().localSet(vd);
      f.end();
      f.localGet(dg).localGet(k).i32Add().localGet(vd).v128Store(0);
    });
  });
}

/** tanh4(p, n, sig): tanh (or σ when sig ≠ 0) in place over n floats (n a multiple of 4); a test hook. */
function addTanh4(m: ModuleBuilder): void {
  const L = new Locals(3);
  const k = L.i32(), n4 = L.i32(), v = L.v128(), t0 = L.v128(), t1 = L.v128();
  m.func('tanh4', [I32, I32, I32], [], L.list(), (f) => {
    f.localGet(1).i32Const(2).i32Shl().localSet(n4);
    forLoop(f, k, n4, 16, () => {
      f.localGet(2).if();
      f.localGet(0).localGet(k).i32Add().v128Load(0);
      emitSigmoid(f, t0, t1);
      f.localSet(v);
      f.else();
      f.localGet(0).localGet(k).i32Add().v128Load(0);
      emitTanh(f, t0, t1);
      f.localSet(v);
      f.end();
      f.localGet(0).localGet(k).i32Add().localGet(v).v128Store(0);
    });
  });
}

/**
 * The recurrent kernels come in one module per layer kind and pass, each built and compiled on its
 * first call: building the whole set in JS costs about ten times the GEMM module's millisecond
 * (the σ/tanh sequences are inline at each site), so a first LSTM forward pays only for its own.
 */
const PARTS = {
  lstmForward: [addLstmStep],
  lstmBackward: [addMm, addLstmCells],
  gru: [addMm, addGruCells, addGruBack],
  rnn: [addMm, addRnnCells, addRnnBack],
  activations: [addTanh4],
} as const;
/** A module of the recurrent kernels. */
export type RnnPart = keyof typeof PARTS;

/**
 * One recurrent module's binary: `lstmForward` (lstmStep), `lstmBackward` (mm, lstmCells), `gru`
 * (mm, gruCells, gruBack), `rnn` (mm, rnnCells, rnnBack), `activations` (tanh4, a test hook).
 */
export function buildRnnModule(part: RnnPart): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  importWasmMemory(m);
  for (const add of PARTS[part]) add(m);
  return m.build();
}

type I = number;
/** The exports of the recurrent modules; each module has the functions its part lists. */
interface RnnExports {
  mm(a: I, lda: I, w: I, K: I, out: I, ldo: I, M: I, P: I, add: I): void;
  lstmStep(x: I, C: I, h: I, c: I, hn: I, cn: I, gt: I, w: I, bias: I, M: I, Hp: I): void;
  lstmCells(gt: I, cn: I, cp: I, dy: I, dh: I, dc: I, dg: I, M: I, Hp: I): void;
  gruCells(xg: I, hh: I, bn: I, hp: I, hn: I, gt: I, hnOut: I, M: I, Hp: I): void;
  rnnCells(h: I, bias: I, N: I, relu: I): void;
  gruBack(gt: I, hnv: I, hp: I, dy: I, dh: I, dgi: I, dgh: I, M: I, Hp: I): void;
  rnnBack(h: I, dy: I, dh: I, dg: I, N: I, relu: I): void;
  tanh4(p: I, n: I, sig: I): void;
}
const instances: Partial<Record<RnnPart, RnnExports>> = {};

/** The instantiated module of `part` (built and compiled on first use). Internal; the tests reach `tanh4` through it. */
export function rnnModule(part: RnnPart): RnnExports {
  let e = instances[part];
  if (e === undefined) {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(buildRnnModule(part)), { env: { mem: wasmMemory() } });
    e = inst.exports as unknown as RnnExports;
    instances[part] = e;
  }
  return e;
}

// ---- staging ----

/** A bump allocator of float offsets in the shared memory, 16-byte aligned. */
class Layout {
  size = 0;
  take(n: number): number {
    const at = this.size;
    this.size += (n + 3) & ~3;
    return at;
  }
}

/**
 * Copies `rows` rows of `cols` floats from src (row stride cols) into mem at dst with row stride
 * `stride`, zeroing each row's tail past cols; `padRows` more zero rows follow every `group` rows.
 */
function stageRows(
  mem: Float32Array, dst: number, src: Float32Array, srcOff: number,
  groups: number, group: number, padRows: number, cols: number, stride: number,
): void {
  if (cols === stride && padRows === 0) {
    mem.set(src.subarray(srcOff, srcOff + groups * group * cols), dst);
    return;
  }
  let d = dst, s = srcOff;
  for (let gI = 0; gI < groups; gI++) {
    for (let r = 0; r < group; r++, d += stride, s += cols) {
      mem.set(src.subarray(s, s + cols), d);
      if (stride > cols) mem.fill(0, d + cols, d + stride);
    }
    mem.fill(0, d, d + padRows * stride);
    d += padRows * stride;
  }
}

/** The reverse of {@link stageRows}: the real rows and columns back into a dense (groups·group, cols) dst. */
function unstageRows(
  dst: Float32Array, dstOff: number, mem: Float32Array, src: number,
  groups: number, group: number, padRows: number, cols: number, stride: number,
): void {
  if (cols === stride && padRows === 0) {
    dst.set(mem.subarray(src, src + groups * group * cols), dstOff);
    return;
  }
  let s = src, d = dstOff;
  for (let gI = 0; gI < groups; gI++) {
    for (let r = 0; r < group; r++, s += stride, d += cols) dst.set(mem.subarray(s, s + cols), d);
    s += padRows * stride;
  }
}

/**
 * Packs gate-blocked rows of w (G·H rows of K floats, the rows of gate g at g·H) transposed into
 * panels of 16 columns for `mm`: panel p, row k, column c is w[n, k] for the padded column
 * index n' = 16p + c = g·Hp + u (u < H), zero elsewhere. Panels occupy (G·Hp/16)·K·16 floats.
 */
function packGateRowsT(mem: Float32Array, dst: number, w: Float32Array, G: number, H: number, Hp: number, K: number, Kp: number): void {
  const P = (G * Hp) >> 4;
  mem.fill(0, dst, dst + P * Kp * 16);
  for (let g = 0; g < G; g++) {
    for (let u = 0; u < H; u++) {
      const n = g * Hp + u, row = (g * H + u) * K;
      let d = dst + (n >> 4) * Kp * 16 + (n & 15);
      for (let k = 0; k < K; k++, d += 16) mem[d] = w[row + k];
    }
  }
}

/**
 * Packs w (G·H rows of H floats) for `mm` without transposition: panel p, row k' = g·Hp + u
 * (u < H), column c is w[g·H + u, 16p + c] (zero past H). Panels occupy (Hp/16)·G·Hp·16 floats.
 */
function packGateRowsN(mem: Float32Array, dst: number, w: Float32Array, G: number, H: number, Hp: number): void {
  const P = Hp >> 4, K = G * Hp;
  mem.fill(0, dst, dst + P * K * 16);
  for (let g = 0; g < G; g++) {
    for (let u = 0; u < H; u++) {
      const k = g * Hp + u, row = (g * H + u) * H;
      for (let p = 0; p < P; p++) {
        const d = dst + (p * K + k) * 16, c0 = p * 16, n = Math.min(16, H - c0);
        for (let c = 0; c < n; c++) mem[d + c] = w[row + c0 + c];
      }
    }
  }
}

const padH = (H: number): number => (H + 15) & ~15;
const padB = (B: number): number => (B + 1) & ~1;

// ---- LSTM ----

/**
 * LSTM over a whole sequence on the wasm backend: the signature and contract of the JS
 * {@link jsLstmForward | lstmForward} (slots, gate layout, overwrites hs, cs and gates). Results
 * within float32 rounding of the JS kernel plus the error of the rational σ and tanh (see the file
 * comment).
 */
export function wasmLstmForward(
  hs: Float32Array, cs: Float32Array, gates: Float32Array,
  x: Float32Array, h0: Float32Array, c0: Float32Array,
  wIh: Float32Array, wHh: Float32Array, bIh: Float32Array | null, bHh: Float32Array | null,
  T: number, B: number, C: number, H: number, reverse: boolean,
): void {
  if (T === 0 || B === 0 || H === 0 || C === 0) {
    jsLstmForward(hs, cs, gates, x, h0, c0, wIh, wHh, bIh, bHh, T, B, C, H, reverse);
    return;
  }
  const run = rnnModule('lstmForward');
  const Hp = padH(H), Bp = padB(B), Q = Hp >> 2, KW = C + Hp, SB = Bp * Hp, GB = Bp * 4 * Hp;
  const lay = new Layout();
  const w = lay.take(Q * KW * 16), bias = lay.take(Q * 16), xs = lay.take(T * Bp * C);
  const hsW = lay.take((T + 1) * SB), csW = lay.take((T + 1) * SB), gt = lay.take(T * GB);
  ensureBytes(lay.size * 4);
  const mem = f32View();
  // Panel of quad q: rows k < C from wIh, then Hp rows from wHh; column 4g + l is gate g of unit 4q + l.
  mem.fill(0, w, w + Q * KW * 16 + Q * 16);
  for (let g = 0; g < 4; g++) {
    for (let u = 0; u < H; u++) {
      const n = g * H + u, q = u >> 2, col = 4 * g + (u & 3);
      let d = w + q * KW * 16 + col;
      const ri = n * C, rh = n * H;
      for (let k = 0; k < C; k++, d += 16) mem[d] = wIh[ri + k];
      for (let k = 0; k < H; k++, d += 16) mem[d] = wHh[rh + k];
      mem[bias + q * 16 + col] = (bIh === null ? 0 : bIh[n]) + (bHh === null ? 0 : bHh[n]);
    }
  }
  stageRows(mem, xs, x, 0, T, B, Bp - B, C, C);
  const first = reverse ? T : 0;
  stageRows(mem, hsW + first * SB, h0, 0, 1, B, Bp - B, H, Hp);
  stageRows(mem, csW + first * SB, c0, 0, 1, B, Bp - B, H, Hp);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const prev = (reverse ? t + 1 : t) * SB, next = (reverse ? t : t + 1) * SB;
    run.lstmStep(
      (xs + t * Bp * C) << 2, C, (hsW + prev) << 2, (csW + prev) << 2, (hsW + next) << 2, (csW + next) << 2,
      (gt + t * GB) << 2, w << 2, bias << 2, Bp, Hp,
    );
  }
  unstageRows(hs, 0, mem, hsW, T + 1, B, Bp - B, H, Hp);
  unstageRows(cs, 0, mem, csW, T + 1, B, Bp - B, H, Hp);
  unstageGates(gates, mem, gt, T * B, B, Bp, 4, H, Hp);
}

/** Gates (T·B rows of G blocks of Hp, with Bp − B pad rows after every B) back into (T·B, G·H). */
function unstageGates(dst: Float32Array, mem: Float32Array, src: number, TB: number, B: number, Bp: number, G: number, H: number, Hp: number): void {
  if (H === Hp && B === Bp) {
    dst.set(mem.subarray(src, src + TB * G * H));
    return;
  }
  for (let tb = 0; tb < TB; tb++) {
    const s = src + ((tb / B | 0) * Bp + tb % B) * G * Hp, d = tb * G * H;
    for (let g = 0; g < G; g++) dst.set(mem.subarray(s + g * Hp, s + g * Hp + H), d + g * H);
  }
}

/** The reverse of {@link unstageGates}: (T·B, G·H) into the padded layout, zeros in the padding. */
function stageGates(mem: Float32Array, dst: number, src: Float32Array, TB: number, B: number, Bp: number, G: number, H: number, Hp: number): void {
  if (H === Hp && B === Bp) {
    mem.set(src.subarray(0, TB * G * H), dst);
    return;
  }
  const T = TB / B;
  mem.fill(0, dst, dst + T * Bp * G * Hp);
  for (let tb = 0; tb < TB; tb++) {
    const d = dst + ((tb / B | 0) * Bp + tb % B) * G * Hp, s = tb * G * H;
    for (let g = 0; g < G; g++) mem.set(src.subarray(s + g * H, s + (g + 1) * H), d + g * Hp);
  }
}

let scratchG = new Float32Array(0);

/**
 * Backpropagation through time for {@link wasmLstmForward} on the wasm backend: the signature and
 * contract of the JS {@link jsLstmBackward | lstmBackward} (accumulates into every non-null
 * gradient). The per-step element-wise part and dh₋₁ = dgates·wHh run in wasm; the weight and
 * input gradients are the JS kernel's large GEMMs through the table.
 */
export function wasmLstmBackward(
  dx: Float32Array | null, dh0: Float32Array | null, dc0: Float32Array | null,
  dwIh: Float32Array | null, dwHh: Float32Array | null, dbIh: Float32Array | null, dbHh: Float32Array | null,
  dhs: Float32Array, dcN: Float32Array | null,
  hs: Float32Array, cs: Float32Array, gates: Float32Array, x: Float32Array, wIh: Float32Array, wHh: Float32Array,
  T: number, B: number, C: number, H: number, reverse: boolean,
): void {
  if (T === 0 || B === 0 || H === 0 || C === 0) {
    jsLstmBackward(dx, dh0, dc0, dwIh, dwHh, dbIh, dbHh, dhs, dcN, hs, cs, gates, x, wIh, wHh, T, B, C, H, reverse);
    return;
  }
  const run = rnnModule('lstmBackward');
  const Hp = padH(H), Bp = padB(B), SB = Bp * Hp, GHp = 4 * Hp, GB = Bp * GHp, TB = T * B, GH = 4 * H;
  const lay = new Layout();
  const wn = lay.take(Hp * GHp), gt = lay.take(T * GB), csW = lay.take((T + 1) * SB), dy = lay.take(T * SB);
  const dg = lay.take(T * GB), dh = lay.take(SB), dc = lay.take(SB);
  ensureBytes(lay.size * 4);
  const mem = f32View();
  packGateRowsN(mem, wn, wHh, 4, H, Hp);
  stageGates(mem, gt, gates, TB, B, Bp, 4, H, Hp);
  stageRows(mem, csW, cs, 0, T + 1, B, Bp - B, H, Hp);
  stageRows(mem, dy, dhs, 0, T, B, Bp - B, H, Hp);
  mem.fill(0, dh, dh + SB);
  if (dcN !== null) stageRows(mem, dc, dcN, 0, 1, B, Bp - B, H, Hp);
  else mem.fill(0, dc, dc + SB);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const prev = (reverse ? t + 1 : t) * SB, next = (reverse ? t : t + 1) * SB;
    const gOff = t * GB;
    run.lstmCells((gt + gOff) << 2, (csW + next) << 2, (csW + prev) << 2, (dy + t * SB) << 2, dh << 2, dc << 2, (dg + gOff) << 2, Bp, Hp);
    // The last step's product only feeds dh0.
    if (s > 0 || dh0 !== null) run.mm((dg + gOff) << 2, GHp, wn << 2, GHp, dh << 2, Hp, Bp, Hp >> 4, 0);
  }
  if (dh0 !== null) addRows(dh0, mem, dh, B, H, Hp);
  if (dc0 !== null) addRows(dc0, mem, dc, B, H, Hp);
  if (scratchG.length < TB * GH) scratchG = new Float32Array(TB * GH);
  const dG = scratchG;
  unstageGates(dG, mem, dg, TB, B, Bp, 4, H, Hp);
  weightGrads(dx, dwIh, dwHh, dbIh, dbHh, dG, dG, x, hs, (reverse ? 1 : 0) * B * H, wIh, TB, C, H, GH);
}

/** dst (B, H) += the real part of the (Bp, Hp) block at src. */
function addRows(dst: Float32Array, mem: Float32Array, src: number, B: number, H: number, Hp: number): void {
  for (let b = 0; b < B; b++) {
    const s = src + b * Hp, d = b * H;
    for (let j = 0; j < H; j++) dst[d + j] += mem[s + j];
  }
}

// ---- GRU and Elman RNN forward ----

/**
 * GRU over a whole sequence on the wasm backend: the signature and contract of the JS
 * {@link jsGruForward | gruForward} (overwrites hs, gates and hn).
 */
export function wasmGruForward(
  hs: Float32Array, gates: Float32Array, hn: Float32Array,
  x: Float32Array, h0: Float32Array,
  wIh: Float32Array, wHh: Float32Array, bIh: Float32Array | null, bHh: Float32Array | null,
  T: number, B: number, C: number, H: number, reverse: boolean,
): void {
  if (T === 0 || B === 0 || H === 0 || C === 0) {
    jsGruForward(hs, gates, hn, x, h0, wIh, wHh, bIh, bHh, T, B, C, H, reverse);
    return;
  }
  const run = rnnModule('gru');
  const Hp = padH(H), Bp = padB(B), SB = Bp * Hp, GHp = 3 * Hp, GB = Bp * GHp;
  const lay = new Layout();
  const wi = lay.take(GHp * C), wh = lay.take(GHp * Hp), bn = lay.take(Hp), xs = lay.take(T * Bp * C);
  const xg = lay.take(T * GB), hh = lay.take(GB), hsW = lay.take((T + 1) * SB), gt = lay.take(T * GB), hnW = lay.take(T * SB);
  ensureBytes(lay.size * 4);
  const mem = f32View();
  packGateRowsT(mem, wi, wIh, 3, H, Hp, C, C);
  packGateRowsT(mem, wh, wHh, 3, H, Hp, H, Hp);
  mem.fill(0, bn, bn + Hp);
  if (bHh !== null) for (let u = 0; u < H; u++) mem[bn + u] = bHh[2 * H + u];
  stageRows(mem, xs, x, 0, T, B, Bp - B, C, C);
  // The input projection of every position at once, started at the folded biases.
  mem.fill(0, xg, xg + GHp);
  for (let g = 0; g < 3; g++) {
    for (let u = 0; u < H; u++) {
      const n = g * H + u;
      mem[xg + g * Hp + u] = (bIh === null ? 0 : bIh[n]) + (bHh === null || g === 2 ? 0 : bHh[n]);
    }
  }
  for (let r = 1; r < T * Bp; r++) mem.copyWithin(xg + r * GHp, xg, xg + GHp);
  run.mm(xs << 2, C, wi << 2, C, xg << 2, GHp, T * Bp, GHp >> 4, 1);
  stageRows(mem, hsW + (reverse ? T : 0) * SB, h0, 0, 1, B, Bp - B, H, Hp);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const prev = (reverse ? t + 1 : t) * SB, next = (reverse ? t : t + 1) * SB;
    run.mm((hsW + prev) << 2, Hp, wh << 2, Hp, hh << 2, GHp, Bp, GHp >> 4, 0);
    run.gruCells((xg + t * GB) << 2, hh << 2, bn << 2, (hsW + prev) << 2, (hsW + next) << 2, (gt + t * GB) << 2, (hnW + t * SB) << 2, Bp, Hp);
  }
  unstageRows(hs, 0, mem, hsW, T + 1, B, Bp - B, H, Hp);
  unstageRows(hn, 0, mem, hnW, T, B, Bp - B, H, Hp);
  unstageGates(gates, mem, gt, T * B, B, Bp, 3, H, Hp);
}

/**
 * Elman RNN over a whole sequence on the wasm backend: the signature and contract of the JS
 * {@link jsRnnForward | rnnForward} (overwrites hs).
 */
export function wasmRnnForward(
  hs: Float32Array, x: Float32Array, h0: Float32Array,
  wIh: Float32Array, wHh: Float32Array, bIh: Float32Array | null, bHh: Float32Array | null,
  T: number, B: number, C: number, H: number, relu: boolean, reverse: boolean,
): void {
  if (T === 0 || B === 0 || H === 0 || C === 0) {
    jsRnnForward(hs, x, h0, wIh, wHh, bIh, bHh, T, B, C, H, relu, reverse);
    return;
  }
  const run = rnnModule('rnn');
  const Hp = padH(H), Bp = padB(B), SB = Bp * Hp;
  const lay = new Layout();
  const wi = lay.take(Hp * C), wh = lay.take(Hp * Hp), bias = lay.take(SB), xs = lay.take(T * Bp * C), hsW = lay.take((T + 1) * SB);
  ensureBytes(lay.size * 4);
  const mem = f32View();
  packGateRowsT(mem, wi, wIh, 1, H, Hp, C, C);
  packGateRowsT(mem, wh, wHh, 1, H, Hp, H, Hp);
  mem.fill(0, bias, bias + SB);
  for (let b = 0; b < Bp; b++) {
    for (let u = 0; u < H; u++) mem[bias + b * Hp + u] = (bIh === null ? 0 : bIh[u]) + (bHh === null ? 0 : bHh[u]);
  }
  stageRows(mem, xs, x, 0, T, B, Bp - B, C, C);
  // The input projection of position t is written where its output will go (see the JS kernel).
  const outOff = hsW + (reverse ? 0 : 1) * SB;
  run.mm(xs << 2, C, wi << 2, C, outOff << 2, Hp, T * Bp, Hp >> 4, 0);
  stageRows(mem, hsW + (reverse ? T : 0) * SB, h0, 0, 1, B, Bp - B, H, Hp);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const prev = (reverse ? t + 1 : t) * SB, next = (reverse ? t : t + 1) * SB;
    run.mm((hsW + prev) << 2, Hp, wh << 2, Hp, (hsW + next) << 2, Hp, Bp, Hp >> 4, 1);
    run.rnnCells((hsW + next) << 2, bias << 2, SB, relu ? 1 : 0);
  }
  unstageRows(hs, 0, mem, hsW, T + 1, B, Bp - B, H, Hp);
}

let scratchG2 = new Float32Array(0);

/**
 * Backpropagation through time for {@link wasmGruForward} on the wasm backend: the signature and
 * contract of the JS {@link jsGruBackward | gruBackward} (accumulates). The per-step element-wise
 * part and dh₋₁ = dh ⊙ z + dgates_h·wHh run in wasm; the weight and input gradients are the JS
 * kernel's large GEMMs through the table.
 */
export function wasmGruBackward(
  dx: Float32Array | null, dh0: Float32Array | null,
  dwIh: Float32Array | null, dwHh: Float32Array | null, dbIh: Float32Array | null, dbHh: Float32Array | null,
  dhs: Float32Array,
  hs: Float32Array, gates: Float32Array, hn: Float32Array, x: Float32Array, wIh: Float32Array, wHh: Float32Array,
  T: number, B: number, C: number, H: number, reverse: boolean,
): void {
  if (T === 0 || B === 0 || H === 0 || C === 0) {
    jsGruBackward(dx, dh0, dwIh, dwHh, dbIh, dbHh, dhs, hs, gates, hn, x, wIh, wHh, T, B, C, H, reverse);
    return;
  }
  const run = rnnModule('gru');
  const Hp = padH(H), Bp = padB(B), SB = Bp * Hp, GHp = 3 * Hp, GB = Bp * GHp, TB = T * B, GH = 3 * H;
  const lay = new Layout();
  const wn = lay.take(Hp * GHp), gt = lay.take(T * GB), hsW = lay.take((T + 1) * SB), hnW = lay.take(T * SB), dy = lay.take(T * SB);
  const dgi = lay.take(T * GB), dgh = lay.take(T * GB), dh = lay.take(SB);
  ensureBytes(lay.size * 4);
  const mem = f32View();
  packGateRowsN(mem, wn, wHh, 3, H, Hp);
  stageGates(mem, gt, gates, TB, B, Bp, 3, H, Hp);
  stageRows(mem, hsW, hs, 0, T + 1, B, Bp - B, H, Hp);
  stageRows(mem, hnW, hn, 0, T, B, Bp - B, H, Hp);
  stageRows(mem, dy, dhs, 0, T, B, Bp - B, H, Hp);
  mem.fill(0, dh, dh + SB);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const prev = (reverse ? t + 1 : t) * SB;
    const gOff = t * GB;
    run.gruBack((gt + gOff) << 2, (hnW + t * SB) << 2, (hsW + prev) << 2, (dy + t * SB) << 2, dh << 2, (dgi + gOff) << 2, (dgh + gOff) << 2, Bp, Hp);
    if (s > 0 || dh0 !== null) run.mm((dgh + gOff) << 2, GHp, wn << 2, GHp, dh << 2, Hp, Bp, Hp >> 4, 1);
  }
  if (dh0 !== null) addRows(dh0, mem, dh, B, H, Hp);
  if (scratchG.length < TB * GH) scratchG = new Float32Array(TB * GH);
  if (scratchG2.length < TB * GH) scratchG2 = new Float32Array(TB * GH);
  const dGi = scratchG, dGh = scratchG2;
  unstageGates(dGi, mem, dgi, TB, B, Bp, 3, H, Hp);
  unstageGates(dGh, mem, dgh, TB, B, Bp, 3, H, Hp);
  weightGrads(dx, dwIh, dwHh, dbIh, dbHh, dGi, dGh, x, hs, (reverse ? 1 : 0) * B * H, wIh, TB, C, H, GH);
}

/**
 * Backpropagation through time for {@link wasmRnnForward} on the wasm backend: the signature and
 * contract of the JS {@link jsRnnBackward | rnnBackward} (accumulates; relu′(0) = 0). The per-step
 * element-wise part and dh₋₁ = dpre·wHh run in wasm; the weight and input gradients are the JS
 * kernel's large GEMMs through the table.
 */
export function wasmRnnBackward(
  dx: Float32Array | null, dh0: Float32Array | null,
  dwIh: Float32Array | null, dwHh: Float32Array | null, dbIh: Float32Array | null, dbHh: Float32Array | null,
  dhs: Float32Array,
  hs: Float32Array, x: Float32Array, wIh: Float32Array, wHh: Float32Array,
  T: number, B: number, C: number, H: number, relu: boolean, reverse: boolean,
): void {
  if (T === 0 || B === 0 || H === 0 || C === 0) {
    jsRnnBackward(dx, dh0, dwIh, dwHh, dbIh, dbHh, dhs, hs, x, wIh, wHh, T, B, C, H, relu, reverse);
    return;
  }
  const run = rnnModule('rnn');
  const Hp = padH(H), Bp = padB(B), SB = Bp * Hp, TB = T * B;
  const lay = new Layout();
  const wn = lay.take(Hp * Hp), hsW = lay.take((T + 1) * SB), dy = lay.take(T * SB), dg = lay.take(T * SB), dh = lay.take(SB);
  ensureBytes(lay.size * 4);
  const mem = f32View();
  packGateRowsN(mem, wn, wHh, 1, H, Hp);
  stageRows(mem, hsW, hs, 0, T + 1, B, Bp - B, H, Hp);
  stageRows(mem, dy, dhs, 0, T, B, Bp - B, H, Hp);
  mem.fill(0, dh, dh + SB);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const next = (reverse ? t : t + 1) * SB;
    run.rnnBack((hsW + next) << 2, (dy + t * SB) << 2, dh << 2, (dg + t * SB) << 2, SB, relu ? 1 : 0);
    if (s > 0 || dh0 !== null) run.mm((dg + t * SB) << 2, Hp, wn << 2, Hp, dh << 2, Hp, Bp, Hp >> 4, 0);
  }
  if (dh0 !== null) addRows(dh0, mem, dh, B, H, Hp);
  if (scratchG.length < TB * H) scratchG = new Float32Array(TB * H);
  const dG = scratchG;
  unstageRows(dG, 0, mem, dg, T, B, Bp - B, H, Hp);
  weightGrads(dx, dwIh, dwHh, dbIh, dbHh, dG, dG, x, hs, (reverse ? 1 : 0) * B * H, wIh, TB, C, H, H);
}
