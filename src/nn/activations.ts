import { Tensor, elu, gelu, leakyRelu, relu, sigmoid, softmax, softplus, tanh } from '../tensor/index';
import { finite, int, oneOf, parseOptions, positive } from '../tensor/options';
import { type LayerConfig, type OptionlessConfig, layerArgs } from './config';
import { Module } from './module';

/** The single-argument form of {@link GELU}: what its `config().options` returns. */
export interface GELUConfig {
  /** `'none'` for the exact erf form (default), `'tanh'` for the approximation. */
  approximate?: 'none' | 'tanh';
}

/** The single-argument form of {@link LeakyReLU}: what its `config().options` returns. */
export interface LeakyReLUConfig {
  /** Slope for x < 0 (default 0.01). */
  negativeSlope?: number;
}

/** The single-argument form of {@link ELU}: what its `config().options` returns. */
export interface ELUConfig {
  /** α in α(eˣ − 1) for x ≤ 0 (default 1). */
  alpha?: number;
}

/** The single-argument form of {@link Softplus}: what its `config().options` returns. */
export interface SoftplusConfig {
  /** β (default 1). */
  beta?: number;
  /** Above βx > threshold the result is x (default 20). */
  threshold?: number;
}

/** The single-argument form of {@link Softmax}: what its `config().options` returns. */
export interface SoftmaxConfig {
  /** The axis whose entries sum to 1 (default −1). */
  axis?: number;
}

/** max(x, 0) as a module. @example new ReLU().forward(tensor([-1, 2])).toArray(); // [0, 2] @category Activations */
export class ReLU extends Module {
  /** @param options - None: accepted only so that `new ReLU(m.config().options)` works; any key is refused. */
  constructor(options?: Record<string, never>) {
    super();
    parseOptions('ReLU', options, {});
  }
  forward(x: Tensor): Tensor {
    return relu(x);
  }
  override config(): OptionlessConfig {
    return { type: 'ReLU' };
  }
}

/**
 * GELU as a module; exact erf form by default, `'tanh'` for the approximation.
 * @example new GELU().forward(tensor([0])).toArray(); // [0]
 * @category Activations
 */
export class GELU extends Module {
  /** `'none'` (exact, the default) or `'tanh'`. */
  readonly approximate: 'none' | 'tanh';
  /** Builds the module from its config object (`m.config().options`). */
  constructor(config: GELUConfig);
  /** @param approximate - `'none'` for the exact x·Φ(x) with erf (default), `'tanh'` for the tanh approximation. */
  constructor(approximate?: 'none' | 'tanh');
  constructor(approximate?: 'none' | 'tanh' | GELUConfig) {
    super();
    this.approximate = layerArgs('GELU', { approximate: oneOf<'none' | 'tanh'>(['none', 'tanh']) }, ['approximate'], [approximate], undefined, []).approximate ?? 'none';
  }
  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }
  override config(): LayerConfig<GELUConfig> {
    return { type: 'GELU', options: { approximate: this.approximate } };
  }
}

/** tanh as a module. @example new Tanh().forward(tensor([0])).toArray(); // [0] @category Activations */
export class Tanh extends Module {
  /** @param options - None: accepted only so that `new Tanh(m.config().options)` works; any key is refused. */
  constructor(options?: Record<string, never>) {
    super();
    parseOptions('Tanh', options, {});
  }
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
  override config(): OptionlessConfig {
    return { type: 'Tanh' };
  }
}

/** Logistic sigmoid as a module. @example new Sigmoid().forward(tensor([0])).toArray(); // [0.5] @category Activations */
export class Sigmoid extends Module {
  /** @param options - None: accepted only so that `new Sigmoid(m.config().options)` works; any key is refused. */
  constructor(options?: Record<string, never>) {
    super();
    parseOptions('Sigmoid', options, {});
  }
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
  override config(): OptionlessConfig {
    return { type: 'Sigmoid' };
  }
}

