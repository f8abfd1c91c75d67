import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as tk from '../../src/tensor/index';
import { ArgumentError, Generator, ShapeError, Tensor, arange, tensor, zeros } from '../../src/tensor/index';
import { expectGrad, randT, stridesOf, unravel } from '../helpers/check';

const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 });

describe('views', () => {
  it('reshape, flatten, squeeze and unsqueeze share the buffer', () => {
    const x = arange(6);
    const v = tk.reshape(x, [2, -1]);
    expect(v.shape).toEqual([2, 3]);
    expect(v.data).toBe(x.data);
    expect(tk.flatten(zeros([2, 3, 4]), 1).shape).toEqual([2, 12]);
    expect(tk.flatten(zeros([2, 3, 4]), 0, 1).shape).toEqual([6, 4]);
    expect(tk.squeeze(zeros([1, 3, 1])).shape).toEqual([3]);
    expect(tk.squeeze(zeros([1, 3, 1]), -1).shape).toEqual([1, 3]);
    expect(tk.unsqueeze(zeros([3]), -1).shape).toEqual([3, 1]);
    expect(tk.unsqueeze(x, 0).data).toBe(x.data);
  });

  it('view gradients flow straight through', () => {
    const rng = new Generator(1);
    expectGrad((x) => tk.mul(tk.reshape(x, [3, 2]), tensor([1, 2])), [randT([2, 3], rng)]);
    expectGrad((x) => tk.unsqueeze(tk.squeeze(x), 1), [randT([1, 4], rng)]);
  });

  it('bad reshapes name both shapes', () => {
    expect(() => tk.reshape(arange(6), [4, 2])).toThrow(/reshape: cannot reshape \[6\] \(6 elements\) into \[4, 2\]/);
    expect(() => tk.reshape(arange(6), [-1, -1])).toThrow(ArgumentError);
    expect(() => tk.reshape(arange(6), [4, -1])).toThrow(ShapeError);
    expect(() => tk.squeeze(zeros([2, 3]), 0)).toThrow(/squeeze: axis 0 of \[2, 3\] has size 2/);
  });
});

describe('permute and transpose', () => {
  it('permute equals index arithmetic on random shapes; transpose twice is the identity', () => {
    fc.assert(
      fc.property(shapeArb, fc.integer(), (shape, seed) => {
        const rng = new Generator(seed);
        const x = randT(shape, rng);
        const perm = Array.from(rng.permutation(shape.length));
        const y = tk.permute(x, perm);
        expect(y.shape).toEqual(perm.map((p) => shape[p]));
        const xs = stridesOf(shape);
        for (let k = 0; k < y.size; k++) {
          const idx = unravel(k, y.shape);
          let src = 0;
          for (let d = 0; d < idx.length; d++) src += idx[d] * xs[perm[d]];
          expect(y.data[k]).toBe(x.data[src]);
        }
        expect(tk.transpose(tk.transpose(x)).toArray()).toEqual(x.toArray());
      }),
      { numRuns: 40 },
    );
  });

  it('permute gradient', () => {
    expectGrad((x) => tk.permute(x, [2, 0, 1]), [randT([2, 3, 4], new Generator(2))]);
  });

  it('rejects a perm that is not a permutation', () => {
    expect(() => tk.permute(zeros([2, 3]), [0, 0])).toThrow(/repeats an axis/);
    expect(() => tk.permute(zeros([2, 3]), [0])).toThrow(/perm must list 2 axes for x \[2, 3\]/);
  });
});

describe('expand, tile, repeat', () => {
  it('expand copies along broadcast axes and sums the gradient back', () => {
    expect(tk.expand(tensor([[1], [2]]), [2, 3]).tolist()).toEqual([[1, 1, 1], [2, 2, 2]]);
    expect(tk.expand(tensor([1, 2]), [3, -1]).shape).toEqual([3, 2]);
    expectGrad((x) => tk.expand(x, [2, 3, 4]), [randT([3, 1], new Generator(3))]);
    expect(() => tk.expand(tensor([1, 2]), [3])).toThrow(/cannot expand to \[3\]/);
  });

  it('tile is NumPy tile and repeat is NumPy repeat', () => {
    expect(tk.tile(tensor([[1, 2], [3, 4]]), [2, 1]).tolist()).toEqual([[1, 2], [3, 4], [1, 2], [3, 4]]);
    expect(tk.tile(tensor([1, 2]), [2, 2]).tolist()).toEqual([[1, 2, 1, 2], [1, 2, 1, 2]]);
    expect(tk.repeat(tensor([[1, 2], [3, 4]]), 2, 1).tolist()).toEqual([[1, 1, 2, 2], [3, 3, 4, 4]]);
    expect(tk.repeat(tensor([[1, 2], [3, 4]]), 2).toArray()).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    expectGrad((x) => tk.tile(x, [2, 3]), [randT([2, 2], new Generator(4))]);
    expectGrad((x) => tk.repeat(x, 3, 0), [randT([2, 2], new Generator(5))]);
  });
});

