import {
  AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, ConvTranspose2d, Dropout, ELU, Embedding,
  Flatten, GELU, GRU, Identity, LayerNorm, LeakyReLU, Linear, LSTM, MaxPool2d, Module, MultiHeadAttention, PositionalEncoding,
  ReLU, RNN, Sequential, Sigmoid, Softmax, Softplus, Tanh, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
  TransformerEncoderLayer,
} from '../nn/index';
import { ArgumentError, FormatError, Tensor, TensorkitError, defaultGenerator, type ErrorCode } from '../tensor/index';
import { withAllocationLimit } from '../tensor/alloc';
import { encodeNumber } from '../tensor/json';
import { bool, isPlainObject, object, oneOf, parseOptions, type Check } from '../tensor/options';
import { describe } from '../tensor/shape';
import { isJsonObject, parseJsonStrict, type Json } from './json';
import {
  LONE_SURROGATE, MAX_HEADER_VALUES, parseSafetensors, decodeEntry, rawArray, saveSafetensors, type RawEntry, type TypedTensor,
} from './safetensors';
import { itemSize, type Dtype } from './dtypes';
import {
  FakeQuantize, MinMaxObserver, MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver, PerChannelMinMaxObserver, QatLinear,
  QuantizedLinear, SparseLinear,
  QuantizedLSTM, QuantizedGRU,
  QuantizedConv2d, StaticQuantizedLinear, ConvReLU2d, LinearReLU, HistogramObserver, QatConv2d,
  ConvBn2d, ConvBnReLU2d, QatConvBn2d,
} from '../compress/index';
import { replaceModule } from '../compress/swap';

export type { SavableConfig } from '../tensor/savable';
import type { SavableConfig } from '../tensor/savable';
import { restorePruning } from '../compress/prune';


/**
 * Anything {@link saveModel} can save and {@link loadModel} rebuild: its `config()` names its class
 * and holds the options its class's constructor takes back (`new C(config.options)`, or for a
 * container `new C({ ...config.options, children })` with the children already rebuilt), and its
 * state travels as tensors through `stateDict()` / `loadStateDict(sd, { strict })`. Structural: a
 * class need not import anything to be savable. Every `Module` is one; so are the estimators,
 * scalers and recommenders that implement these three methods.
 * @example
 * class Offset {
 *   readonly b: Tensor;
 *   constructor(readonly options: { n: number }) { this.b = zeros([options.n]); }
 *   config() { return { type: 'Offset', options: this.options }; }
 *   stateDict() { return { b: this.b }; }
 *   loadStateDict(sd: Record<string, Tensor>) { this.b.data.set(sd.b.data); }
 * }
 * const o = new Offset({ n: 2 });
 * o.b.data.set([1, 2]);
 * const back = loadModel<Offset>(saveModel(o), { registry: { Offset } }).model;
 * back.b.toArray(); // [1, 2]
 * @category IO
 */
export interface Savable {
  /** The class name and constructor options (see {@link SavableConfig}). */
  config(): SavableConfig;
  /** The state as tensors by name (float32 `Tensor`s or typed tensors). */
  stateDict(): Record<string, Tensor | TypedTensor>;
  /** Copies a state back in; with `strict`, refuses missing or unexpected names. */
  loadStateDict(sd: Record<string, Tensor | TypedTensor>, options?: { strict?: boolean }): unknown;
}

/** A class {@link loadModel} can rebuild a {@link Savable} with: `new C(config.options)`. @category IO */
export type SavableClass<T extends Savable = Savable> = new (options: never) => T;

/**
 * What {@link LoadModelOptions.registry} maps a config `type` to: a class (see {@link SavableClass}).
 * @deprecated Since registries take classes, this is {@link SavableClass}; a factory function is refused.
 * @category IO
 */
export type ModuleFactory = SavableClass;

/** The format written by {@link saveModel}; {@link loadModel} refuses any other version. @category IO */
export const MODEL_FORMAT_VERSION = '1';

/**
 * The deepest nesting of arrays and objects a model config may have, in {@link saveModel} and
 * {@link loadModel} alike (a nested `Sequential` costs two levels: its object and its children
 * array), so whatever saves also loads. @category IO
 */
export const MAX_CONFIG_DEPTH = 256;

/** The most modules (config nodes) one model file may hold, in {@link saveModel} and {@link loadModel} alike. @category IO */
export const MAX_CONFIG_MODULES = 100_000;

// A built model may allocate a little more than its file carries (custom classes' scratch space).
const ALLOCATION_SLACK = 4096;

/** Metadata keys {@link saveModel} writes itself; a caller's metadata may not use them. */
const RESERVED = ['format', 'formatVersion', 'config', 'optimizer', 'replaced'];
const OPTIM_PREFIX = '__optim__.';

