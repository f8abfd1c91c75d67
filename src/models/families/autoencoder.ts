import { ArgumentError, Generator, ShapeError, Tensor, defaultGenerator, flatten, noGrad, relu, reshape, sigmoid, tensor } from '../../tensor/index';
import { fmtShape } from '../../tensor/errors';
import { describe } from '../../tensor/shape';
import { Conv2d, ConvTranspose2d, Linear, Module, type ModuleConfig } from '../../nn/index';
import { arrayOf, checkArg, pairOf, parseOptions, posInt, rng as rngCheck } from '../../tensor/options';
import { strideTwoDecoder, strideTwoEncoder } from './util';

const SPEC = { inChannels: posInt, inputSize: pairOf(posInt), latentDim: posInt, channels: arrayOf(posInt, { min: 1 }), rng: rngCheck };

/** Options of {@link Autoencoder}. */
export interface AutoencoderOptions {
  /** Channels of the images (default 1). */
  inChannels?: number;
  /** Height and width, [H, W] or one number; each must be divisible by 2^channels.length. Required. */
  inputSize: number | [number, number];
  /** Width of the code z (default 16). */
  latentDim?: number;
  /** Channels of the encoder's stride-2 convolutions, in order (default [16, 32]); the decoder mirrors them. */
  channels?: number[];
  /** Generator of the initial weights (default: the global one). Not saved in config(). */
  rng?: Generator;
}

/**
 * Convolutional autoencoder (Hinton & Salakhutdinov 2006, with convolutions): the encoder halves
 * the image with each 3×3 stride-2 Conv2d + ReLU in `channels`, then a Linear maps the features to
 * the code z; the decoder maps z back with a Linear + ReLU and mirrors the encoder with 4×4
 * stride-2 ConvTranspose2d layers (ReLU between them), ending in a sigmoid so outputs lie in
 * (0, 1) like the pixels. Train `forward` (= reconstruct) against the input with `mseLoss` or
 * `binaryCrossEntropy`.
 * Shapes: x (B, inChannels, H, W) → z (B, latentDim) → reconstruction (B, inChannels, H, W).
 * Init: as `Conv2d`, `ConvTranspose2d` and `Linear` (PyTorch's defaults).
 * @example
 * const ae = new Autoencoder({ inputSize: 16, latentDim: 4, channels: [4, 8], rng: new Generator(0) });
 * ae.encode(zeros([2, 1, 16, 16])).shape; // [2, 4]
 * ae.forward(zeros([2, 1, 16, 16])).shape; // [2, 1, 16, 16]
 * ae.generate([[0, 0, 0, 0]]).shape; // [1, 1, 16, 16]
 * @throws ArgumentError on a malformed option or a size not divisible by 2^channels.length; ShapeError from forward.
 * @see Hinton & Salakhutdinov, "Reducing the Dimensionality of Data with Neural Networks" (2006), https://doi.org/10.1126/science.1127647
 * @category Models
 */
export class Autoencoder extends Module {
  /** Stride-2 convolutions of the encoder. */
  readonly encoderConvs: Conv2d[];
  /** Features → z. */
  readonly toLatent: Linear;
  /** z → features. */
  readonly fromLatent: Linear;
  /** Stride-2 transposed convolutions of the decoder, the last one producing inChannels. */
  readonly decoderConvs: ConvTranspose2d[];
  /** Shape [C, H, W] of the innermost feature map. */
  readonly featureShape: [number, number, number];
  private readonly opts: { inChannels: number; inputSize: [number, number]; latentDim: number; channels: number[] };

  constructor(options: AutoencoderOptions) {
    super();
    const op = 'Autoencoder';
    const o = parseOptions(op, options, SPEC);
    const inChannels = o.inChannels ?? 1;
    const inputSize = checkArg(op, 'inputSize', o.inputSize, pairOf(posInt));
    const latentDim = o.latentDim ?? 16;
    const channels = o.channels ?? [16, 32];
    const rng = o.rng ?? defaultGenerator();
    const enc = strideTwoEncoder(op, inChannels, inputSize, channels, rng);
    this.encoderConvs = enc.convs;
    this.featureShape = enc.featureShape;
    const flat = enc.flat;
    this.toLatent = new Linear(flat, latentDim, { rng });
    this.fromLatent = new Linear(latentDim, flat, { rng });
    this.decoderConvs = strideTwoDecoder(inChannels, channels, rng);
    this.opts = { inChannels, inputSize, latentDim, channels: [...channels] };
  }

  /** The code z (B, latentDim) of images x (B, inChannels, H, W). */
  encode(x: Tensor): Tensor {
    const { inChannels: C, inputSize: [H, W] } = this.opts;
    if (!(x instanceof Tensor)) throw new ArgumentError(`Autoencoder: x must be a Tensor, got ${describe(x)}`);
    if (x.ndim !== 4 || x.shape[1] !== C || x.shape[2] !== H || x.shape[3] !== W) throw new ShapeError(`Autoencoder: x ${fmtShape(x.shape)} must be [B, ${C}, ${H}, ${W}]`);
    let h = x;
    for (const conv of this.encoderConvs) h = relu(conv.forward(h));
    return this.toLatent.forward(flatten(h, 1));
  }

  /** Images (B, inChannels, H, W) in (0, 1) decoded from codes z (B, latentDim). */
  decode(z: Tensor): Tensor {
    const L = this.opts.latentDim;
    if (!(z instanceof Tensor)) throw new ArgumentError(`Autoencoder: z must be a Tensor, got ${describe(z)}`);
    if (z.ndim !== 2 || z.shape[1] !== L) throw new ShapeError(`Autoencoder: z ${fmtShape(z.shape)} must be [B, ${L}]`);
    let h = reshape(relu(this.fromLatent.forward(z)), [z.shape[0], ...this.featureShape]);
    this.decoderConvs.forEach((conv, i) => {
      h = conv.forward(h);
      if (i < this.decoderConvs.length - 1) h = relu(h);
    });
    return sigmoid(h);
  }

  /** decode(encode(x)). */
  reconstruct(x: Tensor): Tensor {
    return this.decode(this.encode(x));
  }

  /** The reconstruction of x (what training minimizes the distance of to x). */
  forward(x: Tensor): Tensor {
    return this.reconstruct(x);
  }

  /** Decodes codes z ([B, latentDim] tensor or nested array) without gradients: new images from chosen codes. */
  generate(z: Tensor | number[][]): Tensor {
    const t = z instanceof Tensor ? z : tensor(z);
    return noGrad(() => this.decode(t));
  }

  /** `{ type: 'Autoencoder', options }` with every option resolved (rng excepted). */
  override config(): ModuleConfig {
    const o = this.opts;
    return { type: 'Autoencoder', options: { ...o, inputSize: [...o.inputSize], channels: [...o.channels] } };
  }
}
