import { describe, expect, it } from 'vitest';
import {
  Generator, Parameter, Tensor, avgPool2d, batchNorm, clamp, conv2d, crossEntropy, dropout, gelu, layerNorm,
  leakyRelu, linear, maxPool2d, noGrad, ones, pad, permute, relu, reshape, slice, softmax, sum, tensor, where, zeros,
} from '../../src/tensor/index';
import { trace } from '../../src/tensor/trace';

describe('trace: the graph of a computation, with or without grad', () => {
  it('a small MLP forward inside noGrad gives the op sequence with attributes, inputs matched by identity', () => {
    const rng = new Generator(1);
    const w1 = Parameter.normal([5, 3], 0, 1, rng), b1 = Parameter.normal([5], 0, 1, rng);
    const w2 = Parameter.normal([2, 5], 0, 1, rng);
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const { result, ops } = trace(() => noGrad(() => softmax(leakyRelu(linear(x, w1, b1), 0.1).matmul(permute(w2, [1, 0])), 1)));
    expect(ops.map((o) => o.op)).toEqual(['linear', 'leakyRelu', 'permute', 'matmul', 'softmax']);
    expect(ops.map((o) => o.attrs)).toEqual([{}, { negativeSlope: 0.1 }, { perm: [1, 0] }, {}, { axis: 1 }]);
    expect(ops[0].inputs).toEqual([x, w1, b1]);
    expect(ops[0].inputs[1]).toBe(w1);
    expect(ops[1].inputs[0]).toBe(ops[0].output);
    expect(ops[3].inputs).toEqual([ops[1].output, ops[2].output]);
    expect(ops[4].output).toBe(result);
    // Recorded although nothing required grad of the result (noGrad): no graph was built.
    expect(result.requiresGrad).toBe(false);
    expect(result.node).toBe(null);
  });

  it('records ops whose inputs need no grad, and keeps attributes on graph nodes', () => {
    const x = tensor([[1, -2], [3, 4]]);
    const { ops } = trace(() => sum(clamp(x, -1, 2), 1, true));
    expect(ops.map((o) => [o.op, o.attrs])).toEqual([['clamp', { min: -1, max: 2 }], ['sum', { axis: [1], keepDims: true }]]);
    const w = tensor([[1, 2]], undefined, { requiresGrad: true });
    expect(sum(w, { axis: 0 }).node?.attrs).toEqual({ axis: [0], keepDims: false });
    expect(relu(w).node?.attrs).toEqual({});
  });

  it('layer ops record their geometry; every attribute object is JSON-safe', () => {
    const img = ones([1, 2, 5, 5]);
    const k = ones([4, 1, 3, 3]);
    const { ops } = trace(() => {
      const y = conv2d(img, k, null, { stride: 2, padding: 1, groups: 2 });
      maxPool2d(y, 2);
      avgPool2d(img, { kernelSize: 3, stride: 1, padding: 1, countIncludePad: false });
      layerNorm(img, [5], null, null, 1e-3);
      batchNorm(img, zeros([2]), ones([2]), null, null, { eps: 0.01 });
      gelu(img, { approximate: 'tanh' });
      dropout(img, 0.25, { rng: new Generator(0) });
      crossEntropy(tensor([[1, 2, 3]]), [2], { labelSmoothing: 0.1 });
      reshape(img, [2, -1]);
      slice(img, [null, 1, [0, 4, 2]]);
      pad(img, [[1, 2]]);
      where(tensor([1, 0]), tensor([1, 2]), tensor([3, 4]));
    });
    const byOp = Object.fromEntries(ops.map((o) => [o.op, o.attrs]));
    expect(byOp.conv2d).toEqual({ stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 2 });
    expect(byOp.maxPool2d).toEqual({ kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1] });
    expect(byOp.avgPool2d).toEqual({ kernelSize: [3, 3], stride: [1, 1], padding: [1, 1], countIncludePad: false });
    expect(byOp.layerNorm).toEqual({ normalizedShape: [5], eps: 1e-3, weight: false, bias: false });
    expect(byOp.batchNorm).toEqual({ training: false, momentum: 0.1, eps: 0.01, weight: false, bias: false });
    expect(byOp.gelu).toEqual({ approximate: 'tanh' });
    expect(byOp.dropout).toEqual({ p: 0.25, training: true });
    expect(byOp.crossEntropy).toEqual({ ignoreIndex: -100, labelSmoothing: 0.1, reduction: 'mean', weight: null, target: 'indices' });
    expect(byOp.reshape).toEqual({ shape: [2, 25] });
    expect(byOp.slice).toEqual({ spec: [[0, 1, 1], 1, [0, 4, 2], [0, 5, 1]] });
    expect(byOp.pad).toEqual({ widths: [[0, 0], [0, 0], [0, 0], [1, 2]], value: 0 });
    expect(ops.find((o) => o.op === 'where')?.inputs).toHaveLength(3);
    for (const o of ops) expect(JSON.parse(JSON.stringify(o.attrs)), o.op).toEqual(o.attrs);
  });

  it('nested traces record in both lists; a throwing fn ends its trace', () => {
    const x = tensor([1, 2]);
    const outer = trace(() => {
      relu(x);
      const inner = trace(() => gelu(x));
      expect(inner.ops.map((o) => o.op)).toEqual(['gelu']);
      return inner.result;
    });
    expect(outer.ops.map((o) => o.op)).toEqual(['relu', 'gelu']);
    // An inner trace that throws hands recording back to the outer one.
    const after = trace(() => {
      expect(() => trace(() => {
        relu(x);
        throw new Error('boom');
      })).toThrow('boom');
      gelu(x);
    });
    expect(after.ops.map((o) => o.op)).toEqual(['relu', 'gelu']);
  });

  it('a reduction over non-adjacent axes with keepDims records the permute, the reduce and the view', () => {
    const x = new Tensor(new Float32Array(24).map((_, i) => i), [2, 3, 4]);
    const { result, ops } = trace(() => sum(x, [0, 2], true));
    expect(ops.map((o) => [o.op, o.attrs])).toEqual([
      ['permute', { perm: [1, 0, 2] }], ['sum', { axis: [1, 2], keepDims: false }], ['reshape', { shape: [1, 3, 1] }],
    ]);
    // The same values as reducing one axis at a time.
    expect(result.toArray()).toEqual(sum(sum(x, 0), 1).toArray());
  });
});
