import { ArgumentError, Generator, ShapeError, Tensor, defaultGenerator } from '../../tensor/index';
import { arrayOf, bool, checkArg, oneOf, parseOptions, posInt, rng as rngCheck } from '../../tensor/options';
import { fmtShape } from '../../tensor/errors';
import { describe } from '../../tensor/shape';
import { BatchNorm1d, Dropout, Linear, Module, type ModuleConfig } from '../../nn/index';
import { ACTIVATIONS, activationModule, dropoutProb, type FamilyActivation } from './util';

/** Options of {@link MLP}. */
export interface MLPOptions {
  /** Features per input row. Required. */
  inFeatures: number;
  /** Widths of the hidden layers, in order (default [64]; [] gives a linear model). */
  hiddenSizes?: number[];
  /** Outputs per row (classes for logits, targets for regression). Required. */
  outFeatures: number;
  /** Hidden activation (default 'relu'). */
  activation?: FamilyActivation;
  /** Dropout probability after each hidden activation, in training (default 0). */
  dropout?: number;
  /** BatchNorm1d between each hidden Linear and its activation (default false). */
  batchNorm?: boolean;
  /** Generator of the initial weights and dropout masks (default: the global one). Not saved in config(). */
  rng?: Generator;
}

const SPEC = {
  inFeatures: posInt, hiddenSizes: arrayOf(posInt), outFeatures: posInt, activation: oneOf(ACTIVATIONS), dropout: dropoutProb,
  batchNorm: bool, rng: rngCheck,
};

/**
 * Multilayer perceptron: for each hidden width hᵢ, x ← dropout(act(bn(x·Wᵢᵀ + bᵢ))), then a final
 * Linear to `outFeatures` (no activation: logits for `crossEntropy`, values for `mseLoss`). The
 * layers are the array field `layers` (state-dict names `layers.0.weight`, …).
 * Shapes: x (B, inFeatures) → (B, outFeatures).
 * Init: every Linear as `Linear` (U(−k, k), k = 1/√fanIn); batch norms weight 1, bias 0.
 * @example
 * const mlp = new MLP({ inFeatures: 2, hiddenSizes: [16, 16], outFeatures: 3, rng: new Generator(0) });
 * mlp.forward(zeros([5, 2])).shape; // [5, 3]
 * mlp.numParameters(); // 371
 * mlp.config().options; // { inFeatures: 2, hiddenSizes: [16, 16], outFeatures: 3, activation: 'relu', dropout: 0, batchNorm: false }
 * @throws ArgumentError on a missing or malformed option; ShapeError from forward.
 * @category Models
 */
export class MLP extends Module {
  /** Linear, [BatchNorm1d], activation, [Dropout] per hidden layer, then the output Linear. */
  readonly layers: Module[];
  private readonly opts: Required<Omit<MLPOptions, 'rng'>>;

  constructor(options: MLPOptions) {
    super();
    const op = 'MLP';
    const o = parseOptions(op, options, SPEC);
    // Required: a missing one fails its check on undefined ("must be an integer ≥ 1, got undefined").
    const inFeatures = checkArg(op, 'inFeatures', o.inFeatures, posInt);
    const outFeatures = checkArg(op, 'outFeatures', o.outFeatures, posInt);
    const hiddenSizes = o.hiddenSizes ?? [64];
    const activation = o.activation ?? 'relu';
    const p = o.dropout ?? 0;
    const batchNorm = o.batchNorm ?? false;
    const rng = o.rng ?? defaultGenerator();
    this.layers = [];
    let width = inFeatures;
    for (const h of hiddenSizes) {
      this.layers.push(new Linear(width, h, { rng }));
      if (batchNorm) this.layers.push(new BatchNorm1d(h));
      this.layers.push(activationModule(activation));
      if (p > 0) this.layers.push(new Dropout(p, { rng }));
      width = h;
    }
    this.layers.push(new Linear(width, outFeatures, { rng }));
    this.opts = { inFeatures, hiddenSizes: [...hiddenSizes], outFeatures, activation, dropout: p, batchNorm };
  }

  /** Runs the layers in order on x (B, inFeatures). */
  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) throw new ArgumentError(`MLP: x must be a Tensor, got ${describe(x)}`);
    if (x.ndim !== 2 || x.shape[1] !== this.opts.inFeatures) throw new ShapeError(`MLP: x ${fmtShape(x.shape)} must be [B, ${this.opts.inFeatures}]`);
    let h = x;
    for (const l of this.layers) h = (l.forward as (t: Tensor) => Tensor)(h);
    return h;
  }

  /** `{ type: 'MLP', options }` with every option resolved (rng excepted); `new MLP(options)` rebuilds it. */
  override config(): ModuleConfig {
    return { type: 'MLP', options: { ...this.opts, hiddenSizes: [...this.opts.hiddenSizes] } };
  }
}
