import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as js from '../../../src/tensor/kernels/unary';
import { logSoftmaxBackward, logSoftmaxForward, softmaxBackward, softmaxForward } from '../../../src/tensor/kernels/softmax';
import {
  buildUnaryModule, wasmExpForward, wasmGeluBackward, wasmGeluForward,
  wasmLogSoftmaxBackward, wasmLogSoftmaxForward, wasmMulByOutputBackward, wasmSigmoidBackward, wasmSigmoidForward, wasmSoftmaxBackward,
  wasmSoftmaxForward, wasmTanhBackward, wasmTanhForward,
} from '../../../src/tensor/kernels/wasm/unary';
import { setNumThreads } from '../../../src/index';
import { seededUniform as rand } from '../../helpers/check';

type Unary = (out: Float32Array, x: Float32Array, N: number) => void;
type Back = (dx: Float32Array, dy: Float32Array, v: Float32Array, N: number) => void;

/** One float32 ulp at 1, relative. */
const ULP = 2 ** -23;

const specials = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45, 1e-30, -1e-30, 88.72, 88.73, -87.33, -103.9, -104.5, 0.625, -0.625, 9.1, -9.1, 44.4, 3.4e38, -3.4e38];

/** Values over the ranges each function bends in (±20 uniform, and magnitudes from 1e-13 to 2e4), specials sprinkled in. */
function data(n: number, seed: number): Float32Array {
  const u = rand(2 * n, seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = i % 2 === 0 ? 20 * u[2 * i] : Math.sign(u[2 * i]) * Math.exp(20 * u[2 * i + 1] - 10);
    if ((i * 7919 + seed) % 13 === 0) x[i] = specials[(i + seed) % specials.length];
  }
  return x;
}

/**
 * a (wasm) against b (JS): equal NaN-ness, equal zeros' signs, and |a − b| ≤ abs + rel·scale[i]
 * (scale: |b| by default; for accumulating kernels the size of the terms, |dx| + |dy·g|, since the
 * JS kernel rounds the sum of an exact product once and the wasm one rounds the product too).
 */
function expectClose(a: Float32Array, b: Float32Array, rel: number, abs: number, what: string, scale?: Float32Array): void {
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(b[i])) {
      if (!Number.isNaN(a[i])) throw new Error(`${what}[${i}]: ${a[i]}, JS NaN`);
      continue;
    }
    if (a[i] === b[i]) {
      if (a[i] === 0 && Object.is(a[i], -0) !== Object.is(b[i], -0)) throw new Error(`${what}[${i}]: ${Object.is(a[i], -0) ? '-0' : '+0'}, JS the other zero`);
      continue;
    }
    const tol = abs + rel * (scale === undefined ? Math.abs(b[i]) : scale[i]);
    if (!(Math.abs(a[i] - b[i]) <= tol)) throw new Error(`${what}[${i}]: ${a[i]} vs JS ${b[i]} (tolerance ${tol})`);
  }
}

const size = fc.oneof(
  fc.constantFrom(1, 3, 5, 17, 255, 256, 257, 4095, 4101, 70001),
  fc.integer({ min: 1, max: 20000 }),
);

