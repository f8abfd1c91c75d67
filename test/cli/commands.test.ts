import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { TABULAR_REGISTRY, TabularModel } from '../../src/cli/tabular';
import { parseCsv } from '../../src/data/index';
import { exportOnnx, inspectSafetensors, loadModel, saveSafetensors } from '../../src/io/index';
import { accuracy } from '../../src/metrics/index';
import { Linear, ReLU, Sequential } from '../../src/nn/index';
import { tensor } from '../../src/tensor/index';
import { blobsCsv, recorder } from './helpers';

let dir: string;
const p = (f: string) => join(dir, f);
const { text, labels } = blobsCsv();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tk-cli-cmd-'));
  await writeFile(p('train.csv'), text);
  await writeFile(p('test.csv'), blobsCsv(90, 2).text);
  const r = recorder();
  expect(await main(['train', p('train.csv'), '--target', 'kind', '--epochs', '15', '--out', p('m.safetensors')], r.io), r.err.join('\n')).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tensorkit train', () => {
  it('saves a TabularModel with its preprocessing, and prints validation metrics that the saved model reproduces', async () => {
    const r = recorder();
    expect(await main(['train', p('train.csv'), '--target', 'kind', '--epochs', '15', '--out', p('again.safetensors'), '--seed', '3'], r.io)).toBe(0);
    expect(r.out[0]).toMatch(/180 rows, 3 features \(2 numeric, 1 categorical → 5 inputs\), 3 classes of "kind"; 144 for training, 36 for validation$/);
    const m = /^validation \(36 rows\): accuracy (\d\.\d{4})/.exec(r.out[1]);
    expect(m, r.out[1]).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(0.9);
    expect(r.out.at(-1)).toBe(`tensorkit train: saved ${p('again.safetensors')}`);
    // The same seed trains the same model: the file is byte for byte the same.
    const r2 = recorder();
    await main(['train', p('train.csv'), '--target', 'kind', '--epochs', '15', '--out', p('again2.safetensors'), '--seed', '3'], r2.io);
    expect(Buffer.compare(await readFile(p('again.safetensors')), await readFile(p('again2.safetensors')))).toBe(0);

    const model = loadModel<TabularModel>(new Uint8Array(await readFile(p('again.safetensors'))), { registry: TABULAR_REGISTRY }).model;
    expect(model).toBeInstanceOf(TabularModel);
    expect(model.classes).toEqual(['ant', 'bee', 'cat']);
    expect(model.numeric).toEqual(['x1', 'x2']);
    expect(model.categorical).toEqual(['shade']);
    expect(model.config().children!.map((c) => c.type)).toEqual(['SimpleImputer', 'StandardScaler', 'OneHotEncoder', 'LabelEncoder', 'Linear']);
    // The scaler's statistics are the raw data's (x2's mean is about 5/3), saved and loaded.
    expect(model.scaler!.mean![1]).toBeGreaterThan(1);
    const table = parseCsv(text);
    const acc = accuracy(model.targets(table), model.predictProba(model.features(table)).argmax({ axis: 1 }));
    expect(acc).toBeGreaterThanOrEqual(0.9);
  });

  it('draws epoch lines: plain lines when the stream is not a TTY, \\r redraws with an erase when it is', async () => {
    const plain = recorder({ isTTY: false });
    await main(['train', p('train.csv'), '--target', 'kind', '--epochs', '3', '--out', p('x.safetensors')], plain.io);
    const lines = plain.writes.join('').split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^epoch 1\/3 {2}loss \d+\.\d{4} {2}valLoss \d+\.\d{4} {2}\(\d+\.\d s\)$/);
    expect(plain.writes.join('')).not.toMatch(/[\r\x1b]/);
    const tty = recorder({ isTTY: true });
    await main(['train', p('train.csv'), '--target', 'kind', '--epochs', '3', '--out', p('x.safetensors')], tty.io);
    expect(tty.writes.join('')).toMatch(/\repoch 1\/3 {2}loss [^\n]*\x1b\[K\n/);
    // Without a progress stream, the lines go to err (stderr in the bin), never to out.
    const none = recorder();
    await main(['train', p('train.csv'), '--target', 'kind', '--epochs', '2', '--out', p('x.safetensors')], none.io);
    expect(none.err.filter((l) => l.startsWith('epoch '))).toHaveLength(2);
    expect(none.out.some((l) => l.startsWith('epoch '))).toBe(false);
  });

  it('trains an mlp with --hidden, and uses only --features with --val-fraction 0', async () => {
    const r = recorder();
    expect(await main(['train', p('train.csv'), '--target', 'kind', '--model', 'mlp', '--hidden', '16,8', '--epochs', '20', '--features', 'x1,x2',
      '--val-fraction', '0', '--out', p('mlp.safetensors')], r.io)).toBe(0);
    expect(r.out[1]).toMatch(/^training \(no validation split\) \(180 rows\): accuracy/);
    const model = loadModel<TabularModel>(new Uint8Array(await readFile(p('mlp.safetensors'))), { registry: TABULAR_REGISTRY }).model;
    const c = model.config();
    expect(c.options).toEqual({ target: 'kind', numeric: ['x1', 'x2'], categorical: [], model: 'mlp', hiddenSizes: [16, 8] });
    expect(c.children!.map((k) => k.type)).toEqual(['SimpleImputer', 'StandardScaler', 'LabelEncoder', 'MLP']);
    expect(c.children![3].options).toMatchObject({ inFeatures: 2, hiddenSizes: [16, 8], outFeatures: 3 });
  });
});

