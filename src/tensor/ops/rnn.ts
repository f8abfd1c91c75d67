import { record } from '../autograd';
import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { kernels as K } from '../kernels/backend';
import { bool, oneOf, parseOptions } from '../options';
import { describe } from '../shape';
import { Tensor } from '../tensor';

/** Options of {@link lstmLayer} and {@link gruLayer}. */
export interface RecurrentLayerOptions {
  /** Run from the last time step to the first (the backward half of a bidirectional layer; default false). */
  reverse?: boolean;
}

/** Options of {@link rnnLayer}. */
export interface RnnLayerOptions extends RecurrentLayerOptions {
  /** Activation of the Elman cell (default `'tanh'`). */
  nonlinearity?: 'tanh' | 'relu';
}

/** Result of {@link gruLayer} and {@link rnnLayer}. */
export interface RecurrentLayerResult {
  /** Hidden state after every time step, [B, T, H] (batch first). */
  output: Tensor;
  /** Final hidden state [B, H]: after position T − 1, or after position 0 when `reverse`. */
  hN: Tensor;
}

/** Result of {@link lstmLayer}. */
export interface LstmLayerResult extends RecurrentLayerResult {
  /** Final cell state [B, H]. */
  cN: Tensor;
}

interface Dims {
  B: number;
  T: number;
  C: number;
  H: number;
}

function isTensorOrNull(v: unknown): v is Tensor | null {
  return v === null || v instanceof Tensor;
}

/** Validates one recurrent layer's arguments; every message names the op and the shapes involved. */
function checkLayer(
  op: string, G: number, x: Tensor, states: [string, Tensor | null][],
  wIh: Tensor, wHh: Tensor, bIh: Tensor | null, bHh: Tensor | null,
): Dims {
  const args: [string, unknown][] = [['x', x], ['wIh', wIh], ['wHh', wHh]];
  for (const [name, v] of args) if (!(v instanceof Tensor)) throw new ArgumentError(`${op}: ${name} must be a Tensor, got ${describe(v)}`);
  for (const [name, v] of [...states, ['bIh', bIh], ['bHh', bHh]] as [string, unknown][]) {
    if (!isTensorOrNull(v)) throw new ArgumentError(`${op}: ${name} must be a Tensor or null, got ${describe(v)}`);
  }
  if (x.ndim !== 3) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} must be 3-D [B, T, C] (batch first)`);
  const [B, T, C] = x.shape;
  if (B === 0 || T === 0) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} is empty; need at least one sequence and one time step`);
  if (wHh.ndim !== 2 || wHh.shape[0] !== G * wHh.shape[1] || wHh.shape[1] === 0) {
    throw new ShapeError(`${op}: wHh ${fmtShape(wHh.shape)} must be [${G}·H, H]`);
  }
  const H = wHh.shape[1];
  const GH = G * H;
  if (wIh.ndim !== 2 || wIh.shape[0] !== GH || wIh.shape[1] !== C) {
    throw new ShapeError(`${op}: wIh ${fmtShape(wIh.shape)} must be [${GH}, ${C}] for x ${fmtShape(x.shape)} and wHh ${fmtShape(wHh.shape)}`);
  }
  for (const [name, b] of [['bIh', bIh], ['bHh', bHh]] as [string, Tensor | null][]) {
    if (b !== null && (b.ndim !== 1 || b.shape[0] !== GH)) {
      throw new ShapeError(`${op}: ${name} ${fmtShape(b.shape)} must be [${GH}] for wHh ${fmtShape(wHh.shape)}`);
    }
  }
  for (const [name, s] of states) {
    if (s !== null && (s.ndim !== 2 || s.shape[0] !== B || s.shape[1] !== H)) {
      throw new ShapeError(`${op}: ${name} ${fmtShape(s.shape)} must be [${B}, ${H}] = [B, H] for x ${fmtShape(x.shape)} and wHh ${fmtShape(wHh.shape)}`);
    }
  }
  return { B, T, C, H };
}

