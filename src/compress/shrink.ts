/**
 * `shrink`: structured pruning made physical. Output channels whose weights are all zero are cut
 * out of a Conv2d or Linear, together with their BatchNorm entries and the next layer's matching
 * input channels, so the network is really smaller and faster and computes the same outputs.
 */
import { ELU, GELU, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh, Identity } from '../nn/activations';
import { AvgPool2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d } from '../nn/layers';
import { Module } from '../nn/module';
import { BatchNorm1d, BatchNorm2d } from '../nn/normalization';
import { Sequential } from '../nn/sequential';
import { noGrad } from '../tensor/autograd';
import { ArgumentError, TensorkitError } from '../tensor/errors';
import { checkArg, instanceOf } from '../tensor/options';
import { Tensor } from '../tensor/tensor';
import { prunedNames } from './prune';
import { replaceModule } from './swap';

/** What {@link shrink} did to one producer layer. @category Compression */
export interface ShrinkStep {
  /** The producer's position in its Sequential (dotted from the model). */
  layer: string;
  /** Output channels before. */
  before: number;
  /** Output channels after. */
  after: number;
}

type Producer = Conv2d | Linear;

/** A padding option (a number or a [h, w] pair) that adds nothing. */
function isZeroPadding(p: unknown): boolean {
  return p === 0 || (Array.isArray(p) && p.every((v) => v === 0));
}

/** Layers a dead channel's constant passes through unchanged in position (per-channel maps). */
function isPassThrough(m: Module): boolean {
  if (m instanceof MaxPool2d || m instanceof Dropout || m instanceof Flatten || m instanceof BatchNorm1d || m instanceof BatchNorm2d) return true;
  if (m instanceof AvgPool2d) return isZeroPadding(m.config().options.padding);
  return m instanceof ReLU || m instanceof LeakyReLU || m instanceof ELU || m instanceof GELU || m instanceof Tanh
    || m instanceof Sigmoid || m instanceof Softplus || m instanceof Identity;
}

function outChannels(p: Producer): number {
  return p instanceof Conv2d ? p.outChannels : p.outFeatures;
}

/** Channels whose weight slice is all zero. */
function deadChannels(p: Producer): number[] {
  const C = outChannels(p), per = p.weight.size / C, w = p.weight.data;
  const dead: number[] = [];
  for (let c = 0; c < C; c++) {
    let zero = true;
    for (let i = c * per; i < (c + 1) * per && zero; i++) if (w[i] !== 0) zero = false;
    if (zero) dead.push(c);
  }
  return dead;
}

/** Copies entries [c] of a per-channel tensor for the kept channels. */
function keepRows(src: Float32Array, dst: Float32Array, keep: readonly number[], per: number): void {
  keep.forEach((c, j) => dst.set(src.subarray(c * per, (c + 1) * per), j * per));
}

/**
 * Removes the output channels of `Conv2d` (groups 1) and `Linear` layers whose weights are all zero
 * — what `lnStructured(layer, 'weight', { dim: 0 })` and `removePruning` leave — from every
 * `Sequential` in the model, with the matching entries of a following BatchNorm and the matching
 * input channels (or flattened features) of the next Conv2d or Linear. A removed channel still
 * output its bias; that constant is carried through the layers between (BatchNorm, elementwise
 * activations, MaxPool, unpadded AvgPool, Dropout, Flatten) and folded into the next layer's bias,
 * so the shrunk model computes the same outputs as the masked one (up to float32 rounding). A
 * channel is kept when that is not exact: the next layer is a padded Conv2d and the constant is not
 * 0, a layer in between is not one of those above, or there is no next layer (the model's outputs
 * keep their width). Prune with `removePruning` first: a still-pruned layer is refused. The model is
 * changed in place and put in eval mode (BatchNorm uses its running statistics); the steps taken
 * are returned.
 * @example
 * const net = new Sequential(new Linear(4, 6), new ReLU(), new Linear(6, 2));
 * (net[0] as Linear).weight.data.fill(0, 0, 12); // output channels 0–2 have zero weights
 * shrink(net)[0].after; // 3
 * @throws ArgumentError if `model` is not a Module or holds a layer that is still pruned.
 * @category Compression
 */
export function shrink(model: Module): ShrinkStep[] {
  const op = 'shrink';
  checkArg(op, 'model', model, instanceOf(Module));
  for (const [name, m] of model.namedModules()) {
    if (prunedNames(m).length > 0) throw new ArgumentError(`${op}: layer '${name || m.constructor.name}' is still pruned; call removePruning first so its zeros are permanent`);
  }
  model.eval();
  const steps: ShrinkStep[] = [];
  for (const [name, m] of model.namedModules()) {
    if (m instanceof Sequential) shrinkSequential(m, name, steps);
  }
  return steps;
}

