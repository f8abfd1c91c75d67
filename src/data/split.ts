import { ArgumentError, ShapeError, fmtShape } from '../tensor/errors';
import type { Generator } from '../tensor/random';
import { describe } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { takeRows } from './clean';
import { readLabels, type LabelsLike } from './encoders';
import { bool, int, parseOptions, rng as rngCheck, type Check } from '../tensor/options';
import { defaultGenerator } from '../tensor/random';
import { toTensorAny } from './util';

/** Checked after parsing by the code that uses it (sizes against N, labels as labels). */
const later: Check<unknown> = (v) => v;

/** Samples along the first axis: a Tensor, nested arrays or a typed array. */
export type SamplesLike = Tensor | readonly number[] | readonly (readonly number[])[] | Float32Array | Int32Array;

/** Options of {@link trainTestSplit}. */
export interface TrainTestSplitOptions {
  /** A fraction in (0, 1) of the samples (rounded up), or an integer count ≥ 1, for the test set (default 0.25). */
  testSize?: number;
  /** Shuffle before splitting (default true); false takes the last samples as the test set. */
  shuffle?: boolean;
  /** Keep class proportions: `true` stratifies by y, or pass the labels (default: no stratification). */
  stratify?: boolean | LabelsLike;
  /** Generator for the shuffle (default: the global one). */
  rng?: Generator;
}

/** Result of {@link trainTestSplit} without targets. */
export interface TrainTestSplitX {
  /** The training rows of x, [N − nTest, …]. */
  xTrain: Tensor;
  /** The test rows of x, [nTest, …]. */
  xTest: Tensor;
  /** Row indices of the training samples in x, in the order of `xTrain`. */
  trainIndex: Int32Array;
  /** Row indices of the test samples in x, in the order of `xTest`. */
  testIndex: Int32Array;
}

/** Result of {@link trainTestSplit} with targets. */
export interface TrainTestSplitXY extends TrainTestSplitX {
  /** The targets of the training rows, in the order of `xTrain`. */
  yTrain: Tensor;
  /** The targets of the test rows, in the order of `xTest`. */
  yTest: Tensor;
}

/** Number of test and train samples for a testSize, as scikit-learn's _validate_shuffle_split. */
function splitSizes(N: number, testSize: unknown, op: string): [number, number] {
  let nTest: number;
  if (typeof testSize === 'number' && testSize > 0 && testSize < 1) nTest = Math.ceil(testSize * N);
  else if (typeof testSize === 'number' && Number.isSafeInteger(testSize) && testSize >= 1) nTest = testSize;
  else throw new ArgumentError(`${op}: testSize must be a fraction in (0, 1) or an integer count ≥ 1, got ${describe(testSize)}`);
  const nTrain = N - nTest;
  if (nTest < 1 || nTrain < 1) throw new ArgumentError(`${op}: testSize ${testSize} of ${N} samples leaves ${nTest} test and ${nTrain} train samples; both sets need at least one`);
  return [nTest, nTrain];
}

/** Sorted-label class codes (NumPy's unique with return_inverse) and per-class counts. */
function encodeClasses(labels: readonly (string | number)[]): { codes: Int32Array; counts: number[] } {
  const uniq = Array.from(new Set(labels));
  if (typeof uniq[0] === 'number') (uniq as number[]).sort((a, b) => a - b);
  else (uniq as string[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(uniq.map((c, k) => [c, k]));
  const codes = new Int32Array(labels.length);
  const counts = new Array<number>(uniq.length).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const k = index.get(labels[i]) as number;
    codes[i] = k;
    counts[k]++;
  }
  return { codes, counts };
}

/** k distinct elements of 0 … n − 1 drawn uniformly (a partial Fisher–Yates). */
function choose(n: number, k: number, rng: Generator): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = 0; i < k; i++) {
    const j = rng.randint(i, n);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p.subarray(0, k);
}

/**
 * scikit-learn's _approximate_mode: per-class draws summing to nDraws, each the floor of its
 * proportional share, the remainder going to the largest fractional parts (ties broken at random).
 */
