import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeRatings } from '../../src/data/synthetic';
import {
  BPR, ContentBased, HybridRecommender, ItemKNN, MatrixFactorization, Recommender, recommenderFromJSON,
  type Interactions,
} from '../../src/models/recommenders';
import { TopK, topKRow } from '../../src/models/recommenders/common';
import { mfSgdEpoch } from '../../src/models/recommenders/mf';
import { ArgumentError, FormatError, Generator, NumericError, ShapeError, Tensor, TensorkitError, tensor } from '../../src/tensor/index';
import { expectClose } from '../helpers/check';

const g = (seed = 0) => new Generator(seed);

/** Splits interactions into a train and a test part by an independent coin per row (P(test) = frac). */
function split(users: Int32Array, items: Int32Array, ratings: Float32Array, frac: number, seed: number) {
  const rng = g(seed);
  const tr: number[] = [], te: number[] = [];
  for (let m = 0; m < users.length; m++) (rng.random() < frac ? te : tr).push(m);
  const pick = (idx: number[]) => ({
    users: Int32Array.from(idx, (m) => users[m]), items: Int32Array.from(idx, (m) => items[m]), ratings: Float32Array.from(idx, (m) => ratings[m]),
  });
  return { train: pick(tr), test: pick(te) };
}

function rmse(pred: Float32Array, truth: Float32Array): number {
  let s = 0;
  for (let m = 0; m < truth.length; m++) s += (pred[m] - truth[m]) ** 2;
  return Math.sqrt(s / truth.length);
}

/** The reference ranking: indices sorted by score descending (NaN last), ties by smaller id. */
function refTop(scores: ArrayLike<number>, k: number, skip: Set<number> = new Set()): number[] {
  const key = (i: number) => (Number.isNaN(scores[i]) ? -Infinity : scores[i]);
  const ids = Array.from({ length: scores.length }, (_, i) => i).filter((i) => !skip.has(i));
  ids.sort((a, b) => (key(a) === key(b) ? a - b : key(b) > key(a) ? 1 : -1));
  return ids.slice(0, k);
}

function expectCode(f: () => unknown, cls: new (...a: never[]) => Error, code?: string): void {
  let err: unknown = null;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, String(err)).toBeInstanceOf(cls);
  if (code !== undefined) expect((err as TensorkitError).code).toBe(code);
}

// A small explicit data set used by several tests: 6 users × 5 items, user 5 declared but cold, item 4 cold.
const small: Interactions = {
  users: [0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 4],
  items: [0, 1, 2, 0, 3, 1, 2, 3, 0, 2, 1],
  ratings: [5, 3, 4, 4, 1, 2, 5, 3, 4, 4, 2],
  nUsers: 6,
  nItems: 5,
};

