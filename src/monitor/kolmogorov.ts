// The distributions behind ks2Samp's p-values (internal). Each function follows the algorithm
// scipy.stats uses for the same quantity, so the p-values agree with scipy.stats.ks_2samp:
//   - the exact two-sample counts of Hodges (1958), with Viehmann's (2021) recursion for 1 − p in
//     the two-sided case;
//   - the one-sample two-sided Kolmogorov distribution of size n (scipy.stats.kstwo), chosen among
//     the methods as Simard & L'Ecuyer (2011) do: Ruben–Gambino at the ends, Durbin's matrix
//     (Marsaglia, Tsang & Wang 2003), Pomeranz (1974), Pelz–Good (1976) and 2·Smirnov.
// Everything is float64.

import { lgamma } from '../tensor/special';

const E128 = 2 ** 128;
const EM128 = 2 ** -128;

function clip01(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p;
}

function pick(cdf: number, sf: number, wantCdf: boolean): number {
  return clip01(wantCdf ? cdf : sf);
}

/** Binomial coefficient C(n, k) in float64 (products for small k, ln Γ otherwise); +∞ past 1.8e308. @internal */
export function binom(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  const kx = k > n / 2 ? n - k : k;
  if (kx < 20) {
    let num = 1;
    let den = 1;
    for (let i = 1; i <= kx; i++) {
      num *= i + n - kx;
      den *= i;
      if (Math.abs(num) > 1e50) {
        num /= den;
        den = 1;
      }
    }
    return num / den;
  }
  return Math.exp(lgamma(n + 1) - lgamma(kx + 1) - lgamma(n - kx + 1));
}

// ---------------------------------------------------------------- exact two-sample counts

/** Pr(D ≥ h/n) for two samples of the same size n (two-sided), Horner form of the alternating sum. @internal */
export function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * Proportion of lattice paths from (0, 0) to (m, n) that leave the band |x/m − y/n| < h/lcm(m, n):
 * the exact two-sided p-value for sizes m ≠ n. Keeps one sliding column of the path counts, already
 * divided by the binomial coefficient so that it holds 1 − p directly (Viehmann's recursion).
 * @internal
 */
export function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  for (let j = minj; j < maxj; j++) A[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) for (let t = curlen; t < Math.min(curlen + lastlen - curlen, lenA); t++) A[t] = 1;
  }
  return A[maxj - minj - 1];
}

/**
 * Number of lattice paths from (0, 0) to (m, n) that reach the line m·y ≤ n·x − h·g (the one-sided
 * exceedance count, Hodges 1958). May overflow to ±∞ or NaN; the caller checks.
 * @internal
 */
export function countPathsOutside(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  const lxj = n + Math.floor((mg - h) / mg);
  if (lxj <= 0) return binom(m + n, n);
  const xj = new Float64Array(lxj);
  for (let j = 0; j < lxj; j++) xj[j] = Math.floor((h + mg * j + ng - 1) / ng);
  const B = new Float64Array(lxj);
  B[0] = 1;
  for (let j = 1; j < lxj; j++) {
    let Bj = binom(xj[j] + j, j);
    for (let i = 0; i < j; i++) Bj -= binom(xj[j] - xj[i] + j - i, j - i) * B[i];
    B[j] = Bj;
  }
  let paths = 0;
  for (let j = 0; j < lxj; j++) paths += B[j] * binom(m - xj[j] + (n - j), n - j);
  return paths;
}

// ---------------------------------------------------------------- one-sided Smirnov

/**
 * Pr(Dₙ⁺ ≥ x), the one-sided one-sample statistic (`scipy.special.smirnov(n, x)`), by the
 * Smirnov–Birnbaum–Tingey sum x·Σᵥ C(n, v) (x + v/n)^(v−1) (1 − x − v/n)^(n−v), v ≤ ⌊n(1 − x)⌋,
 * every term positive, evaluated in logs.
 * @internal
 */
