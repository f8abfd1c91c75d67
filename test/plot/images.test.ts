import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, ShapeError, Tensor, tensor } from '../../src/tensor/index';
import { OKABE_ITO, boxesPlot, imageGrid } from '../../src/plot/index';
import { adler32, base64, crc32, encodePng } from '../../src/plot/images';
import { expectThrows } from '../helpers/check';
import { decodePng, embeddedPngs } from './png';
import { allText, byClass, findAll, parseXml, type El } from './xml';

const bytes = (n: number, seed: number): Uint8Array => {
  const g = new Generator(seed);
  return Uint8Array.from({ length: n }, () => g.randint(0, 256));
};

function svg(s: string): El {
  const root = parseXml(s);
  expect(root.name).toBe('svg');
  return root;
}

describe('the PNG encoder', () => {
  it('crc32 and adler32 match node:zlib and the RFC 1950 example', () => {
    for (const n of [0, 1, 7, 1000]) {
      const b = bytes(n, n);
      expect(crc32(b)).toBe(zlibCrc32(b));
    }
    // RFC 1950 / Wikipedia: Adler-32 of "Wikipedia" is 0x11E60398.
    expect(adler32(new TextEncoder().encode('Wikipedia'))).toBe(0x11e60398);
  });

  it('base64 matches Buffer for every length remainder', () => {
    for (let n = 0; n < 10; n++) {
      const b = bytes(n, 40 + n);
      expect(base64(b)).toBe(Buffer.from(b).toString('base64'));
    }
  });

  it('round-trips greyscale and RGB through an independent decoder, stored blocks past 65 535 bytes included', () => {
    for (const [w, h, c] of [[1, 1, 1], [3, 2, 3], [5, 7, 1], [300, 250, 1], [131, 170, 3]] as const) {
      const px = bytes(w * h * c, w + h);
      const png = decodePng(encodePng(px, w, h, c));
      expect([png.width, png.height, png.channels]).toEqual([w, h, c]);
      expect(Buffer.from(png.pixels).equals(Buffer.from(px))).toBe(true);
    }
  });
});

describe('imageGrid', () => {
  it('lays N images out nrow per row at cellSize with captions under them', () => {
    const imgs = new Tensor(new Float32Array(5 * 4 * 2).fill(0.5), [5, 1, 4, 2]);
    const root = svg(imageGrid(imgs, { nrow: 2, cellSize: 40, gap: 4, labels: ['a', 'b', '<c>'] }));
    const im = findAll(root, (e) => e.name === 'image');
    expect(im.length).toBe(5);
    // Height 4 is the longer edge: 40 px tall, 20 px wide; 10 px margins, captions 12 + 6 px.
    expect(im.map((e) => [Number(e.attrs.x), Number(e.attrs.y), Number(e.attrs.width), Number(e.attrs.height)])).toEqual([
      [10, 10, 20, 40], [34, 10, 20, 40], [10, 72, 20, 40], [34, 72, 20, 40], [10, 134, 20, 40],
    ]);
    expect(Number(root.attrs.width)).toBe(10 + 20 + 4 + 20 + 10);
    expect(Number(root.attrs.height)).toBe(10 + 3 * (40 + 18) + 2 * 4 + 10);
    expect(byClass(root, 'caption').map((e) => e.text)).toEqual(['a', 'b', '<c>']);
    expect(im[0].attrs.style).toBe('image-rendering:pixelated');
  });

  it('encodes [0, 1] values as round(255·v), greyscale or RGB, with or without the channel axis', () => {
    const v = [[[0, 0.5], [1, 0.25]]];
    const [g] = embeddedPngs(imageGrid(v));
    expect([g.channels, g.width, g.height]).toEqual([1, 2, 2]);
    expect(Array.from(g.pixels)).toEqual([0, 128, 255, 64]);
    expect(imageGrid([v])).toBe(imageGrid(v));
    // RGB: channel planes [3, H, W] become interleaved pixels.
    const rgb = tensor([[[[1, 0]], [[0, 1]], [[0.5, 0]]]]); // [1, 3, 1, 2]
    const [c] = embeddedPngs(imageGrid(rgb));
    expect(c.channels).toBe(3);
    expect(Array.from(c.pixels)).toEqual([255, 0, 128, 0, 255, 0]);
  });

  it("auto-scales values outside [0, 1] to their min and max over the whole grid; 'range' and 'invert' override", () => {
    const x = tensor([[[-2, 0]], [[2, 6]]]); // two 1×2 images, min −2, max 6
    const [a, b] = embeddedPngs(imageGrid(x));
    expect(Array.from(a.pixels)).toEqual([0, 64]);
    expect(Array.from(b.pixels)).toEqual([128, 255]);
    const [c] = embeddedPngs(imageGrid(x, { range: [0, 4] }));
    expect(Array.from(c.pixels)).toEqual([0, 0]);
    const [d] = embeddedPngs(imageGrid(tensor([[[0, 1, NaN, Infinity]]]), { invert: true }));
    expect(Array.from(d.pixels)).toEqual([255, 0, 255, 0]);
  });

  it('escapes the title and rejects bad input with typed errors', () => {
    const root = svg(imageGrid([[[0]]], { title: 'a & <b>' }));
    expect(allText(root)).toContain('a & <b>');
    expectThrows(() => imageGrid(new Tensor(new Float32Array(2 * 2 * 4), [2, 2, 2, 2])), ShapeError, 'C 1 (grey) or 3 (RGB)');
    expectThrows(() => imageGrid([[[0]]], { labels: ['a', 'b'] }), ArgumentError, 'labels has 2 entries but there are 1 images');
    expectThrows(() => imageGrid([[[0]]], { nrows: 2 } as never), ArgumentError, 'nrow');
    expectThrows(() => imageGrid([[[0]]], { range: [1, 0] }), ArgumentError, 'lo < hi');
    expectThrows(() => imageGrid([[0, 1], [2]] as never), ShapeError, 'imageGrid: images');
    expectThrows(() => imageGrid('x' as never), ArgumentError, 'a Tensor or nested arrays');
  });
});

