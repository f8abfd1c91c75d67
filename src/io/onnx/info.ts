/**
 * `onnxInfo`: what an ONNX file holds (opsets, inputs and outputs with their shapes, op counts),
 * read with the bounded protobuf reader; tensor data is skipped, never decoded or copied.
 * @module
 */
import { ArgumentError, FormatError } from '../../tensor/index';
import { describe } from '../../tensor/shape';
import { fmtShape } from '../../tensor/errors';
import { ProtoReader } from './protobuf';
import { DATA_TYPE, DATA_TYPE_NAME, F } from './schema';
import { MAX_ELEMENTS, allocFloat32, chargeAllocation } from '../../tensor/alloc';

/** A graph input or output of an ONNX model. */
export interface OnnxValueInfo {
  /** The value's name. */
  name: string;
  /** Element type name (`'FLOAT'`, `'INT64'`, …), or null when the file gives none. */
  elemType: string | null;
  /** Axis sizes: a number, a symbolic name such as `'batch'`, or null for an unknown axis; null when the file gives no shape. */
  shape: (number | string | null)[] | null;
}

/** What {@link onnxInfo} reports. */
export interface OnnxInfo {
  /** ModelProto's ir_version. */
  irVersion: number;
  /** The default domain's opset version (null when the file imports none). */
  opset: number | null;
  /** Every imported opset by domain (`''` is the default domain). */
  opsets: Record<string, number>;
  /** producer_name and producer_version (e.g. `'pytorch'`, `'1.13.1'`). */
  producer: {
    /** producer_name, e.g. `'pytorch'` or `'tensorkit'`. */
    name: string;
    /** producer_version, e.g. `'1.13.0'` (empty when the file gives none). */
    version: string;
  };
  /** Graph inputs that are not initializers. */
  inputs: OnnxValueInfo[];
  /** Graph outputs. */
  outputs: OnnxValueInfo[];
  /** Nodes per op type in the main graph (domain-qualified as `domain::Op` outside the default domain). */
  opCounts: Record<string, number>;
  /** Number of nodes in the main graph. */
  nodeCount: number;
  /** Number of initializers (weights) in the main graph. */
  initializerCount: number;
}

const WHAT = 'onnxInfo';

/** A TensorProto as read by {@link parseModel}: data decoded only with `decodeTensors`. @internal */
export interface ParsedTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Decoded values: float types as a Float32Array, integer and bool types as numbers; null when not decoded. */
  data: Float32Array | number[] | null;
}

/** An AttributeProto as read by {@link parseModel}. @internal */
export interface ParsedAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: string;
  t?: ParsedTensor;
  g?: ParsedGraph;
  floats: number[];
  ints: number[];
  strings: string[];
  /** Number of tensors, graphs or sparse tensors in the repeated fields (not decoded). */
  others: number;
}

/** A NodeProto as read by {@link parseModel}. @internal */
export interface ParsedNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: ParsedAttribute[];
}

/** A GraphProto as read by {@link parseModel}. @internal */
export interface ParsedGraph {
  name: string;
  nodes: ParsedNode[];
  initializers: ParsedTensor[];
  /** Every graph input, initializers included (as in the file). */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  sparseInitializers: number;
}

/** A ModelProto as read by {@link parseModel}. @internal */
export interface ParsedModel {
  irVersion: number;
  opset: number | null;
  opsets: Record<string, number>;
  producer: { name: string; version: string };
  graph: ParsedGraph;
}

