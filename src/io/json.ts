import { FormatError, type ErrorCode } from '../tensor/errors';

/** A JSON value: null, a boolean, a finite number, a string, an array or a plain object of JSON values. @category IO */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Options of {@link parseJsonStrict}. @internal */
export interface ParseJsonOptions {
  /** Deepest nesting of arrays and objects accepted (default 64); deeper input is BAD_JSON, not a stack overflow. */
  maxDepth?: number;
  /** Name of the document for messages, e.g. 'safetensors header'. */
  what?: string;
  /**
   * Most values accepted, counting every number, string, literal, array, object and object key
   * (default unlimited). Checked before each value is built, so a document of millions of tiny
   * values fails before it costs memory.
   */
  maxValues?: number;
  /** The error code of exceeding `maxValues` (default `BAD_JSON`). */
  maxValuesCode?: ErrorCode;
}

// Decoded strings with escapes are built in chunks of this many UTF-16 units (String.fromCharCode
// takes them as arguments), then joined once.
const CHUNK = 8192;

/**
 * Parses RFC 8259 JSON strictly, unlike `JSON.parse`: a key repeated in one object is
 * `DUPLICATE_KEY` (JSON.parse silently keeps the last one, so two readers could disagree on what a
 * file says), a `__proto__` key is `FORBIDDEN_KEY`, lone surrogate escapes and nesting past
 * `maxDepth` are `BAD_JSON`. Whitespace is only space, tab, LF and CR, as the RFC says.
 * @throws FormatError with one of those codes and the character offset. @internal
 */
