import { record } from '../autograd';
import { ArgumentError } from '../errors';
import { defaultGenerator, type Generator } from '../random';
import { describe } from '../shape';
import { Tensor } from '../tensor';

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
 * @example
 * // each entry 0 or 1/(1 − p) = 2, the same for every run with this seed
 * dropout(ones([6]), 0.5, { rng: new Generator(1) }).toArray(); // [2, 2, 2, 0, 0, 2]
 * @throws ArgumentError if p is not a number in [0, 1].
 * @see Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from Overfitting" (2014), https://jmlr.org/papers/v15/srivastava14a.html
 * @category Neural network ops
 */
export function dropout(x: Tensor, p: number, options: DropoutOptions = {}): Tensor {
  const op = 'dropout';
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(x)}`);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ArgumentError(`${op}: p must be a probability in [0, 1], got ${describe(p)}`);
  const { training = true, rng = defaultGenerator() } = options ?? {};
  if (!training || p === 0 || x.size === 0) return x;
  const N = x.size;
  // Mask values are 0 or 1/(1 − p); p = 1 keeps every entry 0 without drawing.
  const mask = new Float32Array(N);
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
  });
}