describe('MatrixFactorization', () => {
  // makeRatings 300 users × 200 items, true rank 3, density 0.3 (18,000 ratings, 80/20 split),
  // noise σ = 0.5, bias std 0.3; 9% of the ratings are clipped to [1, 5]. Measured test RMSE:
  // sgd (40 epochs) 0.5134 = 1.027 σ, als (10 sweeps) 0.5135 = 1.027 σ — within 10% of the noise
  // level; the clipping accounts for part of the excess.
  const noise = 0.5;
  const r = makeRatings({ nUsers: 300, nItems: 200, rank: 3, density: 0.3, noise, biasStd: 0.3, rng: g(1) });
  const { train, test } = split(r.users, r.items, r.ratings, 0.2, 2);
  const trainData = { ...train, nUsers: 300, nItems: 200 };

  it.each([
    ['sgd', { epochs: 40, lr: 0.01, l2: 0.02 }],
    ['als', { epochs: 10, l2: 0.02 }],
  ] as const)('%s: test RMSE ≤ 1.1 × noise on makeRatings', (solver, opts) => {
    const mf = new MatrixFactorization({ rank: 3, solver, ...opts, rng: g(3) }).fit(trainData);
    const e = rmse(mf.predict(test.users, test.items), test.ratings);
    expect(e).toBeLessThan(1.1 * noise);
    // and far better than the global mean (the rating std is ≈ 1.1)
    const mean = new Float32Array(test.ratings.length).fill(mf.globalMean);
    expect(e).toBeLessThan(0.6 * rmse(mean, test.ratings));
    expect(mf.history.length).toBe(opts.epochs);
    expect(mf.history[opts.epochs - 1]).toBeLessThan(mf.history[0]);
  });

  it('one sgd step matches the Funk update written out', () => {
    // One rating r = 4 of user 0 for item 0, R = 2; μ = 3, bᵤ = 0.1, bᵢ = −0.2, p = [0.5, −1], q = [2, 1].
    // r̂ = 3 + 0.1 − 0.2 + (1 − 1) = 2.9, e = 1.1; lr = 0.1, λ = 0.5:
    // bᵤ' = 0.1 + 0.1·(1.1 − 0.05) = 0.205, bᵢ' = −0.2 + 0.1·(1.1 + 0.1) = −0.08,
    // p' = p + 0.1·(1.1·q − 0.5·p) = [0.5 + 0.1·(2.2 − 0.25), −1 + 0.1·(1.1 + 0.5)] = [0.695, −0.84],
    // q' = q + 0.1·(1.1·p − 0.5·q) = [2 + 0.1·(0.55 − 1), 1 + 0.1·(−1.1 − 0.5)] = [1.955, 0.84].
    const P = new Float32Array([0.5, -1]), Q = new Float32Array([2, 1]);
    const bu = new Float32Array([0.1]), bi = new Float32Array([-0.2]);
    const sse = mfSgdEpoch(P, Q, bu, bi, new Int32Array([0]), new Int32Array([0]), new Float32Array([4]), new Int32Array([0]), 3, 0.1, 0.5, true, 1, 2);
    expect(sse).toBeCloseTo(1.21, 5);
    expectClose(bu, [0.205]);
    expectClose(bi, [-0.08]);
    expectClose(P, [0.695, -0.84]);
    expectClose(Q, [1.955, 0.84]);
  });

  it('als recovers an exactly low-rank + bias matrix (fully observed, tiny λ)', () => {
    // r = 3 + bᵤ + bᵢ + pᵤ·qᵢ with rank 2, all 15 × 10 cells observed.
    const rng = g(7);
    const users: number[] = [], items: number[] = [], ratings: number[] = [];
    const p = Array.from({ length: 15 }, () => [rng.normal(), rng.normal(), rng.normal() * 0.3]);
    const q = Array.from({ length: 10 }, () => [rng.normal(), rng.normal(), rng.normal() * 0.3]);
    for (let u = 0; u < 15; u++) {
      for (let i = 0; i < 10; i++) {
        users.push(u);
        items.push(i);
        ratings.push(3 + p[u][2] + q[i][2] + p[u][0] * q[i][0] + p[u][1] * q[i][1]);
      }
    }
    const mf = new MatrixFactorization({ rank: 2, solver: 'als', epochs: 60, l2: 1e-7, rng: g(0) }).fit({ users, items, ratings });
    expect(mf.history[59]).toBeLessThan(2e-3);
  });

  it('biases: false predicts μ + pᵤ·qᵢ and keeps zero biases', () => {
    const mf = new MatrixFactorization({ rank: 2, biases: false, epochs: 5, rng: g(0) }).fit(small);
    expect(Array.from(mf.userBias!).every((v) => v === 0)).toBe(true);
    expect(Array.from(mf.itemBias!).every((v) => v === 0)).toBe(true);
    const P = mf.userFactors!, Q = mf.itemFactors!;
    expect(mf.predict([2], [3])[0]).toBeCloseTo(mf.globalMean + P[4] * Q[6] + P[5] * Q[7], 5);
  });

  it('is deterministic for a seed', () => {
    const a = new MatrixFactorization({ rank: 4, epochs: 3, rng: g(5) }).fit(small);
    const b = new MatrixFactorization({ rank: 4, epochs: 3, rng: g(5) }).fit(small);
    expect(Array.from(a.userFactors!)).toEqual(Array.from(b.userFactors!));
  });

  it('throws NumericError when sgd diverges', () => {
    expectCode(() => new MatrixFactorization({ rank: 4, lr: 50, epochs: 20, initStd: 1, rng: g(0) }).fit(small), NumericError, 'NUMERIC');
  });
});

