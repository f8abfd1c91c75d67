import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError, Tensor, tensor } from '../../src/tensor/index';
import {
  accuracy, balancedAccuracy, classificationReport, cohenKappa, confusionMatrix, f1, fbeta, logLoss, matthewsCorrcoef,
  precision, recall, topKAccuracy,
} from '../../src/metrics/index';

const NUM_RUNS = 150;

/** Labels in [0, k) of a common length n, for property tests. */
const labelPair = (k: number) =>
  fc.integer({ min: 1, max: 40 }).chain((n) =>
    fc.tuple(fc.array(fc.integer({ min: 0, max: k - 1 }), { minLength: n, maxLength: n }), fc.array(fc.integer({ min: 0, max: k - 1 }), { minLength: n, maxLength: n })));

describe('accuracy', () => {
  it('counts matches, weighted or not', () => {
    // 3 of 5 match; weighted: matches carry 1 + 2 + 0.5 of total 1 + 1 + 2 + 3 + 0.5.
    expect(accuracy([1, 2, 3, 4, 5], [1, 0, 3, 0, 5])).toBeCloseTo(0.6, 15);
    expect(accuracy([1, 2, 3, 4, 5], [1, 0, 3, 0, 5], { normalize: false })).toBe(3);
    expect(accuracy([1, 2, 3, 4, 5], [1, 0, 3, 0, 5], { sampleWeight: [1, 1, 2, 3, 0.5] })).toBeCloseTo(3.5 / 7.5, 15);
    expect(accuracy([1, 2, 3, 4, 5], [1, 0, 3, 0, 5], { sampleWeight: [1, 1, 2, 3, 0.5], normalize: false })).toBe(3.5);
  });

  it('takes number[], Float32Array, Int32Array, Float64Array and tensors ([N] or [N, 1]) alike', () => {
    const a = [0, 1, 2, 2], b = [0, 2, 2, 2];
    for (const x of [a, Float32Array.from(a), Int32Array.from(a), Float64Array.from(a), tensor(a), tensor(a).reshape([4, 1])]) {
      expect(accuracy(x, Int32Array.from(b))).toBe(0.75);
    }
  });

  it('is within [0, 1] and equals 1 on identical inputs (property)', () => {
    fc.assert(fc.property(labelPair(4), ([a, b]) => {
      const v = accuracy(a, b);
      return v >= 0 && v <= 1 && accuracy(a, a) === 1;
    }), { numRuns: NUM_RUNS });
  });
});

