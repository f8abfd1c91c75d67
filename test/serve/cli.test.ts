import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/io/registry';
import { hashApiKey } from '../../src/serve/index';
import { direct, mlp } from './helpers';
import { OipClient } from './oip-client';
import { main } from '../../src/cli/main';

const BIN = resolve(__dirname, '../../src/cli/index.ts');
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tk-cli-'));
  await new ModelRegistry(join(root, 'reg')).save('m', mlp(5));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Runs the bin with tsx; resolves once it prints its listening line (or exits). */
function run(args: string[]): { child: ChildProcess; out: () => string; err: () => string; listening: Promise<number>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const listening = new Promise<number>((res, rej) => {
    child.stdout!.on('data', () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m !== null) res(Number(m[1]));
    });
    void exit.then((code) => rej(new Error(`exited with ${code} before listening: ${err}`)));
  });
  listening.catch(() => undefined);
  return { child, out: () => out, err: () => err, listening, exit };
}

const req = { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] };

describe('tensorkit serve (the bin)', () => {
  it('serves a registry on port 0 with API keys, and drains and exits 0 on SIGTERM', async () => {
    const KEY = 'cli-test-key-0123456789';
    const keys = join(root, 'keys.json');
    await writeFile(keys, JSON.stringify([{ id: 'ci', sha256: hashApiKey(KEY), scopes: ['infer:*'] }]));
    const p = run(['serve', '--registry', join(root, 'reg'), '--port', '0', '--host', '127.0.0.1', '--keys', keys, '--max-batch-size', '8']);
    const port = await p.listening;
    const client = new OipClient(`http://127.0.0.1:${port}`, { authorization: `Bearer ${KEY}` });
    const res = await client.infer('m', req);
    expect(res.model_version).toBe('1');
    expect(res.outputs[0].data).toEqual(direct(mlp(5), [[1, 2, 3]]));
    expect((await new OipClient(`http://127.0.0.1:${port}`).raw('POST', 'v2/models/m/infer', req)).status).toBe(401);
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    expect(p.out()).toMatch(/SIGTERM: draining\n.*shut down/);
  });

  it('runs N workers through node:cluster sharing one port, and stops them all on SIGTERM', async () => {
    const p = run(['serve', '--registry', join(root, 'reg'), '--port', '0', '--host', '127.0.0.1', '--workers', '2']);
    const port = await p.listening;
    expect(p.out()).toMatch(/\(2 workers\)/);
    const client = new OipClient(`http://127.0.0.1:${port}`);
    const rs = await Promise.all(Array.from({ length: 8 }, () => client.infer('m', req)));
    expect(rs.every((r) => r.model_version === '1')).toBe(true);
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    expect(p.out()).toMatch(/draining 2 workers[\s\S]*shut down/);
  });

  it('prints argument errors as one line without a stack trace and exits 2', async () => {
    const p = run(['serve', '--port', 'abc', '--registry', root]);
    expect(await p.exit).toBe(2);
    expect(p.err()).toBe('tensorkit serve: --port must be an integer in [0, 65535], got "abc"\n');
    // The same path in process (the bin only calls main), for the other mistakes.
    await writeFile(join(root, 'private.jwk'), JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'AAAA', d: 'BBBB' }));
    for (const [args, msg] of [
      [['serve', '--registry', root, '--verify-key', join(root, 'nope.jwk')], /^tensorkit serve: --verify-key .*nope.jwk cannot be read \(ENOENT\)$/],
      [['serve', '--registry', root, '--verify-key', join(root, 'private.jwk')], /holds a private key; give the public key only$/],
      [['serve', '--registry'], /^tensorkit serve: --registry needs a value$/],
      [['serve', '--port', '1'], /^tensorkit serve: --registry DIR is required/],
      [['serve', '--registry', root, '--workers', '0'], /^tensorkit serve: --workers must be an integer in \[1, 256\], got "0"$/],
      [['serve', '--registry', root, '--keys', join(root, 'nope.json')], /^tensorkit serve: --keys .*nope.json cannot be read \(ENOENT\)$/],
      [['serve', '--registry', root, 'extra'], /^tensorkit serve: unexpected argument "extra"/],
      [['frobnicate'], /^tensorkit: unknown command "frobnicate"/],
    ] as const) {
      const err: string[] = [];
      expect(await main([...args], { out: () => undefined, err: (l) => err.push(l) }), args.join(' ')).toBe(2);
      expect(err.join('\n'), args.join(' ')).toMatch(msg);
    }
  });
});
