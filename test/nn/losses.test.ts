import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError, Generator, ShapeError, Tensor, TensorkitError, crossEntropy as coreCrossEntropy, log, logSoftmax, sigmoid, tensor,
} from '../../src/tensor/index';
import {
  binaryCrossEntropy, binaryCrossEntropyWithLogits, crossEntropy, huberLoss, klDiv, l1Loss, mseLoss, nllLoss,
} from '../../src/nn/losses';
import { expectClose, expectGrad, randPos, randT, expectThrows } from '../helpers/check';

type Red = 'mean' | 'sum' | 'none';
const REDS: Red[] = ['mean', 'sum', 'none'];

function leaf(values: number[] | number[][] | number[][][]): Tensor {
  const t = tensor(values);
  t.requiresGrad = true;
  return t;
}

/** Values and the gradients of `inputs` after backward with cotangent 1 (a scalar loss). */
function grads(loss: Tensor, ...inputs: Tensor[]): number[][] {
  loss.backward();
  return inputs.map((x) => Array.from(x.grad ?? new Float32Array(x.size)));
}


describe('mseLoss', () => {
  // x − y = [1, 0, −2, 3] → squares [1, 0, 4, 9]: sum 14, mean 3.5; d(mean)/dx = 2d/4 = [0.5, 0, −1, 1.5].
  const X = [[1, 2], [3, 4]], Y = [[0, 2], [5, 1]];
  it('closed form for every reduction, and gradients to input and target', () => {
    expect(mseLoss(tensor(X), tensor(Y), { reduction: 'sum' }).item()).toBe(14);
    expect(mseLoss(tensor(X), tensor(Y), { reduction: 'none' }).tolist()).toEqual([[1, 0], [4, 9]]);
    const x = leaf(X), y = leaf(Y);
    const l = mseLoss(x, y);
    expect(l.shape).toEqual([]);
    expect(l.item()).toBe(3.5);
    const [dx, dy] = grads(l, x, y);
    expect(dx).toEqual([0.5, 0, -1, 1.5]);
    expect(dy.map((v) => v + 0)).toEqual([-0.5, 0, 1, -1.5]);
  });

  it('gradient in a random direction, every reduction', () => {
    const rng = new Generator(1);
    for (const reduction of REDS) {
      expectGrad((a, b) => mseLoss(a, b, { reduction }), [randT([3, 4], rng), randT([3, 4], rng)]);
    }
  });

  it('the same tensor as input and target: the two gradients accumulate to 0', () => {
    const x = leaf([1, -2, 3]);
    const [dx] = grads(mseLoss(x, x), x);
    expect(dx).toEqual([0, 0, 0]);
  });

  it('an empty input: mean NaN (0/0, as PyTorch), sum 0', () => {
    const e = new Tensor(new Float32Array(0), [0, 3]);
    expect(mseLoss(e, e).item()).toBeNaN();
    expect(mseLoss(e, e, { reduction: 'sum' }).item()).toBe(0);
    expect(mseLoss(e, e, { reduction: 'none' }).shape).toEqual([0, 3]);
  });
});

describe('l1Loss', () => {
  // x − y = [1, 0, −2, 3] → |d| = [1, 0, 2, 3]: sum 6, mean 1.5.
  const X = [[1, 2], [3, 4]], Y = [[0, 2], [5, 1]];
  it('closed form for every reduction', () => {
    expect(l1Loss(tensor(X), tensor(Y)).item()).toBe(1.5);
    expect(l1Loss(tensor(X), tensor(Y), { reduction: 'sum' }).item()).toBe(6);
    expect(l1Loss(tensor(X), tensor(Y), { reduction: 'none' }).tolist()).toEqual([[1, 0], [2, 3]]);
  });

  it('gradient sign(x − y), exactly 0 at the kink x = y (as PyTorch)', () => {
    const x = leaf(X), y = leaf(Y);
    const [dx, dy] = grads(l1Loss(x, y, { reduction: 'sum' }), x, y);
    expect(dx).toEqual([1, 0, -1, 1]);
    expect(dy.map((v) => v + 0)).toEqual([-1, 0, 1, -1]);
  });

  it('gradient in a random direction away from the kink, every reduction', () => {
    const rng = new Generator(2);
    for (const reduction of REDS) {
      const y = randT([3, 5], rng);
      const d = randT([3, 5], rng, { awayFrom: 0 });
      const x = new Tensor(y.data.map((v, i) => v + d.data[i]), [3, 5]);
      expectGrad((a, b) => l1Loss(a, b, { reduction }), [x, y], { eps: 1e-3 });
    }
  });
});

