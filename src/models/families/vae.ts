import {
  ArgumentError, Generator, ShapeError, Tensor, add, defaultGenerator, exp, flatten, mul, noGrad, randn, relu, reshape, sigmoid, square, sub, sum, zeros,
} from '../../tensor/index';
import { allocFloat32 } from '../../tensor/alloc';
import { fmtShape } from '../../tensor/errors';
import { describe } from '../../tensor/shape';
import { Conv2d, ConvTranspose2d, Linear, Module, binaryCrossEntropyWithLogits, mseLoss, type ModuleConfig } from '../../nn/index';
import { anyOf, arrayOf, checkArg, int, nonNeg, oneOf, pairOf, parseOptions, posInt, rng as rngCheck } from '../../tensor/options';
import { fitDiagonalMixture, sampleDiagonalMixture } from './vae-prior';
import { strideTwoDecoder, strideTwoEncoder } from './util';

const SPEC = {
  inChannels: posInt, inputSize: pairOf(posInt), latentDim: posInt, channels: arrayOf(posInt, { min: 1 }),
  hidden: anyOf('a positive integer or an array of them', (v, n, o) => [posInt(v, n, o)], arrayOf(posInt)),
  reconstruction: oneOf(['bce', 'mse'] as const), beta: nonNeg, priorComponents: posInt, rng: rngCheck,
};

/** Options of {@link VAE}. */
export interface VAEOptions {
  /** Channels of the images (default 1). */
  inChannels?: number;
  /** Height and width, [H, W] or one number; each must be divisible by 2^channels.length. Required. */
  inputSize: number | [number, number];
  /** Width of the latent code z (default 8). */
  latentDim?: number;
  /** Channels of the encoder's stride-2 convolutions, in order (default [16, 32]); the decoder mirrors them. */
  channels?: number[];
  /**
   * Width(s) of hidden Linear + ReLU layers between the flattened features and the code (default
   * none); the decoder mirrors them in reverse order.
   */
  hidden?: number | number[];
  /**
   * The reconstruction term of the ELBO: `'bce'` (default) the Bernoulli log-likelihood, binary
   * cross-entropy of the decoder's probabilities summed over pixels (targets in [0, 1]); `'mse'`
   * the squared error summed over pixels (a Gaussian likelihood of fixed variance ½, up to a constant).
   */
  reconstruction?: 'bce' | 'mse';
  /** Weight β of the KL term (default 1, the ELBO; β > 1 is the β-VAE of Higgins et al. 2017). */
  beta?: number;
  /** Components of the Gaussian mixture {@link VAE.fitPrior} fits to the training codes (default 10). */
  priorComponents?: number;
  /** Generator of the initial weights and of the reparameterization noise in training (default: the global one). Not saved in config(). */
  rng?: Generator;
}

/** Options of {@link VAE.sample} and {@link VAE.elboTerms}. */
export interface VAESampleOptions {
  /** Generator of the draws (default: the model's own, the one given at construction). */
  rng?: Generator;
}

/** Options of {@link VAE.sample}. */
export interface VAEDrawOptions extends VAESampleOptions {
  /**
   * Where the codes come from: `'fitted'` the mixture of {@link VAE.fitPrior} (the default once it
   * has been fitted), `'standard'` N(0, I) (the default before).
   */
  prior?: 'fitted' | 'standard';
}

/** Options of {@link VAE.fitPrior}. */
export interface VAEFitPriorOptions {
  /** Most EM iterations (default 200). */
  iterations?: number;
  /** Generator of the initial means (default: the model's own). */
  rng?: Generator;
}

/** The Gaussian posterior q(z | x) = N(μ, σ²) {@link VAE.encode} returns. */
export interface VAEPosterior {
  /** The mean μ (B, latentDim). */
  mu: Tensor;
  /** The log-variance log σ² (B, latentDim). */
  logvar: Tensor;
}

/** The terms of the loss {@link VAE.elboTerms} returns, each a batch mean (a scalar tensor). */
export interface ELBOTerms {
  /** reconstruction + β·kl, the negative ELBO when β = 1; minimize it. */
  loss: Tensor;
  /** The reconstruction term per sample (summed over pixels). */
  reconstruction: Tensor;
  /** KL(N(μ, σ²) ‖ N(0, I)) per sample. */
  kl: Tensor;
}

/** What forward remembers about its output for {@link VAE.elboLoss}. */
interface ForwardTerms {
  logits: Tensor;
  mu: Tensor;
  logvar: Tensor;
}

