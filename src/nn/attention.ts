import {
  ArgumentError, Generator, ShapeError, Tensor, add, dropout, matmul, mean, mul, permute, reshape,
  squeeze, unsqueeze,
} from '../tensor/index';
import { record } from '../tensor/autograd';
import { fmtShape } from '../tensor/errors';
import { broadcastShapes, broadcastStrides, describe, sizeOf } from '../tensor/shape';
import { allocFloat32 } from '../tensor/alloc';
import { kernels as K } from '../tensor/kernels/backend';
import { bool, checkArg, finite, instanceOf, nonNegInt, parseOptions, posInt, prob, rng, type Check } from '../tensor/options';
import { type LayerConfig, layerArgs, layerRng } from './config';
import { Linear } from './layers';
import { Module, type StateDict } from './module';

// Dims: B batch, T query positions, S key positions, E embedding width, NH heads, D = E / NH the
// width of one head, R rows of a score matrix (every leading index, T included).

/** Nested booleans, as in PyTorch's bool masks: true = blocked (not attended to). */
export type NestedBool = boolean | readonly NestedBool[];

/**
 * An attention mask over (query, key) pairs. A `Tensor` is additive: it is added to the scaled
 * scores before the softmax, so 0 lets a pair through and −Infinity blocks it (PyTorch's float
 * masks; see {@link generateSquareSubsequentMask}). Nested booleans are PyTorch's bool masks:
 * `true` blocks the pair. tensorkit tensors are float32 only, so a 0/1 tensor made by a comparison
 * is additive, not boolean: turn it into a nested boolean array (or into 0/−Infinity) first.
 */
export type AttnMask = Tensor | readonly NestedBool[];

/**
 * A key padding mask [B, S]: `true` (nested booleans) or any non-zero entry (a `Tensor`) marks a
 * key position to ignore, as PyTorch's `key_padding_mask`.
 */
export type KeyPaddingMask = Tensor | readonly NestedBool[];

/** One mask turned additive: −Infinity where blocked. `source` is set when gradients must reach it. */
interface MaskPart {
  data: Float32Array;
  shape: number[];
  source: Tensor | null;
}

/** How the fused softmax reads the combined additive mask: row r of the scores uses bias[rowOff[r] + s]. */
interface MaskPlan {
  bias: Float32Array | null;
  rowOff: Int32Array | null;
  causal: boolean;
  /** An additive mask that requires grad: added with `add` so its gradient flows. */
  gradMask: Tensor | null;
}

function flattenBool(m: readonly NestedBool[], op: string, arg: string): { data: Float32Array; shape: number[] } {
  const shape: number[] = [];
  let level: unknown = m;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  const out = allocFloat32(sizeOf(shape), op);
  let k = 0;
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof v !== 'boolean') throw new ArgumentError(`${op}: ${arg} must hold booleans (true = blocked), got ${describe(v)}`);
      out[k++] = v ? -Infinity : 0;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new ShapeError(`${op}: ${arg} is a ragged nested array: expected length ${shape[depth]} at depth ${depth} of ${fmtShape(shape)}, got ${describe(v)}`);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1);
  };
  walk(m, 0);
  return { data: out, shape };
}

/** An attention mask as additive values; a boolean mask becomes 0 / −Infinity. */
function additiveMask(m: AttnMask, op: string, arg: string): MaskPart {
  if (m instanceof Tensor) return { data: m.data, shape: m.shape.slice(), source: m.requiresGrad ? m : null };
  if (Array.isArray(m)) return { ...flattenBool(m, op, arg), source: null };
  throw new ArgumentError(`${op}: ${arg} must be a Tensor (additive) or a nested boolean array (true = blocked), got ${describe(m)}`);
}

/** A key padding mask as additive values: non-zero or true → −Infinity. */
function paddingMask(m: KeyPaddingMask, op: string, arg: string): MaskPart {
  if (m instanceof Tensor) {
    const out = allocFloat32(m.size, op);
    const d = m.data;
    for (let i = 0; i < out.length; i++) if (d[i] !== 0) out[i] = -Infinity;
    return { data: out, shape: m.shape.slice(), source: null };
  }
  if (Array.isArray(m)) return { ...flattenBool(m, op, arg), source: null };
  throw new ArgumentError(`${op}: ${arg} must be a Tensor (non-zero = ignore) or a nested boolean array (true = ignore), got ${describe(m)}`);
}

