import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError, tensor } from '../../src/tensor/index';
import { auc, averagePrecision, precisionRecallCurve, rocAuc, rocCurve } from '../../src/metrics/index';

const NUM_RUNS = 150;

/** Binary labels with both classes present and integer scores in [0, 6] (many ties). */
const binaryScored = fc.integer({ min: 2, max: 40 }).chain((n) =>
  fc.tuple(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }), fc.array(fc.integer({ min: 0, max: 6 }), { minLength: n, maxLength: n })))
  .filter(([y]) => y.includes(0) && y.includes(1));

/** Mann–Whitney: P(score of a positive > score of a negative) + ½ P(tie), over all pairs. */
function pairwiseAuc(y: number[], s: number[]): number {
  let num = 0, pairs = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < y.length; j++) {
      if (y[j] !== 0) continue;
      pairs++;
      num += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
  }
  return num / pairs;
}

describe('rocCurve', () => {
  it('by hand: ties form one point, the first threshold is max + 1 (scikit-learn 1.2)', () => {
    // Scores 0.9 (pos), 0.7 (neg), 0.7 (pos), 0.2 (neg): thresholds 0.9, 0.7, 0.2.
    const r = rocCurve([1, 0, 1, 0], [0.9, 0.7, 0.7, 0.2]);
    expect(r.thresholds).toEqual([1.9, 0.9, 0.7, 0.2]);
    expect(r.tpr).toEqual([0, 0.5, 1, 1]);
    expect(r.fpr).toEqual([0, 0, 0.5, 1]);
  });

  it('dropIntermediate removes collinear points only', () => {
    // Descending: p p n n — the second p and the first n are on straight segments.
    const y = [1, 1, 0, 0], s = [4, 3, 2, 1];
    expect(rocCurve(y, s, { dropIntermediate: false }).thresholds).toEqual([5, 4, 3, 2, 1]);
    const r = rocCurve(y, s);
    expect(r.thresholds).toEqual([5, 4, 3, 1]);
    expect(r.fpr).toEqual([0, 0, 0, 1]);
  });

  it('without negatives fpr is NaN; posLabel is required for labels outside {0, 1} and {−1, 1}', () => {
    expect(rocCurve([1, 1], [0.2, 0.4]).fpr.every(Number.isNaN)).toBe(true);
    expect(rocCurve([-1, 1], [0.2, 0.4]).tpr).toEqual([0, 1, 1]);
    expect(() => rocCurve([2, 5], [0.2, 0.4])).toThrow(/posLabel/);
    expect(rocCurve([2, 5], [0.2, 0.4], { posLabel: 2 }).tpr).toEqual([0, 0, 1]);
    expect(() => rocCurve([0, 1, 2], [0.2, 0.4, 0.5], { posLabel: 1 })).toThrow(ArgumentError);
  });

  it('zero-weight samples are dropped', () => {
    const w = rocCurve([1, 0, 1, 0], [0.9, 0.7, 0.6, 0.2], { sampleWeight: [1, 1, 0, 1] });
    const d = rocCurve([1, 0, 0], [0.9, 0.7, 0.2]);
    expect(w).toEqual(d);
  });
});

