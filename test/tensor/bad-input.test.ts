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
  'noGrad', 'enableGrad', 'valueAndGrad', 'getDebug', 'isGradEnabled', 'defaultGenerator']);

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

describe('no options object of the tensor API is silently ignored', () => {
  const img = tk.ones([1, 1, 4, 4]), k = tk.ones([1, 1, 2, 2]), seq = tk.ones([1, 2, 1]);
  // Each entry passes `o` where the function takes its options object.
  const calls: [string, (o: unknown) => unknown][] = [
    ['tensor', (o) => tk.tensor([1], undefined, o as never)], ['zeros', (o) => tk.zeros([1], o as never)],
    ['ones', (o) => tk.ones([1], o as never)], ['full', (o) => tk.full([1], 2, o as never)], ['zerosLike', (o) => tk.zerosLike(good, o as never)],
    ['onesLike', (o) => tk.onesLike(good, o as never)], ['arange', (o) => tk.arange(0, 2, 1, o as never)], ['linspace', (o) => tk.linspace(0, 1, 2, o as never)],
    ['eye', (o) => tk.eye(2, 2, o as never)], ['rand', (o) => tk.rand([1], o as never)], ['randn', (o) => tk.randn([1], o as never)],
    ['randint', (o) => tk.randint(0, 2, [1], o as never)], ['sum', (o) => tk.sum(good, o as never)], ['mean', (o) => tk.mean(good, o as never)],
    ['max', (o) => tk.max(good, o as never)], ['min', (o) => tk.min(good, o as never)], ['var', (o) => tk.variance(good, o as never)],
    ['std', (o) => tk.std(good, o as never)], ['logSumExp', (o) => tk.logSumExp(good, o as never)], ['norm', (o) => tk.norm(good, o as never)],
    ['argmax', (o) => tk.argmax(good, o as never)], ['argmin', (o) => tk.argmin(good, o as never)], ['gelu', (o) => tk.gelu(good, o as never)],
    ['softplus', (o) => tk.softplus(good, o as never)], ['clamp', (o) => tk.clamp(good, o as never)], ['pad', (o) => tk.pad(good, [[1, 1]], o as never)],
    ['conv2d', (o) => tk.conv2d(img, k, null, o as never)], ['conv1d', (o) => tk.conv1d(tk.ones([1, 1, 4]), tk.ones([1, 1, 2]), null, o as never)],
    ['convTranspose2d', (o) => tk.convTranspose2d(img, k, null, o as never)], ['maxPool2d', (o) => tk.maxPool2d(img, { kernelSize: 2, ...(o as object) })],
    ['avgPool2d', (o) => tk.avgPool2d(img, { kernelSize: 2, ...(o as object) })], ['softmax', (o) => tk.softmax(good, o as never)],
    ['logSoftmax', (o) => tk.logSoftmax(good, o as never)], ['crossEntropy', (o) => tk.crossEntropy(good, [0, 1], o as never)],
    ['batchNorm', (o) => tk.batchNorm(good, tk.zeros([2]), tk.ones([2]), null, null, o as never)], ['embedding', (o) => tk.embedding([0], good, o as never)],
    ['dropout', (o) => tk.dropout(good, 0.5, o as never)], ['lstmLayer', (o) => tk.lstmLayer(seq, null, null, tk.ones([4, 1]), tk.ones([4, 1]), null, null, o as never)],
    ['gruLayer', (o) => tk.gruLayer(seq, null, tk.ones([3, 1]), tk.ones([3, 1]), null, null, o as never)],
    ['rnnLayer', (o) => tk.rnnLayer(seq, null, tk.ones([1, 1]), tk.ones([1, 1]), null, null, o as never)],
    ['lstsq', (o) => tk.lstsq(tk.eye(2), tensor([1, 2]), o as never)], ['setDebug', (o) => tk.setDebug(o as never)],
    ['gradcheck', (o) => tk.gradcheck((x) => x, [tensor([1])], o as never)],
    ['backward', (o) => tk.sum(tensor([1], undefined, { requiresGrad: true })).backward(undefined, o as never)],
  ];

  it('an unknown key is an ArgumentError naming it, for every function', () => {
    const ignored: string[] = [];
    for (const [name, call] of calls) {
      try {
        call({ bogusKey: 1 });
        ignored.push(name);
      } catch (e) {
        if (!(e instanceof tk.ArgumentError) || !/unknown option 'bogusKey'/.test(e.message)) ignored.push(`${name}: ${(e as Error).message}`);
      }
    }
    expect(ignored).toEqual([]);
  });

  it('a string where the options go is an ArgumentError, for every function', () => {
    const accepted: string[] = [];
    for (const [name, call] of calls) {
      if (name === 'maxPool2d' || name === 'avgPool2d') continue;
      try {
        call('bogus');
        accepted.push(name);
      } catch (e) {
        if (!(e instanceof tk.ArgumentError)) accepted.push(`${name}: ${(e as Error).message}`);
      }
    }
    expect(accepted).toEqual([]);
  });
});
