import { quantileSorted } from '../data/util';
import { ArgumentError, ShapeError } from '../tensor/index';
import { bool, num, parseOptions, posInt } from '../tensor/options';
import { describe } from '../tensor/shape';
import { vector } from '../metrics/util';
import { sortedSample, type DriftSample } from './ks';
import { chi2Sf } from '../tensor/special';

// ------------------------------------------------------------------------------ quantiles and bins

/**
 * The inner bin edges of {@link psi}: the reference's quantiles at 1/bins, 2/bins, …,
 * (bins − 1)/bins, with repeated edges merged (a reference with few distinct values has fewer bins).
 * @internal
 */
export function quantileEdges(sortedRef: ArrayLike<number>, bins: number): Float64Array {
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const e = quantileSorted(sortedRef, k / bins);
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  return Float64Array.from(edges);
}

/** The bin of x: the number of edges strictly below it, so bin i is (edgeᵢ₋₁, edgeᵢ]. @internal */
export function binOf(edges: Float64Array, x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts per bin (edges.length + 1 bins) of arbitrary values. O(n log bins). @internal */
export function binCounts(edges: Float64Array, x: ArrayLike<number>): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  for (let i = 0; i < x.length; i++) counts[binOf(edges, x[i])]++;
  return counts;
}

/** Σ (cᵢ − rᵢ)·ln(cᵢ/rᵢ) over proportions clipped below at eps. @internal */
export function psiFromCounts(ref: ArrayLike<number>, cur: ArrayLike<number>, eps: number): number {
  let nr = 0;
  let nc = 0;
  for (let i = 0; i < ref.length; i++) {
    nr += ref[i];
    nc += cur[i];
  }
  let s = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = Math.max(ref[i] / nr, eps);
    const c = Math.max(cur[i] / nc, eps);
    s += (c - r) * Math.log(c / r);
  }
  return s;
}

/** scipy.spatial.distance.jensenshannon on two count or probability vectors of equal length. @internal */
export function jsFromCounts(p: ArrayLike<number>, q: ArrayLike<number>, logBase: number): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i];
    sq += q[i];
  }
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / sp;
    const qi = q[i] / sq;
    const m = (pi + qi) / 2;
    // m ≥ pᵢ/2 > 0 in exact arithmetic; m = 0 only when a subnormal halves to 0, where the term is ≈ 0.
    if (m > 0) {
      if (pi > 0) left += pi * Math.log(pi / m);
      if (qi > 0) right += qi * Math.log(qi / m);
    }
  }
  // Rounding can leave the divergence a hair below zero where SciPy's sqrt gives NaN; it is 0 there.
  return Math.sqrt(Math.max(0, (left + right) / logBase / 2));
}

/**
 * Pearson's chi-square test of homogeneity on a 2 × K table of counts (row 0 reference, row 1
 * current), as `scipy.stats.chi2_contingency(table)` with `correction=True`: Yates' correction
 * when K = 2; statistic 0 and p-value 1 when K = 1. Every column must have a non-zero total.
 * @internal
 */
export function chiSquareFromCounts(ref: ArrayLike<number>, cur: ArrayLike<number>, correction: boolean): ChiSquareResult {
  const K = ref.length;
  let nr = 0;
  let nc = 0;
  for (let k = 0; k < K; k++) {
    nr += ref[k];
    nc += cur[k];
  }
  const total = nr + nc;
  const dof = K - 1;
  if (dof === 0) return { statistic: 0, pValue: 1, dof: 0 };
  let stat = 0;
  for (let row = 0; row < 2; row++) {
    const obs = row === 0 ? ref : cur;
    const rowSum = row === 0 ? nr : nc;
    for (let k = 0; k < K; k++) {
      const e = (rowSum * (ref[k] + cur[k])) / total;
      let o = obs[k];
      if (dof === 1 && correction) {
        const diff = e - o;
        o += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      }
      stat += ((o - e) * (o - e)) / e;
    }
  }
  return { statistic: stat, pValue: chi2Sf(stat, dof), dof };
}

// ------------------------------------------------------------------------------ categories

/** A categorical sample: category codes (numbers) or names (strings). @category Monitor */
export type CategoricalSample = DriftSample | readonly string[];

function categories(op: string, name: string, x: CategoricalSample): Map<number | string, number> {
  if (!(Array.isArray(x) || x instanceof Float32Array || x instanceof Float64Array)) {
    throw new ArgumentError(`${op}: ${name} must be an array of numbers or strings, got ${describe(x)}`);
  }
  if (x.length === 0) throw new ArgumentError(`${op}: ${name} must be a non-empty array, got ${describe(x)}`);
  const counts = new Map<number | string, number>();
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as unknown;
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) {
      throw new ArgumentError(`${op}: ${name}[${i}] is ${describe(v)}; every category must be a finite number or a string`);
    }
    counts.set(v as number | string, (counts.get(v as number | string) ?? 0) + 1);
  }
  return counts;
}

