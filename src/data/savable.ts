import { ArgumentError, FormatError, ShapeError, TensorkitError, fmtShape } from '../tensor/errors';
import { decodeNumbers, encodeNumbers } from '../tensor/json';
import { bool, parseOptions } from '../tensor/options';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import type { Dtype, TypedData, TypedTensor } from '../tensor/typed';

// The savable convention for the fitted objects that are not Modules (estimators, scalers,
// encoders, the imputer, recommenders): `config()` gives `{ type, options }` that the constructor
// accepts back, `stateDict()` the fitted arrays as tensors by dotted name, `loadStateDict(sd)`
// restores them. Their `toJSON()`/`fromJSON()` are written on top of those two, so a fitted object
// has one state description. Internal helpers, shared by data and models.

/**
 * What `config()` of a savable returns: its class name and the options its constructor accepts
 * back (the shape of nn's `ModuleConfig`).
 */
export interface FittedConfig {
  /** The class name, e.g. `'StandardScaler'`. */
  type: string;
  /** The constructor options (JSON-safe). */
  options: Record<string, unknown>;
}

/** A state entry: a float32 Tensor or a typed tensor (integer ids, float64 statistics). */
export type StateEntry = Tensor | TypedTensor;

/** The state dict of a savable: fitted arrays by dotted name (empty before fit). */
export type SavableState = Record<string, StateEntry>;

/** Options of `loadStateDict` on the savables. */
export interface LoadStateOptions {
  /** Refuse keys the object does not have (default true). Missing keys are always an error. */
  strict?: boolean;
}

/** What `loadStateDict` on a savable reports. */
export interface LoadStateResult {
  /** Always empty: a fitted state is loaded whole or not at all. */
  missingKeys: string[];
  /** Keys of the state dict that the object does not use (only with `strict: false`). */
  unexpectedKeys: string[];
}

/** One tensor in JSON: `shape`, row-major `data` (non-finite numbers as 'NaN', 'Infinity', '-Infinity'), `dtype` when not float32. */
export interface TensorJSON {
  /** Storage type ('F32' when absent). */
  dtype?: Dtype;
  /** Dimensions. */
  shape: number[];
  /** Values, row-major. */
  data: Array<number | string>;
}

/**
 * The JSON form of a savable's `toJSON()`: its `config()` and its `stateDict()` with every tensor
 * as {@link TensorJSON}.
 */
export interface SavableJSON<T extends string = string> {
  /** The class name, as in `config().type`. */
  type: T;
  /** Format version (2: config + state dict). */
  version: 2;
  /** The constructor options, as `config().options`. */
  options: Record<string, unknown>;
  /** The fitted state, as `stateDict()` (empty before fit). */
  state: Record<string, TensorJSON>;
}

const ARRAYS: Partial<Record<Dtype, new (n: number) => TypedData>> = {
  F64: Float64Array, I32: Int32Array, U32: Uint32Array, I16: Int16Array, U16: Uint16Array, I8: Int8Array, U8: Uint8Array,
};

/** A typed tensor of `dtype` over `data`. @internal */
export function typed(dtype: Dtype, data: TypedData, shape: readonly number[]): TypedTensor {
  return { dtype, shape: [...shape], data };
}

/** The JSON of a savable from its config and state dict. @internal */
export function savableToJSON<T extends string>(type: T, options: Record<string, unknown>, sd: SavableState): SavableJSON<T> {
  const state: Record<string, TensorJSON> = {};
  for (const [k, t] of Object.entries(sd)) {
    state[k] = t instanceof Tensor
      ? { shape: [...t.shape], data: encodeNumbers(t.data) }
      : { dtype: t.dtype, shape: [...t.shape], data: encodeNumbers(t.data as ArrayLike<number>) };
  }
  return { type, version: 2, options: JSON.parse(JSON.stringify(options)) as Record<string, unknown>, state };
}

/**
 * Reads {@link SavableJSON}: checks the `type` tag and version, decodes the tensors.
 * @throws FormatError naming `type.fromJSON` and the bad field.
 * @internal
 */
export function savableFromJSON(json: unknown, type: string): { options: Record<string, unknown>; state: SavableState } {
  const op = `${type}.fromJSON`;
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new FormatError(`${op}: expected an object, got ${describe(json)}`);
  const o = json as Record<string, unknown>;
  if (o.type !== type) throw new FormatError(`${op}: expected type '${type}', got ${describe(o.type)}`);
  if (o.version !== 2) throw new FormatError(`${op}: unsupported version ${describe(o.version)} (expected 2)`);
  const options = o.options ?? {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new FormatError(`${op}: options must be an object, got ${describe(options)}`);
  const st = o.state ?? {};
  if (st === null || typeof st !== 'object' || Array.isArray(st)) throw new FormatError(`${op}: state must be an object, got ${describe(st)}`);
  const state: SavableState = {};
  for (const [k, v] of Object.entries(st as Record<string, unknown>)) state[k] = tensorFromJSON(v, `${op}: state.${k}`);
  return { options: options as Record<string, unknown>, state };
}

function tensorFromJSON(v: unknown, where: string): StateEntry {
  if (v === null || typeof v !== 'object') throw new FormatError(`${where} must be { shape, data }, got ${describe(v)}`);
  const { dtype, shape, data } = v as { dtype?: unknown; shape: unknown; data: unknown };
  if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw new FormatError(`${where}.shape must be an array of non-negative integers, got ${describe(shape)}`);
  }
  let n = 1;
  for (const s of shape as number[]) n *= s;
  const values = decodeNumbers(data, `${where}.data`, n);
  if (dtype === undefined || dtype === 'F32') return new Tensor(Float32Array.from(values), shape as number[]);
  const Ctor = ARRAYS[dtype as Dtype];
  if (Ctor === undefined) throw new FormatError(`${where}.dtype must be one of F32, ${Object.keys(ARRAYS).join(', ')}, got ${describe(dtype)}`);
  const out = new Ctor(n) as Float64Array;
  for (let i = 0; i < n; i++) out[i] = values[i];
  return typed(dtype as Dtype, out, shape as number[]);
}

