import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/tensor/index';
import { linearScale, logScale, logTicks, niceNumber, niceTicks } from '../../src/plot/index';
import { formatTick } from '../../src/plot/scale';
import { expectThrows } from '../helpers/check';

const NUM_RUNS = 100;

describe('niceNumber (Heckbert)', () => {
  it('rounds to 1, 2, 5 or 10 × 10^k at the thresholds 1.5, 3, 7, or takes the ceiling', () => {
    expect([1.4, 1.5, 2.9, 3, 6.9, 7].map((f) => niceNumber(f, true))).toEqual([1, 2, 2, 5, 5, 10]);
    expect([1, 1.01, 2, 2.01, 5, 5.01].map((f) => niceNumber(f, false))).toEqual([1, 2, 2, 5, 5, 10]);
    expect(niceNumber(97, false)).toBe(100);
    expect(niceNumber(0.025, true)).toBe(0.02);
    expect(niceNumber(3e-7, false)).toBe(5e-7);
  });
  it('refuses a non-positive or non-finite x', () => {
    expectThrows(() => niceNumber(0, true), ArgumentError, 'niceNumber: x must be a finite number > 0, got 0');
    expectThrows(() => niceNumber(NaN, true), ArgumentError, 'niceNumber');
  });
});

describe('niceTicks', () => {
  it('gives the known ticks of 0–1, 0–97 and a range across 0', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 97)).toEqual([0, 20, 40, 60, 80, 100]);
    // range 11.1 → nice 20, step nice(5) = 5, from ⌊−3.2/5⌋·5 to ⌈7.9/5⌉·5
    expect(niceTicks(-3.2, 7.9)).toEqual([-5, 0, 5, 10]);
    expect(niceTicks(0.1, 0.3)).toEqual([0.1, 0.15, 0.2, 0.25, 0.3]);
    expect(niceTicks(0, 1, 11)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  });
  it('widens an empty range by 10% of |lo| (or 1 at 0)', () => {
    expect(niceTicks(0, 0)).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(niceTicks(10, 10)).toEqual([9, 9.5, 10, 10.5, 11]);
  });
  it('covers [lo, hi] with steps of 1, 2 or 5 × 10^k and at most about 2·count ticks', () => {
    fc.assert(fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.double({ min: 1e-6, max: 1e9, noNaN: true }), (lo, span) => {
      const hi = lo + span;
      fc.pre(hi > lo);
      const t = niceTicks(lo, hi);
      expect(t[0]).toBeLessThanOrEqual(lo);
      expect(t[t.length - 1]).toBeGreaterThanOrEqual(hi);
      expect(t.length).toBeGreaterThanOrEqual(2);
      expect(t.length).toBeLessThanOrEqual(12);
      const step = t[1] - t[0];
      const mant = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
      // the difference of two ticks carries the rounding error of |lo| (ε·|lo|/step in mantissa units)
      const tol = 1e-6 + 1e-14 * Math.max(Math.abs(lo), Math.abs(hi)) / step;
      expect([1, 2, 5].some((m) => Math.abs(mant - m) < tol), `step ${step}`).toBe(true);
    }), { numRuns: NUM_RUNS });
  });
  it('refuses reversed or non-finite ends and a count below 2', () => {
    expectThrows(() => niceTicks(1, 0), ArgumentError, 'niceTicks: lo must be ≤ hi, got lo 1 and hi 0');
    expectThrows(() => niceTicks(0, Infinity), ArgumentError, 'niceTicks: hi must be a finite number, got Infinity');
    expectThrows(() => niceTicks(0, 1, 1), ArgumentError, 'count must be an integer ≥ 2');
  });
});

describe('logTicks', () => {
  it('ticks 1e-3–1e3 at the seven powers of ten', () => {
    expect(logTicks(1e-3, 1e3)).toEqual([0.001, 0.01, 0.1, 1, 10, 100, 1000]);
    expect(logTicks(0.002, 700)).toEqual([0.001, 0.01, 0.1, 1, 10, 100, 1000]);
  });
  it('adds 2× and 5× within less than two decades', () => {
    expect(logTicks(2, 30)).toEqual([1, 2, 5, 10, 20, 50, 100]);
    expect(logTicks(3, 3)).toEqual([1, 2, 5, 10]);
  });
  it('refuses values ≤ 0', () => {
    expectThrows(() => logTicks(0, 1), ArgumentError, 'logTicks: lo must be a finite number > 0, got 0');
  });
});

describe('scales', () => {
  it('a linear scale widens to nice ticks and maps linearly (reversed range for y)', () => {
    const s = linearScale([0, 97], [350, 40]);
    expect(s.domain).toEqual([0, 100]);
    expect(s.map(0)).toBe(350);
    expect(s.map(50)).toBe(195);
    expect(s.map(100)).toBe(40);
    expect(Number.isNaN(s.map(NaN))).toBe(true);
    expect(s.contains(101)).toBe(false);
    expect(linearScale([0, 97], [0, 1], { nice: false }).domain).toEqual([0, 97]);
    expect(linearScale([0, 97], [0, 1], { nice: false }).ticks).toEqual([0, 20, 40, 60, 80]);
  });
  it('a log scale maps decades to equal lengths and refuses ≤ 0 values', () => {
    const s = logScale([1e-3, 1e3], [0, 600]);
    expect(s.map(1)).toBeCloseTo(300, 10);
    expect(s.map(10)).toBeCloseTo(400, 10);
    expect(Number.isNaN(s.map(0))).toBe(true);
    expect(s.contains(-1)).toBe(false);
    expect(s.ticks).toEqual([0.001, 0.01, 0.1, 1, 10, 100, 1000]);
    expectThrows(() => logScale([0, 1], [0, 1]), ArgumentError, 'logScale: domain must be a pair of finite numbers > 0');
  });
  it('tick labels are plain decimals in [1e-3, 1e5) and exponents outside', () => {
    expect([0, 0.001, 0.30000000000000004, 12345, 1e5, 1e-4, -2e6].map(formatTick)).toEqual(['0', '0.001', '0.3', '12345', '1e5', '1e-4', '-2e6']);
  });
});
