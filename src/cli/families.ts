/**
 * The demo's second part as a function: one model of each family on seeded built-in data, with
 * its held-out score. `tensorkit demo` (src/cli/demo.ts, also run by `npm run demo`) prints the
 * rows; `test/train/families.test.ts` runs the same function under the js and the wasm backend and
 * checks that both reach the same scores. `examples/families.ts` re-exports it.
 */
import { DataLoader, StandardScaler, TensorDataset, loadIris, makeMoons, makeRatings, makeRegression, makeSequences, makeShapes, trainTestSplit } from '../data/index';
import { accuracy, confusionMatrix, hitRateAtK, rmse, rocCurve } from '../metrics/index';
import { CNN, ItemKNN, LinearRegression, LogisticRegression, MLPClassifier, MatrixFactorization, RecurrentClassifier, TransformerClassifier } from '../models/index';
import { crossEntropy, type Module } from '../nn/index';
import { Adam } from '../optim/index';
import { Generator, Tensor, softmax } from '../tensor/index';
import { confusionMatrixPlot, lossCurves, rocPlot } from '../plot/index';
import { ProgressBar, fit, predict } from '../train/index';

/** Where a progress bar draws (train's ProgressBar stream). */
export type ProgressStream = { write(s: string): unknown; isTTY?: boolean; columns?: number };

/** One row of the table: model, data, metric name, held-out score, seconds taken. */
export interface FamilyRow { model: string; data: string; metric: string; score: number; seconds: number }

/** Receives a figure: a file name (`cnn-loss.svg`, …) and its SVG text. */
export type FigureSink = (name: string, svg: string) => void;

/**
 * Trains one model of each family and returns its held-out score. With `progress` (true for
 * stdout, or a stream), the neural families show a progress bar. With `figures`, the CNN's loss
 * curve and held-out confusion matrix and the LSTM's held-out ROC curve are drawn
 * (tensorkit/plot) and handed to it.
 */
