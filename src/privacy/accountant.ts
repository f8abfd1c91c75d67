// Privacy accounting for DP-SGD: Rényi differential privacy of the subsampled Gaussian mechanism
// (Mironov, Talwar & Zhang 2019), as Opacus' `analysis/rdp.py` and `RDPAccountant`, and its
// conversion to (ε, δ).
import { ArgumentError } from '../tensor/errors';
import { arrayOf, checkArg, num, oneOf, parseOptions, posInt, positive, prob } from '../tensor/options';
import { lgamma, logErfc } from '../tensor/special';

/** Opacus' default RDP orders: 1.1, 1.2, …, 10.9, then 12, 13, …, 63. @category Privacy */
export const DEFAULT_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 52 }, (_, i) => 12 + i),
]);

function logAdd(a: number, b: number): number {
  const lo = Math.min(a, b), hi = Math.max(a, b);
  if (lo === -Infinity) return hi;
  return Math.log1p(Math.exp(lo - hi)) + hi;
}
function logSub(a: number, b: number): number {
  if (a < b) throw new ArgumentError('computeRdp: the series lost precision (log of a negative number); use integer orders');
  if (b === -Infinity) return a;
  if (a === b) return -Infinity;
  return Math.log(Math.expm1(a - b)) + b;
}
function logBinom(n: number, k: number): number {
  return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1);
}
/** sign of C(α, i) for real α ≥ 0 and integer i ≥ 0: (−1)^(number of negative factors α − j, j < i). */
function binomSign(alpha: number, i: number): number {
  let s = 1;
  for (let j = 0; j < i; j++) if (alpha - j < 0) s = -s;
  return s;
}
function logAbsBinom(alpha: number, i: number): number {
  // |C(α, i)| = |Γ(α + 1) / (Γ(i + 1) Γ(α − i + 1))|, through ln|Γ| on both sides of the poles.
  if (Number.isInteger(alpha) && i > alpha) return -Infinity;
  return lgammaAbs(alpha + 1) - lgamma(i + 1) - lgammaAbs(alpha - i + 1);
}
/** ln|Γ(x)| for every real x off the poles (reflection for x < 0.5). */
function lgammaAbs(x: number): number {
  if (x >= 0.5) return lgamma(x);
  return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgammaAbs(1 - x);
}

function logAInt(q: number, sigma: number, alpha: number): number {
  let logA = -Infinity;
  for (let i = 0; i <= alpha; i++) {
    const coef = logBinom(alpha, i) + i * Math.log(q) + (alpha - i) * Math.log1p(-q);
    logA = logAdd(logA, coef + (i * i - i) / (2 * sigma * sigma));
  }
  return logA;
}

function logAFrac(q: number, sigma: number, alpha: number): number {
  let a0 = -Infinity, a1 = -Infinity;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  for (let i = 0; i < 100_000; i++) {
    const sign = binomSign(alpha, i);
    const logCoef = logAbsBinom(alpha, i);
    const j = alpha - i;
    const t0 = logCoef + i * Math.log(q) + j * Math.log1p(-q);
    const t1 = logCoef + j * Math.log(q) + i * Math.log1p(-q);
    const e0 = Math.log(0.5) + logErfc((i - z0) / (Math.SQRT2 * sigma));
    const e1 = Math.log(0.5) + logErfc((z0 - j) / (Math.SQRT2 * sigma));
    const s0 = t0 + (i * i - i) / (2 * sigma * sigma) + e0;
    const s1 = t1 + (j * j - j) / (2 * sigma * sigma) + e1;
    if (sign > 0) {
      a0 = logAdd(a0, s0);
      a1 = logAdd(a1, s1);
    } else {
      a0 = logSub(a0, s0);
      a1 = logSub(a1, s1);
    }
    if (Math.max(s0, s1) < -30) break;
  }
  return logAdd(a0, a1);
}

/** RDP at one order of one step of the sampled Gaussian mechanism (q = sample rate, σ = noise multiplier). */
function rdpStep(q: number, sigma: number, alpha: number): number {
  if (q === 0) return 0;
  if (sigma === 0) return Infinity;
  if (q === 1) return alpha / (2 * sigma * sigma);
  if (!Number.isFinite(alpha)) return Infinity;
  const logA = Number.isInteger(alpha) ? logAInt(q, sigma, alpha) : logAFrac(q, sigma, alpha);
  return logA / (alpha - 1);
}

