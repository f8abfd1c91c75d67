import { describe, expect, it } from 'vitest';
import { clipGradNorm, clipGradValue, l1Penalty, l2Penalty } from '../../src/optim/index';
import { add, ArgumentError, mul, NumericError, Parameter, tensor, Tensor } from '../../src/tensor/index';
import { expectClose } from '../helpers/check';
import { fixture } from './fixture';

function paramsWithGrads(shapes: number[][], grads: number[][]): Parameter[] {
  return shapes.map((s, i) => {
    const p = new Parameter(new Float32Array(grads[i].length), s);
    p.grad = Float32Array.from(grads[i]);
    return p;
  });
}

describe(`clipGradNorm / clipGradValue against torch.nn.utils ${fixture.torch}`, () => {
  for (const c of fixture.clip) {
    const label = c.kind === 'norm' ? `clipGradNorm normType ${c.normType}, maxNorm ${c.maxNorm}` : `clipGradValue ${c.clipValue}`;
    it(label, () => {
      const ps = paramsWithGrads(c.shapes, c.grads);
      if (c.kind === 'norm') {
        const total = clipGradNorm(ps, c.maxNorm!, { normType: c.normType === 'Infinity' ? Infinity : c.normType });
        expectClose([total], [c.total!], 0, 2e-6);
      } else clipGradValue(ps, c.clipValue!);
      expectClose(ps.flatMap((p) => [...p.grad!]), c.clipped.flat(), 1e-7, 2e-6);
    });
  }
});

describe('clipping behaviour', () => {
  it('total norm of (3, 4) and (12) is 13; scaled by maxNorm / (13 + 1e-6)', () => {
    const [a, b] = paramsWithGrads([[2], [1]], [[3, 4], [12]]);
    expect(clipGradNorm([a, b], 6.5)).toBe(13);
    const coef = 6.5 / (13 + 1e-6);
    expectClose([...a.grad!, ...b.grad!], [3 * coef, 4 * coef, 12 * coef], 0, 1e-6);
  });

  it('skips parameters without a gradient and returns 0 when none has one', () => {
    const p = new Parameter(tensor([1, 2]));
    expect(clipGradNorm([p], 1)).toBe(0);
    expect(p.grad).toBeNull();
    const [q] = paramsWithGrads([[1]], [[-5]]);
    clipGradValue([p, q], 2);
    expect(Array.from(q.grad!)).toEqual([-2]);
    expect(p.grad).toBeNull();
  });

  it('a non-finite norm makes every grad NaN, or throws with errorIfNonfinite', () => {
    const [a, b] = paramsWithGrads([[1], [2]], [[Infinity], [1, 2]]);
    expect(clipGradNorm([a, b], 1)).toBe(Infinity);
    expect(Array.from(b.grad!)).toEqual([0, 0]); // coef = 1/∞ = 0, as torch
    const [c] = paramsWithGrads([[2]], [[NaN, 1]]);
    expect(() => clipGradNorm([c], 1, { errorIfNonfinite: true })).toThrow(NumericError);
    clipGradNorm([c], 1);
    expect(Number.isNaN(c.grad![1])).toBe(true);
  });

  it('clipGradValue keeps NaN entries and accepts a single tensor', () => {
    const [p] = paramsWithGrads([[3]], [[NaN, 7, -7]]);
    clipGradValue(p, 3);
    expect(Array.from(p.grad!)).toEqual([NaN, 3, -3]);
  });

  it('rejects bad arguments', () => {
    const [p] = paramsWithGrads([[1]], [[1]]);
    expect(() => clipGradNorm([p], -1)).toThrow(/maxNorm must be a number ≥ 0, got -1/);
    expect(() => clipGradNorm([p], NaN)).toThrow(ArgumentError);
    expect(() => clipGradNorm([p], 1, { normType: 0 })).toThrow(/normType/);
    expect(() => clipGradValue([p], -0.5)).toThrow(/clipValue must be a number ≥ 0, got -0.5/);
    expect(() => clipGradValue([1] as unknown as Tensor[], 1)).toThrow(/params\[0\] must be a Tensor/);
  });
});

describe('penalties', () => {
  it('l1Penalty = Σ|w| with gradient sign(w); l2Penalty = Σw² with gradient 2w', () => {
    const w = new Parameter(tensor([[1, -2], [0.5, 0]]));
    const b = new Parameter(tensor([-3]));
    const l1 = l1Penalty([w, b]);
    expect(l1.shape).toEqual([]);
    expect(l1.item()).toBe(6.5);
    l1.backward();
    expect(Array.from(w.grad!)).toEqual([1, -1, 1, 0]);
    expect(Array.from(b.grad!)).toEqual([-1]);
    w.zeroGrad();
    b.zeroGrad();
    const l2 = l2Penalty([w, b]);
    expect(l2.item()).toBe(14.25); // 1 + 4 + 0.25 + 0 + 9
    l2.backward();
    expect(Array.from(w.grad!)).toEqual([2, -4, 1, 0]);
    expect(Array.from(b.grad!)).toEqual([-6]);
  });

  it('added to a loss, λ·l2Penalty contributes 2λw to the gradient', () => {
    const w = new Parameter(tensor([2, -1]));
    const loss = add(w.sum(), mul(l2Penalty(w), 0.1));
    loss.backward();
    expectClose(w.grad!, [1 + 0.4, 1 - 0.2], 0, 1e-6);
  });

  it('an empty list gives a scalar 0; a non-Tensor throws', () => {
    expect(l1Penalty([]).item()).toBe(0);
    expect(l2Penalty([]).shape).toEqual([]);
    expect(() => l2Penalty([3] as unknown as Tensor[])).toThrow(ArgumentError);
  });
});
