import { DataLoader, TensorDataset } from '../data/dataset';
import { trainTestSplit } from '../data/split';
import { accuracy, r2 } from '../metrics/index';
import {
  asFormat, checkState, savableFromJSON, savableToJSON, stateScalar, stateValues, typed,
  type LoadStateOptions, type LoadStateResult, type SavableJSON, type SavableState,
} from '../data/savable';
import { Linear } from '../nn/layers';
import { binaryCrossEntropyWithLogits, mseLoss } from '../nn/losses';
import type { ModuleConfig } from '../nn/module';
import { Adam } from '../optim/adam';
import { SGD } from '../optim/sgd';
import { fitSync } from '../train/fit';
import { noGrad } from '../tensor/autograd';
import { ArgumentError } from '../tensor/errors';
import { crossEntropy, softmax } from '../tensor/ops/softmax';
import { square } from '../tensor/ops/unary';
import { arrayOf, bool, nonNeg, nullable, num, oneOf, parseOptions, posInt, positive, prob, rng as rngCheck } from '../tensor/options';
import { defaultGenerator, type Generator } from '../tensor/random';
import { Parameter, Tensor } from '../tensor/tensor';
import { MLP } from './families/mlp';
import type { FamilyActivation } from './families/util';
import {
  labelAccuracy, encodeLabels, notFitted, readFeatures, readLabels, readTargets, uniqueSorted, type FeaturesLike, type TargetsLike,
} from './estimator';

/** Hidden-layer activation of the MLP estimators (scikit-learn's names). */
export type MLPActivation = 'relu' | 'tanh' | 'logistic' | 'identity';

/** Options of {@link MLPClassifier} and {@link MLPRegressor} (scikit-learn's, in camelCase). */
export interface MLPOptions {
  /** Width of each hidden layer (default [100]). */
  hiddenLayerSizes?: readonly number[];
  /** Hidden activation (default 'relu'). */
  activation?: MLPActivation;
  /** `'adam'` (default) or `'sgd'` (the package's SGD with Nesterov momentum, constant rate). */
  solver?: 'adam' | 'sgd';
  /** L2 strength α: the batch loss gets + α/(2B)·Σ‖W‖² over weight matrices, not biases (default 1e-4). */
  alpha?: number;
  /** Rows per batch (default min(200, N)). */
  batchSize?: number;
  /** Learning rate (default 1e-3). */
  learningRateInit?: number;
  /** Most epochs (default 200). */
  maxIter?: number;
  /** Improvement threshold of the stopping rule (default 1e-4). */
  tol?: number;
  /** Epochs without a `tol` improvement before stopping (default 10). */
  nIterNoChange?: number;
  /** Hold out `validationFraction` of the data and stop on its score (default false). */
  earlyStopping?: boolean;
  /** Held-out fraction for early stopping, in (0, 1) (default 0.1). */
  validationFraction?: number;
  /** Momentum of solver 'sgd' (default 0.9). */
  momentum?: number;
  /** Reshuffle the rows every epoch (default true). */
  shuffle?: boolean;
  /** Generator for the initial weights, shuffles and the validation split (default: the global one). */
  rng?: Generator;
}

/** The resolved hyperparameters of an MLP estimator (`batchSize` null means min(200, N)). */
export interface MLPParams {
  /** Width of each hidden layer. */
  hiddenLayerSizes: number[];
  /** Hidden activation. */
  activation: MLPActivation;
  /** Optimizer: `'adam'` or `'sgd'` (Nesterov momentum, constant rate). */
  solver: 'adam' | 'sgd';
  /** L2 strength α on the weight matrices, ≥ 0. */
  alpha: number;
  /** Rows per batch; null means min(200, N). */
  batchSize: number | null;
  /** Learning rate, > 0. */
  learningRateInit: number;
  /** Most epochs. */
  maxIter: number;
  /** Improvement threshold of the stopping rule. */
  tol: number;
  /** Epochs without a `tol` improvement before stopping. */
  nIterNoChange: number;
  /** Whether a held-out split's score drives stopping. */
  earlyStopping: boolean;
  /** Held-out fraction for early stopping. */
  validationFraction: number;
  /** Momentum of solver 'sgd', in [0, 1]. */
  momentum: number;
  /** Whether the rows are reshuffled every epoch. */
  shuffle: boolean;
}

