import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { MultiHeadAttention } from '../src/nn/attention';
import { Generator, Tensor, mul, sum } from '../src/tensor/index';
import { registerTfGradients } from './tfgrads';
import { isMain, makeRow, measureInterleaved, toMarkdown, type BenchRow, randomData } from './util';

registerTfGradients();

// Self-attention block: batch B, T tokens, width E, NH heads, D = E / NH per head.
const B = 32, T = 64, E = 128, NH = 4, D = E / NH;

export const attentionNotes = [
  `Attention: one self-attention block (B ${B}, T ${T}, E ${E}, ${NH} heads) forward + backward per step: ` +
    'q/k/v projections, softmax(q·kᵀ/√D + mask)·v per head, output projection, loss Σ out ⊙ g for a fixed random g, ' +
    'gradients of all eight projection weights and biases. tensorkit: `MultiHeadAttention.forward` with ' +
    '`needWeights: false`, then `backward()`. tfjs-cpu: the same math from tf ops (matMul, reshape, transpose, softmax; ' +
    'the causal mask added as a constant), gradients by `tf.variableGrads`, inside `tf.tidy`. ' +
    'Figure: steps per second (best of alternating rounds, single thread, one process); both results are checked ' +
    'against each other before timing.',
];


function worstRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0, norm = 0;
  for (let i = 0; i < a.length; i++) norm = Math.max(norm, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  // The key bias gets an exactly zero gradient (softmax ignores a shift shared by a row), so
  // relative errors are measured against at least 1.
  return worst / Math.max(norm, 1);
}

/** Runs the attention cases (no mask, causal) against tfjs (CPU backend); one row per case. */
export async function benchAttention(): Promise<BenchRow[]> {
  await tf.setBackend('cpu');
  await tf.ready();
  const rows: BenchRow[] = [];
  const mha = new MultiHeadAttention(E, NH, { rng: new Generator(1) });
  const lins = [mha.qProj, mha.kProj, mha.vProj, mha.outProj];
  // Non-zero biases, so their gradients are compared too.
  for (const l of lins) l.bias!.data.set(randomData(E, 7, 0.1));
  const xData = randomData(B * T * E, 2);
  const gData = randomData(B * T * E, 3);
  const x = new Tensor(xData, [B, T, E]);
  const g = new Tensor(gData, [B, T, E]);

  const tx = tf.tensor2d(xData, [B * T, E]);
  const tg = tf.tensor2d(gData, [B * T, E]);
  const vars = lins.map((l, i) => ({
    w: tf.variable(tf.tensor2d(l.weight.data, [E, E]), true, `w${i}`),
    b: tf.variable(tf.tensor1d(l.bias!.data), true, `b${i}`),
  }));
  const causal = new Float32Array(T * T);
  for (let t = 0; t < T; t++) causal.fill(-1e9, t * T + t + 1, (t + 1) * T);
  const tmask = tf.tensor2d(causal, [T, T]);

  for (const isCausal of [false, true]) {
    const ours = (): void => {
      mha.zeroGrad();
      const { output } = mha.forward(x, x, x, { isCausal, needWeights: false });
      sum(mul(output, g)).backward();
    };
    const heads = (y: tf.Tensor2D): tf.Tensor4D => tf.transpose(tf.reshape(y, [B, T, NH, D]), [0, 2, 1, 3]);
    const loss = (): tf.Scalar => {
      const proj = (i: number) => tf.add(tf.matMul(tx, vars[i].w, false, true), vars[i].b) as tf.Tensor2D;
      const q = heads(proj(0)), k = heads(proj(1)), v = heads(proj(2));
      let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D));
      if (isCausal) scores = tf.add(scores, tmask);
      const ctx = tf.matMul(tf.softmax(scores), v);
      const joined = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [B * T, E]);
      const out = tf.add(tf.matMul(joined, vars[3].w, false, true), vars[3].b);
      return tf.sum(tf.mul(out, tg));
    };
    const theirs = (): Float32Array[] => tf.tidy(() => {
      const { grads } = tf.variableGrads(loss);
      return vars.flatMap((_, i) => [grads[`w${i}`].dataSync() as Float32Array, grads[`b${i}`].dataSync() as Float32Array]);
    });

    ours();
    const ref = theirs();
    lins.forEach((l, i) => {
      const dw = worstRelDiff(l.weight.grad!, ref[2 * i]);
      const db = worstRelDiff(l.bias!.grad!, ref[2 * i + 1]);
      if (!(dw < 1e-3 && db < 1e-3)) throw new Error(`attention bench: gradients of projection ${i} differ from tfjs (weight ${dw}, bias ${db})`);
    });

    const best = measureInterleaved({ tensorkit: ours, 'tfjs-cpu': () => void theirs() }, 3, { budgetMs: 1500, minRuns: 2 });
    const perSec = (s: number) => 1 / s;
    rows.push(makeRow(`self-attention fwd+bwd${isCausal ? ', causal' : ''}`, `${B}×${T}×${E}, ${NH} heads`, 'steps/s',
      perSec(best.tensorkit), { 'tfjs-cpu': perSec(best['tfjs-cpu']) }));
    if (isMain(import.meta.url)) {
      console.error(`attention${isCausal ? ' causal' : ''}: tensorkit ${(best.tensorkit * 1e3).toFixed(1)} ms/step, ` +
        `tfjs-cpu ${(best['tfjs-cpu'] * 1e3).toFixed(1)} ms/step, ratio ${(best['tfjs-cpu'] / best.tensorkit).toFixed(2)}×`);
    }
  }
  tf.dispose([tx, tg, tmask, ...vars.flatMap((v) => [v.w, v.b])]);
  return rows;
}

if (isMain(import.meta.url)) {
  const rows = await benchAttention();
  console.log(toMarkdown(rows));
  console.log();
  for (const note of attentionNotes) console.log(note);
}
