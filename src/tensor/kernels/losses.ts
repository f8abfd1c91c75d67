/**
 * Loss kernels: per-element losses and their gradients, the negative log-likelihood of class
 * indices. Forward kernels write the per-element loss into `out` when it is given (reduction
 * 'none') and return the float64 sum of the losses; backward kernels ACCUMULATE into `dinp` /
 * `dtarget` (either may be null): element i gets scale · dy[i · D] · ∂ℓᵢ.
 *
 * Dims: `N` elements; `D` the stride of dy (1 for 'none', 0 for a reduced loss, whose dy is one
 * value); for nll, `O` outer size, `C` classes, `I` inner size (the input is a contiguous
 * [O, C, I] view, the target [O, I]). `weight` and `posWeight` are null or pre-broadcast to (N).
 */

/** ℓ = (x − y)². */
export function mseForward(out: Float32Array | null, inp: Float32Array, target: Float32Array, N: number): number {
  let acc = 0;
  for (let i = 0; i < N; i++) {
    const d = inp[i] - target[i];
    const l = d * d;
    if (out !== null) out[i] = l;
    acc += l;
  }
  return acc;
}

/** ∂ℓ/∂x = 2(x − y) = −∂ℓ/∂y. */
export function mseBackward(
  dinp: Float32Array | null, dtarget: Float32Array | null, dy: Float32Array, D: number, scale: number,
  inp: Float32Array, target: Float32Array, N: number,
): void {
  for (let i = 0; i < N; i++) {
    const g = 2 * scale * dy[i * D] * (inp[i] - target[i]);
    if (dinp !== null) dinp[i] += g;
    if (dtarget !== null) dtarget[i] -= g;
  }
}

/** ℓ = |x − y|. */
export function l1Forward(out: Float32Array | null, inp: Float32Array, target: Float32Array, N: number): number {
  let acc = 0;
  for (let i = 0; i < N; i++) {
    const l = Math.abs(inp[i] - target[i]);
    if (out !== null) out[i] = l;
    acc += l;
  }
  return acc;
}

/** ∂ℓ/∂x = sign(x − y) = −∂ℓ/∂y, 0 at x = y (as PyTorch); NaN stays NaN. */
export function l1Backward(
  dinp: Float32Array | null, dtarget: Float32Array | null, dy: Float32Array, D: number, scale: number,
  inp: Float32Array, target: Float32Array, N: number,
): void {
  for (let i = 0; i < N; i++) {
    const d = inp[i] - target[i];
    const s = d > 0 ? 1 : d < 0 ? -1 : d * 0;
    const g = scale * dy[i * D] * s;
    if (dinp !== null) dinp[i] += g;
    if (dtarget !== null) dtarget[i] -= g;
  }
}

/** ℓ = ½d² for |d| < δ, δ(|d| − ½δ) otherwise, d = x − y. */
export function huberForward(out: Float32Array | null, inp: Float32Array, target: Float32Array, delta: number, N: number): number {
  let acc = 0;
  for (let i = 0; i < N; i++) {
    const d = inp[i] - target[i];
    const a = Math.abs(d);
    const l = a < delta ? 0.5 * d * d : delta * (a - 0.5 * delta);
    if (out !== null) out[i] = l;
    acc += l;
  }
  return acc;
}

/** ∂ℓ/∂x = clamp(d, −δ, δ) = −∂ℓ/∂y; continuous at |d| = δ, where it is ±δ. */
export function huberBackward(
  dinp: Float32Array | null, dtarget: Float32Array | null, dy: Float32Array, D: number, scale: number,
  inp: Float32Array, target: Float32Array, delta: number, N: number,
): void {
  for (let i = 0; i < N; i++) {
    const d = inp[i] - target[i];
    const c = d > delta ? delta : d < -delta ? -delta : d;
    const g = scale * dy[i * D] * c;
    if (dinp !== null) dinp[i] += g;
    if (dtarget !== null) dtarget[i] -= g;
  }
}

/** ℓ = −w·(y·max(ln x, −100) + (1 − y)·max(ln(1 − x), −100)). */
export function bceForward(
  out: Float32Array | null, inp: Float32Array, target: Float32Array, weight: Float32Array | null, N: number,
): number {
  let acc = 0;
  for (let i = 0; i < N; i++) {
    const x = inp[i], y = target[i];
    const lx = Math.max(Math.log(x), -100);
    const l1x = Math.max(Math.log1p(-x), -100);
    let l = (y - 1) * l1x - y * lx;
    if (weight !== null) l *= weight[i];
    if (out !== null) out[i] = l;
    acc += l;
  }
  return acc;
}

/**
 * ∂ℓ/∂x = w·(x − y) / max(x(1 − x), 1e−12) (PyTorch's clamp, so x ∈ {0, 1} gives a finite
 * gradient, up to ±1e12); ∂ℓ/∂y = w·(max(ln(1 − x), −100) − max(ln x, −100)).
 */
export function bceBackward(
  dinp: Float32Array | null, dtarget: Float32Array | null, dy: Float32Array, D: number, scale: number,
  inp: Float32Array, target: Float32Array, weight: Float32Array | null, N: number,
): void {
  for (let i = 0; i < N; i++) {
    const x = inp[i], y = target[i];
    const g = weight === null ? scale * dy[i * D] : scale * dy[i * D] * weight[i];
    if (dinp !== null) dinp[i] += (g * (x - y)) / Math.max((1 - x) * x, 1e-12);
    if (dtarget !== null) dtarget[i] += g * (Math.max(Math.log1p(-x), -100) - Math.max(Math.log(x), -100));
  }
}

