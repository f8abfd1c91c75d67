import { runBackward, type BackwardOptions, type GradNode } from './autograd';
import { allocFloat32 } from './alloc';
import { ArgumentError, ShapeError, fmtShape } from './errors';
import { defaultGenerator, type Generator } from './random';
import { add, div, mul, pow, sub } from './ops/binary';
import { matmul } from './ops/matmul';
import { argmax, argmin, max, mean, min, std, sum, variance, type ArgOptions, type ReduceOptions, type VarOptions } from './ops/reduce';
import { expand, flatten, permute, reshape, squeeze, transpose, unsqueeze } from './ops/shape';
import { abs, exp, log, neg, relu, sigmoid, sqrt, square, tanh } from './ops/unary';
import { checkShape, sizeOf } from './shape';

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
 * Shapes: any; `size` = Π shape, `ndim` = shape.length.
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

  /**
   * Wraps `data` (not copied) with `shape`.
   * @throws ShapeError if `data.length` is not the product of `shape`.
   */
  constructor(data: Float32Array, shape: readonly number[], requiresGrad = false) {
    if (!(data instanceof Float32Array)) {
      throw new ArgumentError(`Tensor: data must be a Float32Array, got ${data === null ? 'null' : typeof data}; use tensor(values) to convert`);
    }
    const s = checkShape(shape, 'Tensor');
    const n = sizeOf(s);
    if (n !== data.length) throw new ShapeError(`Tensor: data has ${data.length} elements but shape ${fmtShape(s)} needs ${n}`);
    this.data = data;
    this.shape = s;
    this.size = n;
    this.requiresGrad = requiresGrad;
  }

  /** A new tensor of `shape` filled with zeros (internal allocation helper of ops). @internal */
  static empty(shape: readonly number[]): Tensor {
    return new Tensor(allocFloat32(sizeOf(shape), 'Tensor'), shape);
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

  /** A short description: shape, flags and up to six values. */
  toString(): string {
    const vals = Array.from(this.data.subarray(0, 6), (v) => +v.toPrecision(6)).join(', ');
    const more = this.size > 6 ? ', …' : '';
    return `Tensor(${fmtShape(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''}) [${vals}${more}]`;
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
  /** {@link matmul}(this, other). */
  matmul(other: Tensor): Tensor { return matmul(this, other); }
  /** {@link sum}(this, options). */
  sum(options?: ReduceOptions): Tensor { return sum(this, options); }
  /** {@link mean}(this, options). */
  mean(options?: ReduceOptions): Tensor { return mean(this, options); }
  /** {@link max}(this, options). */
  max(options?: ReduceOptions): Tensor { return max(this, options); }
  /** {@link min}(this, options). */
  min(options?: ReduceOptions): Tensor { return min(this, options); }
  /** {@link variance}(this, options). */
  var(options?: VarOptions): Tensor { return variance(this, options); }
  /** {@link std}(this, options). */
  std(options?: VarOptions): Tensor { return std(this, options); }
  /** {@link argmax}(this, options). */
  argmax(options?: ArgOptions): Tensor { return argmax(this, options); }
  /** {@link argmin}(this, options). */
  argmin(options?: ArgOptions): Tensor { return argmin(this, options); }
  /** {@link reshape}(this, shape) — a view. */
  reshape(shape: readonly number[]): Tensor { return reshape(this, shape); }
  /** {@link flatten}(this, startAxis, endAxis) — a view. */
  flatten(startAxis = 0, endAxis = -1): Tensor { return flatten(this, startAxis, endAxis); }
  /** {@link squeeze}(this, axis) — a view. */
  squeeze(axis?: number): Tensor { return squeeze(this, axis); }
  /** {@link unsqueeze}(this, axis) — a view. */
  unsqueeze(axis: number): Tensor { return unsqueeze(this, axis); }
  /** {@link transpose}(this, perm). */
  transpose(perm?: readonly number[]): Tensor { return transpose(this, perm); }
  /** {@link permute}(this, perm). */
  permute(perm: readonly number[]): Tensor { return permute(this, perm); }
  /** {@link expand}(this, shape). */
  expand(shape: readonly number[]): Tensor { return expand(this, shape); }
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
  /** Wraps a tensor's data (shared, not copied) or a Float32Array with its shape. */
  constructor(data: Tensor | Float32Array, shape?: readonly number[], requiresGrad = true) {
    if (data instanceof Tensor) super(data.data, data.shape, requiresGrad);
    else {
      if (shape === undefined) throw new ArgumentError('Parameter: a Float32Array needs a shape');
      super(data, shape, requiresGrad);
    }
  }

  /** Parameter of `shape` with entries drawn from U(low, high). */
  static uniform(shape: readonly number[], low: number, high: number, rng: Generator = defaultGenerator()): Parameter {
    const s = checkShape(shape, 'Parameter.uniform');
    return new Parameter(rng.fillUniform(allocFloat32(sizeOf(s), 'Parameter.uniform'), low, high), s);
  }

  /** Parameter of `shape` with entries drawn from N(mean, std²). */
  static normal(shape: readonly number[], mean: number, std: number, rng: Generator = defaultGenerator()): Parameter {
    const s = checkShape(shape, 'Parameter.normal');
    return new Parameter(rng.fillNormal(allocFloat32(sizeOf(s), 'Parameter.normal'), mean, std), s);
  }

  /** Parameter of `shape` filled with `value` (default 0). */
  static full(shape: readonly number[], value = 0): Parameter {
    const s = checkShape(shape, 'Parameter.full');
    return new Parameter(allocFloat32(sizeOf(s), 'Parameter.full').fill(value), s);
  }
}
