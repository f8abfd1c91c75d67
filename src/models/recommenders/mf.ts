import { ArgumentError, NumericError } from '../../tensor/errors';
import { choleskyFactor64, lowerSolve64, lowerTransSolve64 } from '../../tensor/kernels/linalg';
import { asFormat, savableFromJSON, stateScalar, typed, type FittedConfig, type SavableJSON, type SavableState } from '../../data/savable';
import { bool, nonNeg, nonNegInt, oneOf, parseOptions, posInt, positive, rng as rngCheck } from '../../tensor/options';
import { defaultGenerator, type Generator } from '../../tensor/random';
import { Tensor } from '../../tensor/tensor';
import {
  Recommender, buildState, checkInteractions, groupBy, stateF32, type IdArray, type Interactions, type TrainState,
} from './common';

// Dims: U users, I items, R rank, M ratings, D = R + 1 (factor plus bias) in the ALS solves.

/** Options of {@link MatrixFactorization}. */
export interface MatrixFactorizationOptions {
  /** Number of latent factors R. Default 32. */
  rank?: number;
  /** `'sgd'` (Funk-style stochastic gradient descent) or `'als'` (alternating ridge solves). Default `'sgd'`. */
  solver?: 'sgd' | 'als';
  /** Passes over the ratings (sgd) or alternating sweeps (als). Default 20 (sgd), 10 (als). */
  epochs?: number;
  /** SGD step size (ignored by als). Default 0.01. */
  lr?: number;
  /** Regularization λ of the objective (see the class notes). Default 0.02. */
  l2?: number;
  /** Learn user and item biases bᵤ, bᵢ. Default true. */
  biases?: boolean;
  /** Std of the N(0, initStd²) initial factors. Default 0.1. */
  initStd?: number;
  /** Generator for the initial factors and the sgd shuffles. Default: the global one. */
  rng?: Generator;
}

/**
 * The JSON form of a {@link MatrixFactorization}: `config().options` and the state dict (`train.*`,
 * `globalMean` [] (float64), `userFactors` [U, R], `itemFactors` [I, R], `userBias` [U], `itemBias` [I]).
 */
export type MatrixFactorizationJSON = SavableJSON<'MatrixFactorization'>;

/**
 * Biased matrix factorization for explicit ratings (Koren, Bell and Volinsky 2009):
 * r̂ᵤᵢ = μ + bᵤ + bᵢ + pᵤ·qᵢ, fitted by minimizing over the observed set K
 * Σ₍ᵤ,ᵢ₎∈K (rᵤᵢ − r̂ᵤᵢ)² + λ·(bᵤ² + bᵢ² + ‖pᵤ‖² + ‖qᵢ‖²), λ = `l2`, μ the mean training rating
 * (fixed). Both solvers minimize this same objective; note that the penalty is summed per rating,
 * so a user with nᵤ ratings has her factors penalized by λ·nᵤ.
 *
 * - `'sgd'` (Funk 2006, Koren et al. 2009): every epoch visits the ratings in a fresh random order;
 *   with e = r − r̂: bᵤ += lr·(e − λ·bᵤ), bᵢ += lr·(e − λ·bᵢ), pᵤ += lr·(e·qᵢ − λ·pᵤ),
 *   qᵢ += lr·(e·pᵤ − λ·qᵢ) (using the old pᵤ). Plain typed-array loops, O(M·R) per epoch.
 * - `'als'` (Zhou et al. 2008, "ALS-WR"; Hu et al. 2008): alternately, for each user with the items
 *   fixed, solve the ridge problem for [pᵤ; bᵤ] exactly — features [qᵢ; 1], targets
 *   rᵤᵢ − μ − bᵢ, penalty λ·nᵤ·I — then the same for each item [qᵢ; bᵢ] with features [pᵤ; 1].
 *   The biases are thus handled by augmenting the factors with a constant 1 column. Normal
 *   equations are accumulated and Cholesky-solved in float64, O(M·R² + (U + I)·R³) per sweep.
 *
 * With `biases: false` the prediction is μ + pᵤ·qᵢ.
 *
 * Cold start: factors and biases of users and items without training ratings are zero, so
 * `predict` gives μ + bᵢ for an unseen user (μ + bᵤ for an unseen item, μ for both);
 * `recommend` of an unseen user returns the most popular items (see {@link Recommender}).
 * Training RMSE per epoch is kept in `history`.
 *
 * Shapes: userFactors [U, R], itemFactors [I, R], userBias [U], itemBias [I].
 * @example
 * // Two users, two items; the ratings are 2 + user + item exactly.
 * const mf = new MatrixFactorization({ rank: 1, solver: 'als', epochs: 20, l2: 1e-4, rng: new Generator(0) });
 * mf.fit({ users: [0, 0, 1, 1], items: [0, 1, 0, 1], ratings: [2, 3, 3, 4] });
 * Math.round(mf.predict([1], [1])[0] * 100) / 100; // 4
 * mf.globalMean; // 3
 * @throws ArgumentError on bad options or interactions; NumericError if training diverges (lower lr).
 * @see Y. Koren, R. Bell, C. Volinsky, "Matrix factorization techniques for recommender systems", IEEE Computer (2009).
 * @see Y. Zhou, D. Wilkinson, R. Schreiber, R. Pan, "Large-scale parallel collaborative filtering for the Netflix Prize" (2008).
 * @see Y. Hu, Y. Koren, C. Volinsky, "Collaborative filtering for implicit feedback datasets", ICDM (2008).
 * @category Recommenders
 */
