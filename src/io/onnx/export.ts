/**
 * ONNX export: walks a module tree and writes a ModelProto (ONNX's own field numbers, see
 * onnx/onnx.proto) with the layers as ONNX nodes and the parameters as float32 initializers.
 * @module
 */
import { ArgumentError, ShapeError, Tensor, zeros } from '../../tensor/index';
import { arrayOf, bool, int, parseOptions, posInt, str } from '../../tensor/options';
import { Module } from '../../nn/index';
import { fmtShape } from '../../tensor/errors';
import { describe } from '../../tensor/shape';
import { ProtoWriter } from './protobuf';
import { ATTR, DATA_TYPE, F } from './schema';

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /** Shape of an example input, batch axis first (e.g. `[1, 4]` or `[1, 3, 28, 28]`); required. */
  inputShape: readonly number[];
  /** Name of the graph input (one name; default `['input']`). */
  inputNames?: readonly string[];
  /** Name of the graph output (one name; default `['output']`). */
  outputNames?: readonly string[];
  /** ONNX opset of the default domain, 13 to 17 (default 17; LayerNorm needs 17). */
  opset?: number;
  /** Name the batch axis `'batch'` in the input and output so that every batch size runs (default true). */
  dynamicBatch?: boolean;
}

const SPEC = {
  inputShape: arrayOf(posInt, { min: 1 }),
  inputNames: arrayOf(str, { min: 1, max: 1 }),
  outputNames: arrayOf(str, { min: 1, max: 1 }),
  opset: int({ min: 13, max: 17 }),
  dynamicBatch: bool,
};

/** The IR version that goes with each supported opset (onnx/docs/Versioning.md). */
const IR_VERSION: Record<number, number> = { 13: 7, 14: 7, 15: 8, 16: 8, 17: 8 };

type AttrValue = { t: 'int'; v: number } | { t: 'float'; v: number } | { t: 'ints'; v: readonly number[] } | { t: 'string'; v: string };

interface NodeDef {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attrs: [string, AttrValue][];
}

interface Value {
  name: string;
  /** tensorkit's value for the example input (shapes and the module's own forward). */
  sample: Tensor;
}

const int_ = (v: number): AttrValue => ({ t: 'int', v });
const float_ = (v: number): AttrValue => ({ t: 'float', v });
const ints = (v: readonly number[]): AttrValue => ({ t: 'ints', v });

class Graph {
  readonly nodes: NodeDef[] = [];
  readonly inits: { name: string; dims: readonly number[]; data: Float32Array | BigInt64Array }[] = [];
  private readonly used = new Set<string>();
  constructor(readonly opset: number) {}

  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  init(name: string, dims: readonly number[], data: Float32Array | BigInt64Array): string {
    const n = this.fresh(name);
    this.inits.push({ name: n, dims, data });
    return n;
  }

  param(name: string, t: Tensor): string {
    return this.init(name, t.shape, t.data);
  }

  scalar(name: string, v: number): string {
    return this.init(name, [], Float32Array.of(v));
  }

  node(op: string, path: string, inputs: string[], attrs: [string, AttrValue][] = [], out?: string): string {
    const o = out ?? this.fresh(`${path || 'model'}/${op}`);
    this.used.add(o);
    this.nodes.push({ op, inputs, outputs: [o], name: this.fresh(`${path || 'model'}/${op}#node`), attrs });
    return o;
  }
}

function unsupported(m: Module, path: string, why = 'has no ONNX mapping'): never {
  throw new ArgumentError(`exportOnnx: module ${path || '(root)'} (${m.constructor.name}) ${why}`);
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number]);

type Emit = (g: Graph, m: Module, path: string, x: Value) => string;

