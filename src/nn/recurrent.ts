import {
  ArgumentError, Generator, Parameter, ShapeError, Tensor, concat, dropout, reshape, split, stack,
} from '../tensor/index';
import { fmtShape } from '../tensor/errors';
import { gruLayer, lstmLayer, rnnLayer, type LstmLayerResult, type RecurrentLayerResult } from '../tensor/ops/rnn';
import { describe } from '../tensor/shape';
import { bool, oneOf, posInt, prob, rng, type OptionSpec } from '../tensor/options';
import { type LayerConfig, layerArgs, layerRng } from './config';
import { Module } from './module';

/** Options of {@link RNN}, {@link LSTM} and {@link GRU}. */
export interface RecurrentOptions {
  /** Stacked layers; layer l > 0 reads the output of layer l − 1 (default 1). */
  numLayers?: number;
  /** Add a second direction that reads the sequence from the end; outputs are concatenated (default false). */
  bidirectional?: boolean;
  /** Dropout probability on the output of every layer but the last, in training mode only (default 0). */
  dropout?: number;
  /** Learn the biases `biasIh{l}` and `biasHh{l}` (default true). */
  bias?: boolean;
  /** Generator of the initial weights and then of the dropout masks (default: the global one). */
  rng?: Generator;
}

/** Options of {@link RNN}. */
export interface RNNOptions extends RecurrentOptions {
  /** Activation of the Elman cell (default `'tanh'`). */
  nonlinearity?: 'tanh' | 'relu';
}

/** The single-argument form of {@link LSTM} and {@link GRU}: what `config().options` returns, plus `rng`. */
export interface RecurrentConfig extends RecurrentOptions {
  /** Features C of each input time step. */
  inputSize: number;
  /** Hidden units H per direction. */
  hiddenSize: number;
}

/** The single-argument form of {@link RNN}: what its `config().options` returns, plus `rng`. */
export interface RNNConfig extends RNNOptions {
  /** Features C of each input time step. */
  inputSize: number;
  /** Hidden units H per direction. */
  hiddenSize: number;
}

/** What {@link RNN} and {@link GRU} return. */
export interface RecurrentOutput {
  /** The last layer's hidden state at every time step, [B, T, D·H] (both directions concatenated). */
  output: Tensor;
  /** Final hidden state of every layer and direction, [L·D, B, H], index l·D + d (as PyTorch). */
  hN: Tensor;
}

/** What {@link LSTM} returns. */
export interface LSTMOutput extends RecurrentOutput {
  /** Final cell state of every layer and direction, [L·D, B, H]. */
  cN: Tensor;
}

/** Initial state of an {@link LSTM}; either may be omitted (zeros). */
export interface LSTMState {
  /** Initial hidden state [L·D, B, H]. */
  h0?: Tensor | null;
  /** Initial cell state [L·D, B, H]. */
  c0?: Tensor | null;
}

interface Config {
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  dropout: number;
  bias: boolean;
}

const RECURRENT = {
  inputSize: posInt, hiddenSize: posInt, numLayers: posInt, bidirectional: bool, dropout: prob, bias: bool, rng,
};
const RNN_SPEC = { ...RECURRENT, nonlinearity: oneOf<'tanh' | 'relu'>(['tanh', 'relu']) };

/** Field-name suffix of layer l, direction d: `0`, `0Reverse`, `1`, … */
function suffix(l: number, d: number): string {
  return d === 0 ? `${l}` : `${l}Reverse`;
}

/**
 * Assigns the weights as own fields in PyTorch's order (per layer, per direction: weightIh,
 * weightHh, biasIh, biasHh), so reflection finds them under PyTorch's names in camelCase.
 */