export function smirnov(n: number, x: number): number {
  if (!(x > 0)) return x === 0 ? 1 : NaN;
  if (x >= 1) return 0;
  if (n === 1) return 1 - x;
  const top = Math.floor(n * (1 - x));
  // ln C(n, v) accumulated with Kahan's compensation: it grows to about n·ln 2, and plain
  // summation would lose ~1e-9 of the terms' relative precision at n = 10⁵.
  let logC = 0;
  let comp = 0;
  let p = 0;
  for (let v = 0; v <= top; v++) {
    const evn = x + v / n;
    const omevn = 1 - evn;
    if (omevn > 0) {
      const t = logC + (v - 1) * Math.log(evn) + (n - v) * Math.log1p(-evn);
      if (t > -745) p += Math.exp(t);
    }
    const y = Math.log((n - v) / (v + 1)) - comp;
    const sum = logC + y;
    comp = sum - logC - y;
    logC = sum;
  }
  return clip01(p * x);
}

// ---------------------------------------------------------------- two-sided Kolmogorov, size n

const STIRLING = [
  -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4,
  -5.952380952380952381e-4, 7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2,
];

/** ln(n!/nⁿ) by Stirling's series with n·ln n taken out (no cancellation). */
function logFactorialOverPower(n: number): number {
  const rn = 1 / n;
  const y = rn / n;
  let poly = 0;
  for (const c of STIRLING) poly = poly * y + c;
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + rn * poly;
}

function matmul(out: Float64Array, a: Float64Array, b: Float64Array, m: number): void {
  out.fill(0);
  for (let i = 0; i < m; i++) {
    const row = i * m;
    for (let k = 0; k < m; k++) {
      const aik = a[row + k];
      if (aik === 0) continue;
      const bRow = k * m;
      for (let j = 0; j < m; j++) out[row + j] += aik * b[bRow + j];
    }
  }
}

/** Pr(Dₙ ≤ d) by Durbin's matrix, the k-th diagonal entry of Hⁿ times n!/nⁿ (Marsaglia, Tsang & Wang). @internal */
export function kolmogDurbin(n: number, d: number, wantCdf: boolean): number {
  if (d >= 1) return pick(1, 0, wantCdf);
  const nd = n * d;
  if (nd <= 0.5) return pick(0, 1, wantCdf);
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  let H = new Float64Array(m * m);
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  v[m - 1] = (1 + Math.max(2 * h - 1, 0) ** m - 2 * h ** m) * fac;
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1];
  for (let r = 0; r < m; r++) H[r * m] = v[r];
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c];

  let P = new Float64Array(m * m);
  for (let i = 0; i < m; i++) P[i * m + i] = 1;
  let scratch = new Float64Array(m * m);
  let expnt = 0;
  let hExpnt = 0;
  let nn = n;
  while (nn > 0) {
    if (nn % 2) {
      matmul(scratch, P, H, m);
      [P, scratch] = [scratch, P];
      expnt += hExpnt;
    }
    matmul(scratch, H, H, m);
    [H, scratch] = [scratch, H];
    hExpnt *= 2;
    if (Math.abs(H[(k - 1) * m + k - 1]) > E128) {
      for (let i = 0; i < m * m; i++) H[i] /= E128;
      hExpnt += 128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = P[(k - 1) * m + k - 1];
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      expnt -= 128;
    }
  }
  if (expnt !== 0) p *= 2 ** expnt;
  return pick(p, 1 - p, wantCdf);
}

