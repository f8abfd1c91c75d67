import { ArgumentError, Generator, ShapeError, Tensor, defaultGenerator, mean, permute, reshape, slice } from '../../tensor/index';
import { fmtShape } from '../../tensor/errors';
import { describe } from '../../tensor/shape';
import { Dropout, Embedding, GRU, LSTM, Linear, Module, RNN, type ModuleConfig, type RecurrentOutput } from '../../nn/index';
import { type Parsed, bool, checkArg, nullable, oneOf, parseOptions, posInt, rng as rngCheck } from '../../tensor/options';
import { dropoutProb } from './util';

/** The recurrent cells the families can use. */
export type RecurrentCell = 'rnn' | 'lstm' | 'gru';
const CELLS: readonly RecurrentCell[] = ['rnn', 'lstm', 'gru'];

/** Input options shared by the recurrent families: token ids through an embedding, or features. */
export interface RecurrentInputOptions {
  /** Token vocabulary: inputs are ids [B, T] looked up in an Embedding. Give this or `inputSize`. */
  vocabSize?: number;
  /** Width of the embedding (default 16; only with `vocabSize`). */
  embeddingDim?: number;
  /** Features per step: inputs are [B, T, inputSize]. Give this or `vocabSize`. */
  inputSize?: number;
  /** Hidden units per direction (default 32). */
  hiddenSize?: number;
  /** Stacked recurrent layers (default 1). */
  numLayers?: number;
  /** The cell (default 'lstm'). */
  cell?: RecurrentCell;
  /** Dropout between recurrent layers and before the head, in training (default 0). */
  dropout?: number;
  /** Generator of the initial weights and dropout masks (default: the global one). Not saved in config(). */
  rng?: Generator;
}

/** Options of {@link RecurrentClassifier}. */
export interface RecurrentClassifierOptions extends RecurrentInputOptions {
  /** Classes. Required. */
  numClasses: number;
  /** A second direction reading the sequence backwards (default false). */
  bidirectional?: boolean;
  /**
   * How the sequence becomes one vector: 'last' (default) takes the final hidden state of the top
   * layer in each direction (hN), 'mean' averages the top layer's outputs over time.
   */
  pooling?: 'last' | 'mean';
}

/** Options of {@link SequenceTagger}. */
export interface SequenceTaggerOptions extends RecurrentInputOptions {
  /** Tags (classes per step). Required. */
  numTags: number;
  /** A second direction reading the sequence backwards (default true: a tag may depend on what follows). */
  bidirectional?: boolean;
}

interface Backbone {
  vocabSize: number | null;
  embeddingDim: number | null;
  inputSize: number | null;
  hiddenSize: number;
  numLayers: number;
  cell: RecurrentCell;
  bidirectional: boolean;
  dropout: number;
}

const INPUT_SPEC = {
  vocabSize: nullable(posInt), embeddingDim: nullable(posInt), inputSize: nullable(posInt), hiddenSize: posInt, numLayers: posInt,
  cell: oneOf(CELLS), dropout: dropoutProb, rng: rngCheck, bidirectional: bool,
};

function resolveBackbone(op: string, o: Parsed<typeof INPUT_SPEC>, bidirectionalDefault: boolean): Backbone {
  const hasVocab = o.vocabSize !== undefined && o.vocabSize !== null;
  const hasInput = o.inputSize !== undefined && o.inputSize !== null;
  if (hasVocab === hasInput) throw new ArgumentError(`${op}: give exactly one of vocabSize (token ids) and inputSize (features), got ${hasVocab ? 'both' : 'neither'}`);
  if (!hasVocab && o.embeddingDim !== undefined && o.embeddingDim !== null) throw new ArgumentError(`${op}: embeddingDim applies only with vocabSize`);
  return {
    vocabSize: hasVocab ? (o.vocabSize as number) : null,
    embeddingDim: hasVocab ? (o.embeddingDim ?? 16) : null,
    inputSize: hasInput ? (o.inputSize as number) : null,
    hiddenSize: o.hiddenSize ?? 32,
    numLayers: o.numLayers ?? 1,
    cell: o.cell ?? 'lstm',
    bidirectional: o.bidirectional ?? bidirectionalDefault,
    dropout: o.dropout ?? 0,
  };
}

