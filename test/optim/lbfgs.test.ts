import { describe, expect, it } from 'vitest';
import { LBFGS } from '../../src/optim/index';
import { ArgumentError, Parameter, tensor } from '../../src/tensor/index';
import { expectClose } from '../helpers/check';
import { fixture } from './fixture';

/**
 * Rosenbrock in n variables, f = Σ (1 − xᵢ)² + 100 (xᵢ₊₁ − xᵢ²)², with its gradient written into
 * x.grad (float32, as torch's autograd produces it): ∂f/∂xᵢ = −2(1 − xᵢ) − 400xᵢ(xᵢ₊₁ − xᵢ²) + 200(xᵢ − xᵢ₋₁²).
 */
function rosenbrockClosure(x: Parameter, counter: { n: number }): () => number {
  return () => {
    counter.n++;
    const v = x.data;
    const n = v.length;
    const g = new Float32Array(n);
    let f = 0;
    for (let i = 0; i < n - 1; i++) {
      const a = Math.fround(1 - v[i]);
      const b = Math.fround(v[i + 1] - Math.fround(v[i] * v[i]));
      f += a * a + 100 * b * b;
      g[i] += -2 * a - 400 * v[i] * b;
      g[i + 1] += 200 * b;
    }
    x.grad = g;
    return Math.fround(f);
  };
}

describe(`LBFGS against torch.optim.LBFGS ${fixture.torch} on Rosenbrock (test/fixtures/optim.json)`, () => {
  for (const c of fixture.lbfgs) {
    it(c.name, () => {
      const x = new Parameter(tensor(c.x0));
      const opt = new LBFGS([x], c.options);
      const counter = { n: 0 };
      const closure = rosenbrockClosure(x, counter);
      c.xs.forEach((expected, k) => {
        const loss = opt.step(closure);
        try {
          expectClose([loss], [c.losses[k]], 1e-6, 1e-5);
          expectClose(x.data, expected, 1e-6, 1e-5);
          expect(counter.n, 'closure evaluations').toBe(c.evals[k]);
        } catch (e) {
          throw new Error(`${c.name}, step ${k + 1}: ${(e as Error).message}`);
        }
      });
    });
  }
});

describe('LBFGS behaviour', () => {
  it('first iteration without line search moves by t = min(1, 1/‖g‖₁)·η along −g', () => {
    // f = ½‖x‖² at x = (3, −1): g = x, ‖g‖₁ = 4 → t = 0.25·η; maxIter 1 → x − 0.25·0.5·g.
    const x = new Parameter(tensor([3, -1]));
    const opt = new LBFGS([x], { lr: 0.5, maxIter: 1 });
    opt.step(() => {
      x.grad = x.data.slice();
      return 0.5 * (x.data[0] ** 2 + x.data[1] ** 2);
    });
    expectClose(x.data, [3 - 0.125 * 3, -1 + 0.125], 0, 1e-6);
  });

  it('converges on a quadratic with the strong-Wolfe line search', () => {
    // f = Σ cᵢ(xᵢ − i)², minimum at x = (0, 1, 2, 3).
    const c = [1, 10, 0.5, 3];
    const x = new Parameter(tensor([5, -5, 5, -5]));
    const opt = new LBFGS([x], { lineSearchFn: 'strongWolfe', maxIter: 50 });
    opt.step(() => {
      const g = new Float32Array(4);
      let f = 0;
      for (let i = 0; i < 4; i++) {
        f += c[i] * (x.data[i] - i) ** 2;
        g[i] = 2 * c[i] * (x.data[i] - i);
      }
      x.grad = g;
      return f;
    });
    expectClose(x.data, [0, 1, 2, 3], 1e-4, 0);
  });

  it('returns at once when the gradient is already below toleranceGrad', () => {
    const x = new Parameter(tensor([1]));
    const opt = new LBFGS([x]);
    let calls = 0;
    opt.step(() => {
      calls++;
      x.grad = new Float32Array([0]);
      return 0;
    });
    expect(calls).toBe(1);
    expect(x.data[0]).toBe(1);
  });

  it('needs a closure and a single parameter group', () => {
    const a = new Parameter(tensor([1]));
    const b = new Parameter(tensor([1]));
    expect(() => new LBFGS([a]).step()).toThrow(ArgumentError);
    expect(() => new LBFGS([{ params: [a] }, { params: [b] }])).toThrow(/one parameter group/);
    expect(() => new LBFGS([a], { lineSearchFn: 'armijo' as 'strongWolfe' })).toThrow(/lineSearchFn/);
    expect(() => new LBFGS([a], { historySize: 0 })).toThrow(/historySize/);
  });

  it('maxEval defaults to ⌊1.25·maxIter⌋', () => {
    const a = new Parameter(tensor([1]));
    expect(new LBFGS([a], { maxIter: 7 }).paramGroups[0].maxEval).toBe(8);
    expect(new LBFGS([a]).paramGroups[0].maxEval).toBe(25);
  });
});
