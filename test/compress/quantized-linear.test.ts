import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, ShapeError, Tensor, noGrad, randn, tensor } from '../../src/tensor/index';
import { Conv2d, Linear, ReLU, Sequential } from '../../src/nn/index';
import { QuantizedLinear, quantizeDynamic } from '../../src/compress/index';
import { chooseQParams } from '../../src/compress/quantized-linear';
import { loadModel, saveModel } from '../../src/io/index';

interface DynamicCase {
  perChannel: boolean; inFeatures: number; outFeatures: number; weight: number[]; bias: number[] | null;
  qweight: number[]; scales: number[]; zeroPoints: number[];
  inputs: { shape: number[]; x: number[]; y: number[]; yFloat: number[] }[];
}
const fx = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/quant.json'), 'utf8')) as { dynamic: DynamicCase[] };

function linearFrom(c: DynamicCase): Linear {
  const lin = new Linear(c.inFeatures, c.outFeatures, { bias: c.bias !== null });
  lin.weight.data.set(c.weight);
  if (c.bias !== null) lin.bias!.data.set(c.bias);
  return lin;
}

describe('QuantizedLinear matches PyTorch 1.13 dynamic quantization', () => {
  it.each(fx.dynamic.map((c) => [`${c.inFeatures}→${c.outFeatures}${c.perChannel ? ' per channel' : ''}${c.bias ? '' : ' no bias'}`, c] as const))('%s', (_, c) => {
    const q = QuantizedLinear.fromFloat(linearFrom(c), { perChannel: c.perChannel });
    // The int8 weights and their scales are PyTorch's exactly.
    expect(Array.from(q.weight.data)).toEqual(c.qweight);
    expect(Array.from(q.weightScale.data)).toEqual(c.scales.map(Math.fround));
    expect(Array.from(q.weightZeroPoint.data)).toEqual(c.zeroPoints);
    for (const inp of c.inputs) {
      const y = q.forward(new Tensor(Float32Array.from(inp.x), inp.shape));
      // Outputs: PyTorch's engine here (onednn) rounds the activations its own way; the two agree
      // to within a few activation quanta, far inside the quantization error against float.
      const quantErr = Math.max(...inp.y.map((v, i) => Math.abs(v - inp.yFloat[i])));
      y.data.forEach((v, i) => expect(Math.abs(v - inp.y[i]), `output ${i}`).toBeLessThanOrEqual(0.02 * (1 + Math.abs(inp.y[i]))));
      const ours = Math.max(...Array.from(y.data, (v, i) => Math.abs(v - inp.yFloat[i])));
      expect(ours).toBeLessThanOrEqual(2 * quantErr + 1e-3);
    }
  });
});

