import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, Tensor, crossEntropy, noGrad, randn, tensor } from '../../src/tensor/index';
import { Linear, ReLU, Sequential } from '../../src/nn/index';
import { Adam } from '../../src/optim/index';
import { FakeQuantize, QatLinear, QuantizedLinear, convert, fakeQuantizePerTensorAffine, prepareQat } from '../../src/compress/index';
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
    const net = prepareQat(new Sequential(lin, new ReLU()), { weightBits: 4 });
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
    const ptq = convert(prepareQat(loadModel<Sequential>(bytes).model, { weightBits: 2 }));
    // QAT: the same start, fine-tuned through the fake quantizer.
    const qat = prepareQat(loadModel<Sequential>(bytes).model, { weightBits: 2 });
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
    expect(() => prepareQat(new Sequential(new ReLU()))).toThrow(/no Linear layer to prepare/);
    expect(() => convert(new Sequential(new Linear(2, 2)))).toThrow(/call prepare or prepareQat first/);
    expect(() => prepareQat(new Sequential(new Linear(2, 2)), { weightBits: 9 })).toThrow(ArgumentError);
    expect(() => new FakeQuantize({ bits: 4 } as never)).toThrow(/unknown option 'bits'/);
  });
});
