import { describe, expect, it } from 'vitest';
import { makeDetection } from '../../src/data/index';
import { ArgumentError, Generator } from '../../src/tensor/index';
import { expectThrows } from '../helpers/check';

describe('makeDetection', () => {
  it('gives the same data for the same seed and different data for another', () => {
    const a = makeDetection({ nSamples: 5, rng: new Generator(7) }), b = makeDetection({ nSamples: 5, rng: new Generator(7) });
    expect(Array.from(a.images.data)).toEqual(Array.from(b.images.data));
    expect(a.boxes).toEqual(b.boxes);
    expect(a.labels).toEqual(b.labels);
    expect(makeDetection({ nSamples: 5, rng: new Generator(8) }).boxes).not.toEqual(a.boxes);
  });

  it('puts 1..maxObjects separated objects per image, boxes inside the image, sides within objectSize', () => {
    const S = 40;
    const d = makeDetection({ nSamples: 100, size: S, maxObjects: 4, objectSize: [0.1, 0.3], channels: 3, rng: new Generator(1) });
    expect(d.images.shape).toEqual([100, 3, S, S]);
    expect(d.classNames).toEqual(['rectangle', 'ellipse', 'triangle']);
    const counts = new Set<number>(), seen = new Set<number>();
    d.boxes.forEach((bs, n) => {
      expect(bs.length).toBe(d.labels[n].length);
      counts.add(bs.length);
      bs.forEach((b, k) => {
        seen.add(d.labels[n][k]);
        expect(b[0]).toBeGreaterThanOrEqual(0);
        expect(b[1]).toBeGreaterThanOrEqual(0);
        expect(b[2]).toBeLessThanOrEqual(S);
        expect(b[3]).toBeLessThanOrEqual(S);
        for (const side of [b[2] - b[0], b[3] - b[1]]) {
          expect(side).toBeGreaterThanOrEqual(0.1 * S - 1e-9);
          expect(side).toBeLessThanOrEqual(0.3 * S + 1e-9);
        }
        for (let q = 0; q < k; q++) {
          const o = bs[q];
          expect(b[2] < o[0] || o[2] < b[0] || b[3] < o[1] || o[3] < b[1], `image ${n}: boxes ${k} and ${q} overlap`).toBe(true);
        }
      });
    });
    expect([...counts].sort()).toEqual([1, 2, 3, 4]);
    expect([...seen].sort()).toEqual([0, 1, 2]);
    expect(d.images.data.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('draws each class as its shape: fully covered fraction of the box ≈ 1, π/4, 1/2', () => {
    // Without clutter and noise an object's fully covered pixels all hold its colour exactly,
    // which the box centre pixel always is; the fraction of the box at that value orders the
    // classes as their areas do (rectangle 1 > ellipse π/4 > triangle 1/2, less the partial edges).
    const S = 48;
    const d = makeDetection({ nSamples: 80, size: S, maxObjects: 2, objectSize: [0.25, 0.45], clutter: 0, noise: 0, rng: new Generator(2) });
    const sum = [0, 0, 0], cnt = [0, 0, 0];
    d.boxes.forEach((bs, n) => bs.forEach((b, k) => {
      const img = d.images.data.subarray(n * S * S, (n + 1) * S * S);
      const v0 = img[Math.floor((b[1] + b[3]) / 2) * S + Math.floor((b[0] + b[2]) / 2)];
      let full = 0;
      for (let i = Math.floor(b[1]); i < Math.ceil(b[3]); i++) for (let j = Math.floor(b[0]); j < Math.ceil(b[2]); j++) if (img[i * S + j] === v0) full++;
      sum[d.labels[n][k]] += full / ((b[2] - b[0]) * (b[3] - b[1]));
      cnt[d.labels[n][k]]++;
    }));
    const [rect, ell, tri] = sum.map((s, c) => s / cnt[c]);
    expect(rect).toBeGreaterThan(0.75);
    expect(ell).toBeGreaterThan(0.55);
    expect(ell).toBeLessThan(Math.PI / 4);
    expect(tri).toBeGreaterThan(0.3);
    expect(tri).toBeLessThan(0.5);
    expect(rect).toBeGreaterThan(ell + 0.1);
    expect(ell).toBeGreaterThan(tri + 0.1);
  });

  it('clutters the background: lines and blobs change pixels outside every box', () => {
    const plain = makeDetection({ nSamples: 20, clutter: 0, noise: 0, rng: new Generator(3) });
    const busy = makeDetection({ nSamples: 20, clutter: 6, noise: 0, rng: new Generator(3) });
    // Background variation outside the boxes: a gradient alone changes little between neighbours.
    const roughness = (d: typeof plain) => {
      let acc = 0;
      const x = d.images.data;
      for (let p = 0; p + 1 < x.length; p++) acc += Math.abs(x[p + 1] - x[p]);
      return acc / x.length;
    };
    expect(roughness(busy)).toBeGreaterThan(1.3 * roughness(plain));
  });

  it('refuses bad options', () => {
    expectThrows(() => makeDetection({ size: 8 }), ArgumentError, 'makeDetection: size');
    expectThrows(() => makeDetection({ classes: ['square' as 'rectangle'] }), ArgumentError, "makeDetection: classes[0] must be one of 'rectangle', 'ellipse', 'triangle'");
    expectThrows(() => makeDetection({ classes: ['ellipse', 'ellipse'] }), ArgumentError, 'makeDetection: class "ellipse" is listed twice');
    expectThrows(() => makeDetection({ channels: 2 as 1 }), ArgumentError, 'makeDetection: channels must be 1 or 3, got 2');
    expectThrows(() => makeDetection({ objectSize: [0.4, 0.2] }), ArgumentError, 'makeDetection: objectSize must have low ≤ high');
    expectThrows(() => makeDetection({ maxObject: 2 } as never), ArgumentError, 'maxObjects');
  });
});
