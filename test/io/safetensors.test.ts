import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  inspectSafetensors, loadSafetensors, saveSafetensors, MAX_HEADER_BYTES, MAX_TENSORS, type TypedTensor,
} from '../../src/io/index';
import { compareCodePoints } from '../../src/io/safetensors';
import { parseJsonStrict } from '../../src/io/json';
import { Linear, ReLU, Sequential } from '../../src/nn/index';
import { ArgumentError, FormatError, Generator, Tensor, tensor, zeros } from '../../src/tensor/index';
import { expectClose } from '../helpers/check';

const FIXTURES = resolve(__dirname, '../fixtures');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(resolve(FIXTURES, name)));

/** Builds a file by hand: header JSON text (unpadded unless the caller pads) and data bytes. */
function rawFile(header: string, data: ArrayLike<number> = [], declaredN?: number): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  const dv = new DataView(out.buffer);
  const n = declaredN ?? h.length;
  dv.setUint32(0, n % 2 ** 32, true);
  dv.setUint32(4, Math.floor(n / 2 ** 32), true);
  out.set(h, 8);
  out.set(Array.from(data), 8 + h.length);
  return out;
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (!(e instanceof FormatError)) throw new Error(`expected a FormatError, got ${String(e)}`);
    return e.code;
  }
  throw new Error('expected a FormatError, nothing was thrown');
}

const f32bytes = (xs: number[]): number[] => Array.from(new Uint8Array(new Float32Array(xs).buffer));

