import { ArgumentError } from '../../tensor/errors';
import { asFormat, savableFromJSON, stateInts, typed, type FittedConfig, type SavableJSON, type SavableState } from '../../data/savable';
import { nonNeg, oneOf, parseOptions, posInt } from '../../tensor/options';
import { Tensor } from '../../tensor/tensor';
import {
  Recommender, TopK, buildState, checkId, checkInteractions, stateF32,
  type Interactions, type Recommendation, type TrainState,
} from './common';

// Dims: U users, I items, K neighbours kept per item, nnz stored (user, item) cells.

/** Options of {@link ItemKNN}. */
export interface ItemKNNOptions {
  /** Neighbourhood size: each item keeps its k most similar items. Default 50. */
  k?: number;
  /** Shrinkage s ≥ 0 added to the cosine denominator (damps similarities resting on few co-raters). Default 0. */
  shrink?: number;
  /** Similarity measure; only `'cosine'` for now. Default `'cosine'`. */
  similarity?: 'cosine';
}

/**
 * The JSON form of an {@link ItemKNN} model: `config().options` and the state dict (`train.*`,
 * `neighborPtr` [I + 1], `neighborIdx` and `neighborSim` [nnz]).
 */
export type ItemKNNJSON = SavableJSON<'ItemKNN'>;

/**
 * Item–item collaborative filtering (Sarwar et al. 2001) with cosine similarity on the columns of
 * the user × item matrix X: sim(i, j) = xᵢ·xⱼ / (‖xᵢ‖·‖xⱼ‖ + shrink), and score
 * ŝᵤⱼ = Σ_{i ∈ Iᵤ ∩ Nₖ(j)} sim(i, j)·xᵤᵢ, where Iᵤ is the user's training items and Nₖ(j) the k
 * items most similar to j (ties by smaller id; items with similarity 0 are never neighbours, and
 * j is not its own). Xᵤᵢ is the rating when ratings are given (so a well-rated neighbour counts
 * more) and 1 for implicit feedback; duplicate (user, item) pairs are summed. The score is an
 * unnormalized sum, as in Deshpande and Karypis's top-N variant, not Sarwar's weighted average.
 *
 * X is kept sparse (CSR by user, CSC by item, typed arrays); fitting costs Σᵤ nᵤ² for the
 * co-occurrences plus O(I·nnz-per-column) selection, scoring a user Σ_{i∈Iᵤ} |{j : i ∈ Nₖ(j)}|.
 *
 * Cold start: a user without training interactions scores 0 for every item, and `recommend`
 * returns the most popular items (see {@link Recommender}); an item without interactions has
 * no neighbours and scores 0.
 * @example
 * const knn = new ItemKNN({ k: 2 });
 * // items 0 and 1 are always taken together; user 2 took only item 0:
 * knn.fit({ users: [0, 0, 1, 1, 2, 3], items: [0, 1, 0, 1, 0, 2] });
 * Array.from(knn.recommend(2, 1).items); // [1]
 * knn.recommend(2, 1).scores[0]; // 0.8164966106414795
 * @throws ArgumentError on bad options or interactions.
 * @see B. Sarwar, G. Karypis, J. Konstan, J. Riedl, "Item-based collaborative filtering recommendation algorithms", WWW (2001).
 * @see M. Deshpande, G. Karypis, "Item-based top-N recommendation algorithms", ACM TOIS (2004).
 * @category Recommenders
 */
export class ItemKNN extends Recommender {
  /** Neighbourhood size: each item keeps its k most similar items. */
  readonly k: number;
  /** Shrinkage s ≥ 0 added to the cosine denominator. */
  readonly shrink: number;
  /** Similarity measure (`'cosine'`). */
  readonly similarity: 'cosine';
  /** Nₖ(j) for each item j in CSR form: neighbours of j at neighborIdx[neighborPtr[j] … neighborPtr[j + 1]), most similar first. */
  private nbrPtr: Int32Array | null = null;
  private nbrIdx: Int32Array | null = null;
  private nbrSim: Float32Array | null = null;
  // The transpose of the neighbour lists (for each i, the j with i ∈ Nₖ(j)), which is what scoring walks.
  private revPtr: Int32Array | null = null;
  private revIdx: Int32Array | null = null;
  private revSim: Float32Array | null = null;

