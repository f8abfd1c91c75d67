/**
 * Softmax, log-softmax and fused cross-entropy over the middle axis of a contiguous [O, R, I] view:
 * any single axis of a tensor is such a view (O = product of the dims before it, I = after it).
 *
 * Dims: `O` outer size, `R` length of the softmax axis, `I` inner size; the cross-entropy kernels
 * call the softmax axis `C` (classes). `M` = O · I items.
 *
 * Every kernel subtracts the slice maximum before exponentiating, so inputs up to ±1e4 (and far
 * beyond) stay finite. Sums accumulate in float64. A NaN anywhere in a slice makes the whole slice
 * NaN; an all −Inf slice is NaN too (0/0), as PyTorch.
 */

let scratchA = new Float64Array(64);
let scratchB = new Float64Array(64);
function scratch(n: number): void {
  if (scratchA.length < n) {
    const len = Math.max(n, scratchA.length * 2);
    scratchA = new Float64Array(len);
    scratchB = new Float64Array(len);
  }
}

/** Slice maximum over r of x[base + r·I] (−Inf for an empty slice; a NaN never wins). */
function sliceMax(x: Float32Array, base: number, R: number, I: number): number {
  let m = -Infinity;
  for (let r = 0; r < R; r++) {
    const v = x[base + r * I];
    if (v > m) m = v;
  }
  return m;
}

/**
 * out[o, r, i] = exp(x[o, r, i] − m) / Σ_r' exp(x[o, r', i] − m), m the slice maximum.
 * Shapes: x, out (O, R, I). Overwrites out. For I > 1 the inner axis is swept in the innermost
 * loop (unit stride) with per-i running maxima and sums.
 */
export function softmaxForward(out: Float32Array, x: Float32Array, O: number, R: number, I: number): void {
  if (I === 1) {
    for (let o = 0; o < O; o++) {
      const row = o * R;
      const m = sliceMax(x, row, R, 1);
      let s = 0;
      for (let r = 0; r < R; r++) {
        const e = Math.exp(x[row + r] - m);
        out[row + r] = e;
        s += e;
      }
      const inv = 1 / s;
      for (let r = 0; r < R; r++) out[row + r] *= inv;
    }
    return;
  }
  scratch(I);
  const mx = scratchA, sm = scratchB;
  for (let o = 0; o < O; o++) {
    const base = o * R * I;
    for (let i = 0; i < I; i++) {
      mx[i] = -Infinity;
      sm[i] = 0;
    }
    for (let r = 0; r < R; r++) {
      const row = base + r * I;
      for (let i = 0; i < I; i++) {
        const v = x[row + i];
        if (v > mx[i]) mx[i] = v;
      }
    }
    for (let r = 0; r < R; r++) {
      const row = base + r * I;
      for (let i = 0; i < I; i++) {
        const e = Math.exp(x[row + i] - mx[i]);
        out[row + i] = e;
        sm[i] += e;
      }
    }
    for (let i = 0; i < I; i++) sm[i] = 1 / sm[i];
    for (let r = 0; r < R; r++) {
      const row = base + r * I;
      for (let i = 0; i < I; i++) out[row + i] *= sm[i];
    }
  }
}

/**
 * out = x − m − ln Σ_r exp(x − m), m the slice maximum, so logSoftmax([−1000, 1000]) is exactly
 * [−2000, 0]. Shapes: x, out (O, R, I). Overwrites out.
 */
export function logSoftmaxForward(out: Float32Array, x: Float32Array, O: number, R: number, I: number): void {
  if (I === 1) {
    for (let o = 0; o < O; o++) {
      const row = o * R;
      const m = sliceMax(x, row, R, 1);
      let s = 0;
      for (let r = 0; r < R; r++) s += Math.exp(x[row + r] - m);
      // (x − m) − ln s rather than x − (m + ln s): exact when ln s = 0 and |x − m| is large.
      const ls = Math.log(s);
      for (let r = 0; r < R; r++) out[row + r] = x[row + r] - m - ls;
    }
    return;
  }
  scratch(I);
  const mx = scratchA, sm = scratchB;
  for (let o = 0; o < O; o++) {
    const base = o * R * I;
    for (let i = 0; i < I; i++) {
      mx[i] = -Infinity;
      sm[i] = 0;
    }
    for (let r = 0; r < R; r++) {
      const row = base + r * I;
      for (let i = 0; i < I; i++) {
        const v = x[row + i];
        if (v > mx[i]) mx[i] = v;
      }
    }
    for (let r = 0; r < R; r++) {
      const row = base + r * I;
      for (let i = 0; i < I; i++) sm[i] += Math.exp(x[row + i] - mx[i]);
    }
    for (let i = 0; i < I; i++) sm[i] = Math.log(sm[i]);
    for (let r = 0; r < R; r++) {
      const row = base + r * I;
      for (let i = 0; i < I; i++) out[row + i] = x[row + i] - mx[i] - sm[i];
    }
  }
}

/**
 * Softmax backward from the saved output y: dx += y ⊙ (dy − Σ_r dy·y).
 * Shapes: dy, y, dx (O, R, I). Accumulates into dx.
 */
