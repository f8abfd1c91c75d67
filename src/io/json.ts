import { FormatError } from '../tensor/errors';

/** A parsed JSON value. Objects are plain objects whose keys were checked (see {@link parseJsonStrict}). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Options of {@link parseJsonStrict}. @internal */
export interface ParseJsonOptions {
  /** Deepest nesting of arrays and objects accepted (default 64); deeper input is BAD_JSON, not a stack overflow. */
  maxDepth?: number;
  /** Name of the document for messages, e.g. 'safetensors header'. */
  what?: string;
}

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
  let pos = 0;
  const n = text.length;

  const fail = (msg: string, code: 'BAD_JSON' | 'DUPLICATE_KEY' | 'FORBIDDEN_KEY' = 'BAD_JSON'): never => {
    throw new FormatError(`${what}: ${msg} at offset ${pos}`, code);
  };
  const skipWs = (): void => {
    while (pos < n) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else break;
    }
  };
  const hex4 = (): number => {
    if (pos + 4 > n) fail('truncated \\u escape');
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = text.charCodeAt(pos++);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
      if (d < 0) fail('invalid hex digit in \\u escape');
      v = v * 16 + d;
    }
    return v;
  };
  const parseString = (): string => {
    pos++; // opening quote
    let out = '';
    let runStart = pos;
    for (;;) {
      if (pos >= n) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(runStart, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail('unescaped control character in string');
      if (c >= 0xd800 && c <= 0xdfff) {
        // TextDecoder never yields lone surrogates, but callers may pass any JS string.
        const next = text.charCodeAt(pos + 1);
        if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) fail('lone surrogate in string');
        pos += 2;
        continue;
      }
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(runStart, pos);
      pos++;
      const e = text.charCodeAt(pos++);
      switch (e) {
        case 0x22: out += '"'; break;
        case 0x5c: out += '\\'; break;
        case 0x2f: out += '/'; break;
        case 0x62: out += '\b'; break;
        case 0x66: out += '\f'; break;
        case 0x6e: out += '\n'; break;
        case 0x72: out += '\r'; break;
        case 0x74: out += '\t'; break;
        case 0x75: {
          const u = hex4();
          if (u >= 0xd800 && u <= 0xdbff) {
            if (text.charCodeAt(pos) !== 0x5c || text.charCodeAt(pos + 1) !== 0x75) fail('lone high surrogate escape');
            pos += 2;
            const lo = hex4();
            if (lo < 0xdc00 || lo > 0xdfff) fail('high surrogate escape not followed by a low one');
            out += String.fromCharCode(u, lo);
          } else if (u >= 0xdc00 && u <= 0xdfff) {
            fail('lone low surrogate escape');
          } else out += String.fromCharCode(u);
          break;
        }
        default: fail('invalid escape');
      }
      runStart = pos;
    }
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
    const c = text.charCodeAt(pos);
    if (c === 0x7b) {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth}`);
      pos++;
      const obj: { [key: string]: Json } = {};
      const seen = new Set<string>();
      skipWs();
      if (text.charCodeAt(pos) === 0x7d) {
        pos++;
        return obj;
      }
      for (;;) {
        skipWs();
        if (text.charCodeAt(pos) !== 0x22) fail('expected a string key');
        const keyAt = pos;
        const key = parseString();
        if (key === '__proto__') {
          pos = keyAt;
          fail('forbidden key "__proto__"', 'FORBIDDEN_KEY');
        }
        if (seen.has(key)) {
          pos = keyAt;
          fail(`duplicate key ${JSON.stringify(key)}`, 'DUPLICATE_KEY');
        }
        seen.add(key);
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
