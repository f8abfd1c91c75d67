import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError } from '../../src/tensor/index';
import { chiSquare, jensenShannon, ks2Samp, psi } from '../../src/monitor/index';
import { chi2Sf, gammaincc, lgamma } from '../../src/tensor/special';
import { expectThrows } from '../helpers/check';

const NUM_RUNS = 100;

/** Samples with ties (values on a coarse grid) and of unequal sizes, including size 1. */
const sample = fc.array(fc.integer({ min: -20, max: 20 }).map((v) => v / 4), { minLength: 1, maxLength: 40 });
const positiveVector = (k: number) => fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: k, maxLength: k }).filter((v) => v.some((x) => x > 1e-3));

describe('ks2Samp', () => {
  it('on disjoint samples: D = 1 and the exact two-sided p-value 2/C(8, 4)', () => {
    // Every value of a lies below every value of b: the CDFs differ by 1 at x = 4. Of the C(8, 4)
    // equally likely splits, exactly two (a all below, a all above) reach D = 1.
    const r = ks2Samp([1, 2, 3, 4], [5, 6, 7, 8]);
    expect(r.statistic).toBe(1);
    expect(r.pValue).toBeCloseTo(2 / 70, 15);
    expect(r.method).toBe('exact');
    expect(r.statisticLocation).toBe(4);
    expect(r.statisticSign).toBe(1);
    // One-sided: only the split with a all below gives D⁺ = 1.
    expect(ks2Samp([1, 2, 3, 4], [5, 6, 7, 8], { alternative: 'greater' }).pValue).toBeCloseTo(1 / 70, 15);
    expect(ks2Samp([1, 2, 3, 4], [5, 6, 7, 8], { alternative: 'less' }).statistic).toBe(0);
  });

  it('on identical samples: D = 0 and p = 1', () => {
    const x = [3, 1, 2, 2, 5];
    for (const alternative of ['two-sided', 'less', 'greater'] as const) {
      const r = ks2Samp(x, Float64Array.from(x), { alternative });
      expect(r.statistic).toBe(0);
      expect(r.pValue).toBe(1);
    }
  });

  it('takes number[], Float32Array and Float64Array alike and leaves them unsorted', () => {
    const a = [0.5, 0.1, 0.9, 0.3];
    const b = [0.7, 0.2, 0.8];
    const want = ks2Samp(a, b);
    expect(ks2Samp(Float64Array.from(a), Float64Array.from(b))).toEqual(want);
    // A Float32Array is read as the float64 values of its float32 entries.
    const b32 = Float32Array.from(b);
    expect(ks2Samp(a, b32)).toEqual(ks2Samp(a, Array.from(b32)));
    expect(ks2Samp([0.3], Float32Array.of(0.1)).statisticLocation).toBe(Math.fround(0.1));
    const a64 = Float64Array.from(a);
    ks2Samp(a64, b);
    expect(a).toEqual([0.5, 0.1, 0.9, 0.3]);
    expect(Array.from(a64)).toEqual(a);
  });

  it('statistic and p-value lie in [0, 1]; two-sided D is the larger one-sided D; swapping the samples swaps less and greater', () => {
    fc.assert(fc.property(sample, sample, (a, b) => {
      const two = ks2Samp(a, b);
      const less = ks2Samp(a, b, { alternative: 'less' });
      const greater = ks2Samp(a, b, { alternative: 'greater' });
      for (const r of [two, less, greater]) {
        expect(r.statistic).toBeGreaterThanOrEqual(0);
        expect(r.statistic).toBeLessThanOrEqual(1);
        expect(r.pValue).toBeGreaterThanOrEqual(0);
        expect(r.pValue).toBeLessThanOrEqual(1);
      }
      expect(two.statistic).toBeCloseTo(Math.max(less.statistic, greater.statistic), 12);
      expect(ks2Samp(b, a).statistic).toBeCloseTo(two.statistic, 12);
      expect(ks2Samp(b, a, { alternative: 'less' }).statistic).toBeCloseTo(greater.statistic, 12);
    }), { numRuns: NUM_RUNS });
  });

  it('a larger shift gives a smaller p-value (same sizes, exact and asymptotic)', () => {
    const a = Array.from({ length: 60 }, (_, i) => i / 60);
    for (const method of ['exact', 'asymp'] as const) {
      const ps = [0.05, 0.2, 0.4].map((s) => ks2Samp(a, a.map((v) => v + s + 0.001), { method }).pValue);
      expect(ps[0]).toBeGreaterThan(ps[1]);
      expect(ps[1]).toBeGreaterThan(ps[2]);
    }
  });
});

