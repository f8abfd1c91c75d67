import { ArgumentError } from '../tensor/errors';
import { Generator, defaultGenerator } from '../tensor/random';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { bool, checkArg, int, num, parseOptions, rng as rngCheck, type Check } from '../tensor/options';

export { loadIris, type IrisData } from './iris';

// Conventions of every generator here: `{ rng }` defaults to the global generator, options are
// validated (ArgumentError naming the function and the option), and labels `y` are float32 tensors
// holding exact integers (class indices), as everywhere in tensorkit.

/** Options every synthetic generator accepts. */
export interface SyntheticOptions {
  /** The generator to draw from (default: the global one, see `manualSeed`). */
  rng?: Generator;
}

/** Features and labels of a synthetic classification or regression problem. */
export interface SyntheticData {
  /** Features, [N, F]. */
  x: Tensor;
  /** Targets, [N] (or [N, T] for multi-target regression): class indices stored as exact float32 integers (tensorkit's label convention, ready for `crossEntropy`), or real values. */
  y: Tensor;
}

// Options: parseOptions (tensor/options) refuses a non-object and unknown keys; each value is then
// checked where it is read, with checkArg and the same module's checks.
/** Checked where the value is read (so a default can depend on other options). */
const later: Check<unknown> = (v) => v;


/** Counts per group when `n` items are split as evenly as possible over `k` groups, the first `n mod k` getting one more (scikit-learn's rule). */
function evenSplit(n: number, k: number): number[] {
  const out = new Array<number>(k);
  for (let i = 0; i < k; i++) out[i] = Math.floor(n / k) + (i < n % k ? 1 : 0);
  return out;
}

/** Rows of x [N, F] and y [N, Y] reordered by one random permutation (new arrays). */
function shuffleRows(x: Float32Array, y: Float32Array, N: number, F: number, Y: number, rng: Generator): [Float32Array<ArrayBuffer>, Float32Array<ArrayBuffer>] {
  const perm = rng.permutation(N);
  const xs = new Float32Array(N * F);
  const ys = new Float32Array(N * Y);
  for (let i = 0; i < N; i++) {
    const src = perm[i];
    xs.set(x.subarray(src * F, src * F + F), i * F);
    ys.set(y.subarray(src * Y, src * Y + Y), i * Y);
  }
  return [xs, ys];
}

// ---------------------------------------------------------------------------------------------
// makeBlobs

/** Options of {@link makeBlobs}. */
export interface MakeBlobsOptions extends SyntheticOptions {
  /** Total number of points (split evenly over the centers), or the count for each center. Default 100. */
  nSamples?: number | readonly number[];
  /** Number of centers drawn uniformly in `centerBox`, or their coordinates [K][F]. Default 3. */
  centers?: number | readonly (readonly number[])[];
  /** Number of features (inferred from coordinate centers). Default 2. */
  nFeatures?: number;
  /** Standard deviation of every cluster, or one per center. Default 1. */
  clusterStd?: number | readonly number[];
  /** Bounds [low, high) of each random center coordinate. Default [−10, 10]. */
  centerBox?: readonly [number, number];
  /** Shuffle the rows (otherwise they are grouped by center). Default true. */
  shuffle?: boolean;
}

/**
 * Isotropic Gaussian blobs: point i of center k is cₖ + σₖ·z, z ~ N(0, I). Labels are the center
 * indices. Samples are split evenly over the centers (the first `nSamples mod K` get one more), as
 * in scikit-learn's `make_blobs`.
 *
 * Shapes: x [N, F], y [N] (center index 0 … K − 1), centers [K, F].
 * @example
 * const { x, y, centers } = makeBlobs({ nSamples: 90, centers: 3, rng: new Generator(0) });
 * x.shape; // [90, 2]
 * centers.shape; // [3, 2]
 * // 30 points each of classes 0, 1 and 2:
 * y.sum().item(); // 90
 * makeBlobs({ nSamples: 4, centers: [[0, 0, 0], [5, 5, 5]], rng: new Generator(0) }).x.shape; // [4, 3]
 * @throws ArgumentError on a non-positive count, a negative std, a bad box or ragged centers.
 * @category Data
 */
export function makeBlobs(options: MakeBlobsOptions = {}): SyntheticData & {
  /** The cluster centers, [K, F]; row k is the mean of the points labelled k. */
  centers: Tensor;
} {
  const op = 'makeBlobs';
  options = parseOptions(op, options, { nSamples: later, centers: later, nFeatures: later, clusterStd: later, centerBox: later, shuffle: later, rng: later }) as typeof options;
  const rng = (options.rng === undefined ? defaultGenerator() : checkArg(op, 'rng', options.rng, rngCheck));
  const shuffle = checkArg(op, 'shuffle', options.shuffle ?? true, bool);
  const box = options.centerBox ?? [-10, 10];
  if (!Array.isArray(box) || box.length !== 2) throw new ArgumentError(`${op}: centerBox must be [low, high], got ${describe(box)}`);
  const lo = checkArg(op, 'centerBox[0]', box[0], num());
  const hi = checkArg(op, 'centerBox[1]', box[1], num());
  if (!(lo < hi)) throw new ArgumentError(`${op}: centerBox must have low < high, got [${lo}, ${hi}]`);

  const nSamplesOpt = options.nSamples ?? 100;
  const perCenterGiven = Array.isArray(nSamplesOpt);
  let centersOpt = options.centers;
  if (centersOpt === undefined) centersOpt = perCenterGiven ? (nSamplesOpt as readonly number[]).length : 3;

  let K: number;
  let F: number;
  let C: Float32Array;
  if (typeof centersOpt === 'number') {
    K = checkArg(op, 'centers', centersOpt, int({ min: 1 }));
    F = checkArg(op, 'nFeatures', options.nFeatures ?? 2, int({ min: 1 }));
    C = rng.fillUniform(new Float32Array(K * F), lo, hi);
  } else if (Array.isArray(centersOpt)) {
    K = centersOpt.length;
    if (K === 0) throw new ArgumentError(`${op}: centers must list at least one center`);
    const first = centersOpt[0];
    if (!Array.isArray(first) || first.length === 0) throw new ArgumentError(`${op}: centers must be an array of coordinate arrays, got centers[0] = ${describe(first)}`);
    F = first.length;
    if (options.nFeatures !== undefined && options.nFeatures !== F) {
      throw new ArgumentError(`${op}: nFeatures = ${describe(options.nFeatures)} but the centers have ${F} coordinates`);
    }
    C = new Float32Array(K * F);
    for (let k = 0; k < K; k++) {
      const row = centersOpt[k];
      if (!Array.isArray(row) || row.length !== F) {
        throw new ArgumentError(`${op}: centers must all have ${F} coordinates; centers[${k}] is ${describe(row)}`);
      }
      for (let f = 0; f < F; f++) C[k * F + f] = checkArg(op, `centers[${k}][${f}]`, row[f], num());
    }
  } else throw new ArgumentError(`${op}: centers must be a count or an array of coordinates, got ${describe(centersOpt)}`);

  let counts: number[];
  if (perCenterGiven) {
    const arr = nSamplesOpt as readonly number[];
    if (arr.length !== K) throw new ArgumentError(`${op}: nSamples lists ${arr.length} counts for ${K} centers`);
    counts = arr.map((c, k) => checkArg(op, `nSamples[${k}]`, c, int({ min: 0 })));
  } else counts = evenSplit(checkArg(op, 'nSamples', nSamplesOpt, int({ min: 1 })), K);

  const stdOpt = options.clusterStd ?? 1;
  const stds = new Float64Array(K);
  if (typeof stdOpt === 'number') stds.fill(checkArg(op, 'clusterStd', stdOpt, num({ min: 0 })));
  else if (Array.isArray(stdOpt) && stdOpt.length === K) for (let k = 0; k < K; k++) stds[k] = checkArg(op, `clusterStd[${k}]`, stdOpt[k], num({ min: 0 }));
  else throw new ArgumentError(`${op}: clusterStd must be a number or one per center (${K}), got ${describe(stdOpt)}`);

  let N = 0;
  for (let k = 0; k < K; k++) N += counts[k];
  let x = new Float32Array(N * F);
  let y = new Float32Array(N);
  let i = 0;
  for (let k = 0; k < K; k++) {
    const cRow = k * F;
    for (let j = 0; j < counts[k]; j++, i++) {
      const xRow = i * F;
      for (let f = 0; f < F; f++) x[xRow + f] = C[cRow + f] + stds[k] * rng.normal();
      y[i] = k;
    }
  }
  if (shuffle) [x, y] = shuffleRows(x, y, N, F, 1, rng);
  return { x: new Tensor(x, [N, F]), y: new Tensor(y, [N]), centers: new Tensor(C, [K, F]) };
}