describe('BPR', () => {
  it('beats popularity on held-out AUC on implicit makeRatings', () => {
    // 300 users × 200 items, rank 5, density 0.1 → 5,922 interactions, 20% held out. Per-user AUC of
    // the held-out positives against the items the user never interacted with. Measured:
    // popularity 0.709, BPR (rank 16, 30 epochs) 0.821.
    const nU = 300, nI = 200;
    const r = makeRatings({ nUsers: nU, nItems: nI, rank: 5, density: 0.1, implicit: true, rng: g(1) });
    const { train, test } = split(r.users, r.items, r.ratings, 0.2, 2);
    const all = new Set<number>();
    for (let m = 0; m < r.users.length; m++) all.add(r.users[m] * nI + r.items[m]);
    const testBy: number[][] = Array.from({ length: nU }, () => []);
    for (let m = 0; m < test.users.length; m++) testBy[test.users[m]].push(test.items[m]);
    const auc = (score: (u: number) => ArrayLike<number>): number => {
      let tot = 0, n = 0;
      for (let u = 0; u < nU; u++) {
        if (testBy[u].length === 0) continue;
        const s = score(u);
        let c = 0, pairs = 0;
        for (const i of testBy[u]) {
          for (let j = 0; j < nI; j++) {
            if (all.has(u * nI + j)) continue;
            pairs++;
            c += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
          }
        }
        if (pairs > 0) {
          tot += c / pairs;
          n++;
        }
      }
      return tot / n;
    };
    const bpr = new BPR({ rank: 16, epochs: 30, rng: g(3) }).fit({ users: train.users, items: train.items, nUsers: nU, nItems: nI });
    const pop = bpr.itemPopularity();
    const aucPop = auc(() => pop), aucBpr = auc((u) => bpr.scoreItems(u));
    expect(aucPop).toBeGreaterThan(0.65);
    expect(aucBpr).toBeGreaterThan(aucPop + 0.07);
    expect(bpr.history[29]).toBeLessThan(bpr.history[0]);
  });

  it('predict is bᵢ + pᵤ·qᵢ and ignores ratings', () => {
    const a = new BPR({ rank: 3, epochs: 2, rng: g(0) }).fit(small);
    const b = new BPR({ rank: 3, epochs: 2, rng: g(0) }).fit({ ...small, ratings: undefined });
    expect(Array.from(a.itemFactors!)).toEqual(Array.from(b.itemFactors!));
    const P = a.userFactors!, Q = a.itemFactors!, bi = a.itemBias!;
    let s = bi[2];
    for (let f = 0; f < 3; f++) s += P[1 * 3 + f] * Q[2 * 3 + f];
    expect(a.predict([1], [2])[0]).toBeCloseTo(s, 6);
  });

  it('skips users who have seen every item (no negative to draw)', () => {
    const m = new BPR({ rank: 2, epochs: 3, rng: g(0) }).fit({ users: [0, 0, 1], items: [0, 1, 0] });
    expect(m.history.every(Number.isFinite)).toBe(true);
  });
});

