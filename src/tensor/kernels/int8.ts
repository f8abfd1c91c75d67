/**
 * Integer matrix products for quantized layers: uint8 activations × int8 weights → int32 sums,
 * the x86 (fbgemm) layout PyTorch's dynamic and static quantized Linear use, and the uint8
 * unfolding that lowers a quantized convolution onto that product.
 */
import type { ConvGeom } from './conv';

/**
 * out[m, n] = Σ_k a[m, k] · w[n, k] (+ out[m, n] when `accumulate`), int32 sums of uint8 ×
 * int8 products. Each product is at most 255 · 128 = 32 640 in magnitude, so a sum is exact for K
 * up to 65 793 (2³¹ / 32 640); longer rows wrap modulo 2³², as C's int32 would.
 *
 * Shapes: a (M, K) row-major uint8; w (N, K) row-major int8 (a Linear weight, one row per output);
 * out (M, N) int32, each starting at its offset.
 * @example
 * const out = new Int32Array(2);
 * gemmU8I8(out, 0, Uint8Array.of(1, 2), 0, Int8Array.of(3, -4, 5, 6), 0, 1, 2, 2, false);
 * Array.from(out); // [-5, 17]
 * @category Kernels
 */
export function gemmU8I8(
  out: Int32Array, outOff: number, a: Uint8Array, aOff: number, w: Int8Array, wOff: number,
  M: number, K: number, N: number, accumulate: boolean,
): void {
  // A 4 × 4 tile of outputs per pass over K: four rows of a and four weight rows are read once for
  // sixteen products. Sums are int32 (Math.imul and |0 keep V8 on integer instructions).
  const m4 = M - (M % 4), n4 = N - (N % 4);
  for (let m = 0; m < m4; m += 4) {
    const a0 = aOff + m * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
    for (let n = 0; n < n4; n += 4) {
      const w0 = wOff + n * K, w1 = w0 + K, w2 = w1 + K, w3 = w2 + K;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let k = 0; k < K; k++) {
        const b0 = w[w0 + k], b1 = w[w1 + k], b2 = w[w2 + k], b3 = w[w3 + k];
        let x = a[a0 + k];
        s00 = (s00 + Math.imul(x, b0)) | 0; s01 = (s01 + Math.imul(x, b1)) | 0;
        s02 = (s02 + Math.imul(x, b2)) | 0; s03 = (s03 + Math.imul(x, b3)) | 0;
        x = a[a1 + k];
        s10 = (s10 + Math.imul(x, b0)) | 0; s11 = (s11 + Math.imul(x, b1)) | 0;
        s12 = (s12 + Math.imul(x, b2)) | 0; s13 = (s13 + Math.imul(x, b3)) | 0;
        x = a[a2 + k];
        s20 = (s20 + Math.imul(x, b0)) | 0; s21 = (s21 + Math.imul(x, b1)) | 0;
        s22 = (s22 + Math.imul(x, b2)) | 0; s23 = (s23 + Math.imul(x, b3)) | 0;
        x = a[a3 + k];
        s30 = (s30 + Math.imul(x, b0)) | 0; s31 = (s31 + Math.imul(x, b1)) | 0;
        s32 = (s32 + Math.imul(x, b2)) | 0; s33 = (s33 + Math.imul(x, b3)) | 0;
      }
      store4(out, outOff + m * N + n, s00, s01, s02, s03, accumulate);
      store4(out, outOff + (m + 1) * N + n, s10, s11, s12, s13, accumulate);
      store4(out, outOff + (m + 2) * N + n, s20, s21, s22, s23, accumulate);
      store4(out, outOff + (m + 3) * N + n, s30, s31, s32, s33, accumulate);
    }
  }
  // Rows past the last full block of four: four columns per pass over a row.
  for (let m = m4; m < M; m++) {
    const ar = aOff + m * K;
    for (let n = 0; n < n4; n += 4) {
      const w0 = wOff + n * K, w1 = w0 + K, w2 = w1 + K, w3 = w2 + K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < K; k++) {
        const x = a[ar + k];
        s0 = (s0 + Math.imul(x, w[w0 + k])) | 0;
        s1 = (s1 + Math.imul(x, w[w1 + k])) | 0;
        s2 = (s2 + Math.imul(x, w[w2 + k])) | 0;
        s3 = (s3 + Math.imul(x, w[w3 + k])) | 0;
      }
      store4(out, outOff + m * N + n, s0, s1, s2, s3, accumulate);
    }
  }
  // Columns past the last full block of four, every row.
  for (let m = 0; m < M; m++) {
    const ar = aOff + m * K, orow = outOff + m * N;
    for (let n = n4; n < N; n++) {
      const wr = wOff + n * K;
      let s = 0;
      for (let k = 0; k < K; k++) s = (s + Math.imul(a[ar + k], w[wr + k])) | 0;
      out[orow + n] = accumulate ? (out[orow + n] + s) | 0 : s;
    }
  }
}

