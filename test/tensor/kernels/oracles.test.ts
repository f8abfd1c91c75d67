import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { js, kernelNames, kernels, useKernels, type Kernels } from '../../../src/tensor/kernels/backend';
import { oracles } from '../../../src/tensor/kernels/oracles';
import type { ConvGeom } from '../../../src/tensor/kernels/conv';
import type { Pool2dParams } from '../../../src/tensor/kernels/pool';
import * as binaryK from '../../../src/tensor/kernels/binary';
import * as convK from '../../../src/tensor/kernels/conv';
import * as embeddingK from '../../../src/tensor/kernels/embedding';
import * as gatherK from '../../../src/tensor/kernels/gather';
import * as linalgK from '../../../src/tensor/kernels/linalg';
import * as int8K from '../../../src/tensor/kernels/int8';
import * as sparseK from '../../../src/tensor/kernels/sparse';
import * as matmulK from '../../../src/tensor/kernels/matmul';
import * as normK from '../../../src/tensor/kernels/norm';
import * as poolK from '../../../src/tensor/kernels/pool';
import * as reduceK from '../../../src/tensor/kernels/reduce';
import * as rnnK from '../../../src/tensor/kernels/rnn';
import * as softmaxK from '../../../src/tensor/kernels/softmax';
import * as stridedK from '../../../src/tensor/kernels/strided';
import * as unaryK from '../../../src/tensor/kernels/unary';
import { seededUniform as rand } from '../../helpers/check';

// Every kernel of the active backend against its naive twin (src/tensor/kernels/oracles.ts), on
// shapes drawn around 1, 3, 5 and 17 and ragged sizes in between. A new backend is checked against
// the whole table by adding it to BACKENDS.
const BACKENDS: [string, Kernels][] = [['js', js]];


/** A kernel call: its arguments, which of them the kernel writes, and the tolerance. */
interface Call {
  args: unknown[];
  outputs: number[];
  /** |fast − naive| ≤ tol · (1 + |naive|); integer outputs must be equal. */
  tol: number;
}

type Arr = Float32Array | Float64Array | Int32Array | Uint8Array;
const isArr = (v: unknown): v is Arr => v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array || v instanceof Uint8Array;
const clone = (args: unknown[]): unknown[] => args.map((a) => (isArr(a) ? a.slice() : a));

function compare(name: string, call: Call, fast: unknown[], slow: unknown[]): void {
  for (const k of call.outputs) {
    const f = fast[k], s = slow[k];
    if (f === null) continue;
    if (!isArr(f) || !isArr(s)) throw new Error(`${name}: argument ${k} is not an array`);
    for (let i = 0; i < f.length; i++) {
      const a = f[i], b = s[i];
      const ok = a === b || (f instanceof Int32Array || f instanceof Uint8Array ? false : (a !== a && b !== b) || Math.abs(a - b) <= call.tol * (1 + Math.abs(b)));
      if (!ok) throw new Error(`${name}: argument ${k}[${i}] = ${a}, naive ${b}`);
    }
  }
}

/** Runs the active backend's kernel and its oracle on copies of the same arguments. */
function checkKernel(name: keyof Kernels, call: Call): void {
  const fast = clone(call.args), slow = clone(call.args);
  (kernels[name] as (...a: unknown[]) => void)(...fast);
  (oracles[name] as (...a: unknown[]) => void)(...slow);
  compare(name, call, fast, slow);
}

const size = fc.oneof(fc.constantFrom(1, 3, 5, 17), fc.integer({ min: 1, max: 9 }));
const small = fc.oneof(fc.constantFrom(1, 3, 5), fc.integer({ min: 1, max: 4 }));
const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const maybe = <T>(keep: boolean, v: T): T | null => (keep ? v : null);

function contiguous(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    st[d] = s;
    s *= shape[d];
  }
  return st;
}
const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
/** Strides reading a tensor of `shape` with the dims where mask is true broadcast (stride 0). */
const broadcastStrides = (shape: readonly number[], mask: readonly boolean[]): number[] => {
  const st = contiguous(shape.map((n, d) => (mask[d] ? 1 : n)));
  return st.map((s, d) => (mask[d] ? 0 : s));
};

