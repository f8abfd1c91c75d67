// Data protection helpers: keyed pseudonymization (HMAC-SHA-256 through WebCrypto, so the same key
// gives the same token in Node 20 and in browsers), masking, generalization (binning, date and
// prefix truncation, top-coding) and k-anonymity / l-diversity checks over quasi-identifiers.
// Browser-safe: no Node built-ins; the only platform API is `globalThis.crypto.subtle`.
import { ArgumentError } from '../tensor/errors';
import {
  arrayOf, badValue, checkArg, closest, finite, isPlainObject, nonNegInt, num, oneOf, parseOptions, posInt, str, type Check,
} from '../tensor/options';
import { describe } from '../tensor/shape';
import type { CsvTable } from './csv';
import { isCryptoKey, subtle } from '../tensor/webcrypto';

// ------------------------------------------------------------------------------ tables

/**
 * One cell of a table given to the data-protection helpers. `null`, `undefined`, `''` and NaN are
 * all "missing" (the conventions of row objects and of {@link parseCsv}'s columns).
 * @category Data
 */
export type TableCell = string | number | boolean | bigint | Date | null | undefined;

/** One column: an array of cells, or a typed array (a numeric column of {@link parseCsv}). @category Data */
export type ColumnLike = readonly TableCell[] | Float32Array | Float64Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/**
 * A table, in one of three shapes: an array of plain row objects whose values are {@link TableCell}s
 * (`[{ zip: '02138', age: 34 }, …]`), a
 * {@link CsvTable} from {@link parseCsv}, or an object of equally long columns
 * (`{ zip: ['02138', …], age: Float32Array [34, …] }`).
 * @category Data
 */
export type TableLike = readonly object[] | CsvTable | Readonly<Record<string, ColumnLike>>;

/** The internal view of a table: row count, column names, and a reader per column. */
interface TableView {
  kind: 'rows' | 'csv' | 'columns';
  n: number;
  names: string[];
  column(name: string): (i: number) => TableCell;
}

function isColumn(v: unknown): v is ColumnLike {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array));
}

function isCsvTable(v: Record<string, unknown>): boolean {
  return typeof v.toTensor === 'function' && typeof v.rows === 'number' && Array.isArray(v.columns) && typeof v.data === 'object' && v.data !== null;
}

const TABLE_WHAT = 'an array of row objects, a CsvTable or an object of equally long columns';

/** Reads the three table shapes into one view (rows are checked to be plain objects). */
function readTable(op: string, table: unknown, arg = 'table'): TableView {
  if (Array.isArray(table)) {
    const names = new Set<string>();
    for (let i = 0; i < table.length; i++) {
      const r = table[i];
      if (!isPlainObject(r)) throw badValue(op, `${arg}[${i}]`, 'a row object', r);
      for (const k of Object.keys(r)) names.add(k);
    }
    const rows = table as Record<string, TableCell>[];
    return { kind: 'rows', n: rows.length, names: [...names], column: (c) => (i) => rows[i][c] };
  }
  if (!isPlainObject(table)) throw badValue(op, arg, TABLE_WHAT, table);
  const csv = isCsvTable(table);
  const cols = (csv ? table.data : table) as Record<string, unknown>;
  const names = csv ? (table.columns as string[]).slice() : Object.keys(cols);
  let n = csv ? (table.rows as number) : -1;
  for (const c of names) {
    const col = Object.hasOwn(cols, c) ? cols[c] : undefined;
    if (!isColumn(col)) throw badValue(op, `${arg}.${csv ? 'data.' : ''}${c}`, 'an array or a typed array', col);
    if (n === -1) n = col.length;
    if (col.length !== n) throw new ArgumentError(`${op}: ${arg}'s columns must be equally long, got ${col.length} values in '${c}' and ${n} in '${names[0]}'`);
  }
  const data = cols as Record<string, ColumnLike>;
  return { kind: csv ? 'csv' : 'columns', n: Math.max(n, 0), names, column: (c) => { const a = data[c]; return (i) => a[i]; } };
}

/** Checks that every listed column exists, with a "did you mean" for a typo. */
function checkColumns(op: string, view: TableView, cols: readonly string[], arg: string): void {
  for (const c of cols) {
    if (view.names.includes(c)) continue;
    const hint = closest(c, view.names);
    const where = view.kind === 'rows' ? 'no row has a column' : 'no column';
    throw new ArgumentError(`${op}: ${arg}: ${where} '${c}'${hint === null ? '' : ` (did you mean '${hint}'?)`}; the columns are ${view.names.join(', ') || '(none)'}`);
  }
}

function isMissing(v: TableCell): boolean {
  return v === null || v === undefined || v === '' || (typeof v === 'number' && v !== v);
}

/** A string that identifies a cell's value and type: equal cells (and only those) give equal keys. */
function cellKey(op: string, v: unknown, where: () => string): string {
  if (v === null || v === undefined || v === '' || (typeof v === 'number' && v !== v)) return 'm';
  switch (typeof v) {
    case 'string': return `s${v}`;
    case 'number': return `n${v}`;
    case 'boolean': return `b${v}`;
    case 'bigint': return `i${v}`;
    default:
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'm' : `d${v.toISOString()}`;
      throw badValue(op, where(), 'a string, number, boolean, bigint, Date, null or undefined', v);
  }
}

// ------------------------------------------------------------------------------ pseudonymization

/**
 * An identifier to pseudonymize: a string (UTF-8 encoded), a finite number (its ECMAScript string
 * form, so `42` and `'42'` give the same token), or raw bytes (hashed as they are). `null`,
 * `undefined`, `''` and NaN are missing and give `''`.
 * @category Data
 */
