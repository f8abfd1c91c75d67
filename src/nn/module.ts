import {
  ArgumentError, ShapeError, Tensor, Parameter, TensorkitError, TypedBuffer, noGrad, zeros, type RemovableHandle, type TensorJson, type TypedTensor, type TypedTensorJson,
} from '../tensor/index';
import { brand } from '../tensor/brand';
import { arrayOf, bool, checkArg, func, isPlainObject, nonNegInt, parseOptions, str } from '../tensor/options';
import { describe, sameShape } from '../tensor/shape';
import { floatsFromJson } from '../tensor/tensor';

/** A JSON description of a module that is enough to rebuild it (see {@link Module.config}). */
export interface ModuleConfig {
  /** The class name, e.g. `'Linear'`. */
  type: string;
  /** The constructor options (JSON-safe). */
  options?: Record<string, unknown>;
  /** Child configs, for containers such as `Sequential`. */
  children?: ModuleConfig[];
}

/**
 * A state dict: parameter and buffer names mapped to tensors, in registration order. Float
 * parameters and buffers are `Tensor`s; integer buffers (int8 weights, uint8 masks) are
 * {@link TypedBuffer}s.
 */
export type StateDict = Record<string, Tensor | TypedBuffer>;

/** The JSON form of a float tensor (defined with `Tensor.toJSON` in the tensor core; re-exported here). */
export type { TensorJson };

/**
 * What {@link Module.loadStateDict} reads: a {@link StateDict}, the tensors of `loadSafetensors`
 * (integer ones as {@link TypedTensor}s), or the JSON of either (`JSON.parse` of a stringified
 * state dict).
 */
export type StateDictSource = Readonly<Record<string, Tensor | TypedTensor | TensorJson | TypedTensorJson>>;

/** Options of {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /** Require exactly the module's keys (default true). Mis-sized tensors are always an error. */
  strict?: boolean;
}

/** The result of {@link Module.loadStateDict} with `strict: false`. */
export interface LoadStateDictResult {
  /** The module's keys that the state dict did not have; those tensors keep their values. */
  missingKeys: string[];
  /** The state dict's keys that the module does not have; ignored. */
  unexpectedKeys: string[];
}


/**
 * A forward pre-hook: called with the module and the arguments of `forward` before it runs. It
 * may return replacement arguments: an array replaces the argument list, every other value replaces
 * the single argument; `undefined` keeps them.
 */
export type ForwardPreHook<M extends Module = Module> = (module: M, inputs: unknown[]) => unknown;

/**
 * A forward hook: called with the module, the arguments `forward` ran with (after the pre-hooks)
 * and its output. It may return a replacement output; `undefined` keeps it.
 */
export type ForwardHook<M extends Module = Module> = (module: M, inputs: unknown[], output: unknown) => unknown;

/** Options of {@link Module.registerForwardHook} and {@link Module.registerForwardPreHook}. */
export interface HookOptions {
  /** Run this hook before the ones already registered (default false: after them, as PyTorch). */
  prepend?: boolean;
}

/** A module's hooks and what its `forward` was before the hooked wrapper was installed. */
interface HookState {
  // One object per registration, so the same function registered twice is removed once per handle.
  pre: { fn: ForwardPreHook }[];
  post: { fn: ForwardHook }[];
  inner: (...args: unknown[]) => unknown;
  wrapper: (...args: unknown[]) => unknown;
  own: PropertyDescriptor | undefined;
}

// Hooks live outside the instances, so reflection (ownEntries, state dicts, configs) never sees
// them; a module without hooks has no wrapper and pays nothing.
const HOOKS = new WeakMap<Module, HookState>();

function runHooked(m: Module, h: HookState, args: unknown[]): unknown {
  let inputs = args;
  if (h.pre.length > 0) {
    // A copy, so that a hook removing itself (or another) does not skip the next one.
    for (const e of h.pre.slice()) {
      const r = e.fn(m, inputs);
      if (r !== undefined) inputs = Array.isArray(r) ? r : [r];
    }
  }
  let out = h.inner.apply(m, inputs);
  if (h.post.length > 0) {
    for (const e of h.post.slice()) {
      const r = e.fn(m, inputs, out);
      if (r !== undefined) out = r;
    }
  }
  return out;
}

