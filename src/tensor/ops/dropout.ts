import { record } from '../autograd';
import { ArgumentError } from '../errors';
import { bool, checkArg, parseOptions, prob, rng as rngCheck } from '../options';
import { defaultGenerator, type Generator } from '../random';
import { describe } from '../shape';
import { Tensor } from '../tensor';

const DROPOUT_SPEC = { training: bool, rng: rngCheck };

/** Options of {@link dropout}. */
export interface DropoutOptions {
  /** Drop and rescale (default true); false returns x unchanged. */
  training?: boolean;
  /** Generator of the mask (default: the global one, see `manualSeed`). */
  rng?: Generator;
}

/**
 * Inverted dropout: y = x · m / (1 − p) with m ~ Bernoulli(1 − p) per element, so E[y] = x and
 * nothing needs rescaling at eval time. Returns x itself in eval mode, when p = 0 or when x is
 * empty (as PyTorch), drawing nothing; p = 1 gives zeros. A dropped NaN stays NaN (x · 0).
 * The mask comes from `rng`, one `random()` draw per element, so a seed reproduces it.
 * Shapes: x (…) → y (…), same shape.
 * Gradient: dx = dy · m / (1 − p), with the same mask.
 * `dropout(x, p, false)` (PyTorch's positional `training`) is accepted for `{ training: false }`.
 * @example
 * // each entry 0 or 1/(1 − p) = 2, the same for every run with this seed:
 * dropout(ones([6]), 0.5, { rng: new Generator(1) }).toArray(); // [2, 2, 2, 0, 0, 2]
 * @throws ArgumentError if p is not a number in [0, 1], or on an unknown or mistyped option.
 * @see Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from Overfitting" (2014), https://jmlr.org/papers/v15/srivastava14a.html
 * @category Neural network ops
 */
export function dropout(x: Tensor, p: number, options: DropoutOptions | boolean = {}): Tensor {
  const op = 'dropout';
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(x)}`);
  checkArg(op, 'p', p, prob);
  // PyTorch's F.dropout(x, p, training) takes training positionally.
  const o = typeof options === 'boolean' ? { training: options } : parseOptions(op, options, DROPOUT_SPEC);
  const training = o.training ?? true;
  if (!training || p === 0 || x.size === 0) return x;
  const N = x.size;
  // Mask values are 0 or 1/(1 − p); p = 1 keeps every entry 0 without drawing.
  const mask = new Float32Array(N);
  const rng = ('rng' in o ? o.rng : undefined) ?? defaultGenerator();
  if (p < 1) {
    const scale = 1 / (1 - p);
    for (let i = 0; i < N; i++) if (rng.random() >= p) mask[i] = scale;
  }
  const out = Tensor.empty(x.shape);
  const y = out.data, xd = x.data;
  for (let i = 0; i < N; i++) y[i] = xd[i] * mask[i];
  return record(op, out, [x], (dy) => {
    if (!x.requiresGrad) return;
    const dx = x.gradBuffer();
    for (let i = 0; i < N; i++) dx[i] += dy[i] * mask[i];
  }, { p, training });
}
