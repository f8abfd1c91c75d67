import { runBackward, type BackwardOptions, type GradHook, type GradNode, type RemovableHandle } from './autograd';
import { allocFloat32 } from './alloc';
import { brand } from './brand';
import { ArgumentError, FormatError, ShapeError, fmtShape } from './errors';
import { decodeNumber, encodeNumbers } from './json';
import { defaultGenerator, type Generator } from './random';
import { add, div, mul, pow, sub } from './ops/binary';
import { matmul } from './ops/matmul';
import { argmax, argmin, max, mean, min, std, sum, variance, type ArgOptions, type ReduceOptions, type VarOptions } from './ops/reduce';
import { expand, flatten, permute, reshape, squeeze, transpose, unsqueeze } from './ops/shape';
import { abs, clamp, exp, log, neg, relu, sigmoid, sqrt, square, tanh, type ClampOptions } from './ops/unary';
import { checkArg, finite, nonNeg, rng as rngCheck } from './options';
import { checkShape, describe, sizeOf } from './shape';
import { formatTensor } from './print';

/**
 * The dimensions of a method taking a shape either as one array (`t.reshape([2, 3])`) or as
 * separate numbers (PyTorch's `t.reshape(2, 3)`).
 */
function dimsOf(op: string, args: readonly unknown[]): readonly number[] {
  if (args.length === 1 && Array.isArray(args[0])) return args[0] as readonly number[];
  for (let i = 0; i < args.length; i++) {
    if (typeof args[i] !== 'number') {
      throw new ArgumentError(`${op}: pass the dimensions as one array or as separate numbers, got ${describe(args[i])} at position ${i}`);
    }
  }
  return args as readonly number[];
}

// Tensors and parameters are recognised by brand (see ./brand), so that the ESM and the CommonJS
// copy of the library in one process accept each other's.
const TENSOR = brand('Tensor');
const PARAMETER = brand('Parameter');

/**
 * The JSON form of a float tensor, as {@link Tensor.toJSON} writes it: `{ shape, data }`, the values
 * row-major with non-finite ones as the strings `'NaN'`, `'Infinity'`, `'-Infinity'`; `dtype`, when
 * present, is `'F32'`. `tensor(json)` and `Module.loadStateDict` read it back.
 * @category Tensor
 */
export interface TensorJson {
  /** The dimensions. */
  shape: readonly number[];
  /** The values, row-major. */
  data: ReadonlyArray<number | string>;
  /** `'F32'` if given. */
  dtype?: 'F32';
}

/**
 * Reads the JSON form of a float tensor (`{ shape, data, dtype? }`, data a number array in the
 * JSON number convention or a Float32Array) into new float32 storage; `where` names it in errors.
 * @throws FormatError naming `where`, the shape and the data length on a malformed form.
 * @internal
 */
export function floatsFromJson(v: unknown, where: string, op: string): { shape: number[]; data: Float32Array } {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) {
    throw new FormatError(`${where} must be a JSON tensor { shape, data }, got ${describe(v)}`);
  }
  const o = v as { shape?: unknown; data?: unknown; dtype?: unknown };
  for (const k of Object.keys(o)) {
    if (k !== 'shape' && k !== 'data' && k !== 'dtype') throw new FormatError(`${where}: unknown field '${k}' in a JSON tensor (it has shape, data and dtype)`);
  }
  if (o.dtype !== undefined && o.dtype !== 'F32') throw new FormatError(`${where}: dtype of a float tensor must be 'F32', got ${describe(o.dtype)}`);
  let shape: number[];
  try {
    shape = checkShape(o.shape, where);
  } catch (e) {
    throw new FormatError((e as Error).message);
  }
  const n = sizeOf(shape);
  const data = o.data;
  const isF32 = data instanceof Float32Array;
  if (!isF32 && !Array.isArray(data)) throw new FormatError(`${where}: data must be an array of numbers (shape ${fmtShape(shape)}), got ${describe(data)}`);
  const src = data as ArrayLike<unknown>;
  if (src.length !== n) throw new FormatError(`${where}: data has ${src.length} values but shape ${fmtShape(shape)} needs ${n}`);
  const out = allocFloat32(n, op);
  if (isF32) out.set(data);
  else {
    for (let i = 0; i < n; i++) {
      const x = decodeNumber(src[i]);
      if (x === undefined) throw new FormatError(`${where}: data[${i}] must be a number (or 'NaN', 'Infinity', '-Infinity'), got ${describe(src[i])} (shape ${fmtShape(shape)}, ${n} values)`);
      out[i] = x;
    }
  }
  return { shape, data: out };
}

