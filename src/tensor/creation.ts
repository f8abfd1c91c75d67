import { allocFloat32 } from './alloc';
import { record } from './autograd';
import { ArgumentError, ShapeError, fmtShape } from './errors';
import { bool, isPlainObject, parseOptions, rng as rngCheck } from './options';
import { defaultGenerator, type Generator } from './random';
import { checkShape, describe, sizeOf } from './shape';
import { Tensor, floatsFromJson, type NestedArray, type TensorJson } from './tensor';

/** Options of the creation functions. */
export interface CreationOptions {
  /** Make the result a leaf that requires grad. */
  requiresGrad?: boolean;
}

/** Options of the random creation functions. */
export interface RandomOptions extends CreationOptions {
  /** The generator to draw from (default: the global one, see `manualSeed`). */
  rng?: Generator;
}

const CREATION_SPEC = { requiresGrad: bool };
const RANDOM_SPEC = { requiresGrad: bool, rng: rngCheck };

/** `requiresGrad` of creation options, checked. */
function requiresGradOf(op: string, options: unknown): boolean {
  return parseOptions(op, options, CREATION_SPEC).requiresGrad === true;
}

/** The checked options of a random creation function, with the default generator filled in. */
function randomOptions(op: string, options: unknown): { requiresGrad: boolean; rng: Generator } {
  const o = parseOptions(op, options, RANDOM_SPEC);
  return { requiresGrad: o.requiresGrad === true, rng: o.rng ?? defaultGenerator() };
}

/** Anything `tensor()` accepts: values, or the JSON form of a tensor ({@link Tensor.toJSON}). */
export type TensorLike = number | NestedArray | ArrayLike<number> | Float32Array | Float64Array | Int32Array | TensorJson;

function inferShape(values: unknown, op: string): number[] {
  const shape: number[] = [];
  let v: unknown = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  if (ArrayBuffer.isView(v)) shape.push((v as unknown as ArrayLike<number>).length);
  else if (typeof v !== 'number' && !(Array.isArray(v))) {
    throw new ArgumentError(`${op}: values must be numbers or nested arrays of numbers, found ${describe(v)}`);
  }
  return shape;
}

function fill(out: Float32Array, values: unknown, shape: number[], dim: number, off: number, op: string, path: string): number {
  if (dim === shape.length) {
    if (typeof values !== 'number') throw new ArgumentError(`${op}: expected a number at ${path || 'the top level'}, found ${describe(values)}`);
    out[off] = values;
    return off + 1;
  }
  const n = shape[dim];
  if (ArrayBuffer.isView(values)) {
    const arr = values as unknown as ArrayLike<number>;
    if (dim !== shape.length - 1 || arr.length !== n) throw new ShapeError(`${op}: ragged values: typed array of length ${arr.length} at ${path || 'top'} where shape ${fmtShape(shape)} expects ${n}`);
    for (let i = 0; i < n; i++) out[off + i] = arr[i];
    return off + n;
  }
  if (!Array.isArray(values)) throw new ArgumentError(`${op}: expected an array at ${path || 'the top level'} (shape ${fmtShape(shape)}), found ${describe(values)}`);
  if (values.length !== n) throw new ShapeError(`${op}: ragged values: ${path || 'top level'} has length ${values.length} but the first row implies shape ${fmtShape(shape)}`);
  for (let i = 0; i < n; i++) off = fill(out, values[i], shape, dim + 1, off, op, `${path}[${i}]`);
  return off;
}

/**
 * Builds a tensor from a number, nested arrays, or a flat array/typed array with an explicit
 * shape. Values are copied into a new `Float32Array`. The JSON form of a tensor (`{ shape, data }`,
 * what `JSON.stringify(t)` writes; see {@link Tensor.toJSON}) is read back too.
 * Shapes: inferred from nesting, or `shape` (whose product must equal the number of values), or
 * the JSON form's `shape`.
 * The options may come second when there is no shape: `tensor([1, 2], { requiresGrad: true })`.
 * @example
 * tensor([[1, 2, 3], [4, 5, 6]]).shape; // [2, 3]
 * tensor([1, 2, 3, 4], [2, 2]).tolist(); // [[1, 2], [3, 4]]
 * tensor(5).shape; // []
 * tensor({ shape: [2], data: [1, '-Infinity'] }).toArray(); // [1, -Infinity]
 * @throws ShapeError on ragged arrays or a shape that does not match the value count; ArgumentError on non-numbers or an unknown option;
 * FormatError on a malformed JSON form (naming its shape and data length).
 * @category Creation
 */
