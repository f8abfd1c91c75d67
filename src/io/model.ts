import {
  AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, ConvTranspose2d, Dropout, ELU, Embedding,
  Flatten, GELU, GRU, Identity, LayerNorm, LeakyReLU, Linear, LSTM, MaxPool2d, Module, MultiHeadAttention, PositionalEncoding,
  ReLU, RNN, Sequential, Sigmoid, Softmax, Softplus, Tanh, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
  TransformerEncoderLayer, type DecoderLayerLike, type EncoderLayerLike, type StateDict,
} from '../nn/index';
import { ArgumentError, FormatError, Generator, Tensor, TensorkitError, type ErrorCode } from '../tensor/index';
import { isJsonObject, parseJsonStrict, type Json } from './json';
import {
  LONE_SURROGATE, parseSafetensors, decodeEntry, rawArray, saveSafetensors, type RawEntry, type TypedTensor,
} from './safetensors';
import { itemSize, type Dtype } from './dtypes';

/**
 * Rebuilds one module from its saved config: `options` is the JSON object the module's `config()`
 * wrote (already parsed, never evaluated), `children` the modules rebuilt from its child configs.
 * @category IO
 */
export type ModuleFactory = (options: Record<string, unknown>, children: Module[]) => Module;

/** True for a class (called with `new`), false for a plain factory function. */
function isClass(f: unknown): f is new (options: Record<string, unknown>) => Module {
  return typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));
}

/** The format written by {@link saveModel}; {@link loadModel} refuses any other version. @category IO */
export const MODEL_FORMAT_VERSION = '1';

/** Metadata keys {@link saveModel} writes itself; a caller's metadata may not use them. */
const RESERVED = ['format', 'formatVersion', 'config', 'optimizer'];
const OPTIM_PREFIX = '__optim__.';

function badConfig(msg: string, code: ErrorCode = 'BAD_CONFIG'): never {
  throw new FormatError(`loadModel: ${msg}`, code);
}

// ------------------------------------------------------------------ option readers for built-ins

type Opts = Record<string, unknown>;

/** Copies the allowed keys of `o` that are present, refusing any other key. */
function pick(type: string, o: Opts, allowed: readonly string[], children: Module[], maxChildren = 0): Opts {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) badConfig(`${type}: unknown option ${JSON.stringify(k)}`);
  }
  if (children.length > maxChildren) badConfig(`${type}: takes ${maxChildren === 0 ? 'no' : `at most ${maxChildren}`} children, got ${children.length}`);
  return o;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** Reads o[k] with a type check; undefined when absent and not required. */
function read(type: string, o: Opts, k: string, kind: 'int' | 'posInt' | 'num' | 'bool' | 'size2' | 'pad' | 'intOrNull' | 'ints', required = false): unknown {
  if (!Object.hasOwn(o, k)) {
    if (required) badConfig(`${type}: missing option ${JSON.stringify(k)}`);
    return undefined;
  }
  const v = o[k];
  const pair = (x: unknown): boolean => isInt(x) || (Array.isArray(x) && x.length === 2 && x.every(isInt));
  let ok: boolean;
  switch (kind) {
    case 'int': ok = isInt(v); break;
    case 'posInt': ok = isInt(v) && v > 0; break;
    case 'num': ok = typeof v === 'number'; break;
    case 'bool': ok = typeof v === 'boolean'; break;
    case 'size2': ok = pair(v); break;
    case 'pad': ok = pair(v) || v === 'same' || v === 'valid'; break;
    case 'intOrNull': ok = v === null || isInt(v); break;
    case 'ints': ok = isInt(v) || (Array.isArray(v) && v.length > 0 && v.every(isInt)); break;
  }
  if (!ok) badConfig(`${type}: option ${JSON.stringify(k)} has the wrong type (${JSON.stringify(v)})`);
  return v;
}

