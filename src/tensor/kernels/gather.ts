/**
 * Index kernels over the [O, N, I] view of the indexed axis (N = its length).
 */

/** out[o, j, i] = x[o, idx[j], i]. Shapes: x (O, N, I), idx (J), out (O, J, I). */
export function indexSelectForward(out: Float32Array, x: Float32Array, idx: Int32Array, O: number, N: number, I: number): void {
  const J = idx.length;
  for (let o = 0; o < O; o++) {
    for (let j = 0; j < J; j++) {
      const src = (o * N + idx[j]) * I, dst = (o * J + j) * I;
      for (let i = 0; i < I; i++) out[dst + i] = x[src + i];
    }
  }
}

/** Scatter-add: dx[o, idx[j], i] += dy[o, j, i] (repeated indices accumulate). */
export function indexSelectBackward(dx: Float32Array, dy: Float32Array, idx: Int32Array, O: number, N: number, I: number): void {
  const J = idx.length;
  for (let o = 0; o < O; o++) {
    for (let j = 0; j < J; j++) {
      const dst = (o * N + idx[j]) * I, src = (o * J + j) * I;
      for (let i = 0; i < I; i++) dx[dst + i] += dy[src + i];
    }
  }
}

/**
 * torch.gather along the middle axis: out[o, j, i] = x[o, idx[o, j, i], i].
 * Shapes: x (O, N, I), idx and out (O, J, I) — the index tensor's other axes must equal x's.
 */
export function gatherForward(out: Float32Array, x: Float32Array, idx: Int32Array, O: number, N: number, J: number, I: number): void {
  for (let o = 0; o < O; o++) {
    for (let j = 0; j < J; j++) {
      const row = (o * J + j) * I;
      for (let i = 0; i < I; i++) out[row + i] = x[(o * N + idx[row + i]) * I + i];
    }
  }
}

/** Scatter-add backward of {@link gatherForward}: dx[o, idx[o, j, i], i] += dy[o, j, i]. */
export function gatherBackward(dx: Float32Array, dy: Float32Array, idx: Int32Array, O: number, N: number, J: number, I: number): void {
  for (let o = 0; o < O; o++) {
    for (let j = 0; j < J; j++) {
      const row = (o * J + j) * I;
      for (let i = 0; i < I; i++) dx[(o * N + idx[row + i]) * I + i] += dy[row + i];
    }
  }
}
