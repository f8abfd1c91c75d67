import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, ShapeError, Tensor, getBackend, noGrad, randn, setBackend, sum, wasmAvailable } from '../../src/tensor/index';
import { GRU, LSTM, Linear, Module, RNN, ReLU, Sequential } from '../../src/nn/index';
import { QuantizedGRU, QuantizedLSTM, QuantizedLinear, quantizeDynamic } from '../../src/compress/index';
import { loadModel, saveModel } from '../../src/io/index';
import { expectThrows } from '../helpers/check';

interface Outputs { output: number[]; hN: number[]; cN?: number[] }
interface Case {
  kind: 'LSTM' | 'GRU'; inputSize: number; hiddenSize: number; numLayers: number; bidirectional: boolean; perChannel: boolean;
  params: Record<string, number[]>;
  qweights: Record<string, { q: number[]; scales: number[]; zeroPoints: number[] }>;
  x: { shape: number[]; data: number[] }; h0: number[] | null; c0: number[] | null;
  float: Outputs; qnnpack: Outputs; onednn: Outputs;
}
const fx = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/qrnn.json'), 'utf8')) as { cases: Case[] };

function floatFrom(c: Case): LSTM | GRU {
  const F = c.kind === 'LSTM' ? LSTM : GRU;
  const m = new F(c.inputSize, c.hiddenSize, { numLayers: c.numLayers, bidirectional: c.bidirectional });
  const fields = m as unknown as Record<string, Tensor>;
  for (const [k, v] of Object.entries(c.params)) fields[k].data.set(v);
  return m;
}

function quantize(m: LSTM | GRU, options: { perChannel?: boolean; reduceRange?: boolean }): QuantizedLSTM | QuantizedGRU {
  return m instanceof LSTM ? QuantizedLSTM.fromFloat(m, options) : QuantizedGRU.fromFloat(m as GRU, options);
}

