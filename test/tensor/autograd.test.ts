import { afterEach, describe, expect, it } from 'vitest';
import * as tk from '../../src/tensor/index';
import { ArgumentError, Generator, NumericError, Parameter, ShapeError, Tensor, TensorkitError, tensor } from '../../src/tensor/index';
import { expectClose } from '../helpers/check';

const leaf = (v: number[] | number[][]) => tensor(v, undefined, { requiresGrad: true });

describe('autograd engine', () => {
  it('a tensor used twice gets both contributions: d/dx (x·x + x) = 2x + 1', () => {
    const x = leaf([1, -2, 3]);
    tk.add(tk.mul(x, x), x).sum().backward();
    expect(Array.from(x.grad!)).toEqual([3, -3, 7]);
  });

  it('a 100,000-op chain runs backward without overflowing the stack', () => {
    const x = leaf([2]);
    let y: Tensor = x;
    for (let i = 0; i < 100_000; i++) y = tk.add(y, 1e-5);
    y.backward();
    expect(Array.from(x.grad!)).toEqual([1]);
    expectClose([y.item()], [3], 1e-2);
  });

  it('leaf gradients accumulate across backward calls until zeroGrad', () => {
    const x = leaf([1, 2]);
    tk.mul(x, 3).sum().backward();
    tk.mul(x, 3).sum().backward();
    expect(Array.from(x.grad!)).toEqual([6, 6]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
  });

  it('the graph is released after backward, unless retainGraph', () => {
    const x = leaf([1, 2]);
    const y = tk.square(x).sum();
    y.backward();
    let err: unknown;
    try {
      y.backward();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TensorkitError);
    expect((err as TensorkitError).code).toBe('GRAPH_RELEASED');
    const z = tk.square(x).sum();
    x.zeroGrad();
    z.backward(undefined, { retainGraph: true });
    z.backward();
    expect(Array.from(x.grad!)).toEqual([4, 8]);
    // After release, nodes hold no references to their inputs (the buffers can be collected).
    expect(z.node!.inputs).toEqual([]);
  });

  it('intermediate gradients are freed; retainGrad keeps one', () => {
    const x = leaf([1, 2]);
    const h = tk.mul(x, 2);
    const k = tk.mul(x, 3).retainGrad();
    tk.add(h, k).sum().backward();
    expect(h.grad).toBeNull();
    expect(Array.from(k.grad!)).toEqual([1, 1]);
  });

  it('noGrad records nothing and restores the mode even after a throw', () => {
    const x = leaf([1]);
    const y = tk.noGrad(() => tk.mul(x, 2));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(() => tk.noGrad(() => { throw new Error('boom'); })).toThrow('boom');
    expect(tk.isGradEnabled()).toBe(true);
    expect(tk.noGrad(() => tk.enableGrad(() => tk.mul(x, 2))).requiresGrad).toBe(true);
  });

  it('detach cuts the graph but shares data', () => {
    const x = leaf([1, 2]);
    const d = tk.mul(x, 2).detach();
    expect(d.requiresGrad).toBe(false);
    const y = tk.add(tk.mul(d, x), 0).sum();
    y.backward();
    expect(Array.from(x.grad!)).toEqual([2, 4]);
  });

  it('backward needs a gradient for non-scalars and checks its size', () => {
    const x = leaf([1, 2]);
    expect(() => tk.mul(x, 2).backward()).toThrow(/implicit gradient exists only for a tensor of one element; pass a gradient of shape \[2\]/);
    expect(() => tk.mul(x, 2).backward([1, 2, 3])).toThrow(ShapeError);
    expect(() => tensor([1]).backward()).toThrow(ArgumentError);
    tk.mul(x, 2).backward(tensor([1, 10]));
    expect(Array.from(x.grad!)).toEqual([2, 20]);
  });

  it('valueAndGrad returns the value and one gradient per argument', () => {
    const [v, [ga, gb]] = tk.valueAndGrad((a, b) => tk.sum(tk.mul(tk.square(a), b)))(tensor([1, 2]), tensor([3, 4]));
    expect(v.item()).toBe(19);
    expect(ga.toArray()).toEqual([6, 16]);
    expect(gb.toArray()).toEqual([1, 4]);
    expect(() => tk.valueAndGrad((a) => tk.mul(a, 2))(tensor([1, 2]))).toThrow(/one-element tensor/);
  });

  it('gradcheck detects a wrong gradient', () => {
    // A deliberately wrong op: forward 2x, backward 3·dy.
    const bad = (x: Tensor) => {
      const y = tk.mul(x.detach(), 2);
      if (!x.requiresGrad) return y;
      y.requiresGrad = true;
      y.node = { op: 'bad', inputs: [x], attrs: {}, backward: (dy) => { const g = x.gradBuffer(); for (let i = 0; i < g.length; i++) g[i] += 3 * dy[i]; } };
      return y;
    };
    expect(tk.gradcheck(bad, [tk.randn([4], { rng: new Generator(1) })]).ok).toBe(false);
    expect(tk.gradcheck((x) => tk.mul(x, 2), [tk.randn([4], { rng: new Generator(1) })]).ok).toBe(true);
  });

  it('Parameter is a leaf that requires grad; initializers are seeded', () => {
    const p = Parameter.uniform([3, 2], -1, 1, new Generator(7));
    const q = Parameter.uniform([3, 2], -1, 1, new Generator(7));
    expect(p.requiresGrad).toBe(true);
    expect(p.isLeaf).toBe(true);
    expect(p.toArray()).toEqual(q.toArray());
    expect(p.toArray().every((v) => v >= -1 && v < 1)).toBe(true);
  });

  it('chainable methods equal the functions', () => {
    const x = tensor([[1, -2], [3, 4]]);
    expect(x.mul(2).add(1).relu().sum().item()).toBe(tk.sum(tk.relu(tk.add(tk.mul(x, 2), 1))).item());
    expect(x.transpose().matmul(x).tolist()).toEqual(tk.matmul(tk.transpose(x), x).tolist());
    expect(x.var({ axis: 0 }).toArray()).toEqual(tk.variance(x, { axis: 0 }).toArray());
    expect(String(x)).toBe('tensor([[ 1., -2.],\n        [ 3.,  4.]])');
  });
});

describe('numerics', () => {
  afterEach(() => tk.setDebug({ checkNumerics: false }));

  it('NaN propagates through every op (never silently replaced)', () => {
    const n = tensor([NaN, 1]);
    const ops: [string, (x: Tensor) => Tensor][] = [
      ['add', (x) => tk.add(x, 1)], ['mul', (x) => tk.mul(x, 0)], ['div', (x) => tk.div(x, 2)], ['pow', (x) => tk.pow(x, 2)],
      ['maximum', (x) => tk.maximum(x, 5)], ['minimum', (x) => tk.minimum(x, -5)], ['neg', tk.neg], ['abs', tk.abs],
      ['exp', tk.exp], ['log', tk.log], ['sqrt', tk.sqrt], ['tanh', tk.tanh], ['sigmoid', tk.sigmoid], ['relu', tk.relu],
      ['leakyRelu', (x) => tk.leakyRelu(x)], ['elu', (x) => tk.elu(x)], ['gelu', (x) => tk.gelu(x)], ['softplus', (x) => tk.softplus(x)],
      ['clamp', (x) => tk.clamp(x, { min: 0, max: 1 })], ['sign', tk.sign], ['square', tk.square], ['sin', tk.sin],
      ['sum', (x) => tk.sum(x)], ['mean', (x) => tk.mean(x)], ['max', (x) => tk.max(x)], ['min', (x) => tk.min(x)],
      ['var', (x) => tk.variance(x)], ['logSumExp', (x) => tk.logSumExp(x)], ['norm', (x) => tk.norm(x)],
      ['norm inf', (x) => tk.norm(x, { p: Infinity })], ['matmul', (x) => tk.matmul(x, tensor([1, 1]))],
      ['transpose', tk.transpose], ['expand', (x) => tk.expand(x, [2, 2])],
    ];
    for (const [name, f] of ops) {
      const y = f(n);
      expect(Array.from(y.data).some(Number.isNaN), name).toBe(true);
    }
    expect(tk.argmax(tensor([1, NaN, 3])).item()).toBe(1);
  });

  it('checkNumerics names the op where a NaN first appears, in forward and in backward', () => {
    tk.setDebug({ checkNumerics: true });
    const x = tensor([-1, 4], undefined, { requiresGrad: true });
    const y = tk.mul(x, 2);
    expect(() => tk.sqrt(y)).toThrow(NumericError);
    expect(() => tk.sqrt(y)).toThrow(/sqrt: output \[2\] has 1 NaN and 0 ±Inf values \(first at flat index 0\); its inputs were finite, so it started here/);
    // Downstream ops report that their input was already bad.
    tk.setDebug({ checkNumerics: false });
    const bad = tk.sqrt(y);
    tk.setDebug({ checkNumerics: true });
    expect(() => tk.add(bad, 1)).toThrow(/add: .* input 0 \[2\] already had 1 NaN/);
    // Backward: d sqrt at 0 is Inf.
    const z = tensor([0, 1], undefined, { requiresGrad: true });
    const s = tk.sqrt(z).sum();
    expect(() => s.backward()).toThrow(/backward of sqrt: gradient of input 0 \[2\] has 0 NaN and 1 ±Inf/);
  });

  it('log-sum-exp style ops are finite at ±1e4; sigmoid does not overflow', () => {
    const big = tensor([[1e4, -1e4], [-1e4, -1e4]]);
    expect(Array.from(tk.logSumExp(big, { axis: 1 }).data).every(Number.isFinite)).toBe(true);
  });
});

describe('Generator', () => {
  it('is reproducible for a seed and different across seeds', () => {
    const a = new Generator(42), b = new Generator(42), c = new Generator(43);
    const sa = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(sa);
  });

  it('state round-trips exactly, including a pending Box–Muller normal', () => {
    const g = new Generator(1);
    g.normal();
    const st = JSON.parse(JSON.stringify(g.getState()));
    const expected = [g.normal(), g.normal(), g.random()];
    const h = new Generator(0).setState(st);
    expect([h.normal(), h.normal(), h.random()]).toEqual(expected);
    expect(() => new Generator().setState({ s: [0, 0, 0, 0], spare: null })).toThrow(ArgumentError);
  });

  it('uniform and randint are unbiased to sampling error; permutation is a permutation', () => {
    const g = new Generator(9);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[g.randint(0, 7)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    const p = Array.from(g.permutation(50)).sort((x, y) => x - y);
    expect(p).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(() => g.randint(3, 3)).toThrow(ArgumentError);
    expect(() => new Generator(NaN)).toThrow(ArgumentError);
  });

  it('manualSeed makes the default generator reproducible', () => {
    tk.manualSeed(5);
    const a = tk.randn([4]).toArray();
    tk.manualSeed(5);
    expect(tk.randn([4]).toArray()).toEqual(a);
  });

  it('manualSeed re-seeds the default generator in place: a generator captured before draws the new stream', () => {
    const captured = tk.defaultGenerator();
    captured.random();
    const same = tk.manualSeed(11);
    expect(same).toBe(captured);
    expect(tk.defaultGenerator()).toBe(captured);
    const fresh = new Generator(11);
    expect([captured.random(), captured.normal(), captured.random()]).toEqual([fresh.random(), fresh.normal(), fresh.random()]);
    // A pending Box–Muller normal does not survive the re-seed.
    captured.normal();
    tk.manualSeed(11);
    expect(captured.normal()).toBe(new Generator(11).normal());
    expect(() => tk.manualSeed(NaN)).toThrow(ArgumentError);
  });
});

describe('options of the autograd and creation API are checked', () => {
  it('Parameter initializers, the Tensor constructor and Generator refuse bad arguments with typed errors (Symbol and BigInt too)', () => {
    expect(() => Parameter.uniform([2], 0, 1, 42 as never)).toThrow('Parameter.uniform: rng must be a Generator (e.g. new Generator(42)), got 42');
    expect(() => Parameter.normal([2], 0, -1)).toThrow('Parameter.normal: std must be a finite number ≥ 0, got -1');
    expect(() => Parameter.full([2], '1' as never)).toThrow('Parameter.full: value must be a number, got "1"');
    expect(() => new Tensor(new Float32Array(1), [1], 'yes' as never)).toThrow('Tensor: requiresGrad must be a boolean, got "yes"');
    expect(() => new Generator().randint(Symbol('a') as never, 3)).toThrow('Generator.randint: need integers low < high (span ≤ 2^32), got low=symbol Symbol(a), high=3');
    expect(() => new Generator().permutation(5n as never)).toThrow('Generator.permutation: n must be a non-negative integer, got bigint 5n');
    expect(() => tk.manualSeed(Symbol('s') as never)).toThrow(ArgumentError);
    expect(() => tk.oneHot([Symbol('i')] as never, 3)).toThrow(ArgumentError);
  });

  it('creation: requiresGrad must be a boolean, rng a Generator, and no unknown key passes', () => {
    expect(() => tk.zeros([2], { requires_grad: true } as never)).toThrow("zeros: unknown option 'requires_grad' (did you mean 'requiresGrad'?); zeros takes requiresGrad");
    expect(() => tensor([1], undefined, { requiresGrad: 'yes' } as never)).toThrow('tensor: requiresGrad must be a boolean, got "yes"');
    expect(() => tk.rand([2], { rng: 42 } as never)).toThrow('rand: rng must be a Generator (e.g. new Generator(42)), got 42');
    expect(() => tk.randn([2], { seed: 1 } as never)).toThrow(/randn: unknown option 'seed'/);
    expect(() => tk.arange(3, undefined, 1, 5 as never)).toThrow('arange: options must be an object, got 5');
    for (const f of [() => tk.ones([1], { requiresGrad: true }), () => tk.full([1], 2, { requiresGrad: true }), () => tk.eye(2, 2, { requiresGrad: true }), () => tk.linspace(0, 1, 3, { requiresGrad: true }), () => tk.randint(0, 3, [2], { requiresGrad: true, rng: new Generator(1) })]) {
      expect(f().requiresGrad).toBe(true);
    }
    // The options may come second when there is no shape.
    const t = tensor([1, 2], { requiresGrad: true });
    expect([t.shape, t.requiresGrad]).toEqual([[2], true]);
  });

  it('backward, setDebug and gradcheck refuse unknown keys and wrong types', () => {
    const w = tensor([1, 2], undefined, { requiresGrad: true });
    expect(() => tk.sum(w).backward(undefined, { retain_graph: true } as never)).toThrow("backward: unknown option 'retain_graph' (did you mean 'retainGraph'?)");
    expect(() => tk.sum(w).backward(undefined, { retainGraph: 1 } as never)).toThrow('backward: retainGraph must be a boolean, got 1');
    expect(() => tk.setDebug({ checknumerics: true } as never)).toThrow(/setDebug: unknown option 'checknumerics' \(did you mean 'checkNumerics'\?\)/);
    expect(() => tk.setDebug({ checkNumerics: 'on' } as never)).toThrow('setDebug: checkNumerics must be a boolean, got "on"');
    expect(tk.getDebug().checkNumerics).toBe(false);
    const f = (x: Tensor) => tk.mul(x, x);
    expect(() => tk.gradcheck(f, [tensor([1])], { tol: 1 } as never)).toThrow(/gradcheck: unknown option 'tol'/);
    expect(() => tk.gradcheck(f, [tensor([1])], { eps: 0 })).toThrow('gradcheck: eps must be a finite number > 0, got 0');
    expect(() => tk.gradcheck(f, [tensor([1])], { trials: 1.5 })).toThrow('gradcheck: trials must be an integer ≥ 1, got 1.5');
    expect(() => tk.gradcheck(f, tensor([1]) as never)).toThrow('gradcheck: inputs must be an array of tensors, got Tensor');
  });
});