function badConfig(msg: string, code: ErrorCode = 'BAD_CONFIG'): never {
  throw new FormatError(`loadModel: ${msg}`, code);
}

/**
 * The closed allowlist of built-in classes {@link loadModel} rebuilds, by the `type` their
 * `config()` writes: Linear, Conv1d, Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d,
 * AdaptiveAvgPool2d, Flatten, Dropout, BatchNorm1d, BatchNorm2d, LayerNorm, Embedding, Softmax,
 * ReLU, GELU, Tanh, Sigmoid, LeakyReLU, ELU, Softplus, Identity, Sequential, MultiHeadAttention,
 * TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder, TransformerDecoder,
 * PositionalEncoding, RNN, LSTM, GRU. A frozen, null-prototype map of the classes themselves:
 * names from a file are looked up with `Object.hasOwn`, so `'constructor'` or `'__proto__'` are
 * just unknown. Each class validates its own options, so a file's config goes through the same
 * checks as a user's arguments.
 * @example
 * Object.hasOwn(Constructors, 'Linear'); // true
 * Object.hasOwn(Constructors, 'constructor'); // false
 * Constructors.Linear === Linear; // true
 * new Linear(new Linear(2, 3).config().options).outFeatures; // 3
 * @category IO
 */
export const Constructors: Readonly<Record<string, SavableClass>> = Object.freeze(Object.assign(Object.create(null) as Record<string, SavableClass>, {
  Linear, Conv1d, Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Dropout, BatchNorm1d, BatchNorm2d,
  LayerNorm, Embedding, Softmax, ReLU, GELU, Tanh, Sigmoid, LeakyReLU, ELU, Softplus, Identity, Sequential, MultiHeadAttention,
  TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder, TransformerDecoder, PositionalEncoding, RNN, LSTM, GRU,
  QuantizedLinear, QatLinear, FakeQuantize, MinMaxObserver, MovingAverageMinMaxObserver, PerChannelMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver, SparseLinear,
  QuantizedLSTM, QuantizedGRU,
  QuantizedConv2d, StaticQuantizedLinear, ConvReLU2d, LinearReLU, HistogramObserver, QatConv2d,
  ConvBn2d, ConvBnReLU2d, QatConvBn2d,
}));

/**
 * The classes `tensorkit/compress` puts in place of float layers (quantizeDynamic, convert,
 * prepare, prepareQat, fuseModules, SparseLinear.fromLinear): a model whose constructor builds its
 * layers from options (the model families) rebuilds the float layers from its config, so
 * {@link saveModel} records each such module's config by path (`replaced`) and
 * {@link loadModel} puts it back before loading the weights.
 */
const SWAPPED_IN: ReadonlySet<Function> = new Set<Function>([
  QuantizedLinear, QatLinear, FakeQuantize, SparseLinear, QuantizedLSTM, QuantizedGRU, QuantizedConv2d, StaticQuantizedLinear,
  ConvReLU2d, LinearReLU, QatConv2d, ConvBn2d, ConvBnReLU2d, QatConvBn2d,
]);

/** The configs of the compress modules inside a model, by path, outermost only (their own configs rebuild what is inside them). */
function swappedIn(model: Module): Record<string, SavableConfig> {
  const out: Record<string, SavableConfig> = {};
  const taken: string[] = [];
  for (const [path, m] of model.namedModules()) {
    if (path === '' || !SWAPPED_IN.has(m.constructor) || taken.some((t) => path.startsWith(`${t}.`))) continue;
    out[path] = m.config();
    taken.push(path);
  }
  return out;
}

/**
 * Puts the compress modules {@link saveModel} recorded (`replaced`: path → config) back into a
 * model rebuilt from its config: each path whose rebuilt module has another type is replaced by
 * the module its recorded config builds.
 */
function restoreSwapped(model: Savable, text: string, build: (cfg: Json, where: string) => Savable): void {
  const rec = parseJsonStrict(text, { what: 'loadModel: replaced', maxDepth: MAX_CONFIG_DEPTH, maxValues: MAX_HEADER_VALUES });
  if (!isJsonObject(rec)) badConfig('replaced must be an object of configs by module path', 'BAD_METADATA');
  if (!(model instanceof Module)) badConfig('replaced modules recorded for a model that is not a Module', 'BAD_METADATA');
  const at = new Map(model.namedModules());
  for (const path of Object.keys(rec)) {
    const cfg = rec[path];
    const where = `replaced[${JSON.stringify(path)}]`;
    const current = at.get(path);
    if (path === '' || current === undefined) badConfig(`${where}: the model has no submodule at that path`);
    if (isJsonObject(cfg) && current.config().type === cfg.type) continue;
    const m = build(cfg, where);
    if (!(m instanceof Module)) badConfig(`${where}: the recorded config does not build a Module`);
    replaceModule(model, path, m, 'loadModel');
  }
}

