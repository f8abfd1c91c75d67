import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultBackend, installBackend, js, kernels } from '../../../src/tensor/kernels/backend';
import { forceGemmParallelMinWork, wasmGemm } from '../../../src/tensor/kernels/wasm/gemm';
import { forceSimdProbe } from '../../../src/tensor/kernels/wasm/index';
import { ensureBytes, memoryBytes, memoryShared } from '../../../src/tensor/kernels/wasm/memory';
import { forceThreadSupport, forceWorkersOnly, poolWorkers, wakeWorkers, workerChunkCounts } from '../../../src/tensor/kernels/wasm/threads';
import {
  ArgumentError, Generator, getBackend, getNumThreads, matmul, maxNumThreads, randn, setBackend, setNumThreads, tensor,
} from '../../../src/tensor/index';
import { Conv2d, Flatten, Linear, ReLU, Sequential, crossEntropy } from '../../../src/nn/index';
import { SGD } from '../../../src/optim/index';
import { expectThrows, gemmCases, seededUniform as randomArray, type GemmCase } from '../../helpers/check';

/** Every element the same float32 bits (Object.is: 0 and −0 differ, NaN equals NaN). */
function expectBitIdentical(x: Float32Array, y: Float32Array, what: string): void {
  expect(x.length, what).toBe(y.length);
  for (let i = 0; i < x.length; i++) {
    if (!Object.is(x[i], y[i])) throw new Error(`${what}: element ${i} is ${x[i]} and ${y[i]}`);
  }
}

function runGemm(c: GemmCase): Float32Array {
  const { M, K, N, transA, transB, accumulate, aOff, bOff, outOff, seed } = c;
  const a = randomArray(aOff + M * K, seed), b = randomArray(bOff + K * N, seed + 1);
  const out = randomArray(outOff + M * N + 2, seed + 2);
  wasmGemm(out, outOff, a, aOff, b, bOff, M, K, N, transA, transB, accumulate);
  return out;
}

// Sizes around the 4×8 tile, the 64-row and 128-column thread chunks and the 256-deep K block.
const dim = fc.oneof(fc.constantFrom(1, 3, 4, 5, 17, 63, 65, 129, 255), fc.integer({ min: 1, max: 300 }));
const CASES: GemmCase[] = [
  ...([[false, false], [false, true], [true, false], [true, true]] as const).flatMap(([ta, tb], i) =>
    fc.sample(gemmCases(dim, ta, tb), { numRuns: 12, seed: 41 + i })),
  // Every edge at once: ragged tile rows and columns, three column chunks, two row chunks, three K blocks.
  { M: 67, K: 513, N: 259, transA: false, transB: false, accumulate: true, aOff: 3, bOff: 5, outOff: 1, seed: 7 },
  { M: 255, K: 17, N: 255, transA: true, transB: true, accumulate: false, aOff: 0, bOff: 1, outOff: 2, seed: 9 },
];

/**
 * Parameters after three SGD steps of cross-entropy on a fixed batch: a seeded two-layer MLP, or a
 * small CNN (its convolution forward runs im2col and, per image, a wasm GEMM of 8 × 18 × 144:
 * two column chunks).
 */
function trainSteps(kind: 'mlp' | 'cnn' = 'mlp'): Float32Array[] {
  const g = new Generator(11);
  const model = kind === 'mlp'
    ? new Sequential(new Linear(40, 96, { rng: g }), new ReLU(), new Linear(96, 7, { rng: g }))
    : new Sequential(new Conv2d(2, 8, 3, { padding: 1, rng: g }), new ReLU(), new Flatten(), new Linear(8 * 12 * 12, 7, { rng: g }));
  const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const x = kind === 'mlp' ? randn([70, 40], { rng: g }) : randn([70, 2, 12, 12], { rng: g });
  const y = tensor(Array.from({ length: 70 }, (_, i) => (i * 5) % 7));
  for (let s = 0; s < 3; s++) {
    opt.zeroGrad();
    crossEntropy(model.forward(x), y).backward();
    opt.step();
  }
  return model.parameters().map((p) => p.data.slice());
}

