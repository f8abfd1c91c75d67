import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { conv2dForward, type ConvGeom } from '../../src/tensor/kernels/conv';
import { reluForward } from '../../src/tensor/kernels/unary';
import { convStaging, wasmConv2dForward } from '../../src/tensor/kernels/wasm/conv';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../../src/nn/index';
import { CNN } from '../../src/models/index';
import { Generator, Tensor, noGrad, randn, setDebug } from '../../src/tensor/index';
import { trace } from '../../src/tensor/trace';
import { seededUniform as rand } from '../helpers/check';

// A Conv2d followed by a ReLU runs as one op under noGrad (the ReLU taken in the convolution
// kernel). The fused result must be the unfused one bit for bit, and fusion must never hide the
// step between the two layers from a gradient, a trace, a numeric check, a hook or a subclass.

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

describe('Sequential fuses Conv2d + ReLU under noGrad only where nothing could see the step between them', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    setDebug({ checkNumerics: false });
  });
  const x = randn([5, 1, 12, 12], { rng: new Generator(9) });

  it('under noGrad: fused, and the output is the layer-by-layer output bit for bit', () => {
    const net = cnn();
    const spy = vi.spyOn(Conv2d.prototype, 'forwardRelu');
    const y = noGrad(() => net.forward(x));
    expect(spy).toHaveBeenCalledTimes(2);
    expect(Array.from(y.data)).toEqual(Array.from(noGrad(() => layerByLayer(net, x)).data));
  });

  it('the CNN family fuses its blocks the same way', () => {
    const model = new CNN({ inputSize: [12, 12], numClasses: 3, rng: new Generator(2) });
    const spy = vi.spyOn(Conv2d.prototype, 'forwardRelu');
    const y = noGrad(() => model.forward(x));
    expect(spy).toHaveBeenCalledTimes(2);
    spy.mockRestore();
    const h = noGrad(() => model.features.reduce((t, m) => (m.forward as (v: Tensor) => Tensor)(t), x));
    const ref = noGrad(() => model.head.reduce((t, m) => (m.forward as (v: Tensor) => Tensor)(t), h.reshape([5, -1])));
    expect(Array.from(y.data)).toEqual(Array.from(ref.data));
  });

  it('with gradients on, every layer runs and the gradients are those of the two ops', () => {
    const net = cnn();
    const spy = vi.spyOn(Conv2d.prototype, 'forwardRelu');
    const y = net.forward(x);
    expect(spy).not.toHaveBeenCalled();
    expect(y.requiresGrad).toBe(true);
    y.sum().backward();
    expect((net[0] as Conv2d).weight.grad).not.toBeNull();
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
    noGrad(() => net.forward(x));
    noGrad(() => sub.forward(x));
    expect(seen).toEqual([[5, 16, 12, 12]]);
    expect(spy).toHaveBeenCalledTimes(1); // the second pair of `net` only
  });

  it('a trace (what the ONNX exporter reads) and checkNumerics see the conv2d and relu ops', () => {
    const net = cnn();
    const ops = trace(() => noGrad(() => net.forward(x))).ops.map((o) => o.op);
    expect(ops.filter((o) => o === 'relu').length).toBe(2);
    expect(ops.filter((o) => o === 'conv2d').length).toBe(2);
    setDebug({ checkNumerics: true });
    const spy = vi.spyOn(Conv2d.prototype, 'forwardRelu');
    noGrad(() => net.forward(x));
    expect(spy).not.toHaveBeenCalled();
  });
});
