import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { parseJsonStrict } from '../../src/io/json';

// The strict parser, counted: the fast path must leave it alone for ordinary inference bodies.
vi.mock('../../src/io/json', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/io/json')>();
  return { ...mod, parseJsonStrict: vi.fn(mod.parseJsonStrict) };
});
import { decodeData, type Datatype } from '../../src/serve/datatypes';
import { HttpError, parseBody } from '../../src/serve/http';

/** What parseBody does, written from its contract: the strict parser, its errors as 400 "malformed JSON: …". */
function strict(text: string, maxValues: number): { ok: unknown } | { error: string } {
  try {
    return { ok: parseJsonStrict(text, { what: 'request body', maxDepth: 64, maxValues }) };
  } catch (e) {
    return { error: `malformed JSON: ${(e as Error).message}` };
  }
}

function viaBody(text: string, maxValues: number): { ok: unknown } | { error: string } {
  try {
    return { ok: parseBody(text, maxValues) };
  } catch (e) {
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).status).toBe(400);
    return { error: (e as Error).message };
  }
}

describe('parseBody (the fast path through JSON.parse)', () => {
  it('gives exactly what the strict parser gives, values and errors, on the cases where JSON.parse differs', () => {
    const cases = [
      '{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, -2.5e-3, 0]}]}',
      '{"a": 1, "a": 2}', // JSON.parse keeps the last; strict refuses
      '{"x": {"b": [1, {"c": 1, "c": 2}]}}', // a repeated key deeper down
      '{"__proto__": {"polluted": 1}}',
      '{"a": [{"__proto__": 1}]}',
      '{"s": "\\ud800"}', // a lone surrogate escape: JSON.parse takes it
      '{"s": "\ud800"}', // a raw lone surrogate (not from UTF-8, but a JS string can hold one)
      '{"s": "\ud83d\ude00"}', // a raw pair
      '{"s": "a\\"b:c,d[e{"}', // escapes; colons and commas inside strings
      '{"k:": "v,", "[": "{"}',
      `${'['.repeat(65)}${']'.repeat(65)}`, // one past the nesting limit (64 containers open at once)
      `${'['.repeat(64)}${']'.repeat(64)}`,
      `${'{"a":'.repeat(65)}1${'}'.repeat(65)}`,
      `${'{"a":'.repeat(64)}1${'}'.repeat(64)}`,
      '{"data": [1, 2, 3], "x": {"a": 1, "a": 2}}', // the repeated key after an array of numbers
      '[[1, 2], [3, {"b": [{"c": 1, "c": 1}]}]]',
      '{"a": [{}, {}, {"k": 1, "k": 1}]}',
      '[1, 2, 3, 4, 5, 6]', // over maxValues 6
      '[1, 2, 3, 4, 5]',
      '{"a": 1,}', '[1 2]', '{"a" 1}', '01', '1.', '-', '"\u0001"', '\ufeff{}', 'nul', '{} x', '', '  ',
      '{"n": 1e400, "m": -0, "big": 123456789012345678901234567890}',
    ];
    for (const text of cases) {
      const maxValues = text.startsWith('[1, 2, 3, 4, 5') ? 6 : 1000;
      expect(viaBody(text, maxValues), text).toEqual(strict(text, maxValues));
    }
  });

  it('reads an ordinary inference body (objects before and after arrays of numbers) without the strict parser', () => {
    const strictCalls = vi.mocked(parseJsonStrict);
    strictCalls.mockClear();
    const data = Array.from({ length: 784 }, (_, i) => (i % 7) - 3.25);
    const bodies = [
      { id: 'a:b,c', inputs: [{ name: 'input', shape: [1, 784], datatype: 'FP32', data }], outputs: [{ name: 'output' }] },
      { inputs: [{ data, shape: [1, 784], name: 'x', datatype: 'FP32', parameters: { p: 1 } }, { data: [[1, 2], [3, 4]], shape: [2, 2], name: 'y', datatype: 'INT32' }] },
    ];
    for (const b of bodies) expect(parseBody(JSON.stringify(b), 4_000_000)).toEqual(b);
    expect(strictCalls).not.toHaveBeenCalled();
    // A refusal is worded by the strict parser.
    expect(() => parseBody('{"inputs": 1, "inputs": 2}', 100)).toThrow(/malformed JSON: .*duplicate key "inputs"/);
    expect(strictCalls).toHaveBeenCalledTimes(1);
  });

  it('counts values as the strict parser does: a body within maxValues by a hair is parsed, one past it is refused', () => {
    // 1 object + 1 key + 1 array + 4 numbers = 7 values.
    const text = '{"data": [1, 2, 3, 4]}';
    expect(parseBody(text, 7)).toEqual({ data: [1, 2, 3, 4] });
    expect(() => parseBody(text, 6)).toThrow(/malformed JSON: .*more than 6 values/);
  });

  it('agrees with the strict parser on random JSON documents, with repeated keys spliced in', () => {
    const doc = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null), tie('arr'), tie('obj')),
      arr: fc.array(tie('value'), { maxLength: 4 }),
      obj: fc.array(fc.tuple(fc.constantFrom('a', 'b', ':', ',', '{', '__proto__', 'x"y'), tie('value')), { maxLength: 4 }),
    })).value;
    // Objects as key lists, so repeated keys and __proto__ reach the text.
    const write = (v: unknown): string => {
      if (Array.isArray(v) && v.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && ['a', 'b', ':', ',', '{', '__proto__', 'x"y'].includes(e[0]))) {
        return `{${v.map(([k, x]) => `${JSON.stringify(k)}: ${write(x)}`).join(', ')}}`;
      }
      if (Array.isArray(v)) return `[${v.map(write).join(',')}]`;
      return JSON.stringify(v);
    };
    fc.assert(fc.property(doc, fc.integer({ min: 1, max: 40 }), (v, maxValues) => {
      const text = write(v);
      expect(viaBody(text, maxValues)).toEqual(strict(text, maxValues));
    }), { numRuns: 400 });
  });
});

describe('decodeData: element errors name the element', () => {
  const err = (data: unknown, shape: number[], dt: Datatype): string => {
    try {
      decodeData(data, shape, dt, 'inputs[0]');
    } catch (e) {
      expect(e).toBeInstanceOf(HttpError);
      return (e as HttpError).message;
    }
    throw new Error('no error');
  };

  it('by index in a flat array and by path in a nested one, for each datatype family', () => {
    expect(err([1, 2, 'x', 4], [4], 'FP32')).toBe(`inputs[0].data[2] must be a number (or 'NaN', 'Infinity', '-Infinity') for datatype FP32, got "x"`);
    expect(err([[1, 2], [3, true]], [2, 2], 'FP32')).toBe(`inputs[0].data[1][1] must be a number (or 'NaN', 'Infinity', '-Infinity') for datatype FP32, got true`);
    expect(err([0, 300], [2], 'UINT8')).toBe('inputs[0].data[1] must be an integer in [0, 255] for datatype UINT8, got 300');
    expect(err([true, 1], [2], 'BOOL')).toBe('inputs[0].data[1] must be a boolean for datatype BOOL, got 1');
    expect(Array.from(decodeData([1.5, 'NaN', 'Infinity', '-Infinity'], [4], 'FP32', 'inputs[0]'))).toEqual([1.5, NaN, Infinity, -Infinity]);
  });
});