export type Identifier = string | number | Uint8Array | null | undefined;

/**
 * The secret key of {@link pseudonymize}: at least 16 raw bytes (32 random bytes recommended:
 * `crypto.getRandomValues(new Uint8Array(32))`), or an HMAC SHA-256 `CryptoKey` with the 'sign'
 * usage.
 * @category Data
 */
export type PseudonymKey = Uint8Array | CryptoKey;

/** Options of {@link pseudonymize} and {@link pseudonymizeColumns}. @category Data */
export interface PseudonymizeOptions {
  /** How the 32-byte HMAC is written: 'hex' (64 characters, the default) or 'base64url' (43 characters, no padding). */
  encoding?: 'hex' | 'base64url';
  /**
   * Keep only the first `length` characters (default: all). Each hex character carries 4 bits and
   * each base64url character 6; among n distinct identifiers the chance that two share a token is
   * about 1 − exp(−n² / 2^(b+1)) for b kept bits (16 hex characters, 1e6 identifiers: ≈ 3·10⁻⁸;
   * 8 hex characters, 1e5 identifiers: ≈ 0.7).
   */
  length?: number;
}

/** Fewest raw key bytes {@link pseudonymize} accepts (128 bits). @category Data */
export const MIN_PSEUDONYM_KEY_BYTES = 16;

const FULL_LENGTH = { hex: 64, base64url: 43 } as const;
const HEX = '0123456789abcdef';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
// A lone surrogate has no UTF-8 form (TextEncoder writes U+FFFD), so two different strings would
// share a token; it is refused instead.
const LONE_SURROGATE = /\p{Surrogate}/u;
const CHUNK = 512;

function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i] >> 4] + HEX[b[i] & 15];
  return s;
}

/** RFC 4648 §5 base64url without padding. */
function toBase64url(b: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    s += B64URL[v >> 18] + B64URL[(v >> 12) & 63] + B64URL[(v >> 6) & 63] + B64URL[v & 63];
  }
  if (i + 1 === b.length) {
    const v = b[i] << 16;
    s += B64URL[v >> 18] + B64URL[(v >> 12) & 63];
  } else if (i + 2 === b.length) {
    const v = (b[i] << 16) | (b[i + 1] << 8);
    s += B64URL[v >> 18] + B64URL[(v >> 12) & 63] + B64URL[(v >> 6) & 63];
  }
  return s;
}