function hookState(m: Module): HookState {
  let h = HOOKS.get(m);
  if (h !== undefined) return h;
  const own = Object.getOwnPropertyDescriptor(m, 'forward');
  const inner = (m as unknown as { forward: (...args: unknown[]) => unknown }).forward;
  const wrapper = (...args: unknown[]): unknown => runHooked(m, h!, args);
  h = { pre: [], post: [], inner, wrapper, own };
  HOOKS.set(m, h);
  // Non-enumerable, so Object.keys (reflection) does not list it.
  Object.defineProperty(m, 'forward', { value: wrapper, writable: true, configurable: true, enumerable: false });
  return h;
}

function addHook<F>(m: Module, list: 'pre' | 'post', fn: F, options: unknown, op: string): RemovableHandle {
  checkArg(op, 'hook', fn, func);
  const { prepend = false } = parseOptions(op, options, { prepend: bool });
  const h = hookState(m);
  const entry = { fn: fn as ForwardPreHook & ForwardHook };
  const arr = h[list] as { fn: ForwardPreHook & ForwardHook }[];
  if (prepend) arr.unshift(entry);
  else arr.push(entry);
  let removed = false;
  return {
    remove(): void {
      if (removed) return;
      removed = true;
      const i = arr.indexOf(entry);
      if (i >= 0) arr.splice(i, 1);
      if (h.pre.length === 0 && h.post.length === 0 && HOOKS.get(m) === h) {
        HOOKS.delete(m);
        const cur = Object.getOwnPropertyDescriptor(m, 'forward');
        if (cur !== undefined && cur.value === h.wrapper) {
          delete (m as { forward?: unknown }).forward;
          if (h.own !== undefined) Object.defineProperty(m, 'forward', h.own);
        }
      }
    },
  };
}

// Recognised by brand (see tensor/brand), so that an ESM and a CommonJS copy accept each other's modules.
const MODULE = brand('Module');

function isModule(v: unknown): v is Module {
  return v instanceof Module;
}

function isBuffer(v: unknown): v is Tensor | TypedBuffer {
  return (v instanceof Tensor && !(v instanceof Parameter)) || TypedBuffer.isTypedBuffer(v);
}

const shapeOf = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * Reads one state-dict entry for `target`: the values to copy in, or a string saying what is
 * wrong (`checkpoint I8 [3] vs model F32 [3]`).
 */
function readEntry(src: unknown, target: Tensor | TypedBuffer): Float32Array | TypedBuffer['data'] | string {
  const want = target instanceof Tensor ? 'F32' : target.dtype;
  const mismatch = (dtype: string, shape: readonly number[]): string => (dtype === want
    ? `checkpoint ${shapeOf(shape)} vs model ${shapeOf(target.shape)}`
    : `checkpoint ${dtype} ${shapeOf(shape)} vs model ${want} ${shapeOf(target.shape)}`);
  if (src instanceof Tensor) {
    if (want !== 'F32' || !sameShape(src.shape, target.shape)) return mismatch('F32', src.shape);
    return src.data;
  }
  if (src === null || typeof src !== 'object' || !Array.isArray((src as { shape?: unknown }).shape)) {
    return `not a Tensor, a typed tensor or its JSON { shape, data } (got ${describe(src)})`;
  }
  const { dtype = 'F32', shape } = src as { dtype?: unknown; shape: unknown[] };
  if (typeof dtype !== 'string') return `dtype must be a string, got ${describe(dtype)}`;
  const dims = shape.map((d) => (typeof d === 'number' ? d : NaN));
  if (dtype !== want || !sameShape(dims, target.shape)) return mismatch(dtype, dims);
  try {
    if (target instanceof Tensor) return floatsFromJson(src, 'JSON tensor', 'loadStateDict').data;
    return TypedBuffer.from(src as TypedTensor).data;
  } catch (e) {
    if (e instanceof TensorkitError) return e.message;
    throw e;
  }
}

/**
 * Base class of every layer and model (PyTorch's `nn.Module`). Parameters, buffers and child
 * modules are found by reflection over the instance's own fields in assignment order: a
 * `Parameter` field is a parameter, every other `Tensor` field is a buffer (saved in the state
 * dict, not trained), a `Module` field is a child; arrays of these are walked too and named by
 * index (`layers.0.weight`). Nothing is registered by hand.
 *
 * @example
 * class TwoLayer extends Module {
 *   fc1 = new Linear(4, 8);
 *   fc2 = new Linear(8, 1);
 *   forward(x: Tensor): Tensor { return this.fc2.forward(relu(this.fc1.forward(x))); }
 * }
 * new TwoLayer().namedParameters().map(([n]) => n); // ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
 * @category Modules
 */
