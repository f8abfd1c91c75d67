import { ArgumentError, ShapeError } from '../tensor/index';
import { average, later, sampleWeights, values, type MetricArray, type MetricMatrix } from './util';
import { bool, checkArg, oneOf, parseOptions, posInt } from '../tensor/options';

const RANK_SPEC = { skipEmpty: bool };

/**
 * Ranked recommendations: one list of item ids per user, best first.
 * @category Metrics
 */
export type Recommendations = readonly (readonly number[] | Int32Array | Float32Array | Float64Array)[];

/**
 * Relevant items per user, aligned with the recommendation lists: an array or Set of item ids
 * (binary relevance), or a Map from item id to a graded relevance ≥ 0 (a grade of 0 is not relevant).
 * @category Metrics
 */
export type Relevance = readonly (readonly number[] | Int32Array | ReadonlySet<number> | ReadonlyMap<number, number>)[];

/** Options of the top-k recommender metrics. @category Metrics */
export interface RankingOptions {
  /**
   * What to do with users that have no relevant item: `true` (default) leaves them out of the
   * average, as most recommender libraries do; `false` counts them as 0.
   */
  skipEmpty?: boolean;
}

/** Options of {@link ndcgAtK}. @category Metrics */
export interface NdcgAtKOptions extends RankingOptions {
  /** Gain of a relevance grade g: `'linear'` g (default, as scikit-learn's ndcg_score) or `'exponential'` 2ᵍ − 1. */
  gain?: 'linear' | 'exponential';
}

interface User {
  rec: ArrayLike<number>;
  grade: Map<number, number>;
}

