/**
 * The dynamically quantized LSTM and GRU (torch.ao.nn.quantized.dynamic.LSTM and .GRU): int8
 * weights, float biases, activations quantized to uint8 on every call, the gates in float.
 */
// quantized-linear.ts imports this file for quantizeDynamic and this file builds QuantizedLinear
// layers: neither uses the other at load time, so the cycle is harmless.
import type { LayerConfig } from '../nn/config';
import { Module } from '../nn/module';
import { GRU, LSTM, type LSTMOutput, type LSTMState, type RecurrentOutput } from '../nn/recurrent';
import { record } from '../tensor/autograd';
import { ArgumentError, ShapeError, fmtShape } from '../tensor/errors';
import { sigmoidFast, tanhFast } from '../tensor/kernels/rnn';
import { kernels as K } from '../tensor/kernels/backend';
import { bool, checkArg, instanceOf, parseOptions, posInt } from '../tensor/options';
import { describe, fmtPosition } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { MinMaxObserver, PerChannelMinMaxObserver } from './observers';
import { QuantizedLinear, chooseQParams, quantizeRows, type DynamicQuantOptions } from './quantized-linear';
import { invScaleOf } from './quantize';

/** What {@link QuantizedLSTM}'s and {@link QuantizedGRU}'s constructors take back: their `config().options`. @category Quantization */
export type QuantizedRecurrentConfig = {
  /** Features C of each input time step. */
  inputSize: number;
  /** Hidden units H per direction. */
  hiddenSize: number;
  /** Stacked layers L (default 1). */
  numLayers?: number;
  /** Whether a second direction reads the sequence from the end (default false). */
  bidirectional?: boolean;
  /** Whether the layers add (float) biases (default true). */
  bias?: boolean;
  /** One weight scale per gate row instead of one per weight matrix (default false). */
  perChannel?: boolean;
  /** Activations in [0, 127] rather than [0, 255] (default true, PyTorch's x86 scheme). */
  reduceRange?: boolean;
};

const SPEC = {
  inputSize: posInt, hiddenSize: posInt, numLayers: posInt, bidirectional: bool, bias: bool, perChannel: bool, reduceRange: bool,
};
const DYNAMIC_SPEC = { perChannel: bool, reduceRange: bool };

/** Field-name suffix of layer l, direction d: `0`, `0Reverse`, `1`, … (as the float layers). */
function suffix(l: number, d: number): string {
  return d === 0 ? `${l}` : `${l}Reverse`;
}

/** Refuses a tensor holding NaN or ±Infinity, naming it and the position. */
function checkFinite(op: string, name: string, t: Tensor, why: string): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) throw new ArgumentError(`${op}: ${name}[${fmtPosition(i, t.shape)}] is ${describe(d[i])} (${name} ${fmtShape(t.shape)}); ${why}`);
  }
}

// Local bindings of the activations: a call through an imported binding can go through the
// module's getter (tsx and vitest compile to one), which V8 does not inline into the cell loops.
const sigmoid = sigmoidFast, tanh = tanhFast;

/** uint8 activations of M rows of K with one scale and zero point (PyTorch's per-call choice). */
interface QuantizedRows { q: Uint8Array; rowSum: Float64Array; scale: number; zeroPoint: number }

/**
 * Quantizes M rows of K values to uint8 as a dynamic layer does on every call: the range of all
 * of them through ChooseQuantizationParams (halved with `reduceRange`), round half to even.
 */
function quantizeActivations(
  d: Float32Array, M: number, K: number, reduceRange: boolean,
  q: Uint8Array = new Uint8Array(M * K), rowSum: Float64Array = new Float64Array(M),
): QuantizedRows {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < M * K; i++) {
    const v = d[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const { scale, zeroPoint } = chooseQParams(lo, hi, 0, 255, reduceRange);
  quantizeRows(d, q, rowSum, M, K, invScaleOf(scale), zeroPoint, reduceRange ? 127 : 255);
  return { q, rowSum, scale, zeroPoint };
}

/** Σₖ w[n, k] per output row of a quantized layer's int8 weight. */
function weightRowSums(ql: QuantizedLinear): Float64Array {
  const Kf = ql.inFeatures, N = ql.outFeatures, w = ql.weight.data, sums = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let k = 0; k < Kf; k++) s += w[n * Kf + k];
    sums[n] = s;
  }
  return sums;
}

