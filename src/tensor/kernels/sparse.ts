/**
 * Sparse × dense products for a weight stored in CSR form (compressed sparse rows): row n's
 * nonzeros are values[rowPtr[n] … rowPtr[n + 1]) at columns colIdx[same range].
 */

/**
 * out[m, n] = Σ_j values[j] · x[m, colIdx[j]] over row n's nonzeros (+ bias[n]): x·Wᵀ + b for a
 * CSR weight W (N, K). Work is M · nnz instead of M · N · K.
 *
 * Shapes: x (M, K) row-major; rowPtr (N + 1); colIdx, values (nnz); bias (N) or null; out (M, N),
 * overwritten.
 * @example
 * const out = new Float32Array(2);
 * csrLinearForward(out, Float32Array.of(1, 2, 3), Int32Array.of(0, 1, 3), Int32Array.of(2, 0, 1), Float32Array.of(5, 1, 1), null, 1, 3, 2);
 * Array.from(out); // [15, 3]
 * @category Kernels
 */
export function csrLinearForward(
  out: Float32Array, x: Float32Array, rowPtr: Int32Array, colIdx: Int32Array, values: Float32Array, bias: Float32Array | null,
  M: number, K: number, N: number,
): void {
  for (let m = 0; m < M; m++) {
    const xr = m * K, orow = m * N;
    for (let n = 0; n < N; n++) {
      let s = bias === null ? 0 : bias[n];
      const end = rowPtr[n + 1];
      for (let j = rowPtr[n]; j < end; j++) s += values[j] * x[xr + colIdx[j]];
      out[orow + n] = s;
    }
  }
}

/**
 * dx[m, k] += Σ_n dy[m, n] · W[n, k] over W's nonzeros: the input gradient of
 * {@link csrLinearForward}, accumulated.
 *
 * Shapes: dy (M, N); dx (M, K); CSR arrays as the forward.
 * @category Kernels
 */
export function csrLinearBackwardInput(
  dx: Float32Array, dy: Float32Array, rowPtr: Int32Array, colIdx: Int32Array, values: Float32Array,
  M: number, K: number, N: number,
): void {
  for (let m = 0; m < M; m++) {
    const xr = m * K, drow = m * N;
    for (let n = 0; n < N; n++) {
      const g = dy[drow + n];
      if (g === 0) continue;
      const end = rowPtr[n + 1];
      for (let j = rowPtr[n]; j < end; j++) dx[xr + colIdx[j]] += g * values[j];
    }
  }
}

/** Naive twin of {@link csrLinearForward} (the oracle): densify W, then a plain triple loop. */
export function csrLinearForwardNaive(
  out: Float32Array, x: Float32Array, rowPtr: Int32Array, colIdx: Int32Array, values: Float32Array, bias: Float32Array | null,
  M: number, K: number, N: number,
): void {
  const W = new Float64Array(N * K);
  for (let n = 0; n < N; n++) for (let j = rowPtr[n]; j < rowPtr[n + 1]; j++) W[n * K + colIdx[j]] += values[j];
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = bias === null ? 0 : bias[n];
      for (let k = 0; k < K; k++) s += W[n * K + k] * x[m * K + k];
      out[m * N + n] = s;
    }
  }
}

/** Naive twin of {@link csrLinearBackwardInput} (the oracle): densify W, then dx += dy·W. */
export function csrLinearBackwardInputNaive(
  dx: Float32Array, dy: Float32Array, rowPtr: Int32Array, colIdx: Int32Array, values: Float32Array,
  M: number, K: number, N: number,
): void {
  const W = new Float64Array(N * K);
  for (let n = 0; n < N; n++) for (let j = rowPtr[n]; j < rowPtr[n + 1]; j++) W[n * K + colIdx[j]] += values[j];
  for (let m = 0; m < M; m++) {
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let n = 0; n < N; n++) s += dy[m * N + n] * W[n * K + k];
      dx[m * K + k] += s;
    }
  }
}
