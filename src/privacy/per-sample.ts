import { Module } from '../nn/module';
import { Linear, Conv2d } from '../nn/layers';
import { Embedding } from '../nn/embedding';
import { LayerNorm, BatchNorm1d, BatchNorm2d } from '../nn/normalization';
import { Tensor, type Parameter } from '../tensor/tensor';
import { ArgumentError, ShapeError, fmtShape } from '../tensor/errors';
import { enableGrad, isGradEnabled } from '../tensor/autograd';
import { allocFloat32 } from '../tensor/alloc';
import { bool, oneOf, parseOptions } from '../tensor/options';
import { describe } from '../tensor/shape';
import { add, mul } from '../tensor/ops/binary';
import { sum } from '../tensor/ops/reduce';

/** How the loss reduces over the batch: `'mean'` (PyTorch's default) or `'sum'`. @category Privacy */
export type LossReduction = 'mean' | 'sum';

/** Options of {@link GradSampler} and {@link perSampleGradients}. @category Privacy */
export interface GradSamplerOptions {
  /**
   * How the training loss reduces over the batch (default `'mean'`, as `crossEntropy`): with
   * `'mean'` the captured gradients carry a factor 1/B, which is undone (Opacus' `loss_reduction`).
   */
  lossReduction?: LossReduction;
  /**
   * Allow the per-sample loop for modules with parameters but no rule (default true). With false,
   * such a module is an `ArgumentError` naming it.
   */
  fallback?: boolean;
}

/** A parameter's per-sample gradients: `grad` holds B rows of `param.size` values. @category Privacy */
export interface PerSampleGrad {
  /** The parameter. */
  param: Parameter;
  /** The B per-sample gradients, row b at `[b · param.size, (b + 1) · param.size)`. */
  grad: Float32Array;
}

/** How a hooked module's per-sample gradients are computed: a closed-form rule, or `'loop'` (replay per sample). @category Privacy */
export type SamplerRule = 'linear' | 'conv2d' | 'embedding' | 'layernorm' | 'loop';
type Rule = SamplerRule;

/** A hooked module in {@link GradSampler.rules}. @category Privacy */
export interface HookedModule {
  /** Its path in the model (`''` for the model itself). */
  path: string;
  /** Its class name. */
  type: string;
  /** The rule that computes its per-sample gradients. */
  rule: SamplerRule;
}

/** Per-sample gradients of one batch. @category Privacy */
export interface PerSampleResult {
  /** B, the samples in the batch. */
  batchSize: number;
  /** One entry per hooked parameter. */
  grads: PerSampleGrad[];
}

/**
 * One forward call of a hooked module: its inputs, the tensors of its output (one for a Tensor
 * output; each Tensor of a record or array output, as the recurrent layers and attention return,
 * in key order) and, after backward, each one's gradient (null where the loss did not reach it).
 */
interface Call { inputs: unknown[]; outputs: Tensor[]; grads: (Float32Array | null)[] }

/** Most levels of arrays and records searched for the tensors of a module's output. */
const MAX_OUTPUT_DEPTH = 4;

/** The tensors of a module's output, in a fixed order: the output itself, or the Tensors inside its arrays and records. */
function outputTensors(v: unknown, out: Tensor[] = [], depth = 0): Tensor[] {
  if (v instanceof Tensor) out.push(v);
  else if (depth < MAX_OUTPUT_DEPTH && Array.isArray(v)) for (const e of v) outputTensors(e, out, depth + 1);
  else if (depth < MAX_OUTPUT_DEPTH && v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    for (const k of Object.keys(v)) outputTensors((v as Record<string, unknown>)[k], out, depth + 1);
  }
  return out;
}

interface Hooked { module: Module; path: string; rule: Rule; params: Parameter[]; calls: Call[] }

/** The modules whose per-sample gradients have a rule computed from activations and output gradients. */
const RULES = 'Linear, Conv2d, Embedding, LayerNorm';

let replaying = false;

/** The parameters a module owns itself (not through its children) that require grad. */
function ownParams(m: Module): Parameter[] {
  return m.namedParameters().filter(([n, p]) => !n.includes('.') && p.requiresGrad).map(([, p]) => p);
}

function ruleOf(m: Module): Rule {
  if (m instanceof Linear) return 'linear';
  if (m instanceof Conv2d) return 'conv2d';
  if (m instanceof Embedding) return 'embedding';
  if (m instanceof LayerNorm) return 'layernorm';
  return 'loop';
}

