import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ArgumentError, Generator, ShapeError, Tensor, conv2d, noGrad, randn } from '../../src/tensor/index';
import { Conv2d, Sequential } from '../../src/nn/index';
import { MinMaxObserver, QuantizedConv2d } from '../../src/compress/index';
import { im2rowU8, im2rowU8Naive } from '../../src/tensor/kernels/int8';
import { js, useKernels, wasm, type Kernels } from '../../src/tensor/kernels/backend';
import { simdSupported } from '../../src/tensor/kernels/wasm/index';
import { memoryBytes } from '../../src/tensor/kernels/wasm/memory';
import { loadModel, saveModel } from '../../src/io/index';

interface ConvCase {
  inChannels: number; outChannels: number; kernelSize: [number, number]; stride: number | [number, number];
  padding: number | [number, number]; dilation: number; groups: number; bias: boolean; perChannel: boolean; relu: boolean;
  weight: number[]; biasValues: number[] | null; qweight: number[]; weightScales: number[];
  inputScale: number; inputZeroPoint: number; scale: number; zeroPoint: number;
  xShape: number[]; x: number[]; qx: number[]; yShape: number[]; qy: number[];
}
const fx = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/static.json'), 'utf8')) as { engine: string; conv: ConvCase[] };

function convFrom(c: ConvCase): Conv2d {
  const conv = new Conv2d(c.inChannels, c.outChannels, c.kernelSize, { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups, bias: c.bias });
  conv.weight.data.set(c.weight);
  if (c.biasValues !== null) conv.bias!.data.set(c.biasValues);
  return conv;
}

/** The output integers of a static layer: its float outputs lie on the grid (q − z)·s. */
const intsOf = (y: Tensor, s: number, z: number): number[] => Array.from(y.data, (v) => Math.round(v / s) + z);

const BACKENDS: [string, Kernels][] = [['js', js], ...(simdSupported() ? [['wasm', wasm] as [string, Kernels]] : [])];

describe(`QuantizedConv2d matches PyTorch 1.13 (${fx.engine} engine)`, () => {
  for (const [name, table] of BACKENDS) {
    it.each(fx.conv.map((c) => [`${name}: ${c.inChannels}→${c.outChannels} k${c.kernelSize} s${c.stride} p${c.padding} d${c.dilation} g${c.groups}${c.perChannel ? ' per channel' : ''}${c.relu ? ' relu' : ''}`, c] as const))('%s', (_, c) => {
      const previous = useKernels(table);
      try {
        const weightObserver = c.perChannel ? undefined : new MinMaxObserver({ dtype: 'qint8', qscheme: 'perTensorSymmetric' });
        const q = QuantizedConv2d.fromFloat(convFrom(c), { inputScale: c.inputScale, inputZeroPoint: c.inputZeroPoint, scale: c.scale, zeroPoint: c.zeroPoint }, { weightObserver, relu: c.relu });
        // Weights and scales: PyTorch's exactly.
        expect(Array.from(q.weight.data)).toEqual(c.qweight);
        expect(Array.from(q.weightScale.data)).toEqual(c.weightScales.map(Math.fround));
        const y = q.forward(new Tensor(Float32Array.from(c.x), c.xShape));
        expect(y.shape).toEqual(c.yShape);
        // Output integers: qnnpack's exactly (bias in int32 at sₓ·s_w, float32 requantization, ties to even).
        expect(intsOf(y, c.scale, c.zeroPoint)).toEqual(c.qy);
      } finally {
        useKernels(previous);
      }
    });
  }

  it('pads with the input zero point: a zero image gives exactly the requantized bias', () => {
    // Padded taps read zₓ, which stands for 0, so the border sees only the bias, as the centre does.
    const conv = new Conv2d(1, 1, 3, { padding: 1 });
    conv.weight.data.fill(0.5);
    conv.bias!.data[0] = 0.3;
    const q = QuantizedConv2d.fromFloat(conv, { inputScale: 0.1, inputZeroPoint: 200, scale: 0.01, zeroPoint: 10 });
    const y = q.forward(new Tensor(new Float32Array(16), [1, 1, 4, 4]));
    expect(new Set(Array.from(y.data).map((v) => Math.round(v * 1000)))).toEqual(new Set([300]));
  });
});

