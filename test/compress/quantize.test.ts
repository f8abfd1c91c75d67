import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError, Tensor, tensor } from '../../src/tensor/index';
import {
  MinMaxObserver, MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver, PerChannelMinMaxObserver,
  QuantizedTensor, dequantize, fakeQuantizePerChannelAffine, fakeQuantizePerTensorAffine, qRange, quantizePerChannel,
  quantizePerTensor, roundHalfEven, type ObserverBase, type QDtype, type QScheme,
} from '../../src/compress/index';
import { saveModel, loadModel } from '../../src/io/index';
import { Sequential } from '../../src/nn/index';

interface PerTensorCase { dtype: QDtype; scale: number; zeroPoint: number; x: number[]; q: number[]; dq: number[] }
interface PerChannelCase { dtype: QDtype; axis: number; shape: number[]; x: number[]; scales: number[]; zeroPoints: number[]; q: number[]; dq: number[] }
interface ObserverCase {
  observer: string; qscheme: string; dtype: QDtype; reduceRange: boolean; options: Record<string, number>; data: string;
  quantMin: number | null; quantMax: number | null;
  batches: { shape: number[]; x: number[] }[];
  steps: { minVal: number[]; maxVal: number[]; scale: number[]; zeroPoint: number[] }[];
}
interface FakeCase {
  kind: 'perTensor' | 'perChannel'; qmin: number; qmax: number; scale?: number; zeroPoint?: number; axis?: number;
  shape?: number[]; scales?: number[]; zeroPoints?: number[]; x: number[]; y: number[]; dy: number[]; dx: number[];
}
const fx = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/quant.json'), 'utf8')) as {
  perTensor: PerTensorCase[]; perChannel: PerChannelCase[]; observers: ObserverCase[]; fakeQuant: FakeCase[];
};

const SCHEME: Record<string, QScheme> = {
  per_tensor_affine: 'perTensorAffine', per_tensor_symmetric: 'perTensorSymmetric',
  per_channel_affine: 'perChannelAffine', per_channel_symmetric: 'perChannelSymmetric',
};
const OBSERVERS: Record<string, new (o: Record<string, unknown>) => ObserverBase> = {
  MinMaxObserver, MovingAverageMinMaxObserver, PerChannelMinMaxObserver, MovingAveragePerChannelMinMaxObserver,
} as unknown as Record<string, new (o: Record<string, unknown>) => ObserverBase>;

/**
 * float32 values compared exactly (the fixture holds them with 9 significant digits); −0 counts as
 * 0 (PyTorch's straight-through backward multiplies dy by a 0 mask, −dy·0 = −0).
 */
function f32(v: ArrayLike<number>): number[] {
  return Array.from(v, (x) => (x === 0 ? 0 : Math.fround(x)));
}

describe('roundHalfEven', () => {
  it('rounds ties to the even neighbour and everything else to the nearest', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 2.5000002, -3.7].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 0, 3, -4]);
  });
});

