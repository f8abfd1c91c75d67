// Model inspection with scikit-learn's semantics (sklearn.inspection 1.2): permutation importance
// and brute-force partial dependence, for every predictor (a Module or a function).
import { ArgumentError, Generator, Tensor, defaultGenerator } from '../tensor/index';
import { arrayOf, bool, checkArg, func, int, num, pairOf, parseOptions, posInt, rng as rngCheck } from '../tensor/options';
import { callPredictor, checkFinite, matrixArg, predictRows, type Predictor } from './predictor';

/** Options of {@link permutationImportance}. @category Explain */
export interface PermutationImportanceOptions {
  /** Score of predictions, `(yTrue, yPred) → number` (e.g. `accuracy`, `r2`). Required. */
  metric: (yTrue: Tensor, yPred: Tensor) => number;
  /** True (default) when a larger metric is better; false for a loss, which is then negated as scikit-learn's `neg_*` scorers are. */
  greaterIsBetter?: boolean;
  /** Shuffles per feature (default 5, as scikit-learn). */
  nRepeats?: number;
  /** Generator for the shuffles (default: the global one). */
  rng?: Generator;
}

/** What {@link permutationImportance} returns (scikit-learn's Bunch, camelCase). @category Explain */
export interface PermutationImportance {
  /** Mean over repeats of the drop in score, per feature. */
  importancesMean: number[];
  /** Standard deviation over repeats (population, ddof 0, as NumPy's default), per feature. */
  importancesStd: number[];
  /** Every repeat's drop in score: `importances[feature][repeat]`. */
  importances: number[][];
  /** The score on the unshuffled data. */
  baselineScore: number;
}

const PI_SPEC = { metric: func, greaterIsBetter: bool, nRepeats: posInt, rng: rngCheck };

/**
 * Permutation feature importance (Breiman 2001), as `sklearn.inspection.permutation_importance`:
 * the baseline score of the model on (X, y), then for each feature and repeat, the score with that
 * column shuffled; the importance is the baseline minus the shuffled score (for a loss with
 * `greaterIsBetter: false`, the shuffled loss minus the baseline loss). The model is called once
 * per feature and repeat on all of X.
 * @example
 * // const r = permutationImportance((x) => reg.predict(x), xTest, yTest, { metric: r2, nRepeats: 10, rng: new Generator(0) });
 * // r.importancesMean[j]: how much R² drops without feature j
 * @throws ArgumentError for a missing metric, X not [N, p], y not N long, NaN in X.
 * @category Explain
 */
export function permutationImportance(model: Predictor, X: Tensor | number[][], y: Tensor | ArrayLike<number>, options: PermutationImportanceOptions): PermutationImportance {
  const op = 'permutationImportance';
  const o = parseOptions(op, options, PI_SPEC);
  if (o.metric === undefined) throw new ArgumentError(`${op}: options.metric is required (a function (yTrue, yPred) => number, e.g. accuracy or r2)`);
  const x = matrixArg(op, 'X', X);
  checkFinite(op, 'X', x);
  const [n, p] = x.shape;
  const yt = y instanceof Tensor ? y : new Tensor(Float32Array.from(y), [y.length]);
  if (yt.shape[0] !== n) throw new ArgumentError(`${op}: y has ${yt.shape[0]} samples but X [${n}, ${p}] has ${n}`);
  const metric = o.metric as PermutationImportanceOptions['metric'];
  const sign = o.greaterIsBetter === false ? -1 : 1;
  const nRepeats = o.nRepeats ?? 5;
  const g = o.rng ?? defaultGenerator();
  const score = (xs: Tensor) => sign * metric(yt, callPredictor(op, model, xs));
  const baseline = score(x);
  const importances: number[][] = [];
  const work = new Float32Array(x.data.subarray(0, x.size));
  for (let j = 0; j < p; j++) {
    const col = Float32Array.from({ length: n }, (_, i) => x.data[i * p + j]);
    const drops: number[] = [];
    for (let r = 0; r < nRepeats; r++) {
      const perm = g.permutation(n);
      for (let i = 0; i < n; i++) work[i * p + j] = col[perm[i]];
      drops.push(baseline - score(new Tensor(work.slice(), [n, p])));
    }
    for (let i = 0; i < n; i++) work[i * p + j] = col[i];
    importances.push(drops);
  }
  const mean = importances.map((d) => d.reduce((s, v) => s + v, 0) / d.length);
  const std = importances.map((d, j) => Math.sqrt(d.reduce((s, v) => s + (v - mean[j]) ** 2, 0) / d.length));
  return { importancesMean: mean, importancesStd: std, importances, baselineScore: sign * baseline };
}

/** Options of {@link partialDependence}. @category Explain */
export interface PartialDependenceOptions {
  /** Grid points per feature (default 100). */
  gridResolution?: number;
  /** The grid's lower and upper percentiles (default [0.05, 0.95]). */
  percentiles?: [number, number];
}

