/**
 * Convolution kernels on NCHW images, lowered to GEMM on the shared 4×4 micro-kernel. The forward
 * pass and the weight gradient never build the im2col matrix: each image is copied once into a
 * zero-padded buffer and every packed panel of columns is gathered from it through two offset
 * tables (taps, output positions), then reused by every 4-row panel of the other operand. The
 * input gradient of a stride-1 convolution is itself such a forward pass (of dy, with the kernel
 * flipped); other strides use a GEMM into columns followed by col2im, the adjoint of im2col.
 * Depthwise convolutions (one input and one output channel per group) take a direct float64
 * path instead. Gathering panels beats building the im2col matrix because each gathered panel is
 * written sequentially and then reused by every panel of the other operand; the timings of this
 * and of the alternatives tried are in bench/RESULTS.md ("Kernel design notes").
 *
 * The plain GEMMs (pointwise convolutions, the column matrix of strided input gradients) and the
 * stride-1 input gradient call `gemm` and `conv2dForward` through the kernel table (backend.ts), so
 * a backend that replaces those entries is used here too; the gathered paths run the JS backend's
 * own micro-kernel on its packed panels.
 *
 * Dims: B batch, C input channels (per group: Cg), OC output channels (per group: OCg), H W input,
 * OH OW output, KH KW kernel, SH SW stride, PH PW padding before (top, left; the bottom/right
 * padding is implied by OH/OW), DH DW dilation, G groups.
 */
import { kernels } from './backend';
import { balancedBlock, micro4x4, packedDoubles } from './matmul';
import { maxPool2dBackward, maxPool2dForward } from './pool';
import { reluForward } from './unary';

/** Geometry of one convolution (input image → output grid). */
export interface ConvGeom {
  C: number; H: number; W: number;
  KH: number; KW: number;
  OH: number; OW: number;
  SH: number; SW: number;
  PH: number; PW: number;
  DH: number; DW: number;
}

/**
 * Adjoint of im2col (which unfolds receptive fields into columns, cols[(c·KH + kh)·KW + kw,
 * oh·OW + ow] = x[c, oh·SH − PH + kh·DH, ow·SW − PW + kw·DW]): dx[c, ih, iw] += cols[…] for every
 * field that read that pixel. Accumulates.
 * Shapes: cols (C·KH·KW, OH·OW), dx (C, H, W) at xOff.
 */
export function col2im(dx: Float32Array, xOff: number, cols: Float32Array, g: ConvGeom): void {
  const { C, H, W, KH, KW, OH, OW, SH, SW, PH, PW, DH, DW } = g;
  const P = OH * OW;
  for (let c = 0; c < C; c++) {
    const xc = xOff + c * H * W;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const row = ((c * KH + kh) * KW + kw) * P;
        const d = kw * DW - PW;
        let owLo = d >= 0 ? 0 : Math.ceil(-d / SW);
        let owHi = Math.floor((W - 1 - d) / SW) + 1;
        if (owLo > OW) owLo = OW;
        if (owHi > OW) owHi = OW;
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * SH - PH + kh * DH;
          if (ih < 0 || ih >= H) continue;
          const o = row + oh * OW;
          const xr = xc + ih * W + d;
          if (SW === 1) {
            for (let ow = owLo; ow < owHi; ow++) dx[xr + ow] += cols[o + ow];
          } else {
            for (let ow = owLo; ow < owHi; ow++) dx[xr + ow * SW] += cols[o + ow];
          }
        }
      }
    }
  }
}

let dcolsBuf = new Float32Array(0);
/** Reusable scratch for the column matrix of the input gradient (grown, never shrunk). */
function scratch(n: number): Float32Array {
  if (dcolsBuf.length < n) dcolsBuf = new Float32Array(n);
  return dcolsBuf;
}

/** True when the im2col matrix is x itself (1×1 kernel, stride 1, no padding): a plain GEMM. */
function isPointwise(g: ConvGeom): boolean {
  return g.KH === 1 && g.KW === 1 && g.SH === 1 && g.SW === 1 && g.PH === 0 && g.PW === 0 && g.OH === g.H && g.OW === g.W;
}