/** True for a class (or constructor function): arrow functions and methods have no prototype and are refused. */
function isClass(v: unknown): v is SavableClass {
  return typeof v === 'function' && Object.hasOwn(v, 'prototype') && typeof (v as { prototype: unknown }).prototype === 'object';
}

function isSavable(v: unknown): v is Savable {
  const o = v as Record<string, unknown> | null;
  return typeof o === 'object' && o !== null && typeof o.config === 'function' && typeof o.stateDict === 'function' && typeof o.loadStateDict === 'function';
}

/**
 * Checks that a config is plain JSON data within the limits {@link loadModel} reads: nesting at
 * most {@link MAX_CONFIG_DEPTH}, at most {@link MAX_CONFIG_MODULES} modules, only finite numbers.
 * Iterative, so a hostile object cannot overflow the stack here.
 */
function checkConfig(config: unknown): void {
  const bad = (path: string, what: string): never => {
    throw new ArgumentError(`saveModel: config${path} ${what}`);
  };
  let modules = 0;
  const stack: [unknown, number, string, boolean][] = [[config, 1, '', true]];
  while (stack.length > 0) {
    const [v, depth, path, isNode] = stack.pop()!;
    if (v === null || typeof v === 'boolean' || typeof v === 'string') continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) bad(path, `is ${describe(v)}; a config holds finite numbers only (encode others as 'NaN', 'Infinity', '-Infinity')`);
      continue;
    }
    if (typeof v !== 'object') bad(path, `is ${describe(v)}, which JSON cannot hold`);
    if (depth > MAX_CONFIG_DEPTH) bad(path, `nests deeper than ${MAX_CONFIG_DEPTH} levels, more than loadModel reads`);
    if (isNode) {
      if (typeof (v as { type?: unknown }).type !== 'string') bad(path, 'has no string type');
      if (++modules > MAX_CONFIG_MODULES) bad('', `has more than ${MAX_CONFIG_MODULES} modules, more than loadModel reads`);
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push([v[i], depth + 1, `${path}[${i}]`, false]);
      continue;
    }
    if (!isPlainObject(v)) bad(path, `is a ${(v as object).constructor?.name ?? 'class instance'}, not plain data`);
    const obj = v as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      const x = obj[k];
      if (x === undefined) continue;
      if (isNode && k === 'children') {
        if (!Array.isArray(x)) bad(`${path}.children`, 'must be an array of configs');
        if (depth + 1 > MAX_CONFIG_DEPTH) bad(path, `nests deeper than ${MAX_CONFIG_DEPTH} levels, more than loadModel reads`);
        const kids = x as unknown[];
        for (let i = 0; i < kids.length; i++) stack.push([kids[i], depth + 2, `${path}.children[${i}]`, true]);
      } else stack.push([x, depth + 1, `${path}.${k}`, false]);
    }
  }
}

// ------------------------------------------------------------------------- optimizer state

/** A typed array or Tensor found in an optimizer state, and where it sits. */
interface Ref {
  path: (string | number)[];
  kind: string;
  name?: string;
}

const ARRAY_KINDS: Record<string, { dtype: Dtype; ctor: new (buf: ArrayBuffer) => ArrayBufferView & { length: number } }> = {
  Float32Array: { dtype: 'F32', ctor: Float32Array },
  Float64Array: { dtype: 'F64', ctor: Float64Array },
  Int8Array: { dtype: 'I8', ctor: Int8Array },
  Uint8Array: { dtype: 'U8', ctor: Uint8Array },
  Uint8ClampedArray: { dtype: 'U8', ctor: Uint8ClampedArray },
  Int16Array: { dtype: 'I16', ctor: Int16Array },
  Uint16Array: { dtype: 'U16', ctor: Uint16Array },
  Int32Array: { dtype: 'I32', ctor: Int32Array },
  Uint32Array: { dtype: 'U32', ctor: Uint32Array },
  BigInt64Array: { dtype: 'I64', ctor: BigInt64Array },
  BigUint64Array: { dtype: 'U64', ctor: BigUint64Array },
};
const ARRAY_KIND_MAP = new Map(Object.entries(ARRAY_KINDS));

function typedKind(v: object): string | null {
  for (const [k, { ctor }] of ARRAY_KIND_MAP) if (v instanceof ctor) return k;
  return null;
}

/** The same bytes as the array class safetensors knows for this dtype (Uint8ClampedArray → Uint8Array). */
function asFileArray(v: ArrayBufferView): TypedTensor['data'] {
  if (v instanceof Uint8ClampedArray) return new Uint8Array(v.buffer, v.byteOffset, v.length);
  return v as TypedTensor['data'];
}

