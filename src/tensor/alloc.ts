import { ArgumentError, FormatError } from './errors';
import { describe } from './shape';

// The one place tensor storage is allocated (internal). Every op output, parameter and buffer of
// the library is created through `allocFloat32` (or charged with `chargeAllocation` when it is an
// integer array), which does two things before any memory is taken:
// - refuses a size that is not a safe integer in [0, 2^31 − 1] with a typed error naming the op
//   (`arange(0, 2 ** 53)` must not reach `new Float32Array`, which throws a raw RangeError);
// - while a load is under way (`withAllocationLimit`), charges the elements to the load's budget,
//   so a 500-byte model file that claims `numLayers: 2e5` fails after a few kilobytes, not after
//   gigabytes: a file can only ask for as many elements as it carries bytes for.

/** Largest number of elements one tensor may hold (typed arrays index with int32 here). @internal */
export const MAX_ELEMENTS = 2 ** 31 - 1;

interface Budget {
  left: number;
  what: string;
  limit: number;
}

let budget: Budget | null = null;

/**
 * Checks that `n` elements can be allocated for `op` and charges them to the active load budget.
 * @throws ArgumentError for a size that is not an integer in [0, 2^31 − 1]; FormatError
 * `ALLOCATION_LIMIT` when a load under {@link withAllocationLimit} asks for more than it carries.
 * @internal
 */
export function chargeAllocation(n: number, op: string): void {
  if (!(Number.isSafeInteger(n) && n >= 0 && n <= MAX_ELEMENTS)) {
    throw new ArgumentError(`${op}: the result would have ${describe(n)} elements; at most 2^31 − 1 (${MAX_ELEMENTS}) fit in one tensor`);
  }
  if (budget !== null) {
    budget.left -= n;
    if (budget.left < 0) {
      throw new FormatError(
        `${budget.what}: building the model asks for more than the ${budget.limit} elements the file carries (at ${op}); the file's sizes are wrong or hostile`,
        'ALLOCATION_LIMIT',
      );
    }
  }
}

/** A zeroed Float32Array of `n` elements, checked and charged (see {@link chargeAllocation}). @internal */
export function allocFloat32(n: number, op: string): Float32Array {
  chargeAllocation(n, op);
  return new Float32Array(n);
}

/**
 * Runs `fn` with at most `elements` tensor elements allocatable through {@link allocFloat32} and
 * {@link chargeAllocation} (nested limits take the smaller remainder); `what` names the load in the
 * error. Restores the previous state even if `fn` throws.
 * @internal
 */
export function withAllocationLimit<T>(elements: number, what: string, fn: () => T): T {
  const prev = budget;
  const left = prev === null ? elements : Math.min(elements, prev.left);
  budget = { left, what, limit: elements };
  try {
    return fn();
  } finally {
    if (prev !== null) prev.left -= Math.max(0, left - budget.left);
    budget = prev;
  }
}
