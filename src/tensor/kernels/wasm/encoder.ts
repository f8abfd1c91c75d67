/**
 * A small WebAssembly binary encoder: the sections tensorkit's kernels need (type, import,
 * function, memory, export, code), LEB128 integers, and the core and SIMD128 opcodes the kernels
 * use, behind a builder that reads like the text format:
 *
 *     const m = new ModuleBuilder();
 *     m.importMemory('env', 'mem', 1);
 *     m.func('add', [I32, I32], [I32], [], (c) => c.localGet(0).localGet(1).i32Add());
 *     const bytes = m.build(); // WebAssembly.validate(bytes) === true
 *
 * Internal to the wasm backend (DESIGN.md §15): no toolchain, no dependency; each kernel module is
 * written in TypeScript with this builder and compiled at run time. To add an opcode, add a method
 * to {@link Code} with its byte(s) from the WebAssembly spec (SIMD ones go through `simd(sub)`,
 * whose sub-opcode is itself LEB128-encoded, so 0xE4 is the two bytes E4 01).
 */

/** Value types. */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
/** A value type byte. */
export type ValType = typeof I32 | typeof I64 | typeof F32 | typeof F64 | typeof V128;

/** Unsigned LEB128 of a non-negative integer below 2^53 (u32 fields use values below 2^32). */
export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`uleb: ${n} is not a non-negative integer`);
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of an integer in [−2^31, 2^31) (i32 immediates). */
export function sleb(n: number): number[] {
  if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) throw new Error(`sleb: ${n} is not an int32`);
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** A name: its UTF-8 length, then its bytes. */
function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

/** A vector: its count, then its already-encoded items. */
function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** Block type of a block, loop or if without results. */
const EMPTY = 0x40;

/**
 * A function body under construction: each method appends one instruction and returns `this`, so
 * bodies chain. Memory instructions take a byte `offset` (added to the address) and an alignment
 * hint `align` as log2 bytes (defaults to the natural alignment).
 */
export class Code {
  /** The encoded instructions so far. */
  readonly bytes: number[] = [];

  /** Appends raw bytes. */
  raw(...b: number[]): this { this.bytes.push(...b); return this; }
  private mem(op: number[], offset: number, align: number): this {
    return this.raw(...op, ...uleb(align), ...uleb(offset));
  }
  /** A SIMD128 instruction: the 0xFD prefix and its LEB128 sub-opcode. */
  simd(sub: number): this { return this.raw(0xfd, ...uleb(sub)); }

  // control
  block(): this { return this.raw(0x02, EMPTY); }
  loop(): this { return this.raw(0x03, EMPTY); }
  if(): this { return this.raw(0x04, EMPTY); }
  else(): this { return this.raw(0x05); }
  end(): this { return this.raw(0x0b); }
  br(depth: number): this { return this.raw(0x0c, ...uleb(depth)); }
  brIf(depth: number): this { return this.raw(0x0d, ...uleb(depth)); }
  return(): this { return this.raw(0x0f); }
  call(index: number): this { return this.raw(0x10, ...uleb(index)); }
  drop(): this { return this.raw(0x1a); }
  select(): this { return this.raw(0x1b); }

  // locals
  localGet(i: number): this { return this.raw(0x20, ...uleb(i)); }
  localSet(i: number): this { return this.raw(0x21, ...uleb(i)); }
  localTee(i: number): this { return this.raw(0x22, ...uleb(i)); }

  // memory
  i32Load(offset = 0, align = 2): this { return this.mem([0x28], offset, align); }
  f32Load(offset = 0, align = 2): this { return this.mem([0x2a], offset, align); }
  i32Store(offset = 0, align = 2): this { return this.mem([0x36], offset, align); }
  f32Store(offset = 0, align = 2): this { return this.mem([0x38], offset, align); }

