import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Module } from '../../src/nn/module';
import { GRU, LSTM, RNN } from '../../src/nn/recurrent';
import {
  ArgumentError, Generator, Parameter, ShapeError, Tensor, add, concat, flatten, matmul, mul, noGrad, relu,
  sigmoid, slice, stack, sub, sum, tanh, transpose, zeros,
} from '../../src/tensor/index';
import { gruLayer, lstmLayer, rnnLayer } from '../../src/tensor/ops/rnn';
import { expectClose, expectGrad, randT } from '../helpers/check';

type Kind = 'LSTM' | 'GRU' | 'RNN';
type Layer = LSTM | GRU | RNN;

interface Spec {
  numLayers?: number;
  bidirectional?: boolean;
  bias?: boolean;
  nonlinearity?: 'tanh' | 'relu';
  dropout?: number;
}

function make(kind: Kind, C: number, H: number, spec: Spec, seed = 1): Layer {
  const rng = new Generator(seed);
  if (kind === 'LSTM') return new LSTM(C, H, { ...spec, rng });
  if (kind === 'GRU') return new GRU(C, H, { ...spec, rng });
  return new RNN(C, H, { ...spec, rng });
}

interface Out {
  output: Tensor;
  hN: Tensor;
  cN?: Tensor;
}

function run(m: Layer, x: Tensor, h0: Tensor | null, c0: Tensor | null): Out {
  if (m instanceof LSTM) return m.forward(x, { h0, c0 });
  return (m as GRU | RNN).forward(x, h0);
}

function param(m: Module, name: string): Tensor | null {
  const v = (m as unknown as Record<string, unknown>)[name];
  return v instanceof Tensor ? v : null;
}

// ---------------------------------------------------------------- reference: the gate equations
//
// One layer, one direction, written out step by step with plain differentiable ops, exactly as
// PyTorch documents the cells (x_t: [B, C], h, c: [B, H]; W·ᵀ via transpose):
//   LSTM  i, f, g, o = σ, σ, tanh, σ of the blocks of x_t W_ihᵀ + b_ih + h W_hhᵀ + b_hh
//         c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')
//   GRU   r = σ(gi_r + gh_r), z = σ(gi_z + gh_z), n = tanh(gi_n + r ⊙ gh_n), h' = (1 − z) ⊙ n + z ⊙ h
//         where gi = x_t W_ihᵀ + b_ih and gh = h W_hhᵀ + b_hh (so b_hn sits inside r ⊙ ·)
//   RNN   h' = act(x_t W_ihᵀ + b_ih + h W_hhᵀ + b_hh)

interface W {
  wIh: Tensor;
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
}

function block(t: Tensor, k: number, H: number): Tensor {
  return slice(t, [null, [k * H, (k + 1) * H]]);
}

function refLayer(kind: Kind, x: Tensor, h0: Tensor | null, c0: Tensor | null, w: W, reverse: boolean, nl: 'tanh' | 'relu'): Out {
  const [B, T] = x.shape;
  const H = w.wHh.shape[1];
  let h = h0 ?? zeros([B, H]);
  let c = c0 ?? zeros([B, H]);
  const outs: Tensor[] = new Array(T);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const xt = slice(x, [null, t, null]);
    let gi = matmul(xt, transpose(w.wIh));
    if (w.bIh !== null) gi = add(gi, w.bIh);
    let gh = matmul(h, transpose(w.wHh));
    if (w.bHh !== null) gh = add(gh, w.bHh);
    if (kind === 'LSTM') {
      const gates = add(gi, gh);
      const i = sigmoid(block(gates, 0, H));
      const f = sigmoid(block(gates, 1, H));
      const g = tanh(block(gates, 2, H));
      const o = sigmoid(block(gates, 3, H));
      c = add(mul(f, c), mul(i, g));
      h = mul(o, tanh(c));
    } else if (kind === 'GRU') {
      const r = sigmoid(add(block(gi, 0, H), block(gh, 0, H)));
      const z = sigmoid(add(block(gi, 1, H), block(gh, 1, H)));
      const n = tanh(add(block(gi, 2, H), mul(r, block(gh, 2, H))));
      h = add(mul(sub(1, z), n), mul(z, h));
    } else {
      const pre = add(gi, gh);
      h = nl === 'relu' ? relu(pre) : tanh(pre);
    }
    outs[t] = h;
  }
  return { output: stack(outs, 1), hN: h, cN: kind === 'LSTM' ? c : undefined };
}

