/**
 * The fitted prior of {@link VAE}: a Gaussian mixture with diagonal covariances over the codes μ(x)
 * of the training images, fitted by expectation–maximization after training (ex-post density
 * estimation, Ghosh et al. 2020, "From Variational to Deterministic Autoencoders", §4). Sampling
 * from it instead of N(0, I) avoids the prior's holes: regions of N(0, I) that no training image
 * encodes to, which decode to blends of digits.
 */
import type { Generator } from '../../tensor/index';

/** A diagonal Gaussian mixture: K weights, K × D means and K × D variances, row-major. */
export interface DiagonalMixture {
  weights: Float64Array;
  means: Float64Array;
  vars: Float64Array;
}

/** Smallest variance of a component along one axis, relative to the data's variance there. */
const VAR_FLOOR = 1e-4;

/**
 * Fits K diagonal Gaussians to N points of dimension D (row-major `z`) by EM from K distinct
 * seeded points as means, every variance the data's and equal weights; stops after `iterations`
 * or when the mean log-likelihood improves by less than 1e-7. A component that loses every point
 * restarts at a random point.
 */
export function fitDiagonalMixture(z: Float64Array, N: number, D: number, K: number, iterations: number, rng: Generator): DiagonalMixture {
  const mean = new Float64Array(D), dataVar = new Float64Array(D);
  for (let i = 0; i < N; i++) for (let d = 0; d < D; d++) mean[d] += z[i * D + d] / N;
  for (let i = 0; i < N; i++) for (let d = 0; d < D; d++) dataVar[d] += (z[i * D + d] - mean[d]) ** 2 / N;
  for (let d = 0; d < D; d++) dataVar[d] = Math.max(dataVar[d], 1e-12);
  const weights = new Float64Array(K).fill(1 / K), means = new Float64Array(K * D), vars = new Float64Array(K * D);
  const picks = new Set<number>();
  for (let k = 0; k < K; k++) {
    let i = Math.floor(rng.random() * N);
    for (let tries = 0; picks.has(i) && tries < 4 * N; tries++) i = Math.floor(rng.random() * N);
    picks.add(i);
    for (let d = 0; d < D; d++) { means[k * D + d] = z[i * D + d]; vars[k * D + d] = dataVar[d]; }
  }
  const r = new Float64Array(N * K);
  let previous = -Infinity;
  for (let it = 0; it < iterations; it++) {
    // E step: responsibilities, and the log-likelihood.
    let ll = 0;
    for (let i = 0; i < N; i++) {
      let best = -Infinity;
      for (let k = 0; k < K; k++) {
        let s = Math.log(weights[k]);
        for (let d = 0; d < D; d++) {
          const v = vars[k * D + d], e = z[i * D + d] - means[k * D + d];
          s -= 0.5 * (Math.log(2 * Math.PI * v) + (e * e) / v);
        }
        r[i * K + k] = s;
        if (s > best) best = s;
      }
      let t = 0;
      for (let k = 0; k < K; k++) t += Math.exp(r[i * K + k] - best);
      for (let k = 0; k < K; k++) r[i * K + k] = Math.exp(r[i * K + k] - best) / t;
      ll += best + Math.log(t);
    }
    // M step.
    for (let k = 0; k < K; k++) {
      let nk = 0;
      for (let i = 0; i < N; i++) nk += r[i * K + k];
      if (nk < 1e-9) {
        const i = Math.floor(rng.random() * N);
        for (let d = 0; d < D; d++) { means[k * D + d] = z[i * D + d]; vars[k * D + d] = dataVar[d]; }
        weights[k] = 1 / N;
        continue;
      }
      weights[k] = nk / N;
      for (let d = 0; d < D; d++) {
        let m = 0;
        for (let i = 0; i < N; i++) m += r[i * K + k] * z[i * D + d];
        m /= nk;
        let v = 0;
        for (let i = 0; i < N; i++) v += r[i * K + k] * (z[i * D + d] - m) ** 2;
        means[k * D + d] = m;
        vars[k * D + d] = Math.max(v / nk, VAR_FLOOR * dataVar[d]);
      }
    }
    let wsum = 0;
    for (let k = 0; k < K; k++) wsum += weights[k];
    for (let k = 0; k < K; k++) weights[k] /= wsum;
    if (ll / N - previous < 1e-7) break;
    previous = ll / N;
  }
  return { weights, means, vars };
}

/** n draws (row-major n × D) from the mixture: a component by its weight, then its Gaussian. */
export function sampleDiagonalMixture(m: DiagonalMixture, n: number, D: number, rng: Generator): Float32Array {
  const K = m.weights.length;
  const out = new Float32Array(n * D);
  for (let j = 0; j < n; j++) {
    let u = rng.random(), k = 0;
    while (k < K - 1 && u >= m.weights[k]) { u -= m.weights[k]; k++; }
    for (let d = 0; d < D; d++) out[j * D + d] = m.means[k * D + d] + Math.sqrt(m.vars[k * D + d]) * rng.normal();
  }
  return out;
}