function approximateMode(counts: readonly number[], nDraws: number, rng: Generator): number[] {
  const total = counts.reduce((s, c) => s + c, 0);
  const cont = counts.map((c) => (c / total) * nDraws);
  const out = cont.map(Math.floor);
  let need = nDraws - out.reduce((s, c) => s + c, 0);
  if (need > 0) {
    const rem = cont.map((c, i) => c - out[i]);
    const values = Array.from(new Set(rem)).sort((a, b) => b - a);
    for (const v of values) {
      const inds = rem.flatMap((r, i) => (r === v ? [i] : []));
      const addNow = Math.min(inds.length, need);
      for (const j of choose(inds.length, addNow, rng)) out[inds[j]]++;
      need -= addNow;
      if (need === 0) break;
    }
  }
  return out;
}

/**
 * Splits samples into a random train set and test set (sklearn.model_selection.train_test_split).
 * With `stratify`, each class is split in proportion, as StratifiedShuffleSplit does: per-class
 * counts are the floors of their shares with the remainder given to the largest fractions.
 * Without shuffling the first N − nTest samples train and the rest test.
 * Shapes: x (N, …), y (N, …) → xTrain (N − nTest, …), xTest (nTest, …), same for y; nTest =
 * ⌈testSize · N⌉ for a fraction.
 * @example
 * const x = arange(10).reshape([10, 1]), y = tensor([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
 * const s = trainTestSplit(x, y, { testSize: 0.4, stratify: true, rng: new Generator(0) });
 * s.xTest.shape; // [4, 1]
 * s.yTest.toArray().filter((v) => v === 1).length; // 2
 * trainTestSplit(x, y, { testSize: 3, shuffle: false }).yTest.toArray(); // [1, 1, 1]
 * @throws ArgumentError on a bad testSize (or one leaving an empty set), stratify without shuffle,
 * a class with fewer than 2 members, or fewer train/test samples than classes; ShapeError when x
 * and y (or the stratify labels) have different numbers of samples.
 * @see https://scikit-learn.org/stable/modules/generated/sklearn.model_selection.train_test_split.html
 * @category Data
 */
