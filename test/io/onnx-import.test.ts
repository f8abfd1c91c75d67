import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { exportOnnx } from '../../src/io/onnx/export';
import { OnnxModel, importOnnx } from '../../src/io/onnx/import';
import { onnxInfo } from '../../src/io/onnx/info';
import { ProtoWriter } from '../../src/io/onnx/protobuf';
import { ATTR, DATA_TYPE, F } from '../../src/io/onnx/schema';
import { CNN, MLP } from '../../src/models/index';
import {
  AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, ELU, Embedding, Flatten, GELU, LayerNorm, LeakyReLU,
  Linear, MaxPool2d, ReLU, Sequential, Sigmoid, Softmax, Softplus, Tanh, mseLoss, type Module,
} from '../../src/nn/index';
import { Adam, SGD } from '../../src/optim/index';
import { ArgumentError, FormatError, Generator, ShapeError, Tensor, add, conv2d, gradcheck, maxPool2d, noGrad, randn, relu, tensor } from '../../src/tensor/index';
import { fit } from '../../src/train/index';
import { expectClose, expectThrows } from '../helpers/check';

/** expectThrows for FormatError (its constructor takes the message first). */
const expectFormatError = (fn: () => unknown, ...parts: string[]): void => expectThrows(fn, FormatError, ...parts);

const FIXTURES = join(__dirname, '../fixtures');
interface Arr { shape: number[]; data: number[] }
interface Fixture { file: string; inputs: string[]; outputs: string[]; cases: { inputs: Record<string, Arr>; outputs: Record<string, Arr> }[] }
const fixtures = JSON.parse(readFileSync(join(FIXTURES, 'onnx_import.json'), 'utf8')) as { torch: string; models: Record<string, Fixture> };
const load = (name: string): Uint8Array => readFileSync(join(FIXTURES, fixtures.models[name].file));
const t = (a: Arr): Tensor => new Tensor(Float32Array.from(a.data), a.shape);
const outputsOf = (m: OnnxModel, names: string[], ...x: Tensor[]): Record<string, Tensor> => {
  const y = noGrad(() => m.forward(...x));
  return y instanceof Tensor ? { [names[0]]: y } : y;
};