/**
 * out (M, N) = the layer's output for the quantized rows, as {@link QuantizedLinear.forward}
 * computes it (the same int32 kernel and the same float rescaling, so the same float32 values),
 * into buffers the caller reuses: sₓ·s_w·(Σ qx·qw − z_w·Σqx − zₓ·Σqw + K·zₓ·z_w) + bias.
 */
function project(ql: QuantizedLinear, x: QuantizedRows, M: number, acc: Int32Array, out: Float32Array, rowSumW = weightRowSums(ql)): void {
  const Kf = ql.inFeatures, N = ql.outFeatures;
  if (M === 0) return;
  K.gemmU8I8(acc, 0, x.q, 0, ql.weight.data as Int8Array, 0, M, Kf, N, false);
  const ws = ql.weightScale.data, wz = ql.weightZeroPoint.data, b = ql.bias?.data ?? null, per = ql.perChannel;
  const sx = x.scale, zx = x.zeroPoint, rowSumX = x.rowSum;
  const scale = new Float64Array(N), zw = new Float64Array(N), shift = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const ch = per ? n : 0;
    scale[n] = sx * ws[ch];
    zw[n] = wz[ch];
    shift[n] = (b === null ? 0 : b[n]) - scale[n] * (zx * rowSumW[n] - Kf * zx * wz[ch]);
  }
  for (let m = 0; m < M; m++) {
    const r = m * N, sxm = rowSumX[m];
    for (let n = 0; n < N; n++) out[r + n] = scale[n] * (acc[r + n] - zw[n] * sxm) + shift[n];
  }
}

/** The recurrent part of one direction of one layer: h and c per step, written into the outputs. */
type Step = (gx: Float32Array, gh: Float32Array, t: number, h: Float32Array, c: Float32Array) => void;

/**
 * What the dynamically quantized recurrent layers share: the configuration and, per layer and
 * direction, two {@link QuantizedLinear} children, `ih{l}` (x_t·W_ihᵀ + b_ih) and `hh{l}`
 * (h·W_hhᵀ + b_hh), with the suffix `Reverse` for the backward direction. @internal
 */
export abstract class QuantizedRNNBase extends Module {
  /** Features C of each input time step. */
  readonly inputSize: number;
  /** Hidden units H per direction. */
  readonly hiddenSize: number;
  /** Stacked layers L. */
  readonly numLayers: number;
  /** Whether a second direction reads the sequence from the end (D = 2). */
  readonly bidirectional: boolean;
  /** Whether the layers add the float biases. */
  readonly bias: boolean;
  /** One weight scale per gate row (per output feature of each product). */
  readonly perChannel: boolean;
  /** Activations in [0, 127] rather than [0, 255]. */
  readonly reduceRange: boolean;
  /** The quantized products by name: `ih0`, `hh0`, `ih0Reverse`, `hh1`, … */
  [name: `ih${number}${string}` | `hh${number}${string}`]: QuantizedLinear;
  private readonly layerName: string;
  private readonly gates: number;

