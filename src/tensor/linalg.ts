import { needsGrad, record } from './autograd';
import { asTensor } from './creation';
import { NumericError, ShapeError, TensorkitError, fmtShape } from './errors';
import { kernels } from './kernels/backend';
import { EPS64, defaultRcond, hasNonFinite, identity64, singularTol, storeFloat32, toFloat64 } from './kernels/linalg';
import { nonNeg, parseOptions } from './options';
import { Tensor } from './tensor';

/*
 * Linear algebra on 2-D tensors. Every op computes in float64 (the kernels copy in, work, and round
 * once on store) and validates its input: `a` must be a matrix, square where the op needs it, and
 * `b` may be a matrix [M, NRHS] or a vector [M] (then the result is a vector too). A NaN or ±Inf
 * anywhere in `a` makes every entry of the result NaN (the factorization cannot say which entries
 * it would have touched); a NaN in `b` propagates to the columns it belongs to.
 */

function matrixArg(x: unknown, op: string, arg: string): Tensor {
  const t = asTensor(x, op, arg);
  if (t.ndim !== 2) throw new ShapeError(`${op}: ${arg} ${fmtShape(t.shape)} must be 2-D (a matrix)`);
  return t;
}

function squareArg(x: unknown, op: string): Tensor {
  const a = matrixArg(x, op, 'a');
  if (a.shape[0] !== a.shape[1]) throw new ShapeError(`${op}: a ${fmtShape(a.shape)} must be square`);
  return a;
}

/** Validates b against a's rows and returns NRHS (1 for a vector b). */
function rhsArg(x: unknown, a: Tensor, op: string): [Tensor, number] {
  const b = asTensor(x, op, 'b');
  if (b.ndim !== 1 && b.ndim !== 2) {
    throw new ShapeError(`${op}: b ${fmtShape(b.shape)} must be 1-D [M] or 2-D [M, NRHS] (with a ${fmtShape(a.shape)})`);
  }
  if (b.shape[0] !== a.shape[0]) {
    throw new ShapeError(`${op}: a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)}: b must have ${a.shape[0]} rows (one per row of a), got ${b.shape[0]}`);
  }
  return [b, b.ndim === 1 ? 1 : b.shape[1]];
}

/** The backward of a result that was filled with NaN because `a` was not finite: NaN flows on. */
function nanBackward(inputs: readonly Tensor[]): (dy: Float32Array) => void {
  return () => {
    for (let i = 0; i < inputs.length; i++) {
      const x = inputs[i];
      if (x.requiresGrad) x.gradBuffer().fill(NaN);
    }
  };
}

function singularError(op: string, a: Tensor, lu: Float64Array, k: number, tol: number): NumericError {
  const N = a.shape[0];
  return new NumericError(
    `${op}: a ${fmtShape(a.shape)} is singular: pivot ${k} of its LU factorization is ${lu[k * N + k]} ` +
      `(|pivot| ≤ N·ε·max|a| = ${tol.toPrecision(3)})`,
  );
}

/** dA[i, j] += s·Σ_r u[i, r]·v[j, r] (a scaled u·vᵀ). Shapes: dA (M, N), u (M, R), v (N, R). */
function addOuter(dA: Float32Array, u: Float64Array, v: Float64Array, s: number, M: number, N: number, R: number): void {
  for (let i = 0; i < M; i++) {
    const uRow = i * R, dRow = i * N;
    for (let j = 0; j < N; j++) {
      const vRow = j * R;
      let acc = 0;
      for (let r = 0; r < R; r++) acc += u[uRow + r] * v[vRow + r];
      dA[dRow + j] += s * acc;
    }
  }
}

/** out = A·X (float64). Shapes: out (M, R), a (M, N) float32, x (N, R). */
function matmul64(out: Float64Array, a: Float32Array, x: Float64Array, M: number, N: number, R: number): void {
  out.fill(0);
  for (let i = 0; i < M; i++) {
    const aRow = i * N, oRow = i * R;
    for (let k = 0; k < N; k++) {
      const aik = a[aRow + k];
      if (aik === 0) continue;
      const xRow = k * R;
      for (let r = 0; r < R; r++) out[oRow + r] += aik * x[xRow + r];
    }
  }
}

