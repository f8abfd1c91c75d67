// Issue 13's inference rows (MLP, CNN, LSTM) against onnxruntime-web, onnxruntime-node and tfjs-wasm,
// all running the same PyTorch weights (bench/fixtures, written by gen_onnx_models.py):
//   npx tsx bench/onnx-models.ts [rounds]
// tensorkit loads the weights from NAME.safetensors through its io, the onnxruntimes run NAME.onnx
// (torch.onnx.export), tfjs-wasm gets the safetensors weights in its layouts. Every contender's
// outputs are checked against torch's (small input) and against tensorkit's (timing input) before
// anything is timed.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSafetensors } from '../src/io/index';
import { Conv2d, Flatten, LSTM, Linear, MaxPool2d, ReLU, Sequential, type Module } from '../src/nn/index';
import { Tensor, getBackend, noGrad, setBackend, type Backend } from '../src/tensor/index';
import { isMain, makeRow, measureInterleavedAsync, randomData, toMarkdown, type BenchRow } from './util';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

// Outputs agree when |a − b| ≤ ATOL + RTOL·|b| elementwise: float32 rounding of sums of a few
// thousand products in another order stays far below this; a wrong layout or gate order does not.
const ATOL = 1e-4, RTOL = 1e-4;

export const onnxModelsNotes = [
  'ONNX peers (bench/onnx-models.ts): inference of the same PyTorch-initialized models (seeded, ' +
    'bench/fixtures/gen_onnx_models.py) in one process, one thread each: MLP 784-256-256-10 (ReLU) and ' +
    'CNN c16-p-c32-p-fc10 on 1×28×28 (3×3 convolutions, padding 1, ReLU, 2×2 max pool) at batch 64, ' +
    'LSTM 64→128 (batch first, T 32; outputs the whole output sequence and hN) at batch 16. ' +
    'tensorkit: `nn.Sequential` / `nn.LSTM` with the weights from NAME.safetensors via `loadSafetensors` + ' +
    '`loadStateDict`, `noGrad(() => model.forward(x))`; tensorkit = the wasm backend, tensorkit js = ' +
    "the same model after `setBackend('js')`. ort-web: onnxruntime-web, wasm execution provider (SIMD), " +
    '`env.wasm.numThreads = 1`; ort-node: onnxruntime-node, CPU provider, intraOpNumThreads 1 and ' +
    'interOpNumThreads 1; both run NAME.onnx from `torch.onnx.export` (opset 17, dynamic batch axis), ' +
    '`session.run` timed including input wrapping. tfjs-wasm: tfjs-core ops on the WebAssembly backend ' +
    '(XNNPACK, one thread) with the safetensors weights in its layouts: `tf.fused.matMul` (kernel [in, out], ' +
    "bias, relu), `tf.fused.conv2d` in NHWC (bias, relu) + `tf.maxPool`, `tf.basicLSTMCell` per step " +
    '(forgetBias 0, gates reordered), + `dataSync()`. Before timing, every output is checked against ' +
    `torch's on the fixture's small input and against tensorkit's on the timing input (|a − b| ≤ ${ATOL} + ` +
    `${RTOL}·|b|). samples/s = batch / best wall time of one forward; alternating rounds, order flipped ` +
    'each round, best per contender.',
];

interface Weights {
  /** The state dict (tensorkit's keys). */
  sd: Record<string, Tensor>;
  /** The fixture's input and torch's outputs on it, by name (`x`, `y` or `output`, `hN`). */
  io: Record<string, Tensor>;
}

function loadWeights(name: string): Weights {
  const { tensors } = loadSafetensors(readFileSync(path.join(FIXTURES, `${name}.safetensors`)));
  const sd: Record<string, Tensor> = {}, io: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(tensors)) {
    if (!(v instanceof Tensor)) throw new Error(`${name}.safetensors: ${k} is not float32`);
    if (k.startsWith('__io__.')) io[k.slice(7)] = v;
    else sd[k] = v;
  }
  return { sd, io };
}

interface ModelCase {
  /** The fixture pair bench/fixtures/FILE.onnx and FILE.safetensors. */
  file: string;
  name: string;
  size: string;
  batch: number;
  /** Input shape at batch B. */
  shape: (B: number) => number[];
  /** Output names, as in the ONNX graph and in `__io__.*`. */
  outputs: string[];
  build: () => Module;
  /** tensorkit's outputs, in `outputs` order. */
  run: (m: Module, x: Tensor) => Tensor[];
  /** The same computation with tfjs-core ops, weights from the state dict; outputs in `outputs` order. */
  tfjs: (sd: Record<string, Tensor>) => { run: (x: tf.Tensor) => tf.Tensor[]; dispose: () => void };
}

