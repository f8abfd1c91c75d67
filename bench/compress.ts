import { QuantizedConv2d, QuantizedLSTM, QuantizedLinear, SparseLinear, l1Unstructured, lnStructured, removePruning, shrink } from '../src/compress/index';
import { Conv2d, Flatten, Linear, MaxPool2d } from '../src/nn/layers';
import { LSTM } from '../src/nn/recurrent';
import { getBackend, setBackend, wasmAvailable } from '../src/tensor/backend';
import { ReLU } from '../src/nn/activations';
import { Sequential } from '../src/nn/sequential';
import { loadModel, saveModel } from '../src/io/model';
import { Generator, noGrad, randn } from '../src/tensor/index';
import { isMain, makeRow, measureInterleaved, toMarkdown, type BenchRow } from './util';

// A 1024 × 1024 Linear against the same layer dynamically quantized (int8 weights, uint8
// activations quantized on every call), on whichever kernel backend is active.
const N = 1024;

export const compressNotes = [
  `compress: \`QuantizedLinear.fromFloat(new Linear(${N}, ${N}))\` (int8 weights per tensor, uint8 activations chosen per call ` +
    'with reduceRange, int32 sums by the gemmU8I8 kernel) against the float `Linear` it came from, forward only under `noGrad`, ' +
    'in the same process, alternating rounds; samples/s = batch / best wall time. The peer column is the float layer, so ' +
    'the ratio is the speed-up quantization gives on the default backend (wasm: the float GEMM and the int8 product ' +
    '(i32x4.dot_i16x8_s) are SIMD, the CSR kernel is scalar JavaScript; at batch 1 the float layer takes the scalar JS gemv, ' +
    'as the wasm GEMM does for M < 4). ' +
    `SparseLinear: the same ${N} × ${N} Linear pruned to 95% with l1Unstructured and removePruning, stored in CSR by ` +
    '`SparseLinear.fromDense`, against the dense layer holding the same zeros. shrink: the CNN with half of each convolution\'s ' +
    'output channels zeroed by `lnStructured(…, { amount: 0.5, n: 1, dim: 0 })` (and their biases zeroed), made physical by ' +
    '`shrink`, against the masked network (outputs checked equal first). ' +
    'QuantizedConv2d: `QuantizedConv2d.fromFloat(conv, grids)` (int8 weights per output channel, uint8 input quantized to its ' +
    'fixed grid, the `qconv2dForward` kernel: on wasm an int8 direct convolution with the requantization in its epilogue, ' +
    'see docs/compress.md; requantized to the output grid and returned as float32) against the float `Conv2d` ' +
    'it came from on the same backend, forward only, same process, alternating rounds.',
  'compress (recurrent): `QuantizedLSTM.fromFloat(new LSTM(64, 128))` (int8 weights per tensor; per layer the whole input ' +
    'sequence quantized once for W_ih, the hidden state every step for W_hh, with reduceRange; gates in float32) against the ' +
    'float `LSTM` (the fused lstmLayer op) under `noGrad`, T = 32, on the wasm backend and on the scalar js backend ' +
    '(`setBackend`), alternating rounds in one process; samples/s = batch / best wall time. Run alone with ' +
    '`npx tsx bench/compress.ts --recurrent`.',
];

/** QuantizedLSTM 64→128, T 32, against the float LSTM at batch 1 and 16, on the wasm and js backends. */
export async function benchCompressRecurrent(): Promise<BenchRow[]> {
  const rng = new Generator(9);
  const C = 64, H = 128, T = 32;
  const lstm = new LSTM(C, H, { rng });
  lstm.eval();
  const q = QuantizedLSTM.fromFloat(lstm);
  const rows: BenchRow[] = [];
  const before = getBackend();
  const backends = wasmAvailable() ? (['wasm', 'js'] as const) : (['js'] as const);
  try {
    for (const backend of backends) {
      setBackend(backend);
      for (const B of [1, 16]) {
        const x = randn([B, T, C], { rng });
        const ref = noGrad(() => lstm.forward(x)).output;
        const y = q.forward(x).output;
        let err = 0;
        for (let i = 0; i < y.size; i++) err = Math.max(err, Math.abs(y.data[i] - ref.data[i]));
        if (!(err < 0.05)) throw new Error(`compress bench: quantized LSTM output differs from float by ${err}`);
        const best = measureInterleaved({
          quantized: () => void noGrad(() => q.forward(x)),
          float: () => void noGrad(() => lstm.forward(x)),
        }, 3, { budgetMs: 600, minRuns: 3 });
        rows.push(makeRow(`QuantizedLSTM forward vs float LSTM (${backend})`, `${C}→${H}, T ${T}, batch ${B}`, 'samples/s', B / best.quantized, { 'LSTM (float32)': B / best.float }));
      }
    }
  } finally {
    setBackend(before);

  }
  return rows;
}

