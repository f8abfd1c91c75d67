// The same models on the js and the wasm backend, side by side in one process:
//   npx tsx bench/backends.ts [rounds] [substring of the case names to run] [--cpu]
// Each contender is timed in alternating rounds (order flipped every round), backend switched with
// setBackend before each timed block; figure = best samples/s, with the per-round spread of the
// wasm/js ratio. Rows: MLP 784-256-256-10 train step and inference (batch 64), CNN
// conv8-pool-conv16-pool-dense10 train step and inference (batch 64), the c16-p-c32-p-fc10 train step, LSTM 16→64 (T 32, batch 64) train step
// and forward, LSTM 64→128 (T 32, batch 16) forward (the inference row), and the GRU's
// train step (16→64) and forward (64→128) on the same shapes.
import { Conv2d, Flatten, GRU, LSTM, Linear, MaxPool2d, ReLU, Sequential, crossEntropy, mseLoss } from '../src/nn/index';
import { Adam } from '../src/optim/index';
import { Generator, Tensor, noGrad, reshape, setBackend, setNumThreads, type Backend } from '../src/tensor/index';
import { randomData as rand } from './util';


interface Case { name: string; samples: number; fn: () => void }

function cases(): Case[] {
  const B = 64;
  const g = new Generator(1);
  const y10 = new Tensor(Float32Array.from({ length: B }, (_, i) => i % 10), [B]);
  const mlp = new Sequential(new Linear(784, 256, { rng: g }), new ReLU(), new Linear(256, 256, { rng: g }), new ReLU(), new Linear(256, 10, { rng: g }));
  const mlpOpt = new Adam(mlp.parameters(), { lr: 1e-3 });
  const xm = new Tensor(rand(B * 784, 2), [B, 784]);
  const cnn = new Sequential(
    new Conv2d(1, 8, 3, { padding: 1, rng: g }), new ReLU(), new MaxPool2d(2),
    new Conv2d(8, 16, 3, { padding: 1, rng: g }), new ReLU(), new MaxPool2d(2),
    new Flatten(), new Linear(7 * 7 * 16, 10, { rng: g }),
  );
  const cnnOpt = new Adam(cnn.parameters(), { lr: 1e-3 });
  // The issue's CNN (c16-p-c32-p-fc10, the ONNX peers' inference model): four times the
  // convolution work per sample of the one above, twice the element-wise work.
  const cnn2 = new Sequential(
    new Conv2d(1, 16, 3, { padding: 1, rng: g }), new ReLU(), new MaxPool2d(2),
    new Conv2d(16, 32, 3, { padding: 1, rng: g }), new ReLU(), new MaxPool2d(2),
    new Flatten(), new Linear(7 * 7 * 32, 10, { rng: g }),
  );
  const cnn2Opt = new Adam(cnn2.parameters(), { lr: 1e-3 });
  const xc = new Tensor(rand(B * 784, 3), [B, 1, 28, 28]);
  const lstm = new LSTM(16, 64, { rng: g }), head = new Linear(64, 1, { rng: g });
  const lstmOpt = new Adam([...lstm.parameters(), ...head.parameters()], { lr: 1e-3 });
  const xl = new Tensor(rand(B * 32 * 16, 4), [B, 32, 16]), yl = new Tensor(rand(B, 5), [B, 1]);
  const big = new LSTM(64, 128, { rng: g });
  const xb = new Tensor(rand(16 * 32 * 64, 6), [16, 32, 64]);
  const gru = new GRU(16, 64, { rng: g }), gruHead = new Linear(64, 1, { rng: g });
  const gruOpt = new Adam([...gru.parameters(), ...gruHead.parameters()], { lr: 1e-3 });
  const bigGru = new GRU(64, 128, { rng: g });
  return [
    { name: 'train MLP 784-256-256-10, batch 64', samples: B, fn: () => { mlpOpt.zeroGrad(); crossEntropy(mlp.forward(xm), y10).backward(); mlpOpt.step(); } },
    { name: 'infer MLP 784-256-256-10, batch 64', samples: B, fn: () => { noGrad(() => mlp.forward(xm)); } },
    { name: 'train CNN c8-p-c16-p-fc10, batch 64', samples: B, fn: () => { cnnOpt.zeroGrad(); crossEntropy(cnn.forward(xc), y10).backward(); cnnOpt.step(); } },
    { name: 'infer CNN c8-p-c16-p-fc10, batch 64', samples: B, fn: () => { noGrad(() => cnn.forward(xc)); } },
    { name: 'train CNN c16-p-c32-p-fc10, batch 64', samples: B, fn: () => { cnn2Opt.zeroGrad(); crossEntropy(cnn2.forward(xc), y10).backward(); cnn2Opt.step(); } },
    {
      name: 'train LSTM 16→64, T 32, batch 64', samples: B, fn: () => {
        lstmOpt.zeroGrad();
        const { hN } = lstm.forward(xl);
        mseLoss(head.forward(reshape(hN, [B, 64])), yl).backward();
        lstmOpt.step();
      },
    },
    { name: 'infer LSTM 16→64, T 32, batch 64', samples: B, fn: () => { noGrad(() => lstm.forward(xl)); } },
    { name: 'infer LSTM 64→128, T 32, batch 16', samples: 16, fn: () => { noGrad(() => big.forward(xb)); } },
    {
      name: 'train GRU 16→64, T 32, batch 64', samples: B, fn: () => {
        gruOpt.zeroGrad();
        const { hN } = gru.forward(xl);
        mseLoss(gruHead.forward(reshape(hN, [B, 64])), yl).backward();
        gruOpt.step();
      },
    },
    { name: 'infer GRU 64→128, T 32, batch 16', samples: 16, fn: () => { noGrad(() => bigGru.forward(xb)); } },
  ];
}

