/**
 * ONNX export: walks a module tree and writes a ModelProto (ONNX's own field numbers, see
 * onnx/onnx.proto) with the layers as ONNX nodes and the parameters as initializers. The layers
 * of this file are the feed-forward ones and the containers; export-rnn.ts, export-attention.ts
 * and export-quantized.ts add the recurrent, attention and quantized ones, all through the one
 * emitter context of export-graph.ts.
 * @module
 */
import { ArgumentError, ShapeError, Tensor, flatten, relu, reshape, zeros } from '../../tensor/index';
import { anyOf, arrayOf, bool, int, object, parseOptions, posInt, str, type Check } from '../../tensor/options';
import { Module } from '../../nn/index';
import { fmtShape } from '../../tensor/errors';
import { describe } from '../../tensor/shape';
import { ProtoWriter } from './protobuf';
import { ATTR, DATA_TYPE, F } from './schema';
import {
  Graph, convAttrs, float_, geluNodes, int_, ints, join, linearNodes, pair, unsupported, type AttrValue, type Call, type Emit, type InitData,
  type Value,
} from './export-graph';
import { ATTENTION } from './export-attention';
import { QUANTIZED, withObserversFrozen } from './export-quantized';
import { RECURRENT } from './export-rnn';

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /**
   * Shape of an example input, batch axis first (e.g. `[1, 4]` or `[1, 3, 28, 28]`); required.
   * For a module whose forward takes several tensors, one shape per input (a
   * `TransformerDecoderLayer`: `[[1, T, E], [1, S, E]]` for tgt and memory; a
   * `MultiHeadAttention`: one shape for self-attention, or three for query, key and value).
   */
  inputShape: readonly number[] | readonly (readonly number[])[];
  /** Names of the graph inputs, one per input (default `['input']`, then `input_1`, …). */
  inputNames?: readonly string[];
  /**
   * Names of the graph outputs (default `['output']`; a recurrent layer at the root also returns
   * its final states, default names `hN` and `cN`).
   */
  outputNames?: readonly string[];
  /** ONNX opset of the default domain, 13 to 17 (default 17; LayerNorm and the transformer layers need 17). */
  opset?: number;
  /** Name the batch axis `'batch'` in the inputs and outputs so that every batch size runs (default true). */
  dynamicBatch?: boolean;
  /**
   * Options of the root module's forward, fixed into the graph: the masks of attention and of the
   * transformer layers (`{ isCausal: true }`, `{ srcMask }`, `{ tgtMask, memoryMask }`), which
   * become constant initializers. Key padding masks are refused (they depend on the batch).
   */
  forwardOptions?: Record<string, unknown>;
}

const SHAPE: Check<readonly number[]> = arrayOf(posInt, { min: 1 });
const SPEC = {
  inputShape: anyOf<readonly number[] | readonly (readonly number[])[]>('a shape (positive integers) or a list of 1 to 3 shapes', SHAPE, arrayOf(SHAPE, { min: 1, max: 3 })),
  inputNames: arrayOf(str, { min: 1, max: 3 }),
  outputNames: arrayOf(str, { min: 1, max: 3 }),
  opset: int({ min: 13, max: 17 }),
  dynamicBatch: bool,
  forwardOptions: object,
};

/** The IR version that goes with each supported opset (onnx/docs/Versioning.md). */
const IR_VERSION: Record<number, number> = { 13: 7, 14: 7, 15: 8, 16: 8, 17: 8 };

/** A float weight [N, K] transposed to [K, N]. */
function transposed(w: Tensor): Float32Array {
  const [O, I] = w.shape, d = w.data, wt = new Float32Array(O * I);
  for (let i = 0; i < O; i++) for (let j = 0; j < I; j++) wt[j * O + i] = d[i * I + j];
  return wt;
}

