import { DataLoader, TensorDataset } from '../data/dataset';
import { r2 } from '../metrics/index';
import { mseLoss } from '../nn/losses';
import { Linear } from '../nn/layers';
import { SGD } from '../optim/sgd';
import {
  asFormat, checkState, savableFromJSON, savableToJSON, stateScalar, stateTensor, stateValues, typed,
  type LoadStateOptions, type LoadStateResult, type SavableJSON, type SavableState,
} from '../data/savable';
import type { ModuleConfig } from '../nn/module';
import { fitSync } from '../train/fit';
import { ArgumentError } from '../tensor/errors';
import { bool, nonNeg, nullable, oneOf, parseOptions, posInt, positive, prob, rng as rngCheck } from '../tensor/options';
import { choleskyFactor64, defaultRcond, lowerSolve64, lowerTransSolve64, lstsq64 } from '../tensor/kernels/linalg';
import { defaultGenerator, type Generator } from '../tensor/random';
import { Tensor } from '../tensor/tensor';
import { affine, notFitted, readFeatures, readTargets, softThreshold, type FeaturesLike, type TargetsLike } from './estimator';

/** How {@link LinearRegression} minimizes its objective. */
export type LinearSolver = 'normal' | 'gd' | 'sgd' | 'minibatch';

/** Options of {@link LinearRegression}. */
export interface LinearRegressionOptions {
  /**
   * `'normal'` (default): closed form in float64 (least squares / ridge normal equations), or
   * coordinate descent to convergence when the L1 term is on. `'gd'`, `'sgd'`, `'minibatch'`: the
   * one proximal-SGD update rule fed batches of N, 1 or `batchSize` rows.
   */
  solver?: LinearSolver;
  /** Ridge strength: scikit-learn `Ridge(alpha=l2)` when l1 = 0 (default 0). */
  l2?: number;
  /** Lasso strength: scikit-learn `Lasso(alpha=l1)` when l2 = 0 (default 0). */
  l1?: number;
  /**
   * scikit-learn's ElasticNet spelling, instead of l1/l2: the objective becomes exactly
   * `ElasticNet(alpha, l1_ratio=l1Ratio)`, i.e. l1 = alpha·l1Ratio and l2 = N·alpha·(1 − l1Ratio).
   */
  alpha?: number;
  /** The ElasticNet mixing ρ ∈ [0, 1] that goes with `alpha` (default 0.5, as scikit-learn). */
  l1Ratio?: number;
  /** Learn an unpenalized intercept (default true). */
  fitIntercept?: boolean;
  /** Learning rate η of the gradient solvers (default 0.01). */
  lr?: number;
  /** Most epochs of the gradient solvers (default 100). */
  epochs?: number;
  /** Rows per batch of `'minibatch'` (default 32; `'gd'` uses N and `'sgd'` 1). */
  batchSize?: number;
  /**
   * Gradient solvers stop when the epoch objective has not improved on the best by more than `tol`
   * for `nIterNoChange` epochs in a row (scikit-learn's SGDRegressor rule; default 1e-4).
   */
  tol?: number;
  /** Epochs without improvement before the gradient solvers stop (default 5). */
  nIterNoChange?: number;
  /** Most coordinate-descent sweeps of `'normal'` with l1 > 0 (default 1000). */
  maxIter?: number;
  /** Generator of the batch shuffles (default: the global one). */
  rng?: Generator;
}

/** The resolved hyperparameters of a {@link LinearRegression} (everything but `rng`). */
export interface LinearRegressionParams {
  /** How the objective is minimized. */
  solver: LinearSolver;
  /** Ridge strength, ≥ 0 (used when `alpha` is null). */
  l2: number;
  /** Lasso strength, ≥ 0 (used when `alpha` is null). */
  l1: number;
  /** scikit-learn's ElasticNet `alpha`, or null when `l1`/`l2` were given. */
  alpha: number | null;
  /** ElasticNet mixing ρ ∈ [0, 1] that goes with `alpha`. */
  l1Ratio: number;
  /** Whether an unpenalized intercept is learned. */
  fitIntercept: boolean;
  /** Learning rate η of the gradient solvers, > 0. */
  lr: number;
  /** Most epochs of the gradient solvers. */
  epochs: number;
  /** Rows per batch of `'minibatch'`. */
  batchSize: number;
  /** Improvement threshold of the gradient solvers' stopping rule. */
  tol: number;
  /** Epochs without improvement before the gradient solvers stop. */
  nIterNoChange: number;
  /** Most coordinate-descent sweeps of `'normal'` with l1 > 0. */
  maxIter: number;
}