/**
 * ℓ = w·(max(x, 0) − x·z + log1p(e^(−|x|)) + (p − 1)·z·softplus(−x)), which is
 * w·((1 − z)·x + (1 + (p − 1)·z)·softplus(−x)) without the cancellation for large |x|.
 */
export function bceLogitsForward(
  out: Float32Array | null, inp: Float32Array, target: Float32Array, weight: Float32Array | null,
  posWeight: Float32Array | null, N: number,
): number {
  let acc = 0;
  for (let i = 0; i < N; i++) {
    const x = inp[i], z = target[i];
    const lp = Math.log1p(Math.exp(-Math.abs(x)));
    let l = Math.max(x, 0) - x * z + lp;
    if (posWeight !== null) l += (posWeight[i] - 1) * z * (Math.max(-x, 0) + lp);
    if (weight !== null) l *= weight[i];
    if (out !== null) out[i] = l;
    acc += l;
  }
  return acc;
}

/** ∂ℓ/∂x = w·((1 + (p − 1)·z)·σ(x) − p·z); ∂ℓ/∂z = w·(−x + (p − 1)·softplus(−x)). */
export function bceLogitsBackward(
  dinp: Float32Array | null, dtarget: Float32Array | null, dy: Float32Array, D: number, scale: number,
  inp: Float32Array, target: Float32Array, weight: Float32Array | null, posWeight: Float32Array | null, N: number,
): void {
  for (let i = 0; i < N; i++) {
    const x = inp[i], z = target[i];
    const g = weight === null ? scale * dy[i * D] : scale * dy[i * D] * weight[i];
    const p = posWeight === null ? 1 : posWeight[i];
    if (dinp !== null) {
      // σ(x) without overflow of e^(−x) for very negative x.
      const e = Math.exp(-Math.abs(x));
      const sig = x >= 0 ? 1 / (1 + e) : e / (1 + e);
      dinp[i] += g * ((1 + (p - 1) * z) * sig - p * z);
    }
    if (dtarget !== null) {
      const spNeg = Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
      dtarget[i] += g * ((p - 1) * spNeg - x);
    }
  }
}

/** ℓ = t·ln t − t·x (0·ln 0 = 0, PyTorch's xlogy), or e^t·(t − x) for log-targets. */
export function klDivForward(out: Float32Array | null, inp: Float32Array, target: Float32Array, logTarget: boolean, N: number): number {
  let acc = 0;
  for (let i = 0; i < N; i++) {
    const x = inp[i], t = target[i];
    const l = logTarget ? Math.exp(t) * (t - x) : (t === 0 ? 0 : t * Math.log(t)) - t * x;
    if (out !== null) out[i] = l;
    acc += l;
  }
  return acc;
}

/** ∂ℓ/∂x = −t, ∂ℓ/∂t = ln t + 1 − x; for log-targets −e^t and e^t·(t − x + 1). */
export function klDivBackward(
  dinp: Float32Array | null, dtarget: Float32Array | null, dy: Float32Array, D: number, scale: number,
  inp: Float32Array, target: Float32Array, logTarget: boolean, N: number,
): void {
  for (let i = 0; i < N; i++) {
    const x = inp[i], t = target[i];
    const g = scale * dy[i * D];
    if (logTarget) {
      const p = Math.exp(t);
      if (dinp !== null) dinp[i] -= g * p;
      if (dtarget !== null) dtarget[i] += g * p * (t - x + 1);
    } else {
      if (dinp !== null) dinp[i] -= g * t;
      if (dtarget !== null) dtarget[i] += g * (Math.log(t) + 1 - x);
    }
  }
}

/**
 * ℓ[o, i] = −w[t]·inp[o, t, i] with t = target[o, i]; 0 where t = ignoreIndex. Writes the item's
 * weight (0 if ignored) into wt and returns Σ ℓ. Shapes: out, wt, target (O·I), inp (O, C, I), weight (C).
 */
export function nllForward(
  out: Float32Array | null, wt: Float32Array, inp: Float32Array, target: Int32Array, weight: Float32Array | null,
  ignoreIndex: number, O: number, C: number, I: number,
): number {
  let acc = 0;
  for (let o = 0; o < O; o++) {
    const inpRow = o * C * I;
    for (let i = 0; i < I; i++) {
      const m = o * I + i;
      const t = target[m];
      let l = 0;
      if (t !== ignoreIndex) {
        const w = weight === null ? 1 : weight[t];
        wt[m] = w;
        l = -w * inp[inpRow + t * I + i];
      }
      if (out !== null) out[m] = l;
      acc += l;
    }
  }
  return acc;
}

/** dinp[o, t, i] += −scale·dy[m·D]·w[t] at each item's target class only. */
export function nllBackward(
  dinp: Float32Array, dy: Float32Array, D: number, scale: number, target: Int32Array, weight: Float32Array | null,
  ignoreIndex: number, O: number, C: number, I: number,
): void {
  for (let o = 0; o < O; o++) {
    const inpRow = o * C * I;
    for (let i = 0; i < I; i++) {
      const m = o * I + i;
      const t = target[m];
      if (t === ignoreIndex) continue;
      const w = weight === null ? 1 : weight[t];
      dinp[inpRow + t * I + i] -= scale * dy[m * D] * w;
    }
  }
}

/** Index of the first x[i] outside [lo, hi], or −1; NaN is not outside (it propagates). */
export function firstOutside(x: Float32Array, lo: number, hi: number, N: number): number {
  for (let i = 0; i < N; i++) if (x[i] < lo || x[i] > hi) return i;
  return -1;
}

/** Σ a[i] over the first N elements, in float64. */
export function sum64(a: Float32Array, N: number): number {
  let s = 0;
  for (let i = 0; i < N; i++) s += a[i];
  return s;
}
