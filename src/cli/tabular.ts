import { LabelEncoder, OneHotEncoder, SimpleImputer, StandardScaler, type Category, type CsvTable } from '../data/index';
import { DataLoader, TensorDataset } from '../data/index';
import { Linear, Module, crossEntropy } from '../nn/index';
import { Adam } from '../optim/index';
import { fit, predict, type Callback, type History } from '../train/index';
import { MLP } from '../models/index';
import { modelClasses } from '../models/index';
import { ArgumentError, FormatError, Generator, Tensor, TensorkitError, concat, softmax } from '../tensor/index';
import type { Savable, SavableClass, SavableConfig } from '../io/index';
import { arrayOf, checkArg, oneOf, parseOptions, posInt, str, type Check } from '../tensor/options';

/** The classifier inside a {@link TabularModel}: softmax regression or a multilayer perceptron. */
export type TabularKind = 'logistic' | 'mlp';

/** Options of a {@link TabularModel} (also what its `config().options` holds). */
export interface TabularModelOptions {
  /** The target column's name. */
  target: string;
  /** Numeric feature columns (mean-imputed, then standardized). */
  numeric: string[];
  /** Categorical (string) feature columns (one-hot encoded; unseen categories encode as zeros). */
  categorical: string[];
  /** The classifier: `'logistic'` (one Linear layer, softmax) or `'mlp'` (default hidden sizes [64]). */
  model: TabularKind;
  /** Hidden layer sizes of the MLP (default [64]; ignored for logistic). */
  hiddenSizes?: number[];
  /** The fitted parts, in `config().children` order (given by `loadModel`). */
  children?: unknown[];
}

/** Options of {@link TabularModel.fit}. */
export interface TabularFitOptions {
  /** Passes over the training rows. */
  epochs: number;
  /** Adam's learning rate (default 0.01). */
  lr?: number;
  /** Rows per step (default 32). */
  batchSize?: number;
  /** Seeds the weights and the shuffling. */
  rng: Generator;
  /** Progress output (train's ProgressBar, for instance). */
  callbacks?: Callback[];
}

/** A rebuilt part from loadModel: checked by role in the constructor. */
const part: Check<unknown> = (v) => v;

const SPEC = {
  target: str, numeric: arrayOf(str), categorical: arrayOf(str), model: oneOf(['logistic', 'mlp'] as const),
  hiddenSizes: arrayOf(posInt, { min: 1 }), children: arrayOf(part),
};

/**
 * A classifier over the columns of a CSV table, with the preprocessing that predict needs saved in
 * the same file: a SimpleImputer (mean) and a StandardScaler for the numeric columns, a
 * OneHotEncoder for the string columns, a LabelEncoder for the target's classes, and the network
 * (a Linear layer or the MLP family) trained with `fit` on cross-entropy. Savable: `config()`
 * lists the fitted parts as children, so `loadModel(bytes, { registry: TABULAR_REGISTRY })`
 * rebuilds it. What `tensorkit train` saves and `tensorkit predict` / `eval` load.
 */
export class TabularModel {
  readonly target: string;
  readonly numeric: string[];
  readonly categorical: string[];
  readonly model: TabularKind;
  readonly hiddenSizes: number[];
  imputer: SimpleImputer | null = null;
  scaler: StandardScaler | null = null;
  encoder: OneHotEncoder | null = null;
  labels: LabelEncoder | null = null;
  net: Module | null = null;