describe('huberLoss', () => {
  // δ = 1, d = [0.5, −3, 1, 2]: ½·0.25 = 0.125; 1·(3 − ½) = 2.5; at |d| = δ both branches give ½;
  // 1·(2 − ½) = 1.5. Sum 4.625, mean 1.15625. Gradient clamp(d, −1, 1) = [0.5, −1, 1, 1].
  it('closed form for every reduction (δ = 1)', () => {
    const x = tensor([0.5, -3, 1, 2]), y = tensor([0, 0, 0, 0]);
    expect(huberLoss(x, y, { reduction: 'none' }).toArray()).toEqual([0.125, 2.5, 0.5, 1.5]);
    expect(huberLoss(x, y, { reduction: 'sum' }).item()).toBe(4.625);
    expect(huberLoss(x, y).item()).toBe(1.15625);
  });

  it('δ = 2: ½d² below, δ(|d| − δ/2) above; both ½δ² = 2 at |d| = δ', () => {
    // d = [0.5, −3, 1, 2] → [0.125, 2·(3 − 1) = 4, 0.5, 2]
    const l = huberLoss(tensor([0.5, -3, 1, 2]), tensor([0, 0, 0, 0]), { delta: 2, reduction: 'none' });
    expect(l.toArray()).toEqual([0.125, 4, 0.5, 2]);
  });

  it('exact gradient at the kinks: ±δ at |d| = δ from both sides, 0 at d = 0', () => {
    for (const delta of [1, 2, 0.5]) {
      const x = leaf([delta, -delta, 0, 3 * delta, 0.25 * delta]);
      const y = leaf([0, 0, 0, 0, 0]);
      const [dx, dy] = grads(huberLoss(x, y, { delta, reduction: 'sum' }), x, y);
      expect(dx).toEqual([delta, -delta, 0, delta, 0.25 * delta]);
      expect(dy.map((v) => v + 0)).toEqual([-delta, delta, 0, -delta, -0.25 * delta]);
    }
  });

  it('gradient in a random direction away from |d| = δ, every reduction', () => {
    const rng = new Generator(3);
    for (const reduction of REDS) {
      for (const delta of [1, 0.7]) {
        const y = randT([4, 3], rng);
        const d = randT([4, 3], rng, { scale: 2 });
        for (let i = 0; i < d.size; i++) {
          const a = Math.abs(d.data[i]);
          if (Math.abs(a - delta) < 0.05) d.data[i] += 0.1;
        }
        const x = new Tensor(y.data.map((v, i) => v + d.data[i]), [4, 3]);
        expectGrad((a, b) => huberLoss(a, b, { reduction, delta }), [x, y]);
      }
    }
  });

  it('with a δ larger than every |d| it is ½ of the squared error', () => {
    const rng = new Generator(4);
    const x = randT([10], rng), y = randT([10], rng);
    expect(huberLoss(x, y, { delta: 100, reduction: 'sum' }).item()).toBeCloseTo(0.5 * mseLoss(x, y, { reduction: 'sum' }).item(), 5);
  });
});

