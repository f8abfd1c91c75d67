import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../../../src/io/onnx/export';
import { onnxInfo } from '../../../src/io/onnx/info';
import {
  FakeQuantize, QuantizedLinear, convert, fuseModules, prepare, prepareQat, quantizeDynamic, type ObservedModule,
} from '../../../src/compress/index';
import { MLP, RecurrentClassifier } from '../../../src/models/index';
import { BatchNorm2d, Conv2d, Flatten, GRU, Linear, MaxPool2d, ReLU, Sequential, type Module } from '../../../src/nn/index';
import { ArgumentError, Generator, Tensor, noGrad, randn } from '../../../src/tensor/index';
import { expectThrows } from '../../helpers/check';
import { expectSameAsOrt, randomizeParameters } from './export-helpers';

// Tolerances. onnxruntime quantizes with x / scale where tensorkit multiplies by the float32
// 1/scale, and requantizes in another float order, so a value at a rounding tie may land on the
// neighbouring integer: the exported layers agree with tensorkit's quantized forward within one
// step of the grid the output lies on (the output scale of a static layer or fake quantizer).
// The dynamic QuantizedLinear has no output grid; its integers agree, and the float product of
// the dequantized values differs from tensorkit's int32 sum by float32 rounding only (atol 1e-4).

const rng = () => new Generator(9);
const calibrate = (m: Module, shape: number[]): void => {
  noGrad(() => { for (let i = 0; i < 4; i++) (m.forward as (t: Tensor) => Tensor)(randn(shape, { rng: new Generator(100 + i) })); });
};
/** Stops the fake quantizers' observers, so tensorkit's reference forwards keep the grids that were exported. */
const freeze = (m: Module): void => { for (const q of m.modules()) if (q instanceof FakeQuantize) q.disableObserver(); };
/** One step of the grid of a fake quantizer (its current scale; the largest one per channel). */
const stepOf = (fq: FakeQuantize): number => Math.max(...fq.activationPostProcess.calculateQparams().scale) + 1e-5;

describe('exportOnnx: dynamically quantized Linear (QDQ with the grid computed from each input) matches tensorkit at batch sizes 2 and 5', () => {
  const cases: [string, { perChannel: boolean; reduceRange: boolean }, number[]][] = [
    ['per tensor, reduceRange', { perChannel: false, reduceRange: true }, [1, 6]],
    ['per channel, full range', { perChannel: true, reduceRange: false }, [1, 6]],
    ['per channel, reduceRange, 3-d input (MatMul)', { perChannel: true, reduceRange: true }, [1, 3, 6]],
  ];
  for (const [name, o, shape] of cases) {
    it(name, async () => {
      const lin = new Linear(6, 4, { rng: rng() });
      randomizeParameters(lin);
      const q = QuantizedLinear.fromFloat(lin, o);
      q.train();
      await expectSameAsOrt(q, [shape]);
    });
  }

  it('quantizeDynamic(MLP): the weights are int8 initializers', async () => {
    const m = quantizeDynamic(new MLP({ inFeatures: 5, hiddenSizes: [8], outFeatures: 3, rng: rng() }));
    m.train();
    await expectSameAsOrt(m, [[1, 5]]);
    const info = onnxInfo(exportOnnx(m, { inputShape: [1, 5] }));
    expect(info.opCounts.DequantizeLinear).toBeGreaterThanOrEqual(4);
    expect(info.opCounts.QuantizeLinear).toBe(2);
    // The weights stay int8 in the file: a quarter of the float bytes.
    const float = new MLP({ inFeatures: 256, hiddenSizes: [256], outFeatures: 256, rng: rng() });
    const floatBytes = exportOnnx(float, { inputShape: [1, 256] }).length;
    const quantBytes = exportOnnx(quantizeDynamic(float), { inputShape: [1, 256] }).length;
    expect(quantBytes).toBeLessThan(floatBytes * 0.3);
  });
});

describe('exportOnnx: static quantization (prepare, calibrate, convert) matches tensorkit within one output step', () => {
  it('fused Conv2d+BatchNorm2d+ReLU → QuantizedConv2d, MaxPool2d, LinearReLU → StaticQuantizedLinear, StaticQuantizedLinear', async () => {
    const net = new Sequential(
      new Conv2d(2, 3, 3, { padding: 1, rng: rng() }), new BatchNorm2d(3), new ReLU(), new MaxPool2d(2), new Flatten(),
      new Linear(12, 5, { rng: rng() }), new ReLU(), new Linear(5, 3, { rng: rng() }),
    );
    randomizeParameters(net);
    calibrate(net, [8, 2, 4, 4]);
    net.eval();
    prepare(fuseModules(net));
    calibrate(net, [8, 2, 4, 4]);
    convert(net);
    expect(net.layers().map((l) => l.constructor.name)).toEqual(['QuantizedConv2d', 'Identity', 'Identity', 'MaxPool2d', 'Flatten', 'StaticQuantizedLinear', 'Identity', 'StaticQuantizedLinear']);
    net.train();
    const outScale = (net[7] as unknown as { scale: Tensor }).scale.data[0];
    await expectSameAsOrt(net, [[1, 2, 4, 4]], { atol: outScale + 1e-5 });
  });

  it('per-tensor weights (qnnpack), a strided grouped convolution', async () => {
    const net = new Sequential(new Conv2d(4, 4, 3, { stride: 2, groups: 2, rng: rng() }), new Flatten(), new Linear(64, 3, { rng: rng() }));
    randomizeParameters(net);
    prepare(net, 'qnnpack');
    calibrate(net, [8, 4, 9, 9]);
    convert(net);
    net.train();
    await expectSameAsOrt(net, [[1, 4, 9, 9]], { atol: (net[2] as unknown as { scale: Tensor }).scale.data[0] + 1e-5 });
  });

  it('a prepared (observed, not yet converted) model exports its float layers and leaves the observers as they were', async () => {
    const net = prepare(new Sequential(new Linear(4, 6, { rng: rng() }), new ReLU(), new Linear(6, 2, { rng: rng() })));
    calibrate(net, [8, 4]);
    const obs = (net[0] as ObservedModule).activationPostProcess;
    const before = JSON.stringify(obs.stateDict());
    net.train();
    await expectSameAsOrt(net, [[1, 4]]);
    expect(JSON.stringify(obs.stateDict())).not.toBe(before); // tensorkit's own reference forwards observe
    const again = JSON.stringify(obs.stateDict());
    exportOnnx(net, { inputShape: [3, 4] });
    expect(JSON.stringify(obs.stateDict())).toBe(again);
  });
});

