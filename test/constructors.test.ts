import { describe, expect, it } from 'vitest';
import * as tk from '../src/index';
import { Tensor, TensorkitError, tensor } from '../src/index';

/**
 * The constructor half of the bad-input sweep (test/tensor/bad-input.test.ts covers functions):
 * every exported class, built with garbage in each argument position, with a garbage options
 * object, or with a primitive where its options go, either builds or throws a TensorkitError —
 * never a raw TypeError or RangeError (`new Linear(2, 3, { rng: 42 })` used to).
 */
const garbage: unknown[] = [undefined, null, 'x', {}, NaN, -1, 1.5, 1e12, [[1], [2, 3]], Symbol('s'), 5n, () => 1, { rng: 42 }, { bias: 'false' }, { zzz: 1 }];
const good: unknown[] = [2, 3, 3, 2, 2];

/**
 * Error classes, and the abstract bases (TypeScript refuses `new` on them; every concrete subclass
 * is swept instead).
 */
const skip = new Set(['TensorkitError', 'ShapeError', 'ArgumentError', 'FormatError', 'NumericError', 'IntegrityError', 'Optimizer', 'LRScheduler', 'RNNBase', 'ObserverBase']);

function show(a: unknown): string {
  if (a instanceof Tensor) return `Tensor${JSON.stringify(a.shape)}`;
  if (typeof a === 'symbol') return 'Symbol';
  if (typeof a === 'bigint') return `${a}n`;
  if (typeof a === 'function') return 'fn';
  return JSON.stringify(a) ?? String(a);
}

describe('bad input to constructors never escapes as a raw TypeError', () => {
  const classes = Object.entries(tk).filter(([n, v]) => typeof v === 'function' && /^[A-Z]/.test(n) && !skip.has(n)
    && (v as { prototype?: unknown }).prototype !== undefined) as [string, new (...a: unknown[]) => unknown][];

  it('finds the classes', () => {
    expect(classes.length).toBeGreaterThan(60);
  });

  it('every exported class, with garbage in each argument position', () => {
    const failures: string[] = [];
    for (const [name, C] of classes) {
      const arity = Math.max(C.length, 3);
      for (const g of garbage) {
        for (let pos = 0; pos < arity; pos++) {
          const args = good.slice(0, arity);
          args[pos] = g;
          try {
            new C(...args.slice(0, pos + 1));
          } catch (e) {
            if (!(e instanceof TensorkitError)) failures.push(`new ${name}(${args.slice(0, pos + 1).map(show).join(', ')}) threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
          }
        }
      }
      for (const extra of [tensor([1, 2]), 'abc', 42]) {
        try {
          new C(extra);
        } catch (e) {
          if (!(e instanceof TensorkitError)) failures.push(`new ${name}(${show(extra)}) threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
