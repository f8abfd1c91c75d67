import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Matrix } from 'ml-matrix';
import { kernels } from '../src/tensor/kernels/backend';
import { isMain, makeRow, measureInterleaved, toMarkdown, type BenchRow } from './util';

interface GemmCase {
  /** NN: A·B, NT: A·Bᵀ (b stored (N, K)), TN: Aᵀ·B (a stored (K, M)). */
  variant: 'NN' | 'NT' | 'TN';
  n: number;
  rounds: number;
  budgetMs: number;
}

// Square sizes. Budgets are per contender per round; a peer call at 512 takes about 0.4 s and at
// 1024 about 5 s, so the big sizes get one timed call per round and 1024 a single round.
const CASES: GemmCase[] = [
  { variant: 'NN', n: 128, rounds: 3, budgetMs: 200 },
  { variant: 'NN', n: 256, rounds: 3, budgetMs: 300 },
  { variant: 'NT', n: 256, rounds: 3, budgetMs: 300 },
  { variant: 'TN', n: 256, rounds: 3, budgetMs: 300 },
  { variant: 'NN', n: 512, rounds: 3, budgetMs: 300 },
  { variant: 'NT', n: 512, rounds: 3, budgetMs: 300 },
  { variant: 'TN', n: 512, rounds: 3, budgetMs: 300 },
  { variant: 'NN', n: 1024, rounds: 1, budgetMs: 1000 },
];

export const gemmNotes = [
  'GEMM: square float32 matrices, GFLOP/s = 2·n³ / best wall time, single thread, all contenders in one process, ' +
    'measured in alternating rounds (best of each). tensorkit: `gemm` with the transposition flags. ' +
    'tfjs-cpu: `tf.matMul(a, b, transposeA, transposeB)` + `dataSync()` on the CPU backend. ' +
    'ml-matrix: `Matrix.mmul`; for NT and TN it has no transposed product, so the timed call is ' +
    '`a.mmul(b.transpose())` or `a.transpose().mmul(b)`, transpose included.',
];

function randomData(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

function toMatrix(data: Float32Array, rows: number, cols: number): Matrix {
  return Matrix.from1DArray(rows, cols, Array.from(data));
}

/** Throws when two results differ beyond float32 rounding, so a broken kernel never gets a figure. */
function checkSame(ours: Float32Array, theirs: ArrayLike<number>, n: number, what: string): void {
  let worst = 0;
  for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
  // Entries are sums of n products of values in [−0.5, 0.5): rounding error stays far below 1e-5·n.
  if (!(worst <= 1e-5 * n)) throw new Error(`${what}: tensorkit and peer differ by ${worst}`);
}

/** Runs the GEMM cases against tfjs (CPU backend) and ml-matrix and returns one row per case. */
export async function benchGemm(): Promise<BenchRow[]> {
  await tf.setBackend('cpu');
  await tf.ready();
  const rows: BenchRow[] = [];
  for (const { variant, n, rounds, budgetMs } of CASES) {
    const transA = variant === 'TN';
    const transB = variant === 'NT';
    // Stored layouts: a is (n, n) either way, read as Aᵀ when transA; same for b.
    const aData = randomData(n * n, 1);
    const bData = randomData(n * n, 2);
    const out = new Float32Array(n * n);
    const ta = tf.tensor2d(aData, [n, n]);
    const tb = tf.tensor2d(bData, [n, n]);
    const ma = toMatrix(aData, n, n);
    const mb = toMatrix(bData, n, n);

    kernels.gemm(out, 0, aData, 0, bData, 0, n, n, n, transA, transB, false);
    const tc = tf.matMul(ta, tb, transA, transB);
    checkSame(out, tc.dataSync(), n, `${variant} ${n} vs tfjs`);
    tc.dispose();

    const mmul = variant === 'NN' ? () => ma.mmul(mb)
      : variant === 'NT' ? () => ma.mmul(mb.transpose())
        : () => ma.transpose().mmul(mb);
    const best = measureInterleaved({
      tensorkit: () => kernels.gemm(out, 0, aData, 0, bData, 0, n, n, n, transA, transB, false),
      'tfjs-cpu': () => {
        const c = tf.matMul(ta, tb, transA, transB);
        c.dataSync();
        c.dispose();
      },
      'ml-matrix': () => {
        mmul();
      },
    }, rounds, { budgetMs, minRuns: n >= 512 ? 1 : 2, warmup: n < 1024 });
    ta.dispose();
    tb.dispose();

    const flops = 2 * n * n * n;
    const g = (s: number) => flops / s / 1e9;
    rows.push(makeRow(`gemm ${variant}`, String(n), 'GFLOP/s', g(best.tensorkit), {
      'tfjs-cpu': g(best['tfjs-cpu']),
      'ml-matrix': g(best['ml-matrix']),
    }));
    if (isMain(import.meta.url)) console.error(`done gemm ${variant} ${n}`);
  }
  return rows;
}

if (isMain(import.meta.url)) {
  const rows = await benchGemm();
  console.log(toMarkdown(rows));
  console.log();
  for (const note of gemmNotes) console.log(note);
}