function buildRnn(b: Backbone, rng: Generator): RNN | LSTM | GRU {
  const inSize = b.embeddingDim ?? (b.inputSize as number);
  const opts = { numLayers: b.numLayers, bidirectional: b.bidirectional, dropout: b.dropout, rng };
  return b.cell === 'lstm' ? new LSTM(inSize, b.hiddenSize, opts) : b.cell === 'gru' ? new GRU(inSize, b.hiddenSize, opts) : new RNN(inSize, b.hiddenSize, opts);
}

/** The [B, T, C] input of the recurrent layer: embedded ids or the features as given. */
function embedInput(op: string, b: Backbone, embedding: Embedding | null, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(x)}`);
  if (embedding !== null) {
    if (x.ndim !== 2) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} must be token ids [B, T] (vocabSize ${b.vocabSize})`);
    return embedding.forward(x);
  }
  if (x.ndim !== 3 || x.shape[2] !== b.inputSize) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} must be features [B, T, ${b.inputSize}]`);
  return x;
}

/**
 * Sequence classifier: [Embedding] → RNN | LSTM | GRU (stacked, optionally bidirectional) → pool
 * over time → [Dropout] → Linear. 'last' pooling reads the top layer's final hidden state in each
 * direction (for the reverse direction that is the state after reading the whole sequence
 * backwards), 'mean' averages the top layer's outputs over the T steps. All sequences of a batch
 * have one length (there is no padding mask: group sequences by length).
 * Shapes: x ids (B, T) with `vocabSize`, or features (B, T, inputSize) → logits (B, numClasses).
 * Init: Embedding N(0, 1); recurrent weights U(−1/√H, 1/√H); head as `Linear`.
 * @example
 * const clf = new RecurrentClassifier({ vocabSize: 4, numClasses: 2, cell: 'gru', bidirectional: true, rng: new Generator(0) });
 * clf.forward(tensor([[0, 1, 2], [3, 2, 1]])).shape; // [2, 2]
 * new RecurrentClassifier({ inputSize: 3, hiddenSize: 8, numClasses: 5, pooling: 'mean' }).forward(zeros([4, 6, 3])).shape; // [4, 5]
 * @throws ArgumentError unless exactly one of vocabSize and inputSize is given, or on a malformed
 * option; ShapeError from forward.
 * @see Hochreiter & Schmidhuber, "Long Short-Term Memory" (1997); Cho et al. (2014) for the GRU.
 * @category Models
 */
export class RecurrentClassifier extends Module {
  /** Token embedding [vocabSize, embeddingDim] when the input is ids (`vocabSize`), else null. */
  readonly embedding: Embedding | null;
  /** The recurrent stack (`cell`, `numLayers`, hidden size H, optionally bidirectional). */
  readonly rnn: RNN | LSTM | GRU;
  /** Dropout before the head (active in training only). */
  readonly dropout: Dropout;
  /** Linear head, (D·H) → numClasses, D = 2 if bidirectional else 1. */
  readonly head: Linear;
  private readonly opts: Backbone & { numClasses: number; pooling: 'last' | 'mean' };

  constructor(options: RecurrentClassifierOptions) {
    super();
    const op = 'RecurrentClassifier';
    const o = parseOptions(op, options, { ...INPUT_SPEC, numClasses: posInt, pooling: oneOf(['last', 'mean'] as const) });
    const b = resolveBackbone(op, o, false);
    const numClasses = checkArg(op, 'numClasses', o.numClasses, posInt);
    const pooling = o.pooling ?? 'last';
    const rng = o.rng ?? defaultGenerator();
    this.embedding = b.vocabSize === null ? null : new Embedding(b.vocabSize, b.embeddingDim as number, { rng });
    this.rnn = buildRnn(b, rng);
    this.dropout = new Dropout(b.dropout, { rng });
    this.head = new Linear((b.bidirectional ? 2 : 1) * b.hiddenSize, numClasses, { rng });
    this.opts = { ...b, numClasses, pooling };
  }

  /** Logits (B, numClasses) for a batch of sequences. */
  forward(x: Tensor): Tensor {
    const h = embedInput('RecurrentClassifier', this.opts, this.embedding, x);
    const { output, hN } = (this.rnn.forward as (t: Tensor) => RecurrentOutput)(h);
    const B = h.shape[0];
    const D = this.opts.bidirectional ? 2 : 1;
    let pooled: Tensor;
    if (this.opts.pooling === 'mean') pooled = mean(output, { axis: 1 });
    else {
      // hN is [L·D, B, H]; the top layer's directions are its last D entries.
      const LD = hN.shape[0];
      const top = slice(hN, [[LD - D, LD]]);
      pooled = D === 1 ? reshape(top, [B, this.opts.hiddenSize]) : reshape(permute(top, [1, 0, 2]), [B, D * this.opts.hiddenSize]);
    }
    return this.head.forward(this.dropout.forward(pooled));
  }

  /** `{ type: 'RecurrentClassifier', options }`: only the input option in use (vocabSize or inputSize) is listed. */
  override config(): ModuleConfig {
    return { type: 'RecurrentClassifier', options: compact(this.opts) };
  }
}

/**
 * Per-step tagger: [Embedding] → RNN | LSTM | GRU (bidirectional by default, so the tag of step t
 * sees both sides of it) → [Dropout] → Linear applied at every step. Train it with
 * `sequenceCrossEntropy` against tags [B, T].
 * Shapes: x ids (B, T) with `vocabSize`, or features (B, T, inputSize) → logits (B, T, numTags).
 * Init: Embedding N(0, 1); recurrent weights U(−1/√H, 1/√H); head as `Linear`.
 * @example
 * const tagger = new SequenceTagger({ vocabSize: 4, numTags: 3, hiddenSize: 8, rng: new Generator(0) });
 * tagger.forward(tensor([[0, 1, 2, 3, 0]])).shape; // [1, 5, 3]
 * @throws ArgumentError unless exactly one of vocabSize and inputSize is given, or on a malformed
 * option; ShapeError from forward.
 * @see Graves & Schmidhuber, "Framewise phoneme classification with bidirectional LSTM" (2005).
 * @category Models
 */
export class SequenceTagger extends Module {
  /** Token embedding [vocabSize, embeddingDim] when the input is ids (`vocabSize`), else null. */
  readonly embedding: Embedding | null;
  /** The recurrent stack (`cell`, `numLayers`, hidden size H, optionally bidirectional). */
  readonly rnn: RNN | LSTM | GRU;
  /** Dropout before the head (active in training only). */
  readonly dropout: Dropout;
  /** Linear head applied at every step, (D·H) → numTags, D = 2 if bidirectional else 1. */
  readonly head: Linear;
  private readonly opts: Backbone & { numTags: number };

  constructor(options: SequenceTaggerOptions) {
    super();
    const op = 'SequenceTagger';
    const o = parseOptions(op, options, { ...INPUT_SPEC, numTags: posInt });
    const b = resolveBackbone(op, o, true);
    const numTags = checkArg(op, 'numTags', o.numTags, posInt);
    const rng = o.rng ?? defaultGenerator();
    this.embedding = b.vocabSize === null ? null : new Embedding(b.vocabSize, b.embeddingDim as number, { rng });
    this.rnn = buildRnn(b, rng);
    this.dropout = new Dropout(b.dropout, { rng });
    this.head = new Linear((b.bidirectional ? 2 : 1) * b.hiddenSize, numTags, { rng });
    this.opts = { ...b, numTags };
  }

  /** Logits (B, T, numTags) for every step. */
  forward(x: Tensor): Tensor {
    const h = embedInput('SequenceTagger', this.opts, this.embedding, x);
    const { output } = (this.rnn.forward as (t: Tensor) => RecurrentOutput)(h);
    return this.head.forward(this.dropout.forward(output));
  }

  /** `{ type: 'SequenceTagger', options }`: only the input option in use is listed. */
  override config(): ModuleConfig {
    return { type: 'SequenceTagger', options: compact(this.opts) };
  }
}

/** The options without the null input entries (vocabSize/embeddingDim or inputSize). */
function compact(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== null) out[k] = v;
  return out;
}
