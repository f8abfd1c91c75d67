// The measured alternatives behind the kernels' design, kept here rather than in the kernel
// comments (which say what the code does and why in a sentence). `bench/run.ts` appends this
// section to bench/RESULTS.md on every full run, so it survives the rewrite of the tables. Figures
// are from the runs that decided each choice (one core of the reference machine, kernels alone,
// best of alternating runs in one process); they are not re-measured by `npm run bench`.

/** The "Kernel design notes" section of bench/RESULTS.md, as markdown lines. */
export const kernelDesignNotes: string[] = [
  '## Kernel design notes: alternatives measured',
  '',
  '### GEMM (`src/tensor/kernels/matmul.ts`)',
  '',
  '- Both packed operands live in one scratch array (the A block at [0, MC·KC), the B block after it), so the ' +
    'micro-kernel\'s loop bounds-checks one array instead of two: 4.0 against 3.45 GFLOP/s for the kernel alone.',
  '- Float64 panels: the micro-kernel\'s loads need no conversion, 7–10% faster than float32 panels at 256, 512 ' +
    'and 16×72×784.',
  '- The panels are a plain JS array of doubles (V8 packed-double elements), not a typed array. Once any ' +
    'ArrayBuffer in the process has been detached (a transfer to a worker, `structuredClone` with a transfer ' +
    'list; loading tfjs does it), V8 checks for detachment on every typed-array access in optimized code: that ' +
    'cost typed-array panels 17–35% (3.5 against 4.2 GFLOP/s at 256), while the array of doubles kept its ' +
    'speed, and was level or slightly faster without any detachment.',
  '- `| 0` on the micro-kernel\'s index arithmetic (int32, no overflow checks): a few percent.',
  '- Matrix-vector shapes (M = 1 or N = 1, batch-1 inference): four-row dot products with four independent ' +
    'float64 sums, and four-row streaming into a float64 accumulator row, about 3× the plain loop: 1.7–2.1 ' +
    'against 0.5–0.65 GFLOP/s at 1 × 256 × 256 and 1 × 784 × 256.',
  '',
  '### Convolution (`src/tensor/kernels/conv.ts`)',
  '',
  'At batch 64, 8 → 16 channels, 28×28, 3×3 (the conv bench shape), kernels only, best of 24 alternating runs:',
  '',
  '| pass | im2col + gemm | kept: gathered panels |',
  '|---|---:|---:|',
  '| forward | 40.5 ms | 32 ms (3.6 GFLOP/s, about 85% of gemm at 256) |',
  '| weight gradient | 41 ms | 33 ms |',
  '| input gradient (stride 1) | 41–43 ms (gemm + col2im) | 37–39 ms (forward pass of dy with the flipped kernel) |',
  '',
  'Alternatives measured and dropped:',
  '',
  '- A register-blocked direct kernel (4 output channels × 4 columns, no im2col): half the speed or less at ' +
    'C → OC = 1 → 8, 8 → 16, 16 → 32 and 32 → 64.',
  '- An im2col writing whole rows straight into gemm\'s packed layout: 5–10% slower, because of its strided ' +
    'writes (gathering one panel at a time writes sequentially).',
  '- An implicit GEMM reading each tap through the offset table inside the micro-kernel: won only at C = 1 and ' +
    'lost 30–40% at C = 8, 16 and 32, because every 4-row panel repeated the gather.',
  '- Depthwise convolutions (64 channels, 28×28, 3×3): one float64 dot product per output runs at 0.78 GFLOP/s ' +
    'forward and 0.81 backward, against 0.46 and 0.33 through the GEMM panels (tfjs\'s `depthwiseConv2d`: 0.32 ' +
    'forward). With two or more output channels per group, or a first layer on grey images (1 → 8), the panels win.',
  '',
  '### ReLU (`src/tensor/kernels/unary.ts`)',
  '',
  '- On activations of random sign, `v > 0 ? v : 0` measured 9× slower than the branch-free (v + |v|) / 2 over ' +
    '400k values (2.4 against 0.27 ms): the branch mispredicts half the time. The backward mask `+(v > 0)` ' +
    'compiles to a flag, not a branch.',
  '',
  '### Recurrent layers (`src/tensor/kernels/rnn.ts`)',
  '',
  'At batch 64, T = 32, 16 → 64 (the LSTM bench shape), tfjs loaded, kernels alone, best of 40 runs:',
  '',
  '| LSTM pass | all | its GEMMs, timed alone | the rest (the kernel with a no-op gemm) |',
  '|---|---:|---:|---:|',
  '| forward | 22.5 ms (was 27.7) | 17–18 ms (input projection 3.6, 32 steps 13.4–14.1) | 5.5 ms (was 16.0, with Math.exp and Math.tanh) |',
  '| backward | 33.1 ms (was 36.2) | 30–32 ms (32 steps 13.4–14.0, dW_hh 13.2–14.1, dW_ih 3.8–4.1) | 3.5 ms (was 7.1) |',
  '',
  '- σ and tanh on an inlined exponential (range reduction by ln 2, a degree-7 polynomial, 2^k from a table of ' +
    'doubles): 5.6 ns against 11.4 ns for `1 / (1 + Math.exp(−x))`, and about half of `Math.tanh`, over 64k ' +
    'float32 values; within half a float32 ulp of the fdlibm results.',
  '- V8 inlines callees only up to a cumulative bytecode budget per function: with five σ/tanh call sites in ' +
    'the LSTM step loop one of them stayed a call. The step\'s elementwise part in its own function, with three ' +
    'sites, took the forward pass\'s non-GEMM time from 9.3 to 5.5 ms (16.0 before the inlined exponential).',
  '- Adding the biases inside the step loop instead of a pass over the projected gates (2 MB here) and one ' +
    'column-sum pass for both LSTM biases, four rows per pass: about 1.5 ms and 3.5 ms of a training step in its CPU profile.',
  '- Whole LSTM training step (Adam, softmax cross-entropy), best CPU time of alternating rounds against the ' +
    'code before these changes in one process: 1.10–1.11× (forward 1.26–1.29×, GRU training 1.08–1.12×, GRU ' +
    'forward 1.30×, RNN training 1.11–1.13×, RNN forward 1.25–1.30×). GEMM, at about 5 GFLOP/s on these small ' +
    'shapes (the scalar ceiling), is now about 85% of the recurrent kernels\' time.',
  '',
  '### The kernel table (`src/tensor/kernels/backend.ts`)',
  '',
  '- Ops call every kernel through one mutable table object (a property load per kernel call, nothing per ' +
    'element). Measured against the code before the table, both loaded in one process (tfjs loaded too, as in ' +
    'the benches), best CPU time of alternating rounds with the order flipped each round, five runs: gemm NN ' +
    '256, NT 512, TN 512, NN 1024, conv2d forward, conv2d forward + backward, depthwise forward, LSTM train ' +
    'step and LSTM forward all at 0.97–1.04× of before (one conv2d forward run at 0.88×, its other four at ' +
    '0.97–1.03×), i.e. within the run-to-run noise (`npx tsx bench/ab.ts <base checkout> all 10` repeats it).',
  '',
];
