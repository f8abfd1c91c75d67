import { ArgumentError, Tensor } from '../tensor/index';
import { canFuse } from '../tensor/autograd';
import { describe } from '../tensor/shape';
import { arrayOf, instanceOf, isPlainObject, parseOptions } from '../tensor/options';
import { ReLU } from './activations';
import { Conv2d, MaxPool2d } from './layers';
import { Module, type ModuleConfig } from './module';

/** The single-argument form of {@link Sequential}: the layers as `children` (what io passes back). */
export interface SequentialConfig {
  /** The layers in order. */
  children: Module[];
}

const SEQUENTIAL = { children: arrayOf(instanceOf(Module)) };

/**
 * Runs modules in order, each one's output feeding the next. Children are stored under the keys
 * `0`, `1`, …, so state-dict names (`0.weight`, `2.bias`) match PyTorch's `nn.Sequential`.
 * Shapes: whatever the chain maps.
 * @example
 * const net = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
 * net.forward(zeros([5, 4])).shape; // [5, 2]
 * Object.keys(net.stateDict()); // ['0.weight', '0.bias', '2.weight', '2.bias']
 * new Sequential({ children: net.layers() }).length; // 3
 * @throws ArgumentError when a layer is not a Module.
 * @category Modules
 */
export class Sequential extends Module {
  readonly [index: number]: Module;
  /** Number of layers. */
  declare readonly length: number;
  /** Builds the container from its config object with the already-built children (what `loadModel` does). */
  constructor(config: SequentialConfig);
  constructor(...layers: Module[]);
  constructor(...args: Module[] | [SequentialConfig]) {
    super();
    let layers: readonly unknown[] = args;
    if (args.length === 1 && isPlainObject(args[0])) {
      const o = parseOptions('Sequential', args[0], SEQUENTIAL);
      if (o.children === undefined) throw new ArgumentError('Sequential: a config object needs children (an array of Modules)');
      layers = o.children;
    }
    for (let i = 0; i < layers.length; i++) {
      const m = layers[i];
      if (!(m instanceof Module)) throw new ArgumentError(`Sequential: layer ${i} must be a Module, got ${describe(m)}`);
      (this as unknown as Record<number, Module>)[i] = m;
    }
    Object.defineProperty(this, 'length', { value: layers.length, enumerable: false });
  }
  /** The layers in order. */
  layers(): Module[] {
    return Array.from({ length: this.length }, (_, i) => this[i]);
  }
  forward(x: Tensor): Tensor {
    return runLayers(this, x) as Tensor;
  }
  override config(): ModuleConfig {
    return { type: 'Sequential', children: this.layers().map((m) => m.config()) };
  }
}

/**
 * Runs `layers` in order, each one's output feeding the next (`Sequential`'s forward, and the
 * chains of the model families). A `Conv2d` directly followed by a `ReLU` runs as one fused op
 * (`Conv2d.forwardRelu`, values and gradients bit for bit the two layers'), and with a
 * `MaxPool2d(2)` after them as one op of the three (`Conv2d.forwardReluPool`), where nothing could
 * see the steps between them: no trace or numeric check running (`canFuse`), and none of the layers
 * has hooks or an overridden `forward`. Anywhere else every layer's `forward` runs.
 * @internal
 */
export function runLayers(layers: ArrayLike<Module>, x: unknown): unknown {
  let h = x;
  for (let i = 0; i < layers.length; i++) {
    const m = layers[i];
    const next = layers[i + 1];
    if (m instanceof Conv2d && next instanceof ReLU && canFuse() && h instanceof Tensor
      && m.forward === Conv2d.prototype.forward && next.forward === ReLU.prototype.forward) {
      const pool = layers[i + 2];
      if (pool instanceof MaxPool2d && pool.forward === MaxPool2d.prototype.forward && pool.halves()) {
        h = m.forwardReluPool(h);
        i += 2;
        continue;
      }
      h = m.forwardRelu(h);
      i++;
      continue;
    }
    h = (m.forward as (t: unknown) => unknown)(h);
  }
  return h;
}
