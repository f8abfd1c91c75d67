/**
 * `SparseLinear`: a Linear whose weight is stored in CSR form, so a heavily pruned layer costs
 * memory and time in proportion to its nonzeros.
 */
import type { LayerConfig } from '../nn/config';
import { Linear } from '../nn/layers';
import { Module } from '../nn/module';
import { record } from '../tensor/autograd';
import { ArgumentError, ShapeError, fmtShape } from '../tensor/errors';
import { kernels as K } from '../tensor/kernels/backend';
import { bool, checkArg, instanceOf, nonNegInt, parseOptions, posInt } from '../tensor/options';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { TypedBuffer } from '../tensor/typed';

/** What {@link SparseLinear}'s constructor takes back: its `config().options`. @category Compression */
export type SparseLinearConfig = {
  /** Input features K. */
  inFeatures: number;
  /** Output features N. */
  outFeatures: number;
  /** Whether the layer adds a bias. */
  bias: boolean;
  /** Number of stored (nonzero) weights. */
  nnz: number;
};

const SPEC = { inFeatures: posInt, outFeatures: posInt, bias: bool, nnz: nonNegInt };

/**
 * A Linear layer whose weight [out, in] is kept in compressed sparse rows: `values` (the
 * nonzeros, float32), `colIdx` (their input features) and `rowPtr` (where each output's nonzeros
 * start), so forward does M · nnz multiply-adds instead of M · out · in. Build it from a trained
 * (typically pruned) Linear with {@link SparseLinear.fromDense}; the outputs equal the dense
 * layer's up to the order of the float32 sums. Gradients flow to the input (so it can sit inside a
 * network being fine-tuned elsewhere); the sparse weight itself is fixed.
 *
 * Shapes: x (…, inFeatures) → (…, outFeatures). Buffers: `values` [nnz], `colIdx` I32 [nnz],
 * `rowPtr` I32 [out + 1], `bias` [out] or null.
 * @example
 * const lin = new Linear(3, 2, { bias: false });
 * lin.weight.data.set([0, 0, 5, 1, 1, 0]);
 * const s = SparseLinear.fromDense(lin);
 * s.nnz; // 3
 * s.forward(tensor([[1, 2, 3]])).toArray(); // [15, 3]
 * @category Compression
 */
export class SparseLinear extends Module {
  /** The nonzero weights, row by row. */
  readonly values: Tensor;
  /** The input feature of each nonzero. */
  readonly colIdx: TypedBuffer;
  /** Start of each output row's nonzeros in `values`, and the total at the end. */
  readonly rowPtr: TypedBuffer;
  /** The bias [outFeatures], or null (a buffer: not trained here). */
  readonly bias: Tensor | null;
  /** Input features K. */
  readonly inFeatures: number;
  /** Output features N. */
  readonly outFeatures: number;
  private structureChecked = false;

  /** Allocates an empty layer of the config's size (`s.config().options`), for loading a saved one. */
  constructor(config: SparseLinearConfig) {
    super();
    const op = 'SparseLinear';
    const o = parseOptions(op, config, SPEC);
    for (const k of ['inFeatures', 'outFeatures', 'nnz'] as const) if (o[k] === undefined) SPEC[k](undefined, k, op);
    const N = o.outFeatures!, Kf = o.inFeatures!, nnz = o.nnz!;
    if (nnz > N * Kf) throw new ArgumentError(`${op}: nnz ${nnz} exceeds the ${N} × ${Kf} = ${N * Kf} entries of the weight`);
    this.inFeatures = Kf;
    this.outFeatures = N;
    this.values = Tensor.empty([nnz]);
    this.colIdx = new TypedBuffer('I32', [nnz]);
    this.rowPtr = new TypedBuffer('I32', [N + 1]);
    this.bias = (o.bias ?? true) ? Tensor.empty([N]) : null;
    this.bias?.data.fill(0);
  }

  /** Number of stored weights. */
  get nnz(): number {
    return this.values.size;
  }

  /** Fraction of the weight's entries that are zero (not stored). */
  get sparsity(): number {
    return 1 - this.nnz / (this.inFeatures * this.outFeatures);
  }

