import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as tk from '../../src/tensor/index';
import { ArgumentError, Generator, ShapeError, Tensor, tensor } from '../../src/tensor/index';
import { expectClose, expectGrad, randDistinct, randT, unravel } from '../helpers/check';

/** A shape of 1–4 dims (sizes 1–5) and a random subset of its axes (maybe empty = all). */
const shapeAndAxes = fc
  .array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 })
  .chain((shape) => fc.tuple(fc.constant(shape), fc.subarray(shape.map((_, i) => i)), fc.boolean(), fc.integer()));

/** Float64 reference: groups the elements of x by output position and applies `f` to each group. */
function refReduce(x: Tensor, axes: number[], keepDims: boolean, f: (vals: number[]) => number): { shape: number[]; data: number[] } {
  const all = axes.length === 0 ? x.shape.map((_, i) => i) : axes;
  const red = new Set(all);
  const outFull = x.shape.map((d, i) => (red.has(i) ? 1 : d));
  const groups = new Map<number, number[]>();
  for (let k = 0; k < x.size; k++) {
    const idx = unravel(k, x.shape);
    let o = 0;
    for (let d = 0; d < idx.length; d++) o = o * outFull[d] + (red.has(d) ? 0 : idx[d]);
    if (!groups.has(o)) groups.set(o, []);
    groups.get(o)!.push(x.data[k]);
  }
  const n = outFull.reduce((p, q) => p * q, 1);
  const data = Array.from({ length: n }, (_, o) => f(groups.get(o)!));
  const shape = keepDims ? outFull : x.shape.filter((_, i) => !red.has(i));
  return { shape, data };
}

const sum64 = (v: number[]) => v.reduce((p, q) => p + q, 0);
const mean64 = (v: number[]) => sum64(v) / v.length;
const var64 = (c: number) => (v: number[]) => {
  const m = mean64(v);
  return v.reduce((p, q) => p + (q - m) ** 2, 0) / (v.length - c);
};

const cases: [string, (x: Tensor, o: tk.ReduceOptions) => Tensor, (v: number[]) => number][] = [
  ['sum', tk.sum, sum64],
  ['mean', tk.mean, mean64],
  ['max', tk.max, (v) => Math.max(...v)],
  ['min', tk.min, (v) => Math.min(...v)],
  ['var', (x, o) => tk.variance(x, o), var64(1)],
  ['std(correction 0)', (x, o) => tk.std(x, { ...o, correction: 0 }), (v) => Math.sqrt(var64(0)(v))],
  ['logSumExp', tk.logSumExp, (v) => { const m = Math.max(...v); return m + Math.log(sum64(v.map((q) => Math.exp(q - m)))); }],
  ['norm', tk.norm, (v) => Math.sqrt(sum64(v.map((q) => q * q)))],
  ['norm p=1', (x, o) => tk.norm(x, { ...o, p: 1 }), (v) => sum64(v.map(Math.abs))],
  ['norm p=Inf', (x, o) => tk.norm(x, { ...o, p: Infinity }), (v) => Math.max(...v.map(Math.abs))],
];