/**
 * Per-sample gradients by forward hooks and output-gradient hooks, Opacus' `GradSampleModule`:
 * each hooked module records its input on the forward pass and its output's gradient on the
 * backward pass; {@link GradSampler.perSample} then computes every sample's gradient of every
 * parameter. `Linear`, `Conv2d`, `Embedding` and `LayerNorm` have closed-form rules (outer products
 * of activations and output gradients); every other module owning parameters replays its forward
 * and backward once per sample on the recorded input and output gradient (correct when its
 * forward treats samples independently; slower). The replay slices each Tensor argument whose first
 * dimension is B, and reads every Tensor of the output: a Tensor, or the Tensors of a record or
 * array (the recurrent layers' `{ output, hN, cN }`, attention's `{ output, weights }`), with the
 * batch axis wherever it differs (B against 1), as `hN`'s second axis. A module that draws random
 * numbers in forward (dropout inside it) draws again in the replay. BatchNorm mixes samples through
 * its batch statistics, so it is refused (use GroupNorm or LayerNorm).
 * @example
 * const net = new Linear(3, 2);
 * const s = new GradSampler(net);
 * sum(net.forward(ones([4, 3]))).backward();
 * s.perSample().batchSize; // 4
 * @throws ArgumentError for a BatchNorm layer (no fallback applies), a module with parameters and
 * no rule when `fallback` is false, or bad options.
 * @category Privacy
 */
export class GradSampler {
  /** The hooked model. */
  readonly model: Module;
  /** How the loss reduces over the batch. */
  readonly lossReduction: LossReduction;
  private readonly hooked: Hooked[] = [];
  private readonly handles: { remove(): void }[] = [];

  constructor(model: Module, options: GradSamplerOptions = {}) {
    const op = 'GradSampler';
    if (!(model instanceof Module)) throw new ArgumentError(`${op}: model must be a Module, got ${describe(model)}`);
    const o = parseOptions(op, options, { lossReduction: oneOf(['mean', 'sum'] as const), fallback: bool });
    this.model = model;
    this.lossReduction = o.lossReduction ?? 'mean';
    const fallback = o.fallback ?? true;
    for (const [path, m] of model.namedModules()) {
      const where = `${m.constructor.name}${path === '' ? ' (the model)' : ` at '${path}'`}`;
      if (m instanceof BatchNorm1d || m instanceof BatchNorm2d) {
        throw new ArgumentError(`${op}: ${where} mixes samples through batch statistics, so per-sample gradients are undefined and no fallback applies; use GroupNorm or LayerNorm`);
      }
      const params = ownParams(m);
      if (params.length === 0) continue;
      const rule = ruleOf(m);
      if (rule === 'loop' && !fallback) {
        throw new ArgumentError(`${op}: ${where} has parameters but no per-sample gradient rule (rules: ${RULES}); the per-sample loop fallback applies unless fallback is false`);
      }
      const h: Hooked = { module: m, path, rule, params, calls: [] };
      this.hooked.push(h);
      this.handles.push(m.registerForwardHook((_mod, inputs, output) => {
        if (replaying || !isGradEnabled()) return undefined;
        const outputs = outputTensors(output);
        if (!outputs.some((t) => t.requiresGrad)) return undefined;
        const call: Call = { inputs, outputs, grads: outputs.map(() => null) };
        h.calls.push(call);
        outputs.forEach((t, k) => {
          if (!t.requiresGrad) return;
          t.registerHook((g) => {
            call.grads[k] = Float32Array.from(g.data);
            return undefined;
          });
        });
        return undefined;
      }));
    }
  }

  /** The hooked modules: their path in the model and the rule that computes their per-sample gradients. */
  get rules(): HookedModule[] {
    return this.hooked.map((h) => ({ path: h.path, type: h.module.constructor.name, rule: h.rule }));
  }

  /** Forgets the recorded activations and gradients (call it with the optimizer's `zeroGrad`). */
  clear(): void {
    for (const h of this.hooked) h.calls.length = 0;
  }

  /** Removes the hooks from the model. */
  remove(): void {
    for (const h of this.handles) h.remove();
    this.handles.length = 0;
    this.clear();
  }

