import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../../../src/io/onnx/export';
import { onnxInfo } from '../../../src/io/onnx/info';
import { TransformerClassifier, TransformerLM } from '../../../src/models/index';
import {
  LayerNorm, MultiHeadAttention, PositionalEncoding, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
  TransformerEncoderLayer, generateSquareSubsequentMask, type Module,
} from '../../../src/nn/index';
import { ArgumentError, Generator, Tensor, tensor } from '../../../src/tensor/index';
import { expectThrows } from '../../helpers/check';
import { expectSameAsOrt, randomizeParameters } from './export-helpers';

const rng = () => new Generator(7);
const mha = (m: Module, o: Record<string, unknown> = {}) => (xs: Tensor[]): Tensor[] => {
  const [q, k, v] = xs.length === 1 ? [xs[0], xs[0], xs[0]] : xs;
  return [(m as MultiHeadAttention).forward(q, k, v, { ...o, needWeights: false }).output];
};
const layerOpts = { dimFeedforward: 12, dropout: 0.1 };

describe('exportOnnx: attention and the transformer layers run in onnxruntime with our outputs (atol 1e-4) at batch sizes 2 and 5', () => {
  it('MultiHeadAttention, self-attention (one input)', async () => {
    const m = new MultiHeadAttention(8, 2, { rng: rng() });
    randomizeParameters(m);
    await expectSameAsOrt(m, [[1, 5, 8]], { forward: mha(m) });
  });

  it('MultiHeadAttention, query, key and value (kdim, vdim, no bias), causal', async () => {
    const m = new MultiHeadAttention(8, 4, { kdim: 3, vdim: 5, bias: false, rng: rng() });
    randomizeParameters(m);
    await expectSameAsOrt(m, [[1, 4, 8], [1, 6, 3], [1, 6, 5]], { forward: mha(m, { isCausal: true }), exportOptions: { forwardOptions: { isCausal: true } } });
  });

  it('MultiHeadAttention with an additive [T, S] mask and a boolean one', async () => {
    const m = new MultiHeadAttention(6, 3, { rng: rng() });
    randomizeParameters(m);
    const add = tensor([[0, -1, -Infinity, 0.5], [0, 0, 0, -Infinity], [-2, 0, 1, 0], [0, -Infinity, 0, 0]]);
    await expectSameAsOrt(m, [[1, 4, 6]], { forward: mha(m, { attnMask: add }), exportOptions: { forwardOptions: { attnMask: add } } });
    const bool = [[false, true, false, false], [false, false, true, true], [true, false, false, false], [false, false, false, true]];
    await expectSameAsOrt(m, [[1, 4, 6]], { forward: mha(m, { attnMask: bool }), exportOptions: { forwardOptions: { attnMask: bool } } });
  });

  const encoders: [string, () => Module, Record<string, unknown>][] = [
    ['TransformerEncoderLayer (post-norm, relu)', () => new TransformerEncoderLayer(8, 2, { ...layerOpts, rng: rng() }), {}],
    ['TransformerEncoderLayer (pre-norm, gelu, causal)', () => new TransformerEncoderLayer(8, 4, { ...layerOpts, normFirst: true, activation: 'gelu', rng: rng() }), { isCausal: true }],
    ['TransformerEncoderLayer (srcMask)', () => new TransformerEncoderLayer(8, 2, { ...layerOpts, rng: rng() }), { srcMask: generateSquareSubsequentMask(5) }],
    ['TransformerEncoder (2 layers, final norm)', () => new TransformerEncoder((i) => new TransformerEncoderLayer(8, 2, { ...layerOpts, normFirst: true, rng: new Generator(i) }), 2, { norm: new LayerNorm(8) }), {}],
    ['PositionalEncoding', () => new PositionalEncoding(8, { maxLen: 20, dropout: 0.2 }), {}],
  ];
  for (const [name, make, fo] of encoders) {
    it(name, async () => {
      const m = make();
      randomizeParameters(m);
      const forwardOptions = Object.keys(fo).length > 0 ? fo : undefined;
      await expectSameAsOrt(m, [[1, 5, 8]], {
        forward: (xs) => [(m.forward as (x: Tensor, o?: unknown) => Tensor)(xs[0], forwardOptions)],
        exportOptions: forwardOptions ? { forwardOptions } : {},
      });
    });
  }

  const decoders: [string, () => Module, Record<string, unknown>][] = [
    ['TransformerDecoderLayer (post-norm, causal target)', () => new TransformerDecoderLayer(8, 2, { ...layerOpts, rng: rng() }), { tgtIsCausal: true }],
    ['TransformerDecoderLayer (pre-norm, gelu, memoryMask)', () => new TransformerDecoderLayer(8, 2, { ...layerOpts, normFirst: true, activation: 'gelu', rng: rng() }), { memoryMask: [[false, true, false, false, false, false], [false, false, false, true, false, false], [true, false, false, false, false, false], [false, false, false, false, false, true]] }],
    ['TransformerDecoder (2 layers, final norm)', () => new TransformerDecoder((i) => new TransformerDecoderLayer(8, 2, { ...layerOpts, rng: new Generator(i) }), 2, { norm: new LayerNorm(8) }), { tgtMask: generateSquareSubsequentMask(4) }],
  ];
  for (const [name, make, fo] of decoders) {
    it(name, async () => {
      const m = make();
      randomizeParameters(m);
      await expectSameAsOrt(m, [[1, 4, 8], [1, 6, 8]], {
        forward: (xs) => [(m.forward as (x: Tensor, mem: Tensor, o?: unknown) => Tensor)(xs[0], xs[1], fo)],
        exportOptions: { forwardOptions: fo, inputNames: ['tgt', 'memory'] },
      });
    });
  }
});

