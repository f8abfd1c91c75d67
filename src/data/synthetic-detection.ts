import { ArgumentError } from '../tensor/errors';
import { Generator, defaultGenerator } from '../tensor/random';
import { describe } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { allocFloat32 } from '../tensor/alloc';
import { checkArg, int, num, oneOf, parseOptions, rng as rngCheck, type Check } from '../tensor/options';

/** The object classes {@link makeDetection} can draw. */
export type DetectionShape = 'rectangle' | 'ellipse' | 'triangle';
const SHAPES: readonly DetectionShape[] = ['rectangle', 'ellipse', 'triangle'];

/** Options of {@link makeDetection}. */
export interface MakeDetectionOptions {
  /** Number of images. Default 100. */
  nSamples?: number;
  /** Image side in pixels, ≥ 16. Default 32. */
  size?: number;
  /** Most objects in one image; each image has U{1, …, maxObjects} of them. Default 3. */
  maxObjects?: number;
  /** The object classes, in label order. Default ['rectangle', 'ellipse', 'triangle']. */
  classes?: readonly DetectionShape[];
  /** Colour channels: 1 (grayscale) or 3 (RGB, each object and the background of a random colour). Default 1. */
  channels?: 1 | 3;
  /** Side of an object's box as a fraction [low, high] of `size`, within (0, 0.5]. Default [0.2, 0.4]. */
  objectSize?: readonly [number, number];
  /** Clutter strokes (lines and blobs) per image, each U{0, …, clutter}. Default 4. */
  clutter?: number;
  /** Standard deviation of the Gaussian pixel noise (the result is clipped to [0, 1]). Default 0.05. */
  noise?: number;
  /** The generator to draw from (default: the global one, see `manualSeed`). */
  rng?: Generator;
}

/** Images with their objects, from {@link makeDetection}. */
export interface DetectionData {
  /** Images [N, channels, size, size] in [0, 1]. */
  images: Tensor;
  /** Per image, its objects' boxes [x1, y1, x2, y2] in pixels (x right, y down; a pixel spans [j, j + 1)). */
  boxes: number[][][];
  /** Per image, its objects' labels (indices into `classNames`), in the order of `boxes`. */
  labels: number[][];
  /** The class of each label, in label order. */
  classNames: DetectionShape[];
}

const later: Check<unknown> = (v) => v;

const SS = 2; // supersampling per axis (anti-aliased edges)

/**
 * Seeded object-detection images: U{1, …, maxObjects} filled shapes per image (an axis-aligned
 * rectangle, an axis-aligned ellipse, or an isosceles triangle with its apex up, one shape per
 * class), each with box sides U(objectSize)·size (independently in x and y), placed uniformly where
 * the box fits in the image and does not touch an earlier object's box (an object that finds no
 * free place in 50 draws is left out, so a crowded image may hold fewer). The background is
 * cluttered on purpose, so a detector has to learn shapes rather than brightness: a random base
 * level, a gentle gradient, line segments and soft blobs as bright as the objects can be
 * dim, then N(0, noise²) pixel noise; every pixel is clipped to [0, 1]. Objects have intensity (or
 * per-channel colour) U(0.55, 1) and are drawn last, over the clutter, anti-aliased by 2×2
 * supersampling; each box is the exact extent of its shape.
 *
 * Shapes: images [N, channels, size, size]; boxes and labels ragged, one array per image.
 * @example
 * const d = makeDetection({ nSamples: 4, size: 32, maxObjects: 3, rng: new Generator(0) });
 * d.images.shape; // [4, 1, 32, 32]
 * d.boxes.length; // 4
 * d.labels.every((l, i) => l.length === d.boxes[i].length && l.length >= 1); // true
 * @throws ArgumentError on a size below 16, an unknown or repeated class, object sizes outside (0, 0.5], or another malformed option.
 * @see {@link makeShapes} (one centred shape per image, for classification)
 * @category Data
 */
