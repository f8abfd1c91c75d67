import { describe, expect, it } from 'vitest';
import { Linear, Module, Sequential, ReLU } from '../../src/nn/index';
import {
  ArgumentError, Generator, Parameter, Tensor, mean, square, sub, tensor, randn, noGrad, matmul, add,
} from '../../src/tensor/index';
import {
  EarlyStopping, LearningRateLogger, ModelCheckpoint, ProgressBar, TerminateOnNaN, evaluate, fit, predict, type Callback,
} from '../../src/train/index';

/** Plain gradient descent, written out so these tests depend only on the train loop. */
class GD {
  constructor(private readonly params: Parameter[], public lr: number) {}
  step(): void {
    for (const p of this.params) {
      if (p.grad === null) continue;
      for (let i = 0; i < p.size; i++) p.data[i] -= this.lr * p.grad[i];
    }
  }
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }
  stateDict(): unknown {
    return { lr: this.lr };
  }
}

const mse = (p: Tensor, y: Tensor) => mean(square(sub(p, y)));

/** y = 3x + 2 with 64 samples, split into batches of `bs` (in order). */
function lineData(bs: number): [Tensor, Tensor][] {
  const rng = new Generator(1);
  const n = 64;
  const xs = new Float32Array(n), ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = rng.uniform(-1, 1);
    ys[i] = 3 * xs[i] + 2;
  }
  const out: [Tensor, Tensor][] = [];
  for (let s = 0; s < n; s += bs) {
    const e = Math.min(n, s + bs);
    out.push([new Tensor(xs.slice(s, e), [e - s, 1]), new Tensor(ys.slice(s, e), [e - s, 1])]);
  }
  return out;
}

