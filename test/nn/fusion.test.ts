import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { conv2dForward, type ConvGeom } from '../../src/tensor/kernels/conv';
import { maxPool2dBackward, maxPool2dForward } from '../../src/tensor/kernels/pool';
import { reluBackward, reluForward } from '../../src/tensor/kernels/unary';
import { convStaging, wasmConv2dBackward, wasmConv2dForward, wasmConv2dReluPoolBackward } from '../../src/tensor/kernels/wasm/conv';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../../src/nn/index';
import { CNN } from '../../src/models/index';
import { Generator, Tensor, mul, noGrad, randn, setDebug } from '../../src/tensor/index';
import { trace } from '../../src/tensor/trace';
import { seededUniform as rand } from '../helpers/check';

// A Conv2d followed by a ReLU runs as one op under noGrad (the ReLU taken in the convolution
// kernel), and with a MaxPool2d(2) after them as one op of the three (the pool taken in the kernel
// too). The fused result must be the unfused one bit for bit, and fusion must never hide the
// steps between the layers from a gradient, a trace, a numeric check, a hook or a subclass.

const KERNELS = { js: conv2dForward, wasm: wasmConv2dForward };

describe('conv2dForward with a fused ReLU equals reluForward of the unfused output bit for bit', () => {
  for (const [name, conv] of Object.entries(KERNELS)) {
    it(`${name} kernel: random geometries (ragged sizes, groups, the small shapes the wasm backend sends to JS)`, () => {
      const arb = fc.record({
        B: fc.constantFrom(1, 2, 3), G: fc.integer({ min: 1, max: 2 }), Cg: fc.constantFrom(1, 3, 5),
        OCg: fc.constantFrom(1, 3, 4, 5, 8, 17), H: fc.constantFrom(1, 3, 5, 12, 17), W: fc.constantFrom(1, 3, 5, 12, 17),
        K: fc.integer({ min: 1, max: 3 }), P: fc.integer({ min: 0, max: 1 }), bias: fc.boolean(), seed: fc.integer({ min: 0, max: 1e9 }),
      });
      fc.assert(fc.property(arb, (c) => {
        const OH = c.H + 2 * c.P - c.K + 1, OW = c.W + 2 * c.P - c.K + 1;
        if (OH < 1 || OW < 1) return;
        const g: ConvGeom = { C: c.Cg, H: c.H, W: c.W, KH: c.K, KW: c.K, OH, OW, SH: 1, SW: 1, PH: c.P, PW: c.P, DH: 1, DW: 1 };
        const OC = c.OCg * c.G, n = c.B * OC * OH * OW;
        const x = rand(c.B * c.G * c.Cg * c.H * c.W, c.seed), w = rand(OC * c.Cg * c.K * c.K, c.seed + 1);
        const bias = c.bias ? rand(OC, c.seed + 2) : null;
        const fused = new Float32Array(n), plain = new Float32Array(n);
        conv(fused, x, w, bias, c.B, OC, c.G, g, false, true);
        conv(plain, x, w, bias, c.B, OC, c.G, g);
        reluForward(plain, plain, n);
        expect(Array.from(fused)).toEqual(Array.from(plain));
      }), { numRuns: 60 });
    });
  }

  it('wasm kernel: a batch staged in chunks, and an output large enough to split the ReLU over threads', () => {
    const g: ConvGeom = { C: 8, H: 14, W: 14, KH: 3, KW: 3, OH: 14, OW: 14, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1 };
    const B = 21, OC = 16, n = B * OC * 196; // n past RELU_PARALLEL_MIN (2¹⁶) in one piece
    const x = rand(B * 8 * 196, 1), w = rand(OC * 8 * 9, 2), bias = rand(OC, 3);
    const fused = new Float32Array(n), plain = new Float32Array(n), whole = new Float32Array(n);
    wasmConv2dForward(whole, x, w, bias, B, OC, 1, g, false, true);
    const saved = convStaging.maxFloats;
    try {
      convStaging.maxFloats = 3 * (8 + 16) * 196; // three images per chunk
      wasmConv2dForward(fused, x, w, bias, B, OC, 1, g, false, true);
      wasmConv2dForward(plain, x, w, bias, B, OC, 1, g);
    } finally {
      convStaging.maxFloats = saved;
    }
    reluForward(plain, plain, n);
    let same = 0;
    for (let i = 0; i < n; i++) if (Object.is(fused[i], plain[i]) && Object.is(whole[i], plain[i])) same++;
    expect(same).toBe(n);
  });
});