/**
 * Variational autoencoder (Kingma & Welling 2014) with convolutions. The encoder halves the image
 * with each 3×3 stride-2 Conv2d + ReLU in `channels`, then (after optional `hidden` Linear + ReLU
 * layers) two Linear layers give the posterior's
 * mean μ and log-variance log σ²; the code is drawn by reparameterization,
 * z = μ + exp(½·log σ²)·ε with ε ~ N(0, I) from the seeded `rng`; the decoder mirrors the encoder:
 * the hidden layers in reverse, a Linear + ReLU to the innermost feature map, then 4×4 stride-2
 * ConvTranspose2d layers (ReLU between them), ending in a sigmoid.
 * Training minimizes the negative ELBO, per sample and averaged over the batch:
 * loss = reconstruction(x̂, x) + β·KL, KL = −½ Σⱼ (1 + log σⱼ² − μⱼ² − σⱼ²), with the
 * reconstruction term binary cross-entropy summed over pixels (or the summed squared error).
 *
 * `fit` trains it with `loss: vae.elboLoss`: `forward(x)` returns the reconstruction (from a
 * sampled z in training mode, from z = μ in evaluation mode) and remembers μ, log σ² and the
 * logits for `elboLoss(reconstruction, x)`. New images: {@link VAE.sample} decodes z ~ N(0, I);
 * {@link VAE.reconstruct} and {@link VAE.interpolate} decode posterior means.
 * Shapes: x (B, inChannels, H, W) → μ, log σ², z (B, latentDim) → reconstruction (B, inChannels, H, W) in (0, 1).
 * Init: as `Conv2d`, `ConvTranspose2d` and `Linear` (PyTorch's defaults).
 * @example
 * const vae = new VAE({ inputSize: 8, latentDim: 2, channels: [4], rng: new Generator(0) });
 * vae.encode(zeros([3, 1, 8, 8])).mu.shape; // [3, 2]
 * vae.forward(zeros([3, 1, 8, 8])).shape; // [3, 1, 8, 8]
 * vae.sample(5, { rng: new Generator(1) }).shape; // [5, 1, 8, 8]
 * vae.interpolate(zeros([1, 8, 8]), ones([1, 8, 8]), 4).shape; // [4, 1, 8, 8]
 * @throws ArgumentError on a malformed option or a size not divisible by 2^channels.length; ShapeError from forward, encode and decode.
 * @see Kingma & Welling, "Auto-Encoding Variational Bayes" (2014), https://arxiv.org/abs/1312.6114
 * @category Models
 */
export class VAE extends Module {
  /** Stride-2 convolutions of the encoder. */
  readonly encoderConvs: Conv2d[];
  /** Hidden Linear layers of the encoder, each followed by a ReLU. */
  readonly encoderHidden: Linear[];
  /** Features (or the last hidden layer) → μ. */
  readonly toMu: Linear;
  /** Features → log σ². */
  readonly toLogvar: Linear;
  /** Hidden Linear layers of the decoder (the encoder's in reverse), each followed by a ReLU; the first takes z. */
  readonly decoderHidden: Linear[];
  /** z (or the last decoder hidden layer) → features. */
  readonly fromLatent: Linear;
  /** Stride-2 transposed convolutions of the decoder, the last one producing inChannels. */
  readonly decoderConvs: ConvTranspose2d[];
  /** Shape [C, H, W] of the innermost feature map. */
  readonly featureShape: [number, number, number];
  /** The fitted prior's component weights (K); all zero until {@link VAE.fitPrior}. A buffer: saved with the model. */
  readonly priorWeights: Tensor;
  /** The fitted prior's component means (K, latentDim). */
  readonly priorMeans: Tensor;
  /** The fitted prior's component variances (K, latentDim). */
  readonly priorVars: Tensor;
  /**
   * The loss for `fit`, `(reconstruction, x) → reconstruction term + β·KL` (batch means), where
   * `reconstruction` is an output of this model's `forward` (its μ and log σ² are looked up).
   * A plain function (no `this` needed): pass `loss: vae.elboLoss`.
   * @throws ArgumentError if `reconstruction` did not come from this model's forward; ShapeError if x does not match it.
   */
  readonly elboLoss: (reconstruction: Tensor, x: Tensor) => Tensor;
  private readonly opts: {
    inChannels: number; inputSize: [number, number]; latentDim: number; channels: number[]; hidden: number[]; reconstruction: 'bce' | 'mse'; beta: number;
    priorComponents: number;
  };
  private readonly rng: Generator;
  private readonly remembered = new WeakMap<Tensor, ForwardTerms>();

