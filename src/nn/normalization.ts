import { ArgumentError, Parameter, Tensor, batchNorm, layerNorm, ones, zeros } from '../tensor/index';
import { anyOf, arrayOf, bool, nonNeg, num, posInt } from '../tensor/options';
import { type LayerConfig, layerArgs } from './config';
import { Module } from './module';

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

/** The single-argument form of {@link BatchNorm1d} and {@link BatchNorm2d}: what `config().options` returns. */
export interface BatchNormConfig extends BatchNormLayerOptions {
  /** Channels C: the size of axis 1 of the input. */
  numFeatures: number;
}

const BATCH_NORM = { numFeatures: posInt, eps: nonNeg, momentum: num({ min: 0, max: 1 }), affine: bool, trackRunningStats: bool };

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
  /** Batches seen in training: a 0-d buffer, as PyTorch's `num_batches_tracked`. */
  readonly numBatchesTracked: Tensor | null;
  /** Small constant added to the variance (default 1e-5). */
  readonly eps: number;
  /** Weight of the new batch statistic in the running average (default 0.1). */
  readonly momentum: number;
  /** Channels C: the size of axis 1 of the input. */
  readonly numFeatures: number;
  /** The input ranks (ndim) accepted; other ranks throw. */
  private readonly ranks: readonly number[];
  /** The class name written by config() (explicit, so minified builds still save loadable files). */
  private readonly typeName: string;
  /** @internal */
  protected constructor(typeName: string, ranks: readonly number[], numFeatures: number | BatchNormConfig | undefined, options: BatchNormLayerOptions | undefined) {
    super();
    this.typeName = typeName;
    this.ranks = ranks;
    const o = layerArgs(typeName, BATCH_NORM, ['numFeatures'], [numFeatures], options);
    const C = o.numFeatures!;
    this.numFeatures = C;
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum ?? 0.1;
    const affine = o.affine ?? true;
    const track = o.trackRunningStats ?? true;
    this.weight = affine ? Parameter.full([C], 1) : null;
    this.bias = affine ? Parameter.full([C], 0) : null;
    this.runningMean = track ? zeros([C]) : null;
    this.runningVar = track ? ones([C]) : null;
    this.numBatchesTracked = track ? zeros([]) : null;
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
  override config(): LayerConfig<BatchNormConfig> {
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
  /** Builds the layer from its config object (`bn.config().options`). */
  constructor(config: BatchNormConfig);
  /**
   * @param numFeatures - Channels C: the size of axis 1 of the input.
   * @param options - eps, momentum, affine and trackRunningStats ({@link BatchNormLayerOptions}).
   */
  constructor(numFeatures: number, options?: BatchNormLayerOptions);
  constructor(numFeatures: number | BatchNormConfig, options?: BatchNormLayerOptions) {
    super('BatchNorm1d', [2, 3], numFeatures, options);
  }
}

/**
 * Batch normalization over NCHW images, per channel (see {@link BatchNorm1d}).
 * Shapes: (B, C, H, W). Init: weight 1, bias 0, runningMean 0, runningVar 1.
 * @example new BatchNorm2d(3).forward(randn([2, 3, 4, 4])).shape; // [2, 3, 4, 4]
 * @see https://arxiv.org/abs/1502.03167
 * @category Layers
 */
export class BatchNorm2d extends BatchNormBase {
  /** Builds the layer from its config object (`bn.config().options`). */
  constructor(config: BatchNormConfig);
  /**
   * @param numFeatures - Channels C: the size of axis 1 of the input.
   * @param options - eps, momentum, affine and trackRunningStats ({@link BatchNormLayerOptions}).
   */
  constructor(numFeatures: number, options?: BatchNormLayerOptions);
  constructor(numFeatures: number | BatchNormConfig, options?: BatchNormLayerOptions) {
    super('BatchNorm2d', [4], numFeatures, options);
  }
}

/** Options of {@link LayerNorm}. */
export interface LayerNormLayerOptions {
  /** Small constant added to the variance (default 1e-5). */
  eps?: number;
  /** Learn an element-wise scale and shift (default true). */
  elementwiseAffine?: boolean;
}

/** The single-argument form of {@link LayerNorm}: what its `config().options` returns. */
export interface LayerNormConfig extends LayerNormLayerOptions {
  /** The trailing dims normalized over. */
  normalizedShape: number | readonly number[];
}

const LAYER_NORM = {
  normalizedShape: anyOf<number | number[]>('a positive integer or a non-empty array of them', posInt, arrayOf(posInt, { min: 1 })),
  eps: nonNeg, elementwiseAffine: bool,
};

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
  /** Builds the layer from its config object (`norm.config().options`). */
  constructor(config: LayerNormConfig);
  constructor(normalizedShape: number | readonly number[], options?: LayerNormLayerOptions);
  constructor(normalizedShape: number | readonly number[] | LayerNormConfig, options?: LayerNormLayerOptions) {
    super();
    const o = layerArgs('LayerNorm', LAYER_NORM, ['normalizedShape'], [normalizedShape], options);
    const ns = o.normalizedShape!;
    this.normalizedShape = typeof ns === 'number' ? [ns] : ns;
    this.eps = o.eps ?? 1e-5;
    const affine = o.elementwiseAffine ?? true;
    this.weight = affine ? Parameter.full(this.normalizedShape, 1) : null;
    this.bias = affine ? Parameter.full(this.normalizedShape, 0) : null;
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
  override config(): LayerConfig<LayerNormConfig> {
    return { type: 'LayerNorm', options: { normalizedShape: this.normalizedShape, eps: this.eps, elementwiseAffine: this.weight !== null } };
  }
}
