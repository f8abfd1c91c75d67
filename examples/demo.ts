/**
 * tensorkit demo: fit y = 3x + 2 + noise with autograd, by full-batch gradient descent,
 * stochastic gradient descent (batch 1) and mini-batch gradient descent (batch 16).
 * All three are one update rule, w ← w − lr·∇L, fed batches of size N, 1 or 16.
 *
 * Run: npm run demo
 */
import { Generator, Parameter, Tensor, add, matmul, mean, noGrad, square, sub } from '../src/index';

const N = 256;
const rng = new Generator(7);

// Built-in data: x ~ U(−1, 1), y = 3x + 2 + ε with ε ~ N(0, 0.1²).
const xs = new Float32Array(N);
const ys = new Float32Array(N);
for (let i = 0; i < N; i++) {
  xs[i] = rng.uniform(-1, 1);
  ys[i] = 3 * xs[i] + 2 + 0.1 * rng.normal();
}
const X = new Tensor(xs, [N, 1]);
const Y = new Tensor(ys, [N, 1]);

/** Rows `idx` of a [N, 1] tensor as a [k, 1] tensor. */
function rows(t: Tensor, idx: Int32Array, from: number, to: number): Tensor {
  const out = new Float32Array(to - from);
  for (let i = from; i < to; i++) out[i - from] = t.data[idx[i]];
  return new Tensor(out, [to - from, 1]);
}

function train(name: string, batchSize: number, epochs: number, lr: number): void {
  const w = Parameter.full([1, 1], 0);
  const b = Parameter.full([1], 0);
  const order = new Generator(1);
  const t0 = performance.now();
  let steps = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const idx = order.permutation(N);
    for (let start = 0; start < N; start += batchSize) {
      const end = Math.min(start + batchSize, N);
      const xb = rows(X, idx, start, end), yb = rows(Y, idx, start, end);
      const loss = mean(square(sub(add(matmul(xb, w), b), yb)));
      loss.backward();
      noGrad(() => {
        for (const p of [w, b]) {
          const g = p.grad!;
          for (let i = 0; i < p.size; i++) p.data[i] -= lr * g[i];
          p.zeroGrad();
        }
      });
      steps++;
    }
  }
  const ms = performance.now() - t0;
  const mse = mean(square(sub(add(matmul(X, w), b), Y))).item();
  console.log(
    `${name.padEnd(22)} batch ${String(batchSize).padStart(3)}  ${String(steps).padStart(5)} steps  ` +
      `slope ${w.data[0].toFixed(3)}  intercept ${b.data[0].toFixed(3)}  mse ${mse.toFixed(4)}  ${ms.toFixed(0)} ms`,
  );
}

console.log('tensorkit demo: recover y = 3x + 2 from 256 noisy samples (noise std 0.1, so the best mse is ≈ 0.01)\n');
train('full-batch GD', N, 300, 0.5);
train('stochastic GD', 1, 10, 0.02);
train('mini-batch GD', 16, 40, 0.1);
console.log("\nexpected: slope ≈ 3, intercept ≈ 2");
