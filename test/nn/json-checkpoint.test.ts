import { describe, expect, it } from 'vitest';
import { FormatError, Generator, Tensor, TypedBuffer, crossEntropy, randn, tensor, type TypedTensorJson } from '../../src/tensor/index';
import { Linear, Module, ReLU, Sequential, type StateDict } from '../../src/nn/index';
import { Adam, CosineAnnealingLR } from '../../src/optim/index';
import { ModelCheckpoint } from '../../src/train/index';

const roundTrip = <T>(v: T): unknown => JSON.parse(JSON.stringify(v));
const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('Tensor.toJSON and tensor(json)', () => {
  it('writes { shape, data } with the tensor/json number convention', () => {
    const t = tensor([[1, NaN, Infinity], [-Infinity, 0.5, -2]], undefined, { requiresGrad: true });
    expect(t.toJSON()).toEqual({ shape: [2, 3], data: [1, 'NaN', 'Infinity', '-Infinity', 0.5, -2] });
    expect(JSON.stringify(t)).toBe('{"shape":[2,3],"data":[1,"NaN","Infinity","-Infinity",0.5,-2]}');
    expect(JSON.stringify(tensor(7))).toBe('{"shape":[],"data":[7]}');
    expect(JSON.stringify(tensor([], [0, 3]))).toBe('{"shape":[0,3],"data":[]}');
  });

  it('reads back every float32 bit pattern exactly, but −0 as 0 and any NaN as the quiet NaN', () => {
    // Random bit patterns cover subnormals, the largest floats, and values whose shortest double
    // decimal has 17 digits: each must come back as the same float32 through JSON.stringify/parse.
    const rng = new Generator(11);
    const bits = new Uint32Array(20000);
    for (let i = 0; i < bits.length; i++) bits[i] = rng.nextUint32();
    bits.set([0x00000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x3dcccccd, 0x7f800000, 0xff800000], 0);
    const x = new Float32Array(bits.buffer);
    const back = tensor(roundTrip(new Tensor(x, [100, 200])) as never);
    expect(back.shape).toEqual([100, 200]);
    const want = Array.from(x, (v) => (Number.isNaN(v) ? NaN : Object.is(v, -0) ? 0 : v));
    const wantBits = bitsOf(Float32Array.from(want));
    expect(bitsOf(back.data)).toEqual(wantBits);
    // What makes it exact: the decimal printed for each float's double parses to that double.
    for (let i = 0; i < 500; i++) if (Number.isFinite(x[i])) expect(Math.fround(JSON.parse(JSON.stringify(x[i])) as number)).toBe(x[i]);
  });

  it('takes the options second, and refuses a shape beside the JSON form', () => {
    const t = tensor({ shape: [2], data: [1, 2] }, { requiresGrad: true });
    expect(t.requiresGrad).toBe(true);
    expect(tensor({ shape: [1], data: [3], dtype: 'F32' }).toArray()).toEqual([3]);
    expect(() => tensor({ shape: [2], data: [1, 2] }, [2])).toThrow('tensor: a JSON tensor { shape, data } carries its shape; got a shape array(1) too');
  });

  it('names the shape and the data length of a malformed JSON tensor', () => {
    const bad = (v: unknown) => () => tensor(v as never);
    expect(bad({ shape: [2, 2], data: [1, 2, 3] })).toThrow(FormatError);
    expect(bad({ shape: [2, 2], data: [1, 2, 3] })).toThrow('tensor: the JSON tensor: data has 3 values but shape [2, 2] needs 4');
    expect(bad({ shape: [2], data: [1, 'inf'] })).toThrow(`tensor: the JSON tensor: data[1] must be a number (or 'NaN', 'Infinity', '-Infinity'), got "inf" (shape [2], 2 values)`);
    expect(bad({ shape: [2], data: [1, null] })).toThrow('data[1] must be a number');
    expect(bad({ shape: [-1], data: [] })).toThrow('tensor: the JSON tensor: shape must contain non-negative integers, got shape[0] = -1 in [-1]');
    expect(bad({ shape: [1], data: { 0: 1 } })).toThrow('tensor: the JSON tensor: data must be an array of numbers (shape [1]), got');
    expect(bad({ shape: [1], data: [1], dtype: 'I8' })).toThrow("dtype of a float tensor must be 'F32', got \"I8\"");
    expect(bad({ shape: [1], data: [1], requiresGrad: true })).toThrow("unknown field 'requiresGrad'");
    expect(bad({ data: [1] })).toThrow(FormatError);
  });
});

class Quant extends Module {
  w = new Linear(3, 2, { rng: new Generator(1) });
  q8 = new TypedBuffer('I8', [3], new Int8Array([-128, 0, 127]));
  i32 = new TypedBuffer('I32', [2], new Int32Array([-(2 ** 31), 2 ** 31 - 1]));
  u32 = new TypedBuffer('U32', [1], new Uint32Array([2 ** 32 - 1]));
  i64 = new TypedBuffer('I64', [2], new Float64Array([-(2 ** 53), 2 ** 53]));
  mask = new TypedBuffer('BOOL', [2], new Uint8Array([1, 0]));
  running = tensor([NaN, -Infinity, 1e-45]);
  forward(x: Tensor): Tensor { return this.w.forward(x); }
}

