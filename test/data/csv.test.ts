import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/index';
import { readCsv } from '../../src/data/node';
import { ArgumentError, FormatError } from '../../src/tensor/index';

describe('parseCsv', () => {
  it('types columns: numeric → Float32Array with NaN for missing, others → string[]', () => {
    const t = parseCsv('a,b,c,d\n1,x,,NA\n2.5,y,3,null\n-1e3,NA,NaN,\n');
    expect(t.columns).toEqual(['a', 'b', 'c', 'd']);
    expect(t.rows).toBe(3);
    expect(t.data.a).toEqual(Float32Array.from([1, 2.5, -1000]));
    expect(t.data.b).toEqual(['x', 'y', '']);
    expect(Array.from(t.data.c as Float32Array)).toEqual([NaN, 3, NaN]);
    expect(Array.from(t.data.d as Float32Array)).toEqual([NaN, NaN, NaN]);
    expect(t.numericColumns).toEqual(['a', 'c', 'd']);
  });

  it('RFC 4180 quoting: embedded delimiters, doubled quotes, line breaks, CRLF', () => {
    const text = 'id,text,n\r\n1,"a, b",2\r\n2,"say ""hi""",3\r\n3,"two\r\nlines",4\r\n4,"",5\r\n';
    const t = parseCsv(text);
    expect(t.data.text).toEqual(['a, b', 'say "hi"', 'two\r\nlines', '']);
    expect(Array.from(t.data.n as Float32Array)).toEqual([2, 3, 4, 5]);
    // A quoted number is a number.
    expect(Array.from(parseCsv('x\n"1.5"\n" 2 "\n').data.x as Float32Array)).toEqual([1.5, 2]);
  });

  it('line endings LF, CRLF and CR; no trailing newline; BOM; empty lines skipped', () => {
    for (const nl of ['\n', '\r\n', '\r']) {
      const t = parseCsv(`\uFEFFa,b${nl}1,2${nl}${nl}3,4`);
      expect(t.columns).toEqual(['a', 'b']);
      expect(t.toTensor().tolist()).toEqual([[1, 2], [3, 4]]);
    }
  });

  it('empty fields at the end of a record and at the end of the file', () => {
    const t = parseCsv('a,b,c\n1,2,\n4,5,');
    expect(Array.from(t.data.c as Float32Array)).toEqual([NaN, NaN]);
  });

  it('header: false names columns 0, 1, …; names and delimiter options', () => {
    expect(parseCsv('1;2\n3;4', { header: false, delimiter: ';' }).columns).toEqual(['0', '1']);
    const t = parseCsv('1\t2\n3\t4', { header: false, delimiter: '\t', names: ['x', 'y'] });
    expect(t.toTensor(['y', 'x']).tolist()).toEqual([[2, 1], [4, 3]]);
    expect(parseCsv('p,q\n1,2', { names: ['x', 'y'] }).columns).toEqual(['x', 'y']);
  });

  it('columns selects and orders by name or position; stringColumns keeps digits as text', () => {
    const t = parseCsv('zip,city,pop\n01234,A,10\n98765,B,20\n', { columns: ['pop', 0], stringColumns: ['zip'] });
    expect(t.columns).toEqual(['pop', 'zip']);
    expect(t.data.zip).toEqual(['01234', '98765']);
    expect('city' in t.data).toBe(false);
  });

  it('numbers: signs, exponents, leading dot, inf; anything else makes a string column', () => {
    const t = parseCsv('x,y\n+1,1\n.5,1x\n-2.e1,2\ninf,3\n-Infinity,4\n');
    expect(Array.from(t.data.x as Float32Array)).toEqual([1, 0.5, -20, Infinity, -Infinity]);
    expect(t.data.y).toEqual(['1', '1x', '2', '3', '4']);
    expect(parseCsv('h\n0x1F\n').data.h).toEqual(['0x1F']);
  });

  it('custom missing tokens; unnamed header cells; header-only input', () => {
    expect(Array.from(parseCsv('a\n?\n1', { missing: ['?'] }).data.a as Float32Array)).toEqual([NaN, 1]);
    expect(parseCsv(',a\n1,2').columns).toEqual(['Unnamed: 0', 'a']);
    const h = parseCsv('a,b\n');
    expect([h.rows, h.toTensor().shape]).toEqual([0, [0, 2]]);
    expect(parseCsv('', { header: false }).columns).toEqual([]);
  });

  it('a column named like an Object.prototype member is an ordinary column', () => {
    const t = parseCsv('__proto__,constructor\n1,2\n');
    expect(Array.from(t.data.__proto__ as Float32Array)).toEqual([1]);
    expect(t.toTensor().tolist()).toEqual([[1, 2]]);
  });

  it('round-trips random tables written with quoting', () => {
    const cell = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('a,b', '"q"', 'x\ny', 'r\r\ns'));
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.array(cell, { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 6 }), (F, rows) => {
      const table = rows.map((r) => r.slice(0, F).map((c) => `s${c}`));
      const esc = (s: string) => `"${s.replace(/"/g, '""')}"`;
      const header = Array.from({ length: F }, (_, j) => `c${j}`);
      const text = [header, ...table].map((r) => r.map(esc).join(',')).join('\r\n');
      const t = parseCsv(text, { missing: [] });
      expect(t.rows).toBe(table.length);
      header.forEach((h, j) => expect(t.data[h]).toEqual(table.map((r) => r[j])));
    }), { numRuns: 100 });
  });

  it('malformed input is a FormatError naming the line', () => {
    expect(() => parseCsv('a,b\n1,2\n3,"unterminated\n4,5\n')).toThrow(FormatError);
    expect(() => parseCsv('a,b\n1,2\n3,"unterminated\n4,5\n')).toThrow(/line 3: unterminated/);
    expect(() => parseCsv('a,b\n1,2\n3\n')).toThrow(/line 3: 1 field where the header has 2/);
    expect(() => parseCsv('a,b\n"x\ny",1\n1,2,3\n')).toThrow(/line 4: 3 fields/);
    expect(() => parseCsv('a,b\n"x"y,1\n')).toThrow(/line 2: unexpected "y" after the closing quote/);
    expect(() => parseCsv('a,a\n1,2')).toThrow(/duplicate column name "a"/);
    expect(() => parseCsv('')).toThrow(FormatError);
    expect(() => parseCsv('1,2\n3', { header: false })).toThrow(/line 2/);
  });

  it('bad options are ArgumentErrors', () => {
    expect(() => parseCsv(5 as never)).toThrow(ArgumentError);
    for (const delimiter of ['', ';;', '"', '\n', 4]) expect(() => parseCsv('a', { delimiter } as never)).toThrow(ArgumentError);
    expect(() => parseCsv('a\n1', { columns: ['b'] })).toThrow(/column "b" not found/);
    expect(() => parseCsv('a\n1', { columns: [3] })).toThrow(ArgumentError);
    expect(() => parseCsv('a\n1', { missing: 'NA' } as never)).toThrow(ArgumentError);
    expect(() => parseCsv('a\n1', { headers: true } as never)).toThrow(ArgumentError);
    const t = parseCsv('a,b\n1,x');
    expect(() => t.toTensor()).toThrow(/column "b" is not numeric/);
    expect(() => t.toTensor(['c'])).toThrow(ArgumentError);
  });
});

describe('readCsv (Node)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tk-csv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads and parses a file; FormatErrors name the file', async () => {
    const p = join(dir, 'ok.csv');
    writeFileSync(p, 'x,y\n1,2\n3,4\n');
    expect((await readCsv(p)).toTensor().tolist()).toEqual([[1, 2], [3, 4]]);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'x,y\n1\n');
    await expect(readCsv(bad)).rejects.toThrow(/bad\.csv: parseCsv: line 2/);
    await expect(readCsv(5 as never)).rejects.toThrow(ArgumentError);
    await expect(readCsv(join(dir, 'missing.csv'))).rejects.toThrow(/ENOENT/);
  });
});
