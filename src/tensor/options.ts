import { ArgumentError } from './errors';
import { Generator } from './random';
import { describe } from './shape';

// The one validator of options objects and scalar arguments (internal: not re-exported by any
// barrel, so it is free to change). Every public function and constructor that takes an options
// object reads it with `parseOptions`, so an unknown key, a value of the wrong type, or a
// primitive where the object goes, is an ArgumentError worded the same way everywhere:
//
//   Linear: unknown option 'Bias' (did you mean 'bias'?); Linear takes bias, rng
//   Linear: bias must be a boolean, got "false"
//   Linear: options must be an object, got 42
//
// A check is a function `(value, name, op) => value` that returns the (possibly normalised) value
// or throws. The checks below cover the kinds the library takes; compose them with `nullable`,
// `anyOf` and `arrayOf`, or write a one-off check with the same signature.

/** Validates one value; `name` is the option (or argument) and `op` the function, for the message. @internal */
export type Check<T> = (v: unknown, name: string, op: string) => T;

/** The checks of an options object, by key. @internal */
export type OptionSpec = Record<string, Check<unknown>>;

/** The validated options: each key present only if it was given (and not undefined). @internal */
export type Parsed<S extends OptionSpec> = { [K in keyof S]?: S[K] extends Check<infer T> ? T : never };

/** The ArgumentError of a value that fails a check: `op: name must be <what>, got <value>`. @internal */
export function badValue(op: string, name: string, what: string, v: unknown): ArgumentError {
  return new ArgumentError(`${op}: ${name} must be ${what}, got ${describe(v)}`);
}

/**
 * Reads an options object: `undefined` and `null` give `{}`; anything that is not a plain object
 * (a number, a string, an array, a Tensor) is refused; every key must be in `spec` (an unknown key
 * gets a "did you mean" from the known ones), and every value that is not `undefined` must pass its
 * check. Returns a new object holding the checked values of the keys that were given, ready to be
 * spread over defaults: `{ ...DEFAULTS, ...parseOptions(op, options, SPEC) }`.
 * @throws ArgumentError naming `op`, the key and the value.
 * @internal
 */
export function parseOptions<S extends OptionSpec>(op: string, options: unknown, spec: S): Parsed<S> {
  if (options === undefined || options === null) return {};
  if (!isPlainObject(options)) throw new ArgumentError(`${op}: options must be an object, got ${describe(options)}`);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(options)) {
    if (!Object.hasOwn(spec, k)) throw unknownOption(op, k, Object.keys(spec));
    const v = (options as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = spec[k](v, k, op);
  }
  return out as Parsed<S>;
}

/** The ArgumentError of an unknown key, with the closest known key as a hint. @internal */
export function unknownOption(op: string, key: string, known: readonly string[], what = 'option'): ArgumentError {
  const hint = closest(key, known);
  const takes = known.length === 0 ? `${op} takes no ${what}s` : `${op} takes ${known.join(', ')}`;
  return new ArgumentError(`${op}: unknown ${what} ${quote(key)}${hint === null ? '' : ` (did you mean ${quote(hint)}?)`}; ${takes}`);
}

/** True for `{}`-like objects: not null, not an array, not a class instance other than Object. @internal */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Runs `check` on a positional argument (same wording as an option). @internal */
export function checkArg<T>(op: string, name: string, v: unknown, check: Check<T>): T {
  return check(v, name, op);
}

// ------------------------------------------------------------------------------ the checks

/** A boolean (no truthy strings: `'false'` is refused). @internal */
export const bool: Check<boolean> = (v, name, op) => {
  if (typeof v !== 'boolean') throw badValue(op, name, 'a boolean', v);
  return v;
};

/** A string. @internal */
export const str: Check<string> = (v, name, op) => {
  if (typeof v !== 'string') throw badValue(op, name, 'a string', v);
  return v;
};

/** A function. @internal */
export const func: Check<(...args: never[]) => unknown> = (v, name, op) => {
  if (typeof v !== 'function') throw badValue(op, name, 'a function', v);
  return v as (...args: never[]) => unknown;
};

/** A plain object (its own contents are checked by the caller). @internal */
export const object: Check<Record<string, unknown>> = (v, name, op) => {
  if (!isPlainObject(v)) throw badValue(op, name, 'an object', v);
  return v;
};

/** A seeded {@link Generator}. @internal */
export const rng: Check<Generator> = (v, name, op) => {
  if (!(v instanceof Generator)) throw badValue(op, name, 'a Generator (e.g. new Generator(42))', v);
  return v;
};

/** Bounds of {@link num}. @internal */
export interface NumBounds {
  /** Smallest allowed value (default −∞). */
  min?: number;
  /** Largest allowed value (default +∞). */
  max?: number;
  /** Exclude `min` itself. */
  openMin?: boolean;
  /** Exclude `max` itself. */
  openMax?: boolean;
  /** Require a safe integer. */
  integer?: boolean;
  /** Allow NaN and ±Inf (default false: finite only). */
  nonFinite?: boolean;
}

/** The range of `b` in words: `a finite number ≥ 0 and < 1`. @internal */
export function describeBounds(b: NumBounds): string {
  const { min = -Infinity, max = Infinity, openMin = false, openMax = false, integer = false, nonFinite = false } = b;
  const kind = integer ? 'an integer' : nonFinite ? 'a number' : 'a finite number';
  const parts: string[] = [];
  if (min !== -Infinity) parts.push(`${openMin ? '>' : '≥'} ${min}`);
  if (max !== Infinity) parts.push(`${openMax ? '<' : '≤'} ${max}`);
  return parts.length === 0 ? kind : `${kind} ${parts.join(' and ')}`;
}

