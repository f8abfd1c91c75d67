import { describe, expect, it } from 'vitest';
import { Adadelta, Adagrad, Adam, Adamax, AdamW, Optimizer, RMSprop, SGD, type OptimizerStateDict } from '../../src/optim/index';
import { ArgumentError, Parameter, tensor } from '../../src/tensor/index';
import { expectClose } from '../helpers/check';
import { fixture, makeOptimizer, TinyModel } from './fixture';

function param(values: number[], grad: number[]): Parameter {
  const p = new Parameter(tensor(values));
  p.grad = Float32Array.from(grad);
  return p;
}

describe('first step in closed form', () => {
  it('SGD: θ − η(g + λθ); momentum buffer starts at the gradient, undamped', () => {
    // θ = 2, g = 1, λ = 0.5 → d = 1 + 0.5·2 = 2; buffer b₁ = d (no dampening on step 1) → θ = 2 − 0.1·2 = 1.8.
    const p = param([2], [1]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.5, weightDecay: 0.5 });
    opt.step();
    expectClose(p.data, [1.8], 0, 1e-6);
    // Step 2, g = 1 again at θ = 1.8: d = 1.9; b₂ = 0.9·2 + (1 − 0.5)·1.9 = 2.75 → θ = 1.8 − 0.275 = 1.525.
    opt.step();
    expectClose(p.data, [1.525], 0, 1e-6);
  });

  it('SGD nesterov: θ − η(d + μ·b)', () => {
    // d = g = 3, b₁ = 3 → step uses 3 + 0.9·3 = 5.7 → θ = 1 − 0.57 = 0.43.
    const p = param([1], [3]);
    new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true }).step();
    expectClose(p.data, [0.43], 0, 1e-6);
  });

  it('Adam: the first step is −η·sign(g) (up to ε), for every magnitude of g', () => {
    // m = (1 − β₁)g, v = (1 − β₂)g², m̂ = g, √v̂ = |g| → Δ = −η g / (|g| + ε).
    const p = param([0, 0, 0], [1e-3, -5, 200]);
    new Adam([p], { lr: 0.01 }).step();
    expectClose(p.data, [-0.01 * (1e-3 / (1e-3 + 1e-8)), 0.01, -0.01], 1e-9, 1e-6);
  });

  it('Adam: ε is added after the bias correction of √v', () => {
    // g = 1, ε = 1: Δ = −η·1 / (1 + 1) = −η/2 (the paper's ε̂ placement would give a different value).
    const p = param([0], [1]);
    new Adam([p], { lr: 0.1, eps: 1 }).step();
    expectClose(p.data, [-0.05], 0, 1e-6);
  });

  it('Adam weightDecay folds λθ into the gradient; AdamW scales θ by 1 − ηλ first', () => {
    // Adam: g = 0 + 0.5·2 = 1 → Δ = −η = −0.1 → 1.9.
    const a = param([2], [0]);
    new Adam([a], { lr: 0.1, weightDecay: 0.5 }).step();
    expectClose(a.data, [1.9], 0, 1e-6);
    // AdamW: θ = 2(1 − 0.1·0.5) = 1.9, then g = 0 gives m = 0 → no further change.
    const w = param([2], [0]);
    new AdamW([w], { lr: 0.1, weightDecay: 0.5 }).step();
    expectClose(w.data, [1.9], 0, 1e-6);
  });

  it('Adam amsgrad keeps the max of v: a smaller second gradient uses the old v', () => {
    // β = (0, 0.5): step 1 g = 2: m = 2, v = 2, vmax = 2, m̂ = 2, v̂ = 2/0.5 = 4 → Δ = −η·2/2 = −η.
    // step 2 g = 0.5: m = 0.5, v = 0.5·2 + 0.5·0.25 = 1.125, vmax = 2, v̂ = 2/0.75 → Δ = −η·0.5/√(8/3).
    const p = param([0], [2]);
    const opt = new Adam([p], { lr: 0.1, betas: [0, 0.5], amsgrad: true, eps: 0 });
    opt.step();
    p.grad = Float32Array.from([0.5]);
    opt.step();
    expectClose(p.data, [-0.1 - (0.1 * 0.5) / Math.sqrt(8 / 3)], 0, 1e-6);
  });

  it('RMSprop: v = (1 − α)g², θ − ηg/(√v + ε); centered subtracts ḡ²; momentum buffers g/(√v + ε)', () => {
    // α = 0.5, g = 2: v = 2, √v = √2 → Δ = −0.1·2/√2 = −0.1√2.
    const p = param([0], [2]);
    new RMSprop([p], { lr: 0.1, alpha: 0.5, eps: 0 }).step();
    expectClose(p.data, [-0.1 * Math.SQRT2], 0, 1e-6);
    // centered: ḡ = 1, v − ḡ² = 1 → Δ = −0.1·2/1 = −0.2; momentum 0.9 has b₁ = g/avg, same first step.
    const c = param([0], [2]);
    new RMSprop([c], { lr: 0.1, alpha: 0.5, eps: 0, centered: true, momentum: 0.9 }).step();
    expectClose(c.data, [-0.2], 0, 1e-6);
  });

  it('Adagrad: G = G₀ + g², clr = η / (1 + (t − 1)δ)', () => {
    // G₀ = 5, g = 2 → G = 9, √G = 3; t = 1 → clr = η = 0.3 → Δ = −0.3·2/3 = −0.2.
    const p = param([1], [2]);
    const opt = new Adagrad([p], { lr: 0.3, initialAccumulatorValue: 5, lrDecay: 0.5, eps: 0 });
    opt.step();
    expectClose(p.data, [0.8], 0, 1e-6);
    // t = 2, g = 4: G = 25, clr = 0.3/1.5 = 0.2 → Δ = −0.2·4/5 = −0.16.
    p.grad = Float32Array.from([4]);
    opt.step();
    expectClose(p.data, [0.64], 0, 1e-6);
  });

  it('Adadelta: Δ = √(E[Δ²] + ε)/√(E[g²] + ε)·g with both averages starting at 0', () => {
    // ρ = 0.9, ε = 1e-6, g = 1: E[g²] = 0.1 → Δ = √1e-6 / √(0.1 + 1e-6) ≈ 3.16226e-3; lr = 1.
    const p = param([0], [1]);
    new Adadelta([p]).step();
    expectClose(p.data, [-Math.sqrt(1e-6) / Math.sqrt(0.1 + 1e-6)], 0, 1e-6);
  });

  it('Adamax: u = max(β₂u, |g| + ε), θ − η/(1 − β₁ᵗ)·m/u', () => {
    // m = 0.1·4 = 0.4, u = 4 + ε, clr = η/0.1 → Δ = −η·4/(4 + ε) ≈ −η.
    const p = param([0], [4]);
    new Adamax([p], { lr: 0.02, eps: 0 }).step();
    expectClose(p.data, [-0.02], 0, 1e-6);
  });

  it('maximize ascends: SGD maximize moves along +g', () => {
    const p = param([0], [1]);
    new SGD([p], { lr: 0.5, maximize: true }).step();
    expectClose(p.data, [0.5], 0, 0);
  });
});

