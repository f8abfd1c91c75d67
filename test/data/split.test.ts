import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kFold, stratifiedKFold, trainTestSplit } from '../../src/data/index';
import { ArgumentError, Generator, ShapeError, arange, tensor } from '../../src/tensor/index';

const fx = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/data.json'), 'utf8')) as {
  kfold: { n: number; k: number; tests: number[][] }[];
  skfold: { y: (number | string)[]; k: number; tests: number[][] }[];
  split: {
    sizes: { n: number; testSize: number; nTrain: number; nTest: number }[];
    stratified: { y: (number | string)[]; testSize: number; testCounts: Record<string, number>[] }[];
  };
};

const sorted = (a: ArrayLike<number>) => Array.from(a).sort((p, q) => p - q);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('trainTestSplit', () => {
  it('sizes equal scikit-learn (fraction rounds the test set up; an integer is a count)', () => {
    for (const c of fx.split.sizes) {
      const s = trainTestSplit(arange(c.n), null, { testSize: c.testSize, rng: new Generator(0) });
      expect([s.xTrain.shape[0], s.xTest.shape[0]], JSON.stringify(c)).toEqual([c.nTrain, c.nTest]);
    }
  });

  it('partitions the samples, keeps x and y rows together, and is reproducible for a seed', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 50 }), fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.integer(), (n, t, seed) => {
      fc.pre(Math.ceil(t * n) < n);
      const x = arange(n).reshape([n, 1]).mul(10), y = arange(n);
      const s = trainTestSplit(x, y, { testSize: t, rng: new Generator(seed) });
      expect(sorted([...s.trainIndex, ...s.testIndex])).toEqual(range(n));
      expect(s.yTest.toArray()).toEqual(Array.from(s.testIndex));
      expect(s.xTrain.toArray()).toEqual(Array.from(s.trainIndex, (i) => 10 * i));
      const again = trainTestSplit(x, y, { testSize: t, rng: new Generator(seed) });
      expect(again.testIndex).toEqual(s.testIndex);
    }), { numRuns: 80 });
  });

  it('shuffle: false takes the last samples as the test set', () => {
    const s = trainTestSplit([[1], [2], [3], [4]], [0, 1, 2, 3], { shuffle: false });
    expect(s.xTrain.toArray()).toEqual([1, 2, 3]);
    expect(s.yTest.toArray()).toEqual([3]);
  });

  it('stratified per-class test counts are within one of scikit-learn\'s, totals equal', () => {
    for (const c of fx.split.stratified) {
      const want = c.testCounts[0];
      for (let seed = 0; seed < 10; seed++) {
        const y = c.y;
        const s = trainTestSplit(arange(y.length), null, { testSize: c.testSize, stratify: y as string[], rng: new Generator(seed) });
        const got: Record<string, number> = {};
        for (const i of s.testIndex) got[String(y[i])] = (got[String(y[i])] ?? 0) + 1;
        let total = 0;
        for (const [cls, n] of Object.entries(want)) {
          expect(Math.abs((got[cls] ?? 0) - n), `class ${cls} of ${JSON.stringify(c.testCounts)}`).toBeLessThanOrEqual(1);
          total += got[cls] ?? 0;
        }
        expect(total).toBe(Object.values(want).reduce((a, b) => a + b, 0));
        expect(sorted([...s.trainIndex, ...s.testIndex])).toEqual(range(y.length));
      }
    }
  });

  it('stratify: true stratifies by y; proportions hold on random labels', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 20, maxLength: 80 }), fc.integer(), (labels, seed) => {
      const counts = new Map<number, number>();
      for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
      fc.pre([...counts.values()].every((c) => c >= 2));
      const n = labels.length, nTest = Math.ceil(0.3 * n);
      fc.pre(nTest >= counts.size && n - nTest >= counts.size);
      const s = trainTestSplit(arange(n), tensor(labels), { testSize: 0.3, stratify: true, rng: new Generator(seed) });
      expect(s.yTest.size).toBe(nTest);
      for (const [cls, c] of counts) {
        const got = s.yTest.toArray().filter((v) => v === cls).length;
        // floor of the share, plus at most one from the remainder, and the train side's rounding moves it by at most one more
        expect(Math.abs(got - (c * nTest) / n)).toBeLessThan(2);
      }
    }), { numRuns: 60 });
  });

  it('typed errors', () => {
    const x = arange(10), y = arange(10);
    for (const testSize of [0, 1.5, -1, NaN, 10, 11, '0.2']) expect(() => trainTestSplit(x, y, { testSize } as never)).toThrow(ArgumentError);
    expect(() => trainTestSplit(x, arange(9))).toThrow(ShapeError);
    expect(() => trainTestSplit(x, y, { stratify: true, shuffle: false })).toThrow(ArgumentError);
    expect(() => trainTestSplit(x, null, { stratify: true })).toThrow(ArgumentError);
    expect(() => trainTestSplit(x, y, { stratify: [0, 0, 0, 0, 0, 1, 1, 1, 1, 2] })).toThrow(/only 1 member/);
    expect(() => trainTestSplit(x, y, { stratify: [0, 1] })).toThrow(ShapeError);
    expect(() => trainTestSplit(x, y, { testSize: 1, stratify: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1] })).toThrow(/cannot hold all 2 classes/);
    expect(() => trainTestSplit(x, y, { test_size: 0.2 } as never)).toThrow(ArgumentError);
    expect(() => trainTestSplit('x' as never, y)).toThrow(ArgumentError);
    expect(() => trainTestSplit(tensor(1), null)).toThrow(ShapeError);
  });
});

