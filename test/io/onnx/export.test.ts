import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { exportOnnx } from '../../../src/io/onnx/export';
import { CNN, MLP } from '../../../src/models/index';
import {
  AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, Dropout, ELU, Embedding, Flatten, GELU, Identity,
  LayerNorm, LeakyReLU, Linear, MaxPool2d, Module as ModuleBase, ReLU, Sequential, Sigmoid, Softmax, Softplus, Tanh, type Module,
} from '../../../src/nn/index';
import { ArgumentError, Generator, Tensor, noGrad, randn, tensor } from '../../../src/tensor/index';
import { expectClose, expectThrows } from '../../helpers/check';

const rng = () => new Generator(11);

/** Runs the exported bytes in onnxruntime-node on x and returns the output data and dims. */
async function runOrt(bytes: Uint8Array, x: Tensor): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.data.slice(), x.shape) });
  const t = out[session.outputNames[0]];
  return { data: t.data as Float32Array, dims: t.dims };
}

/** Puts batch-norm layers' running statistics away from 0 and 1, so eval mode is really checked. */
function warmUp(m: Module, shape: number[]): void {
  m.train();
  noGrad(() => { for (let i = 0; i < 3; i++) (m.forward as (t: Tensor) => Tensor)(randn(shape, { rng: new Generator(i + 1) }).mul(2).add(0.5)); });
}

/** Exports m for shape (batch first), then checks onnxruntime equals tensorkit at batch sizes 2 and 5. */
async function expectSameAsOrt(m: Module, shape: number[], input: (batch: number) => Tensor = (b) => randn([b, ...shape.slice(1)], { rng: new Generator(b) })): Promise<void> {
  const bytes = exportOnnx(m, { inputShape: shape });
  expect(m.training).toBe(true); // restored after the trace
  m.eval();
  for (const b of [2, 5]) {
    const x = input(b);
    const want = noGrad(() => (m.forward as (t: Tensor) => Tensor)(x));
    const got = await runOrt(bytes, x);
    expect([...got.dims]).toEqual(want.shape);
    expectClose(got.data, want.data, 1e-4, 1e-4);
  }
  m.train();
}

const layers: [string, () => Module, number[]][] = [
  ['Linear', () => new Linear(4, 3, { rng: rng() }), [1, 4]],
  ['Linear without bias', () => new Linear(4, 3, { bias: false, rng: rng() }), [1, 4]],
  ['Linear on 3-d input (MatMul + Add)', () => new Linear(4, 3, { rng: rng() }), [1, 2, 4]],
  ['ReLU', () => new ReLU(), [1, 6]],
  ['Sigmoid', () => new Sigmoid(), [1, 6]],
  ['Tanh', () => new Tanh(), [1, 6]],
  ['LeakyReLU', () => new LeakyReLU(0.2), [1, 6]],
  ['ELU', () => new ELU(0.7), [1, 6]],
  ['GELU (erf)', () => new GELU(), [1, 6]],
  ['GELU (tanh)', () => new GELU('tanh'), [1, 6]],
  ['Softplus', () => new Softplus(), [1, 6]],
  ['Softplus (beta 2)', () => new Softplus({ beta: 2, threshold: 20 }), [1, 6]],
  ['Softmax (last axis)', () => new Softmax(), [1, 3, 5]],
  ['Softmax (axis 1)', () => new Softmax(1), [1, 3, 5]],
  ['Identity', () => new Identity(), [1, 3]],
  ['Dropout (eval: identity)', () => new Dropout(0.5, { rng: rng() }), [1, 6]],
  ['Flatten', () => new Flatten(), [1, 2, 3, 4]],
  ['Flatten (axes 1..2, Reshape)', () => new Flatten({ startAxis: 1, endAxis: 2 }), [1, 2, 3, 4]],
  ['Conv2d', () => new Conv2d(2, 3, 3, { rng: rng() }), [1, 2, 7, 7]],
  ['Conv2d (stride, padding, dilation, groups)', () => new Conv2d(4, 6, [3, 2], { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2, rng: rng() }), [1, 4, 9, 8]],
  ["Conv2d (padding 'same', even kernel)", () => new Conv2d(2, 2, 4, { padding: 'same', rng: rng() }), [1, 2, 6, 6]],
  ['Conv1d', () => new Conv1d(2, 3, 3, { stride: 2, padding: 1, rng: rng() }), [1, 2, 9]],
  ['MaxPool2d', () => new MaxPool2d(2), [1, 2, 6, 6]],
  ['MaxPool2d (stride, padding)', () => new MaxPool2d(3, { stride: 2, padding: 1 }), [1, 2, 7, 7]],
  ['AvgPool2d', () => new AvgPool2d(2), [1, 2, 6, 6]],
  ['AvgPool2d (padding, countIncludePad false)', () => new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }), [1, 2, 7, 7]],
  ['AdaptiveAvgPool2d (1)', () => new AdaptiveAvgPool2d(1), [1, 3, 5, 4]],
  ['AdaptiveAvgPool2d (divisor)', () => new AdaptiveAvgPool2d(2), [1, 3, 6, 4]],
  ['BatchNorm1d', () => new BatchNorm1d(4), [1, 4]],
  ['BatchNorm1d (affine false)', () => new BatchNorm1d(4, { affine: false }), [1, 4]],
  ['BatchNorm2d', () => new BatchNorm2d(3), [1, 3, 4, 4]],
  ['LayerNorm', () => new LayerNorm(5), [1, 3, 5]],
  ['LayerNorm (two axes)', () => new LayerNorm([3, 5]), [1, 3, 5]],
];

