import { kernels } from './backend';

// Recurrent layer kernels: one layer, one direction, the whole sequence per call.
//
// Dims: T time steps, B batch, C input features, H hidden units, G gates (4 for LSTM, 3 for GRU,
// 1 for RNN), GH = G·H.
//
// Everything is time-major, so the rows that one step reads or writes are contiguous and each step
// is one small GEMM, called through the kernel table (backend.ts) so that a backend's `gemm` serves
// the recurrent layers too. Weights keep PyTorch's layout and gate order: wIh (GH, C), wHh (GH, H),
// bIh and bHh (GH) or null; LSTM gates i, f, g, o; GRU gates r, z, n.
//
// States live in slot buffers of (T + 1, B, H). The initial state sits in slot 0 (forward) or
// slot T (reverse); the state after position t sits in slot t + 1 (forward) or slot t (reverse).
// So the outputs of all positions are one (T, B, H) block at slot `reverse ? 0 : 1`, and the
// states the positions read are one (T, B, H) block at slot `reverse ? 1 : 0`, both aligned with
// position-major gate rows: that is what lets the weight gradients be two large GEMMs.

let scratchG: Float32Array = new Float32Array(0);
let scratchH: Float32Array = new Float32Array(0);
let scratchB: number[] = [];

function grow(buf: Float32Array, n: number): Float32Array {
  return buf.length >= n ? buf : new Float32Array(n);
}

// ---- σ and tanh from one inlined exponential ----
//
// V8's Math.exp and Math.tanh are calls into its fdlibm port (about 11 and 20 ns here), and the
// gate nonlinearities were a third of the LSTM forward pass. These evaluate e^v inline instead:
// v = k·ln 2 + r with |r| ≤ ln 2 / 2, e^r − 1 by its Taylor polynomial to r⁷ (truncation below
// 5.2e-9 relative), 2^k from a table. The results stay within 4e-8 relative of the fdlibm
// functions (3.4e-9 absolute for tanh), below float32's half-ulp, across the whole double range;
// NaN stays NaN, ±Infinity saturate. The naive twins keep Math.exp and Math.tanh as the oracle.

const LOG2E = 1.4426950408889634;
// ln 2 split so that k·LN2_HI is exact for |k| ≤ 1022.
const LN2_HI = 0.6931471803691238, LN2_LO = 1.9082149292705877e-10;
// Adding and subtracting 1.5·2⁵² rounds a double of magnitude below 2⁵¹ to the nearest integer.
const ROUND = 6755399441055744;
// |v| is clamped to 708, where e^v is still a normal double and σ and tanh are saturated in float32.
const VMAX = 708;
const E2 = 1 / 2, E3 = 1 / 6, E4 = 1 / 24, E5 = 1 / 120, E6 = 1 / 720, E7 = 1 / 5040;
/** 2^k and 2^k − 1 at index k + 1022, k in [−1022, 1023]; plain arrays of doubles (see matmul.ts on typed arrays). */
const POW2: number[] = [];
const POW2M1: number[] = [];
for (let k = -1022; k <= 1023; k++) {
  POW2.push(2 ** k);
  POW2M1.push(2 ** k - 1);
}

/** σ(x) = 1 / (1 + e^−x), inlined (see above). */
export function sigmoidFast(x: number): number {
  let v = -x;
  v = v > VMAX ? VMAX : v < -VMAX ? -VMAX : v;
  const k = v * LOG2E + ROUND - ROUND;
  const r = v - k * LN2_HI - k * LN2_LO;
  const q = r * (1 + r * (E2 + r * (E3 + r * (E4 + r * (E5 + r * (E6 + r * E7))))));
  // NaN gives k = NaN, whose `| 0` is 0: an in-range index, and q keeps the NaN.
  const p = POW2[(k | 0) + 1022];
  return 1 / (1 + (p + p * q));
}

/**
 * tanh(x) = (e^2x − 1) / (e^2x + 1), inlined (see above); e^2x − 1 is formed as (2^k − 1) + 2^k·q,
 * so small |x| keep their relative accuracy.
 */
export function tanhFast(x: number): number {
  let v = 2 * x;
  v = v > VMAX ? VMAX : v < -VMAX ? -VMAX : v;
  const k = v * LOG2E + ROUND - ROUND;
  const r = v - k * LN2_HI - k * LN2_LO;
  const q = r * (1 + r * (E2 + r * (E3 + r * (E4 + r * (E5 + r * (E6 + r * E7))))));
  const i = (k | 0) + 1022;
  const em1 = POW2M1[i] + POW2[i] * q;
  return em1 / (em1 + 2);
}

/**
 * Input projection of every position at once, one GEMM: gates[tb, :] = x[tb, :]·wIhᵀ. The biases
 * are not added here but by the step loops, from {@link gateBias}, which saves a pass over gates.
 * Shapes: gates (TB, GH) overwritten, x (TB, C), wIh (GH, C).
 */
