import { LBFGS } from '../optim/lbfgs';
import {
  asFormat, checkState, savableFromJSON, savableToJSON, stateScalar, stateTensor, stateValues, typed,
  type LoadStateOptions, type LoadStateResult, type SavableJSON, type SavableState,
} from '../data/savable';
import type { ModuleConfig } from '../nn/module';
import { ArgumentError } from '../tensor/errors';
import { bool, nonNeg, oneOf, parseOptions, posInt, positive } from '../tensor/options';
import { Parameter, Tensor } from '../tensor/tensor';
import {
  labelAccuracy, encodeLabels, fista, notFitted, readFeatures, readLabels, readTargets, uniqueSorted,
  type FeaturesLike, type SmoothFn, type TargetsLike,
} from './estimator';

/** Options of {@link LogisticRegression}. */
export interface LogisticRegressionOptions {
  /** `'l2'` (default): + ½‖w‖²; `'l1'`: + ‖w‖₁ (needs solver 'gd'); `'none'`: no penalty. */
  penalty?: 'l2' | 'l1' | 'none';
  /** Inverse regularization strength C > 0: the data term is C·Σ loss (default 1, as scikit-learn). */
  C?: number;
  /**
   * `'multinomial'`: one softmax over K classes; `'ovr'`: K independent one-vs-rest binary fits;
   * `'auto'` (default): binary for 2 classes, multinomial otherwise (scikit-learn 1.2's rule).
   */
  multiClass?: 'auto' | 'ovr' | 'multinomial';
  /**
   * `'lbfgs'` (default): the package's `LBFGS` optimizer with a strong-Wolfe line search (l2 or no
   * penalty); `'gd'`: accelerated proximal gradient (FISTA with backtracking) in float64, any penalty.
   */
  solver?: 'lbfgs' | 'gd';
  /** Most iterations of the solver (per class for `'ovr'`; default 100). */
  maxIter?: number;
  /**
   * Stop when max |∇| of Σ loss + penalty/C falls to `tol` (the gradient mapping for l1), as
   * scikit-learn's lbfgs `gtol` (default 1e-4).
   */
  tol?: number;
  /** Learn an unpenalized intercept per class (default true). */
  fitIntercept?: boolean;
}

/** The resolved hyperparameters of a {@link LogisticRegression}. */
export interface LogisticRegressionParams {
  /** Penalty on the weights: `'l2'` (½‖w‖²), `'l1'` (‖w‖₁) or `'none'`. */
  penalty: 'l2' | 'l1' | 'none';
  /** Inverse regularization strength, > 0. */
  C: number;
  /** Multiclass scheme (`'auto'`: binary for 2 classes, multinomial otherwise). */
  multiClass: 'auto' | 'ovr' | 'multinomial';
  /** `'lbfgs'` or `'gd'` (FISTA). */
  solver: 'lbfgs' | 'gd';
  /** Most solver iterations (per class for `'ovr'`). */
  maxIter: number;
  /** Gradient tolerance of the stopping rule. */
  tol: number;
  /** Whether an unpenalized intercept per class is learned. */
  fitIntercept: boolean;
}

/**
 * The JSON form of a {@link LogisticRegression} (see `toJSON`): `config().options` and the state
 * dict (`coef`, `intercept`, `classes`, `multinomial`, `nIter`, `lossCurve`; empty before fit).
 */
export type LogisticRegressionJSON = SavableJSON<'LogisticRegression'>;

const SPEC = {
  penalty: oneOf(['l2', 'l1', 'none'] as const), C: positive, multiClass: oneOf(['auto', 'ovr', 'multinomial'] as const),
  solver: oneOf(['lbfgs', 'gd'] as const), maxIter: posInt, tol: nonNeg, fitIntercept: bool,
};

const DEFAULTS: LogisticRegressionParams = { penalty: 'l2', C: 1, multiClass: 'auto', solver: 'lbfgs', maxIter: 100, tol: 1e-4, fitIntercept: true };

