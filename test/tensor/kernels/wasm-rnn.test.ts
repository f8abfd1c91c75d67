import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as R from '../../../src/tensor/kernels/rnn';
import * as W from '../../../src/tensor/kernels/wasm/rnn';
import { wasmOverrides } from '../../../src/tensor/kernels/wasm/index';
import { ensureBytes, f32View } from '../../../src/tensor/kernels/wasm/memory';
import { seededUniform as rand } from '../../helpers/check';

// The wasm recurrent kernels against the naive twins of kernels/rnn.ts (float64 sums, Math.tanh),
// on fast-check shapes: B, H, C, T from {1, 3, 5, 17} (17 pads the hidden units to 32 and the
// batch to 18), both directions, with and without biases, zero or random initial states, and
// weights at PyTorch's init scale 1/√H and four times it (saturated gates).
//
// Tolerance: |wasm − naive| ≤ 2e-5·(1 + |naive|). Each σ or tanh in wasm is off by at most 4e-7
// (the sweep below), each product is a float32 sum of C + H terms (about (C + H)·2⁻²⁴ relative),
// and the recurrence carries the errors of earlier steps through a contraction at these weight
// scales; the worst seen over every combination of these shapes is 5e-6 (GRU). The Elman RNN is
// tested at scale 1 only: at 4/√H its recurrence amplifies every rounding difference up to
// fourfold per step (relu values grow to about 80 by T = 17), so even two float32 evaluations of
// the same sums in different orders drift apart by 1e-3.

const TOL = 2e-5;

function close(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= TOL * (1 + Math.abs(want[i])))) {
      throw new Error(`${what}[${i}]: wasm ${got[i]}, naive ${want[i]}`);
    }
  }
}

const dim = fc.constantFrom(1, 3, 5, 17);
const caseArb = fc.record({
  T: dim, B: dim, C: dim, H: dim, reverse: fc.boolean(), bias: fc.boolean(), h0: fc.boolean(),
  scale: fc.constantFrom(1, 4), grads: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
  seed: fc.integer({ min: 0, max: 2 ** 30 }),
});
type Case = { T: number; B: number; C: number; H: number; reverse: boolean; bias: boolean; h0: boolean; scale: number; grads: boolean[]; seed: number };

function inputs(c: Case, G: number) {
  const { T, B, C, H, seed: s } = c;
  const k = c.scale / Math.sqrt(H);
  return {
    x: rand(T * B * C, s), h0: c.h0 ? rand(B * H, s + 1) : new Float32Array(B * H), c0: c.h0 ? rand(B * H, s + 2) : new Float32Array(B * H),
    wIh: rand(G * H * C, s + 3, -k, k), wHh: rand(G * H * H, s + 4, -k, k),
    bIh: c.bias ? rand(G * H, s + 5, -k, k) : null, bHh: c.bias ? rand(G * H, s + 6, -k, k) : null,
    dhs: rand(T * B * H, s + 7), dcN: rand(B * H, s + 8),
  };
}

/** Gradient buffers, each present where `mask` says, starting from the same nonzero values (the kernels accumulate). */
function grads(mask: boolean[], sizes: number[], seed: number): (Float32Array | null)[] {
  return sizes.map((n, i) => (mask[i] ? rand(n, seed + 100 + i) : null));
}