  // i32
  i32Const(n: number): this { return this.raw(0x41, ...sleb(n)); }
  i32Eqz(): this { return this.raw(0x45); }
  i32Eq(): this { return this.raw(0x46); }
  i32Ne(): this { return this.raw(0x47); }
  i32LtS(): this { return this.raw(0x48); }
  i32LtU(): this { return this.raw(0x49); }
  i32GtS(): this { return this.raw(0x4a); }
  i32LeS(): this { return this.raw(0x4c); }
  i32GeS(): this { return this.raw(0x4e); }
  i32Add(): this { return this.raw(0x6a); }
  i32Sub(): this { return this.raw(0x6b); }
  i32Mul(): this { return this.raw(0x6c); }
  i32DivS(): this { return this.raw(0x6d); }
  i32DivU(): this { return this.raw(0x6e); }
  i32RemU(): this { return this.raw(0x70); }
  i32And(): this { return this.raw(0x71); }
  i32Or(): this { return this.raw(0x72); }
  i32Shl(): this { return this.raw(0x74); }
  i32ShrS(): this { return this.raw(0x75); }
  i32ShrU(): this { return this.raw(0x76); }

  // f32
  f32Const(x: number): this {
    const b = new Uint8Array(new Float32Array([x]).buffer);
    return this.raw(0x43, ...b);
  }
  f32Add(): this { return this.raw(0x92); }
  f32Sub(): this { return this.raw(0x93); }
  f32Mul(): this { return this.raw(0x94); }
  f32Max(): this { return this.raw(0x97); }
  f32DemoteF64(): this { return this.raw(0xb6); }

  // f64
  f64Store(offset = 0, align = 3): this { return this.mem([0x39], offset, align); }
  f64Const(x: number): this {
    const b = new Uint8Array(new Float64Array([x]).buffer);
    return this.raw(0x44, ...b);
  }
  f64Add(): this { return this.raw(0xa0); }
  f64Div(): this { return this.raw(0xa3); }

  // SIMD128
  v128Load(offset = 0, align = 4): this { return this.simd(0x00).raw(...uleb(align), ...uleb(offset)); }
  v128Load32Splat(offset = 0, align = 2): this { return this.simd(0x09).raw(...uleb(align), ...uleb(offset)); }
  v128Store(offset = 0, align = 4): this { return this.simd(0x0b).raw(...uleb(align), ...uleb(offset)); }
  /** v128.const of four f32 lanes. */
  v128ConstF32(x0: number, x1 = x0, x2 = x0, x3 = x0): this {
    const b = new Uint8Array(new Float32Array([x0, x1, x2, x3]).buffer);
    return this.simd(0x0c).raw(...b);
  }
  /** v128.const of four i32 lanes. */
  v128ConstI32(x0: number, x1 = x0, x2 = x0, x3 = x0): this {
    const b = new Uint8Array(new Int32Array([x0, x1, x2, x3]).buffer);
    return this.simd(0x0c).raw(...b);
  }
  /** i8x16.shuffle of the two v128 below the top by 16 lane indices (0–15 the first, 16–31 the second). */
  i8x16Shuffle(lanes: readonly number[]): this { return this.simd(0x0d).raw(...lanes); }
  i32x4Splat(): this { return this.simd(0x11); }
  f32x4Splat(): this { return this.simd(0x13); }
  i32x4ExtractLane(lane: number): this { return this.simd(0x1b).raw(lane); }
  f32x4ExtractLane(lane: number): this { return this.simd(0x1f).raw(lane); }
  f64x2ExtractLane(lane: number): this { return this.simd(0x21).raw(lane); }
  f32x4Lt(): this { return this.simd(0x43); }
  v128And(): this { return this.simd(0x4e); }
  v128Bitselect(): this { return this.simd(0x52); }
  f64x2PromoteLowF32x4(): this { return this.simd(0x5f); }
  f32x4Nearest(): this { return this.simd(0x6a); }
  i32x4Shl(): this { return this.simd(0xab); }
  i32x4ShrS(): this { return this.simd(0xac); }
  i32x4Add(): this { return this.simd(0xae); }
  i32x4Sub(): this { return this.simd(0xb1); }
  i32x4DotI16x8S(): this { return this.simd(0xba); }
  i16x8ExtendLowI8x16S(): this { return this.simd(0x87); }
  i16x8ExtendHighI8x16S(): this { return this.simd(0x88); }
  i16x8ExtendLowI8x16U(): this { return this.simd(0x89); }
  i16x8ExtendHighI8x16U(): this { return this.simd(0x8a); }
  f32x4Abs(): this { return this.simd(0xe0); }
  f32x4Neg(): this { return this.simd(0xe1); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Sub(): this { return this.simd(0xe5); }
  f32x4Mul(): this { return this.simd(0xe6); }
  f32x4Div(): this { return this.simd(0xe7); }
  f32x4Min(): this { return this.simd(0xe8); }
  f32x4Max(): this { return this.simd(0xe9); }
  f64x2Add(): this { return this.simd(0xf0); }
  i32x4TruncSatF32x4S(): this { return this.simd(0xf8); }
}

interface FuncDef { type: number; locals: ValType[]; body: number[]; exportName: string | null }

/**
 * Builds one module: an optional imported memory, functions (each optionally exported), and the
 * binary with {@link ModuleBuilder.build}. Function indices count from 0 in the order added (this
 * builder imports no functions), so a body can `call` an earlier function by the index `func`
 * returned.
 */
export class ModuleBuilder {
  private types: number[][] = [];
  private funcs: FuncDef[] = [];
  private memoryImport: number[] | null = null;