describe('precision, recall, f1, fbeta', () => {
  // yTrue 0 1 2 0 1 2, yPred 0 2 1 0 0 1. Class 0: tp 2, predicted 3, true 2; class 1: tp 0, pred 2, true 2;
  // class 2: tp 0, pred 1, true 2.
  const yt = [0, 1, 2, 0, 1, 2], yp = [0, 2, 1, 0, 0, 1];

  it('per class and every average, by hand', () => {
    expect(precision(yt, yp, { average: null })).toEqual([2 / 3, 0, 0]);
    expect(recall(yt, yp, { average: null })).toEqual([1, 0, 0]);
    expect(f1(yt, yp, { average: null })).toEqual([0.8, 0, 0]); // 2·(2/3)·1 / (2/3 + 1)
    expect(precision(yt, yp, { average: 'macro' })).toBeCloseTo(2 / 9, 15);
    expect(precision(yt, yp, { average: 'micro' })).toBeCloseTo(2 / 6, 15); // Σtp / Σpred
    expect(f1(yt, yp, { average: 'weighted' })).toBeCloseTo(0.8 / 3, 15); // supports 2, 2, 2
  });

  it("'binary' scores posLabel only", () => {
    // posLabel 1: tp 2 (indices 1, 4), predicted 3, true 3. posLabel 0: tp 1, predicted 2, true 2.
    const t = [0, 1, 1, 0, 1], p = [1, 1, 0, 0, 1];
    expect(precision(t, p)).toBeCloseTo(2 / 3, 15);
    expect(recall(t, p)).toBeCloseTo(2 / 3, 15);
    expect(precision(t, p, { posLabel: 0 })).toBe(0.5);
    expect(recall(t, p, { posLabel: 0 })).toBe(0.5);
  });

  it('zeroDivision: warn and 0 give 0, 1 gives 1; F is computed from the substituted P and R', () => {
    // Class 1 never predicted and never true: P = R = zd, F = zd (both substituted).
    const t = [0, 0, 0], p = [0, 0, 0];
    expect(precision(t, p)).toBe(0);
    expect(precision(t, p, { zeroDivision: 'warn' })).toBe(0);
    expect(precision(t, p, { zeroDivision: 1 })).toBe(1);
    expect(f1(t, p, { zeroDivision: 1 })).toBe(1);
    // True positives exist but none predicted: P = zd = 1, R = 0, so F = 0.
    expect(f1([1, 1, 0], [0, 0, 0], { zeroDivision: 1 })).toBe(0);
    expect(precision([1, 1, 0], [0, 0, 0], { zeroDivision: 1 })).toBe(1);
  });

  it('labels select, order and extend the classes', () => {
    expect(precision(yt, yp, { average: null, labels: [2, 0] })).toEqual([0, 2 / 3]);
    expect(recall(yt, yp, { average: null, labels: [0, 7] })).toEqual([1, 0]);
    expect(recall(yt, yp, { average: 'micro', labels: [0, 1] })).toBe(0.5); // tp 2 of true 4
  });

  it('fbeta: β → ∞ is recall, β = 0 is precision, β = 1 is f1', () => {
    const t = [0, 1, 1, 1, 0, 1], p = [1, 1, 0, 1, 1, 1];
    expect(fbeta(t, p, { beta: Infinity })).toBe(recall(t, p));
    expect(fbeta(t, p, { beta: 0 })).toBeCloseTo(precision(t, p), 15);
    expect(fbeta(t, p, { beta: 1 })).toBe(f1(t, p));
  });

  it('f1 lies between min(P, R) and max(P, R), per class (property)', () => {
    fc.assert(fc.property(labelPair(3), ([a, b]) => {
      const P = precision(a, b, { average: null, labels: [0, 1, 2] }), R = recall(a, b, { average: null, labels: [0, 1, 2] });
      const F = f1(a, b, { average: null, labels: [0, 1, 2] });
      return F.every((fv, i) => fv >= Math.min(P[i], R[i]) - 1e-12 && fv <= Math.max(P[i], R[i]) + 1e-12);
    }), { numRuns: NUM_RUNS });
  });

  it('micro averages equal accuracy when every label is scored (property)', () => {
    fc.assert(fc.property(labelPair(4), ([a, b]) => {
      const acc = accuracy(a, b);
      return Math.abs(precision(a, b, { average: 'micro' }) - acc) < 1e-12 && Math.abs(f1(a, b, { average: 'micro' }) - acc) < 1e-12;
    }), { numRuns: NUM_RUNS });
  });

  it('rejects bad input with typed errors', () => {
    expect(() => precision([0, 1, 2], [0, 1, 1])).toThrow(ArgumentError); // multiclass with 'binary'
    expect(() => precision([0, 1, 2], [0, 1, 1])).toThrow(/multiclass/);
    expect(() => precision([0, 1, 1], [0, 1, 1], { posLabel: 3 })).toThrow(/posLabel=3/);
    expect(() => precision([0, 1], [0, 1], { average: 'samples' as never })).toThrow(ArgumentError);
    expect(() => precision([0, 1], [0, 1], { zeroDivision: 2 as never })).toThrow(ArgumentError);
    expect(() => fbeta([0, 1], [0, 1], { beta: -1 })).toThrow(/beta/);
    expect(() => fbeta([0, 1], [0, 1], undefined as never)).toThrow(ArgumentError);
    expect(() => recall([0, 1], [0, 1], { average: 'macro', labels: [] })).toThrow(ArgumentError);
  });
});

