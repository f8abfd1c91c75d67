import {
  Distiller, convert, globalUnstructured, prepareQat, quantizeDynamic,
} from '../src/compress/index';
import { fuseModules, prepare } from '../src/compress/index';
import { Conv2d, Flatten, MaxPool2d } from '../src/nn/layers';
import { loadModel, saveModel } from '../src/io/model';
import { ReLU } from '../src/nn/activations';
import { Linear } from '../src/nn/layers';
import { Module } from '../src/nn/module';
import { RecurrentClassifier } from '../src/models/index';
import { Sequential } from '../src/nn/sequential';
import { Adam } from '../src/optim/index';
import { Generator, Tensor, crossEntropy, noGrad, reshape, tensor } from '../src/tensor/index';
import { accuracy, loadDigits, type DigitsSplit } from './digits';
import { isMain, toMarkdown, type BenchRow } from './util';

// What compression costs in accuracy on a real data set: scikit-learn's digits (1797 8×8 images,
// pixels 0–16 scaled to [0, 1]), a seeded 80/20 split, an MLP 64-128-10 trained with Adam.


export const compressAccuracyNotes = [
  'compress accuracy: scikit-learn\'s digits (test/fixtures/digits.json from gen_digits.py), 1438 train / 359 test, ' +
    'MLP 64-128-10 trained 40 epochs with Adam (lr 1e-3, batch 32). "int8 dynamic": `quantizeDynamic`; "2-bit PTQ": ' +
    '`convert(prepareQat(net, { weightBits: 2, activations: false }))` (weights only, per tensor) without training; "2-bit QAT": the same after 5 epochs of fine-tuning through ' +
    'the fake quantizer; "4-bit weights (per tensor, weights only)": the same comparison with weightBits 4 on the 64-128-10 MLP ' +
    'and on a 64-16-10 one, 5 seeds (1–5) of the float network\'s initialisation and batch order, mean ± sample std; "80% pruned": `globalUnstructured` over both weights, then 5 epochs of fine-tuning with the masks; ' +
    '"W4A8": the setting where 4-bit weights can cost accuracy for a PyTorch user following its QAT recipe: 4-bit per-tensor ' +
    'weights and 8-bit (quint8) static activations, `prepareQat(net, { weightBits: 4 })` (activation fake quantization on by ' +
    'default); post-training = the observers run over 256 training images, no training, then `convert`; QAT = 5 epochs of ' +
    'fine-tuning (Adam lr 1e-3, batch 32), then `convert`; both give static int8 layers; 5 seeds (1–5) of the float network\'s ' +
    'initialisation and batch order, mean ± sample std. ' +
    '"KD student": a 64-12-10 (or 64-32-10) MLP trained against the float network\'s logits (`Distiller`, T = 4, α = 0.9, ' +
    'teacher in eval mode under noGrad, T²-scaled KL of the softened distributions) against the same student (same ' +
    'initialisation, batches, epochs, Adam lr 1e-3, batch 32) trained alone with cross-entropy, mean ± sample std over 5 ' +
    'seeds, on all 1438 training images for 40 or 150 epochs. Size = bytes of the `saveModel` file. ' +
    '"static int8 CNN": a CNN c16-p-c32-p-fc10 on the 8×8 images trained 15 epochs, then `fuseModules` → `prepare` (default ' +
    'qconfig: HistogramObserver activations, per-channel int8 weights) → 256 training images of calibration → `convert` ' +
    '(QuantizedConv2d, StaticQuantizedLinear); "QAT CNN": `prepareQat` (activation and weight fake quantization) on the trained ' +
    'float CNN, 2 epochs, `convert`.',
  'compress accuracy (recurrent): the same digits split read as sequences, each image as T = 8 steps of its 8-pixel rows ' +
    '(row-by-row "sequential digits"), into a `RecurrentClassifier` (inputSize 8, hiddenSize 64, last hidden state → ' +
    'Linear 64→10, cell LSTM or GRU) trained 30 epochs with Adam (lr 1e-3, batch 32); "int8 dynamic": `quantizeDynamic` ' +
    'of the trained model (QuantizedLSTM/QuantizedGRU and QuantizedLinear, per tensor, reduceRange). Size = bytes of the ' +
    '`saveModel` file. Run alone with `npx tsx bench/compress-accuracy.ts --recurrent`.',
];

