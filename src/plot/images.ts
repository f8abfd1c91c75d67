import { ArgumentError, ShapeError, TensorkitError } from '../tensor/errors';
import { Tensor, tensor } from '../tensor/index';
import { arrayOf, bool, nonNeg, num, parseOptions, posInt, str, type Check } from '../tensor/options';
import { describe } from '../tensor/shape';
import { OKABE_ITO, PLOT_SPEC, document, escapeXml, legend, px, resolve, type LegendEntry, type Margin } from './svg';

// Images are drawn as embedded PNGs, not as one SVG <rect> per pixel: a 28×28 digit is 784 rects
// (about 50 KB of markup, with hairline seams between neighbours where the browser anti-aliases)
// but one <image> of about 1.2 KB (the PNG is 880 bytes, then base64). The PNG is written by the tiny
// encoder below: 8-bit greyscale or RGB, filter 0 on every row, the zlib stream made of stored
// (uncompressed) deflate blocks, so there is no compressor to write or trust; the browser scales
// it up with `image-rendering: pixelated`, which keeps every pixel a sharp square.

// ---------------------------------------------------------------------------------------------
// PNG

let crcTable: Uint32Array | null = null;

/** CRC-32 (ISO 3309, polynomial 0xEDB88320, reflected), PNG's chunk checksum. @internal */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Adler-32 (RFC 1950), the zlib stream's checksum. @internal */
export function adler32(bytes: Uint8Array): number {
  let a = 1, b = 0;
  for (let i = 0; i < bytes.length; i++) {
    a = (a + bytes[i]) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 BTYPE 00, at most 65 535 bytes each). */
function zlibStored(raw: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(raw.length / 65535));
  const out = new Uint8Array(2 + raw.length + 5 * blocks + 4);
  out[0] = 0x78; // CM 8 (deflate), CINFO 7 (32 KB window)
  out[1] = 0x01; // FLEVEL 0, no dictionary; (0x78·256 + 0x01) % 31 = 0
  let o = 2;
  for (let k = 0; k < blocks; k++) {
    const s = k * 65535, len = Math.min(65535, raw.length - s);
    out[o++] = k === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00
    out[o++] = len & 0xff;
    out[o++] = len >>> 8;
    out[o++] = ~len & 0xff;
    out[o++] = (~len >>> 8) & 0xff;
    out.set(raw.subarray(s, s + len), o);
    o += len;
  }
  const ad = adler32(raw);
  out[o++] = ad >>> 24;
  out[o++] = (ad >>> 16) & 0xff;
  out[o++] = (ad >>> 8) & 0xff;
  out[o] = ad & 0xff;
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/**
 * An uncompressed PNG of 8-bit pixels: `channels` 1 (greyscale) or 3 (RGB), `pixels` row-major
 * and interleaved (H·W·channels bytes). @internal
 */
export function encodePng(pixels: Uint8Array, width: number, height: number, channels: 1 | 3): Uint8Array {
  const row = width * channels;
  const raw = new Uint8Array(height * (row + 1));
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * row, (y + 1) * row), y * (row + 1) + 1); // filter byte 0: none
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 1 ? 0 : 2; // colour type: greyscale or truecolour
  const parts = [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), chunk('IHDR', ihdr), chunk('IDAT', zlibStored(raw)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding (no Buffer or btoa: the same in Node and browsers). @internal */
export function base64(bytes: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    s += B64[v >>> 18] + B64[(v >>> 12) & 63] + B64[(v >>> 6) & 63] + B64[v & 63];
  }
  if (i < bytes.length) {
    const v = (bytes[i] << 16) | ((i + 1 < bytes.length ? bytes[i + 1] : 0) << 8);
    s += B64[v >>> 18] + B64[(v >>> 12) & 63] + (i + 1 < bytes.length ? B64[(v >>> 6) & 63] : '=') + '=';
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Image data

/** Pixel data {@link imageGrid} and {@link boxesPlot} take: a tensor or nested arrays of numbers. @category Plots */
export type ImageLike = Tensor | readonly unknown[];

/** Options shared by the image plots: how values become grey levels or colours. @category Plots */
export interface ImageValueOptions {
  /**
   * Values drawn as black and white, `[lo, hi]`, or `'auto'` (default): [0, 1] when every finite
   * value lies in it, otherwise the smallest and largest finite value (over all images of a grid).
   * Values are clamped to the range; NaN is drawn as `lo`.
   */
  range?: 'auto' | readonly [number, number];
  /** Draw `lo` white and `hi` black (ink on paper) instead of black to white (default false). */
  invert?: boolean;
}

/** Images as a float array with their layout. */
interface Images {
  data: Float32Array;
  N: number;
  C: 1 | 3;
  H: number;
  W: number;
}

function asTensor(op: string, name: string, v: unknown): Tensor {
  if (v instanceof Tensor) return v;
  if (!Array.isArray(v)) throw new ArgumentError(`${op}: ${name} must be a Tensor or nested arrays of numbers, got ${describe(v)}`);
  try {
    return tensor(v as number[]);
  } catch (e) {
    if (e instanceof TensorkitError) throw new (e.constructor as new (m: string) => Error)(`${op}: ${name}: ${e.message}`);
    throw e;
  }
}

/** [N, C, H, W] or [N, H, W] (batch), or [C, H, W] or [H, W] (one image), C 1 or 3. */
function readImages(op: string, name: string, v: unknown, batch: boolean): Images {
  const t = asTensor(op, name, v);
  const s = t.shape;
  const what = batch ? '[N, C, H, W] or [N, H, W] with C 1 (grey) or 3 (RGB)' : '[C, H, W] or [H, W] with C 1 (grey) or 3 (RGB)';
  const full = batch ? (s.length === 4 ? s : s.length === 3 ? [s[0], 1, s[1], s[2]] : null) : (s.length === 3 ? [1, ...s] : s.length === 2 ? [1, 1, ...s] : null);
  if (full === null || (full[1] !== 1 && full[1] !== 3)) throw new ShapeError(`${op}: ${name} of shape [${s.join(', ')}] must be ${what}`);
  if (full[0] === 0 || full[2] === 0 || full[3] === 0) throw new ShapeError(`${op}: ${name} of shape [${s.join(', ')}] is empty`);
  return { data: t.data as Float32Array, N: full[0], C: full[1] as 1 | 3, H: full[2], W: full[3] };
}

const range: Check<'auto' | [number, number]> = (v, name, op) => {
  if (v === 'auto') return v;
  const p = arrayOf(num(), { min: 2, max: 2 })(v, name, op);
  if (!(p[0] < p[1])) throw new ArgumentError(`${op}: ${name} must be 'auto' or [lo, hi] with lo < hi, got ${describe(v)}`);
  return [p[0], p[1]];
};

function valueRange(data: Float32Array, given: 'auto' | readonly [number, number] | undefined): [number, number] {
  if (given !== undefined && given !== 'auto') return [given[0], given[1]];
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return [0, 1];
  if (lo >= 0 && hi <= 1) return [0, 1];
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

/** The PNG data URI of image n: values mapped through [lo, hi] to 0–255, channels interleaved. */
function pngUri(im: Images, n: number, lo: number, hi: number, invert: boolean): string {
  const { C, H, W } = im;
  const hw = H * W;
  const px8 = new Uint8Array(hw * C);
  const k = 255 / (hi - lo);
  const base = n * C * hw;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < hw; i++) {
      const v = im.data[base + c * hw + i];
      let b = v >= hi ? 255 : v > lo ? Math.round((v - lo) * k) : 0; // NaN fails both tests: lo
      if (invert) b = 255 - b;
      px8[i * C + c] = b;
    }
  }
  return `data:image/png;base64,${base64(encodePng(px8, W, H, C))}`;
}

function imageTag(uri: string, x: number, y: number, w: number, h: number, cls: string, extra = ''): string {
  return `<image class="${cls}"${extra} x="${px(x)}" y="${px(y)}" width="${px(w)}" height="${px(h)}" preserveAspectRatio="none" style="image-rendering:pixelated" href="${uri}"/>`;
}

// ---------------------------------------------------------------------------------------------
// imageGrid

/** Options of {@link imageGrid}. @category Plots */
export interface ImageGridOptions extends ImageValueOptions {
  /** Images per row (torchvision's `make_grid` nrow; default 8, or N when fewer). */
  nrow?: number;
  /** One caption under each image (escaped); a shorter list captions the first images. */
  labels?: readonly string[];
  /** Side in pixels of the longer edge of each drawn image (default 64). */
  cellSize?: number;
  /** Pixels between images (default 4). */
  gap?: number;
  /** Title above the grid (escaped). */
  title?: string;
  /** Font size of the captions in pixels (default 12; the title is 4 px larger). */
  fontSize?: number;
  /** Space around the grid: one number or some sides (default 10 on each side, top 40 with a title). */
  margin?: number | Partial<Margin>;
}

/**
 * A grid of images (generated samples, reconstructions, a batch) as an SVG string: `nrow` images
 * per row, each an embedded PNG scaled up with sharp pixels, with an optional caption under each.
 * Greyscale images (C = 1 or no channel axis) run from black (`lo`) to white (`hi`), RGB images
 * (C = 3) map each channel the same way; see {@link ImageValueOptions} for the value range.
 * Shapes: images (N, C, H, W) or (N, H, W), C 1 or 3.
 * @example
 * imageGrid([[[0, 1], [1, 0]], [[1, 1], [0, 0]]], { nrow: 2, labels: ['a', 'b'] }).match(/<image /g).length; // 2
 * @throws ShapeError if images is not (N, C, H, W) or (N, H, W) with C 1 or 3, or is empty; ArgumentError on a malformed option or more labels than images.
 * @category Plots
 */
export function imageGrid(images: ImageLike, options: ImageGridOptions = {}): string {
  const op = 'imageGrid';
  const o = parseOptions(op, options, {
    nrow: posInt, labels: arrayOf(str), cellSize: num({ min: 1, max: 1e4 }), gap: num({ min: 0, max: 1e4 }), title: PLOT_SPEC.title,
    fontSize: PLOT_SPEC.fontSize, margin: PLOT_SPEC.margin, range, invert: bool,
  });
  const im = readImages(op, 'images', images, true);
  const labels = o.labels ?? [];
  if (labels.length > im.N) throw new ArgumentError(`${op}: labels has ${labels.length} entries but there are ${im.N} images`);
  const [lo, hi] = valueRange(im.data, o.range);
  const nrow = Math.min(o.nrow ?? 8, im.N), rows = Math.ceil(im.N / nrow);
  const cell = o.cellSize ?? 64, gap = o.gap ?? 4, fs = o.fontSize ?? 12;
  const scale = cell / Math.max(im.H, im.W);
  const w = im.W * scale, h = im.H * scale;
  const capH = labels.length > 0 ? fs + 6 : 0;
  const m = o.margin;
  const mg: Margin = typeof m === 'number' ? { top: m, right: m, bottom: m, left: m } : { top: o.title === undefined ? 10 : 40, right: 10, bottom: 10, left: 10, ...m };
  const width = mg.left + mg.right + nrow * w + (nrow - 1) * gap;
  const height = mg.top + mg.bottom + rows * (h + capH) + (rows - 1) * gap;
  const r = resolve(op, { width, height, margin: mg, title: o.title, fontSize: fs });
  const out: string[] = [`<g class="images" font-size="${px(fs)}" text-anchor="middle">`];
  for (let n = 0; n < im.N; n++) {
    const x = mg.left + (n % nrow) * (w + gap), y = mg.top + Math.floor(n / nrow) * (h + capH + gap);
    out.push(imageTag(pngUri(im, n, lo, hi, o.invert ?? false), x, y, w, h, 'image', ` data-index="${n}"`));
    if (n < labels.length) out.push(`<text class="caption" x="${px(x + w / 2)}" y="${px(y + h + fs + 2)}">${escapeXml(labels[n])}</text>`);
  }
  out.push('</g>');
  return document(r, 'image-grid', out.join(''));
}

// ---------------------------------------------------------------------------------------------
// boxesPlot

/** Options of {@link boxesPlot}. @category Plots */
export interface BoxesPlotOptions extends ImageValueOptions {
  /** One score per box, written after its class name (2 decimals). */
  scores?: ArrayLike<number> | Tensor;
  /** Class names by label index (default: the index itself). */
  classNames?: readonly string[];
  /** Width in pixels of the drawn image (default: the image scaled to a longer side of 400). */
  width?: number;
  /** Title above the image (escaped). */
  title?: string;
  /** Font size of the box captions in pixels (default 12; the title is 4 px larger). */
  fontSize?: number;
  /** Class colours, by label index, cycled (default {@link OKABE_ITO}). */
  palette?: readonly string[];
  /** Stroke width of the boxes in pixels (default 2). */
  lineWidth?: number;
  /** A legend of the classes present (default true when classNames is given). */
  legend?: boolean;
}

function numbersOf(op: string, name: string, v: unknown): Float64Array {
  if (v instanceof Tensor) return Float64Array.from(v.data as Float32Array);
  if (!(Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView)))) throw new ArgumentError(`${op}: ${name} must be a Tensor or an array of numbers, got ${describe(v)}`);
  const a = v as ArrayLike<unknown>;
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const e = a[i];
    if (typeof e !== 'number') throw new ArgumentError(`${op}: ${name}[${i}] must be a number, got ${describe(e)}`);
    out[i] = e;
  }
  return out;
}

