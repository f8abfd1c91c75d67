import { ArgumentError, NumericError, ShapeError, TensorkitError, fmtShape } from './errors';
import type { Tensor } from './tensor';

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
}

/** Options of {@link setDebug}. */
export interface DebugOptions {
  /** Throw a `NUMERIC` error from the first op whose output (or gradient) holds NaN or ±Inf. */
  checkNumerics?: boolean;
}

let gradEnabled = true;
const debug = { checkNumerics: false };

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
  if (options?.checkNumerics !== undefined) debug.checkNumerics = !!options.checkNumerics;
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
 * buffers. Every op calls this exactly once, which is also where `checkNumerics` looks.
 * @internal
 */
export function record(op: string, out: Tensor, inputs: readonly Tensor[], backward: ((dy: Float32Array) => void) | null): Tensor {
  if (debug.checkNumerics) checkOutput(op, out, inputs);
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
  out.node = { op, inputs: inputs.slice(), backward };
  return out;
}

/** Options of `Tensor.backward`. */
export interface BackwardOptions {
  /** Keep the graph so `backward` can run through it again (default false: it is released). */
  retainGraph?: boolean;
}

/**
 * Reverse-mode sweep from `root`: topological order by an iterative depth-first walk (no recursion,
 * so a 100,000-op chain is fine), then each node's backward in reverse order. Gradients of
 * intermediate tensors are freed as soon as they have been propagated; leaves keep theirs, summed
 * over calls as in PyTorch.
 * @internal
 */
export function runBackward(root: Tensor, seed: Float32Array | null, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new ArgumentError(`backward: the tensor ${fmtShape(root.shape)} does not require grad (no input of the computation had requiresGrad = true, or it was made inside noGrad)`);
  }
  if (seed === null && root.size !== 1) {
    throw new ShapeError(`backward: an implicit gradient exists only for a tensor of one element; pass a gradient of shape ${fmtShape(root.shape)}`);
  }
  if (seed !== null && seed.length !== root.size) {
    throw new ShapeError(`backward: gradient has ${seed.length} elements but the tensor ${fmtShape(root.shape)} has ${root.size}`);
  }
  const retain = options?.retainGraph === true;
  const order = topoOrder(root);

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
    const dy = t.grad;
    if (dy !== null) {
      node.backward(dy);
      if (debug.checkNumerics) checkGrads(node);
    }
    if (!t.retainsGrad) t.grad = null;
    if (!retain) {
      node.backward = null;
      node.inputs = [];
    }
  }
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

function topoOrder(root: Tensor): Tensor[] {
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
      }
    } else {
      order.push(t);
      stack.pop();
      next.pop();
    }
  }
  return order;
}
