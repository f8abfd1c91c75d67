import { access, constants, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { trainTestSplit, type CsvTable } from '../data/index';
import { readCsv } from '../data/node';
import { inspectSafetensors, loadModel, onnxInfo, saveModel } from '../io/index';
import { accuracy, balancedAccuracy, confusionMatrix, f1, logLoss } from '../metrics/index';
import { ArgumentError, Generator, Tensor, TensorkitError, indexSelect } from '../tensor/index';
import { ProgressBar } from '../train/index';
import { flagHelp, parseCommand, type FlagSpec } from './args';
import { runDemo } from './demo';
import type { ProgressStream } from './families';
import type { CliIo } from './serve';
import { TABULAR_REGISTRY, TabularModel } from './tabular';

/** What a command prints: lines on `out` and `err`, and the progress bar on `progress` (stderr in the bin). */
export interface CommandIo extends CliIo {
  /** Where a live progress bar draws (`\r` redraws on a TTY, one line per epoch elsewhere); default: lines on `err`. */
  progress?: ProgressStream;
}

/** A failure while running (an unreadable file, an unknown column): printed as one line, exit code 1. */
class RunError extends Error {}

const HELP: FlagSpec = { kind: 'bool', help: 'print this help' };

export const TRAIN_FLAGS: Record<string, FlagSpec> = {
  target: { kind: 'string', help: 'the column to predict (required)' },
  model: { kind: 'string', help: 'logistic (softmax regression) or mlp (default logistic)' },
  epochs: { kind: 'int', min: 1, max: 100_000, help: 'passes over the training rows (default 50)' },
  out: { kind: 'string', help: 'the model file to write (default model.safetensors)' },
  'val-fraction': { kind: 'number', min: 0, max: 0.9, help: 'rows held out for validation, stratified (default 0.2; 0 for none)' },
  lr: { kind: 'number', min: 1e-8, max: 10, help: "Adam's learning rate (default 0.01)" },
  'batch-size': { kind: 'int', min: 1, help: 'rows per step (default 32)' },
  hidden: { kind: 'string', help: 'hidden layer sizes of the mlp, comma-separated (default 64)' },
  features: { kind: 'string', help: 'feature columns, comma-separated (default: every column but the target)' },
  seed: { kind: 'int', min: 0, max: 2 ** 32 - 1, help: 'seed of the split, the weights and the shuffling (default 0)' },
  help: HELP,
};

export const PREDICT_FLAGS: Record<string, FlagSpec> = {
  proba: { kind: 'bool', help: 'add a column p_<class> with the probability of each class' },
  help: HELP,
};

export const EVAL_FLAGS: Record<string, FlagSpec> = {
  target: { kind: 'string', help: "the column of true labels (default: the model's target)" },
  json: { kind: 'bool', help: 'print the metrics as one JSON object' },
  help: HELP,
};

export const INSPECT_FLAGS: Record<string, FlagSpec> = {
  json: { kind: 'bool', help: 'print what the file holds as JSON' },
  help: HELP,
};

export const DEMO_FLAGS: Record<string, FlagSpec> = {
  plots: { kind: 'string', help: 'directory the figures (SVG loss curves, confusion matrix, ROC) go to (default demo-plots)' },
  'no-plots': { kind: 'bool', help: 'draw no figures' },
  help: HELP,
};

export const USAGES: Record<string, string> = {
  demo: `Usage: tensorkit demo

Trains one model of each family on built-in, seeded data and prints the held-out scores (about ten
seconds), and writes a few figures as SVG next to its output (loss curves, a confusion matrix, a ROC curve).

${flagHelp(DEMO_FLAGS)}
`,
  train: `Usage: tensorkit train DATA.csv --target COL [--model logistic|mlp] [--epochs N] [--out FILE]

Trains a classifier on the columns of a CSV file (numbers are mean-imputed and standardized, strings
one-hot encoded) with Adam on cross-entropy, prints its validation metrics, and saves the model with
its preprocessing to one safetensors file for tensorkit predict and eval.

${flagHelp(TRAIN_FLAGS)}
`,
  predict: `Usage: tensorkit predict MODEL.safetensors DATA.csv [--proba]

Prints one prediction per row of DATA.csv as CSV on stdout, with a header (the target's name).

${flagHelp(PREDICT_FLAGS)}
`,
  eval: `Usage: tensorkit eval MODEL.safetensors DATA.csv [--target COL]

Scores the model on the labelled rows of DATA.csv: accuracy, balanced accuracy, macro F1, log loss
and the confusion matrix.

${flagHelp(EVAL_FLAGS)}
`,
  inspect: `Usage: tensorkit inspect FILE

Lists what a model file holds: for safetensors, every tensor's dtype, shape and size and the
metadata; for ONNX, the opset, inputs, outputs and op counts.

${flagHelp(INSPECT_FLAGS)}
`,
};

/** Writes to `io.err` line by line what the progress bar writes (it ends its lines with \n). */
function progressOf(io: CommandIo): ProgressStream {
  if (io.progress !== undefined) return io.progress;
  let buf = '';
  return {
    write(s: string) {
      buf += s;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        io.err(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      return true;
    },
  };
}

async function readTable(path: string): Promise<CsvTable> {
  try {
    return await readCsv(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (e instanceof TensorkitError) throw new RunError(e.message);
    throw new RunError(`cannot read ${path} (${code ?? (e as Error).message})`);
  }
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new RunError(`cannot read ${path} (${(e as { code?: string }).code ?? (e as Error).message})`);
  }
}

async function readModel(path: string): Promise<TabularModel> {
  const bytes = await readBytes(path);
  let model: unknown;
  try {
    model = loadModel(bytes, { registry: TABULAR_REGISTRY }).model;
  } catch (e) {
    if (e instanceof TensorkitError) throw new RunError(`${path} is not a model file of tensorkit train: ${e.message}`);
    throw e;
  }
  if (!(model instanceof TabularModel)) throw new RunError(`${path} holds a ${(model as { constructor: { name: string } }).constructor.name}, not a model of tensorkit train`);
  return model;
}

/** Runs `work`, printing a RunError or a library error as one line `tensorkit <command>: <message>` (exit 1). */
async function guarded(command: string, io: CommandIo, work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof RunError || e instanceof TensorkitError) {
      io.err(`tensorkit ${command}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

/** A CSV field: quoted when it holds a delimiter, a quote or a line break. */
function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Prints the predictions' scores and returns them by name. */
function scores(model: TabularModel, y: Tensor, proba: Tensor): { metrics: Record<string, number>; matrix: number[][] } {
  const K = model.classes.length;
  const pred = proba.argmax({ axis: 1 });
  const labels = Array.from({ length: K }, (_, i) => i);
  return {
    metrics: {
      accuracy: accuracy(y, pred),
      balancedAccuracy: balancedAccuracy(y, pred),
      f1Macro: f1(y, pred, { average: 'macro', labels, zeroDivision: 0 }),
      logLoss: logLoss(y, proba),
    },
    matrix: confusionMatrix(y, pred, { labels }),
  };
}

function printScores(io: CommandIo, model: TabularModel, s: ReturnType<typeof scores>, rows: number, what: string): void {
  const m = s.metrics;
  io.out(`${what} (${rows} rows): accuracy ${m.accuracy.toFixed(4)}  balanced accuracy ${m.balancedAccuracy.toFixed(4)}  macro F1 ${m.f1Macro.toFixed(4)}  log loss ${m.logLoss.toFixed(4)}`);
  const names = model.classes.map(String);
  const w = Math.max(4, ...names.map((n) => n.length), ...s.matrix.flat().map((c) => String(c).length));
  io.out(`confusion matrix (rows: true, columns: predicted)`);
  io.out(`  ${''.padEnd(w)}  ${names.map((n) => n.padStart(w)).join('  ')}`);
  s.matrix.forEach((row, i) => io.out(`  ${names[i].padEnd(w)}  ${row.map((c) => String(c).padStart(w)).join('  ')}`));
}

/** `tensorkit train`: CSV → TabularModel (fit with a validation split) → model file. */
async function trainCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const { args, flags } = parseCommand('train', argv, TRAIN_FLAGS, ['DATA.csv']);
  if (flags.help === true) return help('train', io);
  if (flags.target === undefined) throw new ArgumentError('train: --target COL is required (the column to predict)');
  const kind = (flags.model as string | undefined) ?? 'logistic';
  if (kind !== 'logistic' && kind !== 'mlp') throw new ArgumentError(`train: --model must be logistic or mlp, got ${JSON.stringify(kind)}`);
  const list = (flag: string): string[] | undefined => (flags[flag] === undefined ? undefined : (flags[flag] as string).split(',').map((s) => s.trim()).filter((s) => s !== ''));
  const hidden = list('hidden')?.map((h) => {
    if (!/^\d+$/.test(h) || Number(h) < 1) throw new ArgumentError(`train: --hidden must be positive integers separated by commas, got ${JSON.stringify(flags.hidden)}`);
    return Number(h);
  });
  const target = flags.target as string;
  const out = (flags.out as string | undefined) ?? 'model.safetensors';
  const epochs = (flags.epochs as number | undefined) ?? 50;
  const valFraction = (flags['val-fraction'] as number | undefined) ?? 0.2;
  const seed = (flags.seed as number | undefined) ?? 0;
  const [path] = args;
  return guarded('train', io, async () => {
    const table = await readTable(path);
    try {
      await access(dirname(out), constants.W_OK);
    } catch (e) {
      // Before training, so a typo in --out does not cost the whole run.
      throw new RunError(`cannot write ${out} (${(e as { code?: string }).code ?? (e as Error).message})`);
    }
    if (!table.columns.includes(target)) throw new RunError(`${path} has no column ${JSON.stringify(target)} (its columns: ${table.columns.join(', ')})`);
    const features = list('features') ?? table.columns.filter((c) => c !== target);
    for (const c of features) {
      if (!table.columns.includes(c)) throw new RunError(`${path} has no column ${JSON.stringify(c)} (its columns: ${table.columns.join(', ')})`);
      if (c === target) throw new RunError(`--features lists the target ${JSON.stringify(c)}`);
    }
    const model = new TabularModel({
      target, model: kind,
      numeric: features.filter((c) => table.numericColumns.includes(c)),
      categorical: features.filter((c) => !table.numericColumns.includes(c)),
      ...(hidden === undefined ? {} : { hiddenSizes: hidden }),
    });
    // The labels are fitted on every row (so a class seen only in validation has a code), the
    // preprocessing on the training rows only.
    const y = model.targets(table, true);
    const rng = new Generator(seed);
    let trainRows: Int32Array, valRows: Int32Array | null = null;
    const all = Int32Array.from({ length: table.rows }, (_, i) => i);
    if (valFraction > 0) {
      const counts = new Map<number, number>();
      for (const c of y.data) counts.set(c, (counts.get(c) ?? 0) + 1);
      const stratify = [...counts.values()].every((n) => n >= 2);
      const s = trainTestSplit(new Tensor(Float32Array.from(all), [table.rows, 1]), y, { testSize: valFraction, stratify, rng });
      trainRows = Int32Array.from(s.xTrain.data);
      valRows = Int32Array.from(s.xTest.data);
    } else trainRows = all;
    const trainTable = subTable(table, trainRows);
    const x = model.features(trainTable, true);
    const yTrain = indexSelect(y, 0, trainRows);
    const validation: [Tensor, Tensor] | undefined = valRows === null ? undefined : [model.features(subTable(table, valRows)), indexSelect(y, 0, valRows)];
    io.out(`tensorkit train: ${path}: ${table.rows} rows, ${features.length} features (${model.numeric.length} numeric, ${model.categorical.length} categorical → ${x.shape[1]} inputs), ` +
      `${model.classes.length} classes of ${JSON.stringify(target)}; ${trainRows.length} for training, ${valRows?.length ?? 0} for validation`);
    await model.fit(x, yTrain, {
      epochs, rng,
      lr: flags.lr as number | undefined, batchSize: flags['batch-size'] as number | undefined,
      callbacks: [new ProgressBar({ stream: progressOf(io) })],
    }, validation);
    if (validation !== undefined) printScores(io, model, scores(model, validation[1], model.predictProba(validation[0])), validation[0].shape[0], 'validation');
    else printScores(io, model, scores(model, yTrain, model.predictProba(x)), x.shape[0], 'training (no validation split)');
    try {
      await writeFile(out, saveModel(model, { metadata: { trainedOn: path, epochs: String(epochs) } }));
    } catch (e) {
      throw new RunError(`cannot write ${out} (${(e as { code?: string }).code ?? (e as Error).message})`);
    }
    io.out(`tensorkit train: saved ${out}`);
    return 0;
  });
}

/** The rows `idx` of a table (same columns). */
function subTable(t: CsvTable, idx: Int32Array): CsvTable {
  const data: CsvTable['data'] = {};
  for (const c of t.columns) {
    const v = t.data[c];
    data[c] = Array.isArray(v) ? Array.from(idx, (i) => v[i]) : Float32Array.from(idx, (i) => v[i]);
  }
  return {
    columns: t.columns, rows: idx.length, data, numericColumns: t.numericColumns,
    toTensor(cols = t.numericColumns) {
      const out = new Float32Array(idx.length * cols.length);
      cols.forEach((c, j) => {
        const v = data[c] as Float32Array;
        for (let r = 0; r < idx.length; r++) out[r * cols.length + j] = v[r];
      });
      return new Tensor(out, [idx.length, cols.length]);
    },
  };
}

/** `tensorkit predict`: one prediction per row as CSV on stdout. */
async function predictCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const { args, flags } = parseCommand('predict', argv, PREDICT_FLAGS, ['MODEL.safetensors', 'DATA.csv']);
  if (flags.help === true) return help('predict', io);
  return guarded('predict', io, async () => {
    const model = await readModel(args[0]);
    const table = await readTable(args[1]);
    const proba = model.predictProba(model.features(table));
    const K = model.classes.length, names = model.classes.map(String);
    const withProba = flags.proba === true;
    io.out([model.target, ...(withProba ? names.map((n) => `p_${n}`) : [])].map(csvField).join(','));
    const p = proba.data;
    for (let r = 0; r < table.rows; r++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (p[r * K + k] > p[r * K + best]) best = k;
      const cells = [csvField(names[best])];
      if (withProba) for (let k = 0; k < K; k++) cells.push(String(Number(p[r * K + k].toPrecision(6))));
      io.out(cells.join(','));
    }
    return 0;
  });
}

/** `tensorkit eval`: the model's scores on a labelled CSV. */
async function evalCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const { args, flags } = parseCommand('eval', argv, EVAL_FLAGS, ['MODEL.safetensors', 'DATA.csv']);
  if (flags.help === true) return help('eval', io);
  return guarded('eval', io, async () => {
    const model = await readModel(args[0]);
    const table = await readTable(args[1]);
    const target = (flags.target as string | undefined) ?? model.target;
    if (!table.columns.includes(target)) throw new RunError(`${args[1]} has no column ${JSON.stringify(target)} (its columns: ${table.columns.join(', ')})`);
    let y: Tensor;
    try {
      y = model.targets(table, false, target);
    } catch (e) {
      if (!(e instanceof TensorkitError)) throw e;
      throw new RunError(`column ${JSON.stringify(target)}: ${e.message}`);
    }
    const s = scores(model, y, model.predictProba(model.features(table)));
    if (flags.json === true) io.out(JSON.stringify({ rows: table.rows, ...s.metrics, classes: model.classes, confusionMatrix: s.matrix }));
    else printScores(io, model, s, table.rows, args[1]);
    return 0;
  });
}

/** Bytes as `12 B`, `3.4 kB`, `1.2 MB`. */
function fmtBytes(n: number): string {
  return n < 1000 ? `${n} B` : n < 1e6 ? `${(n / 1e3).toFixed(1)} kB` : n < 1e9 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e9).toFixed(2)} GB`;
}

/** Prints rows as left-aligned columns (numbers right-aligned). */
function table(io: CommandIo, rows: string[][], right: number[] = []): void {
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  for (const r of rows) io.out(`  ${r.map((c, j) => (right.includes(j) ? c.padStart(w[j]) : c.padEnd(w[j]))).join('  ')}`.trimEnd());
}

/** Whether the bytes start like a safetensors file: a u64 header length, then '{'. */
function looksSafetensors(b: Uint8Array): boolean {
  if (b.length < 9) return false;
  const n = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  return n > 0n && n <= BigInt(b.length - 8) && b[8] === 0x7b;
}

/** `tensorkit inspect`: what a safetensors or ONNX file holds. */
async function inspectCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const { args, flags } = parseCommand('inspect', argv, INSPECT_FLAGS, ['FILE']);
  if (flags.help === true) return help('inspect', io);
  const path = args[0];
  return guarded('inspect', io, async () => {
    const bytes = await readBytes(path);
    if (looksSafetensors(bytes)) {
      const h = inspectSafetensors(bytes);
      const names = Object.keys(h.tensors);
      const size = (name: string) => h.tensors[name].shape.reduce((a, b) => a * b, 1);
      if (flags.json === true) {
        io.out(JSON.stringify({ format: 'safetensors', bytes: bytes.length, tensors: h.tensors, metadata: h.metadata }));
        return 0;
      }
      let elems = 0, data = 0;
      const rows = [['tensor', 'dtype', 'shape', 'elements', 'bytes']];
      for (const n of names) {
        const t = h.tensors[n];
        elems += size(n);
        data += t.dataOffsets[1] - t.dataOffsets[0];
        rows.push([n, t.dtype, `[${t.shape.join(', ')}]`, String(size(n)), fmtBytes(t.dataOffsets[1] - t.dataOffsets[0])]);
      }
      io.out(`${path}: safetensors, ${fmtBytes(bytes.length)}, ${names.length} tensors, ${elems} elements (${fmtBytes(data)} of data)`);
      if (names.length > 0) table(io, rows, [3, 4]);
      if (h.metadata.format === 'tensorkit' && typeof h.metadata.config === 'string') {
        try {
          const c = JSON.parse(h.metadata.config) as { type?: unknown; children?: { type?: unknown }[] };
          const kids = Array.isArray(c.children) ? ` (${c.children.map((k) => String(k?.type)).join(', ')})` : '';
          io.out(`tensorkit model: ${String(c.type)}${kids}, format version ${h.metadata.formatVersion ?? '?'}`);
        } catch {
          io.out('tensorkit model: its config is not valid JSON');
        }
      }
      const md = Object.entries(h.metadata);
      if (md.length > 0) {
        io.out('metadata:');
        for (const [k, v] of md) io.out(`  ${k}: ${v.length > 400 ? `${v.slice(0, 400)}… (${v.length} characters; --json prints all)` : v}`);
      }
      return 0;
    }
    let info;
    try {
      info = onnxInfo(bytes);
    } catch (e) {
      if (e instanceof TensorkitError) throw new RunError(`${path} is neither a safetensors file nor an ONNX model (${e.message})`);
      throw e;
    }
    if (flags.json === true) {
      io.out(JSON.stringify({ format: 'onnx', bytes: bytes.length, ...info }));
      return 0;
    }
    const shape = (s: (number | string | null)[] | null) => (s === null ? '?' : `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]`);
    io.out(`${path}: ONNX, ${fmtBytes(bytes.length)}, ir_version ${info.irVersion}, opset ${info.opset ?? 'none'}` +
      `${info.producer.name === '' ? '' : `, from ${info.producer.name}${info.producer.version === '' ? '' : ` ${info.producer.version}`}`}`);
    const others = Object.entries(info.opsets).filter(([d]) => d !== '');
    if (others.length > 0) io.out(`other opsets: ${others.map(([d, v]) => `${d} ${v}`).join(', ')}`);
    io.out('inputs:');
    table(io, info.inputs.map((v) => [v.name, v.elemType ?? '?', shape(v.shape)]));
    io.out('outputs:');
    table(io, info.outputs.map((v) => [v.name, v.elemType ?? '?', shape(v.shape)]));
    io.out(`${info.nodeCount} nodes, ${info.initializerCount} initializers; ops:`);
    const ops = Object.entries(info.opCounts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    if (ops.length > 0) table(io, ops.map(([op, n]) => [op, String(n)]), [1]);
    return 0;
  });
}

async function demoCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags } = parseCommand('demo', argv, DEMO_FLAGS, []);
  if (flags.help === true) return help('demo', io);
  if (flags['no-plots'] === true) return runDemo({ out: io.out, progress: progressOf(io) });
  const dir = (flags.plots as string | undefined) ?? 'demo-plots';
  const figures: [string, string][] = [];
  const code = await runDemo({ out: io.out, progress: progressOf(io), figures: (name, svg) => { figures.push([name, svg]); } });
  await mkdir(dir, { recursive: true });
  for (const [name, svg] of figures) await writeFile(join(dir, name), svg);
  io.out(`Figures: ${figures.map(([name]) => join(dir, name)).join(', ')}`);
  return code;
}

function help(command: string, io: CommandIo): number {
  io.out(USAGES[command]);
  return 0;
}

/** The commands besides serve, by name: each parses its arguments and resolves with its exit code. */
export const COMMANDS: Record<string, (argv: readonly string[], io: CommandIo) => Promise<number>> = {
  demo: demoCommand, train: trainCommand, predict: predictCommand, eval: evalCommand, inspect: inspectCommand,
};