describe('wasm transcendental kernels against the JS kernels', () => {
  it('the module validates', () => {
    expect(WebAssembly.validate(buildUnaryModule())).toBe(true);
  });

  // eˣ, tanh and σ: 4 ulps (Cephes' fits, about 1 ulp, plus float32 evaluation); 1e-37 absolute
  // for subnormal results. GELU: 2e-6 relative, 1e-7 absolute (its exponent −z² in float32).
  const forward: [string, Unary, Unary, number, number][] = [
    ['exp', wasmExpForward, js.expForward, 4 * ULP, 1e-37],
    ['tanh', wasmTanhForward, js.tanhForward, 4 * ULP, 1e-37],
    ['sigmoid', wasmSigmoidForward, js.sigmoidForward, 4 * ULP, 1e-37],
    ['gelu', wasmGeluForward, js.geluForward, 2e-6, 1e-7],
  ];
  for (const [name, w, j, rel, abs] of forward) {
    it(`${name}: random sizes (ragged tails), NaN, ±Inf, −0, subnormals and overflow`, () => {
      fc.assert(fc.property(size, fc.integer({ min: 0, max: 1e6 }), (n, seed) => {
        const x = data(n, seed);
        const a = new Float32Array(n).fill(7), b = new Float32Array(n).fill(7);
        w(a, x, n);
        j(b, x, n);
        expectClose(a, b, rel, abs, `${name} (n ${n})`);
      }), { numRuns: 30 });
    });
  }

  it('the edges exactly: exp(±Inf), exp(NaN), tanh(±Inf) = ±1, tanh(−0) = −0, σ(±Inf), exp overflow to +Inf', () => {
    const x = Float32Array.from([Infinity, -Infinity, NaN, -0, 89, -104.5, 0, 1]);
    const xs = x;
    const out = new Float32Array(xs.length);
    wasmExpForward(out, xs, xs.length);
    expect(Array.from(out.subarray(0, 8))).toEqual([Infinity, 0, NaN, 1, Infinity, 0, 1, Math.fround(Math.E)]);
    wasmTanhForward(out, xs, xs.length);
    expect(Array.from(out.subarray(0, 4))).toEqual([1, -1, NaN, -0]);
    expect(Object.is(out[3], -0)).toBe(true);
    wasmSigmoidForward(out, xs, xs.length);
    expect(Array.from(out.subarray(0, 3))).toEqual([1, 0, NaN]);
  });

  const backward: [string, Back, Back, (x: Float32Array) => Float32Array, number, number][] = [
    ['mulByOutputBackward', wasmMulByOutputBackward, js.mulByOutputBackward, (x) => x.map(Math.exp), 2 * ULP, 1e-37],
    ['tanhBackward', wasmTanhBackward, js.tanhBackward, (x) => x.map(Math.tanh), 2 * ULP, 1e-37],
    ['sigmoidBackward', wasmSigmoidBackward, js.sigmoidBackward, (x) => x.map((v) => 1 / (1 + Math.exp(-v))), 2 * ULP, 1e-37],
    ['geluBackward', wasmGeluBackward, js.geluBackward, (x) => x, 2e-6, 1e-7],
  ];
  for (const [name, w, j, saved, rel, abs] of backward) {
    it(`${name}: accumulates into dx on random sizes, within the rounding of its terms`, () => {
      fc.assert(fc.property(size, fc.integer({ min: 0, max: 1e6 }), (n, seed) => {
        const x = data(n, seed).map((v) => (Number.isFinite(v) ? Math.max(-30, Math.min(30, v)) : v));
        const v = saved(x), dy = rand(n, seed + 1), dx0 = rand(n, seed + 2);
        const a = dx0.slice(), b = dx0.slice();
        w(a, dy, v, n);
        j(b, dy, v, n);
        const term = new Float32Array(n);
        const g = new Float32Array(n);
        j(g, dy, v, n); // dy·g'(v) alone
        for (let i = 0; i < n; i++) term[i] = Math.abs(dx0[i]) + Math.abs(g[i]);
        expectClose(a, b, rel, abs, `${name} (n ${n})`, term);
      }), { numRuns: 25 });
    });
  }
});

