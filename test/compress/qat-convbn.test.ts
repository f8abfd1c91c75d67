import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, noGrad, randn, sum, mul } from '../../src/tensor/index';
import { BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../../src/nn/index';
import { Adam } from '../../src/optim/index';
import {
  ConvBn2d, ConvBnReLU2d, QatConvBn2d, QuantizedConv2d, convert, fuseModulesQat, prepareQat,
} from '../../src/compress/index';
import { loadModel, saveModel } from '../../src/io/index';
import { expectClose, expectThrows } from '../helpers/check';

/** A Conv2d → BatchNorm2d pair with non-trivial statistics and affine parameters. */
function pair(seed: number, relu = false): { conv: Conv2d; bn: BatchNorm2d; ref: Sequential } {
  const rng = new Generator(seed);
  const conv = new Conv2d(3, 4, 3, { padding: 1, rng });
  const bn = new BatchNorm2d(4);
  bn.runningMean!.data.set([0.1, -0.2, 0.3, 0]);
  bn.runningVar!.data.set([0.5, 1.5, 2, 0.8]);
  bn.weight!.data.set([1.2, 0.7, -0.9, 1]);
  bn.bias!.data.set([0.05, -0.1, 0.2, 0]);
  // The float reference: the same layers, separate copies.
  const ref = loadModel<Sequential>(saveModel(new Sequential(conv, bn, ...(relu ? [new ReLU()] : [])))).model;
  return { conv, bn, ref };
}

/** QatConvBn2d with every fake quantizer off: the float ConvBn2d's function. */
function floatQat(conv: Conv2d, bn: BatchNorm2d, relu: boolean): QatConvBn2d {
  const q = new QatConvBn2d(relu ? new ConvBnReLU2d(conv, bn) : new ConvBn2d(conv, bn));
  q.weightFakeQuant.enableFakeQuant(false);
  return q;
}

describe('QatConvBn2d (torch.ao.nn.intrinsic.qat.ConvBn2d)', () => {
  for (const relu of [false, true]) {
    it(`without fake quantization equals conv → batch norm${relu ? ' → ReLU' : ''} in training mode: outputs, running statistics and every gradient`, () => {
      const { conv, bn, ref } = pair(1, relu);
      const q = floatQat(conv, bn, relu);
      q.train();
      ref.train();
      const x = randn([5, 3, 6, 6], { rng: new Generator(2) });
      const g = randn([5, 4, 6, 6], { rng: new Generator(3) });
      const y = q.forward(x), yr = ref.forward(x);
      expectClose(y.data, yr.data, 1e-4, 1e-4);
      expectClose(bn.runningMean!.data, (ref[1] as BatchNorm2d).runningMean!.data, 1e-6, 1e-5);
      expectClose(bn.runningVar!.data, (ref[1] as BatchNorm2d).runningVar!.data, 1e-6, 1e-5);
      sum(mul(y, g)).backward();
      sum(mul(yr, g)).backward();
      const rc = ref[0] as Conv2d, rb = ref[1] as BatchNorm2d;
      expectClose(q.weight.grad!, rc.weight.grad!, 1e-4, 1e-3);
      // The conv bias cancels under a batch norm in training mode: both gradients are ~0.
      expectClose(q.bias!.grad!, rc.bias!.grad!, 1e-4, 1e-3);
      expectClose(bn.weight!.grad!, rb.weight!.grad!, 1e-4, 1e-3);
      expectClose(bn.bias!.grad!, rb.bias!.grad!, 1e-4, 1e-3);
    });
  }

  it('in eval mode without fake quantization equals the folded convolution, and with it the folded convolution of fake-quantized weights', () => {
    const { conv, bn, ref } = pair(4);
    const q = floatQat(conv, bn, false);
    q.eval();
    ref.eval();
    const x = randn([2, 3, 5, 5], { rng: new Generator(5) });
    expectClose(q.forward(x).data, noGrad(() => ref.forward(x)).data, 1e-4, 1e-4);
    expectClose(q.forward(x).data, noGrad(() => q.folded().forward(x)).data, 1e-4, 1e-4);
    // With 4-bit weights the output moves away from the float one.
    const q4 = new QatConvBn2d(new ConvBn2d(pair(4).conv, pair(4).bn), { weightBits: 4 });
    q4.eval();
    const d = Math.max(...Array.from(q4.forward(x).data, (v, i) => Math.abs(v - q.forward(x).data[i])));
    expect(d).toBeGreaterThan(1e-3);
  });

  it('fuseModulesQat → prepareQat → training → convert gives QuantizedConv2d layers that follow the QAT model within a few output steps', async () => {
    const rng = new Generator(6);
    const net = new Sequential(
      new Conv2d(1, 4, 3, { padding: 1, rng }), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
      new Conv2d(4, 8, 3, { padding: 1, rng }), new BatchNorm2d(8), new MaxPool2d(2), new Flatten(), new Linear(8 * 16, 3, { rng }),
    );
    fuseModulesQat(net);
    expect(net[0]).toBeInstanceOf(ConvBnReLU2d);
    expect(net[4]).toBeInstanceOf(ConvBn2d);
    prepareQat(net, { weightBits: 8 });
    expect(net[0]).toBeInstanceOf(QatConvBn2d);
    expect((net[0] as QatConvBn2d).relu).toBe(true);
    const x = randn([16, 1, 16, 16], { rng });
    const target = randn([16, 3], { rng });
    const opt = new Adam(net.parameters(), { lr: 1e-2 });
    const bn0 = (net[0] as QatConvBn2d).bn, mean0 = Array.from(bn0.runningMean!.data);
    for (let s = 0; s < 5; s++) {
      opt.zeroGrad();
      const d = net.forward(x).sub(target);
      sum(mul(d, d)).backward();
      opt.step();
    }
    // The batch norm kept learning its statistics during QAT.
    expect(Array.from(bn0.runningMean!.data)).not.toEqual(mean0);
    net.eval();
    const yq = noGrad(() => net.forward(x));
    convert(net);
    expect(net[0]).toBeInstanceOf(QuantizedConv2d);
    expect(net[4]).toBeInstanceOf(QuantizedConv2d);
    const y = net.forward(x);
    const err = Math.max(...Array.from(y.data, (v, i) => Math.abs(v - yq.data[i])));
    const range = Math.max(...Array.from(yq.data, Math.abs));
    expect(err).toBeLessThan(0.05 * range);
  });

  it('saves and loads (config with the batch norm as child), giving identical outputs', () => {
    const { conv, bn } = pair(7, true);
    const net = new Sequential(new QatConvBn2d(new ConvBnReLU2d(conv, bn), { weightBits: 4, outputFakeQuant: true }));
    const x = randn([2, 3, 5, 5], { rng: new Generator(8) });
    net.forward(x);
    net.eval();
    const back = loadModel<Sequential>(saveModel(net)).model;
    back.eval();
    expect(back[0]).toBeInstanceOf(QatConvBn2d);
    expect(Object.keys(back.stateDict())).toEqual(Object.keys(net.stateDict()));
    expect(Object.keys(net.stateDict())).toContain('0.bn.runningMean');
    expect(Array.from(back.forward(x).data)).toEqual(Array.from(net.forward(x).data));
  });

  it('gives typed errors: a batch norm without running statistics, a mismatched pair', () => {
    const rng = new Generator(9);
    expectThrows(() => new QatConvBn2d(new ConvBn2d(new Conv2d(1, 2, 3, { rng }), new BatchNorm2d(2, { trackRunningStats: false }))), ArgumentError, 'QatConvBn2d', 'running statistics');
    expect(() => new ConvBn2d(new Conv2d(1, 2, 3, { rng }), new BatchNorm2d(3))).toThrow(/3 features .* 2 output channels/);
    expectThrows(() => new ConvBn2d(new Linear(2, 2) as never, new BatchNorm2d(2)), ArgumentError, 'ConvBn2d');
  });
});
