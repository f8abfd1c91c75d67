import { NumericError } from '../../tensor/errors';
import { defaultGenerator, type Generator } from '../../tensor/random';
import { asFormat, savableFromJSON, type FittedConfig, type SavableJSON, type SavableState } from '../../data/savable';
import { nonNeg, nonNegInt, parseOptions, posInt, positive, rng as rngCheck } from '../../tensor/options';
import { Tensor } from '../../tensor/tensor';
import {
  Recommender, buildState, checkInteractions, rowHas, stateF32, type IdArray, type Interactions, type TrainState,
} from './common';

// Dims: U users, I items, R rank, M interactions (distinct (user, item) pairs).

/** Options of {@link BPR}. */
export interface BPROptions {
  /** Number of latent factors R. Default 32. */
  rank?: number;
  /** Epochs; each draws M (u, i, j) triples, M = number of distinct training pairs. Default 30. */
  epochs?: number;
  /** SGD step size. Default 0.05. */
  lr?: number;
  /** Regularization λ of every factor and bias touched by a step. Default 0.01. */
  l2?: number;
  /** Std of the N(0, initStd²) initial factors. Default 0.1. */
  initStd?: number;
  /** Generator for the initial factors and the triple sampling. Default: the global one. */
  rng?: Generator;
}

/**
 * The JSON form of a {@link BPR} model: `config().options` and the state dict (`train.*`,
 * `userFactors` [U, R], `itemFactors` [I, R], `itemBias` [I]).
 */
export type BPRJSON = SavableJSON<'BPR'>;

/**
 * Bayesian personalized ranking for implicit feedback (Rendle et al. 2009): score
 * x̂ᵤᵢ = bᵢ + pᵤ·qᵢ, trained by stochastic gradient ascent on
 * Σ ln σ(x̂ᵤᵢ − x̂ᵤⱼ) − λ·(‖pᵤ‖² + ‖qᵢ‖² + ‖qⱼ‖² + bᵢ² + bⱼ²) over triples where user u interacted
 * with i and not with j. With x = x̂ᵤᵢ − x̂ᵤⱼ and g = σ(−x): pᵤ += lr·(g·(qᵢ − qⱼ) − λ·pᵤ),
 * qᵢ += lr·(g·pᵤ − λ·qᵢ), qⱼ += lr·(−g·pᵤ − λ·qⱼ), bᵢ += lr·(g − λ·bᵢ), bⱼ += lr·(−g − λ·bⱼ).
 * The item bias bᵢ is an addition to the paper's plain MF score (as in LightFM and implicit); it
 * learns popularity.
 *
 * Sampling (LearnBPR's bootstrap): each epoch draws M triples, M = the number of distinct training
 * (user, item) pairs; a triple takes a uniformly random training pair (u, i) — with replacement,
 * so users are drawn in proportion to their activity — and a negative j uniformly from all items,
 * redrawn until u has not interacted with j. Users who interacted with every item are skipped.
 * Ratings, if given, are ignored: every interaction is a positive.
 *
 * Cold start: a user without training interactions has pᵤ = 0, so `predict` gives bᵢ (the learned
 * popularity); `recommend` returns the most popular items (see {@link Recommender}). Items never
 * interacted with are still trained as negatives. The mean of −ln σ(x) per epoch is in `history`.
 *
 * Shapes: userFactors [U, R], itemFactors [I, R], itemBias [I].
 * @example
 * const bpr = new BPR({ rank: 4, epochs: 50, rng: new Generator(0) });
 * // users 0 and 1 like items 0–2, users 2 and 3 like items 3–5; user 0 never saw item 2:
 * bpr.fit({ users: [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3], items: [0, 1, 0, 1, 2, 3, 4, 5, 3, 4, 5], nItems: 6 });
 * Array.from(bpr.recommend(0, 1).items); // [2]
 * @throws ArgumentError on bad options or interactions; NumericError if training diverges (lower lr).
 * @see S. Rendle, C. Freudenthaler, Z. Gantner, L. Schmidt-Thieme, "BPR: Bayesian personalized ranking from implicit feedback", UAI (2009).
 * @category Recommenders
 */