/** What {@link partialDependence} returns. @category Explain */
export interface PartialDependence {
  /** The grid of each feature asked for. */
  values: number[][];
  /** The grid's shape: `values.map((v) => v.length)`. */
  gridShape: number[];
  /**
   * The average output over X at each grid point, per output: `average[k]` is row-major over the
   * grid (for one feature, `average[k][i]` is at `values[0][i]`; for a pair, `average[k][i·n₂ + j]`
   * is at `(values[0][i], values[1][j])`). scikit-learn's array has shape (K, n₁, n₂, …).
   */
  average: number[][];
}

/**
 * The grid of one feature, as scikit-learn's `_grid_from_X`: its unique values when there are
 * fewer than `gridResolution` of them, else `gridResolution` evenly spaced points between the
 * `percentiles` of the column (SciPy's `mquantiles` with alphap = betap = 0.4).
 * @internal
 */
export function featureGrid(column: Float64Array, gridResolution: number, percentiles: [number, number], op: string, feature: number): number[] {
  const sorted = Float64Array.from(column).sort();
  const uniq: number[] = [];
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) uniq.push(sorted[i]);
  if (uniq.length < gridResolution) return uniq;
  const [lo, hi] = percentiles.map((q) => mquantile(sorted, q));
  if (Math.abs(hi - lo) <= 1e-8 + 1e-5 * Math.abs(lo)) {
    throw new ArgumentError(`${op}: the percentiles of feature ${feature} are too close to each other (${lo} and ${hi}); widen percentiles`);
  }
  return Array.from({ length: gridResolution }, (_, i) => (i === gridResolution - 1 ? hi : lo + i * ((hi - lo) / (gridResolution - 1))));
}

/** SciPy's mquantiles(x, prob=[q], alphap=0.4, betap=0.4) on sorted data. */
function mquantile(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const m = 0.4 + q * (1 - 0.4 - 0.4);
  const aleph = n * q + m;
  const k = Math.floor(Math.min(Math.max(aleph, 1), n - 1));
  const gamma = Math.min(Math.max(aleph - k, 0), 1);
  return (1 - gamma) * sorted[k - 1] + gamma * sorted[k];
}

const PD_SPEC = { gridResolution: int({ min: 2 }), percentiles: pairOf(num({ min: 0, max: 1 })) };

/**
 * Partial dependence (Friedman 2001) by brute force, as `sklearn.inspection.partial_dependence`
 * with `method='brute'`, `kind='average'`: for each point of the features' grid, every row of X gets
 * the feature(s) set to that point and the model's outputs are averaged. One feature gives a curve,
 * a pair (`features: [i, j]`) a surface over the Cartesian grid. For a binary classifier's
 * probabilities, scikit-learn keeps only the positive class: that is `average[1]` here.
 * @example
 * // const pd = partialDependence((x) => clf.predictProba(x), xTrain, [0], { gridResolution: 20 });
 * // pd.values[0] (the grid) against pd.average[k] (the mean probability of class k)
 * @throws ArgumentError for X not [N, p], a feature index out of range or repeated, close percentiles.
 * @category Explain
 */
export function partialDependence(model: Predictor, X: Tensor | number[][], features: number | number[], options: PartialDependenceOptions = {}): PartialDependence {
  const op = 'partialDependence';
  const o = parseOptions(op, options, PD_SPEC);
  const x = matrixArg(op, 'X', X);
  checkFinite(op, 'X', x);
  const [n, p] = x.shape;
  const feats = typeof features === 'number' ? [checkArg(op, 'features', features, int({ min: 0, max: p - 1 }))] : checkArg(op, 'features', features, arrayOf(int({ min: 0, max: p - 1 }), { min: 1 }));
  if (new Set(feats).size !== feats.length) throw new ArgumentError(`${op}: features must not repeat, got [${feats.join(', ')}]`);
  const percentiles = o.percentiles ?? [0.05, 0.95];
  if (!(percentiles[0] < percentiles[1])) throw new ArgumentError(`${op}: percentiles must be increasing, got [${percentiles.join(', ')}]`);
  const res = o.gridResolution ?? 100;
  const values = feats.map((f) => featureGrid(Float64Array.from({ length: n }, (_, i) => x.data[i * p + f]), res, percentiles, op, f));
  const gridShape = values.map((v) => v.length);
  const points = gridShape.reduce((a, b) => a * b, 1);
  let average: number[][] | null = null;
  const work = x.data.slice(0, x.size);
  const idx = new Array<number>(feats.length).fill(0);
  for (let g = 0; g < points; g++) {
    // Grid point g, row-major over the features' grids.
    let rem = g;
    for (let d = feats.length - 1; d >= 0; d--) {
      idx[d] = rem % gridShape[d];
      rem = Math.floor(rem / gridShape[d]);
    }
    for (let i = 0; i < n; i++) for (let d = 0; d < feats.length; d++) work[i * p + feats[d]] = values[d][idx[d]];
    const out = predictRows(op, model, new Tensor(work.slice(), [n, p]));
    if (average === null) average = Array.from({ length: out.k }, () => new Array<number>(points).fill(0));
    for (let k = 0; k < out.k; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += out.values[i * out.k + k];
      average[k][g] = s / n;
    }
  }
  return { values, gridShape, average: average ?? [] };
}

