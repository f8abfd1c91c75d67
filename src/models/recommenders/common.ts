import {
  checkState, savableToJSON, stateInts, stateScalar, stateTensor, typed,
  type LoadStateOptions, type LoadStateResult, type FittedConfig, type SavableJSON, type SavableState,
} from '../../data/savable';
import { ArgumentError, ShapeError, TensorkitError } from '../../tensor/errors';
import { bool, checkArg, nonNegInt, parseOptions, posInt } from '../../tensor/options';
import { describe } from '../../tensor/shape';
import { Tensor } from '../../tensor/tensor';

// Shared machinery of the recommenders: input validation, the training-interaction matrix in CSR
// form, top-k selection with deterministic ties, the Recommender base class (a savable: config,
// stateDict, loadStateDict, toJSON on top of them).
// Only the types and the base class are public (re-exported by ../recommenders.ts).

/** An integer id array as the recommenders accept it. */
export type IdArray = Int32Array | readonly number[];

/**
 * Training data of a recommender: parallel arrays, one entry per interaction. Ids run over
 * 0 … nUsers − 1 and 0 … nItems − 1; when `nUsers`/`nItems` are not declared they are max id + 1.
 * The output of `makeRatings` can be passed as is.
 */
export interface Interactions {
  /** User id of each interaction. */
  users: IdArray;
  /** Item id of each interaction. */
  items: IdArray;
  /** Rating (explicit feedback) of each interaction; omitted for implicit feedback (all 1). */
  ratings?: Float32Array | readonly number[];
  /** Number of users (ids must be below it). Default: max user id + 1. */
  nUsers?: number;
  /** Number of items (ids must be below it). Default: max item id + 1. */
  nItems?: number;
}

/** Options of {@link Recommender.recommend}. */
export interface RecommendOptions {
  /** Leave out the items the user interacted with in training. Default true. */
  excludeSeen?: boolean;
}

/** A ranked list: item ids best first and their scores. */
export interface Recommendation {
  /** Item ids, best first; ties in score go to the smaller id. */
  items: Int32Array;
  /** The score of each listed item (popularity counts for a cold-start user). */
  scores: Float32Array;
}

/** What a recommender's `config()` returns: `{ type, options }`, and for the hybrid its components' configs. */
export interface RecommenderConfig extends FittedConfig {
  /** The components' configs, in order (HybridRecommender only). */
  children?: RecommenderConfig[];
}

/**
 * The JSON form every recommender writes: `config()` (options, and for the hybrid its components'
 * configs as `children`) and `stateDict()` (the training interactions `train.*` and the fitted
 * arrays).
 */
export type RecommenderJSON = SavableJSON & {
  /** The components' configs (HybridRecommender only). */
  children?: RecommenderConfig[];
};

/**
 * The training interactions a fitted recommender keeps: the user × item matrix in CSR form, with
 * duplicate (user, item) pairs merged by summing their values (ratings, or 1 per implicit
 * interaction), plus per-item interaction counts (popularity).
 * Shapes: ptr [nUsers + 1]; idx, val [nnz] (distinct (user, item) pairs); counts [nItems].
 * @category Recommenders
 */
export interface TrainState {
  /** Number of users (ids 0 … nUsers − 1). */
  nUsers: number;
  /** Number of items (ids 0 … nItems − 1). */
  nItems: number;
  /** Row pointers, nUsers + 1. */
  ptr: Int32Array;
  /** Item ids of each row, ascending and distinct. */
  idx: Int32Array;
  /** Summed value of each (user, item) cell. */
  val: Float32Array;
  /** Training interactions (rows, duplicates counted) per item. */
  counts: Int32Array;
  /** Whether ratings were given. */
  explicit: boolean;
}

/** Validated interactions. @internal */
export interface CheckedInteractions {
  users: Int32Array;
  items: Int32Array;
  ratings: Float32Array | null;
  nUsers: number;
  nItems: number;
}

// ---------------------------------------------------------------------------------------------
// Validation

function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