const LAYER_SPEC = { reverse: bool };
const RNN_SPEC = { reverse: bool, nonlinearity: oneOf(['tanh', 'relu'] as const) };

function gradOf(t: Tensor | null): Float32Array | null {
  return t !== null && t.requiresGrad ? t.gradBuffer() : null;
}

function present(ts: (Tensor | null)[]): Tensor[] {
  const out: Tensor[] = [];
  for (const t of ts) if (t !== null) out.push(t);
  return out;
}

/** x (B, T, C) as a time-major (T, B, C) copy. */
function timeMajor(x: Tensor, { B, T, C }: Dims): Float32Array {
  const xt = new Float32Array(T * B * C);
  K.swapLeadingAxes(xt, x.data, B, T, C);
  return xt;
}

/** The batch-first output [B, T, H] read from the time-major output block of the state slots. */
function outputPart(op: string, states: Tensor, off: number, { B, T, H }: Dims): Tensor {
  const attrs = { offset: off, shape: [B, T, H] };
  const out = Tensor.empty([B, T, H]);
  K.swapLeadingAxes(out.data, states.data.subarray(off, off + T * B * H), T, B, H);
  return record(`${op}.output`, out, [states], (dy) => {
    if (states.requiresGrad) K.swapLeadingAxesAdd(states.gradBuffer().subarray(off, off + T * B * H), dy, B, T, H);
  }, attrs);
}

/** One [B, H] state slot as its own tensor. */
function statePart(op: string, states: Tensor, off: number, { B, H }: Dims): Tensor {
  const n = B * H;
  const out = new Tensor(states.data.slice(off, off + n), [B, H]);
  return record(op, out, [states], (dy) => {
    if (!states.requiresGrad) return;
    const g = states.gradBuffer();
    for (let k = 0; k < n; k++) g[off + k] += dy[k];
  }, { offset: off, shape: [B, H] });
}

/**
 * One LSTM layer over a whole sequence in one direction, as a fused op (Hochreiter & Schmidhuber
 * 1997, with PyTorch's gate layout): for each time step,
 * i, f, g, o = σ, σ, tanh, σ of the four H-row blocks of x_t·wIhᵀ + bIh + h·wHhᵀ + bHh,
 * c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c').
 * The input projection of every step is one GEMM; the recurrence is one small GEMM per step; the
 * gates are kept for a hand-written backpropagation through time recorded as a single graph node.
 * `h0` or `c0` null means zeros.
 * Shapes: x (B, T, C) batch first, h0, c0 (B, H) or null, wIh (4H, C), wHh (4H, H), bIh, bHh (4H)
 * or null → output (B, T, H), hN (B, H), cN (B, H).
 * Gradient: backpropagation through time to x, h0, c0 and every weight (first order).
 * @example
 * // zero weights: every gate is σ(0) = 0.5 and g = tanh(0) = 0, so c halves at each step
 * const r = lstmLayer(zeros([1, 2, 3]), null, ones([1, 1]), zeros([4, 3]), zeros([4, 1]), null, null);
 * r.output.shape; // [1, 2, 1]
 * r.cN.toArray(); // [0.25]
 * @throws ShapeError when x is not 3-D or the shapes disagree (the message names all of them).
 * @see Hochreiter & Schmidhuber, "Long Short-Term Memory" (1997), https://doi.org/10.1162/neco.1997.9.8.1735
 * @category Neural network ops
 */
