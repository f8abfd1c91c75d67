import { ArgumentError } from '../tensor/index';
import { oneOf, parseOptions } from '../tensor/options';
import { describe } from '../tensor/shape';
import { vector } from '../metrics/util';
import {
  binom, countPathsOutside, kolmogn, outerProbInside, probOutsideSquare,
} from './kolmogorov';
import { nearbyint } from '../tensor/special';

/**
 * A sample of a drift statistic: a plain array or a typed array of finite numbers.
 * @category Monitor
 */
export type DriftSample = readonly number[] | Float32Array | Float64Array;

/**
 * The alternative hypothesis of {@link ks2Samp}, as in SciPy: `'two-sided'` (the two
 * distributions differ), `'less'` (the CDF of `a` lies below that of `b` somewhere: `a` tends to be
 * larger), `'greater'` (the CDF of `a` lies above that of `b` somewhere).
 * @category Monitor
 */
export type KsAlternative = 'two-sided' | 'less' | 'greater';

/**
 * Options of {@link ks2Samp}.
 * @category Monitor
 */
export interface Ks2SampOptions {
  /** The alternative hypothesis (default `'two-sided'`). */
  alternative?: KsAlternative;
  /**
   * How the p-value is computed (default `'auto'`): `'exact'` counts lattice paths, `'asymp'` uses
   * the Kolmogorov distribution of size m·n/(m + n) (two-sided) or Hodges' approximation
   * (one-sided), `'auto'` is exact when both samples have at most 10 000 values. As SciPy, an exact
   * computation that would overflow float64 falls back to `'asymp'`.
   */
  method?: 'auto' | 'exact' | 'asymp';
}

/**
 * The result of {@link ks2Samp}, the fields of SciPy's `KstestResult`.
 * @category Monitor
 */
export interface KsResult {
  /** The KS statistic: the largest difference of the two empirical CDFs (signed per `alternative`), in [0, 1]. */
  statistic: number;
  /** The p-value under the null hypothesis that both samples come from one distribution. */
  pValue: number;
  /** The value at which the statistic is attained (SciPy's `statistic_location`). */
  statisticLocation: number;
  /** +1 when the CDF of `a` exceeds that of `b` there, −1 otherwise (SciPy's `statistic_sign`). */
  statisticSign: 1 | -1;
  /** The method that computed the p-value (`'exact'` or `'asymp'`, after the `'auto'` choice and a fallback). */
  method: 'exact' | 'asymp';
}

const KS_SPEC = {
  alternative: oneOf(['two-sided', 'less', 'greater'] as const),
  method: oneOf(['auto', 'exact', 'asymp'] as const),
};

/** Largest size for which `'auto'` is exact (SciPy's MAX_AUTO_N). */
const MAX_AUTO_N = 10000;
const INT32_MAX = 2147483647;