/** The layer stack by hand: directions concatenated on the feature axis, states indexed l·D + d. */
function refStack(kind: Kind, m: Layer, x: Tensor, h0: Tensor | null, c0: Tensor | null): Out {
  const D = m.bidirectional ? 2 : 1;
  const nl = m instanceof RNN ? m.nonlinearity : 'tanh';
  const hN: Tensor[] = [];
  const cN: Tensor[] = [];
  let input = x;
  for (let l = 0; l < m.numLayers; l++) {
    const outs: Tensor[] = [];
    for (let d = 0; d < D; d++) {
      const sfx = d === 0 ? `${l}` : `${l}Reverse`;
      const w: W = {
        wIh: param(m, `weightIh${sfx}`)!, wHh: param(m, `weightHh${sfx}`)!,
        bIh: param(m, `biasIh${sfx}`), bHh: param(m, `biasHh${sfx}`),
      };
      const k = l * D + d;
      const r = refLayer(kind, input, h0 && slice(h0, [k]), c0 && slice(c0, [k]), w, d === 1, nl);
      outs.push(r.output);
      hN.push(r.hN);
      if (r.cN) cN.push(r.cN);
    }
    input = D === 1 ? outs[0] : concat(outs, 2);
  }
  return { output: input, hN: stack(hN, 0), cN: cN.length ? stack(cN, 0) : undefined };
}

/** Σ output ⊙ gO + Σ hN ⊙ gH (+ Σ cN ⊙ gC): a scalar whose gradient seeds random cotangents. */
function probe(o: Out, gO: Tensor, gH: Tensor, gC: Tensor | null): Tensor {
  let loss = add(sum(mul(o.output, gO)), sum(mul(o.hN, gH)));
  if (o.cN && gC) loss = add(loss, sum(mul(o.cN, gC)));
  return loss;
}

function leafCopy(t: Tensor): Tensor {
  return new Tensor(t.data.slice(), t.shape, true);
}

const KINDS: Kind[] = ['LSTM', 'GRU', 'RNN'];