export function makeDetection(options: MakeDetectionOptions = {}): DetectionData {
  const op = 'makeDetection';
  const o = parseOptions(op, options, {
    nSamples: later, size: later, maxObjects: later, classes: later, channels: later, objectSize: later, clutter: later, noise: later, rng: later,
  }) as MakeDetectionOptions;
  const N = checkArg(op, 'nSamples', o.nSamples ?? 100, int({ min: 1 }));
  const S = checkArg(op, 'size', o.size ?? 32, int({ min: 16 }));
  const maxObjects = checkArg(op, 'maxObjects', o.maxObjects ?? 3, int({ min: 1 }));
  const C = checkArg(op, 'channels', o.channels ?? 1, (v, name, fn) => {
    if (v !== 1 && v !== 3) throw new ArgumentError(`${fn}: ${name} must be 1 or 3, got ${describe(v)}`);
    return v;
  });
  const clutter = checkArg(op, 'clutter', o.clutter ?? 4, int({ min: 0 }));
  const noise = checkArg(op, 'noise', o.noise ?? 0.05, num({ min: 0 }));
  const rng = o.rng === undefined ? defaultGenerator() : checkArg(op, 'rng', o.rng, rngCheck);
  const classes = o.classes ?? SHAPES;
  if (!Array.isArray(classes) || classes.length === 0) throw new ArgumentError(`${op}: classes must be a non-empty array, got ${describe(classes)}`);
  classes.forEach((c, k) => {
    checkArg(op, `classes[${k}]`, c, oneOf(SHAPES));
    if (classes.indexOf(c) !== k) throw new ArgumentError(`${op}: class ${JSON.stringify(c)} is listed twice`);
  });
  const os = o.objectSize ?? [0.2, 0.4];
  if (!Array.isArray(os) || os.length !== 2) throw new ArgumentError(`${op}: objectSize must be [low, high], got ${describe(os)}`);
  const sLo = checkArg(op, 'objectSize[0]', os[0], num({ min: 0, max: 0.5, openMin: true }));
  const sHi = checkArg(op, 'objectSize[1]', os[1], num({ min: 0, max: 0.5, openMin: true }));
  if (sLo > sHi) throw new ArgumentError(`${op}: objectSize must have low ≤ high, got [${sLo}, ${sHi}]`);

  const plane = S * S;
  const x = allocFloat32(N * C * plane, op);
  const boxes: number[][][] = [];
  const labels: number[][] = [];
  const colour = new Float64Array(C);
  const cover = new Float64Array(plane);
  for (let n = 0; n < N; n++) {
    const img = n * C * plane;
    // Background: base level, a linear gradient, per channel.
    const gx = rng.uniform(-0.15, 0.15), gy = rng.uniform(-0.15, 0.15);
    for (let c = 0; c < C; c++) {
      const base = rng.uniform(0.05, 0.35);
      for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) x[img + c * plane + i * S + j] = base + gx * (j / S - 0.5) + gy * (i / S - 0.5);
    }
    // Clutter: thin line segments and soft blobs.
    const nLines = rng.randint(0, clutter + 1), nBlobs = rng.randint(0, clutter + 1);
    for (let l = 0; l < nLines; l++) {
      const x0 = rng.uniform(0, S), y0 = rng.uniform(0, S), x1 = rng.uniform(0, S), y1 = rng.uniform(0, S);
      for (let c = 0; c < C; c++) colour[c] = rng.uniform(0.3, 0.8);
      const steps = Math.ceil(2 * Math.hypot(x1 - x0, y1 - y0)) + 1;
      for (let s = 0; s <= steps; s++) {
        const j = Math.floor(x0 + ((x1 - x0) * s) / steps), i = Math.floor(y0 + ((y1 - y0) * s) / steps);
        if (i < 0 || i >= S || j < 0 || j >= S) continue;
        for (let c = 0; c < C; c++) x[img + c * plane + i * S + j] = colour[c];
      }
    }
    for (let b = 0; b < nBlobs; b++) {
      const cx = rng.uniform(0, S), cy = rng.uniform(0, S), sd = rng.uniform(1, S / 8);
      for (let c = 0; c < C; c++) colour[c] = rng.uniform(0.1, 0.4);
      for (let i = 0; i < S; i++) {
        for (let j = 0; j < S; j++) {
          const g = Math.exp(-((i + 0.5 - cy) ** 2 + (j + 0.5 - cx) ** 2) / (2 * sd * sd));
          for (let c = 0; c < C; c++) x[img + c * plane + i * S + j] += colour[c] * g;
        }
      }
    }
    // Objects, on top.
    const nObj = rng.randint(1, maxObjects + 1);
    const bx: number[][] = [], lb: number[] = [];
    for (let k = 0; k < nObj; k++) {
      const label = rng.randint(0, classes.length);
      const w = S * rng.uniform(sLo, sHi), h = S * rng.uniform(sLo, sHi);
      let placed: number[] | null = null;
      for (let t = 0; t < 50 && placed === null; t++) {
        const x1 = rng.uniform(0, S - w), y1 = rng.uniform(0, S - h);
        const cand = [x1, y1, x1 + w, y1 + h];
        if (bx.every((q) => cand[2] < q[0] || q[2] < cand[0] || cand[3] < q[1] || q[3] < cand[1])) placed = cand;
      }
      if (placed === null) continue;
      for (let c = 0; c < C; c++) colour[c] = rng.uniform(0.55, 1);
      drawShape(cover, classes[label], placed, S);
      for (let p = 0; p < plane; p++) {
        const a = cover[p];
        if (a === 0) continue;
        for (let c = 0; c < C; c++) {
          const q = img + c * plane + p;
          x[q] = (1 - a) * x[q] + a * colour[c];
        }
      }
      bx.push(placed);
      lb.push(label);
    }
    for (let p = img; p < img + C * plane; p++) {
      const v = noise > 0 ? x[p] + noise * rng.normal() : x[p];
      x[p] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
    boxes.push(bx);
    labels.push(lb);
  }
  return { images: new Tensor(x, [N, C, S, S]), boxes, labels, classNames: classes.slice() };
}

/** Coverage (0..1 per pixel, 2×2 supersampled) of one shape with box b = [x1, y1, x2, y2], overwriting `cover` [S, S]. */
function drawShape(cover: Float64Array, kind: DetectionShape, b: number[], S: number): void {
  cover.fill(0);
  const [x1, y1, x2, y2] = b;
  const cx = (x1 + x2) / 2, cy = (y1 + y2) / 2, rx = (x2 - x1) / 2, ry = (y2 - y1) / 2;
  const w = 1 / (SS * SS);
  for (let i = Math.floor(y1); i <= Math.min(S - 1, Math.floor(y2)); i++) {
    for (let j = Math.floor(x1); j <= Math.min(S - 1, Math.floor(x2)); j++) {
      let a = 0;
      for (let u = 0; u < SS; u++) {
        const py = i + (u + 0.5) / SS;
        for (let v = 0; v < SS; v++) {
          const px = j + (v + 0.5) / SS;
          if (px < x1 || px > x2 || py < y1 || py > y2) continue;
          let inside = true;
          if (kind === 'ellipse') inside = ((px - cx) / rx) ** 2 + ((py - cy) / ry) ** 2 <= 1;
          // apex (cx, y1), base from (x1, y2) to (x2, y2): half-width grows linearly with depth
          else if (kind === 'triangle') inside = Math.abs(px - cx) <= (rx * (py - y1)) / (y2 - y1);
          if (inside) a += w;
        }
      }
      cover[i * S + j] = a;
    }
  }
}