describe('importOnnx: PyTorch 1.13 exports match PyTorch (atol 1e-4) at batch sizes 2 and 3', () => {
  for (const [name, fx] of Object.entries(fixtures.models)) {
    it(name, () => {
      const m = importOnnx(load(name));
      expect(m).toBeInstanceOf(OnnxModel);
      expect(m.inputInfo.map((v) => v.name)).toEqual(fx.inputs);
      expect(m.outputNames).toEqual(fx.outputs);
      expect(fx.cases.map((c) => Object.values(c.inputs)[0].shape[name === 'rnn' ? 1 : 0])).toEqual([2, 3]);
      for (const c of fx.cases) {
        const got = outputsOf(m, fx.outputs, ...fx.inputs.map((k) => t(c.inputs[k])));
        for (const o of fx.outputs) {
          expect(got[o].shape, `${name}.${o}`).toEqual(c.outputs[o].shape);
          expectClose(got[o].data, c.outputs[o].data, 1e-4, 0);
        }
      }
    });
  }

  it('the fixtures cover the ops the issue lists (onnxInfo of the committed files)', () => {
    const ops = new Set(Object.keys(fixtures.models).flatMap((n) => Object.keys(onnxInfo(load(n)).opCounts)));
    for (const op of ['Gemm', 'MatMul', 'Conv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'BatchNormalization', 'LayerNormalization',
      'LeakyRelu', 'Sigmoid', 'Tanh', 'Elu', 'Selu', 'Erf', 'Softplus', 'HardSigmoid', 'Softmax', 'LogSoftmax', 'Reshape', 'Flatten', 'Transpose',
      'Concat', 'Slice', 'Gather', 'Unsqueeze', 'Squeeze', 'Shape', 'Constant', 'ConstantOfShape', 'Add', 'Sub', 'Mul', 'Div', 'Pow', 'ReduceMean',
      'Sqrt', 'Where', 'LSTM', 'GRU', 'RNN', 'Pad']) expect(ops.has(op), op).toBe(true);
  });

  it('one input as a record by name; several inputs positional or by name; several outputs as a record', () => {
    const gru = importOnnx(load('gru'));
    const c = fixtures.models.gru.cases[0];
    const pos = gru.forward(t(c.inputs.x), t(c.inputs.h0)) as Record<string, Tensor>;
    const named = gru.forward({ h0: t(c.inputs.h0), x: t(c.inputs.x) }) as Record<string, Tensor>;
    expect(Object.keys(pos)).toEqual(['y', 'hn']);
    expect(Array.from(named.hn.data)).toEqual(Array.from(pos.hn.data));
    const mlp = importOnnx(load('mlp'));
    const x = t(fixtures.models.mlp.cases[0].inputs.input);
    expect(Array.from((mlp.forward({ input: x }) as Tensor).data)).toEqual(Array.from((mlp.forward(x) as Tensor).data));
    expectThrows(() => gru.forward(t(c.inputs.x)), ArgumentError, 'OnnxModel.forward', 'takes 2 input(s)');
    expectThrows(() => gru.forward({ x: t(c.inputs.x), h: t(c.inputs.h0) }), ArgumentError, "unknown input 'h'");
    expectThrows(() => mlp.forward(randn([2, 7])), ShapeError, "input 'input' [2, 7]", "graph's shape [batch, 8]");
    const emb = importOnnx(load('embedding'));
    expect(emb.inputInfo[0].elemType).toBe('INT64');
    expectThrows(() => emb.forward(tensor([[0, 1, 2, 3, 4.5]])), ArgumentError, "input 'ids' is INT64", 'element 4 is 4.5');
  });

  it('parameters are the float initializers under sanitized names; batch-norm statistics are buffers; stateDict round-trips', () => {
    const mlp = importOnnx(load('mlp'));
    expect(mlp.namedParameters().map(([n]) => n)).toEqual(['fc1.weight', 'fc1.bias', 'bn.weight', 'bn.bias', 'fc2.weight', 'fc2.bias']);
    expect(mlp.namedBuffers().map(([n]) => n)).toEqual(['bn.running_mean', 'bn.running_var']);
    const lstm = importOnnx(load('lstm'));
    const names = lstm.initializerNames();
    for (const [key, onnxName] of Object.entries(names)) {
      expect(key).toMatch(/^[A-Za-z0-9_.]+$/);
      if (onnxName.startsWith('onnx::')) expect(key).toBe(onnxName.replace('::', '__'));
    }
    // A fresh import loads another's state dict in place.
    const a = importOnnx(load('mlp')), b = importOnnx(load('mlp'));
    for (const p of a.parameters()) p.data.fill(0.5);
    b.loadStateDict(a.stateDict());
    const x = t(fixtures.models.mlp.cases[0].inputs.input);
    expect(Array.from((b.forward(x) as Tensor).data)).toEqual(Array.from((a.forward(x) as Tensor).data));
  });
});

describe('importOnnx: fine-tuning through an imported model', () => {
  it('gradients reach every parameter and one Adam step lowers the loss (CNN from PyTorch)', () => {
    const m = importOnnx(load('cnn'));
    const x = t(fixtures.models.cnn.cases[1].inputs.input), y = randn([3, 3], { rng: new Generator(3) });
    const loss0 = mseLoss(m.forward(x) as Tensor, y);
    loss0.backward();
    for (const [n, p] of m.namedParameters()) expect(p.grad, n).not.toBeNull();
    const opt = new Adam(m.parameters(), { lr: 0.01 });
    opt.step();
    const loss1 = noGrad(() => mseLoss(m.forward(x) as Tensor, y));
    expect(loss1.item()).toBeLessThan(loss0.item());
  });

  it('gradients through the graph match central differences (Erf, LayerNorm, Where, Pow; bidirectional GRU with its reordered gates)', () => {
    const block = importOnnx(load('block'));
    const r1 = gradcheck((x) => (block.forward(x) as Record<string, Tensor>).logprobs, [randn([2, 5, 8], { rng: new Generator(4) })], { trials: 3 });
    expect(r1.ok, JSON.stringify(r1)).toBe(true);
    const gru = importOnnx(load('gru'));
    const r2 = gradcheck((x, h0) => (gru.forward(x, h0) as Record<string, Tensor>).y, [randn([2, 6, 4], { rng: new Generator(5) }), randn([2, 2, 5], { rng: new Generator(6) })], { trials: 3 });
    expect(r2.ok, JSON.stringify(r2)).toBe(true);
  });

  it('fit runs on an imported LSTM and lowers its loss', async () => {
    const m = importOnnx(load('lstm'));
    const x = randn([4, 7, 5], { rng: new Generator(1) }), y = randn([4, 3], { rng: new Generator(2) });
    const before = noGrad(() => mseLoss(m.forward(x) as Tensor, y)).item();
    await fit(m, { data: [[x, y]], loss: mseLoss, optimizer: new SGD(m.parameters(), { lr: 0.1 }), epochs: 5 });
    expect(noGrad(() => mseLoss(m.forward(x) as Tensor, y)).item()).toBeLessThan(before);
  });
});

