/**
 * ONNX export of attention and the transformer layers as node subgraphs (MatMul, Add, Reshape,
 * Transpose, Softmax, LayerNormalization), their constant masks, and the transformer families
 * (`TransformerClassifier`, `TransformerLM`).
 * @module
 */
import { Tensor, add, concat, expand, gelu, mean, relu, reshape, slice } from '../../tensor/index';
import type { Module } from '../../nn/index';
import { fmtShape } from '../../tensor/errors';
import { Graph, geluNodes, int_, ints, join, unsupported, type Call, type Emit, type Value } from './export-graph';

interface Attention {
  embedDim: number;
  numHeads: number;
  headDim: number;
  qProj: Module;
  kProj: Module;
  vProj: Module;
  outProj: Module;
  forward(q: Tensor, k: Tensor, v: Tensor, o: Record<string, unknown>): { output: Tensor };
}

/** A mask given to a forward: an additive tensor or nested booleans (true = blocked). */
type MaskArg = Tensor | readonly unknown[] | null | undefined;

/** Nested booleans flattened in row-major order, true → −Infinity (added to `out`). */
function addBoolMask(out: Float32Array, m: readonly unknown[]): void {
  let k = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else out[k++] += v === true ? -Infinity : 0;
  };
  walk(m);
}

/**
 * The additive [T, S] mask of an attention call, fixed into the graph as an initializer (null
 * when nothing is masked): the attnMask (a [T, S] tensor or nested booleans) plus, with
 * isCausal, −Infinity where key s > query t. A key padding mask is refused: it depends on the
 * batch, which the graph leaves open.
 */
function maskInit(g: Graph, m: Module, path: string, T: number, S: number, attnMask: MaskArg, isCausal: unknown, padding: unknown): string | null {
  if (padding !== undefined && padding !== null) {
    unsupported(m, path, 'got a key padding mask: it depends on the batch, which the exported graph leaves open, so it is not exported (pad with a mask input of your own, or export without it)');
  }
  const hasMask = attnMask !== undefined && attnMask !== null;
  if (!hasMask && isCausal !== true) return null;
  const data = new Float32Array(T * S);
  if (attnMask instanceof Tensor) {
    if (attnMask.ndim !== 2 || attnMask.shape[0] !== T || attnMask.shape[1] !== S) {
      unsupported(m, path, `has an attention mask ${fmtShape(attnMask.shape)}; only a [T, S] = [${T}, ${S}] mask is exported (one for every batch and head)`);
    }
    data.set(attnMask.data);
  } else if (Array.isArray(attnMask)) {
    if (attnMask.length !== T || !Array.isArray(attnMask[0]) || (attnMask[0] as unknown[]).length !== S) {
      unsupported(m, path, `has a boolean attention mask that is not [T, S] = [${T}, ${S}]; only a [T, S] mask is exported`);
    }
    addBoolMask(data, attnMask);
  }
  if (isCausal === true) for (let t = 0; t < T; t++) data.fill(-Infinity, t * S + t + 1, (t + 1) * S);
  return g.init(`${path}.mask`, [T, S], data);
}

/**
 * softmax(Q·Kᵀ/√D + mask)·V per head, heads joined and projected: the projections as Linear
 * nodes, the heads split with Reshape [0, 0, NH, D] and Transpose (so the batch stays dynamic).
 */
