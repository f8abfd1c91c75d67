import { ArgumentError, Generator, Parameter, Tensor, embedding } from '../tensor/index';
import { int, nullable, posInt, rng } from '../tensor/options';
import { type LayerConfig, layerArgs, layerRng } from './config';
import { Module } from './module';

/** Options of {@link Embedding}. */
export interface EmbeddingLayerOptions {
  /** Row that stays zero and gets no gradient (e.g. the padding token). */
  paddingIdx?: number | null;
  /** Generator for the initial weights (default: the global one). */
  rng?: Generator;
}

/** The single-argument form of {@link Embedding}: what its `config().options` returns, plus `rng`. */
export interface EmbeddingConfig extends EmbeddingLayerOptions {
  /** Number of rows. */
  numEmbeddings: number;
  /** Size of each vector. */
  embeddingDim: number;
}

const EMBEDDING = { numEmbeddings: posInt, embeddingDim: posInt, paddingIdx: nullable(int()), rng };

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`.
 * Shapes: integer indices (…) → (…, embeddingDim); weight [numEmbeddings, embeddingDim].
 * Init: N(0, 1), with the paddingIdx row zeroed (PyTorch's default).
 * @example new Embedding(10, 3).forward(tensor([[1, 2]])).shape; // [1, 2, 3]
 * @throws ArgumentError for a size that is not a positive integer or a paddingIdx outside [−numEmbeddings, numEmbeddings).
 * @category Layers
 */
export class Embedding extends Module {
  /** The table, [numEmbeddings, embeddingDim]: row i is the vector of index i. */
  readonly weight: Parameter;
  /** The row kept at zero and given no gradient, made non-negative; null for none. */
  readonly paddingIdx: number | null;
  /** Number of rows: indices run from 0 to numEmbeddings − 1. */
  readonly numEmbeddings: number;
  /** Size of each vector. */
  readonly embeddingDim: number;
  /** Builds the layer from its config object (`emb.config().options`). */
  constructor(config: EmbeddingConfig);
  /**
   * @param numEmbeddings - Number of rows: indices run from 0 to numEmbeddings − 1.
   * @param embeddingDim - Size of each vector.
   * @param options - paddingIdx and generator ({@link EmbeddingLayerOptions}).
   */
  constructor(numEmbeddings: number, embeddingDim: number, options?: EmbeddingLayerOptions);
  constructor(numEmbeddings: number | EmbeddingConfig, embeddingDim?: number, options?: EmbeddingLayerOptions) {
    super();
    const o = layerArgs('Embedding', EMBEDDING, ['numEmbeddings', 'embeddingDim'], [numEmbeddings, embeddingDim], options);
    const N = o.numEmbeddings!, D = o.embeddingDim!;
    this.numEmbeddings = N;
    this.embeddingDim = D;
    const p = o.paddingIdx ?? null;
    if (p !== null && (p < -N || p >= N)) throw new ArgumentError(`Embedding: paddingIdx ${p} must be in [${-N}, ${N - 1}]`);
    this.paddingIdx = p === null ? null : p < 0 ? p + N : p;
    this.weight = Parameter.normal([N, D], 0, 1, layerRng(o.rng));
    if (this.paddingIdx !== null) this.weight.data.fill(0, this.paddingIdx * D, (this.paddingIdx + 1) * D);
  }
  forward(indices: Tensor | Int32Array | number[]): Tensor {
    return embedding(indices, this.weight, { paddingIdx: this.paddingIdx });
  }
  override config(): LayerConfig<EmbeddingConfig> {
    return { type: 'Embedding', options: { numEmbeddings: this.numEmbeddings, embeddingDim: this.embeddingDim, paddingIdx: this.paddingIdx } };
  }
}