describe('boxesPlot', () => {
  const img = new Tensor(new Float32Array(3 * 20 * 40).fill(0.2), [3, 20, 40]);

  it('draws each box scaled onto the image in its class colour, with "name score" captions and a legend', () => {
    const s = boxesPlot(img, [[4, 2, 20, 18], [30, 0, 39, 10], [0, 0, 5, 5]], [1, 0, 1], { scores: [0.876, 0.5, 0.25], classNames: ['cat', 'dog & co'], width: 400 });
    const root = svg(s);
    const boxes = byClass(root, 'box');
    expect(boxes.length).toBe(3);
    // Width 40 → 400 px: scale 10, image at (10, 10).
    const outline = boxes[0].children[0].attrs;
    expect([outline.x, outline.y, outline.width, outline.height].map(Number)).toEqual([50, 30, 160, 160]);
    expect(outline.stroke).toBe(OKABE_ITO[1]);
    expect(boxes[1].children[0].attrs.stroke).toBe(OKABE_ITO[0]);
    expect(byClass(root, 'caption').map((e) => e.text)).toEqual(['dog & co 0.88', 'cat 0.50', 'dog & co 0.25']);
    expect(byClass(root, 'legend-entry').map((e) => allText(e))).toEqual(['cat', 'dog & co']);
    // The legend sits right of the image (x ≥ 10 + 400), not over it.
    expect(Number(byClass(root, 'legend')[0].children[0].attrs.x)).toBeGreaterThanOrEqual(410);
    const [png] = embeddedPngs(s);
    expect([png.width, png.height, png.channels]).toEqual([40, 20, 3]);
  });

  it('clips boxes to the image, skips non-finite ones and rejects reversed ones', () => {
    const root = svg(boxesPlot([[0, 0], [0, 0]], [[-1, -1, 5, 1], [NaN, 0, 1, 1]], [0, 2], { width: 100 }));
    const boxes = byClass(root, 'box');
    expect(boxes.length).toBe(1);
    const a = boxes[0].children[0].attrs;
    expect([a.x, a.y, a.width, a.height].map(Number)).toEqual([10, 10, 100, 50]);
    expect(byClass(root, 'legend').length).toBe(0);
    expectThrows(() => boxesPlot(img, [[5, 0, 4, 1]], [0]), ArgumentError, 'x1 ≤ x2 and y1 ≤ y2');
    expectThrows(() => boxesPlot(img, [[0, 0, 1, 1]], [0, 1]), ShapeError, 'labels has 2 entries but boxes has 1');
    expectThrows(() => boxesPlot(img, [[0, 0, 1]], [0]), ShapeError, '[K, 4]');
    expectThrows(() => boxesPlot(img, [[0, 0, 1, 1]], [0.5]), ArgumentError, 'labels[0]');
    expectThrows(() => boxesPlot(img, [[0, 0, 1, 1]], [2], { classNames: ['a'] }), ArgumentError, 'no entry in classNames');
    expectThrows(() => boxesPlot(img, [[0, 0, 1, 1]], [0], { scores: [1, 2] }), ShapeError, 'scores has 2 entries');
    expect(byClass(svg(boxesPlot(img, [], [])), 'box').length).toBe(0);
  });
});
