import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as tk from '../../src/tensor/index';
import { Generator, Tensor, tensor } from '../../src/tensor/index';
import { expectClose, expectGrad, randPos, randT, readBroadcast, unravel } from '../helpers/check';

/** A pair of shapes that broadcast to `out`: leading dims dropped at random, others set to 1. */
const broadcastPair = fc
  .array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 4 })
  .chain((out) =>
    fc.tuple(
      fc.constant(out),
      fc.tuple(fc.nat(out.length), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length })),
      fc.tuple(fc.nat(out.length), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length })),
    ),
  )
  .map(([out, [da, ma], [db, mb]]) => {
    const mk = (drop: number, mask: boolean[]) => out.map((d, i) => (mask[i] ? 1 : d)).slice(drop);
    const a = mk(da, ma), b = mk(db, mb);
    // The expected result: aligned from the right, each dimension the larger of the two.
    const n = Math.max(a.length, b.length);
    const res = Array.from({ length: n }, (_, i) => Math.max(a[i - (n - a.length)] ?? 1, b[i - (n - b.length)] ?? 1));
    return { out: res, a, b };
  });

const binaries: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number][] = [
  ['add', tk.add, (x, y) => x + y],
  ['sub', tk.sub, (x, y) => x - y],
  ['mul', tk.mul, (x, y) => x * y],
  ['div', tk.div, (x, y) => x / y],
  ['maximum', tk.maximum, Math.max],
  ['minimum', tk.minimum, Math.min],
  ['gt', tk.gt, (x, y) => +(x > y)],
  ['le', tk.le, (x, y) => +(x <= y)],
  ['eq', tk.eq, (x, y) => +(x === y)],
];

describe('binary ops with broadcasting', () => {
  for (const [name, op, ref] of binaries) {
    it(`${name} matches a float64 reference on broadcast shapes`, () => {
      fc.assert(
        fc.property(broadcastPair, fc.integer(), ({ out, a: sa, b: sb }, seed) => {
          const rng = new Generator(seed);
          const a = randT(sa, rng);
          const b = name === 'div' ? randPos(sb, rng) : randT(sb, rng);
          const y = op(a, b);
          expect(y.shape).toEqual(out);
          const expected = new Float64Array(y.size);
          for (let k = 0; k < y.size; k++) {
            const idx = unravel(k, out);
            expected[k] = ref(readBroadcast(a, idx), readBroadcast(b, idx));
          }
          expectClose(y.data, expected, 1e-6, 1e-6);
        }),
        { numRuns: 40 },
      );
    });
  }

  it('broadcasting equals explicit tiling', () => {
    const rng = new Generator(1);
    const a = randT([3, 1, 4], rng), b = randT([5, 1], rng);
    const direct = tk.mul(a, b);
    const tiled = tk.mul(tk.expand(a, [3, 5, 4]), tk.expand(b, [3, 5, 4]));
    expect(direct.toArray()).toEqual(tiled.toArray());
  });

  it('pow matches Math.pow, including 0^0 = 1 and negative bases with integer exponents', () => {
    const y = tk.pow(tensor([0, 2, -2, 4, -8]), tensor([0, 3, 2, 0.5, 1 / 3]));
    expectClose(y.data, [1, 8, 4, 2, NaN]);
  });

  it('accepts numbers and arrays as operands', () => {
    expect(tk.add(tensor([1, 2]), 1).toArray()).toEqual([2, 3]);
    expect(tk.sub(10, tensor([1, 2])).toArray()).toEqual([9, 8]);
    expect(tk.mul([1, 2], tensor([[1], [2]])).tolist()).toEqual([[1, 2], [2, 4]]);
  });

  for (const [name, op] of [['add', tk.add], ['sub', tk.sub], ['mul', tk.mul], ['div', tk.div], ['pow', tk.pow]] as const) {
    it(`${name} gradient in a random direction, with broadcasting on both sides`, () => {
      fc.assert(
        fc.property(broadcastPair, fc.integer(), ({ a: sa, b: sb }, seed) => {
          const rng = new Generator(seed);
          const a = name === 'pow' ? randPos(sa, rng) : randT(sa, rng);
          const b = name === 'div' ? randPos(sb, rng) : randT(sb, rng);
          expectGrad(op, [a, b]);
        }),
        { numRuns: 15 },
      );
    });
  }

  it('maximum/minimum gradients away from ties, and split ½–½ exactly at ties', () => {
    const rng = new Generator(3);
    const a = randT([4, 3], rng);
    const b = tk.add(a, randT([3], rng, { awayFrom: 0 }));
    expectGrad(tk.maximum, [a, b]);
    expectGrad(tk.minimum, [a, b]);
    // Tie: d max(x, y)/dx = d/dy = ½ at x = y (PyTorch's convention).
    const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
    const y = tensor([1, 0, 5], undefined, { requiresGrad: true });
    tk.maximum(x, y).sum().backward();
    expect(Array.from(x.grad!)).toEqual([0.5, 1, 0]);
    expect(Array.from(y.grad!)).toEqual([0.5, 0, 1]);
  });

  it('where selects, broadcasts the condition, and routes gradients', () => {
    const a = tensor([[1, 2], [3, 4]], undefined, { requiresGrad: true });
    const b = tensor([9], undefined, { requiresGrad: true });
    const y = tk.where(tensor([1, 0]), a, b);
    expect(y.tolist()).toEqual([[1, 9], [3, 9]]);
    y.backward(tensor([[1, 2], [3, 4]]));
    expect(Array.from(a.grad!)).toEqual([1, 0, 3, 0]);
    expect(Array.from(b.grad!)).toEqual([6]);
  });

  it('comparisons have no gradient', () => {
    const a = tensor([1, 2], undefined, { requiresGrad: true });
    expect(tk.gt(a, 1).requiresGrad).toBe(false);
  });
});