/**
 * The JSON form of a {@link LinearRegression} (see `toJSON`): `config().options` and the state
 * dict (`coef`, `intercept`, `nIter`, `lossCurve`; empty before fit).
 */
export type LinearRegressionJSON = SavableJSON<'LinearRegression'>;

const SPEC = {
  solver: oneOf(['normal', 'gd', 'sgd', 'minibatch'] as const), l2: nonNeg, l1: nonNeg, alpha: nullable(nonNeg), l1Ratio: prob,
  fitIntercept: bool, lr: positive, epochs: posInt, batchSize: posInt, tol: nonNeg, nIterNoChange: posInt, maxIter: posInt, rng: rngCheck,
};

const DEFAULTS: LinearRegressionParams = {
  solver: 'normal', l2: 0, l1: 0, alpha: null, l1Ratio: 0.5, fitIntercept: true, lr: 0.01, epochs: 100, batchSize: 32, tol: 1e-4,
  nIterNoChange: 5, maxIter: 1000,
};

/**
 * Linear least squares with optional ridge (L2) and lasso (L1) penalties, minimizing
 * (1/2N)·(‖y − Xw − b‖² + l2·‖w‖²) + l1·‖w‖₁ over w and an unpenalized intercept b.
 *
 * Each option keeps its scikit-learn meaning, and the combined objective is continuous in both:
 * - l1 = 0: the minimizer of ‖y − Xw − b‖² + l2·‖w‖², i.e. `LinearRegression()` (l2 = 0) or
 *   `Ridge(alpha=l2)`;
 * - l2 = 0: (1/2N)‖y − Xw − b‖² + l1·‖w‖₁, i.e. `Lasso(alpha=l1)` (Tibshirani 1996);
 * - both: `ElasticNet(alpha=l1 + l2/N, l1_ratio=l1/(l1 + l2/N))`; or pass `{ alpha, l1Ratio }`
 *   to get `ElasticNet(alpha, l1_ratio)` directly (then l1 = alpha·l1Ratio, l2 = N·alpha·(1 − l1Ratio)).
 *
 * Solvers:
 * - `'normal'`, l1 = 0: centre x and y (so b is not penalized, as `Ridge`), then solve in float64:
 *   l2 = 0 by least squares (column-pivoted QR; the minimum-norm solution when columns are
 *   collinear, as NumPy's lstsq), l2 > 0 by Cholesky on (XᵀX + l2·I)w = Xᵀy; b = ȳ − x̄·w.
 * - `'normal'`, l1 > 0: cyclic coordinate descent in float64 (scikit-learn's algorithm),
 *   w_j ← S(x_jᵀr_j, N·l1) / (‖x_j‖² + l2) with S the soft threshold, run until a sweep moves no
 *   coefficient by more than 1e-10·max|w| (or `maxIter` sweeps).
 * - `'gd'`, `'sgd'`, `'minibatch'`: one update rule, proximal SGD, on the package's own `Linear`
 *   layer, `DataLoader` and `SGD` optimizer; only the batch size B differs (N, 1, `batchSize`):
 *   ```
 *   for each epoch, for each batch (x_B, y_B) of the DataLoader:
 *     loss = (1/2B)‖y_B − x_B·wᵀ − b‖²            // mseLoss(…, 'sum') / 2B
 *     w ← w − η·(∇_w loss + (l2/N)·w)              // SGD, weightDecay l2/N on w only
 *     b ← b − η·∇_b loss
 *     w ← sign(w)·max(|w| − η·l1, 0)               // proximal step of η·l1‖w‖₁ (ISTA when B = N)
 *   ```
 *   w and b start at 0; batches are reshuffled every epoch (not for `'gd'`). Scale the features
 *   (StandardScaler) so one learning rate suits every coefficient.
 *
 * Fitted attributes: `coef` [F] ([K, F] for y [N, K]), `intercept` [] ([K]), `nIter` (epochs or
 * sweeps; 1 for a closed form), `lossCurve` (the objective above after each epoch or sweep).
 *
 * Shapes: x [N, F], y [N] or [N, K]; predict → [N] or [N, K].
 * @example
 * // y = 2·x + 1 exactly:
 * const reg = new LinearRegression().fit([[0], [1], [2], [3]], [1, 3, 5, 7]);
 * reg.coef.toArray(); // [2]
 * reg.intercept.item(); // 1
 * reg.predict([[4]]).toArray(); // [9]
 * reg.score([[0], [1]], [1, 3]); // 1
 * @throws ArgumentError on a bad option (unknown key, negative penalty, l1Ratio outside [0, 1],
 *   alpha together with l1/l2, non-positive lr), NaN or ±Inf in x or y; ShapeError on
 *   mis-sized y or a feature count that differs from fit; TensorkitError `NOT_FITTED` before fit.
 * @see Tibshirani, "Regression shrinkage and selection via the lasso", JRSS B 58 (1996).
 * @see Friedman, Hastie & Tibshirani, "Regularization paths for generalized linear models via
 *   coordinate descent", J. Stat. Softw. 33 (2010).
 * @category Models
 */