function store4(out: Int32Array, o: number, s0: number, s1: number, s2: number, s3: number, accumulate: boolean): void {
  if (accumulate) {
    out[o] += s0;
    out[o + 1] += s1;
    out[o + 2] += s2;
    out[o + 3] += s3;
  } else {
    out[o] = s0;
    out[o + 1] = s1;
    out[o + 2] = s2;
    out[o + 3] = s3;
  }
}

/** Naive twin of {@link gemmU8I8} (the oracle): one sum per output, same contract. */
export function gemmU8I8Naive(
  out: Int32Array, outOff: number, a: Uint8Array, aOff: number, w: Int8Array, wOff: number,
  M: number, K: number, N: number, accumulate: boolean,
): void {
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = accumulate ? out[outOff + m * N + n] : 0;
      for (let k = 0; k < K; k++) s += a[aOff + m * K + k] * w[wOff + n * K + k];
      out[outOff + m * N + n] = s;
    }
  }
}

/**
 * Unfolds a uint8 image into one row per output position (the transpose of im2col), the `a`
 * operand of {@link gemmU8I8} for a quantized convolution:
 * rows[p, (c·KH + kh)·KW + kw] = x[c, oh·SH − PH + kh·DH, ow·SW − PW + kw·DW] with p = oh·OW + ow,
 * and `pad` where the tap falls outside the image (a quantized convolution pads with the input's
 * zero point, the integer that stands for 0). Overwrites.
 * Shapes: x (C, H, W) at xOff; rows (OH·OW, C·KH·KW) at rowsOff.
 * @example
 * const rows = new Uint8Array(4);
 * im2rowU8(rows, 0, Uint8Array.of(1, 2, 3), 0, 9, { C: 1, H: 1, W: 3, KH: 1, KW: 2, OH: 1, OW: 2, SH: 1, SW: 1, PH: 0, PW: 0, DH: 1, DW: 1 });
 * Array.from(rows); // [1, 2, 2, 3]
 * @category Kernels
 */
export function im2rowU8(rows: Uint8Array, rowsOff: number, x: Uint8Array, xOff: number, pad: number, g: ConvGeom): void {
  const { C, H, W, KH, KW, OH, OW, SH, SW, PH, PW, DH, DW } = g;
  const HW = H * W, Kc = C * KH * KW;
  // One tap (c, kh, kw) at a time over every output position: the reads run along an input row
  // and each write steps by a row of the output, so the inner loop has no per-tap overhead.
  for (let c = 0; c < C; c++) {
    const plane = xOff + c * HW;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const col = rowsOff + (c * KH + kh) * KW + kw;
        const dw = kw * DW - PW;
        // Output columns whose tap lies inside the image: iw = ow·SW + dw ∈ [0, W).
        const owLo = Math.min(OW, dw >= 0 ? 0 : Math.ceil(-dw / SW));
        const owHi = Math.max(owLo, Math.min(OW, Math.floor((W - 1 - dw) / SW) + 1));
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * SH - PH + kh * DH;
          let d = col + oh * OW * Kc;
          if (ih < 0 || ih >= H) {
            for (let ow = 0; ow < OW; ow++, d += Kc) rows[d] = pad;
            continue;
          }
          const r = plane + ih * W + dw;
          let ow = 0;
          for (; ow < owLo; ow++, d += Kc) rows[d] = pad;
          if (SW === 1) for (; ow < owHi; ow++, d += Kc) rows[d] = x[r + ow];
          else for (; ow < owHi; ow++, d += Kc) rows[d] = x[r + ow * SW];
          for (; ow < OW; ow++, d += Kc) rows[d] = pad;
        }
      }
    }
  }
}