function run(q: QuantizedLSTM | QuantizedGRU, x: Tensor, h0: Tensor | null = null, c0: Tensor | null = null): { output: Tensor; hN: Tensor; cN?: Tensor } {
  return q instanceof QuantizedLSTM ? q.forward(x, { h0, c0 }) : q.forward(x, h0);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const label = (c: Case): string => `${c.kind} ${c.inputSize}→${c.hiddenSize} L${c.numLayers}${c.bidirectional ? ' bidirectional' : ''}${c.perChannel ? ' per channel' : ''}${c.h0 ? ' with state' : ''}`;

describe('QuantizedLSTM and QuantizedGRU match PyTorch 1.13 quantize_dynamic', () => {
  it.each(fx.cases.map((c) => [label(c), c] as const))('%s', (_, c) => {
    const m = floatFrom(c);
    const B = c.x.shape[0], LD = c.numLayers * (c.bidirectional ? 2 : 1), H = c.hiddenSize;
    const x = new Tensor(Float32Array.from(c.x.data), c.x.shape);
    const h0 = c.h0 === null ? null : new Tensor(Float32Array.from(c.h0), [LD, B, H]);
    const c0 = c.c0 === null ? null : new Tensor(Float32Array.from(c.c0), [LD, B, H]);
    // qnnpack quantizes activations to [0, 255] (it ignores reduce_range); onednn honours the
    // reduce_range=True of the dynamic RNN modules ([0, 127], our default).
    for (const [engine, reduceRange] of [['qnnpack', false], ['onednn', true]] as const) {
      const q = quantize(m, { perChannel: c.perChannel, reduceRange });
      const fields = q as unknown as Record<string, QuantizedLinear>;
      // The int8 weights, scales and zero points are PyTorch's exactly.
      for (const [name, w] of Object.entries(c.qweights)) {
        const ql = fields[`${name.startsWith('weightIh') ? 'ih' : 'hh'}${name.slice('weightIh'.length)}`];
        expect(Array.from(ql.weight.data), name).toEqual(w.q);
        expect(Array.from(ql.weightScale.data), name).toEqual(w.scales.map(Math.fround));
        expect(Array.from(ql.weightZeroPoint.data), name).toEqual(w.zeroPoints);
      }
      // The outputs agree to float32 rounding (the same activation integers at every step),
      // two orders of magnitude below the quantization error against the float layer.
      const r = run(q, x, h0, c0), ref = c[engine];
      expect(maxDiff(r.output.data, ref.output), `${engine} output`).toBeLessThan(2e-6);
      expect(maxDiff(r.hN.data, ref.hN), `${engine} hN`).toBeLessThan(2e-6);
      if (ref.cN !== undefined) expect(maxDiff(r.cN!.data, ref.cN), `${engine} cN`).toBeLessThan(2e-6);
      expect(maxDiff(ref.output, c.float.output)).toBeGreaterThan(1e-3);
    }
  });
});

describe('QuantizedLSTM and QuantizedGRU against the float layers', () => {
  // Random data, PyTorch's default init (U(±1/√H)), x ~ N(0, 1): the outputs lie in (−1, 1) and
  // the error is a few activation quanta (input range / 127) carried through the steps.
  it.each([
    ['LSTM', false, false], ['LSTM', true, true], ['GRU', false, true], ['GRU', true, false],
  ] as const)('%s (perChannel %s, bidirectional %s) stays within 0.03 of the float outputs', (kind, perChannel, bidirectional) => {
    const rng = new Generator(11);
    const F = kind === 'LSTM' ? LSTM : GRU;
    const m = new F(12, 16, { numLayers: 2, bidirectional, rng });
    const x = randn([4, 20, 12], { rng });
    const ref = noGrad(() => (m instanceof LSTM ? m.forward(x) : (m as GRU).forward(x)));
    const q = quantize(m, { perChannel });
    const r = run(q, x);
    expect(r.output.shape).toEqual(ref.output.shape);
    expect(r.hN.shape).toEqual(ref.hN.shape);
    const err = maxDiff(r.output.data, ref.output.data);
    expect(err).toBeLessThan(0.03);
    expect(err).toBeGreaterThan(0); // really quantized
    expect(maxDiff(r.hN.data, ref.hN.data)).toBeLessThan(0.03);
    if (r.cN !== undefined) expect(maxDiff(r.cN.data, (ref as unknown as { cN: Tensor }).cN.data)).toBeLessThan(0.06);
  });

  it.skipIf(!wasmAvailable())('gives the same outputs on the wasm and js backends (the int8 products are exact)', () => {
    const rng = new Generator(15);
    const q = QuantizedGRU.fromFloat(new GRU(9, 12, { bidirectional: true, numLayers: 2, rng }), { perChannel: true });
    const x = randn([5, 7, 9], { rng });
    const before = getBackend();
    try {
      setBackend('js');
      const a = q.forward(x);
      setBackend('wasm');
      const b = q.forward(x);
      expect(Array.from(b.output.data)).toEqual(Array.from(a.output.data));
      expect(Array.from(b.hN.data)).toEqual(Array.from(a.hN.data));
    } finally {
      setBackend(before);
    }
  });

  it('reads h0 and c0, a one-step sequence and an empty batch', () => {
    const rng = new Generator(12);
    const lstm = new LSTM(3, 4, { rng });
    const q = QuantizedLSTM.fromFloat(lstm);
    const x = randn([2, 1, 3], { rng }), h0 = randn([1, 2, 4], { rng }), c0 = randn([1, 2, 4], { rng });
    const a = q.forward(x), b = q.forward(x, { h0, c0 });
    expect(maxDiff(a.output.data, b.output.data)).toBeGreaterThan(0.01);
    const ref = noGrad(() => lstm.forward(x, { h0, c0 }));
    expect(maxDiff(b.cN.data, ref.cN.data)).toBeLessThan(0.03);
    const e = q.forward(randn([0, 5, 3], { rng }));
    expect([e.output.shape, e.hN.shape]).toEqual([[0, 5, 4], [1, 0, 4]]);
  });
});

describe('saving and loading', () => {
  // A user's model: a recurrent layer and a Linear head, savable as a container (config with
  // children, rebuilt from { children }).
  type Rnn = LSTM | GRU | QuantizedLSTM | QuantizedGRU;
  class Tagger extends Module {
    readonly rnn: Rnn;
    readonly head: Linear | QuantizedLinear;
    constructor(rnn: Rnn | { children: Module[] }, head?: Linear) {
      super();
      const [r, h] = rnn instanceof Module ? [rnn, head] : rnn.children;
      this.rnn = r as Rnn;
      this.head = h as Linear;
    }
    forward(x: Tensor): Tensor {
      return this.head.forward(this.rnn.forward(x).output);
    }
    override config(): { type: string; children: ReturnType<Module['config']>[] } {
      return { type: 'Tagger', children: [this.rnn.config(), this.head.config()] };
    }
  }

  it.each(['LSTM', 'GRU'] as const)('Quantized%s round-trips through config and state dict and through saveModel with I8 weights (GRU per channel)', (kind) => {
    const rng = new Generator(13);
    const F = kind === 'LSTM' ? LSTM : GRU;
    const float = new F(16, 32, { numLayers: 2, bidirectional: true, rng });
    const floatBytes = saveModel(float).length;
    const q = quantize(float, { perChannel: kind === 'GRU' });
    const x = randn([3, 9, 16], { rng });
    const y = run(q, x).output.data;
    // config → constructor → loadStateDict
    const C = kind === 'LSTM' ? QuantizedLSTM : QuantizedGRU;
    const rebuilt = new C(q.config().options);
    rebuilt.loadStateDict(q.stateDict());
    expect(Array.from(run(rebuilt, x).output.data)).toEqual(Array.from(y));
    // saveModel / loadModel: int8 stays int8.
    const bytes = saveModel(q);
    // Per tensor the file is 0.29× the float one at this size; per channel adds a float32 scale
    // and an int32 zero point per gate row (0.34×).
    expect(bytes.length).toBeLessThan((kind === 'GRU' ? 0.36 : 0.3) * floatBytes);
    const { model } = loadModel<QuantizedLSTM | QuantizedGRU>(bytes);
    expect(model).toBeInstanceOf(C);
    expect(model.ih1Reverse.weight.dtype).toBe('I8');
    expect(model.hh0.weightZeroPoint.dtype).toBe('I32');
    expect(Object.keys(q.stateDict()).slice(0, 8)).toEqual([
      'ih0.weight', 'ih0.weightScale', 'ih0.weightZeroPoint', 'ih0.bias', 'hh0.weight', 'hh0.weightScale', 'hh0.weightZeroPoint', 'hh0.bias',
    ]);
    expect(Array.from(run(model, x).output.data)).toEqual(Array.from(y));
  });

  it('quantizeDynamic swaps LSTM, GRU and Linear layers; the model saves and loads with a registry', () => {
    const rng = new Generator(14);
    const net = new Tagger(new LSTM(5, 8, { rng }), new Linear(8, 3, { rng }));
    const x = randn([2, 6, 5], { rng });
    const ref = noGrad(() => net.forward(x));
    expect(quantizeDynamic(net)).toBe(net);
    expect([net.rnn.constructor.name, net.head.constructor.name]).toEqual(['QuantizedLSTM', 'QuantizedLinear']);
    expect(net.training).toBe(false);
    const y = net.forward(x);
    expect(maxDiff(y.data, ref.data)).toBeLessThan(0.05);
    const back = loadModel<Module>(saveModel(net), { registry: { Tagger: Tagger as never } });
    expect(Array.from((back.model as Tagger).forward(x).data)).toEqual(Array.from(y.data));
  });

  it('quantizeDynamic takes classes and names of recurrent layers', () => {
    const a = new Tagger(new GRU(3, 4), new Linear(4, 2));
    quantizeDynamic(a, { modules: [GRU] });
    expect([a.rnn.constructor.name, a.head.constructor.name]).toEqual(['QuantizedGRU', 'Linear']);
    const b = new Tagger(new LSTM(3, 4), new Linear(4, 2));
    quantizeDynamic(b, { modules: ['rnn'], perChannel: true });
    expect(b.rnn).toBeInstanceOf(QuantizedLSTM);
    expect((b.rnn as QuantizedLSTM).perChannel).toBe(true);
  });
});

describe('bad input', () => {
  it('refuses unsupported layers and options with typed errors', () => {
    expectThrows(() => QuantizedLSTM.fromFloat(new GRU(2, 2) as unknown as LSTM), ArgumentError, 'QuantizedLSTM.fromFloat', 'lstm');
    expectThrows(() => QuantizedGRU.fromFloat(new RNN(2, 2) as unknown as GRU), ArgumentError, 'QuantizedGRU.fromFloat', 'gru');
    expect(() => QuantizedLSTM.fromFloat(new LSTM(2, 2), { perchannel: true } as never)).toThrow(/did you mean 'perChannel'/);
    expect(() => QuantizedGRU.fromFloat(new GRU(2, 2), { reduceRange: 1 } as never)).toThrow(/reduceRange must be a boolean/);
    expect(() => new QuantizedLSTM({ inputSize: 2, hiddenSize: 0 })).toThrow(ArgumentError);
    expect(() => new QuantizedGRU({ inputSize: 2, hiddenSize: 3, dropout: 0.5 } as never)).toThrow(/QuantizedGRU: unknown option 'dropout'/);
    expect(() => new QuantizedLSTM({ hiddenSize: 3 } as never)).toThrow(/inputSize/);
    expect(() => quantizeDynamic(new Sequential(new RNN(2, 2)))).toThrow(/has no Linear, LSTM or GRU layer to quantize/);
    expect(() => quantizeDynamic(new Sequential(new LSTM(2, 2)), { modules: [RNN as never] })).toThrow(/RNN has no quantized form yet; dynamic quantization covers Linear, LSTM and GRU/);
    expect(() => quantizeDynamic(new Sequential(new RNN(2, 2), new ReLU()), { modules: ['0'] })).toThrow(/layer '0' is a RNN, not a Linear, LSTM or GRU/);
    expect(() => quantizeDynamic(new Sequential(new Linear(2, 2)), { modules: [GRU] })).toThrow(/has no GRU layer to quantize/);
  });

  it('refuses NaN weights, inputs and states, and mis-shaped inputs', () => {
    const lstm = new LSTM(3, 2);
    lstm.weightHh0.data[5] = NaN;
    expectThrows(() => QuantizedLSTM.fromFloat(lstm), ArgumentError, 'QuantizedLSTM.fromFloat', 'weightHh0[2, 1] is NaN', 'only finite weights');
    const gru = new GRU(3, 2, { bidirectional: true });
    gru.weightIh0Reverse.data[0] = Infinity;
    expectThrows(() => QuantizedGRU.fromFloat(gru), ArgumentError, 'weightIh0Reverse[0, 0] is Infinity');
    const q = QuantizedLSTM.fromFloat(new LSTM(3, 2));
    const x = randn([1, 4, 3]);
    x.data[7] = NaN;
    expectThrows(() => q.forward(x), ArgumentError, 'QuantizedLSTM', 'x[0, 2, 1] is NaN', 'finite inputs');
    expectThrows(() => q.forward(randn([1, 4, 2])), ShapeError, 'QuantizedLSTM', '[1, 4, 2]', '[B, T, 3]');
    expectThrows(() => q.forward(randn([4, 3])), ShapeError, '[4, 3]');
    expectThrows(() => q.forward(randn([2, 4, 3]), { h0: randn([1, 1, 2]) }), ShapeError, 'h0 [1, 1, 2]', '[1, 2, 2]');
    const c0 = randn([1, 1, 2]);
    c0.data[1] = -Infinity;
    expectThrows(() => q.forward(randn([1, 4, 3]), { c0 }), ArgumentError, 'c0[0, 0, 1] is -Infinity');
    expectThrows(() => q.forward([1, 2] as unknown as Tensor), ArgumentError, 'x must be a Tensor');
    const g = QuantizedGRU.fromFloat(new GRU(3, 2, { numLayers: 2 }));
    expectThrows(() => g.forward(randn([1, 4, 3]), randn([1, 1, 2])), ShapeError, 'QuantizedGRU', 'h0 [1, 1, 2]', '[2, 1, 2]');
  });

  it('is inference only: a backward through it is a typed error, noGrad builds no graph', () => {
    const q = QuantizedGRU.fromFloat(new GRU(3, 2));
    const x = randn([1, 4, 3], { requiresGrad: true });
    const { output } = q.forward(x);
    expect(output.requiresGrad).toBe(true);
    expectThrows(() => sum(output).backward(), ArgumentError, 'QuantizedGRU', 'inference only', 'train the float GRU');
    expect(noGrad(() => q.forward(x)).output.requiresGrad).toBe(false);
    expect(q.forward(randn([1, 4, 3])).hN.requiresGrad).toBe(false);
  });
});
