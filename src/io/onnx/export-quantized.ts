/**
 * ONNX export of the quantized layers of `tensorkit/compress` in the QDQ form: QuantizeLinear /
 * DequantizeLinear pairs around float ops, with the weights as int8 initializers (per tensor, or
 * per output channel with `axis` 0) and the static layers' biases as int32 initializers at scale
 * sₓ·s_w. onnxruntime runs the graph as written or fuses the pairs into its integer kernels
 * (QLinearConv, QLinearMatMul); the file keeps the integers either way.
 * @module
 */
import { Tensor } from '../../tensor/index';
import type { Module } from '../../nn/index';
import { ObserverBase } from '../../compress/observers';
import { quantizeWeightRows } from '../../compress/quantized-conv';
import { nearbyint } from '../../tensor/special';
import { DATA_TYPE } from './schema';
import { Graph, convAttrs, int_, join, linearNodes, unsupported, type AttrValue, type Emit, type Value } from './export-graph';

const f = Math.fround;

/** PyTorch's SMALL_SCALE_THRESHOLD, the least activation scale of a dynamic layer (as compress's chooseQParams). */
const SMALL_SCALE = f(6.1e-5);

type QDtype = 'qint8' | 'quint8';

/** A scale and zero-point pair of initializers (rank 0 per tensor, [C] per channel) and the Q/DQ attributes. */
function gridInits(g: Graph, path: string, scale: Float32Array, zp: ArrayLike<number>, dtype: QDtype, axis: number | null): { s: string; z: string; attrs: [string, AttrValue][] } {
  const per = axis !== null;
  const dims = per ? [scale.length] : [];
  const s = g.init(`${path}.scale`, dims, per ? Float32Array.from(scale) : Float32Array.of(scale[0]));
  const zs = per ? Array.from(zp) : [zp[0]];
  const z = g.init(`${path}.zero_point`, dims, dtype === 'qint8' ? Int8Array.from(zs) : Uint8Array.from(zs));
  return { s, z, attrs: per ? [['axis', int_(axis)]] : [] };
}

/**
 * x quantized to a grid and back (QuantizeLinear, DequantizeLinear), clipped to
 * [(lo − z)·s, (hi − z)·s] when the integer range [lo, hi] is narrower than the dtype's (the
 * 4-bit ranges of quantization-aware training): tensorkit's fake quantization, value for value.
 */
function qdq(g: Graph, path: string, x: Value, scale: Float32Array, zp: ArrayLike<number>, dtype: QDtype, axis: number | null, lo: number, hi: number): string {
  const { s, z, attrs } = gridInits(g, path, scale, zp, dtype, axis);
  let y = g.node('DequantizeLinear', path, [g.node('QuantizeLinear', path, [x.name, s, z], attrs), s, z], attrs);
  const [tlo, thi] = dtype === 'qint8' ? [-128, 127] : [0, 255];
  if (lo > tlo || hi < thi) {
    if (axis === null) {
      y = g.node('Clip', path, [y, g.scalar(`${path}.min`, f((lo - zp[0]) * scale[0])), g.scalar(`${path}.max`, f((hi - zp[0]) * scale[0]))]);
    } else {
      // Per-channel bounds, shaped to broadcast along the axis.
      const C = scale.length, r = x.sample.ndim, ax = axis < 0 ? axis + r : axis;
      const dims = Array.from({ length: r }, (_, i) => (i === ax ? C : 1));
      const mins = Float32Array.from({ length: C }, (_, c) => (lo - zp[c]) * scale[c]), maxs = Float32Array.from({ length: C }, (_, c) => (hi - zp[c]) * scale[c]);
      y = g.node('Max', path, [g.node('Min', path, [y, g.init(`${path}.max`, dims, maxs)]), g.init(`${path}.min`, dims, mins)]);
    }
  }
  return y;
}

/** An int8 weight as an initializer and its DequantizeLinear (per output channel along axis 0 when several scales). */
function dqWeight(g: Graph, path: string, q: Int8Array, dims: readonly number[], scale: Float32Array, zp: ArrayLike<number>): string {
  const w = g.init(`${path}.weight_quantized`, dims, q);
  const { s, z, attrs } = gridInits(g, `${path}.weight`, scale, zp, 'qint8', scale.length > 1 ? 0 : null);
  return g.node('DequantizeLinear', path, [w, s, z], attrs);
}

/** The fields the quantized layers share. */
interface IntLayer {
  weight: { data: Int8Array | Uint8Array | Int32Array; shape: readonly number[] };
  weightScale: Tensor;
  weightZeroPoint: { data: ArrayLike<number> };
  bias: Tensor | null;
}

interface StaticLayer extends IntLayer {
  inputScale: Tensor;
  inputZeroPoint: { data: ArrayLike<number> };
  scale: Tensor;
  zeroPoint: { data: ArrayLike<number> };
  relu: boolean;
}