function registerWeights(m: Module, G: number, c: Config, rng: Generator): void {
  const fields = m as unknown as Record<string, Parameter>;
  const H = c.hiddenSize, D = c.bidirectional ? 2 : 1;
  const k = 1 / Math.sqrt(H);
  for (let l = 0; l < c.numLayers; l++) {
    const inSize = l === 0 ? c.inputSize : D * H;
    for (let d = 0; d < D; d++) {
      const s = suffix(l, d);
      fields[`weightIh${s}`] = Parameter.uniform([G * H, inSize], -k, k, rng);
      fields[`weightHh${s}`] = Parameter.uniform([G * H, H], -k, k, rng);
      if (c.bias) {
        fields[`biasIh${s}`] = Parameter.uniform([G * H], -k, k, rng);
        fields[`biasHh${s}`] = Parameter.uniform([G * H], -k, k, rng);
      }
    }
  }
}

/** Splits an initial state [L·D, B, H] into L·D tensors [B, H], or null when absent. */
function splitState(layer: string, name: string, s: Tensor | null | undefined, c: Config, B: number): Tensor[] | null {
  if (s === undefined || s === null) return null;
  const LD = c.numLayers * (c.bidirectional ? 2 : 1);
  if (!(s instanceof Tensor)) throw new ArgumentError(`${layer}: ${name} must be a Tensor, got ${describe(s)}`);
  if (s.ndim !== 3 || s.shape[0] !== LD || s.shape[1] !== B || s.shape[2] !== c.hiddenSize) {
    throw new ShapeError(`${layer}: ${name} ${fmtShape(s.shape)} must be [${LD}, ${B}, ${c.hiddenSize}] = [numLayers·numDirections, B, hiddenSize]`);
  }
  if (LD === 1) return [reshape(s, [B, c.hiddenSize])];
  return split(s, LD, 0).map((t) => reshape(t, [B, c.hiddenSize]));
}

/**
 * What every recurrent layer shares (PyTorch's `nn.RNNBase`): the configuration, the weights as
 * own fields under PyTorch's names in camelCase, and the layer stack. Subclasses add the cell.
 * @example new LSTM(2, 3) instanceof RNNBase; // true
 * @category Layers
 */
export abstract class RNNBase extends Module {
  /** Features C of each input time step. */
  readonly inputSize: number;
  /** Hidden units H per direction. */
  readonly hiddenSize: number;
  /** Stacked layers L. */
  readonly numLayers: number;
  /** Whether a second direction reads the sequence from the end (D = 2). */
  readonly bidirectional: boolean;
  /** Dropout probability on the outputs of all layers but the last, in training mode. */
  readonly dropout: number;
  /** Whether the layer has the biases `biasIh{l}`, `biasHh{l}`. */
  readonly bias: boolean;
  /** The weights, reachable as fields by name (`weightIh0`, `biasHh1Reverse`, …). */
  [name: `weightIh${string}` | `weightHh${string}` | `biasIh${string}` | `biasHh${string}`]: Parameter;
  private readonly rng: Generator | undefined;
  private readonly cfg: Config;
  private readonly layerName: string;

  /**
   * Validates the arguments (positional or the config object, with `spec`) and registers the
   * weights of `gates` gates per layer and direction. @internal
   */
  protected constructor(
    layer: string, gates: number, spec: OptionSpec, inputSize: unknown, hiddenSize: number | undefined, options: RecurrentOptions | undefined,
  ) {
    super();
    const o = layerArgs(layer, spec as typeof RNN_SPEC, ['inputSize', 'hiddenSize'], [inputSize, hiddenSize], options);
    const c: Config = {
      inputSize: o.inputSize!, hiddenSize: o.hiddenSize!, numLayers: o.numLayers ?? 1, bidirectional: o.bidirectional ?? false,
      dropout: o.dropout ?? 0, bias: o.bias ?? true,
    };
    this.inputSize = c.inputSize;
    this.hiddenSize = c.hiddenSize;
    this.numLayers = c.numLayers;
    this.bidirectional = c.bidirectional;
    this.dropout = c.dropout;
    this.bias = c.bias;
    this.rng = o.rng;
    this.cfg = c;
    this.layerName = layer;
    this.readExtraOptions(o);
    registerWeights(this, gates, c, layerRng(o.rng));
  }