const HALVING = { kH: 2, kW: 2, sH: 2, sW: 2, pH: 0, pW: 0, dH: 1, dW: 1 };

/** The unfused reference of a pooled kernel call: conv, reluForward, then the JS maxPool2dForward. */
function pooledReference(conv: typeof conv2dForward, x: Float32Array, w: Float32Array, bias: Float32Array | null, B: number, OC: number, G: number, g: ConvGeom): Float32Array {
  const y = new Float32Array(B * OC * g.OH * g.OW);
  conv(y, x, w, bias, B, OC, G, g);
  reluForward(y, y, y.length);
  const out = new Float32Array(B * OC * (g.OH >> 1) * (g.OW >> 1));
  maxPool2dForward(out, new Int32Array(out.length), y, HALVING, B, OC, g.OH, g.OW, g.OH >> 1, g.OW >> 1);
  return out;
}

describe('conv2dForward with a fused ReLU and 2×2 max pool equals the three kernels bit for bit', () => {
  for (const [name, conv] of Object.entries(KERNELS)) {
    it(`${name} kernel: random geometries (odd and tiny outputs, strides, groups, NaN inputs)`, () => {
      const arb = fc.record({
        B: fc.constantFrom(1, 2, 3), G: fc.integer({ min: 1, max: 2 }), Cg: fc.constantFrom(1, 3, 5),
        OCg: fc.constantFrom(1, 3, 4, 8, 17), H: fc.constantFrom(1, 2, 3, 5, 12, 17), W: fc.constantFrom(1, 2, 3, 5, 12, 17),
        K: fc.integer({ min: 1, max: 3 }), P: fc.integer({ min: 0, max: 1 }), S: fc.integer({ min: 1, max: 2 }),
        bias: fc.boolean(), nan: fc.boolean(), seed: fc.integer({ min: 0, max: 1e9 }),
      });
      fc.assert(fc.property(arb, (c) => {
        const OH = Math.floor((c.H + 2 * c.P - c.K) / c.S) + 1, OW = Math.floor((c.W + 2 * c.P - c.K) / c.S) + 1;
        if (OH < 1 || OW < 1) return;
        const g: ConvGeom = { C: c.Cg, H: c.H, W: c.W, KH: c.K, KW: c.K, OH, OW, SH: c.S, SW: c.S, PH: c.P, PW: c.P, DH: 1, DW: 1 };
        const OC = c.OCg * c.G;
        const x = rand(c.B * c.G * c.Cg * c.H * c.W, c.seed), w = rand(OC * c.Cg * c.K * c.K, c.seed + 1);
        if (c.nan) x[c.seed % x.length] = NaN;
        const bias = c.bias ? rand(OC, c.seed + 2) : null;
        const fused = new Float32Array(c.B * OC * (OH >> 1) * (OW >> 1)).fill(7);
        conv(fused, x, w, bias, c.B, OC, c.G, g, false, true, true);
        expect(Array.from(fused)).toEqual(Array.from(pooledReference(conv, x, w, bias, c.B, OC, c.G, g)));
      }), { numRuns: 60 });
    });
  }

  it('wasm kernel: a batch staged in chunks, and a pool large enough to split over threads', () => {
    const g: ConvGeom = { C: 1, H: 28, W: 28, KH: 3, KW: 3, OH: 28, OW: 28, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1 };
    const B = 23, OC = 8; // 23·8·196 pooled outputs, past POOL_PARALLEL_MIN (2¹⁴)
    const x = rand(B * 784, 4), w = rand(OC * 9, 5), bias = rand(OC, 6);
    const want = Array.from(pooledReference(wasmConv2dForward, x, w, bias, B, OC, 1, g));
    const whole = new Float32Array(B * OC * 196), chunked = new Float32Array(B * OC * 196);
    wasmConv2dForward(whole, x, w, bias, B, OC, 1, g, false, true, true);
    const saved = convStaging.maxFloats;
    try {
      convStaging.maxFloats = 3 * (1 + 8) * 784; // three images per chunk
      wasmConv2dForward(chunked, x, w, bias, B, OC, 1, g, false, true, true);
    } finally {
      convStaging.maxFloats = saved;
    }
    expect(Array.from(whole)).toEqual(want);
    expect(Array.from(chunked)).toEqual(want);
  });
});

