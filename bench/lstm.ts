import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import path from 'node:path';
import { LSTM } from '../src/nn/recurrent';
import { Linear } from '../src/nn/layers';
import { crossEntropy } from '../src/nn/losses';
import { Adam } from '../src/optim/index';
import { Generator, Tensor, mean, noGrad, reshape, square, sub } from '../src/tensor/index';
import { registerTfGradients } from './tfgrads';
import { isMain, makeRow, measureInterleaved, measureInterleavedAsync, toMarkdown, type BenchRow, randomData } from './util';

// One LSTM layer, batch first, regression head on the final hidden state, MSE loss, plain SGD;
// and the same layer with a K-class head, softmax cross-entropy and Adam against tfjs-layers.
const B = 64, T = 32, C = 16, H = 64;
const LR = 0.01;
const K = 10;

export const lstmNotes = [
  `LSTM: one layer, batch ${B}, ${T} steps, ${C} → ${H} units, a Linear(${H}, 1) head on the final hidden state, ` +
    'MSE loss, plain SGD update; samples/s = batch / best wall time of one step, all contenders in one process, ' +
    'alternating rounds. "train step" is forward + backward + update; "forward" is inference without a graph. ' +
    'tensorkit: `nn.LSTM` (one fused op per layer and direction with hand-written BPTT). ' +
    'tfjs-cpu: the same math with tfjs-core ops on the CPU backend — `tf.basicLSTMCell` per step ' +
    '(forgetBias 0, weights ported from ours so both compute the same loss), `tf.variableGrads` for the gradient, ' +
    '`tf.tidy` around the step.',
  `LSTM classifier: the same layer with a Linear(${H}, ${K}) head on the final hidden state, softmax cross-entropy over ${K} classes ` +
    '(mean over the batch), Adam (lr 1e-3), same data, same initial weights (the losses are checked to agree before timing). ' +
    'tensorkit: `nn.LSTM` + `nn.Linear`, `crossEntropy(logits, labels)`, `optim.Adam`. ' +
    `tfjs-layers: \`tf.sequential([tf.layers.lstm({ units: ${H}, recurrentActivation: 'sigmoid', inputShape: [${T}, ${C}] }), ` +
    `tf.layers.dense({ units: ${K} })])\` compiled with \`tf.train.adam(1e-3)\` and \`loss: tf.losses.softmaxCrossEntropy\` ` +
    '(one-hot labels, logits in; the same loss as ours), one step = `await model.trainOnBatch(x, yOneHot)`, ' +
    "`recurrentActivation: 'sigmoid'` in place of tfjs's default hard sigmoid so both compute PyTorch's LSTM. " +
    'Row "tfjs-layers": the tfjs CPU backend (the backend of the other tfjs-cpu rows); row "tfjs-layers-wasm": the same model ' +
    "on tfjs's WebAssembly backend (XNNPACK), timed in its own alternating pair with ours. Async rounds, since trainOnBatch " +
    'returns a promise (our step is wrapped in one for symmetry).',
];


/**
 * Our weights in tfjs's basicLSTMCell layout: kernel [C + H, 4H] = [W_ihᵀ; W_hhᵀ] with the gate
 * blocks reordered from PyTorch's (i, f, g, o) to tfjs's (i, j = g, f, o); bias = b_ih + b_hh.
 */
function toTfLayout(lstm: LSTM): { kernel: Float32Array; bias: Float32Array } {
  const order = [0, 2, 1, 3];
  const kernel = new Float32Array((C + H) * 4 * H);
  const bias = new Float32Array(4 * H);
  const wIh = lstm.weightIh0.data, wHh = lstm.weightHh0.data, bIh = lstm.biasIh0.data, bHh = lstm.biasHh0.data;
  for (let q = 0; q < 4; q++) {
    const src = order[q];
    for (let j = 0; j < H; j++) {
      const row = src * H + j, col = q * H + j;
      for (let c = 0; c < C; c++) kernel[c * 4 * H + col] = wIh[row * C + c];
      for (let k = 0; k < H; k++) kernel[(C + k) * 4 * H + col] = wHh[row * H + k];
      bias[col] = bIh[row] + bHh[row];
    }
  }
  return { kernel, bias };
}

/**
 * tfjs-layers calls chained tensor methods (`t.flatten()` in its orthogonal initializer), which the
 * Node entry of tfjs-core does not install; like the gradients (tfgrads.ts), they are registered
 * on the global Tensor class by a dist module that needs CommonJS resolution.
 */
function registerTfChainedOps(): void {
  createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops');
}