function zeroed(m: Module): void {
  for (const t of [...m.parameters(), ...m.buffers()]) (t.data as { fill(v: number): void }).fill(0);
}

describe('JSON checkpoints of state dicts (the docs recipe)', () => {
  it('loadStateDict(JSON.parse(JSON.stringify(model.stateDict()))) restores floats and every integer dtype', () => {
    const a = new Quant();
    const text = JSON.stringify(a.stateDict());
    const json = JSON.parse(text) as Record<string, TypedTensorJson>;
    expect(json.i64).toEqual({ dtype: 'I64', shape: [2], data: [-(2 ** 53), 2 ** 53] });
    expect(json.running).toEqual({ shape: [3], data: ['NaN', '-Infinity', 1.401298464324817e-45] });
    const b = new Quant();
    zeroed(b);
    b.loadStateDict(JSON.parse(text));
    const sa = a.stateDict(), sb = b.stateDict();
    for (const k of Object.keys(sa)) expect(Array.from(sb[k].data), k).toEqual(Array.from(sa[k].data));
  });

  it('names the key, the shape and the data length of a malformed entry, and copies nothing', () => {
    const a = new Quant();
    const json = roundTrip(a.stateDict()) as Record<string, { data: unknown[] }>;
    json['w.weight'].data.pop();
    json.q8.data[0] = 300;
    const b = new Quant();
    const before = JSON.stringify(b.stateDict());
    expect(() => b.loadStateDict(json as never)).toThrow('w.weight: JSON tensor: data has 5 values but shape [2, 3] needs 6');
    expect(() => b.loadStateDict(json as never)).toThrow('q8: TypedBuffer.from: I8 element 0 = 300 is out of range');
    expect(JSON.stringify(b.stateDict())).toBe(before);
  });

  it('ModelCheckpoint snapshots serialize with JSON.stringify, NaN state included', async () => {
    const model = new Linear(2, 1, { rng: new Generator(0) });
    const opt = new Adam(model.parameters(), { lr: 0.1 });
    const { fit } = await import('../../src/train/index');
    const xs = randn([8, 2], { rng: new Generator(2) }), ys = randn([8, 1], { rng: new Generator(3) });
    const ck = new ModelCheckpoint({ monitor: 'loss', saveBestOnly: false });
    await fit(model, { data: [[xs, ys]], loss: (p: Tensor, y: Tensor) => p.sub(y).square().mean(), optimizer: opt, epochs: 2, callbacks: [ck] });
    const info = roundTrip(ck.last) as { modelState: Record<string, unknown>; optimizerState: { state: { expAvg: unknown[] }[] } };
    const back = new Linear(2, 1);
    back.loadStateDict(info.modelState as never);
    expect(back.weight.toArray()).toEqual(model.weight.toArray());
    expect(info.optimizerState.state[0].expAvg).toHaveLength(2);
    const again = new Adam(back.parameters(), { lr: 0.1 });
    again.loadStateDict(info.optimizerState as never);
    expect(JSON.stringify(again.stateDict())).toBe(JSON.stringify(opt.stateDict()));
  });

  it("optim.md's resume recipe: { model, optim, sched } through JSON resumes bit-exactly, NaN and ±Inf kept", () => {
    const make = () => {
      const model = new Sequential(new Linear(4, 8, { rng: new Generator(5) }), new ReLU(), new Linear(8, 3, { rng: new Generator(6) }));
      const opt = new Adam(model.parameters(), { lr: 1e-2 });
      const sched = new CosineAnnealingLR(opt, { tMax: 10 });
      return { model, opt, sched };
    };
    const x = randn([6, 4], { rng: new Generator(7) }), y = tensor([0, 1, 2, 0, 1, 2]);
    const step = (r: ReturnType<typeof make>) => {
      r.opt.zeroGrad();
      crossEntropy(r.model.forward(x) as Tensor, y).backward();
      r.opt.step();
      r.sched.step();
    };
    const a = make();
    for (let i = 0; i < 3; i++) step(a);
    // Non-finite optimizer state survives as the strings of the JSON number convention.
    const st = (a.opt as unknown as { state: Map<Tensor, { expAvgSq: Float32Array }> }).state;
    const firstState = st.get(a.model.parameters()[0])!;
    firstState.expAvgSq[0] = Infinity;
    const text = JSON.stringify({ model: a.model.stateDict(), optim: a.opt.stateDict(), sched: a.sched.stateDict() });
    expect(text).toContain('"Infinity"');
    const ckpt = JSON.parse(text) as { model: StateDict; optim: never; sched: never };
    const b = make();
    b.model.loadStateDict(ckpt.model);
    b.opt.loadStateDict(ckpt.optim);
    b.sched.loadStateDict(ckpt.sched);
    expect(JSON.stringify(b.opt.stateDict())).toBe(JSON.stringify(a.opt.stateDict()));
    firstState.expAvgSq[0] = 1;
    (b.opt as unknown as { state: Map<Tensor, { expAvgSq: Float32Array }> }).state.get(b.model.parameters()[0])!.expAvgSq[0] = 1;
    for (let i = 0; i < 3; i++) { step(a); step(b); }
    const pa = a.model.parameters(), pb = b.model.parameters();
    for (let i = 0; i < pa.length; i++) expect(bitsOf(pb[i].data)).toEqual(bitsOf(pa[i].data));
  });
});