export function lstmLayer(
  x: Tensor, h0: Tensor | null, c0: Tensor | null, wIh: Tensor, wHh: Tensor, bIh: Tensor | null, bHh: Tensor | null,
  options: RecurrentLayerOptions = {},
): LstmLayerResult {
  const op = 'lstmLayer';
  const d = checkLayer(op, 4, x, [['h0', h0], ['c0', c0]], wIh, wHh, bIh, bHh);
  const { reverse = false } = parseOptions(op, options, LAYER_SPEC);
  const { B, T, C, H } = d;
  const BH = B * H, S = (T + 1) * BH;
  const xt = timeMajor(x, d);
  const states = Tensor.empty([2, T + 1, B, H]);
  const hs = states.data.subarray(0, S), cs = states.data.subarray(S, 2 * S);
  const gates = new Float32Array(T * B * 4 * H);
  const h0d = h0 === null ? new Float32Array(BH) : h0.data;
  const c0d = c0 === null ? new Float32Array(BH) : c0.data;
  K.lstmForward(hs, cs, gates, xt, h0d, c0d, wIh.data, wHh.data, bIh?.data ?? null, bHh?.data ?? null, T, B, C, H, reverse);
  const outOff = (reverse ? 0 : 1) * BH;
  const lastOff = (reverse ? 0 : T) * BH;
  record(op, states, present([x, h0, c0, wIh, wHh, bIh, bHh]), (dy) => {
    const dxt = x.requiresGrad ? new Float32Array(T * B * C) : null;
    K.lstmBackward(
      dxt, gradOf(h0), gradOf(c0), gradOf(wIh), gradOf(wHh), gradOf(bIh), gradOf(bHh),
      dy.subarray(outOff, outOff + T * BH), dy.subarray(S + lastOff, S + lastOff + BH),
      hs, cs, gates, xt, wIh.data, wHh.data, T, B, C, H, reverse,
    );
    if (dxt !== null) K.swapLeadingAxesAdd(x.gradBuffer(), dxt, T, B, C);
  }, { reverse, hiddenSize: H, h0: h0 !== null, c0: c0 !== null, bias: bIh !== null || bHh !== null });
  return {
    output: outputPart(op, states, outOff, d),
    hN: statePart(`${op}.hN`, states, lastOff, d),
    cN: statePart(`${op}.cN`, states, S + lastOff, d),
  };
}

/**
 * One GRU layer over a whole sequence in one direction, as a fused op (Cho et al. 2014, with
 * PyTorch's gate layout and its placement of the n-gate hidden bias): for each time step,
 * r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h,
 * where W_i· and W_h· are the H-row blocks of wIh and wHh in the order r, z, n.
 * `h0` null means zeros.
 * Shapes: x (B, T, C) batch first, h0 (B, H) or null, wIh (3H, C), wHh (3H, H), bIh, bHh (3H) or
 * null → output (B, T, H), hN (B, H).
 * Gradient: backpropagation through time to x, h0 and every weight (first order).
 * @example
 * // zero weights: z = 0.5 and n = 0, so h halves at each step
 * const r = gruLayer(zeros([1, 3, 2]), ones([1, 1]), zeros([3, 2]), zeros([3, 1]), null, null);
 * r.output.toArray(); // [0.5, 0.25, 0.125]
 * @throws ShapeError when x is not 3-D or the shapes disagree (the message names all of them).
 * @see Cho et al., "Learning Phrase Representations using RNN Encoder–Decoder for Statistical Machine Translation" (2014), https://arxiv.org/abs/1406.1078
 * @category Neural network ops
 */
