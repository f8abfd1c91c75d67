import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, Parameter, ShapeError, Tensor, add, mean, mul, reshape, tanh } from '../../src/index';
import {
  BatchNorm1d, Conv1d, Conv2d, Embedding, Flatten, GRU, LSTM, LayerNorm, Linear, Module, MultiHeadAttention, ReLU, Sequential, Tanh,
  crossEntropy, mseLoss,
} from '../../src/nn/index';
import { GradSampler, perSampleGradients } from '../../src/privacy/index';
import { expectThrows, randT } from '../helpers/check';

type Loss = (p: Tensor, t: Tensor) => Tensor;

/** A module with its own parameter and no per-sample rule: exercises the per-sample loop. */
class Scale extends Module {
  readonly w: Parameter;
  constructor(n: number, rng: Generator) {
    super();
    this.w = Parameter.normal([n], 1, 0.5, rng);
  }
  forward(x: Tensor): Tensor {
    return tanh(mul(x, this.w));
  }
}

function row(t: Tensor, b: number): Tensor {
  const R = t.size / t.shape[0];
  return new Tensor(t.data.slice(b * R, (b + 1) * R), [1, ...t.shape.slice(1)]);
}

/** The oracle: each sample alone through the model, forward and backward. */
function loopGrads(model: Module & { forward(x: Tensor): Tensor }, loss: Loss, x: Tensor, y: Tensor): Float32Array[][] {
  const out: Float32Array[][] = [];
  for (let b = 0; b < x.shape[0]; b++) {
    model.zeroGrad();
    loss(model.forward(row(x, b)), row(y, b)).backward();
    out.push(model.parameters().map((p) => Float32Array.from(p.grad ?? new Float32Array(p.size))));
  }
  model.zeroGrad();
  return out;
}