describe('reductions', () => {
  for (const [name, op, ref] of cases) {
    it(`${name} over any axis set matches a float64 reference, with and without keepDims`, () => {
      fc.assert(
        fc.property(shapeAndAxes, ([shape, axes, keepDims, seed]) => {
          const x = randT(shape, new Generator(seed));
          const size = axes.length === 0 ? x.size : axes.reduce((p, a) => p * shape[a], 1);
          if (name === 'var' && size < 2) return;
          const y = op(x, { axis: axes.length === 0 ? undefined : axes, keepDims });
          const r = refReduce(x, axes, keepDims, ref);
          expect(y.shape).toEqual(r.shape);
          expectClose(y.data, r.data, 1e-5, 1e-4);
        }),
        { numRuns: 40 },
      );
    });

    it(`${name} gradient in a random direction`, () => {
      fc.assert(
        fc.property(shapeAndAxes, ([shape, axes, keepDims, seed]) => {
          const x0 = randT(shape, new Generator(seed));
          const size = axes.length === 0 ? x0.size : axes.reduce((p, a) => p * shape[a], 1);
          if ((name.startsWith('var') || name.startsWith('std')) && size < 2) return;
          // max, min and the ∞-norm have kinks at ties: sample values with no near-ties.
          const kinked = name === 'max' || name === 'min' || name === 'norm p=Inf';
          const x = kinked ? randDistinct(shape, new Generator(seed)) : x0;
          expectGrad((t) => op(t, { axis: axes.length === 0 ? undefined : axes, keepDims }), [x]);
        }),
        { numRuns: 15 },
      );
    });
  }

  it('max/min ties split the gradient evenly (torch.amax); argmax picks the first', () => {
    const x = tensor([[3, 1, 3], [2, 2, 2]], undefined, { requiresGrad: true });
    tk.max(x, { axis: 1 }).backward(tensor([1, 6]));
    expect(Array.from(x.grad!)).toEqual([0.5, 0, 0.5, 2, 2, 2]);
    expect(tk.argmax(x, { axis: 1 }).toArray()).toEqual([0, 0]);
    expect(tk.argmin(tensor([[3, 1, 3], [2, 0, 0]]), { axis: 1, keepDims: true }).tolist()).toEqual([[1], [1]]);
    expect(tk.argmax(tensor([[1, 9], [8, 2]])).item()).toBe(1);
  });

  it('sums accumulate in float64: 1e6 copies of 0.1 sum to 100000 within float32 rounding', () => {
    const y = tk.sum(tk.full([1_000_000], 0.1));
    // Float32(0.1) = 0.100000001490116…, times 1e6 = 100000.0015; a float32 running sum would drift by ~1%.
    expectClose([y.item()], [100000.0015], 0, 1e-7);
    expectClose(tk.mean(tk.full([1000, 1000], 0.1), { axis: 0 }).data.subarray(0, 3), [0.1, 0.1, 0.1], 0, 1e-6);
  });

  it('variance is exact on data with mean 1e4 and std 1e-2 (two-pass)', () => {
    // Values 1e4 ± 0.01 alternate: population variance is exactly 1e-4 (up to float32 rounding of the data).
    const n = 1000;
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = 1e4 + (i % 2 === 0 ? 0.01 : -0.01);
    const x = new Tensor(d, [n]);
    let m = 0;
    for (let i = 0; i < n; i++) m += d[i];
    m /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (d[i] - m) ** 2;
    expectClose([tk.variance(x, { correction: 0 }).item()], [ss / n], 0, 1e-5);
    expectClose([tk.std(x, { correction: 0 }).item()], [Math.sqrt(ss / n)], 0, 1e-5);
  });

  it('logSumExp stays finite for inputs up to ±1e4', () => {
    expect(tk.logSumExp(tensor([1e4, 1e4])).item()).toBeCloseTo(1e4 + Math.log(2), 2);
    expect(tk.logSumExp(tensor([-1e4, -1e4])).item()).toBeCloseTo(-1e4 + Math.log(2), 2);
    expect(tk.logSumExp(tensor([-1e4, 1e4])).item()).toBe(1e4);
    expect(tk.logSumExp(tensor([-Infinity, -Infinity])).item()).toBe(-Infinity);
  });

  it('sum over an empty axis is 0 and mean is NaN; max over nothing is an error', () => {
    expect(tk.sum(tk.zeros([2, 0]), { axis: 1 }).toArray()).toEqual([0, 0]);
    expect(Number.isNaN(tk.mean(tk.zeros([0])).item())).toBe(true);
    expect(() => tk.max(tk.zeros([0]))).toThrow(ShapeError);
  });

  it('bad axes name the op, the axis and the shape', () => {
    const x = tk.zeros([2, 3]);
    expect(() => tk.sum(x, { axis: 2 })).toThrow(/sum: axis 2 is out of range \[-2, 1\] for a tensor of shape \[2, 3\]/);
    expect(() => tk.sum(x, { axis: [0, -2] })).toThrow(ArgumentError);
    expect(() => tk.mean(x, { axis: 0.5 })).toThrow(ArgumentError);
    expect(() => tk.variance(x, { correction: -1 })).toThrow(/correction/);
    expect(() => tk.norm(x, { p: 3 })).toThrow(/p must be 1, 2 or Infinity/);
  });
});

describe('reduction options are checked', () => {
  const x = tensor([[1, 2], [3, 4]]);
  it('unknown keys (keepdims, dim) and wrong types throw instead of being ignored', () => {
    expect(() => tk.sum(x, { keepdims: true } as never)).toThrow("sum: unknown option 'keepdims' (did you mean 'keepDims'?); sum takes axis, keepDims");
    expect(() => tk.mean(x, { dim: 1 } as never)).toThrow("mean: unknown option 'dim'; mean takes axis, keepDims");
    expect(() => tk.max(x, { axis: 0, keepDims: 1 } as never)).toThrow('max: keepDims must be a boolean, got 1');
    expect(() => tk.sum(x, { axis: '0' } as never)).toThrow('sum: axis must be an integer or an array of integers, got "0"');
    expect(() => tk.variance(x, { correction: -1 })).toThrow('var: correction must be a finite number ≥ 0, got -1');
    expect(() => tk.std(x, { ddof: 1 } as never)).toThrow(/std: unknown option 'ddof'/);
    expect(() => tk.norm(x, { p: 3 })).toThrow('norm: p must be 1, 2 or Infinity, got 3');
    expect(() => tk.argmax(x, { axis: 0, keepdim: true } as never)).toThrow("argmax: unknown option 'keepdim' (did you mean 'keepDims'?)");
    expect(() => tk.logSumExp(x, 'rows' as never)).toThrow('logSumExp: options must be an object, got "rows"');
  });
  it('the checked options still reduce as before', () => {
    expect(tk.sum(x, { axis: 1, keepDims: true }).tolist()).toEqual([[3], [7]]);
    expect(tk.std(x, { axis: 0, correction: 0 }).toArray()).toEqual([1, 1]);
  });
});
