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
  conv2dBackward as jsConv2dBackward, conv2dForward as jsConv2dForward,
  convTranspose2dBackward as jsConvTranspose2dBackward, convTranspose2dForward as jsConvTranspose2dForward,
  type ConvGeom,
} from '../conv';
import { maxPool2dBackward as jsMaxPool2dBackward } from '../pool';
import { buildConvModule, OP_COPY, OP_DGRAD, OP_FWD, OP_SUM, OP_UNPOOL, OP_WGRAD, OP_WORDS, OP_ZERO } from './conv-module';
import { ensureBytes, f32View, wasmMemory } from './memory';
import { wasmMaxPoolInMemory } from './pool';
import { wasmReluInMemory } from './relu';
import { registerModule, runChunks, wakeWorkers } from './threads';

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
 * The pooled side of a fused conv2d + ReLU + 2×2 max pool: the pooled output and its argmax, each
 * (B, C, ⌊H/2⌋, ⌊W/2⌋) for planes of H × W, with which a gradient of the pooled output becomes the
 * convolution's output gradient (`maxPool2dBackward` with the ReLU's mask). A kernel given one
 * takes that pooled gradient in place of its dense dy (or, for the flipped forward of the input
 * gradient, its x) and builds each image's dense planes in the memory inside the image's chunk.
 */
interface Unpool {
  out: Float32Array;
  argmax: Int32Array;
}

/** Images [b0, b0 + nb) of an unpool whose images hold `per` pooled floats each. */
const unpoolPart = (u: Unpool, b0: number, nb: number, per: number): Unpool =>
  ({ out: u.out.subarray(b0 * per, (b0 + nb) * per), argmax: u.argmax.subarray(b0 * per, (b0 + nb) * per) });

/** The dense planes of an unpool, in JS (for a path that takes a dense array). */
function unpoolDense(dy: Float32Array, u: Unpool, planes: number, H: number, W: number): Float32Array {
  const d = new Float32Array(planes * H * W);
  jsMaxPool2dBackward(d, dy, u.argmax, 1, planes, H, W, H >> 1, W >> 1, u.out);
  return d;
}

/**
 * The memory regions of an unpool of `np` pooled floats from float offset `at`: the pooled
 * gradient, output and argmax; `end` is the first float after them.
 */
function unpoolRegions(at: number, np: number): { DYP: number; OUTP: number; AMP: number; end: number } {
  const DYP = al(at), OUTP = al(DYP + np), AMP = al(OUTP + np);
  return { DYP, OUTP, AMP, end: al(AMP + np) };
}

/** Copies the pooled gradient, output and argmax of `np` floats into their regions. */
function stageUnpool(mem: Float32Array, ints: Int32Array, dy: Float32Array, u: Unpool, r: { DYP: number; OUTP: number; AMP: number }, np: number): void {
  mem.set(dy.subarray(0, np), r.DYP);
  mem.set(u.out.subarray(0, np), r.OUTP);
  ints.set(u.argmax.subarray(0, np), r.AMP);
}

/** Plan ops building image b's C dense planes of P floats at `dense` from planes of PP pooled floats. */
function planUnpool(dense: number, r: { DYP: number; OUTP: number; AMP: number }, b: number, C: number, P: number, PP: number): void {
  for (let c = 0; c < C; c++) {
    const q = (b * C + c) * PP;
    plan.op(OP_UNPOOL, 4 * (dense + (b * C + c) * P), 4 * (r.DYP + q), 4 * (r.OUTP + q), 4 * (r.AMP + q), PP, P);
  }
}

/**
 * conv2d forward on the wasm backend: the signature and contract of the JS `conv2dForward`
 * (x (B, G·Cg, H, W), w (OC, Cg, KH, KW), bias (OC) or null, out (B, OC, OH, OW), overwritten
 * or accumulated; with `relu`, max(out, 0) taken while the output is still in the wasm memory;
 * with `pool`, out is (B, OC, ⌊OH/2⌋, ⌊OW/2⌋), the 2×2 stride-2 max pool of that output, taken in
 * the wasm memory too, so the full-size output is never copied out; its argmax is copied to `pool`
 * when that is an Int32Array). With `unpool` (internal: the input gradient's flipped forward), x
 * is a pooled gradient whose dense planes are built in the memory (see {@link Unpool}).
 * Results within float32 rounding of a Cg·KH·KW-term sum.
 */