  constructor(options: VAEOptions) {
    super();
    const op = 'VAE';
    const o = parseOptions(op, options, SPEC);
    const inChannels = o.inChannels ?? 1;
    const inputSize = checkArg(op, 'inputSize', o.inputSize, pairOf(posInt));
    const latentDim = o.latentDim ?? 8;
    const channels = o.channels ?? [16, 32];
    const hidden = o.hidden ?? [];
    const rng = o.rng ?? defaultGenerator();
    const enc = strideTwoEncoder(op, inChannels, inputSize, channels, rng);
    this.encoderConvs = enc.convs;
    this.featureShape = enc.featureShape;
    const flat = enc.flat;
    this.encoderHidden = [];
    let width = flat;
    for (const h of hidden) {
      this.encoderHidden.push(new Linear(width, h, { rng }));
      width = h;
    }
    this.toMu = new Linear(width, latentDim, { rng });
    this.toLogvar = new Linear(width, latentDim, { rng });
    this.decoderHidden = [];
    width = latentDim;
    for (let i = hidden.length - 1; i >= 0; i--) {
      this.decoderHidden.push(new Linear(width, hidden[i], { rng }));
      width = hidden[i];
    }
    this.fromLatent = new Linear(width, flat, { rng });
    this.decoderConvs = strideTwoDecoder(inChannels, channels, rng);
    this.rng = rng;
    const K = o.priorComponents ?? 10;
    this.priorWeights = zeros([K]);
    this.priorMeans = zeros([K, latentDim]);
    this.priorVars = zeros([K, latentDim]);
    this.opts = { inChannels, inputSize, latentDim, channels: [...channels], hidden: [...hidden], reconstruction: o.reconstruction ?? 'bce', beta: o.beta ?? 1, priorComponents: K };
    this.elboLoss = (reconstruction, x) => {
      const t = reconstruction instanceof Tensor ? this.remembered.get(reconstruction) : undefined;
      if (t === undefined) throw new ArgumentError(`VAE.elboLoss: the prediction must be an output of this VAE's forward (it carries μ and log σ²), got ${describe(reconstruction)}`);
      return this.terms('VAE.elboLoss', t, reconstruction, x).loss;
    };
  }

