/**
 * Dense linear-algebra kernels: Cholesky, LU with partial pivoting, Householder QR (plain and
 * column-pivoted), triangular solves and least squares by a complete orthogonal decomposition.
 *
 * Dims: `M` rows, `N` columns (or the order of a square matrix), `K` = min(M, N), `NRHS` number
 * of right-hand sides (columns of b). Every matrix is dense row-major.
 *
 * The `…64` functions work in place on float64 workspaces (so the backward passes of the ops can
 * reuse saved factors); the `…Forward` wrappers copy float32 in, compute in float64 and round once
 * on store. Nothing here knows about `Tensor`.
 */

/** Machine epsilon of float64, 2⁻⁵². */
export const EPS64 = 2 ** -52;
/** Machine epsilon of float32, 2⁻²³. */
export const EPS32 = 2 ** -23;

/** A float64 copy of the first `n` entries of `src`. */
export function toFloat64(src: ArrayLike<number>, n: number = src.length): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = src[i];
  return out;
}

/** out[i] = src[i] rounded to float32, for i < n. Overwrites out. */
export function storeFloat32(out: Float32Array, src: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = src[i];
}

/** True if one of the first `n` entries is NaN or ±Inf. */
export function hasNonFinite(a: ArrayLike<number>, n: number = a.length): boolean {
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (v !== v || v === Infinity || v === -Infinity) return true;
  }
  return false;
}

/** max |a[i]| over the first `n` entries (0 when n = 0). */
export function maxAbs(a: ArrayLike<number>, n: number = a.length): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(a[i]);
    if (v > m) m = v;
  }
  return m;
}

// ───────────────────────────── Cholesky ─────────────────────────────

/**
 * Cholesky factorization in place, A = L·Lᵀ with L lower triangular and a positive diagonal
 * (Cholesky–Banachiewicz, row by row): L[i, j] = (A[i, j] − Σ_{k<j} L[i, k]·L[j, k]) / L[j, j],
 * L[j, j] = √(A[j, j] − Σ_{k<j} L[j, k]²). Reads only the lower triangle of A and zeroes the upper.
 * Returns −1 on success, or the first index j whose pivot A[j, j] − Σ L[j, k]² is not > 0 (A is not
 * positive-definite: its leading minor of order j + 1 is not positive; NaN counts as a failure);
 * the failing pivot value is then left in a[j, j].
 * Shapes: a (N, N), overwritten by L.
 */
export function choleskyFactor64(a: Float64Array, N: number): number {
  for (let i = 0; i < N; i++) {
    const iRow = i * N;
    for (let j = 0; j <= i; j++) {
      const jRow = j * N;
      let s = a[iRow + j];
      for (let k = 0; k < j; k++) s -= a[iRow + k] * a[jRow + k];
      if (i === j) {
        if (!(s > 0)) {
          a[iRow + i] = s;
          return i;
        }
        a[iRow + i] = Math.sqrt(s);
      } else {
        a[iRow + j] = s / a[jRow + j];
      }
    }
    for (let j = i + 1; j < N; j++) a[iRow + j] = 0;
  }
  return -1;
}

/**
 * Lower Cholesky factor L of a symmetric positive-definite A = L·Lᵀ, float64 inside (see
 * {@link choleskyFactor64}). Returns −1 on success or the index of the failing pivot, in which
 * case `out` is left unspecified.
 * Shapes: out (N, N), a (N, N). Overwrites out.
 */
export function choleskyForward(out: Float32Array, a: Float32Array, N: number): number {
  const w = toFloat64(a, N * N);
  const info = choleskyFactor64(w, N);
  if (info < 0) storeFloat32(out, w, N * N);
  return info;
}

/**
 * Solves L·X = B in place (forward substitution), L lower triangular with leading dimension ldl.
 * Shapes: b (N, NRHS) overwritten by X; l (N, ≥ N) read through ldl.
 */
