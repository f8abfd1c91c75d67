/**
 * A small protobuf wire-format codec (no schema knowledge, no dependency): {@link ProtoWriter}
 * builds messages, {@link ProtoReader} walks them. The reader never allocates more than the bytes
 * it was given: every length is checked against the remaining bytes before use, nesting depth is
 * limited, and a truncated varint or a length past the end is a `FormatError` naming the field.
 * Shared by io's ONNX code and serve's gRPC binding (src/serve/grpc*.ts).
 * @module
 */
import { FormatError } from '../../tensor/errors';

/** Protobuf wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 (groups, 3 and 4, are refused). */
export type WireType = 0 | 1 | 2 | 5;

/** Default limit of nested messages a {@link ProtoReader} follows. */
export const MAX_PROTO_DEPTH = 64;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Writes protobuf messages field by field. Nested messages are written with {@link ProtoWriter.message}.
 * `new ProtoWriter().uint(1, 150).finish()` is `[0x08, 0x96, 0x01]`.
 */
export class ProtoWriter {
  private buf = new Uint8Array(64);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Writes a raw varint (a non-negative safe integer or a bigint; a negative value is written as its 64-bit two's complement). */
  varint(v: number | bigint): this {
    let n = typeof v === 'bigint' ? BigInt.asUintN(64, v) : v;
    if (typeof n === 'number') {
      if (!Number.isSafeInteger(n)) throw new FormatError(`ProtoWriter: varint must be a safe integer, got ${n}`);
      if (n < 0) n = BigInt.asUintN(64, BigInt(n));
    }
    this.reserve(10);
    if (typeof n === 'number') {
      while (n >= 0x80) {
        this.buf[this.len++] = (n % 0x80) | 0x80;
        n = Math.floor(n / 0x80);
      }
      this.buf[this.len++] = n;
    } else {
      while (n >= 0x80n) {
        this.buf[this.len++] = Number(n & 0x7fn) | 0x80;
        n >>= 7n;
      }
      this.buf[this.len++] = Number(n);
    }
    return this;
  }

  /** Writes a field key. */
  tag(field: number, wire: WireType): this {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) throw new FormatError(`ProtoWriter: field number must be in 1..2^29−1, got ${field}`);
    return this.varint(field * 8 + wire);
  }

  /** A varint field (int32, int64, uint64, bool, enum); negative numbers take ten bytes, as protobuf's int64 does. */
  uint(field: number, v: number | bigint | boolean): this {
    return this.tag(field, 0).varint(typeof v === 'boolean' ? (v ? 1 : 0) : v);
  }

  /** A fixed32 field holding a float. */
  float(field: number, v: number): this {
    this.tag(field, 5).reserve(4);
    new DataView(this.buf.buffer).setFloat32(this.len, v, true);
    this.len += 4;
    return this;
  }

  /** A fixed64 field holding a double. */
  double(field: number, v: number): this {
    this.tag(field, 1).reserve(8);
    new DataView(this.buf.buffer).setFloat64(this.len, v, true);
    this.len += 8;
    return this;
  }

  /** A fixed32 field holding an unsigned 32-bit integer. */
  fixed32(field: number, v: number): this {
    this.tag(field, 5).reserve(4);
    new DataView(this.buf.buffer).setUint32(this.len, v >>> 0, true);
    this.len += 4;
    return this;
  }

  /** A fixed64 field holding an unsigned 64-bit integer. */
  fixed64(field: number, v: bigint | number): this {
    this.tag(field, 1).reserve(8);
    new DataView(this.buf.buffer).setBigUint64(this.len, BigInt.asUintN(64, BigInt(v)), true);
    this.len += 8;
    return this;
  }