/** Black or white, whichever reads better on the colour `#rrggbb` (WCAG relative luminance). */
function textOn(hex: string): string {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (m === null) return 'white';
  const lin = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const v = parseInt(m[1], 16);
  const L = 0.2126 * lin((v >> 16) / 255) + 0.7152 * lin(((v >> 8) & 255) / 255) + 0.0722 * lin((v & 255) / 255);
  // Contrast with white (1.05 / (L + 0.05)) against with black ((L + 0.05) / 0.05).
  return 1.05 / (L + 0.05) >= (L + 0.05) / 0.05 ? 'white' : 'black';
}

/**
 * An image with detection boxes drawn on it (torchvision's `draw_bounding_boxes`, as SVG): each
 * box an outline in its class's colour with a caption tab above it, `className score`. Boxes are
 * xyxy in the image's pixel coordinates (x right, y down, as `boxIou` and `nms` take them) and are
 * clipped to the image; a box with a non-finite coordinate is not drawn.
 * Shapes: image (C, H, W) or (H, W), C 1 or 3; boxes (K, 4); labels (K); scores (K).
 * @example
 * boxesPlot(zeros([1, 8, 8]), [[1, 1, 5, 6]], [0], { classNames: ['cat'], scores: [0.9] }).includes('cat 0.90'); // true
 * @throws ShapeError if image is not (C, H, W) or (H, W), boxes not (K, 4), or labels or scores not of length K;
 * ArgumentError for a box with x1 > x2 or y1 > y2, a label that is not an integer ≥ 0 (or has no class name), or a malformed option.
 * @category Plots
 */