describe('exportOnnx: fake quantization and quantization-aware training match tensorkit within one step of the output grid', () => {
  const fqs: [string, () => FakeQuantize][] = [
    ['FakeQuantize quint8 per tensor', () => new FakeQuantize()],
    ['FakeQuantize qint8 4-bit symmetric (Clip after DequantizeLinear)', () => new FakeQuantize({ dtype: 'qint8', qscheme: 'perTensorSymmetric', quantMin: -8, quantMax: 7 })],
    ['FakeQuantize qint8 per channel (axis 1), 4-bit', () => new FakeQuantize({ dtype: 'qint8', qscheme: 'perChannelSymmetric', chAxis: 1, quantMin: -8, quantMax: 7 })],
  ];
  for (const [name, make] of fqs) {
    it(name, async () => {
      const fq = make();
      calibrate(fq, [8, 3, 4]);
      freeze(fq);
      await expectSameAsOrt(fq, [[1, 3, 4]], { atol: stepOf(fq) });
    });
  }

  it('prepareQat (4-bit weights, fake-quantized activations): QatLinear, ReLU, QatLinear', async () => {
    const net = prepareQat(new Sequential(new Linear(6, 8, { rng: rng() }), new ReLU(), new Linear(8, 3, { rng: rng() })), { weightBits: 4 });
    randomizeParameters(net);
    calibrate(net, [8, 6]);
    freeze(net);
    const out = (net[2] as unknown as { activationPostProcess: FakeQuantize }).activationPostProcess;
    await expectSameAsOrt(net, [[1, 6]], { atol: stepOf(out) });
  });

  it('exporting a QAT model leaves its fake quantizers\' ranges as they were (the trace observes nothing)', () => {
    const net = prepareQat(new Sequential(new Linear(3, 4, { rng: rng() }), new ReLU(), new Linear(4, 2, { rng: rng() })));
    calibrate(net, [8, 3]);
    const state = (): string => JSON.stringify(net.modules().filter((q) => q instanceof FakeQuantize).map((q) => q.stateDict()));
    const before = state();
    exportOnnx(net, { inputShape: [2, 3] });
    expect(state()).toBe(before);
    expect(net.training).toBe(true);
  });

  it('prepareQat of fused Conv2d+ReLU and Linear (QatConv2d with relu, per-tensor weights)', async () => {
    const net = new Sequential(new Conv2d(2, 3, 3, { rng: rng() }), new ReLU(), new Flatten(), new Linear(12, 2, { rng: rng() }));
    randomizeParameters(net);
    prepareQat(fuseModules(net.eval()), { perChannel: false });
    calibrate(net, [8, 2, 4, 4]);
    freeze(net);
    expect(net[0].constructor.name).toBe('QatConv2d');
    const out = (net[3] as unknown as { activationPostProcess: FakeQuantize }).activationPostProcess;
    await expectSameAsOrt(net, [[1, 2, 4, 4]], { atol: stepOf(out) });
  });

  it('prepareQat with activations: false (fake-quantized weights only) matches at atol 1e-4', async () => {
    const net = prepareQat(new MLP({ inFeatures: 4, hiddenSizes: [6], outFeatures: 2, rng: rng() }), { activations: false, weightBits: 3 });
    calibrate(net, [8, 4]);
    freeze(net);
    await expectSameAsOrt(net, [[1, 4]]);
  });
});

describe('exportOnnx: quantized recurrent layers', () => {
  it('QuantizedLSTM and QuantizedGRU are ArgumentErrors naming the class and the path', () => {
    const clf = quantizeDynamic(new RecurrentClassifier({ inputSize: 3, hiddenSize: 4, numClasses: 2, rng: rng() }));
    expectThrows(() => exportOnnx(clf, { inputShape: [1, 5, 3] }), ArgumentError, 'module rnn (QuantizedLSTM)', 'no ONNX mapping', 'export the float model');
    const seq = quantizeDynamic(new Sequential(new GRU(3, 4, { rng: rng() })), { modules: [GRU] });
    expectThrows(() => exportOnnx(seq, { inputShape: [1, 5, 3] }), ArgumentError, 'module 0 (QuantizedGRU)', 'no ONNX mapping');
  });
});

describe('exportOnnx: quantized layers at opset 13', () => {
  it('QDQ with per-channel axes runs at opset 13 (the first opset with axis on QuantizeLinear)', async () => {
    const lin = new Linear(6, 4, { rng: rng() });
    randomizeParameters(lin);
    const q = QuantizedLinear.fromFloat(lin, { perChannel: true });
    q.train();
    await expectSameAsOrt(q, [[1, 6]], { exportOptions: { opset: 13 } });
  });
});