  /** Takes {@link ItemKNNOptions}, or `config().options` of another ItemKNN. */
  constructor(options: ItemKNNOptions = {}) {
    super();
    const op = 'ItemKNN';
    const o = parseOptions(op, options, { k: posInt, shrink: nonNeg, similarity: oneOf(['cosine'] as const) });
    this.k = o.k ?? 50;
    this.shrink = o.shrink ?? 0;
    this.similarity = o.similarity ?? 'cosine';
  }

  /** Fits to implicit or explicit interactions (computes the item neighbourhoods). */
  fit(interactions: Interactions): this {
    const st = buildState(checkInteractions('ItemKNN.fit', interactions));
    const nb = itemNeighbors(st, this.k, this.shrink);
    this.state = st;
    this.setNeighbors(nb.ptr, nb.idx, nb.sim);
    return this;
  }

  /**
   * Nₖ(item): the item's neighbours, most similar first, with their similarities.
   * @throws ArgumentError on an item id out of range.
   */
  neighbors(item: number): Recommendation {
    const st = this.trainState('neighbors');
    const j = checkId('ItemKNN.neighbors', 'item', item, st.nItems, 'nItems');
    const from = this.nbrPtr![j], to = this.nbrPtr![j + 1];
    return { items: this.nbrIdx!.slice(from, to), scores: this.nbrSim!.slice(from, to) };
  }

  protected scoreUserInto(out: Float32Array, u: number): void {
    const st = this.state!;
    const { ptr, idx, val } = st;
    const rPtr = this.revPtr!, rIdx = this.revIdx!, rSim = this.revSim!;
    out.fill(0);
    for (let t = ptr[u]; t < ptr[u + 1]; t++) {
      const i = idx[t], x = val[t];
      for (let s = rPtr[i]; s < rPtr[i + 1]; s++) out[rIdx[s]] += rSim[s] * x;
    }
  }

  private setNeighbors(ptr: Int32Array, idx: Int32Array, sim: Float32Array): void {
    const I = ptr.length - 1;
    this.nbrPtr = ptr;
    this.nbrIdx = idx;
    this.nbrSim = sim;
    const rPtr = new Int32Array(I + 1);
    for (let t = 0; t < idx.length; t++) rPtr[idx[t] + 1]++;
    for (let i = 0; i < I; i++) rPtr[i + 1] += rPtr[i];
    const next = rPtr.slice(0, I);
    const rIdx = new Int32Array(idx.length), rSim = new Float32Array(idx.length);
    for (let j = 0; j < I; j++) {
      for (let t = ptr[j]; t < ptr[j + 1]; t++) {
        const p = next[idx[t]]++;
        rIdx[p] = j;
        rSim[p] = sim[t];
      }
    }
    this.revPtr = rPtr;
    this.revIdx = rIdx;
    this.revSim = rSim;
  }

  /** `{ type: 'ItemKNN', options: { k, shrink, similarity } }`. */
  config(): FittedConfig {
    return { type: 'ItemKNN', options: { k: this.k, shrink: this.shrink, similarity: this.similarity } };
  }

  protected modelState(): SavableState {
    const ptr = this.nbrPtr!, idx = this.nbrIdx!, sim = this.nbrSim!;
    return {
      neighborPtr: typed('I32', ptr.slice(), [ptr.length]), neighborIdx: typed('I32', idx.slice(), [idx.length]),
      neighborSim: new Tensor(sim.slice(), [sim.length]),
    };
  }

  protected modelKeys(): string[] {
    return ['neighborPtr', 'neighborIdx', 'neighborSim'];
  }

