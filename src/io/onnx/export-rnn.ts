/**
 * ONNX export of the recurrent layers (`RNN`, `LSTM`, `GRU`: one ONNX node per layer, both
 * directions in it) and the recurrent families (`RecurrentClassifier`, `SequenceTagger`).
 * @module
 */
import { Tensor, mean, permute, reshape, slice } from '../../tensor/index';
import type { Module, RecurrentOutput } from '../../nn/index';
import { Graph, int_, ints, join, str_, strs, unsupported, type Emit, type Value } from './export-graph';

/** Position in tensorkit's (PyTorch's) gate blocks of each ONNX gate block: LSTM i,f,g,o → i,o,f,c; GRU r,z,n → z,r,h. */
const GATES: Record<string, readonly number[]> = { LSTM: [0, 3, 1, 2], GRU: [1, 0, 2], RNN: [0] };

/** What the recurrent nodes produce: the layer's value (output, then hN and cN as extras) and the top layer's final states [D, B, H]. */
interface RecurrentNodes {
  value: Value;
  topHidden: string;
}

/** Copies the gate blocks (H rows of `cols` each) of `src` into `dst` at `off` in ONNX's order. */
function putGates(dst: Float32Array, off: number, src: Float32Array, order: readonly number[], H: number, cols: number): void {
  const block = H * cols;
  order.forEach((from, to) => dst.set(src.subarray(from * block, (from + 1) * block), off + to * block));
}

/**
 * The ONNX nodes of a recurrent stack on x (B, T, C): a Transpose to ONNX's time-major layout,
 * one `LSTM`/`GRU`/`RNN` node per layer (W [D, G·H, in], R [D, G·H, H], B [D, 2·G·H] = [Wb, Rb],
 * gates in ONNX's order; GRU with linear_before_reset = 1, as PyTorch), the directions of a layer
 * joined on the features before the next, and the output back to (B, T, D·H). hN (and cN) are the
 * layers' final states concatenated to (L·D, B, H). @internal
 */
export function recurrentNodes(g: Graph, m: Module, path: string, x: Value, init: { h: Value; c: Value | null } | null = null): RecurrentNodes {
  const type = m.config().type;
  // A family's rnn that is not a float recurrent layer (a QuantizedLSTM): its own mapping, or its error.
  if (!Object.hasOwn(GATES, type)) return { value: g.emit(m, path, x), topHidden: unsupported(m, path, 'is not an RNN, LSTM or GRU') };
  const r = m as unknown as { inputSize: number; hiddenSize: number; numLayers: number; bidirectional: boolean; bias: boolean; nonlinearity?: 'tanh' | 'relu' } & Record<string, Tensor | undefined>;
  const order = GATES[type], G = order.length, H = r.hiddenSize, D = r.bidirectional ? 2 : 1, L = r.numLayers;
  const sample = init === null
    ? (m.forward as (t: Tensor) => RecurrentOutput & { cN?: Tensor })(x.sample)
    : (m.forward as (t: Tensor, s: unknown) => RecurrentOutput & { cN?: Tensor })(x.sample, type === 'LSTM' ? { h0: init.h.sample, c0: init.c?.sample } : init.h.sample);
  const attrs: [string, ReturnType<typeof int_>][] = [['hidden_size', int_(H)], ['direction', str_(D === 2 ? 'bidirectional' : 'forward')]];
  if (type === 'GRU') attrs.push(['linear_before_reset', int_(1)]);
  if (type === 'RNN' && r.nonlinearity === 'relu') attrs.push(['activations', strs(D === 2 ? ['Relu', 'Relu'] : ['Relu'])]);
  const nOut = type === 'LSTM' ? 3 : 2;
  let input = g.transpose(path, x.name, [1, 0, 2]);
  const hs: string[] = [], cs: string[] = [];
  let y = '';
  for (let l = 0; l < L; l++) {
    const inSize = l === 0 ? r.inputSize : D * H;
    const W = new Float32Array(D * G * H * inSize), R = new Float32Array(D * G * H * H), B = new Float32Array(D * 2 * G * H);
    for (let d = 0; d < D; d++) {
      const s = d === 0 ? `${l}` : `${l}Reverse`;
      putGates(W, d * G * H * inSize, (r[`weightIh${s}`] as Tensor).data, order, H, inSize);
      putGates(R, d * G * H * H, (r[`weightHh${s}`] as Tensor).data, order, H, H);
      if (r.bias) {
        putGates(B, d * 2 * G * H, (r[`biasIh${s}`] as Tensor).data, order, H, 1);
        putGates(B, d * 2 * G * H + G * H, (r[`biasHh${s}`] as Tensor).data, order, H, 1);
      }
    }
    const inputs = [input, g.init(`${path}.W${l}`, [D, G * H, inSize], W), g.init(`${path}.R${l}`, [D, G * H, H], R)];
    inputs.push(r.bias ? g.init(`${path}.B${l}`, [D, 2 * G * H], B) : '');
    if (init !== null) {
      // Layer l starts from entries l·D … l·D + D − 1 of the initial states [L·D, B, H]; '' skips sequence_lens.
      const part = (v: string): string => (L === 1 ? v : g.node('Slice', path, [v, g.int64s(`${path}.start`, [l * D]), g.int64s(`${path}.end`, [(l + 1) * D]), g.int64s(`${path}.axes`, [0])]));
      inputs.push('', part(init.h.name));
      if (type === 'LSTM' && init.c !== null) inputs.push(part(init.c.name));
    }
    while (inputs[inputs.length - 1] === '') inputs.pop();
    const outs = g.nodeN(type, join(path, `l${l}`), inputs, nOut, attrs);
    y = outs[0];
    hs.push(outs[1]);
    if (nOut === 3) cs.push(outs[2]);
    // Y is [T, D, B, H]: the next layer reads [T, B, D·H].
    if (l < L - 1) input = g.reshape(path, g.transpose(path, y, [0, 2, 1, 3]), [0, 0, -1]);
  }
  const output = g.reshape(path, g.transpose(path, y, [2, 0, 1, 3]), [0, 0, -1]);
  const states = (names: string[]): string => (names.length === 1 ? names[0] : g.node('Concat', path, names, [['axis', int_(0)]]));
  const extras: Value[] = [{ name: states(hs), sample: sample.hN, batchAxis: 1 }];
  if (sample.cN !== undefined) extras.push({ name: states(cs), sample: sample.cN, batchAxis: 1 });
  return { value: { name: output, sample: sample.output, extras }, topHidden: hs[hs.length - 1] };
}