  constructor(options: TabularModelOptions) {
    const op = 'TabularModel';
    const o = parseOptions(op, options, SPEC);
    this.target = checkArg(op, 'target', o.target, str);
    this.numeric = checkArg(op, 'numeric', o.numeric, arrayOf(str));
    this.categorical = checkArg(op, 'categorical', o.categorical, arrayOf(str));
    this.model = checkArg(op, 'model', o.model, oneOf(['logistic', 'mlp'] as const));
    this.hiddenSizes = o.hiddenSizes ?? [64];
    if (this.numeric.length + this.categorical.length === 0) throw new ArgumentError(`${op}: there must be at least one feature column besides the target ${JSON.stringify(this.target)}`);
    if (o.children !== undefined) {
      const kids = [...o.children] as unknown[];
      const take = <T>(C: abstract new (...a: never[]) => T, what: string): T => {
        const k = kids.shift();
        if (!(k instanceof C)) throw new FormatError(`${op}: the saved parts do not match the options (expected a ${what})`, 'BAD_CONFIG');
        return k;
      };
      if (this.numeric.length > 0) {
        this.imputer = take(SimpleImputer, 'SimpleImputer');
        this.scaler = take(StandardScaler, 'StandardScaler');
      }
      if (this.categorical.length > 0) this.encoder = take(OneHotEncoder, 'OneHotEncoder');
      this.labels = take(LabelEncoder, 'LabelEncoder');
      this.net = take(Module, 'Module');
      if (kids.length > 0) throw new FormatError(`${op}: ${kids.length} saved parts too many`, 'BAD_CONFIG');
    }
  }

  /** The named parts in `config().children` order. */
  private parts(): [string, Savable][] {
    if (this.net === null || this.labels === null) throw new TensorkitError('NOT_FITTED', 'TabularModel: not fitted; call fit first');
    const out: [string, never][] = [];
    if (this.imputer !== null) out.push(['imputer', this.imputer as never], ['scaler', this.scaler as never]);
    if (this.encoder !== null) out.push(['encoder', this.encoder as never]);
    out.push(['labels', this.labels as never], ['net', this.net as never]);
    return out;
  }

  /** The target's classes, in code order. */
  get classes(): Category[] {
    if (this.labels === null || this.labels.classes === null) throw new TensorkitError('NOT_FITTED', 'TabularModel: not fitted; call fit first');
    return this.labels.classes;
  }

  /** `{ type: 'TabularModel', options, children }` with the fitted parts as children. */
  config(): SavableConfig {
    const children = this.parts().map(([, p]) => p.config() as SavableConfig);
    const options: Record<string, unknown> = { target: this.target, numeric: this.numeric, categorical: this.categorical, model: this.model };
    if (this.model === 'mlp') options.hiddenSizes = this.hiddenSizes;
    return { type: 'TabularModel', options, children };
  }

  /** Every part's state under its role: `imputer.*`, `scaler.*`, `encoder.*`, `labels.*`, `net.*`. */
  stateDict(): Record<string, Tensor> {
    const sd: Record<string, Tensor> = {};
    for (const [name, p] of this.parts()) for (const [k, v] of Object.entries(p.stateDict())) sd[`${name}.${k}`] = v as Tensor;
    return sd;
  }

  /** Restores the parts from {@link TabularModel.stateDict}. */
  loadStateDict(sd: Record<string, Tensor>, options: { strict?: boolean } = {}): { missingKeys: string[]; unexpectedKeys: string[] } {
    const parts = this.parts();
    const unexpected = Object.keys(sd).filter((k) => !parts.some(([n]) => k.startsWith(`${n}.`)));
    if (unexpected.length > 0 && options.strict !== false) throw new FormatError(`TabularModel: unexpected state ${unexpected.join(', ')}`, 'STATE_DICT_MISMATCH');
    for (const [name, p] of parts) {
      const own: Record<string, Tensor> = {};
      for (const k of Object.keys(sd)) if (k.startsWith(`${name}.`)) own[k.slice(name.length + 1)] = sd[k];
      p.loadStateDict(own as never, options);
    }
    return { missingKeys: [], unexpectedKeys: options.strict === false ? unexpected : [] };
  }

