import { allocFloat32 } from '../alloc';
import { canFuse, needsGrad, record, type OpAttrs } from '../autograd';
import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { kernels as K } from '../kernels/backend';
import type { ConvGeom } from '../kernels/conv';
import { anyOf, int, isPlainObject, oneOf, pairOf, parseOptions, posInt, type Check } from '../options';
import { describe } from '../shape';
import { Tensor } from '../tensor';
import { maxPool2d } from './pool';
import { reshape } from './shape';
import { relu } from './unary';

/** A number for both spatial axes, or a `[h, w]` pair. */
export type Pair = number | readonly [number, number];

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  /** Step between receptive fields (default 1). */
  stride?: Pair;
  /**
   * Zero padding on each side (default 0), or `'valid'` (none) or `'same'` (output size equals
   * input size; stride 1 only; an odd total goes to the bottom/right, as PyTorch).
   */
  padding?: Pair | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Channel groups (default 1); `groups = C` is a depthwise convolution. */
  groups?: number;
}

/** Options of {@link convTranspose2d}. */
export interface ConvTranspose2dOptions {
  /** Stride of the convolution this one transposes (default 1). */
  stride?: Pair;
  /** Padding of the convolution this one transposes (default 0): removed from each side of the output. */
  padding?: Pair;
  /** Extra rows/columns added to one side of the output (default 0; smaller than stride or dilation). */
  outputPadding?: Pair;
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Channel groups (default 1). */
  groups?: number;
}

const POS_PAIR = pairOf(posInt);
const NONNEG_PAIR = pairOf(int({ min: 0 }));
const PADDING: Check<[number, number] | 'same' | 'valid'> = anyOf<[number, number] | 'same' | 'valid'>(
  "an integer ≥ 0, a pair [h, w] of them, 'same' or 'valid'", NONNEG_PAIR, oneOf(['same', 'valid'] as const),
);
const CONV2D_SPEC = { stride: POS_PAIR, padding: PADDING, dilation: POS_PAIR, groups: posInt };
const CONV1D_SPEC = { stride: posInt, padding: anyOf<number | 'same' | 'valid'>("an integer ≥ 0, 'same' or 'valid'", int({ min: 0 }), oneOf(['same', 'valid'] as const)), dilation: posInt, groups: posInt };
const CONVT_SPEC = { stride: POS_PAIR, padding: NONNEG_PAIR, outputPadding: NONNEG_PAIR, dilation: POS_PAIR, groups: posInt };

/**
 * The options of a convolution from either form: an options object, or PyTorch's positional
 * arguments after the bias (`conv2d(x, w, b, stride, padding, dilation, groups)`; `names` is their
 * order for this op). Too many positionals are refused rather than ignored.
 */
function convArgs(op: string, options: unknown, rest: readonly unknown[], names: readonly string[]): unknown {
  if (options === undefined || isPlainObject(options)) {
    if (rest.length > 0 && rest.some((v) => v !== undefined)) {
      throw new ArgumentError(`${op}: ${describe(rest[0])} was given positionally after an options object; put it in the options`);
    }
    return options;
  }
  // Anything else (a string, a Tensor) is left to parseOptions, which refuses it with its type.
  if (typeof options !== 'number' && !Array.isArray(options)) return options;
  const args = [options, ...rest];
  if (args.length > names.length) throw new ArgumentError(`${op}: ${args.length} positional arguments after the bias; ${op} takes at most ${names.length} (${names.join(', ')})`);
  const o: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) if (args[i] !== undefined) o[names[i]] = args[i];
  return o;
}