/** out[b, o, p] += bias[o]. Shapes: out (B, OC, P), bias (OC). */
function addChannelBias(out: Float32Array, bias: Float32Array, b: number, OC: number, P: number): void {
  for (let o = 0; o < OC; o++) {
    const bo = bias[o], base = (b * OC + o) * P;
    for (let p = 0; p < P; p++) out[base + p] += bo;
  }
}

/** dbias[o] += Σ_{b, p} dy[b, o, p], summed in float64. Shapes: dy (B, OC, P), dbias (OC). */
function accumulateChannelBias(dbias: Float32Array, dy: Float32Array, B: number, OC: number, P: number): void {
  for (let o = 0; o < OC; o++) {
    let s = 0;
    for (let b = 0; b < B; b++) {
      const base = (b * OC + o) * P;
      for (let p = 0; p < P; p++) s += dy[base + p];
    }
    dbias[o] += s;
  }
}

/** Depth of a packed block, as gemm's KC: a 4 × kc panel stays in L1. */
const CONV_KC = 256;
// Scratch of the packed paths, grown on demand: packed panels of one operand followed by one
// packed panel of the other (one array, as in gemm, so the micro-kernel checks a single array),
// the zero-padded image of one group, the offset of each (c, kh, kw) tap from a receptive
// field's corner, and the offset of each output position's field. Plain JS arrays (doubles,
// small integers) for the reason given in gemm: their reads stay fast once the process has
// detached an ArrayBuffer.
let convPack: number[] = [];
let padBuf: number[] = [];
let tapBuf: number[] = [];
let posBuf: number[] = [];
const edgeTile = new Float32Array(16);

/** The padded image and offset tables of one convolution geometry. */
interface PaddedPlan {
  /** Zero-padded image of one group, (Cg, Hp, Wp); its border stays zero. */
  xp: number[];
  /** Width of a padded row. */
  Wp: number;
  /** Floats per padded channel (Hp · Wp). */
  plane: number;
  /** taps[(c·KH + kh)·KW + kw] = offset of that tap from a field's corner in xp. */
  taps: number[];
  /** pos[oh·OW + ow] = offset of that output position's field corner in xp. */
  pos: number[];
}

/**
 * Prepares the padded image buffer (zeroed) and the offset tables for `g`. The padded image has
 * PH rows and PW columns before the image and, after it, enough to hold the last receptive field.
 */
function paddedPlan(g: ConvGeom): PaddedPlan {
  const { C, H, W, KH, KW, OH, OW, SH, SW, PH, PW, DH, DW } = g;
  const Hp = Math.max((OH - 1) * SH + (KH - 1) * DH + 1, PH + H);
  const Wp = Math.max((OW - 1) * SW + (KW - 1) * DW + 1, PW + W);
  const plane = Hp * Wp;
  if (padBuf.length < C * plane) padBuf = packedDoubles(C * plane);
  padBuf.fill(0, 0, C * plane);
  while (tapBuf.length < C * KH * KW) tapBuf.push(0);
  let k = 0;
  for (let c = 0; c < C; c++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) tapBuf[k++] = c * plane + kh * DH * Wp + kw * DW;
    }
  }
  while (posBuf.length < OH * OW) posBuf.push(0);
  for (let oh = 0; oh < OH; oh++) {
    for (let ow = 0; ow < OW; ow++) posBuf[oh * OW + ow] = oh * SH * Wp + ow * SW;
  }
  return { xp: padBuf, Wp, plane, taps: tapBuf, pos: posBuf };
}

/** Copies x (Cg, H, W) at xOff into the interior of the padded image xp (Cg, Hp, Wp). */
function padImage(xp: number[], x: Float32Array, xOff: number, g: ConvGeom, Wp: number, plane: number): void {
  const { C, H, W, PH, PW } = g;
  for (let c = 0; c < C; c++) {
    for (let h = 0; h < H; h++) {
      const s = xOff + (c * H + h) * W, d = c * plane + (h + PH) * Wp + PW;
      for (let i = 0; i < W; i++) xp[d + i] = x[s + i];
    }
  }
}

/** Grows the shared pack scratch to n doubles. */
function packScratch(n: number): number[] {
  if (convPack.length < n) convPack = packedDoubles(n);
  return convPack;
}

/**
 * Packs `rows` rows of src (row stride ld, columns [k0, k0 + kc)) into 4-row panels at p[base]:
 * panel i holds p[base + i·kc + 4k + r] = src[srcOff + (i + r)·ld + k0 + k]; lanes past `rows`
 * are zero, up to Mp rows.
 */
