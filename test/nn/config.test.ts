import { describe, expect, it } from 'vitest';
import * as nn from '../../src/nn/index';
import {
  AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, ConvTranspose2d, Dropout, ELU, Embedding,
  Flatten, GELU, GRU, Identity, LayerNorm, LeakyReLU, Linear, LSTM, MaxPool2d, Module, MultiHeadAttention, PositionalEncoding,
  ReLU, RNN, Sequential, Sigmoid, Softmax, Softplus, Tanh, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
  TransformerEncoderLayer, type ModuleConfig,
} from '../../src/nn/index';
import { ArgumentError, Generator, Tensor, TensorkitError, manualSeed, noGrad, randn, tensor } from '../../src/tensor/index';

// The Config round trip: every built-in class's constructor takes, as its single argument, its own
// config().options (containers: with the rebuilt children), validated by the same spec as the
// positional form.

const g = (): Generator => new Generator(3);
const x4 = randn([2, 2, 6, 6], { rng: g() });
const seq = randn([2, 5, 8], { rng: g() });
const mem = randn([2, 3, 8], { rng: g() });

/** One instance of every built-in class (several forms of some), and how to run it. */
const cases: [string, () => Module, (m: Module) => Tensor][] = [
  ['Linear', () => new Linear(3, 4, { bias: false }), (m) => (m as Linear).forward(randn([2, 3], { rng: g() }))],
  ['Conv1d', () => new Conv1d(2, 4, 3, { dilation: 2, padding: 'same', groups: 2 }), (m) => (m as Conv1d).forward(randn([1, 2, 9], { rng: g() }))],
  ['Conv2d', () => new Conv2d(2, 4, [3, 2], { stride: [1, 2], padding: 1, dilation: [2, 1], groups: 2 }), (m) => (m as Conv2d).forward(x4)],
  ['ConvTranspose2d', () => new ConvTranspose2d(2, 3, 2, { stride: 2, outputPadding: 1 }), (m) => (m as ConvTranspose2d).forward(x4)],
  ['MaxPool2d', () => new MaxPool2d(2, { stride: 1, padding: 1 }), (m) => (m as MaxPool2d).forward(x4)],
  ['AvgPool2d', () => new AvgPool2d([2, 3], { padding: 1, countIncludePad: false }), (m) => (m as AvgPool2d).forward(x4)],
  ['AdaptiveAvgPool2d', () => new AdaptiveAvgPool2d([2, 1]), (m) => (m as AdaptiveAvgPool2d).forward(x4)],
  ['Flatten', () => new Flatten(2, 3), (m) => (m as Flatten).forward(x4)],
  ['Dropout', () => new Dropout(0.3), (m) => (m as Dropout).forward(x4)],
  ['BatchNorm1d', () => new BatchNorm1d(3, { momentum: 0.3, eps: 1e-3 }), (m) => (m as BatchNorm1d).forward(randn([4, 3], { rng: g() }))],
  ['BatchNorm2d', () => new BatchNorm2d(2, { affine: false, trackRunningStats: false }), (m) => (m as BatchNorm2d).forward(x4)],
  ['LayerNorm', () => new LayerNorm([6, 6], { eps: 1e-3, elementwiseAffine: true }), (m) => (m as LayerNorm).forward(x4)],
  ['Embedding', () => new Embedding(10, 4, { paddingIdx: -1 }), (m) => (m as Embedding).forward(tensor([[1, 9, 3]]))],
  ['Softmax', () => new Softmax(1), (m) => (m as Softmax).forward(x4)],
  ['ReLU', () => new ReLU(), (m) => (m as ReLU).forward(x4)],
  ['GELU', () => new GELU('tanh'), (m) => (m as GELU).forward(x4)],
  ['Tanh', () => new Tanh(), (m) => (m as Tanh).forward(x4)],
  ['Sigmoid', () => new Sigmoid(), (m) => (m as Sigmoid).forward(x4)],
  ['LeakyReLU', () => new LeakyReLU(0.2), (m) => (m as LeakyReLU).forward(x4)],
  ['ELU', () => new ELU(0.5), (m) => (m as ELU).forward(x4)],
  ['Softplus', () => new Softplus(2, 1), (m) => (m as Softplus).forward(x4)],
  ['Identity', () => new Identity(), (m) => (m as Identity).forward(x4)],
  ['MultiHeadAttention', () => new MultiHeadAttention(8, 2, { kdim: 6, vdim: 4, dropout: 0.1, bias: false }), (m) => (m as MultiHeadAttention).forward(seq, randn([2, 3, 6], { rng: g() }), randn([2, 3, 4], { rng: g() })).output],
  ['TransformerEncoderLayer', () => new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, activation: 'gelu', normFirst: true, layerNormEps: 1e-4 }), (m) => (m as TransformerEncoderLayer).forward(seq, { isCausal: true })],
  ['TransformerDecoderLayer', () => new TransformerDecoderLayer(8, 4, { dimFeedforward: 12, dropout: 0.2 }), (m) => (m as TransformerDecoderLayer).forward(seq, mem, { tgtIsCausal: true })],
  ['TransformerEncoder', () => new TransformerEncoder((i) => new TransformerEncoderLayer(8, 2, { dimFeedforward: 8 + i }), 2, { norm: new LayerNorm(8) }), (m) => (m as TransformerEncoder).forward(seq)],
  ['TransformerDecoder', () => new TransformerDecoder(new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 }), 2), (m) => (m as TransformerDecoder).forward(seq, mem)],
  ['PositionalEncoding', () => new PositionalEncoding(8, { maxLen: 12, dropout: 0.1 }), (m) => (m as PositionalEncoding).forward(seq)],
  ['RNN', () => new RNN(3, 4, { nonlinearity: 'relu', numLayers: 2, dropout: 0.5 }), (m) => (m as RNN).forward(randn([2, 5, 3], { rng: g() })).output],
  ['LSTM', () => new LSTM(3, 4, { numLayers: 2, bidirectional: true }), (m) => (m as LSTM).forward(randn([2, 5, 3], { rng: g() })).output],
  ['GRU', () => new GRU(3, 2, { bidirectional: true, bias: false }), (m) => (m as GRU).forward(randn([2, 5, 3], { rng: g() })).output],
  ['Sequential', () => new Sequential(new Conv2d(2, 3, 3, { padding: 1 }), new BatchNorm2d(3), new ReLU(), new Sequential(new Flatten(), new Linear(108, 2))), (m) => (m as Sequential).forward(x4)],
];