export function boxesPlot(image: ImageLike, boxes: Tensor | readonly (readonly number[])[], labels: ArrayLike<number> | Tensor, options: BoxesPlotOptions = {}): string {
  const op = 'boxesPlot';
  const o = parseOptions(op, options, {
    scores: (v: unknown) => v, classNames: arrayOf(str), width: num({ min: 1, max: 1e5 }), title: PLOT_SPEC.title, fontSize: PLOT_SPEC.fontSize,
    palette: PLOT_SPEC.palette, lineWidth: nonNeg, legend: bool, range, invert: bool,
  });
  const im = readImages(op, 'image', image, false);
  const bt = boxes instanceof Tensor ? boxes : Array.isArray(boxes) && boxes.length === 0 ? new Tensor(new Float32Array(0), [0, 4]) : asTensor(op, 'boxes', boxes);
  if (bt.ndim !== 2 || bt.shape[1] !== 4) throw new ShapeError(`${op}: boxes of shape [${bt.shape.join(', ')}] must be [K, 4] (x1, y1, x2, y2)`);
  const K = bt.shape[0];
  const lab = numbersOf(op, 'labels', labels);
  if (lab.length !== K) throw new ShapeError(`${op}: labels has ${lab.length} entries but boxes has ${K}`);
  const scores = o.scores === undefined ? null : numbersOf(op, 'scores', o.scores);
  if (scores !== null && scores.length !== K) throw new ShapeError(`${op}: scores has ${scores.length} entries but boxes has ${K}`);
  const names = o.classNames;
  const palette = o.palette ?? OKABE_ITO;
  for (let k = 0; k < K; k++) {
    const l = lab[k];
    if (!(Number.isInteger(l) && l >= 0)) throw new ArgumentError(`${op}: labels[${k}] must be an integer ≥ 0 (a class index), got ${describe(l)}`);
    if (names !== undefined && l >= names.length) throw new ArgumentError(`${op}: labels[${k}] = ${l} has no entry in classNames (${names.length} names)`);
    const b = bt.data;
    if (b[4 * k] > b[4 * k + 2] || b[4 * k + 1] > b[4 * k + 3]) {
      throw new ArgumentError(`${op}: boxes[${k}] = [${Array.from(b.subarray(4 * k, 4 * k + 4)).join(', ')}] must be xyxy with x1 ≤ x2 and y1 ≤ y2`);
    }
  }
  const fs = o.fontSize ?? 12;
  const dw = o.width ?? (400 * im.W) / Math.max(im.H, im.W);
  const scale = dw / im.W, dh = im.H * scale;
  const showLegend = o.legend ?? names !== undefined;
  const present: number[] = [];
  for (let k = 0; k < K; k++) if (!present.includes(lab[k]) && Array.from(bt.data.subarray(4 * k, 4 * k + 4)).every(Number.isFinite)) present.push(lab[k]);
  present.sort((a, b) => a - b);
  const nameOf = (l: number) => (names === undefined ? String(l) : names[l]);
  // The legend goes right of the image (legend()'s top-right corner of an area reaching the SVG's edge), never over it.
  const legendW = showLegend && present.length > 0 ? 34 + Math.max(...present.map((l) => [...nameOf(l)].length)) * fs * 0.6 + 16 : 0;
  const mg: Margin = { top: o.title === undefined ? 10 : 40, right: 10 + legendW, bottom: 10, left: 10 };
  const r = resolve(op, { width: dw + mg.left + mg.right, height: dh + mg.top + mg.bottom, margin: mg, title: o.title, fontSize: fs, palette, legendPosition: 'top-right' });
  const [lo, hi] = valueRange(im.data, o.range);
  const out: string[] = [imageTag(pngUri(im, 0, lo, hi, o.invert ?? false), mg.left, mg.top, dw, dh, 'image')];
  const lw = o.lineWidth ?? 2;
  const clampX = (v: number) => mg.left + Math.min(dw, Math.max(0, v * scale));
  const clampY = (v: number) => mg.top + Math.min(dh, Math.max(0, v * scale));
  out.push(`<g class="boxes" font-size="${px(fs)}">`);
  for (let k = 0; k < K; k++) {
    const [x1, y1, x2, y2] = bt.data.subarray(4 * k, 4 * k + 4);
    if (![x1, y1, x2, y2].every(Number.isFinite)) continue;
    const l = lab[k];
    const col = palette[l % palette.length];
    const c = escapeXml(col);
    const X1 = clampX(x1), Y1 = clampY(y1), X2 = clampX(x2), Y2 = clampY(y2);
    const name = nameOf(l);
    const text = scores === null ? name : `${name} ${Number.isFinite(scores[k]) ? scores[k].toFixed(2) : String(scores[k])}`;
    const tw = [...text].length * fs * 0.6 + 6, th = fs + 4;
    // The caption tab sits above the box, or inside its top edge when the box touches the image top.
    const ty = Y1 - th >= mg.top ? Y1 - th : Y1;
    const tx = Math.min(X1, Math.max(mg.left, mg.left + dw - tw));
    out.push(`<g class="box" data-index="${k}" data-label="${l}">`
      + `<rect x="${px(X1)}" y="${px(Y1)}" width="${px(X2 - X1)}" height="${px(Y2 - Y1)}" fill="none" stroke="${c}" stroke-width="${px(lw)}"/>`
      + `<rect class="caption-tab" x="${px(tx)}" y="${px(ty)}" width="${px(tw)}" height="${px(th)}" fill="${c}"/>`
      + `<text class="caption" x="${px(tx + 3)}" y="${px(ty + th / 2)}" dy="0.35em" fill="${textOn(col)}">${escapeXml(text)}</text></g>`);
  }
  out.push('</g>');
  if (legendW > 0) {
    const entries: LegendEntry[] = present.map((l) => ({ name: nameOf(l), colour: escapeXml(palette[l % palette.length]), kind: 'rect' }));
    out.push(legend(r, { left: mg.left + dw, top: mg.top - 8, right: r.width, bottom: mg.top + dh }, entries));
  }
  return document(r, 'boxes-plot', out.join(''));
}