// --cpu: time each call by the process's CPU time (user + system) instead of wall time; on a loaded
// machine wall time mostly measures the wait for a core (see bench/ab.ts).
// --threads N: instead of js against wasm, the wasm backend at one thread against N threads
// (setNumThreads), rounds alternating, with the process's CPU time over wall time during the
// N-thread rounds (near N when the threads really ran side by side, near 1 when other processes
// held the cores) and the load average at the start and the end.
const cpu = process.argv.includes('--cpu');
const threadsAt = process.argv.indexOf('--threads');
const nThreads = threadsAt >= 0 ? Number(process.argv[threadsAt + 1]) : 1;
const args = process.argv.slice(2).filter((a, i, all) => a !== '--cpu' && a !== '--threads' && all[i - 1] !== '--threads');

function bestSeconds(fn: () => void, budgetMs: number): number {
  let best = Infinity, spent = 0;
  for (let k = 0; k < 3 || spent < budgetMs; k++) {
    const t0 = performance.now(), c0 = cpu ? process.cpuUsage() : null;
    fn();
    const c = c0 === null ? null : process.cpuUsage(c0);
    const dt = c === null ? performance.now() - t0 : (c.user + c.system) / 1000;
    spent += dt;
    best = Math.min(best, dt);
  }
  return best / 1000;
}

const rounds = Number(args[0] ?? 4);
const only = args[1];
if (threadsAt >= 0) {
  if (!Number.isInteger(nThreads) || nThreads < 2) throw new Error('--threads N needs an integer N ≥ 2');
  benchThreads(nThreads);
  process.exit(0);
}
const backends: Backend[] = ['js', 'wasm'];
console.log('| case | js samples/s | wasm samples/s | wasm / js (best) | per-round wasm / js |');
console.log('|---|---:|---:|---:|---|');
for (const c of cases()) {
  if (only !== undefined && !c.name.includes(only)) continue;
  for (const b of backends) { setBackend(b); c.fn(); c.fn(); }
  const per: Record<string, number[]> = { js: [], wasm: [] };
  for (let r = 0; r < rounds; r++) {
    for (const b of r % 2 === 0 ? backends : [...backends].reverse()) {
      setBackend(b);
      per[b].push(bestSeconds(c.fn, 400));
    }
  }
  const js = Math.min(...per.js), wasm = Math.min(...per.wasm);
  const ratios = per.js.map((t, r) => t / per.wasm[r]);
  console.log(`| ${c.name} | ${(c.samples / js).toFixed(0)} | ${(c.samples / wasm).toFixed(0)} | ${(js / wasm).toFixed(2)}× | ` +
    `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)} |`);
}

/** The wasm backend at one thread against `n` threads, case by case (the --threads mode). */
function benchThreads(n: number): void {
  const { loadavg } = process.getBuiltinModule('node:os') as typeof import('node:os');
  const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`load average at start: ${load()}`);
  console.log(`| case | 1 thread samples/s | ${n} threads samples/s | ratio of the bests | per-round ratios | CPU / wall at ${n} threads |`);
  console.log('|---|---:|---:|---:|---|---:|');
  setBackend('wasm');
  for (const c of cases()) {
    if (only !== undefined && !c.name.includes(only)) continue;
    for (const t of [1, n]) { setNumThreads(t); c.fn(); c.fn(); }
    const per: Record<number, number[]> = { 1: [], [n]: [] };
    let cpuUs = 0, wallMs = 0;
    for (let r = 0; r < rounds; r++) {
      for (const t of r % 2 === 0 ? [1, n] : [n, 1]) {
        setNumThreads(t);
        const c0 = process.cpuUsage(), w0 = performance.now();
        per[t].push(bestSeconds(c.fn, 400));
        if (t === n) {
          const u = process.cpuUsage(c0);
          cpuUs += u.user + u.system;
          wallMs += performance.now() - w0;
        }
      }
    }
    setNumThreads(1);
    const one = Math.min(...per[1]), many = Math.min(...per[n]);
    const ratios = per[1].map((t, r) => t / per[n][r]);
    console.log(`| ${c.name} | ${(c.samples / one).toFixed(0)} | ${(c.samples / many).toFixed(0)} | ${(one / many).toFixed(2)}× | ` +
      `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)} | ${(cpuUs / 1000 / wallMs).toFixed(2)} |`);
  }
  console.log(`load average at end: ${load()}`);
}
