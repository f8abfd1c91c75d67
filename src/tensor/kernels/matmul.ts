// Dims: M rows of the output, N columns of the output, K the contracted dimension.
//
// The fast path follows the GotoBLAS layout: a KC×NC block of op(b) and an MC×KC block of op(a)
// are packed into 4-wide panels (k-major, 4 values per k) so the 4×4 micro-kernel reads both
// operands contiguously whatever the transposition; only the packing loops differ per case.

/** Depth of a packed block: a 4×KC panel of each operand stays in L1. */
const KC = 256;
/** Rows of op(a) per packed block: MC×KC floats (64 KiB) stay in L2. */
const MC = 64;
/** Columns of op(b) per packed block: KC×NC floats (256 KiB) stay in L2. */
const NC = 256;

// Module-level scratch, grown on demand and reused so steady-state calls do not allocate. The
// packed A block sits at [0, MC·KC) and the packed B block after it, so the micro-kernel's loop
// bounds-checks one array instead of two. The panels are float64 (the micro-kernel's loads need
// no conversion) in a plain JS array of doubles rather than a typed array, whose every access V8
// checks for detachment once any ArrayBuffer in the process has been detached (a transfer, or
// loading tfjs). Measurements: bench/RESULTS.md, "Kernel design notes".
const B_BASE = MC * KC;
let pack: number[] = [];
const tile = new Float32Array(16);

/**
 * General matrix product: out = op(a)·op(b), or out += op(a)·op(b) when `accumulate`, where
 * op(x) = xᵀ when the matching trans flag is set; out[i, j] = Σ_k op(a)[i, k] · op(b)[k, j].
 *
 * Shapes: a (M, K) row-major, or (K, M) when `transA`; b (K, N), or (N, K) when `transB`;
 * out (M, N) row-major. Each matrix starts at its offset (`aOff`, `bOff`, `outOff`) so batched
 * callers can address one matrix inside a larger buffer.
 *
 * The js backend's `gemm` (backend.ts); ops, the convolutions and the recurrent kernels call it
 * through the kernel table. Register-blocked 4×4 micro-kernel over packed panels, cache-blocked on
 * K, M and N; matrix-vector shapes (M = 1 or N = 1, as in batch-1 inference) take unrolled
 * dot-product and row-streaming loops instead. Sums are accumulated in float64 and rounded to
 * float32 once per K block. With `accumulate` false, out is fully overwritten (its
 * previous contents are never read); with K = 0 it is zero-filled (left unchanged when
 * `accumulate`); M = 0 or N = 0 is a no-op.
 *
 * @example
 * // [[1, 2], [3, 4]] · [[5, 6], [7, 8]]
 * const out = new Float32Array(4);
 * gemm(out, 0, Float32Array.of(1, 2, 3, 4), 0, Float32Array.of(5, 6, 7, 8), 0, 2, 2, 2, false, false, false);
 * Array.from(out); // [19, 22, 43, 50]
 * @see {@link gemmNaive}, the reference it is tested against.
 * @category Kernels
 */
