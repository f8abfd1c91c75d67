/**
 * ONNX import: builds a {@link OnnxModel} (a `Module`) from ModelProto bytes. The graph is read
 * with the one ONNX parser (info.ts's `parseModel`, tensor data decoded under an allocation budget),
 * every node is compiled at import time through the op table in import-ops.ts (so an unsupported
 * op or attribute fails here, not at the first forward), and the nodes run in topological order
 * with tensorkit's differentiable ops.
 * @module
 */
import { ArgumentError, FormatError, Parameter, ShapeError, Tensor, TensorkitError } from '../../tensor/index';
import { withAllocationLimit } from '../../tensor/alloc';
import { fmtShape } from '../../tensor/errors';
import { describe } from '../../tensor/shape';
import { parseOptions } from '../../tensor/options';
import { Module } from '../../nn/index';
import { fuseChains } from './import-fuse';
import { parseModel, type OnnxValueInfo } from './info';
import { Attrs, OPS, constantValue, ints, requiredInputs, toTensor, type NodeContext, type Run, type Value } from './import-ops';

/** Options of {@link importOnnx} (none yet; the object is checked so that a misspelt key fails). */
export type ImportOnnxOptions = Record<string, never>;

/** Inputs of {@link OnnxModel.forward}: one tensor per graph input in order, or one record by input name. */
export type OnnxInputs = Tensor[] | [Record<string, Tensor>];

const WHAT = 'importOnnx';

interface Step {
  run: Run;
  label: string;
  inputs: string[];
  outputs: string[];
  /** Values whose last use is this step (freed after it). */
  release: string[];
}

/**
 * The state-dict key of an ONNX initializer: characters other than letters, digits, `_` and `.`
 * become `_` (`onnx::Conv_12` → `onnx__Conv_12`), empty dotted parts are dropped (`.weight` →
 * `weight`), and a key that would shadow a property of the
 * module (`training`, `forward`, …) or repeat an earlier key gets a `_` prefix or a `_2` suffix.
 */
function sanitize(name: string, taken: Set<string>, model: object): string {
  let base = name.replace(/[^A-Za-z0-9_.]/g, '_').split('.').filter((part) => part !== '').join('.');
  if (base === '') base = 'initializer';
  if (base in model || base === 'training') base = `_${base}`;
  let key = base;
  for (let i = 2; taken.has(key); i++) key = `${base}_${i}`;
  taken.add(key);
  return key;
}

const INT_TYPES = new Set<string>(['INT64', 'INT32', 'INT16', 'INT8', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'BOOL']);

/**
 * A model imported from ONNX by {@link importOnnx}: a `Module` whose forward runs the graph's
 * nodes in topological order with tensorkit's differentiable ops, so gradients flow through it to
 * its parameters (float initializers of rank ≥ 1) and to its inputs. Parameters and buffers are
 * own fields named by their sanitized ONNX initializer names (`fc1.weight`, `onnx__Conv_12`; see
 * {@link OnnxModel.initializerNames}), so `parameters()`, `stateDict()`, `loadStateDict`,
 * optimizers and `fit` work as for every module.
 * @category IO
 */
export class OnnxModel extends Module {
  readonly #steps: Step[];
  readonly #constants: Map<string, Value>;
  readonly #fields: Map<string, string>;
  readonly #inputs: OnnxValueInfo[];
  readonly #outputs: string[];

