import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, ShapeError, Tensor, add, arange, mul, ones, tensor, zeros } from '../../src/tensor/index';
import * as K from '../../src/tensor/kernels/pool';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d, type AvgPool2dOptions, type MaxPool2dOptions, type Size2 } from '../../src/tensor/ops/pool';
import { expectClose, expectGrad, randDistinct, randT } from '../helpers/check';

/** A window geometry that fits the image: padding ≤ half the kernel, dilated kernel ≤ padded input. */
const geomArb = fc
  .record({
    B: fc.integer({ min: 0, max: 2 }),
    C: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 9 }),
    W: fc.integer({ min: 1, max: 9 }),
    kH: fc.integer({ min: 1, max: 4 }),
    kW: fc.integer({ min: 1, max: 4 }),
    sH: fc.integer({ min: 1, max: 5 }),
    sW: fc.integer({ min: 1, max: 5 }),
    dH: fc.integer({ min: 1, max: 3 }),
    dW: fc.integer({ min: 1, max: 3 }),
    pHf: fc.double({ min: 0, max: 1, noNaN: true }),
    pWf: fc.double({ min: 0, max: 1, noNaN: true }),
    seed: fc.integer(),
  })
  .map(({ pHf, pWf, ...g }) => ({
    ...g,
    pH: Math.floor(pHf * (Math.floor(g.kH / 2) + 0.999)),
    pW: Math.floor(pWf * (Math.floor(g.kW / 2) + 0.999)),
  }))
  .filter((g) => g.dH * (g.kH - 1) + 1 <= g.H + 2 * g.pH && g.dW * (g.kW - 1) + 1 <= g.W + 2 * g.pW)
  .map((g) => ({
    ...g,
    OH: Math.floor((g.H + 2 * g.pH - g.dH * (g.kH - 1) - 1) / g.sH) + 1,
    OW: Math.floor((g.W + 2 * g.pW - g.dW * (g.kW - 1) - 1) / g.sW) + 1,
  }));

/** Small integers (many ties), with the odd NaN and −Inf, so the tie and NaN rules are exercised. */
function tieInput(n: number, rng: Generator): Float32Array {
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.random();
    d[i] = u < 0.03 ? NaN : u < 0.06 ? -Infinity : Math.floor(rng.random() * 5) - 2;
  }
  return d;
}

function randData(n: number, rng: Generator): Float32Array {
  return rng.fillNormal(new Float32Array(n));
}