const unaries: [string, (x: Tensor) => Tensor, (v: number) => number, 'any' | 'pos' | 'kink0'][] = [
  ['neg', tk.neg, (v) => -v, 'any'],
  ['abs', tk.abs, Math.abs, 'kink0'],
  ['exp', tk.exp, Math.exp, 'any'],
  ['log', tk.log, Math.log, 'pos'],
  ['log1p', tk.log1p, Math.log1p, 'pos'],
  ['sqrt', tk.sqrt, Math.sqrt, 'pos'],
  ['rsqrt', tk.rsqrt, (v) => 1 / Math.sqrt(v), 'pos'],
  ['square', tk.square, (v) => v * v, 'any'],
  ['sin', tk.sin, Math.sin, 'any'],
  ['cos', tk.cos, Math.cos, 'any'],
  ['tanh', tk.tanh, Math.tanh, 'any'],
  ['sigmoid', tk.sigmoid, (v) => 1 / (1 + Math.exp(-v)), 'any'],
  ['relu', tk.relu, (v) => Math.max(v, 0), 'kink0'],
  ['leakyRelu', (x) => tk.leakyRelu(x, 0.1), (v) => (v > 0 ? v : 0.1 * v), 'kink0'],
  ['elu', (x) => tk.elu(x, 1.5), (v) => (v > 0 ? v : 1.5 * Math.expm1(v)), 'kink0'],
  ['gelu', tk.gelu, (v) => 0.5 * v * (1 + erf64(v / Math.SQRT2)), 'any'],
  ['geluTanh', (x) => tk.gelu(x, { approximate: 'tanh' }), (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))), 'any'],
  ['softplus', tk.softplus, (v) => Math.log1p(Math.exp(v)), 'any'],
  ['clamp', (x) => tk.clamp(x, { min: -0.5, max: 0.7 }), (v) => Math.min(Math.max(v, -0.5), 0.7), 'any'],
];

/** erf by its Maclaurin series (|x| ≤ 3) or continued fraction, accurate to ~1e-15: the float64 oracle. */
function erf64(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax, sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
      if (Math.abs(term) < 1e-17) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz) for the tail.
  let f = ax, c = ax, d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = ax + an * d;
    d = 1 / d;
    c = ax + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

