import { Generator } from '../../src/tensor/index';
import { makeBlobs } from '../../src/data/index';

/**
 * A small labelled CSV: three well-separated blobs in (x1, x2) named "ant", "bee", "cat", a string
 * column `shade` that follows the class for 80% of rows, an id column, and one missing x1.
 */
export function blobsCsv(n = 180, seed = 1): { text: string; labels: string[] } {
  const rng = new Generator(seed);
  const { x, y } = makeBlobs({ nSamples: n, centers: [[-4, 0], [4, 0], [0, 5]], clusterStd: 1, rng });
  const names = ['ant', 'bee', 'cat'], shades = ['dark', 'light', 'mid'];
  const lines = ['x1,x2,shade,kind'];
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = y.data[i];
    const shade = rng.uniform(0, 1) < 0.8 ? shades[k] : shades[(k + 1) % 3];
    const x1 = i === 7 ? '' : x.data[2 * i].toFixed(3);
    lines.push(`${x1},${x.data[2 * i + 1].toFixed(3)},${shade},${names[k]}`);
    labels.push(names[k]);
  }
  return { text: `${lines.join('\n')}\n`, labels };
}

/** An io seam that records what a command prints. */
export function recorder(progress?: { isTTY?: boolean }): {
  io: { out(l: string): void; err(l: string): void; progress?: { write(s: string): boolean; isTTY?: boolean } };
  out: string[]; err: string[]; writes: string[];
} {
  const out: string[] = [], err: string[] = [], writes: string[] = [];
  const io = {
    out: (l: string) => void out.push(l),
    err: (l: string) => void err.push(l),
    ...(progress === undefined ? {} : { progress: { write: (s: string) => (writes.push(s), true), isTTY: progress.isTTY } }),
  };
  return { io, out, err, writes };
}
