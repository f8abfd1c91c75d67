import { ArgumentError, Generator, NumericError, Parameter, Tensor, defaultGenerator, mul, type RemovableHandle } from '../tensor/index';
import { fmtShape } from '../tensor/errors';
import { allocFloat32 } from '../tensor/alloc';
import {
  arrayOf, badValue, checkArg, instanceOf, isPlainObject, nonNegInt, num, parseOptions, rng, str, type Check,
} from '../tensor/options';
import { describe } from '../tensor/shape';
import { combine, customMethod, l1Method, lnMethod, randomMethod, type Amount, type Method } from './prune-masks';
import { Module } from '../nn/index';

// torch.nn.utils.prune in camelCase. A pruned parameter `name` is reparametrized as PyTorch does:
// the trained Parameter moves to `${name}Orig` (the same object, so an optimizer built before keeps
// updating it), a float mask buffer `${name}Mask` is added, and a forward pre-hook sets `name` to
// their product before every forward. `name` itself becomes a non-enumerable property, so
// reflection (parameters, buffers, state dicts) sees only the Parameter and the mask, under
// PyTorch's keys `weight_orig`/`weight_mask` in camelCase. The pruning methods of one parameter
// compose as PyTorch's PruningContainer: each new method ranks only what the mask still keeps.

/**
 * How much to prune: a fraction in [0, 1] of the entries (or channels) still unpruned, rounded
 * half to even as Python's `round` (PyTorch's float `amount`), or `{ count: n }`, exactly n of them
 * (PyTorch's int `amount`).
 */
export type PruningAmount = number | {
  /** The number of entries (or channels) to prune. */
  count: number;
};

/**
 * A module after pruning its parameter `N`: it has the trained Parameter `${N}Orig` and the mask
 * buffer `${N}Mask` (1 kept, 0 pruned) as fields.
 */
export type Pruned<M extends Module, N extends string> = M & { [K in `${N}Orig`]: Parameter } & { [K in `${N}Mask`]: Tensor };

/** Options of {@link l1Unstructured}. */
export interface L1UnstructuredOptions {
  /** A fraction in [0, 1] or `{ count: n }` (see {@link PruningAmount}). */
  amount: PruningAmount;
}

/** Options of {@link randomUnstructured}. */
export interface RandomUnstructuredOptions {
  /** A fraction in [0, 1] or `{ count: n }` (see {@link PruningAmount}). */
  amount: PruningAmount;
  /** Generator of the draws (default: the global one). */
  rng?: Generator;
}

/** Options of {@link lnStructured}. */
export interface LnStructuredOptions {
  /** A fraction in [0, 1] or `{ count: n }` of the channels along `dim` (see {@link PruningAmount}). */
  amount: PruningAmount;
  /** p of the Lp norm that ranks the channels: a number ≥ 0 (0 counts non-zeros), or ±Infinity. */
  n: number;
  /** The axis whose slices (channels) are pruned whole; negative counts from the end (default −1, as PyTorch). */
  dim?: number;
}

/** A pruning function that {@link globalUnstructured} can use: {@link l1Unstructured} or {@link randomUnstructured}. */
export type UnstructuredMethod = typeof l1Unstructured | typeof randomUnstructured;

/** Options of {@link globalUnstructured}. */
export interface GlobalUnstructuredOptions {
  /** A fraction in [0, 1] or `{ count: n }` of all the listed entries still unpruned. */
  amount: PruningAmount;
  /** {@link l1Unstructured} (default: the smallest magnitudes over all the tensors) or {@link randomUnstructured}. */
  pruningMethod?: UnstructuredMethod;
  /** Generator of the draws of {@link randomUnstructured} (default: the global one). */
  rng?: Generator;
}

/** What one pruned parameter keeps: the methods applied in order, and the pre-hook's handle. */
interface PrunedState {
  methods: Method[];
  hook: RemovableHandle;
}