/** Integer ids in [0, n) (n = Infinity: every non-negative safe integer allowed) copied into an Int32Array. @internal */
export function checkIds(op: string, name: string, v: unknown, n: number, what: string): Int32Array {
  if (!isArrayLike(v)) throw new ArgumentError(`${op}: ${name} must be an Int32Array or an array of integers, got ${describe(v)}`);
  const out = new Int32Array(v.length);
  for (let m = 0; m < v.length; m++) {
    const id = v[m];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= n || id > 2 ** 31 - 1) {
      const range = n === Infinity ? 'a non-negative integer' : `an integer in [0, ${n - 1}] (${what} = ${n})`;
      throw new ArgumentError(`${op}: ${name}[${m}] = ${describe(id)} is not ${range}`);
    }
    out[m] = id;
  }
  return out;
}

/** One id in [0, n), or ArgumentError. @internal */
export function checkId(op: string, name: string, v: unknown, n: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= n) {
    throw new ArgumentError(`${op}: ${name} = ${describe(v)} is not an integer in [0, ${n - 1}] (${what} = ${n})`);
  }
  return v;
}

/**
 * Validates training interactions: arrays of equal length (ShapeError), integer ids in range and
 * finite ratings (ArgumentError), at least one interaction. @internal
 */
export function checkInteractions(op: string, data: unknown): CheckedInteractions {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ArgumentError(`${op}: interactions must be an object { users, items, ratings? }, got ${describe(data)}`);
  }
  const d = data as Record<string, unknown>;
  const declU = d.nUsers === undefined ? Infinity : checkArg(op, 'interactions.nUsers', d.nUsers, posInt);
  const declI = d.nItems === undefined ? Infinity : checkArg(op, 'interactions.nItems', d.nItems, posInt);
  const users = checkIds(op, 'users', d.users, declU, 'nUsers');
  const items = checkIds(op, 'items', d.items, declI, 'nItems');
  const M = users.length;
  if (items.length !== M) throw new ShapeError(`${op}: users [${M}] and items [${items.length}] must have the same length`);
  let ratings: Float32Array | null = null;
  if (d.ratings !== undefined && d.ratings !== null) {
    const r = d.ratings;
    if (!isArrayLike(r)) throw new ArgumentError(`${op}: ratings must be a Float32Array or an array of numbers, got ${describe(r)}`);
    if (r.length !== M) throw new ShapeError(`${op}: users [${M}] and ratings [${r.length}] must have the same length`);
    ratings = new Float32Array(M);
    for (let m = 0; m < M; m++) {
      const v = r[m];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(`${op}: ratings[${m}] = ${describe(v)} is not a finite number`);
      ratings[m] = v;
    }
  }
  if (M === 0) throw new ArgumentError(`${op}: interactions are empty; need at least one (user, item) pair`);
  let maxU = 0, maxI = 0;
  for (let m = 0; m < M; m++) {
    if (users[m] > maxU) maxU = users[m];
    if (items[m] > maxI) maxI = items[m];
  }
  return {
    users, items, ratings,
    nUsers: declU === Infinity ? maxU + 1 : declU,
    nItems: declI === Infinity ? maxI + 1 : declI,
  };
}

/** The error of a method called before fit. @internal */
export function notFitted(cls: string, method: string): TensorkitError {
  return new TensorkitError('NOT_FITTED', `${cls}.${method}: not fitted yet; call fit(interactions) first`);
}

// ---------------------------------------------------------------------------------------------
// Grouping and the CSR matrix

/**
 * Stable counting sort of 0 … M − 1 by key: `order` lists the rows grouped by key, key k's rows at
 * order[ptr[k] … ptr[k + 1]). @internal
 */
export function groupBy(keys: Int32Array, K: number): { ptr: Int32Array; order: Int32Array } {
  const M = keys.length;
  const ptr = new Int32Array(K + 1);
  for (let m = 0; m < M; m++) ptr[keys[m] + 1]++;
  for (let k = 0; k < K; k++) ptr[k + 1] += ptr[k];
  const next = ptr.slice(0, K);
  const order = new Int32Array(M);
  for (let m = 0; m < M; m++) order[next[keys[m]]++] = m;
  return { ptr, order };
}

