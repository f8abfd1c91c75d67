import { ArgumentError, FormatError, ShapeError, TensorkitError } from '../../tensor/errors';
import { Generator, defaultGenerator } from '../../tensor/random';
import { describe } from '../../tensor/shape';

// Shared machinery of the recommenders: input validation, the training-interaction matrix in CSR
// form, top-k selection with deterministic ties, the Recommender base class, JSON helpers.
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

/** The JSON form every recommender writes: a `type` tag plus its own fields. */
export interface RecommenderJSON {
  /** Class name, e.g. `'MatrixFactorization'`. */
  type: string;
  [field: string]: unknown;
}

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

/** Throws ArgumentError on keys that `allowed` does not list. @internal */
export function checkKeys(op: string, options: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ArgumentError(`${op}: options must be an object, got ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) throw new ArgumentError(`${op}: unknown option ${JSON.stringify(k)}; expected one of ${allowed.join(', ')}`);
  }
  return options as Record<string, unknown>;
}

/** An integer ≥ min, or ArgumentError. @internal */
export function checkInt(op: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new ArgumentError(`${op}: ${name} must be an integer ≥ ${min}, got ${describe(v)}`);
  }
  return v;
}

/** A finite number ≥ min (> min when `open`), or ArgumentError. @internal */
export function checkNum(op: string, name: string, v: unknown, min = -Infinity, open = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (open ? v <= min : v < min)) {
    throw new ArgumentError(`${op}: ${name} must be a finite number ${open ? '>' : '≥'} ${min}, got ${describe(v)}`);
  }
  return v;
}

/** A boolean, or ArgumentError. @internal */
export function checkBool(op: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ArgumentError(`${op}: ${name} must be a boolean, got ${describe(v)}`);
  return v;
}

/** One of `choices`, or ArgumentError. @internal */
export function checkChoice<T extends string>(op: string, name: string, v: unknown, choices: readonly T[]): T {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    throw new ArgumentError(`${op}: ${name} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describe(v)}`);
  }
  return v as T;
}

/** The given generator or the global one. @internal */
export function checkRng(op: string, v: unknown): Generator {
  if (v === undefined) return defaultGenerator();
  if (!(v instanceof Generator)) throw new ArgumentError(`${op}: rng must be a Generator, got ${describe(v)}`);
  return v;
}

function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

/** Integer ids in [0, n) (n = Infinity: any non-negative safe integer) copied into an Int32Array. @internal */
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
  const declU = d.nUsers === undefined ? Infinity : checkInt(op, 'interactions.nUsers', d.nUsers, 1);
  const declI = d.nItems === undefined ? Infinity : checkInt(op, 'interactions.nItems', d.nItems, 1);
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

  /** A JSON-safe snapshot of the fitted (or unfitted) model. */
  abstract toJSON(): RecommenderJSON;

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
    checkInt(op, 'k', k, 0);
    const o = checkKeys(op, options, ['excludeSeen']);
    const excludeSeen = checkBool(op, 'excludeSeen', o.excludeSeen ?? true);
    const row = new Float32Array(st.nItems);
    return this.recommendInto(row, st, u, k, excludeSeen);
  }

  /** {@link recommend} for every user 0 … nUsers − 1. */
  recommendAll(k = 10, options: RecommendOptions = {}): Recommendation[] {
    const st = this.trainState('recommendAll');
    const op = `${this.constructor.name}.recommendAll`;
    checkInt(op, 'k', k, 0);
    const o = checkKeys(op, options, ['excludeSeen']);
    const excludeSeen = checkBool(op, 'excludeSeen', o.excludeSeen ?? true);
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

/** @internal */
export function stateToJSON(s: TrainState | null): TrainStateJSON | null {
  if (s === null) return null;
  return {
    nUsers: s.nUsers, nItems: s.nItems, ptr: Array.from(s.ptr), idx: Array.from(s.idx),
    val: Array.from(s.val), counts: Array.from(s.counts), explicit: s.explicit,
  };
}

/** Checks the `type` tag of a serialized recommender and returns it as a record. @internal */
export function jsonObject(json: unknown, type: string): Record<string, unknown> {
  const op = `${type}.fromJSON`;
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new FormatError(`${op}: expected an object, got ${describe(json)}`);
  const o = json as Record<string, unknown>;
  if (o.type !== type) throw new FormatError(`${op}: expected type '${type}', got ${describe(o.type)}`);
  return o;
}

/** A numeric array field of a JSON object as a Float32Array of the given length. @internal */
export function jsonF32(o: Record<string, unknown>, field: string, op: string, length: number): Float32Array {
  const a = o[field];
  if (!Array.isArray(a) || a.length !== length) {
    throw new FormatError(`${op}: field '${field}' must be an array of ${length} numbers, got ${describe(a)}`);
  }
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new FormatError(`${op}: field '${field}'[${i}] must be a finite number, got ${describe(v)}`);
    out[i] = v;
  }
  return out;
}

/** An integer array field with entries in [0, max] as an Int32Array. @internal */
export function jsonI32(o: Record<string, unknown>, field: string, op: string, length: number | null, max: number): Int32Array {
  const a = o[field];
  if (!Array.isArray(a) || (length !== null && a.length !== length)) {
    throw new FormatError(`${op}: field '${field}' must be an array of ${length ?? 'some'} integers, got ${describe(a)}`);
  }
  const out = new Int32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
      throw new FormatError(`${op}: field '${field}'[${i}] must be an integer in [0, ${max}], got ${describe(v)}`);
    }
    out[i] = v;
  }
  return out;
}

/** A positive integer field. @internal */
export function jsonInt(o: Record<string, unknown>, field: string, op: string, min = 1): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new FormatError(`${op}: field '${field}' must be an integer ≥ ${min}, got ${describe(v)}`);
  return v;
}

/** A finite number field. @internal */
export function jsonNum(o: Record<string, unknown>, field: string, op: string): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new FormatError(`${op}: field '${field}' must be a finite number, got ${describe(v)}`);
  return v;
}

/** Reads a training state written by {@link stateToJSON} (null stays null). @internal */
export function stateFromJSON(v: unknown, op: string): TrainState | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new FormatError(`${op}: field 'state' must be an object or null, got ${describe(v)}`);
  const o = v as Record<string, unknown>;
  const nUsers = jsonInt(o, 'nUsers', op), nItems = jsonInt(o, 'nItems', op);
  const ptr = jsonI32(o, 'ptr', op, nUsers + 1, 2 ** 31 - 1);
  const nnz = ptr[nUsers];
  if (ptr[0] !== 0) throw new FormatError(`${op}: field 'ptr' must start at 0`);
  for (let u = 0; u < nUsers; u++) if (ptr[u + 1] < ptr[u]) throw new FormatError(`${op}: field 'ptr' must be non-decreasing`);
  const idx = jsonI32(o, 'idx', op, nnz, nItems - 1);
  for (let u = 0; u < nUsers; u++) {
    for (let t = ptr[u] + 1; t < ptr[u + 1]; t++) if (idx[t] <= idx[t - 1]) throw new FormatError(`${op}: row ${u} of field 'idx' is not strictly ascending`);
  }
  const val = jsonF32(o, 'val', op, nnz);
  const counts = jsonI32(o, 'counts', op, nItems, 2 ** 31 - 1);
  if (typeof o.explicit !== 'boolean') throw new FormatError(`${op}: field 'explicit' must be a boolean`);
  return { nUsers, nItems, ptr, idx, val, counts, explicit: o.explicit };
}

/** Runs a constructor on deserialized options, turning its ArgumentError into a FormatError. @internal */
export function wrapFormat<T>(op: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw e instanceof ArgumentError ? new FormatError(`${op}: ${e.message}`) : e;
  }
}
