import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadIris, makeBlobs, makeCircles, makeClassification, makeMoons, makeRatings, makeRegression, makeSequences,
  makeShapes, makeSpirals,
} from '../../src/data/synthetic';
import { ArgumentError, Generator, Tensor, det, lstsq, manualSeed, tensor } from '../../src/tensor/index';
import { expectClose } from '../helpers/check';

const fixture = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/synthetic.json'), 'utf8')) as {
  iris: { x: number[][]; y: number[]; featureNames: string[]; targetNames: string[]; mean: number[]; std: number[]; classMeans: number[][] };
};

const g = (seed = 0) => new Generator(seed);

/** Number of rows with each label 0 … K − 1 (and a check that every label is an integer in range). */
function labelCounts(y: Tensor, K: number): number[] {
  const c = new Array<number>(K).fill(0);
  for (const v of y.data) {
    expect(Number.isInteger(v) && v >= 0 && v < K, `label ${v}`).toBe(true);
    c[v]++;
  }
  return c;
}

/** Rows of x [N, F] as arrays. */
function rows(x: Tensor): number[][] {
  return x.tolist() as number[][];
}

/** Mean and population std of a list. */
function stats(v: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  const mean = s / v.length;
  let q = 0;
  for (let i = 0; i < v.length; i++) q += (v[i] - mean) ** 2;
  return { mean, std: Math.sqrt(q / v.length) };
}