/** Reads a batch of flattened 8×8 digits [B, 64] as 8 time steps of 8 pixels each. */
class RowSequences extends Module {
  readonly clf: RecurrentClassifier;
  constructor(clf: RecurrentClassifier) {
    super();
    this.clf = clf;
  }
  forward(x: Tensor): Tensor {
    return this.clf.forward(reshape(x, [x.shape[0], 8, 8]));
  }
}

/** Dynamic int8 LSTM and GRU classifiers of the digits read row by row, against the float ones. */
export async function benchCompressRecurrentAccuracy(): Promise<BenchRow[]> {
  const d = loadDigits(0);
  const rows: BenchRow[] = [];
  for (const cell of ['lstm', 'gru'] as const) {
    const net = new RowSequences(new RecurrentClassifier({ inputSize: 8, hiddenSize: 64, numClasses: 10, cell, rng: new Generator(21) }));
    train(net, d, 30, 22);
    const accF = accuracy(net, d.xTest, d.yTest);
    const bytesF = saveModel(net.clf).length;
    quantizeDynamic(net);
    const acc8 = accuracy(net, d.xTest, d.yTest);
    rows.push(row(`int8 dynamic ${cell.toUpperCase()} (quantizeDynamic), digits as 8 rows`, acc8, accF, `file ${(saveModel(net.clf).length / bytesF).toFixed(2)}× the float one`));
  }
  return rows;
}

type Split = DigitsSplit;


/** Mini-batch training with Adam; `loss` defaults to cross-entropy on the model's logits. */
function train(model: Module, d: Split, epochs: number, seed: number, loss?: (out: Tensor, y: number[]) => Tensor, sample: number[] = [64]): void {
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const rng = new Generator(seed);
  const n = d.yTrain.length, B = 32;
  model.train();
  for (let e = 0; e < epochs; e++) {
    const order = Array.from(rng.permutation(n));
    for (let s = 0; s < n; s += B) {
      const idx = order.slice(s, s + B);
      const xb = new Tensor(new Float32Array(idx.length * 64), [idx.length, ...sample]);
      idx.forEach((r, k) => xb.data.set(d.xTrain.data.subarray(r * 64, (r + 1) * 64), k * 64));
      const yb = idx.map((r) => d.yTrain[r]);
      opt.zeroGrad();
      const out = (model.forward as (t: Tensor) => Tensor)(xb);
      (loss ? loss(out, yb) : crossEntropy(out, yb)).backward();
      opt.step();
    }
  }
  model.eval();
}

const mlp = (hidden: number, seed: number): Sequential => {
  const rng = new Generator(seed);
  return new Sequential(new Linear(64, hidden, { rng }), new ReLU(), new Linear(hidden, 10, { rng }));
};
const copy = (m: Sequential): Sequential => loadModel<Sequential>(saveModel(m)).model;

function row(name: string, ours: number, float: number, size: string): BenchRow {
  return { name, size, unit: 'test accuracy %', ours, peers: { float: float }, ratio: { float: ours / float } };
}

/** Accuracy and size of each compression against the float model. */
export async function benchCompressAccuracy(): Promise<BenchRow[]> {
  const d = loadDigits(0);
  const float = teacherNet(d);
  const accF = accuracy(float, d.xTest, d.yTest);
  const bytesF = saveModel(float).length;
  const rows: BenchRow[] = [];

  const q8 = quantizeDynamic(copy(float));
  rows.push(row('int8 dynamic (quantizeDynamic)', accuracy(q8, d.xTest, d.yTest), accF, `file ${(saveModel(q8).length / bytesF).toFixed(2)}× the float one`));

  for (const bits of [2]) {
    const ptq = convert(prepareQat(copy(float), { weightBits: bits, activations: false }));
    rows.push(row(`${bits}-bit weights, post-training`, accuracy(ptq, d.xTest, d.yTest), accF, 'no training'));
    const qat = prepareQat(copy(float), { weightBits: bits, activations: false });
    train(qat, d, 5, 3);
    convert(qat);
    rows.push(row(`${bits}-bit weights, QAT (5 epochs)`, accuracy(qat, d.xTest, d.yTest), accF, 'fine-tuned through FakeQuantize'));
  }

  const pruned = copy(float);
  globalUnstructured([[pruned[0], 'weight'], [pruned[2], 'weight']], { amount: 0.8 });
  const accP0 = accuracy(pruned, d.xTest, d.yTest);
  train(pruned, d, 5, 4);
  rows.push(row('80% global pruning + 5 epochs fine-tune', accuracy(pruned, d.xTest, d.yTest), accF, `before fine-tuning ${accP0.toFixed(1)}%`));

  rows.push(...benchW4(d));
  rows.push(...benchW4A8(d));
  rows.push(...benchDistillation(d, float));
  rows.push(...await benchCompressRecurrentAccuracy());
  rows.push(...await benchStaticCnnAccuracy());
  return rows;
}

