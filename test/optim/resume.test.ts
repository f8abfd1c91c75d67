import { describe, expect, it } from 'vitest';
import { LBFGS, SGD, type Optimizer, type OptimizerStateDict } from '../../src/optim/index';
import { Parameter, tensor } from '../../src/tensor/index';
import { fixture, makeOptimizer, schedOptimizer, schedulers, TinyModel, type AnyScheduler, type Trajectory } from './fixture';

/** A JSON round trip, as a checkpoint file would do. */
function roundTrip<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

function weights(m: TinyModel): Float32Array[] {
  return [m.w.data.slice(), m.b.data.slice()];
}

/** Every group's options (lr, momentum, betas, initialLr, …) without the parameters. */
function hyperparameters(o: Optimizer<any, any>): unknown {
  return roundTrip(o.stateDict().paramGroups);
}

/** Runs `steps` steps of case `c` on `model` with `opt`. */
function run(model: TinyModel, opt: Optimizer<any, any>, steps: number): void {
  for (let k = 0; k < steps; k++) {
    model.backward();
    opt.step();
  }
}

describe('stop at 10 steps, stateDict → JSON → fresh optimizer → 10 more == 20 uninterrupted (bit-identical)', () => {
  for (const c of fixture.trajectories as Trajectory[]) {
    it(c.name, () => {
      const full = new TinyModel();
      run(full, makeOptimizer(c, full), 20);

      const first = new TinyModel();
      const opt1 = makeOptimizer(c, first);
      run(first, opt1, 10);
      const sd = roundTrip(opt1.stateDict());

      const resumed = new TinyModel();
      resumed.w.data.set(first.w.data);
      resumed.b.data.set(first.b.data);
      const opt2 = makeOptimizer(c, resumed);
      opt2.loadStateDict(sd);
      run(resumed, opt2, 10);

      expect(weights(resumed)).toEqual(weights(full));
      expect(roundTrip(opt2.stateDict())).toEqual(roundTrip(makeFullState(c)));
    });
  }

  function makeFullState(c: Trajectory): OptimizerStateDict {
    const m = new TinyModel();
    const o = makeOptimizer(c, m);
    run(m, o, 20);
    return o.stateDict();
  }

  it('LBFGS (strongWolfe, history wrapping): 3 + 3 step(closure) calls == 6', () => {
    const make = (): [Parameter, LBFGS, () => number] => {
      const x = new Parameter(tensor([-1.2, 1, -0.5, 0.8]));
      const opt = new LBFGS([x], { lineSearchFn: 'strongWolfe', maxIter: 3, historySize: 2 });
      const closure = () => {
        opt.zeroGrad();
        const a = x.data;
        const g = new Float32Array(4);
        let f = 0;
        for (let i = 0; i < 3; i++) {
          const u = 1 - a[i], v = a[i + 1] - a[i] * a[i];
          f += u * u + 100 * v * v;
          g[i] += -2 * u - 400 * a[i] * v;
          g[i + 1] += 200 * v;
        }
        x.grad = g;
        return f;
      };
      return [x, opt, closure];
    };
    const [xf, of, cf] = make();
    for (let k = 0; k < 6; k++) of.step(cf);
    const [x1, o1, c1] = make();
    for (let k = 0; k < 3; k++) o1.step(c1);
    const sd = roundTrip(o1.stateDict());
    expect(sd.state[0]).not.toBeNull();
    const [x2, o2, c2] = make();
    x2.data.set(x1.data);
    o2.loadStateDict(sd);
    for (let k = 0; k < 3; k++) o2.step(c2);
    expect(x2.data).toEqual(xf.data);
  });

  it('non-finite state values survive the JSON round trip', () => {
    const p = new Parameter(tensor([1, 2]));
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    p.grad = new Float32Array([Infinity, NaN]);
    opt.step();
    const sd = roundTrip(opt.stateDict());
    expect(sd.state[0]?.momentumBuffer).toEqual(['Infinity', 'NaN']);
    const q = new Parameter(tensor([1, 2]));
    const opt2 = new SGD([q], { lr: 0.1, momentum: 0.9 });
    opt2.loadStateDict(sd);
    expect(roundTrip(opt2.stateDict())).toEqual(sd);
  });
});

describe('schedulers resume: optimizer + scheduler state dicts after 10 steps, 10 more == 20 uninterrupted', () => {
  for (const c of fixture.schedulers) {
    it(c.name, () => {
      const metric = (k: number) => (c.metrics ? c.metrics[k % c.metrics.length] : 0);
      const stepBoth = (o: Optimizer<any, any>, s: AnyScheduler, k: number) => {
        o.step();
        if (c.metrics) s.step(metric(k));
        else s.step();
      };
      const n = Math.min(20, c.lrs.length - 1);
      const half = Math.floor(n / 2);
      const fullOpt = schedOptimizer(c);
      const fullS = new schedulers[c.scheduler](fullOpt, c.options);
      const fullLrs: number[][] = [];
      for (let k = 0; k < n; k++) {
        stepBoth(fullOpt, fullS, k);
        fullLrs.push(fullS.getLastLr());
      }

      const o1 = schedOptimizer(c);
      const s1 = new schedulers[c.scheduler](o1, c.options);
      const lrs: number[][] = [];
      for (let k = 0; k < half; k++) {
        stepBoth(o1, s1, k);
        lrs.push(s1.getLastLr());
      }
      const osd = roundTrip(o1.stateDict());
      const ssd = roundTrip(s1.stateDict());

      const o2 = schedOptimizer(c);
      const s2 = new schedulers[c.scheduler](o2, c.options);
      o2.loadStateDict(osd);
      s2.loadStateDict(ssd);
      for (let k = half; k < n; k++) {
        stepBoth(o2, s2, k);
        lrs.push(s2.getLastLr());
      }
      expect(lrs).toEqual(fullLrs);
      expect(hyperparameters(o2)).toEqual(hyperparameters(fullOpt));
    });
  }

  it('with training: SGD momentum + OneCycleLR on the tiny model, weights bit-identical', () => {
    const make = () => {
      const m = new TinyModel();
      const o = new SGD([m.w, m.b], { lr: 0.1, momentum: 0.9, nesterov: true });
      const s = new schedulers.OneCycleLR(o, { maxLr: 0.5, totalSteps: 20 });
      return { m, o, s };
    };
    const full = make();
    for (let k = 0; k < 20; k++) {
      full.m.backward();
      full.o.step();
      full.s.step();
    }
    const a = make();
    for (let k = 0; k < 10; k++) {
      a.m.backward();
      a.o.step();
      a.s.step();
    }
    const osd = roundTrip(a.o.stateDict()), ssd = roundTrip(a.s.stateDict());
    const b = make();
    b.m.w.data.set(a.m.w.data);
    b.m.b.data.set(a.m.b.data);
    b.o.loadStateDict(osd);
    b.s.loadStateDict(ssd);
    for (let k = 0; k < 10; k++) {
      b.m.backward();
      b.o.step();
      b.s.step();
    }
    expect(weights(b.m)).toEqual(weights(full.m));
  });
});
