import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv1d, conv2d, convTranspose2d, linear } from '../../src/tensor/ops/conv';
import * as K from '../../src/tensor/kernels/conv';
import * as tk from '../../src/tensor/index';
import { ArgumentError, Generator, ShapeError, Tensor, ones, tensor, zeros } from '../../src/tensor/index';
import { expectClose, expectGrad, randT } from '../helpers/check';

/** Random conv geometry: odd sizes, stride > kernel, padding, dilation, groups, 1×1 images. */
const convArb = fc
  .record({
    B: fc.integer({ min: 1, max: 2 }),
    G: fc.integer({ min: 1, max: 3 }),
    Cg: fc.integer({ min: 1, max: 3 }),
    OCg: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 7 }),
    W: fc.integer({ min: 1, max: 7 }),
    KH: fc.integer({ min: 1, max: 3 }),
    KW: fc.integer({ min: 1, max: 3 }),
    SH: fc.integer({ min: 1, max: 4 }),
    SW: fc.integer({ min: 1, max: 4 }),
    PH: fc.integer({ min: 0, max: 2 }),
    PW: fc.integer({ min: 0, max: 2 }),
    DH: fc.integer({ min: 1, max: 2 }),
    DW: fc.integer({ min: 1, max: 2 }),
    bias: fc.boolean(),
    seed: fc.integer(),
  })
  .filter((r) => r.H + 2 * r.PH >= r.DH * (r.KH - 1) + 1 && r.W + 2 * r.PW >= r.DW * (r.KW - 1) + 1);

function geomOf(r: { Cg: number; H: number; W: number; KH: number; KW: number; SH: number; SW: number; PH: number; PW: number; DH: number; DW: number }): K.ConvGeom {
  const OH = Math.floor((r.H + 2 * r.PH - r.DH * (r.KH - 1) - 1) / r.SH) + 1;
  const OW = Math.floor((r.W + 2 * r.PW - r.DW * (r.KW - 1) - 1) / r.SW) + 1;
  return { C: r.Cg, H: r.H, W: r.W, KH: r.KH, KW: r.KW, OH, OW, SH: r.SH, SW: r.SW, PH: r.PH, PW: r.PW, DH: r.DH, DW: r.DW };
}

type ConvCase = Parameters<typeof geomOf>[0] & { B: number; G: number; OCg: number };

/**
 * Runs the fast conv2d and convTranspose2d kernels and the direct-loop conv2d twins on random data
 * and compares every output.
 */
function matchesNaive(r: ConvCase, rng: Generator, withBias: boolean): void {
  const g = geomOf(r);
  const C = r.Cg * r.G, OC = r.OCg * r.G;
  const x = randT([r.B, C, r.H, r.W], rng).data;
  const w = randT([OC, r.Cg, r.KH, r.KW], rng).data;
  const b = withBias ? randT([OC], rng).data : null;
  const n = r.B * OC * g.OH * g.OW;
  const fast = new Float32Array(n).fill(NaN), slow = new Float32Array(n);
  K.conv2dForward(fast, x, w, b, r.B, OC, r.G, g);
  K.conv2dForwardNaive(slow, x, w, b, r.B, OC, r.G, g);
  expectClose(fast, slow, 1e-5, 1e-4);
  const dy = randT([n], rng).data;
  // Start from non-zero gradients: the kernels must accumulate.
  const grads = () => [new Float32Array(x.length).fill(0.5), new Float32Array(w.length).fill(0.5), new Float32Array(OC).fill(0.5)];
  const [dx1, dw1, db1] = grads();
  const [dx2, dw2, db2] = grads();
  K.conv2dBackward(dx1, dw1, db1, dy, x, w, r.B, OC, r.G, g);
  K.conv2dBackwardNaive(dx2, dw2, db2, dy, x, w, r.B, OC, r.G, g);
  expectClose(dx1, dx2, 1e-5, 1e-4);
  expectClose(dw1, dw2, 1e-4, 1e-4);
  expectClose(db1, db2, 1e-4, 1e-4);

  // The transposed convolution of the same geometry maps (B, OC, OH, OW) back to x's shape: its
  // forward pass is conv2d's input gradient, and its backward pass is conv2d's forward pass (dx)
  // and weight gradient with the roles of x and dy swapped (dw).
  const t = randT([n], rng).data;
  const tOut = new Float32Array(x.length).fill(NaN), tRef = new Float32Array(x.length);
  K.convTranspose2dForward(tOut, t, w, null, r.B, OC, r.G, g);
  K.conv2dBackwardNaive(tRef, null, null, t, x, w, r.B, OC, r.G, g);
  expectClose(tOut, tRef, 1e-5, 1e-4);
  const tdy = randT([x.length], rng).data;
  const tdx1 = new Float32Array(n).fill(0.5), tdw1 = new Float32Array(w.length).fill(0.5);
  const tdx2 = new Float32Array(n), tdw2 = new Float32Array(w.length).fill(0.5);
  K.convTranspose2dBackward(tdx1, tdw1, null, tdy, t, w, r.B, OC, r.G, g);
  K.conv2dForwardNaive(tdx2, tdy, w, null, r.B, OC, r.G, g);
  for (let i = 0; i < n; i++) tdx2[i] += 0.5;
  K.conv2dBackwardNaive(null, tdw2, null, t, tdy, w, r.B, OC, r.G, g);
  expectClose(tdx1, tdx2, 1e-5, 1e-4);
  expectClose(tdw1, tdw2, 1e-4, 1e-4);
}