function packRows(p: number[], base: number, src: Float32Array, srcOff: number, ld: number, rows: number, Mp: number, k0: number, kc: number): void {
  for (let i = 0; i < Mp; i += 4) {
    let q = base + i * kc;
    const r0 = srcOff + i * ld + k0;
    if (i + 4 <= rows) {
      const r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld;
      for (let k = 0; k < kc; k++, q += 4) {
        p[q] = src[r0 + k]; p[q + 1] = src[r1 + k]; p[q + 2] = src[r2 + k]; p[q + 3] = src[r3 + k];
      }
    } else {
      for (let k = 0; k < kc; k++, q += 4) {
        for (let r = 0; r < 4; r++) p[q + r] = i + r < rows ? src[r0 + r * ld + k] : 0;
      }
    }
  }
}

/**
 * One 4 × 4 block of micro4x4 into out (row stride ldo), of which only mr rows and nr columns
 * exist: full blocks go straight to out, edge blocks through a scratch tile.
 */
function microBlock(out: Float32Array, o: number, ldo: number, p: number[], ia: number, ib: number, kc: number, add: boolean, mr: number, nr: number): void {
  if (mr === 4 && nr === 4) {
    micro4x4(out, o, ldo, p, ia, ib, kc, add);
    return;
  }
  micro4x4(edgeTile, 0, 4, p, ia, ib, kc, false);
  for (let r = 0; r < mr; r++) {
    const oRow = o + r * ldo;
    if (add) for (let c = 0; c < nr; c++) out[oRow + c] += edgeTile[r * 4 + c];
    else for (let c = 0; c < nr; c++) out[oRow + c] = edgeTile[r * 4 + c];
  }
}

/**
 * Grouped 2-D convolution (cross-correlation):
 * out[b, o, oh, ow] = bias[o] + Σ_{c, kh, kw} w[o, c, kh, kw] · x[b, g·Cg + c, oh·SH − PH + kh·DH, ow·SW − PW + kw·DW].
 * Shapes: x (B, G·Cg, H, W), w (OC, Cg, KH, KW), bias (OC) or null, out (B, OC, OH, OW); g.C = Cg.
 * Overwrites out, or adds to it when `accumulate`; with `relu`, max(out, 0) is taken last (a fused
 * ReLU, bit for bit `reluForward` of the unfused result). With `pool` (and `accumulate` false),
 * out is (B, OC, ⌊OH/2⌋, ⌊OW/2⌋): the 2×2 stride-2 max pool of that result, bit for bit
 * `maxPool2dForward` of it, whose argmax is written to `pool` when it is an Int32Array (a backend
 * may then skip copying the full-size output; this one pools a scratch output).
 *
 * A GEMM of the weights (OCg × Cg·KH·KW) with the im2col matrix, without building that matrix:
 * each image is copied once into a zero-padded buffer, then for every 4 output positions the
 * Kc × 4 column panel is gathered straight from it (through the tap and position offset tables)
 * into gemm's packed layout, and the shared 4×4 micro-kernel runs it against every 4-row panel of
 * packed weights. 1×1 stride-1 unpadded convolutions are a plain GEMM on x itself.
 */
export function conv2dForward(
  out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, B: number, OC: number, G: number, g: ConvGeom,
  accumulate = false, relu = false, pool: boolean | Int32Array = false,
): void {
  const { OH, OW } = g, n = B * OC * OH * OW;
  const y = pool !== false ? new Float32Array(n) : out;
  convForward(y, x, w, bias, B, OC, G, g, pool !== false ? false : accumulate);
  if (relu) reluForward(y, y, n);
  if (pool !== false) maxPool2dForward(out, pool === true ? new Int32Array(out.length) : pool, y, HALVING_POOL, B, OC, OH, OW, OH >> 1, OW >> 1);
}

/**
 * Backward of {@link conv2dForward} with `relu` and `pool`, accumulating into dx, dw and dbias as
 * {@link conv2dBackward} (null skips a gradient): dy, out and argmax are the pooled gradient, the
 * pooled output and its argmax, (B, OC, ⌊OH/2⌋, ⌊OW/2⌋). The convolution's output gradient is
 * `maxPool2dBackward` of them with the ReLU's mask (its `reluOut`), bit for bit the pool's and the
 * ReLU's backward; a backend may build it where its convolution backward reads dy (the wasm one
 * does, inside its chunks).
 */
