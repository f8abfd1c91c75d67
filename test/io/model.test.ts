import { describe, expect, it } from 'vitest';
import {
  Constructors, inspectSafetensors, loadModel, loadSafetensors, saveModel, saveSafetensors, type TypedTensor,
} from '../../src/io/index';
import * as nn from '../../src/nn/index';
import {
  AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, ConvTranspose2d, Dropout, ELU, Embedding,
  Flatten, GELU, GRU, Identity, LayerNorm, LeakyReLU, Linear, LSTM, MaxPool2d, Module, MultiHeadAttention, PositionalEncoding,
  ReLU, RNN, Sequential, Sigmoid, Softmax, Softplus, Tanh, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
  TransformerEncoderLayer, type ModuleConfig,
} from '../../src/nn/index';
import { Adam } from '../../src/optim/index';
import { predict } from '../../src/train/index';
import { ArgumentError, FormatError, Generator, Tensor, defaultGenerator, tensor, zeros } from '../../src/tensor/index';
import { withAllocationLimit } from '../../src/tensor/alloc';

const rng = new Generator(11);
const randn = (shape: number[]): Tensor => new Tensor(rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)), 0, 1), shape);
// Inputs drawn inside a case's run() come from this generator, re-seeded before each run.
const inRng = new Generator(0);
const inp = (shape: number[]): Tensor => new Tensor(inRng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)), 0, 1), shape);

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (!(e instanceof FormatError)) throw new Error(`expected a FormatError, got ${String(e)}`);
    return e.code;
  }
  throw new Error('expected a FormatError, nothing was thrown');
}

/** A layer, an input-to-output function, and a setup step that moves buffers away from their init. */
interface Case {
  name: string;
  make: () => Module;
  run: (m: Module) => Tensor;
  warm?: (m: Module) => void;
}