  /** Reads what the subclass adds to the shared options (before the weights are drawn). @internal */
  protected readExtraOptions(_options: Record<string, unknown>): void {}

  /** One layer in one direction: the fused op of the subclass's cell. @internal */
  protected abstract cell(
    x: Tensor, h0: Tensor | null, wIh: Tensor, wHh: Tensor, bIh: Tensor | null, bHh: Tensor | null, reverse: boolean, c0: Tensor | null,
  ): RecurrentLayerResult & { cN?: Tensor };

  /**
   * Runs the stack: both directions of a layer read the same input and their outputs are joined
   * on the feature axis; dropout sits between layers in training mode. @internal
   */
  protected run(x: Tensor, h0In: Tensor | null | undefined, c0In: Tensor | null | undefined): { output: Tensor; hN: Tensor; cN: Tensor | null } {
    const c = this.cfg, layer = this.layerName;
    if (!(x instanceof Tensor)) throw new ArgumentError(`${layer}: x must be a Tensor, got ${describe(x)}`);
    if (x.ndim !== 3 || x.shape[2] !== c.inputSize) {
      throw new ShapeError(`${layer}: x ${fmtShape(x.shape)} must be [B, T, ${c.inputSize}] (batch first, inputSize ${c.inputSize})`);
    }
    const B = x.shape[0];
    const h0 = splitState(layer, 'h0', h0In, c, B);
    const c0 = splitState(layer, 'c0', c0In, c, B);
    const fields = this as unknown as Record<string, Parameter | undefined>;
    const D = c.bidirectional ? 2 : 1;
    const hN: Tensor[] = [];
    const cN: Tensor[] = [];
    let input = x;
    for (let l = 0; l < c.numLayers; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const k = l * D + d;
        const s = suffix(l, d);
        const r = this.cell(
          input, h0 === null ? null : h0[k],
          fields[`weightIh${s}`] as Parameter, fields[`weightHh${s}`] as Parameter, fields[`biasIh${s}`] ?? null, fields[`biasHh${s}`] ?? null,
          d === 1, c0 === null ? null : c0[k],
        );
        outs.push(r.output);
        hN.push(r.hN);
        if (r.cN !== undefined) cN.push(r.cN);
      }
      let out = D === 1 ? outs[0] : concat(outs, 2);
      if (l < c.numLayers - 1 && c.dropout > 0 && this.training) out = dropout(out, c.dropout, { training: true, rng: layerRng(this.rng) });
      input = out;
    }
    return { output: input, hN: stack(hN, 0), cN: cN.length > 0 ? stack(cN, 0) : null };
  }

  override config(): LayerConfig<RecurrentConfig> {
    const c = this.cfg;
    return {
      type: this.layerName,
      options: {
        inputSize: c.inputSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, bidirectional: c.bidirectional,
        dropout: c.dropout, bias: c.bias,
      },
    };
  }
}

