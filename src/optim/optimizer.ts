import { enableGrad } from '../tensor/autograd';
import { ArgumentError, FormatError, ShapeError, fmtShape } from '../tensor/errors';
import { decodeNumber, decodeNumbers, encodeNumber, encodeNumbers } from '../tensor/json';
import { arrayOf, badValue, bool, checkArg, finite, nonNeg, num, parseOptions, str, type Check, type OptionSpec } from '../tensor/options';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

/** A value that survives `JSON.parse(JSON.stringify(v))` unchanged. */
export type JsonValue = number | string | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The hyperparameters every optimizer has: the learning rate. */
export interface BaseOptions {
  /** Learning rate. */
  lr: number;
}

/**
 * A parameter group (PyTorch's param groups): its own parameters and the hyperparameters that
 * differ from the optimizer's defaults, e.g. `{ params: [bias], lr: 0.1, weightDecay: 0 }`.
 */
export type ParamGroup<O extends object = BaseOptions> = {
  /** The group's parameters. */
  params: readonly Tensor[];
} & Partial<O> & {
  /** The learning rate a scheduler's schedule starts from (PyTorch's `initial_lr`); set by the scheduler. */
  initialLr?: number;
};

/**
 * A parameter group after defaults are filled in. `initialLr` is set by a scheduler on first use
 * (PyTorch's `initial_lr`): the learning rate its schedule starts from.
 */
export type ResolvedGroup<O extends object = BaseOptions> = O & {
  /** The group's parameters. */
  params: Tensor[];
  /** The learning rate a scheduler's schedule starts from (PyTorch's `initial_lr`); set by the scheduler on first use. */
  initialLr?: number;
};

/** A closure that re-evaluates the loss and its gradients (calls `backward()`), for `step(closure)`. */
export type Closure = () => Tensor | number;

/**
 * The serialized state of an optimizer, JSON-safe: plain numbers and arrays, so it survives
 * `JSON.parse(JSON.stringify(sd))` bit-exactly (float32 buffer values and float64 scalars are
 * written by `JSON.stringify` as the shortest decimal that reads back to the same number).
 * Non-finite values are written as the strings `'NaN'`, `'Infinity'` and `'-Infinity'`.
 *
 * - `optimizer`: the class name (`'Adam'`); loading into another class is an error.
 * - `state[i]`: the state of the i-th parameter, counting through `paramGroups` in order, or null if
 *   it has none yet; each entry maps a state name (`step`, `expAvg`, …) to a number or an array of
 *   `param.size` numbers.
 * - `paramGroups[g]`: the group's hyperparameters and `params`, the indices of its parameters.
 */
export interface OptimizerStateDict {
  /** Class name of the optimizer that wrote the state (`'Adam'`). */
  optimizer: string;
  /** Per-parameter state, in `paramGroups` order; null for a parameter with no state yet. */
  state: Array<{ [key: string]: JsonValue } | null>;
  /** Each group's hyperparameters and the indices of its parameters. */
  paramGroups: Array<{
    [key: string]: JsonValue;
    /** Indices of the group's parameters into `state`. */
    params: number[];
  }>;
}

/** How a per-parameter state entry is stored: a scalar, a buffer of `param.size`, or an optional buffer. */
export type StateKind = 'scalar' | 'buffer' | 'buffer?';

/** Per-parameter state: scalars (step counts) and float32 buffers the size of the parameter. */
export type ParamState = Record<string, number | Float32Array | undefined>;

// ---------------------------------------------------------------- state buffers

/**
 * A saved state buffer (a JSON array of numbers, or a Float32Array) as a float32 buffer of `n`
 * values, with the number convention of `tensor/json`.
 * @throws FormatError on a non-array or non-number entry; ShapeError on a wrong length.
 * @internal
 */
export function decodeBuffer(v: unknown, n: number, where: string): Float32Array {
  if (v instanceof Float32Array) {
    if (v.length !== n) throw new ShapeError(`${where} has ${v.length} values but the parameter has ${n}`);
    return v.slice();
  }
  if (!Array.isArray(v)) throw new FormatError(`${where} must be an array of numbers, got ${describe(v)}`);
  if (v.length !== n) throw new ShapeError(`${where} has ${v.length} values but the parameter has ${n}`);
  return Float32Array.from(decodeNumbers(v, where));
}

const beta = num({ min: 0, max: 1, openMax: true });