describe('ItemKNN', () => {
  /** Dense brute force: cosine of the columns of X (shrunk), top-k neighbours per item, scores = Σ sim·x. */
  function bruteForce(X: number[][], k: number, shrink: number): { nb: number[][]; sims: number[][]; scores: number[][] } {
    const U = X.length, I = X[0].length;
    const col = (i: number) => X.map((row) => row[i]);
    const nrm = Array.from({ length: I }, (_, i) => Math.hypot(...col(i)));
    const S = Array.from({ length: I }, (_, i) => Array.from({ length: I }, (_, j) => {
      let d = 0;
      for (let u = 0; u < U; u++) d += X[u][i] * X[u][j];
      return d / (nrm[i] * nrm[j] + shrink);
    }));
    const nb: number[][] = [], sims: number[][] = [];
    for (let j = 0; j < I; j++) {
      const cand = Array.from({ length: I }, (_, i) => i).filter((i) => i !== j && S[i][j] !== 0 && !Number.isNaN(S[i][j]));
      cand.sort((a, b) => (S[a][j] === S[b][j] ? a - b : S[b][j] - S[a][j]));
      nb.push(cand.slice(0, k));
      sims.push(cand.slice(0, k).map((i) => S[i][j]));
    }
    const scores = X.map((row) => Array.from({ length: I }, (_, j) => nb[j].reduce((acc, i, t) => acc + sims[j][t] * row[i], 0)));
    return { nb, sims, scores };
  }

  it.each([
    ['explicit, k = 3, shrink 0.5', true, 3, 0.5],
    ['implicit (many ties), k = 2, shrink 0', false, 2, 0],
    ['k larger than the item count', true, 50, 0],
  ] as const)('matches a dense brute-force cosine computation: %s', (_, explicit, k, shrink) => {
    const rng = g(11);
    const U = 12, I = 9;
    const X = Array.from({ length: U }, () => new Array<number>(I).fill(0));
    const users: number[] = [], items: number[] = [], ratings: number[] = [];
    for (let u = 0; u < U; u++) {
      for (let i = 0; i < I; i++) {
        if (rng.random() < 0.35) {
          const v = explicit ? 1 + Math.round(rng.random() * 8) / 2 : 1;
          users.push(u);
          items.push(i);
          ratings.push(v);
          X[u][i] += v;
        }
      }
    }
    // A duplicate pair: its values are summed in X.
    users.push(users[0]);
    items.push(items[0]);
    ratings.push(explicit ? 2 : 1);
    X[users[0]][items[0]] += explicit ? 2 : 1;
    const knn = new ItemKNN({ k, shrink }).fit({ users, items, ratings: explicit ? ratings : undefined, nUsers: U, nItems: I });
    const ref = bruteForce(X, k, shrink);
    for (let j = 0; j < I; j++) {
      const nb = knn.neighbors(j);
      expect(Array.from(nb.items), `neighbours of ${j}`).toEqual(ref.nb[j]);
      expectClose(nb.scores, ref.sims[j], 1e-6, 1e-6);
    }
    for (let u = 0; u < U; u++) expectClose(knn.scoreItems(u), ref.scores[u], 1e-5, 1e-5);
    expectClose(knn.predict([3, 7], [2, 5]), [ref.scores[3][2], ref.scores[7][5]], 1e-5, 1e-5);
  });
});