/** Nested arrays of numbers, as returned by {@link Tensor.tolist}. */
export type NestedArray = number | NestedArray[];

/**
 * An n-dimensional float32 array with reverse-mode autograd.
 *
 * The data is contiguous row-major in `data`; `shape` lists the dimensions (`[]` for a scalar).
 * Views (`reshape`, `flatten`, `squeeze`, `unsqueeze`) share `data`; every other op returns a new
 * tensor and never mutates its inputs. There is no `dispose()`: the garbage collector frees
 * tensors, and `backward()` releases the graph.
 *
 * Shapes: every rank and size; `size` = Π shape, `ndim` = shape.length.
 * @example
 * const x = tensor([[1, 2], [3, 4]]);
 * x.shape; // [2, 2]
 * x.sum().item(); // 10
 * @category Tensor
 */
export class Tensor {
  /** The values, row-major. Writing into it in place is allowed but invisible to autograd. */
  readonly data: Float32Array;
  /** The dimensions. */
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
  /** Whether gradients flow to this tensor; leaves set it, op outputs inherit it. */
  requiresGrad: boolean;
  /** Accumulated gradient of a leaf after `backward()` (same layout as `data`), or null. */
  grad: Float32Array | null = null;
  /** The op that made this tensor, if it was recorded for autograd. @internal */
  node: GradNode | null = null;
  /** Keep `grad` on this non-leaf tensor after backward (see {@link retainGrad}). @internal */
  retainsGrad = false;
  /** Gradient hooks in registration order, or null when there are none. @internal */
  hooks: GradHook[] | null = null;

  /**
   * `x instanceof Tensor` is true for a tensor of any copy of tensorkit loaded in this process (an
   * ESM and a CommonJS copy side by side): it checks the brand `Symbol.for('tensorkit.Tensor')`, not
   * the prototype chain. For a subclass, `x instanceof MyTensor` is the ordinary prototype check.
   */
  static [Symbol.hasInstance](v: unknown): boolean {
    return TENSOR.hasInstance(Tensor, this, v);
  }

  /**
   * Wraps `data` (not copied) with `shape`.
   * @throws ShapeError if `data.length` is not the product of `shape`.
   */
  constructor(data: Float32Array, shape: readonly number[], requiresGrad = false) {
    if (!(data instanceof Float32Array)) {
      throw new ArgumentError(`Tensor: data must be a Float32Array, got ${data === null ? 'null' : typeof data}; use tensor(values) to convert`);
    }
    if (typeof requiresGrad !== 'boolean') throw new ArgumentError(`Tensor: requiresGrad must be a boolean, got ${describe(requiresGrad)}`);
    const s = checkShape(shape, 'Tensor');
    const n = sizeOf(s);
    if (n !== data.length) throw new ShapeError(`Tensor: data has ${data.length} elements but shape ${fmtShape(s)} needs ${n}`);
    this.data = data;
    this.shape = s;
    this.size = n;
    this.requiresGrad = requiresGrad;
  }

