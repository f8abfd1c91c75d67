import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError } from '../../src/tensor/index';
import { confusionMatrix, precisionRecallCurve, rocAuc, rocCurve, averagePrecision, auc } from '../../src/metrics/index';
import {
  barPlot, confusionMatrixPlot, escapeXml, heatmapPlot, histogramPlot, linePlot, lossCurves, OKABE_ITO, prPlot, rocPlot, scatterPlot,
} from '../../src/plot/index';
import { expectThrows } from '../helpers/check';
import { allText, byClass, findAll, parseXml, pathRuns, type El } from './xml';

const NUM_RUNS = 60;
// Default layout: 640 × 400, margins top 40, right 20, bottom 50, left 60 → plot area x ∈ [60, 620], y ∈ [40, 350].
const AREA = { left: 60, right: 620, top: 40, bottom: 350 };

function svg(s: string): El {
  const root = parseXml(s);
  expect(root.name).toBe('svg');
  expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
  return root;
}

function tickValues(root: El, axis: 'x-axis' | 'y-axis'): number[] {
  return byClass(byClass(root, axis)[0], 'tick').map((t) => Number(t.attrs['data-value']));
}

function inside([x, y]: [number, number]): boolean {
  return x >= AREA.left - 0.01 && x <= AREA.right + 0.01 && y >= AREA.top - 0.01 && y <= AREA.bottom + 0.01;
}

describe('the XML checker of these tests', () => {
  it('refuses unbalanced tags, raw markup in text and unescaped ampersands', () => {
    expect(() => parseXml('<svg><g></svg>')).toThrow(/does not match/);
    expect(() => parseXml('<svg><text>a & b</text></svg>')).toThrow(/unescaped &/);
    expect(() => parseXml('<svg a="<"/>')).toThrow(/raw </);
    expect(() => parseXml('<svg></svg><svg></svg>')).toThrow(/more than one root/);
    expect(parseXml('<svg><text>a &amp; &lt;b&gt;</text></svg>').children[0].text).toBe('a & <b>');
  });
});

describe('escapeXml', () => {
  it('escapes the five markup characters and drops characters XML forbids', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    expect(escapeXml('a\u0000b\u0007c\td')).toBe('abc\td');
    expect(escapeXml('x\uD800y')).toBe('xy');
    expect(escapeXml('😀')).toBe('😀');
  });
});

