import { describe, expect, it } from 'vitest';
import { gaussianNoise, mixup, randomCrop, randomHorizontalFlip, sampleBeta, sampleGamma } from '../../src/data/augment';
import { ArgumentError, Generator, ShapeError, Tensor, manualSeed, ones, tensor, zeros } from '../../src/tensor/index';
import { expectClose } from '../helpers/check';

const g = (seed = 0) => new Generator(seed);

/** A batch whose every value is distinct, so a crop or flip can be located exactly. */
function distinct(shape: number[]): Tensor {
  const n = shape.reduce((p, q) => p * q, 1);
  return new Tensor(Float32Array.from({ length: n }, (_, i) => i + 1), shape);
}

/** x [B, C, H, W] padded by `pad` on every side, as nested arrays [B][C][H + 2p][W + 2p]: the reference for crops. */
function padRef(x: Tensor, pad: number, mode: 'constant' | 'reflect', fill = 0): number[][][][] {
  const [B, C, H, W] = x.shape;
  const X = x.tolist() as number[][][][];
  const reflect = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
  const out: number[][][][] = [];
  for (let b = 0; b < B; b++) {
    out.push([]);
    for (let c = 0; c < C; c++) {
      const plane: number[][] = [];
      for (let i = -pad; i < H + pad; i++) {
        const row: number[] = [];
        for (let j = -pad; j < W + pad; j++) {
          const inside = i >= 0 && i < H && j >= 0 && j < W;
          row.push(inside ? X[b][c][i][j] : mode === 'constant' ? fill : X[b][c][reflect(i, H)][reflect(j, W)]);
        }
        plane.push(row);
      }
      out[b].push(plane);
    }
  }
  return out;
}

function stats(v: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  const mean = s / v.length;
  let q = 0;
  for (let i = 0; i < v.length; i++) q += (v[i] - mean) ** 2;
  return { mean, variance: q / v.length };
}