/** The present options among `keys`, each read with its kind. */
function present(type: string, o: Opts, spec: Record<string, Parameters<typeof read>[3]>): Opts {
  const out: Opts = {};
  for (const k of Object.keys(spec)) {
    const v = read(type, o, k, spec[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function oneOf(type: string, o: Opts, k: string, values: readonly string[]): string | undefined {
  if (!Object.hasOwn(o, k)) return undefined;
  const v = o[k];
  if (typeof v !== 'string' || !values.includes(v)) badConfig(`${type}: option ${JSON.stringify(k)} must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
  return v;
}

// Init-only layers draw their (soon overwritten) initial weights from a scratch generator, so that
// loading a model leaves the global generator where it was. Layers whose generator also drives
// dropout masks keep the default, as a freshly built layer would.
const scratch = (): Generator => new Generator(0);

const CONV = { stride: 'size2', padding: 'pad', dilation: 'size2', groups: 'posInt', bias: 'bool' } as const;
const LAYER = { dimFeedforward: 'posInt', dropout: 'num', layerNormEps: 'num', normFirst: 'bool' } as const;

function stack<L>(type: string, o: Opts, children: Module[]): { layers: L[]; norm: LayerNorm | null; numLayers: number } {
  pick(type, o, ['numLayers'], children, Number.MAX_SAFE_INTEGER);
  const numLayers = read(type, o, 'numLayers', 'posInt', true) as number;
  if (children.length !== numLayers && children.length !== numLayers + 1) {
    badConfig(`${type}: numLayers ${numLayers} needs ${numLayers} children (plus an optional final LayerNorm), got ${children.length}`);
  }
  const norm = children.length > numLayers ? children[numLayers] : null;
  if (norm !== null && !(norm instanceof LayerNorm)) badConfig(`${type}: the child after the layers must be a LayerNorm`);
  return { layers: children.slice(0, numLayers) as L[], norm, numLayers };
}

const builtins: Record<string, ModuleFactory> = {
  Linear: (o, c) => {
    pick('Linear', o, ['inFeatures', 'outFeatures', 'bias'], c);
    return new Linear(read('Linear', o, 'inFeatures', 'posInt', true) as number, read('Linear', o, 'outFeatures', 'posInt', true) as number, {
      ...present('Linear', o, { bias: 'bool' }), rng: scratch(),
    });
  },
  Conv1d: (o, c) => {
    const t = 'Conv1d';
    pick(t, o, ['inChannels', 'outChannels', 'kernelSize', ...Object.keys(CONV)], c);
    const p = present(t, o, { stride: 'posInt', padding: 'pad', dilation: 'posInt', groups: 'posInt', bias: 'bool' });
    if (Array.isArray(p.padding)) badConfig(`${t}: padding must be a number, 'same' or 'valid'`);
    return new Conv1d(read(t, o, 'inChannels', 'posInt', true) as number, read(t, o, 'outChannels', 'posInt', true) as number,
      read(t, o, 'kernelSize', 'posInt', true) as number, { ...p, rng: scratch() });
  },
  Conv2d: (o, c) => {
    const t = 'Conv2d';
    pick(t, o, ['inChannels', 'outChannels', 'kernelSize', ...Object.keys(CONV)], c);
    return new Conv2d(read(t, o, 'inChannels', 'posInt', true) as number, read(t, o, 'outChannels', 'posInt', true) as number,
      read(t, o, 'kernelSize', 'size2', true) as [number, number], { ...present(t, o, CONV), rng: scratch() });
  },
  ConvTranspose2d: (o, c) => {
    const t = 'ConvTranspose2d';
    const spec = { stride: 'size2', padding: 'size2', outputPadding: 'size2', dilation: 'size2', groups: 'posInt', bias: 'bool' } as const;
    pick(t, o, ['inChannels', 'outChannels', 'kernelSize', ...Object.keys(spec)], c);
    return new ConvTranspose2d(read(t, o, 'inChannels', 'posInt', true) as number, read(t, o, 'outChannels', 'posInt', true) as number,
      read(t, o, 'kernelSize', 'size2', true) as [number, number], { ...present(t, o, spec), rng: scratch() });
  },
  MaxPool2d: (o, c) => {
    const spec = { stride: 'size2', padding: 'size2', dilation: 'size2' } as const;
    pick('MaxPool2d', o, ['kernelSize', ...Object.keys(spec)], c);
    return new MaxPool2d(read('MaxPool2d', o, 'kernelSize', 'size2', true) as number, present('MaxPool2d', o, spec));
  },
  AvgPool2d: (o, c) => {
    const spec = { stride: 'size2', padding: 'size2', countIncludePad: 'bool' } as const;
    pick('AvgPool2d', o, ['kernelSize', ...Object.keys(spec)], c);
    return new AvgPool2d(read('AvgPool2d', o, 'kernelSize', 'size2', true) as number, present('AvgPool2d', o, spec));
  },
  AdaptiveAvgPool2d: (o, c) => {
    pick('AdaptiveAvgPool2d', o, ['outputSize'], c);
    return new AdaptiveAvgPool2d(read('AdaptiveAvgPool2d', o, 'outputSize', 'size2', true) as number);
  },
  Flatten: (o, c) => {
    pick('Flatten', o, ['startAxis', 'endAxis'], c);
    return new Flatten(read('Flatten', o, 'startAxis', 'int') as number | undefined, read('Flatten', o, 'endAxis', 'int') as number | undefined);
  },
  Dropout: (o, c) => {
    pick('Dropout', o, ['p'], c);
    return new Dropout(read('Dropout', o, 'p', 'num') as number | undefined);
  },
  BatchNorm1d: (o, c) => batchNorm('BatchNorm1d', o, c),
  BatchNorm2d: (o, c) => batchNorm('BatchNorm2d', o, c),
  LayerNorm: (o, c) => {
    pick('LayerNorm', o, ['normalizedShape', 'eps', 'elementwiseAffine'], c);
    return new LayerNorm(read('LayerNorm', o, 'normalizedShape', 'ints', true) as number[], present('LayerNorm', o, { eps: 'num', elementwiseAffine: 'bool' }));
  },
  Embedding: (o, c) => {
    const t = 'Embedding';
    pick(t, o, ['numEmbeddings', 'embeddingDim', 'paddingIdx'], c);
    return new Embedding(read(t, o, 'numEmbeddings', 'posInt', true) as number, read(t, o, 'embeddingDim', 'posInt', true) as number, {
      ...present(t, o, { paddingIdx: 'intOrNull' }), rng: scratch(),
    });
  },
  Softmax: (o, c) => {
    pick('Softmax', o, ['axis'], c);
    return new Softmax(read('Softmax', o, 'axis', 'int') as number | undefined);
  },
  ReLU: (o, c) => (pick('ReLU', o, [], c), new ReLU()),
  Tanh: (o, c) => (pick('Tanh', o, [], c), new Tanh()),
  Sigmoid: (o, c) => (pick('Sigmoid', o, [], c), new Sigmoid()),
  Identity: (o, c) => (pick('Identity', o, [], c), new Identity()),
  GELU: (o, c) => {
    pick('GELU', o, ['approximate'], c);
    return new GELU(oneOf('GELU', o, 'approximate', ['none', 'tanh']) as 'none' | 'tanh' | undefined);
  },
  LeakyReLU: (o, c) => {
    pick('LeakyReLU', o, ['negativeSlope'], c);
    return new LeakyReLU(read('LeakyReLU', o, 'negativeSlope', 'num') as number | undefined);
  },
  ELU: (o, c) => {
    pick('ELU', o, ['alpha'], c);
    return new ELU(read('ELU', o, 'alpha', 'num') as number | undefined);
  },
  Softplus: (o, c) => {
    pick('Softplus', o, ['beta', 'threshold'], c);
    return new Softplus(read('Softplus', o, 'beta', 'num') as number | undefined, read('Softplus', o, 'threshold', 'num') as number | undefined);
  },
  Sequential: (o, c) => {
    pick('Sequential', o, [], c, Number.MAX_SAFE_INTEGER);
    return new Sequential(...c);
  },
  MultiHeadAttention: (o, c) => {
    const t = 'MultiHeadAttention';
    const spec = { dropout: 'num', bias: 'bool', kdim: 'posInt', vdim: 'posInt' } as const;
    pick(t, o, ['embedDim', 'numHeads', ...Object.keys(spec)], c);
    return new MultiHeadAttention(read(t, o, 'embedDim', 'posInt', true) as number, read(t, o, 'numHeads', 'posInt', true) as number, present(t, o, spec));
  },
  TransformerEncoderLayer: (o, c) => transformerLayer('TransformerEncoderLayer', o, c),
  TransformerDecoderLayer: (o, c) => transformerLayer('TransformerDecoderLayer', o, c),
  TransformerEncoder: (o, c) => {
    const s = stack<EncoderLayerLike>('TransformerEncoder', o, c);
    return new TransformerEncoder((i) => s.layers[i], s.numLayers, { norm: s.norm });
  },
  TransformerDecoder: (o, c) => {
    const s = stack<DecoderLayerLike>('TransformerDecoder', o, c);
    return new TransformerDecoder((i) => s.layers[i], s.numLayers, { norm: s.norm });
  },
  RNN: (o, c) => {
    const opts = recurrentOptions('RNN', o, c, ['nonlinearity']);
    const nl = oneOf('RNN', o, 'nonlinearity', ['tanh', 'relu']);
    return new RNN(read('RNN', o, 'inputSize', 'posInt', true) as number, read('RNN', o, 'hiddenSize', 'posInt', true) as number,
      nl === undefined ? opts : { ...opts, nonlinearity: nl as 'tanh' | 'relu' });
  },
  LSTM: (o, c) => new LSTM(read('LSTM', o, 'inputSize', 'posInt', true) as number, read('LSTM', o, 'hiddenSize', 'posInt', true) as number, recurrentOptions('LSTM', o, c)),
  GRU: (o, c) => new GRU(read('GRU', o, 'inputSize', 'posInt', true) as number, read('GRU', o, 'hiddenSize', 'posInt', true) as number, recurrentOptions('GRU', o, c)),
  PositionalEncoding: (o, c) => {
    const t = 'PositionalEncoding';
    pick(t, o, ['dModel', 'maxLen', 'dropout'], c);
    return new PositionalEncoding(read(t, o, 'dModel', 'posInt', true) as number, present(t, o, { maxLen: 'posInt', dropout: 'num' }));
  },
};

function batchNorm(t: 'BatchNorm1d' | 'BatchNorm2d', o: Opts, c: Module[]): Module {
  const spec = { eps: 'num', momentum: 'num', affine: 'bool', trackRunningStats: 'bool' } as const;
  pick(t, o, ['numFeatures', ...Object.keys(spec)], c);
  const Ctor = t === 'BatchNorm1d' ? BatchNorm1d : BatchNorm2d;
  return new Ctor(read(t, o, 'numFeatures', 'posInt', true) as number, present(t, o, spec));
}

function recurrentOptions(t: string, o: Opts, c: Module[], extra: string[] = []): Opts {
  const spec = { numLayers: 'posInt', bidirectional: 'bool', dropout: 'num', bias: 'bool' } as const;
  pick(t, o, ['inputSize', 'hiddenSize', ...Object.keys(spec), ...extra], c);
  return present(t, o, spec);
}

function transformerLayer(t: 'TransformerEncoderLayer' | 'TransformerDecoderLayer', o: Opts, c: Module[]): Module {
  pick(t, o, ['dModel', 'nhead', 'activation', ...Object.keys(LAYER)], c);
  const opts = { ...present(t, o, LAYER) } as Record<string, unknown>;
  const act = oneOf(t, o, 'activation', ['relu', 'gelu']);
  if (act !== undefined) opts.activation = act;
  const Ctor = t === 'TransformerEncoderLayer' ? TransformerEncoderLayer : TransformerDecoderLayer;
  return new Ctor(read(t, o, 'dModel', 'posInt', true) as number, read(t, o, 'nhead', 'posInt', true) as number, opts);
}

/**
 * A lower bound on the float32 elements a built-in layer allocates, from its (unvalidated) options:
 * checked against the elements the file holds before the layer is built, so a hostile config
 * (`Linear(1e6, 1e6)` next to a 1 kB state dict) is refused instead of allocating gigabytes.
 */
function allocationBound(type: string, o: Opts): number {
  const n = (k: string): number => {
    const v = Object.hasOwn(o, k) ? o[k] : undefined;
    if (isInt(v) && v > 0) return v;
    if (Array.isArray(v) && v.length > 0 && v.every((x) => isInt(x) && x > 0)) return v.reduce((p: number, x: number) => p * x, 1);
    return 0;
  };
  const per = (a: number, g: number): number => (g > 0 ? Math.floor(a / g) : a);
  const kernel = (): number => {
    const v = Object.hasOwn(o, 'kernelSize') ? o.kernelSize : undefined;
    if (isInt(v) && v > 0) return type === 'Conv1d' ? v : v * v;
    return n('kernelSize');
  };
  switch (type) {
    case 'Linear': return n('inFeatures') * n('outFeatures');
    case 'Conv1d': case 'Conv2d': return n('outChannels') * per(n('inChannels'), n('groups')) * kernel();
    case 'ConvTranspose2d': return n('inChannels') * per(n('outChannels'), n('groups')) * kernel();
    case 'BatchNorm1d': case 'BatchNorm2d': return o.affine === false && o.trackRunningStats === false ? 0 : n('numFeatures');
    case 'LayerNorm': return o.elementwiseAffine === false ? 0 : n('normalizedShape');
    case 'Embedding': return n('numEmbeddings') * n('embeddingDim');
    case 'MultiHeadAttention': return n('embedDim') * n('embedDim');
    case 'TransformerEncoderLayer': case 'TransformerDecoderLayer': {
      const d = n('dModel');
      return d * d + d * (Object.hasOwn(o, 'dimFeedforward') ? n('dimFeedforward') : 2048);
    }
    case 'PositionalEncoding': return n('dModel') * (Object.hasOwn(o, 'maxLen') ? n('maxLen') : 5000);
    case 'RNN': case 'LSTM': case 'GRU': {
      const h = n('hiddenSize');
      return (type === 'LSTM' ? 4 : type === 'GRU' ? 3 : 1) * h * (n('inputSize') + h);
    }
    default: return 0;
  }
}

/**
 * The closed allowlist of built-in layers {@link loadModel} can rebuild, by the `type` their
 * `config()` writes: Linear, Conv1d, Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d,
 * AdaptiveAvgPool2d, Flatten, Dropout, BatchNorm1d, BatchNorm2d, LayerNorm, Embedding, Softmax,
 * ReLU, GELU, Tanh, Sigmoid, LeakyReLU, ELU, Softplus, Identity, Sequential, MultiHeadAttention,
 * TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder, TransformerDecoder,
 * PositionalEncoding, RNN, LSTM, GRU. A frozen, null-prototype map: names from a file are looked up with
 * `Object.hasOwn`, so `'constructor'` or `'__proto__'` are just unknown. Each factory accepts only
 * the options its layer's `config()` writes, type-checked.
 * @example
 * Object.hasOwn(Constructors, 'Linear'); // true
 * Object.hasOwn(Constructors, 'constructor'); // false
 * Constructors.Linear({ inFeatures: 2, outFeatures: 3 }, []).config().type; // 'Linear'
 * @category IO
 */
export const Constructors: Readonly<Record<string, ModuleFactory>> = Object.freeze(Object.assign(Object.create(null) as Record<string, ModuleFactory>, builtins));

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
      let name = OPTIM_PREFIX + path.join('.');
      for (let i = 1; used.has(name) || Object.hasOwn(tensors, name); i++) name = `${OPTIM_PREFIX}${path.join('.')}#${i}`;
      used.add(name);
      if (v instanceof Tensor) tensors[name] = new Tensor(v.data, v.shape);
      else {
        const dtype = ARRAY_KINDS[kind].dtype;
        const data = asFileArray(v);
        tensors[name] = { dtype, shape: [data.length], data };
      }
      refs.push({ path: [...path], kind, name });
      return null;
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
  const doc = parseJsonStrict(text, { what: 'loadModel: optimizer metadata', maxDepth: 128 });
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
}

/** Options of {@link loadModel}. @category IO */
export interface LoadModelOptions {
  /**
   * Extra constructors by config `type`, for custom modules; they take precedence over {@link Constructors}.
   * An entry is a factory `(options, children) => Module` or a class, called as `new C(options)`
   * (`new C({ ...options, children })` for a container).
   */
  registry?: Record<string, ModuleFactory | (new (options: Record<string, unknown>) => Module)>;
  /** Require the file's tensors to match the rebuilt model's state dict exactly (default true). */
  strict?: boolean;
}

/** What {@link loadModel} returns. @category IO */
export interface LoadedModel {
  /** The rebuilt model with its weights loaded (in training mode). */
  model: Module;
  /** The optimizer state saved with the model, for `optimizer.loadStateDict(...)`, if any. */
  optimizerState?: unknown;
  /** The caller's metadata given to {@link saveModel} (without the reserved keys). */
  metadata: Record<string, string>;
}

/**
 * Serializes a model (and optionally its optimizer's state) to safetensors bytes: the state dict
 * as F32 tensors under their dotted names, plus `__metadata__` entries `format: 'tensorkit'`,
 * `formatVersion: '1'`, `config` (JSON of `model.config()`) and `optimizer` (JSON of the optimizer
 * state in which every typed array is replaced by null and stored as a tensor named
 * `__optim__.<path>`, e.g. `__optim__.state.0.expAvg`, so buffers stay binary and bit-exact). Any
 * safetensors reader (Python's `safetensors.torch.load_file`) can read the weights.
 * @example
 * const net = new Sequential(new Linear(2, 3), new ReLU());
 * const back = loadModel(saveModel(net, { metadata: { epoch: '3' } }));
 * back.model.config().children!.length; // 2
 * back.metadata.epoch; // '3'
 * @throws ArgumentError for a reserved metadata key, a state-dict name under `__optim__.`, or an
 * optimizer state that is not plain data (functions, class instances, cycles).
 * @category IO
 */
export function saveModel(model: Module, options: SaveModelOptions = {}): Uint8Array {
  if (!(model instanceof Module)) throw new ArgumentError(`saveModel: model must be a Module, got ${model === null ? 'null' : typeof model}`);
  const sd = model.stateDict();
  const tensors: Record<string, Tensor | TypedTensor> = {};
  for (const k of Object.keys(sd)) {
    if (k.startsWith(OPTIM_PREFIX)) throw new ArgumentError(`saveModel: state-dict name ${JSON.stringify(k)} uses the reserved prefix ${OPTIM_PREFIX}`);
    tensors[k] = sd[k];
  }
  const meta: Record<string, string> = {};
  const user = options?.metadata ?? {};
  for (const k of Object.keys(user)) {
    if (RESERVED.includes(k)) throw new ArgumentError(`saveModel: metadata key ${JSON.stringify(k)} is reserved`);
    meta[k] = user[k];
  }
  meta.format = 'tensorkit';
  meta.formatVersion = MODEL_FORMAT_VERSION;
  meta.config = JSON.stringify(model.config());
  const opt = options?.optimizer;
  if (opt !== undefined) {
    const state = typeof (opt as { stateDict?: unknown }).stateDict === 'function' ? (opt as { stateDict(): unknown }).stateDict() : opt;
    meta.optimizer = encodeOptimizer(state, tensors);
  }
  return saveSafetensors(tensors, meta);
}

/**
 * Rebuilds a model saved by {@link saveModel}: checks `format` and `formatVersion`, parses the
 * config with a strict JSON parser, builds each module through the closed allowlist
 * {@link Constructors} (plus `registry`, for custom modules) — nothing in the file is evaluated or
 * used as a property name outside those maps — then loads the weights with
 * `loadStateDict(sd, { strict })`. Built-in layers' sizes are checked against the file's tensors
 * before anything is allocated. The model comes back in training mode; call `eval()` for inference.
 * @example
 * const lin = new Linear(2, 1);
 * const { model } = loadModel(saveModel(lin));
 * (model as Linear).weight.toArray().join() === lin.weight.toArray().join(); // true
 * loadModel(saveModel(lin)).model instanceof Linear; // true
 * @throws FormatError: the safetensors codes, `BAD_METADATA` (not a tensorkit file, bad optimizer
 * section), `UNSUPPORTED_VERSION`, `BAD_CONFIG` (malformed config or options a layer refuses),
 * `UNKNOWN_CONSTRUCTOR` (a type in neither map), `STATE_DICT_MISMATCH` (missing, unexpected or
 * mis-sized tensors).
 * @category IO
 */
export function loadModel(bytes: Uint8Array, options: LoadModelOptions = {}): LoadedModel {
  const { entries, metadata } = parseSafetensors(bytes);
  const md = metadata ?? {};
  if (md.format !== 'tensorkit' || !Object.hasOwn(md, 'config')) badConfig('not a tensorkit model file (no format: "tensorkit" and config metadata)', 'BAD_METADATA');
  if (md.formatVersion !== MODEL_FORMAT_VERSION) {
    badConfig(`formatVersion ${JSON.stringify(md.formatVersion ?? null)} is not supported (this version reads ${MODEL_FORMAT_VERSION})`, 'UNSUPPORTED_VERSION');
  }
  const registry = options?.registry;
  if (registry !== undefined && (typeof registry !== 'object' || registry === null)) throw new ArgumentError('loadModel: registry must be an object of type → factory');

  const sd: StateDict = {};
  const optim = new Map<string, RawEntry>();
  let budget = 0;
  for (const e of entries) {
    if (e.name.startsWith(OPTIM_PREFIX)) optim.set(e.name, e);
    else budget += e.bytes.length / itemSize(e.dtype);
  }
  const config = parseJsonStrict(md.config, { what: 'loadModel: config', maxDepth: 128 });
  let used = 0;
  const build = (cfg: Json, where: string): Module => {
    if (!isJsonObject(cfg)) badConfig(`${where}: a config must be an object`);
    for (const k of Object.keys(cfg)) if (k !== 'type' && k !== 'options' && k !== 'children') badConfig(`${where}: unknown config field ${JSON.stringify(k)}`);
    const type = cfg.type;
    if (typeof type !== 'string') badConfig(`${where}: type must be a string`);
    const opts = Object.hasOwn(cfg, 'options') ? cfg.options : {};
    if (!isJsonObject(opts)) badConfig(`${where} (${type}): options must be an object`);
    const kidsCfg = Object.hasOwn(cfg, 'children') ? cfg.children : [];
    if (!Array.isArray(kidsCfg)) badConfig(`${where} (${type}): children must be an array`);
    const custom = registry !== undefined && Object.hasOwn(registry, type);
    const factory = custom ? registry![type] : Object.hasOwn(Constructors, type) ? Constructors[type] : undefined;
    if (typeof factory !== 'function') {
      badConfig(`${where}: unknown module type ${JSON.stringify(type)}; register it with loadModel(bytes, { registry: { ${/^[A-Za-z_$][\w$]*$/.test(type) ? type : JSON.stringify(type)}: (options, children) => … } })`, 'UNKNOWN_CONSTRUCTOR');
    }
    const children = (kidsCfg as Json[]).map((c, i) => build(c, `${where}.children[${i}]`));
    if (!custom) {
      used += allocationBound(type, opts as Opts);
      if (used > budget) badConfig(`${where} (${type}): the config needs at least ${used} parameters but the file holds ${budget}`);
    }
    let m: unknown;
    try {
      m = isClass(factory) ? new factory(children.length > 0 ? { ...(opts as Opts), children } : (opts as Opts)) : (factory as ModuleFactory)(opts as Opts, children);
    } catch (e) {
      if (e instanceof FormatError || !(e instanceof TensorkitError)) throw e;
      return badConfig(`${where} (${type}): ${e.message}`);
    }
    if (!(m instanceof Module)) throw new ArgumentError(`loadModel: the factory for ${JSON.stringify(type)} returned ${m === null ? 'null' : typeof m}, not a Module`);
    return m;
  };
  const model = build(config, 'config');

  for (const e of entries) if (!e.name.startsWith(OPTIM_PREFIX)) sd[e.name] = decodeEntry(e) as Tensor;
  try {
    model.loadStateDict(sd, { strict: options?.strict ?? true });
  } catch (e) {
    if (e instanceof TensorkitError && !(e instanceof FormatError)) badConfig(e.message, 'STATE_DICT_MISMATCH');
    throw e;
  }

  const out: LoadedModel = { model, metadata: {} };
  for (const k of Object.keys(md)) if (!RESERVED.includes(k)) out.metadata[k] = md[k];
  if (Object.hasOwn(md, 'optimizer')) out.optimizerState = decodeOptimizer(md.optimizer, optim);
  else if (optim.size > 0) badConfig(`${optim.size} ${OPTIM_PREFIX} tensors but no optimizer metadata`, 'BAD_METADATA');
  return out;
}
