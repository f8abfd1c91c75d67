/**
 * The emitter context of ONNX export: the graph being built (nodes and initializers with unique
 * names), the attribute values, the value passed between emitters (an ONNX name with tensorkit's
 * value on the example input) and the typed error of a module with no mapping. Every emitter
 * (export.ts, export-rnn.ts, export-attention.ts, export-quantized.ts) writes through {@link Graph}.
 * @module
 */
import { ArgumentError, Tensor } from '../../tensor/index';
import type { Module } from '../../nn/index';

/** An attribute of a node. @internal */
export type AttrValue =
  | { t: 'int'; v: number } | { t: 'float'; v: number } | { t: 'ints'; v: readonly number[] }
  | { t: 'string'; v: string } | { t: 'strings'; v: readonly string[] };

/** One node of the graph. @internal */
export interface NodeDef {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attrs: [string, AttrValue][];
}

/** The element types an initializer is written in (float32, int64 shapes, int8/uint8 quantized values, int32 biases). @internal */
export type InitData = Float32Array | BigInt64Array | Int8Array | Uint8Array | Int32Array;

/** A value flowing between emitters. @internal */
export interface Value {
  /** The ONNX name. */
  name: string;
  /**
   * tensorkit's value for the example input (shapes, and the module's own forward); inside a
   * composite emitter, where the next emitter reads only the shape, a tensor of the right shape.
   */
  sample: Tensor;
  /** Further outputs of a module that returns several (an RNN's hN, an LSTM's cN), in order. */
  extras?: Value[];
  /** The batch axis of the value when it is a graph output (default 0; an RNN's hN has it on axis 1). */
  batchAxis?: number;
}

/** What an emitter is called with besides the first input. @internal */
export interface Call {
  /** The inputs after the first (a decoder's memory, attention's key and value). */
  more: Value[];
  /** The options of the module's forward (masks, isCausal), or an empty object. */
  options: Record<string, unknown>;
}

/**
 * Emits the nodes of one module: returns the ONNX name of its output (its sample is then the
 * module's forward on the input's sample) or a whole {@link Value}. @internal
 */
export type Emit = (g: Graph, m: Module, path: string, x: Value, call: Call) => string | Value;

/** @internal */
export const int_ = (v: number): AttrValue => ({ t: 'int', v });
/** @internal */
export const float_ = (v: number): AttrValue => ({ t: 'float', v });
/** @internal */
export const ints = (v: readonly number[]): AttrValue => ({ t: 'ints', v });
/** @internal */
export const str_ = (v: string): AttrValue => ({ t: 'string', v });
/** @internal */
export const strs = (v: readonly string[]): AttrValue => ({ t: 'strings', v });

/** A size given as one number or a pair. @internal */
export const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number]);

/** The dotted path of a child. @internal */
export const join = (path: string, key: string | number): string => (path ? `${path}.${key}` : String(key));

/** The typed error of a module that cannot be exported, naming its path and class. @internal */
export function unsupported(m: Module, path: string, why = 'has no ONNX mapping'): never {
  throw new ArgumentError(`exportOnnx: module ${path || '(root)'} (${m.constructor.name}) ${why}`);
}

/** The graph under construction, and the one way nodes and initializers are added. @internal */
export class Graph {
  readonly nodes: NodeDef[] = [];
  readonly inits: { name: string; dims: readonly number[]; data: InitData }[] = [];
  private readonly used = new Set<string>();

  /**
   * @param opset - The opset of the default domain.
   * @param dynamicBatch - Whether the batch axis is symbolic (constants must not fix it).
   * @param emitModule - Emits a child module (the dispatch of export.ts).
   */
  constructor(
    readonly opset: number,
    readonly dynamicBatch: boolean,
    private readonly emitModule: (g: Graph, m: Module, path: string, x: Value, call: Call) => Value,
  ) {}

  /** A name not used yet, from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Adds an initializer; returns its (unique) name (`.weight` of the root module is `weight`). */
  init(name: string, dims: readonly number[], data: InitData): string {
    const n = this.fresh(name.startsWith('.') ? name.slice(1) : name);
    this.inits.push({ name: n, dims: [...dims], data });
    return n;
  }

  /** A float32 initializer holding a tensor's values (a parameter or buffer). */
  param(name: string, t: Tensor): string {
    return this.init(name, t.shape, t.data);
  }

  /** A float32 scalar initializer. */
  scalar(name: string, v: number): string {
    return this.init(name, [], Float32Array.of(v));
  }

  /** A 1-D int64 initializer (shapes, axes, indices). */
  int64s(name: string, v: readonly number[]): string {
    return this.init(name, [v.length], BigInt64Array.from(v.map(BigInt)));
  }