describe('recurrent layers against their gate equations (reference built from plain ops)', () => {
  const configs: { spec: Spec; B: number; T: number; C: number; H: number; state: boolean }[] = [
    { spec: {}, B: 2, T: 4, C: 3, H: 5, state: false },
    { spec: {}, B: 1, T: 1, C: 1, H: 1, state: true },
    { spec: { numLayers: 2, bidirectional: true }, B: 3, T: 5, C: 4, H: 6, state: true },
    { spec: { numLayers: 3 }, B: 5, T: 3, C: 2, H: 7, state: true },
    { spec: { bidirectional: true, bias: false }, B: 6, T: 4, C: 5, H: 9, state: false },
    // Batch and hidden sizes past the 4×4 GEMM block, with remainders.
    { spec: { bidirectional: true }, B: 9, T: 6, C: 11, H: 13, state: true },
  ];
  for (const kind of KINDS) {
    for (const nl of kind === 'RNN' ? (['tanh', 'relu'] as const) : (['tanh'] as const)) {
      for (const [ci, cfg] of configs.entries()) {
        it(`${kind}${kind === 'RNN' ? ` ${nl}` : ''} config ${ci}: output, hN${kind === 'LSTM' ? ', cN' : ''} and every gradient match`, () => {
          const rng = new Generator(100 + ci);
          const { B, T, C, H } = cfg;
          const spec = kind === 'RNN' ? { ...cfg.spec, nonlinearity: nl } : cfg.spec;
          const m = make(kind, C, H, spec, 7 + ci);
          const LD = (spec.numLayers ?? 1) * (spec.bidirectional ? 2 : 1);
          const x = randT([B, T, C], rng);
          const h0 = cfg.state ? randT([LD, B, H], rng, { scale: 0.5 }) : null;
          const c0 = cfg.state && kind === 'LSTM' ? randT([LD, B, H], rng, { scale: 0.5 }) : null;
          const DH = H * (spec.bidirectional ? 2 : 1);
          const gO = randT([B, T, DH], rng), gH = randT([LD, B, H], rng), gC = randT([LD, B, H], rng);

          const xa = leafCopy(x), h0a = h0 && leafCopy(h0), c0a = c0 && leafCopy(c0);
          const ours = run(m, xa, h0a, c0a);
          expect(ours.output.shape).toEqual([B, T, DH]);
          expect(ours.hN.shape).toEqual([LD, B, H]);
          probe(ours, gO, gH, gC).backward();

          const ref = make(kind, C, H, spec, 7 + ci);
          const xb = leafCopy(x), h0b = h0 && leafCopy(h0), c0b = c0 && leafCopy(c0);
          const want = refStack(kind, ref, xb, h0b, c0b);
          probe(want, gO, gH, gC).backward();

          expectClose(ours.output.data, want.output.data, 1e-5, 1e-5);
          expectClose(ours.hN.data, want.hN.data, 1e-5, 1e-5);
          if (kind === 'LSTM') {
            expect(ours.cN!.shape).toEqual([LD, B, H]);
            expectClose(ours.cN!.data, want.cN!.data, 1e-5, 1e-5);
          }
          expectClose(xa.grad!, xb.grad!, 1e-5, 1e-4);
          if (h0a) expectClose(h0a.grad!, h0b!.grad!, 1e-5, 1e-4);
          if (c0a) expectClose(c0a.grad!, c0b!.grad!, 1e-5, 1e-4);
          const ps = m.namedParameters();
          const rs = ref.namedParameters();
          expect(ps.map((p) => p[0])).toEqual(rs.map((p) => p[0]));
          for (let k = 0; k < ps.length; k++) {
            expect(ps[k][1].grad, ps[k][0]).not.toBeNull();
            expectClose(ps[k][1].grad!, rs[k][1].grad!, 1e-5, 1e-4);
          }
        });
      }
    }
  }

  it('GRU puts b_hn inside r ⊙ (·): a case where that placement changes the result', () => {
    // One unit, zero weights: r = σ(0) = 1/2, z = 1/2, n = tanh(r · b_hn) with b_hn = 2 → tanh(1),
    // so h₁ = (1 − 1/2) · tanh(1). Outside the product it would be tanh(2)/2.
    const x = zeros([1, 1, 1]);
    const bHh = new Tensor(Float32Array.of(0, 0, 2), [3]);
    const r = gruLayer(x, null, zeros([3, 1]), zeros([3, 1]), null, bHh);
    expectClose(r.output.data, [0.5 * Math.tanh(1)], 1e-7, 1e-6);
  });
});

// ---------------------------------------------------------------- gradients (random-direction checks)