describe('im2rowU8', () => {
  it('equals its naive twin on random geometries (size-1 dims, padding, strides, dilation)', () => {
    fc.assert(fc.property(fc.record({
      C: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 1, max: 7 }), W: fc.integer({ min: 1, max: 7 }),
      KH: fc.integer({ min: 1, max: 3 }), KW: fc.integer({ min: 1, max: 3 }), SH: fc.integer({ min: 1, max: 3 }), SW: fc.integer({ min: 1, max: 3 }),
      PH: fc.integer({ min: 0, max: 2 }), PW: fc.integer({ min: 0, max: 2 }), DH: fc.integer({ min: 1, max: 2 }), DW: fc.integer({ min: 1, max: 2 }),
      pad: fc.integer({ min: 0, max: 255 }), off: fc.integer({ min: 0, max: 3 }), seed: fc.integer({ min: 0, max: 1000 }),
    }), (r) => {
      const ekh = r.DH * (r.KH - 1) + 1, ekw = r.DW * (r.KW - 1) + 1;
      if (r.H + 2 * r.PH < ekh || r.W + 2 * r.PW < ekw) return;
      const OH = Math.floor((r.H + 2 * r.PH - ekh) / r.SH) + 1, OW = Math.floor((r.W + 2 * r.PW - ekw) / r.SW) + 1;
      const g = { C: r.C, H: r.H, W: r.W, KH: r.KH, KW: r.KW, OH, OW, SH: r.SH, SW: r.SW, PH: r.PH, PW: r.PW, DH: r.DH, DW: r.DW };
      const rng = new Generator(r.seed);
      const x = Uint8Array.from({ length: r.off + r.C * r.H * r.W }, () => Math.floor(rng.uniform() * 256));
      const n = r.off + OH * OW * r.C * r.KH * r.KW;
      const a = new Uint8Array(n + 2).fill(7), b = new Uint8Array(n + 2).fill(7);
      im2rowU8(a, r.off, x, r.off, r.pad, g);
      im2rowU8Naive(b, r.off, x, r.off, r.pad, g);
      expect(Array.from(a)).toEqual(Array.from(b));
    }), { numRuns: 200 });
  });
});

