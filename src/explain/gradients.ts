// Gradient attributions with Captum's semantics and defaults (captum.attr 0.6): Saliency,
// InputXGradient and IntegratedGradients, for differentiable predictors (tensorkit ops end to end).
import { ArgumentError, Tensor, enableGrad } from '../tensor/index';
import { anyOf, arrayOf, bool, checkArg, finite, instanceOf, int, nonNegInt, oneOf, parseOptions, posInt, type Check } from '../tensor/options';
import { callPredictor, type Predictor } from './predictor';

/** Which output an attribution explains: one index for every sample, or one per sample. @category Explain */
export type Target = number | readonly number[];

/** An attribution: values in the input's layout (row-major), its shape, and per-sample extras. @category Explain */
export interface Attribution {
  /** Attribution of each input value, row-major in `shape`. */
  attributions: Float32Array;
  /** The input's shape (first axis: samples). */
  shape: number[];
}

/** What {@link integratedGradients} returns. @category Explain */
export interface IntegratedGradientsResult extends Attribution {
  /**
   * Per sample, Σ attributions − (F(x) − F(baseline)): the completeness gap Captum calls the
   * convergence delta (it shrinks as `nSteps` grows).
   */
  delta: number[];
}

const targetCheck: Check<Target> = anyOf('an output index or an array of one index per sample', nonNegInt as Check<Target>, arrayOf(nonNegInt) as Check<Target>);

function inputArg(op: string, x: unknown): Tensor {
  const t = checkArg(op, 'x', x, instanceOf(Tensor));
  if (t.shape.length < 1 || t.shape[0] === 0) throw new ArgumentError(`${op}: x must have a sample axis with at least one sample, got shape [${t.shape.join(', ')}]`);
  return t;
}

/**
 * Gradient of the selected output of each sample with respect to its input, summed over a batch
 * (samples do not interact: a Module runs in eval mode). Returns the gradient and the selected
 * outputs (one per sample).
 */
function inputGradient(op: string, model: Predictor, x: Float32Array, shape: number[], target: Target | undefined): { grad: Float32Array; out: Float64Array } {
  const xt = new Tensor(x, shape, true);
  const out = enableGrad(() => callPredictor(op, model, xt, true));
  const n = shape[0];
  if (out.shape[0] !== n || out.shape.length > 2) throw new ArgumentError(`${op}: the model returned shape [${out.shape.join(', ')}] for ${n} samples; it must return [${n}] or [${n}, K]`);
  const k = out.shape.length === 2 ? out.shape[1] : 1;
  if (k > 1 && target === undefined) throw new ArgumentError(`${op}: the model has ${k} outputs per sample; say which to explain with target`);
  const pick = (i: number): number => {
    const t = target === undefined ? 0 : typeof target === 'number' ? target : target[i % target.length];
    if (t >= k) throw new ArgumentError(`${op}: target ${t} is out of range for ${k} outputs`);
    return t;
  };
  const seed = new Float32Array(out.size);
  const sel = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = pick(i);
    seed[i * k + t] = 1;
    sel[i] = out.data[i * k + t];
  }
  if (!out.requiresGrad) throw new ArgumentError(`${op}: the model's output does not depend differentiably on its input (build it from tensorkit ops, without noGrad)`);
  out.backward(new Tensor(seed, out.shape));
  return { grad: xt.grad ?? new Float32Array(xt.size), out: sel };
}

function checkTarget(op: string, target: Target | undefined, n: number): void {
  if (Array.isArray(target) && target.length !== n) throw new ArgumentError(`${op}: target has ${target.length} entries for ${n} samples`);
}

/**
 * Saliency (Simonyan et al. 2013) as Captum's `Saliency`: the gradient of the target output with
 * respect to the input, in absolute value unless `abs: false`.
 * @example
 * // const { attributions } = saliency(net, x, { target: 3 });
 * @category Explain
 */
