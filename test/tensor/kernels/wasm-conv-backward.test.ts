import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  conv2dBackward, conv2dBackwardNaive, conv2dForward, conv2dForwardNaive, convTranspose2dBackward, convTranspose2dBackwardNaive,
  convTranspose2dForward, convTranspose2dForwardNaive, type ConvGeom,
} from '../../../src/tensor/kernels/conv';
import {
  convStaging, wasmConv2dBackward, wasmConv2dForward, wasmConvTranspose2dBackward, wasmConvTranspose2dForward,
} from '../../../src/tensor/kernels/wasm/conv';
import { ensureBytes, memoryBytes } from '../../../src/tensor/kernels/wasm/memory';
import { seededUniform as rand } from '../../helpers/check';

/** One convolution: batch, groups, channels per group, geometry. */
interface Case { B: number; G: number; Cg: number; OCg: number; g: ConvGeom; seed: number }

const abs = (x: Float32Array): Float32Array => x.map(Math.abs);
const u = 2 ** -24;

/**
 * |fast − exact| ≤ 4·u·(K + 2)·(1 + scale), the bound of a K-term float32 sum in another order
 * than the float64 oracle (scale = the oracle run on absolute values, Σ|a||b| + |initial|), with
 * a factor 4 of slack; and the same bound, doubled, against the scalar (JS) twin.
 */
function expectWithin(what: string, fast: Float32Array, exact: Float32Array, js: Float32Array, scale: Float32Array, K: number, c: Case): void {
  for (let i = 0; i < fast.length; i++) {
    const tol = 4 * u * (K + 2) * (1 + scale[i]);
    if (!(Math.abs(fast[i] - exact[i]) <= tol) || !(Math.abs(fast[i] - js[i]) <= 2 * tol)) {
      throw new Error(`${what}[${i}] = ${fast[i]}, naive ${exact[i]}, js ${js[i]}, tol ${tol} (${JSON.stringify(c)})`);
    }
  }
}

function geom(r: { Cg: number; H: number; W: number; KH: number; KW: number; SH: number; SW: number; PH: number; PW: number; DH: number; DW: number }): ConvGeom | null {
  const OH = Math.floor((r.H + 2 * r.PH - r.DH * (r.KH - 1) - 1) / r.SH) + 1;
  const OW = Math.floor((r.W + 2 * r.PW - r.DW * (r.KW - 1) - 1) / r.SW) + 1;
  if (OH < 1 || OW < 1) return null;
  return { C: r.Cg, H: r.H, W: r.W, KH: r.KH, KW: r.KW, OH, OW, SH: r.SH, SW: r.SW, PH: r.PH, PW: r.PW, DH: r.DH, DW: r.DW };
}

const side = fc.oneof(fc.constantFrom(1, 3, 5, 17), fc.integer({ min: 1, max: 12 }));
const caseArb: fc.Arbitrary<Case> = fc.record({
  B: fc.integer({ min: 1, max: 2 }), G: fc.integer({ min: 1, max: 3 }), Cg: fc.constantFrom(1, 2, 3, 5),
  OCg: fc.constantFrom(1, 3, 4, 5, 8, 17), H: side, W: side, KH: fc.integer({ min: 1, max: 4 }), KW: fc.integer({ min: 1, max: 4 }),
  SH: fc.integer({ min: 1, max: 3 }), SW: fc.integer({ min: 1, max: 3 }), PH: fc.integer({ min: 0, max: 2 }), PW: fc.integer({ min: 0, max: 2 }),
  DH: fc.integer({ min: 1, max: 2 }), DW: fc.integer({ min: 1, max: 2 }), seed: fc.integer({ min: 0, max: 1e9 }),
}).map((r): Omit<Case, 'g'> & { g: ConvGeom | null } => ({ B: r.B, G: r.G, Cg: r.Cg, OCg: r.OCg, g: geom(r), seed: r.seed }))
  .filter((c): c is Case => c.g !== null);