describe('concat, stack, split, slice, pad', () => {
  it('concat along any axis equals the nested-array reference, and its gradient', () => {
    const a = tensor([[1, 2], [3, 4]]), b = tensor([[5, 6]]);
    expect(tk.concat([a, b], 0).tolist()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(tk.concat([a, tensor([[7], [8]])], 1).tolist()).toEqual([[1, 2, 7], [3, 4, 8]]);
    const rng = new Generator(6);
    expectGrad((x, y) => tk.concat([x, y, x], 1), [randT([2, 3, 2], rng), randT([2, 1, 2], rng)]);
    expect(() => tk.concat([a, tensor([[1, 2, 3]])], 0)).toThrow(/tensors\[1\] \[1, 3\] does not match tensors\[0\] \[2, 2\] outside axis 0/);
    expect(() => tk.concat([], 0)).toThrow(ArgumentError);
  });

  it('stack adds an axis; split inverts concat', () => {
    expect(tk.stack([tensor([1, 2]), tensor([3, 4])], 1).tolist()).toEqual([[1, 3], [2, 4]]);
    const x = randT([4, 6], new Generator(7));
    const parts = tk.split(x, [1, 2, 3], 1);
    expect(parts.map((p) => p.shape)).toEqual([[4, 1], [4, 2], [4, 3]]);
    expect(tk.concat(parts, 1).toArray()).toEqual(x.toArray());
    expect(() => tk.split(x, 4, 1)).toThrow(/4 equal sections do not divide axis 1 of size 6/);
    expect(() => tk.stack([tensor([1]), tensor([1, 2])])).toThrow(ShapeError);
  });

  it('slice follows Python ranges: negatives, steps, clamped bounds, integer indices drop the axis', () => {
    const x = tk.reshape(arange(24), [2, 3, 4]);
    expect(tk.slice(x, [1, [0, 2], [null as unknown as undefined, null as unknown as undefined, 2]]).tolist()).toEqual([[12, 14], [16, 18]]);
    expect(tk.slice(arange(10), [[-3]]).toArray()).toEqual([7, 8, 9]);
    expect(tk.slice(arange(10), [[2, 100, 3]]).toArray()).toEqual([2, 5, 8]);
    expect(tk.slice(arange(10), [[5, 2]]).shape).toEqual([0]);
    expect(tk.slice(x, [-1, -1, -1]).item()).toBe(23);
    expectGrad((t) => tk.slice(t, [null, [1, 3], [0, 4, 2]]), [randT([2, 3, 4], new Generator(8))]);
    expect(() => tk.slice(x, [2])).toThrow(/index 2 is out of range for axis 0 of size 2 in \[2, 3, 4\]/);
    expect(() => tk.slice(x, [[0, 1, 0]])).toThrow(/step must be a positive integer/);
  });

  it('pad aligns widths to the last axes, fills with value, and passes the interior gradient', () => {
    expect(tk.pad(tensor([[1, 2]]), [[1, 0]], { value: 9 }).tolist()).toEqual([[9, 1, 2]]);
    expect(tk.pad(tensor([[1]]), [[1, 1], [0, 1]]).tolist()).toEqual([[0, 0], [1, 0], [0, 0]]);
    expectGrad((t) => tk.pad(t, [[1, 2], [0, 1]]), [randT([2, 3, 2], new Generator(9))]);
    expect(() => tk.pad(tensor([1]), [[-1, 0]])).toThrow(ArgumentError);
  });
});

describe('indexing', () => {
  it('indexSelect with repeats scatter-adds its gradient', () => {
    const x = tensor([[1, 2], [3, 4], [5, 6]], undefined, { requiresGrad: true });
    const y = tk.indexSelect(x, 0, [2, 0, 2]);
    expect(y.tolist()).toEqual([[5, 6], [1, 2], [5, 6]]);
    y.sum().backward();
    expect(Array.from(x.grad!)).toEqual([1, 1, 0, 0, 2, 2]);
    expect(tk.indexSelect(x, 1, [-1]).toArray()).toEqual([2, 4, 6]);
    expectGrad((t) => tk.indexSelect(t, 1, [0, 2, 2]), [randT([2, 3, 2], new Generator(10))]);
  });

  it('gather follows torch.gather and checks the index shape', () => {
    expect(tk.gather(tensor([[1, 2], [3, 4]]), 1, tensor([[1, 1], [0, 1]])).tolist()).toEqual([[2, 2], [3, 4]]);
    expect(tk.gather(tensor([[1, 2], [3, 4]]), 0, tensor([[1, 0]])).tolist()).toEqual([[3, 2]]);
    expectGrad((t) => tk.gather(t, 1, tensor([[0, 0, 2], [1, 2, 1]])), [randT([2, 3], new Generator(11))]);
    expect(() => tk.gather(zeros([2, 3]), 1, tensor([[0], [1], [2]]))).toThrow(/index \[3, 1\] must match x \[2, 3\]/);
  });

  it('oneHot and index validation', () => {
    expect(tk.oneHot(tensor([[0], [2]]), 3).tolist()).toEqual([[[1, 0, 0]], [[0, 0, 1]]]);
    expect(tk.oneHot(new Int32Array([1]), 2).toArray()).toEqual([0, 1]);
    expect(() => tk.oneHot([3], 3)).toThrow(/indices\[0\] = 3 is not an integer index in \[-3, 2\]/);
    expect(() => tk.oneHot([-1], 3)).toThrow(/negative/);
    expect(() => tk.indexSelect(zeros([3]), 0, [1.5])).toThrow(ArgumentError);
  });
});

describe('creation', () => {
  it('tensor infers shapes and rejects ragged or non-numeric input', () => {
    expect(tensor([[1, 2, 3], [4, 5, 6]]).shape).toEqual([2, 3]);
    expect(tensor(5).shape).toEqual([]);
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor(new Int32Array([1, 2])).toArray()).toEqual([1, 2]);
    expect(tensor([1, 2, 3, 4], [2, 2]).tolist()).toEqual([[1, 2], [3, 4]]);
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged values: \[1\] has length 1 but the first row implies shape \[2, 2\]/);
    expect(() => tensor([1, 'a' as unknown as number])).toThrow(ArgumentError);
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(/3 values given but shape \[2, 2\] needs 4/);
  });

  it('arange, linspace, eye, full and the random creators', () => {
    expect(arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(tk.linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(tk.eye(2, 3).tolist()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(tk.full([2], 7).toArray()).toEqual([7, 7]);
    const r = tk.randint(0, 3, [1000], { rng: new Generator(1) }).toArray();
    expect(new Set(r)).toEqual(new Set([0, 1, 2]));
    const n = tk.randn([20000], { rng: new Generator(2) });
    expect(Math.abs(tk.mean(n).item())).toBeLessThan(0.03);
    expect(Math.abs(tk.std(n).item() - 1)).toBeLessThan(0.03);
    const u = tk.rand([20000], { rng: new Generator(3) });
    expect(tk.min(u).item()).toBeGreaterThanOrEqual(0);
    expect(tk.max(u).item()).toBeLessThan(1);
  });

  it('rejects NaN, negative and fractional sizes with the argument named', () => {
    expect(() => zeros([2, -1])).toThrow(/zeros: shape must contain non-negative integers, got shape\[1\] = -1/);
    expect(() => zeros([NaN])).toThrow(ArgumentError);
    expect(() => zeros([1.5])).toThrow(ArgumentError);
    expect(() => zeros('3' as unknown as number[])).toThrow(ArgumentError);
    expect(() => arange(0, 1, 0)).toThrow(/step must not be 0/);
    expect(() => new Tensor(new Float32Array(3), [2, 2])).toThrow(/data has 3 elements but shape \[2, 2\] needs 4/);
    expect(() => new Tensor([1, 2] as unknown as Float32Array, [2])).toThrow(ArgumentError);
  });

  it('empty tensors flow through ops', () => {
    const e = zeros([0, 3]);
    expect(tk.add(e, 1).shape).toEqual([0, 3]);
    expect(tk.matmul(e, zeros([3, 2])).shape).toEqual([0, 2]);
    expect(tk.matmul(zeros([2, 0]), zeros([0, 2])).toArray()).toEqual([0, 0, 0, 0]);
    expect(tk.transpose(e).shape).toEqual([3, 0]);
  });
});

describe('shape op options are checked', () => {
  it('pad refuses unknown keys and wrong types; -Inf padding is allowed', () => {
    const x = tensor([1, 2]);
    expect(() => tk.pad(x, [[1, 1]], { mode: 'reflect' } as never)).toThrow("pad: unknown option 'mode'; pad takes value");
    expect(() => tk.pad(x, [[1, 1]], { value: '0' } as never)).toThrow('pad: value must be a number, got "0"');
    expect(() => tk.pad(x, [[1, 1]], 0 as never)).toThrow('pad: options must be an object, got 0');
    expect(tk.pad(x, [[1, 0]], { value: -Infinity }).toArray()).toEqual([-Infinity, 1, 2]);
  });
});
