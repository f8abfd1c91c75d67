import {
  ArgumentError, Generator, ShapeError, Tensor, add, gelu, relu,
} from '../tensor/index';
import { allocFloat32 } from '../tensor/alloc';
import { fmtShape } from '../tensor/errors';
import { describe } from '../tensor/shape';
import {
  arrayOf, bool, instanceOf, isPlainObject, nonNeg, nullable, oneOf, parseOptions, posInt, prob, rng, type Check,
} from '../tensor/options';
import { MultiHeadAttention, type AttnMask, type KeyPaddingMask } from './attention';
import { type LayerConfig, layerArgs } from './config';
import { Dropout, Linear } from './layers';
import { Module } from './module';
import { LayerNorm } from './normalization';

/** The feed-forward activation of the transformer layers. */
export type TransformerActivation = 'relu' | 'gelu';

/** Options of {@link TransformerEncoderLayer} and {@link TransformerDecoderLayer}. */
export interface TransformerLayerOptions {
  /** Width of the feed-forward hidden layer (default 2048). */
  dimFeedforward?: number;
  /** Dropout probability everywhere in the layer, attention weights included (default 0.1). */
  dropout?: number;
  /** Feed-forward activation (default 'relu'; 'gelu' is the exact erf form). */
  activation?: TransformerActivation;
  /** ε of the layer norms (default 1e-5). */
  layerNormEps?: number;
  /** Pre-norm: normalize before each sublayer instead of after the residual sum (default false). */
  normFirst?: boolean;
  /** Generator of the initial weights and of the dropout masks (default: the global one). */
  rng?: Generator;
}

/** Options of {@link TransformerEncoderLayer.forward} and {@link TransformerEncoder.forward}. */
export interface EncoderForwardOptions {
  /** [T, T] or [B·NH, T, T]: additive Tensor or nested booleans (true = blocked). */
  srcMask?: AttnMask | null;
  /** Shape [B, T]; true / non-zero marks a padding position to ignore. */
  srcKeyPaddingMask?: KeyPaddingMask | null;
  /** Causal self-attention (position t sees 0 … t), on top of a given mask. */
  isCausal?: boolean;
}

/** Options of {@link TransformerDecoderLayer.forward} and {@link TransformerDecoder.forward}. */
export interface DecoderForwardOptions {
  /** Self-attention mask [T, T] or [B·NH, T, T]. */
  tgtMask?: AttnMask | null;
  /** Cross-attention mask [T, S] or [B·NH, T, S]. */
  memoryMask?: AttnMask | null;
  /** Shape [B, T]; target padding positions to ignore. */
  tgtKeyPaddingMask?: KeyPaddingMask | null;
  /** Shape [B, S]; memory padding positions to ignore. */
  memoryKeyPaddingMask?: KeyPaddingMask | null;
  /** Causal self-attention over the target (the usual decoder setting). */
  tgtIsCausal?: boolean;
  /** Causal cross-attention (query t sees memory 0 … t; rarely wanted). */
  memoryIsCausal?: boolean;
}

/** The single-argument form of the transformer layers: what `config().options` returns, plus `rng`. */
export interface TransformerLayerConfig extends TransformerLayerOptions {
  /** Model width. */
  dModel: number;
  /** Number of attention heads; divides dModel. */
  nhead: number;
}

interface ResolvedLayerOptions {
  dimFeedforward: number;
  dropout: number;
  activation: TransformerActivation;
  layerNormEps: number;
  normFirst: boolean;
}

const LAYER = {
  dModel: posInt, nhead: posInt, dimFeedforward: posInt, dropout: prob,
  activation: oneOf<TransformerActivation>(['relu', 'gelu']), layerNormEps: nonNeg, normFirst: bool, rng,
};
/** A mask option: passed through here, checked where the attention uses it. */
const mask: Check<unknown> = (v) => v;
const ENCODER_FORWARD = { srcMask: mask, srcKeyPaddingMask: mask, isCausal: bool };
const DECODER_FORWARD = {
  tgtMask: mask, memoryMask: mask, tgtKeyPaddingMask: mask, memoryKeyPaddingMask: mask, tgtIsCausal: bool, memoryIsCausal: bool,
};