export class LinearRegression {
  /** The hyperparameters (validated). */
  readonly params: LinearRegressionParams;
  private readonly rng: Generator | undefined;
  private coefT: Tensor | null = null;
  private interceptT: Tensor | null = null;
  private nFeaturesIn = 0;
  private nIterV = 0;
  private curve: number[] = [];

  /** Takes {@link LinearRegressionOptions}, or `config().options` of another LinearRegression. */
  constructor(options: LinearRegressionOptions = {}) {
    const op = 'LinearRegression';
    const { rng, ...o } = parseOptions(op, options, SPEC);
    const alpha = o.alpha ?? null;
    if (alpha !== null && (o.l1 !== undefined || o.l2 !== undefined)) {
      throw new ArgumentError(`${op}: pass either { l1, l2 } or scikit-learn's { alpha, l1Ratio }, not both`);
    }
    if (alpha === null && o.l1Ratio !== undefined) throw new ArgumentError(`${op}: l1Ratio needs alpha`);
    this.params = { ...DEFAULTS, ...o, alpha };
    this.rng = rng;
  }

  /** Coefficients w, [F] (or [K, F] for K targets). @throws TensorkitError `NOT_FITTED` before fit. */
  get coef(): Tensor {
    if (this.coefT === null) throw notFitted('LinearRegression', 'coef');
    return this.coefT;
  }

  /** Intercept b, a scalar [] (or [K]); 0 without `fitIntercept`. @throws TensorkitError `NOT_FITTED` before fit. */
  get intercept(): Tensor {
    if (this.interceptT === null) throw notFitted('LinearRegression', 'intercept');
    return this.interceptT;
  }

  /** Epochs (gradient solvers) or sweeps (coordinate descent) run; 1 for a closed-form solve. */
  get nIter(): number {
    if (this.coefT === null) throw notFitted('LinearRegression', 'nIter');
    return this.nIterV;
  }

  /** The objective after each epoch or sweep (one value for a closed-form solve). */
  get lossCurve(): number[] {
    if (this.coefT === null) throw notFitted('LinearRegression', 'lossCurve');
    return this.curve.slice();
  }

  /** Number of features seen in fit. */
  get nFeatures(): number {
    if (this.coefT === null) throw notFitted('LinearRegression', 'nFeatures');
    return this.nFeaturesIn;
  }

  /**
   * Fits to x [N, F] and y [N] or [N, K]; returns this.
   * @throws ArgumentError on NaN/±Inf or an empty x; ShapeError if y does not have N rows.
   */
  fit(x: FeaturesLike, y: TargetsLike): this {
    const op = 'LinearRegression.fit';
    const X = readFeatures(x, op);
    const Y = readTargets(y, X.N, op);
    const { N, F } = X;
    const K = Y.K;
    const p = this.params;
    const l1 = p.alpha === null ? p.l1 : p.alpha * p.l1Ratio;
    const l2 = p.alpha === null ? p.l2 : N * p.alpha * (1 - p.l1Ratio);
    const w = new Float64Array(K * F);
    const b = new Float64Array(K);
    if (p.solver === 'normal') {
      if (l1 > 0) this.fitCoordinateDescent(X.data, Y.data, N, F, K, l1, l2, w, b);
      else this.fitClosedForm(X.data, Y.data, N, F, K, l2, w, b);
    } else this.fitGradient(X.data, Y.data, N, F, K, l1, l2, w, b);
    this.coefT = new Tensor(Float32Array.from(w), Y.twoD ? [K, F] : [F]);
    this.interceptT = new Tensor(Float32Array.from(b), Y.twoD ? [K] : []);
    this.nFeaturesIn = F;
    if (p.solver === 'normal' && l1 === 0) this.curve = [objective(X.data, Y.data, this.coefT.data, this.interceptT.data, N, F, K, l1, l2)];
    return this;
  }