describe('ContentBased', () => {
  it('scores the cosine between the rating-weighted mean profile and the item features', () => {
    // Features: item 0 [1, 0], item 1 [0, 1], item 2 [1, 1], item 3 [0, 0].
    // User 0 rated item 0 with 4 and item 1 with 2: profile (4·[1, 0] + 2·[0, 1]) / 6 = [2/3, 1/3].
    // cos with item 0 = (2/3) / (√5/3) = 2/√5, item 1 = 1/√5, item 2 = 1/(√(5/9)·√2) = 3/√10, item 3 = 0 (zero norm).
    const cb = new ContentBased({ itemFeatures: tensor([[1, 0], [0, 1], [1, 1], [0, 0]]) });
    cb.fit({ users: [0, 0, 1], items: [0, 1, 2], ratings: [4, 2, 5], nUsers: 3 });
    expectClose(cb.profiles!.subarray(0, 2), [2 / 3, 1 / 3]);
    expectClose(cb.scoreItems(0), [2 / Math.sqrt(5), 1 / Math.sqrt(5), 3 / Math.sqrt(10), 0], 1e-6, 1e-6);
    expectClose(cb.predict([0, 1], [2, 0]), [3 / Math.sqrt(10), 1 / Math.sqrt(2)], 1e-6, 1e-6);
    // user 2 is cold: no profile, all scores 0, recommend falls back to popularity
    expect(Array.from(cb.scoreItems(2))).toEqual([0, 0, 0, 0]);
    expect(cb.nItems).toBe(4);
    expect(Array.from(cb.recommend(0, 10).items)).toEqual([2, 3]);
  });

  it('validates its features and the declared nItems', () => {
    expectCode(() => new ContentBased({ itemFeatures: tensor([1, 2]) }), ArgumentError);
    expectCode(() => new ContentBased({ itemFeatures: tensor([[1, NaN]]) }), ArgumentError);
    expectCode(() => new ContentBased({} as never), ArgumentError);
    const cb = new ContentBased({ itemFeatures: tensor([[1, 0], [0, 1]]) });
    expectCode(() => cb.fit({ users: [0], items: [2] }), ArgumentError);
    expectCode(() => cb.fit({ users: [0], items: [1], nItems: 3 }), ShapeError);
  });
});

describe('HybridRecommender', () => {
  const feats = new Tensor(g(4).fillNormal(new Float32Array(5 * 3)), [5, 3]);
  const normalize = (s: Float32Array, how: string): number[] => {
    const a = Array.from(s);
    if (how === 'none') return a;
    if (how === 'minmax') {
      const lo = Math.min(...a), hi = Math.max(...a);
      return a.map((v) => (hi > lo ? (v - lo) / (hi - lo) : 0));
    }
    const mean = a.reduce((p, v) => p + v, 0) / a.length;
    const sd = Math.sqrt(a.reduce((p, v) => p + (v - mean) ** 2, 0) / a.length);
    return a.map((v) => (sd > 0 ? (v - mean) / sd : 0));
  };

  it.each(['minmax', 'zscore', 'none'] as const)('blend equals the weighted sum of %s-normalized component scores', (how) => {
    const mf = new MatrixFactorization({ rank: 2, epochs: 10, rng: g(1) });
    const knn = new ItemKNN({ k: 3 });
    const cb = new ContentBased({ itemFeatures: feats });
    const h = new HybridRecommender([{ model: mf, weight: 0.5 }, { model: knn, weight: 2 }, { model: cb }], { normalize: how }).fit(small);
    for (let u = 0; u < 6; u++) {
      const parts = [normalize(mf.scoreItems(u), how), normalize(knn.scoreItems(u), how), normalize(cb.scoreItems(u), how)];
      const want = parts[0].map((_, i) => 0.5 * parts[0][i] + 2 * parts[1][i] + parts[2][i]);
      expectClose(h.scoreItems(u), want, 1e-5, 1e-5);
    }
    expectClose(h.predict([0, 3, 5], [4, 1, 2]), [h.scoreItems(0)[4], h.scoreItems(3)[1], h.scoreItems(5)[2]]);
    // seen items and popularity are the hybrid's own training data
    expect(Array.from(h.seenItems(0))).toEqual([0, 1, 2]);
    expect(Array.from(h.recommend(5, 5).items)).toEqual(refTop(h.itemPopularity(), 5));
  });

  it('works on components fitted beforehand and checks that they agree on sizes', () => {
    const knn = new ItemKNN().fit(small);
    const cb = new ContentBased({ itemFeatures: feats }).fit(small);
    const h = new HybridRecommender([{ model: knn }, { model: cb, weight: 3 }]);
    expect(h.nItems).toBe(5);
    expect(Array.from(h.seenItems(2))).toEqual([1, 2, 3]);
    const bad = new HybridRecommender([{ model: knn }, { model: new ItemKNN().fit({ users: [0], items: [7] }) }]);
    expectCode(() => bad.recommend(0, 2), ShapeError);
    expectCode(() => new HybridRecommender([{ model: new ItemKNN() }]).recommend(0, 1), TensorkitError, 'NOT_FITTED');
    expectCode(() => new HybridRecommender([]), ArgumentError);
    expectCode(() => new HybridRecommender([{ model: {} as Recommender }]), ArgumentError);
    expectCode(() => new HybridRecommender([{ model: knn, weight: NaN }]), ArgumentError);
    expectCode(() => new HybridRecommender([{ model: knn }], { normalize: 'rank' as never }), ArgumentError);
  });
});