/** For every multi-index of `shape` in row-major order, Σ index·strides. */
function offsets(shape: readonly number[], strides: readonly number[]): Int32Array {
  const n = sizeOf(shape);
  const out = new Int32Array(n);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    out[k] = off;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < shape[d]) break;
      off -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * Combines the masks (each already known to broadcast to `scoresShape`) into one additive buffer
 * whose last axis is S, and the offset of each score row into it. One mask whose last axis is S
 * is read in place; several are summed once into their broadcast shape (at most B·NH·T·S).
 */
function maskPlan(parts: MaskPart[], scoresShape: readonly number[], causal: boolean): MaskPlan {
  let gradMask: Tensor | null = null;
  const fixed: MaskPart[] = [];
  for (const p of parts) {
    if (p.source !== null) gradMask = p.source;
    else fixed.push(p);
  }
  if (fixed.length === 0) return { bias: null, rowOff: null, causal, gradMask };
  const nd = scoresShape.length;
  const S = scoresShape[nd - 1];
  const padded = fixed.map((p) => [...new Array<number>(nd - p.shape.length).fill(1), ...p.shape]);
  let bias: Float32Array;
  let target: number[];
  if (fixed.length === 1 && padded[0][nd - 1] === S) {
    bias = fixed[0].data;
    target = padded[0];
  } else {
    target = new Array<number>(nd).fill(1);
    for (const s of padded) for (let d = 0; d < nd; d++) target[d] = Math.max(target[d], s[d]);
    target[nd - 1] = S;
    bias = allocFloat32(sizeOf(target), 'attention mask');
    for (let i = 0; i < fixed.length; i++) {
      const off = offsets(target, broadcastStrides(padded[i], target));
      const src = fixed[i].data;
      for (let k = 0; k < off.length; k++) bias[k] += src[off[k]];
    }
  }
  const st = broadcastStrides(target, scoresShape);
  const rowOff = offsets(scoresShape.slice(0, -1), st.slice(0, -1));
  return { bias, rowOff, causal, gradMask };
}

/**
 * y[r, s] = softmax over s of (scale · x[r, s] + bias[rowOff[r] + s]), where with `causal` the
 * keys s > t (t = r mod T, top-left aligned) are blocked. A row whose entries are all blocked
 * (all −Infinity) becomes zeros instead of 0/0. The scaled, masked scores are written into y
 * (blocked keys as −Infinity) and the row softmax kernel of the backend runs on them in place.
 * Shapes: x, y (R, S); bias read at rowOff[r] + s. Overwrites y.
 */
function maskedSoftmaxForward(
  y: Float32Array, x: Float32Array, bias: Float32Array | null, rowOff: Int32Array | null,
  scale: number, causal: boolean, R: number, T: number, S: number,
): void {
  let blocked: number[] | null = null;
  for (let r = 0; r < R; r++) {
    const row = r * S;
    const lim = causal ? Math.min(S, (r % T) + 1) : S;
    let m = -Infinity;
    if (bias === null) {
      for (let s = 0; s < lim; s++) {
        const v = scale * x[row + s];
        y[row + s] = v;
        if (v > m) m = v;
      }
    } else {
      const bRow = (rowOff as Int32Array)[r];
      for (let s = 0; s < lim; s++) {
        const v = scale * x[row + s] + bias[bRow + s];
        y[row + s] = v;
        if (v > m) m = v;
      }
    }
    for (let s = lim; s < S; s++) y[row + s] = -Infinity;
    if (m === -Infinity) (blocked ??= []).push(r);
  }
  K.softmaxForward(y, y, R, S, 1);
  if (blocked !== null) for (const r of blocked) y.fill(0, r * S, (r + 1) * S);
}

/**
 * dx[r, s] += scale · y[r, s] · (dy[r, s] − Σ_s' dy[r, s'] · y[r, s']), from the saved output, as
 * the backend's softmax backward of scale · dy; blocked entries have y = 0 and get nothing.
 * Shapes: dx, dy, y (R, S). Accumulates into dx.
 */