  /**
   * A new tensor of `shape` filled with zeros (internal allocation helper of ops); `op` names the
   * op in the typed error of a result too large to allocate.
   * @internal
   */
  static empty(shape: readonly number[], op = 'Tensor'): Tensor {
    return new Tensor(allocFloat32(sizeOf(shape), op), shape);
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** True when this tensor was not produced by a recorded op (a user-created tensor or parameter). */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** The gradient buffer, allocated as zeros on first use. Backward kernels accumulate into it. @internal */
  gradBuffer(): Float32Array {
    let g = this.grad;
    if (g === null) {
      g = new Float32Array(this.size);
      this.grad = g;
    }
    return g;
  }

  /** Keeps `grad` on this intermediate tensor after `backward()` (PyTorch's `retain_grad`). */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /**
   * Registers a hook on this tensor's gradient (PyTorch's `Tensor.register_hook`). During
   * `backward()` the hook is called once with this tensor's complete gradient, as a tensor of this
   * shape that does not require grad (read it; do not write into it): for an op output before its
   * op's backward runs, so a replacement reaches every input; for a leaf, with the gradient of this
   * backward pass, before it is added to `grad`. It may return a replacement gradient (a Tensor or
   * Float32Array of the same size) or nothing. Hooks run in registration order, each on the
   * previous one's result, with gradient recording off. A retained gradient (`retainGrad`) is the
   * one after the hooks.
   * @example
   * const w = tensor([1, 2], undefined, { requiresGrad: true });
   * const h = w.registerHook((g) => mul(g, 10));
   * sum(w).backward();
   * Array.from(w.grad ?? []); // [10, 10]
   * h.remove();
   * @throws ArgumentError if this tensor does not require grad or `fn` is not a function;
   * ShapeError (during backward) if a hook returns a gradient of another size.
   */
  registerHook(fn: GradHook): RemovableHandle {
    if (typeof fn !== 'function') throw new ArgumentError(`registerHook: fn must be a function, got ${describe(fn)}`);
    if (!this.requiresGrad) throw new ArgumentError(`registerHook: the tensor ${fmtShape(this.shape)} does not require grad, so no gradient reaches a hook`);
    const list = this.hooks ?? (this.hooks = []);
    list.push(fn);
    let removed = false;
    return {
      remove: () => {
        if (removed) return;
        removed = true;
        const hooks = this.hooks;
        if (hooks === null) return;
        const i = hooks.indexOf(fn);
        if (i >= 0) hooks.splice(i, 1);
        if (hooks.length === 0) this.hooks = null;
      },
    };
  }

  /** Sets `grad` to null. */
  zeroGrad(): void {
    this.grad = null;
  }

  /**
   * Computes gradients of this tensor with respect to every leaf that requires grad, accumulating
   * into their `grad`. `grad` is the upstream gradient (required unless this tensor has one
   * element). The graph is released afterwards unless `{ retainGraph: true }`.
   * Only first-order gradients are supported: backward closures do not record a graph.
   * @throws ArgumentError if this tensor does not require grad; ShapeError on a mis-sized `grad`.
   */
  backward(grad?: Tensor | Float32Array | number[], options: BackwardOptions = {}): void {
    let seed: Float32Array | null = null;
    if (grad instanceof Tensor) seed = grad.data;
    else if (grad instanceof Float32Array) seed = grad;
    else if (Array.isArray(grad)) seed = Float32Array.from(grad);
    else if (grad !== undefined) throw new ArgumentError(`backward: grad must be a Tensor, Float32Array or number[], got ${typeof grad}`);
    runBackward(this, seed, options);
  }

  /** A tensor sharing this data but cut from the graph (`requiresGrad` false). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A deep copy of the data, cut from the graph. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /**
   * The single value of a one-element tensor.
   * @throws ShapeError if `size !== 1`.
   */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item: only a one-element tensor has an item; this one is ${fmtShape(this.shape)}`);
    return this.data[0];
  }

  /** The values as a flat `number[]` (a copy). */
  toArray(): number[] {
    return Array.from(this.data);
  }

  /** The values as nested arrays following `shape` (a number for a scalar). */
  tolist(): NestedArray {
    if (this.shape.length === 0) return this.data[0];
    const build = (dim: number, off: number): NestedArray[] => {
      const n = this.shape[dim];
      const out: NestedArray[] = new Array(n);
      if (dim === this.shape.length - 1) {
        for (let i = 0; i < n; i++) out[i] = this.data[off + i];
        return out;
      }
      let stride = 1;
      for (let d = dim + 1; d < this.shape.length; d++) stride *= this.shape[d];
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, off + i * stride);
      return out;
    };
    return build(0, 0);
  }

  /**
   * The JSON form `{ shape, data }` (what `JSON.stringify(t)` writes, also inside a state dict),
   * non-finite values as `'NaN'`, `'Infinity'`, `'-Infinity'`. `tensor(json)` and
   * `Module.loadStateDict` read it back with every value exact (each float32 is written as the
   * shortest decimal of its double, which reads back to the same float), except that −0 reads back
   * as 0 and every NaN as the one quiet NaN; safetensors keeps those bits too. The graph and
   * `requiresGrad` are not written.
   * @example
   * tensor([[1, NaN]]).toJSON(); // { shape: [1, 2], data: [1, 'NaN'] }
   * tensor(JSON.parse(JSON.stringify(tensor([0.1, 2])))).toArray(); // [0.10000000149011612, 2]
   */
  toJSON(): TensorJson {
    return { shape: [...this.shape], data: encodeNumbers(this.data) };
  }

  /**
   * The tensor as PyTorch prints it (`str(t)`, default print options): nested rows in aligned
   * columns, 4 decimals or scientific notation, summarized with `...` past 1,000 elements, then
   * `requires_grad=True` on a leaf that requires grad (PyTorch's spelling) or `grad_fn=<op>` on a
   * recorded result. Node's `util.inspect` and `console.log` print the same text.
   * @example
   * tensor([[0.1, 2], [3, -4]]).toString(); // 'tensor([[ 0.1000,  2.0000],\n        [ 3.0000, -4.0000]])'
   * tensor([1, 2, 3]).toString(); // 'tensor([1., 2., 3.])'
   */
  toString(): string {
    return formatTensor({ data: this.data, shape: this.shape, requiresGrad: this.requiresGrad, gradFn: this.node?.op ?? null, parameter: this instanceof Parameter });
  }

  /** What Node's `util.inspect` (and so `console.log`) shows: {@link Tensor.toString}. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  // ---- chainable forms of the functional ops (same semantics, see each function) ----

  /** {@link add}(this, other). */
  add(other: Tensor | number): Tensor { return add(this, other); }
  /** {@link sub}(this, other). */
  sub(other: Tensor | number): Tensor { return sub(this, other); }
  /** {@link mul}(this, other). */
  mul(other: Tensor | number): Tensor { return mul(this, other); }
  /** {@link div}(this, other). */
  div(other: Tensor | number): Tensor { return div(this, other); }
  /** {@link pow}(this, other). */
  pow(other: Tensor | number): Tensor { return pow(this, other); }
  /** {@link neg}(this). */
  neg(): Tensor { return neg(this); }
  /** {@link abs}(this). */
  abs(): Tensor { return abs(this); }
  /** {@link exp}(this). */
  exp(): Tensor { return exp(this); }
  /** {@link log}(this). */
  log(): Tensor { return log(this); }
  /** {@link sqrt}(this). */
  sqrt(): Tensor { return sqrt(this); }
  /** {@link square}(this). */
  square(): Tensor { return square(this); }
  /** {@link tanh}(this). */
  tanh(): Tensor { return tanh(this); }
  /** {@link sigmoid}(this). */
  sigmoid(): Tensor { return sigmoid(this); }
  /** {@link relu}(this). */
  relu(): Tensor { return relu(this); }
  /** {@link clamp}(this, options) or clamp(this, min, max) (PyTorch's positional bounds). */
  clamp(options: ClampOptions | number | null, max?: number | null): Tensor { return clamp(this, options, max); }
  /** {@link matmul}(this, other). */
  matmul(other: Tensor): Tensor { return matmul(this, other); }
  /** {@link sum}(this, options) or sum(this, axis, keepDims). */
  sum(options?: ReduceOptions | number | readonly number[], keepDims?: boolean): Tensor { return sum(this, options, keepDims); }
  /** {@link mean}(this, options) or mean(this, axis, keepDims). */
  mean(options?: ReduceOptions | number | readonly number[], keepDims?: boolean): Tensor { return mean(this, options, keepDims); }
  /** {@link max}(this, options) or max(this, axis, keepDims): the values only (torch.amax); see {@link argmax}. */
  max(options?: ReduceOptions | number | readonly number[], keepDims?: boolean): Tensor { return max(this, options, keepDims); }
  /** {@link min}(this, options) or min(this, axis, keepDims): the values only (torch.amin); see {@link argmin}. */
  min(options?: ReduceOptions | number | readonly number[], keepDims?: boolean): Tensor { return min(this, options, keepDims); }
  /** {@link variance}(this, options) or variance(this, axis). */
  var(options?: VarOptions | number | readonly number[], ...rest: never[]): Tensor { return variance(this, options, ...rest); }
  /** {@link std}(this, options) or std(this, axis). */
  std(options?: VarOptions | number | readonly number[], ...rest: never[]): Tensor { return std(this, options, ...rest); }
  /** {@link argmax}(this, options) or argmax(this, axis, keepDims). */
  argmax(options?: ArgOptions | number, keepDims?: boolean): Tensor { return argmax(this, options, keepDims); }
  /** {@link argmin}(this, options) or argmin(this, axis, keepDims). */
  argmin(options?: ArgOptions | number, keepDims?: boolean): Tensor { return argmin(this, options, keepDims); }
  /** {@link reshape}(this, shape) — a view; `t.reshape(2, -1)` lists the dimensions as PyTorch. */
  reshape(...shape: number[] | [readonly number[]]): Tensor { return reshape(this, dimsOf('reshape', shape)); }
  /** {@link flatten}(this, startAxis, endAxis) — a view. */
  flatten(startAxis = 0, endAxis = -1): Tensor { return flatten(this, startAxis, endAxis); }
  /** {@link squeeze}(this, axis) — a view. */
  squeeze(axis?: number): Tensor { return squeeze(this, axis); }
  /** {@link unsqueeze}(this, axis) — a view. */
  unsqueeze(axis: number): Tensor { return unsqueeze(this, axis); }
  /** {@link transpose}(this, perm), or transpose(this, axis0, axis1) swapping two axes (PyTorch's form). */
  transpose(perm?: readonly number[] | number, axis1?: number): Tensor { return transpose(this, perm as number, axis1 as number); }
  /** {@link permute}(this, perm); `t.permute(1, 0)` lists the axes as PyTorch. */
  permute(...perm: number[] | [readonly number[]]): Tensor { return permute(this, dimsOf('permute', perm)); }
  /** {@link expand}(this, shape); `t.expand(2, 3)` lists the dimensions as PyTorch. */
  expand(...shape: number[] | [readonly number[]]): Tensor { return expand(this, dimsOf('expand', shape)); }
}

/**
 * A leaf tensor that a `Module` trains: `requiresGrad` is true by default.
 * Init: the static helpers draw from the given generator (default: the global one).
 * @example
 * const w = Parameter.uniform([3, 2], -0.5, 0.5, new Generator(0));
 * w.requiresGrad; // true
 * @category Tensor
 */
export class Parameter extends Tensor {
  /** Like `instanceof Tensor`: true for a parameter of any copy of tensorkit (brand `Symbol.for('tensorkit.Parameter')`). */
  static override [Symbol.hasInstance](v: unknown): boolean {
    return PARAMETER.hasInstance(Parameter, this, v);
  }

  /** Wraps a tensor's data (shared, not copied) or a Float32Array with its shape. */
  constructor(data: Tensor | Float32Array, shape?: readonly number[], requiresGrad = true) {
    if (data instanceof Tensor) super(data.data, data.shape, requiresGrad);
    else {
      if (shape === undefined) throw new ArgumentError('Parameter: a Float32Array needs a shape');
      super(data, shape, requiresGrad);
    }
  }

  /**
   * Parameter of `shape` with entries drawn from U(low, high).
   * @throws ArgumentError on a bad shape, non-finite bounds or an `rng` that is not a Generator.
   */
  static uniform(shape: readonly number[], low: number, high: number, rng: Generator = defaultGenerator()): Parameter {
    checkArg('Parameter.uniform', 'low', low, finite);
    checkArg('Parameter.uniform', 'high', high, finite);
    checkArg('Parameter.uniform', 'rng', rng, rngCheck);
    const s = checkShape(shape, 'Parameter.uniform');
    return new Parameter(rng.fillUniform(allocFloat32(sizeOf(s), 'Parameter.uniform'), low, high), s);
  }

  /**
   * Parameter of `shape` with entries drawn from N(mean, std²).
   * @throws ArgumentError on a bad shape, a non-finite mean, a negative std or an `rng` that is not a Generator.
   */
  static normal(shape: readonly number[], mean: number, std: number, rng: Generator = defaultGenerator()): Parameter {
    checkArg('Parameter.normal', 'mean', mean, finite);
    checkArg('Parameter.normal', 'std', std, nonNeg);
    checkArg('Parameter.normal', 'rng', rng, rngCheck);
    const s = checkShape(shape, 'Parameter.normal');
    return new Parameter(rng.fillNormal(allocFloat32(sizeOf(s), 'Parameter.normal'), mean, std), s);
  }

  /** Parameter of `shape` filled with `value` (default 0). */
  static full(shape: readonly number[], value = 0): Parameter {
    if (typeof value !== 'number') throw new ArgumentError(`Parameter.full: value must be a number, got ${describe(value)}`);
    const s = checkShape(shape, 'Parameter.full');
    return new Parameter(allocFloat32(sizeOf(s), 'Parameter.full').fill(value), s);
  }
}

TENSOR.mark(Tensor.prototype);
PARAMETER.mark(Parameter.prototype);
