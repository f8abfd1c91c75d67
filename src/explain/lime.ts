// LIME for tabular data (Ribeiro et al. 2016), as lime's LimeTabularExplainer with its defaults:
// quartile discretization of the training data, perturbations drawn bin by bin from the training
// frequencies, an exponential kernel of width 0.75·√p on the distance in the binary space, and a
// weighted ridge regression (α = 1) on the binary features.
import { ArgumentError, Generator, Tensor, defaultGenerator } from '../tensor/index';
import { checkArg, int, nonNegInt, oneOf, parseOptions, positive, rng as rngCheck } from '../tensor/options';
import { percentileSorted } from '../data/util';
import { checkFinite, matrixArg, predictRows, solveSymmetric, type Predictor } from './predictor';

/** Options of {@link lime}. @category Explain */
export interface LimeOptions {
  /** The training data the perturbations are drawn from (required), [N, p]. */
  trainingData: Tensor | number[][];
  /** Perturbed samples (default 5000, as lime). */
  numSamples?: number;
  /** Kernel width (default 0.75·√p, as lime). */
  kernelWidth?: number;
  /** Features to keep in the explanation (default 10, as lime; all when p ≤ numFeatures). */
  numFeatures?: number;
  /** How they are chosen (default `'auto'`: forward selection when numFeatures ≤ 6, else highest weights, as lime). */
  featureSelection?: 'auto' | 'forward_selection' | 'highest_weights' | 'none';
  /** Which output to explain (default 1 for two outputs, as lime's label 1; 0 for one output; required for more). */
  label?: number;
  /** Discretization of continuous features (only `'quartile'`, lime's default). */
  discretize?: 'quartile';
  /** Generator for the perturbations (default: the global one). */
  rng?: Generator;
}

/** What {@link lime} returns. @category Explain */
export interface LimeExplanation {
  /** The chosen features, largest |weight| first: the feature, its condition on x (e.g. `x2 > 0.41`), and its weight. */
  features: {
    /** The feature's column index. */
    feature: number;
    /** The bin x falls in, e.g. `x2 > 0.41` or `-0.3 < x0 <= 0.12`. */
    condition: string;
    /** The local model's weight of "in that bin". */
    weight: number;
  }[];
  /** The local model's intercept. */
  intercept: number;
  /** R² of the local model on the perturbed samples, weighted by the kernel (lime's `score`). */
  score: number;
  /** The local model's prediction at x (lime's `local_pred`). */
  localPrediction: number;
  /** The model's output for x. */
  modelPrediction: number;
}

/** Weighted ridge (α, fitted intercept) on columns `cols` of Z; returns coefficients, intercept and weighted R². */
function ridge(Z: Uint8Array, p: number, cols: number[], y: Float64Array, w: Float64Array, alpha: number): { coef: number[]; intercept: number; score: number } {
  const n = y.length, m = cols.length;
  let sw = 0, ym = 0;
  for (let i = 0; i < n; i++) { sw += w[i]; ym += w[i] * y[i]; }
  ym /= sw;
  const zm = cols.map((c) => { let s = 0; for (let i = 0; i < n; i++) s += w[i] * Z[i * p + c]; return s / sw; });
  const A = new Float64Array(m * m), b = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < m; a++) {
      const za = Z[i * p + cols[a]] - zm[a];
      b[a] += w[i] * za * (y[i] - ym);
      for (let d = a; d < m; d++) A[a * m + d] += w[i] * za * (Z[i * p + cols[d]] - zm[d]);
    }
  }
  for (let a = 0; a < m; a++) { A[a * m + a] += alpha; for (let d = 0; d < a; d++) A[a * m + d] = A[d * m + a]; }
  const coef = Array.from(solveSymmetric(A, b, m));
  const intercept = ym - coef.reduce((s, c, a) => s + c * zm[a], 0);
  let ssr = 0, sst = 0;
  for (let i = 0; i < n; i++) {
    let pred = intercept;
    for (let a = 0; a < m; a++) pred += coef[a] * Z[i * p + cols[a]];
    ssr += w[i] * (y[i] - pred) ** 2;
    sst += w[i] * (y[i] - ym) ** 2;
  }
  return { coef, intercept, score: sst === 0 ? 1 : 1 - ssr / sst };
}

