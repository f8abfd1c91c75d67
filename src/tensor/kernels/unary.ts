/**
 * Element-wise unary kernels. Forward: out[i] = f(x[i]), overwriting. Backward: dx[i] += dy[i] · f′,
 * reading whichever of x or the saved output y gives f′ most cheaply. Shapes: all N elements.
 */

export function negForward(out: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) out[i] = -x[i];
}
export function negBackward(dx: Float32Array, dy: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) dx[i] -= dy[i];
}

export function absForward(out: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) out[i] = Math.abs(x[i]);
}
/** d|x|/dx = sign(x), 0 at x = 0 (as PyTorch). */
export function absBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) {
    const v = x[i];
    if (v > 0) dx[i] += dy[i];
    else if (v < 0) dx[i] -= dy[i];
    else if (v !== v) dx[i] += NaN;
  }
}

export function expForward(out: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) out[i] = Math.exp(x[i]);
}
/** d eˣ = eˣ = y. Also the backward of every op whose derivative is its output times dy. */
export function mulByOutputBackward(dx: Float32Array, dy: Float32Array, y: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) dx[i] += dy[i] * y[i];
}

export function logForward(out: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) out[i] = Math.log(x[i]);
}
export function logBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) dx[i] += dy[i] / x[i];
}

export function log1pForward(out: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) out[i] = Math.log1p(x[i]);
}
export function log1pBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) dx[i] += dy[i] / (1 + x[i]);
}

export function sqrtForward(out: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) out[i] = Math.sqrt(x[i]);
}
/** d√x = 1 / (2√x) = 1 / (2y). */
export function sqrtBackward(dx: Float32Array, dy: Float32Array, y: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) dx[i] += dy[i] / (2 * y[i]);
}

export function rsqrtForward(out: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) out[i] = 1 / Math.sqrt(x[i]);
}
/** d x^(−½) = −½ x^(−3/2) = −½ y³. */
export function rsqrtBackward(dx: Float32Array, dy: Float32Array, y: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) {
    const v = y[i];
    dx[i] -= 0.5 * dy[i] * v * v * v;
  }
}

export function squareForward(out: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) out[i] = x[i] * x[i];
}
export function squareBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) dx[i] += 2 * dy[i] * x[i];
}

export function sinForward(out: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) out[i] = Math.sin(x[i]);
}
export function sinBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) dx[i] += dy[i] * Math.cos(x[i]);
}

export function cosForward(out: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) out[i] = Math.cos(x[i]);
}
export function cosBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) dx[i] -= dy[i] * Math.sin(x[i]);
}

export function tanhForward(out: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) out[i] = Math.tanh(x[i]);
}
/** d tanh = 1 − y². */
export function tanhBackward(dx: Float32Array, dy: Float32Array, y: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) {
    const v = y[i];
    dx[i] += dy[i] * (1 - v * v);
  }
}

/** σ(x) = 1 / (1 + e⁻ˣ), evaluated on the side where the exponential cannot overflow. */
export function sigmoidForward(out: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) {
    const v = x[i];
    if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
    else {
      const e = Math.exp(v);
      out[i] = e / (1 + e);
    }
  }
}
/** dσ = y (1 − y). */
export function sigmoidBackward(dx: Float32Array, dy: Float32Array, y: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) {
    const v = y[i];
    dx[i] += dy[i] * v * (1 - v);
  }
}

// The ReLU family is written without data-dependent branches: on activations of random sign a
// branch mispredicts half the time, so the forward is (v + |v|) / 2 and the mask `+(v > 0)`, which
// compiles to a flag, not a branch (timings in bench/RESULTS.md). The only branches left test for
// rare values (−∞, a non-finite gradient) and are always predicted.

/** max(x, 0); NaN stays NaN and −∞ gives 0, as PyTorch (−0 gives +0, where PyTorch keeps −0). */
export function reluForward(out: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) {
    const v = x[i];
    out[i] = v === -Infinity ? 0 : (v + Math.abs(v)) * 0.5;
  }
}
/**
 * d relu = 0 for x ≤ 0 (at the kink too), else 1, as PyTorch's threshold_backward: a NaN input
 * passes its gradient through.
 */
export function reluBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) {
    const g = dy[i], m = +!(x[i] <= 0);
    // g·m is exact for finite g; an infinite or NaN g must not turn a masked 0 into NaN.
    dx[i] += g - g === 0 ? g * m : m === 1 ? g : 0;
  }
}