describe('pool kernels against their naive twins', () => {
  it('maxPool2d forward (values and argmax) and backward, with ties, NaN and −Inf', () => {
    fc.assert(
      fc.property(geomArb, (g) => {
        const rng = new Generator(g.seed);
        const { B, C, H, W, OH, OW } = g;
        const inp = tieInput(B * C * H * W, rng);
        const out = new Float32Array(B * C * OH * OW), outN = out.slice();
        const arg = new Int32Array(out.length).fill(-7), argN = arg.slice();
        K.maxPool2dForward(out, arg, inp, g, B, C, H, W, OH, OW);
        K.maxPool2dForwardNaive(outN, argN, inp, g, B, C, H, W, OH, OW);
        expect(Array.from(out)).toEqual(Array.from(outN));
        expect(Array.from(arg)).toEqual(Array.from(argN));
        // Backward accumulates: both start from the same non-zero buffer.
        const dout = randData(out.length, rng);
        const dinp = randData(inp.length, rng), dinpN = dinp.slice();
        K.maxPool2dBackward(dinp, dout, arg, B, C, H, W, OH, OW);
        K.maxPool2dBackwardNaive(dinpN, dout, inp, g, B, C, H, W, OH, OW);
        expect(Array.from(dinp)).toEqual(Array.from(dinpN));
      }),
      { numRuns: 150 },
    );
  });

  it('avgPool2d forward and backward, with and without countIncludePad', () => {
    fc.assert(
      fc.property(geomArb, fc.boolean(), (g0, cip) => {
        const g = { ...g0, dH: 1, dW: 1 };
        const { B, C, H, W } = g;
        if (g.kH > H + 2 * g.pH || g.kW > W + 2 * g.pW) return;
        const OH = Math.floor((H + 2 * g.pH - g.kH) / g.sH) + 1, OW = Math.floor((W + 2 * g.pW - g.kW) / g.sW) + 1;
        const rng = new Generator(g.seed);
        const inp = randData(B * C * H * W, rng);
        const out = new Float32Array(B * C * OH * OW).fill(9), outN = out.slice();
        K.avgPool2dForward(out, inp, g, cip, B, C, H, W, OH, OW);
        K.avgPool2dForwardNaive(outN, inp, g, cip, B, C, H, W, OH, OW);
        expectClose(out, outN, 1e-6, 1e-6);
        const dout = randData(out.length, rng);
        const dinp = randData(inp.length, rng), dinpN = dinp.slice();
        K.avgPool2dBackward(dinp, dout, g, cip, B, C, H, W, OH, OW);
        K.avgPool2dBackwardNaive(dinpN, dout, g, cip, B, C, H, W, OH, OW);
        expectClose(dinp, dinpN, 1e-6, 1e-6);
      }),
      { numRuns: 150 },
    );
  });

  it('adaptiveAvgPool2d forward and backward, including OH > H and non-divisible sizes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 13 }), fc.integer(),
        (B, C, H, W, OH, OW, seed) => {
          const rng = new Generator(seed);
          const inp = randData(B * C * H * W, rng);
          const out = new Float32Array(B * C * OH * OW), outN = out.slice();
          K.adaptiveAvgPool2dForward(out, inp, B, C, H, W, OH, OW);
          K.adaptiveAvgPool2dForwardNaive(outN, inp, B, C, H, W, OH, OW);
          expectClose(out, outN, 1e-6, 1e-6);
          const dout = randData(out.length, rng);
          const dinp = randData(inp.length, rng), dinpN = dinp.slice();
          K.adaptiveAvgPool2dBackward(dinp, dout, B, C, H, W, OH, OW);
          K.adaptiveAvgPool2dBackwardNaive(dinpN, dout, B, C, H, W, OH, OW);
          expectClose(dinp, dinpN, 1e-6, 1e-6);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('the op output shape matches the floor formula on random geometries', () => {
    fc.assert(
      fc.property(geomArb, (g) => {
        const x = zeros([g.B, g.C, g.H, g.W]);
        const y = maxPool2d(x, { kernelSize: [g.kH, g.kW], stride: [g.sH, g.sW], padding: [g.pH, g.pW], dilation: [g.dH, g.dW] });
        expect(y.shape).toEqual([g.B, g.C, g.OH, g.OW]);
      }),
      { numRuns: 50 },
    );
  });
});

describe('maxPool2d', () => {
  it('the documented example', () => {
    expect(maxPool2d(arange(16).reshape([1, 1, 4, 4]), { kernelSize: 2 }).tolist()).toEqual([[[[5, 7], [13, 15]]]]);
  });

  it('padding is −Inf, not 0: an all-negative image keeps its own values at the border', () => {
    // k 2, s 1, p 1 on [[−1, −2], [−3, −4]]: window (i, j) covers rows i−1…i, cols j−1…j.
    const x = tensor([[[[-1, -2], [-3, -4]]]]);
    expect(maxPool2d(x, { kernelSize: 2, stride: 1, padding: 1 }).tolist()).toEqual([[[[-1, -1, -2], [-1, -1, -2], [-3, -3, -4]]]]);
  });

  it('dilation 2 picks taps two apart; stride > kernel skips rows and columns', () => {
    // k 2, d 2, s 1 on the 4×4 ramp: y[i][j] = max(x[i][j], x[i][j+2], x[i+2][j], x[i+2][j+2]) = x[i+2][j+2].
    const x = arange(16).reshape([1, 1, 4, 4]);
    expect(maxPool2d(x, { kernelSize: 2, dilation: 2, stride: 1 }).tolist()).toEqual([[[[10, 11], [14, 15]]]]);
    // k 1, s 3 on a 5×5 ramp reads rows and columns 0 and 3.
    expect(maxPool2d(arange(25).reshape([1, 1, 5, 5]), { kernelSize: 1, stride: 3 }).tolist()).toEqual([[[[0, 3], [15, 18]]]]);
    // Rectangular kernel and stride as pairs.
    expect(maxPool2d(arange(12).reshape([1, 3, 4]), { kernelSize: [3, 2], stride: [1, 2] }).tolist()).toEqual([[[9, 11]]]);
  });

  it('ties: the first maximum in row-major window order gets the whole gradient', () => {
    const x = tensor([[[[7, 7], [7, 7]]]], undefined, { requiresGrad: true });
    maxPool2d(x, { kernelSize: 2 }).backward([3]);
    expect(Array.from(x.grad!)).toEqual([3, 0, 0, 0]);

    const z = tensor([[[[0, 5], [5, 5]]]], undefined, { requiresGrad: true });
    maxPool2d(z, { kernelSize: 2 }).backward([1]);
    expect(Array.from(z.grad!)).toEqual([0, 1, 0, 0]);

    // Overlapping windows [2, 2] and [2, 2] of a row: each picks its own first element.
    const r = tensor([[[[2, 2, 2]]]], undefined, { requiresGrad: true });
    maxPool2d(r, { kernelSize: [1, 2], stride: 1 }).backward([1, 10]);
    expect(Array.from(r.grad!)).toEqual([1, 10, 0]);

    // A tie inside one window across rows: (0, 1) comes before (1, 0) in row-major order.
    const t = tensor([[[[1, 4, 0], [4, 2, 0]]]], undefined, { requiresGrad: true });
    maxPool2d(t, { kernelSize: 2, stride: 1 }).backward([1, 1]);
    expect(Array.from(t.grad!)).toEqual([0, 2, 0, 0, 0, 0]);
  });

  it('overlapping windows that share a maximum accumulate its gradient', () => {
    const x = tensor([[[[1, 5, 2]]]], undefined, { requiresGrad: true });
    const y = maxPool2d(x, { kernelSize: [1, 2], stride: 1 });
    expect(y.toArray()).toEqual([5, 5]);
    y.backward([2, 3]);
    expect(Array.from(x.grad!)).toEqual([0, 5, 0]);
  });

  it('NaN in a window propagates to the output and receives the gradient', () => {
    const x = tensor([[[[1, NaN, 9, 0], [3, 4, 2, 1]]]], undefined, { requiresGrad: true });
    const y = maxPool2d(x, { kernelSize: 2 });
    expect(Number.isNaN(y.data[0])).toBe(true);
    expect(y.data[1]).toBe(9);
    y.backward([1, 1]);
    expect(Array.from(x.grad!)).toEqual([0, 1, 1, 0, 0, 0, 0, 0]);
  });

  it('an all −Inf window outputs −Inf and sends the gradient to its first element', () => {
    const x = tensor([[[[-Infinity, -Infinity], [-Infinity, -Infinity]]]], undefined, { requiresGrad: true });
    const y = maxPool2d(x, { kernelSize: 2 });
    expect(y.toArray()).toEqual([-Infinity]);
    y.backward([1]);
    expect(Array.from(x.grad!)).toEqual([1, 0, 0, 0]);
  });

  it('a dilated window with no tap inside the image gives −Inf and no gradient', () => {
    // k 2, d 3, p 1, s 2 on 2×2: the only window reads rows/cols −1 and 2, both outside.
    const x = tensor([[[[1, 2], [3, 4]]]], undefined, { requiresGrad: true });
    const y = maxPool2d(x, { kernelSize: 2, dilation: 3, padding: 1 });
    expect(y.shape).toEqual([1, 1, 1, 1]);
    expect(y.toArray()).toEqual([-Infinity]);
    y.backward([1]);
    expect(Array.from(x.grad!)).toEqual([0, 0, 0, 0]);
  });

  it('1×1 images, size-1 batch and channels, empty batch, and the unbatched 3-D form', () => {
    expect(maxPool2d(tensor([[[[4]]]]), { kernelSize: 1 }).tolist()).toEqual([[[[4]]]]);
    expect(maxPool2d(zeros([0, 2, 4, 4]), { kernelSize: 2 }).shape).toEqual([0, 2, 2, 2]);
    const x = randT([3, 5, 4], new Generator(1));
    const y3 = maxPool2d(x, { kernelSize: [2, 3], stride: [2, 1], padding: [1, 1] });
    const y4 = maxPool2d(x.reshape([1, 3, 5, 4]), { kernelSize: [2, 3], stride: [2, 1], padding: [1, 1] });
    expect(y3.shape).toEqual([3, 3, 4]);
    expect(y3.toArray()).toEqual(y4.toArray());
  });

  it('gradient checks (distinct values, so no window has a near-tie)', () => {
    const rng = new Generator(2);
    expectGrad((x) => maxPool2d(x, { kernelSize: 2 }), [randDistinct([2, 3, 4, 4], rng)]);
    expectGrad((x) => maxPool2d(x, { kernelSize: 3, stride: 1, padding: 1 }), [randDistinct([1, 2, 5, 5], rng)]);
    expectGrad((x) => maxPool2d(x, { kernelSize: [2, 3], stride: [3, 2], dilation: [2, 1], padding: [1, 0] }), [randDistinct([2, 1, 7, 6], rng)]);
    expectGrad((x) => maxPool2d(x, { kernelSize: 2, stride: 1 }), [randDistinct([3, 4, 5], rng)]);
  });

  it('a tensor used twice accumulates (the backward kernel adds)', () => {
    const x = tensor([[[[1, 2], [3, 4]]]], undefined, { requiresGrad: true });
    add(maxPool2d(x, { kernelSize: 2 }).sum(), mul(maxPool2d(x, { kernelSize: 1 }), 2).sum()).backward();
    expect(Array.from(x.grad!)).toEqual([2, 2, 2, 3]);
  });
});

describe('avgPool2d', () => {
  it('the documented example', () => {
    expect(avgPool2d(arange(16).reshape([1, 1, 4, 4]), { kernelSize: 2 }).tolist()).toEqual([[[[2.5, 4.5], [10.5, 12.5]]]]);
  });

  it('countIncludePad divides by kH·kW (padding counts as zeros); without it by the in-bounds count', () => {
    // Ones, k 2, s 1, p 1: a corner window has 1 of 4 taps inside, an edge one 2, the centre 4.
    const x = ones([1, 1, 2, 2]);
    expect(avgPool2d(x, { kernelSize: 2, stride: 1, padding: 1 }).tolist())
      .toEqual([[[[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]]]]);
    expect(avgPool2d(x, { kernelSize: 2, stride: 1, padding: 1, countIncludePad: false }).tolist())
      .toEqual([[[[1, 1, 1], [1, 1, 1], [1, 1, 1]]]]);
  });

  it('rectangular windows, stride > kernel, and the gradient spread evenly', () => {
    // 3×5 ramp, k [1, 2], s [2, 3]: rows 0 and 2; columns {0, 1} and {3, 4}.
    const x = arange(15).reshape([1, 3, 5]);
    expect(avgPool2d(x, { kernelSize: [1, 2], stride: [2, 3] }).tolist()).toEqual([[[0.5, 3.5], [10.5, 13.5]]]);
    const z = tensor([[[[1, 2, 3]]]], undefined, { requiresGrad: true });
    // k [1, 2], s 1, p [0, 1], countIncludePad false: windows {0}, {0, 1}, {1, 2}, {2} → dx = [1 + 1/2, 1/2 + 1/2, 1/2 + 1].
    avgPool2d(z, { kernelSize: [1, 2], stride: 1, padding: [0, 1], countIncludePad: false }).sum().backward();
    expectClose(z.grad!, [1.5, 1, 1.5]);
  });

  it('unbatched 3-D input equals the batched result', () => {
    const x = randT([2, 5, 3], new Generator(3));
    const opts = { kernelSize: 3, stride: 2, padding: 1 } as const;
    expect(avgPool2d(x, opts).toArray()).toEqual(avgPool2d(x.reshape([1, 2, 5, 3]), opts).toArray());
    expect(avgPool2d(x, opts).shape).toEqual([2, 3, 2]);
  });

  it('gradient checks', () => {
    const rng = new Generator(4);
    expectGrad((x) => avgPool2d(x, { kernelSize: 2 }), [randT([2, 3, 4, 5], rng)]);
    expectGrad((x) => avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }), [randT([1, 2, 5, 6], rng)]);
    expectGrad((x) => avgPool2d(x, { kernelSize: [3, 2], stride: 1, padding: [1, 1], countIncludePad: false }), [randT([2, 1, 4, 3], rng)]);
    expectGrad((x) => avgPool2d(x, { kernelSize: 1, stride: 3 }), [randT([3, 4, 7], rng)]);
  });
});