describe('nllLoss', () => {
  // logProbs = ln [[0.5, 0.25, 0.25], [0.1, 0.2, 0.7]], targets [0, 2], weight [1, 2, 3]:
  // items −1·ln 0.5 = 0.6931472 and −3·ln 0.7 = 1.0700248; sum 1.7631720;
  // weighted mean divides by w[0] + w[2] = 4 → 0.4407930.
  const P = [[0.5, 0.25, 0.25], [0.1, 0.2, 0.7]];
  const weight = [1, 2, 3];
  it('closed form for every reduction, weighted mean over Σ w[t]', () => {
    const lp = log(tensor(P));
    expectClose(nllLoss(lp, [0, 2], { weight, reduction: 'none' }).toArray(), [Math.log(2), -3 * Math.log(0.7)]);
    expectClose([nllLoss(lp, [0, 2], { weight, reduction: 'sum' }).item()], [Math.log(2) - 3 * Math.log(0.7)]);
    expectClose([nllLoss(lp, [0, 2], { weight }).item()], [(Math.log(2) - 3 * Math.log(0.7)) / 4]);
    // unweighted: mean over the 2 items
    expectClose([nllLoss(lp, [0, 2]).item()], [(Math.log(2) - Math.log(0.7)) / 2]);
  });

  it('gradient −w[t] / Σw at the target class only; ignored items get nothing', () => {
    const lp = new Tensor(log(tensor(P)).data.slice(), [2, 3], true);
    const [d] = grads(nllLoss(lp, [0, 2], { weight }), lp);
    expect(d).toEqual([-0.25, 0, 0, 0, 0, -0.75]);
    const lp2 = new Tensor(log(tensor(P)).data.slice(), [2, 3], true);
    // item 1 ignored: the mean divides by w[0] = 1 only
    const l = nllLoss(lp2, [0, -100], { weight });
    expectClose([l.item()], [Math.log(2)]);
    expect(grads(l, lp2)[0]).toEqual([-1, 0, 0, 0, 0, 0]);
    expect(nllLoss(lp2.detach(), [0, 1], { weight, ignoreIndex: 1, reduction: 'none' }).toArray()[1]).toBe(0);
  });

  it('extra dims (N, C, d): class axis 1, target (N, d)', () => {
    // x[0, c, j] = 10c + j; targets [[1, 0]] pick x[0, 1, 0] = 10 and x[0, 0, 1] = 1.
    const x = tensor([[[0, 1], [10, 11]]]);
    expect(nllLoss(x, tensor([[1, 0]]), { reduction: 'none' }).tolist()).toEqual([[-10, -1]]);
    expect(nllLoss(x, tensor([[1, 0]])).item()).toBe(-5.5);
  });

  it('unbatched (C) input with a scalar target', () => {
    const lp = log(tensor([0.2, 0.8]));
    expectClose([nllLoss(lp, tensor(1)).item()], [-Math.log(0.8)]);
    expect(nllLoss(lp, [1], { reduction: 'none' }).shape).toEqual([]);
  });

  it('every item ignored: mean is NaN (0/0, as PyTorch) and the gradient is 0', () => {
    const lp = new Tensor(new Float32Array([-1, -2, -3, -4]), [2, 2], true);
    const l = nllLoss(lp, [-100, -100]);
    expect(l.item()).toBeNaN();
    expect(grads(l, lp)[0]).toEqual([0, 0, 0, 0]);
  });

  it('equals crossEntropy on logSoftmax(x, 1), weighted and with ignored items, value and gradient', () => {
    const rng = new Generator(5);
    const x = randT([3, 4, 2], rng);
    const t = [0, 3, 1, -1, 2, 2];
    const w = [0.5, 1, 2, 1.5];
    for (const reduction of REDS) {
      const a = nllLoss(logSoftmax(x, 1), t, { weight: w, ignoreIndex: -1, reduction });
      const b = coreCrossEntropy(x, t, { weight: w, ignoreIndex: -1, reduction });
      expectClose(a.data, b.data, 1e-6, 1e-5);
    }
    const x1 = new Tensor(x.data.slice(), x.shape, true), x2 = new Tensor(x.data.slice(), x.shape, true);
    const up = randT([3, 2], rng);
    nllLoss(logSoftmax(x1, 1), t, { weight: w, ignoreIndex: -1, reduction: 'none' }).backward(up);
    coreCrossEntropy(x2, t, { weight: w, ignoreIndex: -1, reduction: 'none' }).backward(up);
    expectClose(x1.grad as Float32Array, x2.grad as Float32Array, 1e-6, 1e-5);
  });

  it('gradient in a random direction, every reduction, with weight and ignored items', () => {
    const rng = new Generator(6);
    for (const reduction of REDS) {
      const t = tensor([[2, 0, 1], [-100, 1, 2]]);
      expectGrad((lp) => nllLoss(lp, t, { weight: [1.5, 0.5, 2], reduction }), [randT([2, 3, 3], rng)]);
      expectGrad((lp) => nllLoss(lp, [3, 0, 4, 4], { reduction }), [randT([4, 5], rng)]);
    }
  });
});

