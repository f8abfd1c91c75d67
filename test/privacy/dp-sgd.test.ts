import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, Parameter, ShapeError, Tensor, mul } from '../../src/index';
import { BatchNorm1d, Linear, Sequential, Tanh, crossEntropy } from '../../src/nn/index';
import { SGD } from '../../src/optim/index';
import { DataLoader, TensorDataset } from '../../src/data/index';
import { fit } from '../../src/train/index';
import { DPOptimizer, PoissonLoader, RDPAccountant, clipPerSample, makePrivate, perSampleGradients } from '../../src/privacy/index';
import { expectThrows, randT } from '../helpers/check';

function labels(n: number, k: number, rng: Generator): Tensor {
  return new Tensor(Float32Array.from({ length: n }, () => rng.randint(0, k)), [n]);
}

function setup(N = 40, batchSize = 8, seed = 0) {
  const rng = new Generator(seed);
  const net = new Sequential(new Linear(4, 5, { rng }), new Tanh(), new Linear(5, 3, { rng }));
  const X = randT([N, 4], rng), y = labels(N, 3, rng);
  const dl = new DataLoader(new TensorDataset(X, y), { batchSize });
  return { net, X, y, dl, rng };
}

describe('flat clipping', () => {
  it('scales each sample by min(1, C/‖g‖) over all parameters together; every norm ≤ C after', () => {
    const { net, X, y } = setup();
    const { batchSize, grads } = perSampleGradients(net, crossEntropy, X, y);
    const before = grads.map((g) => Float32Array.from(g.grad));
    const { norms: n0 } = clipPerSample(grads.map((g) => ({ param: g.param, grad: Float32Array.from(g.grad) })), 1e9);
    const C = Array.from(n0).sort((a, b) => a - b)[Math.floor(batchSize / 2)]; // about half get clipped
    const { norms, factors } = clipPerSample(grads, C);
    let clipped = 0;
    for (let b = 0; b < batchSize; b++) {
      let sq = 0, sqBefore = 0;
      grads.forEach(({ param, grad }, k) => {
        for (let i = b * param.size; i < (b + 1) * param.size; i++) {
          sq += grad[i] ** 2;
          sqBefore += before[k][i] ** 2;
          expect(grad[i]).toBeCloseTo(before[k][i] * Math.min(1, C / norms[b]), 6);
        }
      });
      expect(norms[b]).toBeCloseTo(Math.sqrt(sqBefore), 5);
      expect(factors[b]).toBe(norms[b] > C ? C / norms[b] : 1);
      expect(Math.sqrt(sq)).toBeLessThanOrEqual(C * (1 + 1e-6));
      if (norms[b] > C) { clipped++; expect(Math.sqrt(sq)).toBeCloseTo(C, 5); }
    }
    expect(clipped).toBeGreaterThan(0); // the case is not vacuous
    expect(clipped).toBeLessThan(batchSize);
  });

  it('the privatized gradient without noise is Σ clipped / (q·N)', () => {
    const { net, X, y, dl } = setup(40, 8);
    const want = perSampleGradients(net, crossEntropy, X, y);
    clipPerSample(want.grads, 0.5);
    const p = makePrivate(net, new SGD(net.parameters(), { lr: 0.1 }), dl, { noiseMultiplier: 0, maxGradNorm: 0.5 });
    p.optimizer.zeroGrad();
    crossEntropy(net.forward(X), y).backward();
    const info = p.optimizer.privatize();
    expect(info.batchSize).toBe(40);
    for (const { param, grad } of want.grads) {
      for (let i = 0; i < param.size; i++) {
        let s = 0;
        for (let b = 0; b < 40; b++) s += grad[b * param.size + i];
        expect(param.grad![i]).toBeCloseTo(s / (0.2 * 40), 6);
      }
    }
  });
});