export async function trainFamilies({ progress = false, figures }: { progress?: boolean | ProgressStream; figures?: FigureSink } = {}): Promise<FamilyRow[]> {
  const rows: FamilyRow[] = [];
  const report = (model: string, data: string, metric: string, score: number, t: number) =>
    rows.push({ model, data, metric, score, seconds: (performance.now() - t) / 1000 });
  const callbacks = () => (progress === false ? [] : [new ProgressBar(progress === true ? {} : { stream: progress })]);

  /** Held-out accuracy of a classifier Module on [x, y]. */
  const heldOut = (m: Module & { forward(x: Tensor): Tensor }, x: Tensor, y: Tensor) =>
    accuracy(y, predict(m, x).argmax({ axis: 1 }));

  {
    const t = performance.now();
    const { x, y } = makeRegression({ nSamples: 400, nFeatures: 5, noise: 5, rng: new Generator(1) });
    const s = trainTestSplit(x, y, { testSize: 0.25, rng: new Generator(2) });
    report('LinearRegression (normal equations)', 'makeRegression 400×5', 'R²', new LinearRegression().fit(s.xTrain, s.yTrain).score(s.xTest, s.yTest), t);
  }
  {
    const t = performance.now();
    const { x, y } = loadIris();
    const s = trainTestSplit(x, y, { testSize: 0.3, stratify: true, rng: new Generator(3) });
    const sc = new StandardScaler().fit(s.xTrain);
    const clf = new LogisticRegression().fit(sc.transform(s.xTrain), s.yTrain);
    report('LogisticRegression (multinomial, L2)', 'iris 150×4', 'accuracy', clf.score(sc.transform(s.xTest), s.yTest), t);
  }
  {
    const t = performance.now();
    const { x, y } = makeMoons({ nSamples: 400, noise: 0.15, rng: new Generator(4) });
    const s = trainTestSplit(x, y, { testSize: 0.25, rng: new Generator(5) });
    const mlp = new MLPClassifier({ hiddenLayerSizes: [32, 32], maxIter: 300, rng: new Generator(6) }).fit(s.xTrain, s.yTrain);
    report('MLPClassifier (Adam)', 'makeMoons 400', 'accuracy', mlp.score(s.xTest, s.yTest), t);
  }
  {
    const t = performance.now();
    const tr = makeShapes({ nSamples: 600, size: 16, noise: 0.05, rng: new Generator(7) });
    const te = makeShapes({ nSamples: 300, size: 16, noise: 0.05, rng: new Generator(8) });
    const cnn = new CNN({ inChannels: 1, inputSize: 16, numClasses: 3, blocks: [{ channels: 8 }, { channels: 16 }], rng: new Generator(9) });
    const h = await fit(cnn, {
      data: new DataLoader(new TensorDataset(tr.x, tr.y), { batchSize: 32, shuffle: true, rng: new Generator(10) }),
      loss: crossEntropy, optimizer: new Adam(cnn.parameters(), { lr: 3e-3 }), epochs: 8, callbacks: callbacks(),
    });
    report('CNN (2 conv blocks)', 'makeShapes 16×16, 3 classes', 'accuracy', heldOut(cnn, te.x, te.y), t);
    if (figures !== undefined) {
      figures('cnn-loss.svg', lossCurves(h, { title: 'CNN on makeShapes: training loss' }));
      const cm = confusionMatrix(te.y, predict(cnn, te.x).argmax({ axis: 1 }));
      figures('cnn-confusion.svg', confusionMatrixPlot(cm, { labels: [...tr.classNames], title: 'CNN on makeShapes: held-out confusion matrix' }));
    }
  }
  {
    const t = performance.now();
    const tr = makeSequences({ task: 'classifyPattern', nSamples: 800, length: 10, rng: new Generator(11) });
    const te = makeSequences({ task: 'classifyPattern', nSamples: 400, length: 10, rng: new Generator(12) });
    const lstm = new RecurrentClassifier({ vocabSize: tr.vocabSize ?? 2, embeddingDim: 8, hiddenSize: 24, cell: 'lstm', numClasses: 2, rng: new Generator(13) });
    await fit(lstm, {
      data: new DataLoader(new TensorDataset(tr.x, tr.y), { batchSize: 32, shuffle: true, rng: new Generator(14) }),
      loss: crossEntropy, optimizer: new Adam(lstm.parameters(), { lr: 1e-2 }), epochs: 5, callbacks: callbacks(),
    });
    report('RecurrentClassifier (LSTM)', 'sequences: contains pattern?', 'accuracy', heldOut(lstm, te.x, te.y), t);
    if (figures !== undefined) {
      const p = softmax(predict(lstm, te.x), 1);
      const score = Float32Array.from({ length: p.shape[0] }, (_, i) => p.data[2 * i + 1]);
      figures('lstm-roc.svg', rocPlot({ LSTM: rocCurve(te.y, score) }, { title: 'LSTM: held-out ROC (contains the pattern?)' }));
    }
  }
  {
    const t = performance.now();
    const tr = makeSequences({ task: 'majority', nSamples: 800, length: 10, vocabSize: 4, rng: new Generator(15) });
    const te = makeSequences({ task: 'majority', nSamples: 400, length: 10, vocabSize: 4, rng: new Generator(16) });
    const tfm = new TransformerClassifier({ vocabSize: 4, dModel: 16, nhead: 2, numLayers: 1, dimFeedforward: 32, maxLen: 16, dropout: 0, numClasses: 4, pooling: 'cls', rng: new Generator(17) });
    await fit(tfm, {
      data: new DataLoader(new TensorDataset(tr.x, tr.y), { batchSize: 32, shuffle: true, rng: new Generator(18) }),
      loss: crossEntropy, optimizer: new Adam(tfm.parameters(), { lr: 3e-3 }), epochs: 5, callbacks: callbacks(),
    });
    report('TransformerClassifier', 'sequences: majority token', 'accuracy', heldOut(tfm, te.x, te.y), t);
  }
  {
    const t = performance.now();
    const data = makeRatings({ nUsers: 300, nItems: 200, rank: 3, density: 0.3, noise: 0.5, rng: new Generator(19) });
    const n = data.users.length, cut = Math.floor(n * 0.8);
    const perm = new Generator(20).permutation(n);
    const pick = (idx: Int32Array) => ({
      users: Int32Array.from(idx, (i) => data.users[i]), items: Int32Array.from(idx, (i) => data.items[i]),
      ratings: Float32Array.from(idx, (i) => data.ratings[i]), nUsers: 300, nItems: 200,
    });
    const train = pick(perm.subarray(0, cut)), test = pick(perm.subarray(cut));
    const mf = new MatrixFactorization({ rank: 3, solver: 'als', epochs: 10, rng: new Generator(21) }).fit(train);
    report('MatrixFactorization (ALS)', 'makeRatings 300×200, noise 0.5', 'RMSE', rmse(test.ratings, mf.predict(test.users, test.items)), t);
    const t2 = performance.now();
    const knn = new ItemKNN({ k: 50 }).fit(train);
    const users = Array.from({ length: 300 }, (_, u) => u);
    const recs = users.map((u) => Array.from(knn.recommend(u, 10).items));
    const relevant = users.map(() => [] as number[]);
    for (let i = 0; i < test.users.length; i++) if (test.ratings[i] >= 4) relevant[test.users[i]].push(test.items[i]);
    report('ItemKNN (cosine)', 'same ratings, top-10', 'hit rate@10', hitRateAtK(recs, relevant, 10), t2);
  }
  return rows;
}