  /**
   * Imports ONNX bytes; the same as {@link importOnnx}`(bytes, options)`.
   * @throws as {@link importOnnx}.
   */
  constructor(bytes: Uint8Array, options: ImportOnnxOptions = {}) {
    super();
    parseOptions(WHAT, options, {});
    if (!(bytes instanceof Uint8Array)) throw new ArgumentError(`${WHAT}: bytes must be a Uint8Array, got ${describe(bytes)}`);
    // A file can only ask for as many elements as it carries bytes.
    const parsed = withAllocationLimit(bytes.length, WHAT, () => parseModel(bytes, WHAT, { decodeTensors: true }));
    const g = parsed.graph;
    const opset = parsed.opset ?? 1;
    // Initializers: float rank ≥ 1 → Parameters (buffers when batch norm uses them as statistics), the rest constants.
    const statsOnly = new Set<string>();
    const otherUse = new Set<string>();
    for (const n of g.nodes) {
      n.inputs.forEach((name, i) => {
        if (n.opType === 'BatchNormalization' && (i === 3 || i === 4)) statsOnly.add(name);
        else otherUse.add(name);
      });
    }
    this.#constants = new Map();
    this.#fields = new Map();
    const taken = new Set<string>();
    for (const t of g.initializers) {
      if (this.#constants.has(t.name) || this.#fields.has(t.name)) throw new FormatError(`${WHAT}: initializer '${t.name}' is given twice`);
      const v = constantValue(t);
      if (v instanceof Tensor && v.ndim > 0) {
        const key = sanitize(t.name, taken, this);
        const stat = statsOnly.has(t.name) && !otherUse.has(t.name);
        Object.defineProperty(this, key, { value: stat ? v : new Parameter(v), enumerable: true, writable: true, configurable: true });
        this.#fields.set(t.name, key);
      } else this.#constants.set(t.name, v);
    }
    const known = new Set<string>([...this.#fields.keys(), ...this.#constants.keys(), '']);
    this.#inputs = g.inputs.filter((v) => !known.has(v.name));
    for (const v of this.#inputs) known.add(v.name);
    if (g.outputs.length === 0) throw new FormatError(`${WHAT}: the graph has no outputs`);
    this.#outputs = g.outputs.map((o) => o.name);

    // Compile every node (attributes checked here), then order them topologically.
    const compiled = g.nodes.map((node, i) => {
      const label = `node '${node.name || `#${i}`}' (${node.opType})`;
      const c: NodeContext = { node, opset, label };
      if (node.domain !== '' && node.domain !== 'ai.onnx') throw new ArgumentError(`${WHAT}: ${label}: op ${node.domain}::${node.opType} is not supported (only the default ONNX domain)`);
      const compile = Object.hasOwn(OPS, node.opType) ? OPS[node.opType] : undefined;
      if (compile === undefined) throw new ArgumentError(`${WHAT}: ${label}: op ${node.opType} is not supported`);
      const need = requiredInputs(node.opType, opset);
      const missing = node.inputs.slice(0, need).findIndex((n) => n === '');
      if (node.inputs.length < need || missing >= 0) throw new FormatError(`${WHAT}: ${label}: needs ${need} input(s), got ${node.inputs.filter((n) => n !== '').length}`);
      if (node.outputs.length === 0) throw new FormatError(`${WHAT}: ${label}: has no outputs`);
      const attrs = new Attrs(c);
      const run = compile(attrs, c);
      attrs.finish();
      return { run, label, inputs: node.inputs, outputs: node.outputs };
    });
    const producer = new Map<string, number>();
    compiled.forEach((s, i) => s.outputs.forEach((o) => {
      if (o === '') return;
      if (producer.has(o) || known.has(o)) throw new FormatError(`${WHAT}: ${s.label}: output '${o}' is also produced elsewhere`);
      producer.set(o, i);
    }));
    const order: number[] = [];
    const state = new Uint8Array(compiled.length); // 0 new, 1 on the stack, 2 done
    for (let root = 0; root < compiled.length; root++) {
      if (state[root] !== 0) continue;
      const stack: [number, number][] = [[root, 0]];
      state[root] = 1;
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        const s = compiled[top[0]];
        if (top[1] < s.inputs.length) {
          const name = s.inputs[top[1]++];
          if (known.has(name)) continue;
          const p = producer.get(name);
          if (p === undefined) throw new FormatError(`${WHAT}: ${s.label}: input '${name}' is not produced by a node, an initializer or a graph input`);
          if (state[p] === 1) throw new FormatError(`${WHAT}: ${s.label}: the graph has a cycle through '${name}'`);
          if (state[p] === 0) { state[p] = 1; stack.push([p, 0]); }
        } else {
          state[top[0]] = 2;
          order.push(top[0]);
          stack.pop();
        }
      }
    }
    for (const o of this.#outputs) if (!known.has(o) && !producer.has(o)) throw new FormatError(`${WHAT}: graph output '${o}' is not produced by a node, an initializer or a graph input`);
    // Conv → Relu (→ MaxPool 2×2 stride 2) chains as one fused step (import-fuse.ts).
    const steps = fuseChains(order.map((i) => compiled[i]), new Set(this.#outputs));
    // Free each intermediate value after its last use.
    const lastUse = new Map<string, number>();
    steps.forEach((s, pos) => s.inputs.forEach((n) => lastUse.set(n, pos)));
    const keep = new Set<string>([...this.#outputs, ...this.#fields.keys(), ...this.#constants.keys()]);
    this.#steps = steps.map((s, pos) => ({
      ...s,
      release: [...new Set(s.inputs)].filter((n) => lastUse.get(n) === pos && !keep.has(n)),
    }));
    this.eval();
  }

  /** The graph's inputs (initializers excluded), with element types and shapes as in the file. */
  get inputInfo(): OnnxValueInfo[] {
    return this.#inputs.map((v) => ({ ...v, shape: v.shape?.slice() ?? null }));
  }

  /** The graph's output names, in order. */
  get outputNames(): string[] {
    return this.#outputs.slice();
  }

  /** State-dict key → ONNX initializer name, for every parameter and buffer. */
  initializerNames(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, key] of this.#fields) out[key] = name;
    return out;
  }

  /**
   * Runs the graph. Inputs: one tensor per graph input in the file's order, or one record
   * `{ name: tensor }`; an integer-typed input (token ids) takes a tensor of integer values.
   * Returns the output tensor, or a record by output name when the graph has several.
   * Shapes: as the graph declares them (a named axis such as `'batch'` takes every size).
   * Gradient: through every node to the parameters and to the inputs (the graph's ops are
   * tensorkit's differentiable ops; integer-valued values carry none).
   * @throws ShapeError when an input does not match its declared shape; errors of the ops
   * prefixed with the node that raised them.
   */
  forward(...inputs: OnnxInputs): Tensor | Record<string, Tensor> {
    const env = new Map<string, Value>(this.#constants);
    for (const [name, key] of this.#fields) env.set(name, (this as unknown as Record<string, Tensor>)[key]);
    const given = this.#bindInputs(inputs);
    this.#inputs.forEach((info, i) => env.set(info.name, given[i]));
    for (const s of this.#steps) {
      const ins = s.inputs.map((n) => (n === '' ? null : env.get(n) ?? null));
      while (ins.length < 8) ins.push(null); // omitted trailing optional inputs read as null
      let outs: (Value | null)[];
      try {
        outs = s.run(ins);
      } catch (e) {
        throw withNode(e, s.label);
      }
      s.outputs.forEach((o, i) => { if (o !== '' && outs[i] !== undefined && outs[i] !== null) env.set(o, outs[i] as Value); });
      for (const n of s.release) env.delete(n);
    }
    const result = this.#outputs.map((o) => {
      const v = env.get(o);
      if (v === undefined) throw new FormatError(`${WHAT}: graph output '${o}' was not computed (an omitted optional output?)`);
      return toTensor(v);
    });
    if (result.length === 1) return result[0];
    return Object.fromEntries(this.#outputs.map((o, i) => [o, result[i]]));
  }

  #bindInputs(inputs: unknown[]): Value[] {
    const n = this.#inputs.length, names = this.#inputs.map((v) => v.name);
    let list: unknown[];
    if (inputs.length === 1 && !(inputs[0] instanceof Tensor) && typeof inputs[0] === 'object' && inputs[0] !== null) {
      const rec = inputs[0] as Record<string, unknown>;
      const extra = Object.keys(rec).filter((k) => !names.includes(k));
      if (extra.length > 0) throw new ArgumentError(`OnnxModel.forward: unknown input '${extra[0]}'; the graph's inputs are ${names.map((k) => `'${k}'`).join(', ')}`);
      list = names.map((k) => rec[k]);
    } else list = inputs;
    if (list.length !== n) throw new ArgumentError(`OnnxModel.forward: the graph takes ${n} input(s) (${names.map((k) => `'${k}'`).join(', ')}), got ${list.length}`);
    return list.map((v, i) => {
      const info = this.#inputs[i];
      if (!(v instanceof Tensor)) throw new ArgumentError(`OnnxModel.forward: input '${info.name}' must be a Tensor, got ${describe(v)}`);
      if (info.shape !== null) {
        const ok = info.shape.length === v.ndim && info.shape.every((d, j) => typeof d !== 'number' || d === v.shape[j]);
        if (!ok) throw new ShapeError(`OnnxModel.forward: input '${info.name}' ${fmtShape(v.shape)} does not match the graph's shape [${info.shape.map((d) => d ?? '?').join(', ')}]`);
      }
      if (info.elemType !== null && INT_TYPES.has(info.elemType)) {
        for (let k = 0; k < v.size; k++) {
          if (!Number.isInteger(v.data[k])) throw new ArgumentError(`OnnxModel.forward: input '${info.name}' is ${info.elemType}, but element ${k} is ${v.data[k]}`);
        }
        return ints(v.shape.slice(), Array.from(v.data));
      }
      return v;
    });
  }
}

/** The same error class with the node that raised it in front of the message. */
function withNode(e: unknown, label: string): unknown {
  if (!(e instanceof TensorkitError) || e.message.startsWith(`${WHAT}: `)) return e;
  const msg = `${WHAT}: ${label}: ${e.message}`;
  if (e instanceof ShapeError) return new ShapeError(msg);
  if (e instanceof ArgumentError) return new ArgumentError(msg);
  if (e instanceof FormatError) return new FormatError(msg, e.code);
  return e;
}

/**
 * Imports an ONNX model (ModelProto bytes, e.g. from PyTorch's `torch.onnx.export` or
 * {@link exportOnnx}) as an {@link OnnxModel}: a `Module` that runs the graph with tensorkit's
 * differentiable ops. Float initializers of rank ≥ 1 become `Parameter`s under their sanitized
 * names (so the model fine-tunes with every optimizer and `fit`), except batch-norm statistics,
 * which become buffers; integer initializers and scalars stay constants. Ops and their limits are
 * listed in docs/onnx.md. Every node is checked here: an op or attribute outside that list fails
 * at import, not at the first forward.
 * Shapes: those of the graph's inputs and outputs ({@link OnnxModel.inputInfo}).
 * @example importOnnx(exportOnnx(new Linear(4, 2), { inputShape: [1, 4] })).parameters().length; // 2
 * @throws ArgumentError naming the node (name and op type) and the attribute for an unsupported op,
 * attribute or attribute value; FormatError for malformed protobuf (truncation, lengths past the
 * end, nesting deeper than 64 messages), external data, initializers whose data does not match
 * their dims, and graphs with cycles or undefined values.
 * @category IO
 */
export function importOnnx(bytes: Uint8Array, options: ImportOnnxOptions = {}): OnnxModel {
  return new OnnxModel(bytes, options);
}