export function conv2dReluPoolBackward(
  dx: Float32Array | null, dw: Float32Array | null, dbias: Float32Array | null,
  dy: Float32Array, out: Float32Array, argmax: Int32Array, x: Float32Array, w: Float32Array, B: number, OC: number, G: number, g: ConvGeom,
): void {
  const dconv = new Float32Array(B * OC * g.OH * g.OW);
  maxPool2dBackward(dconv, dy, argmax, B, OC, g.OH, g.OW, g.OH >> 1, g.OW >> 1, out);
  kernels.conv2dBackward(dx, dw, dbias, dconv, x, w, B, OC, G, g);
}

/** The 2×2 stride-2 max pool of {@link conv2dForward}'s `pool`. */
const HALVING_POOL = { kH: 2, kW: 2, sH: 2, sW: 2, pH: 0, pW: 0, dH: 1, dW: 1 };

/** {@link conv2dForward} without the fused ReLU. */
function convForward(
  out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, B: number, OC: number, G: number, g: ConvGeom,
  accumulate: boolean,
): void {
  const { C: Cg, H, W, OH, OW } = g;
  const OCg = OC / G, Kc = Cg * g.KH * g.KW, P = OH * OW, HW = H * W;
  if (isPointwise(g)) {
    for (let b = 0; b < B; b++) {
      for (let gi = 0; gi < G; gi++) {
        const xOff = (b * G + gi) * Cg * HW;
        kernels.gemm(out, (b * OC + gi * OCg) * P, w, gi * OCg * Kc, x, xOff, OCg, Kc, P, false, false, accumulate);
      }
      if (bias !== null) addChannelBias(out, bias, b, OC, P);
    }
    return;
  }
  if (isDepthwise(g, OC, G)) {
    depthwiseForward(out, x, w, bias, B, OC, g, accumulate);
    return;
  }
  const { xp, Wp, plane, taps, pos } = paddedPlan(g);
  // K blocks of equal size (288 → 144 + 144, not 256 + 32); packed weight block k0 sits at Mp·k0.
  const kcB = balancedBlock(Kc, CONV_KC, 1);
  const Mp = (OCg + 3) & ~3, ib = Mp * Kc;
  const p = packScratch(ib + 4 * kcB);
  for (let b = 0; b < B; b++) {
    for (let gi = 0; gi < G; gi++) {
      // One group's weights are packed once; several groups take turns in the buffer.
      if (G > 1 || b === 0) {
        for (let k0 = 0; k0 < Kc; k0 += kcB) packRows(p, Mp * k0, w, gi * OCg * Kc, Kc, OCg, Mp, k0, Math.min(kcB, Kc - k0));
      }
      padImage(xp, x, (b * G + gi) * Cg * HW, g, Wp, plane);
      const oBase = (b * OC + gi * OCg) * P;
      for (let j = 0; j < P; j += 4) {
        const nr = Math.min(4, P - j);
        // Field corners of the 4 output positions; lanes past P repeat lane 0 and are dropped.
        const b0 = pos[j], b1 = nr > 1 ? pos[j + 1] : b0, b2 = nr > 2 ? pos[j + 2] : b0, b3 = nr > 3 ? pos[j + 3] : b0;
        for (let k0 = 0; k0 < Kc; k0 += kcB) {
          const kc = Math.min(kcB, Kc - k0);
          for (let k = 0, q = ib; k < kc; k++, q += 4) {
            const t = taps[k0 + k];
            p[q] = xp[b0 + t]; p[q + 1] = xp[b1 + t]; p[q + 2] = xp[b2 + t]; p[q + 3] = xp[b3 + t];
          }
          for (let i = 0; i < OCg; i += 4) {
            microBlock(out, oBase + i * P + j, P, p, Mp * k0 + i * kc, ib, kc, accumulate || k0 > 0, Math.min(4, OCg - i), nr);
          }
        }
      }
    }
    if (bias !== null) addChannelBias(out, bias, b, OC, P);
  }
}