const SEEDS = [1, 2, 3, 4, 5];

/** Mean and sample standard deviation. */
function meanStd(v: number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) };
}
const fmt = (v: number[]): string => { const { mean, std } = meanStd(v); return `${mean.toFixed(2)} ± ${std.toFixed(2)}`; };

/**
 * 4-bit weights with 8-bit static activations (per tensor, PyTorch's QAT recipe with a 4-bit
 * weight fake quantizer): post-training (observers calibrated on 256 training images, no training)
 * against QAT (5 epochs through the fake quantizers), each `convert`ed to static int8 layers; over
 * 5 seeds of the float network (its initialisation and batch order).
 */
export function benchW4A8(d: Split = loadDigits(0)): BenchRow[] {
  const F: number[] = [], P: number[] = [], Q: number[] = [];
  const calib = new Tensor(d.xTrain.data.slice(0, 256 * 64), [256, 64]);
  for (const s of SEEDS) {
    const float = mlp(128, s);
    train(float, d, 40, s + 50);
    F.push(accuracy(float, d.xTest, d.yTest));
    const ptq = prepareQat(copy(float), { weightBits: 4 });
    noGrad(() => ptq.forward(calib));
    convert(ptq);
    P.push(accuracy(ptq, d.xTest, d.yTest));
    const qat = prepareQat(copy(float), { weightBits: 4 });
    train(qat, d, 5, s + 60);
    convert(qat);
    Q.push(accuracy(qat, d.xTest, d.yTest));
  }
  const size = `mean ± std of 5 seeds: float ${fmt(F)}, PTQ ${fmt(P)}, QAT ${fmt(Q)}`;
  const f = meanStd(F).mean, p = meanStd(P).mean, q = meanStd(Q).mean;
  return [
    { name: '4-bit weights + 8-bit static activations (W4A8, per tensor), QAT 5 epochs vs post-training', size, unit: 'test accuracy %', ours: q, peers: { 'post-training': p, float: f }, ratio: { 'post-training': q / p, float: q / f } },
  ];
}

/**
 * 4-bit weights only, per tensor (one scale for each weight matrix), post-training
 * (`convert(prepareQat(float, { weightBits: 4, activations: false }))`, no training) against QAT
 * (the same prepared copy of the float network fine-tuned 5 epochs through the weight fake
 * quantizer, as PyTorch users fine-tune from the float model, then `convert`), on the 64-128-10
 * MLP and on a 64-16-10 one where each weight carries more of the function; 5 seeds (1–5) of the
 * float network's initialisation and batch order, mean ± sample std.
 */
export function benchW4(d: Split = loadDigits(0)): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const hidden of [128, 16]) {
    const F: number[] = [], P: number[] = [], Q: number[] = [];
    for (const s of SEEDS) {
      const float = mlp(hidden, s);
      train(float, d, 40, s + 50);
      F.push(accuracy(float, d.xTest, d.yTest));
      P.push(accuracy(convert(prepareQat(copy(float), { weightBits: 4, activations: false })), d.xTest, d.yTest));
      const qat = prepareQat(copy(float), { weightBits: 4, activations: false });
      train(qat, d, 5, s + 60);
      Q.push(accuracy(convert(qat), d.xTest, d.yTest));
    }
    const f = meanStd(F).mean, p = meanStd(P).mean, q = meanStd(Q).mean;
    rows.push({
      name: `4-bit weights (per tensor, weights only), MLP 64-${hidden}-10: QAT 5 epochs vs post-training`,
      size: `mean ± std of 5 seeds: float ${fmt(F)}, PTQ ${fmt(P)}, QAT ${fmt(Q)}`, unit: 'test accuracy %', ours: q,
      peers: { 'post-training': p, float: f }, ratio: { 'post-training': q / p, float: q / f },
    });
  }
  return rows;
}

