import { ArgumentError, FormatError, ShapeError } from '../tensor/errors';
import { decodeNumber, encodeNumber, encodeNumbers } from '../tensor/json';
import { nonNeg, nullable, oneOf, posInt } from '../tensor/options';
import { describe } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { decodeBuffer, Optimizer, type Closure, type JsonValue, type ParamGroup, type ParamState } from './optimizer';

const LBFGS_SPEC = {
  maxIter: posInt, maxEval: posInt, toleranceGrad: nonNeg, toleranceChange: nonNeg, historySize: posInt,
  lineSearchFn: nullable(oneOf(['strongWolfe'])),
};

/** Hyperparameters of {@link LBFGS}. */
export interface LBFGSOptions {
  /** Step length scale η (default 1). */
  lr: number;
  /** Most iterations per `step(closure)` (default 20). */
  maxIter: number;
  /** Most closure evaluations per `step(closure)` (default ⌊1.25 · maxIter⌋). */
  maxEval: number;
  /** Stop when max |gradient| ≤ this (default 1e-7). */
  toleranceGrad: number;
  /** Stop when the loss or the step changes by less than this (default 1e-9). */
  toleranceChange: number;
  /** Number of (s, y) pairs kept (default 100). */
  historySize: number;
  /** `'strongWolfe'` for a line search satisfying the strong Wolfe conditions, or null for a fixed step η (default null). */
  lineSearchFn: null | 'strongWolfe';
}

/** The global state of {@link LBFGS} (kept once, not per parameter). @internal */
interface LBFGSState {
  funcEvals: number;
  nIter: number;
  d: Float32Array | null;
  t: number | null;
  oldDirs: Float32Array[];
  oldStps: Float32Array[];
  ro: number[];
  hDiag: number;
  prevFlatGrad: Float32Array | null;
  prevLoss: number | null;
}

const f32 = Math.fround;

function dot(a: Float32Array, b: Float32Array): number {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc += a[i] * b[i];
  // PyTorch keeps these reductions as float32 scalars.
  return f32(acc);
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (!(v <= m)) m = v;
  }
  return m;
}

/** Minimizer of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to the bounds (minFunc's polyinterp). */
function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, lo?: number, hi?: number): number {
  if (lo === undefined || hi === undefined) {
    lo = x1 <= x2 ? x1 : x2;
    hi = x1 <= x2 ? x2 : x1;
  }
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return pyMin(pyMax(f32(minPos), lo), hi);
  }
  return (lo + hi) / 2;
}

// Python's min/max: return the first argument unless the second compares strictly better (NaN stays).
function pyMax(a: number, b: number): number {
  return b > a ? b : a;
}
function pyMin(a: number, b: number): number {
  return b < a ? b : a;
}

type ObjFunc = (t: number) => { f: number; g: Float32Array };

/** Line search for a step t satisfying the strong Wolfe conditions (Nocedal & Wright, Alg. 3.5–3.6), as torch's `_strong_wolfe`. */
function strongWolfe(obj: ObjFunc, t: number, d: Float32Array, f: number, g: Float32Array, gtd: number, toleranceChange: number): { f: number; g: Float32Array; t: number; evals: number } {
  const c1 = 1e-4, c2 = 0.9, maxLs = 25;
  const dNorm = maxAbs(d);
  let r = obj(t);
  let fNew = r.f, gNew = r.g;
  let evals = 1;
  let gtdNew = dot(gNew, d);
  let tPrev = 0, fPrev = f, gPrev = g, gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [], bracketF: number[] = [], bracketG: Float32Array[] = [], bracketGtd: number[] = [];
  while (lsIter < maxLs) {
    if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
      bracket = [tPrev, t]; bracketF = [fPrev, fNew]; bracketG = [gPrev, gNew]; bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    if (Math.abs(gtdNew) <= -c2 * gtd) {
      bracket = [t]; bracketF = [fNew]; bracketG = [gNew];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      bracket = [tPrev, t]; bracketF = [fPrev, fNew]; bracketG = [gPrev, gNew]; bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, minStep, maxStep);
    tPrev = tmp; fPrev = fNew; gPrev = gNew; gtdPrev = gtdNew;
    r = obj(t);
    fNew = r.f; gNew = r.g;
    evals++;
    gtdNew = dot(gNew, d);
    lsIter++;
  }
  if (lsIter === maxLs) {
    bracket = [0, t]; bracketF = [f, fNew]; bracketG = [g, gNew];
  }
  let insufProgress = false;
  let lowPos = bracketF[0] <= bracketF[bracketF.length - 1] ? 0 : 1;
  let highPos = 1 - lowPos;
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;
    t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1]);
    const bMax = pyMax(bracket[0], bracket[1]), bMin = pyMin(bracket[0], bracket[1]);
    const eps = 0.1 * (bMax - bMin);
    if (pyMin(bMax - t, t - bMin) < eps) {
      if (insufProgress || t >= bMax || t <= bMin) {
        t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
        insufProgress = false;
      } else insufProgress = true;
    } else insufProgress = false;
    r = obj(t);
    fNew = r.f; gNew = r.g;
    evals++;
    gtdNew = dot(gNew, d);
    lsIter++;
    if (fNew > f + c1 * t * gtd || fNew >= bracketF[lowPos]) {
      bracket[highPos] = t; bracketF[highPos] = fNew; bracketG[highPos] = gNew; bracketGtd[highPos] = gtdNew;
      lowPos = bracketF[0] <= bracketF[1] ? 0 : 1;
      highPos = 1 - lowPos;
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) done = true;
      else if (gtdNew * (bracket[highPos] - bracket[lowPos]) >= 0) {
        bracket[highPos] = bracket[lowPos]; bracketF[highPos] = bracketF[lowPos];
        bracketG[highPos] = bracketG[lowPos]; bracketGtd[highPos] = bracketGtd[lowPos];
      }
      bracket[lowPos] = t; bracketF[lowPos] = fNew; bracketG[lowPos] = gNew; bracketGtd[lowPos] = gtdNew;
    }
  }
  return { f: bracketF[lowPos], g: bracketG[lowPos], t: bracket[lowPos], evals };
}

