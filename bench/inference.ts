import { Generator, Tensor, noGrad } from '../src/tensor/index';
import type { Module } from '../src/nn/index';
import {
  Autoencoder, CNN, MLP, RecurrentClassifier, Seq2Seq, SequenceTagger, TransformerClassifier, TransformerLM, Word2Vec,
} from '../src/models/families/index';
import { isMain, makeRow, measure, toMarkdown, type BenchRow } from './util';

const BATCH = 64;

export const inferenceNotes = [
  `model families: inference throughput (samples/s, higher is better) of one forward pass in eval mode without gradients, ` +
    `at batch ${BATCH} (the tensorkit column) and at batch 1 (the peer column); the ratio is how much batching buys. ` +
    'Seq2Seq rows time greedyDecode (encoder + 10 decoder steps + argmax) per source sequence; TransformerLM.generate ' +
    'appends 16 tokens to an 8-token prompt (tokens/s, batch 1 only, no KV cache); Word2Vec times mostSimilar ' +
    '(queries/s, cosine over the whole vocabulary). Weights are random (throughput does not depend on them); best time over ' +
    'a time budget after one warm-up call.',
];

function ids(B: number, T: number, V: number, seed: number): Tensor {
  const rng = new Generator(seed);
  const d = new Float32Array(B * T);
  for (let i = 0; i < d.length; i++) d[i] = rng.randint(0, V);
  return new Tensor(d, [B, T]);
}

function images(B: number, C: number, H: number, W: number, seed: number): Tensor {
  return new Tensor(new Generator(seed).fillUniform(new Float32Array(B * C * H * W)), [B, C, H, W]);
}

interface Case {
  name: string;
  size: string;
  model: Module;
  input: (B: number) => Tensor;
}

/** Samples per second of `run(B)`, which processes B samples. */
function throughput(B: number, run: () => void, budgetMs: number): number {
  return B / measure(run, { budgetMs });
}

/** Inference throughput of every model family at batch 1 and batch 64. */
export async function benchInference(): Promise<BenchRow[]> {
  const rng = (): Generator => new Generator(0);
  const cases: Case[] = [
    {
      name: 'MLP forward', size: '64 → 256 → 256 → 10',
      model: new MLP({ inFeatures: 64, hiddenSizes: [256, 256], outFeatures: 10, rng: rng() }),
      input: (B) => new Tensor(new Generator(1).fillNormal(new Float32Array(B * 64)), [B, 64]),
    },
    {
      name: 'CNN forward', size: '1×28×28, blocks 16, 32, 10 classes',
      model: new CNN({ inputSize: 28, numClasses: 10, blocks: [{ channels: 16 }, { channels: 32 }], rng: rng() }),
      input: (B) => images(B, 1, 28, 28, 1),
    },
    {
      name: 'RecurrentClassifier (LSTM) forward', size: 'T 32, V 1000, E 64, H 128',
      model: new RecurrentClassifier({ vocabSize: 1000, embeddingDim: 64, hiddenSize: 128, cell: 'lstm', numClasses: 5, rng: rng() }),
      input: (B) => ids(B, 32, 1000, 1),
    },
    {
      name: 'SequenceTagger (biLSTM) forward', size: 'T 32, V 1000, E 64, H 64',
      model: new SequenceTagger({ vocabSize: 1000, embeddingDim: 64, hiddenSize: 64, numTags: 9, rng: rng() }),
      input: (B) => ids(B, 32, 1000, 1),
    },
    {
      name: 'TransformerClassifier forward', size: 'T 32, d 64, 4 heads, 2 layers, ff 256',
      model: new TransformerClassifier({ vocabSize: 1000, dModel: 64, nhead: 4, numLayers: 2, dimFeedforward: 256, numClasses: 5, rng: rng() }),
      input: (B) => ids(B, 32, 1000, 1),
    },
    {
      name: 'TransformerLM forward', size: 'T 32, d 64, 4 heads, 2 layers, V 256',
      model: new TransformerLM({ vocabSize: 256, dModel: 64, nhead: 4, numLayers: 2, dimFeedforward: 256, rng: rng() }),
      input: (B) => ids(B, 32, 256, 1),
    },
    {
      name: 'Autoencoder reconstruct', size: '1×28×28, channels 16, 32, latent 16',
      model: new Autoencoder({ inputSize: 28 + 4, latentDim: 16, channels: [16, 32], rng: rng() }),
      input: (B) => images(B, 1, 32, 32, 1),
    },
  ];
  // The autoencoder needs sizes divisible by 4: it runs at 32×32 (28×28 padded).
  cases[6].size = '1×32×32, channels 16, 32, latent 16';

  const rows: BenchRow[] = [];
  for (const c of cases) {
    c.model.eval();
    const fwd = c.model.forward as (x: Tensor) => Tensor;
    const x1 = c.input(1), xB = c.input(BATCH);
    const one = throughput(1, () => noGrad(() => fwd.call(c.model, x1)), 300);
    const many = throughput(BATCH, () => noGrad(() => fwd.call(c.model, xB)), 600);
    rows.push(makeRow(c.name, c.size, 'samples/s', many, { 'batch 1': one }));
  }

  const s2s = new Seq2Seq({ srcVocab: 32, tgtVocab: 34, embeddingDim: 32, hiddenSize: 128, bosToken: 32, rng: rng() });
  const src1 = ids(1, 10, 32, 2), srcB = ids(BATCH, 10, 32, 2);
  rows.push(makeRow('Seq2Seq greedyDecode', 'S 10 → 10 tokens, H 128, general attention', 'samples/s',
    throughput(BATCH, () => s2s.greedyDecode(srcB, { maxLen: 10 }), 600),
    { 'batch 1': throughput(1, () => s2s.greedyDecode(src1, { maxLen: 10 }), 300) }));
  const beam1 = throughput(1, () => s2s.beamSearch(src1, { beamWidth: 4, maxLen: 10 }), 300);
  rows.push(makeRow('Seq2Seq beamSearch (width 4)', 'S 10 → 10 tokens, H 128', 'samples/s', beam1, {}));

  const lm = cases[5].model as TransformerLM;
  const prompt = Array.from(ids(1, 8, 256, 3).data);
  rows.push(makeRow('TransformerLM generate', 'prompt 8 + 16 tokens', 'tokens/s',
    throughput(16, () => lm.generate(prompt, { maxTokens: 16, temperature: 0 }), 500), {}));

  const w2v = new Word2Vec({ vocabSize: 10_000, embeddingDim: 100, rng: rng() });
  rows.push(makeRow('Word2Vec mostSimilar', 'V 10000, D 100, k 10', 'queries/s', throughput(1, () => w2v.mostSimilar(42, 10), 300), {}));
  return rows;
}

if (isMain(import.meta.url)) {
  const rows = await benchInference();
  console.log(toMarkdown(rows));
}
