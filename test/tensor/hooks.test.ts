import { describe, expect, it } from 'vitest';
import {
  ArgumentError, Generator, ShapeError, Tensor, isGradEnabled, mul, add, sum, tanh, tensor, type RemovableHandle,
} from '../../src/tensor/index';
import { expectClose, randT } from '../helpers/check';

const leaf = (shape: number[], rng: Generator): Tensor => {
  const t = randT(shape, rng);
  t.requiresGrad = true;
  return t;
};

/** Element-wise product of two Float32Arrays as a plain number[] (the expected gradients). */
const times = (a: ArrayLike<number>, b: ArrayLike<number>): number[] => Array.from(a, (v, i) => v * b[i]);

describe('Tensor.registerHook: hooks on gradients', () => {
  it('a leaf hook sees the gradient of this backward pass before it is added to grad, and may replace it', () => {
    const rng = new Generator(1);
    const w = leaf([5], rng);
    const c = randT([5], rng);
    const u = randT([5], rng).data;
    // First pass without a hook: w.grad = u ⊙ c.
    mul(w, c).backward(u);
    const first = Array.from(w.grad as Float32Array);
    expectClose(first, times(u, c.data));
    const seen: number[][] = [];
    w.registerHook((g) => {
      seen.push(g.toArray());
      expect(g.shape).toEqual([5]);
      expect(g.requiresGrad).toBe(false);
      return mul(g, 2);
    });
    // Second pass: the hook sees only this pass's u ⊙ c (not the sum with the first), returns 2·u ⊙ c,
    // and grad accumulates it: u ⊙ c + 2·u ⊙ c.
    mul(w, c).backward(u);
    expect(seen).toHaveLength(1);
    expectClose(seen[0], times(u, c.data));
    expectClose(w.grad as Float32Array, times(u, c.data).map((v) => 3 * v));
  });

  it('an intermediate hook runs on the complete gradient before its node backward, so a replacement reaches the inputs', () => {
    const rng = new Generator(2);
    const x = leaf([4], rng);
    const c = randT([4], rng);
    const u = randT([4], rng).data;
    const h = tanh(x);
    let seen: number[] = [];
    h.registerHook((g) => {
      seen = g.toArray();
      return g.data.map((v) => -v);
    });
    mul(h, c).backward(u);
    // dL/dh = u ⊙ c; the hook negates it, and tanh's backward multiplies by 1 − h².
    expectClose(seen, times(u, c.data));
    const expected = Array.from(h.data, (hv, i) => -u[i] * c.data[i] * (1 - hv * hv));
    expectClose(x.grad as Float32Array, expected, 1e-6);
  });

  it('a tensor used twice: the hook is called once, with the sum of both uses', () => {
    const rng = new Generator(3);
    const x = leaf([3], rng);
    const a = randT([3], rng), b = randT([3], rng);
    const u = randT([3], rng).data;
    const h = mul(x, 1);
    const calls: number[][] = [];
    h.registerHook((g) => void calls.push(g.toArray()));
    const xCalls: number[][] = [];
    x.registerHook((g) => void xCalls.push(g.toArray()));
    add(mul(h, a), mul(h, b)).backward(u);
    const both = Array.from(u, (v, i) => v * (a.data[i] + b.data[i]));
    expect(calls).toHaveLength(1);
    expectClose(calls[0], both);
    // x feeds only mul(x, 1): one call, with the same gradient (d(x·1)/dx = 1).
    expect(xCalls).toHaveLength(1);
    expectClose(x.grad as Float32Array, both);
  });

  it('a leaf used twice gets one hook call with the summed gradient', () => {
    const rng = new Generator(4);
    const x = leaf([3], rng);
    const a = randT([3], rng), b = randT([3], rng);
    const u = randT([3], rng).data;
    const calls: number[][] = [];
    x.registerHook((g) => void calls.push(g.toArray()));
    add(mul(x, a), mul(x, b)).backward(u);
    expect(calls).toHaveLength(1);
    expectClose(calls[0], Array.from(u, (v, i) => v * (a.data[i] + b.data[i])));
  });

  it('hooks run in registration order, each on the previous result; removal stops a hook and is idempotent', () => {
    const rng = new Generator(5);
    const x = leaf([4], rng);
    const u = randT([4], rng).data;
    const order: string[] = [];
    const h1 = x.registerHook((g) => {
      order.push('first');
      return add(g, 1);
    });
    const h2: RemovableHandle = x.registerHook((g) => {
      order.push('second');
      return mul(g, 3);
    });
    mul(x, 1).backward(u);
    expect(order).toEqual(['first', 'second']);
    expectClose(x.grad as Float32Array, Array.from(u, (v) => 3 * (v + 1)));
    h1.remove();
    h1.remove();
    x.zeroGrad();
    mul(x, 1).backward(u);
    expectClose(x.grad as Float32Array, Array.from(u, (v) => 3 * v));
    h2.remove();
    x.zeroGrad();
    mul(x, 1).backward(u);
    expectClose(x.grad as Float32Array, u);
    expect(x.hooks).toBe(null);
  });

  it('a hook that removes itself still runs the others of this pass', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const calls: string[] = [];
    const h: RemovableHandle = x.registerHook(() => {
      calls.push('a');
      h.remove();
    });
    x.registerHook(() => void calls.push('b'));
    sum(x).backward();
    sum(x).backward();
    expect(calls).toEqual(['a', 'b', 'b']);
  });

  it('the root hook sees the seed; retainGrad keeps the gradient after the hooks; hooks run with grad off', () => {
    const rng = new Generator(6);
    const x = leaf([3], rng);
    const u = randT([3], rng).data;
    const y = mul(x, 2).retainGrad();
    let enabled = true;
    y.registerHook((g) => {
      enabled = isGradEnabled();
      expectClose(g.data, u);
      return mul(g, 10);
    });
    y.backward(u);
    expect(enabled).toBe(false);
    expectClose(y.grad as Float32Array, Array.from(u, (v) => 10 * v));
    expectClose(x.grad as Float32Array, Array.from(u, (v) => 20 * v), 1e-5);
  });

  it('a hook on a leaf that is itself the root', () => {
    const x = tensor([3], undefined, { requiresGrad: true });
    x.registerHook((g) => mul(g, 5));
    x.backward();
    expect(Array.from(x.grad as Float32Array)).toEqual([5]);
  });

  it('a Float32Array replacement is copied, so later passes do not write into the hook\'s buffer', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const mine = new Float32Array([7, 8]);
    const h = x.registerHook(() => mine);
    sum(x).backward();
    h.remove();
    sum(x).backward();
    expect(Array.from(x.grad as Float32Array)).toEqual([8, 9]);
    expect(Array.from(mine)).toEqual([7, 8]);
  });

  it('refuses bad hooks and bad replacements with typed errors', () => {
    const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
    expect(() => tensor([1]).registerHook(() => {})).toThrow(/registerHook: the tensor \[1\] does not require grad/);
    expect(() => x.registerHook(42 as unknown as () => void)).toThrow(ArgumentError);
    const h = x.registerHook(() => new Float32Array(2));
    expect(() => sum(x).backward()).toThrow(ShapeError);
    expect(() => sum(x).backward()).toThrow('registerHook: a hook returned a gradient of 2 elements for a tensor [3] of 3');
    h.remove();
    // A failing leaf hook keeps the gradient accumulated before it (of this leaf and of the others).
    const y = tensor([1, 2], undefined, { requiresGrad: true });
    sum(add(x, 0)).backward();
    sum(y).backward();
    const bad = y.registerHook(() => new Float32Array(5));
    x.registerHook(() => {});
    expect(() => sum(add(mul(x, 2), sum(y))).backward()).toThrow(ShapeError);
    expect(Array.from(y.grad as Float32Array)).toEqual([1, 1]);
    expect(Array.from(x.grad as Float32Array)).toEqual([1, 1, 1]);
    bad.remove();
    x.registerHook(() => 'nope' as unknown as Float32Array);
    expect(() => sum(x).backward()).toThrow('registerHook: a hook must return a Tensor, a Float32Array or nothing, got "nope"');
  });
});