async function hmacKey(op: string, key: unknown): Promise<CryptoKey> {
  if (isCryptoKey(key)) {
    const alg = key.algorithm as HmacKeyAlgorithm;
    if (alg.name !== 'HMAC' || alg.hash?.name !== 'SHA-256' || !key.usages.includes('sign') || alg.length < MIN_PSEUDONYM_KEY_BYTES * 8) {
      throw new ArgumentError(`${op}: key must be an HMAC SHA-256 CryptoKey of at least ${MIN_PSEUDONYM_KEY_BYTES * 8} bits with the 'sign' usage, got ${alg.name} ${alg.hash?.name ?? ''} of ${alg.length ?? '?'} bits with usages [${key.usages.join(', ')}]`);
    }
    return key;
  }
  if (!(key instanceof Uint8Array)) throw badValue(op, 'key', `a Uint8Array of at least ${MIN_PSEUDONYM_KEY_BYTES} bytes or an HMAC SHA-256 CryptoKey`, key);
  if (key.length < MIN_PSEUDONYM_KEY_BYTES) throw new ArgumentError(`${op}: key must be at least ${MIN_PSEUDONYM_KEY_BYTES} bytes (128 bits; 32 random bytes recommended), got ${key.length} bytes`);
  return subtle(op).importKey('raw', key as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

const PSEUDONYM_SPEC = { encoding: oneOf(['hex', 'base64url'] as const), length: posInt };

function pseudonymOptions(op: string, options: unknown): { encoding: 'hex' | 'base64url'; length: number } {
  const o = parseOptions(op, options, PSEUDONYM_SPEC);
  const encoding = o.encoding ?? 'hex';
  const full = FULL_LENGTH[encoding];
  const length = o.length ?? full;
  if (length > full) throw badValue(op, 'length', `an integer ≥ 1 and ≤ ${full} for encoding '${encoding}'`, length);
  return { encoding, length };
}

/** The bytes HMAC'd for one identifier, or null for a missing one. */
function messageOf(op: string, v: unknown, name: string): Uint8Array | string | null {
  if (v instanceof Uint8Array) return v;
  if (v === null || v === undefined || v === '' || (typeof v === 'number' && v !== v)) return null;
  if (typeof v === 'string') {
    if (LONE_SURROGATE.test(v)) throw badValue(op, name, 'a well-formed string (it holds a lone UTF-16 surrogate, which has no UTF-8 form)', v);
    return v;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw badValue(op, name, 'a string, a finite number or a Uint8Array', v);
    return String(v);
  }
  throw badValue(op, name, 'a string, a finite number or a Uint8Array', v);
}

/**
 * The tokens of identifiers under a key: HMAC-SHA-256, encoded and truncated. Strings and numbers
 * are memoized (a repeated identifier is signed once); bytes are not.
 */
async function tokens(op: string, key: CryptoKey, messages: readonly (Uint8Array | string | null)[], encoding: 'hex' | 'base64url', length: number): Promise<(string | null)[]> {
  const s = subtle(op);
  const enc = new TextEncoder();
  const out = new Array<string | null>(messages.length).fill(null);
  const memo = new Map<string, string>();
  const todo: number[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (m === null) continue;
    if (typeof m === 'string') {
      if (seen.has(m)) continue;
      seen.add(m);
    }
    todo.push(i);
  }
  for (let c = 0; c < todo.length; c += CHUNK) {
    const part = todo.slice(c, c + CHUNK);
    const macs = await Promise.all(part.map((i) => {
      const m = messages[i] as Uint8Array | string;
      return s.sign('HMAC', key, (typeof m === 'string' ? enc.encode(m) : m) as Uint8Array<ArrayBuffer>);
    }));
    for (let j = 0; j < part.length; j++) {
      const bytes = new Uint8Array(macs[j]);
      const t = (encoding === 'hex' ? toHex(bytes) : toBase64url(bytes)).slice(0, length);
      const m = messages[part[j]] as Uint8Array | string;
      if (typeof m === 'string') memo.set(m, t);
      else out[part[j]] = t;
    }
  }
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (typeof m === 'string') out[i] = memo.get(m) as string;
  }
  return out;
}

/**
 * Keyed pseudonymization: each identifier becomes token = encode(HMAC-SHA-256(key, bytes)), the
 * bytes being the UTF-8 of a string, the ECMAScript string form of a number (`42` → '42', so a
 * numeric and a text column of the same ids agree), or raw bytes as given (the raw form: RFC 4231's
 * test vectors hold). The same key gives the same token for the same identifier everywhere (Node,
 * browsers, every run), so pseudonymized tables can still be joined; without the key a token
 * cannot be recomputed from a guessed identifier, and tokens under different keys are unlinkable.
 * Missing values (`null`, `undefined`, `''`, NaN) give `''` rather than one shared token.
 * This is pseudonymization, not anonymization: whoever holds the key can re-identify by
 * recomputing tokens, and the other columns may identify a person without the id.
 * Shapes: values (N) → tokens (N).
 * @example
 * const key = crypto.getRandomValues(new Uint8Array(32)); // keep it secret, keep it stable
 * const ids = await pseudonymize(['alice', 'bob', 'alice', 42, '42', null], key, { length: 16 });
 * ids[0] === ids[2] && ids[3] === ids[4]; // true
 * ids[0] === ids[1]; // false
 * ids[0].length; // 16
 * ids[5]; // ''
 * @throws ArgumentError (as a rejected promise) for a key shorter than 16 bytes or of the wrong
 * kind, values that are not an array, an identifier that is not a string, finite number or
 * Uint8Array (or holds a lone surrogate), an unknown option, or a `length` beyond the encoding's
 * full length; also when WebCrypto is missing.
 * @see https://www.rfc-editor.org/rfc/rfc2104 (HMAC) and https://www.rfc-editor.org/rfc/rfc4231 (its SHA-256 test vectors)
 * @category Data
 */
export async function pseudonymize(values: readonly Identifier[] | ArrayLike<number>, key: PseudonymKey, options: PseudonymizeOptions = {}): Promise<string[]> {
  const op = 'pseudonymize';
  // A Uint8Array here would be a column of byte-sized numbers, not one raw identifier: refused as ambiguous.
  if (!isColumn(values) || values instanceof Uint8Array) throw badValue(op, 'values', 'an array of identifiers (strings, numbers, Uint8Arrays) or a numeric typed array', values);
  const { encoding, length } = pseudonymOptions(op, options);
  const messages = new Array<Uint8Array | string | null>(values.length);
  for (let i = 0; i < values.length; i++) messages[i] = messageOf(op, (values as ArrayLike<unknown>)[i], `values[${i}]`);
  const k = await hmacKey(op, key);
  return (await tokens(op, k, messages, encoding, length)).map((t) => t ?? '');
}

/**
 * {@link pseudonymize} applied to the identifier columns of a table, which comes back in the shape
 * it was given with those columns replaced by tokens and every other column untouched (the same
 * arrays, not copies): an array of row objects gives new row objects (a missing identifier cell
 * stays as it was); a {@link CsvTable} gives a new CsvTable whose pseudonymized columns are string
 * columns (NaN → `''`), leave `numericColumns`, and are refused by `toTensor`; an object of columns
 * gives a new object of columns.
 * @example
 * const key = crypto.getRandomValues(new Uint8Array(32));
 * const t = parseCsv('patient_id,age\n017,34\n022,51\n', { stringColumns: ['patient_id'] });
 * const safe = await pseudonymizeColumns(t, ['patient_id'], key, { encoding: 'base64url' });
 * safe.data.patient_id[0].length; // 43
 * safe.numericColumns; // ['age']
 * safe.toTensor(['age']).tolist(); // [[34], [51]]
 * const rows = await pseudonymizeColumns([{ id: 'A1', dx: 'flu' }], ['id'], key);
 * rows[0].dx; // 'flu'
 * @throws ArgumentError (as a rejected promise) for a table of another shape, a column that does
 * not exist (with a "did you mean"), a cell that is not an identifier, and every error of
 * {@link pseudonymize}.
 * @category Data
 */
export async function pseudonymizeColumns<T extends TableLike>(table: T, columns: readonly string[], key: PseudonymKey, options: PseudonymizeOptions = {}): Promise<T> {
  const op = 'pseudonymizeColumns';
  const view = readTable(op, table);
  const cols = checkArg(op, 'columns', columns, arrayOf(str, { min: 1 }));
  checkColumns(op, view, cols, 'columns');
  const { encoding, length } = pseudonymOptions(op, options);
  const messages = cols.map((c) => {
    const read = view.column(c);
    const m = new Array<Uint8Array | string | null>(view.n);
    for (let i = 0; i < view.n; i++) m[i] = messageOf(op, read(i), view.kind === 'rows' ? `table[${i}].${c}` : `${c}[${i}]`);
    return m;
  });
  const k = await hmacKey(op, key);
  const replaced = new Map<string, (string | null)[]>();
  for (let j = 0; j < cols.length; j++) replaced.set(cols[j], await tokens(op, k, messages[j], encoding, length));
  if (view.kind === 'rows') {
    return (table as readonly Record<string, TableCell>[]).map((row, i) => {
      const r: Record<string, TableCell> = { ...row };
      for (const [c, t] of replaced) if (t[i] !== null) r[c] = t[i];
      return r;
    }) as unknown as T;
  }
  const asStrings = (t: (string | null)[]): string[] => t.map((s) => s ?? '');
  if (view.kind === 'columns') {
    const out: Record<string, ColumnLike> = { ...(table as Record<string, ColumnLike>) };
    for (const [c, t] of replaced) out[c] = asStrings(t);
    return out as unknown as T;
  }
  const csv = table as CsvTable;
  const data: Record<string, Float32Array | string[]> = Object.create(null);
  for (const c of csv.columns) data[c] = replaced.has(c) ? asStrings(replaced.get(c) as (string | null)[]) : csv.data[c];
  const out: CsvTable = {
    columns: csv.columns.slice(),
    rows: csv.rows,
    data,
    numericColumns: csv.numericColumns.filter((c) => !replaced.has(c)),
    toTensor: (sel?: readonly string[]) => {
      for (const c of sel ?? csv.columns) {
        if (replaced.has(c)) throw new ArgumentError(`parseCsv.toTensor: column ${JSON.stringify(c)} is not numeric (it holds pseudonym tokens); leave it out`);
      }
      return csv.toTensor(sel);
    },
  };
  return out as unknown as T;
}

// ------------------------------------------------------------------------------ masking

/** Options of {@link maskString}. @category Data */
export interface MaskOptions {
  /** Characters left in clear at the start (default 0). */
  keepFirst?: number;
  /** Characters left in clear at the end (default 0). */
  keepLast?: number;
  /** The masking character, one code point (default '*'). */
  char?: string;
  /** Characters left in place and not counted, e.g. ' -' for card and phone numbers, '@.' for emails (default none). */
  preserve?: string;
}

const oneChar: Check<string> = (v, name, op) => {
  if (typeof v !== 'string' || Array.from(v).length !== 1) throw badValue(op, name, 'one character', v);
  return v;
};

const MASK_SPEC = { keepFirst: nonNegInt, keepLast: nonNegInt, char: oneChar, preserve: str };

function maskOne(s: string, keepFirst: number, keepLast: number, char: string, preserve: ReadonlySet<string>): string {
  const cps = Array.from(s);
  let n = 0;
  for (const c of cps) if (!preserve.has(c)) n++;
  // A value no longer than what is kept would come back in clear: mask it whole instead.
  const first = keepFirst + keepLast >= n ? 0 : keepFirst;
  const last = keepFirst + keepLast >= n ? 0 : keepLast;
  let out = '';
  let j = 0;
  for (const c of cps) {
    if (preserve.has(c)) {
      out += c;
      continue;
    }
    out += j < first || j >= n - last ? c : char;
    j++;
  }
  return out;
}

/**
 * Masks a string: every character except the first `keepFirst` and the last `keepLast` becomes
 * `char`, characters in `preserve` stay in place and are not counted. Characters are Unicode code
 * points (an emoji is one; a letter with a combining accent is two). A string with no more
 * maskable characters than `keepFirst + keepLast` is masked whole, so a short value never comes
 * back in clear. The length and the preserved characters still show.
 * Shapes: a string → a string; values (N) → (N), missing (`null`, `undefined`) → `''`.
 * @example
 * maskString('4111 1111 1111 1234', { keepLast: 4, preserve: ' ' }); // '**** **** **** 1234'
 * maskString('alice@example.com', { keepFirst: 1, preserve: '@.' }); // 'a****@*******.***'
 * maskString('+44 20 7946 0958', { keepFirst: 3, keepLast: 2, char: '•', preserve: ' ' }); // '+44 •• •••• ••58'
 * maskString('ab', { keepFirst: 1, keepLast: 1 }); // '**'
 * maskString(['Zoë', 'José'], { keepFirst: 1 }); // ['Z**', 'J***']
 * @throws ArgumentError for a value that is not a string (or an array of strings), or a bad option.
 * @category Data
 */
export function maskString(value: string, options?: MaskOptions): string;
export function maskString(value: readonly (string | null | undefined)[], options?: MaskOptions): string[];
export function maskString(value: string | readonly (string | null | undefined)[], options: MaskOptions = {}): string | string[] {
  const op = 'maskString';
  const o = { keepFirst: 0, keepLast: 0, char: '*', preserve: '', ...parseOptions(op, options, MASK_SPEC) };
  const preserve = new Set(Array.from(o.preserve));
  if (preserve.has(o.char)) throw new ArgumentError(`${op}: char ${describe(o.char)} must not be among the preserved characters ${describe(o.preserve)}`);
  if (typeof value === 'string') return maskOne(value, o.keepFirst, o.keepLast, o.char, preserve);
  const vs = stringValues(op, value, 'value', 'a string or an array of strings');
  return vs.map((s) => maskOne(s, o.keepFirst, o.keepLast, o.char, preserve));
}

/** An array of strings (null and undefined read as ''); numbers are refused with a hint. */
function stringValues(op: string, values: unknown, name = 'values', what = 'an array of strings'): string[] {
  if (!Array.isArray(values)) throw badValue(op, name, what, values);
  return values.map((v, i) => {
    if (v === null || v === undefined) return '';
    if (typeof v !== 'string') {
      const hint = typeof v === 'number' ? ' (read such columns as text, e.g. parseCsv\'s stringColumns, so leading zeros survive)' : '';
      throw new ArgumentError(`${op}: ${name}[${i}] must be a string${hint}, got ${describe(v)}`);
    }
    return v;
  });
}

/** Options of {@link truncateString}. @category Data */
export interface TruncateStringOptions {
  /** Characters (code points) kept from the start. Required. */
  keep?: number;
  /** If given, each removed character becomes this one, so the length is kept ('02138' → '021**'); default: removed. */
  fill?: string;
}

/**
 * Prefix generalization of strings such as postcodes: keeps the first `keep` code points and drops
 * the rest, or replaces each with `fill`. Missing values stay `''`.
 * Shapes: values (N) → (N).
 * @example
 * truncateString(['02138', '02139', 'SW1A 1AA'], { keep: 3 }); // ['021', '021', 'SW1']
 * truncateString(['02138', '', '9'], { keep: 3, fill: '*' }); // ['021**', '', '9']
 * @throws ArgumentError for values that are not an array of strings (a number gets a hint about
 * leading zeros), a missing or negative `keep`, or a `fill` that is not one character.
 * @category Data
 */
export function truncateString(values: readonly (string | null | undefined)[], options: TruncateStringOptions): string[] {
  const op = 'truncateString';
  const vs = stringValues(op, values);
  const o = parseOptions(op, options, { keep: nonNegInt, fill: oneChar });
  if (o.keep === undefined) throw new ArgumentError(`${op}: options.keep (the number of characters kept) must be given`);
  const keep = o.keep, fill = o.fill;
  return vs.map((s) => {
    const cps = Array.from(s);
    if (cps.length <= keep) return s;
    const head = cps.slice(0, keep).join('');
    return fill === undefined ? head : head + fill.repeat(cps.length - keep);
  });
}

// ------------------------------------------------------------------------------ generalization

/** Options of {@link generalize}: exactly one of `width` and `bins`. @category Data */
export interface GeneralizeOptions {
  /** Equal bins of this width: [origin + k·width, origin + (k+1)·width). */
  width?: number;
  /** Where the width bins start (default 0). */
  origin?: number;
  /** Ascending edges e₀ < e₁ < … of explicit bins [eᵢ, eᵢ₊₁); below e₀ is `<e₀`, from the last edge up is `e+`. */
  bins?: readonly number[];
  /** Top-coding with `width`: values ≥ top become the one label `top+`. */
  top?: number;
  /** Bottom-coding with `width`: values < bottom become the one label `<bottom`. */
  bottom?: number;
}

/** Rounds an edge computed as origin + k·width to 12 significant digits (0.1·3 → 0.3, not 0.30000000000000004). */
function edge(origin: number, width: number, k: number): number {
  return Number((origin + k * width).toPrecision(12));
}

/**
 * Generalizes numbers into range labels. With `width`, bin k holds origin + k·width ≤ v <
 * origin + (k+1)·width; with `bins`, the edges are given. When every edge is an integer a bin
 * [lo, hi) is labelled `lo–hi−1` (`30–39`; `30` when it holds one integer), otherwise `[lo, hi)`.
 * `top` and `bottom` (with `width`) and the outer edges (with `bins`) code the tails as `top+` and
 * `<bottom`; the bins next to them are clipped to fit. NaN (missing) gives `''`. The labels are
 * strings, ready for {@link kAnonymity}.
 * Shapes: values (N) → (N).
 * @example
 * generalize([34, 30, 39, 40, 7], { width: 10 }); // ['30–39', '30–39', '30–39', '40–49', '0–9']
 * generalize([17, 18, 64, 65, 90], { bins: [18, 65] }); // ['<18', '18–64', '18–64', '65+', '65+']
 * generalize([85, 92, 45], { width: 10, top: 90 }); // ['80–89', '90+', '40–49']
 * generalize([0.25, 0.3], { width: 0.1 }); // ['[0.2, 0.3)', '[0.3, 0.4)']
 * generalize([NaN, 5], { width: 5, origin: 1 }); // ['', '1–5']
 * @throws ArgumentError for values that are not an array of numbers (or a typed array), neither or
 * both of `width` and `bins`, edges that do not ascend, `top` ≤ `bottom`, or ±Inf without a tail
 * label to take it.
 * @category Data
 */
export function generalize(values: readonly number[] | ArrayLike<number>, options: GeneralizeOptions): string[] {
  const op = 'generalize';
  const vs = numberValues(op, values);
  const o = parseOptions(op, options, {
    width: num({ min: 0, openMin: true }), origin: finite, bins: arrayOf(finite, { min: 1 }), top: finite, bottom: finite,
  });
  if ((o.width === undefined) === (o.bins === undefined)) throw new ArgumentError(`${op}: give exactly one of options.width and options.bins`);
  const label = (lo: number, hi: number, integer: boolean): string => {
    if (lo === -Infinity) return `<${hi}`;
    if (hi === Infinity) return `${lo}+`;
    if (!integer) return `[${lo}, ${hi})`;
    return hi - 1 === lo ? `${lo}` : `${lo}–${hi - 1}`;
  };
  const out = new Array<string>(vs.length);
  if (o.bins !== undefined) {
    if (o.top !== undefined || o.bottom !== undefined || o.origin !== undefined) throw new ArgumentError(`${op}: options.top, bottom and origin go with width; with bins the outer edges code the tails`);
    const e = o.bins;
    for (let i = 1; i < e.length; i++) if (!(e[i] > e[i - 1])) throw badValue(op, 'bins', 'strictly ascending edges', e);
    const integer = e.every(Number.isInteger);
    for (let i = 0; i < vs.length; i++) {
      const v = vs[i];
      if (v !== v) { out[i] = ''; continue; }
      // The number of edges ≤ v: 0 → below e₀, e.length → from the last edge up.
      let lo = 0, hi = e.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (e[mid] <= v) lo = mid + 1;
        else hi = mid;
      }
      out[i] = label(lo === 0 ? -Infinity : e[lo - 1], lo === e.length ? Infinity : e[lo], integer);
    }
    return out;
  }
  const width = o.width as number, origin = o.origin ?? 0;
  const top = o.top ?? Infinity, bottom = o.bottom ?? -Infinity;
  if (!(top > bottom)) throw new ArgumentError(`${op}: options.top (${top}) must be greater than options.bottom (${bottom})`);
  const integer = Number.isInteger(width) && Number.isInteger(origin) && (o.top === undefined || Number.isInteger(top)) && (o.bottom === undefined || Number.isInteger(bottom));
  for (let i = 0; i < vs.length; i++) {
    const v = vs[i];
    if (v !== v) { out[i] = ''; continue; }
    if (o.top !== undefined && v >= top) { out[i] = `${top}+`; continue; }
    if (o.bottom !== undefined && v < bottom) { out[i] = `<${bottom}`; continue; }
    if (!Number.isFinite(v)) throw new ArgumentError(`${op}: values[${i}] is ${v}; give options.top or bottom to label the tails`);
    let k = Math.floor((v - origin) / width);
    if (!Number.isSafeInteger(k)) throw new ArgumentError(`${op}: values[${i}] = ${v} is too far from origin ${origin} for bins of width ${width}`);
    // The division can land one bin off near an edge (0.3 / 0.1 = 2.9999999999999996).
    for (let step = 0; step < 4 && edge(origin, width, k) > v; step++) k--;
    for (let step = 0; step < 4 && edge(origin, width, k + 1) <= v; step++) k++;
    out[i] = label(Math.max(edge(origin, width, k), bottom), Math.min(edge(origin, width, k + 1), top), integer);
  }
  return out;
}

