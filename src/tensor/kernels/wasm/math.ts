/**
 * Code-generation helpers shared by the wasm kernels: a local-variable allocator, a counted loop,
 * and inline float32x4 approximations of the functions the kernels need. Each `emit…` function
 * maps the v128 on the stack's top to its result, in place on the stack, using the scratch locals
 * it is given (a wasm call per vector would not be inlined by V8).
 *
 * Two families:
 * - {@link emitTanh} / {@link emitSigmoid}: Eigen's rational tanh (4e-7 absolute), the recurrent
 *   gates' choice (rnn.ts): short, and its absolute error does not matter inside a gate.
 * - {@link emitExp}, {@link emitTanhExp}, {@link emitSigmoidExp}, {@link emitErfc}: relative
 *   accuracy of a few float32 ulps over the whole range (Cephes' expf and tanhf, Numerical
 *   Recipes' erfc), the element-wise ops' choice (unary.ts), where a value of 1e-30 must not come
 *   out as 1e-7.
 */
import { type Code, I32, V128, type ValType } from './encoder';


/** Locals of one function: parameters first, then i32 and v128 locals handed out by name. */
export class Locals {
  private readonly types: ValType[] = [];
  constructor(private readonly nParams: number) {}
  i32(): number { this.types.push(I32); return this.nParams + this.types.length - 1; }
  v128(): number { this.types.push(V128); return this.nParams + this.types.length - 1; }
  list(): ValType[] { return this.types; }
}

// Eigen's float tanh: tanh x ≈ x·(α₁ + α₃x² + … + α₁₃x¹²) / (β₀ + β₂x² + β₄x⁴ + β₆x⁶) on |x| ≤ 7.998811.
const TANH_CLAMP = 7.99881172180175781;
const ALPHA = [-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-08,
  1.48572235717979e-05, 6.37261928875436e-04, 4.89352455891786e-03];
const BETA = [1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03, 4.89352518554385e-03];

/**
 * Emits tanh of the v128 on the stack's top, leaving the result there, inline (a wasm call per
 * vector made the LSTM step four times slower: V8 does not inline it). Uses two scratch locals.
 */
export function emitTanh(f: Code, xc: number, x2: number): void {
  f.v128ConstF32(-TANH_CLAMP).f32x4Max().v128ConstF32(TANH_CLAMP).f32x4Min().localTee(xc);
  f.localGet(xc).f32x4Mul().localSet(x2);
  f.v128ConstF32(ALPHA[0]);
  for (let k = 1; k < ALPHA.length; k++) f.localGet(x2).f32x4Mul().v128ConstF32(ALPHA[k]).f32x4Add();
  f.localGet(xc).f32x4Mul();
  f.v128ConstF32(BETA[0]);
  for (let k = 1; k < BETA.length; k++) f.localGet(x2).f32x4Mul().v128ConstF32(BETA[k]).f32x4Add();
  f.f32x4Div();
}

/** Emits σ of the v128 on the stack's top as ½ + ½·tanh(v/2). */
export function emitSigmoid(f: Code, xc: number, x2: number): void {
  f.v128ConstF32(0.5).f32x4Mul();
  emitTanh(f, xc, x2);
  f.v128ConstF32(0.5).f32x4Mul().v128ConstF32(0.5).f32x4Add();
}

/** `for (i = 0; i < n; i += step) body` with n ≥ 0 checked before the first pass. */
export function forLoop(f: Code, i: number, n: number, step: number, body: () => void): void {
  f.i32Const(0).localSet(i);
  f.block();
  f.localGet(i).localGet(n).i32GeS().brIf(0);
  f.loop();
  body();
  f.localGet(i).i32Const(step).i32Add().localTee(i).localGet(n).i32LtS().brIf(0);
  f.end();
  f.end();
}

// Cephes expf: e^x = 2^k · e^r, k = round(x·log₂e), r = x − k·ln2 (ln 2 split in two parts so
// r is exact), e^r ≈ 1 + r + r²·P(r) with P of degree 5; max relative error 1.7 ulp on the range.
const LOG2E = 1.44269504088896341;
const LN2_HI = 0.693359375, LN2_LO = -2.12194440e-4;
const EXP_P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
/** Inputs are clamped to [EXP_LO, EXP_HI]: e^−104 rounds to 0 and e^89 to +Inf in float32. */
const EXP_LO = -104, EXP_HI = 89;

/**
 * Emits eˣ of the v128 on the stack's top (three scratch v128 locals). NaN stays NaN, +Inf gives
 * +Inf, −Inf gives 0; results below 2⁻¹²⁶ come out as float32 subnormals (the power of two is
 * applied as 2^⌊k/2⌋ · 2^(k − ⌊k/2⌋), both normal), rounded once more than Math.exp's.
 */