const shapeArb = fc.array(fc.oneof(fc.constantFrom(1, 3, 5), fc.integer({ min: 1, max: 4 }), fc.constant(17)), { minLength: 1, maxLength: 3 })
  .filter((s) => prod(s) <= 2000);
/** A permuted view: shape perm(base), strides the permuted contiguous strides of base. */
const permutedView = shapeArb.chain((base) => fc.shuffledSubarray(base.map((_, d) => d), { minLength: base.length }).map((perm) => {
  const st = contiguous(base);
  return { shape: perm.map((d) => base[d]), strides: perm.map((d) => st[d]), size: prod(base) };
}));

const convGeom = fc.record({
  B: fc.integer({ min: 1, max: 2 }), G: fc.integer({ min: 1, max: 3 }), Cg: fc.constantFrom(1, 1, 2, 3, 5), OCg: fc.constantFrom(1, 1, 3, 5),
  H: size, W: size, KH: fc.integer({ min: 1, max: 3 }), KW: fc.integer({ min: 1, max: 3 }),
  SH: fc.integer({ min: 1, max: 2 }), SW: fc.integer({ min: 1, max: 2 }), PH: fc.integer({ min: 0, max: 2 }), PW: fc.integer({ min: 0, max: 2 }),
  DH: fc.integer({ min: 1, max: 2 }), DW: fc.integer({ min: 1, max: 2 }), seed,
}).map((r) => {
  const OH = Math.floor((r.H + 2 * r.PH - r.DH * (r.KH - 1) - 1) / r.SH) + 1;
  const OW = Math.floor((r.W + 2 * r.PW - r.DW * (r.KW - 1) - 1) / r.SW) + 1;
  const g: ConvGeom = { C: r.Cg, H: r.H, W: r.W, KH: r.KH, KW: r.KW, OH, OW, SH: r.SH, SW: r.SW, PH: r.PH, PW: r.PW, DH: r.DH, DW: r.DW };
  return { ...r, OC: r.OCg * r.G, g };
}).filter((r) => r.g.OH >= 1 && r.g.OW >= 1);

const poolGeom = (dilated: boolean) => fc.record({
  B: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }), H: size, W: size,
  kH: fc.integer({ min: 1, max: 3 }), kW: fc.integer({ min: 1, max: 3 }), sH: fc.integer({ min: 1, max: 3 }), sW: fc.integer({ min: 1, max: 3 }),
  pH: fc.integer({ min: 0, max: 1 }), pW: fc.integer({ min: 0, max: 1 }),
  dH: fc.integer({ min: 1, max: dilated ? 2 : 1 }), dW: fc.integer({ min: 1, max: dilated ? 2 : 1 }), cip: fc.boolean(), seed,
}).map((r) => {
  const p: Pool2dParams = { kH: r.kH, kW: r.kW, sH: r.sH, sW: r.sW, pH: Math.min(r.pH, r.kH >> 1), pW: Math.min(r.pW, r.kW >> 1), dH: r.dH, dW: r.dW };
  const OH = Math.floor((r.H + 2 * p.pH - p.dH * (p.kH - 1) - 1) / p.sH) + 1;
  const OW = Math.floor((r.W + 2 * p.pW - p.dW * (p.kW - 1) - 1) / p.sW) + 1;
  return { ...r, p, OH, OW };
}).filter((r) => r.OH >= 1 && r.OW >= 1);

const orI = fc.record({ O: size, R: size, I: size, seed }).filter((r) => r.O * r.R * r.I <= 3000);

const rnnDims = fc.record({
  T: small, B: small, C: small, H: small, reverse: fc.boolean(), relu: fc.boolean(),
  bias: fc.boolean(), grads: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }), seed,
});

/** The weights and input of a recurrent layer with G gates. */
function rnnInputs(r: { T: number; B: number; C: number; H: number; bias: boolean; seed: number }, G: number) {
  const { T, B, C, H, seed: s } = r;
  return {
    x: rand(T * B * C, s), h0: rand(B * H, s + 1), c0: rand(B * H, s + 2),
    wIh: rand(G * H * C, s + 3, -0.6, 0.6), wHh: rand(G * H * H, s + 4, -0.6, 0.6),
    bIh: maybe(r.bias, rand(G * H, s + 5)), bHh: maybe(r.bias, rand(G * H, s + 6)),
    dhs: rand(T * B * H, s + 7), slots: (T + 1) * B * H,
  };
}