/** Graph nodes per config type: each returns the ONNX name of the module's output. */
const LEAVES: Record<string, Emit> = {
  Linear(g, m, path, x) {
    const l = m as unknown as { weight: Tensor; bias: Tensor | null };
    const bias = l.bias ? g.param(`${path}.bias`, l.bias) : null;
    return linearNodes(g, path, x, () => g.param(`${path}.weight`, l.weight), () => g.init(`${path}.weight_t`, [l.weight.shape[1], l.weight.shape[0]], transposed(l.weight)), bias);
  },
  ReLU: (g, _m, path, x) => g.node('Relu', path, [x.name]),
  Sigmoid: (g, _m, path, x) => g.node('Sigmoid', path, [x.name]),
  Tanh: (g, _m, path, x) => g.node('Tanh', path, [x.name]),
  Identity: (g, _m, path, x) => g.node('Identity', path, [x.name]),
  Dropout: (g, _m, path, x) => g.node('Identity', path, [x.name]),
  LeakyReLU: (g, m, path, x) => g.node('LeakyRelu', path, [x.name], [['alpha', float_((m as unknown as { negativeSlope: number }).negativeSlope)]]),
  ELU: (g, m, path, x) => g.node('Elu', path, [x.name], [['alpha', float_((m as unknown as { alpha: number }).alpha)]]),
  Softmax: (g, m, path, x) => g.node('Softmax', path, [x.name], [['axis', int_((m as unknown as { axis: number }).axis)]]),
  Softplus(g, m, path, x) {
    const { beta } = m as unknown as { beta: number };
    if (beta === 1) return g.node('Softplus', path, [x.name]);
    const b = g.scalar(`${path}.beta`, beta);
    return g.node('Div', path, [g.node('Softplus', path, [g.node('Mul', path, [x.name, b])]), b]);
  },
  GELU: (g, m, path, x) => geluNodes(g, path, x.name, (m as unknown as { approximate: 'none' | 'tanh' }).approximate),
  Flatten(g, m, path, x) {
    const { startAxis, endAxis } = m as unknown as { startAxis: number; endAxis: number };
    const r = x.sample.ndim;
    const s = startAxis < 0 ? startAxis + r : startAxis, e = endAxis < 0 ? endAxis + r : endAxis;
    if (e === r - 1) return g.node('Flatten', path, [x.name], [['axis', int_(s)]]);
    const outShape = (m.forward as (t: Tensor) => Tensor)(x.sample).shape;
    // Reshape's 0 copies the input's axis, so the batch axis stays dynamic; a flattened batch axis is −1.
    const shape = outShape.map((d, i) => (i === 0 ? (s === 0 ? -1 : 0) : d));
    return g.reshape(path, x.name, shape);
  },
  Conv2d: (g, m, path, x) => conv(g, m, path, x, 2),
  Conv1d: (g, m, path, x) => conv(g, m, path, x, 1),
  ConvTranspose2d(g, m, path, x) {
    const c = m as unknown as { weight: Tensor; bias: Tensor | null };
    const o = m.config().options as { kernelSize: unknown; stride: unknown; padding: unknown; outputPadding: unknown; dilation: unknown; groups: number };
    const p = pair(o.padding);
    const inputs = [x.name, g.param(`${path}.weight`, c.weight)];
    if (c.bias) inputs.push(g.param(`${path}.bias`, c.bias));
    return g.node('ConvTranspose', path, inputs, [
      ['kernel_shape', ints(pair(o.kernelSize))], ['strides', ints(pair(o.stride))], ['pads', ints([p[0], p[1], p[0], p[1]])],
      ['output_padding', ints(pair(o.outputPadding))], ['dilations', ints(pair(o.dilation))], ['group', int_(o.groups)],
    ]);
  },
  MaxPool2d(g, m, path, x) {
    const { kernelSize, options: o } = m as unknown as { kernelSize: unknown; options: { stride?: unknown; padding?: unknown; dilation?: unknown } };
    const k = pair(kernelSize), s = o.stride === undefined ? k : pair(o.stride), p = pair(o.padding ?? 0), d = pair(o.dilation ?? 1);
    return g.node('MaxPool', path, [x.name], [['kernel_shape', ints(k)], ['strides', ints(s)], ['pads', ints([p[0], p[1], p[0], p[1]])], ['dilations', ints(d)]]);
  },
  AvgPool2d(g, m, path, x) {
    const { kernelSize, options: o } = m as unknown as { kernelSize: unknown; options: { stride?: unknown; padding?: unknown; countIncludePad?: boolean } };
    const k = pair(kernelSize), s = o.stride === undefined ? k : pair(o.stride), p = pair(o.padding ?? 0);
    return g.node('AveragePool', path, [x.name], [['kernel_shape', ints(k)], ['strides', ints(s)], ['pads', ints([p[0], p[1], p[0], p[1]])], ['count_include_pad', int_(o.countIncludePad === false ? 0 : 1)]]);
  },
  AdaptiveAvgPool2d(g, m, path, x) {
    const [OH, OW] = pair((m as unknown as { outputSize: unknown }).outputSize);
    if (OH === 1 && OW === 1) return g.node('GlobalAveragePool', path, [x.name]);
    const [H, W] = x.sample.shape.slice(-2);
    if (H % OH !== 0 || W % OW !== 0) unsupported(m, path, `has output size ${OH}×${OW}, which does not divide the ${H}×${W} input (only 1×1 or a divisor maps to ONNX)`);
    const k = [H / OH, W / OW];
    return g.node('AveragePool', path, [x.name], [['kernel_shape', ints(k)], ['strides', ints(k)]]);
  },
  BatchNorm1d: batchNorm,
  BatchNorm2d: batchNorm,
  LayerNorm(g, m, path, x) {
    if (g.opset < 17) unsupported(m, path, `needs opset 17 (LayerNormalization), got opset ${g.opset}`);
    const l = m as unknown as { weight: Tensor | null; bias: Tensor | null; normalizedShape: number[]; eps: number };
    const n = l.normalizedShape.reduce((a, b) => a * b, 1);
    const scale = l.weight ? g.param(`${path}.weight`, l.weight) : g.init(`${path}.weight`, l.normalizedShape, new Float32Array(n).fill(1));
    const bias = l.bias ? g.param(`${path}.bias`, l.bias) : g.init(`${path}.bias`, l.normalizedShape, new Float32Array(n));
    return g.node('LayerNormalization', path, [x.name, scale, bias], [['axis', int_(-l.normalizedShape.length)], ['epsilon', float_(l.eps)]]);
  },
  Embedding(g, m, path, x) {
    const idx = g.node('Cast', path, [x.name], [['to', int_(DATA_TYPE.INT64)]]);
    return g.node('Gather', path, [g.param(`${path}.weight`, (m as unknown as { weight: Tensor }).weight), idx], [['axis', int_(0)]]);
  },
};

