import {
  asFormat, savableFromJSON, type LoadStateOptions, type LoadStateResult, type FittedConfig, type SavableJSON, type SavableState,
} from '../../data/savable';
import { ArgumentError, ShapeError, TensorkitError, fmtShape } from '../../tensor/errors';
import { instanceOf, parseOptions, posInt } from '../../tensor/options';
import { describe } from '../../tensor/shape';
import { Tensor } from '../../tensor/tensor';
import { Recommender, buildState, checkInteractions, stateF32, type IdArray, type Interactions, type TrainState } from './common';

// Dims: U users, I items, F features.

/** Options of {@link ContentBased}. */
export interface ContentBasedOptions {
  /** Item feature matrix [nItems, F] (e.g. one-hot genres, TF-IDF rows, embeddings). Required unless nItems and nFeatures are given. */
  itemFeatures?: Tensor;
  /** With `nFeatures` instead of `itemFeatures` (as `config()` writes them): zero features until `loadStateDict`. */
  nItems?: number;
  /** Number of features F, with `nItems`. */
  nFeatures?: number;
}

/**
 * The JSON form of a {@link ContentBased} model: `config().options` (`nItems`, `nFeatures`) and the
 * state dict (`itemFeatures` [I, F], and once fitted `train.*` and `profiles` [U, F]).
 */
export type ContentBasedJSON = SavableJSON<'ContentBased'>;

/**
 * Content-based recommender: a user's profile is the weighted mean of the features of the items she
 * interacted with, πᵤ = Σ_{i∈Iᵤ} wᵤᵢ·fᵢ / Σ_{i∈Iᵤ} wᵤᵢ, and the score of item j is the cosine
 * ŝᵤⱼ = πᵤ·fⱼ / (‖πᵤ‖·‖fⱼ‖) (0 when either norm is 0). The weight wᵤᵢ is the rating when ratings
 * are given and 1 otherwise (duplicate pairs summed); with ratings of mixed sign whose sum is 0 the
 * profile is 0. Needs no other users' data, so new items with features score from the start.
 *
 * Cold start: a user without training interactions has no profile and scores 0 for every item;
 * `recommend` returns the most popular items (see {@link Recommender}).
 *
 * Shapes: itemFeatures [I, F], profiles [U, F].
 * @example
 * // features: item 0 = [1, 0], item 1 = [0, 1], item 2 = [1, 1]
 * const cb = new ContentBased({ itemFeatures: tensor([[1, 0], [0, 1], [1, 1]]) });
 * cb.fit({ users: [0], items: [0] });
 * Array.from(cb.scoreItems(0)); // [1, 0, 0.7071067690849304]
 * @throws ArgumentError if itemFeatures is not a finite 2-D tensor; ShapeError if the interactions
 *   declare a different nItems.
 * @category Recommenders
 */
export class ContentBased extends Recommender {
  /** Item features, [I, F] row-major (a copy). */
  readonly itemFeatures: Float32Array;
  private readonly numItems: number;
  /** Number of features F. */
  readonly nFeatures: number;
  /** User profiles πᵤ, [U, F] row-major (null before fit). */
  profiles: Float32Array | null = null;
  private itemNorm: Float64Array;
  private profileNorm: Float64Array | null = null;

