import { describe, expect, it } from 'vitest';
import { Linear, ReLU, Sequential, crossEntropy } from '../../src/nn/index';
import { Adam, StepLR } from '../../src/optim/index';
import { Generator, Tensor, randn } from '../../src/tensor/index';

/** A model, its optimizer and scheduler, built the same way every time. */
function setup() {
  const model = new Sequential(new Linear(6, 16, { rng: new Generator(1) }), new ReLU(), new Linear(16, 3, { rng: new Generator(2) }));
  const opt = new Adam(model.parameters(), { lr: 1e-2, weightDecay: 1e-4, amsgrad: true });
  const sched = new StepLR(opt, { stepSize: 4, gamma: 0.5 });
  return { model, opt, sched };
}

const x = randn([32, 6], { rng: new Generator(3) });
const y = new Tensor(Float32Array.from({ length: 32 }, (_, i) => i % 3), [32]);

function train(s: ReturnType<typeof setup>, steps: number, rng: Generator): void {
  for (let i = 0; i < steps; i++) {
    // A random half-batch each step, drawn from a generator whose state is part of the checkpoint.
    const idx = rng.permutation(32).subarray(0, 16);
    const xb = new Tensor(new Float32Array(16 * 6), [16, 6]);
    const yb = new Tensor(new Float32Array(16), [16]);
    idx.forEach((r, k) => {
      xb.data.set(x.data.subarray(r * 6, r * 6 + 6), k * 6);
      yb.data[k] = y.data[r];
    });
    s.opt.zeroGrad();
    crossEntropy(s.model.forward(xb), yb).backward();
    s.opt.step();
    s.sched.step();
  }
}

describe('resume', () => {
  it('10 steps, checkpoint through JSON, fresh objects, 10 more steps == 20 uninterrupted steps, bit for bit', () => {
    const straight = setup();
    train(straight, 20, new Generator(4));

    const first = setup();
    const rng = new Generator(4);
    train(first, 10, rng);
    const checkpoint = JSON.stringify({
      model: Object.fromEntries(Object.entries(first.model.stateDict()).map(([k, t]) => [k, { shape: t.shape, data: Array.from(t.data) }])),
      optimizer: first.opt.stateDict(),
      scheduler: first.sched.stateDict(),
      rng: rng.getState(),
    });

    const saved = JSON.parse(checkpoint);
    const resumed = setup();
    resumed.model.loadStateDict(Object.fromEntries(Object.entries(saved.model as Record<string, { shape: number[]; data: number[] }>).map(([k, v]) => [k, new Tensor(Float32Array.from(v.data), v.shape)])));
    resumed.opt.loadStateDict(saved.optimizer);
    resumed.sched.loadStateDict(saved.scheduler);
    train(resumed, 10, new Generator(0).setState(saved.rng));

    const a = straight.model.parameters(), b = resumed.model.parameters();
    for (let i = 0; i < a.length; i++) expect(Array.from(b[i].data)).toEqual(Array.from(a[i].data));
    expect(resumed.opt.lr).toBe(straight.opt.lr);
  });
});