describe('importOnnx: exportOnnx → importOnnx gives the same outputs', () => {
  const rng = () => new Generator(5);
  const cases: [string, () => Module, number[]][] = [
    ['MLP (gelu, batch norm, dropout)', () => new MLP({ inFeatures: 5, hiddenSizes: [8, 6], outFeatures: 3, activation: 'gelu', batchNorm: true, dropout: 0.2, rng: rng() }), [1, 5]],
    ['CNN', () => new CNN({ inChannels: 2, inputSize: [8, 8], numClasses: 3, blocks: [{ channels: 4, batchNorm: true }, { channels: 5, kernelSize: 5, pool: 2 }], hidden: [6], rng: rng() }), [1, 2, 8, 8]],
    ['Conv2d (groups, dilation, same) + pools', () => new Sequential(new Conv2d(2, 4, 3, { padding: 'same', dilation: 2, groups: 2, rng: rng() }), new BatchNorm2d(4), new MaxPool2d(2), new AvgPool2d(2, { stride: 1, padding: 1, countIncludePad: false }), new AdaptiveAvgPool2d(1), new Flatten()), [1, 2, 8, 8]],
    ['Conv1d + BatchNorm1d + activations', () => new Sequential(new Conv1d(3, 4, 3, { padding: 1, rng: rng() }), new BatchNorm1d(4), new ELU(0.5), new Flatten(1, 2), new Linear(24, 4, { rng: rng() }), new LeakyReLU(0.2), new Softplus({ beta: 2 }), new Tanh(), new Sigmoid(), new Softmax()), [1, 3, 6]],
    ['Linear on 3-d input + LayerNorm + GELU(tanh)', () => new Sequential(new Linear(4, 6, { rng: rng() }), new LayerNorm(6), new GELU({ approximate: 'tanh' }), new ReLU()), [1, 3, 4]],
  ];
  for (const [name, make, shape] of cases) {
    it(name, () => {
      const m = make();
      m.train();
      noGrad(() => { for (let i = 0; i < 2; i++) (m.forward as (x: Tensor) => Tensor)(randn([4, ...shape.slice(1)], { rng: new Generator(i + 9) }).mul(2)); });
      m.eval();
      const imported = importOnnx(exportOnnx(m, { inputShape: shape }));
      for (const b of [2, 5]) {
        const x = randn([b, ...shape.slice(1)], { rng: new Generator(b) });
        const want = noGrad(() => (m.forward as (x: Tensor) => Tensor)(x));
        const got = noGrad(() => imported.forward(x) as Tensor);
        expect(got.shape).toEqual(want.shape);
        expectClose(got.data, want.data, 1e-4, 1e-4);
      }
    });
  }

  it('Embedding (Cast to int64, then Gather) and state-dict keys that match the module', () => {
    const m = new Embedding(7, 3, { rng: rng() });
    const imported = importOnnx(exportOnnx(m, { inputShape: [1, 4] }));
    expect(Object.keys(imported.stateDict())).toEqual(Object.keys(m.stateDict()));
    const idx = tensor([[0, 6, 2, 2], [1, 3, 5, 4]]);
    expect(Array.from((imported.forward(idx) as Tensor).data)).toEqual(Array.from(m.forward(idx).data));
  });
});

// ---- hand-built models for the error cases ----