/**
 * Long short-term memory (Hochreiter & Schmidhuber 1997), PyTorch's `nn.LSTM` with
 * `batch_first=True` (our only layout): for each layer, direction and time step,
 * i, f, g, o = σ, σ, tanh, σ of the four H-row blocks of x_t·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh,
 * c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c'). Each layer and direction runs as one fused op
 * ({@link lstmLayer}) with a hand-written backpropagation through time.
 *
 * Parameters, in PyTorch's layout and gate order (i, f, g, o) so weights port both ways:
 * `weightIh{l}` [4H, inSize] (inSize = inputSize for l = 0, else D·H), `weightHh{l}` [4H, H],
 * `biasIh{l}`, `biasHh{l}` [4H]; the reverse direction adds the suffix `Reverse`
 * (`weightIh0Reverse`). PyTorch's `weight_ih_l0_reverse` is our `weightIh0Reverse`.
 *
 * Shapes: x (B, T, inputSize); state `{ h0, c0 }` each (L·D, B, H) or omitted (zeros) →
 * output (B, T, D·H), hN (L·D, B, H), cN (L·D, B, H), with L = numLayers, D = 2 if bidirectional
 * else 1, H = hiddenSize. hN[l·D + d] is layer l, direction d (d = 1 reads from the end).
 * Init: every weight and bias U(−k, k), k = 1/√hiddenSize (PyTorch's default).
 * @example
 * const lstm = new LSTM(3, 5, { numLayers: 2, bidirectional: true });
 * const { output, hN, cN } = lstm.forward(zeros([4, 7, 3]));
 * output.shape; // [4, 7, 10]
 * hN.shape; // [4, 4, 5]
 * cN.shape; // [4, 4, 5]
 * lstm.weightHh1Reverse.shape; // [20, 5]
 * @throws ShapeError when x is not [B, T, inputSize] or a state is not [L·D, B, H];
 * ArgumentError on invalid options.
 * @see Hochreiter & Schmidhuber, "Long Short-Term Memory" (1997), https://doi.org/10.1162/neco.1997.9.8.1735
 * @category Layers
 */
export class LSTM extends RNNBase {
  /** Builds the layer from its config object (`lstm.config().options`). */
  constructor(config: RecurrentConfig);
  constructor(inputSize: number, hiddenSize: number, options?: RecurrentOptions);
  constructor(inputSize: number | RecurrentConfig, hiddenSize?: number, options?: RecurrentOptions) {
    super('LSTM', 4, RECURRENT, inputSize, hiddenSize, options);
  }
  /** Runs the stack over x [B, T, inputSize] from `state` (zeros for whatever is omitted). */
  forward(x: Tensor, state: LSTMState = {}): LSTMOutput {
    const r = this.run(x, state?.h0, state?.c0);
    return { output: r.output, hN: r.hN, cN: r.cN as Tensor };
  }
  /** @internal */
  protected cell(x: Tensor, h0: Tensor | null, wIh: Tensor, wHh: Tensor, bIh: Tensor | null, bHh: Tensor | null, reverse: boolean, c0: Tensor | null): LstmLayerResult {
    return lstmLayer(x, h0, c0, wIh, wHh, bIh, bHh, { reverse });
  }
}

/**
 * Gated recurrent unit (Cho et al. 2014), PyTorch's `nn.GRU` with `batch_first=True` (our only
 * layout): for each layer, direction and time step,
 * r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h
 * (b_hn inside the product with r, exactly as PyTorch). Each layer and direction runs as one
 * fused op ({@link gruLayer}).
 *
 * Parameters, in PyTorch's layout and gate order (r, z, n): `weightIh{l}` [3H, inSize],
 * `weightHh{l}` [3H, H], `biasIh{l}`, `biasHh{l}` [3H]; suffix `Reverse` for the backward
 * direction.
 *
 * Shapes: x (B, T, inputSize), h0 (L·D, B, H) or omitted (zeros) → output (B, T, D·H),
 * hN (L·D, B, H).
 * Init: every weight and bias U(−k, k), k = 1/√hiddenSize (PyTorch's default).
 * @example
 * const gru = new GRU(2, 3, { bidirectional: true });
 * gru.namedParameters().map(([n]) => n).slice(0, 5); // ['weightIh0', 'weightHh0', 'biasIh0', 'biasHh0', 'weightIh0Reverse']
 * gru.forward(zeros([1, 4, 2])).output.shape; // [1, 4, 6]
 * @throws ShapeError when x is not [B, T, inputSize] or h0 is not [L·D, B, H]; ArgumentError on
 * invalid options.
 * @see Cho et al., "Learning Phrase Representations using RNN Encoder–Decoder for Statistical Machine Translation" (2014), https://arxiv.org/abs/1406.1078
 * @category Layers
 */
