import { describe, expect, it } from 'vitest';
import {
  AdaptiveAvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential,
} from '../../src/nn/index';
import {
  ArgumentError, Generator, Tensor, add, conv2d, mul, randn, relu, tensor, zeros, type RemovableHandle,
} from '../../src/tensor/index';
import { expectClose } from '../helpers/check';

const rng = () => new Generator(7);

/** A module whose forward takes two arguments, to see argument lists pass through the hooks. */
class AddMul extends Module {
  forward(a: Tensor, b: Tensor): Tensor {
    return mul(add(a, b), 2);
  }
}

describe('forward hooks', () => {
  it('fire when a container calls forward: pre-hook sees the inputs, forward hook the output', () => {
    const net = new Sequential(new Linear(3, 4, { rng: rng() }), new ReLU(), new Linear(4, 2, { rng: rng() }));
    const x = randn([5, 3], { rng: rng() });
    const log: string[] = [];
    let seenIn: unknown[] = [];
    let seenOut: unknown = null;
    net[2].registerForwardPreHook((m, inputs) => {
      log.push(`pre ${m.constructor.name}`);
      seenIn = inputs;
    });
    net[2].registerForwardHook((m, inputs, out) => {
      log.push(`post ${m.constructor.name}`);
      expect(inputs).toBe(seenIn);
      seenOut = out;
    });
    const y = net.forward(x);
    expect(log).toEqual(['pre Linear', 'post Linear']);
    // The pre-hook saw the ReLU's output, the hook saw exactly what Sequential returned.
    const h = relu((net[0] as Linear).forward(x));
    expect(seenIn.length).toBe(1);
    expectClose((seenIn[0] as Tensor).toArray(), h.toArray());
    expect(seenOut).toBe(y);
  });

  it('a pre-hook may replace the inputs (one value or the whole list); a hook may replace the output', () => {
    const m = new AddMul();
    const a = tensor([1, 2]), b = tensor([10, 20]);
    expect(m.forward(a, b).toArray()).toEqual([22, 44]);
    const h1 = m.registerForwardPreHook(() => [b, b]);
    expect(m.forward(a, b).toArray()).toEqual([40, 80]);
    h1.remove();
    // A single value (not an array) replaces the one argument.
    const lin = new Linear(2, 2, { rng: rng() });
    const h2 = lin.registerForwardPreHook(() => zeros([1, 2]));
    expectClose(lin.forward(tensor([[5, 6]])).toArray(), lin.bias!.toArray());
    h2.remove();
    const h3 = m.registerForwardHook((_m, _in, out) => mul(out as Tensor, -1));
    expect(m.forward(a, b).toArray()).toEqual([-22, -44]);
    // undefined keeps the output.
    const h4 = m.registerForwardHook(() => undefined);
    expect(m.forward(a, b).toArray()).toEqual([-22, -44]);
    h3.remove();
    h4.remove();
    expect(m.forward(a, b).toArray()).toEqual([22, 44]);
  });

  it('runs hooks in registration order, prepend first, each seeing the previous one\'s result', () => {
    const m = new AddMul();
    const log: string[] = [];
    m.registerForwardHook((_m, _i, out) => { log.push('h1'); return add(out as Tensor, 1); });
    m.registerForwardHook((_m, _i, out) => { log.push('h2'); return mul(out as Tensor, 10); });
    m.registerForwardHook(() => { log.push('h0'); }, { prepend: true });
    m.registerForwardPreHook(() => { log.push('p1'); });
    m.registerForwardPreHook(() => { log.push('p0'); }, { prepend: true });
    // (2·(1 + 2) + 1)·10 = 70: h1 runs before h2.
    expect(m.forward(tensor([1]), tensor([2])).toArray()).toEqual([70]);
    expect(log).toEqual(['p0', 'p1', 'h0', 'h1', 'h2']);
  });

  it('remove() unregisters once per handle, is idempotent, and the last removal restores the plain forward', () => {
    const lin = new Linear(2, 2, { rng: rng() });
    const protoForward = Object.getPrototypeOf(lin).forward;
    let calls = 0;
    const fn = (): void => { calls++; };
    const a = lin.registerForwardHook(fn);
    const b = lin.registerForwardHook(fn);
    expect(Object.prototype.hasOwnProperty.call(lin, 'forward')).toBe(true);
    lin.forward(zeros([1, 2]));
    expect(calls).toBe(2);
    a.remove();
    a.remove();
    lin.forward(zeros([1, 2]));
    expect(calls).toBe(3);
    b.remove();
    lin.forward(zeros([1, 2]));
    expect(calls).toBe(3);
    expect(Object.prototype.hasOwnProperty.call(lin, 'forward')).toBe(false);
    expect(lin.forward).toBe(protoForward);
  });

  it('a hook that removes itself while running does not skip the next one', () => {
    const m = new AddMul();
    const log: string[] = [];
    let h: RemovableHandle | null = null;
    h = m.registerForwardHook(() => { log.push('once'); h!.remove(); });
    m.registerForwardHook(() => { log.push('always'); });
    m.forward(tensor([1]), tensor([1]));
    m.forward(tensor([1]), tensor([1]));
    expect(log).toEqual(['once', 'always', 'always']);
  });

  it('leave no trace in reflection, state dicts, configs or summaries', () => {
    const net = new Sequential(new Linear(3, 4, { rng: rng() }), new ReLU());
    const before = {
      keys: Object.keys(net[0]), sd: Object.keys(net.stateDict()), config: JSON.stringify(net.config()),
      summary: net.summary([2, 3]), children: net.namedChildren().map(([n]) => n),
    };
    const hs = [
      net[0].registerForwardHook(() => undefined), net[0].registerForwardPreHook(() => undefined),
      net.registerForwardHook(() => undefined),
    ];
    expect(Object.keys(net[0])).toEqual(before.keys);
    expect(Object.keys(net.stateDict())).toEqual(before.sd);
    expect(JSON.stringify(net.config())).toBe(before.config);
    expect(net.namedChildren().map(([n]) => n)).toEqual(before.children);
    // summary registers its own hooks and removes only those.
    expect(net.summary([2, 3])).toBe(before.summary);
    expect(Object.prototype.hasOwnProperty.call(net[0], 'forward')).toBe(true);
    for (const h of hs) h.remove();
    expect(Object.prototype.hasOwnProperty.call(net[0], 'forward')).toBe(false);
  });

  it('capture the activations of a CNN layer (what explainers and calibration observers need)', () => {
    const conv = new Conv2d(1, 4, 3, { padding: 1, rng: rng() });
    const cnn = new Sequential(conv, new ReLU(), new MaxPool2d(2), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(4, 3, { rng: rng() }));
    const x = randn([2, 1, 8, 8], { rng: rng() });
    const acts: Tensor[] = [];
    const h = conv.registerForwardHook((_m, _inputs, out) => { acts.push(out as Tensor); });
    const y = cnn.forward(x);
    h.remove();
    cnn.forward(x);
    expect(acts.length).toBe(1);
    expect(acts[0].shape).toEqual([2, 4, 8, 8]);
    expectClose(acts[0].toArray(), conv2d(x, conv.weight, conv.bias, { padding: 1 }).toArray());
    expect(y.shape).toEqual([2, 3]);
  });

  it('hooks do not break gradients: a hook that scales the output scales the gradient', () => {
    const lin = new Linear(2, 1, { rng: rng() });
    const x = tensor([[1, 2]]);
    lin.forward(x).sum().backward();
    const g1 = Array.from(lin.weight.grad!);
    lin.zeroGrad();
    const h = lin.registerForwardHook((_m, _i, out) => mul(out as Tensor, 3));
    lin.forward(x).sum().backward();
    h.remove();
    expectClose(Array.from(lin.weight.grad!), g1.map((v) => 3 * v));
  });

  it('bad hooks and options are typed errors', () => {
    const lin = new Linear(2, 2);
    expect(() => lin.registerForwardHook(42 as never)).toThrow(ArgumentError);
    expect(() => lin.registerForwardHook(42 as never)).toThrow('registerForwardHook: hook must be a function, got 42');
    expect(() => lin.registerForwardPreHook(() => undefined, { prepnd: true } as never)).toThrow("did you mean 'prepend'");
    expect(() => lin.registerForwardPreHook(() => undefined, { prepend: 'yes' } as never)).toThrow('prepend must be a boolean');
    // A failed registration installs nothing.
    expect(Object.prototype.hasOwnProperty.call(lin, 'forward')).toBe(false);
  });
});
