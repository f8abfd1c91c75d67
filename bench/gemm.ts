import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { Matrix } from 'ml-matrix';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { createRequire } from 'node:module';
import path from 'node:path';
import { js, kernels, wasm } from '../src/tensor/kernels/backend';
import { setNumThreads } from '../src/tensor/backend';
import { matmulModel } from './onnx-matmul';
import { isMain, makeRow, measureInterleaved, toMarkdown, type BenchRow, randomData } from './util';

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
    'measured in alternating rounds (best of each). tensorkit: `gemm` of the default backend (wasm where SIMD validates) with the transposition flags. ' +
    'tfjs-cpu: `tf.matMul(a, b, transposeA, transposeB)` + `dataSync()` on the CPU backend. ' +
    'ml-matrix: `Matrix.mmul`; for NT and TN it has no transposed product, so the timed call is ' +
    '`a.mmul(b.transpose())` or `a.transpose().mmul(b)`, transpose included.',
  'GEMM, wasm rows: tensorkit wasm = the wasm backend\'s `gemm` (f32x4 4×8 micro-kernel, operands staged into ' +
    'wasm memory per call, included in the time); tensorkit js = the scalar JS `gemm`; tfjs-wasm = `tf.matMul` + ' +
    '`dataSync()` on the WebAssembly backend (XNNPACK, SIMD), one thread, inputs already on the backend; ort-web and ' +
    'ort-node = onnxruntime-web (wasm SIMD, numThreads 1) and onnxruntime-node (native CPU, intraOpNumThreads 1) ' +
    'running a one-node MatMul model (bench/onnx-matmul.ts), `session.run` timed including input wrapping. ' +
    'Outputs checked equal to tensorkit\'s before timing. Alternating rounds, best per contender; spread = ' +
    'max/min of the per-round bests of ours.',
];


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
      'tensorkit js': () => js.gemm(out, 0, aData, 0, bData, 0, n, n, n, transA, transB, false),
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
      'tensorkit js': g(best['tensorkit js']),
      'tfjs-cpu': g(best['tfjs-cpu']),
      'ml-matrix': g(best['ml-matrix']),
    }));
    if (isMain(import.meta.url)) console.error(`done gemm ${variant} ${n}`);
  }
  return rows;
}

/** Best seconds per call of async contenders, rounds alternating (order flipped each round), plus our per-round bests. */
async function interleavedAsync(
  fns: Record<string, () => void | Promise<void>>, rounds: number, budgetMs: number,
): Promise<{ best: Record<string, number>; rounds: Record<string, number[]> }> {
  const names = Object.keys(fns);
  const best: Record<string, number> = {};
  const per: Record<string, number[]> = {};
  for (const n of names) {
    await fns[n]();
    best[n] = Infinity;
    per[n] = [];
  }
  for (let r = 0; r < rounds; r++) {
    for (const n of r % 2 === 0 ? names : [...names].reverse()) {
      let spent = 0, roundBest = Infinity;
      for (let k = 0; k < 2 || spent < budgetMs; k++) {
        const t0 = performance.now();
        await fns[n]();
        const dt = performance.now() - t0;
        spent += dt;
        roundBest = Math.min(roundBest, dt);
      }
      per[n].push(roundBest / 1000);
      best[n] = Math.min(best[n], roundBest / 1000);
    }
  }
  return { best, rounds: per };
}

/**
 * The wasm backend's GEMM (NN, 256/512/1024) against the scalar JS gemm, tfjs-wasm, onnxruntime-web
 * and onnxruntime-node, one thread each, in one process. Returns the rows and one spread line per size.
 */
export async function benchGemmWasm(rounds = 5): Promise<{ rows: BenchRow[]; spread: string[] }> {
  const wasmDir = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(wasmDir + path.sep);
  setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  ortWeb.env.wasm.numThreads = 1;
  const rows: BenchRow[] = [];
  const spread: string[] = [];
  for (const n of [256, 512, 1024]) {
    const aData = randomData(n * n, 1), bData = randomData(n * n, 2);
    const out = new Float32Array(n * n), outJs = new Float32Array(n * n);
    const model = matmulModel(n, n, n);
    const web = await ortWeb.InferenceSession.create(model, { executionProviders: ['wasm'], intraOpNumThreads: 1, interOpNumThreads: 1 });
    const nat = await ortNode.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
    const feedsWeb = () => ({ A: new ortWeb.Tensor('float32', aData, [n, n]), B: new ortWeb.Tensor('float32', bData, [n, n]) });
    const feedsNat = () => ({ A: new ortNode.Tensor('float32', aData, [n, n]), B: new ortNode.Tensor('float32', bData, [n, n]) });
    const ta = tf.tensor2d(aData, [n, n]), tb = tf.tensor2d(bData, [n, n]);

    wasm.gemm(out, 0, aData, 0, bData, 0, n, n, n, false, false, false);
    js.gemm(outJs, 0, aData, 0, bData, 0, n, n, n, false, false, false);
    checkSame(out, outJs, n, `wasm ${n} vs js`);
    const tc = tf.matMul(ta, tb);
    checkSame(out, tc.dataSync(), n, `wasm ${n} vs tfjs-wasm`);
    tc.dispose();
    checkSame(out, (await web.run(feedsWeb())).Y.data as Float32Array, n, `wasm ${n} vs ort-web`);
    checkSame(out, (await nat.run(feedsNat())).Y.data as Float32Array, n, `wasm ${n} vs ort-node`);

    const { best, rounds: per } = await interleavedAsync({
      wasm: () => wasm.gemm(out, 0, aData, 0, bData, 0, n, n, n, false, false, false),
      js: () => js.gemm(outJs, 0, aData, 0, bData, 0, n, n, n, false, false, false),
      'tfjs-wasm': () => {
        const c = tf.matMul(ta, tb);
        c.dataSync();
        c.dispose();
      },
      'ort-web': async () => { await web.run(feedsWeb()); },
      'ort-node': async () => { await nat.run(feedsNat()); },
    }, rounds, n === 1024 ? 600 : 300);
    ta.dispose();
    tb.dispose();
    await web.release();
    await nat.release();
    const g = (s: number) => (2 * n ** 3) / s / 1e9;
    rows.push(makeRow('gemm NN (wasm backend)', String(n), 'GFLOP/s', g(best.wasm), {
      'tensorkit js': g(best.js), 'tfjs-wasm': g(best['tfjs-wasm']), 'ort-web': g(best['ort-web']), 'ort-node': g(best['ort-node']),
    }));
    const ratios = per.wasm.map((t, r) => ({ web: per['ort-web'][r] / t, tfw: per['tfjs-wasm'][r] / t }));
    const rng = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
    spread.push(`n ${n}: ours per round ${rng(per.wasm.map(g))} GFLOP/s; ours/ort-web per round ${rng(ratios.map((x) => x.web))}, ` +
      `ours/tfjs-wasm per round ${rng(ratios.map((x) => x.tfw))}`);
    if (isMain(import.meta.url)) console.error(`done gemm wasm ${n}`);
  }
  await tf.setBackend('cpu');
  return { rows, spread };
}