export class MatrixFactorization extends Recommender {
  /** Number of latent factors R. */
  readonly rank: number;
  /** `'sgd'` (stochastic gradient descent) or `'als'` (alternating ridge solves). */
  readonly solver: 'sgd' | 'als';
  /** Passes over the ratings (sgd) or alternating sweeps (als). */
  readonly epochs: number;
  /** SGD step size (ignored by als). */
  readonly lr: number;
  /** Regularization λ of the objective. */
  readonly l2: number;
  /** Whether user and item biases bᵤ, bᵢ are learned. */
  readonly biases: boolean;
  /** Std of the N(0, initStd²) initial factors. */
  readonly initStd: number;
  private readonly rng: Generator;
  /** μ, the mean training rating (NaN before fit). */
  globalMean = NaN;
  /** User factors P, [U, R] row-major (null before fit). */
  userFactors: Float32Array | null = null;
  /** Item factors Q, [I, R] row-major (null before fit). */
  itemFactors: Float32Array | null = null;
  /** User biases bᵤ, [U] (zeros when `biases` is false). */
  userBias: Float32Array | null = null;
  /** Item biases bᵢ, [I] (zeros when `biases` is false). */
  itemBias: Float32Array | null = null;
  /** Training RMSE of each epoch (sgd: measured during the pass; als: after the sweep). */
  history: number[] = [];

  /** Takes {@link MatrixFactorizationOptions}, or `config().options` of another MatrixFactorization. */
  constructor(options: MatrixFactorizationOptions = {}) {
    super();
    const op = 'MatrixFactorization';
    const o = parseOptions(op, options, {
      rank: posInt, solver: oneOf(['sgd', 'als'] as const), epochs: nonNegInt, lr: positive, l2: nonNeg, biases: bool, initStd: nonNeg, rng: rngCheck,
    });
    this.rank = o.rank ?? 32;
    this.solver = o.solver ?? 'sgd';
    this.epochs = o.epochs ?? (this.solver === 'sgd' ? 20 : 10);
    this.lr = o.lr ?? 0.01;
    this.l2 = o.l2 ?? 0.02;
    this.biases = o.biases ?? true;
    this.initStd = o.initStd ?? 0.1;
    this.rng = o.rng ?? defaultGenerator();
  }

  /**
   * Fits to explicit ratings (refits from scratch).
   * @throws ArgumentError when `ratings` is missing or the interactions are invalid.
   */
  fit(interactions: Interactions): this {
    const op = 'MatrixFactorization.fit';
    const d = checkInteractions(op, interactions);
    if (d.ratings === null) throw new ArgumentError(`${op}: explicit ratings are required (use BPR or ItemKNN for implicit feedback)`);
    const { users, items, ratings, nUsers: U, nItems: I } = d;
    const R = this.rank, M = users.length;
    let mu = 0;
    for (let m = 0; m < M; m++) mu += ratings[m];
    mu /= M;
    const P = this.rng.fillNormal(new Float32Array(U * R), 0, this.initStd);
    const Q = this.rng.fillNormal(new Float32Array(I * R), 0, this.initStd);
    const bu = new Float32Array(U), bi = new Float32Array(I);
    this.history = [];
    if (this.solver === 'sgd') {
      const order = new Int32Array(M);
      for (let m = 0; m < M; m++) order[m] = m;
      for (let e = 0; e < this.epochs; e++) {
        this.rng.shuffle(order);
        const sse = mfSgdEpoch(P, Q, bu, bi, users, items, ratings, order, mu, this.lr, this.l2, this.biases, M, R);
        this.history.push(Math.sqrt(sse / M));
        if (!Number.isFinite(sse)) throw new NumericError(`${op}: training diverged in epoch ${e + 1} (training loss ${sse}); lower lr (${this.lr})`);
      }
    } else {
      const byU = groupBy(users, U), byI = groupBy(items, I);
      for (let e = 0; e < this.epochs; e++) {
        mfAlsHalf(P, bu, Q, bi, byU.ptr, byU.order, items, ratings, mu, this.l2, this.biases, U, R, op);
        mfAlsHalf(Q, bi, P, bu, byI.ptr, byI.order, users, ratings, mu, this.l2, this.biases, I, R, op);
        this.history.push(Math.sqrt(mfSse(P, Q, bu, bi, users, items, ratings, mu, M, R) / M));
      }
    }
    const state = buildState(d);
    zeroCold(P, bu, state.ptr, U, R);
    const itemSeen = new Int32Array(I + 1);
    for (let i = 0; i < I; i++) itemSeen[i + 1] = itemSeen[i] + (state.counts[i] > 0 ? 1 : 0);
    zeroCold(Q, bi, itemSeen, I, R);
    this.globalMean = mu;
    this.userFactors = P;
    this.itemFactors = Q;
    this.userBias = bu;
    this.itemBias = bi;
    this.state = state;
    return this;
  }