const classes = new Map(Object.entries(nn).filter(([, v]) => typeof v === 'function' && v.prototype instanceof Module) as [string, new (o: unknown) => Module][]);

/** What loadModel does, with nn alone: `new C(options)`, or `new C({ ...options, children })`. */
function fromConfig(cfg: ModuleConfig): Module {
  const C = classes.get(cfg.type);
  if (C === undefined) throw new Error(`no class ${cfg.type}`);
  return cfg.children === undefined ? new C(cfg.options) : new C({ ...cfg.options, children: cfg.children.map(fromConfig) });
}

describe('every built-in class rebuilds from its own config', () => {
  it('covers every Module class nn exports', () => {
    const tested = new Set(cases.map(([, make]) => make().constructor.name));
    const all = [...classes.keys()].filter((k) => k !== 'RNNBase');
    expect(all.filter((k) => !tested.has(k))).toEqual([]);
  });

  for (const [name, make, run] of cases) {
    it(`${name}: new C(config().options) gives the same config, state-dict layout and, with the weights, the same outputs`, () => {
      const m = make().eval();
      const back = fromConfig(m.config()).eval();
      expect(back.constructor).toBe(m.constructor);
      expect(back.config()).toEqual(m.config());
      const shapes = (mod: Module): [string, number[]][] => Object.entries(mod.stateDict()).map(([k, t]) => [k, [...t.shape]]);
      expect(shapes(back)).toEqual(shapes(m));
      back.loadStateDict(m.stateDict());
      const a = noGrad(() => run(m)), b = noGrad(() => run(back));
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
    });
  }

  it('leaf layers draw the same initial weights from their config as from their positional form', () => {
    for (const [name, make] of cases) {
      manualSeed(11);
      const m = make();
      if (m.children().length > 0 || m.config().children !== undefined) continue;
      manualSeed(11);
      const back = fromConfig(m.config());
      const sd = m.stateDict(), sd2 = back.stateDict();
      for (const k of Object.keys(sd)) expect(Array.from(sd2[k].data), `${name}.${k}`).toEqual(Array.from(sd[k].data));
    }
  });

  it('config().options is typed as the constructor argument, so new C(m.config().options) type-checks', () => {
    const lin = new Linear(3, 2, { bias: false });
    expect(new Linear(lin.config().options).bias).toBeNull();
    const lstm = new LSTM(2, 3, { numLayers: 2 });
    expect(new LSTM(lstm.config().options).numLayers).toBe(2);
    const rnn = new RNN(2, 3, { nonlinearity: 'relu' });
    expect(new RNN(rnn.config().options).nonlinearity).toBe('relu');
    expect(new ReLU(new ReLU().config().options)).toBeInstanceOf(ReLU);
    expect(new GELU(new GELU('tanh').config().options).approximate).toBe('tanh');
    const enc = new TransformerEncoder(new TransformerEncoderLayer(4, 1, { dimFeedforward: 4 }), 1);
    expect(new TransformerEncoder({ ...enc.config().options, children: enc.layers }).numLayers).toBe(1);
    expect(new Sequential({ children: new Sequential(new ReLU()).layers() }).length).toBe(1);
  });

  it('the config form also takes rng, and refuses a second argument', () => {
    const a = new Linear({ inFeatures: 3, outFeatures: 2, rng: new Generator(5) });
    const b = new Linear(3, 2, { rng: new Generator(5) });
    expect(Array.from(a.weight.data)).toEqual(Array.from(b.weight.data));
    const Loose = Linear as unknown as new (...args: unknown[]) => Linear;
    expect(() => new Loose({ inFeatures: 3, outFeatures: 2 }, 4)).toThrow(/a config object must be the only argument/);
    expect(() => new TransformerEncoder({ numLayers: 1, children: [new ReLU()] })).not.toThrow();
    expect(() => new TransformerEncoder({ numLayers: 2, children: [new ReLU()] })).toThrow(/numLayers 2 needs 2 children/);
    expect(() => new TransformerEncoder({ numLayers: 1, children: [new ReLU(), new ReLU()] })).toThrow(/must be a LayerNorm/);
  });
});

