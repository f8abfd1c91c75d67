import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError, tensor, zeros } from '../../src/tensor/index';
import { chiSquare, jensenShannon, ks2Samp, Monitor, psi, type MonitorAlert } from '../../src/monitor/index';
import { expectThrows, seededUniform } from '../helpers/check';

/** Reference rows [u, category, v]: u ~ U(0, 1), a category 0–2, v ~ U(10, 20). */
function rows(n: number, seed: number, shift = 0): number[][] {
  const u = seededUniform(n, seed, shift, 1 + shift);
  const c = seededUniform(n, seed + 1, 0, 3);
  const v = seededUniform(n, seed + 2, 10, 20);
  return Array.from({ length: n }, (_, i) => [u[i], Math.floor(c[i]), v[i]]);
}
const column = (xs: number[][], j: number): number[] => xs.map((r) => r[j]);
const REF = rows(400, 1);
const OPTS = { reference: REF, features: ['u', 'plan', 'v'], categorical: ['plan'] };

describe('Monitor report', () => {
  it('has the documented shape and is plain JSON', () => {
    const mon = new Monitor({ ...OPTS, window: 50, predictionReference: column(REF, 0) });
    mon.observe({ inputs: rows(30, 7), predictions: column(rows(30, 7), 0), latencyMs: 4 });
    const r = mon.report();
    expect(Object.keys(r).sort()).toEqual(['alerts', 'count', 'errorRate', 'features', 'latency', 'prediction', 'window']);
    expect(Object.keys(r.features[0]).sort()).toEqual(['chiSquare', 'drifted', 'jensenShannon', 'kind', 'ks', 'level', 'name', 'psi']);
    expect(Object.keys(r.latency).sort()).toEqual(['count', 'mean', 'p50', 'p99']);
    expect(r.features.map((f) => [f.name, f.kind])).toEqual([['u', 'numeric'], ['plan', 'categorical'], ['v', 'numeric']]);
    expect(r.features[0].chiSquare).toBeNull();
    expect(r.features[1].ks).toBeNull();
    expect(Object.keys(r.features[0].ks!).sort()).toEqual(['pValue', 'statistic']);
    expect(r.prediction!.name).toBe('prediction');
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('before the first row: null statistics, level ok, no latency', () => {
    const r = new Monitor(OPTS).report();
    expect(r.count).toBe(0);
    expect(r.window).toBe(0);
    expect(r.features[0]).toEqual({ name: 'u', kind: 'numeric', psi: null, ks: null, jensenShannon: null, chiSquare: null, level: 'ok', drifted: false });
    expect(r.prediction).toBeNull();
    expect(r.latency).toEqual({ count: 0, mean: null, p50: null, p99: null });
    expect(r.errorRate).toBeNull();
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('the statistics are those of the standalone functions on the reference and the last `window` rows', () => {
    const mon = new Monitor({ ...OPTS, window: 25 });
    const cur = rows(60, 9, 0.1);
    // Batches of uneven sizes, one larger than the window: only the last 25 rows count.
    mon.observe({ inputs: cur.slice(0, 7) });
    mon.observe({ inputs: cur.slice(7, 40) });
    mon.observe({ inputs: cur.slice(40, 41) });
    mon.observe({ inputs: cur.slice(41) });
    const last = cur.slice(35);
    const r = mon.report();
    expect(r.count).toBe(60);
    expect(r.window).toBe(25);
    const u = r.features[0];
    const ks = ks2Samp(column(REF, 0), column(last, 0));
    expect(u.ks).toEqual({ statistic: ks.statistic, pValue: ks.pValue });
    expect(u.psi).toBeCloseTo(psi(column(REF, 0), column(last, 0)), 14);
    const plan = r.features[1];
    const chi = chiSquare(column(REF, 1), column(last, 1));
    expect(plan.chiSquare!.statistic).toBeCloseTo(chi.statistic, 12);
    expect(plan.chiSquare!.pValue).toBeCloseTo(chi.pValue, 12);
    expect(plan.psi).toBeCloseTo(psi(column(REF, 1), column(last, 1), { categorical: true }), 14);
    const count = (xs: number[], k: number): number => xs.filter((x) => x === k).length;
    const js = jensenShannon([0, 1, 2].map((k) => count(column(REF, 1), k)), [0, 1, 2].map((k) => count(column(last, 1), k)));
    expect(plan.jensenShannon).toBeCloseTo(js, 14);
  });

  it('a 2-D Tensor reference and typed-array rows give the same report as nested arrays', () => {
    const a = new Monitor({ ...OPTS, window: 40 });
    const b = new Monitor({ ...OPTS, reference: tensor(REF), window: 40 });
    const cur = rows(40, 3, 0.05);
    a.observe({ inputs: cur });
    b.observe({ inputs: cur.map((r) => Float64Array.from(r)) });
    // The tensor holds float32, so numeric statistics agree to float32 rounding of the reference.
    const ra = a.report();
    const rb = b.report();
    expect(rb.features[1]).toEqual(ra.features[1]);
    expect(rb.features[0].psi!).toBeCloseTo(ra.features[0].psi!, 6);
    expect(rb.features[0].ks!.statistic).toBeCloseTo(ra.features[0].ks!.statistic, 6);
  });

  it('detects a shifted numeric feature and leaves the unshifted ones alone', () => {
    const mon = new Monitor({ ...OPTS, window: 200 });
    const cur = rows(200, 11).map((r) => [r[0] + 0.5, r[1], r[2]]);
    mon.observe({ inputs: cur });
    const [u, plan, v] = mon.report().features;
    expect(u.drifted).toBe(true);
    expect(u.psi!).toBeGreaterThan(0.25);
    expect(u.ks!.pValue).toBeLessThan(1e-10);
    expect(plan.drifted).toBe(false);
    expect(v.drifted).toBe(false);
  });

  it('prediction drift: numeric scores, and 2-D class scores reduced to their argmax class', () => {
    const scores = column(REF, 0);
    const numeric = new Monitor({ ...OPTS, window: 100, predictionReference: scores });
    numeric.observe({ inputs: REF.slice(0, 100), predictions: scores.slice(0, 100).map((s) => s + 1) });
    expect(numeric.report().prediction).toMatchObject({ name: 'prediction', kind: 'numeric', drifted: true });

    const probs = REF.map((r) => [r[0], 1 - r[0]]);
    const classes = new Monitor({ ...OPTS, window: 100, predictionReference: probs });
    classes.observe({ inputs: REF.slice(0, 100), predictions: tensor(Array.from({ length: 100 }, () => [0.9, 0.1])) });
    const p = classes.report().prediction!;
    expect(p.kind).toBe('categorical');
    expect(p.drifted).toBe(true);
    const refClasses = probs.map((q) => (q[1] > q[0] ? 1 : 0));
    expect(p.chiSquare!.statistic).toBeCloseTo(chiSquare(refClasses, new Array<number>(100).fill(0)).statistic, 12);
  });

  it('latency percentiles interpolate linearly (NumPy) and the error rate counts the last `window` observations', () => {
    const mon = new Monitor({ ...OPTS, window: 100 });
    for (let i = 1; i <= 150; i++) mon.observe({ inputs: i % 2 ? [] : zeros([0, 3]), latencyMs: i, error: i % 10 === 0 ? new Error('boom') : i % 5 === 0 });
    const r = mon.report();
    // The window holds latencies 51…150: mean 100.5, median 100.5, 99th percentile 51 + 0.99·99 = 149.01.
    expect(r.latency.count).toBe(100);
    expect(r.latency.mean).toBeCloseTo(100.5, 12);
    expect(r.latency.p50).toBeCloseTo(100.5, 12);
    expect(r.latency.p99).toBeCloseTo(149.01, 12);
    // Among 51…150 every fifth (20 of them) is an error.
    expect(r.errorRate).toBeCloseTo(0.2, 15);
    expect(r.count).toBe(0);
  });
});

describe('Monitor edge cases', () => {
  it('one reference row and one window row under asymptotic KS: the test is left out (SciPy gives NaN), the report stays JSON', () => {
    const mon = new Monitor({ reference: [[1]], window: 1, ksMethod: 'asymp' });
    mon.observe({ inputs: [[2]] });
    const r = mon.report();
    expect(r.features[0].ks).toBeNull();
    // The one edge is 1: the reference fills the bin ≤ 1, the window the bin above it.
    expect(r.features[0].psi).toBeCloseTo(2 * (1 - 1e-4) * Math.log(1 / 1e-4), 12);
    expect(r.features[0].drifted).toBe(true);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});

describe('Monitor alerts', () => {
  // One numeric feature, so that the sampling noise of other features cannot add alerts. PSI of a
  // window of W rows against the reference is noisy (an empty bin alone adds ≈ 0.1·ln(0.1/ε)), so
  // these windows hold 200 rows over 5 bins.
  const ref = column(REF, 0).map((u) => [u]);
  const normal = rows(1000, 21).map((r) => [r[0]]);
  const shifted = normal.map((r) => [r[0] + 2]);

  it('fire once per crossing, not per observation, and again after the feature recovers', () => {
    const alerts: MonitorAlert[] = [];
    const mon = new Monitor({ reference: ref, window: 200, bins: 5, onAlert: (a) => alerts.push(a) });
    for (let i = 0; i < 200; i++) mon.observe({ inputs: [normal[i]] });
    expect(alerts).toEqual([]);
    expect(mon.report().features[0].level).toBe('ok');
    // Evaluated every `window` (200) rows: at 400 the window is all shifted.
    for (let i = 200; i < 800; i++) mon.observe({ inputs: [shifted[i]] });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ feature: 'x0', target: 'feature', level: 'drift', statistic: 'psi', threshold: 0.25, count: 400 });
    mon.report();
    mon.report();
    expect(alerts).toHaveLength(1);
    mon.observe({ inputs: normal.slice(0, 200) });
    expect(mon.report().features[0].level).toBe('ok');
    mon.observe({ inputs: shifted.slice(200, 400) });
    expect(alerts).toHaveLength(2);
    expect(alerts[1].count).toBe(1200);
    expect(mon.report().alerts).toEqual(alerts);
  });

  it('a warning, then a drift, are two crossings; thresholds are configurable', () => {
    const alerts: MonitorAlert[] = [];
    // Only PSI counts here (pValue 0 switches the KS test off); warning at 0.05, drift at 1.
    const mon = new Monitor({ reference: ref, window: 200, bins: 5, thresholds: { psiWarning: 0.05, psiDrift: 1, pValue: 0 }, onAlert: (a) => alerts.push(a) });
    mon.observe({ inputs: normal.slice(0, 200).map((r) => [r[0] * 0.8 + 0.1]) });
    expect(alerts.map((a) => a.level)).toEqual(['warning']);
    expect(alerts[0].value).toBeGreaterThanOrEqual(0.05);
    expect(alerts[0].value).toBeLessThan(1);
    mon.observe({ inputs: shifted.slice(0, 200) });
    expect(alerts.map((a) => a.level)).toEqual(['warning', 'drift']);
    expect(alerts[1].value).toBeGreaterThan(1);
  });

  it('without onAlert, report() finds the crossing and lists it once', () => {
    const mon = new Monitor({ ...OPTS, window: 200, bins: 5 });
    mon.observe({ inputs: rows(200, 41).map((r) => [r[0] + 5, r[1], r[2]]) });
    expect(mon.report().alerts.map((a) => a.feature)).toEqual(['u']);
    expect(mon.report().alerts).toHaveLength(1);
  });

  it('a Jensen–Shannon threshold, when set, counts as drift', () => {
    const mon = new Monitor({ reference: ref, window: 200, bins: 5, thresholds: { psiWarning: 10, psiDrift: 10, pValue: 0, jensenShannon: 0.1 } });
    mon.observe({ inputs: normal.slice(0, 200).map((r) => [r[0] + 0.3]) });
    expect(mon.report().features[0].drifted).toBe(true);
    expect(mon.report().alerts[0]).toMatchObject({ statistic: 'jensenShannon', threshold: 0.1 });
  });
});

describe('Monitor bad input', () => {
  it('window ≤ 0, bad thresholds and unknown options', () => {
    expectThrows(() => new Monitor({ ...OPTS, window: 0 }), ArgumentError, 'Monitor: window must be an integer ≥ 1, got 0');
    expectThrows(() => new Monitor({ ...OPTS, window: -3 }), ArgumentError, 'window');
    expectThrows(() => new Monitor({ ...OPTS, window: 2.5 }), ArgumentError, 'window');
    expectThrows(() => new Monitor({ ...OPTS, windows: 10 } as never), ArgumentError, "unknown option 'windows' (did you mean 'window'?)");
    expectThrows(() => new Monitor({ ...OPTS, thresholds: { psi: 0.2 } as never }), ArgumentError, "Monitor thresholds: unknown option 'psi'");
    expectThrows(() => new Monitor({ ...OPTS, thresholds: { pValue: 2 } }), ArgumentError, 'pValue must be');
    expectThrows(() => new Monitor({ ...OPTS, onAlert: 'log' as never }), ArgumentError, 'onAlert must be a function');
    expectThrows(() => new Monitor(undefined as never), ArgumentError, 'Monitor: options must be an object');
    expectThrows(() => new Monitor({} as never), ArgumentError, 'reference is required');
  });

  it('empty, non-finite, ragged or 1-D references, and bad feature names', () => {
    expectThrows(() => new Monitor({ reference: [] }), ArgumentError, 'reference must have at least one row');
    expectThrows(() => new Monitor({ reference: [[1, NaN]] }), ArgumentError, 'reference[0, 1] is NaN');
    expectThrows(() => new Monitor({ reference: [[1, 2], [3]] }), ShapeError, 'ragged');
    expectThrows(() => new Monitor({ reference: [1, 2, 3] as never }), ShapeError, 'rows × features');
    expectThrows(() => new Monitor({ reference: REF, features: ['a', 'b'] }), ShapeError, 'features has 2 names but the reference has 3 columns');
    expectThrows(() => new Monitor({ reference: REF, features: ['a', 'a', 'b'] }), ArgumentError, 'distinct');
    expectThrows(() => new Monitor({ ...OPTS, categorical: ['planet'] }), ArgumentError, 'not a feature');
    expectThrows(() => new Monitor({ ...OPTS, categorical: [3] }), ArgumentError, 'not a feature');
  });

  it('observations: mismatched feature counts, NaN values, wrong prediction counts, negative latency', () => {
    const mon = new Monitor({ ...OPTS, predictionReference: [1, 2, 3] });
    expectThrows(() => mon.observe({ inputs: [[1, 2]] }), ShapeError, 'Monitor.observe: inputs has 2 features per row but the reference has 3');
    expectThrows(() => mon.observe({ inputs: [[1, 2, NaN]] }), ArgumentError, 'inputs[0, 2] is NaN');
    expectThrows(() => mon.observe({ inputs: zeros([0, 2]) }), ShapeError, 'inputs has 2 features per row but the reference has 3');
    expectThrows(() => mon.observe({ inputs: [1, 2, 3] as never }), ShapeError, 'inputs must be rows × features');
    expectThrows(() => mon.observe({ inputs: [[1, 2, 3]], predictions: [1, 2] }), ShapeError, 'predictions has 2 values but inputs has 1 rows');
    expectThrows(() => mon.observe({ inputs: [[1, 2, 3]], latencyMs: -1 }), ArgumentError, 'latencyMs must be a finite number ≥ 0, got -1');
    expectThrows(() => mon.observe({ inputs: [[1, 2, 3]], error: 'yes' as never }), ArgumentError, 'error must be a boolean or an Error');
    expectThrows(() => mon.observe({ input: [[1, 2, 3]] } as never), ArgumentError, "unknown option 'input' (did you mean 'inputs'?)");
    expectThrows(() => mon.observe({} as never), ArgumentError, 'inputs is required');
    // A refused observation leaves no trace.
    expect(mon.report().count).toBe(0);
    expect(mon.report().errorRate).toBeNull();
  });
});
