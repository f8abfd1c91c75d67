// Shapley-value explanations: KernelSHAP (Lundberg & Lee 2017) for every predictor, with the
// background data as the "interventional" value function, and the exact closed form for linear models.
import { ArgumentError, Generator, Tensor, defaultGenerator } from '../tensor/index';
import { checkArg, int, parseOptions, rng as rngCheck } from '../tensor/options';
import { describe } from '../tensor/shape';
import { checkFinite, matrixArg, predictRows, solveSymmetric, type Predictor } from './predictor';

/** What {@link kernelShap} and {@link linearShap} return. @category Explain */
export interface ShapExplanation {
  /** `values[k][j]`: the contribution of feature j to output k for the explained sample. */
  values: number[][];
  /** `expectedValue[k]`: the mean output over the background data, E[f(background)]. */
  expectedValue: number[];
  /** True when every coalition was evaluated (KernelSHAP then equals the exact Shapley values). */
  exact: boolean;
}

/** log C(n, k). */
function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/** One explained row and the background, checked: x one sample of p features, background [B, p]. */
function rowAndBackground(op: string, x: unknown, background: unknown): { row: Float32Array; bg: Tensor; p: number } {
  const bg = matrixArg(op, 'background', background);
  checkFinite(op, 'background', bg);
  const p = bg.shape[1];
  let row: Float32Array;
  if (x instanceof Tensor) {
    if (x.size !== p || (x.shape.length === 2 && x.shape[0] !== 1) || x.shape.length > 2) throw new ArgumentError(`${op}: x must be one sample of ${p} features ([${p}] or [1, ${p}]) like background [${bg.shape.join(', ')}], got shape [${x.shape.join(', ')}]`);
    row = x.data.slice(0, p);
  } else if (Array.isArray(x) && x.length === p && x.every((v) => typeof v === 'number')) row = Float32Array.from(x as number[]);
  else throw new ArgumentError(`${op}: x must be one sample of ${p} features (a Tensor or numbers) like background [${bg.shape.join(', ')}], got ${describe(x)}`);
  for (let j = 0; j < p; j++) if (!Number.isFinite(row[j])) throw new ArgumentError(`${op}: x[${j}] is ${row[j]}`);
  return { row, bg, p };
}

/** Options of {@link kernelShap}. @category Explain */
export interface KernelShapOptions {
  /** Coalitions to evaluate (default 2·p + 2048, as shap's 'auto'). When every coalition fits (2^p − 2 ≤ nSamples), all are enumerated. */
  nSamples?: number;
  /** Generator for the sampled coalitions (default: the global one). */
  rng?: Generator;
}

/**
 * KernelSHAP (Lundberg & Lee 2017): Shapley values of one sample's features, with the value of a
 * coalition S being the mean model output over the background rows with the features outside S
 * taken from the background (the interventional expectation, as `shap.KernelExplainer`). The
 * coalitions' outputs are fitted by least squares weighted with the Shapley kernel
 * π(S) = (p − 1) / (C(p, |S|)·|S|·(p − |S|)), under the constraint Σφ = f(x) − E[f(background)]
 * (the additivity holds exactly). With 2^p − 2 ≤ `nSamples` every coalition is used and the result
 * is the exact Shapley values; otherwise `nSamples` coalitions are drawn (sizes in proportion to
 * the kernel, each with its complement) and weighted equally. Cost: (coalitions × background rows) model evaluations.
 * @example
 * // const { values, expectedValue } = kernelShap((x) => clf.predictProba(x), xTest.slice(0, 1), xTrain.slice(0, 50));
 * @throws ArgumentError for x not one row of background's width, NaN inputs.
 * @category Explain
 */
