// A/B of this tree's kernels against another checkout, both loaded in one process:
//   npx tsx bench/ab.ts <other-checkout> [gemm|conv|lstm|all] [rounds]
// (the other checkout needs its own copy of src/; `git worktree add /tmp/base <commit>` makes one).
// Each contender's figure is its best CPU time (user + system) per call over alternating rounds,
// the order flipped every round: on a shared machine wall time mostly measures the wait for a
// core, while CPU time measures the work. tfjs is loaded and used first, so both sides run in the
// checked typed-array mode the other benches run in. Prints new/old per row (new = this tree).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomData as rand } from './util';

type Lib = { tk: any; matmul: any; recurrent: any; layers: any };

async function load(root: string): Promise<Lib> {
  const at = (p: string) => import(pathToFileURL(path.join(root, p)).href);
  return {
    tk: await at('src/tensor/index.ts'), matmul: await at('src/tensor/kernels/matmul.ts'),
    recurrent: await at('src/nn/recurrent.ts'), layers: await at('src/nn/layers.ts'),
  };
}


function cpuTime(fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1e6;
}

/** Best CPU seconds per call of each contender, alternating rounds, order flipped every round. */
function interleaved(fns: Record<string, () => void>, rounds: number, budgetMs: number): Record<string, number> {
  const names = Object.keys(fns);
  const best: Record<string, number> = {};
  for (const n of names) {
    fns[n]();
    best[n] = Infinity;
  }
  for (let r = 0; r < rounds; r++) {
    for (const n of r % 2 === 0 ? names : [...names].reverse()) {
      let spent = 0;
      for (let k = 0; k < 2 || spent < budgetMs / 1000; k++) {
        const t = cpuTime(fns[n]);
        spent += t;
        if (t < best[n]) best[n] = t;
      }
    }
  }
  return best;
}

function report(name: string, r: Record<string, number>, work: number, unit: string): void {
  const o = work / r.old, n = work / r.new;
  console.log(`${name}: old ${o.toFixed(3)} new ${n.toFixed(3)} ${unit}, new/old ${(n / o).toFixed(3)}`);
}

const [other, which = 'all', roundsArg = '8'] = process.argv.slice(2);
if (other === undefined) throw new Error('usage: npx tsx bench/ab.ts <other-checkout> [gemm|conv|lstm|all] [rounds]');
const ROUNDS = Number(roundsArg);
const here = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const O = await load(path.resolve(other)), N = await load(here);
await tf.setBackend('cpu');
await tf.ready();
tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1).dataSync());

if (which === 'all' || which === 'gemm') {
  for (const [v, n] of [['NN', 256], ['NT', 512], ['TN', 512], ['NN', 1024]] as const) {
    const A = rand(n * n, 1), B = rand(n * n, 2), C1 = new Float32Array(n * n), C2 = new Float32Array(n * n);
    const tA = v === 'TN', tB = v === 'NT';
    const r = interleaved({
      old: () => O.matmul.gemm(C1, 0, A, 0, B, 0, n, n, n, tA, tB, false),
      new: () => N.matmul.gemm(C2, 0, A, 0, B, 0, n, n, n, tA, tB, false),
    }, n === 1024 ? Math.max(3, ROUNDS >> 1) : ROUNDS, n === 1024 ? 500 : 200);
    report(`gemm ${v} ${n}`, r, (2 * n ** 3) / 1e9, 'GFLOP/s');
  }
}
if (which === 'all' || which === 'conv') {
  const B = 64, C = 8, H = 28, W = 28, OC = 16, K = 3;
  const mk = (tk: any) => ({
    tk, x: new tk.Tensor(rand(B * C * H * W, 1), [B, C, H, W], true), w: new tk.Tensor(rand(OC * C * K * K, 2), [OC, C, K, K], true),
    b: new tk.Tensor(rand(OC, 3), [OC], true), g: new tk.Tensor(rand(B * OC * H * W, 4), [B, OC, H, W]),
    dx: new tk.Tensor(rand(32 * 64 * H * W, 5), [32, 64, H, W]), dw: new tk.Tensor(rand(64 * 9, 6), [64, 1, 3, 3]),
  });
  const o = mk(O.tk), n = mk(N.tk);
  const fwd = (s: any) => () => s.tk.noGrad(() => s.tk.conv2d(s.x, s.w, s.b, { padding: 1 }));
  const fwdBwd = (s: any) => () => {
    s.x.grad = s.w.grad = s.b.grad = null;
    s.tk.sum(s.tk.mul(s.tk.conv2d(s.x, s.w, s.b, { padding: 1 }), s.g)).backward();
  };
  const dwise = (s: any) => () => s.tk.noGrad(() => s.tk.conv2d(s.dx, s.dw, null, { padding: 1, groups: 64 }));
  const flop = (2 * B * OC * H * W * C * K * K) / 1e9;
  report('conv2d forward', interleaved({ old: fwd(o), new: fwd(n) }, ROUNDS, 300), flop, 'GFLOP/s');
  report('conv2d fwd+bwd', interleaved({ old: fwdBwd(o), new: fwdBwd(n) }, ROUNDS, 500), 3 * flop, 'GFLOP/s');
  report('depthwise forward', interleaved({ old: dwise(o), new: dwise(n) }, ROUNDS, 300), (2 * 32 * 64 * H * W * 9) / 1e9, 'GFLOP/s');
}
if (which === 'all' || which === 'lstm') {
  const B = 64, T = 32, C = 16, H = 64, LR = 0.01;
  const setup = (lib: Lib) => {
    const { tk } = lib;
    const rng = new tk.Generator(1);
    const lstm = new lib.recurrent.LSTM(C, H, { rng }), head = new lib.layers.Linear(H, 1, { rng });
    const x = new tk.Tensor(rand(B * T * C, 11), [B, T, C]), y = new tk.Tensor(rand(B, 12), [B, 1]);
    const params = [...lstm.parameters(), ...head.parameters()];
    const step = (): void => {
      for (const p of params) p.grad = null;
      const { hN } = lstm.forward(x);
      tk.mean(tk.square(tk.sub(head.forward(tk.reshape(hN, [B, H])), y))).backward();
      for (const p of params) {
        const d = p.data, g = p.grad;
        for (let i = 0; i < d.length; i++) d[i] -= LR * g[i];
      }
    };
    return { step, fwd: (): void => tk.noGrad(() => lstm.forward(x)) };
  };
  const o = setup(O), n = setup(N);
  report('LSTM train step', interleaved({ old: o.step, new: n.step }, ROUNDS, 600), B, 'samples/s');
  report('LSTM forward', interleaved({ old: o.fwd, new: n.fwd }, ROUNDS, 400), B, 'samples/s');
}