/** Validates the per-user inputs and turns every relevance form into a Map item → grade (> 0 only). */
function users(fn: string, recommended: Recommendations, relevant: Relevance): User[] {
  if (!Array.isArray(recommended)) throw new ArgumentError(`${fn}: recommended must be an array of per-user item lists`);
  if (!Array.isArray(relevant)) throw new ArgumentError(`${fn}: relevant must be an array of per-user item sets`);
  if (recommended.length !== relevant.length) throw new ShapeError(`${fn}: recommended has ${recommended.length} users but relevant has ${relevant.length}`);
  if (recommended.length === 0) throw new ArgumentError(`${fn}: recommended and relevant are empty`);
  const out: User[] = [];
  for (let u = 0; u < recommended.length; u++) {
    const rec = recommended[u] as ArrayLike<number>;
    if (!(Array.isArray(rec) || ArrayBuffer.isView(rec))) throw new ArgumentError(`${fn}: recommended[${u}] must be an array of item ids`);
    const seen = new Set<number>();
    for (let i = 0; i < rec.length; i++) {
      const v = rec[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(`${fn}: recommended[${u}][${i}] is ${v}; item ids must be finite numbers`);
      if (seen.has(v)) throw new ArgumentError(`${fn}: recommended[${u}] lists item ${v} twice (at positions ${Array.prototype.indexOf.call(rec, v)} and ${i})`);
      seen.add(v);
    }
    const r = relevant[u];
    const grade = new Map<number, number>();
    if (r instanceof Map) {
      for (const [item, g] of r) {
        if (typeof g !== 'number' || !Number.isFinite(g) || g < 0) throw new ArgumentError(`${fn}: relevant[${u}] grades item ${item} as ${g}; grades must be finite and ≥ 0`);
        if (g > 0) grade.set(item, g);
      }
    } else if (r instanceof Set || Array.isArray(r) || ArrayBuffer.isView(r)) {
      for (const item of r as Iterable<number>) {
        if (typeof item !== 'number' || !Number.isFinite(item)) throw new ArgumentError(`${fn}: relevant[${u}] holds ${item}; item ids must be finite numbers`);
        grade.set(item, 1);
      }
    } else throw new ArgumentError(`${fn}: relevant[${u}] must be an array, a Set or a Map`);
    out.push({ rec, grade });
  }
  return out;
}

/** Mean of per-user scores over the users that count; `score` sees users with ≥ 1 relevant item, others score 0 unless skipped. */
function perUser(fn: string, recommended: Recommendations, relevant: Relevance, options: RankingOptions, score: (u: User) => number): number {
  const { skipEmpty = true } = options;
  let s = 0, n = 0;
  for (const u of users(fn, recommended, relevant)) {
    if (u.grade.size === 0) {
      if (!skipEmpty) n++;
      continue;
    }
    s += score(u);
    n++;
  }
  if (n === 0) throw new ArgumentError(`${fn}: no user has a relevant item, so the average is undefined (pass skipEmpty: false to score them 0)`);
  return s / n;
}

function hitsAtK(u: User, k: number): number {
  let h = 0;
  const m = Math.min(k, u.rec.length);
  for (let i = 0; i < m; i++) if (u.grade.has(u.rec[i])) h++;
  return h;
}

/**
 * Precision@k: the mean over users of |top-k ∩ relevant| / k. The denominator is k even when fewer
 * than k items were recommended (missing slots count as misses).
 *
 * Shapes: recommended [U][≤ any] ranked item ids; relevant [U] sets of item ids. Users without a
 * relevant item are skipped (see {@link RankingOptions}).
 * @example
 * precisionAtK([[1, 2, 3], [4, 5, 6]], [[2, 3], [7]], 2); // 0.25
 * @throws ShapeError if the user counts differ; ArgumentError for k < 1, duplicate recommended items, or no user with a relevant item.
 * @see {@link recallAtK}
 * @category Metrics
 */
export function precisionAtK(recommended: Recommendations, relevant: Relevance, k: number, options: RankingOptions = {}): number {
  options = parseOptions('precisionAtK', options, RANK_SPEC) as typeof options;
  checkArg('precisionAtK', 'k', k, posInt);
  return perUser('precisionAtK', recommended, relevant, options, (u) => hitsAtK(u, k) / k);
}

/**
 * Recall@k: the mean over users of |top-k ∩ relevant| / |relevant|.
 *
 * Shapes: recommended [U][…] ranked item ids; relevant [U] sets of item ids. Users without a relevant item are skipped.
 * @example
 * recallAtK([[1, 2, 3], [4, 5, 6]], [[2, 3], [7]], 2); // 0.25
 * @throws ShapeError if the user counts differ; ArgumentError for k < 1, duplicate recommended items, or no user with a relevant item.
 * @see {@link precisionAtK}
 * @category Metrics
 */
export function recallAtK(recommended: Recommendations, relevant: Relevance, k: number, options: RankingOptions = {}): number {
  options = parseOptions('recallAtK', options, RANK_SPEC) as typeof options;
  checkArg('recallAtK', 'k', k, posInt);
  return perUser('recallAtK', recommended, relevant, options, (u) => hitsAtK(u, k) / u.grade.size);
}

/**
 * Hit rate@k: the fraction of users with at least one relevant item in their top k.
 *
 * Shapes: recommended [U][…] ranked item ids; relevant [U] sets of item ids. Users without a relevant item are skipped.
 * @example
 * hitRateAtK([[1, 2, 3], [4, 5, 6]], [[2, 3], [7]], 2); // 0.5
 * @throws ShapeError if the user counts differ; ArgumentError for k < 1, duplicate recommended items, or no user with a relevant item.
 * @category Metrics
 */
export function hitRateAtK(recommended: Recommendations, relevant: Relevance, k: number, options: RankingOptions = {}): number {
  options = parseOptions('hitRateAtK', options, RANK_SPEC) as typeof options;
  checkArg('hitRateAtK', 'k', k, posInt);
  return perUser('hitRateAtK', recommended, relevant, options, (u) => (hitsAtK(u, k) > 0 ? 1 : 0));
}

/**
 * MAP@k, mean average precision: the mean over users of AP@k = Σᵢ₌₁ᵏ P@i·relᵢ / min(k, |relevant|),
 * where relᵢ is 1 when the item at rank i is relevant (the common `apk` definition).
 *
 * Shapes: recommended [U][…] ranked item ids; relevant [U] sets of item ids. Users without a relevant item are skipped.
 * @example
 * mapAtK([[1, 2, 3]], [[1, 3]], 3); // 0.8333333333333333
 * @throws ShapeError if the user counts differ; ArgumentError for k < 1, duplicate recommended items, or no user with a relevant item.
 * @see {@link averagePrecision}
 * @category Metrics
 */
export function mapAtK(recommended: Recommendations, relevant: Relevance, k: number, options: RankingOptions = {}): number {
  options = parseOptions('mapAtK', options, RANK_SPEC) as typeof options;
  checkArg('mapAtK', 'k', k, posInt);
  return perUser('mapAtK', recommended, relevant, options, (u) => {
    let hits = 0, s = 0;
    const m = Math.min(k, u.rec.length);
    for (let i = 0; i < m; i++) {
      if (u.grade.has(u.rec[i])) {
        hits++;
        s += hits / (i + 1);
      }
    }
    return s / Math.min(k, u.grade.size);
  });
}

/** Options of {@link mrr}. @category Metrics */
export interface MrrOptions extends RankingOptions {
  /** Only the first k recommendations count (default: the whole list). */
  k?: number;
}

/**
 * Mean reciprocal rank: the mean over users of 1 / (rank of the first relevant item), 0 when no
 * relevant item is recommended (within the first k, if given).
 *
 * Shapes: recommended [U][…] ranked item ids; relevant [U] sets of item ids. Users without a relevant item are skipped.
 * @example
 * mrr([[1, 2, 3], [4, 5, 6]], [[3], [4, 5]]); // 0.6666666666666666
 * @throws ShapeError if the user counts differ; ArgumentError for k < 1, duplicate recommended items, or no user with a relevant item.
 * @category Metrics
 */
export function mrr(recommended: Recommendations, relevant: Relevance, options: MrrOptions = {}): number {
  options = parseOptions('mrr', options, { skipEmpty: bool, k: posInt }) as typeof options;
  const k = options.k ?? Infinity;
  return perUser('mrr', recommended, relevant, options, (u) => {
    const m = Math.min(k, u.rec.length);
    for (let i = 0; i < m; i++) if (u.grade.has(u.rec[i])) return 1 / (i + 1);
    return 0;
  });
}

/**
 * NDCG@k: the mean over users of DCG@k / IDCG@k, with DCG@k = Σᵢ₌₁ᵏ gain(relᵢ) / log₂(i + 1) over
 * the ranked recommendations and IDCG@k the DCG of the best possible ranking of the user's relevant
 * items. Binary relevance (arrays or Sets) has gain 1; a Map gives graded relevance, with gain g
 * (`'linear'`, as scikit-learn's `ndcg_score`) or 2ᵍ − 1 (`'exponential'`).
 *
 * Shapes: recommended [U][…] ranked item ids; relevant [U] sets or Maps. Users without a relevant item are skipped.
 * @example
 * ndcgAtK([[1, 2, 3]], [[2]], 3); // 0.6309297535714575
 * ndcgAtK([[1, 2, 3]], [new Map([[1, 1], [3, 2]])], 2); // 0.38009376671593426
 * @throws ShapeError if the user counts differ; ArgumentError for k < 1, duplicate recommended items, negative grades, or no user with a relevant item.
 * @see {@link ndcgScore} for scikit-learn's score-matrix form.
 * @category Metrics
 */
export function ndcgAtK(recommended: Recommendations, relevant: Relevance, k: number, options: NdcgAtKOptions = {}): number {
  options = parseOptions('ndcgAtK', options, { skipEmpty: bool, gain: oneOf(['linear', 'exponential'] as const) }) as typeof options;
  const fn = 'ndcgAtK';
  checkArg(fn, 'k', k, posInt);
  const { gain = 'linear' } = options;
  const g = gain === 'linear' ? (x: number) => x : (x: number) => 2 ** x - 1;
  return perUser(fn, recommended, relevant, options, (u) => {
    let dcg = 0;
    const m = Math.min(k, u.rec.length);
    for (let i = 0; i < m; i++) {
      const r = u.grade.get(u.rec[i]);
      if (r !== undefined) dcg += g(r) / Math.log2(i + 2);
    }
    const ideal = [...u.grade.values()].sort((a, b) => b - a);
    let idcg = 0;
    for (let i = 0; i < Math.min(k, ideal.length); i++) idcg += g(ideal[i]) / Math.log2(i + 2);
    return dcg / idcg;
  });
}

/** Options of {@link coverage}. @category Metrics */
export interface CoverageOptions {
  /** Only the first k recommendations of each user count (default: whole lists). */
  k?: number;
}

/**
 * Catalog coverage |∪ᵤ recommendedᵤ| / nItems: the fraction of the catalog that is recommended to
 * at least one user.
 *
 * Shapes: recommended [U][…] ranked item ids, each an integer in [0, nItems).
 * @example
 * coverage([[0, 1], [1, 2]], 10); // 0.3
 * @throws ArgumentError if nItems is not a positive integer or an id is outside [0, nItems).
 * @category Metrics
 */
export function coverage(recommended: Recommendations, nItems: number, options: CoverageOptions = {}): number {
  options = parseOptions('coverage', options, { k: posInt }) as typeof options;
  const fn = 'coverage';
  checkArg(fn, 'nItems', nItems, posInt);
  const k = options.k ?? Infinity;
  if (!Array.isArray(recommended)) throw new ArgumentError(`${fn}: recommended must be an array of per-user item lists`);
  const seen = new Uint8Array(nItems);
  let n = 0;
  for (let u = 0; u < recommended.length; u++) {
    const rec = recommended[u];
    const m = Math.min(k, rec.length);
    for (let i = 0; i < m; i++) {
      const v = rec[i];
      if (!Number.isInteger(v) || v < 0 || v >= nItems) throw new ArgumentError(`${fn}: recommended[${u}][${i}] is ${v}; item ids must be integers in [0, ${nItems})`);
      if (seen[v] === 0) { seen[v] = 1; n++; }
    }
  }
  return n / nItems;
}

/** Options of {@link ndcgScore}. @category Metrics */
export interface NdcgScoreOptions {
  /** Only the k highest-scored positions count (default: all). */
  k?: number;
  /** Weight of each row (sample) in the average. */
  sampleWeight?: MetricArray;
  /**
   * Break ties in yScore arbitrarily (by higher column index first) instead of averaging the gains
   * of tied items (default false, which is exact and order-independent).
   */
  ignoreTies?: boolean;
}

/**
 * Normalised discounted cumulative gain of score matrices, equal to scikit-learn 1.2's `ndcg_score`:
 * per row, DCG@k = Σᵢ₌₁ᵏ yTrue[rankᵢ] / log₂(i + 1) with items ranked by yScore (tied scores share
 * the mean gain of their group over their positions), divided by the DCG of the ideal ordering by
 * yTrue; rows whose ideal DCG is 0 score 0. The result is the (weighted) mean over rows.
 *
 * Shapes: yTrue [N, M] non-negative relevance grades, yScore [N, M] scores, M ≥ 2.
 * @example
 * ndcgScore([[10, 0, 0, 1, 5]], [[0.1, 0.2, 0.3, 4, 70]]); // 0.6956940443813076
 * ndcgScore([[10, 0, 0, 1, 5]], [[1, 0, 0, 0, 1]], { k: 1 }); // 0.75
 * @throws ShapeError if the shapes differ or M < 2; ArgumentError for k < 1 or negative grades.
 * @see Järvelin & Kekäläinen (2002), "Cumulated gain-based evaluation of IR techniques".
 * @category Metrics
 */
export function ndcgScore(yTrue: MetricMatrix, yScore: MetricMatrix, options: NdcgScoreOptions = {}): number {
  options = parseOptions('ndcgScore', options, { k: posInt, sampleWeight: later, ignoreTies: bool }) as typeof options;
  const fn = 'ndcgScore';
  const { k, sampleWeight, ignoreTies = false } = options;
  const T = values(fn, 'yTrue', yTrue), S = values(fn, 'yScore', yScore);
  if (T.ndim !== 2 || S.ndim !== 2 || T.rows !== S.rows || T.cols !== S.cols) {
    throw new ShapeError(`${fn}: yTrue [${T.ndim === 2 ? `${T.rows}, ${T.cols}` : T.rows}] and yScore [${S.ndim === 2 ? `${S.rows}, ${S.cols}` : S.rows}] must be 2-D of the same shape`);
  }
  const N = T.rows, M = T.cols;
  if (N === 0) throw new ArgumentError(`${fn}: yTrue and yScore are empty`);
  if (M < 2) throw new ShapeError(`${fn}: NDCG needs at least 2 items per row, got shape [${N}, ${M}]`);
  if (k !== undefined) checkArg(fn, 'k', k, posInt);
  for (let i = 0; i < T.data.length; i++) {
    if (T.data[i] < 0) throw new ArgumentError(`${fn}: yTrue[${Math.floor(i / M)}, ${i % M}] is ${T.data[i]}; relevance grades must be ≥ 0`);
  }
  const w = sampleWeights(fn, sampleWeight, N);
  const discount = new Float64Array(M);
  for (let i = 0; i < M; i++) discount[i] = k !== undefined && i >= k ? 0 : 1 / Math.log2(i + 2);
  const cum = new Float64Array(M);
  for (let i = 0, c = 0; i < M; i++) cum[i] = c += discount[i];
  const gains = new Float64Array(N);
  const t = new Float64Array(M), s = new Float64Array(M);
  const order = new Array<number>(M);
  const dcg = (score: Float64Array, ties: boolean) => {
    for (let j = 0; j < M; j++) order[j] = j;
    order.sort((a, b) => score[b] - score[a] || b - a);
    let out = 0;
    if (!ties) {
      for (let i = 0; i < M; i++) out += discount[i] * t[order[i]];
      return out;
    }
    // Tied scores: every member of a group gets the group's mean gain at each of its positions.
    for (let i = 0; i < M;) {
      let j = i, g = 0;
      while (j < M && score[order[j]] === score[order[i]]) g += t[order[j++]];
      out += (g / (j - i)) * (cum[j - 1] - (i > 0 ? cum[i - 1] : 0));
      i = j;
    }
    return out;
  };
  for (let r = 0; r < N; r++) {
    for (let j = 0; j < M; j++) { t[j] = T.data[r * M + j]; s[j] = S.data[r * M + j]; }
    const ideal = dcg(t, false);
    gains[r] = ideal === 0 ? 0 : dcg(s, !ignoreTies) / ideal;
  }
  return average(fn, gains, w);
}
