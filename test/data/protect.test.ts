import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  generalize, isKAnonymous, kAnonymity, lDiversity, maskString, parseCsv, pseudonymize, pseudonymizeColumns, topCode, truncateDate, truncateString,
} from '../../src/data/index';
import { ArgumentError } from '../../src/tensor/index';
import { expectThrows } from '../helpers/check';

const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);
const ascii = (s: string) => new TextEncoder().encode(s);
const hmacHex = (key: Uint8Array, msg: Uint8Array | string) => createHmac('sha256', key).update(msg).digest('hex');

/** Awaits a promise that must reject with `cls`, its message holding every part. */
async function rejects(p: Promise<unknown>, cls: typeof ArgumentError, ...parts: string[]): Promise<void> {
  let err: unknown = null;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a rejection').toBeInstanceOf(cls);
  for (const part of parts) expect((err as Error).message).toContain(part);
}

describe('pseudonymize: HMAC-SHA-256 tokens', () => {
  // RFC 4231 §4, the HMAC-SHA-256 row of each test case, through the raw form (Uint8Array values).
  const rfc4231: [string, Uint8Array, Uint8Array, string][] = [
    ['1', bytes(20, 0x0b), ascii('Hi There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    ['3', bytes(20, 0xaa), bytes(50, 0xdd), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
    ['4', Uint8Array.from({ length: 25 }, (_, i) => i + 1), bytes(50, 0xcd), '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b'],
    ['6', bytes(131, 0xaa), ascii('Test Using Larger Than Block-Size Key - Hash Key First'), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
    ['7', bytes(131, 0xaa), ascii('This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.'),
      '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2'],
  ];
  for (const [name, key, data, mac] of rfc4231) {
    it(`RFC 4231 test case ${name}`, async () => {
      expect(await pseudonymize([data], key)).toEqual([mac]);
    });
  }

  it('RFC 4231 test case 5: the MAC truncated to 128 bits is length 32 in hex', async () => {
    expect(await pseudonymize([ascii('Test With Truncation')], bytes(20, 0x0c), { length: 32 })).toEqual(['a3b6167473100ee06e0c796c2955552b']);
  });

  it('RFC 4231 test case 2 has a 4-byte key ("Jefe"): refused as too short, although HMAC itself would take it', async () => {
    expect(hmacHex(ascii('Jefe'), 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    await rejects(pseudonymize([ascii('what do ya want for nothing?')], ascii('Jefe')), ArgumentError, 'pseudonymize: key must be at least 16 bytes', 'got 4 bytes');
  });

  it('agrees with node:crypto createHmac on random keys, strings (all of Unicode), bytes and numbers', async () => {
    await fc.assert(fc.asyncProperty(
      fc.uint8Array({ minLength: 16, maxLength: 100 }),
      fc.array(fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }), fc.uint8Array({ maxLength: 80 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), { minLength: 1, maxLength: 8 }),
      async (key, ids) => {
        const want = ids.map((v) => (v === '' ? '' : hmacHex(key, typeof v === 'number' ? String(v) : v)));
        expect(await pseudonymize(ids, key)).toEqual(want);
        const b64 = ids.map((v) => (v === '' ? '' : createHmac('sha256', key).update(typeof v === 'number' ? String(v) : v).digest('base64url')));
        expect(await pseudonymize(ids, key, { encoding: 'base64url' })).toEqual(b64);
      },
    ), { numRuns: 40 });
  });

  it('a base64url token is 43 characters without padding; length truncates either encoding', async () => {
    const key = randomBytes(32);
    const [hex] = await pseudonymize(['x'], key);
    const [b64] = await pseudonymize(['x'], key, { encoding: 'base64url' });
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    expect(b64).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(b64, 'base64url').toString('hex')).toBe(hex);
    expect(await pseudonymize(['x'], key, { length: 10 })).toEqual([hex.slice(0, 10)]);
    expect(await pseudonymize(['x'], key, { encoding: 'base64url', length: 43 })).toEqual([b64]);
  });

  it('stable: the same key gives the same token across calls, for repeats, for 42 and "42", and as raw bytes or a CryptoKey', async () => {
    const raw = randomBytes(32);
    const ck = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const ids = ['alice', 'bob', 'alice', 42, '42', 'Zoë'];
    const a = await pseudonymize(ids, raw);
    expect(await pseudonymize(ids, raw)).toEqual(a);
    expect(await pseudonymize(ids, ck)).toEqual(a);
    expect(a[0]).toBe(a[2]);
    expect(a[3]).toBe(a[4]);
    expect(new Set(a).size).toBe(4);
    // A numeric column (Float32Array, as parseCsv gives) agrees with the same ids as text.
    expect(await pseudonymize(Float32Array.from([7, 1234]), raw)).toEqual(await pseudonymize(['7', '1234'], raw));
    // A fixed key and identifier give a fixed token: the one HMAC-SHA-256 gives on every platform.
    const fixed = ascii('0123456789abcdef0123456789abcdef');
    expect(await pseudonymize(['patient-0017'], fixed)).toEqual([hmacHex(fixed, 'patient-0017')]);
  });

  it('unlinkable: under two keys the same 500 identifiers share no token and their bits agree about half the time', async () => {
    const ids = Array.from({ length: 500 }, (_, i) => `user-${i}`);
    const a = await pseudonymize(ids, randomBytes(32));
    const b = await pseudonymize(ids, randomBytes(32));
    const inA = new Set(a);
    expect(b.filter((t) => inA.has(t))).toEqual([]);
    let same = 0;
    for (let i = 0; i < ids.length; i++) {
      const x = Buffer.from(a[i], 'hex'), y = Buffer.from(b[i], 'hex');
      for (let j = 0; j < 32; j++) for (let bit = 0; bit < 8; bit++) same += ((x[j] ^ y[j]) >> bit) & 1 ? 0 : 1;
    }
    // 128 000 fair coin flips: mean 64 000, σ ≈ 179; ±1 500 is over 8σ.
    expect(Math.abs(same - 64_000)).toBeLessThan(1_500);
    // One key, one flipped character of the identifier: an unrelated token.
    const key = randomBytes(32);
    const [p, q] = await pseudonymize(['user-1', 'user-2'], key);
    expect(p.slice(0, 8)).not.toBe(q.slice(0, 8));
  });

  it('missing identifiers (null, undefined, empty string, NaN) give "" instead of one shared token', async () => {
    const t = await pseudonymize([null, 'a', undefined, '', NaN], randomBytes(16));
    expect([t[0], t[2], t[3], t[4]]).toEqual(['', '', '', '']);
    expect(t[1]).toHaveLength(64);
  });

  it('typed errors: key too short or of the wrong kind, unknown option, non-array input, bad identifiers, length past the encoding', async () => {
    const key = randomBytes(32);
    await rejects(pseudonymize(['a'], randomBytes(15)), ArgumentError, 'key must be at least 16 bytes', 'got 15 bytes');
    expect(await pseudonymize(['a'], randomBytes(16))).toHaveLength(1);
    await rejects(pseudonymize(['a'], 'secret' as never), ArgumentError, 'pseudonymize: key must be a Uint8Array of at least 16 bytes or an HMAC SHA-256 CryptoKey, got "secret"');
    const aes = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
    await rejects(pseudonymize(['a'], aes as CryptoKey), ArgumentError, 'HMAC SHA-256 CryptoKey', 'AES-GCM');
    const sha1 = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
    await rejects(pseudonymize(['a'], sha1), ArgumentError, 'SHA-1');
    const verifyOnly = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    await rejects(pseudonymize(['a'], verifyOnly), ArgumentError, "'sign' usage");
    const short = await crypto.subtle.importKey('raw', randomBytes(8), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    await rejects(pseudonymize(['a'], short), ArgumentError, 'of 64 bits');
    await rejects(pseudonymize(['a'], key, { lenght: 8 } as never), ArgumentError, "pseudonymize: unknown option 'lenght' (did you mean 'length'?)");
    await rejects(pseudonymize(['a'], key, { encoding: 'base64' } as never), ArgumentError, "encoding must be one of 'hex', 'base64url'");
    await rejects(pseudonymize(['a'], key, { encoding: 'base64url', length: 44 }), ArgumentError, "length must be an integer ≥ 1 and ≤ 43 for encoding 'base64url', got 44");
    await rejects(pseudonymize(['a'], key, { length: 0 }), ArgumentError, 'length must be an integer ≥ 1');
    await rejects(pseudonymize('alice' as never, key), ArgumentError, 'pseudonymize: values must be an array');
    await rejects(pseudonymize(ascii('alice') as never, key), ArgumentError, 'values must be an array');
    await rejects(pseudonymize(['a', { id: 1 }] as never, key), ArgumentError, 'values[1] must be a string, a finite number or a Uint8Array');
    await rejects(pseudonymize([Infinity], key), ArgumentError, 'values[0]', 'Infinity');
    await rejects(pseudonymize(['ok', 'bad\uD800'], key), ArgumentError, 'values[1] must be a well-formed string');
  });
});

describe('pseudonymizeColumns: the three table shapes', () => {
  const key = randomBytes(32);

  it('a CsvTable: the listed columns become token string columns, toTensor refuses them, other columns are untouched', async () => {
    const t = parseCsv('id,name,age\n17,ann,34\n22,bob,51\n17,ann,34\n,cy,20\n');
    expect(t.numericColumns).toEqual(['id', 'age']);
    const s = await pseudonymizeColumns(t, ['id', 'name'], key, { length: 12 });
    const ids = await pseudonymize(['17', '22', '17', ''], key, { length: 12 });
    expect(s.data.id).toEqual(ids);
    expect(s.data.id[3]).toBe('');
    expect(s.data.name).toEqual(await pseudonymize(['ann', 'bob', 'ann', 'cy'], key, { length: 12 }));
    expect(s.data.age).toBe(t.data.age);
    expect(s.numericColumns).toEqual(['age']);
    expect(s.columns).toEqual(t.columns);
    expect(s.rows).toBe(4);
    expect(s.toTensor(['age']).tolist()).toEqual([[34], [51], [34], [20]]);
    expectThrows(() => s.toTensor(), ArgumentError, 'column "id" is not numeric');
    // The input table is not changed.
    expect(Array.from(t.data.id as Float32Array)).toEqual([17, 22, 17, NaN]);
  });

  it('rows: new row objects, missing identifier cells left as they were', async () => {
    const rows = [{ id: 'a', x: 1 }, { id: null, x: 2 }, { x: 3 }];
    const s = await pseudonymizeColumns(rows, ['id'], key);
    const [a] = await pseudonymize(['a'], key);
    expect(s).toEqual([{ id: a, x: 1 }, { id: null, x: 2 }, { x: 3 }]);
    expect(rows[0].id).toBe('a');
  });

  it('an object of columns', async () => {
    const cols = { id: ['a', 'b'], x: [1, 2] };
    const s = await pseudonymizeColumns(cols, ['id'], key);
    expect(s.id).toEqual(await pseudonymize(['a', 'b'], key));
    expect(s.x).toBe(cols.x);
  });

  it('typed errors: unknown column with a hint, no columns, a table of another shape, unequal columns', async () => {
    await rejects(pseudonymizeColumns([{ patientId: 'a' }], ['patientid'], key), ArgumentError, "no row has a column 'patientid' (did you mean 'patientId'?)");
    await rejects(pseudonymizeColumns(parseCsv('a,b\n1,2\n'), ['c'], key), ArgumentError, "no column 'c'", 'the columns are a, b');
    await rejects(pseudonymizeColumns([{ a: 1 }], [], key), ArgumentError, 'columns must be an array of at least 1');
    await rejects(pseudonymizeColumns(42 as never, ['a'], key), ArgumentError, 'table must be an array of row objects, a CsvTable or an object of equally long columns, got 42');
    await rejects(pseudonymizeColumns([{ a: 1 }, 'row' as never], ['a'], key), ArgumentError, 'table[1] must be a row object');
    await rejects(pseudonymizeColumns({ a: [1, 2], b: [1] }, ['a'], key), ArgumentError, 'equally long');
    await rejects(pseudonymizeColumns([{ a: 1 }], ['a'], randomBytes(8)), ArgumentError, 'at least 16 bytes');
    await rejects(pseudonymizeColumns([{ a: [1] }], ['a'], key), ArgumentError, 'table[0].a must be a string, a finite number or a Uint8Array');
  });
});

describe('maskString', () => {
  it('keeps the first and last characters asked for; preserve keeps separators in place, uncounted', () => {
    expect(maskString('4111111111111234', { keepLast: 4 })).toBe('************1234');
    expect(maskString('4111 1111 1111 1234', { keepLast: 4, preserve: ' ' })).toBe('**** **** **** 1234');
    expect(maskString('alice@example.com', { keepFirst: 1, preserve: '@.' })).toBe('a****@*******.***');
    expect(maskString('secret')).toBe('******');
    expect(maskString('abcdef', { keepFirst: 2, keepLast: 1, char: '#' })).toBe('ab###f');
  });

  it('short strings: no more maskable characters than keepFirst + keepLast → masked whole; empty stays empty', () => {
    expect(maskString('abc', { keepFirst: 1, keepLast: 1 })).toBe('a*c');
    expect(maskString('ab', { keepFirst: 1, keepLast: 1 })).toBe('**');
    expect(maskString('a', { keepLast: 4 })).toBe('*');
    expect(maskString('1234', { keepLast: 4 })).toBe('****');
    expect(maskString('12345', { keepLast: 4 })).toBe('*2345');
    expect(maskString('', { keepLast: 4 })).toBe('');
    // Only separators: nothing to mask, nothing revealed but the separators.
    expect(maskString('--', { keepFirst: 1, preserve: '-' })).toBe('--');
    expect(maskString('1-2', { keepFirst: 1, preserve: '-' })).toBe('1-*');
    expect(maskString('1-2', { keepFirst: 1, keepLast: 1, preserve: '-' })).toBe('*-*');
  });

  it('unicode: code points, not UTF-16 units (an astral character is one), the mask char may be one as well', () => {
    expect(maskString('😀😁😂', { keepFirst: 1 })).toBe('😀**');
    expect(maskString('Zoë', { keepLast: 1, char: '•' })).toBe('••ë');
    expect(maskString('𝒜bc', { char: '🔒' })).toBe('🔒🔒🔒');
    // A combining accent is a code point of its own (NFD 'é' = e + U+0301).
    expect(maskString('Jose\u0301', { keepFirst: 1 })).toBe('J****');
    expect(maskString('日本語テキスト', { keepFirst: 2, keepLast: 1 })).toBe('日本****ト');
  });

  it('arrays map element-wise, null/undefined read as ""', () => {
    expect(maskString(['ab', null, 'abcd'], { keepFirst: 1 })).toEqual(['a*', '', 'a***']);
  });

  it('typed errors', () => {
    expectThrows(() => maskString(1234 as never), ArgumentError, 'maskString: value must be a string or an array of strings, got 1234');
    expectThrows(() => maskString([1234] as never), ArgumentError, 'maskString: value[0] must be a string (read such columns as text');
    expectThrows(() => maskString('x', { keep_first: 1 } as never), ArgumentError, "unknown option 'keep_first' (did you mean 'keepFirst'?)");
    expectThrows(() => maskString('x', { char: '**' }), ArgumentError, 'maskString: char must be one character, got "**"');
    expectThrows(() => maskString('x', { char: '' }), ArgumentError, 'char must be one character');
    expectThrows(() => maskString('x', { keepLast: -1 }), ArgumentError, 'keepLast must be an integer ≥ 0');
    expectThrows(() => maskString('x', { keepLast: 1.5 }), ArgumentError, 'keepLast must be an integer ≥ 0');
    expectThrows(() => maskString('x', { char: '-', preserve: ' -' }), ArgumentError, 'must not be among the preserved characters');
    expectThrows(() => maskString('x', 'all' as never), ArgumentError, 'maskString: options must be an object');
  });
});

describe('generalization', () => {
  it('width bins: boundaries belong to the bin above; negative values; width 1 labels one integer', () => {
    expect(generalize([29, 29.999, 30, 39, 39.999, 40], { width: 10 })).toEqual(['20–29', '20–29', '30–39', '30–39', '30–39', '40–49']);
    expect(generalize([-1, -10, -11, 0], { width: 10 })).toEqual(['-10–-1', '-10–-1', '-20–-11', '0–9']);
    expect(generalize([3, 3.5], { width: 1 })).toEqual(['3', '3']);
    expect(generalize([4, 5, 9, 10], { width: 5, origin: 5 })).toEqual(['0–4', '5–9', '5–9', '10–14']);
    expect(generalize(Float32Array.from([42, NaN]), { width: 10 })).toEqual(['40–49', '']);
  });

  it('fractional widths: every edge k·0.1 falls in the bin it opens despite float rounding', () => {
    const vs = Array.from({ length: 30 }, (_, k) => Number((k * 0.1).toPrecision(12)));
    const labels = generalize(vs, { width: 0.1 });
    for (let k = 0; k < 30; k++) expect(labels[k]).toBe(`[${vs[k]}, ${Number(((k + 1) * 0.1).toPrecision(12))})`);
    // Just below an edge stays below it.
    expect(generalize([0.3 - 1e-9, 0.7 - 1e-9], { width: 0.1 })).toEqual(['[0.2, 0.3)', '[0.6, 0.7)']);
    // 0.3 / 0.1 = 2.9999999999999996 in float64: a plain floor would put 0.3 in [0.2, 0.3).
    expect(0.3 / 0.1).toBeLessThan(3);
    expect(generalize([0.3], { width: 0.1 })).toEqual(['[0.3, 0.4)']);
  });

  it('top and bottom coding with width: tails get one label, the bins next to them are clipped', () => {
    expect(generalize([89, 90, 1e9, Infinity], { width: 10, top: 90 })).toEqual(['80–89', '90+', '90+', '90+']);
    expect(generalize([84, 85, 80], { width: 10, top: 85 })).toEqual(['80–84', '85+', '80–84']);
    expect(generalize([17, 18, 19, 20, -Infinity], { width: 10, bottom: 18 })).toEqual(['<18', '18–19', '18–19', '20–29', '<18']);
    expect(generalize([0.5, 0.05], { width: 0.1, bottom: 0.1, top: 0.5 })).toEqual(['0.5+', '<0.1']);
  });

  it('explicit bins: [eᵢ, eᵢ₊₁), tails below the first and from the last edge', () => {
    const edges = [0, 18, 65];
    expect(generalize([-1, 0, 17, 17.9, 18, 64, 65, 120], { bins: edges })).toEqual(['<0', '0–17', '0–17', '0–17', '18–64', '18–64', '65+', '65+']);
    expect(generalize([0.5, 1, 2.5], { bins: [1, 2.5] })).toEqual(['<1', '[1, 2.5)', '2.5+']);
    expect(generalize([64, 65], { bins: [65] })).toEqual(['<65', '65+']);
  });

  it('topCode caps values and keeps the column numeric; NaN stays', () => {
    expect(topCode([1, 90, 90.5, 1e12, NaN, -5], { top: 90 })).toEqual([1, 90, 90, 90, NaN, -5]);
    expect(topCode(Float32Array.from([3, 17, 40]), { bottom: 16, top: 35 })).toEqual([16, 17, 35]);
  });

  it('truncateDate: year, month, day; strings cut as written, Dates and milliseconds in UTC; missing → ""', () => {
    const d = new Date(Date.UTC(1999, 11, 31, 23, 59));
    expect(truncateDate(['1985-07-23', '1985-07', '1985', d, null, ''])).toEqual(['1985', '1985', '1985', '1999', '', '']);
    expect(truncateDate(['1985-07-23T23:30:00-05:00', d, Date.UTC(2000, 0, 1)], { to: 'month' })).toEqual(['1985-07', '1999-12', '2000-01']);
    expect(truncateDate(['1985-07-23 10:00', d, new Date(NaN), NaN], { to: 'day' })).toEqual(['1985-07-23', '1999-12-31', '', '']);
    expect(truncateDate([' 2001-02-03 '], { to: 'day' })).toEqual(['2001-02-03']);
  });

  it('truncateString: postcode prefixes, with or without fill', () => {
    expect(truncateString(['02138', 'SW1A 1AA', '9', '', null], { keep: 3 })).toEqual(['021', 'SW1', '9', '', '']);
    expect(truncateString(['02138', 'ab'], { keep: 2, fill: '*' })).toEqual(['02***', 'ab']);
    expect(truncateString(['Zoë😀x'], { keep: 4 })).toEqual(['Zoë😀']);
    expect(truncateString(['02138'], { keep: 0 })).toEqual(['']);
  });

  it('typed errors', () => {
    expectThrows(() => generalize(5 as never, { width: 10 }), ArgumentError, 'generalize: values must be an array of numbers or a typed array, got 5');
    expectThrows(() => generalize(['34'] as never, { width: 10 }), ArgumentError, 'values[0] must be a number, got "34"');
    expectThrows(() => generalize([1], {}), ArgumentError, 'give exactly one of options.width and options.bins');
    expectThrows(() => generalize([1], { width: 10, bins: [0] }), ArgumentError, 'exactly one');
    expectThrows(() => generalize([1], { width: 0 }), ArgumentError, 'width must be a finite number > 0, got 0');
    expectThrows(() => generalize([1], { bins: [0, 10, 10] }), ArgumentError, 'bins must be strictly ascending edges');
    expectThrows(() => generalize([1], { bins: [0, 10], top: 5 }), ArgumentError, 'go with width');
    expectThrows(() => generalize([1], { width: 10, top: 5, bottom: 5 }), ArgumentError, 'must be greater than options.bottom');
    expectThrows(() => generalize([Infinity], { width: 10 }), ArgumentError, 'values[0] is Infinity; give options.top or bottom');
    expectThrows(() => generalize([1e300], { width: 1e-300 }), ArgumentError, 'too far from origin');
    expectThrows(() => generalize([1], { widht: 10 } as never), ArgumentError, "unknown option 'widht' (did you mean 'width'?)");
    expectThrows(() => topCode([1], {}), ArgumentError, 'give options.top, options.bottom or both');
    expectThrows(() => topCode([1], { top: 1, bottom: 2 }), ArgumentError, 'must not be below');
    expectThrows(() => topCode('1' as never, { top: 1 }), ArgumentError, 'topCode: values must be an array');
    expectThrows(() => truncateDate('1985' as never), ArgumentError, 'truncateDate: values must be an array');
    expectThrows(() => truncateDate(['1985'], { to: 'month' }), ArgumentError, 'values[0] must be an ISO date string with at least a month (YYYY-MM), got "1985"');
    expectThrows(() => truncateDate(['23/07/1985']), ArgumentError, 'values[0] must be an ISO date string with at least a year');
    expectThrows(() => truncateDate(['1985-13-01'], { to: 'month' }), ArgumentError, 'a month 01–12');
    expectThrows(() => truncateDate(['1985-12-32']), ArgumentError, 'a day 01–31');
    expectThrows(() => truncateDate([1e20]), ArgumentError, 'values[0] must be a date');
    expectThrows(() => truncateDate([{}] as never), ArgumentError, 'values[0] must be a Date, an ISO date string or epoch milliseconds');
    expectThrows(() => truncateDate(['1985'], { to: 'week' } as never), ArgumentError, "to must be one of 'year', 'month', 'day'");
    expectThrows(() => truncateString([2138] as never, { keep: 3 }), ArgumentError, 'values[0] must be a string (read such columns as text, e.g. parseCsv\'s stringColumns, so leading zeros survive)');
    expectThrows(() => truncateString(['x'], {} as never), ArgumentError, 'options.keep (the number of characters kept) must be given');
    expectThrows(() => truncateString(['x'], { keep: 1, fill: 'ab' }), ArgumentError, 'fill must be one character');
  });
});

describe('k-anonymity and l-diversity', () => {
  // A generalized release (ages in decades, 3-digit zip prefixes), after Sweeney's example:
  //   class A rows 0-2 (30–39, 021, F): dx flu, cold, flu
  //   class B rows 3-4 (40–49, 021, M): hiv, hiv
  //   class C rows 5-6 (40–49, 100, M): flu, cancer
  //   class D row  7   (50–59, 100, F): flu
  const table = [
    { age: '30–39', zip: '021', sex: 'F', dx: 'flu' },
    { age: '30–39', zip: '021', sex: 'F', dx: 'cold' },
    { age: '30–39', zip: '021', sex: 'F', dx: 'flu' },
    { age: '40–49', zip: '021', sex: 'M', dx: 'hiv' },
    { age: '40–49', zip: '021', sex: 'M', dx: 'hiv' },
    { age: '40–49', zip: '100', sex: 'M', dx: 'flu' },
    { age: '40–49', zip: '100', sex: 'M', dx: 'cancer' },
    { age: '50–59', zip: '100', sex: 'F', dx: 'flu' },
  ];
  const qi = ['age', 'zip', 'sex'];
  const D = { values: { age: '50–59', zip: '100', sex: 'F' }, size: 1, rows: [7] };
  const B = { values: { age: '40–49', zip: '021', sex: 'M' }, size: 2, rows: [3, 4] };
  const C = { values: { age: '40–49', zip: '100', sex: 'M' }, size: 2, rows: [5, 6] };

  it('the hand-made table: k, class count, violating classes smallest first', () => {
    expect(kAnonymity(table, qi)).toEqual({ k: 1, classes: 4, violating: [D] });
    expect(kAnonymity(table, qi, { k: 3 })).toEqual({ k: 1, classes: 4, violating: [D, B, C] });
    expect(kAnonymity(table, qi, { k: 1 }).violating).toEqual([]);
    expect(kAnonymity(table, ['zip'])).toEqual({ k: 3, classes: 2, violating: [] });
    expect(kAnonymity(table, ['age']).k).toBe(1);
    expect(isKAnonymous(table, ['zip'], 3)).toBe(true);
    expect(isKAnonymous(table, ['zip'], 4)).toBe(false);
    expect(isKAnonymous(table, qi, 1)).toBe(true);
    expect(isKAnonymous(table, qi, 2)).toBe(false);
    // Dropping the one unique row makes it 2-anonymous.
    expect(isKAnonymous(table.slice(0, 7), qi, 2)).toBe(true);
  });

  it('l-diversity of the same table: distinct and entropy l, violating classes', () => {
    // Classes A..D hold 2, 1, 2, 1 distinct diagnoses; exp(H): A (2:1) = 3 / 2^(2/3), B = 1, C = 2, D = 1.
    const r = lDiversity(table, qi, 'dx');
    expect(r.l).toBe(1);
    expect(r.entropyL).toBe(1);
    expect(r.classes).toBe(4);
    expect(r.violating).toEqual([{ ...B, distinct: 1 }, { ...D, distinct: 1 }]);
    // Over zip alone: 021 holds flu ×2, cold, hiv ×2 (3 distinct), 100 holds flu ×2, cancer (2 distinct).
    const z = lDiversity(table, ['zip'], 'dx', { l: 3 });
    expect(z.l).toBe(2);
    expect(z.entropyL).toBeCloseTo(3 / 2 ** (2 / 3), 12);
    expect(z.violating.map((c) => [c.values.zip, c.distinct])).toEqual([['100', 2]]);
    const uniform = lDiversity([{ q: 1, s: 'a' }, { q: 1, s: 'b' }, { q: 1, s: 'c' }], ['q'], 's');
    expect(uniform.entropyL).toBe(3);
  });

  it('the three table shapes give the same answer', () => {
    const csv = parseCsv(['age,zip,sex,dx', ...table.map((r) => [r.age, r.zip, r.sex, r.dx].join(','))].join('\n'), { stringColumns: ['zip'] });
    const cols = { age: table.map((r) => r.age), zip: table.map((r) => r.zip), sex: table.map((r) => r.sex), dx: table.map((r) => r.dx) };
    const want = kAnonymity(table, qi, { k: 3 });
    expect(kAnonymity(csv, qi, { k: 3 })).toEqual(want);
    expect(kAnonymity(cols, qi, { k: 3 })).toEqual(want);
    expect(lDiversity(csv, qi, 'dx')).toEqual(lDiversity(table, qi, 'dx'));
  });

  it('with generalize and truncateString on raw columns', () => {
    const age = Float32Array.from([31, 35, 38, 41, 44, 47, 48, 52]);
    const zip = ['02138', '02139', '02141', '02134', '02135', '10001', '10002', '10003'];
    const gen = { age: generalize(age, { width: 10 }), zip: truncateString(zip, { keep: 3 }) };
    expect(kAnonymity({ age, zip }, ['age', 'zip']).k).toBe(1);
    expect(kAnonymity(gen, ['age', 'zip'])).toEqual({
      k: 1, classes: 4, violating: [{ values: { age: '50–59', zip: '100' }, size: 1, rows: [7] }],
    });
  });

  it('values compare by type and value; every missing value is one value; numbers from typed arrays', () => {
    const rows = [{ a: 42 }, { a: '42' }, { a: null }, { a: '' }, { a: NaN }, {}, { a: true }, { a: 1n }, { a: new Date(0) }, { a: new Date(0) }];
    const r = kAnonymity(rows, ['a'], { k: 3 });
    expect(r.classes).toBe(6);
    expect(r.k).toBe(1);
    const missing = kAnonymity(rows, ['a'], { k: 5 }).violating.find((c) => c.values.a === null);
    expect(missing).toEqual({ values: { a: null }, size: 4, rows: [2, 3, 4, 5] });
    expect(kAnonymity({ x: Float32Array.from([1, 1, 2, NaN, NaN]) }, ['x']).violating).toEqual([{ values: { x: 2 }, size: 1, rows: [2] }]);
  });

  it('k is the smallest class size, checked against a pairwise count on random tables', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ a: fc.constantFrom('x', 'y', null), b: fc.integer({ min: 0, max: 2 }), c: fc.constantFrom('p', 'q') }), { minLength: 1, maxLength: 25 }),
      fc.integer({ min: 1, max: 6 }),
      (rows, target) => {
        const same = (i: number, j: number) => rows[i].a === rows[j].a && rows[i].b === rows[j].b;
        const sizes = rows.map((_, i) => rows.filter((__, j) => same(i, j)).length);
        const r = kAnonymity(rows, ['a', 'b'], { k: target });
        expect(r.k).toBe(Math.min(...sizes));
        expect(r.violating.reduce((s, c) => s + c.size, 0)).toBe(sizes.filter((s) => s < target).length);
        expect(isKAnonymous(rows, ['a', 'b'], target)).toBe(Math.min(...sizes) >= target);
        const distinct = rows.map((_, i) => new Set(rows.filter((__, j) => same(i, j)).map((r2) => r2.c)).size);
        expect(lDiversity(rows, ['a', 'b'], 'c').l).toBe(Math.min(...distinct));
      },
    ), { numRuns: 100 });
  });

  it('typed errors', () => {
    expectThrows(() => kAnonymity('rows' as never, qi), ArgumentError, 'kAnonymity: rows must be an array of row objects, a CsvTable or an object of equally long columns, got "rows"');
    expectThrows(() => kAnonymity([], qi), ArgumentError, "no row has a column 'age'");
    expectThrows(() => kAnonymity({ age: [] }, ['age']), ArgumentError, 'rows must hold at least one row');
    expectThrows(() => kAnonymity(table, ['zipcode']), ArgumentError, "kAnonymity: quasiIdentifiers: no row has a column 'zipcode'");
    expectThrows(() => kAnonymity(table, ['Sex']), ArgumentError, "(did you mean 'sex'?)");
    expectThrows(() => kAnonymity(table, []), ArgumentError, 'quasiIdentifiers must be an array of at least 1');
    expectThrows(() => kAnonymity(table, 'zip' as never), ArgumentError, 'quasiIdentifiers must be an array');
    expectThrows(() => kAnonymity([{ a: { nested: 1 } }], ['a']), ArgumentError, 'rows[0].a must be a string, number, boolean, bigint, Date, null or undefined');
    expectThrows(() => kAnonymity(table, qi, { k: 0 }), ArgumentError, 'k must be an integer ≥ 1, got 0');
    expectThrows(() => kAnonymity(table, qi, { K: 2 } as never), ArgumentError, "unknown option 'K' (did you mean 'k'?)");
    expectThrows(() => isKAnonymous(table, qi, 2.5), ArgumentError, 'isKAnonymous: k must be an integer ≥ 1, got 2.5');
    expectThrows(() => isKAnonymous(table, qi, undefined as never), ArgumentError, 'isKAnonymous: k must be an integer');
    expectThrows(() => lDiversity(table, qi, 'diagnosis'), ArgumentError, "lDiversity: sensitive: no row has a column 'diagnosis'");
    expectThrows(() => lDiversity(table, qi, 'zip'), ArgumentError, "sensitive column 'zip' is also a quasi-identifier");
    expectThrows(() => lDiversity(table, qi, 'dx', { l: -1 }), ArgumentError, 'l must be an integer ≥ 1');
  });
});