const x4 = randn([2, 2, 6, 6]);
const seq = randn([2, 5, 8]);
const mem = randn([2, 3, 8]);
const cases: Case[] = [
  { name: 'Linear', make: () => new Linear(3, 4), run: (m) => (m as Linear).forward(inp([2, 3])) },
  { name: 'Linear (no bias)', make: () => new Linear(3, 4, { bias: false }), run: (m) => (m as Linear).forward(inp([2, 3])) },
  { name: 'Conv1d', make: () => new Conv1d(2, 4, 3, { stride: 2, padding: 1, groups: 2 }), run: (m) => (m as Conv1d).forward(inp([1, 2, 9])) },
  { name: "Conv1d 'same'", make: () => new Conv1d(2, 3, 3, { padding: 'same', bias: false }), run: (m) => (m as Conv1d).forward(inp([1, 2, 7])) },
  { name: 'Conv2d', make: () => new Conv2d(2, 4, [3, 2], { stride: [1, 2], padding: 1, dilation: [2, 1], groups: 2 }), run: (m) => (m as Conv2d).forward(x4) },
  { name: 'ConvTranspose2d', make: () => new ConvTranspose2d(2, 3, 2, { stride: 2, outputPadding: 1 }), run: (m) => (m as ConvTranspose2d).forward(x4) },
  { name: 'MaxPool2d', make: () => new MaxPool2d(2, { stride: 1, padding: 1 }), run: (m) => (m as MaxPool2d).forward(x4) },
  { name: 'AvgPool2d', make: () => new AvgPool2d([2, 3], { padding: 1, countIncludePad: false }), run: (m) => (m as AvgPool2d).forward(x4) },
  { name: 'AdaptiveAvgPool2d', make: () => new AdaptiveAvgPool2d([2, 1]), run: (m) => (m as AdaptiveAvgPool2d).forward(x4) },
  { name: 'Flatten', make: () => new Flatten(2, 3), run: (m) => (m as Flatten).forward(x4) },
  { name: 'Dropout', make: () => new Dropout(0.3), run: (m) => (m as Dropout).forward(x4) },
  {
    name: 'BatchNorm1d', make: () => new BatchNorm1d(3, { momentum: 0.3, eps: 1e-3 }), run: (m) => (m as BatchNorm1d).forward(inp([4, 3])),
    warm: (m) => (m as BatchNorm1d).train().forward(randn([5, 3]).mul(3)),
  },
  {
    name: 'BatchNorm2d', make: () => new BatchNorm2d(2, { affine: false }), run: (m) => (m as BatchNorm2d).forward(x4),
    warm: (m) => (m as BatchNorm2d).train().forward(randn([3, 2, 2, 2]).add(1)),
  },
  { name: 'BatchNorm2d (no running stats)', make: () => new BatchNorm2d(2, { trackRunningStats: false }), run: (m) => (m as BatchNorm2d).forward(x4) },
  { name: 'LayerNorm', make: () => new LayerNorm([6, 6], { eps: 1e-3 }), run: (m) => (m as LayerNorm).forward(x4) },
  { name: 'LayerNorm (no affine)', make: () => new LayerNorm(6, { elementwiseAffine: false }), run: (m) => (m as LayerNorm).forward(x4) },
  { name: 'Embedding', make: () => new Embedding(10, 4, { paddingIdx: -1 }), run: (m) => (m as Embedding).forward(tensor([[1, 9, 3]])) },
  { name: 'Softmax', make: () => new Softmax(1), run: (m) => (m as Softmax).forward(x4) },
  { name: 'ReLU', make: () => new ReLU(), run: (m) => (m as ReLU).forward(x4) },
  { name: 'GELU', make: () => new GELU('tanh'), run: (m) => (m as GELU).forward(x4) },
  { name: 'Tanh', make: () => new Tanh(), run: (m) => (m as Tanh).forward(x4) },
  { name: 'Sigmoid', make: () => new Sigmoid(), run: (m) => (m as Sigmoid).forward(x4) },
  { name: 'LeakyReLU', make: () => new LeakyReLU(0.2), run: (m) => (m as LeakyReLU).forward(x4) },
  { name: 'ELU', make: () => new ELU(0.5), run: (m) => (m as ELU).forward(x4) },
  { name: 'Softplus', make: () => new Softplus(2, 1), run: (m) => (m as Softplus).forward(x4) },
  { name: 'Identity', make: () => new Identity(), run: (m) => (m as Identity).forward(x4) },
  {
    name: 'MultiHeadAttention', make: () => new MultiHeadAttention(8, 2, { kdim: 6, vdim: 4, dropout: 0.1 }),
    run: (m) => (m as MultiHeadAttention).forward(seq, inp([2, 3, 6]), inp([2, 3, 4])).output,
  },
  {
    name: 'TransformerEncoderLayer', make: () => new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, activation: 'gelu', normFirst: true, layerNormEps: 1e-4 }),
    run: (m) => (m as TransformerEncoderLayer).forward(seq, { isCausal: true }),
  },
  {
    name: 'TransformerDecoderLayer', make: () => new TransformerDecoderLayer(8, 4, { dimFeedforward: 12, dropout: 0.2 }),
    run: (m) => (m as TransformerDecoderLayer).forward(seq, mem, { tgtIsCausal: true }),
  },
  {
    name: 'TransformerEncoder (with final norm)',
    make: () => new TransformerEncoder((i) => new TransformerEncoderLayer(8, 2, { dimFeedforward: 8 + i, normFirst: true }), 2, { norm: new LayerNorm(8) }),
    run: (m) => (m as TransformerEncoder).forward(seq),
  },
  {
    name: 'TransformerDecoder', make: () => new TransformerDecoder(new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 }), 3),
    run: (m) => (m as TransformerDecoder).forward(seq, mem),
  },
  { name: 'PositionalEncoding', make: () => new PositionalEncoding(8, { maxLen: 12, dropout: 0.1 }), run: (m) => (m as PositionalEncoding).forward(seq) },
  { name: 'RNN', make: () => new RNN(3, 4, { nonlinearity: 'relu', numLayers: 2, dropout: 0.5 }), run: (m) => (m as RNN).forward(inp([2, 5, 3])).output },
  { name: 'RNN (final state)', make: () => new RNN(3, 4, { bias: false }), run: (m) => (m as RNN).forward(inp([2, 5, 3])).hN },
  { name: 'LSTM', make: () => new LSTM(3, 4, { numLayers: 2, bidirectional: true }), run: (m) => (m as LSTM).forward(inp([2, 5, 3])).output },
  { name: 'LSTM (cell state)', make: () => new LSTM(2, 3), run: (m) => (m as LSTM).forward(inp([1, 4, 2])).cN },
  { name: 'GRU', make: () => new GRU(3, 2, { bidirectional: true, bias: false }), run: (m) => (m as GRU).forward(inp([2, 5, 3])).output },
  {
    name: 'Sequential (conv net)',
    make: () => new Sequential(
      new Conv2d(2, 3, 3, { padding: 1 }), new BatchNorm2d(3), new ReLU(), new MaxPool2d(2), new Flatten(),
      new Linear(27, 5), new Dropout(0.5), new GELU(), new Linear(5, 2), new Softmax(),
    ),
    run: (m) => (m as Sequential).forward(x4),
    warm: (m) => (m as Sequential).train().forward(randn([4, 2, 6, 6])),
  },
  {
    name: 'Sequential (nested)', make: () => new Sequential(new Sequential(new Linear(3, 3), new Tanh()), new Sequential(), new Linear(3, 1)),
    run: (m) => (m as Sequential).forward(inp([4, 3])),
  },
];

