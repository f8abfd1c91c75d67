import { ArgumentError, Generator, Tensor, noGrad, qr, randn } from '../tensor/index';
import { fmtShape } from '../tensor/errors';
import { describe } from '../tensor/shape';
import { checkArg, finite, instanceOf, nonNeg, oneOf, parseOptions, rng } from '../tensor/options';
import { layerRng } from './config';

/** Options of the random initializers. */
export interface InitOptions {
  /** The generator to draw from (default: the global one). */
  rng?: Generator;
}

/** Nonlinearities known to {@link calculateGain}. */
export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

const NONLINEARITIES: readonly Nonlinearity[] = [
  'linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d',
  'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu',
];
const INIT = { rng };
const XAVIER = { gain: finite, rng };
const KAIMING = { a: finite, mode: oneOf<'fanIn' | 'fanOut'>(['fanIn', 'fanOut']), nonlinearity: oneOf(NONLINEARITIES), rng };
const tensorArg = instanceOf(Tensor);

/**
 * The recommended gain for a nonlinearity (PyTorch's `calculate_gain`): 1 for linear, the
 * convolutions and sigmoid, 5/3 for tanh, √2 for relu, √(2/(1 + slope²)) for leaky relu (slope
 * `param`, default 0.01), 3/4 for selu.
 * @example init.calculateGain('relu'); // 1.4142135623730951
 * @throws ArgumentError for an unknown nonlinearity or a leaky-relu slope that is not a finite number.
 * @category Init
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  checkArg('calculateGain', 'nonlinearity', nonlinearity, oneOf(NONLINEARITIES));
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d':
    case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': {
      const s = checkArg('calculateGain', 'param (the leaky_relu slope)', param ?? 0.01, finite);
      return Math.sqrt(2 / (1 + s * s));
    }
    default: return 3 / 4; // selu
  }
}

/**
 * Fan-in and fan-out of a weight as PyTorch computes them: for [out, in, ...kernel] shapes,
 * fanIn = in · Π kernel and fanOut = out · Π kernel.
 * @throws ArgumentError for tensors with fewer than 2 dimensions.
 * @category Init
 */
export function fans(t: Tensor): {
  /** in · Π kernel: inputs feeding each output unit. */
  fanIn: number;
  /** out · Π kernel: outputs each input unit feeds. */
  fanOut: number;
} {
  if (!(t instanceof Tensor) || t.ndim < 2) throw new ArgumentError(`init: fan in and fan out need a tensor with at least 2 dimensions, got ${t instanceof Tensor ? fmtShape(t.shape) : typeof t}`);
  let receptive = 1;
  for (let i = 2; i < t.ndim; i++) receptive *= t.shape[i];
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

function need(op: string, t: unknown): Tensor {
  return checkArg(op, 't', t, tensorArg);
}

/**
 * Fills `t` in place with U(low, high). Returns `t`.
 * @example init.uniform(zeros([2]), 0, 1, { rng: new Generator(0) }).shape; // [2]
 * @category Init
 */
export function uniform(t: Tensor, low = 0, high = 1, options: InitOptions = {}): Tensor {
  need('uniform', t);
  const o = parseOptions('uniform', options, INIT);
  checkArg('uniform', 'low', low, finite);
  checkArg('uniform', 'high', high, finite);
  if (low > high) throw new ArgumentError(`uniform: need low ≤ high, got low=${describe(low)}, high=${describe(high)}`);
  layerRng(o.rng).fillUniform(t.data, low, high);
  return t;
}

/**
 * Fills `t` in place with N(mean, std²). Returns `t`.
 * @throws ArgumentError for a non-finite mean or a negative or non-finite std.
 * @category Init
 */
export function normal(t: Tensor, mean = 0, std = 1, options: InitOptions = {}): Tensor {
  need('normal', t);
  const o = parseOptions('normal', options, INIT);
  checkArg('normal', 'mean', mean, finite);
  checkArg('normal', 'std', std, nonNeg);
  layerRng(o.rng).fillNormal(t.data, mean, std);
  return t;
}

/** Fills `t` in place with zeros. Returns `t`. @category Init */
export function zeros(t: Tensor): Tensor {
  need('zeros', t).data.fill(0);
  return t;
}

/** Fills `t` in place with ones. Returns `t`. @category Init */
export function ones(t: Tensor): Tensor {
  need('ones', t).data.fill(1);
  return t;
}

/** Options of the Xavier initializers. */
export interface XavierOptions extends InitOptions {
  /** Scale factor (default 1). */
  gain?: number;
}

/**
 * Xavier/Glorot uniform: U(−a, a) with a = gain·√(6 / (fanIn + fanOut)) (Glorot and Bengio, 2010).
 * @see https://proceedings.mlr.press/v9/glorot10a.html
 * @category Init
 */
export function xavierUniform(t: Tensor, options: XavierOptions = {}): Tensor {
  const { gain = 1, ...o } = parseOptions('xavierUniform', options, XAVIER);
  const { fanIn, fanOut } = fans(t);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(t, -a, a, o);
}

/** Xavier/Glorot normal: N(0, σ²) with σ = gain·√(2 / (fanIn + fanOut)). @category Init */
export function xavierNormal(t: Tensor, options: XavierOptions = {}): Tensor {
  const { gain = 1, ...o } = parseOptions('xavierNormal', options, XAVIER);
  const { fanIn, fanOut } = fans(t);
  return normal(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), o);
}

