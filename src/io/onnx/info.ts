/**
 * `onnxInfo`: what an ONNX file holds (opsets, inputs and outputs with their shapes, op counts),
 * read with the bounded protobuf reader; tensor data is skipped, never decoded or copied.
 * @module
 */
import { ArgumentError, FormatError } from '../../tensor/index';
import { describe } from '../../tensor/shape';
import { ProtoReader } from './protobuf';
import { DATA_TYPE_NAME, F } from './schema';

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

/** The name of a TensorProto (the initializer), skipping its data. */
function tensorName(r: ProtoReader): string {
  let name = '';
  for (let k = r.next(); k; k = r.next()) {
    if (k.field === F.Tensor.name && k.wire === 2) name = r.string('TensorProto.name');
    else r.skip();
  }
  return name;
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
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError(`${WHAT}: bytes must be a Uint8Array, got ${describe(bytes)}`);
  const info: OnnxInfo = { irVersion: 0, opset: null, opsets: {}, producer: { name: '', version: '' }, inputs: [], outputs: [], opCounts: {}, nodeCount: 0, initializerCount: 0 };
  const r = new ProtoReader(bytes, { what: WHAT });
  let sawGraph = false;
  const inits = new Set<string>();
  for (let k = r.next(); k; k = r.next()) {
    if (k.field === F.Model.ir_version && k.wire === 0) info.irVersion = r.int('ModelProto.ir_version');
    else if (k.field === F.Model.producer_name && k.wire === 2) info.producer.name = r.string('ModelProto.producer_name');
    else if (k.field === F.Model.producer_version && k.wire === 2) info.producer.version = r.string('ModelProto.producer_version');
    else if (k.field === F.Model.opset_import && k.wire === 2) {
      const s = r.message('ModelProto.opset_import');
      let domain = '', version = 0;
      for (let a = s.next(); a; a = s.next()) {
        if (a.field === F.OperatorSetId.domain && a.wire === 2) domain = s.string('OperatorSetIdProto.domain');
        else if (a.field === F.OperatorSetId.version && a.wire === 0) version = s.int('OperatorSetIdProto.version');
        else s.skip();
      }
      info.opsets[domain] = version;
      if (domain === '' || domain === 'ai.onnx') info.opset = version;
    } else if (k.field === F.Model.graph && k.wire === 2) {
      sawGraph = true;
      const g = r.message('ModelProto.graph');
      for (let a = g.next(); a; a = g.next()) {
        if (a.field === F.Graph.node && a.wire === 2) {
          const n = g.message('GraphProto.node');
          let op = '', domain = '';
          for (let b = n.next(); b; b = n.next()) {
            if (b.field === F.Node.op_type && b.wire === 2) op = n.string('NodeProto.op_type');
            else if (b.field === F.Node.domain && b.wire === 2) domain = n.string('NodeProto.domain');
            else n.skip();
          }
          const key = domain === '' || domain === 'ai.onnx' ? op : `${domain}::${op}`;
          info.opCounts[key] = (info.opCounts[key] ?? 0) + 1;
          info.nodeCount++;
        } else if (a.field === F.Graph.initializer && a.wire === 2) {
          inits.add(tensorName(g.message('GraphProto.initializer')));
          info.initializerCount++;
        } else if (a.field === F.Graph.input && a.wire === 2) info.inputs.push(valueInfo(g.message('GraphProto.input')));
        else if (a.field === F.Graph.output && a.wire === 2) info.outputs.push(valueInfo(g.message('GraphProto.output')));
        else g.skip();
      }
    } else r.skip();
  }
  if (!sawGraph) throw new FormatError(`${WHAT}: the file has no graph (ModelProto field ${F.Model.graph}); is it an ONNX model?`);
  info.inputs = info.inputs.filter((v) => !inits.has(v.name));
  return info;
}