describe('conv2d kernels', () => {
  it('the fast forward and backward (and the transposed pair) equal the direct loops', () => {
    fc.assert(
      fc.property(convArb, (r) => matchesNaive(r, new Generator(r.seed), r.bias)),
      { numRuns: 150 },
    );
  });

  it('larger shapes (full 4×4 blocks, several K and position blocks, ragged edges) equal the direct loops', () => {
    // Kc = 32·9 = 288 splits into two K blocks in the forward; P = 19·21 = 399 positions split into
    // two blocks in the weight gradient; OCg = 10 and Kc = 7·5 = 35 leave ragged 4×4 edges.
    // One input and one output channel per group takes the depthwise path.
    const cases = [
      { B: 2, G: 1, Cg: 32, OCg: 8, H: 19, W: 21, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1 },
      { B: 1, G: 2, Cg: 7, OCg: 10, H: 23, W: 17, KH: 1, KW: 5, SH: 2, SW: 1, PH: 0, PW: 2, DH: 1, DW: 2 },
      { B: 3, G: 3, Cg: 1, OCg: 1, H: 9, W: 9, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1 },
      // Depthwise (its own direct path) with stride, dilation and a kernel wider than the stride.
      { B: 2, G: 16, Cg: 1, OCg: 1, H: 15, W: 13, KH: 3, KW: 5, SH: 2, SW: 3, PH: 1, PW: 2, DH: 2, DW: 1 },
    ];
    for (const r of cases) matchesNaive(r, new Generator(r.Cg * 31 + r.OCg), true);
  });

  it('a 1×1 stride-1 convolution (the im2col-free path) equals the direct loops', () => {
    const rng = new Generator(3);
    const g: K.ConvGeom = { C: 3, H: 4, W: 5, KH: 1, KW: 1, OH: 4, OW: 5, SH: 1, SW: 1, PH: 0, PW: 0, DH: 1, DW: 1 };
    const x = randT([2, 6, 4, 5], rng).data, w = randT([4, 3, 1, 1], rng).data;
    const a = new Float32Array(2 * 4 * 20), b = new Float32Array(2 * 4 * 20);
    K.conv2dForward(a, x, w, null, 2, 4, 2, g);
    K.conv2dForwardNaive(b, x, w, null, 2, 4, 2, g);
    expectClose(a, b, 1e-5, 1e-5);
  });
});

