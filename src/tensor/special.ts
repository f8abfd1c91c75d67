// Special functions of float64 arguments (internal, not re-exported): ln Γ, the regularized
// incomplete gamma function and the chi-square survival function behind the drift tests'
// p-values (monitor), ln erfc behind the privacy accountant, and round-half-to-even behind the
// quantizers (compress) and the KS statistic. Tested against scipy.special in
// test/monitor/scipy.test.ts and test/monitor/statistics.test.ts.

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const LOG_SQRT_2PI = 0.91893853320467274178;

/**
 * ln Γ(x) for x > 0 (Lanczos, g = 7, nine terms; relative error about 1e-15), with the reflection
 * formula below 0.5. Returns +∞ at the poles x = 0, −1, −2, ….
 * @internal
 */
export function lgamma(x: number): number {
  if (x < 0.5) {
    if (x === Math.floor(x)) return Infinity;
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  }
  const z = x - 1;
  let s = LANCZOS[0];
  for (let i = 1; i < LANCZOS_G + 2; i++) s += LANCZOS[i] / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return LOG_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

const EPS = 2.220446049250313e-16;
const TINY = 1e-300;
const MAX_ITER = 100000;

/** x^a e^(−x) / Γ(a), the common factor of the series and the continued fraction, in log space. */
function gammaPrefix(a: number, x: number): number {
  return Math.exp(a * Math.log(x) - x - lgamma(a));
}

/**
 * The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a) =
 * (1/Γ(a)) ∫ₓ^∞ t^(a−1) e^(−t) dt, as `scipy.special.gammaincc(a, x)`, for a > 0 and x ≥ 0.
 * For x < a + 1 it is 1 − P(a, x) with P from its power series; otherwise the Legendre continued
 * fraction (modified Lentz), which keeps full relative precision in the far tail where p-values
 * live. NaN for a ≤ 0, x < 0 or NaN arguments.
 * @internal
 */
export function gammaincc(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return NaN;
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  if (x < a + 1) {
    // P(a, x) = x^a e^(−x) / Γ(a + 1) · Σₖ xᵏ / ((a + 1)…(a + k)).
    let term = 1 / a;
    let sum = term;
    for (let k = 1; k < MAX_ITER; k++) {
      term *= x / (a + k);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPS) break;
    }
    return Math.max(0, 1 - sum * gammaPrefix(a, x));
  }
  // Q(a, x) = x^a e^(−x) / Γ(a) · 1 / (x + 1 − a − 1·(1 − a) / (x + 3 − a − 2·(2 − a) / (x + 5 − a − …))).
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.min(1, h * gammaPrefix(a, x));
}

/**
 * Survival function of the chi-square distribution with `dof` degrees of freedom:
 * P(X ≥ x) = Q(dof/2, x/2), as `scipy.stats.chi2.sf(x, dof)`.
 * @internal
 */
export function chi2Sf(x: number, dof: number): number {
  if (x <= 0) return dof > 0 ? 1 : NaN;
  return gammaincc(dof / 2, x / 2);
}

/** Round half to even, as `np.round` and C's `nearbyint` (the quantizers' inner loops call it unchecked). @internal */
export function nearbyint(x: number): number {
  const r = Math.round(x);
  // Math.round sends every tie up (towards +∞); move the odd ones back down.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * ln erfc(x), accurate in both tails (as `log(2) + scipy.special.log_ndtr(−x·√2)`): erfc(x) =
 * Q(1/2, x²) for x ≥ 0 from {@link gammaincc}'s continued fraction, 2 − erfc(−x) below 0, and the
 * asymptotic series past x = 25, where e^(−x²) leaves float64's range. NaN for NaN.
 * @internal
 */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return Math.log(2 - gammaincc(0.5, x * x));
  if (x > 25) {
    const x2 = x * x;
    return -x2 - Math.log(x) - 0.5 * Math.log(Math.PI) + Math.log1p(-1 / (2 * x2) + 3 / (4 * x2 * x2) - 15 / (8 * x2 * x2 * x2));
  }
  return Math.log(gammaincc(0.5, x * x));
}
