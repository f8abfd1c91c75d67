import { ArgumentError, ShapeError, fmtShape } from '../tensor/errors';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { arrayOf, nullable, oneOf, parseOptions, str } from '../tensor/options';
import {
  checkState, savableToJSON, stateValues, transformerFromJSON, type LoadStateOptions, type LoadStateResult, type FittedConfig, type SavableJSON,
  type SavableState,
} from './savable';
import { matrixTensor, notFitted, toMatrix, type MatrixLike } from './util';

/** A category value: a string, or a number compared at float32 precision (NaN is a category of its own). */
export type Category = string | number;

/** Anything {@link OneHotEncoder} accepts: a numeric [N, F] table or rows of strings and numbers (each column one kind). */
export type CategoricalInput = MatrixLike | readonly (readonly Category[])[];

/** One column of categorical input: its values, all numbers (float32-rounded) or all strings. */
type Column = { kind: 'number'; values: Float64Array } | { kind: 'string'; values: string[] };

function readColumns(x: unknown, op: string): { cols: Column[]; N: number } {
  if (x instanceof Tensor) {
    const { data, N, F } = toMatrix(x, op);
    const cols: Column[] = [];
    for (let f = 0; f < F; f++) {
      const v = new Float64Array(N);
      for (let n = 0; n < N; n++) v[n] = data[n * F + f];
      cols.push({ kind: 'number', values: v });
    }
    return { cols, N };
  }
  if (!Array.isArray(x)) throw new ArgumentError(`${op}: x must be a Tensor [N, F] or an array of rows, got ${describe(x)}`);
  const N = x.length;
  if (N === 0) return { cols: [], N: 0 };
  if (!Array.isArray(x[0])) throw new ShapeError(`${op}: x must be 2-D (an array of rows); row 0 is ${describe(x[0])} (wrap a single feature as [[v0], [v1], …])`);
  const F = (x[0] as unknown[]).length;
  const cols: Column[] = [];
  for (let f = 0; f < F; f++) {
    const v0 = (x[0] as unknown[])[f];
    if (typeof v0 === 'number') cols.push({ kind: 'number', values: new Float64Array(N) });
    else if (typeof v0 === 'string') cols.push({ kind: 'string', values: new Array<string>(N) });
    else throw new ArgumentError(`${op}: x[0][${f}] is ${describe(v0)}; categories must be strings or numbers`);
  }
  for (let n = 0; n < N; n++) {
    const row = x[n] as unknown;
    if (!Array.isArray(row) || row.length !== F) throw new ShapeError(`${op}: ragged rows: row ${n} has ${Array.isArray(row) ? row.length : describe(row)} entries, row 0 has ${F}`);
    for (let f = 0; f < F; f++) {
      const c = cols[f], v = row[f];
      if (c.kind === 'number') {
        if (typeof v !== 'number') throw new ArgumentError(`${op}: column ${f} mixes kinds: x[${n}][${f}] is ${describe(v)} but x[0][${f}] is a number`);
        c.values[n] = Math.fround(v);
      } else {
        if (typeof v !== 'string') throw new ArgumentError(`${op}: column ${f} mixes kinds: x[${n}][${f}] is ${describe(v)} but x[0][${f}] is a string`);
        c.values[n] = v;
      }
    }
  }
  return { cols, N };
}