// ---------------------------------------------------------------------------------------------
// makeMoons, makeCircles, makeSpirals

/** Options of {@link makeMoons}. */
export interface MakeMoonsOptions extends SyntheticOptions {
  /** Number of points; the upper moon gets ⌊N/2⌋. Default 100. */
  nSamples?: number;
  /** Standard deviation of Gaussian noise added to every coordinate. Default 0. */
  noise?: number;
  /** Shuffle the rows. Default true. */
  shuffle?: boolean;
}

/**
 * Two interleaving half circles (scikit-learn's `make_moons`): class 0 on (cos θ, sin θ) and
 * class 1 on (1 − cos θ, 0.5 − sin θ), θ evenly spaced in [0, π], plus N(0, noise²) per coordinate.
 * A linear model cannot separate them; a small MLP can.
 *
 * Shapes: x [N, 2], y [N] (0 for the upper moon, 1 for the lower).
 * @example
 * makeMoons({ nSamples: 10, rng: new Generator(0) }).x.shape; // [10, 2]
 * makeMoons({ nSamples: 10, noise: 0.1, rng: new Generator(0) }).y.sum().item(); // 5
 * @throws ArgumentError on nSamples < 1 or a negative noise.
 * @category Data
 */
export function makeMoons(options: MakeMoonsOptions = {}): SyntheticData {
  const op = 'makeMoons';
  options = parseOptions(op, options, { nSamples: later, noise: later, shuffle: later, rng: later }) as typeof options;
  const N = checkArg(op, 'nSamples', options.nSamples ?? 100, int({ min: 1 }));
  const noise = checkArg(op, 'noise', options.noise ?? 0, num({ min: 0 }));
  const shuffle = checkArg(op, 'shuffle', options.shuffle ?? true, bool);
  const rng = (options.rng === undefined ? defaultGenerator() : checkArg(op, 'rng', options.rng, rngCheck));
  const nOut = Math.floor(N / 2), nIn = N - nOut;
  let x = new Float32Array(N * 2);
  let y = new Float32Array(N);
  for (let i = 0; i < nOut; i++) {
    const t = nOut === 1 ? 0 : (Math.PI * i) / (nOut - 1);
    x[2 * i] = Math.cos(t) + noise * rng.normal();
    x[2 * i + 1] = Math.sin(t) + noise * rng.normal();
  }
  for (let j = 0; j < nIn; j++) {
    const i = nOut + j;
    const t = nIn === 1 ? 0 : (Math.PI * j) / (nIn - 1);
    x[2 * i] = 1 - Math.cos(t) + noise * rng.normal();
    x[2 * i + 1] = 0.5 - Math.sin(t) + noise * rng.normal();
    y[i] = 1;
  }
  if (shuffle) [x, y] = shuffleRows(x, y, N, 2, 1, rng);
  return { x: new Tensor(x, [N, 2]), y: new Tensor(y, [N]) };
}

/** Options of {@link makeCircles}. */
export interface MakeCirclesOptions extends SyntheticOptions {
  /** Number of points; the outer circle gets ⌊N/2⌋. Default 100. */
  nSamples?: number;
  /** Standard deviation of Gaussian noise added to every coordinate. Default 0. */
  noise?: number;
  /** Radius of the inner circle relative to the outer one, in [0, 1). Default 0.8. */
  factor?: number;
  /** Shuffle the rows. Default true. */
  shuffle?: boolean;
}

/**
 * Two concentric circles (scikit-learn's `make_circles`): class 0 on the unit circle, class 1 on
 * the circle of radius `factor`, angles evenly spaced in [0, 2π), plus N(0, noise²) per coordinate.
 *
 * Shapes: x [N, 2], y [N] (0 outer, 1 inner).
 * @example
 * const { x, y } = makeCircles({ nSamples: 8, factor: 0.5, rng: new Generator(0) });
 * x.shape; // [8, 2]
 * // without noise every point lies on a circle of radius 1 or 0.5:
 * x.square().sum({ axis: 1 }).sum().item(); // 5
 * @throws ArgumentError on nSamples < 1, a negative noise or factor outside [0, 1).
 * @category Data
 */
export function makeCircles(options: MakeCirclesOptions = {}): SyntheticData {
  const op = 'makeCircles';
  options = parseOptions(op, options, { nSamples: later, noise: later, factor: later, shuffle: later, rng: later }) as typeof options;
  const N = checkArg(op, 'nSamples', options.nSamples ?? 100, int({ min: 1 }));
  const noise = checkArg(op, 'noise', options.noise ?? 0, num({ min: 0 }));
  const factor = checkArg(op, 'factor', options.factor ?? 0.8, num({ min: 0, max: 1, openMax: true }));
  const shuffle = checkArg(op, 'shuffle', options.shuffle ?? true, bool);
  const rng = (options.rng === undefined ? defaultGenerator() : checkArg(op, 'rng', options.rng, rngCheck));
  const nOut = Math.floor(N / 2), nIn = N - nOut;
  let x = new Float32Array(N * 2);
  let y = new Float32Array(N);
  for (let i = 0; i < nOut; i++) {
    const t = (2 * Math.PI * i) / nOut;
    x[2 * i] = Math.cos(t) + noise * rng.normal();
    x[2 * i + 1] = Math.sin(t) + noise * rng.normal();
  }
  for (let j = 0; j < nIn; j++) {
    const i = nOut + j;
    const t = (2 * Math.PI * j) / nIn;
    x[2 * i] = factor * Math.cos(t) + noise * rng.normal();
    x[2 * i + 1] = factor * Math.sin(t) + noise * rng.normal();
    y[i] = 1;
  }
  if (shuffle) [x, y] = shuffleRows(x, y, N, 2, 1, rng);
  return { x: new Tensor(x, [N, 2]), y: new Tensor(y, [N]) };
}

/** Options of {@link makeSpirals}. */
export interface MakeSpiralsOptions extends SyntheticOptions {
  /** Number of points, split evenly over the arms. Default 300. */
  nSamples?: number;
  /** Number of arms (classes), ≥ 1. Default 2. */
  nClasses?: number;
  /** Standard deviation of Gaussian noise added to every coordinate. Default 0. */
  noise?: number;
  /** How many full turns each arm makes (> 0). Default 1. */
  turns?: number;
  /** Shuffle the rows. Default true. */
  shuffle?: boolean;
}