/**
 * The JSON form of {@link MLPClassifier} and {@link MLPRegressor} (see `toJSON`): `config().options`
 * and the state dict (the network's `layers.{i}.weight`/`bias`, `nIter`, `lossCurve`,
 * `validationScores`, and `classes` or `twoD`; empty before fit).
 */
export type MLPJSON = SavableJSON<'MLPClassifier' | 'MLPRegressor'>;

const SPEC = {
  hiddenLayerSizes: arrayOf(posInt), activation: oneOf(['relu', 'tanh', 'logistic', 'identity'] as const), solver: oneOf(['adam', 'sgd'] as const),
  alpha: nonNeg, batchSize: nullable(posInt), learningRateInit: positive, maxIter: posInt, tol: nonNeg, nIterNoChange: posInt,
  earlyStopping: bool, validationFraction: num({ min: 0, max: 1, openMin: true }), momentum: prob, shuffle: bool, rng: rngCheck,
};

const DEFAULTS: MLPParams = {
  hiddenLayerSizes: [100], activation: 'relu', solver: 'adam', alpha: 1e-4, batchSize: null, learningRateInit: 1e-3, maxIter: 200,
  tol: 1e-4, nIterNoChange: 10, earlyStopping: false, validationFraction: 0.1, momentum: 0.9, shuffle: true,
};

/** scikit-learn's activation names as the family MLP's. */
const FAMILY_ACTIVATION: Record<MLPActivation, FamilyActivation> = { relu: 'relu', tanh: 'tanh', logistic: 'sigmoid', identity: 'identity' };

/**
 * The network F → hidden… → outputs: the family {@link MLP} (Linear layers with the activation
 * between them and none after the last). Init as scikit-learn (Glorot & Bengio 2010): weights and
 * biases U(−a, a), a = √(6/(fanIn + fanOut)) (√(2/(fanIn + fanOut)) for 'logistic').
 */
function buildNet(F: number, sizes: readonly number[], out: number, activation: MLPActivation, rng: Generator | null): MLP {
  const net = new MLP({ inFeatures: F, hiddenSizes: [...sizes], outFeatures: out, activation: FAMILY_ACTIVATION[activation], ...(rng === null ? {} : { rng }) });
  if (rng !== null) {
    for (const lin of linears(net)) {
      const a = Math.sqrt((activation === 'logistic' ? 2 : 6) / (lin.inFeatures + lin.outFeatures));
      rng.fillUniform(lin.weight.data, -a, a);
      rng.fillUniform(lin.bias!.data, -a, a);
    }
  }
  return net;
}

function linears(net: MLP): Linear[] {
  return net.layers.filter((m): m is Linear => m instanceof Linear);
}

/**
 * Shared training of the MLP estimators (scikit-learn's `_fit_stochastic`), run by `fit` from train:
 * per epoch, batches from a `DataLoader`, batch loss + α/(2B)·Σ‖W‖², one optimizer step each;
 * `lossCurve` is fit's epoch `loss` (the sample-weighted mean batch loss). A callback applies
 * scikit-learn's stopping rule after each epoch: without early stopping the run ends once the
 * epoch loss has failed to beat the best by `tol` more than `nIterNoChange` times in a row; with
 * it, the same rule watches the validation score (accuracy or R²) and the best-scoring weights are
 * kept.
 */
abstract class MLPBase {
  /** The resolved hyperparameters. */
  readonly params: MLPParams;
  /** Generator for init, shuffles and the validation split (undefined: the global one). */
  protected readonly rng: Generator | undefined;
  /** The trained network, null before fit. */
  protected net: MLP | null = null;
  /** Feature count F seen in fit. */
  protected nFeaturesIn = 0;
  /** Epochs run by the last fit. */
  protected nIterV = 0;
  /** Mean training loss of each epoch. */
  protected curve: number[] = [];
  /** Validation score of each epoch (empty without early stopping). */
  protected valScores: number[] = [];