  /** A length-delimited field with raw bytes. */
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length).reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** A length-delimited field with a UTF-8 string. */
  string(field: number, s: string): this {
    return this.bytes(field, utf8.encode(s));
  }

  /** A nested message: `build` writes its fields into a fresh writer. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter();
    build(w);
    return this.bytes(field, w.finish());
  }

  /** A packed repeated varint field (int32/int64/enum). Nothing is written for an empty list. */
  packedVarints(field: number, vs: ArrayLike<number | bigint>): this {
    if (vs.length === 0) return this;
    const w = new ProtoWriter();
    for (let i = 0; i < vs.length; i++) w.varint(vs[i]);
    return this.bytes(field, w.finish());
  }

  /** A packed repeated float field. Nothing is written for an empty list. */
  packedFloats(field: number, vs: ArrayLike<number>): this {
    if (vs.length === 0) return this;
    const b = new Uint8Array(vs.length * 4);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < vs.length; i++) dv.setFloat32(i * 4, vs[i], true);
    return this.bytes(field, b);
  }

  /** A packed repeated double field. Nothing is written for an empty list. */
  packedDoubles(field: number, vs: ArrayLike<number>): this {
    if (vs.length === 0) return this;
    const b = new Uint8Array(vs.length * 8);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < vs.length; i++) dv.setFloat64(i * 8, vs[i], true);
    return this.bytes(field, b);
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Options of a {@link ProtoReader}. */
export interface ProtoReaderOptions {
  /** What the bytes are, for messages (default 'protobuf'). */
  what?: string;
  /** Maximum nesting depth of messages (default {@link MAX_PROTO_DEPTH}). */
  maxDepth?: number;
}

/**
 * Walks the fields of one protobuf message without copying: `next()` gives the key of the next
 * field, then one of the value readers consumes its value (or `skip()` does); each reader takes
 * the field's name for its error messages.
 */
export class ProtoReader {
  private pos: number;
  private readonly end: number;
  private readonly what: string;
  private readonly depth: number;
  private readonly maxDepth: number;
  private wire: WireType | -1 = -1;

  constructor(private readonly buf: Uint8Array, options: ProtoReaderOptions = {}, depth = 0, start = 0, end = buf.length) {
    this.what = options.what ?? 'protobuf';
    this.maxDepth = options.maxDepth ?? MAX_PROTO_DEPTH;
    this.depth = depth;
    this.pos = start;
    this.end = end;
    if (depth > this.maxDepth) throw new FormatError(`${this.what}: messages nested deeper than ${this.maxDepth} levels`);
  }

  /** Bytes left in this message. */
  get remaining(): number {
    return this.end - this.pos;
  }

  private fail(name: string, what: string): never {
    throw new FormatError(`${this.what}: ${name}: ${what} (at byte ${this.pos})`);
  }

  private rawVarint(name: string): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail(name, 'truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    return this.fail(name, 'varint longer than 10 bytes');
  }

