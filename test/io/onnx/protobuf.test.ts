import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_PROTO_DEPTH, ProtoReader, ProtoWriter } from '../../../src/io/onnx/protobuf';
import { FormatError, type TensorkitError } from '../../../src/tensor/index';
import { expectThrows } from '../../helpers/check';

/** FormatError's constructor takes (message, code), so it goes to expectThrows through this cast. */
const FORMAT = FormatError as unknown as typeof TensorkitError;

type Field =
  | { k: 'int'; field: number; v: bigint }
  | { k: 'float'; field: number; v: number }
  | { k: 'double'; field: number; v: number }
  | { k: 'fixed32'; field: number; v: number }
  | { k: 'fixed64'; field: number; v: bigint }
  | { k: 'string'; field: number; v: string }
  | { k: 'bytes'; field: number; v: Uint8Array }
  | { k: 'ints'; field: number; v: number[] }
  | { k: 'floats'; field: number; v: number[] }
  | { k: 'msg'; field: number; v: Field[] };

const fieldNo = fc.integer({ min: 1, max: 0x1fffffff });
const f32 = fc.float({ noNaN: true }).map((v) => Math.fround(v));
const leaf: fc.Arbitrary<Field> = fc.oneof(
  fc.record({ k: fc.constant('int' as const), field: fieldNo, v: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) }),
  fc.record({ k: fc.constant('float' as const), field: fieldNo, v: f32 }),
  fc.record({ k: fc.constant('double' as const), field: fieldNo, v: fc.double({ noNaN: true }) }),
  fc.record({ k: fc.constant('fixed32' as const), field: fieldNo, v: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }),
  fc.record({ k: fc.constant('fixed64' as const), field: fieldNo, v: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  fc.record({ k: fc.constant('string' as const), field: fieldNo, v: fc.string({ unit: 'grapheme' }) }),
  fc.record({ k: fc.constant('bytes' as const), field: fieldNo, v: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ k: fc.constant('ints' as const), field: fieldNo, v: fc.array(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ k: fc.constant('floats' as const), field: fieldNo, v: fc.array(f32, { minLength: 1, maxLength: 8 }) }),
);
const { msg } = fc.letrec<{ msg: Field[]; field: Field }>((tie) => ({
  field: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.record({ k: fc.constant('msg' as const), field: fieldNo, v: tie('msg') })),
  msg: fc.array(tie('field'), { maxLength: 5 }),
}));

function write(w: ProtoWriter, fields: Field[]): void {
  for (const f of fields) {
    switch (f.k) {
      case 'int': w.uint(f.field, f.v); break;
      case 'float': w.float(f.field, f.v); break;
      case 'double': w.double(f.field, f.v); break;
      case 'fixed32': w.fixed32(f.field, f.v); break;
      case 'fixed64': w.fixed64(f.field, f.v); break;
      case 'string': w.string(f.field, f.v); break;
      case 'bytes': w.bytes(f.field, f.v); break;
      case 'ints': w.packedVarints(f.field, f.v); break;
      case 'floats': w.packedFloats(f.field, f.v); break;
      case 'msg': w.message(f.field, (m) => write(m, f.v)); break;
    }
  }
}

/** Reads back with the kinds known (as a schema would). */
function read(r: ProtoReader, expected: Field[]): Field[] {
  const out: Field[] = [];
  for (const e of expected) {
    const k = r.next();
    expect(k?.field).toBe(e.field);
    const field = e.field;
    switch (e.k) {
      case 'int': out.push({ k: 'int', field, v: r.int64('int') }); break;
      case 'float': out.push({ k: 'float', field, v: r.float('float') }); break;
      case 'double': out.push({ k: 'double', field, v: r.double('double') }); break;
      case 'fixed32': out.push({ k: 'fixed32', field, v: r.fixed32('fixed32') }); break;
      case 'fixed64': out.push({ k: 'fixed64', field, v: r.fixed64('fixed64') }); break;
      case 'string': out.push({ k: 'string', field, v: r.string('string') }); break;
      case 'bytes': out.push({ k: 'bytes', field, v: r.bytes('bytes').slice() }); break;
      case 'ints': out.push({ k: 'ints', field, v: r.varints('ints') }); break;
      case 'floats': out.push({ k: 'floats', field, v: r.floats('floats') }); break;
      case 'msg': out.push({ k: 'msg', field, v: read(r.message('msg'), e.v) }); break;
    }
  }
  expect(r.next()).toBeNull();
  return out;
}

/** Skips every field without knowing the kinds; returns how many top-level fields there were. */
function skipAll(r: ProtoReader): number {
  let n = 0;
  for (let k = r.next(); k; k = r.next()) { r.skip(); n++; }
  return n;
}

describe('protobuf codec: round trip', () => {
  it('every field kind, nested messages included, reads back as written (fast-check)', () => {
    fc.assert(fc.property(msg, (fields) => {
      const bytes = new ProtoWriter().message(1, (w) => write(w, fields)).finish();
      const r = new ProtoReader(bytes);
      expect(r.next()?.field).toBe(1);
      expect(read(r.message('root'), fields)).toEqual(fields);
      expect(skipAll(new ProtoReader(bytes))).toBe(1);
    }), { numRuns: 300 });
  });

  it('matches protobuf encodings from the spec', () => {
    expect([...new ProtoWriter().uint(1, 150).finish()]).toEqual([0x08, 0x96, 0x01]);
    expect([...new ProtoWriter().string(2, 'testing').finish()]).toEqual([0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67]);
    expect([...new ProtoWriter().packedVarints(4, [3, 270, 86942]).finish()]).toEqual([0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05]);
    expect(new ProtoWriter().uint(1, -1).finish().length).toBe(11); // int64 −1: ten bytes of varint
  });

  it('repeated varints and floats read both packed and one element per key', () => {
    const bytes = new ProtoWriter().uint(8, 1).uint(8, 2).packedVarints(8, [3, 4]).float(7, 1.5).packedFloats(7, [2.5]).finish();
    const r = new ProtoReader(bytes);
    const ints: number[] = [], floats: number[] = [];
    for (let k = r.next(); k; k = r.next()) if (k.field === 8) r.varints('ints', ints); else r.floats('floats', floats);
    expect(ints).toEqual([1, 2, 3, 4]);
    expect(floats).toEqual([1.5, 2.5]);
  });
});

describe('protobuf codec: hostile input', () => {
  const read1 = (bytes: number[], f: (r: ProtoReader) => unknown) => () => {
    const r = new ProtoReader(Uint8Array.from(bytes), { what: 'test' });
    r.next();
    return f(r);
  };

  it('a truncated varint is a FormatError naming the field', () => {
    expectThrows(read1([0x08, 0x96], (r) => r.int('ModelProto.ir_version')), FORMAT, 'ModelProto.ir_version', 'truncated varint');
    expectThrows(() => new ProtoReader(Uint8Array.of(0x88)).next(), FORMAT, 'field key', 'truncated varint');
  });

  it('an over-long varint is refused', () => {
    expectThrows(read1([0x08, ...new Array(11).fill(0xff), 0x01], (r) => r.int('x')), FORMAT, 'x', 'longer than 10 bytes');
  });

  it('a length past the end is refused before a byte is allocated', () => {
    // A claimed length of 2^35 bytes with 1 byte present.
    expectThrows(read1([0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00], (r) => r.bytes('GraphProto.node')), FORMAT, 'GraphProto.node', 'past the end');
    expectThrows(read1([0x0a, 0x05, 0x61], (r) => r.string('name')), FORMAT, 'name', 'length 5 past the end (1 bytes left)');
    expectThrows(read1([0x0a, 0x05, 0x61], (r) => r.message('sub')), FORMAT, 'sub', 'past the end');
    expectThrows(read1([0x0a, 0x05, 0x61], (r) => r.skip()), FORMAT, 'past the end');
  });

  it('a nested length cannot escape its parent message', () => {
    // outer (field 1, length 2) holds a field claiming 3 bytes; the bytes exist after the parent but not inside it.
    const r = new ProtoReader(Uint8Array.of(0x0a, 0x02, 0x0a, 0x03, 0x61, 0x62, 0x63));
    r.next();
    const inner = r.message('outer');
    inner.next();
    expectThrows(() => inner.bytes('inner'), FORMAT, 'inner', 'past the end');
  });

  it('truncated fixed-width values, bad wire types, field 0 and malformed UTF-8 are refused', () => {
    expectThrows(read1([0x0d, 0x00, 0x00], (r) => r.float('f')), FORMAT, 'f', 'truncated 32-bit');
    expectThrows(read1([0x09, 0x00], (r) => r.double('d')), FORMAT, 'd', 'truncated 64-bit');
    expectThrows(() => new ProtoReader(Uint8Array.of(0x0b)).next(), FORMAT, 'wire type 3');
    expectThrows(() => new ProtoReader(Uint8Array.of(0x00)).next(), FORMAT, 'field number 0');
    expectThrows(read1([0x08, 0x01], (r) => r.string('name')), FORMAT, 'name', 'wire type 0 where 2');
    expectThrows(read1([0x0a, 0x01, 0xff], (r) => r.string('name')), FORMAT, 'name', 'malformed UTF-8');
    expectThrows(read1([0x0a, 0x03, 0, 0, 0], (r) => r.floats('fs')), FORMAT, 'fs', 'not a multiple of 4');
    expectThrows(read1([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], (r) => r.int('big')), FORMAT, 'big', 'outside ±2^53');
  });

  it('nesting deeper than the limit is refused (recursion bomb)', () => {
    let inner: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < MAX_PROTO_DEPTH + 2; i++) inner = new ProtoWriter().bytes(1, inner).finish();
    const walk = (r: ProtoReader): void => { for (let k = r.next(); k; k = r.next()) walk(r.message('node')); };
    expectThrows(() => walk(new ProtoReader(inner, { what: 'bomb' })), FORMAT, 'bomb', `deeper than ${MAX_PROTO_DEPTH}`);
    let ok: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < 10; i++) ok = new ProtoWriter().bytes(1, ok).finish();
    expect(() => walk(new ProtoReader(ok))).not.toThrow();
  });

  it('random bytes never throw anything but FormatError (fast-check)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const walk = (r: ProtoReader): void => {
        for (let k = r.next(); k; k = r.next()) {
          if (k.wire === 2) {
            try { walk(r.message('m')); } catch (e) { if (!(e instanceof FormatError)) throw e; return; }
          } else r.skip();
        }
      };
      try { walk(new ProtoReader(bytes)); } catch (e) { expect(e).toBeInstanceOf(FormatError); }
    }), { numRuns: 500 });
  });
});