describe('saveModel / loadModel round-trip every layer with a config()', () => {
  for (const c of cases) {
    it(c.name, () => {
      const m = c.make();
      // Move every parameter away from its init so a silently re-initialized layer would show.
      for (const p of m.parameters()) p.data.set(randn([p.size]).data);
      c.warm?.(m);
      m.eval();
      const bytes = saveModel(m);
      const { model, optimizerState, metadata } = loadModel(bytes);
      expect(optimizerState).toBeUndefined();
      expect(metadata).toEqual({});
      expect(model.constructor).toBe(m.constructor);
      expect(model.config()).toEqual(m.config());
      expect(Object.keys(model.stateDict())).toEqual(Object.keys(m.stateDict()));
      model.eval();
      inRng.seed(1);
      const want = c.run(m);
      inRng.seed(1);
      const got = c.run(model);
      expect(got.shape).toEqual(want.shape);
      expect(Array.from(got.data)).toEqual(Array.from(want.data));
    });
  }

  it('covers every Module class exported by src/nn/index.ts', () => {
    // Abstract bases (Module, RNNBase) cannot be built, so they need no constructor.
    const classes = Object.entries(nn).filter(([k, v]) => typeof v === 'function' && v.prototype instanceof Module && k !== 'RNNBase');
    const missing = classes.map(([k]) => k).filter((k) => !Object.hasOwn(Constructors, k));
    expect(missing).toEqual([]);
    const tested = new Set(cases.map((c) => c.make().constructor.name));
    expect(classes.map(([k]) => k).filter((k) => !tested.has(k))).toEqual([]);
  });

  it('does not advance the global generator while rebuilding init-only layers', () => {
    const bytes = saveModel(new Sequential(new Linear(4, 4), new Conv2d(1, 2, 3), new Embedding(5, 2)));
    const before = defaultGenerator().random();
    defaultGenerator().seed(5);
    const a = defaultGenerator().random();
    defaultGenerator().seed(5);
    loadModel(bytes);
    expect(defaultGenerator().random()).toBe(a);
    void before;
  });

  it('keeps metadata and refuses reserved keys', () => {
    const bytes = saveModel(new Linear(1, 1), { metadata: { epoch: '3', note: 'ok' } });
    expect(inspectSafetensors(bytes).metadata.format).toBe('tensorkit');
    expect(inspectSafetensors(bytes).metadata.formatVersion).toBe('1');
    expect(JSON.parse(inspectSafetensors(bytes).metadata.config)).toEqual(new Linear(1, 1).config());
    expect(loadModel(bytes).metadata).toEqual({ epoch: '3', note: 'ok' });
    for (const k of ['format', 'formatVersion', 'config', 'optimizer']) {
      expect(() => saveModel(new Linear(1, 1), { metadata: { [k]: 'x' } })).toThrow(ArgumentError);
    }
    expect(() => saveModel({} as Module)).toThrow(ArgumentError);
  });

  it('issue 12: loadModel<M> types the model, so predict(restored, x) type-checks', () => {
    const net = new Sequential(new Linear(2, 3), new ReLU());
    const { model } = loadModel<Sequential>(saveModel(net));
    const x = randn([4, 2]);
    expect(Array.from(predict(model, x).data)).toEqual(Array.from(predict(net, x).data));
  });

  it('the file is plain safetensors: weights load with loadSafetensors under their state-dict names', () => {
    const m = new Sequential(new Linear(2, 2), new ReLU(), new Linear(2, 1));
    const { tensors } = loadSafetensors(saveModel(m));
    expect(Object.keys(tensors).sort()).toEqual(['0.bias', '0.weight', '2.bias', '2.weight']);
    expect((tensors['2.weight'] as Tensor).toArray()).toEqual(m[2].stateDict().weight.toArray());
  });
});