describe('gradients by central differences in a random direction', () => {
  const B = 2, T = 3, C = 3, H = 4;
  for (const reverse of [false, true]) {
    it(`lstmLayer (reverse ${reverse}): output, hN, cN w.r.t. x, h0, c0 and every weight`, () => {
      const rng = new Generator(reverse ? 2 : 1);
      const ins = [randT([B, T, C], rng), randT([B, H], rng, { scale: 0.5 }), randT([B, H], rng, { scale: 0.5 }),
        randT([4 * H, C], rng, { scale: 0.5 }), randT([4 * H, H], rng, { scale: 0.5 }), randT([4 * H], rng, { scale: 0.5 }), randT([4 * H], rng, { scale: 0.5 })];
      expectGrad((x, h0, c0, wIh, wHh, bIh, bHh) => {
        const r = lstmLayer(x, h0, c0, wIh, wHh, bIh, bHh, { reverse });
        return concat([flatten(r.output), flatten(r.hN), flatten(r.cN)]);
      }, ins);
    });
    it(`gruLayer (reverse ${reverse}): output, hN w.r.t. x, h0 and every weight`, () => {
      const rng = new Generator(reverse ? 4 : 3);
      const ins = [randT([B, T, C], rng), randT([B, H], rng, { scale: 0.5 }),
        randT([3 * H, C], rng, { scale: 0.5 }), randT([3 * H, H], rng, { scale: 0.5 }), randT([3 * H], rng, { scale: 0.5 }), randT([3 * H], rng, { scale: 0.5 })];
      expectGrad((x, h0, wIh, wHh, bIh, bHh) => {
        const r = gruLayer(x, h0, wIh, wHh, bIh, bHh, { reverse });
        return concat([flatten(r.output), flatten(r.hN)]);
      }, ins);
    });
    it(`rnnLayer tanh (reverse ${reverse}): output, hN w.r.t. x, h0 and every weight`, () => {
      const rng = new Generator(reverse ? 6 : 5);
      const ins = [randT([B, T, C], rng), randT([B, H], rng, { scale: 0.5 }),
        randT([H, C], rng, { scale: 0.5 }), randT([H, H], rng, { scale: 0.5 }), randT([H], rng, { scale: 0.5 }), randT([H], rng, { scale: 0.5 })];
      expectGrad((x, h0, wIh, wHh, bIh, bHh) => {
        const r = rnnLayer(x, h0, wIh, wHh, bIh, bHh, { reverse });
        return concat([flatten(r.output), flatten(r.hN)]);
      }, ins);
    });
  }

  it('rnnLayer relu: exact gradient (no unit near the kink) and zero gradient through dead units', () => {
    // h₁ = relu(w·x₁), h₂ = relu(w·x₂ + u·h₁) with one unit, x = [1, −1], w = 2, u = 1:
    // h₁ = 2, h₂ = relu(−2 + 2) = 0 → dead at step 2, so d h₂/dw = 0 and d(h₁ + h₂)/dw = x₁ = 1.
    const x = new Tensor(Float32Array.of(1, -1), [1, 2, 1], true);
    const w = new Tensor(Float32Array.of(2), [1, 1], true);
    const u = new Tensor(Float32Array.of(1), [1, 1], true);
    const r = rnnLayer(x, null, w, u, null, null, { nonlinearity: 'relu' });
    expect(r.output.toArray()).toEqual([2, 0]);
    sum(r.output).backward();
    expect(Array.from(w.grad!)).toEqual([1]);
    expect(Array.from(u.grad!)).toEqual([0]);
    expect(Array.from(x.grad!)).toEqual([2, 0]);
  });

  for (const kind of KINDS) {
    it(`${kind} module, 2 layers bidirectional: output and final states w.r.t. x, h0${kind === 'LSTM' ? ', c0' : ''} and every weight`, () => {
      const B = 2, T = 3, C = 2, H = 3, LD = 4;
      const m = make(kind, C, H, { numLayers: 2, bidirectional: true }, 11);
      const names = m.namedParameters().map(([n]) => n);
      const rng = new Generator(12);
      const states = kind === 'LSTM' ? [randT([LD, B, H], rng, { scale: 0.5 }), randT([LD, B, H], rng, { scale: 0.5 })] : [randT([LD, B, H], rng, { scale: 0.5 })];
      const weights = names.map((n) => param(m, n)!.clone());
      const fields = m as unknown as Record<string, Tensor>;
      expectGrad((x, ...rest) => {
        const st = rest.slice(0, states.length);
        rest.slice(states.length).forEach((w, k) => { fields[names[k]] = w; });
        const o = run(m, x, st[0], st[1] ?? null);
        return concat([flatten(o.output), flatten(o.hN), ...(o.cN ? [flatten(o.cN)] : [])]);
      }, [randT([B, T, C], rng), ...states, ...weights]);
    });
  }
});

// ---------------------------------------------------------------- PyTorch fixtures

interface Arr {
  shape: number[];
  data: number[];
}

interface Fixture {
  kind: Kind;
  numLayers: number;
  bidirectional: boolean;
  bias: boolean;
  nonlinearity?: 'tanh' | 'relu';
  inputSize: number;
  hiddenSize: number;
  params: Record<string, Arr>;
  x: Arr;
  h0?: Arr;
  c0?: Arr;
  output: Arr;
  hN: Arr;
  cN?: Arr;
  gOutput: Arr;
  gHN: Arr;
  gCN?: Arr;
  gradX: Arr;
  gradH0?: Arr;
  gradC0?: Arr;
  gradParams: Record<string, Arr>;
}

function fromArr(a: Arr, requiresGrad = false): Tensor {
  return new Tensor(Float32Array.from(a.data), a.shape, requiresGrad);
}

