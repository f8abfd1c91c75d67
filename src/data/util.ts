import { tensor } from '../tensor/creation';
import { ArgumentError, ShapeError, TensorkitError, fmtShape } from '../tensor/errors';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

/** A 2-D table of numbers: a Tensor of shape [N, F] or nested arrays (rows of equal length). */
export type MatrixLike = Tensor | readonly (readonly number[])[];

/** A 2-D input viewed as its row-major values and dims. @internal */
export interface Matrix {
  data: Float32Array;
  /** Rows (samples). */
  N: number;
  /** Columns (features). */
  F: number;
}

/**
 * Reads an [N, F] input. Tensors are not copied. A 1-D input is refused (as scikit-learn does):
 * whether it is one sample or one feature is ambiguous.
 * @internal
 */
export function toMatrix(x: unknown, op: string, arg = 'x'): Matrix {
  let t: Tensor;
  if (x instanceof Tensor) t = x;
  else if (Array.isArray(x)) t = tensor(x as number[][]);
  else throw new ArgumentError(`${op}: ${arg} must be a Tensor [N, F] or number[][], got ${describe(x)}`);
  if (t.ndim !== 2) {
    throw new ShapeError(`${op}: ${arg} must be 2-D [N, F], got ${fmtShape(t.shape)}${t.ndim === 1 ? ' (reshape a single feature to [N, 1])' : ''}`);
  }
  return { data: t.data, N: t.shape[0], F: t.shape[1] };
}

/** Reads a tensor-like of any rank ≥ 1 (Tensor, nested arrays or a typed array). @internal */
export function toTensorAny(x: unknown, op: string, arg: string): Tensor {
  let t: Tensor;
  if (x instanceof Tensor) t = x;
  else if (Array.isArray(x) || x instanceof Float32Array || x instanceof Float64Array || x instanceof Int32Array) t = tensor(x as number[]);
  else throw new ArgumentError(`${op}: ${arg} must be a Tensor or an array of numbers, got ${describe(x)}`);
  if (t.ndim === 0) throw new ShapeError(`${op}: ${arg} must have a first (sample) axis, got a scalar ${fmtShape(t.shape)}`);
  return t;
}

/** The error of a transform called before fit. @internal */
export function notFitted(cls: string, method: string): TensorkitError {
  return new TensorkitError('NOT_FITTED', `${cls}.${method}: not fitted yet; call fit(x) first`);
}

/** The error of an input whose feature count differs from the one seen in fit. @internal */
export function featureMismatch(op: string, got: number, want: number): ShapeError {
  return new ShapeError(`${op}: x has ${got} features but the transformer was fitted on ${want}`);
}

/** Refuses ±Inf (NaN is allowed: it marks a missing value). @internal */
export function checkNoInf(data: Float32Array, F: number, op: string, arg = 'x'): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v === Infinity || v === -Infinity) {
      throw new ArgumentError(`${op}: ${arg} contains ${v} at row ${Math.floor(i / F)}, column ${i % F}; only NaN may mark a missing value (see dropNonFinite)`);
    }
  }
}

/** Refuses an empty fit input. @internal */
export function checkNonEmpty(m: Matrix, op: string, arg = 'x'): void {
  if (m.N === 0 || m.F === 0) throw new ArgumentError(`${op}: ${arg} ${fmtShape([m.N, m.F])} is empty; need at least one sample and one feature`);
}

/** The non-NaN values of column j, in float64, sorted ascending. @internal */
export function sortedColumn(m: Matrix, j: number): Float64Array {
  const { data, N, F } = m;
  let n = 0;
  for (let i = 0; i < N; i++) if (data[i * F + j] === data[i * F + j]) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < N; i++) {
    const v = data[i * F + j];
    if (v === v) out[k++] = v;
  }
  return out.sort();
}

/** Mean and population variance of the non-NaN values of column j (two passes, float64); NaN when all are NaN. @internal */
export function columnMoments(m: Matrix, j: number): { mean: number; var: number; count: number } {
  const { data, N, F } = m;
  let s = 0, n = 0;
  for (let i = 0; i < N; i++) {
    const v = data[i * F + j];
    if (v === v) {
      s += v;
      n++;
    }
  }
  if (n === 0) return { mean: NaN, var: NaN, count: 0 };
  const mean = s / n;
  let ss = 0;
  for (let i = 0; i < N; i++) {
    const v = data[i * F + j];
    if (v === v) ss += (v - mean) * (v - mean);
  }
  return { mean, var: ss / n, count: n };
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of sorted values by NumPy's default 'linear' method (`np.quantile(x,
 * q)`): position q · (n − 1), interpolated between its neighbours with NumPy's two-sided lerp
 * (from the upper neighbour when the fraction is ≥ 0.5, so a fraction of 1 gives it exactly).
 * NaN for no values. @internal
 */
export function quantileSorted(v: ArrayLike<number>, q: number): number {
  const n = v.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.min(Math.max(Math.floor(pos), 0), n - 1);
  if (lo >= n - 1) return v[n - 1];
  const t = pos - lo;
  const a = v[lo], b = v[lo + 1];
  const d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/** The q-th percentile (0 ≤ q ≤ 100) of sorted values: {@link quantileSorted} at q / 100. @internal */
export function percentileSorted(v: ArrayLike<number>, q: number): number {
  return quantileSorted(v, q / 100);
}

/** Median of sorted values (mean of the two middle ones for an even count); NaN for none. @internal */
export function medianSorted(v: Float64Array): number {
  const n = v.length;
  if (n === 0) return NaN;
  const h = n >> 1;
  return n % 2 === 1 ? v[h] : (v[h - 1] + v[h]) / 2;
}

/**
 * scikit-learn's `_handle_zeros_in_scale`: a scale that is (numerically) zero becomes 1, so a
 * constant feature is shifted but not divided by ~0. @internal
 */
export function handleZeroScale(scale: number): number {
  return scale < 10 * Number.EPSILON ? 1 : scale;
}

/** Builds a [N, F] tensor from values. @internal */
export function matrixTensor(data: Float32Array, N: number, F: number): Tensor {
  return new Tensor(data, [N, F]);
}