  /**
   * @param kind Which estimator this is; names it in errors and in `config().type`.
   * @param options The {@link MLPOptions} (or `config().options`), validated here.
   */
  constructor(protected readonly kind: 'MLPClassifier' | 'MLPRegressor', options: unknown) {
    const { rng, ...o } = parseOptions(kind, options, SPEC);
    this.params = { ...DEFAULTS, ...o, hiddenLayerSizes: [...(o.hiddenLayerSizes ?? DEFAULTS.hiddenLayerSizes)] };
    this.rng = rng;
  }

  /** Number of epochs run. @throws TensorkitError `NOT_FITTED` before fit. */
  get nIter(): number {
    if (this.net === null) throw notFitted(this.kind, 'nIter');
    return this.nIterV;
  }

  /** Mean training loss (with the α term) of each epoch. */
  get lossCurve(): number[] {
    if (this.net === null) throw notFitted(this.kind, 'lossCurve');
    return this.curve.slice();
  }

  /** Validation score of each epoch (empty without `earlyStopping`). */
  get validationScores(): number[] {
    if (this.net === null) throw notFitted(this.kind, 'validationScores');
    return this.valScores.slice();
  }

  /** Weight matrices of the layers, [out, in] each (PyTorch layout; scikit-learn's `coefs_` transposed). */
  get coefs(): Tensor[] {
    if (this.net === null) throw notFitted(this.kind, 'coefs');
    return linears(this.net).map((l) => l.weight.clone());
  }

  /** Bias vectors of the layers (scikit-learn's `intercepts_`). */
  get intercepts(): Tensor[] {
    if (this.net === null) throw notFitted(this.kind, 'intercepts');
    return linears(this.net).map((l) => l.bias!.clone());
  }

  /** The trained network, the family {@link MLP} (Linear layers and activations), to use as a Module. */
  get module(): MLP {
    if (this.net === null) throw notFitted(this.kind, 'module');
    return this.net;
  }

  /** Data loss of a batch: mean over rows. */
  protected abstract dataLoss(out: Tensor, target: Tensor): Tensor;
  /** Score on held-out rows (accuracy or R²). */
  protected abstract scoreRaw(x: Tensor, y: Tensor): number;

  /** Trains a fresh network on x [N, F] → targets (already in the loss's form), nOut outputs. */
  protected train(x: Tensor, target: Tensor, nOut: number, stratify: Tensor | null): void {
    const p = this.params;
    const rng = this.rng ?? defaultGenerator();
    const F = x.shape[1];
    let xTrain = x, yTrain = target, xVal: Tensor | null = null, yVal: Tensor | null = null;
    if (p.earlyStopping) {
      const s = trainTestSplit(x, target, { testSize: p.validationFraction, rng, ...(stratify === null ? {} : { stratify }) });
      ({ xTrain, yTrain } = s);
      xVal = s.xTest;
      yVal = s.yTest;
    }
    const N = xTrain.shape[0];
    const net = buildNet(F, p.hiddenLayerSizes, nOut, p.activation, rng);
    const weights: Parameter[] = linears(net).map((l) => l.weight);
    const B = Math.min(p.batchSize ?? 200, N);
    const loader = new DataLoader(new TensorDataset(xTrain, yTrain), { batchSize: B, shuffle: p.shuffle, rng });
    const opt: Adam | SGD = p.solver === 'adam'
      ? new Adam(net.parameters(), { lr: p.learningRateInit })
      : new SGD(net.parameters(), { lr: p.learningRateInit, momentum: p.momentum, nesterov: p.momentum > 0 });
    this.curve = [];
    this.valScores = [];
    let bestLoss = Infinity, bestScore = -Infinity, stale = 0;
    let best: Float32Array[] | null = null;
    const params = net.parameters();
    this.net = net;
    this.nFeaturesIn = F;
    const loss = (out: Tensor, yb: Tensor): Tensor => {
      const l = this.dataLoss(out, yb);
      if (p.alpha === 0) return l;
      let pen = square(weights[0]).sum();
      for (let i = 1; i < weights.length; i++) pen = pen.add(square(weights[i]).sum());
      return l.add(pen.mul(p.alpha / (2 * out.shape[0])));
    };
    const history = fitSync(net, {
      data: loader, loss, optimizer: opt, epochs: p.maxIter,
      callbacks: [{
        onEpochEnd: (_epoch, logs, ctx) => {
          const epochLoss = logs.loss;
          this.curve.push(epochLoss);
          if (!Number.isFinite(epochLoss)) {
            ctx.stopTraining = true;
            return;
          }
          if (xVal !== null && yVal !== null) {
            const sc = this.scoreRaw(xVal, yVal);
            this.valScores.push(sc);
            if (sc < bestScore + p.tol) stale++;
            else stale = 0;
            if (sc > bestScore) {
              bestScore = sc;
              best = params.map((q) => q.data.slice());
            }
          } else {
            if (epochLoss > bestLoss - p.tol) stale++;
            else stale = 0;
            if (epochLoss < bestLoss) bestLoss = epochLoss;
          }
          if (stale > p.nIterNoChange) ctx.stopTraining = true;
        },
      }],
    });
    const kept = best as Float32Array[] | null;
    if (kept !== null) params.forEach((q, i) => q.data.set(kept[i]));
    net.eval();
    this.nIterV = history.epochs.length;
  }