  /** Column means of x [N, F] and y [N, K] in float64 (zeros without an intercept). */
  private means(x: Float32Array, y: Float32Array, N: number, F: number, K: number): [Float64Array, Float64Array] {
    const xm = new Float64Array(F), ym = new Float64Array(K);
    if (!this.params.fitIntercept) return [xm, ym];
    for (let n = 0; n < N; n++) {
      const xRow = n * F, yRow = n * K;
      for (let f = 0; f < F; f++) xm[f] += x[xRow + f];
      for (let k = 0; k < K; k++) ym[k] += y[yRow + k];
    }
    for (let f = 0; f < F; f++) xm[f] /= N;
    for (let k = 0; k < K; k++) ym[k] /= N;
    return [xm, ym];
  }

  private fitClosedForm(
    x: Float32Array, y: Float32Array, N: number, F: number, K: number, l2: number, w: Float64Array, b: Float64Array,
  ): void {
    const [xm, ym] = this.means(x, y, N, F, K);
    const xc = new Float64Array(N * F), yc = new Float64Array(N * K);
    for (let n = 0; n < N; n++) {
      for (let f = 0; f < F; f++) xc[n * F + f] = x[n * F + f] - xm[f];
      for (let k = 0; k < K; k++) yc[n * K + k] = y[n * K + k] - ym[k];
    }
    const sol = new Float64Array(F * K);
    let ok = false;
    if (l2 > 0) {
      // Ridge: the Gram matrix plus l2·I is positive-definite, so Cholesky always succeeds.
      const G = new Float64Array(F * F), r = new Float64Array(F * K);
      for (let n = 0; n < N; n++) {
        const xRow = n * F, yRow = n * K;
        for (let i = 0; i < F; i++) {
          const xi = xc[xRow + i];
          if (xi === 0) continue;
          const gRow = i * F;
          for (let j = 0; j < F; j++) G[gRow + j] += xi * xc[xRow + j];
          for (let k = 0; k < K; k++) r[i * K + k] += xi * yc[yRow + k];
        }
      }
      for (let i = 0; i < F; i++) G[i * F + i] += l2;
      if (choleskyFactor64(G, F) < 0) {
        lowerSolve64(r, G, F, F, K);
        lowerTransSolve64(r, G, F, F, K);
        sol.set(r);
        ok = true;
      }
    }
    if (!ok) lstsq64(sol, xc, yc, N, F, K, defaultRcond(N, F));
    for (let k = 0; k < K; k++) {
      let acc = ym[k];
      for (let f = 0; f < F; f++) {
        const v = sol[f * K + k];
        w[k * F + f] = v;
        acc -= xm[f] * v;
      }
      b[k] = this.params.fitIntercept ? acc : 0;
    }
    this.nIterV = 1;
  }

  private fitCoordinateDescent(
    x: Float32Array, y: Float32Array, N: number, F: number, K: number, l1: number, l2: number, w: Float64Array, b: Float64Array,
  ): void {
    const [xm, ym] = this.means(x, y, N, F, K);
    // Column-major centred copy: each coordinate update reads one column.
    const xc = new Float64Array(F * N);
    const sq = new Float64Array(F);
    for (let f = 0; f < F; f++) {
      const col = f * N;
      let s = 0;
      for (let n = 0; n < N; n++) {
        const v = x[n * F + f] - xm[f];
        xc[col + n] = v;
        s += v * v;
      }
      sq[f] = s;
    }
    const thr = N * l1;
    const r = new Float64Array(N);
    const sweeps: number[][] = [];
    let maxSweeps = 0;
    for (let k = 0; k < K; k++) {
      for (let n = 0; n < N; n++) r[n] = y[n * K + k] - ym[k];
      const wk = w.subarray(k * F, (k + 1) * F);
      const curve: number[] = [];
      for (let it = 0; it < this.params.maxIter; it++) {
        let maxDelta = 0, maxW = 0;
        for (let f = 0; f < F; f++) {
          const denom = sq[f] + l2;
          if (denom === 0) continue;
          const col = f * N;
          const old = wk[f];
          let rho = 0;
          for (let n = 0; n < N; n++) rho += xc[col + n] * r[n];
          rho += sq[f] * old;
          const nw = (rho > thr ? rho - thr : rho < -thr ? rho + thr : 0) / denom;
          const d = nw - old;
          if (d !== 0) {
            for (let n = 0; n < N; n++) r[n] -= d * xc[col + n];
            wk[f] = nw;
          }
          if (Math.abs(d) > maxDelta) maxDelta = Math.abs(d);
          if (Math.abs(nw) > maxW) maxW = Math.abs(nw);
        }
        let rss = 0, l2sq = 0, l1s = 0;
        for (let n = 0; n < N; n++) rss += r[n] * r[n];
        for (let f = 0; f < F; f++) {
          l2sq += wk[f] * wk[f];
          l1s += Math.abs(wk[f]);
        }
        curve.push((rss + l2 * l2sq) / (2 * N) + l1 * l1s);
        if (maxDelta <= 1e-10 * maxW || maxW === 0) break;
      }
      sweeps.push(curve);
      if (curve.length > maxSweeps) maxSweeps = curve.length;
      let acc = ym[k];
      for (let f = 0; f < F; f++) acc -= xm[f] * wk[f];
      b[k] = this.params.fitIntercept ? acc : 0;
    }
    // K independent problems: the total objective per sweep, each padded with its final value.
    this.curve = Array.from({ length: maxSweeps }, (_, i) => sweeps.reduce((s, c) => s + c[Math.min(i, c.length - 1)], 0));
    this.nIterV = maxSweeps;
  }