describe('fit', () => {
  it('full-batch, stochastic and mini-batch descent are the same loop and all recover y = 3x + 2', async () => {
    for (const [bs, epochs, lr] of [[64, 400, 0.5], [1, 15, 0.05], [8, 60, 0.2]] as const) {
      const model = new Linear(1, 1, { rng: new Generator(0) });
      const h = await fit(model, { data: lineData(bs), loss: mse, optimizer: new GD(model.parameters(), lr), epochs });
      expect(h.history.loss.length).toBe(epochs);
      expect(h.epochs).toEqual(Array.from({ length: epochs }, (_, i) => i));
      expect(model.weight.data[0]).toBeCloseTo(3, 2);
      expect(model.bias!.data[0]).toBeCloseTo(2, 2);
      expect(h.history.loss[epochs - 1]).toBeLessThan(h.history.loss[0]);
      expect(h.stopReason).toBeNull();
    }
  });

  it('logs metrics (batch-weighted) and validation values (on all of it), and the lr', async () => {
    const model = new Linear(1, 1, { rng: new Generator(0) });
    const mae = (p: Tensor, y: Tensor) => mean(sub(p, y).abs()).item();
    const h = await fit(model, { data: lineData(16), validation: lineData(32), loss: mse, optimizer: new GD(model.parameters(), 0.1), epochs: 3, metrics: { mae } });
    expect(Object.keys(h.history).sort()).toEqual(['loss', 'lr', 'mae', 'valLoss', 'valMae']);
    expect(h.history.lr).toEqual([0.1, 0.1, 0.1]);
    const direct = evaluate(model, lineData(64), { loss: mse, metrics: { mae } });
    expect(h.history.valLoss[2]).toBeCloseTo(direct.loss, 6);
    expect(h.history.valMae[2]).toBeCloseTo(direct.mae, 6);
  });

  it('steps the scheduler per epoch with the monitored value, or per batch', async () => {
    const seen: (number | undefined)[] = [];
    const model = new Linear(1, 1);
    await fit(model, { data: lineData(32), loss: mse, optimizer: new GD(model.parameters(), 0.1), epochs: 3, scheduler: { step: (m) => seen.push(m) } });
    expect(seen.length).toBe(3);
    expect(seen.every((v) => typeof v === 'number')).toBe(true);
    let n = 0;
    await fit(model, { data: lineData(32), loss: mse, optimizer: new GD(model.parameters(), 0.1), epochs: 3, scheduler: { step: () => n++ }, schedulerStep: 'batch' });
    expect(n).toBe(6);
  });

  it('runs callbacks in order with the documented hooks', async () => {
    const calls: string[] = [];
    const cb: Callback = {
      onTrainBegin: () => void calls.push('trainBegin'),
      onEpochBegin: (e) => void calls.push(`epochBegin ${e}`),
      onBatchBegin: (b) => void calls.push(`batchBegin ${b}`),
      onBatchEnd: (b, logs) => void calls.push(`batchEnd ${b} size ${logs.size}`),
      onEpochEnd: (e) => void calls.push(`epochEnd ${e}`),
      onTrainEnd: () => void calls.push('trainEnd'),
    };
    const model = new Linear(1, 1);
    await fit(model, { data: lineData(40), loss: mse, optimizer: new GD(model.parameters(), 0.1), epochs: 1, callbacks: [cb] });
    expect(calls).toEqual(['trainBegin', 'epochBegin 0', 'batchBegin 0', 'batchEnd 0 size 40', 'batchBegin 1', 'batchEnd 1 size 24', 'epochEnd 0', 'trainEnd']);
  });

  it('EarlyStopping stops after `patience` epochs without improvement and restores the best weights', async () => {
    const model = new Linear(1, 1, { rng: new Generator(0) });
    // A learning rate that diverges after the first epochs: the loss rises, so the best epoch is early.
    const lrs = [0.5, 0.5, 0.5, 3, 3, 3, 3, 3, 3, 3];
    const opt = new GD(model.parameters(), lrs[0]);
    const sched = { epoch: 0, step() { this.epoch++; opt.lr = lrs[Math.min(this.epoch, lrs.length - 1)]; } };
    let bestWeights: number[] = [];
    const spy: Callback = { onEpochEnd: (_e, logs) => { if (logs.loss <= Math.min(...seenLoss, Infinity)) bestWeights = [...model.weight.data, ...model.bias!.data]; seenLoss.push(logs.loss); } };
    const seenLoss: number[] = [];
    const es = new EarlyStopping({ monitor: 'loss', patience: 2, restoreBest: true });
    const h = await fit(model, { data: lineData(64), loss: mse, optimizer: opt, epochs: 10, scheduler: sched, callbacks: [spy, es] });
    expect(h.stopReason).toMatch(/^early stopping: loss did not improve for 2 epoch\(s\)/);
    expect(h.epochs.length).toBe(es.bestEpoch + 3);
    expect([...model.weight.data, ...model.bias!.data]).toEqual(bestWeights);
  });

  it('TerminateOnNaN stops at the first non-finite loss with a message naming epoch and batch', async () => {
    const model = new Linear(1, 1, { rng: new Generator(0) });
    const h = await fit(model, { data: lineData(8), loss: mse, optimizer: new GD(model.parameters(), 1e6), epochs: 20, callbacks: [new TerminateOnNaN()] });
    expect(h.stopReason).toMatch(/^loss became (NaN|Infinity) at epoch \d+, batch \d+: training stopped/);
    expect(h.epochs.length).toBeLessThan(20);
  });

  it('an AbortSignal stops training at the next batch', async () => {
    const model = new Linear(1, 1);
    const ac = new AbortController();
    const stopper: Callback = { onBatchEnd: (b) => { if (b === 2) ac.abort(); } };
    const h = await fit(model, { data: lineData(8), loss: mse, optimizer: new GD(model.parameters(), 0.1), epochs: 5, callbacks: [stopper], signal: ac.signal });
    expect(h.stopReason).toBe('aborted');
    expect(h.epochs.length).toBe(1);
  });

  it('ModelCheckpoint keeps the best epoch (model and optimizer state) and calls save', async () => {
    const model = new Linear(1, 1, { rng: new Generator(0) });
    const saved: number[] = [];
    const ck = new ModelCheckpoint({ monitor: 'loss', save: (info) => void saved.push(info.epoch) });
    await fit(model, { data: lineData(64), loss: mse, optimizer: new GD(model.parameters(), 0.3), epochs: 5, callbacks: [ck] });
    expect(saved).toEqual([0, 1, 2, 3, 4]);
    expect(ck.last!.optimizerState).toEqual({ lr: 0.3 });
    expect(ck.last!.modelState.weight.toArray()).toEqual(Array.from(model.weight.data));
    // A snapshot, not a view.
    expect(ck.last!.modelState.weight.data).not.toBe(model.weight.data);
  });

  it('LearningRateLogger and ProgressBar (silent off a TTY, drawing when forced)', async () => {
    const model = new Linear(1, 1);
    const lrl = new LearningRateLogger({ perBatch: true });
    let out = '';
    const pb = new ProgressBar({ stream: { write: (s: string) => (out += s), isTTY: false }, force: true });
    const silent = new ProgressBar({ stream: { write: () => { throw new Error('should not draw'); }, isTTY: false } });
    await fit(model, { data: lineData(16), loss: mse, optimizer: new GD(model.parameters(), 0.1), epochs: 2, callbacks: [lrl, pb, silent] });
    expect(lrl.values).toEqual(new Array(8).fill(0.1));
    expect(out).toMatch(/epoch 1\/2 .*loss/);
    expect(out).toMatch(/epoch 2\/2  loss \d\.\d{4}/);
  });

  it('bad options are typed errors', async () => {
    const model = new Linear(1, 1);
    const opt = new GD(model.parameters(), 0.1);
    await expect(fit(model, { data: lineData(8), loss: mse, optimizer: opt, epochs: -1 })).rejects.toThrow(ArgumentError);
    await expect(fit(model, { data: [], loss: mse, optimizer: opt, epochs: 1 })).rejects.toThrow(/data yielded no batches in epoch 0/);
    await expect(fit(model, { data: 5 as never, loss: mse, optimizer: opt, epochs: 1 })).rejects.toThrow(/data must be an iterable/);
    await expect(fit(model, { data: lineData(8), loss: mse, optimizer: {} as never, epochs: 1 })).rejects.toThrow(/optimizer must have step/);
    await expect(fit(model, { data: [[1, 2]] as never, loss: mse, optimizer: opt, epochs: 1 })).rejects.toThrow(/batch 0 of epoch 0 is not an \[x, y\] pair/);
    expect(() => new EarlyStopping({ patience: -1 })).toThrow(ArgumentError);
  });
});

