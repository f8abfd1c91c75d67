import { describe, expect, it } from 'vitest';
import { ArgumentError, FormatError, Parameter, arange, linspace, zeros } from '../../src/tensor/index';
import { withAllocationLimit } from '../../src/tensor/alloc';
import * as tk from '../../src/tensor/index';

describe('allocation: one checked place for tensor storage', () => {
  it('refuses sizes past 2^31 − 1 with a typed error before allocating', () => {
    expect(() => arange(0, 2 ** 53)).toThrow(ArgumentError);
    expect(() => arange(0, 2 ** 53)).toThrow(/arange: the result would have 9007199254740992 elements/);
    expect(() => linspace(0, 1, 1e10)).toThrow(ArgumentError);
  });

  it('an op whose output would be too large names itself (oneHot, pad, matmul, conv2d, convTranspose2d)', () => {
    const big: [string, () => unknown][] = [
      ['oneHot', () => tk.oneHot([0, 1], 2 ** 31)], ['pad', () => tk.pad(tk.ones([2]), [[2 ** 31, 0]])],
      ['matmul', () => tk.matmul(tk.ones([70000, 1]), tk.ones([1, 70000]))],
      ['conv2d', () => tk.conv2d(tk.ones([1, 1, 2, 2]), tk.ones([1, 1, 1, 1]), null, { padding: 50000 })],
      ['convTranspose2d', () => tk.convTranspose2d(tk.ones([1, 1, 2, 2]), tk.ones([1, 1, 1, 1]), null, { stride: 100000 })],
    ];
    for (const [op, f] of big) expect(f, op).toThrow(new RegExp(`^${op}: the result would have \\d+ elements`));
  });

  it('charges a load budget, nested limits taking the smaller remainder, and restores it after a throw', () => {
    expect(withAllocationLimit(10, 'loadModel', () => zeros([10]).size)).toBe(10);
    expect(() => withAllocationLimit(10, 'loadModel', () => Parameter.uniform([11], 0, 1))).toThrow(FormatError);
    try {
      withAllocationLimit(10, 'loadModel', () => zeros([4, 4]));
    } catch (e) {
      expect((e as FormatError).code).toBe('ALLOCATION_LIMIT');
      expect((e as FormatError).message).toMatch(/loadModel: building the model asks for more than the 10 elements the file carries \(at zeros\)/);
    }
    expect(() => withAllocationLimit(10, 'outer', () => {
      zeros([6]);
      withAllocationLimit(100, 'inner', () => zeros([3]));
      zeros([2]);
    })).toThrow(/outer/);
    expect(zeros([1000]).size).toBe(1000);
  });
});