export function gemm(
  out: Float32Array, outOff: number, a: Float32Array, aOff: number, b: Float32Array, bOff: number,
  M: number, K: number, N: number, transA: boolean, transB: boolean, accumulate: boolean,
): void {
  if (M === 0 || N === 0) return;
  if (K === 0) {
    if (!accumulate) out.fill(0, outOff, outOff + M * N);
    return;
  }
  if (M === 1) {
    // Matrix-vector shapes: a 4-row (or 4-column) block would be three quarters zero padding.
    // op(a) is one contiguous row whatever transA says: out = a·op(b).
    if (transB) gemvRows(out, outOff, b, bOff, K, a, aOff, N, K, accumulate);
    else gemvCols(out, outOff, b, bOff, N, a, aOff, N, K, accumulate);
    return;
  }
  if (N === 1) {
    // op(b) is one contiguous column whatever transB says: out = op(a)·b.
    if (transA) gemvCols(out, outOff, a, aOff, M, b, bOff, M, K, accumulate);
    else gemvRows(out, outOff, a, aOff, K, b, bOff, M, K, accumulate);
    return;
  }
  // Blocks of equal size rather than full blocks and a thin remainder (K = 784 is 4 × 196, not
  // 3 × 256 + 16); M and N blocks stay multiples of the 4-wide panels.
  const kcB = balancedBlock(K, KC, 1), mcB = balancedBlock(M, MC, 4), ncB = balancedBlock(N, NC, 4);
  const size = B_BASE + KC * (((Math.min(N, NC) + 3) >> 2) << 2);
  if (pack.length < size) pack = packedDoubles(size);
  const p = pack;
  for (let j0 = 0; j0 < N; j0 += ncB) {
    const nc = Math.min(ncB, N - j0);
    for (let k0 = 0; k0 < K; k0 += kcB) {
      const kc = Math.min(kcB, K - k0);
      // The first K block writes (or adds into) out; later blocks always add.
      const add = accumulate || k0 > 0;
      if (transB) packBT(p, B_BASE, b, bOff, K, k0, kc, j0, nc);
      else packBN(p, B_BASE, b, bOff, N, k0, kc, j0, nc);
      for (let i0 = 0; i0 < M; i0 += mcB) {
        const mc = Math.min(mcB, M - i0);
        if (transA) packAT(p, a, aOff, M, k0, kc, i0, mc);
        else packAN(p, a, aOff, K, k0, kc, i0, mc);
        for (let j = 0; j < nc; j += 4) {
          const nr = Math.min(4, nc - j);
          const ib = B_BASE + j * kc;
          for (let i = 0; i < mc; i += 4) {
            const mr = Math.min(4, mc - i);
            const o = outOff + (i0 + i) * N + j0 + j;
            if (mr === 4 && nr === 4) {
              micro4x4(out, o, N, p, i * kc, ib, kc, add);
            } else {
              // Edge tile: compute the zero-padded 4×4 block aside and copy its valid part.
              micro4x4(tile, 0, 4, p, i * kc, ib, kc, false);
              for (let r = 0; r < mr; r++) {
                const oRow = o + r * N;
                const tRow = r * 4;
                if (add) for (let c = 0; c < nr; c++) out[oRow + c] += tile[tRow + c];
                else for (let c = 0; c < nr; c++) out[oRow + c] = tile[tRow + c];
              }
            }
          }
        }
      }
    }
  }
}

/**
 * Dot products of `rows` contiguous rows of m (row stride ld) with the vector v:
 * out[i] (+)= Σ_k m[mOff + i·ld + k] · v[vOff + k]. Four rows at a time, so four independent
 * float64 sums hide the add latency that bounds a single running sum.
 */
function gemvRows(
  out: Float32Array, outOff: number, m: Float32Array, mOff: number, ld: number, v: Float32Array, vOff: number,
  rows: number, K: number, accumulate: boolean,
): void {
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const r0 = mOff + i * ld, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let k = 0; k < K; k++) {
      const x = v[vOff + k];
      s0 += m[r0 + k] * x; s1 += m[r1 + k] * x; s2 += m[r2 + k] * x; s3 += m[r3 + k] * x;
    }
    const o = outOff + i;
    if (accumulate) {
      out[o] += s0; out[o + 1] += s1; out[o + 2] += s2; out[o + 3] += s3;
    } else {
      out[o] = s0; out[o + 1] = s1; out[o + 2] = s2; out[o + 3] = s3;
    }
  }
  for (; i < rows; i++) {
    const r = mOff + i * ld;
    let s0 = 0, s1 = 0;
    let k = 0;
    for (; k + 2 <= K; k += 2) {
      s0 += m[r + k] * v[vOff + k];
      s1 += m[r + k + 1] * v[vOff + k + 1];
    }
    if (k < K) s0 += m[r + k] * v[vOff + k];
    if (accumulate) out[outOff + i] += s0 + s1;
    else out[outOff + i] = s0 + s1;
  }
}

let gemvAcc: number[] = [];
/**
 * The vector v times `K` contiguous rows of m (row stride ld), each `n` long:
 * out[j] (+)= Σ_k v[vOff + k] · m[mOff + k·ld + j]. Streams four rows at a time into a float64
 * accumulator row, so every read of m is sequential.
 */
function gemvCols(
  out: Float32Array, outOff: number, m: Float32Array, mOff: number, ld: number, v: Float32Array, vOff: number,
  n: number, K: number, accumulate: boolean,
): void {
  if (gemvAcc.length < n) gemvAcc = packedDoubles(n);
  const acc = gemvAcc;
  acc.fill(0, 0, n);
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    const x0 = v[vOff + k], x1 = v[vOff + k + 1], x2 = v[vOff + k + 2], x3 = v[vOff + k + 3];
    const r0 = mOff + k * ld, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld;
    for (let j = 0; j < n; j++) acc[j] += x0 * m[r0 + j] + x1 * m[r1 + j] + x2 * m[r2 + j] + x3 * m[r3 + j];
  }
  for (; k < K; k++) {
    const x = v[vOff + k], r = mOff + k * ld;
    for (let j = 0; j < n; j++) acc[j] += x * m[r + j];
  }
  if (accumulate) for (let j = 0; j < n; j++) out[outOff + j] += acc[j];
  else for (let j = 0; j < n; j++) out[outOff + j] = acc[j];
}

