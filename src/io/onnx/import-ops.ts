/**
 * importOnnx's op table: for each ONNX op a compile step that reads and checks the node's
 * attributes at import time and returns the function that runs the node with tensorkit's
 * differentiable ops. Integer-valued tensors (shapes, indices, the results of `Shape`) run as plain
 * integer arrays ({@link Ints}), so shape-computing subgraphs work at every batch size.
 * @module
 */
import {
  ArgumentError, FormatError, ShapeError, Tensor,
  abs, add, avgPool2d, batchNorm, clamp, concat, conv1d, conv2d, convTranspose2d, div, elu, exp, expand, full, gelu,
  indexSelect, layerNorm, leakyRelu, linear, log, logSoftmax, lstmLayer, gruLayer, rnnLayer, matmul, max, maxPool2d, mean, min,
  maximum, minimum, mul, neg, pad, permute, pow, relu, reshape, sigmoid, softmax, softplus, sqrt, sub, sum, tanh, tile, where, eq, gt, ge, lt, le,
} from '../../tensor/index';
import { record } from '../../tensor/autograd';
import { allocFloat32, chargeAllocation } from '../../tensor/alloc';
import { erfc } from '../../tensor/kernels/unary';
import { broadcastShapes, describe } from '../../tensor/shape';
import { fmtShape } from '../../tensor/errors';
import type { Conv2dOptions } from '../../tensor/ops/conv';
import { mark } from './import-fuse';
import type { ParsedAttribute, ParsedNode, ParsedTensor } from './info';
import { ATTR, DATA_TYPE, DATA_TYPE_NAME } from './schema';

/** An integer-valued tensor (int64, int32, bool …) kept as plain numbers: shapes, indices, masks. @internal */
export interface Ints {
  readonly kind: 'ints';
  readonly shape: number[];
  readonly data: number[];
}

/** A value flowing through an imported graph. @internal */
export type Value = Tensor | Ints;

/** Runs one node: inputs in the node's order (null for an omitted optional input). @internal */
export type Run = (inputs: (Value | null)[]) => (Value | null)[];

/** What a compile step knows about its node. @internal */
export interface NodeContext {
  node: ParsedNode;
  /** The default domain's opset. */
  opset: number;
  /** `node 'name' (Op)` for messages. */
  label: string;
}

const WHAT = 'importOnnx';

/** Whether a value is an integer array ({@link Ints}) rather than a Tensor. @internal */
export const isInts = (v: unknown): v is Ints => typeof v === 'object' && v !== null && (v as Ints).kind === 'ints';
/** An {@link Ints} value. @internal */
export const ints = (shape: number[], data: number[]): Ints => ({ kind: 'ints', shape, data });
const sizeOf = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** An unsupported op, attribute or attribute value: ArgumentError naming the node. @internal */
export function unsupported(c: NodeContext, what: string): never {
  throw new ArgumentError(`${WHAT}: ${c.label}: ${what}`);
}

/** The node's attributes, read by name; an attribute no compile step asked for is refused by {@link Attrs.finish}. @internal */
export class Attrs {
  private readonly byName = new Map<string, ParsedAttribute>();
  private readonly used = new Set<string>();
  constructor(private readonly c: NodeContext) {
    for (const a of c.node.attributes) {
      if (this.byName.has(a.name)) throw new FormatError(`${WHAT}: ${c.label}: attribute ${a.name} given twice`);
      this.byName.set(a.name, a);
    }
  }

