import { swapTracer, type TracedOp } from './autograd';
import { ArgumentError } from './errors';
import { describe } from './shape';

export type { TracedOp } from './autograd';

/** What {@link trace} returns: `fn`'s result and the ops it ran, in execution order. @internal */
export interface Trace<T> {
  /** The value `fn` returned. */
  result: T;
  /** Every op recorded while `fn` ran: name, input tensors, output tensor and attributes. */
  ops: TracedOp[];
}

/**
 * Runs `fn` and records every op it executes, whether or not gradients are enabled (inside
 * `noGrad` too) and whether or not any input requires grad: the graph an exporter (ONNX) or a
 * per-sample-gradient transform reads. Each entry holds the op's name as `record` knows it
 * (`'linear'`, `'relu'`, `'reshape'` …; composite functions such as `transpose` or `conv1d` appear as
 * the primitive ops they run), its input tensors in order, its output, and its attributes
 * (`{ axis, keepDims }`, `{ stride, padding, … }`, `{}` when it has none). Tensors are the live
 * objects, so an entry's inputs can be matched to earlier entries' outputs by identity. A nested
 * trace records its ops in its own list and then in the enclosing one. Costs nothing when no trace
 * runs (one null check per op).
 * @internal
 */
export function trace<T>(fn: () => T): Trace<T> {
  if (typeof fn !== 'function') throw new ArgumentError(`trace: fn must be a function, got ${describe(fn)}`);
  const ops: TracedOp[] = [];
  const outer = swapTracer(ops);
  try {
    const result = fn();
    return { result, ops };
  } finally {
    swapTracer(outer);
    if (outer !== null) for (let i = 0; i < ops.length; i++) outer.push(ops[i]);
  }
}
