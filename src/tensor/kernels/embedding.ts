/**
 * Embedding lookup. Dims: `N` looked-up indices, `V` vocabulary (rows of the table), `D` embedding
 * size.
 */

/**
 * out[n, :] = weight[idx[n], :]. Indices must already be validated (in [0, V)).
 * Shapes: idx (N), weight (V, D), out (N, D). Overwrites out.
 */
export function embeddingForward(out: Float32Array, weight: Float32Array, idx: Int32Array, N: number, D: number): void {
  for (let n = 0; n < N; n++) {
    const src = idx[n] * D;
    const dst = n * D;
    for (let d = 0; d < D; d++) out[dst + d] = weight[src + d];
  }
}

/**
 * Scatter-add: dweight[idx[n], :] += dout[n, :], skipping rows equal to `paddingIdx` (−1 for none),
 * which get no gradient. Repeated indices accumulate.
 * Shapes: idx (N), dout (N, D), dweight (V, D). Accumulates.
 */
export function embeddingBackward(dweight: Float32Array, dout: Float32Array, idx: Int32Array, paddingIdx: number, N: number, D: number): void {
  for (let n = 0; n < N; n++) {
    const row = idx[n];
    if (row === paddingIdx) continue;
    const dst = row * D;
    const src = n * D;
    for (let d = 0; d < D; d++) dweight[dst + d] += dout[src + d];
  }
}