describe('binaryCrossEntropy', () => {
  // p = [0.8, 0.4, 0.5], y = [1, 0, 0.5]: −ln 0.8, −ln 0.6, −(½ ln ½ + ½ ln ½) = ln 2.
  it('closed form for every reduction, soft targets', () => {
    const p = tensor([0.8, 0.4, 0.5]), y = tensor([1, 0, 0.5]);
    const e = [-Math.log(0.8), -Math.log(0.6), Math.log(2)];
    expectClose(binaryCrossEntropy(p, y, { reduction: 'none' }).toArray(), e);
    expectClose([binaryCrossEntropy(p, y, { reduction: 'sum' }).item()], [e[0] + e[1] + e[2]]);
    expectClose([binaryCrossEntropy(p, y).item()], [(e[0] + e[1] + e[2]) / 3]);
  });

  it('weight broadcast to the input: [2] weights the columns of a [2, 2] input', () => {
    // ℓ = w[j]·(−ln 0.8) for every entry with p = 0.8, y = 1 → [[w0, w1], [w0, w1]]·0.2231436
    const p = tensor([[0.8, 0.8], [0.8, 0.8]]), y = tensor([[1, 1], [1, 1]]);
    const l = binaryCrossEntropy(p, y, { weight: [2, 3], reduction: 'none' });
    const c = -Math.log(0.8);
    expectClose(l.toArray(), [2 * c, 3 * c, 2 * c, 3 * c]);
    expectClose(binaryCrossEntropy(p, y, { weight: tensor([[1], [0]]), reduction: 'none' }).toArray(), [c, c, 0, 0]);
  });

  it('probabilities exactly 0 and 1: loss clamped at 100, finite gradient ±1e12 (PyTorch clamps x(1 − x) at 1e−12)', () => {
    // p = [0, 1, 0, 1], y = [1, 0, 0, 1]: −max(ln 0, −100) = 100 twice, 0 twice.
    // dℓ/dp = (p − y) / max(p(1 − p), 1e−12) = [−1e12, 1e12, 0, 0].
    const p = leaf([0, 1, 0, 1]), y = leaf([1, 0, 0, 1]);
    const l = binaryCrossEntropy(p, y, { reduction: 'none' });
    expect(l.toArray().map((v) => v + 0)).toEqual([100, 100, 0, 0]);
    l.backward([1, 1, 1, 1]);
    const dp = Array.from(p.grad as Float32Array);
    expectClose(dp, [-1e12, 1e12, 0, 0], 0, 1e-6);
    expect(dp.every(Number.isFinite)).toBe(true);
    // d/dy = max(ln(1 − p), −100) − max(ln p, −100): [−0 + 100, −100 − 0, 100, −100]
    expect(Array.from(y.grad as Float32Array)).toEqual([100, -100, 100, -100]);
  });

  it('gradient in a random direction, every reduction, weighted, for probs and soft targets', () => {
    const rng = new Generator(7);
    for (const reduction of REDS) {
      const p = randPos([3, 4], rng, 0.05, 0.95), y = randPos([3, 4], rng, 0, 1);
      expectGrad((a, b) => binaryCrossEntropy(a, b, { reduction }), [p, y]);
      const w = randPos([4], rng, 0.5, 2);
      expectGrad((a, b) => binaryCrossEntropy(a, b, { weight: w, reduction }), [p, y]);
    }
  });

  it('NaN propagates (it is not an out-of-range error)', () => {
    expect(binaryCrossEntropy(tensor([NaN, 0.5]), tensor([1, 1])).item()).toBeNaN();
  });
});

