import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError } from '../../src/tensor/index';
import { coverage, hitRateAtK, mapAtK, mrr, ndcgAtK, ndcgScore, precisionAtK, recallAtK } from '../../src/metrics/index';

const NUM_RUNS = 100;

// User 0: ranked [5, 1, 7, 3], relevant {1, 3, 9}. User 1: ranked [2, 4], relevant {4}. User 2: nothing relevant.
const rec = [[5, 1, 7, 3], [2, 4], [8, 6]];
const rel = [[1, 3, 9], new Set([4]), []];

describe('top-k recommender metrics by hand', () => {
  it('precision@k divides by k; users without relevant items are skipped (or count 0)', () => {
    // @2: user 0 hits {1} → 1/2; user 1 hits {4} → 1/2.
    expect(precisionAtK(rec, rel, 2)).toBe(0.5);
    expect(precisionAtK(rec, rel, 2, { skipEmpty: false })).toBeCloseTo(1 / 3, 15);
    // @4: user 0 hits 1 and 3 → 2/4; user 1 has only 2 recommendations, hit 1 → 1/4.
    expect(precisionAtK(rec, rel, 4)).toBe((0.5 + 0.25) / 2);
  });

  it('recall@k, hit rate@k', () => {
    expect(recallAtK(rec, rel, 1)).toBe(0); // user 0 top 1 = 5, user 1 top 1 = 2
    expect(recallAtK(rec, rel, 4)).toBeCloseTo((2 / 3 + 1) / 2, 15);
    expect(hitRateAtK(rec, rel, 1)).toBe(0);
    expect(hitRateAtK(rec, rel, 2)).toBe(1);
  });

  it('MAP@k: AP@k = Σ P@i·relᵢ / min(k, |relevant|)', () => {
    // User 0 @4: hits at ranks 2 and 4 → (1/2 + 2/4) / min(4, 3) = 1/3. User 1: hit at 2 → (1/2) / 1.
    expect(mapAtK(rec, rel, 4)).toBeCloseTo((1 / 3 + 1 / 2) / 2, 15);
    // @2: user 0 → (1/2) / 2, user 1 → 1/2.
    expect(mapAtK(rec, rel, 2)).toBeCloseTo((1 / 4 + 1 / 2) / 2, 15);
  });

  it('MRR: first relevant rank, optionally within k', () => {
    expect(mrr(rec, rel)).toBe(0.5);
    expect(mrr(rec, rel, { k: 1 })).toBe(0);
    expect(mrr([[3, 2, 1]], [[1]])).toBeCloseTo(1 / 3, 15);
  });

  it('NDCG@k, binary and graded', () => {
    // User 0 @4: DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3) + 1/log2(4). User 1: (1/log2(3)) / 1.
    const u0 = (1 / Math.log2(3) + 1 / Math.log2(5)) / (1 + 1 / Math.log2(3) + 0.5);
    expect(ndcgAtK(rec, rel, 4)).toBeCloseTo((u0 + 1 / Math.log2(3)) / 2, 14);
    // Graded: grades {5: 3, 3: 1}. DCG@4 = 3 + 1/log2(5); IDCG = 3 + 1/log2(3).
    const g = [new Map([[5, 3], [3, 1], [7, 0]])];
    expect(ndcgAtK([rec[0]], g, 4)).toBeCloseTo((3 + 1 / Math.log2(5)) / (3 + 1 / Math.log2(3)), 14);
    expect(ndcgAtK([rec[0]], g, 4, { gain: 'exponential' })).toBeCloseTo((7 + 1 / Math.log2(5)) / (7 + 1 / Math.log2(3)), 14);
    expect(ndcgAtK([[1, 2]], [[1, 2]], 2)).toBe(1);
  });

  it('coverage counts distinct recommended items over the catalog', () => {
    expect(coverage(rec, 10)).toBe(0.8); // 5 1 7 3 2 4 8 6
    expect(coverage(rec, 10, { k: 1 })).toBe(0.3); // 5 2 8
  });
});