export class GRU extends RNNBase {
  /** Builds the layer from its config object (`gru.config().options`). */
  constructor(config: RecurrentConfig);
  constructor(inputSize: number, hiddenSize: number, options?: RecurrentOptions);
  constructor(inputSize: number | RecurrentConfig, hiddenSize?: number, options?: RecurrentOptions) {
    super('GRU', 3, RECURRENT, inputSize, hiddenSize, options);
  }
  /** Runs the stack over x [B, T, inputSize] from h0 (zeros when omitted). */
  forward(x: Tensor, h0: Tensor | null = null): RecurrentOutput {
    const r = this.run(x, h0, null);
    return { output: r.output, hN: r.hN };
  }
  /** @internal */
  protected cell(x: Tensor, h0: Tensor | null, wIh: Tensor, wHh: Tensor, bIh: Tensor | null, bHh: Tensor | null, reverse: boolean): RecurrentLayerResult {
    return gruLayer(x, h0, wIh, wHh, bIh, bHh, { reverse });
  }
}

/**
 * Elman recurrent network, PyTorch's `nn.RNN` with `batch_first=True` (our only layout): for
 * each layer, direction and time step, h' = act(x_t·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) with
 * act = tanh (default) or relu. Each layer and direction runs as one fused op ({@link rnnLayer}).
 *
 * Parameters, in PyTorch's layout: `weightIh{l}` [H, inSize], `weightHh{l}` [H, H],
 * `biasIh{l}`, `biasHh{l}` [H]; suffix `Reverse` for the backward direction.
 *
 * Shapes: x (B, T, inputSize), h0 (L·D, B, H) or omitted (zeros) → output (B, T, D·H),
 * hN (L·D, B, H).
 * Init: every weight and bias U(−k, k), k = 1/√hiddenSize (PyTorch's default).
 * @example
 * const rnn = new RNN(4, 8, { numLayers: 3, nonlinearity: 'relu' });
 * const { output, hN } = rnn.forward(zeros([2, 5, 4]));
 * output.shape; // [2, 5, 8]
 * hN.shape; // [3, 2, 8]
 * @throws ShapeError when x is not [B, T, inputSize] or h0 is not [L·D, B, H]; ArgumentError on
 * invalid options or an unknown nonlinearity.
 * @see Elman, "Finding Structure in Time" (1990), https://doi.org/10.1207/s15516709cog1402_1
 * @category Layers
 */
export class RNN extends RNNBase {
  /** Activation of the cell. */
  declare readonly nonlinearity: 'tanh' | 'relu';
  /** Builds the layer from its config object (`rnn.config().options`). */
  constructor(config: RNNConfig);
  constructor(inputSize: number, hiddenSize: number, options?: RNNOptions);
  constructor(inputSize: number | RNNConfig, hiddenSize?: number, options?: RNNOptions) {
    super('RNN', 1, RNN_SPEC, inputSize, hiddenSize, options);
  }
  /** @internal */
  protected override readExtraOptions(options: { nonlinearity?: 'tanh' | 'relu' }): void {
    (this as { nonlinearity: 'tanh' | 'relu' }).nonlinearity = options.nonlinearity ?? 'tanh';
  }
  /** Runs the stack over x [B, T, inputSize] from h0 (zeros when omitted). */
  forward(x: Tensor, h0: Tensor | null = null): RecurrentOutput {
    const r = this.run(x, h0, null);
    return { output: r.output, hN: r.hN };
  }
  /** @internal */
  protected cell(x: Tensor, h0: Tensor | null, wIh: Tensor, wHh: Tensor, bIh: Tensor | null, bHh: Tensor | null, reverse: boolean): RecurrentLayerResult {
    return rnnLayer(x, h0, wIh, wHh, bIh, bHh, { reverse, nonlinearity: this.nonlinearity });
  }
  override config(): LayerConfig<RNNConfig> {
    const c = super.config();
    return { ...c, options: { ...c.options, nonlinearity: this.nonlinearity } };
  }
}