/** Options of {@link parseModel}. @internal */
export interface ParseOptions {
  /** Decode tensor data (importOnnx) or skip it (onnxInfo, the default). */
  decodeTensors?: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

interface Ctx {
  decode: boolean;
  what: string;
}

function valueInfo(r: ProtoReader): OnnxValueInfo {
  const v: OnnxValueInfo = { name: '', elemType: null, shape: null };
  for (let k = r.next(); k; k = r.next()) {
    if (k.field === F.ValueInfo.name && k.wire === 2) v.name = r.string('ValueInfoProto.name');
    else if (k.field === F.ValueInfo.type && k.wire === 2) {
      const t = r.message('ValueInfoProto.type');
      for (let a = t.next(); a; a = t.next()) {
        if (a.field !== F.Type.tensor_type || a.wire !== 2) { t.skip(); continue; }
        const tt = t.message('TypeProto.tensor_type');
        for (let b = tt.next(); b; b = tt.next()) {
          if (b.field === F.TypeTensor.elem_type && b.wire === 0) {
            const e = tt.int('TypeProto.Tensor.elem_type');
            v.elemType = DATA_TYPE_NAME[e] ?? `type ${e}`;
          } else if (b.field === F.TypeTensor.shape && b.wire === 2) {
            const s = tt.message('TypeProto.Tensor.shape');
            v.shape = [];
            for (let c = s.next(); c; c = s.next()) {
              if (c.field !== F.Shape.dim || c.wire !== 2) { s.skip(); continue; }
              const d = s.message('TensorShapeProto.dim');
              let dim: number | string | null = null;
              for (let e = d.next(); e; e = d.next()) {
                if (e.field === F.Dim.dim_value && e.wire === 0) dim = d.int('Dimension.dim_value');
                else if (e.field === F.Dim.dim_param && e.wire === 2) dim = d.string('Dimension.dim_param');
                else d.skip();
              }
              v.shape.push(dim);
            }
          } else tt.skip();
        }
      }
    } else r.skip();
  }
  return v;
}

/**
 * A repeated int64 field (packed or one element) appended to `out` as numbers. Values beyond ±2^53
 * (INT64_MAX as Slice's "to the end") are kept as the nearest double instead of refused: importOnnx
 * only clamps with them.
 */
function int64s(r: ProtoReader, wire: number, name: string, what: string, out: number[]): number[] {
  if (wire === 0) {
    out.push(Number(r.int64(name)));
    return out;
  }
  const b = r.bytes(name);
  for (let i = 0; i < b.length;) {
    let v = 0n, shift = 0n, done = false;
    for (let k = 0; k < 10 && i < b.length; k++) {
      const byte = b[i++];
      v |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (byte < 0x80) { done = true; break; }
    }
    if (!done) throw new FormatError(`${what}: ${name}: truncated or over-long varint in a packed field`);
    out.push(Number(BigInt.asIntN(64, v)));
  }
  return out;
}

/** Bytes per element of the data types whose raw_data is decoded. */
const ELEM_BYTES: Record<number, number> = {
  [DATA_TYPE.FLOAT]: 4, [DATA_TYPE.DOUBLE]: 8, [DATA_TYPE.INT64]: 8, [DATA_TYPE.INT32]: 4, [DATA_TYPE.INT16]: 2,
  [DATA_TYPE.INT8]: 1, [DATA_TYPE.UINT8]: 1, [DATA_TYPE.UINT16]: 2, [DATA_TYPE.BOOL]: 1, [DATA_TYPE.UINT32]: 4, [DATA_TYPE.UINT64]: 8,
};

function rawValues(b: Uint8Array, dataType: number, n: number, what: string): Float32Array | number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dataType === DATA_TYPE.FLOAT || dataType === DATA_TYPE.DOUBLE) {
    const out = allocFloat32(n, what);
    if (dataType === DATA_TYPE.FLOAT) for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
    else for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true);
    return out;
  }
  chargeAllocation(n, what);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    switch (dataType) {
      case DATA_TYPE.INT64: out[i] = Number(dv.getBigInt64(i * 8, true)); break;
      case DATA_TYPE.UINT64: out[i] = Number(dv.getBigUint64(i * 8, true)); break;
      case DATA_TYPE.INT32: out[i] = dv.getInt32(i * 4, true); break;
      case DATA_TYPE.UINT32: out[i] = dv.getUint32(i * 4, true); break;
      case DATA_TYPE.INT16: out[i] = dv.getInt16(i * 2, true); break;
      case DATA_TYPE.UINT16: out[i] = dv.getUint16(i * 2, true); break;
      case DATA_TYPE.INT8: out[i] = dv.getInt8(i); break;
      default: out[i] = dv.getUint8(i); break; // UINT8, BOOL
    }
  }
  return out;
}