/** Naive twin of {@link im2rowU8} (the oracle): one bounds check per entry, same contract. */
export function im2rowU8Naive(rows: Uint8Array, rowsOff: number, x: Uint8Array, xOff: number, pad: number, g: ConvGeom): void {
  const { C, H, W, KH, KW, OH, OW, SH, SW, PH, PW, DH, DW } = g;
  const Kc = C * KH * KW;
  for (let oh = 0; oh < OH; oh++) {
    for (let ow = 0; ow < OW; ow++) {
      for (let c = 0; c < C; c++) {
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            const ih = oh * SH - PH + kh * DH, iw = ow * SW - PW + kw * DW;
            const v = ih >= 0 && ih < H && iw >= 0 && iw < W ? x[xOff + (c * H + ih) * W + iw] : pad;
            rows[rowsOff + (oh * OW + ow) * Kc + (c * KH + kh) * KW + kw] = v;
          }
        }
      }
    }
  }
}

/**
 * The requantization of a statically quantized convolution (PyTorch's quantized Conv2d), per
 * output channel o: the int32 sum Σ (qx − zₓ)(q_w − z_w) + bias_q is `acc + k0[o] − zw[o]·Σqx`
 * (acc = Σ qx·q_w over the true taps, Σqx over the same taps), and the output is
 * (clamp(roundHalfEven(float32(sum)·mult[o]) + zo, lo, 255) − zo)·so, every step in float32.
 */
export interface QConvParams {
  /** float32 1/sₓ: the input is quantized as clamp(roundHalfEven(float32(x·inv)) + zx, 0, 255). */
  inv: number;
  /** The input's zero point (also what padded taps read), in [0, 255]. */
  zx: number;
  /** float32 sₓ·s_w/s_y per output channel. */
  mult: Float32Array;
  /** The integer constant part of each output channel's sum (bias_q − zₓ·Σq_w + Kc·zₓ·z_w). */
  k0: Float64Array;
  /** Weight zero points per output channel, or null when all are 0. */
  zw: Float64Array | null;
  /** Output zero point, lower clamp (zo with a fused ReLU, else 0) and output scale (a float32 value). */
  zo: number;
  lo: number;
  so: number;
}

const f32 = Math.fround;

/** roundHalfEven(float32(x·inv)) + zx clamped to [0, 255] for every element, or the index of the first non-finite one. */
function quantizeU8(q: Uint8Array, x: Float32Array, xOff: number, n: number, inv: number, zx: number): number {
  for (let i = 0; i < n; i++) {
    const v = x[xOff + i];
    if (!Number.isFinite(v)) return i;
    const y = f32(v * inv);
    let r = Math.round(y);
    if (r - y === 0.5 && r % 2 !== 0) r -= 1;
    const t = r + zx;
    q[i] = t < 0 ? 0 : t > 255 ? 255 : t;
  }
  return -1;
}

/** The requantized float output of one int32 sum (see {@link QConvParams}). */
function requant(v: number, mult: number, p: QConvParams): number {
  const y = f32(f32(v) * mult);
  let q = Math.round(y);
  if (q - y === 0.5 && (q & 1) !== 0) q -= 1;
  q += p.zo;
  return ((q < p.lo ? p.lo : q > 255 ? 255 : q) - p.zo) * p.so;
}

/** Largest uint8 unfolding {@link qconv2dForward} builds at once (bytes): batches go in chunks of images below it. */
const QCONV_ROWS_BYTES = 1 << 18;