describe('noise', () => {
  it('has standard deviation σC/(qN) and mean 0 (1 200 steps × 23 coordinates; ±5 % on the std)', () => {
    const { net, X, y, dl } = setup(40, 8);
    const sigma = 1.3, C = 2, expected = (sigma * C) / (0.2 * 40);
    const p = makePrivate(net, new SGD(net.parameters(), { lr: 0.1 }), dl, { noiseMultiplier: sigma, maxGradNorm: C, rng: new Generator(11) });
    const draws: number[] = [];
    for (let s = 0; s < 1200; s++) {
      p.optimizer.zeroGrad();
      // A zero loss: every per-sample gradient is 0, so the privatized gradient is noise only.
      mul(crossEntropy(net.forward(X), y), 0).backward();
      p.optimizer.privatize();
      for (const q of net.parameters()) draws.push(...q.grad!);
    }
    const n = draws.length;
    const mean = draws.reduce((a, v) => a + v, 0) / n;
    const std = Math.sqrt(draws.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
    // The std's standard error is about std/√(2n) ≈ 0.4 %; 5 % is more than 10 of them.
    expect(Math.abs(std / expected - 1)).toBeLessThan(0.05);
    expect(Math.abs(mean)).toBeLessThan((4 * expected) / Math.sqrt(n));
    expect(p.accountant.history).toEqual([{ noiseMultiplier: sigma, sampleRate: 0.2, steps: 1200 }]);
  });
});

describe('Poisson sampling', () => {
  it('batch sizes have mean Nq and variance Nq(1 − q) (2 000 batches, 4 standard errors)', () => {
    const N = 200, q = 0.1, n = 2000;
    const dl = new PoissonLoader(new TensorDataset(randT([N, 3], new Generator(0)), new Tensor(new Float32Array(N), [N])), { sampleRate: q, length: n, rng: new Generator(3) });
    const sizes: number[] = [];
    for (const [x, t] of dl) {
      expect(x.shape.slice(1)).toEqual([3]);
      expect(t.shape[0]).toBe(x.shape[0]);
      sizes.push(x.shape[0]);
    }
    expect(sizes.length).toBe(n);
    const mean = sizes.reduce((a, v) => a + v, 0) / n;
    const v = sizes.reduce((a, s) => a + (s - mean) ** 2, 0) / (n - 1);
    const var0 = N * q * (1 - q);
    expect(Math.abs(mean - N * q)).toBeLessThan(4 * Math.sqrt(var0 / n));
    expect(Math.abs(v - var0)).toBeLessThan(4 * var0 * Math.sqrt(2 / n));
  });

  it('rows are the dataset\'s rows; empty batches have 0 rows and still make a (noise-only) step', () => {
    const N = 10;
    const X = new Tensor(Float32Array.from({ length: N * 4 }, (_, i) => i), [N, 4]);
    const y = new Tensor(Float32Array.from({ length: N }, (_, i) => i % 3), [N]);
    const dl = new PoissonLoader(new TensorDataset(X, y), { sampleRate: 0.1, length: 200, rng: new Generator(1) });
    let empty = 0;
    for (const [x, t] of dl) {
      for (let r = 0; r < x.shape[0]; r++) {
        const i = x.data[r * 4] / 4;
        expect(Array.from(x.data.subarray(r * 4, r * 4 + 4))).toEqual([4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3]);
        expect(t.data[r]).toBe(i % 3);
      }
      if (x.shape[0] === 0) { empty++; expect(x.shape).toEqual([0, 4]); }
    }
    expect(empty).toBeGreaterThan(40); // P(empty) = 0.9^10 ≈ 0.35
    const { net } = setup();
    const p = makePrivate(net, new SGD(net.parameters(), { lr: 0.1 }), new DataLoader(new TensorDataset(X, y), { batchSize: 1 }), { noiseMultiplier: 1, maxGradNorm: 1, rng: new Generator(2) });
    const w0 = Float32Array.from(net.parameters()[0].data);
    p.optimizer.zeroGrad();
    crossEntropy(net.forward(new Tensor(new Float32Array(0), [0, 4])), new Tensor(new Float32Array(0), [0])).backward();
    p.optimizer.step();
    expect(p.optimizer.lastStep!.batchSize).toBe(0);
    expect(Array.from(net.parameters()[0].data)).not.toEqual(Array.from(w0));
    expect(p.accountant.history[0].steps).toBe(1);
  });
});

describe('makePrivate with fit', () => {
  it('trains through fit; the accountant\'s ε equals a direct RDPAccountant of the same (σ, q, steps)', async () => {
    const { net, X, y, dl } = setup(60, 12, 4);
    const p = makePrivate(net, new SGD(net.parameters(), { lr: 0.5 }), dl, { noiseMultiplier: 0.8, maxGradNorm: 1, rng: new Generator(9) });
    expect(p.model).toBe(net);
    expect(p.data.length).toBe(5);
    const before = crossEntropy(net.forward(X), y).item();
    await fit(p.model, { data: p.data, optimizer: p.optimizer, loss: crossEntropy, epochs: 30 });
    const after = crossEntropy(net.forward(X), y).item();
    expect(after).toBeLessThan(before);
    const direct = new RDPAccountant();
    direct.step({ noiseMultiplier: 0.8, sampleRate: 0.2, steps: 150 });
    expect(p.accountant.getEpsilon(1e-5)).toBe(direct.getEpsilon(1e-5));
    expect(p.accountant.getEpsilon(1e-5)).toBeGreaterThan(0);
    expect(p.optimizer.lr).toBe(0.5);
    p.optimizer.sampler.remove();
  });
});

describe('makePrivate: bad input', () => {
  const { net, dl } = setup();
  const opt = () => new SGD(net.parameters(), { lr: 0.1 });
  const ok = { noiseMultiplier: 1, maxGradNorm: 1 };
  it('options', () => {
    expectThrows(() => makePrivate(net, opt(), dl, { maxGradNorm: 1 } as typeof ok), ArgumentError, 'makePrivate', 'noiseMultiplier');
    expectThrows(() => makePrivate(net, opt(), dl, { ...ok, noiseMultiplier: -1 }), ArgumentError, 'noiseMultiplier');
    expectThrows(() => makePrivate(net, opt(), dl, { ...ok, maxGradNorm: 0 }), ArgumentError, 'maxGradNorm');
    expectThrows(() => makePrivate(net, opt(), dl, { ...ok, rng: 3 as unknown as Generator }), ArgumentError, 'rng');
    expectThrows(() => makePrivate(net, opt(), dl, { ...ok, poison: true } as typeof ok), ArgumentError, 'poisson');
    expectThrows(() => makePrivate(net, opt(), dl, { ...ok, accountant: {} as RDPAccountant }), ArgumentError, 'accountant');
  });
  it('arguments and modules', () => {
    expectThrows(() => makePrivate({} as Linear, opt(), dl, ok), ArgumentError, 'model');
    expectThrows(() => makePrivate(net, {} as SGD, dl, ok), ArgumentError, 'optimizer');
    expectThrows(() => makePrivate(net, opt(), [[]] as unknown as DataLoader, ok), ArgumentError, 'DataLoader');
    const p = makePrivate(net, opt(), dl, ok);
    expectThrows(() => makePrivate(net, p.optimizer as unknown as SGD, dl, ok), ArgumentError, 'already a DPOptimizer');
    p.optimizer.sampler.remove();
    const bn = new Sequential(new Linear(4, 4), new BatchNorm1d(4));
    expectThrows(() => makePrivate(bn, new SGD(bn.parameters(), { lr: 0.1 }), dl, ok), ArgumentError, "BatchNorm1d at '1'", 'no fallback');
    // A parameter outside the model would keep its plain, unprivatized gradient.
    const extra = new Parameter(new Float32Array(3), [3]);
    expectThrows(() => makePrivate(net, new SGD([...net.parameters(), extra], { lr: 0.1 }), dl, ok), ArgumentError, 'makePrivate', 'parameter [3]', 'not in the model');
    expectThrows(() => new PoissonLoader(new TensorDataset(new Tensor(new Float32Array(4), [4, 1])), { sampleRate: 0 }), ArgumentError, 'sampleRate');
    expectThrows(() => clipPerSample([{ param: new Parameter(new Float32Array(2), [2]), grad: new Float32Array(3) }], 1, 2), ShapeError, 'clipPerSample');
    expect(DPOptimizer).toBeDefined();
  });
});
