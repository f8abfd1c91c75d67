import { record, type OpAttrs } from '../autograd';
import { asTensor } from '../creation';
import { ArgumentError } from '../errors';
import { kernels as K } from '../kernels/backend';
import { badValue, checkArg, isPlainObject, num, oneOf, parseOptions, positive, type Check } from '../options';
import { describe } from '../shape';
import { Tensor } from '../tensor';

type Fwd = (out: Float32Array, x: Float32Array, N: number) => void;
type Bwd = (dx: Float32Array, dy: Float32Array, saved: Float32Array, N: number) => void;

/** One element-wise op: forward kernel, then a backward that reads x (`'x'`) or the output (`'y'`). */
function unary(op: string, xIn: Tensor | number | number[], fwd: Fwd, bwd: Bwd | null, saved: 'x' | 'y' = 'x', attrs?: OpAttrs): Tensor {
  const x = asTensor(xIn, op, 'x');
  const y = Tensor.empty(x.shape);
  fwd(y.data, x.data, x.size);
  if (bwd === null) return record(op, y, [x], null, attrs);
  return record(op, y, [x], (dy) => {
    if (x.requiresGrad) bwd(x.gradBuffer(), dy, saved === 'x' ? x.data : y.data, x.size);
  }, attrs);
}

/** A number that is not NaN (±Inf is a meaningful bound). */
const noNaN: Check<number> = (v, name, op) => {
  if (typeof v !== 'number' || v !== v) throw badValue(op, name, 'a number (not NaN)', v);
  return v;
};
const finiteNum: Check<number> = num();
const GELU_SPEC = { approximate: oneOf(['none', 'tanh'] as const) };
const SOFTPLUS_SPEC = { beta: positive, threshold: finiteNum };
const CLAMP_SPEC = { min: noNaN, max: noNaN };

/** −x. Gradient: dx = −dy. @example neg(tensor([1, -2])).toArray(); // [-1, 2] @category Elementwise */
export function neg(x: Tensor): Tensor {
  return unary('neg', x, K.negForward, (dx, dy, _s, N) => K.negBackward(dx, dy, N));
}
/** |x|. Gradient: sign(x)·dy, 0 at x = 0. @example abs(tensor([-3, 2])).toArray(); // [3, 2] @category Elementwise */
export function abs(x: Tensor): Tensor {
  return unary('abs', x, K.absForward, K.absBackward);
}
/** eˣ. Gradient: dx = dy · eˣ. @example exp(tensor([0])).toArray(); // [1] @category Elementwise */
export function exp(x: Tensor): Tensor {
  return unary('exp', x, K.expForward, K.mulByOutputBackward, 'y');
}
/** ln x (NaN below 0, −Inf at 0). Gradient: dy / x. @example log(tensor([1])).toArray(); // [0] @category Elementwise */
export function log(x: Tensor): Tensor {
  return unary('log', x, K.logForward, K.logBackward);
}
/** ln(1 + x), accurate for small x. Gradient: dy / (1 + x). @example log1p(tensor([0])).toArray(); // [0] @category Elementwise */
export function log1p(x: Tensor): Tensor {
  return unary('log1p', x, K.log1pForward, K.log1pBackward);
}
/** √x. Gradient: dy / (2√x). @example sqrt(tensor([4])).toArray(); // [2] @category Elementwise */
export function sqrt(x: Tensor): Tensor {
  return unary('sqrt', x, K.sqrtForward, K.sqrtBackward, 'y');
}
/** 1/√x. Gradient: −½ dy x^(−3/2). @example rsqrt(tensor([4])).toArray(); // [0.5] @category Elementwise */
export function rsqrt(x: Tensor): Tensor {
  return unary('rsqrt', x, K.rsqrtForward, K.rsqrtBackward, 'y');
}
/** x². Gradient: 2x·dy. @example square(tensor([3])).toArray(); // [9] @category Elementwise */
export function square(x: Tensor): Tensor {
  return unary('square', x, K.squareForward, K.squareBackward);
}
/** sin x. Gradient: dy cos x. @example sin(tensor([0])).toArray(); // [0] @category Elementwise */
export function sin(x: Tensor): Tensor {
  return unary('sin', x, K.sinForward, K.sinBackward);
}
/** cos x. Gradient: −dy sin x. @example cos(tensor([0])).toArray(); // [1] @category Elementwise */
export function cos(x: Tensor): Tensor {
  return unary('cos', x, K.cosForward, K.cosBackward);
}
/** tanh x. Gradient: dy (1 − tanh² x). @example tanh(tensor([0])).toArray(); // [0] @category Activations */
export function tanh(x: Tensor): Tensor {
  return unary('tanh', x, K.tanhForward, K.tanhBackward, 'y');
}
/** σ(x) = 1/(1 + e⁻ˣ), stable for large |x|. Gradient: dy σ(1 − σ). @example sigmoid(tensor([0])).toArray(); // [0.5] @category Activations */
export function sigmoid(x: Tensor): Tensor {
  return unary('sigmoid', x, K.sigmoidForward, K.sigmoidBackward, 'y');
}
/** max(x, 0). Gradient: dy where x > 0, 0 elsewhere (0 at x = 0). @example relu(tensor([-1, 2])).toArray(); // [0, 2] @category Activations */
export function relu(x: Tensor): Tensor {
  return unary('relu', x, K.reluForward, K.reluBackward);
}

