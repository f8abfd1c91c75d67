import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, ShapeError, Tensor, crossEntropy, randn, tensor } from '../../src/tensor/index';
import { Linear, Module, ReLU, Sequential } from '../../src/nn/index';
import { Adam, SGD } from '../../src/optim/index';
import { saveModel } from '../../src/io/index';
import { evaluate, fit } from '../../src/train/index';
import { Distiller, distillationLoss } from '../../src/compress/index';
import { expectClose, expectGrad, randT, expectThrows } from '../helpers/check';

interface Case { temperature: number; alpha: number; s: number[]; t: number[]; y: number[]; loss: number; kl: number; grad: number[] }
const fx = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/prune.json'), 'utf8')) as { distill: Case[] };


describe('distillationLoss', () => {
  for (const c of fx.distill) {
    it(`equals PyTorch 1.13 (kl_div batchmean, cross_entropy) with its gradient at T=${c.temperature}, α=${c.alpha}`, () => {
      const s = new Tensor(Float32Array.from(c.s), [4, 5], true);
      const t = new Tensor(Float32Array.from(c.t), [4, 5], true);
      const loss = distillationLoss(s, t, c.y, { temperature: c.temperature, alpha: c.alpha });
      expect(loss.item()).toBeCloseTo(c.loss, 5);
      loss.backward();
      expectClose(s.grad!, c.grad, 1e-6, 1e-4);
      // The teacher is detached: it gets no gradient.
      expect(t.grad).toBeNull();
    });
  }

  it('closed forms: equal logits leave (1 − α)·CE; α = 1 is T²·KL alone; the soft gradient is (α·T/N)(softmax(s/T) − softmax(t/T))', () => {
    const s = tensor([[1, 2, 3], [0, 0, 1]]);
    const y = [2, 0];
    const ce = crossEntropy(s, y).item();
    expect(distillationLoss(s, s, y, { temperature: 3, alpha: 0.25 }).item()).toBeCloseTo(0.75 * ce, 6);
    const t = tensor([[3, 2, 1], [1, 0, 0]]);
    const leaf = new Tensor(Float32Array.from(s.data), s.shape, true);
    const T = 2;
    distillationLoss(leaf, t, y, { temperature: T, alpha: 1 }).backward();
    const sm = (row: number[]) => { const e = row.map((v) => Math.exp(v / T)); const z = e.reduce((a, b) => a + b); return e.map((v) => v / z); };
    const want: number[] = [];
    for (let r = 0; r < 2; r++) {
      const ps = sm(Array.from(s.data.slice(r * 3, r * 3 + 3))), pt = sm(Array.from(t.data.slice(r * 3, r * 3 + 3)));
      for (let c = 0; c < 3; c++) want.push((1 * T / 2) * (ps[c] - pt[c]));
    }
    expectClose(leaf.grad!, want, 1e-6, 1e-5);
  });

  it('gradient by central differences in random directions (student only), for a few T and α', () => {
    const g = new Generator(21);
    for (const [T, alpha] of [[1, 0.5], [3, 0.9], [0.5, 0.2]]) {
      const s = randT([3, 4], g);
      s.requiresGrad = true;
      const t = randT([3, 4], g, { scale: 2 });
      expectGrad((x) => distillationLoss(x, t, [0, 3, 1], { temperature: T, alpha }), [s], { rng: g });
    }
  });

  it('bad input', () => {
    const s = tensor([[1, 2]]);
    expectThrows(() => distillationLoss(s, s, [0], { temperature: 0 }), ArgumentError, 'distillationLoss: temperature must be a finite number > 0, got 0');
    expectThrows(() => distillationLoss(s, s, [0], { alpha: 1.5 }), ArgumentError, 'alpha must be a finite number ≥ 0 and ≤ 1');
    expectThrows(() => distillationLoss(s, s, [0], { temp: 2 } as never), ArgumentError, "unknown option 'temp'");
    expectThrows(() => distillationLoss(s, tensor([[1, 2, 3]]), [0]), ShapeError, 'studentLogits [1, 2] and teacherLogits [1, 3]');
    expectThrows(() => distillationLoss(tensor([1, 2]), tensor([1, 2]), [0]), ShapeError, 'studentLogits [2] must be (N, C)');
    expectThrows(() => distillationLoss([1] as never, s, [0]), ArgumentError, 'studentLogits must be a Tensor');
    expectThrows(() => distillationLoss(s, s, [5]), ArgumentError, 'crossEntropy');
  });
});

