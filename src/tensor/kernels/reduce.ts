/**
 * Reductions over the middle axis of a contiguous [O, R, I] view: out[o, i] = reduce_r x[o, r, i].
 * Any contiguous block of axes is such a view; other axis sets are permuted first by the op.
 * Sums accumulate in float64 and round once on store.
 */

let scratch = new Float64Array(64);
function acc64(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
  return scratch;
}

/** out[o, i] = Σ_r x[o, r, i] · scale. Shapes: x (O, R, I), out (O, I). */
export function sumForward(out: Float32Array, x: Float32Array, scale: number, O: number, R: number, I: number): void {
  if (I === 1) {
    for (let o = 0; o < O; o++) {
      const row = o * R;
      let s = 0;
      for (let r = 0; r < R; r++) s += x[row + r];
      out[o] = s * scale;
    }
    return;
  }
  const acc = acc64(I);
  for (let o = 0; o < O; o++) {
    acc.fill(0, 0, I);
    const base = o * R * I;
    for (let r = 0; r < R; r++) {
      const row = base + r * I;
      for (let i = 0; i < I; i++) acc[i] += x[row + i];
    }
    const ob = o * I;
    for (let i = 0; i < I; i++) out[ob + i] = acc[i] * scale;
  }
}

/** Naive twin of {@link sumForward}: one strided slice at a time. The test oracle. */
export function sumForwardNaive(out: Float32Array, x: Float32Array, scale: number, O: number, R: number, I: number): void {
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      let s = 0;
      for (let r = 0; r < R; r++) s += x[(o * R + r) * I + i];
      out[o * I + i] = s * scale;
    }
  }
}

/** dx[o, r, i] += dy[o, i] · scale. Shapes: dy (O, I), dx (O, R, I). */
export function sumBackward(dx: Float32Array, dy: Float32Array, scale: number, O: number, R: number, I: number): void {
  if (I === 1) {
    // Reductions over the last axes (a full sum, a loss mean): one contiguous run per o.
    for (let o = 0; o < O; o++) {
      const row = o * R, v = dy[o] * scale;
      for (let r = 0; r < R; r++) dx[row + r] += v;
    }
    return;
  }
  for (let o = 0; o < O; o++) {
    const base = o * R * I;
    const ob = o * I;
    for (let r = 0; r < R; r++) {
      const row = base + r * I;
      for (let i = 0; i < I; i++) dx[row + i] += dy[ob + i] * scale;
    }
  }
}

/**
 * out[o, i] = max_r x (or min when `sign` = −1), idx[o, i] = the first r attaining it; NaN wins
 * (a NaN anywhere in the slice gives NaN, its index reported). Shapes: x (O, R, I), out and idx (O, I).
 */
export function maxForward(out: Float32Array, idx: Int32Array, x: Float32Array, sign: number, O: number, R: number, I: number): void {
  for (let o = 0; o < O; o++) {
    const base = o * R * I;
    for (let i = 0; i < I; i++) {
      let best = x[base + i] * sign;
      let bi = 0;
      if (best === best) {
        for (let r = 1; r < R; r++) {
          const v = x[base + r * I + i] * sign;
          if (v > best || v !== v) {
            best = v;
            bi = r;
            if (v !== v) break;
          }
        }
      }
      out[o * I + i] = best * sign;
      idx[o * I + i] = bi;
    }
  }
}

/**
 * Gradient of max/min: dy is split evenly among all positions equal to the extreme value (as
 * torch.amax), so a tie of k values gives each dy / k.
 * Shapes: dy, y (O, I); x, dx (O, R, I).
 */
export function maxBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, y: Float32Array, O: number, R: number, I: number): void {
  for (let o = 0; o < O; o++) {
    const base = o * R * I;
    for (let i = 0; i < I; i++) {
      const m = y[o * I + i];
      let count = 0;
      for (let r = 0; r < R; r++) if (x[base + r * I + i] === m) count++;
      if (count === 0) continue;
      const g = dy[o * I + i] / count;
      for (let r = 0; r < R; r++) if (x[base + r * I + i] === m) dx[base + r * I + i] += g;
    }
  }
}

/**
 * Two-pass variance: mean first, then Σ (x − mean)² / (R − correction); `std` takes the square
 * root. Exact to float32 even when |mean| ≫ std. Writes the means to `mean`.
 * Shapes: x (O, R, I), out and mean (O, I).
 */
export function varForward(out: Float32Array, mean: Float32Array, x: Float32Array, correction: number, takeSqrt: boolean, O: number, R: number, I: number): void {
  const denom = Math.max(0, R - correction);
  for (let o = 0; o < O; o++) {
    const base = o * R * I;
    for (let i = 0; i < I; i++) {
      let s = 0;
      for (let r = 0; r < R; r++) s += x[base + r * I + i];
      const m = s / R;
      let ss = 0;
      for (let r = 0; r < R; r++) {
        const d = x[base + r * I + i] - m;
        ss += d * d;
      }
      const v = ss / denom;
      mean[o * I + i] = m;
      out[o * I + i] = takeSqrt ? Math.sqrt(v) : v;
    }
  }
}