describe('QuantizedLinear', () => {
  it('computes (qx − zx)(qw − zw) sums exactly: equal to the float product of the dequantized operands', () => {
    const rng = new Generator(3);
    const lin = new Linear(37, 9, { rng });
    const q = QuantizedLinear.fromFloat(lin);
    const x = randn([5, 37], { rng });
    const y = q.forward(x);
    // Reference: quantize x the same way, dequantize both operands and multiply in doubles.
    let lo = Infinity, hi = -Infinity;
    for (const v of x.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const { scale, zeroPoint } = chooseQParams(lo, hi, 0, 255, true);
    const inv = Math.fround(1 / scale);
    const wq = q.dequantizedWeight().data;
    for (let m = 0; m < 5; m++) {
      for (let n = 0; n < 9; n++) {
        let s = 0;
        for (let k = 0; k < 37; k++) {
          const r = Math.fround(x.data[m * 37 + k] * inv);
          let qx = Math.round(r);
          if (qx - r === 0.5 && qx % 2 !== 0) qx -= 1;
          qx = Math.min(127, Math.max(0, qx + zeroPoint));
          s += (qx - zeroPoint) * scale * wq[n * 37 + k];
        }
        expect(y.data[m * 9 + n]).toBeCloseTo(s + lin.bias!.data[n], 4);
      }
    }
  });

  it('stays close to the float layer (the error is the quantization step)', () => {
    const rng = new Generator(5);
    const lin = new Linear(64, 16, { rng });
    const x = randn([8, 64], { rng });
    const ref = noGrad(() => lin.forward(x));
    for (const perChannel of [false, true]) {
      const y = QuantizedLinear.fromFloat(lin, { perChannel }).forward(x);
      const err = Math.max(...Array.from(y.data, (v, i) => Math.abs(v - ref.data[i])));
      expect(err, perChannel ? 'per channel' : 'per tensor').toBeLessThan(0.05);
    }
  });

  it('takes any leading shape, and an empty batch', () => {
    const q = QuantizedLinear.fromFloat(new Linear(3, 2));
    expect(q.forward(randn([2, 4, 3])).shape).toEqual([2, 4, 2]);
    expect(q.forward(randn([0, 3])).shape).toEqual([0, 2]);
  });

  it('saves and loads with int8 weights (the file is about a quarter of the float one), same outputs', () => {
    const rng = new Generator(1);
    const net = new Sequential(new Linear(64, 64, { rng }), new ReLU(), new Linear(64, 10, { rng }));
    const floatBytes = saveModel(net).length;
    quantizeDynamic(net);
    const bytes = saveModel(net);
    expect(bytes.length).toBeLessThan(0.35 * floatBytes);
    const { model } = loadModel<Sequential>(bytes);
    const x = randn([4, 64], { rng });
    expect(Array.from(model.forward(x).data)).toEqual(Array.from(net.forward(x).data));
    expect((model[0] as QuantizedLinear).weight.dtype).toBe('I8');
  });

  it('loadStateDict refreshes the cached weight sums', () => {
    const rng = new Generator(2);
    const a = QuantizedLinear.fromFloat(new Linear(6, 3, { rng })), b = QuantizedLinear.fromFloat(new Linear(6, 3, { rng }));
    const x = randn([2, 6], { rng });
    b.forward(x);
    b.loadStateDict(a.stateDict());
    expect(Array.from(b.forward(x).data)).toEqual(Array.from(a.forward(x).data));
  });

  it('reuses its work buffers across calls: outputs do not depend on the batch sizes seen before', () => {
    const rng = new Generator(4);
    const lin = new Linear(20, 7, { rng });
    const a = QuantizedLinear.fromFloat(lin, { perChannel: true }), fresh = () => QuantizedLinear.fromFloat(lin, { perChannel: true });
    const big = randn([9, 20], { rng }), small = randn([2, 20], { rng });
    small.data.forEach((v, i) => { small.data[i] = 3 * v; });
    const y1 = Array.from(a.forward(big).data);
    expect(Array.from(a.forward(small).data)).toEqual(Array.from(fresh().forward(small).data));
    expect(Array.from(a.forward(big).data)).toEqual(y1);
    // A returned tensor is not overwritten by the next call.
    const kept = a.forward(small);
    const copy = Array.from(kept.data);
    a.forward(big);
    expect(Array.from(kept.data)).toEqual(copy);
  });

  it('refuses every non-finite input, at its first position (the fast check agrees with a scan)', () => {
    const q = QuantizedLinear.fromFloat(new Linear(3, 2));
    expect(() => q.forward(tensor([[1, 2, 3], [Infinity, -Infinity, NaN]]))).toThrow(/holds Infinity at element 3/);
    expect(() => q.forward(tensor([[1, 2, -Infinity]]))).toThrow(/holds -Infinity at element 2/);
    expect(q.forward(tensor([[-0, 0, 1e30]])).shape).toEqual([1, 2]);
  });

  it('refuses bad input with typed errors', () => {
    const q = QuantizedLinear.fromFloat(new Linear(3, 2));
    expect(() => q.forward(randn([2, 4]))).toThrow(ShapeError);
    expect(() => q.forward(tensor([[1, NaN, 0]]))).toThrow(/holds NaN at element 1/);
    expect(() => q.forward([1, 2, 3] as unknown as Tensor)).toThrow(/input must be a Tensor/);
    const bad = new Linear(2, 2);
    bad.weight.data[1] = NaN;
    expect(() => QuantizedLinear.fromFloat(bad)).toThrow(/holds NaN at element 1; only finite weights/);
    expect(() => QuantizedLinear.fromFloat(new Conv2d(1, 1, 1) as unknown as Linear)).toThrow(ArgumentError);
    expect(() => QuantizedLinear.fromFloat(new Linear(2, 2), { per_channel: true } as never)).toThrow(/did you mean 'perChannel'/);
  });
});

describe('quantizeDynamic', () => {
  it('swaps every Linear (nested too) and puts the model in eval mode', () => {
    const inner = new Sequential(new Linear(4, 4), new ReLU());
    const net = new Sequential(new Linear(3, 4), inner, new Linear(4, 2));
    expect(quantizeDynamic(net)).toBe(net);
    expect(net.modules().filter((m) => m instanceof QuantizedLinear).length).toBe(3);
    expect(net.modules().some((m) => m instanceof Linear)).toBe(false);
    expect(net.training).toBe(false);
    expect(net.forward(randn([2, 3])).shape).toEqual([2, 2]);
  });

  it('quantizes only the named layers when given names', () => {
    const net = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));
    quantizeDynamic(net, { modules: ['2'] });
    expect([net[0].constructor.name, net[2].constructor.name]).toEqual(['Linear', 'QuantizedLinear']);
  });

  it('refuses a model without Linear layers, unknown names and unsupported classes', () => {
    expect(() => quantizeDynamic(new Sequential(new ReLU()))).toThrow(/has no Linear, LSTM or GRU layer to quantize/);
    expect(() => quantizeDynamic(new Sequential(new Linear(2, 2)), { modules: ['7'] })).toThrow(/has no layer '7'/);
    expect(() => quantizeDynamic(new Sequential(new Linear(2, 2), new ReLU()), { modules: ['1'] })).toThrow(/layer '1' is a ReLU, not a Linear/);
    expect(() => quantizeDynamic(new Sequential(new Linear(2, 2)), { modules: [Conv2d as unknown as typeof Linear] })).toThrow(/Conv2d has no quantized form yet/);
    expect(() => quantizeDynamic({} as Sequential)).toThrow(ArgumentError);
  });
});

