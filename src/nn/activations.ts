import { Tensor, elu, gelu, leakyRelu, relu, sigmoid, softplus, tanh } from '../tensor/index';
import { Module, type ModuleConfig } from './module';

/** max(x, 0) as a module. @example new ReLU().forward(tensor([-1, 2])).toArray(); // [0, 2] @category Activations */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
  override config(): ModuleConfig {
    return { type: 'ReLU' };
  }
}

/**
 * GELU as a module; exact erf form by default, `'tanh'` for the approximation.
 * @example new GELU().forward(tensor([0])).toArray(); // [0]
 * @category Activations
 */
export class GELU extends Module {
  /** @param approximate - `'none'` for the exact x·Φ(x) with erf (default), `'tanh'` for the tanh approximation. */
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }
  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }
  override config(): ModuleConfig {
    return { type: 'GELU', options: { approximate: this.approximate } };
  }
}

/** tanh as a module. @example new Tanh().forward(tensor([0])).toArray(); // [0] @category Activations */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
  override config(): ModuleConfig {
    return { type: 'Tanh' };
  }
}

/** Logistic sigmoid as a module. @example new Sigmoid().forward(tensor([0])).toArray(); // [0.5] @category Activations */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
  override config(): ModuleConfig {
    return { type: 'Sigmoid' };
  }
}

/** Leaky ReLU as a module (slope 0.01 by default). @example new LeakyReLU(0.5).forward(tensor([-2])).toArray(); // [-1] @category Activations */
export class LeakyReLU extends Module {
  /** @param negativeSlope - Slope for x < 0: y = negativeSlope·x there (default 0.01). */
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
  override config(): ModuleConfig {
    return { type: 'LeakyReLU', options: { negativeSlope: this.negativeSlope } };
  }
}

/** ELU as a module (α = 1 by default). @example new ELU().forward(tensor([1])).toArray(); // [1] @category Activations */
export class ELU extends Module {
  /** @param alpha - α in α(eˣ − 1) for x ≤ 0 (default 1). */
  constructor(readonly alpha = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
  override config(): ModuleConfig {
    return { type: 'ELU', options: { alpha: this.alpha } };
  }
}

/** Softplus as a module. @example new Softplus().forward(tensor([0])).toArray(); // [0.6931472] @category Activations */
export class Softplus extends Module {
  /**
   * @param beta - β in (1/β) ln(1 + e^(βx)) (default 1).
   * @param threshold - Above βx > threshold the result is x (default 20, as PyTorch).
   */
  constructor(readonly beta = 1, readonly threshold = 20) {
    super();
  }
  forward(x: Tensor): Tensor {
    return softplus(x, { beta: this.beta, threshold: this.threshold });
  }
  override config(): ModuleConfig {
    return { type: 'Softplus', options: { beta: this.beta, threshold: this.threshold } };
  }
}

/** Passes its input through unchanged. @example new Identity().forward(tensor([3])).toArray(); // [3] @category Activations */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
  override config(): ModuleConfig {
    return { type: 'Identity' };
  }
}
