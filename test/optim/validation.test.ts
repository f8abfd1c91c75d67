import { describe, expect, it } from 'vitest';
import {
  Adadelta, Adagrad, Adam, Adamax, AdamW, CosineAnnealingLR, ExponentialLR, LBFGS, LinearWarmup, MultiStepLR, OneCycleLR,
  ReduceLROnPlateau, RMSprop, SGD, StepLR, type OptimizerStateDict, type SchedulerStateDict,
} from '../../src/optim/index';
import { ArgumentError, FormatError, Parameter, ShapeError, tensor, TensorkitError } from '../../src/tensor/index';

const p = () => new Parameter(tensor([1, 2]));

describe('hyperparameter validation → ArgumentError naming the option and the value', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['SGD without lr', () => new SGD([p()], {} as { lr: number }), /SGD: lr/],
    ['SGD lr NaN', () => new SGD([p()], { lr: NaN }), /SGD: lr must be a finite number ≥ 0, got NaN/],
    ['SGD lr −1', () => new SGD([p()], { lr: -1 }), /lr .*got -1/],
    ['SGD momentum −0.1', () => new SGD([p()], { lr: 0.1, momentum: -0.1 }), /momentum .*got -0.1/],
    ['SGD weightDecay Infinity', () => new SGD([p()], { lr: 0.1, weightDecay: Infinity }), /weightDecay .*got Infinity/],
    ['SGD nesterov without momentum', () => new SGD([p()], { lr: 0.1, nesterov: true }), /nesterov needs momentum > 0/],
    ['SGD nesterov with dampening', () => new SGD([p()], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /dampening 0.1/],
    ['SGD nesterov not boolean', () => new SGD([p()], { lr: 0.1, nesterov: 1 as unknown as boolean }), /nesterov must be a boolean, got 1/],
    ['Adam betas[0] = 1', () => new Adam([p()], { betas: [1, 0.999] }), /betas\[0\] must be a finite number ≥ 0 and < 1, got 1/],
    ['Adam betas[1] = −0.5', () => new Adam([p()], { betas: [0.9, -0.5] }), /betas\[1\] .*got -0.5/],
    ['Adam betas not a pair', () => new Adam([p()], { betas: [0.9] as unknown as [number, number] }), /betas must be a pair/],
    ['Adam eps −1e-8', () => new Adam([p()], { eps: -1e-8 }), /eps .*got -1e-8/],
    ['Adam lr −Infinity', () => new Adam([p()], { lr: -Infinity }), /lr .*got -Infinity/],
    ['AdamW weightDecay NaN', () => new AdamW([p()], { weightDecay: NaN }), /weightDecay .*got NaN/],
    ['AdamW amsgrad "yes"', () => new AdamW([p()], { amsgrad: 'yes' as unknown as boolean }), /amsgrad must be a boolean, got "yes"/],
    ['RMSprop alpha 1.5', () => new RMSprop([p()], { alpha: 1.5 }), /alpha must be a finite number ≥ 0 and ≤ 1, got 1.5/],
    ['RMSprop momentum −1', () => new RMSprop([p()], { momentum: -1 }), /momentum .*got -1/],
    ['Adagrad lrDecay −0.1', () => new Adagrad([p()], { lrDecay: -0.1 }), /lrDecay .*got -0.1/],
    ['Adagrad initialAccumulatorValue −1', () => new Adagrad([p()], { initialAccumulatorValue: -1 }), /initialAccumulatorValue .*got -1/],
    ['Adadelta rho 2', () => new Adadelta([p()], { rho: 2 }), /rho must be a finite number ≥ 0 and ≤ 1, got 2/],
    ['Adamax betas[1] 1', () => new Adamax([p()], { betas: [0.9, 1] }), /betas\[1\] .*got 1/],
    ['LBFGS maxIter 0', () => new LBFGS([p()], { maxIter: 0 }), /maxIter must be an integer ≥ 1, got 0/],
    ['LBFGS toleranceGrad −1', () => new LBFGS([p()], { toleranceGrad: -1 }), /toleranceGrad .*got -1/],
    ['group option invalid', () => new SGD([{ params: [p()] }, { params: [p()], lr: -2 }], { lr: 0.1 }), /SGD: paramGroups\[1\]: lr .*got -2/],
    ['unknown option with a hint', () => new Adam([p()], { weight_decay: 0.1 } as object), /unknown option 'weight_decay' \(did you mean 'weightDecay'\?\)/],
    ['unknown group option', () => new Adam([{ params: [p()], momentum: 0.9 } as object as { params: Parameter[] }]), /unknown option 'momentum'/],
    ['empty parameter list', () => new Adam([]), /params must be a non-empty array/],
    ['a parameter twice', () => { const q = p(); return new Adam([{ params: [q] }, { params: [q] }]); }, /appears more than once/],
    ['a non-Tensor parameter', () => new Adam([{ params: [3] } as unknown as { params: Parameter[] }]), /params\[0\] must be a Tensor/],
    ['a non-leaf tensor', () => new Adam([p().mul(2)]), /not a leaf tensor/],
    ['lr setter NaN', () => { new Adam([p()]).lr = NaN; }, /Adam: lr .*got NaN/],
  ];
  for (const [name, fn, msg] of cases) {
    it(name, () => {
      expect(fn).toThrow(ArgumentError);
      expect(fn).toThrow(msg);
    });
  }

  it('errors carry the stable code INVALID_ARGUMENT', () => {
    try {
      new Adam([p()], { betas: [1.5, 0.9] });
    } catch (e) {
      expect((e as TensorkitError).code).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('loadStateDict validation (nothing changes on failure)', () => {
  function trained(): [Parameter, Adam, OptimizerStateDict] {
    const q = p();
    const opt = new Adam([q], { lr: 0.1 });
    q.grad = new Float32Array([1, -1]);
    opt.step();
    return [q, opt, JSON.parse(JSON.stringify(opt.stateDict())) as OptimizerStateDict];
  }

  it('state dict format: per-parameter arrays of numbers, hyperparameters per group, parameter indices', () => {
    const [, , sd] = trained();
    expect(sd).toEqual({
      optimizer: 'Adam',
      state: [{ step: 1, expAvg: [Math.fround(0.1), Math.fround(-0.1)], expAvgSq: [Math.fround(0.001), Math.fround(0.001)] }],
      paramGroups: [{ lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, params: [0] }],
    });
  });

  it('another optimizer class → FormatError', () => {
    const [, , sd] = trained();
    expect(() => new AdamW([p()]).loadStateDict(sd)).toThrow(FormatError);
    expect(() => new AdamW([p()]).loadStateDict(sd)).toThrow(/from "Adam", not AdamW/);
  });

  it('a buffer of the wrong size → ShapeError naming both sizes and the shape', () => {
    const [, , sd] = trained();
    const other = new Adam([new Parameter(tensor([1, 2, 3]))]);
    expect(() => other.loadStateDict(sd)).toThrow(ShapeError);
    expect(() => other.loadStateDict(sd)).toThrow(/state\[0\]\.expAvg has 2 values but the parameter has 3 \(shape \[3\]\)/);
  });

  it('group and parameter counts must match → ShapeError', () => {
    const [, , sd] = trained();
    expect(() => new Adam([{ params: [p()] }, { params: [p()] }]).loadStateDict(sd)).toThrow(/1 parameter groups but the optimizer has 2/);
    expect(() => new Adam([p(), p()]).loadStateDict(sd)).toThrow(/1 parameters but the optimizer's group has 2/);
  });

  it('malformed entries → FormatError; invalid hyperparameters → ArgumentError; the optimizer is unchanged', () => {
    const [, opt, sd] = trained();
    const before = JSON.stringify(opt.stateDict());
    const bad = (f: (s: OptimizerStateDict) => void) => {
      const s = JSON.parse(JSON.stringify(sd)) as OptimizerStateDict;
      f(s);
      return () => opt.loadStateDict(s);
    };
    expect(bad((s) => { delete s.state[0]!.expAvg; })).toThrow(/missing state entry 'expAvg'/);
    expect(bad((s) => { s.state[0]!.expAvg = [1, 'x']; })).toThrow(/expAvg\[1\] must be a number \(or 'NaN', 'Infinity', '-Infinity'\), got "x"/);
    expect(bad((s) => { s.state[0]!.momentum = 1; })).toThrow(/unknown state entry 'momentum'/);
    expect(bad((s) => { s.state[0]!.step = 'one'; })).toThrow(FormatError);
    expect(bad((s) => { s.paramGroups[0].betas = [2, 0.9]; })).toThrow(ArgumentError);
    expect(bad((s) => { s.paramGroups[0].lr = -1; })).toThrow(/lr .*got -1/);
    expect(() => opt.loadStateDict(null as unknown as OptimizerStateDict)).toThrow(FormatError);
    expect(JSON.stringify(opt.stateDict())).toBe(before);
  });

  it('loading restores the hyperparameters of every group', () => {
    const [, , sd] = trained();
    const opt = new Adam([p()], { lr: 0.5, amsgrad: true });
    opt.loadStateDict(sd);
    expect(opt.paramGroups[0]).toMatchObject({ lr: 0.1, amsgrad: false });
  });
});

describe('scheduler validation', () => {
  const opt = () => new SGD([p()], { lr: 0.1, momentum: 0.9 });
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['StepLR stepSize 0', () => new StepLR(opt(), { stepSize: 0 }), /stepSize must be an integer ≥ 1, got 0/],
    ['StepLR gamma NaN', () => new StepLR(opt(), { stepSize: 2, gamma: NaN }), /gamma .*got NaN/],
    ['MultiStepLR milestone 1.5', () => new MultiStepLR(opt(), { milestones: [1.5] }), /milestones\[0\] .*got 1.5/],
    ['ExponentialLR gamma −1', () => new ExponentialLR(opt(), { gamma: -1 }), /gamma .*got -1/],
    ['CosineAnnealingLR tMax 0', () => new CosineAnnealingLR(opt(), { tMax: 0 }), /tMax must be a finite number > 0, got 0/],
    ['LinearWarmup startFactor 0', () => new LinearWarmup(opt(), { warmupSteps: 3, startFactor: 0 }), /startFactor must be a finite number > 0 and ≤ 1, got 0/],
    ['OneCycleLR without a length', () => new OneCycleLR(opt(), { maxLr: 1 }), /totalSteps, or epochs and stepsPerEpoch/],
    ['OneCycleLR pctStart 1.2', () => new OneCycleLR(opt(), { maxLr: 1, totalSteps: 5, pctStart: 1.2 }), /pctStart .*got 1.2/],
    ['OneCycleLR maxLr per group count', () => new OneCycleLR(opt(), { maxLr: [1, 2], totalSteps: 5 }), /maxLr has 2 entries but the optimizer has 1/],
    ['OneCycleLR cycleMomentum on Adagrad', () => new OneCycleLR(new Adagrad([p()]), { maxLr: 1, totalSteps: 5 }), /cycleMomentum needs an optimizer with momentum or betas/],
    ['ReduceLROnPlateau factor 1', () => new ReduceLROnPlateau(opt(), { factor: 1 }), /factor must be a finite number ≥ 0 and < 1, got 1/],
    ['ReduceLROnPlateau mode avg', () => new ReduceLROnPlateau(opt(), { mode: 'avg' as 'min' }), /mode must be one of 'min', 'max', got "avg"/],
    ['ReduceLROnPlateau metric missing', () => new ReduceLROnPlateau(opt()).step(), /metric must be a number or a one-element Tensor, got undefined/],
    ['ReduceLROnPlateau metric string', () => new ReduceLROnPlateau(opt()).step('1' as unknown as number), /metric must be a number/],
    ['unknown scheduler option', () => new StepLR(opt(), { stepSize: 1, step_size: 2 } as object as { stepSize: number }), /unknown option 'step_size'/],
    ['not an optimizer', () => new StepLR({} as SGD, { stepSize: 1 }), /must be an Optimizer/],
  ];
  for (const [name, fn, msg] of cases) {
    it(name, () => {
      expect(fn).toThrow(ArgumentError);
      expect(fn).toThrow(msg);
    });
  }

  it('loadStateDict: another scheduler class → FormatError; wrong group count → ShapeError; failure changes nothing', () => {
    const s = new StepLR(opt(), { stepSize: 2 });
    const sd = JSON.parse(JSON.stringify(s.stateDict())) as SchedulerStateDict;
    expect(() => new ExponentialLR(opt(), { gamma: 0.5 }).loadStateDict(sd)).toThrow(FormatError);
    const two = new SGD([{ params: [p()] }, { params: [p()] }], { lr: 0.1 });
    expect(() => new StepLR(two, { stepSize: 2 }).loadStateDict(sd)).toThrow(ShapeError);
    const t = new StepLR(opt(), { stepSize: 5 });
    expect(() => t.loadStateDict({ ...sd, stepSize: 0 })).toThrow(ArgumentError);
    expect(t.stepSize).toBe(5);
    expect(() => t.loadStateDict({ ...sd, lastEpoch: -3 })).toThrow(FormatError);
  });

  it('ReduceLROnPlateau state keeps ±Infinity as strings through JSON', () => {
    const o = opt();
    const s = new ReduceLROnPlateau(o, { mode: 'max' });
    const sd = JSON.parse(JSON.stringify(s.stateDict())) as SchedulerStateDict;
    expect(sd.best).toBe('-Infinity');
    const s2 = new ReduceLROnPlateau(opt(), { mode: 'max' });
    s2.loadStateDict(sd);
    expect(s2.best).toBe(-Infinity);
  });
});

describe('loadStateDict replaces the group options', () => {
  it('an initialLr absent from the saved groups is removed, present ones restored', () => {
    const a = new SGD([p()], { lr: 0.1 });
    const sd = JSON.parse(JSON.stringify(a.stateDict())) as OptimizerStateDict;
    const b = new SGD([p()], { lr: 0.1 });
    new StepLR(b, { stepSize: 1, gamma: 0.5 });
    expect(b.paramGroups[0].initialLr).toBe(0.1);
    const group = b.paramGroups[0];
    b.loadStateDict(sd);
    expect(b.paramGroups[0]).toBe(group);
    expect('initialLr' in b.paramGroups[0]).toBe(false);
    new StepLR(a, { stepSize: 1 });
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())) as OptimizerStateDict);
    expect(b.paramGroups[0].initialLr).toBe(0.1);
  });
});