function inputProjection(gates: Float32Array, x: Float32Array, wIh: Float32Array, TB: number, C: number, GH: number): void {
  kernels.gemm(gates, 0, x, 0, wIh, 0, TB, C, GH, false, true, false);
}

/**
 * The bias the step loops add to each gate's pre-activation: bIh + bHh, where only the first
 * `FH` entries of bHh are folded in (GRU keeps its n-gate bHh apart); zeros without biases.
 * Shapes: bIh, bHh (GH) or null → GH doubles.
 */
function gateBias(bIh: Float32Array | null, bHh: Float32Array | null, GH: number, FH: number): number[] {
  const bias: number[] = [];
  for (let j = 0; j < GH; j++) bias.push(0.5);
  for (let j = 0; j < GH; j++) bias[j] = (bIh === null ? 0 : bIh[j]) + (bHh === null || j >= FH ? 0 : bHh[j]);
  return bias;
}

/**
 * Adds the column sums of g (N, GH) into db (GH) and, when not null, into db2 (the LSTM's and the
 * RNN's two biases get the same sums), summing in float64, four rows per pass over the accumulator.
 */
function addColumnSums(db: Float32Array, db2: Float32Array | null, g: Float32Array, N: number, GH: number): void {
  if (scratchB.length < GH) {
    scratchB = [];
    for (let j = 0; j < GH; j++) scratchB.push(0.5);
  }
  const acc = scratchB;
  acc.fill(0, 0, GH);
  let r = 0;
  for (; r + 4 <= N; r += 4) {
    const r0 = r * GH, r1 = r0 + GH, r2 = r1 + GH, r3 = r2 + GH;
    for (let j = 0; j < GH; j++) acc[j] += g[r0 + j] + g[r1 + j] + g[r2 + j] + g[r3 + j];
  }
  for (; r < N; r++) {
    const row = r * GH;
    for (let j = 0; j < GH; j++) acc[j] += g[row + j];
  }
  for (let j = 0; j < GH; j++) db[j] += acc[j];
  if (db2 !== null) for (let j = 0; j < GH; j++) db2[j] += acc[j];
}

/**
 * Gradients that follow from the per-position gate gradients, all as large GEMMs:
 * dwIh += dGiᵀ·x, dx += dGi·wIh, dwHh += dGhᵀ·hPrev, dbIh += Σ dGi, dbHh += Σ dGh.
 * Shapes: dGi, dGh (TB, GH); x (TB, C); hs slots (T + 1, B, H) with the read states at hPrevOff.
 */
export function weightGrads(
  dx: Float32Array | null, dwIh: Float32Array | null, dwHh: Float32Array | null,
  dbIh: Float32Array | null, dbHh: Float32Array | null,
  dGi: Float32Array, dGh: Float32Array, x: Float32Array, hs: Float32Array, hPrevOff: number, wIh: Float32Array,
  TB: number, C: number, H: number, GH: number,
): void {
  if (dwIh !== null) kernels.gemm(dwIh, 0, dGi, 0, x, 0, GH, TB, C, true, false, true);
  if (dwHh !== null) kernels.gemm(dwHh, 0, dGh, 0, hs, hPrevOff, GH, TB, H, true, false, true);
  if (dx !== null) kernels.gemm(dx, 0, dGi, 0, wIh, 0, TB, GH, C, false, false, true);
  if (dGi === dGh) {
    if (dbIh !== null) addColumnSums(dbIh, dbHh, dGi, TB, GH);
    else if (dbHh !== null) addColumnSums(dbHh, null, dGh, TB, GH);
    return;
  }
  if (dbIh !== null) addColumnSums(dbIh, null, dGi, TB, GH);
  if (dbHh !== null) addColumnSums(dbHh, null, dGh, TB, GH);
}

/**
 * LSTM over a whole sequence, one direction (Hochreiter & Schmidhuber 1997, PyTorch's form):
 * (i, f, g, o) = (σ, σ, tanh, σ)(x_t·wIhᵀ + bIh + h·wHhᵀ + bHh), c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c').
 * Shapes: hs, cs (T + 1, B, H) state slots (see the file comment), gates (T, B, 4H) receives the
 * activated gates (kept for the backward pass), x (T, B, C), h0, c0 (B, H), wIh (4H, C),
 * wHh (4H, H), bIh, bHh (4H) or null. Overwrites hs, cs and gates.
 */