describe('kFold', () => {
  it('test folds equal scikit-learn\'s KFold exactly; train is the complement', () => {
    for (const c of fx.kfold) {
      const folds = kFold(c.n, { nSplits: c.k });
      expect(folds.map((f) => Array.from(f.test))).toEqual(c.tests);
      for (const f of folds) expect(sorted([...f.train, ...f.test])).toEqual(range(c.n));
    }
  });

  it('shuffled: sizes as unshuffled, every sample tested once, ascending indices, reproducible', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 60 }), fc.integer({ min: 2, max: 10 }), fc.integer(), (n, k, seed) => {
      fc.pre(k <= n);
      const folds = kFold(n, { nSplits: k, shuffle: true, rng: new Generator(seed) });
      expect(folds.map((f) => f.test.length)).toEqual(range(k).map((i) => Math.floor(n / k) + (i < n % k ? 1 : 0)));
      expect(sorted(folds.flatMap((f) => Array.from(f.test)))).toEqual(range(n));
      for (const f of folds) {
        expect(Array.from(f.test)).toEqual(sorted(f.test));
        expect(Array.from(f.train)).toEqual(sorted(f.train));
        expect(f.train.length + f.test.length).toBe(n);
      }
      expect(kFold(n, { nSplits: k, shuffle: true, rng: new Generator(seed) })).toEqual(folds);
    }), { numRuns: 60 });
  });

  it('typed errors', () => {
    for (const n of [0, -1, 2.5, NaN, '5']) expect(() => kFold(n as never)).toThrow(ArgumentError);
    for (const nSplits of [1, 0, 2.5, NaN]) expect(() => kFold(10, { nSplits })).toThrow(ArgumentError);
    expect(() => kFold(3, { nSplits: 4 })).toThrow(/greater than the number of samples/);
    expect(() => kFold(3, 'x' as never)).toThrow(ArgumentError);
  });
});

describe('stratifiedKFold', () => {
  it('test folds equal scikit-learn\'s StratifiedKFold exactly (no shuffle)', () => {
    for (const c of fx.skfold) {
      expect(stratifiedKFold(c.y as string[], { nSplits: c.k }).map((f) => Array.from(f.test)), JSON.stringify(c.y)).toEqual(c.tests);
    }
  });

  it('shuffled: every sample tested once, per-class fold counts as unshuffled (within one of the class share)', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 10, maxLength: 60 }), fc.integer({ min: 2, max: 5 }), fc.integer(), (y, k, seed) => {
      const counts = new Map<string, number>();
      for (const l of y) counts.set(l, (counts.get(l) ?? 0) + 1);
      fc.pre(Math.max(...counts.values()) >= k);
      const folds = stratifiedKFold(y, { nSplits: k, shuffle: true, rng: new Generator(seed) });
      const plain = stratifiedKFold(y, { nSplits: k });
      expect(sorted(folds.flatMap((f) => Array.from(f.test)))).toEqual(range(y.length));
      folds.forEach((f, i) => {
        for (const [cls, c] of counts) {
          const got = Array.from(f.test).filter((j) => y[j] === cls).length;
          expect(got).toBe(Array.from(plain[i].test).filter((j) => y[j] === cls).length);
          expect(Math.abs(got - c / k)).toBeLessThan(1);
        }
      });
    }), { numRuns: 60 });
  });

  it('typed errors', () => {
    expect(() => stratifiedKFold([0, 0, 1, 1], { nSplits: 3 })).toThrow(/every class/);
    expect(() => stratifiedKFold([0, 0, 0], { nSplits: 4 })).toThrow(ArgumentError);
    expect(() => stratifiedKFold([0, NaN])).toThrow(ArgumentError);
    expect(() => stratifiedKFold(null as never)).toThrow(ArgumentError);
  });
});