export function lowerSolve64(b: Float64Array, l: Float64Array, ldl: number, N: number, NRHS: number): void {
  for (let i = 0; i < N; i++) {
    const bi = i * NRHS, li = i * ldl;
    for (let k = 0; k < i; k++) {
      const lik = l[li + k];
      if (lik === 0) continue;
      const bk = k * NRHS;
      for (let r = 0; r < NRHS; r++) b[bi + r] -= lik * b[bk + r];
    }
    const inv = 1 / l[li + i];
    for (let r = 0; r < NRHS; r++) b[bi + r] *= inv;
  }
}

/**
 * Solves Lᵀ·X = B in place (back substitution with the transpose of a lower triangular L, leading
 * dimension ldl); Lᵀ is read row by row from L.
 * Shapes: b (N, NRHS) overwritten by X; l (N, ≥ N).
 */
export function lowerTransSolve64(b: Float64Array, l: Float64Array, ldl: number, N: number, NRHS: number): void {
  for (let k = N - 1; k >= 0; k--) {
    const bk = k * NRHS, lk = k * ldl;
    const inv = 1 / l[lk + k];
    for (let r = 0; r < NRHS; r++) b[bk + r] *= inv;
    for (let i = 0; i < k; i++) {
      const lki = l[lk + i];
      if (lki === 0) continue;
      const bi = i * NRHS;
      for (let r = 0; r < NRHS; r++) b[bi + r] -= lki * b[bk + r];
    }
  }
}

/**
 * Solves U·X = B in place (back substitution), U upper triangular with leading dimension ldu.
 * Shapes: b (N, NRHS) overwritten by X; u (N, ≥ N).
 */
export function upperSolve64(b: Float64Array, u: Float64Array, ldu: number, N: number, NRHS: number): void {
  for (let i = N - 1; i >= 0; i--) {
    const bi = i * NRHS, ui = i * ldu;
    for (let k = i + 1; k < N; k++) {
      const uik = u[ui + k];
      if (uik === 0) continue;
      const bk = k * NRHS;
      for (let r = 0; r < NRHS; r++) b[bi + r] -= uik * b[bk + r];
    }
    const inv = 1 / u[ui + i];
    for (let r = 0; r < NRHS; r++) b[bi + r] *= inv;
  }
}

/**
 * Solves Uᵀ·X = B in place (forward substitution with the transpose of an upper triangular U,
 * leading dimension ldu); Uᵀ is read row by row from U.
 * Shapes: b (N, NRHS) overwritten by X; u (N, ≥ N).
 */
export function upperTransSolve64(b: Float64Array, u: Float64Array, ldu: number, N: number, NRHS: number): void {
  for (let k = 0; k < N; k++) {
    const bk = k * NRHS, uk = k * ldu;
    const inv = 1 / u[uk + k];
    for (let r = 0; r < NRHS; r++) b[bk + r] *= inv;
    for (let i = k + 1; i < N; i++) {
      const uki = u[uk + i];
      if (uki === 0) continue;
      const bi = i * NRHS;
      for (let r = 0; r < NRHS; r++) b[bi + r] -= uki * b[bk + r];
    }
  }
}

// ───────────────────────────── LU ─────────────────────────────

/**
 * LU factorization with partial pivoting in place, P·A = L·U (LAPACK getrf): L unit lower triangular
 * (stored below the diagonal), U upper triangular (on and above it). At step k the row of largest
 * |A[i, k]|, i ≥ k, is swapped into row k and piv[k] records it, so P is the product of the swaps
 * k ↔ piv[k] in order. The factorization always runs to the end (a zero pivot skips its
 * elimination). Returns −1, or the first k with |U[k, k]| ≤ tol (A is then treated as singular;
 * tol = 0 flags only exact zeros).
 * Shapes: a (N, N) overwritten by L and U; piv (N).
 */