export function lstmForward(
  hs: Float32Array, cs: Float32Array, gates: Float32Array,
  x: Float32Array, h0: Float32Array, c0: Float32Array,
  wIh: Float32Array, wHh: Float32Array, bIh: Float32Array | null, bHh: Float32Array | null,
  T: number, B: number, C: number, H: number, reverse: boolean,
): void {
  const GH = 4 * H, BH = B * H;
  inputProjection(gates, x, wIh, T * B, C, GH);
  const bias = gateBias(bIh, bHh, GH, GH);
  const first = reverse ? T : 0;
  hs.set(h0, first * BH);
  cs.set(c0, first * BH);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const prev = (reverse ? t + 1 : t) * BH;
    const next = (reverse ? t : t + 1) * BH;
    const gOff = t * B * GH;
    kernels.gemm(gates, gOff, hs, prev, wHh, 0, B, H, GH, false, true, true);
    lstmCells(gates, gOff, bias, hs, cs, prev, next, B, H);
  }
}

// The elementwise part of one step lives in its own function, with few call sites of
// sigmoidFast/tanhFast: V8 inlines callees into a function only up to a cumulative bytecode
// budget, and five sites in the step loop left one σ as a real call.

/**
 * One LSTM step's gates and cells, in place: the pre-activations at gOff (B, 4H) plus bias become
 * i, f, g, o; c' = f ⊙ c + i ⊙ g at slot next of cs, h' = o ⊙ tanh(c') at slot next of hs.
 */
function lstmCells(
  gates: Float32Array, gOff: number, bias: number[], hs: Float32Array, cs: Float32Array, prev: number, next: number,
  B: number, H: number,
): void {
  const GH = 4 * H, H2 = 2 * H, H3 = 3 * H;
  for (let b = 0; b < B; b++) {
    const gRow = gOff + b * GH;
    // σ on i, f and o (columns [0, 2H) and [3H, 4H)), tanh on g.
    for (let q = 0; q < H3; q++) {
      const u = q < H2 ? q : q + H;
      gates[gRow + u] = sigmoidFast(gates[gRow + u] + bias[u]);
    }
    for (let u = H2; u < H3; u++) gates[gRow + u] = tanhFast(gates[gRow + u] + bias[u]);
    const sRow = b * H;
    for (let j = 0; j < H; j++) {
      const gi = gRow + j;
      const c = gates[gi + H] * cs[prev + sRow + j] + gates[gi] * gates[gi + H2];
      cs[next + sRow + j] = c;
      hs[next + sRow + j] = gates[gi + H3] * tanhFast(c);
    }
  }
}

/**
 * Backpropagation through time for {@link lstmForward}, accumulating into every non-null
 * gradient buffer:
 * dc = dc' ⊙ f' + dh ⊙ o ⊙ (1 − tanh²c), di = dc ⊙ g, df = dc ⊙ c₋₁, dg = dc ⊙ i, do = dh ⊙ tanh c,
 * each times its activation's derivative; dh₋₁ = dgates·wHh.
 * Shapes: dx (T, B, C), dh0, dc0 (B, H), dwIh (4H, C), dwHh (4H, H), dbIh, dbHh (4H), each or
 * null; dhs (T, B, H) gradient of the outputs by position; dcN (B, H) or null, gradient of the
 * final cell state; hs, cs, gates, x, wIh, wHh as saved by the forward pass.
 */
export function lstmBackward(
  dx: Float32Array | null, dh0: Float32Array | null, dc0: Float32Array | null,
  dwIh: Float32Array | null, dwHh: Float32Array | null, dbIh: Float32Array | null, dbHh: Float32Array | null,
  dhs: Float32Array, dcN: Float32Array | null,
  hs: Float32Array, cs: Float32Array, gates: Float32Array, x: Float32Array, wIh: Float32Array, wHh: Float32Array,
  T: number, B: number, C: number, H: number, reverse: boolean,
): void {
  const GH = 4 * H, BH = B * H, H2 = 2 * H, H3 = 3 * H, TB = T * B;
  scratchG = grow(scratchG, TB * GH);
  scratchH = grow(scratchH, 2 * BH);
  const dG = scratchG;
  const dhNext = scratchH.subarray(0, BH);
  const dcNext = scratchH.subarray(BH, 2 * BH);
  dhNext.fill(0);
  if (dcN !== null) dcNext.set(dcN);
  else dcNext.fill(0);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const prev = (reverse ? t + 1 : t) * BH;
    const next = (reverse ? t : t + 1) * BH;
    const gOff = t * B * GH;
    const yOff = t * BH;
    for (let b = 0; b < B; b++) {
      const gRow = gOff + b * GH;
      const sRow = b * H;
      for (let j = 0; j < H; j++) {
        const gi = gRow + j;
        const k = sRow + j;
        const i = gates[gi], f = gates[gi + H], g = gates[gi + H2], o = gates[gi + H3];
        const tc = tanhFast(cs[next + k]);
        const dh = dhs[yOff + k] + dhNext[k];
        const dc = dcNext[k] + dh * o * (1 - tc * tc);
        dG[gi] = dc * g * i * (1 - i);
        dG[gi + H] = dc * cs[prev + k] * f * (1 - f);
        dG[gi + H2] = dc * i * (1 - g * g);
        dG[gi + H3] = dh * tc * o * (1 - o);
        dcNext[k] = dc * f;
      }
    }
    // The last step's product only feeds dh0.
    if (s > 0 || dh0 !== null) kernels.gemm(dhNext, 0, dG, gOff, wHh, 0, B, GH, H, false, false, false);
  }
  if (dh0 !== null) for (let k = 0; k < BH; k++) dh0[k] += dhNext[k];
  if (dc0 !== null) for (let k = 0; k < BH; k++) dc0[k] += dcNext[k];
  weightGrads(dx, dwIh, dwHh, dbIh, dbHh, dG, dG, x, hs, (reverse ? 1 : 0) * BH, wIh, TB, C, H, GH);
}

