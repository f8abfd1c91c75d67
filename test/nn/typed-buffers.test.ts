import { describe, expect, it } from 'vitest';
import { loadSafetensors, saveSafetensors } from '../../src/io/index';
import { Linear, Module, Sequential } from '../../src/nn/index';
import {
  ArgumentError, Generator, Parameter, ShapeError, Tensor, TensorkitError, TypedBuffer, linear, mul, tensor,
} from '../../src/tensor/index';

/**
 * What an int8 layer will look like: int8 weights with a float scale, a uint8 pruning mask and an
 * int64 step counter, all plain fields. forward dequantizes: W = scale · q ⊙ mask.
 */
class QLinear extends Module {
  qweight: TypedBuffer;
  mask: TypedBuffer;
  steps = new TypedBuffer('I64', []);
  scale = new Parameter(tensor([0.5]));
  running = tensor([0, 0]);
  constructor(q: number[], mask: number[]) {
    super();
    this.qweight = new TypedBuffer('I8', [2, 2], Int8Array.from(q));
    this.mask = new TypedBuffer('U8', [2, 2], Uint8Array.from(mask));
  }
  forward(x: Tensor): Tensor {
    const w = new Float32Array(4);
    for (let i = 0; i < 4; i++) w[i] = this.qweight.data[i] * this.mask.data[i];
    return linear(x, mul(new Tensor(w, [2, 2]), this.scale), null);
  }
}

describe('typed buffers in modules', () => {
  it('reflection finds them as buffers (not parameters), in field order, through containers', () => {
    const net = new Sequential(new QLinear([1, -2, 3, -4], [1, 1, 0, 1]), new Linear(2, 1));
    expect(net.namedBuffers().map(([n, b]) => [n, b instanceof Tensor ? 'F32' : b.dtype])).toEqual([
      ['0.qweight', 'I8'], ['0.mask', 'U8'], ['0.steps', 'I64'], ['0.running', 'F32'],
    ]);
    expect(net.namedParameters().map(([n]) => n)).toEqual(['0.scale', '1.weight', '1.bias']);
    expect(net.buffers().length).toBe(4);
    expect(net.numParameters()).toBe(1 + 2 + 1);
  });

  it('stateDict holds views of them (parameters first, then buffers); loadStateDict copies in place', () => {
    const a = new QLinear([1, -2, 3, -4], [1, 1, 0, 1]);
    const sd = a.stateDict();
    expect(Object.keys(sd)).toEqual(['scale', 'qweight', 'mask', 'steps', 'running']);
    const q = sd.qweight as TypedBuffer;
    expect(TypedBuffer.isTypedBuffer(q)).toBe(true);
    expect(q.data).toBe(a.qweight.data);
    const b = new QLinear([0, 0, 0, 0], [0, 0, 0, 0]);
    const before = b.qweight.data;
    b.loadStateDict(sd);
    expect(b.qweight.data).toBe(before);
    expect(b.qweight.toArray()).toEqual([1, -2, 3, -4]);
    expect(b.mask.toArray()).toEqual([1, 1, 0, 1]);
    const x = tensor([[1, 2]]);
    expect(b.forward(x).toArray()).toEqual(a.forward(x).toArray());
  });

  it('module → stateDict → saveSafetensors → loadSafetensors → loadStateDict is bit-exact in every dtype', () => {
    const a = new QLinear([-128, 127, 0, -1], [0, 1, 1, 0]);
    a.steps.data[0] = 2 ** 53 - 1;
    a.running.data.set([NaN, -0]);
    const bytes = saveSafetensors(a.stateDict());
    const { tensors } = loadSafetensors(bytes);
    expect(Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, v instanceof Tensor ? 'F32' : v.dtype]))).toEqual({
      scale: 'F32', qweight: 'I8', mask: 'U8', steps: 'I64', running: 'F32',
    });
    const b = new QLinear([0, 0, 0, 0], [1, 1, 1, 1]);
    b.loadStateDict(tensors);
    expect(Array.from(b.qweight.data)).toEqual([-128, 127, 0, -1]);
    expect(Array.from(b.mask.data)).toEqual([0, 1, 1, 0]);
    expect(b.steps.data[0]).toBe(2 ** 53 - 1);
    expect(Object.is(b.running.data[1], -0) && Number.isNaN(b.running.data[0])).toBe(true);
    // Saving the loaded module gives the same bytes.
    expect(Buffer.from(saveSafetensors(b.stateDict())).equals(Buffer.from(bytes))).toBe(true);
  });

  it('a mismatched dtype or shape is a ShapeError listing every bad entry, and nothing is copied', () => {
    const b = new QLinear([9, 9, 9, 9], [1, 1, 1, 1]);
    const sd = { ...b.stateDict() };
    sd.qweight = new TypedBuffer('U8', [2, 2]);
    sd.mask = new TypedBuffer('U8', [4]);
    sd.running = { dtype: 'I32', shape: [2], data: new Int32Array(2) } as never;
    sd.scale = new TypedBuffer('I8', [1]);
    let err: unknown = null;
    try {
      b.loadStateDict(sd);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ShapeError);
    expect((err as Error).message).toBe(
      'loadStateDict: mis-sized or invalid entries: scale: checkpoint I8 [1] vs model F32 [1]; qweight: checkpoint U8 [2, 2] vs model I8 [2, 2]; '
      + 'mask: checkpoint [4] vs model [2, 2]; running: checkpoint I32 [2] vs model F32 [2]',
    );
    expect(b.qweight.toArray()).toEqual([9, 9, 9, 9]);
    // A float tensor where an integer buffer goes, and a value the dtype cannot hold.
    expect(() => b.loadStateDict({ ...b.stateDict(), qweight: tensor([[1, 2], [3, 4]]) })).toThrow('qweight: checkpoint F32 [2, 2] vs model I8 [2, 2]');
    expect(() => b.loadStateDict({ ...b.stateDict(), mask: { dtype: 'U8', shape: [2, 2], data: [1, 2, 3, 256] } })).toThrow('mask: TypedBuffer.from: U8 element 3 = 256 is out of range');
    expect(b.mask.toArray()).toEqual([1, 1, 1, 1]);
  });
});

