import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ConvGeom } from '../../../src/tensor/kernels/conv';
import { qconv2dForward, qconv2dForwardNaive, type QConvParams } from '../../../src/tensor/kernels/int8';
import { WASM_INT8_MIN_WORK, buildInt8Module, wasmQconv2dForward } from '../../../src/tensor/kernels/wasm/int8';
import { simdSupported } from '../../../src/tensor/kernels/wasm/index';
import { seededUniform } from '../../helpers/check';

/** Seeded integers in [lo, hi]. */
function ints(n: number, seed: number, lo: number, hi: number): Int8Array {
  const r = seededUniform(n, seed), out = new Int8Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.min(hi - lo, Math.floor(((r[i] + 1) / 2) * (hi - lo + 1)));
  return out;
}

interface Case { B: number; groups: number; OC: number; g: ConvGeom; x: Float32Array; w: Int8Array; p: QConvParams }

const caseArb = fc.record({
  B: fc.integer({ min: 1, max: 3 }), groups: fc.integer({ min: 1, max: 2 }), Cg: fc.constantFrom(1, 2, 3, 5, 8, 16, 17, 32),
  OCg: fc.constantFrom(1, 3, 4, 5, 8, 13), H: fc.integer({ min: 1, max: 9 }), W: fc.integer({ min: 1, max: 11 }),
  KH: fc.integer({ min: 1, max: 3 }), KW: fc.integer({ min: 1, max: 3 }), SH: fc.integer({ min: 1, max: 2 }), SW: fc.integer({ min: 1, max: 2 }),
  PH: fc.integer({ min: 0, max: 2 }), PW: fc.integer({ min: 0, max: 2 }), DH: fc.integer({ min: 1, max: 2 }), DW: fc.integer({ min: 1, max: 2 }),
  zx: fc.integer({ min: 0, max: 255 }), zo: fc.integer({ min: 0, max: 255 }), relu: fc.boolean(), wide: fc.boolean(), seed: fc.nat(),
}).filter((r) => r.H + 2 * r.PH >= r.DH * (r.KH - 1) + 1 && r.W + 2 * r.PW >= r.DW * (r.KW - 1) + 1).map((r): Case => {
  const OH = Math.floor((r.H + 2 * r.PH - r.DH * (r.KH - 1) - 1) / r.SH) + 1, OW = Math.floor((r.W + 2 * r.PW - r.DW * (r.KW - 1) - 1) / r.SW) + 1;
  const g: ConvGeom = { C: r.Cg, H: r.H, W: r.W, KH: r.KH, KW: r.KW, OH, OW, SH: r.SH, SW: r.SW, PH: r.PH, PW: r.PW, DH: r.DH, DW: r.DW };
  const OC = r.OCg * r.groups, C = r.Cg * r.groups;
  // Inputs spread past both ends of the uint8 grid (clamping), with exact ties (x·inv = k + ½).
  const x = Float32Array.from(seededUniform(r.B * C * r.H * r.W, r.seed), (v, i) => (i % 7 === 0 ? (Math.round(v * 40) + 0.5) / 8 : v * (r.wide ? 60 : 8)));
  const w = ints(OC * r.Cg * r.KH * r.KW, r.seed + 1, -128, 127);
  const mult = Float32Array.from(seededUniform(OC, r.seed + 2), (v) => Math.fround((Math.abs(v) + 0.01) * (r.wide ? 0.05 : 0.002)));
  const k0 = Float64Array.from(seededUniform(OC, r.seed + 3), (v) => Math.round(v * 20000));
  return { B: r.B, groups: r.groups, OC, g, x, w, p: { inv: 8, zx: r.zx, mult, k0, zw: null, zo: r.zo, lo: r.relu ? r.zo : 0, so: Math.fround(0.037) } };
});

function run(k: typeof qconv2dForward, c: Case): { ret: number; out: Float32Array } {
  const out = new Float32Array(c.B * c.OC * c.g.OH * c.g.OW).fill(NaN);
  return { ret: k(out, c.x, c.B, c.w, c.g, c.groups, c.OC, c.p), out };
}