/**
 * dw[o, k] += Σ_{b, p} dy[b, o, p] · cols_b[k, p], the weight gradient of {@link conv2dForward},
 * as a GEMM over output positions whose column operand is gathered from the padded image (no
 * im2col matrix): per block of positions, the dy rows are packed once and each 4-tap panel of
 * columns is gathered and run against every 4-row panel. Accumulates.
 */
function conv2dWeightGrad(dw: Float32Array, dy: Float32Array, x: Float32Array, B: number, OC: number, G: number, g: ConvGeom): void {
  const { C: Cg, H, W, OH, OW } = g;
  const OCg = OC / G, Kc = Cg * g.KH * g.KW, P = OH * OW, HW = H * W;
  const { xp, Wp, plane, taps, pos } = paddedPlan(g);
  const kcB = balancedBlock(P, CONV_KC, 1);
  const Mp = (OCg + 3) & ~3, ib = Mp * kcB;
  const p = packScratch(ib + 4 * kcB);
  for (let b = 0; b < B; b++) {
    for (let gi = 0; gi < G; gi++) {
      padImage(xp, x, (b * G + gi) * Cg * HW, g, Wp, plane);
      const yOff = (b * OC + gi * OCg) * P, wOff = gi * OCg * Kc;
      for (let p0 = 0; p0 < P; p0 += kcB) {
        const kc = Math.min(kcB, P - p0);
        packRows(p, 0, dy, yOff, P, OCg, Mp, p0, kc);
        for (let j = 0; j < Kc; j += 4) {
          const nr = Math.min(4, Kc - j);
          const t0 = taps[j], t1 = nr > 1 ? taps[j + 1] : t0, t2 = nr > 2 ? taps[j + 2] : t0, t3 = nr > 3 ? taps[j + 3] : t0;
          for (let k = 0, q = ib; k < kc; k++, q += 4) {
            const s = pos[p0 + k];
            p[q] = xp[s + t0]; p[q + 1] = xp[s + t1]; p[q + 2] = xp[s + t2]; p[q + 3] = xp[s + t3];
          }
          for (let i = 0; i < OCg; i += 4) {
            microBlock(dw, wOff + i * Kc + j, Kc, p, i * kc, ib, kc, true, Math.min(4, OCg - i), nr);
          }
        }
      }
    }
  }
}

let tapWeightBuf: number[] = [];

/**
 * {@link conv2dForward} for depthwise convolutions (one input and one output channel per group,
 * G = C = OC): K = KH·KW is too short for the GEMM's panels and a 4-row panel would be three
 * quarters padding, so each output is one float64 dot product of the kernel with its field in the
 * padded image (about 2× the panels; with two or more output channels per group the panels win).
 */
function depthwiseForward(out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, B: number, OC: number, g: ConvGeom, accumulate: boolean): void {
  const { H, W, KH, KW, OH, OW, SH, SW } = g;
  const P = OH * OW, KK = KH * KW;
  const { xp, Wp, plane, taps } = paddedPlan(g);
  if (tapWeightBuf.length < KK) tapWeightBuf = packedDoubles(KK);
  const wt = tapWeightBuf;
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < OC; o++) {
      padImage(xp, x, (b * OC + o) * H * W, g, Wp, plane);
      const wo = o * KK, ob = (b * OC + o) * P, bv = bias === null ? 0 : bias[o];
      for (let t = 0; t < KK; t++) wt[t] = w[wo + t];
      for (let oh = 0; oh < OH; oh++) {
        const orow = ob + oh * OW, row = oh * SH * Wp;
        for (let ow = 0; ow < OW; ow++) {
          const base = row + ow * SW;
          let sum = bv;
          for (let t = 0; t < KK; t++) sum += wt[t] * xp[base + taps[t]];
          if (accumulate) out[orow + ow] += sum;
          else out[orow + ow] = sum;
        }
      }
    }
  }
}

/**
 * Weight gradient of {@link depthwiseForward}, accumulating: dw[o, kh, kw] += Σ_{b, oh, ow}
 * dy[b, o, oh, ow] · x[b, o, field], one float64 dot product per tap over the padded image.
 */
