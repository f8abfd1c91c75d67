// LSTM inference, tensorkit (wasm and js backends) against onnxruntime-web and onnxruntime-node, one
// thread each, side by side in one process, outputs checked equal before timing:
//   npx tsx bench/onnx-lstm.ts [rounds] [--cpu]
// The ONNX model is hand-encoded (no Python onnx needed; protobuf written field by field like
// onnx-matmul.ts): one LSTM node (opset 14), weights as initializers ported from our nn.LSTM with
// the gate blocks reordered from PyTorch's (i, f, g, o) to ONNX's (i, o, f, c). Our call is the
// whole `nn.LSTM.forward` under noGrad on batch-first input (it includes the layout transposes);
// ort gets its native time-major X. Figure: samples/s = batch / best wall time; the spread is
// the per-round ratio ours / peer. --cpu times by the process's CPU time (user + system) instead of
// wall time (on a loaded machine wall time mostly measures the wait for a core; every contender
// computes on this thread, ort's one-thread sessions included).
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { LSTM } from '../src/nn/index';
import { Generator, Tensor, noGrad, setBackend } from '../src/tensor/index';
import { bytes, int, str, valueInfo } from './onnx-matmul';
import { isMain, randomData } from './util';

/** TensorProto: dims, data_type FLOAT, name, raw_data (little-endian float32). */
function initializer(name: string, dims: number[], data: Float32Array): number[] {
  return [...dims.flatMap((d) => int(1, d)), ...int(2, 1), ...str(8, name), ...bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))];
}

/** PyTorch gate blocks (i, f, g, o) of `rows`-row blocks reordered to ONNX's (i, o, f, c). */
function onnxOrder(w: Float32Array, H: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  [0, 3, 1, 2].forEach((src, dst) => out.set(w.subarray(src * H * cols, (src + 1) * H * cols), dst * H * cols));
  return out;
}

/** The serialized model: X (T, B, C) → Y (T, 1, B, H), the weights of `lstm` as initializers. */
export function lstmModel(lstm: LSTM, T: number, B: number, C: number, H: number): Uint8Array {
  const W = onnxOrder(lstm.weightIh0.data, H, C), R = onnxOrder(lstm.weightHh0.data, H, H);
  const bias = new Float32Array(8 * H);
  bias.set(onnxOrder(lstm.biasIh0!.data, H, 1), 0);
  bias.set(onnxOrder(lstm.biasHh0!.data, H, 1), 4 * H);
  const attr = [...str(1, 'hidden_size'), ...int(3, H), ...int(20, 2)];
  const node = [...str(1, 'X'), ...str(1, 'W'), ...str(1, 'R'), ...str(1, 'B'), ...str(2, 'Y'), ...str(3, 'lstm'), ...str(4, 'LSTM'), ...bytes(5, attr)];
  const graph = [
    ...bytes(1, node), ...str(2, 'lstm'),
    ...bytes(5, initializer('W', [1, 4 * H, C], W)), ...bytes(5, initializer('R', [1, 4 * H, H], R)), ...bytes(5, initializer('B', [1, 8 * H], bias)),
    ...bytes(11, valueInfo('X', [T, B, C])), ...bytes(12, valueInfo('Y', [T, 1, B, H])),
  ];
  return Uint8Array.from([...int(1, 8), ...str(2, 'tensorkit-bench'), ...bytes(7, graph), ...bytes(8, [...str(1, ''), ...int(2, 14)])]);
}

async function main(): Promise<void> {
  const cpu = process.argv.includes('--cpu');
  const rounds = Number(process.argv.slice(2).filter((a) => a !== '--cpu')[0] ?? 5);
  const T = 32, B = 16, C = 64, H = 128;
  const lstm = new LSTM(C, H, { rng: new Generator(1) });
  const xData = randomData(B * T * C, 6, 2);
  const x = new Tensor(xData, [B, T, C]);
  const xt = new Float32Array(T * B * C); // time-major for ort
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) xt.set(xData.subarray((b * T + t) * C, (b * T + t + 1) * C), (t * B + b) * C);
  const model = lstmModel(lstm, T, B, C, H);
  ortWeb.env.wasm.numThreads = 1;
  const web = await ortWeb.InferenceSession.create(model, { executionProviders: ['wasm'], intraOpNumThreads: 1, interOpNumThreads: 1 });
  const nat = await ortNode.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
  const ours = (be: 'wasm' | 'js') => () => {
    setBackend(be);
    return noGrad(() => lstm.forward(x)).output.data;
  };
  const fns: Record<string, () => Promise<unknown>> = {
    'tensorkit wasm': async () => ours('wasm')(),
    'tensorkit js': async () => ours('js')(),
    'ort-web': async () => web.run({ X: new ortWeb.Tensor('float32', xt, [T, B, C]) }),
    'ort-node': async () => nat.run({ X: new ortNode.Tensor('float32', xt, [T, B, C]) }),
  };
  // Outputs equal before timing: ours (B, T, H) against ort's (T, 1, B, H).
  const want = ours('wasm')();
  for (const [name, y] of [['ort-web', (await web.run({ X: new ortWeb.Tensor('float32', xt, [T, B, C]) })).Y.data], ['ort-node', (await nat.run({ X: new ortNode.Tensor('float32', xt, [T, B, C]) })).Y.data], ['js', ours('js')()]] as const) {
    let worst = 0;
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let j = 0; j < H; j++) {
      const o = want[(b * T + t) * H + j], p = name === 'js' ? (y as Float32Array)[(b * T + t) * H + j] : (y as Float32Array)[(t * B + b) * H + j];
      worst = Math.max(worst, Math.abs(o - p));
    }
    if (!(worst < 1e-4)) throw new Error(`output differs from ${name} by ${worst}`);
    console.error(`max |ours − ${name}| = ${worst.toExponential(2)}`);
  }
  const per: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    const names = r % 2 === 0 ? Object.keys(fns) : Object.keys(fns).reverse();
    for (const name of names) {
      let best = Infinity, spent = 0;
      for (let k = 0; k < 3 || spent < 400; k++) {
        const t0 = performance.now(), c0 = cpu ? process.cpuUsage() : null;
        await fns[name]();
        const c = c0 === null ? null : process.cpuUsage(c0);
        const dt = c === null ? performance.now() - t0 : (c.user + c.system) / 1000;
        spent += dt;
        best = Math.min(best, dt);
      }
      (per[name] ??= []).push(best / 1000);
    }
  }
  console.log(`LSTM ${C}→${H}, T ${T}, batch ${B}, inference, one thread, samples/s (best ${cpu ? 'CPU' : 'wall'} time of ${rounds} rounds); ours / peer per round`);
  const mine = per['tensorkit wasm'];
  for (const name of Object.keys(fns)) {
    const ratios = per[name].map((t, r) => t / mine[r]);
    console.log(`| ${name} | ${(B / Math.min(...per[name])).toFixed(0)} | ${(Math.min(...per[name]) / Math.min(...mine)).toFixed(2)}× | ` +
      `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)} |`);
  }
  setBackend('wasm');
  await web.release();
  await nat.release();
}

if (isMain(import.meta.url)) await main();