/**
 * Logistic regression minimizing scikit-learn's objective C·Σᵢ loss(xᵢ, yᵢ) + ½‖W‖²
 * (penalty 'l2'), C·Σᵢ loss + ‖W‖₁ ('l1') or Σᵢ loss ('none'), with an unpenalized intercept;
 * loss is log(1 + exp(−sᵢ·(w·xᵢ + b))) with sᵢ = ±1 for two classes (and for each one-vs-rest
 * problem), and −log softmax(W·xᵢ + b)_{yᵢ} for the multinomial model. The options are
 * scikit-learn's `LogisticRegression(penalty, C, multi_class, max_iter, tol, fit_intercept)` in
 * camelCase (`'none'` is scikit-learn 1.2's `penalty='none'`); `solver: 'gd'` stands in for
 * scikit-learn's `saga` with L1.
 *
 * Both solvers minimize the objective divided by C, Σ loss + ½‖W‖²/C (scikit-learn's lbfgs
 * scaling, so `tol` means the same): `'lbfgs'` runs the package's `LBFGS` optimizer (float32
 * parameters, history 10, strong-Wolfe line search) on a gradient computed in float64; `'gd'` runs
 * FISTA with backtracking in float64 and soft-thresholds the weights (never the intercept) for L1.
 *
 * Labels are any numbers; `classes` holds them sorted, and for two classes the positive one is
 * `classes[1]` (as scikit-learn). Labels must be integers: continuous values such as 0.5 and
 * strings are refused (encode strings with `LabelEncoder`).
 *
 * Fitted attributes: `coef` [1, F] for two classes (binary or multinomial, as scikit-learn) or
 * [K, F], `intercept` [1] or [K], `classes`, `nIter` (largest over one-vs-rest problems),
 * `lossCurve` (the objective divided by C·N, i.e. mean loss + penalty/(C·N), per iteration).
 *
 * Shapes: x [N, F], y [N] (labels); predict → [N] labels; predictProba → [N, K] in the order of
 * `classes`; decisionFunction → [N] for two classes, else [N, K].
 * @example
 * const clf = new LogisticRegression().fit([[-2], [-1], [1], [2]], [0, 0, 1, 1]);
 * clf.classes; // [0, 1]
 * clf.predict([[-3], [3]]).toArray(); // [0, 1]
 * clf.score([[-3], [3]], [0, 1]); // 1
 * clf.predictProba([[0]]).toArray().map((p) => p.toFixed(2)); // ['0.50', '0.50']
 * @throws ArgumentError on a bad option (C ≤ 0, unknown choices, penalty 'l1' with solver 'lbfgs'),
 *   NaN or ±Inf in x, fewer than two classes, or labels at score that fit never saw; ShapeError
 *   on mis-sized y or a feature count that differs from fit; TensorkitError `NOT_FITTED` before fit.
 * @see Beck & Teboulle, "A fast iterative shrinkage-thresholding algorithm for linear inverse
 *   problems", SIAM J. Imaging Sciences 2 (2009) (FISTA).
 * @see Nocedal & Wright, "Numerical Optimization", 2nd ed. (2006), §7.2 (L-BFGS).
 * @category Models
 */
export class LogisticRegression {
  /** The hyperparameters (validated). */
  readonly params: LogisticRegressionParams;
  private coefT: Tensor | null = null;
  private interceptT: Tensor | null = null;
  private classesV: number[] = [];
  private multinomial = false;
  private nIterV = 0;
  private curve: number[] = [];

  /** Takes {@link LogisticRegressionOptions}, or `config().options` of another LogisticRegression. */
  constructor(options: LogisticRegressionOptions = {}) {
    const op = 'LogisticRegression';
    this.params = { ...DEFAULTS, ...parseOptions(op, options, SPEC) };
    if (this.params.penalty === 'l1' && this.params.solver === 'lbfgs') {
      throw new ArgumentError(`${op}: solver 'lbfgs' supports penalty 'l2' or 'none'; use solver 'gd' (proximal gradient) for 'l1'`);
    }
  }

  /** Weights, [1, F] for two classes or [K, F]. @throws TensorkitError `NOT_FITTED` before fit. */
  get coef(): Tensor {
    if (this.coefT === null) throw notFitted('LogisticRegression', 'coef');
    return this.coefT;
  }

