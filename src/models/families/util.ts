import { ArgumentError, ShapeError, Tensor, crossEntropy, reshape, type CrossEntropyOptions, type Generator } from '../../tensor/index';
import { num, type Check } from '../../tensor/options';
import { fmtShape } from '../../tensor/errors';
import { describe } from '../../tensor/shape';
import { Conv2d, ConvTranspose2d, ELU, GELU, Identity, LeakyReLU, ReLU, Sigmoid, Tanh, type Module } from '../../nn/index';

// Options of every family go through tensor/options' parseOptions (one spec per class, used for
// user options and loaded configs alike); what the families share is below.

/** A dropout probability in [0, 1). */
export const dropoutProb: Check<number> = num({ min: 0, max: 1, openMax: true });

/** The hidden activations the families accept. */
export type FamilyActivation = 'relu' | 'tanh' | 'gelu' | 'sigmoid' | 'leakyRelu' | 'elu' | 'identity';
export const ACTIVATIONS: readonly FamilyActivation[] = ['relu', 'tanh', 'gelu', 'sigmoid', 'leakyRelu', 'elu', 'identity'];

export function activationModule(a: FamilyActivation): Module {
  switch (a) {
    case 'relu': return new ReLU();
    case 'tanh': return new Tanh();
    case 'gelu': return new GELU();
    case 'sigmoid': return new Sigmoid();
    case 'leakyRelu': return new LeakyReLU();
    case 'elu': return new ELU();
    case 'identity': return new Identity();
  }
}

/** Token ids as a [B, T] tensor: a tensor, one sequence (number[] / Int32Array) or a batch (number[][]). */
export function idsBatch(op: string, ids: unknown): Tensor {
  if (ids instanceof Tensor) {
    if (ids.ndim === 1) return reshape(ids, [1, ids.shape[0]]);
    if (ids.ndim !== 2) throw new ShapeError(`${op}: token ids ${fmtShape(ids.shape)} must be [B, T] or [T]`);
    return ids;
  }
  if (ids instanceof Int32Array || (Array.isArray(ids) && (ids.length === 0 || typeof ids[0] === 'number'))) {
    const a = ids as ArrayLike<number>;
    if (a.length === 0) throw new ArgumentError(`${op}: the token sequence is empty`);
    return new Tensor(Float32Array.from(a), [1, a.length]);
  }
  if (Array.isArray(ids) && ids.every((r) => Array.isArray(r))) {
    const rows = ids as number[][];
    const T = rows[0].length;
    if (T === 0 || rows.some((r) => r.length !== T)) throw new ShapeError(`${op}: a batch of token sequences must be non-empty and of one length, got lengths ${rows.map((r) => r.length).join(', ')}`);
    const out = new Float32Array(rows.length * T);
    rows.forEach((r, b) => out.set(r, b * T));
    return new Tensor(out, [rows.length, T]);
  }
  throw new ArgumentError(`${op}: token ids must be a Tensor, number[], Int32Array or number[][], got ${describe(ids)}`);
}

/**
 * Cross-entropy of per-step logits against per-step class indices, averaged over every step that is
 * not `ignoreIndex` (what PyTorch users write as `F.cross_entropy(logits.view(-1, V), y.view(-1))`):
 * loss = −(1/M) Σ_{b,t} log softmax(logits[b, t])[y[b, t]].
 * Shapes: logits (B, T, V), target (B, T) → (). Options as {@link crossEntropy}.
 * Gradient: that of {@link crossEntropy} on the flattened rows.
 * @example
 * // every step uniform over 4 classes: ln 4
 * sequenceCrossEntropy(zeros([2, 3, 4]), zeros([2, 3])).item(); // 1.3862944
 * @throws ShapeError when logits are not 3-D or the target is not (B, T).
 * @category Models
 */
export function sequenceCrossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = 'sequenceCrossEntropy';
  if (!(logits instanceof Tensor) || !(target instanceof Tensor)) throw new ArgumentError(`${op}: logits and target must be Tensors, got ${describe(logits)} and ${describe(target)}`);
  if (logits.ndim !== 3 || target.ndim !== 2 || target.shape[0] !== logits.shape[0] || target.shape[1] !== logits.shape[1]) {
    throw new ShapeError(`${op}: logits ${fmtShape(logits.shape)} must be [B, T, V] and target ${fmtShape(target.shape)} [B, T]`);
  }
  const V = logits.shape[2];
  return crossEntropy(reshape(logits, [-1, V]), reshape(target, [-1]), options);
}

/**
 * The encoder of the image autoencoders (Autoencoder, VAE): per entry of `channels` a 3×3
 * stride-2 Conv2d (padding 1), halving H and W; with the innermost feature map's shape and size.
 * @throws ArgumentError if H or W is not divisible by 2^channels.length.
 */
export function strideTwoEncoder(op: string, inChannels: number, inputSize: [number, number], channels: readonly number[], rng: Generator): {
  convs: Conv2d[]; featureShape: [number, number, number]; flat: number;
} {
  const f = 2 ** channels.length;
  if (inputSize[0] % f !== 0 || inputSize[1] % f !== 0) {
    throw new ArgumentError(`${op}: inputSize ${inputSize.join('×')} must be divisible by 2^${channels.length} = ${f} (one halving per entry of channels)`);
  }
  const convs: Conv2d[] = [];
  let C = inChannels;
  for (const c of channels) {
    convs.push(new Conv2d(C, c, 3, { stride: 2, padding: 1, rng }));
    C = c;
  }
  const featureShape: [number, number, number] = [C, inputSize[0] / f, inputSize[1] / f];
  return { convs, featureShape, flat: C * featureShape[1] * featureShape[2] };
}

/** The mirrored decoder of {@link strideTwoEncoder}: 4×4 stride-2 ConvTranspose2d layers (padding 1) back to inChannels. */
export function strideTwoDecoder(inChannels: number, channels: readonly number[], rng: Generator): ConvTranspose2d[] {
  const convs: ConvTranspose2d[] = [];
  for (let i = channels.length - 1; i >= 0; i--) {
    convs.push(new ConvTranspose2d(channels[i], i === 0 ? inChannels : channels[i - 1], 4, { stride: 2, padding: 1, rng }));
  }
  return convs;
}