function pomeranzBounds(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = half - 1 - ll - roundf - 1;
        j2 = half + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pr(Dₙ ≤ x) by Pomeranz's recursion (two rows, each a convolution with Poisson-like weights). @internal */
export function kolmogPomeranz(n: number, x: number, wantCdf: boolean): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = twogpower[0] = onem2gpower[0] = 1;
  const a1 = g / n;
  const a2 = (2 * g) / n;
  const a3 = (1 - 2 * g) / n;
  for (let k = 1; k < npwrs; k++) {
    gpower[k] = (gpower[k - 1] * a1) / k;
    twogpower[k] = (twogpower[k - 1] * a2) / k;
    onem2gpower[k] = (onem2gpower[k - 1] * a3) / k;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let expnt = 0;
  let [j1, j2] = pomeranzBounds(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzBounds(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      const start = k1 - V0s;
      const len0 = Math.min(ln2, npwrs - start);
      const lenP = Math.min(ln2, npwrs);
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      let max = 0;
      for (let c = 0; c < convLen; c++) {
        const tIdx = convStart + c;
        let s = 0;
        const lo = Math.max(0, tIdx - lenP + 1);
        const hi = Math.min(tIdx, len0 - 1);
        for (let a = lo; a <= hi; a++) s += V0[start + a] * pwrs[tIdx - a];
        V1[c] = s;
        if (s > max) max = s;
      }
      if (max > 0 && max < EM128) {
        for (let c = 0; c < npwrs; c++) V1[c] *= E128;
        expnt -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s];
  for (let k = 1; k <= n; k++) {
    if (Math.abs(ans) > E128) {
      ans *= EM128;
      expnt += 128;
    }
    ans *= k;
  }
  if (expnt !== 0) ans *= 2 ** expnt;
  return pick(ans, 1 - ans, wantCdf);
}

/** Pelz–Good's asymptotic series for Pr(Dₙ ≤ x) (Li-Chien/Korolyuk terms through n^(−3/2)). @internal */
export function kolmogPelzGood(n: number, x: number, wantCdf: boolean): number {
  if (x <= 0) return pick(0, 1, wantCdf);
  if (x >= 1) return pick(1, 0, wantCdf);
  const PI2 = Math.PI ** 2;
  const PI4 = PI2 * PI2;
  const PI6 = PI4 * PI2;
  const SQRT2PI = Math.sqrt(2 * Math.PI);
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return pick(0, 1, wantCdf);
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qp = q ** (8 * k);
    K[0] = K[0] * qp + 1;
    K[1] = K[1] * qp + (k1a + k1b * m2);
    K[2] = K[2] * qp + (k2a + k2b * m2 + k2c * m4);
    K[3] = K[3] * qp + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
  }
  const div = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i] * q * SQRT2PI) / div[i];
  q = Math.exp(-PI2 / 2 / z2);
  const sqrt3z = Math.sqrt(3) * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qk = q ** k2;
    const kpi = Math.PI * k;
    k2extra += k2 * qk;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk;
  }
  K[2] += (k2extra * PI2 * SQRT2PI) / (-36 * z3);
  K[3] += (k3extra * PI2 * SQRT2PI) / (216 * z6);
  for (let i = 1; i < 4; i++) K[i] /= n ** (i / 2);
  if (!wantCdf) {
    for (let i = 0; i < 4; i++) K[i] = -K[i];
    K[0] += 1;
  }
  return K[0] + K[1] + K[2] + K[3];
}

/**
 * The two-sided one-sample Kolmogorov–Smirnov distribution of size n at x: Pr(Dₙ ≤ x) when
 * `wantCdf`, else Pr(Dₙ > x) — `scipy.stats.kstwo(n).cdf/sf`, with the method chosen as
 * Simard & L'Ecuyer (2011) and scipy do.
 * @internal
 */
export function kolmogn(n: number, x: number, wantCdf: boolean): number {
  if (!Number.isInteger(n) || n <= 0) return NaN;
  if (x >= 1) return pick(1, 0, wantCdf);
  if (x <= 0) return pick(0, 1, wantCdf);
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return pick(0, 1, wantCdf);
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    } else prob = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    return pick(prob, 1 - prob, wantCdf);
  }
  if (t >= n - 1) {
    const prob = 2 * (1 - x) ** n;
    return pick(1 - prob, prob, wantCdf);
  }
  if (x >= 0.5) {
    const prob = 2 * smirnov(n, x);
    return pick(1 - prob, prob, wantCdf);
  }
  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 0.754693) {
      const p = kolmogDurbin(n, x, true);
      return pick(p, 1 - p, wantCdf);
    }
    if (nx2 <= 4) {
      const p = kolmogPomeranz(n, x, true);
      return pick(p, 1 - p, wantCdf);
    }
    const prob = 2 * smirnov(n, x);
    return pick(1 - prob, prob, wantCdf);
  }
  if (!wantCdf) {
    if (nx2 >= 370) return 0;
    if (nx2 >= 2.2) return clip01(2 * smirnov(n, x));
  }
  let cdf: number;
  if (nx2 >= 18) cdf = 1;
  else if (n <= 100000 && n * x ** 1.5 <= 1.4) cdf = kolmogDurbin(n, x, true);
  else cdf = kolmogPelzGood(n, x, true);
  return pick(cdf, 1 - cdf, wantCdf);
}