/**
 * Interleaved spiral arms, one per class (the CS231n toy problem): point i of the nₖ points of
 * arm k has r = (i + 1)/nₖ ∈ (0, 1] and θ = 2π·(k/K + turns·r), so x = r·(cos θ, sin θ) plus
 * N(0, noise²) per coordinate. Not linearly separable; more turns make it harder.
 *
 * Shapes: x [N, 2], y [N] (arm index 0 … K − 1).
 * @example
 * const { x, y } = makeSpirals({ nSamples: 300, nClasses: 3, rng: new Generator(0) });
 * x.shape; // [300, 2]
 * y.max().item(); // 2
 * @throws ArgumentError on nSamples < 1, nClasses < 1, a negative noise or turns ≤ 0.
 * @category Data
 */
export function makeSpirals(options: MakeSpiralsOptions = {}): SyntheticData {
  const op = 'makeSpirals';
  options = parseOptions(op, options, { nSamples: later, nClasses: later, noise: later, turns: later, shuffle: later, rng: later }) as typeof options;
  const N = checkArg(op, 'nSamples', options.nSamples ?? 300, int({ min: 1 }));
  const K = checkArg(op, 'nClasses', options.nClasses ?? 2, int({ min: 1 }));
  const noise = checkArg(op, 'noise', options.noise ?? 0, num({ min: 0 }));
  const turns = checkArg(op, 'turns', options.turns ?? 1, num({ min: 0, openMin: true }));
  const shuffle = checkArg(op, 'shuffle', options.shuffle ?? true, bool);
  const rng = (options.rng === undefined ? defaultGenerator() : checkArg(op, 'rng', options.rng, rngCheck));
  const counts = evenSplit(N, K);
  let x = new Float32Array(N * 2);
  let y = new Float32Array(N);
  let i = 0;
  for (let k = 0; k < K; k++) {
    const n = counts[k];
    for (let j = 0; j < n; j++, i++) {
      const r = (j + 1) / n;
      const t = 2 * Math.PI * (k / K + turns * r);
      x[2 * i] = r * Math.cos(t) + noise * rng.normal();
      x[2 * i + 1] = r * Math.sin(t) + noise * rng.normal();
      y[i] = k;
    }
  }
  if (shuffle) [x, y] = shuffleRows(x, y, N, 2, 1, rng);
  return { x: new Tensor(x, [N, 2]), y: new Tensor(y, [N]) };
}

// ---------------------------------------------------------------------------------------------
// makeRegression

/** Options of {@link makeRegression}. */
export interface MakeRegressionOptions extends SyntheticOptions {
  /** Number of rows. Default 100. */
  nSamples?: number;
  /** Number of features. Default 100 (scikit-learn's default). */
  nFeatures?: number;
  /** Number of features with a non-zero coefficient. Default min(10, nFeatures). */
  nInformative?: number;
  /** Number of regression targets. Default 1 (then y is [N]). */
  nTargets?: number;
  /** Intercept added to every target. Default 0. */
  bias?: number;
  /** Standard deviation of the Gaussian noise added to y. Default 0. */
  noise?: number;
  /** Also return the true coefficients as `coef`. Default false. */
  coef?: boolean;
  /** Shuffle rows and features (the coefficients follow the features). Default true. */
  shuffle?: boolean;
}

/**
 * A random linear regression problem (scikit-learn's `make_regression`): x ~ N(0, I), the first
 * `nInformative` features get coefficients w ~ 100·U(0, 1) and the rest 0, and
 * y = x·w + bias + N(0, noise²). With `shuffle` the informative features land in random columns
 * (the returned `coef` is permuted the same way).
 *
 * Shapes: x [N, F], y [N] (or [N, T] when nTargets = T > 1), coef [F] (or [F, T]).
 * @example
 * const { x, y, coef } = makeRegression({ nSamples: 50, nFeatures: 4, nInformative: 2, bias: 3, coef: true, rng: new Generator(0) });
 * x.shape; // [50, 4]
 * // two coefficients are zero:
 * eq(coef, 0).sum().item(); // 2
 * // without noise y is exactly x·w + bias:
 * x.matmul(coef).add(3).sub(y).abs().max().item() < 1e-3; // true
 * @throws ArgumentError on bad counts (nInformative > nFeatures), a negative noise or a non-finite bias.
 * @category Data
 */
