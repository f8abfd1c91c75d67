import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ConvGeom } from '../../../src/tensor/kernels/conv';
import type { Pool2dParams } from '../../../src/tensor/kernels/pool';
import { wasmConv2dBackward, wasmConv2dForward } from '../../../src/tensor/kernels/wasm/conv';
import { wasmMaxPool2dForward } from '../../../src/tensor/kernels/wasm/pool';
import { wasmReluBackward, wasmReluForward } from '../../../src/tensor/kernels/wasm/relu';
import { forceParallel, forceWorkersOnly, workerChunkCounts } from '../../../src/tensor/kernels/wasm/threads';
import { Generator, randn, setNumThreads, tensor } from '../../../src/tensor/index';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, crossEntropy } from '../../../src/nn/index';
import { SGD } from '../../../src/optim/index';
import { seededUniform as rand } from '../../helpers/check';

/** Every element the same bits (Object.is: 0 and −0 differ, NaN equals NaN). */
function expectBitIdentical(x: ArrayLike<number>, y: ArrayLike<number>, what: string): void {
  expect(x.length, what).toBe(y.length);
  for (let i = 0; i < x.length; i++) {
    if (!Object.is(x[i], y[i])) throw new Error(`${what}: element ${i} is ${x[i]} and ${y[i]}`);
  }
}

/** One convolution: batch, groups, channels per group, output channels per group, geometry. */
interface Case { B: number; G: number; Cg: number; OCg: number; g: ConvGeom; seed: number }

function geom(r: { Cg: number; H: number; W: number; K: number; S: number; P: number; D: number }): ConvGeom | null {
  const OH = Math.floor((r.H + 2 * r.P - r.D * (r.K - 1) - 1) / r.S) + 1;
  const OW = Math.floor((r.W + 2 * r.P - r.D * (r.K - 1) - 1) / r.S) + 1;
  if (OH < 1 || OW < 1) return null;
  return { C: r.Cg, H: r.H, W: r.W, KH: r.K, KW: r.K, OH, OW, SH: r.S, SW: r.S, PH: r.P, PW: r.P, DH: r.D, DW: r.D };
}

// Batches around the 16 image chunks (1, odd, 16, 17, 33: several images per chunk, a short last chunk).
const caseArb: fc.Arbitrary<Case> = fc.record({
  B: fc.constantFrom(1, 2, 3, 5, 7, 16, 17, 33), G: fc.integer({ min: 1, max: 3 }), Cg: fc.constantFrom(1, 2, 4, 5),
  OCg: fc.constantFrom(2, 3, 4, 8, 17), H: fc.integer({ min: 1, max: 13 }), W: fc.integer({ min: 1, max: 13 }),
  K: fc.integer({ min: 1, max: 3 }), S: fc.integer({ min: 1, max: 3 }), P: fc.integer({ min: 0, max: 2 }), D: fc.integer({ min: 1, max: 2 }),
  seed: fc.integer({ min: 0, max: 1e9 }),
}).map((r): Omit<Case, 'g'> & { g: ConvGeom | null } => ({ B: r.B, G: r.G, Cg: r.Cg, OCg: r.OCg, g: geom(r), seed: r.seed }))
  .filter((c): c is Case => c.g !== null);
const CASES: Case[] = [
  ...fc.sample(caseArb, { numRuns: 40, seed: 13 }),
  // The bench CNN's layers at an odd batch: both input-gradient paths (scatter, flipped forward).
  { B: 9, G: 1, Cg: 1, OCg: 8, g: geom({ Cg: 1, H: 28, W: 28, K: 3, S: 1, P: 1, D: 1 })!, seed: 1 },
  { B: 9, G: 1, Cg: 8, OCg: 16, g: geom({ Cg: 8, H: 14, W: 14, K: 3, S: 1, P: 1, D: 1 })!, seed: 2 },
  { B: 5, G: 2, Cg: 4, OCg: 5, g: geom({ Cg: 4, H: 11, W: 9, K: 3, S: 2, P: 1, D: 1 })!, seed: 3 },
];

/** Forward (with bias, accumulating into a random out) and backward (dx, dw, dbias accumulating), concatenated. */
function runConv(c: Case): Float32Array[] {
  const { B, G, Cg, OCg, g, seed } = c;
  const OC = OCg * G, K = Cg * g.KH * g.KW, nx = B * G * Cg * g.H * g.W, ny = B * OC * g.OH * g.OW;
  const x = rand(nx, seed), w = rand(OC * K, seed + 1), b = rand(OC, seed + 2), dy = rand(ny, seed + 3);
  const out = rand(ny, seed + 4), out2 = new Float32Array(ny);
  wasmConv2dForward(out, x, w, b, B, OC, G, g, true);
  wasmConv2dForward(out2, x, w, null, B, OC, G, g);
  const dx = rand(nx, seed + 5), dw = rand(OC * K, seed + 6), db = rand(OC, seed + 7);
  wasmConv2dBackward(dx, dw, db, dy, x, w, B, OC, G, g);
  return [out, out2, dx, dw, db];
}

