/**
 * The wasm backend's max pooling for the 2×2, stride 2 window without padding or dilation (the
 * `MaxPool2d(2)` of most CNNs), the contract of the JS `maxPool2dForward` (pool.ts); every other
 * window takes the JS kernel.
 *
 * The input is copied into the wasm memory in one piece; for each pair of input rows, four outputs
 * at a time: two `v128.load`s per row give eight consecutive columns, an `i8x16.shuffle` splits
 * them into the even and the odd columns, and the four taps are compared in the JS kernel's
 * row-major order with the same rule (`v > best` or `v` is NaN takes the tap), so the maximum and
 * its argmax are identical to the JS kernel's, ties and NaN included. A row's last group of four
 * may run past OW: those lanes land on the next row's first outputs, which are written after them,
 * and past the end in a tail of slack.
 */
import { maxPool2dForward as jsMaxPool2dForward, type Pool2dParams } from '../pool';
import { I32, ModuleBuilder, V128, type Code, type ValType } from './encoder';
import { ensureBytes, f32View, importWasmMemory, wasmMemory } from './memory';
import { registerModule, runChunks } from './threads';

// SIMD opcodes the encoder has no method for (sub-opcodes from the SIMD spec).
const I8X16_SHUFFLE = 0x0d, F32X4_NE = 0x42, F32X4_GT = 0x44, V128_OR = 0x50, V128_BITSELECT = 0x52;
const EVEN = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
const ODD = EVEN.map((b) => b + 4);