export function tensor(values: TensorLike, shape?: readonly number[] | CreationOptions, options: CreationOptions = {}): Tensor {
  if (isPlainObject(shape)) {
    if (arguments.length > 2) throw new ArgumentError('tensor: options were given both second (in place of the shape) and third');
    return tensor(values, undefined, shape);
  }
  const requiresGrad = requiresGradOf('tensor', options);
  let data: Float32Array;
  let s: number[];
  if (isPlainObject(values)) {
    if (shape !== undefined) throw new ArgumentError(`tensor: a JSON tensor { shape, data } carries its shape; got a shape ${describe(shape)} too`);
    const r = floatsFromJson(values, 'tensor: the JSON tensor', 'tensor');
    return new Tensor(r.data, r.shape, requiresGrad);
  }
  if (shape !== undefined) {
    s = checkShape(shape, 'tensor');
    const n = sizeOf(s);
    if (typeof values === 'number') {
      if (n !== 1) throw new ShapeError(`tensor: one value given but shape ${fmtShape(s)} needs ${n}`);
      data = Float32Array.of(values);
    } else if (ArrayBuffer.isView(values) || (Array.isArray(values) && !values.some(Array.isArray))) {
      const arr = values as ArrayLike<number>;
      if (arr.length !== n) throw new ShapeError(`tensor: ${arr.length} values given but shape ${fmtShape(s)} needs ${n}`);
      data = allocFloat32(n, 'tensor');
      for (let i = 0; i < n; i++) {
        const v = arr[i];
        if (typeof v !== 'number') throw new ArgumentError(`tensor: values[${i}] is ${describe(v)}, not a number`);
        data[i] = v;
      }
    } else if (Array.isArray(values)) {
      const inner = tensor(values);
      if (inner.size !== n) throw new ShapeError(`tensor: values of shape ${fmtShape(inner.shape)} (${inner.size} elements) cannot take shape ${fmtShape(s)} (${n})`);
      data = inner.data;
    } else {
      throw new ArgumentError(`tensor: values must be a number, an array or a typed array, got ${describe(values)}`);
    }
  } else if (typeof values === 'number') {
    s = [];
    data = Float32Array.of(values);
  } else if (ArrayBuffer.isView(values)) {
    const arr = values as ArrayLike<number>;
    s = [arr.length];
    data = Float32Array.from(arr);
  } else if (Array.isArray(values)) {
    s = inferShape(values, 'tensor');
    data = allocFloat32(sizeOf(s), 'tensor');
    fill(data, values, s, 0, 0, 'tensor', '');
  } else {
    throw new ArgumentError(`tensor: values must be a number, an array or a typed array, got ${describe(values)}`);
  }
  return new Tensor(data, s, requiresGrad);
}

/**
 * A tensor of `shape` filled with `value`.
 * @example
 * full([2], 7).toArray(); // [7, 7]
 * @category Creation
 */
export function full(shape: readonly number[], value: number, options: CreationOptions = {}): Tensor {
  return filled('full', shape, value, options);
}

function filled(op: string, shape: readonly number[], value: number, options: CreationOptions): Tensor {
  if (typeof value !== 'number') throw new ArgumentError(`${op}: value must be a number, got ${describe(value)}`);
  const requiresGrad = requiresGradOf(op, options);
  const s = checkShape(shape, op);
  const data = allocFloat32(sizeOf(s), op);
  if (value !== 0) data.fill(value);
  return new Tensor(data, s, requiresGrad);
}

/** Zeros of `shape`. @example zeros([2, 3]).size; // 6 @category Creation */
export function zeros(shape: readonly number[], options: CreationOptions = {}): Tensor {
  return filled('zeros', shape, 0, options);
}

/** Ones of `shape`. @example ones([2]).toArray(); // [1, 1] @category Creation */
export function ones(shape: readonly number[], options: CreationOptions = {}): Tensor {
  return filled('ones', shape, 1, options);
}

/** Zeros with the shape of `x`. @category Creation */
export function zerosLike(x: Tensor, options: CreationOptions = {}): Tensor {
  return filled('zerosLike', asTensor(x, 'zerosLike', 'x').shape, 0, options);
}

/** Ones with the shape of `x`. @category Creation */
export function onesLike(x: Tensor, options: CreationOptions = {}): Tensor {
  return filled('onesLike', asTensor(x, 'onesLike', 'x').shape, 1, options);
}

/**
 * Values start, start + step, … up to but excluding `end` (NumPy's `arange`). With one argument,
 * `arange(n)` is 0 … n − 1.
 * Shapes: out [⌈(end − start) / step⌉].
 * @example
 * arange(5).toArray(); // [0, 1, 2, 3, 4]
 * arange(1, 2, 0.25).toArray(); // [1, 1.25, 1.5, 1.75]
 * @throws ArgumentError on a zero or non-finite step, or non-finite bounds.
 * @category Creation
 */