  /**
   * Every sample's gradient of every hooked parameter, from the forward and backward pass since the
   * last {@link GradSampler.clear} (calls of one module add up, as weight sharing does). A parameter
   * the pass did not reach gets zeros.
   * @throws ArgumentError when no forward pass was recorded, or the recorded passes disagree on B;
   * ShapeError for an input the rules cannot read.
   */
  perSample(): PerSampleResult {
    const op = 'GradSampler.perSample';
    let B = -1;
    for (const h of this.hooked) {
      for (const c of h.calls) {
        const b = batchOf(c, h, op);
        if (B >= 0 && b !== B) throw new ArgumentError(`${op}: the recorded forward calls disagree on the batch size (${B} and ${b} at '${h.path}'); call clear() between batches`);
        B = b;
      }
    }
    if (B < 0) throw new ArgumentError(`${op}: no forward pass with gradients was recorded since the last clear() (run forward and backward first)`);
    const scale = this.lossReduction === 'mean' ? B : 1;
    const grads: PerSampleGrad[] = [];
    for (const h of this.hooked) {
      const out = h.params.map((p) => allocFloat32(B * p.size, op));
      for (const c of h.calls) {
        if (c.grads.every((g) => g === null)) continue; // the output did not reach the loss
        if (h.rule !== 'loop' && (c.outputs.length !== 1 || c.grads[0] === null)) {
          throw new ShapeError(`${op}: ${h.module.constructor.name} at '${h.path}' returned ${c.outputs.length} tensors; its ${h.rule} rule reads a single Tensor output`);
        }
        const acc = new Map<Parameter, Float32Array>(h.params.map((p, i) => [p, out[i]]));
        RULE_FNS[h.rule](h, c, B, acc);
      }
      if (scale !== 1) for (const g of out) for (let i = 0; i < g.length; i++) g[i] *= scale;
      h.params.forEach((p, i) => grads.push({ param: p, grad: out[i] }));
    }
    return { batchSize: B, grads };
  }
}

function batchOf(c: Call, h: Hooked, op: string): number {
  const x = c.inputs[0];
  if (x instanceof Tensor) {
    if (x.ndim === 0) throw new ShapeError(`${op}: ${h.module.constructor.name} at '${h.path}' got a scalar input; per-sample gradients need a batch dimension first`);
    if (h.rule === 'linear' && x.ndim < 2) throw new ShapeError(`${op}: Linear at '${h.path}' got an unbatched input ${fmtShape(x.shape)}; per-sample gradients need [B, …, in]`);
    return x.shape[0];
  }
  if (h.rule === 'embedding' && (Array.isArray(x) || x instanceof Int32Array)) return x.length;
  throw new ShapeError(`${op}: ${h.module.constructor.name} at '${h.path}' got ${describe(x)} as its first input; per-sample gradients need a batch Tensor`);
}

type RuleFn = (h: Hooked, c: Call, B: number, acc: Map<Parameter, Float32Array>) => void;