  private get(name: string, type: number): ParsedAttribute | undefined {
    this.used.add(name);
    const a = this.byName.get(name);
    if (a !== undefined && a.type !== type && a.type !== ATTR.UNDEFINED) {
      throw new FormatError(`${WHAT}: ${this.c.label}: attribute ${name} has type ${a.type} where ${type} was expected`);
    }
    return a;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  int(name: string, def: number): number {
    return this.get(name, ATTR.INT)?.i ?? def;
  }

  float(name: string, def: number): number {
    return this.get(name, ATTR.FLOAT)?.f ?? def;
  }

  ints(name: string): number[] | undefined {
    return this.get(name, ATTR.INTS)?.ints;
  }

  floats(name: string): number[] | undefined {
    return this.get(name, ATTR.FLOATS)?.floats;
  }

  str(name: string, def: string): string {
    return this.get(name, ATTR.STRING)?.s ?? def;
  }

  strs(name: string): string[] | undefined {
    return this.get(name, ATTR.STRINGS)?.strings;
  }

  tensor(name: string): ParsedTensor | undefined {
    return this.get(name, ATTR.TENSOR)?.t;
  }

  /** Refuses every attribute that was not read. */
  finish(): void {
    for (const name of this.byName.keys()) if (!this.used.has(name)) unsupported(this.c, `attribute ${name} is not supported`);
  }
}

// ---- conversions between the two kinds of values ----

/** A float tensor of the value (integers converted). @internal */
export function toTensor(v: Value): Tensor {
  if (v instanceof Tensor) return v;
  const d = allocFloat32(v.data.length, WHAT);
  for (let i = 0; i < d.length; i++) d[i] = v.data[i];
  return new Tensor(d, v.shape);
}

function toInts(v: Value): Ints {
  return isInts(v) ? v : ints(v.shape.slice(), Array.from(v.data, Math.trunc));
}

/** A value read as integers (a shape, axes, indices); `what` names it in errors. */
function intList(c: NodeContext, v: Value | null, what: string): number[] {
  if (v === null) unsupported(c, `input ${what} is required`);
  const d = toInts(v).data;
  return d.slice();
}

function constantValue(t: ParsedTensor): Value {
  const isFloat = t.dataType === DATA_TYPE.FLOAT || t.dataType === DATA_TYPE.DOUBLE || t.dataType === DATA_TYPE.FLOAT16;
  if (t.data === null) throw new FormatError(`${WHAT}: tensor '${t.name}' has no data`);
  return isFloat ? new Tensor(t.data as Float32Array, t.dims.slice()) : ints(t.dims.slice(), t.data as number[]);
}

/** A parsed initializer or constant as a value (floats as a Tensor, integers as {@link Ints}). @internal */
export { constantValue };

// ---- data movement on both kinds: run the op on a tensor of positions, then pick the integers ----

type Move = (ts: Tensor[]) => Tensor;

function move(vs: Value[], fn: Move): Value {
  if (!vs.every(isInts) || vs.reduce((a, v) => a + v.data.length, 0) >= 2 ** 24) return fn(vs.map(toTensor));
  const pool: number[] = [];
  const pos = vs.map((v) => {
    const d = allocFloat32(v.data.length, WHAT);
    for (let i = 0; i < d.length; i++) d[i] = pool.length + i;
    for (const x of v.data) pool.push(x);
    return new Tensor(d, v.shape);
  });
  const out = fn(pos);
  chargeAllocation(out.size, WHAT);
  return ints(out.shape.slice(), Array.from(out.data, (k) => pool[k]));
}

function shapeOf(v: Value): number[] {
  return v.shape.slice();
}

function normAxis(c: NodeContext, a: number, rank: number, what = 'axis'): number {
  const r = a < 0 ? a + rank : a;
  if (!Number.isInteger(r) || r < 0 || r >= rank) throw new ArgumentError(`${WHAT}: ${c.label}: ${what} ${a} is outside [−${rank}, ${rank - 1}] for rank ${rank}`);
  return r;
}

/** An integer value broadcast to `shape`. */
function bcast(v: Ints, shape: number[]): Ints {
  return move([v], ([t]) => expand(reshape(t, pad1(t.shape, shape.length)), shape)) as Ints;
}

/** Elementwise with broadcasting on integer values. */
function intBinary(a: Ints, b: Ints, f: (x: number, y: number) => number): Ints {
  const shape = broadcastShapes(a.shape, b.shape, WHAT);
  const ea = bcast(a, shape), eb = bcast(b, shape);
  return ints(shape, ea.data.map((x, i) => f(x, eb.data[i])));
}

const pad1 = (s: readonly number[], rank: number): number[] => [...new Array<number>(rank - s.length).fill(1), ...s];

// ---- erf, which tensorkit has only inside gelu ----

function erf(x: Tensor): Tensor {
  const out = Tensor.empty(x.shape, 'Erf');
  for (let i = 0; i < out.size; i++) out.data[i] = 1 - erfc(x.data[i]);
  return record('erf', out, [x], (dy) => {
    if (!x.requiresGrad) return;
    const g = x.gradBuffer();
    const k = 2 / Math.sqrt(Math.PI);
    for (let i = 0; i < dy.length; i++) g[i] += dy[i] * k * Math.exp(-x.data[i] * x.data[i]);
  });
}

// ---- compile steps ----

type Compile = (a: Attrs, c: NodeContext) => Run;

const has = (c: NodeContext, i: number): boolean => c.node.inputs[i] !== undefined && c.node.inputs[i] !== '';
const one = (f: (ins: (Value | null)[]) => Value | null): Run => (ins) => [f(ins)];
const T = (v: Value | null | undefined): Tensor => {
  if (v === null || v === undefined) throw new FormatError(`${WHAT}: a required input is missing`);
  return toTensor(v);
};

function unary(f: (x: Tensor) => Tensor): Compile {
  return () => one(([x]) => f(T(x)));
}

function binary(f: (a: Tensor, b: Tensor) => Tensor, fi?: (x: number, y: number) => number): Compile {
  return () => one(([a, b]) => (fi && isInts(a) && isInts(b) ? intBinary(a, b, fi) : f(T(a), T(b))));
}

function compare(f: (a: Tensor, b: Tensor) => Tensor, fi: (x: number, y: number) => boolean): Compile {
  return () => one(([a, b]) => {
    if (isInts(a) && isInts(b)) return intBinary(a, b, (x, y) => (fi(x, y) ? 1 : 0));
    return toInts(f(T(a), T(b)));
  });
}

/** Pairs [begin…, end…] per spatial axis, or a refusal. */
function pads(a: Attrs, c: NodeContext, k: number): number[] {
  const autoPad = a.str('auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') unsupported(c, `attribute auto_pad = '${autoPad}' is not supported (only NOTSET and VALID)`);
  const p = autoPad === 'VALID' ? undefined : a.ints('pads');
  return p ?? new Array<number>(2 * k).fill(0);
}

function spatial(a: Attrs, c: NodeContext): number {
  const ks = a.ints('kernel_shape');
  if (ks === undefined) return -1;
  if (ks.length !== 1 && ks.length !== 2) unsupported(c, `kernel_shape ${describe(ks)}: only 1-D and 2-D kernels are supported`);
  return ks.length;
}

/** Pads x's spatial axes (the last k) by explicit [begin…, end…] amounts. */
function padSpatial(x: Tensor, p: readonly number[], k: number, value = 0): Tensor {
  const widths: [number, number][] = [];
  for (let i = 0; i < k; i++) widths.push([p[i], p[i + k]]);
  return pad(x, widths, { value });
}

const to2d = (x: Tensor): Tensor => reshape(x, [x.shape[0], x.shape[1], 1, x.shape[2]]);
const from2d = (y: Tensor): Tensor => reshape(y, [y.shape[0], y.shape[1], y.shape[3]]);

const conv: Compile = (a, c) => {
  let k = spatial(a, c);
  const strides = a.ints('strides'), dil = a.ints('dilations'), group = a.int('group', 1);
  const p0 = a.ints('pads');
  const autoPad = a.str('auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') unsupported(c, `attribute auto_pad = '${autoPad}' is not supported (only NOTSET and VALID)`);
  // The call: the (padded) input, weight, bias, the spatial rank and the options.
  const resolve = ([xv, wv, bv]: (Value | null)[]): { x: Tensor; w: Tensor; b: Tensor | null; k: number; s: number[]; pp: number[]; d: number[] } => {
    const x = T(xv), w = T(wv), b = bv === null ? null : T(bv);
    if (k < 0) k = w.ndim - 2;
    if (k !== 1 && k !== 2) throw new ShapeError(`${WHAT}: ${c.label}: weight ${fmtShape(w.shape)}: only 1-D and 2-D convolutions are supported`);
    const p = autoPad === 'VALID' || p0 === undefined ? new Array<number>(2 * k).fill(0) : p0;
    const s = strides ?? new Array<number>(k).fill(1), d = dil ?? new Array<number>(k).fill(1);
    const sym = p.slice(0, k).every((v, i) => v === p[i + k]);
    const xin = sym ? x : padSpatial(x, p, k);
    const pp = sym ? p.slice(0, k) : new Array<number>(k).fill(0);
    return { x: xin, w, b, k, s, pp, d };
  };
  const opts2d = (r: ReturnType<typeof resolve>): Conv2dOptions => ({ stride: [r.s[0], r.s[1]], padding: [r.pp[0], r.pp[1]], dilation: [r.d[0], r.d[1]], groups: group });
  const run = one((ins) => {
    const r = resolve(ins);
    if (r.k === 1) return conv1d(r.x, r.w, r.b, { stride: r.s[0], padding: r.pp[0], dilation: r.d[0], groups: group });
    return conv2d(r.x, r.w, r.b, opts2d(r));
  });
  return mark(run, {
    kind: 'conv',
    args: (ins) => {
      const r = resolve(ins);
      return r.k === 2 ? [r.x, r.w, r.b, opts2d(r)] : null;
    },
  });
};

const convTranspose: Compile = (a, c) => {
  let k = spatial(a, c);
  const strides = a.ints('strides'), dil = a.ints('dilations'), group = a.int('group', 1), outPad = a.ints('output_padding');
  const p0 = pads(a, c, 2);
  if (a.ints('output_shape') !== undefined) unsupported(c, 'attribute output_shape is not supported (give pads and output_padding)');
  return one(([xv, wv, bv]) => {
    let x = T(xv), w = T(wv);
    const b = bv === null ? null : T(bv);
    if (k < 0) k = w.ndim - 2;
    if (k !== 1 && k !== 2) throw new ShapeError(`${WHAT}: ${c.label}: weight ${fmtShape(w.shape)}: only 1-D and 2-D transposed convolutions are supported`);
    const p = p0.length === 2 * k ? p0 : new Array<number>(2 * k).fill(0);
    if (!p.slice(0, k).every((v, i) => v === p[i + k])) throw new ArgumentError(`${WHAT}: ${c.label}: asymmetric pads ${describe(p)} are not supported`);
    const one1 = (v: number[] | undefined, d: number): number[] => (v === undefined ? new Array<number>(k).fill(d) : v);
    let s = one1(strides, 1), d = one1(dil, 1), op = one1(outPad, 0), pp = p.slice(0, k);
    if (k === 1) {
      x = to2d(x);
      w = reshape(w, [w.shape[0], w.shape[1], 1, w.shape[2]]);
      s = [1, s[0]]; d = [1, d[0]]; op = [0, op[0]]; pp = [0, pp[0]];
    }
    const y = convTranspose2d(x, w, b, { stride: [s[0], s[1]], padding: [pp[0], pp[1]], outputPadding: [op[0], op[1]], dilation: [d[0], d[1]], groups: group });
    return k === 1 ? from2d(y) : y;
  });
};

function pool(kind: 'max' | 'avg'): Compile {
  return (a, c) => {
    const ks = a.ints('kernel_shape');
    if (ks === undefined) throw new FormatError(`${WHAT}: ${c.label}: attribute kernel_shape is required`);
    const k = spatial(a, c);
    const s = a.ints('strides') ?? new Array<number>(k).fill(1);
    const p = pads(a, c, k);
    const d = kind === 'max' ? (a.ints('dilations') ?? new Array<number>(k).fill(1)) : new Array<number>(k).fill(1);
    if (a.int('ceil_mode', 0) !== 0) unsupported(c, 'attribute ceil_mode = 1 is not supported');
    if (kind === 'max' && a.int('storage_order', 0) !== 0) unsupported(c, 'attribute storage_order = 1 is not supported');
    const includePad = kind === 'avg' && a.int('count_include_pad', 0) === 1;
    if (kind === 'max' && c.node.outputs.length > 1 && c.node.outputs[1] !== '') unsupported(c, 'output Indices is not supported');
    const k2 = k === 1 ? [1, ks[0]] : ks, s2 = k === 1 ? [1, s[0]] : s, d2 = k === 1 ? [1, d[0]] : d;
    const p2 = k === 1 ? [0, p[0], 0, p[1]] : p;
    const fits = p2[0] === p2[2] && p2[1] === p2[3] && p2[0] <= Math.floor(k2[0] / 2) && p2[1] <= Math.floor(k2[1] / 2);
    if (kind === 'avg' && !fits && !includePad) unsupported(c, `pads ${describe(p)} (asymmetric or above half the kernel) with count_include_pad = 0 are not supported`);
    const halving = kind === 'max' && k === 2 && k2[0] === 2 && k2[1] === 2 && s2[0] === 2 && s2[1] === 2 && p2.every((v) => v === 0) && d2[0] === 1 && d2[1] === 1;
    const run = one(([xv]) => {
      let x = T(xv);
      if (k === 1) x = to2d(x);
      let padding: [number, number] = [p2[0], p2[1]];
      if (!fits) {
        x = padSpatial(x, p2, 2, kind === 'max' ? -Infinity : 0);
        padding = [0, 0];
      }
      const o = { kernelSize: [k2[0], k2[1]] as [number, number], stride: [s2[0], s2[1]] as [number, number], padding };
      const y = kind === 'max' ? maxPool2d(x, { ...o, dilation: [d2[0], d2[1]] }) : avgPool2d(x, { ...o, countIncludePad: includePad });
      return k === 1 ? from2d(y) : y;
    });
    return halving ? mark(run, { kind: 'halvingMaxPool' }) : run;
  };
}

function globalPool(f: typeof mean): Compile {
  return () => one(([xv]) => {
    const x = T(xv);
    return f(x, { axis: x.shape.map((_, i) => i).slice(2), keepDims: true });
  });
}

function reduce(f: typeof mean, axesAsInput: (opset: number) => boolean): Compile {
  return (a, c) => {
    const keep = a.int('keepdims', 1) === 1;
    const noop = a.int('noop_with_empty_axes', 0) === 1;
    const fromInput = axesAsInput(c.opset);
    const attrAxes = fromInput ? undefined : a.ints('axes');
    return one(([xv, av]) => {
      const x = T(xv);
      const axes = fromInput ? (av === null || av === undefined ? undefined : intList(c, av, 'axes')) : attrAxes;
      if (axes === undefined || axes.length === 0) {
        if (noop) return x;
        return f(x, { axis: x.shape.map((_, i) => i), keepDims: keep });
      }
      return f(x, { axis: axes.map((ax) => normAxis(c, ax, x.ndim, 'axes')), keepDims: keep });
    });
  };
}

function softmaxLike(f: typeof softmax): Compile {
  return (a, c) => {
    const legacy = c.opset < 13;
    const axis = a.int('axis', legacy ? 1 : -1);
    return one(([xv]) => {
      const x = T(xv);
      const ax = normAxis(c, axis, x.ndim);
      if (!legacy) return f(x, ax);
      // Opsets before 13 flatten to [outer, inner] at axis.
      const y = f(reshape(x, [sizeOf(x.shape.slice(0, ax)), sizeOf(x.shape.slice(ax))]), 1);
      return reshape(y, x.shape);
    });
  };
}

function sliceAxis(x: Tensor, axis: number, start: number, end: number, step: number): Tensor {
  const dim = x.shape[axis];
  const idx: number[] = [];
  if (step > 0) {
    let s = start < 0 ? start + dim : start, e = end < 0 ? end + dim : end;
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
    for (let i = s; i < e; i += step) idx.push(i);
  } else {
    let s = start < 0 ? start + dim : start, e = end < 0 ? end + dim : end;
    s = Math.min(Math.max(s, 0), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
    for (let i = s; i > e; i += step) idx.push(i);
  }
  if (idx.length === dim && step === 1) return x;
  return indexSelect(x, axis, idx);
}

/** Checks the activations attribute of a recurrent op against what the fused layers run. */
function rnnActivations(a: Attrs, c: NodeContext, dirs: number, allowed: string[][]): string[] {
  const acts = a.strs('activations');
  if (acts === undefined) return allowed[0];
  const per = acts.length / dirs;
  const first = acts.slice(0, per);
  const ok = Number.isInteger(per) && allowed.some((al) => al.length === per && al.every((v, i) => v.toLowerCase() === first[i].toLowerCase()))
    && acts.every((v, i) => v.toLowerCase() === first[i % per].toLowerCase());
  if (!ok) unsupported(c, `attribute activations = ${describe(acts)} is not supported (${allowed.map((x) => describe(x)).join(' or ')} per direction)`);
  return first;
}

/** Row indices that reorder ONNX's gate blocks into tensorkit's (PyTorch's) gate order. */
function gateRows(order: number[], H: number, offset = 0): number[] {
  const out: number[] = [];
  for (const g of order) for (let i = 0; i < H; i++) out.push(offset + g * H + i);
  return out;
}

type Kind = 'LSTM' | 'GRU' | 'RNN';

/**
 * ONNX's GRU with linear_before_reset = 0 (the reset gate applied to h before the hidden
 * projection: n = tanh(W_n x + b_in + R_n (r ⊙ h) + b_hn)), built from ops step by step since the
 * fused gruLayer computes PyTorch's form. Weights in r, z, n row order; x (B, T, C).
 */
function gruResetFirst(x: Tensor, h0: Tensor | null, w: Tensor, r: Tensor, bIh: Tensor | null, bHh: Tensor | null, reverse: boolean): { output: Tensor; hN: Tensor } {
  const [B, T] = x.shape, H = r.shape[1];
  const xp = linear(x, w, bIh); // [B, T, 3H]
  const rows = (k: number): number[] => [...Array(H).keys()].map((i) => k * H + i);
  const R = [0, 1, 2].map((k) => indexSelect(r, 0, rows(k)));
  const bh = [0, 1, 2].map((k) => (bHh === null ? null : indexSelect(bHh, 0, rows(k))));
  let h = h0 ?? full([B, H], 0);
  const outs: Tensor[] = new Array<Tensor>(T);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const xt = reshape(indexSelect(xp, 1, [t]), [B, 3 * H]);
    const part = (k: number): Tensor => indexSelect(xt, 1, rows(k));
    const rg = sigmoid(add(part(0), linear(h, R[0], bh[0])));
    const zg = sigmoid(add(part(1), linear(h, R[1], bh[1])));
    const ng = tanh(add(part(2), linear(mul(rg, h), R[2], bh[2])));
    h = add(mul(sub(1, zg), ng), mul(zg, h));
    outs[t] = reshape(h, [B, 1, H]);
  }
  return { output: concat(outs, 1), hN: h };
}

function recurrent(kind: Kind): Compile {
  // ONNX gate blocks in tensorkit's order: LSTM iofc → i f c(g) o; GRU zrh → r z h(n).
  const order = kind === 'LSTM' ? [0, 2, 3, 1] : kind === 'GRU' ? [1, 0, 2] : [0];
  const G = order.length;
  return (a, c) => {
    const direction = a.str('direction', 'forward');
    if (direction !== 'forward' && direction !== 'reverse' && direction !== 'bidirectional') unsupported(c, `attribute direction = '${direction}' is not supported`);
    const dirs = direction === 'bidirectional' ? 2 : 1;
    const hidden = a.int('hidden_size', -1);
    const layout = a.int('layout', 0);
    if (layout !== 0 && layout !== 1) unsupported(c, `attribute layout = ${layout} is not supported`);
    if (a.has('clip')) { a.float('clip', 0); unsupported(c, 'attribute clip is not supported'); }
    if (a.floats('activation_alpha') !== undefined || a.floats('activation_beta') !== undefined) unsupported(c, 'attributes activation_alpha and activation_beta are not supported');
    let acts: string[] = [];
    let resetFirst = false;
    if (kind === 'LSTM') {
      acts = rnnActivations(a, c, dirs, [['Sigmoid', 'Tanh', 'Tanh']]);
      if (a.int('input_forget', 0) !== 0) unsupported(c, 'attribute input_forget = 1 is not supported');
      if (has(c, 7)) unsupported(c, 'input P (peepholes) is not supported');
    } else if (kind === 'GRU') {
      acts = rnnActivations(a, c, dirs, [['Sigmoid', 'Tanh']]);
      resetFirst = a.int('linear_before_reset', 0) === 0;
    } else acts = rnnActivations(a, c, dirs, [['Tanh'], ['Relu']]);
    if (has(c, 4)) unsupported(c, 'input sequence_lens is not supported (every sequence runs its full length)');
    const nonlinearity = acts[0].toLowerCase() === 'relu' ? 'relu' : 'tanh';
    return (ins) => {
      const x = T(ins[0]), W = T(ins[1]), R = T(ins[2]);
      const Bv = ins[3] ?? null, h0v = ins[5] ?? null, c0v = ins[6] ?? null;
      if (x.ndim !== 3) throw new ShapeError(`${WHAT}: ${c.label}: X ${fmtShape(x.shape)} must be 3-D`);
      const H = R.shape[2];
      if (W.ndim !== 3 || R.ndim !== 3 || W.shape[0] !== dirs || W.shape[1] !== G * H || R.shape[1] !== G * H || (hidden >= 0 && hidden !== H)) {
        throw new ShapeError(`${WHAT}: ${c.label}: W ${fmtShape(W.shape)} and R ${fmtShape(R.shape)} do not fit ${dirs} direction(s) of hidden size ${hidden} with ${G} gates`);
      }
      const xb = layout === 1 ? x : permute(x, [1, 0, 2]); // [B, T, C]
      const B = xb.shape[0];
      const dirOf = (v: Tensor, d: number, rows: number[]): Tensor => indexSelect(reshape(indexSelect(v, 0, [d]), v.shape.slice(1)), 0, rows);
      const stateOf = (v: Value | null, d: number): Tensor | null => {
        if (v === null) return null;
        const t = T(v);
        const s = layout === 1 ? permute(t, [1, 0, 2]) : t; // [D, B, H]
        return reshape(indexSelect(s, 0, [d]), [B, H]);
      };
      const ys: Tensor[] = [], hs: Tensor[] = [], cs: Tensor[] = [];
      for (let d = 0; d < dirs; d++) {
        const rows = gateRows(order, H);
        const w = dirOf(W, d, rows), r = dirOf(R, d, rows);
        const bias = Bv === null ? null : reshape(indexSelect(T(Bv), 0, [d]), [2 * G * H]);
        const bIh = bias === null ? null : indexSelect(bias, 0, rows), bHh = bias === null ? null : indexSelect(bias, 0, gateRows(order, H, G * H));
        const reverse = direction === 'reverse' || d === 1;
        const h0 = stateOf(h0v, d);
        const res = kind === 'LSTM' ? lstmLayer(xb, h0, stateOf(c0v, d), w, r, bIh, bHh, { reverse })
          : kind === 'GRU' ? (resetFirst ? gruResetFirst(xb, h0, w, r, bIh, bHh, reverse) : gruLayer(xb, h0, w, r, bIh, bHh, { reverse }))
            : rnnLayer(xb, h0, w, r, bIh, bHh, { reverse, nonlinearity });
        ys.push(res.output);
        hs.push(res.hN);
        if ('cN' in res) cs.push((res as { cN: Tensor }).cN);
      }
      // Y: [T, D, B, H] (layout 0) or [B, T, D, H]; Y_h, Y_c: [D, B, H] or [B, D, H].
      const T_ = xb.shape[1];
      const Y = layout === 1
        ? concat(ys.map((y) => reshape(y, [B, T_, 1, H])), 2)
        : concat(ys.map((y) => reshape(permute(y, [1, 0, 2]), [T_, 1, B, H])), 1);
      const stack = (v: Tensor[]): Tensor => (layout === 1 ? concat(v.map((h) => reshape(h, [B, 1, H])), 1) : concat(v.map((h) => reshape(h, [1, B, H])), 0));
      const out: (Value | null)[] = [Y, stack(hs)];
      if (kind === 'LSTM') out.push(stack(cs));
      return out;
    };
  };
}

const castTo = (c: NodeContext, to: number): ((v: Value) => Value) => {
  const floatTypes: number[] = [DATA_TYPE.FLOAT, DATA_TYPE.DOUBLE, DATA_TYPE.FLOAT16, DATA_TYPE.BFLOAT16];
  const intTypes: number[] = [DATA_TYPE.INT64, DATA_TYPE.INT32, DATA_TYPE.INT16, DATA_TYPE.INT8, DATA_TYPE.UINT8, DATA_TYPE.UINT16, DATA_TYPE.UINT32, DATA_TYPE.UINT64];
  if (floatTypes.includes(to)) return (v) => toTensor(v);
  if (intTypes.includes(to)) return (v) => toInts(v);
  if (to === DATA_TYPE.BOOL) return (v) => { const i = toInts(v); return ints(i.shape, i.data.map((x) => (x !== 0 ? 1 : 0))); };
  return unsupported(c, `attribute to = ${DATA_TYPE_NAME[to] ?? to} is not supported`);
};

/** Inputs each op needs (the rest are optional), checked at import; ops not listed need one. @internal */
export function requiredInputs(op: string, opset: number): number {
  switch (op) {
    case 'Constant': return 0;
    case 'Concat': case 'Squeeze': return 1;
    case 'Reshape': return opset >= 5 ? 2 : 1;
    case 'Unsqueeze': return opset >= 13 ? 2 : 1;
    case 'Slice': return opset >= 10 ? 3 : 1;
    case 'Pad': return opset >= 11 ? 2 : 1;
    case 'Clip': case 'Dropout': case 'ReduceMean': case 'ReduceSum': case 'ReduceMax': case 'ReduceMin': return 1;
    case 'Where': case 'Conv': case 'ConvTranspose': return op === 'Where' ? 3 : 2;
    case 'BatchNormalization': return 5;
    case 'LSTM': case 'GRU': case 'RNN': return 3;
    case 'Gemm': case 'MatMul': case 'Gather': case 'Expand': case 'Tile': case 'LayerNormalization':
    case 'Add': case 'Sub': case 'Mul': case 'Div': case 'Pow':
    case 'Equal': case 'Greater': case 'GreaterOrEqual': case 'Less': case 'LessOrEqual': return 2;
    default: return 1;
  }
}

/** Every supported op of the default domain. @internal */
export const OPS: Record<string, Compile> = {
  Identity: () => one(([x]) => x),
  Dropout: (a, c) => {
    a.float('ratio', 0.5);
    a.int('seed', 0);
    if (c.node.outputs.length > 1 && c.node.outputs[1] !== '') unsupported(c, 'output mask is not supported (Dropout runs as the identity, as at inference)');
    if (has(c, 2)) return one(([x, , training]) => {
      if (training !== null && toInts(training).data.some((v) => v !== 0)) throw new ArgumentError(`${WHAT}: ${c.label}: training_mode = true is not supported`);
      return x;
    });
    return one(([x]) => x);
  },
  Constant: (a, c) => {
    const t = a.tensor('value');
    const f = a.float('value_float', NaN), fs = a.floats('value_floats'), i = a.int('value_int', NaN), is = a.ints('value_ints');
    let v: Value;
    if (t !== undefined) v = constantValue(t);
    else if (!Number.isNaN(f)) v = new Tensor(Float32Array.of(f), []);
    else if (fs !== undefined) v = new Tensor(Float32Array.from(fs), [fs.length]);
    else if (!Number.isNaN(i)) v = ints([], [i]);
    else if (is !== undefined) v = ints([is.length], is.slice());
    else {
      const other = c.node.attributes[0]?.name;
      return unsupported(c, other === undefined ? 'no value attribute' : `attribute ${other} is not supported`);
    }
    return () => [v];
  },
  ConstantOfShape: (a) => {
    const t = a.tensor('value');
    const v: Value = t === undefined ? new Tensor(Float32Array.of(0), [1]) : constantValue(t);
    return one(([s]) => {
      const shape = toInts(s as Value).data;
      if (isInts(v)) {
        const n = sizeOf(shape);
        chargeAllocation(n, WHAT);
        return ints(shape.slice(), new Array<number>(n).fill(v.data[0] ?? 0));
      }
      return full(shape, v.data[0] ?? 0);
    });
  },
  Shape: (a) => {
    const start = a.int('start', 0), end = a.int('end', Number.MAX_SAFE_INTEGER);
    return one(([x]) => {
      const s = shapeOf(x as Value), r = s.length;
      const lo = Math.min(Math.max(start < 0 ? start + r : start, 0), r), hi = Math.min(Math.max(end < 0 ? end + r : end, 0), r);
      const d = s.slice(lo, hi);
      return ints([d.length], d);
    });
  },
  Size: () => one(([x]) => ints([], [sizeOf(shapeOf(x as Value))])),
  Cast: (a, c) => {
    a.int('saturate', 1);
    const f = castTo(c, a.int('to', DATA_TYPE.FLOAT));
    return one(([x]) => f(x as Value));
  },
  Reshape: (a, c) => {
    const allowZero = a.int('allowzero', 0) === 1;
    return one(([x, s]) => {
      const xs = shapeOf(x as Value);
      const shape = intList(c, s, 'shape').map((d, i) => (d === 0 && !allowZero ? xs[i] : d));
      return move([x as Value], ([t]) => reshape(t, shape));
    });
  },
  Flatten: (a, c) => {
    const axis = a.int('axis', 1);
    return one(([x]) => {
      const s = shapeOf(x as Value);
      const ax = axis < 0 ? axis + s.length : axis;
      if (ax < 0 || ax > s.length) throw new ArgumentError(`${WHAT}: ${c.label}: axis ${axis} is outside [−${s.length}, ${s.length}]`);
      return move([x as Value], ([t]) => reshape(t, [sizeOf(s.slice(0, ax)), sizeOf(s.slice(ax))]));
    });
  },
  Transpose: (a) => {
    const perm = a.ints('perm');
    return one(([x]) => {
      const r = shapeOf(x as Value).length;
      return move([x as Value], ([t]) => permute(t, perm ?? [...Array(r).keys()].reverse()));
    });
  },
  Concat: (a, c) => {
    const axis = a.int('axis', 0);
    return (ins) => {
      const vs = ins.filter((v): v is Value => v !== null);
      const ax = normAxis(c, axis, shapeOf(vs[0]).length);
      // Empty pieces (PyTorch concatenates them in some shape chains) add nothing along the axis.
      return [move(vs, (ts) => {
        const full_ = ts.filter((t) => t.size > 0);
        return full_.length === 0 ? ts[0] : full_.length === 1 ? full_[0] : concat(full_, ax);
      })];
    };
  },
  Unsqueeze: (a, c) => {
    const attrAxes = c.opset < 13 ? a.ints('axes') : undefined;
    return one(([x, av]) => {
      const s = shapeOf(x as Value);
      const axes = attrAxes ?? intList(c, av, 'axes');
      const r = s.length + axes.length;
      const at = new Set(axes.map((ax) => normAxis(c, ax, r, 'axes')));
      const out: number[] = [];
      for (let i = 0, j = 0; i < r; i++) out.push(at.has(i) ? 1 : s[j++]);
      return move([x as Value], ([t]) => reshape(t, out));
    });
  },
  Squeeze: (a, c) => {
    const attrAxes = c.opset < 13 ? a.ints('axes') : undefined;
    return one(([x, av]) => {
      const s = shapeOf(x as Value);
      const given = attrAxes ?? (av === null || av === undefined ? undefined : intList(c, av, 'axes'));
      const at = given === undefined ? new Set(s.flatMap((d, i) => (d === 1 ? [i] : []))) : new Set(given.map((ax) => normAxis(c, ax, s.length, 'axes')));
      for (const i of at) if (s[i] !== 1) throw new ShapeError(`${WHAT}: ${c.label}: cannot squeeze axis ${i} of size ${s[i]} (input ${fmtShape(s)})`);
      return move([x as Value], ([t]) => reshape(t, s.filter((_, i) => !at.has(i))));
    });
  },
  Slice: (a, c) => {
    const legacy = c.opset < 10;
    const la = legacy ? { starts: a.ints('starts'), ends: a.ints('ends'), axes: a.ints('axes') } : null;
    return one(([x, sv, ev, av, stv]) => {
      const starts = la ? la.starts ?? [] : intList(c, sv, 'starts');
      const ends = la ? la.ends ?? [] : intList(c, ev, 'ends');
      const r = shapeOf(x as Value).length;
      const axes = la ? la.axes ?? starts.map((_, i) => i) : av === null || av === undefined ? starts.map((_, i) => i) : intList(c, av, 'axes');
      const steps = la || stv === null || stv === undefined ? starts.map(() => 1) : intList(c, stv, 'steps');
      if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
        throw new ShapeError(`${WHAT}: ${c.label}: starts, ends, axes and steps have lengths ${starts.length}, ${ends.length}, ${axes.length}, ${steps.length}`);
      }
      return move([x as Value], ([t]) => {
        let y = t;
        starts.forEach((s, i) => {
          if (steps[i] === 0) throw new ArgumentError(`${WHAT}: ${c.label}: steps must not be 0`);
          y = sliceAxis(y, normAxis(c, axes[i], r, 'axes'), s, ends[i], steps[i]);
        });
        return y;
      });
    });
  },
  Split: (a, c) => {
    const axis = a.int('axis', 0);
    const attrSplit = c.opset < 13 ? a.ints('split') : undefined;
    const numOutputs = a.int('num_outputs', c.node.outputs.length);
    return ([x, sv]) => {
      const s = shapeOf(x as Value);
      const ax = normAxis(c, axis, s.length);
      const n = s[ax];
      let sizes = attrSplit ?? (sv === null || sv === undefined ? undefined : intList(c, sv, 'split'));
      if (sizes === undefined) {
        const k = Math.ceil(n / numOutputs);
        sizes = Array.from({ length: numOutputs }, (_, i) => Math.max(0, Math.min(k, n - i * k)));
      }
      if (sizes.reduce((p, q) => p + q, 0) !== n || sizes.some((q) => q < 0)) throw new ShapeError(`${WHAT}: ${c.label}: split ${describe(sizes)} does not sum to ${n} (input ${fmtShape(s)}, axis ${ax})`);
      let start = 0;
      return sizes.map((q) => {
        const from = start;
        start += q;
        return move([x as Value], ([t]) => sliceAxis(t, ax, from, from + q, 1));
      });
    };
  },
  Gather: (a, c) => {
    const axis = a.int('axis', 0);
    return one(([x, iv]) => {
      const s = shapeOf(x as Value);
      const ax = normAxis(c, axis, s.length);
      const idx = toInts(iv as Value);
      const outShape = [...s.slice(0, ax), ...idx.shape, ...s.slice(ax + 1)];
      return move([x as Value], ([t]) => reshape(indexSelect(t, ax, idx.data), outShape));
    });
  },
  Expand: (_a, c) => one(([x, sv]) => {
    const s = shapeOf(x as Value), target = intList(c, sv, 'shape');
    const shape = broadcastShapes(s, target, WHAT, ['input', 'shape']);
    return move([x as Value], ([t]) => expand(reshape(t, pad1(t.shape, shape.length)), shape));
  }),
  Tile: (_a, c) => one(([x, rv]) => move([x as Value], ([t]) => tile(t, intList(c, rv, 'repeats')))),
  Pad: (a, c) => {
    const mode = a.str('mode', 'constant');
    if (mode !== 'constant') unsupported(c, `attribute mode = '${mode}' is not supported (only constant)`);
    const legacy = c.opset < 11;
    const lp = legacy ? a.ints('pads') : undefined, lv = legacy ? a.float('value', 0) : 0;
    if (has(c, 3)) unsupported(c, 'input axes is not supported');
    return one(([xv, pv, vv]) => {
      const x = T(xv);
      const p = lp ?? intList(c, pv, 'pads');
      const value = legacy ? lv : vv === null || vv === undefined ? 0 : T(vv).data[0];
      if (p.length !== 2 * x.ndim || p.some((v) => v < 0)) throw new ArgumentError(`${WHAT}: ${c.label}: pads ${describe(p)} must be ${2 * x.ndim} non-negative numbers for input ${fmtShape(x.shape)}`);
      return padSpatial(x, p, x.ndim, value);
    });
  },
  Sum: () => one((ins) => ins.filter((v): v is Value => v !== null).map((v) => T(v)).reduce((p, q) => add(p, q))),
  Max: () => one((ins) => ins.filter((v): v is Value => v !== null).map((v) => T(v)).reduce((p, q) => maximum(p, q))),
  Min: () => one((ins) => ins.filter((v): v is Value => v !== null).map((v) => T(v)).reduce((p, q) => minimum(p, q))),
  Add: binary(add, (x, y) => x + y),
  Sub: binary(sub, (x, y) => x - y),
  Mul: binary(mul, (x, y) => x * y),
  Div: binary(div, (x, y) => Math.trunc(x / y)),
  Pow: binary(pow, (x, y) => x ** y),
  Equal: compare(eq, (x, y) => x === y),
  Greater: compare(gt, (x, y) => x > y),
  GreaterOrEqual: compare(ge, (x, y) => x >= y),
  Less: compare(lt, (x, y) => x < y),
  LessOrEqual: compare(le, (x, y) => x <= y),
  Not: () => one(([x]) => { const i = toInts(x as Value); return ints(i.shape, i.data.map((v) => (v === 0 ? 1 : 0))); }),
  Where: () => one(([cv, xv, yv]) => {
    const cond = toInts(cv as Value);
    if (isInts(xv) && isInts(yv)) {
      const shape = broadcastShapes(broadcastShapes(cond.shape, xv.shape, WHAT), yv.shape, WHAT);
      const cb = bcast(cond, shape), xb = bcast(xv, shape), yb = bcast(yv, shape);
      return ints(shape, cb.data.map((v, i) => (v !== 0 ? xb.data[i] : yb.data[i])));
    }
    return where(toTensor(cond), T(xv), T(yv));
  }),
  Neg: () => one(([x]) => (isInts(x) ? ints(x.shape, x.data.map((v) => -v)) : neg(T(x)))),
  Abs: () => one(([x]) => (isInts(x) ? ints(x.shape, x.data.map(Math.abs)) : abs(T(x)))),
  Relu: (a, c) => mark(unary(relu)(a, c), { kind: 'relu' }),
  Sigmoid: unary(sigmoid),
  Tanh: unary(tanh),
  Exp: unary(exp),
  Log: unary(log),
  Sqrt: unary(sqrt),
  Erf: unary(erf),
  Reciprocal: unary((x) => div(1, x)),
  Softplus: unary((x) => softplus(x)),
  Softsign: unary((x) => div(x, add(abs(x), 1))),
  LeakyRelu: (a) => { const alpha = a.float('alpha', 0.01); return one(([x]) => leakyRelu(T(x), alpha)); },
  Elu: (a) => { const alpha = a.float('alpha', 1); return one(([x]) => elu(T(x), alpha)); },
  Selu: (a) => {
    const alpha = a.float('alpha', 1.67326319217681884765625), gamma = a.float('gamma', 1.05070102214813232421875);
    return one(([x]) => mul(elu(T(x), alpha), gamma));
  },
  HardSigmoid: (a) => {
    const alpha = a.float('alpha', 0.2), beta = a.float('beta', 0.5);
    return one(([x]) => clamp(add(mul(T(x), alpha), beta), { min: 0, max: 1 }));
  },
  HardSwish: () => one(([x]) => mul(T(x), clamp(add(div(T(x), 6), 0.5), { min: 0, max: 1 }))),
  Gelu: (a, c) => {
    const approximate = a.str('approximate', 'none');
    if (approximate !== 'none' && approximate !== 'tanh') unsupported(c, `attribute approximate = '${approximate}' is not supported`);
    return one(([x]) => gelu(T(x), { approximate }));
  },
  Clip: (a, c) => {
    const legacy = c.opset < 11;
    const lmin = legacy ? a.float('min', -Infinity) : -Infinity, lmax = legacy ? a.float('max', Infinity) : Infinity;
    return one(([x, mn, mx]) => {
      const lo = legacy || mn === null || mn === undefined ? lmin : T(mn).data[0];
      const hi = legacy || mx === null || mx === undefined ? lmax : T(mx).data[0];
      return clamp(T(x), { min: lo, max: hi });
    });
  },
  MatMul: () => one(([x, y]) => matmul(T(x), T(y))),
  Gemm: (a) => {
    const alpha = a.float('alpha', 1), beta = a.float('beta', 1), transA = a.int('transA', 0), transB = a.int('transB', 0);
    return one(([av, bv, cv]) => {
      const A = T(av), B = T(bv), C = cv === null || cv === undefined ? null : T(cv);
      if (!transA && transB && alpha === 1 && beta === 1 && (C === null || (C.ndim === 1 && C.size === B.shape[0]))) return linear(A, B, C);
      let y = matmul(transA ? permute(A, [1, 0]) : A, transB ? permute(B, [1, 0]) : B);
      if (alpha !== 1) y = mul(y, alpha);
      if (C !== null && beta !== 0) y = add(y, beta === 1 ? C : mul(C, beta));
      return y;
    });
  },
  Conv: conv,
  ConvTranspose: convTranspose,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: globalPool(mean),
  GlobalMaxPool: globalPool(max),
  BatchNormalization: (a, c) => {
    const eps = a.float('epsilon', 1e-5);
    a.float('momentum', 0.9);
    if (a.int('training_mode', 0) !== 0) unsupported(c, 'attribute training_mode = 1 is not supported (the imported graph runs batch norm with its running statistics)');
    if (a.int('spatial', 1) !== 1) unsupported(c, 'attribute spatial = 0 is not supported');
    if (c.node.outputs.slice(1).some((o) => o !== '')) unsupported(c, 'outputs running_mean and running_var (training mode) are not supported');
    return one(([x, s, b, m, v]) => batchNorm(T(x), T(m), T(v), T(s), T(b), { training: false, eps }));
  },
  LayerNormalization: (a, c) => {
    const axis = a.int('axis', -1), eps = a.float('epsilon', 1e-5);
    a.int('stash_type', 1);
    if (c.node.outputs.slice(1).some((o) => o !== '')) unsupported(c, 'outputs Mean and InvStdDev are not supported');
    return one(([xv, sv, bv]) => {
      const x = T(xv);
      const ax = normAxis(c, axis, x.ndim);
      const ns = x.shape.slice(ax);
      const fit = (v: Value | null | undefined): Tensor | null => {
        if (v === null || v === undefined) return null;
        const t = T(v);
        if (t.size !== sizeOf(ns)) return expand(reshape(t, pad1(t.shape, ns.length)), ns);
        return t.ndim === ns.length ? t : reshape(t, ns);
      };
      return layerNorm(x, ns, fit(sv), fit(bv), eps);
    });
  },
  Softmax: softmaxLike(softmax),
  LogSoftmax: softmaxLike(logSoftmax),
  ReduceMean: reduce(mean, (o) => o >= 18),
  ReduceSum: reduce(sum, (o) => o >= 13),
  ReduceMax: reduce(max, (o) => o >= 18),
  ReduceMin: reduce(min, (o) => o >= 18),
  LSTM: recurrent('LSTM'),
  GRU: recurrent('GRU'),
  RNN: recurrent('RNN'),
};
