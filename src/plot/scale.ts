import { ArgumentError } from '../tensor/errors';
import { bool, int, parseOptions } from '../tensor/options';
import { describe } from '../tensor/shape';

// Axis ticks and scales. Ticks follow Heckbert's "nice numbers" (Graphics Gems I, 1990): the tick
// step is 1, 2 or 5 times a power of ten, and the axis runs from the tick below the data to the
// tick above it. Log axes tick at powers of ten.

/**
 * Heckbert's nice number near `x` > 0: 1, 2, 5 or 10 times a power of ten; `round` picks the
 * nearest (thresholds 1.5, 3, 7), otherwise the smallest nice number ≥ x.
 * @example
 * niceNumber(97, false); // 100
 * niceNumber(0.25, true); // 0.2
 * @throws ArgumentError if x is not a finite number > 0.
 * @category Plots
 */
export function niceNumber(x: number, round: boolean): number {
  if (!(typeof x === 'number' && Number.isFinite(x) && x > 0)) throw new ArgumentError(`niceNumber: x must be a finite number > 0, got ${describe(x)}`);
  const e = Math.floor(Math.log10(x));
  const f = x / 10 ** e;
  let nf: number;
  if (round) nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  else nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nf * pow10(e);
}

/**
 * Nice tick values covering [lo, hi] (Heckbert's loose labelling): about `count` ticks, a step of
 * 1, 2 or 5 × 10ᵏ, the first tick ≤ lo and the last ≥ hi. Each value is rounded to 15 significant
 * digits, so 3 × 0.1 is 0.3. An empty range (lo = hi, or narrower than 1e-12 of
 * its magnitude or than 1e-290) becomes its centre ± 10% (± 1 when the centre is 0 or below 1e-290 in size).
 * @example
 * niceTicks(0, 1); // [0, 0.2, 0.4, 0.6, 0.8, 1]
 * niceTicks(0, 97); // [0, 20, 40, 60, 80, 100]
 * @throws ArgumentError if lo or hi is not finite, lo > hi, or count is not an integer ≥ 2.
 * @category Plots
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const op = 'niceTicks';
  if (!Number.isFinite(lo)) throw new ArgumentError(`${op}: lo must be a finite number, got ${describe(lo)}`);
  if (!Number.isFinite(hi)) throw new ArgumentError(`${op}: hi must be a finite number, got ${describe(hi)}`);
  if (lo > hi) throw new ArgumentError(`${op}: lo must be ≤ hi, got lo ${lo} and hi ${hi}`);
  if (!Number.isSafeInteger(count) || count < 2) throw new ArgumentError(`${op}: count must be an integer ≥ 2, got ${describe(count)}`);
  if (hi - lo <= Math.max(Math.abs(lo), Math.abs(hi)) * 1e-12 || hi - lo < 1e-290) {
    // Empty, or narrower than doubles resolve at this magnitude: centre ± 10% (± 1 near 0).
    const c = lo / 2 + hi / 2;
    const d = Math.abs(c) >= 1e-290 ? Math.abs(c) * 0.1 : 1;
    lo = c - d;
    hi = c + d;
  }
  const range = niceNumber(hi - lo, false);
  const step = niceNumber(range / (count - 1), true);
  let first = Math.floor(lo / step), last = Math.ceil(hi / step);
  // lo / step can underflow to 0 (lo = −5e-324) or round across an integer: fix the ends up.
  while (first * step > lo) first--;
  while (last * step < hi) last++;
  const out: number[] = [];
  for (let k = first; k <= last; k++) out.push(clean(Number((k * step).toPrecision(15))));
  return out;
}

/**
 * Tick values of a log axis over [lo, hi] (both > 0): the powers of ten from 10^⌊log₁₀ lo⌋ to
 * 10^⌈log₁₀ hi⌉. When that gives fewer than 4 ticks (at most two decades), 2× and 5× of each
 * decade are added.
 * @example
 * logTicks(1e-3, 1e3); // [0.001, 0.01, 0.1, 1, 10, 100, 1000]
 * logTicks(2, 30); // [1, 2, 5, 10, 20, 50, 100]
 * @throws ArgumentError if lo or hi is not a finite number > 0, or lo > hi.
 * @category Plots
 */
export function logTicks(lo: number, hi: number): number[] {
  const op = 'logTicks';
  if (!(Number.isFinite(lo) && lo > 0)) throw new ArgumentError(`${op}: lo must be a finite number > 0, got ${describe(lo)}`);
  if (!(Number.isFinite(hi) && hi > 0)) throw new ArgumentError(`${op}: hi must be a finite number > 0, got ${describe(hi)}`);
  if (lo > hi) throw new ArgumentError(`${op}: lo must be ≤ hi, got lo ${lo} and hi ${hi}`);
  let a = Math.floor(Math.log10(lo)), b = Math.ceil(Math.log10(hi));
  // log10 rounds (log10(9.99999999999996e29) is 30): make sure 10^a ≤ lo and 10^b ≥ hi.
  while (a > -323 && pow10(a) > lo) a--;
  while (pow10(b) < hi) b++;
  if (a === b) b++;
  const out: number[] = [];
  if (b - a >= 3) {
    for (let k = a; k <= b; k++) out.push(pow10(k));
    return out;
  }
  for (let k = a; k < b; k++) for (const m of [1, 2, 5]) out.push(Number(`${m}e${k}`));
  out.push(pow10(b));
  return out;
}