interface NodeSpec { op: string; name?: string; inputs: string[]; outputs: string[]; attrs?: ((w: ProtoWriter) => void)[]; domain?: string }
interface InitSpec { name: string; dims: number[]; data?: Float32Array; ints?: (number | bigint)[]; extra?: (w: ProtoWriter) => void }

function intAttr(name: string, v: number) { return (w: ProtoWriter) => w.string(F.Attribute.name, name).uint(F.Attribute.type, ATTR.INT).uint(F.Attribute.i, v); }
function strAttr(name: string, v: string) { return (w: ProtoWriter) => w.string(F.Attribute.name, name).uint(F.Attribute.type, ATTR.STRING).string(F.Attribute.s, v); }
function floatAttr(name: string, v: number) { return (w: ProtoWriter) => w.string(F.Attribute.name, name).uint(F.Attribute.type, ATTR.FLOAT).float(F.Attribute.f, v); }

function buildModel(nodes: NodeSpec[], inits: InitSpec[] = [], inputs = ['x'], outputs = ['y'], opset = 17): Uint8Array {
  const w = new ProtoWriter();
  w.uint(F.Model.ir_version, 8);
  w.message(F.Model.opset_import, (s) => s.string(F.OperatorSetId.domain, '').uint(F.OperatorSetId.version, opset));
  w.message(F.Model.graph, (g) => {
    for (const n of nodes) {
      g.message(F.Graph.node, (nw) => {
        for (const i of n.inputs) nw.string(F.Node.input, i);
        for (const o of n.outputs) nw.string(F.Node.output, o);
        nw.string(F.Node.name, n.name ?? `${n.op}_0`).string(F.Node.op_type, n.op);
        if (n.domain) nw.string(F.Node.domain, n.domain);
        for (const a of n.attrs ?? []) nw.message(F.Node.attribute, a);
      });
    }
    for (const t of inits) {
      g.message(F.Graph.initializer, (tw) => {
        for (const d of t.dims) tw.uint(F.Tensor.dims, d);
        tw.uint(F.Tensor.data_type, t.ints ? DATA_TYPE.INT64 : DATA_TYPE.FLOAT).string(F.Tensor.name, t.name);
        if (t.data) tw.bytes(F.Tensor.raw_data, new Uint8Array(t.data.buffer));
        if (t.ints) tw.packedVarints(F.Tensor.int64_data, t.ints);
        t.extra?.(tw);
      });
    }
    const vi = (name: string) => (v: ProtoWriter) => v.string(F.ValueInfo.name, name).message(F.ValueInfo.type, (ty) => ty.message(F.Type.tensor_type, (tt) => tt.uint(F.TypeTensor.elem_type, DATA_TYPE.FLOAT)));
    for (const i of inputs) g.message(F.Graph.input, vi(i));
    for (const o of outputs) g.message(F.Graph.output, vi(o));
  });
  return w.finish();
}

const intsAttr = (name: string, v: number[]) => (w: ProtoWriter) => w.string(F.Attribute.name, name).uint(F.Attribute.type, ATTR.INTS).packedVarints(F.Attribute.ints, v);
const run1 = (bytes: Uint8Array, x: Tensor): Tensor => importOnnx(bytes).forward(x) as Tensor;

