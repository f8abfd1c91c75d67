import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataLoader, TensorDataset, type Dataset } from '../../src/data/index';
import { ArgumentError, Generator, ShapeError, Tensor, manualSeed, tensor } from '../../src/tensor/index';

const RUNS = { numRuns: 60 };

/** A dataset whose x rows are [i, 10 i] and y is i, so every batch says which indices it holds. */
function indexed(n: number): TensorDataset {
  const x = new Float32Array(2 * n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = 10 * i;
    y[i] = i;
  }
  return new TensorDataset(new Tensor(x, [n, 2]), new Tensor(y, [n]));
}

function epoch(loader: Iterable<Tensor[]>): number[][] {
  return [...loader].map(([, y]) => y.toArray());
}

describe('TensorDataset', () => {
  it('get(i) returns row i of each tensor (a scalar for 1-D tensors) as views', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const ds = new TensorDataset(x, tensor([7, 8]), tensor([[[1], [2]], [[3], [4]]]));
    expect(ds.length).toBe(2);
    const [a, b, c] = ds.get(1);
    expect(a.shape).toEqual([3]);
    expect(a.toArray()).toEqual([4, 5, 6]);
    expect(b.shape).toEqual([]);
    expect(b.item()).toBe(8);
    expect(c.tolist()).toEqual([[3], [4]]);
    expect(a.data.buffer).toBe(x.data.buffer);
  });

  it('accepts nested arrays', () => {
    expect(new TensorDataset([[1, 2], [3, 4]], [0, 1]).get(0)[1].item()).toBe(0);
  });

  it('refuses mismatched first dimensions naming every shape, scalars and no tensors', () => {
    expect(() => new TensorDataset(tensor([[1, 2], [3, 4], [5, 6]]), tensor([1, 2]))).toThrow(ShapeError);
    expect(() => new TensorDataset(tensor([[1, 2], [3, 4], [5, 6]]), tensor([1, 2]))).toThrow(/\[3, 2\], \[2\]/);
    expect(() => new TensorDataset(tensor(5))).toThrow(ShapeError);
    expect(() => new TensorDataset()).toThrow(ArgumentError);
    expect(() => new TensorDataset('x' as never)).toThrow(ArgumentError);
    const ds = indexed(3);
    for (const i of [-1, 3, 1.5, NaN]) expect(() => ds.get(i)).toThrow(ArgumentError);
  });
});

