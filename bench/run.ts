// Runs every bench suite, prints one markdown table, writes bench/out/results.json and rewrites
// bench/RESULTS.md (the tables, their notes, then the kernel design notes of design-notes.ts). Add a
// suite by appending it to SUITES.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { attentionNotes, benchAttention } from './attention';
import { benchCompress, compressNotes } from './compress';
import { benchCompressAccuracy, compressAccuracyNotes } from './compress-accuracy';
import { benchConv, convNotes } from './conv';
import { kernelDesignNotes } from './design-notes';
import { benchDetection, detectionNotes } from './detection';
import { benchElementwise, elementwiseNotes } from './elementwise';
import { benchGeneration, generationNotes } from './generation';
import { benchGemm, gemmNotes } from './gemm';
import { benchInference, inferenceNotes } from './inference';
import { benchLstm, lstmNotes } from './lstm';
import { benchOnnxModels, onnxModelsNotes } from './onnx-models';
import { benchOnnxImport, onnxImportNotes } from './onnx-import';
import { benchRecommenders, recommendersNotes } from './recommenders';
import { benchServe, serveNotes } from './serve';
import { benchStartup, startupNotes } from './startup';
import { benchTrain, trainNotes } from './train';
import { machineInfo, toMarkdown, type BenchRow, type BenchSuite } from './util';

const SUITES: BenchSuite[] = [
  { name: 'startup', run: () => benchStartup(), notes: startupNotes },
  { name: 'gemm', run: benchGemm, notes: gemmNotes },
  { name: 'conv', run: benchConv, notes: convNotes },
  { name: 'lstm', run: benchLstm, notes: lstmNotes },
  { name: 'attention', run: benchAttention, notes: attentionNotes },
  { name: 'elementwise', run: () => benchElementwise(), notes: elementwiseNotes },
  { name: 'train', run: benchTrain, notes: trainNotes },
  { name: 'recommenders', run: benchRecommenders, notes: recommendersNotes },
  { name: 'inference', run: benchInference, notes: inferenceNotes },
  { name: 'onnx-models', run: benchOnnxModels, notes: onnxModelsNotes },
  { name: 'onnx-import', run: benchOnnxImport, notes: onnxImportNotes },
  { name: 'compress', run: benchCompress, notes: compressNotes },
  { name: 'compress-accuracy', run: benchCompressAccuracy, notes: compressAccuracyNotes },
  { name: 'detection', run: () => benchDetection(), notes: detectionNotes },
  { name: 'generation', run: benchGeneration, notes: generationNotes },
  { name: 'serve', run: () => benchServe(), notes: serveNotes },
];

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const rows: BenchRow[] = [];
const notes: string[] = [];
const started = new Date();
for (const suite of SUITES) {
  if (only.length > 0 && !only.includes(suite.name)) continue;
  const t0 = performance.now();
  rows.push(...(await suite.run()));
  notes.push(...suite.notes);
  console.error(`${suite.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const machine = machineInfo();
const table = toMarkdown(rows);
console.log(table);

mkdirSync(path.join(here, 'out'), { recursive: true });
writeFileSync(path.join(here, 'out', 'results.json'),
  JSON.stringify({ date: started.toISOString(), machine, rows }, null, 2) + '\n');

const md = [
  '# Benchmark results',
  '',
  'Written by `npm run bench` (`tsx bench/run.ts`); numbers from one run on the machine below.',
  '',
  `- Machine: ${machine}`,
  `- Date: ${started.toISOString()}`,
  '',
  table,
  '',
  ...notes.map((n) => `- ${n}`),
  '',
  ...kernelDesignNotes,
].join('\n');
// A partial run (`npm run bench gemm`) prints its table but leaves the full RESULTS.md alone.
if (only.length === 0) writeFileSync(path.join(here, 'RESULTS.md'), md);
else console.error('bench: a subset of suites ran, so bench/RESULTS.md was not rewritten');