function conv(g: Graph, m: Module, path: string, x: Value, dims: 1 | 2): string {
  const c = m as unknown as { weight: Tensor; bias: Tensor | null };
  const inputs = [x.name, g.param(`${path}.weight`, c.weight)];
  if (c.bias) inputs.push(g.param(`${path}.bias`, c.bias));
  return g.node('Conv', path, inputs, convAttrs(m.config().options as Parameters<typeof convAttrs>[0], dims));
}

function batchNorm(g: Graph, m: Module, path: string, x: Value): string {
  const b = m as unknown as { weight: Tensor | null; bias: Tensor | null; runningMean: Tensor | null; runningVar: Tensor | null; eps: number; numFeatures: number };
  if (!b.runningMean || !b.runningVar) unsupported(m, path, 'has no running statistics (trackRunningStats: false), so eval mode has nothing to export');
  const C = b.numFeatures;
  const scale = b.weight ? g.param(`${path}.weight`, b.weight) : g.init(`${path}.weight`, [C], new Float32Array(C).fill(1));
  const bias = b.bias ? g.param(`${path}.bias`, b.bias) : g.init(`${path}.bias`, [C], new Float32Array(C));
  return g.node('BatchNormalization', path, [x.name, scale, bias, g.param(`${path}.running_mean`, b.runningMean), g.param(`${path}.running_var`, b.runningVar)], [['epsilon', float_(b.eps)]]);
}

/** Runs `mods` in order, emitting each; returns the last value. */
function chain(g: Graph, mods: readonly Module[], path: string, field: string | null, x: Value): Value {
  let v = x;
  mods.forEach((m, i) => { v = g.emit(m, join(path, field === null ? i : `${field}.${i}`), v); });
  return v;
}