describe('Distiller', () => {
  /** A 3-class task whose labels are the argmax of a fixed linear map of the inputs. */
  function task(seed: number, n: number): [Tensor, Tensor] {
    const g = new Generator(seed);
    const x = randn([n, 6], { rng: g });
    const W = [[1, -1, 0.5, 0, 0, 0.3], [0, 1, -1, 0.5, 0.2, 0], [-0.5, 0, 0, 1, -1, 0.4]];
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0, bv = -Infinity;
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (let j = 0; j < 6; j++) v += W[c][j] * x.data[i * 6 + j];
        if (v > bv) { bv = v; best = c; }
      }
      y[i] = best;
    }
    return [x, new Tensor(y, [n])];
  }

  it('only the student is a child: parameters, state dict, train/eval; the teacher runs in eval under noGrad and never changes', async () => {
    const teacher = new Sequential(new Linear(6, 16, { rng: new Generator(1) }), new ReLU(), new Linear(16, 3, { rng: new Generator(2) }));
    const student = new Linear(6, 3, { rng: new Generator(3) });
    const d = new Distiller(student, teacher, { temperature: 4, alpha: 0.9 });
    expect(d.parameters()).toEqual(student.parameters());
    expect(Object.keys(d.stateDict())).toEqual(['student.weight', 'student.bias']);
    const before = teacher.parameters().map((p) => Array.from(p.data));
    const modes: boolean[] = [];
    teacher.registerForwardHook((m) => { modes.push(m.training); });
    const [x, y] = task(4, 64);
    await fit(d, { data: [[x, y]], loss: d.loss, optimizer: new SGD(d.parameters(), { lr: 0.1 }), epochs: 3 });
    expect(modes).toEqual([false, false, false]);
    expect(teacher.training).toBe(true);
    expect(teacher.parameters().map((p) => Array.from(p.data))).toEqual(before);
    expect(teacher.parameters().every((p) => p.grad === null)).toBe(true);
    expect(d.forward(x)).toBeInstanceOf(Tensor);
  });

  it('a student distilled from a trained teacher learns the task (fit, then evaluate with the same loss)', async () => {
    const [x, y] = task(10, 256);
    const teacher = new Sequential(new Linear(6, 32, { rng: new Generator(11) }), new ReLU(), new Linear(32, 3, { rng: new Generator(12) }));
    await fit(teacher, { data: [[x, y]], loss: (p, t) => crossEntropy(p, t), optimizer: new Adam(teacher.parameters(), { lr: 0.02 }), epochs: 150 });
    const student = new Linear(6, 3, { rng: new Generator(13) });
    const d = new Distiller(student, teacher, { temperature: 2, alpha: 0.8 });
    const h = await fit(d, {
      data: [[x, y]], loss: d.loss, optimizer: new Adam(d.parameters(), { lr: 0.05 }), epochs: 100,
      metrics: { accuracy: { fn: (yt, yp) => yt.data.reduce((s, v, i) => s + (v === yp.data[i] ? 1 : 0), 0) / yt.size, predictions: 'argmax' } },
    });
    expect(h.history.accuracy[99]).toBeGreaterThan(0.9);
    expect(h.history.loss[99]).toBeLessThan(h.history.loss[0] / 2);
    const e = evaluate(d, [[x, y]], { loss: d.loss });
    expect(e.loss).toBeLessThan(h.history.loss[0]);
  });

  it('bad input: the loss on anything but the last output, non-modules, the same model twice, bad options', () => {
    const a = new Linear(2, 2), b = new Linear(2, 2);
    const d = new Distiller(a, b);
    expectThrows(() => d.loss(tensor([[1, 2]]), tensor([0])), ArgumentError, 'Distiller.loss: studentLogits must be the output of the last distiller.forward(x)');
    expectThrows(() => new Distiller({} as Module, b), ArgumentError, 'Distiller: student must be a Module');
    expectThrows(() => new Distiller(a, 3 as never), ArgumentError, 'teacher must be a Module');
    expectThrows(() => new Distiller(a, a), ArgumentError, 'two models');
    expectThrows(() => new Distiller(a, b, { alpha: -1 }), ArgumentError, 'alpha must be');
    expectThrows(() => saveModel(d), ArgumentError, 'save distiller.student');
    expect(saveModel(d.student)).toBeInstanceOf(Uint8Array);
  });
});