export function parseJsonStrict(text: string, options: ParseJsonOptions = {}): Json {
  const maxDepth = options.maxDepth ?? 64;
  const what = options.what ?? 'JSON';
  const maxValues = options.maxValues ?? Infinity;
  let pos = 0;
  let values = 0;
  const n = text.length;

  const fail = (msg: string, code: ErrorCode = 'BAD_JSON'): never => {
    throw new FormatError(`${what}: ${msg} at offset ${pos}`, code);
  };
  const count = (): void => {
    if (++values > maxValues) fail(`more than ${maxValues} values (numbers, strings, keys, arrays, objects)`, options.maxValuesCode ?? 'BAD_JSON');
  };
  const skipWs = (): void => {
    while (pos < n) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else break;
    }
  };
  /** The value of the 4 hex digits at `p`, or -1. */
  const hexAt = (p: number): number => {
    if (p + 4 > n) return -1;
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = text.charCodeAt(p + i);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  };
  const ESCAPED: Record<number, number> = { 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 };
  // Two passes, so that no string is built per escape (a `+=` per escape makes a rope of millions
  // of nodes, several times the input): the first validates and counts the UTF-16 units of the
  // result, the second writes them into one array, turned into a string in a few large chunks.
  const parseString = (): string => {
    pos++; // opening quote
    const start = pos;
    let units = 0;
    let escapes = false;
    for (;;) {
      if (pos >= n) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) break;
      if (c < 0x20) fail('unescaped control character in string');
      if (c >= 0xd800 && c <= 0xdfff) {
        // TextDecoder never yields lone surrogates, but callers may pass any JS string.
        const next = text.charCodeAt(pos + 1);
        if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) fail('lone surrogate in string');
        pos += 2;
        units += 2;
        continue;
      }
      if (c !== 0x5c) {
        pos++;
        units++;
        continue;
      }
      escapes = true;
      const e = text.charCodeAt(pos + 1);
      if (e === 0x75) {
        const u = hexAt(pos + 2);
        if (u < 0) {
          pos = Math.min(pos + 2, n);
          fail(pos + 4 > n ? 'truncated \\u escape' : 'invalid hex digit in \\u escape');
        }
        if (u >= 0xd800 && u <= 0xdbff) {
          if (text.charCodeAt(pos + 6) !== 0x5c || text.charCodeAt(pos + 7) !== 0x75) {
            pos += 6;
            fail('lone high surrogate escape');
          }
          const lo = hexAt(pos + 8);
          if (lo < 0xdc00 || lo > 0xdfff) {
            pos += 8;
            fail(lo < 0 ? 'invalid hex digit in \\u escape' : 'high surrogate escape not followed by a low one');
          }
          pos += 12;
          units += 2;
        } else if (u >= 0xdc00 && u <= 0xdfff) {
          pos += 6;
          fail('lone low surrogate escape');
        } else {
          pos += 6;
          units++;
        }
      } else if (ESCAPED[e] !== undefined) {
        pos += 2;
        units++;
      } else {
        pos += 2;
        fail('invalid escape');
      }
    }
    const end = pos;
    pos++; // closing quote
    if (!escapes) return text.slice(start, end);
    const out = new Uint16Array(units);
    let k = 0;
    for (let p = start; p < end;) {
      const c = text.charCodeAt(p);
      if (c !== 0x5c) {
        out[k++] = c;
        p++;
      } else if (text.charCodeAt(p + 1) === 0x75) {
        out[k++] = hexAt(p + 2);
        p += 6;
      } else {
        out[k++] = ESCAPED[text.charCodeAt(p + 1)];
        p += 2;
      }
    }
    if (units <= CHUNK) return String.fromCharCode.apply(null, out as unknown as number[]);
    const parts: string[] = [];
    for (let i = 0; i < units; i += CHUNK) parts.push(String.fromCharCode.apply(null, out.subarray(i, i + CHUNK) as unknown as number[]));
    return parts.join('');
  };
  const parseNumber = (): number => {
    const start = pos;
    if (text.charCodeAt(pos) === 0x2d) pos++;
    const digits = (): number => {
      const s = pos;
      while (pos < n && text.charCodeAt(pos) >= 48 && text.charCodeAt(pos) <= 57) pos++;
      return pos - s;
    };
    if (text.charCodeAt(pos) === 0x30) pos++;
    else if (digits() === 0) fail('invalid number');
    if (text.charCodeAt(pos) === 0x2e) {
      pos++;
      if (digits() === 0) fail('invalid number: no digits after the decimal point');
    }
    const e = text.charCodeAt(pos);
    if (e === 0x65 || e === 0x45) {
      pos++;
      const s = text.charCodeAt(pos);
      if (s === 0x2b || s === 0x2d) pos++;
      if (digits() === 0) fail('invalid number: no digits in the exponent');
    }
    return Number(text.slice(start, pos));
  };
  const literal = (word: string, value: Json): Json => {
    if (text.startsWith(word, pos)) {
      pos += word.length;
      return value;
    }
    return fail('unexpected token');
  };
  const parseValue = (depth: number): Json => {
    skipWs();
    if (pos >= n) fail('unexpected end of input');
    count();
    const c = text.charCodeAt(pos);
    if (c === 0x7b) {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth}`);
      pos++;
      const obj: { [key: string]: Json } = {};
      skipWs();
      if (text.charCodeAt(pos) === 0x7d) {
        pos++;
        return obj;
      }
      for (;;) {
        skipWs();
        if (text.charCodeAt(pos) !== 0x22) fail('expected a string key');
        const keyAt = pos;
        count();
        const key = parseString();
        if (key === '__proto__') {
          pos = keyAt;
          fail('forbidden key "__proto__"', 'FORBIDDEN_KEY');
        }
        // `__proto__` is refused above, so an own-property test sees every earlier key.
        if (Object.hasOwn(obj, key)) {
          pos = keyAt;
          fail(`duplicate key ${JSON.stringify(key)}`, 'DUPLICATE_KEY');
        }
        skipWs();
        if (text.charCodeAt(pos) !== 0x3a) fail('expected ":"');
        pos++;
        obj[key] = parseValue(depth + 1);
        skipWs();
        const d = text.charCodeAt(pos);
        if (d === 0x2c) {
          pos++;
          continue;
        }
        if (d === 0x7d) {
          pos++;
          return obj;
        }
        fail('expected "," or "}"');
      }
    }
    if (c === 0x5b) {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth}`);
      pos++;
      const arr: Json[] = [];
      skipWs();
      if (text.charCodeAt(pos) === 0x5d) {
        pos++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(depth + 1));
        skipWs();
        const d = text.charCodeAt(pos);
        if (d === 0x2c) {
          pos++;
          continue;
        }
        if (d === 0x5d) {
          pos++;
          return arr;
        }
        fail('expected "," or "]"');
      }
    }
    if (c === 0x22) return parseString();
    if (c === 0x2d || (c >= 48 && c <= 57)) return parseNumber();
    if (c === 0x74) return literal('true', true);
    if (c === 0x66) return literal('false', false);
    if (c === 0x6e) return literal('null', null);
    return fail('unexpected character');
  };

  const value = parseValue(0);
  skipWs();
  if (pos !== n) fail('unexpected data after the JSON value');
  return value;
}

/** True for a parsed JSON object (not an array, not null). @internal */
export function isJsonObject(v: unknown): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
