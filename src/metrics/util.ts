import { ArgumentError, ShapeError, Tensor } from '../tensor/index';
import type { Check } from '../tensor/options';

/**
 * A 1-D input of a metric: a plain array, a typed array or a Tensor of shape [N] (or [N, 1]).
 * @category Metrics
 */
export type MetricArray = readonly number[] | Float32Array | Float64Array | Int32Array | Tensor;

/**
 * A 2-D input of a metric (scores, probabilities, multi-output targets): nested arrays, one inner
 * array per sample, or a Tensor of shape [N, C].
 * @category Metrics
 */
export type MetricMatrix = readonly (readonly number[])[] | Tensor;

/** Values of a 1-D or 2-D input widened to float64, row-major. `f32` records a float32 source. @internal */
export interface Values {
  data: Float64Array;
  rows: number;
  cols: number;
  ndim: 1 | 2;
  f32: boolean;
}

function isMatrixArray(x: unknown): x is readonly (readonly number[])[] {
  return Array.isArray(x) && x.length > 0 && (Array.isArray(x[0]) || ArrayBuffer.isView(x[0]));
}

/** A 1-D or 2-D input as float64 values, finiteness checked. @internal */
export function values(fn: string, name: string, x: MetricArray | MetricMatrix): Values {
  let out: Values;
  if (x instanceof Tensor) {
    if (x.ndim === 1) out = { data: Float64Array.from(x.data), rows: x.shape[0], cols: 1, ndim: 1, f32: true };
    else if (x.ndim === 2) out = { data: Float64Array.from(x.data), rows: x.shape[0], cols: x.shape[1], ndim: 2, f32: true };
    else throw new ShapeError(`${fn}: ${name} must be 1-D or 2-D, got a tensor of shape [${x.shape.join(', ')}]`);
  } else if (isMatrixArray(x)) {
    const rows = x.length;
    const cols = x[0].length;
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const r = x[i];
      if (!(Array.isArray(r) || ArrayBuffer.isView(r)) || r.length !== cols) {
        throw new ShapeError(`${fn}: ${name} is ragged: row 0 has ${cols} values but row ${i} has ${(r as { length?: number })?.length ?? 'none'}`);
      }
      for (let j = 0; j < cols; j++) data[i * cols + j] = r[j];
    }
    out = { data, rows, cols, ndim: 2, f32: false };
  } else if (Array.isArray(x) || x instanceof Float32Array || x instanceof Float64Array || x instanceof Int32Array) {
    const data = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      data[i] = typeof v === 'number' ? v : NaN;
    }
    out = { data, rows: x.length, cols: 1, ndim: 1, f32: x instanceof Float32Array };
  } else {
    throw new ArgumentError(`${fn}: ${name} must be an array, a typed array or a Tensor, got ${x === null ? 'null' : typeof x}`);
  }
  const d = out.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      const at = out.ndim === 1 ? `${i}` : `${Math.floor(i / out.cols)}, ${i % out.cols}`;
      throw new ArgumentError(`${fn}: ${name}[${at}] is ${d[i]}; every value must be a finite number`);
    }
  }
  return out;
}

/** A 1-D input (a column [N, 1] is accepted) as float64, finiteness checked. @internal */
export function vector(fn: string, name: string, x: MetricArray): Float64Array {
  const v = values(fn, name, x);
  if (v.ndim === 2 && v.cols !== 1) throw new ShapeError(`${fn}: ${name} must be 1-D, got shape [${v.rows}, ${v.cols}]`);
  return v.data;
}

/** Labels: a 1-D input of integers. @internal */
export function labelVector(fn: string, name: string, x: MetricArray): Float64Array {
  const d = vector(fn, name, x);
  for (let i = 0; i < d.length; i++) {
    if (!Number.isInteger(d[i])) throw new ArgumentError(`${fn}: ${name}[${i}] is ${d[i]}; class labels must be integers`);
  }
  return d;
}

/** Throws a ShapeError naming both lengths unless they agree; also refuses empty inputs. @internal */
export function sameLength(fn: string, aName: string, a: number, bName: string, b: number): void {
  if (a !== b) throw new ShapeError(`${fn}: ${aName} has ${a} samples but ${bName} has ${b}`);
  if (a === 0) throw new ArgumentError(`${fn}: ${aName} and ${bName} are empty`);
}

/** Sample weights: finite, non-negative, one per sample; null when not given. @internal */
export function sampleWeights(fn: string, w: MetricArray | undefined | null, n: number): Float64Array | null {
  if (w === undefined || w === null) return null;
  const d = vector(fn, 'sampleWeight', w);
  if (d.length !== n) throw new ShapeError(`${fn}: sampleWeight has ${d.length} values but there are ${n} samples`);
  for (let i = 0; i < n; i++) if (d[i] < 0) throw new ArgumentError(`${fn}: sampleWeight[${i}] is ${d[i]}; weights must be non-negative`);
  return d;
}

/** Σ wᵢ·xᵢ / Σ wᵢ (NumPy's `average`); the plain mean when w is null. @internal */
export function average(fn: string, x: ArrayLike<number>, w: ArrayLike<number> | null): number {
  let s = 0;
  let sw = 0;
  for (let i = 0; i < x.length; i++) {
    const wi = w === null ? 1 : w[i];
    s += wi * x[i];
    sw += wi;
  }
  if (sw === 0) throw new ArgumentError(`${fn}: the weights sum to zero, so the weighted average is undefined`);
  return s / sw;
}

/** Sorted distinct values of all arrays (sklearn's `unique_labels`). @internal */
export function uniqueSorted(...xs: ArrayLike<number>[]): number[] {
  const set = new Set<number>();
  for (const x of xs) for (let i = 0; i < x.length; i++) set.add(x[i]);
  return [...set].sort((a, b) => a - b);
}

/** `[1, 2, 3]` for messages. @internal */
export function fmtList(xs: ArrayLike<number>): string {
  return `[${Array.from(xs).join(', ')}]`;
}

/**
 * An option that the metric checks where it reads it (labels, weights and posLabel are checked
 * against the data). @internal
 */
export const later: Check<unknown> = (v) => v;