/**
 * GRU over a whole sequence, one direction (Cho et al. 2014, PyTorch's form):
 * r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
 * Shapes: hs (T + 1, B, H) state slots, gates (T, B, 3H) receives r, z, n, hn (T, B, H) receives
 * W_hn h + b_hn (both kept for the backward pass), x (T, B, C), h0 (B, H), wIh (3H, C),
 * wHh (3H, H), bIh, bHh (3H) or null. Overwrites hs, gates and hn.
 */
export function gruForward(
  hs: Float32Array, gates: Float32Array, hn: Float32Array,
  x: Float32Array, h0: Float32Array,
  wIh: Float32Array, wHh: Float32Array, bIh: Float32Array | null, bHh: Float32Array | null,
  T: number, B: number, C: number, H: number, reverse: boolean,
): void {
  const GH = 3 * H, BH = B * H, H2 = 2 * H;
  inputProjection(gates, x, wIh, T * B, C, GH);
  const bias = gateBias(bIh, bHh, GH, H2);
  scratchG = grow(scratchG, B * GH);
  const hh = scratchG;
  hs.set(h0, (reverse ? T : 0) * BH);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const prev = (reverse ? t + 1 : t) * BH;
    const next = (reverse ? t : t + 1) * BH;
    const gOff = t * B * GH;
    kernels.gemm(hh, 0, hs, prev, wHh, 0, B, H, GH, false, true, false);
    gruCells(gates, gOff, hh, bias, bHh, hn, t * BH, hs, prev, next, B, H);
  }
}

/**
 * One GRU step's gates and state, in place (see {@link lstmCells} on why a function of its own):
 * the input pre-activations at gOff (B, 3H) plus bias and the hidden products hh (B, 3H) become
 * r, z, n; hn at hnOff receives W_hn h + b_hn; h' = (1 − z) ⊙ n + z ⊙ h at slot next of hs.
 */
function gruCells(
  gates: Float32Array, gOff: number, hh: Float32Array, bias: number[], bHh: Float32Array | null,
  hn: Float32Array, hnOff: number, hs: Float32Array, prev: number, next: number, B: number, H: number,
): void {
  const GH = 3 * H, H2 = 2 * H;
  for (let b = 0; b < B; b++) {
    const gRow = gOff + b * GH;
    const hRow = b * GH;
    for (let u = 0; u < H2; u++) gates[gRow + u] = sigmoidFast(gates[gRow + u] + bias[u] + hh[hRow + u]);
    const sRow = b * H;
    for (let j = 0; j < H; j++) {
      const gi = gRow + j;
      const hnv = bHh === null ? hh[hRow + H2 + j] : hh[hRow + H2 + j] + bHh[H2 + j];
      const r = gates[gi], z = gates[gi + H];
      const n = tanhFast(gates[gi + H2] + bias[j + H2] + r * hnv);
      gates[gi + H2] = n;
      hn[hnOff + sRow + j] = hnv;
      hs[next + sRow + j] = (1 - z) * n + z * hs[prev + sRow + j];
    }
  }
}

/**
 * Backpropagation through time for {@link gruForward}, accumulating into every non-null gradient
 * buffer: dn = dh ⊙ (1 − z), dz = dh ⊙ (h₋₁ − n), dr = dn ⊙ (1 − n²) ⊙ hn; the input projection
 * gets (dr, dz, dn)⊙σ′/tanh′ and the hidden projection the same with its n part times r;
 * dh₋₁ = dh ⊙ z + dgates_h·wHh.
 * Shapes: as {@link lstmBackward} with G = 3 and no cell state; hn (T, B, H) as saved.
 */