const SPECIAL_NUMBERS = new Map<string, number>([['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity], ['-0', -0]]);

// Arrays of numbers at least this long are stored as binary tensors rather than JSON numbers (an
// optimizer's stateDict writes its buffers as such arrays): a float32 takes 4 bytes instead of
// ~10 characters, and the header stays small whatever the model size.
const MIN_BINARY_ARRAY = 16;

/**
 * How an array of numbers is stored as a tensor, or null to leave it as JSON: `NumberArray` when
 * every element is a number (NaN, ±Inf and −0 included), `EncodedNumberArray` when every element
 * is a finite number or one of the strings 'NaN', 'Infinity', '-Infinity' (the tensor/json
 * convention, which optimizers use), at least one a string. F32 when every value is a float32, else F64.
 */
function numberArrayKind(v: unknown[]): { kind: 'NumberArray' | 'EncodedNumberArray'; data: Float32Array | Float64Array } | null {
  if (v.length < MIN_BINARY_ARRAY) return null;
  const data = new Float64Array(v.length);
  let strings = false, raw = false, f32 = true;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    let n: number;
    if (typeof x === 'number') {
      n = x;
      if (!Number.isFinite(x)) raw = true;
    } else if (x === 'NaN' || x === 'Infinity' || x === '-Infinity') {
      n = Number(x);
      strings = true;
    } else return null;
    if (strings && raw) return null;
    if (f32 && Math.fround(n) !== n && n === n) f32 = false;
    data[i] = n;
  }
  return { kind: strings ? 'EncodedNumberArray' : 'NumberArray', data: f32 ? Float32Array.from(data) : data };
}

/**
 * Splits an optimizer state into JSON (typed arrays replaced by null) and tensors under
 * `__optim__.<path>`, with a list of where each went. Non-finite numbers and −0, which JSON cannot
 * hold, are listed the same way. Refuses functions, class instances, cycles, BigInts.
 */
function encodeOptimizer(state: unknown, tensors: Record<string, Tensor | TypedTensor>): string {
  const refs: Ref[] = [];
  const ancestors = new Set<object>();
  const used = new Set<string>();
  const where = (path: (string | number)[]): string => `optimizer state at ${path.length ? path.join('.') : '(root)'}`;
  const tensorName = (path: (string | number)[]): string => {
    let name = OPTIM_PREFIX + path.join('.');
    for (let i = 1; used.has(name) || Object.hasOwn(tensors, name); i++) name = `${OPTIM_PREFIX}${path.join('.')}#${i}`;
    used.add(name);
    return name;
  };
  const walk = (v: unknown, path: (string | number)[]): Json => {
    if (v === null || typeof v === 'boolean') return v;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) throw new ArgumentError(`saveModel: ${where(path)} is a string with a lone surrogate`);
      return v;
    }
    if (typeof v === 'number') {
      if (Number.isFinite(v) && !Object.is(v, -0)) return v;
      refs.push({ path: [...path], kind: Object.is(v, -0) ? '-0' : String(v) });
      return null;
    }
    if (typeof v !== 'object') throw new ArgumentError(`saveModel: ${where(path)} is a ${typeof v}, which cannot be saved`);
    if (v instanceof Tensor || ArrayBuffer.isView(v)) {
      const kind = v instanceof Tensor ? 'Tensor' : typedKind(v);
      if (kind === null) throw new ArgumentError(`saveModel: ${where(path)} is a ${v.constructor.name}, which cannot be saved`);
      const name = tensorName(path);
      if (v instanceof Tensor) tensors[name] = new Tensor(v.data, v.shape);
      else {
        const dtype = ARRAY_KINDS[kind].dtype;
        const data = asFileArray(v);
        tensors[name] = { dtype, shape: [data.length], data };
      }
      refs.push({ path: [...path], kind, name });
      return null;
    }
    if (Array.isArray(v)) {
      const nums = numberArrayKind(v);
      if (nums !== null) {
        const name = tensorName(path);
        tensors[name] = { dtype: nums.data instanceof Float32Array ? 'F32' : 'F64', shape: [nums.data.length], data: nums.data };
        refs.push({ path: [...path], kind: nums.kind, name });
        return null;
      }
    }
    if (ancestors.has(v)) throw new ArgumentError(`saveModel: ${where(path)} is a cycle`);
    ancestors.add(v);
    try {
      if (Array.isArray(v)) {
        const out: Json[] = [];
        for (let i = 0; i < v.length; i++) out.push(v[i] === undefined ? null : walk(v[i], [...path, i]));
        return out;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) throw new ArgumentError(`saveModel: ${where(path)} is a ${(v as object).constructor?.name ?? 'class instance'}, not plain data`);
      const out: { [k: string]: Json } = {};
      for (const k of Object.keys(v)) {
        if (k === '__proto__') throw new ArgumentError(`saveModel: ${where(path)} has a "__proto__" key`);
        const x = (v as Record<string, unknown>)[k];
        if (x !== undefined) out[k] = walk(x, [...path, k]);
      }
      return out;
    } finally {
      ancestors.delete(v);
    }
  };
  const value = walk(state, []);
  return JSON.stringify({ value, refs });
}

