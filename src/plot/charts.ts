import { auc, type PrecisionRecallCurve, type RocCurve } from '../metrics/index';
import { ArgumentError, ShapeError } from '../tensor/errors';
import { arrayOf, bool, int, isPlainObject, num, parseOptions, posInt, str } from '../tensor/options';
import { describe } from '../tensor/shape';
import { linearScale, type Scale } from './scale';
import { LOG_MIN, OKABE_ITO, PLOT_SPEC, XY_SPEC, areaOf, axes, axisLabels, colour, document, escapeXml, legend, makeScale, px, resolve, type Area, type LegendEntry, type PlotOptions, type Resolved, type XYPlotOptions } from './svg';

// Non-finite rule (every chart): a value that is NaN or ±Inf, below 1e-300 on a log axis (0,
// negatives, subnormals), or outside a
// given domain, is not drawn. A line breaks there (the points on each side are not joined); a
// scatter point, a bar or a histogram sample is left out; a heatmap cell is drawn grey without a
// colour. The axes are computed from the drawn values only.

/** One series of a line or scatter chart. @category Plots */
export interface Series {
  /** Name in the legend (escaped); unnamed series are not listed. */
  name?: string;
  /** x values (default 0, 1, …, y.length − 1); same length as y. */
  x?: ArrayLike<number>;
  /** y values. */
  y: ArrayLike<number>;
  /** Colour (default: the palette's next colour). */
  colour?: string;
  /** SVG stroke-dasharray of the line, e.g. `'4 3'` (line charts). */
  dash?: string;
}

interface Checked {
  name: string | undefined;
  x: Float64Array;
  y: Float64Array;
  colour: string | undefined;
  dash: string | undefined;
}

function isArrayLikeNumbers(v: unknown): v is ArrayLike<number> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

function numbers(op: string, name: string, v: unknown): Float64Array {
  if (!isArrayLikeNumbers(v)) throw new ArgumentError(`${op}: ${name} must be an array of numbers, got ${describe(v)}`);
  const a = v as ArrayLike<unknown>;
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const e = a[i];
    if (typeof e !== 'number' && typeof e !== 'bigint') throw new ArgumentError(`${op}: ${name}[${i}] must be a number, got ${describe(e)}`);
    out[i] = Number(e);
  }
  return out;
}

const SERIES_SPEC = { name: str, x: (v: unknown) => v, y: (v: unknown) => v, colour: str, dash: str };

function checkSeries(op: string, series: unknown): Checked[] {
  if (!Array.isArray(series)) throw new ArgumentError(`${op}: series must be an array of { name?, x?, y } objects, got ${describe(series)}`);
  if (series.length === 0) throw new ArgumentError(`${op}: series must contain at least one series, got an empty array`);
  return series.map((s, i) => {
    const n = `series[${i}]`;
    if (!isPlainObject(s)) throw new ArgumentError(`${op}: ${n} must be an object { name?, x?, y }, got ${describe(s)}`);
    const p = parseOptions(op, s, SERIES_SPEC);
    if (p.y === undefined) throw new ArgumentError(`${op}: ${n}.y is required`);
    const y = numbers(op, `${n}.y`, p.y);
    if (y.length === 0) throw new ArgumentError(`${op}: ${n}.y is empty; a series needs at least one point`);
    let x: Float64Array;
    if (p.x === undefined) x = Float64Array.from(y, (_, k) => k);
    else {
      x = numbers(op, `${n}.x`, p.x);
      if (x.length !== y.length) throw new ShapeError(`${op}: ${n}.x has ${x.length} values but ${n}.y has ${y.length}`);
    }
    return { name: p.name, x, y, colour: p.colour, dash: p.dash };
  });
}

interface XY {
  r: Resolved;
  a: Area;
  x: Scale;
  y: Scale;
  grid: boolean;
  showLegend: boolean | undefined;
}

function xyFrame(op: string, o: ReturnType<typeof parseXY>, xs: number[], ys: number[]): XY {
  const r = resolve(op, o);
  const a = areaOf(r);
  const ticks = o.ticks ?? 5;
  const x = makeScale(op, 'x', xs, o.xScale ?? 'linear', o.xDomain, [a.left, a.right], ticks);
  const y = makeScale(op, 'y', ys, o.yScale ?? 'linear', o.yDomain, [a.bottom, a.top], ticks);
  return { r, a, x, y, grid: o.grid ?? true, showLegend: o.legend };
}

