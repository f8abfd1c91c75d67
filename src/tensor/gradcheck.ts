import { noGrad } from './autograd';
import { ArgumentError, ShapeError, fmtShape } from './errors';
import { nonNeg, parseOptions, posInt, positive, rng as rngCheck } from './options';
import { Generator } from './random';
import { describe } from './shape';
import { Tensor } from './tensor';

const GRADCHECK_SPEC = { eps: positive, atol: nonNeg, rtol: nonNeg, trials: posInt, rng: rngCheck };

/** Options of {@link gradcheck}. */
export interface GradcheckOptions {
  /** Step of the central difference (default 1e-3, suited to float32). */
  eps?: number;
  /** Absolute tolerance (default 1e-3). */
  atol?: number;
  /** Relative tolerance (default 1e-2). */
  rtol?: number;
  /** Number of random directions tried (default 2); all must pass. */
  trials?: number;
  /** Generator for the directions and cotangents (default: a fixed seed, so checks are repeatable). */
  rng?: Generator;
}

/** Result of {@link gradcheck}: the worst of the trials. */
export interface GradcheckResult {
  /** True when every trial is within atol + rtol · max(|analytic|, |numeric|). */
  ok: boolean;
  /** ⟨u, J v⟩ from autograd (the vector–Jacobian product dotted with the direction). */
  analytic: number;
  /** The same from central differences. */
  numeric: number;
  /** |analytic − numeric|. */
  error: number;
}

/**
 * Checks the gradient of `fn` at `inputs` in a random direction with a random cotangent (JAX's
 * check_vjp): for u ~ N(0, I) over the output and v ~ N(0, I) over the inputs, compares
 * ⟨backward(u), v⟩ with (⟨u, f(x + εv)⟩ − ⟨u, f(x − εv)⟩) / 2ε. A random cotangent (never all
 * ones) catches gradients that are wrong only off the diagonal. Use it to test custom ops.
 * Shapes: inputs of every shape; `fn` returns a tensor of whatever shape it computes.
 * @example
 * gradcheck((x) => mul(x, x), [randn([3])]).ok; // true
 * @throws ArgumentError if an input is not a Tensor.
 * @category Autograd
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  const o = parseOptions('gradcheck', options, GRADCHECK_SPEC);
  const { eps, atol, rtol, trials } = { eps: 1e-3, atol: 1e-3, rtol: 1e-2, trials: 2, ...o };
  const rng = o.rng ?? new Generator(20260101);
  if (typeof fn !== 'function') throw new ArgumentError(`gradcheck: fn must be a function, got ${describe(fn)}`);
  if (!Array.isArray(inputs)) throw new ArgumentError(`gradcheck: inputs must be an array of tensors, got ${describe(inputs)}`);
  inputs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new ArgumentError(`gradcheck: inputs[${i}] must be a Tensor`);
  });
  let worst: GradcheckResult = { ok: true, analytic: 0, numeric: 0, error: 0 };
  let worstRatio = -1;
  for (let t = 0; t < trials; t++) {
    const leaves = inputs.map((x) => new Tensor(x.data.slice(), x.shape, true));
    const y = fn(...leaves);
    if (!(y instanceof Tensor)) throw new ArgumentError('gradcheck: fn must return a Tensor');
    const u = new Float32Array(y.size);
    rng.fillNormal(u);
    const dirs = inputs.map((x) => rng.fillNormal(new Float32Array(x.size)));
    let analytic = 0;
    if (y.requiresGrad) {
      y.backward(u);
      leaves.forEach((leaf, i) => {
        const g = leaf.grad;
        if (g === null) return;
        for (let k = 0; k < g.length; k++) analytic += g[k] * dirs[i][k];
      });
    }
    const evalAt = (s: number): number =>
      noGrad(() => {
        const xs = inputs.map((x, i) => {
          const d = new Float32Array(x.size);
          for (let k = 0; k < d.length; k++) d[k] = x.data[k] + s * dirs[i][k];
          return new Tensor(d, x.shape);
        });
        const out = fn(...xs);
        if (out.size !== u.length) throw new ArgumentError(`gradcheck: fn output changed shape to ${fmtShape(out.shape)}`);
        let acc = 0;
        for (let k = 0; k < u.length; k++) acc += u[k] * out.data[k];
        return acc;
      });
    const numeric = (evalAt(eps) - evalAt(-eps)) / (2 * eps);
    const error = Math.abs(analytic - numeric);
    const tol = atol + rtol * Math.max(Math.abs(analytic), Math.abs(numeric));
    const ratio = error / tol;
    if (ratio > worstRatio || !(error === error)) {
      worstRatio = ratio;
      worst = { ok: error <= tol, analytic, numeric, error };
    }
  }
  return worst;
}

/**
 * Functional gradient (JAX's `value_and_grad`): returns a function that evaluates `fn` on its
 * tensor arguments and returns the value together with the gradient of the (one-element) value
 * with respect to each argument. Arguments are not modified; their `grad` is untouched.
 * Shapes: each gradient has its argument's shape (zeros where the value does not depend on it).
 * @example
 * const [v, [g]] = valueAndGrad((x) => sum(square(x)))(tensor([1, 2]));
 * v.item(); // 5
 * g.toArray(); // [2, 4]
 * @throws ShapeError if `fn` does not return a one-element tensor.
 * @category Autograd
 */
export function valueAndGrad(fn: (...xs: Tensor[]) => Tensor): (...xs: Tensor[]) => [Tensor, Tensor[]] {
  return (...xs: Tensor[]) => {
    xs.forEach((x, i) => {
      if (!(x instanceof Tensor)) throw new ArgumentError(`valueAndGrad: argument ${i} must be a Tensor`);
    });
    const leaves = xs.map((x) => new Tensor(x.data, x.shape, true));
    const value = fn(...leaves);
    if (!(value instanceof Tensor)) throw new ArgumentError('valueAndGrad: fn must return a Tensor');
    if (value.size !== 1) throw new ShapeError(`valueAndGrad: fn must return a one-element tensor, got ${fmtShape(value.shape)}`);
    if (value.requiresGrad) value.backward();
    const grads = leaves.map((l) => new Tensor(l.grad ?? new Float32Array(l.size), l.shape));
    return [value.detach(), grads];
  };
}