describe('optimizer state', () => {
  it('round-trips an opaque state with typed arrays bit-exactly, in their own classes', () => {
    const nanBits = new Float32Array(new Uint32Array([0xffc00001]).buffer);
    const state = {
      optimizer: 'Adam',
      state: [
        { step: 3, expAvg: new Float32Array([0.1, -2, 3e-20]), expAvgSq: new Float32Array([1, 2, 3]), odd: nanBits },
        null,
        { step: 1, 'dotted.key': new Float64Array([Math.PI, -0]), ints: new Int32Array([-1, 7]), big: new BigInt64Array([-(2n ** 63n), 5n]) },
      ],
      paramGroups: [{ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, params: [0, 1, 2], amsgrad: false }],
      extra: { nan: NaN, inf: -Infinity, negZero: -0, clamped: new Uint8ClampedArray([0, 255]), t: tensor([[1, 2]]), constructor: 'fine', empty: new Float32Array(0) },
    };
    const m = new Linear(2, 2);
    const bytes = saveModel(m, { optimizer: { stateDict: () => state } });
    const names = Object.keys(inspectSafetensors(bytes).tensors);
    expect(names).toContain('__optim__.state.0.expAvg');
    expect(names).toContain('__optim__.state.2.dotted.key');
    type Loose = Record<string, any>;
    const back = loadModel(bytes).optimizerState as { optimizer: string; state: (Loose | null)[]; paramGroups: unknown; extra: Loose };
    expect(back.optimizer).toBe('Adam');
    expect(back.state[1]).toBeNull();
    expect(back.paramGroups).toEqual(state.paramGroups);
    const s0 = back.state[0]!, s2 = back.state[2]!;
    expect(s0.expAvg).toBeInstanceOf(Float32Array);
    expect(Array.from(s0.expAvg)).toEqual([0.1, -2, 3e-20].map(Math.fround));
    expect(new Uint32Array(s0.odd.buffer)[0]).toBe(0xffc00001);
    expect(s2['dotted.key']).toBeInstanceOf(Float64Array);
    expect(Object.is(s2['dotted.key'][1], -0)).toBe(true);
    expect(s2['dotted.key'][0]).toBe(Math.PI);
    expect(Array.from(s2.ints)).toEqual([-1, 7]);
    expect(s2.ints).toBeInstanceOf(Int32Array);
    expect(s2.big).toBeInstanceOf(BigInt64Array);
    expect(Array.from(s2.big)).toEqual([-(2n ** 63n), 5n]);
    expect(Number.isNaN(back.extra.nan)).toBe(true);
    expect(back.extra.inf).toBe(-Infinity);
    expect(Object.is(back.extra.negZero, -0)).toBe(true);
    expect(back.extra.clamped).toBeInstanceOf(Uint8ClampedArray);
    expect(Array.from(back.extra.clamped)).toEqual([0, 255]);
    expect(back.extra.t).toBeInstanceOf(Tensor);
    expect(back.extra.t.tolist()).toEqual([[1, 2]]);
    expect(back.extra.constructor).toBe('fine');
    expect(back.extra.empty).toBeInstanceOf(Float32Array);
    expect(back.extra.empty.length).toBe(0);
  });

  it('an Adam checkpoint resumes bit-exactly: 3 steps, save, load, 3 steps == 6 steps', () => {
    const x = randn([6, 3]);
    const y = randn([6, 2]);
    const step = (m: Linear, o: Adam): void => {
      o.zeroGrad();
      nn.mseLoss(m.forward(x), y).backward();
      o.step();
    };
    const net = new Linear(3, 2, { rng: new Generator(4) });
    const opt = new Adam(net.parameters(), { lr: 0.05, amsgrad: true, weightDecay: 0.01 });
    for (let k = 0; k < 3; k++) step(net, opt);
    const bytes = saveModel(net, { optimizer: opt });
    for (let k = 0; k < 3; k++) step(net, opt);

    const { model, optimizerState } = loadModel(bytes);
    const opt2 = new Adam((model as Linear).parameters(), { lr: 1 });
    opt2.loadStateDict(optimizerState as ReturnType<Adam['stateDict']>);
    for (let k = 0; k < 3; k++) step(model as Linear, opt2);
    expect(Array.from((model as Linear).weight.data)).toEqual(Array.from(net.weight.data));
    expect(Array.from((model as Linear).bias!.data)).toEqual(Array.from(net.bias!.data));
  });

  it('accepts a state directly and a bare typed array as the whole state', () => {
    expect(loadModel(saveModel(new Identity(), { optimizer: { a: [1, 'x', true, null] } })).optimizerState).toEqual({ a: [1, 'x', true, null] });
    const back = loadModel(saveModel(new Identity(), { optimizer: new Float32Array([1, 2]) as unknown as Record<string, unknown> })).optimizerState;
    expect(back).toEqual(new Float32Array([1, 2]));
  });

  it('refuses state that is not plain data', () => {
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    for (const bad of [{ f: () => 1 }, { d: new Date() }, { m: new Map() }, cyc, { b: 1n }, { s: 'a\udc00' }, { v: new DataView(new ArrayBuffer(1)) }]) {
      expect(() => saveModel(new Identity(), { optimizer: bad as Record<string, unknown> })).toThrow(ArgumentError);
    }
  });

  it('rejects tampered optimizer sections with BAD_METADATA', () => {
    const bytes = saveModel(new Identity(), { optimizer: { a: { b: new Float32Array([1]) }, c: [1] } });
    const { tensors, metadata } = loadSafetensors(bytes);
    const opt = JSON.parse(metadata.optimizer);
    const tamper = (refs: unknown, value: unknown = opt.value, extraTensors: Record<string, TypedTensor> = {}): Uint8Array =>
      saveSafetensors({ ...tensors, ...extraTensors } as Record<string, Tensor>, { ...metadata, optimizer: JSON.stringify({ value, refs }) });
    const name = '__optim__.a.b';
    const cases: Uint8Array[] = [
      tamper([{ path: ['a', 'constructor'], kind: 'Float32Array', name }]),
      tamper([{ path: ['a', 'b', 'c'], kind: 'Float32Array', name }]),
      tamper([{ path: ['c', 5], kind: 'Float32Array', name }]),
      tamper([{ path: ['c', 0], kind: 'Float32Array', name }]), // not a placeholder
      tamper([{ path: ['a', 'b'], kind: 'Int32Array', name }]), // dtype mismatch
      tamper([{ path: ['a', 'b'], kind: 'Evil', name }]),
      tamper([{ path: ['a', 'b'], kind: 'Float32Array', name: 'nope' }]),
      tamper([]), // an unreferenced __optim__ tensor
      tamper([{ path: ['a', 'b'], kind: 'Float32Array', name }, { path: ['a', 'b'], kind: 'Float32Array', name }]),
      tamper('refs'),
      saveSafetensors(tensors as Record<string, Tensor>, { ...metadata, optimizer: '{"value":1}' }),
      saveSafetensors(tensors as Record<string, Tensor>, { ...metadata, optimizer: 'not json' }),
    ];
    expect(codeOf(() => loadModel(cases.pop()!))).toBe('BAD_JSON');
    for (const [i, b] of cases.entries()) expect(codeOf(() => loadModel(b)), `case ${i}`).toBe('BAD_METADATA');
    const { optimizer: _o, ...noOpt } = metadata;
    expect(codeOf(() => loadModel(saveSafetensors(tensors as Record<string, Tensor>, noOpt)))).toBe('BAD_METADATA');
  });
});