export function wasmConv2dForward(
  out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, B: number, OC: number, G: number, g: ConvGeom,
  accumulate = false, relu = false, pool: boolean | Int32Array = false, unpool: Unpool | null = null,
): void {
  const { C: Cg, H, W, KH, KW, OH, OW } = g;
  // With pool, out is overwritten (the JS kernel's contract too).
  if (pool !== false) accumulate = false;
  if (jsPath(g, OC, G) || B === 0 || (pool !== false && (OH < 2 || OW < 2))) {
    jsConv2dForward(out, unpool === null ? x : unpoolDense(x, unpool, B * G * Cg, H, W), w, bias, B, OC, G, g, accumulate, relu, pool);
    return;
  }
  const OCg = OC / G, Kc = Cg * KH * KW, P = OH * OW, Mp = (OCg + 3) & ~3, HW = H * W;
  const PX = unpool === null ? 0 : (H >> 1) * (W >> 1), xPer = G * Cg * (unpool === null ? HW : PX);
  const chunk = batchChunk(G * Cg * HW + OC * P);
  if (B > chunk) {
    const outPer = pool !== false ? OC * (OH >> 1) * (OW >> 1) : OC * P;
    for (let b0 = 0; b0 < B; b0 += chunk) {
      const nb = Math.min(chunk, B - b0);
      const am = typeof pool === 'boolean' ? pool : pool.subarray(b0 * outPer, (b0 + nb) * outPer);
      const u = unpool === null ? null : unpoolPart(unpool, b0, nb, xPer);
      wasmConv2dForward(out.subarray(b0 * outPer, (b0 + nb) * outPer), x.subarray(b0 * xPer, (b0 + nb) * xPer), w, bias, nb, OC, G, g, accumulate, relu, am, u);
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
  // With unpool, then the pooled x, output and argmax.
  const wpB = 0, tapB = al(G * Mp * Kc), sc0 = al(tapB + Kc), X = sc0 + nCh * scr, O = al(X + nx);
  const up = unpoolRegions(O + no + 8, B * G * Cg * PX), PL = up.end;
  const parallel = B * G * Mp * Nq8 * Kc >= PARALLEL_MIN_WORK;
  plan.reset(parallel);
  for (let k = 0; k < nCh; k++) {
    const xsB = sc0 + k * scr, cB = xsB + xsLen;
    for (let b = k * per; b < Math.min(B, (k + 1) * per); b++) {
      if (unpool !== null) planUnpool(X, up, b, G * Cg, HW, PX);
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
  if (unpool === null) mem.set(x.subarray(0, nx), X);
  else stageUnpool(mem, ints, x, unpool, up, B * G * Cg * PX);
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
 * dw[o, k] += Σ_{b, p} dy[b, o, p]·cols_b[k, p] on the wasm backend (the weight gradient of
 * {@link wasmConv2dForward}), and dbias[o] += Σ_{b, p} dy[b, o, p] unless dbias is null (each
 * image's row summed in f32x4 lanes, the rows added in float64); the caller has ruled out the
 * JS path. With `unpool`, dy is the gradient of the pooled output, and each image's dense dy is
 * built from it in the memory, inside the image's chunk (`maxPool2dBackward` with the ReLU's mask,
 * in wasm).
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
      const nb = Math.min(chunk, B - b0), part = unpool === null ? null : unpoolPart(unpool, b0, nb, dyPer);
      wasmWeightGrad(dw, dbias, dy.subarray(b0 * dyPer, (b0 + nb) * dyPer), x.subarray(b0 * G * Cg * HW, (b0 + nb) * G * Cg * HW), nb, OC, G, g, part);
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
  const tapB = 0, sc0 = al(Kp), X = sc0 + nCh * scr, Y = al(X + nx), DB = al(Y + ny);
  const up = unpoolRegions(DB + (dbias === null ? 0 : B * OC), B * OC * PP), PL = up.end;
  const parallel = B * G * Mp * s.Nq8 * Kc >= PARALLEL_MIN_WORK;
  plan.reset(parallel);
  for (let k = 0; k < nCh; k++) {
    const xsB = sc0 + k * scr, dyB = xsB + xsLen, accB = dyB + dyLen;
    for (let b = k * per; b < Math.min(B, (k + 1) * per); b++) {
      if (unpool !== null) planUnpool(Y, up, b, OC, P, PP);
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
  else stageUnpool(mem, ints, dy, unpool, up, B * OC * PP);
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
 * the caller has ruled out the JS path. With `unpool`, dy is the gradient of the pooled output
 * (see {@link Unpool}).
 */
function wasmInputGrad(dx: Float32Array, dy: Float32Array, w: Float32Array, B: number, OC: number, G: number, g: ConvGeom, unpool: Unpool | null = null): void {
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
    wasmConv2dForward(dx, dy, flipBuf, null, B, G * Cg, G, gT, true, false, false, unpool);
    return;
  }
  const { C: Cg, H, W, KH, KW, OH, OW } = g;
  const OCg = OC / G, Kc = Cg * KH * KW, P = OH * OW, Kp = (Kc + 3) & ~3, HW = H * W;
  const PP = unpool === null ? 0 : (OH >> 1) * (OW >> 1), dyPer = OC * (unpool === null ? P : PP);
  const chunk = batchChunk(G * Cg * HW + OC * P);
  if (B > chunk) {
    for (let b0 = 0; b0 < B; b0 += chunk) {
      const nb = Math.min(chunk, B - b0), part = unpool === null ? null : unpoolPart(unpool, b0, nb, dyPer);
      wasmInputGrad(dx.subarray(b0 * G * Cg * HW, (b0 + nb) * G * Cg * HW), dy.subarray(b0 * dyPer, (b0 + nb) * dyPer), w, nb, OC, G, g, part);
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
  // With unpool, then the pooled dy, output and argmax.
  const wtB = 0, tapB = al(G * Kp * OCg), sc0 = al(tapB + Kp), X = sc0 + nCh * scr, Y = al(X + nx);
  const up = unpoolRegions(Y + ny, B * OC * PP), PL = up.end;
  const parallel = B * G * Kp * Nq8 * OCg >= PARALLEL_MIN_WORK;
  plan.reset(parallel);
  for (let k = 0; k < nCh; k++) {
    const dyB = sc0 + k * scr, dxB = dyB + dyLen;
    for (let b = k * per; b < Math.min(B, (k + 1) * per); b++) {
      if (unpool !== null) planUnpool(Y, up, b, OC, P, PP);
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
  if (unpool === null) mem.set(dy.subarray(0, ny), Y);
  else stageUnpool(mem, ints, dy, unpool, up, B * OC * PP);
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
 * contract of the JS `conv2dReluPoolBackward` (dy, out and argmax (B, OC, ⌊OH/2⌋, ⌊OW/2⌋)). The
 * convolution's output gradient is built inside the weight gradient's and the input gradient's
 * chunks in the wasm memory (each builds its own), so it is never allocated, scattered or copied in
 * on the calling thread. A bias gradient without a weight gradient (and the shapes the JS kernels
 * take) gets the dense gradient built in JS and {@link wasmConv2dBackward}.
 */
export function wasmConv2dReluPoolBackward(
  dx: Float32Array | null, dw: Float32Array | null, dbias: Float32Array | null,
  dy: Float32Array, out: Float32Array, argmax: Int32Array, x: Float32Array, w: Float32Array, B: number, OC: number, G: number, g: ConvGeom,
): void {
  const u = { out, argmax };
  if (jsPath(g, OC, G) || B === 0 || (dw === null && dbias !== null)) {
    wasmConv2dBackward(dx, dw, dbias, unpoolDense(dy, u, B * OC, g.OH, g.OW), x, w, B, OC, G, g);
    return;
  }
  if (dw !== null) wasmWeightGrad(dw, dbias, dy, x, B, OC, G, g, u);
  if (dx !== null) wasmInputGrad(dx, dy, w, B, OC, G, g, u);
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