export abstract class Module {
  /**
   * `x instanceof Module` is true for a module of every copy of tensorkit in this process (brand
   * `Symbol.for('tensorkit.Module')`); `x instanceof Linear` or a user class is the ordinary
   * prototype check.
   */
  static [Symbol.hasInstance](v: unknown): boolean {
    return MODULE.hasInstance(Module, this, v);
  }

  /** Training mode (true) or evaluation mode (false); affects dropout and batch norm. */
  training = true;

  /** The computation. Subclasses define it with their own signature. */
  abstract forward(...inputs: never[]): unknown;

  /** Own fields in assignment order, flattened through arrays, as `[name, value]`. */
  private ownEntries(): [string, unknown][] {
    const out: [string, unknown][] = [];
    for (const key of Object.keys(this)) {
      if (key === 'training') continue;
      const v = (this as Record<string, unknown>)[key];
      if (Array.isArray(v)) v.forEach((item, i) => out.push([`${key}.${i}`, item]));
      else out.push([key, v]);
    }
    return out;
  }

  /** Direct children with their field names. */
  namedChildren(): [string, Module][] {
    const seen = new Set<Module>();
    return this.ownEntries().filter((e): e is [string, Module] => {
      if (!isModule(e[1]) || seen.has(e[1])) return false;
      seen.add(e[1]);
      return true;
    });
  }

  /** Direct children. */
  children(): Module[] {
    return this.namedChildren().map((e) => e[1]);
  }

  /** This module and every descendant, depth first, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    checkArg('namedModules', 'prefix', prefix, str);
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const stack: [string, Module][] = [[prefix, this]];
    while (stack.length > 0) {
      const [name, m] = stack.pop()!;
      if (seen.has(m)) continue;
      seen.add(m);
      out.push([name, m]);
      const kids = m.namedChildren();
      for (let i = kids.length - 1; i >= 0; i--) stack.push([name ? `${name}.${kids[i][0]}` : kids[i][0], kids[i][1]]);
    }
    return out;
  }

  /** This module and every descendant, depth first. */
  modules(): Module[] {
    return this.namedModules().map((e) => e[1]);
  }