describe('threads: results bit-identical for 1, 2 and 3 threads', () => {
  let single: Float32Array[] = [];
  beforeAll(() => {
    setNumThreads(1);
    forceGemmParallelMinWork(0); // every wasm product enlists the workers, however small
    single = CASES.map(runGemm);
  });
  afterEach(() => forceWorkersOnly(false));
  afterAll(() => {
    forceGemmParallelMinWork(null);
    setNumThreads(1);
  });

  it('Node runs threads: the memory is shared and up to 64 threads are accepted', () => {
    expect(memoryShared()).toBe(true);
    expect(maxNumThreads()).toBe(64);
    expect(getNumThreads()).toBe(1);
  });

  for (const n of [2, 3]) {
    it(`${n} threads: GEMM on fast-check shapes (every transposition, offsets, accumulate on and off) equals 1 thread bit for bit`, () => {
      setNumThreads(n);
      expect(getNumThreads()).toBe(n);
      expect(poolWorkers()).toHaveLength(n - 1);
      // Shared: the calling thread and the workers race for chunks.
      CASES.forEach((c, i) => expectBitIdentical(runGemm(c), single[i], `shared ${JSON.stringify(c)}`));
      // Workers only: every chunk of every product is computed on a worker.
      forceWorkersOnly(true);
      const before = workerChunkCounts().reduce((s, x) => s + x, 0);
      CASES.forEach((c, i) => expectBitIdentical(runGemm(c), single[i], `workers ${JSON.stringify(c)}`));
      expect(workerChunkCounts().reduce((s, x) => s + x, 0)).toBeGreaterThan(before + CASES.length);
    });
  }

  it('training steps of a small MLP and a small CNN (matmuls and convolutions, forward and backward) are bit-identical at 1 and 2 threads', () => {
    const start = getBackend();
    setBackend('wasm');
    try {
      setNumThreads(1);
      const one = trainSteps();
      setNumThreads(2);
      const two = trainSteps();
      forceWorkersOnly(true);
      const workers = trainSteps();
      one.forEach((p, i) => {
        expectBitIdentical(two[i], p, `parameter ${i}, 2 threads`);
        expectBitIdentical(workers[i], p, `parameter ${i}, workers only`);
      });
      forceWorkersOnly(false);
      setNumThreads(1);
      const cnnOne = trainSteps('cnn');
      setNumThreads(2);
      const cnnTwo = trainSteps('cnn');
      const before = workerChunkCounts()[0];
      forceWorkersOnly(true);
      const cnnWorkers = trainSteps('cnn');
      forceWorkersOnly(false);
      expect(workerChunkCounts()[0]).toBeGreaterThan(before);
      cnnOne.forEach((p, i) => expectBitIdentical(cnnWorkers[i], p, `CNN parameter ${i}, workers only`));
      cnnOne.forEach((p, i) => expectBitIdentical(cnnTwo[i], p, `CNN parameter ${i}, 2 threads`));
      // The training changed the parameters (so the comparison compares something).
      setNumThreads(1);
      const g = new Generator(11);
      expect(Array.from(one[0].subarray(0, 4))).not.toEqual(Array.from(new Linear(40, 96, { rng: g }).weight.data.subarray(0, 4)));
    } finally {
      setBackend(start);
    }
  });

  it('the memory grown while the workers exist: they compute beyond the old end, bit-identical', () => {
    setNumThreads(2);
    const c: GemmCase = { M: 200, K: 300, N: 260, transA: false, transB: true, accumulate: false, aOff: 0, bOff: 0, outOff: 0, seed: 3 };
    setNumThreads(1);
    const ref = runGemm(c);
    setNumThreads(2);
    forceWorkersOnly(true);
    const before = memoryBytes();
    ensureBytes(before + 8 * 65536);
    expect(memoryBytes()).toBeGreaterThan(before);
    expectBitIdentical(runGemm(c), ref, 'after growing by 8 pages');
    // A product larger than every one so far grows the memory inside the call, then the workers run.
    const big: GemmCase = { ...c, M: 600, K: 700, N: 650, seed: 4 };
    const grownFrom = memoryBytes();
    const bigOut = runGemm(big);
    expect(memoryBytes()).toBeGreaterThan(grownFrom);
    forceWorkersOnly(false);
    setNumThreads(1);
    expectBitIdentical(runGemm(big), bigOut, 'a product that grew the memory');
  });

  it('wakeWorkers without a job, or many in a row, is harmless: the next products run on the workers, bit-identical', async () => {
    const c: GemmCase = { M: 130, K: 90, N: 140, transA: false, transB: false, accumulate: true, aOff: 1, bOff: 0, outOff: 2, seed: 5 };
    setNumThreads(1);
    wakeWorkers(); // no pool: nothing to wake
    const ref = runGemm(c);
    setNumThreads(2);
    for (let i = 0; i < 5; i++) wakeWorkers();
    // A woken worker polls for about 2 ms, then sleeps again: a job now, and one after it slept.
    forceWorkersOnly(true);
    const before = workerChunkCounts()[0];
    expectBitIdentical(runGemm(c), ref, 'right after the wakes');
    wakeWorkers();
    await new Promise((r) => setTimeout(r, 20));
    expectBitIdentical(runGemm(c), ref, 'after the worker slept again');
    expect(workerChunkCounts()[0]).toBeGreaterThan(before + 1);
    forceWorkersOnly(false);
    setNumThreads(1);
  });

  it('setNumThreads(1) terminates every worker', async () => {
    setNumThreads(2);
    const workers = poolWorkers() as { once(ev: 'exit', f: (code: number) => void): void }[];
    expect(workers).toHaveLength(1);
    const exited = Promise.all(workers.map((w) => new Promise<number>((res) => w.once('exit', res))));
    setNumThreads(1);
    expect(poolWorkers()).toHaveLength(0);
    expect((await exited).length).toBe(1);
  });
});

