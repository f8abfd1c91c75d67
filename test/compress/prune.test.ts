import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError, Generator, NumericError, Parameter, Tensor, noGrad, randn, sum, tensor,
} from '../../src/tensor/index';
import { Conv2d, LSTM, Linear, Module, ReLU, Sequential, mseLoss } from '../../src/nn/index';
import { SGD } from '../../src/optim/index';
import { loadModel, saveModel } from '../../src/io/index';
import {
  customFromMask, globalUnstructured, identityPruning, isPruned, l1Unstructured, lnStructured, prunedNames, randomUnstructured,
  removePruning, restorePruning, type PruningAmount,
} from '../../src/compress/index';
import { expectThrows } from '../helpers/check';

interface Fx {
  weights: Record<'W' | 'C', { shape: number[]; data: number[] }>;
  cases: { name: string; weight: 'W' | 'C'; steps: [string, Record<string, PruningAmount | string>][]; masks: number[][]; keys: string[] }[];
  global: { W2: { shape: number[]; data: number[] }; amount04: number[][]; then05: number[][]; count10: number[][] };
  ties: { T: { shape: number[]; data: number[] }; count4: number[]; count3: number[]; lnRows1: number[]; lnRows2: number[] };
  linear: { x: number[]; y: number[]; keys: string[]; mask: number[]; keysAfterRemove: string[]; weightAfterRemove: number[] };
}
const fx = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/prune.json'), 'utf8')) as Fx;