/** Named geometries that the random ones reach only by luck: depthwise, pointwise, the bench's CNN layers, stride 3 with dilation, both input-gradient paths. */
function named(): [string, Case][] {
  const mk = (B: number, G: number, Cg: number, OCg: number, H: number, W: number, K: number, S: number, P: number, D: number, seed: number): Case =>
    ({ B, G, Cg, OCg, g: geom({ Cg, H, W, KH: K, KW: K, SH: S, SW: S, PH: P, PW: P, DH: D, DW: D })!, seed });
  return [
    ['depthwise 3×3, 4 channels', mk(2, 4, 1, 1, 9, 7, 3, 1, 1, 1, 1)],
    ['depthwise with a channel multiplier of 3, stride 2', mk(1, 4, 1, 3, 9, 9, 3, 2, 1, 1, 2)],
    ['pointwise 1×1', mk(2, 1, 5, 17, 5, 3, 1, 1, 0, 1, 3)],
    ['1×1 with stride 2 (not pointwise)', mk(1, 1, 3, 5, 7, 7, 1, 2, 0, 1, 4)],
    ['CNN layer 1: 1 → 8, 28×28, 3×3 same', mk(2, 1, 1, 8, 28, 28, 3, 1, 1, 1, 5)],
    ['CNN layer 2: 8 → 16, 14×14, 3×3 same', mk(2, 1, 8, 16, 14, 14, 3, 1, 1, 1, 6)],
    ['stride 3, dilation 2, padding 2, groups 2', mk(2, 2, 3, 5, 17, 13, 3, 3, 2, 2, 7)],
    ['kernel larger than the image with padding', mk(1, 1, 2, 3, 3, 3, 5, 1, 2, 1, 8)],
    ['stride 1, 5 channels, dilation 2, groups 2 (dx as a flipped forward)', mk(2, 2, 5, 3, 17, 5, 3, 1, 2, 2, 9)],
    ['1×1, 5 channels, padding 2 (padding past the kernel: dx by scatter)', mk(1, 1, 5, 3, 5, 5, 1, 1, 2, 1, 10)],
  ];
}

function forwardCheck(c: Case, bias: boolean, accumulate: boolean): void {
  const { B, G, Cg, OCg, g, seed } = c;
  const OC = OCg * G, K = Cg * g.KH * g.KW;
  const x = rand(B * G * Cg * g.H * g.W, seed), w = rand(OC * K, seed + 1);
  const b = bias ? rand(OC, seed + 2) : null;
  const out0 = rand(B * OC * g.OH * g.OW, seed + 3);
  const fast = out0.slice(), exact = out0.slice(), js = out0.slice(), scale = accumulate ? abs(out0) : new Float32Array(out0.length);
  wasmConv2dForward(fast, x, w, b, B, OC, G, g, accumulate);
  conv2dForwardNaive(exact, x, w, b, B, OC, G, g, accumulate);
  conv2dForward(js, x, w, b, B, OC, G, g, accumulate);
  conv2dForwardNaive(scale, abs(x), abs(w), b === null ? null : abs(b), B, OC, G, g, accumulate);
  expectWithin('out', fast, exact, js, scale, K, c);
}