export function arange(start: number, end?: number, step = 1, options: CreationOptions = {}): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  for (const [k, v] of [['start', start], ['end', end], ['step', step]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(`arange: ${k} must be a finite number, got ${describe(v)}`);
  }
  if (step === 0) throw new ArgumentError('arange: step must not be 0');
  const requiresGrad = requiresGradOf('arange', options);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const data = allocFloat32(n, 'arange');
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n], requiresGrad);
}

/**
 * `steps` evenly spaced values from `start` to `end` inclusive.
 * @example
 * linspace(0, 1, 5).toArray(); // [0, 0.25, 0.5, 0.75, 1]
 * @category Creation
 */
export function linspace(start: number, end: number, steps: number, options: CreationOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ArgumentError(`linspace: steps must be a non-negative integer, got ${describe(steps)}`);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new ArgumentError(`linspace: start and end must be finite, got ${describe(start)} and ${describe(end)}`);
  const requiresGrad = requiresGradOf('linspace', options);
  const data = allocFloat32(steps, 'linspace');
  const d = steps > 1 ? (end - start) / (steps - 1) : 0;
  for (let i = 0; i < steps; i++) data[i] = i === steps - 1 && steps > 1 ? end : start + i * d;
  return new Tensor(data, [steps], requiresGrad);
}

/**
 * Identity-like matrix [n, m] with ones on the main diagonal.
 * @example
 * eye(2).tolist(); // [[1, 0], [0, 1]]
 * @category Creation
 */
export function eye(n: number, m: number = n, options: CreationOptions = {}): Tensor {
  const s = checkShape([n, m], 'eye', '[n, m]');
  const requiresGrad = requiresGradOf('eye', options);
  const data = allocFloat32(s[0] * s[1], 'eye');
  const k = Math.min(s[0], s[1]);
  for (let i = 0; i < k; i++) data[i * s[1] + i] = 1;
  return new Tensor(data, s, requiresGrad);
}

/**
 * Uniform samples in [0, 1).
 * @example
 * rand([2, 2], { rng: new Generator(0) }).shape; // [2, 2]
 * @category Creation
 */
export function rand(shape: readonly number[], options: RandomOptions = {}): Tensor {
  const s = checkShape(shape, 'rand');
  const { requiresGrad, rng } = randomOptions('rand', options);
  return new Tensor(rng.fillUniform(allocFloat32(sizeOf(s), 'rand')), s, requiresGrad);
}

/**
 * Standard normal samples N(0, 1).
 * @example
 * randn([3], { rng: new Generator(0) }).size; // 3
 * @category Creation
 */
export function randn(shape: readonly number[], options: RandomOptions = {}): Tensor {
  const s = checkShape(shape, 'randn');
  const { requiresGrad, rng } = randomOptions('randn', options);
  return new Tensor(rng.fillNormal(allocFloat32(sizeOf(s), 'randn')), s, requiresGrad);
}

/**
 * Uniform integers in [low, high), stored as exact float32 values.
 * @example
 * // four integers in 0 … 9, the same for every run with seed 0:
 * randint(0, 10, [4], { rng: new Generator(0) }).toArray(); // [8, 4, 1, 3]
 * @throws ArgumentError unless low < high are integers within ±2²⁴.
 * @category Creation
 */
export function randint(low: number, high: number, shape: readonly number[], options: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || low >= high || Math.abs(low) > 2 ** 24 || Math.abs(high) > 2 ** 24) {
    throw new ArgumentError(`randint: need integers low < high within ±2^24 (exact in float32), got low=${describe(low)}, high=${describe(high)}`);
  }
  const s = checkShape(shape, 'randint');
  const { requiresGrad, rng } = randomOptions('randint', options);
  const data = allocFloat32(sizeOf(s), 'randint');
  for (let i = 0; i < data.length; i++) data[i] = rng.randint(low, high);
  return new Tensor(data, s, requiresGrad);
}

/**
 * Validates that `x` is a Tensor, for ops taking tensors; plain numbers and arrays are converted
 * (so `add(x, 1)` works).
 * @internal
 */
export function asTensor(x: unknown, op: string, arg: string): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === 'number') return new Tensor(Float32Array.of(x), []);
  if (Array.isArray(x) || ArrayBuffer.isView(x)) return tensor(x as TensorLike);
  throw new ArgumentError(`${op}: ${arg} must be a Tensor, a number or an array, got ${describe(x)}`);
}

/** Records a constant (no-grad) op output; used by creation-like ops that must still pass checkNumerics. @internal */
export function constant(op: string, out: Tensor): Tensor {
  return record(op, out, [], null);
}