// Outside the instances, as module hooks are: reflection never sees it.
const PRUNED = new WeakMap<Module, Map<string, PrunedState>>();

// ───────────────────────────────── validation ─────────────────────────────────

const amountCheck: Check<Amount> = (v, name, op) => {
  const what = 'a fraction in [0, 1] or { count: n } with n an integer ≥ 0';
  if (typeof v === 'number') {
    if (!(v >= 0 && v <= 1)) throw badValue(op, name, what, v);
    return { fraction: v };
  }
  if (isPlainObject(v)) {
    const keys = Object.keys(v);
    if (keys.length !== 1 || keys[0] !== 'count') throw badValue(op, name, what, v);
    return { count: nonNegInt(v.count, `${name}.count`, op) };
  }
  throw badValue(op, name, what, v);
};

const normP = num({ min: 0, nonFinite: true });
const lnP: Check<number> = (v, name, op) => {
  if (v === -Infinity) return v;
  const p = normP(v, name, op);
  if (Number.isNaN(p)) throw badValue(op, name, 'a number ≥ 0 or ±Infinity', v);
  return p;
};

const moduleArg = instanceOf(Module);
const unstructuredMethod: Check<UnstructuredMethod> = (v, name, op) => {
  if (v !== l1Unstructured && v !== randomUnstructured) throw badValue(op, name, 'l1Unstructured or randomUnstructured', v);
  return v as UnstructuredMethod;
};

const L1_SPEC = { amount: amountCheck };
const RANDOM_SPEC = { amount: amountCheck, rng };
const LN_SPEC = { amount: amountCheck, n: lnP, dim: num({ integer: true }) };
const GLOBAL_SPEC = { amount: amountCheck, pruningMethod: unstructuredMethod, rng };

function required<T>(op: string, v: T | undefined, name: string, what: string): T {
  if (v === undefined) throw badValue(op, name, what, undefined);
  return v;
}

const AMOUNT_WHAT = 'a fraction in [0, 1] or { count: n }';

function label(m: Module, name: string): string {
  return `${m.constructor.name}.${name}`;
}

function refuseNaN(op: string, data: Float32Array, where: string): void {
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== data[i]) throw new NumericError(`${op}: ${where} holds NaN (at flat index ${i}); magnitude pruning cannot rank NaN weights`);
  }
}

// ──────────────────────────────── reparametrization ────────────────────────────────

type Fields = Record<string, unknown>;

/** The tensor to prune: the current effective weight (orig · mask when pruned), its mask, its label. */
function target(op: string, module: unknown, name: unknown): { m: Module; name: string; weight: Float32Array; shape: readonly number[]; mask: Float32Array | null; where: string } {
  const m = checkArg(op, 'module', module, moduleArg);
  const n = checkArg(op, 'name', name, str);
  const where = label(m, n);
  const state = PRUNED.get(m)?.get(n);
  const f = m as unknown as Fields;
  if (state !== undefined) {
    const orig = f[`${n}Orig`] as Parameter, mask = f[`${n}Mask`] as Tensor;
    const w = new Float32Array(orig.size);
    for (let i = 0; i < w.length; i++) w[i] = orig.data[i] * mask.data[i];
    return { m, name: n, weight: w, shape: orig.shape, mask: Float32Array.from(mask.data), where };
  }
  for (const suffix of ['Orig', 'Mask']) {
    const base = n.slice(0, -suffix.length);
    if (n.endsWith(suffix) && PRUNED.get(m)?.has(base)) {
      throw new ArgumentError(`${op}: ${where} is the ${suffix === 'Orig' ? 'trained tensor' : 'mask'} of the pruned ${label(m, base)}; prune '${base}' instead`);
    }
  }
  const v = f[n];
  if (!Object.hasOwn(m, n) || v === undefined) {
    const params = m.namedParameters().filter(([k]) => !k.includes('.')).map(([k]) => k);
    throw new ArgumentError(`${op}: ${m.constructor.name} has no parameter '${n}' (its parameters: ${params.length ? params.join(', ') : 'none'})`);
  }
  if (!(v instanceof Parameter)) throw new ArgumentError(`${op}: ${where} must be a Parameter, got ${v instanceof Tensor ? `a buffer ${fmtShape(v.shape)}` : describe(v)}`);
  return { m, name: n, weight: v.data, shape: v.shape, mask: null, where };
}

