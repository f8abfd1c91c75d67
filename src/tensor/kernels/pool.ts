/**
 * 2-D pooling kernels in NCHW layout. Every image plane (b, c) is pooled on its own, so the loops
 * run over the B·C planes.
 *
 * Dims: B batch, C channels, H W input height and width, OH OW output height and width.
 * Window geometry ({@link Pool2dParams}): kH kW kernel, sH sW stride, pH pW padding (implicit −Inf
 * for max, zeros for average), dH dW dilation. Output (oh, ow) reads the input rows
 * ih = oh·sH − pH + kh·dH for kh in [0, kH) and likewise the columns.
 */

/** Window geometry of a 2-D pooling: kernel, stride, padding and dilation per spatial axis. */
export interface Pool2dParams {
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  pH: number;
  pW: number;
  dH: number;
  dW: number;
}

/** First k ≥ 0 with start + k·d ≥ 0 (start may be negative: the window begins in the padding). */
function firstInside(start: number, d: number): number {
  return start >= 0 ? 0 : Math.ceil(-start / d);
}

/** One past the last k with start + k·d ≤ N − 1, capped at K (may be ≤ first: no tap inside). */
function endInside(start: number, d: number, K: number, N: number): number {
  const e = Math.floor((N - 1 - start) / d) + 1;
  return e < K ? e : K;
}

/**
 * Max pooling: out[b, c, oh, ow] = max over the window's in-bounds taps; argmax gets the tap's
 * index ih·W + iw inside its plane. The first maximum in row-major window order wins ties, and a
 * NaN wins over everything (the last NaN of the window), as PyTorch's CPU kernel. A window with no
 * in-bounds tap (possible only with dilation) gives −Inf and argmax −1 (no gradient).
 * Shapes: inp (B, C, H, W), out and argmax (B, C, OH, OW). Overwrites out and argmax.
 */
export function maxPool2dForward(
  out: Float32Array, argmax: Int32Array, inp: Float32Array, p: Pool2dParams,
  B: number, C: number, H: number, W: number, OH: number, OW: number,
): void {
  const { kH, kW, sH, sW, pH, pW, dH, dW } = p;
  const planes = B * C, HW = H * W, OHW = OH * OW;
  for (let n = 0; n < planes; n++) {
    const inPlane = n * HW, outPlane = n * OHW;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * sH - pH;
      const kh0 = firstInside(h0, dH), kh1 = endInside(h0, dH, kH, H);
      const outRow = outPlane + oh * OW;
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ow * sW - pW;
        const kw0 = firstInside(w0, dW), kw1 = endInside(w0, dW, kW, W);
        let best = -Infinity;
        let bestIdx = kh0 < kh1 && kw0 < kw1 ? (h0 + kh0 * dH) * W + w0 + kw0 * dW : -1;
        for (let kh = kh0; kh < kh1; kh++) {
          const row = (h0 + kh * dH) * W;
          for (let kw = kw0; kw < kw1; kw++) {
            const idx = row + w0 + kw * dW;
            const v = inp[inPlane + idx];
            // Strict > keeps the first of equal maxima; v !== v lets NaN through, as PyTorch.
            if (v > best || v !== v) {
              best = v;
              bestIdx = idx;
            }
          }
        }
        out[outRow + ow] = best;
        argmax[outRow + ow] = bestIdx;
      }
    }
  }
}

/**
 * Backward of {@link maxPool2dForward}: dinp[b, c, argmax] += dout[b, c, oh, ow] (overlapping
 * windows that share a maximum accumulate).
 * Shapes: dinp (B, C, H, W), dout and argmax (B, C, OH, OW). Accumulates into dinp.
 *
 * With `reluOut` (the pooled output of a ReLU followed by this pool, windows not overlapping: the
 * fused conv2d + relu + 2×2 pool), it is also the ReLU's backward: each tap gets dout where the
 * pooled value is above 0 or NaN (relu(v) > 0 exactly when v > 0), else 0, bit for bit this
 * backward into a zeroed buffer followed by `reluBackward`, without the full-size gradient between.
 */