export function makeRegression(options: MakeRegressionOptions & { coef: true }): SyntheticData & {
  /** The true coefficients w, [F] (or [F, T]), permuted with the features. */
  coef: Tensor;
};
export function makeRegression(options?: MakeRegressionOptions): SyntheticData & {
  /** The true coefficients w, [F] (or [F, T]), when `coef: true` was passed. */
  coef?: Tensor;
};
export function makeRegression(options: MakeRegressionOptions = {}): SyntheticData & {
  /** The true coefficients w, [F] (or [F, T]), when `coef: true` was passed. */
  coef?: Tensor;
} {
  const op = 'makeRegression';
  options = parseOptions(op, options, { nSamples: later, nFeatures: later, nInformative: later, nTargets: later, bias: later, noise: later, coef: later, shuffle: later, rng: later }) as typeof options;
  const N = checkArg(op, 'nSamples', options.nSamples ?? 100, int({ min: 1 }));
  const F = checkArg(op, 'nFeatures', options.nFeatures ?? 100, int({ min: 1 }));
  const I = checkArg(op, 'nInformative', options.nInformative ?? Math.min(10, F), int({ min: 0 }));
  if (I > F) throw new ArgumentError(`${op}: nInformative = ${I} exceeds nFeatures = ${F}`);
  const T = checkArg(op, 'nTargets', options.nTargets ?? 1, int({ min: 1 }));
  const bias = checkArg(op, 'bias', options.bias ?? 0, num());
  const noise = checkArg(op, 'noise', options.noise ?? 0, num({ min: 0 }));
  const wantCoef = checkArg(op, 'coef', options.coef ?? false, bool);
  const shuffle = checkArg(op, 'shuffle', options.shuffle ?? true, bool);
  const rng = (options.rng === undefined ? defaultGenerator() : checkArg(op, 'rng', options.rng, rngCheck));

  const x = rng.fillNormal(new Float32Array(N * F));
  const w = new Float32Array(F * T);
  for (let i = 0; i < I * T; i++) w[i] = 100 * rng.random();
  let y = new Float32Array(N * T);
  for (let n = 0; n < N; n++) {
    const xRow = n * F;
    for (let t = 0; t < T; t++) {
      let acc = bias;
      for (let f = 0; f < I; f++) acc += x[xRow + f] * w[f * T + t];
      y[n * T + t] = acc + (noise > 0 ? noise * rng.normal() : 0);
    }
  }
  let xs = x;
  let ws = w;
  if (shuffle) {
    [xs, y] = shuffleRows(x, y, N, F, T, rng);
    const cols = rng.permutation(F);
    const xp = new Float32Array(N * F);
    ws = new Float32Array(F * T);
    for (let n = 0; n < N; n++) {
      const row = n * F;
      for (let f = 0; f < F; f++) xp[row + f] = xs[row + cols[f]];
    }
    for (let f = 0; f < F; f++) ws.set(w.subarray(cols[f] * T, cols[f] * T + T), f * T);
    xs = xp;
  }
  const out: SyntheticData & { coef?: Tensor } = {
    x: new Tensor(xs, [N, F]),
    y: new Tensor(y, T === 1 ? [N] : [N, T]),
  };
  if (wantCoef) out.coef = new Tensor(ws, T === 1 ? [F] : [F, T]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// makeClassification

/** Options of {@link makeClassification}. */
export interface MakeClassificationOptions extends SyntheticOptions {
  /** Number of rows. Default 100. */
  nSamples?: number;
  /** Total number of features (informative + redundant + repeated + noise). Default 20. */
  nFeatures?: number;
  /** Features that carry the class structure. Default 2. */
  nInformative?: number;
  /** Random linear combinations of the informative features. Default 2. */
  nRedundant?: number;
  /** Copies of randomly chosen informative or redundant features. Default 0. */
  nRepeated?: number;
  /** Number of classes. Default 2. */
  nClasses?: number;
  /** Gaussian clusters per class; nClasses·nClustersPerClass ≤ 2^nInformative. Default 2. */
  nClustersPerClass?: number;
  /** Class proportions (nClasses values, or nClasses − 1 with the last implied). Default equal. */
  weights?: readonly number[];
  /** Fraction of labels replaced by a random class (label noise). Default 0.01. */
  flipY?: number;
  /** Half the side of the hypercube the cluster centers sit on; larger is easier. Default 1. */
  classSep?: number;
  /** Centers on the hypercube's vertices (true) or shrunk randomly towards the origin. Default true. */
  hypercube?: boolean;
  /** Added to every feature after generation. Default 0. */
  shift?: number;
  /** Multiplies every feature after the shift. Default 1. */
  scale?: number;
  /** Shuffle rows and features. Default true. */
  shuffle?: boolean;
}

/**
 * A random n-class problem built the way scikit-learn's `make_classification` builds it (same
 * steps and parameters, not the same random stream): each class gets `nClustersPerClass` Gaussian
 * clusters centred on distinct vertices of the hypercube [−classSep, classSep]^nInformative; each
 * cluster's points are N(0, I) draws mapped by a random matrix A (entries U(−1, 1), so clusters
 * have random covariance) and shifted to the vertex. Redundant features are x_inf·B for a random
 * B (entries U(−1, 1)), repeated features copy random earlier columns, the rest are N(0, 1)
 * noise. Then `flipY` of the labels are redrawn uniformly, features become (x + shift)·scale,
 * and rows and columns are shuffled. Samples are split over clusters by the class weights.
 *
 * Shapes: x [N, F], y [N] (class index 0 … nClasses − 1).
 * @example
 * const { x, y } = makeClassification({ nSamples: 100, nFeatures: 5, nClasses: 3, nInformative: 3, nRedundant: 1, rng: new Generator(0) });
 * x.shape; // [100, 5]
 * y.max().item(); // 2
 * @throws ArgumentError if nInformative + nRedundant + nRepeated > nFeatures, if
 * nClasses·nClustersPerClass > 2^nInformative, on bad weights or flipY outside [0, 1].
 * @see I. Guyon, "Design of experiments for the NIPS 2003 variable selection benchmark" (2003).
 * @category Data
 */
export function makeClassification(options: MakeClassificationOptions = {}): SyntheticData {
  const op = 'makeClassification';
  options = parseOptions(op, options, { nSamples: later, nFeatures: later, nInformative: later, nRedundant: later, nRepeated: later, nClasses: later, nClustersPerClass: later, weights: later, flipY: later, classSep: later, hypercube: later, shift: later, scale: later, shuffle: later, rng: later }) as typeof options;
  const N = checkArg(op, 'nSamples', options.nSamples ?? 100, int({ min: 1 }));
  const F = checkArg(op, 'nFeatures', options.nFeatures ?? 20, int({ min: 1 }));
  const I = checkArg(op, 'nInformative', options.nInformative ?? 2, int({ min: 1 }));
  const R = checkArg(op, 'nRedundant', options.nRedundant ?? 2, int({ min: 0 }));
  const P = checkArg(op, 'nRepeated', options.nRepeated ?? 0, int({ min: 0 }));
  const K = checkArg(op, 'nClasses', options.nClasses ?? 2, int({ min: 1 }));
  const CPC = checkArg(op, 'nClustersPerClass', options.nClustersPerClass ?? 2, int({ min: 1 }));
  const flipY = checkArg(op, 'flipY', options.flipY ?? 0.01, num({ min: 0, max: 1 }));
  const sep = checkArg(op, 'classSep', options.classSep ?? 1, num({ min: 0 }));
  const hypercube = checkArg(op, 'hypercube', options.hypercube ?? true, bool);
  const shift = checkArg(op, 'shift', options.shift ?? 0, num());
  const scale = checkArg(op, 'scale', options.scale ?? 1, num());
  const shuffle = checkArg(op, 'shuffle', options.shuffle ?? true, bool);
  const rng = (options.rng === undefined ? defaultGenerator() : checkArg(op, 'rng', options.rng, rngCheck));
  if (I + R + P > F) {
    throw new ArgumentError(`${op}: nInformative + nRedundant + nRepeated = ${I} + ${R} + ${P} = ${I + R + P} exceeds nFeatures = ${F}`);
  }
  const nClusters = K * CPC;
  if (nClusters > 2 ** I) {
    throw new ArgumentError(`${op}: nClasses·nClustersPerClass = ${K}·${CPC} = ${nClusters} exceeds 2^nInformative = ${2 ** I} hypercube vertices`);
  }
  const weights = new Float64Array(K).fill(1 / K);
  if (options.weights !== undefined) {
    const w = options.weights;
    if (!Array.isArray(w) || (w.length !== K && w.length !== K - 1)) {
      throw new ArgumentError(`${op}: weights must list nClasses (${K}) or nClasses − 1 proportions, got ${describe(w)}`);
    }
    let s = 0;
    for (let k = 0; k < w.length; k++) s += weights[k] = checkArg(op, `weights[${k}]`, w[k], num({ min: 0 }));
    if (w.length === K - 1) {
      if (s > 1) throw new ArgumentError(`${op}: weights sum to ${s} > 1, leaving nothing for the last class`);
      weights[K - 1] = 1 - s;
    }
  }

  // Samples per cluster: ⌊N·w(class)/CPC⌋, then the remainder one at a time round-robin.
  const counts = new Array<number>(nClusters);
  let assigned = 0;
  // The 1e-9 keeps an implied weight such as 1 − 0.9 = 0.09999… from losing a sample to rounding.
  for (let c = 0; c < nClusters; c++) assigned += counts[c] = Math.floor((N * weights[c % K]) / CPC + 1e-9);
  for (let r = 0; assigned < N; r++, assigned++) counts[r % nClusters]++;

  // Distinct hypercube vertices, in {−sep, +sep}^I.
  const centroids = hypercubeVertices(nClusters, I, rng);
  for (let i = 0; i < centroids.length; i++) centroids[i] = centroids[i] * 2 * sep - sep;
  if (!hypercube) {
    const a = new Float64Array(nClusters), b = new Float64Array(I);
    for (let c = 0; c < nClusters; c++) a[c] = rng.random();
    for (let f = 0; f < I; f++) b[f] = rng.random();
    for (let c = 0; c < nClusters; c++) for (let f = 0; f < I; f++) centroids[c * I + f] *= a[c] * b[f];
  }

  let x = new Float32Array(N * F);
  let y = new Float32Array(N);
  for (let n = 0; n < N; n++) for (let f = 0; f < I; f++) x[n * F + f] = rng.normal();
  const A = new Float64Array(I * I);
  const z = new Float64Array(I);
  let start = 0;
  for (let c = 0; c < nClusters; c++) {
    for (let i = 0; i < I * I; i++) A[i] = 2 * rng.random() - 1;
    for (let n = start; n < start + counts[c]; n++) {
      const row = n * F;
      for (let f = 0; f < I; f++) z[f] = x[row + f];
      for (let g = 0; g < I; g++) {
        let acc = centroids[c * I + g];
        for (let f = 0; f < I; f++) acc += z[f] * A[f * I + g];
        x[row + g] = acc;
      }
      y[n] = c % K;
    }
    start += counts[c];
  }
  if (R > 0) {
    const B = new Float64Array(I * R);
    for (let i = 0; i < I * R; i++) B[i] = 2 * rng.random() - 1;
    for (let n = 0; n < N; n++) {
      const row = n * F;
      for (let r = 0; r < R; r++) {
        let acc = 0;
        for (let f = 0; f < I; f++) acc += x[row + f] * B[f * R + r];
        x[row + I + r] = acc;
      }
    }
  }
  if (P > 0) {
    const src = new Int32Array(P);
    for (let p = 0; p < P; p++) src[p] = Math.floor((I + R - 1) * rng.random() + 0.5);
    for (let n = 0; n < N; n++) for (let p = 0; p < P; p++) x[n * F + I + R + p] = x[n * F + src[p]];
  }
  for (let n = 0; n < N; n++) for (let f = I + R + P; f < F; f++) x[n * F + f] = rng.normal();
  if (flipY > 0) {
    for (let n = 0; n < N; n++) if (rng.random() < flipY) y[n] = rng.randint(0, K);
  }
  if (shift !== 0 || scale !== 1) for (let i = 0; i < x.length; i++) x[i] = (x[i] + shift) * scale;
  if (shuffle) {
    [x, y] = shuffleRows(x, y, N, F, 1, rng);
    const cols = rng.permutation(F);
    const xp = new Float32Array(N * F);
    for (let n = 0; n < N; n++) for (let f = 0; f < F; f++) xp[n * F + f] = x[n * F + cols[f]];
    x = xp;
  }
  return { x: new Tensor(x, [N, F]), y: new Tensor(y, [N]) };
}

/** `n` distinct random vertices of the unit hypercube {0, 1}^D, row-major [n, D]. */
function hypercubeVertices(n: number, D: number, rng: Generator): Float64Array {
  const out = new Float64Array(n * D);
  if (D <= 16 && n * 4 >= 2 ** D) {
    // Dense case: a prefix of a permutation of all vertex codes.
    const codes = rng.permutation(2 ** D);
    for (let c = 0; c < n; c++) for (let d = 0; d < D; d++) out[c * D + d] = (codes[c] >>> d) & 1;
    return out;
  }
  // Sparse case: rejection, at most a few duplicates expected since n ≤ 2^D / 4 or D > 16.
  const seen = new Set<string>();
  const bits = new Array<number>(D);
  for (let c = 0; c < n;) {
    for (let d = 0; d < D; d++) bits[d] = rng.nextUint32() >>> 31;
    const key = bits.join('');
    if (seen.has(key)) continue;
    seen.add(key);
    for (let d = 0; d < D; d++) out[c * D + d] = bits[d];
    c++;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// makeShapes

/** The shapes {@link makeShapes} can draw. */
export type ShapeClass = 'circle' | 'square' | 'triangle';

/** Options of {@link makeShapes}. */
export interface MakeShapesOptions extends SyntheticOptions {
  /** Number of images; classes are balanced (counts differ by at most 1). Default 300. */
  nSamples?: number;
  /** Image side in pixels, ≥ 8. Default 16. */
  size?: number;
  /** Standard deviation of Gaussian pixel noise (the result is clipped to [0, 1]). Default 0. */
  noise?: number;
  /** The classes, in label order. Default ['circle', 'square', 'triangle']. */
  classes?: readonly ShapeClass[];
  /** Half-extent of a shape as a fraction [low, high] of `size`, within (0, 0.5]. Default [0.25, 0.45]. */
  radius?: readonly [number, number];
  /** Anti-alias edges by 4×4 supersampling (pixel = covered fraction); false gives binary masks. Default true. */
  antialias?: boolean;
}

/**
 * Small grayscale images of filled shapes on a black background, for CNN tests: a disc, an
 * axis-aligned square or an upward isosceles triangle, each of half-extent r ~ U(radius)·size
 * centred uniformly where it fits entirely in the image. Pixels hold the covered fraction (1 inside
 * the shape, 0 outside, fractional on anti-aliased edges), then N(0, noise²) is added and the
 * result clipped to [0, 1]. At size 16 the default radii give shapes 8 to 14 pixels across, easy
 * for a small CNN to tell apart (≥ 95% accuracy is expected).
 *
 * Shapes: x [N, 1, size, size] in [0, 1], y [N] (index into `classes`).
 * @example
 * const { x, y, classNames } = makeShapes({ nSamples: 6, rng: new Generator(0) });
 * x.shape; // [6, 1, 16, 16]
 * classNames; // ['circle', 'square', 'triangle']
 * // balanced: two images per class
 * y.sum().item(); // 6
 * @throws ArgumentError on a size below 8, an unknown or repeated class, radii outside (0, 0.5] or a negative noise.
 * @category Data
 */
export function makeShapes(options: MakeShapesOptions = {}): SyntheticData & {
  /** The class of each label, in label order (`classNames[y]`). */
  classNames: ShapeClass[];
} {
  const op = 'makeShapes';
  options = parseOptions(op, options, { nSamples: later, size: later, noise: later, classes: later, radius: later, antialias: later, rng: later }) as typeof options;
  const N = checkArg(op, 'nSamples', options.nSamples ?? 300, int({ min: 1 }));
  const S = checkArg(op, 'size', options.size ?? 16, int({ min: 8 }));
  const noise = checkArg(op, 'noise', options.noise ?? 0, num({ min: 0 }));
  const antialias = checkArg(op, 'antialias', options.antialias ?? true, bool);
  const rng = (options.rng === undefined ? defaultGenerator() : checkArg(op, 'rng', options.rng, rngCheck));
  const classes = options.classes ?? ['circle', 'square', 'triangle'];
  if (!Array.isArray(classes) || classes.length === 0) throw new ArgumentError(`${op}: classes must be a non-empty array, got ${describe(classes)}`);
  const known = ['circle', 'square', 'triangle'];
  for (let k = 0; k < classes.length; k++) {
    if (!known.includes(classes[k])) throw new ArgumentError(`${op}: classes[${k}] = ${describe(classes[k])} is not one of ${known.join(', ')}`);
    if (classes.indexOf(classes[k]) !== k) throw new ArgumentError(`${op}: class ${JSON.stringify(classes[k])} is listed twice`);
  }
  const rad = options.radius ?? [0.25, 0.45];
  if (!Array.isArray(rad) || rad.length !== 2) throw new ArgumentError(`${op}: radius must be [low, high], got ${describe(rad)}`);
  const rLo = checkArg(op, 'radius[0]', rad[0], num({ min: 0, max: 0.5, openMin: true }));
  const rHi = checkArg(op, 'radius[1]', rad[1], num({ min: 0, max: 0.5, openMin: true }));
  if (rLo > rHi) throw new ArgumentError(`${op}: radius must have low ≤ high, got [${rLo}, ${rHi}]`);

  const K = classes.length;
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) labels[i] = i % K;
  rng.shuffle(labels);
  const SS = antialias ? 4 : 1;
  const w = 1 / (SS * SS);
  const x = new Float32Array(N * S * S);
  const y = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    const kind = classes[labels[n]];
    y[n] = labels[n];
    const r = S * (rLo + (rHi - rLo) * rng.random());
    const cx = r + (S - 2 * r) * rng.random();
    const cy = r + (S - 2 * r) * rng.random();
    const img = n * S * S;
    // Only the bounding box [c − r, c + r] can be covered.
    const i0 = Math.max(0, Math.floor(cy - r)), i1 = Math.min(S - 1, Math.floor(cy + r));
    const j0 = Math.max(0, Math.floor(cx - r)), j1 = Math.min(S - 1, Math.floor(cx + r));
    for (let i = i0; i <= i1; i++) {
      for (let j = j0; j <= j1; j++) {
        let cover = 0;
        for (let a = 0; a < SS; a++) {
          const py = i + (a + 0.5) / SS - cy;
          for (let b = 0; b < SS; b++) {
            const px = j + (b + 0.5) / SS - cx;
            let inside: boolean;
            if (kind === 'circle') inside = px * px + py * py <= r * r;
            else if (kind === 'square') inside = Math.abs(px) <= r && Math.abs(py) <= r;
            else inside = py <= r && Math.abs(px) <= (py + r) / 2;
            if (inside) cover += w;
          }
        }
        x[img + i * S + j] = cover;
      }
    }
    if (noise > 0) {
      for (let p = img; p < img + S * S; p++) {
        const v = x[p] + noise * rng.normal();
        x[p] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  }
  return { x: new Tensor(x, [N, 1, S, S]), y: new Tensor(y, [N]), classNames: classes.slice() };
}

// ---------------------------------------------------------------------------------------------
// makeSequences

/** The tasks of {@link makeSequences}. */
export type SequenceTask = 'copy' | 'reverse' | 'sort' | 'sum' | 'adding' | 'parity' | 'majority' | 'classifyPattern' | 'tag';

/** Options of {@link makeSequences}. */
export interface MakeSequencesOptions extends SyntheticOptions {
  /** The task (see the table in {@link makeSequences}). */
  task: SequenceTask;
  /** Number of sequences. Default 100. */
  nSamples?: number;
  /** Sequence length T. Default 10. */
  length?: number;
  /** Number of token ids V for token tasks (copy, reverse, sort: 10; majority, parity: 2; classifyPattern, tag: 4). */
  vocabSize?: number;
  /** classifyPattern: the token ids to look for as a contiguous run. Default [0, 1] ("ab"). */
  pattern?: readonly number[];
  /** Token tasks: return x as one-hot features [N, T, V] instead of ids [N, T]. Default false. */
  oneHot?: boolean;
}

/** Inputs and targets of a sequence task. */
export interface SequenceData {
  /** Inputs: token ids [N, T] (or one-hot [N, T, V]), or features [N, T, C] for sum and adding. */
  x: Tensor;
  /** Targets: [N] per sequence or [N, T] per step (see the task table). */
  y: Tensor;
  /** The task. */
  task: SequenceTask;
  /** Vocabulary size of the token ids in x, or null for the feature tasks. */
  vocabSize: number | null;
  /** Number of classes of the targets y, or null for regression tasks. */
  numClasses: number | null;
}

const TASKS: readonly SequenceTask[] = ['copy', 'reverse', 'sort', 'sum', 'adding', 'parity', 'majority', 'classifyPattern', 'tag'];

/**
 * Synthetic sequence tasks for recurrent, attention and sequence-to-sequence models. Token ids are
 * uniform in [0, V) unless said otherwise; targets are exact float32 integers for class tasks.
 *
 * | task | x | y |
 * |---|---|---|
 * | `copy` | ids [N, T] | y = x, [N, T] (seq2seq identity) |
 * | `reverse` | ids [N, T] | x reversed in time, [N, T] (seq2seq) |
 * | `sort` | ids [N, T] | x sorted ascending, [N, T] (seq2seq) |
 * | `sum` | values U(0, 1), [N, T, 1] | Σₜ xₜ, [N] (regression) |
 * | `adding` | [N, T, 2]: values U(0, 1) and a 0/1 marker set at one step in each half | sum of the two marked values, [N] (Hochreiter's adding problem) |
 * | `parity` | bits [N, T] (V = 2) | XOR of the bits, [N], 2 classes (hard for long T) |
 * | `majority` | ids [N, T] | the most frequent token, [N], V classes (ties are removed by retyping one tied position) |
 * | `classifyPattern` | ids [N, T] | 1 if `pattern` occurs as a contiguous run, else 0, [N]; classes balanced |
 * | `tag` | ids [N, T] | per step: 1 if xₜ equals xₜ₋₁ or xₜ₊₁, else 0, [N, T] (needs both directions) |
 *
 * `majority` and `classifyPattern` are easy for an LSTM (≥ 90% with T = 10); `copy`, `reverse`
 * and `sort` are for encoder–decoder models (ids are 0 … V − 1; a model adds its own start token).
 *
 * Shapes: see the table; `oneHot` turns ids [N, T] into [N, T, V].
 * @example
 * const { x, y } = makeSequences({ task: 'reverse', nSamples: 4, length: 5, rng: new Generator(0) });
 * x.shape; // [4, 5]
 * // y is x read backwards:
 * y.tolist()[0][0] === x.tolist()[0][4]; // true
 * makeSequences({ task: 'majority', nSamples: 8, length: 9, oneHot: true, rng: new Generator(0) }).x.shape; // [8, 9, 2]
 * makeSequences({ task: 'adding', nSamples: 3, length: 20, rng: new Generator(0) }).x.shape; // [3, 20, 2]
 * @throws ArgumentError on an unknown task, bad sizes, a pattern outside the vocabulary or longer
 * than the sequence, `parity` with vocabSize ≠ 2, or `oneHot` on a feature task.
 * @category Data
 */
export function makeSequences(options: MakeSequencesOptions): SequenceData {
  const op = 'makeSequences';
  if (options === undefined) throw new ArgumentError(`${op}: options with a task are required, e.g. { task: 'reverse' }`);
  options = parseOptions(op, options, { task: later, nSamples: later, length: later, vocabSize: later, pattern: later, oneHot: later, rng: later }) as typeof options;
  const task = options.task;
  if (!TASKS.includes(task)) throw new ArgumentError(`${op}: task must be one of ${TASKS.join(', ')}, got ${describe(task)}`);
  const N = checkArg(op, 'nSamples', options.nSamples ?? 100, int({ min: 1 }));
  const T = checkArg(op, 'length', options.length ?? 10, int({ min: task === 'adding' ? 2 : 1 }));
  const oneHot = checkArg(op, 'oneHot', options.oneHot ?? false, bool);
  const rng = (options.rng === undefined ? defaultGenerator() : checkArg(op, 'rng', options.rng, rngCheck));

  if (task === 'sum' || task === 'adding') {
    if (options.vocabSize !== undefined || options.pattern !== undefined || oneHot) {
      throw new ArgumentError(`${op}: task ${JSON.stringify(task)} has real-valued inputs; vocabSize, pattern and oneHot do not apply`);
    }
    const C = task === 'sum' ? 1 : 2;
    const x = new Float32Array(N * T * C);
    const y = new Float32Array(N);
    for (let n = 0; n < N; n++) {
      const row = n * T * C;
      let acc = 0;
      for (let t = 0; t < T; t++) {
        const v = rng.random();
        x[row + t * C] = v;
        if (task === 'sum') acc += v;
      }
      if (task === 'adding') {
        const half = Math.floor(T / 2);
        const a = rng.randint(0, half), b = rng.randint(half, T);
        x[row + a * C + 1] = 1;
        x[row + b * C + 1] = 1;
        acc = x[row + a * C] + x[row + b * C];
      }
      y[n] = acc;
    }
    return { x: new Tensor(x, [N, T, C]), y: new Tensor(y, [N]), task, vocabSize: null, numClasses: null };
  }

  const defaultV = task === 'parity' || task === 'majority' ? 2 : task === 'classifyPattern' || task === 'tag' ? 4 : 10;
  const V = checkArg(op, 'vocabSize', options.vocabSize ?? defaultV, int({ min: task === 'sort' || task === 'copy' || task === 'reverse' ? 1 : 2 }));
  if (task === 'parity' && V !== 2) throw new ArgumentError(`${op}: task 'parity' works on bits; vocabSize must be 2, got ${V}`);
  if (options.pattern !== undefined && task !== 'classifyPattern') throw new ArgumentError(`${op}: pattern applies only to task 'classifyPattern'`);
  const ids = new Int32Array(N * T);
  for (let i = 0; i < ids.length; i++) ids[i] = rng.randint(0, V);
  let y: Float32Array;
  let perStep = false;
  let numClasses = V;
  if (task === 'copy' || task === 'reverse' || task === 'sort') {
    perStep = true;
    y = new Float32Array(N * T);
    for (let n = 0; n < N; n++) {
      const row = n * T;
      for (let t = 0; t < T; t++) y[row + t] = ids[row + (task === 'reverse' ? T - 1 - t : t)];
      if (task === 'sort') y.subarray(row, row + T).sort();
    }
  } else if (task === 'parity') {
    numClasses = 2;
    y = new Float32Array(N);
    for (let n = 0; n < N; n++) {
      let p = 0;
      for (let t = 0; t < T; t++) p ^= ids[n * T + t];
      y[n] = p;
    }
  } else if (task === 'majority') {
    y = new Float32Array(N);
    const count = new Int32Array(V);
    for (let n = 0; n < N; n++) y[n] = majorityFix(ids.subarray(n * T, n * T + T), count, rng);
  } else if (task === 'tag') {
    perStep = true;
    numClasses = 2;
    y = new Float32Array(N * T);
    for (let n = 0; n < N; n++) {
      const row = n * T;
      for (let t = 0; t < T; t++) {
        const v = ids[row + t];
        y[row + t] = (t > 0 && ids[row + t - 1] === v) || (t < T - 1 && ids[row + t + 1] === v) ? 1 : 0;
      }
    }
  } else {
    numClasses = 2;
    const pattern = options.pattern ?? [0, 1];
    if (!Array.isArray(pattern) || pattern.length === 0 || pattern.length > T) {
      throw new ArgumentError(`${op}: pattern must be a non-empty array of at most length = ${T} token ids, got ${describe(pattern)}`);
    }
    for (let p = 0; p < pattern.length; p++) {
      const v = pattern[p];
      if (!Number.isInteger(v) || v < 0 || v >= V) throw new ArgumentError(`${op}: pattern[${p}] = ${describe(v)} is not a token id in [0, ${V - 1}]`);
    }
    y = new Float32Array(N);
    const labels = new Int32Array(N);
    for (let n = 0; n < N; n++) labels[n] = n & 1;
    rng.shuffle(labels);
    for (let n = 0; n < N; n++) {
      const seq = ids.subarray(n * T, n * T + T);
      y[n] = labels[n];
      if (labels[n] === 1) {
        const s = rng.randint(0, T - pattern.length + 1);
        for (let p = 0; p < pattern.length; p++) seq[s + p] = pattern[p];
      } else avoidPattern(seq, pattern, V, rng);
    }
  }
  let xT: Tensor;
  if (oneHot) {
    const xh = new Float32Array(N * T * V);
    for (let i = 0; i < N * T; i++) xh[i * V + ids[i]] = 1;
    xT = new Tensor(xh, [N, T, V]);
  } else xT = new Tensor(Float32Array.from(ids), [N, T]);
  return { x: xT, y: new Tensor(y, perStep ? [N, T] : [N]), task, vocabSize: V, numClasses };
}

/**
 * Returns the unique most frequent token of `seq`; on a tie, one tied token (chosen at random)
 * takes over one position of another tied token, which makes it the unique mode.
 */
function majorityFix(seq: Int32Array, count: Int32Array, rng: Generator): number {
  count.fill(0);
  for (let t = 0; t < seq.length; t++) count[seq[t]]++;
  let best = 0;
  for (let v = 0; v < count.length; v++) if (count[v] > best) best = count[v];
  const tied: number[] = [];
  for (let v = 0; v < count.length; v++) if (count[v] === best) tied.push(v);
  if (tied.length === 1) return tied[0];
  const win = tied[rng.randint(0, tied.length)];
  const others: number[] = [];
  for (let t = 0; t < seq.length; t++) if (seq[t] !== win && count[seq[t]] === best) others.push(t);
  seq[others[rng.randint(0, others.length)]] = win;
  return win;
}

/** Rewrites seq left to right so that `pattern` never completes: a token that would complete it is redrawn from the other V − 1. */
function avoidPattern(seq: Int32Array, pattern: readonly number[], V: number, rng: Generator): void {
  const P = pattern.length, last = pattern[P - 1];
  for (let t = P - 1; t < seq.length; t++) {
    if (seq[t] !== last) continue;
    let match = true;
    for (let p = 0; p < P - 1 && match; p++) match = seq[t - P + 1 + p] === pattern[p];
    if (!match) continue;
    const v = rng.randint(0, V - 1);
    seq[t] = v >= last ? v + 1 : v;
  }
}

// ---------------------------------------------------------------------------------------------
// makeRatings

/** Options of {@link makeRatings}. */
export interface MakeRatingsOptions extends SyntheticOptions {
  /** Number of users. Default 100. */
  nUsers?: number;
  /** Number of items. Default 100. */
  nItems?: number;
  /** Rank of the true user and item factors. Default 5. */
  rank?: number;
  /** Fraction of the user × item matrix observed, in (0, 1]. Default 0.1. */
  density?: number;
  /** Std of the Gaussian noise on each rating (explicit) or on each score (implicit). Default 0.1 (explicit), 0 (implicit). */
  noise?: number;
  /** Implicit feedback (interactions only, all ratings 1) instead of explicit 1–5 ratings. Default false. */
  implicit?: boolean;
  /** Std of the user and item biases. Default 0.5. */
  biasStd?: number;
  /** Explicit: round the ratings to whole stars 1 … 5. Default false. */
  round?: boolean;
}

/** Observed (user, item, rating) triples of {@link makeRatings} and the truth behind them. */
export interface RatingsData {
  /** User id of each observation, sorted (then by item). */
  users: Int32Array;
  /** Item id of each observation. */
  items: Int32Array;
  /** The ratings in [1, 5] (explicit) or all 1 (implicit). */
  ratings: Float32Array;
  /** True user factors U, [nUsers, rank]. */
  trueU: Tensor;
  /** True item factors V, [nItems, rank]. */
  trueV: Tensor;
  /** True user biases bᵤ, [nUsers]. */
  userBias: Float32Array;
  /** True item biases bᵢ, [nItems]. */
  itemBias: Float32Array;
  /** Global mean μ of the explicit scores (3), or 0 for implicit data. */
  globalMean: number;
  /** The noise std used. */
  noise: number;
  /** Number of users. */
  nUsers: number;
  /** Number of items. */
  nItems: number;
}

/**
 * Low-rank user × item data for recommender tests. True factors U [nUsers, rank] and V [nItems,
 * rank] have N(0, σ²) entries with σ² = 1/√rank, so uᵤ·vᵢ has unit variance; biases are
 * N(0, biasStd²).
 * The score is s = μ + bᵤ + bᵢ + uᵤ·vᵢ.
 *
 * - Explicit (default): exactly round(density·nUsers·nItems) distinct (user, item) pairs chosen
 *   uniformly (Floyd's sampling), rating = clip(s + N(0, noise²), 1, 5) with μ = 3, optionally
 *   rounded to whole stars. So the noise-free, unclipped rating matrix minus biases is U·Vᵀ, of
 *   rank ≤ rank.
 * - Implicit: μ = 0 and every pair interacts independently with probability
 *   σ(2·(s + N(0, noise²)) − τ), increasing in the score, with τ set by bisection so that the
 *   expected density is `density`. Costs O(nUsers·nItems) time and memory.
 *
 * Observations are sorted by user, then item.
 * Shapes: users, items, ratings (M); trueU [nUsers, rank]; trueV [nItems, rank].
 * @example
 * const r = makeRatings({ nUsers: 20, nItems: 10, rank: 2, density: 0.5, rng: new Generator(0) });
 * r.ratings.length; // 100
 * r.trueU.shape; // [20, 2]
 * r.ratings.every((v) => v >= 1 && v <= 5); // true
 * @throws ArgumentError on non-positive sizes, density outside (0, 1] (or too small to give one rating), or negative noise.
 * @see Y. Koren, R. Bell, C. Volinsky, "Matrix factorization techniques for recommender systems" (2009).
 * @category Data
 */
export function makeRatings(options: MakeRatingsOptions = {}): RatingsData {
  const op = 'makeRatings';
  options = parseOptions(op, options, { nUsers: later, nItems: later, rank: later, density: later, noise: later, implicit: later, biasStd: later, round: later, rng: later }) as typeof options;
  const U = checkArg(op, 'nUsers', options.nUsers ?? 100, int({ min: 1 }));
  const I = checkArg(op, 'nItems', options.nItems ?? 100, int({ min: 1 }));
  const R = checkArg(op, 'rank', options.rank ?? 5, int({ min: 1 }));
  const density = checkArg(op, 'density', options.density ?? 0.1, num({ min: 0, max: 1, openMin: true }));
  const implicit = checkArg(op, 'implicit', options.implicit ?? false, bool);
  const noise = checkArg(op, 'noise', options.noise ?? (implicit ? 0 : 0.1), num({ min: 0 }));
  const biasStd = checkArg(op, 'biasStd', options.biasStd ?? 0.5, num({ min: 0 }));
  const round = checkArg(op, 'round', options.round ?? false, bool);
  if (round && implicit) throw new ArgumentError(`${op}: round applies only to explicit ratings`);
  const rng = (options.rng === undefined ? defaultGenerator() : checkArg(op, 'rng', options.rng, rngCheck));
  const total = U * I;
  if (total > 2 ** 31 - 1) throw new ArgumentError(`${op}: nUsers·nItems = ${total} is too large`);
  const M = Math.round(density * total);
  if (!implicit && M === 0) throw new ArgumentError(`${op}: density ${density} of ${U}×${I} gives no ratings`);

  const sd = Math.pow(R, -0.25);
  const Uf = rng.fillNormal(new Float32Array(U * R), 0, sd);
  const Vf = rng.fillNormal(new Float32Array(I * R), 0, sd);
  const bu = rng.fillNormal(new Float32Array(U), 0, biasStd);
  const bi = rng.fillNormal(new Float32Array(I), 0, biasStd);
  const mu = implicit ? 0 : 3;

  let users: Int32Array, items: Int32Array, ratings: Float32Array;
  if (!implicit) {
    const cells = floydSample(total, M, rng);
    users = new Int32Array(M);
    items = new Int32Array(M);
    ratings = new Float32Array(M);
    for (let m = 0; m < M; m++) {
      const u = Math.floor(cells[m] / I), i = cells[m] - u * I;
      users[m] = u;
      items[m] = i;
      let r = ratingScore(Uf, Vf, bu, bi, mu, u, i, R) + (noise > 0 ? noise * rng.normal() : 0);
      if (round) r = Math.round(r);
      ratings[m] = r < 1 ? 1 : r > 5 ? 5 : r;
    }
  } else {
    const z = new Float64Array(total);
    for (let u = 0; u < U; u++) {
      for (let i = 0; i < I; i++) z[u * I + i] = 2 * (ratingScore(Uf, Vf, bu, bi, mu, u, i, R) + (noise > 0 ? noise * rng.normal() : 0));
    }
    // Mean of σ(z − τ) falls monotonically in τ; 60 halvings of [−50, 50] pin τ far below float32 resolution.
    let lo = -50, hi = 50;
    for (let it = 0; it < 60; it++) {
      const tau = (lo + hi) / 2;
      let s = 0;
      for (let c = 0; c < total; c++) s += 1 / (1 + Math.exp(tau - z[c]));
      if (s / total > density) lo = tau;
      else hi = tau;
    }
    const tau = (lo + hi) / 2;
    const hit: number[] = [];
    for (let c = 0; c < total; c++) if (rng.random() < 1 / (1 + Math.exp(tau - z[c]))) hit.push(c);
    users = new Int32Array(hit.length);
    items = new Int32Array(hit.length);
    ratings = new Float32Array(hit.length).fill(1);
    for (let m = 0; m < hit.length; m++) {
      users[m] = Math.floor(hit[m] / I);
      items[m] = hit[m] - users[m] * I;
    }
  }
  return {
    users, items, ratings,
    trueU: new Tensor(Uf, [U, R]), trueV: new Tensor(Vf, [I, R]),
    userBias: bu, itemBias: bi, globalMean: mu, noise, nUsers: U, nItems: I,
  };
}

/** s = μ + bᵤ + bᵢ + Σₖ U[u, k]·V[i, k]. Shapes: Uf (U, R), Vf (I, R), bu (U), bi (I). */
function ratingScore(
  Uf: Float32Array, Vf: Float32Array, bu: Float32Array, bi: Float32Array, mu: number, u: number, i: number, R: number,
): number {
  const uRow = u * R, iRow = i * R;
  let acc = mu + bu[u] + bi[i];
  for (let k = 0; k < R; k++) acc += Uf[uRow + k] * Vf[iRow + k];
  return acc;
}

/** M distinct integers from [0, n), sorted ascending (Floyd's algorithm: O(M) draws, no n-sized buffer). */
function floydSample(n: number, M: number, rng: Generator): Int32Array {
  const chosen = new Set<number>();
  for (let j = n - M; j < n; j++) {
    const t = rng.randint(0, j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  const out = Int32Array.from(chosen);
  out.sort();
  return out;
}