describe('importOnnx: op semantics on hand-built graphs', () => {
  const x = tensor([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]); // [2, 3, 2]

  it('Slice with a negative step and negative starts; Gather with a negative index; Shape arithmetic on integers', () => {
    const slice = buildModel([{ op: 'Slice', inputs: ['x', 's', 'e', 'a', 'st'], outputs: ['y'] }],
      [{ name: 's', dims: [1], ints: [-1] }, { name: 'e', dims: [1], ints: [-9223372036854775807n] }, { name: 'a', dims: [1], ints: [1] }, { name: 'st', dims: [1], ints: [-2] }]);
    expect(run1(slice, x).tolist()).toEqual([[[5, 6], [1, 2]], [[11, 12], [7, 8]]]);
    const gather = buildModel([{ op: 'Gather', inputs: ['x', 'i'], outputs: ['y'], attrs: [intAttr('axis', 1)] }], [{ name: 'i', dims: [], ints: [-1] }]);
    expect(run1(gather, x).tolist()).toEqual([[5, 6], [11, 12]]);
    // Reshape to [B·3/… ]: shape = Concat(Shape(x)[0], [-1]) computed as integers.
    const dyn = buildModel([
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'zero'], outputs: ['b'], attrs: [intAttr('axis', 0)] },
      { op: 'Mul', inputs: ['b', 'two'], outputs: ['b2'] },
      { op: 'Unsqueeze', inputs: ['b2', 'zeroAxis'], outputs: ['b2u'] },
      { op: 'Concat', inputs: ['b2u', 'minus1'], outputs: ['shape'], attrs: [intAttr('axis', 0)] },
      { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] },
    ], [{ name: 'zero', dims: [], ints: [0] }, { name: 'two', dims: [], ints: [2] }, { name: 'zeroAxis', dims: [1], ints: [0] }, { name: 'minus1', dims: [1], ints: [-1] }]);
    expect(run1(dyn, x).shape).toEqual([4, 3]);
    expect(run1(dyn, randn([5, 3, 2])).shape).toEqual([10, 3]);
  });

  it('Split by sizes (an input) and into equal parts; Sum of three', () => {
    const bytes = buildModel([{ op: 'Split', inputs: ['x', 's'], outputs: ['a', 'b'], attrs: [intAttr('axis', 1)] }], [{ name: 's', dims: [2], ints: [1, 2] }], ['x'], ['a', 'b']);
    const out = importOnnx(bytes).forward(x) as Record<string, Tensor>;
    expect(out.a.tolist()).toEqual([[[1, 2]], [[7, 8]]]);
    expect(out.b.tolist()).toEqual([[[3, 4], [5, 6]], [[9, 10], [11, 12]]]);
    const eq = importOnnx(buildModel([{ op: 'Split', inputs: ['x'], outputs: ['a', 'b'], attrs: [intAttr('axis', -1)] }, { op: 'Sum', inputs: ['a', 'b', 'a'], outputs: ['y'] }]));
    expect((eq.forward(x) as Tensor).tolist()).toEqual([[[4], [10], [16]], [[22], [28], [34]]]);
  });

  it('opset 11: Softmax flattens at axis, Unsqueeze and Squeeze take axes as attributes', () => {
    const sm = buildModel([{ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: [intAttr('axis', 1)] }], [], ['x'], ['y'], 11);
    const y = run1(sm, x);
    // Each sample's 6 values share one softmax.
    const row = [1, 2, 3, 4, 5, 6].map((v) => Math.exp(v - 6));
    const z = row.reduce((a, b) => a + b, 0);
    expectClose(y.data.subarray(0, 6), row.map((v) => v / z), 1e-6);
    const un = buildModel([{ op: 'Unsqueeze', inputs: ['x'], outputs: ['u'], attrs: [intsAttr('axes', [0, -1])] }, { op: 'Squeeze', inputs: ['u'], outputs: ['y'], attrs: [intsAttr('axes', [0])] }], [], ['x'], ['y'], 11);
    expect(run1(un, x).shape).toEqual([2, 3, 2, 1]);
  });

  it('GRU with linear_before_reset 0 (built from ops) and 1 (fused), bidirectional, equal onnxruntime-node', async () => {
    const g = new Generator(12);
    const T = 4, B = 2, C = 3, H = 3;
    const rnd = (n: number) => Float32Array.from({ length: n }, () => g.uniform(-0.8, 0.8));
    const Wd = rnd(2 * 3 * H * C), Rd = rnd(2 * 3 * H * H), Bd = rnd(2 * 6 * H), Hd = rnd(2 * B * H);
    const x = new Tensor(rnd(T * B * C), [T, B, C]), h0 = new Tensor(Hd, [2, B, H]);
    for (const lbr of [0, 1]) {
      const bytes = buildModel([{ op: 'GRU', inputs: ['x', 'W', 'R', 'B', '', 'h0'], outputs: ['Y', 'Y_h'], attrs: [intAttr('hidden_size', H), strAttr('direction', 'bidirectional'), intAttr('linear_before_reset', lbr)] }],
        [{ name: 'W', dims: [2, 3 * H, C], data: Wd }, { name: 'R', dims: [2, 3 * H, H], data: Rd }, { name: 'B', dims: [2, 6 * H], data: Bd }], ['x', 'h0'], ['Y', 'Y_h']);
      const session = await ort.InferenceSession.create(bytes);
      const want = await session.run({ x: new ort.Tensor('float32', x.data.slice(), x.shape), h0: new ort.Tensor('float32', h0.data.slice(), h0.shape) });
      const got = importOnnx(bytes).forward(x, h0) as Record<string, Tensor>;
      expect(got.Y.shape).toEqual([...want.Y.dims]);
      expectClose(got.Y.data, want.Y.data as Float32Array, 1e-5, 1e-5);
      expectClose(got.Y_h.data, want.Y_h.data as Float32Array, 1e-5, 1e-5);
    }
  });

  it('a Conv → Relu → MaxPool chain whose values are read elsewhere (a graph output, a second node) still computes them', () => {
    const w = { name: 'w', dims: [2, 1, 3, 3], data: Float32Array.from({ length: 18 }, (_, i) => (i % 5) - 2) };
    const pool = [(a: ProtoWriter) => a.string(F.Attribute.name, 'kernel_shape').uint(F.Attribute.type, ATTR.INTS).packedVarints(F.Attribute.ints, [2, 2]), intsAttr('strides', [2, 2])];
    const x = randn([1, 1, 6, 6], { rng: new Generator(8) });
    const c = conv2d(x, tensor(Array.from(w.data)).reshape([2, 1, 3, 3]));
    // The convolution's output is a graph output too.
    const m1 = importOnnx(buildModel([
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'] }, { op: 'Relu', inputs: ['c'], outputs: ['r'] }, { op: 'MaxPool', inputs: ['r'], outputs: ['y'], attrs: pool },
    ], [w], ['x'], ['y', 'c']));
    const o1 = m1.forward(x) as Record<string, Tensor>;
    expect(Array.from(o1.c.data)).toEqual(Array.from(c.data));
    expect(Array.from(o1.y.data)).toEqual(Array.from(maxPool2d(relu(c), 2).data));
    // The ReLU's output is read by a second node.
    const m2 = importOnnx(buildModel([
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'] }, { op: 'Relu', inputs: ['c'], outputs: ['r'] }, { op: 'MaxPool', inputs: ['r'], outputs: ['y'], attrs: pool },
      { op: 'Add', inputs: ['r', 'r'], outputs: ['z'] },
    ], [w], ['x'], ['y', 'z']));
    const o2 = m2.forward(x) as Record<string, Tensor>;
    expect(Array.from(o2.z.data)).toEqual(Array.from(add(relu(c), relu(c)).data));
    expect(Array.from(o2.y.data)).toEqual(Array.from(maxPool2d(relu(c), 2).data));
  });

  it('Gemm with transA, alpha and beta; Conv with asymmetric pads', () => {
    const a = tensor([[1, 2], [3, 4]]), b = tensor([[1, 0], [0, 1]]), c = tensor([1, 1]);
    const gemm = buildModel([{ op: 'Gemm', inputs: ['x', 'b', 'c'], outputs: ['y'], attrs: [intAttr('transA', 1), floatAttr('alpha', 2), floatAttr('beta', 3)] }],
      [{ name: 'b', dims: [2, 2], data: b.data.slice() }, { name: 'c', dims: [2], data: c.data.slice() }]);
    expect(run1(gemm, a).tolist()).toEqual([[5, 9], [7, 11]]);
    const conv = buildModel([{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: [intsAttr('pads', [0, 1, 0, 0])] }], [{ name: 'w', dims: [1, 1, 1, 2], data: Float32Array.of(1, 1) }]);
    expect(run1(conv, tensor([[[[1, 2, 3]]]])).tolist()).toEqual([[[[1, 3, 5]]]]);
  });
});

