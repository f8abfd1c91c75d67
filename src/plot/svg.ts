import { ArgumentError } from '../tensor/errors';
import { arrayOf, bool, int, isPlainObject, nonNeg, num, oneOf, parseOptions, str, type Check } from '../tensor/options';
import { describe } from '../tensor/shape';
import { formatTick, linearScale, logScale, type Scale } from './scale';

/**
 * The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), distinguishable with the
 * common colour-vision deficiencies; black last. Series take colours in this order, cycling.
 * @category Plots
 */
export const OKABE_ITO: readonly string[] = Object.freeze(['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000']);

/**
 * Escapes text for XML character data and attribute values: `&`, `<`, `>`, `"` and `'` become
 * entities, and characters XML 1.0 forbids (C0 controls other than tab, newline and carriage
 * return; lone surrogates) are dropped. Every user string (titles, labels, names) goes through it.
 * @example
 * escapeXml('<script>&'); // '&lt;script&gt;&amp;'
 * @category Plots
 */
export function escapeXml(text: string): string {
  return String(text)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Margins around the plot area, in pixels. @category Plots */
export interface Margin {
  /** Above the plot area (the title goes here). */
  top: number;
  /** Right of the plot area (the legend goes inside the plot area, top right). */
  right: number;
  /** Below the plot area (x tick labels and the x label). */
  bottom: number;
  /** Left of the plot area (y tick labels and the y label). */
  left: number;
}

/** Options every chart takes. @category Plots */
export interface PlotOptions {
  /** Width of the SVG in pixels (default 640). */
  width?: number;
  /** Height of the SVG in pixels (default 400). */
  height?: number;
  /** Margins around the plot area: one number for all four sides or some of {@link Margin}'s sides (default top 40, right 20, bottom 50, left 60). */
  margin?: number | Partial<Margin>;
  /** Title above the plot area (escaped). */
  title?: string;
  /** Label under the x axis (escaped). */
  xLabel?: string;
  /** Label left of the y axis, rotated (escaped). */
  yLabel?: string;
  /** Draw the legend (default: when at least one series has a name). */
  legend?: boolean;
  /** Corner of the plot area the legend sits in (default `'top-right'`; ROC plots `'bottom-right'`, PR plots `'bottom-left'`). */
  legendPosition?: 'top-right' | 'top-left' | 'bottom-right' | 'bottom-left';
  /** Series colours, cycled (default {@link OKABE_ITO}); CSS colour strings, escaped. */
  palette?: readonly string[];
  /** Font size of tick labels in pixels (default 12; titles are 4 px larger). */
  fontSize?: number;
}

/** Options of charts with two numeric axes. @category Plots */
export interface XYPlotOptions extends PlotOptions {
  /** Scale of the x axis (default `'linear'`); a log axis draws values ≥ 1e-300 only (not 0, negatives or subnormals). */
  xScale?: 'linear' | 'log';
  /** Scale of the y axis (default `'linear'`); a log axis draws values ≥ 1e-300 only. */
  yScale?: 'linear' | 'log';
  /** The x interval shown, [lo, hi] (default: the data, widened to nice ticks). Points outside are skipped. */
  xDomain?: readonly [number, number];
  /** The y interval shown, [lo, hi] (default: the data, widened to nice ticks). Points outside are skipped. */
  yDomain?: readonly [number, number];
  /** About how many ticks per linear axis (default 5). */
  ticks?: number;
  /** Draw light grid lines at the ticks (default true). */
  grid?: boolean;
}

const margin: Check<number | Partial<Margin>> = (v, name, op) => {
  if (typeof v === 'number') return nonNeg(v, name, op);
  if (!isPlainObject(v)) throw new ArgumentError(`${op}: ${name} must be a number ≥ 0 or an object of top, right, bottom, left, got ${describe(v)}`);
  return parseOptions(op, v, { top: nonNeg, right: nonNeg, bottom: nonNeg, left: nonNeg }) as Partial<Margin>;
};

const domain: Check<[number, number]> = (v, name, op) => {
  const p = arrayOf(num(), { min: 2, max: 2 })(v, name, op);
  if (!(p[0] < p[1])) throw new ArgumentError(`${op}: ${name} must be [lo, hi] with lo < hi, got ${describe(v)}`);
  return [p[0], p[1]];
};

/** The smallest value a log axis draws (10⁻³⁰⁰: below it powers of ten are subnormal or 0). @internal */
export const LOG_MIN = 1e-300;

/** The option checks shared by all charts. @internal */
export const PLOT_SPEC = {
  width: num({ min: 1, max: 1e5 }),
  height: num({ min: 1, max: 1e5 }),
  margin,
  title: str,
  xLabel: str,
  yLabel: str,
  legend: bool,
  legendPosition: oneOf(['top-right', 'top-left', 'bottom-right', 'bottom-left'] as const),
  palette: arrayOf(str, { min: 1 }),
  fontSize: num({ min: 1, max: 200 }),
};

/** The option checks of charts with two numeric axes. @internal */
export const XY_SPEC = {
  ...PLOT_SPEC,
  xScale: oneOf(['linear', 'log'] as const),
  yScale: oneOf(['linear', 'log'] as const),
  xDomain: domain,
  yDomain: domain,
  ticks: int({ min: 2, max: 50 }),
  grid: bool,
};

/** The resolved shared options. @internal */
export interface Resolved {
  width: number;
  height: number;
  margin: Margin;
  title: string | undefined;
  xLabel: string | undefined;
  yLabel: string | undefined;
  legend: boolean | undefined;
  legendPosition: NonNullable<PlotOptions['legendPosition']>;
  palette: readonly string[];
  fontSize: number;
}

/** Applies the defaults to parsed shared options and checks the plot area is not empty. @internal */
export function resolve(op: string, o: Partial<Record<keyof PlotOptions, unknown>>): Resolved {
  const m = o.margin;
  const base: Margin = { top: 40, right: 20, bottom: 50, left: 60 };
  const mg: Margin = typeof m === 'number' ? { top: m, right: m, bottom: m, left: m } : { ...base, ...(m as Partial<Margin> | undefined) };
  const r: Resolved = {
    width: (o.width as number | undefined) ?? 640,
    height: (o.height as number | undefined) ?? 400,
    margin: mg,
    title: o.title as string | undefined,
    xLabel: o.xLabel as string | undefined,
    yLabel: o.yLabel as string | undefined,
    legend: o.legend as boolean | undefined,
    legendPosition: (o.legendPosition as Resolved['legendPosition'] | undefined) ?? 'top-right',
    palette: (o.palette as string[] | undefined) ?? OKABE_ITO,
    fontSize: (o.fontSize as number | undefined) ?? 12,
  };
  if (r.width - mg.left - mg.right <= 0 || r.height - mg.top - mg.bottom <= 0) {
    throw new ArgumentError(`${op}: the margins leave no plot area (width ${r.width}, height ${r.height}, margin ${describe(mg)})`);
  }
  return r;
}

/** The plot area in pixels. @internal */
export interface Area {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** The plot area of resolved options. @internal */
export function areaOf(r: Resolved): Area {
  return { left: r.margin.left, top: r.margin.top, right: r.width - r.margin.right, bottom: r.height - r.margin.bottom };
}

/** A pixel coordinate with at most 2 decimals (no -0). @internal */
export function px(v: number): string {
  const r = Math.round(v * 100) / 100;
  return String(r === 0 ? 0 : r);
}

/** The colour of series i. @internal */
export function colour(r: Resolved, i: number): string {
  return escapeXml(r.palette[i % r.palette.length]);
}

/** Builds the scale of one numeric axis from the finite values shown on it. @internal */
export function makeScale(op: string, axis: 'x' | 'y', values: number[], type: 'linear' | 'log', given: readonly [number, number] | undefined, range: [number, number], ticks: number): Scale {
  if (given !== undefined) {
    if (type === 'log' && given[0] <= 0) throw new ArgumentError(`${op}: ${axis}Domain must be > 0 on a log axis, got ${describe(given)}`);
    return type === 'log' ? logScale(given, range, { nice: false }) : linearScale(given, range, { nice: false, count: ticks });
  }
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (type === 'log' && !(v >= LOG_MIN))) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) throw new ArgumentError(`${op}: no finite ${axis} value${type === 'log' ? ' ≥ 1e-300' : ''} to plot`);
  return type === 'log' ? logScale([lo, hi], range) : linearScale([lo, hi], range, { count: ticks });
}

