import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { maxPool2dForward, maxPool2dForwardNaive, type Pool2dParams } from '../../../src/tensor/kernels/pool';
import { wasmMaxPool2dForward } from '../../../src/tensor/kernels/wasm/pool';
import { seededUniform as rand } from '../../helpers/check';

const P2: Pool2dParams = { kH: 2, kW: 2, sH: 2, sW: 2, pH: 0, pW: 0, dH: 1, dW: 1 };

/** Runs the wasm kernel, the JS kernel and the naive oracle on inp; all three must agree exactly. */
function check(inp: Float32Array, p: Pool2dParams, B: number, C: number, H: number, W: number): void {
  const OH = Math.floor((H + 2 * p.pH - p.dH * (p.kH - 1) - 1) / p.sH) + 1;
  const OW = Math.floor((W + 2 * p.pW - p.dW * (p.kW - 1) - 1) / p.sW) + 1;
  const n = B * C * OH * OW;
  const res = [0, 1, 2].map(() => ({ out: new Float32Array(n).fill(7), am: new Int32Array(n).fill(-7) }));
  wasmMaxPool2dForward(res[0].out, res[0].am, inp, p, B, C, H, W, OH, OW);
  maxPool2dForward(res[1].out, res[1].am, inp, p, B, C, H, W, OH, OW);
  maxPool2dForwardNaive(res[2].out, res[2].am, inp, p, B, C, H, W, OH, OW);
  const what = JSON.stringify({ B, C, H, W, p });
  expect(res[0].out, what).toEqual(res[1].out);
  expect(res[0].am, what).toEqual(res[1].am);
  expect(res[0].out, what).toEqual(res[2].out);
  expect(res[0].am, what).toEqual(res[2].am);
}

const side = fc.oneof(fc.constantFrom(2, 3, 5, 17, 28, 29), fc.integer({ min: 2, max: 40 }));

describe('wasmMaxPool2dForward: bit-identical to the JS kernel and the naive oracle (values and argmax)', () => {
  it('2×2 stride 2: random planes, odd and even sizes (ragged last group of four), enough outputs for the wasm path', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }), side, side, fc.integer({ min: 0, max: 1e9 }), (B, C, H, W, seed) => {
      check(rand(B * C * H * W, seed), P2, B, C, H, W);
    }), { numRuns: 60 });
  });

  it('ties take the first tap in row-major order, NaN wins (the last NaN), −Infinity windows point at their first tap', () => {
    const B = 2, C = 8, H = 10, W = 14, n = B * C * H * W;
    const g = rand(n, 3);
    // Values from a small set, so most windows hold ties; NaN and −Infinity sprinkled in.
    const inp = Float32Array.from(g, (v, i) => (i % 37 === 0 ? NaN : i % 23 === 0 ? -Infinity : Math.round(v * 2)));
    for (let i = 0; i < 4 * W; i++) inp[i] = -Infinity;
    inp[5 * W + 3] = NaN; inp[5 * W + 2] = NaN; inp[4 * W + 2] = NaN;
    check(inp, P2, B, C, H, W);
  });

  it('other windows (3×3 stride 2 padding 1, 2×2 stride 1, dilation 2) take the JS kernel with the same results', () => {
    const inp = rand(2 * 4 * 17 * 17, 5);
    for (const p of [
      { ...P2, kH: 3, kW: 3, pH: 1, pW: 1 }, { ...P2, sH: 1, sW: 1 }, { ...P2, dH: 2, dW: 2 }, { ...P2, kW: 3 },
    ]) check(inp, p, 2, 4, 17, 17);
  });
});
