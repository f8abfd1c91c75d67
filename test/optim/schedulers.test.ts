import { describe, expect, it } from 'vitest';
import { CosineAnnealingLR, ExponentialLR, LinearWarmup, MultiStepLR, OneCycleLR, ReduceLROnPlateau, SGD, StepLR } from '../../src/optim/index';
import { Parameter, tensor } from '../../src/tensor/index';
import { expectClose } from '../helpers/check';
import { fixture, schedOptimizer, schedulers } from './fixture';

function momentumOf(g: Record<string, unknown>): number {
  return 'betas' in g ? (g.betas as number[])[0] : (g.momentum as number);
}

describe(`LR sequences against torch.optim.lr_scheduler ${fixture.torch} (get_last_lr() after each step)`, () => {
  for (const c of fixture.schedulers) {
    it(`${c.name} (${c.lrs.length} values per group)`, () => {
      const opt = schedOptimizer(c);
      const s = new schedulers[c.scheduler](opt, c.options);
      const got: number[][] = [];
      const mom: number[][] = [];
      if (c.metrics) {
        for (const m of c.metrics) {
          s.step(m);
          got.push(s.getLastLr());
        }
      } else {
        got.push(s.getLastLr());
        mom.push(opt.paramGroups.map((g) => momentumOf(g as unknown as Record<string, unknown>)));
        for (let k = 1; k < c.lrs.length; k++) {
          s.step();
          got.push(s.getLastLr());
          mom.push(opt.paramGroups.map((g) => momentumOf(g as unknown as Record<string, unknown>)));
        }
      }
      // The chainable arithmetic is float64 in both; only cos may differ in the last bit between libms.
      expectClose(got.flat(), c.lrs.flat(), 0, 1e-12);
      if (c.momentum) expectClose(mom.flat(), c.momentum.flat(), 0, 1e-12);
      expect(opt.paramGroups.map((g) => g.lr)).toEqual(got[got.length - 1]);
    });
  }
});

describe('scheduler behaviour', () => {
  const opt = (lr = 1) => new SGD([new Parameter(tensor([1]))], { lr, momentum: 0.9 });

  it('StepLR equals the closed form η₀·γ^⌊e/stepSize⌋', () => {
    const o = opt(0.5);
    const s = new StepLR(o, { stepSize: 3, gamma: 0.5 });
    for (let e = 1; e <= 12; e++) {
      s.step();
      expect(s.getLastLr()[0]).toBeCloseTo(0.5 * 0.5 ** Math.floor(e / 3), 14);
    }
  });

  it('CosineAnnealingLR reaches etaMin at tMax and the half point in between', () => {
    const s = new CosineAnnealingLR(opt(1), { tMax: 4, etaMin: 0.2 });
    s.step();
    s.step();
    expect(s.getLastLr()[0]).toBeCloseTo(0.6, 12); // 0.2 + 0.8·(1 + cos(π/2))/2
    s.step();
    s.step();
    expect(s.getLastLr()[0]).toBeCloseTo(0.2, 12);
  });

  it('LinearWarmup ramps from startFactor·η to η in warmupSteps, then stays', () => {
    const s = new LinearWarmup(opt(2), { warmupSteps: 4, startFactor: 0.2 });
    const lrs = [s.getLastLr()[0]];
    for (let k = 0; k < 6; k++) {
      s.step();
      lrs.push(s.getLastLr()[0]);
    }
    expectClose(lrs, [0.4, 0.8, 1.2, 1.6, 2, 2, 2], 1e-12, 1e-12);
  });

  it('ExponentialLR and MultiStepLR leave lr unchanged off their decay epochs', () => {
    const m = new MultiStepLR(opt(1), { milestones: [2] });
    m.step();
    expect(m.getLastLr()).toEqual([1]);
    m.step();
    expect(m.getLastLr()[0]).toBeCloseTo(0.1, 15);
    const e = new ExponentialLR(opt(1), { gamma: 1 });
    e.step();
    expect(e.getLastLr()).toEqual([1]);
  });

  it('OneCycleLR peaks at maxLr after pctStart of the steps and ends at maxLr/(div·finalDiv)', () => {
    const o = opt(0.1);
    const s = new OneCycleLR(o, { maxLr: 2, totalSteps: 11, pctStart: 0.5, divFactor: 4, finalDivFactor: 10 });
    // phase 1 ends at step 0.5·11 − 1 = 4.5; between, cos annealing.
    const lrs = [s.getLastLr()[0]];
    for (let k = 0; k < 10; k++) {
      s.step();
      lrs.push(s.getLastLr()[0]);
    }
    expect(lrs[0]).toBe(0.5);
    expect(Math.max(...lrs)).toBeLessThanOrEqual(2);
    expect(lrs[10]).toBeCloseTo(0.05, 12);
    expect(o.paramGroups[0].momentum).toBeCloseTo(0.95, 12);
    expect(() => {
      s.step();
      s.step();
    }).toThrow(/totalSteps is 11/);
  });

  it('ReduceLROnPlateau accepts a one-element Tensor metric and counts NaN as no improvement', () => {
    const o = opt(1);
    const s = new ReduceLROnPlateau(o, { patience: 0, factor: 0.5 });
    s.step(tensor([1]));
    expect(s.getLastLr()).toEqual([1]);
    s.step(NaN);
    expect(s.getLastLr()).toEqual([0.5]);
  });

  it('a second scheduler on the same optimizer starts from the first lr (initialLr)', () => {
    const o = opt(1);
    new ExponentialLR(o, { gamma: 0.5 }).step();
    const s2 = new StepLR(o, { stepSize: 1, gamma: 1 });
    expect(s2.baseLrs).toEqual([1]);
    expect(o.paramGroups[0].initialLr).toBe(1);
  });
});
