import { ArgumentError, FormatError, ShapeError, fmtShape } from '../tensor/errors';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { jsonObject, matrixTensor, notFitted, oneOf, optionsOf, toMatrix, wrapFormat, type MatrixLike } from './util';

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

function fmtCat(v: Category): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function fmtList(vs: readonly Category[]): string {
  const shown = vs.slice(0, 8).map(fmtCat).join(', ');
  return `[${shown}${vs.length > 8 ? `, … (${vs.length})` : ''}]`;
}

/** Options of {@link OneHotEncoder}. */
export interface OneHotEncoderOptions {
  /** What transform does with a category not seen in fit: throw ('error', default) or encode it as all zeros ('ignore'). */
  handleUnknown?: 'error' | 'ignore';
}

/** The JSON form of a {@link OneHotEncoder}; NaN categories are written as null. */
export interface OneHotEncoderJSON {
  /** Type tag, always 'OneHotEncoder'. */
  type: 'OneHotEncoder';
  /** What transform does with an unseen category. */
  handleUnknown: 'error' | 'ignore';
  /** The sorted categories of each input column (a NaN category as null), or null before fit. */
  categories: ((number | null)[] | string[])[] | null;
}

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

  constructor(options: OneHotEncoderOptions = {}) {
    const o = optionsOf(options, 'OneHotEncoder', ['handleUnknown']);
    this.handleUnknown = oneOf(o.handleUnknown, ['error', 'ignore'] as const, 'error', 'OneHotEncoder', 'handleUnknown');
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
          if (this.handleUnknown === 'error') throw new ArgumentError(`${op}: unknown category ${fmtCat(v)} in column ${f} (row ${n}); known: ${fmtList(this.cats[f])}; pass { handleUnknown: 'ignore' } to encode it as zeros`);
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

  /** A JSON-safe snapshot. */
  toJSON(): OneHotEncoderJSON {
    return {
      type: 'OneHotEncoder', handleUnknown: this.handleUnknown,
      categories: this.cats && this.cats.map((c) => (c as Category[]).map((v) => (typeof v === 'number' && Number.isNaN(v) ? null : v)) as (number | null)[] | string[]),
    };
  }

  /**
   * Rebuilds an encoder from {@link toJSON} output.
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): OneHotEncoder {
    const op = 'OneHotEncoder.fromJSON';
    const o = jsonObject(json, 'OneHotEncoder');
    const enc = wrapFormat(op, () => new OneHotEncoder({ handleUnknown: o.handleUnknown as 'error' }));
    if (o.categories === null || o.categories === undefined) return enc;
    if (!Array.isArray(o.categories) || o.categories.length === 0) throw new FormatError(`${op}: categories must be a non-empty array of arrays or null`);
    enc.setCategories(o.categories.map((c: unknown, f: number) => {
      if (!Array.isArray(c) || c.length === 0) throw new FormatError(`${op}: categories[${f}] must be a non-empty array`);
      if (c.every((v) => typeof v === 'string')) return c as string[];
      if (c.every((v) => typeof v === 'number' || v === null)) return c.map((v) => (v === null ? NaN : Math.fround(v as number)));
      throw new FormatError(`${op}: categories[${f}] must hold only strings or only numbers (null for NaN)`);
    }));
    return enc;
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

/** The JSON form of a {@link LabelEncoder}. */
export interface LabelEncoderJSON {
  /** Type tag, always 'LabelEncoder'. */
  type: 'LabelEncoder';
  /** The sorted distinct labels seen in fit, or null before fit. */
  classes: Category[] | null;
}

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
      if (k === undefined) throw new ArgumentError(`${op}: y[${i}] = ${fmtCat(labels[i])} was not seen in fit; classes: ${fmtList(this.cls)}`);
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

  /** A JSON-safe snapshot. */
  toJSON(): LabelEncoderJSON {
    return { type: 'LabelEncoder', classes: this.cls && this.cls.slice() };
  }

  /**
   * Rebuilds an encoder from {@link toJSON} output.
   * @throws FormatError on a malformed object.
   */
  static fromJSON<L extends Category = Category>(json: unknown): LabelEncoder<L> {
    const op = 'LabelEncoder.fromJSON';
    const o = jsonObject(json, 'LabelEncoder');
    const le = new LabelEncoder<L>();
    if (o.classes === null || o.classes === undefined) return le;
    const c = o.classes;
    if (!Array.isArray(c) || c.length === 0 || !(c.every((v) => typeof v === 'string') || c.every((v) => typeof v === 'number' && !Number.isNaN(v)))) {
      throw new FormatError(`${op}: classes must be a non-empty array of strings or of numbers, or null`);
    }
    le.setClasses(c.map((v) => (typeof v === 'number' ? Math.fround(v) : v)) as L[]);
    return le;
  }
}