export function maxPool2dBackward(
  dinp: Float32Array, dout: Float32Array, argmax: Int32Array,
  B: number, C: number, H: number, W: number, OH: number, OW: number, reluOut: Float32Array | null = null,
): void {
  const planes = B * C, HW = H * W, OHW = OH * OW;
  for (let n = 0; n < planes; n++) {
    const inPlane = n * HW, outPlane = n * OHW;
    for (let o = 0; o < OHW; o++) {
      const idx = argmax[outPlane + o];
      if (idx < 0) continue;
      if (reluOut === null) {
        dinp[inPlane + idx] += dout[outPlane + o];
        continue;
      }
      // The scatter into zeros, then reluBackward's masked step on it.
      const g = 0 + dout[outPlane + o], m = +!(reluOut[outPlane + o] <= 0);
      dinp[inPlane + idx] += g - g === 0 ? g * m : m === 1 ? g : 0;
    }
  }
}

/**
 * Average pooling: out[b, c, oh, ow] = Σ in-bounds taps / divisor, where the divisor is kH·kW
 * with countIncludePad (padding counts as zeros) and the number of in-bounds taps without.
 * Shapes: inp (B, C, H, W), out (B, C, OH, OW). Overwrites out.
 */
export function avgPool2dForward(
  out: Float32Array, inp: Float32Array, p: Pool2dParams, countIncludePad: boolean,
  B: number, C: number, H: number, W: number, OH: number, OW: number,
): void {
  const { kH, kW, sH, sW, pH, pW } = p;
  const planes = B * C, HW = H * W, OHW = OH * OW;
  const full = kH * kW;
  for (let n = 0; n < planes; n++) {
    const inPlane = n * HW, outPlane = n * OHW;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * sH - pH;
      const ih0 = h0 > 0 ? h0 : 0, ih1 = h0 + kH < H ? h0 + kH : H;
      const outRow = outPlane + oh * OW;
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ow * sW - pW;
        const iw0 = w0 > 0 ? w0 : 0, iw1 = w0 + kW < W ? w0 + kW : W;
        let acc = 0;
        for (let ih = ih0; ih < ih1; ih++) {
          const row = inPlane + ih * W;
          for (let iw = iw0; iw < iw1; iw++) acc += inp[row + iw];
        }
        const count = (ih1 - ih0) * (iw1 - iw0);
        out[outRow + ow] = count > 0 ? acc / (countIncludePad ? full : count) : 0;
      }
    }
  }
}

/**
 * Backward of {@link avgPool2dForward}: every in-bounds tap of a window gets dout / divisor.
 * Shapes: dinp (B, C, H, W), dout (B, C, OH, OW). Accumulates into dinp.
 */
export function avgPool2dBackward(
  dinp: Float32Array, dout: Float32Array, p: Pool2dParams, countIncludePad: boolean,
  B: number, C: number, H: number, W: number, OH: number, OW: number,
): void {
  const { kH, kW, sH, sW, pH, pW } = p;
  const planes = B * C, HW = H * W, OHW = OH * OW;
  const full = kH * kW;
  for (let n = 0; n < planes; n++) {
    const inPlane = n * HW, outPlane = n * OHW;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * sH - pH;
      const ih0 = h0 > 0 ? h0 : 0, ih1 = h0 + kH < H ? h0 + kH : H;
      const outRow = outPlane + oh * OW;
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ow * sW - pW;
        const iw0 = w0 > 0 ? w0 : 0, iw1 = w0 + kW < W ? w0 + kW : W;
        const count = (ih1 - ih0) * (iw1 - iw0);
        if (count <= 0) continue;
        const g = dout[outRow + ow] / (countIncludePad ? full : count);
        for (let ih = ih0; ih < ih1; ih++) {
          const row = inPlane + ih * W;
          for (let iw = iw0; iw < iw1; iw++) dinp[row + iw] += g;
        }
      }
    }
  }
}

/**
 * Adaptive average pooling: out[b, c, i, j] is the mean of rows [⌊i·H/OH⌋, ⌈(i+1)·H/OH⌉) and
 * columns [⌊j·W/OW⌋, ⌈(j+1)·W/OW⌉), as PyTorch (windows may overlap when H is not a multiple of OH).
 * Shapes: inp (B, C, H, W), out (B, C, OH, OW). Overwrites out.
 */
