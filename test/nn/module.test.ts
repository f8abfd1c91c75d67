import { describe, expect, it } from 'vitest';
import {
  AdaptiveAvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Embedding, Flatten, LayerNorm, Linear, MaxPool2d, Module,
  ReLU, Sequential,
} from '../../src/nn/index';
import {
  Generator, Parameter, ShapeError, Tensor, TensorkitError, add, relu, tensor, zeros, randn,
} from '../../src/tensor/index';
import { expectClose } from '../helpers/check';
import fixture from '../fixtures/layers.json';

const T = (f: { shape: number[]; data: number[] }) => tensor(f.data, f.shape);

class Block extends Module {
  fc = new Linear(3, 4, { rng: new Generator(1) });
  norm = new LayerNorm(4);
  forward(x: Tensor): Tensor {
    return this.norm.forward(relu(this.fc.forward(x)));
  }
}

class Net extends Module {
  scale = new Parameter(tensor([2]));
  blocks = [new Block(), new Block()];
  head = new Linear(4, 2, { bias: false, rng: new Generator(2) });
  shared: Linear;
  constructor() {
    super();
    this.shared = this.head;
  }
  forward(x: Tensor): Tensor {
    let h = x;
    h = this.blocks[0].forward(h);
    return this.head.forward(add(h, this.scale));
  }
}

describe('Module reflection', () => {
  it('finds parameters in field order, own first, arrays by index, shared ones once', () => {
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'scale',
      'blocks.0.fc.weight', 'blocks.0.fc.bias', 'blocks.0.norm.weight', 'blocks.0.norm.bias',
      'blocks.1.fc.weight', 'blocks.1.fc.bias', 'blocks.1.norm.weight', 'blocks.1.norm.bias',
      'head.weight',
    ]);
    expect(net.parameters().length).toBe(10);
    expect(net.numParameters()).toBe(1 + 2 * (12 + 4 + 4 + 4) + 8);
    expect(net.children().length).toBe(3);
    expect(net.modules().length).toBe(1 + 2 * 3 + 1);
  });

  it('buffers are the non-parameter tensors (running statistics)', () => {
    const bn = new BatchNorm2d(3);
    expect(bn.namedBuffers().map(([n]) => n)).toEqual(['runningMean', 'runningVar', 'numBatchesTracked']);
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'runningMean', 'runningVar', 'numBatchesTracked']);
  });

  it('Sequential names children 0, 1, … so state-dict keys match PyTorch (modulo camelCase buffers)', () => {
    const seq = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new ReLU(), new Flatten(), new Linear(8, 3));
    const torchKeys = (fixture.sequentialKeys as string[]).map((k) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
    expect(Object.keys(seq.stateDict())).toEqual(torchKeys);
    expect(seq.forward(zeros([2, 1, 4, 4])).shape).toEqual([2, 3]);
  });

  it('train/eval propagate to every descendant', () => {
    const net = new Sequential(new Linear(2, 2), new Sequential(new Dropout(0.5)));
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.modules().every((m) => m.training)).toBe(true);
  });

  it('zeroGrad clears every gradient; apply visits children before the parent', () => {
    const net = new Net();
    net.head.forward(randn([1, 4])).sum().backward();
    expect(net.head.weight.grad).not.toBeNull();
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
    const order: string[] = [];
    new Sequential(new Linear(1, 1), new ReLU()).apply((m) => order.push(m.constructor.name));
    expect(order).toEqual(['ReLU', 'Linear', 'Sequential']);
  });
});

