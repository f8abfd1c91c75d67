/**
 * The wasm backend's transcendental element-wise kernels and row softmax: eˣ, tanh, σ and exact
 * GELU forward, their backward products, and softmax / log-softmax over a contiguous last axis,
 * with the contracts of the JS kernels in unary.ts and softmax.ts.
 *
 * Why these and not add or mul: `bench/elementwise.ts` measures every JS element-wise kernel
 * against the cost of staging its operands (a copy into the wasm memory and one out, 0.3 ns per
 * element here). Arithmetic kernels run at 1–3 ns per element in JS, so lanes save little over
 * the copies; Math.exp, Math.tanh and the erfc behind GELU cost 15–100 ns per element, and four
 * float32 lanes of a polynomial cost about one.
 *
 * Accuracy: the approximations of math.ts (Cephes' expf and tanhf, σ = 1 / (1 + e⁻ˣ), Numerical
 * Recipes' erfc, the fit the JS GELU uses), evaluated in float32, against the JS kernels'
 * float64 evaluation rounded once: within 4 float32 ulps relative plus 1e-37 absolute for eˣ, σ,
 * tanh and their backward products (subnormal results take one more rounding), 2e-6 relative
 * plus 1e-7 absolute for GELU (its erfc is the same fit, but its exponent −z² loses the low bits
 * of z² in float32); NaN, ±Inf and −0 as the JS kernels. The softmax sums accumulate in float64 as
 * the JS kernel's, so a row's result is within 4 ulps of it too.
 *
 * Operands are copied into the memory in one piece (rows of a softmax whose length is not a
 * multiple of four are padded with −Inf, which contributes e⁻∞ = 0), processed in fixed chunks
 * through runChunks (the same result for every thread count: each element, and each row, is
 * computed on its own), and copied out. They run at every size, so an element's result never
 * depends on the size of its tensor (a batch of one gives what the same row gives in a batch of
 * 64); a softmax row runs in wasm when its length is a multiple of four or at least 16.
 */
import {
  logSoftmaxBackward as jsLogSoftmaxBackward, logSoftmaxForward as jsLogSoftmaxForward, softmaxBackward as jsSoftmaxBackward,
  softmaxForward as jsSoftmaxForward,
} from '../softmax';
import { type Code, I32, ModuleBuilder } from './encoder';
import { Locals, emitErfc, emitExp, emitSigmoidExp, emitTanhExp, forLoop } from './math';
import { ensureBytes, f32View, importWasmMemory, wasmMemory } from './memory';
import { registerModule, runChunks } from './threads';

/** Groups of four per element-wise chunk (16 Ki floats), fixed by N alone. */
const EW_CHUNK = 4096;
/** Groups of four per softmax chunk; whole rows, at least one. */
const SOFTMAX_CHUNK = 4096;
/** From this many elements the workers are woken. */
const PARALLEL_MIN = 1 << 15;

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Scratch v128 locals an emitter may use (taken before the body is generated). */
const SCRATCH = 7;

/** The forward kernels: the name of the export's stem, and the emitter of y = f(x) on the stack's top. */
const FORWARD: Record<'exp' | 'tanh' | 'sigmoid' | 'gelu', (f: Code, t: readonly number[]) => void> = {
  exp: (f, t) => emitExp(f, t[0], t[1], t[2]),
  tanh: (f, t) => emitTanhExp(f, t[0], t[1], t[2], t[3]),
  sigmoid: (f, t) => emitSigmoidExp(f, t[0], t[1], t[2]),
  gelu: (f, t) => {
    // ½·x·erfc(−x/√2), in the JS kernel's order.
    f.localTee(t[0]).v128ConstF32(-SQRT1_2).f32x4Mul();
    emitErfc(f, t[1], t[2], t[3], t[4], t[5]);
    f.localGet(t[0]).v128ConstF32(0.5).f32x4Mul().f32x4Mul();
  },
};

