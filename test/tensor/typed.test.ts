import { describe, expect, it } from 'vitest';
import { ArgumentError, TypedBuffer } from '../../src/tensor/index';

describe('TypedBuffer', () => {
  it('allocates zeros of the dtype\'s array class, or wraps the given array without copying', () => {
    const cases: [TypedBuffer['dtype'], string][] = [
      ['BOOL', 'Uint8Array'], ['U8', 'Uint8Array'], ['I8', 'Int8Array'], ['I16', 'Int16Array'], ['U16', 'Uint16Array'],
      ['I32', 'Int32Array'], ['U32', 'Uint32Array'], ['I64', 'Float64Array'], ['U64', 'Float64Array'],
    ];
    for (const [dtype, cls] of cases) {
      const b = new TypedBuffer(dtype, [2, 3]);
      expect(b.data.constructor.name, dtype).toBe(cls);
      expect(b.toArray()).toEqual([0, 0, 0, 0, 0, 0]);
      expect([b.size, b.ndim]).toEqual([6, 2]);
    }
    const data = new Int8Array([-128, 127]);
    const b = new TypedBuffer('I8', [2], data);
    expect(b.data).toBe(data);
    expect(b.view().data).toBe(data);
    const c = b.clone();
    expect(c.data).not.toBe(data);
    expect(c.toArray()).toEqual([-128, 127]);
    expect(new TypedBuffer('U8', [], new Uint8Array([5])).shape).toEqual([]);
  });

  it('refuses a float dtype, another array class, a wrong length and values the dtype cannot hold', () => {
    expect(() => new TypedBuffer('F32' as never, [1])).toThrow(ArgumentError);
    expect(() => new TypedBuffer('F32' as never, [1])).toThrow("TypedBuffer: dtype must be one of 'BOOL'");
    expect(() => new TypedBuffer('I8', [2], new Uint8Array(2))).toThrow('TypedBuffer: I8 data must be an Int8Array, got Uint8Array');
    expect(() => new TypedBuffer('I8', [3], new Int8Array(2))).toThrow('data has 2 elements but shape [3] needs 3');
    expect(() => new TypedBuffer('I8', [-1])).toThrow(ArgumentError);
    expect(() => new TypedBuffer('BOOL', [2], new Uint8Array([1, 2]))).toThrow('BOOL element 1 is 2, not 0 or 1');
    expect(() => new TypedBuffer('I64', [1], new Float64Array([2 ** 53 + 2]))).toThrow('I64 element 0');
    expect(() => new TypedBuffer('I64', [1], new Float64Array([0.5]))).toThrow('I64 element 0 = 0.5');
    expect(() => new TypedBuffer('U64', [1], new Float64Array([-1]))).toThrow('U64 element 0 = -1');
    expect(new TypedBuffer('I64', [2], new Float64Array([-(2 ** 53), 2 ** 53])).toArray()).toEqual([-(2 ** 53), 2 ** 53]);
  });

  it('from() copies a typed tensor or its JSON form, converting exactly and refusing what would wrap', () => {
    const src = { dtype: 'I16' as const, shape: [2], data: new Int16Array([-300, 300]) };
    const b = TypedBuffer.from(src);
    expect(b.data).not.toBe(src.data);
    expect(b.data).toBeInstanceOf(Int16Array);
    expect(b.toArray()).toEqual([-300, 300]);
    const big = TypedBuffer.from({ dtype: 'I64', shape: [2], data: new BigInt64Array([-(2n ** 53n), 5n]) });
    expect(big.data).toBeInstanceOf(Float64Array);
    expect(big.toArray()).toEqual([-(2 ** 53), 5]);
    expect(TypedBuffer.from(b.toJSON()).toArray()).toEqual([-300, 300]);
    expect(() => TypedBuffer.from({ dtype: 'I8', shape: [1], data: [200] })).toThrow('I8 element 0 = 200 is out of range');
    expect(() => TypedBuffer.from({ dtype: 'U8', shape: [1], data: [-1] })).toThrow('U8 element 0 = -1 is out of range');
    expect(() => TypedBuffer.from({ dtype: 'I32', shape: [1], data: [1.5] })).toThrow('I32 element 0 = 1.5 is not an exact integer');
    expect(() => TypedBuffer.from({ dtype: 'I32', shape: [1], data: ['1' as never] })).toThrow('not an exact integer');
    expect(() => TypedBuffer.from({ dtype: 'I64', shape: [1], data: new BigInt64Array([2n ** 60n]) })).toThrow('not an exact integer');
    expect(() => TypedBuffer.from({ dtype: 'BOOL', shape: [1], data: [3] })).toThrow('BOOL element 0 is 3');
    expect(() => TypedBuffer.from({ dtype: 'I32', shape: [2], data: [1] })).toThrow('data has 1 elements but shape [2] needs 2');
    expect(() => TypedBuffer.from(null as never)).toThrow(ArgumentError);
  });

  it('is recognised by its brand (another copy of the library), not by instanceof alone', () => {
    expect(TypedBuffer.isTypedBuffer(new TypedBuffer('U8', [1]))).toBe(true);
    expect(TypedBuffer.isTypedBuffer({ dtype: 'U8', shape: [1], data: new Uint8Array(1) })).toBe(false);
    expect(TypedBuffer.isTypedBuffer({ [Symbol.for('tensorkit.TypedBuffer')]: true })).toBe(true);
    expect(TypedBuffer.isTypedBuffer(null)).toBe(false);
    expect(TypedBuffer.isTypedBuffer(7)).toBe(false);
  });
});