/** The two numeric axes: ticks, tick labels, optional grid, axis labels. @internal */
export function axes(r: Resolved, a: Area, x: Scale, y: Scale, grid: boolean): string {
  const f = r.fontSize;
  const out: string[] = [];
  out.push(`<g class="axis x-axis" font-size="${px(f)}" text-anchor="middle">`);
  for (const t of x.ticks) {
    const p = px(x.map(t));
    if (grid) out.push(`<line class="grid" x1="${p}" y1="${px(a.top)}" x2="${p}" y2="${px(a.bottom)}" stroke="#e5e5e5"/>`);
    out.push(`<g class="tick" data-value="${t}"><line x1="${p}" y1="${px(a.bottom)}" x2="${p}" y2="${px(a.bottom + 5)}" stroke="#333"/><text x="${p}" y="${px(a.bottom + 7 + f)}">${escapeXml(formatTick(t))}</text></g>`);
  }
  out.push(`<line class="domain" x1="${px(a.left)}" y1="${px(a.bottom)}" x2="${px(a.right)}" y2="${px(a.bottom)}" stroke="#333"/>`);
  out.push('</g>');
  out.push(`<g class="axis y-axis" font-size="${px(f)}" text-anchor="end">`);
  for (const t of y.ticks) {
    const p = px(y.map(t));
    if (grid) out.push(`<line class="grid" x1="${px(a.left)}" y1="${p}" x2="${px(a.right)}" y2="${p}" stroke="#e5e5e5"/>`);
    out.push(`<g class="tick" data-value="${t}"><line x1="${px(a.left - 5)}" y1="${p}" x2="${px(a.left)}" y2="${p}" stroke="#333"/><text x="${px(a.left - 7)}" y="${p}" dy="0.35em">${escapeXml(formatTick(t))}</text></g>`);
  }
  out.push(`<line class="domain" x1="${px(a.left)}" y1="${px(a.top)}" x2="${px(a.left)}" y2="${px(a.bottom)}" stroke="#333"/>`);
  out.push('</g>');
  out.push(axisLabels(r, a));
  return out.join('');
}

