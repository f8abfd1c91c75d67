import { ArgumentError, FormatError } from '../tensor/errors';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { bool, parseOptions, type Check } from '../tensor/options';

/** Checked after parsing by the code that uses it (it names the option in its own message). */
const later: Check<unknown> = (v) => v;

/** Options of {@link parseCsv}. */
export interface CsvOptions {
  /** The first record holds the column names (default true). */
  header?: boolean;
  /** The field separator, one character other than a quote or a line break (default ','; '\t' for TSV). */
  delimiter?: string;
  /** Keep only these columns, in this order, by name or by 0-based position (default: all). */
  columns?: readonly (string | number)[];
  /** Column names to use instead of the header row (with `header: false`, instead of '0', '1', …). */
  names?: readonly string[];
  /** Field values (compared after trimming spaces) that mean "missing" (default ['', 'NA', 'NaN', 'null']). */
  missing?: readonly string[];
  /** Columns to keep as strings even when every value looks numeric (zip codes, identifiers). */
  stringColumns?: readonly string[];
}

/**
 * A parsed CSV table, column by column. A numeric column (every non-missing value a number) is a
 * Float32Array with NaN for missing values; any other column is a string[] with '' for missing
 * values.
 */
export interface CsvTable {
  /** Column names, in file order (or in the order of the `columns` option). */
  columns: string[];
  /** Number of data records (the header not counted). */
  rows: number;
  /** The values of each column by name: Float32Array (numeric) or string[]. */
  data: Record<string, Float32Array | string[]>;
  /** The names of the numeric columns, in column order. */
  numericColumns: string[];
  /**
   * The listed numeric columns (default: all columns) as a [rows, columns] tensor.
   * @throws ArgumentError for an unknown or non-numeric column.
   */
  toTensor(columns?: readonly string[]): Tensor;
}

const QUOTE = 34, LF = 10, CR = 13;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY = /^[+-]?inf(?:inity)?$/i;

/**
 * Calls `onRecord(fields, line)` for each record of RFC 4180 text: fields separated by `delim`,
 * records by LF, CRLF or CR; a field starting with a quote runs to the matching quote and may hold
 * delimiters, line breaks and doubled quotes (""). Empty lines are skipped. `line` is the 1-based
 * line on which the record starts. `fields` is reused between calls.
 */
function forEachRecord(text: string, delim: number, op: string, onRecord: (fields: string[], line: number) => void): void {
  const n = text.length;
  const fields: string[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < n) {
    let ch = text.charCodeAt(i);
    if (ch === LF || ch === CR) {
      i += ch === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
      continue;
    }
    const recLine = line;
    fields.length = 0;
    for (;;) {
      if (i < n && text.charCodeAt(i) === QUOTE) {
        const qLine = line;
        let val = '';
        let seg = ++i;
        for (;;) {
          if (i >= n) throw new FormatError(`${op}: line ${qLine}: unterminated quoted field (the closing quote is missing)`);
          ch = text.charCodeAt(i);
          if (ch === QUOTE) {
            if (text.charCodeAt(i + 1) === QUOTE) {
              val += text.slice(seg, i + 1);
              i += 2;
              seg = i;
              continue;
            }
            val += text.slice(seg, i);
            i++;
            break;
          }
          // A CR of a CRLF pair is counted by its LF.
          if (ch === LF || (ch === CR && text.charCodeAt(i + 1) !== LF)) line++;
          i++;
        }
        fields.push(val);
        ch = i < n ? text.charCodeAt(i) : LF;
        if (ch !== delim && ch !== LF && ch !== CR) {
          throw new FormatError(`${op}: line ${line}: unexpected ${JSON.stringify(text[i])} after the closing quote of a field (a quote inside a quoted field must be doubled)`);
        }
      } else {
        const start = i;
        while (i < n) {
          ch = text.charCodeAt(i);
          if (ch === delim || ch === LF || ch === CR) break;
          i++;
        }
        fields.push(text.slice(start, i));
      }
      if (i < n && text.charCodeAt(i) === delim) {
        i++;
        continue;
      }
      break;
    }
    if (i < n) {
      i += text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
    }
    onRecord(fields, recLine);
  }
}

function stringList(v: unknown, op: string, name: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new ArgumentError(`${op}: ${name} must be an array of strings, got ${describe(v)}`);
  return v.slice();
}

/**
 * Parses CSV text (RFC 4180: quoted fields with embedded delimiters, doubled quotes and line
 * breaks; LF, CRLF or CR line endings; a leading BOM is ignored; empty lines are skipped) into
 * typed columns. A column whose non-missing values are all numbers (decimal or exponent notation,
 * `inf`/`Infinity`, surrounding spaces allowed) becomes a Float32Array with NaN for missing values;
 * any other column stays a string[] (values untrimmed, missing values as ''). Header names that are
 * empty become `Unnamed: j` (pandas' rule).
 * Shapes: `toTensor(cols)` → (rows, cols.length).
 * @example
 * const t = parseCsv('name,age,score\n"Smith, J",42,1.5\nLee,NA,2\n');
 * t.columns; // ['name', 'age', 'score']
 * t.rows; // 2
 * t.data.name; // ['Smith, J', 'Lee']
 * Array.from(t.data.age); // [42, NaN]
 * t.toTensor(['age', 'score']).tolist(); // [[42, 1.5], [NaN, 2]]
 * @throws FormatError naming the line for an unterminated quoted field, a character after a
 * closing quote, a record whose field count differs from the header's, or duplicate column names;
 * ArgumentError for bad options or a `columns` entry that does not exist.
 * @see https://www.rfc-editor.org/rfc/rfc4180
 * @category Data
 */