/** An array or typed array of numbers (NaN allowed), as a plain array. */
function numberValues(op: string, values: unknown): number[] {
  if (!isColumn(values)) throw badValue(op, 'values', 'an array of numbers or a typed array', values);
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = (values as ArrayLike<unknown>)[i];
    if (typeof v !== 'number') throw badValue(op, `values[${i}]`, 'a number', v);
    out[i] = v;
  }
  return out;
}

/** Options of {@link topCode}: at least one of `top` and `bottom`. @category Data */
export interface TopCodeOptions {
  /** Values above it become it. */
  top?: number;
  /** Values below it become it. */
  bottom?: number;
}

/**
 * Top- and bottom-coding of numbers: values above `top` become `top`, values below `bottom` become
 * `bottom` (an income of 2,000,000 is published as 250,000), so rare extreme values no longer
 * single anyone out while the column stays numeric. NaN stays NaN.
 * Shapes: values (N) → (N).
 * @example
 * topCode([12, 250, 97, NaN], { top: 90 }); // [12, 90, 90, NaN]
 * topCode([3, 17, 40], { bottom: 16, top: 35 }); // [16, 17, 35]
 * @throws ArgumentError for values that are not numbers, neither bound given, or `top` < `bottom`.
 * @category Data
 */
export function topCode(values: readonly number[] | ArrayLike<number>, options: TopCodeOptions): number[] {
  const op = 'topCode';
  const vs = numberValues(op, values);
  const o = parseOptions(op, options, { top: finite, bottom: finite });
  if (o.top === undefined && o.bottom === undefined) throw new ArgumentError(`${op}: give options.top, options.bottom or both`);
  const top = o.top ?? Infinity, bottom = o.bottom ?? -Infinity;
  if (top < bottom) throw new ArgumentError(`${op}: options.top (${top}) must not be below options.bottom (${bottom})`);
  return vs.map((v) => (v > top ? top : v < bottom ? bottom : v));
}