describe('saveSafetensors: the reference layout, byte for byte', () => {
  it('matches the reference test vector of safetensors/src/tensor.rs (test_serialization)', () => {
    const out = saveSafetensors({ 'attn.0': new Tensor(new Float32Array([0, 1, 2, 3, 4, 5]), [1, 2, 3]) });
    expect(Array.from(out)).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
      116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
      58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
      101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
      0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
  });

  it('pads the header with spaces to 8 bytes (test_serialization_forced_alignement)', () => {
    const out = saveSafetensors({ attn0: new Tensor(new Float32Array([0, 1, 2, 3, 4, 5]), [1, 1, 2, 3]) });
    expect(Array.from(out.subarray(0, 8))).toEqual([72, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(out.subarray(73, 80))).toEqual([32, 32, 32, 32, 32, 32, 32]);
    expect(out.length).toBe(8 + 72 + 24);
  });

  it('writes an empty file as {} plus six spaces, and metadata first (test_empty)', () => {
    expect(Array.from(saveSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(Array.from(saveSafetensors({}, { framework: 'pt' }))).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
      95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
      116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
  });

  it('orders tensors by dtype alignment descending, then name by UTF-8 bytes', () => {
    const bytes = saveSafetensors({
      b: tensor([1]), a: tensor([2]), m: { dtype: 'BOOL', shape: [1], data: new Uint8Array([1]) },
      i: { dtype: 'I64', shape: [1], data: new Float64Array([5]) }, h: { dtype: 'F16', shape: [1], data: new Float32Array([1]) },
      'q😀': tensor([3]), 'q\uff21': tensor([4]),
    });
    expect(Object.keys(inspectSafetensors(bytes).tensors)).toEqual(['i', 'a', 'b', 'q\uff21', 'q😀', 'h', 'm']);
  });

  it('compares names by code point, which is UTF-8 byte order (not UTF-16 order)', () => {
    const names = ['q😀', 'q\uff21', 'q', 'qa', 'é', 'z', '\u{10000}', '\ud7ff'];
    const byBytes = [...names].sort((a, b) => {
      const x = new TextEncoder().encode(a);
      const y = new TextEncoder().encode(b);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
      return x.length - y.length;
    });
    expect([...names].sort(compareCodePoints)).toEqual(byBytes);
  });
});

describe('round trips', () => {
  const rng = new Generator(7);
  it('every dtype comes back with its exact values', () => {
    const t = new Tensor(rng.fillNormal(new Float32Array(12), 0, 3), [3, 4]);
    const inputs: Record<string, Tensor | TypedTensor> = {
      f32: t,
      scalar: tensor(1.5),
      empty: new Tensor(new Float32Array(0), [2, 0, 3]),
      f64: { dtype: 'F64', shape: [3], data: new Float64Array([0.1, -2, 1e300]) },
      f16: { dtype: 'F16', shape: [4], data: new Float32Array([1, -0.5, 65504, 2 ** -24]) },
      bf16: { dtype: 'BF16', shape: [3], data: new Float32Array([1, -2, 0.15625]) },
      i8: { dtype: 'I8', shape: [3], data: new Int8Array([-128, 0, 127]) },
      u8: { dtype: 'U8', shape: [2], data: new Uint8Array([0, 255]) },
      i16: { dtype: 'I16', shape: [2], data: new Int16Array([-32768, 32767]) },
      u16: { dtype: 'U16', shape: [2], data: new Uint16Array([0, 65535]) },
      i32: { dtype: 'I32', shape: [2, 1], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) },
      u32: { dtype: 'U32', shape: [1], data: new Uint32Array([2 ** 32 - 1]) },
      i64: { dtype: 'I64', shape: [4], data: new Float64Array([-(2 ** 53), -1, 0, 2 ** 53]) },
      i64big: { dtype: 'I64', shape: [2], data: new BigInt64Array([-5n, 2n ** 40n]) },
      u64: { dtype: 'U64', shape: [2], data: new Float64Array([0, 2 ** 53]) },
      u64big: { dtype: 'U64', shape: [1], data: new BigUint64Array([123n]) },
      bool: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
    };
    const { tensors, metadata } = loadSafetensors(saveSafetensors(inputs, { a: '1', 'ключ': 'значение' }));
    expect(metadata).toEqual({ a: '1', 'ключ': 'значение' });
    const T = (k: string): Tensor => tensors[k] as Tensor;
    const A = (k: string): TypedTensor => tensors[k] as TypedTensor;
    expect(T('f32')).toBeInstanceOf(Tensor);
    expect(T('f32').shape).toEqual([3, 4]);
    expect(Array.from(T('f32').data)).toEqual(Array.from(t.data));
    expect(T('scalar').shape).toEqual([]);
    expect(T('scalar').item()).toBe(1.5);
    expect(T('empty').shape).toEqual([2, 0, 3]);
    // F64 loads as float32: each value rounded once.
    expect(Array.from(T('f64').data)).toEqual([Math.fround(0.1), -2, Infinity]);
    expect(Array.from(T('f16').data)).toEqual([1, -0.5, 65504, 2 ** -24]);
    expect(Array.from(T('bf16').data)).toEqual([1, -2, 0.15625]);
    const ints: [string, string, ArrayLike<number>][] = [
      ['i8', 'Int8Array', [-128, 0, 127]], ['u8', 'Uint8Array', [0, 255]], ['i16', 'Int16Array', [-32768, 32767]],
      ['u16', 'Uint16Array', [0, 65535]], ['i32', 'Int32Array', [-(2 ** 31), 2 ** 31 - 1]], ['u32', 'Uint32Array', [2 ** 32 - 1]],
      ['i64', 'Float64Array', [-(2 ** 53), -1, 0, 2 ** 53]], ['i64big', 'Float64Array', [-5, 2 ** 40]],
      ['u64', 'Float64Array', [0, 2 ** 53]], ['u64big', 'Float64Array', [123]], ['bool', 'Uint8Array', [1, 0, 1]],
    ];
    for (const [k, cls, vals] of ints) {
      expect(A(k).data.constructor.name, k).toBe(cls);
      expect(Array.from(A(k).data as ArrayLike<number>), k).toEqual(Array.from(vals));
      expect(A(k).dtype, k).toBe(inputs[k] instanceof Tensor ? 'F32' : (inputs[k] as TypedTensor).dtype);
    }
    expect(A('i32').shape).toEqual([2, 1]);
  });

  it('loaded typed tensors save back to identical bytes', () => {
    const inputs: Record<string, TypedTensor> = {
      a: { dtype: 'I64', shape: [2], data: new Float64Array([-3, 9]) },
      b: { dtype: 'U16', shape: [1], data: new Uint16Array([9]) },
      c: { dtype: 'BOOL', shape: [2], data: new Uint8Array([0, 1]) },
    };
    const bytes = saveSafetensors(inputs);
    expect(saveSafetensors(loadSafetensors(bytes).tensors)).toEqual(bytes);
  });

  it('reads from a Uint8Array at any byte offset (no alignment assumption)', () => {
    const bytes = saveSafetensors({ w: tensor([1, 2, 3]), d: { dtype: 'F64', shape: [1], data: new Float64Array([4]) } });
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const { tensors } = loadSafetensors(shifted.subarray(3));
    expect((tensors.w as Tensor).toArray()).toEqual([1, 2, 3]);
    expect((tensors.d as Tensor).toArray()).toEqual([4]);
  });

  it('a state dict round-trips and the output of the model is unchanged', () => {
    const net = new Sequential(new Linear(3, 4, { rng: new Generator(1) }), new ReLU(), new Linear(4, 2, { rng: new Generator(2) }));
    const x = new Tensor(new Generator(3).fillNormal(new Float32Array(15), 0, 1), [5, 3]);
    const y = net.forward(x);
    const copy = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));
    copy.loadStateDict(loadSafetensors(saveSafetensors(net.stateDict())).tensors as Record<string, Tensor>);
    expect(Array.from(copy.forward(x).data)).toEqual(Array.from(y.data));
  });
});