function resolve(op: string, dModel: unknown, nhead: unknown, options: unknown): ResolvedLayerOptions & { dModel: number; nhead: number; rng: Generator | undefined } {
  const o = layerArgs(op, LAYER, ['dModel', 'nhead'], [dModel, nhead], options);
  return {
    dModel: o.dModel!, nhead: o.nhead!, dimFeedforward: o.dimFeedforward ?? 2048, dropout: o.dropout ?? 0.1,
    activation: o.activation ?? 'relu', layerNormEps: o.layerNormEps ?? 1e-5, normFirst: o.normFirst ?? false, rng: o.rng,
  };
}

function checkInput(op: string, x: unknown, arg: string, dModel: number): Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: ${arg} must be a Tensor, got ${describe(x)}`);
  if ((x.ndim !== 3 && x.ndim !== 2) || x.shape[x.ndim - 1] !== dModel) {
    throw new ShapeError(`${op}: ${arg} ${fmtShape(x.shape)} must be (B, T, dModel) or (T, dModel) with dModel = ${dModel}`);
  }
  return x;
}

/**
 * One transformer encoder layer (Vaswani et al., 2017), PyTorch's `nn.TransformerEncoderLayer`
 * with `batch_first=True` and the same submodule names. With sa(x) = dropout1(selfAttn(x, x, x))
 * and ff(x) = dropout2(linear2(dropout(act(linear1(x))))):
 * post-norm (default) y = norm2(z + ff(z)), z = norm1(x + sa(x));
 * pre-norm (`normFirst`) y = z + ff(norm2(z)), z = x + sa(norm1(x)).
 * Shapes: src (B, T, dModel) or (T, dModel) → same.
 * Init: selfAttn as {@link MultiHeadAttention}; linear1 [dimFeedforward, dModel] and linear2
 * [dModel, dimFeedforward] as `Linear`; norms weight 1, bias 0.
 * @example
 * const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, rng: new Generator(0) }).eval();
 * layer.forward(randn([2, 5, 8])).shape; // [2, 5, 8]
 * layer.namedChildren().map(([n]) => n); // ['selfAttn', 'linear1', 'dropout', 'linear2', 'norm1', 'norm2', 'dropout1', 'dropout2']
 * @throws ArgumentError for a bad size, activation or probability; ShapeError from forward.
 * @see Vaswani et al., "Attention Is All You Need" (2017), https://arxiv.org/abs/1706.03762
 * @see Xiong et al., "On Layer Normalization in the Transformer Architecture" (2020, pre-norm), https://arxiv.org/abs/2002.04745
 * @category Layers
 */
export class TransformerEncoderLayer extends Module {
  /** Self-attention sa: MultiHeadAttention(dModel, nhead) with the layer's dropout. */
  readonly selfAttn: MultiHeadAttention;
  /** First feed-forward projection: Linear(dModel, dimFeedforward). */
  readonly linear1: Linear;
  /** Dropout after the feed-forward activation, inside ff. */
  readonly dropout: Dropout;
  /** Second feed-forward projection: Linear(dimFeedforward, dModel). */
  readonly linear2: Linear;
  /** Pre-norm (true) or post-norm (false, the default); see the class formula. */
  readonly normFirst: boolean;
  /** LayerNorm(dModel) of the self-attention block. */
  readonly norm1: LayerNorm;
  /** LayerNorm(dModel) of the feed-forward block. */
  readonly norm2: LayerNorm;
  /** Dropout on the self-attention output, before the residual sum. */
  readonly dropout1: Dropout;
  /** Dropout on the feed-forward output, before the residual sum. */
  readonly dropout2: Dropout;
  /** The feed-forward activation, `'relu'` or `'gelu'`. */
  readonly activation: TransformerActivation;
  /** Model width. */
  readonly dModel: number;
  /** Number of attention heads. */
  readonly nhead: number;
  private readonly opts: ResolvedLayerOptions & { rng: Generator | undefined };

  /** Builds the layer from its config object (`layer.config().options`). */
  constructor(config: TransformerLayerConfig);
  /**
   * @param dModel - Model width: the last axis of src and of the output.
   * @param nhead - Number of attention heads; divides dModel.
   * @param options - Feed-forward width, dropout, activation, norm placement and generator ({@link TransformerLayerOptions}).
   */
  constructor(dModel: number, nhead: number, options?: TransformerLayerOptions);
  constructor(dModel: number | TransformerLayerConfig, nhead?: number, options?: TransformerLayerOptions) {
    super();
    const { dModel: E, nhead: NH, ...o } = resolve('TransformerEncoderLayer', dModel, nhead, options);
    this.dModel = E;
    this.nhead = NH;
    const rng = o.rng;
    this.selfAttn = new MultiHeadAttention(E, NH, { dropout: o.dropout, rng });
    this.linear1 = new Linear(E, o.dimFeedforward, { rng });
    this.dropout = new Dropout(o.dropout, { rng });
    this.linear2 = new Linear(o.dimFeedforward, E, { rng });
    this.normFirst = o.normFirst;
    this.norm1 = new LayerNorm(E, { eps: o.layerNormEps });
    this.norm2 = new LayerNorm(E, { eps: o.layerNormEps });
    this.dropout1 = new Dropout(o.dropout, { rng });
    this.dropout2 = new Dropout(o.dropout, { rng });
    this.activation = o.activation;
    this.opts = o;
  }

  /** Runs the layer on src (B, T, dModel); masks as in {@link MultiHeadAttention.forward}. */
  forward(src: Tensor, options: EncoderForwardOptions = {}): Tensor {
    checkInput('TransformerEncoderLayer', src, 'src', this.dModel);
    const o = parseOptions('TransformerEncoderLayer', options, ENCODER_FORWARD) as EncoderForwardOptions;
    const sa = (x: Tensor): Tensor => this.dropout1.forward(this.selfAttn.forward(x, x, x, {
      attnMask: o.srcMask, keyPaddingMask: o.srcKeyPaddingMask, isCausal: o.isCausal, needWeights: false,
    }).output);
    const ff = (x: Tensor): Tensor => {
      const h = this.linear1.forward(x);
      return this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.activation === 'gelu' ? gelu(h) : relu(h))));
    };
    if (this.normFirst) {
      const z = add(src, sa(this.norm1.forward(src)));
      return add(z, ff(this.norm2.forward(z)));
    }
    const z = this.norm1.forward(add(src, sa(src)));
    return this.norm2.forward(add(z, ff(z)));
  }

  /** A new layer with the same options and a copy of the weights (what PyTorch's deepcopy gives). */
  clone(): TransformerEncoderLayer {
    const c = new TransformerEncoderLayer(this.dModel, this.nhead, this.opts);
    c.loadStateDict(this.stateDict());
    return c.train(this.training);
  }

  override config(): LayerConfig<TransformerLayerConfig> {
    const { rng: _rng, ...options } = this.opts;
    return { type: 'TransformerEncoderLayer', options: { dModel: this.dModel, nhead: this.nhead, ...options } };
  }
}

/**
 * One transformer decoder layer (Vaswani et al., 2017), PyTorch's `nn.TransformerDecoderLayer`
 * with `batch_first=True` and the same submodule names: self-attention over the target, then
 * attention from the target to the encoder output (`memory`), then the feed-forward block, each
 * with dropout and a residual sum. Post-norm (default): z₁ = norm1(x + sa(x)),
 * z₂ = norm2(z₁ + mha(z₁, memory)), y = norm3(z₂ + ff(z₂)); pre-norm (`normFirst`):
 * z₁ = x + sa(norm1(x)), z₂ = z₁ + mha(norm2(z₁), memory), y = z₂ + ff(norm3(z₂)).
 * Shapes: tgt (B, T, dModel), memory (B, S, dModel) → (B, T, dModel); unbatched without B.
 * Init: selfAttn and multiheadAttn as {@link MultiHeadAttention}, linear1/linear2 as `Linear`,
 * norms weight 1, bias 0.
 * @example
 * const layer = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, rng: new Generator(0) }).eval();
 * layer.forward(randn([2, 4, 8]), randn([2, 6, 8]), { tgtIsCausal: true }).shape; // [2, 4, 8]
 * @throws ArgumentError for a bad size, activation or probability; ShapeError from forward.
 * @see Vaswani et al., "Attention Is All You Need" (2017), https://arxiv.org/abs/1706.03762
 * @category Layers
 */
export class TransformerDecoderLayer extends Module {
  /** Self-attention sa over the target: MultiHeadAttention(dModel, nhead). */
  readonly selfAttn: MultiHeadAttention;
  /** Cross-attention mha from the target to memory: MultiHeadAttention(dModel, nhead). */
  readonly multiheadAttn: MultiHeadAttention;
  /** First feed-forward projection: Linear(dModel, dimFeedforward). */
  readonly linear1: Linear;
  /** Dropout after the feed-forward activation, inside ff. */
  readonly dropout: Dropout;
  /** Second feed-forward projection: Linear(dimFeedforward, dModel). */
  readonly linear2: Linear;
  /** Pre-norm (true) or post-norm (false, the default); see the class formula. */
  readonly normFirst: boolean;
  /** LayerNorm(dModel) of the self-attention block. */
  readonly norm1: LayerNorm;
  /** LayerNorm(dModel) of the cross-attention block. */
  readonly norm2: LayerNorm;
  /** LayerNorm(dModel) of the feed-forward block. */
  readonly norm3: LayerNorm;
  /** Dropout on the self-attention output, before the residual sum. */
  readonly dropout1: Dropout;
  /** Dropout on the cross-attention output, before the residual sum. */
  readonly dropout2: Dropout;
  /** Dropout on the feed-forward output, before the residual sum. */
  readonly dropout3: Dropout;
  /** The feed-forward activation, `'relu'` or `'gelu'`. */
  readonly activation: TransformerActivation;
  /** Model width. */
  readonly dModel: number;
  /** Number of attention heads. */
  readonly nhead: number;
  private readonly opts: ResolvedLayerOptions & { rng: Generator | undefined };

  /** Builds the layer from its config object (`layer.config().options`). */
  constructor(config: TransformerLayerConfig);
  /**
   * @param dModel - Model width: the last axis of tgt, memory and the output.
   * @param nhead - Number of attention heads; divides dModel.
   * @param options - Feed-forward width, dropout, activation, norm placement and generator ({@link TransformerLayerOptions}).
   */
  constructor(dModel: number, nhead: number, options?: TransformerLayerOptions);
  constructor(dModel: number | TransformerLayerConfig, nhead?: number, options?: TransformerLayerOptions) {
    super();
    const { dModel: E, nhead: NH, ...o } = resolve('TransformerDecoderLayer', dModel, nhead, options);
    this.dModel = E;
    this.nhead = NH;
    const rng = o.rng;
    this.selfAttn = new MultiHeadAttention(E, NH, { dropout: o.dropout, rng });
    this.multiheadAttn = new MultiHeadAttention(E, NH, { dropout: o.dropout, rng });
    this.linear1 = new Linear(E, o.dimFeedforward, { rng });
    this.dropout = new Dropout(o.dropout, { rng });
    this.linear2 = new Linear(o.dimFeedforward, E, { rng });
    this.normFirst = o.normFirst;
    this.norm1 = new LayerNorm(E, { eps: o.layerNormEps });
    this.norm2 = new LayerNorm(E, { eps: o.layerNormEps });
    this.norm3 = new LayerNorm(E, { eps: o.layerNormEps });
    this.dropout1 = new Dropout(o.dropout, { rng });
    this.dropout2 = new Dropout(o.dropout, { rng });
    this.dropout3 = new Dropout(o.dropout, { rng });
    this.activation = o.activation;
    this.opts = o;
  }

  /** Runs the layer on tgt (B, T, dModel) against memory (B, S, dModel), the encoder output. */
  forward(tgt: Tensor, memory: Tensor, options: DecoderForwardOptions = {}): Tensor {
    checkInput('TransformerDecoderLayer', tgt, 'tgt', this.dModel);
    checkInput('TransformerDecoderLayer', memory, 'memory', this.dModel);
    const o = parseOptions('TransformerDecoderLayer', options, DECODER_FORWARD) as DecoderForwardOptions;
    const sa = (x: Tensor): Tensor => this.dropout1.forward(this.selfAttn.forward(x, x, x, {
      attnMask: o.tgtMask, keyPaddingMask: o.tgtKeyPaddingMask, isCausal: o.tgtIsCausal, needWeights: false,
    }).output);
    const mha = (x: Tensor): Tensor => this.dropout2.forward(this.multiheadAttn.forward(x, memory, memory, {
      attnMask: o.memoryMask, keyPaddingMask: o.memoryKeyPaddingMask, isCausal: o.memoryIsCausal, needWeights: false,
    }).output);
    const ff = (x: Tensor): Tensor => {
      const h = this.linear1.forward(x);
      return this.dropout3.forward(this.linear2.forward(this.dropout.forward(this.activation === 'gelu' ? gelu(h) : relu(h))));
    };
    if (this.normFirst) {
      const z1 = add(tgt, sa(this.norm1.forward(tgt)));
      const z2 = add(z1, mha(this.norm2.forward(z1)));
      return add(z2, ff(this.norm3.forward(z2)));
    }
    const z1 = this.norm1.forward(add(tgt, sa(tgt)));
    const z2 = this.norm2.forward(add(z1, mha(z1)));
    return this.norm3.forward(add(z2, ff(z2)));
  }

  /** A new layer with the same options and a copy of the weights. */
  clone(): TransformerDecoderLayer {
    const c = new TransformerDecoderLayer(this.dModel, this.nhead, this.opts);
    c.loadStateDict(this.stateDict());
    return c.train(this.training);
  }

  override config(): LayerConfig<TransformerLayerConfig> {
    const { rng: _rng, ...options } = this.opts;
    return { type: 'TransformerDecoderLayer', options: { dModel: this.dModel, nhead: this.nhead, ...options } };
  }
}

/** A module usable as one layer of {@link TransformerEncoder}. */
export type EncoderLayerLike = Module & {
  /** Maps src (B, T, dModel) to the same shape, honouring the masks. */
  forward(src: Tensor, options?: EncoderForwardOptions): Tensor;
};

/** A module usable as one layer of {@link TransformerDecoder}. */
export type DecoderLayerLike = Module & {
  /** Maps tgt (B, T, dModel) with memory (B, S, dModel) to (B, T, dModel), honouring the masks. */
  forward(tgt: Tensor, memory: Tensor, options?: DecoderForwardOptions): Tensor;
};

/** Options of {@link TransformerEncoder} and {@link TransformerDecoder}. */
export interface TransformerStackOptions {
  /** A final normalization applied to the last layer's output (needed after pre-norm layers). */
  norm?: LayerNorm | null;
}

/** The single-argument form of {@link TransformerEncoder} and {@link TransformerDecoder}: `config().options` with the rebuilt children. */
export interface TransformerStackConfig {
  /** How many layers. */
  numLayers: number;
  /** The numLayers layers, then optionally the final LayerNorm (what `config().children` describes). */
  children: Module[];
}

const STACK_CONFIG = { numLayers: posInt, children: arrayOf(instanceOf(Module)) };
const STACK_OPTIONS = { norm: nullable(instanceOf(LayerNorm)) };

/** The layers and final norm of a stack, from its positional arguments or its config object. */
function stackArgs<L extends Module>(
  op: string, layer: unknown, numLayers: unknown, options: unknown, clone: (l: L) => L,
): { layers: L[]; norm: LayerNorm | null; numLayers: number } {
  if (isPlainObject(layer)) {
    if (numLayers !== undefined || options !== undefined) throw new ArgumentError(`${op}: a config object must be the only argument`);
    const o = parseOptions(op, layer, STACK_CONFIG);
    const n = o.numLayers ?? posInt(undefined, 'numLayers', op);
    const kids = o.children ?? [];
    if (kids.length !== n && kids.length !== n + 1) {
      throw new ArgumentError(`${op}: numLayers ${n} needs ${n} children (plus an optional final LayerNorm), got ${kids.length}`);
    }
    const norm = kids.length > n ? kids[n] : null;
    if (norm !== null && !(norm instanceof LayerNorm)) throw new ArgumentError(`${op}: the child after the ${n} layers must be a LayerNorm, got ${describe(norm)}`);
    return { layers: kids.slice(0, n) as L[], norm, numLayers: n };
  }
  if (typeof layer !== 'function' && !(layer instanceof Module)) {
    throw new ArgumentError(`${op}: layer must be a Module or a factory (i) => layer, got ${describe(layer)}`);
  }
  const n = posInt(numLayers, 'numLayers', op);
  const o = parseOptions(op, options, STACK_OPTIONS);
  return { layers: buildLayers(op, layer as L | ((i: number) => L), n, clone), norm: o.norm ?? null, numLayers: n };
}

function buildLayers<L extends Module>(op: string, layer: L | ((i: number) => L), numLayers: number, clone: (l: L) => L): L[] {
  const layers: L[] = [];
  for (let i = 0; i < numLayers; i++) {
    const l = typeof layer === 'function' ? layer(i) : clone(layer);
    if (!(l instanceof Module)) throw new ArgumentError(`${op}: the layer factory must return a Module, got ${describe(l)} for layer ${i}`);
    layers.push(l);
  }
  return layers;
}

function cloneLayer<L extends Module>(op: string, l: L): L {
  const c = (l as unknown as { clone?: () => L }).clone;
  if (typeof c !== 'function') throw new ArgumentError(`${op}: ${describe(l)} has no clone(); pass a factory (i) => layer instead`);
  return c.call(l);
}

/**
 * A stack of encoder layers (PyTorch's `nn.TransformerEncoder`): y = norm(layerₙ(… layer₁(x))).
 * Given a layer, it holds `numLayers` copies of it (the same initial weights in every layer, as
 * PyTorch's deepcopy); given a factory `(i) => layer`, each layer is built fresh. Layers are
 * named `layers.0`, `layers.1`, …, as in PyTorch's state dict.
 * Shapes: src (B, T, dModel) → same.
 * Init: that of the layers; the optional final norm weight 1, bias 0.
 * @example
 * const enc = new TransformerEncoder(new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }), 2);
 * enc.namedParameters().length; // 32
 * enc.namedParameters()[0][0]; // 'layers.0.selfAttn.qProj.weight'
 * @throws ArgumentError when numLayers is not a positive integer or a layer cannot be cloned.
 * @category Layers
 */
export class TransformerEncoder extends Module {
  /** The encoder layers, applied in order (state-dict names `layers.0`, `layers.1`, …). */
  readonly layers: EncoderLayerLike[];
  /** How many layers the stack holds. */
  readonly numLayers: number;
  /** The final normalization after the last layer, or null for none (the default). */
  readonly norm: LayerNorm | null;

  /** Builds the stack from its config object and the rebuilt children (what `loadModel` does). */
  constructor(config: TransformerStackConfig);
  constructor(layer: EncoderLayerLike | ((i: number) => EncoderLayerLike), numLayers: number, options?: TransformerStackOptions);
  constructor(layer: EncoderLayerLike | ((i: number) => EncoderLayerLike) | TransformerStackConfig, numLayers?: number, options?: TransformerStackOptions) {
    super();
    const s = stackArgs<EncoderLayerLike>('TransformerEncoder', layer, numLayers, options, (l) => cloneLayer('TransformerEncoder', l));
    this.layers = s.layers;
    this.numLayers = s.numLayers;
    this.norm = s.norm;
  }

  /** Runs every layer in order with the same masks, then the final norm if any. */
  forward(src: Tensor, options: EncoderForwardOptions = {}): Tensor {
    let x = src;
    for (const l of this.layers) x = l.forward(x, options);
    return this.norm === null ? x : this.norm.forward(x);
  }

  override config(): LayerConfig<Pick<TransformerStackConfig, 'numLayers'>> {
    return {
      type: 'TransformerEncoder',
      options: { numLayers: this.numLayers },
      children: [...this.layers.map((l) => l.config()), ...(this.norm ? [this.norm.config()] : [])],
    };
  }
}

/**
 * A stack of decoder layers (PyTorch's `nn.TransformerDecoder`): each layer reads the previous
 * layer's output and the same `memory`; y = norm(layerₙ(… layer₁(tgt, memory), memory)).
 * Layers are copies of the given layer or built by a factory, named `layers.0`, `layers.1`, ….
 * Shapes: tgt (B, T, dModel), memory (B, S, dModel) → (B, T, dModel).
 * Init: that of the layers; the optional final norm weight 1, bias 0.
 * @example
 * const dec = new TransformerDecoder((i) => new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 }), 2);
 * dec.forward(zeros([1, 3, 8]), zeros([1, 4, 8]), { tgtIsCausal: true }).shape; // [1, 3, 8]
 * @category Layers
 */
export class TransformerDecoder extends Module {
  /** The decoder layers, applied in order (state-dict names `layers.0`, `layers.1`, …). */
  readonly layers: DecoderLayerLike[];
  /** How many layers the stack holds. */
  readonly numLayers: number;
  /** The final normalization after the last layer, or null for none (the default). */
  readonly norm: LayerNorm | null;

  /** Builds the stack from its config object and the rebuilt children (what `loadModel` does). */
  constructor(config: TransformerStackConfig);
  constructor(layer: DecoderLayerLike | ((i: number) => DecoderLayerLike), numLayers: number, options?: TransformerStackOptions);
  constructor(layer: DecoderLayerLike | ((i: number) => DecoderLayerLike) | TransformerStackConfig, numLayers?: number, options?: TransformerStackOptions) {
    super();
    const s = stackArgs<DecoderLayerLike>('TransformerDecoder', layer, numLayers, options, (l) => cloneLayer('TransformerDecoder', l));
    this.layers = s.layers;
    this.numLayers = s.numLayers;
    this.norm = s.norm;
  }

  /** Runs every layer in order against the same memory and masks, then the final norm if any. */
  forward(tgt: Tensor, memory: Tensor, options: DecoderForwardOptions = {}): Tensor {
    let x = tgt;
    for (const l of this.layers) x = l.forward(x, memory, options);
    return this.norm === null ? x : this.norm.forward(x);
  }

  override config(): LayerConfig<Pick<TransformerStackConfig, 'numLayers'>> {
    return {
      type: 'TransformerDecoder',
      options: { numLayers: this.numLayers },
      children: [...this.layers.map((l) => l.config()), ...(this.norm ? [this.norm.config()] : [])],
    };
  }
}

/** Options of {@link PositionalEncoding}. */
export interface PositionalEncodingOptions {
  /** Longest sequence the table covers (default 5000). */
  maxLen?: number;
  /** Dropout after the addition (default 0). */
  dropout?: number;
  /** Generator of the dropout masks (default: the global one). */
  rng?: Generator;
}

/** The single-argument form of {@link PositionalEncoding}: what its `config().options` returns, plus `rng`. */
export interface PositionalEncodingConfig extends PositionalEncodingOptions {
  /** Model width. */
  dModel: number;
}

const POSITIONAL = { dModel: posInt, maxLen: posInt, dropout: prob, rng };

/**
 * Sinusoidal positional encoding (Vaswani et al., 2017, §3.5) added to the input:
 * y[b, t, i] = x[b, t, i] + pe[t, i], pe[t, 2j] = sin(t / 10000^(2j/dModel)),
 * pe[t, 2j+1] = cos(t / 10000^(2j/dModel)), then dropout. The table [maxLen, dModel] is a buffer
 * `pe` (saved in the state dict, not trained), computed in float64 and stored in float32.
 * Shapes: x (B, T, dModel) or (T, dModel), T ≤ maxLen → same.
 * Init: no parameters.
 * @example
 * const pe = new PositionalEncoding(4, { maxLen: 10 });
 * pe.forward(zeros([1, 2, 4])).tolist(); // [[[0, 1, 0, 1], [0.84147098, 0.54030231, 0.00999983, 0.99995]]]
 * @throws ArgumentError for a bad dModel or maxLen; ShapeError when x is too long or has the wrong width.
 * @see Vaswani et al., "Attention Is All You Need" (2017), https://arxiv.org/abs/1706.03762
 * @category Layers
 */
export class PositionalEncoding extends Module {
  /** Dropout applied after adding the table (p 0 by default). */
  readonly dropout: Dropout;
  /** The table [maxLen, dModel] (a buffer). */
  readonly pe: Tensor;
  /** Longest sequence the table covers: T ≤ maxLen (default 5000). */
  readonly maxLen: number;

  /** Model width: the last axis of x, and of the table. */
  readonly dModel: number;

  /** Builds the layer from its config object (`pe.config().options`). */
  constructor(config: PositionalEncodingConfig);
  /**
   * @param dModel - Model width: the last axis of x, and of the table.
   * @param options - maxLen, dropout and generator ({@link PositionalEncodingOptions}).
   */
  constructor(dModel: number, options?: PositionalEncodingOptions);
  constructor(dModelOrConfig: number | PositionalEncodingConfig, options?: PositionalEncodingOptions) {
    super();
    const o = { maxLen: 5000, dropout: 0, ...layerArgs('PositionalEncoding', POSITIONAL, ['dModel'], [dModelOrConfig], options) };
    const dModel = o.dModel!;
    this.dModel = dModel;
    this.maxLen = o.maxLen;
    this.dropout = new Dropout(o.dropout, { rng: o.rng });
    const pe = allocFloat32(o.maxLen * dModel, 'PositionalEncoding');
    const halves = Math.ceil(dModel / 2);
    const freq = new Float64Array(halves);
    for (let j = 0; j < halves; j++) freq[j] = Math.exp(-(2 * j) * Math.log(10000) / dModel);
    for (let t = 0; t < o.maxLen; t++) {
      const row = t * dModel;
      for (let j = 0; j < halves; j++) {
        const a = t * freq[j];
        pe[row + 2 * j] = Math.sin(a);
        if (2 * j + 1 < dModel) pe[row + 2 * j + 1] = Math.cos(a);
      }
    }
    this.pe = new Tensor(pe, [o.maxLen, dModel]);
  }

  /** x + pe[:T], then dropout. */
  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) throw new ArgumentError(`PositionalEncoding: x must be a Tensor, got ${describe(x)}`);
    if ((x.ndim !== 3 && x.ndim !== 2) || x.shape[x.ndim - 1] !== this.dModel) {
      throw new ShapeError(`PositionalEncoding: x ${fmtShape(x.shape)} must be (B, T, dModel) or (T, dModel) with dModel = ${this.dModel}`);
    }
    const T = x.shape[x.ndim - 2];
    if (T > this.maxLen) throw new ShapeError(`PositionalEncoding: x ${fmtShape(x.shape)} has ${T} positions but the table has maxLen = ${this.maxLen}`);
    // A view of the first T rows: no copy, and the table is a constant.
    const table = new Tensor(this.pe.data.subarray(0, T * this.dModel), [T, this.dModel]);
    return this.dropout.forward(add(x, table));
  }

  override config(): LayerConfig<PositionalEncodingConfig> {
    return { type: 'PositionalEncoding', options: { dModel: this.dModel, maxLen: this.maxLen, dropout: this.dropout.p } };
  }
}
