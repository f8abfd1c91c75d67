// How a tensor prints: PyTorch's `str(tensor)` (torch/_tensor_str.py, version 1.13) with its
// default print options, reproduced for float32 data. Internal: Tensor.toString() and Node's
// util.inspect call formatTensor.

/** PyTorch's default print options (torch.set_printoptions): precision, threshold, edgeitems, linewidth. */
const PRECISION = 4, THRESHOLD = 1000, EDGE = 3, LINEWIDTH = 80;

/** What formatTensor reads of a tensor. */
export interface Printable {
  /** The values, row-major. */
  data: Float32Array;
  /** The dimensions. */
  shape: readonly number[];
  /** A leaf that gradients flow to: `requires_grad=True` is shown. */
  requiresGrad: boolean;
  /** The op that made a recorded non-leaf tensor (shown as `grad_fn=<op>`), or null. */
  gradFn: string | null;
  /** A Parameter: the text starts `Parameter containing:` as PyTorch's repr of nn.Parameter. */
  parameter: boolean;
}

function nonFinite(x: number): string {
  return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
}

/**
 * `|x|` with `f` decimals, rounded as Python's `'{:.Nf}'` rounds: to nearest, an exact tie to the
 * even digit (JavaScript's toFixed rounds a tie away from zero, e.g. 0.03125 → 0.0313 where Python
 * writes 0.0312). `|x| < 1e21`.
 */
function fixedAbs(a: number, f: number): string {
  const s = a.toFixed(f);
  // The exact decimal expansion of a double ≥ 2⁻¹⁴ has at most 37 fractional digits beyond the
  // integer part (float32 inputs); 40 more digits show whether the rest is exactly one half.
  const exact = a.toFixed(Math.min(100, f + 40));
  const cut = exact.indexOf('.') + (f === 0 ? 0 : 1) + f;
  const rest = exact.slice(f === 0 ? cut + 1 : cut);
  if (!/^50*$/.test(rest)) return s;
  const down = exact.slice(0, cut);
  const last = down.charCodeAt(down.length - 1) - 48;
  return last % 2 === 0 ? down : s;
}

/** `x` as Python's `'{:.Nf}'.format(x)`: 'nan', 'inf', '-inf'; a minus sign on −0 too. */
export function pyFixed(x: number, f: number): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  const neg = x < 0 || Object.is(x, -0);
  return (neg ? '-' : '') + fixedAbs(Math.abs(x), f);
}

/** `x` as Python's `'{:.Ne}'.format(x)`: a two-digit (or longer) exponent with its sign, ties to even. */
export function pyExp(x: number, f: number): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let s = a.toExponential(f);
  const exact = a.toExponential(100);
  const [mant, exp] = exact.split('e');
  const cut = f === 0 ? 1 : 2 + f;
  const rest = mant.slice(f === 0 ? 2 : cut);
  if (/^50*$/.test(rest)) {
    const down = mant.slice(0, cut);
    if ((down.charCodeAt(down.length - 1) - 48) % 2 === 0) s = `${down}e${exp}`;
  }
  const m = /^(.*)e([+-])(\d+)$/.exec(s)!;
  return `${neg ? '-' : ''}${m[1]}e${m[2]}${m[3].padStart(2, '0')}`;
}

/** torch._tensor_str._Formatter for a floating tensor: the mode and width chosen from the values printed. */
class Formatter {
  intMode = true;
  sciMode = false;
  maxWidth = 1;

  constructor(values: ArrayLike<number>) {
    let min = Infinity, max = 0, found = false;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === 0 || !Number.isFinite(v)) continue;
      found = true;
      const a = Math.abs(v);
      if (a < min) min = a;
      if (a > max) max = a;
      if (this.intMode && v !== Math.ceil(v)) this.intMode = false;
    }
    if (!found) return;
    this.sciMode = max / min > 1000 || max > 1e8 || (!this.intMode && min < 1e-4);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === 0 || !Number.isFinite(v)) continue;
      const len = this.sciMode ? pyExp(v, PRECISION).length : this.intMode ? pyFixed(v, 0).length + 1 : pyFixed(v, PRECISION).length;
      if (len > this.maxWidth) this.maxWidth = len;
    }
  }

  format(v: number): string {
    let s: string;
    if (this.sciMode) s = pyExp(v, PRECISION);
    else if (this.intMode) s = Number.isFinite(v) ? `${pyFixed(v, 0)}.` : nonFinite(v);
    else s = pyFixed(v, PRECISION);
    return s.padStart(this.maxWidth);
  }
}

