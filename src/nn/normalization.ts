import {
  ArgumentError, Generator, Parameter, Tensor, batchNorm, defaultGenerator, dropout, embedding, layerNorm, softmax, tensor,
} from '../tensor/index';
import { Module, type ModuleConfig } from './module';

/** Options of {@link BatchNorm1d} and {@link BatchNorm2d}. */
export interface BatchNormLayerOptions {
  /** Small constant added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of the new batch statistic in the running average (default 0.1, as PyTorch). */
  momentum?: number;
  /** Learn a per-channel scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for evaluation (default true). */
  trackRunningStats?: boolean;
}

/** Shared body of BatchNorm1d/2d: only the accepted input rank differs. */
abstract class BatchNormBase extends Module {
  /** Per-channel scale γ, [numFeatures]; null when built with `affine: false`. */
  readonly weight: Parameter | null;
  /** Per-channel shift β, [numFeatures]; null when built with `affine: false`. */
  readonly bias: Parameter | null;
  /** Running mean per channel (a buffer). */
  readonly runningMean: Tensor | null;
  /** Running unbiased variance per channel (a buffer). */
  readonly runningVar: Tensor | null;
  /** Batches seen in training (a buffer, as PyTorch's `num_batches_tracked`). */
  readonly numBatchesTracked: Tensor | null;
  /** Small constant added to the variance (default 1e-5). */
  readonly eps: number;
  /** Weight of the new batch statistic in the running average (default 0.1). */
  readonly momentum: number;
  /** The input ranks (ndim) accepted; other ranks throw. */
  protected abstract readonly ranks: readonly number[];
  /** The class name written by config() (explicit, so minified builds still save loadable files). */
  protected abstract readonly typeName: string;
  /**
   * @param numFeatures - Channels C: the size of axis 1 of the input.
   * @param options - eps, momentum, affine and trackRunningStats ({@link BatchNormLayerOptions}).
   */
  constructor(readonly numFeatures: number, options: BatchNormLayerOptions = {}) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) throw new ArgumentError(`${new.target.name}: numFeatures must be a positive integer, got ${String(numFeatures)}`);
    this.eps = options?.eps ?? 1e-5;
    this.momentum = options?.momentum ?? 0.1;
    const affine = options?.affine ?? true;
    const track = options?.trackRunningStats ?? true;
    this.weight = affine ? Parameter.full([numFeatures], 1) : null;
    this.bias = affine ? Parameter.full([numFeatures], 0) : null;
    this.runningMean = track ? tensor(new Float32Array(numFeatures)) : null;
    this.runningVar = track ? tensor(new Float32Array(numFeatures).fill(1)) : null;
    this.numBatchesTracked = track ? tensor([0]) : null;
  }
  forward(x: Tensor): Tensor {
    if (x instanceof Tensor && !this.ranks.includes(x.ndim)) {
      throw new ArgumentError(`${this.typeName}: expected input with ${this.ranks.join(' or ')} dimensions, got [${x.shape.join(', ')}]`);
    }
    const useBatch = this.training || this.runningMean === null;
    if (this.training && this.numBatchesTracked !== null) this.numBatchesTracked.data[0] += 1;
    return batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, {
      training: useBatch, momentum: this.momentum, eps: this.eps,
    });
  }
  override config(): ModuleConfig {
    return {
      type: this.typeName,
      options: { numFeatures: this.numFeatures, eps: this.eps, momentum: this.momentum, affine: this.weight !== null, trackRunningStats: this.runningMean !== null },
    };
  }
}

/**
 * Batch normalization over [B, C] or [B, C, L] (Ioffe and Szegedy, 2015): in training,
 * y = (x − mean_B) / √(var_B + eps) · weight + bias with batch statistics per channel, and the
 * running buffers move by `momentum` (unbiased variance); in eval mode the running statistics are
 * used.
 * Shapes: (B, C) or (B, C, L). Init: weight 1, bias 0, runningMean 0, runningVar 1.
 * @example new BatchNorm1d(3).forward(randn([8, 3])).shape; // [8, 3]
 * @see https://arxiv.org/abs/1502.03167
 * @category Layers
 */
export class BatchNorm1d extends BatchNormBase {
  protected readonly ranks = [2, 3];
  protected readonly typeName = 'BatchNorm1d';
}

/**
 * Batch normalization over NCHW images, per channel (see {@link BatchNorm1d}).
 * Shapes: (B, C, H, W). Init: weight 1, bias 0, runningMean 0, runningVar 1.
 * @example new BatchNorm2d(3).forward(randn([2, 3, 4, 4])).shape; // [2, 3, 4, 4]
 * @see https://arxiv.org/abs/1502.03167
 * @category Layers
 */
export class BatchNorm2d extends BatchNormBase {
  protected readonly ranks = [4];
  protected readonly typeName = 'BatchNorm2d';
}

/** Options of {@link LayerNorm}. */
export interface LayerNormLayerOptions {
  /** Small constant added to the variance (default 1e-5). */
  eps?: number;
  /** Learn an element-wise scale and shift (default true). */
  elementwiseAffine?: boolean;
}

/**
 * Layer normalization over the trailing `normalizedShape` dims (Ba et al., 2016).
 * Shapes: (…, *normalizedShape) → same. Init: weight 1, bias 0.
 * @example new LayerNorm(4).forward(randn([2, 4])).shape; // [2, 4]
 * @see https://arxiv.org/abs/1607.06450
 * @category Layers
 */