describe('recommend', () => {
  const cases: [string, () => Recommender][] = [
    ['MatrixFactorization sgd', () => new MatrixFactorization({ rank: 3, epochs: 5, rng: g(0) }).fit(small)],
    ['MatrixFactorization als', () => new MatrixFactorization({ rank: 3, solver: 'als', epochs: 3, rng: g(0) }).fit(small)],
    ['BPR', () => new BPR({ rank: 3, epochs: 5, rng: g(0) }).fit(small)],
    ['ItemKNN', () => new ItemKNN({ k: 2 }).fit(small)],
    ['ContentBased', () => new ContentBased({ itemFeatures: tensor([[1, 0], [0, 1], [1, 1], [1, 0], [0, 0]]) }).fit(small)],
    ['HybridRecommender', () => new HybridRecommender([{ model: new ItemKNN() }, { model: new MatrixFactorization({ rank: 2, rng: g(0) }) }]).fit(small)],
  ];

  it.each(cases)('%s: top-k by score, ties by id, seen items excluded, k > nItems, recommendAll', (_, make) => {
    const m = make();
    for (let u = 0; u < 5; u++) {
      const s = m.scoreItems(u);
      const seen = new Set(m.seenItems(u));
      for (const k of [0, 1, 2, 10]) {
        const r = m.recommend(u, k);
        expect(Array.from(r.items)).toEqual(refTop(s, k, seen));
        expect(Array.from(r.scores)).toEqual(Array.from(r.items, (i) => s[i]));
        expect(Array.from(m.recommend(u, k, { excludeSeen: false }).items)).toEqual(refTop(s, k));
      }
      expect(m.recommend(u, 100).items.length).toBe(5 - seen.size);
    }
    const all = m.recommendAll(3);
    expect(all.length).toBe(6);
    for (let u = 0; u < 6; u++) expect(Array.from(all[u].items)).toEqual(Array.from(m.recommend(u, 3).items));
  });

  it.each(cases)('%s: cold start — popularity for an unseen user, ids out of range refused', (_, make) => {
    const m = make();
    // Item popularity in `small`: item 0: 3, 1: 3, 2: 3, 3: 2, 4: 0 → ties by id.
    expect(Array.from(m.itemPopularity())).toEqual([3, 3, 3, 2, 0]);
    const r = m.recommend(5, 4);
    expect(Array.from(r.items)).toEqual([0, 1, 2, 3]);
    expect(Array.from(r.scores)).toEqual([3, 3, 3, 2]);
    expect(m.seenItems(5).length).toBe(0);
    for (const bad of [-1, 6, 1.5, NaN]) {
      expectCode(() => m.recommend(bad, 2), ArgumentError);
      expectCode(() => m.scoreItems(bad), ArgumentError);
      expectCode(() => m.predict([bad], [0]), ArgumentError);
    }
    expectCode(() => m.predict([0], [5]), ArgumentError);
    expectCode(() => m.predict([0, 1], [0]), ShapeError);
    expectCode(() => m.recommend(0, -1), ArgumentError);
    expectCode(() => m.recommend(0, 2, { exclude: true } as never), ArgumentError);
  });

  it('cold start scores: MF μ + bᵢ (unseen user) and μ + bᵤ (unseen item); BPR bᵢ; ItemKNN and ContentBased 0', () => {
    const mf = new MatrixFactorization({ rank: 3, epochs: 10, rng: g(0) }).fit(small);
    const bi = mf.itemBias!, bu = mf.userBias!;
    expectClose(mf.predict([5, 5], [0, 3]), [mf.globalMean + bi[0], mf.globalMean + bi[3]]);
    expectClose(mf.predict([2, 5], [4, 4]), [mf.globalMean + bu[2], mf.globalMean]);
    expect(bu[5]).toBe(0);
    expect(bi[4]).toBe(0);
    const als = new MatrixFactorization({ rank: 3, solver: 'als', epochs: 3, rng: g(0) }).fit(small);
    expectClose(als.predict([5], [1]), [als.globalMean + als.itemBias![1]]);
    const bpr = new BPR({ rank: 3, epochs: 5, rng: g(0) }).fit(small);
    expectClose(bpr.scoreItems(5), bpr.itemBias!);
    expect(Array.from(new ItemKNN().fit(small).scoreItems(5))).toEqual([0, 0, 0, 0, 0]);
  });

  it('topK selection equals a full sort (random scores with ties and NaN)', () => {
    const heap = new TopK(1);
    fc.assert(fc.property(
      fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(NaN), fc.constant(-Infinity)), { minLength: 1, maxLength: 40 }),
      fc.nat(45), fc.nat(),
      (vals, k, seed) => {
        const s = Float32Array.from(vals);
        const rng = g(seed);
        const skip = Int32Array.from(Array.from({ length: s.length }, (_, i) => i).filter(() => rng.random() < 0.3));
        const r = topKRow(heap, s, s.length, k, skip, 0, skip.length);
        expect(Array.from(r.items)).toEqual(refTop(s, k, new Set(skip)));
      },
    ), { numRuns: 200, seed: 42 });
  });
});