describe('binaryCrossEntropyWithLogits', () => {
  // x = [0, 2, −1], z = [1, 0, ½]: ln 2; max(2, 0) + ln(1 + e⁻²) = ln(1 + e²);
  // 0 + ½ + ln(1 + e⁻¹).
  it('closed form for every reduction', () => {
    const x = tensor([0, 2, -1]), z = tensor([1, 0, 0.5]);
    const e = [Math.log(2), Math.log(1 + Math.exp(2)), 0.5 + Math.log(1 + Math.exp(-1))];
    expectClose(binaryCrossEntropyWithLogits(x, z, { reduction: 'none' }).toArray(), e);
    expectClose([binaryCrossEntropyWithLogits(x, z, { reduction: 'sum' }).item()], [e[0] + e[1] + e[2]]);
    expectClose([binaryCrossEntropyWithLogits(x, z).item()], [(e[0] + e[1] + e[2]) / 3]);
  });

  it('posWeight p multiplies the positive term: x = 0, z = 1, p = 3 → 3 ln 2, gradient (1 + 2z)σ(0) − 3z = −1.5', () => {
    const x = leaf([0]);
    const l = binaryCrossEntropyWithLogits(x, tensor([1]), { posWeight: [3], reduction: 'sum' });
    expectClose([l.item()], [3 * Math.log(2)]);
    expect(grads(l, x)[0]).toEqual([-1.5]);
    // a negative target term is untouched by p: x = 0, z = 0 → ln 2
    expectClose([binaryCrossEntropyWithLogits(tensor([0]), tensor([0]), { posWeight: [3] }).item()], [Math.log(2)]);
  });

  it('posWeight [C] broadcasts over the class (last) axis of an (N, C) input', () => {
    const rng = new Generator(8);
    const x = randT([3, 4], rng), z = randPos([3, 4], rng, 0, 1), pw = [0.5, 1, 2, 4];
    const l = binaryCrossEntropyWithLogits(x, z, { posWeight: pw, reduction: 'none' });
    for (let n = 0; n < 3; n++) {
      for (let c = 0; c < 4; c++) {
        const xv = x.data[n * 4 + c], zv = z.data[n * 4 + c];
        const sp = Math.log1p(Math.exp(-xv));
        expect(l.data[n * 4 + c]).toBeCloseTo((1 - zv) * xv + (1 + (pw[c] - 1) * zv) * sp, 5);
      }
    }
  });

  it('stable at ±1e4: exact losses 0 or 1e4, gradients σ(x) − z, nothing overflows', () => {
    const x = leaf([1e4, -1e4, 1e4, -1e4]);
    const l = binaryCrossEntropyWithLogits(x, tensor([1, 0, 0, 1]), { reduction: 'none' });
    expect(l.toArray()).toEqual([0, 0, 1e4, 1e4]);
    l.backward([1, 1, 1, 1]);
    expect(Array.from(x.grad as Float32Array)).toEqual([0, 0, 1, -1]);
  });

  it('equals binaryCrossEntropy(sigmoid(x)) where the sigmoid does not saturate; posWeight 1 is no posWeight', () => {
    const rng = new Generator(9);
    const x = randT([5, 3], rng, { scale: 2 }), z = randPos([5, 3], rng, 0, 1);
    const w = randPos([3], rng);
    expectClose(binaryCrossEntropyWithLogits(x, z, { weight: w, reduction: 'none' }).data, binaryCrossEntropy(sigmoid(x), z, { weight: w, reduction: 'none' }).data, 1e-5, 1e-4);
    expectClose(binaryCrossEntropyWithLogits(x, z, { posWeight: [1, 1, 1] }).data, binaryCrossEntropyWithLogits(x, z).data, 0, 1e-7);
  });

  it('gradient in a random direction, every reduction, with weight and posWeight, to logits and targets', () => {
    const rng = new Generator(10);
    for (const reduction of REDS) {
      const x = randT([4, 3], rng, { scale: 3 }), z = randPos([4, 3], rng, 0, 1);
      expectGrad((a, b) => binaryCrossEntropyWithLogits(a, b, { reduction }), [x, z]);
      const pw = randPos([3], rng, 0.3, 4), w = randPos([4, 1], rng);
      expectGrad((a, b) => binaryCrossEntropyWithLogits(a, b, { weight: w, posWeight: pw, reduction }), [x, z]);
    }
  });
});

describe('klDiv', () => {
  // input = ln q, q = [[¼, ¾], [½, ½]]; target t = [[½, ½], [0, 1]]:
  // elements t·(ln t − ln q) = [½ ln 2, ½ ln ⅔, 0 (0·ln 0 = 0), ln 2]; sum = ½ ln(4/3) + ln 2.
  // 'mean' ÷ 4 elements, 'batchmean' ÷ 2 rows (the KL per sample).
  const q = [[0.25, 0.75], [0.5, 0.5]], t = [[0.5, 0.5], [0, 1]];
  const el = [0.5 * Math.log(2), 0.5 * Math.log(2 / 3), 0, Math.log(2)];
  const total = el[0] + el[1] + el[2] + el[3];
  it('closed form for every reduction, 0·ln 0 = 0', () => {
    const x = log(tensor(q)), y = tensor(t);
    expectClose(klDiv(x, y, { reduction: 'none' }).toArray(), el);
    expectClose([klDiv(x, y, { reduction: 'sum' }).item()], [total]);
    expectClose([klDiv(x, y).item()], [total / 4]);
    expectClose([klDiv(x, y, { reduction: 'batchmean' }).item()], [total / 2]);
  });

  it('logTarget: the target as log-probabilities gives the same values', () => {
    const rng = new Generator(11);
    const x = logSoftmax(randT([3, 5], rng), 1), lt = logSoftmax(randT([3, 5], rng), 1);
    for (const reduction of ['mean', 'batchmean', 'sum', 'none'] as const) {
      expectClose(klDiv(x, lt, { reduction, logTarget: true }).data, klDiv(x, lt.detach().exp(), { reduction }).data, 1e-6, 1e-5);
    }
  });

  it('gradient −t for the input (−e^t with logTarget); batchmean on a scalar is the sum', () => {
    const x = leaf([[-1, -2], [-3, -4]]);
    const [dx] = grads(klDiv(x, tensor([[0.5, 0.5], [0, 1]]), { reduction: 'batchmean' }), x);
    expect(dx.map((v) => v + 0)).toEqual([-0.25, -0.25, 0, -0.5]);
    const s = klDiv(tensor(-1), tensor(0.5), { reduction: 'batchmean' }).item();
    expectClose([s], [0.5 * (Math.log(0.5) + 1)]);
  });

  it('gradient in a random direction, every reduction, to input and target, both target kinds', () => {
    const rng = new Generator(12);
    for (const reduction of ['mean', 'batchmean', 'sum', 'none'] as const) {
      expectGrad((a, b) => klDiv(a, b, { reduction }), [randT([3, 4], rng), randPos([3, 4], rng, 0.1, 1)]);
      expectGrad((a, b) => klDiv(a, b, { reduction, logTarget: true }), [randT([3, 4], rng), randT([3, 4], rng)]);
    }
  });
});