  /** Takes {@link ContentBasedOptions}, or `config().options` of another ContentBased (then `loadStateDict` brings the features). */
  constructor(options: ContentBasedOptions) {
    super();
    const op = 'ContentBased';
    const o = parseOptions(op, options, { itemFeatures: instanceOf(Tensor, 'Tensor [nItems, F]'), nItems: posInt, nFeatures: posInt });
    if (o.itemFeatures === undefined && o.nItems !== undefined && o.nFeatures !== undefined) {
      this.numItems = o.nItems;
      this.nFeatures = o.nFeatures;
      this.itemFeatures = new Float32Array(o.nItems * o.nFeatures);
      this.itemNorm = new Float64Array(o.nItems);
      return;
    }
    if (o.nItems !== undefined || o.nFeatures !== undefined) throw new ArgumentError(`${op}: pass either itemFeatures or both nItems and nFeatures`);
    const x = o.itemFeatures;
    if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: itemFeatures must be a Tensor [nItems, F], got ${describe(x)}`);
    if (x.ndim !== 2 || x.shape[0] < 1 || x.shape[1] < 1) throw new ArgumentError(`${op}: itemFeatures must be a non-empty 2-D tensor [nItems, F], got ${fmtShape(x.shape)}`);
    for (let t = 0; t < x.size; t++) {
      if (!Number.isFinite(x.data[t])) throw new ArgumentError(`${op}: itemFeatures[${Math.floor(t / x.shape[1])}, ${t % x.shape[1]}] = ${x.data[t]} is not finite`);
    }
    this.numItems = x.shape[0];
    this.nFeatures = x.shape[1];
    this.itemFeatures = x.data.slice(0, x.size);
    this.itemNorm = rowNorms(this.itemFeatures, this.numItems, this.nFeatures);
  }

  /** Number of items I: the rows of itemFeatures (known before fit). */
  override get nItems(): number {
    return this.numItems;
  }

  /** Builds the user profiles from the interactions (item ids index the rows of itemFeatures). */
  fit(interactions: Interactions): this {
    const op = 'ContentBased.fit';
    if (interactions !== null && typeof interactions === 'object' && interactions.nItems !== undefined && interactions.nItems !== this.numItems) {
      throw new ShapeError(`${op}: interactions declare nItems = ${describe(interactions.nItems)} but itemFeatures ${fmtShape([this.numItems, this.nFeatures])} has ${this.numItems} rows`);
    }
    const d = checkInteractions(op, interactions === null || typeof interactions !== 'object' ? interactions : { ...interactions, nItems: this.numItems });
    const st = buildState(d);
    const U = st.nUsers, F = this.nFeatures, X = this.itemFeatures;
    const prof = new Float32Array(U * F);
    const acc = new Float64Array(F);
    for (let u = 0; u < U; u++) {
      acc.fill(0);
      let wsum = 0;
      for (let t = st.ptr[u]; t < st.ptr[u + 1]; t++) {
        const w = st.val[t], xRow = st.idx[t] * F;
        wsum += w;
        for (let f = 0; f < F; f++) acc[f] += w * X[xRow + f];
      }
      if (wsum === 0) continue;
      const pRow = u * F;
      for (let f = 0; f < F; f++) prof[pRow + f] = acc[f] / wsum;
    }
    this.profiles = prof;
    this.profileNorm = rowNorms(prof, U, F);
    this.state = st;
    return this;
  }

  /** cos(πᵤ, fᵢ) for each pair. */
  override predict(users: IdArray, items: IdArray): Float32Array {
    const [us, is] = this.checkPairs(users, items, 'predict');
    const out = new Float32Array(us.length);
    for (let m = 0; m < us.length; m++) out[m] = this.cos(us[m], is[m]);
    return out;
  }

  protected scoreUserInto(out: Float32Array, u: number): void {
    for (let i = 0; i < this.numItems; i++) out[i] = this.cos(u, i);
  }

  private cos(u: number, i: number): number {
    const P = this.profiles!, X = this.itemFeatures, F = this.nFeatures;
    const den = this.profileNorm![u] * this.itemNorm[i];
    if (den === 0) return 0;
    const pRow = u * F, xRow = i * F;
    let dot = 0;
    for (let f = 0; f < F; f++) dot += P[pRow + f] * X[xRow + f];
    return dot / den;
  }

  /** `{ type: 'ContentBased', options: { nItems, nFeatures } }`; the features themselves are in the state dict. */
  config(): FittedConfig {
    return { type: 'ContentBased', options: { nItems: this.numItems, nFeatures: this.nFeatures } };
  }

  /** `itemFeatures` [I, F] (also before fit), then the fitted state of {@link Recommender.stateDict}. */
  override stateDict(): SavableState {
    return { itemFeatures: new Tensor(this.itemFeatures.slice(), [this.numItems, this.nFeatures]), ...super.stateDict() };
  }

  /**
   * Restores the item features and, when present, the fitted state.
   * @throws TensorkitError `INVALID_ARGUMENT` without `itemFeatures`; as {@link Recommender.loadStateDict} otherwise.
   */
  override loadStateDict(sd: SavableState, options: LoadStateOptions = {}): LoadStateResult {
    const op = 'ContentBased.loadStateDict';
    if (sd === null || typeof sd !== 'object' || !('itemFeatures' in sd)) throw new TensorkitError('INVALID_ARGUMENT', `${op}: missing keys: itemFeatures`);
    const { itemFeatures, ...rest } = sd;
    const x = stateF32(op, { itemFeatures }, 'itemFeatures', [this.numItems, this.nFeatures]);
    const r = super.loadStateDict(rest, options);
    this.itemFeatures.set(x);
    this.itemNorm = rowNorms(this.itemFeatures, this.numItems, this.nFeatures);
    return r;
  }

  protected modelState(): SavableState {
    return { profiles: new Tensor(this.profiles!.slice(), [this.profiles!.length / this.nFeatures, this.nFeatures]) };
  }

  protected modelKeys(): string[] {
    return ['profiles'];
  }

  protected loadModel(op: string, sd: SavableState, st: TrainState): void {
    if (st.nItems !== this.numItems) throw new ShapeError(`${op}: train.counts has ${st.nItems} items but itemFeatures has ${this.numItems} rows`);
    this.profiles = stateF32(op, sd, 'profiles', [st.nUsers, this.nFeatures]);
    this.profileNorm = rowNorms(this.profiles, st.nUsers, this.nFeatures);
  }

  /**
   * Rebuilds a model from {@link ContentBased.toJSON} output; it scores identically.
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): ContentBased {
    const { options, state } = savableFromJSON(json, 'ContentBased');
    return asFormat('ContentBased.fromJSON', () => {
      const m = new ContentBased(options as ContentBasedOptions);
      m.loadStateDict(state);
      return m;
    });
  }
}

/** Euclidean norm of each row, in float64. Shapes: x (N, F) → (N). */
function rowNorms(x: Float32Array, N: number, F: number): Float64Array {
  const out = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const row = n * F;
    let s = 0;
    for (let f = 0; f < F; f++) s += x[row + f] * x[row + f];
    out[n] = Math.sqrt(s);
  }
  return out;
}