  /** Intercepts, [1] or [K]. @throws TensorkitError `NOT_FITTED` before fit. */
  get intercept(): Tensor {
    if (this.interceptT === null) throw notFitted('LogisticRegression', 'intercept');
    return this.interceptT;
  }

  /** The class labels seen in fit, sorted. */
  get classes(): number[] {
    if (this.coefT === null) throw notFitted('LogisticRegression', 'classes');
    return this.classesV.slice();
  }

  /** Solver iterations (the largest over one-vs-rest problems). */
  get nIter(): number {
    if (this.coefT === null) throw notFitted('LogisticRegression', 'nIter');
    return this.nIterV;
  }

  /** The objective / (C·N) after each iteration (summed over one-vs-rest problems). */
  get lossCurve(): number[] {
    if (this.coefT === null) throw notFitted('LogisticRegression', 'lossCurve');
    return this.curve.slice();
  }

  /**
   * Fits to x [N, F] and labels y [N]; returns this.
   * @throws ArgumentError on NaN/±Inf, an empty x or a single class; ShapeError if y does not have N rows.
   */
  fit(x: FeaturesLike, y: TargetsLike): this {
    const op = 'LogisticRegression.fit';
    const X = readFeatures(x, op);
    const labels = readLabels(y, X.N, op);
    const classes = uniqueSorted(labels);
    if (classes.length < 2) throw new ArgumentError(`${op}: y needs at least two classes, got ${classes.length} (${classes.join(', ')})`);
    const yi = encodeLabels(labels, classes, op);
    const { N, F } = X;
    const K = classes.length;
    const mode = this.params.multiClass === 'auto' ? (K === 2 ? 'binary' : 'multinomial') : this.params.multiClass === 'ovr' && K === 2 ? 'binary' : this.params.multiClass;
    let W: Float64Array, b: Float64Array;
    if (mode === 'multinomial') {
      const theta = new Float64Array(K * F + K);
      const fn = softmaxObjective(X.data, yi, N, F, K, this.params);
      const res = this.minimize(theta, fn, K * F);
      this.nIterV = res.nIter;
      this.curve = res.curve.map((v) => v / N);
      W = theta.subarray(0, K * F);
      b = theta.subarray(K * F);
      if (K === 2) {
        // scikit-learn keeps the second row: P(classes[1]) = softmax([−z, z])₁ with z = w₁·x + b₁.
        W = W.subarray(F);
        b = b.subarray(1);
      }
    } else {
      const R = mode === 'binary' ? 1 : K;
      W = new Float64Array(R * F);
      b = new Float64Array(R);
      const target = new Float64Array(N);
      const curves: number[][] = [];
      let most = 0;
      for (let r = 0; r < R; r++) {
        const pos = mode === 'binary' ? 1 : r;
        for (let n = 0; n < N; n++) target[n] = yi[n] === pos ? 1 : 0;
        const theta = new Float64Array(F + 1);
        const res = this.minimize(theta, binaryObjective(X.data, target, N, F, this.params), F);
        W.set(theta.subarray(0, F), r * F);
        b[r] = theta[F];
        curves.push(res.curve);
        if (res.nIter > most) most = res.nIter;
      }
      this.nIterV = most;
      const len = Math.max(...curves.map((c) => c.length));
      this.curve = Array.from({ length: len }, (_, i) => curves.reduce((s, c) => s + c[Math.min(i, c.length - 1)], 0) / N);
    }
    const rows = b.length;
    this.coefT = new Tensor(Float32Array.from(W), [rows, F]);
    this.interceptT = new Tensor(Float32Array.from(b), [rows]);
    this.classesV = classes;
    this.multinomial = mode === 'multinomial';
    return this;
  }