/** A module holding `w` as its only parameter `weight` (PyTorch's bare nn.Module in the fixture script). */
class Holder extends Module {
  weight: Parameter;
  constructor(w: { shape: number[]; data: number[] }) {
    super();
    this.weight = new Parameter(Float32Array.from(w.data), w.shape);
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

function maskOf(m: Module): number[] {
  return Array.from((m as unknown as { weightMask: Tensor }).weightMask.data);
}


describe('masks equal PyTorch 1.13 torch.nn.utils.prune', () => {
  for (const c of fx.cases) {
    it(c.name, () => {
      const m = new Holder(fx.weights[c.weight]);
      c.steps.forEach(([meth, kw], i) => {
        const amount = kw.amount as PruningAmount;
        if (meth === 'l1_unstructured') l1Unstructured(m, 'weight', { amount });
        else lnStructured(m, 'weight', { amount, n: kw.n === 'inf' ? Infinity : (kw.n as number), dim: kw.dim as number });
        expect(maskOf(m), `step ${i}`).toEqual(c.masks[i]);
      });
      expect(Object.keys(m.stateDict())).toEqual(c.keys.map((k) => k.replace('weight_orig', 'weightOrig').replace('weight_mask', 'weightMask')));
    });
  }

  it('global_unstructured over three tensors, then again on top, and by count', () => {
    const make = () => [new Holder(fx.weights.W), new Holder(fx.weights.C), new Holder(fx.global.W2)];
    const ms = make();
    const pairs = ms.map((m) => [m, 'weight'] as const);
    globalUnstructured(pairs, { amount: 0.4 });
    expect(ms.map(maskOf)).toEqual(fx.global.amount04);
    globalUnstructured(pairs, { amount: 0.5 });
    expect(ms.map(maskOf)).toEqual(fx.global.then05);
    const ms2 = make();
    globalUnstructured(ms2.map((m) => [m, 'weight'] as const), { amount: { count: 10 } });
    expect(ms2.map(maskOf)).toEqual(fx.global.count10);
  });

  it('ties: a cut between tied values, and cuts through them where torch.topk picked the lower indices', () => {
    // |T| ∈ {0.5, 1, 2} with four 0.5s (flat 1, 6, 7, 8); rows have L1 norms 4.5, 4, 4.5.
    const run = (f: (m: Holder) => void) => {
      const m = new Holder(fx.ties.T);
      f(m);
      return maskOf(m);
    };
    expect(run((m) => l1Unstructured(m, 'weight', { amount: { count: 4 } }))).toEqual(fx.ties.count4);
    // Three of the four 0.5s: ours are pruned lower index first (1, 6, 7), as torch's pick here.
    expect(run((m) => l1Unstructured(m, 'weight', { amount: { count: 3 } }))).toEqual(fx.ties.count3);
    expect(run((m) => lnStructured(m, 'weight', { amount: { count: 1 }, n: 1, dim: 0 }))).toEqual(fx.ties.lnRows1);
    // Rows 0 and 2 tie at 4.5: the lower index is kept, as torch.topk(largest=True) did.
    expect(run((m) => lnStructured(m, 'weight', { amount: { count: 2 }, n: 1, dim: 0 }))).toEqual(fx.ties.lnRows2);
  });
});

describe('reparametrization', () => {
  function fixtureLinear(): Linear {
    const lin = new Linear(5, 6);
    lin.weight.data.set(fx.weights.W.data);
    lin.bias!.data.set([0, 0.1, 0.2, 0.3, 0.4, 0.5]);
    return lin;
  }

  it('keeps the same Parameter as weightOrig, a mask buffer, PyTorch key order, and the output of torch', () => {
    const lin = fixtureLinear();
    const w = lin.weight;
    const p = l1Unstructured(lin, 'weight', { amount: 0.3 });
    l1Unstructured(lin, 'weight', { amount: 0.5 });
    expect(p.weightOrig).toBe(w);
    expect(lin.parameters()).toEqual([lin.bias, w]);
    expect(lin.buffers()).toEqual([p.weightMask]);
    expect(Object.keys(lin.stateDict())).toEqual(['bias', 'weightOrig', 'weightMask']);
    expect(maskOf(lin)).toEqual(fx.linear.mask);
    const y = lin.forward(new Tensor(Float32Array.from(fx.linear.x), [2, 5]));
    for (let i = 0; i < y.size; i++) expect(y.data[i]).toBeCloseTo(fx.linear.y[i], 5);
    expect(prunedNames(lin)).toEqual(['weight']);
  });

  it('the forward uses orig · mask: an optimizer built before pruning updates weightOrig, pruned entries get no gradient', () => {
    const lin = new Linear(4, 3, { rng: new Generator(1) });
    const opt = new SGD(lin.parameters(), { lr: 0.1 });
    const p = l1Unstructured(lin, 'weight', { amount: 0.5 });
    const before = Float32Array.from(p.weightOrig.data);
    const x = randn([5, 4], { rng: new Generator(2) });
    opt.zeroGrad();
    mseLoss(lin.forward(x), randn([5, 3], { rng: new Generator(3) })).backward();
    const g = p.weightOrig.grad!;
    for (let i = 0; i < g.length; i++) if (p.weightMask.data[i] === 0) expect(g[i]).toBe(0);
    expect(g.some((v, i) => p.weightMask.data[i] === 1 && v !== 0)).toBe(true);
    opt.step();
    expect(p.weightOrig.data).not.toEqual(before);
    lin.forward(x);
    for (let i = 0; i < g.length; i++) expect(lin.weight.data[i]).toBeCloseTo(p.weightOrig.data[i] * p.weightMask.data[i], 7);
  });

  it('removePruning makes it permanent with PyTorch keys and values; pruning the name again works', () => {
    const lin = fixtureLinear();
    const w = lin.weight;
    l1Unstructured(lin, 'weight', { amount: 0.3 });
    l1Unstructured(lin, 'weight', { amount: 0.5 });
    removePruning(lin, 'weight');
    expect(lin.weight).toBe(w);
    expect(lin.weight).toBeInstanceOf(Parameter);
    expect(Object.keys(lin.stateDict())).toEqual(fx.linear.keysAfterRemove);
    expect(Array.from(lin.weight.data)).toEqual(fx.linear.weightAfterRemove.map(Math.fround));
    expect(isPruned(lin)).toBe(false);
    expectThrows(() => removePruning(lin, 'weight'), ArgumentError, 'Linear.weight is not pruned');
    l1Unstructured(lin, 'weight', { amount: 0.1 });
    expect(isPruned(lin)).toBe(true);
  });

  it('a pruned state dict loads into a fresh model after restorePruning, and a saveModel file loads back pruned', () => {
    const net = new Sequential(new Linear(4, 6, { rng: new Generator(5) }), new ReLU(), new Linear(6, 2, { rng: new Generator(6) }));
    l1Unstructured(net[0] as Linear, 'weight', { amount: 0.5 });
    lnStructured(net[2] as Linear, 'weight', { amount: 0.5, n: 2, dim: 1 });
    const x = randn([3, 4], { rng: new Generator(7) });
    const y = net.forward(x);
    const fresh = new Sequential(new Linear(4, 6), new ReLU(), new Linear(6, 2));
    expect(restorePruning(fresh, net.stateDict())).toEqual([['0', 'weight'], ['2', 'weight']]);
    fresh.loadStateDict(net.stateDict());
    expect(Array.from(fresh.forward(x).data)).toEqual(Array.from(y.data));

    const back = loadModel<Sequential>(saveModel(net)).model;
    expect(isPruned(back)).toBe(true);
    expect(Object.keys(back.stateDict())).toEqual(Object.keys(net.stateDict()));
    expect(Array.from(back.forward(x).data)).toEqual(Array.from(y.data));
    // The mask still applies when training continues on the loaded model.
    l1Unstructured(back[0] as Linear, 'weight', { amount: 0.5 });
    expect(maskOf(back[0]).filter((v) => v === 0).length).toBe(18);
  });

  it('identityPruning and customFromMask compose like PyTorch', () => {
    const lin = new Linear(2, 2, { bias: false });
    lin.weight.data.set([1, 2, 3, 4]);
    identityPruning(lin, 'weight');
    expect(maskOf(lin)).toEqual([1, 1, 1, 1]);
    customFromMask(lin, 'weight', [1, 0, 1, 1]);
    customFromMask(lin, 'weight', tensor([[1, 1], [0, 1]]));
    expect(maskOf(lin)).toEqual([1, 0, 0, 1]);
    expect(lin.weight.toArray()).toEqual([1, 0, 0, 4]);
  });

  it('randomUnstructured prunes exactly round(amount · remaining), reproducibly, over what is left', () => {
    const a = new Linear(10, 10, { rng: new Generator(0) });
    const b = new Linear(10, 10, { rng: new Generator(0) });
    randomUnstructured(a, 'weight', { amount: 0.3, rng: new Generator(9) });
    randomUnstructured(b, 'weight', { amount: 0.3, rng: new Generator(9) });
    expect(maskOf(a)).toEqual(maskOf(b));
    expect(maskOf(a).filter((v) => v === 0).length).toBe(30);
    const first = maskOf(a);
    randomUnstructured(a, 'weight', { amount: 0.5, rng: new Generator(10) });
    const second = maskOf(a);
    expect(second.filter((v) => v === 0).length).toBe(30 + 35);
    first.forEach((v, i) => { if (v === 0) expect(second[i]).toBe(0); });
  });

  it('an LSTM weight prunes too: its output is that of an LSTM holding orig · mask', () => {
    const a = new LSTM(3, 4, { rng: new Generator(8) });
    const b = new LSTM(3, 4, { rng: new Generator(8) });
    const p = l1Unstructured(a, 'weightHh0', { amount: 0.6 });
    b.weightHh0.data.set(p.weightHh0Orig.data.map((v, i) => v * p.weightHh0Mask.data[i]));
    const x = randn([2, 5, 3], { rng: new Generator(9) });
    expect(Array.from(a.forward(x).output.data)).toEqual(Array.from(b.forward(x).output.data));
    expect(Object.keys(a.stateDict()).slice(0, 5)).toEqual(['weightIh0', 'biasIh0', 'biasHh0', 'weightHh0Orig', 'weightHh0Mask']);
  });

  it('l1Unstructured against a sort oracle on random shapes and amounts (no ties): exactly the k smallest |w|', () => {
    const g = new Generator(30);
    for (let trial = 0; trial < 25; trial++) {
      const shape = [1 + Math.floor(g.random() * 5), 1 + Math.floor(g.random() * 7)];
      const n = shape[0] * shape[1];
      const holder = new Holder({ shape, data: Array.from({ length: n }, () => g.normal()) });
      const amount = Math.floor(g.random() * 11) / 10;
      const w = Array.from(holder.weight.data);
      l1Unstructured(holder, 'weight', { amount });
      const x = amount * n, f = Math.floor(x);
      const k = x - f > 0.5 ? f + 1 : x - f < 0.5 ? f : f % 2 === 0 ? f : f + 1;
      const cut = [...w.map(Math.abs)].sort((p, q) => p - q);
      const m = maskOf(holder);
      expect(m.filter((v) => v === 0).length).toBe(k);
      w.forEach((v, i) => expect(m[i]).toBe(k > 0 && Math.abs(v) <= cut[k - 1] ? 0 : 1));
    }
  });

  it('globalUnstructured with randomUnstructured: the exact count over the union, reproducible with rng', () => {
    const run = () => {
      const a = new Linear(6, 5, { rng: new Generator(1) }), b = new Linear(5, 4, { rng: new Generator(2) });
      globalUnstructured([[a, 'weight'], [b, 'weight']], { amount: 0.5, pruningMethod: randomUnstructured, rng: new Generator(3) });
      return [...maskOf(a), ...maskOf(b)];
    };
    const m = run();
    expect(m.filter((v) => v === 0).length).toBe(25);
    expect(run()).toEqual(m);
  });

  it('Conv2d output channels: lnStructured dim 0 zeroes whole filters under noGrad forward too', () => {
    const conv = new Conv2d(2, 4, 3, { rng: new Generator(3) });
    const pc = lnStructured(conv, 'weight', { amount: 0.5, n: 1, dim: 0 });
    const m = maskOf(conv);
    const perFilter = [0, 1, 2, 3].map((o) => m.slice(o * 18, (o + 1) * 18));
    expect(perFilter.filter((f) => f.every((v) => v === 0)).length).toBe(2);
    expect(perFilter.filter((f) => f.every((v) => v === 1)).length).toBe(2);
    const out = noGrad(() => conv.forward(randn([1, 2, 5, 5], { rng: new Generator(4) })));
    expect(out.shape).toEqual([1, 4, 3, 3]);
    const masked = pc.weightOrig.data.reduce((s, v, i) => s + v * m[i], 0);
    expect(sum(conv.weight).item()).toBeCloseTo(masked, 4);
  });
});

describe('bad input', () => {
  const lin = () => new Linear(3, 2, { rng: new Generator(0) });

  it('amount outside [0, 1], a malformed amount, a count above the unpruned entries', () => {
    expectThrows(() => l1Unstructured(lin(), 'weight', { amount: 1.5 }), ArgumentError, 'l1Unstructured: amount must be a fraction in [0, 1] or { count: n }', '1.5');
    expectThrows(() => l1Unstructured(lin(), 'weight', { amount: -0.1 }), ArgumentError, 'amount must be');
    expectThrows(() => l1Unstructured(lin(), 'weight', { amount: 3 }), ArgumentError, 'amount must be', 'got 3');
    expectThrows(() => l1Unstructured(lin(), 'weight', { amount: NaN }), ArgumentError, 'amount must be');
    expectThrows(() => l1Unstructured(lin(), 'weight', { amount: { count: 2.5 } }), ArgumentError, 'amount.count must be an integer');
    expectThrows(() => l1Unstructured(lin(), 'weight', { amount: { n: 2 } as never }), ArgumentError, 'amount must be');
    expectThrows(() => l1Unstructured(lin(), 'weight', { amount: { count: 7 } }), ArgumentError, 'amount { count: 7 } is more than the 6 unpruned entries of Linear.weight');
    const m = l1Unstructured(lin(), 'weight', { amount: 0.5 });
    expectThrows(() => l1Unstructured(m, 'weight', { amount: { count: 4 } }), ArgumentError, 'more than the 3 unpruned entries');
    expectThrows(() => lnStructured(lin(), 'weight', { amount: { count: 3 }, n: 2, dim: 0 }), ArgumentError, 'more than the 2 unpruned channels along dim 0');
    expectThrows(() => l1Unstructured(lin(), 'weight', {} as never), ArgumentError, 'amount must be');
    expectThrows(() => l1Unstructured(lin(), 'weight', { amount: 0.5, amonut: 1 } as never), ArgumentError, "unknown option 'amonut'");
  });

  it('no such parameter, a buffer, the reparametrized names, a non-module, a 1-D structured target, dim out of range', () => {
    expectThrows(() => l1Unstructured(lin(), 'weigth', { amount: 0.5 }), ArgumentError, "Linear has no parameter 'weigth'", 'weight, bias');
    const bn = new Sequential(new Linear(2, 2));
    expectThrows(() => l1Unstructured(bn, 'weight', { amount: 0.5 }), ArgumentError, "Sequential has no parameter 'weight'");
    const m = l1Unstructured(lin(), 'weight', { amount: 0.5 });
    expectThrows(() => l1Unstructured(m, 'weightMask', { amount: 0.5 }), ArgumentError, "mask of the pruned Linear.weight; prune 'weight' instead");
    expectThrows(() => l1Unstructured(m, 'weightOrig', { amount: 0.5 }), ArgumentError, "prune 'weight' instead");
    class WithBuffer extends Module {
      stats = tensor([1, 2]);
      forward(x: Tensor): Tensor { return x; }
    }
    expectThrows(() => l1Unstructured(new WithBuffer(), 'stats', { amount: 0.5 }), ArgumentError, 'WithBuffer.stats must be a Parameter, got a buffer [2]');
    expectThrows(() => l1Unstructured({} as Module, 'weight', { amount: 0.5 }), ArgumentError, 'module must be a Module');
    expectThrows(() => lnStructured(lin(), 'bias', { amount: 0.5, n: 2 }), ArgumentError, 'Linear.bias [2] has 1 dimension; structured pruning needs at least 2');
    expectThrows(() => lnStructured(lin(), 'weight', { amount: 0.5, n: 2, dim: 2 }), ArgumentError, 'dim 2 is out of range [-2, 1]');
    expectThrows(() => lnStructured(lin(), 'weight', { amount: 0.5, n: NaN }), ArgumentError, 'n must be');
    expectThrows(() => lnStructured(lin(), 'weight', { amount: 0.5 } as never), ArgumentError, 'n must be');
    expectThrows(() => customFromMask(lin(), 'weight', [1, 0]), ArgumentError, 'mask [2] must have the shape of Linear.weight [2, 3]');
  });

  it('NaN weights are refused, naming the module and parameter; nothing is reparametrized', () => {
    const m = lin();
    m.weight.data[4] = NaN;
    expectThrows(() => l1Unstructured(m, 'weight', { amount: 0.5 }), NumericError, 'l1Unstructured: Linear.weight holds NaN (at flat index 4)');
    expectThrows(() => lnStructured(m, 'weight', { amount: 0.5, n: 1, dim: 0 }), NumericError, 'Linear.weight holds NaN');
    expectThrows(() => globalUnstructured([[lin(), 'weight'], [m, 'weight']], { amount: 0.5 }), NumericError, 'Linear.weight holds NaN');
    expect(isPruned(m)).toBe(false);
    expect(Object.keys(m.stateDict())).toEqual(['weight', 'bias']);
  });

  it('globalUnstructured: an empty list, a malformed pair (by position), a duplicate, a bad method', () => {
    expectThrows(() => globalUnstructured([], { amount: 0.5 }), ArgumentError, 'params must be an array of at least 1');
    expectThrows(() => globalUnstructured([[lin(), 'weight'], [lin(), 'nope']], { amount: 0.5 }), ArgumentError, "params[1]: Linear has no parameter 'nope'");
    expectThrows(() => globalUnstructured([[lin(), 'weight'], 'x' as never], { amount: 0.5 }), ArgumentError, 'params[1] must be a [module, name] pair');
    const a = lin();
    expectThrows(() => globalUnstructured([[a, 'weight'], [a, 'weight']], { amount: 0.5 }), ArgumentError, 'params[1]: Linear.weight is listed twice');
    expectThrows(() => globalUnstructured([[a, 'weight']], { amount: 0.5, pruningMethod: lnStructured as never }), ArgumentError, 'pruningMethod must be l1Unstructured or randomUnstructured');
    expect(isPruned(a)).toBe(false);
  });

  it('removePruning of a name never pruned or already removed; isPruned of a non-module', () => {
    expectThrows(() => removePruning(lin(), 'weight'), ArgumentError, 'removePruning: Linear.weight is not pruned');
    const m = l1Unstructured(lin(), 'weight', { amount: 0.5 });
    removePruning(m, 'weight');
    expectThrows(() => removePruning(m, 'weight'), ArgumentError, 'already removed');
    expectThrows(() => isPruned(null as never), ArgumentError, 'module must be a Module');
  });
});