/** The module: `max2x2(xs, out, am, planes, OH, OW, W, H)` (pointers in bytes). */
export function buildPoolModule(): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  importWasmMemory(m);
  const [xs, out, am, planes, OH, OW, W, H] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [n, oh, c, chunks, p0, p1, po, pa, plane] = [8, 9, 10, 11, 12, 13, 14, 15, 16];
  const [a0, a1, best, idx, v, mask, base, one, wv, w1, eight, rowBase] = [17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28];
  const locals: ValType[] = [...Array<ValType>(9).fill(I32), ...Array<ValType>(12).fill(V128)];
  const max2x2 = m.func('max2x2', Array<ValType>(8).fill(I32), [], locals, (f: Code) => {
    const shuffle = (lanes: number[]): Code => f.simd(I8X16_SHUFFLE).raw(...lanes);
    // One tap: mask = v > best | v ≠ v; best = mask ? v : best; idx = mask ? base + off : idx.
    const tap = (off: number | null): void => {
      f.localGet(v).localGet(best).simd(F32X4_GT).localGet(v).localGet(v).simd(F32X4_NE).simd(V128_OR).localSet(mask);
      f.localGet(v).localGet(best).localGet(mask).simd(V128_BITSELECT).localSet(best);
      f.localGet(base);
      if (off !== null) f.localGet(off).i32x4Add();
      f.localGet(idx).localGet(mask).simd(V128_BITSELECT).localSet(idx);
    };
    f.localGet(OW).i32Const(3).i32Add().i32Const(2).i32ShrU().localSet(chunks);
    f.i32Const(1).i32x4Splat().localSet(one);
    f.localGet(W).i32x4Splat().localSet(wv);
    f.localGet(W).i32Const(1).i32Add().i32x4Splat().localSet(w1);
    f.i32Const(8).i32x4Splat().localSet(eight);
    f.localGet(H).localGet(W).i32Mul().i32Const(2).i32Shl().localSet(plane);
    f.localGet(out).localSet(po);
    f.localGet(am).localSet(pa);
    f.i32Const(0).localSet(n);
    f.loop(); // planes
    f.i32Const(0).localSet(oh);
    f.loop(); // output rows
    // p0, p1: the two input rows; rowBase = (2·oh·W) + (0, 2, 4, 6), the argmax of the even row-0 taps.
    f.localGet(xs).localGet(n).localGet(plane).i32Mul().i32Add()
      .localGet(oh).localGet(W).i32Mul().i32Const(3).i32Shl().i32Add().localSet(p0);
    f.localGet(p0).localGet(W).i32Const(2).i32Shl().i32Add().localSet(p1);
    f.localGet(oh).localGet(W).i32Mul().i32Const(1).i32Shl().i32x4Splat();
    f.simd(0x0c).raw(...new Uint8Array(Int32Array.of(0, 2, 4, 6).buffer)).i32x4Add().localSet(rowBase);
    f.localGet(rowBase).localSet(base);
    f.i32Const(0).localSet(c);
    f.loop(); // groups of four outputs
    f.localGet(p0).v128Load(0, 2).localSet(a0);
    f.localGet(p0).v128Load(16, 2).localSet(a1);
    f.localGet(a0).localGet(a1); shuffle(EVEN).localSet(best);
    f.localGet(base).localSet(idx);
    f.localGet(a0).localGet(a1); shuffle(ODD).localSet(v);
    tap(one);
    f.localGet(p1).v128Load(0, 2).localSet(a0);
    f.localGet(p1).v128Load(16, 2).localSet(a1);
    f.localGet(a0).localGet(a1); shuffle(EVEN).localSet(v);
    tap(wv);
    f.localGet(a0).localGet(a1); shuffle(ODD).localSet(v);
    tap(w1);
    f.localGet(po).localGet(best).v128Store(0, 2);
    f.localGet(pa).localGet(idx).v128Store(0, 2);
    f.localGet(p0).i32Const(32).i32Add().localSet(p0);
    f.localGet(p1).i32Const(32).i32Add().localSet(p1);
    f.localGet(po).i32Const(16).i32Add().localSet(po);
    f.localGet(pa).i32Const(16).i32Add().localSet(pa);
    f.localGet(base).localGet(eight).i32x4Add().localSet(base);
    f.localGet(c).i32Const(1).i32Add().localTee(c).localGet(chunks).i32LtS().brIf(0);
    f.end();
    // Step back over the lanes past OW: the next row starts right after this row's OW outputs.
    f.localGet(po).localGet(chunks).i32Const(2).i32Shl().localGet(OW).i32Sub().i32Const(2).i32Shl().i32Sub().localSet(po);
    f.localGet(pa).localGet(chunks).i32Const(2).i32Shl().localGet(OW).i32Sub().i32Const(2).i32Shl().i32Sub().localSet(pa);
    f.localGet(oh).i32Const(1).i32Add().localTee(oh).localGet(OH).i32LtS().brIf(0);
    f.end();
    f.localGet(n).i32Const(1).i32Add().localTee(n).localGet(planes).i32LtS().brIf(0);
    f.end();
  });
  // maxChunk(c, xs, out, am, planes, OH, OW, W, H, per, outStride): max2x2 over the planes
  // [c·per, min(planes, (c + 1)·per)), writing at out + c·outStride and am + c·outStride (bytes),
  // so a chunk's lanes past its last row land in its own slack. The chunk function of runChunks.
  {
    const [c, pxs, pout, pam, pplanes, pOH, pOW, pW, pH, per, stride] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const [s, cnt] = [11, 12];
    m.func('maxChunk', Array<ValType>(11).fill(I32), [], [I32, I32], (f: Code) => {
      f.localGet(c).localGet(per).i32Mul().localTee(s).localGet(per).i32Add().localGet(pplanes).i32GtS().if();
      f.localGet(pplanes).localGet(s).i32Sub().localSet(cnt);
      f.else();
      f.localGet(per).localSet(cnt);
      f.end();
      f.localGet(pxs).localGet(s).localGet(pH).i32Mul().localGet(pW).i32Mul().i32Const(2).i32Shl().i32Add();
      f.localGet(pout).localGet(c).localGet(stride).i32Mul().i32Add();
      f.localGet(pam).localGet(c).localGet(stride).i32Mul().i32Add();
      f.localGet(cnt).localGet(pOH).localGet(pOW).localGet(pW).localGet(pH).call(max2x2);
    });
  }
  return m.build();
}

