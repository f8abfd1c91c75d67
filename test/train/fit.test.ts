import { describe, expect, it } from 'vitest';
import { binaryCrossEntropyWithLogits, crossEntropy, Linear, Module, Sequential, ReLU } from '../../src/nn/index';
import { precision, recall } from '../../src/metrics/index';
import { clipGradNorm, clipGradValue, SGD } from '../../src/optim/index';
import {
  ArgumentError, Generator, Parameter, ShapeError, Tensor, mean, square, sub, tensor, randn, noGrad, matmul, add, argmax, gt,
} from '../../src/tensor/index';
import {
  EarlyStopping, LearningRateLogger, ModelCheckpoint, ProgressBar, TerminateOnNaN, evaluate, fit, predict, type Callback, type FitOptions,
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

  it('TerminateOnNaN stops at the first non-finite loss, naming epoch and batch, and keeps the last finite weights', async () => {
    const model = new Linear(1, 1, { rng: new Generator(0) });
    let before: number[] = [];
    const spy: Callback = { onBatchBegin: () => void (before = [model.weight.data[0], model.bias!.data[0]]) };
    const h = await fit(model, { data: lineData(8), loss: mse, optimizer: new GD(model.parameters(), 1e6), epochs: 20, callbacks: [spy, new TerminateOnNaN()] });
    expect(h.stopReason).toMatch(/^loss became (NaN|Infinity) at epoch \d+, batch \d+: training stopped before its step/);
    expect(h.epochs.length).toBeLessThan(20);
    // The step of the non-finite batch was skipped: the weights are those it started from, finite.
    const w = [model.weight.data[0], model.bias!.data[0]];
    expect(w.every(Number.isFinite)).toBe(true);
    expect(w).toEqual(before);
  });

  it('TerminateOnNaN undoes a step that makes a weight non-finite although the loss was finite', async () => {
    const model = new Linear(1, 1, { rng: new Generator(0) });
    let before: number[] = [];
    const spy: Callback = { onBatchBegin: () => void (before = [model.weight.data[0], model.bias!.data[0]]) };
    // lr 1e38: the first step's update −η·g overflows float32 while the loss (≈ 10) is finite.
    const h = await fit(model, { data: lineData(64), loss: mse, optimizer: new GD(model.parameters(), 1e38), epochs: 3, callbacks: [spy, new TerminateOnNaN()] });
    expect(h.stopReason).toMatch(/^weights became non-finite in the step of epoch 0, batch 0: the step was undone/);
    expect(h.history.loss.every(Number.isFinite)).toBe(true);
    expect([model.weight.data[0], model.bias!.data[0]]).toEqual(before);
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

  it('LearningRateLogger and ProgressBar (one plain line per epoch off a TTY, the live line when forced)', async () => {
    const model = new Linear(1, 1);
    const lrl = new LearningRateLogger({ perBatch: true });
    let out = '';
    const pb = new ProgressBar({ stream: { write: (s: string) => (out += s), isTTY: false }, force: true });
    let log = '';
    const ci = new ProgressBar({ stream: { write: (s: string) => (log += s), isTTY: false } });
    expect([ci.enabled, ci.live, pb.live]).toEqual([true, false, true]);
    await fit(model, { data: lineData(16), loss: mse, optimizer: new GD(model.parameters(), 0.1), epochs: 2, callbacks: [lrl, pb, ci] });
    expect(lrl.values).toEqual(new Array(8).fill(0.1));
    expect(out).toMatch(/epoch 1\/2 .*loss/);
    expect(out).toMatch(/epoch 2\/2  loss \d\.\d{4}/);
    // A CI log gets exactly one line per epoch, without carriage returns or escape codes.
    const lines = log.split('\n');
    expect(lines.length).toBe(3);
    expect(lines[0]).toMatch(/^epoch 1\/2  loss \d\.\d{4}  \(\d+\.\d s\)$/);
    expect(lines[1]).toMatch(/^epoch 2\/2  loss /);
    expect(lines[2]).toBe('');
  });

  it('ProgressBar: the live line shows an ETA and keeps the loss on a narrow terminal', async () => {
    const draw = async (columns: number): Promise<string[]> => {
      const writes: string[] = [];
      const model = new Linear(1, 1, { rng: new Generator(0) });
      const pb = new ProgressBar({ stream: { write: (s: string) => void writes.push(s), isTTY: true, columns } });
      // A data source with a length (as a DataLoader has), so the bar knows the batch count.
      await fit(model, { data: lineData(16), loss: mse, optimizer: new GD(model.parameters(), 0.1), epochs: 1, callbacks: [pb] });
      return writes.filter((w) => !w.endsWith('\n')).map((w) => w.replace(/^\r/, '').replace(/\x1b\[K$/, ''));
    };
    const wide = await draw(200);
    // The first batch always draws: 1 of 4 batches done, so an ETA is shown.
    expect(wide[0]).toMatch(/^epoch 1\/1 \[[=.]{24}\] batch 1\/4  loss \d+\.\d{4}  ETA \d+s  \d+ samples\/s$/);
    const narrow = await draw(30);
    expect(narrow[0]).toMatch(/^epoch 1\/1  loss \d+\.\d{4}/);
    expect(narrow[0].length).toBeLessThanOrEqual(29);
  });

  it('bad options are typed errors', async () => {
    const model = new Linear(1, 1);
    const opt = new GD(model.parameters(), 0.1);
    await expect(fit(model, { data: lineData(8), loss: mse, optimizer: opt, epochs: -1 })).rejects.toThrow(ArgumentError);
    await expect(fit(model, { data: [], loss: mse, optimizer: opt, epochs: 1 })).rejects.toThrow(/data yielded no batches in epoch 0/);
    await expect(fit(model, { data: 5 as never, loss: mse, optimizer: opt, epochs: 1 })).rejects.toThrow(/data must be an iterable/);
    await expect(fit(model, { data: lineData(8), loss: mse, optimizer: {} as never, epochs: 1 })).rejects.toThrow(/optimizer must be an object with step\(\) and zeroGrad\(\)/);
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

  it('any Module type-checks (e.g. loadModel\'s, whose forward is typed unknown); a forward that returns no Tensor is an ArgumentError', () => {
    const m: Module = new Linear(2, 1, { rng: new Generator(1) });
    expect(predict(m, tensor([[1, 2]])).shape).toEqual([1, 1]);
    expect(evaluate(m, [[tensor([[1, 2]]), tensor([[0]])]], { loss: mse }).loss).toBeGreaterThanOrEqual(0);
    class Bad extends Module {
      forward(): unknown {
        return [1, 2];
      }
    }
    expect(() => predict(new Bad(), tensor([[1]]))).toThrow(/predict: model.forward\(x\) must be a Tensor, got array\(2\)/);
  });

  it('evaluate weights the loss by batch size', () => {
    const m = new Linear(1, 1, { bias: false });
    m.weight.data[0] = 0;
    // Batches of sizes 1 and 3 with squared errors 1 and 4: mean over all rows = (1 + 3·4)/4.
    const r = evaluate(m, [[tensor([[1]]), tensor([[1]])], [tensor([[1], [1], [1]]), tensor([[2], [2], [2]])]], { loss: mse });
    expect(r.loss).toBeCloseTo(13 / 4, 6);
  });
});

describe('the gradient stage between backward and step', () => {
  const make = (): [Linear, SGD] => {
    const m = new Linear(1, 1, { rng: new Generator(0) });
    return [m, new SGD(m.parameters(), { lr: 0.1, momentum: 0.9 })];
  };
  const weights = (m: Linear) => [m.weight.data[0], m.bias!.data[0]];

  /** The loop a PyTorch user writes: zero, forward, loss, backward, clip, step. */
  function handLoop(clip: (ps: Parameter[]) => void): number[] {
    const [m, opt] = make();
    for (let e = 0; e < 3; e++) {
      for (const [x, y] of lineData(16)) {
        opt.zeroGrad();
        mse(m.forward(x), y).backward();
        clip(m.parameters());
        opt.step();
      }
    }
    return weights(m);
  }

  it('clipGradNorm in fit gives the trajectory of a hand loop that clips (bit for bit)', async () => {
    const cases: Array<[FitOptions['clipGradNorm'], (ps: Parameter[]) => void]> = [
      [0.5, (ps) => void clipGradNorm(ps, 0.5)],
      [{ maxNorm: 0.3, normType: 1 }, (ps) => void clipGradNorm(ps, 0.3, { normType: 1 })],
    ];
    for (const [option, clip] of cases) {
      const [m, opt] = make();
      await fit(m, { data: lineData(16), loss: mse, optimizer: opt, epochs: 3, clipGradNorm: option });
      expect(weights(m)).toEqual(handLoop(clip));
    }
    // The clipping is active here: without it the trajectory differs.
    const [m, opt] = make();
    await fit(m, { data: lineData(16), loss: mse, optimizer: opt, epochs: 3 });
    expect(weights(m)).not.toEqual(handLoop((ps) => void clipGradNorm(ps, 0.5)));
    expect(weights(m)).toEqual(handLoop(() => {}));
  });

  it('clipGradValue in fit equals a hand loop with clipGradValue', async () => {
    const [m, opt] = make();
    await fit(m, { data: lineData(16), loss: mse, optimizer: opt, epochs: 3, clipGradValue: 0.2 });
    expect(weights(m)).toEqual(handLoop((ps) => clipGradValue(ps, 0.2)));
  });

  it('onBeforeStep sees the gradients of the batch, may change them in place, and may skip the step', async () => {
    const [m, opt] = make();
    const seen: number[] = [];
    // A pruning-style mask: the weight's gradient is zeroed, so only the bias trains.
    const mask: Callback = {
      onBeforeStep: (batch, logs, ctx) => {
        seen.push(batch, logs.size);
        expect(m.weight.grad).not.toBeNull();
        m.weight.grad!.fill(0);
        ctx.skipStep = batch === 1;
      },
    };
    const w0 = m.weight.data[0];
    const stepped: number[] = [];
    const count = { step: () => { stepped.push(1); opt.step(); }, zeroGrad: () => opt.zeroGrad(), lr: 0.1 };
    await fit(m, { data: lineData(32), loss: mse, optimizer: count, epochs: 1, callbacks: [mask] });
    expect(seen).toEqual([0, 32, 1, 32]);
    expect(stepped.length).toBe(1);
    expect(m.weight.data[0]).toBe(w0);
  });
});

describe('metrics take (yTrue, yPred), the order of tensorkit/metrics', () => {
  /** Two overlapping classes in 2-D, labels 0/1: a linear classifier gets some of each wrong. */
  function blobs(): [Tensor, Tensor] {
    const rng = new Generator(3);
    const n = 64;
    const xs = new Float32Array(n * 2), ys = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      ys[i] = i % 3 === 0 ? 1 : 0;
      xs[2 * i] = rng.normal() + ys[i];
      xs[2 * i + 1] = rng.normal() - ys[i];
    }
    return [new Tensor(xs, [n, 2]), new Tensor(ys, [n])];
  }

  it('precision and recall passed to fit give the values of calling them on the predictions', async () => {
    const [x, y] = blobs();
    const model = new Linear(2, 2, { rng: new Generator(5) });
    const opt = new SGD(model.parameters(), { lr: 0.5 });
    let trainPred: Tensor | null = null;
    const spy: Callback = { onBatchBegin: () => void (trainPred = predict(model, x)) };
    const h = await fit(model, {
      data: [[x, y]], validation: [[x, y]], loss: crossEntropy, optimizer: opt, epochs: 2, callbacks: [spy],
      metrics: { precision: { fn: precision, predictions: 'argmax' }, recall: { fn: recall, predictions: 'argmax' } },
    });
    const labels = (p: Tensor) => argmax(p, { axis: 1 });
    const after = labels(predict(model, x));
    const [p, r] = [precision(y, after), recall(y, after)];
    // Swapping yTrue and yPred turns precision into recall: the two differ here, so a swap shows.
    expect(p).not.toBeCloseTo(r, 3);
    expect(h.history.valPrecision[1]).toBe(p);
    expect(h.history.valRecall[1]).toBe(r);
    // Training values are on the batch's predictions before its step.
    expect(h.history.precision[1]).toBe(precision(y, labels(trainPred!)));
    expect(h.history.recall[1]).toBe(recall(y, labels(trainPred!)));
    // Passed as a plain function, precision gets the raw [B, 2] scores as yPred: a typed error, not a silent value.
    await expect(fit(model, { data: [[x, y]], loss: crossEntropy, optimizer: opt, epochs: 1, metrics: { precision } })).rejects.toThrow(ShapeError);
    await expect(fit(model, { data: [[x, y]], loss: crossEntropy, optimizer: opt, epochs: 1, metrics: { precision } })).rejects.toThrow(/precision: yPred must be 1-D, got shape \[64, 2\]/);
  });

  it('a plain metric function gets (yTrue, yPred) with the raw output; a function spec converts it', async () => {
    const [x, y] = blobs();
    const model = new Linear(2, 1, { rng: new Generator(5) });
    const calls: Array<[number[], number[]]> = [];
    const order = (yt: Tensor, yp: Tensor) => {
      calls.push([yt.shape.slice(), yp.shape.slice()]);
      return 0;
    };
    const onLogit = { fn: precision, predictions: (o: Tensor) => gt(o.reshape([-1]), 0) };
    const bce = (o: Tensor, t: Tensor) => binaryCrossEntropyWithLogits(o.reshape([-1]), t);
    const r = evaluate(model, [[x, y]], { loss: bce, metrics: { order, onLogit } });
    expect(calls).toEqual([[[64], [64, 1]]]);
    expect(r.onLogit).toBe(precision(y, gt(predict(model, x).reshape([-1]), 0)));
    // 'argmax' on one score per sample would silently give one index: it asks for a function instead.
    class Flat extends Module {
      lin = new Linear(2, 1, { rng: new Generator(5) });
      forward(v: Tensor): Tensor {
        return this.lin.forward(v).reshape([-1]);
      }
    }
    expect(() => evaluate(new Flat(), [[x, y]], { metrics: { p: { fn: precision, predictions: 'argmax' } } }))
      .toThrow(/evaluate: metric 'p': predictions 'argmax' takes scores \[B, C\], got an output of shape \[64\]/);
  });
});

describe('options of fit, evaluate, predict and the callbacks', () => {
  const model = new Linear(1, 1);
  const opt = new GD(model.parameters(), 0.1);
  it('unknown keys get "did you mean"; wrong types name the option and the value', async () => {
    await expect(fit(model, { data: lineData(8), loss: mse, optimizer: opt, epoch: 3 } as never)).rejects.toThrow(/fit: unknown option 'epoch' \(did you mean 'epochs'\?\)/);
    await expect(fit(model, { data: lineData(8), loss: mse, optimizer: opt, epochs: 1, clipGradNorm: -1 })).rejects.toThrow(/fit: clipGradNorm must be a finite number ≥ 0, got -1/);
    await expect(fit(model, { data: lineData(8), loss: mse, optimizer: opt, epochs: 1, clipGradNorm: { maxNorm: 1, normType: 0 } })).rejects.toThrow(/normType must be a number > 0 or Infinity, got 0/);
    await expect(fit(model, { data: lineData(8), loss: mse, optimizer: opt, epochs: 1, metrics: { p: { fn: precision, predictions: 'max' as 'argmax' } } })).rejects.toThrow(ArgumentError);
    await expect(fit(model, { data: lineData(8), loss: mse, optimizer: opt, epochs: 1, callbacks: [{ onEpochEnd: 3 } as never] })).rejects.toThrow(/callbacks\[0\]\.onEpochEnd must be a function, got 3/);
    await expect(fit(model, { loss: mse, optimizer: opt, epochs: 1 } as never)).rejects.toThrow(/fit: data must be an iterable/);
    await expect(fit(model, 'fast' as never)).rejects.toThrow(/fit: options must be an object, got "fast"/);
    expect(() => evaluate(model, lineData(8), { los: mse } as never)).toThrow(/evaluate: unknown option 'los' \(did you mean 'loss'\?\)/);
    expect(() => predict(model, tensor([[1]]), { batch_size: 4 } as never)).toThrow(/predict: unknown option 'batch_size' \(did you mean 'batchSize'\?\)/);
    expect(() => predict(model, tensor([[1]]), { batchSize: 0 })).toThrow(/predict: batchSize must be an integer ≥ 1, got 0/);
    expect(() => new EarlyStopping({ patience: '3' as never })).toThrow(/EarlyStopping: patience must be an integer ≥ 0, got "3"/);
    expect(() => new EarlyStopping({ mode: 'best' as never })).toThrow(/EarlyStopping: mode must be one of 'min', 'max', 'auto', got "best"/);
    expect(() => new ModelCheckpoint({ save: 1 as never })).toThrow(/ModelCheckpoint: save must be a function, got 1/);
    expect(() => new ModelCheckpoint({ save_best_only: true } as never)).toThrow(/did you mean 'saveBestOnly'/);
    expect(() => new LearningRateLogger({ perbatch: true } as never)).toThrow(/did you mean 'perBatch'/);
    expect(() => new ProgressBar(5 as never)).toThrow(/ProgressBar: options must be an object, got 5/);
    expect(() => new ProgressBar({ stream: {} as never })).toThrow(/ProgressBar: stream must be a stream with write/);
  });
});