/**
 * Rényi DP of `steps` steps of the subsampled Gaussian mechanism at each order, as Opacus'
 * `compute_rdp(q, noise_multiplier, steps, orders)`: per order, the step's RDP times `steps`.
 * @example
 * computeRdp({ sampleRate: 1, noiseMultiplier: 1, steps: 1, orders: [2] }); // [1]
 * @category Privacy
 */
export function computeRdp(options: { sampleRate: number; noiseMultiplier: number; steps: number; orders?: readonly number[] }): number[] {
  const op = 'computeRdp';
  const o = parseOptions(op, options, { sampleRate: prob, noiseMultiplier: num({ min: 0 }), steps: num({ min: 0, integer: true }), orders: arrayOf(num({ min: 1, openMin: true }), { min: 1 }) });
  if (o.sampleRate === undefined || o.noiseMultiplier === undefined || o.steps === undefined) throw new ArgumentError(`${op}: sampleRate, noiseMultiplier and steps are required`);
  const orders = o.orders ?? DEFAULT_ORDERS;
  return orders.map((a) => rdpStep(o.sampleRate!, o.noiseMultiplier!, a) * o.steps!);
}

/** An (ε, δ) guarantee and the RDP order that gave the smallest ε. @category Privacy */
export interface PrivacySpent {
  /** ε at the δ asked for. */
  epsilon: number;
  /** The RDP order α the minimum was reached at (NaN before the first step). */
  order: number;
}

/** How RDP becomes (ε, δ). @category Privacy */
export type RdpConversion = 'balle2020' | 'classic';

/**
 * (ε, δ) from RDP values at their orders: the smallest ε over the orders. `'balle2020'` (default,
 * Opacus' `get_privacy_spent`): ε = rdp − (ln δ + ln α)/(α − 1) + ln((α − 1)/α) (Balle et al.
 * 2020, Theorem 21); `'classic'`: ε = rdp − ln δ/(α − 1) (Mironov 2017, Proposition 3; what
 * TensorFlow Privacy's tutorials report).
 * @example
 * privacySpent({ rdp: [1], orders: [2], delta: Math.exp(-1), conversion: 'classic' }).epsilon; // 2
 * @category Privacy
 */
export function privacySpent(options: { rdp: readonly number[]; orders: readonly number[]; delta: number; conversion?: RdpConversion }): PrivacySpent {
  const op = 'privacySpent';
  const o = parseOptions(op, options, { rdp: arrayOf(num({ nonFinite: true })), orders: arrayOf(num({ min: 1, openMin: true })), delta: DELTA, conversion: oneOf(['balle2020', 'classic'] as const) });
  if (o.rdp === undefined || o.orders === undefined || o.delta === undefined) throw new ArgumentError(`${op}: rdp, orders and delta are required`);
  if (o.rdp.length !== o.orders.length) throw new ArgumentError(`${op}: rdp has ${o.rdp.length} values for ${o.orders.length} orders`);
  const ld = Math.log(o.delta);
  let best = Infinity, order = NaN;
  for (let i = 0; i < o.orders.length; i++) {
    const a = o.orders[i], r = o.rdp[i];
    const eps = o.conversion === 'classic' ? r - ld / (a - 1) : r - (ld + Math.log(a)) / (a - 1) + Math.log((a - 1) / a);
    if (eps < best) {
      best = eps;
      order = a;
    }
  }
  return { epsilon: Math.max(best, 0), order };
}

/** One stretch of training with the same mechanism. @category Privacy */
export interface AccountantStep {
  /** σ: noise standard deviation in units of the clipping norm. */
  noiseMultiplier: number;
  /** q: probability that a sample is in a batch (Poisson sampling). */
  sampleRate: number;
  /** Steps taken with these. */
  steps: number;
}

/** δ of an (ε, δ) guarantee: strictly between 0 and 1. */
const DELTA = num({ min: 0, max: 1, openMin: true, openMax: true });

const STEP = { noiseMultiplier: num({ min: 0 }), sampleRate: prob, steps: posInt };

/**
 * The RDP accountant of DP-SGD, as Opacus' `RDPAccountant`: `step(...)` records each optimizer
 * step's noise multiplier and sample rate (consecutive equal steps are merged), and
 * `getEpsilon(delta)` composes them over the orders and converts to ε.
 * @example
 * const acc = new RDPAccountant();
 * acc.step({ noiseMultiplier: 1.1, sampleRate: 256 / 60000 });
 * acc.history.length; // 1
 * @category Privacy
 */
export class RDPAccountant {
  /** The recorded stretches, oldest first. */
  readonly history: AccountantStep[] = [];