/** The backward kernels: dx += dy · g(v), with the emitter of g(v) (v the saved output y, or x for GELU). */
const BACKWARD: Record<'expBack' | 'tanhBack' | 'sigmoidBack' | 'geluBack', (f: Code, t: readonly number[]) => void> = {
  expBack: () => undefined, // g(y) = y
  // (1 − y)(1 + y), not 1 − y²: 1 − y is exact near |y| = 1, where 1 − y² in float32 cancels.
  tanhBack: (f, t) => { f.localSet(t[0]).v128ConstF32(1).localGet(t[0]).f32x4Sub().localGet(t[0]).v128ConstF32(1).f32x4Add().f32x4Mul(); },
  sigmoidBack: (f, t) => { f.localTee(t[0]).v128ConstF32(1).localGet(t[0]).f32x4Sub().f32x4Mul(); },
  geluBack: (f, t) => {
    // ½·erfc(−x/√2) + x·φ(x), φ(x) = e^(−x²/2)/√(2π)
    f.localTee(t[0]).v128ConstF32(-SQRT1_2).f32x4Mul();
    emitErfc(f, t[1], t[2], t[3], t[4], t[5]);
    f.v128ConstF32(0.5).f32x4Mul();
    f.localGet(t[0]).v128ConstF32(INV_SQRT_2PI).f32x4Mul();
    f.localGet(t[0]).localGet(t[0]).f32x4Mul().v128ConstF32(-0.5).f32x4Mul();
    emitExp(f, t[1], t[2], t[3]);
    f.f32x4Mul().f32x4Add();
  },
};

/** Sets s = c·per and n = min(per, total − s) (the chunk's first index and count). */
function chunkRange(f: Code, c: number, per: number, total: number, s: number, n: number): void {
  f.localGet(c).localGet(per).i32Mul().localTee(s).localGet(per).i32Add().localGet(total).i32GtS().if();
  f.localGet(total).localGet(s).i32Sub().localSet(n);
  f.else();
  f.localGet(per).localSet(n);
  f.end();
}

/** Emits the maximum of the row at byte pointer p (g4 groups of four) into the v128 local m, splatted. */
function rowMax(f: Code, p: number, g4: number, g: number, q: number, m: number): void {
  f.v128ConstF32(-Infinity).localSet(m);
  f.localGet(p).localSet(q);
  forLoop(f, g, g4, 1, () => {
    f.localGet(m).localGet(q).v128Load(0).f32x4Max().localSet(m);
    f.localGet(q).i32Const(16).i32Add().localSet(q);
  });
  f.localGet(m).f32x4ExtractLane(0).localGet(m).f32x4ExtractLane(1).f32Max();
  f.localGet(m).f32x4ExtractLane(2).localGet(m).f32x4ExtractLane(3).f32Max().f32Max();
  f.f32x4Splat().localSet(m);
}

/** Adds the four lanes of the v128 local e, as float64, to the f64x2 accumulators s0 (lanes 0, 1) and s1 (2, 3). */
function addF64(f: Code, e: number, s0: number, s1: number): void {
  f.localGet(s0).localGet(e).f64x2PromoteLowF32x4().f64x2Add().localSet(s0);
  f.localGet(s1).localGet(e).localGet(e).i8x16Shuffle([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15])
    .f64x2PromoteLowF32x4().f64x2Add().localSet(s1);
}

/** Pushes the float64 sum of the accumulators s0 and s1 (s0 is overwritten). */
function sumF64(f: Code, s0: number, s1: number): void {
  f.localGet(s0).localGet(s1).f64x2Add().localTee(s0).f64x2ExtractLane(0).localGet(s0).f64x2ExtractLane(1).f64Add();
}

/**
 * The module: `<op>Chunk(c, x, n4, per)` in place for each forward op; `<op>Chunk(c, dx, dy, v,
 * n4, per)` (dx += dy·g(v)) for each backward op; and over rows of g4 groups of four,
 * `softmaxChunk(c, x, g4, rows, per, 0)` in place, `lseChunk(c, x, g4, rows, per, sums)` (each
 * row's Σ e^(x − m) as float64 at sums + 8r) and `logChunk(c, x, g4, rows, per, ls)` (x = x − m −
 * ls[r], ls float32 at ls + 4r); pointers in bytes, `per` groups (or rows) per chunk.
 */