  /** Small varints without BigInt (lengths, keys): ≤ 2^53 − 1 or a FormatError. */
  private smallVarint(name: string): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) this.fail(name, 'truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 0x80;
    }
    return this.fail(name, 'varint too large');
  }

  /** The key of the next field, or null at the end of the message. */
  next(): { field: number; wire: WireType } | null {
    if (this.pos >= this.end) return null;
    const key = this.smallVarint('field key');
    const wire = key % 8;
    const field = Math.floor(key / 8);
    if (field === 0 || field > 0x1fffffff) this.fail('field key', `field number ${field} outside 1..2^29−1`);
    if (wire !== 0 && wire !== 1 && wire !== 2 && wire !== 5) this.fail(`field ${field}`, `unsupported wire type ${wire}`);
    this.wire = wire;
    return { field, wire };
  }

  private expect(name: string, wire: WireType): void {
    if (this.wire !== wire) this.fail(name, `wire type ${this.wire} where ${wire} was expected`);
    this.wire = -1;
  }

  /** A varint as an unsigned 64-bit bigint. */
  uint64(name: string): bigint {
    this.expect(name, 0);
    return this.rawVarint(name);
  }

  /** A varint as a signed 64-bit bigint (int64). */
  int64(name: string): bigint {
    return BigInt.asIntN(64, this.uint64(name));
  }

  /** A varint (int32/int64/enum/bool) as a number; outside the safe integer range is a FormatError. */
  int(name: string): number {
    const v = this.int64(name);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) this.fail(name, `integer ${v} is outside ±2^53`);
    return Number(v);
  }

  private fixed(name: string, wire: 1 | 5): DataView {
    this.expect(name, wire);
    const n = wire === 1 ? 8 : 4;
    if (this.end - this.pos < n) this.fail(name, `truncated ${n * 8}-bit value`);
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, n);
    this.pos += n;
    return dv;
  }

  /** A fixed32 float. */
  float(name: string): number {
    return this.fixed(name, 5).getFloat32(0, true);
  }

  /** A fixed64 double. */
  double(name: string): number {
    return this.fixed(name, 1).getFloat64(0, true);
  }

  /** A fixed32 unsigned integer. */
  fixed32(name: string): number {
    return this.fixed(name, 5).getUint32(0, true);
  }

  /** A fixed64 unsigned integer. */
  fixed64(name: string): bigint {
    return this.fixed(name, 1).getBigUint64(0, true);
  }

  private span(name: string): [number, number] {
    this.expect(name, 2);
    const n = this.smallVarint(name);
    if (n > this.end - this.pos) this.fail(name, `length ${n} past the end (${this.end - this.pos} bytes left)`);
    const s = this.pos;
    this.pos += n;
    return [s, s + n];
  }

  /** A length-delimited field's bytes (a view into the input, not a copy). */
  bytes(name: string): Uint8Array {
    const [s, e] = this.span(name);
    return this.buf.subarray(s, e);
  }

  /** A length-delimited field as UTF-8 text; malformed UTF-8 is a FormatError. */
  string(name: string): string {
    const b = this.bytes(name);
    try {
      return utf8Decoder.decode(b);
    } catch {
      return this.fail(name, 'malformed UTF-8');
    }
  }

  /** A nested message's reader (one level deeper; past the depth limit is a FormatError). */
  message(name: string): ProtoReader {
    const [s, e] = this.span(name);
    return new ProtoReader(this.buf, { what: this.what, maxDepth: this.maxDepth }, this.depth + 1, s, e);
  }

  /** A repeated varint field, packed (wire type 2) or one element (wire type 0), appended to `out`. */
  varints(name: string, out: number[] = []): number[] {
    if (this.wire === 0) {
      out.push(this.int(name));
      return out;
    }
    const r = this.message(name);
    while (r.pos < r.end) {
      r.wire = 0;
      out.push(r.int(name));
    }
    return out;
  }

  /** A repeated float field, packed or one element, appended to `out`. */
  floats(name: string, out: number[] = []): number[] {
    if (this.wire === 5) {
      out.push(this.float(name));
      return out;
    }
    const [s, e] = this.span(name);
    if ((e - s) % 4 !== 0) this.fail(name, `packed floats of ${e - s} bytes (not a multiple of 4)`);
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset + s, e - s);
    for (let i = 0; i < e - s; i += 4) out.push(dv.getFloat32(i, true));
    return out;
  }

  /**
   * A repeated 64-bit varint field (int64 when `signed`, else uint64), packed or one element, as
   * bigints appended to `out`: every value of the type, where {@link ProtoReader.varints} stops at ±2^53.
   */
  bigVarints(name: string, signed: boolean, out: bigint[] = []): bigint[] {
    if (this.wire === 0) {
      out.push(signed ? this.int64(name) : this.uint64(name));
      return out;
    }
    const r = this.message(name);
    while (r.pos < r.end) {
      r.wire = 0;
      out.push(signed ? r.int64(name) : r.uint64(name));
    }
    return out;
  }

  /** A repeated double field, packed or one element, appended to `out`. */
  doubles(name: string, out: number[] = []): number[] {
    if (this.wire === 1) {
      out.push(this.double(name));
      return out;
    }
    const [s, e] = this.span(name);
    if ((e - s) % 8 !== 0) this.fail(name, `packed doubles of ${e - s} bytes (not a multiple of 8)`);
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset + s, e - s);
    for (let i = 0; i < e - s; i += 8) out.push(dv.getFloat64(i, true));
    return out;
  }

  /** Skips the value of the field `next()` returned. */
  skip(): void {
    const name = 'skipped field';
    switch (this.wire) {
      case 0: this.uint64(name); break;
      case 1: this.fixed(name, 1); break;
      case 5: this.fixed(name, 5); break;
      case 2: this.span(name); break;
      default: this.fail(name, 'skip() without a field from next()');
    }
  }
}