  /**
   * Minimizes fn (Σ loss + ½‖W‖²/C or Σ loss) + ‖W‖₁/C for l1 over θ = [W (nW values), b] in place.
   * The objective values returned are divided by C already (the scaling the solvers use).
   */
  private minimize(theta: Float64Array, fn: SmoothFn, nW: number): { nIter: number; curve: number[] } {
    const p = this.params;
    const fitB = p.fitIntercept;
    // Without an intercept, its coordinates get a zero gradient and never move from 0.
    const f: SmoothFn = fitB ? fn : (th, g) => {
      const v = fn(th, g);
      if (g !== null) g.fill(0, nW);
      return v;
    };
    if (p.solver === 'gd') {
      let lambda: Float64Array | null = null;
      if (p.penalty === 'l1') {
        lambda = new Float64Array(theta.length);
        lambda.fill(1 / p.C, 0, nW);
      }
      const res = fista(theta, f, lambda, p.maxIter, p.tol);
      return { nIter: res.nIter, curve: res.curve };
    }
    const param = new Parameter(Float32Array.from(theta), [theta.length]);
    const opt = new LBFGS([param], { lr: 1, maxIter: 1, historySize: 10, lineSearchFn: 'strongWolfe', toleranceGrad: p.tol, toleranceChange: 1e-12 });
    const th64 = new Float64Array(theta.length);
    const g64 = new Float64Array(theta.length);
    let first = false, gmax = Infinity, fval = 0;
    const closure = (): number => {
      th64.set(param.data);
      const v = f(th64, g64);
      param.grad = Float32Array.from(g64);
      if (first) {
        first = false;
        fval = v;
        gmax = 0;
        for (let i = 0; i < g64.length; i++) if (Math.abs(g64[i]) > gmax) gmax = Math.abs(g64[i]);
      }
      return v;
    };
    const curve: number[] = [];
    const before = new Float32Array(theta.length);
    let it = 0;
    for (;;) {
      before.set(param.data);
      first = true;
      opt.step(closure);
      if (gmax <= p.tol || !Number.isFinite(fval)) break;
      let moved = false;
      for (let i = 0; i < before.length; i++) {
        if (before[i] !== param.data[i]) {
          moved = true;
          break;
        }
      }
      // A step that changes no float32 parameter means L-BFGS has stalled at float32 resolution.
      if (!moved) break;
      it++;
      first = true;
      th64.set(param.data);
      curve.push(f(th64, null));
      if (it >= p.maxIter) break;
    }
    for (let i = 0; i < theta.length; i++) theta[i] = param.data[i];
    return { nIter: it, curve };
  }

  /**
   * The decision values z = x·Wᵀ + b: [N] for two classes (positive: `classes[1]`), else [N, K].
   * @throws as {@link LogisticRegression.predict}.
   */
  decisionFunction(x: FeaturesLike): Tensor {
    if (this.coefT === null || this.interceptT === null) throw notFitted('LogisticRegression', 'decisionFunction');
    const X = readFeatures(x, 'LogisticRegression.decisionFunction', this.coefT.shape[1]);
    const R = this.interceptT.size;
    const w = this.coefT.data, b = this.interceptT.data;
    const out = new Float32Array(X.N * R);
    for (let n = 0; n < X.N; n++) {
      const xRow = n * X.F;
      for (let r = 0; r < R; r++) {
        const wRow = r * X.F;
        let acc = b[r];
        for (let f = 0; f < X.F; f++) acc += X.data[xRow + f] * w[wRow + f];
        out[n * R + r] = acc;
      }
    }
    return new Tensor(out, R === 1 ? [X.N] : [X.N, R]);
  }

  /**
   * Class probabilities, columns in the order of `classes`: sigmoid for two classes (softmax of
   * [−z, z] for a two-class multinomial fit, as scikit-learn), softmax for multinomial, and
   * one-vs-rest sigmoids normalized to sum to 1 for `'ovr'`.
   * Shapes: x [N, F] → [N, K].
   * @throws as {@link LogisticRegression.predict}.
   */
  predictProba(x: FeaturesLike): Tensor {
    const z = this.decisionFunction(x).data;
    const K = this.classesV.length;
    const N = z.length / this.interceptT!.size;
    const out = new Float32Array(N * K);
    if (K === 2) {
      const s = this.multinomial ? 2 : 1;
      for (let n = 0; n < N; n++) {
        const p1 = 1 / (1 + Math.exp(-s * z[n]));
        out[2 * n] = 1 - p1;
        out[2 * n + 1] = p1;
      }
    } else {
      for (let n = 0; n < N; n++) {
        const row = n * K;
        let tot = 0;
        if (this.multinomial) {
          let m = -Infinity;
          for (let k = 0; k < K; k++) if (z[row + k] > m) m = z[row + k];
          const e = new Float64Array(K);
          for (let k = 0; k < K; k++) tot += e[k] = Math.exp(z[row + k] - m);
          for (let k = 0; k < K; k++) out[row + k] = e[k] / tot;
        } else {
          const e = new Float64Array(K);
          for (let k = 0; k < K; k++) tot += e[k] = 1 / (1 + Math.exp(-z[row + k]));
          for (let k = 0; k < K; k++) out[row + k] = e[k] / tot;
        }
      }
    }
    return new Tensor(out, [N, K]);
  }

