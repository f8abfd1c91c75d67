/**
 * Layer normalization and batch normalization.
 *
 * Dims: layer norm sees x as (B, C): `B` rows (all leading dims), `C` normalized features (the
 * trailing dims). Batch norm sees x as (N, C, L): `N` batch, `C` channels, `L` positions per
 * channel and sample (1 for (N, C), L for (N, C, L), H·W for (N, C, H, W)).
 *
 * Statistics are two-pass (mean, then Σ (x − mean)²) in float64, so data with |mean| ≫ std keeps
 * its precision; variances are biased (divide by the count) for the normalization itself.
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

/**
 * out[b, c] = (inp[b, c] − μ_b) · rstd_b · weight[c] + bias[c], μ_b and σ²_b the row's mean and
 * biased variance, rstd_b = 1/√(σ²_b + eps). Writes mean and rstd (per row) for the backward pass.
 * Shapes: inp, out (B, C); weight, bias (C) or null; mean, rstd (B). Overwrites its outputs.
 */
export function layerNormForward(
  out: Float32Array, mean: Float32Array, rstd: Float32Array, inp: Float32Array,
  weight: Float32Array | null, bias: Float32Array | null, eps: number, B: number, C: number,
): void {
  for (let b = 0; b < B; b++) {
    const row = b * C;
    let s = 0;
    for (let c = 0; c < C; c++) s += inp[row + c];
    const m = s / C;
    let ss = 0;
    for (let c = 0; c < C; c++) {
      const d = inp[row + c] - m;
      ss += d * d;
    }
    const rs = 1 / Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) {
      let v = (inp[row + c] - m) * rs;
      if (weight !== null) v *= weight[c];
      if (bias !== null) v += bias[c];
      out[row + c] = v;
    }
    mean[b] = m;
    rstd[b] = rs;
  }
}

/**
 * Layer-norm backward with n̂ = (inp − μ)·rstd and g = dout ⊙ weight:
 * dinp += rstd · (g − mean_c(g) − n̂ · mean_c(g ⊙ n̂)); dweight += Σ_b dout ⊙ n̂; dbias += Σ_b dout.
 * Any gradient buffer may be null (not needed). Shapes: dout, inp, dinp (B, C); weight, dweight,
 * dbias (C); mean, rstd (B). Accumulates.
 */
export function layerNormBackward(
  dinp: Float32Array | null, dweight: Float32Array | null, dbias: Float32Array | null, dout: Float32Array,
  inp: Float32Array, weight: Float32Array | null, mean: Float32Array, rstd: Float32Array, B: number, C: number,
): void {
  scratch(C);
  const dw = scratchA, db = scratchB;
  for (let c = 0; c < C; c++) {
    dw[c] = 0;
    db[c] = 0;
  }
  for (let b = 0; b < B; b++) {
    const row = b * C;
    const m = mean[b], rs = rstd[b];
    if (dweight !== null || dbias !== null) {
      for (let c = 0; c < C; c++) {
        const g = dout[row + c];
        dw[c] += g * (inp[row + c] - m) * rs;
        db[c] += g;
      }
    }
    if (dinp === null) continue;
    let gMean = 0, gnMean = 0;
    for (let c = 0; c < C; c++) {
      const g = weight === null ? dout[row + c] : dout[row + c] * weight[c];
      gMean += g;
      gnMean += g * (inp[row + c] - m) * rs;
    }
    gMean /= C;
    gnMean /= C;
    for (let c = 0; c < C; c++) {
      const g = weight === null ? dout[row + c] : dout[row + c] * weight[c];
      const nh = (inp[row + c] - m) * rs;
      dinp[row + c] += rs * (g - gMean - nh * gnMean);
    }
  }
  if (dweight !== null) for (let c = 0; c < C; c++) dweight[c] += dw[c];
  if (dbias !== null) for (let c = 0; c < C; c++) dbias[c] += db[c];
}

/**
 * Per-channel mean and biased variance over the N·L values of each channel, two-pass. Sweeps x in
 * memory order with one float64 accumulator per channel (unit stride even when L = 1).
 * Shapes: x (N, C, L); mean, variance (C). Overwrites mean and variance.
 */
export function batchNormStats(mean: Float32Array, variance: Float32Array, x: Float32Array, N: number, C: number, L: number): void {
  scratch(C);
  const s = scratchA, ss = scratchB;
  for (let c = 0; c < C; c++) {
    s[c] = 0;
    ss[c] = 0;
  }
  const cnt = N * L;
  if (L === 1) {
    for (let n = 0; n < N; n++) {
      const row = n * C;
      for (let c = 0; c < C; c++) s[c] += x[row + c];
    }
    for (let c = 0; c < C; c++) s[c] /= cnt;
    for (let n = 0; n < N; n++) {
      const row = n * C;
      for (let c = 0; c < C; c++) {
        const d = x[row + c] - s[c];
        ss[c] += d * d;
      }
    }
  } else {
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const row = (n * C + c) * L;
        let a = 0;
        for (let l = 0; l < L; l++) a += x[row + l];
        s[c] += a;
      }
    }
    for (let c = 0; c < C; c++) s[c] /= cnt;
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const row = (n * C + c) * L;
        const m = s[c];
        let a = 0;
        for (let l = 0; l < L; l++) {
          const d = x[row + l] - m;
          a += d * d;
        }
        ss[c] += a;
      }
    }
  }
  for (let c = 0; c < C; c++) {
    mean[c] = s[c];
    variance[c] = ss[c] / cnt;
  }
}