/** Sets the non-enumerable `name` to orig · mask (what the forward pre-hook does). */
function refresh(m: Module, name: string): void {
  const f = m as unknown as Fields;
  const w = mul(f[`${name}Orig`] as Parameter, f[`${name}Mask`] as Tensor);
  Object.defineProperty(m, name, { value: w, writable: true, configurable: true, enumerable: false });
}

/** PyTorch's BasePruningMethod.apply: compose with what is there, compute the mask, reparametrize. */
function applyMethod(op: string, tgt: ReturnType<typeof target>, method: Method): Module {
  const { m, name, weight, shape, where } = tgt;
  const f = m as unknown as Fields;
  const ones = (): Float32Array => allocFloat32(weight.length, op).fill(1);
  const newMask = tgt.mask === null ? method.computeMask(weight, shape, ones(), where) : combine(method, weight, shape, tgt.mask, where);
  let states = PRUNED.get(m);
  const state = states?.get(name);
  if (state !== undefined) {
    (f[`${name}Mask`] as Tensor).data.set(newMask);
    state.methods.push(method);
  } else {
    for (const k of [`${name}Orig`, `${name}Mask`]) if (Object.hasOwn(m, k)) throw new ArgumentError(`${op}: ${m.constructor.name} already has a field '${k}'; cannot prune '${name}'`);
    const orig = f[name] as Parameter;
    delete f[name];
    f[`${name}Orig`] = orig;
    f[`${name}Mask`] = new Tensor(newMask, shape);
    const hook = m.registerForwardPreHook(() => { refresh(m, name); });
    if (states === undefined) PRUNED.set(m, (states = new Map()));
    states.set(name, { methods: [method], hook });
  }
  refresh(m, name);
  return m;
}

// ───────────────────────────────── public API ─────────────────────────────────

/**
 * Prunes the `amount` entries of `module[name]` with the smallest |w| (PyTorch's
 * `prune.l1_unstructured`): the Parameter moves to `${name}Orig`, a mask buffer `${name}Mask` (1
 * kept, 0 pruned) is added, and every forward uses `name` = orig · mask, so pruned entries stay
 * zero and get no gradient. Pruning again ranks only the entries still kept (PyTorch's
 * PruningContainer), so `0.3` then `0.5` leaves 0.7 · 0.5 = 35% of the weights. Ties in |w| are
 * pruned lower flat index first.
 * Shapes: a parameter of every shape; the mask has its shape.
 * @returns the module.
 * @example
 * const lin = new Linear(2, 2, { bias: false });
 * lin.weight.data.set([0.1, -2, 3, -0.4]);
 * l1Unstructured(lin, 'weight', { amount: 0.5 });
 * lin.weightMask.toArray(); // [0, 1, 1, 0]
 * lin.weight.toArray(); // [0, -2, 3, 0]
 * lin.stateDict().weightOrig.toArray(); // [0.1, -2, 3, -0.4]
 * @throws ArgumentError for an amount outside [0, 1], a count above the unpruned entries, a module
 * without that parameter, or a name that is not a Parameter; NumericError if it holds NaN.
 * @see https://pytorch.org/docs/1.13/generated/torch.nn.utils.prune.l1_unstructured.html
 * @category Pruning
 */
