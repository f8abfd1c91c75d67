/**
 * `tensorkit demo` (and `npm run demo`): trains real models on built-in data and prints what they
 * reach.
 *
 *   1. y = 3x + 2 + noise fitted with autograd by full-batch, stochastic and mini-batch gradient
 *      descent: one update rule (SGD) fed a DataLoader of batch size N, 1 or 16.
 *   2. One model of each family on seeded synthetic data, with a live progress bar on a terminal,
 *      then a table of held-out scores.
 * @module
 */
import { DataLoader, TensorDataset } from '../data/index';
import { Linear, mseLoss } from '../nn/index';
import { SGD } from '../optim/index';
import { Generator, Tensor } from '../tensor/index';
import { fit } from '../train/index';
import { lossCurves } from '../plot/index';
import { trainFamilies, type FigureSink, type ProgressStream } from './families';

/**
 * Where the demo prints: lines on `out`, the progress bar on `progress` (none: no bar), and the
 * figures (SVG: loss curves, a confusion matrix, a ROC curve) to `figures` (none: not drawn).
 */
export interface DemoIo {
  out(line: string): void;
  progress?: ProgressStream;
  figures?: FigureSink;
}

/** Runs the demo; resolves with exit code 0 once the table is printed. */
export async function runDemo(io: DemoIo): Promise<number> {
  const t0 = performance.now();
  const seconds = (t: number) => ((performance.now() - t) / 1000).toFixed(1);

  // ---- 1. one update rule, three batch sizes ---------------------------------------------------
  {
    const N = 256;
    const rng = new Generator(7);
    const xs = new Float32Array(N), ys = new Float32Array(N);
    for (let i = 0; i < N; i++) {
      xs[i] = rng.uniform(-1, 1);
      ys[i] = 3 * xs[i] + 2 + 0.1 * rng.normal();
    }
    const ds = new TensorDataset(new Tensor(xs, [N, 1]), new Tensor(ys, [N, 1]));
    io.out('1. Recover y = 3x + 2 from 256 noisy samples (noise std 0.1, so the best MSE is about 0.01)\n');
    for (const [name, batchSize, epochs, lr] of [['full-batch GD', N, 300, 0.5], ['stochastic GD', 1, 10, 0.02], ['mini-batch GD', 16, 40, 0.1]] as const) {
      const model = new Linear(1, 1, { rng: new Generator(0) });
      const loader = new DataLoader(ds, { batchSize, shuffle: true, rng: new Generator(1) });
      const t = performance.now();
      const h = await fit(model, { data: loader, loss: mseLoss, optimizer: new SGD(model.parameters(), { lr }), epochs });
      if (batchSize === 16) io.figures?.('linear-loss.svg', lossCurves(h, { title: 'y = 3x + 2 by mini-batch GD: training MSE', yScale: 'log' }));
      io.out(
        `   ${name.padEnd(15)} batch ${String(batchSize).padStart(3)}  ${String(epochs * loader.length).padStart(5)} steps  ` +
          `slope ${model.weight.data[0].toFixed(3)}  intercept ${model.bias!.data[0].toFixed(3)}  ` +
          `mse ${h.history.loss.at(-1)!.toFixed(4)}  ${seconds(t)} s`,
      );
    }
  }

  // ---- 2. one model of each family ------------------------------------------------------------
  io.out('\n2. One model of each family on built-in data (held-out scores)\n');
  const rows = (await trainFamilies({ progress: io.progress ?? false, ...(io.figures ? { figures: io.figures } : {}) })).map((r) => [r.model, r.data, r.metric, r.score.toFixed(3), `${r.seconds.toFixed(1)} s`]);

  const head: [string, string, string, string, string] = ['model', 'data', 'metric', 'score', 'time'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `   ${r.map((c, i) => (i === 3 || i === 4 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ')}`;
  io.out(line(head));
  io.out(`   ${w.map((n) => '─'.repeat(n)).join('  ')}`);
  for (const r of rows) io.out(line(r));
  io.out(`\nDone in ${seconds(t0)} s. Scores are on held-out data; every run is seeded, so they repeat exactly.`);
  return 0;
}