const fixtures = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/recurrent.json'), 'utf8')) as { cases: Fixture[] };

describe('against PyTorch 1.13 nn.LSTM / nn.GRU / nn.RNN (test/fixtures/recurrent.json)', () => {
  it('has the expected cases', () => {
    expect(fixtures.cases.map((f) => f.kind)).toEqual(['LSTM', 'LSTM', 'GRU', 'GRU', 'RNN', 'RNN', 'RNN']);
  });
  for (const [k, f] of fixtures.cases.entries()) {
    const label = `${f.kind}${f.nonlinearity ? ` ${f.nonlinearity}` : ''}, ${f.numLayers} layer(s)${f.bidirectional ? ', bidirectional' : ''}${f.bias ? '' : ', no bias'}${f.h0 ? ', initial state' : ''}`;
    it(`case ${k}: ${label}: values and gradients within 1e-4`, () => {
      const m = make(f.kind, f.inputSize, f.hiddenSize, {
        numLayers: f.numLayers, bidirectional: f.bidirectional, bias: f.bias, ...(f.nonlinearity ? { nonlinearity: f.nonlinearity } : {}),
      });
      // The same names and shapes as PyTorch's state dict, in the same order.
      const sd: Record<string, Tensor> = {};
      for (const [n, a] of Object.entries(f.params)) sd[n] = fromArr(a);
      expect(m.namedParameters().map(([n]) => n)).toEqual(Object.keys(f.params));
      m.loadStateDict(sd);
      const x = fromArr(f.x, true);
      const h0 = f.h0 ? fromArr(f.h0, true) : null;
      const c0 = f.c0 ? fromArr(f.c0, true) : null;
      const o = run(m, x, h0, c0);
      expectClose(o.output.data, f.output.data, 1e-5, 1e-4);
      expectClose(o.hN.data, f.hN.data, 1e-5, 1e-4);
      if (f.cN) expectClose(o.cN!.data, f.cN.data, 1e-5, 1e-4);
      probe(o, fromArr(f.gOutput), fromArr(f.gHN), f.gCN ? fromArr(f.gCN) : null).backward();
      expectClose(x.grad!, f.gradX.data, 1e-5, 1e-4);
      if (f.gradH0) expectClose(h0!.grad!, f.gradH0.data, 1e-5, 1e-4);
      if (f.gradC0) expectClose(c0!.grad!, f.gradC0.data, 1e-5, 1e-4);
      for (const [n, p] of m.namedParameters()) {
        try {
          expectClose(p.grad!, f.gradParams[n].data, 1e-5, 1e-4);
        } catch (e) {
          throw new Error(`${n}: ${(e as Error).message}`);
        }
      }
    });
  }
});

// ---------------------------------------------------------------- parameters, init, modes