  /**
   * Predicted labels: the class of largest decision value (the first on ties).
   * Shapes: x [N, F] → [N].
   * @throws TensorkitError `NOT_FITTED` before fit; ShapeError if F differs from fit; ArgumentError on NaN/±Inf.
   */
  predict(x: FeaturesLike): Tensor {
    const z = this.decisionFunction(x).data;
    const R = this.interceptT!.size;
    const N = z.length / R;
    const out = new Float32Array(N);
    for (let n = 0; n < N; n++) {
      if (R === 1) {
        out[n] = this.classesV[z[n] > 0 ? 1 : 0];
        continue;
      }
      let best = 0;
      for (let r = 1; r < R; r++) if (z[n * R + r] > z[n * R + best]) best = r;
      out[n] = this.classesV[best];
    }
    return new Tensor(out, [N]);
  }

  /**
   * Accuracy of `predict(x)` against the labels y.
   * @throws as {@link LogisticRegression.predict}; ArgumentError if y holds a label fit never saw.
   */
  score(x: FeaturesLike, y: TargetsLike): number {
    const pred = this.predict(x);
    const labels = readTargets(y, pred.size, 'LogisticRegression.score', false).data;
    return labelAccuracy(labels, pred.data, this.classesV, 'LogisticRegression.score');
  }

  /** `{ type: 'LogisticRegression', options }`: the hyperparameters, which the constructor accepts back. */
  config(): ModuleConfig {
    return { type: 'LogisticRegression', options: { ...this.params } };
  }

  /**
   * The fitted state: `coef` [R, F], `intercept` [R] (R = 1 for two classes), `classes` [K] (the
   * integer labels), `multinomial` [] (1 for one softmax), `nIter` [] and `lossCurve`
   * [iterations]; empty before fit.
   */
  stateDict(): SavableState {
    if (this.coefT === null || this.interceptT === null) return {};
    return {
      coef: this.coefT, intercept: this.interceptT,
      classes: new Tensor(Float32Array.from(this.classesV), [this.classesV.length]),
      multinomial: new Tensor(new Float32Array([this.multinomial ? 1 : 0]), []),
      nIter: new Tensor(new Float32Array([this.nIterV]), []),
      lossCurve: typed('F64', Float64Array.from(this.curve), [this.curve.length]),
    };
  }

  /**
   * Restores a fitted state from {@link LogisticRegression.stateDict} (an empty one unfits the model).
   * @throws TensorkitError `INVALID_ARGUMENT` on missing keys (or unexpected ones with `strict`);
   *   ShapeError when coef, intercept and classes disagree.
   */
  loadStateDict(sd: SavableState, options: LoadStateOptions = {}): LoadStateResult {
    const op = 'LogisticRegression.loadStateDict';
    const r = checkState(op, sd, ['coef', 'intercept', 'classes', 'multinomial', 'nIter', 'lossCurve'], [], options);
    if (r.empty) {
      this.coefT = this.interceptT = null;
      return r;
    }
    const coefT = stateTensor(op, sd, 'coef', [-1, -1]);
    const [R, F] = coefT.shape;
    const classes = Array.from(stateValues(op, sd, 'classes', [-1]));
    const K = classes.length;
    if (K < 2 || !(R === K || (K === 2 && R === 1))) throw new ArgumentError(`${op}: ${K} classes do not fit coef [${R}, ${F}]`);
    this.interceptT = stateTensor(op, sd, 'intercept', [R]);
    this.coefT = coefT;
    this.classesV = classes;
    this.multinomial = stateScalar(op, sd, 'multinomial') !== 0;
    this.nIterV = stateScalar(op, sd, 'nIter');
    this.curve = Array.from(stateValues(op, sd, 'lossCurve', [-1]));
    return r;
  }