const RULE_FNS: Record<Rule, RuleFn> = {
  linear(h, c, B, acc) {
    const m = h.module as Linear;
    const x = c.inputs[0] as Tensor, g = c.grads[0]!;
    const IN = x.shape[x.ndim - 1], OUT = c.outputs[0].shape[c.outputs[0].ndim - 1];
    const T = B === 0 ? 0 : x.size / (B * IN);
    const xd = x.data;
    const gw = acc.get(m.weight), gb = m.bias === null ? undefined : acc.get(m.bias);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const row = b * T + t;
        for (let o = 0; o < OUT; o++) {
          const go = g[row * OUT + o];
          if (go === 0) continue;
          if (gb !== undefined) gb[b * OUT + o] += go;
          if (gw !== undefined) {
            const wo = (b * OUT + o) * IN, xo = row * IN;
            for (let i = 0; i < IN; i++) gw[wo + i] += go * xd[xo + i];
          }
        }
      }
    }
  },
  conv2d(h, c, B, acc) {
    const m = h.module as Conv2d;
    const x = c.inputs[0] as Tensor, g = c.grads[0]!;
    if (x.ndim !== 4) throw new ShapeError(`GradSampler.perSample: Conv2d at '${h.path}' needs a batched input [B, C, H, W], got ${fmtShape(x.shape)}`);
    const o = m.config().options as { stride: number | readonly number[]; padding: number | readonly number[] | 'same' | 'valid'; dilation: number | readonly number[]; groups: number };
    const two = (v: number | readonly number[]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);
    const [SH, SW] = two(o.stride), [DH, DW] = two(o.dilation);
    const [, C, H, W] = x.shape;
    const [OC, Cg, KH, KW] = m.weight.shape;
    const [, , OH, OW] = c.outputs[0].shape;
    const [PH, PW] = o.padding === 'same' ? [Math.floor(DH * (KH - 1) / 2), Math.floor(DW * (KW - 1) / 2)] : o.padding === 'valid' ? [0, 0] : two(o.padding);
    const OCg = OC / o.groups;
    const xd = x.data;
    const gw = acc.get(m.weight), gb = m.bias === null ? undefined : acc.get(m.bias);
    const WS = OC * Cg * KH * KW;
    for (let b = 0; b < B; b++) {
      for (let oc = 0; oc < OC; oc++) {
        const grp = Math.floor(oc / OCg);
        const gbase = (b * OC + oc) * OH * OW;
        if (gb !== undefined) {
          let s = 0;
          for (let k = 0; k < OH * OW; k++) s += g[gbase + k];
          gb[b * OC + oc] += s;
        }
        if (gw === undefined) continue;
        for (let ci = 0; ci < Cg; ci++) {
          const xc = (b * C + grp * Cg + ci) * H * W;
          for (let kh = 0; kh < KH; kh++) {
            for (let kw = 0; kw < KW; kw++) {
              let s = 0;
              for (let oh = 0; oh < OH; oh++) {
                const ih = oh * SH - PH + kh * DH;
                if (ih < 0 || ih >= H) continue;
                for (let ow = 0; ow < OW; ow++) {
                  const iw = ow * SW - PW + kw * DW;
                  if (iw < 0 || iw >= W) continue;
                  s += g[gbase + oh * OW + ow] * xd[xc + ih * W + iw];
                }
              }
              gw[b * WS + ((oc * Cg + ci) * KH + kh) * KW + kw] += s;
            }
          }
        }
      }
    }
  },
  embedding(h, c, B, acc) {
    const m = h.module as Embedding;
    const x = c.inputs[0] as Tensor | Int32Array | number[];
    const idx = x instanceof Tensor ? x.data : x;
    const D = m.embeddingDim, N = m.numEmbeddings, g = c.grads[0]!;
    const T = B === 0 ? 0 : idx.length / B;
    const gw = acc.get(m.weight);
    if (gw === undefined) return;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const raw = idx[b * T + t];
        const i = raw < 0 ? raw + N : raw;
        if (i === m.paddingIdx) continue;
        const go = (b * T + t) * D, wo = (b * N + i) * D;
        for (let d = 0; d < D; d++) gw[wo + d] += g[go + d];
      }
    }
  },
  layernorm(h, c, B, acc) {
    const m = h.module as LayerNorm;
    const x = c.inputs[0] as Tensor, g = c.grads[0]!;
    const M = m.normalizedShape.reduce((a, d) => a * d, 1);
    const T = B === 0 ? 0 : x.size / (B * M);
    const xd = x.data;
    const gw = m.weight === null ? undefined : acc.get(m.weight), gb = m.bias === null ? undefined : acc.get(m.bias);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const base = (b * T + t) * M;
        let mean = 0;
        for (let j = 0; j < M; j++) mean += xd[base + j];
        mean /= M;
        let v = 0;
        for (let j = 0; j < M; j++) v += (xd[base + j] - mean) ** 2;
        const inv = 1 / Math.sqrt(v / M + m.eps);
        for (let j = 0; j < M; j++) {
          const gj = g[base + j];
          if (gw !== undefined) gw[b * M + j] += gj * (xd[base + j] - mean) * inv;
          if (gb !== undefined) gb[b * M + j] += gj;
        }
      }
    }
  },
  loop(h, c, B, acc) {
    // Replays the module once per sample on its recorded input; the replayed output tensors are
    // weighted by the sample's part of each recorded output gradient and summed, so one backward
    // gives the sample's parameter gradient.
    const m = h.module;
    const all = m.parameters();
    const saved = all.map((p) => p.grad);
    const where = `${m.constructor.name} at '${h.path}'`;
    replaying = true;
    try {
      for (let b = 0; b < B; b++) {
        for (const p of all) p.grad = null;
        const args = c.inputs.map((a) => sliceSample(a, b, B));
        const out = enableGrad(() => (m.forward as (...a: unknown[]) => unknown).apply(m, args));
        const outs = outputTensors(out);
        if (outs.length !== c.outputs.length) {
          throw new ShapeError(`GradSampler.perSample: replaying ${where} on sample ${b} gave ${outs.length} output tensors where the batch gave ${c.outputs.length}; the per-sample loop needs a forward that treats samples independently`);
        }
        let objective: Tensor | null = null;
        outs.forEach((t, k) => {
          const g = c.grads[k];
          if (g === null || !t.requiresGrad) return;
          const part = new Tensor(sampleGrad(g, c.outputs[k].shape, t.shape, b, B, where), t.shape);
          const term = sum(mul(t, part));
          objective = objective === null ? term : add(objective, term);
        });
        if (objective === null) continue;
        (objective as Tensor).backward();
        for (const p of h.params) {
          const dst = acc.get(p)!;
          const src = p.grad;
          if (src === null) continue;
          const n = p.size;
          for (let i = 0; i < n; i++) dst[b * n + i] += src[i];
        }
      }
    } finally {
      replaying = false;
      all.forEach((p, i) => { p.grad = saved[i]; });
    }
  },
};