/** The CSR training state of validated interactions (rows sorted by item, duplicates summed). @internal */
export function buildState(d: CheckedInteractions): TrainState {
  const { users, items, ratings, nUsers, nItems } = d;
  const M = users.length;
  // Grouping by item first, then stably by user, leaves every row sorted by item.
  const byItem = groupBy(items, nItems).order;
  const sortedUsers = new Int32Array(M);
  for (let t = 0; t < M; t++) sortedUsers[t] = users[byItem[t]];
  const byUser = groupBy(sortedUsers, nUsers).order;
  const ptr = new Int32Array(nUsers + 1);
  const idx = new Int32Array(M);
  const val = new Float32Array(M);
  const counts = new Int32Array(nItems);
  let nnz = 0, prevU = -1, prevI = -1;
  let acc = 0;
  for (let t = 0; t < M; t++) {
    const m = byItem[byUser[t]];
    const u = users[m], i = items[m];
    counts[i]++;
    const v = ratings === null ? 1 : ratings[m];
    if (u === prevU && i === prevI) {
      acc += v;
      val[nnz - 1] = acc;
      continue;
    }
    idx[nnz] = i;
    val[nnz] = v;
    acc = v;
    nnz++;
    ptr[u + 1] = nnz;
    prevU = u;
    prevI = i;
  }
  for (let u = 0; u < nUsers; u++) if (ptr[u + 1] < ptr[u]) ptr[u + 1] = ptr[u];
  return { nUsers, nItems, ptr, idx: idx.slice(0, nnz), val: val.slice(0, nnz), counts, explicit: ratings !== null };
}

/** True if item i is in the sorted CSR row [from, to) (binary search). @internal */
export function rowHas(idx: Int32Array, from: number, to: number, i: number): boolean {
  let lo = from, hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = idx[mid];
    if (v === i) return true;
    if (v < i) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Top-k selection

/**
 * Bounded selection of the k best (id, key) pairs: higher key first, equal keys by smaller id, NaN
 * ranked as −∞. A min-heap of the k best so far (root = worst), O(n log k). @internal
 */
export class TopK {
  private ids: Int32Array;
  private keys: Float64Array;
  private size = 0;
  private cap = 0;

  constructor(capacity: number) {
    this.ids = new Int32Array(capacity);
    this.keys = new Float64Array(capacity);
  }

  /** Empties the heap and sets how many pairs it keeps. */
  reset(k: number): void {
    if (k > this.ids.length) {
      this.ids = new Int32Array(k);
      this.keys = new Float64Array(k);
    }
    this.cap = k;
    this.size = 0;
  }

  /** Offers one pair. */
  push(id: number, key: number): void {
    if (key !== key) key = -Infinity;
    const ids = this.ids, keys = this.keys;
    if (this.size < this.cap) {
      // Sift up: the new pair climbs while it is worse than its parent.
      let c = this.size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!(key < keys[p] || (key === keys[p] && id > ids[p]))) break;
        ids[c] = ids[p];
        keys[c] = keys[p];
        c = p;
      }
      ids[c] = id;
      keys[c] = key;
      return;
    }
    if (this.cap === 0 || key < keys[0] || (key === keys[0] && id > ids[0])) return;
    this.siftDown(id, key, this.size);
  }

  private siftDown(id: number, key: number, n: number): void {
    const ids = this.ids, keys = this.keys;
    let c = 0;
    for (;;) {
      let w = 2 * c + 1;
      if (w >= n) break;
      const r = w + 1;
      if (r < n && (keys[r] < keys[w] || (keys[r] === keys[w] && ids[r] > ids[w]))) w = r;
      if (!(keys[w] < key || (keys[w] === key && ids[w] > id))) break;
      ids[c] = ids[w];
      keys[c] = keys[w];
      c = w;
    }
    ids[c] = id;
    keys[c] = key;
  }

  /** The kept ids, best first (their keys into keysOut if given); empties the heap. */
  drain(keysOut: Float64Array | null = null): Int32Array {
    const n = this.size;
    const out = new Int32Array(n);
    for (let s = n; s > 0; s--) {
      out[s - 1] = this.ids[0];
      if (keysOut !== null) keysOut[s - 1] = this.keys[0];
      const lastId = this.ids[s - 1], lastKey = this.keys[s - 1];
      this.siftDown(lastId, lastKey, s - 1);
    }
    this.size = 0;
    return out;
  }
}

/**
 * The k best-scoring items of one score row, ties by smaller id, skipping the sorted item ids
 * skip[from … to). @internal
 */
export function topKRow(heap: TopK, scores: Float32Array, N: number, k: number, skip: Int32Array | null, from: number, to: number): Recommendation {
  heap.reset(Math.min(k, N - (skip === null ? 0 : to - from)));
  let s = skip === null ? to : from;
  for (let j = 0; j < N; j++) {
    if (s < to && skip !== null && skip[s] === j) {
      s++;
      continue;
    }
    heap.push(j, scores[j]);
  }
  const items = heap.drain();
  const out = new Float32Array(items.length);
  for (let t = 0; t < items.length; t++) out[t] = scores[items[t]];
  return { items, scores: out };
}