  /**
   * The gradient solvers: `fit` from train on the package's `Linear` layer, `DataLoader` and `SGD`;
   * a callback adds the proximal L1 step after each optimizer step and applies scikit-learn's
   * `tol`/`nIterNoChange` stopping rule on the full objective after each epoch.
   */
  private fitGradient(
    x: Float32Array, y: Float32Array, N: number, F: number, K: number, l1: number, l2: number, w: Float64Array, b: Float64Array,
  ): void {
    const p = this.params;
    const rng = this.rng ?? defaultGenerator();
    const layer = new Linear(F, K, { bias: p.fitIntercept, rng });
    layer.weight.data.fill(0);
    layer.bias?.data.fill(0);
    const B = p.solver === 'gd' ? N : p.solver === 'sgd' ? 1 : Math.min(p.batchSize, N);
    const loader = new DataLoader(new TensorDataset(new Tensor(x, [N, F]), new Tensor(y, [N, K])), {
      batchSize: B, shuffle: p.solver !== 'gd', rng,
    });
    const groups = [{ params: [layer.weight], weightDecay: l2 / N }];
    if (layer.bias !== null) groups.push({ params: [layer.bias], weightDecay: 0 });
    const opt = new SGD(groups, { lr: p.lr });
    const wd = layer.weight.data;
    const bd = layer.bias === null ? new Float32Array(K) : layer.bias.data;
    const curve: number[] = [];
    let best = Infinity, stale = 0;
    const history = fitSync(layer, {
      data: loader,
      loss: (pred, target) => mseLoss(pred, target, { reduction: 'sum' }).mul(1 / (2 * pred.shape[0])),
      optimizer: opt,
      epochs: p.epochs,
      callbacks: [{
        onBatchEnd: () => {
          if (l1 > 0) softThreshold(wd, opt.lr * l1);
        },
        onEpochEnd: (_epoch, _logs, ctx) => {
          const obj = objective(x, y, wd, bd, N, F, K, l1, l2);
          curve.push(obj);
          if (obj > best - p.tol) stale++;
          else stale = 0;
          if (obj < best) best = obj;
          if (!Number.isFinite(obj) || stale >= p.nIterNoChange) ctx.stopTraining = true;
        },
      }],
    });
    for (let i = 0; i < K * F; i++) w[i] = wd[i];
    for (let k = 0; k < K; k++) b[k] = bd[k];
    this.curve = curve;
    this.nIterV = history.epochs.length;
  }

  /**
   * Predictions ŷ = x·wᵀ + b.
   * Shapes: x [N, F] → [N] (or [N, K] when fitted on y [N, K]).
   * @throws TensorkitError `NOT_FITTED` before fit; ShapeError if F differs from fit; ArgumentError on NaN/±Inf.
   */
  predict(x: FeaturesLike): Tensor {
    if (this.coefT === null || this.interceptT === null) throw notFitted('LinearRegression', 'predict');
    const X = readFeatures(x, 'LinearRegression.predict', this.nFeaturesIn);
    const K = this.interceptT.size;
    const out = new Float32Array(X.N * K);
    affine(out, X.data, this.coefT.data, this.interceptT.data, X.N, X.F, K);
    return new Tensor(out, this.coefT.ndim === 2 ? [X.N, K] : [X.N]);
  }

