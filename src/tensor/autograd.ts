import { ArgumentError, NumericError, ShapeError, TensorkitError, fmtShape } from './errors';
import { bool, parseOptions } from './options';
import { describe } from './shape';
import { Tensor } from './tensor';

/**
 * The attributes of one recorded op: its non-tensor arguments (axis, keepDims, stride, …) as a
 * small JSON-safe object, kept on the graph node and in a trace so that an exporter or a
 * per-sample-gradient transform can replay the op. Ops without attributes record `{}`.
 * @category Autograd
 */
export type OpAttrs = Readonly<Record<string, unknown>>;

/**
 * What `registerHook` (and the nn module hooks) return: `remove()` unregisters the hook; calling it
 * again does nothing.
 * @category Autograd
 */
export interface RemovableHandle {
  /** Unregisters the hook (idempotent). */
  remove(): void;
}

/**
 * A gradient hook (see `Tensor.registerHook`): called with the tensor's complete gradient, as a
 * tensor of the hooked tensor's shape that does not require grad; returns a replacement gradient
 * (a Tensor or Float32Array of the same size) or nothing to keep it.
 * @category Autograd
 */
export type GradHook = (grad: Tensor) => Tensor | Float32Array | void | undefined;

/** One op recorded by a trace: its name, inputs, output and attributes. @internal */
export interface TracedOp {
  op: string;
  inputs: Tensor[];
  output: Tensor;
  attrs: OpAttrs;
}

/**
 * One recorded operation of the autograd graph: the op's name, its inputs and the closure that
 * accumulates the inputs' gradients from the output's gradient `dy`. `backward` becomes null when
 * the graph is released after `backward()`.
 * @internal
 */
export interface GradNode {
  op: string;
  inputs: Tensor[];
  backward: ((dy: Float32Array) => void) | null;
  /** The op's attributes, as given to {@link record} (`{}` when it has none). */
  attrs: OpAttrs;
}

const NO_ATTRS: OpAttrs = Object.freeze({});

/** Options of {@link setDebug}. */
export interface DebugOptions {
  /** Throw a `NUMERIC` error from the first op whose output (or gradient) holds NaN or ±Inf. */
  checkNumerics?: boolean;
}

let gradEnabled = true;
const debug = { checkNumerics: false };
// The op list of the innermost running trace (see trace.ts), or null: the one check record() pays.
let tracer: TracedOp[] | null = null;

/** Installs `list` as the op list that {@link record} appends to, returning the previous one. @internal */
export function swapTracer(list: TracedOp[] | null): TracedOp[] | null {
  const prev = tracer;
  tracer = list;
  return prev;
}

const DEBUG_SPEC = { checkNumerics: bool };

/**
 * Turns debugging checks on or off. With `checkNumerics`, every op scans its output and every
 * backward step scans the gradients it wrote, and throws a {@link NumericError} naming the op and
 * the NaN/Inf counts, so the first op where a NaN appears is found. It costs one pass over each
 * output; leave it off in production.
 * @example
 * setDebug({ checkNumerics: true });
 * log(tensor([-1])); // throws NumericError: log: output [1] has 1 NaN and 0 ±Inf values ...
 * @category Autograd
 */
export function setDebug(options: DebugOptions): void {
  const o = parseOptions('setDebug', options, DEBUG_SPEC);
  if (o.checkNumerics !== undefined) debug.checkNumerics = o.checkNumerics;
}

/** The current debug settings (a copy). @category Autograd */
export function getDebug(): Required<DebugOptions> {
  return { ...debug };
}

/** True unless inside {@link noGrad}. @category Autograd */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * True when an op may fuse with the next one (a convolution with its ReLU): nothing will see the
 * op between them, as no trace is running (an ONNX export sees every op) and no numeric check names
 * the ops one by one. With gradients on, the fused op records one node whose backward gives the
 * separate ops' gradients. @internal
 */
export function canFuse(): boolean {
  return tracer === null && !debug.checkNumerics;
}

/** True when an op on `inputs` will record a gradient node (see {@link record}). @internal */
export function needsGrad(inputs: readonly Tensor[]): boolean {
  if (!gradEnabled) return false;
  for (let i = 0; i < inputs.length; i++) if (inputs[i].requiresGrad) return true;
  return false;
}

/**
 * Runs `fn` with gradient recording off (PyTorch's `torch.no_grad()`): ops inside build no graph
 * and their outputs do not require grad. Restores the previous mode even if `fn` throws.
 * @example
 * const w = tensor([1, 2], undefined, { requiresGrad: true });
 * noGrad(() => mul(w, 2)).requiresGrad; // false
 * @category Autograd
 */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Runs `fn` with gradient recording on, even inside {@link noGrad}.
 * @category Autograd
 */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