/** A static layer's float bias as int32 at scale sₓ·s_w (PyTorch's QuantizeBias) and its DequantizeLinear. */
function dqBias(g: Graph, path: string, l: StaticLayer): string | null {
  if (l.bias === null) return null;
  const sx = l.inputScale.data[0], ws = l.weightScale.data, N = l.bias.size;
  const sb = Float32Array.from(ws, (sw) => f(sx * sw));
  const bq = Int32Array.from({ length: N }, (_, o) => nearbyint(f(l.bias!.data[o] * f(1 / sb[ws.length > 1 ? o : 0]))));
  const b = g.init(`${path}.bias_quantized`, [N], bq);
  const s = g.init(`${path}.bias_scale`, ws.length > 1 ? [N] : [], ws.length > 1 ? sb : Float32Array.of(sb[0]));
  return g.node('DequantizeLinear', path, [b, s], ws.length > 1 ? [['axis', int_(0)]] : []);
}

/** The input of a static layer on its grid, and its output requantized onto the output grid (then ReLU when fused: the grid clamped at its zero point). */
function staticLayer(g: Graph, m: Module, path: string, x: Value, body: (xq: Value) => string): Value {
  const l = m as unknown as StaticLayer;
  const xq: Value = { name: qdq(g, `${path}.input`, x, l.inputScale.data, l.inputZeroPoint.data, 'quint8', null, 0, 255), sample: x.sample };
  const sample = (m.forward as (t: Tensor) => Tensor)(x.sample);
  let y = qdq(g, `${path}.output`, { name: body(xq), sample }, l.scale.data, l.zeroPoint.data, 'quint8', null, 0, 255);
  if (l.relu) y = g.node('Relu', path, [y]);
  return { name: y, sample };
}

interface FakeQuant {
  activationPostProcess: ObserverBase & { chAxis?: number };
  fakeQuantEnabled: boolean;
  quantMin: number;
  quantMax: number;
}

/** A FakeQuantize's grid as it stands (the observers are frozen during export). */
function fqGrid(fq: FakeQuant): { scale: Float32Array; zeroPoint: Int32Array; axis: number | null } {
  const { scale, zeroPoint } = fq.activationPostProcess.calculateQparams();
  const ax = fq.activationPostProcess.chAxis;
  return { scale, zeroPoint, axis: ax !== undefined && scale.length > 1 ? ax : null };
}

/** A FakeQuantize on x: QDQ on its grid, or the identity when its fake quantization is off. */
function fakeQuantNodes(g: Graph, fq: Module, path: string, x: Value): string {
  const q = fq as unknown as FakeQuant;
  if (!q.fakeQuantEnabled) return g.node('Identity', path, [x.name]);
  const { scale, zeroPoint, axis } = fqGrid(q);
  return qdq(g, path, x, scale, zeroPoint, q.activationPostProcess.dtype, axis, q.quantMin, q.quantMax);
}

interface QatLayer {
  weight: Tensor;
  bias: Tensor | null;
  weightFakeQuant: Module;
  inputFakeQuant: Module | null;
  activationPostProcess: Module | null;
  relu: boolean;
}

/** A QAT layer: input fake quantizer, the weight as the int8 values its fake quantizer gives, the float op, ReLU, output fake quantizer. */
function qatLayer(g: Graph, m: Module, path: string, x: Value, op: (xin: Value, w: string, bias: string | null) => string): string {
  const l = m as unknown as QatLayer;
  const xin: Value = l.inputFakeQuant === null ? x : { name: fakeQuantNodes(g, l.inputFakeQuant, join(path, 'inputFakeQuant'), x), sample: x.sample };
  const wfq = l.weightFakeQuant as unknown as FakeQuant;
  let w: string;
  if (wfq.fakeQuantEnabled) {
    const { scale, zeroPoint } = fqGrid(wfq);
    const OC = l.weight.shape[0], q = new Int8Array(l.weight.size);
    quantizeWeightRows(q, l.weight.data, OC, l.weight.size / OC, { scale, zeroPoint, quantMin: wfq.quantMin, quantMax: wfq.quantMax });
    w = dqWeight(g, path, q, l.weight.shape, scale, zeroPoint);
  } else {
    w = g.param(`${path}.weight`, l.weight);
  }
  let y = op(xin, w, l.bias === null ? null : g.param(`${path}.bias`, l.bias));
  if (l.relu) y = g.node('Relu', path, [y]);
  if (l.activationPostProcess !== null) {
    const sample = (m.forward as (t: Tensor) => Tensor)(x.sample);
    y = fakeQuantNodes(g, l.activationPostProcess, join(path, 'activationPostProcess'), { name: y, sample });
  }
  return y;
}

const observer: Emit = (g, _m, path, x) => ({ name: g.node('Identity', path, [x.name]), sample: x.sample });
const recurrentRefused: Emit = (_g, m, path) => unsupported(m, path,
  'has no ONNX mapping: a dynamically quantized recurrent layer quantizes its input and hidden state at every time step, which ONNX\'s float LSTM/GRU nodes cannot express (com.microsoft\'s DynamicQuantizeLSTM is onnxruntime-only); export the float model instead');