/**
 * d var/dx = 2 (x − mean) / (R − correction); d std/dx = (x − mean) / ((R − correction) · std).
 * Shapes: dy, y, mean (O, I); x, dx (O, R, I).
 */
export function varBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, y: Float32Array, mean: Float32Array, correction: number, isStd: boolean, O: number, R: number, I: number): void {
  const denom = R - correction;
  for (let o = 0; o < O; o++) {
    const base = o * R * I;
    for (let i = 0; i < I; i++) {
      const k = o * I + i;
      const g = isStd ? dy[k] / (denom * y[k]) : (2 * dy[k]) / denom;
      const m = mean[k];
      for (let r = 0; r < R; r++) dx[base + r * I + i] += g * (x[base + r * I + i] - m);
    }
  }
}

/**
 * Stable log Σ exp: out = m + ln Σ exp(x − m) with m the slice maximum. An all −Inf slice gives
 * −Inf; a +Inf gives +Inf. Shapes: x (O, R, I), out (O, I).
 */
export function logSumExpForward(out: Float32Array, x: Float32Array, O: number, R: number, I: number): void {
  for (let o = 0; o < O; o++) {
    const base = o * R * I;
    for (let i = 0; i < I; i++) {
      let m = -Infinity;
      let nan = false;
      for (let r = 0; r < R; r++) {
        const v = x[base + r * I + i];
        if (v > m) m = v;
        else if (v !== v) nan = true;
      }
      if (nan) {
        out[o * I + i] = NaN;
        continue;
      }
      if (m === Infinity || m === -Infinity) {
        out[o * I + i] = m;
        continue;
      }
      let s = 0;
      for (let r = 0; r < R; r++) s += Math.exp(x[base + r * I + i] - m);
      out[o * I + i] = m + Math.log(s);
    }
  }
}

/** d lse/dx = softmax = exp(x − lse). Shapes: dy, y (O, I); x, dx (O, R, I). */
export function logSumExpBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, y: Float32Array, O: number, R: number, I: number): void {
  for (let o = 0; o < O; o++) {
    const base = o * R * I;
    for (let i = 0; i < I; i++) {
      const k = o * I + i;
      const l = y[k];
      const g = dy[k];
      for (let r = 0; r < R; r++) dx[base + r * I + i] += g * Math.exp(x[base + r * I + i] - l);
    }
  }
}

/**
 * p-norm over r: (Σ |x|ᵖ)^(1/p) for p = 1 or 2, max |x| for p = Inf. The 2-norm is scaled by the
 * slice's max |x| first so it neither overflows nor underflows. Shapes: x (O, R, I), out (O, I).
 */
export function normForward(out: Float32Array, x: Float32Array, p: number, O: number, R: number, I: number): void {
  for (let o = 0; o < O; o++) {
    const base = o * R * I;
    for (let i = 0; i < I; i++) {
      let res: number;
      if (p === 1) {
        let s = 0;
        for (let r = 0; r < R; r++) s += Math.abs(x[base + r * I + i]);
        res = s;
      } else {
        let m = 0;
        let nan = false;
        for (let r = 0; r < R; r++) {
          const a = Math.abs(x[base + r * I + i]);
          if (a > m) m = a;
          else if (a !== a) nan = true;
        }
        if (nan) res = NaN;
        else if (p === Infinity || m === 0 || m === Infinity) res = m;
        else {
          let s = 0;
          for (let r = 0; r < R; r++) {
            const v = x[base + r * I + i] / m;
            s += v * v;
          }
          res = m * Math.sqrt(s);
        }
      }
      out[o * I + i] = res;
    }
  }
}

/**
 * p = 1: dx = dy·sign(x); p = 2: dx = dy·x/‖x‖ (0 when ‖x‖ = 0, PyTorch's subgradient);
 * p = Inf: dy split among the entries with |x| = max.
 */
export function normBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, y: Float32Array, p: number, O: number, R: number, I: number): void {
  for (let o = 0; o < O; o++) {
    const base = o * R * I;
    for (let i = 0; i < I; i++) {
      const k = o * I + i;
      const g = dy[k], n = y[k];
      if (p === 1) {
        for (let r = 0; r < R; r++) {
          const v = x[base + r * I + i];
          if (v > 0) dx[base + r * I + i] += g;
          else if (v < 0) dx[base + r * I + i] -= g;
        }
      } else if (p === 2) {
        if (n === 0) continue;
        for (let r = 0; r < R; r++) dx[base + r * I + i] += (g * x[base + r * I + i]) / n;
      } else {
        let count = 0;
        for (let r = 0; r < R; r++) if (Math.abs(x[base + r * I + i]) === n) count++;
        if (count === 0 || n === 0) continue;
        for (let r = 0; r < R; r++) {
          const v = x[base + r * I + i];
          if (Math.abs(v) === n) dx[base + r * I + i] += ((v > 0 ? 1 : -1) * g) / count;
        }
      }
    }
  }
}
