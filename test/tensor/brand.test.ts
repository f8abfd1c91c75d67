import { describe, expect, it, vi } from 'vitest';
import { Generator, Parameter, Tensor, TypedBuffer, add, matmul, mul, randn, sum, tensor } from '../../src/tensor/index';
import { Linear, Module } from '../../src/nn/index';
import { SGD } from '../../src/optim/index';

// A second copy of the library in the same process, as an ESM and a CommonJS build of one
// application would load: resetModules makes the next import evaluate every source file again.
async function otherCopy() {
  vi.resetModules();
  const t = await import('../../src/tensor/index');
  const nn = await import('../../src/nn/index');
  vi.resetModules();
  return { ...t, ...nn };
}

describe('brands: instances of another copy of tensorkit are accepted', () => {
  it('the second copy has distinct classes that ordinary instanceof would refuse', async () => {
    const b = await otherCopy();
    expect(b.Tensor).not.toBe(Tensor);
    const y = b.tensor([1, 2]);
    expect(Object.getPrototypeOf(y)).not.toBe(Tensor.prototype);
    expect(Function.prototype[Symbol.hasInstance].call(Tensor, y)).toBe(false);
    expect(y instanceof Tensor).toBe(true);
    expect(tensor([1]) instanceof b.Tensor).toBe(true);
  });

  it("a foreign tensor goes through this copy's ops and backward into its own leaf", async () => {
    const b = await otherCopy();
    const x = b.tensor([[1, 2], [3, 4]], undefined, { requiresGrad: true });
    // y = Σ x ⊙ w  ⇒  dy/dx = w
    const y = sum(mul(x, tensor([[1, 0], [2, 1]])));
    expect(y.item()).toBe(11);
    y.backward();
    expect(Array.from(x.grad!)).toEqual([1, 0, 2, 1]);
    expect(matmul(b.eye(2), tensor([[5], [6]])).toArray()).toEqual([5, 6]);
  });

  it('foreign Parameters, Modules and Generators are found and accepted', async () => {
    const b = await otherCopy();
    class Net extends Module {
      w = b.Parameter.full([2], 1);
      inner = new b.Linear(2, 1, { rng: new b.Generator(0) });
      buf = new b.TypedBuffer('U8', [2]);
      forward(t: Tensor): Tensor { return this.inner.forward(mul(t, this.w)) as Tensor; }
    }
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual(['w', 'inner.weight', 'inner.bias']);
    expect(Object.keys(net.stateDict())).toEqual(['w', 'buf', 'inner.weight', 'inner.bias']);
    const before = net.w.toArray();
    sum(net.forward(tensor([[1, 1]]))).backward();
    new SGD(net.parameters(), { lr: 0.5 }).step();
    expect(net.w.toArray()).not.toEqual(before);
    expect(randn([3], { rng: new b.Generator(5) }).toArray()).toEqual(randn([3], { rng: new Generator(5) }).toArray());
  });

  it('subclass checks stay exact, and a prototype is not an instance', async () => {
    const b = await otherCopy();
    const p = new Parameter(tensor([1]));
    expect(p instanceof Tensor && p instanceof Parameter).toBe(true);
    expect(tensor([1]) instanceof Parameter).toBe(false);
    expect(b.Parameter.full([1]) instanceof Parameter).toBe(true);
    class MyTensor extends Tensor {}
    expect(new MyTensor(new Float32Array(1), [1]) instanceof MyTensor).toBe(true);
    expect(tensor([1]) instanceof MyTensor).toBe(false);
    expect(new b.Linear(1, 1) instanceof Module).toBe(true);
    expect(new b.Linear(1, 1) instanceof Linear).toBe(false);
    expect(new Linear(1, 1) instanceof Linear).toBe(true);
    expect(Linear.prototype instanceof Module).toBe(true);
    expect(Module.prototype instanceof Module).toBe(false);
    expect(Tensor.prototype instanceof Tensor).toBe(false);
    expect(Parameter.prototype instanceof Tensor).toBe(true);
    for (const v of [null, undefined, 0, 'Tensor', {}, [], new Float32Array(2), () => 1]) {
      expect(v instanceof Tensor).toBe(false);
      expect(v instanceof Module).toBe(false);
      expect(v instanceof Generator).toBe(false);
      expect(TypedBuffer.isTypedBuffer(v)).toBe(false);
    }
  });

  it('a hand-made object with the brand and the instance fields of a Tensor is accepted as-is', () => {
    // What docs/tensor.md lists: the brand, data, shape, size, requiresGrad, grad, node, hooks, retainsGrad.
    const foreign = {
      [Symbol.for('tensorkit.Tensor')]: true,
      data: new Float32Array([1, 2, 3]), shape: [3], size: 3,
      requiresGrad: false, grad: null, node: null, hooks: null, retainsGrad: false,
    };
    expect(foreign instanceof Tensor).toBe(true);
    expect(add(foreign as unknown as Tensor, 1).toArray()).toEqual([2, 3, 4]);
    // Without the brand it is just an object.
    const { [Symbol.for('tensorkit.Tensor')]: _, ...plain } = foreign;
    expect(plain instanceof Tensor).toBe(false);
    expect(() => add(plain as unknown as Tensor, 1)).toThrow(/add: a must be a Tensor/);
  });
});