/**
 * A JS array of n zeros stored unboxed as doubles (V8's packed-double elements), the scratch
 * type of the packed panels. Filled with a non-integer first: zeros pushed directly would make a
 * small-integer array.
 */
export function packedDoubles(n: number): number[] {
  const a: number[] = [];
  for (let i = 0; i < n; i++) a.push(0.5);
  return a.fill(0);
}

/** Size of each of the ⌈n / max⌉ blocks that split n as evenly as possible, rounded up to a multiple of `unit`. */
export function balancedBlock(n: number, max: number, unit: number): number {
  const size = Math.ceil(n / Math.ceil(n / max));
  return Math.min(max, Math.ceil(size / unit) * unit);
}

/**
 * Reference matrix product, the oracle for {@link gemm}: out[i, j] = Σ_k op(a)[i, k] · op(b)[k, j]
 * (+ out[i, j] when `accumulate`), one float64 accumulator per output element.
 *
 * Shapes: a (M, K) row-major, or (K, M) when `transA`; b (K, N), or (N, K) when `transB`;
 * out (M, N) row-major, each starting at its offset. Same contract as {@link gemm}.
 *
 * @example
 * const out = new Float32Array(1);
 * gemmNaive(out, 0, Float32Array.of(1, 2, 3), 0, Float32Array.of(4, 5, 6), 0, 1, 3, 1, false, false, false);
 * Array.from(out); // [32]
 * @category Kernels
 */
export function gemmNaive(
  out: Float32Array, outOff: number, a: Float32Array, aOff: number, b: Float32Array, bOff: number,
  M: number, K: number, N: number, transA: boolean, transB: boolean, accumulate: boolean,
): void {
  // Strides of op(a)[i, k] and op(b)[k, j] in their stored layouts.
  const aRowStride = transA ? 1 : K;
  const aColStride = transA ? M : 1;
  const bRowStride = transB ? 1 : N;
  const bColStride = transB ? K : 1;
  for (let i = 0; i < M; i++) {
    const oRow = outOff + i * N;
    const aRow = aOff + i * aRowStride;
    for (let j = 0; j < N; j++) {
      const bCol = bOff + j * bColStride;
      let acc = accumulate ? out[oRow + j] : 0;
      for (let k = 0; k < K; k++) acc += a[aRow + k * aColStride] * b[bCol + k * bRowStride];
      out[oRow + j] = acc;
    }
  }
}

/**
 * 4×4 register block: out[o + r·ldo + c] (+)= Σ_k p[ia + 4k + r] · p[ib + 4k + c], for r, c < 4.
 * Shapes: p holds a packed A panel at ia and a packed B panel at ib, 4·kc floats each; out tile
 * with row stride ldo. Shared with the JS convolution kernels, which pack their own panels; not a
 * kernel-table entry, since it works on the JS backend's packed arrays.
 */
export function micro4x4(
  out: Float32Array, o: number, ldo: number, p: number[], ia: number, ib: number, kc: number, add: boolean,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  // `| 0` keeps index arithmetic in int32, without overflow checks.
  const end = (ia + 4 * kc) | 0;
  for (; ia < end; ia = (ia + 4) | 0, ib = (ib + 4) | 0) {
    const b0 = p[ib], b1 = p[(ib + 1) | 0], b2 = p[(ib + 2) | 0], b3 = p[(ib + 3) | 0];
    let x = p[ia];
    c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
    x = p[(ia + 1) | 0];
    c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
    x = p[(ia + 2) | 0];
    c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
    x = p[(ia + 3) | 0];
    c30 += x * b0; c31 += x * b1; c32 += x * b2; c33 += x * b3;
  }
  const o1 = o + ldo, o2 = o1 + ldo, o3 = o2 + ldo;
  if (add) {
    out[o] += c00; out[o + 1] += c01; out[o + 2] += c02; out[o + 3] += c03;
    out[o1] += c10; out[o1 + 1] += c11; out[o1 + 2] += c12; out[o1 + 3] += c13;
    out[o2] += c20; out[o2 + 1] += c21; out[o2 + 2] += c22; out[o2 + 3] += c23;
    out[o3] += c30; out[o3 + 1] += c31; out[o3 + 2] += c32; out[o3 + 3] += c33;
  } else {
    out[o] = c00; out[o + 1] = c01; out[o + 2] = c02; out[o + 3] = c03;
    out[o1] = c10; out[o1 + 1] = c11; out[o1 + 2] = c12; out[o1 + 3] = c13;
    out[o2] = c20; out[o2 + 1] = c21; out[o2 + 2] = c22; out[o2 + 3] = c23;
    out[o3] = c30; out[o3 + 1] = c31; out[o3 + 2] = c32; out[o3 + 3] = c33;
  }
}