function tensorProto(r: ProtoReader, c: Ctx): ParsedTensor {
  const t: ParsedTensor = { name: '', dims: [], dataType: DATA_TYPE.UNDEFINED, data: null };
  let raw: Uint8Array | null = null;
  let floats: number[] | null = null, ints: number[] | null = null, doubles: number[] | null = null;
  let external = false;
  for (let k = r.next(); k; k = r.next()) {
    const f = k.field;
    if (f === F.Tensor.name && k.wire === 2) t.name = r.string('TensorProto.name');
    else if (!c.decode) {
      if (f === F.Tensor.dims) r.varints('TensorProto.dims', t.dims);
      else if (f === F.Tensor.data_type && k.wire === 0) t.dataType = r.int('TensorProto.data_type');
      else r.skip();
    } else if (f === F.Tensor.dims) r.varints('TensorProto.dims', t.dims);
    else if (f === F.Tensor.data_type && k.wire === 0) t.dataType = r.int('TensorProto.data_type');
    else if (f === F.Tensor.raw_data && k.wire === 2) raw = r.bytes('TensorProto.raw_data');
    else if (f === F.Tensor.float_data) r.floats('TensorProto.float_data', (floats ??= []));
    else if (f === F.Tensor.int32_data || f === F.Tensor.int64_data || f === F.Tensor.uint64_data) int64s(r, k.wire, 'TensorProto.int_data', c.what, (ints ??= []));
    else if (f === F.Tensor.double_data) {
      if (k.wire === 1) (doubles ??= []).push(r.double('TensorProto.double_data'));
      else {
        const b = r.bytes('TensorProto.double_data');
        if (b.length % 8 !== 0) throw new FormatError(`${c.what}: tensor '${t.name}': packed doubles of ${b.length} bytes (not a multiple of 8)`);
        const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
        doubles ??= [];
        for (let i = 0; i < b.length; i += 8) doubles.push(dv.getFloat64(i, true));
      }
    } else if (f === F.Tensor.data_location && k.wire === 0) external = r.int('TensorProto.data_location') === 1 || external;
    else if (f === F.Tensor.external_data) { external = true; r.skip(); }
    else if (f === F.Tensor.segment) throw new FormatError(`${c.what}: tensor '${t.name}' is segmented (TensorProto.segment); segmented tensors are not supported`);
    else if (f === F.Tensor.string_data) throw new FormatError(`${c.what}: tensor '${t.name}' holds strings (TensorProto.string_data); only numeric tensors are supported`);
    else r.skip();
  }
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new FormatError(`${c.what}: tensor '${t.name}': dimension ${describe(d)} is not a non-negative integer (dims ${fmtShape(t.dims)})`);
  }
  if (!c.decode) return t;
  if (external) throw new FormatError(`${c.what}: tensor '${t.name}' refers to external data (data_location EXTERNAL); external data files are not read`);
  let n = 1;
  for (const d of t.dims) {
    n *= d;
    if (n > MAX_ELEMENTS) break;
  }
  if (n > MAX_ELEMENTS) throw new FormatError(`${c.what}: tensor '${t.name}' of dims ${fmtShape(t.dims)} has more than 2^31 − 1 elements`);
  const size = ELEM_BYTES[t.dataType];
  if (size === undefined) throw new FormatError(`${c.what}: tensor '${t.name}' has data type ${DATA_TYPE_NAME[t.dataType] ?? t.dataType}; supported: FLOAT, DOUBLE and the integer and bool types`);
  const isFloat = t.dataType === DATA_TYPE.FLOAT || t.dataType === DATA_TYPE.DOUBLE;
  const given = raw !== null ? raw.length / size : (floats ?? ints ?? doubles ?? []).length;
  if (given !== n) {
    const what = raw !== null ? `${raw.length} bytes of raw_data` : `${given} values`;
    throw new FormatError(`${c.what}: tensor '${t.name}' of dims ${fmtShape(t.dims)} needs ${n} values (${n * size} bytes), the file gives ${what}`);
  }
  if (raw !== null) t.data = rawValues(raw, t.dataType, n, c.what);
  else if (isFloat) {
    const src = t.dataType === DATA_TYPE.FLOAT ? floats : doubles;
    if (src === null && n > 0) throw new FormatError(`${c.what}: tensor '${t.name}' of type ${DATA_TYPE_NAME[t.dataType]} stores its values in the wrong field`);
    t.data = allocFloat32(n, c.what);
    if (src !== null) t.data.set(src);
  } else {
    if (ints === null && n > 0) throw new FormatError(`${c.what}: tensor '${t.name}' of type ${DATA_TYPE_NAME[t.dataType]} stores its values in the wrong field`);
    t.data = ints ?? [];
  }
  return t;
}

