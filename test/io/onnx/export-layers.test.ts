import { describe, it } from 'vitest';
import { Autoencoder } from '../../../src/models/index';
import { ConvTranspose2d, Sequential, ReLU, Conv2d, type Module } from '../../../src/nn/index';
import { Generator } from '../../../src/tensor/index';
import { expectSameAsOrt, randomizeParameters } from './export-helpers';

const rng = () => new Generator(3);

const cases: [string, () => Module, number[]][] = [
  ['ConvTranspose2d', () => new ConvTranspose2d(2, 3, 3, { rng: rng() }), [1, 2, 4, 5]],
  ['ConvTranspose2d (stride, padding, outputPadding)', () => new ConvTranspose2d(2, 3, 4, { stride: 2, padding: 1, outputPadding: 1, rng: rng() }), [1, 2, 4, 4]],
  ['ConvTranspose2d (groups, dilation, rectangular)', () => new ConvTranspose2d(4, 6, [3, 2], { stride: [1, 2], padding: [1, 0], dilation: [2, 1], groups: 2, bias: false, rng: rng() }), [1, 4, 5, 3]],
  ['Conv2d → ReLU → ConvTranspose2d', () => new Sequential(new Conv2d(1, 2, 3, { stride: 2, padding: 1, rng: rng() }), new ReLU(), new ConvTranspose2d(2, 1, 4, { stride: 2, padding: 1, rng: rng() })), [1, 1, 8, 8]],
  ['Autoencoder', () => new Autoencoder({ inputSize: 8, latentDim: 3, channels: [2, 4], rng: rng() }), [1, 1, 8, 8]],
  ['Autoencoder (3 channels, rectangular)', () => new Autoencoder({ inChannels: 3, inputSize: [4, 8], latentDim: 5, channels: [4], rng: rng() }), [1, 3, 4, 8]],
];

describe('exportOnnx: transposed convolutions and the Autoencoder run in onnxruntime with our outputs (atol 1e-4) at batch sizes 2 and 5', () => {
  for (const [name, make, shape] of cases) {
    it(name, async () => {
      const m = make();
      randomizeParameters(m);
      await expectSameAsOrt(m, [shape]);
    });
  }
});