describe('ranking metric properties', () => {
  const instance = fc.array(fc.tuple(fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), fc.subarray([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { minLength: 1 })), { minLength: 1, maxLength: 8 });

  it('all @k metrics lie in [0, 1]; recall and hit rate grow with k; precision@k · k = recall@k · |rel| for one user (property)', () => {
    fc.assert(fc.property(instance, fc.integer({ min: 1, max: 9 }), (users, k) => {
      const R = users.map((u) => u[0]), L = users.map((u) => u[1]);
      const vals = [precisionAtK(R, L, k), recallAtK(R, L, k), hitRateAtK(R, L, k), mapAtK(R, L, k), ndcgAtK(R, L, k), mrr(R, L, { k })];
      const inRange = vals.every((v) => v >= 0 && v <= 1 + 1e-12);
      const grows = recallAtK(R, L, k + 1) >= recallAtK(R, L, k) && hitRateAtK(R, L, k + 1) >= hitRateAtK(R, L, k);
      const one = Math.abs(precisionAtK([R[0]], [L[0]], k) * k - recallAtK([R[0]], [L[0]], k) * L[0].length) < 1e-9;
      return inRange && grows && one;
    }), { numRuns: NUM_RUNS });
  });

  it('ndcgAtK on a full ranking equals ndcgScore on the equivalent score matrix (property)', () => {
    fc.assert(fc.property(instance, fc.integer({ min: 1, max: 10 }), (users, k) => {
      const M = 10;
      const R = users.map((u) => {
        const seen = new Set(u[0]);
        return [...u[0], ...Array.from({ length: M }, (_, i) => i).filter((i) => !seen.has(i))];
      });
      const yTrue = users.map((u) => Array.from({ length: M }, (_, i) => (u[1].includes(i) ? 1 : 0)));
      const yScore = R.map((r) => { const s = new Array<number>(M); r.forEach((item, rank) => { s[item] = M - rank; }); return s; });
      return Math.abs(ndcgAtK(R, users.map((u) => u[1]), k) - ndcgScore(yTrue, yScore, { k })) < 1e-12;
    }), { numRuns: NUM_RUNS });
  });
});

describe('ndcgScore', () => {
  it('averages gains over tied scores; ignoreTies breaks them by the higher column first', () => {
    // Scores tie items 0 and 1 at the top: mean gain (3 + 0)/2 at positions 1 and 2.
    const yt = [[3, 0, 1]], ys = [[1, 1, 0]];
    const ideal = 3 + 1 / Math.log2(3);
    expect(ndcgScore(yt, ys)).toBeCloseTo((1.5 * (1 + 1 / Math.log2(3)) + 1 / Math.log2(4)) / ideal, 14);
    expect(ndcgScore(yt, ys, { ignoreTies: true })).toBeCloseTo((0 + 3 / Math.log2(3) + 1 / Math.log2(4)) / ideal, 14);
    expect(ndcgScore([[0, 0, 0]], [[1, 2, 3]])).toBe(0); // nothing relevant scores 0
  });

  it('errors', () => {
    expect(() => ndcgScore([[1, 0]], [[1, 0, 2]])).toThrow(ShapeError);
    expect(() => ndcgScore([[1], [0]], [[1], [2]])).toThrow(/at least 2 items/);
    expect(() => ndcgScore([[-1, 0]], [[1, 0]])).toThrow(/≥ 0/);
    expect(() => ndcgScore([[1, 0]], [[1, 0]], { k: 0 })).toThrow(ArgumentError);
  });
});

describe('ranking input validation', () => {
  it('typed errors', () => {
    expect(() => precisionAtK([[1]], [[1], [2]], 1)).toThrow('precisionAtK: recommended has 1 users but relevant has 2');
    expect(() => precisionAtK([[1, 1]], [[1]], 1)).toThrow(/lists item 1 twice/);
    expect(() => precisionAtK([[1, NaN]], [[1]], 1)).toThrow('recommended[0][1] is NaN');
    expect(() => precisionAtK([[1]], [[1]], 0)).toThrow(ArgumentError);
    expect(() => precisionAtK([[1]], [[]], 1)).toThrow(/no user has a relevant item/);
    expect(precisionAtK([[1]], [[]], 1, { skipEmpty: false })).toBe(0);
    expect(() => ndcgAtK([[1]], [new Map([[1, -2]])], 1)).toThrow(/grades/);
    expect(() => coverage([[0, 10]], 10)).toThrow(/\[0, 10\)/);
    expect(() => coverage([[0]], 0)).toThrow(ArgumentError);
  });
});
