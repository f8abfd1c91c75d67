import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, ShapeError, Tensor, noGrad, randn, sum, mul } from '../../src/tensor/index';
import { Linear, Sequential, ReLU } from '../../src/nn/index';
import { SparseLinear, l1Unstructured, removePruning } from '../../src/compress/index';
import { loadModel, saveModel } from '../../src/io/index';

function pruned(inF: number, outF: number, amount: number, seed: number): Linear {
  const lin = new Linear(inF, outF, { rng: new Generator(seed) });
  l1Unstructured(lin, 'weight', { amount });
  removePruning(lin, 'weight');
  return lin;
}

describe('SparseLinear', () => {
  it('gives the dense layer\'s outputs at every sparsity, with nnz and sparsity as stored', () => {
    for (const amount of [0, 0.5, 0.95, 1]) {
      const lin = pruned(40, 13, amount, 1);
      const s = SparseLinear.fromDense(lin);
      expect(s.nnz).toBe(Array.from(lin.weight.data).filter((v) => v !== 0).length);
      expect(s.sparsity).toBeCloseTo(1 - s.nnz / 520, 12);
      const noNegZero = (a: Float32Array) => Array.from(a, (v) => (v === 0 ? 0 : v)); // pruned entries are w · 0, which may be −0
      expect(noNegZero(s.toDense().data)).toEqual(noNegZero(lin.weight.data));
      const x = randn([3, 5, 40], { rng: new Generator(2) });
      const ref = noGrad(() => lin.forward(x));
      const y = s.forward(x);
      expect(y.shape).toEqual([3, 5, 13]);
      y.data.forEach((v, i) => expect(v).toBeCloseTo(ref.data[i], 5));
    }
  });

  it('passes the input gradient of the dense layer', () => {
    const lin = pruned(7, 4, 0.6, 3);
    const s = SparseLinear.fromDense(lin);
    const x = randn([2, 7], { rng: new Generator(4) });
    const g = randn([2, 4], { rng: new Generator(5) });
    const xa = x.clone(), xb = x.clone();
    xa.requiresGrad = true;
    xb.requiresGrad = true;
    sum(mul(s.forward(xa), g)).backward();
    sum(mul(lin.forward(xb), g)).backward();
    xa.grad!.forEach((v, i) => expect(v).toBeCloseTo(xb.grad![i], 5));
  });

  it('saves and loads (a 95%-sparse layer\'s file is far smaller than the dense one), same outputs', () => {
    const net = new Sequential(pruned(200, 100, 0.95, 6), new ReLU());
    const dense = saveModel(net).length;
    (net as unknown as Record<string, unknown>)[0] = SparseLinear.fromDense(net[0] as Linear);
    const bytes = saveModel(net);
    expect(bytes.length).toBeLessThan(0.2 * dense);
    const { model } = loadModel<Sequential>(bytes);
    const x = randn([4, 200], { rng: new Generator(7) });
    expect(Array.from(model.forward(x).data)).toEqual(Array.from(net.forward(x).data));
  });

  it('refuses a loaded structure that would index out of range, bad inputs and bad configs', () => {
    const s = SparseLinear.fromDense(pruned(5, 3, 0.5, 8));
    const sd = s.stateDict();
    const bad = { ...sd, colIdx: { dtype: 'I32', shape: sd.colIdx.shape, data: Array.from({ length: s.nnz }, () => 99) } };
    const t = new SparseLinear(s.config().options);
    t.loadStateDict(bad as never);
    expect(() => t.forward(randn([1, 5]))).toThrow(/colIdx\[0\] = 99 is outside \[0, 4\]/);
    expect(() => s.forward(randn([1, 4]))).toThrow(ShapeError);
    expect(() => s.forward([1] as unknown as Tensor)).toThrow(/input must be a Tensor/);
    expect(() => new SparseLinear({ inFeatures: 2, outFeatures: 2, bias: true, nnz: 5 })).toThrow(/nnz 5 exceeds the 2 × 2 = 4 entries/);
    expect(() => SparseLinear.fromDense({} as Linear)).toThrow(ArgumentError);
  });
});
