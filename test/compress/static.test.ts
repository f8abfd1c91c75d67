import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, ShapeError, Tensor, noGrad, randn, tensor } from '../../src/tensor/index';
import { BatchNorm2d, Conv2d, Flatten, Identity, Linear, MaxPool2d, ReLU, Sequential, Sigmoid } from '../../src/nn/index';
import {
  ConvReLU2d, HistogramObserver, LinearReLU, MinMaxObserver, ObservedModule, PerChannelMinMaxObserver, QuantizedConv2d,
  StaticQuantizedLinear, convert, fuseModules, getDefaultQconfig, prepare, type QConfig,
} from '../../src/compress/index';
import { loadModel, saveModel } from '../../src/io/index';

interface HistCase { name: string; options: Record<string, unknown>; steps: { x: number[]; scale: number; zeroPoint: number; minVal: number; maxVal: number; histogramSum: number }[] }
interface LinearCase {
  inFeatures: number; outFeatures: number; perChannel: boolean; relu: boolean; weight: number[]; biasValues: number[];
  qweight: number[]; weightScales: number[]; inputScale: number; inputZeroPoint: number; scale: number; zeroPoint: number;
  x: number[]; xShape: number[]; qy: number[];
}
interface PipelineCase {
  activation: 'minmax' | 'histogram'; state: Record<string, { shape: number[]; data: number[] }>; calibration: number[][]; calibShape: number[];
  inputScale: number; inputZeroPoint: number; layers: { name: string; scale: number; zeroPoint: number; qweight: number[]; weightScales: number[] }[];
  x: number[]; xShape: number[]; y: number[]; yFloat: number[];
}
const fx = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/static.json'), 'utf8')) as {
  engine: string; histogram: HistCase[]; linear: LinearCase[]; pipeline: PipelineCase[];
};

describe('HistogramObserver matches PyTorch 1.13', () => {
  it.each(fx.histogram.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const obs = new HistogramObserver(c.options as never);
    for (const [i, s] of c.steps.entries()) {
      obs.forward(tensor(s.x));
      expect(obs.minVal.item(), `batch ${i} min`).toBe(Math.fround(s.minVal));
      expect(obs.maxVal.item(), `batch ${i} max`).toBe(Math.fround(s.maxVal));
      expect(Math.abs(obs.histogram.sum().item() - s.histogramSum), `batch ${i} histogram mass`).toBeLessThan(1e-3 * (1 + s.histogramSum));
      const q = obs.calculateQparams();
      expect(q.scale[0], `batch ${i} scale`).toBe(Math.fround(s.scale));
      expect(q.zeroPoint[0], `batch ${i} zero point`).toBe(s.zeroPoint);
    }
  });

  it('has not observed before its first input (scale 1, zero point 0), and refuses per-channel schemes', () => {
    const obs = new HistogramObserver();
    expect(obs.hasObserved()).toBe(false);
    expect(Array.from(obs.calculateQparams().scale)).toEqual([1]);
    expect(() => new HistogramObserver({ qscheme: 'perChannelAffine' })).toThrow(ArgumentError);
    expect(() => new HistogramObserver({ bins: 0 })).toThrow(ArgumentError);
    expect(() => obs.forward(tensor([NaN]))).toThrow(/NaN/);
  });

  it('on heavy-tailed data picks a narrower range than a min/max observer', () => {
    const rng = new Generator(1);
    const x = randn([5000], { rng });
    x.data.forEach((v, i) => { x.data[i] = v * v * v; });
    const h = new HistogramObserver(), m = new MinMaxObserver();
    h.forward(x);
    m.forward(x);
    expect(h.calculateQparams().scale[0]).toBeLessThan(0.9 * m.calculateQparams().scale[0]);
  });
});

describe(`StaticQuantizedLinear matches PyTorch 1.13 (${fx.engine})`, () => {
  it.each(fx.linear.map((c) => [`${c.inFeatures}→${c.outFeatures}${c.perChannel ? ' per channel' : ''}${c.relu ? ' relu' : ''}`, c] as const))('%s', (_, c) => {
    const lin = new Linear(c.inFeatures, c.outFeatures);
    lin.weight.data.set(c.weight);
    lin.bias!.data.set(c.biasValues);
    const weightObserver = c.perChannel ? undefined : new MinMaxObserver({ dtype: 'qint8', qscheme: 'perTensorSymmetric' });
    const q = StaticQuantizedLinear.fromFloat(lin, { inputScale: c.inputScale, inputZeroPoint: c.inputZeroPoint, scale: c.scale, zeroPoint: c.zeroPoint }, { weightObserver, relu: c.relu });
    expect(Array.from(q.weight.data)).toEqual(c.qweight);
    const y = q.forward(new Tensor(Float32Array.from(c.x), c.xShape));
    expect(Array.from(y.data, (v) => Math.round(v / c.scale) + c.zeroPoint)).toEqual(c.qy);
  });
});