/** Sorted distinct values: numbers ascending with NaN last, strings by code unit (as NumPy's unique). */
function uniqueSorted(c: Column): number[] | string[] {
  if (c.kind === 'number') {
    const s = new Set<number>();
    let nan = false;
    for (let i = 0; i < c.values.length; i++) {
      const v = c.values[i];
      if (v !== v) nan = true;
      else s.add(v === 0 ? 0 : v);
    }
    const out = Array.from(s).sort((a, b) => a - b);
    if (nan) out.push(NaN);
    return out;
  }
  return Array.from(new Set(c.values)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}


/** Up to 8 categories for a message (describe shows an array only as its length). */
function fmtList(vs: readonly Category[]): string {
  const shown = vs.slice(0, 8).map(describe).join(', ');
  return `[${shown}${vs.length > 8 ? `, … (${vs.length})` : ''}]`;
}

/** Options of {@link OneHotEncoder}. */
export interface OneHotEncoderOptions {
  /** What transform does with a category not seen in fit: throw ('error', default) or encode it as all zeros ('ignore'). */
  handleUnknown?: 'error' | 'ignore';
  /**
   * The fitted string categories of each column as `config()` writes them (null for a numeric
   * column, whose categories are the state entry `categories.{f}`); `loadStateDict` completes them.
   * Leave it out and call `fit` to learn the categories.
   */
  categories?: (string[] | null)[] | null;
}

/**
 * The JSON form of a {@link OneHotEncoder}: `config().options` (string categories) and the state
 * dict (`nFeatures` [], numeric categories `categories.{f}` [K_f], NaN written as 'NaN').
 */
export type OneHotEncoderJSON = SavableJSON<'OneHotEncoder'>;

/**
 * Encodes each categorical column as K indicator columns, one per category seen in fit (sorted),
 * concatenated left to right (sklearn.preprocessing.OneHotEncoder with dense output). Works on
 * numeric category codes (a Tensor or number rows, compared at float32 precision; NaN is a
 * category of its own, sorted last as scikit-learn does) and on string rows.
 * Shapes: x (N, F) → (N, Σ_f K_f); `categories` F lists.
 * @example
 * const enc = new OneHotEncoder().fit([['red', 1], ['green', 3], ['red', 3]]);
 * enc.categories; // [['green', 'red'], [1, 3]]
 * enc.transform([['green', 1]]).tolist(); // [[1, 0, 1, 0]]
 * enc.inverseTransform([[0, 1, 0, 1]]); // [['red', 3]]
 * enc.featureNamesOut(['color', 'size']); // ['color_green', 'color_red', 'size_1', 'size_3']
 * @throws TensorkitError code 'NOT_FITTED' before fit; ShapeError on a feature count that differs
 * from fit's or ragged rows; ArgumentError on an unknown category (with `handleUnknown: 'error'`),
 * a column mixing strings and numbers, or an empty input.
 * @see https://scikit-learn.org/stable/modules/generated/sklearn.preprocessing.OneHotEncoder.html
 * @category Data
 */
export class OneHotEncoder {
  /** What transform does with an unseen category. */
  readonly handleUnknown: 'error' | 'ignore';
  private cats: (number[] | string[])[] | null = null;
  private lookup: Map<Category, number>[] = [];
  private pendingStrings: (string[] | null)[] | null;

  /** Takes {@link OneHotEncoderOptions}, or `config().options` of another OneHotEncoder. */
  constructor(options: OneHotEncoderOptions = {}) {
    const o = parseOptions('OneHotEncoder', options, {
      handleUnknown: oneOf(['error', 'ignore'] as const), categories: nullable(arrayOf(nullable(arrayOf(str, { min: 1 })), { min: 1 })),
    });
    this.handleUnknown = o.handleUnknown ?? 'error';
    this.pendingStrings = o.categories ?? null;
  }

  /** The sorted categories of each input column, or null before fit. */
  get categories(): (number[] | string[])[] | null {
    return this.cats && this.cats.map((c) => c.slice() as number[] | string[]);
  }

  /** Number of input columns seen in fit, or null before fit. */
  get nFeatures(): number | null {
    return this.cats && this.cats.length;
  }

  /** Number of output columns Σ K_f, or null before fit. */
  get nFeaturesOut(): number | null {
    return this.cats && this.cats.reduce((s, c) => s + c.length, 0);
  }

  /** Collects the sorted distinct values of each column. */
  fit(x: CategoricalInput): this {
    const op = 'OneHotEncoder.fit';
    const { cols, N } = readColumns(x, op);
    if (N === 0 || cols.length === 0) throw new ArgumentError(`${op}: x is empty; need at least one sample and one feature`);
    this.setCategories(cols.map(uniqueSorted));
    return this;
  }

  private setCategories(cats: (number[] | string[])[]): void {
    this.cats = cats;
    this.lookup = cats.map((c) => new Map<Category, number>((c as Category[]).map((v, k) => [v, k])));
  }

  /** The indicator matrix: row n has a 1 in the column of each of its categories. */
  transform(x: CategoricalInput): Tensor {
    const op = 'OneHotEncoder.transform';
    if (this.cats === null) throw notFitted('OneHotEncoder', 'transform');
    const { cols, N } = readColumns(x, op);
    const F = this.cats.length;
    if (N > 0 && cols.length !== F) throw new ShapeError(`${op}: x has ${cols.length} features but the encoder was fitted on ${F}`);
    const D = this.nFeaturesOut as number;
    const out = new Float32Array(N * D);
    let off = 0;
    for (let f = 0; f < F && N > 0; f++) {
      const c = cols[f], map = this.lookup[f], kind = typeof this.cats[f][0];
      if (c.kind !== kind) throw new ArgumentError(`${op}: column ${f} holds ${c.kind}s but was fitted on ${kind}s`);
      for (let n = 0; n < N; n++) {
        const v = c.values[n];
        const k = map.get(v === 0 ? 0 : v);
        if (k === undefined) {
          if (this.handleUnknown === 'error') throw new ArgumentError(`${op}: unknown category ${describe(v)} in column ${f} (row ${n}); known: ${fmtList(this.cats[f])}; pass { handleUnknown: 'ignore' } to encode it as zeros`);
          continue;
        }
        out[n * D + off + k] = 1;
      }
      off += this.cats[f].length;
    }
    return matrixTensor(out, N, D);
  }

  /** fit(x) then transform(x). */
  fitTransform(x: CategoricalInput): Tensor {
    return this.fit(x).transform(x);
  }

  /**
   * The category of each block's largest entry, per row; null for an all-zero block (an unknown
   * category under `handleUnknown: 'ignore'`).
   * @throws ArgumentError for an all-zero block when `handleUnknown` is 'error'.
   */
  inverseTransform(x: MatrixLike): (Category | null)[][] {
    const op = 'OneHotEncoder.inverseTransform';
    if (this.cats === null) throw notFitted('OneHotEncoder', 'inverseTransform');
    const { data, N, F: D } = toMatrix(x, op);
    const want = this.nFeaturesOut as number;
    if (D !== want) throw new ShapeError(`${op}: x has ${D} columns but the encoder outputs ${want}`);
    const out: (Category | null)[][] = [];
    for (let n = 0; n < N; n++) {
      const row: (Category | null)[] = [];
      let off = n * D;
      for (let f = 0; f < this.cats.length; f++) {
        const K = this.cats[f].length;
        let best = -1, bestV = 0;
        for (let k = 0; k < K; k++) if (data[off + k] > bestV) { bestV = data[off + k]; best = k; }
        if (best < 0) {
          if (this.handleUnknown === 'error') throw new ArgumentError(`${op}: row ${n} has no positive entry for input column ${f}; only an encoder with handleUnknown 'ignore' maps that to null`);
          row.push(null);
        } else row.push(this.cats[f][best]);
        off += K;
      }
      out.push(row);
    }
    return out;
  }

  /**
   * Output column names `${input}_${category}`, with inputs named `x0`, `x1`, … unless given
   * (scikit-learn's get_feature_names_out).
   * @throws ShapeError when `inputFeatures` does not have one name per input column.
   */
  featureNamesOut(inputFeatures?: readonly string[]): string[] {
    if (this.cats === null) throw notFitted('OneHotEncoder', 'featureNamesOut');
    const F = this.cats.length;
    if (inputFeatures !== undefined && (!Array.isArray(inputFeatures) || inputFeatures.length !== F)) {
      throw new ShapeError(`OneHotEncoder.featureNamesOut: need ${F} input names, got ${describe(inputFeatures)}`);
    }
    const names: string[] = [];
    this.cats.forEach((c, f) => {
      for (const v of c as Category[]) names.push(`${inputFeatures ? inputFeatures[f] : `x${f}`}_${typeof v === 'number' && Number.isNaN(v) ? 'nan' : v}`);
    });
    return names;
  }

  /**
   * `{ type: 'OneHotEncoder', options: { handleUnknown, categories } }` with the string categories of
   * each column (null for numeric columns, and for all before fit).
   */
  config(): FittedConfig {
    const cats = this.cats === null ? null : this.cats.map((c) => (typeof c[0] === 'string' ? (c as string[]).slice() : null));
    return { type: 'OneHotEncoder', options: { handleUnknown: this.handleUnknown, categories: cats } };
  }

  /** `nFeatures` [] and the numeric categories `categories.{f}` [K_f] of each numeric column; empty before fit. */
  stateDict(): SavableState {
    if (this.cats === null) return {};
    const sd: SavableState = { nFeatures: new Tensor(new Float32Array([this.cats.length]), []) };
    this.cats.forEach((c, f) => {
      if (typeof c[0] === 'number') sd[`categories.${f}`] = new Tensor(Float32Array.from(c as number[]), [c.length]);
    });
    return sd;
  }

  /**
   * Restores the categories from {@link OneHotEncoder.stateDict} and the string categories given to
   * the constructor (an empty state dict unfits the encoder).
   * @throws TensorkitError `INVALID_ARGUMENT` on missing keys; ArgumentError when they disagree with the options.
   */
  loadStateDict(sd: SavableState, options: LoadStateOptions = {}): LoadStateResult {
    const op = 'OneHotEncoder.loadStateDict';
    const strings = this.pendingStrings ?? [];
    const numeric = Object.keys(sd ?? {}).filter((k) => /^categories\.\d+$/.test(k));
    const r = checkState(op, sd, ['nFeatures'], numeric, options);
    if (r.empty) {
      this.cats = null;
      return r;
    }
    const F = stateValues(op, sd, 'nFeatures', [])[0];
    if (!Number.isSafeInteger(F) || F < 1) throw new ArgumentError(`${op}: nFeatures must be a positive integer, got ${F}`);
    const cats: (number[] | string[])[] = [];
    for (let f = 0; f < F; f++) {
      const s = strings[f] ?? null;
      const key = `categories.${f}`;
      if (s !== null && !(key in sd)) cats.push(s.slice());
      else if (s === null && key in sd) {
        const v = Array.from(stateValues(op, sd, key, [-1]));
        if (v.length === 0) throw new ArgumentError(`${op}: ${key} is empty`);
        cats.push(v);
      } else throw new ArgumentError(`${op}: column ${f} needs either string categories in the options or the state entry ${key}, not ${s === null ? 'neither' : 'both'}`);
    }
    if (strings.length > F) throw new ArgumentError(`${op}: the options give categories for ${strings.length} columns but nFeatures is ${F}`);
    this.setCategories(cats);
    return r;
  }

  /** A JSON-safe snapshot, `config()` and `stateDict()` as {@link OneHotEncoderJSON}. */
  toJSON(): OneHotEncoderJSON {
    return savableToJSON('OneHotEncoder', this.config().options, this.stateDict());
  }

  /**
   * Rebuilds an encoder from {@link OneHotEncoder.toJSON} output.
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): OneHotEncoder {
    return transformerFromJSON(json, 'OneHotEncoder', (o) => new OneHotEncoder(o as OneHotEncoderOptions));
  }
}

/** Labels {@link LabelEncoder} accepts: strings, or numbers as an array, typed array or 1-D Tensor. */
export type LabelsLike = readonly string[] | readonly number[] | Tensor | Float32Array | Float64Array | Int32Array;

/** Reads labels into strings or float32-rounded numbers, refusing NaN and mixed kinds. @internal */
export function readLabels(y: unknown, op: string): Category[] {
  let vals: ArrayLike<unknown>;
  if (y instanceof Tensor) {
    if (y.ndim !== 1 && !(y.ndim === 2 && y.shape[1] === 1)) throw new ShapeError(`${op}: y must be 1-D [N] (or [N, 1]), got ${fmtShape(y.shape)}`);
    vals = y.data;
  } else if (Array.isArray(y) || y instanceof Float32Array || y instanceof Float64Array || y instanceof Int32Array) vals = y;
  else throw new ArgumentError(`${op}: y must be an array of labels (strings or numbers) or a 1-D Tensor, got ${describe(y)}`);
  const out = new Array<Category>(vals.length);
  const kind = typeof vals[0];
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i];
    if (typeof v === 'number') {
      if (Number.isNaN(v)) throw new ArgumentError(`${op}: y[${i}] is NaN; labels must not be missing (see dropNonFinite)`);
      out[i] = Math.fround(v) + 0;
    } else if (typeof v === 'string') out[i] = v;
    else throw new ArgumentError(`${op}: y[${i}] is ${describe(v)}; labels must be strings or numbers`);
    if (typeof v !== kind) throw new ArgumentError(`${op}: y mixes strings and numbers (y[0] is ${describe(vals[0])}, y[${i}] is ${describe(v)})`);
  }
  return out;
}

