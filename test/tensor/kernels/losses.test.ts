import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as K from '../../../src/tensor/kernels/losses';

// The loss kernels against a scalar reference per element: forward returns Σℓ and writes ℓᵢ when
// given an output; backward ACCUMULATES scale · dy[i·D] · ∂ℓᵢ (D = 1: one upstream value per
// element, D = 0: one for all).

const f32 = (a: number[]) => Float32Array.from(a);
const vals = (n: number) => fc.array(fc.float({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n });

describe('loss kernels', () => {
  it('forward writes each element and returns their sum; backward accumulates into existing gradients', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 9 }).chain((n) => fc.tuple(vals(n), vals(n), vals(n))), ([x, y, g]) => {
      const N = x.length;
      const inp = f32(x), target = f32(y), dy = f32(g);
      const cases: [string, (o: Float32Array | null) => number, (di: Float32Array, dt: Float32Array, D: number) => void, (a: number, b: number) => [number, number, number]][] = [
        ['mse', (o) => K.mseForward(o, inp, target, N), (di, dt, D) => K.mseBackward(di, dt, dy, D, 0.5, inp, target, N),
          (a, b) => [(a - b) ** 2, 2 * (a - b), -2 * (a - b)]],
        ['huber', (o) => K.huberForward(o, inp, target, 1.5, N), (di, dt, D) => K.huberBackward(di, dt, dy, D, 0.5, inp, target, 1.5, N),
          (a, b) => { const d = a - b; const c = Math.max(-1.5, Math.min(1.5, d)); return [Math.abs(d) < 1.5 ? d * d / 2 : 1.5 * (Math.abs(d) - 0.75), c, -c]; }],
      ];
      for (const [name, fwd, bwd, ref] of cases) {
        const out = new Float32Array(N);
        const total = fwd(out);
        let sum = 0;
        for (let i = 0; i < N; i++) {
          const [l] = ref(x[i], y[i]);
          expect(out[i], `${name} ℓ[${i}]`).toBeCloseTo(l, 4);
          sum += l;
        }
        expect(total, `${name} Σℓ`).toBeCloseTo(sum, 3);
        expect(fwd(null)).toBe(total);
        for (const D of [0, 1]) {
          const di = new Float32Array(N).fill(1), dt = new Float32Array(N).fill(-1);
          bwd(di, dt, D);
          for (let i = 0; i < N; i++) {
            const [, gx, gy] = ref(x[i], y[i]);
            const up = 0.5 * (D === 1 ? g[i] : g[0]);
            expect(di[i], `${name} dinp[${i}] D=${D}`).toBeCloseTo(1 + up * gx, 3);
            expect(dt[i], `${name} dtarget[${i}] D=${D}`).toBeCloseTo(-1 + up * gy, 3);
          }
        }
      }
    }), { numRuns: 40 });
  });

  it('nll picks the target class of each [O, C, I] item, skips ignored ones and writes their weights', () => {
    // inp [O=1, C=3, I=2]; targets per item i: 2 and ignored.
    const inp = f32([-1, -2, -3, -4, -5, -6]);
    const target = new Int32Array([2, -100]);
    const wt = new Float32Array(2), out = new Float32Array(2);
    const w = f32([1, 1, 3]);
    expect(K.nllForward(out, wt, inp, target, w, -100, 1, 3, 2)).toBe(15);
    expect(Array.from(out)).toEqual([15, 0]);
    expect(Array.from(wt)).toEqual([3, 0]);
    const dinp = new Float32Array(6).fill(1);
    K.nllBackward(dinp, f32([2]), 0, 0.5, target, w, -100, 1, 3, 2);
    expect(Array.from(dinp)).toEqual([1, 1, 1, 1, -2, 1]);
  });

  it('firstOutside finds the first value outside [lo, hi], letting NaN through; sum64 sums in float64', () => {
    expect(K.firstOutside(f32([0, 1, NaN, 0.5]), 0, 1, 4)).toBe(-1);
    expect(K.firstOutside(f32([0, 2, -1]), 0, 1, 3)).toBe(1);
    expect(K.firstOutside(f32([0, 2, -1]), 0, 1, 1)).toBe(-1);
    const a = new Float32Array(1 << 12).fill(0.1);
    expect(K.sum64(a, a.length)).toBeCloseTo(a.length * Math.fround(0.1), 9);
  });
});