/**
 * A small student distilled from the trained 64-128-10 teacher (`Distiller`, T = 4, α = 0.9)
 * against the same student (same initialisation, batches, epochs, Adam lr 1e-3, batch 32) trained
 * alone, over 5 seeds, on all 1438 training images: the 64-12-10 student at 40 epochs (not yet
 * converged: train accuracy ≈ 96%) and at 150 (converged), and a 64-32-10 student at 40.
 */
export function benchDistillation(d: Split, teacher: Sequential): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const [hidden, epochs] of [[12, 40], [12, 150], [32, 40]]) {
    const A: number[] = [], K: number[] = [];
    for (const s of SEEDS) {
      const a = mlp(hidden, s + 10);
      train(a, d, epochs, s + 110);
      A.push(accuracy(a, d.xTest, d.yTest));
      const st = mlp(hidden, s + 10);
      const dist = new Distiller(st, teacher, { temperature: 4, alpha: 0.9 });
      train(dist, d, epochs, s + 110, (out, y) => dist.loss(out, tensor(y)));
      K.push(accuracy(st, d.xTest, d.yTest));
    }
    const k = meanStd(K).mean, a = meanStd(A).mean;
    rows.push({
      name: `KD student 64-${hidden}-10 vs the same student alone, ${epochs} epochs`,
      size: `mean ± std of 5 seeds: KD ${fmt(K)}, alone ${fmt(A)}`, unit: 'test accuracy %', ours: k, peers: { 'student alone': a }, ratio: { 'student alone': k / a },
    });
  }
  return rows;
}

/** The trained float teacher of the KD rows (64-128-10, 40 epochs). */
function teacherNet(d: Split): Sequential {
  const float = mlp(128, 1);
  train(float, d, 40, 2);
  return float;
}

/** The static int8 CNN (post-training and QAT) against the float CNN on digits. */
export async function benchStaticCnnAccuracy(): Promise<BenchRow[]> {
  const d = loadDigits(0);
  const rng = new Generator(5);
  const cnn = new Sequential(
    new Conv2d(1, 16, 3, { padding: 1, rng }), new ReLU(), new MaxPool2d(2),
    new Conv2d(16, 32, 3, { padding: 1, rng }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(32 * 4, 10, { rng }),
  );
  const img = [1, 8, 8];
  train(cnn, d, 15, 6, undefined, img);
  const xTest = d.xTest.reshape([d.yTest.length, 1, 8, 8]);
  const accF = accuracy(cnn, xTest, d.yTest);
  const bytesF = saveModel(cnn).length;
  const rows: BenchRow[] = [];
  const q = fuseModules(copy(cnn));
  prepare(q);
  noGrad(() => q.forward(new Tensor(d.xTrain.data.slice(0, 256 * 64), [256, 1, 8, 8])));
  convert(q);
  rows.push(row('static int8 CNN (fuse → prepare → calibrate → convert)', accuracy(q, xTest, d.yTest), accF, `file ${(saveModel(q).length / bytesF).toFixed(2)}× the float one`));
  const qat = prepareQat(fuseModules(copy(cnn)));
  train(qat, d, 2, 7, undefined, img);
  convert(qat);
  rows.push(row('QAT int8 CNN (2 epochs, activation + weight fake quantization)', accuracy(qat, xTest, d.yTest), accF, 'static int8 layers after convert'));
  return rows;
}

if (isMain(import.meta.url)) {
  // `--recurrent` runs the recurrent rows only, `cnn` the static CNN rows only, `w4a8`, `w4` and `kd` the W4A8, 4-bit
  // weight and distillation rows only.
  const rows = process.argv.includes('--recurrent') ? await benchCompressRecurrentAccuracy()
    : process.argv[2] === 'cnn' ? await benchStaticCnnAccuracy()
    : process.argv[2] === 'w4a8' ? benchW4A8()
    : process.argv[2] === 'w4' ? benchW4()
    : process.argv[2] === 'kd' ? benchDistillation(loadDigits(0), teacherNet(loadDigits(0))) : await benchCompressAccuracy();
  console.log(toMarkdown(rows));
  console.log();
  for (const note of compressAccuracyNotes) console.log(note);
}