export function l1Unstructured<M extends Module, N extends string>(module: M, name: N, options: L1UnstructuredOptions): Pruned<M, N> {
  const op = 'l1Unstructured';
  const o = parseOptions(op, options, L1_SPEC);
  const amount = required(op, o.amount, 'amount', AMOUNT_WHAT);
  const tgt = target(op, module, name);
  refuseNaN(op, tgt.weight, tgt.where);
  return applyMethod(op, tgt, l1Method(op, amount)) as Pruned<M, N>;
}

/**
 * Prunes `amount` entries of `module[name]` chosen uniformly at random among those still kept
 * (PyTorch's `prune.random_unstructured`: the k largest of uniform draws), reparametrized as
 * {@link l1Unstructured}.
 * Shapes: a parameter of every shape; the mask has its shape.
 * @returns the module.
 * @example
 * const lin = new Linear(4, 5);
 * randomUnstructured(lin, 'weight', { amount: 0.25, rng: new Generator(0) });
 * lin.weightMask.toArray().filter((v) => v === 0).length; // 5
 * @throws ArgumentError for a bad amount, module, name or rng.
 * @see https://pytorch.org/docs/1.13/generated/torch.nn.utils.prune.random_unstructured.html
 * @category Pruning
 */
export function randomUnstructured<M extends Module, N extends string>(module: M, name: N, options: RandomUnstructuredOptions): Pruned<M, N> {
  const op = 'randomUnstructured';
  const o = parseOptions(op, options, RANDOM_SPEC);
  const amount = required(op, o.amount, 'amount', AMOUNT_WHAT);
  const tgt = target(op, module, name);
  return applyMethod(op, tgt, randomMethod(op, amount, o.rng ?? defaultGenerator())) as Pruned<M, N>;
}

/**
 * Prunes whole channels of `module[name]`: the `amount` slices along `dim` with the smallest Lp
 * norm ‖w‖ₙ (over all the other axes) are zeroed (PyTorch's `prune.ln_structured`; `dim: 0` on a
 * Linear or Conv2d weight prunes output channels). Repeated structured pruning ranks only the
 * channels not yet pruned. Ties in the norm keep the lower index.
 * Shapes: a parameter with at least 2 dimensions.
 * @returns the module.
 * @example
 * const lin = new Linear(2, 3, { bias: false });
 * lin.weight.data.set([1, 1, 0.1, 0.2, -3, 0]);
 * lnStructured(lin, 'weight', { amount: { count: 1 }, n: 2, dim: 0 });
 * lin.weight.toArray(); // [1, 1, 0, 0, -3, 0]
 * @throws ArgumentError for a bad amount or n, a `dim` out of range, a 1-D parameter, a module
 * without that parameter, or a name that is not a Parameter; NumericError if it holds NaN.
 * @see https://pytorch.org/docs/1.13/generated/torch.nn.utils.prune.ln_structured.html
 * @category Pruning
 */
export function lnStructured<M extends Module, N extends string>(module: M, name: N, options: LnStructuredOptions): Pruned<M, N> {
  const op = 'lnStructured';
  const o = parseOptions(op, options, LN_SPEC);
  const amount = required(op, o.amount, 'amount', AMOUNT_WHAT);
  const p = required(op, o.n, 'n', 'a number ≥ 0 or ±Infinity');
  const tgt = target(op, module, name);
  const nd = tgt.shape.length;
  if (nd < 2) throw new ArgumentError(`${op}: ${tgt.where} ${fmtShape(tgt.shape)} has ${nd} dimension${nd === 1 ? '' : 's'}; structured pruning needs at least 2`);
  const dim = o.dim ?? -1;
  if (dim < -nd || dim >= nd) throw new ArgumentError(`${op}: dim ${dim} is out of range [${-nd}, ${nd - 1}] for ${tgt.where} ${fmtShape(tgt.shape)}`);
  refuseNaN(op, tgt.weight, tgt.where);
  return applyMethod(op, tgt, lnMethod(op, amount, p, dim < 0 ? dim + nd : dim)) as Pruned<M, N>;
}

