import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, Tensor, argmax, randn, tensor } from '../../src/tensor/index';
import { Linear, ReLU, Sequential } from '../../src/nn/index';
import { SparseLinear, compressionReport, l1Unstructured, quantizeDynamic } from '../../src/compress/index';
import { loadModel, saveModel } from '../../src/io/index';

const acc = (yTrue: Tensor, yPred: Tensor): number => {
  const p = argmax(yPred, 1).data;
  let ok = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === yTrue.data[i]) ok++;
  return ok / p.length;
};

describe('compressionReport', () => {
  it('reports stored numbers, bytes, sparsity, metric and latency of both models', () => {
    const rng = new Generator(1);
    const net = new Sequential(new Linear(32, 64, { rng }), new ReLU(), new Linear(64, 4, { rng }));
    const q = quantizeDynamic(loadModel<Sequential>(saveModel(net)).model);
    const x = randn([50, 32], { rng });
    const y = argmax(net.forward(x), 1);
    const r = compressionReport(net, q, { data: { x, y }, metric: acc });
    expect(r.original.parameters).toBe(32 * 64 + 64 + 64 * 4 + 4);
    expect(r.original.bytes).toBe(4 * r.original.parameters);
    // int8 weights, float biases, one float scale and one int32 zero point per layer.
    expect(r.compressed.bytes).toBe(32 * 64 + 4 * 64 + 4 + 4 + 64 * 4 + 4 * 4 + 4 + 4);
    expect(r.sizeRatio).toBeGreaterThan(3.5);
    expect(r.original.metric).toBe(1);
    expect(r.compressed.metric).toBeGreaterThan(0.9);
    expect(r.original.latencyMs).toBeGreaterThan(0);
    expect(r.speedup).toBeGreaterThan(0);
    const text = r.toString();
    for (const row of ['parameters', 'bytes', 'sparsity', 'metric', 'latency ms']) expect(text).toContain(row);
    expect(net.training).toBe(true); // left as it was
  });

  it('counts pruned and sparse weights as sparsity; without data, metric and latency are null', () => {
    const lin = new Linear(10, 10, { rng: new Generator(2) });
    const dense = new Sequential(lin);
    const pruned = new Sequential(new Linear(10, 10, { rng: new Generator(2) }));
    l1Unstructured(pruned[0] as Linear, 'weight', { amount: 0.7 });
    pruned.forward(randn([1, 10])); // the pre-hook writes the masked weight
    const r = compressionReport(dense, pruned);
    expect(r.compressed.sparsity).toBeCloseTo(0.7, 10);
    expect([r.original.metric, r.original.latencyMs, r.speedup]).toEqual([null, null, null]);
    const sparse = new Sequential(SparseLinear.fromDense(pruned[0] as Linear));
    expect(compressionReport(dense, sparse).compressed.sparsity).toBeCloseTo(0.7, 10);
  });

  it('refuses non-modules and bad data', () => {
    const m = new Sequential(new Linear(2, 2));
    expect(() => compressionReport({} as Sequential, m)).toThrow(ArgumentError);
    expect(() => compressionReport(m, m, { data: { x: [1] as unknown as Tensor, y: tensor([0]) } })).toThrow(/data must be \{ x: Tensor, y: Tensor \}/);
    expect(() => compressionReport(m, m, { repeat: 3 } as never)).toThrow(/did you mean 'repeats'/);
  });
});
