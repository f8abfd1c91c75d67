import { ArgumentError, ShapeError, fmtShape } from './errors';

/** Product of the dimensions (1 for a scalar shape `[]`). @internal */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** Row-major strides of a contiguous tensor. @internal */
export function stridesOf(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

/** True when both shapes have the same dimensions. @internal */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Validates a user-supplied shape: an array of non-negative safe integers. Returns a fresh copy.
 * @internal
 */
export function checkShape(shape: unknown, op: string, arg = 'shape'): number[] {
  if (!Array.isArray(shape)) {
    throw new ArgumentError(`${op}: ${arg} must be an array of non-negative integers, got ${describe(shape)}`);
  }
  const out = new Array<number>(shape.length);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new ArgumentError(`${op}: ${arg} must contain non-negative integers, got ${arg}[${i}] = ${describe(d)} in [${shape.map(describe).join(', ')}]`);
    }
    out[i] = d;
  }
  if (sizeOf(out) > 2 ** 31 - 1) {
    throw new ArgumentError(`${op}: ${arg} ${fmtShape(out)} has more than 2^31 − 1 elements`);
  }
  return out;
}

/**
 * Short description of a value for error messages: numbers and strings as written, `array(3)`,
 * the class name of an object, `symbol Symbol(x)`, `bigint 5n`. Never throws (a template literal
 * of a Symbol would), so building an error message cannot fail. The one value formatter of every
 * message in the library.
 * @internal
 */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  switch (typeof v) {
    case 'number': return Object.is(v, -0) ? '-0' : String(v);
    case 'string': return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
    case 'boolean': return String(v);
    case 'bigint': return `bigint ${v}n`;
    case 'symbol': return `symbol ${v.toString()}`;
    case 'function': return v.name ? `function ${v.name}` : 'a function';
    default: break;
  }
  if (Array.isArray(v)) return `array(${v.length})`;
  let name: unknown;
  try {
    name = (v as object).constructor?.name;
  } catch {
    name = undefined;
  }
  return typeof name === 'string' && name !== '' ? name : 'object';
}

/**
 * NumPy broadcasting of two shapes: dimensions are aligned from the right and must be equal or 1.
 * @throws ShapeError naming both shapes and the first conflicting dimension.
 * @internal
 */
export function broadcastShapes(a: readonly number[], b: readonly number[], op: string, names = ['a', 'b']): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else {
      throw new ShapeError(
        `${op}: ${names[0]} ${fmtShape(a)} and ${names[1]} ${fmtShape(b)} cannot be broadcast: dimension ${i - n} is ${da} vs ${db}`,
      );
    }
  }
  return out;
}

/**
 * Strides for reading a tensor of `shape` as if it had the (broadcast) shape `target`: dimensions
 * of size 1 that are stretched, and missing leading dimensions, get stride 0.
 * @internal
 */
export function broadcastStrides(shape: readonly number[], target: readonly number[]): number[] {
  const st = stridesOf(shape);
  const out = new Array<number>(target.length).fill(0);
  const off = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[i + off] = shape[i] === 1 && target[i + off] !== 1 ? 0 : st[i];
  return out;
}

/**
 * Resolves a possibly negative axis against `ndim`.
 * @throws ArgumentError when not an integer in [−ndim, ndim).
 * @internal
 */
export function normAxis(axis: unknown, ndim: number, op: string, shape?: readonly number[]): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    const s = shape ? ` for a tensor of shape ${fmtShape(shape)}` : '';
    throw new ArgumentError(`${op}: axis ${describe(axis)} is out of range [${-ndim}, ${ndim - 1}]${s}`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/**
 * Resolves `axis` (a number, an array, or undefined for all axes) to a sorted list of distinct
 * non-negative axes.
 * @internal
 */
export function normAxes(axis: number | readonly number[] | undefined, ndim: number, op: string, shape?: readonly number[]): number[] {
  if (axis === undefined) {
    const all = new Array<number>(ndim);
    for (let i = 0; i < ndim; i++) all[i] = i;
    return all;
  }
  const list = typeof axis === 'number' ? [axis] : Array.isArray(axis) ? axis : null;
  if (list === null) throw new ArgumentError(`${op}: axis must be a number or an array of numbers, got ${describe(axis)}`);
  const out = list.map((a) => normAxis(a, ndim, op, shape)).sort((x, y) => x - y);
  for (let i = 1; i < out.length; i++) {
    if (out[i] === out[i - 1]) throw new ArgumentError(`${op}: axis ${out[i]} appears more than once in [${list.join(', ')}]`);
  }
  return out;
}

/**
 * The multi-index of flat position k in `shape`, for error messages: `1, 2` (or just `k` for 0-D
 * and 1-D shapes).
 * @internal
 */
export function fmtPosition(k: number, shape: readonly number[]): string {
  if (shape.length <= 1) return String(k);
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = k % shape[d];
    k = Math.floor(k / shape[d]);
  }
  return idx.join(', ');
}