function maskedSoftmaxBackward(dx: Float32Array, dy: Float32Array, y: Float32Array, scale: number, R: number, S: number): void {
  const g = allocFloat32(R * S, 'scaledMaskedSoftmax');
  for (let i = 0; i < R * S; i++) g[i] = scale * dy[i];
  K.softmaxBackward(dx, g, y, R, S, 1);
}

/** The fused scale + mask + softmax op over the last axis of the scores (…, T, S). */
function maskedSoftmax(x: Tensor, scale: number, plan: MaskPlan): Tensor {
  const nd = x.ndim;
  const S = x.shape[nd - 1], T = x.shape[nd - 2];
  const R = sizeOf(x.shape.slice(0, -1));
  const y = Tensor.empty(x.shape);
  maskedSoftmaxForward(y.data, x.data, plan.bias, plan.rowOff, scale, plan.causal, R, T, S);
  return record('scaledMaskedSoftmax', y, [x], (dy) => {
    if (x.requiresGrad) maskedSoftmaxBackward(x.gradBuffer(), dy, y.data, scale, R, S);
  });
}

interface CoreOptions {
  scale: number;
  dropout: number;
  training: boolean;
  rng: Generator | undefined;
}

/**
 * softmax(q·kᵀ·scale + mask)·v with kᵀ given already transposed, so the caller chooses the one
 * copy that lays it out. Returns the output and the attention probabilities (after dropout).
 */
function attend(q: Tensor, kT: Tensor, v: Tensor, plan: MaskPlan, o: CoreOptions): { out: Tensor; probs: Tensor } {
  let scores = matmul(q, kT);
  let scale = o.scale;
  if (plan.gradMask !== null) {
    scores = add(mul(scores, scale), plan.gradMask);
    scale = 1;
  }
  let probs = maskedSoftmax(scores, scale, plan);
  if (o.dropout > 0 && o.training) probs = dropout(probs, o.dropout, { training: true, rng: layerRng(o.rng) });
  return { out: matmul(probs, v), probs };
}

const tensorArg = instanceOf(Tensor);

function needTensor(x: unknown, op: string, arg: string): Tensor {
  return checkArg(op, arg, x, tensorArg);
}

/** A mask option: passed through here, checked (Tensor or nested booleans, and its shape) where it is used. */
const mask: Check<unknown> = (v) => v;

const SDPA = { attnMask: mask, isCausal: bool, dropout: prob, training: bool, rng, scale: finite };

/** Options of {@link scaledDotProductAttention}. */
export interface ScaledDotProductAttentionOptions {
  /** Mask broadcastable to the scores (…, T, S): additive Tensor or nested booleans (true = blocked). */
  attnMask?: AttnMask | null;
  /** Block key s for query t when s > t (a lower-triangular mask aligned at the top left). */
  isCausal?: boolean;
  /** Probability of dropping an attention weight (default 0). */
  dropout?: number;
  /** Apply dropout (default true; it only matters when `dropout` > 0). */
  training?: boolean;
  /** Generator of the dropout mask (default: the global one). */
  rng?: Generator;
  /** Factor on q·kᵀ (default 1/√d). */
  scale?: number;
}