  /**
   * The feature matrix of a table: the numeric columns imputed and scaled, then the one-hot
   * string columns. With `fitting`, the preprocessing is fitted on this table first.
   * @throws ArgumentError naming a missing column or a column of the wrong kind.
   */
  features(table: CsvTable, fitting = false): Tensor {
    for (const c of this.numeric) {
      if (!Object.hasOwn(table.data, c)) throw new ArgumentError(`the CSV has no column ${JSON.stringify(c)} (the model's features: ${[...this.numeric, ...this.categorical].join(', ')})`);
      if (!table.numericColumns.includes(c)) throw new ArgumentError(`column ${JSON.stringify(c)} must be numeric (the model was trained on numbers there)`);
    }
    for (const c of this.categorical) {
      if (!Object.hasOwn(table.data, c)) throw new ArgumentError(`the CSV has no column ${JSON.stringify(c)} (the model's features: ${[...this.numeric, ...this.categorical].join(', ')})`);
    }
    const blocks: Tensor[] = [];
    if (this.numeric.length > 0) {
      if (fitting) {
        this.imputer = new SimpleImputer({ strategy: 'mean' });
        this.scaler = new StandardScaler();
      }
      const raw = table.toTensor(this.numeric);
      const filled = fitting ? this.imputer!.fitTransform(raw) : this.imputer!.transform(raw);
      blocks.push(fitting ? this.scaler!.fitTransform(filled) : this.scaler!.transform(filled));
    }
    if (this.categorical.length > 0) {
      const cols = this.categorical.map((c) => {
        const v = table.data[c];
        return Array.isArray(v) ? v : Array.from(v, (n) => (Number.isNaN(n) ? '' : String(n)));
      });
      const rows = Array.from({ length: table.rows }, (_, r) => cols.map((col) => col[r]));
      if (fitting) this.encoder = new OneHotEncoder({ handleUnknown: 'ignore' });
      blocks.push(fitting ? this.encoder!.fitTransform(rows) : this.encoder!.transform(rows));
    }
    return blocks.length === 1 ? blocks[0] : concat(blocks, 1);
  }

  /**
   * The target column (or `column`) of a table as class codes (fitting the LabelEncoder with `fitting`).
   * @throws ArgumentError for a missing target column, missing target values, or (when not
   * fitting) a class the model has never seen.
   */
  targets(table: CsvTable, fitting = false, column = this.target): Tensor {
    if (!Object.hasOwn(table.data, column)) throw new ArgumentError(`the CSV has no column ${JSON.stringify(column)} (its columns: ${table.columns.join(', ')})`);
    const y = table.data[column];
    const missing = Array.isArray(y) ? y.filter((v) => v === '').length : y.filter((v) => Number.isNaN(v)).length;
    if (missing > 0) throw new ArgumentError(`the target column ${JSON.stringify(column)} has ${missing} missing values`);
    if (fitting) {
      this.labels = new LabelEncoder().fit(y);
      if (this.labels.classes!.length < 2) throw new ArgumentError(`the target column ${JSON.stringify(this.target)} has one class only; a classifier needs at least two`);
    }
    return this.labels!.transform(y);
  }

  /**
   * Fits the preprocessing on `x`'s table, builds the network and trains it with Adam on
   * cross-entropy (`fit` from tensorkit/train); `validation` (a [features, codes] pair) is scored
   * after every epoch.
   */
  async fit(x: Tensor, y: Tensor, options: TabularFitOptions, validation?: [Tensor, Tensor]): Promise<History> {
    const K = this.classes.length, C = x.shape[1];
    const rng = options.rng;
    this.net = this.model === 'logistic'
      ? new Linear(C, K, { rng })
      : new MLP({ inFeatures: C, outFeatures: K, hiddenSizes: this.hiddenSizes, rng });
    const net = this.net;
    const bs = options.batchSize ?? 32;
    const history = await fit(net, {
      data: new DataLoader(new TensorDataset(x, y), { batchSize: bs, shuffle: true, rng }),
      validation: validation === undefined ? undefined : new DataLoader(new TensorDataset(validation[0], validation[1]), { batchSize: 256 }),
      loss: crossEntropy,
      optimizer: new Adam(net.parameters(), { lr: options.lr ?? 0.01 }),
      epochs: options.epochs,
      callbacks: options.callbacks ?? [],
    });
    net.eval();
    return history;
  }

  /** Class probabilities of a feature matrix, [rows, classes]. */
  predictProba(x: Tensor): Tensor {
    if (this.net === null) throw new TensorkitError('NOT_FITTED', 'TabularModel: not fitted; call fit first');
    this.net.eval();
    return softmax(predict(this.net, x), 1);
  }
}

/** The classes `loadModel` needs to rebuild a {@link TabularModel} file. */
export const TABULAR_REGISTRY = { ...modelClasses, TabularModel } as Record<string, SavableClass>;