/** The x and y axis labels. @internal */
export function axisLabels(r: Resolved, a: Area): string {
  const out: string[] = [];
  const f = r.fontSize;
  if (r.xLabel !== undefined) out.push(`<text class="x-label" x="${px((a.left + a.right) / 2)}" y="${px(r.height - 8)}" text-anchor="middle" font-size="${px(f + 1)}">${escapeXml(r.xLabel)}</text>`);
  if (r.yLabel !== undefined) {
    const cx = px(14), cy = px((a.top + a.bottom) / 2);
    out.push(`<text class="y-label" x="${cx}" y="${cy}" transform="rotate(-90 ${cx} ${cy})" text-anchor="middle" font-size="${px(f + 1)}">${escapeXml(r.yLabel)}</text>`);
  }
  return out.join('');
}

/** One legend entry. @internal */
export interface LegendEntry {
  name: string;
  colour: string;
  kind: 'line' | 'point' | 'rect';
  dash?: string;
}

/** The legend box in the top right corner of the plot area. @internal */
export function legend(r: Resolved, a: Area, entries: LegendEntry[]): string {
  if (entries.length === 0) return '';
  const f = r.fontSize, row = f + 6;
  const widest = Math.max(...entries.map((e) => [...e.name].length));
  const w = 34 + widest * f * 0.6, h = entries.length * row + 8;
  const pos = r.legendPosition;
  const x0 = pos.endsWith('right') ? a.right - w - 8 : a.left + 8;
  const y0 = pos.startsWith('top') ? a.top + 8 : a.bottom - h - 8;
  const out = [`<g class="legend" font-size="${px(f)}"><rect x="${px(x0)}" y="${px(y0)}" width="${px(w)}" height="${px(h)}" fill="white" fill-opacity="0.85" stroke="#999"/>`];
  entries.forEach((e, i) => {
    const cy = y0 + 4 + row * i + row / 2;
    let mark: string;
    if (e.kind === 'line') mark = `<line x1="${px(x0 + 6)}" y1="${px(cy)}" x2="${px(x0 + 24)}" y2="${px(cy)}" stroke="${e.colour}" stroke-width="2"${e.dash ? ` stroke-dasharray="${e.dash}"` : ''}/>`;
    else if (e.kind === 'point') mark = `<circle cx="${px(x0 + 15)}" cy="${px(cy)}" r="4" fill="${e.colour}"/>`;
    else mark = `<rect x="${px(x0 + 9)}" y="${px(cy - 5)}" width="12" height="10" fill="${e.colour}"/>`;
    out.push(`<g class="legend-entry">${mark}<text x="${px(x0 + 30)}" y="${px(cy)}" dy="0.35em">${escapeXml(e.name)}</text></g>`);
  });
  out.push('</g>');
  return out.join('');
}

/** Wraps the body in the `<svg>` element with a background and the title. @internal */
export function document(r: Resolved, kind: string, body: string): string {
  const t = r.title === undefined ? '' : escapeXml(r.title);
  const head = `<svg xmlns="http://www.w3.org/2000/svg" class="tensorkit-plot ${kind}" width="${px(r.width)}" height="${px(r.height)}" viewBox="0 0 ${px(r.width)} ${px(r.height)}" font-family="system-ui, sans-serif" role="img"${r.title === undefined ? '' : ` aria-label="${t}"`}>`;
  const title = r.title === undefined ? '' : `<title>${t}</title>`;
  const bg = `<rect class="background" width="${px(r.width)}" height="${px(r.height)}" fill="white"/>`;
  const heading = r.title === undefined ? '' : `<text class="title" x="${px(r.width / 2)}" y="${px(Math.max(r.fontSize + 4, r.margin.top / 2 + 6))}" text-anchor="middle" font-size="${px(r.fontSize + 4)}" font-weight="bold">${t}</text>`;
  return `${head}${title}${bg}${heading}${body}</svg>`;
}