describe('quantizePerTensor / quantizePerChannel match PyTorch 1.13', () => {
  it.each(fx.perTensor.map((c) => [`${c.dtype} scale ${c.scale} zp ${c.zeroPoint}`, c] as const))('per tensor, %s (ties and saturation included)', (_, c) => {
    const q = quantizePerTensor(tensor(c.x), c.scale, c.zeroPoint, c.dtype);
    expect(q.data).toBeInstanceOf(c.dtype === 'qint8' ? Int8Array : Uint8Array);
    expect(Array.from(q.data)).toEqual(c.q);
    expect(Array.from(q.dequantize().data)).toEqual(f32(c.dq));
    expect(q.qscheme).toBe('perTensorAffine');
  });

  it.each(fx.perChannel.map((c) => [`${c.dtype} axis ${c.axis}`, c] as const))('per channel, %s', (_, c) => {
    const q = quantizePerChannel(new Tensor(Float32Array.from(c.x), c.shape), c.scales, c.zeroPoints, c.axis, c.dtype);
    expect(Array.from(q.data)).toEqual(c.q);
    expect(Array.from(dequantize(q).data)).toEqual(f32(c.dq));
    expect(q.axis).toBe(c.axis);
    expect(q.qscheme).toBe('perChannelAffine');
  });

  it('intRepr is an I8/U8 TypedBuffer sharing the integers', () => {
    const q = quantizePerTensor(tensor([[1, -1]]), 0.5, 0, 'qint8');
    const r = q.intRepr();
    expect([r.dtype, r.shape, r.toArray()]).toEqual(['I8', [1, 2], [2, -2]]);
    expect(r.data).toBe(q.data);
  });

  it('refuses non-finite values, bad scales, zero points outside the range and mismatched channel counts', () => {
    expect(() => quantizePerTensor(tensor([1, NaN]), 0.1, 0, 'qint8')).toThrow(/quantizePerTensor: x\[1\] is NaN; only finite values/);
    expect(() => quantizePerTensor(tensor([Infinity]), 0.1, 0, 'qint8')).toThrow(ArgumentError);
    expect(() => quantizePerTensor(tensor([1]), 0, 0, 'qint8')).toThrow(/scale must be a positive number/);
    expect(() => quantizePerTensor(tensor([1]), 1e-50, 0, 'qint8')).toThrow(/scale must be a positive number that float32 can hold/);
    expect(() => quantizePerTensor(tensor([1]), 0.1, 200, 'qint8')).toThrow(/zeroPoint must be an integer ≥ -128 and ≤ 127, got 200/);
    expect(() => quantizePerTensor(tensor([1]), 0.1, -1, 'quint8')).toThrow(ArgumentError);
    expect(() => quantizePerTensor(tensor([1]), 0.1, 0, 'int8' as QDtype)).toThrow(/dtype must be one of 'qint8', 'quint8'/);
    expect(() => quantizePerTensor([1] as unknown as Tensor, 0.1, 0, 'qint8')).toThrow(/x must be a Tensor/);
    expect(() => quantizePerChannel(tensor([[1, 2]]), [0.1], [0, 0], 1, 'qint8')).toThrow(ShapeError);
    expect(() => quantizePerChannel(tensor([[1, 2]]), [0.1, 0.1], [0, 0], 2, 'qint8')).toThrow(/axis/);
    expect(() => quantizePerChannel(tensor(1), [0.1], [0], 0, 'qint8')).toThrow(ShapeError);
    expect(() => new QuantizedTensor([2], 'qint8', new Uint8Array(2), Float32Array.of(1), Int32Array.of(0))).toThrow(/must be a Int8Array/);
    expect(() => new QuantizedTensor([3], 'qint8', new Int8Array(2), Float32Array.of(1), Int32Array.of(0))).toThrow(ShapeError);
    expect(() => dequantize(tensor([1]) as unknown as QuantizedTensor)).toThrow(/q must be a QuantizedTensor/);
  });

  it('qRange gives the dtype ranges', () => {
    expect([qRange('qint8'), qRange('quint8')]).toEqual([{ quantMin: -128, quantMax: 127 }, { quantMin: 0, quantMax: 255 }]);
  });
});