function attribute(r: ProtoReader, c: Ctx): ParsedAttribute {
  const a: ParsedAttribute = { name: '', type: 0, floats: [], ints: [], strings: [], others: 0 };
  for (let k = r.next(); k; k = r.next()) {
    switch (k.field) {
      case F.Attribute.name: a.name = r.string('AttributeProto.name'); break;
      case F.Attribute.type: a.type = r.int('AttributeProto.type'); break;
      case F.Attribute.f: a.f = r.float('AttributeProto.f'); break;
      case F.Attribute.i: a.i = Number(r.int64('AttributeProto.i')); break;
      case F.Attribute.s: {
        const b = r.bytes('AttributeProto.s');
        try { a.s = utf8.decode(b); } catch { a.s = `<${b.length} bytes>`; }
        break;
      }
      case F.Attribute.t: a.t = tensorProto(r.message('AttributeProto.t'), c); break;
      case F.Attribute.g: a.g = graph(r.message('AttributeProto.g'), c); break;
      case F.Attribute.floats: r.floats('AttributeProto.floats', a.floats); break;
      case F.Attribute.ints: int64s(r, k.wire, 'AttributeProto.ints', c.what, a.ints); break;
      case F.Attribute.strings: a.strings.push(r.string('AttributeProto.strings')); break;
      case F.Attribute.graphs: graph(r.message('AttributeProto.graphs'), c); a.others++; break;
      case F.Attribute.tensors: case F.Attribute.sparse_tensor: a.others++; r.skip(); break;
      default: r.skip();
    }
  }
  return a;
}

function node(r: ProtoReader, c: Ctx): ParsedNode {
  const n: ParsedNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: [] };
  for (let k = r.next(); k; k = r.next()) {
    if (k.field === F.Node.op_type && k.wire === 2) n.opType = r.string('NodeProto.op_type');
    else if (k.field === F.Node.domain && k.wire === 2) n.domain = r.string('NodeProto.domain');
    else if (k.field === F.Node.name && k.wire === 2) n.name = r.string('NodeProto.name');
    else if (k.field === F.Node.input && k.wire === 2) n.inputs.push(r.string('NodeProto.input'));
    else if (k.field === F.Node.output && k.wire === 2) n.outputs.push(r.string('NodeProto.output'));
    else if (k.field === F.Node.attribute && k.wire === 2) n.attributes.push(attribute(r.message('NodeProto.attribute'), c));
    else r.skip();
  }
  return n;
}

function graph(r: ProtoReader, c: Ctx): ParsedGraph {
  const g: ParsedGraph = { name: '', nodes: [], initializers: [], inputs: [], outputs: [], sparseInitializers: 0 };
  for (let a = r.next(); a; a = r.next()) {
    if (a.field === F.Graph.node && a.wire === 2) g.nodes.push(node(r.message('GraphProto.node'), c));
    else if (a.field === F.Graph.name && a.wire === 2) g.name = r.string('GraphProto.name');
    else if (a.field === F.Graph.initializer && a.wire === 2) g.initializers.push(tensorProto(r.message('GraphProto.initializer'), c));
    else if (a.field === F.Graph.input && a.wire === 2) g.inputs.push(valueInfo(r.message('GraphProto.input')));
    else if (a.field === F.Graph.output && a.wire === 2) g.outputs.push(valueInfo(r.message('GraphProto.output')));
    else if (a.field === F.Graph.sparse_initializer && a.wire === 2) { g.sparseInitializers++; r.skip(); }
    else r.skip();
  }
  return g;
}