/**
 * x for x > 0, slope·x otherwise (PyTorch's default slope 0.01).
 * Gradient: dy for x > 0, slope·dy otherwise.
 * @example leakyRelu(tensor([-2, 3]), 0.1).toArray(); // [-0.2, 3]
 * @category Activations
 */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  const slope = checkArg('leakyRelu', 'negativeSlope', negativeSlope, finiteNum);
  return unary('leakyRelu', x, (o, v, N) => K.leakyReluForward(o, v, slope, N), (dx, dy, v, N) => K.leakyReluBackward(dx, dy, v, slope, N), 'x', { negativeSlope: slope });
}

/**
 * x for x > 0, α(eˣ − 1) otherwise (α = 1 default).
 * Gradient: dy for x > 0, dy·α eˣ otherwise.
 * @example elu(tensor([0, 1])).toArray(); // [0, 1]
 * @category Activations
 */
export function elu(xIn: Tensor, alpha = 1): Tensor {
  const a = checkArg('elu', 'alpha', alpha, finiteNum);
  const x = asTensor(xIn, 'elu', 'x');
  const y = Tensor.empty(x.shape);
  K.eluForward(y.data, x.data, a, x.size);
  return record('elu', y, [x], (dy) => {
    if (x.requiresGrad) K.eluBackward(x.gradBuffer(), dy, x.data, y.data, a, x.size);
  }, { alpha: a });
}

/** Options of {@link gelu}. */
export interface GeluOptions {
  /** `'none'` (default): exact x·Φ(x) with erf; `'tanh'`: the tanh approximation. */
  approximate?: 'none' | 'tanh';
}

/**
 * Gaussian error linear unit x·Φ(x) (Hendrycks and Gimpel, 2016); exact erf form by default.
 * Gradient: dy (Φ(x) + x φ(x)) (or the tanh form's derivative).
 * `gelu(x, 'tanh')` is accepted for `gelu(x, { approximate: 'tanh' })`.
 * @example gelu(tensor([0])).toArray(); // [0]
 * @throws ArgumentError on an unknown option or an `approximate` other than 'none' or 'tanh'.
 * @see https://arxiv.org/abs/1606.08415
 * @category Activations
 */
export function gelu(x: Tensor, options: GeluOptions | 'none' | 'tanh' = {}): Tensor {
  const o = typeof options === 'string' ? { approximate: checkArg('gelu', 'approximate', options, GELU_SPEC.approximate) } : parseOptions('gelu', options, GELU_SPEC);
  const mode = o.approximate ?? 'none';
  const attrs = { approximate: mode };
  if (mode === 'tanh') return unary('gelu', x, K.geluTanhForward, K.geluTanhBackward, 'x', attrs);
  return unary('gelu', x, K.geluForward, K.geluBackward, 'x', attrs);
}

