import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/tensor/index';
import * as metrics from '../../src/metrics/index';

/**
 * Every case of test/fixtures/metrics.json (written by gen_metrics.py with scikit-learn 1.2) must be
 * reproduced to 1e-6: the value where scikit-learn returns one, a typed tensorkit error where it
 * raises ValueError.
 */
interface Case {
  fn: string;
  args: unknown[];
  opts: Record<string, unknown>;
  expected: unknown;
  f32?: boolean;
}
const fixture = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/metrics.json'), 'utf8')) as { sklearn: string; data: unknown[]; cases: Case[] };

const deref = (x: unknown): unknown => (x !== null && typeof x === 'object' && '$ref' in x ? fixture.data[(x as { $ref: number }).$ref] : x);

/** Float32 inputs as a Float32Array (1-D) or a Tensor (2-D), so logLoss sees float32 and picks eps = 2⁻²³. */
function asF32(x: unknown): Float32Array | Tensor {
  if (Array.isArray(x) && Array.isArray(x[0])) {
    const rows = x as number[][];
    return new Tensor(Float32Array.from(rows.flat()), [rows.length, rows[0].length]);
  }
  return Float32Array.from(x as number[]);
}

/** True when some value of a (nested) array of probabilities is outside [0, 1]. */
function outsideUnit(x: unknown): boolean {
  return Array.isArray(x) && x.some((v) => (Array.isArray(v) ? outsideUnit(v) : typeof v === 'number' && (v < 0 || v > 1)));
}

type AnyFn = (...a: unknown[]) => unknown;
const M = metrics as unknown as Record<string, AnyFn>;

function call(c: Case): unknown {
  const args = c.args.map(deref);
  if (c.f32) args[1] = asF32(args[1]);
  const opts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.opts)) opts[k] = deref(v);
  if (c.fn === 'prf') {
    return { precision: metrics.precision(args[0] as number[], args[1] as number[], opts), recall: metrics.recall(args[0] as number[], args[1] as number[], opts), f1: metrics.f1(args[0] as number[], args[1] as number[], opts) };
  }
  if (c.fn === 'classificationReport') {
    const r = metrics.classificationReport(args[0] as number[], args[1] as number[], opts);
    const row = (x: metrics.ReportRow) => ({ precision: x.precision, recall: x.recall, 'f1-score': x.f1, support: x.support });
    const dict: Record<string, unknown> = {};
    for (const cl of r.classes) dict[cl.name] = row(cl);
    if (r.accuracy !== undefined) dict.accuracy = r.accuracy;
    if (r.microAvg !== undefined) dict['micro avg'] = row(r.microAvg);
    dict['macro avg'] = row(r.macroAvg);
    dict['weighted avg'] = row(r.weightedAvg);
    return { text: r.toString(), dict };
  }
  return M[c.fn](args[0], args[1], opts);
}

/** Deep comparison: numbers to 1e-6 (absolute and relative; 1e-5 for float32 inputs), null = NaN, 'Infinity' = Infinity, strings exact. */
function compare(actual: unknown, expected: unknown, path: string, tol: number): void {
  if (expected === null) {
    expect(Number.isNaN(actual), `${path}: expected NaN, got ${String(actual)}`).toBe(true);
  } else if (typeof expected === 'number') {
    expect(typeof actual, path).toBe('number');
    const a = actual as number;
    if (!(Math.abs(a - expected) <= tol + tol * Math.abs(expected))) throw new Error(`${path}: got ${a}, expected ${expected}`);
  } else if (expected === 'Infinity' || expected === '-Infinity') {
    expect(actual, path).toBe(Number(expected));
  } else if (typeof expected === 'string') {
    expect(actual, path).toBe(expected);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`).toBe(true);
    expect((actual as unknown[]).length, `${path} length`).toBe(expected.length);
    expected.forEach((e, i) => compare((actual as unknown[])[i], e, `${path}[${i}]`, tol));
  } else if (typeof expected === 'object') {
    const ek = Object.keys(expected as object);
    expect(Object.keys(actual as object).sort(), `${path} keys`).toEqual(ek.sort());
    for (const k of ek) compare((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${path}.${k}`, tol);
  } else throw new Error(`${path}: unexpected fixture value ${String(expected)}`);
}

describe(`metrics against scikit-learn ${fixture.sklearn} fixtures`, () => {
  it('the fixture is from scikit-learn 1.2 and covers every sklearn-backed metric', () => {
    expect(fixture.sklearn.startsWith('1.2')).toBe(true);
    const fns = new Set(fixture.cases.map((c) => c.fn));
    for (const f of ['prf', 'fbeta', 'accuracy', 'confusionMatrix', 'classificationReport', 'rocCurve', 'rocAuc', 'precisionRecallCurve',
      'averagePrecision', 'logLoss', 'matthewsCorrcoef', 'cohenKappa', 'balancedAccuracy', 'topKAccuracy', 'mse', 'rmse', 'mae', 'r2',
      'mape', 'explainedVariance', 'medianAbsoluteError', 'ndcgScore']) expect(fns.has(f), f).toBe(true);
  });

  const byFn = new Map<string, { c: Case; i: number }[]>();
  fixture.cases.forEach((c, i) => {
    if (!byFn.has(c.fn)) byFn.set(c.fn, []);
    byFn.get(c.fn)!.push({ c, i });
  });
  for (const [fn, list] of byFn) {
    it(`${fn}: ${list.length} cases`, () => {
      for (const { c, i } of list) {
        const where = `case ${i} ${fn}(${JSON.stringify(c.opts)})`;
        const exp = c.expected as { error?: string; message?: string };
        if (fn === 'logLoss' && outsideUnit(deref(c.args[1]))) {
          // scikit-learn 1.2 clips probabilities outside [0, 1]; tensorkit refuses them, as binaryCrossEntropy does (issue 12).
          expect(() => call(c), where).toThrow(/probabilities must lie in \[0, 1\]/);
          continue;
        }
        if (exp !== null && typeof exp === 'object' && !Array.isArray(exp) && 'error' in exp) {
          let err: unknown = null;
          try {
            call(c);
          } catch (e) {
            err = e;
          }
          expect(err, `${where}: scikit-learn raised "${exp.message}" but tensorkit returned`).toBeInstanceOf(Error);
          expect((err as { code?: string }).code, `${where}: ${String(err)}`).toMatch(/^(INVALID_ARGUMENT|SHAPE_MISMATCH)$/);
          continue;
        }
        let got: unknown;
        try {
          got = call(c);
        } catch (e) {
          throw new Error(`${where}: threw ${String(e)}`);
        }
        try {
          compare(got, c.expected, 'result', c.f32 ? 1e-5 : 1e-6);
        } catch (e) {
          throw new Error(`${where}: ${(e as Error).message}`);
        }
      }
    });
  }
});
