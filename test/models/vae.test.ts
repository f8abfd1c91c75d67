import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, ShapeError, Tensor, noGrad, randn, zeros } from '../../src/tensor/index';
import { binaryCrossEntropyWithLogits } from '../../src/nn/index';
import { DataLoader, TensorDataset, makeShapes } from '../../src/data/index';
import { fit } from '../../src/train/index';
import { Adam } from '../../src/optim/index';
import { loadModel, saveModel } from '../../src/io/index';
import { VAE, familyFactories } from '../../src/models/index';
import { fitDiagonalMixture, sampleDiagonalMixture } from '../../src/models/families/vae-prior';
import { expectClose, expectThrows } from '../helpers/check';

// A small VAE on 8×8 makeShapes: a few hundred milliseconds of training, enough for the ELBO to
// move far from its value at initialisation.
const small = (seed = 3) => new VAE({ inputSize: 8, latentDim: 4, channels: [8, 16], rng: new Generator(seed) });
const shapes = (n: number, seed: number) => makeShapes({ nSamples: n, size: 8, radius: [0.3, 0.5], rng: new Generator(seed) }).x;

describe('VAE', () => {
  it('fit with elboLoss lowers the held-out negative ELBO (from about 64·ln 2 + KL at init to well below)', async () => {
    const tr = shapes(128, 1), te = shapes(64, 2);
    const vae = small();
    const heldOut = () => noGrad(() => vae.elboTerms(te, { rng: new Generator(9) }).loss.item());
    const before = heldOut();
    const h = await fit(vae, {
      data: new DataLoader(new TensorDataset(tr, tr), { batchSize: 32, shuffle: true, rng: new Generator(4) }),
      loss: vae.elboLoss, optimizer: new Adam(vae.parameters(), { lr: 1e-2 }), epochs: 10,
    });
    const after = heldOut();
    // At init the decoder outputs ≈ 0.5 everywhere: BCE ≈ 64·ln 2 = 44.4 nats per image.
    expect(before).toBeGreaterThan(40);
    expect(after).toBeLessThan(0.8 * before); // reaches 30.3 from 44.5 at these seeds
    const loss = h.history.loss;
    expect(loss[loss.length - 1]).toBeLessThan(loss[0]);
  });

  it('elboTerms is the closed form: BCE summed over pixels and −½ Σ (1 + log σ² − μ² − σ²), both over the batch', () => {
    const vae = small(5);
    const x = shapes(6, 7);
    const t = noGrad(() => vae.elboTerms(x, { rng: new Generator(11) }));
    const { mu, logvar } = noGrad(() => vae.encode(x));
    let kl = 0;
    for (let i = 0; i < mu.size; i++) kl += -0.5 * (1 + logvar.data[i] - mu.data[i] ** 2 - Math.exp(logvar.data[i]));
    expectClose([t.kl.item()], [kl / 6], 1e-5, 1e-5);
    // The same ε: z = μ + exp(½ log σ²)·ε with ε from the same generator state.
    const eps = randn(mu.shape, { rng: new Generator(11) });
    const z = new Tensor(mu.data.map((m, i) => m + Math.exp(0.5 * logvar.data[i]) * eps.data[i]), mu.shape);
    const probs = noGrad(() => vae.decode(z));
    let bce = 0;
    for (let i = 0; i < x.size; i++) bce -= x.data[i] * Math.log(probs.data[i]) + (1 - x.data[i]) * Math.log(1 - probs.data[i]);
    expectClose([t.reconstruction.item()], [bce / 6], 1e-3, 1e-4);
    expectClose([t.loss.item()], [t.reconstruction.item() + t.kl.item()], 1e-4, 1e-6);
    // elboLoss on a forward output uses the same formula (in evaluation mode z = μ, no noise).
    vae.eval();
    const rec = vae.forward(x);
    const { mu: m2 } = noGrad(() => vae.encode(x));
    const logits = noGrad(() => (vae as unknown as { decodeLogits(z: Tensor): Tensor }).decodeLogits(m2));
    const expected = binaryCrossEntropyWithLogits(logits, x, { reduction: 'sum' }).item() / 6 + kl / 6;
    expectClose([vae.elboLoss(rec, x).item()], [expected], 1e-3, 1e-4);
  });

  it('β weighs the KL term and reconstruction "mse" sums squared errors', () => {
    const x = shapes(4, 8);
    const a = new VAE({ inputSize: 8, latentDim: 4, channels: [8], rng: new Generator(1) });
    const b = new VAE({ inputSize: 8, latentDim: 4, channels: [8], reconstruction: 'mse', beta: 3, rng: new Generator(1) });
    const ta = noGrad(() => a.elboTerms(x, { rng: new Generator(2) })), tb = noGrad(() => b.elboTerms(x, { rng: new Generator(2) }));
    expectClose([tb.kl.item()], [ta.kl.item()], 1e-6, 1e-6);
    expectClose([tb.loss.item()], [tb.reconstruction.item() + 3 * tb.kl.item()], 1e-4, 1e-6);
    // Same weights and ε: the same reconstruction, scored by Σ (x̂ − x)² / B instead of BCE.
    const { mu, logvar } = noGrad(() => b.encode(x));
    const eps = randn(mu.shape, { rng: new Generator(2) });
    const probs = noGrad(() => b.decode(new Tensor(mu.data.map((m, i) => m + Math.exp(0.5 * logvar.data[i]) * eps.data[i]), mu.shape)));
    let se = 0;
    for (let i = 0; i < x.size; i++) se += (probs.data[i] - x.data[i]) ** 2;
    expectClose([tb.reconstruction.item()], [se / 4], 1e-4, 1e-5);
  });

  it('sample, reconstruct and interpolate have the right shapes, lie in (0, 1) and are seeded', () => {
    const vae = small(2);
    const s1 = vae.sample(5, { rng: new Generator(3) });
    const s2 = vae.sample(5, { rng: new Generator(3) });
    const s3 = vae.sample(5, { rng: new Generator(4) });
    expect(s1.shape).toEqual([5, 1, 8, 8]);
    expect(Array.from(s2.data)).toEqual(Array.from(s1.data));
    expect(Array.from(s3.data)).not.toEqual(Array.from(s1.data));
    expect(s1.requiresGrad).toBe(false);
    for (const v of s1.data) expect(v > 0 && v < 1).toBe(true);

    const x = shapes(3, 5);
    const r = vae.reconstruct(x);
    expect(r.shape).toEqual([3, 1, 8, 8]);
    expect(Array.from(vae.reconstruct(x).data)).toEqual(Array.from(r.data));

    const a = new Tensor(x.data.slice(0, 64), [1, 8, 8]), b = new Tensor(x.data.slice(64, 128), [1, 1, 8, 8]);
    const path = vae.interpolate(a, b, 5);
    expect(path.shape).toEqual([5, 1, 8, 8]);
    // t = 0 and t = 1 decode μ(a) and μ(b) exactly: the reconstructions of a and b.
    expect(Array.from(path.data.slice(0, 64))).toEqual(Array.from(r.data.slice(0, 64)));
    expect(Array.from(path.data.slice(4 * 64))).toEqual(Array.from(r.data.slice(64, 128)));
  });

  it('forward samples z in training mode and uses z = μ in evaluation mode', () => {
    const vae = small(6);
    const x = shapes(2, 6);
    const t1 = noGrad(() => vae.forward(x)), t2 = noGrad(() => vae.forward(x));
    expect(Array.from(t1.data)).not.toEqual(Array.from(t2.data));
    vae.eval();
    expect(Array.from(noGrad(() => vae.forward(x)).data)).toEqual(Array.from(vae.reconstruct(x).data));
  });

  it('saves and loads through io with the same outputs and config', () => {
    const vae = new VAE({ inputSize: [8, 4], latentDim: 3, channels: [4], hidden: 7, beta: 2, rng: new Generator(1) });
    const { model } = loadModel(saveModel(vae), { registry: familyFactories });
    expect(model).toBeInstanceOf(VAE);
    const back = model as VAE;
    expect(back.config()).toEqual(vae.config());
    expect(vae.config().options).toMatchObject({ hidden: [7], beta: 2, reconstruction: 'bce', latentDim: 3 });
    expect(back.encoderHidden.length).toBe(1);
    expect(back.decoderHidden[0].outFeatures).toBe(7);
    const x = new Tensor(new Generator(2).fillUniform(new Float32Array(2 * 32)), [2, 1, 8, 4]);
    expect(Array.from(back.reconstruct(x).data)).toEqual(Array.from(vae.reconstruct(x).data));
    expect(Array.from(back.sample(2, { rng: new Generator(3) }).data)).toEqual(Array.from(vae.sample(2, { rng: new Generator(3) }).data));
  });

  it('rejects bad options and inputs with typed errors', () => {
    expectThrows(() => new VAE({ inputSize: 12, channels: [2, 2, 2] }), ArgumentError, 'divisible by 2^3');
    expectThrows(() => new VAE({ inputSize: 8, beta: -1 }), ArgumentError, 'beta');
    expectThrows(() => new VAE({ inputSize: 8, reconstruction: 'l1' as never }), ArgumentError, 'reconstruction');
    const vae = new VAE({ inputSize: 8, latentDim: 2, channels: [2] });
    expectThrows(() => vae.sample(0), ArgumentError, 'n must be');
    expectThrows(() => vae.interpolate(zeros([1, 8, 8]), zeros([1, 8, 8]), 1), ArgumentError, 'steps');
    expectThrows(() => vae.interpolate(zeros([2, 1, 8, 8]), zeros([1, 8, 8]), 3), ShapeError, 'one image');
    expectThrows(() => vae.forward(zeros([1, 1, 8, 9])), ShapeError, '[B, 1, 8, 8]');
    expectThrows(() => vae.decode(zeros([1, 3])), ShapeError, '[B, 2]');
    expectThrows(() => vae.elboLoss(zeros([1, 1, 8, 8]), zeros([1, 1, 8, 8])), ArgumentError, "output of this VAE's forward");
    expectThrows(() => vae.elboLoss(vae.forward(zeros([1, 1, 8, 8])), zeros([2, 1, 8, 8])), ShapeError, "reconstruction's shape");
  });

  it('fitPrior fits a mixture to the codes; sample then draws from it (seeded), saved with the model', () => {
    const vae = small(5);
    const x = makeShapes({ nSamples: 60, size: 8, rng: new Generator(6) }).x;
    expect(vae.priorFitted()).toBe(false);
    expectThrows(() => vae.sample(2, { prior: 'fitted' }), ArgumentError, 'VAE.sample', 'fitPrior');
    const before = vae.sample(3, { rng: new Generator(1) });
    expect(vae.fitPrior(x, { rng: new Generator(2) })).toBe(vae);
    expect(vae.priorFitted()).toBe(true);
    const w = Array.from(vae.priorWeights.data);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(Math.min(...vae.priorVars.data)).toBeGreaterThan(0);
    const a = vae.sample(3, { rng: new Generator(1) }), b = vae.sample(3, { rng: new Generator(1) });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(before.data));
    expect(Array.from(vae.sample(3, { rng: new Generator(1), prior: 'standard' }).data)).toEqual(Array.from(before.data));
    const back = loadModel(saveModel(vae), { registry: familyFactories }).model as VAE;
    expect(back.priorFitted()).toBe(true);
    expect(Array.from(back.sample(3, { rng: new Generator(1) }).data)).toEqual(Array.from(a.data));
    expectThrows(() => vae.fitPrior(new Tensor(x.data.slice(0, 5 * 64), [5, 1, 8, 8])), ArgumentError, 'fewer than the 10 components');
    expectThrows(() => vae.fitPrior(zeros([4, 8])), ShapeError, 'VAE.fitPrior');
    expectThrows(() => vae.fitPrior(x, { iterations: 0 }), ArgumentError, 'iterations');
  });

  it('the mixture EM recovers two separated diagonal Gaussians, and its draws follow the weights', () => {
    const g = new Generator(11);
    const N = 3000, D = 2;
    const z = new Float64Array(N * D);
    for (let i = 0; i < N; i++) {
      const first = i < 0.7 * N;
      z[i * D] = (first ? -4 : 5) + (first ? 0.5 : 1) * g.normal();
      z[i * D + 1] = (first ? 1 : -2) + (first ? 1 : 0.25) * g.normal();
    }
    const m = fitDiagonalMixture(z, N, D, 2, 200, new Generator(12));
    const k = m.means[0] < 0 ? 0 : 1, j = 1 - k;
    expect(m.weights[k]).toBeCloseTo(0.7, 1);
    expect(m.means[k * D]).toBeCloseTo(-4, 1);
    expect(m.means[j * D + 1]).toBeCloseTo(-2, 1);
    expect(Math.sqrt(m.vars[k * D])).toBeCloseTo(0.5, 1);
    expect(Math.sqrt(m.vars[j * D + 1])).toBeCloseTo(0.25, 1);
    const draws = sampleDiagonalMixture(m, 4000, D, new Generator(13));
    let left = 0;
    for (let i = 0; i < 4000; i++) if (draws[i * D] < 0.5) left++;
    expect(left / 4000).toBeGreaterThan(0.67);
    expect(left / 4000).toBeLessThan(0.73);
  });
});