describe('loadModel rebuilds only from the allowlist', () => {
  /** A tensorkit file with the given config and tensors. */
  const file = (config: unknown, tensors: Record<string, Tensor> = {}, extra: Record<string, string> = {}): Uint8Array =>
    saveSafetensors(tensors, { format: 'tensorkit', formatVersion: '1', config: typeof config === 'string' ? config : JSON.stringify(config), ...extra });

  class Scaler extends Module {
    readonly scale: nn.Linear;
    readonly width: number;
    constructor(options: { width: number }) {
      super();
      this.width = options.width;
      this.scale = new Linear(this.width, this.width, { bias: false });
    }
    forward(x: Tensor): Tensor {
      return this.scale.forward(x);
    }
    override config(): ModuleConfig {
      return { type: 'Scaler', options: { width: this.width } };
    }
  }

  it('UNKNOWN_CONSTRUCTOR for types in neither map, including Object.prototype names', () => {
    for (const type of ['Scaler', 'constructor', 'toString', '__proto__', 'hasOwnProperty', 'Module', 'eval', '']) {
      expect(codeOf(() => loadModel(file({ type }))), type).toBe('UNKNOWN_CONSTRUCTOR');
      expect(codeOf(() => loadModel(file({ type }), { registry: {} })), type).toBe('UNKNOWN_CONSTRUCTOR');
    }
    expect(codeOf(() => loadModel(saveModel(new Sequential(new Scaler({ width: 2 })))))).toBe('UNKNOWN_CONSTRUCTOR');
  });

  it('custom modules come back through the registry (and it takes precedence)', () => {
    const m = new Sequential(new Scaler({ width: 3 }), new ReLU());
    m.parameters()[0].data.set(randn([9]).data);
    const { model } = loadModel<Sequential>(saveModel(m), { registry: { Scaler } });
    const x = randn([2, 3]);
    expect(Array.from(model.forward(x).data)).toEqual(Array.from(m.forward(x).data));
    let called = 0;
    class CountingLinear extends Linear {
      constructor(o: nn.LinearConfig) {
        called++;
        super(o);
      }
    }
    expect(loadModel(saveModel(new Linear(2, 2)), { registry: { Linear: CountingLinear } }).model).toBeInstanceOf(CountingLinear);
    expect(called).toBe(1);
    // A factory function is not a class; a class whose instances are not savable is refused too.
    const factory = (o: { width: number }): Scaler => new Scaler(o);
    expect(() => loadModel(saveModel(new Scaler({ width: 1 })), { registry: { Scaler: factory as never } })).toThrow(/registry.Scaler must be a class/);
    class Plain {
      constructor(readonly o: unknown) {}
    }
    expect(() => loadModel(saveModel(new Scaler({ width: 1 })), { registry: { Scaler: Plain as never } })).toThrow(ArgumentError);
    expect(() => loadModel(saveModel(new Scaler({ width: 1 })), { registry: { Scaler: 42 as never } })).toThrow(ArgumentError);
  });

  it('UNSUPPORTED_VERSION and BAD_METADATA for the format keys', () => {
    expect(codeOf(() => loadModel(file({ type: 'ReLU' }, {}, { formatVersion: '2' })))).toBe('UNSUPPORTED_VERSION');
    expect(codeOf(() => loadModel(saveSafetensors({}, { format: 'tensorkit', config: '{"type":"ReLU"}' })))).toBe('UNSUPPORTED_VERSION');
    expect(codeOf(() => loadModel(saveSafetensors({}, { config: '{"type":"ReLU"}', formatVersion: '1' })))).toBe('BAD_METADATA');
    expect(codeOf(() => loadModel(saveSafetensors({})))).toBe('BAD_METADATA');
    expect(loadModel(file({ type: 'ReLU' })).model).toBeInstanceOf(ReLU);
  });

  it('BAD_CONFIG for malformed configs and options a layer refuses', () => {
    const w = { weight: randn([2, 2]), bias: randn([2]) };
    const bad: unknown[] = [
      '[]', '"Linear"', { type: 1 }, { type: 'ReLU', extra: 1 }, { type: 'ReLU', options: [] }, { type: 'ReLU', children: {} },
      { type: 'ReLU', children: [{ type: 'ReLU' }] }, // a leaf with children
      { type: 'Linear', options: { inFeatures: 2 } }, // missing option
      { type: 'Linear', options: { inFeatures: 2, outFeatures: 2, rng: {} } }, // unknown option
      { type: 'Linear', options: { inFeatures: '2', outFeatures: 2 } },
      { type: 'Linear', options: { inFeatures: 2.5, outFeatures: 2 } },
      { type: 'Linear', options: { inFeatures: -2, outFeatures: 2 } },
      { type: 'Dropout', options: { p: 2 } }, // the layer's own ArgumentError, as BAD_CONFIG
      { type: 'GELU', options: { approximate: 'fast' } },
      { type: 'MultiHeadAttention', options: { embedDim: 3, numHeads: 2 } },
      { type: 'TransformerEncoder', options: { numLayers: 2 }, children: [{ type: 'ReLU' }] },
      { type: 'TransformerEncoder', options: { numLayers: 1 }, children: [{ type: 'ReLU' }, { type: 'ReLU' }] },
    ];
    for (const c of bad) expect(codeOf(() => loadModel(file(c, w))), JSON.stringify(c)).toBe('BAD_CONFIG');
    expect(codeOf(() => loadModel(file('{"type":"ReLU","type":"Tanh"}')))).toBe('DUPLICATE_KEY');
    expect(codeOf(() => loadModel(file('{"type":"ReLU","__proto__":{}}')))).toBe('FORBIDDEN_KEY');
    expect(codeOf(() => loadModel(file('{"type":')))).toBe('BAD_JSON');
  });

  /**
   * Runs `f` (a load expected to fail) under an outer budget of `probe` elements, then allocates
   * `probe − limit` elements under the same budget: that succeeds only if the failed load charged
   * at most `limit` elements (the refused request included). A timing-free bound on what it allocated.
   */
  const allocatedAtMost = (limit: number, f: () => void): void => {
    const probe = 1e7;
    withAllocationLimit(probe, 'probe', () => {
      f();
      expect(() => zeros([probe - limit])).not.toThrow();
    });
  };

  it('a config may allocate only about what the file carries (ALLOCATION_LIMIT), for every layer type', () => {
    const w = { weight: randn([2, 2]) };
    const huge: [unknown, string][] = [
      [{ type: 'Linear', options: { inFeatures: 1e6, outFeatures: 1e6 } }, 'BAD_CONFIG'], // 1e12 elements: past 2^31 − 1
      [{ type: 'Linear', options: { inFeatures: 3000, outFeatures: 3000 } }, 'ALLOCATION_LIMIT'],
      [{ type: 'Sequential', children: Array.from({ length: 50 }, () => ({ type: 'Embedding', options: { numEmbeddings: 1000, embeddingDim: 1000 } })) }, 'ALLOCATION_LIMIT'],
      [{ type: 'PositionalEncoding', options: { dModel: 1e5 } }, 'ALLOCATION_LIMIT'],
      [{ type: 'BatchNorm2d', options: { numFeatures: 1e7 } }, 'ALLOCATION_LIMIT'],
      [{ type: 'LayerNorm', options: { normalizedShape: [1000, 1000] } }, 'ALLOCATION_LIMIT'],
      [{ type: 'MultiHeadAttention', options: { embedDim: 2048, numHeads: 8 } }, 'ALLOCATION_LIMIT'],
      [{ type: 'TransformerEncoderLayer', options: { dModel: 64, nhead: 2 } }, 'ALLOCATION_LIMIT'],
      [{ type: 'Conv2d', options: { inChannels: 512, outChannels: 512, kernelSize: 3 } }, 'ALLOCATION_LIMIT'],
    ];
    // The refused request is checked before anything is allocated (chargeAllocation precedes new Float32Array).
    for (const [cfg, code] of huge) expect(codeOf(() => loadModel(file(cfg, w))), JSON.stringify(cfg).slice(0, 80)).toBe(code);
  });

  it('issue 12: a tiny file claiming numLayers 2e5 or 1e9 for LSTM/GRU/RNN fails fast, allocating about the file size', () => {
    for (const type of ['LSTM', 'GRU', 'RNN']) {
      for (const numLayers of [2e5, 1e9]) {
        const bytes = file({ type, options: { inputSize: 8, hiddenSize: 8, numLayers } }, { weightIh0: randn([8, 8]) });
        expect(bytes.length).toBeLessThan(700);
        let err: unknown = null;
        // The file carries 64 elements; the build may use the slack (4096) and one layer's request beyond it.
        allocatedAtMost(4096 + 64 + 1024, () => {
          try {
            loadModel(bytes);
          } catch (e) {
            err = e;
          }
        });
        expect(err, `${type} ${numLayers}`).toBeInstanceOf(FormatError);
        expect((err as FormatError).code).toBe('ALLOCATION_LIMIT');
        expect((err as FormatError).message).toMatch(new RegExp(`^loadModel: config \\(${type}\\): building the model asks for more than`));
      }
    }
  });

  it('save and load agree on nesting: what saves loads, what is too deep is refused by both', () => {
    const nest = (n: number): Module => {
      let m: Module = new ReLU();
      for (let i = 0; i < n; i++) m = new Sequential(m);
      return m;
    };
    // 64 nested Sequentials saved but did not load before (issue 12).
    for (const n of [64, 127]) expect(loadModel(saveModel(nest(n))).model.modules().length).toBe(n + 1);
    expect(() => saveModel(nest(200))).toThrow(/nests deeper than 256 levels/);
    // A hand-made file past the same limit is refused by the parser, not the stack.
    const deep = '{"type":"Sequential","children":['.repeat(200) + '{"type":"ReLU"}' + ']}'.repeat(200);
    expect(codeOf(() => loadModel(file(deep)))).toBe('BAD_JSON');
  });

  it('issue 12: a Sequential config with 70k children loads without overflowing the stack; past the module cap both sides refuse', () => {
    const cfg = { type: 'Sequential', children: Array.from({ length: 70_000 }, () => ({ type: 'ReLU' })) };
    const { model } = loadModel<Sequential>(file(cfg));
    expect(model.length).toBe(70_000);
    expect(loadModel<Sequential>(saveModel(model)).model.length).toBe(70_000);
    const tooMany = { type: 'Sequential', children: Array.from({ length: 100_001 }, () => ({ type: 'ReLU' })) };
    expect(codeOf(() => loadModel(file(tooMany)))).toBe('BAD_CONFIG');
    expect(() => saveModel(new Sequential({ children: Array.from({ length: 100_001 }, () => new ReLU()) }))).toThrow(/more than 100000 modules/);
  });

  it('options of saveModel and loadModel are validated (issue 12)', () => {
    const bytes = saveModel(new Linear(1, 1));
    expect(() => saveModel(new Linear(1, 1), { metadata: 'abc' as never })).toThrow(/saveModel: metadata must be an object, got "abc"/);
    expect(() => saveModel(new Linear(1, 1), { metadata: { epoch: 3 as never } })).toThrow(/metadata.epoch must be a string/);
    expect(() => saveModel(new Linear(1, 1), { optimiser: {} } as never)).toThrow(/did you mean 'optimizer'/);
    expect(() => loadModel(bytes, { strict: 'no' as never })).toThrow(/loadModel: strict must be a boolean, got "no"/);
    expect(() => loadModel(bytes, 42 as never)).toThrow(ArgumentError);
  });

  it('a config that JSON cannot carry exactly is refused at save', () => {
    class Odd extends Module {
      constructor(readonly v: unknown) {
        super();
      }
      forward(x: Tensor): Tensor {
        return x;
      }
      override config(): ModuleConfig {
        return { type: 'Odd', options: { v: this.v } };
      }
    }
    for (const v of [NaN, Infinity, () => 1, new Date(0), 1n]) expect(() => saveModel(new Odd(v)), String(v)).toThrow(ArgumentError);
  });

  it('STATE_DICT_MISMATCH for missing, unexpected or mis-sized tensors; strict: false loads the rest', () => {
    const cfg = new Linear(2, 3).config();
    expect(codeOf(() => loadModel(file(cfg, { weight: randn([3, 2]) })))).toBe('STATE_DICT_MISMATCH');
    expect(codeOf(() => loadModel(file(cfg, { weight: randn([3, 2]), bias: randn([3]), other: randn([1]) })))).toBe('STATE_DICT_MISMATCH');
    expect(codeOf(() => loadModel(file(cfg, { weight: randn([2, 3]), bias: randn([3]) })))).toBe('STATE_DICT_MISMATCH');
    const w = randn([3, 2]);
    const { model } = loadModel(file(cfg, { weight: w, bias: randn([3]), other: randn([1]) }), { strict: false });
    expect((model as Linear).weight.toArray()).toEqual(w.toArray());
    const ints = saveSafetensors({ weight: { dtype: 'I32', shape: [3, 2], data: new Int32Array(6) }, bias: randn([3]) }, { format: 'tensorkit', formatVersion: '1', config: JSON.stringify(cfg) });
    expect(codeOf(() => loadModel(ints))).toBe('STATE_DICT_MISMATCH');
  });
});