function backwardCheck(c: Case, grads: [boolean, boolean, boolean]): void {
  const { B, G, Cg, OCg, g, seed } = c;
  const OC = OCg * G, K = Cg * g.KH * g.KW, P = g.OH * g.OW;
  const x = rand(B * G * Cg * g.H * g.W, seed), w = rand(OC * K, seed + 1), dy = rand(B * OC * P, seed + 2);
  // Gradients accumulate into what is there.
  const init = [rand(x.length, seed + 3), rand(w.length, seed + 4), rand(OC, seed + 5)];
  const pick = (k: number, v: Float32Array): Float32Array | null => (grads[k] ? v : null);
  const fast = init.map((a) => a.slice()), exact = init.map((a) => a.slice()), js = init.map((a) => a.slice()), scale = init.map(abs);
  wasmConv2dBackward(pick(0, fast[0]), pick(1, fast[1]), pick(2, fast[2]), dy, x, w, B, OC, G, g);
  conv2dBackwardNaive(pick(0, exact[0]), pick(1, exact[1]), pick(2, exact[2]), dy, x, w, B, OC, G, g);
  conv2dBackward(pick(0, js[0]), pick(1, js[1]), pick(2, js[2]), dy, x, w, B, OC, G, g);
  conv2dBackwardNaive(pick(0, scale[0]), pick(1, scale[1]), pick(2, scale[2]), abs(dy), abs(x), abs(w), B, OC, G, g);
  // dx sums OCg·KH·KW terms, dw and dbias B·OH·OW terms.
  expectWithin('dx', fast[0], exact[0], js[0], scale[0], OCg * g.KH * g.KW, c);
  expectWithin('dw', fast[1], exact[1], js[1], scale[1], B * P, c);
  expectWithin('dbias', fast[2], exact[2], js[2], scale[2], B * P, c);
  for (let k = 0; k < 3; k++) if (!grads[k]) expect(fast[k]).toEqual(init[k]);
}

function transposeCheck(c: Case, bias: boolean, grads: [boolean, boolean, boolean]): void {
  // The transposed convolution of the conv c describes: x has that conv's output grid and OCg·G channels.
  const { B, G, Cg, OCg, g, seed } = c;
  const Cin = OCg * G, OC = Cg * G, KK = g.KH * g.KW, P = g.OH * g.OW, HW = g.H * g.W;
  const x = rand(B * Cin * P, seed), w = rand(Cin * Cg * KK, seed + 1), b = bias ? rand(OC, seed + 2) : null;
  const fwd = [new Float32Array(B * OC * HW).fill(NaN), new Float32Array(B * OC * HW), new Float32Array(B * OC * HW), new Float32Array(B * OC * HW)];
  wasmConvTranspose2dForward(fwd[0], x, w, b, B, Cin, G, g);
  convTranspose2dForwardNaive(fwd[1], x, w, b, B, Cin, G, g);
  convTranspose2dForward(fwd[2], x, w, b, B, Cin, G, g);
  convTranspose2dForwardNaive(fwd[3], abs(x), abs(w), b === null ? null : abs(b), B, Cin, G, g);
  expectWithin('transposed out', fwd[0], fwd[1], fwd[2], fwd[3], OCg * KK, c);

  const dy = rand(B * OC * HW, seed + 3);
  const init = [rand(x.length, seed + 4), rand(w.length, seed + 5), rand(OC, seed + 6)];
  const pick = (k: number, v: Float32Array): Float32Array | null => (grads[k] ? v : null);
  const fast = init.map((a) => a.slice()), exact = init.map((a) => a.slice()), js = init.map((a) => a.slice()), scale = init.map(abs);
  wasmConvTranspose2dBackward(pick(0, fast[0]), pick(1, fast[1]), pick(2, fast[2]), dy, x, w, B, Cin, G, g);
  convTranspose2dBackwardNaive(pick(0, exact[0]), pick(1, exact[1]), pick(2, exact[2]), dy, x, w, B, Cin, G, g);
  convTranspose2dBackward(pick(0, js[0]), pick(1, js[1]), pick(2, js[2]), dy, x, w, B, Cin, G, g);
  convTranspose2dBackwardNaive(pick(0, scale[0]), pick(1, scale[1]), pick(2, scale[2]), abs(dy), abs(x), abs(w), B, Cin, G, g);
  expectWithin('transposed dx', fast[0], exact[0], js[0], scale[0], Cg * KK, c);
  expectWithin('transposed dw', fast[1], exact[1], js[1], scale[1], B * P, c);
  expectWithin('transposed dbias', fast[2], exact[2], js[2], scale[2], B * HW, c);
}