  /** Network outputs for validated x. */
  protected forward(x: FeaturesLike, method: string): {
    /** Raw outputs [N, nOutputs] (logits for the classifier). */
    out: Tensor;
    /** Number of rows. */
    N: number;
  } {
    if (this.net === null) throw notFitted(this.kind, method);
    const X = readFeatures(x, `${this.kind}.${method}`, this.nFeaturesIn);
    const net = this.net;
    const out = noGrad(() => net.forward(new Tensor(X.data, [X.N, X.F])));
    return { out, N: X.N };
  }

  /** `{ type, options }`: the hyperparameters (without `rng`), which the constructor accepts back. */
  config(): ModuleConfig {
    return { type: this.kind, options: { ...this.params, hiddenLayerSizes: [...this.params.hiddenLayerSizes] } };
  }

  /**
   * The fitted state: the network's own tensors (`layers.{i}.weight` [out, in], `layers.{i}.bias`
   * [out], the family MLP's names), `nIter` [], `lossCurve` [epochs], `validationScores` [epochs or
   * 0], plus the estimator's own entries; empty before fit.
   */
  stateDict(): SavableState {
    if (this.net === null) return {};
    return {
      ...this.net.stateDict(),
      nIter: new Tensor(new Float32Array([this.nIterV]), []),
      lossCurve: typed('F64', Float64Array.from(this.curve), [this.curve.length]),
      validationScores: typed('F64', Float64Array.from(this.valScores), [this.valScores.length]),
      ...this.ownState(),
    };
  }

  /** The estimator's own state entries (classes or twoD). */
  protected abstract ownState(): SavableState;
  /** Their keys. */
  protected abstract ownKeys(): string[];
  /** Restores them from a checked state dict, given the output width; throws on a mismatch. */
  protected abstract loadOwn(op: string, sd: SavableState, nOut: number): void;

  /**
   * Restores a fitted state from `stateDict()` (an empty one unfits the estimator): the network is
   * rebuilt from `hiddenLayerSizes` and the layer shapes.
   * @throws TensorkitError `INVALID_ARGUMENT` on missing keys (or unexpected ones with `strict`);
   *   ShapeError on layer shapes that do not fit `hiddenLayerSizes`.
   */
  loadStateDict(sd: SavableState, options: LoadStateOptions = {}): LoadStateResult {
    const op = `${this.kind}.loadStateDict`;
    const L = this.params.hiddenLayerSizes.length + 1;
    const layerKeys: string[] = [];
    for (let i = 0; i < L; i++) layerKeys.push(`layers.${2 * i}.weight`, `layers.${2 * i}.bias`);
    const r = checkState(op, sd, [...layerKeys, 'nIter', 'lossCurve', 'validationScores', ...this.ownKeys()], [], options);
    if (r.empty) {
      this.net = null;
      return r;
    }
    const first = sd['layers.0.weight'], last = sd[`layers.${2 * (L - 1)}.weight`];
    if (first.shape.length !== 2 || last.shape.length !== 2) throw new ArgumentError(`${op}: layer weights must be [out, in]`);
    const net = buildNet(first.shape[1], this.params.hiddenLayerSizes, last.shape[0], this.params.activation, null);
    const own: Record<string, Tensor> = {};
    for (const k of layerKeys) {
      const t = sd[k];
      own[k] = t instanceof Tensor ? t : new Tensor(Float32Array.from(t.data as ArrayLike<number>), [...t.shape]);
    }
    net.loadStateDict(own);
    this.loadOwn(op, sd, last.shape[0]);
    net.eval();
    this.net = net;
    this.nFeaturesIn = first.shape[1];
    this.nIterV = stateScalar(op, sd, 'nIter');
    this.curve = Array.from(stateValues(op, sd, 'lossCurve', [-1]));
    this.valScores = Array.from(stateValues(op, sd, 'validationScores', [-1]));
    return r;
  }