/** A draw from N(mean, std) truncated to [lo, hi] by rejection (uniform on the interval after 100 misses). */
function truncNormal(g: Generator, mean: number, std: number, lo: number, hi: number): number {
  if (!(std > 1e-10) || !(hi > lo)) return Math.min(Math.max(mean, lo), hi);
  for (let t = 0; t < 100; t++) {
    const v = mean + std * g.normal();
    if (v >= lo && v <= hi) return v;
  }
  return lo + (hi - lo) * g.random();
}

const SPEC = {
  trainingData: (v: unknown, name: string, op: string) => matrixArg(op, name, v),
  numSamples: int({ min: 2 }), kernelWidth: positive, numFeatures: int({ min: 1 }),
  featureSelection: oneOf(['auto', 'forward_selection', 'highest_weights', 'none'] as const), label: nonNegInt,
  discretize: oneOf(['quartile'] as const), rng: rngCheck,
};

/**
 * LIME for one tabular sample, as `lime.lime_tabular.LimeTabularExplainer(training_data,
 * discretize_continuous=True, discretizer='quartile').explain_instance(x, fn)` with its defaults:
 * each feature is cut at the training data's quartiles; `numSamples` perturbations draw each
 * feature's bin from its training frequencies and a value inside the bin from a normal truncated to
 * it (the bin's training mean and std); a perturbation's binary features say "same bin as x"; its
 * weight is √exp(−d²/width²) for its Euclidean distance d to x in that binary space; the local
 * model is a ridge regression (α = 1) of the model's output on the binary features, with lime's
 * feature selection (forward selection by least squares, α = 0 as lime but 1e-8 so a singular
 * system still solves; highest weights by a ridge with α = 0.01). Differences from lime, by design: a `Generator` instead of NumPy's, so draws
 * differ (the method and its defaults do not).
 * @example
 * // const e = lime((x) => clf.predictProba(x), xTest.slice(0, 1), { trainingData: xTrain, rng: new Generator(0) });
 * // e.features: [{ feature: 2, condition: 'x2 > 0.41', weight: 0.31 }, …]; e.score: the local R²
 * @throws ArgumentError without trainingData, for x not one row of its width, NaN inputs, an unknown label.
 * @category Explain
 */