/** Labels 0..K−1 drawn from `seed`, as class indices and as one-hot rows (B, K). */
function classLabels(seed: number): { idx: Float32Array; oneHot: Float32Array } {
  const idx = new Float32Array(B), oneHot = new Float32Array(B * K);
  const u = randomData(B, seed);
  for (let b = 0; b < B; b++) {
    idx[b] = Math.min(K - 1, Math.floor((u[b] + 0.5) * K));
    oneHot[b * K + idx[b]] = 1;
  }
  return { idx, oneHot };
}

/**
 * Our LSTM weights in tfjs-layers' layout: kernel [C, 4H] = W_ihᵀ, recurrentKernel [H, 4H] = W_hhᵀ,
 * bias = b_ih + b_hh; the gate order (i, f, c, o) is PyTorch's (i, f, g, o).
 */
function toLayersLayout(lstm: LSTM): Float32Array[] {
  const kernel = new Float32Array(C * 4 * H), recurrent = new Float32Array(H * 4 * H), bias = new Float32Array(4 * H);
  const wIh = lstm.weightIh0.data, wHh = lstm.weightHh0.data, bIh = lstm.biasIh0.data, bHh = lstm.biasHh0.data;
  for (let r = 0; r < 4 * H; r++) {
    for (let c = 0; c < C; c++) kernel[c * 4 * H + r] = wIh[r * C + c];
    for (let k = 0; k < H; k++) recurrent[k * 4 * H + r] = wHh[r * H + k];
    bias[r] = bIh[r] + bHh[r];
  }
  return [kernel, recurrent, bias];
}

/**
 * The classifier rows: tensorkit against tfjs-layers' `tf.layers.lstm` trained with `trainOnBatch`,
 * on tfjs's CPU backend and then on its WebAssembly backend (one alternating pair per backend).
 */