/**
 * Scaled dot-product attention (Vaswani et al., 2017): out = softmax(q·kᵀ/√d + mask)·v, the
 * softmax over the keys. Masks combine: the additive or boolean `attnMask` and, with `isCausal`,
 * the lower-triangular mask (key s > query t blocked, aligned at the top left when T ≠ S). A query
 * whose keys are all blocked gets zero weights and a zero output row (PyTorch gives NaN there).
 * Composed from the batched `matmul` and one fused scale-mask-softmax op; kᵀ costs one copy.
 * Shapes: q (…, T, d), k (…, S, d), v (…, S, dv) with broadcasting leading axes; attnMask
 * broadcastable to (…, T, S) → out (…, T, dv).
 * Gradient: to q, k, v and to an additive `attnMask` that requires grad; dropout uses the same mask
 * in backward.
 * @example
 * // one query, two keys with scores 0 and 1·1/√1: weights softmax([0, 1]), output their mix of v
 * scaledDotProductAttention(tensor([[1]]), tensor([[0], [1]]), tensor([[10], [20]])).toArray(); // [17.310586]
 * @throws ShapeError naming the shapes when q and k widths, k and v lengths or the mask disagree.
 * @throws ArgumentError for a dropout outside [0, 1] or a non-tensor input.
 * @see Vaswani et al., "Attention Is All You Need" (2017), https://arxiv.org/abs/1706.03762
 * @category Neural network ops
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: ScaledDotProductAttentionOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  needTensor(q, op, 'q');
  needTensor(k, op, 'k');
  needTensor(v, op, 'v');
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2) {
    throw new ShapeError(`${op}: q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)} and v ${fmtShape(v.shape)} must each have at least 2 dimensions (…, length, width)`);
  }
  const d = q.shape[q.ndim - 1];
  if (k.shape[k.ndim - 1] !== d) throw new ShapeError(`${op}: q ${fmtShape(q.shape)} and k ${fmtShape(k.shape)} must have the same last dimension`);
  if (k.shape[k.ndim - 2] !== v.shape[v.ndim - 2]) throw new ShapeError(`${op}: k ${fmtShape(k.shape)} and v ${fmtShape(v.shape)} must have the same length (second-to-last dimension)`);
  const o = { dropout: 0, training: true, isCausal: false, ...parseOptions(op, options, SDPA) };
  const scale = o.scale ?? 1 / Math.sqrt(d);
  const T = q.shape[q.ndim - 2], S = k.shape[k.ndim - 2];
  const lead = broadcastShapes(q.shape.slice(0, -2), k.shape.slice(0, -2), op, ['q batch', 'k batch']);
  const scoresShape = [...lead, T, S];
  const parts: MaskPart[] = [];
  if (o.attnMask !== undefined && o.attnMask !== null) {
    const m = additiveMask(o.attnMask as AttnMask, op, 'attnMask');
    const b = broadcastShapes(m.shape, scoresShape, op, ['attnMask', 'scores (…, T, S)']);
    if (b.length !== scoresShape.length || b.some((x, i) => x !== scoresShape[i])) {
      throw new ShapeError(`${op}: attnMask ${fmtShape(m.shape)} does not broadcast to the scores ${fmtShape(scoresShape)} of q ${fmtShape(q.shape)} and k ${fmtShape(k.shape)}`);
    }
    parts.push(m);
  }
  const kT = permute(k, [...k.shape.slice(0, -2).map((_, i) => i), k.ndim - 1, k.ndim - 2]);
  const { out } = attend(q, kT, v, maskPlan(parts, scoresShape, !!o.isCausal), { scale, dropout: o.dropout, training: o.training, rng: o.rng });
  return out;
}

/**
 * The additive causal mask of PyTorch's `Transformer.generate_square_subsequent_mask`: 0 on and
 * below the diagonal, −Infinity above, so position t attends to positions 0 … t.
 * Shapes: → (T, T).
 * @example generateSquareSubsequentMask(3).tolist(); // [[0, -Infinity, -Infinity], [0, 0, -Infinity], [0, 0, 0]]
 * @category Layers
 */
export function generateSquareSubsequentMask(T: number): Tensor {
  checkArg('generateSquareSubsequentMask', 'size', T, nonNegInt);
  const m = Tensor.empty([T, T]);
  for (let t = 0; t < T; t++) m.data.fill(-Infinity, t * T + t + 1, (t + 1) * T);
  return m;
}

/** Options of {@link MultiHeadAttention}. */
export interface MultiHeadAttentionOptions {
  /** Dropout on the attention weights in training (default 0). */
  dropout?: number;
  /** Biases in the four projections (default true). */
  bias?: boolean;
  /** Width of the keys (default embedDim). */
  kdim?: number;
  /** Width of the values (default embedDim). */
  vdim?: number;
  /** Generator of the initial weights and of the dropout masks (default: the global one). */
  rng?: Generator;
}

/** The single-argument form of {@link MultiHeadAttention}: what its `config().options` returns, plus `rng`. */
export interface MultiHeadAttentionConfig extends MultiHeadAttentionOptions {
  /** E: the model width. */
  embedDim: number;
  /** NH: the number of heads; divides embedDim. */
  numHeads: number;
}