export function gruBackward(
  dx: Float32Array | null, dh0: Float32Array | null,
  dwIh: Float32Array | null, dwHh: Float32Array | null, dbIh: Float32Array | null, dbHh: Float32Array | null,
  dhs: Float32Array,
  hs: Float32Array, gates: Float32Array, hn: Float32Array, x: Float32Array, wIh: Float32Array, wHh: Float32Array,
  T: number, B: number, C: number, H: number, reverse: boolean,
): void {
  const GH = 3 * H, BH = B * H, H2 = 2 * H, TB = T * B;
  scratchG = grow(scratchG, 2 * TB * GH);
  scratchH = grow(scratchH, BH);
  const dGi = scratchG.subarray(0, TB * GH);
  const dGh = scratchG.subarray(TB * GH, 2 * TB * GH);
  const dhNext = scratchH.subarray(0, BH);
  dhNext.fill(0);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const prev = (reverse ? t + 1 : t) * BH;
    const gOff = t * B * GH;
    const yOff = t * BH;
    for (let b = 0; b < B; b++) {
      const gRow = gOff + b * GH;
      const sRow = b * H;
      for (let j = 0; j < H; j++) {
        const gi = gRow + j;
        const k = sRow + j;
        const r = gates[gi], z = gates[gi + H], n = gates[gi + H2];
        const dh = dhs[yOff + k] + dhNext[k];
        const dpn = dh * (1 - z) * (1 - n * n);
        const dpr = dpn * hn[yOff + k] * r * (1 - r);
        const dpz = dh * (hs[prev + k] - n) * z * (1 - z);
        dGi[gi] = dpr;
        dGi[gi + H] = dpz;
        dGi[gi + H2] = dpn;
        dGh[gi] = dpr;
        dGh[gi + H] = dpz;
        dGh[gi + H2] = dpn * r;
        dhNext[k] = dh * z;
      }
    }
    kernels.gemm(dhNext, 0, dGh, gOff, wHh, 0, B, GH, H, false, false, true);
  }
  if (dh0 !== null) for (let k = 0; k < BH; k++) dh0[k] += dhNext[k];
  weightGrads(dx, dwIh, dwHh, dbIh, dbHh, dGi, dGh, x, hs, (reverse ? 1 : 0) * BH, wIh, TB, C, H, GH);
}

/**
 * Elman RNN over a whole sequence, one direction: h' = act(x_t·wIhᵀ + bIh + h·wHhᵀ + bHh), act
 * tanh or relu.
 * Shapes: hs (T + 1, B, H) state slots, x (T, B, C), h0 (B, H), wIh (H, C), wHh (H, H),
 * bIh, bHh (H) or null. Overwrites hs.
 */
export function rnnForward(
  hs: Float32Array, x: Float32Array, h0: Float32Array,
  wIh: Float32Array, wHh: Float32Array, bIh: Float32Array | null, bHh: Float32Array | null,
  T: number, B: number, C: number, H: number, relu: boolean, reverse: boolean,
): void {
  const BH = B * H;
  // The input projection of position t is written where its output will go, so the step
  // accumulates h·wHhᵀ onto it and applies the activation in place.
  const outOff = (reverse ? 0 : 1) * BH;
  const proj = hs.subarray(outOff, outOff + T * BH);
  inputProjection(proj, x, wIh, T * B, C, H);
  const bias = gateBias(bIh, bHh, H, H);
  hs.set(h0, (reverse ? T : 0) * BH);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const prev = (reverse ? t + 1 : t) * BH;
    const next = (reverse ? t : t + 1) * BH;
    kernels.gemm(hs, next, hs, prev, wHh, 0, B, H, H, false, true, true);
    for (let b = 0; b < B; b++) {
      const row = next + b * H;
      if (relu) {
        for (let j = 0; j < H; j++) {
          const v = hs[row + j] + bias[j];
          hs[row + j] = v > 0 ? v : v !== v ? v : 0;
        }
      } else {
        for (let j = 0; j < H; j++) hs[row + j] = tanhFast(hs[row + j] + bias[j]);
      }
    }
  }
}

/**
 * Backpropagation through time for {@link rnnForward}, accumulating into every non-null gradient
 * buffer: dpre = (dh_out + dh_next) ⊙ act′ (1 − h² for tanh, [h > 0] for relu),
 * dh₋₁ = dpre·wHh.
 * Shapes: as {@link lstmBackward} with G = 1 and no cell state.
 */
export function rnnBackward(
  dx: Float32Array | null, dh0: Float32Array | null,
  dwIh: Float32Array | null, dwHh: Float32Array | null, dbIh: Float32Array | null, dbHh: Float32Array | null,
  dhs: Float32Array,
  hs: Float32Array, x: Float32Array, wIh: Float32Array, wHh: Float32Array,
  T: number, B: number, C: number, H: number, relu: boolean, reverse: boolean,
): void {
  const BH = B * H, TB = T * B;
  scratchG = grow(scratchG, TB * H);
  scratchH = grow(scratchH, BH);
  const dG = scratchG;
  const dhNext = scratchH.subarray(0, BH);
  dhNext.fill(0);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const next = (reverse ? t : t + 1) * BH;
    const yOff = t * BH;
    if (relu) {
      for (let k = 0; k < BH; k++) dG[yOff + k] = hs[next + k] > 0 ? dhs[yOff + k] + dhNext[k] : 0;
    } else {
      for (let k = 0; k < BH; k++) {
        const h = hs[next + k];
        dG[yOff + k] = (dhs[yOff + k] + dhNext[k]) * (1 - h * h);
      }
    }
    if (s > 0 || dh0 !== null) kernels.gemm(dhNext, 0, dG, yOff, wHh, 0, B, H, H, false, false, false);
  }
  if (dh0 !== null) for (let k = 0; k < BH; k++) dh0[k] += dhNext[k];
  weightGrads(dx, dwIh, dwHh, dbIh, dbHh, dG, dG, x, hs, (reverse ? 1 : 0) * BH, wIh, TB, C, H, H);
}