function decodeOptimizer(text: string, optim: Map<string, RawEntry>): unknown {
  const bad = (msg: string): never => badConfig(`optimizer state: ${msg}`, 'BAD_METADATA');
  const doc = parseJsonStrict(text, { what: 'loadModel: optimizer metadata', maxDepth: 128, maxValues: MAX_HEADER_VALUES });
  if (!isJsonObject(doc) || !Object.hasOwn(doc, 'value') || !Array.isArray(doc.refs) || Object.keys(doc).length !== 2) bad('expected { value, refs }');
  const root: { v: unknown } = { v: (doc as { value: Json }).value };
  const seen = new Set<string>();
  for (const r of (doc as { refs: Json[] }).refs) {
    if (!isJsonObject(r) || !Array.isArray(r.path) || typeof r.kind !== 'string') bad('a ref must be { path, kind, name? }');
    const ref = r as { path: Json[]; kind: string; name?: Json };
    let value: unknown;
    const special = SPECIAL_NUMBERS.get(ref.kind);
    if (special !== undefined) value = special;
    else {
      const name = ref.name;
      if (typeof name !== 'string' || !name.startsWith(OPTIM_PREFIX)) bad(`ref name ${JSON.stringify(name)} is not an ${OPTIM_PREFIX} tensor`);
      const e = optim.get(name as string);
      if (e === undefined) bad(`tensor ${JSON.stringify(name)} is missing`);
      if (seen.has(name as string)) bad(`tensor ${JSON.stringify(name)} is referenced twice`);
      seen.add(name as string);
      const entry = e as RawEntry;
      if (ref.kind === 'Tensor') {
        if (entry.dtype !== 'F32') bad(`tensor ${JSON.stringify(name)} must be F32`);
        value = decodeEntry(entry);
      } else if (ref.kind === 'NumberArray' || ref.kind === 'EncodedNumberArray') {
        if ((entry.dtype !== 'F32' && entry.dtype !== 'F64') || entry.shape.length !== 1) bad(`tensor ${JSON.stringify(name)} is ${entry.dtype} [${entry.shape.join(', ')}], not a 1-D F32 or F64 ${ref.kind}`);
        const arr: Float32Array | Float64Array = entry.dtype === 'F32' ? rawArray(entry, Float32Array) : rawArray(entry, Float64Array);
        const out = new Array<number | string>(arr.length);
        if (ref.kind === 'NumberArray') for (let i = 0; i < arr.length; i++) out[i] = arr[i];
        else for (let i = 0; i < arr.length; i++) out[i] = encodeNumber(arr[i]);
        value = out;
      } else {
        const k = ARRAY_KIND_MAP.get(ref.kind);
        if (k === undefined) bad(`unknown kind ${JSON.stringify(ref.kind)}`);
        if (k!.dtype !== entry.dtype || entry.shape.length !== 1) bad(`tensor ${JSON.stringify(name)} is ${entry.dtype} [${entry.shape.join(', ')}], not a 1-D ${k!.dtype} ${ref.kind}`);
        value = rawArray(entry, k!.ctor);
      }
    }
    // Walk to the placeholder: only own keys of parsed objects and in-range array indices.
    let parent: Record<string | number, unknown> = root as unknown as Record<string, unknown>;
    let key: string | number = 'v';
    for (const step of ref.path) {
      const cur = parent[key];
      if (Array.isArray(cur) && typeof step === 'number' && Number.isInteger(step) && step >= 0 && step < cur.length) {
        parent = cur as unknown as Record<number, unknown>;
      } else if (isJsonObject(cur as Json) && typeof step === 'string' && Object.hasOwn(cur as object, step)) {
        parent = cur as Record<string, unknown>;
      } else bad(`ref path ${JSON.stringify(ref.path)} does not lead to a value`);
      key = step as string | number;
    }
    if (parent[key] !== null) bad(`ref path ${JSON.stringify(ref.path)} does not lead to a placeholder`);
    parent[key] = value;
  }
  for (const name of optim.keys()) if (!seen.has(name)) bad(`tensor ${JSON.stringify(name)} is not referenced`);
  return root.v;
}

