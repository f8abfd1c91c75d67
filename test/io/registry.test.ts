import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ModelRegistry, loadModelFile, loadSafetensorsFile, saveModelFile, saveSafetensorsFile,
} from '../../src/io/node';
import { Linear, ReLU, Sequential } from '../../src/nn/index';
import { ArgumentError, FormatError, Generator, TensorkitError, tensor, type Tensor } from '../../src/tensor/index';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tensorkit-io-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A Linear whose bias is filled with `v`, so each saved version is recognisable after loading. */
function marked(v: number): Linear {
  const m = new Linear(2, 2, { rng: new Generator(v) });
  m.bias!.data.fill(v);
  return m;
}
const markOf = (m: unknown): number => (m as Linear).bias!.data[0];

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof TensorkitError)) throw e;
    return e.code;
  }
  throw new Error('expected a TensorkitError');
}

describe('saveModelFile / loadModelFile', () => {
  it('round-trips through a file, overwrites atomically and leaves no temporary files', async () => {
    const dir = tempDir();
    const path = join(dir, 'model.safetensors');
    const net = new Sequential(new Linear(3, 2), new ReLU());
    await saveModelFile(path, net, { metadata: { run: 'a' } });
    await saveModelFile(new URL(`file://${path}`), marked(5), { optimizer: { step: 3, v: new Float32Array([1]) } });
    const back = await loadModelFile(path);
    expect(markOf(back.model)).toBe(5);
    expect(back.optimizerState).toEqual({ step: 3, v: new Float32Array([1]) });
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
  });

  it('fails without leaving a file behind when the directory is missing', async () => {
    const dir = tempDir();
    // Issue 12: a typed error naming the folder, not a raw ENOENT naming a temporary file.
    const missing = join(dir, 'no', 'such');
    const err = await saveModelFile(join(missing, 'm.safetensors'), new ReLU()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TensorkitError);
    expect((err as TensorkitError).code).toBe('NOT_FOUND');
    expect((err as TensorkitError).message).toContain(`the folder ${missing} does not exist`);
    expect(await codeOf(loadModelFile(join(dir, 'absent.safetensors')))).toBe('NOT_FOUND');
    expect(await codeOf(loadSafetensorsFile(join(dir, 'absent.safetensors')))).toBe('NOT_FOUND');
    expect(readdirSync(dir)).toEqual([]);
    await expect(saveModelFile('', new ReLU())).rejects.toThrow(ArgumentError);
  });

  it('saveSafetensorsFile / loadSafetensorsFile', async () => {
    const path = join(tempDir(), 'w.safetensors');
    await saveSafetensorsFile(path, { w: tensor([1, 2]) }, { k: 'v' });
    const { tensors, metadata } = await loadSafetensorsFile(path);
    expect((tensors.w as Tensor).toArray()).toEqual([1, 2]);
    expect(metadata).toEqual({ k: 'v' });
    const bad = join(tempDir(), 'bad.safetensors');
    writeFileSync(bad, Buffer.from([1, 2, 3]));
    await expect(loadSafetensorsFile(bad)).rejects.toThrow(FormatError);
  });
});