export function buildUnaryModule(): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  importWasmMemory(m);
  for (const [name, emit] of Object.entries(FORWARD)) {
    const L = new Locals(4);
    const s = L.i32(), n = L.i32(), q = L.i32(), i = L.i32();
    const t = Array.from({ length: SCRATCH }, () => L.v128());
    m.func(`${name}Chunk`, [I32, I32, I32, I32], [], L.list(), (f) => {
      const [c, x, n4, per] = [0, 1, 2, 3];
      chunkRange(f, c, per, n4, s, n);
      f.localGet(x).localGet(s).i32Const(4).i32Shl().i32Add().localSet(q);
      forLoop(f, i, n, 1, () => {
        f.localGet(q).localGet(q).v128Load(0);
        emit(f, t);
        f.v128Store(0);
        f.localGet(q).i32Const(16).i32Add().localSet(q);
      });
    });
  }
  for (const [name, emit] of Object.entries(BACKWARD)) {
    const L = new Locals(6);
    const s = L.i32(), n = L.i32(), o = L.i32(), i = L.i32();
    const t = Array.from({ length: SCRATCH }, () => L.v128());
    m.func(`${name}Chunk`, [I32, I32, I32, I32, I32, I32], [], L.list(), (f) => {
      const [c, dx, dy, v, n4, per] = [0, 1, 2, 3, 4, 5];
      chunkRange(f, c, per, n4, s, n);
      f.localGet(s).i32Const(4).i32Shl().localSet(o);
      forLoop(f, i, n, 1, () => {
        f.localGet(dx).localGet(o).i32Add(); // the store's address
        f.localGet(dx).localGet(o).i32Add().v128Load(0);
        f.localGet(dy).localGet(o).i32Add().v128Load(0);
        f.localGet(v).localGet(o).i32Add().v128Load(0);
        emit(f, t);
        f.f32x4Mul().f32x4Add().v128Store(0);
        f.localGet(o).i32Const(16).i32Add().localSet(o);
      });
    });
  }
  for (const kind of ['softmax', 'lse', 'log'] as const) {
    const L = new Locals(6);
    const s = L.i32(), n = L.i32(), r = L.i32(), g = L.i32(), p = L.i32(), q = L.i32(), row = L.i32();
    const mx = L.v128(), e = L.v128(), s0 = L.v128(), s1 = L.v128(), a = L.v128(), b = L.v128(), t = L.v128();
    m.func(`${kind}Chunk`, [I32, I32, I32, I32, I32, I32], [], L.list(), (f) => {
      const [c, x, g4, rows, per, aux] = [0, 1, 2, 3, 4, 5];
      chunkRange(f, c, per, rows, s, n);
      forLoop(f, r, n, 1, () => {
        f.localGet(s).localGet(r).i32Add().localTee(row);
        f.localGet(g4).i32Mul().i32Const(4).i32Shl().localGet(x).i32Add().localSet(p);
        rowMax(f, p, g4, g, q, mx);
        f.localGet(p).localSet(q);
        if (kind === 'log') {
          f.localGet(aux).localGet(row).i32Const(2).i32Shl().i32Add().v128Load32Splat(0).localSet(a);
          forLoop(f, g, g4, 1, () => {
            f.localGet(q).localGet(q).v128Load(0).localGet(mx).f32x4Sub().localGet(a).f32x4Sub().v128Store(0);
            f.localGet(q).i32Const(16).i32Add().localSet(q);
          });
          return;
        }
        f.v128ConstF32(0).localSet(s0);
        f.v128ConstF32(0).localSet(s1);
        forLoop(f, g, g4, 1, () => {
          f.localGet(q).v128Load(0).localGet(mx).f32x4Sub();
          emitExp(f, a, b, t);
          f.localSet(e);
          if (kind === 'softmax') f.localGet(q).localGet(e).v128Store(0);
          addF64(f, e, s0, s1);
          f.localGet(q).i32Const(16).i32Add().localSet(q);
        });
        if (kind === 'lse') {
          f.localGet(aux).localGet(row).i32Const(3).i32Shl().i32Add();
          sumF64(f, s0, s1);
          f.f64Store(0);
          return;
        }
        // softmax: x = e · (1 / Σ) with the reciprocal rounded to float32 once.
        f.f64Const(1);
        sumF64(f, s0, s1);
        f.f64Div().f32DemoteF64().f32x4Splat().localSet(a);
        f.localGet(p).localSet(q);
        forLoop(f, g, g4, 1, () => {
          f.localGet(q).localGet(q).v128Load(0).localGet(a).f32x4Mul().v128Store(0);
          f.localGet(q).i32Const(16).i32Add().localSet(q);
        });
      });
    });
  }
  for (const kind of ['softmaxBack', 'logSoftmaxBack'] as const) {
    const L = new Locals(7);
    const s = L.i32(), n = L.i32(), r = L.i32(), g = L.i32(), o = L.i32(), q = L.i32();
    const v = L.v128(), s0 = L.v128(), s1 = L.v128(), a = L.v128(), b = L.v128(), t = L.v128();
    m.func(`${kind}Chunk`, [I32, I32, I32, I32, I32, I32, I32], [], L.list(), (f) => {
      const [c, dx, dy, y, g4, rows, per] = [0, 1, 2, 3, 4, 5, 6];
      chunkRange(f, c, per, rows, s, n);
      forLoop(f, r, n, 1, () => {
        // o = the row's first byte offset (the same in dx, dy and y).
        f.localGet(s).localGet(r).i32Add().localGet(g4).i32Mul().i32Const(4).i32Shl().localSet(o);
        // The row's Σ dy·y (softmax) or Σ dy (log-softmax), in float64.
        f.v128ConstF32(0).localSet(s0);
        f.v128ConstF32(0).localSet(s1);
        f.localGet(o).localSet(q);
        forLoop(f, g, g4, 1, () => {
          f.localGet(dy).localGet(q).i32Add().v128Load(0);
          if (kind === 'softmaxBack') f.localGet(y).localGet(q).i32Add().v128Load(0).f32x4Mul();
          f.localSet(v);
          addF64(f, v, s0, s1);
          f.localGet(q).i32Const(16).i32Add().localSet(q);
        });
        sumF64(f, s0, s1);
        f.f32DemoteF64().f32x4Splat().localSet(a);
        f.localGet(o).localSet(q);
        forLoop(f, g, g4, 1, () => {
          f.localGet(dx).localGet(q).i32Add(); // the store's address
          f.localGet(dx).localGet(q).i32Add().v128Load(0);
          if (kind === 'softmaxBack') {
            // dx += y·(dy − Σ dy·y)
            f.localGet(y).localGet(q).i32Add().v128Load(0);
            f.localGet(dy).localGet(q).i32Add().v128Load(0).localGet(a).f32x4Sub().f32x4Mul();
          } else {
            // dx += dy − e^y·Σ dy
            f.localGet(dy).localGet(q).i32Add().v128Load(0);
            f.localGet(y).localGet(q).i32Add().v128Load(0);
            emitExp(f, b, t, v);
            f.localGet(a).f32x4Mul().f32x4Sub();
          }
          f.f32x4Add().v128Store(0);
          f.localGet(q).i32Const(16).i32Add().localSet(q);
        });
      });
    });
  }
  return m.build();
}