export class BPR extends Recommender {
  /** Number of latent factors R. */
  readonly rank: number;
  /** Epochs; each draws M (u, i, j) triples. */
  readonly epochs: number;
  /** SGD step size. */
  readonly lr: number;
  /** Regularization λ of every factor and bias touched by a step. */
  readonly l2: number;
  /** Std of the N(0, initStd²) initial factors. */
  readonly initStd: number;
  private readonly rng: Generator;
  /** User factors P, [U, R] row-major (null before fit). */
  userFactors: Float32Array | null = null;
  /** Item factors Q, [I, R] row-major (null before fit). */
  itemFactors: Float32Array | null = null;
  /** Item biases bᵢ, [I] (null before fit). */
  itemBias: Float32Array | null = null;
  /** Mean BPR loss −ln σ(x̂ᵤᵢ − x̂ᵤⱼ) of each epoch's triples (measured before each step). */
  history: number[] = [];

  /** Takes {@link BPROptions}, or `config().options` of another BPR. */
  constructor(options: BPROptions = {}) {
    super();
    const op = 'BPR';
    const o = parseOptions(op, options, { rank: posInt, epochs: nonNegInt, lr: positive, l2: nonNeg, initStd: nonNeg, rng: rngCheck });
    this.rank = o.rank ?? 32;
    this.epochs = o.epochs ?? 30;
    this.lr = o.lr ?? 0.05;
    this.l2 = o.l2 ?? 0.01;
    this.initStd = o.initStd ?? 0.1;
    this.rng = o.rng ?? defaultGenerator();
  }

  /** Fits to implicit interactions (refits from scratch). */
  fit(interactions: Interactions): this {
    const op = 'BPR.fit';
    const st = buildState(checkInteractions(op, interactions));
    const { nUsers: U, nItems: I, ptr, idx } = st;
    const R = this.rank, M = idx.length, rng = this.rng;
    // Row (user) of every distinct pair, for drawing (u, i) uniformly over pairs.
    const rowOf = new Int32Array(M);
    for (let u = 0; u < U; u++) rowOf.fill(u, ptr[u], ptr[u + 1]);
    const P = rng.fillNormal(new Float32Array(U * R), 0, this.initStd);
    const Q = rng.fillNormal(new Float32Array(I * R), 0, this.initStd);
    const b = new Float32Array(I);
    const pOld = new Float32Array(R);
    this.history = [];
    for (let e = 0; e < this.epochs; e++) {
      let loss = 0, n = 0;
      for (let s = 0; s < M; s++) {
        const t = rng.randint(0, M);
        const u = rowOf[t], i = idx[t];
        const from = ptr[u], to = ptr[u + 1];
        if (to - from >= I) continue;
        let j = rng.randint(0, I);
        while (rowHas(idx, from, to, j)) j = rng.randint(0, I);
        loss += bprStep(P, Q, b, pOld, u, i, j, this.lr, this.l2, R);
        n++;
      }
      const mean = n === 0 ? 0 : loss / n;
      this.history.push(mean);
      if (!Number.isFinite(mean)) throw new NumericError(`${op}: training diverged in epoch ${e + 1}; lower lr (${this.lr})`);
    }
    for (let u = 0; u < U; u++) if (ptr[u + 1] === ptr[u]) P.fill(0, u * R, u * R + R);
    this.userFactors = P;
    this.itemFactors = Q;
    this.itemBias = b;
    this.state = st;
    return this;
  }