  /** r̂ᵤᵢ = μ + bᵤ + bᵢ + pᵤ·qᵢ for each pair. */
  override predict(users: IdArray, items: IdArray): Float32Array {
    const [us, is] = this.checkPairs(users, items, 'predict');
    const P = this.userFactors!, Q = this.itemFactors!, bu = this.userBias!, bi = this.itemBias!;
    const R = this.rank;
    const out = new Float32Array(us.length);
    for (let m = 0; m < us.length; m++) {
      const u = us[m], i = is[m];
      const pRow = u * R, qRow = i * R;
      let acc = this.globalMean + bu[u] + bi[i];
      for (let f = 0; f < R; f++) acc += P[pRow + f] * Q[qRow + f];
      out[m] = acc;
    }
    return out;
  }

  protected scoreUserInto(out: Float32Array, u: number): void {
    const P = this.userFactors!, Q = this.itemFactors!, bi = this.itemBias!;
    const R = this.rank, I = bi.length, pRow = u * R;
    const base = this.globalMean + this.userBias![u];
    for (let i = 0; i < I; i++) {
      const qRow = i * R;
      let acc = base + bi[i];
      for (let f = 0; f < R; f++) acc += P[pRow + f] * Q[qRow + f];
      out[i] = acc;
    }
  }

  /** `{ type: 'MatrixFactorization', options }` with every option but `rng`. */
  config(): FittedConfig {
    return {
      type: 'MatrixFactorization',
      options: { rank: this.rank, solver: this.solver, epochs: this.epochs, lr: this.lr, l2: this.l2, biases: this.biases, initStd: this.initStd },
    };
  }

  protected modelState(): SavableState {
    const R = this.rank;
    const U = this.userBias!.length, I = this.itemBias!.length;
    return {
      globalMean: typed('F64', new Float64Array([this.globalMean]), []),
      userFactors: new Tensor(this.userFactors!.slice(), [U, R]), itemFactors: new Tensor(this.itemFactors!.slice(), [I, R]),
      userBias: new Tensor(this.userBias!.slice(), [U]), itemBias: new Tensor(this.itemBias!.slice(), [I]),
    };
  }

  protected modelKeys(): string[] {
    return ['globalMean', 'userFactors', 'itemFactors', 'userBias', 'itemBias'];
  }

  protected loadModel(op: string, sd: SavableState, st: TrainState): void {
    const R = this.rank;
    const mu = stateScalar(op, sd, 'globalMean');
    this.userFactors = stateF32(op, sd, 'userFactors', [st.nUsers, R]);
    this.itemFactors = stateF32(op, sd, 'itemFactors', [st.nItems, R]);
    this.userBias = stateF32(op, sd, 'userBias', [st.nUsers]);
    this.itemBias = stateF32(op, sd, 'itemBias', [st.nItems]);
    this.globalMean = mu;
  }

