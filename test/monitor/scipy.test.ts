import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chiSquare, jensenShannon, ks2Samp, psi } from '../../src/monitor/index';
import { kolmogn, smirnov } from '../../src/monitor/kolmogorov';
import { chi2Sf, gammaincc } from '../../src/tensor/special';
import { quantileEdges } from '../../src/monitor/drift';
import { seededUniform } from '../helpers/check';

// test/fixtures/monitor.json is written by test/fixtures/gen_monitor.py (SciPy 1.10); see its header.
type Spec = number[] | { n: number; seed: number; lo: number; hi: number; floor?: number };
interface Fixture {
  ks: { a: Spec; b: Spec; alternative: 'two-sided' | 'less' | 'greater'; method: 'auto' | 'exact' | 'asymp'; statistic: number; pvalue: number | 'NaN'; location: number; sign: 1 | -1 }[];
  kstwo: [number, number, number, number][];
  smirnov: [number, number, number][];
  gammaincc: [number, number, number][];
  chi2sf: [number, number, number][];
  js: { p: number[]; q: number[]; base: number | null; expected: number }[];
  chi2: { a: number[]; b: number[]; correction: boolean; statistic: number; pvalue: number; dof: number }[];
  psi: { a: Spec; b: Spec; bins: number; epsilon: number; edges: number[]; expected: number }[];
}
const fx = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/monitor.json'), 'utf8')) as Fixture;

/** The fixture's sample: literal numbers, or seededUniform floats (float64 of float32), optionally floored to a grid. */
function sample(s: Spec): Float64Array {
  if (Array.isArray(s)) return Float64Array.from(s);
  const v = Float64Array.from(seededUniform(s.n, s.seed, s.lo, s.hi));
  if (s.floor) for (let i = 0; i < v.length; i++) v[i] = Math.floor(v[i] * s.floor) / s.floor;
  return v;
}

function close(actual: number, expected: number, rtol: number, atol: number, what: string): void {
  if (!(Math.abs(actual - expected) <= atol + rtol * Math.abs(expected))) {
    throw new Error(`${what}: got ${actual}, SciPy ${expected} (|diff| ${Math.abs(actual - expected)})`);
  }
}

const label = (s: Spec): string => (Array.isArray(s) ? `[${s.join(', ')}]` : `${s.n}${s.floor ? ' coarse' : ''} (seed ${s.seed})`);

describe('ks2Samp matches scipy.stats.ks_2samp', () => {
  const byPair = new Map<string, Fixture['ks']>();
  for (const c of fx.ks) {
    const k = `${label(c.a)} vs ${label(c.b)}`;
    byPair.set(k, [...(byPair.get(k) ?? []), c]);
  }
  for (const [name, cases] of byPair) {
    it(`${name}: statistic, p-value and location for every alternative and method`, () => {
      const a = sample(cases[0].a);
      const b = sample(cases[0].b);
      for (const c of cases) {
        const r = ks2Samp(a, b, { alternative: c.alternative, method: c.method });
        const what = `${name} ${c.alternative} ${c.method}`;
        close(r.statistic, c.statistic, 1e-14, 0, `${what} statistic`);
        if (c.pvalue === 'NaN') expect(r.pValue, what).toBeNaN();
        else close(r.pValue, c.pvalue, 1e-9, 1e-15, `${what} p-value`);
        expect(r.statisticLocation, what).toBe(c.location);
        expect(r.statisticSign, what).toBe(c.sign);
      }
    });
  }
});

describe('the Kolmogorov distributions behind the p-values', () => {
  it('kolmogn(n, x) is scipy.stats.kstwo(n).cdf and .sf on a grid reaching every method', () => {
    for (const [n, x, cdf, sf] of fx.kstwo) {
      close(kolmogn(n, x, true), cdf, 1e-10, 1e-15, `kstwo.cdf(${x}, ${n})`);
      close(kolmogn(n, x, false), sf, 1e-10, 1e-15, `kstwo.sf(${x}, ${n})`);
    }
  });

  it('smirnov(n, x) is scipy.special.smirnov', () => {
    for (const [n, x, sf] of fx.smirnov) close(smirnov(n, x), sf, 1e-11, 1e-300, `smirnov(${n}, ${x})`);
  });
});

describe('the chi-square survival function', () => {
  it('gammaincc(a, x) is scipy.special.gammaincc', () => {
    for (const [a, x, q] of fx.gammaincc) close(gammaincc(a, x), q, 1e-12, 1e-300, `gammaincc(${a}, ${x})`);
  });

  it('chi2Sf(x, dof) is scipy.stats.chi2.sf', () => {
    for (const [x, dof, sf] of fx.chi2sf) close(chi2Sf(x, dof), sf, 1e-12, 1e-300, `chi2.sf(${x}, ${dof})`);
  });
});

describe('jensenShannon matches scipy.spatial.distance.jensenshannon', () => {
  it('on probabilities and counts, with base e, 2 and 10', () => {
    for (const c of fx.js) {
      const got = jensenShannon(c.p, c.q, c.base === null ? {} : { base: c.base });
      close(got, c.expected, 1e-12, 1e-15, `jensenShannon(${c.p}, ${c.q}, ${c.base})`);
    }
  });
});

describe('chiSquare matches scipy.stats.chi2_contingency on the 2 × K table of category counts', () => {
  it('with and without Yates correction, one category, disjoint categories', () => {
    for (const c of fx.chi2) {
      const r = chiSquare(c.a, c.b, { correction: c.correction });
      const what = `chiSquare(${c.a.length} vs ${c.b.length}, correction ${c.correction})`;
      close(r.statistic, c.statistic, 1e-12, 1e-14, `${what} statistic`);
      close(r.pValue, c.pvalue, 1e-10, 1e-300, `${what} p-value`);
      expect(r.dof, what).toBe(c.dof);
    }
  });
});

describe('psi matches the fixture computed by hand with NumPy', () => {
  it('the edges are np.quantile of the reference (repeated ones merged) and the index agrees', () => {
    for (const c of fx.psi) {
      const a = sample(c.a);
      expect(Array.from(quantileEdges(Float64Array.from(a).sort(), c.bins))).toEqual(c.edges);
      close(psi(a, sample(c.b), { bins: c.bins, epsilon: c.epsilon }), c.expected, 1e-12, 1e-15, `psi(${label(c.a)}, ${label(c.b)})`);
    }
  });
});