describe('DataLoader', () => {
  it('in order: consecutive batches, a short last batch, length ⌈N/B⌉', () => {
    const loader = new DataLoader(indexed(7), { batchSize: 3 });
    expect(loader.length).toBe(3);
    expect(epoch(loader)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    const [x] = [...loader][2];
    expect(x.shape).toEqual([1, 2]);
    expect(x.toArray()).toEqual([6, 60]);
  });

  it('dropLast drops the short batch; length ⌊N/B⌋', () => {
    const loader = new DataLoader(indexed(7), { batchSize: 3, dropLast: true });
    expect(loader.length).toBe(2);
    expect(epoch(loader)).toEqual([[0, 1, 2], [3, 4, 5]]);
    // An exact multiple loses nothing.
    expect(epoch(new DataLoader(indexed(6), { batchSize: 3, dropLast: true }))).toEqual([[0, 1, 2], [3, 4, 5]]);
  });

  it('batch size 1 (stochastic) and N (full batch)', () => {
    expect(epoch(new DataLoader(indexed(3)))).toEqual([[0], [1], [2]]);
    expect(epoch(new DataLoader(indexed(3), { batchSize: 3 }))).toEqual([[0, 1, 2]]);
    expect(epoch(new DataLoader(indexed(3), { batchSize: 100 }))).toEqual([[0, 1, 2]]);
  });

  it('shuffled: every index exactly once per epoch, rows kept together, batch sizes as unshuffled', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 12 }), fc.boolean(), fc.integer(), (n, bs, dropLast, seed) => {
      fc.pre(!dropLast || bs <= n);
      const loader = new DataLoader(indexed(n), { batchSize: bs, shuffle: true, dropLast, rng: new Generator(seed) });
      for (let e = 0; e < 2; e++) {
        const batches = [...loader];
        expect(batches.length).toBe(loader.length);
        const seen: number[] = [];
        for (const [x, y] of batches) {
          expect(x.shape).toEqual([y.size, 2]);
          y.data.forEach((v, k) => {
            expect(x.data[2 * k]).toBe(v);
            expect(x.data[2 * k + 1]).toBe(10 * v);
          });
          seen.push(...y.toArray());
        }
        const sizes = batches.map(([, y]) => y.size);
        for (let b = 0; b < sizes.length - 1; b++) expect(sizes[b]).toBe(bs);
        if (dropLast) {
          expect(seen.length).toBe(Math.floor(n / bs) * bs);
          expect(new Set(seen).size).toBe(seen.length);
        } else expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      }
    }), RUNS);
  });

  it('reshuffles each epoch, and a seed reproduces the sequence of epochs', () => {
    const make = (seed: number) => new DataLoader(indexed(30), { batchSize: 4, shuffle: true, rng: new Generator(seed) });
    const a = make(1), b = make(1);
    const a1 = epoch(a), a2 = epoch(a);
    expect(a1).not.toEqual(a2);
    expect(epoch(b)).toEqual(a1);
    expect(epoch(b)).toEqual(a2);
    expect(epoch(make(2))).not.toEqual(a1);
  });

  it('without rng uses the global generator per epoch (manualSeed reproduces)', () => {
    const loader = new DataLoader(indexed(20), { batchSize: 5, shuffle: true });
    manualSeed(3);
    const e1 = epoch(loader);
    manualSeed(3);
    expect(epoch(loader)).toEqual(e1);
  });

  it('the TensorDataset fast path equals the generic path through get() and stacking', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 70 }), fc.integer(), (n, bs, R, seed) => {
      const g = new Generator(seed);
      const x = new Tensor(g.fillNormal(new Float32Array(n * R)), [n, R]);
      const y = new Tensor(g.fillNormal(new Float32Array(n * 3)), [n, 3, 1]);
      const ds = new TensorDataset(x, y);
      const generic: Dataset<Tensor[]> = { length: n, get: (i) => ds.get(i) };
      const fast = [...new DataLoader(ds, { batchSize: bs, shuffle: true, rng: new Generator(seed) })];
      const slow = [...new DataLoader(generic, { batchSize: bs, shuffle: true, rng: new Generator(seed) })];
      expect(fast.length).toBe(slow.length);
      fast.forEach((batch, b) => batch.forEach((t, k) => {
        expect(t.shape).toEqual(slow[b][k].shape);
        expect(t.data).toEqual(slow[b][k].data);
      }));
    }), { numRuns: 40 });
  });

  it('batches do not alias the dataset', () => {
    const ds = indexed(4);
    const [[x]] = [...new DataLoader(ds, { batchSize: 2 })];
    x.data[0] = 99;
    expect(ds.tensors[0].data[0]).toBe(0);
  });

  it('collates generic datasets: numbers, tensors, tuples; a custom collate', () => {
    const nums: Dataset<number> = { length: 5, get: (i) => i * i };
    expect([...new DataLoader(nums, { batchSize: 2 })].map((t) => t.toArray())).toEqual([[0, 1], [4, 9], [16]]);
    const pairs: Dataset<[Tensor, number]> = { length: 3, get: (i) => [tensor([i, -i]), i % 2] };
    const [[xb, yb]] = [...new DataLoader(pairs, { batchSize: 3 })];
    expect(xb.tolist()).toEqual([[0, -0], [1, -1], [2, -2]]);
    expect(yb.toArray()).toEqual([0, 1, 0]);
    const words: Dataset<string> = { length: 3, get: (i) => 'abc'[i] };
    expect([...new DataLoader(words, { batchSize: 2, collate: (s: string[]) => s.join('') })]).toEqual(['ab', 'c']);
  });

  it('bad input is typed', () => {
    for (const batchSize of [0, -1, NaN, 1.5, Infinity, '2']) {
      expect(() => new DataLoader(indexed(3), { batchSize } as never)).toThrow(ArgumentError);
    }
    expect(() => new DataLoader({ length: 0, get: () => 0 })).toThrow(/empty/);
    expect(() => new DataLoader(null as never)).toThrow(ArgumentError);
    expect(() => new DataLoader([1, 2] as never)).toThrow(ArgumentError);
    expect(() => new DataLoader(indexed(3), { batchSize: 4, dropLast: true })).toThrow(ArgumentError);
    expect(() => new DataLoader(indexed(3), { shuffle: 1 } as never)).toThrow(ArgumentError);
    expect(() => new DataLoader(indexed(3), { rng: 7 } as never)).toThrow(ArgumentError);
    expect(() => new DataLoader(indexed(3), { batch_size: 2 } as never)).toThrow(/unknown option 'batch_size' \(did you mean 'batchSize'\?\)/);
    const ragged: Dataset<Tensor> = { length: 2, get: (i) => tensor(i === 0 ? [1, 2] : [1, 2, 3]) };
    expect(() => [...new DataLoader(ragged, { batchSize: 2 })]).toThrow(ShapeError);
    const strings: Dataset<string> = { length: 2, get: () => 's' };
    expect(() => [...new DataLoader(strings)]).toThrow(ArgumentError);
  });
});
