import { ArgumentError, ShapeError, fmtShape } from '../tensor/errors';
import type { Generator } from '../tensor/random';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { bool, func, parseOptions, posInt, rng as rngCheck } from '../tensor/options';
import { defaultGenerator } from '../tensor/random';
import { toTensorAny } from './util';

/**
 * A finite, indexable collection of samples (PyTorch's map-style `Dataset`): `length` items,
 * item `i` from `get(i)` for 0 ≤ i < length.
 * Shapes: whatever one sample is; {@link DataLoader} stacks samples into batches.
 * @example
 * const squares: Dataset<number> = { length: 4, get: (i) => i * i };
 * squares.get(3); // 9
 * @category Data
 */
export interface Dataset<T> {
  /** Number of samples. */
  readonly length: number;
  /** Sample `i`, 0 ≤ i < length. */
  get(i: number): T;
}

/**
 * A dataset of tensors that share their first (sample) axis: sample i is the list of row i of each
 * tensor (torch.utils.data.TensorDataset). Rows are views sharing the tensors' buffers.
 * Shapes: tensors (N, …); `get(i)` returns one tensor of shape (…) per tensor (a scalar `[]` for a
 * 1-D tensor).
 * @example
 * const ds = new TensorDataset(tensor([[1, 2], [3, 4], [5, 6]]), tensor([0, 1, 0]));
 * ds.length; // 3
 * ds.get(1).map((t) => t.tolist()); // [[3, 4], 1]
 * @throws ArgumentError with no tensors; ShapeError for a scalar or first axes that differ (naming every shape).
 * @category Data
 */
export class TensorDataset implements Dataset<Tensor[]> {
  /** The tensors, in the order given. */
  readonly tensors: readonly Tensor[];
  /** Number of samples N. */
  readonly length: number;

  /** Nested arrays and typed arrays are converted with `tensor()`. */
  constructor(...tensors: (Tensor | Float32Array | readonly number[] | readonly (readonly number[])[])[]) {
    if (tensors.length === 0) throw new ArgumentError('TensorDataset: need at least one tensor');
    const ts = tensors.map((t, k) => toTensorAny(t, 'TensorDataset', `tensors[${k}]`));
    const n = ts[0].shape[0];
    if (ts.some((t) => t.shape[0] !== n)) {
      throw new ShapeError(`TensorDataset: tensors must share their first dimension, got ${ts.map((t) => fmtShape(t.shape)).join(', ')}`);
    }
    this.tensors = ts;
    this.length = n;
  }

  /**
   * Row i of every tensor (views, not copies).
   * @throws ArgumentError unless 0 ≤ i < length is an integer.
   */
  get(i: number): Tensor[] {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new ArgumentError(`TensorDataset.get: index ${describe(i)} out of range [0, ${this.length})`);
    }
    return this.tensors.map((t) => {
      const R = t.size / this.length;
      return new Tensor(t.data.subarray(i * R, (i + 1) * R), t.shape.slice(1));
    });
  }
}

/** The batch a {@link DataLoader} builds from samples of type T with the default collation. */
export type Collated<T> = T extends Tensor ? Tensor
  : T extends number ? Tensor
    : T extends readonly unknown[] ? { -readonly [K in keyof T]: Collated<T[K]> }
      : never;

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions<T = unknown, B = unknown> {
  /** Samples per batch (default 1). Use the dataset length for full-batch training. */
  batchSize?: number;
  /** Draw a new random order at the start of every epoch (default false: 0, 1, …, N − 1). */
  shuffle?: boolean;
  /** Drop the last batch when it would be smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /** Generator for the shuffles (default: the global one, see `manualSeed`). */
  rng?: Generator;
  /** Turns a list of samples into a batch (default: stack tensors and numbers, position by position). */
  collate?: (samples: T[]) => B;
}

/**
 * Iterates over a dataset in batches: each epoch (each `for … of`) visits every index exactly
 * once, in order or in a fresh permutation drawn from `rng` (so a seed makes the epochs
 * reproducible), and stacks the samples of a batch along a new first axis
 * (torch.utils.data.DataLoader). A {@link TensorDataset} takes a fast path that copies rows
 * straight into each batch buffer.
 * Shapes: samples (…) → batches (B, …), B = batchSize except a smaller last batch of N mod
 * batchSize samples unless `dropLast`; `length` = ⌈N / batchSize⌉, or ⌊N / batchSize⌋ with `dropLast`.
 * @example
 * const ds = new TensorDataset(tensor([[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]]), tensor([1, 2, 3, 4, 5]));
 * const loader = new DataLoader(ds, { batchSize: 2 });
 * loader.length; // 3
 * [...loader].map(([x, y]) => y.toArray()); // [[1, 2], [3, 4], [5]]
 * const shuffled = new DataLoader(ds, { batchSize: 2, shuffle: true, rng: new Generator(0) });
 * [...shuffled].flatMap(([x, y]) => y.toArray()).sort(); // [1, 2, 3, 4, 5]
 * @throws ArgumentError for a batch size that is not a positive integer, an empty dataset, a
 * `dropLast` loader that would yield nothing, or samples the default collation cannot stack;
 * ShapeError when samples of one batch differ in shape.
 * @category Data
 */
export class DataLoader<T = Tensor[], B = Collated<T>> implements Iterable<B> {
  /** Samples per batch. */
  readonly batchSize: number;
  /** Whether each epoch is shuffled. */
  readonly shuffle: boolean;
  /** Whether a short last batch is dropped. */
  readonly dropLast: boolean;
  private readonly rng: Generator | null;
  private readonly collate: ((samples: T[]) => B) | null;