describe('predict and evaluate', () => {
  it('predict batches rows, runs without gradients in eval mode, and restores the mode', () => {
    class Probe extends Module {
      modes: boolean[] = [];
      lin = new Linear(3, 2, { rng: new Generator(1) });
      forward(x: Tensor): Tensor {
        this.modes.push(this.training);
        return this.lin.forward(x);
      }
    }
    const m = new Probe();
    const x = randn([10, 3], { rng: new Generator(2) });
    const y = predict(m, x, { batchSize: 4 });
    expect(y.shape).toEqual([10, 2]);
    expect(y.requiresGrad).toBe(false);
    expect(m.modes).toEqual([false, false, false]);
    expect(m.training).toBe(true);
    const ref = noGrad(() => add(matmul(x, m.lin.weight.transpose()), m.lin.bias!));
    expect(Array.from(y.data)).toEqual(Array.from(ref.data).map((v) => Math.fround(v)));
    expect(predict(new Sequential(new Linear(3, 1), new ReLU()), [x, x]).shape).toEqual([20, 1]);
  });

  it('evaluate weights the loss by batch size', () => {
    const m = new Linear(1, 1, { bias: false });
    m.weight.data[0] = 0;
    // Batches of sizes 1 and 3 with squared errors 1 and 4: mean over all rows = (1 + 3·4)/4.
    const r = evaluate(m, [[tensor([[1]]), tensor([[1]])], [tensor([[1], [1], [1]]), tensor([[2], [2], [2]])]], { loss: mse });
    expect(r.loss).toBeCloseTo(13 / 4, 6);
  });
});