describe('BatchNorm files from before numBatchesTracked was 0-d', () => {
  it('a [1] numBatchesTracked loads into the 0-d buffer (issue 12 made it PyTorch-shaped)', () => {
    const bn = new BatchNorm1d(2);
    const sd = { ...bn.stateDict(), numBatchesTracked: tensor([5]) };
    const old = saveSafetensors(sd, { format: 'tensorkit', formatVersion: '1', config: JSON.stringify(bn.config()) });
    const { model } = loadModel<BatchNorm1d>(old);
    expect(model.numBatchesTracked!.shape).toEqual([]);
    expect(model.numBatchesTracked!.item()).toBe(5);
  });
});

describe('any Savable is a model file', () => {
  /** A tiny non-Module savable (as an estimator or a scaler is): a centring step with int counts. */
  class Centre {
    readonly mean: Tensor;
    readonly counts: TypedTensor;
    readonly options: { width: number; label: string };
    constructor(options: { width: number; label: string }) {
      if (typeof options?.width !== 'number') throw new ArgumentError(`Centre: width must be a number, got ${String(options?.width)}`);
      this.options = { width: options.width, label: options.label };
      this.mean = tensor(new Array<number>(options.width).fill(0));
      this.counts = { dtype: 'I32', shape: [options.width], data: new Int32Array(options.width) };
    }
    transform(x: number[]): number[] {
      return x.map((v, i) => v - this.mean.data[i]);
    }
    config(): { type: string; options: Record<string, unknown> } {
      return { type: 'Centre', options: { ...this.options } };
    }
    stateDict(): Record<string, Tensor | TypedTensor> {
      return { mean: this.mean, counts: this.counts };
    }
    loadStateDict(sd: Record<string, Tensor | TypedTensor>): void {
      this.mean.data.set((sd.mean as Tensor).data);
      (this.counts.data as Int32Array).set((sd.counts as TypedTensor).data as Int32Array);
    }
  }

  it('saves and loads a class that is not a Module, with typed state, through the registry', () => {
    const c = new Centre({ width: 3, label: 'x' });
    c.mean.data.set([1, 2, 3]);
    (c.counts.data as Int32Array).set([4, 5, 6]);
    const { model, metadata } = loadModel<Centre>(saveModel(c, { metadata: { kind: 'scaler' } }), { registry: { Centre } });
    expect(model).toBeInstanceOf(Centre);
    expect(model.config()).toEqual(c.config());
    expect(model.transform([1, 1, 1])).toEqual([0, -1, -2]);
    expect(Array.from(model.counts.data as Int32Array)).toEqual([4, 5, 6]);
    expect(metadata).toEqual({ kind: 'scaler' });
    // Its own constructor's ArgumentError comes back as BAD_CONFIG.
    const bad = saveSafetensors({}, { format: 'tensorkit', formatVersion: '1', config: JSON.stringify({ type: 'Centre', options: { width: 'x' } }) });
    expect(codeOf(() => loadModel(bad, { registry: { Centre } }))).toBe('BAD_CONFIG');
    // And it nests inside no Module: a savable is a whole file.
    expect(() => saveModel({ config: () => ({ type: 'X' }), stateDict: () => ({}) } as never)).toThrow(/must be savable/);
  });
});

