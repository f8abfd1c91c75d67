// Element-wise, softmax and reduction kernels: where wasm pays and where it does not.
//   npx tsx bench/elementwise.ts [rounds] [--cpu] [--models]
// (--models: only the model rows. --cpu: each call timed by the process's CPU time, for a loaded machine; see bench/util.ts.)
// Kernel rows: the wasm kernel against the JS kernel on the same data, millions of elements per
// second (best of alternating rounds), at 64 Ki and 1 Mi elements, one thread. The "staging
// floor" row is the copy into the wasm memory and out again that every staged wasm kernel pays,
// with the JS kernels that have no wasm twin beside it (add, mul, sum, the softmax backward): an
// arithmetic kernel that runs in JS at about the speed of that copy cannot gain from lanes.
// Model rows: training steps on the wasm backend with these kernels against the same backend with
// the JS ones put back (the table the wasm backend had before them), alternating rounds.
import { Linear, GELU, MultiHeadAttention, Sequential, Tanh, crossEntropy } from '../src/nn/index';
import { Adam } from '../src/optim/index';
import { Generator, Tensor, mul, setBackend, sum } from '../src/tensor/index';
import { js, kernels, useKernels, wasm, type Kernels } from '../src/tensor/kernels/backend';
import { ensureBytes, f32View } from '../src/tensor/kernels/wasm/memory';
import { isMain, makeRow, measureInterleaved, toMarkdown, type BenchRow, randomData } from './util';

/** The entries the wasm backend took over in this change, for the "before" table of the model rows. */
const NEW_ENTRIES = [
  'expForward', 'mulByOutputBackward', 'tanhForward', 'tanhBackward', 'sigmoidForward', 'sigmoidBackward',
  'geluForward', 'geluBackward', 'softmaxForward', 'softmaxBackward', 'logSoftmaxForward', 'logSoftmaxBackward',
] as const;

export const elementwiseNotes = [
  'Element-wise: each wasm kernel against its JS twin on the same inputs (uniform in ±4; rows of 128 for softmax), ' +
    'in millions of elements per second, best of alternating rounds, one thread. The staging floor is one copy of the ' +
    'operand into the wasm memory and one out (what a staged wasm kernel pays before computing), shown against the JS ' +
    'kernels that stay JS: add, mul, sum and the softmax backward run near that floor, so lanes would not pay for them.',
  'Model rows: a training step on the wasm backend with these kernels against the same backend with the JS kernels ' +
    'for exp, tanh, σ, GELU, softmax and log-softmax (forward and backward) put back; alternating rounds, one thread.',
];

type Case = { name: string; size: number; wasm: () => void; js: () => void };

function kernelCases(N: number): Case[] {
  const x = randomData(N, 1, 4), dy = randomData(N, 2), y = randomData(N, 3).map(Math.tanh), out = new Float32Array(N), dx = new Float32Array(N);
  const O = N / 128, R = 128;
  const w = wasm, j = js;
  return [
    { name: 'exp', size: N, wasm: () => w.expForward(out, x, N), js: () => j.expForward(out, x, N) },
    { name: 'tanh', size: N, wasm: () => w.tanhForward(out, x, N), js: () => j.tanhForward(out, x, N) },
    { name: 'sigmoid', size: N, wasm: () => w.sigmoidForward(out, x, N), js: () => j.sigmoidForward(out, x, N) },
    { name: 'gelu', size: N, wasm: () => w.geluForward(out, x, N), js: () => j.geluForward(out, x, N) },
    { name: 'gelu backward', size: N, wasm: () => w.geluBackward(dx, dy, x, N), js: () => j.geluBackward(dx, dy, x, N) },
    { name: 'tanh backward', size: N, wasm: () => w.tanhBackward(dx, dy, y, N), js: () => j.tanhBackward(dx, dy, y, N) },
    { name: 'relu', size: N, wasm: () => w.reluForward(out, x, N), js: () => j.reluForward(out, x, N) },
    { name: 'softmax rows of 128', size: N, wasm: () => w.softmaxForward(out, x, O, R, 1), js: () => j.softmaxForward(out, x, O, R, 1) },
    { name: 'logSoftmax rows of 128', size: N, wasm: () => w.logSoftmaxForward(out, x, O, R, 1), js: () => j.logSoftmaxForward(out, x, O, R, 1) },
  ];
}