export function lime(model: Predictor, x: Tensor | number[], options: LimeOptions): LimeExplanation {
  const op = 'lime';
  const o = parseOptions(op, options, SPEC);
  if (o.trainingData === undefined) throw new ArgumentError(`${op}: options.trainingData is required (the [N, p] data the perturbations are drawn from)`);
  const train = o.trainingData;
  checkFinite(op, 'trainingData', train);
  const [N, p] = train.shape;
  const row = checkArg(op, 'x', x, (v) => {
    const r = v instanceof Tensor ? v.data.slice(0, v.size) : Array.isArray(v) ? Float32Array.from(v as number[]) : null;
    if (r === null || r.length !== p || (v instanceof Tensor && v.shape.length === 2 && v.shape[0] !== 1)) {
      throw new ArgumentError(`${op}: x must be one sample of ${p} features like trainingData [${N}, ${p}]`);
    }
    return r;
  });
  for (let j = 0; j < p; j++) if (!Number.isFinite(row[j])) throw new ArgumentError(`${op}: x[${j}] is ${row[j]}`);
  const g = o.rng ?? defaultGenerator();
  const numSamples = o.numSamples ?? 5000;
  const width = o.kernelWidth ?? 0.75 * Math.sqrt(p);

  // Quartile bins per feature, with each bin's training frequency, mean, std, min and max.
  const bins = [] as { cuts: number[]; freq: number[]; mean: number[]; std: number[]; min: number[]; max: number[] }[];
  const binOf = (cuts: number[], v: number) => { let b = 0; while (b < cuts.length && v > cuts[b]) b++; return b; };
  for (let j = 0; j < p; j++) {
    const col = Float64Array.from({ length: N }, (_, i) => train.data[i * p + j]);
    const sorted = Float64Array.from(col).sort();
    const cuts = [...new Set([25, 50, 75].map((q) => percentileSorted(sorted, q)))];
    const nb = cuts.length + 1;
    const cnt = new Array<number>(nb).fill(0), sum = new Array<number>(nb).fill(0), sq = new Array<number>(nb).fill(0);
    for (const v of col) { const b = binOf(cuts, v); cnt[b]++; sum[b] += v; sq[b] += v * v; }
    const mean = cnt.map((c, b) => (c === 0 ? 0 : sum[b] / c));
    const std = cnt.map((c, b) => (c === 0 ? 0 : Math.sqrt(Math.max(sq[b] / c - mean[b] ** 2, 0))) + 1e-11);
    bins.push({ cuts, freq: cnt.map((c) => c / N), mean, std, min: [sorted[0], ...cuts], max: [...cuts, sorted[N - 1]] });
  }
  const xBin = bins.map((b, j) => binOf(b.cuts, row[j]));

  // Perturbations: row 0 is x itself.
  const Z = new Uint8Array(numSamples * p);
  const inv = new Float32Array(numSamples * p);
  for (let j = 0; j < p; j++) { Z[j] = 1; inv[j] = row[j]; }
  for (let s = 1; s < numSamples; s++) {
    for (let j = 0; j < p; j++) {
      const b = bins[j];
      let u = g.random(), k = 0;
      while (k < b.freq.length - 1 && u >= b.freq[k]) { u -= b.freq[k]; k++; }
      Z[s * p + j] = k === xBin[j] ? 1 : 0;
      inv[s * p + j] = truncNormal(g, b.mean[k], b.std[k], b.min[k], b.max[k]);
    }
  }
  const out = predictRows(op, model, new Tensor(inv, [numSamples, p]));
  const label = o.label ?? (out.k === 2 ? 1 : 0);
  if (out.k > 2 && o.label === undefined) throw new ArgumentError(`${op}: the model has ${out.k} outputs; say which to explain with label`);
  if (label >= out.k) throw new ArgumentError(`${op}: label ${label} is out of range for ${out.k} outputs`);
  const y = Float64Array.from({ length: numSamples }, (_, s) => out.values[s * out.k + label]);
  const w = new Float64Array(numSamples);
  for (let s = 0; s < numSamples; s++) {
    let d2 = 0;
    for (let j = 0; j < p; j++) d2 += (Z[s * p + j] - 1) ** 2;
    w[s] = Math.sqrt(Math.exp(-d2 / (width * width)));
  }

  // Feature selection as lime's explain_instance_with_data.
  const k = Math.min(o.numFeatures ?? 10, p);
  const all = Array.from({ length: p }, (_, j) => j);
  let method = o.featureSelection ?? 'auto';
  if (method === 'auto') method = k <= 6 ? 'forward_selection' : 'highest_weights';
  let chosen = all;
  if (method === 'forward_selection' && k < p) {
    chosen = [];
    for (let t = 0; t < k; t++) {
      let best = -Infinity, bestJ = -1;
      for (const j of all) {
        if (chosen.includes(j)) continue;
        const sc = ridge(Z, p, [...chosen, j], y, w, 1e-8).score;
        if (sc > best) { best = sc; bestJ = j; }
      }
      chosen.push(bestJ);
    }
  } else if (method === 'highest_weights' && k < p) {
    const full = ridge(Z, p, all, y, w, 0.01);
    chosen = all.slice().sort((a, b) => Math.abs(full.coef[b]) - Math.abs(full.coef[a])).slice(0, k);
  }
  const fit = ridge(Z, p, chosen, y, w, 1);
  const features = chosen.map((j, a) => {
    const b = bins[j], kb = xBin[j];
    const lo = kb === 0 ? null : b.cuts[kb - 1], hi = kb === b.cuts.length ? null : b.cuts[kb];
    const f = (v: number) => Number(v.toPrecision(3)).toString();
    const condition = lo === null ? `x${j} <= ${f(hi!)}` : hi === null ? `x${j} > ${f(lo)}` : `${f(lo)} < x${j} <= ${f(hi)}`;
    return { feature: j, condition, weight: fit.coef[a] };
  }).sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
  const localPrediction = fit.intercept + fit.coef.reduce((s, c) => s + c, 0);
  return { features, intercept: fit.intercept, score: fit.score, localPrediction, modelPrediction: y[0] };
}