function parseXY(op: string, options: unknown, extra: Record<string, (v: unknown, name: string, op: string) => unknown> = {}) {
  return parseOptions(op, options, { ...XY_SPEC, ...extra }) as Partial<XYPlotOptions> & Record<string, unknown>;
}

/** Finite x values (and the matching y values) a scale can show, for the axis extent. */
function drawable(s: Checked[], xType: string | undefined, yType: string | undefined): { xs: number[]; ys: number[] } {
  const xs: number[] = [], ys: number[] = [];
  for (const c of s) {
    for (let i = 0; i < c.y.length; i++) {
      const xv = c.x[i], yv = c.y[i];
      if (!Number.isFinite(xv) || !Number.isFinite(yv) || (xType === 'log' && !(xv >= LOG_MIN)) || (yType === 'log' && !(yv >= LOG_MIN))) continue;
      xs.push(xv);
      ys.push(yv);
    }
  }
  return { xs, ys };
}

function paths(f: XY, s: Checked[], extraLegend: (c: Checked, i: number) => string = (c) => c.name ?? ''): { body: string; entries: LegendEntry[] } {
  const out: string[] = [], entries: LegendEntry[] = [];
  s.forEach((c, i) => {
    const col = c.colour === undefined ? colour(f.r, i) : escapeXml(c.colour);
    let d = '', open = false;
    for (let k = 0; k < c.y.length; k++) {
      if (!f.x.contains(c.x[k]) || !f.y.contains(c.y[k])) {
        open = false;
        continue;
      }
      d += `${open ? 'L' : 'M'}${px(f.x.map(c.x[k]))},${px(f.y.map(c.y[k]))}`;
      open = true;
    }
    const dash = c.dash === undefined ? '' : ` stroke-dasharray="${escapeXml(c.dash)}"`;
    const nm = c.name === undefined ? '' : ` data-name="${escapeXml(c.name)}"`;
    out.push(`<g class="series"${nm}><path d="${d}" fill="none" stroke="${col}" stroke-width="2" stroke-linejoin="round"${dash}/></g>`);
    const label = extraLegend(c, i);
    if (label !== '') entries.push({ name: label, colour: col, kind: 'line', dash: c.dash === undefined ? undefined : escapeXml(c.dash) });
  });
  return { body: out.join(''), entries };
}

function finish(f: XY, kind: string, body: string, entries: LegendEntry[]): string {
  const show = f.showLegend ?? entries.length > 0;
  return document(f.r, kind, axes(f.r, f.a, f.x, f.y, f.grid) + body + (show ? legend(f.r, f.a, entries) : ''));
}

/**
 * A line chart of one or more series (training curves, a metric against a parameter).
 *
 * Non-finite values (and values ≤ 0 on a log axis, or outside a given domain) are not drawn and
 * break the line there.
 * @example
 * linePlot([{ name: 'loss', y: [1, 0.5, 0.25] }]).startsWith('<svg'); // true
 * @throws ArgumentError if `series` is empty, a series has no points, or no value is finite; ShapeError if a series' x and y lengths differ.
 * @see {@link lossCurves}
 * @category Plots
 */
export function linePlot(series: readonly Series[], options: XYPlotOptions = {}): string {
  const op = 'linePlot';
  const o = parseXY(op, options);
  const s = checkSeries(op, series);
  const { xs, ys } = drawable(s, o.xScale, o.yScale);
  const f = xyFrame(op, o, xs, ys);
  const { body, entries } = paths(f, s);
  return finish(f, 'line-plot', body, entries);
}

/** The part of `fit`'s `History` that {@link lossCurves} reads (structural: no import of train). @category Plots */
export interface HistoryLike {
  /** The epochs run (the x values). */
  epochs: readonly number[];
  /** Per-epoch series by name. */
  history: Readonly<Record<string, readonly number[]>>;
}

/** Options of {@link lossCurves}. @category Plots */
export interface LossCurvesOptions extends XYPlotOptions {
  /** Which series of the history to draw (default: every series except `lr`). */
  keys?: readonly string[];
}