export class LayerNorm extends Module {
  /** Element-wise scale γ, of shape `normalizedShape`; null when built with `elementwiseAffine: false`. */
  readonly weight: Parameter | null;
  /** Element-wise shift β, of shape `normalizedShape`; null when built with `elementwiseAffine: false`. */
  readonly bias: Parameter | null;
  /** The trailing dims normalized over, e.g. [dModel]. */
  readonly normalizedShape: number[];
  /** Small constant added to the variance (default 1e-5). */
  readonly eps: number;
  constructor(normalizedShape: number | readonly number[], options: LayerNormLayerOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.length === 0 || !this.normalizedShape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new ArgumentError(`LayerNorm: normalizedShape must be positive integers, got ${JSON.stringify(normalizedShape)}`);
    }
    this.eps = options?.eps ?? 1e-5;
    const affine = options?.elementwiseAffine ?? true;
    this.weight = affine ? Parameter.full(this.normalizedShape, 1) : null;
    this.bias = affine ? Parameter.full(this.normalizedShape, 0) : null;
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
  override config(): ModuleConfig {
    return { type: 'LayerNorm', options: { normalizedShape: this.normalizedShape, eps: this.eps, elementwiseAffine: this.weight !== null } };
  }
}

/** Options of {@link Embedding}. */
export interface EmbeddingLayerOptions {
  /** Row that stays zero and gets no gradient (e.g. the padding token). */
  paddingIdx?: number | null;
  /** Generator for the initial weights (default: the global one). */
  rng?: Generator;
}

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`.
 * Shapes: integer indices (…) → (…, embeddingDim); weight [numEmbeddings, embeddingDim].
 * Init: N(0, 1), with the paddingIdx row zeroed (PyTorch's default).
 * @example new Embedding(10, 3).forward(tensor([[1, 2]])).shape; // [1, 2, 3]
 * @category Layers
 */
export class Embedding extends Module {
  /** The table, [numEmbeddings, embeddingDim]: row i is the vector of index i. */
  readonly weight: Parameter;
  /** The row kept at zero and given no gradient, made non-negative; null for none. */
  readonly paddingIdx: number | null;
  /**
   * @param numEmbeddings - Number of rows: indices run from 0 to numEmbeddings − 1.
   * @param embeddingDim - Size of each vector.
   * @param options - paddingIdx and generator ({@link EmbeddingLayerOptions}).
   */
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: EmbeddingLayerOptions = {}) {
    super();
    if (!Number.isInteger(numEmbeddings) || numEmbeddings <= 0 || !Number.isInteger(embeddingDim) || embeddingDim <= 0) {
      throw new ArgumentError(`Embedding: numEmbeddings and embeddingDim must be positive integers, got ${numEmbeddings} and ${embeddingDim}`);
    }
    const p = options?.paddingIdx ?? null;
    if (p !== null && (!Number.isInteger(p) || p < -numEmbeddings || p >= numEmbeddings)) {
      throw new ArgumentError(`Embedding: paddingIdx ${p} must be in [${-numEmbeddings}, ${numEmbeddings - 1}]`);
    }
    this.paddingIdx = p === null ? null : p < 0 ? p + numEmbeddings : p;
    this.weight = Parameter.normal([numEmbeddings, embeddingDim], 0, 1, options?.rng ?? defaultGenerator());
    if (this.paddingIdx !== null) this.weight.data.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
  }
  forward(indices: Tensor | Int32Array | number[]): Tensor {
    return embedding(indices, this.weight, { paddingIdx: this.paddingIdx });
  }
  override config(): ModuleConfig {
    return { type: 'Embedding', options: { numEmbeddings: this.numEmbeddings, embeddingDim: this.embeddingDim, paddingIdx: this.paddingIdx } };
  }
}

/** Options of {@link Dropout}. */
export interface DropoutLayerOptions {
  /** Generator for the masks (default: the global one). */
  rng?: Generator;
}

/**
 * Zeroes each element with probability p in training and scales the rest by 1/(1 − p)
 * (inverted dropout, Srivastava et al., 2014); the identity in eval mode.
 * Shapes: any.
 * @example new Dropout(0.5).eval().forward(ones([3])).toArray(); // [1, 1, 1]
 * @see https://jmlr.org/papers/v15/srivastava14a.html
 * @category Layers
 */
export class Dropout extends Module {
  private readonly rng: Generator | undefined;
  /**
   * @param p - Probability of zeroing each element in training, in [0, 1] (default 0.5).
   * @param options - The mask generator ({@link DropoutLayerOptions}).
   */
  constructor(readonly p = 0.5, options: DropoutLayerOptions = {}) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ArgumentError(`Dropout: p must be in [0, 1], got ${String(p)}`);
    this.rng = options?.rng;
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training, rng: this.rng });
  }
  override config(): ModuleConfig {
    return { type: 'Dropout', options: { p: this.p } };
  }
}

/** Softmax along an axis as a module (default the last). @example new Softmax().forward(tensor([0, 0])).toArray(); // [0.5, 0.5] @category Activations */
export class Softmax extends Module {
  /** @param axis - The axis whose entries sum to 1 (default −1, the last). */
  constructor(readonly axis = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.axis);
  }
  override config(): ModuleConfig {
    return { type: 'Softmax', options: { axis: this.axis } };
  }
}