/** out = Aᵀ·Y (float64). Shapes: out (N, R), a (M, N) float32, y (M, R). */
function matmulT64(out: Float64Array, a: Float32Array, y: Float64Array, M: number, N: number, R: number): void {
  out.fill(0);
  for (let i = 0; i < M; i++) {
    const aRow = i * N, yRow = i * R;
    for (let k = 0; k < N; k++) {
      const aik = a[aRow + k];
      if (aik === 0) continue;
      const oRow = k * R;
      for (let r = 0; r < R; r++) out[oRow + r] += aik * y[yRow + r];
    }
  }
}

/**
 * Cholesky factor L of a symmetric positive-definite matrix, a = L·Lᵀ with L lower triangular and
 * a positive diagonal (`torch.linalg.cholesky`). Only the lower triangle of `a` is read; symmetry
 * is not checked.
 *
 * Shapes: a [N, N] → L [N, N].
 *
 * Gradient: with P = tril(Lᵀ·L̄) and S = ½(P + tril(P, −1)ᵀ) (the symmetric matrix with diagonal
 * ½P_ii and off-diagonal ½P_ij), ā = L⁻ᵀ·S·L⁻¹ (Murray 2016; PyTorch's `cholesky_backward`). ā is
 * symmetric: it is the gradient on the space of symmetric matrices, so to check it numerically,
 * differentiate through a symmetrization such as (a + aᵀ)/2.
 *
 * @example
 * cholesky(tensor([[4, 2], [2, 5]])).tolist(); // [[2, 0], [1, 2]]
 * @throws ShapeError if `a` is not a square matrix.
 * @throws NumericError if `a` is not positive-definite; the message names the first failing pivot
 *   (the leading minor of that order is not positive).
 * @see Murray, "Differentiation of the Cholesky decomposition", arXiv:1602.07527 (2016).
 * @category Linear algebra
 */
export function cholesky(aIn: Tensor): Tensor {
  const a = squareArg(aIn, 'cholesky');
  const N = a.shape[0];
  const out = Tensor.empty([N, N]);
  if (hasNonFinite(a.data)) {
    out.data.fill(NaN);
    return record('cholesky', out, [a], nanBackward([a]));
  }
  const L = toFloat64(a.data);
  const info = kernels.choleskyFactor64(L, N);
  if (info >= 0) {
    throw new NumericError(
      `cholesky: a ${fmtShape(a.shape)} is not positive-definite: pivot ${info} is ${L[info * N + info]} ≤ 0 ` +
        `(the leading minor of order ${info + 1} is not positive)`,
    );
  }
  storeFloat32(out.data, L, N * N);
  return record('cholesky', out, [a], (dL) => {
    if (!a.requiresGrad) return;
    // S = ½(P + tril(P, −1)ᵀ), P = tril(Lᵀ·L̄); the upper triangle of L̄ cannot reach tril(Lᵀ·L̄).
    const S = new Float64Array(N * N);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j <= i; j++) {
        let acc = 0;
        for (let k = i; k < N; k++) acc += L[k * N + i] * dL[k * N + j];
        const h = 0.5 * acc;
        S[i * N + j] = h;
        S[j * N + i] = h;
      }
    }
    // X = L⁻ᵀ·S, then ā = X·L⁻¹ = (L⁻ᵀ·Xᵀ)ᵀ.
    kernels.lowerTransSolve64(S, L, N, N, N);
    transposeInPlace(S, N);
    kernels.lowerTransSolve64(S, L, N, N, N);
    const da = a.gradBuffer();
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) da[i * N + j] += S[j * N + i];
    }
  });
}

function transposeInPlace(x: Float64Array, N: number): void {
  for (let i = 0; i < N; i++) {
    for (let j = i + 1; j < N; j++) {
      const t = x[i * N + j];
      x[i * N + j] = x[j * N + i];
      x[j * N + i] = t;
    }
  }
}

/**
 * Solution x of the square system a·x = b, by LU with partial pivoting in float64
 * (`torch.linalg.solve`).
 *
 * Shapes: a [N, N], b [N, NRHS] → x [N, NRHS]; or b [N] → x [N].
 *
 * Gradient: b̄ = a⁻ᵀ·x̄ (one more solve with the saved LU factors), ā = −b̄·xᵀ.
 *
 * @example
 * // 2·0.8 + 1.4 = 3 and 0.8 + 3·1.4 = 5:
 * solve(tensor([[2, 1], [1, 3]]), tensor([3, 5])).tolist(); // [0.8, 1.4]
 * @throws ShapeError if `a` is not square, or `b` is not 1-D/2-D with N rows.
 * @throws NumericError if `a` is singular: a pivot |U[k, k]| ≤ N·ε₆₄·max|a| (the message names it).
 * @category Linear algebra
 */