function attentionNodes(g: Graph, m: Module, path: string, q: Value, k: Value, v: Value, mask: { attnMask?: MaskArg; isCausal?: unknown; keyPaddingMask?: unknown }): Value {
  const a = m as unknown as Attention;
  if (q.sample.ndim !== 3 || k.sample.ndim !== 3 || v.sample.ndim !== 3) {
    unsupported(m, path, `needs batched inputs (B, T, E), got ${fmtShape(q.sample.shape)}, ${fmtShape(k.sample.shape)}, ${fmtShape(v.sample.shape)}`);
  }
  const sample = a.forward(q.sample, k.sample, v.sample, { attnMask: mask.attnMask, isCausal: mask.isCausal, keyPaddingMask: mask.keyPaddingMask, needWeights: false }).output;
  const T = q.sample.shape[1], S = k.sample.shape[1], NH = a.numHeads, D = a.headDim;
  const heads = (x: Value, proj: Module, name: string, perm: number[]): string => {
    const p = g.emit(proj, join(path, name), x);
    return g.transpose(path, g.reshape(path, p.name, [0, 0, NH, D]), perm);
  };
  const qh = heads(q, a.qProj, 'qProj', [0, 2, 1, 3]);
  const kT = heads(k, a.kProj, 'kProj', [0, 2, 3, 1]);
  const vh = heads(v, a.vProj, 'vProj', [0, 2, 1, 3]);
  let scores = g.node('Mul', path, [g.node('MatMul', path, [qh, kT]), g.scalar(`${path}.scale`, 1 / Math.sqrt(D))]);
  const mk = maskInit(g, m, path, T, S, mask.attnMask, mask.isCausal, mask.keyPaddingMask);
  if (mk !== null) scores = g.node('Add', path, [scores, mk]);
  const probs = g.node('Softmax', path, [scores], [['axis', int_(-1)]]);
  const joined = g.reshape(path, g.transpose(path, g.node('MatMul', path, [probs, vh]), [0, 2, 1, 3]), [0, 0, a.embedDim]);
  const out = g.emit(a.outProj, join(path, 'outProj'), { name: joined, sample: Tensor.empty([q.sample.shape[0], T, a.embedDim]) });
  return { name: out.name, sample };
}

interface EncoderLayer {
  selfAttn: Module;
  linear1: Module;
  linear2: Module;
  norm1: Module;
  norm2: Module;
  norm3?: Module;
  multiheadAttn?: Module;
  normFirst: boolean;
  activation: 'relu' | 'gelu';
}

const sum = (g: Graph, path: string, a: Value, b: Value): Value => ({ name: g.node('Add', path, [a.name, b.name]), sample: add(a.sample, b.sample) });

/** The feed-forward block linear2(act(linear1(x))) (its dropouts are the identity in eval mode). */
function feedForward(g: Graph, l: EncoderLayer, path: string, x: Value): Value {
  const h = g.emit(l.linear1, join(path, 'linear1'), x);
  const act: Value = l.activation === 'gelu'
    ? { name: geluNodes(g, join(path, 'activation'), h.name, 'none'), sample: gelu(h.sample) }
    : { name: g.node('Relu', join(path, 'activation'), [h.name]), sample: relu(h.sample) };
  return g.emit(l.linear2, join(path, 'linear2'), act);
}

/** An encoder layer (or, with `memory`, a decoder layer): attention blocks, feed-forward, residual sums and LayerNormalization, pre- or post-norm. */
function transformerLayer(g: Graph, m: Module, path: string, x: Value, memory: Value | null, o: Record<string, unknown>): string {
  const l = m as unknown as EncoderLayer;
  const norm = (n: Module, key: string, v: Value): Value => g.emit(n, join(path, key), v);
  const blocks: ((v: Value) => Value)[] = [];
  if (memory === null) {
    blocks.push((v) => attentionNodes(g, l.selfAttn, join(path, 'selfAttn'), v, v, v, { attnMask: o.srcMask as MaskArg, isCausal: o.isCausal, keyPaddingMask: o.srcKeyPaddingMask }));
  } else {
    blocks.push((v) => attentionNodes(g, l.selfAttn, join(path, 'selfAttn'), v, v, v, { attnMask: o.tgtMask as MaskArg, isCausal: o.tgtIsCausal, keyPaddingMask: o.tgtKeyPaddingMask }));
    blocks.push((v) => attentionNodes(g, l.multiheadAttn as Module, join(path, 'multiheadAttn'), v, memory, memory, { attnMask: o.memoryMask as MaskArg, isCausal: o.memoryIsCausal, keyPaddingMask: o.memoryKeyPaddingMask }));
  }
  blocks.push((v) => feedForward(g, l, path, v));
  const norms = [l.norm1, l.norm2, l.norm3];
  let z = x;
  blocks.forEach((block, i) => {
    const n = norms[i] as Module, key = `norm${i + 1}`;
    z = l.normFirst ? sum(g, path, z, block(norm(n, key, z))) : norm(n, key, sum(g, path, z, block(z)));
  });
  return z.name;
}

interface Stack { layers: Module[]; norm: Module | null }

function stack(g: Graph, m: Module, path: string, x: Value, call: Call): Value {
  const s = m as unknown as Stack;
  let v = x;
  s.layers.forEach((l, i) => { v = g.emit(l, join(path, `layers.${i}`), v, call); });
  return s.norm === null ? v : g.emit(s.norm, join(path, 'norm'), v);
}