  /** Every parameter with its dotted name, this module's own first, then each child's in order. */
  namedParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, v] of m.ownEntries()) if (v instanceof Parameter) out.push([prefix ? `${prefix}.${k}` : k, v]);
    }
    return out;
  }

  /** Every distinct parameter (a parameter shared by two layers appears once). */
  parameters(): Parameter[] {
    return [...new Set(this.namedParameters().map((e) => e[1]))];
  }

  /**
   * Every buffer with its dotted name: each non-Parameter `Tensor` field (running statistics) and
   * each {@link TypedBuffer} field (int8 weights, uint8 masks).
   */
  namedBuffers(): [string, Tensor | TypedBuffer][] {
    const out: [string, Tensor | TypedBuffer][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, v] of m.ownEntries()) if (isBuffer(v)) out.push([prefix ? `${prefix}.${k}` : k, v]);
    }
    return out;
  }

  /** Every distinct buffer. */
  buffers(): (Tensor | TypedBuffer)[] {
    return [...new Set(this.namedBuffers().map((e) => e[1]))];
  }

  /** Sets training mode on this module and every descendant; returns this. */
  train(mode = true): this {
    checkArg('train', 'mode', mode, bool);
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode (`train(false)`); returns this. */
  eval(): this {
    return this.train(false);
  }

  /** Clears the gradient of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * Number of scalar parameters (each shared parameter counted once).
   * @param options.trainableOnly - count only parameters with requiresGrad (default false).
   */
  numParameters(options: { trainableOnly?: boolean } = {}): number {
    const { trainableOnly = false } = parseOptions('numParameters', options, { trainableOnly: bool });
    let n = 0;
    for (const p of this.parameters()) if (!trainableOnly || p.requiresGrad) n += p.size;
    return n;
  }

  /** Calls `fn` on every descendant and then on this module (as PyTorch's `apply`); returns this. */
  apply(fn: (m: Module) => void): this {
    checkArg('apply', 'fn', fn, func);
    const mods = this.modules();
    for (let i = mods.length - 1; i >= 0; i--) fn(mods[i]);
    return this;
  }

  /**
   * Parameters and buffers by dotted name, in registration order. The tensors are detached views
   * that share the module's buffers (as PyTorch): clone them to keep a snapshot. Integer buffers
   * come as {@link TypedBuffer} views. `saveSafetensors(model.stateDict())` writes it (integer
   * buffers in their own dtype), and so does `JSON.stringify` (see {@link Module.loadStateDict}).
   */
  stateDict(): StateDict {
    // Module by module, parameters then buffers, as PyTorch orders its state dicts.
    const sd: StateDict = {};
    for (const [prefix, m] of this.namedModules()) {
      const own = m.ownEntries();
      for (const [k, v] of own) if (v instanceof Parameter) sd[prefix ? `${prefix}.${k}` : k] = v.detach();
      for (const [k, v] of own) if (isBuffer(v)) sd[prefix ? `${prefix}.${k}` : k] = v instanceof Tensor ? v.detach() : v.view();
    }
    return sd;
  }

  /**
   * Copies values from a state dict into this module's parameters and buffers, in place (so an
   * optimizer holding the parameters keeps working). Each entry must have the dtype and shape of
   * the module's: a `Tensor` (or `{ dtype: 'F32', … }`) for a float parameter or buffer, a typed
   * tensor of the same integer dtype for a {@link TypedBuffer}. The source may be another module's
   * `stateDict()`, `loadSafetensors(bytes).tensors`, or the JSON of a state dict:
   * `loadStateDict(JSON.parse(JSON.stringify(model.stateDict())))` works, floats coming back as
   * `{ shape, data }` with non-finite values as `'NaN'`/`'Infinity'`/`'-Infinity'` strings.
   * @param options.strict - require exactly the module's keys (default true).
   * @example
   * const a = new Linear(2, 1), b = new Linear(2, 1);
   * b.loadStateDict(a.stateDict()).missingKeys; // []
   * @throws ShapeError listing every entry of the wrong shape or dtype, or that is not a tensor;
   * with `strict` (default), TensorkitError `INVALID_ARGUMENT` listing missing and unexpected
   * keys; ArgumentError for bad options. Nothing is copied when it throws.
   */
  loadStateDict(sd: StateDictSource, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const op = 'loadStateDict';
    if (!isPlainObject(sd)) throw new ArgumentError(`${op}: expected an object of name → Tensor, got ${describe(sd)}`);
    const { strict = true } = parseOptions(op, options, { strict: bool });
    const own = new Map<string, Tensor | TypedBuffer>([...this.namedParameters(), ...this.namedBuffers()]);
    const missing = [...own.keys()].filter((k) => !Object.hasOwn(sd, k));
    const unexpected = Object.keys(sd).filter((k) => !own.has(k));
    const wrong: string[] = [];
    const values = new Map<Tensor | TypedBuffer, Float32Array | TypedBuffer['data']>();
    for (const [k, t] of own) {
      if (!Object.hasOwn(sd, k)) continue;
      const v = readEntry(sd[k], t);
      if (typeof v === 'string') wrong.push(`${k}: ${v}`);
      else values.set(t, v);
    }
    if (wrong.length > 0) throw new ShapeError(`${op}: mis-sized or invalid entries: ${wrong.join('; ')}`);
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      const parts: string[] = [];
      if (missing.length) parts.push(`missing keys: ${missing.join(', ')}`);
      if (unexpected.length) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
      throw new TensorkitError('INVALID_ARGUMENT', `${op}: ${parts.join('; ')} (pass { strict: false } to load the rest)`);
    }
    for (const [t, v] of values) (t.data as { set(a: ArrayLike<number>): void }).set(v);
    for (const m of this.modules()) m.stateLoaded();
    return { missingKeys: missing, unexpectedKeys: unexpected };
  }

  /**
   * Called on this module and every descendant after {@link Module.loadStateDict} has copied new
   * values into their parameters and buffers. The default does nothing; a module that caches
   * something derived from its buffers (a quantized layer's weight row sums) drops the cache here.
   */
  protected stateLoaded(): void {}

  /**
   * Registers `hook` to run before every `forward` call of this module (PyTorch's
   * `register_forward_pre_hook`): it gets `(module, inputs)` and may return replacement inputs.
   * Hooks run in registration order (`prepend: true` puts this one first), also when a container
   * calls `forward`; they are not saved in state dicts or configs. A module without hooks runs
   * its `forward` directly, at no cost.
   * @example
   * const lin = new Linear(2, 2);
   * const h = lin.registerForwardPreHook((m, [x]) => mul(x as Tensor, 0));
   * lin.forward(ones([1, 2])).toArray().join() === lin.bias!.toArray().join(); // true
   * h.remove();
   * @throws ArgumentError if `hook` is not a function or an option is bad.
   */
  registerForwardPreHook(hook: ForwardPreHook<this>, options: HookOptions = {}): RemovableHandle {
    return addHook(this, 'pre', hook, options, 'registerForwardPreHook');
  }

  /**
   * Registers `hook` to run after every `forward` call of this module (PyTorch's
   * `register_forward_hook`): it gets `(module, inputs, output)` and may return a replacement
   * output. Hooks run in registration order (`prepend: true` puts this one first); use one to
   * capture activations, observe ranges for calibration, or apply a mask.
   * @example
   * const net = new Sequential(new Linear(3, 4), new ReLU());
   * const seen: number[][] = [];
   * const h = net[0].registerForwardHook((m, inputs, out) => { seen.push([...(out as Tensor).shape]); });
   * net.forward(zeros([2, 3]));
   * h.remove();
   * seen; // [[2, 4]]
   * @throws ArgumentError if `hook` is not a function or an option is bad.
   */
  registerForwardHook(hook: ForwardHook<this>, options: HookOptions = {}): RemovableHandle {
    return addHook(this, 'post', hook, options, 'registerForwardHook');
  }

  /**
   * JSON needed to rebuild this module: its class name and constructor options. Built-in layers
   * override it; a custom module that should be saved with `saveModel` overrides it too.
   */
  config(): ModuleConfig {
    return { type: this.constructor.name };
  }

  /**
   * A text table of the layers (like Keras's `model.summary()`): each leaf module's name and
   * type, its output shape (when `inputShape` is given, found by running a forward pass on zeros
   * without recording gradients) and its parameter count, then the totals.
   * @param inputShape - shape of one input batch, e.g. `[1, 1, 28, 28]`.
   */
  summary(inputShape?: readonly number[]): string {
    const shapes = new Map<Module, string>();
    const named = this.namedModules();
    if (inputShape !== undefined) {
      const dims = checkArg('summary', 'inputShape', inputShape, arrayOf(nonNegInt));
      const handles: RemovableHandle[] = [];
      const modes = named.map(([, m]) => m.training);
      try {
        for (const [, m] of named) {
          handles.push(m.registerForwardHook((mod, _inputs, out) => {
            // Layers may return a tensor, a tuple, or an object such as { output, hN }.
            const first = Array.isArray(out) ? out[0] : out instanceof Tensor ? out : (out as { output?: unknown } | null)?.output;
            if (first instanceof Tensor) shapes.set(mod, `[${first.shape.join(', ')}]`);
          }));
        }
        this.eval();
        noGrad(() => (this.forward as (x: Tensor) => unknown)(zeros(dims)));
      } finally {
        for (const h of handles) h.remove();
        named.forEach(([, m], i) => { m.training = modes[i]; });
      }
    }
    const rows: [string, string, string][] = [['Layer (type)', 'Output shape', 'Param #']];
    for (const [name, m] of named) {
      const own = m.ownEntries().filter((e) => e[1] instanceof Parameter).reduce((s, e) => s + (e[1] as Parameter).size, 0);
      const isLeaf = m.namedChildren().length === 0;
      if (!isLeaf && own === 0 && m !== this) continue;
      if (m === this && !isLeaf) continue;
      rows.push([`${name || '(root)'} (${m.constructor.name})`, shapes.get(m) ?? '-', own.toLocaleString('en-US')]);
    }
    const total = this.numParameters();
    const trainable = this.numParameters({ trainableOnly: true });
    const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
    const line = (r: [string, string, string]) => `${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2].padStart(w[2])}`;
    const rule = '─'.repeat(w[0] + w[1] + w[2] + 4);
    return [
      `${this.constructor.name}`,
      rule, line(rows[0]), rule, ...rows.slice(1).map(line), rule,
      `Total params: ${total.toLocaleString('en-US')}`,
      `Trainable params: ${trainable.toLocaleString('en-US')}`,
      `Non-trainable params: ${(total - trainable).toLocaleString('en-US')}`,
    ].join('\n');
  }
}

MODULE.mark(Module.prototype);