/** The staging floor against the JS kernels that stay JS, as one row: floor = ours. */
function floorRow(N: number, rounds: number, clock: 'wall' | 'cpu'): BenchRow {
  const x = randomData(N, 1), b = randomData(N, 2), out = new Float32Array(N), dx = new Float32Array(N);
  ensureBytes(N * 4);
  const best = measureInterleaved({
    floor: () => { const m = f32View(); m.set(x, 0); out.set(m.subarray(0, N)); },
    add: () => js.addRow(out, 0, N, x, 0, 1, b, 0, 1, x, 0, 0),
    mul: () => js.mulRow(out, 0, N, x, 0, 1, b, 0, 1, x, 0, 0),
    sum: () => js.sumForward(out, x, 1, N / 128, 128, 1),
    'softmax backward': () => js.softmaxBackward(dx, b, x, N / 128, 128, 1),
  }, rounds, { budgetMs: 150, clock });
  const me = (t: number): number => N / t / 1e6;
  const peers: Record<string, number> = {};
  for (const k of ['add', 'mul', 'sum', 'softmax backward']) peers[`js ${k}`] = me(best[k]);
  return makeRow('staging floor (copy in + out)', String(N), 'Melem/s', me(best.floor), peers);
}

function modelCases(): { name: string; size: string; samples: number; fn: () => void }[] {
  const g = new Generator(1);
  const B = 64;
  const x = new Tensor(randomData(B * 784, 2), [B, 784]);
  const y = new Tensor(Float32Array.from({ length: B }, (_, i) => i % 10), [B]);
  const mk = (act: () => Tanh | GELU) => {
    const net = new Sequential(new Linear(784, 256, { rng: g }), act(), new Linear(256, 256, { rng: g }), act(), new Linear(256, 10, { rng: g }));
    const opt = new Adam(net.parameters(), { lr: 1e-3 });
    return () => { opt.zeroGrad(); crossEntropy(net.forward(x), y).backward(); opt.step(); };
  };
  const att = new MultiHeadAttention(128, 4, { rng: g });
  const xa = new Tensor(randomData(32 * 64 * 128, 3), [32, 64, 128]), ga = new Tensor(randomData(32 * 64 * 128, 4), [32, 64, 128]);
  return [
    { name: 'train MLP 784-256-256-10, tanh', size: 'batch 64', samples: B, fn: mk(() => new Tanh()) },
    { name: 'train MLP 784-256-256-10, GELU', size: 'batch 64', samples: B, fn: mk(() => new GELU()) },
    {
      name: 'self-attention fwd + bwd (E 128, 4 heads)', size: 'B 32, T 64', samples: 32,
      fn: () => { sum(mul(att.forward(xa, xa, xa, { needWeights: false }).output, ga)).backward(); },
    },
  ];
}

export async function benchElementwise(rounds = 4, clock: 'wall' | 'cpu' = 'wall', only?: 'models'): Promise<BenchRow[]> {
  setBackend('wasm');
  const rows: BenchRow[] = [];
  for (const N of only === 'models' ? [] : [1 << 16, 1 << 20]) {
    for (const c of kernelCases(N)) {
      const best = measureInterleaved({ wasm: c.wasm, js: c.js }, rounds, { budgetMs: 150, clock });
      rows.push(makeRow(`${c.name} (wasm kernel)`, String(N), 'Melem/s', c.size / best.wasm / 1e6, { 'js kernel': c.size / best.js / 1e6 }));
    }
    rows.push(floorRow(N, rounds, clock));
  }
  const before = { ...wasm } as Kernels;
  for (const k of NEW_ENTRIES) (before as unknown as Record<string, unknown>)[k] = js[k];
  const after = { ...kernels };
  for (const c of modelCases()) {
    const best = measureInterleaved({
      after: () => { useKernels(after); c.fn(); },
      before: () => { useKernels(before); c.fn(); },
    }, rounds, { budgetMs: 400, clock });
    rows.push(makeRow(`${c.name} (wasm backend)`, c.size, 'samples/s', c.samples / best.after, { 'wasm backend, JS element-wise': c.samples / best.before }));
  }
  useKernels(after);
  return rows;
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const rows = await benchElementwise(Number(args[0] ?? 4), process.argv.includes('--cpu') ? 'cpu' : 'wall', process.argv.includes('--models') ? 'models' : undefined);
  console.log(toMarkdown(rows));
  for (const n of elementwiseNotes) console.log(`\n${n}`);
}