/** A checked, non-empty sample as sorted float64. @internal */
export function sortedSample(op: string, name: string, x: DriftSample): Float64Array {
  const d = vector(op, name, x as never);
  if (d.length === 0) throw new ArgumentError(`${op}: ${name} must be a non-empty array, got ${describe(x)}`);
  // vector() returns a fresh copy, so sorting it in place leaves the caller's array alone.
  return d.sort();
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * The extreme differences of the two empirical CDFs on sorted samples, as SciPy computes them: at
 * each value of `a` then of `b` (in that order, first occurrence wins), cdf₁ − cdf₂ with the CDFs
 * counting values ≤ it. Returns the maximum, the most negative, and where each is attained.
 * O(n₁ + n₂).
 */
function cdfDiffs(a: Float64Array, b: Float64Array): { max: number; maxAt: number; min: number; minAt: number } {
  const n1 = a.length;
  const n2 = b.length;
  let max = -Infinity;
  let maxAt = NaN;
  let min = Infinity;
  let minAt = NaN;
  for (let pass = 0; pass < 2; pass++) {
    const xs = pass === 0 ? a : b;
    let i1 = 0;
    let i2 = 0;
    for (let k = 0; k < xs.length; k++) {
      const v = xs[k];
      while (i1 < n1 && a[i1] <= v) i1++;
      while (i2 < n2 && b[i2] <= v) i2++;
      const d = i1 / n1 - i2 / n2;
      if (d > max) {
        max = d;
        maxAt = v;
      }
      if (d < min) {
        min = d;
        minAt = v;
      }
    }
  }
  return { max, maxAt, min, minAt };
}

/** SciPy's exact attempt: the p-value and the statistic rounded to h/lcm, or null where float64 overflows. */
function exactP(n1: number, n2: number, g: number, d: number, alternative: KsAlternative): { d: number; p: number } | null {
  const lcm = (n1 / g) * n2;
  const h = nearbyint(d * lcm);
  const dd = h / lcm;
  if (h === 0) return { d: dd, p: 1 };
  let p: number;
  if (alternative === 'two-sided') {
    p = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  } else if (n1 === n2) {
    p = 1;
    for (let j = 0; j < h; j++) p *= (n1 - j) / (n1 + j + 1);
  } else {
    // SciPy raises on overflow inside the path count; a total count past float64 fails the same way.
    const total = binom(n1 + n2, n1);
    if (!Number.isFinite(total)) return null;
    const paths = countPathsOutside(n1, n2, g, h);
    if (!Number.isFinite(paths) || paths > total) return null;
    p = paths / total;
  }
  if (!(p >= 0 && p <= 1)) return null;
  return { d: dd, p };
}

/**
 * The two-sample Kolmogorov–Smirnov test, as `scipy.stats.ks_2samp(a, b, alternative, method)`:
 * the statistic D = sup |F_a(x) − F_b(x)| of the empirical CDFs (one-sided: sup (F_a − F_b) for
 * `'greater'`, sup (F_b − F_a) for `'less'`) and its p-value under the null hypothesis that both
 * samples are drawn from one continuous distribution. The exact p-value counts the lattice paths
 * of Hodges (1958) (with Viehmann's stable recursion for the two-sided case); the asymptotic one is
 * the two-sided Kolmogorov distribution of size round(m·n/(m + n)) (SciPy's `kstwo`) or Hodges'
 * one-sided approximation. Ties are allowed (the statistic is the one SciPy computes; the p-value
 * then is conservative, as SciPy's).
 *
 * Shapes: a (n₁), b (n₂), both non-empty. Cost: O(n log n) to sort, O(n₁ + n₂) for the statistic;
 * the exact two-sided p-value is O(n₁·n₂) worst case (at most 10⁸ steps under `'auto'`).
 * @example
 * ks2Samp([1, 2, 3, 4], [5, 6, 7, 8]).statistic; // 1
 * ks2Samp([1, 2, 3, 4], [5, 6, 7, 8]).pValue; // 0.028571428571428577
 * ks2Samp([1, 2, 3], [1, 2, 3]).pValue; // 1
 * ks2Samp([], [1]); // throws ArgumentError
 * @throws ArgumentError for an empty sample, a non-finite value or an unknown option.
 * @see {@link psi}, {@link Monitor}
 * @category Monitor
 */
export function ks2Samp(a: DriftSample, b: DriftSample, options: Ks2SampOptions = {}): KsResult {
  const op = 'ks2Samp';
  const { alternative, method } = { alternative: 'two-sided' as KsAlternative, method: 'auto' as const, ...parseOptions(op, options, KS_SPEC) };
  return ks2SampSorted(sortedSample(op, 'a', a), sortedSample(op, 'b', b), alternative, method);
}

/** {@link ks2Samp} on samples already checked and sorted ascending (the Monitor keeps its reference sorted). @internal */
export function ks2SampSorted(a: Float64Array, b: Float64Array, alternative: KsAlternative, method: 'auto' | 'exact' | 'asymp'): KsResult {
  const n1 = a.length;
  const n2 = b.length;
  const c = cdfDiffs(a, b);
  const minS = Math.min(Math.max(-c.min, 0), 1);
  const maxS = c.max;
  let d: number;
  let location: number;
  let sign: 1 | -1;
  if (alternative === 'less' || (alternative === 'two-sided' && minS > maxS)) {
    d = minS;
    location = c.minAt;
    sign = -1;
  } else {
    d = maxS;
    location = c.maxAt;
    sign = 1;
  }
  const g = gcd(n1, n2);
  const n1g = n1 / g;
  const n2g = n2 / g;
  let mode: 'exact' | 'asymp' = method === 'auto' ? (Math.max(n1, n2) <= MAX_AUTO_N ? 'exact' : 'asymp') : method;
  if (method === 'exact' && n1g >= INT32_MAX / n2g) mode = 'asymp';
  let p = NaN;
  if (mode === 'exact') {
    const r = exactP(n1, n2, g, d, alternative);
    if (r === null) {
      mode = 'asymp';
      // SciPy returns the rounded statistic from its failed exact attempt too.
      d = nearbyint(d * n1g * n2) / (n1g * n2);
    } else {
      d = r.d;
      p = r.p;
    }
  }
  if (mode === 'asymp') {
    const m = Math.max(n1, n2);
    const n = Math.min(n1, n2);
    const en = (m * n) / (m + n);
    if (alternative === 'two-sided') p = kolmogn(nearbyint(en), d, false);
    else {
      const z = Math.sqrt(en) * d;
      p = Math.exp(-2 * z * z - (2 * z * (m + 2 * n)) / Math.sqrt(m * n * (m + n)) / 3);
    }
  }
  p = Math.min(Math.max(p, 0), 1);
  return { statistic: d, pValue: p, statisticLocation: location, statisticSign: sign, method: mode };
}