  /**
   * Rebuilds a model from {@link MatrixFactorization.toJSON} output; it predicts identically (the
   * rng is not saved: a refit draws from the global generator unless you fit a new model with one).
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): MatrixFactorization {
    const { options, state } = savableFromJSON(json, 'MatrixFactorization');
    return asFormat('MatrixFactorization.fromJSON', () => {
      const m = new MatrixFactorization(options as MatrixFactorizationOptions);
      m.loadStateDict(state);
      return m;
    });
  }
}

/** Zeroes the factor rows and biases of the ids k whose group ptr[k] … ptr[k + 1] is empty. */
function zeroCold(F: Float32Array, b: Float32Array, ptr: Int32Array, K: number, R: number): void {
  for (let k = 0; k < K; k++) {
    if (ptr[k + 1] > ptr[k]) continue;
    b[k] = 0;
    F.fill(0, k * R, k * R + R);
  }
}

/**
 * One Funk-SGD pass over the ratings in `order`; returns the sum of squared errors seen (each
 * measured just before its update). Updates P, Q, bu, bi in place.
 * Shapes: P (U, R), Q (I, R), bu (U), bi (I), users/items/ratings/order (M). @internal
 */
export function mfSgdEpoch(
  P: Float32Array, Q: Float32Array, bu: Float32Array, bi: Float32Array,
  users: Int32Array, items: Int32Array, ratings: Float32Array, order: Int32Array,
  mu: number, lr: number, l2: number, biases: boolean, M: number, R: number,
): number {
  let sse = 0;
  for (let t = 0; t < M; t++) {
    const m = order[t];
    const u = users[m], i = items[m];
    const pRow = u * R, qRow = i * R;
    let dot = 0;
    for (let f = 0; f < R; f++) dot += P[pRow + f] * Q[qRow + f];
    const bU = bu[u], bI = bi[i];
    const e = ratings[m] - (mu + bU + bI + dot);
    sse += e * e;
    if (biases) {
      bu[u] = bU + lr * (e - l2 * bU);
      bi[i] = bI + lr * (e - l2 * bI);
    }
    const le = lr * e, keep = 1 - lr * l2;
    for (let f = 0; f < R; f++) {
      const p = P[pRow + f], q = Q[qRow + f];
      P[pRow + f] = keep * p + le * q;
      Q[qRow + f] = keep * q + le * p;
    }
  }
  return sse;
}

/**
 * One half-sweep of ALS: for every row k of X with observations (rows order[ptr[k] … ptr[k+1]) of
 * the ratings), solves (Σ x·xᵀ + λ·nₖ·I)·w = Σ t·x with x = [y_other; 1], t = r − μ − b_other,
 * and writes w into X[k] (and bX[k] when biases). Float64 normal equations, Cholesky solve.
 * Shapes: X (K, R), bX (K), Y (J, R), bY (J), ptr (K + 1), order/other/ratings (M).
 */
function mfAlsHalf(
  X: Float32Array, bX: Float32Array, Y: Float32Array, bY: Float32Array,
  ptr: Int32Array, order: Int32Array, other: Int32Array, ratings: Float32Array,
  mu: number, l2: number, biases: boolean, K: number, R: number, op: string,
): void {
  const D = biases ? R + 1 : R;
  let maxN = 0;
  for (let k = 0; k < K; k++) if (ptr[k + 1] - ptr[k] > maxN) maxN = ptr[k + 1] - ptr[k];
  const A = new Float64Array(D * D), b = new Float64Array(D);
  // The row's features gathered transposed, xt[a, t] (D, n), so the Gram entries are contiguous dot products.
  const xt = new Float64Array(D * maxN), tgt = new Float64Array(maxN);
  for (let k = 0; k < K; k++) {
    const from = ptr[k], n = ptr[k + 1] - from;
    if (n === 0) continue;
    for (let t = 0; t < n; t++) {
      const m = order[from + t];
      const j = other[m], yRow = j * R;
      for (let f = 0; f < R; f++) xt[f * n + t] = Y[yRow + f];
      if (biases) xt[R * n + t] = 1;
      tgt[t] = ratings[m] - mu - (biases ? bY[j] : 0);
    }
    for (let a = 0; a < D; a++) {
      const aOff = a * n;
      let ba = 0;
      for (let t = 0; t < n; t++) ba += tgt[t] * xt[aOff + t];
      b[a] = ba;
      for (let c = 0; c <= a; c++) {
        const cOff = c * n;
        let acc = 0;
        for (let t = 0; t < n; t++) acc += xt[aOff + t] * xt[cOff + t];
        A[a * D + c] = acc;
      }
      A[a * D + a] += l2 * n;
    }
    if (choleskyFactor64(A, D) >= 0) {
      throw new NumericError(`${op}: the ALS normal equations of row ${k} are singular; use l2 > 0 (got ${l2})`);
    }
    lowerSolve64(b, A, D, D, 1);
    lowerTransSolve64(b, A, D, D, 1);
    const xRow = k * R;
    for (let f = 0; f < R; f++) X[xRow + f] = b[f];
    if (biases) bX[k] = b[R];
  }
}

/** Σ (r − r̂)² over the ratings, in float64. */
function mfSse(
  P: Float32Array, Q: Float32Array, bu: Float32Array, bi: Float32Array,
  users: Int32Array, items: Int32Array, ratings: Float32Array, mu: number, M: number, R: number,
): number {
  let sse = 0;
  for (let m = 0; m < M; m++) {
    const u = users[m], i = items[m], pRow = u * R, qRow = i * R;
    let acc = mu + bu[u] + bi[i];
    for (let f = 0; f < R; f++) acc += P[pRow + f] * Q[qRow + f];
    const e = ratings[m] - acc;
    sse += e * e;
  }
  return sse;
}