/**
 * Training curves from `fit`'s `History`: one line per series against the epoch, with each
 * `val`-prefixed series dashed in the colour of its training series (`valLoss` with `loss`).
 * @example
 * lossCurves({ epochs: [0, 1, 2], history: { loss: [1, 0.6, 0.4], valLoss: [1.1, 0.8, 0.7] } }).includes('valLoss'); // true
 * @throws ArgumentError if the history has no series to draw or `keys` names a missing one; ShapeError if a series' length is not the number of epochs.
 * @category Plots
 */
export function lossCurves(history: HistoryLike, options: LossCurvesOptions = {}): string {
  const op = 'lossCurves';
  const { keys, ...rest } = parseXY(op, options, { keys: arrayOf(str, { min: 1 }) }) as Partial<LossCurvesOptions>;
  if (typeof history !== 'object' || history === null) throw new ArgumentError(`${op}: history must be an object { epochs, history }, got ${describe(history)}`);
  const h = history as HistoryLike;
  if (!isPlainObject(h.history)) throw new ArgumentError(`${op}: history.history must be an object of series, got ${describe(h.history)}`);
  const epochs = numbers(op, 'history.epochs', h.epochs);
  const names = keys ?? Object.keys(h.history).filter((k) => k !== 'lr');
  if (names.length === 0) throw new ArgumentError(`${op}: history has no series to draw`);
  const base = names.filter((k) => !/^val[A-Z]/.test(k) || !names.includes(k[3].toLowerCase() + k.slice(4)));
  const series: Series[] = names.map((k) => {
    if (!Object.hasOwn(h.history, k)) throw new ArgumentError(`${op}: keys names ${describe(k)}, which is not in the history (it has ${Object.keys(h.history).join(', ')})`);
    const y = numbers(op, `history.${k}`, h.history[k]);
    if (y.length !== epochs.length) throw new ShapeError(`${op}: history.${k} has ${y.length} values but there are ${epochs.length} epochs`);
    const train = /^val[A-Z]/.test(k) ? k[3].toLowerCase() + k.slice(4) : k;
    const idx = base.indexOf(base.includes(train) ? train : k);
    const palette = rest.palette ?? OKABE_ITO;
    return { name: k, x: epochs, y, colour: palette[idx % palette.length], ...(train !== k && base.includes(train) ? { dash: '6 4' } : {}) };
  });
  return linePlot(series, { xLabel: 'epoch', ...rest });
}

/** Options of {@link scatterPlot}. @category Plots */
export interface ScatterPlotOptions extends XYPlotOptions {
  /** Point radius in pixels (default 3). */
  radius?: number;
  /** Point opacity in [0, 1] (default 0.8). */
  opacity?: number;
}

/**
 * A scatter chart: one circle per finite point, one colour per series.
 * @example
 * scatterPlot([{ x: [1, 2], y: [3, 4] }]).includes('<circle'); // true
 * @throws ArgumentError if `series` is empty, a series has no points, or no point is finite; ShapeError if a series' x and y lengths differ.
 * @category Plots
 */
export function scatterPlot(series: readonly Series[], options: ScatterPlotOptions = {}): string {
  const op = 'scatterPlot';
  const o = parseXY(op, options, { radius: num({ min: 0, max: 100 }), opacity: num({ min: 0, max: 1 }) }) as ReturnType<typeof parseXY> & ScatterPlotOptions;
  const s = checkSeries(op, series);
  const { xs, ys } = drawable(s, o.xScale, o.yScale);
  const f = xyFrame(op, o, xs, ys);
  const rad = px(o.radius ?? 3), op_ = px(o.opacity ?? 0.8);
  const out: string[] = [], entries: LegendEntry[] = [];
  s.forEach((c, i) => {
    const col = c.colour === undefined ? colour(f.r, i) : escapeXml(c.colour);
    const pts: string[] = [];
    for (let k = 0; k < c.y.length; k++) {
      if (!f.x.contains(c.x[k]) || !f.y.contains(c.y[k])) continue;
      pts.push(`<circle class="point" cx="${px(f.x.map(c.x[k]))}" cy="${px(f.y.map(c.y[k]))}" r="${rad}"/>`);
    }
    const nm = c.name === undefined ? '' : ` data-name="${escapeXml(c.name)}"`;
    out.push(`<g class="series"${nm} fill="${col}" fill-opacity="${op_}">${pts.join('')}</g>`);
    if (c.name !== undefined) entries.push({ name: c.name, colour: col, kind: 'point' });
  });
  return finish(f, 'scatter-plot', out.join(''), entries);
}

