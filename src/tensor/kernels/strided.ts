/**
 * Strided iteration: the one mechanism behind broadcasting, permutes, slices and expands.
 *
 * A logical index space of `shape` (row-major) is walked row by row (the last dimension is the
 * row); each operand is addressed with its own strides (0 on broadcast dimensions). Adjacent
 * dimensions that are contiguous for every operand are merged first, so a same-shape op is a single
 * row and a bias add [B, C] + [C] is B rows.
 */

/**
 * Merges adjacent dimensions that are contiguous in every stride list. Returns the new shape and
 * stride lists (dimensions of size 1 are dropped). A scalar space becomes shape [1].
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): [number[], number[][]] {
  const dims: number[] = [];
  const sts: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d];
    if (n === 1) continue;
    const last = dims.length - 1;
    let merge = last >= 0;
    if (merge) {
      for (let k = 0; k < strides.length; k++) {
        if (sts[k][last] !== strides[k][d] * n) {
          merge = false;
          break;
        }
      }
    }
    if (merge) {
      dims[last] *= n;
      for (let k = 0; k < strides.length; k++) sts[k][last] = strides[k][d];
    } else {
      dims.push(n);
      for (let k = 0; k < strides.length; k++) sts[k].push(strides[k][d]);
    }
  }
  if (dims.length === 0) {
    dims.push(1);
    for (let k = 0; k < strides.length; k++) sts[k].push(1);
  }
  return [dims, sts];
}

/**
 * A row kernel: processes `n` elements, writing out[o + i] (contiguous) from up to three operands
 * read at p[pi + i·ps], q[qi + i·qs], r[ri + i·rs]. Forward row kernels overwrite, backward row
 * kernels accumulate.
 */
export type RowKernel = (
  out: Float32Array, o: number, n: number,
  p: Float32Array, pi: number, ps: number,
  q: Float32Array, qi: number, qs: number,
  r: Float32Array, ri: number, rs: number,
) => void;

const EMPTY = new Float32Array(0);

/**
 * Walks `shape` writing a contiguous `out` and reading p, q, r with the given strides (pass null for
 * unused operands). Calls `row` once per row of the coalesced space.
 * Shapes: out has Π shape elements; strides have shape.length entries.
 */
export function mapRows(
  out: Float32Array, shape: readonly number[], row: RowKernel,
  p: Float32Array, ps: readonly number[],
  q: Float32Array | null, qs: readonly number[] | null,
  r: Float32Array | null, rs: readonly number[] | null,
): void {
  let total = 1;
  for (let d = 0; d < shape.length; d++) total *= shape[d];
  if (total === 0) return;
  const zeros = new Array<number>(shape.length).fill(0);
  const [dims, [sp, sq, sr]] = coalesce(shape, [ps, qs ?? zeros, rs ?? zeros]);
  const qq = q ?? EMPTY, rr = r ?? EMPTY;
  const nd = dims.length;
  const n = dims[nd - 1];
  const pStep = sp[nd - 1], qStep = sq[nd - 1], rStep = sr[nd - 1];
  if (nd === 1) {
    row(out, 0, n, p, 0, pStep, qq, 0, qStep, rr, 0, rStep);
    return;
  }
  const rows = total / n;
  const idx = new Array<number>(nd - 1).fill(0);
  let pi = 0, qi = 0, ri = 0;
  for (let k = 0; k < rows; k++) {
    row(out, k * n, n, p, pi, pStep, qq, qi, qStep, rr, ri, rStep);
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      pi += sp[d];
      qi += sq[d];
      ri += sr[d];
      if (idx[d] < dims[d]) break;
      pi -= sp[d] * dims[d];
      qi -= sq[d] * dims[d];
      ri -= sr[d] * dims[d];
      idx[d] = 0;
    }
  }
}

/**
 * The shared walk of the strided kernels: visits `shape` row by row (after coalescing), calling
 * `row(xi, o, n, step)` with the strided start offset xi, the contiguous offset o, the row length
 * n and the strided step of the row. One call per row, never per element.
 */
function walkRows(shape: readonly number[], strides: readonly number[], offset: number, row: (xi: number, o: number, n: number, step: number) => void): void {
  let total = 1;
  for (let d = 0; d < shape.length; d++) total *= shape[d];
  if (total === 0) return;
  const [dims, [st]] = coalesce(shape, [strides]);
  const nd = dims.length;
  const n = dims[nd - 1];
  const step = st[nd - 1];
  const rows = total / n;
  const idx = new Array<number>(nd).fill(0);
  let xi = offset;
  for (let k = 0, o = 0; k < rows; k++, o += n) {
    row(xi, o, n, step);
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      xi += st[d];
      if (idx[d] < dims[d]) break;
      xi -= st[d] * dims[d];
      idx[d] = 0;
    }
  }
}

/**
 * Strided gather into a contiguous array: out[i] = x[offset + Σ_d idx_d · strides_d] over `shape`.
 * Used by permute, slice and expand (stride 0).
 */
