import { ArgumentError, Tensor } from '../tensor/index';
import { Module, type ModuleConfig } from './module';

/**
 * Runs modules in order, each one's output feeding the next. Children are stored under the keys
 * `0`, `1`, …, so state-dict names (`0.weight`, `2.bias`) match PyTorch's `nn.Sequential`.
 * Shapes: whatever the chain maps.
 * @example
 * const net = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
 * net.forward(zeros([5, 4])).shape; // [5, 2]
 * Object.keys(net.stateDict()); // ['0.weight', '0.bias', '2.weight', '2.bias']
 * @category Modules
 */
export class Sequential extends Module {
  readonly [index: number]: Module;
  /** Number of layers. */
  declare readonly length: number;
  constructor(...layers: Module[]) {
    super();
    layers.forEach((m, i) => {
      if (!(m instanceof Module)) throw new ArgumentError(`Sequential: layer ${i} is not a Module (got ${m === null ? 'null' : typeof m})`);
      (this as unknown as Record<number, Module>)[i] = m;
    });
    Object.defineProperty(this, 'length', { value: layers.length, enumerable: false });
  }
  /** The layers in order. */
  layers(): Module[] {
    return Array.from({ length: this.length }, (_, i) => this[i]);
  }
  forward(x: Tensor): Tensor {
    let h: unknown = x;
    for (let i = 0; i < this.length; i++) h = (this[i].forward as (t: unknown) => unknown)(h);
    return h as Tensor;
  }
  override config(): ModuleConfig {
    return { type: 'Sequential', children: this.layers().map((m) => m.config()) };
  }
}
