import { describe, expect, it } from 'vitest';
import * as R from '../../../src/tensor/kernels/rnn';
import { seededUniform as rand } from '../../helpers/check';

// What the recurrent kernels add beyond the oracle suite (oracles.test.ts fuzzes every kernel
// against its naive twin): the inlined σ and tanh they evaluate gates with, and the bias-gradient
// paths (one column-sum pass feeding both biases, four rows per pass plus a remainder) on fixed
// shapes, including saturated gates.


const sigmoidRef = (x: number): number => 1 / (1 + Math.exp(-x));

/** Arguments spanning the ranges that matter: around 0, the tiny, the saturated and the huge. */
function sweep(): number[] {
  const xs: number[] = [0, 1e-300, 1e-30, 1e-12, 1e-8, 1e-4, 0.3466, 0.3467, 0.5, 1, 2, 10, 17, 44, 88, 100, 354, 708, 709, 745, 1e5, 3.4e38];
  for (let k = 0; k <= 4000; k++) xs.push(-20 + k * 0.01);
  const all = [...xs, ...xs.map((x) => -x)];
  for (let k = 1; k <= 200; k++) all.push(Math.fround(Math.sin(k) * 40));
  return all;
}

function within(got: number, want: number, what: string): void {
  // Half an ulp of float32, relative, and an absolute floor far below float32's smallest normal.
  const ok = Math.abs(got - want) <= 2 ** -24 * Math.abs(want) + 1e-300;
  if (!ok) throw new Error(`${what}: got ${got}, want ${want}`);
}

describe('sigmoidFast and tanhFast', () => {
  it('agree with 1/(1 + Math.exp(−x)) and Math.tanh to half a float32 ulp over the whole range', () => {
    for (const x of sweep()) {
      // Below −708 the reference itself underflows (to 0 once e^−x overflows); both are 0 in float32.
      if (x > -708) within(R.sigmoidFast(x), sigmoidRef(x), `sigmoidFast(${x})`);
      else expect(Math.fround(R.sigmoidFast(x)), `sigmoidFast(${x})`).toBe(0);
      within(R.tanhFast(x), Math.tanh(x), `tanhFast(${x})`);
    }
  });

  it('keep the relative accuracy of tiny arguments (tanh x ≈ x, σ(x) ≈ 1/2 + x/4)', () => {
    for (const x of [1e-7, -3e-9, 1e-20, -1e-40]) {
      expect(Math.abs(R.tanhFast(x) / x - 1)).toBeLessThan(1e-12);
      expect(Math.abs(R.sigmoidFast(x) - 0.5 - x / 4)).toBeLessThan(1e-15);
    }
  });

  it('saturate at ±Infinity and keep NaN', () => {
    expect(R.sigmoidFast(Infinity)).toBe(1);
    expect(Math.fround(R.sigmoidFast(-Infinity))).toBe(0);
    expect(R.tanhFast(Infinity)).toBe(1);
    expect(R.tanhFast(-Infinity)).toBe(-1);
    expect(R.sigmoidFast(NaN)).toBeNaN();
    expect(R.tanhFast(NaN)).toBeNaN();
  });
});

type BiasCase = { dbIh: boolean; dbHh: boolean };
const BIAS_CASES: BiasCase[] = [{ dbIh: true, dbHh: true }, { dbIh: true, dbHh: false }, { dbIh: false, dbHh: true }];
// T·B = 1 (no full four-row pass), 7 (one pass and a remainder of 3), 12 (passes only).
const SHAPES = [{ T: 1, B: 1 }, { T: 7, B: 1 }, { T: 1, B: 7 }, { T: 3, B: 4 }];
const C = 3, H = 5;

function close(got: Float32Array, want: Float32Array, what: string): void {
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= 1e-5 * (1 + Math.abs(want[i])))) throw new Error(`${what}[${i}]: ${got[i]}, naive ${want[i]}`);
  }
}