let moduleId = -1;

/** Compiles the module on first use and makes it known to the threads; returns its id. */
function getModule(): number {
  if (moduleId < 0) {
    const module = new WebAssembly.Module(buildUnaryModule());
    moduleId = registerModule(module, new WebAssembly.Instance(module, { env: { mem: wasmMemory() } }));
  }
  return moduleId;
}

/** y = f(x) over N elements through the module's `<name>Chunk`: staged in, computed in place, staged out. */
function forward(name: keyof typeof FORWARD, out: Float32Array, x: Float32Array, N: number): void {
  const n4 = (N + 3) >> 2;
  ensureBytes(n4 * 16);
  const mem = f32View();
  mem.set(x.subarray(0, N), 0);
  runChunks(getModule(), `${name}Chunk`, Math.ceil(n4 / EW_CHUNK), [0, n4, EW_CHUNK], N >= PARALLEL_MIN);
  out.set(mem.subarray(0, N), 0);
}

/** dx += dy · g(v) over N elements through the module's `<name>Chunk`. */
function backward(name: keyof typeof BACKWARD, dx: Float32Array, dy: Float32Array, v: Float32Array, N: number): void {
  const n4 = (N + 3) >> 2, M = n4 << 2;
  ensureBytes(3 * M * 4);
  const mem = f32View();
  mem.set(dx.subarray(0, N), 0);
  mem.set(dy.subarray(0, N), M);
  mem.set(v.subarray(0, N), 2 * M);
  runChunks(getModule(), `${name}Chunk`, Math.ceil(n4 / EW_CHUNK), [0, 4 * M, 8 * M, n4, EW_CHUNK], N >= PARALLEL_MIN);
  dx.set(mem.subarray(0, N), 0);
}