describe('importOnnx: unsupported ops and attributes fail at import, naming the node and the attribute', () => {
  it('a hand-built Relu runs (the builder is sound)', () => {
    const m = importOnnx(buildModel([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }]));
    expect(Array.from((m.forward(tensor([-1, 2])) as Tensor).data)).toEqual([0, 2]);
  });

  it('an unknown op, another domain, an unknown attribute, unsupported attribute values', () => {
    expectThrows(() => importOnnx(buildModel([{ op: 'NonMaxSuppression', name: 'nms_1', inputs: ['x'], outputs: ['y'] }])), ArgumentError, "node 'nms_1' (NonMaxSuppression)", 'op NonMaxSuppression is not supported');
    expectThrows(() => importOnnx(buildModel([{ op: 'Relu', domain: 'com.microsoft', inputs: ['x'], outputs: ['y'] }])), ArgumentError, 'com.microsoft::Relu');
    expectThrows(() => importOnnx(buildModel([{ op: 'Relu', name: 'r', inputs: ['x'], outputs: ['y'], attrs: [intAttr('alpha', 1)] }])), ArgumentError, "node 'r' (Relu)", 'attribute alpha is not supported');
    const w = { name: 'w', dims: [1, 1, 1, 1], data: Float32Array.of(1) };
    expectThrows(() => importOnnx(buildModel([{ op: 'Conv', name: 'c1', inputs: ['x', 'w'], outputs: ['y'], attrs: [strAttr('auto_pad', 'SAME_UPPER')] }], [w])), ArgumentError, "node 'c1' (Conv)", "auto_pad = 'SAME_UPPER'");
    expectThrows(() => importOnnx(buildModel([{ op: 'MaxPool', name: 'p', inputs: ['x'], outputs: ['y'], attrs: [(a) => a.string(F.Attribute.name, 'kernel_shape').uint(F.Attribute.type, ATTR.INTS).packedVarints(F.Attribute.ints, [2, 2]), intAttr('ceil_mode', 1)] }])), ArgumentError, "node 'p' (MaxPool)", 'ceil_mode');
    const acts = (w2: ProtoWriter) => w2.string(F.Attribute.name, 'activations').uint(F.Attribute.type, ATTR.STRINGS).string(F.Attribute.strings, 'HardSigmoid').string(F.Attribute.strings, 'Tanh');
    expectThrows(() => importOnnx(buildModel([{ op: 'GRU', name: 'g', inputs: ['x', 'w', 'w'], outputs: ['y'], attrs: [intAttr('hidden_size', 1), acts] }], [w])), ArgumentError, "node 'g' (GRU)", 'activations');
    expectThrows(() => importOnnx(buildModel([{ op: 'LSTM', name: 'l', inputs: ['x', 'w', 'w'], outputs: ['y'], attrs: [intAttr('hidden_size', 1), floatAttr('clip', 3)] }], [w])), ArgumentError, "node 'l' (LSTM)", 'clip');
    expectThrows(() => importOnnx(buildModel([{ op: 'Cast', name: 'cs', inputs: ['x'], outputs: ['y'], attrs: [intAttr('to', DATA_TYPE.STRING)] }])), ArgumentError, "node 'cs' (Cast)", 'to = STRING');
    expectThrows(() => importOnnx(buildModel([{ op: 'BatchNormalization', name: 'bn', inputs: ['x', 'w', 'w', 'w', 'w'], outputs: ['y'], attrs: [intAttr('training_mode', 1)] }], [w])), ArgumentError, "node 'bn'", 'training_mode');
  });

  it('an error while running a node names the node', () => {
    const m = importOnnx(buildModel([{ op: 'MatMul', name: 'mm', inputs: ['x', 'w'], outputs: ['y'] }], [{ name: 'w', dims: [3, 2], data: new Float32Array(6) }]));
    expectThrows(() => m.forward(randn([2, 4])), ShapeError, "importOnnx: node 'mm' (MatMul): matmul");
  });

  it('malformed graphs: an undefined input, a cycle, an output produced twice, an attribute of the wrong type', () => {
    expectFormatError(() => importOnnx(buildModel([{ op: 'Relu', name: 'r', inputs: ['nope'], outputs: ['y'] }])), "node 'r' (Relu)", "input 'nope'");
    expectFormatError(() => importOnnx(buildModel([{ op: 'Add', name: 'a', inputs: ['x', 'b'], outputs: ['a'] }, { op: 'Relu', name: 'b', inputs: ['a'], outputs: ['b'] }, { op: 'Relu', inputs: ['b'], outputs: ['y'] }])), 'cycle');
    expectFormatError(() => importOnnx(buildModel([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }, { op: 'Tanh', name: 't', inputs: ['x'], outputs: ['y'] }])), "output 'y'");
    expectFormatError(() => importOnnx(buildModel([{ op: 'Add', name: 'add1', inputs: ['x'], outputs: ['y'] }])), "node 'add1' (Add)", 'needs 2 input(s), got 1');
    expectFormatError(() => importOnnx(buildModel([{ op: 'Softmax', name: 's', inputs: ['x'], outputs: ['y'], attrs: [floatAttr('axis', 1)] }])), "node 's' (Softmax)", 'attribute axis has type 1');
  });
});