export function gruLayer(
  x: Tensor, h0: Tensor | null, wIh: Tensor, wHh: Tensor, bIh: Tensor | null, bHh: Tensor | null,
  options: RecurrentLayerOptions = {},
): RecurrentLayerResult {
  const op = 'gruLayer';
  const d = checkLayer(op, 3, x, [['h0', h0]], wIh, wHh, bIh, bHh);
  const { reverse = false } = parseOptions(op, options, LAYER_SPEC);
  const { B, T, C, H } = d;
  const BH = B * H;
  const xt = timeMajor(x, d);
  const states = Tensor.empty([T + 1, B, H]);
  const hs = states.data;
  const gates = new Float32Array(T * B * 3 * H);
  const hn = new Float32Array(T * BH);
  K.gruForward(hs, gates, hn, xt, h0?.data ?? new Float32Array(BH), wIh.data, wHh.data, bIh?.data ?? null, bHh?.data ?? null, T, B, C, H, reverse);
  const outOff = (reverse ? 0 : 1) * BH;
  const lastOff = (reverse ? 0 : T) * BH;
  record(op, states, present([x, h0, wIh, wHh, bIh, bHh]), (dy) => {
    const dxt = x.requiresGrad ? new Float32Array(T * B * C) : null;
    K.gruBackward(
      dxt, gradOf(h0), gradOf(wIh), gradOf(wHh), gradOf(bIh), gradOf(bHh),
      dy.subarray(outOff, outOff + T * BH), hs, gates, hn, xt, wIh.data, wHh.data, T, B, C, H, reverse,
    );
    if (dxt !== null) K.swapLeadingAxesAdd(x.gradBuffer(), dxt, T, B, C);
  }, { reverse, hiddenSize: H, h0: h0 !== null, bias: bIh !== null || bHh !== null });
  return { output: outputPart(op, states, outOff, d), hN: statePart(`${op}.hN`, states, lastOff, d) };
}

/**
 * One Elman RNN layer over a whole sequence in one direction, as a fused op:
 * h' = act(x_t·wIhᵀ + bIh + h·wHhᵀ + bHh) with act = tanh (default) or relu. `h0` null means zeros.
 * Shapes: x (B, T, C) batch first, h0 (B, H) or null, wIh (H, C), wHh (H, H), bIh, bHh (H) or
 * null → output (B, T, H), hN (B, H).
 * Gradient: backpropagation through time to x, h0 and every weight (first order; relu′(0) = 0).
 * @example
 * // h₁ = relu(1·1) = 1, h₂ = relu(1·1 + 2·1) = 3
 * const r = rnnLayer(ones([1, 2, 1]), null, ones([1, 1]), full([1, 1], 2), null, null, { nonlinearity: 'relu' });
 * r.output.toArray(); // [1, 3]
 * @throws ShapeError when x is not 3-D or the shapes disagree; ArgumentError on an unknown nonlinearity.
 * @category Neural network ops
 */
export function rnnLayer(
  x: Tensor, h0: Tensor | null, wIh: Tensor, wHh: Tensor, bIh: Tensor | null, bHh: Tensor | null,
  options: RnnLayerOptions = {},
): RecurrentLayerResult {
  const op = 'rnnLayer';
  const d = checkLayer(op, 1, x, [['h0', h0]], wIh, wHh, bIh, bHh);
  const { reverse = false, nonlinearity: nl = 'tanh' } = parseOptions(op, options, RNN_SPEC);
  const relu = nl === 'relu';
  const { B, T, C, H } = d;
  const BH = B * H;
  const xt = timeMajor(x, d);
  const states = Tensor.empty([T + 1, B, H]);
  const hs = states.data;
  K.rnnForward(hs, xt, h0?.data ?? new Float32Array(BH), wIh.data, wHh.data, bIh?.data ?? null, bHh?.data ?? null, T, B, C, H, relu, reverse);
  const outOff = (reverse ? 0 : 1) * BH;
  const lastOff = (reverse ? 0 : T) * BH;
  record(op, states, present([x, h0, wIh, wHh, bIh, bHh]), (dy) => {
    const dxt = x.requiresGrad ? new Float32Array(T * B * C) : null;
    K.rnnBackward(
      dxt, gradOf(h0), gradOf(wIh), gradOf(wHh), gradOf(bIh), gradOf(bHh),
      dy.subarray(outOff, outOff + T * BH), hs, xt, wIh.data, wHh.data, T, B, C, H, relu, reverse,
    );
    if (dxt !== null) K.swapLeadingAxesAdd(x.gradBuffer(), dxt, T, B, C);
  }, { reverse, hiddenSize: H, nonlinearity: nl, h0: h0 !== null, bias: bIh !== null || bHh !== null });
  return { output: outputPart(op, states, outOff, d), hN: statePart(`${op}.hN`, states, lastOff, d) };
}
