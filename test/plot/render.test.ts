// Every chart of tensorkit/plot rendered by headless Chromium: each SVG string is loaded as an
// <img> from a data:image/svg+xml URL (so the browser's strict XML parser reads it, as it would a
// .svg file); one full-page screenshot is decoded (test/plot/png.ts) and cut into the charts by
// their boxes, and each is checked not to be blank: enough non-white pixels, and the colour the
// chart must show (its series colour, the image pixels, a box). The crops go to
// test/plot/screenshots/ (ignored by git) to look at.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { confusionMatrix, precisionRecallCurve, rocCurve } from '../../src/metrics/index';
import {
  OKABE_ITO, barPlot, boxesPlot, confusionMatrixPlot, heatmapPlot, histogramPlot, imageGrid, linePlot, lossCurves, prPlot, rocPlot, scatterPlot,
} from '../../src/plot/index';
import { encodePng } from '../../src/plot/images';
import { Generator, Tensor, tensor } from '../../src/tensor/index';
import { decodePng, type Png } from './png';

const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const haveChromium = existsSync(executablePath);
const outDir = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
if (!haveChromium) console.warn(`test/plot/render.test.ts: skipped, no Chromium at ${executablePath} (set CHROMIUM_PATH or install the chromium package)`);

const g = new Generator(0);
const yTrue = tensor(Array.from({ length: 200 }, (_, i) => i % 2));
const scores = tensor(Array.from(yTrue.data, (y) => 0.35 * y + 0.65 * g.random()));

/** A 28×28 ring (grey) and a red/green/blue RGB tile, for the image plots. */
function ring(n: number, r: number): Float32Array {
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = Math.abs(Math.hypot(i - n / 2 + 0.5, j - n / 2 + 0.5) - r) < 2.5 ? 1 : 0.1;
  return out;
}
const grid = new Tensor(new Float32Array(Array.from({ length: 12 }, (_, k) => Array.from(ring(28, 4 + (k % 6) * 1.6))).flat()), [12, 1, 28, 28]);
const scene = (() => {
  const H = 60, W = 90, x = new Float32Array(3 * H * W);
  for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
    x[i * W + j] = j / W; // red ramp
    x[H * W + i * W + j] = i / H; // green ramp
    x[2 * H * W + i * W + j] = 0.3;
  }
  return new Tensor(x, [3, H, W]);
})();

/** Each chart, with a colour (#rrggbb) that must appear in its screenshot. */
const charts: [string, string, string][] = [
  ['linePlot', linePlot([{ name: 'train', y: [3, 2, 1.5, 1.2, 1.1] }, { name: 'test', y: [3.2, 2.4, 2, 1.9, 1.9], dash: '4 3' }], { title: 'linePlot' }), OKABE_ITO[0]],
  ['lossCurves', lossCurves({ epochs: [0, 1, 2, 3], history: { loss: [1, 0.6, 0.4, 0.3], valLoss: [1.1, 0.8, 0.7, 0.65], lr: [1, 1, 1, 1] } }, { title: 'lossCurves', yLabel: 'loss' }), OKABE_ITO[0]],
  ['scatterPlot', scatterPlot([{ name: 'a', x: [1, 2, 3, 4], y: [2, 1, 4, 3] }, { name: 'b', x: [1.5, 2.5, 3.5], y: [3, 3.5, 1] }], { title: 'scatterPlot', radius: 6 }), OKABE_ITO[1]],
  ['barPlot', barPlot({ labels: ['petal length', 'petal width', 'sepal length', 'sepal width'], values: [0.45, 0.39, 0.01, -0.02] }, { title: 'barPlot' }), OKABE_ITO[0]],
  ['histogramPlot', histogramPlot(Array.from({ length: 500 }, () => g.normal()), { bins: 20, title: 'histogramPlot' }), OKABE_ITO[0]],
  ['heatmapPlot', heatmapPlot([[1, 0.8, -0.2], [0.8, 1, 0.1], [-0.2, 0.1, 1]], { title: 'heatmapPlot', colourRange: [-1, 1] }), '#0072b2'],
  ['confusionMatrixPlot', confusionMatrixPlot(confusionMatrix(yTrue, tensor(Array.from(scores.data, (s) => (s > 0.5 ? 1 : 0)))), { labels: ['neg', 'pos'], title: 'confusionMatrixPlot' }), '#0072b2'],
  ['rocPlot', rocPlot({ model: rocCurve(yTrue, scores) }, { title: 'rocPlot' }), OKABE_ITO[0]],
  ['prPlot', prPlot(precisionRecallCurve(yTrue, scores), { title: 'prPlot' }), OKABE_ITO[0]],
  ['imageGrid', imageGrid(grid, { nrow: 6, labels: Array.from({ length: 12 }, (_, k) => `ring ${k}`), title: 'imageGrid', cellSize: 56 }), '#1a1a1a'],
  ['boxesPlot', boxesPlot(scene, [[5, 5, 40, 30], [50, 20, 85, 55], [30, 35, 60, 58]], [0, 1, 2], { scores: [0.98, 0.71, 0.4], classNames: ['circle', 'square', 'triangle'], title: 'boxesPlot' }), OKABE_ITO[1]],
];