/** Options of {@link softplus}. */
export interface SoftplusOptions {
  /** β in (1/β) ln(1 + e^(βx)) (default 1). */
  beta?: number;
  /** Above βx > threshold the result is x (default 20, as PyTorch). */
  threshold?: number;
}

/**
 * Smooth ReLU (1/β) ln(1 + e^(βx)), computed without overflow. PyTorch's positional form
 * `softplus(x, beta, threshold)` is accepted too.
 * Gradient: dy σ(βx).
 * @example softplus(tensor([0])).toArray(); // [0.6931472]
 * @throws ArgumentError on an unknown option, β ≤ 0 or a non-finite threshold.
 * @category Activations
 */
export function softplus(x: Tensor, options: SoftplusOptions | number = {}, thresholdArg?: number): Tensor {
  const o = typeof options === 'number' ? { beta: options, threshold: thresholdArg } : (positionalAfterOptions('softplus', 'threshold', thresholdArg), options);
  const { beta, threshold } = { beta: 1, threshold: 20, ...parseOptions('softplus', o, SOFTPLUS_SPEC) };
  return unary('softplus', x, (o, v, N) => K.softplusForward(o, v, beta, threshold, N), (dx, dy, v, N) => K.softplusBackward(dx, dy, v, beta, threshold, N), 'x', { beta, threshold });
}

/** Refuses a positional argument given after an options object (it would otherwise be ignored). */
function positionalAfterOptions(op: string, name: string, v: unknown): void {
  if (v !== undefined) throw new ArgumentError(`${op}: ${name} ${describe(v)} was given positionally after an options object; put it in the options`);
}

/** sign(x) ∈ {−1, 0, 1} (NaN stays NaN). Gradient: zero everywhere. @example sign(tensor([-2, 0, 3])).toArray(); // [-1, 0, 1] @category Elementwise */
export function sign(x: Tensor): Tensor {
  return unary('sign', x, K.signForward, () => {});
}

/** Options of {@link clamp}. */
export interface ClampOptions {
  /** Lower bound (default −Inf). */
  min?: number;
  /** Upper bound (default +Inf). */
  max?: number;
}

/**
 * Limits every value to [min, max]; NaN stays NaN. Takes `{ min, max }` or PyTorch's positional
 * bounds `clamp(x, min, max)`, where either may be null (no bound): `clamp(x, -0.5, 0.7)`,
 * `clamp(x, null, 1)`.
 * Gradient: dy where min ≤ x ≤ max (bounds included, as PyTorch), else 0.
 * @example clamp(tensor([-2, 0.5, 3]), { min: 0, max: 1 }).toArray(); // [0, 0.5, 1]
 * @example clamp(tensor([-2, 0.5, 3]), 0, 1).toArray(); // [0, 0.5, 1]
 * @throws ArgumentError if min > max, a bound is NaN or not a number, or an option is unknown.
 * @category Elementwise
 */
export function clamp(x: Tensor, options: ClampOptions | number | null, max?: number | null): Tensor {
  let o: { min?: number; max?: number };
  if (options === null || typeof options === 'number' || (max !== undefined && !isPlainObject(options))) {
    o = {};
    if (options !== null && options !== undefined) o.min = checkArg('clamp', 'min', options, noNaN);
    if (max !== null && max !== undefined) o.max = checkArg('clamp', 'max', max, noNaN);
  } else {
    positionalAfterOptions('clamp', 'max', max);
    o = parseOptions('clamp', options, CLAMP_SPEC);
  }
  const lo = o.min ?? -Infinity;
  const hi = o.max ?? Infinity;
  if (lo > hi) throw new ArgumentError(`clamp: min ${lo} is greater than max ${hi}`);
  // No bound is null in the attributes, so they stay JSON-safe.
  const attrs = { min: lo === -Infinity ? null : lo, max: hi === Infinity ? null : hi };
  return unary('clamp', x, (o, v, N) => K.clampForward(o, v, lo, hi, N), (dx, dy, v, N) => K.clampBackward(dx, dy, v, lo, hi, N), 'x', attrs);
}