describe('toJSON / fromJSON', () => {
  const makers: [string, () => Recommender, (j: unknown) => Recommender][] = [
    ['MatrixFactorization', () => new MatrixFactorization({ rank: 3, solver: 'als', epochs: 3, rng: g(0) }).fit(small), (j) => MatrixFactorization.fromJSON(j)],
    ['BPR', () => new BPR({ rank: 3, epochs: 3, rng: g(0) }).fit(small), (j) => BPR.fromJSON(j)],
    ['ItemKNN', () => new ItemKNN({ k: 2, shrink: 1 }).fit(small), (j) => ItemKNN.fromJSON(j)],
    ['ContentBased', () => new ContentBased({ itemFeatures: tensor([[1, 0], [0, 1], [1, 1], [1, 0], [0, 0]]) }).fit(small), (j) => ContentBased.fromJSON(j)],
    ['HybridRecommender', () => new HybridRecommender([{ model: new ItemKNN() }, { model: new BPR({ rank: 2, rng: g(0) }), weight: 0.3 }], { normalize: 'zscore' }).fit(small), (j) => HybridRecommender.fromJSON(j)],
  ];

  it.each(makers)('%s round-trips through JSON text and scores identically', (name, make, load) => {
    const m = make();
    const text = JSON.stringify(m);
    for (const back of [load(JSON.parse(text)), recommenderFromJSON(JSON.parse(text))]) {
      expect(back.constructor.name).toBe(name);
      for (let u = 0; u < 6; u++) {
        expect(Array.from(back.scoreItems(u))).toEqual(Array.from(m.scoreItems(u)));
        expect(back.recommend(u, 3)).toEqual(m.recommend(u, 3));
      }
      expect(Array.from(back.predict([0, 2, 5], [1, 4, 3]))).toEqual(Array.from(m.predict([0, 2, 5], [1, 4, 3])));
      expect(JSON.stringify(back)).toBe(text);
    }
  });

  it('an unfitted model round-trips unfitted; malformed JSON is a FormatError', () => {
    const back = MatrixFactorization.fromJSON(JSON.parse(JSON.stringify(new MatrixFactorization({ rank: 7 }))));
    expect(back.rank).toBe(7);
    expect(back.fitted).toBe(false);
    const j = JSON.parse(JSON.stringify(new ItemKNN().fit(small)));
    expectCode(() => ItemKNN.fromJSON({ ...j, type: 'BPR' }), FormatError);
    const withState = (k: string, v: unknown) => ({ ...j, state: { ...j.state, [k]: v } });
    expectCode(() => ItemKNN.fromJSON(withState('neighborSim', { shape: [j.state.neighborSim.shape[0] - 1], data: j.state.neighborSim.data.slice(1) })), FormatError);
    expectCode(() => ItemKNN.fromJSON({ ...j, options: { k: 0 } }), FormatError);
    const idx = j.state['train.idx'];
    expectCode(() => ItemKNN.fromJSON(withState('train.idx', { ...idx, data: idx.data.map(() => 99) })), FormatError);
    const { neighborSim: _dropped, ...partial } = j.state;
    expect(() => ItemKNN.fromJSON({ ...j, state: partial })).toThrow(/missing keys: neighborSim/);
    expectCode(() => recommenderFromJSON({ type: 'SVD++' }), FormatError);
    expectCode(() => recommenderFromJSON(null), FormatError);
  });
});