/** A number within bounds (finite unless `nonFinite`). @internal */
export function num(b: NumBounds = {}): Check<number> {
  const { min = -Infinity, max = Infinity, openMin = false, openMax = false, integer = false, nonFinite = false } = b;
  const what = describeBounds(b);
  return (v, name, op) => {
    let ok = typeof v === 'number' && (nonFinite || Number.isFinite(v)) && (!integer || Number.isSafeInteger(v));
    // NaN (allowed only with nonFinite) is outside every comparison, so bounds do not apply to it.
    if (ok && v === v) ok = (openMin ? (v as number) > min : (v as number) >= min) && (openMax ? (v as number) < max : (v as number) <= max);
    if (!ok) throw badValue(op, name, what, v);
    return v as number;
  };
}

/** An integer within bounds. @internal */
export function int(b: Omit<NumBounds, 'integer' | 'nonFinite'> = {}): Check<number> {
  return num({ ...b, integer: true });
}

/** A finite number. @internal */
export const finite: Check<number> = num();
/** A finite number ≥ 0. @internal */
export const nonNeg: Check<number> = num({ min: 0 });
/** A finite number > 0. @internal */
export const positive: Check<number> = num({ min: 0, openMin: true });
/** An integer ≥ 1. @internal */
export const posInt: Check<number> = int({ min: 1 });
/** An integer ≥ 0. @internal */
export const nonNegInt: Check<number> = int({ min: 0 });
/** A probability in [0, 1] (use `num({ min: 0, max: 1, openMax: true })` for dropout's [0, 1)). @internal */
export const prob: Check<number> = num({ min: 0, max: 1 });

/** One of the given strings. @internal */
export function oneOf<T extends string>(choices: readonly T[]): Check<T> {
  const what = `one of ${choices.map(quote).join(', ')}`;
  return (v, name, op) => {
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
      const hint = typeof v === 'string' ? closest(v, choices) : null;
      throw new ArgumentError(`${op}: ${name} must be ${what}, got ${describe(v)}${hint === null ? '' : ` (did you mean ${quote(hint)}?)`}`);
    }
    return v as T;
  };
}

/** An instance of `cls` (named `label` in the message). @internal */
export function instanceOf<T>(cls: abstract new (...args: never[]) => T, label = cls.name): Check<T> {
  const what = `a ${label}`;
  return (v, name, op) => {
    if (!(v instanceof cls)) throw badValue(op, name, what, v);
    return v as T;
  };
}

/** `null`, or a value passing `check`. @internal */
export function nullable<T>(check: Check<T>): Check<T | null> {
  return (v, name, op) => (v === null ? null : check(v, name, op));
}

/**
 * The first of `checks` that accepts the value; if none does, one error saying what was expected
 * (`what`) rather than the last check's message.
 * @internal
 */
export function anyOf<T>(what: string, ...checks: Check<T>[]): Check<T> {
  return (v, name, op) => {
    for (const c of checks) {
      try {
        return c(v, name, op);
      } catch (e) {
        if (!(e instanceof ArgumentError)) throw e;
      }
    }
    throw badValue(op, name, what, v);
  };
}

/** An array whose every element passes `check` (named `name[i]`), with a length in [min, max]. @internal */
export function arrayOf<T>(check: Check<T>, { min = 0, max = Infinity }: { min?: number; max?: number } = {}): Check<T[]> {
  const len = min === max ? `${min}` : max === Infinity ? (min === 0 ? '' : `at least ${min}`) : `${min} to ${max}`;
  const what = `an array${len ? ` of ${len}` : ''}`;
  return (v, name, op) => {
    if (!Array.isArray(v) || v.length < min || v.length > max) throw badValue(op, name, what, v);
    const out = new Array<T>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = check(v[i], `${name}[${i}]`, op);
    return out;
  };
}

/** A size given as `n` or `[h, w]`, each passing `check`; returned as a pair. @internal */
export function pairOf(check: Check<number>): Check<[number, number]> {
  return (v, name, op) => {
    if (Array.isArray(v)) {
      if (v.length !== 2) throw badValue(op, name, 'a number or a pair [h, w]', v);
      return [check(v[0], `${name}[0]`, op), check(v[1], `${name}[1]`, op)];
    }
    const n = check(v, name, op);
    return [n, n];
  };
}

// ------------------------------------------------------------------------------ wording

function quote(s: string): string {
  return `'${s}'`;
}

/**
 * The known key a user most likely meant: the same key up to case and underscores
 * (`requires_grad` → `requiresGrad`, `keepdims` → `keepDims`), else the nearest one within edit
 * distance 2 (a typo). Null when nothing is close.
 * @internal
 */
export function closest(key: string, known: readonly string[]): string | null {
  const norm = (s: string): string => s.replace(/[_-]/g, '').toLowerCase();
  const nk = norm(key);
  for (const k of known) if (norm(k) === nk) return k;
  let best: string | null = null;
  let bestD = nk.length <= 3 ? 1 : 2;
  for (const k of known) {
    const d = editDistance(nk, norm(k), bestD);
    if (d <= bestD && (best === null || d < bestD)) {
      best = k;
      bestD = d;
    }
  }
  return best;
}

/** Levenshtein distance, giving up (returning limit + 1) once it is past `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (cur[j] < rowMin) rowMin = cur[j];
    }
    if (rowMin > limit) return limit + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}