function depthwiseWeightGrad(dw: Float32Array, dy: Float32Array, x: Float32Array, B: number, OC: number, g: ConvGeom): void {
  const { H, W, KH, KW, OH, OW, SH, SW, DH, DW } = g;
  const P = OH * OW, KK = KH * KW;
  const { xp, Wp, plane } = paddedPlan(g);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < OC; o++) {
      padImage(xp, x, (b * OC + o) * H * W, g, Wp, plane);
      const yb = (b * OC + o) * P;
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const tap = kh * DH * Wp + kw * DW;
          let sum = 0;
          for (let oh = 0; oh < OH; oh++) {
            const s = oh * SH * Wp + tap, yr = yb + oh * OW;
            for (let ow = 0; ow < OW; ow++) sum += dy[yr + ow] * xp[s + ow * SW];
          }
          dw[o * KK + kh * KW + kw] += sum;
        }
      }
    }
  }
}

let dpadBuf: number[] = [];
/**
 * Input gradient of {@link depthwiseForward}, accumulating: w·dy is scattered into a zero-padded
 * float64 image whose interior is then added to dx.
 */
function depthwiseInputGrad(dx: Float32Array, dy: Float32Array, w: Float32Array, B: number, OC: number, g: ConvGeom): void {
  const { H, W, KH, KW, OH, OW, SH, SW, PH, PW, DH, DW } = g;
  const P = OH * OW, KK = KH * KW;
  const { Wp, plane } = paddedPlan(g);
  if (dpadBuf.length < plane) dpadBuf = packedDoubles(plane);
  const dxp = dpadBuf;
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < OC; o++) {
      dxp.fill(0, 0, plane);
      const yb = (b * OC + o) * P;
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const tap = kh * DH * Wp + kw * DW, wv = w[o * KK + kh * KW + kw];
          for (let oh = 0; oh < OH; oh++) {
            const s = oh * SH * Wp + tap, yr = yb + oh * OW;
            for (let ow = 0; ow < OW; ow++) dxp[s + ow * SW] += wv * dy[yr + ow];
          }
        }
      }
      const xOff = (b * OC + o) * H * W;
      for (let h = 0; h < H; h++) {
        const d = xOff + h * W, s = (h + PH) * Wp + PW;
        for (let i = 0; i < W; i++) dx[d + i] += dxp[s + i];
      }
    }
  }
}

/** True when every group has one input and one output channel (a depthwise convolution). */
function isDepthwise(g: ConvGeom, OC: number, G: number): boolean {
  return g.C === 1 && OC === G && !isPointwise(g);
}

/**
 * dx += col2im(wᵀ·dy), the input gradient of {@link conv2dForward} (and the forward pass of the
 * transposed convolution). Accumulates. Shapes: dy (B, OC, OH, OW), w (OC, Cg, KH, KW),
 * dx (B, G·Cg, H, W).
 */
function conv2dInputGrad(dx: Float32Array, dy: Float32Array, w: Float32Array, B: number, OC: number, G: number, g: ConvGeom): void {
  if (isDepthwise(g, OC, G)) {
    depthwiseInputGrad(dx, dy, w, B, OC, g);
    return;
  }
  const { C: Cg, H, W, KH, KW, OH, OW } = g;
  const OCg = OC / G, Kc = Cg * KH * KW, P = OH * OW, HW = H * W;
  const point = isPointwise(g);
  if (!point && g.SH === 1 && g.SW === 1 && g.PH <= (KH - 1) * g.DH && g.PW <= (KW - 1) * g.DW) {
    // Stride 1: dx is the forward convolution of dy with the kernel flipped and its channel axes
    // swapped, padded by the kernel's extent minus the forward padding.
    const flip = flippedWeights(w, OC, G, g);
    const gT: ConvGeom = {
      C: OCg, H: OH, W: OW, KH, KW, OH: H, OW: W, SH: 1, SW: 1,
      PH: (KH - 1) * g.DH - g.PH, PW: (KW - 1) * g.DW - g.PW, DH: g.DH, DW: g.DW,
    };
    kernels.conv2dForward(dx, dy, flip, null, B, G * Cg, G, gT, true);
    return;
  }
  const dcols = point ? dx : scratch(Kc * P);
  for (let b = 0; b < B; b++) {
    for (let gi = 0; gi < G; gi++) {
      const xOff = (b * G + gi) * Cg * HW, yOff = (b * OC + gi * OCg) * P, wOff = gi * OCg * Kc;
      if (point) kernels.gemm(dx, xOff, w, wOff, dy, yOff, Kc, OCg, P, true, false, true);
      else {
        kernels.gemm(dcols, 0, w, wOff, dy, yOff, Kc, OCg, P, true, false, false);
        col2im(dx, xOff, dcols, g);
      }
    }
  }
}

