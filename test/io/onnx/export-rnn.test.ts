import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../../../src/io/onnx/export';
import { RecurrentClassifier, Seq2Seq, SequenceTagger } from '../../../src/models/index';
import { GRU, LSTM, RNN, type Module } from '../../../src/nn/index';
import { onnxInfo } from '../../../src/io/onnx/info';
import { Generator, Tensor, randn, tensor } from '../../../src/tensor/index';
import { expectSameAsOrt, randomizeParameters, runOrt } from './export-helpers';

const rng = () => new Generator(5);

type Out = { output: Tensor; hN: Tensor; cN?: Tensor };
const outputs = (m: Module) => (xs: Tensor[]): Tensor[] => {
  const r = (m.forward as (t: Tensor) => Out)(xs[0]);
  return r.cN ? [r.output, r.hN, r.cN] : [r.output, r.hN];
};

const layers: [string, () => Module][] = [
  ['LSTM', () => new LSTM(3, 4, { rng: rng() })],
  ['LSTM, 2 layers', () => new LSTM(3, 4, { numLayers: 2, rng: rng() })],
  ['LSTM, bidirectional', () => new LSTM(3, 4, { bidirectional: true, rng: rng() })],
  ['LSTM, 2 layers, bidirectional, dropout between layers (eval: none)', () => new LSTM(3, 4, { numLayers: 2, bidirectional: true, dropout: 0.3, rng: rng() })],
  ['LSTM without bias', () => new LSTM(3, 4, { bias: false, rng: rng() })],
  ['GRU', () => new GRU(3, 4, { rng: rng() })],
  ['GRU, 2 layers', () => new GRU(3, 4, { numLayers: 2, rng: rng() })],
  ['GRU, bidirectional', () => new GRU(3, 4, { bidirectional: true, rng: rng() })],
  ['GRU, 2 layers, bidirectional', () => new GRU(3, 5, { numLayers: 2, bidirectional: true, rng: rng() })],
  ['RNN (tanh)', () => new RNN(3, 4, { rng: rng() })],
  ['RNN (relu), 2 layers, bidirectional', () => new RNN(3, 4, { numLayers: 2, bidirectional: true, nonlinearity: 'relu', rng: rng() })],
];

describe('exportOnnx: recurrent layers run in onnxruntime with our output, hN and cN (atol 1e-4) at batch sizes 2 and 5', () => {
  for (const [name, make] of layers) {
    it(name, async () => {
      const m = make();
      randomizeParameters(m);
      await expectSameAsOrt(m, [[1, 6, 3]], { forward: outputs(m) });
    });
  }

  it('the graph has one ONNX node per layer and names the outputs output, hN, cN', async () => {
    const info = onnxInfo(exportOnnx(new LSTM(3, 4, { numLayers: 2, bidirectional: true, rng: rng() }), { inputShape: [1, 6, 3] }));
    expect(info.opCounts.LSTM).toBe(2);
    expect(info.outputs.map((o) => o.name)).toEqual(['output', 'hN', 'cN']);
    expect(info.outputs[1].shape).toEqual([4, 'batch', 4]);
    const gru = onnxInfo(exportOnnx(new GRU(3, 4, { rng: rng() }), { inputShape: [1, 6, 3], outputNames: ['y', 'h'] }));
    expect(gru.outputs.map((o) => o.name)).toEqual(['y', 'h']);
  });
});

describe('exportOnnx: recurrent families', () => {
  const ids = (b: number): Tensor[] => [tensor(Array.from({ length: b }, (_, i) => [i % 7, (i + 2) % 7, 6, 0, (3 * i) % 7]))];
  const families: [string, () => Module, number[], ((b: number) => Tensor[]) | undefined][] = [
    ['RecurrentClassifier (ids, LSTM, last)', () => new RecurrentClassifier({ vocabSize: 7, embeddingDim: 3, hiddenSize: 4, numClasses: 3, rng: rng() }), [1, 5], ids],
    ['RecurrentClassifier (ids, bidirectional 2-layer GRU, last)', () => new RecurrentClassifier({ vocabSize: 7, embeddingDim: 3, hiddenSize: 4, numLayers: 2, cell: 'gru', bidirectional: true, numClasses: 3, rng: rng() }), [1, 5], ids],
    ['RecurrentClassifier (features, bidirectional RNN, mean)', () => new RecurrentClassifier({ inputSize: 3, hiddenSize: 4, cell: 'rnn', bidirectional: true, pooling: 'mean', numClasses: 2, rng: rng() }), [1, 5, 3], undefined],
    ['SequenceTagger (ids, bidirectional LSTM)', () => new SequenceTagger({ vocabSize: 7, embeddingDim: 3, hiddenSize: 4, numTags: 3, rng: rng() }), [1, 5], ids],
  ];
  for (const [name, make, shape, inputs] of families) {
    it(name, async () => {
      const m = make();
      randomizeParameters(m);
      await expectSameAsOrt(m, [shape], { inputs });
    });
  }
});

describe('exportOnnx: recurrent layers with a fixed batch and at opset 13', () => {
  it('without dynamicBatch the shapes are fixed, hN included; opset 13 runs too', async () => {
    const m = new GRU(3, 4, { numLayers: 2, bidirectional: true, rng: rng() });
    randomizeParameters(m);
    m.eval();
    const x = randn([3, 6, 3], { rng: new Generator(2) });
    const want = m.forward(x);
    for (const o of [{ dynamicBatch: false }, { opset: 13 }]) {
      const bytes = exportOnnx(m, { inputShape: [3, 6, 3], ...o });
      const [y, h] = await runOrt(bytes, [x]);
      expect([...y.dims]).toEqual([3, 6, 8]);
      expect([...h.dims]).toEqual([4, 3, 4]);
      expect(Math.max(...y.data.map((v, i) => Math.abs(v - want.output.data[i])))).toBeLessThan(1e-4);
      expect(Math.max(...h.data.map((v, i) => Math.abs(v - want.hN.data[i])))).toBeLessThan(1e-4);
    }
    expect(onnxInfo(exportOnnx(m, { inputShape: [3, 6, 3], dynamicBatch: false })).outputs[1].shape).toEqual([4, 3, 4]);
  });
});

describe('exportOnnx: Seq2Seq (two inputs; the encoder state starts the decoder)', () => {
  const pair = (b: number): Tensor[] => [
    tensor(Array.from({ length: b }, (_, i) => [i % 6, (i + 1) % 6, 5, 2, 0, (4 * i) % 6])),
    tensor(Array.from({ length: b }, (_, i) => [1, (i + 2) % 7, 6, (5 * i) % 7])),
  ];
  const cases: [string, () => Module][] = [
    ['GRU, general attention', () => new Seq2Seq({ srcVocab: 6, tgtVocab: 7, embeddingDim: 4, hiddenSize: 5, bosToken: 1, rng: rng() })],
    ['LSTM, dot attention', () => new Seq2Seq({ srcVocab: 6, tgtVocab: 7, embeddingDim: 4, hiddenSize: 5, cell: 'lstm', attention: 'dot', bosToken: 1, rng: rng() })],
    ['LSTM, no attention', () => new Seq2Seq({ srcVocab: 6, tgtVocab: 7, embeddingDim: 4, hiddenSize: 5, cell: 'lstm', attention: 'none', bosToken: 1, rng: rng() })],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const m = make();
      randomizeParameters(m);
      await expectSameAsOrt(m, [[1, 6], [1, 4]], { inputs: pair, exportOptions: { inputNames: ['src', 'tgtIn'] } });
    });
  }
});
