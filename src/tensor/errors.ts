/**
 * Stable machine-readable error codes. A code never changes meaning between versions; match on it
 * rather than on the message text.
 * @category Errors
 */
export type ErrorCode =
  | 'SHAPE_MISMATCH'
  | 'INVALID_ARGUMENT'
  | 'INVALID_FORMAT'
  | 'NOT_FITTED'
  | 'NUMERIC'
  | 'GRAPH_RELEASED'
  | 'NOT_DIFFERENTIABLE'
  | 'TRUNCATED' | 'HEADER_TOO_LARGE' | 'BAD_JSON' | 'DUPLICATE_KEY' | 'FORBIDDEN_KEY' | 'BAD_HEADER' | 'BAD_DTYPE' | 'BAD_SHAPE' | 'SIZE_MISMATCH' | 'BAD_OFFSETS' | 'TRAILING_BYTES' | 'BAD_METADATA' | 'BAD_VALUE' | 'BAD_CONFIG' | 'STATE_DICT_MISMATCH' | 'UNSUPPORTED_VERSION' | 'UNKNOWN_CONSTRUCTOR' | 'CHECKSUM_MISMATCH' | 'BAD_INDEX' | 'LOCK_TIMEOUT' | 'NOT_FOUND' | 'ALLOCATION_LIMIT' | 'INTEGRITY';

/**
 * Base class of every error tensorkit throws on purpose. The message names the op, the argument and
 * every shape involved, e.g. `matmul: a [2, 3] and b [4, 5]: inner dimensions 3 and 4 differ`.
 * @example
 * const codeOf = (f: () => unknown) => { try { f(); return null; } catch (e) { return (e as TensorkitError).code; } };
 * codeOf(() => matmul(zeros([2, 3]), zeros([4, 5]))); // 'SHAPE_MISMATCH'
 * @category Errors
 */
export class TensorkitError extends Error {
  /** Stable error code, see {@link ErrorCode}. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * Shapes that do not fit together (broadcasting, matmul inner dimensions, reshape sizes, axes).
 * Code `SHAPE_MISMATCH`.
 * @category Errors
 */
export class ShapeError extends TensorkitError {
  constructor(message: string) {
    super('SHAPE_MISMATCH', message);
  }
}

/**
 * An argument of the wrong type or outside its valid range (NaN sizes, negative counts, unknown
 * options). Code `INVALID_ARGUMENT`.
 * @category Errors
 */
export class ArgumentError extends TensorkitError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/**
 * Malformed serialized input (files, JSON, CSV). Code `INVALID_FORMAT` unless a more specific code
 * is given.
 * @category Errors
 */
export class FormatError extends TensorkitError {
  constructor(message: string, code: ErrorCode = 'INVALID_FORMAT') {
    super(code, message);
  }
}

/**
 * A NaN or ±Inf found by `setDebug({ checkNumerics: true })`. Code `NUMERIC`.
 * @category Errors
 */
export class NumericError extends TensorkitError {
  constructor(message: string) {
    super('NUMERIC', message);
  }
}

/**
 * Data that failed an integrity check: a model file that does not decrypt under the given key, a
 * flipped bit in an encrypted or signed file, a signature that does not verify, an audit log whose
 * hash chain is broken. Code `INTEGRITY`. The message says what failed, never which byte, and no
 * partial plaintext is ever returned.
 * @category Errors
 */
export class IntegrityError extends TensorkitError {
  constructor(message: string) {
    super('INTEGRITY', message);
  }
}

/** Formats a shape the way every message shows it: `[2, 3]`. @internal */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