describe('adaptiveAvgPool2d', () => {
  it('the documented example', () => {
    expect(adaptiveAvgPool2d(arange(16).reshape([1, 1, 4, 4]), [2, 1]).tolist()).toEqual([[[[3.5], [11.5]]]]);
  });

  it('windows [⌊i·W/OW⌋, ⌈(i+1)·W/OW⌉): overlapping when W is not a multiple, repeated when OW > W', () => {
    // W 5 → 3: columns [0, 2), [1, 4), [3, 5) of 0…4 → 0.5, 2, 3.5.
    expect(adaptiveAvgPool2d(arange(5).reshape([1, 1, 1, 5]), [1, 3]).toArray()).toEqual([0.5, 2, 3.5]);
    // W 2 → 3: [0, 1), [0, 2), [1, 2) of [1, 3] → 1, 2, 3.
    expect(adaptiveAvgPool2d(tensor([[[1, 3]]]), [1, 3]).tolist()).toEqual([[[1, 2, 3]]]);
    // outputSize 1 is the global average; same size is the identity.
    expectClose(adaptiveAvgPool2d(arange(24).reshape([2, 3, 2, 2]), 1).toArray(), [1.5, 5.5, 9.5, 13.5, 17.5, 21.5]);
    const x = randT([2, 3, 3], new Generator(5));
    expect(adaptiveAvgPool2d(x, [3, 3]).toArray()).toEqual(x.toArray());
  });

  it('the gradient of an overlapping window counts an element once per window', () => {
    const x = tensor([[[[0, 1, 2, 3, 4]]]], undefined, { requiresGrad: true });
    // Windows {0, 1}, {1, 2, 3}, {3, 4}: dx = [1/2, 1/2 + 1/3, 1/3, 1/3 + 1/2, 1/2].
    adaptiveAvgPool2d(x, [1, 3]).sum().backward();
    expectClose(x.grad!, [0.5, 5 / 6, 1 / 3, 5 / 6, 0.5]);
  });

  it('gradient checks', () => {
    const rng = new Generator(6);
    expectGrad((x) => adaptiveAvgPool2d(x, [3, 2]), [randT([2, 2, 5, 7], rng)]);
    expectGrad((x) => adaptiveAvgPool2d(x, 4), [randT([1, 3, 3, 2], rng)]);
    expectGrad((x) => adaptiveAvgPool2d(x, 1), [randT([4, 3, 3], rng)]);
  });
});