/** Containers and families whose children are emitted in turn. */
const CONTAINERS: Record<string, Emit> = {
  Sequential: (g, m, path, x) => chain(g, (m as unknown as { layers(): Module[] }).layers(), path, null, x),
  // The fused float modules of tensorkit/compress (Sequentials of Conv2d or Linear and ReLU).
  ConvReLU2d: (g, m, path, x) => chain(g, (m as unknown as { layers(): Module[] }).layers(), path, null, x),
  LinearReLU: (g, m, path, x) => chain(g, (m as unknown as { layers(): Module[] }).layers(), path, null, x),
  MLP: (g, m, path, x) => chain(g, (m as unknown as { layers: Module[] }).layers, path, 'layers', x),
  CNN(g, m, path, x) {
    const c = m as unknown as { features: Module[]; head: Module[] };
    const f = chain(g, c.features, path, 'features', x);
    const flat = { name: g.node('Flatten', join(path, 'flatten'), [f.name], [['axis', int_(1)]]), sample: flatten(f.sample, 1) };
    return chain(g, c.head, path, 'head', flat);
  },
  Autoencoder(g, m, path, x) {
    const a = m as unknown as { encoderConvs: Module[]; toLatent: Module; fromLatent: Module; decoderConvs: Module[]; featureShape: [number, number, number] };
    let h = x;
    a.encoderConvs.forEach((c, i) => {
      const p = join(path, `encoderConvs.${i}`);
      h = g.emit(c, p, h);
      h = { name: g.node('Relu', p, [h.name]), sample: relu(h.sample) };
    });
    h = { name: g.node('Flatten', join(path, 'flatten'), [h.name], [['axis', int_(1)]]), sample: flatten(h.sample, 1) };
    h = g.emit(a.toLatent, join(path, 'toLatent'), h);
    h = g.emit(a.fromLatent, join(path, 'fromLatent'), h);
    const fp = join(path, 'fromLatent');
    h = { name: g.reshape(fp, g.node('Relu', fp, [h.name]), [-1, ...a.featureShape]), sample: reshape(relu(h.sample), [h.sample.shape[0], ...a.featureShape]) };
    a.decoderConvs.forEach((c, i) => {
      const p = join(path, `decoderConvs.${i}`);
      h = g.emit(c, p, h);
      if (i < a.decoderConvs.length - 1) h = { name: g.node('Relu', p, [h.name]), sample: relu(h.sample) };
    });
    return g.node('Sigmoid', path, [h.name]);
  },
};

/** Every mapping, by config type. */
const EMITTERS: Record<string, Emit> = { ...LEAVES, ...CONTAINERS, ...RECURRENT, ...ATTENTION, ...QUANTIZED };

/** Config types whose emitter reads forward options or several inputs. */
const TAKES_OPTIONS = new Set(['Seq2Seq', 'MultiHeadAttention', 'TransformerEncoderLayer', 'TransformerEncoder', 'TransformerDecoderLayer', 'TransformerDecoder']);

/** The dispatch every emitter reaches children through ({@link Graph.emit}). */
function emit(g: Graph, m: Module, path: string, x: Value, call: Call): Value {
  const type = m.config().type;
  const e = Object.hasOwn(EMITTERS, type) ? EMITTERS[type] : undefined;
  if (e === undefined) unsupported(m, path);
  if (!TAKES_OPTIONS.has(type)) {
    if (call.more.length > 0) unsupported(m, path, `takes one input, got ${call.more.length + 1} (inputShape lists one shape per input)`);
    if (Object.keys(call.options).length > 0) unsupported(m, path, `takes no forward options, got forwardOptions { ${Object.keys(call.options).join(', ')} }`);
  }
  const r = e(g, m, path, x, call);
  if (typeof r !== 'string') return r;
  return { name: r, sample: (m.forward as (t: Tensor) => Tensor)(x.sample) };
}

/** A graph input's or output's ValueInfo: float32 of `shape`, axis `batchAxis` the symbolic `'batch'` (none when null). */
function valueInfo(w: ProtoWriter, name: string, shape: readonly number[], batchAxis: number | null): void {
  w.string(F.ValueInfo.name, name).message(F.ValueInfo.type, (t) => t.message(F.Type.tensor_type, (tt) => {
    tt.uint(F.TypeTensor.elem_type, DATA_TYPE.FLOAT).message(F.TypeTensor.shape, (s) => {
      shape.forEach((d, i) => s.message(F.Shape.dim, (dm) => {
        if (i === batchAxis) dm.string(F.Dim.dim_param, 'batch');
        else dm.uint(F.Dim.dim_value, d);
      }));
    });
  }));
}