let moduleId = -1;

/** Compiles the module on first use and makes it known to the threads; returns its id. */
function getModule(): number {
  if (moduleId < 0) {
    const module = new WebAssembly.Module(buildPoolModule());
    moduleId = registerModule(module, new WebAssembly.Instance(module, { env: { mem: wasmMemory() } }));
  }
  return moduleId;
}

/** At most this many chunks of planes per call; the planes per chunk are a function of the shape only. */
const POOL_CHUNKS = 16;
/** From this many outputs the workers are woken. */
const POOL_PARALLEL_MIN = 1 << 14;

/**
 * Max pooling on the wasm backend: the signature and contract of the JS `maxPool2dForward`
 * (out and argmax (B, C, OH, OW) overwritten, argmax the tap's index ih·W + iw in its plane, the
 * first maximum wins ties, NaN wins). Bit-identical to the JS kernel. The 2×2 stride-2 window
 * without padding or dilation runs in wasm; other windows take the JS kernel.
 */
export function wasmMaxPool2dForward(
  out: Float32Array, argmax: Int32Array, inp: Float32Array, p: Pool2dParams,
  B: number, C: number, H: number, W: number, OH: number, OW: number,
): void {
  const n = B * C * OH * OW;
  const fits = p.kH === 2 && p.kW === 2 && p.sH === 2 && p.sW === 2 && p.pH === 0 && p.pW === 0 && p.dH === 1 && p.dW === 1;
  // Below a few hundred outputs the staging costs more than it saves.
  if (!fits || n < 256) {
    jsMaxPool2dForward(out, argmax, inp, p, B, C, H, W, OH, OW);
    return;
  }
  const inLen = B * C * H * W;
  ensureBytes((inLen + 8) * 4);
  f32View().set(inp.subarray(0, inLen), 0);
  wasmMaxPoolInMemory(0, (inLen + 8 + 15) & ~15, B * C, H, W, OH, OW, out, argmax);
}

/**
 * The 2×2 stride-2 max pool of `planes` H × W planes already in the wasm memory at float offset
 * `at`, followed by 8 floats of slack that this zeroes (the last group of four reads up to 8 past
 * the last row pair); the chunks' outputs and argmaxes are placed from float offset `free` (16-float
 * aligned) on, and copied out to `out` and, unless null, `argmax` (each planes × OH × OW). The
 * pooling step of {@link wasmMaxPool2dForward} and of the convolution with a fused pool.
 * @internal
 */
export function wasmMaxPoolInMemory(
  at: number, free: number, planes: number, H: number, W: number, OH: number, OW: number, out: Float32Array, argmax: Int32Array | null,
): void {
  const id = getModule();
  const n = planes * OH * OW;
  // Chunks of `per` planes; each chunk's output and argmax get `stride` floats (its outputs and 4
  // of slack, rounded to 16).
  const per = Math.ceil(planes / Math.min(planes, POOL_CHUNKS)), nCh = Math.ceil(planes / per);
  const stride = (per * OH * OW + 4 + 15) & ~15;
  const outB = free, amB = outB + nCh * stride;
  ensureBytes((amB + nCh * stride) * 4);
  const mem = f32View();
  mem.fill(0, at + planes * H * W, at + planes * H * W + 8);
  runChunks(id, 'maxChunk', nCh, [at * 4, outB * 4, amB * 4, planes, OH, OW, W, H, per, stride * 4], n >= POOL_PARALLEL_MIN);
  const am = new Int32Array(mem.buffer);
  const chunkOut = per * OH * OW;
  for (let c = 0; c < nCh; c++) {
    const len = Math.min(chunkOut, n - c * chunkOut);
    out.set(mem.subarray(outB + c * stride, outB + c * stride + len), c * chunkOut);
    if (argmax !== null) argmax.set(am.subarray(amB + c * stride, amB + c * stride + len), c * chunkOut);
  }
}