/** Options of {@link truncateDate}. @category Data */
export interface TruncateDateOptions {
  /** What is kept: 'year' ('1985', the default), 'month' ('1985-07') or 'day' ('1985-07-23'). */
  to?: 'year' | 'month' | 'day';
}

const ISO_DATE = /^([+-]?\d{4,6})(?:-(\d{2})(?:-(\d{2}))?)?(?=$|[T ])/;

/**
 * Truncates dates to the year, month or day, as ISO 8601 strings ('1985', '1985-07',
 * '1985-07-23'). A Date or a number (milliseconds since the epoch) is read in UTC; a string must
 * start with an ISO date (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, a time may follow) and is cut as written,
 * without time-zone conversion. Missing values (`null`, `undefined`, `''`, NaN, an invalid Date)
 * give `''`.
 * Shapes: values (N) → (N).
 * @example
 * truncateDate(['1985-07-23', '1990-01-05T10:00:00Z', ''], { to: 'month' }); // ['1985-07', '1990-01', '']
 * truncateDate([new Date(Date.UTC(1985, 6, 23))]); // ['1985']
 * truncateDate([0], { to: 'day' }); // ['1970-01-01']
 * @throws ArgumentError for values that are not an array, a string that does not start with an ISO
 * date or lacks the part asked for ('1985' to 'month'), a month or day out of range, or an unknown `to`.
 * @category Data
 */