function needTensor(x: unknown, op: string, arg: string): Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: ${arg} must be a Tensor, got ${describe(x)}`);
  return x;
}

/**
 * Fully connected map y = x·Wᵀ + b over the last axis (PyTorch's `F.linear`); leading axes are
 * batch axes folded into one GEMM.
 * Shapes: x (…, C), weight (OC, C), bias (OC) or null → (…, OC).
 * Gradient: dx = dy·W, dW = dyᵀ·x (summed over the batch), db = Σ dy.
 * @example linear(tensor([[1, 2]]), tensor([[1, 0], [0, 1], [1, 1]]), tensor([0, 0, 1])).tolist(); // [[1, 2, 4]]
 * @throws ShapeError when x's last axis is not weight's second, or bias is not [OC].
 * @category Layers
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  needTensor(x, 'linear', 'x');
  needTensor(weight, 'linear', 'weight');
  if (weight.ndim !== 2) throw new ShapeError(`linear: weight ${fmtShape(weight.shape)} must be 2-D [outFeatures, inFeatures]`);
  const [OC, C] = weight.shape;
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== C) {
    throw new ShapeError(`linear: x ${fmtShape(x.shape)} must end in ${C} features to match weight ${fmtShape(weight.shape)}`);
  }
  if (bias !== null && (!(bias instanceof Tensor) || bias.ndim !== 1 || bias.size !== OC)) {
    throw new ShapeError(`linear: bias ${bias instanceof Tensor ? fmtShape(bias.shape) : describe(bias)} must be [${OC}] for weight ${fmtShape(weight.shape)}`);
  }
  const B = x.size / C;
  const out = Tensor.empty([...x.shape.slice(0, -1), OC], 'linear');
  const o = out.data;
  K.gemm(o, 0, x.data, 0, weight.data, 0, B, C, OC, false, true, false);
  if (bias !== null) {
    const bd = bias.data;
    for (let b = 0; b < B; b++) {
      const row = b * OC;
      for (let j = 0; j < OC; j++) o[row + j] += bd[j];
    }
  }
  const inputs = bias === null ? [x, weight] : [x, weight, bias];
  return record('linear', out, inputs, (dy) => {
    if (x.requiresGrad) K.gemm(x.gradBuffer(), 0, dy, 0, weight.data, 0, B, OC, C, false, false, true);
    if (weight.requiresGrad) K.gemm(weight.gradBuffer(), 0, dy, 0, x.data, 0, OC, B, C, true, false, true);
    if (bias !== null && bias.requiresGrad) {
      const db = bias.gradBuffer();
      const acc = new Float64Array(OC);
      for (let b = 0; b < B; b++) {
        const row = b * OC;
        for (let j = 0; j < OC; j++) acc[j] += dy[row + j];
      }
      for (let j = 0; j < OC; j++) db[j] += acc[j];
    }
  });
}

interface Resolved {
  B: number;
  C: number;
  OC: number;
  G: number;
  geom: ConvGeom;
  unbatched: boolean;
}

function resolveConv(op: string, x: Tensor, weight: Tensor, bias: Tensor | null, options: unknown): Resolved {
  needTensor(x, op, 'x');
  needTensor(weight, op, 'weight');
  if (x.ndim !== 4 && x.ndim !== 3) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} must be [B, C, H, W] or unbatched [C, H, W]`);
  if (weight.ndim !== 4) throw new ShapeError(`${op}: weight ${fmtShape(weight.shape)} must be [OC, C / groups, KH, KW]`);
  const unbatched = x.ndim === 3;
  const [B, C, H, W] = unbatched ? [1, ...x.shape] : x.shape;
  const [OC, Cg, KH, KW] = weight.shape;
  const o = parseOptions(op, options, CONV2D_SPEC);
  const G = o.groups ?? 1;
  if (C % G !== 0 || OC % G !== 0) throw new ShapeError(`${op}: groups ${G} must divide both the input channels ${C} (x ${fmtShape(x.shape)}) and the output channels ${OC} (weight ${fmtShape(weight.shape)})`);
  if (Cg !== C / G) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} has ${C} channels but weight ${fmtShape(weight.shape)} expects ${Cg * G} (${Cg} per group × groups ${G})`);
  if (KH < 1 || KW < 1) throw new ShapeError(`${op}: weight ${fmtShape(weight.shape)} has an empty kernel`);
  if (bias !== null && (!(bias instanceof Tensor) || bias.ndim !== 1 || bias.size !== OC)) {
    throw new ShapeError(`${op}: bias ${bias instanceof Tensor ? fmtShape(bias.shape) : describe(bias)} must be [${OC}] for weight ${fmtShape(weight.shape)}`);
  }
  const [SH, SW] = o.stride ?? [1, 1];
  const [DH, DW] = o.dilation ?? [1, 1];
  const ekh = DH * (KH - 1) + 1, ekw = DW * (KW - 1) + 1;
  let PH: number, PW: number, OH: number, OW: number;
  if (o.padding === 'same') {
    if (SH !== 1 || SW !== 1) throw new ArgumentError(`${op}: padding 'same' needs stride 1, got stride [${SH}, ${SW}]`);
    PH = Math.floor((ekh - 1) / 2);
    PW = Math.floor((ekw - 1) / 2);
    OH = H;
    OW = W;
  } else {
    [PH, PW] = o.padding === 'valid' || o.padding === undefined ? [0, 0] : o.padding;
    if (H + 2 * PH < ekh || W + 2 * PW < ekw) {
      throw new ShapeError(`${op}: kernel [${KH}, ${KW}] (dilated [${ekh}, ${ekw}]) is larger than the padded input [${H + 2 * PH}, ${W + 2 * PW}] (x ${fmtShape(x.shape)}, padding [${PH}, ${PW}])`);
    }
    OH = Math.floor((H + 2 * PH - ekh) / SH) + 1;
    OW = Math.floor((W + 2 * PW - ekw) / SW) + 1;
  }
  return { B, C, OC, G, unbatched, geom: { C: Cg, H, W, KH, KW, OH, OW, SH, SW, PH, PW, DH, DW } };
}

/**
 * 2-D convolution (cross-correlation, as every deep-learning library) over NCHW images, as a
 * blocked GEMM whose column panels are gathered from a zero-padded copy of each image (the im2col
 * matrix is never built; 1×1 stride-1 convolutions are a plain GEMM):
 * out[b, o, i, j] = bias[o] + Σ_{c, kh, kw} w[o, c, kh, kw] · x[b, g(o)·Cg + c, i·s − p + kh·d, j·s − p + kw·d].
 * Shapes: x (B, C, H, W) or (C, H, W), weight (OC, C / groups, KH, KW), bias (OC) →
 * (B, OC, OH, OW) with OH = ⌊(H + 2p − d(KH − 1) − 1)/s⌋ + 1.
 * Gradient: dx = col2im(Wᵀ·dy), dW = dy·im2col(x)ᵀ, db = Σ dy.
 * The options may also be given as PyTorch's positional arguments after the bias:
 * `conv2d(x, w, b, stride, padding, dilation, groups)`.
 * @example conv2d(ones([1, 1, 3, 3]), ones([1, 1, 2, 2])).tolist(); // [[[[4, 4], [4, 4]]]]
 * @throws ShapeError on a channel mismatch, groups not dividing the channels, or a kernel larger than the padded input.
 * @throws ArgumentError on an unknown option or a bad stride, padding, dilation or groups.
 * @category Convolution
 */
export function conv2d(
  x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions | Pair = {}, ...rest: (Pair | 'same' | 'valid' | number | undefined)[]
): Tensor {
  const opts = convArgs('conv2d', options, rest, ['stride', 'padding', 'dilation', 'groups']);
  const r = resolveConv('conv2d', x, weight, bias, opts);
  const out = convOutput(r);
  K.conv2dForward(out.data, x.data, weight.data, bias === null ? null : bias.data, r.B, r.OC, r.G, r.geom);
  return record('conv2d', out, convInputs(x, weight, bias), convBackward(r, x, weight, bias), convAttrs(r));
}

const convInputs = (x: Tensor, weight: Tensor, bias: Tensor | null): Tensor[] => (bias === null ? [x, weight] : [x, weight, bias]);

const convAttrs = ({ G, geom }: Resolved): OpAttrs => ({ stride: [geom.SH, geom.SW], padding: [geom.PH, geom.PW], dilation: [geom.DH, geom.DW], groups: G });

/** The gradient buffers a convolution's backward accumulates into: dx, dw, dbias (null where no gradient is wanted). */
const convGrads = (x: Tensor, weight: Tensor, bias: Tensor | null): [Float32Array | null, Float32Array | null, Float32Array | null] => [
  x.requiresGrad ? x.gradBuffer() : null,
  weight.requiresGrad ? weight.gradBuffer() : null,
  bias !== null && bias.requiresGrad ? bias.gradBuffer() : null,
];

/** The inputs' gradients of a resolved conv2d from the gradient `dy` of its (B, OC, OH, OW) output. */
function convBackward(r: Resolved, x: Tensor, weight: Tensor, bias: Tensor | null): (dy: Float32Array) => void {
  const { B, OC, G, geom } = r;
  return (dy) => K.conv2dBackward(...convGrads(x, weight, bias), dy, x.data, weight.data, B, OC, G, geom);
}

/**
 * relu(conv2d(x, weight, bias, options)), fused where nothing can see the convolution's output
 * (`canFuse`: no ONNX trace and no numeric check running): the ReLU is taken by the convolution
 * kernel in place on its output (on the wasm backend while the output is still in the wasm memory,
 * which saves the ReLU kernel's copies in and out), so no second output tensor is allocated. With
 * gradients on, one node is recorded: its backward masks dy by the output (relu(v) > 0 exactly when
 * v > 0, so the output gives the ReLU's mask) and runs the convolution's backward. Values and
 * gradients are the two ops' bit for bit; anywhere else it is the two ops. What `Sequential` runs
 * for a `Conv2d` followed by a `ReLU`.
 * @internal
 */
export function conv2dRelu(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions): Tensor {
  if (!canFuse()) return relu(conv2d(x, weight, bias, options));
  const r = resolveConv('conv2d', x, weight, bias, options);
  const out = convOutput(r);
  K.conv2dForward(out.data, x.data, weight.data, bias === null ? null : bias.data, r.B, r.OC, r.G, r.geom, false, true);
  const back = convBackward(r, x, weight, bias);
  return record('conv2dRelu', out, convInputs(x, weight, bias), (dy) => {
    const dconv = allocFloat32(out.size, 'conv2dRelu');
    K.reluBackward(dconv, dy, out.data, out.size);
    back(dconv);
  }, convAttrs(r));
}

/**
 * maxPool2d(relu(conv2d(x, weight, bias, options)), 2): a convolution, its ReLU and a 2×2 stride-2
 * max pool (`MaxPool2d(2)`), fused where {@link conv2dRelu} fuses. The kernel pools the ReLU'd
 * output itself (on the wasm backend inside the wasm memory), so the full-size output is never
 * allocated or copied (nor the pool's argmax, unless a gradient is recorded). With gradients on,
 * one node is recorded: its backward scatters dy to the winning taps, masked by the pooled values
 * (the ReLU's mask there), and runs the convolution's backward (`conv2dReluPoolBackward`). Values
 * and gradients are the three ops' bit for bit. Anywhere else, and for an output smaller than
 * 2 × 2 (whose error is the pool's), it is the three ops. What `Sequential` runs for a `Conv2d`, a `ReLU` and a
 * `MaxPool2d(2)`.
 * @internal
 */
export function conv2dReluPool(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions): Tensor {
  if (!canFuse()) return maxPool2d(relu(conv2d(x, weight, bias, options)), 2);
  const r = resolveConv('conv2d', x, weight, bias, options);
  const { B, OC, geom } = r;
  if (geom.OH < 2 || geom.OW < 2) return maxPool2d(conv2dRelu(x, weight, bias, options), 2);
  const OH = geom.OH >> 1, OW = geom.OW >> 1;
  const out = Tensor.empty(r.unbatched ? [OC, OH, OW] : [B, OC, OH, OW], 'conv2d');
  const inputs = convInputs(x, weight, bias);
  const argmax = needsGrad(inputs) ? new Int32Array(out.size) : null;
  K.conv2dForward(out.data, x.data, weight.data, bias === null ? null : bias.data, B, OC, r.G, geom, false, true, argmax ?? true);
  if (argmax === null) return out;
  return record('conv2dReluPool', out, inputs, (dy) => {
    K.conv2dReluPoolBackward(...convGrads(x, weight, bias), dy, out.data, argmax, x.data, weight.data, B, OC, r.G, geom);
  }, convAttrs(r));
}

/** The uninitialised output of a resolved conv2d: (B, OC, OH, OW), or (OC, OH, OW) for an unbatched input. */
function convOutput(r: Resolved): Tensor {
  const { B, OC, geom } = r;
  return Tensor.empty(r.unbatched ? [OC, geom.OH, geom.OW] : [B, OC, geom.OH, geom.OW], 'conv2d');
}

/** Options of {@link conv1d}: as {@link Conv2dOptions} with single numbers. */
export interface Conv1dOptions {
  /** Step (default 1). */
  stride?: number;
  /** Zero padding on each side, `'valid'` or `'same'` (default 0). */
  padding?: number | 'same' | 'valid';
  /** Tap spacing (default 1). */
  dilation?: number;
  /** Channel groups (default 1). */
  groups?: number;
}

/**
 * 1-D convolution over [B, C, L] sequences, run as a 2-D convolution with height 1.
 * Shapes: x (B, C, L) or (C, L), weight (OC, C / groups, K), bias (OC) → (B, OC, OL).
 * Gradient: as {@link conv2d}.
 * The options may also be positional after the bias: `conv1d(x, w, b, stride, padding, dilation, groups)`.
 * @example conv1d(tensor([[[1, 2, 3]]]), tensor([[[1, 1]]])).tolist(); // [[[3, 5]]]
 * @throws ShapeError as {@link conv2d}.
 * @category Convolution
 */
export function conv1d(
  x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv1dOptions | number = {}, ...rest: (number | 'same' | 'valid' | undefined)[]
): Tensor {
  const o = parseOptions('conv1d', convArgs('conv1d', options, rest, ['stride', 'padding', 'dilation', 'groups']), CONV1D_SPEC);
  needTensor(x, 'conv1d', 'x');
  needTensor(weight, 'conv1d', 'weight');
  if (x.ndim !== 3 && x.ndim !== 2) throw new ShapeError(`conv1d: x ${fmtShape(x.shape)} must be [B, C, L] or unbatched [C, L]`);
  if (weight.ndim !== 3) throw new ShapeError(`conv1d: weight ${fmtShape(weight.shape)} must be [OC, C / groups, K]`);
  const x4 = x.ndim === 3 ? reshape(x, [x.shape[0], x.shape[1], 1, x.shape[2]]) : reshape(x, [1, x.shape[0], 1, x.shape[1]]);
  const w4 = reshape(weight, [weight.shape[0], weight.shape[1], 1, weight.shape[2]]);
  const pad = o.padding;
  const y = conv2d(x4, w4, bias, {
    stride: [1, o.stride ?? 1],
    padding: pad === 'same' || pad === 'valid' ? pad : [0, pad ?? 0],
    dilation: [1, o.dilation ?? 1],
    groups: o.groups,
  });
  return x.ndim === 3 ? reshape(y, [y.shape[0], y.shape[1], y.shape[3]]) : reshape(y, [y.shape[1], y.shape[3]]);
}

/**
 * Transposed 2-D convolution ("deconvolution"), the gradient of {@link conv2d} with respect to
 * its input, as PyTorch's `conv_transpose2d`:
 * out[b, g·OCg + o, i·s − p + kh·d, j·s − p + kw·d] += x[b, g·Cg + c, i, j] · w[g·Cg + c, o, kh, kw].
 * Shapes: x (B, C, H, W) or (C, H, W), weight (C, OC / groups, KH, KW), bias (OC) →
 * (B, OC, OH, OW), OH = (H − 1)·s − 2p + d(KH − 1) + outputPadding + 1.
 * Gradient: dx = W·im2col(dy), dW = x·im2col(dy)ᵀ, db = Σ dy.
 * The options may also be PyTorch's positional arguments after the bias, in its order:
 * `convTranspose2d(x, w, b, stride, padding, outputPadding, groups, dilation)`.
 * @example convTranspose2d(ones([1, 1, 2, 2]), ones([1, 1, 2, 2]), null, { stride: 2 }).shape; // [1, 1, 4, 4]
 * @throws ShapeError on a channel mismatch; ArgumentError if outputPadding is not below stride or dilation.
 * @category Convolution
 */
export function convTranspose2d(
  x: Tensor, weight: Tensor, bias: Tensor | null = null, options: ConvTranspose2dOptions | Pair = {}, ...rest: (Pair | number | undefined)[]
): Tensor {
  const op = 'convTranspose2d';
  const o = parseOptions(op, convArgs(op, options, rest, ['stride', 'padding', 'outputPadding', 'groups', 'dilation']), CONVT_SPEC);
  needTensor(x, op, 'x');
  needTensor(weight, op, 'weight');
  if (x.ndim !== 4 && x.ndim !== 3) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} must be [B, C, H, W] or unbatched [C, H, W]`);
  if (weight.ndim !== 4) throw new ShapeError(`${op}: weight ${fmtShape(weight.shape)} must be [C, OC / groups, KH, KW]`);
  const unbatched = x.ndim === 3;
  const [B, C, H, W] = unbatched ? [1, ...x.shape] : x.shape;
  const [Cw, OCg, KH, KW] = weight.shape;
  const G = o.groups ?? 1;
  if (Cw !== C) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} has ${C} channels but weight ${fmtShape(weight.shape)} expects ${Cw}`);
  if (C % G !== 0) throw new ShapeError(`${op}: groups ${G} must divide the input channels ${C} (x ${fmtShape(x.shape)})`);
  const OC = OCg * G;
  if (bias !== null && (!(bias instanceof Tensor) || bias.ndim !== 1 || bias.size !== OC)) {
    throw new ShapeError(`${op}: bias ${bias instanceof Tensor ? fmtShape(bias.shape) : describe(bias)} must be [${OC}] for weight ${fmtShape(weight.shape)} and groups ${G}`);
  }
  const [SH, SW] = o.stride ?? [1, 1];
  const [PH, PW] = o.padding ?? [0, 0];
  const [DH, DW] = o.dilation ?? [1, 1];
  const [OPH, OPW] = o.outputPadding ?? [0, 0];
  if ((OPH >= SH && OPH >= DH) || (OPW >= SW && OPW >= DW)) {
    throw new ArgumentError(`${op}: outputPadding [${OPH}, ${OPW}] must be smaller than either stride [${SH}, ${SW}] or dilation [${DH}, ${DW}]`);
  }
  const OH = (H - 1) * SH - 2 * PH + DH * (KH - 1) + OPH + 1;
  const OW = (W - 1) * SW - 2 * PW + DW * (KW - 1) + OPW + 1;
  if (OH <= 0 || OW <= 0) throw new ShapeError(`${op}: output size [${OH}, ${OW}] is not positive (x ${fmtShape(x.shape)}, padding [${PH}, ${PW}])`);
  // The geometry of the forward conv that maps an (OH, OW) image to the (H, W) grid of x.
  const geom: ConvGeom = { C: OCg, H: OH, W: OW, KH, KW, OH: H, OW: W, SH, SW, PH, PW, DH, DW };
  const out = Tensor.empty(unbatched ? [OC, OH, OW] : [B, OC, OH, OW], op);
  K.convTranspose2dForward(out.data, x.data, weight.data, bias === null ? null : bias.data, B, C, G, geom);
  const inputs = bias === null ? [x, weight] : [x, weight, bias];
  return record(op, out, inputs, (dy) => {
    K.convTranspose2dBackward(
      x.requiresGrad ? x.gradBuffer() : null,
      weight.requiresGrad ? weight.gradBuffer() : null,
      bias !== null && bias.requiresGrad ? bias.gradBuffer() : null,
      dy, x.data, weight.data, B, C, G, geom,
    );
  }, { stride: [SH, SW], padding: [PH, PW], outputPadding: [OPH, OPW], dilation: [DH, DW], groups: G });
}