  /**
   * A loader of `dataset` in batches.
   * @param dataset The dataset to draw samples from.
   * @param options Batch size, shuffling, dropLast, rng and collate (see {@link DataLoaderOptions}).
   */
  constructor(readonly dataset: Dataset<T>, options: DataLoaderOptions<T, B> = {}) {
    const op = 'DataLoader';
    const o = parseOptions(op, options, { batchSize: posInt, shuffle: bool, dropLast: bool, rng: rngCheck, collate: func });
    if (dataset === null || typeof dataset !== 'object' || typeof (dataset as Dataset<T>).get !== 'function') {
      throw new ArgumentError(`${op}: dataset must have a length and a get(i) method, got ${describe(dataset)}`);
    }
    const n = dataset.length;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new ArgumentError(`${op}: dataset.length must be a non-negative integer, got ${describe(n)}`);
    if (n === 0) throw new ArgumentError(`${op}: the dataset is empty`);
    this.batchSize = o.batchSize ?? 1;
    this.shuffle = o.shuffle ?? false;
    this.dropLast = o.dropLast ?? false;
    if (this.dropLast && this.batchSize > n) {
      throw new ArgumentError(`${op}: dropLast with batchSize ${this.batchSize} > dataset length ${n} would yield no batch`);
    }
    // Resolved per epoch when absent, so manualSeed() between epochs takes effect as in PyTorch.
    this.rng = o.rng ?? null;
    this.collate = (o.collate as DataLoaderOptions<T, B>['collate']) ?? null;
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** One epoch of batches; each call starts a new epoch (and draws a new order when shuffling). */
  *[Symbol.iterator](): Iterator<B> {
    const n = this.dataset.length;
    let order: Int32Array | null = null;
    if (this.shuffle) order = (this.rng ?? defaultGenerator()).permutation(n);
    const nb = this.length;
    const fast = this.collate === null && this.dataset instanceof TensorDataset;
    for (let b = 0; b < nb; b++) {
      const start = b * this.batchSize;
      const end = Math.min(start + this.batchSize, n);
      if (fast) {
        yield gatherRows((this.dataset as unknown as TensorDataset).tensors, n, order, start, end) as unknown as B;
        continue;
      }
      const samples = new Array<T>(end - start);
      for (let k = start; k < end; k++) samples[k - start] = this.dataset.get(order === null ? k : order[k]);
      yield this.collate !== null ? this.collate(samples) : (collate(samples) as B);
    }
  }
}

/** Copies rows order[start … end) (or start … end) of each tensor into one new batch tensor each. */
function gatherRows(tensors: readonly Tensor[], N: number, order: Int32Array | null, start: number, end: number): Tensor[] {
  const Bn = end - start;
  const out = new Array<Tensor>(tensors.length);
  for (let k = 0; k < tensors.length; k++) {
    const t = tensors[k];
    const R = t.size / N;
    const src = t.data;
    let dst: Float32Array;
    if (order === null) dst = src.slice(start * R, end * R);
    else {
      dst = new Float32Array(Bn * R);
      for (let b = 0; b < Bn; b++) {
        const from = order[start + b] * R, to = b * R;
        // Long rows (images) copy faster through set(); short rows would pay more for the subarray object.
        if (R >= 64) dst.set(src.subarray(from, from + R), to);
        else for (let c = 0; c < R; c++) dst[to + c] = src[from + c];
      }
    }
    out[k] = new Tensor(dst, [Bn, ...t.shape.slice(1)]);
  }
  return out;
}

/** Default collation: tensors and numbers stack along a new first axis; arrays collate position by position. */
function collate(samples: readonly unknown[]): unknown {
  const first = samples[0];
  if (first instanceof Tensor) {
    const shape = first.shape;
    const R = first.size;
    const out = new Float32Array(samples.length * R);
    for (let b = 0; b < samples.length; b++) {
      const s = samples[b];
      if (!(s instanceof Tensor)) throw new ArgumentError(`DataLoader: sample ${b} of a batch is ${describe(s)} where sample 0 is a Tensor`);
      if (s.size !== R || s.shape.length !== shape.length || s.shape.some((d, i) => d !== shape[i])) {
        throw new ShapeError(`DataLoader: cannot stack samples of shapes ${fmtShape(shape)} and ${fmtShape(s.shape)} into one batch`);
      }
      out.set(s.data, b * R);
    }
    return new Tensor(out, [samples.length, ...shape]);
  }
  if (typeof first === 'number') {
    const out = new Float32Array(samples.length);
    for (let b = 0; b < samples.length; b++) {
      const s = samples[b];
      if (typeof s !== 'number') throw new ArgumentError(`DataLoader: sample ${b} of a batch is ${describe(s)} where sample 0 is a number`);
      out[b] = s;
    }
    return new Tensor(out, [samples.length]);
  }
  if (Array.isArray(first)) {
    const m = first.length;
    const out = new Array<unknown>(m);
    for (let j = 0; j < m; j++) {
      const col = new Array<unknown>(samples.length);
      for (let b = 0; b < samples.length; b++) {
        const s = samples[b];
        if (!Array.isArray(s) || s.length !== m) throw new ArgumentError(`DataLoader: sample ${b} is ${describe(s)} where sample 0 is an array of ${m}`);
        col[b] = s[j];
      }
      out[j] = collate(col);
    }
    return out;
  }
  throw new ArgumentError(`DataLoader: cannot collate samples of type ${describe(first)}; return Tensors, numbers or arrays of them from get(i), or pass { collate }`);
}
