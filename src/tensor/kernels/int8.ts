/**
 * Integer matrix products for quantized layers: uint8 activations × int8 weights → int32 sums,
 * the x86 (fbgemm) layout PyTorch's dynamic and static quantized Linear use.
 */

/**
 * out[m, n] = Σ_k a[m, k] · w[n, k] (+ out[m, n] when `accumulate`), exact int32 sums of uint8 ×
 * int8 products. Each product is at most 255 · 128 = 32 640 in magnitude, so a sum is exact for K
 * below 65 793 (2³¹ / 32 640); longer rows wrap modulo 2³², as C's int32 would.
 *
 * Shapes: a (M, K) row-major uint8; w (N, K) row-major int8 (a Linear weight, one row per output);
 * out (M, N) int32, each starting at its offset.
 * @example
 * const out = new Int32Array(2);
 * gemmU8I8(out, 0, Uint8Array.of(1, 2), 0, Int8Array.of(3, -4, 5, 6), 0, 1, 2, 2, false);
 * Array.from(out); // [-5, 17]
 * @category Kernels
 */
export function gemmU8I8(
  out: Int32Array, outOff: number, a: Uint8Array, aOff: number, w: Int8Array, wOff: number,
  M: number, K: number, N: number, accumulate: boolean,
): void {
  // Four output columns per pass over a row of a: each a[m, k] load feeds four products, and the
  // four weight rows stream in order. Sums stay below 2⁵³ (exact as doubles) and are truncated to
  // int32 once.
  const n4 = N - (N % 4);
  for (let m = 0; m < M; m++) {
    const ar = aOff + m * K, orow = outOff + m * N;
    let n = 0;
    for (; n < n4; n += 4) {
      const w0 = wOff + n * K, w1 = w0 + K, w2 = w1 + K, w3 = w2 + K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < K; k++) {
        const av = a[ar + k];
        s0 += av * w[w0 + k];
        s1 += av * w[w1 + k];
        s2 += av * w[w2 + k];
        s3 += av * w[w3 + k];
      }
      if (accumulate) {
        out[orow + n] += s0;
        out[orow + n + 1] += s1;
        out[orow + n + 2] += s2;
        out[orow + n + 3] += s3;
      } else {
        out[orow + n] = s0;
        out[orow + n + 1] = s1;
        out[orow + n + 2] = s2;
        out[orow + n + 3] = s3;
      }
    }
    for (; n < N; n++) {
      const wr = wOff + n * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += a[ar + k] * w[wr + k];
      out[orow + n] = accumulate ? out[orow + n] + s : s;
    }
  }
}

/** Naive twin of {@link gemmU8I8} (the oracle): one sum per output, same contract. */
export function gemmU8I8Naive(
  out: Int32Array, outOff: number, a: Uint8Array, aOff: number, w: Int8Array, wOff: number,
  M: number, K: number, N: number, accumulate: boolean,
): void {
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = accumulate ? out[outOff + m * N + n] : 0;
      for (let k = 0; k < K; k++) s += a[aOff + m * K + k] * w[wOff + n * K + k];
      out[outOff + m * N + n] = s;
    }
  }
}
