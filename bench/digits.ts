// scikit-learn's digits (test/fixtures/digits.json, 1797 images of 8×8 pixels in 0–16) for the
// accuracy benches: a seeded 80/20 split with pixels scaled to [0, 1], and the top-1 accuracy of a
// model's logits.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Module } from '../src/nn/module';
import { Generator, Tensor, noGrad } from '../src/tensor/index';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A train/test split: images [N, 64] and labels. */
export interface DigitsSplit { xTrain: Tensor; yTrain: number[]; xTest: Tensor; yTest: number[] }

/** The digits split by `seed`: 359 test images (20 %), the other 1438 for training. */
export function loadDigits(seed: number): DigitsSplit {
  const fx = JSON.parse(readFileSync(path.join(here, '../test/fixtures/digits.json'), 'utf8')) as { n: number; pixels: string; labels: string };
  const alphabet = '0123456789abcdefg';
  const order = Array.from(new Generator(seed).permutation(fx.n));
  const nTest = Math.round(fx.n * 0.2);
  const take = (idx: number[]): [Tensor, number[]] => {
    const x = new Float32Array(idx.length * 64);
    idx.forEach((s, r) => { for (let k = 0; k < 64; k++) x[r * 64 + k] = alphabet.indexOf(fx.pixels[s * 64 + k]) / 16; });
    return [new Tensor(x, [idx.length, 64]), idx.map((s) => Number(fx.labels[s]))];
  };
  const [xTest, yTest] = take(order.slice(0, nTest));
  const [xTrain, yTrain] = take(order.slice(nTest));
  return { xTrain, yTrain, xTest, yTest };
}

/** Top-1 accuracy in percent of the model's [N, C] outputs on x against labels y. */
export function accuracy(model: Module, x: Tensor, y: number[]): number {
  const out = noGrad(() => (model.forward as (t: Tensor) => Tensor)(x));
  const C = out.shape[1];
  let ok = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (out.data[i * C + c] > out.data[i * C + best]) best = c;
    if (best === y[i]) ok++;
  }
  return (100 * ok) / y.length;
}