export function luFactor64(a: Float64Array, piv: Int32Array, N: number, tol: number): number {
  let info = -1;
  for (let k = 0; k < N; k++) {
    const kRow = k * N;
    let p = k;
    let best = Math.abs(a[kRow + k]);
    for (let i = k + 1; i < N; i++) {
      const v = Math.abs(a[i * N + k]);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    piv[k] = p;
    if (p !== k) {
      const pRow = p * N;
      for (let j = 0; j < N; j++) {
        const t = a[kRow + j];
        a[kRow + j] = a[pRow + j];
        a[pRow + j] = t;
      }
    }
    const pivot = a[kRow + k];
    if (info < 0 && Math.abs(pivot) <= tol) info = k;
    // A zero pivot means the whole column below is zero too (it was the largest): nothing to eliminate.
    if (pivot === 0) continue;
    for (let i = k + 1; i < N; i++) {
      const iRow = i * N;
      const l = a[iRow + k] / pivot;
      a[iRow + k] = l;
      if (l === 0) continue;
      for (let j = k + 1; j < N; j++) a[iRow + j] -= l * a[kRow + j];
    }
  }
  return info;
}

/**
 * Solves A·X = B (or Aᵀ·X = B when `trans`) in place from the factors of {@link luFactor64}:
 * A = Pᵀ·L·U, so X = U⁻¹·L⁻¹·P·B, and Aᵀ = Uᵀ·Lᵀ·P, so X = Pᵀ·L⁻ᵀ·U⁻ᵀ·B.
 * Shapes: b (N, NRHS) overwritten by X; lu (N, N); piv (N).
 */
export function luSolve64(b: Float64Array, lu: Float64Array, piv: Int32Array, N: number, NRHS: number, trans: boolean): void {
  if (!trans) {
    swapRows(b, piv, N, NRHS, false);
    // L is unit lower triangular: forward substitution without division.
    for (let i = 0; i < N; i++) {
      const bi = i * NRHS, li = i * N;
      for (let k = 0; k < i; k++) {
        const lik = lu[li + k];
        if (lik === 0) continue;
        const bk = k * NRHS;
        for (let r = 0; r < NRHS; r++) b[bi + r] -= lik * b[bk + r];
      }
    }
    upperSolve64(b, lu, N, N, NRHS);
  } else {
    upperTransSolve64(b, lu, N, N, NRHS);
    for (let k = N - 1; k >= 0; k--) {
      const bk = k * NRHS, lk = k * N;
      for (let i = 0; i < k; i++) {
        const lki = lu[lk + i];
        if (lki === 0) continue;
        const bi = i * NRHS;
        for (let r = 0; r < NRHS; r++) b[bi + r] -= lki * b[bk + r];
      }
    }
    swapRows(b, piv, N, NRHS, true);
  }
}

function swapRows(b: Float64Array, piv: Int32Array, N: number, NRHS: number, reverse: boolean): void {
  for (let s = 0; s < N; s++) {
    const k = reverse ? N - 1 - s : s;
    const p = piv[k];
    if (p === k) continue;
    const bk = k * NRHS, bp = p * NRHS;
    for (let r = 0; r < NRHS; r++) {
      const t = b[bk + r];
      b[bk + r] = b[bp + r];
      b[bp + r] = t;
    }
  }
}

/**
 * det A = (−1)^(number of row swaps) · Π_k U[k, k], from the factors of {@link luFactor64}.
 * Shapes: lu (N, N); piv (N).
 */
export function luDet64(lu: Float64Array, piv: Int32Array, N: number): number {
  let d = 1;
  for (let k = 0; k < N; k++) {
    d *= lu[k * N + k];
    if (piv[k] !== k) d = -d;
  }
  // A zero pivot after an odd number of swaps would give −0.
  return d === 0 ? 0 : d;
}

/**
 * The pivot tolerance used to call a matrix singular: N·ε₆₄·max|A|. It catches matrices that are
 * singular in exact arithmetic (whose float64 elimination leaves round-off instead of a zero) but
 * accepts ill-conditioned ones, whose solution float64 still computes to ≈ cond(A)·ε₆₄.
 * Shapes: a (N, N).
 */
export function singularTol(a: ArrayLike<number>, N: number): number {
  return N * EPS64 * maxAbs(a, N * N);
}

/**
 * Solves A·X = B by LU with partial pivoting, float64 inside. Returns −1 on success or the index
 * of the first pivot with |U[k, k]| ≤ {@link singularTol} (A singular; `out` is then unspecified).
 * Shapes: out (N, NRHS), a (N, N), b (N, NRHS). Overwrites out.
 */
export function solveForward(out: Float32Array, a: Float32Array, b: Float32Array, N: number, NRHS: number): number {
  const lu = toFloat64(a, N * N);
  const piv = new Int32Array(N);
  const info = luFactor64(lu, piv, N, singularTol(a, N));
  if (info >= 0) return info;
  const x = toFloat64(b, N * NRHS);
  luSolve64(x, lu, piv, N, NRHS, false);
  storeFloat32(out, x, N * NRHS);
  return -1;
}

/**
 * Inverse A⁻¹ by LU with partial pivoting (solving A·X = I), float64 inside. Returns −1 on success
 * or the index of the first pivot with |U[k, k]| ≤ {@link singularTol} (`out` is then unspecified).
 * Shapes: out (N, N), a (N, N). Overwrites out.
 */
export function invForward(out: Float32Array, a: Float32Array, N: number): number {
  const lu = toFloat64(a, N * N);
  const piv = new Int32Array(N);
  const info = luFactor64(lu, piv, N, singularTol(a, N));
  if (info >= 0) return info;
  const x = identity64(N, N);
  luSolve64(x, lu, piv, N, N, false);
  storeFloat32(out, x, N * N);
  return -1;
}

/**
 * Determinant by LU with partial pivoting, float64 inside: det A = ±Π U[k, k]. An exactly singular
 * A gives 0; no tolerance is applied. det of a 0 × 0 matrix is 1.
 * Shapes: a (N, N).
 */
export function detForward(a: Float32Array, N: number): number {
  const lu = toFloat64(a, N * N);
  const piv = new Int32Array(N);
  luFactor64(lu, piv, N, 0);
  return luDet64(lu, piv, N);
}

/** The first C columns of the M × M identity, float64. Shapes: (M, C). */
export function identity64(M: number, C: number): Float64Array {
  const out = new Float64Array(M * C);
  const n = Math.min(M, C);
  for (let i = 0; i < n; i++) out[i * C + i] = 1;
  return out;
}

// ───────────────────────────── QR ─────────────────────────────

/**
 * Householder QR in place (LAPACK geqrf / geqp3 storage), A·P = Q·R with Q = H₀·H₁·…·H_{K−1},
 * H_k = I − τ_k·v_k·v_kᵀ, v_k[k] = 1, v_k[i] stored in a[i, k] for i > k, and R on and above the
 * diagonal. Reflectors follow LAPACK's larfg, so signs match LAPACK and NumPy: β = −sign(α)·‖x‖
 * becomes R[k, k] (sign(0) = +), and a column that is already zero below the diagonal gets τ = 0
 * (H = I) and keeps its R[k, k] sign. No sign normalization: R's diagonal may be negative.
 *
 * With `jpvt` (column pivoting, as geqp3), step k first swaps in the remaining column of largest
 * norm over rows k … M−1 and records the original column index, so |R[k, k]| is non-increasing and
 * column j of A·P is column jpvt[j] of A. Norms are recomputed at every step (no downdating, so no
 * cancellation trap); it costs the same order as the reflector updates. `jpvt` must come in
 * holding the identity 0 … N−1 (or a prior permutation).
 * Shapes: a (M, N), tau (K), jpvt (N) or null, work (≥ N).
 */
export function householderQR64(
  a: Float64Array, tau: Float64Array, jpvt: Int32Array | null, work: Float64Array, M: number, N: number,
): void {
  const K = Math.min(M, N);
  for (let k = 0; k < K; k++) {
    const kRow = k * N;
    if (jpvt !== null) {
      for (let j = k; j < N; j++) work[j] = 0;
      for (let i = k; i < M; i++) {
        const iRow = i * N;
        for (let j = k; j < N; j++) work[j] += a[iRow + j] * a[iRow + j];
      }
      let p = k;
      for (let j = k + 1; j < N; j++) if (work[j] > work[p]) p = j;
      if (p !== k) {
        for (let i = 0; i < M; i++) {
          const iRow = i * N;
          const t = a[iRow + k];
          a[iRow + k] = a[iRow + p];
          a[iRow + p] = t;
        }
        const t = jpvt[k];
        jpvt[k] = jpvt[p];
        jpvt[p] = t;
      }
    }
    const alpha = a[kRow + k];
    let xnorm2 = 0;
    for (let i = k + 1; i < M; i++) xnorm2 += a[i * N + k] * a[i * N + k];
    if (xnorm2 === 0) {
      tau[k] = 0;
      continue;
    }
    // float64 holds the squares of any float32-range value, so no scaling is needed for the norm.
    const norm = Math.sqrt(alpha * alpha + xnorm2);
    const beta = alpha >= 0 ? -norm : norm;
    const t = (beta - alpha) / beta;
    tau[k] = t;
    const scal = 1 / (alpha - beta);
    for (let i = k + 1; i < M; i++) a[i * N + k] *= scal;
    a[kRow + k] = beta;
    // Apply H_k to the trailing columns row by row: w = v_kᵀ·A[k:, k+1:], A −= τ·v_k·w.
    for (let j = k + 1; j < N; j++) work[j] = a[kRow + j];
    for (let i = k + 1; i < M; i++) {
      const iRow = i * N;
      const vi = a[iRow + k];
      if (vi === 0) continue;
      for (let j = k + 1; j < N; j++) work[j] += vi * a[iRow + j];
    }
    for (let j = k + 1; j < N; j++) a[kRow + j] -= t * work[j];
    for (let i = k + 1; i < M; i++) {
      const iRow = i * N;
      const tv = t * a[iRow + k];
      if (tv === 0) continue;
      for (let j = k + 1; j < N; j++) a[iRow + j] -= tv * work[j];
    }
  }
}

/**
 * C ← Qᵀ·C (`transpose` true) or C ← Q·C (false), with Q = H₀·H₁·…·H_{K−1} as stored by
 * {@link householderQR64} in a (leading dimension lda). Qᵀ applies H₀ first, Q applies H_{K−1}
 * first; each H_k = I − τ_k·v_k·v_kᵀ touches rows k … M−1 only.
 * Shapes: c (M, NRHS) overwritten; a (M, ≥ K) read through lda; tau (K); work (≥ NRHS).
 */
export function applyQ64(
  c: Float64Array, a: Float64Array, tau: Float64Array, work: Float64Array,
  transpose: boolean, M: number, K: number, lda: number, NRHS: number,
): void {
  for (let s = 0; s < K; s++) {
    const k = transpose ? s : K - 1 - s;
    const t = tau[k];
    if (t === 0) continue;
    const ck = k * NRHS;
    for (let r = 0; r < NRHS; r++) work[r] = c[ck + r];
    for (let i = k + 1; i < M; i++) {
      const vi = a[i * lda + k];
      if (vi === 0) continue;
      const ci = i * NRHS;
      for (let r = 0; r < NRHS; r++) work[r] += vi * c[ci + r];
    }
    for (let r = 0; r < NRHS; r++) c[ck + r] -= t * work[r];
    for (let i = k + 1; i < M; i++) {
      const tv = t * a[i * lda + k];
      if (tv === 0) continue;
      const ci = i * NRHS;
      for (let r = 0; r < NRHS; r++) c[ci + r] -= tv * work[r];
    }
  }
}

/**
 * Reduced QR decomposition A = Q·R by Householder reflections, float64 inside: Q has orthonormal
 * columns (QᵀQ = I), R is upper triangular (upper trapezoidal when M < N). Signs follow LAPACK and
 * NumPy (see {@link householderQR64}): R's diagonal is not normalized to be positive.
 * Shapes: q (M, K), r (K, N), a (M, N), K = min(M, N). Overwrites q and r.
 */
export function qrForward(q: Float32Array, r: Float32Array, a: Float32Array, M: number, N: number): void {
  const K = Math.min(M, N);
  const w = toFloat64(a, M * N);
  const tau = new Float64Array(K);
  const work = new Float64Array(Math.max(M, N));
  householderQR64(w, tau, null, work, M, N);
  for (let i = 0; i < K; i++) {
    const rRow = i * N;
    for (let j = 0; j < i; j++) r[rRow + j] = 0;
    for (let j = i; j < N; j++) r[rRow + j] = w[rRow + j];
  }
  const qq = identity64(M, K);
  applyQ64(qq, w, tau, work, false, M, K, N, K);
  storeFloat32(q, qq, M * K);
}

// ───────────────────────────── least squares ─────────────────────────────

/**
 * Minimum-norm least squares in float64, x = argmin ‖x‖₂ over the minimizers of ‖A·x − b‖₂, by a
 * complete orthogonal decomposition (LAPACK gelsy):
 * 1. column-pivoted QR, A·P = Q·R;
 * 2. numerical rank r = number of leading |R[k, k]| > rcond·|R[0, 0]|; rows r … of R are dropped;
 * 3. if r = N, back-substitute R[:N, :N]·y = (Qᵀb)[:N]; otherwise factor R[:r, :]ᵀ = Z·T (QR of an
 *    N × r matrix) so R[:r, :] = Tᵀ·Zᵀ, solve Tᵀ·w = (Qᵀb)[:r] and take y = Z·w, the solution
 *    of smallest norm (it lies in the row space);
 * 4. x = P·y.
 * For full column rank this is the ordinary least-squares solution (AᵀA)⁻¹Aᵀb; for M < N and full
 * row rank it is Aᵀ(AAᵀ)⁻¹b. Returns the rank r. a and b are destroyed.
 * Shapes: x (N, NRHS) overwritten; a (M, N); b (M, NRHS).
 */
export function lstsq64(
  x: Float64Array, a: Float64Array, b: Float64Array, M: number, N: number, NRHS: number, rcond: number,
): number {
  const K = Math.min(M, N);
  const tau = new Float64Array(K);
  const jpvt = new Int32Array(N);
  for (let j = 0; j < N; j++) jpvt[j] = j;
  const work = new Float64Array(Math.max(M, N, NRHS));
  householderQR64(a, tau, jpvt, work, M, N);
  applyQ64(b, a, tau, work, true, M, K, N, NRHS);

  let rank = 0;
  if (K > 0) {
    const thr = rcond * Math.abs(a[0]);
    while (rank < K && Math.abs(a[rank * N + rank]) > thr) rank++;
  }
  const y = new Float64Array(N * NRHS);
  if (rank === N) {
    y.set(b.subarray(0, N * NRHS));
    upperSolve64(y, a, N, N, NRHS);
  } else if (rank > 0) {
    const r = rank;
    const z = new Float64Array(N * r);
    for (let i = 0; i < r; i++) {
      const aRow = i * N;
      for (let j = i; j < N; j++) z[j * r + i] = a[aRow + j];
    }
    const tau2 = new Float64Array(r);
    householderQR64(z, tau2, null, work, N, r);
    y.set(b.subarray(0, r * NRHS));
    upperTransSolve64(y, z, r, r, NRHS);
    applyQ64(y, z, tau2, work, false, N, r, r, NRHS);
  }
  for (let j = 0; j < N; j++) {
    const xRow = jpvt[j] * NRHS, yRow = j * NRHS;
    for (let c = 0; c < NRHS; c++) x[xRow + c] = y[yRow + c];
  }
  return rank;
}

/**
 * The default relative rank tolerance of {@link lstsqForward}: max(M, N)·ε₃₂, NumPy's `rcond`
 * default for float32 input (the data carries only float32 precision).
 */
export function defaultRcond(M: number, N: number): number {
  return Math.max(M, N) * EPS32;
}

/**
 * Minimum-norm least-squares solution of A·X ≈ B, float64 inside (see {@link lstsq64}). Returns
 * the numerical rank of A.
 * Shapes: out (N, NRHS), a (M, N), b (M, NRHS). Overwrites out.
 */
export function lstsqForward(
  out: Float32Array, a: Float32Array, b: Float32Array, M: number, N: number, NRHS: number,
  rcond: number = defaultRcond(M, N),
): number {
  const x = new Float64Array(N * NRHS);
  const rank = lstsq64(x, toFloat64(a, M * N), toFloat64(b, M * NRHS), M, N, NRHS, rcond);
  storeFloat32(out, x, N * NRHS);
  return rank;
}