describe('one spec validates user options and configs alike', () => {
  it('issue 11: new Linear(2, 3, { rng: 42 }) is an ArgumentError naming the option, not a TypeError', () => {
    expect(() => new Linear(2, 3, { rng: 42 as never })).toThrow(ArgumentError);
    expect(() => new Linear(2, 3, { rng: 42 as never })).toThrow(/Linear: rng must be a Generator \(e\.g\. new Generator\(42\)\), got 42/);
  });

  it('wrong types, unknown keys and primitives where the options go are refused, in both forms', () => {
    expect(() => new Linear(2, 3, { bias: 'false' as never })).toThrow(/Linear: bias must be a boolean, got "false"/);
    expect(() => new Linear({ inFeatures: 2, outFeatures: 3, bias: 'false' as never })).toThrow(/Linear: bias must be a boolean, got "false"/);
    expect(() => new Linear(2, 3, { Bias: true } as never)).toThrow(/unknown option 'Bias' \(did you mean 'bias'\?\)/);
    expect(() => new Linear(2, 3, 7 as never)).toThrow(/Linear: options must be an object, got 7/);
    expect(() => new Linear(2, 3, { inFeatures: 4 } as never)).toThrow(/unknown option 'inFeatures'/);
    expect(() => new Linear({ inFeatures: 2 } as never)).toThrow(/Linear: outFeatures must be an integer ≥ 1, got undefined/);
    expect(() => new ReLU({ inplace: true } as never)).toThrow(/ReLU: unknown option 'inplace'; ReLU takes no options/);
    expect(() => new LSTM(3, 4, { num_layers: 2 } as never)).toThrow(/did you mean 'numLayers'/);
    expect(() => new LSTM(3, 4, { dropout: 1.5 })).toThrow(/LSTM: dropout must be a finite number ≥ 0 and ≤ 1, got 1.5/);
    expect(() => new MultiHeadAttention(8, 2, { kdim: 0 })).toThrow(/MultiHeadAttention: kdim must be an integer ≥ 1, got 0/);
    expect(() => new TransformerEncoderLayer(8, 2, { activation: 'swish' as never })).toThrow(/activation must be one of 'relu', 'gelu', got "swish"/);
    expect(() => new Conv2d(1, 1, [3, 0])).toThrow(/Conv2d: kernelSize must be a positive integer or a pair \[h, w\] of them, got array\(2\)/);
    expect(() => new BatchNorm1d(3, { momentum: NaN })).toThrow(/BatchNorm1d: momentum must be/);
    expect(() => new Embedding(4, 2, { paddingIdx: 4 })).toThrow(/paddingIdx 4 must be in \[-4, 3\]/);
    expect(() => new Sequential({ children: [new ReLU(), 3 as never] })).toThrow(/Sequential: children\[1\] must be a Module, got 3/);
    const mha = new MultiHeadAttention(4, 1);
    const x = randn([1, 2, 4]);
    expect(() => mha.forward(x, x, x, { causal: true } as never)).toThrow(/unknown option 'causal'/);
    expect(() => new TransformerEncoderLayer(4, 1).forward(x, { isCausal: 'yes' as never })).toThrow(/isCausal must be a boolean/);
  });

  it('every class refuses an unknown key and a primitive in its config form with an ArgumentError', () => {
    for (const [name, make] of cases) {
      const cfg = make().config();
      const C = classes.get(cfg.type)!;
      expect(() => new C({ ...cfg.options, children: cfg.children === undefined ? undefined : [], bogus: 1 }), name).toThrow(ArgumentError);
      expect(() => new C({ ...cfg.options, bogus: 1 }), name).toThrow(/unknown option 'bogus'/);
    }
  });
});

