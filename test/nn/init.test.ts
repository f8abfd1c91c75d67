import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { init } from '../../src/nn/index';
import { ArgumentError, Generator, Parameter, Tensor, manualSeed, zeros } from '../../src/tensor/index';
import { expectClose } from '../helpers/check';

interface FanCase {
  shape: number[];
  fanIn: number;
  fanOut: number;
}
interface GainCase {
  nonlinearity: init.Nonlinearity;
  param: number | null;
  gain: number;
}
const fixture = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/losses.json'), 'utf8')) as {
  init: { fans: FanCase[]; gains: GainCase[] };
};

/** Sample mean, population std, min and max (float64). */
function stats(d: Float32Array): { mean: number; std: number; min: number; max: number } {
  let s = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < d.length; i++) {
    s += d[i];
    if (d[i] < min) min = d[i];
    if (d[i] > max) max = d[i];
  }
  const mean = s / d.length;
  let v = 0;
  for (let i = 0; i < d.length; i++) v += (d[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / d.length), min, max };
}

/**
 * Checks samples against a distribution with mean μ and std σ: the mean within 5 standard errors
 * (σ/√n) and the std within 2% (its relative standard error is about 1/√(2n) < 0.3% here).
 */
function expectMoments(d: Float32Array, mu: number, sigma: number): void {
  const s = stats(d);
  expect(Math.abs(s.mean - mu), `mean ${s.mean} vs ${mu}`).toBeLessThan((5 * sigma) / Math.sqrt(d.length));
  expect(Math.abs(s.std / sigma - 1), `std ${s.std} vs ${sigma}`).toBeLessThan(0.02);
}

/** aᵀa for a row-major [R, K] matrix: a [K, K] Gram matrix of its columns. */
function gramCols(a: Float32Array, R: number, K: number): number[] {
  const g = new Array<number>(K * K).fill(0);
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) for (let r = 0; r < R; r++) g[i * K + j] += a[r * K + i] * a[r * K + j];
  return g;
}

/** a·aᵀ for a row-major [R, K] matrix: the Gram matrix of its rows. */
function gramRows(a: Float32Array, R: number, K: number): number[] {
  const g = new Array<number>(R * R).fill(0);
  for (let i = 0; i < R; i++) for (let j = 0; j < R; j++) for (let k = 0; k < K; k++) g[i * R + j] += a[i * K + k] * a[j * K + k];
  return g;
}

function eyeTimes(n: number, s: number): number[] {
  const e = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) e[i * n + i] = s;
  return e;
}

describe('init.fans', () => {
  it("matches PyTorch's _calculate_fan_in_and_fan_out for Linear and Conv1d/2d/3d shapes", () => {
    expect(fixture.init.fans.length).toBeGreaterThan(4);
    for (const c of fixture.init.fans) expect(init.fans(zeros(c.shape)), JSON.stringify(c.shape)).toEqual({ fanIn: c.fanIn, fanOut: c.fanOut });
  });

  it('by the formula: Conv2d [OC, C, KH, KW] → fanIn = C·KH·KW, fanOut = OC·KH·KW', () => {
    expect(init.fans(zeros([8, 4, 3, 5]))).toEqual({ fanIn: 4 * 15, fanOut: 8 * 15 });
  });

  it('throws for fewer than 2 dimensions, naming the shape', () => {
    expect(() => init.fans(zeros([5]))).toThrow(ArgumentError);
    expect(() => init.fans(zeros([5]))).toThrow('[5]');
  });
});

