import { describe, expect, it } from 'vitest';
import * as tk from '../../src/tensor/index';
import { ArgumentError, Generator, Tensor, ones, tensor } from '../../src/tensor/index';
import { expectClose, randT } from '../helpers/check';

// PyTorch users type positional forms; each is either read as PyTorch reads it or refused with a
// typed error, never silently ignored. Every case compares the positional call with the options form.
const x = tensor([[3, -1, 4], [1, 5, -9]]);

describe('positional forms PyTorch users type', () => {
  it('clamp(x, min, max) and t.clamp(min, max) clamp; null leaves a side open', () => {
    const v = tensor([-2, -0.3, 0.5, 3]);
    expect(tk.clamp(v, -0.5, 0.7).toArray()).toEqual(tk.clamp(v, { min: -0.5, max: 0.7 }).toArray());
    expectClose(tk.clamp(v, -0.5, 0.7).toArray(), [-0.5, -0.3, 0.5, 0.7], 1e-7);
    expectClose(v.clamp(-0.5, 0.7).toArray(), [-0.5, -0.3, 0.5, 0.7], 1e-7);
    expect(tk.clamp(v, 0).toArray()).toEqual([0, 0, 0.5, 3]);
    expect(tk.clamp(v, null, 0).toArray()).toEqual([-2, -0.30000001192092896, 0, 0]);
    expect(v.clamp({ max: 1 }).toArray()).toEqual([-2, -0.30000001192092896, 0.5, 1]);
    expect(() => tk.clamp(v, 1, 0)).toThrow('clamp: min 1 is greater than max 0');
    expect(() => tk.clamp(v, NaN, 1)).toThrow('clamp: min must be a number (not NaN), got NaN');
    expect(() => tk.clamp(v, { min: 0 }, 1)).toThrow('clamp: max 1 was given positionally after an options object; put it in the options');
    expect(() => tk.clamp(v, '0' as never, 1)).toThrow('clamp: min must be a number (not NaN), got "0"');
  });

  it('argmax(x, axis) / t.argmax(axis) / argmin reduce along that axis (and keepDims as the third)', () => {
    expect(tk.argmax(x, 1).toArray()).toEqual([2, 1]);
    expect(x.argmax(1).toArray()).toEqual([2, 1]);
    expect(x.argmax(0).toArray()).toEqual([0, 1, 0]);
    expect(tk.argmin(x, 1).toArray()).toEqual([1, 2]);
    expect(x.argmin(-1, true).shape).toEqual([2, 1]);
    expect(tk.argmax(x).item()).toBe(4);
    expect(() => tk.argmax(x, [0, 1] as never)).toThrow('argmax: axis must be an integer, got array(2)');
    expect(() => tk.argmax(x, 2)).toThrow(/argmax: axis 2 is out of range/);
  });

  it('sum, mean, max, min, logSumExp take (axis) or (axis, keepDims); var and std take (axis)', () => {
    const rng = new Generator(1);
    const t = randT([2, 3, 4], rng);
    const cases: [string, (a?: never, k?: never) => Tensor, (o: object) => Tensor][] = [
      ['sum', (a, k) => tk.sum(t, a, k), (o) => tk.sum(t, o)],
      ['mean', (a, k) => tk.mean(t, a, k), (o) => tk.mean(t, o)],
      ['max', (a, k) => tk.max(t, a, k), (o) => tk.max(t, o)],
      ['min', (a, k) => tk.min(t, a, k), (o) => tk.min(t, o)],
      ['logSumExp', (a, k) => tk.logSumExp(t, a, k), (o) => tk.logSumExp(t, o)],
      ['t.sum', (a, k) => t.sum(a, k), (o) => t.sum(o)],
      ['t.mean', (a, k) => t.mean(a, k), (o) => t.mean(o)],
      ['t.max', (a, k) => t.max(a, k), (o) => t.max(o)],
      ['t.min', (a, k) => t.min(a, k), (o) => t.min(o)],
    ];
    for (const [name, pos, opt] of cases) {
      const a = pos(1 as never), b = opt({ axis: 1 });
      expect(a.shape, name).toEqual([2, 4]);
      expect(a.toArray(), name).toEqual(b.toArray());
      const k = pos([0, 2] as never, true as never);
      expect(k.shape, name).toEqual([1, 3, 1]);
      expect(k.toArray(), name).toEqual(opt({ axis: [0, 2], keepDims: true }).toArray());
    }
    expect(tk.variance(t, 2).toArray()).toEqual(tk.variance(t, { axis: 2 }).toArray());
    expect(t.std(0).toArray()).toEqual(tk.std(t, { axis: 0 }).toArray());
    expect(() => (tk.variance as (...a: unknown[]) => Tensor)(t, 1, false)).toThrow(/var: only the axis may be positional/);
    expect(() => tk.sum(t, { axis: 1 }, true as never)).toThrow('sum: keepDims true was given positionally after an options object; put it in the options');
    expect(() => tk.sum(t, 1, 'yes' as never)).toThrow('sum: keepDims must be a boolean, got "yes"');
  });

  it('max(a, b) with a tensor and norm(x, number) are refused, naming what to use', () => {
    expect(() => tk.max(x, x as never)).toThrow('max: the second argument is a Tensor [2, 3], not options; for the element-wise maximum of two tensors use maximum(a, b)');
    expect(() => tk.min(x, x as never)).toThrow(/use minimum\(a, b\)/);
    expect(() => tk.norm(x, 1 as never)).toThrow("norm: the second argument must be an options object, got 1 (PyTorch reads a positional number as p); pass { p } or { axis }");
    expect(tk.norm(tensor([3, -4]), { p: 1 }).item()).toBe(7);
  });

  it('t.reshape(2, 3), t.permute(1, 0), t.expand(2, 3) list dimensions; transpose(x, a, b) swaps two axes', () => {
    const a = tk.arange(6);
    expect(a.reshape(2, 3).shape).toEqual([2, 3]);
    expect(a.reshape(3, -1).shape).toEqual([3, 2]);
    expect(a.reshape([2, 3]).shape).toEqual([2, 3]);
    const m = a.reshape(2, 3);
    expect(m.permute(1, 0).tolist()).toEqual(m.permute([1, 0]).tolist());
    expect(tensor([1, 2]).expand(3, 2).shape).toEqual([3, 2]);
    const t = tk.arange(24).reshape(2, 3, 4);
    expect(tk.transpose(t, 0, 2).shape).toEqual([4, 3, 2]);
    expect(t.transpose(0, 1).tolist()).toEqual(tk.permute(t, [1, 0, 2]).tolist());
    expect(t.transpose(-1, 0).shape).toEqual([4, 3, 2]);
    expect(m.transpose().shape).toEqual([3, 2]);
    expect(() => t.transpose(0)).toThrow('transpose: pass a permutation array or two axes to swap, got 0 and undefined');
    expect(() => a.reshape(2, '3' as never)).toThrow('reshape: pass the dimensions as one array or as separate numbers, got "3" at position 1');
  });

  it('softmax(x, dim) and { axis }, gelu(x, "tanh"), softplus(x, beta, threshold), dropout(x, p, training), embedding(i, w, paddingIdx)', () => {
    expect(tk.softmax(x, 0).toArray()).toEqual(tk.softmax(x, { axis: 0 }).toArray());
    expect(tk.logSoftmax(x, { axis: 0 }).toArray()).toEqual(tk.logSoftmax(x, 0).toArray());
    expect(tk.gelu(x, 'tanh').toArray()).toEqual(tk.gelu(x, { approximate: 'tanh' }).toArray());
    expect(tk.softplus(x, 2, 5).toArray()).toEqual(tk.softplus(x, { beta: 2, threshold: 5 }).toArray());
    expect(() => tk.softplus(x, {}, 5)).toThrow('softplus: threshold 5 was given positionally after an options object; put it in the options');
    expect(tk.dropout(x, 0.5, false)).toBe(x);
    const w = tensor([[0, 1], [2, 3], [4, 5]], undefined, { requiresGrad: true });
    tk.sum(tk.embedding([1, 2, 1], w, 1)).backward();
    // Row 1 is the padding row: its lookups get no gradient.
    expect(Array.from(w.grad as Float32Array)).toEqual([0, 0, 0, 0, 1, 1]);
  });

  it('conv2d / conv1d / convTranspose2d take PyTorch positional stride, padding, dilation, groups', () => {
    const rng = new Generator(2);
    const img = randT([1, 2, 6, 6], rng), k = randT([4, 1, 3, 3], rng), b = randT([4], rng);
    expect(tk.conv2d(img, k, b, 2, 1, 1, 2).toArray()).toEqual(tk.conv2d(img, k, b, { stride: 2, padding: 1, groups: 2 }).toArray());
    expect(tk.conv2d(img, k, null, [1, 2], 0, 1, 2).shape).toEqual([1, 4, 4, 2]);
    expect(tk.conv2d(img, k, null, 1, 'same' as never, 1, 2).shape).toEqual([1, 4, 6, 6]);
    const seq = randT([1, 2, 7], rng), k1 = randT([3, 2, 2], rng);
    expect(tk.conv1d(seq, k1, null, 2, 1).toArray()).toEqual(tk.conv1d(seq, k1, null, { stride: 2, padding: 1 }).toArray());
    const kt = randT([2, 3, 2, 2], rng);
    expect(tk.convTranspose2d(img, kt, null, 2, 0, 1).toArray()).toEqual(tk.convTranspose2d(img, kt, null, { stride: 2, outputPadding: 1 }).toArray());
    expect(() => tk.conv2d(img, k, null, 1, 0, 1, 2, 9 as never)).toThrow('conv2d: 5 positional arguments after the bias; conv2d takes at most 4 (stride, padding, dilation, groups)');
    expect(() => tk.conv2d(img, k, null, { groups: 2 }, 1 as never)).toThrow('conv2d: 1 was given positionally after an options object; put it in the options');
  });

  it('maxPool2d(x, 2) and avgPool2d(x, 3, 1, 1) take the kernel size (then stride, padding) positionally', () => {
    const img = randT([1, 1, 6, 6], new Generator(3));
    expect(tk.maxPool2d(img, 2).toArray()).toEqual(tk.maxPool2d(img, { kernelSize: 2 }).toArray());
    expect(tk.maxPool2d(img, [3, 2], 1).toArray()).toEqual(tk.maxPool2d(img, { kernelSize: [3, 2], stride: 1 }).toArray());
    expect(tk.avgPool2d(img, 3, 1, 1).toArray()).toEqual(tk.avgPool2d(img, { kernelSize: 3, stride: 1, padding: 1 }).toArray());
    expect(() => tk.avgPool2d(img, 2, 2, 0, 1 as never)).toThrow('avgPool2d: 4 positional arguments; avgPool2d takes at most 3 (kernelSize, stride, padding)');
    expect(() => tk.avgPool2d(img, { kernelSize: 2, dilation: 2 } as never)).toThrow("avgPool2d: unknown option 'dilation'");
  });

  it('batchNorm(x, rm, rv, w, b, training, momentum, eps) as F.batch_norm', () => {
    const v = tensor([[1, 2], [3, 6]]);
    const [rm1, rv1, rm2, rv2] = [tk.zeros([2]), ones([2]), tk.zeros([2]), ones([2])];
    const a = tk.batchNorm(v, rm1, rv1, null, null, true, 0.5, 1e-3);
    const b = tk.batchNorm(v, rm2, rv2, null, null, { training: true, momentum: 0.5, eps: 1e-3 });
    expect(a.toArray()).toEqual(b.toArray());
    expect(rm1.toArray()).toEqual(rm2.toArray());
    expect(rm1.toArray()).toEqual([1, 2]);
    expect(() => tk.batchNorm(v, rm1, rv1, null, null, { training: true }, 0.5)).toThrow(/batchNorm: momentum and eps were given positionally after an options object/);
  });

  it('pow(1, ±Inf) and pow(1, NaN) are 1, as IEEE 754 and PyTorch; (−1)^±Inf is 1', () => {
    expect(tk.pow(tensor([1, 1, 1, -1, -1]), tensor([Infinity, -Infinity, NaN, Infinity, -Infinity])).toArray()).toEqual([1, 1, 1, 1, 1]);
    expect(tk.pow(1, NaN).item()).toBe(1);
    expect(tk.pow(NaN, 0).item()).toBe(1);
    expect(tk.pow(tensor([2, -2]), Infinity).toArray()).toEqual([Infinity, Infinity]);
    expect(tk.pow(0.5, Infinity).item()).toBe(0);
    expect(Number.isNaN(tk.pow(-2, 0.5).item())).toBe(true);
    expect(Number.isNaN(tk.pow(NaN, 1).item())).toBe(true);
  });

  it('refused forms are typed errors, not raw TypeErrors', () => {
    const calls: (() => unknown)[] = [
      () => tk.mean(x, 'all' as never), () => tk.softmax(x, { dim: 1 } as never), () => tk.leakyRelu(x, { negativeSlope: 0.1 } as never),
      () => tk.layerNorm(x, [3], null, null, -1), () => tk.lstmLayer(randT([1, 1, 1], new Generator(0)), null, null, ones([4, 1]), ones([4, 1]), null, null, true as never),
    ];
    for (const c of calls) expect(c).toThrow(ArgumentError);
  });
});