export function trainTestSplit(x: SamplesLike, y: SamplesLike, options?: TrainTestSplitOptions): TrainTestSplitXY;
export function trainTestSplit(x: SamplesLike, y: null, options?: TrainTestSplitOptions): TrainTestSplitX;
export function trainTestSplit(xIn: SamplesLike, yIn: SamplesLike | null, options: TrainTestSplitOptions = {}): TrainTestSplitX | TrainTestSplitXY {
  const op = 'trainTestSplit';
  const o = parseOptions(op, options, { testSize: later, shuffle: bool, stratify: later, rng: rngCheck });
  const x = toTensorAny(xIn, op, 'x');
  const y = yIn === null || yIn === undefined ? null : toTensorAny(yIn, op, 'y');
  const N = x.shape[0];
  if (y !== null && y.shape[0] !== N) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} and y ${fmtShape(y.shape)} have different numbers of samples`);
  const [nTest, nTrain] = splitSizes(N, o.testSize ?? 0.25, op);
  const shuffle = o.shuffle ?? true;
  const strat = (o.stratify ?? false) as TrainTestSplitOptions['stratify'];
  let trainIndex: Int32Array, testIndex: Int32Array;
  if (strat !== false) {
    if (!shuffle) throw new ArgumentError(`${op}: stratify needs shuffle: true (scikit-learn refuses it too)`);
    if (strat === true && y === null) throw new ArgumentError(`${op}: stratify: true needs y; pass the labels instead`);
    const labels = readLabels(strat === true ? y : strat, `${op} (stratify)`);
    if (labels.length !== N) throw new ShapeError(`${op}: stratify has ${labels.length} labels but x ${fmtShape(x.shape)} has ${N} samples`);
    [trainIndex, testIndex] = stratifiedShuffle(labels, nTrain, nTest, o.rng ?? defaultGenerator(), op);
  } else if (shuffle) {
    const perm = (o.rng ?? defaultGenerator()).permutation(N);
    testIndex = perm.slice(0, nTest);
    trainIndex = perm.slice(nTest);
  } else {
    trainIndex = new Int32Array(nTrain);
    testIndex = new Int32Array(nTest);
    for (let i = 0; i < nTrain; i++) trainIndex[i] = i;
    for (let i = 0; i < nTest; i++) testIndex[i] = nTrain + i;
  }
  const res: TrainTestSplitX = { xTrain: takeRows(x, trainIndex), xTest: takeRows(x, testIndex), trainIndex, testIndex };
  return y === null ? res : { ...res, yTrain: takeRows(y, trainIndex), yTest: takeRows(y, testIndex) };
}

/** One split of StratifiedShuffleSplit (scikit-learn 1.2's _iter_indices). */
function stratifiedShuffle(labels: readonly (string | number)[], nTrain: number, nTest: number, rng: Generator, op: string): [Int32Array, Int32Array] {
  const { codes, counts } = encodeClasses(labels);
  const K = counts.length;
  const minCount = Math.min(...counts);
  if (minCount < 2) throw new ArgumentError(`${op}: the least populated class has only ${minCount} member; stratification needs at least 2 per class`);
  if (nTrain < K) throw new ArgumentError(`${op}: ${nTrain} train samples cannot hold all ${K} classes`);
  if (nTest < K) throw new ArgumentError(`${op}: ${nTest} test samples cannot hold all ${K} classes`);
  const byClass: number[][] = counts.map(() => []);
  for (let i = 0; i < codes.length; i++) byClass[codes[i]].push(i);
  const nI = approximateMode(counts, nTrain, rng);
  const tI = approximateMode(counts.map((c, k) => c - nI[k]), nTest, rng);
  const train: number[] = [], test: number[] = [];
  for (let k = 0; k < K; k++) {
    const perm = rng.permutation(counts[k]);
    for (let j = 0; j < nI[k]; j++) train.push(byClass[k][perm[j]]);
    for (let j = nI[k]; j < nI[k] + tI[k]; j++) test.push(byClass[k][perm[j]]);
  }
  return [rng.shuffle(Int32Array.from(train)), rng.shuffle(Int32Array.from(test))];
}

/** One cross-validation fold: ascending row indices of its training and test samples. */
export interface Fold {
  /** Ascending row indices of the training samples. */
  train: Int32Array;
  /** Ascending row indices of the test samples. */
  test: Int32Array;
}

/** Options of {@link kFold} and {@link stratifiedKFold}. */
export interface KFoldOptions {
  /** Number of folds k ≥ 2 (default 5). */
  nSplits?: number;
  /** Shuffle the samples before cutting folds (default false: folds are contiguous blocks). */
  shuffle?: boolean;
  /** Generator for the shuffle (default: the global one). */
  rng?: Generator;
}

function kOptions(options: unknown, op: string): { k: number; shuffle: boolean; rng: Generator | null } {
  const o = parseOptions(op, options, { nSplits: int({ min: 2 }), shuffle: bool, rng: rngCheck });
  const k = o.nSplits ?? 5;
  const shuffle = o.shuffle ?? false;
  return { k, shuffle, rng: shuffle ? (o.rng ?? defaultGenerator()) : null };
}

/** Folds from a test-fold assignment of each sample. */
function foldsOf(assign: Int32Array, k: number): Fold[] {
  const sizes = new Array<number>(k).fill(0);
  for (let i = 0; i < assign.length; i++) sizes[assign[i]]++;
  const folds: Fold[] = [];
  for (let f = 0; f < k; f++) {
    const test = new Int32Array(sizes[f]), train = new Int32Array(assign.length - sizes[f]);
    for (let i = 0, a = 0, b = 0; i < assign.length; i++) {
      if (assign[i] === f) test[a++] = i;
      else train[b++] = i;
    }
    folds.push({ train, test });
  }
  return folds;
}

/**
 * K-fold cross-validation indices (sklearn.model_selection.KFold): the samples, in order or
 * shuffled, are cut into k consecutive test folds, the first N mod k of them one sample larger;
 * each fold trains on the rest. Every sample is tested exactly once.
 * Shapes: k folds; fold i has ⌊N/k⌋ + (i < N mod k ? 1 : 0) test and the rest train indices.
 * @example
 * kFold(5, { nSplits: 2 }).map((f) => Array.from(f.test)); // [[0, 1, 2], [3, 4]]
 * Array.from(kFold(5, { nSplits: 2 })[1].train); // [0, 1, 2]
 * @throws ArgumentError unless n ≥ nSplits ≥ 2 are integers.
 * @see https://scikit-learn.org/stable/modules/generated/sklearn.model_selection.KFold.html
 * @category Data
 */
export function kFold(n: number, options: KFoldOptions = {}): Fold[] {
  const op = 'kFold';
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) throw new ArgumentError(`${op}: n must be a positive integer number of samples, got ${describe(n)}`);
  const { k, rng } = kOptions(options, op);
  if (k > n) throw new ArgumentError(`${op}: nSplits ${k} is greater than the number of samples ${n}`);
  const order = rng === null ? null : rng.permutation(n);
  const assign = new Int32Array(n);
  const base = Math.floor(n / k), extra = n % k;
  for (let f = 0, start = 0; f < k; f++) {
    const size = base + (f < extra ? 1 : 0);
    for (let i = start; i < start + size; i++) assign[order === null ? i : order[i]] = f;
    start += size;
  }
  return foldsOf(assign, k);
}

/**
 * Stratified k-fold indices (sklearn.model_selection.StratifiedKFold, scikit-learn ≥ 0.22
 * allocation): the sorted labels are dealt round-robin to the folds to fix how many of each class
 * each test fold gets, then each class's samples fill its folds in order (in shuffled order with
 * `shuffle`). Without shuffling the folds equal scikit-learn's exactly.
 * Shapes: y (N) → k folds of ascending indices.
 * @example
 * stratifiedKFold([0, 0, 0, 0, 1, 1], { nSplits: 2 }).map((f) => Array.from(f.test)); // [[0, 1, 4], [2, 3, 5]]
 * @throws ArgumentError when nSplits exceeds the number of samples or every class's size, or on bad labels.
 * @see https://scikit-learn.org/stable/modules/generated/sklearn.model_selection.StratifiedKFold.html
 * @category Data
 */
export function stratifiedKFold(y: LabelsLike, options: KFoldOptions = {}): Fold[] {
  const op = 'stratifiedKFold';
  const labels = readLabels(y, op);
  const { k, rng } = kOptions(options, op);
  const N = labels.length;
  if (k > N) throw new ArgumentError(`${op}: nSplits ${k} is greater than the number of samples ${N}`);
  // Classes numbered by first appearance, as scikit-learn does, so the round-robin follows the data order.
  const first = new Map<string | number, number>();
  const enc = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    let c = first.get(labels[i]);
    if (c === undefined) {
      c = first.size;
      first.set(labels[i], c);
    }
    enc[i] = c;
  }
  const K = first.size;
  const counts = new Array<number>(K).fill(0);
  for (let i = 0; i < N; i++) counts[enc[i]]++;
  if (counts.every((c) => k > c)) throw new ArgumentError(`${op}: nSplits ${k} is greater than the number of members in every class (largest ${Math.max(...counts)})`);
  // allocation[f][c]: samples of class c in test fold f, dealing the sorted codes round-robin.
  const allocation = Array.from({ length: k }, () => new Array<number>(K).fill(0));
  for (let c = 0, pos = 0; c < K; c++) {
    for (let j = 0; j < counts[c]; j++, pos++) allocation[pos % k][c]++;
  }
  const assign = new Int32Array(N);
  const cursor = new Array<number>(K).fill(0);
  const foldsForClass: Int32Array[] = [];
  for (let c = 0; c < K; c++) {
    const ff = new Int32Array(counts[c]);
    for (let f = 0, p = 0; f < k; f++) for (let j = 0; j < allocation[f][c]; j++) ff[p++] = f;
    if (rng !== null) rng.shuffle(ff);
    foldsForClass.push(ff);
  }
  for (let i = 0; i < N; i++) assign[i] = foldsForClass[enc[i]][cursor[enc[i]]++];
  return foldsOf(assign, k);
}