describe('maxPool2dBackward with reluOut equals maxPool2dBackward into zeros followed by reluBackward, bit for bit', () => {
  it('random planes with NaN, ±Inf and ±0 in the input and the gradient', () => {
    const special = [NaN, Infinity, -Infinity, 0, -0];
    fc.assert(fc.property(fc.record({ B: fc.integer({ min: 1, max: 3 }), C: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 2, max: 9 }), W: fc.integer({ min: 2, max: 9 }), seed: fc.integer({ min: 0, max: 1e9 }) }), (c) => {
      const OH = c.H >> 1, OW = c.W >> 1, n = c.B * c.C * c.H * c.W, m = c.B * c.C * OH * OW;
      const pre = rand(n, c.seed), dy = rand(m, c.seed + 1);
      for (let i = 0; i < n; i += 3) pre[i] = special[(i + c.seed) % 5];
      for (let i = 0; i < m; i += 4) dy[i] = special[(i + c.seed) % 5];
      const act = new Float32Array(n);
      reluForward(act, pre, n);
      const out = new Float32Array(m), argmax = new Int32Array(m);
      maxPool2dForward(out, argmax, act, HALVING, c.B, c.C, c.H, c.W, OH, OW);
      const dAct = new Float32Array(n), want = new Float32Array(n), got = new Float32Array(n);
      maxPool2dBackward(dAct, dy, argmax, c.B, c.C, c.H, c.W, OH, OW);
      reluBackward(want, dAct, pre, n);
      maxPool2dBackward(got, dy, argmax, c.B, c.C, c.H, c.W, OH, OW, out);
      for (let i = 0; i < n; i++) if (!Object.is(got[i], want[i])) throw new Error(`element ${i}: ${got[i]} against ${want[i]}`);
    }), { numRuns: 100 });
  });
});