describe('exportOnnx: each layer runs in onnxruntime with our outputs (atol 1e-4) at batch sizes 2 and 5', () => {
  for (const [name, make, shape] of layers) {
    it(name, async () => {
      const m = make();
      if (name.startsWith('BatchNorm') || name.startsWith('LayerNorm')) warmUp(m, [8, ...shape.slice(1)]);
      for (const p of m.parameters()) p.data.set(randn(p.shape, { rng: new Generator(p.size) }).data);
      await expectSameAsOrt(m, shape);
    });
  }

  it('Embedding (Gather on float indices, cast to int64)', async () => {
    const m = new Embedding(7, 3, { rng: rng() });
    await expectSameAsOrt(m, [1, 4], (b) => tensor(Array.from({ length: b }, (_, i) => [i % 7, (i + 3) % 7, 6, 0])));
  });

  it('Sequential of layers', async () => {
    const m = new Sequential(new Conv2d(1, 2, 3, { padding: 1, rng: rng() }), new BatchNorm2d(2), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(2 * 3 * 3, 4, { rng: rng() }), new Softmax());
    warmUp(m, [8, 1, 6, 6]);
    await expectSameAsOrt(m, [1, 1, 6, 6]);
  });
});

describe('exportOnnx: model families', () => {
  it('MLP (batch norm, dropout, gelu)', async () => {
    const m = new MLP({ inFeatures: 5, hiddenSizes: [8, 6], outFeatures: 3, activation: 'gelu', batchNorm: true, dropout: 0.2, rng: rng() });
    warmUp(m, [16, 5]);
    await expectSameAsOrt(m, [1, 5]);
  });

  it('CNN (two blocks with batch norm and pooling, hidden head layer)', async () => {
    const m = new CNN({ inChannels: 2, inputSize: [8, 8], numClasses: 3, blocks: [{ channels: 4, batchNorm: true }, { channels: 5, kernelSize: 5, pool: 2 }], hidden: [6], rng: rng() });
    warmUp(m, [4, 2, 8, 8]);
    await expectSameAsOrt(m, [1, 2, 8, 8]);
  });
});

describe('exportOnnx: batch axis, names, errors', () => {
  it('without dynamicBatch the batch axis is fixed: a different batch size is refused by onnxruntime', async () => {
    const bytes = exportOnnx(new Linear(3, 2, { rng: rng() }), { inputShape: [2, 3], dynamicBatch: false, inputNames: ['x'], outputNames: ['y'] });
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['y']);
    await expect(session.run({ x: new ort.Tensor('float32', new Float32Array(9), [3, 3]) })).rejects.toThrow();
    const ok = await session.run({ x: new ort.Tensor('float32', new Float32Array(6), [2, 3]) });
    expect(ok.y.dims).toEqual([2, 2]);
  });

  it('a module with no ONNX mapping is an ArgumentError naming its class and path', () => {
    class Custom extends ModuleBase {
      forward(x: Tensor): Tensor { return x; }
    }
    const cnn = new CNN({ inChannels: 1, inputSize: [4, 4], numClasses: 2, blocks: [{ channels: 2 }], rng: rng() });
    (cnn.features as Module[]).splice(1, 0, new Custom());
    expectThrows(() => exportOnnx(cnn, { inputShape: [1, 1, 4, 4] }), ArgumentError, 'features.1', 'Custom', 'no ONNX mapping');
    const seq = new Sequential(new Linear(2, 2, { rng: rng() }), new Sequential(new ReLU(), new Custom()));
    expectThrows(() => exportOnnx(seq, { inputShape: [1, 2] }), ArgumentError, 'module 1.1 (Custom)');
  });

  it('BatchNorm without running statistics and LayerNorm below opset 17 are refused', () => {
    expectThrows(() => exportOnnx(new BatchNorm1d(3, { trackRunningStats: false }), { inputShape: [1, 3] }), ArgumentError, 'trackRunningStats');
    expectThrows(() => exportOnnx(new LayerNorm(3), { inputShape: [1, 3], opset: 16 }), ArgumentError, 'opset 17');
  });

  it('options are checked', () => {
    const lin = new Linear(2, 2, { rng: rng() });
    expectThrows(() => exportOnnx({ forward: () => null } as never, { inputShape: [1, 2] }), ArgumentError, 'model must be a Module');
    expectThrows(() => exportOnnx(lin, {} as never), ArgumentError, 'inputShape');
    expectThrows(() => exportOnnx(lin, { inputShape: [1, 2], opset: 12 }), ArgumentError, 'opset');
    expectThrows(() => exportOnnx(lin, { inputShape: [1, 2], inputShapes: [1] } as never), ArgumentError, 'inputShapes');
    expectThrows(() => exportOnnx(lin, { inputShape: [1, 2], inputNames: ['a'], outputNames: ['a'] }), ArgumentError, 'different names');
  });
});