/**
 * Swaps the two leading axes: out[j, i, f] = x[i, j, f].
 * Shapes: x (N0, N1, F), out (N1, N0, F). Overwrites out.
 */
export function swapLeadingAxes(out: Float32Array, x: Float32Array, N0: number, N1: number, F: number): void {
  for (let i = 0; i < N0; i++) {
    const xRow = i * N1 * F;
    for (let j = 0; j < N1; j++) {
      const src = xRow + j * F;
      const dst = (j * N0 + i) * F;
      for (let f = 0; f < F; f++) out[dst + f] = x[src + f];
    }
  }
}

/**
 * Accumulating twin of {@link swapLeadingAxes}: dout[j, i, f] += dx[i, j, f].
 * Shapes: dx (N0, N1, F), dout (N1, N0, F).
 */
export function swapLeadingAxesAdd(dout: Float32Array, dx: Float32Array, N0: number, N1: number, F: number): void {
  for (let i = 0; i < N0; i++) {
    const xRow = i * N1 * F;
    for (let j = 0; j < N1; j++) {
      const src = xRow + j * F;
      const dst = (j * N0 + i) * F;
      for (let f = 0; f < F; f++) dout[dst + f] += dx[src + f];
    }
  }
}

// ---- naive twins: each step's products written out as dot products, the weight gradients summed
// step by step (no slot-aligned GEMMs); test oracles ----

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/**
 * Pre-activations of one step for batch row b: pre[u] = bIh[u] + bHh[u] (the first `FH` units)
 * + Σ_c x[t, b, c]·wIh[u, c] + Σ_j h[b, j]·wHh[u, j] (the last product only for u < FH; the
 * rest, GRU's n gate, goes to hh). Shapes: pre, hh (GH) float64; h at hOff (B, H).
 */
function naivePre(
  pre: Float64Array, hh: Float64Array, x: Float32Array, xRow: number, hs: Float32Array, hRow: number,
  wIh: Float32Array, wHh: Float32Array, bIh: Float32Array | null, bHh: Float32Array | null, C: number, H: number, GH: number, FH: number,
): void {
  for (let u = 0; u < GH; u++) {
    let a = bIh === null ? 0 : bIh[u];
    for (let c = 0; c < C; c++) a += x[xRow + c] * wIh[u * C + c];
    let h = 0;
    for (let j = 0; j < H; j++) h += hs[hRow + j] * wHh[u * H + j];
    if (u < FH) {
      pre[u] = a + h + (bHh === null ? 0 : bHh[u]);
      hh[u] = 0;
    } else {
      pre[u] = a;
      hh[u] = h + (bHh === null ? 0 : bHh[u]);
    }
  }
}

/**
 * One step's share of the gradients, for batch row b with input-side gate gradients gi and
 * hidden-side gh (GH each): dx[t, b] += gi·wIh, dwIh += giᵀ x, dbIh += gi, dwHh += ghᵀ h₋₁,
 * dbHh += gh, dhPrev[b] += gh·wHh.
 */
function naiveStepGrads(
  gi: Float64Array, gh: Float64Array, xRow: number, hRow: number, b: number, dhPrev: Float64Array,
  dx: Float32Array | null, dwIh: Float32Array | null, dwHh: Float32Array | null, dbIh: Float32Array | null, dbHh: Float32Array | null,
  x: Float32Array, hs: Float32Array, wIh: Float32Array, wHh: Float32Array, C: number, H: number, GH: number,
): void {
  for (let u = 0; u < GH; u++) {
    const a = gi[u], h = gh[u];
    if (dbIh !== null) dbIh[u] += a;
    if (dbHh !== null) dbHh[u] += h;
    for (let c = 0; c < C; c++) {
      if (dwIh !== null) dwIh[u * C + c] += a * x[xRow + c];
      if (dx !== null) dx[xRow + c] += a * wIh[u * C + c];
    }
    for (let j = 0; j < H; j++) {
      if (dwHh !== null) dwHh[u * H + j] += h * hs[hRow + j];
      dhPrev[b * H + j] += h * wHh[u * H + j];
    }
  }
}