export function saliency(model: Predictor, x: Tensor, options: { target?: Target; abs?: boolean } = {}): Attribution {
  const op = 'saliency';
  const o = parseOptions(op, options, { target: targetCheck, abs: bool });
  const xt = inputArg(op, x);
  checkTarget(op, o.target, xt.shape[0]);
  const { grad } = inputGradient(op, model, xt.data.slice(0, xt.size), [...xt.shape], o.target);
  if (o.abs !== false) for (let i = 0; i < grad.length; i++) grad[i] = Math.abs(grad[i]);
  return { attributions: grad, shape: [...xt.shape] };
}

/**
 * Input × gradient (Shrikumar et al. 2016) as Captum's `InputXGradient`: the input times the
 * gradient of the target output with respect to it.
 * @category Explain
 */
export function inputXGradient(model: Predictor, x: Tensor, options: { target?: Target } = {}): Attribution {
  const op = 'inputXGradient';
  const o = parseOptions(op, options, { target: targetCheck });
  const xt = inputArg(op, x);
  checkTarget(op, o.target, xt.shape[0]);
  const { grad } = inputGradient(op, model, xt.data.slice(0, xt.size), [...xt.shape], o.target);
  for (let i = 0; i < grad.length; i++) grad[i] *= xt.data[i];
  return { attributions: grad, shape: [...xt.shape] };
}

/** The integration methods of {@link integratedGradients}, Captum's names. @category Explain */
export type IntegrationMethod = 'gausslegendre' | 'riemann_left' | 'riemann_right' | 'riemann_middle' | 'riemann_trapezoid';
const METHODS: readonly IntegrationMethod[] = ['gausslegendre', 'riemann_left', 'riemann_right', 'riemann_middle', 'riemann_trapezoid'];

/**
 * Gauss–Legendre nodes and weights on [−1, 1] (as numpy.polynomial.legendre.leggauss): Newton's
 * method on P_n from the Chebyshev guesses, in float64.
 * @internal
 */
export function legendreGauss(n: number): { nodes: number[]; weights: number[] } {
  const nodes = new Array<number>(n), weights = new Array<number>(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1, p1 = z;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (z * p1 - p0)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    nodes[i] = -z;
    nodes[n - 1 - i] = z;
    weights[i] = weights[n - 1 - i] = 2 / ((1 - z * z) * dp * dp);
  }
  if (n % 2 === 1) nodes[(n - 1) / 2] = 0;
  return { nodes, weights };
}

/** Captum's step sizes and alphas on [0, 1] for a method and a step count. @internal */
export function integrationSteps(method: IntegrationMethod, n: number): { alphas: number[]; weights: number[] } {
  if (method === 'gausslegendre') {
    const { nodes, weights } = legendreGauss(n);
    return { alphas: nodes.map((x) => (x + 1) / 2), weights: weights.map((w) => w / 2) };
  }
  const lin = (a: number, b: number) => Array.from({ length: n }, (_, i) => (n === 1 ? a : a + ((b - a) * i) / (n - 1)));
  if (method === 'riemann_trapezoid') {
    if (n < 2) throw new ArgumentError('integratedGradients: riemann_trapezoid needs nSteps ≥ 2');
    const w = Array.from({ length: n }, (_, i) => (i === 0 || i === n - 1 ? 1 / (2 * (n - 1)) : 1 / (n - 1)));
    return { alphas: lin(0, 1), weights: w };
  }
  const w = new Array<number>(n).fill(1 / n);
  if (method === 'riemann_left') return { alphas: lin(0, 1 - 1 / n), weights: w };
  if (method === 'riemann_right') return { alphas: lin(1 / n, 1), weights: w };
  return { alphas: lin(1 / (2 * n), 1 - 1 / (2 * n)), weights: w };
}

/** Options of {@link integratedGradients} (Captum's names and defaults). @category Explain */
export interface IntegratedGradientsOptions {
  /** The reference input: a number for every value (default 0), or a Tensor of x's shape or of one sample's shape. */
  baselines?: number | Tensor;
  /** Points on the path (default 50). */
  nSteps?: number;
  /** How the path integral is approximated (default `'gausslegendre'`). */
  method?: IntegrationMethod;
  /** Which output to explain (required when the model has several per sample). */
  target?: Target;
  /** Samples × steps per forward pass (default: all at once). */
  internalBatchSize?: number;
}

