import { DataLoader, TensorDataset } from '../src/data/index';
import { Linear, Tanh } from '../src/nn/index';
import { Module } from '../src/nn/module';
import { Sequential } from '../src/nn/sequential';
import { SGD } from '../src/optim/index';
import { getNoiseMultiplier, makePrivate } from '../src/privacy/index';
import { Generator, Tensor, crossEntropy } from '../src/tensor/index';
import { fit } from '../src/train/index';
import { accuracy, loadDigits } from './digits';
import { isMain, measureInterleaved } from './util';

// DP-SGD against plain SGD on scikit-learn's digits (test/fixtures/digits.json, 1797 8×8 images,
// pixels scaled to [0, 1]), a seeded 80/20 split, an MLP 64-64-10 (tanh), batch 64, the same
// learning rate and epochs for both; DP-SGD at ε = 3, δ = 1e-5 (σ from getNoiseMultiplier),
// C = 1, Poisson sampling. Run: npx tsx bench/privacy.ts
const EPOCHS = 30, BATCH = 64, LR = 0.5, C = 1, EPS = 3, DELTA = 1e-5;



const mlp = (seed: number) => {
  const rng = new Generator(seed);
  return new Sequential(new Linear(64, 64, { rng }), new Tanh(), new Linear(64, 10, { rng }));
};

export async function run(seeds = [0, 1, 2]): Promise<string> {
  const lines: string[] = [];
  const split = loadDigits(0);
  const d = { ...split, yTrain: new Tensor(Float32Array.from(split.yTrain), [split.yTrain.length]) };
  const N = d.xTrain.shape[0];
  const steps = EPOCHS * Math.ceil(N / BATCH);
  const sigma = getNoiseMultiplier({ targetEpsilon: EPS, delta: DELTA, sampleRate: BATCH / N, steps });
  lines.push(`digits: ${N} train / ${d.yTest.length} test, MLP 64-64-10, batch ${BATCH} (q = ${(BATCH / N).toFixed(4)}), ${EPOCHS} epochs = ${steps} steps, SGD lr ${LR}, C = ${C}, σ = ${sigma.toFixed(3)}`);
  const accs: { plain: number; dp: number; eps: number }[] = [];
  for (const seed of seeds) {
    const plain = mlp(seed);
    await fit(plain, { data: new DataLoader(new TensorDataset(d.xTrain, d.yTrain), { batchSize: BATCH, shuffle: true, rng: new Generator(100 + seed) }), optimizer: new SGD(plain.parameters(), { lr: LR }), loss: crossEntropy, epochs: EPOCHS });
    const net = mlp(seed);
    const p = makePrivate(net, new SGD(net.parameters(), { lr: LR }), new DataLoader(new TensorDataset(d.xTrain, d.yTrain), { batchSize: BATCH }), { noiseMultiplier: sigma, maxGradNorm: C, rng: new Generator(200 + seed) });
    await fit(p.model, { data: p.data, optimizer: p.optimizer, loss: crossEntropy, epochs: EPOCHS });
    p.optimizer.sampler.remove();
    accs.push({ plain: accuracy(plain, d.xTest, d.yTest), dp: accuracy(net, d.xTest, d.yTest), eps: p.accountant.getEpsilon(DELTA) });
  }
  for (const [i, a] of accs.entries()) lines.push(`seed ${seeds[i]}: non-private ${a.plain.toFixed(1)} %, DP-SGD ${a.dp.toFixed(1)} % (ε = ${a.eps.toFixed(3)} at δ = ${DELTA})`);
  const mean = (k: 'plain' | 'dp') => accs.reduce((s, a) => s + a[k], 0) / accs.length;
  lines.push(`mean: non-private ${mean('plain').toFixed(1)} %, DP-SGD ${mean('dp').toFixed(1)} %, gap ${(mean('plain') - mean('dp')).toFixed(1)} points`);

  // Cost per step, one batch of 64, side by side in one process.
  const x = new Tensor(d.xTrain.data.slice(0, BATCH * 64), [BATCH, 64]);
  const y = new Tensor(d.yTrain.data.slice(0, BATCH), [BATCH]);
  const a = mlp(7), b = mlp(7);
  const optA = new SGD(a.parameters(), { lr: 0.01 });
  const p = makePrivate(b, new SGD(b.parameters(), { lr: 0.01 }), new DataLoader(new TensorDataset(d.xTrain, d.yTrain), { batchSize: BATCH }), { noiseMultiplier: sigma, maxGradNorm: C, rng: new Generator(3) });
  const step = (m: Module, o: { zeroGrad(): void; step(): unknown }) => () => {
    o.zeroGrad();
    crossEntropy((m.forward as (t: Tensor) => Tensor)(x), y).backward();
    o.step();
  };
  const ratios: number[] = [];
  let last: Record<string, number> = {};
  for (let r = 0; r < 3; r++) {
    last = measureInterleaved({ sgd: step(a, optA), dpsgd: step(b, p.optimizer) }, 3);
    ratios.push(last.dpsgd / last.sgd);
  }
  lines.push(`step (batch ${BATCH}): SGD ${(last.sgd * 1e3).toFixed(3)} ms, DP-SGD ${(last.dpsgd * 1e3).toFixed(3)} ms; DP-SGD / SGD over 3 repeats: ${ratios.map((v) => v.toFixed(2)).join(', ')}`);
  return lines.join('\n');
}

if (isMain(import.meta.url)) {
  run().then((s) => console.log(s));
}