/** gemm with the given transpositions, random offsets and accumulate. */
const gemmCase = (tA: boolean, tB: boolean): fc.Arbitrary<Call> => fc.record({
  M: size, K: fc.oneof(size, fc.constant(33)), N: size, acc: fc.boolean(),
  aOff: fc.integer({ min: 0, max: 3 }), bOff: fc.integer({ min: 0, max: 3 }), oOff: fc.integer({ min: 0, max: 3 }), seed,
}).map((r) => ({
  args: [rand(r.oOff + r.M * r.N + 2, r.seed), r.oOff, rand(r.aOff + r.M * r.K + 2, r.seed + 1), r.aOff,
    rand(r.bOff + r.K * r.N + 2, r.seed + 2), r.bOff, r.M, r.K, r.N, tA, tB, r.acc],
  outputs: [0], tol: 1e-5,
}));
const TRANSPOSITIONS = [[false, false], [false, true], [true, false], [true, true]] as const;

/** A random CSR weight (N, K) with about `density` of its entries, and the dense operands. */
const csrCase = (backward: boolean): fc.Arbitrary<Call> => fc.record({
  M: size, K: size, N: size, density: fc.constantFrom(0, 0.05, 0.3, 1), bias: fc.boolean(), seed,
}).map((r) => {
  const keep = rand(r.N * r.K, r.seed + 3);
  const rowPtr = new Int32Array(r.N + 1), cols: number[] = [];
  for (let n = 0; n < r.N; n++) {
    for (let k = 0; k < r.K; k++) if ((keep[n * r.K + k] + 1) / 2 < r.density) cols.push(k);
    rowPtr[n + 1] = cols.length;
  }
  const colIdx = Int32Array.from(cols), values = rand(cols.length, r.seed + 4);
  return backward
    ? { args: [rand(r.M * r.K, r.seed), rand(r.M * r.N, r.seed + 1), rowPtr, colIdx, values, r.M, r.K, r.N], outputs: [0], tol: 1e-5 }
    : { args: [rand(r.M * r.N, r.seed), rand(r.M * r.K, r.seed + 1), rowPtr, colIdx, values, r.bias ? rand(r.N, r.seed + 2) : null, r.M, r.K, r.N], outputs: [0], tol: 1e-5 };
});

/** Random integers in [lo, hi] into an array of `Cls`. */
function randInts<T extends Uint8Array | Int8Array | Int32Array>(Cls: new (n: number) => T, n: number, s: number, lo: number, hi: number): T {
  const out = new Cls(n);
  const r = rand(n, s);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(((r[i] + 1) / 2) * (hi - lo + 1));
  return out;
}

