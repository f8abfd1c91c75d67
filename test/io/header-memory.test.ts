import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_HEADER_VALUES, inspectSafetensors, loadSafetensors, saveSafetensors } from '../../src/io/index';
import { parseJsonStrict } from '../../src/io/json';
import { ArgumentError, FormatError, tensor } from '../../src/tensor/index';

const root = resolve(__dirname, '../..');

/** A file whose header is `json` and whose data is `data` bytes of zeros. */
function file(json: string, data = 0): Uint8Array {
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + data);
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 8);
  return out;
}

describe('safetensors header memory: hostile headers load or fail typed within a small heap', () => {
  // Each case runs in a child node whose old space is 64 MB, for a 24 MB header (20 MB of escapes):
  // the code before the fix needed 0.3–2 GB for these and was killed by V8 (OOM), so a regression
  // fails here as a crash, not a slow test.
  const probe = (c: string) => {
    const out = execFileSync(process.execPath, ['--max-old-space-size=64', '--import', 'tsx', 'test/io/header-memory-probe.ts', c], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    return JSON.parse(out.trim().split('\n').at(-1)!) as { result: string; code?: string; metadataChars?: number; tensors?: number };
  };
  it('a million tiny metadata entries: HEADER_TOO_LARGE before parsing', () => {
    expect(probe('tinyEntries')).toMatchObject({ result: 'FormatError', code: 'HEADER_TOO_LARGE' });
  }, 70_000);
  it('20 MB of \\u0041 escapes in one string: loads (3.3M characters)', () => {
    expect(probe('escapes')).toEqual({ result: 'loaded', tensors: 0, metadataChars: 3_333_333 });
  }, 70_000);
  it('a shape of twelve million dimensions: HEADER_TOO_LARGE before parsing', () => {
    expect(probe('rank')).toMatchObject({ result: 'FormatError', code: 'HEADER_TOO_LARGE' });
  }, 70_000);
  it('a normal 40 MB file: loads', () => {
    expect(probe('normal')).toMatchObject({ result: 'loaded', tensors: 10 });
  }, 70_000);
});

describe('the header value limit', () => {
  const meta = (n: number) => `{"__metadata__":{${Array.from({ length: n }, (_, i) => `"k${i}":"v"`).join(',')}}}`;
  it('counts keys and values on the raw bytes (1 + every { [ , : outside strings) against MAX_HEADER_VALUES', () => {
    // n metadata entries: 1, two {, the colon after "__metadata__", n colons and n − 1 commas →
    // 2n + 3, exactly the parser's count (root, key, object, n keys, n values).
    const n = (MAX_HEADER_VALUES - 4) / 2;
    expect(Object.keys(loadSafetensors(file(meta(n))).metadata)).toHaveLength(n);
    const over = file(meta(n + 1));
    expect(() => loadSafetensors(over)).toThrow(FormatError);
    expect(() => inspectSafetensors(over)).toThrow(`loadSafetensors: the header holds about ${MAX_HEADER_VALUES + 1} JSON keys and values, over the ${MAX_HEADER_VALUES} limit`);
    // Commas and colons inside strings do not count.
    expect(loadSafetensors(file(`{"__metadata__":{"a":"${',:{['.repeat(MAX_HEADER_VALUES)}"}}`)).metadata.a).toHaveLength(4 * MAX_HEADER_VALUES);
  }, 120_000); // two million header values are the limit under test: seconds of work, more on a loaded machine
  it('saveSafetensors counts the same way, so what it writes loads back', () => {
    const n = (MAX_HEADER_VALUES - 4) / 2;
    const md = Object.fromEntries(Array.from({ length: n + 1 }, (_, i) => [`k${i}`, 'v']));
    expect(() => saveSafetensors({}, md)).toThrow(ArgumentError);
    expect(() => saveSafetensors({}, md)).toThrow(`over the ${MAX_HEADER_VALUES} that readers of tensorkit accept`);
    delete md[`k${n}`];
    expect(Object.keys(loadSafetensors(saveSafetensors({}, md)).metadata)).toHaveLength(n);
    // A tensor entry of rank r costs 10 + r more.
    expect(() => saveSafetensors({ t: tensor([1]) }, md)).toThrow(`about ${MAX_HEADER_VALUES - 1 + 11}`);
  }, 120_000); // two million header values are the limit under test: seconds of work, more on a loaded machine
  it('parseJsonStrict refuses past maxValues with the code given', () => {
    // 8 values: the outer array, 1, the inner array, 2, 3, the object, its key and 4.
    expect(parseJsonStrict('[1,[2,3],{"a":4}]', { maxValues: 8 })).toEqual([1, [2, 3], { a: 4 }]);
    expect(() => parseJsonStrict('[1,[2,3],{"a":4}]', { maxValues: 7 })).toThrow('JSON: more than 7 values (numbers, strings, keys, arrays, objects) at offset 14');
    expect(() => parseJsonStrict('[1,2]', { maxValues: 2, maxValuesCode: 'HEADER_TOO_LARGE' })).toThrow(expect.objectContaining({ code: 'HEADER_TOO_LARGE' }));
  });
});

describe('parseJsonStrict strings with escapes (built once, not per escape)', () => {
  const cases = [
    '"plain"', '""', '"\\u0041"', '"a\\nb\\t\\"c\\\\d\\/e\\bf\\fg\\rh"', '"x\\ud83d\\ude00y"', '"\\u00e9t\\u00E9"', '"😀\\u0041é"',
    `"${'ab\\u0041'.repeat(5000)}"`, `"${'\\ud83d\\ude00'.repeat(9000)}"`, `"${'€'.repeat(9000)}\\n"`,
  ];
  it.each(cases.map((c) => [c.slice(0, 40), c]))('%s reads as JSON.parse does', (_l, c) => {
    expect(parseJsonStrict(c)).toBe(JSON.parse(c));
  });
  it('keeps the errors and their offsets', () => {
    const err = (s: string) => { try { parseJsonStrict(s); } catch (e) { return (e as Error).message; } return 'no error'; };
    expect(err('"ab\\x"')).toBe('JSON: invalid escape at offset 5');
    expect(err('"ab\\u00g1"')).toBe('JSON: invalid hex digit in \\u escape at offset 5');
    expect(err('"ab\\u00')).toBe('JSON: truncated \\u escape at offset 5');
    expect(err('"\\ud83d"')).toBe('JSON: lone high surrogate escape at offset 7');
    expect(err('"\\ud83d\\u0041"')).toBe('JSON: high surrogate escape not followed by a low one at offset 9');
    expect(err('"\\ude00"')).toBe('JSON: lone low surrogate escape at offset 7');
    expect(err('"abc')).toBe('JSON: unterminated string at offset 4');
    expect(err('{"a":1,"\\u0061":2}')).toBe('JSON: duplicate key "a" at offset 7');
  });
});