  /** Validates the config and allocates zero int8 weights. @internal */
  protected constructor(layer: string, gates: number, config: QuantizedRecurrentConfig) {
    super();
    const o = parseOptions(layer, config, SPEC);
    for (const k of ['inputSize', 'hiddenSize'] as const) if (o[k] === undefined) SPEC[k](undefined, k, layer);
    this.layerName = layer;
    this.gates = gates;
    this.inputSize = o.inputSize!;
    this.hiddenSize = o.hiddenSize!;
    this.numLayers = o.numLayers ?? 1;
    this.bidirectional = o.bidirectional ?? false;
    this.bias = o.bias ?? true;
    this.perChannel = o.perChannel ?? false;
    this.reduceRange = o.reduceRange ?? true;
    const H = this.hiddenSize, D = this.bidirectional ? 2 : 1;
    const fields = this as unknown as Record<string, QuantizedLinear>;
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? this.inputSize : D * H;
      for (let d = 0; d < D; d++) {
        const s = suffix(l, d), common = { outFeatures: gates * H, bias: this.bias, perChannel: this.perChannel, reduceRange: this.reduceRange };
        fields[`ih${s}`] = new QuantizedLinear({ inFeatures: inSize, ...common });
        fields[`hh${s}`] = new QuantizedLinear({ inFeatures: H, ...common });
      }
    }
  }

  /**
   * Quantizes every weight of a float LSTM or GRU into `q` with PyTorch's dynamic qconfig (a
   * symmetric qint8 MinMaxObserver per weight matrix, or a PerChannelMinMaxObserver along the
   * gate rows); the biases stay float. @internal
   */
  protected static quantizeInto<Q extends QuantizedRNNBase>(op: string, float: LSTM | GRU, make: (c: QuantizedRecurrentConfig) => Q, options: DynamicQuantOptions): Q {
    const o = parseOptions(op, options, DYNAMIC_SPEC);
    const fields = float as unknown as Record<string, Tensor | undefined>;
    const q = make({
      inputSize: float.inputSize, hiddenSize: float.hiddenSize, numLayers: float.numLayers, bidirectional: float.bidirectional,
      bias: float.bias, perChannel: o.perChannel ?? false, reduceRange: o.reduceRange ?? true,
    });
    const qf = q as unknown as Record<string, QuantizedLinear>;
    const D = float.bidirectional ? 2 : 1;
    for (let l = 0; l < float.numLayers; l++) {
      for (let d = 0; d < D; d++) {
        const s = suffix(l, d);
        for (const part of ['Ih', 'Hh'] as const) {
          const name = `weight${part}${s}`, w = fields[name] as Tensor;
          checkFinite(op, name, w, 'only finite weights can be quantized');
          const obs = q.perChannel
            ? new PerChannelMinMaxObserver({ dtype: 'qint8', qscheme: 'perChannelSymmetric', chAxis: 0 })
            : new MinMaxObserver({ dtype: 'qint8', qscheme: 'perTensorSymmetric' });
          obs.forward(w);
          qf[`${part.toLowerCase()}${s}`] = QuantizedLinear.fromFloatWith(w, fields[`bias${part}${s}`] ?? null, {
            ...obs.calculateQparams(), quantMin: -128, quantMax: 127, reduceRange: q.reduceRange,
          });
        }
      }
    }
    q.eval();
    return q;
  }

  /** The cell of one direction: reads the projected input gx (B, T, G·H) and updates h and c. @internal */
  protected abstract step(B: number, T: number, H: number): Step;

  /**
   * Runs the stack as PyTorch's CPU path does: per layer, the whole input sequence is quantized
   * once and projected by `ih` (one scale for B·T rows), then every step quantizes the hidden
   * state [B, H] and projects it by `hh`; the gates are float32. @internal
   */
  protected run(x: Tensor, h0In: Tensor | null | undefined, c0In: Tensor | null | undefined, withCell: boolean): { output: Tensor; hN: Tensor; cN: Tensor | null } {
    const op = this.layerName, H = this.hiddenSize, D = this.bidirectional ? 2 : 1, L = this.numLayers, LD = L * D;
    if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: x must be a Tensor, got ${describe(x)}`);
    if (x.ndim !== 3 || x.shape[2] !== this.inputSize) {
      throw new ShapeError(`${op}: x ${fmtShape(x.shape)} must be [B, T, ${this.inputSize}] (batch first, inputSize ${this.inputSize})`);
    }
    const why = 'a dynamically quantized layer needs finite inputs';
    checkFinite(op, 'x', x, why);
    const [B, T] = x.shape;
    const state = (name: string, s: Tensor | null | undefined): Float32Array | null => {
      if (s === undefined || s === null) return null;
      if (!(s instanceof Tensor)) throw new ArgumentError(`${op}: ${name} must be a Tensor, got ${describe(s)}`);
      if (s.ndim !== 3 || s.shape[0] !== LD || s.shape[1] !== B || s.shape[2] !== H) {
        throw new ShapeError(`${op}: ${name} ${fmtShape(s.shape)} must be [${LD}, ${B}, ${H}] = [numLayers·numDirections, B, hiddenSize]`);
      }
      checkFinite(op, name, s, why);
      return s.data;
    };
    const h0 = state('h0', h0In), c0 = withCell ? state('c0', c0In) : null;
    const fields = this as unknown as Record<string, QuantizedLinear>;
    const hN = Tensor.empty([LD, B, H]), cN = withCell ? Tensor.empty([LD, B, H]) : null;
    const BH = B * H, GH = this.gates * H, M = B * T;
    // Buffers reused by every step and direction: the quantized hidden state, its row sums, the
    // int32 products and the float projections.
    const qh = new Uint8Array(BH), rowSumH = new Float64Array(B), accH = new Int32Array(B * GH), gh = new Float32Array(B * GH);
    const accX = new Int32Array(M * GH), gx = new Float32Array(M * GH);
    const h = new Float32Array(BH), c = new Float32Array(BH);
    let input = x;
    for (let l = 0; l < L; l++) {
      const inSize = input.shape[2], out = Tensor.empty([B, T, D * H]), o = out.data;
      // The layer input is quantized once, for both directions (PyTorch quantizes the same tensor
      // with the same parameters for each).
      const qIn = quantizeActivations(input.data, M, inSize, this.reduceRange);
      for (let d = 0; d < D; d++) {
        const k = l * D + d, s = suffix(l, d), ih = fields[`ih${s}`], hh = fields[`hh${s}`];
        project(ih, qIn, M, accX, gx);
        const rowSumWh = weightRowSums(hh);
        h.fill(0);
        c.fill(0);
        if (h0 !== null) h.set(h0.subarray(k * BH, (k + 1) * BH));
        if (c0 !== null) c.set(c0.subarray(k * BH, (k + 1) * BH));
        const cell = this.step(B, T, H);
        for (let i = 0; i < T; i++) {
          const t = d === 1 ? T - 1 - i : i;
          project(hh, quantizeActivations(h, B, H, this.reduceRange, qh, rowSumH), B, accH, gh, rowSumWh);
          cell(gx, gh, t, h, c);
          for (let b = 0; b < B; b++) o.set(h.subarray(b * H, (b + 1) * H), (b * T + t) * D * H + d * H);
        }
        hN.data.set(h, k * BH);
        cN?.data.set(c, k * BH);
      }
      input = out;
    }
    const inputs = [x, h0In, c0In].filter((t): t is Tensor => t instanceof Tensor);
    const noGradient = (): never => {
      throw new ArgumentError(`${op}: no gradient flows through a dynamically quantized layer (inference only); train the float ${op.replace('Quantized', '')} and quantize it afterwards, or run this one inside noGrad`);
    };
    for (const t of [input, hN, cN]) if (t !== null) record(op, t, inputs, noGradient);
    return { output: input, hN, cN };
  }

  override config(): LayerConfig<Required<QuantizedRecurrentConfig>> {
    return {
      type: this.layerName,
      options: {
        inputSize: this.inputSize, hiddenSize: this.hiddenSize, numLayers: this.numLayers, bidirectional: this.bidirectional,
        bias: this.bias, perChannel: this.perChannel, reduceRange: this.reduceRange,
      },
    };
  }
}

/**
 * An LSTM with int8 weights that quantizes its activations to uint8 on every call (PyTorch's
 * dynamically quantized LSTM, torch.ao.nn.quantized.dynamic.LSTM): for each layer and direction
 * the input sequence is quantized once (one scale for all B·T rows, with ChooseQuantizationParams
 * as {@link QuantizedLinear}) and multiplied by the int8 W_ih in the uint8 × int8 → int32 kernel;
 * each step quantizes the hidden state h [B, H] the same way for W_hh; the float biases are added,
 * and the gates, c' = f ⊙ c + i ⊙ g and h' = o ⊙ tanh(c'), run in float32 as {@link LSTM}.
 * Build it from a trained layer with {@link QuantizedLSTM.fromFloat} or {@link quantizeDynamic}.
 *
 * Inference only: its outputs carry no gradient to x, h0 or c0, and a `backward()` through them
 * throws an ArgumentError (train the float LSTM, or with quantization-aware training, then
 * quantize). It has no dropout (PyTorch applies none in eval mode either).
 *
 * Shapes as {@link LSTM}: x (B, T, inputSize); state `{ h0, c0 }` each (L·D, B, H) or omitted
 * (zeros) → output (B, T, D·H), hN and cN (L·D, B, H). Children per layer l and direction:
 * `ih{l}` and `hh{l}` ({@link QuantizedLinear}, suffix `Reverse` for the backward direction), so
 * the state dict holds `ih0.weight` (I8, [4H, inSize]), `ih0.weightScale`, `ih0.weightZeroPoint`
 * (I32), `ih0.bias` (the float biasIh0), `hh0.weight` (I8, [4H, H]), … in the gate order i, f, g, o.
 * @example
 * const q = QuantizedLSTM.fromFloat(new LSTM(3, 4, { rng: new Generator(0) }));
 * q.forward(ones([2, 5, 3])).output.shape; // [2, 5, 4]
 * q.ih0.weight.dtype; // 'I8'
 * @throws ShapeError when x is not [B, T, inputSize] or a state is not [L·D, B, H];
 * ArgumentError on an unknown or mistyped option, or NaN or ±Infinity in x or a state.
 * @category Quantization
 */
export class QuantizedLSTM extends QuantizedRNNBase {
  /**
   * Allocates a layer with zero weights from its config (`q.config().options`), for loading a
   * saved one; {@link QuantizedLSTM.fromFloat} builds one from a trained `LSTM`.
   */
  constructor(config: QuantizedRecurrentConfig) {
    super('QuantizedLSTM', 4, config);
  }

  /**
   * Quantizes a trained LSTM's weightIh and weightHh of every layer and direction to int8 with
   * PyTorch's dynamic qconfig: a symmetric qint8 MinMaxObserver per matrix (or a
   * PerChannelMinMaxObserver along the 4H gate rows with `perChannel`); the biases stay float.
   * The result is in eval mode.
   * @example QuantizedLSTM.fromFloat(new LSTM(2, 3), { perChannel: true }).hh0.weightScale.shape; // [12]
   * @throws ArgumentError if `lstm` is not an LSTM, a weight holds NaN or ±Infinity, or an
   * option is unknown or mistyped.
   */
  static fromFloat(lstm: LSTM, options: DynamicQuantOptions = {}): QuantizedLSTM {
    const op = 'QuantizedLSTM.fromFloat';
    checkArg(op, 'lstm', lstm, instanceOf(LSTM));
    return QuantizedRNNBase.quantizeInto(op, lstm, (c) => new QuantizedLSTM(c), options);
  }

  /** Runs the stack over x [B, T, inputSize] from `state` (zeros for whatever is omitted). */
  forward(x: Tensor, state: LSTMState = {}): LSTMOutput {
    const r = this.run(x, state?.h0, state?.c0, true);
    return { output: r.output, hN: r.hN, cN: r.cN as Tensor };
  }

  /** @internal */
  protected step(B: number, T: number, H: number): Step {
    const GH = 4 * H, f = Math.fround;
    return (gx, gh, t, h, c) => {
      for (let b = 0; b < B; b++) {
        const xr = (b * T + t) * GH, hr = b * GH, sr = b * H;
        for (let j = 0; j < H; j++) {
          const i = f(sigmoid(f(gx[xr + j] + gh[hr + j])));
          const fg = f(sigmoid(f(gx[xr + H + j] + gh[hr + H + j])));
          const g = f(tanh(f(gx[xr + 2 * H + j] + gh[hr + 2 * H + j])));
          const o = f(sigmoid(f(gx[xr + 3 * H + j] + gh[hr + 3 * H + j])));
          const cj = f(f(fg * c[sr + j]) + f(i * g));
          c[sr + j] = cj;
          h[sr + j] = o * f(tanh(cj));
        }
      }
    };
  }
}

/**
 * A GRU with int8 weights that quantizes its activations to uint8 on every call (PyTorch's
 * dynamically quantized GRU, torch.ao.nn.quantized.dynamic.GRU), with the scheme of
 * {@link QuantizedLSTM}: the input sequence quantized once per layer for W_ih, the hidden state
 * each step for W_hh, float biases; the gates in float32 as {@link GRU}:
 * r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
 * Inference only, as {@link QuantizedLSTM}.
 *
 * Shapes as {@link GRU}: x (B, T, inputSize), h0 (L·D, B, H) or omitted (zeros) → output
 * (B, T, D·H), hN (L·D, B, H). Children `ih{l}`, `hh{l}` ({@link QuantizedLinear}, [3H, ·], gate
 * order r, z, n).
 * @example
 * const q = QuantizedGRU.fromFloat(new GRU(3, 4, { bidirectional: true, rng: new Generator(0) }));
 * q.forward(ones([1, 6, 3])).output.shape; // [1, 6, 8]
 * @throws ShapeError when x is not [B, T, inputSize] or h0 is not [L·D, B, H]; ArgumentError
 * on an unknown or mistyped option, or NaN or ±Infinity in x or h0.
 * @category Quantization
 */
export class QuantizedGRU extends QuantizedRNNBase {
  /**
   * Allocates a layer with zero weights from its config (`q.config().options`), for loading a
   * saved one; {@link QuantizedGRU.fromFloat} builds one from a trained `GRU`.
   */
  constructor(config: QuantizedRecurrentConfig) {
    super('QuantizedGRU', 3, config);
  }

  /**
   * Quantizes a trained GRU's weights as {@link QuantizedLSTM.fromFloat} does.
   * @example QuantizedGRU.fromFloat(new GRU(2, 3)).ih0.weight.shape; // [9, 2]
   * @throws ArgumentError if `gru` is not a GRU, a weight holds NaN or ±Infinity, or an option
   * is unknown or mistyped.
   */
  static fromFloat(gru: GRU, options: DynamicQuantOptions = {}): QuantizedGRU {
    const op = 'QuantizedGRU.fromFloat';
    checkArg(op, 'gru', gru, instanceOf(GRU));
    return QuantizedRNNBase.quantizeInto(op, gru, (c) => new QuantizedGRU(c), options);
  }

  /** Runs the stack over x [B, T, inputSize] from h0 (zeros when omitted). */
  forward(x: Tensor, h0: Tensor | null = null): RecurrentOutput {
    const r = this.run(x, h0, null, false);
    return { output: r.output, hN: r.hN };
  }

  /** @internal */
  protected step(B: number, T: number, H: number): Step {
    const GH = 3 * H, f = Math.fround;
    return (gx, gh, t, h) => {
      for (let b = 0; b < B; b++) {
        const xr = (b * T + t) * GH, hr = b * GH, sr = b * H;
        for (let j = 0; j < H; j++) {
          const r = f(sigmoid(f(gx[xr + j] + gh[hr + j])));
          const z = f(sigmoid(f(gx[xr + H + j] + gh[hr + H + j])));
          const n = f(tanh(f(gx[xr + 2 * H + j] + f(gh[hr + 2 * H + j] * r))));
          const hj = h[sr + j];
          h[sr + j] = f(f(hj - n) * z) + n;
        }
      }
    };
  }
}