export function adaptiveAvgPool2dForward(
  out: Float32Array, inp: Float32Array,
  B: number, C: number, H: number, W: number, OH: number, OW: number,
): void {
  const planes = B * C, HW = H * W, OHW = OH * OW;
  for (let n = 0; n < planes; n++) {
    const inPlane = n * HW, outPlane = n * OHW;
    for (let oh = 0; oh < OH; oh++) {
      // Integer floor/ceil: exact where a float division could round across an integer.
      const ih0 = Math.floor((oh * H) / OH), ih1 = Math.floor(((oh + 1) * H + OH - 1) / OH);
      const outRow = outPlane + oh * OW;
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = Math.floor((ow * W) / OW), iw1 = Math.floor(((ow + 1) * W + OW - 1) / OW);
        let acc = 0;
        for (let ih = ih0; ih < ih1; ih++) {
          const row = inPlane + ih * W;
          for (let iw = iw0; iw < iw1; iw++) acc += inp[row + iw];
        }
        out[outRow + ow] = acc / ((ih1 - ih0) * (iw1 - iw0));
      }
    }
  }
}

/**
 * Backward of {@link adaptiveAvgPool2dForward}: every tap of window (i, j) gets dout / its size.
 * Shapes: dinp (B, C, H, W), dout (B, C, OH, OW). Accumulates into dinp.
 */
export function adaptiveAvgPool2dBackward(
  dinp: Float32Array, dout: Float32Array,
  B: number, C: number, H: number, W: number, OH: number, OW: number,
): void {
  const planes = B * C, HW = H * W, OHW = OH * OW;
  for (let n = 0; n < planes; n++) {
    const inPlane = n * HW, outPlane = n * OHW;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = Math.floor((oh * H) / OH), ih1 = Math.floor(((oh + 1) * H + OH - 1) / OH);
      const outRow = outPlane + oh * OW;
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = Math.floor((ow * W) / OW), iw1 = Math.floor(((ow + 1) * W + OW - 1) / OW);
        const g = dout[outRow + ow] / ((ih1 - ih0) * (iw1 - iw0));
        for (let ih = ih0; ih < ih1; ih++) {
          const row = inPlane + ih * W;
          for (let iw = iw0; iw < iw1; iw++) dinp[row + iw] += g;
        }
      }
    }
  }
}

// ---- naive twins: the definitions written out tap by tap with bounds checks; test oracles ----

/** {@link maxPool2dForward} by visiting every tap of the full window and skipping the padding. */
export function maxPool2dForwardNaive(
  out: Float32Array, argmax: Int32Array, inp: Float32Array, p: Pool2dParams,
  B: number, C: number, H: number, W: number, OH: number, OW: number,
): void {
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const plane = (b * C + c) * H * W;
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let best = -Infinity, bestIdx = -1;
          for (let kh = 0; kh < p.kH; kh++) {
            for (let kw = 0; kw < p.kW; kw++) {
              const ih = oh * p.sH - p.pH + kh * p.dH, iw = ow * p.sW - p.pW + kw * p.dW;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              const v = inp[plane + ih * W + iw];
              if (bestIdx < 0 || v > best || Number.isNaN(v)) {
                best = v;
                bestIdx = ih * W + iw;
              }
            }
          }
          const o = ((b * C + c) * OH + oh) * OW + ow;
          out[o] = best;
          argmax[o] = bestIdx;
        }
      }
    }
  }
}

/**
 * {@link maxPool2dBackward} without the saved argmax: recomputes each window's maximum from inp.
 * Shapes: dinp and inp (B, C, H, W), dout (B, C, OH, OW). Accumulates into dinp.
 */
export function maxPool2dBackwardNaive(
  dinp: Float32Array, dout: Float32Array, inp: Float32Array, p: Pool2dParams,
  B: number, C: number, H: number, W: number, OH: number, OW: number,
): void {
  const out = new Float32Array(B * C * OH * OW), argmax = new Int32Array(B * C * OH * OW);
  maxPool2dForwardNaive(out, argmax, inp, p, B, C, H, W, OH, OW);
  for (let o = 0; o < argmax.length; o++) {
    const plane = Math.floor(o / (OH * OW)) * H * W;
    if (argmax[o] >= 0) dinp[plane + argmax[o]] += dout[o];
  }
}