// ------------------------------------------------------------------------------- save / load

/** An optimizer, or anything else whose `stateDict()` gives the state to save. @category IO */
export interface StatefulOptimizer {
  /** The state to save (JSON-safe data, typed arrays and Tensors allowed). */
  stateDict(): unknown;
}

/** What {@link SaveModelOptions.optimizer} takes: an optimizer, or its state itself. @category IO */
export type OptimizerStateSource = StatefulOptimizer | Record<string, unknown>;

/** Options of {@link saveModel}. @category IO */
export interface SaveModelOptions {
  /** An optimizer (its `stateDict()` is saved) or an optimizer state to store alongside the model. */
  optimizer?: OptimizerStateSource;
  /** Extra string metadata (keys `format`, `formatVersion`, `config`, `optimizer` are reserved). */
  metadata?: Record<string, string>;
  /**
   * How the model's float tensors are stored: `'F32'` (default, exact), or half precision, `'F16'`
   * (IEEE binary16: 11 significant bits, ±65 504, finer near 0) or `'BF16'` (bfloat16: float32's
   * range with 8 significant bits), each rounded to nearest even — half the bytes. Loading gives
   * float32 tensors holding the rounded values. Integer buffers (int8 weights, masks) and the
   * optimizer state are stored as they are.
   */
  dtype?: 'F32' | 'F16' | 'BF16';
}

/** Options of {@link loadModel}. @category IO */
export interface LoadModelOptions {
  /**
   * Classes by config `type`, for custom modules and other savables (`{ MyNet }`); they take
   * precedence over {@link Constructors}. Each value must be a class: `new C(options)` rebuilds it.
   */
  registry?: Record<string, SavableClass>;
  /** Require the file's tensors to match the rebuilt model's state dict exactly (default true). */
  strict?: boolean;
}

/** What {@link loadModel} returns. @category IO */
export interface LoadedModel<M extends Savable = Module> {
  /** The rebuilt model with its weights loaded (a Module comes back in training mode). */
  model: M;
  /** The optimizer state saved with the model, for `optimizer.loadStateDict(...)`, if any. */
  optimizerState?: unknown;
  /** The caller's metadata given to {@link saveModel} (without the reserved keys). */
  metadata: Record<string, string>;
}

const optimizerSource: Check<OptimizerStateSource> = (v, name, op) => {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) throw new ArgumentError(`${op}: ${name} must be an optimizer or its state, got ${describe(v)}`);
  return v as OptimizerStateSource;
};
const SAVE_OPTIONS = { optimizer: optimizerSource, metadata: object, dtype: oneOf(['F32', 'F16', 'BF16'] as const) };
const LOAD_OPTIONS = { registry: object, strict: bool };

/**
 * Serializes a model — any {@link Savable}: a Module, an estimator, a scaler, a recommender — and
 * optionally its optimizer's state to safetensors bytes: the state dict as tensors under their
 * dotted names, plus `__metadata__` entries `format: 'tensorkit'`, `formatVersion: '1'`, `config`
 * (JSON of `model.config()`) and `optimizer` (JSON of the optimizer state in which every typed
 * array, Tensor and array of 16 or more numbers is replaced by null and stored as a binary tensor
 * named `__optim__.<path>`, e.g. `__optim__.state.0.expAvg`, so buffers stay binary and
 * bit-exact). A Module holding `tensorkit/compress` layers in place of float ones (a quantized or
 * QAT-prepared model family) also gets `replaced`: those layers' configs by module path, which
 * {@link loadModel} puts back before loading the weights. Any safetensors reader (Python's `safetensors.torch.load_file`) can read the weights.
 * @example
 * const net = new Sequential(new Linear(2, 3), new ReLU());
 * const back = loadModel(saveModel(net, { metadata: { epoch: '3' } }));
 * back.model.config().children!.length; // 2
 * back.metadata.epoch; // '3'
 * @throws ArgumentError for a model that is not savable, a config that is not plain JSON data or
 * is past {@link MAX_CONFIG_DEPTH} / {@link MAX_CONFIG_MODULES}, a reserved or non-string metadata
 * entry, a state-dict name under `__optim__.`, or an optimizer state that is not plain data
 * (functions, class instances, cycles).
 * @category IO
 */
