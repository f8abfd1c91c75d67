import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobsCsv } from './helpers';

// The bin as users run it: a child process (through tsx, so no build is needed), its stdout,
// stderr and exit code.
const BIN = resolve(__dirname, '../../src/cli/index.ts');
// The cwd is the temp dir, so tsx is named by its path rather than resolved from there.
const TSX = pathToFileURL(resolve(__dirname, '../../node_modules/tsx/dist/loader.mjs')).href;
let dir: string;

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', TSX, BIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((r) => child.on('exit', (code) => r({ code, out, err })));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tk-cli-bin-'));
  await writeFile(join(dir, 'data.csv'), blobsCsv().text);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the tensorkit bin, end to end', () => {
  it('train → predict → eval → inspect on a CSV in a temp dir', async () => {
    const train = await run(['train', 'data.csv', '--target', 'kind', '--model', 'mlp', '--hidden', '16', '--epochs', '10', '--out', 'model.safetensors']);
    expect(train.code, train.err).toBe(0);
    // stderr is a pipe here, not a TTY: one plain line per epoch, no escape codes.
    expect(train.err.trimEnd().split('\n')).toHaveLength(10);
    expect(train.err).not.toMatch(/[\r\x1b]/);
    expect(train.out).toMatch(/^validation \(36 rows\): accuracy (0\.9|1\.0)/m);
    expect(train.out).toMatch(/tensorkit train: saved model\.safetensors\n$/);

    const predict = await run(['predict', 'model.safetensors', 'data.csv']);
    expect(predict.code, predict.err).toBe(0);
    const lines = predict.out.trimEnd().split('\n');
    expect(lines[0]).toBe('kind');
    expect(lines).toHaveLength(181);
    expect(new Set(lines.slice(1))).toEqual(new Set(['ant', 'bee', 'cat']));

    const ev = await run(['eval', 'model.safetensors', 'data.csv', '--json']);
    expect(ev.code, ev.err).toBe(0);
    const m = JSON.parse(ev.out);
    expect(m.accuracy).toBeGreaterThanOrEqual(0.9);

    const inspect = await run(['inspect', 'model.safetensors']);
    expect(inspect.code, inspect.err).toBe(0);
    expect(inspect.out).toMatch(/^model\.safetensors: safetensors, /);
    expect(inspect.out).toMatch(/^ {2}net\.layers\.0\.weight +F32 +\[16, 5\] +80 +320 B$/m);
    expect(inspect.out).toMatch(/tensorkit model: TabularModel \(SimpleImputer, StandardScaler, OneHotEncoder, LabelEncoder, MLP\)/);
  }, 60_000);

  it('exits 1 with one line on stderr (no stack trace) for an unknown column, 2 for a bad flag', async () => {
    const col = await run(['train', 'data.csv', '--target', 'label']);
    expect(col.code).toBe(1);
    expect(col.err).toBe('tensorkit train: data.csv has no column "label" (its columns: x1, x2, shade, kind)\n');
    const flag = await run(['predict', 'model.safetensors', 'data.csv', '--probability']);
    expect(flag.code).toBe(2);
    expect(flag.err).toBe('tensorkit predict: unknown flag --probability (it takes --proba, --help)\n');
  }, 30_000);
});