export function solve(aIn: Tensor, bIn: Tensor): Tensor {
  const a = squareArg(aIn, 'solve');
  const [b, NRHS] = rhsArg(bIn, a, 'solve');
  const N = a.shape[0];
  const out = Tensor.empty(b.shape);
  if (hasNonFinite(a.data)) {
    out.data.fill(NaN);
    return record('solve', out, [a, b], nanBackward([a, b]));
  }
  const lu = toFloat64(a.data);
  const piv = new Int32Array(N);
  const tol = singularTol(a.data, N);
  const info = kernels.luFactor64(lu, piv, N, tol);
  if (info >= 0) throw singularError('solve', a, lu, info, tol);
  const x = toFloat64(b.data);
  kernels.luSolve64(x, lu, piv, N, NRHS, false);
  storeFloat32(out.data, x, N * NRHS);
  return record('solve', out, [a, b], (dx) => {
    const db = toFloat64(dx);
    kernels.luSolve64(db, lu, piv, N, NRHS, true);
    if (b.requiresGrad) {
      const g = b.gradBuffer();
      for (let i = 0; i < g.length; i++) g[i] += db[i];
    }
    if (a.requiresGrad) addOuter(a.gradBuffer(), db, x, -1, N, N, NRHS);
  });
}

/**
 * Inverse a⁻¹ of a square matrix, a·a⁻¹ = I, by LU with partial pivoting in float64
 * (`torch.linalg.inv`). Prefer {@link solve} to multiplying by an inverse.
 *
 * Shapes: a [N, N] → [N, N].
 *
 * Gradient: with y = a⁻¹, ā = −yᵀ·ȳ·yᵀ.
 *
 * @example
 * inv(tensor([[2, 0], [0, 4]])).tolist(); // [[0.5, 0], [0, 0.25]]
 * @throws ShapeError if `a` is not a square matrix.
 * @throws NumericError if `a` is singular: a pivot |U[k, k]| ≤ N·ε₆₄·max|a| (the message names it).
 * @category Linear algebra
 */
export function inv(aIn: Tensor): Tensor {
  const a = squareArg(aIn, 'inv');
  const N = a.shape[0];
  const out = Tensor.empty([N, N]);
  if (hasNonFinite(a.data)) {
    out.data.fill(NaN);
    return record('inv', out, [a], nanBackward([a]));
  }
  const lu = toFloat64(a.data);
  const piv = new Int32Array(N);
  const tol = singularTol(a.data, N);
  const info = kernels.luFactor64(lu, piv, N, tol);
  if (info >= 0) throw singularError('inv', a, lu, info, tol);
  const y = identity64(N, N);
  kernels.luSolve64(y, lu, piv, N, N, false);
  storeFloat32(out.data, y, N * N);
  return record('inv', out, [a], (dy) => {
    if (!a.requiresGrad) return;
    // T = yᵀ·ȳ, then ā −= T·yᵀ, whose entry (i, j) is row i of T dotted with row j of y.
    const T = new Float64Array(N * N);
    for (let k = 0; k < N; k++) {
      const kRow = k * N;
      for (let i = 0; i < N; i++) {
        const yki = y[kRow + i];
        if (yki === 0) continue;
        const tRow = i * N;
        for (let j = 0; j < N; j++) T[tRow + j] += yki * dy[kRow + j];
      }
    }
    addOuter(a.gradBuffer(), T, y, -1, N, N, N);
  });
}

/**
 * Determinant det a = (−1)^s·Π_k U[k, k] from the LU factorization with partial pivoting (s row
 * swaps), float64 inside (`torch.linalg.det`). A singular matrix gives 0 (or round-off of its
 * size); no tolerance is applied. det of a 0 × 0 matrix is 1.
 *
 * Shapes: a [N, N] → scalar [].
 *
 * Gradient: ā = ȳ·adj(a)ᵀ, the cofactor matrix; computed as ȳ·det a·a⁻ᵀ from the LU factors, or,
 * when a pivot is exactly zero (a exactly singular, where a⁻ᵀ does not exist), cofactor by
 * cofactor, C_ij = (−1)^(i+j)·det(a without row i and column j), which costs O(N⁵).
 *
 * @example
 * // 1·4 − 2·3:
 * det(tensor([[1, 2], [3, 4]])).item(); // -2
 * @throws ShapeError if `a` is not a square matrix.
 * @category Linear algebra
 */