  /** Adds a node with one output; returns the output's name (`out`, or a fresh one from the path). */
  node(op: string, path: string, inputs: string[], attrs: [string, AttrValue][] = [], out?: string): string {
    return this.nodeN(op, path, inputs, 1, attrs, out === undefined ? undefined : [out])[0];
  }

  /** Adds a node with `n` outputs; returns their names. */
  nodeN(op: string, path: string, inputs: string[], n: number, attrs: [string, AttrValue][] = [], outs?: string[]): string[] {
    const base = `${path || 'model'}/${op}`;
    const o = outs ?? Array.from({ length: n }, (_, i) => this.fresh(n === 1 ? base : `${base}:${i}`));
    for (const name of o) this.used.add(name);
    this.nodes.push({ op, inputs, outputs: o, name: this.fresh(`${base}#node`), attrs });
    return o;
  }

  /** `Reshape(x, shape)`, with ONNX's 0 (copy the input's axis) and −1 (infer) in `shape`. */
  reshape(path: string, x: string, shape: readonly number[]): string {
    return this.node('Reshape', path, [x, this.int64s(`${path}.shape`, shape)]);
  }

  /** `Transpose(x, perm)`. */
  transpose(path: string, x: string, perm: readonly number[]): string {
    return this.node('Transpose', path, [x], [['perm', ints(perm)]]);
  }

  /** Emits a child module (the same dispatch as the root's). */
  emit(m: Module, path: string, x: Value, call: Partial<Call> = {}): Value {
    return this.emitModule(this, m, path, x, { more: call.more ?? [], options: call.options ?? {} });
  }
}

/**
 * A Linear-like layer on x (…, K) with a weight [N, K]: `Gemm` (transB) on 2-D input, else
 * `MatMul` with the weight as [K, N] and `Add`. `weightNK` and `weightKN` give the weight's ONNX
 * name in either layout (only the one used is asked for). @internal
 */
export function linearNodes(g: Graph, path: string, x: Value, weightNK: () => string, weightKN: () => string, bias: string | null): string {
  if (x.sample.ndim === 2) return g.node('Gemm', path, bias === null ? [x.name, weightNK()] : [x.name, weightNK(), bias], [['transB', int_(1)]]);
  const y = g.node('MatMul', path, [x.name, weightKN()]);
  return bias === null ? y : g.node('Add', path, [y, bias]);
}

/** The GELU nodes on x: its definition 0.5·x·(1 + erf(x/√2)), or the tanh form (Gelu itself is an opset-20 op). @internal */
export function geluNodes(g: Graph, path: string, x: string, approximate: 'none' | 'tanh'): string {
  let inner: string;
  if (approximate === 'tanh') {
    const x3 = g.node('Mul', path, [g.node('Mul', path, [x, x]), x]);
    const s = g.node('Add', path, [x, g.node('Mul', path, [x3, g.scalar(`${path}.c`, 0.044715)])]);
    inner = g.node('Tanh', path, [g.node('Mul', path, [s, g.scalar(`${path}.k`, Math.sqrt(2 / Math.PI))])]);
  } else {
    inner = g.node('Erf', path, [g.node('Div', path, [x, g.scalar(`${path}.sqrt2`, Math.SQRT2)])]);
  }
  const onePlus = g.node('Add', path, [inner, g.scalar(`${path}.one`, 1)]);
  return g.node('Mul', path, [g.node('Mul', path, [x, g.scalar(`${path}.half`, 0.5)]), onePlus]);
}

/** The attributes of a convolution from its geometry (a Conv*'s or QuantizedConv2d's `config().options`). @internal */
export function convAttrs(o: { kernelSize: unknown; stride?: unknown; padding?: unknown; dilation?: unknown; groups?: number }, dims: 1 | 2): [string, AttrValue][] {
  const n = (v: unknown): number[] => (dims === 2 ? pair(v) : [Array.isArray(v) ? (v[0] as number) : (v as number)]);
  const k = n(o.kernelSize), s = n(o.stride ?? 1), d = n(o.dilation ?? 1);
  let before: number[], after: number[];
  if (o.padding === 'same') {
    // PyTorch's 'same': the total padding d·(k − 1), the extra one at the end.
    const total = k.map((kk, i) => d[i] * (kk - 1));
    before = total.map((t) => Math.floor(t / 2));
    after = total.map((t, i) => t - before[i]);
  } else {
    before = o.padding === 'valid' ? k.map(() => 0) : n(o.padding ?? 0);
    after = before;
  }
  return [['kernel_shape', ints(k)], ['strides', ints(s)], ['pads', ints([...before, ...after])], ['dilations', ints(d)], ['group', int_(o.groups ?? 1)]];
}