/**
 * A Linear weight [O, I] → the dense kernel [I, O] of tfjs (Keras's layout). Not the [O, I] data with
 * `transposeB`: tfjs-wasm 4.22's fused matMul adds the bias wrongly when transposeB is set.
 */
function tfKernel(w: Tensor): tf.Tensor2D {
  const [O, I] = w.shape;
  const out = new Float32Array(w.data.length);
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) out[i * O + o] = w.data[o * I + i];
  return tf.tensor2d(out, [I, O]);
}

/** Conv weight [OC, IC, KH, KW] → tfjs filter [KH, KW, IC, OC]. */
function tfFilter(w: Tensor): tf.Tensor4D {
  const [OC, IC, KH, KW] = w.shape;
  const out = new Float32Array(w.data.length);
  for (let o = 0; o < OC; o++) {
    for (let c = 0; c < IC; c++) {
      for (let i = 0; i < KH; i++) for (let j = 0; j < KW; j++) out[((i * KW + j) * IC + c) * OC + o] = w.data[((o * IC + c) * KH + i) * KW + j];
    }
  }
  return tf.tensor4d(out, [KH, KW, IC, OC]);
}

const CASES: ModelCase[] = [
  {
    file: 'mlp', name: 'MLP inference (ONNX peers)', size: '784-256-256-10, batch 64', batch: 64, shape: (B) => [B, 784], outputs: ['y'],
    build: () => new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 256), new ReLU(), new Linear(256, 10)),
    run: (m, x) => [(m as Sequential).forward(x) as Tensor],
    tfjs: (sd) => {
      const w = [tfKernel(sd['0.weight']), tfKernel(sd['2.weight']), tfKernel(sd['4.weight'])];
      const b = [tf.tensor1d(sd['0.bias'].data), tf.tensor1d(sd['2.bias'].data), tf.tensor1d(sd['4.bias'].data)];
      return {
        run: (x) => {
          let h = x as tf.Tensor2D;
          for (let l = 0; l < 3; l++) h = tf.fused.matMul({ a: h, b: w[l], bias: b[l], activation: l < 2 ? 'relu' : 'linear' }) as tf.Tensor2D;
          return [h];
        },
        dispose: () => tf.dispose([...w, ...b]),
      };
    },
  },
  {
    file: 'cnn', name: 'CNN inference (ONNX peers)', size: 'c16-p-c32-p-fc10 on 1×28×28, batch 64', batch: 64, shape: (B) => [B, 1, 28, 28], outputs: ['y'],
    build: () => new Sequential(
      new Conv2d(1, 16, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2),
      new Conv2d(16, 32, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2),
      new Flatten(), new Linear(32 * 7 * 7, 10),
    ),
    run: (m, x) => [(m as Sequential).forward(x) as Tensor],
    tfjs: (sd) => {
      const f1 = tfFilter(sd['0.weight']), f2 = tfFilter(sd['3.weight']);
      const b1 = tf.tensor1d(sd['0.bias'].data), b2 = tf.tensor1d(sd['3.bias'].data), b3 = tf.tensor1d(sd['7.bias'].data);
      // Our Flatten reads (c, h, w); NHWC flattens (h, w, c): permute the dense weight's columns once.
      const w = sd['7.weight'], C = 32, HW = 49;
      const wp = new Float32Array(w.data.length);
      for (let o = 0; o < 10; o++) for (let c = 0; c < C; c++) for (let p = 0; p < HW; p++) wp[o * C * HW + p * C + c] = w.data[o * C * HW + c * HW + p];
      const w3 = tfKernel(new Tensor(wp, [10, C * HW]));
      return {
        // A 1-channel NCHW image has the bytes of its NHWC form, so x goes in as [B, 28, 28, 1].
        run: (x) => {
          const B = x.shape[0];
          let h = tf.reshape(x, [B, 28, 28, 1]) as tf.Tensor4D;
          h = tf.maxPool(tf.fused.conv2d({ x: h, filter: f1, strides: 1, pad: 1, bias: b1, activation: 'relu' }), 2, 2, 'valid');
          h = tf.maxPool(tf.fused.conv2d({ x: h, filter: f2, strides: 1, pad: 1, bias: b2, activation: 'relu' }), 2, 2, 'valid');
          return [tf.fused.matMul({ a: tf.reshape(h, [B, C * HW]) as tf.Tensor2D, b: w3, bias: b3 })];
        },
        dispose: () => tf.dispose([f1, f2, b1, b2, b3, w3]),
      };
    },
  },
  {
    file: 'lstm', name: 'LSTM inference (ONNX peers)', size: '64→128, T 32, batch 16', batch: 16, shape: (B) => [B, 32, 64], outputs: ['output', 'hN'],
    build: () => new LSTM(64, 128),
    run: (m, x) => {
      const { output, hN } = (m as LSTM).forward(x);
      return [output, hN];
    },
    tfjs: (sd) => {
      // basicLSTMCell: kernel [I + H, 4H] = [W_ihᵀ; W_hhᵀ], gate blocks (i, j = g, f, o) from PyTorch's (i, f, g, o).
      const I = 64, H = 128, order = [0, 2, 1, 3];
      const wIh = sd.weightIh0.data, wHh = sd.weightHh0.data, bIh = sd.biasIh0.data, bHh = sd.biasHh0.data;
      const kernel = new Float32Array((I + H) * 4 * H), bias = new Float32Array(4 * H);
      for (let q = 0; q < 4; q++) {
        for (let j = 0; j < H; j++) {
          const row = order[q] * H + j, col = q * H + j;
          for (let c = 0; c < I; c++) kernel[c * 4 * H + col] = wIh[row * I + c];
          for (let k = 0; k < H; k++) kernel[(I + k) * 4 * H + col] = wHh[row * H + k];
          bias[col] = bIh[row] + bHh[row];
        }
      }
      const tk = tf.tensor2d(kernel, [I + H, 4 * H]), tb = tf.tensor1d(bias), fb = tf.scalar(0);
      return {
        run: (x) => {
          const B = x.shape[0];
          const xs = tf.unstack(x, 1) as tf.Tensor2D[];
          let c: tf.Tensor2D = tf.zeros([B, H]), h: tf.Tensor2D = tf.zeros([B, H]);
          const hs: tf.Tensor2D[] = [];
          for (const xt of xs) {
            [c, h] = tf.basicLSTMCell(fb, tk, tb, xt, c, h);
            hs.push(h);
          }
          return [tf.stack(hs, 1), tf.expandDims(h, 0)];
        },
        dispose: () => tf.dispose([tk, tb, fb]),
      };
    },
  },
];