describe('conv2d op', () => {
  it('hand-computed: a 2×2 box filter over a 3×3 ramp, with padding and stride', () => {
    const x = tk.reshape(tk.arange(9), [1, 1, 3, 3]); // [[0,1,2],[3,4,5],[6,7,8]]
    expect(conv2d(x, ones([1, 1, 2, 2])).tolist()).toEqual([[[[8, 12], [20, 24]]]]);
    // Padding 1, stride 2: windows at (−1,−1), (−1,1), (1,−1), (1,1).
    expect(conv2d(x, ones([1, 1, 2, 2]), tensor([1]), { padding: 1, stride: 2 }).tolist()).toEqual([[[[1, 4], [10, 25]]]]);
    expect(conv2d(x, ones([1, 1, 3, 3]), null, { padding: 'same' }).shape).toEqual([1, 1, 3, 3]);
    expect(conv2d(tk.reshape(tk.arange(9), [1, 3, 3]), ones([1, 1, 2, 2])).shape).toEqual([1, 2, 2]);
  });

  it("'same' padding with an even kernel pads the extra row/column at the bottom/right (as PyTorch)", () => {
    const x = tk.reshape(tk.arange(16), [1, 1, 4, 4]);
    const w = tk.reshape(tk.arange(4), [1, 1, 2, 2]);
    const same = conv2d(x, w, null, { padding: 'same' });
    const manual = conv2d(tk.pad(x, [[0, 1], [0, 1]]), w);
    expect(same.toArray()).toEqual(manual.toArray());
  });

  it('gradients with groups, dilation, stride and padding', () => {
    const rng = new Generator(11);
    expectGrad((x, w, b) => conv2d(x, w, b, { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2 }), [
      randT([2, 4, 5, 6], rng), randT([6, 2, 3, 2], rng), randT([6], rng),
    ]);
    expectGrad((x, w) => conv2d(x, w, null, { groups: 3 }), [randT([1, 3, 4, 4], rng), randT([3, 1, 3, 3], rng)]);
    expectGrad((x, w) => conv2d(x, w), [randT([2, 3, 3, 3], rng), randT([2, 3, 1, 1], rng)]);
  });

  it('bad input: channel mismatch, groups not dividing, kernel larger than the padded input', () => {
    expect(() => conv2d(zeros([2, 3, 8, 8]), zeros([16, 4, 3, 3]))).toThrow('conv2d: x [2, 3, 8, 8] has 3 channels but weight [16, 4, 3, 3] expects 4 (4 per group × groups 1)');
    expect(() => conv2d(zeros([1, 4, 8, 8]), zeros([6, 2, 3, 3]), null, { groups: 3 })).toThrow(/groups 3 must divide both the input channels 4/);
    expect(() => conv2d(zeros([1, 1, 3, 3]), zeros([1, 1, 5, 5]))).toThrow('conv2d: kernel [5, 5] (dilated [5, 5]) is larger than the padded input [3, 3] (x [1, 1, 3, 3], padding [0, 0])');
    expect(() => conv2d(zeros([1, 1, 3, 3]), zeros([1, 1, 2, 2]), zeros([2]))).toThrow(/bias \[2\] must be \[1\]/);
    expect(() => conv2d(zeros([1, 1, 3, 3]), zeros([1, 1, 2, 2]), null, { stride: 0 })).toThrow(ArgumentError);
    expect(() => conv2d(zeros([1, 1, 3, 3]), zeros([1, 1, 2, 2]), null, { stride: 2, padding: 'same' })).toThrow(/'same' needs stride 1/);
    expect(() => conv2d(zeros([3, 3]), zeros([1, 1, 2, 2]))).toThrow(ShapeError);
  });
});

describe('conv1d', () => {
  it('equals a direct 1-D loop and checks its gradient', () => {
    expect(conv1d(tensor([[[1, 2, 3]]]), tensor([[[1, 1]]])).tolist()).toEqual([[[3, 5]]]);
    expect(conv1d(tensor([[1, 2, 3]]), tensor([[[1, 0, -1]]]), null, { padding: 1 }).tolist()).toEqual([[-2, -2, 2]]);
    expect(conv1d(zeros([2, 3, 10]), zeros([4, 3, 3]), null, { padding: 'same', dilation: 2 }).shape).toEqual([2, 4, 10]);
    const rng = new Generator(12);
    expectGrad((x, w, b) => conv1d(x, w, b, { stride: 2, padding: 1, groups: 2 }), [randT([2, 4, 9], rng), randT([2, 2, 3], rng), randT([2], rng)]);
  });
});