export function emitExp(f: Code, a: number, b: number, c: number): void {
  f.v128ConstF32(EXP_LO).f32x4Max().v128ConstF32(EXP_HI).f32x4Min().localTee(a);
  f.v128ConstF32(LOG2E).f32x4Mul().f32x4Nearest().localSet(b); // b = k (as float)
  f.localGet(a).localGet(b).v128ConstF32(LN2_HI).f32x4Mul().f32x4Sub();
  f.localGet(b).v128ConstF32(LN2_LO).f32x4Mul().f32x4Sub().localSet(a); // a = r
  f.v128ConstF32(EXP_P[0]);
  for (let i = 1; i < EXP_P.length; i++) f.localGet(a).f32x4Mul().v128ConstF32(EXP_P[i]).f32x4Add();
  f.localGet(a).localGet(a).f32x4Mul().f32x4Mul().localGet(a).f32x4Add().v128ConstF32(1).f32x4Add().localSet(c); // c = e^r
  f.localGet(b).i32x4TruncSatF32x4S().localSet(b); // b = k (as i32; NaN gives 0)
  f.localGet(c);
  f.localGet(b).i32Const(1).i32x4ShrS().localTee(a).v128ConstI32(127).i32x4Add().i32Const(23).i32x4Shl().f32x4Mul();
  f.localGet(b).localGet(a).i32x4Sub().v128ConstI32(127).i32x4Add().i32Const(23).i32x4Shl().f32x4Mul();
}

/** Emits σ(x) = 1 / (1 + e⁻ˣ) of the stack's top (three scratch locals): relative accuracy in both tails. */
export function emitSigmoidExp(f: Code, a: number, b: number, c: number): void {
  f.f32x4Neg();
  emitExp(f, a, b, c);
  f.localSet(a);
  f.v128ConstF32(1).v128ConstF32(1).localGet(a).f32x4Add().f32x4Div();
}

// Cephes tanhf: for |x| < 0.625 the odd polynomial x·(1 + x²·Q(x²)), else 1 − 2 / (e^(2|x|) + 1)
// with the sign of x; about 2 ulp.
const TANH_Q = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];
const SIGN_BIT = -0x80000000;

/** Emits tanh of the stack's top (four scratch locals): ±1 exactly past |x| ≈ 9, −0 kept, NaN kept. */
export function emitTanhExp(f: Code, x: number, a: number, b: number, c: number): void {
  f.localSet(x);
  // The polynomial branch.
  f.localGet(x).localGet(x).f32x4Mul().localTee(a);
  f.v128ConstF32(TANH_Q[0]);
  for (let i = 1; i < TANH_Q.length; i++) f.localGet(a).f32x4Mul().v128ConstF32(TANH_Q[i]).f32x4Add();
  // x·(1 + x²·Q), not x + x³·Q: the same value to an ulp, and x = −0 stays −0.
  f.f32x4Mul().v128ConstF32(1).f32x4Add().localGet(x).f32x4Mul(); // [small]
  // The exponential branch, made positive, then given x's sign.
  f.localGet(x).f32x4Abs().localTee(a).localGet(a).f32x4Add();
  emitExp(f, a, b, c);
  f.v128ConstF32(1).f32x4Add().localSet(a);
  f.v128ConstF32(1).v128ConstF32(2).localGet(a).f32x4Div().f32x4Sub(); // [small, |large|]
  // bitselect(a, b, m) = (a & m) | (b & ~m): the sign bit from x, the rest from |large|.
  f.localSet(a);
  f.localGet(x).localGet(a).v128ConstI32(SIGN_BIT).v128Bitselect(); // [small, large]
  // Small where |x| < 0.625.
  f.localGet(x).f32x4Abs().v128ConstF32(0.625).f32x4Lt().v128Bitselect();
}

// Numerical Recipes' erfc (§6.2): erfc z = t·exp(−z² + R(t)), t = 1 / (1 + |z|/2), R of degree 9;
// fractional error below 1.2e-7 everywhere; erfc(−z) = 2 − erfc(z). The JS kernels use the same fit.
const ERFC_R = [0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223];

/** Emits erfc of the stack's top (five scratch locals). */
export function emitErfc(f: Code, z: number, t: number, a: number, b: number, c: number): void {
  f.localSet(z);
  f.v128ConstF32(1).v128ConstF32(1).localGet(z).f32x4Abs().v128ConstF32(0.5).f32x4Mul().f32x4Add().f32x4Div().localSet(t);
  f.v128ConstF32(ERFC_R[0]);
  for (let i = 1; i < ERFC_R.length; i++) f.localGet(t).f32x4Mul().v128ConstF32(ERFC_R[i]).f32x4Add();
  f.localGet(z).localGet(z).f32x4Mul().f32x4Sub();
  emitExp(f, a, b, c);
  f.localGet(t).f32x4Mul().localSet(a); // a = erfc(|z|)
  // z < 0 ? 2 − a : a (NaN lanes keep a, which is NaN).
  f.v128ConstF32(2).localGet(a).f32x4Sub();
  f.localGet(a);
  f.localGet(z).v128ConstF32(0).f32x4Lt().v128Bitselect();
}