export function parseCsv(text: string, options: CsvOptions = {}): CsvTable {
  const op = 'parseCsv';
  if (typeof text !== 'string') throw new ArgumentError(`${op}: text must be a string, got ${describe(text)}`);
  const o = parseOptions(op, options, { header: bool, delimiter: later, columns: later, names: later, missing: later, stringColumns: later });
  const header = o.header ?? true;
  const delimiter = o.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new ArgumentError(`${op}: delimiter must be one character other than a quote or a line break, got ${describe(delimiter)}`);
  }
  const missing = new Set(stringList(o.missing, op, 'missing') ?? ['', 'NA', 'NaN', 'null']);
  const names = stringList(o.names, op, 'names');
  const forcedStrings = new Set(stringList(o.stringColumns, op, 'stringColumns') ?? []);
  const select = o.columns;
  if (select !== undefined && (!Array.isArray(select) || !select.every((c) => typeof c === 'string' || (Number.isSafeInteger(c) && (c as number) >= 0)))) {
    throw new ArgumentError(`${op}: columns must be an array of column names or 0-based positions, got ${describe(select)}`);
  }

  let all: string[] | null = null;
  let keep: number[] = [];
  let cells: string[][] = [];
  let rows = 0;
  const setup = (cols: string[]): void => {
    const seen = new Set<string>();
    for (const c of cols) {
      if (seen.has(c)) throw new FormatError(`${op}: duplicate column name ${JSON.stringify(c)}`);
      seen.add(c);
    }
    all = cols;
    keep = select === undefined ? cols.map((_, j) => j) : select.map((c) => {
      const j = typeof c === 'number' ? (c < cols.length ? c : -1) : cols.indexOf(c);
      if (j < 0) throw new ArgumentError(`${op}: column ${JSON.stringify(c)} not found; the columns are ${JSON.stringify(cols)}`);
      return j;
    });
    cells = keep.map(() => []);
  };
  forEachRecord(text, delimiter.charCodeAt(0), op, (fields, line) => {
    if (all === null) {
      const F = fields.length;
      if (names !== undefined && names.length !== F) throw new FormatError(`${op}: line ${line}: ${F} fields but ${names.length} names were given`);
      setup(names ?? (header ? fields.map((f, j) => (f === '' ? `Unnamed: ${j}` : f)) : fields.map((_, j) => String(j))));
      if (header) return;
    }
    const F = (all as string[]).length;
    if (fields.length !== F) throw new FormatError(`${op}: line ${line}: ${fields.length} field${fields.length === 1 ? '' : 's'} where the ${header ? 'header has' : 'first record has'} ${F}`);
    for (let k = 0; k < keep.length; k++) cells[k].push(fields[keep[k]]);
    rows++;
  });
  if (all === null) {
    if (header && names === undefined) throw new FormatError(`${op}: the text is empty; expected a header row`);
    setup(names ?? []);
  }

  const columns = keep.map((j) => (all as string[])[j]);
  const data: Record<string, Float32Array | string[]> = Object.create(null);
  const numericColumns: string[] = [];
  for (let k = 0; k < columns.length; k++) {
    const name = columns[k], raw = cells[k];
    const nums = forcedStrings.has(name) ? null : toNumbers(raw, missing);
    if (nums !== null) {
      data[name] = nums;
      numericColumns.push(name);
    } else data[name] = raw.map((s) => (missing.has(s.trim()) ? '' : s));
  }
  const toTensor = (cols: readonly string[] = columns): Tensor => {
    const tOp = 'parseCsv.toTensor';
    const sel = stringList(cols, tOp, 'columns') as string[];
    const arrs = sel.map((c) => {
      const a = Object.prototype.hasOwnProperty.call(data, c) ? data[c] : undefined;
      if (a === undefined) throw new ArgumentError(`${tOp}: no column ${JSON.stringify(c)}; the columns are ${JSON.stringify(columns)}`);
      if (!(a instanceof Float32Array)) throw new ArgumentError(`${tOp}: column ${JSON.stringify(c)} is not numeric (e.g. ${JSON.stringify(a.find((s) => s !== '') ?? '')}); encode it first (LabelEncoder, OneHotEncoder)`);
      return a;
    });
    const C = arrs.length;
    const out = new Float32Array(rows * C);
    for (let c = 0; c < C; c++) {
      const a = arrs[c];
      for (let r = 0; r < rows; r++) out[r * C + c] = a[r];
    }
    return new Tensor(out, [rows, C]);
  };
  return { columns, rows, data, numericColumns, toTensor };
}

/** The column as float32 numbers (NaN for missing), or null if some value is not a number. */
function toNumbers(raw: readonly string[], missing: ReadonlySet<string>): Float32Array | null {
  const out = new Float32Array(raw.length);
  for (let r = 0; r < raw.length; r++) {
    const s = raw[r].trim();
    if (missing.has(s)) out[r] = NaN;
    else if (NUMBER.test(s)) out[r] = Number(s);
    else if (INFINITY.test(s)) out[r] = s[0] === '-' ? -Infinity : Infinity;
    else return null;
  }
  return out;
}