describe('parameters and init', () => {
  it('LSTM 2-layer bidirectional has PyTorch names, order and shapes', () => {
    const m = new LSTM(3, 5, { numLayers: 2, bidirectional: true, rng: new Generator(0) });
    const expected: [string, number[]][] = [];
    for (let l = 0; l < 2; l++) {
      for (const sfx of ['', 'Reverse']) {
        const inSize = l === 0 ? 3 : 10;
        expected.push([`weightIh${l}${sfx}`, [20, inSize]], [`weightHh${l}${sfx}`, [20, 5]], [`biasIh${l}${sfx}`, [20]], [`biasHh${l}${sfx}`, [20]]);
      }
    }
    expect(m.namedParameters().map(([n, p]) => [n, p.shape])).toEqual(expected);
    expect(m.weightIh1Reverse).toBeInstanceOf(Parameter);
    expect(m.numParameters()).toBe(2 * (20 * 3 + 20 * 5 + 40) + 2 * (20 * 10 + 20 * 5 + 40));
  });

  it('gate counts: GRU 3H rows, RNN H rows; bias: false registers no bias', () => {
    expect(new GRU(2, 4).weightHh0.shape).toEqual([12, 4]);
    expect(new RNN(2, 4).weightIh0.shape).toEqual([4, 2]);
    const names = new RNN(2, 4, { bias: false, bidirectional: true }).namedParameters().map(([n]) => n);
    expect(names).toEqual(['weightIh0', 'weightHh0', 'weightIh0Reverse', 'weightHh0Reverse']);
  });

  it('init is U(−1/√H, 1/√H) for every weight and bias, and seeded', () => {
    const H = 16;
    const m = new LSTM(8, H, { numLayers: 2, rng: new Generator(3) });
    const k = 1 / Math.sqrt(H);
    let lo = Infinity, hi = -Infinity, n = 0, s = 0;
    for (const p of m.parameters()) {
      for (const v of p.data) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        s += v;
        n++;
      }
    }
    expect(lo).toBeGreaterThanOrEqual(-k);
    expect(hi).toBeLessThanOrEqual(k);
    // Spread over the whole interval, centred: n ≈ 6000 draws.
    expect(lo).toBeLessThan(-0.95 * k);
    expect(hi).toBeGreaterThan(0.95 * k);
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    const again = new LSTM(8, H, { numLayers: 2, rng: new Generator(3) });
    expect(Array.from(again.weightHh1.data)).toEqual(Array.from(m.weightHh1.data));
  });

  it('config() round-trips the constructor options', () => {
    expect(new RNN(3, 4, { numLayers: 2, nonlinearity: 'relu', dropout: 0.1 }).config()).toEqual({
      type: 'RNN', options: { inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: false, dropout: 0.1, bias: true, nonlinearity: 'relu' },
    });
    expect(new LSTM(3, 4, { bidirectional: true }).config().options).toMatchObject({ bidirectional: true, bias: true });
  });

  it('noGrad builds no graph; an initial state is optional and zeros by default', () => {
    const m = new GRU(2, 3, { rng: new Generator(4) });
    const x = randT([2, 4, 2], new Generator(5));
    const o = noGrad(() => m.forward(x));
    expect(o.output.requiresGrad).toBe(false);
    expect(o.output.node).toBeNull();
    expectClose(m.forward(x, zeros([1, 2, 3])).output.data, o.output.data, 0, 0);
    const l = new LSTM(2, 3, { rng: new Generator(4) });
    const a = l.forward(x);
    const b = l.forward(x, { h0: zeros([1, 2, 3]), c0: zeros([1, 2, 3]) });
    const c = l.forward(x, { c0: zeros([1, 2, 3]) });
    expectClose(a.output.data, b.output.data, 0, 0);
    expectClose(a.cN.data, c.cN.data, 0, 0);
  });

  it('hN of a forward layer is its last output step; of a reverse layer its first', () => {
    const m = new LSTM(2, 3, { bidirectional: true, rng: new Generator(6) });
    const { output, hN } = m.forward(randT([2, 5, 2], new Generator(7)));
    expectClose(hN.data.subarray(0, 6), slice(output, [null, 4, [0, 3]]).data, 0, 0);
    expectClose(hN.data.subarray(6, 12), slice(output, [null, 0, [3, 6]]).data, 0, 0);
  });
});

describe('dropout between layers', () => {
  const x = randT([3, 4, 2], new Generator(8));

  it('is the identity in eval mode (equal to the same weights with dropout 0)', () => {
    const m = new LSTM(2, 5, { numLayers: 3, dropout: 0.5, rng: new Generator(9) });
    const plain = new LSTM(2, 5, { numLayers: 3, rng: new Generator(9) });
    m.eval();
    const a = m.forward(x), b = plain.forward(x);
    expectClose(a.output.data, b.output.data, 0, 0);
    expectClose(a.hN.data, b.hN.data, 0, 0);
  });

  it('changes the output in training mode, reproducibly for a seed, and differently for another', () => {
    const run2 = (seed: number) => new GRU(2, 5, { numLayers: 2, dropout: 0.5, rng: new Generator(seed) }).forward(x).output;
    const evalOut = new GRU(2, 5, { numLayers: 2, dropout: 0.5, rng: new Generator(10) }).eval().forward(x).output;
    const a = run2(10), b = run2(10);
    expectClose(a.data, b.data, 0, 0);
    expect(Array.from(a.data)).not.toEqual(Array.from(evalOut.data));
    // Another seed gives other weights too; compare two masks over the same weights instead.
    const m = new GRU(2, 5, { numLayers: 2, dropout: 0.5, rng: new Generator(10) });
    const first = m.forward(x).output, second = m.forward(x).output;
    expect(Array.from(first.data)).not.toEqual(Array.from(second.data));
  });

  it('leaves a one-layer stack alone (dropout acts only between layers, as PyTorch)', () => {
    const m = new RNN(2, 4, { dropout: 0.9, rng: new Generator(11) });
    const e = new RNN(2, 4, { dropout: 0.9, rng: new Generator(11) }).eval();
    expectClose(m.forward(x).output.data, e.forward(x).output.data, 0, 0);
  });
});