export function truncateDate(values: readonly (Date | string | number | null | undefined)[], options: TruncateDateOptions = {}): string[] {
  const op = 'truncateDate';
  if (!Array.isArray(values)) throw badValue(op, 'values', 'an array of Dates, ISO date strings or epoch milliseconds', values);
  const to = parseOptions(op, options, { to: oneOf(['year', 'month', 'day'] as const) }).to ?? 'year';
  const parts = to === 'year' ? 1 : to === 'month' ? 2 : 3;
  const pad = (x: number, w: number): string => (x < 0 ? '-' + String(-x).padStart(w, '0') : String(x).padStart(w, '0'));
  return values.map((v: unknown, i) => {
    if (v === null || v === undefined || v === '' || (typeof v === 'number' && v !== v)) return '';
    let d: Date | null = null;
    if (typeof v === 'number') d = new Date(v);
    else if (v instanceof Date) d = v;
    if (d !== null) {
      if (Number.isNaN(d.getTime())) {
        if (typeof v === 'number') throw badValue(op, `values[${i}]`, 'a date (milliseconds within ±8.64e15)', v);
        return '';
      }
      const f = [pad(d.getUTCFullYear(), 4), pad(d.getUTCMonth() + 1, 2), pad(d.getUTCDate(), 2)];
      return f.slice(0, parts).join('-');
    }
    if (typeof v !== 'string') throw badValue(op, `values[${i}]`, 'a Date, an ISO date string or epoch milliseconds', v);
    const m = ISO_DATE.exec(v.trim());
    const what = `an ISO date string with at least ${['a year (YYYY)', 'a month (YYYY-MM)', 'a day (YYYY-MM-DD)'][parts - 1]}`;
    if (m === null || (parts >= 2 && m[2] === undefined) || (parts === 3 && m[3] === undefined)) throw badValue(op, `values[${i}]`, what, v);
    if (m[2] !== undefined && (+m[2] < 1 || +m[2] > 12)) throw badValue(op, `values[${i}]`, 'a date with a month 01–12', v);
    if (m[3] !== undefined && (+m[3] < 1 || +m[3] > 31)) throw badValue(op, `values[${i}]`, 'a date with a day 01–31', v);
    return [m[1], m[2], m[3]].slice(0, parts).join('-');
  });
}