// ---------------------------------------------------------------------------------------------
// The base class

/**
 * The common interface of tensorkit's recommenders: `fit(interactions)`, `predict(users, items)`,
 * `scoreItems(user)`, `recommend(user, k, { excludeSeen })`, `recommendAll(k)`, `toJSON()`.
 *
 * Ranking: `recommend` returns the k items with the highest `scoreItems(user)`, ties broken by the
 * smaller item id, NaN scores last; with `excludeSeen` (default) the items the user interacted
 * with in training are left out; k larger than the number of candidates returns them all.
 *
 * Cold start: a user id within [0, nUsers) who had no training interactions gets the popularity
 * ranking from `recommend` (items by number of training interactions, scores = those counts);
 * `predict` and `scoreItems` give each model's own cold-start score (documented per class). An id
 * outside [0, nUsers) or [0, nItems) is an ArgumentError.
 * @example
 * // item 2 was taken twice, item 0 once; user 2 is declared but has no interactions:
 * const knn = new ItemKNN().fit({ users: [0, 1, 1], items: [2, 2, 0], nUsers: 3 });
 * Array.from(knn.recommend(2, 5).items); // [2, 0, 1]
 * Array.from(knn.recommend(2, 5).scores); // [2, 1, 0]
 * // user 0 took item 2, which shares user 1 with item 0 (cosine 1/√2); item 2 itself is excluded:
 * Array.from(knn.recommend(0, 5).items); // [0, 1]
 * knn.recommend(3, 5); // throws ArgumentError
 * @throws TensorkitError code 'NOT_FITTED' from any method but fit before fitting.
 * @category Recommenders
 */
export abstract class Recommender {
  /** The training interactions, or null before fit. */
  protected state: TrainState | null = null;
  private heap = new TopK(16);

  /** Fits the model to training interactions and returns it. */
  abstract fit(interactions: Interactions): this;

  /** Writes the model's score of every item for user u into out [nItems] (u in range, fitted). */
  protected abstract scoreUserInto(out: Float32Array, u: number): void;

  /** `{ type, options }` (and `children` for the hybrid); the constructor accepts `options` back. */
  abstract config(): RecommenderConfig;

  /** The fitted arrays beyond the training interactions, by name (only called when fitted). */
  protected abstract modelState(): SavableState;

  /** The names {@link Recommender.modelState} writes. */
  protected abstract modelKeys(): string[];

  /** Restores the fitted arrays from a checked state dict, given the training interactions; throws on a mismatch. */
  protected abstract loadModel(op: string, sd: SavableState, st: TrainState): void;

  /**
   * The fitted state: the training interactions (`train.ptr` [nUsers + 1], `train.idx` and
   * `train.val` [nnz], `train.counts` [nItems] as int32/float32 tensors, `train.explicit` [])
   * and the model's own arrays (see each class); empty before fit.
   */
  stateDict(): SavableState {
    if (this.state === null) return {};
    return { ...trainStateDict(this.state), ...this.modelState() };
  }

  /**
   * Restores a fitted state from {@link Recommender.stateDict} (an empty one unfits the model).
   * @throws TensorkitError `INVALID_ARGUMENT` on missing keys (or unexpected ones with `strict`);
   *   ArgumentError or ShapeError on entries that do not fit together.
   */
  loadStateDict(sd: SavableState, options: LoadStateOptions = {}): LoadStateResult {
    const op = `${this.constructor.name}.loadStateDict`;
    const r = checkState(op, sd, [...TRAIN_KEYS, ...this.modelKeys()], [], options);
    if (r.empty) {
      this.state = null;
      return r;
    }
    const st = trainStateFrom(op, sd);
    this.loadModel(op, sd, st);
    this.state = st;
    return r;
  }

  /** A JSON-safe snapshot, `config()` and `stateDict()` as {@link RecommenderJSON}; the class's `fromJSON` restores it. */
  toJSON(): RecommenderJSON {
    const c = this.config();
    return { ...savableToJSON(c.type, c.options, this.stateDict()), ...(c.children === undefined ? {} : { children: c.children }) };
  }