let flipBuf = new Float32Array(0);
/**
 * The weights of a group's input gradient as a convolution: flip[g·Cg + c, o, kh, kw] =
 * w[g·OCg + o, c, KH − 1 − kh, KW − 1 − kw]. Shapes: w (OC, Cg, KH, KW) → (G·Cg, OCg, KH, KW).
 */
function flippedWeights(w: Float32Array, OC: number, G: number, g: ConvGeom): Float32Array {
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
  return flipBuf;
}

/**
 * dw += dy·colsᵀ, the weight gradient of {@link conv2dForward}, through the path the forward
 * pass takes for this geometry. Accumulates.
 */
function conv2dWeightGradAny(dw: Float32Array, dy: Float32Array, x: Float32Array, B: number, OC: number, G: number, g: ConvGeom): void {
  if (isDepthwise(g, OC, G)) {
    depthwiseWeightGrad(dw, dy, x, B, OC, g);
    return;
  }
  if (!isPointwise(g)) {
    conv2dWeightGrad(dw, dy, x, B, OC, G, g);
    return;
  }
  const { C: Cg, H, W, OH, OW } = g;
  const OCg = OC / G, P = OH * OW, HW = H * W;
  for (let b = 0; b < B; b++) {
    for (let gi = 0; gi < G; gi++) {
      kernels.gemm(dw, gi * OCg * Cg, dy, (b * OC + gi * OCg) * P, x, (b * G + gi) * Cg * HW, OCg, P, Cg, false, true, true);
    }
  }
}

/**
 * Backward of {@link conv2dForward}, accumulating: dw += dy·colsᵀ, dx += col2im(wᵀ·dy),
 * dbias += Σ_{b, p} dy. Pass null for gradients that are not needed.
 * Shapes: as the forward; dy (B, OC, OH, OW).
 */
export function conv2dBackward(
  dx: Float32Array | null, dw: Float32Array | null, dbias: Float32Array | null,
  dy: Float32Array, x: Float32Array, w: Float32Array, B: number, OC: number, G: number, g: ConvGeom,
): void {
  if (dw !== null) conv2dWeightGradAny(dw, dy, x, B, OC, G, g);
  if (dx !== null) conv2dInputGrad(dx, dy, w, B, OC, G, g);
  if (dbias !== null) accumulateChannelBias(dbias, dy, B, OC, g.OH * g.OW);
}

/**
 * Transposed convolution (the adjoint of conv2d with respect to its input):
 * out[b, g·OCg + o, ih·SH − PH + kh·DH, iw·SW − PW + kw·DW] += x[b, g·Cg + c, ih, iw] · w[g·Cg + c, o, kh, kw].
 * Here the geometry `g` describes the conv whose INPUT is `out` (C = OCg, H × W = out's size) and
 * whose output grid is x's (OH × OW = x's size): this is that conv's input gradient with x in the
 * place of dy, and its backward pass is that conv's forward pass and weight gradient.
 * Shapes: x (B, G·Cg, OH, OW), w (G·Cg, OCg, KH, KW), bias (G·OCg) or null, out (B, G·OCg, H, W).
 * Overwrites out.
 */
export function convTranspose2dForward(out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, B: number, Cin: number, G: number, g: ConvGeom): void {
  const OC = g.C * G, HW = g.H * g.W;
  out.fill(0, 0, B * OC * HW);
  conv2dInputGrad(out, x, w, B, Cin, G, g);
  if (bias !== null) for (let b = 0; b < B; b++) addChannelBias(out, bias, b, OC, HW);
}

/**
 * Backward of {@link convTranspose2dForward}, accumulating: dx += conv2d(dy, w),
 * dw += the conv2d weight gradient with x in the place of dy, dbias += Σ dy.
 */
