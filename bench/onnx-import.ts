// Inference of ONNX models imported with importOnnx against onnxruntime-node and onnxruntime-web
// running the same files, in one process:
//   npx tsx bench/onnx-import.ts [rounds]
// The files are bench/fixtures/{mlp,cnn,lstm}.onnx (torch.onnx.export, written by
// bench/fixtures/gen_onnx_models.py, the files bench/onnx-models.ts runs); torch's outputs on the
// fixture's small input come from NAME.safetensors (`__io__.*`). Every contender is checked against
// torch's outputs and against tensorkit's on the timing input before anything is timed.
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importOnnx, loadSafetensors, type OnnxModel } from '../src/io/index';
import { Tensor, getBackend, noGrad, setBackend } from '../src/tensor/index';
import { isMain, makeRow, measureInterleavedAsync, randomData, toMarkdown, type BenchRow } from './util';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const ATOL = 1e-4, RTOL = 1e-4;

export const onnxImportNotes = [
  'ONNX import (bench/onnx-import.ts): the torch.onnx.export files of bench/onnx-models.ts (MLP 784-256-256-10 ' +
    'and CNN c16-p-c32-p-fc10 on 1×28×28 at batch 64, LSTM 64→128 with T 32 at batch 16) imported with ' +
    '`importOnnx` and run with `noGrad(() => model.forward(x))` on the wasm backend (tensorkit) and the js ' +
    "backend (tensorkit js), against the same file in onnxruntime-web (wasm provider, SIMD, one thread) and " +
    'onnxruntime-node (CPU provider, intra/inter-op threads 1), `session.run` timed including input wrapping. ' +
    `Every output is checked against torch's and against tensorkit's (|a − b| ≤ ${ATOL} + ${RTOL}·|b|) first. ` +
    'samples/s = batch / best wall time of one forward; alternating rounds, order flipped each round.',
];

interface Case { file: string; name: string; size: string; batch: number; shape: (B: number) => number[] }

const CASES: Case[] = [
  { file: 'mlp', name: 'MLP imported from ONNX', size: '784-256-256-10, batch 64', batch: 64, shape: (B) => [B, 784] },
  { file: 'cnn', name: 'CNN imported from ONNX', size: 'c16-p-c32-p-fc10 on 1×28×28, batch 64', batch: 64, shape: (B) => [B, 1, 28, 28] },
  { file: 'lstm', name: 'LSTM imported from ONNX', size: '64→128, T 32, batch 16', batch: 16, shape: (B) => [B, 32, 64] },
];

function checkClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} values, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= ATOL + RTOL * Math.abs(want[i]))) throw new Error(`${what}: element ${i} is ${got[i]}, expected ${want[i]}`);
  }
}

/** torch's input and outputs stored beside the weights (`__io__.x`, `__io__.<output>`). */
function torchIo(file: string): Record<string, Tensor> {
  const { tensors } = loadSafetensors(readFileSync(path.join(FIXTURES, `${file}.safetensors`)));
  const io: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(tensors)) if (k.startsWith('__io__.') && v instanceof Tensor) io[k.slice(7)] = v;
  return io;
}

/** Checks, then times, every case; returns the rows and one spread line per case. */
export async function runOnnxImport(rounds = 6, budgetMs = 200): Promise<{ rows: BenchRow[]; spread: string[] }> {
  ortWeb.env.wasm.numThreads = 1;
  ortWeb.env.wasm.simd = true;
  const before = getBackend();
  const rows: BenchRow[] = [], spread: string[] = [];
  for (const c of CASES) {
    const bytes = readFileSync(path.join(FIXTURES, `${c.file}.onnx`));
    const model: OnnxModel = importOnnx(bytes);
    const web = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'], intraOpNumThreads: 1, interOpNumThreads: 1 });
    const nat = await ortNode.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
    const outputs = model.outputNames, input = model.inputInfo[0].name;
    const ours = (b: 'wasm' | 'js', x: Tensor): Float32Array[] => {
      if (getBackend() !== b) setBackend(b);
      const y = noGrad(() => model.forward(x));
      return y instanceof Tensor ? [y.data] : outputs.map((o) => y[o].data);
    };
    const runWeb = async (x: Tensor): Promise<Float32Array[]> => {
      const r = await web.run({ [input]: new ortWeb.Tensor('float32', x.data, x.shape) });
      return outputs.map((o) => r[o].data as Float32Array);
    };
    const runNat = async (x: Tensor): Promise<Float32Array[]> => {
      const r = await nat.run({ [input]: new ortNode.Tensor('float32', x.data, x.shape) });
      return outputs.map((o) => r[o].data as Float32Array);
    };
    const io = torchIo(c.file);
    const want = outputs.map((o) => io[o].data);
    const check = (who: string, got: Float32Array[], ref: Float32Array[], on: string): void => {
      got.forEach((g, i) => checkClose(g, ref[i], `${c.name}: ${who} ${outputs[i]} vs ${on}`));
    };
    for (const b of ['wasm', 'js'] as const) check(`tensorkit ${b}`, ours(b, io.x), want, 'torch');
    check('ort-web', await runWeb(io.x), want, 'torch');
    check('ort-node', await runNat(io.x), want, 'torch');
    const shape = c.shape(c.batch);
    const xt = new Tensor(randomData(shape.reduce((a, b) => a * b, 1), 7), shape);
    const ref = ours('wasm', xt);
    check('tensorkit js', ours('js', xt), ref, 'tensorkit');
    check('ort-web', await runWeb(xt), ref, 'tensorkit');
    check('ort-node', await runNat(xt), ref, 'tensorkit');

    const fns: Record<string, () => Promise<void>> = {
      tensorkit: async () => { ours('wasm', xt); },
      'tensorkit js': async () => { ours('js', xt); },
      'ort-web': async () => { await runWeb(xt); },
      'ort-node': async () => { await runNat(xt); },
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
    rows.push(makeRow(c.name, c.size, 'samples/s', best('tensorkit'), Object.fromEntries(names.slice(1).map((n) => [n, best(n)]))));
    const range = (xs: number[]): string => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
    const ratio = (peer: string): number[] => per.tensorkit.map((t, r) => per[peer][r] / t);
    spread.push(`${c.file}: ours/ort-web per round ${range(ratio('ort-web'))}, ours/ort-node ${range(ratio('ort-node'))}, ours/tensorkit js ${range(ratio('tensorkit js'))}`);
    await web.release();
    await nat.release();
  }
  setBackend(before);
  return { rows, spread };
}

/** The suite for bench/run.ts: the rows of {@link runOnnxImport}. */
export async function benchOnnxImport(): Promise<BenchRow[]> {
  return (await runOnnxImport()).rows;
}

if (isMain(import.meta.url)) {
  const { rows, spread } = await runOnnxImport(Number(process.argv[2] ?? 6));
  console.log(toMarkdown(rows));
  console.log();
  for (const line of spread) console.log(line);
  console.log();
  for (const note of onnxImportNotes) console.log(note);
}