const MHA = { embedDim: posInt, numHeads: posInt, dropout: prob, bias: bool, kdim: posInt, vdim: posInt, rng };
const MHA_FORWARD = { keyPaddingMask: mask, attnMask: mask, isCausal: bool, needWeights: bool, averageAttnWeights: bool };

/** Options of {@link MultiHeadAttention.forward}. */
export interface MultiHeadAttentionForwardOptions {
  /** Shape [B, S]; true / non-zero marks a key to ignore (PyTorch's `key_padding_mask`). */
  keyPaddingMask?: KeyPaddingMask | null;
  /** [T, S] or [B·NH, T, S] (PyTorch's layouts): additive Tensor or nested booleans (true = blocked). */
  attnMask?: AttnMask | null;
  /** Block key s for query t when s > t (top-left aligned), on top of any other mask. */
  isCausal?: boolean;
  /** Return the attention weights (default true, as PyTorch). */
  needWeights?: boolean;
  /** Average the weights over heads to [B, T, S] (default true) rather than [B, NH, T, S]. */
  averageAttnWeights?: boolean;
}

/** What {@link MultiHeadAttention.forward} returns. */
export interface AttentionOutput {
  /** [B, T, E]. */
  output: Tensor;
  /** [B, T, S] averaged over heads, [B, NH, T, S] per head, or null without `needWeights`. */
  weights: Tensor | null;
}

/**
 * Multi-head attention (Vaswani et al., 2017): each head h attends with its slice of the
 * projections, headₕ = softmax(Qₕ·Kₕᵀ/√D + mask)·Vₕ with Q = query·W_qᵀ + b_q, K = key·W_kᵀ + b_k,
 * V = value·W_vᵀ + b_v and D = embedDim / numHeads, and the heads are joined and projected:
 * out = concat(head₁ … head_NH)·W_oᵀ + b_o. PyTorch's `nn.MultiheadAttention` with
 * `batch_first=True` (inputs are always batch-first here), with the projections held as four
 * `Linear` layers `qProj`, `kProj`, `vProj`, `outProj`; {@link MultiHeadAttention.loadInProj} and
 * {@link torchAttentionStateDict} split PyTorch's packed `in_proj_weight`/`in_proj_bias`.
 *
 * Masks: `attnMask` (additive or boolean), `keyPaddingMask` and `isCausal` combine; a query row
 * with every key blocked gets zero weights, so its output is `outProj`'s bias (PyTorch gives NaN).
 * The weights returned are the ones applied, i.e. after dropout in training, as PyTorch.
 *
 * Shapes: query (B, T, E), key (B, S, kdim), value (B, S, vdim) → output (B, T, E), weights
 * (B, T, S) or (B, NH, T, S); unbatched (T, E), (S, kdim), (S, vdim) also work (then the masks
 * drop B). Parameters: qProj.weight [E, E], kProj.weight [E, kdim], vProj.weight [E, vdim],
 * outProj.weight [E, E], biases [E].
 * Init (PyTorch's): q/k/v weights U(−a, a) with a = √(6 / (E + 3E)), the Xavier bound of the packed
 * [3E, E] matrix (each matrix's own Xavier bound when kdim or vdim ≠ E); outProj.weight
 * U(−1/√E, 1/√E); all biases 0.
 * @example
 * const mha = new MultiHeadAttention(8, 2, { rng: new Generator(0) });
 * const x = randn([3, 5, 8], { rng: new Generator(1) });
 * const { output, weights } = mha.forward(x, x, x, { isCausal: true });
 * output.shape; // [3, 5, 8]
 * weights?.shape; // [3, 5, 5]
 * @throws ArgumentError when embedDim is not divisible by numHeads, or for a bad dropout.
 * @throws ShapeError from forward naming the shapes when inputs or masks do not fit.
 * @see Vaswani et al., "Attention Is All You Need" (2017), https://arxiv.org/abs/1706.03762
 * @see https://pytorch.org/docs/1.13/generated/torch.nn.MultiheadAttention.html
 * @category Layers
 */