export function stridedCopy(out: Float32Array, x: Float32Array, offset: number, shape: readonly number[], strides: readonly number[]): void {
  walkRows(shape, strides, offset, (xi, o, n, step) => {
    if (step === 1) for (let i = 0; i < n; i++) out[o + i] = x[xi + i];
    else for (let i = 0; i < n; i++) out[o + i] = x[xi + i * step];
  });
}

/**
 * Strided scatter-add, the backward of {@link stridedCopy}: dx[offset + Σ idx_d · strides_d] += dy[i].
 * Strides must not alias (no stride 0); use {@link sumToShape} for broadcast reductions.
 */
export function stridedAccumulate(dx: Float32Array, offset: number, shape: readonly number[], strides: readonly number[], dy: Float32Array): void {
  walkRows(shape, strides, offset, (xi, o, n, step) => {
    for (let i = 0; i < n; i++) dx[xi + i * step] += dy[o + i];
  });
}

/**
 * Sums a contiguous `dy` of shape `shape` into `dx`, read through `strides` that are 0 on the
 * broadcast dimensions: dx[j] += Σ over all i that map to j of dy[i]. Sums run in float64 and are
 * added to dx once. This is the single place where broadcasting is undone in backward passes.
 * Shapes: dy Π shape; dx the un-broadcast size.
 */
export function sumToShape(dx: Float32Array, dy: Float32Array, shape: readonly number[], strides: readonly number[]): void {
  const acc = new Float64Array(dx.length);
  walkRows(shape, strides, 0, (xi, o, n, step) => {
    if (step === 0) {
      let s = 0;
      for (let i = 0; i < n; i++) s += dy[o + i];
      acc[xi] += s;
    } else {
      for (let i = 0; i < n; i++) acc[xi + i * step] += dy[o + i];
    }
  });
  for (let j = 0; j < dx.length; j++) dx[j] += acc[j];
}

/**
 * Strided scatter (assignment): out[offset + Σ idx_d · strides_d] = src[i]. Used to write an
 * interior region (padding). Strides must not alias.
 */
export function stridedWrite(out: Float32Array, offset: number, shape: readonly number[], strides: readonly number[], src: Float32Array): void {
  walkRows(shape, strides, offset, (xi, o, n, step) => {
    for (let i = 0; i < n; i++) out[xi + i * step] = src[o + i];
  });
}

// ---- naive twins: one element at a time through the full multi-index, no coalescing; test oracles ----

/** Calls fn(k, xi) for every element k of `shape` (row-major), xi = offset + Σ_d idx_d · strides_d. */
function forEachElement(shape: readonly number[], strides: readonly number[], offset: number, fn: (k: number, xi: number) => void): void {
  let total = 1;
  for (let d = 0; d < shape.length; d++) total *= shape[d];
  for (let k = 0; k < total; k++) {
    let rest = k, xi = offset;
    for (let d = shape.length - 1; d >= 0; d--) {
      xi += (rest % shape[d]) * strides[d];
      rest = Math.floor(rest / shape[d]);
    }
    fn(k, xi);
  }
}

/** Naive twin of {@link mapRows}: calls `row` once per element (rows of length 1). */
export function mapRowsNaive(
  out: Float32Array, shape: readonly number[], row: RowKernel,
  p: Float32Array, ps: readonly number[],
  q: Float32Array | null, qs: readonly number[] | null,
  r: Float32Array | null, rs: readonly number[] | null,
): void {
  const zeros = new Array<number>(shape.length).fill(0);
  const pi: number[] = [], qi: number[] = [], ri: number[] = [];
  forEachElement(shape, ps, 0, (k, i) => { pi[k] = i; });
  forEachElement(shape, qs ?? zeros, 0, (k, i) => { qi[k] = i; });
  forEachElement(shape, rs ?? zeros, 0, (k, i) => { ri[k] = i; });
  for (let k = 0; k < pi.length; k++) row(out, k, 1, p, pi[k], 0, q ?? EMPTY, qi[k], 0, r ?? EMPTY, ri[k], 0);
}

/** Naive twin of {@link stridedCopy}. */
export function stridedCopyNaive(out: Float32Array, x: Float32Array, offset: number, shape: readonly number[], strides: readonly number[]): void {
  forEachElement(shape, strides, offset, (k, xi) => { out[k] = x[xi]; });
}

/** Naive twin of {@link stridedAccumulate}. */
export function stridedAccumulateNaive(dx: Float32Array, offset: number, shape: readonly number[], strides: readonly number[], dy: Float32Array): void {
  forEachElement(shape, strides, offset, (k, xi) => { dx[xi] += dy[k]; });
}

/** Naive twin of {@link sumToShape}: float64 sums, added to dx once. */
export function sumToShapeNaive(dx: Float32Array, dy: Float32Array, shape: readonly number[], strides: readonly number[]): void {
  const acc = new Float64Array(dx.length);
  forEachElement(shape, strides, 0, (k, xi) => { acc[xi] += dy[k]; });
  for (let j = 0; j < dx.length; j++) dx[j] += acc[j];
}

/** Naive twin of {@link stridedWrite}. */
export function stridedWriteNaive(out: Float32Array, offset: number, shape: readonly number[], strides: readonly number[], src: Float32Array): void {
  forEachElement(shape, strides, offset, (k, xi) => { out[xi] = src[k]; });
}
