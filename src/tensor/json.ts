import { FormatError } from './errors';
import { describe } from './shape';

// The one convention for numbers in JSON (internal; every toJSON/stateDict/config that writes
// numbers uses it): finite numbers are written as themselves, NaN and ±Inf as the strings 'NaN',
// 'Infinity' and '-Infinity' (JSON has no literal for them, and `null` cannot tell NaN from ±Inf).
// Readers accept exactly those three strings and refuse any other non-number.

/** A number as JSON: itself when finite, else `'NaN'`, `'Infinity'` or `'-Infinity'`. @internal */
export function encodeNumber(v: number): number | string {
  return v - v === 0 ? v : String(v);
}

/** Inverse of {@link encodeNumber}; undefined when `v` is neither a number nor one of the three strings. @internal */
export function decodeNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return undefined;
}

/** Numbers as a JSON array, non-finite ones as strings (see {@link encodeNumber}). @internal */
export function encodeNumbers(a: ArrayLike<number>): Array<number | string> {
  const out = new Array<number | string>(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    out[i] = v - v === 0 ? v : String(v);
  }
  return out;
}

/**
 * Inverse of {@link encodeNumbers}, checking the length when `n` is given.
 * @throws FormatError naming `where` on a non-array, a wrong length or a bad entry.
 * @internal
 */
export function decodeNumbers(v: unknown, where: string, n: number | null = null): number[] {
  if (!Array.isArray(v)) throw new FormatError(`${where} must be an array of numbers, got ${describe(v)}`);
  if (n !== null && v.length !== n) throw new FormatError(`${where} has ${v.length} values, expected ${n}`);
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = decodeNumber(v[i]);
    if (x === undefined) throw new FormatError(`${where}[${i}] must be a number (or 'NaN', 'Infinity', '-Infinity'), got ${describe(v[i])}`);
    out[i] = x;
  }
  return out;
}