describe('convTranspose2d', () => {
  /** Direct scatter loops: the definition. */
  function naive(x: Tensor, w: Tensor, s: number, p: number, d: number, op: number, G: number): Tensor {
    const [B, C, H, W] = x.shape, [, OCg, KH, KW] = w.shape, Cg = C / G, OC = OCg * G;
    const OH = (H - 1) * s - 2 * p + d * (KH - 1) + op + 1, OW = (W - 1) * s - 2 * p + d * (KW - 1) + op + 1;
    const out = new Float32Array(B * OC * OH * OW);
    for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
      const g = Math.floor(c / Cg);
      for (let o = 0; o < OCg; o++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
        const oi = i * s - p + kh * d, oj = j * s - p + kw * d;
        if (oi < 0 || oi >= OH || oj < 0 || oj >= OW) continue;
        out[((b * OC + g * OCg + o) * OH + oi) * OW + oj] += x.data[((b * C + c) * H + i) * W + j] * w.data[((c * OCg + o) * KH + kh) * KW + kw];
      }
    }
    return new Tensor(out, [B, OC, OH, OW]);
  }

  it('equals the scatter definition on random geometries', () => {
    fc.assert(
      fc.property(
        fc.record({ s: fc.integer({ min: 1, max: 3 }), p: fc.integer({ min: 0, max: 1 }), d: fc.integer({ min: 1, max: 2 }), G: fc.integer({ min: 1, max: 2 }), K: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 1, max: 4 }), seed: fc.integer() }),
        ({ s, p, d, G, K: k, H, seed }) => {
          const op = s > 1 ? 1 : 0;
          const OH = (H - 1) * s - 2 * p + d * (k - 1) + op + 1;
          if (OH <= 0) return;
          const rng = new Generator(seed);
          const x = randT([2, 2 * G, H, H + 1], rng), w = randT([2 * G, 2, k, k], rng);
          const y = convTranspose2d(x, w, null, { stride: s, padding: p, dilation: d, outputPadding: op, groups: G });
          const r = naive(x, w, s, p, d, op, G);
          expect(y.shape).toEqual(r.shape);
          expectClose(y.data, r.data, 1e-5, 1e-4);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('is the adjoint of conv2d: ⟨convT(y), x⟩ = ⟨y, conv2d(x)⟩ for the same weight', () => {
    const rng = new Generator(13);
    const w = randT([4, 3, 3, 3], rng); // conv2d: 3 → 4 channels; convT: 4 → 3
    const x = randT([2, 3, 7, 7], rng);
    const cx = conv2d(x, w, null, { stride: 2, padding: 1 });
    const y = randT(cx.shape as number[], rng);
    const ty = convTranspose2d(y, w, null, { stride: 2, padding: 1 });
    expect(ty.shape).toEqual(x.shape);
    const lhs = tk.sum(tk.mul(ty, x)).item(), rhs = tk.sum(tk.mul(y, cx)).item();
    expectClose([lhs], [rhs], 1e-4, 1e-4);
  });

  it('gradients, and outputPadding validation', () => {
    const rng = new Generator(14);
    expectGrad((x, w, b) => convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }), [randT([2, 4, 3, 3], rng), randT([4, 3, 3, 3], rng), randT([6], rng)]);
    expect(convTranspose2d(ones([1, 1, 2, 2]), ones([1, 1, 2, 2]), null, { stride: 2 }).tolist()).toEqual([[[[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]]]);
    expect(() => convTranspose2d(ones([1, 1, 2, 2]), ones([1, 1, 2, 2]), null, { outputPadding: 1 })).toThrow(/outputPadding \[1, 1\] must be smaller than either stride/);
    expect(() => convTranspose2d(ones([1, 2, 2, 2]), ones([1, 1, 2, 2]))).toThrow(/has 2 channels but weight \[1, 1, 2, 2\] expects 1/);
  });
});

describe('linear', () => {
  it('equals x·Wᵀ + b on batched inputs and checks its gradients', () => {
    expect(linear(tensor([[1, 2]]), tensor([[1, 0], [0, 1], [1, 1]]), tensor([0, 0, 1])).tolist()).toEqual([[1, 2, 4]]);
    const rng = new Generator(15);
    const x = randT([2, 3, 5], rng), w = randT([4, 5], rng), b = randT([4], rng);
    const ref = tk.add(tk.matmul(x, tk.transpose(w)), b);
    expectClose(linear(x, w, b).data, ref.data, 1e-5, 1e-5);
    expectGrad(linear, [x, w, b]);
    expectGrad((a, c) => linear(a, c), [randT([7], rng), randT([3, 7], rng)]);
    expect(() => linear(zeros([2, 3]), zeros([4, 5]))).toThrow('linear: x [2, 3] must end in 5 features to match weight [4, 5]');
    expect(() => linear(zeros([2, 5]), zeros([4, 5]), zeros([3]))).toThrow(/bias \[3\] must be \[4\]/);
  });
});

describe('conv options are checked', () => {
  const img = ones([1, 2, 4, 4]), k = ones([2, 2, 3, 3]);
  it('unknown keys and wrong types throw', () => {
    expect(() => conv2d(img, k, null, { strides: 2 } as never)).toThrow("conv2d: unknown option 'strides' (did you mean 'stride'?); conv2d takes stride, padding, dilation, groups");
    expect(() => conv2d(img, k, null, { padding: 'full' } as never)).toThrow("conv2d: padding must be an integer ≥ 0, a pair [h, w] of them, 'same' or 'valid', got \"full\"");
    expect(() => conv2d(img, k, null, { groups: 0 })).toThrow('conv2d: groups must be an integer ≥ 1, got 0');
    expect(() => conv2d(img, k, null, { dilation: [1, 0] })).toThrow('conv2d: dilation[1] must be an integer ≥ 1, got 0');
    expect(() => conv1d(ones([1, 2, 5]), ones([2, 2, 3]), null, { padding: [1, 1] } as never)).toThrow("conv1d: padding must be an integer ≥ 0, 'same' or 'valid', got array(2)");
    expect(() => convTranspose2d(img, k, null, { output_padding: 1 } as never)).toThrow("convTranspose2d: unknown option 'output_padding' (did you mean 'outputPadding'?)");
    expect(() => conv2d(img, k, null, 'same' as never)).toThrow('conv2d: options must be an object, got "same"');
  });
});