function countNonFinite(data: Float32Array): [number, number, number] {
  let nan = 0, inf = 0, first = -1;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v !== v) {
      nan++;
      if (first < 0) first = i;
    } else if (v === Infinity || v === -Infinity) {
      inf++;
      if (first < 0) first = i;
    }
  }
  return [nan, inf, first];
}

function checkOutput(op: string, out: Tensor, inputs: readonly Tensor[]): void {
  const [nan, inf, first] = countNonFinite(out.data);
  if (nan + inf === 0) return;
  const bad: string[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const [n, f] = countNonFinite(inputs[i].data);
    if (n + f > 0) bad.push(`input ${i} ${fmtShape(inputs[i].shape)} already had ${n} NaN and ${f} ±Inf`);
  }
  const origin = bad.length ? `; ${bad.join('; ')}` : '; its inputs were finite, so it started here';
  throw new NumericError(
    `${op}: output ${fmtShape(out.shape)} has ${nan} NaN and ${inf} ±Inf values (first at flat index ${first})${origin}`,
  );
}

/**
 * Registers `out` as the result of `op` on `inputs`. If gradients are enabled and some input
 * requires grad, `out` gets a graph node whose `backward` accumulates into the inputs' gradient
 * buffers. `attrs` are the op's non-tensor arguments (a small JSON-safe object: axis, stride, …),
 * kept on the node and in a running trace. Every op calls this exactly once, which is also where
 * `checkNumerics` looks and where a trace (see trace.ts) records the op, with grad or without.
 * @internal
 */
export function record(
  op: string, out: Tensor, inputs: readonly Tensor[], backward: ((dy: Float32Array) => void) | null, attrs?: OpAttrs,
): Tensor {
  if (debug.checkNumerics) checkOutput(op, out, inputs);
  if (tracer !== null) tracer.push({ op, inputs: inputs.slice(), output: out, attrs: attrs ?? NO_ATTRS });
  if (!gradEnabled || backward === null) return out;
  let need = false;
  for (let i = 0; i < inputs.length; i++) {
    if (inputs[i].requiresGrad) {
      need = true;
      break;
    }
  }
  if (!need) return out;
  out.requiresGrad = true;
  out.node = { op, inputs: inputs.slice(), backward, attrs: attrs ?? NO_ATTRS };
  return out;
}

/** Options of `Tensor.backward`. */
export interface BackwardOptions {
  /** Keep the graph so `backward` can run through it again (default false: it is released). */
  retainGraph?: boolean;
}

const BACKWARD_SPEC = { retainGraph: bool };

/**
 * Reverse-mode sweep from `root`: topological order by an iterative depth-first walk (no recursion,
 * so a 100,000-op chain is fine), then each node's backward in reverse order. Gradients of
 * intermediate tensors are freed as soon as they have been propagated; leaves keep theirs, summed
 * over calls as in PyTorch. Gradient hooks run on an intermediate's complete gradient just before
 * its node's backward, and on a leaf's gradient of this pass before it is added to `grad` (so the
 * leaf's contributions are summed into a fresh buffer first).
 * @internal
 */