describe('optimizer state is binary (issue 12)', () => {
  it('Adam on a 10k-parameter model: the buffers are __optim__ tensors, the header stays small, the file ~3× the weights', () => {
    const net = new Linear(100, 100, { rng: new Generator(1) });
    const opt = new Adam(net.parameters(), { lr: 1e-3 });
    for (const p of net.parameters()) p.grad = new Float32Array(p.size).fill(0.5);
    opt.step();
    const weightsOnly = saveModel(net).length;
    const bytes = saveModel(net, { optimizer: opt });
    const header = inspectSafetensors(bytes);
    expect(header.metadata.optimizer.length).toBeLessThan(2000);
    expect(Object.keys(header.tensors).filter((k) => k.startsWith('__optim__.')).length).toBeGreaterThanOrEqual(4);
    // weights + expAvg + expAvgSq, 4 bytes each: about 3× (JSON numbers made it ~10×).
    expect(bytes.length).toBeLessThan(3.2 * weightsOnly);
    expect(JSON.stringify(loadModel(bytes).optimizerState)).toBe(JSON.stringify(opt.stateDict()));
  });

  it('number arrays round-trip exactly: float64 values, raw NaN/±Inf/−0, and the NaN strings optimizers write', () => {
    const f64 = Array.from({ length: 20 }, (_, i) => Math.PI * i);
    const raw = [NaN, Infinity, -Infinity, -0, ...Array.from({ length: 16 }, (_, i) => i)];
    const encoded = ['NaN', 'Infinity', '-Infinity', ...Array.from({ length: 16 }, (_, i) => i / 4)];
    const mixed = ['x', ...Array.from({ length: 16 }, (_, i) => i)];
    const short = [0.1, 0.2];
    const back = loadModel(saveModel(new Identity(), { optimizer: { f64, raw, encoded, mixed, short } })).optimizerState as Record<string, unknown[]>;
    expect(back.f64).toEqual(f64);
    expect(Number.isNaN(back.raw[0])).toBe(true);
    expect(back.raw.slice(1, 3)).toEqual([Infinity, -Infinity]);
    expect(Object.is(back.raw[3], -0)).toBe(true);
    expect(back.encoded).toEqual(encoded);
    expect(back.mixed).toEqual(mixed);
    expect(back.short).toEqual(short);
    const names = Object.keys(inspectSafetensors(saveModel(new Identity(), { optimizer: { f64, raw, encoded, mixed, short } })).tensors);
    expect(names.sort()).toEqual(['__optim__.encoded', '__optim__.f64', '__optim__.raw']);
  });
});