/**
 * Limited-memory BFGS: d = −H·g with H the two-loop recursion over the last `historySize` pairs
 * (s = θₖ₊₁ − θₖ, y = gₖ₊₁ − gₖ), H₀ = (sᵀy / yᵀy)·I; θ ← θ + t·d with t = η (or a strong-Wolfe
 * line search), exactly as `torch.optim.LBFGS` (a port of minFunc).
 *
 * `step(closure)` runs up to `maxIter` iterations, calling `closure` (which must zero the
 * gradients, compute the loss, call `backward()` and return the loss) as often as needed, and
 * returns the loss at the starting point. One parameter group only; all parameters are treated as
 * one flat vector. The first iteration uses t = min(1, 1/‖g‖₁)·η. A pair is stored only when
 * yᵀs > 1e-10.
 * Shapes: parameters of every shape; history vectors have the total parameter count.
 * @example
 * const p = new Parameter(tensor([3]));
 * const opt = new LBFGS([p], { lineSearchFn: 'strongWolfe' });
 * opt.step(() => { opt.zeroGrad(); const l = square(sub(p, 1)).sum(); l.backward(); return l; }); // 4
 * Math.abs(p.data[0] - 1) < 1e-4; // true
 * @throws ArgumentError on an invalid option, more than one parameter group, or a missing closure.
 * @see Nocedal & Wright 2006, "Numerical Optimization", 2nd ed., Alg. 7.4 (L-BFGS) and 3.5 (line search)
 * @category Optimizers
 */
export class LBFGS extends Optimizer<LBFGSOptions> {
  private lstate: LBFGSState | null = null;

  constructor(params: readonly Tensor[] | readonly ParamGroup<LBFGSOptions>[], options: Partial<LBFGSOptions> = {}) {
    const isObj = typeof options === 'object' && options !== null && !Array.isArray(options);
    const maxIter = (isObj ? options.maxIter : undefined) ?? 20;
    // maxEval's default follows maxIter (torch's max_eval=None); a bad maxIter is reported by the spec.
    const opts = isObj ? { ...options } : options;
    if (isObj && (opts.maxEval === undefined || opts.maxEval === null)) delete opts.maxEval;
    super('LBFGS', params, {
      lr: 1, maxIter, maxEval: typeof maxIter === 'number' ? Math.floor((maxIter * 5) / 4) : maxIter,
      toleranceGrad: 1e-7, toleranceChange: 1e-9, historySize: 100, lineSearchFn: null,
    }, opts, LBFGS_SPEC);
    if (this.paramGroups.length !== 1) throw new ArgumentError(`LBFGS: takes one parameter group, got ${this.paramGroups.length}`);
  }

  /** Unused: LBFGS keeps one state for all parameters (see {@link step}). */
  protected initState(): ParamState {
    return {};
  }

  /** Unused: LBFGS moves all parameters as one flat vector in {@link step}. */
  protected update(): void {}

  private numel(): number {
    let n = 0;
    for (const p of this.paramGroups[0].params) n += p.size;
    return n;
  }

  private gatherFlatGrad(n: number): Float32Array {
    const out = new Float32Array(n);
    let off = 0;
    for (const p of this.paramGroups[0].params) {
      if (p.grad !== null) out.set(p.grad, off);
      off += p.size;
    }
    return out;
  }