describe('the wasm recurrent modules', () => {
  it('validates (each of its parts), and the backend table takes its kernels', () => {
    for (const part of ['lstmForward', 'lstmBackward', 'gru', 'rnn', 'activations'] as const) expect(WebAssembly.validate(W.buildRnnModule(part)), part).toBe(true);
    expect(wasmOverrides.lstmForward).toBe(W.wasmLstmForward);
    expect(wasmOverrides.lstmBackward).toBe(W.wasmLstmBackward);
    expect(wasmOverrides.gruForward).toBe(W.wasmGruForward);
    expect(wasmOverrides.rnnForward).toBe(W.wasmRnnForward);
    expect(wasmOverrides.gruBackward).toBe(W.wasmGruBackward);
    expect(wasmOverrides.rnnBackward).toBe(W.wasmRnnBackward);
  });

  it('σ and tanh: within 2.3e-7 and 4e-7 of the float64 functions over the float32 range; NaN kept, ±Infinity saturate', () => {
    const xs: number[] = [0, -0, 1e-45, 1e-30, 3.4e38, -3.4e38];
    for (let k = -300000; k <= 300000; k++) xs.push(Math.fround(k * 1e-4));
    for (let k = 0; k < 20000; k++) {
      const v = Math.fround(Math.exp(-100 + k * 0.006));
      xs.push(v, -v);
    }
    while (xs.length % 4 !== 0) xs.push(0);
    ensureBytes(xs.length * 4);
    for (const [sig, bound, ref] of [[0, 4e-7, Math.tanh], [1, 2.3e-7, (v: number) => 1 / (1 + Math.exp(-v))]] as const) {
      f32View().set(xs, 0);
      W.rnnModule('activations').tanh4(0, xs.length, sig);
      const out = f32View();
      let worst = 0;
      for (let i = 0; i < xs.length; i++) worst = Math.max(worst, Math.abs(out[i] - ref(xs[i])));
      expect(worst, sig ? 'σ' : 'tanh').toBeLessThanOrEqual(bound);
      expect(worst, 'the sweep reaches the bound it states').toBeGreaterThan(bound / 4);
    }
    f32View().set([NaN, Infinity, -Infinity, 0], 0);
    W.rnnModule('activations').tanh4(0, 4, 0);
    const t = Array.from(f32View().subarray(0, 4));
    expect(t[0]).toBeNaN();
    expect(t[1]).toBeCloseTo(1, 6);
    expect(t[2]).toBeCloseTo(-1, 6);
    expect(t[3]).toBe(0);
  });
});