/**
 * The wasm GEMM (NN) at one thread against `threads` threads, in one process: rounds alternate the
 * thread count (the pool is started outside the timed calls), best per round of `calls` products.
 * Returns one line per size with the best times, the ratio of the bests and the spread of the
 * per-round ratios. Results are checked bit-identical first.
 */
export function benchGemmThreads(threads: number, sizes = [256, 512, 1024], rounds = 6): string[] {
  const lines: string[] = [];
  for (const n of sizes) {
    const a = randomData(n * n, 1), b = randomData(n * n, 2);
    const one = new Float32Array(n * n), many = new Float32Array(n * n);
    const run = (out: Float32Array) => wasm.gemm(out, 0, a, 0, b, 0, n, n, n, false, false, false);
    setNumThreads(1);
    run(one);
    setNumThreads(threads);
    run(many);
    for (let i = 0; i < one.length; i++) {
      if (!Object.is(one[i], many[i])) throw new Error(`gemm ${n}: ${threads} threads differ from one at ${i}`);
    }
    const calls = n >= 1024 ? 3 : n >= 512 ? 10 : 30;
    const best = (out: Float32Array) => {
      run(out);
      let t = Infinity;
      for (let k = 0; k < calls; k++) {
        const t0 = performance.now();
        run(out);
        t = Math.min(t, performance.now() - t0);
      }
      return t;
    };
    const t1: number[] = [], tn: number[] = [];
    // CPU time of the process over wall time during the many-thread rounds: near `threads` when
    // the threads really ran side by side; near 1 (or below) when other processes held the cores.
    let cpu = 0, wall = 0;
    for (let r = 0; r < rounds; r++) {
      for (const count of r % 2 === 0 ? [1, threads] : [threads, 1]) {
        setNumThreads(count);
        const c0 = process.cpuUsage(), w0 = performance.now();
        (count === 1 ? t1 : tn).push(best(count === 1 ? one : many));
        if (count !== 1) {
          const c = process.cpuUsage(c0);
          cpu += (c.user + c.system) / 1000;
          wall += performance.now() - w0;
        }
      }
    }
    setNumThreads(1);
    const ratios = t1.map((t, r) => t / tn[r]);
    const g = (ms: number) => (2 * n ** 3) / ms / 1e6;
    const b1 = Math.min(...t1), bn = Math.min(...tn);
    lines.push(`gemm NN ${n}: 1 thread ${b1.toFixed(2)} ms (${g(b1).toFixed(1)} GFLOP/s), ${threads} threads ${bn.toFixed(2)} ms ` +
      `(${g(bn).toFixed(1)} GFLOP/s); best/best ${(b1 / bn).toFixed(2)}×, per round ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×; ` +
      `CPU/wall at ${threads} threads ${(cpu / wall).toFixed(2)}`);
    if (isMain(import.meta.url)) console.error(lines[lines.length - 1]);
  }
  return lines;
}

const threadsArg = process.argv.indexOf('--threads');
if (isMain(import.meta.url) && threadsArg >= 0) {
  const threads = Number(process.argv[threadsArg + 1]);
  if (!Number.isInteger(threads) || threads < 2) throw new Error('--threads N needs an integer N ≥ 2');
  for (const line of benchGemmThreads(threads, undefined, Number(process.env.ROUNDS ?? 6))) console.log(line);
} else if (isMain(import.meta.url) && process.argv.includes('--wasm')) {
  const { rows, spread } = await benchGemmWasm(Number(process.env.ROUNDS ?? 5));
  console.log(toMarkdown(rows));
  for (const line of spread) console.log(line);
} else if (isMain(import.meta.url)) {
  const rows = await benchGemm();
  console.log(toMarkdown(rows));
  console.log();
  for (const note of gemmNotes) console.log(note);
}
