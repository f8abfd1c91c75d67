import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Generator, Tensor, conv2d, noGrad, sum, mul } from '../src/tensor/index';
import { kernels } from '../src/tensor/kernels/backend';
import { registerTfGradients } from './tfgrads';
import { isMain, makeRow, measure, measureInterleaved, toMarkdown, type BenchRow } from './util';

// Issue 3's case: batch 64, 28×28 images, 8 → 16 channels, 3×3 kernel, 'same' padding.
const B = 64, C = 8, OC = 16, H = 28, W = 28, K = 3;
const FWD_FLOP = 2 * B * OC * H * W * C * K * K;

export const convNotes = [
  `conv2d: batch ${B}, ${H}×${W}, ${C} → ${OC} channels, ${K}×${K}, padding 1 (same), float32, NCHW for tensorkit and ` +
    `NHWC (its native layout) for tfjs. GFLOP/s = useful FLOPs / best time, where forward is 2·B·OC·H·W·C·K² ` +
    `(${(FWD_FLOP / 1e6).toFixed(1)} MFLOP) and forward + backward is 3× that (dx and dW each cost one forward). ` +
    'tfjs forward + backward uses `tf.grads` on the CPU backend and is timed once (it takes seconds); ours is the best of ' +
    'three rounds spread around it, each round also timing our GEMM at 256 for the efficiency row. ' +
    'The efficiency row compares our conv2d forward + backward FLOP rate with our own GEMM at 256 (target ≥ 0.5). ' +
    'Depthwise: groups = 64 channels, against `tf.depthwiseConv2d`.',
];

function rand(n: number, seed: number): Float32Array {
  return new Generator(seed).fillNormal(new Float32Array(n));
}

/** Runs the conv2d cases against tfjs (CPU backend). */
export async function benchConv(): Promise<BenchRow[]> {
  registerTfGradients();
  await tf.setBackend('cpu');
  const xd = rand(B * C * H * W, 1), wd = rand(OC * C * K * K, 2), bd = rand(OC, 3);
  const x = new Tensor(xd, [B, C, H, W], true);
  const w = new Tensor(wd, [OC, C, K, K], true);
  const b = new Tensor(bd, [OC], true);
  const g = new Tensor(rand(B * OC * H * W, 4), [B, OC, H, W]);

  const fwdBwd = (): void => {
    x.grad = w.grad = b.grad = null;
    sum(mul(conv2d(x, w, b, { padding: 1 }), g)).backward();
  };
  // Our GEMM at 256, the efficiency yardstick.
  const n = 256;
  const A = rand(n * n, 5), Bm = rand(n * n, 6), Cm = new Float32Array(n * n);
  const gemmCall = (): void => kernels.gemm(Cm, 0, A, 0, Bm, 0, n, n, n, false, false, false);
  // Our forward + backward and the GEMM are timed together in three rounds spread around tfjs's
  // runs, each keeping its best, so one slow phase of this VM does not decide either ratio.
  let oursFwdBwd = Infinity, gemm256 = Infinity;
  const oursRound = (first: boolean): void => {
    oursFwdBwd = Math.min(oursFwdBwd, measure(fwdBwd, { budgetMs: 700, warmup: first }));
    gemm256 = Math.min(gemm256, measure(gemmCall, { budgetMs: 300, warmup: first }));
  };
  oursRound(true);

  // tfjs: NHWC input, HWIO filter.
  const xt = tf.tensor4d(rand(B * H * W * C, 1), [B, H, W, C]);
  const wt = tf.tensor4d(rand(K * K * C * OC, 2), [K, K, C, OC]);
  const bt = tf.tensor1d(bd);
  const gt = tf.tensor4d(rand(B * H * W * OC, 4), [B, H, W, OC]);
  // Forward: both contenders in alternating rounds (this VM's speed drifts between runs).
  const fwd = measureInterleaved({
    ours: () => noGrad(() => conv2d(x, w, b, { padding: 1 })),
    tfjs: () => {
      const y = tf.add(tf.conv2d(xt, wt, 1, 'same'), bt);
      y.dataSync();
      y.dispose();
    },
  }, 4, { budgetMs: 600 });
  const oursFwd = fwd.ours, tfFwd = fwd.tfjs;
  oursRound(false);
  const gradFn = tf.grads((a: tf.Tensor, f: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'), bb), gt)));
  const tfFwdBwd = measure(() => {
    const gs = gradFn([xt, wt, bt]);
    for (const t of gs) {
      t.dataSync();
      t.dispose();
    }
  }, { budgetMs: 0, minRuns: 1, warmup: false });
  for (const t of [xt, wt, bt, gt]) t.dispose();
  oursRound(false);

  const gemmRate = (2 * n * n * n) / gemm256 / 1e9;
  const fbRate = (3 * FWD_FLOP) / oursFwdBwd / 1e9;

  // Depthwise (groups = channels) against tfjs's depthwiseConv2d, forward, alternating rounds.
  const DB = 32, DC = 64, DFLOP = 2 * DB * DC * H * W * K * K;
  const dx = new Tensor(rand(DB * DC * H * W, 7), [DB, DC, H, W]);
  const dwt = new Tensor(rand(DC * K * K, 8), [DC, 1, K, K]);
  const dxt = tf.tensor4d(rand(DB * H * W * DC, 7), [DB, H, W, DC]);
  const dwtf = tf.tensor4d(rand(K * K * DC, 8), [K, K, DC, 1]);
  const dwise = measureInterleaved({
    ours: () => noGrad(() => conv2d(dx, dwt, null, { padding: 1, groups: DC })),
    tfjs: () => {
      const y = tf.depthwiseConv2d(dxt, dwtf, 1, 'same');
      y.dataSync();
      y.dispose();
    },
  }, 3, { budgetMs: 400 });
  dxt.dispose();
  dwtf.dispose();

  const size = `${B}×${C}×${H}×${W} → ${OC}, ${K}×${K}`;
  return [
    makeRow('depthwise conv2d forward', `${DB}×${DC}×${H}×${W}, ${K}×${K}`, 'GFLOP/s', DFLOP / dwise.ours / 1e9, { 'tfjs-cpu': DFLOP / dwise.tfjs / 1e9 }),
    makeRow('conv2d forward', size, 'GFLOP/s', FWD_FLOP / oursFwd / 1e9, { 'tfjs-cpu': FWD_FLOP / tfFwd / 1e9 }),
    makeRow('conv2d forward + backward', size, 'GFLOP/s', fbRate, { 'tfjs-cpu': (3 * FWD_FLOP) / tfFwdBwd / 1e9 }),
    makeRow('conv2d fwd+bwd vs our GEMM 256', size, 'GFLOP/s', fbRate, { 'tensorkit gemm 256': gemmRate }),
  ];
}

if (isMain(import.meta.url)) {
  const rows = await benchConv();
  console.log(toMarkdown(rows));
}