describe('linePlot', () => {
  it('places a known point at its pixel coordinates', () => {
    const root = svg(linePlot([{ x: [0, 0.5, 1], y: [0, 0.5, 1] }]));
    const [run] = pathRuns(findAll(root, (e) => e.name === 'path')[0].attrs.d);
    // x: 60 + 0.5·560 = 340; y: 350 − 0.5·310 = 195
    expect(run).toEqual([[60, 350], [340, 195], [620, 40]]);
    expect(tickValues(root, 'x-axis')).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });
  it('honours width, height and margins', () => {
    const root = svg(linePlot([{ y: [0, 10] }], { width: 300, height: 200, margin: { left: 50, top: 10, right: 10, bottom: 30 } }));
    expect(root.attrs.viewBox).toBe('0 0 300 200');
    const [run] = pathRuns(findAll(root, (e) => e.name === 'path')[0].attrs.d);
    expect(run).toEqual([[50, 170], [290, 10]]);
  });
  it('breaks the line at a non-finite value and leaves it out of the axis range', () => {
    const root = svg(linePlot([{ y: [1, 2, NaN, 4, Infinity, 5] }]));
    const runs = pathRuns(findAll(root, (e) => e.name === 'path')[0].attrs.d);
    expect(runs.map((r) => r.length)).toEqual([2, 1, 1]);
    expect(tickValues(root, 'y-axis')).toEqual([1, 2, 3, 4, 5]);
  });
  it('on a log axis skips values ≤ 0 and ticks at powers of ten', () => {
    const root = svg(linePlot([{ x: [0, 1e-3, 1, 1e3], y: [1, 2, 3, 4] }], { xScale: 'log' }));
    const runs = pathRuns(findAll(root, (e) => e.name === 'path')[0].attrs.d);
    expect(runs).toEqual([[[60, 311.25], [340, 195], [620, 78.75]]].map((r) => r.map(([x, y]) => [x, y])).map((r) => r.map(([x]) => [x, expect.any(Number)])));
    expect(tickValues(root, 'x-axis')).toEqual([0.001, 0.01, 0.1, 1, 10, 100, 1000]);
  });
  it('lists named series in the legend in palette order and escapes their names', () => {
    const root = svg(linePlot([{ name: 'a<b', y: [1, 2] }, { name: 'c', y: [2, 1] }]));
    const entries = byClass(root, 'legend-entry');
    expect(entries.map(allText)).toEqual(['a<b', 'c']);
    const strokes = findAll(root, (e) => e.name === 'path').map((p) => p.attrs.stroke);
    expect(strokes).toEqual([OKABE_ITO[0], OKABE_ITO[1]]);
    expect(byClass(svg(linePlot([{ y: [1, 2] }])), 'legend')).toHaveLength(0);
  });
  it('escapes a <script> title so no element is injected', () => {
    const title = '</text><script>alert("x")</script>&';
    const s = linePlot([{ y: [1, 2] }], { title, xLabel: '<b>', yLabel: "'" });
    expect(s).not.toContain('<script');
    const root = svg(s);
    expect(findAll(root, (e) => e.name === 'script')).toHaveLength(0);
    expect(allText(findAll(root, (e) => e.name === 'title')[0])).toBe(title);
    expect(allText(byClass(root, 'title')[0])).toBe(title);
    expect(root.attrs['aria-label']).toBe(title);
    expect(allText(byClass(root, 'x-label')[0])).toBe('<b>');
  });
  it('puts every finite point inside the plot area (property)', () => {
    const val = fc.oneof({ weight: 9, arbitrary: fc.double({ min: -1e12, max: 1e12, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) });
    fc.assert(fc.property(fc.array(fc.tuple(val, val), { minLength: 1, maxLength: 30 }), fc.boolean(), (pts, logY) => {
      const shown = ([a, b]: [number, number]): boolean => Number.isFinite(a) && Number.isFinite(b) && (!logY || b >= 1e-300);
      fc.pre(pts.some(shown));
      const x = pts.map((p) => p[0]), y = pts.map((p) => p[1]);
      const root = svg(linePlot([{ x, y }], { yScale: logY ? 'log' : 'linear' }));
      const drawn = pathRuns(findAll(root, (e) => e.name === 'path')[0].attrs.d).flat();
      expect(drawn.length).toBe(pts.filter(shown).length);
      for (const p of drawn) expect(inside(p), `${p}`).toBe(true);
    }), { numRuns: NUM_RUNS });
  });
  it('refuses empty series, mismatched lengths and bad options with typed errors', () => {
    expectThrows(() => linePlot([]), ArgumentError, 'linePlot: series must contain at least one series');
    expectThrows(() => linePlot([{ y: [] }]), ArgumentError, 'linePlot: series[0].y is empty');
    expectThrows(() => linePlot([{ x: [1, 2], y: [1] }]), ShapeError, 'linePlot: series[0].x has 2 values but series[0].y has 1');
    expectThrows(() => linePlot([{ y: [NaN] }]), ArgumentError, 'linePlot: no finite x value to plot');
    expectThrows(() => linePlot([{ y: [1] }], { widht: 3 } as never), ArgumentError, "unknown option 'widht' (did you mean 'width'?)");
    expectThrows(() => linePlot([{ y: [1] }], { width: -1 }), ArgumentError, 'linePlot: width must be a finite number ≥ 1 and ≤ 100000, got -1');
    expectThrows(() => linePlot([{ y: [1] }], { xScale: 'logg' as never }), ArgumentError, "did you mean 'log'?");
    expectThrows(() => linePlot([{ y: [1] }], { margin: 400 }), ArgumentError, 'linePlot: the margins leave no plot area');
    expectThrows(() => linePlot([{ y: ['1'] as never }]), ArgumentError, 'linePlot: series[0].y[0] must be a number, got "1"');
    expectThrows(() => linePlot([{ y: [1] }], { xDomain: [1, 0] }), ArgumentError, 'linePlot: xDomain must be [lo, hi] with lo < hi');
  });
  it('skips points outside a given domain', () => {
    const root = svg(linePlot([{ y: [0, 5, 10] }], { yDomain: [0, 6] }));
    expect(pathRuns(findAll(root, (e) => e.name === 'path')[0].attrs.d).flat()).toHaveLength(2);
  });
});

describe('lossCurves', () => {
  it('draws each series against the epochs, validation dashed in its training colour, lr left out', () => {
    const h = { epochs: [0, 1, 2], history: { loss: [1, 0.5, 0.25], valLoss: [1.2, 0.8, 0.6], accuracy: [0.5, 0.7, 0.9], lr: [0.1, 0.1, 0.1] }, stopReason: null };
    const root = svg(lossCurves(h));
    const series = byClass(root, 'series');
    expect(series.map((s) => s.attrs['data-name'])).toEqual(['loss', 'valLoss', 'accuracy']);
    const paths = series.map((s) => s.children[0].attrs);
    expect(paths[1].stroke).toBe(paths[0].stroke);
    expect(paths[1]['stroke-dasharray']).toBe('6 4');
    expect(paths[0]['stroke-dasharray']).toBeUndefined();
    expect(paths[2].stroke).toBe(OKABE_ITO[1]);
    expect(allText(byClass(root, 'x-label')[0])).toBe('epoch');
    expect(tickValues(root, 'x-axis')).toEqual([0, 0.5, 1, 1.5, 2]);
  });
  it('refuses a series whose length is not the number of epochs, and a missing key', () => {
    expectThrows(() => lossCurves({ epochs: [0, 1], history: { loss: [1] } }), ShapeError, 'lossCurves: history.loss has 1 values but there are 2 epochs');
    expectThrows(() => lossCurves({ epochs: [0], history: { loss: [1] } }, { keys: ['acc'] }), ArgumentError, 'lossCurves: keys names "acc", which is not in the history (it has loss)');
    expectThrows(() => lossCurves({ epochs: [0], history: { lr: [1] } }), ArgumentError, 'lossCurves: history has no series to draw');
  });
});

describe('scatterPlot', () => {
  it('draws one circle per finite point at its coordinates', () => {
    const root = svg(scatterPlot([{ name: 'a', x: [0, 5, NaN, 10], y: [0, 5, 1, 10] }], { radius: 2 }));
    const pts = byClass(root, 'point').map((c) => [Number(c.attrs.cx), Number(c.attrs.cy)]);
    expect(pts).toEqual([[60, 350], [340, 195], [620, 40]]);
    expect(byClass(root, 'point')[0].attrs.r).toBe('2');
    expect(byClass(root, 'legend-entry').map(allText)).toEqual(['a']);
  });
  it('puts every finite point inside the plot area on log–log axes (property)', () => {
    const pos = fc.double({ min: 1e-30, max: 1e30, noNaN: true });
    fc.assert(fc.property(fc.array(fc.tuple(pos, pos), { minLength: 1, maxLength: 30 }), (pts) => {
      const root = svg(scatterPlot([{ x: pts.map((p) => p[0]), y: pts.map((p) => p[1]) }], { xScale: 'log', yScale: 'log' }));
      const drawn = byClass(root, 'point').map((c) => [Number(c.attrs.cx), Number(c.attrs.cy)] as [number, number]);
      expect(drawn).toHaveLength(pts.length);
      for (const p of drawn) expect(inside(p), `${p}`).toBe(true);
    }), { numRuns: NUM_RUNS });
  });
});

describe('barPlot', () => {
  it('draws bars from 0 with heights proportional to the values, negative bars down', () => {
    const root = svg(barPlot({ labels: ['a', 'b', 'c'], values: [1, -0.5, NaN] }));
    expect(tickValues(root, 'y-axis')).toEqual([-0.5, 0, 0.5, 1]);
    const bars = byClass(root, 'bar').map((b) => b.attrs);
    expect(bars.map((b) => b['data-index'])).toEqual(['0', '1']); // NaN draws no bar
    const h = bars.map((b) => Number(b.height));
    expect(h[0] / h[1]).toBeCloseTo(2, 3); // pixel coordinates carry 2 decimals
    // y(0) = 350 − 0.5/1.5 · 310; bar a goes up from there, bar b down
    const y0 = 350 - (0.5 / 1.5) * 310;
    expect(Number(bars[0].y) + h[0]).toBeCloseTo(y0, 1);
    expect(Number(bars[1].y)).toBeCloseTo(y0, 1);
    expect(byClass(byClass(root, 'x-axis')[0], 'tick').map(allText)).toEqual(['a', 'b', 'c']);
    expect(byClass(root, 'bar-value').map(allText)).toEqual(['1', '-0.5']);
  });
  it('refuses mismatched labels and values, and no bars', () => {
    expectThrows(() => barPlot({ labels: ['a'], values: [1, 2] }), ShapeError, 'barPlot: data.labels has 1 entries but data.values has 2');
    expectThrows(() => barPlot({ labels: [], values: [] }), ArgumentError, 'barPlot: data has no bars');
    expectThrows(() => barPlot({ labels: ['a'], values: [NaN] }), ArgumentError, 'barPlot: no finite value to plot');
  });
});

describe('histogramPlot', () => {
  it('counts values in equal-width bins, the last closed, non-finite values left out', () => {
    const root = svg(histogramPlot([1, 2, 2, 3, 3, 3, NaN, Infinity], { bins: 3 }));
    expect(byClass(root, 'bar').map((b) => Number(b.attrs['data-count']))).toEqual([1, 2, 3]);
    const bars = byClass(root, 'bar').map((b) => Number(b.attrs.width));
    expect(bars[0]).toBeCloseTo(bars[2], 6);
  });
  it('honours range and refuses log axes and empty data', () => {
    const root = svg(histogramPlot([0, 1, 5, 9, 10, 11], { bins: 2, range: [0, 10] }));
    expect(byClass(root, 'bar').map((b) => Number(b.attrs['data-count']))).toEqual([2, 3]); // [0, 5) holds 0, 1; [5, 10] holds 5, 9, 10; 11 is outside
    expectThrows(() => histogramPlot([NaN]), ArgumentError, 'histogramPlot: no finite value to plot');
    expectThrows(() => histogramPlot([1], { bins: 0 }), ArgumentError, 'histogramPlot: bins must be an integer ≥ 1, got 0');
    expectThrows(() => histogramPlot([1], { yScale: 'log' }), ArgumentError, 'log scales are not supported');
  });
});

describe('heatmapPlot and confusionMatrixPlot', () => {
  it('draws one labelled cell per entry, darker for larger values, grey for NaN', () => {
    const root = svg(heatmapPlot([[0, 1], [2, NaN]], { xLabels: ['p', 'q'], yLabels: ['r', 's'] }));
    const cells = byClass(root, 'cell');
    expect(cells).toHaveLength(4);
    expect(cells.map((c) => c.attrs.fill)).toEqual(['#eef3f8', expect.any(String), '#0072b2', '#bbbbbb']);
    expect(byClass(root, 'cell-label').map(allText)).toEqual(['0', '1', '2', 'NaN']);
    // the cell at row 1, column 0 starts at the left edge, halfway down
    expect([Number(cells[2].attrs.x), Number(cells[2].attrs.y)]).toEqual([60, 195]);
  });
  it('labels the cells of metrics’ confusion matrix with its counts and class names', () => {
    const cm = confusionMatrix([0, 1, 2, 2, 1, 0], [0, 2, 2, 2, 1, 1]);
    const root = svg(confusionMatrixPlot(cm, { labels: ['cat', 'dog', '<bird>'] }));
    expect(byClass(root, 'cell-label').map(allText)).toEqual(cm.flat().map(String));
    expect(byClass(byClass(root, 'x-axis')[0], 'tick').map(allText)).toEqual(['cat', 'dog', '<bird>']);
    expect(allText(byClass(root, 'x-label')[0])).toBe('Predicted label');
    expect(allText(byClass(root, 'y-label')[0])).toBe('True label');
    const norm = confusionMatrix([0, 0, 1, 1], [0, 1, 1, 1], { normalize: 'true' });
    expect(byClass(svg(confusionMatrixPlot(norm)), 'cell-label').map(allText)).toEqual(['0.50', '0.50', '0', '1']);
  });
  it('refuses ragged, empty and non-square matrices and mismatched labels', () => {
    expectThrows(() => heatmapPlot([[1, 2], [3]]), ShapeError, 'heatmapPlot: matrix[1] has 1 columns but matrix[0] has 2');
    expectThrows(() => heatmapPlot([]), ArgumentError, 'heatmapPlot: matrix is empty');
    expectThrows(() => heatmapPlot([[1]], { xLabels: ['a', 'b'] }), ShapeError, 'xLabels has 2 labels but the matrix has 1 columns');
    expectThrows(() => confusionMatrixPlot([[1, 2]]), ShapeError, 'confusionMatrixPlot: a confusion matrix is square');
    expectThrows(() => confusionMatrixPlot([[1]], { labels: ['a', 'b'] }), ShapeError, 'labels has 2 names but cm has 1 classes');
  });
});

describe('rocPlot and prPlot', () => {
  const y = [0, 0, 1, 1, 0, 1, 1, 0, 1, 0];
  const s = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.5, 0.7, 0.3];
  it('draws metrics’ ROC curves with their AUC in the legend and the chance diagonal', () => {
    const root = svg(rocPlot({ model: rocCurve(y, s), flipped: rocCurve(y, s.map((v) => 1 - v)) }));
    expect(byClass(root, 'legend-entry').map(allText)).toEqual([
      `model (AUC = ${rocAuc(y, s).toFixed(3)})`, `flipped (AUC = ${rocAuc(y, s.map((v) => 1 - v)).toFixed(3)})`,
    ]);
    expect(byClass(root, 'chance')).toHaveLength(1);
    expect(tickValues(root, 'x-axis')).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const roc = rocCurve(y, s);
    const run = pathRuns(byClass(root, 'series')[0].children[0].attrs.d).flat();
    expect(run[1]).toEqual([60 + roc.fpr[1] * 560, 350 - roc.tpr[1] * 310].map((v) => Math.round(v * 100) / 100));
  });
  it('an unnamed curve is labelled with its AUC alone; NaN rates draw nothing and say n/a', () => {
    expect(allText(byClass(svg(rocPlot(rocCurve(y, s))), 'legend-entry')[0])).toBe(`AUC = ${rocAuc(y, s).toFixed(3)}`);
    const root = svg(rocPlot({ fpr: [NaN, NaN], tpr: [0, 1], thresholds: [2, 1] }));
    expect(allText(byClass(root, 'legend-entry')[0])).toBe('AUC = n/a');
    expect(findAll(byClass(root, 'series')[0], (e) => e.name === 'path')[0].attrs.d).toBe('');
  });
  it('draws precision against recall with the trapezoidal area under it', () => {
    const pr = precisionRecallCurve(y, s);
    const root = svg(prPlot({ model: pr }));
    expect(allText(byClass(root, 'legend-entry')[0])).toBe(`model (AUC = ${auc(pr.recall, pr.precision).toFixed(3)})`);
    expect(allText(byClass(root, 'x-label')[0])).toBe('Recall');
    expect(Number.isFinite(averagePrecision(y, s))).toBe(true);
    expectThrows(() => prPlot({} as never), ArgumentError, 'prPlot: curves is empty');
    expectThrows(() => rocPlot({ a: { precision: [1] } } as never), ArgumentError, 'rocPlot: curves.a must be a curve with fpr');
    expectThrows(() => rocPlot({ fpr: [0, 1], tpr: [0], thresholds: [1, 0] }), ShapeError, 'rocPlot: series[0].x has 2 values but series[0].y has 1');
  });
});