/** Data of {@link barPlot}. @category Plots */
export interface BarData {
  /** One label per bar (escaped). */
  labels: readonly string[];
  /** One value per bar; bars start at 0. */
  values: ArrayLike<number>;
}

/** Options of {@link barPlot}. @category Plots */
export interface BarPlotOptions extends PlotOptions {
  /** Draw the value above each bar (default true when there are at most 20 bars). */
  annotate?: boolean;
  /** Decimals of the annotations (default 3 significant digits). */
  digits?: number;
  /** About how many ticks on the value axis (default 5). */
  ticks?: number;
}

/**
 * A bar chart of labelled values (feature importances, per-class scores); bars start at 0 and
 * negative values go down. A non-finite value draws no bar (its label stays).
 * @example
 * barPlot({ labels: ['a', 'b'], values: [0.7, 0.3] }).match(/class="bar"/g).length; // 2
 * @throws ArgumentError if there are no bars or no finite value; ShapeError if labels and values differ in length.
 * @category Plots
 */
export function barPlot(data: BarData, options: BarPlotOptions = {}): string {
  const op = 'barPlot';
  const o = parseOptions(op, options, { ...PLOT_SPEC, annotate: bool, digits: int({ min: 0, max: 20 }), ticks: int({ min: 2, max: 50 }) });
  if (!isPlainObject(data)) throw new ArgumentError(`${op}: data must be an object { labels, values }, got ${describe(data)}`);
  const labels = arrayOf(str)(data.labels, 'data.labels', op);
  const values = numbers(op, 'data.values', data.values);
  if (labels.length !== values.length) throw new ShapeError(`${op}: data.labels has ${labels.length} entries but data.values has ${values.length}`);
  if (values.length === 0) throw new ArgumentError(`${op}: data has no bars`);
  const r = resolve(op, o);
  const a = areaOf(r);
  const fin = Array.from(values).filter(Number.isFinite);
  if (fin.length === 0) throw new ArgumentError(`${op}: no finite value to plot`);
  const y = linearScale([Math.min(0, ...fin), Math.max(0, ...fin)], [a.bottom, a.top], { count: o.ticks ?? 5 });
  const n = values.length, band = (a.right - a.left) / n, bw = band * 0.8;
  const annotate = o.annotate ?? n <= 20;
  const out: string[] = [];
  const y0 = y.map(0);
  out.push(yAxisOnly(r, a, y));
  out.push(`<g class="series" fill="${colour(r, 0)}">`);
  for (let i = 0; i < n; i++) {
    const v = values[i], cx = a.left + band * (i + 0.5);
    if (Number.isFinite(v)) {
      const yv = y.map(v);
      out.push(`<rect class="bar" data-index="${i}" x="${px(cx - bw / 2)}" y="${px(Math.min(yv, y0))}" width="${px(bw)}" height="${px(Math.abs(yv - y0))}"/>`);
      if (annotate) {
        const t = o.digits === undefined ? String(Number(v.toPrecision(3))) : v.toFixed(o.digits);
        out.push(`<text class="bar-value" x="${px(cx)}" y="${px(v >= 0 ? yv - 4 : yv + 4 + r.fontSize)}" text-anchor="middle" font-size="${px(r.fontSize - 1)}" fill="#333">${escapeXml(t)}</text>`);
      }
    }
  }
  out.push('</g>');
  out.push(`<line class="baseline" x1="${px(a.left)}" y1="${px(y0)}" x2="${px(a.right)}" y2="${px(y0)}" stroke="#333"/>`);
  out.push(categoryAxis(r, a, labels));
  return document(r, 'bar-plot', out.join('') + axisLabels(r, a));
}