describe('half-precision storage (saveModel dtype F16 / BF16)', () => {
  it('halves the file, rounds to nearest even, and loads back as float32', () => {
    const rng = new Generator(4);
    const net = new Sequential(new Linear(32, 32, { rng }), new ReLU(), new Linear(32, 4, { rng }));
    const f32 = saveModel(net);
    for (const dtype of ['F16', 'BF16'] as const) {
      const bytes = saveModel(net, { dtype });
      expect(bytes.length, dtype).toBeLessThan(0.6 * f32.length);
      const { model } = loadModel<Sequential>(bytes);
      const w = (model[0] as Linear).weight.data, w0 = (net[0] as Linear).weight.data;
      expect(w).toBeInstanceOf(Float32Array);
      // Relative rounding error of one half-precision step at most: 2⁻¹¹ for F16, 2⁻⁸ for BF16.
      const tol = dtype === 'F16' ? 2 ** -11 : 2 ** -8;
      for (let i = 0; i < w.length; i++) expect(Math.abs(w[i] - w0[i])).toBeLessThanOrEqual(tol * Math.abs(w0[i]) + 1e-7);
      // Rounding is to nearest even: 1 + 2⁻¹¹ (a tie in F16) goes down to 1, 1 + 3·2⁻¹¹ up to 1 + 2⁻⁹.
      const lin = new Linear(2, 1, { bias: false });
      lin.weight.data.set([1 + 2 ** -11, 1 + 3 * 2 ** -11]);
      const back = loadModel<Linear>(saveModel(lin, { dtype: 'F16' })).model.weight.data;
      expect(Array.from(back)).toEqual([1, 1 + 2 ** -9]);
    }
  });

  it('keeps int8 buffers as they are and refuses other dtypes', () => {
    const net = quantizeDynamic(new Sequential(new Linear(8, 8)));
    const { model } = loadModel<Sequential>(saveModel(net, { dtype: 'F16' }));
    expect(Array.from((model[0] as QuantizedLinear).weight.data)).toEqual(Array.from((net[0] as QuantizedLinear).weight.data));
    expect(() => saveModel(net, { dtype: 'F8' as 'F16' })).toThrow(/dtype must be one of 'F32', 'F16', 'BF16'/);
  });
});

describe('QuantizedLinear.fromFloatWith', () => {
  it('refuses scales that are not positive, mismatched lengths and ranges past int8', () => {
    const w = new Tensor(new Float32Array(6).fill(1), [2, 3]);
    const ok = { scale: Float32Array.of(0.5), zeroPoint: Int32Array.of(0), quantMin: -8, quantMax: 7 };
    expect(Array.from(QuantizedLinear.fromFloatWith(w, null, ok).weight.data)).toEqual([2, 2, 2, 2, 2, 2]);
    expect(() => QuantizedLinear.fromFloatWith(w, null, { ...ok, scale: Float32Array.of(0) })).toThrow(/params.scale\[0\] must be a positive number/);
    expect(() => QuantizedLinear.fromFloatWith(w, null, { ...ok, scale: Float32Array.of(1, 1, 1) , zeroPoint: Int32Array.of(0, 0, 0) })).toThrow(ShapeError);
    expect(() => QuantizedLinear.fromFloatWith(w, null, { ...ok, quantMax: 200 })).toThrow(/within int8's \[-128, 127\]/);
    expect(() => QuantizedLinear.fromFloatWith(w, null, { ...ok, scale: [0.5] as unknown as Float32Array })).toThrow(/must be a Float32Array/);
  });
});
