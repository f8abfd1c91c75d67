import { brand } from './brand';
import { ArgumentError } from './errors';
import { describe } from './shape';

/** Anything with a length and numeric indices: plain arrays and typed arrays. */
export interface IndexableArray {
  /** Number of elements. */
  length: number;
  /** Element i. */
  [i: number]: unknown;
}

/** Serializable state of a {@link Generator}; restore with `setState` to replay the same stream. */
export interface GeneratorState {
  /** The four 32-bit words of xoshiro128**. */
  s: [number, number, number, number];
  /** The second Box–Muller normal, kept so a restored stream continues exactly; null if none. */
  spare: number | null;
}

function splitmix32(state: { x: number }): number {
  state.x = (state.x + 0x9e3779b9) | 0;
  let z = state.x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

// Recognised by brand (see ./brand), so that an ESM and a CommonJS copy accept each other's generators.
const GENERATOR = brand('Generator');

/**
 * Seeded pseudo-random generator: xoshiro128** (Blackman and Vigna, 2018), 32-bit state words,
 * period 2¹²⁸ − 1. Every function in tensorkit that draws random numbers takes `{ rng }` and uses
 * the default generator (see {@link manualSeed}) when none is given, so a seed makes a whole run
 * reproducible.
 * @example
 * const g = new Generator(42);
 * // a float in [0, 1), the same for every run with seed 42:
 * g.random(); // 0.6606157226487994
 * @see https://prng.di.unimi.it/
 * @category Random
 */
export class Generator {
  /**
   * `x instanceof Generator` is true for a generator of any copy of tensorkit in this process
   * (brand `Symbol.for('tensorkit.Generator')`); a subclass gets the ordinary prototype check.
   */
  static [Symbol.hasInstance](v: unknown): boolean {
    return GENERATOR.hasInstance(Generator, this, v);
  }

  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  /** Seeds from an integer (any finite number; the fractional part is ignored). */
  constructor(seed = 0) {
    this.seed(seed);
  }

  /**
   * Re-seeds in place. The seed is expanded with SplitMix32 over its low and high 32 bits.
   * @throws ArgumentError if `seed` is not a finite number.
   */
  seed(seed: number): this {
    if (typeof seed !== 'number' || !Number.isFinite(seed)) {
      throw new ArgumentError(`Generator: seed must be a finite number, got ${describe(seed)}`);
    }
    const t = Math.trunc(seed);
    const lo = t >>> 0;
    const hi = Math.floor(t / 4294967296) >>> 0;
    const st = { x: lo ^ Math.imul(hi, 0x27d4eb2d) };
    this.s0 = splitmix32(st) | 0;
    this.s1 = splitmix32(st) | 0;
    this.s2 = splitmix32(st) | 0;
    this.s3 = splitmix32(st) | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spare = null;
    return this;
  }

  /** Next 32-bit unsigned integer of the stream. */
  nextUint32(): number {
    const s0 = this.s0, s1 = this.s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /** Uniform float in [0, 1) with 32 random bits. */
  random(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform float in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.random();
  }

  /** Normal deviate N(mean, std²) by the Box–Muller transform (pairs are used in turn). */
  normal(mean = 0, std = 1): number {
    let z: number;
    if (this.spare !== null) {
      z = this.spare;
      this.spare = null;
    } else {
      // 1 − u keeps the argument of log in (0, 1], so the result is always finite.
      const u = 1 - this.random();
      const v = this.random();
      const r = Math.sqrt(-2 * Math.log(u));
      z = r * Math.cos(2 * Math.PI * v);
      this.spare = r * Math.sin(2 * Math.PI * v);
    }
    return mean + std * z;
  }

  /**
   * Uniform integer in [low, high), unbiased (rejection sampling).
   * @throws ArgumentError unless low < high are integers with high − low ≤ 2³².
   */
  randint(low: number, high: number): number {
    if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low || high - low > 4294967296) {
      throw new ArgumentError(`Generator.randint: need integers low < high (span ≤ 2^32), got low=${describe(low)}, high=${describe(high)}`);
    }
    const span = high - low;
    if (span === 4294967296) return low + this.nextUint32();
    const limit = 4294967296 - (4294967296 % span);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return low + (x % span);
  }

  /**
   * Shuffles an array or typed array in place (Fisher–Yates) and returns it.
   * @typeParam T - any indexable array type (plain array or typed array).
   */
  shuffle<T extends IndexableArray>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.randint(0, i + 1);
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
    return arr;
  }

  /** A random permutation of 0 … n − 1 as an `Int32Array`. */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0) throw new ArgumentError(`Generator.permutation: n must be a non-negative integer, got ${describe(n)}`);
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** Fills `out` with uniform floats in [low, high). */
  fillUniform(out: Float32Array, low = 0, high = 1): Float32Array {
    const w = high - low;
    for (let i = 0; i < out.length; i++) out[i] = low + w * (this.nextUint32() / 4294967296);
    return out;
  }

  /** Fills `out` with normal deviates N(mean, std²). */
  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** The current state, a plain JSON-safe object. */
  getState(): GeneratorState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spare: this.spare };
  }

  /**
   * Restores a state from {@link getState}; the stream continues exactly where it was.
   * @throws ArgumentError on a malformed state.
   */
  setState(state: GeneratorState): this {
    const s = state?.s;
    if (!Array.isArray(s) || s.length !== 4 || !s.every((w) => Number.isInteger(w)) || (s[0] | s[1] | s[2] | s[3]) === 0) {
      throw new ArgumentError('Generator.setState: state.s must be four 32-bit integers, not all zero');
    }
    if (state.spare !== null && typeof state.spare !== 'number') {
      throw new ArgumentError('Generator.setState: state.spare must be a number or null');
    }
    this.s0 = s[0] | 0;
    this.s1 = s[1] | 0;
    this.s2 = s[2] | 0;
    this.s3 = s[3] | 0;
    this.spare = state.spare;
    return this;
  }

  /** An independent copy with the same state. */
  clone(): Generator {
    return new Generator().setState(this.getState());
  }
}

GENERATOR.mark(Generator.prototype);

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

const defaultGen = new Generator(0x5eed);

/**
 * The generator used when a function is given no `{ rng }`. Seeded with a fixed value at load, so
 * even an unseeded program is reproducible; call {@link manualSeed} to choose the seed.
 * @category Random
 */
export function defaultGenerator(): Generator {
  return defaultGen;
}

/**
 * Re-seeds the default generator IN PLACE (PyTorch's `torch.manual_seed`) and returns it: it stays
 * the same object, so a layer or data loader that captured `defaultGenerator()` before the call
 * draws the re-seeded stream too.
 * @example
 * manualSeed(1); const a = rand([2]).toArray();
 * manualSeed(1); const b = rand([2]).toArray();
 * JSON.stringify(a) === JSON.stringify(b); // true
 * @throws ArgumentError if `seed` is not a finite number.
 * @category Random
 */
export function manualSeed(seed: number): Generator {
  return defaultGen.seed(seed);
}