describe('rocAuc', () => {
  it('equals the Mann–Whitney pair count (ties ½), and auc of rocCurve (property)', () => {
    fc.assert(fc.property(binaryScored, ([y, s]) => {
      const a = rocAuc(y, s);
      const c = rocCurve(y, s, { dropIntermediate: false });
      return Math.abs(a - pairwiseAuc(y, s)) < 1e-12 && Math.abs(auc(c.fpr, c.tpr) - a) < 1e-12;
    }), { numRuns: NUM_RUNS });
  });

  it('is invariant under strictly increasing transforms of the scores and flips under decreasing ones (property)', () => {
    fc.assert(fc.property(binaryScored, fc.integer({ min: 0, max: 2 }), ([y, s], which) => {
      const f = [(v: number) => Math.exp(v / 3), (v: number) => 3 * v - 7, (v: number) => v ** 3 + v][which];
      const a = rocAuc(y, s);
      return Math.abs(rocAuc(y, s.map(f)) - a) < 1e-12 && Math.abs(rocAuc(y, s.map((v) => -f(v))) - (1 - a)) < 1e-12;
    }), { numRuns: NUM_RUNS });
  });

  it('binary from [N, 2] probabilities uses column 1; the greater label is positive', () => {
    const p = [[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]];
    expect(rocAuc([0, 0, 1, 1], p)).toBe(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]));
    expect(rocAuc([3, 3, 8, 8], tensor(p))).toBe(0.75);
  });

  it('multiclass ovr is the mean of one-vs-rest AUCs; ovo averages both directions of each pair', () => {
    const y = [0, 1, 2, 2, 1, 0, 1];
    const p = [[0.6, 0.3, 0.1], [0.3, 0.4, 0.3], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7], [0.5, 0.3, 0.2], [0.3, 0.3, 0.4], [0.2, 0.6, 0.2]];
    const per = [0, 1, 2].map((c) => rocAuc(y.map((v) => (v === c ? 1 : 0)), p.map((r) => r[c])));
    expect(rocAuc(y, p, { multiClass: 'ovr', average: null })).toEqual(per);
    expect(rocAuc(y, p, { multiClass: 'ovr' })).toBeCloseTo((per[0] + per[1] + per[2]) / 3, 14);
    // Hand & Till: for pair (a, b), the samples of a and b only.
    let s = 0;
    for (const [a, b] of [[0, 1], [0, 2], [1, 2]]) {
      const idx = y.map((_, i) => i).filter((i) => y[i] === a || y[i] === b);
      const ab = rocAuc(idx.map((i) => (y[i] === a ? 1 : 0)), idx.map((i) => p[i][a]));
      const ba = rocAuc(idx.map((i) => (y[i] === b ? 1 : 0)), idx.map((i) => p[i][b]));
      s += (ab + ba) / 2;
    }
    expect(rocAuc(y, p, { multiClass: 'ovo' })).toBeCloseTo(s / 3, 14);
  });

  it('errors', () => {
    expect(() => rocAuc([1, 1, 1], [0.2, 0.3, 0.4])).toThrow(/only one class/);
    const p = [[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8]];
    expect(() => rocAuc([0, 1, 2], p)).toThrow(/multiClass/);
    expect(() => rocAuc([0, 1, 2], [[0.5, 0.3, 0.3], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8]], { multiClass: 'ovr' })).toThrow(/sum/);
    expect(() => rocAuc([0, 1, 2], p, { multiClass: 'ovo', average: null as never })).toThrow(ArgumentError);
    expect(() => rocAuc([0, 1, 2], p, { multiClass: 'ovo', sampleWeight: [1, 1, 1] })).toThrow(ArgumentError);
    expect(() => rocAuc([0, 1, 2], p, { multiClass: 'ovr', labels: [0, 1] })).toThrow(ShapeError);
    expect(() => rocAuc([0, 1, 3], p, { multiClass: 'ovr', labels: [0, 1, 2] })).toThrow(/not in labels/);
    expect(() => rocAuc([0, 1], [0.2, 0.3], { maxFpr: 0 })).toThrow(ArgumentError);
    expect(() => rocAuc([0, 1], [0.2, 0.3, 0.4])).toThrow('rocAuc: yTrue has 2 samples but scores has 3');
  });
});

describe('auc', () => {
  it('trapezoids, for increasing or decreasing x', () => {
    expect(auc([0, 1, 2], [0, 1, 0])).toBe(1);
    expect(auc([2, 1, 0], [0, 1, 0])).toBe(1);
    expect(() => auc([0, 2, 1], [0, 1, 0])).toThrow(/neither increasing nor decreasing/);
    expect(() => auc([0], [0])).toThrow(ArgumentError);
    expect(() => auc([0, 1], [0])).toThrow(ShapeError);
  });
});

describe('precisionRecallCurve and averagePrecision', () => {
  it('by hand, ties as one threshold', () => {
    // Scores 0.9 (pos), 0.7 (neg), 0.7 (pos), 0.2 (neg). At ≥ 0.2: P = 2/4, R = 1; ≥ 0.7: 2/3, 1; ≥ 0.9: 1, 1/2.
    const r = precisionRecallCurve([1, 0, 1, 0], [0.9, 0.7, 0.7, 0.2]);
    expect(r.thresholds).toEqual([0.2, 0.7, 0.9]);
    expect(r.precision).toEqual([0.5, 2 / 3, 1, 1]);
    expect(r.recall).toEqual([1, 1, 0.5, 0]);
    // AP = (1 − 0.5)·(2/3) + (0.5 − 0)·1.
    expect(averagePrecision([1, 0, 1, 0], [0.9, 0.7, 0.7, 0.2])).toBeCloseTo(0.5 * (2 / 3) + 0.5, 15);
  });

  it('AP without ties is the mean over positives of the precision at their rank (property)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 40 }).filter((y) => y.includes(1)), (y) => {
      const s = y.map((_, i) => y.length - i); // rank order = input order, no ties
      let hits = 0, sum = 0;
      y.forEach((v, i) => { if (v === 1) { hits++; sum += hits / (i + 1); } });
      return Math.abs(averagePrecision(y, s) - sum / hits) < 1e-12;
    }), { numRuns: NUM_RUNS });
  });

  it('without positives recall is 1 everywhere and AP is 0', () => {
    const r = precisionRecallCurve([0, 0], [0.3, 0.6]);
    expect(r.recall).toEqual([1, 1, 0]);
    expect(averagePrecision([0, 0], [0.3, 0.6])).toBeCloseTo(0, 15);
  });

  it('errors', () => {
    expect(() => averagePrecision([0, 1, 2], [0.1, 0.2, 0.3])).toThrow(/binary/);
    expect(() => averagePrecision([2, 5], [0.1, 0.2])).toThrow(/posLabel=1/);
    expect(() => averagePrecision([0, 1], [[0.1, 0.9], [0.2, 0.8]])).toThrow(ShapeError);
    expect(() => precisionRecallCurve([0, 1], [0.1, NaN])).toThrow('precisionRecallCurve: yScore[1] is NaN');
  });
});