  protected loadModel(op: string, sd: SavableState, st: TrainState): void {
    const ptr = stateInts(op, sd, 'neighborPtr', [st.nItems + 1]);
    if (ptr[0] !== 0) throw new ArgumentError(`${op}: neighborPtr must start at 0`);
    for (let j = 0; j < st.nItems; j++) if (ptr[j + 1] < ptr[j]) throw new ArgumentError(`${op}: neighborPtr must be non-decreasing`);
    const n = ptr[st.nItems];
    const idx = stateInts(op, sd, 'neighborIdx', [n], st.nItems);
    const sim = stateF32(op, sd, 'neighborSim', [n]);
    this.setNeighbors(ptr, idx, sim);
  }

  /**
   * Rebuilds a model from {@link ItemKNN.toJSON} output; it scores identically.
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): ItemKNN {
    const { options, state } = savableFromJSON(json, 'ItemKNN');
    return asFormat('ItemKNN.fromJSON', () => {
      const m = new ItemKNN(options as ItemKNNOptions);
      m.loadStateDict(state);
      return m;
    });
  }
}

/**
 * For every item j, its k most similar items by shrunk cosine over the columns of the CSR matrix
 * (ties by smaller id, zero similarities dropped), most similar first. @internal
 */
export function itemNeighbors(st: TrainState, k: number, shrink: number): { ptr: Int32Array; idx: Int32Array; sim: Float32Array } {
  const { nUsers: U, nItems: I, ptr, idx, val } = st;
  // CSC copy: users of each item with their values.
  const cPtr = new Int32Array(I + 1);
  for (let t = 0; t < idx.length; t++) cPtr[idx[t] + 1]++;
  for (let i = 0; i < I; i++) cPtr[i + 1] += cPtr[i];
  const next = cPtr.slice(0, I);
  const cUser = new Int32Array(idx.length), cVal = new Float64Array(idx.length);
  for (let u = 0; u < U; u++) {
    for (let t = ptr[u]; t < ptr[u + 1]; t++) {
      const p = next[idx[t]]++;
      cUser[p] = u;
      cVal[p] = val[t];
    }
  }
  const norm = new Float64Array(I);
  for (let i = 0; i < I; i++) {
    let s = 0;
    for (let t = cPtr[i]; t < cPtr[i + 1]; t++) s += cVal[t] * cVal[t];
    norm[i] = Math.sqrt(s);
  }
  const acc = new Float64Array(I);
  const touched = new Int32Array(I);
  const mark = new Uint8Array(I);
  const heap = new TopK(Math.min(k, I));
  const bestSim = new Float64Array(Math.min(k, I));
  const outPtr = new Int32Array(I + 1);
  let outIdx = new Int32Array(Math.min(k, I) * Math.min(I, 64));
  let outSim = new Float32Array(outIdx.length);
  let nnz = 0;
  for (let j = 0; j < I; j++) {
    let nt = 0;
    // Co-occurrence dot products xⱼ·xᵢ for every item i sharing a user with j.
    for (let t = cPtr[j]; t < cPtr[j + 1]; t++) {
      const u = cUser[t], xj = cVal[t];
      for (let s = ptr[u]; s < ptr[u + 1]; s++) {
        const i = idx[s];
        if (mark[i] === 0) {
          mark[i] = 1;
          touched[nt++] = i;
        }
        acc[i] += xj * val[s];
      }
    }
    heap.reset(Math.min(k, nt));
    const nj = norm[j];
    for (let q = 0; q < nt; q++) {
      const i = touched[q];
      const sim = acc[i] / (nj * norm[i] + shrink);
      acc[i] = 0;
      mark[i] = 0;
      if (i !== j && sim !== 0 && sim === sim) heap.push(i, sim);
    }
    const best = heap.drain(bestSim);
    if (nnz + best.length > outIdx.length) {
      const grown = Math.max(outIdx.length * 2, nnz + best.length);
      const gi = new Int32Array(grown), gs = new Float32Array(grown);
      gi.set(outIdx);
      gs.set(outSim);
      outIdx = gi;
      outSim = gs;
    }
    for (let q = 0; q < best.length; q++) {
      outIdx[nnz] = best[q];
      outSim[nnz] = bestSim[q];
      nnz++;
    }
    outPtr[j + 1] = nnz;
  }
  return { ptr: outPtr, idx: outIdx.slice(0, nnz), sim: outSim.slice(0, nnz) };
}