/** @internal */
export const QUANTIZED: Record<string, Emit> = {
  QuantizedLinear(g, m, path, x) {
    // The dynamic grid of the input, as compress's chooseQParams: [min(x, 0), max(x, 0)] onto
    // [0, qmax], zero point round(−min/scale); then QDQ of x and a float product with the
    // dequantized int8 weight.
    const l = m as unknown as IntLayer & { reduceRange: boolean; inFeatures: number; outFeatures: number };
    const qmax = l.reduceRange ? 127 : 255;
    const zero = g.scalar(`${path}.zero`, 0);
    const lo = g.node('Min', path, [g.node('ReduceMin', path, [x.name], [['keepdims', int_(0)]]), zero]);
    const hi = g.node('Max', path, [g.node('ReduceMax', path, [x.name], [['keepdims', int_(0)]]), zero]);
    const scale = g.node('Max', path, [g.node('Div', path, [g.node('Sub', path, [hi, lo]), g.scalar(`${path}.qrange`, qmax)]), g.scalar(`${path}.small_scale`, SMALL_SCALE)]);
    const zf = g.node('Clip', path, [g.node('Round', path, [g.node('Neg', path, [g.node('Div', path, [lo, scale])])]), zero, g.scalar(`${path}.qmax`, qmax)]);
    const zp = g.node('Cast', path, [zf], [['to', int_(DATA_TYPE.UINT8)]]);
    const xd = g.node('DequantizeLinear', path, [g.node('QuantizeLinear', path, [x.name, scale, zp]), scale, zp]);
    const [N, K] = [l.outFeatures, l.inFeatures];
    const w = dqWeight(g, path, l.weight.data as Int8Array, [N, K], l.weightScale.data, l.weightZeroPoint.data);
    return linearNodes(g, path, { name: xd, sample: x.sample }, () => w, () => g.transpose(path, w, [1, 0]), l.bias === null ? null : g.param(`${path}.bias`, l.bias));
  },
  StaticQuantizedLinear(g, m, path, x) {
    const l = m as unknown as StaticLayer;
    return staticLayer(g, m, path, x, (xq) => {
      const w = dqWeight(g, path, l.weight.data as Int8Array, l.weight.shape, l.weightScale.data, l.weightZeroPoint.data);
      return linearNodes(g, path, xq, () => w, () => g.transpose(path, w, [1, 0]), dqBias(g, path, l));
    });
  },
  QuantizedConv2d(g, m, path, x) {
    const l = m as unknown as StaticLayer;
    return staticLayer(g, m, path, x, (xq) => {
      const w = dqWeight(g, path, l.weight.data as Int8Array, l.weight.shape, l.weightScale.data, l.weightZeroPoint.data);
      const b = dqBias(g, path, l);
      return g.node('Conv', path, b === null ? [xq.name, w] : [xq.name, w, b], convAttrs(m.config().options as Parameters<typeof convAttrs>[0], 2));
    });
  },
  FakeQuantize: (g, m, path, x) => fakeQuantNodes(g, m, path, x),
  QatLinear(g, m, path, x) {
    return qatLayer(g, m, path, x, (xin, w, bias) => linearNodes(g, path, xin, () => w, () => g.transpose(path, w, [1, 0]), bias));
  },
  QatConv2d(g, m, path, x) {
    const geometry = (m as unknown as { geometry: Parameters<typeof convAttrs>[0] }).geometry;
    return qatLayer(g, m, path, x, (xin, w, bias) => g.node('Conv', path, bias === null ? [xin.name, w] : [xin.name, w, bias], convAttrs(geometry, 2)));
  },
  // A model prepared for static quantization exports its float layers; the observers are identities.
  ObservedModule: (g, m, path, x) => g.emit((m as unknown as { module: Module }).module, join(path, 'module'), x),
  MinMaxObserver: observer,
  MovingAverageMinMaxObserver: observer,
  PerChannelMinMaxObserver: observer,
  MovingAveragePerChannelMinMaxObserver: observer,
  HistogramObserver: observer,
  // A sparse Linear runs as the dense product of its weight (ONNX has no sparse Gemm).
  SparseLinear(g, m, path, x) {
    const l = m as unknown as { toDense(): Tensor; bias: Tensor | null };
    const w = l.toDense();
    const name = g.param(`${path}.weight`, w);
    return linearNodes(g, path, x, () => name, () => g.transpose(path, name, [1, 0]), l.bias === null ? null : g.param(`${path}.bias`, l.bias));
  },
  QuantizedLSTM: recurrentRefused,
  QuantizedGRU: recurrentRefused,
};

/**
 * Runs `fn` (the export's trace) with every observer in the model recording nothing, so that
 * exporting a prepared or QAT model leaves its ranges as they were. @internal
 */
export function withObserversFrozen<T>(model: Module, fn: () => T): T {
  const frozen: ObserverBase[] = [];
  for (const m of model.modules()) {
    if (m instanceof ObserverBase && !Object.hasOwn(m, 'forward')) {
      Object.defineProperty(m, 'forward', { value: (x: Tensor) => x, configurable: true, writable: true });
      frozen.push(m);
    }
  }
  try {
    return fn();
  } finally {
    for (const m of frozen) delete (m as { forward?: unknown }).forward;
  }
}