/**
 * A statically quantized 2-D convolution, float32 in and out (PyTorch's quantized Conv2d between
 * a quantize and a dequantize): x is quantized to uint8 with `p.inv` and `p.zx`, each group's
 * receptive fields are unfolded ({@link im2rowU8}, padded taps reading zx) and multiplied by the
 * int8 weights ({@link gemmU8I8}), and each int32 sum is requantized as {@link QConvParams} says.
 * Returns −1, or the index of the first element of x that is NaN or ±Infinity (out is then
 * unspecified). Overwrites.
 *
 * Shapes: x (B, groups·g.C, g.H, g.W); w (OC, g.C, KH, KW) int8; out (B, OC, g.OH, g.OW); the
 * per-channel arrays of p have OC entries.
 * @category Kernels
 */
export function qconv2dForward(out: Float32Array, x: Float32Array, B: number, w: Int8Array, g: ConvGeom, groups: number, OC: number, p: QConvParams): number {
  const { C: Cg, H, W, KH, KW, OH, OW } = g;
  const OCg = OC / groups, P = OH * OW, Kc = Cg * KH * KW, C = Cg * groups;
  const qx = new Uint8Array(B * C * H * W);
  const bad = quantizeU8(qx, x, 0, qx.length, p.inv, p.zx);
  if (bad >= 0) return bad;
  const nb = Math.max(1, Math.min(B, Math.floor(QCONV_ROWS_BYTES / Math.max(1, P * Kc))));
  const rows = new Uint8Array(nb * P * Kc), acc = new Int32Array(nb * P * OCg);
  for (let gi = 0; gi < groups; gi++) {
    for (let b0 = 0; b0 < B; b0 += nb) {
      const n = Math.min(nb, B - b0);
      for (let i = 0; i < n; i++) im2rowU8(rows, i * P * Kc, qx, ((b0 + i) * C + gi * Cg) * H * W, p.zx, g);
      gemmU8I8(acc, 0, rows, 0, w, gi * OCg * Kc, n * P, Kc, OCg, false);
      for (let i = 0; i < n; i++) {
        for (let oc = 0; oc < OCg; oc++) {
          const ch = gi * OCg + oc, base = ((b0 + i) * OC + ch) * P, k0 = p.k0[ch], m = p.mult[ch], zw = p.zw === null ? 0 : p.zw[ch];
          for (let q = 0; q < P; q++) {
            const row = i * P + q;
            let v = acc[row * OCg + oc] + k0;
            if (zw !== 0) {
              let s = 0;
              for (let k = 0; k < Kc; k++) s += rows[row * Kc + k];
              v -= zw * s;
            }
            out[base + q] = requant(v, m, p);
          }
        }
      }
    }
  }
  return -1;
}

/** Naive twin of {@link qconv2dForward} (the oracle): one sum over the taps per output, same contract. */
export function qconv2dForwardNaive(out: Float32Array, x: Float32Array, B: number, w: Int8Array, g: ConvGeom, groups: number, OC: number, p: QConvParams): number {
  const { C: Cg, H, W, KH, KW, OH, OW, SH, SW, PH, PW, DH, DW } = g;
  const OCg = OC / groups, C = Cg * groups;
  const qx = new Uint8Array(B * C * H * W);
  const bad = quantizeU8(qx, x, 0, qx.length, p.inv, p.zx);
  if (bad >= 0) return bad;
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < OC; o++) {
      const gi = Math.floor(o / OCg);
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let acc = 0, s = 0;
          for (let c = 0; c < Cg; c++) {
            for (let kh = 0; kh < KH; kh++) {
              for (let kw = 0; kw < KW; kw++) {
                const ih = oh * SH - PH + kh * DH, iw = ow * SW - PW + kw * DW;
                const v = ih >= 0 && ih < H && iw >= 0 && iw < W ? qx[((b * C + gi * Cg + c) * H + ih) * W + iw] : p.zx;
                acc += v * w[((o * Cg + c) * KH + kh) * KW + kw];
                s += v;
              }
            }
          }
          const zw = p.zw === null ? 0 : p.zw[o];
          out[((b * OC + o) * OH + oh) * OW + ow] = requant(acc + p.k0[o] - zw * s, p.mult[o], p);
        }
      }
    }
  }
  return -1;
}
