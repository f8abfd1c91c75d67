import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { LSTM } from '../src/nn/recurrent';
import { Linear } from '../src/nn/layers';
import { Generator, Tensor, mean, noGrad, reshape, square, sub } from '../src/tensor/index';
import { registerTfGradients } from './tfgrads';
import { isMain, makeRow, measureInterleaved, toMarkdown, type BenchRow } from './util';

// One LSTM layer, batch first, regression head on the final hidden state, MSE loss, plain SGD.
const B = 64, T = 32, C = 16, H = 64;
const LR = 0.01;

export const lstmNotes = [
  `LSTM: one layer, batch ${B}, ${T} steps, ${C} → ${H} units, a Linear(${H}, 1) head on the final hidden state, ` +
    'MSE loss, plain SGD update; samples/s = batch / best wall time of one step, all contenders in one process, ' +
    'alternating rounds. "train step" is forward + backward + update; "forward" is inference without a graph. ' +
    'tensorkit: `nn.LSTM` (one fused op per layer and direction with hand-written BPTT). ' +
    'tfjs-cpu: the same math with tfjs-core ops on the CPU backend — `tf.basicLSTMCell` per step ' +
    '(forgetBias 0, weights ported from ours so both compute the same loss), `tf.variableGrads` for the gradient, ' +
    '`tf.tidy` around the step.',
];

function randomData(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * scale;
  }
  return out;
}

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
  return rows;
}

if (isMain(import.meta.url)) {
  const rows = await benchLstm();
  console.log(toMarkdown(rows));
  console.log();
  for (const note of lstmNotes) console.log(note);
}