  /** Records `steps` (default 1) steps of the mechanism. */
  step(options: { noiseMultiplier: number; sampleRate: number; steps?: number }): void {
    const o = parseOptions('RDPAccountant.step', options, STEP);
    if (o.noiseMultiplier === undefined || o.sampleRate === undefined) throw new ArgumentError('RDPAccountant.step: noiseMultiplier and sampleRate are required');
    const last = this.history.at(-1);
    const steps = o.steps ?? 1;
    if (last !== undefined && last.noiseMultiplier === o.noiseMultiplier && last.sampleRate === o.sampleRate) last.steps += steps;
    else this.history.push({ noiseMultiplier: o.noiseMultiplier, sampleRate: o.sampleRate, steps });
  }

  /** ε at `delta` of everything recorded (0 before the first step), and the order that gave it. */
  getPrivacySpent(delta: number, options: { orders?: readonly number[]; conversion?: RdpConversion } = {}): PrivacySpent {
    const o = parseOptions('RDPAccountant.getEpsilon', options, { orders: arrayOf(num({ min: 1, openMin: true }), { min: 1 }), conversion: oneOf(['balle2020', 'classic'] as const) });
    checkArg('RDPAccountant.getEpsilon', 'delta', delta, DELTA);
    const orders = o.orders ?? DEFAULT_ORDERS;
    if (this.history.length === 0) return { epsilon: 0, order: NaN };
    const rdp = new Array<number>(orders.length).fill(0);
    for (const h of this.history) computeRdp({ ...h, orders }).forEach((r, i) => { rdp[i] += r; });
    return privacySpent({ rdp, orders, delta, ...(o.conversion === undefined ? {} : { conversion: o.conversion }) });
  }

  /** ε at `delta` of everything recorded (see {@link privacySpent} for the conversions). */
  getEpsilon(delta: number, options: { orders?: readonly number[]; conversion?: RdpConversion } = {}): number {
    return this.getPrivacySpent(delta, options).epsilon;
  }
}

/**
 * The smallest noise multiplier (to `epsilonTolerance`) whose DP-SGD run of `steps` steps at
 * `sampleRate` stays within `targetEpsilon` at `delta`, as Opacus' `get_noise_multiplier`
 * (doubling, then bisection).
 * @example
 * // getNoiseMultiplier({ targetEpsilon: 3, delta: 1e-5, sampleRate: 256 / 60000, steps: 14063 }); // ≈ 1.1
 * @throws ArgumentError when no σ ≤ 10⁶ reaches the target (the budget is too small).
 * @category Privacy
 */
export function getNoiseMultiplier(options: { targetEpsilon: number; delta: number; sampleRate: number; steps: number; epsilonTolerance?: number; orders?: readonly number[]; conversion?: RdpConversion }): number {
  const op = 'getNoiseMultiplier';
  const o = parseOptions(op, options, {
    targetEpsilon: positive, delta: DELTA, sampleRate: prob, steps: posInt,
    epsilonTolerance: positive, orders: arrayOf(num({ min: 1, openMin: true }), { min: 1 }), conversion: oneOf(['balle2020', 'classic'] as const),
  });
  if (o.targetEpsilon === undefined || o.delta === undefined || o.sampleRate === undefined || o.steps === undefined) {
    throw new ArgumentError(`${op}: targetEpsilon, delta, sampleRate and steps are required`);
  }
  const tol = o.epsilonTolerance ?? 0.01;
  const eps = (sigma: number) => {
    const acc = new RDPAccountant();
    acc.step({ noiseMultiplier: sigma, sampleRate: o.sampleRate!, steps: o.steps! });
    return acc.getEpsilon(o.delta!, { ...(o.orders ? { orders: o.orders } : {}), ...(o.conversion ? { conversion: o.conversion } : {}) });
  };
  let lo = 0, hi = 10, epsHi = Infinity;
  while (epsHi > o.targetEpsilon) {
    hi *= 2;
    if (hi > 1e6) throw new ArgumentError(`${op}: no noise multiplier up to 10⁶ reaches ε = ${o.targetEpsilon} at δ = ${o.delta} (the privacy budget is too small for ${o.steps} steps at sample rate ${o.sampleRate})`);
    epsHi = eps(hi);
  }
  while (o.targetEpsilon - epsHi > tol) {
    const mid = (lo + hi) / 2;
    const e = eps(mid);
    if (e < o.targetEpsilon) {
      hi = mid;
      epsHi = e;
    } else lo = mid;
  }
  return hi;
}