/**
 * Prunes with a mask of your own (PyTorch's `prune.custom_from_mask`): the new mask is the old one
 * (all ones if unpruned) times `mask`, entries where `mask` is 0 being pruned.
 * Shapes: mask of the parameter's shape (a Tensor, or its values row-major).
 * @returns the module.
 * @example
 * const lin = new Linear(2, 1, { bias: false });
 * customFromMask(lin, 'weight', [1, 0]).weightMask.toArray(); // [1, 0]
 * @throws ShapeError if the mask has another size; ArgumentError for a bad module or name.
 * @see https://pytorch.org/docs/1.13/generated/torch.nn.utils.prune.custom_from_mask.html
 * @category Pruning
 */
export function customFromMask<M extends Module, N extends string>(module: M, name: N, mask: Tensor | Float32Array | readonly number[]): Pruned<M, N> {
  const op = 'customFromMask';
  const tgt = target(op, module, name);
  const values = mask instanceof Tensor ? mask.data : mask instanceof Float32Array ? mask : Array.isArray(mask) ? Float32Array.from(arrayOf(num())(mask, 'mask', op)) : null;
  if (values === null) throw badValue(op, 'mask', 'a Tensor, Float32Array or number[]', mask);
  const shape = mask instanceof Tensor ? mask.shape : [values.length];
  if (values.length !== tgt.weight.length || (mask instanceof Tensor && fmtShape(shape) !== fmtShape(tgt.shape))) {
    throw new ArgumentError(`${op}: mask ${fmtShape(shape)} must have the shape of ${tgt.where} ${fmtShape(tgt.shape)}`);
  }
  return applyMethod(op, tgt, customMethod(values)) as Pruned<M, N>;
}

/**
 * Reparametrizes `module[name]` with an all-ones mask (PyTorch's `prune.identity`): nothing is
 * pruned yet, but the module has `${name}Orig` and `${name}Mask`, so a pruned state dict loads
 * into it.
 * @returns the module.
 * @example
 * const lin = new Linear(2, 1);
 * Object.keys(identityPruning(lin, 'weight').stateDict()); // ['bias', 'weightOrig', 'weightMask']
 * @throws ArgumentError for a bad module or name.
 * @see https://pytorch.org/docs/1.13/generated/torch.nn.utils.prune.identity.html
 * @category Pruning
 */
export function identityPruning<M extends Module, N extends string>(module: M, name: N): Pruned<M, N> {
  const tgt = target('identityPruning', module, name);
  return applyMethod('identityPruning', tgt, customMethod(new Float32Array(tgt.weight.length).fill(1))) as Pruned<M, N>;
}

/**
 * Prunes the `amount` smallest entries over all the listed parameters at once (PyTorch's
 * `prune.global_unstructured`), so layers lose different fractions: |w| of every tensor is ranked
 * together (after the masks already there: only entries still kept count), and each parameter
 * gets its slice of the global mask, composed with its own as {@link customFromMask}.
 * Shapes: parameters of every shape.
 * @param params - `[module, name]` pairs, e.g. `[[fc1, 'weight'], [fc2, 'weight']]`.
 * @example
 * const a = new Linear(2, 1, { bias: false }), b = new Linear(2, 1, { bias: false });
 * a.weight.data.set([1, 4]); b.weight.data.set([2, 3]);
 * globalUnstructured([[a, 'weight'], [b, 'weight']], { amount: 0.5 });
 * [...a.weightMask.toArray(), ...b.weightMask.toArray()]; // [0, 1, 0, 1]
 * @throws ArgumentError for an empty or malformed list, a bad amount, or a bad module or name
 * (naming its position); NumericError if a parameter holds NaN.
 * @see https://pytorch.org/docs/1.13/generated/torch.nn.utils.prune.global_unstructured.html
 * @category Pruning
 */