describe('bad inputs name the op, the argument and the input shape', () => {
  it('wrong ndim and empty axes', () => {
    expect(() => maxPool2d(zeros([3, 3]), { kernelSize: 2 })).toThrow(/maxPool2d: x must be 4-D \(B, C, H, W\) or 3-D \(C, H, W\), got \[3, 3\]/);
    expect(() => avgPool2d(zeros([1, 1, 1, 3, 3]), { kernelSize: 2 })).toThrow(ShapeError);
    expect(() => adaptiveAvgPool2d(zeros([4]), 1)).toThrow(/adaptiveAvgPool2d: .*got \[4\]/);
    expect(() => maxPool2d(zeros([1, 0, 3, 3]), { kernelSize: 2 })).toThrow(/maxPool2d: x \[1, 0, 3, 3\] has an empty/);
    expect(() => maxPool2d([1, 2] as unknown as Tensor, { kernelSize: 2 })).toThrow(ArgumentError);
  });

  it('kernel larger than the padded input', () => {
    expect(() => maxPool2d(zeros([2, 1, 3, 3]), { kernelSize: 5 }))
      .toThrow('maxPool2d: kernelSize [5, 5] is larger than the padded input [3, 3] (x [2, 1, 3, 3], padding [0, 0])');
    expect(() => maxPool2d(zeros([1, 4, 4]), { kernelSize: 3, dilation: [1, 3] }))
      .toThrow('maxPool2d: kernelSize [3, 3] with dilation [1, 3] spans [3, 7], larger than the padded input [4, 4] (x [1, 4, 4], padding [0, 0])');
    expect(() => avgPool2d(zeros([1, 1, 2, 8]), { kernelSize: [4, 2], padding: [0, 1] }))
      .toThrow('avgPool2d: kernelSize [4, 2] is larger than the padded input [2, 10] (x [1, 1, 2, 8], padding [0, 1])');
    // Padding makes room: a 5-kernel with padding 1 fits a 3×3 image.
    expect(maxPool2d(zeros([1, 1, 3, 3]), { kernelSize: 5, padding: 1 }).shape).toEqual([1, 1, 1, 1]);
    expect(() => maxPool2d(zeros([1, 1, 2, 2]), { kernelSize: 5, padding: 1 })).toThrow(ShapeError);
  });

  it('non-positive, fractional or malformed sizes, and padding over half the kernel', () => {
    const x = zeros([1, 1, 4, 4]);
    expect(() => maxPool2d(x, { kernelSize: 0 })).toThrow('maxPool2d: kernelSize must be an integer ≥ 1, got 0');
    expect(() => maxPool2d(x, { kernelSize: [2, -1] })).toThrow('maxPool2d: kernelSize[1] must be an integer ≥ 1, got -1');
    expect(() => maxPool2d(x, { kernelSize: 2, stride: 0 })).toThrow('maxPool2d: stride must be an integer ≥ 1, got 0');
    expect(() => maxPool2d(x, { kernelSize: 2, stride: 1.5 })).toThrow(ArgumentError);
    expect(() => maxPool2d(x, { kernelSize: 2, dilation: 0 })).toThrow(/maxPool2d: dilation/);
    expect(() => maxPool2d(x, { kernelSize: 2, padding: -1 })).toThrow('maxPool2d: padding must be an integer ≥ 0, got -1');
    expect(() => maxPool2d(x, { kernelSize: [2, 2, 2] as unknown as [number, number] })).toThrow('maxPool2d: kernelSize must be a number or a pair [h, w], got array(3)');
    expect(() => maxPool2d(x, { kernelSize: NaN })).toThrow(ArgumentError);
    expect(() => maxPool2d(x, { kernelSize: 3, padding: [1, 2] }))
      .toThrow('maxPool2d: padding [1, 2] must be at most half of kernelSize [3, 3] (x [1, 1, 4, 4])');
    expect(() => avgPool2d(x, { kernelSize: 2, padding: 2 })).toThrow(/avgPool2d: padding \[2, 2\] must be at most half/);
    expect(() => avgPool2d(x, { kernelSize: 2, countIncludePad: 1 as unknown as boolean })).toThrow(/countIncludePad must be a boolean/);
    expect(() => maxPool2d(x, undefined as unknown as { kernelSize: 2 })).toThrow('maxPool2d: options must be an object with kernelSize (or the kernel size itself), got undefined');
    expect(() => avgPool2d(x, {} as { kernelSize: 2 })).toThrow('avgPool2d: kernelSize is required (x [1, 1, 4, 4])');
  });

  it('adaptive output size must be positive', () => {
    const x = zeros([1, 1, 4, 4]);
    expect(() => adaptiveAvgPool2d(x, 0)).toThrow('adaptiveAvgPool2d: outputSize must be an integer ≥ 1, got 0');
    expect(() => adaptiveAvgPool2d(x, [2, 0])).toThrow(ArgumentError);
    expect(() => adaptiveAvgPool2d(x, [2] as unknown as [number, number])).toThrow(ArgumentError);
  });
});