  /** A JSON-safe snapshot, `config()` and `stateDict()` as {@link MLPJSON}; `fromJSON` restores it exactly. */
  toJSON(): MLPJSON {
    return savableToJSON(this.kind, this.config().options ?? {}, this.stateDict());
  }
}

/** `fromJSON` of both estimators: `new C(options)` + `loadStateDict(state)`. */
function mlpFromJSON<T extends MLPBase>(json: unknown, kind: 'MLPClassifier' | 'MLPRegressor', make: (o: MLPOptions) => T): T {
  const { options, state } = savableFromJSON(json, kind);
  return asFormat(`${kind}.fromJSON`, () => {
    const m = make(options as MLPOptions);
    m.loadStateDict(state);
    return m;
  });
}

/**
 * Multi-layer perceptron classifier (scikit-learn's `MLPClassifier`), minimizing the mean
 * cross-entropy + α/(2B)·Σ‖W‖² per batch of B rows: a sigmoid output with binary cross-entropy
 * for two classes, a softmax over K outputs otherwise.
 *
 * The network is the family {@link MLP} (see `module`), trained by `fit` from train over the
 * package's `DataLoader` with `Adam` or `SGD` (Nesterov momentum, constant rate). Init: scikit-learn's Glorot-uniform, weights and biases U(−a, a) with
 * a = √(6/(fanIn + fanOut)) (√(2/(fanIn + fanOut)) for 'logistic'). Stopping and early stopping
 * follow scikit-learn (see {@link MLPOptions}); the best validation weights are restored.
 *
 * Shapes: x [N, F], y [N] labels; predict → [N]; predictProba → [N, K] in the order of `classes`.
 * @example
 * const x = [[0, 0], [0, 1], [1, 0], [1, 1]];
 * const clf = new MLPClassifier({ hiddenLayerSizes: [8], activation: 'tanh', learningRateInit: 0.05, maxIter: 300, rng: new Generator(0) });
 * clf.fit(x, [0, 1, 1, 0]).predict(x).toArray(); // [0, 1, 1, 0]
 * clf.classes; // [0, 1]
 * @throws ArgumentError on a bad option, NaN/±Inf in x, fewer than two classes, or labels at score
 *   that fit never saw; ShapeError on mis-sized y or a feature count that differs from fit;
 *   TensorkitError `NOT_FITTED` before fit.
 * @see Kingma & Ba, "Adam: a method for stochastic optimization", ICLR 2015.
 * @see Glorot & Bengio, "Understanding the difficulty of training deep feedforward neural networks", AISTATS 2010.
 * @category Models
 */
export class MLPClassifier extends MLPBase {
  private classesV: number[] = [];

  /** Takes {@link MLPOptions}, or `config().options` of another MLPClassifier. */
  constructor(options: MLPOptions = {}) {
    super('MLPClassifier', options);
  }

  /** The class labels seen in fit, sorted. */
  get classes(): number[] {
    if (this.net === null) throw notFitted('MLPClassifier', 'classes');
    return this.classesV.slice();
  }