/** Throws unless `got` matches `want` elementwise within ATOL + RTOL·|want|; returns the worst |difference|. */
function checkClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): number {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} values, expected ${want.length}`);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= ATOL + RTOL * Math.abs(want[i]))) throw new Error(`${what}: element ${i} is ${got[i]}, expected ${want[i]}`);
    worst = Math.max(worst, d);
  }
  return worst;
}

/**
 * Every case, every contender, checked and then timed; `rounds` alternating rounds. Returns the rows
 * and one spread line per case (per-round ours / peer).
 */
export async function runOnnxModels(rounds = 6, budgetMs = 200): Promise<{ rows: BenchRow[]; spread: string[] }> {
  const wasmDir = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(wasmDir + path.sep);
  setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  // Node has no multithreaded tfjs-wasm build, so XNNPACK runs one thread even when an earlier suite
  // initialized the backend without setThreadsCount.
  if (getThreadsCount() !== 1) throw new Error(`onnx-models bench: tfjs-wasm runs ${getThreadsCount()} threads, not 1`);
  ortWeb.env.wasm.numThreads = 1;
  ortWeb.env.wasm.simd = true;
  const before = getBackend();
  const rows: BenchRow[] = [];
  const spread: string[] = [];
  for (const c of CASES) {
    const { sd, io } = loadWeights(c.file);
    const model = c.build();
    model.loadStateDict(sd, { strict: true });
    model.eval();
    const onnx = readFileSync(path.join(FIXTURES, `${c.file}.onnx`));
    const web = await ortWeb.InferenceSession.create(onnx, { executionProviders: ['wasm'], intraOpNumThreads: 1, interOpNumThreads: 1 });
    const nat = await ortNode.InferenceSession.create(onnx, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
    const tfm = c.tfjs(sd);
    const ours = (b: Backend, x: Tensor): Float32Array[] => {
      if (getBackend() !== b) setBackend(b);
      return noGrad(() => c.run(model, x)).map((t) => t.data);
    };
    const runWeb = async (x: Tensor): Promise<Float32Array[]> => {
      const r = await web.run({ x: new ortWeb.Tensor('float32', x.data, x.shape) });
      return c.outputs.map((o) => r[o].data as Float32Array);
    };
    const runNat = async (x: Tensor): Promise<Float32Array[]> => {
      const r = await nat.run({ x: new ortNode.Tensor('float32', x.data, x.shape) });
      return c.outputs.map((o) => r[o].data as Float32Array);
    };
    const tx = (x: Tensor): tf.Tensor => tf.tensor(x.data, [...x.shape]);
    const runTf = (t: tf.Tensor): Float32Array[] => tf.tidy(() => tfm.run(t)).map((y) => {
      const d = y.dataSync() as Float32Array;
      y.dispose();
      return d;
    });

    // The same numbers first: every contender against torch on the small input, then against
    // tensorkit (wasm) on the timing input.
    const small = io.x, xt = new Tensor(randomData(c.shape(c.batch).reduce((a, b) => a * b, 1), 7), c.shape(c.batch));
    const tSmall = tx(small), tBig = tx(xt);
    const want = c.outputs.map((o) => io[o].data);
    const worst: Record<string, number> = {};
    const check = (who: string, got: Float32Array[], ref: Float32Array[], on: string): void => {
      for (let i = 0; i < ref.length; i++) {
        worst[who] = Math.max(worst[who] ?? 0, checkClose(got[i], ref[i], `${c.name}: ${who} ${c.outputs[i]} vs ${on}`));
      }
    };
    for (const b of ['wasm', 'js'] as const) check(`tensorkit ${b}`, ours(b, small), want, 'torch');
    check('ort-web', await runWeb(small), want, 'torch');
    check('ort-node', await runNat(small), want, 'torch');
    check('tfjs-wasm', runTf(tSmall), want, 'torch');
    const ref = ours('wasm', xt);
    check('tensorkit js', ours('js', xt), ref, 'tensorkit');
    check('ort-web', await runWeb(xt), ref, 'tensorkit');
    check('ort-node', await runNat(xt), ref, 'tensorkit');
    check('tfjs-wasm', runTf(tBig), ref, 'tensorkit');

    const fns: Record<string, () => Promise<void>> = {
      tensorkit: async () => { ours('wasm', xt); },
      'tensorkit js': async () => { ours('js', xt); },
      'ort-web': async () => { await runWeb(xt); },
      'ort-node': async () => { await runNat(xt); },
      'tfjs-wasm': async () => { runTf(tBig); },
    };
    const names = Object.keys(fns);
    const per: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? names : [...names].reverse();
      const t = await measureInterleavedAsync(Object.fromEntries(order.map((n) => [n, fns[n]])), 1, { budgetMs, minRuns: 2, warmup: r === 0 });
      for (const n of names) per[n].push(t[n]);
    }
    const sps = (s: number): number => c.batch / s;
    const best = (n: string): number => sps(Math.min(...per[n]));
    rows.push(makeRow(c.name, c.size, 'samples/s', best('tensorkit'),
      Object.fromEntries(names.slice(1).map((n) => [n, best(n)]))));
    const range = (xs: number[], digits = 2): string => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
    const ratio = (peer: string): number[] => per.tensorkit.map((t, r) => per[peer][r] / t);
    spread.push(`${c.file}: ours per round ${range(per.tensorkit.map(sps), 0)} samples/s; ours/ort-web per round ${range(ratio('ort-web'))}, ` +
      `ours/ort-node ${range(ratio('ort-node'))}, ours/tfjs-wasm ${range(ratio('tfjs-wasm'))}, ours/tensorkit js ${range(ratio('tensorkit js'))}; ` +
      `worst |difference| ${Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`);
    tf.dispose([tSmall, tBig]);
    tfm.dispose();
    await web.release();
    await nat.release();
    if (isMain(import.meta.url)) console.error(`done ${c.file}`);
  }
  setBackend(before);
  await tf.setBackend('cpu');
  return { rows, spread };
}

/** The suite for bench/run.ts: the rows of {@link runOnnxModels}. */
export async function benchOnnxModels(): Promise<BenchRow[]> {
  return (await runOnnxModels()).rows;
}

if (isMain(import.meta.url)) {
  const { rows, spread } = await runOnnxModels(Number(process.argv[2] ?? 6));
  console.log(toMarkdown(rows));
  console.log();
  for (const line of spread) console.log(line);
  console.log();
  for (const note of onnxModelsNotes) console.log(note);
}