function yAxisOnly(r: Resolved, a: Area, y: Scale): string {
  const out = [`<g class="axis y-axis" font-size="${px(r.fontSize)}" text-anchor="end">`];
  for (const t of y.ticks) {
    const p = px(y.map(t));
    out.push(`<line class="grid" x1="${px(a.left)}" y1="${p}" x2="${px(a.right)}" y2="${p}" stroke="#e5e5e5"/>`);
    out.push(`<g class="tick" data-value="${t}"><line x1="${px(a.left - 5)}" y1="${p}" x2="${px(a.left)}" y2="${p}" stroke="#333"/><text x="${px(a.left - 7)}" y="${p}" dy="0.35em">${escapeXml(formatNumber(t))}</text></g>`);
  }
  out.push(`<line class="domain" x1="${px(a.left)}" y1="${px(a.top)}" x2="${px(a.left)}" y2="${px(a.bottom)}" stroke="#333"/></g>`);
  return out.join('');
}

function formatNumber(v: number): string {
  return String(v === 0 ? 0 : Number(v.toPrecision(12)));
}

function categoryAxis(r: Resolved, a: Area, labels: readonly string[]): string {
  const band = (a.right - a.left) / labels.length;
  const rotate = labels.some((l) => [...l].length * r.fontSize * 0.6 > band);
  const out = [`<g class="axis x-axis" font-size="${px(r.fontSize)}" text-anchor="${rotate ? 'end' : 'middle'}">`];
  labels.forEach((l, i) => {
    const cx = px(a.left + band * (i + 0.5)), ty = px(a.bottom + 7 + r.fontSize);
    const tr = rotate ? ` transform="rotate(-35 ${cx} ${ty})"` : '';
    out.push(`<g class="tick"><line x1="${cx}" y1="${px(a.bottom)}" x2="${cx}" y2="${px(a.bottom + 5)}" stroke="#333"/><text x="${cx}" y="${ty}"${tr}>${escapeXml(l)}</text></g>`);
  });
  out.push('</g>');
  return out.join('');
}

/** Options of {@link histogramPlot}. @category Plots */
export interface HistogramPlotOptions extends XYPlotOptions {
  /** Number of equal-width bins (default 10). */
  bins?: number;
  /** The binned interval [lo, hi] (default: min and max of the finite values); values outside are not counted. */
  range?: readonly [number, number];
}

/**
 * Counts of values in equal-width bins (NumPy's `histogram`: bins closed on the left, the last
 * also on the right), drawn as adjacent bars. Non-finite values are not counted.
 * @example
 * histogramPlot([1, 2, 2, 3, 3, 3], { bins: 3 }).match(/class="bar"/g).length; // 3
 * @throws ArgumentError if there is no finite value or `bins` is not a positive integer.
 * @category Plots
 */
export function histogramPlot(values: ArrayLike<number>, options: HistogramPlotOptions = {}): string {
  const op = 'histogramPlot';
  const o = parseXY(op, options, {
    bins: posInt,
    range: (v, name, o2) => {
      const p = arrayOf(num(), { min: 2, max: 2 })(v, name, o2);
      if (!(p[0] < p[1])) throw new ArgumentError(`${o2}: ${name} must be [lo, hi] with lo < hi, got ${describe(v)}`);
      return p;
    },
  }) as ReturnType<typeof parseXY> & HistogramPlotOptions;
  if (o.yScale === 'log' || o.xScale === 'log') throw new ArgumentError(`${op}: log scales are not supported for histograms`);
  const v = Array.from(numbers(op, 'values', values)).filter(Number.isFinite);
  if (v.length === 0) throw new ArgumentError(`${op}: no finite value to plot`);
  const bins = o.bins ?? 10;
  let [lo, hi] = o.range ?? [Math.min(...v), Math.max(...v)];
  if (lo === hi) { lo -= 0.5; hi += 0.5; } // NumPy widens an empty range by 0.5 on each side
  const counts = new Array<number>(bins).fill(0);
  const w = (hi - lo) / bins;
  for (const e of v) {
    if (e < lo || e > hi) continue;
    counts[Math.min(bins - 1, Math.floor((e - lo) / w))]++;
  }
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * w));
  const f = xyFrame(op, { ...o, grid: o.grid ?? true }, o.xDomain === undefined ? [lo, hi] : [], o.yDomain === undefined ? [0, Math.max(...counts)] : []);
  const out: string[] = [`<g class="series" fill="${colour(f.r, 0)}" stroke="white">`];
  const y0 = f.y.map(Math.max(0, f.y.domain[0]));
  for (let i = 0; i < bins; i++) {
    const x0 = f.x.map(edges[i]), x1 = f.x.map(edges[i + 1]), yv = f.y.map(Math.min(counts[i], f.y.domain[1]));
    if (!(f.x.contains(edges[i]) && f.x.contains(edges[i + 1]))) continue;
    out.push(`<rect class="bar" data-count="${counts[i]}" x="${px(x0)}" y="${px(yv)}" width="${px(x1 - x0)}" height="${px(y0 - yv)}"/>`);
  }
  out.push('</g>');
  return finish(f, 'histogram-plot', out.join(''), []);
}