export class MultiHeadAttention extends Module {
  /** E: the model width, the last axis of query and of the output. */
  readonly embedDim: number;
  /** NH: the number of heads; divides embedDim. */
  readonly numHeads: number;
  /** D = embedDim / numHeads. */
  readonly headDim: number;
  /** The last axis of key (default embedDim). */
  readonly kdim: number;
  /** The last axis of value (default embedDim). */
  readonly vdim: number;
  /** Dropout probability on the attention weights. */
  readonly dropout: number;
  /** Query projection W_q, b_q: Linear(E, E). */
  readonly qProj: Linear;
  /** Key projection W_k, b_k: Linear(kdim, E). */
  readonly kProj: Linear;
  /** Value projection W_v, b_v: Linear(vdim, E). */
  readonly vProj: Linear;
  /** Output projection W_o, b_o applied to the joined heads: Linear(E, E). */
  readonly outProj: Linear;
  private readonly rng: Generator | undefined;

  /** Builds the layer from its config object (`mha.config().options`). */
  constructor(config: MultiHeadAttentionConfig);
  constructor(embedDim: number, numHeads: number, options?: MultiHeadAttentionOptions);
  constructor(embedDim: number | MultiHeadAttentionConfig, numHeads?: number, options?: MultiHeadAttentionOptions) {
    super();
    const op = 'MultiHeadAttention';
    const o = layerArgs(op, MHA, ['embedDim', 'numHeads'], [embedDim, numHeads], options);
    const E = o.embedDim!, NH = o.numHeads!;
    this.embedDim = E;
    this.numHeads = NH;
    if (E % NH !== 0) throw new ArgumentError(`${op}: embedDim ${E} must be divisible by numHeads ${NH}`);
    this.headDim = E / NH;
    this.kdim = o.kdim ?? E;
    this.vdim = o.vdim ?? E;
    this.dropout = o.dropout ?? 0;
    this.rng = o.rng;
    const rng = layerRng(o.rng);
    const bias = o.bias !== false;
    this.qProj = new Linear(E, E, { bias, rng });
    this.kProj = new Linear(this.kdim, E, { bias, rng });
    this.vProj = new Linear(this.vdim, E, { bias, rng });
    this.outProj = new Linear(E, E, { bias, rng });
    const packed = this.kdim === E && this.vdim === E;
    for (const [lin, fanIn] of [[this.qProj, E], [this.kProj, this.kdim], [this.vProj, this.vdim]] as const) {
      const a = packed ? Math.sqrt(6 / (E + 3 * E)) : Math.sqrt(6 / (fanIn + E));
      rng.fillUniform(lin.weight.data, -a, a);
      lin.bias?.data.fill(0);
    }
    const k = 1 / Math.sqrt(E);
    rng.fillUniform(this.outProj.weight.data, -k, k);
    this.outProj.bias?.data.fill(0);
  }