// ------------------------------------------------------------------------------ k-anonymity

/** One equivalence class: rows that agree on every quasi-identifier. @category Data */
export interface EquivalenceClass {
  /** The quasi-identifier values the rows share (a missing value as null). */
  values: Record<string, TableCell>;
  /** How many rows hold them. */
  size: number;
  /** The rows' indices, ascending. */
  rows: number[];
}

/** The result of {@link kAnonymity}. @category Data */
export interface KAnonymityResult {
  /** The size of the smallest equivalence class: the table is k-anonymous for every k up to this. */
  k: number;
  /** The number of equivalence classes. */
  classes: number;
  /** The classes smaller than the `k` asked for, smallest first (ties in order of first row). */
  violating: EquivalenceClass[];
}

/** Options of {@link kAnonymity}. @category Data */
export interface KAnonymityOptions {
  /** The k aimed at: classes smaller than it are listed in `violating` (default 2: the rows unique on their quasi-identifiers). */
  k?: number;
}

interface Grouping {
  view: TableView;
  qi: string[];
  keys: string[];
  groups: Map<string, number[]>;
}

function group(op: string, table: unknown, quasiIdentifiers: unknown): Grouping {
  const view = readTable(op, table, 'rows');
  const qi = checkArg(op, 'quasiIdentifiers', quasiIdentifiers, arrayOf(str, { min: 1 }));
  checkColumns(op, view, qi, 'quasiIdentifiers');
  if (view.n === 0) throw new ArgumentError(`${op}: rows must hold at least one row`);
  const readers = qi.map((c) => view.column(c));
  const keys = new Array<string>(view.n);
  const groups = new Map<string, number[]>();
  const parts = new Array<string>(qi.length);
  for (let i = 0; i < view.n; i++) {
    for (let j = 0; j < qi.length; j++) parts[j] = cellKey(op, readers[j](i), () => (view.kind === 'rows' ? `rows[${i}].${qi[j]}` : `${qi[j]}[${i}]`));
    const key = JSON.stringify(parts);
    keys[i] = key;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [i]);
    else g.push(i);
  }
  return { view, qi, keys, groups };
}

function classOf(g: Grouping, rows: number[]): EquivalenceClass {
  const values: Record<string, TableCell> = {};
  for (const c of g.qi) {
    const v = g.view.column(c)(rows[0]);
    values[c] = isMissing(v) ? null : v;
  }
  return { values, size: rows.length, rows };
}

/**
 * k-anonymity over quasi-identifiers (Sweeney 2002): rows that agree on every quasi-identifier
 * (age band, postcode prefix, sex, …) form an equivalence class, and a table is k-anonymous when
 * every class holds at least k rows, so no row can be told apart from k − 1 others by those
 * columns. Returns the smallest class size `k`, the number of classes, and the classes smaller
 * than the `k` asked for. Values compare by type and value (`42` and `'42'` differ); every missing
 * value (`null`, `undefined`, `''`, NaN) is one value of its own. It does not stop attribute
 * disclosure: a class whose rows share a sensitive value reveals it (see {@link lDiversity}).
 * Shapes: rows (N) → classes ≤ N.
 * @example
 * const t = [{ age: '30–39', zip: '021' }, { age: '30–39', zip: '021' }, { age: '40–49', zip: '021' }];
 * kAnonymity(t, ['age', 'zip']).k; // 1
 * kAnonymity(t, ['zip']).k; // 3
 * kAnonymity(t, ['age', 'zip']).violating; // [{ values: { age: '40–49', zip: '021' }, size: 1, rows: [2] }]
 * @throws ArgumentError for a table of another shape, no rows, a quasi-identifier that is not a
 * column (with a "did you mean"), a cell that is an object or array, or a bad `k`.
 * @see https://doi.org/10.1142/S0218488502001648 (Sweeney, k-anonymity: a model for protecting privacy)
 * @category Data
 */