/** QuantizedConv2d against the float Conv2d it came from, on the active backend. */
export async function benchQuantizedConv(): Promise<BenchRow[]> {
  const rng = new Generator(8);
  const rows: BenchRow[] = [];
  // The last four: the two convolutions of the CNN of the ONNX-peer rows (c16-p-c32-p-fc10 on 1×28×28) at batch 1 and 64.
  const cases: [number, number, number, number][] = [[32, 64, 14, 64], [64, 64, 8, 64], [16, 32, 28, 1], [1, 16, 28, 1], [1, 16, 28, 64], [16, 32, 14, 1], [16, 32, 14, 64]];
  for (const [C, OC, HW, B] of cases) {
    const conv = new Conv2d(C, OC, 3, { padding: 1, rng });
    const x = randn([B, C, HW, HW], { rng });
    const ref = noGrad(() => conv.forward(x));
    let lo = Infinity, hi = -Infinity;
    for (const v of ref.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const so = (hi - Math.min(lo, 0)) / 255;
    const q = QuantizedConv2d.fromFloat(conv, { inputScale: 10 / 255, inputZeroPoint: 128, scale: so, zeroPoint: Math.round(-Math.min(lo, 0) / so) });
    const y = q.forward(x);
    let err = 0;
    for (let i = 0; i < y.size; i++) err = Math.max(err, Math.abs(y.data[i] - ref.data[i]));
    if (!(err < 8 * so)) throw new Error(`compress bench: quantized conv differs from float by ${err} (output step ${so})`);
    const best = measureInterleaved({
      quantized: () => void q.forward(x),
      float: () => void noGrad(() => conv.forward(x)),
    }, 5, { budgetMs: 600, minRuns: 3 });
    rows.push(makeRow('QuantizedConv2d forward vs float Conv2d', `${C}→${OC}, 3×3 pad 1, ${HW}×${HW}, batch ${B}`, 'samples/s', B / best.quantized, { 'Conv2d (float32)': B / best.float }));
  }
  return rows;
}

/** QuantizedLinear against Linear at batch 1 and 64. */
export async function benchQuantizedLinear(rng = new Generator(7)): Promise<BenchRow[]> {
  const lin = new Linear(N, N, { rng });
  const q = QuantizedLinear.fromFloat(lin);
  const rows: BenchRow[] = [];
  for (const B of [1, 64]) {
    const x = randn([B, N], { rng });
    const ref = noGrad(() => lin.forward(x));
    const y = q.forward(x);
    let err = 0;
    for (let i = 0; i < y.size; i++) err = Math.max(err, Math.abs(y.data[i] - ref.data[i]));
    if (!(err < 0.1)) throw new Error(`compress bench: quantized output differs from float by ${err}`);
    const best = measureInterleaved({
      quantized: () => void q.forward(x),
      float: () => void noGrad(() => lin.forward(x)),
    }, 3, { budgetMs: 600, minRuns: 3 });
    rows.push(makeRow('QuantizedLinear forward vs float Linear', `${N}×${N}, batch ${B}`, 'samples/s', B / best.quantized, { 'Linear (float32)': B / best.float }));
  }
  return rows;
}

/** QuantizedLinear, SparseLinear and shrink against their float layers. */
export async function benchCompress(): Promise<BenchRow[]> {
  const rng = new Generator(7);
  const rows = await benchQuantizedLinear(rng);
  // SparseLinear at 95% sparsity (l1Unstructured, made permanent) against the dense layer it came from.
  const pruned = new Linear(N, N, { rng });
  l1Unstructured(pruned, 'weight', { amount: 0.95 });
  removePruning(pruned, 'weight');
  const sparse = SparseLinear.fromDense(pruned);
  for (const B of [1, 64]) {
    const x = randn([B, N], { rng });
    const ref = noGrad(() => pruned.forward(x));
    const y = noGrad(() => sparse.forward(x));
    let err = 0;
    for (let i = 0; i < y.size; i++) err = Math.max(err, Math.abs(y.data[i] - ref.data[i]));
    if (!(err < 1e-3)) throw new Error(`compress bench: sparse output differs from dense by ${err}`);
    const best = measureInterleaved({
      sparse: () => void noGrad(() => sparse.forward(x)),
      dense: () => void noGrad(() => pruned.forward(x)),
    }, 3, { budgetMs: 600, minRuns: 3 });
    rows.push(makeRow('SparseLinear (95% sparse) forward vs dense Linear', `${N}×${N}, batch ${B}`, 'samples/s', B / best.sparse, { 'Linear (float32)': B / best.dense }));
  }
  // shrink: a CNN with half of each conv's output channels zeroed (lnStructured, weights and biases),
  // cut out physically, against the same masked network.
  const cnn = new Sequential(
    new Conv2d(1, 32, 3, { padding: 1, rng }), new ReLU(), new MaxPool2d(2),
    new Conv2d(32, 64, 3, { padding: 1, rng }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(64 * 7 * 7, 10, { rng }),
  );
  for (const i of [0, 3]) {
    const conv = cnn[i] as Conv2d;
    lnStructured(conv, 'weight', { amount: 0.5, n: 1, dim: 0 });
    removePruning(conv, 'weight');
    const per = conv.weight.size / conv.outChannels;
    for (let c = 0; c < conv.outChannels; c++) if (conv.weight.data.subarray(c * per, (c + 1) * per).every((v) => v === 0)) conv.bias!.data[c] = 0;
  }
  cnn.eval();
  const small = loadModel<Sequential>(saveModel(cnn)).model;
  const steps = shrink(small);
  if (steps.length !== 2) throw new Error(`compress bench: shrink cut ${steps.length} layers, expected 2`);
  const xc = randn([64, 1, 28, 28], { rng });
  const refC = noGrad(() => cnn.forward(xc)), yC = noGrad(() => small.forward(xc));
  let errC = 0;
  for (let i = 0; i < yC.size; i++) errC = Math.max(errC, Math.abs(yC.data[i] - refC.data[i]));
  if (!(errC < 1e-3)) throw new Error(`compress bench: shrunk CNN differs from the masked one by ${errC}`);
  const bestC = measureInterleaved({
    shrunk: () => void noGrad(() => small.forward(xc)),
    masked: () => void noGrad(() => cnn.forward(xc)),
  }, 3, { budgetMs: 800, minRuns: 3 });
  rows.push(makeRow('shrink: CNN with 50% of conv channels cut, forward', 'c32-p-c64-p-fc10, 28×28, batch 64', 'samples/s', 64 / bestC.shrunk, { 'masked CNN': 64 / bestC.masked }));
  rows.push(...await benchCompressRecurrent());
  rows.push(...await benchQuantizedConv());
  return rows;
}

if (isMain(import.meta.url)) {
  // `--recurrent` runs the QuantizedLSTM rows only, `conv` the QuantizedConv2d rows only, `linear` the QuantizedLinear rows
  // only; `--js` first switches to the js backend.
  if (process.argv.includes('--js')) setBackend('js');
  const rows = process.argv.includes('--recurrent') ? await benchCompressRecurrent()
    : process.argv[2] === 'conv' ? await benchQuantizedConv()
    : process.argv[2] === 'linear' ? await benchQuantizedLinear() : await benchCompress();
  console.log(toMarkdown(rows));
  console.log();
  for (const note of compressNotes) console.log(note);
}