  /**
   * Trains a fresh network on x [N, F] and labels y [N]; returns this.
   * @throws ArgumentError on NaN/±Inf, an empty x or a single class; ShapeError if y does not have N rows.
   */
  fit(x: FeaturesLike, y: TargetsLike): this {
    const op = 'MLPClassifier.fit';
    const X = readFeatures(x, op);
    const labels = readLabels(y, X.N, op);
    const classes = uniqueSorted(labels);
    if (classes.length < 2) throw new ArgumentError(`${op}: y needs at least two classes, got ${classes.length} (${classes.join(', ')})`);
    const idx = encodeLabels(labels, classes, op);
    const K = classes.length;
    const target = K === 2 ? new Tensor(Float32Array.from(idx), [X.N, 1]) : new Tensor(Float32Array.from(idx), [X.N]);
    this.classesV = classes;
    this.train(new Tensor(X.data, [X.N, X.F]), target, K === 2 ? 1 : K, new Tensor(Float32Array.from(idx), [X.N]));
    return this;
  }

  protected dataLoss(out: Tensor, target: Tensor): Tensor {
    return this.classesV.length === 2 ? binaryCrossEntropyWithLogits(out, target) : crossEntropy(out, target);
  }

  protected scoreRaw(x: Tensor, y: Tensor): number {
    const net = this.net!;
    const out = noGrad(() => net.forward(x));
    return accuracy(argmaxIndices(out, this.classesV.length), y.reshape([y.size]));
  }

  /**
   * Class probabilities, columns in the order of `classes`.
   * Shapes: x [N, F] → [N, K].
   * @throws as {@link MLPClassifier.predict}.
   */
  predictProba(x: FeaturesLike): Tensor {
    const { out, N } = this.forward(x, 'predictProba');
    if (this.classesV.length > 2) return softmax(out, -1);
    const p = new Float32Array(2 * N);
    for (let n = 0; n < N; n++) {
      const p1 = 1 / (1 + Math.exp(-out.data[n]));
      p[2 * n] = 1 - p1;
      p[2 * n + 1] = p1;
    }
    return new Tensor(p, [N, 2]);
  }

  /**
   * Predicted labels (the most probable class).
   * Shapes: x [N, F] → [N].
   * @throws TensorkitError `NOT_FITTED` before fit; ShapeError if F differs from fit; ArgumentError on NaN/±Inf.
   */
  predict(x: FeaturesLike): Tensor {
    const { out } = this.forward(x, 'predict');
    const idx = argmaxIndices(out, this.classesV.length);
    const labels = new Float32Array(idx.size);
    for (let i = 0; i < idx.size; i++) labels[i] = this.classesV[idx.data[i]];
    return new Tensor(labels, [idx.size]);
  }

  /**
   * Accuracy of `predict(x)` against the labels y.
   * @throws as {@link MLPClassifier.predict}; ArgumentError if y holds a label fit never saw.
   */
  score(x: FeaturesLike, y: TargetsLike): number {
    const pred = this.predict(x);
    const labels = readTargets(y, pred.size, 'MLPClassifier.score', false).data;
    return labelAccuracy(labels, pred.data, this.classesV, 'MLPClassifier.score');
  }

  protected ownState(): SavableState {
    return { classes: new Tensor(Float32Array.from(this.classesV), [this.classesV.length]) };
  }

  protected ownKeys(): string[] {
    return ['classes'];
  }

  protected loadOwn(op: string, sd: SavableState, nOut: number): void {
    const classes = Array.from(stateValues(op, sd, 'classes', [-1]));
    if (classes.length < 2 || nOut !== (classes.length === 2 ? 1 : classes.length)) {
      throw new ArgumentError(`${op}: ${classes.length} classes do not fit ${nOut} outputs`);
    }
    this.classesV = classes;
  }

  /**
   * Rebuilds a classifier from {@link MLPClassifier.toJSON} (predictions are identical).
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): MLPClassifier {
    return mlpFromJSON(json, 'MLPClassifier', (o) => new MLPClassifier(o));
  }
}

/** Class index per row: sign of the logit for one output, else the argmax. */
function argmaxIndices(out: Tensor, K: number): Tensor {
  const N = out.shape[0];
  const R = out.size / N;
  const idx = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    if (K === 2) {
      idx[n] = out.data[n] > 0 ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let r = 1; r < R; r++) if (out.data[n * R + r] > out.data[n * R + best]) best = r;
    idx[n] = best;
  }
  return new Tensor(idx, [N]);
}

