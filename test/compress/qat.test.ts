import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, Tensor, crossEntropy, noGrad, randn, tensor } from '../../src/tensor/index';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../../src/nn/index';
import { Adam } from '../../src/optim/index';
import {
  FakeQuantize, QatConv2d, QatLinear, QuantizedConv2d, QuantizedLinear, StaticQuantizedLinear, convert, fakeQuantizePerTensorAffine, fuseModules, prepareQat,
} from '../../src/compress/index';
import { loadModel, saveModel } from '../../src/io/index';

describe('FakeQuantize', () => {
  it('observes the range with a moving average and fake-quantizes with it; gradient passes straight through', () => {
    const fq = new FakeQuantize({ averagingConstant: 0.5 });
    const x = tensor([-1, 0, 2]);
    x.requiresGrad = true;
    const y = fq.forward(x);
    const { scale, zeroPoint } = fq.activationPostProcess.calculateQparams();
    expect(Array.from(y.data)).toEqual(Array.from(fakeQuantizePerTensorAffine(tensor([-1, 0, 2]), scale[0], zeroPoint[0], 0, 255).data));
    y.sum().backward();
    expect(Array.from(x.grad!)).toEqual([1, 1, 1]);
    fq.forward(tensor([-3, 4]));
    expect((fq.activationPostProcess as unknown as { maxVal: Tensor }).maxVal.item()).toBe(3);
    fq.disableObserver().forward(tensor([100]));
    expect((fq.activationPostProcess as unknown as { maxVal: Tensor }).maxVal.item()).toBe(3);
    expect(Array.from(fq.enableFakeQuant(false).forward(tensor([0.123])).data)).toEqual([Math.fround(0.123)]);
  });
});

describe('prepareQat → train → convert', () => {
  it('QatLinear shares the float parameters, and convert keeps exactly the integers QAT trained with', () => {
    const rng = new Generator(0);
    const lin = new Linear(6, 3, { rng });
    const net = prepareQat(new Sequential(lin, new ReLU()), { weightBits: 4, activations: false });
    const q = net[0] as QatLinear;
    expect(q).toBeInstanceOf(QatLinear);
    expect(q.weight).toBe(lin.weight);
    const x = randn([5, 6], { rng });
    const yQat = noGrad(() => net.forward(x));
    convert(net);
    const ql = net[0] as QuantizedLinear;
    expect(ql).toBeInstanceOf(QuantizedLinear);
    const w = Array.from(ql.weight.data);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-8);
    expect(Math.max(...w)).toBeLessThanOrEqual(7);
    // The QAT forward computed with these dequantized weights (float activations); the converted
    // layer adds only the activation rounding.
    const yQ = net.forward(x);
    for (let i = 0; i < yQ.size; i++) expect(Math.abs(yQ.data[i] - yQat.data[i])).toBeLessThan(0.05);
  });

  it('2-bit QAT recovers accuracy that 2-bit post-training quantization loses (4 bits lose nothing on this small task)', () => {
    const rng = new Generator(11);
    // A separable 3-class problem; 2-bit weights ([-2, 1]) hurt without QAT.
    const n = 300, d = 20;
    const X = randn([n, d], { rng });
    const W = randn([d, 3], { rng });
    const logits = noGrad(() => X.matmul(W));
    const y = tensor(Array.from({ length: n }, (_, i) => { const r = logits.data.slice(3 * i, 3 * i + 3); return r.indexOf(Math.max(...r)); }));
    const accuracy = (m: Sequential): number => {
      const out = noGrad(() => m.forward(X) as Tensor);
      let ok = 0;
      for (let i = 0; i < n; i++) { const r = out.data.slice(3 * i, 3 * i + 3); if (r.indexOf(Math.max(...r)) === y.data[i]) ok++; }
      return ok / n;
    };
    const train = (m: Sequential, steps: number): void => {
      const opt = new Adam(m.parameters(), { lr: 0.01 });
      for (let s = 0; s < steps; s++) { opt.zeroGrad(); crossEntropy(m.forward(X) as Tensor, y).backward(); opt.step(); }
    };
    const float = new Sequential(new Linear(d, 16, { rng }), new ReLU(), new Linear(16, 3, { rng }));
    train(float, 300);
    const floatAcc = accuracy(float);
    expect(floatAcc).toBeGreaterThan(0.9);
    const bytes = saveModel(float);
    // Post-training: 2-bit weights straight from the float model.
    const ptq = convert(prepareQat(loadModel<Sequential>(bytes).model, { weightBits: 2, activations: false }));
    // QAT: the same start, fine-tuned through the fake quantizer.
    const qat = prepareQat(loadModel<Sequential>(bytes).model, { weightBits: 2, activations: false });
    train(qat, 150);
    convert(qat);
    expect(accuracy(qat)).toBeGreaterThan(accuracy(ptq));
  });

  it('QAT and converted models save and load', () => {
    const net = prepareQat(new Sequential(new Linear(4, 4), new ReLU(), new Linear(4, 2)));
    net.forward(randn([3, 4]));
    const back = loadModel<Sequential>(saveModel(net)).model;
    const x = randn([2, 4]);
    back.eval(); net.eval();
    expect(Array.from(back.forward(x).data)).toEqual(Array.from(net.forward(x).data));
    convert(net);
    const back2 = loadModel<Sequential>(saveModel(net)).model;
    expect(Array.from(back2.forward(x).data)).toEqual(Array.from(net.forward(x).data));
  });

  it('refuses models without the layers to swap, and bad options', () => {
    expect(() => prepareQat(new Sequential(new ReLU()))).toThrow(/no Conv2d, Linear, ConvReLU2d or LinearReLU layer to prepare/);
    expect(() => convert(new Sequential(new Linear(2, 2)))).toThrow(/call prepare or prepareQat first/);
    expect(() => prepareQat(new Sequential(new Linear(2, 2)), { weightBits: 9 })).toThrow(ArgumentError);
    expect(() => new FakeQuantize({ bits: 4 } as never)).toThrow(/unknown option 'bits'/);
  });
});