describe('confusionMatrix', () => {
  it('rows are true labels, columns predictions; normalisations', () => {
    const t = [0, 0, 1, 1, 1], p = [0, 1, 1, 1, 0];
    expect(confusionMatrix(t, p)).toEqual([[1, 1], [1, 2]]);
    expect(confusionMatrix(t, p, { normalize: 'true' })).toEqual([[0.5, 0.5], [1 / 3, 2 / 3]]);
    expect(confusionMatrix(t, p, { normalize: 'pred' })).toEqual([[0.5, 1 / 3], [0.5, 2 / 3]]);
    expect(confusionMatrix(t, p, { normalize: 'all' })).toEqual([[0.2, 0.2], [0.2, 0.4]]);
    expect(confusionMatrix(t, p, { sampleWeight: [1, 2, 3, 4, 5] })).toEqual([[1, 2], [5, 7]]);
  });

  it('labels reorder, drop samples of other labels, and add empty rows; 0/0 normalises to 0', () => {
    const t = [0, 1, 2, 2], p = [0, 2, 2, 1];
    expect(confusionMatrix(t, p, { labels: [2, 0] })).toEqual([[1, 0], [0, 1]]);
    expect(confusionMatrix(t, p, { labels: [0, 9] })).toEqual([[1, 0], [0, 0]]);
    expect(confusionMatrix(t, p, { labels: [0, 9], normalize: 'true' })).toEqual([[1, 0], [0, 0]]);
  });

  it('sums to n (or the total weight), and its diagonal sum is the accuracy count (property)', () => {
    fc.assert(fc.property(labelPair(5), ([a, b]) => {
      const cm = confusionMatrix(a, b);
      let s = 0, d = 0;
      cm.forEach((row, i) => row.forEach((v, j) => { s += v; if (i === j) d += v; }));
      return s === a.length && d === accuracy(a, b, { normalize: false });
    }), { numRuns: NUM_RUNS });
  });

  it('errors', () => {
    expect(() => confusionMatrix([0, 1], [0, 1], { labels: [5] })).toThrow(/none of labels/);
    expect(() => confusionMatrix([0, 1], [0, 1], { normalize: 'rows' as never })).toThrow(ArgumentError);
  });
});

describe('classificationReport', () => {
  it('gives the rows, averages and scikit-learn text table', () => {
    const r = classificationReport([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], { targetNames: ['a', 'b', 'c'] });
    expect(r.classes.map((c) => c.name)).toEqual(['a', 'b', 'c']);
    expect(r.classes[0]).toMatchObject({ label: 0, precision: 0.5, recall: 1, support: 1 });
    expect(r.accuracy).toBe(0.6);
    expect(r.microAvg).toBeUndefined();
    expect(r.weightedAvg.support).toBe(5);
    expect(r.toString()).toBe([
      '              precision    recall  f1-score   support',
      '',
      '           a       0.50      1.00      0.67         1',
      '           b       0.00      0.00      0.00         1',
      '           c       1.00      0.67      0.80         3',
      '',
      '    accuracy                           0.60         5',
      '   macro avg       0.50      0.56      0.49         5',
      'weighted avg       0.70      0.60      0.61         5',
      '',
    ].join('\n'));
    expect(String(r)).toBe(r.toString());
  });

  it('a label subset reports a micro average instead of accuracy', () => {
    const r = classificationReport([0, 1, 2, 2], [0, 2, 2, 1], { labels: [0, 2] });
    expect(r.accuracy).toBeUndefined();
    expect(r.microAvg!.precision).toBe(2 / 3); // tp 2 of predicted 3 among labels 0 and 2
    expect(r.toString()).toContain('   micro avg ');
  });

  it('rounds exact ties half to even, as Python', () => {
    // Class 0: precision 7/12 … recall 7/8 = 0.875 → '0.88'; class 1 recall 3/8 = 0.375 → '0.38', 1/8 → '0.12'.
    const r = classificationReport([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1], [1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0]);
    const lines = r.toString().split('\n');
    expect(lines[2]).toContain('0.88');
    expect(lines[3]).toContain('0.38');
    expect(classificationReport([0, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1], { digits: 2 }).toString()).toContain('0.88'); // 7/8
    expect(classificationReport([1, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1], { digits: 2 }).toString()).toContain('0.12'); // 1/8
  });

  it('errors', () => {
    expect(() => classificationReport([0, 1], [0, 1], { targetNames: ['a'] })).toThrow(ShapeError);
    expect(() => classificationReport([0, 1], [0, 1], { digits: -1 })).toThrow(ArgumentError);
  });
});