const P2: Pool2dParams = { kH: 2, kW: 2, sH: 2, sW: 2, pH: 0, pW: 0, dH: 1, dW: 1 };
/** Pooling shapes (batch, channels, height, width): odd sides, planes around the 16 chunks. */
const POOLS: [number, number, number, number][] = [[1, 1, 16, 16], [3, 5, 17, 29], [9, 8, 28, 28], [17, 2, 6, 9], [33, 1, 5, 7], [2, 3, 40, 3]];

function runPool([B, C, H, W]: [number, number, number, number], seed: number): ArrayLike<number>[] {
  const OH = H >> 1, OW = W >> 1, n = B * C * OH * OW;
  const x = rand(B * C * H * W, seed);
  for (let i = 0; i < x.length; i += 41) x[i] = x[i + 1] ?? 0; // some ties
  const out = new Float32Array(n).fill(7), am = new Int32Array(n).fill(-7);
  wasmMaxPool2dForward(out, am, x, P2, B, C, H, W, OH, OW);
  return [out, am];
}

function runRelu(N: number, seed: number): Float32Array[] {
  const x = rand(N, seed).map((v, i) => (i % 97 === 0 ? NaN : i % 89 === 0 ? -0 : v));
  const out = new Float32Array(N), dx = rand(N, seed + 1);
  wasmReluForward(out, x, N);
  wasmReluBackward(dx, rand(N, seed + 2), x, N);
  return [out, dx];
}

/** Parameters after two SGD steps of a small CNN (conv, ReLU, 2×2 max pooling twice, a dense head) on an odd batch. */
function cnnSteps(): Float32Array[] {
  const g = new Generator(5);
  const model = new Sequential(
    new Conv2d(1, 8, 3, { padding: 1, rng: g }), new ReLU(), new MaxPool2d(2),
    new Conv2d(8, 16, 3, { padding: 1, rng: g }), new ReLU(), new MaxPool2d(2),
    new Flatten(), new Linear(16 * 4 * 4, 5, { rng: g }),
  );
  const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const x = randn([19, 1, 16, 16], { rng: g }), y = tensor(Array.from({ length: 19 }, (_, i) => i % 5));
  for (let s = 0; s < 2; s++) {
    opt.zeroGrad();
    crossEntropy(model.forward(x), y).backward();
    opt.step();
  }
  return model.parameters().map((p) => p.data.slice());
}

describe('convolution, pooling and ReLU in fixed chunks: bit-identical for 1, 2 and 3 threads', () => {
  let one: { conv: Float32Array[][]; pool: ArrayLike<number>[][]; relu: Float32Array[][]; cnn: Float32Array[] };
  const all = () => ({
    conv: CASES.map(runConv), pool: POOLS.map((s, i) => runPool(s, 100 + i)),
    relu: [4096, 4099, 70001, 262147].map((n, i) => runRelu(n, 200 + i)), cnn: cnnSteps(),
  });
  const compare = (got: typeof one, what: string): void => {
    got.conv.forEach((r, i) => r.forEach((a, k) => expectBitIdentical(a, one.conv[i][k], `${what}, conv ${JSON.stringify(CASES[i])} output ${k}`)));
    got.pool.forEach((r, i) => r.forEach((a, k) => expectBitIdentical(a, one.pool[i][k], `${what}, pool ${POOLS[i].join('×')} output ${k}`)));
    got.relu.forEach((r, i) => r.forEach((a, k) => expectBitIdentical(a, one.relu[i][k], `${what}, relu case ${i} output ${k}`)));
    got.cnn.forEach((p, i) => expectBitIdentical(p, one.cnn[i], `${what}, CNN parameter ${i}`));
  };
  beforeAll(() => {
    setNumThreads(1);
    one = all();
  });
  afterEach(() => {
    forceWorkersOnly(false);
    forceParallel(false);
  });
  afterAll(() => setNumThreads(1));

  for (const threads of [2, 3]) {
    it(`${threads} threads, every call enlisting the workers (forced), the calling thread computing chunks too`, () => {
      setNumThreads(threads);
      forceParallel(true);
      const before = workerChunkCounts().reduce((a, b) => a + b, 0);
      compare(all(), `${threads} threads`);
      // The workers took part (so the comparison compares threaded runs).
      expect(workerChunkCounts().reduce((a, b) => a + b, 0)).toBeGreaterThan(before);
    });
  }

  it('2 threads with the workers computing every chunk, and 2 threads at the kernels\' own thresholds', () => {
    setNumThreads(2);
    forceParallel(true);
    forceWorkersOnly(true);
    compare(all(), 'workers only');
    forceWorkersOnly(false);
    forceParallel(false);
    compare(all(), 'own thresholds');
  });

  it('the CNN training step changed the parameters (the comparison compares something)', () => {
    setNumThreads(1);
    const g = new Generator(5);
    const fresh = new Conv2d(1, 8, 3, { padding: 1, rng: g });
    expect(Array.from(one.cnn[0])).not.toEqual(Array.from(fresh.weight.data));
  });
});