describe('qconv2dForward (int8 convolution with requantization)', () => {
  it('the JS kernel equals its naive twin exactly on random shapes, strides, padding, dilation and groups', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const a = run(qconv2dForward, c), b = run(qconv2dForwardNaive, c);
      expect(a.ret).toBe(-1);
      expect(Array.from(a.out)).toEqual(Array.from(b.out));
    }), { numRuns: 60 });
  });

  it('the JS kernel handles nonzero weight zero points as the naive twin does', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const zw = Float64Array.from({ length: c.OC }, (_, o) => (o % 3) - 1);
      const cz = { ...c, p: { ...c.p, zw } };
      expect(Array.from(run(qconv2dForward, cz).out)).toEqual(Array.from(run(qconv2dForwardNaive, cz).out));
    }), { numRuns: 20 });
  });

  it('returns the index of the first non-finite input', () => {
    fc.assert(fc.property(caseArb, fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity), (c, at, v) => {
      const x = c.x.slice();
      const i = at % x.length;
      x[i] = v;
      if (i + 1 < x.length) x[x.length - 1] = NaN;
      expect(run(qconv2dForward, { ...c, x }).ret).toBe(i);
      expect(run(qconv2dForwardNaive, { ...c, x }).ret).toBe(i);
    }), { numRuns: 20 });
  });
});

describe.runIf(simdSupported())('wasm qconv2dForward (int8 direct convolution) equals the naive twin exactly', () => {
  it('the module validates', () => {
    expect(WebAssembly.validate(buildInt8Module())).toBe(true);
  });

  it('on random shapes, strides, padding, dilation, groups, ties and clamping', () => {
    fc.assert(fc.property(caseArb, (c) => {
      // Only products past the JS fallback's threshold.
      fc.pre(c.B * c.g.OH * c.g.OW * c.g.C * c.g.KH * c.g.KW * c.OC >= WASM_INT8_MIN_WORK);
      const a = run(wasmQconv2dForward, c), b = run(qconv2dForwardNaive, c);
      expect(a.ret).toBe(-1);
      expect(Array.from(a.out)).toEqual(Array.from(b.out));
    }), { numRuns: 150 });
  });

  it('on the bench CNN shapes (3×3, padding 1, 16 to 64 channels)', () => {
    for (const [C, OC, HW, B] of [[32, 64, 14, 2], [64, 64, 8, 3], [16, 32, 28, 1], [1, 16, 28, 2]]) {
      const g: ConvGeom = { C, H: HW, W: HW, KH: 3, KW: 3, OH: HW, OW: HW, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1 };
      const x = Float32Array.from(seededUniform(B * C * HW * HW, C), (v) => v * 10);
      const w = ints(OC * C * 9, OC, -127, 127);
      const p: QConvParams = { inv: Math.fround(255 / 20), zx: 128, mult: new Float32Array(OC).fill(Math.fround(1e-3)), k0: new Float64Array(OC).fill(-300), zw: null, zo: 100, lo: 0, so: Math.fround(0.05) };
      const c: Case = { B, groups: 1, OC, g, x, w, p };
      expect(Array.from(run(wasmQconv2dForward, c).out)).toEqual(Array.from(run(qconv2dForwardNaive, c).out));
    }
  });

  it('returns the index of the first non-finite input', () => {
    fc.assert(fc.property(caseArb, fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity), (c, at, v) => {
      const x = c.x.slice();
      const i = at % x.length;
      x[i] = v;
      expect(run(wasmQconv2dForward, { ...c, x }).ret).toBe(i);
    }), { numRuns: 30 });
  });

  it('takes the JS kernel (same results) for nonzero weight zero points and constants near the int32 limit', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const zw = Float64Array.from({ length: c.OC }, (_, o) => (o % 3) - 1);
      const cz = { ...c, p: { ...c.p, zw } };
      expect(Array.from(run(wasmQconv2dForward, cz).out)).toEqual(Array.from(run(qconv2dForwardNaive, cz).out));
      const big = { ...c, p: { ...c.p, k0: new Float64Array(c.OC).fill(2 ** 31 - 1000) } };
      expect(Array.from(run(wasmQconv2dForward, big).out)).toEqual(Array.from(run(qconv2dForwardNaive, big).out));
    }), { numRuns: 20 });
  });
});