/** Graph nodes per config type: each returns the ONNX name of the module's output. */
const LEAVES: Record<string, Emit> = {
  Linear(g, m, path, x) {
    const l = m as unknown as { weight: Tensor; bias: Tensor | null };
    if (x.sample.ndim === 2) {
      const inputs = [x.name, g.param(`${path}.weight`, l.weight)];
      if (l.bias) inputs.push(g.param(`${path}.bias`, l.bias));
      return g.node('Gemm', path, inputs, [['transB', int_(1)]]);
    }
    const [O, I] = l.weight.shape, w = l.weight.data, wt = new Float32Array(O * I);
    for (let i = 0; i < O; i++) for (let j = 0; j < I; j++) wt[j * O + i] = w[i * I + j];
    const y = g.node('MatMul', path, [x.name, g.init(`${path}.weight_t`, [I, O], wt)]);
    return l.bias ? g.node('Add', path, [y, g.param(`${path}.bias`, l.bias)]) : y;
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
  GELU(g, m, path, x) {
    // Gelu is an opset-20 op; opset 17 gets its definition: 0.5·x·(1 + erf(x/√2)), or the tanh form.
    const { approximate } = m as unknown as { approximate: 'none' | 'tanh' };
    let inner: string;
    if (approximate === 'tanh') {
      const x3 = g.node('Mul', path, [g.node('Mul', path, [x.name, x.name]), x.name]);
      const s = g.node('Add', path, [x.name, g.node('Mul', path, [x3, g.scalar(`${path}.c`, 0.044715)])]);
      inner = g.node('Tanh', path, [g.node('Mul', path, [s, g.scalar(`${path}.k`, Math.sqrt(2 / Math.PI))])]);
    } else {
      inner = g.node('Erf', path, [g.node('Div', path, [x.name, g.scalar(`${path}.sqrt2`, Math.SQRT2)])]);
    }
    const onePlus = g.node('Add', path, [inner, g.scalar(`${path}.one`, 1)]);
    return g.node('Mul', path, [g.node('Mul', path, [x.name, g.scalar(`${path}.half`, 0.5)]), onePlus]);
  },
  Flatten(g, m, path, x) {
    const { startAxis, endAxis } = m as unknown as { startAxis: number; endAxis: number };
    const r = x.sample.ndim;
    const s = startAxis < 0 ? startAxis + r : startAxis, e = endAxis < 0 ? endAxis + r : endAxis;
    if (e === r - 1) return g.node('Flatten', path, [x.name], [['axis', int_(s)]]);
    const outShape = (m.forward as (t: Tensor) => Tensor)(x.sample).shape;
    // Reshape's 0 copies the input's axis, so the batch axis stays dynamic; a flattened batch axis is −1.
    const shape = outShape.map((d, i) => (i === 0 ? (s === 0 ? -1 : 0) : d));
    return g.node('Reshape', path, [x.name, g.init(`${path}.shape`, [shape.length], BigInt64Array.from(shape.map(BigInt)))]);
  },
  Conv2d: (g, m, path, x) => conv(g, m, path, x, 2),
  Conv1d: (g, m, path, x) => conv(g, m, path, x, 1),
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
  const c = m as unknown as { weight: Tensor; bias: Tensor | null; kernelSize: unknown; opts: { stride: unknown; padding: unknown; dilation: unknown; groups: number } };
  const n = (v: unknown): number[] => (dims === 2 ? pair(v) : [Array.isArray(v) ? (v[0] as number) : (v as number)]);
  const k = n(c.kernelSize), s = n(c.opts.stride), d = n(c.opts.dilation);
  let before: number[], after: number[];
  if (c.opts.padding === 'same') {
    const total = k.map((kk, i) => d[i] * (kk - 1));
    before = total.map((t) => Math.floor(t / 2));
    after = total.map((t, i) => t - before[i]);
  } else {
    before = c.opts.padding === 'valid' ? k.map(() => 0) : n(c.opts.padding);
    after = before;
  }
  const inputs = [x.name, g.param(`${path}.weight`, c.weight)];
  if (c.bias) inputs.push(g.param(`${path}.bias`, c.bias));
  return g.node('Conv', path, inputs, [
    ['kernel_shape', ints(k)], ['strides', ints(s)], ['pads', ints([...before, ...after])], ['dilations', ints(d)], ['group', int_(c.opts.groups)],
  ]);
}

function batchNorm(g: Graph, m: Module, path: string, x: Value): string {
  const b = m as unknown as { weight: Tensor | null; bias: Tensor | null; runningMean: Tensor | null; runningVar: Tensor | null; eps: number; numFeatures: number };
  if (!b.runningMean || !b.runningVar) unsupported(m, path, 'has no running statistics (trackRunningStats: false), so eval mode has nothing to export');
  const C = b.numFeatures;
  const scale = b.weight ? g.param(`${path}.weight`, b.weight) : g.init(`${path}.weight`, [C], new Float32Array(C).fill(1));
  const bias = b.bias ? g.param(`${path}.bias`, b.bias) : g.init(`${path}.bias`, [C], new Float32Array(C));
  return g.node('BatchNormalization', path, [x.name, scale, bias, g.param(`${path}.running_mean`, b.runningMean), g.param(`${path}.running_var`, b.runningVar)], [['epsilon', float_(b.eps)]]);
}

const join = (path: string, key: string | number): string => (path ? `${path}.${key}` : String(key));

/** Runs `mods` in order, emitting each; returns the last value. */
function chain(g: Graph, mods: readonly Module[], path: string, field: string | null, x: Value): Value {
  let v = x;
  mods.forEach((m, i) => { v = emit(g, m, join(path, field === null ? i : `${field}.${i}`), v); });
  return v;
}

function emit(g: Graph, m: Module, path: string, x: Value): Value {
  const type = m.config().type;
  if (type === 'Sequential') return chain(g, (m as unknown as { layers(): Module[] }).layers(), path, null, x);
  if (type === 'MLP') return chain(g, (m as unknown as { layers: Module[] }).layers, path, 'layers', x);
  if (type === 'CNN') {
    const c = m as unknown as { features: Module[]; head: Module[] };
    const f = chain(g, c.features, path, 'features', x);
    const flat = { name: g.node('Flatten', join(path, 'flatten'), [f.name], [['axis', int_(1)]]), sample: f.sample.reshape([f.sample.shape[0], -1]) };
    return chain(g, c.head, path, 'head', flat);
  }
  const leaf = Object.hasOwn(LEAVES, type) ? LEAVES[type] : undefined;
  if (!leaf) unsupported(m, path);
  const name = leaf(g, m, path, x);
  return { name, sample: (m.forward as (t: Tensor) => Tensor)(x.sample) };
}

function valueInfo(w: ProtoWriter, name: string, shape: readonly number[], dynamic: boolean): void {
  w.string(F.ValueInfo.name, name).message(F.ValueInfo.type, (t) => t.message(F.Type.tensor_type, (tt) => {
    tt.uint(F.TypeTensor.elem_type, DATA_TYPE.FLOAT).message(F.TypeTensor.shape, (s) => {
      shape.forEach((d, i) => s.message(F.Shape.dim, (dm) => {
        if (i === 0 && dynamic) dm.string(F.Dim.dim_param, 'batch');
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
  }
}

/**
 * Exports a module as an ONNX model (ModelProto bytes, opset 17 and IR version 8 by default) that
 * ONNX runtimes (onnxruntime, Triton, KServe) run. The model is traced once in eval mode on
 * zeros of `inputShape` (its training mode is restored afterwards); parameters and running
 * statistics become float32 initializers named by their state-dict keys. With `dynamicBatch` (the
 * default) the first axis of the input and the output is the symbolic `'batch'`. Mappings are
 * listed in docs/onnx.md.
 * @example exportOnnx(new Linear(4, 2), { inputShape: [1, 4] })[0]; // 8
 * @throws ArgumentError naming the module's class and its path (e.g. `features.3`) when it has no
 * ONNX mapping, and for malformed options.
 * @category IO
 */
export function exportOnnx(model: Module, options: ExportOnnxOptions): Uint8Array {
  const op = 'exportOnnx';
  if (!(model instanceof Module)) throw new ArgumentError(`${op}: model must be a Module, got ${describe(model)}`);
  const o = parseOptions(op, options, SPEC);
  if (o.inputShape === undefined) throw new ArgumentError(`${op}: options.inputShape is required (the example input's shape, batch axis first)`);
  const opset = o.opset ?? 17;
  const dynamic = o.dynamicBatch ?? true;
  const inputName = o.inputNames?.[0] ?? 'input', outputName = o.outputNames?.[0] ?? 'output';
  if (inputName === outputName) throw new ArgumentError(`${op}: the input and the output need different names, got '${inputName}' for both`);

  const g = new Graph(opset);
  g.fresh(inputName);
  g.fresh(outputName);
  const modes = model.modules().map((m) => m.training);
  model.eval();
  let out: Value;
  try {
    out = emit(g, model, '', { name: inputName, sample: zeros([...o.inputShape]) });
  } finally {
    model.modules().forEach((m, i) => { m.training = modes[i]; });
  }
  if (!(out.sample instanceof Tensor)) throw new ShapeError(`${op}: the model's forward on ${fmtShape(o.inputShape)} did not return a Tensor`);
  // Name the last node's output as asked (or an Identity when the input passes straight through).
  const last = g.nodes.find((n) => n.outputs[0] === out.name);
  if (last) last.outputs[0] = outputName;
  else g.node('Identity', 'output', [out.name], [], outputName);

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
        tw.uint(F.Tensor.data_type, t.data instanceof Float32Array ? DATA_TYPE.FLOAT : DATA_TYPE.INT64);
        tw.string(F.Tensor.name, t.name);
        tw.bytes(F.Tensor.raw_data, littleEndianBytes(t.data));
      });
    }
    gw.message(F.Graph.input, (v) => valueInfo(v, inputName, o.inputShape!, dynamic));
    gw.message(F.Graph.output, (v) => valueInfo(v, outputName, out.sample.shape, dynamic));
  });
  return w.finish();
}

function littleEndianBytes(a: Float32Array | BigInt64Array): Uint8Array {
  const b = new Uint8Array(a.byteLength);
  const dv = new DataView(b.buffer);
  if (a instanceof Float32Array) for (let i = 0; i < a.length; i++) dv.setFloat32(i * 4, a[i], true);
  else for (let i = 0; i < a.length; i++) dv.setBigInt64(i * 8, a[i], true);
  return b;
}
