import { accuracy } from '../metrics/index';
import { tensor } from '../tensor/creation';
import { ArgumentError, ShapeError, TensorkitError, fmtShape } from '../tensor/errors';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

/*
 * Shared plumbing of the scikit-learn-style estimators (LinearRegression, LogisticRegression,
 * MLPClassifier, MLPRegressor): input reading and validation, label encoding and the float64
 * proximal-gradient solver (FISTA). Options go through tensor/options' parseOptions and the saved
 * state through data/savable. Nothing here is public API except the input types.
 */

/** Features of an estimator: a Tensor [N, F] or nested arrays (N rows of F numbers). @category Models */
export type FeaturesLike = Tensor | readonly (readonly number[])[];

/**
 * Targets of an estimator: a Tensor or array [N] (one target, or class labels), or [N, K]
 * (K regression targets). @category Models
 */
export type TargetsLike = Tensor | readonly number[] | readonly (readonly number[])[] | Float32Array;

/** An [N, F] input viewed as its row-major float32 values and dims. @internal */
export interface Features {
  data: Float32Array;
  N: number;
  F: number;
}

/**
 * Reads and validates features: 2-D, at least one row and one feature, every value finite, and (when
 * `nFeatures` is given) F equal to the count seen in fit.
 * @internal
 */
export function readFeatures(x: unknown, op: string, nFeatures: number | null = null): Features {
  let t: Tensor;
  if (x instanceof Tensor) t = x;
  else if (Array.isArray(x)) t = tensor(x as number[][]);
  else throw new ArgumentError(`${op}: x must be a Tensor [N, F] or number[][], got ${describe(x)}`);
  if (t.ndim !== 2) {
    throw new ShapeError(`${op}: x must be 2-D [N, F], got ${fmtShape(t.shape)}${t.ndim === 1 ? ' (reshape a single feature to [N, 1] or a single sample to [1, F])' : ''}`);
  }
  const [N, F] = t.shape;
  if (nFeatures !== null && F !== nFeatures) {
    throw new ShapeError(`${op}: x ${fmtShape(t.shape)} has ${F} features but the model was fitted on ${nFeatures}`);
  }
  if (N === 0 || F === 0) throw new ArgumentError(`${op}: x ${fmtShape(t.shape)} is empty; need at least one sample and one feature`);
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v - v !== 0) {
      throw new ArgumentError(`${op}: x contains ${v} at row ${Math.floor(i / F)}, column ${i % F}; impute or drop non-finite values first (SimpleImputer, dropNonFinite)`);
    }
  }
  return { data: d, N, F };
}

/** Targets as float32 values with K outputs per row; `twoD` remembers whether y was [N, K]. @internal */
export interface Targets {
  data: Float32Array;
  K: number;
  twoD: boolean;
}

/** Reads targets [N] or [N, K] with N rows, all finite. @internal */
export function readTargets(y: unknown, N: number, op: string, allow2D = true): Targets {
  let t: Tensor;
  if (y instanceof Tensor) t = y;
  else if (Array.isArray(y) || y instanceof Float32Array || y instanceof Float64Array || y instanceof Int32Array) t = tensor(y as number[]);
  else throw new ArgumentError(`${op}: y must be a Tensor or an array of numbers, got ${describe(y)}`);
  if (t.ndim !== 1 && !(allow2D && t.ndim === 2)) {
    throw new ShapeError(`${op}: y must be ${allow2D ? '[N] or [N, K]' : '1-D [N] (class labels)'}, got ${fmtShape(t.shape)}`);
  }
  if (t.shape[0] !== N) throw new ShapeError(`${op}: x has ${N} rows but y ${fmtShape(t.shape)} has ${t.shape[0]}`);
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v - v !== 0) throw new ArgumentError(`${op}: y contains ${v} at index ${i}; targets must be finite`);
  }
  const K = t.ndim === 2 ? t.shape[1] : 1;
  if (K === 0) throw new ArgumentError(`${op}: y ${fmtShape(t.shape)} has no targets`);
  return { data: d, K, twoD: t.ndim === 2 };
}

/**
 * Reads class labels y [N]: numbers that are integers (scikit-learn's `check_classification_targets`
 * refuses continuous targets such as 0.5 rather than making each value a class).
 * @throws ArgumentError naming y for strings (encode them with LabelEncoder) or non-integer values.
 * @internal
 */
export function readLabels(y: unknown, N: number, op: string): Float32Array {
  if (Array.isArray(y)) {
    const i = y.findIndex((v) => typeof v === 'string');
    if (i >= 0) throw new ArgumentError(`${op}: y holds the string ${describe(y[i])} at index ${i}; encode string labels as class indices with LabelEncoder first`);
  }
  const d = readTargets(y, N, op, false).data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isInteger(d[i])) {
      throw new ArgumentError(`${op}: y holds the continuous value ${d[i]} at index ${i}; class labels must be integers (encode them with LabelEncoder, or fit a regressor to continuous targets)`);
    }
  }
  return d;
}

/** The sorted distinct values of `labels` (the classes, as scikit-learn's `np.unique`). @internal */
export function uniqueSorted(labels: Float32Array): number[] {
  const s = new Set<number>();
  for (let i = 0; i < labels.length; i++) s.add(labels[i]);
  return [...s].sort((a, b) => a - b);
}

/**
 * The index of each label in `classes`.
 * @throws ArgumentError naming the first label that is not a known class.
 * @internal
 */