describe('wasm row softmax and log-softmax against the JS kernels', () => {
  /** [O, R] rows with a NaN row, an all −Inf row, a row with +Inf and a row with one −Inf. */
  function rows(O: number, R: number, seed: number): Float32Array {
    const x = rand(O * R, seed).map((v) => 12 * v);
    if (O > 4) {
      x[R + 1] = NaN;
      x.fill(-Infinity, 2 * R, 3 * R);
      x[3 * R + R - 1] = Infinity;
      x[4 * R] = -Infinity;
    }
    return x;
  }
  const shape = fc.tuple(fc.integer({ min: 1, max: 300 }), fc.oneof(fc.constantFrom(1, 3, 4, 5, 10, 16, 17, 64, 255, 1000), fc.integer({ min: 1, max: 300 })));

  // softmax rounds x − m in float32, as PyTorch's float32 kernels: e^(x − m) is then within
  // |x − m|·2⁻²⁴ relative of the exact, on top of the 4 ulps of exp and the division.
  it('softmax: random [O, R] shapes (padding rows to four with −Inf), NaN, ±Inf and −Inf rows', () => {
    fc.assert(fc.property(shape, fc.integer({ min: 0, max: 1e6 }), ([O, R], seed) => {
      const x = rows(O, R, seed);
      const a = new Float32Array(O * R), b = new Float32Array(O * R);
      wasmSoftmaxForward(a, x, O, R, 1);
      softmaxForward(b, x, O, R, 1);
      const scale = new Float32Array(O * R);
      for (let o = 0; o < O; o++) {
        let m = -Infinity;
        for (let r = 0; r < R; r++) m = Math.max(m, x[o * R + r]);
        for (let r = 0; r < R; r++) scale[o * R + r] = Math.abs(b[o * R + r]) * (4 + Math.abs(x[o * R + r] - m) / 2);
      }
      expectClose(a, b, ULP, 1e-37, `softmax [${O}, ${R}]`, scale);
    }), { numRuns: 40 });
  });

  it('logSoftmax: random [O, R] shapes, within 4 ulps of the magnitudes involved', () => {
    fc.assert(fc.property(shape, fc.integer({ min: 0, max: 1e6 }), ([O, R], seed) => {
      const x = rows(O, R, seed);
      const a = new Float32Array(O * R), b = new Float32Array(O * R);
      wasmLogSoftmaxForward(a, x, O, R, 1);
      logSoftmaxForward(b, x, O, R, 1);
      const scale = new Float32Array(O * R);
      for (let i = 0; i < O * R; i++) scale[i] = 1 + Math.abs(b[i]);
      expectClose(a, b, 4 * ULP, 0, `logSoftmax [${O}, ${R}]`, scale);
    }), { numRuns: 40 });
  });

  it('softmaxBackward and logSoftmaxBackward: accumulate into dx on random [O, R] shapes, within the rounding of the terms', () => {
    fc.assert(fc.property(shape, fc.integer({ min: 0, max: 1e6 }), ([O, R], seed) => {
      const x = rand(O * R, seed).map((v) => 6 * v), dy = rand(O * R, seed + 1), dx0 = rand(O * R, seed + 2);
      for (const [name, fwd, w, j] of [
        ['softmaxBackward', softmaxForward, wasmSoftmaxBackward, softmaxBackward],
        ['logSoftmaxBackward', logSoftmaxForward, wasmLogSoftmaxBackward, logSoftmaxBackward],
      ] as const) {
        const y = new Float32Array(O * R);
        fwd(y, x, O, R, 1);
        const a = dx0.slice(), b = dx0.slice();
        w(a, dy, y, O, R, 1);
        j(b, dy, y, O, R, 1);
        // The terms: |dx| + |y|·(|dy| + Σ|dy·y|) (softmax) or |dx| + |dy| + e^y·Σ|dy| (log-softmax).
        const scale = new Float32Array(O * R);
        for (let o = 0; o < O; o++) {
          let sy = 0, sd = 0;
          for (let r = 0; r < R; r++) { sy += Math.abs(dy[o * R + r] * y[o * R + r]); sd += Math.abs(dy[o * R + r]); }
          for (let r = 0; r < R; r++) {
            const i = o * R + r;
            scale[i] = Math.abs(dx0[i]) + (name === 'softmaxBackward' ? Math.abs(y[i]) * (Math.abs(dy[i]) + sy) : Math.abs(dy[i]) + Math.exp(y[i]) * sd);
          }
        }
        expectClose(a, b, 4 * ULP, 0, `${name} [${O}, ${R}]`, scale);
      }
    }), { numRuns: 40 });
  });

  it('an inner axis (I > 1) and short rows not a multiple of four take the JS kernel: identical bits', () => {
    const x = rand(6 * 50 * 3, 5);
    const a = new Float32Array(x.length), b = new Float32Array(x.length);
    wasmSoftmaxForward(a, x, 6, 50, 3);
    softmaxForward(b, x, 6, 50, 3);
    expect(a).toEqual(b);
    wasmLogSoftmaxForward(a.subarray(0, 300), x, 30, 10, 1);
    logSoftmaxForward(b.subarray(0, 300), x, 30, 10, 1);
    expect(a.subarray(0, 300)).toEqual(b.subarray(0, 300));
  });

  it('a row gives the same bits alone and in a batch (the path depends on the row length only)', () => {
    const R = 20, x = rand(64 * R, 8).map((v) => 5 * v);
    const all = new Float32Array(64 * R), one = new Float32Array(R);
    wasmSoftmaxForward(all, x, 64, R, 1);
    wasmSoftmaxForward(one, x.subarray(3 * R, 4 * R), 1, R, 1);
    expect(one).toEqual(all.subarray(3 * R, 4 * R));
    const e = new Float32Array(64 * R), e1 = new Float32Array(3);
    wasmTanhForward(e, x, 64 * R);
    wasmTanhForward(e1, x.subarray(100, 103), 3);
    expect(e1).toEqual(e.subarray(100, 103));
  });
});

describe('wasm transcendental kernels: bit-identical for 1, 2 and 3 threads', () => {
  it('exp, gelu backward, softmax and logSoftmax on sizes past the parallel threshold', () => {
    const n = 70001, x = data(n, 9), dy = rand(n, 10);
    const O = 300, R = 123, xr = rand(O * R, 11).map((v) => 10 * v);
    const run = (): Float32Array[] => {
      const e = new Float32Array(n), g = new Float32Array(n), s = new Float32Array(O * R), l = new Float32Array(O * R);
      wasmExpForward(e, x, n);
      wasmGeluBackward(g, dy, x, n);
      wasmSoftmaxForward(s, xr, O, R, 1);
      wasmLogSoftmaxForward(l, xr, O, R, 1);
      return [e, g, s, l];
    };
    try {
      setNumThreads(1);
      const one = run();
      for (const t of [2, 3]) {
        setNumThreads(t);
        const got = run();
        got.forEach((v, k) => expect(v, `output ${k} at ${t} threads`).toEqual(one[k]));
      }
    } finally {
      setNumThreads(1);
    }
  });
});