/** A map from data values to pixels, with its ticks. @category Plots */
export interface Scale {
  /** `'linear'` or `'log'`. */
  readonly type: 'linear' | 'log';
  /** The data interval shown, [lo, hi] (the outer ticks unless a domain was given). */
  readonly domain: readonly [number, number];
  /** The pixel interval it maps to, [start, end] (end may be smaller, as for a y axis). */
  readonly range: readonly [number, number];
  /** Tick values inside the domain. */
  readonly ticks: readonly number[];
  /** Pixel position of a data value (NaN for a value the scale cannot show: non-finite, or ≤ 0 on a log scale). */
  map(v: number): number;
  /** True when v is finite, inside the domain, and (log) > 0. */
  contains(v: number): boolean;
}

/**
 * A linear scale from `domain` to `range`. With `nice` (default true) the domain grows to the
 * outer nice ticks of {@link niceTicks}.
 * @example
 * linearScale([0, 97], [0, 500]).domain; // [0, 100]
 * linearScale([0, 10], [0, 100]).map(2.5); // 25
 * @throws ArgumentError if an end of the domain or range is not finite, or the domain is reversed.
 * @category Plots
 */
export function linearScale(domain: readonly [number, number], range: readonly [number, number], options: { nice?: boolean; count?: number } = {}): Scale {
  const op = 'linearScale';
  const { nice = true, count = 5 } = parseOptions(op, options, { nice: bool, count: int({ min: 2, max: 50 }) });
  checkPair(op, 'range', range, false);
  checkPair(op, 'domain', domain, false);
  let [lo, hi] = domain;
  const all = niceTicks(lo, hi, count);
  if (nice || lo === hi) {
    // min/max: a tick rounded to 15 digits may sit an ulp inside the data.
    lo = Math.min(lo, all[0]);
    hi = Math.max(hi, all[all.length - 1]);
  }
  const ticks = all.filter((t) => t >= lo - 1e-12 * Math.abs(hi - lo) && t <= hi + 1e-12 * Math.abs(hi - lo));
  const [r0, r1] = range;
  const k = (r1 - r0) / (hi - lo);
  return {
    type: 'linear',
    domain: [lo, hi],
    range: [r0, r1],
    ticks,
    map: (v) => (Number.isFinite(v) ? r0 + (v - lo) * k : NaN),
    contains: (v) => Number.isFinite(v) && v >= lo && v <= hi,
  };
}

/**
 * A base-10 log scale from `domain` (both ends > 0) to `range`. With `nice` (default true) the
 * domain grows to whole decades.
 * @example
 * logScale([1e-3, 1e3], [0, 600]).map(1); // 300
 * @throws ArgumentError if an end of the domain is not a finite number > 0, or the domain is reversed.
 * @category Plots
 */
export function logScale(domain: readonly [number, number], range: readonly [number, number], options: { nice?: boolean } = {}): Scale {
  const op = 'logScale';
  const { nice = true } = parseOptions(op, options, { nice: bool });
  checkPair(op, 'range', range, false);
  checkPair(op, 'domain', domain, true);
  let [lo, hi] = domain;
  const all = logTicks(lo, hi);
  if (nice || lo === hi) {
    lo = all[0];
    hi = all[all.length - 1];
  }
  const ticks = all.filter((t) => t >= lo * (1 - 1e-12) && t <= hi * (1 + 1e-12));
  const [r0, r1] = range;
  const l0 = Math.log10(lo);
  const k = (r1 - r0) / (Math.log10(hi) - l0);
  return {
    type: 'log',
    domain: [lo, hi],
    range: [r0, r1],
    ticks,
    map: (v) => (Number.isFinite(v) && v > 0 ? r0 + (Math.log10(v) - l0) * k : NaN),
    contains: (v) => Number.isFinite(v) && v > 0 && v >= lo && v <= hi,
  };
}

/** A tick label: plain decimals, exponent form outside [1e-3, 1e5). @internal */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential().replace('e+', 'e');
  return String(clean(Number(v.toPrecision(12))));
}

function pow10(k: number): number {
  return Number(`1e${k}`);
}

function clean(v: number): number {
  return v === 0 ? 0 : v; // no -0
}

function checkPair(op: string, name: string, p: unknown, positive: boolean): void {
  const ok = Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0));
  if (!ok) throw new ArgumentError(`${op}: ${name} must be a pair of finite numbers${positive ? ' > 0' : ''}, got ${describe(p)}`);
  if (name === 'domain' && (p as number[])[0] > (p as number[])[1]) throw new ArgumentError(`${op}: domain must be increasing, got ${describe(p)}`);
}