describe('unary ops', () => {
  for (const [name, op, ref, domain] of unaries) {
    it(`${name}: values within 1e-5 of float64 and gradient in a random direction`, () => {
      const rng = new Generator(name.length * 7919);
      const x = domain === 'pos' ? randPos([5, 7], rng, 0.2, 3) : randT([5, 7], rng, { scale: 2, awayFrom: domain === 'kink0' ? 0 : undefined });
      const y = op(x);
      const expected = Array.from(x.data, ref);
      expectClose(y.data, expected, 1e-5, 1e-5);
      if (name === 'clamp') {
        // Keep samples off the bounds, where the gradient jumps.
        for (let i = 0; i < x.size; i++) if (Math.abs(x.data[i] + 0.5) < 0.05 || Math.abs(x.data[i] - 0.7) < 0.05) x.data[i] = 0;
      }
      expectGrad(op, [x]);
    });
  }

  it('gradients at the kinks follow PyTorch: relu′(0) = 0, |x|′(0) = 0, leakyRelu′(0) = slope, clamp passes at the bounds', () => {
    const grad = (f: (x: Tensor) => Tensor, v: number[]) => {
      const x = tensor(v, undefined, { requiresGrad: true });
      f(x).sum().backward();
      return Array.from(x.grad!);
    };
    expect(grad(tk.relu, [0, -1, 2])).toEqual([0, 0, 1]);
    expect(grad(tk.abs, [0, -1, 2])).toEqual([0, -1, 1]);
    expect(grad((x) => tk.leakyRelu(x, 0.25), [0, -1, 2])).toEqual([0.25, 0.25, 1]);
    expect(grad((x) => tk.clamp(x, { min: 0, max: 1 }), [0, 1, 2, -1])).toEqual([1, 1, 0, 0]);
    expect(grad(tk.sign, [0, 3])).toEqual([0, 0]);
  });

  it('relu and leakyRelu (branch-free kernels) on special values match PyTorch 1.13', () => {
    const x = tensor([1, -1, 0, -0, NaN, Infinity, -Infinity, 3e38, -3, 1e-45]);
    // torch.relu: NaN stays NaN; −∞ gives 0; the smallest subnormal passes unchanged. torch keeps
    // −0 where we give +0 (they compare equal).
    const r = Array.from(tk.relu(x).data);
    expect(r).toEqual([1, 0, 0, 0, NaN, Infinity, 0, Math.fround(3e38), 0, Math.fround(1e-45)]);
    expect(Array.from(tk.leakyRelu(x, 0.5).data)).toEqual([1, -0.5, 0, -0, NaN, Infinity, -Infinity, Math.fround(3e38), -1.5, Math.fround(1e-45)]);
    // Backward selects rather than multiplies, as torch's threshold_backward (x ≤ 0 → 0): a
    // non-finite upstream gradient where x ≤ 0 contributes 0, not NaN, and a NaN input passes
    // its gradient through.
    const xg = tensor([-1, 0, NaN, 2, 2, -Infinity, Infinity], undefined, { requiresGrad: true });
    tk.relu(xg).backward(tensor([Infinity, NaN, 5, -Infinity, NaN, 7, 8]));
    expect(Array.from(xg.grad!)).toEqual([0, 0, 5, -Infinity, NaN, 0, 8]);
  });

  it('sigmoid and softplus do not overflow at ±1e4', () => {
    expect(tk.sigmoid(tensor([-1e4, 1e4])).toArray()).toEqual([0, 1]);
    expect(tk.softplus(tensor([-1e4, 1e4])).toArray()).toEqual([0, 1e4]);
  });

  it('gelu defaults to the exact erf form: gelu(1) = 0.8413447', () => {
    // Φ(1) = 0.841344746…, so gelu(1) = 1·Φ(1).
    expectClose(tk.gelu(tensor([1])).data, [0.841344746], 1e-6, 0);
    expectClose(tk.gelu(tensor([1]), { approximate: 'tanh' }).data, [0.841191990], 1e-6, 0);
  });
});

describe('unary op options are checked', () => {
  const x = tensor([-1, 0, 2]);
  it('gelu, softplus, clamp, leakyRelu and elu refuse unknown keys and wrong types', () => {
    expect(() => tk.gelu(x, { approximat: 'tanh' } as never)).toThrow("gelu: unknown option 'approximat' (did you mean 'approximate'?); gelu takes approximate");
    expect(() => tk.gelu(x, { approximate: 'erf' } as never)).toThrow("gelu: approximate must be one of 'none', 'tanh', got \"erf\"");
    expect(() => tk.softplus(x, { beta: 0 })).toThrow('softplus: beta must be a finite number > 0, got 0');
    expect(() => tk.softplus(x, { Beta: 2 } as never)).toThrow("softplus: unknown option 'Beta' (did you mean 'beta'?)");
    expect(() => tk.softplus(x, { threshold: Infinity })).toThrow('softplus: threshold must be a finite number, got Infinity');
    expect(() => tk.clamp(x, { minimum: 0 } as never)).toThrow("clamp: unknown option 'minimum'; clamp takes min, max");
    expect(() => tk.clamp(x, { min: '0' } as never)).toThrow('clamp: min must be a number (not NaN), got "0"');
    expect(() => tk.leakyRelu(x, '0.1' as never)).toThrow('leakyRelu: negativeSlope must be a finite number, got "0.1"');
    expect(() => tk.elu(x, NaN)).toThrow('elu: alpha must be a finite number, got NaN');
  });
  it('±Inf bounds of clamp are accepted (no bound on that side)', () => {
    expect(tk.clamp(x, { min: -Infinity, max: 1 }).toArray()).toEqual([-1, 0, 1]);
  });
});