export function det(aIn: Tensor): Tensor {
  const a = squareArg(aIn, 'det');
  const N = a.shape[0];
  const out = Tensor.empty([]);
  if (hasNonFinite(a.data)) {
    out.data[0] = NaN;
    return record('det', out, [a], nanBackward([a]));
  }
  const lu = toFloat64(a.data);
  const piv = new Int32Array(N);
  const zeroPivot = kernels.luFactor64(lu, piv, N, 0);
  const d = kernels.luDet64(lu, piv, N);
  out.data[0] = d;
  return record('det', out, [a], (dy) => {
    if (!a.requiresGrad) return;
    const g = dy[0];
    const da = a.gradBuffer();
    if (zeroPivot < 0) {
      const x = identity64(N, N);
      kernels.luSolve64(x, lu, piv, N, N, true);
      const s = g * d;
      for (let i = 0; i < N * N; i++) da[i] += s * x[i];
      return;
    }
    const M = N - 1;
    const minor = new Float64Array(M * M);
    const mpiv = new Int32Array(M);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        let p = 0;
        for (let r = 0; r < N; r++) {
          if (r === i) continue;
          const aRow = r * N;
          for (let c = 0; c < N; c++) if (c !== j) minor[p++] = a.data[aRow + c];
        }
        kernels.luFactor64(minor, mpiv, M, 0);
        const cof = kernels.luDet64(minor, mpiv, M);
        da[i * N + j] += ((i + j) & 1 ? -g : g) * cof;
      }
    }
  });
}

/** The result of {@link qr}. */
export interface QRResult {
  /** Orthonormal columns, [M, K]. */
  q: Tensor;
  /** Upper triangular (trapezoidal when M < N), [K, N]. */
  r: Tensor;
}

/**
 * Reduced QR decomposition a = q·r by Householder reflections in float64 (`torch.linalg.qr`,
 * mode 'reduced'): qᵀ·q = I and r is upper triangular. Signs follow LAPACK and NumPy: each
 * reflector maps its column onto −sign(a_kk)·‖column‖·e_k, so r's diagonal is usually negative for
 * positive data and is not normalized; a column already zero below the diagonal is left as is.
 *
 * Shapes: a [M, N] → q [M, K], r [K, N], K = min(M, N).
 *
 * Gradient: not implemented; calling `qr` on a tensor that requires grad (with gradients enabled)
 * throws rather than silently dropping it. Use `a.detach()` or `noGrad`.
 *
 * @example
 * const { q, r } = qr(tensor([[3, 0], [4, 5]]));
 * q.tolist(); // [[-0.6, -0.8], [-0.8, 0.6]]
 * r.tolist(); // [[-5, -4], [0, 3]]
 * @throws ShapeError if `a` is not 2-D.
 * @throws TensorkitError `NOT_DIFFERENTIABLE` if `a` requires grad and gradients are enabled.
 * @category Linear algebra
 */
export function qr(aIn: Tensor): QRResult {
  const a = matrixArg(aIn, 'qr', 'a');
  if (needsGrad([a])) {
    throw new TensorkitError('NOT_DIFFERENTIABLE', 'qr: gradient is not implemented; call it on a detached tensor or inside noGrad');
  }
  const [M, N] = a.shape;
  const K = Math.min(M, N);
  const q = Tensor.empty([M, K]);
  const r = Tensor.empty([K, N]);
  if (hasNonFinite(a.data)) {
    q.data.fill(NaN);
    r.data.fill(NaN);
  } else {
    const w = toFloat64(a.data);
    const tau = new Float64Array(K);
    const work = new Float64Array(Math.max(M, N));
    kernels.householderQR64(w, tau, null, work, M, N);
    for (let i = 0; i < K; i++) {
      const row = i * N;
      for (let j = i; j < N; j++) r.data[row + j] = w[row + j];
    }
    const qq = identity64(M, K);
    kernels.applyQ64(qq, w, tau, work, false, M, K, N, K);
    storeFloat32(q.data, qq, M * K);
  }
  return { q: record('qr', q, [a], null, { output: 'q' }), r: record('qr', r, [a], null, { output: 'r' }) };
}

