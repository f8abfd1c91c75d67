// What the wasm backend adds to the first op: each kernel family's first wasm call (building its
// module with the encoder, compiling and instantiating it) minus its second, in a fresh Node process
// per family, after the op's JavaScript path was warmed on the js backend. Issue 13's budget: 20 ms.
//   npx tsx bench/startup.ts [runs]
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMain, makeRow, toMarkdown, type BenchRow } from './util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The child: one family's op, timed on its first and second call (same shapes, inputs ready).
const CHILD = `
import { setBackend, randn, matmul, conv2d, noGrad, Generator } from './src/tensor/index';
import { LSTM } from './src/nn/index';
const g = new Generator(1);
const family = process.argv[process.argv.length - 1];
let op;
if (family === 'gemm') { const a = randn([64, 64], { rng: g }), b = randn([64, 64], { rng: g }); op = () => matmul(a, b); }
else if (family === 'conv') { const x = randn([8, 8, 16, 16], { rng: g }), w = randn([16, 8, 3, 3], { rng: g }); op = () => conv2d(x, w, null, { padding: 1 }); }
else { const l = new LSTM(16, 32, { rng: g }), x = randn([4, 8, 16], { rng: g }); op = () => l.forward(x); }
noGrad(() => {
  // Warm the op's JavaScript path on the js backend first, so the difference below is the wasm module's.
  setBackend('js'); op(); op();
  setBackend('wasm');
  const t0 = performance.now(); op(); const t1 = performance.now(); op(); const t2 = performance.now();
  console.log(JSON.stringify({ first: t1 - t0, second: t2 - t1 }));
});
`;

function firstUseMs(family: string): number {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD, family], { cwd: root, encoding: 'utf8' });
  const { first, second } = JSON.parse(out.trim().split('\n').at(-1)!) as { first: number; second: number };
  return first - second;
}

/** First-use cost of the wasm GEMM, convolution and LSTM modules, best of `runs` fresh processes. */
export async function benchStartup(runs = 3): Promise<BenchRow[]> {
  return ['gemm', 'conv', 'lstm'].map((f) => {
    const ms = Math.min(...Array.from({ length: runs }, () => firstUseMs(f)));
    return makeRow(`wasm first-use cost: ${f} module (build + compile + instantiate)`, 'fresh process', 'ms', ms, { 'budget (issue 13)': 20 });
  });
}

export const startupNotes = [
  'startup: each row is the first call of an op on the wasm backend minus its second call (the same shapes), in a fresh ' +
    'Node process after two calls of the op on the js backend (so the JavaScript around the kernel is warm), best of 3: the cost of building the kernel module with the encoder, compiling and instantiating it. ' +
    'gemm: a 64³ matmul; conv: conv2d of [8, 8, 16, 16] with [16, 8, 3, 3]; lstm: LSTM 16→32 on [4, 8, 16]. The budget ' +
    'column is the issue\'s 20 ms (a ratio below 1× is within it).',
];

if (isMain(import.meta.url)) {
  const rows = await benchStartup(Number(process.argv[2] ?? 3));
  console.log(toMarkdown(rows));
  for (const n of startupNotes) console.log(n);
}