function check(model: Module & { forward(x: Tensor): Tensor }, loss: Loss, x: Tensor, y: Tensor, expectRules?: string[]): void {
  const want = loopGrads(model, loss, x, y);
  const s = new GradSampler(model);
  if (expectRules) expect(s.rules.map((r) => r.rule)).toEqual(expectRules);
  loss(model.forward(x), y).backward();
  const { batchSize, grads } = s.perSample();
  s.remove();
  expect(batchSize).toBe(x.shape[0]);
  const params = model.parameters();
  expect(grads.map((g) => g.param)).toEqual(expect.arrayContaining(params));
  expect(grads.length).toBe(params.length);
  for (const { param, grad } of grads) {
    const k = params.indexOf(param);
    for (let b = 0; b < batchSize; b++) {
      const got = grad.subarray(b * param.size, (b + 1) * param.size);
      for (let i = 0; i < param.size; i++) {
        expect(Math.abs(got[i] - want[b][k][i]), `param ${k} ${JSON.stringify(param.shape)} sample ${b} element ${i}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[b][k][i])));
      }
    }
  }
}

function labels(n: number, k: number, rng: Generator): Tensor {
  return new Tensor(Float32Array.from({ length: n }, () => rng.randint(0, k)), [n]);
}

describe('per-sample gradients equal a per-sample loop (1e-5)', () => {
  it('Linear and LayerNorm (rules), mean-reduced cross-entropy', () => {
    const rng = new Generator(1);
    const net = new Sequential(new Linear(5, 6, { rng }), new Tanh(), new LayerNorm(6), new Linear(6, 3, { rng }));
    // Non-trivial LayerNorm affine parameters.
    const ln = net.modules().find((m) => m instanceof LayerNorm) as LayerNorm;
    ln.weight!.data.set(randT([6], rng).data);
    ln.bias!.data.set(randT([6], rng).data);
    check(net, crossEntropy, randT([7, 5], rng), labels(7, 3, rng), ['linear', 'layernorm', 'linear']);
  });

  it('Linear on [B, T, in] and LayerNorm over two trailing axes, sum-reduced through lossReduction', () => {
    const rng = new Generator(2);
    const net = new Sequential(new Linear(4, 3, { rng }), new LayerNorm([2, 3]));
    const x = randT([5, 2, 4], rng), y = randT([5, 2, 3], rng);
    check(net, mseLoss, x, y);
    const sumLoss: Loss = (p, t) => mul(mseLoss(p, t), p.size);
    const want = loopGrads(net, (p, t) => mul(mseLoss(p, t), p.size), x, y);
    const g = perSampleGradients(net, sumLoss, x, y, { lossReduction: 'sum' });
    expect(Math.abs(g.grads[0].grad[3] - want[0][0][3])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[0][0][3])));
  });

  it('Conv2d with stride, padding, dilation and groups', () => {
    const rng = new Generator(3);
    const net = new Sequential(
      new Conv2d(2, 4, [3, 2], { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2, rng }), new ReLU(),
      new Conv2d(4, 3, 3, { padding: 'same', rng }), new Flatten(), new Linear(3 * 4 * 7, 2, { rng }),
    );
    check(net, crossEntropy, randT([3, 2, 7, 5], rng), labels(3, 2, rng), ['conv2d', 'conv2d', 'linear']);
  });

  it('Embedding (with paddingIdx and repeated indices)', () => {
    const rng = new Generator(4);
    const net = new Sequential(new Embedding(6, 3, { paddingIdx: 0, rng }), new Linear(3, 2, { rng }));
    const x = new Tensor(Float32Array.from([1, 2, 2, 0, 5, 5, 5, 3, 0, 4, 1, 1]), [4, 3]);
    check(net, mseLoss, x, randT([4, 3, 2], rng), ['embedding', 'linear']);
  });

  it('the per-sample loop fallback: a custom module with its own parameter, and Conv1d', () => {
    const rng = new Generator(5);
    const net = new Sequential(new Conv1d(2, 3, 3, { rng }), new Flatten(), new Scale(12, rng), new Linear(12, 2, { rng }));
    check(net, crossEntropy, randT([4, 2, 6], rng), labels(4, 2, rng), ['loop', 'loop', 'linear']);
  });

  it('modules returning records (LSTM, GRU, MultiHeadAttention): every output tensor, batch axis first or second', () => {
    const rng = new Generator(7);
    // The loss reads the LSTM's output [B, T, H] and its final state hN [1, B, H] (batch on axis 1).
    const lstm = new (class extends Module {
      readonly rnn = new LSTM(3, 4, { rng });
      readonly head = new Linear(4, 2, { rng });
      forward(x: Tensor): Tensor {
        const { output, hN } = this.rnn.forward(x);
        return this.head.forward(add(mean(output, 1), reshape(hN, [x.shape[0], 4])));
      }
    })();
    check(lstm, crossEntropy, randT([3, 5, 3], rng), labels(3, 2, rng), ['loop', 'linear']);
    const gru = new (class extends Module {
      readonly rnn = new GRU(2, 3, { rng });
      readonly head = new Linear(3, 1, { rng });
      forward(x: Tensor): Tensor { return this.head.forward(reshape(this.rnn.forward(x).hN, [x.shape[0], 3])); }
    })();
    check(gru, mseLoss, randT([4, 3, 2], rng), randT([4, 1], rng));
    const att = new (class extends Module {
      readonly mha = new MultiHeadAttention(4, 2, { rng });
      forward(x: Tensor): Tensor { return mean(this.mha.forward(x, x, x).output, 1); }
    })();
    check(att, mseLoss, randT([3, 5, 4], rng), randT([3, 4], rng));
  });

  it('the loop refuses a replay whose output is not one sample of the batch', () => {
    // Mixes samples: the output has no batch axis, so no sample owns a part of its gradient.
    const net = new (class extends Module {
      readonly s = new (class extends Module {
        readonly w = Parameter.normal([2], 1, 0.5, new Generator(8));
        forward(x: Tensor): Tensor { return mul(mean(x, 0), this.w); }
      })();
      forward(x: Tensor): Tensor { return this.s.forward(x); }
    })();
    const s = new GradSampler(net);
    mseLoss(net.forward(randT([3, 2], new Generator(9))), randT([2], new Generator(10))).backward();
    expectThrows(() => s.perSample(), ShapeError, "at 's'", 'not one sample', 'treats samples independently');
  });

  it('a module called twice in one pass adds up its calls (weight sharing)', () => {
    const rng = new Generator(6);
    const lin = new Linear(3, 3, { rng });
    const net = new (class extends Module {
      readonly l = lin;
      forward(x: Tensor): Tensor { return this.l.forward(tanh(this.l.forward(x))); }
    })();
    check(net, mseLoss, randT([4, 3], rng), randT([4, 3], rng));
  });
});

describe('GradSampler: bad input and unsupported modules', () => {
  it('refuses BatchNorm, names it and says no fallback applies', () => {
    const net = new Sequential(new Linear(3, 3), new BatchNorm1d(3));
    expectThrows(() => new GradSampler(net), ArgumentError, "BatchNorm1d at '1'", 'no fallback applies', 'GroupNorm or LayerNorm');
  });

  it('with fallback: false, names the module without a rule and the fallback', () => {
    const net = new Sequential(new Linear(3, 3), new Conv1d(1, 1, 1));
    expectThrows(() => new GradSampler(net, { fallback: false }), ArgumentError, "Conv1d at '1'", 'Linear, Conv2d, Embedding, LayerNorm', 'per-sample loop fallback');
    expect(() => new GradSampler(new Linear(2, 2), { fallback: false })).not.toThrow();
  });

  it('bad options, a non-module, and perSample before a pass', () => {
    expectThrows(() => new GradSampler({} as Module), ArgumentError, 'GradSampler', 'model');
    expectThrows(() => new GradSampler(new Linear(2, 2), { lossReduction: 'none' as 'sum' }), ArgumentError, 'lossReduction');
    expectThrows(() => new GradSampler(new Linear(2, 2), { fallbak: true } as object), ArgumentError, 'fallback');
    expectThrows(() => new GradSampler(new Linear(2, 2)).perSample(), ArgumentError, 'no forward pass');
  });

  it('records nothing without gradients, and nothing after remove()', () => {
    const net = new Linear(2, 2);
    const s = new GradSampler(net);
    s.remove();
    mseLoss(net.forward(randT([3, 2], new Generator(0))), randT([3, 2], new Generator(1))).backward();
    expectThrows(() => s.perSample(), ArgumentError, 'no forward pass');
  });
});