describe('shared Optimizer behaviour', () => {
  it('a parameter with grad null is skipped and gets no state', () => {
    const a = param([1], [1]);
    const b = new Parameter(tensor([5]));
    const opt = new Adam([a, b], { lr: 0.1 });
    opt.step();
    expect(b.data[0]).toBe(5);
    expect(opt.stateDict().state[1]).toBeNull();
    expect(opt.stateDict().state[0]?.step).toBe(1);
  });

  it('every built-in optimizer leaves a parameter without a gradient alone, with no state', () => {
    for (const Cls of [SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax]) {
      const a = param([1], [1]);
      const b = new Parameter(tensor([5]));
      const opt = new (Cls as typeof Adam)([a, b], { lr: 0.1 });
      opt.step();
      expect(b.data[0], Cls.name).toBe(5);
      expect(a.data[0], Cls.name).not.toBe(1);
      expect(opt.stateDict().state[1], Cls.name).toBeNull();
    }
  });

  it('zeroGrad sets every grad to null; lr get/set covers every group', () => {
    const a = param([1], [1]);
    const b = param([1], [1]);
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
    expect(opt.lr).toBe(0.1);
    opt.lr = 0.25;
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.25, 0.25]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    expect(b.grad).toBeNull();
  });

  it('param groups take their own hyperparameters, others from the defaults', () => {
    const a = param([0], [1]);
    const b = param([0], [1]);
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 1, momentum: 0.5 }], { lr: 0.1, momentum: 0.9 });
    expect(opt.paramGroups[0]).toMatchObject({ lr: 0.1, momentum: 0.9 });
    expect(opt.paramGroups[1]).toMatchObject({ lr: 1, momentum: 0.5, dampening: 0 });
    opt.step();
    expect([a.data[0], b.data[0]]).toEqual([Math.fround(-0.1), -1]);
  });

  it('step(closure) evaluates the closure first and returns its loss', () => {
    const p = new Parameter(tensor([3]));
    const opt = new SGD([p], { lr: 0.25 });
    const loss = opt.step(() => {
      opt.zeroGrad();
      const l = p.mul(p).sum();
      l.backward();
      return l;
    });
    expect(loss).toBe(9);
    expect(p.data[0]).toBe(1.5); // 3 − 0.25·6
  });

  it('steady-state steps reuse the state buffers (no new allocation per step)', () => {
    const p = param([1, 2, 3], [1, 1, 1]);
    const opt = new Adam([p], { amsgrad: true });
    opt.step();
    const st = (opt as unknown as { state: Map<Parameter, Record<string, unknown>> }).state.get(p)!;
    const bufs = [st.expAvg, st.expAvgSq, st.maxExpAvgSq];
    opt.step();
    const st2 = (opt as unknown as { state: Map<Parameter, Record<string, unknown>> }).state.get(p)!;
    expect([st2.expAvg, st2.expAvgSq, st2.maxExpAvgSq]).toEqual(bufs);
    expect(st2.expAvg).toBe(bufs[0]);
  });
});