/**
 * Sample b's part of an output gradient `g` of shape `full` (the batch of B), for a replayed output
 * of shape `one`: the two shapes differ in one axis only, B against 1 (the batch axis: first for
 * most layers, second for the recurrent layers' final states); with B = 1 they are equal.
 */
function sampleGrad(g: Float32Array, full: readonly number[], one: readonly number[], b: number, B: number, where: string): Float32Array {
  const diff: number[] = [];
  if (full.length === one.length) for (let d = 0; d < full.length; d++) if (full[d] !== one[d]) diff.push(d);
  if (full.length === one.length && B === 1 && diff.length === 0) return g;
  if (full.length !== one.length || diff.length !== 1 || full[diff[0]] !== B || one[diff[0]] !== 1) {
    throw new ShapeError(`GradSampler.perSample: replaying ${where} on sample ${b} gave an output ${fmtShape(one)} that is not one sample's part of the batch's ${fmtShape(full)} (the same shape with the batch axis ${B} → 1); the per-sample loop needs a forward that treats samples independently`);
  }
  const axis = diff[0];
  let inner = 1;
  for (let d = axis + 1; d < full.length; d++) inner *= full[d];
  const outer = g.length / (B * inner);
  const part = new Float32Array(outer * inner);
  for (let o = 0; o < outer; o++) part.set(g.subarray((o * B + b) * inner, (o * B + b + 1) * inner), o * inner);
  return part;
}

/** Sample b of a batched argument (a Tensor with B rows) as a batch of one, detached; other arguments as they are. */
function sliceSample(a: unknown, b: number, B: number): unknown {
  if (!(a instanceof Tensor) || a.ndim === 0 || a.shape[0] !== B) return a;
  const R = a.size / B;
  return new Tensor(a.data.slice(b * R, (b + 1) * R), [1, ...a.shape.slice(1)]);
}

/**
 * Every sample's gradient of `lossFn(model(x), y)` with respect to each parameter, by one forward
 * and backward pass through a {@link GradSampler} (hooks removed after). The model's `grad` fields
 * hold the batch gradient afterwards, as after a normal backward.
 * @example
 * const net = new Linear(2, 1);
 * perSampleGradients(net, mseLoss, ones([3, 2]), ones([3, 1])).grads.length; // 2
 * @category Privacy
 */
export function perSampleGradients(model: Module, lossFn: (pred: Tensor, target: Tensor) => Tensor, x: Tensor, y: Tensor, options: GradSamplerOptions = {}): PerSampleResult {
  const s = new GradSampler(model, options);
  try {
    const pred = (model as unknown as { forward(x: Tensor): Tensor }).forward(x);
    const l = lossFn(pred, y);
    if (!(l instanceof Tensor) || l.size !== 1) throw new ArgumentError(`perSampleGradients: lossFn must return a one-element Tensor, got ${l instanceof Tensor ? fmtShape(l.shape) : describe(l)}`);
    l.backward();
    return s.perSample();
  } finally {
    s.remove();
  }
}