export function leakyReluForward(out: Float32Array, x: Float32Array, slope: number, N: number): void {
  for (let i = 0; i < N; i++) {
    const v = x[i], m = +(v > 0);
    out[i] = v * (m + (1 - m) * slope);
  }
}
/** Slope `slope` for x ≤ 0 (at 0 too, as PyTorch). */
export function leakyReluBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, slope: number, N: number): void {
  for (let i = 0; i < N; i++) {
    const m = +(x[i] > 0);
    dx[i] += dy[i] * (m + (1 - m) * slope);
  }
}

export function eluForward(out: Float32Array, x: Float32Array, alpha: number, N: number): void {
  for (let i = 0; i < N; i++) {
    const v = x[i];
    out[i] = v > 0 ? v : alpha * Math.expm1(v);
  }
}
/** d elu = 1 for x > 0, else α eˣ = y + α. */
export function eluBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, y: Float32Array, alpha: number, N: number): void {
  for (let i = 0; i < N; i++) dx[i] += x[i] > 0 ? dy[i] : dy[i] * (y[i] + alpha);
}

/**
 * Complementary error function, erfc(z), with fractional error below 1.2e-7 everywhere
 * (Chebyshev fit, Numerical Recipes §6.2), good to float32 precision in both tails.
 */
export function erfc(z: number): number {
  const a = Math.abs(z);
  const t = 1 / (1 + 0.5 * a);
  const r = t * Math.exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
    t * (-0.82215223 + t * 0.17087277)))))))));
  return z >= 0 ? r : 2 - r;
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Exact GELU: x · Φ(x) with Φ(x) = ½ erfc(−x/√2). */
export function geluForward(out: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) {
    const v = x[i];
    out[i] = v * 0.5 * erfc(-v * SQRT1_2);
  }
}
/** d gelu = Φ(x) + x φ(x). */
export function geluBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) {
    const v = x[i];
    dx[i] += dy[i] * (0.5 * erfc(-v * SQRT1_2) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
  }
}
/** Tanh GELU: ½ x (1 + tanh(√(2/π) (x + 0.044715 x³))). */
export function geluTanhForward(out: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) {
    const v = x[i];
    out[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
  }
}
export function geluTanhBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) {
    const v = x[i];
    const th = Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v));
    const dInner = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v);
    dx[i] += dy[i] * (0.5 * (1 + th) + 0.5 * v * (1 - th * th) * dInner);
  }
}

/** softplus(x) = (1/β) ln(1 + e^(βx)); linear (x) above βx > threshold, as PyTorch. */
export function softplusForward(out: Float32Array, x: Float32Array, beta: number, threshold: number, N: number): void {
  for (let i = 0; i < N; i++) {
    const bx = beta * x[i];
    out[i] = bx > threshold ? x[i] : (Math.max(bx, 0) + Math.log1p(Math.exp(-Math.abs(bx)))) / beta;
  }
}
/** d softplus = σ(βx) (1 in the linear region). */
export function softplusBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, beta: number, threshold: number, N: number): void {
  for (let i = 0; i < N; i++) {
    const bx = beta * x[i];
    if (bx > threshold) dx[i] += dy[i];
    else {
      const s = bx >= 0 ? 1 / (1 + Math.exp(-bx)) : Math.exp(bx) / (1 + Math.exp(bx));
      dx[i] += dy[i] * s;
    }
  }
}

export function signForward(out: Float32Array, x: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) {
    const v = x[i];
    out[i] = v > 0 ? 1 : v < 0 ? -1 : v;
  }
}

export function clampForward(out: Float32Array, x: Float32Array, lo: number, hi: number, N: number): void {
  for (let i = 0; i < N; i++) {
    const v = x[i];
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
}
/** Gradient passes where lo ≤ x ≤ hi (bounds inclusive, as PyTorch). */
export function clampBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, lo: number, hi: number, N: number): void {
  for (let i = 0; i < N; i++) {
    const v = x[i];
    if (v >= lo && v <= hi) dx[i] += dy[i];
    else if (v !== v) dx[i] += NaN;
  }
}

/** dx += dy (identity backward: views, reshape). */
export function addInto(dx: Float32Array, dy: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) dx[i] += dy[i];
}

/** dx += s · dy. */
export function addScaledInto(dx: Float32Array, dy: Float32Array, s: number, N: number): void {
  for (let i = 0; i < N; i++) dx[i] += s * dy[i];
}