function writeAttr(w: ProtoWriter, name: string, a: AttrValue): void {
  w.string(F.Attribute.name, name);
  switch (a.t) {
    case 'int': w.uint(F.Attribute.type, ATTR.INT).uint(F.Attribute.i, a.v); break;
    case 'float': w.uint(F.Attribute.type, ATTR.FLOAT).float(F.Attribute.f, a.v); break;
    case 'string': w.uint(F.Attribute.type, ATTR.STRING).string(F.Attribute.s, a.v); break;
    case 'ints': w.uint(F.Attribute.type, ATTR.INTS); for (const v of a.v) w.uint(F.Attribute.ints, v); break;
    case 'strings': w.uint(F.Attribute.type, ATTR.STRINGS); for (const v of a.v) w.string(F.Attribute.strings, v); break;
  }
}

/**
 * Exports a module as an ONNX model (ModelProto bytes, opset 17 and IR version 8 by default) that
 * ONNX runtimes (onnxruntime, Triton, KServe) run. The model is traced once in eval mode on
 * zeros of `inputShape` (its training mode is restored afterwards, and observers of quantization
 * modules record nothing); parameters and running statistics become float32 initializers named
 * by their state-dict keys, quantized weights int8 initializers. With `dynamicBatch` (the
 * default) the first axis of every input and output is the symbolic `'batch'`. Mappings, among
 * them the recurrent layers (ONNX `LSTM`/`GRU`/`RNN`), attention and the transformer layers (node
 * subgraphs), and the quantized layers (QuantizeLinear/DequantizeLinear pairs), are listed in
 * docs/onnx.md.
 * @example exportOnnx(new Linear(4, 2), { inputShape: [1, 4] })[0]; // 8
 * @throws ArgumentError naming the module's class and its path (e.g. `features.3`) when it has no
 * ONNX mapping (among them `QuantizedLSTM` and `QuantizedGRU`), and for malformed options.
 * @category IO
 */