/** Options of {@link heatmapPlot}. @category Plots */
export interface HeatmapPlotOptions extends PlotOptions {
  /** Column labels (default 0 … columns − 1). */
  xLabels?: readonly string[];
  /** Row labels, top to bottom (default 0 … rows − 1). */
  yLabels?: readonly string[];
  /** Write each cell's value in it (default true up to 400 cells). */
  annotate?: boolean;
  /** Decimals of the annotations (default: integers as they are, others with 2 decimals). */
  digits?: number;
  /** Values mapped to the lightest and darkest colour (default: min and max of the finite cells). */
  colourRange?: readonly [number, number];
}

/**
 * A heatmap of a matrix (rows top to bottom): each cell coloured from pale grey-blue (low) to Okabe–Ito blue (high),
 * optionally labelled with its value. A non-finite cell is grey (#bbbbbb), labelled with its value, and left
 * out of the colour range.
 * @example
 * heatmapPlot([[1, 2], [3, 4]]).match(/class="cell"/g).length; // 4
 * @throws ArgumentError if the matrix is empty; ShapeError if its rows differ in length or the labels do not match its size.
 * @see {@link confusionMatrixPlot}
 * @category Plots
 */
export function heatmapPlot(matrix: readonly (readonly number[])[] | readonly ArrayLike<number>[], options: HeatmapPlotOptions = {}): string {
  return heatmap('heatmapPlot', matrix, options, 'heatmap-plot');
}

function heatmap(op: string, matrix: unknown, options: unknown, kind: string, defaults: Partial<HeatmapPlotOptions> = {}): string {
  const o = { ...defaults, ...parseOptions(op, options, { ...PLOT_SPEC, xLabels: arrayOf(str), yLabels: arrayOf(str), annotate: bool, digits: int({ min: 0, max: 20 }), colourRange: arrayOf(num(), { min: 2, max: 2 }) }) } as HeatmapPlotOptions;
  if (!Array.isArray(matrix)) throw new ArgumentError(`${op}: matrix must be an array of rows, got ${describe(matrix)}`);
  const rows = matrix.map((row, i) => numbers(op, `matrix[${i}]`, row));
  if (rows.length === 0 || rows[0].length === 0) throw new ArgumentError(`${op}: matrix is empty; it needs at least one row and one column`);
  const nc = rows[0].length;
  rows.forEach((row, i) => {
    if (row.length !== nc) throw new ShapeError(`${op}: matrix[${i}] has ${row.length} columns but matrix[0] has ${nc}`);
  });
  const nr = rows.length;
  const xl = o.xLabels ?? Array.from({ length: nc }, (_, i) => String(i));
  const yl = o.yLabels ?? Array.from({ length: nr }, (_, i) => String(i));
  if (xl.length !== nc) throw new ShapeError(`${op}: xLabels has ${xl.length} labels but the matrix has ${nc} columns`);
  if (yl.length !== nr) throw new ShapeError(`${op}: yLabels has ${yl.length} labels but the matrix has ${nr} rows`);
  const r = resolve(op, o as Record<string, unknown>);
  const a = areaOf(r);
  let lo = Infinity, hi = -Infinity;
  for (const row of rows) for (const v of row) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (o.colourRange !== undefined) [lo, hi] = o.colourRange;
  const cw = (a.right - a.left) / nc, ch = (a.bottom - a.top) / nr;
  const annotate = o.annotate ?? nr * nc <= 400;
  const out: string[] = ['<g class="cells">'];
  const fs = Math.max(6, Math.min(r.fontSize, ch * 0.45, cw * 0.3));
  for (let i = 0; i < nr; i++) {
    for (let j = 0; j < nc; j++) {
      const v = rows[i][j];
      const t = Number.isFinite(v) ? (hi > lo ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0.5) : NaN;
      const fill = Number.isNaN(t) ? '#bbbbbb' : blend(t);
      const x = a.left + j * cw, y = a.top + i * ch;
      out.push(`<rect class="cell" data-row="${i}" data-col="${j}" x="${px(x)}" y="${px(y)}" width="${px(cw)}" height="${px(ch)}" fill="${fill}" stroke="white"/>`);
      if (annotate) {
        const label = o.digits !== undefined ? v.toFixed(o.digits) : Number.isInteger(v) ? String(v) : Number.isFinite(v) ? v.toFixed(2) : String(v);
        out.push(`<text class="cell-label" x="${px(x + cw / 2)}" y="${px(y + ch / 2)}" dy="0.35em" text-anchor="middle" font-size="${px(fs)}" fill="${t > 0.55 ? 'white' : '#222'}">${escapeXml(label)}</text>`);
      }
    }
  }
  out.push('</g>');
  out.push(categoryAxis(r, a, xl));
  out.push(`<g class="axis y-axis" font-size="${px(r.fontSize)}" text-anchor="end">`);
  yl.forEach((l, i) => {
    const cy = px(a.top + ch * (i + 0.5));
    out.push(`<g class="tick"><text x="${px(a.left - 6)}" y="${cy}" dy="0.35em">${escapeXml(l)}</text></g>`);
  });
  out.push('</g>');
  return document(r, kind, out.join('') + axisLabels(r, a));
}

