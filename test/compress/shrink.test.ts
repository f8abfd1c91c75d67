import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, Tensor, noGrad, randn } from '../../src/tensor/index';
import { BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, BatchNorm1d } from '../../src/nn/index';
import { lnStructured, removePruning, shrink } from '../../src/compress/index';

function structured<M extends Conv2d | Linear>(m: M, amount: number): M {
  lnStructured(m, 'weight', { amount, n: 2, dim: 0 });
  removePruning(m, 'weight');
  return m;
}

function warmBatchNorms(net: Sequential, x: Tensor): void {
  net.train();
  noGrad(() => { for (let i = 0; i < 3; i++) net.forward(x); });
  net.eval();
}

function expectSameOutputs(a: Tensor, b: Tensor): void {
  expect(a.shape).toEqual(b.shape);
  a.data.forEach((v, i) => expect(Math.abs(v - b.data[i]), `output ${i}`).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(b.data[i]))));
}

describe('shrink', () => {
  it('cuts zeroed Conv2d channels, their BatchNorm entries and the next layers\' inputs; same outputs (biases folded through ReLU, pool and Flatten)', () => {
    const rng = new Generator(3);
    const net = new Sequential(
      new Conv2d(2, 8, 3, { padding: 1, rng }), new BatchNorm2d(8), new ReLU(), new MaxPool2d(2),
      new Conv2d(8, 12, 3, { rng }), new ReLU(), new Flatten(), new Linear(12 * 2 * 2, 5, { rng }),
    );
    const x = randn([4, 2, 8, 8], { rng });
    warmBatchNorms(net, x);
    structured(net[0] as Conv2d, 0.5);
    structured(net[4] as Conv2d, 0.5);
    const before = noGrad(() => net.forward(x));
    const steps = shrink(net);
    expect(steps).toEqual([{ layer: '0', before: 8, after: 4 }, { layer: '4', before: 12, after: 6 }]);
    expect([(net[0] as Conv2d).outChannels, (net[1] as BatchNorm2d).numFeatures, (net[4] as Conv2d).inChannels, (net[4] as Conv2d).outChannels, (net[7] as Linear).inFeatures])
      .toEqual([4, 4, 4, 6, 24]);
    expectSameOutputs(noGrad(() => net.forward(x)), before);
  });

  it('keeps a zeroed channel whose constant output would meet a padded Conv2d, and removes it when the constant is 0', () => {
    const rng = new Generator(4);
    const net = new Sequential(new Conv2d(1, 4, 3, { padding: 1, rng }), new ReLU(), new Conv2d(4, 3, 3, { padding: 1, rng }));
    const c0 = net[0] as Conv2d;
    c0.weight.data.fill(0, 0, 18); // channels 0 and 1
    c0.bias!.data[0] = 0.7; // channel 0 outputs relu(0.7) everywhere: not removable before padding
    c0.bias!.data[1] = -0.3; // channel 1 outputs relu(−0.3) = 0: removable
    const x = randn([2, 1, 6, 6], { rng });
    const before = noGrad(() => net.forward(x));
    expect(shrink(net)).toEqual([{ layer: '0', before: 4, after: 3 }]);
    expectSameOutputs(noGrad(() => net.forward(x)), before);
  });

  it('works on Linear chains with BatchNorm1d, and leaves the output layer\'s width alone', () => {
    const rng = new Generator(5);
    const net = new Sequential(new Linear(6, 10, { rng }), new BatchNorm1d(10), new ReLU(), new Linear(10, 3, { rng }));
    const x = randn([16, 6], { rng });
    warmBatchNorms(net, x);
    structured(net[0] as Linear, 0.6);
    structured(net[3] as Linear, 0.34); // the last layer: its outputs are the model's, kept
    const before = noGrad(() => net.forward(x));
    expect(shrink(net)).toEqual([{ layer: '0', before: 10, after: 4 }]);
    expect((net[3] as Linear).outFeatures).toBe(3);
    expectSameOutputs(noGrad(() => net.forward(x)), before);
  });

  it('refuses a model that is still pruned, and non-modules', () => {
    const net = new Sequential(new Linear(3, 3), new ReLU(), new Linear(3, 1));
    lnStructured(net[0] as Linear, 'weight', { amount: 0.3, n: 1, dim: 0 });
    expect(() => shrink(net)).toThrow(/layer '0' is still pruned; call removePruning first/);
    expect(() => shrink({} as Sequential)).toThrow(ArgumentError);
  });
});