  /** Checks x is (B, inChannels, H, W). */
  private checkImages(op: string, name: string, x: unknown): Tensor {
    const { inChannels: C, inputSize: [H, W] } = this.opts;
    if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: ${name} must be a Tensor, got ${describe(x)}`);
    if (x.ndim !== 4 || x.shape[1] !== C || x.shape[2] !== H || x.shape[3] !== W) throw new ShapeError(`${op}: ${name} ${fmtShape(x.shape)} must be [B, ${C}, ${H}, ${W}]`);
    return x;
  }

  /** The posterior's mean μ and log-variance log σ², each (B, latentDim), of images x (B, inChannels, H, W). */
  encode(x: Tensor): VAEPosterior {
    let h = this.checkImages('VAE.encode', 'x', x);
    for (const conv of this.encoderConvs) h = relu(conv.forward(h));
    h = flatten(h, 1);
    for (const l of this.encoderHidden) h = relu(l.forward(h));
    return { mu: this.toMu.forward(h), logvar: this.toLogvar.forward(h) };
  }

  /**
   * The reparameterization z = μ + exp(½·log σ²)·ε, ε ~ N(0, I) drawn from `rng` (default the
   * model's own): differentiable in μ and log σ². Shapes: mu, logvar (B, latentDim) → z (B, latentDim).
   * @throws ShapeError if mu and logvar differ in shape.
   */
  reparameterize(mu: Tensor, logvar: Tensor, options: VAESampleOptions = {}): Tensor {
    const op = 'VAE.reparameterize';
    const { rng = this.rng } = parseOptions(op, options, { rng: rngCheck });
    if (!(mu instanceof Tensor) || !(logvar instanceof Tensor)) throw new ArgumentError(`${op}: mu and logvar must be Tensors, got ${describe(mu)} and ${describe(logvar)}`);
    if (mu.ndim !== logvar.ndim || mu.shape.some((d, i) => d !== logvar.shape[i])) throw new ShapeError(`${op}: mu ${fmtShape(mu.shape)} and logvar ${fmtShape(logvar.shape)} must have one shape`);
    return add(mu, mul(exp(mul(logvar, 0.5)), randn(mu.shape, { rng })));
  }

  /** Decoder logits (before the sigmoid) of codes z (B, latentDim). */
  private decodeLogits(z: Tensor): Tensor {
    const L = this.opts.latentDim;
    if (!(z instanceof Tensor)) throw new ArgumentError(`VAE.decode: z must be a Tensor, got ${describe(z)}`);
    if (z.ndim !== 2 || z.shape[1] !== L) throw new ShapeError(`VAE.decode: z ${fmtShape(z.shape)} must be [B, ${L}]`);
    let h = z;
    for (const l of this.decoderHidden) h = relu(l.forward(h));
    h = reshape(relu(this.fromLatent.forward(h)), [z.shape[0], ...this.featureShape]);
    this.decoderConvs.forEach((conv, i) => {
      h = conv.forward(h);
      if (i < this.decoderConvs.length - 1) h = relu(h);
    });
    return h;
  }

  /** Images (B, inChannels, H, W) in (0, 1), the decoder's Bernoulli means, of codes z (B, latentDim). */
  decode(z: Tensor): Tensor {
    return sigmoid(this.decodeLogits(z));
  }

  /**
   * The reconstruction of x: decoded from a sampled z in training mode, from z = μ in evaluation
   * mode. Remembers μ and log σ² for {@link VAE.elboLoss}.
   */
  forward(x: Tensor): Tensor {
    const { mu, logvar } = this.encode(x);
    const z = this.training ? this.reparameterize(mu, logvar) : mu;
    const logits = this.decodeLogits(z);
    const out = sigmoid(logits);
    this.remembered.set(out, { logits, mu, logvar });
    return out;
  }

  /** The loss terms of one forward pass, batch means. */
  private terms(op: string, t: ForwardTerms, probs: Tensor, x: Tensor): ELBOTerms {
    if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(x)}`);
    if (x.ndim !== probs.ndim || x.shape.some((d, i) => d !== probs.shape[i])) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} must have the reconstruction's shape ${fmtShape(probs.shape)}`);
    const B = x.shape[0];
    // Sums over pixels then / B: the per-sample ELBO of Kingma & Welling, not a per-pixel mean
    // (which would weigh the KL term 1/(C·H·W) too much).
    const rec = this.opts.reconstruction === 'bce'
      ? mul(binaryCrossEntropyWithLogits(t.logits, x, { reduction: 'sum' }), 1 / B)
      : mul(mseLoss(probs, x, { reduction: 'sum' }), 1 / B);
    const kl = mul(sum(sub(add(square(t.mu), exp(t.logvar)), add(t.logvar, 1))), 0.5 / B);
    return { loss: add(rec, mul(kl, this.opts.beta)), reconstruction: rec, kl };
  }

  /**
   * The loss terms on images x (B, inChannels, H, W) in [0, 1] with one draw of z per image from
   * `rng` (default the model's own), whatever the mode, with gradients: the negative ELBO
   * `loss` = `reconstruction` + β·`kl`, each a batch mean, for a custom training loop or to report
   * the ELBO (−loss when β = 1).
   * @throws ShapeError if x is not (B, inChannels, H, W).
   */
  elboTerms(x: Tensor, options: VAESampleOptions = {}): ELBOTerms {
    const op = 'VAE.elboTerms';
    const { rng = this.rng } = parseOptions(op, options, { rng: rngCheck });
    const { mu, logvar } = this.encode(this.checkImages(op, 'x', x));
    const logits = this.decodeLogits(this.reparameterize(mu, logvar, { rng }));
    return this.terms(op, { logits, mu, logvar }, sigmoid(logits), x);
  }

  /**
   * n new images decoded from z ~ N(0, I) drawn from `rng` (default the model's own), without
   * gradients: the same generator state gives the same images.
   * Shapes: → (n, inChannels, H, W) in (0, 1).
   * @throws ArgumentError if n is not an integer ≥ 1.
   */
  sample(n: number, options: VAEDrawOptions = {}): Tensor {
    const op = 'VAE.sample';
    const count = checkArg(op, 'n', n, int({ min: 1, max: 2 ** 31 - 1 }));
    const { rng = this.rng, prior } = parseOptions(op, options, { rng: rngCheck, prior: oneOf(['fitted', 'standard'] as const) });
    const fitted = this.priorFitted();
    if (prior === 'fitted' && !fitted) throw new ArgumentError(`${op}: prior 'fitted' needs fitPrior(x) first (the mixture's weights are all zero)`);
    const L = this.opts.latentDim;
    if ((prior ?? (fitted ? 'fitted' : 'standard')) === 'standard') return noGrad(() => this.decode(randn([count, L], { rng })));
    const m = { weights: Float64Array.from(this.priorWeights.data), means: Float64Array.from(this.priorMeans.data), vars: Float64Array.from(this.priorVars.data) };
    return noGrad(() => this.decode(new Tensor(sampleDiagonalMixture(m, count, L, rng), [count, L])));
  }

  /** True once {@link VAE.fitPrior} has run (or a fitted model was loaded). */
  priorFitted(): boolean {
    return this.priorWeights.data.some((w) => w > 0);
  }

  /**
   * Fits the sampling prior: a mixture of `priorComponents` diagonal Gaussians, by EM, to the codes
   * μ(x) of training images x (B, inChannels, H, W), so that {@link VAE.sample} draws codes where
   * training images lie rather than from all of N(0, I) (ex-post density estimation, Ghosh et
   * al. 2020). Call it after training; the mixture is saved with the model. Returns this.
   * @throws ArgumentError for bad options or fewer images than components; ShapeError for x of the wrong shape.
   */
  fitPrior(x: Tensor, options: VAEFitPriorOptions = {}): this {
    const op = 'VAE.fitPrior';
    this.checkImages(op, 'x', x);
    const { iterations = 200, rng = this.rng } = parseOptions(op, options, { iterations: posInt, rng: rngCheck });
    const N = x.shape[0], L = this.opts.latentDim, K = this.opts.priorComponents;
    if (N < K) throw new ArgumentError(`${op}: x has ${N} images, fewer than the ${K} components (priorComponents)`);
    const z = new Float64Array(N * L);
    const per = x.size / N, B = 256;
    noGrad(() => {
      for (let s = 0; s < N; s += B) {
        const e = Math.min(N, s + B);
        const mu = this.encode(new Tensor(x.data.subarray(s * per, e * per), [e - s, ...x.shape.slice(1)])).mu;
        for (let i = 0; i < mu.size; i++) z[s * L + i] = mu.data[i];
      }
    });
    if (!z.every(Number.isFinite)) throw new ArgumentError(`${op}: the codes μ(x) are not all finite (NaN or infinite images or weights)`);
    const m = fitDiagonalMixture(z, N, L, K, iterations, rng);
    this.priorWeights.data.set(m.weights);
    this.priorMeans.data.set(m.means);
    this.priorVars.data.set(m.vars);
    return this;
  }

  /** decode(μ(x)) without gradients: the deterministic reconstruction of images x (B, inChannels, H, W). */
  reconstruct(x: Tensor): Tensor {
    return noGrad(() => this.decode(this.encode(this.checkImages('VAE.reconstruct', 'x', x)).mu));
  }

  /**
   * `steps` images along the straight line between the posterior means of images a and b (each
   * (inChannels, H, W) or (1, inChannels, H, W)): zᵢ = (1 − tᵢ)·μ(a) + tᵢ·μ(b), tᵢ = i/(steps − 1),
   * decoded without gradients; the first is the reconstruction of a, the last that of b.
   * Shapes: → (steps, inChannels, H, W).
   * @throws ArgumentError if steps is not an integer ≥ 2; ShapeError if a or b is not one image.
   */
  interpolate(a: Tensor, b: Tensor, steps: number): Tensor {
    const op = 'VAE.interpolate';
    const n = checkArg(op, 'steps', steps, int({ min: 2, max: 2 ** 31 - 1 }));
    const one = (name: string, v: unknown): Tensor => {
      if (v instanceof Tensor && v.ndim === 3) return this.checkImages(op, name, reshape(v, [1, ...v.shape]));
      const t = this.checkImages(op, name, v);
      if (t.shape[0] !== 1) throw new ShapeError(`${op}: ${name} ${fmtShape(t.shape)} must be one image [${this.opts.inChannels}, ${this.opts.inputSize.join(', ')}] or [1, ${this.opts.inChannels}, ${this.opts.inputSize.join(', ')}]`);
      return t;
    };
    const ia = one('a', a), ib = one('b', b);
    return noGrad(() => {
      const ma = this.encode(ia).mu.data, mb = this.encode(ib).mu.data;
      const L = this.opts.latentDim;
      const z = allocFloat32(n * L, op);
      for (let i = 0; i < n; i++) {
        const t = i / (n - 1);
        for (let j = 0; j < L; j++) z[i * L + j] = (1 - t) * ma[j] + t * mb[j];
      }
      return this.decode(new Tensor(z, [n, L]));
    });
  }

  /** `{ type: 'VAE', options }` with every option resolved (rng excepted). */
  override config(): ModuleConfig {
    const o = this.opts;
    return { type: 'VAE', options: { ...o, inputSize: [...o.inputSize], channels: [...o.channels], hidden: [...o.hidden] } };
  }
}