describe('files written by the PyTorch script (test/fixtures/gen_safetensors.py)', () => {
  const bytes = fixture('dtypes.safetensors');
  const { tensors, metadata } = loadSafetensors(bytes);
  const T = (k: string): Tensor => tensors[k] as Tensor;
  const A = (k: string): number[] => Array.from((tensors[k] as TypedTensor).data as ArrayLike<number>);

  it('loads every dtype to the values torch wrote', () => {
    expect(metadata).toEqual({ framework: 'pt', note: 'unicode ✓ "quoted"\n' });
    expect(T('weight').shape).toEqual([3, 4]);
    expect(T('scalar').shape).toEqual([]);
    expect(T('scalar').item()).toBe(2.5);
    expect(T('empty').shape).toEqual([0, 3]);
    expect(T('f64').toArray()).toEqual([0.5, -1.25, 3, 2 ** 100, 2 ** -60]);
    expect(A('i8')).toEqual([-128, -1, 0, 1, 127]);
    expect(A('u8')).toEqual([0, 1, 128, 255]);
    expect(A('i16')).toEqual([-32768, -2, 0, 3, 32767]);
    expect(A('u16')).toEqual([0, 1, 65535]);
    expect(A('i32')).toEqual([-2147483648, -1, 0, 1, 7, 2147483647]);
    expect((tensors.i32 as TypedTensor).shape).toEqual([2, 3]);
    expect(A('u32')).toEqual([0, 4294967295]);
    expect(A('i64')).toEqual([-(2 ** 53), -1, 0, 42, 2 ** 53]);
    expect(A('u64')).toEqual([0, 2 ** 53]);
    expect(A('mask')).toEqual([1, 0, 1]);
    expect(T('émoji😀').toArray()).toEqual([1]);
    expect(T('q\uff21').toArray()).toEqual([6]);
  });

  it("converts float32 to F16 and BF16 exactly as torch's casts do (subnormals, ties, overflow, Inf, NaN)", () => {
    for (const [dt, src, cast] of [['F16', 'f16_source', 'f16'], ['BF16', 'bf16_source', 'bf16']] as const) {
      const ours = loadSafetensors(saveSafetensors({ x: { dtype: dt, shape: T(src).shape, data: T(src).data } })).tensors.x as Tensor;
      // Bit for bit, except NaN payloads: torch's vectorized CPU cast writes bfloat16 NaN as 0xFFFF,
      // its scalar cast (and tensorkit) as 0x7FC0; both are NaN.
      const a = Array.from(new Uint32Array(ours.data.buffer), (x, i) => (Number.isNaN(ours.data[i]) ? 'NaN' : x));
      const b = Array.from(new Uint32Array(T(cast).data.buffer), (x, i) => (Number.isNaN(T(cast).data[i]) ? 'NaN' : x));
      expect(a, dt).toEqual(b);
      expect(a.filter((x) => x === 'NaN').length, dt).toBe(1);
    }
    // Spot values: 65520 overflows to Inf; 2^−25 is a tie that rounds to even 0; 3·2^−26 rounds up to 2^−24.
    const f16 = T('f16').toArray();
    expect(f16[5]).toBe(Infinity);
    expect(f16[9]).toBe(0);
    expect(f16[10]).toBe(2 ** -24);
    expect(Number.isNaN(f16[20])).toBe(true);
  });

  it('saveSafetensors on the same tensors reproduces the file byte for byte', () => {
    const info = inspectSafetensors(bytes).tensors;
    const again: Record<string, Tensor | TypedTensor> = {};
    for (const [name, t] of Object.entries(tensors)) {
      const dtype = info[name].dtype;
      if (t instanceof Tensor) {
        again[name] = dtype === 'F32' ? t
          : dtype === 'F64' ? { dtype, shape: t.shape, data: new Float64Array(t.data) }
            : { dtype, shape: t.shape, data: t.data };
      } else again[name] = t;
    }
    expect(Buffer.from(saveSafetensors(again, metadata)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('loads a torch.nn.Sequential state dict into ours and gives the same outputs', () => {
    const { tensors: sd } = loadSafetensors(fixture('torch_mlp.safetensors'));
    const net = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
    const { '__io__.x': x, '__io__.y': y, ...weights } = sd as Record<string, Tensor>;
    net.loadStateDict(weights);
    expectClose(net.forward(x).data, y.data, 1e-6, 1e-5);
  });
});

describe('the safe loader rejects each malformed file with its own code', () => {
  const good = saveSafetensors({ a: tensor([1, 2]), b: tensor([3]) }, { k: 'v' });
  const entry = (o: string, dtype = 'F32', shape = '[1]'): string => `{"dtype":"${dtype}","shape":${shape},"data_offsets":${o}}`;

  it('accepts the good file', () => {
    expect(Object.keys(loadSafetensors(good).tensors)).toEqual(['a', 'b']);
  });

  it('TRUNCATED: fewer than 8 bytes, a header past the end, data shorter than the offsets', () => {
    expect(codeOf(() => loadSafetensors(new Uint8Array(0)))).toBe('TRUNCATED');
    expect(codeOf(() => loadSafetensors(good.subarray(0, 7)))).toBe('TRUNCATED');
    expect(codeOf(() => loadSafetensors(good.subarray(0, 20)))).toBe('TRUNCATED');
    expect(codeOf(() => loadSafetensors(good.subarray(0, good.length - 1)))).toBe('TRUNCATED');
    expect(codeOf(() => loadSafetensors(rawFile('{}', [], 2 ** 20)))).toBe('TRUNCATED');
  });

  it('HEADER_TOO_LARGE: over 100 MB, or a length with high bits set, before any allocation', () => {
    expect(codeOf(() => loadSafetensors(rawFile('{}', [], MAX_HEADER_BYTES + 1)))).toBe('HEADER_TOO_LARGE');
    expect(codeOf(() => loadSafetensors(rawFile('{}', [], 2 ** 63)))).toBe('HEADER_TOO_LARGE');
    expect(codeOf(() => loadSafetensors(rawFile('{}', [], 2 ** 32 + 2)))).toBe('HEADER_TOO_LARGE');
  });

  it('HEADER_TOO_LARGE: more than MAX_TENSORS entries, counted before parsing (a million tiny entries would need ~20× the file)', () => {
    const entries = (n: number): string => {
      const parts = new Array<string>(n);
      for (let i = 0; i < n; i++) parts[i] = `"${i.toString(36)}":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}`;
      return parts.join(',');
    };
    const over = rawFile(`{${entries(MAX_TENSORS + 2)}}`);
    let err: unknown = null;
    try {
      loadSafetensors(over);
    } catch (e) {
      err = e;
    }
    expect((err as FormatError).code).toBe('HEADER_TOO_LARGE');
    expect((err as Error).message).toContain(`declares ${MAX_TENSORS + 2} entries, over the ${MAX_TENSORS}-tensor limit`);
    expect(codeOf(() => inspectSafetensors(over))).toBe('HEADER_TOO_LARGE');
    // The one spare entry of the pre-scan is for __metadata__; a tensor in its place is refused after parsing.
    const oneOver = rawFile(`{${entries(MAX_TENSORS + 1)}}`);
    expect(codeOf(() => inspectSafetensors(oneOver))).toBe('HEADER_TOO_LARGE');
    // Braces inside strings (names, metadata) are not entries; __metadata__ does not count against the limit.
    const braces = '{['.repeat(MAX_TENSORS);
    const ok = loadSafetensors(rawFile(`{"__metadata__":{"k":"${braces}"},"${braces}":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, [7]));
    expect(ok.metadata.k).toBe(braces);
    expect(Object.keys(ok.tensors)).toEqual([braces]);
  });

  it('saveSafetensors refuses more than MAX_TENSORS tensors, so every file it writes loads back', () => {
    const many: Record<string, Tensor> = {};
    const empty = zeros([0]);
    for (let i = 0; i <= MAX_TENSORS; i++) many[i.toString(36)] = empty;
    expect(() => saveSafetensors(many)).toThrow(ArgumentError);
    expect(() => saveSafetensors(many)).toThrow(`${MAX_TENSORS + 1} tensors is over the ${MAX_TENSORS}`);
  });

  it('BAD_JSON: invalid UTF-8, a BOM, invalid JSON, NaN literals, trailing commas, deep nesting', () => {
    const bad = rawFile('{"a":1}');
    bad[10] = 0xff;
    expect(codeOf(() => loadSafetensors(bad))).toBe('BAD_JSON');
    expect(codeOf(() => loadSafetensors(rawFile('\ufeff{}')))).toBe('BAD_JSON');
    for (const h of ['{', '{"a":}', '{"a":NaN}', '{"a":[1,]}', "{'a':1}", '{} x', '{"a":01}', '{"a":"\\x"}', '{"a":"\u0001"}', '{"a":"\\ud800"}', '[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]', '']) {
      expect(codeOf(() => loadSafetensors(rawFile(h))), h).toBe('BAD_JSON');
    }
  });

  it('DUPLICATE_KEY and FORBIDDEN_KEY: JSON.parse would silently keep the last one', () => {
    const dup = `{"a":${entry('[0,4]')},"a":${entry('[4,8]')}}`;
    expect(JSON.parse(dup).a.data_offsets).toEqual([4, 8]);
    expect(codeOf(() => loadSafetensors(rawFile(dup, new Array(8).fill(0))))).toBe('DUPLICATE_KEY');
    expect(codeOf(() => loadSafetensors(rawFile(`{"a":{"dtype":"F32","dtype":"I32","shape":[1],"data_offsets":[0,4]}}`, [0, 0, 0, 0])))).toBe('DUPLICATE_KEY');
    expect(codeOf(() => loadSafetensors(rawFile(`{"__metadata__":{"x":"1","x":"2"}}`)))).toBe('DUPLICATE_KEY');
    // An escaped spelling of the same key is the same key.
    expect(codeOf(() => loadSafetensors(rawFile(`{"ab":${entry('[0,4]')},"a\\u0062":${entry('[4,8]')}}`, new Array(8).fill(0))))).toBe('DUPLICATE_KEY');
    expect(codeOf(() => loadSafetensors(rawFile(`{"__proto__":${entry('[0,4]')}}`, [0, 0, 0, 0])))).toBe('FORBIDDEN_KEY');
    expect(codeOf(() => loadSafetensors(rawFile(`{"__metadata__":{"__proto__":"x"}}`)))).toBe('FORBIDDEN_KEY');
    expect(codeOf(() => loadSafetensors(rawFile(`{"__pro\\u0074o__":${entry('[0,4]')}}`, [0, 0, 0, 0])))).toBe('FORBIDDEN_KEY');
  });

  it('BAD_HEADER: not an object, an entry that is not { dtype, shape, data_offsets }', () => {
    for (const h of ['[]', '1', '"x"', 'null', '{"a":1}', '{"a":{"dtype":"F32","shape":[1]}}', `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}`]) {
      expect(codeOf(() => loadSafetensors(rawFile(h, h.includes('[0,4]') ? [0, 0, 0, 0] : []))), h).toBe('BAD_HEADER');
    }
  });

  it('BAD_DTYPE: unknown, FP8, lower-case or non-string dtypes, and names on Object.prototype', () => {
    for (const dt of ['F128', 'F8_E4M3', 'f32', 'constructor', '__proto__', 'toString']) {
      expect(codeOf(() => loadSafetensors(rawFile(`{"a":${entry('[0,1]', dt)}}`, [0]))), dt).toBe('BAD_DTYPE');
    }
    expect(codeOf(() => loadSafetensors(rawFile(`{"a":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}`, [0, 0, 0, 0])))).toBe('BAD_DTYPE');
  });

  it('BAD_SHAPE: negative, fractional, unsafe, non-numeric dims; products past 2^53', () => {
    for (const s of ['[-1]', '[1.5]', '[9007199254740993]', '["1"]', '[null]', '1', '[-0]', '[4294967296,4294967296,4294967296]']) {
      expect(codeOf(() => loadSafetensors(rawFile(`{"a":${entry('[0,4]', 'F32', s)}}`, [0, 0, 0, 0]))), s).toBe('BAD_SHAPE');
    }
  });

  it('SIZE_MISMATCH: byte length ≠ product(shape) · itemsize', () => {
    expect(codeOf(() => loadSafetensors(rawFile(`{"a":${entry('[0,8]', 'F32', '[3]')}}`, new Array(8).fill(0))))).toBe('SIZE_MISMATCH');
    expect(codeOf(() => loadSafetensors(rawFile(`{"a":${entry('[0,2]', 'F16', '[2]')}}`, [0, 0])))).toBe('SIZE_MISMATCH');
    // A zero-sized tensor must have empty offsets.
    expect(codeOf(() => loadSafetensors(rawFile(`{"a":${entry('[0,4]', 'F32', '[0,5]')}}`, [0, 0, 0, 0])))).toBe('SIZE_MISMATCH');
  });

  it('BAD_OFFSETS: overlaps, gaps, a first tensor not at 0, end before begin, malformed pairs', () => {
    const cases: [string, number][] = [
      [`{"a":${entry('[0,4]')},"b":${entry('[2,6]')}}`, 8], // overlap
      [`{"a":${entry('[0,4]')},"b":${entry('[0,4]')}}`, 8], // same bytes twice
      [`{"a":${entry('[0,4]')},"b":${entry('[8,12]')}}`, 12], // gap
      [`{"a":${entry('[4,8]')}}`, 8], // not starting at 0
      [`{"a":${entry('[4,0]')}}`, 4],
      [`{"a":${entry('[0]')}}`, 4],
      [`{"a":${entry('[0,4,8]')}}`, 8],
      [`{"a":${entry('[0,-4]')}}`, 4],
      [`{"a":${entry('[0,4.5]')}}`, 4],
      [`{"a":${entry('"0,4"')}}`, 4],
    ];
    for (const [h, n] of cases) expect(codeOf(() => loadSafetensors(rawFile(h, new Array(n).fill(0)))), h).toBe('BAD_OFFSETS');
    // Header order does not matter as long as the sorted offsets tile the data (as the reference reader).
    const swapped = rawFile(`{"b":${entry('[4,8]')},"a":${entry('[0,4]')}}`, f32bytes([1, 2]));
    expect(Object.keys(loadSafetensors(swapped).tensors)).toEqual(['a', 'b']);
  });

  it('TRAILING_BYTES: anything after the last tensor', () => {
    const extra = new Uint8Array(good.length + 1);
    extra.set(good);
    expect(codeOf(() => loadSafetensors(extra))).toBe('TRAILING_BYTES');
    expect(codeOf(() => loadSafetensors(rawFile('{}', [0])))).toBe('TRAILING_BYTES');
  });

  it('BAD_METADATA: __metadata__ not an object of strings', () => {
    for (const m of ['[]', '"x"', '{"a":1}', '{"a":null}', '{"a":["x"]}', '{"a":{"b":"c"}}', '{"a":true}']) {
      expect(codeOf(() => loadSafetensors(rawFile(`{"__metadata__":${m}}`))), m).toBe('BAD_METADATA');
    }
  });

  it('BAD_VALUE: I64/U64 beyond ±2^53, BOOL bytes other than 0 and 1', () => {
    const i64 = (lo: number, hi: number): number[] => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setUint32(0, lo, true);
      new DataView(b.buffer).setUint32(4, hi, true);
      return Array.from(b);
    };
    const file = (dt: string, data: number[]): Uint8Array => rawFile(`{"a":${entry(`[0,${data.length}]`, dt, `[${data.length / (dt === 'BOOL' ? 1 : 8)}]`)}}`, data);
    expect(codeOf(() => loadSafetensors(file('I64', i64(1, 0x200000))))).toBe('BAD_VALUE'); // 2^53 + 1
    expect(codeOf(() => loadSafetensors(file('I64', i64(0xffffffff, 0xffdfffff))))).toBe('BAD_VALUE'); // −2^53 − 1
    expect(codeOf(() => loadSafetensors(file('U64', i64(0, 0x80000000))))).toBe('BAD_VALUE'); // 2^63
    expect((loadSafetensors(file('I64', i64(0, 0xffe00000))).tensors.a as TypedTensor).data[0]).toBe(-(2 ** 53));
    expect((loadSafetensors(file('U64', i64(0, 0x200000))).tensors.a as TypedTensor).data[0]).toBe(2 ** 53);
    expect(codeOf(() => loadSafetensors(file('BOOL', [0, 2])))).toBe('BAD_VALUE');
  });

  it('is not fooled by huge shapes with tiny files: sizes are checked before allocating', () => {
    // 2^31 F32 elements would be 8 GiB; the offsets claim 8 bytes.
    expect(codeOf(() => loadSafetensors(rawFile(`{"a":${entry('[0,8]', 'F32', '[65536,32768]')}}`, new Array(8).fill(0))))).toBe('SIZE_MISMATCH');
    expect(codeOf(() => loadSafetensors(rawFile(`{"a":${entry('[0,8589934592]', 'F32', '[65536,32768]')}}`, new Array(8).fill(0))))).toBe('TRUNCATED');
  });
});

describe('saveSafetensors argument checks', () => {
  it('refuses reserved names, bad dtypes and mismatched data', () => {
    const bad: [Record<string, unknown>, Record<string, unknown>?][] = [
      [{ __metadata__: tensor([1]) }],
      [JSON.parse('{"__proto__": 1}') as Record<string, unknown>],
      [{ 'a\ud800': tensor([1]) }],
      [{ a: { dtype: 'F8', shape: [1], data: new Float32Array(1) } }],
      [{ a: { dtype: 'F32', shape: [2], data: new Float32Array(1) } }],
      [{ a: { dtype: 'I32', shape: [1], data: new Float32Array(1) } }],
      [{ a: { dtype: 'BOOL', shape: [1], data: new Uint8Array([2]) } }],
      [{ a: { dtype: 'I64', shape: [1], data: new Float64Array([0.5]) } }],
      [{ a: { dtype: 'I64', shape: [1], data: new Float64Array([2 ** 53 + 2]) } }],
      [{ a: { dtype: 'U64', shape: [1], data: new Float64Array([-1]) } }],
      [{ a: { dtype: 'F32', shape: [-1], data: new Float32Array(0) } }],
      [{ a: null }],
      [{}, { k: 1 }],
    ];
    for (const [t, m] of bad) {
      expect(() => saveSafetensors(t as Record<string, Tensor>, m as Record<string, string>), JSON.stringify(Object.keys(t))).toThrow(/saveSafetensors/);
    }
  });
});

describe('parseJsonStrict', () => {
  it('agrees with JSON.parse on valid documents', () => {
    for (const s of ['{"a":[1,-2.5e3,0.1,true,false,null,"x\\n\\u00e9\\ud83d\\ude00"]}', ' [ ] ', '"s"', '-0', '1E+2', '{"":{}}']) {
      expect(parseJsonStrict(s)).toEqual(JSON.parse(s));
    }
  });
  it('returns objects whose keys cannot touch prototypes', () => {
    const o = parseJsonStrict('{"constructor":1,"toString":2}') as Record<string, number>;
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(Object.keys(o)).toEqual(['constructor', 'toString']);
  });
});