describe('QuantizedConv2d', () => {
  it('stays within the quantization error of the float convolution', () => {
    const rng = new Generator(3);
    const conv = new Conv2d(3, 8, 3, { padding: 1, stride: 2, rng });
    const x = randn([2, 3, 9, 9], { rng });
    const yf = noGrad(() => conv.forward(x));
    let lo = Infinity, hi = -Infinity;
    for (const v of yf.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const so = (hi - Math.min(lo, 0)) / 255;
    const q = QuantizedConv2d.fromFloat(conv, { inputScale: 8 / 255, inputZeroPoint: 128, scale: so, zeroPoint: Math.round(-Math.min(lo, 0) / so) });
    const y = q.forward(x);
    const err = Math.max(...Array.from(y.data, (v, i) => Math.abs(v - yf.data[i])));
    expect(err).toBeLessThan(4 * so);
    expect(err).toBeGreaterThan(0);
  });

  it.each(BACKENDS)('on the %s backend, loading new weights into a layer that has run changes its outputs to the new layer\'s', (_, table) => {
    // The wasm kernel caches the packed weights per layer; loadStateDict must invalidate them.
    const previous = useKernels(table);
    try {
      const rng = new Generator(6);
      const grids = { inputScale: 0.02, inputZeroPoint: 128, scale: 0.03, zeroPoint: 100 };
      const a = QuantizedConv2d.fromFloat(new Conv2d(8, 8, 3, { padding: 1, rng }), grids);
      const b = QuantizedConv2d.fromFloat(new Conv2d(8, 8, 3, { padding: 1, rng }), grids);
      const x = randn([2, 8, 6, 6], { rng });
      const before = Array.from(a.forward(x).data), want = Array.from(b.forward(x).data);
      expect(before).not.toEqual(want);
      a.loadStateDict(b.stateDict());
      expect(Array.from(a.forward(x).data)).toEqual(want);
    } finally {
      useKernels(previous);
    }
  });

  it.runIf(simdSupported())('on the wasm backend, 1000 forward passes leave the wasm memory the size the first one made it', () => {
    const previous = useKernels(wasm);
    try {
      const rng = new Generator(7);
      const x = randn([1, 16, 8, 8], { rng });
      const grids = { inputScale: 0.02, inputZeroPoint: 128, scale: 0.03, zeroPoint: 100 };
      QuantizedConv2d.fromFloat(new Conv2d(16, 16, 3, { padding: 1, rng }), grids).forward(x);
      const bytes = memoryBytes();
      // A new layer (new packed weights) every call: nothing of theirs stays in the memory.
      for (let i = 0; i < 1000; i++) QuantizedConv2d.fromFloat(new Conv2d(16, 16, 3, { padding: 1, rng }), grids).forward(x);
      expect(memoryBytes()).toBe(bytes);
    } finally {
      useKernels(previous);
    }
  });

  it('an unbatched input gives the batched result without the batch axis', () => {
    const rng = new Generator(4);
    const q = QuantizedConv2d.fromFloat(new Conv2d(2, 4, 3, { rng }), { inputScale: 0.02, inputZeroPoint: 128, scale: 0.02, zeroPoint: 128 });
    const x = randn([2, 5, 5], { rng });
    const y1 = q.forward(x), y4 = q.forward(x.reshape([1, 2, 5, 5]));
    expect(y1.shape).toEqual([4, 3, 3]);
    expect(Array.from(y1.data)).toEqual(Array.from(y4.data));
  });

  it('saves and loads with int8 weights, giving identical outputs', () => {
    const rng = new Generator(5);
    const q = QuantizedConv2d.fromFloat(new Conv2d(2, 4, 3, { padding: 'same', rng }), { inputScale: 0.02, inputZeroPoint: 128, scale: 0.03, zeroPoint: 0 }, { relu: true });
    const net = new Sequential(q);
    const bytes = saveModel(net);
    const back = loadModel<Sequential>(bytes).model;
    expect(back[0]).toBeInstanceOf(QuantizedConv2d);
    expect((back[0] as QuantizedConv2d).weight.dtype).toBe('I8');
    const x = randn([1, 2, 6, 6], { rng });
    expect(Array.from(back.forward(x).data)).toEqual(Array.from(net.forward(x).data));
    expect(Math.min(...Array.from(net.forward(x).data))).toBe(0);
  });

  it('gives typed errors for bad input', () => {
    const conv = new Conv2d(2, 4, 3);
    const p = { inputScale: 0.1, inputZeroPoint: 0, scale: 0.1, zeroPoint: 0 };
    const q = QuantizedConv2d.fromFloat(conv, p);
    expect(() => q.forward(randn([1, 3, 5, 5]))).toThrow(ShapeError);
    expect(() => q.forward(randn([1, 2, 2, 2]))).toThrow(/larger than the padded input/);
    expect(() => q.forward(new Tensor(Float32Array.of(NaN, ...new Float32Array(49)), [1, 2, 5, 5]))).toThrow(/holds NaN/);
    expect(() => QuantizedConv2d.fromFloat(conv, { ...p, zeroPoint: 300 })).toThrow(ArgumentError);
    expect(() => QuantizedConv2d.fromFloat(conv, { ...p, scale: 0 })).toThrow(ArgumentError);
    expect(() => QuantizedConv2d.fromFloat(conv, { inputScale: 0.1 } as never)).toThrow(/need inputZeroPoint/);
    const bad = new Conv2d(1, 1, 1);
    bad.weight.data[0] = NaN;
    expect(() => QuantizedConv2d.fromFloat(bad, p)).toThrow(/only finite weights/);
    expect(() => QuantizedConv2d.fromFloat(conv, p, { weightObserver: new MinMaxObserver() })).toThrow(/qint8/);
    expect(() => new QuantizedConv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, groups: 2 })).toThrow(/groups 2 must divide/);
    expect(() => q.forward(conv2d as never)).toThrow(ArgumentError);
  });
});