/** Counts of both samples over the union of their categories, in sorted category order. */
function alignedCounts(a: Map<number | string, number>, b: Map<number | string, number>): [Float64Array, Float64Array] {
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => {
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    const sx = String(x);
    const sy = String(y);
    return typeof x === typeof y ? (sx < sy ? -1 : sx > sy ? 1 : 0) : typeof x === 'number' ? -1 : 1;
  });
  const ra = new Float64Array(keys.length);
  const rb = new Float64Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    ra[i] = a.get(keys[i]) ?? 0;
    rb[i] = b.get(keys[i]) ?? 0;
  }
  return [ra, rb];
}

// ------------------------------------------------------------------------------ public statistics

/**
 * Options of {@link psi}.
 * @category Monitor
 */
export interface PsiOptions {
  /** Number of quantile bins of the reference (default 10, deciles); repeated edges are merged. */
  bins?: number;
  /** Floor of every bin proportion, so an empty bin contributes a finite term (default 1e-4). */
  epsilon?: number;
  /** Treat the values as category codes: one bin per distinct value of either sample (default false). */
  categorical?: boolean;
}

const PSI_SPEC = {
  bins: posInt,
  epsilon: num({ min: 0, max: 1, openMin: true, openMax: true }),
  categorical: bool,
};

/**
 * Population stability index PSI = Σᵢ (cᵢ − rᵢ)·ln(cᵢ/rᵢ), where rᵢ and cᵢ are the proportions of
 * the reference and of the current sample in bin i. Bins are the reference's quantiles (NumPy's
 * linear `np.quantile` at k/bins, k = 1…bins − 1; repeated edges merged); bin i holds
 * edgeᵢ₋₁ < x ≤ edgeᵢ, the first bin everything ≤ edge₁ and the last everything above the top edge
 * (current values outside the reference's range land in the end bins). Every proportion is floored
 * at `epsilon` (1e-4) so an empty bin gives a large finite term instead of ∞. Each term is ≥ 0, so
 * PSI ≥ 0, and 0 when the proportions agree. With `categorical: true` the bins are the distinct
 * values of both samples.
 *
 * Conventional reading: < 0.1 no significant shift, 0.1–0.25 moderate, ≥ 0.25 significant.
 * Shapes: reference (n₁), current (n₂), both non-empty. Cost: O(n₁ log n₁ + n₂ log bins).
 * @example
 * psi([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // 0
 * psi([1, 2, 3, 4], [1, 2, 3, 4, 4, 4], { bins: 2 }) > 0; // true
 * psi([1, 2], [], { bins: 2 }); // throws ArgumentError
 * @throws ArgumentError for an empty sample, a non-finite value or a bad option.
 * @see {@link ks2Samp}, {@link jensenShannon}
 * @category Monitor
 */
export function psi(reference: CategoricalSample, current: CategoricalSample, options: PsiOptions = {}): number {
  const op = 'psi';
  const { bins, epsilon, categorical } = { bins: 10, epsilon: 1e-4, categorical: false, ...parseOptions(op, options, PSI_SPEC) };
  if (categorical) {
    const [r, c] = alignedCounts(categories(op, 'reference', reference), categories(op, 'current', current));
    return psiFromCounts(r, c, epsilon);
  }
  for (const [name, x] of [['reference', reference], ['current', current]] as const) {
    if (Array.isArray(x) && typeof x[0] === 'string') throw new ArgumentError(`${op}: ${name} holds strings; pass { categorical: true } for categories`);
  }
  const ref = sortedSample(op, 'reference', reference as DriftSample);
  const cur = sortedSample(op, 'current', current as DriftSample);
  const edges = quantileEdges(ref, bins);
  return psiFromCounts(binCounts(edges, ref), binCounts(edges, cur), epsilon);
}

/**
 * Options of {@link jensenShannon}.
 * @category Monitor
 */
export interface JensenShannonOptions {
  /** Base of the logarithm (default e; 2 bounds the distance by 1). */
  base?: number;
}

const JS_SPEC = {
  base: (v: unknown, name: string, op: string): number => {
    const b = num({ min: 0, openMin: true })(v, name, op);
    if (b === 1) throw new ArgumentError(`${op}: ${name} must be a finite number > 0 other than 1, got 1`);
    return b;
  },
};