describe('jensenShannon', () => {
  it('is √ln 2 for disjoint supports and 1 with base 2', () => {
    // m = (p + q)/2 puts ½ where each has 1: KL(p‖m) = ln 2, so JS = √(½ ln 2 + ½ ln 2).
    expect(jensenShannon([1, 0], [0, 1])).toBeCloseTo(Math.sqrt(Math.LN2), 15);
    expect(jensenShannon([0, 3], [7, 0], { base: 2 })).toBeCloseTo(1, 15);
  });

  it('is symmetric, in [0, √ln 2], and 0 for proportional inputs', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }).chain((k) => fc.tuple(positiveVector(k), positiveVector(k), fc.double({ min: 0.1, max: 10, noNaN: true }))), ([p, q, s]) => {
      const d = jensenShannon(p, q);
      expect(jensenShannon(q, p)).toBe(d);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(Math.sqrt(Math.LN2) + 1e-12);
      expect(jensenShannon(p, p.map((v) => v * s))).toBeLessThan(1e-7);
    }), { numRuns: NUM_RUNS });
  });
});

describe('psi', () => {
  it('by hand: the median splits [1, 2, 3, 4]; the current sample puts 1/3 and 2/3 in the halves', () => {
    // Edge 2.5; reference 1/2, 1/2; current [1, 2 | 3, 4, 4, 4] → 1/3, 2/3.
    // PSI = (1/3 − 1/2)·ln(2/3) + (2/3 − 1/2)·ln(4/3) = (ln(4/3) − ln(2/3))/6 = ln 2 / 6.
    expect(psi([1, 2, 3, 4], [1, 2, 3, 4, 4, 4], { bins: 2 })).toBeCloseTo(Math.LN2 / 6, 15);
  });

  it('by hand: empty bins are floored at epsilon', () => {
    // Deciles of 1…10 give ten bins of 1/10; [11, 12] puts everything in the last one, 0 elsewhere → 1e-4.
    const want = 9 * (1e-4 - 0.1) * Math.log(1e-4 / 0.1) + (1 - 0.1) * Math.log(1 / 0.1);
    const ref = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(psi(ref, [11, 12])).toBeCloseTo(want, 12);
    const eps = 1e-3;
    expect(psi(ref, [11, 12], { epsilon: eps })).toBeCloseTo(9 * (eps - 0.1) * Math.log(eps / 0.1) + 0.9 * Math.log(10), 12);
  });

  it('the bin edge rule: a value equal to an edge belongs to the bin below it', () => {
    // Reference [0, 1, 2, 3, 4]: median edge 2. Current [2, 2] lies wholly in the lower bin (≤ 2),
    // which holds 3/5 of the reference: PSI = (1 − 0.6)·ln(1/0.6) + (1e-4 − 0.4)·ln(1e-4/0.4).
    expect(psi([0, 1, 2, 3, 4], [2, 2], { bins: 2 })).toBeCloseTo(0.4 * Math.log(1 / 0.6) + (1e-4 - 0.4) * Math.log(1e-4 / 0.4), 12);
  });

  it('categorical: one bin per category of either sample', () => {
    // Reference a: 1/2, b: 1/2, c: 0 → 1e-4; current a: 1/2, c: 1/2, b: 0 → 1e-4.
    const want = (1e-4 - 0.5) * Math.log(1e-4 / 0.5) + (0.5 - 1e-4) * Math.log(0.5 / 1e-4);
    expect(psi(['a', 'b'], ['a', 'c'], { categorical: true })).toBeCloseTo(want, 12);
    expect(psi([0, 1, 1, 0], [1, 0], { categorical: true })).toBe(0);
  });

  it('is ≥ 0, and 0 on identical data', () => {
    fc.assert(fc.property(sample, sample, fc.integer({ min: 1, max: 12 }), (a, b, bins) => {
      expect(psi(a, b, { bins })).toBeGreaterThanOrEqual(0);
      expect(psi(a, a.slice().reverse(), { bins })).toBe(0);
    }), { numRuns: NUM_RUNS });
  });
});