export function saveModel(model: Savable, options: SaveModelOptions = {}): Uint8Array {
  if (!isSavable(model)) throw new ArgumentError(`saveModel: model must be savable (a Module, or an object with config, stateDict and loadStateDict), got ${describe(model)}`);
  const o = parseOptions('saveModel', options, SAVE_OPTIONS);
  const sd = model.stateDict();
  const tensors: Record<string, Tensor | TypedTensor> = {};
  for (const k of Object.keys(sd)) {
    if (k.startsWith(OPTIM_PREFIX)) throw new ArgumentError(`saveModel: state-dict name ${JSON.stringify(k)} uses the reserved prefix ${OPTIM_PREFIX}`);
    const t = sd[k];
    tensors[k] = o.dtype !== undefined && o.dtype !== 'F32' && t instanceof Tensor ? { dtype: o.dtype, shape: t.shape, data: t.data } : t;
  }
  const meta: Record<string, string> = {};
  const user = o.metadata ?? {};
  for (const k of Object.keys(user)) {
    if (RESERVED.includes(k)) throw new ArgumentError(`saveModel: metadata key ${JSON.stringify(k)} is reserved`);
    if (typeof user[k] !== 'string') throw new ArgumentError(`saveModel: metadata.${k} must be a string, got ${describe(user[k])}`);
    meta[k] = user[k] as string;
  }
  const config = model.config();
  checkConfig(config);
  meta.format = 'tensorkit';
  meta.formatVersion = MODEL_FORMAT_VERSION;
  meta.config = JSON.stringify(config);
  if (model instanceof Module) {
    const replaced = swappedIn(model);
    if (Object.keys(replaced).length > 0) {
      for (const path of Object.keys(replaced)) checkConfig(replaced[path]);
      meta.replaced = JSON.stringify(replaced);
    }
  }
  const opt = o.optimizer;
  if (opt !== undefined) {
    const state = typeof (opt as { stateDict?: unknown }).stateDict === 'function' ? (opt as { stateDict(): unknown }).stateDict() : opt;
    meta.optimizer = encodeOptimizer(state, tensors);
  }
  return saveSafetensors(tensors, meta);
}

/**
 * Rebuilds a model saved by {@link saveModel}: checks `format` and `formatVersion`, parses the
 * config with a strict JSON parser (nesting up to {@link MAX_CONFIG_DEPTH}), and builds each node,
 * children first, as `new C(options)` — or `new C({ ...options, children })` for a container —
 * with `C` from `registry` or the allowlist {@link Constructors}; nothing in the file is evaluated
 * or used as a property name outside those maps, and each class validates its own options. The
 * build runs under an allocation bound: it may allocate only about as many tensor elements as the
 * file carries, so a hostile config (`numLayers: 1e9` next to a few bytes of weights) fails fast
 * with `ALLOCATION_LIMIT`. The global generator is left as it was. Then the weights load with
 * `loadStateDict(sd, { strict })`. A Module comes back in training mode; call `eval()` for
 * inference. Pass the model's type for a typed result: `loadModel<Sequential>(bytes)`.
 * @example
 * const lin = new Linear(2, 1);
 * const { model } = loadModel<Linear>(saveModel(lin));
 * model.weight.toArray().join() === lin.weight.toArray().join(); // true
 * loadModel(saveModel(lin)).model instanceof Linear; // true
 * @throws FormatError: the safetensors codes, `BAD_METADATA` (not a tensorkit file, bad optimizer
 * section), `UNSUPPORTED_VERSION`, `BAD_CONFIG` (malformed config, too many modules, or options a
 * class refuses), `UNKNOWN_CONSTRUCTOR` (a type in neither map), `ALLOCATION_LIMIT` (the config
 * asks for more memory than the file carries), `STATE_DICT_MISMATCH` (missing, unexpected or
 * mis-sized tensors). ArgumentError for bad options or a registry value that is not a class.
 * @category IO
 */
