import { ArgumentError, Generator, ShapeError, Tensor, crossEntropy, reshape, type CrossEntropyOptions } from '../../tensor/index';
import { fmtShape } from '../../tensor/errors';
import { describe } from '../../tensor/shape';
import { ELU, GELU, LeakyReLU, ReLU, Sigmoid, Tanh, type Module } from '../../nn/index';

// Option checks shared by the model families. Every family takes one options object; these turn a
// bad entry into an ArgumentError that names the class and the option.

/** The options object itself, refusing keys the family does not know (a typo would otherwise be ignored). */
export function optionsOf<T extends object>(op: string, options: T | undefined, known: readonly string[]): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ArgumentError(`${op}: options must be an object, got ${describe(options)}`);
  }
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new ArgumentError(`${op}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${known.join(', ')})`);
  return options;
}

export function posInt(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new ArgumentError(`${op}: ${name} must be a positive integer, got ${describe(v)}`);
  return v;
}

export function nonNegInt(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ArgumentError(`${op}: ${name} must be a non-negative integer, got ${describe(v)}`);
  return v;
}

export function required<T>(op: string, name: string, v: T | undefined): T {
  if (v === undefined) throw new ArgumentError(`${op}: option ${name} is required`);
  return v;
}

/** A dropout probability in [0, 1). */
export function prob(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new ArgumentError(`${op}: ${name} must be a probability in [0, 1), got ${describe(v)}`);
  return v;
}

export function bool(op: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ArgumentError(`${op}: ${name} must be a boolean, got ${describe(v)}`);
  return v;
}

export function oneOf<T extends string>(op: string, name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    throw new ArgumentError(`${op}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(v)}`);
  }
  return v as T;
}

export function rngOf(op: string, v: unknown): Generator | undefined {
  if (v === undefined) return undefined;
  if (!(v instanceof Generator)) throw new ArgumentError(`${op}: rng must be a Generator, got ${describe(v)}`);
  return v;
}

/** A size given as n or [H, W]. */
export function pair(op: string, name: string, v: unknown): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((n) => Number.isInteger(n) && n > 0)) {
    throw new ArgumentError(`${op}: ${name} must be a positive integer or a pair [H, W], got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}

/** A token id in [0, V). */
export function tokenId(op: string, name: string, v: unknown, V: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= V) throw new ArgumentError(`${op}: ${name} must be a token id in [0, ${V - 1}], got ${describe(v)}`);
  return v;
}

/** The hidden activations the families accept. */
export type FamilyActivation = 'relu' | 'tanh' | 'gelu' | 'sigmoid' | 'leakyRelu' | 'elu';
export const ACTIVATIONS: readonly FamilyActivation[] = ['relu', 'tanh', 'gelu', 'sigmoid', 'leakyRelu', 'elu'];

export function activationModule(a: FamilyActivation): Module {
  switch (a) {
    case 'relu': return new ReLU();
    case 'tanh': return new Tanh();
    case 'gelu': return new GELU();
    case 'sigmoid': return new Sigmoid();
    case 'leakyRelu': return new LeakyReLU();
    case 'elu': return new ELU();
  }
}

/** Token ids as a [B, T] tensor: a tensor, one sequence (number[] / Int32Array) or a batch (number[][]). */
export function idsBatch(op: string, ids: unknown): Tensor {
  if (ids instanceof Tensor) {
    if (ids.ndim === 1) return reshape(ids, [1, ids.shape[0]]);
    if (ids.ndim !== 2) throw new ShapeError(`${op}: token ids ${fmtShape(ids.shape)} must be [B, T] or [T]`);
    return ids;
  }
  if (ids instanceof Int32Array || (Array.isArray(ids) && (ids.length === 0 || typeof ids[0] === 'number'))) {
    const a = ids as ArrayLike<number>;
    if (a.length === 0) throw new ArgumentError(`${op}: the token sequence is empty`);
    return new Tensor(Float32Array.from(a), [1, a.length]);
  }
  if (Array.isArray(ids) && ids.every((r) => Array.isArray(r))) {
    const rows = ids as number[][];
    const T = rows[0].length;
    if (T === 0 || rows.some((r) => r.length !== T)) throw new ShapeError(`${op}: a batch of token sequences must be non-empty and of one length, got lengths ${rows.map((r) => r.length).join(', ')}`);
    const out = new Float32Array(rows.length * T);
    rows.forEach((r, b) => out.set(r, b * T));
    return new Tensor(out, [rows.length, T]);
  }
  throw new ArgumentError(`${op}: token ids must be a Tensor, number[], Int32Array or number[][], got ${describe(ids)}`);
}

/**
 * Cross-entropy of per-step logits against per-step class indices, averaged over every step that is
 * not `ignoreIndex` (what PyTorch users write as `F.cross_entropy(logits.view(-1, V), y.view(-1))`):
 * loss = −(1/M) Σ_{b,t} log softmax(logits[b, t])[y[b, t]].
 * Shapes: logits (B, T, V), target (B, T) → (). Options as {@link crossEntropy}.
 * Gradient: that of {@link crossEntropy} on the flattened rows.
 * @example
 * // every step uniform over 4 classes: ln 4
 * sequenceCrossEntropy(zeros([2, 3, 4]), zeros([2, 3])).item(); // 1.3862944
 * @throws ShapeError when logits are not 3-D or the target is not (B, T).
 * @category Models
 */
export function sequenceCrossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = 'sequenceCrossEntropy';
  if (!(logits instanceof Tensor) || !(target instanceof Tensor)) throw new ArgumentError(`${op}: logits and target must be Tensors, got ${describe(logits)} and ${describe(target)}`);
  if (logits.ndim !== 3 || target.ndim !== 2 || target.shape[0] !== logits.shape[0] || target.shape[1] !== logits.shape[1]) {
    throw new ShapeError(`${op}: logits ${fmtShape(logits.shape)} must be [B, T, V] and target ${fmtShape(target.shape)} [B, T]`);
  }
  const V = logits.shape[2];
  return crossEntropy(reshape(logits, [-1, V]), reshape(target, [-1]), options);
}
