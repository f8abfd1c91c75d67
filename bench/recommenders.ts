import { makeRatings } from '../src/data/synthetic';
import { ItemKNN, MatrixFactorization } from '../src/models/recommenders';
import { Generator } from '../src/tensor/index';
import { isMain, makeRow, measure, measureInterleaved, toMarkdown, type BenchRow } from './util';

// MovieLens-100k's shape: 1,000 users × 1,700 items, 100,000 explicit ratings.
const U = 1000, I = 1700, M = 100_000, RANK = 32, EPOCHS = 10;

export const recommendersNotes = [
  `recommenders: makeRatings ${U} users × ${I} items, ${M.toLocaleString('en')} explicit ratings (true rank 10, noise 0.5). ` +
    `MatrixFactorization sgd, rank ${RANK}, biases, ${EPOCHS} epochs per timed fit (the figure includes validation, the ` +
    'CSR build and the initialization). The baseline is the textbook Funk-SVD loop written in the bench: factors as ' +
    'Array-of-arrays of numbers, one shuffled Array of rating indices per epoch, the same update rule and the same work. ' +
    `ItemKNN (k = 50, cosine) is timed for its fit (sparse co-occurrences, top-k neighbours) and for recommendAll(10), ` +
    'top-10 unseen items for every user; no peer.',
];

/** The textbook Funk-SVD loop on Array-of-arrays factors (the baseline): returns the last epoch's training RMSE. */
function baselineSgd(users: Int32Array, items: Int32Array, ratings: Float32Array, epochs: number, rng: Generator): number {
  const lr = 0.01, l2 = 0.02;
  let mu = 0;
  for (let m = 0; m < ratings.length; m++) mu += ratings[m];
  mu /= ratings.length;
  const P: number[][] = [], Q: number[][] = [];
  for (let u = 0; u < U; u++) P.push(Array.from({ length: RANK }, () => rng.normal(0, 0.1)));
  for (let i = 0; i < I; i++) Q.push(Array.from({ length: RANK }, () => rng.normal(0, 0.1)));
  const bu = new Array<number>(U).fill(0), bi = new Array<number>(I).fill(0);
  const order = Array.from({ length: ratings.length }, (_, m) => m);
  let sse = 0;
  for (let e = 0; e < epochs; e++) {
    rng.shuffle(order);
    sse = 0;
    for (const m of order) {
      const u = users[m], i = items[m];
      const p = P[u], q = Q[i];
      let dot = 0;
      for (let f = 0; f < RANK; f++) dot += p[f] * q[f];
      const err = ratings[m] - (mu + bu[u] + bi[i] + dot);
      sse += err * err;
      bu[u] += lr * (err - l2 * bu[u]);
      bi[i] += lr * (err - l2 * bi[i]);
      for (let f = 0; f < RANK; f++) {
        const pf = p[f], qf = q[f];
        p[f] += lr * (err * qf - l2 * pf);
        q[f] += lr * (err * pf - l2 * qf);
      }
    }
  }
  return Math.sqrt(sse / ratings.length);
}

/** MatrixFactorization sgd against the plain-loop baseline, and ItemKNN fit and top-10 for all users. */
export async function benchRecommenders(): Promise<BenchRow[]> {
  const data = makeRatings({ nUsers: U, nItems: I, rank: 10, density: M / (U * I), noise: 0.5, rng: new Generator(1) });
  const { users, items, ratings } = data;
  let oursRmse = 0, baseRmse = 0;
  const t = measureInterleaved({
    ours: () => {
      const mf = new MatrixFactorization({ rank: RANK, epochs: EPOCHS, lr: 0.01, l2: 0.02, rng: new Generator(2) }).fit(data);
      oursRmse = mf.history[EPOCHS - 1];
    },
    baseline: () => {
      baseRmse = baselineSgd(users, items, ratings, EPOCHS, new Generator(2));
    },
  }, 3, { budgetMs: 1000, minRuns: 2 });
  // Both do the same work: their training RMSE after the last epoch agrees to a few digits.
  if (Math.abs(oursRmse - baseRmse) > 0.02) throw new Error(`bench recommenders: training RMSE differs, ours ${oursRmse} vs baseline ${baseRmse}`);

  let knn = new ItemKNN({ k: 50 });
  const tFit = measure(() => {
    knn = new ItemKNN({ k: 50 }).fit(data);
  }, { budgetMs: 1500 });
  const tRec = measure(() => knn.recommendAll(10), { budgetMs: 1500 });

  const size = `${U}×${I}, ${M / 1000}k ratings, rank ${RANK}`;
  return [
    makeRow('MatrixFactorization sgd', size, 'epochs/s', EPOCHS / t.ours, { 'plain-loop baseline': EPOCHS / t.baseline }),
    makeRow('ItemKNN fit (k = 50)', `${U}×${I}, ${M / 1000}k ratings`, 'fits/s', 1 / tFit, {}),
    makeRow('ItemKNN recommendAll top-10', `${U} users`, 'users/s', U / tRec, {}),
  ];
}

if (isMain(import.meta.url)) {
  const rows = await benchRecommenders();
  console.log(toMarkdown(rows));
}