/**
 * Checks a state dict against the keys a fitted object needs (`need`) and may have (`may`): every
 * needed key present (a fitted state loads whole), no other key unless `strict` is false, each a
 * Tensor or typed tensor. An empty state dict means "not fitted".
 * @throws ArgumentError on a non-object or a bad entry; TensorkitError `INVALID_ARGUMENT` listing
 *   missing and (strict) unexpected keys.
 * @internal
 */
export function checkState(op: string, sd: unknown, need: readonly string[], may: readonly string[], options: unknown): LoadStateResult & { empty: boolean } {
  if (sd === null || typeof sd !== 'object' || Array.isArray(sd)) throw new ArgumentError(`${op}: expected an object of name → Tensor, got ${describe(sd)}`);
  const strict = parseOptions(op, options, { strict: bool }).strict ?? true;
  const keys = Object.keys(sd);
  const known = new Set([...need, ...may]);
  const unexpected = keys.filter((k) => !known.has(k));
  const used = keys.filter((k) => known.has(k));
  if (used.length === 0 && (!strict || unexpected.length === 0)) return { missingKeys: [], unexpectedKeys: unexpected, empty: true };
  const missing = need.filter((k) => !(k in sd));
  if (missing.length > 0 || (strict && unexpected.length > 0)) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing keys: ${missing.join(', ')}`);
    if (strict && unexpected.length) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
    throw new TensorkitError('INVALID_ARGUMENT', `${op}: ${parts.join('; ')}${missing.length ? '' : ' (pass { strict: false } to ignore them)'}`);
  }
  for (const k of used) {
    const v = (sd as Record<string, unknown>)[k];
    if (!(v instanceof Tensor) && !isTyped(v)) throw new ArgumentError(`${op}: ${k} must be a Tensor or a typed tensor, got ${describe(v)}`);
  }
  return { missingKeys: [], unexpectedKeys: unexpected, empty: false };
}

function isTyped(v: unknown): v is TypedTensor {
  return v !== null && typeof v === 'object' && typeof (v as TypedTensor).dtype === 'string' && Array.isArray((v as TypedTensor).shape)
    && ArrayBuffer.isView((v as TypedTensor).data);
}

/**
 * The values of state entry `k` as float64 (any storage), checking its shape when `shape` is given
 * (−1 matches any size).
 * @throws ShapeError on a mismatch.
 * @internal
 */
export function stateValues(op: string, sd: SavableState, k: string, shape: readonly number[] | null = null): Float64Array {
  const t = sd[k];
  checkShape(op, k, t.shape, shape);
  const d = t.data as ArrayLike<number>;
  const out = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  return out;
}

/** State entry `k` as a float32 Tensor (a copy), shape checked as {@link stateValues}. @internal */
export function stateTensor(op: string, sd: SavableState, k: string, shape: readonly number[] | null = null): Tensor {
  const t = sd[k];
  checkShape(op, k, t.shape, shape);
  return new Tensor(Float32Array.from(t.data as ArrayLike<number>), [...t.shape]);
}

/** State entry `k` as a 0-d number. @internal */
export function stateScalar(op: string, sd: SavableState, k: string): number {
  return stateValues(op, sd, k, [])[0];
}

/** State entry `k` as int32 values, each an integer in [0, max) when `max` is given. @internal */
export function stateInts(op: string, sd: SavableState, k: string, shape: readonly number[] | null = null, max = Infinity): Int32Array {
  const v = stateValues(op, sd, k, shape);
  const out = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isInteger(x) || x < 0 || x >= max) throw new ArgumentError(`${op}: ${k}[${i}] must be an integer in [0, ${max}), got ${x}`);
    out[i] = x;
  }
  return out;
}

function checkShape(op: string, k: string, got: readonly number[], want: readonly number[] | null): void {
  if (want === null) return;
  if (got.length !== want.length || got.some((d, i) => want[i] !== -1 && d !== want[i])) {
    throw new ShapeError(`${op}: ${k} has shape ${fmtShape(got)}, expected [${want.map((d) => (d === -1 ? 'N' : d)).join(', ')}]`);
  }
}

/** Runs `f`, turning an ArgumentError or TensorkitError from a loaded value into a FormatError. @internal */
export function asFormat<T>(op: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw e instanceof TensorkitError ? new FormatError(`${op}: ${e.message}`) : e;
  }
}

/** `fromJSON` of a savable: `new C(options)` + `loadStateDict(state)`, errors as FormatError. @internal */
export function transformerFromJSON<T extends { loadStateDict(sd: SavableState): unknown }>(
  json: unknown, type: string, make: (options: Record<string, unknown>) => T,
): T {
  const { options, state } = savableFromJSON(json, type);
  return asFormat(`${type}.fromJSON`, () => {
    const t = make(options);
    t.loadStateDict(state);
    return t;
  });
}
