// The one way explainers call what they explain: a Module (its forward) or a plain function of a
// Tensor, whose output is a Tensor (or numbers) of one value or one row of values per sample.
import { Module } from '../nn/index';
import { ArgumentError, Tensor, noGrad } from '../tensor/index';
import { describe } from '../tensor/shape';
import { choleskyFactor64, defaultRcond, lowerSolve64, lowerTransSolve64, lstsq64 } from '../tensor/kernels/linalg';

/**
 * What an explainer explains: a `Module` with `forward(x)`, or a function from a batch of inputs
 * (a Tensor whose first axis is the sample) to its outputs (a Tensor of shape [N] or [N, K], or an
 * array of N numbers). Estimators fit in as `(x) => clf.predictProba(x)`.
 * @category Explain
 */
export type Predictor = ((x: Tensor) => Tensor | ArrayLike<number>) | (Module & {
  /** Maps a batch of inputs to its outputs. */
  forward(x: Tensor): Tensor;
});

/** Outputs as float64 rows: `values[i·K + k]` for sample i and output k. @internal */
export interface Outputs {
  values: Float64Array;
  n: number;
  k: number;
}

/** Calls the predictor (a Module in eval mode, restored after) and returns its outputs as N × K. @internal */
export function callPredictor(op: string, fn: Predictor, x: Tensor, grad = false): Tensor {
  const module = fn instanceof Module ? (fn as Module & { forward(x: Tensor): Tensor }) : null;
  if (module === null && typeof fn !== 'function') throw new ArgumentError(`${op}: model must be a Module or a function of a Tensor, got ${describe(fn)}`);
  const wasTraining = module?.training ?? false;
  module?.eval();
  try {
    const run = () => {
      const out = module !== null ? module.forward(x) : (fn as (x: Tensor) => Tensor | ArrayLike<number>)(x);
      if (out instanceof Tensor) return out;
      if (out !== null && typeof out === 'object' && typeof (out as ArrayLike<number>).length === 'number') {
        return new Tensor(Float32Array.from(out as ArrayLike<number>), [(out as ArrayLike<number>).length]);
      }
      throw new ArgumentError(`${op}: the model must return a Tensor or an array of numbers, got ${describe(out)}`);
    };
    return grad ? run() : noGrad(run);
  } finally {
    if (wasTraining) module?.train();
  }
}

/** The predictor's outputs on x as float64 rows (N × K); checks that there is one output row per sample. @internal */
export function predictRows(op: string, fn: Predictor, x: Tensor): Outputs {
  const out = callPredictor(op, fn, x);
  const n = x.shape[0];
  if (out.shape.length === 0 || out.shape[0] !== n || out.size % Math.max(n, 1) !== 0) {
    throw new ArgumentError(`${op}: the model returned shape [${out.shape.join(', ')}] for ${n} samples; it must return [${n}] or [${n}, K]`);
  }
  return { values: Float64Array.from(out.data.subarray(0, out.size)), n, k: n === 0 ? 0 : out.size / n };
}

/** A 2-D input (samples × features) as a Tensor, from a Tensor or nested arrays. @internal */
export function matrixArg(op: string, name: string, x: unknown): Tensor {
  if (x instanceof Tensor) {
    if (x.shape.length !== 2 || x.shape[0] === 0 || x.shape[1] === 0) throw new ArgumentError(`${op}: ${name} must be a non-empty [N, p] matrix, got shape [${x.shape.join(', ')}]`);
    return x;
  }
  if (Array.isArray(x) && x.length > 0 && Array.isArray(x[0])) {
    const p = (x[0] as unknown[]).length;
    const data = new Float32Array(x.length * p);
    for (let i = 0; i < x.length; i++) {
      const row = x[i] as unknown[];
      if (!Array.isArray(row) || row.length !== p) throw new ArgumentError(`${op}: ${name}[${i}] must have ${p} numbers like the first row, got ${describe(row)}`);
      for (let j = 0; j < p; j++) {
        const v = row[j];
        if (typeof v !== 'number') throw new ArgumentError(`${op}: ${name}[${i}][${j}] must be a number, got ${describe(v)}`);
        data[i * p + j] = v;
      }
    }
    if (p === 0) throw new ArgumentError(`${op}: ${name} rows must not be empty`);
    return new Tensor(data, [x.length, p]);
  }
  throw new ArgumentError(`${op}: ${name} must be an [N, p] Tensor or an array of rows, got ${describe(x)}`);
}

/** Throws for NaN or ±Inf in the input matrix, naming the first. @internal */
export function checkFinite(op: string, name: string, x: Tensor): void {
  const p = x.shape[1] ?? 1;
  for (let i = 0; i < x.size; i++) {
    if (!Number.isFinite(x.data[i])) throw new ArgumentError(`${op}: ${name} has ${x.data[i]} at row ${Math.floor(i / p)}, column ${i % p}`);
  }
}

/**
 * Solves the symmetric positive (semi)definite normal equations A·x = b of the local linear fits
 * (KernelSHAP's weighted regression, LIME's ridge) in float64 with the linalg kernels: Cholesky
 * when A is positive definite, else the minimum-norm least-squares solution (a coalition design
 * or a feature column that never varies leaves A singular). A and b are not kept.
 * @internal
 */
export function solveSymmetric(A: Float64Array, b: Float64Array, m: number): Float64Array {
  const L = A.slice();
  if (choleskyFactor64(L, m) < 0) {
    const x = b.slice();
    lowerSolve64(x, L, m, m, 1);
    lowerTransSolve64(x, L, m, m, 1);
    return x;
  }
  const x = new Float64Array(m);
  lstsq64(x, A.slice(), b.slice(), m, m, 1, defaultRcond(m, m));
  return x;
}
