import { enableGrad } from '../tensor/autograd';
import { ArgumentError, FormatError, ShapeError, fmtShape } from '../tensor/errors';
import { Tensor } from '../tensor/tensor';

/** A value that survives `JSON.parse(JSON.stringify(v))` unchanged. */
export type JsonValue = number | string | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The hyperparameters every optimizer has: the learning rate. */
export interface BaseOptions {
  /** Learning rate. */
  lr: number;
}

/**
 * A parameter group (PyTorch's param groups): its own parameters and any hyperparameters that
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

// ---------------------------------------------------------------- validation helpers

/** Formats an offending value for a message (`NaN`, `-Infinity`, `"abc"`, `undefined`). @internal */
export function fmtValue(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return JSON.stringify(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Throws unless v is a finite number ≥ 0. @internal */
export function checkNonNeg(where: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new ArgumentError(`${where}: ${name} must be a finite number ≥ 0, got ${fmtValue(v)}`);
  }
}

/** Throws unless v is a finite number > 0. @internal */
export function checkPositive(where: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new ArgumentError(`${where}: ${name} must be a finite number > 0, got ${fmtValue(v)}`);
  }
}

/** Throws unless v is a finite number. @internal */
export function checkFinite(where: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ArgumentError(`${where}: ${name} must be a finite number, got ${fmtValue(v)}`);
  }
}

/** Throws unless lo ≤ v < hi (or ≤ hi when `closedHigh`). @internal */
export function checkRange(where: string, name: string, v: unknown, lo: number, hi: number, closedHigh = false): void {
  const ok = typeof v === 'number' && v >= lo && (closedHigh ? v <= hi : v < hi);
  if (!ok) throw new ArgumentError(`${where}: ${name} must be in [${lo}, ${hi}${closedHigh ? ']' : ')'}, got ${fmtValue(v)}`);
}

/** Throws unless v is a boolean. @internal */
export function checkBool(where: string, name: string, v: unknown): void {
  if (typeof v !== 'boolean') throw new ArgumentError(`${where}: ${name} must be a boolean, got ${fmtValue(v)}`);
}

/** Throws unless v is an integer ≥ min. @internal */
export function checkInt(where: string, name: string, v: unknown, min: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new ArgumentError(`${where}: ${name} must be an integer ≥ ${min}, got ${fmtValue(v)}`);
  }
}

/** Throws unless v is a pair [β₁, β₂] with both in [0, 1). @internal */
export function checkBetas(where: string, v: unknown): void {
  if (!Array.isArray(v) || v.length !== 2) throw new ArgumentError(`${where}: betas must be a pair [β₁, β₂], got ${fmtValue(v)}`);
  checkRange(where, 'betas[0]', v[0], 0, 1);
  checkRange(where, 'betas[1]', v[1], 0, 1);
}

// ---------------------------------------------------------------- JSON encoding of numbers

/** A number as JSON: itself when finite, else `'NaN'`, `'Infinity'` or `'-Infinity'`. @internal */
export function encodeNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

/** Inverse of {@link encodeNumber}; undefined when `v` is neither. @internal */
export function decodeNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return undefined;
}

/** A float32 buffer as a JSON array of numbers. @internal */
export function encodeBuffer(buf: Float32Array): Array<number | string> {
  const out = new Array<number | string>(buf.length);
  for (let i = 0; i < buf.length; i++) {
    const v = buf[i];
    out[i] = v - v === 0 ? v : String(v);
  }
  return out;
}

/**
 * A JSON array of numbers back into a float32 buffer of length `n`.
 * @throws FormatError on a non-array or non-number entry; ShapeError on a wrong length.
 */