describe('tensorkit predict and eval', () => {
  it('predict prints a header and one label per row; --proba adds p_<class> columns summing to 1', async () => {
    const r = recorder();
    expect(await main(['predict', p('m.safetensors'), p('train.csv')], r.io)).toBe(0);
    expect(r.out[0]).toBe('kind');
    expect(r.out).toHaveLength(181);
    const pred = r.out.slice(1);
    expect(pred.filter((l, i) => l === labels[i]).length / 180).toBeGreaterThanOrEqual(0.9);
    const rp = recorder();
    await main(['predict', p('m.safetensors'), p('train.csv'), '--proba'], rp.io);
    expect(rp.out[0]).toBe('kind,p_ant,p_bee,p_cat');
    const rows = rp.out.slice(1).map((l) => l.split(','));
    for (const [i, row] of rows.entries()) {
      const probs = row.slice(1).map(Number);
      expect(Math.abs(probs.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-4);
      expect(row[0]).toBe(['ant', 'bee', 'cat'][probs.indexOf(Math.max(...probs))]);
      expect(row[0]).toBe(pred[i]);
    }
    // A file without the target column predicts just the same (the target is not a feature).
    await writeFile(p('nolabel.csv'), text.split('\n').map((l) => l.split(',').slice(0, 3).join(',')).join('\n'));
    const rn = recorder();
    expect(await main(['predict', p('m.safetensors'), p('nolabel.csv')], rn.io)).toBe(0);
    expect(rn.out).toEqual(r.out);
  });

  it('eval prints the metrics of the predictions; --json gives the same numbers', async () => {
    const rp = recorder();
    await main(['predict', p('m.safetensors'), p('test.csv')], rp.io);
    const truth = parseCsv(await readFile(p('test.csv'), 'utf8')).data.kind as string[];
    const expectedAcc = rp.out.slice(1).filter((l, i) => l === truth[i]).length / truth.length;
    const r = recorder();
    expect(await main(['eval', p('m.safetensors'), p('test.csv')], r.io)).toBe(0);
    expect(r.out[0]).toMatch(new RegExp(`^${p('test.csv').replace(/[.\\]/g, '\\$&')} \\(90 rows\\): accuracy ${expectedAcc.toFixed(4)} `));
    expect(r.out.slice(1)).toHaveLength(5);
    expect(r.out[2]).toMatch(/^ +ant +bee +cat$/);
    const rj = recorder();
    expect(await main(['eval', p('m.safetensors'), p('test.csv'), '--json'], rj.io)).toBe(0);
    const j = JSON.parse(rj.out[0]);
    expect(j.rows).toBe(90);
    expect(j.accuracy).toBeCloseTo(expectedAcc, 10);
    expect(j.classes).toEqual(['ant', 'bee', 'cat']);
    expect(j.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(90);
    expect(j.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(j.logLoss).toBeGreaterThan(0);
  });
});

describe('tensorkit inspect', () => {
  it('lists the tensors of a safetensors file with dtype, shape, elements and bytes, and its metadata', async () => {
    const r = recorder();
    expect(await main(['inspect', p('m.safetensors')], r.io)).toBe(0);
    const bytes = new Uint8Array(await readFile(p('m.safetensors')));
    const h = inspectSafetensors(bytes);
    const names = Object.keys(h.tensors);
    expect(r.out[0]).toMatch(new RegExp(`: safetensors, 1\\.\\d kB, ${names.length} tensors, `));
    for (const n of names) {
      const t = h.tensors[n];
      const line = r.out.find((l) => l.trimStart().startsWith(`${n} `));
      expect(line, n).toBeDefined();
      const size = t.shape.reduce((a, b) => a * b, 1);
      expect(line!.trim().split(/ {2,}/).slice(1)).toEqual([t.dtype, `[${t.shape.join(', ')}]`, String(size), `${t.dataOffsets[1] - t.dataOffsets[0]} B`]);
    }
    expect(r.out).toContain('tensorkit model: TabularModel (SimpleImputer, StandardScaler, OneHotEncoder, LabelEncoder, Linear), format version 1');
    expect(r.out).toContain('  trainedOn: ' + p('train.csv'));
    const rj = recorder();
    await main(['inspect', p('m.safetensors'), '--json'], rj.io);
    expect(JSON.parse(rj.out[0])).toEqual({ format: 'safetensors', bytes: bytes.length, tensors: h.tensors, metadata: h.metadata });
  });

  it('lists a plain safetensors file (no tensorkit metadata) and an empty one', async () => {
    await writeFile(p('plain.safetensors'), saveSafetensors({ w: tensor([[1, 2], [3, 4]]) }, { note: 'hi' }));
    const r = recorder();
    expect(await main(['inspect', p('plain.safetensors')], r.io)).toBe(0);
    expect(r.out.slice(1)).toEqual(['  tensor  dtype  shape   elements  bytes', '  w       F32    [2, 2]         4   16 B', 'metadata:', '  note: hi']);
  });

  it('reports an ONNX file: opset, inputs, outputs with symbolic batch axes, op counts', async () => {
    const net = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
    await writeFile(p('m.onnx'), exportOnnx(net, { inputShape: [1, 4] }));
    const r = recorder();
    expect(await main(['inspect', p('m.onnx')], r.io)).toBe(0);
    expect(r.out[0]).toMatch(/m\.onnx: ONNX, \d+ B, ir_version \d+, opset 17, from tensorkit/);
    expect(r.out.slice(1)).toEqual(['inputs:', '  input  FLOAT  [batch, 4]', 'outputs:', '  output  FLOAT  [batch, 3]', '3 nodes, 4 initializers; ops:', '  Gemm  2', '  Relu  1']);
    const rj = recorder();
    await main(['inspect', p('m.onnx'), '--json'], rj.io);
    expect(JSON.parse(rj.out[0])).toMatchObject({ format: 'onnx', opset: 17, opCounts: { Gemm: 2, Relu: 1 }, nodeCount: 3 });
  });
});

describe('usage and errors', () => {
  it('prints usage for --help (exit 0) and without a command (exit 2)', async () => {
    for (const c of ['demo', 'train', 'predict', 'eval', 'inspect']) {
      const r = recorder();
      expect(await main([c, '--help'], r.io), c).toBe(0);
      expect(r.out[0]).toMatch(new RegExp(`^Usage: tensorkit ${c}`));
      expect(r.out[0]).toMatch(/--help +print this help/);
    }
    const r = recorder();
    expect(await main([], r.io)).toBe(2);
    expect(r.out[0]).toMatch(/^Usage: tensorkit <command>[\s\S]*train[\s\S]*inspect[\s\S]*serve/);
  });

  it('gives one-line errors: usage mistakes exit 2, failures while running exit 1', async () => {
    await writeFile(p('strings.csv'), 'x1,x2,shade,kind\nA,1,dark,ant\nB,2,mid,bee\n');
    await writeFile(p('nox2.csv'), 'x1,shade\n1,dark\n');
    await writeFile(p('badquote.csv'), 'x1,x2,shade,kind\n"1,2,dark,ant\n');
    await writeFile(p('other.csv'), 'x1,x2,shade,kind\n1,2,dark,wasp\n');
    await writeFile(p('garbage.bin'), 'not a model at all');
    await writeFile(p('plain2.safetensors'), saveSafetensors({ w: tensor([1]) }));
    const f = (s: string) => p(s).replace(/[.\\]/g, '\\$&');
    for (const [args, code, msg] of [
      [['train', p('train.csv')], 2, /^tensorkit train: --target COL is required/],
      [['train', '--target', 'kind'], 2, /^tensorkit train: missing DATA\.csv \(see tensorkit train --help\)$/],
      [['train', p('train.csv'), 'extra.csv', '--target', 'kind'], 2, /^tensorkit train: unexpected argument "extra\.csv"/],
      [['train', p('train.csv'), '--target', 'kind', '--epochs', '0'], 2, /^tensorkit train: --epochs must be an integer in \[1, 100000\], got "0"$/],
      [['train', p('train.csv'), '--target', 'kind', '--model', 'forest'], 2, /^tensorkit train: --model must be logistic or mlp, got "forest"$/],
      [['train', p('train.csv'), '--target', 'kind', '--val-fraction', 'half'], 2, /^tensorkit train: --val-fraction must be a number in \[0, 0\.9\], got "half"$/],
      [['train', p('train.csv'), '--target', 'kind', '--hidden', '8,x'], 2, /^tensorkit train: --hidden must be positive integers/],
      [['train', p('train.csv'), '--tagret', 'kind'], 2, /^tensorkit train: unknown flag --tagret/],
      [['predict', p('m.safetensors')], 2, /^tensorkit predict: missing DATA\.csv/],
      [['inspect'], 2, /^tensorkit inspect: missing FILE/],
      [['demo', 'now'], 2, /^tensorkit demo: unexpected argument "now"/],
      [['train', p('train.csv'), '--target', 'kinds'], 1, new RegExp(`^tensorkit train: ${f('train.csv')} has no column "kinds" \\(its columns: x1, x2, shade, kind\\)$`)],
      [['train', p('train.csv'), '--target', 'kind', '--features', 'x1,x9'], 1, /has no column "x9"/],
      [['train', p('missing.csv'), '--target', 'kind'], 1, new RegExp(`^tensorkit train: cannot read ${f('missing.csv')} \\(ENOENT\\)$`)],
      [['train', p('badquote.csv'), '--target', 'kind'], 1, /^tensorkit train: readCsv .*badquote\.csv: parseCsv: line 2: unterminated quoted field/],
      [['train', p('train.csv'), '--target', 'kind', '--out', p('no/such/dir/m.safetensors')], 1, /^tensorkit train: cannot write .*m\.safetensors \(ENOENT\)$/],
      [['predict', p('m.safetensors'), p('nox2.csv')], 1, /^tensorkit predict: the CSV has no column "x2" \(the model's features: x1, x2, shade\)$/],
      [['predict', p('m.safetensors'), p('strings.csv')], 1, /^tensorkit predict: column "x1" must be numeric/],
      [['predict', p('garbage.bin'), p('train.csv')], 1, /^tensorkit predict: .*garbage\.bin is not a model file of tensorkit train: /],
      [['predict', p('plain2.safetensors'), p('train.csv')], 1, /is not a model file of tensorkit train: loadModel: not a tensorkit model file/],
      [['eval', p('m.safetensors'), p('other.csv')], 1, /^tensorkit eval: column "kind": LabelEncoder\.transform: .*"wasp"/],
      [['eval', p('m.safetensors'), p('train.csv'), '--target', 'species'], 1, /has no column "species"/],
      [['inspect', p('garbage.bin')], 1, /^tensorkit inspect: .*garbage\.bin is neither a safetensors file nor an ONNX model/],
      [['inspect', p('nope.onnx')], 1, /^tensorkit inspect: cannot read .*nope\.onnx \(ENOENT\)$/],
    ] as const) {
      const r = recorder();
      expect(await main([...args], r.io), args.join(' ')).toBe(code);
      expect(r.err, args.join(' ')).toHaveLength(1);
      expect(r.err[0], args.join(' ')).toMatch(msg);
    }
  });
});

describe('tensorkit demo', () => {
  it('prints the families table and writes its figures as SVG into --plots', async () => {
    const r = recorder();
    expect(await main(['demo', '--plots', p('plots')], r.io), r.err.join('\n')).toBe(0);
    expect(r.out.join('\n')).toContain('TransformerClassifier');
    const names = ['linear-loss.svg', 'cnn-loss.svg', 'cnn-confusion.svg', 'lstm-roc.svg'];
    expect(r.out.at(-1)).toBe(`Figures: ${names.map((n) => join(p('plots'), n)).join(', ')}`);
    for (const n of names) {
      const svg = await readFile(join(p('plots'), n), 'utf8');
      expect(svg.startsWith('<svg'), n).toBe(true);
      expect(svg).toContain('</svg>');
    }
    expect(await readFile(join(p('plots'), 'cnn-confusion.svg'), 'utf8')).toContain('triangle');
  }, 60_000);
});