describe('ModelRegistry', () => {
  it('versions, tags, metrics, latest, rollback and removal', async () => {
    const reg = new ModelRegistry(tempDir());
    expect(await reg.list('clf')).toEqual([]);
    expect(await reg.names()).toEqual([]);
    expect(await reg.save('clf', marked(1), { tags: ['baseline'], metrics: { acc: 0.5 } })).toBe(1);
    expect(await reg.save('clf', marked(2), { tags: ['candidate'], metrics: { acc: 0.7 } })).toBe(2);
    expect(await reg.save('clf', marked(3), { tags: ['candidate', 'prod'], metrics: { acc: 0.9 } })).toBe(3);
    await reg.save('other', marked(9));
    expect(await reg.names()).toEqual(['clf', 'other']);

    const list = await reg.list('clf');
    expect(list.map((v) => [v.version, v.tags, v.metrics.acc, v.latest])).toEqual([
      [1, ['baseline'], 0.5, false], [2, [], 0.7, false], [3, ['candidate', 'prod'], 0.9, true],
    ]);
    for (const v of list) {
      expect(v.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(Number.isNaN(Date.parse(v.createdAt))).toBe(false);
      expect(v.size).toBeGreaterThan(0);
    }

    expect(markOf((await reg.load('clf')).model)).toBe(3);
    expect(markOf((await reg.load('clf', 2)).model)).toBe(2);
    expect(markOf((await reg.load('clf', 'baseline')).model)).toBe(1);
    expect((await reg.load('clf', 'candidate')).version).toBe(3);

    await reg.tag('clf', 1, 'prod');
    expect((await reg.load('clf', 'prod')).version).toBe(1);
    expect((await reg.list('clf'))[2].tags).toEqual(['candidate']);

    // Rollback moves 'latest' back; later versions stay; the next save gets a fresh number.
    await reg.rollback('clf', 2);
    expect((await reg.load('clf')).version).toBe(2);
    expect((await reg.list('clf')).map((v) => v.version)).toEqual([1, 2, 3]);
    expect(await reg.save('clf', marked(4))).toBe(4);
    expect((await reg.load('clf')).version).toBe(4);

    // Removing the latest falls back to the highest remaining; numbers are never reused.
    await reg.remove('clf', 4);
    expect((await reg.load('clf')).version).toBe(3);
    expect(await reg.save('clf', marked(5))).toBe(5);
    await reg.remove('clf', 2);
    expect((await reg.list('clf')).map((v) => v.version)).toEqual([1, 3, 5]);
    expect(existsSync(join(reg.root, 'clf', 'v2.safetensors'))).toBe(false);

    expect(await codeOf(reg.load('clf', 2))).toBe('NOT_FOUND');
    expect(await codeOf(reg.load('clf', 'nope'))).toBe('NOT_FOUND');
    expect(await codeOf(reg.load('missing'))).toBe('NOT_FOUND');
    expect(await codeOf(reg.rollback('clf', 99))).toBe('NOT_FOUND');
    expect(await codeOf(reg.remove('missing'))).toBe('NOT_FOUND');

    await reg.remove('clf');
    expect(await reg.list('clf')).toEqual([]);
    expect(await reg.names()).toEqual(['other']);
    expect(readdirSync(reg.root)).toEqual(['other']);
  });

  it('refuses names and tags that could escape the directory or shadow versions', async () => {
    const reg = new ModelRegistry(tempDir());
    for (const name of ['..', '.', '../x', 'a/b', 'a\\b', '', '.hidden', 'a b', 'x'.repeat(129), 'é']) {
      await expect(reg.save(name, new ReLU()), name).rejects.toThrow(ArgumentError);
      await expect(reg.load(name), name).rejects.toThrow(ArgumentError);
    }
    for (const tag of ['latest', '12', '../t', '']) await expect(reg.save('m', new ReLU(), { tags: [tag] }), tag).rejects.toThrow(ArgumentError);
    await expect(reg.save('m', new ReLU(), { metrics: { acc: NaN } })).rejects.toThrow(ArgumentError);
    await expect(reg.load('m', 0)).rejects.toThrow(ArgumentError);
    // Options objects are validated like every other (issue 12): unknown keys, wrong types.
    await expect(reg.save('m', new ReLU(), { tag: ['x'] } as never)).rejects.toThrow(/unknown option 'tag' \(did you mean 'tags'\?\)/);
    await expect(reg.save('m', new ReLU(), { tags: 'x' as never })).rejects.toThrow(/ModelRegistry.save: tags must be an array/);
    await expect(reg.save('m', new ReLU(), { metadata: 'abc' as never })).rejects.toThrow(/saveModel: metadata must be an object/);
    expect(() => new ModelRegistry(reg.root, { lockTimeout: 5 } as never)).toThrow(/did you mean 'lockTimeoutMs'/);
    expect(() => new ModelRegistry(reg.root, { staleLockMs: -1 })).toThrow(/staleLockMs must be a finite number ≥ 0, got -1/);
    expect(readdirSync(reg.root)).toEqual([]);
  });

  it('CHECKSUM_MISMATCH when one byte of a version file flips; BAD_INDEX for a tampered index', async () => {
    const reg = new ModelRegistry(tempDir());
    await reg.save('m', marked(1));
    const file = join(reg.root, 'm', 'v1.safetensors');
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] ^= 0x01;
    writeFileSync(file, bytes);
    expect(await codeOf(reg.load('m'))).toBe('CHECKSUM_MISMATCH');

    const index = join(reg.root, 'm', 'index.json');
    const text = readFileSync(index, 'utf8');
    for (const bad of [
      text.replace('"latest": 1', '"latest": 7'),
      text.replace('"version": 1', '"version": 1, "version": 2'),
      text.replace(/sha256:[0-9a-f]+/, 'sha256:xyz'),
      text.replace('"nextVersion": 2', '"nextVersion": 1'),
      '{}', 'not json',
    ]) {
      writeFileSync(index, bad);
      expect(['BAD_INDEX', 'DUPLICATE_KEY', 'BAD_JSON'], bad.slice(0, 60)).toContain(await codeOf(reg.load('m')));
    }
  });

  it('two async saves at once (and twenty) get distinct versions and a consistent index', async () => {
    const reg = new ModelRegistry(tempDir());
    const versions = await Promise.all(Array.from({ length: 20 }, (_, i) => reg.save('m', marked(i + 1), { tags: [`t${i % 3}`] })));
    expect([...versions].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const list = await reg.list('m');
    expect(list.map((v) => v.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Each tag is on exactly one version; every version loads with a valid checksum and its own weights.
    for (const t of ['t0', 't1', 't2']) expect(list.filter((v) => v.tags.includes(t)).length).toBe(1);
    for (let i = 0; i < 20; i++) {
      const { model, version } = await reg.load('m', versions[i]);
      expect(version).toBe(versions[i]);
      expect(markOf(model)).toBe(i + 1);
    }
    expect(readdirSync(join(reg.root, 'm')).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('two processes and this one saving at once do not corrupt it', async () => {
    const root = tempDir();
    const reg = new ModelRegistry(root);
    const run = promisify(execFile);
    const script = resolve(__dirname, 'registry-writer.ts');
    const child = (tag: string) => run(process.execPath, ['--import', 'tsx', script, root, 'shared', '4', tag], { cwd: resolve(__dirname, '../..') });
    const [a, b, own] = await Promise.all([child('a'), child('b'), Promise.all([1, 2, 3].map((i) => reg.save('shared', marked(1000 + i))))]);
    expect(a.stderr + b.stderr).toBe('');
    const list = await reg.list('shared');
    expect(list.map((v) => v.version)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(own.length).toBe(3);
    const pids = new Set(list.map((v) => v.metrics.pid).filter((p) => p !== undefined));
    expect(pids.size).toBe(2);
    for (const v of list) await reg.load('shared', v.version);
  }, 60_000);

  it('breaks a stale lock: a dead owner at once, an old one by age, a live fresh one never', async () => {
    const reg = new ModelRegistry(tempDir(), { lockTimeoutMs: 300, staleLockMs: 60_000 });
    await reg.save('m', marked(1));
    const lock = join(reg.root, 'm', '.lock');

    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname(), token: 'dead', createdAt: new Date().toISOString() }));
    expect(await reg.save('m', marked(2))).toBe(2);
    expect(existsSync(lock)).toBe(false);

    // Alive (our parent process) but on the same host and fresh: must wait, then time out.
    writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: hostname(), token: 'live', createdAt: new Date().toISOString() }));
    expect(await codeOf(reg.save('m', marked(3)))).toBe('LOCK_TIMEOUT');
    expect(readFileSync(lock, 'utf8')).toContain('live');
    // The same lock, an hour old: presumed abandoned.
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(lock, hourAgo, hourAgo);
    expect(await reg.save('m', marked(3))).toBe(3);

    // A lock from another host cannot be checked by pid: only age breaks it.
    writeFileSync(lock, JSON.stringify({ pid: 1, host: 'elsewhere', token: 'x' }));
    expect(await codeOf(reg.rollback('m', 1))).toBe('LOCK_TIMEOUT');
    utimesSync(lock, hourAgo, hourAgo);
    await reg.rollback('m', 1);
    // An empty (half-written) lock file is treated as held until it ages out.
    writeFileSync(lock, '');
    expect(await codeOf(reg.tag('m', 2, 'x'))).toBe('LOCK_TIMEOUT');
    utimesSync(lock, hourAgo, hourAgo);
    await reg.tag('m', 2, 'x');
    expect((await reg.list('m')).map((v) => [v.version, v.tags, v.latest])).toEqual([[1, [], true], [2, ['x'], false], [3, [], false]]);
    // Issue 12: an empty lock left by a crash between creating it and writing its owner blocks
    // writers only for the write grace (1 s), not until staleLockMs (60 s here).
    writeFileSync(lock, '');
    const twoSecondsAgo = new Date(Date.now() - 2000);
    utimesSync(lock, twoSecondsAgo, twoSecondsAgo);
    await reg.tag('m', 3, 'y');
    expect((await reg.list('m'))[2].tags).toEqual(['y']);
  });

  it('issue 12: a version listed in the index but missing on disk is NOT_FOUND, not a raw ENOENT', async () => {
    const reg = new ModelRegistry(tempDir());
    await reg.save('m', marked(1));
    await reg.save('m', marked(2));
    rmSync(join(reg.root, 'm', 'v1.safetensors'));
    const err = await reg.load('m', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TensorkitError);
    expect((err as TensorkitError).code).toBe('NOT_FOUND');
    expect((err as TensorkitError).message).toMatch(/version 1 is listed in the index but .*v1\.safetensors is missing/);
    expect(markOf((await reg.load('m')).model)).toBe(2);
  });

  it('issue 12: temporary files of crashed saves are removed by the next save once older than staleLockMs', async () => {
    const reg = new ModelRegistry(tempDir(), { staleLockMs: 5000 });
    await reg.save('m', marked(1));
    const dir = join(reg.root, 'm');
    const old = ['.upload-0b4e28ba-2fa1-11d2-883f-0016d3cca427.tmp', '..upload-0b4e28ba-2fa1-11d2-883f-0016d3cca427.tmp.1b4e28ba-2fa1-11d2-883f-0016d3cca427.tmp', '.index.json.2b4e28ba-2fa1-11d2-883f-0016d3cca427.tmp'];
    const fresh = '.upload-3b4e28ba-2fa1-11d2-883f-0016d3cca427.tmp';
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const f of old) {
      writeFileSync(join(dir, f), 'partial');
      utimesSync(join(dir, f), hourAgo, hourAgo);
    }
    writeFileSync(join(dir, fresh), 'another save in flight');
    await reg.save('m', marked(2));
    expect(readdirSync(dir).sort()).toEqual([fresh, 'index.json', 'v1.safetensors', 'v2.safetensors'].sort());
  });
});
