import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, crossEntropy } from '../src/nn/index';
import { Adam } from '../src/optim/index';
import { Generator, Tensor } from '../src/tensor/index';
import { registerTfGradients } from './tfgrads';
import { isMain, makeRow, measure, toMarkdown, type BenchRow } from './util';

const BATCH = 64;

export const trainNotes = [
  `Training steps (batch ${BATCH}, Adam lr 1e-3, softmax cross-entropy, forward + backward + update), samples/s = ${BATCH} / best step time. ` +
    'MLP: 784 → 256 (ReLU) → 10. CNN: conv 1→8 3×3 same + ReLU → maxpool 2 → conv 8→16 3×3 same + ReLU → maxpool 2 → dense 10 on 28×28 inputs. ' +
    'tfjs: the same layers from tf ops (conv2d NHWC, matMul, relu, maxPool, softmaxCrossEntropy), `optimizer.minimize` with `tf.train.adam`, ' +
    'on the CPU backend and (MLP only: its WebAssembly backend has no Conv2DBackpropFilter kernel) on the WebAssembly backend; tfjs models are timed for a fixed number of steps after warm-up.',
];

function rand(n: number, seed: number, scale = 1): Float32Array {
  const g = new Generator(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = g.normal() * scale;
  return out;
}

function labels(seed: number): Float32Array {
  const g = new Generator(seed);
  const y = new Float32Array(BATCH);
  for (let i = 0; i < BATCH; i++) y[i] = g.randint(0, 10);
  return y;
}

function oursStep(model: Sequential, opt: Adam, x: Tensor, y: Tensor): () => void {
  return () => {
    opt.zeroGrad();
    crossEntropy(model.forward(x), y).backward();
    opt.step();
  };
}

/** A tfjs training step on the current backend, built from tf ops with tf.variable weights. */
function tfStep(kind: 'mlp' | 'cnn'): { step: () => void; dispose: () => void } {
  const g = new Generator(3);
  const v = (shape: number[], scale: number) => tf.variable(tf.tensor(rand(shape.reduce((a, b) => a * b, 1), g.randint(0, 1e9), scale), shape));
  const yHot = tf.cast(tf.oneHot(tf.tensor1d(Array.from(labels(2)), 'int32'), 10), 'float32');
  const opt = tf.train.adam(1e-3);
  let vars: tf.Variable[];
  let x: tf.Tensor;
  let loss: () => tf.Scalar;
  if (kind === 'mlp') {
    const w1 = v([784, 256], 0.035), b1 = v([256], 0), w2 = v([256, 10], 0.06), b2 = v([10], 0);
    vars = [w1, b1, w2, b2];
    x = tf.tensor2d(rand(BATCH * 784, 1), [BATCH, 784]);
    loss = () => tf.losses.softmaxCrossEntropy(yHot, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2)) as tf.Scalar;
  } else {
    const k1 = v([3, 3, 1, 8], 0.3), c1 = v([8], 0), k2 = v([3, 3, 8, 16], 0.1), c2 = v([16], 0), wd = v([7 * 7 * 16, 10], 0.03), bd = v([10], 0);
    vars = [k1, c1, k2, c2, wd, bd];
    x = tf.tensor4d(rand(BATCH * 784, 1), [BATCH, 28, 28, 1]);
    loss = () => {
      let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, k1 as tf.Tensor4D, 1, 'same'), c1)) as tf.Tensor4D, 2, 2, 'valid');
      h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, k2 as tf.Tensor4D, 1, 'same'), c2)) as tf.Tensor4D, 2, 2, 'valid');
      return tf.losses.softmaxCrossEntropy(yHot, tf.add(tf.matMul(tf.reshape(h, [BATCH, 7 * 7 * 16]), wd), bd)) as tf.Scalar;
    };
  }
  return {
    step: () => {
      const l = opt.minimize(loss, true, vars);
      l?.dataSync();
      l?.dispose();
    },
    dispose: () => {
      for (const t of [...vars, x, yHot]) t.dispose();
      opt.dispose();
    },
  };
}

async function timeTf(kind: 'mlp' | 'cnn', backend: 'cpu' | 'wasm', steps: number): Promise<number> {
  await tf.setBackend(backend);
  await tf.ready();
  const s = tfStep(kind);
  s.step();
  const t = measure(s.step, { budgetMs: 0, minRuns: steps, warmup: false });
  s.dispose();
  return t;
}

/** Training-step throughput of an MLP and a small CNN against tfjs's CPU and WebAssembly backends. */
export async function benchTrain(): Promise<BenchRow[]> {
  registerTfGradients();
  const wasmDir = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(wasmDir + path.sep);
  const rows: BenchRow[] = [];

  // tensorkit MLP.
  const mlp = new Sequential(new Linear(784, 256, { rng: new Generator(1) }), new ReLU(), new Linear(256, 10, { rng: new Generator(2) }));
  const xm = new Tensor(rand(BATCH * 784, 1), [BATCH, 784]);
  const y = new Tensor(labels(2), [BATCH]);
  const oursMlp = measure(oursStep(mlp, new Adam(mlp.parameters(), { lr: 1e-3 }), xm, y), { budgetMs: 1500 });
  const cpuMlp = await timeTf('mlp', 'cpu', 5);
  const wasmMlp = await timeTf('mlp', 'wasm', 10);
  rows.push(makeRow('train MLP 784-256-10', `batch ${BATCH}`, 'samples/s', BATCH / oursMlp, { 'tfjs-cpu': BATCH / cpuMlp, 'tfjs-wasm': BATCH / wasmMlp }));

  // tensorkit CNN.
  const cnn = new Sequential(
    new Conv2d(1, 8, 3, { padding: 1, rng: new Generator(3) }), new ReLU(), new MaxPool2d(2),
    new Conv2d(8, 16, 3, { padding: 1, rng: new Generator(4) }), new ReLU(), new MaxPool2d(2),
    new Flatten(), new Linear(7 * 7 * 16, 10, { rng: new Generator(5) }),
  );
  const xc = new Tensor(rand(BATCH * 784, 1), [BATCH, 1, 28, 28]);
  const oursCnn = measure(oursStep(cnn, new Adam(cnn.parameters(), { lr: 1e-3 }), xc, y), { budgetMs: 2000 });
  const cpuCnn = await timeTf('cnn', 'cpu', 2);
  // tfjs's WebAssembly backend has no Conv2DBackpropFilter kernel, so it cannot train this CNN.
  rows.push(makeRow('train CNN conv8-pool-conv16-pool-dense10', `batch ${BATCH}, 28×28`, 'samples/s', BATCH / oursCnn, { 'tfjs-cpu': BATCH / cpuCnn }));
  await tf.setBackend('cpu');
  return rows;
}

if (isMain(import.meta.url)) {
  console.log(toMarkdown(await benchTrain()));
}