  /** θ ← θ + t·d over the flat view of the parameters. */
  private addGrad(t: number, d: Float32Array): void {
    const tf = f32(t);
    let off = 0;
    for (const p of this.paramGroups[0].params) {
      const w = p.data;
      for (let i = 0; i < w.length; i++) w[i] = w[i] + tf * d[off + i];
      off += w.length;
    }
  }

  /**
   * Runs up to `maxIter` L-BFGS iterations and returns the loss at the starting point.
   * @throws ArgumentError without a closure.
   */
  override step(closure?: Closure): number {
    if (typeof closure !== 'function') throw new ArgumentError(`LBFGS.step: needs a closure that recomputes the loss and gradients, got ${describe(closure)}`);
    const group = this.paramGroups[0];
    const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, lineSearchFn, historySize } = group;
    const params = group.params;
    const n = this.numel();
    const st: LBFGSState = this.lstate ?? {
      funcEvals: 0, nIter: 0, d: null, t: null, oldDirs: [], oldStps: [], ro: [], hDiag: 1, prevFlatGrad: null, prevLoss: null,
    };
    this.lstate = st;

    const origLoss = this.evalClosure(closure) as number;
    let loss = origLoss;
    let currentEvals = 1;
    st.funcEvals += 1;
    let flatGrad = this.gatherFlatGrad(n);
    let optCond = maxAbs(flatGrad) <= toleranceGrad;
    if (optCond) return origLoss;

    let d = st.d, t = st.t;
    let oldDirs = st.oldDirs, oldStps = st.oldStps, ro = st.ro;
    let hDiag = st.hDiag;
    let prevFlatGrad = st.prevFlatGrad;
    let prevLoss = st.prevLoss;
    const al = new Array<number>(historySize).fill(0);

    let nIter = 0;
    while (nIter < maxIter) {
      nIter++;
      st.nIter++;
      if (st.nIter === 1) {
        d = new Float32Array(n);
        for (let i = 0; i < n; i++) d[i] = -flatGrad[i];
        oldDirs = [];
        oldStps = [];
        ro = [];
        hDiag = 1;
      } else {
        const y = new Float32Array(n), s = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          y[i] = flatGrad[i] - prevFlatGrad![i];
          s[i] = d![i] * t!;
        }
        const ys = dot(y, s);
        if (ys > 1e-10) {
          if (oldDirs.length === historySize) {
            oldDirs.shift();
            oldStps.shift();
            ro.shift();
          }
          oldDirs.push(y);
          oldStps.push(s);
          ro.push(f32(1 / ys));
          hDiag = f32(ys / dot(y, y));
        }
        const numOld = oldDirs.length;
        const q = new Float32Array(n);
        for (let i = 0; i < n; i++) q[i] = -flatGrad[i];
        for (let k = numOld - 1; k >= 0; k--) {
          const a = f32(dot(oldStps[k], q) * ro[k]);
          al[k] = a;
          const yk = oldDirs[k];
          for (let i = 0; i < n; i++) q[i] = q[i] - a * yk[i];
        }
        for (let i = 0; i < n; i++) q[i] = q[i] * hDiag;
        for (let k = 0; k < numOld; k++) {
          const be = f32(dot(oldDirs[k], q) * ro[k]);
          const c = f32(al[k] - be);
          const sk = oldStps[k];
          for (let i = 0; i < n; i++) q[i] = q[i] + c * sk[i];
        }
        d = q;
      }
      if (prevFlatGrad === null) prevFlatGrad = flatGrad.slice();
      else prevFlatGrad.set(flatGrad);
      prevLoss = loss;

      if (st.nIter === 1) {
        let sumAbs = 0;
        for (let i = 0; i < n; i++) sumAbs += Math.abs(flatGrad[i]);
        const inv = f32(1 / f32(sumAbs));
        t = inv < 1 ? f32(inv * lr) : lr;
      } else t = lr;

      const gtd = dot(flatGrad, d!);
      if (gtd > -toleranceChange) break;

      let lsEvals = 0;
      if (lineSearchFn === 'strongWolfe') {
        const x0 = params.map((p) => p.data.slice());
        const dir = d!;
        const obj: ObjFunc = (step) => {
          this.addGrad(step, dir);
          const f = this.evalClosure(closure) as number;
          const g = this.gatherFlatGrad(n);
          for (let k = 0; k < params.length; k++) params[k].data.set(x0[k]);
          return { f, g };
        };
        const res = strongWolfe(obj, t, dir, loss, flatGrad, gtd, toleranceChange);
        loss = res.f;
        flatGrad = res.g;
        t = res.t;
        lsEvals = res.evals;
        this.addGrad(t, dir);
        optCond = maxAbs(flatGrad) <= toleranceGrad;
      } else {
        this.addGrad(t, d!);
        if (nIter !== maxIter) {
          loss = this.evalClosure(closure) as number;
          flatGrad = this.gatherFlatGrad(n);
          optCond = maxAbs(flatGrad) <= toleranceGrad;
          lsEvals = 1;
        }
      }
      currentEvals += lsEvals;
      st.funcEvals += lsEvals;