const LSTSQ_SPEC = { rcond: nonNeg };

/** Options of {@link lstsq}. */
export interface LstsqOptions {
  /**
   * Relative rank tolerance: diagonal entries of the column-pivoted R with |R_kk| ≤ rcond·|R_00|
   * count as zero. Default max(M, N)·ε₃₂ (NumPy's default for float32 input).
   */
  rcond?: number;
}

/**
 * Least-squares solution x = argmin ‖a·x − b‖₂, and of all minimizers the one of least ‖x‖₂
 * (`numpy.linalg.lstsq`, `torch.linalg.lstsq` with driver 'gelsy'). Computed in float64 by a
 * complete orthogonal decomposition: column-pivoted Householder QR a·P = Q·R, numerical rank
 * r = #{k : |R_kk| > rcond·|R_00|}, and, when r < N, a second QR that turns R's first r rows into a
 * triangular system on the row space. So:
 * - M ≥ N, full column rank: x = (aᵀa)⁻¹aᵀb, the ordinary least-squares solution;
 * - M < N, full row rank: x = aᵀ(aaᵀ)⁻¹b, the minimum-norm solution of a·x = b;
 * - rank deficient (collinear columns): the minimum-norm least-squares solution, as NumPy's
 *   pseudo-inverse answer (rank decided by R's diagonal rather than singular values).
 *
 * Shapes: a [M, N], b [M, NRHS] → x [N, NRHS]; or b [M] → x [N].
 *
 * Gradient: for full rank (r = min(M, N)). With G = aᵀa (M ≥ N), z = G⁻¹x̄ and the residual
 * ρ = b − a·x: b̄ = a·z, ā = ρ·zᵀ − a·z·xᵀ. With H = aaᵀ (M < N), w = H⁻¹b (so x = aᵀw) and
 * u = H⁻¹·a·x̄: b̄ = u, ā = w·(x̄ − aᵀu)ᵀ − u·xᵀ. G and H are factored by Cholesky in float64 in the
 * backward pass (normal equations: accurate while cond(a)²·ε₆₄ ≪ 1, which float32 data satisfies
 * whenever it is numerically full rank).
 *
 * @example
 * // Fit y = c₀ + c₁·t through (1, 1), (2, 2), (3, 2); the exact answer is [2/3, 1/2]:
 * lstsq(tensor([[1, 1], [1, 2], [1, 3]]), tensor([1, 2, 2])).tolist(); // [0.6666667, 0.5]
 * @throws ShapeError if `a` is not 2-D, or `b` is not 1-D/2-D with M rows.
 * @throws ArgumentError if `rcond` is negative or not finite.
 * @throws TensorkitError `NOT_DIFFERENTIABLE` if a gradient is needed and `a` is rank deficient.
 * @category Linear algebra
 */
export function lstsq(aIn: Tensor, bIn: Tensor, options: LstsqOptions = {}): Tensor {
  const a = matrixArg(aIn, 'lstsq', 'a');
  const [b, NRHS] = rhsArg(bIn, a, 'lstsq');
  const [M, N] = a.shape;
  const { rcond } = { rcond: defaultRcond(M, N), ...parseOptions('lstsq', options, LSTSQ_SPEC) };
  const outShape = b.ndim === 1 ? [N] : [N, NRHS];
  const out = Tensor.empty(outShape);
  if (hasNonFinite(a.data)) {
    out.data.fill(NaN);
    return record('lstsq', out, [a, b], nanBackward([a, b]), { rcond });
  }
  const x = new Float64Array(N * NRHS);
  const rank = kernels.lstsq64(x, toFloat64(a.data), toFloat64(b.data), M, N, NRHS, rcond);
  storeFloat32(out.data, x, N * NRHS);
  if (!needsGrad([a, b])) return record('lstsq', out, [a, b], null, { rcond });
  if (rank < Math.min(M, N)) {
    throw new TensorkitError(
      'NOT_DIFFERENTIABLE',
      `lstsq: a ${fmtShape(a.shape)} has numerical rank ${rank} < ${Math.min(M, N)}; the gradient is implemented only for full rank. ` +
        'Drop collinear columns, add a ridge term, or call it on detached tensors or inside noGrad',
    );
  }
  return record('lstsq', out, [a, b], (dx) => lstsqBackward(a, b, x, dx, M, N, NRHS), { rcond });
}