export function loadModel<M extends Savable = Module>(bytes: Uint8Array, options: LoadModelOptions = {}): LoadedModel<M> {
  const o = parseOptions('loadModel', options, LOAD_OPTIONS);
  const registry = o.registry ?? {};
  for (const k of Object.keys(registry)) {
    if (!isClass(registry[k])) {
      throw new ArgumentError(`loadModel: registry.${k} must be a class (loadModel calls new ${k}(config.options)), got ${describe(registry[k])}; wrap a factory in a class or pass the class itself`);
    }
  }
  const { entries, metadata } = parseSafetensors(bytes);
  const md = metadata ?? {};
  if (md.format !== 'tensorkit' || !Object.hasOwn(md, 'config')) badConfig('not a tensorkit model file (no format: "tensorkit" and config metadata)', 'BAD_METADATA');
  if (md.formatVersion !== MODEL_FORMAT_VERSION) {
    badConfig(`formatVersion ${JSON.stringify(md.formatVersion ?? null)} is not supported (this version reads ${MODEL_FORMAT_VERSION})`, 'UNSUPPORTED_VERSION');
  }

  const optim = new Map<string, RawEntry>();
  let carried = 0;
  for (const e of entries) {
    if (e.name.startsWith(OPTIM_PREFIX)) optim.set(e.name, e);
    else carried += e.bytes.length / itemSize(e.dtype);
  }
  const config = parseJsonStrict(md.config, { what: 'loadModel: config', maxDepth: MAX_CONFIG_DEPTH, maxValues: MAX_HEADER_VALUES });
  let modules = 0;
  const build = (cfg: Json, where: string): Savable => {
    if (!isJsonObject(cfg)) badConfig(`${where}: a config must be an object`);
    if (++modules > MAX_CONFIG_MODULES) badConfig(`${where}: more than ${MAX_CONFIG_MODULES} modules`);
    for (const k of Object.keys(cfg)) if (k !== 'type' && k !== 'options' && k !== 'children') badConfig(`${where}: unknown config field ${JSON.stringify(k)}`);
    const type = cfg.type;
    if (typeof type !== 'string') badConfig(`${where}: type must be a string`);
    const opts = Object.hasOwn(cfg, 'options') ? cfg.options : {};
    if (!isJsonObject(opts)) badConfig(`${where} (${type}): options must be an object`);
    const hasKids = Object.hasOwn(cfg, 'children');
    if (hasKids && !Array.isArray(cfg.children)) badConfig(`${where} (${type}): children must be an array`);
    const C = Object.hasOwn(registry, type) ? registry[type] : Object.hasOwn(Constructors, type) ? Constructors[type] : undefined;
    if (C === undefined) {
      badConfig(`${where}: unknown type ${JSON.stringify(type)}; register its class with loadModel(bytes, { registry: { ${/^[A-Za-z_$][\w$]*$/.test(type) ? type : JSON.stringify(type)}: Class } })`, 'UNKNOWN_CONSTRUCTOR');
    }
    const children = hasKids ? (cfg.children as Json[]).map((c, i) => build(c, `${where}.children[${i}]`)) : null;
    let m: unknown;
    try {
      m = new (C as unknown as new (o: unknown) => unknown)(children === null ? opts : { ...(opts as object), children });
    } catch (e) {
      if (e instanceof FormatError) throw new FormatError(`loadModel: ${where} (${type}): ${e.message.replace(/^loadModel: /, '')}`, e.code);
      if (e instanceof TensorkitError) badConfig(`${where} (${type}): ${e.message}`);
      throw e;
    }
    if (!isSavable(m)) throw new ArgumentError(`loadModel: new ${type}(options) gave ${describe(m)}, which has no config, stateDict and loadStateDict`);
    return m;
  };
  // Layers draw initial weights that the file's tensors overwrite: leave the global stream as it was.
  const gen = defaultGenerator();
  const genState = gen.getState();
  let model: Savable;
  try {
    model = withAllocationLimit(carried + ALLOCATION_SLACK, 'loadModel', () => {
      const m = build(config, 'config');
      if (Object.hasOwn(md, 'replaced')) restoreSwapped(m, md.replaced, build);
      return m;
    });
  } finally {
    gen.setState(genState);
  }

  const sd: Record<string, Tensor | TypedTensor> = {};
  for (const e of entries) if (!e.name.startsWith(OPTIM_PREFIX)) sd[e.name] = decodeEntry(e);
  // Files written before BatchNorm's numBatchesTracked became 0-d (as PyTorch's) hold it as [1].
  // Only a Module is asked for its state here: another savable may have none before loading.
  const own = model instanceof Module ? model.stateDict() : {};
  for (const k of Object.keys(sd)) {
    const t = sd[k], want = Object.hasOwn(own, k) ? own[k] : undefined;
    if (/(^|\.)numBatchesTracked$/.test(k) && t instanceof Tensor && t.size === 1 && t.ndim === 1 && want?.shape.length === 0) sd[k] = new Tensor(t.data, []);
  }
  // A pruned model's file holds …weightOrig and …weightMask: reparametrize those layers first.
  if (model instanceof Module) restorePruning(model, sd);
  try {
    model.loadStateDict(sd, { strict: o.strict ?? true });
  } catch (e) {
    if (e instanceof TensorkitError && !(e instanceof FormatError)) badConfig(e.message, 'STATE_DICT_MISMATCH');
    throw e;
  }

  const out: LoadedModel<M> = { model: model as M, metadata: {} };
  for (const k of Object.keys(md)) if (!RESERVED.includes(k)) out.metadata[k] = md[k];
  if (Object.hasOwn(md, 'optimizer')) out.optimizerState = decodeOptimizer(md.optimizer, optim);
  else if (optim.size > 0) badConfig(`${optim.size} ${OPTIM_PREFIX} tensors but no optimizer metadata`, 'BAD_METADATA');
  return out;
}