/** Options of the Kaiming initializers. */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the rectifier after this layer (default 0). */
  a?: number;
  /** Preserve the variance of the forward pass (`'fanIn'`, default) or the backward pass (`'fanOut'`). */
  mode?: 'fanIn' | 'fanOut';
  /** The nonlinearity after this layer (default `'leaky_relu'`, as PyTorch). */
  nonlinearity?: Nonlinearity;
}

/** The std of the Kaiming inits, and the options left for the fill (the generator). */
function kaimingStd(op: string, t: Tensor, options: KaimingOptions): { std: number; rest: InitOptions } {
  // Checked: an unchecked typo such as mode: 'fan_in' would silently pick fanOut.
  const { a = 0, mode = 'fanIn', nonlinearity = 'leaky_relu', ...rest } = parseOptions(op, options, KAIMING);
  const { fanIn, fanOut } = fans(t);
  const fan = mode === 'fanIn' ? fanIn : fanOut;
  return { std: calculateGain(nonlinearity, a) / Math.sqrt(fan), rest };
}

/**
 * Kaiming/He uniform: U(−b, b) with b = gain·√(3 / fan) (He et al., 2015). PyTorch's default for
 * `Linear` and `Conv` weights is this with `a = √5`, which gives b = 1/√fanIn.
 * @see https://arxiv.org/abs/1502.01852
 * @category Init
 */
export function kaimingUniform(t: Tensor, options: KaimingOptions = {}): Tensor {
  const { std, rest } = kaimingStd('kaimingUniform', t, options);
  const b = Math.sqrt(3) * std;
  return uniform(t, -b, b, rest);
}

/** Kaiming/He normal: N(0, σ²) with σ = gain / √fan. @category Init */
export function kaimingNormal(t: Tensor, options: KaimingOptions = {}): Tensor {
  const { std, rest } = kaimingStd('kaimingNormal', t, options);
  return normal(t, 0, std, rest);
}

/**
 * (Semi-)orthogonal init (Saxe et al., 2013): the rows (or columns) of the [rows, Π rest] view
 * are orthonormal, times `gain`; from the QR decomposition of a normal matrix with the signs of
 * R's diagonal folded in, so the result is uniformly distributed.
 * @category Init
 */
export function orthogonal(t: Tensor, options: XavierOptions = {}): Tensor {
  if (!(t instanceof Tensor) || t.ndim < 2) throw new ArgumentError(`orthogonal: need a tensor with at least 2 dimensions, got ${t instanceof Tensor ? fmtShape(t.shape) : describe(t)}`);
  const { gain = 1, rng: g } = parseOptions('orthogonal', options, XAVIER);
  if (t.size === 0) return t;
  const rows = t.shape[0], cols = t.size / rows;
  const tall = rows >= cols;
  const m = tall ? rows : cols, n = tall ? cols : rows;
  const a = randn([m, n], { rng: layerRng(g) });
  const { q, r } = noGrad(() => qr(a));
  // q is [m, n]; make it unique by the signs of diag(r).
  for (let j = 0; j < n; j++) {
    const s = r.data[j * n + j] < 0 ? -1 : 1;
    for (let i = 0; i < m; i++) q.data[i * n + j] *= s;
  }
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) t.data[i * cols + j] = gain * (tall ? q.data[i * n + j] : q.data[j * n + i]);
  }
  return t;
}
