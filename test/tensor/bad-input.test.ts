import { describe, expect, it } from 'vitest';
import * as tk from '../../src/index';
import { Tensor, TensorkitError, tensor } from '../../src/index';

/**
 * No exported function may crash with a raw TypeError/RangeError on bad arguments: it either
 * works (numbers and arrays are accepted as tensors by the element-wise ops) or throws a
 * TensorkitError with a code.
 */
const garbage: unknown[] = [undefined, null, 'x', {}, NaN, -1, 1.5, [[1], [2, 3]], Symbol('s'), () => 1];
const good = tensor([[1, 2], [3, 4]]);

const skip = new Set(['Tensor', 'Parameter', 'Generator', 'TensorkitError', 'ShapeError', 'ArgumentError', 'FormatError', 'NumericError',
  // Higher-order helpers take functions; their callers' errors are their own.
  'noGrad', 'enableGrad', 'valueAndGrad', 'gradcheck', 'setDebug', 'getDebug', 'isGradEnabled', 'defaultGenerator', 'manualSeed']);

function describeFailure(name: string, args: unknown[], e: unknown): string | null {
  if (e instanceof TensorkitError && typeof e.code === 'string') return null;
  return `${name}(${args.map((a) => (a instanceof Tensor ? `Tensor${JSON.stringify(a.shape)}` : typeof a === 'symbol' ? 'Symbol' : typeof a === 'function' ? 'fn' : JSON.stringify(a))).join(', ')}) threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`;
}

/** Calls f; a returned Promise (async functions such as fit) is awaited, so a rejection counts like a throw. */
async function callSafely(name: string, f: (...a: unknown[]) => unknown, args: unknown[]): Promise<string | null> {
  try {
    const r = f(...args);
    if (r instanceof Promise) await r;
    return null;
  } catch (e) {
    return describeFailure(name, args, e);
  }
}

describe('bad input never escapes as a raw TypeError', () => {
  const fns = Object.entries(tk).filter(([n, v]) => typeof v === 'function' && !skip.has(n) && !/^[A-Z]/.test(n)) as [string, (...a: unknown[]) => unknown][];

  it('every exported function, with garbage in each argument position', async () => {
    const failures: string[] = [];
    for (const [name, f] of fns) {
      const arity = Math.max(f.length, 3);
      for (const g of garbage) {
        for (let pos = 0; pos < arity; pos++) {
          // Garbage after a good first tensor, and garbage among good tensors everywhere else.
          for (const fillGood of [false, true]) {
            const args: unknown[] = new Array(arity).fill(undefined).map((_, i) => (i === 0 || fillGood ? good : undefined));
            args[pos] = g;
            const r = await callSafely(name, f, args.slice(0, Math.max(pos + 1, f.length)));
            if (r) failures.push(r);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
