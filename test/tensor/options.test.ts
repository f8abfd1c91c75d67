import { describe as suite, expect, it } from 'vitest';
import { ArgumentError, FormatError, Generator } from '../../src/tensor/index';
import {
  anyOf, arrayOf, bool, closest, int, nullable, num, oneOf, pairOf, parseOptions, posInt, prob, rng,
} from '../../src/tensor/options';
import { decodeNumbers, encodeNumbers } from '../../src/tensor/json';
import { describe } from '../../src/tensor/shape';

const SPEC = { bias: bool, rng, keepDims: bool, lr: num({ min: 0 }), reduction: oneOf(['mean', 'sum', 'none'] as const) };

suite('parseOptions: the one options validator', () => {
  it('returns only the given keys, checked, ready to spread over defaults', () => {
    const o = parseOptions('f', { bias: false, lr: 0.1, keepDims: undefined }, SPEC);
    expect(o).toEqual({ bias: false, lr: 0.1 });
    expect({ bias: true, lr: 1, ...o }).toEqual({ bias: false, lr: 0.1 });
    expect(parseOptions('f', undefined, SPEC)).toEqual({});
    expect(parseOptions('f', null, SPEC)).toEqual({});
  });

  it('refuses a primitive, an array or a class instance where the options object goes', () => {
    for (const bad of [42, 'abc', true, [1], new Generator(1), Symbol('s'), 5n]) {
      expect(() => parseOptions('Linear', bad, SPEC)).toThrow(ArgumentError);
    }
    expect(() => parseOptions('Linear', 42, SPEC)).toThrow('Linear: options must be an object, got 42');
  });

  it('names an unknown key, suggests the known one, and lists what the function takes', () => {
    expect(() => parseOptions('sum', { keepdims: true }, SPEC)).toThrow("sum: unknown option 'keepdims' (did you mean 'keepDims'?); sum takes bias, rng, keepDims, lr, reduction");
    expect(() => parseOptions('f', { keep_dims: true }, SPEC)).toThrow("(did you mean 'keepDims'?)");
    expect(() => parseOptions('f', { reductoin: 'sum' }, SPEC)).toThrow("(did you mean 'reduction'?)");
    expect(() => parseOptions('f', { zzz: 1 }, SPEC)).toThrow(/unknown option 'zzz'; f takes/);
  });

  it('checks value types: no truthy strings, no numbers as generators', () => {
    expect(() => parseOptions('Linear', { bias: 'false' }, SPEC)).toThrow('Linear: bias must be a boolean, got "false"');
    expect(() => parseOptions('Linear', { rng: 42 }, SPEC)).toThrow('Linear: rng must be a Generator (e.g. new Generator(42)), got 42');
    expect(() => parseOptions('f', { lr: -1 }, SPEC)).toThrow('f: lr must be a finite number ≥ 0, got -1');
    expect(() => parseOptions('f', { lr: NaN }, SPEC)).toThrow(ArgumentError);
    expect(() => parseOptions('f', { reduction: 'Mean' }, SPEC)).toThrow(`f: reduction must be one of 'mean', 'sum', 'none', got "Mean" (did you mean 'mean'?)`);
  });

  it('composes checks', () => {
    const c = anyOf('an integer ≥ 1 or null', posInt, nullable(posInt));
    expect(c(null, 'x', 'f')).toBe(null);
    expect(() => c(0, 'x', 'f')).toThrow('f: x must be an integer ≥ 1 or null, got 0');
    expect(arrayOf(int({ min: 0 }), { min: 1 })([1, 2], 'sizes', 'f')).toEqual([1, 2]);
    expect(() => arrayOf(int({ min: 0 }))([1, -2], 'sizes', 'f')).toThrow('f: sizes[1] must be an integer ≥ 0, got -2');
    expect(pairOf(posInt)(3, 'kernelSize', 'f')).toEqual([3, 3]);
    expect(() => pairOf(posInt)([1, 2, 3], 'kernelSize', 'f')).toThrow(ArgumentError);
    expect(prob(1, 'p', 'f')).toBe(1);
    expect(num({ nonFinite: true })(NaN, 'x', 'f')).toBeNaN();
    expect(() => num({ min: 0, max: 1, openMax: true })(1, 'p', 'Dropout')).toThrow('Dropout: p must be a finite number ≥ 0 and < 1, got 1');
  });

  it('suggests only close keys', () => {
    expect(closest('requires_grad', ['requiresGrad', 'rng'])).toBe('requiresGrad');
    expect(closest('lrr', ['lr', 'betas'])).toBe('lr');
    expect(closest('momentum', ['lr', 'betas'])).toBe(null);
  });
});

suite('describe: the value formatter of messages', () => {
  it('never throws, whatever the value', () => {
    expect(describe(Symbol('s'))).toBe('symbol Symbol(s)');
    expect(describe(5n)).toBe('bigint 5n');
    expect(describe(Object.create(null))).toBe('object');
    expect(describe(() => 1)).toBe('a function');
    expect(describe(-0)).toBe('-0');
    const hostile = new Proxy({}, { get() { throw new Error('boom'); }, getPrototypeOf() { throw new Error('boom'); } });
    expect(() => describe(hostile)).not.toThrow();
  });
});

suite('JSON numbers: one convention for NaN and ±Inf', () => {
  it('round-trips non-finite values as strings', () => {
    const a = [1, NaN, Infinity, -Infinity, -0.5];
    const j = JSON.parse(JSON.stringify(encodeNumbers(a)));
    expect(j).toEqual([1, 'NaN', 'Infinity', '-Infinity', -0.5]);
    expect(decodeNumbers(j, 'x')).toEqual(a);
    expect(() => decodeNumbers([null], 'state.x')).toThrow(FormatError);
    expect(() => decodeNumbers([1], 'state.x', 2)).toThrow('state.x has 1 values, expected 2');
  });
});