describe('bad inputs', () => {
  it('interactions: lengths, ids, ratings, emptiness', () => {
    const m = new ItemKNN();
    expectCode(() => m.fit({ users: [0, 1], items: [0] }), ShapeError);
    expectCode(() => m.fit({ users: [0, 1], items: [0, 1], ratings: [1] }), ShapeError);
    expectCode(() => m.fit({ users: [0, -1], items: [0, 1] }), ArgumentError);
    expectCode(() => m.fit({ users: [0, 0.5], items: [0, 1] }), ArgumentError);
    expectCode(() => m.fit({ users: [0, 3], items: [0, 1], nUsers: 3 }), ArgumentError);
    expectCode(() => m.fit({ users: [0, 1], items: [0, 4], nItems: 4 }), ArgumentError);
    expectCode(() => m.fit({ users: [0, 1], items: [0, 1], ratings: [1, NaN] }), ArgumentError);
    expectCode(() => m.fit({ users: [0, 1], items: [0, 1], ratings: [1, Infinity] }), ArgumentError);
    expectCode(() => m.fit({ users: [], items: [] }), ArgumentError);
    expectCode(() => m.fit({ users: [0], items: [0], nUsers: 0 }), ArgumentError);
    expectCode(() => m.fit({ users: 'abc', items: [0] } as never), ArgumentError);
    expectCode(() => m.fit(null as never), ArgumentError);
    expectCode(() => new MatrixFactorization().fit({ users: [0], items: [0] }), ArgumentError);
  });

  it('options and the unfitted state', () => {
    expectCode(() => new MatrixFactorization({ rank: 0 }), ArgumentError);
    expectCode(() => new MatrixFactorization({ solver: 'svd' as never }), ArgumentError);
    expectCode(() => new MatrixFactorization({ lr: -1 }), ArgumentError);
    expectCode(() => new MatrixFactorization({ learningRate: 0.1 } as never), ArgumentError);
    expectCode(() => new MatrixFactorization({ rng: 3 as never }), ArgumentError);
    expectCode(() => new BPR({ l2: NaN }), ArgumentError);
    expectCode(() => new ItemKNN({ k: 0 }), ArgumentError);
    expectCode(() => new ItemKNN({ similarity: 'pearson' as never }), ArgumentError);
    expectCode(() => new ItemKNN({ shrink: -1 }), ArgumentError);
    const m = new BPR();
    expect(m.fitted).toBe(false);
    expectCode(() => m.recommend(0, 1), TensorkitError, 'NOT_FITTED');
    expectCode(() => m.predict([0], [0]), TensorkitError, 'NOT_FITTED');
    expectCode(() => m.nUsers, TensorkitError, 'NOT_FITTED');
  });
});