  /**
   * Coefficient of determination R² of `predict(x)` against y (scikit-learn's `score`: averaged
   * uniformly over targets).
   * Shapes: x [N, F], y [N] (or [N, K]) → number.
   * @throws as {@link LinearRegression.predict}, and ShapeError if y does not match the predictions.
   */
  score(x: FeaturesLike, y: TargetsLike): number {
    const pred = this.predict(x);
    const Y = readTargets(y, pred.shape[0], 'LinearRegression.score');
    return r2(new Tensor(Y.data, Y.twoD ? [pred.shape[0], Y.K] : [pred.shape[0]]), pred);
  }

  /**
   * `{ type: 'LinearRegression', options }`: the hyperparameters (without `rng`), which
   * `new LinearRegression(options)` accepts back.
   */
  config(): ModuleConfig {
    const { alpha, l1Ratio, l1, l2, ...rest } = this.params;
    return { type: 'LinearRegression', options: alpha === null ? { ...rest, l1, l2 } : { ...rest, alpha, l1Ratio } };
  }

  /**
   * The fitted state: `coef` [F] or [K, F], `intercept` [] or [K], `nIter` [] and `lossCurve`
   * [epochs]; empty before fit. The tensors are the model's own (not copies).
   */
  stateDict(): SavableState {
    if (this.coefT === null || this.interceptT === null) return {};
    return {
      coef: this.coefT, intercept: this.interceptT, nIter: new Tensor(new Float32Array([this.nIterV]), []),
      lossCurve: typed('F64', Float64Array.from(this.curve), [this.curve.length]),
    };
  }

  /**
   * Restores a fitted state from {@link LinearRegression.stateDict} (an empty one unfits the model).
   * @throws TensorkitError `INVALID_ARGUMENT` on missing keys (or unexpected ones with `strict`);
   *   ShapeError when coef and intercept disagree.
   */
  loadStateDict(sd: SavableState, options: LoadStateOptions = {}): LoadStateResult {
    const op = 'LinearRegression.loadStateDict';
    const r = checkState(op, sd, ['coef', 'intercept', 'nIter', 'lossCurve'], [], options);
    if (r.empty) {
      this.coefT = this.interceptT = null;
      return r;
    }
    const coef = sd.coef;
    if (coef.shape.length !== 1 && coef.shape.length !== 2) throw new ArgumentError(`${op}: coef must be [F] or [K, F], got [${coef.shape.join(', ')}]`);
    const twoD = coef.shape.length === 2;
    const coefT = stateTensor(op, sd, 'coef');
    const interceptT = stateTensor(op, sd, 'intercept', twoD ? [coef.shape[0]] : []);
    const nIter = stateScalar(op, sd, 'nIter');
    const curve = Array.from(stateValues(op, sd, 'lossCurve', [-1]));
    this.coefT = coefT;
    this.interceptT = interceptT;
    this.nFeaturesIn = coef.shape[coef.shape.length - 1];
    this.nIterV = nIter;
    this.curve = curve;
    return r;
  }

  /** A JSON-safe snapshot, `config()` and `stateDict()` as {@link LinearRegressionJSON}; `fromJSON` restores it exactly. */
  toJSON(): LinearRegressionJSON {
    return savableToJSON('LinearRegression', this.config().options ?? {}, this.stateDict());
  }

  /**
   * Rebuilds a model from {@link LinearRegression.toJSON} (predictions are identical).
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): LinearRegression {
    const op = 'LinearRegression.fromJSON';
    const { options, state } = savableFromJSON(json, 'LinearRegression');
    return asFormat(op, () => {
      const m = new LinearRegression(options as LinearRegressionOptions);
      m.loadStateDict(state);
      return m;
    });
  }
}

/** (1/2N)(‖y − x·wᵀ − b‖² + l2‖w‖²) + l1‖w‖₁ in float64. Shapes: x (N, F), y (N, K), w (K, F), b (K). */
function objective(
  x: Float32Array, y: Float32Array, w: ArrayLike<number>, b: ArrayLike<number>, N: number, F: number, K: number, l1: number, l2: number,
): number {
  const pred = new Float64Array(N * K);
  affine(pred, x, w, b, N, F, K);
  let rss = 0;
  for (let i = 0; i < N * K; i++) {
    const d = y[i] - pred[i];
    rss += d * d;
  }
  let sq = 0, ab = 0;
  for (let i = 0; i < K * F; i++) {
    sq += w[i] * w[i];
    ab += Math.abs(w[i]);
  }
  return (rss + l2 * sq) / (2 * N) + l1 * ab;
}
