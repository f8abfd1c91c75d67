/**
 * `compressionReport`: what compression bought — stored size, parameters, sparsity, the metric
 * and the latency of the original model and the compressed one, side by side.
 */
import { Module } from '../nn/module';
import { ArgumentError } from '../tensor/errors';
import { noGrad } from '../tensor/autograd';
import { checkArg, func, instanceOf, parseOptions, posInt, object } from '../tensor/options';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { TypedBuffer } from '../tensor/typed';
import { SparseLinear } from './sparse-linear';

/** One model's figures in a {@link CompressionReport}. @category Compression */
export interface ModelFigures {
  /** Numbers stored in the state dict (every parameter and buffer element). */
  parameters: number;
  /**
   * Bytes of the stored tensors: 4 per float32 element, and each integer buffer's own width (1
   * for int8 weights and uint8 masks) — what a `saveModel` file holds apart from its JSON header.
   */
  bytes: number;
  /** Fraction of the layers' weight entries that are zero (pruned or not stored). */
  sparsity: number;
  /** The metric on the given data, or null without data. */
  metric: number | null;
  /** Median forward time on the data's inputs in milliseconds, or null without data. */
  latencyMs: number | null;
}

/** What {@link compressionReport} returns. @category Compression */
export interface CompressionReport {
  /** The original model's figures. */
  original: ModelFigures;
  /** The compressed model's figures. */
  compressed: ModelFigures;
  /** original bytes / compressed bytes. */
  sizeRatio: number;
  /** original latency / compressed latency (above 1: the compressed model is faster), or null. */
  speedup: number | null;
  /** The report as a text table. */
  toString(): string;
}

/** Inputs and targets for {@link compressionReport}. @category Compression */
export interface ReportData {
  /** The inputs, one batch: `forward(x)` is timed and scored. */
  x: Tensor;
  /** The targets the metric compares the predictions with. */
  y: Tensor;
}

/** Options of {@link compressionReport}. @category Compression */
export interface CompressionReportOptions {
  /** Inputs and targets to measure the metric and latency on. */
  data?: ReportData;
  /** `(yTrue, yPred) => number` with predictions from `forward(x)` (e.g. an accuracy on logits). */
  metric?: (yTrue: Tensor, yPred: Tensor) => number;
  /** Timed forward calls per model (default 5; the median is reported). */
  repeats?: number;
}

function figures(model: Module, o: CompressionReportOptions): ModelFigures {
  const sd = model.stateDict();
  let parameters = 0, bytes = 0;
  for (const k of Object.keys(sd)) {
    const t = sd[k];
    parameters += t.size;
    bytes += t instanceof Tensor ? 4 * t.size : t.data.BYTES_PER_ELEMENT * t.size;
  }
  let total = 0, zeros = 0;
  for (const m of model.modules()) {
    if (m instanceof SparseLinear) {
      total += m.inFeatures * m.outFeatures;
      zeros += m.inFeatures * m.outFeatures - m.nnz;
      continue;
    }
    const w = (m as unknown as { weight?: unknown }).weight;
    if (w instanceof Tensor || TypedBuffer.isTypedBuffer(w)) {
      const d = (w as Tensor | TypedBuffer).data;
      total += d.length;
      for (let i = 0; i < d.length; i++) if (d[i] === 0) zeros++;
    }
  }
  let metric: number | null = null, latencyMs: number | null = null;
  if (o.data !== undefined) {
    const { x, y } = o.data;
    const was = model.training;
    model.eval();
    const run = (): Tensor => noGrad(() => (model.forward as (t: Tensor) => unknown)(x)) as Tensor;
    const pred = run();
    if (!(pred instanceof Tensor)) throw new ArgumentError(`compressionReport: ${model.constructor.name}.forward must return a Tensor, got ${describe(pred)}`);
    if (o.metric !== undefined) metric = o.metric(y, pred);
    const times: number[] = [];
    for (let r = 0; r < (o.repeats ?? 5); r++) {
      const t0 = performance.now();
      run();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    latencyMs = times[times.length >> 1];
    model.train(was);
  }
  return { parameters, bytes, sparsity: total === 0 ? 0 : zeros / total, metric, latencyMs };
}

/**
 * Measures an original and a compressed model side by side: numbers stored, bytes of the stored
 * tensors, weight sparsity, and on `data` the metric and the median forward latency (eval
 * mode, no gradient). `toString()` prints a table.
 * @example
 * const net = new Sequential(new Linear(64, 64));
 * const q = new Sequential(QuantizedLinear.fromFloat(net[0] as Linear));
 * compressionReport(net, q).sizeRatio > 3.5; // true
 * @throws ArgumentError if a model is not a Module, an option is bad, or forward does not return a
 * Tensor.
 * @category Compression
 */
export function compressionReport(original: Module, compressed: Module, options: CompressionReportOptions = {}): CompressionReport {
  const op = 'compressionReport';
  checkArg(op, 'original', original, instanceOf(Module));
  checkArg(op, 'compressed', compressed, instanceOf(Module));
  const o = parseOptions(op, options, { data: object, metric: func, repeats: posInt }) as CompressionReportOptions;
  if (o.data !== undefined && !(o.data.x instanceof Tensor && o.data.y instanceof Tensor)) {
    throw new ArgumentError(`${op}: data must be { x: Tensor, y: Tensor }, got ${describe(o.data)}`);
  }
  const a = figures(original, o), b = figures(compressed, o);
  const speedup = a.latencyMs !== null && b.latencyMs !== null && b.latencyMs > 0 ? a.latencyMs / b.latencyMs : null;
  const sizeRatio = a.bytes / b.bytes;
  const fmt = (v: number | null, digits = 4): string => (v === null ? '—' : Number.isInteger(v) ? String(v) : v.toFixed(digits));
  const rows: [string, string, string][] = [
    ['parameters', fmt(a.parameters), fmt(b.parameters)],
    ['bytes', fmt(a.bytes), `${fmt(b.bytes)} (${sizeRatio.toFixed(2)}× smaller)`],
    ['sparsity', fmt(a.sparsity, 3), fmt(b.sparsity, 3)],
    ['metric', fmt(a.metric), fmt(b.metric)],
    ['latency ms', fmt(a.latencyMs, 3), speedup === null ? fmt(b.latencyMs, 3) : `${fmt(b.latencyMs, 3)} (${speedup.toFixed(2)}× faster)`],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length)), w1 = Math.max('original'.length, ...rows.map((r) => r[1].length));
  const text = [`${''.padEnd(w0)}  ${'original'.padStart(w1)}  compressed`, ...rows.map((r) => `${r[0].padEnd(w0)}  ${r[1].padStart(w1)}  ${r[2]}`)].join('\n');
  return { original: a, compressed: b, sizeRatio, speedup, toString: () => text };
}