/** Argument generators, one per oracle. */
const cases: Partial<Record<keyof Kernels, fc.Arbitrary<Call>>> = {
  gemm: fc.oneof(...TRANSPOSITIONS.map(([tA, tB]) => gemmCase(tA, tB))),
  csrLinearForward: csrCase(false),
  csrLinearBackwardInput: csrCase(true),
  gemmU8I8: fc.record({
    M: size, K: fc.oneof(size, fc.constantFrom(33, 255)), N: size, acc: fc.boolean(),
    aOff: fc.integer({ min: 0, max: 3 }), wOff: fc.integer({ min: 0, max: 3 }), oOff: fc.integer({ min: 0, max: 3 }), seed,
  }).map((r) => ({
    // Extremes included: 255 · −128 products at every k.
    args: [randInts(Int32Array, r.oOff + r.M * r.N + 2, r.seed, -1000, 1000), r.oOff,
      randInts(Uint8Array, r.aOff + r.M * r.K + 2, r.seed + 1, 0, 255), r.aOff,
      randInts(Int8Array, r.wOff + r.N * r.K + 2, r.seed + 2, -128, 127), r.wOff, r.M, r.K, r.N, r.acc],
    outputs: [0], tol: 0,
  })),
  im2rowU8: fc.record({
    C: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 1, max: 7 }), W: fc.integer({ min: 1, max: 7 }),
    KH: fc.integer({ min: 1, max: 3 }), KW: fc.integer({ min: 1, max: 3 }), SH: fc.integer({ min: 1, max: 3 }), SW: fc.integer({ min: 1, max: 3 }),
    PH: fc.integer({ min: 0, max: 2 }), PW: fc.integer({ min: 0, max: 2 }), DH: fc.integer({ min: 1, max: 2 }), DW: fc.integer({ min: 1, max: 2 }),
    pad: fc.integer({ min: 0, max: 255 }), off: fc.integer({ min: 0, max: 3 }), seed,
  }).filter((r) => r.H + 2 * r.PH >= r.DH * (r.KH - 1) + 1 && r.W + 2 * r.PW >= r.DW * (r.KW - 1) + 1).map((r) => {
    const OH = Math.floor((r.H + 2 * r.PH - r.DH * (r.KH - 1) - 1) / r.SH) + 1, OW = Math.floor((r.W + 2 * r.PW - r.DW * (r.KW - 1) - 1) / r.SW) + 1;
    const g: ConvGeom = { C: r.C, H: r.H, W: r.W, KH: r.KH, KW: r.KW, OH, OW, SH: r.SH, SW: r.SW, PH: r.PH, PW: r.PW, DH: r.DH, DW: r.DW };
    return {
      args: [randInts(Uint8Array, r.off + OH * OW * r.C * r.KH * r.KW + 2, r.seed, 0, 255), r.off,
        randInts(Uint8Array, r.off + r.C * r.H * r.W, r.seed + 1, 0, 255), r.off, r.pad, g],
      outputs: [0], tol: 0,
    };
  }),
  qconv2dForward: fc.record({
    B: fc.integer({ min: 1, max: 2 }), groups: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }), OCg: fc.integer({ min: 1, max: 5 }),
    H: fc.integer({ min: 1, max: 6 }), W: fc.integer({ min: 1, max: 6 }), KH: fc.integer({ min: 1, max: 3 }), KW: fc.integer({ min: 1, max: 3 }),
    S: fc.integer({ min: 1, max: 2 }), PD: fc.integer({ min: 0, max: 1 }), D: fc.integer({ min: 1, max: 2 }), zw: fc.boolean(), seed,
  }).filter((r) => r.H + 2 * r.PD >= r.D * (r.KH - 1) + 1 && r.W + 2 * r.PD >= r.D * (r.KW - 1) + 1).map((r) => {
    const OH = Math.floor((r.H + 2 * r.PD - r.D * (r.KH - 1) - 1) / r.S) + 1, OW = Math.floor((r.W + 2 * r.PD - r.D * (r.KW - 1) - 1) / r.S) + 1;
    const g: ConvGeom = { C: r.C, H: r.H, W: r.W, KH: r.KH, KW: r.KW, OH, OW, SH: r.S, SW: r.S, PH: r.PD, PW: r.PD, DH: r.D, DW: r.D };
    const OC = r.OCg * r.groups;
    const p = {
      inv: Math.fround(20), zx: 100, mult: Float32Array.from(rand(OC, r.seed), (v) => Math.fround(0.001 + Math.abs(v) * 0.01)),
      k0: Float64Array.from(rand(OC, r.seed + 1), (v) => Math.round(v * 1000)), zw: r.zw ? Float64Array.from(rand(OC, r.seed + 2), (v) => Math.round(v * 3)) : null,
      zo: 120, lo: 0, so: Math.fround(0.03),
    };
    return {
      args: [new Float32Array(r.B * OC * OH * OW), rand(r.B * r.C * r.groups * r.H * r.W, r.seed + 3).map((v) => v * 8), r.B,
        randInts(Int8Array, OC * r.C * r.KH * r.KW, r.seed + 4, -128, 127), g, r.groups, OC, p],
      outputs: [0], tol: 0,
    };
  }),
  mapRows: fc.record({
    shape: shapeArb, row: fc.constantFrom<keyof Kernels>('addRow', 'whereRow', 'maximumGradBRow', 'copyGradRow'),
    masks: fc.array(fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), { minLength: 3, maxLength: 3 }), seed,
  }).map(({ shape, row, masks, seed: s }) => {
    // Gradient row kernels read their first operand (dy) contiguous, whatever its strides say.
    const grad = row === 'maximumGradBRow' || row === 'copyGradRow';
    const ops = masks.map((m0, k) => {
      const m = grad && k === 0 ? [false, false, false] : m0;
      const st = broadcastStrides(shape, m);
      return { data: rand(prod(shape.map((n, d) => (m[d] ? 1 : n))), s + k), st };
    });
    const two = row === 'addRow' || row === 'copyGradRow';
    return {
      args: [rand(prod(shape), s + 9), shape, js[row], ops[0].data, ops[0].st, ops[1].data, ops[1].st,
        two ? null : ops[2].data, two ? null : ops[2].st],
      outputs: [0], tol: 0,
    };
  }),
  stridedCopy: fc.record({ v: permutedView, offset: fc.integer({ min: 0, max: 3 }), expand: fc.integer({ min: 0, max: 3 }), seed }).map(({ v, offset, expand, seed: s }) => {
    // A leading expanded dimension (stride 0) when `expand` > 1.
    const shape = expand > 1 ? [expand, ...v.shape] : v.shape, strides = expand > 1 ? [0, ...v.strides] : v.strides;
    return { args: [rand(prod(shape), s), rand(offset + v.size + 2, s + 1), offset, shape, strides], outputs: [0], tol: 0 };
  }),
  stridedAccumulate: fc.record({ v: permutedView, offset: fc.integer({ min: 0, max: 3 }), seed }).map(({ v, offset, seed: s }) => ({
    args: [rand(offset + v.size + 2, s), offset, v.shape, v.strides, rand(v.size, s + 1)], outputs: [0], tol: 0,
  })),
  stridedWrite: fc.record({ v: permutedView, offset: fc.integer({ min: 0, max: 3 }), seed }).map(({ v, offset, seed: s }) => ({
    args: [rand(offset + v.size + 2, s), offset, v.shape, v.strides, rand(v.size, s + 1)], outputs: [0], tol: 0,
  })),
  sumToShape: fc.record({ shape: shapeArb, mask: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), seed }).map(({ shape, mask, seed: s }) => ({
    args: [rand(prod(shape.map((n, d) => (mask[d] ? 1 : n))), s), rand(prod(shape), s + 1), shape, broadcastStrides(shape, mask)],
    outputs: [0], tol: 1e-6,
  })),
  sumForward: orI.map((r) => ({ args: [rand(r.O * r.I, r.seed), rand(r.O * r.R * r.I, r.seed + 1), 0.5, r.O, r.R, r.I], outputs: [0], tol: 1e-6 })),
  softmaxForward: orI.map((r) => ({ args: [rand(r.O * r.R * r.I, r.seed), rand(r.O * r.R * r.I, r.seed + 1, -8, 8), r.O, r.R, r.I], outputs: [0], tol: 1e-6 })),
  logSoftmaxForward: orI.map((r) => ({ args: [rand(r.O * r.R * r.I, r.seed), rand(r.O * r.R * r.I, r.seed + 1, -8, 8), r.O, r.R, r.I], outputs: [0], tol: 1e-6 })),
  softmaxBackward: orI.map((r) => {
    const n = r.O * r.R * r.I;
    return { args: [rand(n, r.seed), rand(n, r.seed + 1), rand(n, r.seed + 2, 0, 1), r.O, r.R, r.I], outputs: [0], tol: 1e-6 };
  }),
  logSoftmaxBackward: orI.map((r) => {
    const n = r.O * r.R * r.I;
    return { args: [rand(n, r.seed), rand(n, r.seed + 1), rand(n, r.seed + 2, -4, 0), r.O, r.R, r.I], outputs: [0], tol: 1e-6 };
  }),
  batchNormStats: fc.record({ N: size, C: size, L: size, seed }).filter((r) => r.N * r.C * r.L <= 3000).map((r) => ({
    args: [rand(r.C, r.seed), rand(r.C, r.seed + 1), rand(r.N * r.C * r.L, r.seed + 2, 2, 4), r.N, r.C, r.L], outputs: [0, 1], tol: 1e-5,
  })),
  batchNormBackward: fc.record({ N: size, C: size, L: size, training: fc.boolean(), grads: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), seed })
    .filter((r) => r.N * r.C * r.L <= 3000).map((r) => {
      const n = r.N * r.C * r.L, [gx, gw, gb, w] = r.grads;
      return {
        args: [maybe(gx, rand(n, r.seed)), maybe(gw, rand(r.C, r.seed + 1)), maybe(gb, rand(r.C, r.seed + 2)), rand(n, r.seed + 3),
          rand(n, r.seed + 4), rand(r.C, r.seed + 5), rand(r.C, r.seed + 6, 0.5, 2), maybe(w, rand(r.C, r.seed + 7)), r.training, r.N, r.C, r.L],
        outputs: [0, 1, 2], tol: 1e-5,
      };
    }),
  conv2dForward: fc.record({ c: convGeom, bias: fc.boolean(), acc: fc.boolean() }).map(({ c, bias, acc }) => ({
    args: [rand(c.B * c.OC * c.g.OH * c.g.OW, c.seed), rand(c.B * c.G * c.Cg * c.H * c.W, c.seed + 1), rand(c.OC * c.Cg * c.KH * c.KW, c.seed + 2),
      maybe(bias, rand(c.OC, c.seed + 3)), c.B, c.OC, c.G, c.g, acc],
    outputs: [0], tol: 1e-5,
  })),
  conv2dBackward: fc.record({ c: convGeom, grads: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }) }).map(({ c, grads: [gx, gw, gb] }) => ({
    args: [maybe(gx, rand(c.B * c.G * c.Cg * c.H * c.W, c.seed)), maybe(gw, rand(c.OC * c.Cg * c.KH * c.KW, c.seed + 1)), maybe(gb, rand(c.OC, c.seed + 2)),
      rand(c.B * c.OC * c.g.OH * c.g.OW, c.seed + 3), rand(c.B * c.G * c.Cg * c.H * c.W, c.seed + 4), rand(c.OC * c.Cg * c.KH * c.KW, c.seed + 5),
      c.B, c.OC, c.G, c.g],
    outputs: [0, 1, 2], tol: 1e-5,
  })),
  // The transposed convolution of the conv `g` describes: x has that conv's output grid and OC channels.
  convTranspose2dForward: fc.record({ c: convGeom, bias: fc.boolean() }).map(({ c, bias }) => ({
    args: [rand(c.B * c.G * c.Cg * c.H * c.W, c.seed), rand(c.B * c.OC * c.g.OH * c.g.OW, c.seed + 1), rand(c.OC * c.Cg * c.KH * c.KW, c.seed + 2),
      maybe(bias, rand(c.G * c.Cg, c.seed + 3)), c.B, c.OC, c.G, c.g],
    outputs: [0], tol: 1e-5,
  })),
  convTranspose2dBackward: fc.record({ c: convGeom, grads: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }) }).map(({ c, grads: [gx, gw, gb] }) => ({
    args: [maybe(gx, rand(c.B * c.OC * c.g.OH * c.g.OW, c.seed)), maybe(gw, rand(c.OC * c.Cg * c.KH * c.KW, c.seed + 1)), maybe(gb, rand(c.G * c.Cg, c.seed + 2)),
      rand(c.B * c.G * c.Cg * c.H * c.W, c.seed + 3), rand(c.B * c.OC * c.g.OH * c.g.OW, c.seed + 4), rand(c.OC * c.Cg * c.KH * c.KW, c.seed + 5),
      c.B, c.OC, c.G, c.g],
    outputs: [0, 1, 2], tol: 1e-5,
  })),
  maxPool2dForward: poolGeom(true).map((r) => {
    const n = r.B * r.C * r.OH * r.OW;
    return { args: [rand(n, r.seed), new Int32Array(n), rand(r.B * r.C * r.H * r.W, r.seed + 1), r.p, r.B, r.C, r.H, r.W, r.OH, r.OW], outputs: [0, 1], tol: 0 };
  }),
  avgPool2dForward: poolGeom(false).map((r) => ({
    args: [rand(r.B * r.C * r.OH * r.OW, r.seed), rand(r.B * r.C * r.H * r.W, r.seed + 1), r.p, r.cip, r.B, r.C, r.H, r.W, r.OH, r.OW], outputs: [0], tol: 1e-6,
  })),
  avgPool2dBackward: poolGeom(false).map((r) => ({
    args: [rand(r.B * r.C * r.H * r.W, r.seed), rand(r.B * r.C * r.OH * r.OW, r.seed + 1), r.p, r.cip, r.B, r.C, r.H, r.W, r.OH, r.OW], outputs: [0], tol: 1e-6,
  })),
  adaptiveAvgPool2dForward: fc.record({ B: small, C: small, H: size, W: size, OH: size, OW: size, seed }).map((r) => ({
    args: [rand(r.B * r.C * r.OH * r.OW, r.seed), rand(r.B * r.C * r.H * r.W, r.seed + 1), r.B, r.C, r.H, r.W, r.OH, r.OW], outputs: [0], tol: 1e-6,
  })),
  adaptiveAvgPool2dBackward: fc.record({ B: small, C: small, H: size, W: size, OH: size, OW: size, seed }).map((r) => ({
    args: [rand(r.B * r.C * r.H * r.W, r.seed), rand(r.B * r.C * r.OH * r.OW, r.seed + 1), r.B, r.C, r.H, r.W, r.OH, r.OW], outputs: [0], tol: 1e-6,
  })),
  lstmForward: rnnDims.map((r) => {
    const i = rnnInputs(r, 4);
    return {
      args: [rand(i.slots, r.seed), rand(i.slots, r.seed), rand(r.T * r.B * 4 * r.H, r.seed), i.x, i.h0, i.c0, i.wIh, i.wHh, i.bIh, i.bHh, r.T, r.B, r.C, r.H, r.reverse],
      outputs: [0, 1, 2], tol: 1e-5,
    };
  }),
  lstmBackward: rnnDims.map((r) => {
    const i = rnnInputs(r, 4), { T, B, C, H } = r, G = r.grads;
    // The saved state comes from the oracle forward, so the backward sees a consistent sequence.
    const hs = new Float32Array(i.slots), cs = new Float32Array(i.slots), gates = new Float32Array(T * B * 4 * H);
    oracles.lstmForward!(hs, cs, gates, i.x, i.h0, i.c0, i.wIh, i.wHh, i.bIh, i.bHh, T, B, C, H, r.reverse);
    return {
      args: [maybe(G[0], rand(T * B * C, r.seed)), maybe(G[1], rand(B * H, r.seed)), maybe(G[2], rand(B * H, r.seed)),
        maybe(G[3], rand(4 * H * C, r.seed)), maybe(G[4], rand(4 * H * H, r.seed)), maybe(G[5], rand(4 * H, r.seed)), maybe(G[6], rand(4 * H, r.seed)),
        i.dhs, maybe(r.relu, rand(B * H, r.seed + 9)), hs, cs, gates, i.x, i.wIh, i.wHh, T, B, C, H, r.reverse],
      outputs: [0, 1, 2, 3, 4, 5, 6], tol: 1e-5,
    };
  }),
  gruForward: rnnDims.map((r) => {
    const i = rnnInputs(r, 3);
    return {
      args: [rand(i.slots, r.seed), rand(r.T * r.B * 3 * r.H, r.seed), rand(r.T * r.B * r.H, r.seed), i.x, i.h0, i.wIh, i.wHh, i.bIh, i.bHh, r.T, r.B, r.C, r.H, r.reverse],
      outputs: [0, 1, 2], tol: 1e-5,
    };
  }),
  gruBackward: rnnDims.map((r) => {
    const i = rnnInputs(r, 3), { T, B, C, H } = r, G = r.grads;
    const hs = new Float32Array(i.slots), gates = new Float32Array(T * B * 3 * H), hn = new Float32Array(T * B * H);
    oracles.gruForward!(hs, gates, hn, i.x, i.h0, i.wIh, i.wHh, i.bIh, i.bHh, T, B, C, H, r.reverse);
    return {
      args: [maybe(G[0], rand(T * B * C, r.seed)), maybe(G[1], rand(B * H, r.seed)), maybe(G[3], rand(3 * H * C, r.seed)),
        maybe(G[4], rand(3 * H * H, r.seed)), maybe(G[5], rand(3 * H, r.seed)), maybe(G[6], rand(3 * H, r.seed)),
        i.dhs, hs, gates, hn, i.x, i.wIh, i.wHh, T, B, C, H, r.reverse],
      outputs: [0, 1, 2, 3, 4, 5], tol: 1e-5,
    };
  }),
  rnnForward: rnnDims.map((r) => {
    const i = rnnInputs(r, 1);
    return {
      args: [rand(i.slots, r.seed), i.x, i.h0, i.wIh, i.wHh, i.bIh, i.bHh, r.T, r.B, r.C, r.H, r.relu, r.reverse],
      outputs: [0], tol: 1e-5,
    };
  }),
  rnnBackward: rnnDims.map((r) => {
    const i = rnnInputs(r, 1), { T, B, C, H } = r, G = r.grads;
    const hs = new Float32Array(i.slots);
    oracles.rnnForward!(hs, i.x, i.h0, i.wIh, i.wHh, i.bIh, i.bHh, T, B, C, H, r.relu, r.reverse);
    return {
      args: [maybe(G[0], rand(T * B * C, r.seed)), maybe(G[1], rand(B * H, r.seed)), maybe(G[3], rand(H * C, r.seed)),
        maybe(G[4], rand(H * H, r.seed)), maybe(G[5], rand(H, r.seed)), maybe(G[6], rand(H, r.seed)),
        i.dhs, hs, i.x, i.wIh, i.wHh, T, B, C, H, r.relu, r.reverse],
      outputs: [0, 1, 2, 3, 4, 5], tol: 1e-5,
    };
  }),
};