/** Pale grey-blue #eef3f8 (t = 0) to Okabe–Ito blue #0072B2 (t = 1). */
function blend(t: number): string {
  const lo = [0xee, 0xf3, 0xf8], hi = [0x00, 0x72, 0xb2];
  const c = lo.map((e, k) => Math.round(e + (hi[k] - e) * t));
  return `#${c.map((e) => e.toString(16).padStart(2, '0')).join('')}`;
}

/** Options of {@link confusionMatrixPlot}. @category Plots */
export interface ConfusionMatrixPlotOptions extends PlotOptions {
  /** Class names in the matrix's row/column order (default 0 … L − 1). */
  labels?: readonly string[];
  /** Write each cell's value in it (default true up to 400 cells). */
  annotate?: boolean;
  /** Decimals of the annotations (default: counts as integers, fractions with 2 decimals). */
  digits?: number;
}

/**
 * A confusion matrix from metrics' `confusionMatrix` (rows true labels, columns predicted) as a
 * labelled heatmap; x label "Predicted label", y label "True label" unless given.
 * @example
 * confusionMatrixPlot([[5, 1], [2, 7]], { labels: ['cat', 'dog'] }).includes('>7</text>'); // true
 * @throws ArgumentError if the matrix is empty; ShapeError if it is not square or `labels` does not match its size.
 * @category Plots
 */
export function confusionMatrixPlot(cm: readonly (readonly number[])[], options: ConfusionMatrixPlotOptions = {}): string {
  const op = 'confusionMatrixPlot';
  const { labels, ...rest } = parseOptions(op, options, { ...PLOT_SPEC, labels: arrayOf(str), annotate: bool, digits: int({ min: 0, max: 20 }) });
  if (Array.isArray(cm)) cm.forEach((row, i) => {
    if (isArrayLikeNumbers(row) && row.length !== cm.length) throw new ShapeError(`${op}: a confusion matrix is square; cm has ${cm.length} rows but cm[${i}] has ${row.length} columns`);
  });
  const names = labels ?? (Array.isArray(cm) ? cm.map((_, i) => String(i)) : undefined);
  if (names !== undefined && Array.isArray(cm) && names.length !== cm.length) throw new ShapeError(`${op}: labels has ${names.length} names but cm has ${cm.length} classes`);
  return heatmap(op, cm, { ...rest, xLabels: names, yLabels: names }, 'confusion-matrix-plot', { xLabel: 'Predicted label', yLabel: 'True label' });
}

/** Curves given to {@link rocPlot} / {@link prPlot}: one curve, or several by name. @category Plots */
export type Curves<C> = C | Readonly<Record<string, C>>;