describe('importOnnx: hostile files are refused with typed errors', () => {
  const mlp = load('mlp');

  it('not bytes, no graph, unknown options', () => {
    expectThrows(() => importOnnx('model.onnx' as unknown as Uint8Array), ArgumentError, 'importOnnx: bytes must be a Uint8Array');
    expectFormatError(() => importOnnx(new ProtoWriter().uint(F.Model.ir_version, 8).finish()), 'importOnnx: the file has no graph');
    expectThrows(() => importOnnx(mlp, { strict: true } as never), ArgumentError, 'importOnnx');
  });

  it('every truncation of a real file is a FormatError (never a raw error, never a model)', () => {
    for (let n = 0; n < mlp.length; n += 37) {
      let err: unknown = null;
      try { importOnnx(mlp.subarray(0, n)); } catch (e) { err = e; }
      expect(err, `truncated at ${n}`).toBeInstanceOf(FormatError);
    }
  });

  it('a length past the end and an oversized varint', () => {
    const w = new ProtoWriter().tag(F.Model.graph, 2).varint(2 ** 35).finish();
    expectFormatError(() => importOnnx(Uint8Array.from([...w, 1])), 'ModelProto.graph', 'past the end');
    expectFormatError(() => importOnnx(Uint8Array.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), 'varint');
  });

  it('recursion: subgraphs nested in attributes past the depth limit', () => {
    let g = new ProtoWriter().finish();
    for (let i = 0; i < 40; i++) {
      const inner = g;
      g = new ProtoWriter().message(F.Graph.node, (n) => n.string(F.Node.op_type, 'If').message(F.Node.attribute, (a) => a.string(F.Attribute.name, 'then_branch').uint(F.Attribute.type, ATTR.GRAPH).bytes(F.Attribute.g, inner))).finish();
    }
    const bytes = new ProtoWriter().bytes(F.Model.graph, g).finish();
    expectFormatError(() => importOnnx(bytes), 'nested deeper than 64');
  });

  it('external data references are refused, and never read', () => {
    const ext = (tw: ProtoWriter) => tw.message(F.Tensor.external_data, (kv) => kv.string(1, 'location').string(2, '/etc/passwd')).uint(F.Tensor.data_location, 1);
    expectFormatError(() => importOnnx(buildModel([{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], [{ name: 'w', dims: [4], extra: ext }])), "tensor 'w'", 'external data');
  });

  it('initializer sizes are checked against dims before allocating', () => {
    // Claims 10^12 floats with 4 bytes of data: refused before allocating.
    expectFormatError(() => importOnnx(buildModel([{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], [{ name: 'w', dims: [1000000, 1000000], data: Float32Array.of(1) }])), "tensor 'w'", 'more than 2^31');
    expectFormatError(() => importOnnx(buildModel([{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], [{ name: 'w', dims: [1000, 1000], data: Float32Array.of(1) }])), "tensor 'w' of dims [1000, 1000] needs 1000000 values", '4 bytes of raw_data');
    expectFormatError(() => importOnnx(buildModel([{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], [{ name: 'w', dims: [3], data: Float32Array.of(1, 2, 3, 4) }])), 'needs 3 values');
  });

  it('a fuzzed real file either imports or fails with a tensorkit error', () => {
    const g = new Generator(7);
    for (let trial = 0; trial < 200; trial++) {
      const b = mlp.slice();
      for (let k = 0; k < 3; k++) b[Math.floor(g.random() * b.length)] = Math.floor(g.random() * 256);
      try { importOnnx(b); } catch (e) { expect(e, `trial ${trial}`).toSatisfy((x: unknown) => x instanceof FormatError || x instanceof ArgumentError || x instanceof ShapeError); }
    }
  });
});