function expectArgError(f: () => unknown, pattern: RegExp): void {
  let err: unknown = null;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ArgumentError matching ${pattern}`).toBeInstanceOf(ArgumentError);
  expect((err as ArgumentError).code).toBe('INVALID_ARGUMENT');
  expect((err as Error).message).toMatch(pattern);
}

function expectSameData(a: { x: Tensor; y: Tensor }, b: { x: Tensor; y: Tensor }): void {
  expect(Array.from(a.x.data)).toEqual(Array.from(b.x.data));
  expect(Array.from(a.y.data)).toEqual(Array.from(b.y.data));
}

describe('makeBlobs', () => {
  it('splits samples evenly (first nSamples mod K get one more) with labels 0 … K − 1', () => {
    const { x, y, centers } = makeBlobs({ nSamples: 101, centers: 4, nFeatures: 3, rng: g() });
    expect(x.shape).toEqual([101, 3]);
    expect(y.shape).toEqual([101]);
    expect(centers.shape).toEqual([4, 3]);
    expect(labelCounts(y, 4)).toEqual([26, 25, 25, 25]);
  });

  it('random centers lie in centerBox and each cluster mean and std match its center and clusterStd', () => {
    const N = 4000, K = 4, std = [0.5, 1, 2, 0.25];
    const { x, y, centers } = makeBlobs({ nSamples: N, centers: K, clusterStd: std, centerBox: [-3, 7], rng: g(1) });
    for (const c of centers.data) expect(c >= -3 && c < 7).toBe(true);
    const C = rows(centers);
    const X = rows(x);
    for (let k = 0; k < K; k++) {
      for (let f = 0; f < 2; f++) {
        const v = X.filter((_, i) => y.data[i] === k).map((r) => r[f]);
        const s = stats(v);
        // mean of 1000 draws: std error σ/√1000 ≈ 0.032σ; 5 standard errors.
        expect(Math.abs(s.mean - C[k][f])).toBeLessThan(5 * std[k] / Math.sqrt(v.length));
        expect(Math.abs(s.std / std[k] - 1)).toBeLessThan(0.08);
      }
    }
  });

  it('takes explicit coordinates (nFeatures inferred), per-center counts, and keeps groups in order without shuffle', () => {
    const { x, y, centers } = makeBlobs({ nSamples: [2, 3], centers: [[0, 0, 0], [100, 100, 100]], clusterStd: 0.1, shuffle: false, rng: g() });
    expect(centers.tolist()).toEqual([[0, 0, 0], [100, 100, 100]]);
    expect(y.toArray()).toEqual([0, 0, 1, 1, 1]);
    const X = rows(x);
    for (let i = 0; i < 5; i++) for (const v of X[i]) expect(Math.abs(v - (i < 2 ? 0 : 100))).toBeLessThan(1);
    // nSamples as a list with no centers: one random center per entry.
    expect(makeBlobs({ nSamples: [1, 2, 3], rng: g() }).centers.shape).toEqual([3, 2]);
  });

  it('clusterStd 0 puts every point on its center', () => {
    const { x, y, centers } = makeBlobs({ nSamples: 6, centers: 3, clusterStd: 0, rng: g(3) });
    const C = rows(centers);
    rows(x).forEach((r, i) => expect(r).toEqual(C[y.data[i]]));
  });

  it('is deterministic for a seed, differs across seeds, and uses the global generator by default', () => {
    expectSameData(makeBlobs({ rng: g(5) }), makeBlobs({ rng: g(5) }));
    expect(makeBlobs({ rng: g(5) }).x.data).not.toEqual(makeBlobs({ rng: g(6) }).x.data);
    manualSeed(9);
    const a = makeBlobs();
    manualSeed(9);
    expectSameData(a, makeBlobs());
  });

  it('rejects bad options with a typed error', () => {
    expectArgError(() => makeBlobs({ nSamples: 0 }), /makeBlobs: nSamples/);
    expectArgError(() => makeBlobs({ nSamples: 2.5 }), /nSamples/);
    expectArgError(() => makeBlobs({ centers: 0 }), /centers/);
    expectArgError(() => makeBlobs({ clusterStd: -1 }), /clusterStd/);
    expectArgError(() => makeBlobs({ clusterStd: [1, 2] }), /one per center/);
    expectArgError(() => makeBlobs({ centerBox: [5, 5] }), /centerBox/);
    expectArgError(() => makeBlobs({ centers: [[0, 0], [1]] }), /centers\[1\]/);
    expectArgError(() => makeBlobs({ centers: [[0, 0]], nFeatures: 3 }), /nFeatures/);
    expectArgError(() => makeBlobs({ nSamples: [1, 2], centers: 3 }), /2 counts for 3 centers/);
    expectArgError(() => makeBlobs({ nSamples: NaN }), /nSamples/);
    expectArgError(() => makeBlobs({ rng: 42 as unknown as Generator }), /rng must be a Generator/);
    expectArgError(() => makeBlobs({ n_samples: 10 } as never), /unknown option 'n_samples' \(did you mean 'nSamples'\?\)/);
  });
});

describe('makeMoons', () => {
  it('puts class 0 on the upper unit half circle and class 1 on the shifted lower one (noise 0)', () => {
    const { x, y } = makeMoons({ nSamples: 51, rng: g() });
    expect(x.shape).toEqual([51, 2]);
    expect(labelCounts(y, 2)).toEqual([25, 26]);
    rows(x).forEach(([a, b], i) => {
      if (y.data[i] === 0) {
        expect(Math.abs(a * a + b * b - 1)).toBeLessThan(1e-5);
        expect(b).toBeGreaterThanOrEqual(-1e-6);
      } else {
        expect(Math.abs((a - 1) ** 2 + (b - 0.5) ** 2 - 1)).toBeLessThan(1e-5);
        expect(b).toBeLessThanOrEqual(0.5 + 1e-6);
      }
    });
  });

  it('noise is Gaussian with std `noise` per coordinate', () => {
    const N = 4000, noise = 0.1;
    const clean = makeMoons({ nSamples: N, shuffle: false, rng: g(2) }).x.data;
    const noisy = makeMoons({ nSamples: N, noise, shuffle: false, rng: g(2) }).x.data;
    const d = clean.map((v, i) => noisy[i] - v);
    const s = stats(d);
    expect(Math.abs(s.mean)).toBeLessThan(5 * noise / Math.sqrt(2 * N));
    expect(Math.abs(s.std / noise - 1)).toBeLessThan(0.05);
  });

  it('is deterministic for a seed and validates options', () => {
    expectSameData(makeMoons({ noise: 0.2, rng: g(4) }), makeMoons({ noise: 0.2, rng: g(4) }));
    expectArgError(() => makeMoons({ noise: -0.1 }), /makeMoons: noise/);
    expectArgError(() => makeMoons({ nSamples: -5 }), /nSamples/);
    expectArgError(() => makeMoons({ shuffle: 'yes' as unknown as boolean }), /shuffle must be a boolean/);
  });
});

describe('makeCircles', () => {
  it('puts class 0 on the unit circle and class 1 on radius `factor`, at evenly spaced angles', () => {
    const { x, y } = makeCircles({ nSamples: 40, factor: 0.3, shuffle: false, rng: g() });
    expect(labelCounts(y, 2)).toEqual([20, 20]);
    const X = rows(x);
    X.forEach(([a, b], i) => expect(Math.hypot(a, b)).toBeCloseTo(y.data[i] === 0 ? 1 : 0.3, 5));
    // angle step 2π/20 on the outer circle: consecutive points are 2·sin(π/20) apart.
    expect(Math.hypot(X[1][0] - X[0][0], X[1][1] - X[0][1])).toBeCloseTo(2 * Math.sin(Math.PI / 20), 5);
  });

  it('noise spreads the radius by about `noise`', () => {
    const { x, y } = makeCircles({ nSamples: 4000, noise: 0.05, factor: 0.5, rng: g(1) });
    const dev = rows(x).map(([a, b], i) => Math.hypot(a, b) - (y.data[i] === 0 ? 1 : 0.5));
    expect(Math.abs(stats(dev).std / 0.05 - 1)).toBeLessThan(0.1);
  });

  it('validates factor in [0, 1) and noise ≥ 0', () => {
    expect(() => makeCircles({ factor: 0 })).not.toThrow();
    expectArgError(() => makeCircles({ factor: 1 }), /makeCircles: factor/);
    expectArgError(() => makeCircles({ factor: -0.5 }), /factor/);
    expectArgError(() => makeCircles({ noise: Infinity }), /noise/);
  });
});

describe('makeSpirals', () => {
  it('places point j of arm k at r = (j + 1)/n, θ = 2π(k/K + turns·r)', () => {
    const K = 3, n = 20, turns = 1.5;
    const { x, y } = makeSpirals({ nSamples: K * n, nClasses: K, turns, shuffle: false, rng: g() });
    expect(labelCounts(y, K)).toEqual([n, n, n]);
    const X = rows(x);
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < n; j++) {
        const r = (j + 1) / n, t = 2 * Math.PI * (k / K + turns * r);
        expectClose(X[k * n + j], [r * Math.cos(t), r * Math.sin(t)], 1e-5);
      }
    }
  });

  it('shuffles with the labels following their points, deterministically', () => {
    const a = makeSpirals({ nSamples: 90, nClasses: 3, noise: 0.05, rng: g(7) });
    expectSameData(a, makeSpirals({ nSamples: 90, nClasses: 3, noise: 0.05, rng: g(7) }));
    expect(labelCounts(a.y, 3)).toEqual([30, 30, 30]);
    // shuffled: the labels are not in blocks.
    expect(a.y.toArray().slice(0, 30).every((v) => v === 0)).toBe(false);
  });

  it('validates options', () => {
    expectArgError(() => makeSpirals({ turns: 0 }), /makeSpirals: turns/);
    expectArgError(() => makeSpirals({ nClasses: 0 }), /nClasses/);
    expectArgError(() => makeSpirals({ noise: -1 }), /noise/);
  });
});

describe('makeRegression', () => {
  it('y = x·coef + bias exactly without noise; nInformative coefficients in [0, 100), the rest 0', () => {
    const { x, y, coef } = makeRegression({ nSamples: 30, nFeatures: 8, nInformative: 3, bias: -2, coef: true, rng: g() });
    expect(x.shape).toEqual([30, 8]);
    expect(y.shape).toEqual([30]);
    expect(coef.shape).toEqual([8]);
    const nz = coef.toArray().filter((v) => v !== 0);
    expect(nz.length).toBe(3);
    for (const v of nz) expect(v > 0 && v < 100).toBe(true);
    expectClose(x.matmul(coef).add(-2).data, y.data, 1e-3, 1e-5);
  });

  it('without shuffle the informative features come first', () => {
    const { coef } = makeRegression({ nSamples: 5, nFeatures: 6, nInformative: 2, coef: true, shuffle: false, rng: g(1) });
    const c = coef.toArray();
    expect(c.slice(2)).toEqual([0, 0, 0, 0]);
    expect(c[0] > 0 && c[1] > 0).toBe(true);
  });

  it('noise has std `noise`, and least squares recovers the coefficients', () => {
    const { x, y, coef } = makeRegression({ nSamples: 2000, nFeatures: 5, nInformative: 5, noise: 2, coef: true, rng: g(2) });
    const resid = y.sub(x.matmul(coef));
    expect(Math.abs(stats(resid.data).std / 2 - 1)).toBeLessThan(0.06);
    const w = lstsq(x, y.reshape([2000, 1])).reshape([5]);
    // standard error of each coefficient ≈ σ/√N = 0.045.
    expectClose(w.data, coef.data, 0.25, 0);
  });

  it('multiple targets give y [N, T] and coef [F, T]; x has unit-normal features', () => {
    const { x, y, coef } = makeRegression({ nSamples: 3000, nFeatures: 4, nInformative: 2, nTargets: 3, coef: true, rng: g(3) });
    expect(y.shape).toEqual([3000, 3]);
    expect(coef.shape).toEqual([4, 3]);
    expectClose(x.matmul(coef).data, y.data, 1e-3, 1e-5);
    const s = stats(x.data);
    expect(Math.abs(s.mean)).toBeLessThan(0.03);
    expect(Math.abs(s.std - 1)).toBeLessThan(0.03);
  });

  it('omits coef unless asked, defaults nInformative to min(10, nFeatures), and is deterministic', () => {
    const r = makeRegression({ nSamples: 10, nFeatures: 3, rng: g() });
    expect(r.coef).toBeUndefined();
    expect(makeRegression({ nSamples: 10, nFeatures: 3, coef: true, rng: g() }).coef.toArray().every((v) => v > 0)).toBe(true);
    expect(makeRegression({ rng: g() }).x.shape).toEqual([100, 100]);
    expectSameData(makeRegression({ nSamples: 10, nFeatures: 3, noise: 1, rng: g(4) }), makeRegression({ nSamples: 10, nFeatures: 3, noise: 1, rng: g(4) }));
  });

  it('validates options', () => {
    expectArgError(() => makeRegression({ nFeatures: 3, nInformative: 4 }), /nInformative = 4 exceeds nFeatures = 3/);
    expectArgError(() => makeRegression({ noise: -1 }), /noise/);
    expectArgError(() => makeRegression({ bias: NaN }), /bias/);
    expectArgError(() => makeRegression({ nTargets: 0 }), /nTargets/);
    expectArgError(() => makeRegression({ coef: 1 as unknown as boolean }), /coef must be a boolean/);
  });
});

describe('makeClassification', () => {
  it('has the requested shape, label range and exact class balance (flipY 0)', () => {
    const { x, y } = makeClassification({ nSamples: 301, nFeatures: 7, nInformative: 3, nRedundant: 2, nClasses: 3, flipY: 0, rng: g() });
    expect(x.shape).toEqual([301, 7]);
    // 3 classes × 2 clusters: ⌊301/6⌋ = 50 per cluster, the one left over goes to cluster 0 (class 0).
    expect(labelCounts(y, 3)).toEqual([101, 100, 100]);
  });

  it('splits by class weights (the last implied)', () => {
    const { y } = makeClassification({ nSamples: 1000, nClasses: 2, weights: [0.9], flipY: 0, rng: g(1) });
    expect(labelCounts(y, 2)).toEqual([900, 100]);
  });

  it('centres each class on its own hypercube vertex (±classSep) with 1 cluster per class', () => {
    const sep = 2;
    const { x, y } = makeClassification({
      nSamples: 4000, nFeatures: 2, nInformative: 2, nRedundant: 0, nClasses: 4, nClustersPerClass: 1, classSep: sep, flipY: 0, shuffle: false, rng: g(2),
    });
    const X = rows(x);
    const seen = new Set<string>();
    for (let k = 0; k < 4; k++) {
      const pts = X.filter((_, i) => y.data[i] === k);
      const m = [0, 1].map((f) => stats(pts.map((p) => p[f])).mean);
      // Each cluster is N(0, AᵀA) + vertex with A entries in (−1, 1): mean error ≲ 0.1.
      for (const v of m) expect(Math.abs(Math.abs(v) - sep)).toBeLessThan(0.15);
      seen.add(m.map((v) => Math.sign(v)).join(','));
    }
    expect(seen.size).toBe(4);
  });

  it('redundant features are linear combinations of the informative ones; repeated ones copy a column; the rest are N(0, 1)', () => {
    const I = 3, R = 2, P = 2, F = 12, N = 3000;
    const { x } = makeClassification({ nSamples: N, nFeatures: F, nInformative: I, nRedundant: R, nRepeated: P, shuffle: false, rng: g(3) });
    const X = rows(x);
    const col = (f: number) => tensor(X.map((r) => r[f]), [N, 1]);
    const inf = tensor(X.map((r) => r.slice(0, I)));
    for (let r = I; r < I + R; r++) {
      const w = lstsq(inf, col(r));
      const resid = col(r).sub(inf.matmul(w)).abs().max().item();
      expect(resid).toBeLessThan(1e-3);
    }
    for (let p = I + R; p < I + R + P; p++) {
      expect([...Array(I + R).keys()].some((f) => X.every((row) => row[f] === row[p])), `column ${p}`).toBe(true);
    }
    for (let f = I + R + P; f < F; f++) {
      const s = stats(X.map((row) => row[f]));
      expect(Math.abs(s.mean)).toBeLessThan(0.1);
      expect(Math.abs(s.std - 1)).toBeLessThan(0.06);
    }
  });

  it('flipY redraws about flipY·(1 − 1/K) of the labels and leaves x alone', () => {
    const opts = { nSamples: 5000, nClasses: 4, nInformative: 3, shuffle: false } as const;
    const a = makeClassification({ ...opts, flipY: 0, rng: g(4) });
    const b = makeClassification({ ...opts, flipY: 0.4, rng: g(4) });
    expect(Array.from(b.x.data)).toEqual(Array.from(a.x.data));
    let changed = 0;
    for (let i = 0; i < 5000; i++) if (a.y.data[i] !== b.y.data[i]) changed++;
    // expected 0.4·0.75 = 0.3, binomial std ≈ 0.0065.
    expect(Math.abs(changed / 5000 - 0.3)).toBeLessThan(0.03);
  });

  it('is separable when classSep is large: nearest class mean is far above chance', () => {
    const { x, y } = makeClassification({ nSamples: 600, nFeatures: 6, nInformative: 4, nRedundant: 0, nClasses: 3, nClustersPerClass: 1, classSep: 3, flipY: 0, rng: g(5) });
    const X = rows(x);
    const means = [0, 1, 2].map((k) => {
      const pts = X.filter((_, i) => y.data[i] === k);
      return X[0].map((_, f) => stats(pts.map((p) => p[f])).mean);
    });
    let correct = 0;
    X.forEach((r, i) => {
      const d = means.map((m) => m.reduce((s, v, f) => s + (v - r[f]) ** 2, 0));
      if (d.indexOf(Math.min(...d)) === y.data[i]) correct++;
    });
    expect(correct / 600).toBeGreaterThan(0.9);
  });

  it('applies shift and scale, is deterministic, and validates options', () => {
    const base = makeClassification({ nSamples: 20, rng: g(6) });
    const moved = makeClassification({ nSamples: 20, shift: 1, scale: 2, rng: g(6) });
    expectClose(moved.x.data, base.x.add(1).mul(2).data, 1e-5);
    expectSameData(base, makeClassification({ nSamples: 20, rng: g(6) }));
    expect(makeClassification({ nSamples: 50, hypercube: false, rng: g() }).x.shape).toEqual([50, 20]);
    expectArgError(() => makeClassification({ nFeatures: 4, nInformative: 3, nRedundant: 2 }), /3 \+ 2 \+ 0 = 5 exceeds nFeatures = 4/);
    expectArgError(() => makeClassification({ nInformative: 2, nClasses: 3, nClustersPerClass: 2 }), /exceeds 2\^nInformative = 4/);
    expectArgError(() => makeClassification({ weights: [0.5, 0.3, 0.2] }), /weights/);
    expectArgError(() => makeClassification({ weights: [1.2] }), /weights sum to 1.2/);
    expectArgError(() => makeClassification({ flipY: 1.5 }), /flipY/);
    expectArgError(() => makeClassification({ nClasses: 0 }), /nClasses/);
  });
});

describe('makeShapes', () => {
  /** Fill ratio of the shape: covered mass / area of the bounding box of pixels ≥ 0.5. Disc π/4, square 1, triangle 1/2. */
  function fillRatio(img: Float32Array, S: number): number {
    let mass = 0, r0 = S, r1 = -1, c0 = S, c1 = -1;
    for (let i = 0; i < S; i++) {
      for (let j = 0; j < S; j++) {
        const v = img[i * S + j];
        mass += v;
        if (v >= 0.5) {
          r0 = Math.min(r0, i); r1 = Math.max(r1, i);
          c0 = Math.min(c0, j); c1 = Math.max(c1, j);
        }
      }
    }
    return mass / ((r1 - r0 + 1) * (c1 - c0 + 1));
  }

  it('gives [N, 1, size, size] images in [0, 1] with balanced labels', () => {
    const { x, y, classNames } = makeShapes({ nSamples: 100, rng: g() });
    expect(x.shape).toEqual([100, 1, 16, 16]);
    expect(classNames).toEqual(['circle', 'square', 'triangle']);
    expect(labelCounts(y, 3)).toEqual([34, 33, 33]);
    expect(Math.min(...x.data)).toBe(0);
    expect(Math.max(...x.data)).toBe(1);
    // every image has a whole shape: about the smallest triangle's area 2r² = 32 (r = 0.25·16) or more.
    for (let n = 0; n < 100; n++) expect(x.data.subarray(n * 256, n * 256 + 256).reduce((s, v) => s + v, 0)).toBeGreaterThan(28);
  });

  it('the three classes are told apart by a one-feature rule (fill ratio of the bounding box), far above chance', () => {
    const S = 16, N = 600;
    const { x, y } = makeShapes({ nSamples: N, size: S, rng: g(1) });
    let correct = 0;
    for (let n = 0; n < N; n++) {
      const f = fillRatio(x.data.subarray(n * S * S, (n + 1) * S * S), S);
      const pred = f > 0.9 ? 1 : f > 0.64 ? 0 : 2;
      if (pred === y.data[n]) correct++;
    }
    expect(correct / N).toBeGreaterThan(0.9);
  });

  it('without antialias images are binary masks; noise keeps values clipped to [0, 1]', () => {
    const bin = makeShapes({ nSamples: 30, antialias: false, rng: g(2) }).x.data;
    for (const v of bin) expect(v === 0 || v === 1).toBe(true);
    const aa = makeShapes({ nSamples: 30, rng: g(2) }).x.data;
    expect(aa.some((v) => v > 0 && v < 1)).toBe(true);
    const noisy = makeShapes({ nSamples: 30, noise: 0.3, rng: g(2) }).x.data;
    let lo = 1, hi = 0;
    for (const v of noisy) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    expect(lo).toBe(0);
    expect(hi).toBe(1);
  });

  it('a shape stays inside the image and its extent follows `radius`', () => {
    const S = 32;
    const { x } = makeShapes({ nSamples: 60, size: S, classes: ['square'], radius: [0.2, 0.2], antialias: false, rng: g(3) });
    for (let n = 0; n < 60; n++) {
      // a square of half-side 6.4 covers 12 or 13 pixel centres per side.
      const mass = x.data.subarray(n * S * S, (n + 1) * S * S).reduce((s, v) => s + v, 0);
      expect([144, 156, 169]).toContain(mass);
    }
  });

  it('classes picks and orders the labels; it is deterministic; bad options throw', () => {
    const { y, classNames } = makeShapes({ nSamples: 10, classes: ['triangle', 'circle'], rng: g(4) });
    expect(classNames).toEqual(['triangle', 'circle']);
    expect(labelCounts(y, 2)).toEqual([5, 5]);
    expectSameData(makeShapes({ nSamples: 5, noise: 0.1, rng: g(5) }), makeShapes({ nSamples: 5, noise: 0.1, rng: g(5) }));
    expectArgError(() => makeShapes({ size: 4 }), /makeShapes: size/);
    expectArgError(() => makeShapes({ classes: ['hexagon' as 'circle'] }), /classes\[0\] = "hexagon"/);
    expectArgError(() => makeShapes({ classes: ['circle', 'circle'] }), /listed twice/);
    expectArgError(() => makeShapes({ classes: [] }), /non-empty/);
    expectArgError(() => makeShapes({ radius: [0.3, 0.6] }), /radius\[1\]/);
    expectArgError(() => makeShapes({ radius: [0.4, 0.3] }), /low ≤ high/);
  });
});

describe('makeSequences', () => {
  const ids = (t: Tensor) => t.tolist() as number[][];

  it('copy, reverse and sort: y is x, x reversed, x sorted; ids in [0, V)', () => {
    for (const task of ['copy', 'reverse', 'sort'] as const) {
      const { x, y, vocabSize, numClasses } = makeSequences({ task, nSamples: 20, length: 7, vocabSize: 5, rng: g() });
      expect(x.shape).toEqual([20, 7]);
      expect(y.shape).toEqual([20, 7]);
      expect(vocabSize).toBe(5);
      expect(numClasses).toBe(5);
      const X = ids(x), Y = ids(y);
      for (let n = 0; n < 20; n++) {
        for (const v of X[n]) expect(Number.isInteger(v) && v >= 0 && v < 5).toBe(true);
        const want = task === 'copy' ? X[n] : task === 'reverse' ? X[n].slice().reverse() : X[n].slice().sort((a, b) => a - b);
        expect(Y[n]).toEqual(want);
      }
    }
  });

  it('sum: x [N, T, 1] in [0, 1), y = Σ x', () => {
    const { x, y, vocabSize, numClasses } = makeSequences({ task: 'sum', nSamples: 10, length: 6, rng: g(1) });
    expect(x.shape).toEqual([10, 6, 1]);
    expect(vocabSize).toBeNull();
    expect(numClasses).toBeNull();
    expectClose(y.data, x.sum({ axis: [1, 2] }).data, 1e-5);
  });

  it('adding: one marker in each half, y = sum of the two marked values', () => {
    const T = 11;
    const { x, y } = makeSequences({ task: 'adding', nSamples: 50, length: T, rng: g(2) });
    expect(x.shape).toEqual([50, T, 2]);
    const X = x.tolist() as number[][][];
    for (let n = 0; n < 50; n++) {
      const marks = X[n].map((s, t) => (s[1] === 1 ? t : -1)).filter((t) => t >= 0);
      expect(marks.length).toBe(2);
      expect(marks[0]).toBeLessThan(5);
      expect(marks[1]).toBeGreaterThanOrEqual(5);
      expect(X[n].every((s) => s[1] === 0 || s[1] === 1)).toBe(true);
      expect(y.data[n]).toBeCloseTo(X[n][marks[0]][0] + X[n][marks[1]][0], 6);
    }
  });

  it('parity: bits, y = XOR, roughly balanced', () => {
    const { x, y, numClasses } = makeSequences({ task: 'parity', nSamples: 400, length: 8, rng: g(3) });
    expect(numClasses).toBe(2);
    const X = ids(x);
    X.forEach((s, n) => expect(y.data[n]).toBe(s.reduce((a, b) => a ^ b, 0)));
    const ones = y.toArray().filter((v) => v === 1).length;
    expect(Math.abs(ones - 200)).toBeLessThan(40);
  });

  it('majority: y is the unique most frequent token, ties removed', () => {
    for (const [V, T] of [[2, 10], [3, 6], [10, 4]]) {
      const { x, y, numClasses } = makeSequences({ task: 'majority', nSamples: 200, length: T, vocabSize: V, rng: g(4) });
      expect(numClasses).toBe(V);
      ids(x).forEach((s, n) => {
        const count = new Array<number>(V).fill(0);
        for (const v of s) count[v]++;
        const best = Math.max(...count);
        expect(count.filter((c) => c === best).length).toBe(1);
        expect(y.data[n]).toBe(count.indexOf(best));
      });
    }
  });

  it('classifyPattern: balanced labels, y = 1 exactly when the pattern occurs', () => {
    const contains = (s: number[], p: number[]) => s.some((_, i) => i + p.length <= s.length && p.every((v, j) => s[i + j] === v));
    for (const [pattern, V, T] of [[[0, 1], 4, 10], [[2, 2, 1], 3, 12], [[1], 2, 5], [[0, 1], 2, 40]] as [number[], number, number][]) {
      const { x, y, numClasses } = makeSequences({ task: 'classifyPattern', nSamples: 101, length: T, vocabSize: V, pattern, rng: g(5) });
      expect(numClasses).toBe(2);
      const X = ids(x);
      X.forEach((s, n) => expect(y.data[n], `${s} / ${pattern}`).toBe(contains(s, pattern) ? 1 : 0));
      expect(y.toArray().filter((v) => v === 1).length).toBe(50);
    }
  });

  it('tag: per-step label 1 where a token equals a neighbour', () => {
    const { x, y } = makeSequences({ task: 'tag', nSamples: 30, length: 9, rng: g(6) });
    expect(y.shape).toEqual([30, 9]);
    const X = ids(x), Y = ids(y);
    X.forEach((s, n) => s.forEach((v, t) => expect(Y[n][t]).toBe(s[t - 1] === v || s[t + 1] === v ? 1 : 0)));
  });

  it('oneHot gives [N, T, V] features matching the ids; runs are deterministic', () => {
    const a = makeSequences({ task: 'reverse', nSamples: 5, length: 4, rng: g(7) });
    const b = makeSequences({ task: 'reverse', nSamples: 5, length: 4, oneHot: true, rng: g(7) });
    expect(b.x.shape).toEqual([5, 4, 10]);
    expect(Array.from(b.x.argmax({ axis: 2 }).data)).toEqual(Array.from(a.x.data));
    expect(Array.from(b.x.sum({ axis: 2 }).data).every((v) => v === 1)).toBe(true);
    expectSameData(a, makeSequences({ task: 'reverse', nSamples: 5, length: 4, rng: g(7) }));
  });

  it('validates options', () => {
    expectArgError(() => makeSequences({ task: 'translate' as 'copy' }), /task must be one of/);
    expectArgError(() => makeSequences(undefined as never), /task/);
    expectArgError(() => makeSequences({ task: 'parity', vocabSize: 3 }), /vocabSize must be 2/);
    expectArgError(() => makeSequences({ task: 'classifyPattern', pattern: [0, 4], vocabSize: 4 }), /pattern\[1\] = 4/);
    expectArgError(() => makeSequences({ task: 'classifyPattern', pattern: [0, 1, 0], length: 2 }), /pattern/);
    expectArgError(() => makeSequences({ task: 'copy', pattern: [0] }), /pattern applies only/);
    expectArgError(() => makeSequences({ task: 'sum', oneHot: true }), /do not apply/);
    expectArgError(() => makeSequences({ task: 'adding', length: 1 }), /length/);
    expectArgError(() => makeSequences({ task: 'majority', vocabSize: 1 }), /vocabSize/);
    expectArgError(() => makeSequences({ task: 'copy', nSamples: 0 }), /nSamples/);
  });
});

describe('makeRatings', () => {
  /** Noise-free score μ + bᵤ + bᵢ + uᵤ·vᵢ from the returned truth. */
  function truth(r: ReturnType<typeof makeRatings>, u: number, i: number): number {
    const R = r.trueU.shape[1];
    let s = r.globalMean + r.userBias[u] + r.itemBias[i];
    for (let k = 0; k < R; k++) s += r.trueU.data[u * R + k] * r.trueV.data[i * R + k];
    return s;
  }

  it('explicit: exactly round(density·U·I) distinct sorted pairs, ratings in [1, 5]', () => {
    const r = makeRatings({ nUsers: 50, nItems: 40, rank: 3, density: 0.23, rng: g() });
    const M = Math.round(0.23 * 2000);
    expect(r.users.length).toBe(M);
    expect(r.items.length).toBe(M);
    expect(r.ratings.length).toBe(M);
    expect(r.trueU.shape).toEqual([50, 3]);
    expect(r.trueV.shape).toEqual([40, 3]);
    expect(r.noise).toBe(0.1);
    for (let m = 0; m < M; m++) {
      expect(r.users[m] >= 0 && r.users[m] < 50 && r.items[m] >= 0 && r.items[m] < 40).toBe(true);
      expect(r.ratings[m] >= 1 && r.ratings[m] <= 5).toBe(true);
      if (m > 0) expect(r.users[m] * 40 + r.items[m]).toBeGreaterThan(r.users[m - 1] * 40 + r.items[m - 1]);
    }
  });

  it('without noise each rating is clip(μ + bᵤ + bᵢ + uᵤ·vᵢ, 1, 5); with noise the residual std is `noise`', () => {
    const clean = makeRatings({ nUsers: 30, nItems: 30, density: 1, noise: 0, rng: g(1) });
    for (let m = 0; m < clean.ratings.length; m++) {
      const s = truth(clean, clean.users[m], clean.items[m]);
      expect(clean.ratings[m]).toBeCloseTo(Math.min(5, Math.max(1, s)), 5);
    }
    const noisy = makeRatings({ nUsers: 100, nItems: 100, density: 0.5, noise: 0.3, rng: g(2) });
    const resid: number[] = [];
    for (let m = 0; m < noisy.ratings.length; m++) {
      const s = truth(noisy, noisy.users[m], noisy.items[m]);
      // only the interior, where clipping cannot have touched the noise.
      if (s > 2 && s < 4) resid.push(noisy.ratings[m] - s);
    }
    expect(resid.length).toBeGreaterThan(2000);
    const st = stats(resid);
    expect(Math.abs(st.mean)).toBeLessThan(0.03);
    expect(Math.abs(st.std / 0.3 - 1)).toBeLessThan(0.1);
  });

  it('the noise-free interaction matrix U·Vᵀ has rank exactly `rank`, with unit-variance entries', () => {
    const rank = 3;
    const r = makeRatings({ nUsers: 200, nItems: 150, rank, rng: g(3) });
    const S = r.trueU.matmul(r.trueV.transpose());
    const minor = (k: number) => tensor((S.tolist() as number[][]).slice(0, k).map((row) => row.slice(0, k)));
    // a rank-3 product: every 4 × 4 minor vanishes, a generic 3 × 3 one does not.
    expect(Math.abs(det(minor(rank)).item())).toBeGreaterThan(1e-3);
    expect(Math.abs(det(minor(rank + 1)).item())).toBeLessThan(1e-4);
    const st = stats(S.data);
    expect(Math.abs(st.std - 1)).toBeLessThan(0.2);
    expect(Math.abs(stats(r.userBias).std - 0.5)).toBeLessThan(0.1);
  });

  it('round gives whole stars', () => {
    const r = makeRatings({ nUsers: 20, nItems: 20, density: 0.5, round: true, rng: g(4) });
    for (const v of r.ratings) expect([1, 2, 3, 4, 5]).toContain(v);
  });

  it('implicit: ratings are 1, density near the target, interactions favour high scores', () => {
    const r = makeRatings({ nUsers: 200, nItems: 150, rank: 4, density: 0.05, implicit: true, rng: g(5) });
    const total = 200 * 150, M = r.users.length;
    expect(r.globalMean).toBe(0);
    expect(r.ratings.every((v) => v === 1)).toBe(true);
    // binomial std of the count ≈ √(total·0.05) ≈ 39.
    expect(Math.abs(M - 0.05 * total)).toBeLessThan(200);
    const seen = new Set<number>();
    let sIn = 0;
    for (let m = 0; m < M; m++) {
      const c = r.users[m] * 150 + r.items[m];
      expect(seen.has(c)).toBe(false);
      seen.add(c);
      sIn += truth(r, r.users[m], r.items[m]);
    }
    let sAll = 0;
    for (let u = 0; u < 200; u++) for (let i = 0; i < 150; i++) sAll += truth(r, u, i);
    const meanIn = sIn / M, meanOut = (sAll - sIn) / (total - M);
    expect(meanIn - meanOut).toBeGreaterThan(1);
  });

  it('is deterministic and validates options', () => {
    const a = makeRatings({ nUsers: 10, nItems: 10, density: 0.3, rng: g(6) });
    const b = makeRatings({ nUsers: 10, nItems: 10, density: 0.3, rng: g(6) });
    expect(Array.from(a.ratings)).toEqual(Array.from(b.ratings));
    expect(Array.from(a.items)).toEqual(Array.from(b.items));
    expectArgError(() => makeRatings({ density: 0 }), /makeRatings: density/);
    expectArgError(() => makeRatings({ density: 1.5 }), /density/);
    expectArgError(() => makeRatings({ nUsers: 2, nItems: 2, density: 0.1 }), /gives no ratings/);
    expectArgError(() => makeRatings({ rank: 0 }), /rank/);
    expectArgError(() => makeRatings({ noise: -1 }), /noise/);
    expectArgError(() => makeRatings({ implicit: true, round: true }), /round applies only/);
  });
});

describe('loadIris', () => {
  it('matches scikit-learn’s load_iris value for value (fixture)', () => {
    const iris = loadIris();
    expect(iris.x.shape).toEqual([150, 4]);
    expect(iris.y.shape).toEqual([150]);
    expect(Array.from(iris.x.data)).toEqual(Array.from(Float32Array.from(fixture.iris.x.flat())));
    expect(iris.y.toArray()).toEqual(fixture.iris.y);
    expect(iris.featureNames).toEqual(fixture.iris.featureNames);
    expect(iris.targetNames).toEqual(fixture.iris.targetNames);
  });

  it('spot values (including sklearn’s corrected samples 35 and 38), class counts and column statistics', () => {
    const iris = loadIris();
    const X = rows(iris.x);
    expectClose(X[0], [5.1, 3.5, 1.4, 0.2], 1e-6);
    expectClose(X[34], [4.9, 3.1, 1.5, 0.2], 1e-6);
    expectClose(X[37], [4.9, 3.6, 1.4, 0.1], 1e-6);
    expectClose(X[149], [5.9, 3.0, 5.1, 1.8], 1e-6);
    expect(labelCounts(iris.y, 3)).toEqual([50, 50, 50]);
    expectClose(iris.x.mean({ axis: 0 }).data, fixture.iris.mean, 1e-5);
    expectClose(iris.x.std({ axis: 0 }).data, fixture.iris.std, 1e-5);
    for (let k = 0; k < 3; k++) {
      expectClose(tensor(X.slice(50 * k, 50 * k + 50)).mean({ axis: 0 }).data, fixture.iris.classMeans[k], 1e-5);
    }
  });

  it('returns fresh tensors each call', () => {
    const a = loadIris();
    a.x.data[0] = -1;
    expect(loadIris().x.data[0]).toBeCloseTo(5.1, 6);
  });
});