describe('init.calculateGain', () => {
  it("matches PyTorch's calculate_gain", () => {
    for (const c of fixture.init.gains) {
      expect(init.calculateGain(c.nonlinearity, c.param ?? undefined), `${c.nonlinearity}(${c.param})`).toBeCloseTo(c.gain, 14);
    }
  });

  it('leaky_relu: √(2 / (1 + slope²)), slope 0.01 by default; slope √5 gives √(1/3)', () => {
    expect(init.calculateGain('leaky_relu')).toBe(Math.sqrt(2 / (1 + 0.0001)));
    expect(init.calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
  });

  it('throws for an unknown nonlinearity or a bad slope', () => {
    expect(() => init.calculateGain('swish' as never)).toThrow(ArgumentError);
    expect(() => init.calculateGain('leaky_relu', 'x' as never)).toThrow(ArgumentError);
    expect(() => init.calculateGain('leaky_relu', NaN)).toThrow(ArgumentError);
  });
});

describe('random initializers: moments and bounds of 60,000+ seeded samples match the formulas', () => {
  it('uniform(t, −2, 3): mean ½, std 5/√12, within [−2, 3); the same stream as Generator.uniform', () => {
    const t = init.uniform(zeros([300, 200]), -2, 3, { rng: new Generator(1) });
    expectMoments(t.data, 0.5, 5 / Math.sqrt(12));
    const s = stats(t.data);
    expect(s.min).toBeGreaterThanOrEqual(-2);
    expect(s.max).toBeLessThan(3);
    expect(s.min).toBeLessThan(-1.99);
    expect(s.max).toBeGreaterThan(2.99);
    const g = new Generator(1);
    for (let i = 0; i < 10; i++) expect(t.data[i]).toBe(Math.fround(g.uniform(-2, 3)));
  });

  it('normal(t, 1, 2): mean 1, std 2; the same stream as Generator.normal', () => {
    const t = init.normal(zeros([300, 200]), 1, 2, { rng: new Generator(2) });
    expectMoments(t.data, 1, 2);
    const g = new Generator(2);
    for (let i = 0; i < 10; i++) expect(t.data[i]).toBe(Math.fround(g.normal(1, 2)));
  });

  it('xavierUniform: U(−a, a), a = gain·√(6 / (fanIn + fanOut))', () => {
    // [200, 300]: a = √(6/500); std a/√3 = √(2/500)
    for (const gain of [1, 2]) {
      const t = init.xavierUniform(zeros([200, 300]), { gain, rng: new Generator(3) });
      const a = gain * Math.sqrt(6 / 500);
      const s = stats(t.data);
      expect(s.max).toBeLessThanOrEqual(a);
      expect(s.min).toBeGreaterThanOrEqual(-a);
      expect(s.max).toBeGreaterThan(0.999 * a);
      expectMoments(t.data, 0, a / Math.sqrt(3));
    }
  });

  it('xavierNormal: N(0, σ²), σ = gain·√(2 / (fanIn + fanOut)) (conv shape)', () => {
    // [64, 32, 3, 3]: fanIn 288, fanOut 576
    const t = init.xavierNormal(zeros([64, 32, 3, 3]), { gain: 5 / 3, rng: new Generator(4) });
    expectMoments(t.data, 0, (5 / 3) * Math.sqrt(2 / (288 + 576)));
  });

  it('kaimingUniform: U(−b, b), b = gain·√(3 / fan); a = √5 gives PyTorch’s Linear/Conv default 1/√fanIn', () => {
    // [128, 64, 3, 3]: fanIn 576, fanOut 1152; default leaky_relu with a = 0 → gain √2
    const shape = [128, 64, 3, 3];
    const t = init.kaimingUniform(zeros(shape), { rng: new Generator(5) });
    const b = Math.sqrt(2) * Math.sqrt(3 / 576);
    let s = stats(t.data);
    expect(s.max).toBeLessThanOrEqual(b);
    expect(s.min).toBeGreaterThanOrEqual(-b);
    expect(s.max).toBeGreaterThan(0.999 * b);
    expectMoments(t.data, 0, b / Math.sqrt(3));
    const d = init.kaimingUniform(zeros(shape), { a: Math.sqrt(5), rng: new Generator(6) });
    s = stats(d.data);
    expect(s.max).toBeLessThanOrEqual(1 / Math.sqrt(576));
    expect(s.max).toBeGreaterThan(0.999 / Math.sqrt(576));
    const f = init.kaimingUniform(zeros(shape), { mode: 'fanOut', nonlinearity: 'tanh', rng: new Generator(7) });
    expectMoments(f.data, 0, ((5 / 3) * Math.sqrt(3 / 1152)) / Math.sqrt(3));
  });

  it('kaimingNormal: N(0, σ²), σ = gain / √fan', () => {
    const t = init.kaimingNormal(zeros([300, 250]), { rng: new Generator(8) });
    expectMoments(t.data, 0, Math.sqrt(2) / Math.sqrt(250));
    const o = init.kaimingNormal(zeros([300, 250]), { mode: 'fanOut', nonlinearity: 'leaky_relu', a: 0.2, rng: new Generator(9) });
    expectMoments(o.data, 0, Math.sqrt(2 / 1.04) / Math.sqrt(300));
  });

  it("kaiming rejects an unknown mode (a PyTorch spelling such as 'fan_in' used to pick fanOut silently)", () => {
    expect(() => init.kaimingUniform(zeros([4, 4]), { mode: 'fan_in' as never })).toThrow(ArgumentError);
    expect(() => init.kaimingNormal(zeros([4, 4]), { mode: 'fanout' as never })).toThrow("mode must be one of 'fanIn', 'fanOut', got \"fanout\" (did you mean 'fanOut'?)");
  });

  it('options are validated like every other options object: unknown keys, wrong types, primitives', () => {
    expect(() => init.xavierUniform(zeros([4, 4]), { gian: 2 } as never)).toThrow(/xavierUniform: unknown option 'gian' \(did you mean 'gain'\?\)/);
    expect(() => init.uniform(zeros([2]), 0, 1, { rng: 7 as never })).toThrow(/uniform: rng must be a Generator/);
    expect(() => init.kaimingUniform(zeros([4, 4]), { nonlinearity: 'Relu' as never })).toThrow(/did you mean 'relu'/);
    expect(() => init.normal(zeros([2]), 0, 1, 5 as never)).toThrow(/normal: options must be an object, got 5/);
    expect(() => init.orthogonal(zeros([2, 2]), { gain: NaN })).toThrow(/orthogonal: gain must be a finite number, got NaN/);
    expect(() => init.calculateGain('swish' as never)).toThrow(/calculateGain: nonlinearity must be one of/);
  });
});

describe('init.orthogonal', () => {
  it('tall: WᵀW = I; wide: WWᵀ = I; square: both; conv shapes on their [rows, Π rest] view', () => {
    const rng = new Generator(10);
    for (const [shape, R, K] of [[[8, 5], 8, 5], [[3, 7], 3, 7], [[6, 6], 6, 6], [[4, 2, 3], 4, 6], [[12, 2, 2], 12, 4], [[1, 9], 1, 9], [[9, 1], 9, 1]] as [number[], number, number][]) {
      const w = init.orthogonal(zeros(shape), { rng });
      if (R >= K) expectClose(gramCols(w.data, R, K), eyeTimes(K, 1), 1e-5, 0);
      if (R <= K) expectClose(gramRows(w.data, R, K), eyeTimes(R, 1), 1e-5, 0);
    }
  });

  it('gain scales: WᵀW = gain²·I', () => {
    const w = init.orthogonal(zeros([10, 4]), { gain: 2, rng: new Generator(11) });
    expectClose(gramCols(w.data, 10, 4), eyeTimes(4, 4), 1e-5, 0);
  });

  it('an empty tensor is returned as is; fewer than 2 dimensions throw', () => {
    expect(init.orthogonal(zeros([0, 3])).shape).toEqual([0, 3]);
    expect(() => init.orthogonal(zeros([3]))).toThrow(ArgumentError);
  });

  it('the sign correction makes the distribution symmetric: entry means ≈ 0 over many draws', () => {
    // Without folding in sign(diag R), Householder QR biases the first column's signs.
    const rng = new Generator(12);
    const acc = new Float64Array(12);
    const draws = 2000;
    for (let k = 0; k < draws; k++) {
      const w = init.orthogonal(zeros([4, 3]), { rng });
      for (let i = 0; i < 12; i++) acc[i] += w.data[i];
    }
    // each entry has variance 1/4 (a unit column of length 4), so its mean has std 0.5/√2000 ≈ 0.011
    for (let i = 0; i < 12; i++) expect(Math.abs(acc[i] / draws)).toBeLessThan(0.06);
  });
});

describe('seeded reproducibility and in-place fills', () => {
  const fns: [string, (t: Tensor, rng: Generator) => Tensor][] = [
    ['uniform', (t, rng) => init.uniform(t, -1, 1, { rng })],
    ['normal', (t, rng) => init.normal(t, 0, 1, { rng })],
    ['xavierUniform', (t, rng) => init.xavierUniform(t, { rng })],
    ['xavierNormal', (t, rng) => init.xavierNormal(t, { rng })],
    ['kaimingUniform', (t, rng) => init.kaimingUniform(t, { rng })],
    ['kaimingNormal', (t, rng) => init.kaimingNormal(t, { rng })],
    ['orthogonal', (t, rng) => init.orthogonal(t, { rng })],
  ];
  for (const [name, f] of fns) {
    it(`${name}: same seed → same values, another seed → different; fills in place and returns its argument`, () => {
      const t = zeros([6, 5]);
      expect(f(t, new Generator(42))).toBe(t);
      const again = f(zeros([6, 5]), new Generator(42));
      const other = f(zeros([6, 5]), new Generator(43));
      expect(Array.from(again.data)).toEqual(Array.from(t.data));
      expect(Array.from(other.data)).not.toEqual(Array.from(t.data));
    });
  }

  it('without { rng } the default generator is used, so manualSeed reproduces a run', () => {
    manualSeed(7);
    const a = init.kaimingUniform(zeros([5, 4])).data.slice();
    manualSeed(7);
    const b = init.kaimingUniform(zeros([5, 4])).data.slice();
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('zeros and ones overwrite a Parameter in place; it stays a trainable leaf', () => {
    const p = new Parameter(new Float32Array([3, 4, 5]), [3]);
    expect(init.ones(p)).toBe(p);
    expect(p.toArray()).toEqual([1, 1, 1]);
    init.zeros(p);
    expect(p.toArray()).toEqual([0, 0, 0]);
    expect(p.requiresGrad).toBe(true);
  });

  it('bad arguments throw ArgumentError', () => {
    expect(() => init.uniform(zeros([2]), 1, 0)).toThrow(ArgumentError);
    expect(() => init.uniform(zeros([2]), 0, Infinity)).toThrow(ArgumentError);
    expect(() => init.normal(zeros([2]), 0, -1)).toThrow(ArgumentError);
    expect(() => init.zeros([2] as never)).toThrow(ArgumentError);
    expect(() => init.uniform(zeros([2]), 0, 1, { rng: {} as never })).toThrow(ArgumentError);
  });
});