async function benchLstmClassifier(xData: Float32Array): Promise<BenchRow[]> {
  registerTfChainedOps();
  const rng = new Generator(2);
  const lstm = new LSTM(C, H, { rng });
  const head = new Linear(H, K, { rng });
  const { idx, oneHot } = classLabels(13);
  const x = new Tensor(xData, [B, T, C]);
  const y = new Tensor(idx, [B]);
  const opt = new Adam([...lstm.parameters(), ...head.parameters()], { lr: 1e-3 });
  const ourLoss = (): Tensor => crossEntropy(head.forward(reshape(lstm.forward(x).hN, [B, H])), y);
  const ourStep = async (): Promise<void> => {
    opt.zeroGrad();
    ourLoss().backward();
    opt.step();
  };
  // Both sides start from the same weights: tfjs-layers gets ours before each backend's pair.
  const [kernel, recurrent, bias] = toLayersLayout(lstm);
  // head.weight [K, H] transposed is the dense kernel [H, K].
  const dense = new Float32Array(H * K);
  for (let k = 0; k < K; k++) for (let j = 0; j < H; j++) dense[j * K + k] = head.weight.data[k * H + j];
  const headBias = head.bias!.data.slice();
  const l0 = ourLoss().item();

  const wasmDir = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(wasmDir + path.sep);
  const rows: BenchRow[] = [];
  for (const backend of ['cpu', 'wasm'] as const) {
    await tf.setBackend(backend);
    await tf.ready();
    const model = tfl.sequential({
      layers: [
        tfl.layers.lstm({ units: H, recurrentActivation: 'sigmoid', inputShape: [T, C] }),
        tfl.layers.dense({ units: K }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: tf.losses.softmaxCrossEntropy });
    const init = [
      tf.tensor2d(kernel, [C, 4 * H]), tf.tensor2d(recurrent, [H, 4 * H]), tf.tensor1d(bias),
      tf.tensor2d(dense, [H, K]), tf.tensor1d(headBias),
    ];
    model.setWeights(init);
    tf.dispose(init);
    const tx = tf.tensor3d(xData, [B, T, C]);
    const ty = tf.tensor2d(oneHot, [B, K]);
    const tfStep = async (): Promise<void> => {
      await model.trainOnBatch(tx, ty);
    };
    const l1 = tf.tidy(() => tf.losses.softmaxCrossEntropy(ty, model.predict(tx) as tf.Tensor).dataSync()[0]);
    if (!(Math.abs(l0 - l1) <= 1e-4 * Math.max(1, Math.abs(l1)))) throw new Error(`lstm bench: tensorkit CE loss ${l0} vs tfjs-layers (${backend}) ${l1}`);
    const peer = backend === 'cpu' ? 'tfjs-layers' : 'tfjs-layers-wasm';
    const t = await measureInterleavedAsync({ tensorkit: ourStep, [peer]: tfStep }, 3, { budgetMs: 1000, minRuns: 2 });
    rows.push(makeRow('LSTM classifier train step (Adam, CE)', `B${B} T${T} ${C}→${H}→${K}`, 'samples/s', B / t.tensorkit, { [peer]: B / t[peer] }));
    model.dispose();
    tf.dispose([tx, ty]);
  }
  await tf.setBackend('cpu');
  return rows;
}

/** LSTM training step and inference, tensorkit against tfjs's CPU backend. */
export async function benchLstm(): Promise<BenchRow[]> {
  registerTfGradients();
  await tf.setBackend('cpu');
  await tf.ready();
  const rng = new Generator(1);
  const lstm = new LSTM(C, H, { rng });
  const head = new Linear(H, 1, { rng });
  const xData = randomData(B * T * C, 11);
  const yData = randomData(B, 12);
  const x = new Tensor(xData, [B, T, C]);
  const y = new Tensor(yData, [B, 1]);
  const params = [...lstm.parameters(), ...head.parameters()];

  const ourLoss = (): Tensor => {
    const { hN } = lstm.forward(x);
    return mean(square(sub(head.forward(reshape(hN, [B, H])), y)));
  };
  const ourStep = (): void => {
    for (const p of params) p.grad = null;
    ourLoss().backward();
    for (const p of params) {
      const d = p.data, g = p.grad!;
      for (let i = 0; i < d.length; i++) d[i] -= LR * g[i];
    }
  };
  const ourForward = (): void => {
    noGrad(() => lstm.forward(x));
  };

  // tfjs: same initial weights, so the first losses agree.
  const { kernel, bias } = toTfLayout(lstm);
  const tKernel = tf.variable(tf.tensor2d(kernel, [C + H, 4 * H]));
  const tBias = tf.variable(tf.tensor1d(bias));
  // head.weight [1, H] has the same row-major data as its transpose [H, 1].
  const tWOut = tf.variable(tf.tensor2d(head.weight.data, [H, 1]));
  const tBOut = tf.variable(tf.tensor1d(head.bias!.data));
  const tVars = [tKernel, tBias, tWOut, tBOut];
  const tx = tf.tensor3d(xData, [B, T, C]);
  const xs = tf.unstack(tx, 1) as tf.Tensor2D[];
  const ty = tf.tensor2d(yData, [B, 1]);
  const forgetBias = tf.scalar(0);
  const tfRun = (): tf.Tensor2D => {
    let c: tf.Tensor2D = tf.zeros([B, H]);
    let h: tf.Tensor2D = tf.zeros([B, H]);
    for (let t = 0; t < T; t++) [c, h] = tf.basicLSTMCell(forgetBias, tKernel as tf.Tensor2D, tBias as tf.Tensor1D, xs[t], c, h);
    return h;
  };
  const tfLoss = (): tf.Scalar => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(tfRun(), tWOut as tf.Tensor2D), tBOut), ty)));
  const tfStep = (): void => {
    tf.tidy(() => {
      const { grads } = tf.variableGrads(tfLoss, tVars);
      for (const v of tVars) v.assign(tf.sub(v, tf.mul(grads[v.name], LR)));
    });
  };
  const tfForward = (): void => {
    tf.tidy(() => {
      tfRun().dataSync();
    });
  };

  // Same math before timing: the losses at the shared initial weights agree to float32 rounding.
  const l0 = ourLoss().item();
  const l1 = tf.tidy(() => tfLoss().dataSync()[0]);
  if (!(Math.abs(l0 - l1) <= 1e-4 * Math.max(1, Math.abs(l1)))) throw new Error(`lstm bench: tensorkit loss ${l0} vs tfjs ${l1}`);

  const rows: BenchRow[] = [];
  const train = measureInterleaved({ tensorkit: ourStep, 'tfjs-cpu': tfStep }, 3, { budgetMs: 1000, minRuns: 2 });
  rows.push(makeRow('LSTM train step', `B${B} T${T} ${C}→${H}`, 'samples/s', B / train.tensorkit, { 'tfjs-cpu': B / train['tfjs-cpu'] }));
  const fwd = measureInterleaved({ tensorkit: ourForward, 'tfjs-cpu': tfForward }, 2, { budgetMs: 500, minRuns: 2 });
  rows.push(makeRow('LSTM forward', `B${B} T${T} ${C}→${H}`, 'samples/s', B / fwd.tensorkit, { 'tfjs-cpu': B / fwd['tfjs-cpu'] }));

  for (const v of tVars) v.dispose();
  tf.dispose([tx, ty, forgetBias, ...xs]);
  rows.push(...(await benchLstmClassifier(xData)));
  return rows;
}

if (isMain(import.meta.url)) {
  const rows = await benchLstm();
  console.log(toMarkdown(rows));
  console.log();
  for (const note of lstmNotes) console.log(note);
}