describe('matthewsCorrcoef, cohenKappa, balancedAccuracy', () => {
  it('binary MCC is the φ coefficient (tp tn − fp fn) / √(…)', () => {
    // tp 3, tn 2, fp 1, fn 2.
    const t = [1, 1, 1, 1, 1, 0, 0, 0], p = [1, 1, 1, 0, 0, 0, 0, 1];
    expect(matthewsCorrcoef(t, p)).toBeCloseTo((3 * 2 - 1 * 2) / Math.sqrt(4 * 5 * 3 * 4), 14);
    expect(matthewsCorrcoef(t, t)).toBe(1);
    expect(matthewsCorrcoef(t, t.map((v) => 1 - v))).toBe(-1);
  });

  it('kappa by hand: po = 3/4, pe = (2·3 + 2·1)/16 = 1/2 → κ = 1/2', () => {
    expect(cohenKappa([0, 1, 1, 0], [0, 1, 0, 0])).toBe(0.5);
    expect(cohenKappa([2, 2, 2], [2, 2, 2])).toBeNaN(); // no disagreement is possible by chance: 0/0
  });

  it('MCC and kappa are symmetric; MCC in [−1, 1] (property)', () => {
    fc.assert(fc.property(labelPair(3), ([a, b]) => {
      const m = matthewsCorrcoef(a, b);
      const k1 = cohenKappa(a, b, { weights: 'linear' }), k2 = cohenKappa(b, a, { weights: 'linear' });
      return Math.abs(m - matthewsCorrcoef(b, a)) < 1e-12 && m >= -1 - 1e-12 && m <= 1 + 1e-12
        && (Number.isNaN(k1) ? Number.isNaN(k2) : Math.abs(k1 - k2) < 1e-12);
    }), { numRuns: NUM_RUNS });
  });

  it('balanced accuracy is the mean recall over classes present in yTrue', () => {
    // Recall of class 0: 3/4, class 1: 1/2. Class 2 is only predicted: ignored.
    expect(balancedAccuracy([0, 0, 0, 0, 1, 1], [0, 0, 0, 2, 1, 0])).toBe(0.625);
    expect(balancedAccuracy([0, 0, 0, 0, 1, 1], [0, 0, 0, 2, 1, 0], { adjusted: true })).toBe(0.25);
    expect(() => balancedAccuracy([0, 1], [0, 1], { sampleWeight: [0, 0] })).toThrow(ArgumentError);
  });

  it('weights option is validated', () => {
    expect(() => cohenKappa([0, 1], [0, 1], { weights: 'cubic' as never })).toThrow(ArgumentError);
  });
});

describe('logLoss', () => {
  it('is the mean negative log-probability of the true class', () => {
    const p = [[0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]];
    expect(logLoss([1, 0, 2], p)).toBeCloseTo(-(Math.log(0.7) + Math.log(0.6) + Math.log(0.8)) / 3, 14);
    expect(logLoss([1, 0, 2], p, { normalize: false })).toBeCloseTo(-(Math.log(0.7) + Math.log(0.6) + Math.log(0.8)), 14);
    // Binary [N] probabilities of the greater label, labels need not be 0/1.
    expect(logLoss([3, 7], [0.25, 0.5])).toBeCloseTo(-(Math.log(0.75) + Math.log(0.5)) / 2, 14);
  });

  it("eps 'auto' follows the input precision: 2⁻²³ for float32, 2⁻⁵² for float64", () => {
    // Probabilities 0 and 1 are clipped to eps and 1 − eps (each row still sums to 1).
    const loss = (eps: number) => (-Math.log(eps) - Math.log(1 - eps)) / 2;
    expect(logLoss([0, 1], [[0, 1], [0, 1]])).toBeCloseTo(loss(2 ** -52), 12);
    const f32 = new Tensor(Float32Array.from([0, 1, 0, 1]), [2, 2]);
    expect(logLoss([0, 1], f32)).toBeCloseTo(loss(2 ** -23), 12);
    expect(logLoss([0, 1], [[0, 1], [0, 1]], { eps: 0.01 })).toBeCloseTo(loss(0.01), 12);
    expect(logLoss([0, 1], Float32Array.from([1, 1]))).toBeCloseTo(-Math.log(2 ** -23) / 2, 5);
  });

  it('errors: one class, column count, label outside labels', () => {
    expect(() => logLoss([1, 1], [0.2, 0.3])).toThrow(/only one label/);
    // Probabilities outside [0, 1] are refused (as binaryCrossEntropy), not clipped as scikit-learn 1.2 does.
    expect(() => logLoss([0, 1], [0.2, 1.5])).toThrow('logLoss: probs[1] is 1.5; probabilities must lie in [0, 1]');
    expect(() => logLoss([0, 1], [[0.5, 0.5], [-0.1, 1.1]])).toThrow(/probs\[1, 0\] is -0.1/);
    expect(logLoss([0, 1], [0, 1])).toBeCloseTo(2 ** -52, 20);
    // Options go through the one validator: unknown keys (with a hint), wrong types, primitives.
    expect(() => accuracy([0, 1], [0, 1], { sample_weight: [1, 1] } as never)).toThrow("accuracy: unknown option 'sample_weight' (did you mean 'sampleWeight'?)");
    expect(() => precision([0, 1], [0, 1], { average: 'mean' } as never)).toThrow(/precision: average must be one of 'binary', 'micro', 'macro', 'weighted', got "mean"/);
    expect(() => f1([0, 1], [0, 1], 3 as never)).toThrow('f1: options must be an object, got 3');
    expect(() => logLoss([0, 1], [0.2, 0.8], { normalize: 'yes' } as never)).toThrow('logLoss: normalize must be a boolean, got "yes"');
    expect(() => logLoss([0, 1, 2], [0.2, 0.3, 0.4])).toThrow(ShapeError);
    expect(() => logLoss([0, 3], [[0.5, 0.5], [0.5, 0.5]], { labels: [0, 1] })).toThrow(/yTrue\[1\] = 3/);
    expect(() => logLoss([0, 1], [0.5, 0.5], { eps: 0.7 })).toThrow(ArgumentError);
  });
});