describe('chiSquare', () => {
  it('by hand: a 2 × 3 table', () => {
    // Reference [0 ×3, 1 ×3, 2 ×3], current [0 ×6, 1, 2, 2]: column totals 9, 4, 5 of 18, so
    // E = 4.5, 2, 2.5 in both rows; Σ (O − E)²/E = 2·(1.5²/4.5 + 1/2 + 0.5²/2.5) = 2·(0.5 + 0.5 + 0.1) = 2.2.
    const r = chiSquare([0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 0, 0, 0, 0, 0, 1, 2, 2]);
    expect(r.statistic).toBeCloseTo(2.2, 14);
    expect(r.dof).toBe(2);
    // Two degrees of freedom: the survival function is exp(−x/2).
    expect(r.pValue).toBeCloseTo(Math.exp(-1.1), 14);
  });

  it('is 0 with p = 1 on samples with the same proportions', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 30 }), (a) => {
      const r = chiSquare(a, [...a, ...a]);
      expect(r.statistic).toBeCloseTo(0, 12);
      expect(r.pValue).toBeCloseTo(1, 12);
    }), { numRuns: NUM_RUNS });
  });
});

describe('the special functions', () => {
  it('lgamma at integers and half-integers', () => {
    expect(lgamma(1)).toBeCloseTo(0, 14);
    expect(lgamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(lgamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 14);
    expect(lgamma(101)).toBeCloseTo(363.73937555556347, 10);
  });

  it('gammaincc(1, x) = e^(−x) and chi2Sf with 2 dof is e^(−x/2)', () => {
    for (const x of [0, 0.1, 1, 5, 30, 700]) {
      expect(gammaincc(1, x)).toBeCloseTo(Math.exp(-x), 14);
      expect(chi2Sf(2 * x, 2) / Math.exp(-x)).toBeCloseTo(1, 12);
    }
    expect(gammaincc(0, 1)).toBeNaN();
    expect(gammaincc(1, -1)).toBeNaN();
  });
});

describe('bad input is a typed error naming the function and the argument', () => {
  it('empty arrays', () => {
    expectThrows(() => ks2Samp([], [1]), ArgumentError, 'ks2Samp', 'a must be a non-empty array');
    expectThrows(() => ks2Samp([1], new Float64Array(0)), ArgumentError, 'ks2Samp', 'b must be a non-empty array');
    expectThrows(() => psi([], [1]), ArgumentError, 'psi', 'reference');
    expectThrows(() => jensenShannon([], []), ArgumentError, 'jensenShannon', 'p must be a non-empty array');
    expectThrows(() => chiSquare(['a'], []), ArgumentError, 'chiSquare', 'current must be a non-empty array');
  });

  it('NaN and infinite values', () => {
    expectThrows(() => ks2Samp([1, NaN], [1]), ArgumentError, 'ks2Samp', 'a[1] is NaN');
    expectThrows(() => psi([1, 2], [Infinity]), ArgumentError, 'psi', 'current[0] is Infinity');
    expectThrows(() => jensenShannon([1, 2], [1, NaN]), ArgumentError, 'jensenShannon', 'q[1] is NaN');
    expectThrows(() => chiSquare([1, NaN], [1]), ArgumentError, 'chiSquare', 'reference[1] is NaN');
  });

  it('mismatched lengths, negative and all-zero distributions', () => {
    expectThrows(() => jensenShannon([1, 2], [1, 2, 3]), ShapeError, 'p has 2 values but q has 3');
    expectThrows(() => jensenShannon([1, -1], [1, 1]), ArgumentError, 'p[1] is -1');
    expectThrows(() => jensenShannon([0, 0], [1, 1]), ArgumentError, 'p sums to 0');
  });

  it('options through the options mechanism', () => {
    expectThrows(() => ks2Samp([1], [2], { alternative: 'two_sided' as never }), ArgumentError, "alternative must be one of 'two-sided', 'less', 'greater'", "did you mean 'two-sided'");
    expectThrows(() => ks2Samp([1], [2], { mode: 'exact' } as never), ArgumentError, "unknown option 'mode'");
    expectThrows(() => psi([1], [2], { bins: 0 }), ArgumentError, 'psi: bins must be an integer ≥ 1, got 0');
    expectThrows(() => psi([1], [2], { epsilon: 0 }), ArgumentError, 'psi: epsilon');
    expectThrows(() => jensenShannon([1], [2], { base: 1 }), ArgumentError, 'base must be a finite number > 0 other than 1');
    expectThrows(() => jensenShannon([1], [2], { base: -2 }), ArgumentError, 'base');
    expectThrows(() => chiSquare([1], [2], { correction: 'yes' } as never), ArgumentError, 'correction must be a boolean');
    expectThrows(() => chiSquare([1], [{}] as never), ArgumentError, 'current[0] is Object');
    expectThrows(() => psi(['a', 'b'], ['a']), ArgumentError, 'psi: reference holds strings; pass { categorical: true }');
  });
});