/** Options of {@link LabelEncoder}. */
export interface LabelEncoderOptions {
  /**
   * Fitted string classes as `config()` writes them (numeric classes are the state entry
   * `classes`); `loadStateDict` completes them. Leave it out and call `fit`.
   */
  classes?: string[] | null;
}

/** The JSON form of a {@link LabelEncoder}: `config().options` (string classes) and the state dict (`nClasses` [], numeric `classes` [K]). */
export type LabelEncoderJSON = SavableJSON<'LabelEncoder'>;

/**
 * Maps labels to class indices 0 … K − 1 in sorted label order (sklearn.preprocessing.LabelEncoder):
 * strings by code unit, numbers ascending (compared at float32 precision).
 * Shapes: y (N) → codes (N), a float32 Tensor of exact integers; `classes` (K).
 * @example
 * const animals = new LabelEncoder().fit(['cat', 'dog', 'cat', 'bird']);
 * animals.classes; // ['bird', 'cat', 'dog']
 * animals.transform(['dog', 'bird']).toArray(); // [2, 0]
 * animals.inverseTransform([1, 2]); // ['cat', 'dog']
 * animals.transform(['fish']); // throws ArgumentError
 * @throws TensorkitError code 'NOT_FITTED' before fit; ArgumentError on an unseen label, a code
 * outside [0, K), NaN or mixed string/number labels, or an empty fit input.
 * @see https://scikit-learn.org/stable/modules/generated/sklearn.preprocessing.LabelEncoder.html
 * @category Data
 */