describe('reductions agree with each other', () => {
  const rng = new Generator(13);
  const x = randPos([3, 4], rng, 0.05, 0.95), y = randPos([3, 4], rng, 0.05, 0.95);
  const cases: [string, (r: Red) => Tensor][] = [
    ['mseLoss', (reduction) => mseLoss(x, y, { reduction })],
    ['l1Loss', (reduction) => l1Loss(x, y, { reduction })],
    ['huberLoss', (reduction) => huberLoss(x, y, { reduction, delta: 0.3 })],
    ['binaryCrossEntropy', (reduction) => binaryCrossEntropy(x, y, { reduction, weight: [1, 2, 3, 4] })],
    ['binaryCrossEntropyWithLogits', (reduction) => binaryCrossEntropyWithLogits(x, y, { reduction, posWeight: [2, 1, 1, 0.5] })],
    ['klDiv', (reduction) => klDiv(x, y, { reduction })],
  ];
  for (const [name, f] of cases) {
    it(`${name}: Σ none = sum = N · mean`, () => {
      const none = f('none');
      expect(none.shape).toEqual([3, 4]);
      const s = none.toArray().reduce((a, b) => a + b, 0);
      expect(f('sum').item()).toBeCloseTo(s, 5);
      expect(f('mean').item() * 12).toBeCloseTo(s, 5);
    });
  }
});

describe('crossEntropy is re-exported from the tensor core, not re-implemented', () => {
  it('is the same function', () => {
    expect(crossEntropy).toBe(coreCrossEntropy);
  });
});

interface Arr {
  shape: number[];
  data: (number | string)[];
}
interface LossCase {
  fn: string;
  reduction: string;
  options: Record<string, unknown>;
  inputs: Record<string, Arr>;
  up: Arr;
  value: Arr;
  grads: Record<string, Arr>;
}

const num = (v: number | string): number => (typeof v === 'number' ? v : Number(v));
const toT = (a: Arr, requiresGrad = false): Tensor => new Tensor(Float32Array.from(a.data, num), a.shape, requiresGrad);
const fixture = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/losses.json'), 'utf8')) as { cases: LossCase[] };

describe('against PyTorch 1.13 (test/fixtures/losses.json): values and input gradients', () => {
  const fns: Record<string, (a: Tensor, b: never, o: never) => Tensor> = {
    mseLoss, l1Loss, huberLoss, nllLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits, klDiv,
  } as never;
  it('covers every loss × reduction', () => {
    const seen = new Set(fixture.cases.map((c) => `${c.fn}/${c.reduction}`));
    for (const f of ['mseLoss', 'l1Loss', 'huberLoss', 'nllLoss', 'binaryCrossEntropy', 'binaryCrossEntropyWithLogits']) {
      for (const r of REDS) expect(seen.has(`${f}/${r}`), `${f}/${r}`).toBe(true);
    }
    for (const r of ['mean', 'batchmean', 'sum', 'none']) expect(seen.has(`klDiv/${r}`)).toBe(true);
  });

  fixture.cases.forEach((c, k) => {
    const label = `${k}: ${c.fn} ${c.reduction} ${JSON.stringify(Object.keys(c.options))} ${JSON.stringify(c.inputs.input.shape)}`;
    it(label, () => {
      const opts: Record<string, unknown> = { reduction: c.reduction };
      for (const [key, v] of Object.entries(c.options)) opts[key] = typeof v === 'object' && v !== null ? toT(v as Arr) : v;
      const input = toT(c.inputs.input, true);
      let target: Tensor | number[];
      let targetT: Tensor | null = null;
      if (c.fn === 'nllLoss') {
        // exercise both target forms: a flat number[] for (N, C), a tensor otherwise
        target = c.inputs.input.shape.length === 2 ? c.inputs.target.data.map(num) : toT(c.inputs.target);
      } else {
        targetT = toT(c.inputs.target, 'target' in c.grads);
        target = targetT;
      }
      const out = fns[c.fn](input, target as never, opts as never);
      expect(out.shape).toEqual(c.value.shape);
      expectClose(out.data, c.value.data.map(num), 1e-6, 1e-5);
      out.backward(toT(c.up).data);
      expectClose(input.grad as Float32Array, c.grads.input.data.map(num), 1e-6, 1e-5);
      if (targetT !== null && c.grads.target) expectClose(targetT.grad as Float32Array, c.grads.target.data.map(num), 1e-6, 1e-5);
    });
  });
});