describe('exportOnnx: transformer families', () => {
  const ids = (b: number): Tensor[] => [tensor(Array.from({ length: b }, (_, i) => [i % 9, (i + 4) % 9, 8, 0, (2 * i) % 9]))];
  const families: [string, () => Module][] = [
    ['TransformerClassifier (cls pooling, pre-norm)', () => new TransformerClassifier({ vocabSize: 9, numClasses: 3, dModel: 8, nhead: 2, numLayers: 2, dimFeedforward: 12, rng: rng() })],
    ['TransformerClassifier (mean pooling, post-norm)', () => new TransformerClassifier({ vocabSize: 9, numClasses: 3, dModel: 8, nhead: 2, numLayers: 1, pooling: 'mean', normFirst: false, rng: rng() })],
    ['TransformerLM (causal)', () => new TransformerLM({ vocabSize: 9, dModel: 8, nhead: 2, numLayers: 2, dimFeedforward: 12, maxLen: 16, rng: rng() })],
  ];
  for (const [name, make] of families) {
    it(name, async () => {
      const m = make();
      randomizeParameters(m);
      await expectSameAsOrt(m, [[1, 5]], { inputs: ids });
    });
  }
});

describe('exportOnnx: attention errors', () => {
  it('a key padding mask, a per-head mask and the wrong number of inputs are ArgumentErrors naming the module', () => {
    const m = new MultiHeadAttention(4, 2, { rng: rng() });
    expectThrows(() => exportOnnx(m, { inputShape: [1, 3, 4], forwardOptions: { keyPaddingMask: [[false, false, true]] } }), ArgumentError, '(root) (MultiHeadAttention)', 'key padding mask');
    expectThrows(() => exportOnnx(m, { inputShape: [1, 3, 4], dynamicBatch: false, forwardOptions: { attnMask: Tensor.empty([2, 3, 3]) } }), ArgumentError, 'only a [T, S] = [3, 3] mask');
    expectThrows(() => exportOnnx(m, { inputShape: [[1, 3, 4], [1, 3, 4]] }), ArgumentError, 'one input (self-attention) or three');
    const enc = new TransformerEncoder(new TransformerEncoderLayer(4, 2, layerOpts), 1);
    expectThrows(() => exportOnnx(enc, { inputShape: [1, 3, 4], forwardOptions: { srcKeyPaddingMask: [[false, false, true]] } }), ArgumentError, 'layers.0.selfAttn (MultiHeadAttention)');
    expectThrows(() => exportOnnx(enc, { inputShape: [1, 3, 4], opset: 16 }), ArgumentError, 'layers.0.norm1 (LayerNorm)', 'opset 17');
  });

  it('a module whose forward takes no options refuses forwardOptions; inputs must share the batch', () => {
    expectThrows(() => exportOnnx(new PositionalEncoding(4), { inputShape: [1, 3, 4], forwardOptions: { isCausal: true } }), ArgumentError, 'takes no forward options');
    const dec = new TransformerDecoderLayer(4, 2, layerOpts);
    expectThrows(() => exportOnnx(dec, { inputShape: [[1, 3, 4], [2, 5, 4]] }), ArgumentError, 'share the batch axis');
    expect(onnxInfo(exportOnnx(dec, { inputShape: [[1, 3, 4], [1, 5, 4]] })).inputs.map((i) => i.name)).toEqual(['input', 'input_1']);
  });
});