/** eˣ on the wasm backend: the contract of the JS `expForward`. */
export function wasmExpForward(out: Float32Array, x: Float32Array, N: number): void {
  forward('exp', out, x, N);
}
/** tanh on the wasm backend: the contract of the JS `tanhForward`. */
export function wasmTanhForward(out: Float32Array, x: Float32Array, N: number): void {
  forward('tanh', out, x, N);
}
/** σ on the wasm backend: the contract of the JS `sigmoidForward`. */
export function wasmSigmoidForward(out: Float32Array, x: Float32Array, N: number): void {
  forward('sigmoid', out, x, N);
}
/** Exact GELU on the wasm backend: the contract of the JS `geluForward`. */
export function wasmGeluForward(out: Float32Array, x: Float32Array, N: number): void {
  forward('gelu', out, x, N);
}
/** dx += dy·y on the wasm backend: the contract of the JS `mulByOutputBackward`. */
export function wasmMulByOutputBackward(dx: Float32Array, dy: Float32Array, y: Float32Array, N: number): void {
  backward('expBack', dx, dy, y, N);
}
/** dx += dy·(1 − y²) on the wasm backend: the contract of the JS `tanhBackward`. */
export function wasmTanhBackward(dx: Float32Array, dy: Float32Array, y: Float32Array, N: number): void {
  backward('tanhBack', dx, dy, y, N);
}
/** dx += dy·y(1 − y) on the wasm backend: the contract of the JS `sigmoidBackward`. */
export function wasmSigmoidBackward(dx: Float32Array, dy: Float32Array, y: Float32Array, N: number): void {
  backward('sigmoidBack', dx, dy, y, N);
}
/** dx += dy·(Φ(x) + xφ(x)) on the wasm backend: the contract of the JS `geluBackward`. */
export function wasmGeluBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, N: number): void {
  backward('geluBack', dx, dy, x, N);
}

/**
 * True when the [O, R, I] view goes to the wasm row kernels: the last axis, with rows that are a
 * multiple of four or long enough to pad. It depends on R alone, so a row's result does not
 * depend on how many rows the batch has.
 */
function rowsInWasm(R: number, I: number): boolean {
  return I === 1 && R > 0 && (R % 4 === 0 || R >= 16);
}

/** Stages O rows of R into the memory from float `at` with a row stride of Rp (a multiple of four), padding with `pad`. */
function stageRows(mem: Float32Array, x: Float32Array, O: number, R: number, Rp: number, at = 0, pad = -Infinity): void {
  if (Rp === R) {
    mem.set(x.subarray(0, O * R), at);
    return;
  }
  for (let o = 0; o < O; o++) {
    mem.set(x.subarray(o * R, (o + 1) * R), at + o * Rp);
    mem.fill(pad, at + o * Rp + R, at + (o + 1) * Rp);
  }
}

/** Copies O rows of R out of the memory (row stride Rp) into out. */
function unstageRows(out: Float32Array, mem: Float32Array, O: number, R: number, Rp: number): void {
  if (Rp === R) out.set(mem.subarray(0, O * R), 0);
  else for (let o = 0; o < O; o++) out.set(mem.subarray(o * Rp, o * Rp + R), o * R);
}