/**
 * Integrated gradients (Sundararajan et al. 2017) as Captum's `IntegratedGradients.attribute`:
 * (x − baseline) ⊙ ∫₀¹ ∂F(baseline + α(x − baseline))/∂x dα, the integral by `nSteps` points of
 * `method`, with the convergence delta Σ attributions − (F(x) − F(baseline)) per sample.
 * @example
 * // const { attributions, delta } = integratedGradients(net, x, { target: 1 });
 * @throws ArgumentError for a model with several outputs and no target, a baseline of another shape, a non-differentiable model.
 * @category Explain
 */
export function integratedGradients(model: Predictor, x: Tensor, options: IntegratedGradientsOptions = {}): IntegratedGradientsResult {
  const op = 'integratedGradients';
  const o = parseOptions(op, options, {
    baselines: anyOf('a number or a Tensor', finite as Check<number | Tensor>, instanceOf(Tensor) as Check<number | Tensor>),
    nSteps: posInt, method: oneOf(METHODS), target: targetCheck, internalBatchSize: int({ min: 1 }),
  });
  const xt = inputArg(op, x);
  const shape = [...xt.shape];
  const n = shape[0], per = xt.size / n;
  checkTarget(op, o.target, n);
  const base = new Float32Array(xt.size);
  const b = o.baselines ?? 0;
  if (typeof b === 'number') base.fill(b);
  else if (b.size === xt.size && b.shape.length === shape.length) base.set(b.data.subarray(0, b.size));
  else if (b.size === per) for (let i = 0; i < n; i++) base.set(b.data.subarray(0, per), i * per);
  else throw new ArgumentError(`${op}: baselines of shape [${b.shape.join(', ')}] fit neither x [${shape.join(', ')}] nor one sample [${shape.slice(1).join(', ')}]`);
  const nSteps = o.nSteps ?? 50;
  const { alphas, weights } = integrationSteps(o.method ?? 'gausslegendre', nSteps);
  const total = new Float64Array(xt.size);
  // Rows of the path batch: step s of sample i is row s·n + i, so a target per sample repeats.
  const rowsPerPass = Math.max(1, Math.floor((o.internalBatchSize ?? n * nSteps) / n)) ;
  for (let s0 = 0; s0 < nSteps; s0 += rowsPerPass) {
    const steps = Math.min(rowsPerPass, nSteps - s0);
    const path = new Float32Array(steps * xt.size);
    for (let s = 0; s < steps; s++) {
      const a = alphas[s0 + s];
      for (let j = 0; j < xt.size; j++) path[s * xt.size + j] = base[j] + a * (xt.data[j] - base[j]);
    }
    const tgt = Array.isArray(o.target) ? Array.from({ length: steps * n }, (_, r) => (o.target as number[])[r % n]) : o.target;
    const { grad } = inputGradient(op, model, path, [steps * n, ...shape.slice(1)], tgt);
    for (let s = 0; s < steps; s++) {
      const w = weights[s0 + s];
      for (let j = 0; j < xt.size; j++) total[j] += w * grad[s * xt.size + j];
    }
  }
  const attributions = new Float32Array(xt.size);
  for (let j = 0; j < xt.size; j++) attributions[j] = (xt.data[j] - base[j]) * total[j];
  // Convergence delta: F at both ends, from one forward pass each.
  const ends = new Float32Array(2 * xt.size);
  ends.set(xt.data.subarray(0, xt.size), 0);
  ends.set(base, xt.size);
  const tgt2 = Array.isArray(o.target) ? [...(o.target as number[]), ...(o.target as number[])] : o.target;
  const { out } = inputGradient(op, model, ends, [2 * n, ...shape.slice(1)], tgt2);
  const delta = Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < per; j++) s += attributions[i * per + j];
    return s - (out[i] - out[n + i]);
  });
  return { attributions, shape, delta };
}