describe('loadStateDict reads the JSON of a state dict', () => {
  /** What `Tensor.toJSON` writes (the lead adds it to Tensor): `{ shape, data }`, non-finite values as strings. */
  it('the docs recipe JSON.stringify(model.stateDict()) → loadStateDict(JSON.parse(…)) restores every value', () => {
    const a = new Sequential(new QLinear([1, -2, 3, -4], [1, 0, 1, 0]), new Linear(2, 3, { rng: new Generator(3) }));
    (a[0] as QLinear).running.data.set([NaN, -Infinity]);
    (a[0] as QLinear).steps.data[0] = 12;
    const text = JSON.stringify(a.stateDict());
    const b = new Sequential(new QLinear([0, 0, 0, 0], [1, 1, 1, 1]), new Linear(2, 3, { rng: new Generator(4) }));
    b.loadStateDict(JSON.parse(text));
    const sa = a.stateDict(), sb = b.stateDict();
    for (const k of Object.keys(sa)) expect(Array.from(sb[k].data), k).toEqual(Array.from(sa[k].data));
  });

  it('checks the JSON entries like tensors: shape, dtype, length and number encoding', () => {
    const lin = new Linear(2, 1);
    const sd = { weight: { shape: [1, 2], data: [1, 'Infinity'] }, bias: { shape: [1], data: ['NaN'] } };
    lin.loadStateDict(sd);
    expect(Array.from(lin.weight.data)).toEqual([1, Infinity]);
    expect(Number.isNaN(lin.bias!.data[0])).toBe(true);
    expect(() => lin.loadStateDict({ ...sd, weight: { shape: [2, 1], data: [1, 2] } })).toThrow('weight: checkpoint [2, 1] vs model [1, 2]');
    expect(() => lin.loadStateDict({ ...sd, weight: { shape: [1, 2], data: [1] } })).toThrow('weight: JSON tensor: data has 1 values but shape [1, 2] needs 2');
    expect(() => lin.loadStateDict({ ...sd, weight: { shape: [1, 2], data: [1, null] } as never })).toThrow('weight: JSON tensor: data[1] must be a number');
    expect(() => lin.loadStateDict({ ...sd, weight: { shape: [1, 2], data: [1, 'inf'] } })).toThrow(ShapeError);
    expect(() => lin.loadStateDict({ ...sd, weight: { dtype: 'I8', shape: [1, 2], data: [1, 2] } })).toThrow('weight: checkpoint I8 [1, 2] vs model F32 [1, 2]');
    expect(() => lin.loadStateDict({ ...sd, weight: { dtype: 'F32', shape: [1, 2], data: new Float32Array(3) } })).toThrow('weight: JSON tensor: data has 3 values but shape [1, 2] needs 2');
    expect(() => lin.loadStateDict({ ...sd, weight: { shape: [1, 2], data: new Float32Array(1) } as never })).toThrow(ShapeError);
    lin.loadStateDict({ ...sd, weight: { dtype: 'F32', shape: [1, 2], data: new Float32Array([3, 4]) } });
    expect(Array.from(lin.weight.data)).toEqual([3, 4]);
    expect(() => lin.loadStateDict({ ...sd, weight: 3 as never })).toThrow('weight: not a Tensor, a typed tensor or its JSON { shape, data } (got 3)');
  });
});