  /**
   * Attends from `query` to `key`/`value` (pass the same tensor three times for self-attention).
   * See the class documentation for shapes and masks.
   */
  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiHeadAttentionForwardOptions = {}): AttentionOutput {
    const op = 'MultiHeadAttention';
    needTensor(query, op, 'query');
    needTensor(key, op, 'key');
    needTensor(value, op, 'value');
    const o = { needWeights: true, averageAttnWeights: true, isCausal: false, ...parseOptions(op, options, MHA_FORWARD) };
    const { embedDim: E, numHeads: NH, headDim: D } = this;
    const unbatched = query.ndim === 2;
    const rank = unbatched ? 2 : 3;
    const where = `query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)}, value ${fmtShape(value.shape)}`;
    if (query.ndim !== rank || key.ndim !== rank || value.ndim !== rank || !(query.ndim === 2 || query.ndim === 3)) {
      throw new ShapeError(`${op}: ${where}: expected (B, T, E), (B, S, kdim), (B, S, vdim) (or all unbatched without B)`);
    }
    if (unbatched) {
      query = unsqueeze(query, 0);
      key = unsqueeze(key, 0);
      value = unsqueeze(value, 0);
    }
    const B = query.shape[0], T = query.shape[1], S = key.shape[1];
    if (key.shape[0] !== B || value.shape[0] !== B) throw new ShapeError(`${op}: ${where}: batch sizes differ`);
    if (value.shape[1] !== S) throw new ShapeError(`${op}: ${where}: key and value lengths ${S} and ${value.shape[1]} differ`);
    if (query.shape[2] !== E) throw new ShapeError(`${op}: ${where}: query width ${query.shape[2]} is not embedDim ${E}`);
    if (key.shape[2] !== this.kdim) throw new ShapeError(`${op}: ${where}: key width ${key.shape[2]} is not kdim ${this.kdim}`);
    if (value.shape[2] !== this.vdim) throw new ShapeError(`${op}: ${where}: value width ${value.shape[2]} is not vdim ${this.vdim}`);

    const scoresShape = [B, NH, T, S];
    const parts: MaskPart[] = [];
    if (o.attnMask !== undefined && o.attnMask !== null) {
      const m = additiveMask(o.attnMask as AttnMask, op, 'attnMask');
      if (m.shape.length === 2 && m.shape[0] === T && m.shape[1] === S) parts.push(m);
      else if (m.shape.length === 3 && m.shape[0] === B * NH && m.shape[1] === T && m.shape[2] === S) parts.push({ ...m, shape: scoresShape });
      else {
        throw new ShapeError(`${op}: attnMask ${fmtShape(m.shape)} must be [T, S] = [${T}, ${S}] or [B·NH, T, S] = [${B * NH}, ${T}, ${S}] for ${where}`);
      }
      if (m.source !== null && m.shape.length === 3) parts[0] = { ...m, source: reshape(m.source, scoresShape) };
    }
    if (o.keyPaddingMask !== undefined && o.keyPaddingMask !== null) {
      const m = paddingMask(o.keyPaddingMask as KeyPaddingMask, op, 'keyPaddingMask');
      const want = unbatched ? [S] : [B, S];
      if (m.shape.length !== want.length || m.shape.some((x, i) => x !== want[i])) {
        throw new ShapeError(`${op}: keyPaddingMask ${fmtShape(m.shape)} must be ${unbatched ? '[S]' : '[B, S]'} = ${fmtShape(want)} for ${where}`);
      }
      parts.push({ ...m, shape: [B, 1, 1, S] });
    }

    const q = this.qProj.forward(query);
    const k = this.kProj.forward(key);
    const v = this.vProj.forward(value);
    const qh = permute(reshape(q, [B, T, NH, D]), [0, 2, 1, 3]);
    const kT = permute(reshape(k, [B, S, NH, D]), [0, 2, 3, 1]);
    const vh = permute(reshape(v, [B, S, NH, D]), [0, 2, 1, 3]);
    const { out, probs } = attend(qh, kT, vh, maskPlan(parts, scoresShape, o.isCausal), {
      scale: 1 / Math.sqrt(D), dropout: this.dropout, training: this.training, rng: this.rng,
    });
    let output = this.outProj.forward(reshape(permute(out, [0, 2, 1, 3]), [B, T, E]));
    let weights = o.needWeights ? (o.averageAttnWeights ? mean(probs, { axis: 1 }) : probs) : null;
    if (unbatched) {
      output = squeeze(output, 0);
      if (weights !== null) weights = squeeze(weights, 0);
    }
    return { output, weights };
  }

  /**
   * Loads PyTorch's packed input projection: rows [0, E), [E, 2E), [2E, 3E) of `in_proj_weight`
   * [3E, E] become qProj, kProj and vProj weights, and the thirds of `in_proj_bias` [3E] their
   * biases. Copies in place (optimizers keep working); returns this.
   * @throws ShapeError when the sizes are not [3E, E] and [3E], or ArgumentError when kdim or vdim
   * differ from E (PyTorch then keeps separate `q_proj_weight`, `k_proj_weight`, `v_proj_weight`).
   */
  loadInProj(inProjWeight: Tensor, inProjBias: Tensor | null = null): this {
    const E = this.embedDim;
    if (this.kdim !== E || this.vdim !== E) throw new ArgumentError(`MultiHeadAttention.loadInProj: a packed in_proj_weight needs kdim = vdim = embedDim, here ${this.kdim}, ${this.vdim}, ${E}`);
    needTensor(inProjWeight, 'MultiHeadAttention.loadInProj', 'inProjWeight');
    if (inProjWeight.size !== 3 * E * E || inProjWeight.ndim !== 2 || inProjWeight.shape[0] !== 3 * E) {
      throw new ShapeError(`MultiHeadAttention.loadInProj: inProjWeight ${fmtShape(inProjWeight.shape)} must be [3E, E] = [${3 * E}, ${E}]`);
    }
    const lins = [this.qProj, this.kProj, this.vProj];
    for (let i = 0; i < 3; i++) lins[i].weight.data.set(inProjWeight.data.subarray(i * E * E, (i + 1) * E * E));
    if (inProjBias !== null) {
      needTensor(inProjBias, 'MultiHeadAttention.loadInProj', 'inProjBias');
      if (inProjBias.size !== 3 * E || inProjBias.ndim !== 1) throw new ShapeError(`MultiHeadAttention.loadInProj: inProjBias ${fmtShape(inProjBias.shape)} must be [3E] = [${3 * E}]`);
      if (this.qProj.bias === null) throw new ArgumentError('MultiHeadAttention.loadInProj: this layer was built with bias: false');
      for (let i = 0; i < 3; i++) (lins[i].bias as Tensor).data.set(inProjBias.data.subarray(i * E, (i + 1) * E));
    }
    return this;
  }

  override config(): LayerConfig<MultiHeadAttentionConfig> {
    return {
      type: 'MultiHeadAttention',
      options: { embedDim: this.embedDim, numHeads: this.numHeads, dropout: this.dropout, bias: this.qProj.bias !== null, kdim: this.kdim, vdim: this.vdim },
    };
  }
}