describe('conv2dReluPoolBackward equals maxPool2dBackward with reluOut then conv2dBackward, bit for bit', () => {
  it('wasm kernel (the dense dy built in the memory for dw, dbias and dx): random geometries, strides, groups, chunked batches', () => {
    const arb = fc.record({
      B: fc.constantFrom(1, 2, 5), G: fc.integer({ min: 1, max: 2 }), Cg: fc.constantFrom(1, 3, 4, 6), OCg: fc.constantFrom(1, 4, 5),
      H: fc.constantFrom(2, 5, 12, 13), W: fc.constantFrom(2, 7, 12), K: fc.integer({ min: 1, max: 3 }), P: fc.integer({ min: 0, max: 1 }),
      S: fc.integer({ min: 1, max: 2 }), grads: fc.constantFrom('w', 'x', 'wx', 'b'), bias: fc.boolean(), chunked: fc.boolean(), seed: fc.integer({ min: 0, max: 1e9 }),
    });
    fc.assert(fc.property(arb, (c) => {
      const OH = Math.floor((c.H + 2 * c.P - c.K) / c.S) + 1, OW = Math.floor((c.W + 2 * c.P - c.K) / c.S) + 1;
      if (OH < 2 || OW < 2) return;
      const g: ConvGeom = { C: c.Cg, H: c.H, W: c.W, KH: c.K, KW: c.K, OH, OW, SH: c.S, SW: c.S, PH: c.P, PW: c.P, DH: 1, DW: 1 };
      const OC = c.OCg * c.G, m = c.B * OC * (OH >> 1) * (OW >> 1);
      const x = rand(c.B * c.G * c.Cg * c.H * c.W, c.seed), w = rand(OC * c.Cg * c.K * c.K, c.seed + 1);
      const bias = c.bias || c.grads === 'b' ? rand(OC, c.seed + 2) : null;
      const out = new Float32Array(m), argmax = new Int32Array(m);
      wasmConv2dForward(out, x, w, bias, c.B, OC, c.G, g, false, true, argmax);
      const dy = rand(m, c.seed + 3);
      const dconv = new Float32Array(c.B * OC * OH * OW);
      maxPool2dBackward(dconv, dy, argmax, c.B, OC, OH, OW, OH >> 1, OW >> 1, out);
      const dw = c.grads.includes('w') ? rand(w.length, c.seed + 4) : null;
      const dx = c.grads.includes('x') ? rand(x.length, c.seed + 6) : null;
      const db = bias === null ? null : rand(OC, c.seed + 5);
      const want = [dw, dx, db].map((a) => a?.slice() ?? null);
      const saved = convStaging.maxFloats;
      try {
        if (c.chunked) convStaging.maxFloats = 2 * (c.G * c.Cg * c.H * c.W + OC * OH * OW * 2);
        wasmConv2dBackward(want[1], want[0], want[2], dconv, x, w, c.B, OC, c.G, g);
        wasmConv2dReluPoolBackward(dx, dw, db, dy, out, argmax, x, w, c.B, OC, c.G, g);
      } finally {
        convStaging.maxFloats = saved;
      }
      [dw, dx, db].forEach((a, i) => { if (a !== null) expect(Array.from(a)).toEqual(Array.from(want[i]!)); });
    }), { numRuns: 80 });
  });
});