export function globalUnstructured(params: readonly (readonly [Module, string])[], options: GlobalUnstructuredOptions): void {
  const op = 'globalUnstructured';
  const o = parseOptions(op, options, GLOBAL_SPEC);
  const amount = required(op, o.amount, 'amount', AMOUNT_WHAT);
  const pairCheck: Check<readonly [Module, string]> = (v, name) => {
    if (!Array.isArray(v) || v.length !== 2) throw badValue(op, name, 'a [module, name] pair', v);
    return v as unknown as readonly [Module, string];
  };
  const pairs = checkArg(op, 'params', params, arrayOf(pairCheck, { min: 1 }));
  const method = (o.pruningMethod ?? l1Unstructured) === randomUnstructured;
  const targets = pairs.map(([m, n], i) => {
    try {
      return target(op, m, n);
    } catch (e) {
      if (e instanceof ArgumentError) throw new ArgumentError(e.message.replace(`${op}: `, `${op}: params[${i}]: `));
      throw e;
    }
  });
  targets.forEach((t, i) => {
    if (targets.findIndex((u) => u.m === t.m && u.name === t.name) < i) throw new ArgumentError(`${op}: params[${i}]: ${t.where} is listed twice`);
  });
  if (!method) for (const t of targets) refuseNaN(op, t.weight, t.where);
  let total = 0;
  for (const t of targets) total += t.weight.length;
  const scores = allocFloat32(total, op);
  const mask = allocFloat32(total, op);
  let at = 0;
  for (const t of targets) {
    scores.set(t.weight, at);
    if (t.mask === null) mask.fill(1, at, at + t.weight.length);
    else mask.set(t.mask, at);
    at += t.weight.length;
  }
  const inner = method ? randomMethod(op, amount, o.rng ?? defaultGenerator()) : l1Method(op, amount);
  const finalMask = combine(inner, scores, [total], mask, `the ${total} listed entries`);
  at = 0;
  for (const t of targets) {
    applyMethod(op, t, customMethod(finalMask.subarray(at, at + t.weight.length)));
    at += t.weight.length;
  }
}

/**
 * Makes the pruning of `module[name]` permanent (PyTorch's `prune.remove`): `name` becomes a plain
 * Parameter again holding orig · mask — the same Parameter object as `${name}Orig`, so optimizers
 * keep it — and `${name}Orig`, `${name}Mask` and the forward pre-hook are gone. As in PyTorch the
 * parameter is re-registered last (after `bias` in a state dict).
 * @returns the module.
 * @example
 * const lin = new Linear(2, 1, { bias: false });
 * lin.weight.data.set([1, -3]);
 * removePruning(l1Unstructured(lin, 'weight', { amount: 0.5 }), 'weight');
 * Object.keys(lin.stateDict()); // ['weight']
 * lin.weight.toArray(); // [0, -3]
 * @throws ArgumentError if `module[name]` is not pruned (never pruned, or already removed).
 * @see https://pytorch.org/docs/1.13/generated/torch.nn.utils.prune.remove.html
 * @category Pruning
 */
export function removePruning<M extends Module>(module: M, name: string): M {
  const op = 'removePruning';
  const m = checkArg(op, 'module', module, moduleArg);
  const n = checkArg(op, 'name', name, str);
  const states = PRUNED.get(m);
  const state = states?.get(n);
  if (state === undefined) throw new ArgumentError(`${op}: ${label(m, n)} is not pruned (never pruned, or its pruning was already removed)`);
  const f = m as unknown as Fields;
  const orig = f[`${n}Orig`] as Parameter, mask = f[`${n}Mask`] as Tensor;
  for (let i = 0; i < orig.size; i++) orig.data[i] *= mask.data[i];
  state.hook.remove();
  states!.delete(n);
  if (states!.size === 0) PRUNED.delete(m);
  delete f[`${n}Orig`];
  delete f[`${n}Mask`];
  delete f[n];
  f[n] = orig;
  return module;
}