/** Naive twin of {@link batchNormStats}: one channel at a time, strided. The test oracle. */
export function batchNormStatsNaive(mean: Float32Array, variance: Float32Array, x: Float32Array, N: number, C: number, L: number): void {
  const cnt = N * L;
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < N; n++) for (let l = 0; l < L; l++) s += x[(n * C + c) * L + l];
    const m = s / cnt;
    let ss = 0;
    for (let n = 0; n < N; n++) {
      for (let l = 0; l < L; l++) {
        const d = x[(n * C + c) * L + l] - m;
        ss += d * d;
      }
    }
    mean[c] = m;
    variance[c] = ss / cnt;
  }
}

/**
 * out[n, c, l] = (x[n, c, l] − mean[c]) · rstd[c] · weight[c] + bias[c].
 * Shapes: x, out (N, C, L); mean, rstd (C); weight, bias (C) or null. Overwrites out.
 */
export function batchNormForward(
  out: Float32Array, x: Float32Array, mean: Float32Array, rstd: Float32Array,
  weight: Float32Array | null, bias: Float32Array | null, N: number, C: number, L: number,
): void {
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const row = (n * C + c) * L;
      const m = mean[c];
      const a = weight === null ? rstd[c] : rstd[c] * weight[c];
      const b = bias === null ? 0 : bias[c];
      for (let l = 0; l < L; l++) out[row + l] = (x[row + l] - m) * a + b;
    }
  }
}

/**
 * Running statistics update (PyTorch's): r ← (1 − momentum)·r + momentum·batch, with the running
 * variance fed the UNBIASED batch variance σ²·cnt/(cnt − 1). Shapes: all (C). Updates in place.
 */
export function batchNormUpdateRunning(
  runningMean: Float32Array, runningVar: Float32Array, mean: Float32Array, variance: Float32Array,
  momentum: number, cnt: number, C: number,
): void {
  const unbias = cnt / (cnt - 1);
  for (let c = 0; c < C; c++) {
    runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean[c];
    runningVar[c] = (1 - momentum) * runningVar[c] + momentum * variance[c] * unbias;
  }
}

/**
 * Batch-norm backward with x̂ = (x − mean)·rstd, cnt = N·L and per-channel sums Σdy, Σdy·x̂:
 * training (mean and rstd from this batch, so the gradient flows through them):
 * dx += weight·rstd·(dy − Σdy/cnt − x̂·Σ(dy·x̂)/cnt); eval (fixed statistics): dx += weight·rstd·dy.
 * Both: dweight += Σ dy·x̂, dbias += Σ dy. Sweeps in memory order with per-channel float64 sums.
 * Any gradient buffer may be null. Shapes: dout, x, dx (N, C, L); mean, rstd, weight, dweight, dbias (C).
 * Accumulates.
 */
export function batchNormBackward(
  dx: Float32Array | null, dweight: Float32Array | null, dbias: Float32Array | null, dout: Float32Array,
  x: Float32Array, mean: Float32Array, rstd: Float32Array, weight: Float32Array | null, training: boolean,
  N: number, C: number, L: number,
): void {
  scratch(C);
  const sdy = scratchA, sdyx = scratchB;
  for (let c = 0; c < C; c++) {
    sdy[c] = 0;
    sdyx[c] = 0;
  }
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const row = (n * C + c) * L;
      const m = mean[c];
      let a = 0, b = 0;
      for (let l = 0; l < L; l++) {
        const g = dout[row + l];
        a += g;
        b += g * (x[row + l] - m);
      }
      sdy[c] += a;
      sdyx[c] += b;
    }
  }
  for (let c = 0; c < C; c++) sdyx[c] *= rstd[c];
  if (dweight !== null) for (let c = 0; c < C; c++) dweight[c] += sdyx[c];
  if (dbias !== null) for (let c = 0; c < C; c++) dbias[c] += sdy[c];
  if (dx === null) return;
  const cnt = N * L;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const row = (n * C + c) * L;
      const m = mean[c], rs = rstd[c];
      const k = weight === null ? rs : rs * weight[c];
      if (!training) {
        for (let l = 0; l < L; l++) dx[row + l] += k * dout[row + l];
        continue;
      }
      const mdy = sdy[c] / cnt, mdyx = sdyx[c] / cnt;
      for (let l = 0; l < L; l++) dx[row + l] += k * (dout[row + l] - mdy - (x[row + l] - m) * rs * mdyx);
    }
  }
}

/** Naive twin of {@link batchNormBackward}: one channel at a time, strided. The test oracle. */
export function batchNormBackwardNaive(
  dx: Float32Array | null, dweight: Float32Array | null, dbias: Float32Array | null, dout: Float32Array,
  x: Float32Array, mean: Float32Array, rstd: Float32Array, weight: Float32Array | null, training: boolean,
  N: number, C: number, L: number,
): void {
  const cnt = N * L;
  for (let c = 0; c < C; c++) {
    const m = mean[c], rs = rstd[c];
    let sdy = 0, sdyx = 0;
    for (let n = 0; n < N; n++) {
      for (let l = 0; l < L; l++) {
        const k = (n * C + c) * L + l;
        sdy += dout[k];
        sdyx += dout[k] * (x[k] - m) * rs;
      }
    }
    if (dweight !== null) dweight[c] += sdyx;
    if (dbias !== null) dbias[c] += sdy;
    if (dx === null) continue;
    const w = weight === null ? 1 : weight[c];
    for (let n = 0; n < N; n++) {
      for (let l = 0; l < L; l++) {
        const k = (n * C + c) * L + l;
        const g = training ? dout[k] - sdy / cnt - (x[k] - m) * rs * (sdyx / cnt) : dout[k];
        dx[k] += w * rs * g;
      }
    }
  }
}