export function runBackward(root: Tensor, seed: Float32Array | null, options: BackwardOptions = {}): void {
  const o = parseOptions('backward', options, BACKWARD_SPEC);
  if (!root.requiresGrad) {
    throw new ArgumentError(`backward: the tensor ${fmtShape(root.shape)} does not require grad (no input of the computation had requiresGrad = true, or it was made inside noGrad)`);
  }
  if (seed === null && root.size !== 1) {
    throw new ShapeError(`backward: an implicit gradient exists only for a tensor of one element; pass a gradient of shape ${fmtShape(root.shape)}`);
  }
  if (seed !== null && seed.length !== root.size) {
    throw new ShapeError(`backward: gradient has ${seed.length} elements but the tensor ${fmtShape(root.shape)} has ${root.size}`);
  }
  const retain = o.retainGraph === true;
  const hookedLeaves: Tensor[] = [];
  if (root.node === null && root.hooks !== null) hookedLeaves.push(root);
  const order = topoOrder(root, hookedLeaves);
  const earlier: (Float32Array | null)[] = [];
  for (const leaf of hookedLeaves) {
    earlier.push(leaf.grad);
    leaf.grad = null;
  }
  let done = false;
  try {
    const g = root.gradBuffer();
    if (seed === null) g[0] += 1;
    else for (let i = 0; i < g.length; i++) g[i] += seed[i];

    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const node = t.node as GradNode;
      if (node.backward === null) {
        throw new TensorkitError(
          'GRAPH_RELEASED',
          `backward: the graph through '${node.op}' ${fmtShape(t.shape)} was already released by an earlier backward(); pass { retainGraph: true } to the first call to go through it twice`,
        );
      }
      let dy = t.grad;
      if (dy !== null) {
        if (t.hooks !== null) dy = t.grad = applyHooks(t, dy);
        node.backward(dy);
        if (debug.checkNumerics) checkGrads(node);
      }
      if (!t.retainsGrad) t.grad = null;
      if (!retain) {
        node.backward = null;
        node.inputs = [];
      }
    }
    done = true;
  } finally {
    // A hooked leaf gets its earlier gradient back, plus this pass's (hooked) only when the sweep
    // and every leaf hook succeeded: a failure must not erase or half-apply accumulated gradients.
    let failure: unknown = null;
    const fresh: (Float32Array | null)[] = [];
    for (let i = 0; i < hookedLeaves.length; i++) {
      const g = hookedLeaves[i].grad;
      fresh.push(g);
      if (g !== null && done && failure === null) {
        try {
          fresh[i] = applyHooks(hookedLeaves[i], g);
        } catch (e) {
          failure = e;
        }
      }
    }
    for (let i = 0; i < hookedLeaves.length; i++) {
      const prev = earlier[i];
      let g = failure === null ? fresh[i] : null;
      if (prev !== null && g !== null) {
        for (let j = 0; j < prev.length; j++) prev[j] += g[j];
        g = prev;
      }
      hookedLeaves[i].grad = g ?? prev;
    }
    if (failure !== null) throw failure;
  }
}

/**
 * Runs `t`'s gradient hooks in registration order (with recording off), each on the previous
 * one's result, and returns the final gradient; a replacement is copied so `grad` never aliases a
 * buffer the hook still owns.
 */
function applyHooks(t: Tensor, g: Float32Array): Float32Array {
  // A copy of the list: a hook that removes itself (or another) does not shift the iteration.
  const hooks = (t.hooks as GradHook[]).slice();
  const prev = gradEnabled;
  gradEnabled = false;
  let cur = g;
  try {
    for (let i = 0; i < hooks.length; i++) {
      const r = hooks[i](new Tensor(cur, t.shape));
      if (r === undefined) continue;
      const data = r instanceof Float32Array ? r : r instanceof Tensor ? r.data : null;
      if (data === null) throw new ArgumentError(`registerHook: a hook must return a Tensor, a Float32Array or nothing, got ${describe(r)}`);
      if (data.length !== t.size) {
        throw new ShapeError(`registerHook: a hook returned a gradient of ${data.length} elements for a tensor ${fmtShape(t.shape)} of ${t.size}`);
      }
      cur = data === cur ? cur : data.slice();
    }
  } finally {
    gradEnabled = prev;
  }
  return cur;
}

function checkGrads(node: GradNode): void {
  for (let i = 0; i < node.inputs.length; i++) {
    const x = node.inputs[i];
    if (x.grad === null) continue;
    const [nan, inf, first] = countNonFinite(x.grad);
    if (nan + inf > 0) {
      throw new NumericError(`backward of ${node.op}: gradient of input ${i} ${fmtShape(x.shape)} has ${nan} NaN and ${inf} ±Inf values (first at flat index ${first})`);
    }
  }
}

/** Nodes reachable from root, inputs before outputs; leaves with hooks are appended to `hookedLeaves`. */
function topoOrder(root: Tensor, hookedLeaves: Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  if (root.node === null) return order;
  const visited = new Set<Tensor>();
  const stack: Tensor[] = [root];
  const next: number[] = [0];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack.length - 1;
    const t = stack[top];
    const inputs = (t.node as GradNode).inputs;
    const i = next[top];
    if (i < inputs.length) {
      next[top] = i + 1;
      const c = inputs[i];
      if (c.node !== null && c.requiresGrad && !visited.has(c)) {
        visited.add(c);
        stack.push(c);
        next.push(0);
      } else if (c.node === null && c.hooks !== null && c.requiresGrad && !visited.has(c)) {
        visited.add(c);
        hookedLeaves.push(c);
      }
    } else {
      order.push(t);
      stack.pop();
      next.pop();
    }
  }
  return order;
}