      if (nIter === maxIter) break;
      if (currentEvals >= maxEval) break;
      if (optCond) break;
      let change = 0;
      const tf = f32(t);
      for (let i = 0; i < n; i++) {
        const v = Math.abs(f32(d![i] * tf));
        if (!(v <= change)) change = v;
      }
      if (change <= toleranceChange) break;
      if (Math.abs(loss - prevLoss) < toleranceChange) break;
    }
    st.d = d; st.t = t; st.oldDirs = oldDirs; st.oldStps = oldStps; st.ro = ro;
    st.hDiag = hDiag; st.prevFlatGrad = prevFlatGrad; st.prevLoss = prevLoss;
    return origLoss;
  }

  /** The global state sits in `state[0]` (as PyTorch registers it on the first parameter). */
  protected override encodeState(): Array<{ [key: string]: JsonValue } | null> {
    const out: Array<{ [key: string]: JsonValue } | null> = this.allParams().map(() => null);
    const st = this.lstate;
    if (st === null) return out;
    const num = (v: number | null): JsonValue => (v === null ? null : encodeNumber(v));
    const buf = (v: Float32Array): JsonValue => encodeNumbers(v);
    out[0] = {
      funcEvals: st.funcEvals, nIter: st.nIter,
      d: st.d === null ? null : buf(st.d), t: num(st.t),
      oldDirs: st.oldDirs.map(buf), oldStps: st.oldStps.map(buf), ro: encodeNumbers(st.ro),
      hDiag: encodeNumber(st.hDiag),
      prevFlatGrad: st.prevFlatGrad === null ? null : buf(st.prevFlatGrad), prevLoss: num(st.prevLoss),
    };
    return out;
  }

  protected override decodeState(saved: unknown[], params: Tensor[]): () => void {
    const where = 'LBFGS.loadStateDict: state';
    for (let i = 1; i < saved.length; i++) if (saved[i] !== null) throw new FormatError(`${where}[${i}] must be null (LBFGS keeps its state in state[0])`);
    const e = saved[0];
    if (e === null || e === undefined) {
      return () => {
        this.lstate = null;
      };
    }
    if (typeof e !== 'object' || Array.isArray(e)) throw new FormatError(`${where}[0] must be an object or null, got ${describe(e)}`);
    const r = e as Record<string, unknown>;
    let n = 0;
    for (const p of params) n += p.size;
    const num = (k: string, nullable: boolean): number | null => {
      if (nullable && r[k] === null) return null;
      const v = decodeNumber(r[k]);
      if (v === undefined) throw new FormatError(`${where}[0].${k} must be a number${nullable ? ' or null' : ''}, got ${describe(r[k])}`);
      return v;
    };
    const buf = (k: string, nullable: boolean): Float32Array | null => {
      if (nullable && r[k] === null) return null;
      return decodeBuffer(r[k], n, `${where}[0].${k} (flattened parameters)`);
    };
    const list = (k: string): unknown[] => {
      if (!Array.isArray(r[k])) throw new FormatError(`${where}[0].${k} must be an array, got ${describe(r[k])}`);
      return r[k] as unknown[];
    };
    const oldDirs = list('oldDirs').map((v, i) => decodeBuffer(v, n, `${where}[0].oldDirs[${i}]`));
    const oldStps = list('oldStps').map((v, i) => decodeBuffer(v, n, `${where}[0].oldStps[${i}]`));
    const ro = list('ro').map((v, i) => {
      const x = decodeNumber(v);
      if (x === undefined) throw new FormatError(`${where}[0].ro[${i}] must be a number, got ${describe(v)}`);
      return x;
    });
    if (oldStps.length !== oldDirs.length || ro.length !== oldDirs.length) {
      throw new ShapeError(`${where}[0]: oldDirs, oldStps and ro must have one entry per stored pair, got ${oldDirs.length}, ${oldStps.length} and ${ro.length}`);
    }
    const st: LBFGSState = {
      funcEvals: num('funcEvals', false)!, nIter: num('nIter', false)!, d: buf('d', true), t: num('t', true),
      oldDirs, oldStps, ro, hDiag: num('hDiag', false)!, prevFlatGrad: buf('prevFlatGrad', true), prevLoss: num('prevLoss', true),
    };
    return () => {
      this.lstate = st;
    };
  }
}