export function softmaxBackward(dx: Float32Array, dy: Float32Array, y: Float32Array, O: number, R: number, I: number): void {
  scratch(I);
  const dot = scratchA;
  for (let o = 0; o < O; o++) {
    const base = o * R * I;
    for (let i = 0; i < I; i++) dot[i] = 0;
    for (let r = 0; r < R; r++) {
      const row = base + r * I;
      for (let i = 0; i < I; i++) dot[i] += dy[row + i] * y[row + i];
    }
    for (let r = 0; r < R; r++) {
      const row = base + r * I;
      for (let i = 0; i < I; i++) dx[row + i] += y[row + i] * (dy[row + i] - dot[i]);
    }
  }
}

/**
 * Log-softmax backward from the saved output y: dx += dy − exp(y) · Σ_r dy.
 * Shapes: dy, y, dx (O, R, I). Accumulates into dx.
 */
export function logSoftmaxBackward(dx: Float32Array, dy: Float32Array, y: Float32Array, O: number, R: number, I: number): void {
  scratch(I);
  const s = scratchA;
  for (let o = 0; o < O; o++) {
    const base = o * R * I;
    for (let i = 0; i < I; i++) s[i] = 0;
    for (let r = 0; r < R; r++) {
      const row = base + r * I;
      for (let i = 0; i < I; i++) s[i] += dy[row + i];
    }
    for (let r = 0; r < R; r++) {
      const row = base + r * I;
      for (let i = 0; i < I; i++) dx[row + i] += dy[row + i] - Math.exp(y[row + i]) * s[i];
    }
  }
}

/** Naive twin of {@link softmaxForward}: one strided slice at a time, three passes. The test oracle. */
export function softmaxForwardNaive(out: Float32Array, x: Float32Array, O: number, R: number, I: number): void {
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      const base = o * R * I + i;
      const m = sliceMax(x, base, R, I);
      let s = 0;
      for (let r = 0; r < R; r++) s += Math.exp(x[base + r * I] - m);
      for (let r = 0; r < R; r++) out[base + r * I] = Math.exp(x[base + r * I] - m) / s;
    }
  }
}

/** Naive twin of {@link logSoftmaxForward}. */
export function logSoftmaxForwardNaive(out: Float32Array, x: Float32Array, O: number, R: number, I: number): void {
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      const base = o * R * I + i;
      const m = sliceMax(x, base, R, I);
      let s = 0;
      for (let r = 0; r < R; r++) s += Math.exp(x[base + r * I] - m);
      const ls = Math.log(s);
      for (let r = 0; r < R; r++) out[base + r * I] = x[base + r * I] - m - ls;
    }
  }
}

/** Naive twin of {@link softmaxBackward}. */
export function softmaxBackwardNaive(dx: Float32Array, dy: Float32Array, y: Float32Array, O: number, R: number, I: number): void {
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      const base = o * R * I + i;
      let dot = 0;
      for (let r = 0; r < R; r++) dot += dy[base + r * I] * y[base + r * I];
      for (let r = 0; r < R; r++) dx[base + r * I] += y[base + r * I] * (dy[base + r * I] - dot);
    }
  }
}

/** Naive twin of {@link logSoftmaxBackward}. */
export function logSoftmaxBackwardNaive(dx: Float32Array, dy: Float32Array, y: Float32Array, O: number, R: number, I: number): void {
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      const base = o * R * I + i;
      let s = 0;
      for (let r = 0; r < R; r++) s += dy[base + r * I];
      for (let r = 0; r < R; r++) dx[base + r * I] += dy[base + r * I] - Math.exp(y[base + r * I]) * s;
    }
  }
}

/** lse = m + ln Σ_c exp(x − m) of one strided slice; NaN if the slice holds a NaN or is all −Inf. */
function sliceLse(x: Float32Array, base: number, C: number, I: number): number {
  const m = sliceMax(x, base, C, I);
  let s = 0;
  for (let c = 0; c < C; c++) s += Math.exp(x[base + c * I] - m);
  return m + Math.log(s);
}

/**
 * Fused log-softmax + NLL with class-index targets, label smoothing ε and class weights w (all 1
 * when null), PyTorch's formula with −log p = lse − x:
 * loss[m] = (1 − ε)·w[t]·(lse − x[t]) + (ε/C)·Σ_c w[c]·(lse − x[c]), and 0 where t = ignoreIndex.
 * Also writes lse[m] and wt[m] = w[t] (0 where ignored), the mean's denominator terms.
 * Shapes: x (O, C, I); target, loss, lse, wt (O, I); weight (C) or null. Overwrites outputs.
 * Targets must already be validated (in [0, C) or equal to ignoreIndex).
 */