describe(`wasm recurrent kernels against the naive twins (|Δ| ≤ ${TOL}·(1 + |naive|))`, () => {
  it('lstmForward and lstmBackward (random subsets of gradients, dcN given or not)', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const { T, B, C, H, reverse } = c, GH = 4 * H, S = (T + 1) * B * H;
      const i = inputs(c, 4);
      const fwd = (f: typeof R.lstmForward) => {
        const hs = new Float32Array(S).fill(NaN), cs = new Float32Array(S).fill(NaN), gates = new Float32Array(T * B * GH).fill(NaN);
        f(hs, cs, gates, i.x, i.h0, i.c0, i.wIh, i.wHh, i.bIh, i.bHh, T, B, C, H, reverse);
        return { hs, cs, gates };
      };
      const a = fwd(W.wasmLstmForward), n = fwd(R.lstmForwardNaive);
      close(a.hs, n.hs, 'hs');
      close(a.cs, n.cs, 'cs');
      close(a.gates, n.gates, 'gates');
      const sizes = [T * B * C, B * H, B * H, GH * C, GH * H, GH, GH];
      const dcN = c.grads[0] ? i.dcN : null;
      const bwd = (f: typeof R.lstmBackward) => {
        const g = grads(c.grads, sizes, c.seed);
        f(g[0], g[1], g[2], g[3], g[4], g[5], g[6], i.dhs, dcN, n.hs, n.cs, n.gates, i.x, i.wIh, i.wHh, T, B, C, H, reverse);
        return g;
      };
      const ga = bwd(W.wasmLstmBackward), gn = bwd(R.lstmBackwardNaive);
      for (let k = 0; k < sizes.length; k++) if (gn[k] !== null) close(ga[k]!, gn[k]!, `gradient ${k}`);
    }), { numRuns: 40 });
  });

  it('gruForward and gruBackward (random subsets of gradients)', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const { T, B, C, H, reverse } = c, GH = 3 * H, S = (T + 1) * B * H;
      const i = inputs(c, 3);
      const fwd = (f: typeof R.gruForward) => {
        const hs = new Float32Array(S).fill(NaN), gates = new Float32Array(T * B * GH).fill(NaN), hn = new Float32Array(T * B * H).fill(NaN);
        f(hs, gates, hn, i.x, i.h0, i.wIh, i.wHh, i.bIh, i.bHh, T, B, C, H, reverse);
        return { hs, gates, hn };
      };
      const a = fwd(W.wasmGruForward), n = fwd(R.gruForwardNaive);
      close(a.hs, n.hs, 'hs');
      close(a.gates, n.gates, 'gates');
      close(a.hn, n.hn, 'hn');
      const sizes = [T * B * C, B * H, GH * C, GH * H, GH, GH];
      const bwd = (f: typeof R.gruBackward) => {
        const g = grads(c.grads, sizes, c.seed);
        f(g[0], g[1], g[2], g[3], g[4], g[5], i.dhs, n.hs, n.gates, n.hn, i.x, i.wIh, i.wHh, T, B, C, H, reverse);
        return g;
      };
      const ga = bwd(W.wasmGruBackward), gn = bwd(R.gruBackwardNaive);
      for (let k = 0; k < sizes.length; k++) if (gn[k] !== null) close(ga[k]!, gn[k]!, `gradient ${k}`);
    }), { numRuns: 40 });
  });

  it('rnnForward and rnnBackward, tanh and relu', () => {
    fc.assert(fc.property(caseArb, fc.boolean(), (c, relu) => {
      const { T, B, C, H, reverse } = c, S = (T + 1) * B * H;
      const i = inputs({ ...c, scale: 1 }, 1);
      const fwd = (f: typeof R.rnnForward) => {
        const hs = new Float32Array(S).fill(NaN);
        f(hs, i.x, i.h0, i.wIh, i.wHh, i.bIh, i.bHh, T, B, C, H, relu, reverse);
        return hs;
      };
      const hs = fwd(R.rnnForwardNaive);
      close(fwd(W.wasmRnnForward), hs, 'hs');
      const sizes = [T * B * C, B * H, H * C, H * H, H, H];
      const bwd = (f: typeof R.rnnBackward) => {
        const g = grads(c.grads, sizes, c.seed);
        f(g[0], g[1], g[2], g[3], g[4], g[5], i.dhs, hs, i.x, i.wIh, i.wHh, T, B, C, H, relu, reverse);
        return g;
      };
      const ga = bwd(W.wasmRnnBackward), gn = bwd(R.rnnBackwardNaive);
      for (let k = 0; k < sizes.length; k++) if (gn[k] !== null) close(ga[k]!, gn[k]!, `gradient ${k}`);
    }), { numRuns: 40 });
  });

  it('relu keeps NaN and maps −0 and negatives to 0, like the JS kernel', () => {
    const x = Float32Array.of(NaN, -0, -2, 3), w = Float32Array.of(1), z = Float32Array.of(0);
    const run = (f: typeof R.rnnForward) => {
      const hs = new Float32Array(2 * 4);
      f(hs, x, Float32Array.of(0, 0, 0, 0), w, z, null, null, 1, 4, 1, 1, true, false);
      return Array.from(hs.subarray(4));
    };
    expect(run(W.wasmRnnForward)).toEqual(run(R.rnnForward));
    expect(run(W.wasmRnnForward)).toEqual([NaN, 0, 0, 3]);
  });

  it('an empty sequence (T = 0) takes the JS kernels: the initial state in its slot, gradients untouched', () => {
    const B = 3, C = 2, H = 5, h0 = rand(B * H, 1), c0 = rand(B * H, 2);
    for (const reverse of [false, true]) {
      const hs = new Float32Array(B * H), cs = new Float32Array(B * H);
      W.wasmLstmForward(hs, cs, new Float32Array(0), new Float32Array(0), h0, c0, rand(4 * H * C, 3), rand(4 * H * H, 4), null, null, 0, B, C, H, reverse);
      expect(Array.from(hs)).toEqual(Array.from(h0));
      expect(Array.from(cs)).toEqual(Array.from(c0));
      const g = new Float32Array(3 * H * H).fill(0.5);
      W.wasmGruBackward(null, null, null, g, null, null, new Float32Array(0), new Float32Array(B * H), new Float32Array(0), new Float32Array(0),
        new Float32Array(0), rand(3 * H * C, 5), rand(3 * H * H, 6), 0, B, C, H, reverse);
      expect(g.every((v) => v === 0.5)).toBe(true);
    }
  });
});