/** c16-p-c32-p-fc10 on 1×12×12 (the ONNX-peer CNN's layout at a smaller size). */
function cnn(): Sequential {
  const rng = new Generator(4);
  return new Sequential(
    new Conv2d(1, 16, 3, { padding: 1, rng }), new ReLU(), new MaxPool2d(2),
    new Conv2d(16, 32, 3, { padding: 1, rng }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(32 * 9, 10, { rng }),
  );
}

/** The network run layer by layer through each layer's own forward: the unfused reference. */
function layerByLayer(net: Sequential, x: Tensor): Tensor {
  return net.layers().reduce((h, m) => (m.forward as (t: Tensor) => Tensor)(h), x);
}

describe('Sequential fuses Conv2d + ReLU (+ MaxPool2d(2)) under noGrad only where nothing could see the steps between them', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    setDebug({ checkNumerics: false });
  });
  const x = randn([5, 1, 12, 12], { rng: new Generator(9) });

  it('under noGrad: each conv, ReLU and pool fused, and the output is the layer-by-layer output bit for bit', () => {
    const net = cnn();
    const spy = vi.spyOn(Conv2d.prototype, 'forwardReluPool');
    const y = noGrad(() => net.forward(x));
    expect(spy).toHaveBeenCalledTimes(2);
    expect(Array.from(y.data)).toEqual(Array.from(noGrad(() => layerByLayer(net, x)).data));
  });

  it('a pool other than MaxPool2d(2) is not fused: the conv and ReLU are, the pool runs on its own', () => {
    const rng = new Generator(4);
    for (const pool of [new MaxPool2d(3), new MaxPool2d(2, { stride: 1 }), new MaxPool2d(2, { padding: 1 }), new MaxPool2d([2, 1])]) {
      const net = new Sequential(new Conv2d(1, 4, 3, { padding: 1, rng }), new ReLU(), pool);
      const pair = vi.spyOn(Conv2d.prototype, 'forwardRelu');
      const triple = vi.spyOn(Conv2d.prototype, 'forwardReluPool');
      const y = noGrad(() => net.forward(x));
      expect([pair.mock.calls.length, triple.mock.calls.length]).toEqual([1, 0]);
      expect(Array.from(y.data)).toEqual(Array.from(noGrad(() => layerByLayer(net, x)).data));
      vi.restoreAllMocks();
    }
    const spelled = new Sequential(new Conv2d(1, 4, 3, { rng }), new ReLU(), new MaxPool2d([2, 2], { stride: [2, 2], padding: 0, dilation: 1 }));
    const triple = vi.spyOn(Conv2d.prototype, 'forwardReluPool');
    noGrad(() => spelled.forward(x));
    expect(triple).toHaveBeenCalledTimes(1);
  });

  it('fused on an unbatched image and on odd sizes; an output too small to pool throws the pool\'s error', () => {
    const rng = new Generator(6);
    const net = new Sequential(new Conv2d(3, 5, 2, { rng }), new ReLU(), new MaxPool2d(2));
    for (const shape of [[3, 9, 7], [2, 3, 6, 11]]) {
      const v = randn(shape, { rng });
      const y = noGrad(() => net.forward(v));
      expect(Array.from(y.data)).toEqual(Array.from(noGrad(() => layerByLayer(net, v)).data));
      expect(y.shape).toEqual(noGrad(() => layerByLayer(net, v)).shape);
    }
    const tiny = randn([1, 3, 2, 4], { rng });
    let unfused: unknown, fused: unknown;
    try { noGrad(() => layerByLayer(net, tiny)); } catch (e) { unfused = e; }
    try { noGrad(() => net.forward(tiny)); } catch (e) { fused = e; }
    expect(unfused).toBeInstanceOf(Error);
    expect((fused as Error).constructor).toBe((unfused as Error).constructor);
    expect((fused as Error).message).toBe((unfused as Error).message);
  });

  it('the CNN family fuses its blocks the same way', () => {
    const model = new CNN({ inputSize: [12, 12], numClasses: 3, rng: new Generator(2) });
    const spy = vi.spyOn(Conv2d.prototype, 'forwardReluPool');
    const y = noGrad(() => model.forward(x));
    expect(spy).toHaveBeenCalledTimes(2);
    spy.mockRestore();
    const h = noGrad(() => model.features.reduce((t, m) => (m.forward as (v: Tensor) => Tensor)(t), x));
    const ref = noGrad(() => model.head.reduce((t, m) => (m.forward as (v: Tensor) => Tensor)(t), h.reshape([5, -1])));
    expect(Array.from(y.data)).toEqual(Array.from(ref.data));
  });

  /** Loss, then every parameter's gradient and the input's, as arrays (NaN compares equal to NaN). */
  function gradients(net: Sequential, input: Tensor, run: (n: Sequential, v: Tensor) => Tensor): number[][] {
    const v = new Tensor(input.data.slice(), input.shape, true);
    const y = run(net, v);
    mul(y, y).sum().backward();
    return [Array.from(y.data), ...net.parameters().map((p) => Array.from(p.grad!)), Array.from(v.grad!)];
  }

  it('with gradients on: fused into one node each, and values and gradients are the separate ops\' bit for bit', () => {
    const spy = vi.spyOn(Conv2d.prototype, 'forwardRelu');
    const triple = vi.spyOn(Conv2d.prototype, 'forwardReluPool');
    const fused = gradients(cnn(), x, (n, v) => n.forward(v));
    expect([spy.mock.calls.length, triple.mock.calls.length]).toEqual([0, 2]);
    expect(fused).toEqual(gradients(cnn(), x, layerByLayer));
    const y = cnn().forward(x);
    expect(y.node?.op).toBe('linear');
    // The pair (a pool other than MaxPool2d(2) after it), odd sizes, a batch of one.
    const rng = new Generator(8);
    const pairNet = (): Sequential => new Sequential(new Conv2d(2, 3, 3, { rng: new Generator(1) }), new ReLU(), new MaxPool2d(3, { stride: 1 }));
    const tripleNet = (): Sequential => new Sequential(new Conv2d(2, 3, 2, { stride: 2, padding: 1, rng: new Generator(1) }), new ReLU(), new MaxPool2d(2));
    // The first layer of a network (an input without grad): only dw and dbias, built in the wasm memory.
    const firstGrads = (run: (n: Sequential, t: Tensor) => Tensor): number[][] => {
      const net = cnn();
      mul(run(net, x), run(net, x)).sum().backward();
      return net.parameters().map((p) => Array.from(p.grad!));
    };
    expect(firstGrads((n, t) => n.forward(t))).toEqual(firstGrads(layerByLayer));
    for (const shape of [[3, 2, 9, 11], [1, 2, 7, 6]]) {
      const v = randn(shape, { rng });
      expect(gradients(pairNet(), v, (n, t) => n.forward(t))).toEqual(gradients(pairNet(), v, layerByLayer));
      expect(gradients(tripleNet(), v, (n, t) => n.forward(t))).toEqual(gradients(tripleNet(), v, layerByLayer));
    }
  });

  it('with gradients on, NaN, ±Inf and exact zeros (ties, the ReLU kink) give the separate ops\' gradients bit for bit', () => {
    const v = randn([2, 2, 8, 8], { rng: new Generator(3) });
    v.data[5] = NaN;
    v.data[40] = Infinity;
    v.data[77] = -Infinity;
    v.data.fill(0, 128, 160); // whole windows of zeros: ties at the kink
    const nets = (): Sequential => new Sequential(new Conv2d(2, 4, 1, { bias: false, rng: new Generator(2) }), new ReLU(), new MaxPool2d(2), new Conv2d(4, 4, 3, { padding: 1, rng: new Generator(3) }), new ReLU());
    expect(gradients(nets(), v, (n, t) => n.forward(t))).toEqual(gradients(nets(), v, layerByLayer));
  });

  it('a hook on either layer, or a subclass overriding forward, turns fusion off for that pair', () => {
    const net = cnn();
    const seen: number[][] = [];
    net[1].registerForwardHook((_m, _i, out) => { seen.push([...(out as Tensor).shape]); });
    class Logged extends Conv2d {
      override forward(t: Tensor): Tensor { return super.forward(t); }
    }
    const rng = new Generator(4);
    const sub = new Sequential(new Logged(1, 4, 3, { rng }), new ReLU());
    const spy = vi.spyOn(Conv2d.prototype, 'forwardRelu');
    const triple = vi.spyOn(Conv2d.prototype, 'forwardReluPool');
    noGrad(() => net.forward(x));
    noGrad(() => sub.forward(x));
    expect(seen).toEqual([[5, 16, 12, 12]]);
    expect(spy).not.toHaveBeenCalled();
    expect(triple).toHaveBeenCalledTimes(1); // the second block of `net` only
  });

  it('a hook on the pool fuses only the conv and its ReLU, and the hook sees the pool\'s input and output', () => {
    const net = cnn();
    const seen: number[][] = [];
    net[2].registerForwardHook((_m, inp, out) => { seen.push([...(inp[0] as Tensor).shape], [...(out as Tensor).shape]); });
    const spy = vi.spyOn(Conv2d.prototype, 'forwardRelu');
    const triple = vi.spyOn(Conv2d.prototype, 'forwardReluPool');
    const y = noGrad(() => net.forward(x));
    expect(seen).toEqual([[5, 16, 12, 12], [5, 16, 6, 6]]);
    expect([spy.mock.calls.length, triple.mock.calls.length]).toEqual([1, 1]);
    expect(Array.from(y.data)).toEqual(Array.from(noGrad(() => layerByLayer(net, x)).data));
  });

  it('a trace (what the ONNX exporter reads) and checkNumerics see the conv2d and relu ops', () => {
    const net = cnn();
    const ops = trace(() => noGrad(() => net.forward(x))).ops.map((o) => o.op);
    expect(ops.filter((o) => o === 'relu').length).toBe(2);
    expect(ops.filter((o) => o === 'conv2d').length).toBe(2);
    expect(ops.filter((o) => o === 'maxPool2d').length).toBe(2);
    setDebug({ checkNumerics: true });
    const spy = vi.spyOn(Conv2d.prototype, 'forwardRelu');
    const triple = vi.spyOn(Conv2d.prototype, 'forwardReluPool');
    noGrad(() => net.forward(x));
    expect(spy).not.toHaveBeenCalled();
    expect(triple).not.toHaveBeenCalled();
  });
});