/** Naive twin of {@link lstmForward} (the oracle); same shapes and slots. */
export function lstmForwardNaive(
  hs: Float32Array, cs: Float32Array, gates: Float32Array,
  x: Float32Array, h0: Float32Array, c0: Float32Array,
  wIh: Float32Array, wHh: Float32Array, bIh: Float32Array | null, bHh: Float32Array | null,
  T: number, B: number, C: number, H: number, reverse: boolean,
): void {
  const GH = 4 * H, BH = B * H;
  const pre = new Float64Array(GH), unused = new Float64Array(GH);
  const first = reverse ? T : 0;
  for (let k = 0; k < BH; k++) {
    hs[first * BH + k] = h0[k];
    cs[first * BH + k] = c0[k];
  }
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const prev = (reverse ? t + 1 : t) * BH, next = (reverse ? t : t + 1) * BH;
    for (let b = 0; b < B; b++) {
      naivePre(pre, unused, x, (t * B + b) * C, hs, prev + b * H, wIh, wHh, bIh, bHh, C, H, GH, GH);
      for (let j = 0; j < H; j++) {
        const i = sigmoid(pre[j]), f = sigmoid(pre[H + j]), g = Math.tanh(pre[2 * H + j]), o = sigmoid(pre[3 * H + j]);
        const row = (t * B + b) * GH;
        gates[row + j] = i; gates[row + H + j] = f; gates[row + 2 * H + j] = g; gates[row + 3 * H + j] = o;
        const c = f * cs[prev + b * H + j] + i * g;
        cs[next + b * H + j] = c;
        hs[next + b * H + j] = o * Math.tanh(c);
      }
    }
  }
}

/** Naive twin of {@link lstmBackward} (the oracle); accumulates. */
export function lstmBackwardNaive(
  dx: Float32Array | null, dh0: Float32Array | null, dc0: Float32Array | null,
  dwIh: Float32Array | null, dwHh: Float32Array | null, dbIh: Float32Array | null, dbHh: Float32Array | null,
  dhs: Float32Array, dcN: Float32Array | null,
  hs: Float32Array, cs: Float32Array, gates: Float32Array, x: Float32Array, wIh: Float32Array, wHh: Float32Array,
  T: number, B: number, C: number, H: number, reverse: boolean,
): void {
  const GH = 4 * H, BH = B * H;
  let dhNext = new Float64Array(BH);
  const dcNext = new Float64Array(BH);
  if (dcN !== null) for (let k = 0; k < BH; k++) dcNext[k] = dcN[k];
  const dg = new Float64Array(GH);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const prev = (reverse ? t + 1 : t) * BH, next = (reverse ? t : t + 1) * BH;
    const dhPrev = new Float64Array(BH);
    for (let b = 0; b < B; b++) {
      const row = (t * B + b) * GH;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const i = gates[row + j], f = gates[row + H + j], g = gates[row + 2 * H + j], o = gates[row + 3 * H + j];
        const tc = Math.tanh(cs[next + k]);
        const dh = dhs[t * BH + k] + dhNext[k];
        const dc = dcNext[k] + dh * o * (1 - tc * tc);
        dg[j] = dc * g * i * (1 - i);
        dg[H + j] = dc * cs[prev + k] * f * (1 - f);
        dg[2 * H + j] = dc * i * (1 - g * g);
        dg[3 * H + j] = dh * tc * o * (1 - o);
        dcNext[k] = dc * f;
      }
      naiveStepGrads(dg, dg, (t * B + b) * C, prev + b * H, b, dhPrev, dx, dwIh, dwHh, dbIh, dbHh, x, hs, wIh, wHh, C, H, GH);
    }
    dhNext = dhPrev;
  }
  if (dh0 !== null) for (let k = 0; k < BH; k++) dh0[k] += dhNext[k];
  if (dc0 !== null) for (let k = 0; k < BH; k++) dc0[k] += dcNext[k];
}

/** Naive twin of {@link gruForward} (the oracle); same shapes and slots. */
export function gruForwardNaive(
  hs: Float32Array, gates: Float32Array, hn: Float32Array,
  x: Float32Array, h0: Float32Array,
  wIh: Float32Array, wHh: Float32Array, bIh: Float32Array | null, bHh: Float32Array | null,
  T: number, B: number, C: number, H: number, reverse: boolean,
): void {
  const GH = 3 * H, BH = B * H;
  const pre = new Float64Array(GH), hh = new Float64Array(GH);
  const first = reverse ? T : 0;
  for (let k = 0; k < BH; k++) hs[first * BH + k] = h0[k];
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const prev = (reverse ? t + 1 : t) * BH, next = (reverse ? t : t + 1) * BH;
    for (let b = 0; b < B; b++) {
      naivePre(pre, hh, x, (t * B + b) * C, hs, prev + b * H, wIh, wHh, bIh, bHh, C, H, GH, 2 * H);
      for (let j = 0; j < H; j++) {
        const r = sigmoid(pre[j]), z = sigmoid(pre[H + j]);
        const hnv = hh[2 * H + j];
        const n = Math.tanh(pre[2 * H + j] + r * hnv);
        const row = (t * B + b) * GH;
        gates[row + j] = r; gates[row + H + j] = z; gates[row + 2 * H + j] = n;
        hn[t * BH + b * H + j] = hnv;
        hs[next + b * H + j] = (1 - z) * n + z * hs[prev + b * H + j];
      }
    }
  }
}