interface PoolCase {
  op: 'maxPool2d' | 'avgPool2d' | 'adaptiveAvgPool2d';
  params: Record<string, unknown>;
  inputShape: number[];
  input: number[];
  outputShape: number[];
  output: number[];
  upstream: number[];
  grad: number[];
}

describe('PyTorch fixture (test/fixtures/gen_pool.py)', () => {
  const fixture = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/pool.json'), 'utf8')) as { cases: PoolCase[] };

  it('has cases for all three ops', () => {
    expect(new Set(fixture.cases.map((c) => c.op))).toEqual(new Set(['maxPool2d', 'avgPool2d', 'adaptiveAvgPool2d']));
  });

  for (const [i, c] of fixture.cases.entries()) {
    it(`case ${i}: ${c.op} ${JSON.stringify(c.params)} on [${c.inputShape.join(', ')}]: output and input gradient`, () => {
      const x = tensor(c.input, c.inputShape, { requiresGrad: true });
      const y = c.op === 'maxPool2d' ? maxPool2d(x, c.params as unknown as MaxPool2dOptions)
        : c.op === 'avgPool2d' ? avgPool2d(x, c.params as unknown as AvgPool2dOptions)
          : adaptiveAvgPool2d(x, c.params.outputSize as Size2);
      expect(y.shape).toEqual(c.outputShape);
      expectClose(y.data, c.output, 1e-5, 1e-5);
      y.backward(c.upstream);
      expectClose(x.grad!, c.grad, 1e-5, 1e-5);
    });
  }
});

describe('pool options are checked', () => {
  const x = zeros([1, 1, 4, 4]);
  it('unknown keys and wrong types throw', () => {
    expect(() => maxPool2d(x, { kernel_size: 2 } as never)).toThrow("maxPool2d: unknown option 'kernel_size' (did you mean 'kernelSize'?); maxPool2d takes kernelSize, stride, padding, dilation");
    expect(() => maxPool2d(x, { kernelSize: 2, ceilMode: true } as never)).toThrow("maxPool2d: unknown option 'ceilMode'");
    expect(() => avgPool2d(x, { kernelSize: 2, countIncludePad: 'no' } as never)).toThrow('avgPool2d: countIncludePad must be a boolean, got "no"');
    expect(() => adaptiveAvgPool2d(x, [2, 1.5] as never)).toThrow('adaptiveAvgPool2d: outputSize[1] must be an integer ≥ 1, got 1.5');
  });
});
