import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, Tensor, randn } from '../../src/tensor/index';
import { Linear, ReLU, Sequential, mseLoss } from '../../src/nn/index';
import { SGD } from '../../src/optim/index';
import { fit } from '../../src/train/index';
import { PruningSchedule, isPruned } from '../../src/compress/index';
import { expectThrows } from '../helpers/check';


const zerosOfMask = (m: Linear): number => Array.from((m as unknown as { weightMask: Tensor }).weightMask.data).filter((v) => v === 0).length;

describe('PruningSchedule', () => {
  it('follows s_t = s_f + (s_i − s_f)(1 − (t − t₀)/(nΔt))³ on its grid, 0 before t₀ and s_f after', () => {
    const lin = new Linear(4, 4);
    const s = new PruningSchedule([[lin, 'weight']], { initialSparsity: 0.1, finalSparsity: 0.9, beginStep: 10, endStep: 50, frequency: 10 });
    expect(s.sparsityAt(0)).toBe(0);
    expect(s.sparsityAt(9)).toBe(0);
    // t₀ = 10, nΔt = 40: t = 10 → s_i; t = 30 → 0.9 − 0.8·(1/2)³ = 0.8; t = 40 → 0.9 − 0.8/64.
    expect(s.sparsityAt(10)).toBeCloseTo(0.1, 12);
    expect(s.sparsityAt(20)).toBeCloseTo(0.9 - 0.8 * 0.75 ** 3, 12);
    expect(s.sparsityAt(30)).toBeCloseTo(0.8, 12);
    expect(s.sparsityAt(40)).toBeCloseTo(0.9 - 0.8 / 64, 12);
    expect(s.sparsityAt(50)).toBe(0.9);
    expect(s.sparsityAt(1000)).toBe(0.9);
    expect([9, 10, 15, 20, 50, 60].map((t) => s.prunesAt(t))).toEqual([false, true, false, true, true, false]);
    // Monotone non-decreasing on the grid, with decreasing increments (the cube's shape).
    const grid = [10, 20, 30, 40, 50].map((t) => s.sparsityAt(t));
    const inc = grid.slice(1).map((v, i) => v - grid[i]);
    for (let i = 1; i < inc.length; i++) expect(inc[i]).toBeLessThan(inc[i - 1]);
  });

  it('in a real fit: per-layer counts round(s_t·N) at each pruning step, masks hold in between, the model still fits', async () => {
    const g = new Generator(0);
    const net = new Sequential(new Linear(8, 20, { rng: g }), new ReLU(), new Linear(20, 1, { rng: g }));
    const fc1 = net[0] as Linear, fc2 = net[2] as Linear;
    const sched = new PruningSchedule([[fc1, 'weight'], [fc2, 'weight']], { finalSparsity: 0.75, endStep: 12, frequency: 4, scope: 'layer' });
    const x = randn([32, 8], { rng: new Generator(1) });
    const y = randn([32, 1], { rng: new Generator(2) });
    const seen: [number, number, number][] = [];
    const probe = { onBatchEnd: () => { seen.push([sched.step - 1, zerosOfMask(fc1), zerosOfMask(fc2)]); } };
    const h = await fit(net, { data: [[x, y]], loss: mseLoss, optimizer: new SGD(net.parameters(), { lr: 0.05 }), epochs: 16, callbacks: [sched, probe] });
    const roundHalfEven = (v: number) => { const f = Math.floor(v), d = v - f; return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1; };
    for (const [t, z1, z2] of seen) {
      const last = Math.min(12, t - (t % 4));
      const s = sched.sparsityAt(last);
      expect([t, z1, z2]).toEqual([t, roundHalfEven(s * 160), roundHalfEven(s * 20)]);
    }
    expect(seen[15]).toEqual([15, 120, 15]);
    // Pruned weights stay exactly zero in the forward after training.
    for (let i = 0; i < fc1.weight.size; i++) if ((fc1 as unknown as { weightMask: Tensor }).weightMask.data[i] === 0) expect(Math.abs(fc1.weight.data[i])).toBe(0);
    expect(isPruned(net)).toBe(true);
    expect(h.history.loss[15]).toBeLessThan(h.history.loss[0]);
  });

  it('global scope reaches s_t over the union, letting layers differ', async () => {
    const g = new Generator(3);
    const a = new Linear(10, 10, { rng: g }), b = new Linear(10, 10, { rng: g });
    b.weight.data.forEach((v, i) => { b.weight.data[i] = v * 10; });
    const sched = new PruningSchedule([[a, 'weight'], [b, 'weight']], { finalSparsity: 0.5, endStep: 0, frequency: 1 });
    sched.onBatchBegin(0, {} as never);
    expect(zerosOfMask(a) + zerosOfMask(b)).toBe(100);
    expect(zerosOfMask(a)).toBeGreaterThan(zerosOfMask(b));
  });

  it('bad options', () => {
    const lin = new Linear(2, 2);
    const p: [Linear, string][] = [[lin, 'weight']];
    expectThrows(() => new PruningSchedule(p, { endStep: 10 } as never), ArgumentError, 'PruningSchedule: finalSparsity must be');
    expectThrows(() => new PruningSchedule(p, { finalSparsity: 0.5 } as never), ArgumentError, 'endStep must be');
    expectThrows(() => new PruningSchedule(p, { finalSparsity: 1.5, endStep: 10 }), ArgumentError, 'finalSparsity must be a finite number ≥ 0 and ≤ 1');
    expectThrows(() => new PruningSchedule(p, { finalSparsity: 0.5, initialSparsity: 0.6, endStep: 10 }), ArgumentError, 'initialSparsity 0.6 must be ≤ finalSparsity 0.5');
    expectThrows(() => new PruningSchedule(p, { finalSparsity: 0.5, endStep: 10, frequency: 3 }), ArgumentError, 'must be a non-negative multiple of frequency 3');
    expectThrows(() => new PruningSchedule(p, { finalSparsity: 0.5, beginStep: 20, endStep: 10, frequency: 5 }), ArgumentError, 'multiple of frequency');
    expectThrows(() => new PruningSchedule([], { finalSparsity: 0.5, endStep: 10 }), ArgumentError, 'params must be an array of at least 1');
    expectThrows(() => new PruningSchedule([[lin, 3]] as never, { finalSparsity: 0.5, endStep: 10 }), ArgumentError, 'params[0] must be a [module, name] pair');
    expectThrows(() => new PruningSchedule(p, { finalSparsity: 0.5, endStep: 10, scope: 'model' as never }), ArgumentError, "scope must be one of 'global', 'layer'");
    const bad = new PruningSchedule([[lin, 'wieght']], { finalSparsity: 0.5, endStep: 0 });
    expectThrows(() => bad.onBatchBegin(0, {} as never), ArgumentError, "Linear has no parameter 'wieght'");
  });
});