export class LabelEncoder<L extends Category = Category> {
  private cls: L[] | null = null;
  private index = new Map<Category, number>();
  private pendingStrings: string[] | null;

  /** Takes {@link LabelEncoderOptions}, or `config().options` of another LabelEncoder. */
  constructor(options: LabelEncoderOptions = {}) {
    this.pendingStrings = parseOptions('LabelEncoder', options, { classes: nullable(arrayOf(str, { min: 1 })) }).classes ?? null;
  }

  /** The sorted distinct labels seen in fit, or null before fit. */
  get classes(): L[] | null {
    return this.cls && this.cls.slice();
  }

  /** Collects and sorts the distinct labels. */
  fit(y: LabelsLike): this {
    const op = 'LabelEncoder.fit';
    const labels = readLabels(y, op);
    if (labels.length === 0) throw new ArgumentError(`${op}: y is empty`);
    const uniq = Array.from(new Set(labels));
    if (typeof uniq[0] === 'number') (uniq as number[]).sort((a, b) => a - b);
    else (uniq as string[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.setClasses(uniq as L[]);
    return this;
  }

  private setClasses(cls: L[]): void {
    this.cls = cls;
    this.index = new Map(cls.map((c, k) => [c, k]));
  }

  /** The class index of each label. */
  transform(y: LabelsLike): Tensor {
    const op = 'LabelEncoder.transform';
    if (this.cls === null) throw notFitted('LabelEncoder', 'transform');
    const labels = readLabels(y, op);
    const out = new Float32Array(labels.length);
    for (let i = 0; i < labels.length; i++) {
      const k = this.index.get(labels[i]);
      if (k === undefined) throw new ArgumentError(`${op}: y[${i}] = ${describe(labels[i])} was not seen in fit; classes: ${fmtList(this.cls)}`);
      out[i] = k;
    }
    return new Tensor(out, [labels.length]);
  }

  /** fit(y) then transform(y). */
  fitTransform(y: LabelsLike): Tensor {
    return this.fit(y).transform(y);
  }

  /** The label of each class index. */
  inverseTransform(codes: Tensor | ArrayLike<number>): L[] {
    const op = 'LabelEncoder.inverseTransform';
    if (this.cls === null) throw notFitted('LabelEncoder', 'inverseTransform');
    let c: ArrayLike<unknown>;
    if (codes instanceof Tensor) c = codes.data;
    else if (Array.isArray(codes) || ArrayBuffer.isView(codes)) c = codes as ArrayLike<unknown>;
    else throw new ArgumentError(`${op}: codes must be a Tensor or an array of class indices, got ${describe(codes)}`);
    const K = this.cls.length;
    const out = new Array<L>(c.length);
    for (let i = 0; i < c.length; i++) {
      const k = c[i];
      if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= K) throw new ArgumentError(`${op}: codes[${i}] = ${describe(k)} is not a class index in [0, ${K})`);
      out[i] = this.cls[k];
    }
    return out;
  }

  /** `{ type: 'LabelEncoder', options: { classes } }` with the string classes (null for numeric classes and before fit). */
  config(): FittedConfig {
    const c = this.cls !== null && typeof this.cls[0] === 'string' ? (this.cls as string[]).slice() : null;
    return { type: 'LabelEncoder', options: { classes: c } };
  }

  /** `nClasses` [] and, for numeric labels, `classes` [K]; empty before fit. */
  stateDict(): SavableState {
    if (this.cls === null) return {};
    const sd: SavableState = { nClasses: new Tensor(new Float32Array([this.cls.length]), []) };
    if (typeof this.cls[0] === 'number') sd.classes = new Tensor(Float32Array.from(this.cls as number[]), [this.cls.length]);
    return sd;
  }

  /**
   * Restores the classes from {@link LabelEncoder.stateDict} and the string classes given to the
   * constructor (an empty state dict unfits the encoder).
   * @throws TensorkitError `INVALID_ARGUMENT` on missing keys; ArgumentError when they disagree with the options.
   */
  loadStateDict(sd: SavableState, options: LoadStateOptions = {}): LoadStateResult {
    const op = 'LabelEncoder.loadStateDict';
    const r = checkState(op, sd, ['nClasses'], ['classes'], options);
    if (r.empty) {
      this.cls = null;
      return r;
    }
    const K = stateValues(op, sd, 'nClasses', [])[0];
    const strings = this.pendingStrings;
    let cls: Category[];
    if (strings !== null && !('classes' in sd)) cls = strings.slice();
    else if (strings === null && 'classes' in sd) {
      const v = Array.from(stateValues(op, sd, 'classes', [-1]));
      if (v.some((x) => Number.isNaN(x))) throw new ArgumentError(`${op}: classes must not hold NaN`);
      cls = v;
    } else throw new ArgumentError(`${op}: needs either string classes in the options or the state entry classes, not ${strings === null ? 'neither' : 'both'}`);
    if (cls.length !== K || K === 0) throw new ArgumentError(`${op}: nClasses is ${K} but there are ${cls.length} classes`);
    this.setClasses(cls as L[]);
    return r;
  }

  /** A JSON-safe snapshot, `config()` and `stateDict()` as {@link LabelEncoderJSON}. */
  toJSON(): LabelEncoderJSON {
    return savableToJSON('LabelEncoder', this.config().options, this.stateDict());
  }

  /**
   * Rebuilds an encoder from {@link LabelEncoder.toJSON} output.
   * @throws FormatError on a malformed object.
   */
  static fromJSON<L extends Category = Category>(json: unknown): LabelEncoder<L> {
    return transformerFromJSON(json, 'LabelEncoder', (o) => new LabelEncoder<L>(o as LabelEncoderOptions));
  }
}