describe(`20-step trajectories against torch.optim ${fixture.torch} (test/fixtures/optim.json)`, () => {
  for (const c of fixture.trajectories) {
    it(c.name, () => {
      const model = new TinyModel();
      const opt = makeOptimizer(c, model);
      c.weights.forEach((expected, k) => {
        model.backward();
        opt.step();
        try {
          expectClose(model.weights(), expected, 1e-6, 1e-5);
        } catch (e) {
          throw new Error(`${c.name}, step ${k + 1}: ${(e as Error).message}`);
        }
      });
    });
  }
});

describe('a user-written optimizer: only initState and update', () => {
  /** Sign-SGD with momentum of signs: b ← μb + sign(g), θ ← θ − η·b. The base class does the rest. */
  class SignSGD extends Optimizer<{ lr: number; momentum: number; weightDecay: number; maximize: boolean }, { b: Float32Array }> {
    constructor(params: Parameter[], options: Partial<{ lr: number; momentum: number; weightDecay: number; maximize: boolean }> = {}) {
      super('SignSGD', params, { lr: 0.1, momentum: 0, weightDecay: 0, maximize: false }, options);
    }
    protected initState(p: Parameter): { b: Float32Array } {
      return { b: new Float32Array(p.size) };
    }
    protected update(p: Parameter, g: Float32Array | Float64Array, st: { b: Float32Array }, group: { lr: number; momentum: number }): void {
      for (let i = 0; i < p.size; i++) p.data[i] -= group.lr * (st.b[i] = group.momentum * st.b[i] + Math.sign(g[i]));
    }
  }

  it('steps by −η·sign(g), skips a parameter without a gradient, and resumes from its state dict', () => {
    const a = param([1, 1, 1], [-3, 0.5, 0]);
    const b = new Parameter(tensor([7]));
    const opt = new SignSGD([a, b], { lr: 0.5, momentum: 0.5 });
    opt.step();
    // b₁ = sign(g) = [−1, 1, 0] → θ = 1 − 0.5·b₁.
    expect(Array.from(a.data)).toEqual([1.5, 0.5, 1]);
    expect(b.data[0]).toBe(7);
    const sd = JSON.parse(JSON.stringify(opt.stateDict())) as OptimizerStateDict;
    expect(sd.state).toEqual([{ b: [-1, 1, 0] }, null]);
    opt.step();
    // b₂ = 0.5·b₁ + sign(g) = [−1.5, 1.5, 0] → θ = [1.5 + 0.75, 0.5 − 0.75, 1].
    expect(Array.from(a.data)).toEqual([2.25, -0.25, 1]);
    const c = param([1.5, 0.5, 1], [-3, 0.5, 0]);
    const again = new SignSGD([c, new Parameter(tensor([7]))], { lr: 0.5, momentum: 0.5 });
    again.loadStateDict(sd);
    again.step();
    expect(Array.from(c.data)).toEqual([2.25, -0.25, 1]);
  });

  it('gets maximize and L2 weight decay from the base class, and option checks from its defaults', () => {
    // g = [−3, 0.5] at θ = [1, 1]; plain: θ − 0.5·sign(g) = [1.5, 0.5].
    const run = (o: { maximize?: boolean; weightDecay?: number }) => {
      const a = param([1, 1], [-3, 0.5]);
      new SignSGD([a], { lr: 0.5, ...o }).step();
      return Array.from(a.data);
    };
    expect(run({})).toEqual([1.5, 0.5]);
    expect(run({ maximize: true })).toEqual([0.5, 1.5]); // −g = [3, −0.5]
    expect(run({ weightDecay: 10 })).toEqual([0.5, 0.5]); // g + 10θ = [7, 10.5]
    // Negated first, then λθ added (PyTorch 1.13's order): −g + 10θ = [13, 9.5]; −(g + 10θ) would give [1.5, 1.5].
    expect(run({ maximize: true, weightDecay: 10 })).toEqual([0.5, 0.5]);
    expect(() => new SignSGD([param([1], [1])], { momentun: 0.9 } as object)).toThrow(/SignSGD: unknown option 'momentun' \(did you mean 'momentum'\?\)/);
    expect(() => new SignSGD([param([1], [1])], { momentum: NaN })).toThrow(/SignSGD: momentum must be a finite number, got NaN/);
    expect(() => new SignSGD([param([1], [1])], { maximize: 'yes' as unknown as boolean })).toThrow(ArgumentError);
  });

  it('AdamW decays the weights itself: the base class leaves λθ out of its gradient', () => {
    // g = 0, λ = 0.5: AdamW gives θ(1 − ηλ) and no Adam step (m = 0); had λθ been folded in, m ≠ 0.
    const w = param([2], [0]);
    new AdamW([w], { lr: 0.1, weightDecay: 0.5 }).step();
    expect(w.data[0]).toBe(Math.fround(2 * (1 - 0.05)));
  });
});