/**
 * Reads a whole ModelProto with the bounded reader: the one ONNX parser, behind {@link onnxInfo}
 * (tensor data skipped) and importOnnx (`decodeTensors`: data decoded, sizes checked against
 * dims before allocating, external data refused). `what` names the caller in errors.
 * @internal
 */
export function parseModel(bytes: Uint8Array, what: string, options: ParseOptions = {}): ParsedModel {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError(`${what}: bytes must be a Uint8Array, got ${describe(bytes)}`);
  const c: Ctx = { decode: options.decodeTensors ?? false, what };
  const m: ParsedModel = { irVersion: 0, opset: null, opsets: {}, producer: { name: '', version: '' }, graph: null as unknown as ParsedGraph };
  const r = new ProtoReader(bytes, { what });
  for (let k = r.next(); k; k = r.next()) {
    if (k.field === F.Model.ir_version && k.wire === 0) m.irVersion = r.int('ModelProto.ir_version');
    else if (k.field === F.Model.producer_name && k.wire === 2) m.producer.name = r.string('ModelProto.producer_name');
    else if (k.field === F.Model.producer_version && k.wire === 2) m.producer.version = r.string('ModelProto.producer_version');
    else if (k.field === F.Model.opset_import && k.wire === 2) {
      const s = r.message('ModelProto.opset_import');
      let domain = '', version = 0;
      for (let a = s.next(); a; a = s.next()) {
        if (a.field === F.OperatorSetId.domain && a.wire === 2) domain = s.string('OperatorSetIdProto.domain');
        else if (a.field === F.OperatorSetId.version && a.wire === 0) version = s.int('OperatorSetIdProto.version');
        else s.skip();
      }
      m.opsets[domain] = version;
      if (domain === '' || domain === 'ai.onnx') m.opset = version;
    } else if (k.field === F.Model.graph && k.wire === 2) m.graph = graph(r.message('ModelProto.graph'), c);
    else r.skip();
  }
  if (m.graph === null) throw new FormatError(`${what}: the file has no graph (ModelProto field ${F.Model.graph}); is it an ONNX model?`);
  return m;
}

/**
 * Reads the summary of an ONNX model (ModelProto bytes) without building it: opsets, graph inputs
 * (initializers excluded) and outputs with their shapes and element types, and op counts. Works on
 * files from every exporter (PyTorch's `torch.onnx.export`, {@link exportOnnx}). Tensor data is
 * skipped, so the cost is bounded by the file's size.
 * @example onnxInfo(exportOnnx(new Linear(4, 2), { inputShape: [1, 4] })).opCounts; // { Gemm: 1 }
 * @throws FormatError for malformed protobuf (truncated varints, lengths past the end, nesting
 * deeper than 64 levels) naming the field; ArgumentError when bytes is not a Uint8Array.
 * @category IO
 */
export function onnxInfo(bytes: Uint8Array): OnnxInfo {
  const m = parseModel(bytes, WHAT);
  const g = m.graph;
  const inits = new Set(g.initializers.map((t) => t.name));
  const opCounts: Record<string, number> = {};
  for (const n of g.nodes) {
    const key = n.domain === '' || n.domain === 'ai.onnx' ? n.opType : `${n.domain}::${n.opType}`;
    opCounts[key] = (opCounts[key] ?? 0) + 1;
  }
  return {
    irVersion: m.irVersion, opset: m.opset, opsets: m.opsets, producer: m.producer,
    inputs: g.inputs.filter((v) => !inits.has(v.name)), outputs: g.outputs,
    opCounts, nodeCount: g.nodes.length, initializerCount: g.initializers.length,
  };
}