  /** A JSON-safe snapshot, `config()` and `stateDict()` as {@link LogisticRegressionJSON}; `fromJSON` restores it exactly. */
  toJSON(): LogisticRegressionJSON {
    return savableToJSON('LogisticRegression', this.config().options ?? {}, this.stateDict());
  }

  /**
   * Rebuilds a model from {@link LogisticRegression.toJSON} (predictions are identical).
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): LogisticRegression {
    const { options, state } = savableFromJSON(json, 'LogisticRegression');
    return asFormat('LogisticRegression.fromJSON', () => {
      const m = new LogisticRegression(options as LogisticRegressionOptions);
      m.loadStateDict(state);
      return m;
    });
  }
}

/** The scaled penalty ½‖w‖²/C of l2 (added to the smooth part), with its gradient. */
function addL2(theta: Float64Array, grad: Float64Array | null, nW: number, p: LogisticRegressionParams): number {
  if (p.penalty !== 'l2') return 0;
  const s = 1 / p.C;
  let sq = 0;
  for (let j = 0; j < nW; j++) {
    sq += theta[j] * theta[j];
    if (grad !== null) grad[j] += s * theta[j];
  }
  return 0.5 * s * sq;
}

/**
 * Σₙ log(1 + exp(−sₙ·zₙ)) + ½‖w‖²/C with zₙ = w·xₙ + b, sₙ = 2tₙ − 1, computed stably as
 * softplus(zₙ) − tₙ·zₙ; θ = [w (F), b]. Gradient: Σₙ (σ(zₙ) − tₙ)·[xₙ, 1] + w/C.
 */
function binaryObjective(x: Float32Array, t: Float64Array, N: number, F: number, p: LogisticRegressionParams): SmoothFn {
  return (theta, grad) => {
    if (grad !== null) grad.fill(0);
    const b = theta[F];
    let loss = 0;
    for (let n = 0; n < N; n++) {
      const xRow = n * F;
      let z = b;
      for (let f = 0; f < F; f++) z += x[xRow + f] * theta[f];
      loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - t[n] * z;
      if (grad !== null) {
        const d = 1 / (1 + Math.exp(-z)) - t[n];
        for (let f = 0; f < F; f++) grad[f] += d * x[xRow + f];
        grad[F] += d;
      }
    }
    return loss + addL2(theta, grad, F, p);
  };
}

/**
 * Σₙ (logΣₖ exp zₙₖ − zₙ,yₙ) + ½‖W‖²/C with zₙ = W·xₙ + b; θ = [W (K·F), b (K)].
 * Gradient: Σₙ (softmax(zₙ) − onehot(yₙ)) ⊗ [xₙ, 1] + W/C.
 */
function softmaxObjective(x: Float32Array, y: Int32Array, N: number, F: number, K: number, p: LogisticRegressionParams): SmoothFn {
  const z = new Float64Array(K);
  return (theta, grad) => {
    if (grad !== null) grad.fill(0);
    const bOff = K * F;
    let loss = 0;
    for (let n = 0; n < N; n++) {
      const xRow = n * F;
      let m = -Infinity;
      for (let k = 0; k < K; k++) {
        const wRow = k * F;
        let acc = theta[bOff + k];
        for (let f = 0; f < F; f++) acc += x[xRow + f] * theta[wRow + f];
        z[k] = acc;
        if (acc > m) m = acc;
      }
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp(z[k] - m);
      const lse = m + Math.log(s);
      loss += lse - z[y[n]];
      if (grad !== null) {
        for (let k = 0; k < K; k++) {
          const d = Math.exp(z[k] - lse) - (k === y[n] ? 1 : 0);
          const wRow = k * F;
          for (let f = 0; f < F; f++) grad[wRow + f] += d * x[xRow + f];
          grad[bOff + k] += d;
        }
      }
    }
    return loss + addL2(theta, grad, K * F, p);
  };
}
