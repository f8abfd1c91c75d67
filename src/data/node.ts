import { readFile } from 'node:fs/promises';
import { ArgumentError, FormatError } from '../tensor/errors';
import { describe } from '../tensor/shape';
import { parseCsv, type CsvOptions, type CsvTable } from './csv';

/**
 * Reads a UTF-8 CSV file and parses it with {@link parseCsv} (Node only: this module imports
 * `node:fs/promises` and is published as the separate entry `tensorkit/data/node`, so browser
 * bundles of `tensorkit/data` stay free of Node built-ins).
 * Shapes: as {@link parseCsv}.
 * @example
 * // Node only; readCsv is exported by the entry tensorkit/data/node:
 * // const table = await readCsv('iris.csv');
 * // table.toTensor(['sepal_length', 'sepal_width']); // a [rows, 2] tensor
 * @throws ArgumentError for a path that is not a string or URL; FormatError (naming the file and
 * line) for malformed CSV; file-system errors (ENOENT, EACCES) are Node's own, unchanged.
 * @category Data
 */
export async function readCsv(path: string | URL, options: CsvOptions = {}): Promise<CsvTable> {
  if (typeof path !== 'string' && !(path instanceof URL)) throw new ArgumentError(`readCsv: path must be a string or URL, got ${describe(path)}`);
  const text = await readFile(path, 'utf8');
  try {
    return parseCsv(text, options);
  } catch (e) {
    throw e instanceof FormatError ? new FormatError(`readCsv ${String(path)}: ${e.message}`) : e;
  }
}