function expectErr(f: () => unknown, cls: typeof ArgumentError | typeof ShapeError, pattern: RegExp): void {
  let err: unknown = null;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${cls.name} matching ${pattern}`).toBeInstanceOf(cls);
  expect((err as Error).message).toMatch(pattern);
}

describe('randomHorizontalFlip', () => {
  it('p = 1 mirrors every row (reference loop) and flipping twice is the identity', () => {
    const x = distinct([2, 3, 4, 5]);
    const f = randomHorizontalFlip(x, { p: 1 });
    const X = x.tolist() as number[][][][], Fl = f.tolist() as number[][][][];
    for (let b = 0; b < 2; b++) for (let c = 0; c < 3; c++) for (let h = 0; h < 4; h++) expect(Fl[b][c][h]).toEqual(X[b][c][h].slice().reverse());
    expect(Array.from(randomHorizontalFlip(f, { p: 1 }).data)).toEqual(Array.from(x.data));
  });

  it('p = 0 copies; the input is never modified and the output is a new tensor', () => {
    const x = distinct([2, 1, 3, 3]);
    const before = Array.from(x.data);
    const y = randomHorizontalFlip(x, { p: 0 });
    expect(y).not.toBe(x);
    expect(y.data).not.toBe(x.data);
    expect(Array.from(y.data)).toEqual(before);
    randomHorizontalFlip(x, { p: 1 });
    expect(Array.from(x.data)).toEqual(before);
  });

  it('flips whole images independently with probability p, deterministically per seed', () => {
    const B = 2000, p = 0.3;
    const x = distinct([B, 2, 2, 3]);
    const y = randomHorizontalFlip(x, { p, rng: g(1) });
    const mirrored = randomHorizontalFlip(x, { p: 1 });
    let flipped = 0;
    for (let b = 0; b < B; b++) {
      const s = b * 12;
      const img = Array.from(y.data.subarray(s, s + 12));
      const same = img.every((v, i) => v === x.data[s + i]);
      const flip = img.every((v, i) => v === mirrored.data[s + i]);
      expect(same !== flip).toBe(true);
      if (flip) flipped++;
    }
    // binomial std √(2000·0.21) ≈ 20.
    expect(Math.abs(flipped - p * B)).toBeLessThan(80);
    expect(Array.from(randomHorizontalFlip(x, { p, rng: g(1) }).data)).toEqual(Array.from(y.data));
  });

  it('width 1 is unchanged; bad inputs throw typed errors', () => {
    const x = distinct([3, 2, 4, 1]);
    expect(Array.from(randomHorizontalFlip(x, { p: 1 }).data)).toEqual(Array.from(x.data));
    expectErr(() => randomHorizontalFlip(zeros([3, 4, 4])), ShapeError, /randomHorizontalFlip: x \[3, 4, 4\] must be an image batch \[B, C, H, W\]/);
    expectErr(() => randomHorizontalFlip(zeros([1, 1, 2, 2]), { p: 1.5 }), ArgumentError, /p must be/);
    expectErr(() => randomHorizontalFlip([1, 2] as unknown as Tensor), ArgumentError, /x must be a Tensor/);
  });
});

describe('randomCrop', () => {
  it('with padding: output shape and every crop is a window of the zero-padded image', () => {
    const x = distinct([20, 2, 5, 6]);
    const pad = 2, h = 4, w = 5;
    const out = randomCrop(x, { size: [h, w], padding: pad, rng: g(2) });
    expect(out.shape).toEqual([20, 2, h, w]);
    const P = padRef(x, pad, 'constant');
    const O = out.tolist() as number[][][][];
    const offsets = new Set<string>();
    for (let b = 0; b < 20; b++) {
      // locate the offset from channel 0 and check both channels use it
      let found = '';
      for (let i = 0; i <= 5 + 2 * pad - h && !found; i++) {
        for (let j = 0; j <= 6 + 2 * pad - w && !found; j++) {
          const ok = [0, 1].every((c) => O[b][c].every((row, yy) => row.every((v, xx) => v === P[b][c][i + yy][j + xx])));
          if (ok) found = `${i},${j}`;
        }
      }
      expect(found, `image ${b}`).not.toBe('');
      offsets.add(found);
    }
    expect(offsets.size).toBeGreaterThan(5);
  });

  it('offsets are uniform over all (H + 2p − h + 1)·(W + 2p − w + 1) positions', () => {
    // a 1 × 1 image padded by 1 and cropped to 1 × 1: the value is 1 at the centre offset only (1 in 9).
    const B = 9000;
    const out = randomCrop(ones([B, 1, 1, 1]), { size: 1, padding: 1, rng: g(3) });
    const hits = out.data.reduce((s, v) => s + v, 0);
    expect(Math.abs(hits - B / 9)).toBeLessThan(5 * Math.sqrt(B * (1 / 9) * (8 / 9)));
  });

  it('reflect padding mirrors without repeating the edge (NumPy reflect), and fill sets the constant', () => {
    // np.pad([[1, 2, 3], [4, 5, 6], [7, 8, 9]], 1, 'reflect'):
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const full = randomCrop(x, { size: 5, padding: 1, paddingMode: 'reflect' });
    expect(full.tolist()).toEqual([[[[5, 4, 5, 6, 5], [2, 1, 2, 3, 2], [5, 4, 5, 6, 5], [8, 7, 8, 9, 8], [5, 4, 5, 6, 5]]]]);
    const filled = randomCrop(x, { size: 5, padding: 1, fill: -1 });
    expect((filled.tolist() as number[][][][])[0][0][0]).toEqual([-1, -1, -1, -1, -1]);
    expect((filled.tolist() as number[][][][])[0][0][2]).toEqual([-1, 4, 5, 6, -1]);
  });

  it('reflect crops are windows of the reflected image', () => {
    const x = distinct([10, 1, 4, 4]);
    const out = randomCrop(x, { size: 4, padding: 3, paddingMode: 'reflect', rng: g(4) });
    const P = padRef(x, 3, 'reflect');
    const O = out.tolist() as number[][][][];
    for (let b = 0; b < 10; b++) {
      let ok = false;
      for (let i = 0; i <= 6 && !ok; i++) for (let j = 0; j <= 6 && !ok; j++) ok = O[b][0].every((row, yy) => row.every((v, xx) => v === P[b][0][i + yy][j + xx]));
      expect(ok, `image ${b}`).toBe(true);
    }
  });

  it('no padding and full size is the identity; it is deterministic per seed', () => {
    const x = distinct([2, 3, 4, 4]);
    expect(Array.from(randomCrop(x, { size: 4 }).data)).toEqual(Array.from(x.data));
    const a = randomCrop(x, { size: 2, padding: 1, rng: g(5) });
    expect(Array.from(randomCrop(x, { size: 2, padding: 1, rng: g(5) }).data)).toEqual(Array.from(a.data));
    manualSeed(3);
    const c = randomCrop(x, { size: 2 });
    manualSeed(3);
    expect(Array.from(randomCrop(x, { size: 2 }).data)).toEqual(Array.from(c.data));
  });

  it('rejects bad sizes and paddings with typed errors', () => {
    const x = zeros([1, 1, 4, 4]);
    expectErr(() => randomCrop(x, { size: 5 }), ArgumentError, /crop 5 × 5 is larger than the padded image 4 × 4 of x \[1, 1, 4, 4\]/);
    expectErr(() => randomCrop(x, { size: 2, padding: -1 }), ArgumentError, /padding/);
    expectErr(() => randomCrop(x, { size: 2, padding: 4, paddingMode: 'reflect' }), ArgumentError, /reflect padding 4/);
    expectErr(() => randomCrop(x, { size: 2, paddingMode: 'wrap' as 'reflect' }), ArgumentError, /paddingMode/);
    expectErr(() => randomCrop(x, { size: 0 }), ArgumentError, /size/);
    expectErr(() => randomCrop(x, { size: [2, 2, 2] as unknown as number }), ArgumentError, /size/);
    expectErr(() => randomCrop(x, undefined as never), ArgumentError, /size/);
    expectErr(() => randomCrop(zeros([4, 4]), { size: 2 }), ShapeError, /\[4, 4\]/);
  });
});

describe('gaussianNoise', () => {
  it('adds N(mean, std²) noise element-wise to any shape, leaving the input alone', () => {
    const x = ones([50, 40, 10]);
    const y = gaussianNoise(x, { std: 0.5, mean: 0.2, rng: g(6) });
    expect(y.shape).toEqual([50, 40, 10]);
    expect(x.data.every((v) => v === 1)).toBe(true);
    const d = y.data.map((v) => v - 1);
    const s = stats(d);
    // 20000 draws: the mean is within 5·0.5/√20000 ≈ 0.018, the variance within a few %.
    expect(Math.abs(s.mean - 0.2)).toBeLessThan(0.018);
    expect(Math.abs(s.variance / 0.25 - 1)).toBeLessThan(0.05);
  });

  it('std 0 gives an exact copy; clip bounds the result; runs are deterministic', () => {
    const x = tensor([1, -2, 3]);
    expect(gaussianNoise(x, { std: 0 }).toArray()).toEqual([1, -2, 3]);
    const c = gaussianNoise(zeros([1000]), { std: 3, clip: [0, 1], rng: g(7) });
    expect(Math.min(...c.data)).toBe(0);
    expect(Math.max(...c.data)).toBe(1);
    expect(Array.from(gaussianNoise(x, { std: 1, rng: g(8) }).data)).toEqual(Array.from(gaussianNoise(x, { std: 1, rng: g(8) }).data));
  });

  it('rejects bad options', () => {
    expectErr(() => gaussianNoise(zeros([2]), { std: -1 }), ArgumentError, /gaussianNoise: std/);
    expectErr(() => gaussianNoise(zeros([2]), { std: NaN }), ArgumentError, /std/);
    expectErr(() => gaussianNoise(zeros([2]), { std: 1, clip: [1, 0] }), ArgumentError, /low ≤ high/);
    expectErr(() => gaussianNoise(zeros([2]), undefined as never), ArgumentError, /std/);
    expectErr(() => gaussianNoise(zeros([2]), { std: 1, sigma: 2 } as never), ArgumentError, /gaussianNoise: unknown option 'sigma'; gaussianNoise takes std, mean, clip, rng/);
  });
});

describe('mixup', () => {
  it('λ ∈ [0, 1]; x̃ = λx + (1 − λ)x[π]; ỹ rows are λ·onehot(y) + (1 − λ)·onehot(y[π]) and sum to 1', () => {
    const B = 6, K = 4;
    const x = distinct([B, 2, 3]);
    const labels = [0, 1, 2, 3, 1, 0];
    for (let seed = 0; seed < 10; seed++) {
      const m = mixup(x, labels, { alpha: 0.4, numClasses: K, rng: g(seed) });
      expect(m.lambda >= 0 && m.lambda <= 1).toBe(true);
      expect(Array.from(m.index).sort()).toEqual([0, 1, 2, 3, 4, 5]);
      expect(m.x.shape).toEqual([B, 2, 3]);
      expect(m.y.shape).toEqual([B, K]);
      const l = m.lambda;
      for (let b = 0; b < B; b++) {
        const j = m.index[b];
        const want = Array.from({ length: 6 }, (_, d) => l * x.data[b * 6 + d] + (1 - l) * x.data[j * 6 + d]);
        expectClose(m.x.data.subarray(b * 6, b * 6 + 6), want, 1e-4);
        const t = new Array<number>(K).fill(0);
        t[labels[b]] += l;
        t[labels[j]] += 1 - l;
        expectClose(m.y.data.subarray(b * K, b * K + K), t, 1e-6);
      }
      expectClose(m.y.sum({ axis: 1 }).data, new Array(B).fill(1), 1e-6);
    }
  });

  it('takes labels as a Tensor or Int32Array, or [B, K] soft targets', () => {
    const x = distinct([3, 2]);
    const a = mixup(x, tensor([0, 2, 1]), { numClasses: 3, rng: g(1) });
    const b = mixup(x, Int32Array.from([0, 2, 1]), { numClasses: 3, rng: g(1) });
    const c = mixup(x, tensor([[1, 0, 0], [0, 0, 1], [0, 1, 0]]), { rng: g(1) });
    expect(Array.from(b.y.data)).toEqual(Array.from(a.y.data));
    expect(Array.from(c.y.data)).toEqual(Array.from(a.y.data));
    expect(Array.from(c.x.data)).toEqual(Array.from(a.x.data));
  });

  it('alpha = 0 means no mixing: λ = 1 and x unchanged', () => {
    const x = distinct([4, 3]);
    const m = mixup(x, [0, 1, 0, 1], { alpha: 0, numClasses: 2, rng: g(2) });
    expect(m.lambda).toBe(1);
    expect(Array.from(m.x.data)).toEqual(Array.from(x.data));
    expect(m.y.tolist()).toEqual([[1, 0], [0, 1], [1, 0], [0, 1]]);
  });

  it('λ follows Beta(α, α): mean 1/2, variance 1/(4(2α + 1))', () => {
    const x = zeros([2, 1]);
    const rng = g(3);
    const lam: number[] = [];
    for (let i = 0; i < 20000; i++) lam.push(mixup(x, [0, 1], { alpha: 0.2, numClasses: 2, rng }).lambda);
    const s = stats(lam);
    expect(Math.abs(s.mean - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(s.variance / (1 / (4 * 1.4)) - 1)).toBeLessThan(0.05);
  });

  it('rejects bad inputs with typed errors', () => {
    const x = zeros([3, 2]);
    expectErr(() => mixup(x, [0, 1, 2]), ArgumentError, /numClasses is required/);
    expectErr(() => mixup(x, [0, 1, 3], { numClasses: 3 }), ArgumentError, /y\[2\] = 3 is not a class index in \[0, 2\]/);
    expectErr(() => mixup(x, [0, 1], { numClasses: 3 }), ShapeError, /x \[3, 2\] and y \[2\] differ in batch size/);
    expectErr(() => mixup(x, [0, 1, 0.5], { numClasses: 3 }), ArgumentError, /y\[2\] = 0.5/);
    expectErr(() => mixup(x, [0, 1, 2], { alpha: -1, numClasses: 3 }), ArgumentError, /alpha/);
    expectErr(() => mixup(x, zeros([3, 4]), { numClasses: 3 }), ArgumentError, /numClasses = 3 but y \[3, 4\] has 4 columns/);
    expectErr(() => mixup(x, zeros([3, 1, 1])), ShapeError, /class indices \[B\] or targets \[B, K\]/);
  });
});

describe('sampleGamma and sampleBeta', () => {
  it('Gamma(k, θ) has mean kθ and variance kθ² (k below and above 1)', () => {
    for (const [k, theta] of [[0.3, 1], [1, 2], [3.7, 0.5]]) {
      const rng = g(4);
      const v = Array.from({ length: 40000 }, () => sampleGamma(k, { scale: theta, rng }));
      expect(v.every((t) => t >= 0 && Number.isFinite(t))).toBe(true);
      const s = stats(v);
      // std error of the mean: θ√(k/40000).
      expect(Math.abs(s.mean - k * theta)).toBeLessThan(5 * theta * Math.sqrt(k / 40000));
      expect(Math.abs(s.variance / (k * theta * theta) - 1)).toBeLessThan(0.08);
    }
  });

  it('Beta(α, β) has mean α/(α + β) and variance αβ/((α + β)²(α + β + 1))', () => {
    for (const [a, b] of [[2, 5], [0.5, 0.5], [1, 1], [4, 1.5]]) {
      const rng = g(5);
      const v = Array.from({ length: 40000 }, () => sampleBeta(a, b, { rng }));
      expect(v.every((t) => t >= 0 && t <= 1)).toBe(true);
      const s = stats(v);
      const mean = a / (a + b), variance = (a * b) / ((a + b) ** 2 * (a + b + 1));
      expect(Math.abs(s.mean - mean)).toBeLessThan(5 * Math.sqrt(variance / 40000));
      expect(Math.abs(s.variance / variance - 1)).toBeLessThan(0.05);
    }
  });

  it('tiny shapes stay finite in [0, 1] (log-space ratio, no 0/0)', () => {
    const rng = g(6);
    const v = Array.from({ length: 5000 }, () => sampleBeta(0.01, 0.01, { rng }));
    expect(v.every((t) => t >= 0 && t <= 1)).toBe(true);
    // Beta(0.01, 0.01) puts almost all mass near 0 and 1, half on each side.
    expect(Math.abs(stats(v).mean - 0.5)).toBeLessThan(0.05);
    expect(v.filter((t) => t > 0.01 && t < 0.99).length / 5000).toBeLessThan(0.1);
  });

  it('rejects non-positive parameters', () => {
    expectErr(() => sampleGamma(0), ArgumentError, /sampleGamma: shape/);
    expectErr(() => sampleGamma(1, { scale: -1 }), ArgumentError, /scale/);
    expectErr(() => sampleBeta(1, 0), ArgumentError, /sampleBeta: beta/);
    expectErr(() => sampleBeta(NaN, 1), ArgumentError, /alpha/);
  });
});