describe('setNumThreads: validation and fallbacks', () => {
  const start = getBackend();
  afterEach(() => {
    forceSimdProbe(null);
    setNumThreads(1);
    setBackend(start);
  });

  it('bad counts are a typed ArgumentError, and the count stays as it was', () => {
    for (const bad of [0, -1, 1.5, NaN, Infinity, 'x', '2', null, 65]) {
      expectThrows(() => setNumThreads(bad as number), ArgumentError, 'setNumThreads: n must be an integer ≥ 1 and ≤ 64, got ');
      expect(getNumThreads()).toBe(1);
    }
  });

  it('an engine without shared memory or workers (a page that is not crossOriginIsolated) accepts 1 only', () => {
    forceThreadSupport(false);
    try {
      expect(maxNumThreads()).toBe(1);
      setNumThreads(1);
      expectThrows(() => setNumThreads(2), ArgumentError, 'setNumThreads: n must be 1 in this engine, got 2', 'crossOriginIsolated');
      expect(getNumThreads()).toBe(1);
      expect(poolWorkers()).toHaveLength(0);
    } finally {
      forceThreadSupport(null);
    }
  });

  it('a forced no-SIMD engine falls back to the js backend; a thread count is accepted and the js results do not change', () => {
    forceSimdProbe(false);
    expect(defaultBackend()).toBe('js');
    expect(installBackend('wasm')).toBe(false);
    installBackend(defaultBackend());
    expect(getBackend()).toBe('js');
    const g = new Generator(5);
    const a = randn([70, 90], { rng: g }), b = randn([90, 80], { rng: g });
    const ref = new Float32Array(70 * 80);
    js.gemm(ref, 0, a.data, 0, b.data, 0, 70, 90, 80, false, false, false);
    setNumThreads(2);
    expect(getNumThreads()).toBe(2);
    expect(kernels.gemm).toBe(js.gemm);
    expectBitIdentical(matmul(a, b).data, ref, 'js backend at 2 threads');
  });

  it('a Node process with running workers exits by itself (idle workers are unref\'d)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-threads-'));
    try {
      const script = join(dir, 'exit.ts');
      const src = resolve(__dirname, '../../../src');
      writeFileSync(script, [
        `import { setNumThreads, matmul, randn, Generator } from ${JSON.stringify(join(src, 'tensor/index.ts'))};`,
        `import { workerChunkCounts } from ${JSON.stringify(join(src, 'tensor/kernels/wasm/threads.ts'))};`,
        'setNumThreads(3);',
        'const g = new Generator(1);',
        'for (let i = 0; i < 4; i++) matmul(randn([256, 256], { rng: g }), randn([256, 256], { rng: g }));',
        'console.log(`ok ${workerChunkCounts().length}`);',
      ].join('\n'));
      const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30_000, cwd: resolve(__dirname, '../../..') });
      expect(r.error, String(r.error)).toBeUndefined();
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('ok 2');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