const fwd = (m: Module, ...args: unknown[]): Tensor => (m.forward as (...a: unknown[]) => Tensor)(...args);

/** @internal */
export const ATTENTION: Record<string, Emit> = {
  MultiHeadAttention(g, m, path, x, call) {
    if (call.more.length !== 0 && call.more.length !== 2) unsupported(m, path, `takes one input (self-attention) or three (query, key, value), got ${call.more.length + 1}`);
    const [k, v] = call.more.length === 0 ? [x, x] : call.more;
    const o = call.options as { attnMask?: MaskArg; isCausal?: unknown; keyPaddingMask?: unknown };
    return attentionNodes(g, m, path, x, k, v, o);
  },
  TransformerEncoderLayer(g, m, path, x, call) {
    if (call.more.length > 0) unsupported(m, path, `takes one input (src), got ${call.more.length + 1}`);
    return { name: transformerLayer(g, m, path, x, null, call.options), sample: fwd(m, x.sample, call.options) };
  },
  TransformerDecoderLayer(g, m, path, x, call) {
    if (call.more.length !== 1) unsupported(m, path, `takes two inputs (tgt, memory), got ${call.more.length + 1}`);
    return { name: transformerLayer(g, m, path, x, call.more[0], call.options), sample: fwd(m, x.sample, call.more[0].sample, call.options) };
  },
  TransformerEncoder(g, m, path, x, call) {
    if (call.more.length > 0) unsupported(m, path, `takes one input (src), got ${call.more.length + 1}`);
    return { name: stack(g, m, path, x, call).name, sample: fwd(m, x.sample, call.options) };
  },
  TransformerDecoder(g, m, path, x, call) {
    if (call.more.length !== 1) unsupported(m, path, `takes two inputs (tgt, memory), got ${call.more.length + 1}`);
    return { name: stack(g, m, path, x, call).name, sample: fwd(m, x.sample, call.more[0].sample, call.options) };
  },
  PositionalEncoding(g, m, path, x) {
    const p = m as unknown as { pe: Tensor; dModel: number };
    const T = x.sample.shape[x.sample.ndim - 2];
    return g.node('Add', path, [x.name, g.init(`${path}.pe`, [T, p.dModel], p.pe.data.slice(0, T * p.dModel))]);
  },
  TransformerClassifier(g, m, path, x) {
    const c = m as unknown as { embedding: Module; cls: Tensor | null; posEncoding: Module; encoder: Module; head: Module };
    let h = g.emit(c.embedding, join(path, 'embedding'), x);
    const [B, , E] = h.sample.shape;
    if (c.cls !== null) {
      // [B, 1, E] copies of cls, B read from the input's shape so the batch stays dynamic.
      const p = join(path, 'cls');
      const batch = g.node('Slice', p, [g.node('Shape', p, [h.name]), g.int64s(`${p}.start`, [0]), g.int64s(`${p}.end`, [1])]);
      const shape = g.node('Concat', p, [batch, g.int64s(`${p}.rest`, [1, E])], [['axis', int_(0)]]);
      const tok = g.node('Expand', p, [g.init(p, [1, 1, E], c.cls.data), shape]);
      h = { name: g.node('Concat', p, [tok, h.name], [['axis', int_(1)]]), sample: concat([expand(reshape(c.cls, [1, 1, E]), [B, 1, E]), h.sample], 1) };
    }
    h = g.emit(c.encoder, join(path, 'encoder'), g.emit(c.posEncoding, join(path, 'posEncoding'), h));
    const pooled: Value = c.cls !== null
      ? { name: g.node('Gather', path, [h.name, g.init(`${path}.first`, [], BigInt64Array.of(0n))], [['axis', int_(1)]]), sample: reshape(slice(h.sample, [null, 0]), [B, E]) }
      : { name: g.node('ReduceMean', path, [h.name], [['axes', ints([1])], ['keepdims', int_(0)]]), sample: mean(h.sample, { axis: 1 }) };
    return g.emit(c.head, join(path, 'head'), pooled).name;
  },
  TransformerLM(g, m, path, x) {
    const c = m as unknown as { embedding: Module; posEncoding: Module; encoder: Module; head: Module };
    const h = g.emit(c.posEncoding, join(path, 'posEncoding'), g.emit(c.embedding, join(path, 'embedding'), x));
    return g.emit(c.head, join(path, 'head'), g.emit(c.encoder, join(path, 'encoder'), h, { options: { isCausal: true } })).name;
  },
};