function camel(segment: string): string {
  return segment.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Renames a PyTorch state dict of attention and transformer modules to tensorkit's names, for
 * `loadStateDict`: each dotted segment goes from snake_case to camelCase (`self_attn.out_proj.weight`
 * → `selfAttn.outProj.weight`, `running_mean` → `runningMean`), the packed `in_proj_weight` [3E, E]
 * and `in_proj_bias` [3E] are split into `qProj`, `kProj`, `vProj` weights and biases, and the
 * separate `q_proj_weight`, `k_proj_weight`, `v_proj_weight` (kdim or vdim ≠ E) become
 * `qProj.weight`, `kProj.weight`, `vProj.weight`. The split tensors are copies; the rest are the
 * same tensors.
 * Shapes: in_proj_weight (3E, E) → three (E, E); in_proj_bias (3E) → three (E).
 * @example
 * const sd = { in_proj_weight: zeros([12, 4]), in_proj_bias: zeros([12]), 'out_proj.weight': zeros([4, 4]), 'out_proj.bias': zeros([4]) };
 * Object.keys(torchAttentionStateDict(sd)); // ['qProj.weight', 'kProj.weight', 'vProj.weight', 'qProj.bias', 'kProj.bias', 'vProj.bias', 'outProj.weight', 'outProj.bias']
 * @throws ShapeError when a packed entry's first dimension is not divisible by 3.
 * @category Layers
 */
export function torchAttentionStateDict(sd: Record<string, Tensor>): StateDict {
  if (sd === null || typeof sd !== 'object') throw new ArgumentError(`torchAttentionStateDict: expected an object of name → Tensor, got ${describe(sd)}`);
  const out: StateDict = {};
  for (const [key, t] of Object.entries(sd)) {
    const segs = key.split('.');
    const last = segs.pop() as string;
    const prefix = segs.map(camel).join('.');
    const name = (s: string): string => (prefix ? `${prefix}.${s}` : s);
    needTensor(t, 'torchAttentionStateDict', key);
    if (last === 'in_proj_weight' || last === 'in_proj_bias') {
      if (t.shape[0] % 3 !== 0) throw new ShapeError(`torchAttentionStateDict: ${key} ${fmtShape(t.shape)} must have a first dimension divisible by 3`);
      const n = t.size / 3;
      const shape = [t.shape[0] / 3, ...t.shape.slice(1)];
      const leaf = last === 'in_proj_weight' ? 'weight' : 'bias';
      ['qProj', 'kProj', 'vProj'].forEach((p, i) => {
        out[name(`${p}.${leaf}`)] = new Tensor(t.data.slice(i * n, (i + 1) * n), shape);
      });
    } else if (last === 'q_proj_weight' || last === 'k_proj_weight' || last === 'v_proj_weight') {
      out[name(`${last[0]}Proj.weight`)] = t;
    } else out[name(camel(last))] = t;
  }
  return out;
}
