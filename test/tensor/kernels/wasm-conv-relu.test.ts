import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { reluBackward, reluForward } from '../../../src/tensor/kernels/unary';
import { WASM_RELU_MIN, wasmReluBackward, wasmReluForward } from '../../../src/tensor/kernels/wasm/relu';
import { seededUniform as rand } from '../../helpers/check';

/** Bit patterns, so that −0 and +0 differ (NaN compared as NaN: payloads may differ). */
function expectSameBits(a: Float32Array, b: Float32Array, what: string): void {
  expect(a.length).toBe(b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    if (ua[i] !== ub[i]) throw new Error(`${what}[${i}]: ${a[i]} (0x${ua[i].toString(16)}) vs JS ${b[i]} (0x${ub[i].toString(16)})`);
  }
}

const specials = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38];
/** Uniform values with specials sprinkled in at a seeded rate. */
function data(n: number, seed: number): Float32Array {
  const r = rand(n, seed);
  for (let i = 0; i < n; i++) if ((i * 7919 + seed) % 11 === 0) r[i] = specials[(i + seed) % specials.length];
  return r;
}

describe('wasm ReLU against the JS kernels: the same bits (−0, NaN, ±Infinity included)', () => {
  const size = fc.oneof(fc.constantFrom(1, 3, 5, 17, WASM_RELU_MIN - 1, WASM_RELU_MIN, WASM_RELU_MIN + 1, WASM_RELU_MIN + 3), fc.integer({ min: 1, max: 20000 }));
  it('reluForward: random sizes (ragged tails, both sides of the wasm threshold)', () => {
    fc.assert(fc.property(size, fc.integer({ min: 0, max: 1e6 }), (n, seed) => {
      const x = data(n, seed);
      const a = new Float32Array(n).fill(9), b = new Float32Array(n).fill(9);
      wasmReluForward(a, x, n);
      reluForward(b, x, n);
      expectSameBits(a, b, `out (n ${n})`);
    }), { numRuns: 40 });
  });
  it('reluBackward: random sizes, accumulating into dx, infinite and NaN gradients', () => {
    fc.assert(fc.property(size, fc.integer({ min: 0, max: 1e6 }), (n, seed) => {
      const x = data(n, seed), dy = data(n, seed + 1), dx0 = data(n, seed + 2);
      const a = dx0.slice(), b = dx0.slice();
      wasmReluBackward(a, dy, x, n);
      reluBackward(b, dy, x, n);
      expectSameBits(a, b, `dx (n ${n})`);
    }), { numRuns: 40 });
  });
  it('a masked negative finite gradient adds −0 (dx −0 stays −0), a masked infinite one adds +0', () => {
    const n = WASM_RELU_MIN;
    const x = new Float32Array(n).fill(-1), dy = new Float32Array(n).fill(-2), dx = new Float32Array(n).fill(-0);
    dy[1] = -Infinity;
    wasmReluBackward(dx, dy, x, n);
    expect(Object.is(dx[0], -0)).toBe(true);
    expect(Object.is(dx[1], 0)).toBe(true);
  });
});