// ---------------------------------------------------------------- bad input

describe('bad input', () => {
  const lstm = new LSTM(3, 4, { numLayers: 2 });

  it('wrong feature count → ShapeError naming x and inputSize', () => {
    expect(() => lstm.forward(zeros([2, 5, 4]))).toThrow(ShapeError);
    expect(() => lstm.forward(zeros([2, 5, 4]))).toThrow(/LSTM: x \[2, 5, 4\] must be \[B, T, 3\]/);
  });

  it('non-3-D input → ShapeError naming its shape', () => {
    expect(() => new GRU(3, 4).forward(zeros([5, 3]))).toThrow(/GRU: x \[5, 3\] must be \[B, T, 3\]/);
    expect(() => new RNN(3, 4).forward(zeros([1, 2, 5, 3]))).toThrow(ShapeError);
  });

  it('wrong initial state shape → ShapeError naming the state and the expected [L·D, B, H]', () => {
    expect(() => lstm.forward(zeros([2, 5, 3]), { h0: zeros([1, 2, 4]) })).toThrow(/LSTM: h0 \[1, 2, 4\] must be \[2, 2, 4\]/);
    expect(() => lstm.forward(zeros([2, 5, 3]), { c0: zeros([2, 3, 4]) })).toThrow(/LSTM: c0 \[2, 3, 4\] must be \[2, 2, 4\]/);
    expect(() => new GRU(3, 4, { bidirectional: true }).forward(zeros([2, 5, 3]), zeros([1, 2, 4]))).toThrow(/GRU: h0 \[1, 2, 4\] must be \[2, 2, 4\]/);
  });

  it('the ops name every shape involved', () => {
    expect(() => lstmLayer(zeros([2, 3, 4]), null, null, zeros([8, 3]), zeros([8, 2]), null, null)).toThrow(/lstmLayer: wIh \[8, 3\] must be \[8, 4\] for x \[2, 3, 4\] and wHh \[8, 2\]/);
    expect(() => gruLayer(zeros([2, 3, 4]), zeros([2, 5]), zeros([6, 4]), zeros([6, 2]), null, null)).toThrow(/gruLayer: h0 \[2, 5\] must be \[2, 2\]/);
    expect(() => rnnLayer(zeros([2, 3, 4]), null, zeros([2, 4]), zeros([3, 2]), null, null)).toThrow(/rnnLayer: wHh \[3, 2\] must be \[1·H, H\]/);
    expect(() => rnnLayer(zeros([2, 3, 4]), null, zeros([2, 4]), zeros([2, 2]), zeros([3]), null)).toThrow(/rnnLayer: bIh \[3\] must be \[2\]/);
    expect(() => rnnLayer(zeros([2, 0, 4]), null, zeros([2, 4]), zeros([2, 2]), null, null)).toThrow(ShapeError);
  });

  it('invalid options → ArgumentError', () => {
    expect(() => new RNN(3, 4, { nonlinearity: 'sigmoid' as 'tanh' })).toThrow(ArgumentError);
    expect(() => new LSTM(3, 4, { dropout: 1.5 })).toThrow(ArgumentError);
    expect(() => new GRU(3, 0)).toThrow(/GRU: hiddenSize must be an integer ≥ 1, got 0/);
    expect(() => new GRU(3, 4, { numLayers: 1.5 })).toThrow(ArgumentError);
    expect(() => rnnLayer(zeros([1, 1, 1]), null, zeros([1, 1]), zeros([1, 1]), null, null, { nonlinearity: 'gelu' as 'relu' })).toThrow(ArgumentError);
  });
});