function namedCurves<C>(op: string, curves: unknown, key: string): [string | undefined, C][] {
  if (!isPlainObject(curves)) throw new ArgumentError(`${op}: curves must be a curve object or an object of named curves, got ${describe(curves)}`);
  if (Object.hasOwn(curves, key)) return [[undefined, curves as C]];
  const e = Object.entries(curves);
  if (e.length === 0) throw new ArgumentError(`${op}: curves is empty; give at least one curve`);
  return e.map(([k, c]) => {
    if (!isPlainObject(c) || !Object.hasOwn(c, key)) throw new ArgumentError(`${op}: curves.${k} must be a curve with ${key}, got ${describe(c)}`);
    return [k, c as C];
  });
}

function areaOfPoints(x: Float64Array, y: Float64Array): number {
  const xs: number[] = [], ys: number[] = [];
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i]) && Number.isFinite(y[i])) { xs.push(x[i]); ys.push(y[i]); }
  if (xs.length < 2) return NaN;
  try {
    return auc(xs, ys);
  } catch {
    return NaN;
  }
}

function aucLabel(name: string | undefined, area: number): string {
  const a = Number.isFinite(area) ? area.toFixed(3) : 'n/a';
  return name === undefined ? `AUC = ${a}` : `${name} (AUC = ${a})`;
}

/**
 * ROC curves from metrics' `rocCurve` (one, or several by name), with the AUC of each in the
 * legend (trapezoidal, metrics' `auc`) and the chance diagonal dashed. Both axes span [0, 1].
 * @example
 * rocPlot({ fpr: [0, 0, 1], tpr: [0, 1, 1], thresholds: [2, 1, 0] }).includes('AUC = 1.000'); // true
 * @throws ArgumentError if `curves` is not a curve or an object of curves; ShapeError if a curve's fpr and tpr differ in length.
 * @category Plots
 */
export function rocPlot(curves: Curves<RocCurve>, options: XYPlotOptions = {}): string {
  const op = 'rocPlot';
  const o = parseXY(op, options);
  const cs = namedCurves<RocCurve>(op, curves, 'fpr');
  const series = cs.map(([name, c]) => checkSeries(op, [{ name, x: c.fpr, y: c.tpr }])[0]);
  return curvePlot(op, 'roc-plot', o, series, { xLabel: 'False positive rate', yLabel: 'True positive rate' }, true);
}

/**
 * Precision–recall curves from metrics' `precisionRecallCurve` (one, or several by name), recall
 * on x and precision on y, with the area under each (trapezoidal, metrics' `auc(recall,
 * precision)`) in the legend. Both axes span [0, 1].
 * @example
 * prPlot({ precision: [0.5, 1, 1], recall: [1, 0.5, 0], thresholds: [0, 1] }).includes('AUC = 0.875'); // true
 * @throws ArgumentError if `curves` is not a curve or an object of curves; ShapeError if a curve's precision and recall differ in length.
 * @category Plots
 */
export function prPlot(curves: Curves<PrecisionRecallCurve>, options: XYPlotOptions = {}): string {
  const op = 'prPlot';
  const o = parseXY(op, options);
  const cs = namedCurves<PrecisionRecallCurve>(op, curves, 'precision');
  const series = cs.map(([name, c]) => checkSeries(op, [{ name, x: c.recall, y: c.precision }])[0]);
  return curvePlot(op, 'pr-plot', o, series, { xLabel: 'Recall', yLabel: 'Precision' }, false);
}

function curvePlot(op: string, kind: string, o: ReturnType<typeof parseXY>, s: Checked[], labels: { xLabel: string; yLabel: string }, diagonal: boolean): string {
  const f = xyFrame(op, { ...labels, xDomain: [0, 1], yDomain: [0, 1], legendPosition: diagonal ? 'bottom-right' : 'bottom-left', ...o }, [], []);
  const { body, entries } = paths(f, s, (c) => aucLabel(c.name, areaOfPoints(c.x, c.y)));
  const diag = diagonal ? `<line class="chance" x1="${px(f.x.map(0))}" y1="${px(f.y.map(0))}" x2="${px(f.x.map(1))}" y2="${px(f.y.map(1))}" stroke="#888" stroke-dasharray="4 4"/>` : '';
  return finish(f, kind, diag + body, entries);
}