describe('stateDict / loadStateDict', () => {
  it('round-trips into a fresh model: same outputs, values copied in place', () => {
    const a = new Sequential(new Linear(3, 5, { rng: new Generator(1) }), new ReLU(), new Linear(5, 2, { rng: new Generator(2) }));
    const b = new Sequential(new Linear(3, 5, { rng: new Generator(3) }), new ReLU(), new Linear(5, 2, { rng: new Generator(4) }));
    const before = (b[0] as Linear).weight;
    const x = randn([4, 3], { rng: new Generator(5) });
    expect(b.forward(x).toArray()).not.toEqual(a.forward(x).toArray());
    b.loadStateDict(a.stateDict());
    expect(b.forward(x).toArray()).toEqual(a.forward(x).toArray());
    expect((b[0] as Linear).weight).toBe(before);
  });

  it('lists missing, unexpected and mis-sized keys; strict: false loads the rest', () => {
    const m = new Sequential(new Linear(2, 3), new Linear(3, 1));
    const sd = m.stateDict();
    const bad = { ...sd, extra: zeros([1]) } as Record<string, Tensor>;
    delete bad['1.bias'];
    let err: unknown;
    try {
      m.loadStateDict(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TensorkitError);
    expect((err as Error).message).toBe('loadStateDict: missing keys: 1.bias; unexpected keys: extra (pass { strict: false } to load the rest)');
    expect(m.loadStateDict(bad, { strict: false })).toEqual({ missingKeys: ['1.bias'], unexpectedKeys: ['extra'] });
    expect(() => m.loadStateDict({ ...sd, '0.weight': zeros([2, 3]) })).toThrow(ShapeError);
    expect(() => m.loadStateDict({ ...sd, '0.weight': zeros([2, 3]) })).toThrow('loadStateDict: mis-sized or invalid entries: 0.weight: checkpoint [2, 3] vs model [3, 2]');
  });

  it('a failed strict load changes nothing', () => {
    const m = new Linear(2, 2);
    const w = m.weight.toArray();
    expect(() => m.loadStateDict({ weight: zeros([2, 2]) })).toThrow(/missing keys: bias/);
    expect(m.weight.toArray()).toEqual(w);
  });
});

describe('summary', () => {
  it('prints a Keras-style table for a small CNN', () => {
    const cnn = new Sequential(
      new Conv2d(1, 4, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2),
      new Conv2d(4, 8, 3, { padding: 1 }), new ReLU(), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(8, 10),
    );
    expect(cnn.summary([1, 1, 28, 28])).toBe([
      'Sequential',
      '──────────────────────────────────────────────',
      'Layer (type)           Output shape    Param #',
      '──────────────────────────────────────────────',
      '0 (Conv2d)             [1, 4, 28, 28]       40',
      '1 (ReLU)               [1, 4, 28, 28]        0',
      '2 (MaxPool2d)          [1, 4, 14, 14]        0',
      '3 (Conv2d)             [1, 8, 14, 14]      296',
      '4 (ReLU)               [1, 8, 14, 14]        0',
      '5 (AdaptiveAvgPool2d)  [1, 8, 1, 1]          0',
      '6 (Flatten)            [1, 8]                0',
      '7 (Linear)             [1, 10]              90',
      '──────────────────────────────────────────────',
      'Total params: 426',
      'Trainable params: 426',
      'Non-trainable params: 0',
    ].join('\n'));
    // The forward methods are restored afterwards.
    expect(Object.prototype.hasOwnProperty.call(cnn[0], 'forward')).toBe(false);
  });

  it('runs in eval mode and gives every module its own mode back', () => {
    const net = new Sequential(new Linear(2, 2), new Dropout(0.5), new Linear(2, 1));
    net[1].eval();
    const seen: boolean[] = [];
    const h = net[1].registerForwardHook((m) => { seen.push(m.training); });
    net.summary([1, 2]);
    h.remove();
    expect(seen).toEqual([false]);
    expect(net.modules().map((m) => m.training)).toEqual([true, true, false, true]);
  });
});

describe('layers against PyTorch', () => {
  it('Conv2d with groups, dilation, stride and padding: outputs and gradients', () => {
    const f = fixture.conv2d;
    const conv = new Conv2d(4, 6, [3, 2], { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2 });
    conv.loadStateDict({ weight: T(f.weight), bias: T(f.bias) });
    const x = T(f.x);
    x.requiresGrad = true;
    const y = conv.forward(x);
    expect(y.shape).toEqual(f.y.shape);
    expectClose(y.data, f.y.data, 1e-5, 1e-4);
    y.backward(T(f.g));
    expectClose(x.grad!, f.dx.data, 1e-5, 1e-4);
    expectClose(conv.weight.grad!, f.dweight.data, 1e-5, 1e-4);
    expectClose(conv.bias!.grad!, f.dbias.data, 1e-5, 1e-4);
  });

  it('BatchNorm2d: two training steps move the running statistics; eval uses them', () => {
    const f = fixture.batchnorm2d;
    const bn = new BatchNorm2d(3, { momentum: f.momentum });
    bn.weight!.data.set(f.weight.data);
    bn.bias!.data.set(f.bias.data);
    expectClose(bn.forward(T(f.x1)).data, f.y1.data, 1e-5, 1e-4);
    expectClose(bn.forward(T(f.x2)).data, f.y2.data, 1e-5, 1e-4);
    expectClose(bn.runningMean!.data, f.runningMean.data, 1e-6, 1e-5);
    expectClose(bn.runningVar!.data, f.runningVar.data, 1e-6, 1e-5);
    expect(bn.numBatchesTracked!.item()).toBe(f.numBatchesTracked);
    bn.eval();
    expectClose(bn.forward(T(f.xe)).data, f.ye.data, 1e-5, 1e-4);
  });

  it('BatchNorm1d on [B, C, L]: output and gradients in training mode', () => {
    const f = fixture.batchnorm1d;
    const bn = new BatchNorm1d(2);
    const x = T(f.x);
    x.requiresGrad = true;
    const y = bn.forward(x);
    expectClose(y.data, f.y.data, 1e-5, 1e-4);
    y.backward(T(f.g));
    expectClose(x.grad!, f.dx.data, 1e-5, 1e-4);
    expectClose(bn.weight!.grad!, f.dweight.data, 1e-5, 1e-4);
    expectClose(bn.bias!.grad!, f.dbias.data, 1e-5, 1e-4);
    expectClose(bn.runningVar!.data, f.runningVar.data, 1e-6, 1e-5);
    expect(() => bn.forward(zeros([2, 2, 2, 2]))).toThrow(/BatchNorm1d: expected input with 2 or 3 dimensions, got \[2, 2, 2, 2\]/);
  });

  it('Embedding zeroes the padding row and gives it no gradient', () => {
    const emb = new Embedding(5, 3, { paddingIdx: 0, rng: new Generator(1) });
    expect(Array.from(emb.weight.data.subarray(0, 3))).toEqual([0, 0, 0]);
    emb.forward(tensor([[0, 2, 0]])).sum().backward();
    expect(Array.from(emb.weight.grad!.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(emb.weight.grad!.subarray(6, 9))).toEqual([1, 1, 1]);
  });

  it('default inits follow PyTorch: Linear/Conv U(±1/√fanIn), norms 1 and 0', () => {
    const lin = new Linear(400, 50, { rng: new Generator(9) });
    const k = 1 / Math.sqrt(400);
    expect(Math.max(...lin.weight.data)).toBeLessThanOrEqual(k);
    expect(Math.min(...lin.weight.data)).toBeGreaterThanOrEqual(-k);
    expect(Math.max(...lin.weight.data)).toBeGreaterThan(0.95 * k);
    const conv = new Conv2d(6, 4, 3, { groups: 2, rng: new Generator(9) });
    const kc = 1 / Math.sqrt(3 * 9);
    expect(Math.max(...conv.weight.data)).toBeLessThanOrEqual(kc);
    expect(Math.max(...conv.weight.data)).toBeGreaterThan(0.8 * kc);
    expect(new LayerNorm(3).weight!.toArray()).toEqual([1, 1, 1]);
  });

  it('bad layer arguments are typed errors', () => {
    expect(() => new Linear(0, 2)).toThrow(/Linear: inFeatures must be an integer ≥ 1, got 0/);
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow(/groups 2 must divide inChannels 3/);
    expect(() => new Dropout(1.5)).toThrow(/Dropout: p must be a finite number ≥ 0 and ≤ 1, got 1.5/);
    expect(() => new Sequential(new Linear(1, 1), {} as Module)).toThrow(/Sequential: layer 1 must be a Module/);
  });
});