describe('bad inputs throw typed errors naming shapes and values', () => {
  const a = tensor([[0.5, 0.5, 0.5]]), b = tensor([[0.5], [0.5], [0.5]]);
  it('input and target shapes must be equal (no silent broadcasting)', () => {
    for (const f of [mseLoss, l1Loss, huberLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits, klDiv]) {
      expectThrows(() => f(a, b), ShapeError, '[1, 3]', '[3, 1]');
      expectThrows(() => f(tensor([0.5, 0.5]), tensor([[0.5, 0.5]])), ShapeError, '[2]', '[1, 2]');
    }
  });

  it('an unknown reduction names the value; batchmean only for klDiv', () => {
    for (const f of [mseLoss, l1Loss, huberLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits, klDiv]) {
      expectThrows(() => f(a, a, { reduction: 'avg' as never }), ArgumentError, '"avg"', "'sum'");
    }
    expectThrows(() => mseLoss(a, a, { reduction: 'batchmean' as never }), ArgumentError, '"batchmean"');
    expectThrows(() => nllLoss(a, [0], { reduction: 'elementwise_mean' as never }), ArgumentError, '"elementwise_mean"');
    expect(klDiv(a, a, { reduction: 'batchmean' }).shape).toEqual([]);
  });

  it('nllLoss: targets out of range or not integers name the value and position; shapes are named', () => {
    const lp = tensor([[-1, -2, -3], [-1, -2, -3]]);
    expectThrows(() => nllLoss(lp, [0, 3]), ArgumentError, 'target[1] = 3', '[0, 2]', '[2, 3]');
    expectThrows(() => nllLoss(lp, [-1, 0]), ArgumentError, 'target[0] = -1');
    expectThrows(() => nllLoss(lp, tensor([0.5, 1])), ArgumentError, '0.5');
    expectThrows(() => nllLoss(tensor([[[-1], [-2]], [[-1], [-2]]]), tensor([[5], [0]])), ArgumentError, 'target[0, 0] = 5');
    expectThrows(() => nllLoss(lp, [0, 1, 2]), ShapeError, '3 class indices', '[2, 3]');
    expectThrows(() => nllLoss(lp, tensor([[0, 1]])), ShapeError, '[1, 2]', '[2, 3]', '[2]');
    expectThrows(() => nllLoss(lp, [0, 1], { weight: [1, 2] }), ShapeError, 'weight [2]', '[3]');
    expectThrows(() => nllLoss(tensor(1), [0]), ShapeError, 'scalar');
    expectThrows(() => nllLoss(lp, [0, 1], { ignoreIndex: 0.5 }), ArgumentError, 'ignoreIndex');
  });

  it('binaryCrossEntropy: a probability outside [0, 1] is named; weight must broadcast', () => {
    expectThrows(() => binaryCrossEntropy(tensor([0.5, 1.5]), tensor([1, 0])), ArgumentError, 'probs[1] = 1.5', 'binaryCrossEntropyWithLogits');
    expectThrows(() => binaryCrossEntropy(tensor([[0.5, -0.1]]), tensor([[1, 0]])), ArgumentError, 'probs[0, 1] = -0.1');
    expectThrows(() => binaryCrossEntropy(a, a, { weight: [1, 2] }), ShapeError, 'weight [2]', '[1, 3]');
    expectThrows(() => binaryCrossEntropyWithLogits(a, a, { posWeight: tensor([[1], [2]]) }), ShapeError, 'posWeight [2, 1]', '[1, 3]');
    expectThrows(() => binaryCrossEntropyWithLogits(a, a, { weight: tensor([[[1, 2, 3]]]) }), ShapeError, 'weight [1, 1, 3]');
  });

  it('huberLoss delta and klDiv logTarget are validated', () => {
    for (const delta of [0, -1, NaN]) expectThrows(() => huberLoss(a, a, { delta }), ArgumentError, 'delta');
    expectThrows(() => klDiv(a, a, { logTarget: 'yes' as never }), ArgumentError, 'logTarget', '"yes"');
  });

  it('binaryCrossEntropy: a target outside [0, 1] is named (soft targets inside are fine; NaN propagates)', () => {
    expectThrows(() => binaryCrossEntropy(tensor([0.5, 0.5]), tensor([1, 2])), ArgumentError, 'target[1] = 2', 'outside [0, 1]');
    expectThrows(() => binaryCrossEntropy(tensor([[0.5, 0.5]]), tensor([[-0.5, 1]])), ArgumentError, 'target[0, 0] = -0.5');
    expect(binaryCrossEntropy(tensor([0.5]), tensor([0.3])).item()).toBeCloseTo(Math.LN2, 6);
    expect(Number.isNaN(binaryCrossEntropy(tensor([0.5]), tensor([NaN])).item())).toBe(true);
  });

  it('options go through the shared validator: unknown keys get a hint, values of the wrong type are refused', () => {
    expectThrows(() => mseLoss(a, a, { reducton: 'sum' } as never), ArgumentError, "mseLoss: unknown option 'reducton'", "did you mean 'reduction'");
    expectThrows(() => nllLoss(tensor([[-1, -2]]), [0], { ignore_index: 1 } as never), ArgumentError, "did you mean 'ignoreIndex'");
    expectThrows(() => binaryCrossEntropyWithLogits(a, a, { pos_weight: [1, 1, 1] } as never), ArgumentError, "did you mean 'posWeight'");
    expectThrows(() => klDiv(a, a, { log_target: true } as never), ArgumentError, "did you mean 'logTarget'");
    expectThrows(() => huberLoss(a, a, { delta: '1' } as never), ArgumentError, 'huberLoss: delta must be a finite number > 0, got "1"');
    expectThrows(() => huberLoss(a, a, { delta: Infinity }), ArgumentError, 'delta');
    expectThrows(() => l1Loss(a, a, 'sum' as never), ArgumentError, 'l1Loss: options must be an object, got "sum"');
    expectThrows(() => binaryCrossEntropy(a, a, { weight: [1, '2', 3] } as never), ArgumentError, 'weight[1]', '"2"');
    expectThrows(() => binaryCrossEntropy(a, a, { weight: 'heavy' } as never), ArgumentError, 'weight must be a Tensor, Float32Array or number[]');
    expectThrows(() => nllLoss(tensor([[-1, -2]]), [0], { ignoreIndex: 2 ** 31 }), ArgumentError, 'ignoreIndex');
    // undefined means "not given"; null weights mean none.
    expect(mseLoss(a, a, { reduction: undefined }).item()).toBe(0);
    expect(binaryCrossEntropy(tensor([0.5]), tensor([1]), { weight: null }).item()).toBeCloseTo(Math.LN2, 6);
  });

  it('garbage in any argument position throws a TensorkitError, never a raw TypeError', () => {
    const garbage: unknown[] = [undefined, null, 'x', {}, NaN, -1, 1.5, [[1], [2, 3]], Symbol('s'), () => 1];
    const good = tensor([[0.25, 0.5], [0.75, 0.5]]);
    const failures: string[] = [];
    const fs = { mseLoss, l1Loss, huberLoss, nllLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits, klDiv } as Record<string, (...args: unknown[]) => unknown>;
    const show = (g: unknown) => (typeof g === 'symbol' ? 'Symbol' : typeof g === 'function' ? 'fn' : JSON.stringify(g));
    const attempt = (label: string, f: (...args: unknown[]) => unknown, args: unknown[]) => {
      try {
        f(...args);
      } catch (e) {
        if (!(e instanceof TensorkitError)) failures.push(`${label}: ${(e as Error).constructor.name}: ${(e as Error).message}`);
      }
    };
    for (const [name, f] of Object.entries(fs)) {
      const target = name === 'nllLoss' ? [0, 1] : good;
      for (const g of garbage) {
        attempt(`${name}(${show(g)}, target)`, f, [g, target]);
        attempt(`${name}(input, ${show(g)})`, f, [good, g]);
        attempt(`${name}(input, target, ${show(g)})`, f, [good, target, g]);
        for (const key of ['reduction', 'weight', 'posWeight', 'delta', 'ignoreIndex', 'logTarget']) {
          attempt(`${name}(input, target, { ${key}: ${show(g)} })`, f, [good, target, { [key]: g }]);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