describe('topKAccuracy', () => {
  it('ties rank the higher column first, as scikit-learn', () => {
    // Row scores [0.5, 0.5, 0]: with k = 1 class 1 wins the tie, class 0 does not.
    expect(topKAccuracy([1], [[0.5, 0.5, 0]], { k: 1, labels: [0, 1, 2] })).toBe(1);
    expect(topKAccuracy([0], [[0.5, 0.5, 0]], { k: 1, labels: [0, 1, 2] })).toBe(0);
    expect(topKAccuracy([0], [[0.5, 0.5, 0]], { k: 2, labels: [0, 1, 2] })).toBe(1);
  });

  it('k = 1 equals accuracy of the argmax with ties to the higher index (property)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 })), { minLength: 1, maxLength: 30 }), (rows) => {
      const y = rows.map((r) => r[0]), s = rows.map((r) => r[1]);
      const pred = s.map((r) => { let b = 0; for (let c = 1; c < 3; c++) if (r[c] >= r[b]) b = c; return b; });
      return topKAccuracy(y, s, { k: 1, labels: [0, 1, 2] }) === accuracy(y, pred) && topKAccuracy(y, s, { k: 3, labels: [0, 1, 2] }) === 1;
    }), { numRuns: NUM_RUNS });
  });

  it('binary [N] scores threshold at 0.5 inside [0, 1], else at 0', () => {
    expect(topKAccuracy([0, 1, 1], [0.4, 0.6, 0.5], { k: 1 })).toBeCloseTo(2 / 3, 15);
    expect(topKAccuracy([0, 1, 1], [-1, 2, 0.5], { k: 1 })).toBe(1);
    expect(topKAccuracy([0, 1, 1], [-1, 2, 0.5], { k: 2 })).toBe(1);
  });

  it('errors', () => {
    expect(() => topKAccuracy([0, 1, 2], [[1, 0], [0, 1], [1, 0]])).toThrow(ShapeError);
    expect(() => topKAccuracy([0, 1], [[1, 0], [0, 1]], { labels: [1, 0] })).toThrow(/sorted/);
    expect(() => topKAccuracy([0, 1], [[1, 0], [0, 1]], { k: 0 })).toThrow(ArgumentError);
  });
});

describe('input validation shared by the classification metrics', () => {
  it('a length mismatch is a ShapeError naming both lengths', () => {
    expect(() => accuracy([0, 1, 1], [0, 1])).toThrow(ShapeError);
    expect(() => accuracy([0, 1, 1], [0, 1])).toThrow('accuracy: yTrue has 3 samples but yPred has 2');
    expect(() => f1([0, 1], [0, 1], { sampleWeight: [1] })).toThrow(/sampleWeight has 1 values but there are 2 samples/);
  });

  it('non-finite values are ArgumentErrors naming the first bad index', () => {
    expect(() => accuracy([0, NaN, Infinity], [0, 1, 1])).toThrow('accuracy: yTrue[1] is NaN; every value must be a finite number');
    expect(() => logLoss([0, 1], [[0.5, 0.5], [NaN, 1]])).toThrow('probs[1, 0] is NaN');
    expect(() => precision([0, 1], [0, 1], { sampleWeight: [1, Infinity] })).toThrow(/sampleWeight\[1\] is Infinity/);
  });

  it('non-integer labels, negative weights, empty input and wrong types are ArgumentErrors', () => {
    expect(() => accuracy([0, 0.5], [0, 1])).toThrow(/yTrue\[1\] is 0.5; class labels must be integers/);
    expect(() => accuracy([0, 1], [0, 1], { sampleWeight: [1, -1] })).toThrow(/non-negative/);
    expect(() => accuracy([], [])).toThrow(ArgumentError);
    expect(() => accuracy('01' as never, [0, 1])).toThrow(ArgumentError);
    expect(() => accuracy(tensor([[0, 1], [1, 0]]), [0, 1])).toThrow(ShapeError);
  });
});