/** Softmax over the middle axis of [O, R, I] on the wasm backend: the contract of the JS `softmaxForward`. */
export function wasmSoftmaxForward(out: Float32Array, x: Float32Array, O: number, R: number, I: number): void {
  if (!rowsInWasm(R, I)) {
    jsSoftmaxForward(out, x, O, R, I);
    return;
  }
  const g4 = (R + 3) >> 2, Rp = g4 << 2;
  ensureBytes(O * Rp * 4);
  const mem = f32View();
  stageRows(mem, x, O, R, Rp);
  const per = Math.max(1, Math.floor(SOFTMAX_CHUNK / g4));
  runChunks(getModule(), 'softmaxChunk', Math.ceil(O / per), [0, g4, O, per, 0], O * R >= PARALLEL_MIN);
  unstageRows(out, mem, O, R, Rp);
}

/** Log-softmax over the middle axis of [O, R, I] on the wasm backend: the contract of the JS `logSoftmaxForward`. */
export function wasmLogSoftmaxForward(out: Float32Array, x: Float32Array, O: number, R: number, I: number): void {
  if (!rowsInWasm(R, I)) {
    jsLogSoftmaxForward(out, x, O, R, I);
    return;
  }
  const g4 = (R + 3) >> 2, Rp = g4 << 2;
  const sumsAt = O * Rp * 4, lsAt = sumsAt + O * 8;
  ensureBytes(lsAt + O * 4);
  const mem = f32View();
  stageRows(mem, x, O, R, Rp);
  const per = Math.max(1, Math.floor(SOFTMAX_CHUNK / g4));
  const parallel = O * R >= PARALLEL_MIN;
  runChunks(getModule(), 'lseChunk', Math.ceil(O / per), [0, g4, O, per, sumsAt], parallel);
  // ln Σ per row in float64, as the JS kernel (one Math.log per row).
  const sums = new Float64Array(mem.buffer, sumsAt, O);
  for (let o = 0; o < O; o++) mem[lsAt / 4 + o] = Math.log(sums[o]);
  runChunks(getModule(), 'logChunk', Math.ceil(O / per), [0, g4, O, per, lsAt], parallel);
  unstageRows(out, mem, O, R, Rp);
}

/** dx += g over rows through `<kind>Chunk`: dx, dy and y staged with the pads that make the pads contribute nothing. */
function rowsBackward(kind: 'softmaxBack' | 'logSoftmaxBack', dx: Float32Array, dy: Float32Array, y: Float32Array, O: number, R: number): void {
  const g4 = (R + 3) >> 2, Rp = g4 << 2, M = O * Rp;
  ensureBytes(3 * M * 4);
  const mem = f32View();
  stageRows(mem, dx, O, R, Rp, 0, 0);
  stageRows(mem, dy, O, R, Rp, M, 0);
  stageRows(mem, y, O, R, Rp, 2 * M, kind === 'softmaxBack' ? 0 : -Infinity);
  const per = Math.max(1, Math.floor(SOFTMAX_CHUNK / g4));
  runChunks(getModule(), `${kind}Chunk`, Math.ceil(O / per), [0, 4 * M, 8 * M, g4, O, per], O * R >= PARALLEL_MIN);
  unstageRows(dx, mem, O, R, Rp);
}

/** Softmax backward over the middle axis of [O, R, I] on the wasm backend: the contract of the JS `softmaxBackward`. */
export function wasmSoftmaxBackward(dx: Float32Array, dy: Float32Array, y: Float32Array, O: number, R: number, I: number): void {
  if (!rowsInWasm(R, I)) jsSoftmaxBackward(dx, dy, y, O, R, I);
  else rowsBackward('softmaxBack', dx, dy, y, O, R);
}

/** Log-softmax backward over the middle axis of [O, R, I] on the wasm backend: the contract of the JS `logSoftmaxBackward`. */
export function wasmLogSoftmaxBackward(dx: Float32Array, dy: Float32Array, y: Float32Array, O: number, R: number, I: number): void {
  if (!rowsInWasm(R, I)) jsLogSoftmaxBackward(dx, dy, y, O, R, I);
  else rowsBackward('logSoftmaxBack', dx, dy, y, O, R);
}