/** Leaky ReLU as a module (slope 0.01 by default). @example new LeakyReLU(0.5).forward(tensor([-2])).toArray(); // [-1] @category Activations */
export class LeakyReLU extends Module {
  /** Slope for x < 0. */
  readonly negativeSlope: number;
  /** Builds the module from its config object (`m.config().options`). */
  constructor(config: LeakyReLUConfig);
  /** @param negativeSlope - Slope for x < 0: y = negativeSlope·x there (default 0.01). */
  constructor(negativeSlope?: number);
  constructor(negativeSlope?: number | LeakyReLUConfig) {
    super();
    this.negativeSlope = layerArgs('LeakyReLU', { negativeSlope: finite }, ['negativeSlope'], [negativeSlope], undefined, []).negativeSlope ?? 0.01;
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
  override config(): LayerConfig<LeakyReLUConfig> {
    return { type: 'LeakyReLU', options: { negativeSlope: this.negativeSlope } };
  }
}

/** ELU as a module (α = 1 by default). @example new ELU().forward(tensor([1])).toArray(); // [1] @category Activations */
export class ELU extends Module {
  /** α in α(eˣ − 1) for x ≤ 0. */
  readonly alpha: number;
  /** Builds the module from its config object (`m.config().options`). */
  constructor(config: ELUConfig);
  /** @param alpha - α in α(eˣ − 1) for x ≤ 0 (default 1). */
  constructor(alpha?: number);
  constructor(alpha?: number | ELUConfig) {
    super();
    this.alpha = layerArgs('ELU', { alpha: finite }, ['alpha'], [alpha], undefined, []).alpha ?? 1;
  }
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
  override config(): LayerConfig<ELUConfig> {
    return { type: 'ELU', options: { alpha: this.alpha } };
  }
}

/** Softplus as a module. @example new Softplus().forward(tensor([0])).toArray(); // [0.6931472] @category Activations */
export class Softplus extends Module {
  /** β in (1/β) ln(1 + e^(βx)). */
  readonly beta: number;
  /** Above βx > threshold the result is x. */
  readonly threshold: number;
  /** Builds the module from its config object (`m.config().options`). */
  constructor(config: SoftplusConfig);
  /**
   * @param beta - β in (1/β) ln(1 + e^(βx)) (default 1).
   * @param threshold - Above βx > threshold the result is x (default 20, as PyTorch).
   */
  constructor(beta?: number, threshold?: number);
  constructor(beta?: number | SoftplusConfig, threshold?: number) {
    super();
    const o = layerArgs('Softplus', { beta: positive, threshold: finite }, ['beta', 'threshold'], [beta, threshold], undefined, []);
    this.beta = o.beta ?? 1;
    this.threshold = o.threshold ?? 20;
  }
  forward(x: Tensor): Tensor {
    return softplus(x, { beta: this.beta, threshold: this.threshold });
  }
  override config(): LayerConfig<SoftplusConfig> {
    return { type: 'Softplus', options: { beta: this.beta, threshold: this.threshold } };
  }
}

/** Passes its input through unchanged. @example new Identity().forward(tensor([3])).toArray(); // [3] @category Activations */
export class Identity extends Module {
  /** @param options - None: accepted only so that `new Identity(m.config().options)` works; any key is refused. */
  constructor(options?: Record<string, never>) {
    super();
    parseOptions('Identity', options, {});
  }
  forward(x: Tensor): Tensor {
    return x;
  }
  override config(): OptionlessConfig {
    return { type: 'Identity' };
  }
}

/** Softmax along an axis as a module (default the last). @example new Softmax().forward(tensor([0, 0])).toArray(); // [0.5, 0.5] @category Activations */
export class Softmax extends Module {
  /** The axis whose entries sum to 1. */
  readonly axis: number;
  /** Builds the module from its config object (`m.config().options`). */
  constructor(config: SoftmaxConfig);
  /** @param axis - The axis whose entries sum to 1 (default −1, the last). */
  constructor(axis?: number);
  constructor(axis?: number | SoftmaxConfig) {
    super();
    this.axis = layerArgs('Softmax', { axis: int() }, ['axis'], [axis], undefined, []).axis ?? -1;
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.axis);
  }
  override config(): LayerConfig<SoftmaxConfig> {
    return { type: 'Softmax', options: { axis: this.axis } };
  }
}