/**
 * The flat indices of the elements that print, in order: every element, or with `summarize` the
 * first and last EDGE of every dimension longer than 2·EDGE (torch's get_summarized_data).
 */
function printedValues(data: Float32Array, shape: readonly number[], summarize: boolean): Float32Array {
  const out: number[] = [];
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const walk = (d: number, offset: number): void => {
    if (d === shape.length) {
      out.push(data[offset]);
      return;
    }
    const n = shape[d];
    const idx = summarize && n > 2 * EDGE ? [0, 1, 2, n - 3, n - 2, n - 1] : Array.from({ length: n }, (_, i) => i);
    for (const i of idx) walk(d + 1, offset + i * strides[d]);
  };
  walk(0, 0);
  return Float32Array.from(out);
}

/** torch's _tensor_str_with_formatter: nested brackets, rows aligned by the formatter's width. */
function body(data: Float32Array, shape: readonly number[], offset: number, d: number, indent: number, summarize: boolean, fmt: Formatter): string {
  const ndim = shape.length - d;
  if (ndim === 0) return fmt.format(data[offset]);
  const n = shape[d];
  const stride = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const cut = summarize && n > 2 * EDGE;
  if (ndim === 1) {
    const perLine = Math.max(1, Math.floor((LINEWIDTH - indent) / (fmt.maxWidth + 2)));
    const items: string[] = [];
    for (let i = 0; i < n; i++) {
      if (cut && i === EDGE) {
        items.push(' ...');
        i = n - EDGE - 1;
        continue;
      }
      items.push(fmt.format(data[offset + i]));
    }
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
    return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
  }
  const slices: string[] = [];
  for (let i = 0; i < n; i++) {
    if (cut && i === EDGE) {
      slices.push('...');
      i = n - EDGE - 1;
      continue;
    }
    slices.push(body(data, shape, offset + i * stride, d + 1, indent + 1, summarize, fmt));
  }
  return `[${slices.join(`,${'\n'.repeat(ndim - 1)}${' '.repeat(indent + 1)}`)}]`;
}

/**
 * A tensor as PyTorch 1.13 prints it with the default options (`str(t)`): `tensor(` then nested
 * rows aligned in columns, 4 decimals in fixed notation, or scientific notation when the largest
 * and smallest nonzero magnitudes differ by more than 1000×, the largest is above 1e8 or the
 * smallest below 1e-4; integer-valued data prints as `1.` without decimals; past 1,000 elements
 * only the first and last 3 of each dimension print, with `...` between; then the suffixes
 * `requires_grad=True` (a leaf) or `grad_fn=<op>` (recorded; tensorkit's op name), and
 * `size=(…)` for an empty tensor of more than one dimension. A Parameter starts
 * `Parameter containing:` as nn.Parameter does.
 */
export function formatTensor(t: Printable): string {
  const prefix = 'tensor(';
  const indent = prefix.length;
  const suffixes: string[] = [];
  let text: string;
  if (t.data.length === 0) {
    if (t.shape.length !== 1) suffixes.push(`size=(${t.shape.join(', ')}${t.shape.length === 1 ? ',' : ''})`);
    text = '[]';
  } else {
    const summarize = t.data.length > THRESHOLD;
    const fmt = new Formatter(summarize ? printedValues(t.data, t.shape, true) : t.data);
    text = body(t.data, t.shape, 0, 0, indent, summarize, fmt);
  }
  if (t.gradFn !== null) suffixes.push(`grad_fn=<${t.gradFn}>`);
  else if (t.requiresGrad) suffixes.push('requires_grad=True');
  // torch's _add_suffixes, including its measure of the last line (one more than its length,
  // or two more when there is a single line).
  let s = prefix + text;
  let last = s.length - s.lastIndexOf('\n') + 1;
  for (const suf of suffixes) {
    if (last + suf.length + 2 > LINEWIDTH) {
      s += `,\n${' '.repeat(indent)}${suf}`;
      last = indent + suf.length;
    } else {
      s += `, ${suf}`;
      last += suf.length + 2;
    }
  }
  s += ')';
  return t.parameter ? `Parameter containing:\n${s}` : s;
}