/** The fixture's float CNN, with PyTorch's state dict (snake_case keys in camelCase). */
function floatNet(c: PipelineCase): Sequential {
  const net = new Sequential(
    new Conv2d(1, 4, 3, { padding: 1 }), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
    new Conv2d(4, 6, 3), new ReLU(), new Flatten(), new Linear(6, 8), new ReLU(), new Linear(8, 3),
  );
  const sd: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(c.state)) sd[k.replace(/_(\w)/g, (_m, ch: string) => ch.toUpperCase())] = new Tensor(Float32Array.from(v.data), v.shape);
  net.loadStateDict(sd, { strict: false });
  return net.eval();
}

describe('fuse → prepare → calibrate → convert matches PyTorch 1.13 eager static quantization', () => {
  it.each(fx.pipeline.map((c) => [c.activation, c] as const))('%s activation observers', (_, c) => {
    const net = floatNet(c);
    const x = new Tensor(Float32Array.from(c.x), c.xShape);
    const yFloat = noGrad(() => net.forward(x));
    yFloat.data.forEach((v, i) => expect(Math.abs(v - c.yFloat[i])).toBeLessThan(1e-5));
    fuseModules(net);
    expect(net[0]).toBeInstanceOf(ConvReLU2d);
    expect(net[1]).toBeInstanceOf(Identity);
    expect(net[7]).toBeInstanceOf(LinearReLU);
    const qconfig: QConfig = {
      activation: c.activation === 'minmax' ? () => new MinMaxObserver() : () => new HistogramObserver(),
      weight: () => new PerChannelMinMaxObserver({ dtype: 'qint8', qscheme: 'perChannelSymmetric' }),
    };
    prepare(net, qconfig);
    // The first layer observes the model's input (PyTorch's QuantStub); the others read the grid of
    // the layer before them, through ReLU/MaxPool/Flatten.
    expect((net[0] as ObservedModule).inputObserver).not.toBeNull();
    expect((net[4] as ObservedModule).inputObserver).toBeNull();
    noGrad(() => { for (const b of c.calibration) net.forward(new Tensor(Float32Array.from(b), c.calibShape)); });
    convert(net);
    const q0 = net[0] as QuantizedConv2d;
    expect(q0).toBeInstanceOf(QuantizedConv2d);
    expect(q0.relu).toBe(true);
    expect(Math.abs(q0.inputScale.item() / c.inputScale - 1)).toBeLessThan(1e-6);
    expect(q0.inputZeroPoint.data[0]).toBe(c.inputZeroPoint);
    // Activation scales: PyTorch's up to the float32 rounding of the calibration forward (the
    // float convolutions sum in another order), so within a few ulps.
    for (const l of c.layers) {
      const q = net[Number(l.name)] as QuantizedConv2d | StaticQuantizedLinear;
      expect(Math.abs(q.scale.item() / l.scale - 1), `layer ${l.name} scale`).toBeLessThan(1e-6);
      expect(q.zeroPoint.data[0], `layer ${l.name} zero point`).toBe(l.zeroPoint);
      expect(Array.from(q.weightScale.data), `layer ${l.name} weight scales`).toEqual(l.weightScales.map(Math.fround));
      const mismatched = Array.from(q.weight.data).filter((v, i) => v !== l.qweight[i]).length;
      expect(mismatched, `layer ${l.name} int8 weights`).toBe(0);
    }
    // Outputs: PyTorch's integers, dequantized; an ulp of difference in a scale may move a value
    // that sits on a rounding boundary by one quantum.
    const y = net.forward(x);
    const quantum = c.layers[c.layers.length - 1].scale;
    let exact = 0;
    y.data.forEach((v, i) => {
      expect(Math.abs(v - c.y[i]), `output ${i}`).toBeLessThan(1.01 * quantum);
      if (Math.abs(v - c.y[i]) < 1e-3 * quantum) exact++;
    });
    expect(exact).toBeGreaterThanOrEqual(Math.ceil(0.9 * y.size));
  });

  it('a converted model saves and loads (int8 weights), with identical outputs', () => {
    const c = fx.pipeline[0];
    const net = fuseModules(floatNet(c));
    prepare(net);
    net.forward(randn([8, 1, 6, 6]));
    convert(net);
    const back = loadModel<Sequential>(saveModel(net)).model;
    const x = randn([3, 1, 6, 6]);
    expect(Array.from(back.forward(x).data)).toEqual(Array.from(net.forward(x).data));
    expect(back[9]).toBeInstanceOf(StaticQuantizedLinear);
  });

  it('a fused float model saves and loads', () => {
    const net = fuseModules(new Sequential(new Conv2d(1, 2, 3), new ReLU(), new Flatten(), new Linear(18, 2), new ReLU()));
    const back = loadModel<Sequential>(saveModel(net)).model;
    expect(back[0]).toBeInstanceOf(ConvReLU2d);
    expect(back[3]).toBeInstanceOf(LinearReLU);
    const x = randn([2, 1, 5, 5]);
    expect(Array.from(back.forward(x).data)).toEqual(Array.from(net.forward(x).data));
  });
});