  /**
   * Stores a Linear's weight sparsely: every entry that is exactly 0 is dropped (prune first, e.g.
   * with `l1Unstructured` and `removePruning`, or pass a pruned layer: its masked `weight` is
   * used). The bias is copied.
   * @example SparseLinear.fromDense(new Linear(4, 3)).sparsity; // 0
   * @throws ArgumentError if `linear` is not a Linear or its weight holds NaN or ±Infinity.
   */
  static fromDense(linear: Linear): SparseLinear {
    const op = 'SparseLinear.fromDense';
    checkArg(op, 'linear', linear, instanceOf(Linear));
    const w = linear.weight, N = linear.outFeatures, Kf = linear.inFeatures;
    let nnz = 0;
    for (let i = 0; i < w.size; i++) {
      const v = w.data[i];
      if (!Number.isFinite(v)) throw new ArgumentError(`${op}: the weight ${fmtShape(w.shape)} holds ${describe(v)} at element ${i}`);
      if (v !== 0) nnz++;
    }
    const s = new SparseLinear({ inFeatures: Kf, outFeatures: N, bias: linear.bias !== null, nnz });
    const values = s.values.data, cols = s.colIdx.data as Int32Array, ptr = s.rowPtr.data as Int32Array;
    let j = 0;
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < Kf; k++) {
        const v = w.data[n * Kf + k];
        if (v !== 0) {
          values[j] = v;
          cols[j] = k;
          j++;
        }
      }
      ptr[n + 1] = j;
    }
    if (linear.bias !== null) s.bias!.data.set(linear.bias.data);
    return s;
  }

  /** The weight as a dense float32 [outFeatures, inFeatures] tensor. */
  toDense(): Tensor {
    const out = Tensor.empty([this.outFeatures, this.inFeatures]);
    out.data.fill(0);
    const ptr = this.rowPtr.data, cols = this.colIdx.data, v = this.values.data;
    for (let n = 0; n < this.outFeatures; n++) for (let j = ptr[n]; j < ptr[n + 1]; j++) out.data[n * this.inFeatures + cols[j]] = v[j];
    return out;
  }

  forward(x: Tensor): Tensor {
    const op = 'SparseLinear';
    if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: input must be a Tensor, got ${describe(x)}`);
    const Kf = this.inFeatures, N = this.outFeatures;
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== Kf) throw new ShapeError(`${op}: input ${fmtShape(x.shape)} must end in inFeatures = ${Kf} (weight [${N}, ${Kf}], ${this.nnz} nonzeros)`);
    this.checkStructure();
    const M = x.size / Kf;
    const out = Tensor.empty([...x.shape.slice(0, -1), N]);
    const ptr = this.rowPtr.data as Int32Array, cols = this.colIdx.data as Int32Array, v = this.values.data;
    K.csrLinearForward(out.data, x.data, ptr, cols, v, this.bias?.data ?? null, M, Kf, N);
    return record('sparseLinear', out, [x], (dy) => {
      if (x.requiresGrad) K.csrLinearBackwardInput(x.gradBuffer(), dy, ptr, cols, v, M, Kf, N);
    });
  }

  /** Loaded index buffers are checked again before the next forward. @internal */
  protected override stateLoaded(): void {
    this.structureChecked = false;
  }

  /** A loaded CSR structure must be consistent before the kernel indexes with it (checked once per load). */
  private checkStructure(): void {
    if (this.structureChecked) return;
    const ptr = this.rowPtr.data, cols = this.colIdx.data, N = this.outFeatures, nnz = this.nnz;
    if (ptr[0] !== 0 || ptr[N] !== nnz) throw new ArgumentError(`SparseLinear: rowPtr must start at 0 and end at nnz = ${nnz}, got ${ptr[0]} … ${ptr[N]}`);
    for (let n = 0; n < N; n++) if (ptr[n + 1] < ptr[n]) throw new ArgumentError(`SparseLinear: rowPtr decreases at row ${n} (${ptr[n]} → ${ptr[n + 1]})`);
    for (let j = 0; j < nnz; j++) {
      if (!(cols[j] >= 0 && cols[j] < this.inFeatures)) throw new ArgumentError(`SparseLinear: colIdx[${j}] = ${cols[j]} is outside [0, ${this.inFeatures - 1}]`);
    }
    this.structureChecked = true;
  }

  override config(): LayerConfig<SparseLinearConfig> {
    return { type: 'SparseLinear', options: { inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null, nnz: this.nnz } };
  }
}