describe('observers match PyTorch 1.13 (min, max, scale and zero point after every batch)', () => {
  const cases = fx.observers.map((c) => [
    `${c.observer} ${c.qscheme} ${c.dtype}${c.reduceRange ? ' reduceRange' : ''}${c.quantMin !== null ? ` [${c.quantMin}, ${c.quantMax}]` : ''} ${c.data}`, c,
  ] as const);
  it('covers every observer, scheme, dtype, reduceRange and custom range', () => {
    expect(cases.length).toBeGreaterThanOrEqual(80);
  });
  it.each(cases)('%s', (_, c) => {
    const options: Record<string, unknown> = { dtype: c.dtype, qscheme: SCHEME[c.qscheme], reduceRange: c.reduceRange };
    if (c.options.averaging_constant !== undefined) options.averagingConstant = c.options.averaging_constant;
    if (c.options.ch_axis !== undefined) options.chAxis = c.options.ch_axis;
    if (c.quantMin !== null) Object.assign(options, { quantMin: c.quantMin, quantMax: c.quantMax });
    const obs = new OBSERVERS[c.observer](options);
    c.batches.forEach((b, i) => {
      const x = new Tensor(Float32Array.from(b.x), b.shape);
      expect(obs.forward(x)).toBe(x);
      const s = c.steps[i];
      const { minVal, maxVal } = obs as unknown as { minVal: Tensor; maxVal: Tensor };
      expect(Array.from(minVal.data), `minVal after batch ${i}`).toEqual(f32(s.minVal));
      expect(Array.from(maxVal.data), `maxVal after batch ${i}`).toEqual(f32(s.maxVal));
      const qp = obs.calculateQparams();
      expect(Array.from(qp.scale), `scale after batch ${i}`).toEqual(f32(s.scale));
      expect(Array.from(qp.zeroPoint), `zeroPoint after batch ${i}`).toEqual(s.zeroPoint);
    });
  });

  it('before any input: scale 1 and zero point 0, as PyTorch', () => {
    const qp = new MinMaxObserver().calculateQparams();
    expect([Array.from(qp.scale), Array.from(qp.zeroPoint)]).toEqual([[1], [0]]);
    expect(Array.from(new PerChannelMinMaxObserver().calculateQparams().scale)).toEqual([1]);
  });

  it('refuses bad options, NaN inputs, PyTorch\'s unsupported reduceRange case and changing channel counts', () => {
    expect(() => new MinMaxObserver({ qscheme: 'perChannelAffine' })).toThrow(/qscheme must be one of 'perTensorAffine', 'perTensorSymmetric'/);
    expect(() => new MinMaxObserver({ reduce_range: true } as never)).toThrow(/unknown option 'reduce_range' \(did you mean 'reduceRange'\?\)/);
    expect(() => new MinMaxObserver({ quantMin: 0 })).toThrow(/quantMin and quantMax must be given together/);
    expect(() => new MinMaxObserver({ quantMin: 1, quantMax: 5 })).toThrow(/must contain 0/);
    expect(() => new MinMaxObserver({ dtype: 'qint8', quantMin: -200, quantMax: 0 })).toThrow(/does not fit qint8/);
    expect(() => new MinMaxObserver({ qscheme: 'perTensorSymmetric', reduceRange: true })).toThrow(/reduceRange is not supported for symmetric quantization to quint8/);
    expect(() => new MovingAverageMinMaxObserver({ averagingConstant: 0 })).toThrow(ArgumentError);
    expect(() => new MinMaxObserver().forward(tensor([1, NaN]))).toThrow(/input element 1 is NaN/);
    const pc = new PerChannelMinMaxObserver();
    pc.forward(tensor([[1, 2], [3, 4]]));
    expect(() => pc.forward(tensor([[1, 2, 3]]))).toThrow(/input has 1 channels along axis 0, but the observer has seen 2/);
  });

  it('observers are modules: config round trip, and a saved model of observers loads back with its ranges', () => {
    const model = new Sequential(new MinMaxObserver({ dtype: 'qint8' }), new PerChannelMinMaxObserver({ chAxis: 1 }));
    model.forward(tensor([[-1, 2, 5], [0.5, 3, -2]]));
    const registry = { Sequential, MinMaxObserver, PerChannelMinMaxObserver };
    const { model: back } = loadModel<Sequential>(saveModel(model), { registry });
    const [a, b] = [...back.children()] as [MinMaxObserver, PerChannelMinMaxObserver];
    expect([a.minVal.item(), a.maxVal.item(), a.dtype]).toEqual([-2, 5, 'qint8']);
    expect([Array.from(b.minVal.data), Array.from(b.maxVal.data), b.chAxis]).toEqual([[-1, 2, -2], [0.5, 3, 5], 1]);
    const original = [...model.children()][1] as PerChannelMinMaxObserver;
    expect(Array.from(b.calculateQparams().scale)).toEqual(Array.from(original.calculateQparams().scale));
  });
});

describe('fake quantization matches PyTorch 1.13, forward and straight-through backward', () => {
  it.each(fx.fakeQuant.map((c) => [`${c.kind} [${c.qmin}, ${c.qmax}]${c.axis !== undefined ? ` axis ${c.axis}` : ` scale ${c.scale}`}`, c] as const))('%s', (_, c) => {
    const x = new Tensor(Float32Array.from(c.x), c.shape ?? [c.x.length]);
    x.requiresGrad = true;
    const y = c.kind === 'perTensor'
      ? fakeQuantizePerTensorAffine(x, c.scale!, c.zeroPoint!, c.qmin, c.qmax)
      : fakeQuantizePerChannelAffine(x, c.scales!, c.zeroPoints!, c.axis!, c.qmin, c.qmax);
    expect(f32(y.data)).toEqual(f32(c.y));
    y.backward(new Tensor(Float32Array.from(c.dy), x.shape));
    expect(f32(x.grad!)).toEqual(f32(c.dx));
  });

  it('refuses a reversed range, a zero point outside it and a non-positive scale', () => {
    expect(() => fakeQuantizePerTensorAffine(tensor([1]), 0.1, 0, 7, -8)).toThrow(/quantMin 7 must not exceed quantMax -8/);
    expect(() => fakeQuantizePerTensorAffine(tensor([1]), 0.1, 9, -8, 7)).toThrow(/zeroPoint 9 must lie in/);
    expect(() => fakeQuantizePerTensorAffine(tensor([1]), -1, 0, -8, 7)).toThrow(/scale must be a positive number/);
    expect(() => fakeQuantizePerChannelAffine(tensor([[1, 2]]), [0.1], [0], 1, -8, 7)).toThrow(ShapeError);
  });
});