export function exportOnnx(model: Module, options: ExportOnnxOptions): Uint8Array {
  const op = 'exportOnnx';
  if (!(model instanceof Module)) throw new ArgumentError(`${op}: model must be a Module, got ${describe(model)}`);
  const o = parseOptions(op, options, SPEC);
  if (o.inputShape === undefined) throw new ArgumentError(`${op}: options.inputShape is required (the example input's shape, batch axis first)`);
  const shapes = (Array.isArray(o.inputShape[0]) ? o.inputShape : [o.inputShape]) as readonly (readonly number[])[];
  const opset = o.opset ?? 17;
  const dynamic = o.dynamicBatch ?? true;
  const inputNames = shapes.map((_, i) => o.inputNames?.[i] ?? (i === 0 ? 'input' : `input_${i}`));
  if (o.inputNames !== undefined && o.inputNames.length !== shapes.length) {
    throw new ArgumentError(`${op}: inputNames has ${o.inputNames.length} names for ${shapes.length} input shape(s)`);
  }
  if (dynamic && shapes.some((s) => s[0] !== shapes[0][0])) {
    throw new ArgumentError(`${op}: with dynamicBatch the inputs share the batch axis, got inputShape ${shapes.map((s) => fmtShape(s)).join(', ')}`);
  }

  const g = new Graph(opset, dynamic, emit);
  for (const n of inputNames) if (g.fresh(n) !== n) throw new ArgumentError(`${op}: the input names must differ, got '${n}' twice`);
  const reserved = o.outputNames ?? [];
  for (const n of reserved) {
    if (inputNames.includes(n)) throw new ArgumentError(`${op}: the input and the output need different names, got '${n}' for both`);
    if (g.fresh(n) !== n) throw new ArgumentError(`${op}: the output names must differ, got '${n}' twice`);
  }
  if (reserved.length === 0) g.fresh('output');
  if (reserved.length === 0 && inputNames.includes('output')) throw new ArgumentError(`${op}: the input and the output need different names, got 'output' for both`);
  const modes = model.modules().map((m) => m.training);
  model.eval();
  let out: Value;
  try {
    const xs = shapes.map((s, i) => ({ name: inputNames[i], sample: zeros([...s]) }));
    out = withObserversFrozen(model, () => emit(g, model, '', xs[0], { more: xs.slice(1), options: o.forwardOptions ?? {} }));
  } finally {
    model.modules().forEach((m, i) => { m.training = modes[i]; });
  }
  if (!(out.sample instanceof Tensor)) throw new ShapeError(`${op}: the model's forward on ${fmtShape(shapes[0])} did not return a Tensor`);
  const outs = [out, ...(out.extras ?? [])];
  if (o.outputNames !== undefined && o.outputNames.length > outs.length) {
    throw new ArgumentError(`${op}: outputNames has ${o.outputNames.length} names but the model has ${outs.length} output(s)`);
  }
  const defaults = ['output', out.extras?.length ? 'hN' : '', 'cN'];
  const outNames = outs.map((_, i) => o.outputNames?.[i] ?? (i === 0 && reserved.length === 0 ? 'output' : g.fresh(defaults[i] || `output_${i}`)));
  // Name each output's producing node as asked, or add an Identity (an input passed through, or a
  // value other nodes also read).
  outs.forEach((v, i) => {
    const producer = g.nodes.find((n) => n.outputs.includes(v.name));
    const read = g.nodes.some((n) => n.inputs.includes(v.name)) || outs.some((w, j) => j < i && w.name === v.name);
    if (producer && !read) producer.outputs[producer.outputs.indexOf(v.name)] = outNames[i];
    else g.node('Identity', 'output', [v.name], [], outNames[i]);
  });

  const w = new ProtoWriter();
  w.uint(F.Model.ir_version, IR_VERSION[opset]);
  w.message(F.Model.opset_import, (s) => s.string(F.OperatorSetId.domain, '').uint(F.OperatorSetId.version, opset));
  w.string(F.Model.producer_name, 'tensorkit');
  w.message(F.Model.graph, (gw) => {
    for (const n of g.nodes) {
      gw.message(F.Graph.node, (nw) => {
        for (const i of n.inputs) nw.string(F.Node.input, i);
        for (const oName of n.outputs) nw.string(F.Node.output, oName);
        nw.string(F.Node.name, n.name).string(F.Node.op_type, n.op);
        for (const [name, a] of n.attrs) nw.message(F.Node.attribute, (aw) => writeAttr(aw, name, a));
      });
    }
    gw.string(F.Graph.name, model.constructor.name);
    for (const t of g.inits) {
      gw.message(F.Graph.initializer, (tw) => {
        for (const d of t.dims) tw.uint(F.Tensor.dims, d);
        tw.uint(F.Tensor.data_type, dataType(t.data));
        tw.string(F.Tensor.name, t.name);
        tw.bytes(F.Tensor.raw_data, littleEndianBytes(t.data));
      });
    }
    shapes.forEach((s, i) => gw.message(F.Graph.input, (v) => valueInfo(v, inputNames[i], s, dynamic ? 0 : null)));
    outs.forEach((v, i) => gw.message(F.Graph.output, (vw) => valueInfo(vw, outNames[i], v.sample.shape, dynamic ? (v.batchAxis ?? 0) : null)));
  });
  return w.finish();
}

function dataType(a: InitData): number {
  if (a instanceof Float32Array) return DATA_TYPE.FLOAT;
  if (a instanceof BigInt64Array) return DATA_TYPE.INT64;
  if (a instanceof Int8Array) return DATA_TYPE.INT8;
  if (a instanceof Uint8Array) return DATA_TYPE.UINT8;
  return DATA_TYPE.INT32;
}

function littleEndianBytes(a: InitData): Uint8Array {
  if (a instanceof Int8Array || a instanceof Uint8Array) return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  const b = new Uint8Array(a.byteLength);
  const dv = new DataView(b.buffer);
  if (a instanceof Float32Array) for (let i = 0; i < a.length; i++) dv.setFloat32(i * 4, a[i], true);
  else if (a instanceof BigInt64Array) for (let i = 0; i < a.length; i++) dv.setBigInt64(i * 8, a[i], true);
  else for (let i = 0; i < a.length; i++) dv.setInt32(i * 4, a[i], true);
  return b;
}