  /**
   * Imports a memory as `module.field` with `minPages` 64 KiB pages (and optionally a maximum).
   * `shared` declares a shared memory (limits flag 3; the threads proposal requires a maximum):
   * only a `WebAssembly.Memory` created with `shared: true` then links, and only a shared one.
   */
  importMemory(module: string, field: string, minPages: number, maxPages?: number, shared = false): this {
    if (shared && maxPages === undefined) throw new Error('importMemory: a shared memory needs maxPages');
    const limits = maxPages === undefined ? [0x00, ...uleb(minPages)]
      : [shared ? 0x03 : 0x01, ...uleb(minPages), ...uleb(maxPages)];
    this.memoryImport = [...name(module), ...name(field), 0x02, ...limits];
    return this;
  }

  /**
   * Adds a function with these parameter, result and extra local types; `body` appends its
   * instructions (the final `end` is added here). Locals are numbered after the parameters.
   * Returns the function's index; `exportName` null keeps it internal.
   */
  func(exportName: string | null, params: ValType[], results: ValType[], locals: ValType[], body: (c: Code) => void): number {
    const sig = [0x60, ...vec(params.map((t) => [t])), ...vec(results.map((t) => [t]))];
    let type = this.types.findIndex((t) => t.length === sig.length && t.every((b, i) => b === sig[i]));
    if (type < 0) type = this.types.push(sig) - 1;
    const c = new Code();
    body(c);
    c.end();
    return this.funcs.push({ type, locals, body: c.bytes, exportName }) - 1;
  }

  /** The module's binary. */
  build(): Uint8Array<ArrayBuffer> {
    const section = (id: number, payload: number[]): number[] => [id, ...uleb(payload.length), ...payload];
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    if (this.types.length > 0) out.push(...section(1, vec(this.types)));
    if (this.memoryImport !== null) out.push(...section(2, vec([this.memoryImport])));
    if (this.funcs.length > 0) out.push(...section(3, vec(this.funcs.map((f) => uleb(f.type)))));
    const exports = this.funcs.flatMap((f, i) => (f.exportName === null ? [] : [[...name(f.exportName), 0x00, ...uleb(i)]]));
    if (exports.length > 0) out.push(...section(7, vec(exports)));
    if (this.funcs.length > 0) {
      out.push(...section(10, vec(this.funcs.map((f) => {
        // Locals run-length encoded: (count, type) for each run of equal types.
        const runs: number[][] = [];
        for (let i = 0; i < f.locals.length;) {
          let j = i;
          while (j < f.locals.length && f.locals[j] === f.locals[i]) j++;
          runs.push([...uleb(j - i), f.locals[i]]);
          i = j;
        }
        const body = [...vec(runs), ...f.body];
        return [...uleb(body.length), ...body];
      }))));
    }
    return new Uint8Array(out);
  }
}