function lstsqBackward(a: Tensor, b: Tensor, x: Float64Array, dxIn: Float32Array, M: number, N: number, R: number): void {
  const A = a.data;
  const dx = toFloat64(dxIn);
  if (M >= N) {
    const G = cholGram64(A, M, N, true);
    const z = dx;
    cholSolve64(G, z, N, R);
    const az = new Float64Array(M * R);
    matmul64(az, A, z, M, N, R);
    if (b.requiresGrad) {
      const db = b.gradBuffer();
      for (let i = 0; i < M * R; i++) db[i] += az[i];
    }
    if (a.requiresGrad) {
      const rho = new Float64Array(M * R);
      matmul64(rho, A, x, M, N, R);
      for (let i = 0; i < M * R; i++) rho[i] = b.data[i] - rho[i];
      const da = a.gradBuffer();
      addOuter(da, rho, z, 1, M, N, R);
      addOuter(da, az, x, -1, M, N, R);
    }
    return;
  }
  const H = cholGram64(A, M, N, false);
  const u = new Float64Array(M * R);
  matmul64(u, A, dx, M, N, R);
  cholSolve64(H, u, M, R);
  if (b.requiresGrad) {
    const db = b.gradBuffer();
    for (let i = 0; i < M * R; i++) db[i] += u[i];
  }
  if (a.requiresGrad) {
    const w = toFloat64(b.data);
    cholSolve64(H, w, M, R);
    const atu = new Float64Array(N * R);
    matmulT64(atu, A, u, M, N, R);
    for (let i = 0; i < N * R; i++) atu[i] = dx[i] - atu[i];
    const da = a.gradBuffer();
    addOuter(da, w, atu, 1, M, N, R);
    addOuter(da, u, x, -1, M, N, R);
  }
}

/**
 * Cholesky factor of aᵀa (N × N) when `cols`, else of aaᵀ (M × M), in float64. Shapes: a (M, N).
 * @throws NumericError if round-off made the Gram matrix indefinite.
 */
function cholGram64(a: Float32Array, M: number, N: number, cols: boolean): Float64Array {
  const g = gram64(a, M, N, cols);
  const n = cols ? N : M;
  if (kernels.choleskyFactor64(g, n) >= 0) {
    // Only reachable when the rank test passed but the Gram matrix lost definiteness to round-off.
    throw new NumericError(
      `lstsq: backward: the Gram matrix of a ${fmtShape([M, N])} is not numerically positive-definite ` +
        `(a is too ill-conditioned: cond(a)² ≳ 1/ε₆₄ = ${(1 / EPS64).toExponential(1)})`,
    );
  }
  return g;
}

/** aᵀa (N × N) when `cols`, else aaᵀ (M × M), in float64. Shapes: a (M, N). */
function gram64(a: Float32Array, M: number, N: number, cols: boolean): Float64Array {
  if (cols) {
    const g = new Float64Array(N * N);
    for (let k = 0; k < M; k++) {
      const aRow = k * N;
      for (let i = 0; i < N; i++) {
        const aki = a[aRow + i];
        if (aki === 0) continue;
        const gRow = i * N;
        for (let j = 0; j < N; j++) g[gRow + j] += aki * a[aRow + j];
      }
    }
    return g;
  }
  const g = new Float64Array(M * M);
  for (let i = 0; i < M; i++) {
    const iRow = i * N;
    for (let j = 0; j <= i; j++) {
      const jRow = j * N;
      let acc = 0;
      for (let k = 0; k < N; k++) acc += a[iRow + k] * a[jRow + k];
      g[i * M + j] = acc;
      g[j * M + i] = acc;
    }
  }
  return g;
}

/** Solves L·Lᵀ·X = B in place from a Cholesky factor L. Shapes: l (N, N), b (N, R). */
function cholSolve64(l: Float64Array, b: Float64Array, N: number, R: number): void {
  kernels.lowerSolve64(b, l, N, N, R);
  kernels.lowerTransSolve64(b, l, N, N, R);
}