export function kernelShap(model: Predictor, x: Tensor | number[], background: Tensor | number[][], options: KernelShapOptions = {}): ShapExplanation {
  const op = 'kernelShap';
  const o = parseOptions(op, options, { nSamples: int({ min: 1 }), rng: rngCheck });
  const { row, bg, p } = rowAndBackground(op, x, background);
  const B = bg.shape[0];
  const nSamples = o.nSamples ?? 2 * p + 2048;
  const base = predictRows(op, model, bg);
  const K = base.k;
  const ev = new Array<number>(K).fill(0);
  for (let i = 0; i < B; i++) for (let k = 0; k < K; k++) ev[k] += base.values[i * K + k] / B;
  const fx = predictRows(op, model, new Tensor(row.slice(), [1, p]));
  if (p === 1) return { values: Array.from({ length: K }, (_, k) => [fx.values[k] - ev[k]]), expectedValue: ev, exact: true };

  // The coalitions (as masks) and their regression weights.
  const masks: Uint8Array[] = [];
  const w: number[] = [];
  const exact = p < 31 && 2 ** p - 2 <= nSamples;
  if (exact) {
    for (let s = 1; s < 2 ** p - 1; s++) {
      const m = new Uint8Array(p);
      let size = 0;
      for (let j = 0; j < p; j++) if ((s >> j) & 1) { m[j] = 1; size++; }
      masks.push(m);
      w.push(Math.exp(Math.log(p - 1) - logChoose(p, size) - Math.log(size) - Math.log(p - size)));
    }
  } else {
    const g = o.rng ?? defaultGenerator();
    // Size s is drawn with probability ∝ C(p, s)·π(s) = (p − 1) / (s (p − s)).
    const sizeW = Array.from({ length: p - 1 }, (_, i) => (p - 1) / ((i + 1) * (p - 1 - i)));
    const tot = sizeW.reduce((a, b) => a + b, 0);
    while (masks.length < nSamples) {
      let u = g.random() * tot, s = 1;
      while (s < p - 1 && u > sizeW[s - 1]) { u -= sizeW[s - 1]; s++; }
      const perm = g.permutation(p);
      const m = new Uint8Array(p);
      for (let j = 0; j < s; j++) m[perm[j]] = 1;
      masks.push(m, Uint8Array.from(m, (v) => 1 - v));
      w.push(1, 1);
    }
  }

  // v(S) for every coalition: mean over the background with x's features in S.
  const nC = masks.length;
  const ys = new Float64Array(nC * K);
  const chunk = Math.max(1, Math.floor(65536 / Math.max(B * p, 1)));
  for (let c0 = 0; c0 < nC; c0 += chunk) {
    const c1 = Math.min(nC, c0 + chunk);
    const data = new Float32Array((c1 - c0) * B * p);
    for (let c = c0; c < c1; c++) {
      const m = masks[c];
      for (let i = 0; i < B; i++) {
        const off = ((c - c0) * B + i) * p;
        for (let j = 0; j < p; j++) data[off + j] = m[j] ? row[j] : bg.data[i * p + j];
      }
    }
    const out = predictRows(op, model, new Tensor(data, [(c1 - c0) * B, p]));
    for (let c = c0; c < c1; c++) for (let i = 0; i < B; i++) for (let k = 0; k < K; k++) ys[c * K + k] += out.values[((c - c0) * B + i) * K + k] / B;
  }

  // Constrained weighted least squares: eliminate φ_{p−1} = (f(x) − E) − Σ_{j<p−1} φ_j.
  const m = p - 1;
  const values: number[][] = [];
  for (let k = 0; k < K; k++) {
    const gap = fx.values[k] - ev[k];
    const A = new Float64Array(m * m), b = new Float64Array(m);
    for (let c = 0; c < nC; c++) {
      const z = masks[c], last = z[p - 1];
      const yv = ys[c * K + k] - ev[k] - last * gap;
      for (let a = 0; a < m; a++) {
        const za = z[a] - last;
        if (za === 0) continue;
        b[a] += w[c] * za * yv;
        for (let d = 0; d < m; d++) A[a * m + d] += w[c] * za * (z[d] - last);
      }
    }
    const phi = Array.from(solveSymmetric(A, b, m));
    phi.push(gap - phi.reduce((s, v) => s + v, 0));
    values.push(phi);
  }
  return { values, expectedValue: ev, exact };
}

/**
 * Exact SHAP values of a linear model f(x) = W·x + b with independent features (as
 * `shap.LinearExplainer`'s interventional form): φ_kj = W_kj (x_j − E[background_j]), and
 * E[f] = W·E[background] + b.
 * @example
 * linearShap({ coef: [[2, -1]], intercept: [0.5] }, [1, 1], [[0, 0], [2, 0]]).values; // [[0, -1]]
 * @throws ArgumentError when coef, intercept, x and background do not fit together.
 * @category Explain
 */
export function linearShap(model: { coef: number[][] | number[]; intercept?: number[] | number }, x: Tensor | number[], background: Tensor | number[][]): ShapExplanation {
  const op = 'linearShap';
  const { row, bg, p } = rowAndBackground(op, x, background);
  const coef = checkArg(op, 'model.coef', model?.coef, (v, name) => {
    const rows = Array.isArray(v) && v.length > 0 && Array.isArray(v[0]) ? (v as number[][]) : [v as number[]];
    if (!rows.every((r) => Array.isArray(r) && r.length === p && r.every(Number.isFinite))) throw new ArgumentError(`${op}: ${name} must be ${p} finite numbers per output (as background's ${p} features), got ${describe(v)}`);
    return rows;
  });
  const K = coef.length;
  const icpt = model.intercept === undefined ? new Array<number>(K).fill(0) : typeof model.intercept === 'number' ? [model.intercept] : model.intercept;
  if (!Array.isArray(icpt) || icpt.length !== K) throw new ArgumentError(`${op}: model.intercept must have ${K} entries (one per row of coef), got ${describe(model.intercept)}`);
  const B = bg.shape[0];
  const mean = new Float64Array(p);
  for (let i = 0; i < B; i++) for (let j = 0; j < p; j++) mean[j] += bg.data[i * p + j] / B;
  const values = coef.map((w) => w.map((wj, j) => wj * (row[j] - mean[j])));
  const expectedValue = coef.map((w, k) => w.reduce((s, wj, j) => s + wj * mean[j], icpt[k]));
  return { values, expectedValue, exact: true };
}