/**
 * Jensen–Shannon distance √(½ KL(p ‖ m) + ½ KL(q ‖ m)), m = (p + q)/2, as
 * `scipy.spatial.distance.jensenshannon(p, q, base)`: p and q are first divided by their sums (so
 * counts work as well as probabilities), and the divergence is in nats unless `base` is given. It is
 * symmetric, 0 for proportional inputs and at most √ln 2 (1 with base 2). This is the distance (the
 * square root), not the divergence.
 *
 * Shapes: p (K), q (K), non-negative, each with a positive sum.
 * @example
 * jensenShannon([1, 0, 0], [0, 1, 0], { base: 2 }); // 1
 * jensenShannon([1, 0], [0.5, 0.5]); // 0.46450140402245893
 * jensenShannon([1, 2], [2, 4]); // 0
 * jensenShannon([1, 2], [1, 2, 3]); // throws ShapeError
 * @throws ShapeError when the lengths differ; ArgumentError for an empty input, a negative or
 * non-finite value, an all-zero input or a bad base.
 * @see {@link psi}
 * @category Monitor
 */
export function jensenShannon(p: DriftSample, q: DriftSample, options: JensenShannonOptions = {}): number {
  const op = 'jensenShannon';
  const { base } = { base: Math.E, ...parseOptions(op, options, JS_SPEC) };
  const pd = distribution(op, 'p', p);
  const qd = distribution(op, 'q', q);
  if (pd.length !== qd.length) throw new ShapeError(`${op}: p has ${pd.length} values but q has ${qd.length}`);
  return jsFromCounts(pd, qd, Math.log(base));
}

function distribution(op: string, name: string, x: DriftSample): Float64Array {
  const d = vector(op, name, x as never);
  if (d.length === 0) throw new ArgumentError(`${op}: ${name} must be a non-empty array, got ${describe(x)}`);
  let s = 0;
  for (let i = 0; i < d.length; i++) {
    if (d[i] < 0) throw new ArgumentError(`${op}: ${name}[${i}] is ${d[i]}; every value must be ≥ 0`);
    s += d[i];
  }
  if (!(s > 0)) throw new ArgumentError(`${op}: ${name} sums to 0; it must hold a positive value`);
  return d;
}

/**
 * The result of {@link chiSquare}.
 * @category Monitor
 */
export interface ChiSquareResult {
  /** Pearson's chi-square statistic of the 2 × K table. */
  statistic: number;
  /** Its p-value, the chi-square survival function at the statistic with `dof` degrees of freedom. */
  pValue: number;
  /** Degrees of freedom, K − 1 for K categories seen in either sample. */
  dof: number;
}

/**
 * Options of {@link chiSquare}.
 * @category Monitor
 */
export interface ChiSquareOptions {
  /** Yates' continuity correction when there are exactly two categories (default true, as SciPy). */
  correction?: boolean;
}

const CHI_SPEC = { correction: bool };

/**
 * Chi-square test of homogeneity for a categorical feature: the two samples' category counts form
 * a 2 × K table (row 0 `reference`, row 1 `current`, one column per category seen in either), and
 * the result is `scipy.stats.chi2_contingency(table, correction)`'s statistic Σ (O − E)²/E with
 * E = row total · column total / n, and its p-value `chi2.sf(statistic, K − 1)` (computed with the
 * regularized upper incomplete gamma function Q(dof/2, statistic/2)). With two categories and
 * `correction` (the default) each |O − E| shrinks by up to ½ (Yates); with a single category the
 * statistic is 0 and the p-value 1, as SciPy.
 *
 * Shapes: reference (n₁), current (n₂), non-empty; categories are numbers (codes) or strings.
 * Cost: O(n₁ + n₂ + K log K).
 * @example
 * chiSquare(['a', 'a', 'b', 'b'], ['a', 'a', 'b', 'b']).statistic; // 0
 * chiSquare(['a', 'b', 'c'], ['a', 'b', 'c']).pValue; // 1
 * chiSquare([0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 0, 0, 0, 0, 0, 1, 2, 2]).dof; // 2
 * chiSquare([], ['a']); // throws ArgumentError
 * @throws ArgumentError for an empty sample, a value that is neither a finite number nor a string,
 * or an unknown option.
 * @see {@link jensenShannon}, {@link psi}
 * @category Monitor
 */
export function chiSquare(reference: CategoricalSample, current: CategoricalSample, options: ChiSquareOptions = {}): ChiSquareResult {
  const op = 'chiSquare';
  const { correction } = { correction: true, ...parseOptions(op, options, CHI_SPEC) };
  const [r, c] = alignedCounts(categories(op, 'reference', reference), categories(op, 'current', current));
  return chiSquareFromCounts(r, c, correction);
}