  /** x̂ᵤᵢ = bᵢ + pᵤ·qᵢ for each pair (a ranking score, not a probability). */
  override predict(users: IdArray, items: IdArray): Float32Array {
    const [us, is] = this.checkPairs(users, items, 'predict');
    const P = this.userFactors!, Q = this.itemFactors!, b = this.itemBias!, R = this.rank;
    const out = new Float32Array(us.length);
    for (let m = 0; m < us.length; m++) {
      const pRow = us[m] * R, qRow = is[m] * R;
      let acc = b[is[m]];
      for (let f = 0; f < R; f++) acc += P[pRow + f] * Q[qRow + f];
      out[m] = acc;
    }
    return out;
  }

  protected scoreUserInto(out: Float32Array, u: number): void {
    const P = this.userFactors!, Q = this.itemFactors!, b = this.itemBias!;
    const R = this.rank, I = b.length, pRow = u * R;
    for (let i = 0; i < I; i++) {
      const qRow = i * R;
      let acc = b[i];
      for (let f = 0; f < R; f++) acc += P[pRow + f] * Q[qRow + f];
      out[i] = acc;
    }
  }

  /** `{ type: 'BPR', options }` with every option but `rng`. */
  config(): FittedConfig {
    return { type: 'BPR', options: { rank: this.rank, epochs: this.epochs, lr: this.lr, l2: this.l2, initStd: this.initStd } };
  }

  protected modelState(): SavableState {
    const R = this.rank, I = this.itemBias!.length;
    return {
      userFactors: new Tensor(this.userFactors!.slice(), [this.userFactors!.length / R, R]),
      itemFactors: new Tensor(this.itemFactors!.slice(), [I, R]), itemBias: new Tensor(this.itemBias!.slice(), [I]),
    };
  }

  protected modelKeys(): string[] {
    return ['userFactors', 'itemFactors', 'itemBias'];
  }

  protected loadModel(op: string, sd: SavableState, st: TrainState): void {
    const R = this.rank;
    this.userFactors = stateF32(op, sd, 'userFactors', [st.nUsers, R]);
    this.itemFactors = stateF32(op, sd, 'itemFactors', [st.nItems, R]);
    this.itemBias = stateF32(op, sd, 'itemBias', [st.nItems]);
  }

  /**
   * Rebuilds a model from {@link BPR.toJSON} output; it scores identically.
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): BPR {
    const { options, state } = savableFromJSON(json, 'BPR');
    return asFormat('BPR.fromJSON', () => {
      const m = new BPR(options as BPROptions);
      m.loadStateDict(state);
      return m;
    });
  }
}

/**
 * One BPR step on the triple (u, i, j); returns the loss −ln σ(x) before the step, computed
 * stably. pOld is scratch [R] holding pᵤ before its update.
 * Shapes: P (U, R), Q (I, R), b (I), pOld (R). @internal
 */
export function bprStep(
  P: Float32Array, Q: Float32Array, b: Float32Array, pOld: Float32Array,
  u: number, i: number, j: number, lr: number, l2: number, R: number,
): number {
  const pRow = u * R, iRow = i * R, jRow = j * R;
  let x = b[i] - b[j];
  for (let f = 0; f < R; f++) x += P[pRow + f] * (Q[iRow + f] - Q[jRow + f]);
  // g = σ(−x) = ∂ ln σ(x) / ∂x; −ln σ(x) = softplus(−x).
  const g = 1 / (1 + Math.exp(x));
  const loss = x > 0 ? Math.log1p(Math.exp(-x)) : -x + Math.log1p(Math.exp(x));
  const keep = 1 - lr * l2, lg = lr * g;
  for (let f = 0; f < R; f++) pOld[f] = P[pRow + f];
  for (let f = 0; f < R; f++) P[pRow + f] = keep * pOld[f] + lg * (Q[iRow + f] - Q[jRow + f]);
  for (let f = 0; f < R; f++) {
    const p = pOld[f];
    Q[iRow + f] = keep * Q[iRow + f] + lg * p;
    Q[jRow + f] = keep * Q[jRow + f] - lg * p;
  }
  b[i] = keep * b[i] + lg;
  b[j] = keep * b[j] - lg;
  return loss;
}
