import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  Adadelta, Adagrad, Adam, Adamax, AdamW, CosineAnnealingLR, ExponentialLR, LBFGS, LinearWarmup, MultiStepLR, OneCycleLR, Optimizer,
  ReduceLROnPlateau, RMSprop, SGD, StepLR, type ParamGroup, type SchedulerStateDict,
} from '../../src/optim/index';
import { linear, mean, Parameter, square, sub, tanh, Tensor } from '../../src/tensor/index';

/** Shapes of test/fixtures/optim.json (written by test/fixtures/gen_optim.py from torch 1.13). */
export interface Trajectory {
  name: string;
  optimizer: string;
  options: Record<string, unknown>;
  groups: Array<{ params: Array<'w' | 'b'> } & Record<string, unknown>> | null;
  weights: number[][];
}
export interface LbfgsCase {
  name: string;
  options: Record<string, unknown>;
  x0: number[];
  xs: number[][];
  losses: number[];
  evals: number[];
}
export interface SchedCase {
  name: string;
  scheduler: string;
  options: Record<string, unknown>;
  optimizer?: string;
  optimizerOptions?: Record<string, unknown>;
  groupLrs: number[];
  lrs: number[][];
  momentum?: number[][];
  metrics?: number[];
}
export interface ClipCase {
  kind: 'norm' | 'value';
  normType?: number | 'Infinity';
  maxNorm?: number;
  clipValue?: number;
  shapes: number[][];
  grads: number[][];
  total?: number;
  clipped: number[][];
}
export interface OptimFixture {
  torch: string;
  model: { x: number[]; xShape: number[]; y: number[]; yShape: number[]; w0: number[]; b0: number[] };
  trajectories: Trajectory[];
  lbfgs: LbfgsCase[];
  schedulers: SchedCase[];
  clip: ClipCase[];
}

export const fixture = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/optim.json'), 'utf8')) as OptimFixture;

type Ctor = new (params: any, options: any) => Optimizer<any, any>;
export const optimizers: Record<string, Ctor> = { SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, LBFGS };

/** The tiny regression of the fixture: loss = mean((tanh(x·Wᵀ + b) − y)²), W [3, 4], b [3]. */
export class TinyModel {
  readonly w: Parameter;
  readonly b: Parameter;
  private readonly x: Tensor;
  private readonly y: Tensor;
  constructor(m = fixture.model) {
    this.w = new Parameter(Float32Array.from(m.w0), [3, 4]);
    this.b = new Parameter(Float32Array.from(m.b0), [3]);
    this.x = new Tensor(Float32Array.from(m.x), m.xShape);
    this.y = new Tensor(Float32Array.from(m.y), m.yShape);
  }
  /** Sets fresh gradients of the loss at the current weights. */
  backward(): number {
    this.w.grad = null;
    this.b.grad = null;
    const loss = mean(square(sub(tanh(linear(this.x, this.w, this.b)), this.y)));
    loss.backward();
    return loss.item();
  }
  weights(): number[] {
    return [...this.w.data, ...this.b.data];
  }
}

/** Builds the optimizer of a trajectory case on the model's parameters (with its param groups, if any). */
export function makeOptimizer(c: Trajectory, model: TinyModel): Optimizer<any, any> {
  const named = { w: model.w, b: model.b };
  const Cls = optimizers[c.optimizer];
  if (c.groups === null) return new Cls([model.w, model.b], c.options);
  const groups = c.groups.map((g) => ({ ...g, params: g.params.map((n) => named[n]) })) as ParamGroup[];
  return new Cls(groups, c.options);
}

/** What the tests use of any scheduler (`step()` or, for ReduceLROnPlateau, `step(metric)`). */
export interface AnyScheduler {
  step(...metric: number[]): void;
  getLastLr(): number[];
  stateDict(): SchedulerStateDict;
  loadStateDict(sd: SchedulerStateDict): void;
}

export const schedulers: Record<string, new (opt: Optimizer<any, any>, options: any) => AnyScheduler> = {
  StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearWarmup, OneCycleLR, ReduceLROnPlateau,
};

/** The two-group optimizer of a scheduler case: groups [p1 (2 values), p2 (1 value)] with the case's lrs. */
export function schedOptimizer(c: SchedCase): Optimizer<any, any> {
  const Cls = optimizers[c.optimizer ?? 'SGD'];
  const p1 = new Parameter(new Float32Array(2), [2]);
  const p2 = new Parameter(new Float32Array(1), [1]);
  return new Cls([{ params: [p1], lr: c.groupLrs[0] }, { params: [p2], lr: c.groupLrs[1] }], c.optimizerOptions ?? {});
}
