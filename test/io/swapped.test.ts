import { describe, expect, it } from 'vitest';
import { FormatError, Generator, Tensor, randn } from '../../src/tensor/index';
import { Linear, ReLU, Sequential } from '../../src/nn/index';
import { QatLinear, QuantizedLSTM, QuantizedLinear, prepareQat, quantizeDynamic } from '../../src/compress/index';
import { loadModel, loadSafetensors, saveModel, saveSafetensors } from '../../src/io/index';
import { CNN, MLP, RecurrentClassifier, familyFactories } from '../../src/models/index';
import { expectThrows } from '../helpers/check';

/** Save, load with the families registered, and compare outputs on x. */
function roundTrip(model: { forward(x: Tensor): Tensor } & Parameters<typeof saveModel>[0], x: Tensor) {
  const back = loadModel(saveModel(model), { registry: familyFactories }).model as unknown as { forward(x: Tensor): Tensor; namedModules(): [string, object][] };
  expect(Array.from(back.forward(x).data)).toEqual(Array.from(model.forward(x).data));
  return back;
}

describe('compress modules inside model families survive saveModel / loadModel', () => {
  it('a dynamically quantized RecurrentClassifier loads back with its QuantizedLSTM and QuantizedLinear head (int8, not float)', () => {
    const m = quantizeDynamic(new RecurrentClassifier({ vocabSize: 5, embeddingDim: 4, hiddenSize: 8, cell: 'lstm', numClasses: 2, rng: new Generator(1) }));
    const back = roundTrip(m, new Tensor(Float32Array.from([1, 2, 3, 4, 0, 1]), [2, 3]));
    const types = new Map(back.namedModules().map(([p, x]) => [p, x]));
    expect(types.get('rnn')).toBeInstanceOf(QuantizedLSTM);
    expect(types.get('head')).toBeInstanceOf(QuantizedLinear);
  });

  it('a quantized MLP family and a QAT-prepared CNN family', () => {
    const mlp = quantizeDynamic(new MLP({ inFeatures: 6, hiddenSizes: [8], outFeatures: 3, rng: new Generator(2) }));
    roundTrip(mlp, randn([4, 6], { rng: new Generator(3) }));
    const cnn = prepareQat(new CNN({ inChannels: 1, inputSize: 8, numClasses: 3, blocks: [{ channels: 4 }], rng: new Generator(4) }));
    cnn.eval();
    const back = roundTrip(cnn, randn([2, 1, 8, 8], { rng: new Generator(5) }));
    expect(back.namedModules().some(([, x]) => x instanceof QatLinear)).toBe(true);
  });

  it('a Sequential of compress modules (rebuilt from its children configs already) loads as before', () => {
    const seq = quantizeDynamic(new Sequential(new Linear(3, 4, { rng: new Generator(6) }), new ReLU(), new Linear(4, 2, { rng: new Generator(7) })));
    roundTrip(seq, randn([2, 3], { rng: new Generator(8) }));
  });

  it('a recorded path the model does not have is a typed error', () => {
    const m = quantizeDynamic(new MLP({ inFeatures: 2, hiddenSizes: [3], outFeatures: 2, rng: new Generator(9) }));
    const { tensors, metadata } = loadSafetensors(saveModel(m));
    const md = { ...metadata, replaced: JSON.stringify({ nowhere: { type: 'QuantizedLinear', options: {} } }) };
    expectThrows(() => loadModel(saveSafetensors(tensors as never, md), { registry: familyFactories }), FormatError, 'replaced["nowhere"]', 'no submodule');
  });
});
