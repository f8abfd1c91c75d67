import { describe, it } from 'vitest';
import fc from 'fast-check';
import { conv2dForwardNaive, type ConvGeom } from '../../../src/tensor/kernels/conv';
import { wasmConv2dForward } from '../../../src/tensor/kernels/wasm/conv';
import { seededUniform as rand } from '../../helpers/check';


describe('wasmConv2dForward against conv2dForwardNaive (tolerance 4·2⁻²⁴·(C·KH·KW + 2)·(1 + Σ|x||w| + |bias|))', () => {
  it('random geometries: stride, padding, dilation, groups, bias, accumulate', () => {
    const arb = fc.record({
      B: fc.integer({ min: 1, max: 2 }), G: fc.integer({ min: 1, max: 2 }), Cg: fc.integer({ min: 1, max: 5 }),
      OCg: fc.constantFrom(1, 3, 4, 5, 8, 17), H: fc.integer({ min: 1, max: 12 }), W: fc.integer({ min: 1, max: 12 }),
      KH: fc.integer({ min: 1, max: 3 }), KW: fc.integer({ min: 1, max: 3 }), S: fc.integer({ min: 1, max: 2 }),
      P: fc.integer({ min: 0, max: 2 }), D: fc.integer({ min: 1, max: 2 }), bias: fc.boolean(), accumulate: fc.boolean(),
      seed: fc.integer({ min: 0, max: 1e9 }),
    });
    fc.assert(fc.property(arb, (c) => {
      const OH = Math.floor((c.H + 2 * c.P - c.D * (c.KH - 1) - 1) / c.S) + 1;
      const OW = Math.floor((c.W + 2 * c.P - c.D * (c.KW - 1) - 1) / c.S) + 1;
      if (OH < 1 || OW < 1) return;
      const g: ConvGeom = { C: c.Cg, H: c.H, W: c.W, KH: c.KH, KW: c.KW, OH, OW, SH: c.S, SW: c.S, PH: c.P, PW: c.P, DH: c.D, DW: c.D };
      const OC = c.OCg * c.G;
      const x = rand(c.B * c.G * c.Cg * c.H * c.W, c.seed), w = rand(OC * c.Cg * c.KH * c.KW, c.seed + 1);
      const bias = c.bias ? rand(OC, c.seed + 2) : null;
      const out0 = rand(c.B * OC * OH * OW, c.seed + 3);
      const fast = out0.slice(), slow = out0.slice();
      wasmConv2dForward(fast, x, w, bias, c.B, OC, c.G, g, c.accumulate);
      conv2dForwardNaive(slow, x, w, bias, c.B, OC, c.G, g, c.accumulate);
      // |x|, |w| < 1: Σ|x||w| ≤ C·KH·KW.
      const K = c.Cg * c.KH * c.KW;
      const tol = 4 * 2 ** -24 * (K + 2) * (2 + K + 1);
      for (let i = 0; i < fast.length; i++) {
        if (!(Math.abs(fast[i] - slow[i]) <= tol)) throw new Error(`out[${i}] = ${fast[i]}, naive ${slow[i]} (${JSON.stringify(c)})`);
      }
    }), { numRuns: 80 });
  });
});