/** The check of Adam-style `betas`: a pair [β₁, β₂], each in [0, 1). @internal */
export const betas: Check<[number, number]> = (v, name, op) => {
  if (!Array.isArray(v) || v.length !== 2) throw badValue(op, name, 'a pair [β₁, β₂]', v);
  return [beta(v[0], `${name}[0]`, op), beta(v[1], `${name}[1]`, op)];
};

/** The check of a hyperparameter without a spec: from the type of its default. */
function checkFromDefault(v: unknown): Check<unknown> {
  if (typeof v === 'number') return finite;
  if (typeof v === 'boolean') return bool;
  if (typeof v === 'string') return str;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return arrayOf(finite, { min: v.length, max: v.length });
  return (x) => x;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function copyJson(v: unknown): JsonValue {
  if (Array.isArray(v)) return v.map(copyJson);
  if (typeof v === 'number') return encodeNumber(v);
  if (isRecord(v)) {
    const o: { [k: string]: JsonValue } = {};
    for (const k of Object.keys(v)) o[k] = copyJson(v[k]);
    return o;
  }
  return v as JsonValue;
}

// ---------------------------------------------------------------- Optimizer

/**
 * Base class of the optimizers. It owns everything but the update rule: parameter groups with
 * their own hyperparameters (validated by one option spec, with "did you mean" for unknown keys),
 * the loop over groups and parameters, skipping parameters whose `grad` is null (as PyTorch),
 * `maximize` (the gradient is negated), L2 weight decay g ← g + λθ (the group's `weightDecay`),
 * per-parameter state created on a parameter's first update, `zeroGrad`, an `lr` shortcut, and a
 * JSON-safe state dict that resumes training bit-exactly.
 *
 * A subclass writes only its per-parameter math (MLX's split): {@link initState} (the state of a
 * parameter before its first update) and {@link update} (one update of one parameter from its
 * gradient), plus its defaults and, optionally, an option spec and the kinds of its state entries.
 * A sign-SGD is a few lines:
 *
 * ```ts
 * class SignSGD extends Optimizer<{ lr: number; maximize: boolean }> {
 *   constructor(params: Tensor[], options: { lr?: number; maximize?: boolean } = {}) {
 *     super('SignSGD', params, { lr: 0.01, maximize: false }, options);
 *   }
 *   protected initState(): ParamState { return {}; }
 *   protected update(p: Tensor, g: Float32Array | Float64Array, _s: ParamState, group: { lr: number }): void {
 *     for (let i = 0; i < p.size; i++) p.data[i] -= group.lr * Math.sign(g[i]);
 *   }
 * }
 * ```
 *
 * Shapes: state buffers have the shape (and size) of their parameter.
 * @example
 * const p = new Parameter(tensor([1, 2]));
 * const opt = new SGD([{ params: [p], lr: 0.5 }], { lr: 0.1 });
 * opt.paramGroups[0].lr; // 0.5
 * opt.lr = 0.2;
 * opt.paramGroups[0].lr; // 0.2
 * @throws ArgumentError on an empty parameter list, a parameter listed twice, a non-leaf tensor, an
 * unknown option or an invalid hyperparameter (the message names the option and the value).
 * @category Optimizers
 */
export abstract class Optimizer<O extends BaseOptions = BaseOptions, S extends ParamState = ParamState> {
  /** The parameter groups with every hyperparameter filled in. Edit a group's options in place to change them. */
  readonly paramGroups: Array<ResolvedGroup<O>>;
  /** The defaults a group falls back to (the constructor's options). */
  readonly defaults: Readonly<O>;
  /** The class name, used in messages and checked by `loadStateDict`. */
  readonly name: string;
  /** Per-parameter state, created by {@link initState} on a parameter's first update. */
  protected state = new Map<Tensor, S>();
  /**
   * What `stateDict` writes and `loadStateDict` requires for each per-parameter state entry; null
   * (the default) takes the entries as they are (numbers as scalars, Float32Arrays as buffers of the
   * parameter's size).
   */
  protected readonly stateKinds: Record<string, StateKind> | null = null;
  /**
   * Whether `step` adds λθ (the group's `weightDecay`) to the gradient before {@link update}
   * (L2 decay, PyTorch's coupled form). AdamW turns it off and decays the weights itself.
   */
  protected readonly foldWeightDecay: boolean = true;
  private readonly spec: OptionSpec;
  private readonly groupSpec: OptionSpec;
  // The effective gradient when maximize or weight decay change it: float64, so that the update
  // sees exactly the value it would compute inline (−g + λθ is not rounded to float32).
  private scratch = new Float64Array(0);

  /**
   * @param name the class name (messages, state dicts).
   * @param params the parameters, or parameter groups `{ params, ...options }`.
   * @param defaults every hyperparameter's default (`lr: undefined` makes it required).
   * @param options the user's options, over the defaults.
   * @param spec the check of each hyperparameter (see `tensor/options`); without it, checks are
   * derived from the defaults' types (numbers finite, booleans, strings, number arrays of that length).
   */
  constructor(
    name: string, params: readonly Tensor[] | readonly ParamGroup<O>[], defaults: O, options: Partial<O> | undefined,
    spec?: Record<string, (v: unknown, name: string, op: string) => unknown>,
  ) {
    this.name = name;
    const own: OptionSpec = {};
    for (const k of Object.keys(defaults)) own[k] = spec?.[k] ?? checkFromDefault((defaults as Record<string, unknown>)[k]);
    own.lr = spec?.lr ?? nonNeg;
    this.spec = own;
    this.groupSpec = { ...own, initialLr: nonNeg };
    const merged = { ...defaults, ...parseOptions(name, options, own) } as O;
    this.defaults = merged;
    if (!Array.isArray(params) || params.length === 0) {
      throw new ArgumentError(`${name}: params must be a non-empty array of parameters or parameter groups, got ${Array.isArray(params) ? 'an empty array' : describe(params)}`);
    }
    const rawGroups: ReadonlyArray<ParamGroup<O>> = params[0] instanceof Tensor ? [{ params: params as readonly Tensor[] } as ParamGroup<O>] : (params as readonly ParamGroup<O>[]);
    const seen = new Set<Tensor>();
    this.paramGroups = rawGroups.map((g, gi) => {
      const where = rawGroups.length > 1 || !(params[0] instanceof Tensor) ? `${name}: paramGroups[${gi}]` : name;
      if (!isRecord(g) || !Array.isArray(g.params)) throw new ArgumentError(`${where} must be a Tensor or an object { params: Tensor[], ...options }, got ${describe(g)}`);
      const { params: list, ...rest } = g as { params: readonly unknown[] } & Record<string, unknown>;
      const given = parseOptions(where, rest, this.groupSpec);
      const ps: Tensor[] = [];
      for (let i = 0; i < list.length; i++) {
        const p = list[i];
        if (!(p instanceof Tensor)) throw new ArgumentError(`${where}: params[${i}] must be a Tensor (Parameter), got ${describe(p)}`);
        if (!p.isLeaf) throw new ArgumentError(`${where}: params[${i}] ${fmtShape(p.shape)} is not a leaf tensor; optimize the Parameter it was computed from`);
        if (seen.has(p)) throw new ArgumentError(`${where}: params[${i}] ${fmtShape(p.shape)} appears more than once (in this or another group)`);
        seen.add(p);
        ps.push(p);
      }
      const group = { ...merged, ...given, params: ps } as ResolvedGroup<O>;
      this.checkGroup(group, where);
      return group;
    });
  }

  /**
   * Checks what the option spec cannot see: constraints between a group's hyperparameters (SGD's
   * Nesterov needs momentum). Called on construction and on `loadStateDict`, after every option
   * passed its own check. The default checks nothing.
   */
  protected validateGroup(_group: O, _where: string): void {}

  /** The state of parameter `param` before its first update (zeros, step counts), created by `step`. */
  protected abstract initState(param: Tensor, group: O): S;

  /**
   * One update of one parameter, in place on `param.data`. `grad` is the effective gradient:
   * `param.grad` itself, or (with `maximize` or L2 weight decay) a float64 scratch holding
   * −∇ and/or ∇ + λθ, valid only during the call. `state` is the parameter's own state.
   */
  protected abstract update(param: Tensor, grad: Float32Array | Float64Array, state: S, group: O): void;

  /**
   * Applies one update to every parameter that has a gradient. `closure`, if given, is called first
   * (with gradients enabled) to recompute the loss and gradients; its loss is returned.
   */
  step(closure?: Closure): number | undefined {
    const loss = this.evalClosure(closure);
    for (const group of this.paramGroups) {
      const g = group as unknown as { maximize?: unknown; weightDecay?: unknown };
      const negate = g.maximize === true;
      const wd = this.foldWeightDecay && typeof g.weightDecay === 'number' ? g.weightDecay : 0;
      for (const p of group.params) {
        const raw = p.grad;
        if (raw === null) continue;
        let st = this.state.get(p);
        if (st === undefined) {
          st = this.initState(p, group);
          this.state.set(p, st);
        }
        this.update(p, negate || wd !== 0 ? this.effectiveGrad(raw, p.data, negate ? -1 : 1, wd) : raw, st, group);
      }
    }
    return loss;
  }

  /** sign·∇ + λθ in the float64 scratch (λ = 0 adds nothing: 0 · ∞ would be NaN). */
  private effectiveGrad(grad: Float32Array, w: Float32Array, sign: number, wd: number): Float64Array {
    const n = grad.length;
    if (this.scratch.length < n) this.scratch = new Float64Array(n);
    const out = this.scratch;
    if (wd === 0) for (let i = 0; i < n; i++) out[i] = sign * grad[i];
    else for (let i = 0; i < n; i++) out[i] = sign * grad[i] + wd * w[i];
    return out;
  }

  /** Sets every parameter's `grad` to null (a skipped parameter in the next `step`). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /** The learning rate of the first group. */
  get lr(): number {
    return this.paramGroups[0].lr;
  }

  /**
   * Sets the learning rate of every group.
   * @throws ArgumentError unless a finite number ≥ 0.
   */
  set lr(value: number) {
    const lr = checkArg(this.name, 'lr', value, this.spec.lr) as number;
    for (const g of this.paramGroups) g.lr = lr;
  }

  /** Every parameter, group by group, in the order that `stateDict` indexes them. */
  protected allParams(): Tensor[] {
    const out: Tensor[] = [];
    for (const g of this.paramGroups) for (const p of g.params) out.push(p);
    return out;
  }

  /** Calls `closure` with gradients enabled and returns its loss as a number (undefined without one). */
  protected evalClosure(closure: Closure | undefined): number | undefined {
    if (closure === undefined) return undefined;
    if (typeof closure !== 'function') throw new ArgumentError(`${this.name}.step: closure must be a function, got ${describe(closure)}`);
    const loss = enableGrad(closure);
    if (loss instanceof Tensor) return loss.item();
    if (typeof loss !== 'number') throw new ArgumentError(`${this.name}.step: closure must return a Tensor or a number, got ${describe(loss)}`);
    return loss;
  }

  /**
   * A JSON-safe snapshot of the optimizer: hyperparameters of every group and every parameter's
   * state (copied). See {@link OptimizerStateDict} for the format.
   */
  stateDict(): OptimizerStateDict {
    let idx = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const o: { [key: string]: JsonValue; params: number[] } = { params: [] };
      for (const k of Object.keys(g)) if (k !== 'params') o[k] = copyJson((g as unknown as Record<string, unknown>)[k]);
      o.params = g.params.map(() => idx++);
      return o;
    });
    return { optimizer: this.name, state: this.encodeState(), paramGroups };
  }

  /**
   * Restores a state from {@link stateDict} (also after a JSON round trip): every group's
   * hyperparameters and every parameter's state. Parameters are matched by position. Nothing
   * changes unless the whole state is valid.
   * @throws FormatError on a malformed state or one from another optimizer class; ShapeError when
   * group counts, group sizes or buffer sizes differ from the parameters; ArgumentError on an
   * invalid hyperparameter.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const name = this.name;
    if (!isRecord(sd) || !Array.isArray(sd.paramGroups) || !Array.isArray(sd.state)) {
      throw new FormatError(`${name}.loadStateDict: expected { optimizer, state: [], paramGroups: [] }, got ${describe(sd)}`);
    }
    if (sd.optimizer !== name) throw new FormatError(`${name}.loadStateDict: the state dict is from ${describe(sd.optimizer)}, not ${name}`);
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new ShapeError(`${name}.loadStateDict: the state dict has ${sd.paramGroups.length} parameter groups but the optimizer has ${this.paramGroups.length}`);
    }
    const groups = this.paramGroups.map((g, gi) => {
      const where = `${name}.loadStateDict: paramGroups[${gi}]`;
      const saved = sd.paramGroups[gi];
      if (!isRecord(saved) || !Array.isArray(saved.params)) throw new FormatError(`${where} must be an object with a params array`);
      if (saved.params.length !== g.params.length) {
        throw new ShapeError(`${where} has ${saved.params.length} parameters but the optimizer's group has ${g.params.length}`);
      }
      const decoded: Record<string, unknown> = {};
      for (const k of Object.keys(saved)) {
        if (k === 'params') continue;
        const v = saved[k];
        decoded[k] = Array.isArray(v) ? v.map((x) => decodeNumber(x) ?? x) : (decodeNumber(v) ?? v);
      }
      const group = { ...g, ...parseOptions(where, decoded, this.groupSpec) } as ResolvedGroup<O>;
      if (!('initialLr' in saved)) delete group.initialLr;
      this.checkGroup(group, where);
      return group;
    });
    const params = this.allParams();
    if (sd.state.length !== params.length) {
      throw new ShapeError(`${name}.loadStateDict: the state dict has state for ${sd.state.length} parameters but the optimizer has ${params.length}`);
    }
    const commit = this.decodeState(sd.state, params);
    // Update the group objects in place: schedulers and user code may hold references to them.
    for (let gi = 0; gi < groups.length; gi++) {
      const target = this.paramGroups[gi] as unknown as Record<string, unknown>;
      for (const k of Object.keys(target)) if (!(k in groups[gi])) delete target[k];
      Object.assign(target, groups[gi]);
    }
    commit();
  }

  /**
   * Per-parameter state as JSON, in `allParams()` order; a parameter without state (or with an
   * empty one) is null. Overridden by optimizers with global state.
   */
  protected encodeState(): Array<{ [key: string]: JsonValue } | null> {
    return this.allParams().map((p) => {
      const st = this.state.get(p);
      if (st === undefined) return null;
      const o: { [key: string]: JsonValue } = {};
      let found = false;
      for (const k of Object.keys(st)) {
        const v = st[k];
        if (v instanceof Float32Array) o[k] = encodeNumbers(v);
        else if (typeof v === 'number') o[k] = encodeNumber(v);
        else continue;
        found = true;
      }
      return found ? o : null;
    });
  }

  /**
   * Validates saved per-parameter state against the parameters and returns a function that installs
   * it (so that nothing changes when validation fails).
   */
  protected decodeState(saved: unknown[], params: Tensor[]): () => void {
    const next = new Map<Tensor, S>();
    for (let i = 0; i < params.length; i++) {
      const entry = saved[i];
      if (entry === null || entry === undefined) continue;
      const where = `${this.name}.loadStateDict: state[${i}]`;
      if (!isRecord(entry)) throw new FormatError(`${where} must be an object or null, got ${describe(entry)}`);
      const kinds = this.stateKinds ?? kindsOf(entry);
      const st: ParamState = {};
      for (const k of Object.keys(entry)) {
        if (!(k in kinds)) throw new FormatError(`${where}: unknown state entry '${k}' (${this.name} keeps ${Object.keys(kinds).join(', ')})`);
      }
      for (const k of Object.keys(kinds)) {
        const kind = kinds[k];
        const v = entry[k];
        if (v === undefined) {
          if (kind === 'buffer?') continue;
          throw new FormatError(`${where}: missing state entry '${k}'`);
        }
        if (kind === 'scalar') {
          const x = decodeNumber(v);
          if (x === undefined) throw new FormatError(`${where}.${k} must be a number, got ${describe(v)}`);
          st[k] = x;
        } else {
          try {
            st[k] = decodeBuffer(v, params[i].size, `${where}.${k}`);
          } catch (e) {
            if (e instanceof ShapeError) throw new ShapeError(`${e.message} (shape ${fmtShape(params[i].shape)})`);
            throw e;
          }
        }
      }
      next.set(params[i], st as S);
    }
    return () => {
      this.state = next;
    };
  }

  private checkGroup(group: ResolvedGroup<O>, where: string): void {
    if (group.lr === undefined) throw new ArgumentError(`${where}: lr is required (give it in the options or in every group)`);
    this.validateGroup(group, where);
  }
}

/** State kinds read off a saved entry, for an optimizer that declares none: arrays are buffers. */
function kindsOf(entry: Record<string, unknown>): Record<string, StateKind> {
  const out: Record<string, StateKind> = {};
  for (const k of Object.keys(entry)) out[k] = Array.isArray(entry[k]) || entry[k] instanceof Float32Array ? 'buffer' : 'scalar';
  return out;
}
