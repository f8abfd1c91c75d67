import { ArgumentError, Generator, ShapeError, Tensor, defaultGenerator, flatten } from '../../tensor/index';
import { fmtShape } from '../../tensor/errors';
import { describe } from '../../tensor/shape';
import { BatchNorm2d, Conv2d, Dropout, Linear, MaxPool2d, Module, type ModuleConfig } from '../../nn/index';
import {
  anyOf, arrayOf, bool, checkArg, nonNegInt, oneOf, pairOf, parseOptions, posInt, rng as rngCheck, type Check,
} from '../../tensor/options';
import { ACTIVATIONS, activationModule, dropoutProb, type FamilyActivation } from './util';
import { runLayers } from '../../nn/sequential';

/** One convolution block of a {@link CNN}: conv → [batch norm] → activation → [max pool] → [dropout]. */
export interface ConvBlockOptions {
  /** Output channels of the convolution. Required. */
  channels: number;
  /** Square kernel side, odd, with 'same' padding so only pooling shrinks the image (default 3). */
  kernelSize?: number;
  /** Max-pooling window and stride (default 2; 0 or 1 for none). */
  pool?: number;
  /** BatchNorm2d after the convolution (default false). */
  batchNorm?: boolean;
  /** Dropout probability at the end of the block, in training (default 0). */
  dropout?: number;
}

/** Options of {@link CNN}. */
export interface CNNOptions {
  /** Channels of the input images (default 1). */
  inChannels?: number;
  /** Input height and width, [H, W] or one number for square images. Required. */
  inputSize: number | [number, number];
  /** Classes (outputs of the head). Required. */
  numClasses: number;
  /** The convolution blocks in order (default [{ channels: 8 }, { channels: 16 }]). */
  blocks?: ConvBlockOptions[];
  /** Width(s) of hidden Linear layers between the flattened features and the head (default none). */
  hidden?: number | number[];
  /** Activation of the blocks and hidden layers (default 'relu'). */
  activation?: FamilyActivation;
  /** Generator of the initial weights and dropout masks (default: the global one). Not saved in config(). */
  rng?: Generator;
}

const BLOCK_SPEC = { channels: posInt, kernelSize: posInt, pool: nonNegInt, batchNorm: bool, dropout: dropoutProb };

/** One block's options, read with their own spec (errors name `CNN blocks[i]`). */
const block: Check<Required<ConvBlockOptions>> = (v, name, op) => {
  const w = `${op} ${name}`;
  const bo = parseOptions(w, v, BLOCK_SPEC);
  const kernelSize = bo.kernelSize ?? 3;
  if (kernelSize % 2 === 0) throw new ArgumentError(`${w}: kernelSize must be odd ('same' padding), got ${kernelSize}`);
  return { channels: checkArg(w, 'channels', bo.channels, posInt), kernelSize, pool: bo.pool ?? 2, batchNorm: bo.batchNorm ?? false, dropout: bo.dropout ?? 0 };
};

const SPEC = {
  inChannels: posInt, inputSize: pairOf(posInt), numClasses: posInt, blocks: arrayOf(block),
  hidden: anyOf('a positive integer or an array of them', (v, n, o) => [posInt(v, n, o)], arrayOf(posInt)), activation: oneOf(ACTIVATIONS), rng: rngCheck,
};

/**
 * Convolutional classifier: blocks of conv (stride 1, 'same' padding) → [BatchNorm2d] → activation
 * → [MaxPool2d(pool)] → [Dropout], then flatten → [Linear → activation]* → Linear to the class
 * logits. Each pool of p divides H and W by p (floor), as in LeNet/VGG-style stacks. Modules live in
 * the array fields `features` and `head`.
 * Shapes: x (B, inChannels, H, W) → logits (B, numClasses).
 * Init: as `Conv2d` and `Linear` (PyTorch's defaults); batch norms weight 1, bias 0.
 * @example
 * const cnn = new CNN({ inputSize: 16, numClasses: 3, blocks: [{ channels: 4 }, { channels: 8, batchNorm: true }], rng: new Generator(0) });
 * cnn.forward(zeros([2, 1, 16, 16])).shape; // [2, 3]
 * cnn.featureShape; // [8, 4, 4]
 * @throws ArgumentError on a malformed option, an even kernel, or pooling that shrinks the image to nothing.
 * @throws ShapeError from forward when x is not (B, inChannels, H, W).
 * @see LeCun et al., "Gradient-based learning applied to document recognition" (1998).
 * @category Models
 */
