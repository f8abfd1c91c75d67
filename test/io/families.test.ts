import { describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../../src/io/index';
import {
  Autoencoder, CNN, Detector, MLP, RecurrentClassifier, Seq2Seq, SequenceTagger, TransformerClassifier, TransformerLM, Word2Vec, familyFactories, VAE,
} from '../../src/models/index';
import type { Module } from '../../src/nn/index';
import { Adam } from '../../src/optim/index';
import { Generator, Tensor, noGrad, randn, tensor } from '../../src/tensor/index';

const rng = () => new Generator(5);
const ids = tensor([[1, 2, 3, 0], [3, 2, 1, 0]]);
/** One small instance of every family, with an input to compare outputs on. */
const cases: [string, Module, (m: Module) => Tensor][] = [
  ['MLP', new MLP({ inFeatures: 3, hiddenSizes: [4], outFeatures: 2, batchNorm: true, rng: rng() }), (m) => (m as MLP).forward(randn([2, 3], { rng: rng() }))],
  ['CNN', new CNN({ inChannels: 1, inputSize: 8, numClasses: 3, blocks: [{ channels: 2, batchNorm: true }], rng: rng() }), (m) => (m as CNN).forward(randn([2, 1, 8, 8], { rng: rng() }))],
  ['RecurrentClassifier', new RecurrentClassifier({ vocabSize: 4, embeddingDim: 3, hiddenSize: 4, cell: 'lstm', numClasses: 2, bidirectional: true, rng: rng() }), (m) => (m as RecurrentClassifier).forward(ids)],
  ['SequenceTagger', new SequenceTagger({ vocabSize: 4, embeddingDim: 3, hiddenSize: 4, cell: 'gru', numTags: 2, rng: rng() }), (m) => (m as SequenceTagger).forward(ids)],
  ['Seq2Seq', new Seq2Seq({ srcVocab: 4, tgtVocab: 5, embeddingDim: 3, hiddenSize: 4, cell: 'gru', attention: 'general', bosToken: 4, rng: rng() }), (m) => (m as Seq2Seq).forward(ids, ids)],
  ['TransformerClassifier', new TransformerClassifier({ vocabSize: 4, dModel: 8, nhead: 2, numLayers: 1, dimFeedforward: 8, maxLen: 8, dropout: 0, numClasses: 2, rng: rng() }), (m) => (m as TransformerClassifier).forward(ids)],
  ['TransformerLM', new TransformerLM({ vocabSize: 4, dModel: 8, nhead: 2, numLayers: 1, dimFeedforward: 8, maxLen: 8, dropout: 0, rng: rng() }), (m) => (m as TransformerLM).forward(ids)],
  ['Word2Vec', new Word2Vec({ vocabSize: 6, embeddingDim: 3, rng: rng() }), (m) => (m as Word2Vec).embeddings.detach()],
  ['Autoencoder', new Autoencoder({ inChannels: 1, inputSize: 8, latentDim: 2, channels: [2, 4], rng: rng() }), (m) => (m as Autoencoder).forward(randn([2, 1, 8, 8], { rng: rng() }))],
  ['Detector', new Detector({ inputSize: 8, numClasses: 2, channels: [2, 3], headChannels: 2, rng: rng() }), (m) => (m as Detector).forward(randn([2, 1, 8, 8], { rng: rng() }))],
  ['VAE', new VAE({ inChannels: 1, inputSize: 8, latentDim: 2, channels: [2, 4], rng: rng() }), (m) => (m as VAE).forward(randn([2, 1, 8, 8], { rng: rng() }))],
];

describe('model families through saveModel / loadModel', () => {
  it('familyFactories covers every family', () => {
    expect(Object.keys(familyFactories).sort()).toEqual(cases.map((c) => c[0]).sort());
  });

  for (const [name, model, run] of cases) {
    it(`${name}: the reloaded model gives identical outputs, and optimizer state comes back`, () => {
      const opt = new Adam(model.parameters(), { lr: 1e-2 });
      for (const p of model.parameters()) p.grad = new Float32Array(p.size).fill(0.1);
      opt.step();
      const bytes = saveModel(model, { optimizer: opt });
      const { model: back, optimizerState } = loadModel(bytes, { registry: familyFactories });
      expect(back.constructor.name).toBe(name);
      model.eval();
      back.eval();
      const a = noGrad(() => run(model)), b = noGrad(() => run(back));
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
      expect(JSON.stringify(optimizerState)).toBe(JSON.stringify(opt.stateDict()));
    });
  }
});