/** Naive twin of {@link gruBackward} (the oracle); accumulates. */
export function gruBackwardNaive(
  dx: Float32Array | null, dh0: Float32Array | null,
  dwIh: Float32Array | null, dwHh: Float32Array | null, dbIh: Float32Array | null, dbHh: Float32Array | null,
  dhs: Float32Array,
  hs: Float32Array, gates: Float32Array, hn: Float32Array, x: Float32Array, wIh: Float32Array, wHh: Float32Array,
  T: number, B: number, C: number, H: number, reverse: boolean,
): void {
  const GH = 3 * H, BH = B * H;
  let dhNext = new Float64Array(BH);
  const gi = new Float64Array(GH), gh = new Float64Array(GH);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const prev = (reverse ? t + 1 : t) * BH;
    const dhPrev = new Float64Array(BH);
    for (let b = 0; b < B; b++) {
      const row = (t * B + b) * GH;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const r = gates[row + j], z = gates[row + H + j], n = gates[row + 2 * H + j];
        const dh = dhs[t * BH + k] + dhNext[k];
        const dpn = dh * (1 - z) * (1 - n * n);
        const dpr = dpn * hn[t * BH + k] * r * (1 - r);
        const dpz = dh * (hs[prev + k] - n) * z * (1 - z);
        gi[j] = dpr; gi[H + j] = dpz; gi[2 * H + j] = dpn;
        gh[j] = dpr; gh[H + j] = dpz; gh[2 * H + j] = dpn * r;
        dhPrev[k] += dh * z;
      }
      naiveStepGrads(gi, gh, (t * B + b) * C, prev + b * H, b, dhPrev, dx, dwIh, dwHh, dbIh, dbHh, x, hs, wIh, wHh, C, H, GH);
    }
    dhNext = dhPrev;
  }
  if (dh0 !== null) for (let k = 0; k < BH; k++) dh0[k] += dhNext[k];
}

/** Naive twin of {@link rnnForward} (the oracle); same shapes and slots. */
export function rnnForwardNaive(
  hs: Float32Array, x: Float32Array, h0: Float32Array,
  wIh: Float32Array, wHh: Float32Array, bIh: Float32Array | null, bHh: Float32Array | null,
  T: number, B: number, C: number, H: number, relu: boolean, reverse: boolean,
): void {
  const BH = B * H;
  const pre = new Float64Array(H), unused = new Float64Array(H);
  const first = reverse ? T : 0;
  for (let k = 0; k < BH; k++) hs[first * BH + k] = h0[k];
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const prev = (reverse ? t + 1 : t) * BH, next = (reverse ? t : t + 1) * BH;
    for (let b = 0; b < B; b++) {
      naivePre(pre, unused, x, (t * B + b) * C, hs, prev + b * H, wIh, wHh, bIh, bHh, C, H, H, H);
      for (let j = 0; j < H; j++) hs[next + b * H + j] = relu ? Math.max(pre[j], 0) : Math.tanh(pre[j]);
    }
  }
}

/** Naive twin of {@link rnnBackward} (the oracle); accumulates. */
export function rnnBackwardNaive(
  dx: Float32Array | null, dh0: Float32Array | null,
  dwIh: Float32Array | null, dwHh: Float32Array | null, dbIh: Float32Array | null, dbHh: Float32Array | null,
  dhs: Float32Array,
  hs: Float32Array, x: Float32Array, wIh: Float32Array, wHh: Float32Array,
  T: number, B: number, C: number, H: number, relu: boolean, reverse: boolean,
): void {
  const BH = B * H;
  let dhNext = new Float64Array(BH);
  const dg = new Float64Array(H);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const prev = (reverse ? t + 1 : t) * BH, next = (reverse ? t : t + 1) * BH;
    const dhPrev = new Float64Array(BH);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const k = b * H + j, h = hs[next + k], dh = dhs[t * BH + k] + dhNext[k];
        dg[j] = relu ? (h > 0 ? dh : 0) : dh * (1 - h * h);
      }
      naiveStepGrads(dg, dg, (t * B + b) * C, prev + b * H, b, dhPrev, dx, dwIh, dwHh, dbIh, dbHh, x, hs, wIh, wHh, C, H, H);
    }
    dhNext = dhPrev;
  }
  if (dh0 !== null) for (let k = 0; k < BH; k++) dh0[k] += dhNext[k];
}