export class CNN extends Module {
  /** The convolution blocks, flattened into one list of modules. */
  readonly features: Module[];
  /** Hidden Linear layers and activations, then the output Linear. */
  readonly head: Module[];
  /** Shape [C, H, W] of the features entering the head. */
  readonly featureShape: [number, number, number];
  private readonly opts: Required<Omit<CNNOptions, 'rng' | 'inputSize' | 'hidden' | 'blocks'>> & {
    inputSize: [number, number]; hidden: number[]; blocks: Required<ConvBlockOptions>[];
  };

  constructor(options: CNNOptions) {
    super();
    const op = 'CNN';
    const o = parseOptions(op, options, SPEC);
    const inChannels = o.inChannels ?? 1;
    const inputSize = checkArg(op, 'inputSize', o.inputSize, pairOf(posInt));
    const numClasses = checkArg(op, 'numClasses', o.numClasses, posInt);
    const activation = o.activation ?? 'relu';
    const blocks = o.blocks ?? arrayOf(block)([{ channels: 8 }, { channels: 16 }], 'blocks', op);
    const hidden = o.hidden ?? [];
    const rng = o.rng ?? defaultGenerator();

    this.features = [];
    let [C, H, W] = [inChannels, inputSize[0], inputSize[1]];
    blocks.forEach((b, i) => {
      this.features.push(new Conv2d(C, b.channels, b.kernelSize, { padding: (b.kernelSize - 1) / 2, rng }));
      if (b.batchNorm) this.features.push(new BatchNorm2d(b.channels));
      this.features.push(activationModule(activation));
      if (b.pool > 1) {
        if (H < b.pool || W < b.pool) throw new ArgumentError(`${op}: blocks[${i}].pool ${b.pool} is larger than the ${H}×${W} image reaching it (inputSize ${inputSize.join('×')})`);
        this.features.push(new MaxPool2d(b.pool));
        H = Math.floor(H / b.pool);
        W = Math.floor(W / b.pool);
      }
      if (b.dropout > 0) this.features.push(new Dropout(b.dropout, { rng }));
      C = b.channels;
    });
    this.featureShape = [C, H, W];
    this.head = [];
    let width = C * H * W;
    for (const h of hidden) {
      this.head.push(new Linear(width, h, { rng }), activationModule(activation));
      width = h;
    }
    this.head.push(new Linear(width, numClasses, { rng }));
    this.opts = { inChannels, inputSize, numClasses, blocks, hidden: [...hidden], activation };
  }

  /** Blocks, flatten, head. */
  forward(x: Tensor): Tensor {
    const { inChannels, inputSize } = this.opts;
    if (!(x instanceof Tensor)) throw new ArgumentError(`CNN: x must be a Tensor, got ${describe(x)}`);
    if (x.ndim !== 4 || x.shape[1] !== inChannels || x.shape[2] !== inputSize[0] || x.shape[3] !== inputSize[1]) {
      throw new ShapeError(`CNN: x ${fmtShape(x.shape)} must be [B, ${inChannels}, ${inputSize[0]}, ${inputSize[1]}]`);
    }
    let h = x;
    h = runLayers(this.features, h) as Tensor;
    h = flatten(h, 1);
    for (const l of this.head) h = (l.forward as (t: Tensor) => Tensor)(h);
    return h;
  }

  /** `{ type: 'CNN', options }` with every option resolved (rng excepted). */
  override config(): ModuleConfig {
    const o = this.opts;
    return { type: 'CNN', options: { ...o, inputSize: [...o.inputSize], hidden: [...o.hidden], blocks: o.blocks.map((b) => ({ ...b })) } };
  }
}