export function encodeLabels(labels: Float32Array, classes: readonly number[], op: string): Int32Array {
  const index = new Map<number, number>();
  for (let k = 0; k < classes.length; k++) index.set(classes[k], k);
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const k = index.get(labels[i]);
    if (k === undefined) {
      throw new ArgumentError(`${op}: y contains the label ${labels[i]} (index ${i}), which is not one of the classes seen in fit [${classes.join(', ')}]`);
    }
    out[i] = k;
  }
  return out;
}

/**
 * Accuracy of predicted labels against true labels (both compared as class indices, so any numeric
 * labels work with the integer-label metrics).
 * @throws ArgumentError if `labels` holds a value that is not one of `classes`.
 * @internal
 */
export function labelAccuracy(labels: Float32Array, pred: Float32Array, classes: readonly number[], op: string): number {
  return accuracy(encodeLabels(labels, classes, op), encodeLabels(pred, classes, op));
}

/** The error of predict/score/attribute access before fit. @internal */
export function notFitted(cls: string, what: string): TensorkitError {
  return new TensorkitError('NOT_FITTED', `${cls}.${what}: this ${cls} is not fitted yet; call fit(x, y) first`);
}

// ---------------------------------------------------------------------------------------------
// Linear predictions and the proximal-gradient solver

/**
 * out[n, k] = b[k] + Σ_f x[n, f]·w[k, f], accumulated in float64.
 * Shapes: out (N, K), x (N, F), w (K, F), b (K). Overwrites out.
 * @internal
 */
export function affine(out: Float32Array | Float64Array, x: Float32Array, w: ArrayLike<number>, b: ArrayLike<number>, N: number, F: number, K: number): void {
  for (let n = 0; n < N; n++) {
    const xRow = n * F, oRow = n * K;
    for (let k = 0; k < K; k++) {
      const wRow = k * F;
      let acc = b[k];
      for (let f = 0; f < F; f++) acc += x[xRow + f] * w[wRow + f];
      out[oRow + k] = acc;
    }
  }
}

/** w ← sign(w)·max(|w| − t, 0), the proximal map of t·‖·‖₁, in place. @internal */
export function softThreshold(w: Float32Array | Float64Array, t: number, from = 0, to = w.length): void {
  for (let i = from; i < to; i++) {
    const v = w[i];
    w[i] = v > t ? v - t : v < -t ? v + t : 0;
  }
}

/** A smooth function: returns f(θ) and, when `grad` is not null, writes ∇f(θ) into it. @internal */
export type SmoothFn = (theta: Float64Array, grad: Float64Array | null) => number;

/** Result of {@link fista}. @internal */
export interface FistaResult {
  nIter: number;
  /** f(θ) + Σⱼ λⱼ|θⱼ| after every iteration. */
  curve: number[];
  converged: boolean;
}

/**
 * Minimizes F(θ) = f(θ) + Σⱼ λⱼ·|θⱼ| (λ null: no penalty) in float64 by FISTA with backtracking
 * (Beck & Teboulle 2009) and function-value restart (O'Donoghue & Candès 2015): from the
 * extrapolated point y, z = prox_{λ/L}(y − ∇f(y)/L) with L doubled until
 * f(z) ≤ f(y) + ∇f(y)ᵀ(z − y) + (L/2)‖z − y‖²; momentum restarts whenever F goes up. Stops when
 * the gradient mapping ‖L·(y − z)‖∞ ≤ tol (the gradient itself when λ = 0) or after maxIter
 * iterations. θ is updated in place.
 * @internal
 */
export function fista(theta: Float64Array, f: SmoothFn, lambda: Float64Array | null, maxIter: number, tol: number): FistaResult {
  const P = theta.length;
  const pen = (v: Float64Array): number => {
    if (lambda === null) return 0;
    let s = 0;
    for (let j = 0; j < P; j++) s += lambda[j] * Math.abs(v[j]);
    return s;
  };
  const x = theta;
  const y = Float64Array.from(x);
  const z = new Float64Array(P);
  const g = new Float64Array(P);
  let Fx = f(x, null) + pen(x);
  let t = 1;
  let L = 1;
  const curve: number[] = [];
  let converged = false;
  let k = 0;
  while (k < maxIter) {
    k++;
    const fy = f(y, g);
    let fz = 0;
    let gm = 0;
    for (;;) {
      const inv = 1 / L;
      for (let j = 0; j < P; j++) {
        const v = y[j] - g[j] * inv;
        const thr = lambda === null ? 0 : lambda[j] * inv;
        z[j] = v > thr ? v - thr : v < -thr ? v + thr : 0;
      }
      fz = f(z, null);
      let lin = 0, sq = 0;
      gm = 0;
      for (let j = 0; j < P; j++) {
        const d = z[j] - y[j];
        lin += g[j] * d;
        sq += d * d;
        const a = Math.abs(d);
        if (a > gm) gm = a;
      }
      // The relative slack absorbs round-off once the step is at the level of float64 noise.
      if (fz <= fy + lin + 0.5 * L * sq + 1e-12 * Math.abs(fy) || !(L < 1e30)) break;
      L *= 2;
    }
    gm *= L;
    const Fz = fz + pen(z);
    if (Fz > Fx) {
      // Restart: drop the momentum and take a plain proximal step from x next time.
      t = 1;
      y.set(x);
      curve.push(Fx);
    } else {
      const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
      const beta = (t - 1) / tNext;
      for (let j = 0; j < P; j++) {
        const zj = z[j];
        y[j] = zj + beta * (zj - x[j]);
        x[j] = zj;
      }
      t = tNext;
      Fx = Fz;
      curve.push(Fz);
    }
    if (gm <= tol) {
      converged = true;
      break;
    }
  }
  return { nIter: k, curve, converged };
}