  /** The training state, or NOT_FITTED. Overridden by the hybrid, which can borrow it. */
  protected trainState(method: string): TrainState {
    if (this.state === null) throw notFitted(this.constructor.name, method);
    return this.state;
  }

  /** True once fitted. */
  get fitted(): boolean {
    try {
      this.trainState('fitted');
      return true;
    } catch {
      return false;
    }
  }

  /** Number of users (ids 0 … nUsers − 1) of the training data. */
  get nUsers(): number {
    return this.trainState('nUsers').nUsers;
  }

  /** Number of items (ids 0 … nItems − 1) of the training data. */
  get nItems(): number {
    return this.trainState('nItems').nItems;
  }

  /** The items user interacted with in training, ascending (empty for a cold-start user). */
  seenItems(user: number): Int32Array {
    const st = this.trainState('seenItems');
    const u = checkId(`${this.constructor.name}.seenItems`, 'user', user, st.nUsers, 'nUsers');
    return st.idx.slice(st.ptr[u], st.ptr[u + 1]);
  }

  /** Number of training interactions of each item (the popularity the cold-start fallback ranks by). */
  itemPopularity(): Int32Array {
    return this.trainState('itemPopularity').counts.slice();
  }

  /** The model's score of every item for one user, [nItems] (seen items included). */
  scoreItems(user: number): Float32Array {
    const st = this.trainState('scoreItems');
    const u = checkId(`${this.constructor.name}.scoreItems`, 'user', user, st.nUsers, 'nUsers');
    const out = new Float32Array(st.nItems);
    this.scoreUserInto(out, u);
    return out;
  }

  /**
   * Scores of (users[m], items[m]) pairs. The default computes each distinct user's score row once;
   * models with a closed-form pair score override it.
   * @throws ShapeError on different lengths; ArgumentError on an id out of range.
   */
  predict(users: IdArray, items: IdArray): Float32Array {
    const [us, is] = this.checkPairs(users, items, 'predict');
    const st = this.trainState('predict');
    const out = new Float32Array(us.length);
    const { ptr, order } = groupBy(us, st.nUsers);
    const row = new Float32Array(st.nItems);
    for (let u = 0; u < st.nUsers; u++) {
      if (ptr[u] === ptr[u + 1]) continue;
      this.scoreUserInto(row, u);
      for (let t = ptr[u]; t < ptr[u + 1]; t++) out[order[t]] = row[is[order[t]]];
    }
    return out;
  }

  /** Validated (users, items) pairs of predict. */
  protected checkPairs(users: IdArray, items: IdArray, method: string): [Int32Array, Int32Array] {
    const st = this.trainState(method);
    const op = `${this.constructor.name}.${method}`;
    const us = checkIds(op, 'users', users, st.nUsers, 'nUsers');
    const is = checkIds(op, 'items', items, st.nItems, 'nItems');
    if (us.length !== is.length) throw new ShapeError(`${op}: users [${us.length}] and items [${is.length}] must have the same length`);
    return [us, is];
  }

  /**
   * The top-k items for one user (see the class notes for ties, excludeSeen and cold start).
   * @throws ArgumentError on a user id out of range, k not a non-negative integer or bad options.
   */
  recommend(user: number, k = 10, options: RecommendOptions = {}): Recommendation {
    const st = this.trainState('recommend');
    const op = `${this.constructor.name}.recommend`;
    const u = checkId(op, 'user', user, st.nUsers, 'nUsers');
    checkArg(op, 'k', k, nonNegInt);
    const excludeSeen = parseOptions(op, options, { excludeSeen: bool }).excludeSeen ?? true;
    const row = new Float32Array(st.nItems);
    return this.recommendInto(row, st, u, k, excludeSeen);
  }

  /** {@link recommend} for every user 0 … nUsers − 1. */
  recommendAll(k = 10, options: RecommendOptions = {}): Recommendation[] {
    const st = this.trainState('recommendAll');
    const op = `${this.constructor.name}.recommendAll`;
    checkArg(op, 'k', k, nonNegInt);
    const excludeSeen = parseOptions(op, options, { excludeSeen: bool }).excludeSeen ?? true;
    const row = new Float32Array(st.nItems);
    const out = new Array<Recommendation>(st.nUsers);
    for (let u = 0; u < st.nUsers; u++) out[u] = this.recommendInto(row, st, u, k, excludeSeen);
    return out;
  }