describe('no raw TypeError from any constructor', () => {
  it('every class, given garbage in every argument position, throws only typed errors', () => {
    const junk: unknown[] = [undefined, null, 0, -1, 1.5, NaN, 'a', true, {}, [], [1], { bogus: 1 }, () => 1, Symbol('s'), 10n, new ReLU(), 3];
    const raw: string[] = [];
    for (const [name, C] of classes) {
      if (name === 'RNNBase') continue;
      for (const a of junk) {
        for (const b of junk) {
          for (const c of [undefined, 'x', { bogus: 1 }, null, 5]) {
            try {
              new (C as unknown as new (...args: unknown[]) => Module)(a, b, c);
            } catch (e) {
              if (!(e instanceof ArgumentError || e instanceof TensorkitError)) raw.push(`${name}(${String(a)}, ${String(b)}, ${String(c)}): ${String(e)}`);
            }
          }
        }
      }
    }
    expect(raw.slice(0, 5)).toEqual([]);
  });
});

describe('seeded randomness: one rule for every layer', () => {
  it('issue 11: an LSTM with dropout built before manualSeed(7) draws the same masks as one built after', () => {
    const x = randn([2, 4, 3], { rng: g() });
    manualSeed(1);
    const early = new LSTM(3, 5, { numLayers: 3, dropout: 0.5 });
    manualSeed(2);
    const late = new LSTM(3, 5, { numLayers: 3, dropout: 0.5 });
    late.loadStateDict(early.stateDict());
    manualSeed(7);
    const a = early.forward(x).output;
    manualSeed(7);
    const b = late.forward(x).output;
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    manualSeed(8);
    expect(Array.from(late.forward(x).output.data)).not.toEqual(Array.from(a.data));
  });

  it('forward-time draws of every dropout-carrying layer follow the current default generator', () => {
    const makers: [string, () => Module, (m: Module) => Tensor][] = [
      ['Dropout', () => new Dropout(0.5), (m) => (m as Dropout).forward(seq)],
      ['MultiHeadAttention', () => new MultiHeadAttention(8, 2, { dropout: 0.5 }), (m) => (m as MultiHeadAttention).forward(seq, seq, seq).output],
      ['TransformerEncoderLayer', () => new TransformerEncoderLayer(8, 2, { dimFeedforward: 8, dropout: 0.5 }), (m) => (m as TransformerEncoderLayer).forward(seq)],
      ['TransformerDecoderLayer', () => new TransformerDecoderLayer(8, 2, { dimFeedforward: 8, dropout: 0.5 }), (m) => (m as TransformerDecoderLayer).forward(seq, mem)],
      ['PositionalEncoding', () => new PositionalEncoding(8, { dropout: 0.5, maxLen: 8 }), (m) => (m as PositionalEncoding).forward(seq)],
      ['GRU', () => new GRU(8, 4, { numLayers: 2, dropout: 0.5 }), (m) => (m as GRU).forward(seq).output],
    ];
    for (const [name, make, run] of makers) {
      manualSeed(1);
      const early = make();
      manualSeed(2);
      const late = make();
      late.loadStateDict(early.stateDict());
      manualSeed(7);
      const a = noGrad(() => run(early));
      manualSeed(7);
      const b = noGrad(() => run(late));
      expect(Array.from(b.data), name).toEqual(Array.from(a.data));
    }
  });

  it('a given generator drives both the init and the masks', () => {
    const a = new Dropout(0.5, { rng: new Generator(4) });
    const b = new Dropout({ p: 0.5, rng: new Generator(4) });
    manualSeed(9);
    const ya = a.forward(seq);
    manualSeed(10);
    expect(Array.from(b.forward(seq).data)).toEqual(Array.from(ya.data));
  });
});

describe('BatchNorm (issue 12)', () => {
  it('numBatchesTracked is a 0-d buffer, as PyTorch', () => {
    const bn = new BatchNorm1d(3);
    expect(bn.numBatchesTracked!.shape).toEqual([]);
    bn.forward(randn([4, 3], { rng: g() }));
    bn.forward(randn([4, 3], { rng: g() }));
    expect(bn.numBatchesTracked!.item()).toBe(2);
    expect(bn.stateDict().numBatchesTracked.shape).toEqual([]);
  });
});
