import { describe, expect, it } from 'vitest';
import { SparseLinear } from '../../../src/compress/index';
import { exportOnnx } from '../../../src/io/onnx/export';
import { onnxInfo } from '../../../src/io/onnx/info';
import { Autoencoder, RecurrentClassifier } from '../../../src/models/index';
import {
  AdaptiveAvgPool2d, Conv2d, ConvTranspose2d, LSTM, Linear, Module as ModuleBase, ReLU, Sequential, TransformerEncoder, TransformerEncoderLayer, type Module,
} from '../../../src/nn/index';
import { ArgumentError, Generator, type Tensor } from '../../../src/tensor/index';
import { expectThrows } from '../../helpers/check';
import { expectSameAsOrt, randomizeParameters } from './export-helpers';

const rng = () => new Generator(3);

const cases: [string, () => Module, number[]][] = [
  ['ConvTranspose2d', () => new ConvTranspose2d(2, 3, 3, { rng: rng() }), [1, 2, 4, 5]],
  ['ConvTranspose2d (stride, padding, outputPadding)', () => new ConvTranspose2d(2, 3, 4, { stride: 2, padding: 1, outputPadding: 1, rng: rng() }), [1, 2, 4, 4]],
  ['ConvTranspose2d (groups, dilation, rectangular)', () => new ConvTranspose2d(4, 6, [3, 2], { stride: [1, 2], padding: [1, 0], dilation: [2, 1], groups: 2, bias: false, rng: rng() }), [1, 4, 5, 3]],
  ['Conv2d → ReLU → ConvTranspose2d', () => new Sequential(new Conv2d(1, 2, 3, { stride: 2, padding: 1, rng: rng() }), new ReLU(), new ConvTranspose2d(2, 1, 4, { stride: 2, padding: 1, rng: rng() })), [1, 1, 8, 8]],
  ['Autoencoder', () => new Autoencoder({ inputSize: 8, latentDim: 3, channels: [2, 4], rng: rng() }), [1, 1, 8, 8]],
  ['Autoencoder (3 channels, rectangular)', () => new Autoencoder({ inChannels: 3, inputSize: [4, 8], latentDim: 5, channels: [4], rng: rng() }), [1, 3, 4, 8]],
];

describe('exportOnnx: transposed convolutions and the Autoencoder run in onnxruntime with our outputs (atol 1e-4) at batch sizes 2 and 5', () => {
  for (const [name, make, shape] of cases) {
    it(name, async () => {
      const m = make();
      randomizeParameters(m);
      await expectSameAsOrt(m, [shape]);
    });
  }
});

describe('exportOnnx: a sparse Linear, names and errors of the several-input, several-output form', () => {
  it('SparseLinear (from a pruned Linear) runs as the dense product, on 2-d and 3-d input', async () => {
    const lin = new Linear(6, 4, { rng: rng() });
    randomizeParameters(lin);
    for (let i = 0; i < lin.weight.size; i++) if (i % 3 !== 0) lin.weight.data[i] = 0;
    const s = SparseLinear.fromDense(lin);
    s.train();
    await expectSameAsOrt(s, [[1, 6]]);
    await expectSameAsOrt(s, [[1, 2, 6]]);
  });

  it('a module with no mapping inside a transformer stack or a recurrent family names its path', () => {
    class Custom extends ModuleBase {
      forward(x: Tensor): Tensor { return x; }
    }
    const enc = new TransformerEncoder(() => new TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }), 2);
    (enc.layers as Module[])[1] = new Custom() as never;
    expectThrows(() => exportOnnx(enc, { inputShape: [1, 3, 4] }), ArgumentError, 'module layers.1 (Custom) has no ONNX mapping');
    const clf = new RecurrentClassifier({ inputSize: 3, hiddenSize: 4, numClasses: 2, rng: rng() });
    (clf as unknown as { head: Module }).head = new Custom();
    expectThrows(() => exportOnnx(clf, { inputShape: [1, 5, 3] }), ArgumentError, 'module head (Custom)');
  });

  it('an AdaptiveAvgPool2d whose output size does not divide its input is an ArgumentError naming the sizes', () => {
    const net = new Sequential(new Conv2d(1, 2, 3, { rng: rng() }), new AdaptiveAvgPool2d([2, 3]));
    expectThrows(() => exportOnnx(net, { inputShape: [1, 1, 7, 7] }), ArgumentError, 'module 1 (AdaptiveAvgPool2d)', 'output size 2×3', '5×5 input');
  });

  it('inputNames and outputNames must fit the inputs and outputs', () => {
    const lin = new Linear(2, 2, { rng: rng() });
    expectThrows(() => exportOnnx(lin, { inputShape: [1, 2], inputNames: ['a', 'b'] }), ArgumentError, 'inputNames has 2 names for 1 input');
    expectThrows(() => exportOnnx(lin, { inputShape: [1, 2], outputNames: ['y', 'h'] }), ArgumentError, 'outputNames has 2 names but the model has 1 output');
    expectThrows(() => exportOnnx(lin, { inputShape: [[1, 2], [1, 2]] }), ArgumentError, 'module (root) (Linear) takes one input, got 2');
    expectThrows(() => exportOnnx(lin, { inputShape: [1, 2], forwardOptions: { isCausal: true } }), ArgumentError, 'takes no forward options');
    expectThrows(() => exportOnnx(lin, { inputShape: [[1, 2], [1, 2], [1, 2], [1, 2]] }), ArgumentError, 'inputShape');
    expectThrows(() => exportOnnx(new LSTM(2, 3), { inputShape: [1, 4, 2], outputNames: ['y', 'y'] }), ArgumentError, 'output names must differ');
    expect(onnxInfo(exportOnnx(new LSTM(2, 3), { inputShape: [1, 4, 2], inputNames: ['x'], outputNames: ['y'] })).outputs.map((o) => o.name)).toEqual(['y', 'hN', 'cN']);
  });
});