// Packing: panel p of a block holds rows (of op(a)) or columns (of op(b)) 4p..4p+3 for k in
// [k0, k0+kc), laid out at p·4·kc + 4k + lane. Lanes past the matrix edge are zero.

/** Packs op(a) = a, stored (M, K): reads four rows, each contiguous in k. */
function packAN(
  pa: number[], a: Float32Array, aOff: number, K: number, k0: number, kc: number, i0: number, mc: number,
): void {
  for (let i = 0; i < mc; i += 4) {
    const mr = Math.min(4, mc - i);
    let p = i * kc;
    const r0 = aOff + (i0 + i) * K + k0;
    if (mr === 4) {
      const r1 = r0 + K, r2 = r1 + K, r3 = r2 + K;
      for (let k = 0; k < kc; k++, p += 4) {
        pa[p] = a[r0 + k]; pa[p + 1] = a[r1 + k]; pa[p + 2] = a[r2 + k]; pa[p + 3] = a[r3 + k];
      }
    } else {
      for (let k = 0; k < kc; k++, p += 4) {
        for (let r = 0; r < 4; r++) pa[p + r] = r < mr ? a[r0 + r * K + k] : 0;
      }
    }
  }
}

/** Packs op(a) = aᵀ, a stored (K, M): each k contributes four contiguous values. */
function packAT(
  pa: number[], a: Float32Array, aOff: number, M: number, k0: number, kc: number, i0: number, mc: number,
): void {
  for (let i = 0; i < mc; i += 4) {
    const mr = Math.min(4, mc - i);
    let p = i * kc;
    let s = aOff + k0 * M + i0 + i;
    if (mr === 4) {
      for (let k = 0; k < kc; k++, p += 4, s += M) {
        pa[p] = a[s]; pa[p + 1] = a[s + 1]; pa[p + 2] = a[s + 2]; pa[p + 3] = a[s + 3];
      }
    } else {
      for (let k = 0; k < kc; k++, p += 4, s += M) {
        for (let r = 0; r < 4; r++) pa[p + r] = r < mr ? a[s + r] : 0;
      }
    }
  }
}

/** Packs op(b) = b, stored (K, N): each k contributes four contiguous values. */
function packBN(
  pb: number[], base: number, b: Float32Array, bOff: number, N: number, k0: number, kc: number, j0: number,
  nc: number,
): void {
  for (let j = 0; j < nc; j += 4) {
    const nr = Math.min(4, nc - j);
    let p = base + j * kc;
    let s = bOff + k0 * N + j0 + j;
    if (nr === 4) {
      for (let k = 0; k < kc; k++, p += 4, s += N) {
        pb[p] = b[s]; pb[p + 1] = b[s + 1]; pb[p + 2] = b[s + 2]; pb[p + 3] = b[s + 3];
      }
    } else {
      for (let k = 0; k < kc; k++, p += 4, s += N) {
        for (let c = 0; c < 4; c++) pb[p + c] = c < nr ? b[s + c] : 0;
      }
    }
  }
}

/** Packs op(b) = bᵀ, b stored (N, K): reads four rows of b, each contiguous in k (the dot form). */
function packBT(
  pb: number[], base: number, b: Float32Array, bOff: number, K: number, k0: number, kc: number, j0: number,
  nc: number,
): void {
  for (let j = 0; j < nc; j += 4) {
    const nr = Math.min(4, nc - j);
    let p = base + j * kc;
    const r0 = bOff + (j0 + j) * K + k0;
    if (nr === 4) {
      const r1 = r0 + K, r2 = r1 + K, r3 = r2 + K;
      for (let k = 0; k < kc; k++, p += 4) {
        pb[p] = b[r0 + k]; pb[p + 1] = b[r1 + k]; pb[p + 2] = b[r2 + k]; pb[p + 3] = b[r3 + k];
      }
    } else {
      for (let k = 0; k < kc; k++, p += 4) {
        for (let c = 0; c < 4; c++) pb[p + c] = c < nr ? b[r0 + c * K + k] : 0;
      }
    }
  }
}