describe('recurrent backward kernels: bias gradients and saturated gates against the naive twins', () => {
  for (const { T, B } of SHAPES) {
    for (const bc of BIAS_CASES) {
      for (const scale of [0.5, 40]) {
        const label = `T ${T}, B ${B}, ${bc.dbIh ? 'dbIh' : ''}${bc.dbIh && bc.dbHh ? ' + ' : ''}${bc.dbHh ? 'dbHh' : ''}, weights ×${scale}`;
        it(`LSTM ${label}`, () => {
          const GH = 4 * H, S = (T + 1) * B * H;
          const x = rand(T * B * C, 1), h0 = rand(B * H, 2), c0 = rand(B * H, 3);
          const wIh = rand(GH * C, 4, -scale, scale), wHh = rand(GH * H, 5, -scale, scale), bIh = rand(GH, 6), bHh = rand(GH, 7);
          const dhs = rand(T * B * H, 8), dcN = rand(B * H, 9);
          const fwd = (f: typeof R.lstmForward) => {
            const hs = new Float32Array(S), cs = new Float32Array(S), gates = new Float32Array(T * B * GH);
            f(hs, cs, gates, x, h0, c0, wIh, wHh, bIh, bHh, T, B, C, H, false);
            return { hs, cs, gates };
          };
          const a = fwd(R.lstmForward), n = fwd(R.lstmForwardNaive);
          close(a.hs, n.hs, 'hs');
          close(a.cs, n.cs, 'cs');
          const bwd = (f: typeof R.lstmBackward) => {
            const g = { dwHh: new Float32Array(GH * H), dbIh: bc.dbIh ? new Float32Array(GH).fill(0.25) : null, dbHh: bc.dbHh ? new Float32Array(GH).fill(-0.5) : null };
            f(null, null, null, null, g.dwHh, g.dbIh, g.dbHh, dhs, dcN, n.hs, n.cs, n.gates, x, wIh, wHh, T, B, C, H, false);
            return g;
          };
          const ga = bwd(R.lstmBackward), gn = bwd(R.lstmBackwardNaive);
          close(ga.dwHh, gn.dwHh, 'dwHh');
          if (bc.dbIh) close(ga.dbIh!, gn.dbIh!, 'dbIh');
          if (bc.dbHh) close(ga.dbHh!, gn.dbHh!, 'dbHh');
        });
        it(`GRU ${label}`, () => {
          const GH = 3 * H, S = (T + 1) * B * H;
          const x = rand(T * B * C, 11), h0 = rand(B * H, 12);
          const wIh = rand(GH * C, 14, -scale, scale), wHh = rand(GH * H, 15, -scale, scale), bIh = rand(GH, 16), bHh = rand(GH, 17);
          const dhs = rand(T * B * H, 18);
          const fwd = (f: typeof R.gruForward) => {
            const hs = new Float32Array(S), gates = new Float32Array(T * B * GH), hn = new Float32Array(T * B * H);
            f(hs, gates, hn, x, h0, wIh, wHh, bIh, bHh, T, B, C, H, true);
            return { hs, gates, hn };
          };
          const a = fwd(R.gruForward), n = fwd(R.gruForwardNaive);
          close(a.hs, n.hs, 'hs');
          const bwd = (f: typeof R.gruBackward) => {
            const g = { dh0: new Float32Array(B * H), dbIh: bc.dbIh ? new Float32Array(GH) : null, dbHh: bc.dbHh ? new Float32Array(GH) : null };
            f(null, g.dh0, null, null, g.dbIh, g.dbHh, dhs, n.hs, n.gates, n.hn, x, wIh, wHh, T, B, C, H, true);
            return g;
          };
          const ga = bwd(R.gruBackward), gn = bwd(R.gruBackwardNaive);
          close(ga.dh0, gn.dh0, 'dh0');
          if (bc.dbIh) close(ga.dbIh!, gn.dbIh!, 'dbIh');
          if (bc.dbHh) close(ga.dbHh!, gn.dbHh!, 'dbHh');
        });
        it(`RNN tanh ${label}`, () => {
          const S = (T + 1) * B * H;
          const x = rand(T * B * C, 21), h0 = rand(B * H, 22);
          const wIh = rand(H * C, 24, -scale, scale), wHh = rand(H * H, 25, -scale, scale), bIh = rand(H, 26), bHh = rand(H, 27);
          const dhs = rand(T * B * H, 28);
          const fwd = (f: typeof R.rnnForward) => {
            const hs = new Float32Array(S);
            f(hs, x, h0, wIh, wHh, bIh, bHh, T, B, C, H, false, false);
            return hs;
          };
          const hsA = fwd(R.rnnForward), hsN = fwd(R.rnnForwardNaive);
          close(hsA, hsN, 'hs');
          const bwd = (f: typeof R.rnnBackward) => {
            const g = { dx: new Float32Array(T * B * C), dbIh: bc.dbIh ? new Float32Array(H) : null, dbHh: bc.dbHh ? new Float32Array(H) : null };
            f(g.dx, null, null, null, g.dbIh, g.dbHh, dhs, hsN, x, wIh, wHh, T, B, C, H, false, false);
            return g;
          };
          const ga = bwd(R.rnnBackward), gn = bwd(R.rnnBackwardNaive);
          close(ga.dx, gn.dx, 'dx');
          if (bc.dbIh) close(ga.dbIh!, gn.dbIh!, 'dbIh');
          if (bc.dbHh) close(ga.dbHh!, gn.dbHh!, 'dbHh');
        });
      }
    }
  }
});
