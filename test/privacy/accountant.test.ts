import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/index';
import { DEFAULT_ORDERS, RDPAccountant, computeRdp, getNoiseMultiplier, privacySpent } from '../../src/privacy/index';
import { logErfc } from '../../src/tensor/special';

const fx = JSON.parse(readFileSync(new URL('../fixtures/privacy.json', import.meta.url), 'utf8'));

describe('RDP of the subsampled Gaussian (Opacus analysis/rdp.py)', () => {
  it('ln erfc equals log(2) + scipy.special.log_ndtr(−x√2) in both tails', () => {
    for (const { x, v } of fx.logErfc) expect(Math.abs(logErfc(x) - v), `x = ${x}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v)));
  });

  it('one step at integer and fractional orders equals Opacus\' formulas (relative 1e-9)', () => {
    for (const c of fx.cases) {
      const [r] = computeRdp({ sampleRate: c.q, noiseMultiplier: c.sigma, steps: 1, orders: [c.alpha] });
      expect(Math.abs(r - c.rdp), JSON.stringify(c)).toBeLessThanOrEqual(1e-9 * Math.abs(c.rdp) + 1e-15);
    }
    expect(computeRdp({ sampleRate: 1, noiseMultiplier: 2, steps: 3, orders: [4] })).toEqual([1.5]); // 3 · α/(2σ²)
    expect(computeRdp({ sampleRate: 0, noiseMultiplier: 2, steps: 3, orders: [4] })).toEqual([0]);
    expect(computeRdp({ sampleRate: 0.1, noiseMultiplier: 0, steps: 1, orders: [4] })).toEqual([Infinity]);
  });

  it('the default orders are Opacus\': 1.1 … 10.9 and 12 … 63', () => {
    expect(DEFAULT_ORDERS).toHaveLength(151);
    expect(DEFAULT_ORDERS[0]).toBeCloseTo(1.1, 12);
    expect(DEFAULT_ORDERS[98]).toBeCloseTo(10.9, 12);
    expect(DEFAULT_ORDERS.slice(99, 101)).toEqual([12, 13]);
    expect(DEFAULT_ORDERS.at(-1)).toBe(63);
  });
});

describe('(ε, δ) against published reference points', () => {
  // TensorFlow Privacy, tutorials/README.md ("Select Parameters"): MNIST, N = 60 000, batch 256,
  // δ = 1e-5, ε from compute_dp_sgd_privacy (RDP, the classic conversion); steps = ⌈epochs·N/batch⌉.
  const tfp = [
    { sigma: 1.1, epochs: 60, epsilon: 3.01 },
    { sigma: 1.3, epochs: 15, epsilon: 1.19 },
    { sigma: 0.7, epochs: 45, epsilon: 7.1 },
  ];
  for (const r of tfp) {
    it(`TF Privacy MNIST tutorial: σ = ${r.sigma}, ${r.epochs} epochs → ε = ${r.epsilon}`, () => {
      const acc = new RDPAccountant();
      acc.step({ noiseMultiplier: r.sigma, sampleRate: 256 / 60000, steps: Math.ceil((r.epochs * 60000) / 256) });
      expect(acc.getEpsilon(1e-5, { conversion: 'classic' })).toBeCloseTo(r.epsilon, 2);
      // Balle et al.'s conversion is tighter.
      expect(acc.getEpsilon(1e-5)).toBeLessThan(r.epsilon);
    });
  }

  it('Abadi et al. 2016, section 3.1: q = 0.01, σ = 4, δ = 1e-5, T = 10 000 → ε ≈ 1.26 (moments accountant)', () => {
    const acc = new RDPAccountant();
    acc.step({ noiseMultiplier: 4, sampleRate: 0.01, steps: 10000 });
    expect(acc.getEpsilon(1e-5, { conversion: 'classic' })).toBeCloseTo(1.26, 2);
  });

  it('steps compose: two stretches of the same mechanism equal one merged stretch; ε grows with steps', () => {
    const a = new RDPAccountant(), b = new RDPAccountant();
    for (let i = 0; i < 100; i++) a.step({ noiseMultiplier: 1, sampleRate: 0.02 });
    b.step({ noiseMultiplier: 1, sampleRate: 0.02, steps: 100 });
    expect(a.history).toEqual(b.history);
    expect(a.getEpsilon(1e-5)).toBe(b.getEpsilon(1e-5));
    b.step({ noiseMultiplier: 2, sampleRate: 0.02, steps: 100 });
    expect(b.history).toHaveLength(2);
    expect(b.getEpsilon(1e-5)).toBeGreaterThan(a.getEpsilon(1e-5));
    expect(new RDPAccountant().getEpsilon(1e-5)).toBe(0);
  });

  it('getNoiseMultiplier inverts the accountant (the tutorial\'s σ = 1.1 for ε = 3.01)', () => {
    const sigma = getNoiseMultiplier({ targetEpsilon: 3.01, delta: 1e-5, sampleRate: 256 / 60000, steps: 14063, conversion: 'classic' });
    expect(sigma).toBeGreaterThan(1.09);
    expect(sigma).toBeLessThan(1.11);
    const acc = new RDPAccountant();
    acc.step({ noiseMultiplier: sigma, sampleRate: 256 / 60000, steps: 14063 });
    expect(acc.getEpsilon(1e-5, { conversion: 'classic' })).toBeLessThanOrEqual(3.01);
    expect(() => getNoiseMultiplier({ targetEpsilon: 1e-9, delta: 1e-5, sampleRate: 1, steps: 1e6 })).toThrow(/budget is too small/);
  });

  it('privacySpent picks the best order; bad input is an ArgumentError', () => {
    expect(privacySpent({ rdp: [1, 0.5], orders: [2, 3], delta: 0.5, conversion: 'classic' }).order).toBe(3);
    expect(() => privacySpent({ rdp: [1], orders: [2, 3], delta: 0.1 })).toThrow(/1 values for 2 orders/);
    expect(() => computeRdp({ sampleRate: 2, noiseMultiplier: 1, steps: 1 })).toThrow(ArgumentError);
    expect(() => new RDPAccountant().step({ noiseMultiplier: 1 } as never)).toThrow(/required/);
    expect(() => new RDPAccountant().getEpsilon(0)).toThrow(/delta/);
  });
});