/**
 * Multi-layer perceptron regressor (scikit-learn's `MLPRegressor`), minimizing ½·mean (y − ŷ)² +
 * α/(2B)·Σ‖W‖² per batch of B rows, with an identity output layer. Training, init and stopping are
 * those of {@link MLPClassifier}; early stopping watches the validation R².
 *
 * Shapes: x [N, F], y [N] or [N, K]; predict → [N] or [N, K].
 * @example
 * // y = 2x learned by a network with a linear ('identity') hidden layer:
 * const x = [[-1], [-0.5], [0], [0.5], [1]];
 * const reg = new MLPRegressor({ hiddenLayerSizes: [4], activation: 'identity', learningRateInit: 0.01, maxIter: 300, rng: new Generator(2) });
 * reg.fit(x, [-2, -1, 0, 1, 2]).score(x, [-2, -1, 0, 1, 2]) > 0.99; // true
 * reg.predict([[0.25]]).shape; // [1]
 * @throws ArgumentError on a bad option or NaN/±Inf in x or y; ShapeError on mis-sized y or a
 *   feature count that differs from fit; TensorkitError `NOT_FITTED` before fit.
 * @see Kingma & Ba, "Adam: a method for stochastic optimization", ICLR 2015.
 * @category Models
 */
export class MLPRegressor extends MLPBase {
  private twoD = false;

  /** Takes {@link MLPOptions}, or `config().options` of another MLPRegressor. */
  constructor(options: MLPOptions = {}) {
    super('MLPRegressor', options);
  }

  /**
   * Trains a fresh network on x [N, F] and y [N] or [N, K]; returns this.
   * @throws ArgumentError on NaN/±Inf or an empty x; ShapeError if y does not have N rows.
   */
  fit(x: FeaturesLike, y: TargetsLike): this {
    const op = 'MLPRegressor.fit';
    const X = readFeatures(x, op);
    const Y = readTargets(y, X.N, op);
    this.twoD = Y.twoD;
    this.train(new Tensor(X.data, [X.N, X.F]), new Tensor(Y.data, [X.N, Y.K]), Y.K, null);
    return this;
  }

  protected dataLoss(out: Tensor, target: Tensor): Tensor {
    return mseLoss(out, target).mul(0.5);
  }

  protected scoreRaw(x: Tensor, y: Tensor): number {
    const net = this.net!;
    return r2(y, noGrad(() => net.forward(x)));
  }

  /**
   * Predictions of the network.
   * Shapes: x [N, F] → [N] (or [N, K] when fitted on y [N, K]).
   * @throws TensorkitError `NOT_FITTED` before fit; ShapeError if F differs from fit; ArgumentError on NaN/±Inf.
   */
  predict(x: FeaturesLike): Tensor {
    const { out, N } = this.forward(x, 'predict');
    return this.twoD ? out : out.reshape([N]);
  }

  /**
   * R² of `predict(x)` against y (averaged uniformly over targets, as scikit-learn's `score`).
   * @throws as {@link MLPRegressor.predict}; ShapeError if y does not match the predictions.
   */
  score(x: FeaturesLike, y: TargetsLike): number {
    const pred = this.predict(x);
    const Y = readTargets(y, pred.shape[0], 'MLPRegressor.score');
    return r2(new Tensor(Y.data, Y.twoD ? [pred.shape[0], Y.K] : [pred.shape[0]]), pred);
  }

  protected ownState(): SavableState {
    return { twoD: new Tensor(new Float32Array([this.twoD ? 1 : 0]), []) };
  }

  protected ownKeys(): string[] {
    return ['twoD'];
  }

  protected loadOwn(op: string, sd: SavableState, nOut: number): void {
    const twoD = stateScalar(op, sd, 'twoD') !== 0;
    if (!twoD && nOut !== 1) throw new ArgumentError(`${op}: twoD is 0 but the network has ${nOut} outputs`);
    this.twoD = twoD;
  }

  /**
   * Rebuilds a regressor from {@link MLPRegressor.toJSON} (predictions are identical).
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): MLPRegressor {
    return mlpFromJSON(json, 'MLPRegressor', (o) => new MLPRegressor(o));
  }
}
