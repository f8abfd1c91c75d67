import { DataLoader, TensorDataset } from '../data/dataset';
import { trainTestSplit } from '../data/split';
import { accuracy, r2 } from '../metrics/index';
import { Identity, ReLU, Sigmoid, Tanh } from '../nn/activations';
import { Linear } from '../nn/layers';
import { binaryCrossEntropyWithLogits, mseLoss } from '../nn/losses';
import type { Module } from '../nn/module';
import { Sequential } from '../nn/sequential';
import { Adam } from '../optim/adam';
import { SGD } from '../optim/sgd';
import { noGrad } from '../tensor/autograd';
import { ArgumentError, FormatError } from '../tensor/errors';
import { crossEntropy, softmax } from '../tensor/ops/softmax';
import { square } from '../tensor/ops/unary';
import type { Generator } from '../tensor/random';
import { Parameter, Tensor } from '../tensor/tensor';
import {
  boolOpt, checkOptions, labelAccuracy, choiceOpt, decodeFloats, decodeTensor, encodeFloats, encodeLabels, encodeTensor, jsonOf,
  notFitted, numOpt, readFeatures, readTargets, rngOpt, uniqueSorted, type FeaturesLike, type TargetsLike,
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

/** The JSON form of {@link MLPClassifier} and {@link MLPRegressor} (see `toJSON`). */
export interface MLPJSON {
  /** Which estimator wrote it. */
  type: 'MLPClassifier' | 'MLPRegressor';
  /** Format version (1). */
  version: 1;
  /** The resolved hyperparameters (no `rng`). */
  params: MLPParams;
  /** The trained state, null before fit. Non-finite numbers are the strings 'NaN', 'Infinity', '-Infinity'. */
  fitted: null | {
    /** Feature count F seen in fit. */
    nFeatures: number;
    /** Width of the output layer (1 for two classes, else K). */
    nOutputs: number;
    /** Classifier labels; regressor: whether y was [N, K]. */
    classes: number[] | null;
    /** Regressor: whether y was [N, K] (false for the classifier). */
    twoD: boolean;
    /** The `Linear` layers in order, input first. */
    layers: Array<{
      /** Weight matrix [out, in]. */
      weight: {
        /** Dimensions, [out, in]. */
        shape: number[];
        /** Values, row-major. */
        data: Array<number | string>;
      };
      /** Bias vector [out]. */
      bias: {
        /** Dimensions, [out]. */
        shape: number[];
        /** Values. */
        data: Array<number | string>;
      };
    }>;
    /** Epochs run. */
    nIter: number;
    /** Mean training loss of each epoch. */
    lossCurve: Array<number | string>;
    /** Validation score of each epoch (empty without early stopping). */
    validationScores: Array<number | string>;
  };
}

const OPTION_KEYS = [
  'hiddenLayerSizes', 'activation', 'solver', 'alpha', 'batchSize', 'learningRateInit', 'maxIter', 'tol', 'nIterNoChange',
  'earlyStopping', 'validationFraction', 'momentum', 'shuffle', 'rng',
];

function resolveParams(op: string, options: unknown): MLPParams {
  const o = checkOptions(op, options, OPTION_KEYS);
  const h = o.hiddenLayerSizes ?? [100];
  if (!Array.isArray(h)) throw new ArgumentError(`${op}: hiddenLayerSizes must be an array of positive integers, got ${typeof h}`);
  const sizes = h.map((v, i) => numOpt(op, `hiddenLayerSizes[${i}]`, v, 0, { min: 1, integer: true }));
  return {
    hiddenLayerSizes: sizes,
    activation: choiceOpt(op, 'activation', o.activation, ['relu', 'tanh', 'logistic', 'identity'], 'relu'),
    solver: choiceOpt(op, 'solver', o.solver, ['adam', 'sgd'], 'adam'),
    alpha: numOpt(op, 'alpha', o.alpha, 1e-4, { min: 0 }),
    batchSize: o.batchSize === undefined || o.batchSize === null ? null : numOpt(op, 'batchSize', o.batchSize, 0, { min: 1, integer: true }),
    learningRateInit: numOpt(op, 'learningRateInit', o.learningRateInit, 1e-3, { min: 0, openMin: true }),
    maxIter: numOpt(op, 'maxIter', o.maxIter, 200, { min: 1, integer: true }),
    tol: numOpt(op, 'tol', o.tol, 1e-4, { min: 0 }),
    nIterNoChange: numOpt(op, 'nIterNoChange', o.nIterNoChange, 10, { min: 1, integer: true }),
    earlyStopping: boolOpt(op, 'earlyStopping', o.earlyStopping, false),
    validationFraction: numOpt(op, 'validationFraction', o.validationFraction, 0.1, { min: 0, max: 1, openMin: true }),
    momentum: numOpt(op, 'momentum', o.momentum, 0.9, { min: 0, max: 1 }),
    shuffle: boolOpt(op, 'shuffle', o.shuffle, true),
  };
}

/**
 * The network F → hidden… → outputs: `Linear` layers from nn with the activation between them and
 * none after the last. Init as scikit-learn (Glorot & Bengio 2010): weights and biases
 * U(−a, a), a = √(6/(fanIn + fanOut)) (√(2/(fanIn + fanOut)) for 'logistic').
 */
function buildNet(F: number, sizes: readonly number[], out: number, activation: MLPActivation, rng: Generator | null): Sequential {
  const dims = [F, ...sizes, out];
  const layers: Module[] = [];
  for (let i = 0; i + 1 < dims.length; i++) {
    const lin = new Linear(dims[i], dims[i + 1], rng === null ? {} : { rng });
    if (rng !== null) {
      const a = Math.sqrt((activation === 'logistic' ? 2 : 6) / (dims[i] + dims[i + 1]));
      rng.fillUniform(lin.weight.data, -a, a);
      rng.fillUniform(lin.bias!.data, -a, a);
    }
    layers.push(lin);
    if (i + 2 < dims.length) {
      layers.push(activation === 'relu' ? new ReLU() : activation === 'tanh' ? new Tanh() : activation === 'logistic' ? new Sigmoid() : new Identity());
    }
  }
  return new Sequential(...layers);
}

function linears(net: Sequential): Linear[] {
  return net.layers().filter((m): m is Linear => m instanceof Linear);
}

/**
 * Shared training loop of the MLP estimators (scikit-learn's `_fit_stochastic`): per epoch, batches
 * from a `DataLoader`, batch loss + α/(2B)·Σ‖W‖², one optimizer step each; `lossCurve` records the
 * sample-weighted mean batch loss of each epoch. Without early stopping the run ends once the epoch
 * loss has failed to beat the best by `tol` more than `nIterNoChange` times in a row; with it, the
 * same rule watches the validation score (accuracy or R²) and the best-scoring weights are kept.
 */
abstract class MLPBase {
  /** The resolved hyperparameters. */
  readonly params: MLPParams;
  /** Generator for init, shuffles and the validation split (undefined: the global one). */
  protected readonly rng: Generator | undefined;
  /** The trained network, null before fit. */
  protected net: Sequential | null = null;
  /** Feature count F seen in fit. */
  protected nFeaturesIn = 0;
  /** Epochs run by the last fit. */
  protected nIterV = 0;
  /** Mean training loss of each epoch. */
  protected curve: number[] = [];
  /** Validation score of each epoch (empty without early stopping). */
  protected valScores: number[] = [];

  /**
   * @param kind Which estimator this is; names it in errors and in the JSON `type`.
   * @param options The {@link MLPOptions}, validated here.
   */
  constructor(protected readonly kind: 'MLPClassifier' | 'MLPRegressor', options: unknown) {
    const o = checkOptions(kind, options, OPTION_KEYS);
    this.params = resolveParams(kind, o);
    this.rng = o.rng === undefined ? undefined : rngOpt(kind, o.rng);
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

  /** The trained network (a `Sequential` of `Linear` layers and activations), to use as a Module. */
  get module(): Sequential {
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
    const rng = this.rng ?? rngOpt(this.kind, undefined);
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
    let epoch = 0;
    this.net = net;
    this.nFeaturesIn = F;
    while (epoch < p.maxIter) {
      epoch++;
      net.train();
      let total = 0;
      for (const [xb, yb] of loader) {
        opt.zeroGrad();
        const b = xb.shape[0];
        let loss = this.dataLoss(net.forward(xb), yb);
        if (p.alpha > 0) {
          let pen = square(weights[0]).sum();
          for (let i = 1; i < weights.length; i++) pen = pen.add(square(weights[i]).sum());
          loss = loss.add(pen.mul(p.alpha / (2 * b)));
        }
        loss.backward();
        opt.step();
        total += loss.item() * b;
      }
      const epochLoss = total / N;
      this.curve.push(epochLoss);
      if (!Number.isFinite(epochLoss)) break;
      if (xVal !== null && yVal !== null) {
        const s = this.scoreRaw(xVal, yVal);
        this.valScores.push(s);
        if (s < bestScore + p.tol) stale++;
        else stale = 0;
        if (s > bestScore) {
          bestScore = s;
          best = params.map((q) => q.data.slice());
        }
      } else {
        if (epochLoss > bestLoss - p.tol) stale++;
        else stale = 0;
        if (epochLoss < bestLoss) bestLoss = epochLoss;
      }
      if (stale > p.nIterNoChange) break;
    }
    if (best !== null) params.forEach((q, i) => q.data.set(best![i]));
    net.eval();
    this.nIterV = epoch;
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

  /** The `fitted` part of {@link MLPJSON}, null before fit. */
  protected fittedJSON(classes: number[] | null, twoD: boolean): MLPJSON['fitted'] {
    if (this.net === null) return null;
    const ls = linears(this.net);
    return {
      nFeatures: this.nFeaturesIn,
      nOutputs: ls[ls.length - 1].outFeatures,
      classes,
      twoD,
      layers: ls.map((l) => ({ weight: encodeTensor(l.weight), bias: encodeTensor(l.bias!) })),
      nIter: this.nIterV,
      lossCurve: encodeFloats(this.curve),
      validationScores: encodeFloats(this.valScores),
    };
  }

  /** Loads the network and curves from the `fitted` part of {@link MLPJSON}. @throws FormatError on malformed layers. */
  protected restore(f: NonNullable<MLPJSON['fitted']>): void {
    const where = `${this.kind}.fromJSON`;
    const net = buildNet(f.nFeatures, this.params.hiddenLayerSizes, f.nOutputs, this.params.activation, null);
    const ls = linears(net);
    if (!Array.isArray(f.layers) || f.layers.length !== ls.length) {
      throw new FormatError(`${where}: expected ${ls.length} layers for hiddenLayerSizes [${this.params.hiddenLayerSizes.join(', ')}], got ${Array.isArray(f.layers) ? f.layers.length : typeof f.layers}`);
    }
    ls.forEach((l, i) => {
      const w = decodeTensor(f.layers[i].weight, `${where}: layers[${i}].weight`);
      const b = decodeTensor(f.layers[i].bias, `${where}: layers[${i}].bias`);
      if (w.size !== l.weight.size || b.size !== l.bias!.size) throw new FormatError(`${where}: layers[${i}] has the wrong size`);
      l.weight.data.set(w.data);
      l.bias!.data.set(b.data);
    });
    net.eval();
    this.net = net;
    this.nFeaturesIn = f.nFeatures;
    this.nIterV = f.nIter;
    this.curve = decodeFloats(f.lossCurve, `${where}: lossCurve`);
    this.valScores = decodeFloats(f.validationScores, `${where}: validationScores`);
  }
}

/**
 * Multi-layer perceptron classifier (scikit-learn's `MLPClassifier`), minimizing the mean
 * cross-entropy + α/(2B)·Σ‖W‖² per batch of B rows: a sigmoid output with binary cross-entropy
 * for two classes, a softmax over K outputs otherwise.
 *
 * Built from nn (`Linear` layers and activation modules in a `Sequential`, see `module`) and
 * trained by a direct loop over the package's `DataLoader` with `Adam` or `SGD` (Nesterov momentum,
 * constant rate). Init: scikit-learn's Glorot-uniform, weights and biases U(−a, a) with
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
    const labels = readTargets(y, X.N, op, false).data;
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

  /** A JSON-safe snapshot (hyperparameters without `rng`, weights, curves); `fromJSON` restores it exactly. */
  toJSON(): MLPJSON {
    return { type: 'MLPClassifier', version: 1, params: { ...this.params, hiddenLayerSizes: [...this.params.hiddenLayerSizes] }, fitted: this.fittedJSON(this.classesV.slice(), false) };
  }

  /**
   * Rebuilds a classifier from {@link MLPClassifier.toJSON} (predictions are identical).
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): MLPClassifier {
    const o = jsonOf(json, 'MLPClassifier');
    const m = new MLPClassifier(o.params as MLPParams as MLPOptions);
    const f = o.fitted as MLPJSON['fitted'];
    if (f !== null && f !== undefined) {
      m.classesV = decodeFloats(f.classes, 'MLPClassifier.fromJSON: classes');
      if (m.classesV.length < 2 || f.nOutputs !== (m.classesV.length === 2 ? 1 : m.classesV.length)) {
        throw new FormatError(`MLPClassifier.fromJSON: ${m.classesV.length} classes do not fit ${f.nOutputs} outputs`);
      }
      m.restore(f);
    }
    return m;
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
 * const reg = new MLPRegressor({ hiddenLayerSizes: [4], activation: 'identity', learningRateInit: 0.01, maxIter: 300, rng: new Generator(0) });
 * reg.fit(x, [-2, -1, 0, 1, 2]).score(x, [-2, -1, 0, 1, 2]) > 0.99; // true
 * reg.predict([[0.25]]).shape; // [1]
 * @throws ArgumentError on a bad option or NaN/±Inf in x or y; ShapeError on mis-sized y or a
 *   feature count that differs from fit; TensorkitError `NOT_FITTED` before fit.
 * @see Kingma & Ba, "Adam: a method for stochastic optimization", ICLR 2015.
 * @category Models
 */
export class MLPRegressor extends MLPBase {
  private twoD = false;

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

  /** A JSON-safe snapshot (hyperparameters without `rng`, weights, curves); `fromJSON` restores it exactly. */
  toJSON(): MLPJSON {
    return { type: 'MLPRegressor', version: 1, params: { ...this.params, hiddenLayerSizes: [...this.params.hiddenLayerSizes] }, fitted: this.fittedJSON(null, this.twoD) };
  }

  /**
   * Rebuilds a regressor from {@link MLPRegressor.toJSON} (predictions are identical).
   * @throws FormatError on a malformed object.
   */
  static fromJSON(json: unknown): MLPRegressor {
    const o = jsonOf(json, 'MLPRegressor');
    const m = new MLPRegressor(o.params as MLPParams as MLPOptions);
    const f = o.fitted as MLPJSON['fitted'];
    if (f !== null && f !== undefined) {
      m.twoD = f.twoD === true;
      m.restore(f);
    }
    return m;
  }
}