function shrinkSequential(seq: Sequential, prefix: string, steps: ShrinkStep[]): void {
  const layers = seq.children();
  const cell = seq as unknown as Record<number, Module>;
  for (let i = 0; i < layers.length; i++) {
    const p = cell[i];
    if (!(p instanceof Linear || (p instanceof Conv2d && p.config().options.groups === 1))) continue;
    let j = i + 1;
    while (j < layers.length && isPassThrough(cell[j])) j++;
    const next = cell[j];
    if (!(next instanceof Linear || (next instanceof Conv2d && next.config().options.groups === 1))) continue;
    const dead = deadChannels(p);
    if (dead.length === 0) continue;
    const C = outChannels(p);
    // The constant each channel outputs when its weights are zero, through the layers in between.
    const consts = channelConstants(p, cell, i + 1, j, C);
    if (consts === null) continue;
    const nextIn = next instanceof Linear ? next.inFeatures : next.inChannels;
    if (nextIn % C !== 0) continue;
    const span = nextIn / C; // flattened features per channel (1 for a Conv2d or a plain Linear)
    const padded = next instanceof Conv2d && !isZeroPadding(next.config().options.padding);
    const remove = dead.filter((c) => consts[c] === 0 || !padded);
    if (remove.length === 0 || remove.length === C) continue;
    const keep = [...Array(C).keys()].filter((c) => !remove.includes(c));
    const name = prefix ? `${prefix}.${i}` : String(i);
    replaceModule(seq, String(i), cutOutputs(p, keep), 'shrink');
    for (let k = i + 1; k < j; k++) {
      if (cell[k] instanceof BatchNorm1d || cell[k] instanceof BatchNorm2d) replaceModule(seq, String(k), cutBatchNorm(cell[k] as BatchNorm2d, keep), 'shrink');
    }
    replaceModule(seq, String(j), cutInputs(next, keep, remove, consts, span), 'shrink');
    steps.push({ layer: name, before: C, after: keep.length });
  }
}

/** Per-channel constants after layers [from, to) for a producer whose dead channels output their bias. */
function channelConstants(p: Producer, cell: Record<number, Module>, from: number, to: number, C: number): Float64Array | null {
  const bias = p.bias?.data ?? new Float32Array(C);
  const spatial = p instanceof Conv2d;
  // A constant map big enough for any pooling in between: 16 × 16 per channel.
  const S = spatial ? 16 : 1;
  const x = Tensor.empty(spatial ? [1, C, S, S] : [1, C]);
  for (let c = 0; c < C; c++) x.data.fill(bias[c], c * S * S, (c + 1) * S * S);
  let h: Tensor = x;
  try {
    noGrad(() => {
      for (let k = from; k < to; k++) h = (cell[k].forward as (t: Tensor) => Tensor)(h);
    });
  } catch (e) {
    // A layer in between that cannot take the 16 × 16 map (a pooling window past it): the
    // constants are unknown, so this producer's channels are kept.
    if (e instanceof TensorkitError) return null;
    throw e;
  }
  const per = h.size / C;
  const out = new Float64Array(C);
  for (let c = 0; c < C; c++) out[c] = h.data[c * per];
  return out;
}

function cutOutputs(p: Producer, keep: readonly number[]): Producer {
  const per = p.weight.size / outChannels(p);
  const q = p instanceof Conv2d
    ? new Conv2d({ ...p.config().options, outChannels: keep.length })
    : new Linear({ ...p.config().options, outFeatures: keep.length });
  keepRows(p.weight.data, q.weight.data, keep, per);
  if (p.bias !== null) keepRows(p.bias.data, q.bias!.data, keep, 1);
  q.training = p.training;
  return q;
}

function cutBatchNorm(bn: BatchNorm2d, keep: readonly number[]): BatchNorm2d {
  const Cls = bn.constructor as typeof BatchNorm2d;
  const q = new Cls({ ...bn.config().options, numFeatures: keep.length });
  for (const key of ['weight', 'bias', 'runningMean', 'runningVar'] as const) {
    const a = bn[key], b = q[key];
    if (a !== null && b !== null) keepRows(a.data, b.data, keep, 1);
  }
  if (bn.numBatchesTracked !== null && q.numBatchesTracked !== null) q.numBatchesTracked.data[0] = bn.numBatchesTracked.data[0];
  q.training = bn.training;
  return q;
}

/** The next layer without the removed input channels, their constants folded into its bias. */
function cutInputs(next: Producer, keep: readonly number[], remove: readonly number[], consts: Float64Array, span: number): Producer {
  const O = outChannels(next);
  const inOld = next instanceof Linear ? next.inFeatures : next.inChannels;
  const inner = next.weight.size / (O * inOld); // kernel positions per input channel (1 for Linear)
  const fold = remove.some((c) => consts[c] !== 0);
  const q = next instanceof Conv2d
    ? new Conv2d({ ...next.config().options, inChannels: keep.length, bias: next.bias !== null || fold })
    : new Linear({ ...next.config().options, inFeatures: keep.length * span, bias: next.bias !== null || fold });
  const w = next.weight.data, qw = q.weight.data, qInF = keep.length * span;
  for (let o = 0; o < O; o++) {
    keep.forEach((c, jc) => {
      const src = (o * inOld + c * span) * inner, dst = (o * qInF + jc * span) * inner;
      qw.set(w.subarray(src, src + span * inner), dst);
    });
  }
  if (q.bias !== null) {
    if (next.bias !== null) q.bias.data.set(next.bias.data);
    else q.bias.data.fill(0);
    for (let o = 0; o < O; o++) {
      let add = 0;
      for (const c of remove) {
        if (consts[c] === 0) continue;
        const base = (o * inOld + c * span) * inner;
        let s = 0;
        for (let t = 0; t < span * inner; t++) s += w[base + t];
        add += consts[c] * s;
      }
      q.bias.data[o] += add;
    }
  }
  q.training = next.training;
  return q;
}