function hex(c: string): [number, number, number] {
  const v = parseInt(c.slice(1), 16);
  return [v >> 16, (v >> 8) & 255, v & 255];
}

/** Fraction of pixels that are not (near) white, and whether `colour` appears (within 12 per channel). */
function inspect(p: Png, colour: string): { ink: number; hasColour: number } {
  const [r, gg, b] = hex(colour);
  let ink = 0, has = 0;
  const n = p.width * p.height, c = p.channels;
  for (let i = 0; i < n; i++) {
    const R = p.pixels[i * c], G = p.pixels[i * c + 1], B = p.pixels[i * c + 2];
    if (R < 245 || G < 245 || B < 245) ink++;
    if (Math.abs(R - r) <= 12 && Math.abs(G - gg) <= 12 && Math.abs(B - b) <= 12) has++;
  }
  return { ink: ink / n, hasColour: has };
}

describe.skipIf(!haveChromium)('every plot renders in headless Chromium', () => {
  let browser: Browser;
  const shots = new Map<string, Png>();
  const sizes = new Map<string, [number, number]>();

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const imgs = charts.map(([name, s]) => `<div style="display:inline-block;vertical-align:top"><img id="${name}" src="data:image/svg+xml;base64,${Buffer.from(s).toString('base64')}"></div>`).join('');
    await page.setContent(`<!doctype html><html><body style="margin:0;background:white">${imgs}</body></html>`);
    // An SVG the XML parser rejects fails to decode (naturalWidth 0) instead of rendering partly.
    const natural = await page.evaluate(async () => Promise.all(Array.from(document.images).map(async (im) => {
      try {
        await im.decode();
      } catch {
        return [im.id, 0, 0] as const;
      }
      return [im.id, im.naturalWidth, im.naturalHeight] as const;
    })));
    for (const [id, w, h] of natural) sizes.set(id, [w, h]);
    // One full-page screenshot, cut into the charts by their boxes (one capture is much faster than one per chart).
    const boxes = await page.evaluate(() => Array.from(document.images).map((im) => {
      const r = im.getBoundingClientRect();
      return [im.id, Math.round(r.left + window.scrollX), Math.round(r.top + window.scrollY), Math.round(r.width), Math.round(r.height)] as const;
    }));
    const page0 = decodePng(new Uint8Array(await page.screenshot({ fullPage: true })));
    mkdirSync(outDir, { recursive: true });
    for (const [id, x0, y0, w, h] of boxes) {
      const c = page0.channels, out = new Uint8Array(w * h * 3);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < 3; k++) out[(y * w + x) * 3 + k] = page0.pixels[((y0 + y) * page0.width + x0 + x) * c + k];
      const crop: Png = { width: w, height: h, channels: 3, pixels: out };
      shots.set(id, crop);
      writeFileSync(join(outDir, `${id}.png`), encodePng(out, w, h, 3));
    }
    expect(errors).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it.each(charts.map(([name, s, colour]) => [name, s, colour]))('%s: decodes as SVG and the screenshot is not blank', (name, s, colour) => {
    const [w, h] = sizes.get(name)!;
    const m = /<svg[^>]* width="([\d.]+)" height="([\d.]+)"/.exec(s)!;
    expect([w, h]).toEqual([Math.round(Number(m[1])), Math.round(Number(m[2]))]);
    const shot = shots.get(name)!;
    expect(shot.width).toBe(w);
    const { ink, hasColour } = inspect(shot, colour);
    expect(ink, 'fraction of non-white pixels').toBeGreaterThan(0.01);
    expect(hasColour, `pixels of ${colour}`).toBeGreaterThan(20);
  });

  it('imageGrid shows the image pixels as sharp squares (pixelated, not smoothed)', () => {
    const shot = shots.get('imageGrid')!;
    // Pixels of 0.1 grey are 26/255 and of 1 are white; smoothing would add many values between.
    let dark = 0, mid = 0;
    for (let i = 0; i < shot.width * shot.height; i++) {
      const v = shot.pixels[i * shot.channels];
      if (v >= 20 && v <= 32) dark++;
      else if (v > 60 && v < 200) mid++;
    }
    expect(dark).toBeGreaterThan(12 * 56 * 56 * 0.5);
    expect(mid).toBeLessThan(dark * 0.05);
  });
});