describe('the oracle table', () => {
  it('names only kernels of the table, each with an argument generator here', () => {
    for (const name of Object.keys(oracles)) expect(kernelNames).toContain(name);
    expect(Object.keys(cases).sort()).toEqual(Object.keys(oracles).sort());
  });

  it('registers every naive twin a kernel file exports', () => {
    const modules = [binaryK, convK, embeddingK, gatherK, int8K, linalgK, matmulK, normK, poolK, reduceK, rnnK, softmaxK, sparseK, stridedK, unaryK];
    // maxPool2dBackwardNaive recomputes the argmax from the input, so its signature is not the kernel's.
    const otherSignature = new Set(['maxPool2dBackwardNaive']);
    const twins = modules.flatMap((m) => Object.entries(m)).filter(([n]) => n.endsWith('Naive') && !otherSignature.has(n));
    expect(twins.length).toBeGreaterThanOrEqual(Object.keys(oracles).length);
    for (const [n, f] of twins) expect(oracles[n.slice(0, -'Naive'.length) as keyof Kernels], n).toBe(f);
  });

  it('is not the kernel table itself (every oracle is a separate implementation)', () => {
    for (const [name, naive] of Object.entries(oracles)) expect(naive, name).not.toBe(js[name as keyof Kernels]);
  });
});

describe.each(BACKENDS)('every kernel of the %s backend against its naive twin', (_label, table) => {
  let previous: Kernels;
  beforeAll(() => { previous = useKernels(table); });
  afterAll(() => { useKernels(previous); });

  for (const [tA, tB] of TRANSPOSITIONS) {
    it(`gemm ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`, () => {
      fc.assert(fc.property(gemmCase(tA, tB), (call) => checkKernel('gemm', call)), { numRuns: 30 });
    });
  }
  for (const [name, arb] of Object.entries(cases) as [keyof Kernels, fc.Arbitrary<Call>][]) {
    if (name === 'gemm') continue; // above, once per transposition
    it(name, () => {
      fc.assert(fc.property(arb, (call) => checkKernel(name, call)), { numRuns: 30 });
    });
  }
});