/**
 * True if `module` or any descendant has a pruned parameter (PyTorch's `prune.is_pruned`).
 * @example
 * const net = new Sequential(new Linear(2, 2), new ReLU());
 * isPruned(net); // false
 * l1Unstructured(net[0], 'weight', { amount: 0.5 });
 * isPruned(net); // true
 * @throws ArgumentError if `module` is not a Module.
 * @see https://pytorch.org/docs/1.13/generated/torch.nn.utils.prune.is_pruned.html
 * @category Pruning
 */
export function isPruned(module: Module): boolean {
  const m = checkArg('isPruned', 'module', module, moduleArg);
  return m.modules().some((c) => (PRUNED.get(c)?.size ?? 0) > 0);
}

/**
 * The names of the pruned parameters of `module` itself (not its children), in pruning order.
 * @example
 * prunedNames(l1Unstructured(new Linear(2, 2), 'bias', { amount: 0.5 })); // ['bias']
 * @throws ArgumentError if `module` is not a Module.
 * @category Pruning
 */
export function prunedNames(module: Module): string[] {
  const m = checkArg('prunedNames', 'module', module, moduleArg);
  return [...(PRUNED.get(m)?.keys() ?? [])];
}

/**
 * Gives a freshly built `model` the pruning reparametrizations that `stateDict` carries: for every
 * Parameter field `name` of every submodule whose state dict has `…nameOrig` and `…nameMask` but
 * not `…name`, {@link identityPruning}, so that `model.loadStateDict(stateDict)` then fills the
 * trained tensor and the mask. `loadModel` calls it, so a pruned model saved with `saveModel`
 * loads back pruned with identical outputs.
 * @returns the `[module path, name]` pairs reparametrized.
 * @example
 * const a = l1Unstructured(new Linear(3, 2), 'weight', { amount: 0.5 });
 * const b = new Linear(3, 2);
 * restorePruning(b, a.stateDict()); // [['', 'weight']]
 * b.loadStateDict(a.stateDict()).missingKeys; // []
 * @throws ArgumentError if `model` is not a Module or `stateDict` not an object.
 * @category Pruning
 */
export function restorePruning(model: Module, stateDict: Readonly<Record<string, unknown>>): [string, string][] {
  const op = 'restorePruning';
  const m = checkArg(op, 'model', model, moduleArg);
  if (!isPlainObject(stateDict)) throw badValue(op, 'stateDict', 'an object of name → tensor', stateDict);
  const done: [string, string][] = [];
  for (const [prefix, sub] of m.namedModules()) {
    const f = sub as unknown as Fields;
    for (const k of Object.keys(sub)) {
      if (!(f[k] instanceof Parameter)) continue;
      const key = prefix ? `${prefix}.${k}` : k;
      if (Object.hasOwn(stateDict, `${key}Orig`) && Object.hasOwn(stateDict, `${key}Mask`) && !Object.hasOwn(stateDict, key)) {
        identityPruning(sub, k);
        done.push([prefix, k]);
      }
    }
  }
  return done;
}

/** The pruned (mask 0) and total entries of each listed parameter; `op` names the caller. @internal */
export function prunedCounts(op: string, pairs: readonly (readonly [Module, string])[]): { pruned: number; total: number }[] {
  return pairs.map(([m, n]) => {
    const t = target(op, m, n);
    let z = 0;
    if (t.mask !== null) for (let i = 0; i < t.mask.length; i++) if (t.mask[i] === 0) z++;
    return { pruned: z, total: t.weight.length };
  });
}

/** Checks `[module, name]` pairs for the schedule (same rules as {@link globalUnstructured}). @internal */
export const prunePairs: Check<[Module, string][]> = (v, name, op) => arrayOf<[Module, string]>((p, n) => {
  if (!Array.isArray(p) || p.length !== 2 || !(p[0] instanceof Module) || typeof p[1] !== 'string') throw badValue(op, n, 'a [module, name] pair', p);
  return p as [Module, string];
}, { min: 1 })(v, name, op);