/** The recurrent families' parts. */
type RecurrentFamily = { embedding: Module | null; rnn: Module; dropout: Module; head: Module };

/** The embedded input of a recurrent family and its recurrent nodes. */
function backbone(g: Graph, f: RecurrentFamily, path: string, x: Value): RecurrentNodes {
  const h = f.embedding === null ? x : g.emit(f.embedding, join(path, 'embedding'), x);
  return recurrentNodes(g, f.rnn, join(path, 'rnn'), h);
}

/** @internal */
export const RECURRENT: Record<string, Emit> = {
  LSTM: (g, m, path, x) => recurrentNodes(g, m, path, x).value,
  GRU: (g, m, path, x) => recurrentNodes(g, m, path, x).value,
  RNN: (g, m, path, x) => recurrentNodes(g, m, path, x).value,
  RecurrentClassifier(g, m, path, x) {
    const f = m as unknown as RecurrentFamily;
    const { pooling, bidirectional, hiddenSize } = m.config().options as { pooling: 'last' | 'mean'; bidirectional: boolean; hiddenSize: number };
    const r = backbone(g, f, path, x);
    const out = r.value.sample, hN = (r.value.extras as Value[])[0].sample;
    let pooled: Value;
    if (pooling === 'mean') {
      pooled = { name: g.node('ReduceMean', path, [r.value.name], [['axes', ints([1])], ['keepdims', int_(0)]]), sample: mean(out, { axis: 1 }) };
    } else {
      // The top layer's final states [D, B, H] → [B, D·H] (forward direction first, as tensorkit).
      const D = bidirectional ? 2 : 1, LD = hN.shape[0];
      const sample = reshape(permute(slice(hN, [[LD - D, LD]]), [1, 0, 2]), [hN.shape[1], D * hiddenSize]);
      pooled = { name: g.reshape(path, g.transpose(path, r.topHidden, [1, 0, 2]), [0, -1]), sample };
    }
    return g.emit(f.head, join(path, 'head'), g.emit(f.dropout, join(path, 'dropout'), pooled)).name;
  },
  Seq2Seq(g, m, path, x, call) {
    // Teacher-forced forward(src, tgtIn): the encoder's final states start the decoder; Luong
    // attention scores the decoder outputs against the (projected) encoder outputs.
    if (call.more.length !== 1) unsupported(m, path, `takes two inputs (src, tgtIn), got ${call.more.length + 1}`);
    if (Object.keys(call.options).length > 0) unsupported(m, path, 'takes no forward options');
    const s = m as unknown as { srcEmbedding: Module; encoder: Module; tgtEmbedding: Module; decoder: Module; attnProj: Module | null; combine: Module | null; out: Module };
    const enc = recurrentNodes(g, s.encoder, join(path, 'encoder'), g.emit(s.srcEmbedding, join(path, 'srcEmbedding'), x)).value;
    const [hN, cN] = enc.extras as Value[];
    const dec = recurrentNodes(g, s.decoder, join(path, 'decoder'), g.emit(s.tgtEmbedding, join(path, 'tgtEmbedding'), call.more[0]), { h: hN, c: cN ?? null }).value;
    let h: Value = { name: dec.name, sample: dec.sample };
    if (s.combine !== null) {
      const keys = s.attnProj === null ? enc : g.emit(s.attnProj, join(path, 'attnProj'), { name: enc.name, sample: enc.sample });
      const p = join(path, 'attention');
      const a = g.node('Softmax', p, [g.node('MatMul', p, [dec.name, g.transpose(p, keys.name, [0, 2, 1])])], [['axis', int_(-1)]]);
      const ctx = g.node('MatMul', p, [a, enc.name]);
      const cat: Value = { name: g.node('Concat', p, [ctx, dec.name], [['axis', int_(2)]]), sample: Tensor.empty([...dec.sample.shape.slice(0, 2), 2 * dec.sample.shape[2]]) };
      const c = g.emit(s.combine, join(path, 'combine'), cat);
      h = { name: g.node('Tanh', join(path, 'combine'), [c.name]), sample: c.sample };
    }
    const logits = g.emit(s.out, join(path, 'out'), h);
    return { name: logits.name, sample: (m.forward as (a: Tensor, b: Tensor) => Tensor)(x.sample, call.more[0].sample) };
  },
  SequenceTagger(g, m, path, x) {
    const f = m as unknown as RecurrentFamily;
    const r = backbone(g, f, path, x);
    const y: Value = { name: r.value.name, sample: r.value.sample };
    return g.emit(f.head, join(path, 'head'), g.emit(f.dropout, join(path, 'dropout'), y)).name;
  },
};