describe('every chart', () => {
  it('is one well-formed <svg> element with a background and no raw user text', () => {
    const evil = '<&>"\'';
    const all = [
      linePlot([{ name: evil, y: [1, 2] }], { title: evil }),
      scatterPlot([{ name: evil, x: [1], y: [1] }], { title: evil }),
      barPlot({ labels: [evil], values: [1] }, { title: evil }),
      histogramPlot([1, 2, 3], { title: evil, xLabel: evil }),
      heatmapPlot([[1]], { xLabels: [evil], yLabels: [evil], title: evil }),
      confusionMatrixPlot([[1, 0], [0, 1]], { labels: [evil, 'b'], title: evil }),
      rocPlot({ [evil]: rocCurve([0, 1], [0.2, 0.8]) }, { title: evil }),
      prPlot({ [evil]: precisionRecallCurve([0, 1], [0.2, 0.8]) }, { title: evil, palette: ['"red"'] }),
      lossCurves({ epochs: [0, 1], history: { [evil]: [1, 2] } }, { title: evil }),
    ];
    for (const s of all) {
      const root = svg(s);
      expect(byClass(root, 'background')).toHaveLength(1);
      expect(allText(byClass(root, 'title')[0])).toBe(evil);
      expect(s).not.toContain(evil);
    }
  });
});