export function crossEntropyForward(
  loss: Float32Array, lse: Float32Array, wt: Float32Array, x: Float32Array, target: Int32Array,
  weight: Float32Array | null, ignoreIndex: number, smoothing: number, O: number, C: number, I: number,
): void {
  const eps = smoothing / C;
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      const m = o * I + i;
      const t = target[m];
      if (t === ignoreIndex) {
        loss[m] = 0;
        lse[m] = 0;
        wt[m] = 0;
        continue;
      }
      const base = o * C * I + i;
      const l = sliceLse(x, base, C, I);
      const w = weight === null ? 1 : weight[t];
      let v = (1 - smoothing) * w * (l - x[base + t * I]);
      if (smoothing !== 0) {
        let s = 0;
        if (weight === null) for (let c = 0; c < C; c++) s += l - x[base + c * I];
        else for (let c = 0; c < C; c++) s += weight[c] * (l - x[base + c * I]);
        v += eps * s;
      }
      loss[m] = v;
      lse[m] = l;
      wt[m] = w;
    }
  }
}

/**
 * Backward of {@link crossEntropyForward}, with p = exp(x − lse) and g[m] = dloss[m·gStride]·scale:
 * dx[c] += g·((1 − ε)·w[t]·(p[c] − [c = t]) + (ε/C)·(W·p[c] − w[c])), W = Σ_c w[c]; ignored items
 * get nothing. `gStride` 0 broadcasts one upstream value (the 'sum' and 'mean' reductions).
 * Shapes: x, dx (O, C, I); target, lse (O, I); weight (C) or null. Accumulates into dx.
 */
export function crossEntropyBackward(
  dx: Float32Array, dloss: Float32Array, gStride: number, scale: number, x: Float32Array, lse: Float32Array,
  target: Int32Array, weight: Float32Array | null, ignoreIndex: number, smoothing: number, O: number, C: number, I: number,
): void {
  const eps = smoothing / C;
  let W = C;
  if (weight !== null) {
    W = 0;
    for (let c = 0; c < C; c++) W += weight[c];
  }
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      const m = o * I + i;
      const t = target[m];
      if (t === ignoreIndex) continue;
      const g = dloss[m * gStride] * scale;
      const base = o * C * I + i;
      const l = lse[m];
      const wt = weight === null ? 1 : weight[t];
      const a = g * ((1 - smoothing) * wt + eps * W);
      const gs = g * eps;
      if (weight === null) for (let c = 0; c < C; c++) dx[base + c * I] += a * Math.exp(x[base + c * I] - l) - gs;
      else for (let c = 0; c < C; c++) dx[base + c * I] += a * Math.exp(x[base + c * I] - l) - gs * weight[c];
      dx[base + t * I] -= g * (1 - smoothing) * wt;
    }
  }
}

/**
 * Cross-entropy with class-probability targets q, smoothed to q' = (1 − ε)·q + ε/C:
 * loss[m] = Σ_c w[c]·q'[c]·(lse − x[c]). Writes lse[m]. No item is ignored.
 * Shapes: x, target (O, C, I); loss, lse (O, I); weight (C) or null. Overwrites outputs.
 */
export function crossEntropyProbForward(
  loss: Float32Array, lse: Float32Array, x: Float32Array, target: Float32Array,
  weight: Float32Array | null, smoothing: number, O: number, C: number, I: number,
): void {
  const eps = smoothing / C;
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      const m = o * I + i;
      const base = o * C * I + i;
      const l = sliceLse(x, base, C, I);
      let s = 0;
      for (let c = 0; c < C; c++) {
        const k = base + c * I;
        const q = (1 - smoothing) * target[k] + eps;
        s += (weight === null ? q : weight[c] * q) * (l - x[k]);
      }
      loss[m] = s;
      lse[m] = l;
    }
  }
}

/**
 * Backward of {@link crossEntropyProbForward} with g[m] = dloss[m·gStride]·scale and
 * S = Σ_c w[c]·q'[c]: dx[c] += g·(S·p[c] − w[c]·q'[c]); dtarget[c] += g·(1 − ε)·w[c]·(lse − x[c])
 * when dtarget is given. Shapes: x, target, dx, dtarget (O, C, I); lse (O, I). Accumulates.
 */
export function crossEntropyProbBackward(
  dx: Float32Array | null, dtarget: Float32Array | null, dloss: Float32Array, gStride: number, scale: number,
  x: Float32Array, lse: Float32Array, target: Float32Array, weight: Float32Array | null, smoothing: number,
  O: number, C: number, I: number,
): void {
  const eps = smoothing / C;
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      const m = o * I + i;
      const g = dloss[m * gStride] * scale;
      const base = o * C * I + i;
      const l = lse[m];
      if (dx !== null) {
        let S = 0;
        for (let c = 0; c < C; c++) {
          const q = (1 - smoothing) * target[base + c * I] + eps;
          S += weight === null ? q : weight[c] * q;
        }
        for (let c = 0; c < C; c++) {
          const k = base + c * I;
          const wq = (weight === null ? 1 : weight[c]) * ((1 - smoothing) * target[k] + eps);
          dx[k] += g * (S * Math.exp(x[k] - l) - wq);
        }
      }
      if (dtarget !== null) {
        const gt = g * (1 - smoothing);
        for (let c = 0; c < C; c++) {
          const k = base + c * I;
          dtarget[k] += gt * (weight === null ? 1 : weight[c]) * (l - x[k]);
        }
      }
    }
  }
}
