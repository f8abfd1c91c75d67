import { afterEach, describe, expect, it, vi } from 'vitest';
import { exportOnnx } from '../../src/io/onnx/export';
import { importOnnx } from '../../src/io/onnx/import';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../../src/nn/index';
import { Generator, Tensor, mul, noGrad, randn, setDebug } from '../../src/tensor/index';
import { trace } from '../../src/tensor/trace';

// The fused ops, counted: an imported Conv → Relu (→ MaxPool 2×2 s2) chain must run through them.
vi.mock('../../src/tensor/ops/conv', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/tensor/ops/conv')>();
  return { ...mod, conv2dRelu: vi.fn(mod.conv2dRelu), conv2dReluPool: vi.fn(mod.conv2dReluPool) };
});
import { conv2dRelu, conv2dReluPool } from '../../src/tensor/ops/conv';

// An imported graph's Conv → Relu (→ MaxPool 2×2 stride 2) chains run as the fused ops, with the
// values and gradients of the graph run node by node (a trace turns fusion off).

/** c8-p-c16-relu-c4-relu-avg on 1×12×12: a triple, a pair whose ReLU output is read by two nodes, … */
function net(): Sequential {
  const rng = new Generator(7);
  return new Sequential(
    new Conv2d(1, 8, 3, { padding: 1, rng }), new ReLU(), new MaxPool2d(2),
    new Conv2d(8, 16, 3, { padding: 1, rng }), new ReLU(), new MaxPool2d(3, { stride: 1 }),
    new Conv2d(16, 4, 1, { rng }), new ReLU(), new Flatten(), new Linear(4 * 4 * 4, 3, { rng }),
  );
}

/** The loss's value, then the gradients of every parameter and of the input. */
function run(model: { forward(x: Tensor): unknown; parameters(): Tensor[] }, x: Tensor, unfused: boolean): number[][] {
  for (const p of model.parameters()) p.grad = null;
  const v = new Tensor(x.data.slice(), x.shape, true);
  const forward = (): Tensor => model.forward(v) as Tensor;
  const y = unfused ? trace(forward).result : forward();
  mul(y, y).sum().backward();
  return [Array.from(y.data), ...model.parameters().map((p) => Array.from(p.grad!)), Array.from(v.grad!)];
}

describe('importOnnx fuses Conv → Relu (→ MaxPool 2×2 stride 2) chains', () => {
  afterEach(() => {
    vi.mocked(conv2dRelu).mockClear();
    vi.mocked(conv2dReluPool).mockClear();
    setDebug({ checkNumerics: false });
  });
  const model = importOnnx(exportOnnx(net(), { inputShape: [2, 1, 12, 12] }));
  const x = randn([3, 1, 12, 12], { rng: new Generator(1) });

  it('runs the fused ops, and values and gradients equal the graph run node by node, bit for bit', () => {
    const fused = run(model, x, false);
    expect(vi.mocked(conv2dReluPool)).toHaveBeenCalledTimes(1);
    expect(vi.mocked(conv2dRelu)).toHaveBeenCalledTimes(2);
    vi.mocked(conv2dRelu).mockClear();
    vi.mocked(conv2dReluPool).mockClear();
    expect(fused).toEqual(run(model, x, true));
    const inference = noGrad(() => model.forward(x) as Tensor);
    expect(Array.from(inference.data)).toEqual(fused[0]);
  });

  it('the values are the exported Sequential\'s', () => {
    const ref = noGrad(() => net().forward(x));
    const got = noGrad(() => model.forward(x) as Tensor);
    expect(Array.from(got.data)).toEqual(Array.from(ref.data));
  });

  it('a graph of one Conv → Relu fuses as the pair', () => {
    const tiny = new Sequential(new Conv2d(1, 2, 3, { rng: new Generator(2) }), new ReLU());
    const m = importOnnx(exportOnnx(tiny, { inputShape: [1, 1, 6, 6] }));
    const v = randn([2, 1, 6, 6], { rng: new Generator(3) });
    const y = noGrad(() => m.forward(v) as Tensor);
    expect(vi.mocked(conv2dRelu)).toHaveBeenCalledTimes(1);
    expect(Array.from(y.data)).toEqual(Array.from(noGrad(() => tiny.forward(v)).data));
  });
});
