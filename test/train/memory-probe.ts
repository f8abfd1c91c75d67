// Run by memory.test.ts as `node --expose-gc --import tsx test/train/memory-probe.ts`: trains a
// small CNN and prints JSON with the memory growth between step 50 and step 1,050.
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, crossEntropy } from '../../src/nn/index';
import { Adam } from '../../src/optim/index';
import { Generator, Tensor } from '../../src/tensor/index';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const rng = new Generator(0);
const model = new Sequential(
  new Conv2d(1, 4, 3, { padding: 1, rng }), new ReLU(), new MaxPool2d(2),
  new Conv2d(4, 8, 3, { padding: 1, rng }), new ReLU(), new MaxPool2d(2),
  new Flatten(), new Linear(8 * 4 * 4, 3, { rng }),
);
const opt = new Adam(model.parameters(), { lr: 1e-3 });
const x = new Tensor(rng.fillNormal(new Float32Array(16 * 256)), [16, 1, 16, 16]);
const y = new Tensor(Float32Array.from({ length: 16 }, (_, i) => i % 3), [16]);
const step = () => {
  opt.zeroGrad();
  crossEntropy(model.forward(x), y).backward();
  opt.step();
};
const sample = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return { arrayBuffers: m.arrayBuffers, heapUsed: m.heapUsed };
};
for (let i = 0; i < 50; i++) step();
const before = sample();
for (let i = 0; i < 1000; i++) step();
const after = sample();
console.log(JSON.stringify({ arrayBuffers: after.arrayBuffers - before.arrayBuffers, heapUsed: after.heapUsed - before.heapUsed }));
