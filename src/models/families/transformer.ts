import {
  ArgumentError, Generator, Parameter, ShapeError, Tensor, concat, defaultGenerator, expand, mean, noGrad, reshape, slice,
} from '../../tensor/index';
import { fmtShape } from '../../tensor/errors';
import { describe } from '../../tensor/shape';
import {
  Embedding, LayerNorm, Linear, Module, PositionalEncoding, TransformerEncoder, TransformerEncoderLayer, type ModuleConfig,
} from '../../nn/index';
import { type Parsed, bool, checkArg, nonNeg, nonNegInt, oneOf, parseOptions, posInt, rng as rngCheck } from '../../tensor/options';
import { dropoutProb, idsBatch } from './util';

/** Options shared by {@link TransformerClassifier} and {@link TransformerLM}. */
export interface TransformerFamilyOptions {
  /** Token vocabulary size. Required. */
  vocabSize: number;
  /** Model width (default 32); must be divisible by nhead. */
  dModel?: number;
  /** Attention heads (default 2). */
  nhead?: number;
  /** Encoder layers (default 2). */
  numLayers?: number;
  /** Feed-forward width (default 4·dModel). */
  dimFeedforward?: number;
  /** Longest input the positional table covers (default 128). */
  maxLen?: number;
  /** Dropout in the layers and after the positional encoding, in training (default 0.1). */
  dropout?: number;
  /** Pre-norm layers with a final LayerNorm (default true; more stable for small models), else PyTorch's post-norm. */
  normFirst?: boolean;
  /** Generator of the initial weights and dropout masks (default: the global one). Not saved in config(). */
  rng?: Generator;
}

/** Options of {@link TransformerClassifier}. */
export interface TransformerClassifierOptions extends TransformerFamilyOptions {
  /** Classes. Required. */
  numClasses: number;
  /** 'cls' (default): a learned token prepended to the sequence, its output classifies; 'mean': the outputs averaged over time. */
  pooling?: 'cls' | 'mean';
}

/** Options of {@link TransformerLM.generate}. */
export interface GenerateOptions {
  /** Tokens to append. Required. */
  maxTokens: number;
  /** Softmax temperature (default 1); 0 is greedy (argmax, no randomness). */
  temperature?: number;
  /** Sample only among the k most probable tokens (default: all). */
  topK?: number;
  /** Generator of the samples (default: the global one). */
  rng?: Generator;
}

type Resolved = Required<Omit<TransformerFamilyOptions, 'rng'>>;
const FAMILY_SPEC = {
  vocabSize: posInt, dModel: posInt, nhead: posInt, numLayers: posInt, dimFeedforward: posInt, maxLen: posInt, dropout: dropoutProb,
  normFirst: bool, rng: rngCheck,
};

function resolveFamily(op: string, o: Parsed<typeof FAMILY_SPEC>): Resolved {
  const dModel = o.dModel ?? 32;
  const nhead = o.nhead ?? 2;
  if (dModel % nhead !== 0) throw new ArgumentError(`${op}: dModel ${dModel} must be divisible by nhead ${nhead}`);
  return {
    vocabSize: checkArg(op, 'vocabSize', o.vocabSize, posInt),
    dModel,
    nhead,
    numLayers: o.numLayers ?? 2,
    dimFeedforward: o.dimFeedforward ?? 4 * dModel,
    maxLen: o.maxLen ?? 128,
    dropout: o.dropout ?? 0.1,
    normFirst: o.normFirst ?? true,
  };
}

function buildEncoder(r: Resolved, rng: Generator): TransformerEncoder {
  return new TransformerEncoder(
    () => new TransformerEncoderLayer(r.dModel, r.nhead, { dimFeedforward: r.dimFeedforward, dropout: r.dropout, normFirst: r.normFirst, rng }),
    r.numLayers,
    { norm: r.normFirst ? new LayerNorm(r.dModel) : null },
  );
}

