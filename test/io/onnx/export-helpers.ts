import { expect } from 'vitest';
import * as ort from 'onnxruntime-node';
import { exportOnnx, type ExportOnnxOptions } from '../../../src/io/onnx/export';
import type { Module } from '../../../src/nn/index';
import { Generator, Tensor, noGrad, randn } from '../../../src/tensor/index';
import { expectClose } from '../../helpers/check';

/** Runs exported bytes in onnxruntime-node on the inputs (in graph order); returns every output's data and dims. */
export async function runOrt(bytes: Uint8Array, xs: Tensor[]): Promise<{ data: Float32Array; dims: readonly number[] }[]> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  session.inputNames.forEach((n, i) => { feeds[n] = new ort.Tensor('float32', xs[i].data.slice(), xs[i].shape); });
  const out = await session.run(feeds);
  return session.outputNames.map((n) => ({ data: out[n].data as Float32Array, dims: out[n].dims }));
}

/** Sets every parameter to normal draws (so no weight is left at a special initial value). */
export function randomizeParameters(m: Module, seed = 1): void {
  m.parameters().forEach((p, i) => p.data.set(randn(p.shape, { rng: new Generator(seed * 1000 + i) }).data.map((v) => v * 0.5)));
}

export interface SameAsOrtOptions {
  /** The inputs for a batch size (default normal draws of `shapes` with that batch). */
  inputs?: (batch: number) => Tensor[];
  /** tensorkit's outputs, in the graph's output order (default `[m.forward(...xs)]`). */
  forward?: (xs: Tensor[]) => Tensor[];
  /** Further export options. */
  exportOptions?: Partial<ExportOnnxOptions>;
  /** Absolute tolerance per output (default 1e-4); a function gets the inputs of the batch. */
  atol?: number | ((xs: Tensor[]) => number);
}

/**
 * Exports m for `shapes` (batch first, dynamicBatch), checks the training flag is restored, then
 * checks that onnxruntime's outputs equal tensorkit's in eval mode at batch sizes 2 and 5.
 */
export async function expectSameAsOrt(m: Module, shapes: number[][], o: SameAsOrtOptions = {}): Promise<void> {
  const bytes = exportOnnx(m, { inputShape: shapes.length === 1 ? shapes[0] : shapes, ...o.exportOptions });
  expect(m.training).toBe(true); // restored after the trace
  m.eval();
  for (const b of [2, 5]) {
    const xs = o.inputs ? o.inputs(b) : shapes.map((s, i) => randn([b, ...s.slice(1)], { rng: new Generator(10 * b + i) }));
    const want = noGrad(() => (o.forward ? o.forward(xs) : [(m.forward as (...t: Tensor[]) => Tensor)(...xs)]));
    const got = await runOrt(bytes, xs);
    expect(got.length).toBe(want.length);
    const atol = typeof o.atol === 'function' ? o.atol(xs) : (o.atol ?? 1e-4);
    want.forEach((w, i) => {
      expect([...got[i].dims], `output ${i} dims`).toEqual(w.shape);
      expectClose(got[i].data, w.data, atol, 1e-4);
    });
  }
  m.train();
}