export function convTranspose2dBackward(
  dx: Float32Array | null, dw: Float32Array | null, dbias: Float32Array | null,
  dy: Float32Array, x: Float32Array, w: Float32Array, B: number, Cin: number, G: number, g: ConvGeom,
): void {
  if (dx !== null) kernels.conv2dForward(dx, dy, w, null, B, Cin, G, g, true);
  if (dw !== null) conv2dWeightGradAny(dw, x, dy, B, Cin, G, g);
  if (dbias !== null) accumulateChannelBias(dbias, dy, B, g.C * G, g.H * g.W);
}

/** Direct-loop twin of {@link conv2dForward} (the oracle); overwrites out, or adds to it when `accumulate`. */
export function conv2dForwardNaive(
  out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, B: number, OC: number, G: number, g: ConvGeom,
  accumulate = false,
): void {
  const { C: Cg, H, W, KH, KW, OH, OW, SH, SW, PH, PW, DH, DW } = g;
  const OCg = OC / G, C = Cg * G;
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < OC; o++) {
      const gi = Math.floor(o / OCg);
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let s = bias === null ? 0 : bias[o];
          for (let c = 0; c < Cg; c++) {
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * SH - PH + kh * DH;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * SW - PW + kw * DW;
                if (iw < 0 || iw >= W) continue;
                s += w[((o * Cg + c) * KH + kh) * KW + kw] * x[((b * C + gi * Cg + c) * H + ih) * W + iw];
              }
            }
          }
          const k = ((b * OC + o) * OH + oh) * OW + ow;
          out[k] = accumulate ? out[k] + s : s;
        }
      }
    }
  }
}

/** Direct-loop twin of {@link conv2dBackward} (the oracle); accumulates. */
export function conv2dBackwardNaive(
  dx: Float32Array | null, dw: Float32Array | null, dbias: Float32Array | null,
  dy: Float32Array, x: Float32Array, w: Float32Array, B: number, OC: number, G: number, g: ConvGeom,
): void {
  const { C: Cg, H, W, KH, KW, OH, OW, SH, SW, PH, PW, DH, DW } = g;
  const OCg = OC / G, C = Cg * G;
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < OC; o++) {
      const gi = Math.floor(o / OCg);
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const gy = dy[((b * OC + o) * OH + oh) * OW + ow];
          if (dbias !== null) dbias[o] += gy;
          for (let c = 0; c < Cg; c++) {
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * SH - PH + kh * DH;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * SW - PW + kw * DW;
                if (iw < 0 || iw >= W) continue;
                const wi = ((o * Cg + c) * KH + kh) * KW + kw;
                const xi = ((b * C + gi * Cg + c) * H + ih) * W + iw;
                if (dw !== null) dw[wi] += gy * x[xi];
                if (dx !== null) dx[xi] += gy * w[wi];
              }
            }
          }
        }
      }
    }
  }
}

/**
 * Direct-loop twin of {@link convTranspose2dForward} (the oracle): the input gradient of the conv
 * that `g` describes, with x in the place of dy, plus the bias. Overwrites out.
 */
export function convTranspose2dForwardNaive(out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, B: number, Cin: number, G: number, g: ConvGeom): void {
  const OC = g.C * G, HW = g.H * g.W;
  out.fill(0, 0, B * OC * HW);
  conv2dBackwardNaive(out, null, null, x, new Float32Array(0), w, B, Cin, G, g);
  if (bias !== null) {
    for (let b = 0; b < B; b++) {
      for (let o = 0; o < OC; o++) for (let p = 0; p < HW; p++) out[(b * OC + o) * HW + p] += bias[o];
    }
  }
}

/** Direct-loop twin of {@link convTranspose2dBackward} (the oracle); accumulates. */
export function convTranspose2dBackwardNaive(
  dx: Float32Array | null, dw: Float32Array | null, dbias: Float32Array | null,
  dy: Float32Array, x: Float32Array, w: Float32Array, B: number, Cin: number, G: number, g: ConvGeom,
): void {
  if (dx !== null) conv2dForwardNaive(dx, dy, w, null, B, Cin, G, g, true);
  if (dw !== null) conv2dBackwardNaive(null, dw, null, x, dy, w, B, Cin, G, g);
  if (dbias !== null) {
    const OC = g.C * G, HW = g.H * g.W;
    for (let b = 0; b < B; b++) {
      for (let o = 0; o < OC; o++) for (let p = 0; p < HW; p++) dbias[o] += dy[(b * OC + o) * HW + p];
    }
  }
}