  private recommendInto(row: Float32Array, st: TrainState, u: number, k: number, excludeSeen: boolean): Recommendation {
    const from = st.ptr[u], to = st.ptr[u + 1];
    if (from === to) {
      for (let i = 0; i < st.nItems; i++) row[i] = st.counts[i];
      return topKRow(this.heap, row, st.nItems, k, null, 0, 0);
    }
    this.scoreUserInto(row, u);
    return topKRow(this.heap, row, st.nItems, k, excludeSeen ? st.idx : null, from, to);
  }
}

/** The training state of any recommender (NOT_FITTED before fit), for the hybrid. @internal */
export function trainStateOf(r: Recommender, method: string): TrainState {
  // Bracket access is TypeScript's sanctioned way past `protected` from outside the class.
  return r['trainState'](method);
}

// ---------------------------------------------------------------------------------------------
// JSON helpers

/**
 * The JSON form of a {@link TrainState}: the same fields with the typed arrays as plain number arrays.
 * @category Recommenders
 */
export interface TrainStateJSON {
  /** Number of users. */
  nUsers: number;
  /** Number of items. */
  nItems: number;
  /** Row pointers, nUsers + 1. */
  ptr: number[];
  /** Item ids of each row, ascending and distinct. */
  idx: number[];
  /** Summed value of each (user, item) cell. */
  val: number[];
  /** Training interactions (rows, duplicates counted) per item. */
  counts: number[];
  /** Whether ratings were given. */
  explicit: boolean;
}

/** The state-dict names of the training interactions. @internal */
export const TRAIN_KEYS = ['train.ptr', 'train.idx', 'train.val', 'train.counts', 'train.explicit'];

/** The training interactions as state entries (copies). @internal */
export function trainStateDict(s: TrainState): SavableState {
  return {
    'train.ptr': typed('I32', s.ptr.slice(), [s.ptr.length]),
    'train.idx': typed('I32', s.idx.slice(), [s.idx.length]),
    'train.val': new Tensor(s.val.slice(), [s.val.length]),
    'train.counts': typed('I32', s.counts.slice(), [s.counts.length]),
    'train.explicit': new Tensor(new Float32Array([s.explicit ? 1 : 0]), []),
  };
}

/**
 * Reads the training interactions of {@link trainStateDict}, checking the CSR invariants.
 * @throws ArgumentError naming the entry that breaks them.
 * @internal
 */
export function trainStateFrom(op: string, sd: SavableState): TrainState {
  const ptr = stateInts(op, sd, 'train.ptr', [-1]);
  const counts = stateInts(op, sd, 'train.counts', [-1]);
  const nUsers = ptr.length - 1, nItems = counts.length;
  if (nUsers < 1 || nItems < 1) throw new ArgumentError(`${op}: train.ptr and train.counts must describe at least one user and one item`);
  if (ptr[0] !== 0) throw new ArgumentError(`${op}: train.ptr must start at 0`);
  for (let u = 0; u < nUsers; u++) if (ptr[u + 1] < ptr[u]) throw new ArgumentError(`${op}: train.ptr must be non-decreasing`);
  const nnz = ptr[nUsers];
  const idx = stateInts(op, sd, 'train.idx', [nnz], nItems);
  for (let u = 0; u < nUsers; u++) {
    for (let t = ptr[u] + 1; t < ptr[u + 1]; t++) if (idx[t] <= idx[t - 1]) throw new ArgumentError(`${op}: row ${u} of train.idx is not strictly ascending`);
  }
  const val = stateTensor(op, sd, 'train.val', [nnz]).data;
  for (let t = 0; t < nnz; t++) if (!Number.isFinite(val[t])) throw new ArgumentError(`${op}: train.val[${t}] = ${val[t]} is not finite`);
  return { nUsers, nItems, ptr, idx, val, counts, explicit: stateScalar(op, sd, 'train.explicit') !== 0 };
}

/** A float32 state entry of `n` finite values (a copy). @internal */
export function stateF32(op: string, sd: SavableState, k: string, shape: readonly number[]): Float32Array {
  const d = stateTensor(op, sd, k, shape).data;
  for (let t = 0; t < d.length; t++) if (!Number.isFinite(d[t])) throw new ArgumentError(`${op}: ${k}[${t}] = ${d[t]} is not finite`);
  return d;
}