export function kAnonymity(rows: TableLike, quasiIdentifiers: readonly string[], options: KAnonymityOptions = {}): KAnonymityResult {
  const op = 'kAnonymity';
  const g = group(op, rows, quasiIdentifiers);
  const target = parseOptions(op, options, { k: posInt }).k ?? 2;
  let k = Infinity;
  const small: number[][] = [];
  for (const r of g.groups.values()) {
    if (r.length < k) k = r.length;
    if (r.length < target) small.push(r);
  }
  small.sort((a, b) => a.length - b.length || a[0] - b[0]);
  return { k, classes: g.groups.size, violating: small.map((r) => classOf(g, r)) };
}

/**
 * Whether every equivalence class over the quasi-identifiers holds at least `k` rows (see
 * {@link kAnonymity}).
 * @example
 * isKAnonymous([{ zip: '021' }, { zip: '021' }, { zip: '100' }], ['zip'], 2); // false
 * isKAnonymous([{ zip: '021' }, { zip: '021' }], ['zip'], 2); // true
 * @throws ArgumentError as {@link kAnonymity}, and for a `k` that is not an integer ≥ 1.
 * @category Data
 */
export function isKAnonymous(rows: TableLike, quasiIdentifiers: readonly string[], k: number): boolean {
  const op = 'isKAnonymous';
  const g = group(op, rows, quasiIdentifiers);
  const want = checkArg(op, 'k', k, posInt);
  for (const r of g.groups.values()) if (r.length < want) return false;
  return true;
}

/** One equivalence class of {@link lDiversity}, with its sensitive values. @category Data */
export interface DiverseClass extends EquivalenceClass {
  /** The number of distinct sensitive values in the class. */
  distinct: number;
}

/** The result of {@link lDiversity}. @category Data */
export interface LDiversityResult {
  /** Distinct l-diversity: the fewest distinct sensitive values in a class. */
  l: number;
  /** Entropy l-diversity: the smallest exp(H) over classes, H = −Σ p·ln p of the class's sensitive values (≤ `l`). */
  entropyL: number;
  /** The number of equivalence classes. */
  classes: number;
  /** The classes with fewer distinct sensitive values than the `l` asked for, fewest first (ties in order of first row). */
  violating: DiverseClass[];
}

/** Options of {@link lDiversity}. @category Data */
export interface LDiversityOptions {
  /** The l aimed at: classes with fewer distinct sensitive values are listed in `violating` (default 2). */
  l?: number;
}

/**
 * l-diversity (Machanavajjhala et al. 2007) of a sensitive column over the equivalence classes of
 * the quasi-identifiers: `l` is the fewest distinct sensitive values in a class (distinct
 * l-diversity) and `entropyL` the smallest exp(entropy) (entropy l-diversity; a class of two values
 * split 50/50 gives 2, split 90/10 about 1.38). A class with one sensitive value (l = 1) discloses
 * it to whoever can place a person in the class, however large the class. Missing sensitive values
 * count as one value. It still does not stop skewness or similarity attacks (values that differ
 * but say the same thing).
 * Shapes: rows (N) → classes ≤ N.
 * @example
 * const t = [{ zip: '021', dx: 'flu' }, { zip: '021', dx: 'flu' }, { zip: '100', dx: 'flu' }, { zip: '100', dx: 'hiv' }];
 * lDiversity(t, ['zip'], 'dx').l; // 1
 * lDiversity(t, ['zip'], 'dx').entropyL; // 1
 * lDiversity(t, ['zip'], 'dx').violating[0].values; // { zip: '021' }
 * @throws ArgumentError as {@link kAnonymity}, for a sensitive column that is missing or is also a
 * quasi-identifier, or a bad `l`.
 * @see https://doi.org/10.1145/1217299.1217302 (Machanavajjhala et al., l-diversity: privacy beyond k-anonymity)
 * @category Data
 */
export function lDiversity(rows: TableLike, quasiIdentifiers: readonly string[], sensitive: string, options: LDiversityOptions = {}): LDiversityResult {
  const op = 'lDiversity';
  const g = group(op, rows, quasiIdentifiers);
  const s = checkArg(op, 'sensitive', sensitive, str);
  checkColumns(op, g.view, [s], 'sensitive');
  if (g.qi.includes(s)) throw new ArgumentError(`${op}: sensitive column '${s}' is also a quasi-identifier`);
  const target = parseOptions(op, options, { l: posInt }).l ?? 2;
  const read = g.view.column(s);
  let l = Infinity, entropyL = Infinity;
  const small: { rows: number[]; distinct: number }[] = [];
  for (const r of g.groups.values()) {
    const counts = new Map<string, number>();
    for (const i of r) {
      const key = cellKey(op, read(i), () => (g.view.kind === 'rows' ? `rows[${i}].${s}` : `${s}[${i}]`));
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    let h = 0;
    for (const c of counts.values()) {
      const p = c / r.length;
      h -= p * Math.log(p);
    }
    // A uniform split of m values has exp(H) = m exactly, but exp(ln m) can come back an ulp off.
    let e = Math.exp(h);
    if (Math.abs(e - Math.round(e)) < 1e-9 * e) e = Math.round(e);
    if (counts.size < l) l = counts.size;
    if (e < entropyL) entropyL = e;
    if (counts.size < target) small.push({ rows: r, distinct: counts.size });
  }
  small.sort((a, b) => a.distinct - b.distinct || a.rows[0] - b.rows[0]);
  return { l, entropyL, classes: g.groups.size, violating: small.map(({ rows: r, distinct }) => ({ ...classOf(g, r), distinct })) };
}