describe('fuseModules', () => {
  it('folds a batch norm into the convolution: eval outputs unchanged', () => {
    const rng = new Generator(2);
    const net = new Sequential(new Conv2d(2, 3, 3, { rng, bias: false }), new BatchNorm2d(3), new ReLU());
    const bn = net[1] as BatchNorm2d;
    bn.runningMean!.data.set([0.1, -0.2, 0.3]);
    bn.runningVar!.data.set([0.5, 2, 1.5]);
    bn.weight!.data.set([1.2, 0.7, -0.4]);
    bn.bias!.data.set([0.05, 0, -0.1]);
    net.eval();
    const x = randn([2, 2, 5, 5], { rng });
    const before = noGrad(() => net.forward(x));
    fuseModules(net, { groups: [['0', '1']] });
    expect(net[0]).toBeInstanceOf(Conv2d);
    expect((net[0] as Conv2d).bias).not.toBeNull();
    const after = noGrad(() => net.forward(x));
    after.data.forEach((v, i) => expect(Math.abs(v - before.data[i])).toBeLessThan(1e-5));
  });

  it('refuses unknown patterns, names and models with nothing to fuse', () => {
    const net = new Sequential(new Linear(2, 2), new Sigmoid());
    expect(() => fuseModules(net)).toThrow(/nothing|no Conv2d\/Linear followed by/);
    expect(() => fuseModules(net, { groups: [['0', '1']] })).toThrow(/cannot fuse \[0, 1\] \(Linear → Sigmoid\)/);
    expect(() => fuseModules(net, { groups: [['0', '7']] })).toThrow(/no layer '7'/);
    const bad = new Sequential(new Conv2d(1, 2, 1), new BatchNorm2d(3));
    expect(() => fuseModules(bad)).toThrow(ShapeError);
  });
});

describe('prepare and convert', () => {
  it('a static int8 CNN stays close to the float one (defaults: histogram activations, per-channel weights)', () => {
    const rng = new Generator(7);
    const net = new Sequential(new Conv2d(1, 8, 3, { padding: 1, rng }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(8 * 16, 10, { rng }));
    net.eval();
    const x = randn([16, 1, 8, 8], { rng });
    const yf = noGrad(() => net.forward(x));
    fuseModules(net);
    prepare(net);
    noGrad(() => net.forward(x));
    convert(net);
    const y = net.forward(x);
    let err = 0, mag = 0;
    y.data.forEach((v, i) => { err = Math.max(err, Math.abs(v - yf.data[i])); mag = Math.max(mag, Math.abs(yf.data[i])); });
    expect(err).toBeLessThan(0.15 * mag);
    // Classes agree on (nearly) every sample.
    let agree = 0;
    for (let b = 0; b < 16; b++) {
      const row = (t: Tensor): number => { const r = Array.from(t.data.slice(b * 10, b * 10 + 10)); return r.indexOf(Math.max(...r)); };
      if (row(y) === row(yf)) agree++;
    }
    expect(agree).toBeGreaterThanOrEqual(15);
  });

  it('a layer after a non-grid-preserving module observes its own input', () => {
    const net = prepare(new Sequential(new Linear(3, 3), new Sigmoid(), new Linear(3, 2)), 'qnnpack');
    expect((net[2] as ObservedModule).inputObserver).not.toBeNull();
    expect(getDefaultQconfig('x86').activation().reduceRange).toBe(true);
  });

  it('gives typed errors: no supported layer, convert before calibration, bad qconfig', () => {
    expect(() => prepare(new Sequential(new ReLU()))).toThrow(/no Conv2d, Linear, ConvReLU2d or LinearReLU layer to quantize/);
    const net = prepare(new Sequential(new Linear(2, 2)));
    expect(() => convert(net)).toThrow(/layer '0' \(Linear\) has observed no input; run calibration batches/);
    expect(() => prepare(new Sequential(new Linear(2, 2)), { activation: () => new MinMaxObserver({ dtype: 'qint8' }), weight: () => new MinMaxObserver({ dtype: 'qint8' }) })).toThrow(/quint8 per tensor/);
    expect(() => prepare(new Sequential(new Linear(2, 2)), { activation: () => new MinMaxObserver(), weight: () => new MinMaxObserver() })).toThrow(/weights are quantized to qint8/);
    expect(() => prepare(new Sequential(new Linear(2, 2)), 'tpu' as never)).toThrow(/backend must be one of/);
    expect(() => prepare(new Linear(2, 2))).toThrow(/wrap it in a Sequential/);
    expect(() => convert(new Sequential(new Linear(2, 2)))).toThrow(/call prepare or prepareQat first/);
  });
});