const grads3 = fc.tuple(fc.boolean(), fc.boolean(), fc.boolean());

describe('wasm convolution kernels against the naive oracle and the JS twin (tolerance 4·2⁻²⁴·(K + 2)·(1 + Σ|a||b|), K the terms of each sum)', () => {
  it('conv2d forward: random geometries (sizes 1, 3, 5, 17, strides 1–3, padding, dilation, groups), bias, accumulate', () => {
    fc.assert(fc.property(caseArb, fc.boolean(), fc.boolean(), (c, bias, acc) => forwardCheck(c, bias, acc)), { numRuns: 80 });
  });
  it('conv2d backward: random geometries, each subset of dx, dw, dbias, accumulating', () => {
    fc.assert(fc.property(caseArb, grads3, (c, gr) => backwardCheck(c, gr)), { numRuns: 80 });
  });
  it('transposed conv2d forward and backward: random geometries', () => {
    fc.assert(fc.property(caseArb, fc.boolean(), grads3, (c, bias, gr) => transposeCheck(c, bias, gr)), { numRuns: 40 });
  });
  for (const [name, c] of named()) {
    it(`${name}: forward, backward and transposed`, () => {
      forwardCheck(c, true, false);
      forwardCheck(c, false, true);
      backwardCheck(c, [true, true, true]);
      transposeCheck(c, true, [true, true, true]);
    });
  }

  it('batches staged in chunks of one and of two images (a lowered staging cap) give the same results within the tolerance', () => {
    const saved = convStaging.maxFloats;
    try {
      for (const c of [named()[5][1], named()[6][1], named()[8][1]]) {
        const perImage = c.G * c.Cg * c.g.H * c.g.W + c.G * c.OCg * c.g.OH * c.g.OW;
        for (const images of [1, 2]) {
          convStaging.maxFloats = images * perImage;
          const c3 = { ...c, B: 3 };
          forwardCheck(c3, true, true);
          backwardCheck(c3, [true, true, true]);
          transposeCheck(c3, true, [true, true, true]);
        }
      }
    } finally {
      convStaging.maxFloats = saved;
    }
  });

  it('a garbage output (NaN, Infinity) is fully overwritten by the forward pass', () => {
    const c = named()[6][1];
    const { B, G, Cg, OCg, g } = c;
    const OC = OCg * G;
    const out = new Float32Array(B * OC * g.OH * g.OW).fill(NaN);
    out[3] = Infinity;
    const ones = (n: number): Float32Array => new Float32Array(n).fill(1);
    wasmConv2dForward(out, ones(B * G * Cg * g.H * g.W), ones(OC * Cg * g.KH * g.KW), null, B, OC, G, g);
    const exact = new Float32Array(out.length);
    conv2dForwardNaive(exact, ones(B * G * Cg * g.H * g.W), ones(OC * Cg * g.KH * g.KW), null, B, OC, G, g);
    expect(out).toEqual(exact); // integer sums below 2^24 are exact in every order
  });

  it('the same results after the memory grew between calls, and a repeated call does not grow it', () => {
    const c = named()[5][1];
    const run = (): Float32Array[] => {
      const { B, G, Cg, OCg, g } = c;
      const OC = OCg * G, K = Cg * g.KH * g.KW;
      const x = rand(B * G * Cg * g.H * g.W, 1), w = rand(OC * K, 2), dy = rand(B * OC * g.OH * g.OW, 3);
      const out = new Float32Array(dy.length), dx = new Float32Array(x.length), dw = new Float32Array(w.length);
      wasmConv2dForward(out, x, w, null, B, OC, G, g);
      wasmConv2dBackward(dx, dw, null, dy, x, w, B, OC, G, g);
      return [out, dx, dw];
    };
    const before = run();
    ensureBytes(memoryBytes() + 2 * 65536);
    const size = memoryBytes();
    const after = run();
    expect(after).toEqual(before);
    expect(memoryBytes()).toBe(size);
  });
});