export function decodeBuffer(v: unknown, n: number, where: string): Float32Array {
  if (!Array.isArray(v) && !(v instanceof Float32Array)) throw new FormatError(`${where} must be an array of numbers, got ${typeof v}`);
  if (v.length !== n) throw new ShapeError(`${where} has ${v.length} values but the parameter has ${n}`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = decodeNumber(v[i]);
    if (x === undefined) throw new FormatError(`${where}[${i}] must be a number, got ${fmtValue(v[i])}`);
    out[i] = x;
  }
  return out;
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
 * Base class of the optimizers: parameter groups with their own hyperparameters, per-parameter
 * state, `zeroGrad`, an `lr` shortcut and a JSON-safe state dict that resumes training bit-exactly.
 *
 * A subclass supplies its defaults, a validator for a group's hyperparameters, the names and kinds
 * of its per-parameter state, and `step()`, which writes each parameter's update in one loop over
 * its `Float32Array`. Parameters whose `grad` is null are skipped (as PyTorch).
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
  /** Per-parameter state, created on a parameter's first update. */
  protected state = new Map<Tensor, S>();
  /** What `stateDict` writes for each per-parameter state entry. */
  protected abstract readonly stateKinds: Record<string, StateKind>;

  constructor(name: string, params: readonly Tensor[] | readonly ParamGroup<O>[], defaults: O, options: Partial<O>) {
    this.name = name;
    if (!isRecord(options)) throw new ArgumentError(`${name}: options must be an object, got ${fmtValue(options)}`);
    this.checkKeys(options, name, defaults, false);
    const merged = { ...defaults };
    for (const k of Object.keys(options) as Array<keyof O>) if (options[k] !== undefined) merged[k] = options[k] as O[keyof O];
    this.defaults = merged;
    if (!Array.isArray(params) || params.length === 0) {
      throw new ArgumentError(`${name}: params must be a non-empty array of parameters or parameter groups, got ${Array.isArray(params) ? 'an empty array' : fmtValue(params)}`);
    }
    const rawGroups: ReadonlyArray<ParamGroup<O>> = params[0] instanceof Tensor ? [{ params: params as readonly Tensor[] } as ParamGroup<O>] : (params as readonly ParamGroup<O>[]);
    const seen = new Set<Tensor>();
    this.paramGroups = rawGroups.map((g, gi) => {
      const where = rawGroups.length > 1 || !(params[0] instanceof Tensor) ? `${name}: paramGroups[${gi}]` : name;
      if (!isRecord(g) || !Array.isArray(g.params)) throw new ArgumentError(`${where} must be a Tensor or an object { params: Tensor[], ...options }, got ${fmtValue(g)}`);
      this.checkKeys(g, where, defaults, true);
      const ps: Tensor[] = [];
      for (let i = 0; i < g.params.length; i++) {
        const p = g.params[i];
        if (!(p instanceof Tensor)) throw new ArgumentError(`${where}: params[${i}] must be a Tensor (Parameter), got ${fmtValue(p)}`);
        if (!p.isLeaf) throw new ArgumentError(`${where}: params[${i}] ${fmtShape(p.shape)} is not a leaf tensor; optimize the Parameter it was computed from`);
        if (seen.has(p)) throw new ArgumentError(`${where}: params[${i}] ${fmtShape(p.shape)} appears more than once (in this or another group)`);
        seen.add(p);
        ps.push(p);
      }
      const group = { ...merged } as ResolvedGroup<O>;
      for (const k of Object.keys(g)) if (k !== 'params' && (g as Record<string, unknown>)[k] !== undefined) (group as unknown as Record<string, unknown>)[k] = (g as Record<string, unknown>)[k];
      group.params = ps;
      this.validateGroupWith(group, where);
      return group;
    });
  }

  /**
   * Checks one group's hyperparameters, throwing an `ArgumentError` that names the option and
   * the value. Called on construction, on `lr` assignment and on `loadStateDict`.
   */
  protected abstract validateGroup(group: O, where: string): void;

  /**
   * Applies one update to every parameter that has a gradient. `closure`, if given, is called first
   * (with gradients enabled) to recompute the loss and gradients; its loss is returned.
   */
  abstract step(closure?: Closure): number | undefined;

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
    checkNonNeg(this.name, 'lr', value);
    for (const g of this.paramGroups) g.lr = value;
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
    if (typeof closure !== 'function') throw new ArgumentError(`${this.name}.step: closure must be a function, got ${fmtValue(closure)}`);
    const loss = enableGrad(closure);
    if (loss instanceof Tensor) return loss.item();
    if (typeof loss !== 'number') throw new ArgumentError(`${this.name}.step: closure must return a Tensor or a number, got ${fmtValue(loss)}`);
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
      throw new FormatError(`${name}.loadStateDict: expected { optimizer, state: [], paramGroups: [] }, got ${fmtValue(sd)}`);
    }
    if (sd.optimizer !== name) throw new FormatError(`${name}.loadStateDict: the state dict is from ${fmtValue(sd.optimizer)}, not ${name}`);
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
      this.checkKeys(saved, where, this.defaults, true);
      const group = { ...g } as ResolvedGroup<O>;
      for (const k of Object.keys(saved)) {
        if (k === 'params') continue;
        const v = saved[k];
        (group as unknown as Record<string, unknown>)[k] = Array.isArray(v) ? v.map((x) => decodeNumber(x) ?? x) : (decodeNumber(v) ?? v);
      }
      if (!('initialLr' in saved)) delete group.initialLr;
      this.validateGroupWith(group, where);
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

  /** Per-parameter state as JSON, in `allParams()` order. Overridden by optimizers with global state. */
  protected encodeState(): Array<{ [key: string]: JsonValue } | null> {
    return this.allParams().map((p) => {
      const st = this.state.get(p);
      if (st === undefined) return null;
      const o: { [key: string]: JsonValue } = {};
      for (const k of Object.keys(st)) {
        const v = st[k];
        if (v instanceof Float32Array) o[k] = encodeBuffer(v);
        else if (typeof v === 'number') o[k] = encodeNumber(v);
      }
      return o;
    });
  }

  /**
   * Validates saved per-parameter state against the parameters and returns a function that installs
   * it (so that nothing changes when validation fails).
   */
  protected decodeState(saved: unknown[], params: Tensor[]): () => void {
    const next = new Map<Tensor, S>();
    const kinds = this.stateKinds;
    for (let i = 0; i < params.length; i++) {
      const entry = saved[i];
      if (entry === null || entry === undefined) continue;
      const where = `${this.name}.loadStateDict: state[${i}]`;
      if (!isRecord(entry)) throw new FormatError(`${where} must be an object or null, got ${fmtValue(entry)}`);
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
          if (x === undefined) throw new FormatError(`${where}.${k} must be a number, got ${fmtValue(v)}`);
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

  private validateGroupWith(group: ResolvedGroup<O>, where: string): void {
    if (group.lr === undefined) throw new ArgumentError(`${where}: lr is required (give it in the options or in every group)`);
    checkNonNeg(where, 'lr', group.lr);
    if (group.initialLr !== undefined) checkNonNeg(where, 'initialLr', group.initialLr);
    this.validateGroup(group, where);
  }

  private checkKeys(o: object, where: string, defaults: O, isGroup: boolean): void {
    for (const k of Object.keys(o)) {
      if (k in defaults) continue;
      if (isGroup && (k === 'params' || k === 'initialLr')) continue;
      const snake = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      const hint = snake !== k && snake in defaults ? ` (did you mean '${snake}'?)` : '';
      throw new ArgumentError(`${where}: unknown option '${k}'${hint}; ${this.name} takes ${Object.keys(defaults).join(', ')}`);
    }
  }
}