describe('prepareQat with activation fake quantization → convert gives static int8 layers', () => {
  const cnn = (rng: Generator): Sequential => new Sequential(
    new Conv2d(1, 4, 3, { padding: 1, rng }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(4 * 9, 3, { rng }),
  );

  it('fake-quantizes inputs and outputs, chains the grid through ReLU/MaxPool/Flatten, and converts to what it trained', () => {
    const rng = new Generator(21);
    const net = prepareQat(fuseModules(cnn(rng)));
    const c0 = net[0] as QatConv2d, l4 = net[4] as QatLinear;
    expect(c0).toBeInstanceOf(QatConv2d);
    expect(c0.relu).toBe(true);
    expect(c0.inputFakeQuant).toBeInstanceOf(FakeQuantize);
    expect(c0.activationPostProcess).toBeInstanceOf(FakeQuantize);
    expect(l4.inputFakeQuant).toBeNull();
    // A few training steps on a synthetic task: the gradient passes through every fake quantizer.
    const x = randn([32, 1, 6, 6], { rng });
    const y = tensor(Array.from({ length: 32 }, (_, i) => (x.data[i * 36 + 14] > 0 ? 1 : 0) + (x.data[i * 36 + 21] > 0.5 ? 1 : 0)));
    const opt = new Adam(net.parameters(), { lr: 0.01 });
    const before = noGrad(() => crossEntropy(net.forward(x), y).item());
    for (let s = 0; s < 30; s++) { opt.zeroGrad(); crossEntropy(net.forward(x), y).backward(); opt.step(); }
    expect(noGrad(() => crossEntropy(net.forward(x), y).item())).toBeLessThan(before);
    // Freeze the ranges, then the fake-quantized forward is what the int8 model computes.
    for (const m of net.modules()) if (m instanceof FakeQuantize) m.disableObserver();
    net.eval();
    const yQat = noGrad(() => net.forward(x));
    convert(net);
    expect(net[0]).toBeInstanceOf(QuantizedConv2d);
    expect((net[0] as QuantizedConv2d).relu).toBe(true);
    expect(net[4]).toBeInstanceOf(StaticQuantizedLinear);
    const yQ = net.forward(x);
    const quantum = (net[4] as StaticQuantizedLinear).scale.item();
    let far = 0;
    yQ.data.forEach((v, i) => { if (Math.abs(v - yQat.data[i]) > 1.01 * quantum) far++; });
    // Integer and float rounding differ only at exact ties of the intermediate grids.
    expect(far).toBeLessThanOrEqual(Math.ceil(0.05 * yQ.size));
  });

  it('QAT CNNs save and load, before and after convert', () => {
    const rng = new Generator(22);
    const net = prepareQat(fuseModules(cnn(rng)));
    net.forward(randn([4, 1, 6, 6], { rng }));
    const back = loadModel<Sequential>(saveModel(net)).model;
    expect(back[0]).toBeInstanceOf(QatConv2d);
    const x = randn([2, 1, 6, 6], { rng });
    back.eval(); net.eval();
    expect(Array.from(back.forward(x).data)).toEqual(Array.from(net.forward(x).data));
    convert(net);
    convert(back);
    expect(Array.from(back.forward(x).data)).toEqual(Array.from(net.forward(x).data));
  });

  it('refuses convert before the fake quantizers have seen data', () => {
    const net = prepareQat(cnn(new Generator(23)));
    expect(() => convert(net)).toThrow(/has observed no input; train it/);
  });
});