function checkIds(op: string, x: unknown, maxLen: number): Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor of token ids, got ${describe(x)}`);
  if (x.ndim !== 2 || x.shape[1] === 0) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} must be token ids [B, T] with T ≥ 1`);
  if (x.shape[1] > maxLen) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} is longer than maxLen ${maxLen}`);
  return x;
}

/**
 * Transformer encoder classifier (Vaswani et al. 2017; the [CLS] pooling of BERT, Devlin et al.
 * 2019): token embedding + sinusoidal positions → a stack of encoder layers → pooled vector →
 * Linear. With 'cls' pooling a learned vector `cls` is prepended at position 0 and its final state
 * classifies; with 'mean' the final states are averaged over time. Sequences of a batch share one
 * length (no padding mask).
 * Shapes: x ids (B, T), T ≤ maxLen (T + 1 ≤ maxLen with 'cls') → logits (B, numClasses).
 * Init: embedding N(0, 1), cls N(0, 0.02²), layers as {@link TransformerEncoderLayer}, head as `Linear`.
 * @example
 * const clf = new TransformerClassifier({ vocabSize: 10, numClasses: 3, dModel: 16, nhead: 2, numLayers: 1, rng: new Generator(0) });
 * clf.forward(tensor([[1, 2, 3, 4], [5, 6, 7, 8]])).shape; // [2, 3]
 * @throws ArgumentError on a malformed option (dModel not divisible by nhead, …); ShapeError from forward.
 * @see Vaswani et al., "Attention Is All You Need" (2017), https://arxiv.org/abs/1706.03762
 * @see Devlin et al., "BERT" (2019), https://arxiv.org/abs/1810.04805
 * @category Models
 */
export class TransformerClassifier extends Module {
  /** Token embedding [vocabSize, dModel]. */
  readonly embedding: Embedding;
  /** The learned [CLS] vector [dModel] ('cls' pooling), else null. */
  readonly cls: Parameter | null;
  /** Sinusoidal positions up to maxLen, with dropout in training. */
  readonly posEncoding: PositionalEncoding;
  /** The stack of numLayers encoder layers (with a final LayerNorm when normFirst). */
  readonly encoder: TransformerEncoder;
  /** Linear head, dModel → numClasses. */
  readonly head: Linear;
  private readonly opts: Resolved & { numClasses: number; pooling: 'cls' | 'mean' };

  constructor(options: TransformerClassifierOptions) {
    super();
    const op = 'TransformerClassifier';
    const o = parseOptions(op, options, { ...FAMILY_SPEC, numClasses: posInt, pooling: oneOf(['cls', 'mean'] as const) });
    const r = resolveFamily(op, o);
    const numClasses = checkArg(op, 'numClasses', o.numClasses, posInt);
    const pooling = o.pooling ?? 'cls';
    const rng = o.rng ?? defaultGenerator();
    this.embedding = new Embedding(r.vocabSize, r.dModel, { rng });
    this.cls = pooling === 'cls' ? Parameter.normal([r.dModel], 0, 0.02, rng) : null;
    this.posEncoding = new PositionalEncoding(r.dModel, { maxLen: r.maxLen, dropout: r.dropout, rng });
    this.encoder = buildEncoder(r, rng);
    this.head = new Linear(r.dModel, numClasses, { rng });
    this.opts = { ...r, numClasses, pooling };
  }

  /** Logits (B, numClasses). */
  forward(x: Tensor): Tensor {
    const op = 'TransformerClassifier';
    const { dModel: E, maxLen } = this.opts;
    const ids = checkIds(op, x, maxLen);
    const B = ids.shape[0], T = ids.shape[1];
    let h = this.embedding.forward(ids);
    if (this.cls !== null) {
      if (T + 1 > maxLen) throw new ShapeError(`${op}: x ${fmtShape(ids.shape)} plus the cls token is longer than maxLen ${maxLen}`);
      h = concat([expand(reshape(this.cls, [1, 1, E]), [B, 1, E]), h], 1);
    }
    h = this.encoder.forward(this.posEncoding.forward(h));
    const pooled = this.cls !== null ? reshape(slice(h, [null, 0]), [B, E]) : mean(h, { axis: 1 });
    return this.head.forward(pooled);
  }

  /** `{ type: 'TransformerClassifier', options }` with every option resolved (rng excepted). */
  override config(): ModuleConfig {
    return { type: 'TransformerClassifier', options: { ...this.opts } };
  }
}

/**
 * Causal transformer language model (a decoder-only stack as in GPT, Radford et al. 2018, built
 * from Vaswani et al.'s encoder layers with a causal mask): token embedding + sinusoidal positions
 * → encoder layers where position t attends to 0 … t → Linear to next-token logits. Train with
 * `sequenceCrossEntropy(model.forward(x), y)` where y is x shifted left by one.
 * Shapes: x ids (B, T), T ≤ maxLen → logits (B, T, vocabSize); logits[b, t] predict token t + 1.
 * Init: embedding N(0, 1), layers as {@link TransformerEncoderLayer}, head as `Linear`.
 * @example
 * const lm = new TransformerLM({ vocabSize: 8, dModel: 16, nhead: 2, numLayers: 1, maxLen: 16, rng: new Generator(0) });
 * lm.forward(tensor([[1, 2, 3]])).shape; // [1, 3, 8]
 * lm.generate([1, 2, 3], { maxTokens: 4, temperature: 0 }).length; // 7
 * @throws ArgumentError on a malformed option; ShapeError from forward.
 * @see Vaswani et al., "Attention Is All You Need" (2017), https://arxiv.org/abs/1706.03762
 * @see Radford et al., "Improving Language Understanding by Generative Pre-Training" (2018).
 * @category Models
 */
export class TransformerLM extends Module {
  /** Token embedding [vocabSize, dModel]. */
  readonly embedding: Embedding;
  /** Sinusoidal positions up to maxLen, with dropout in training. */
  readonly posEncoding: PositionalEncoding;
  /** The stack of numLayers encoder layers, run with a causal mask (with a final LayerNorm when normFirst). */
  readonly encoder: TransformerEncoder;
  /** Linear head, dModel → vocabSize (next-token logits). */
  readonly head: Linear;
  private readonly opts: Resolved;

  constructor(options: TransformerFamilyOptions) {
    super();
    const op = 'TransformerLM';
    const o = parseOptions(op, options, FAMILY_SPEC);
    const r = resolveFamily(op, o);
    const rng = o.rng ?? defaultGenerator();
    this.embedding = new Embedding(r.vocabSize, r.dModel, { rng });
    this.posEncoding = new PositionalEncoding(r.dModel, { maxLen: r.maxLen, dropout: r.dropout, rng });
    this.encoder = buildEncoder(r, rng);
    this.head = new Linear(r.dModel, r.vocabSize, { rng });
    this.opts = r;
  }

  /** Next-token logits (B, T, vocabSize) at every position. */
  forward(x: Tensor): Tensor {
    const ids = checkIds('TransformerLM', x, this.opts.maxLen);
    return this.head.forward(this.encoder.forward(this.posEncoding.forward(this.embedding.forward(ids)), { isCausal: true }));
  }

  /**
   * Autoregressive sampling: appends `maxTokens` tokens one at a time, each drawn from
   * softmax(logits / temperature) of the last position (restricted to the topK most probable), or
   * the argmax when temperature is 0. The context is the last maxLen tokens. Runs without
   * gradients in eval mode (restored after); each step reruns the whole context (no KV cache).
   * Returns the prompt followed by the new tokens.
   * @throws ArgumentError for an empty prompt, a token outside the vocabulary or bad options.
   */
  generate(prompt: number[] | Int32Array, options: GenerateOptions): number[] {
    const op = 'TransformerLM.generate';
    const o = parseOptions(op, options, { maxTokens: nonNegInt, temperature: nonNeg, topK: posInt, rng: rngCheck });
    const maxTokens = checkArg(op, 'maxTokens', o.maxTokens, nonNegInt);
    const temperature = o.temperature ?? 1;
    const V = this.opts.vocabSize;
    const topK = o.topK === undefined ? V : Math.min(V, o.topK);
    const rng = o.rng ?? defaultGenerator();
    const seq = Array.from(idsBatch(op, prompt).data);
    seq.forEach((t, i) => {
      if (!Number.isInteger(t) || t < 0 || t >= V) throw new ArgumentError(`${op}: prompt[${i}] = ${t} is not a token id in [0, ${V - 1}]`);
    });
    const was = this.training;
    this.eval();
    try {
      noGrad(() => {
        const probs = new Float64Array(V);
        const order = new Int32Array(V);
        for (let n = 0; n < maxTokens; n++) {
          const ctx = seq.slice(Math.max(0, seq.length - this.opts.maxLen));
          const logits = this.forward(new Tensor(Float32Array.from(ctx), [1, ctx.length])).data;
          const off = (ctx.length - 1) * V;
          seq.push(temperature === 0 ? argmaxRow(logits, off, V) : sampleRow(logits, off, V, temperature, topK, probs, order, rng));
        }
      });
    } finally {
      this.train(was);
    }
    return seq;
  }

  /** `{ type: 'TransformerLM', options }` with every option resolved (rng excepted). */
  override config(): ModuleConfig {
    return { type: 'TransformerLM', options: { ...this.opts } };
  }
}

function argmaxRow(d: Float32Array, off: number, V: number): number {
  let best = 0;
  for (let v = 1; v < V; v++) if (d[off + v] > d[off + best]) best = v;
  return best;
}

/** Draws from softmax(d[off … off + V) / τ) over the topK largest entries. */
function sampleRow(d: Float32Array, off: number, V: number, tau: number, topK: number, probs: Float64Array, order: Int32Array, rng: Generator): number {
  for (let v = 0; v < V; v++) order[v] = v;
  if (topK < V) order.sort((a, b) => d[off + b] - d[off + a]);
  let m = -Infinity;
  for (let i = 0; i < topK; i++) m = Math.max(m, d[off + order[i]]);
  let z = 0;
  for (let i = 0; i < topK; i++) {
    probs[i] = Math.exp((d[off + order[i]] - m) / tau);
    z += probs[i];
  }
  let u = rng.random() * z;
  for (let i = 0; i < topK; i++) {
    u -= probs[i];
    if (u < 0) return order[i];
  }
  return order[topK - 1];
}
