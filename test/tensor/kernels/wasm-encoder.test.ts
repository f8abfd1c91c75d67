import { describe, expect, it } from 'vitest';
import { F32, I32, ModuleBuilder, sleb, uleb, V128 } from '../../../src/tensor/kernels/wasm/encoder';
import { buildGemmModule } from '../../../src/tensor/kernels/wasm/gemm';

describe('LEB128', () => {
  it('unsigned: edge values by the spec', () => {
    expect(uleb(0)).toEqual([0x00]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(228)).toEqual([0xe4, 0x01]); // f32x4.add's sub-opcode
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]); // the Wikipedia example
    expect(uleb(2 ** 31 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0x07]);
    expect(uleb(2 ** 32 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(() => uleb(-1)).toThrow(/uleb/);
  });
  it('signed: edge values by the spec', () => {
    expect(sleb(0)).toEqual([0x00]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-65)).toEqual([0xbf, 0x7f]);
    expect(sleb(127)).toEqual([0xff, 0x00]);
    expect(sleb(128)).toEqual([0x80, 0x01]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]); // the Wikipedia example
    expect(sleb(2 ** 31 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0x07]);
    expect(sleb(-(2 ** 31))).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
    expect(() => sleb(2 ** 31)).toThrow(/sleb/);
  });
  it('i32.const round-trips every edge value through a compiled function', () => {
    for (const n of [0, 1, -1, 63, 64, -64, -65, 127, 128, -128, 2 ** 31 - 1, -(2 ** 31), 123456789]) {
      const m = new ModuleBuilder();
      m.func('k', [], [I32], [], (c) => c.i32Const(n));
      const inst = new WebAssembly.Instance(new WebAssembly.Module(m.build()));
      expect((inst.exports.k as () => number)()).toBe(n);
    }
  });
});

describe('ModuleBuilder', () => {
  it('an empty module and the GEMM module validate; a corrupted one does not', () => {
    expect(WebAssembly.validate(new ModuleBuilder().build())).toBe(true);
    const g = buildGemmModule();
    expect(WebAssembly.validate(g)).toBe(true);
    const bad = g.slice();
    bad[bad.length - 1] = 0xff; // the body's final `end` replaced
    expect(WebAssembly.validate(bad)).toBe(false);
  });

  it('a scalar add and a loop with locals run and give the right numbers', () => {
    const m = new ModuleBuilder();
    m.func('add', [I32, I32], [I32], [], (c) => c.localGet(0).localGet(1).i32Add());
    // sum of 1..n with a do-while loop: s = 0; do { s += n; n -= 1 } while (n != 0)
    m.func('tri', [I32], [I32], [I32], (c) => c
      .i32Const(0).localSet(1)
      .loop().localGet(1).localGet(0).i32Add().localSet(1)
      .localGet(0).i32Const(1).i32Sub().localTee(0).brIf(0).end()
      .localGet(1));
    m.func(null, [F32], [F32], [], (c) => c.localGet(0).f32Const(0.5).f32Mul());
    m.func('half', [F32], [F32], [], (c) => c.localGet(0).call(2));
    const e = new WebAssembly.Instance(new WebAssembly.Module(m.build())).exports as Record<string, (...x: number[]) => number>;
    expect(e.add(2, 40)).toBe(42);
    expect(e.add(2 ** 31 - 1, 1)).toBe(-(2 ** 31)); // i32 wraps
    expect(e.tri(100)).toBe(5050);
    expect(e.half(3)).toBe(1.5);
    expect(Object.keys(e).sort()).toEqual(['add', 'half', 'tri']);
  });

  it('an f32x4 function on an imported memory: out = x·s + y over four lanes, and an i32x4 dot', () => {
    const m = new ModuleBuilder();
    m.importMemory('env', 'mem', 1);
    // axpy4(x, y, out, s): v128 at out = splat(s) · v128 at x + v128 at y
    m.func('axpy4', [I32, I32, I32, F32], [], [V128], (c) => c
      .localGet(2)
      .localGet(3).f32x4Splat().localGet(0).v128Load().f32x4Mul()
      .localGet(1).v128Load().f32x4Add()
      .v128Store());
    // the float at byte 8, splat to four lanes (a check of memarg offsets), lane 3 read back
    m.func('lane2', [I32], [F32], [], (c) => c.localGet(0).v128Load32Splat(8).f32x4ExtractLane(3));
    m.func('dot', [I32, I32], [I32], [], (c) => c
      .localGet(0).v128Load().localGet(1).v128Load().i32x4DotI16x8S().i32x4ExtractLane(0));
    const bytes = m.build();
    expect(WebAssembly.validate(bytes)).toBe(true);
    const mem = new WebAssembly.Memory({ initial: 1 });
    const e = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem } }).exports as Record<string, (...x: number[]) => number>;
    const f = new Float32Array(mem.buffer);
    f.set([1, 2, 3, 4], 0);
    f.set([10, 20, 30, 40], 4);
    e.axpy4(0, 16, 32, 0.5);
    expect(Array.from(f.subarray(8, 12))).toEqual([10.5, 21, 31.5, 42]);
    expect(e.lane2(0)).toBe(3);
    const h = new Int16Array(mem.buffer);
    h.set([1, 2, 3, 4, 5, 6, 7, 8], 64);
    h.set([-1, 2, 1, 1, 0, 0, 0, 0], 72);
    expect(e.dot(128, 144)).toBe(-1 + 4); // lane 0 = 1·(−1) + 2·2
  });
});