/** {@link avgPool2dForward} by visiting every tap of the full window and counting the in-bounds ones. */
export function avgPool2dForwardNaive(
  out: Float32Array, inp: Float32Array, p: Pool2dParams, countIncludePad: boolean,
  B: number, C: number, H: number, W: number, OH: number, OW: number,
): void {
  for (let n = 0; n < B * C; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let acc = 0, count = 0;
        for (let kh = 0; kh < p.kH; kh++) {
          for (let kw = 0; kw < p.kW; kw++) {
            const ih = oh * p.sH - p.pH + kh, iw = ow * p.sW - p.pW + kw;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            acc += inp[(n * H + ih) * W + iw];
            count++;
          }
        }
        out[(n * OH + oh) * OW + ow] = count === 0 ? 0 : acc / (countIncludePad ? p.kH * p.kW : count);
      }
    }
  }
}

/** {@link avgPool2dBackward} tap by tap. Accumulates into dinp. */
export function avgPool2dBackwardNaive(
  dinp: Float32Array, dout: Float32Array, p: Pool2dParams, countIncludePad: boolean,
  B: number, C: number, H: number, W: number, OH: number, OW: number,
): void {
  for (let n = 0; n < B * C; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let count = 0;
        for (let kh = 0; kh < p.kH; kh++) {
          for (let kw = 0; kw < p.kW; kw++) {
            const ih = oh * p.sH - p.pH + kh, iw = ow * p.sW - p.pW + kw;
            if (ih >= 0 && ih < H && iw >= 0 && iw < W) count++;
          }
        }
        if (count === 0) continue;
        const g = dout[(n * OH + oh) * OW + ow] / (countIncludePad ? p.kH * p.kW : count);
        for (let kh = 0; kh < p.kH; kh++) {
          for (let kw = 0; kw < p.kW; kw++) {
            const ih = oh * p.sH - p.pH + kh, iw = ow * p.sW - p.pW + kw;
            if (ih >= 0 && ih < H && iw >= 0 && iw < W) dinp[(n * H + ih) * W + iw] += g;
          }
        }
      }
    }
  }
}

/** {@link adaptiveAvgPool2dForward} with the window bounds from float floor/ceil. */
export function adaptiveAvgPool2dForwardNaive(
  out: Float32Array, inp: Float32Array,
  B: number, C: number, H: number, W: number, OH: number, OW: number,
): void {
  for (let n = 0; n < B * C; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const ih0 = Math.floor((oh * H) / OH), ih1 = Math.ceil(((oh + 1) * H) / OH);
        const iw0 = Math.floor((ow * W) / OW), iw1 = Math.ceil(((ow + 1) * W) / OW);
        let acc = 0;
        for (let ih = ih0; ih < ih1; ih++) for (let iw = iw0; iw < iw1; iw++) acc += inp[(n * H + ih) * W + iw];
        out[(n * OH + oh) * OW + ow] = acc / ((ih1 - ih0) * (iw1 - iw0));
      }
    }
  }
}

/** {@link adaptiveAvgPool2dBackward} with float floor/ceil bounds. Accumulates into dinp. */
export function adaptiveAvgPool2dBackwardNaive(
  dinp: Float32Array, dout: Float32Array,
  B: number, C: number, H: number, W: number, OH: number, OW: number,
): void {
  for (let n = 0; n < B * C; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const ih0 = Math.floor((oh * H) / OH), ih1 = Math.ceil(((oh + 1) * H) / OH);
        const iw0 = Math.floor((ow * W) / OW), iw1 = Math.ceil(((ow + 1) * W) / OW);
        const g = dout[(n * OH + oh) * OW + ow] / ((ih1 - ih0) * (iw1 - iw0));
        for (let ih = ih0; ih < ih1; ih++) for (let iw = iw0; iw < iw1; iw++) dinp[(n * H + ih) * W + iw] += g;
      }
    }
  }
}
