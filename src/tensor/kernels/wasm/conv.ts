/**
 * The wasm backend's conv2d forward: im2col into a reused scratch, then the SIMD GEMM
 * (`wasmGemm`) per image and group, out[o, p] = Σ_k w[o, k] · cols[k, p], plus the bias. The
 * contract of the JS `conv2dForward` (conv.ts). Shapes where the GEMM would be mostly padding
 * (fewer than 4 output channels per group, as in depthwise convolutions, or fewer than 4 taps) and
 * pointwise convolutions (which the JS kernel already runs as one `gemm` through the table) take
 * the JS kernel.
 */
import { conv2dForward as jsConv2dForward, type ConvGeom } from '../conv';
import { wasmGemm } from './gemm';

let cols = new Float32Array(0);

/** cols[(c·KH + kh)·KW + kw, oh·OW + ow] = x[xOff + c·H·W + ih·W + iw] (0 outside the image). */
function im2col(dst: Float32Array, x: Float32Array, xOff: number, g: ConvGeom): void {
  const { C, H, W, KH, KW, OH, OW, SH, SW, PH, PW, DH, DW } = g;
  const P = OH * OW;
  let row = 0;
  for (let c = 0; c < C; c++) {
    const plane = xOff + c * H * W;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++, row += P) {
        let d = row;
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * SH - PH + kh * DH;
          if (ih < 0 || ih >= H) {
            dst.fill(0, d, d + OW);
            d += OW;
            continue;
          }
          const r = plane + ih * W;
          for (let ow = 0; ow < OW; ow++, d++) {
            const iw = ow * SW - PW + kw * DW;
            dst[d] = iw >= 0 && iw < W ? x[r + iw] : 0;
          }
        }
      }
    }
  }
}

/**
 * conv2d forward on the wasm backend: the signature and contract of the JS `conv2dForward`
 * (x (B, G·C, H, W), w (OC, C, KH, KW), out (B, OC, OH, OW), overwritten or accumulated, bias
 * added per output channel). Results within float32 rounding of the JS kernel.
 */
export function wasmConv2dForward(
  out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, B: number, OC: number, G: number, g: ConvGeom,
  accumulate = false,
): void {
  const { C: Cg, H, W, KH, KW, OH, OW } = g;
  const OCg = OC / G, Kc = Cg * KH * KW, P = OH * OW;
  const pointwise = KH === 1 && KW === 1 && g.SH === 1 && g.SW === 1 && g.PH === 0 && g.PW === 0;
  if (OCg < 4 || Kc < 4 || P < 4 || pointwise) {
    jsConv2dForward(out, x, w, bias, B, OC, G, g, accumulate);
    return;
  }
  if (cols.length < Kc * P) cols = new Float32Array(Kc * P);
  for (let b = 0; b < B; b++) {
    for (let gi = 0; gi < G; gi++) {
      im2col(cols, x, (b * G + gi) * Cg * H * W, g);
      wasmGemm(out, (b * OC + gi * OCg) * P, w, gi * OCg * Kc, cols, 0, OCg, Kc, P, false, false, accumulate);
    }
    if (bias !== null) {
      for (let o = 0; o < OC; o++) {
        const bo = bias[o], base = (b * OC + o) * P;
        for (let p = 0; p < P; p++) out[base + p] += bo;
      }
    }
  }
}