describe('Module options go through the shared validator', () => {
  it('loadStateDict refuses strict: "no", unknown options, and a non-object state dict', () => {
    const lin = new Linear(2, 1);
    const sd = lin.stateDict();
    expect(() => lin.loadStateDict(sd, { strict: 'no' } as never)).toThrow(ArgumentError);
    expect(() => lin.loadStateDict(sd, { strict: 'no' } as never)).toThrow('loadStateDict: strict must be a boolean, got "no"');
    expect(() => lin.loadStateDict(sd, { Strict: false } as never)).toThrow("loadStateDict: unknown option 'Strict' (did you mean 'strict'?)");
    expect(() => lin.loadStateDict(sd, 1 as never)).toThrow('loadStateDict: options must be an object, got 1');
    expect(() => lin.loadStateDict(null as never)).toThrow(ArgumentError);
    expect(() => lin.loadStateDict([] as never)).toThrow(ArgumentError);
    // An empty state dict misses every key: strict refuses it, strict: false reports them.
    expect(() => lin.loadStateDict({})).toThrow(TensorkitError);
    expect(lin.loadStateDict({}, { strict: false }).missingKeys).toEqual(['weight', 'bias']);
  });

  it('train, numParameters, summary, namedModules and apply check their arguments', () => {
    const lin = new Linear(2, 1);
    expect(() => lin.train('false' as never)).toThrow('train: mode must be a boolean, got "false"');
    expect(() => lin.numParameters({ trainable_only: true } as never)).toThrow("unknown option 'trainable_only' (did you mean 'trainableOnly'?)");
    expect(() => lin.numParameters({ trainableOnly: 1 } as never)).toThrow('numParameters: trainableOnly must be a boolean, got 1');
    expect(() => lin.summary([1, -2])).toThrow('summary: inputShape[1] must be an integer ≥ 0, got -2');
    expect(() => lin.summary(3 as never)).toThrow(ArgumentError);
    expect(() => lin.namedModules(3 as never)).toThrow('namedModules: prefix must be a string, got 3');
    expect(() => lin.apply(null as never)).toThrow('apply: fn must be a function, got null');
    expect(lin.numParameters({ trainableOnly: true })).toBe(3);
  });
});
