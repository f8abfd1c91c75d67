import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/io/registry';
import { generateSigningKeys } from '../../src/io/security';
import { Flatten, Linear, Sequential } from '../../src/nn/index';
import { Generator, Tensor } from '../../src/tensor/index';
import { direct, mlp, start } from './helpers';
import { OipError } from './oip-client';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tk-serve-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const row = [0.3, -1.2, 2];
const req = { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: row }] };

/** Flips one byte near the end of a version file (inside the weights), so its SHA-256 no longer matches. */
async function corrupt(file: string): Promise<void> {
  const bytes = await readFile(file);
  bytes[bytes.length - 2] ^= 0xff;
  await writeFile(file, bytes);
}

describe('serving versions from a ModelRegistry', () => {
  it("serves 'latest' by default and any version by URL, each response naming its version", async () => {
    const reg = new ModelRegistry(root);
    const m1 = mlp(1), m2 = mlp(2);
    await reg.save('m', m1);
    await reg.save('m', m2);
    const { client } = await start({ registry: root, pollMs: 0 });
    expect((await client.modelMetadata('m')).versions).toEqual(['1', '2']);
    const def = await client.infer('m', req);
    expect(def.model_version).toBe('2');
    expect(def.outputs[0].data).toEqual(direct(m2, [row]));
    const v1 = await client.infer('m', req, '1');
    expect(v1.model_version).toBe('1');
    expect(v1.outputs[0].data).toEqual(direct(m1, [row]));
    await expect(client.infer('m', req, '9')).rejects.toMatchObject({ status: 404 });
    await expect(client.infer('m', req, 'x')).rejects.toMatchObject({ status: 404 });
  });

  it('promotes and rolls back the default while serving, persisting it as the registry latest, with no failed or mixed request', async () => {
    const reg = new ModelRegistry(root);
    const m1 = mlp(1), m2 = mlp(2);
    await reg.save('m', m1);
    await reg.save('m', m2);
    const { client } = await start({ registry: reg, pollMs: 0, batching: { maxBatchSize: 8, maxDelayMs: 1 } });
    const want: Record<string, unknown> = { '1': direct(m1, [row]), '2': direct(m2, [row]) };
    const seen = new Set<string>();
    let stop = false;
    const load = async (): Promise<number> => {
      let n = 0;
      while (!stop) {
        const r = await client.infer('m', req);
        seen.add(r.model_version!);
        expect(r.outputs[0].data).toEqual(want[r.model_version!]);
        n++;
      }
      return n;
    };
    const clients = [load(), load(), load(), load()];
    for (let i = 0; i < 3; i++) {
      const p = await client.raw('POST', 'v2/repository/models/m/promote', { version: '1' });
      expect(p.status, p.text).toBe(200);
      expect(p.body).toEqual({ name: 'm', version: '1', previous: '2' });
      await new Promise((r) => setTimeout(r, 30));
      const b = await client.raw('POST', 'v2/repository/models/m/rollback', {});
      expect(b.status, b.text).toBe(200);
      expect(b.body).toEqual({ name: 'm', version: '2', previous: '1' });
      await new Promise((r) => setTimeout(r, 30));
    }
    await client.raw('POST', 'v2/repository/models/m/promote', { version: '1' });
    stop = true;
    const counts = await Promise.all(clients);
    expect(counts.every((n) => n > 0)).toBe(true);
    expect([...seen].sort()).toEqual(['1', '2']);
    expect((await reg.list('m')).find((v) => v.latest)?.version).toBe(1);
    expect((await client.infer('m', req)).model_version).toBe('1');
  });

  it('never serves a version whose file fails its checksum: promote is refused, the default stays, the index says why', async () => {
    const reg = new ModelRegistry(root);
    await reg.save('m', mlp(1));
    await reg.save('m', mlp(2));
    await reg.rollback('m', 1);
    await corrupt(join(root, 'm', 'v2.safetensors'));
    const { client } = await start({ registry: reg, pollMs: 0 });
    const p = await client.raw('POST', 'v2/repository/models/m/promote', { version: '2' });
    expect(p.status).toBe(409);
    expect((p.body as { error: string }).error).toMatch(/checksum .* the index records/);
    expect((p.body as { error: string }).error).toMatch(/the default stays 1/);
    const direct2 = await client.infer('m', req, '2').catch((e: OipError) => e);
    expect(direct2).toMatchObject({ status: 503 });
    expect((direct2 as OipError).body.error).toMatch(/cannot be served: .*checksum/);
    expect((await client.infer('m', req)).model_version).toBe('1');
    const idx = await client.repositoryIndex();
    expect(idx).toEqual([
      { name: 'm', version: '1', state: 'READY', reason: 'default' },
      { name: 'm', version: '2', state: 'UNAVAILABLE', reason: expect.stringMatching(/checksum/) },
    ]);
    expect((await reg.list('m')).find((v) => v.latest)?.version).toBe(1);
  });

  it('is not ready when the latest version fails its checksum at start, and never serves it', async () => {
    const reg = new ModelRegistry(root);
    await reg.save('m', mlp(1));
    await corrupt(join(root, 'm', 'v1.safetensors'));
    const { client } = await start({ registry: reg, pollMs: 0 });
    expect(await client.serverLive()).toBe(true);
    expect(await client.serverReady()).toBe(false);
    expect(await client.modelReady('m')).toBe(false);
    const e = await client.infer('m', req).catch((x: OipError) => x);
    expect(e).toMatchObject({ status: 503 });
    expect((e as OipError).body.error).toMatch(/no servable version: version 1: .*checksum/);
  });

  it('with a registry that requires signatures, serves signed versions and never an unsigned or re-signed one', async () => {
    const keys = await generateSigningKeys();
    await new ModelRegistry(root, { signingKey: keys.privateKey }).save('m', mlp(1));
    await new ModelRegistry(root).save('m', mlp(2)); // unsigned, and the latest
    const { client } = await start({ registry: new ModelRegistry(root, { verifyKey: keys.publicKey }), pollMs: 0 });
    const e = await client.infer('m', req).catch((x: OipError) => x);
    expect(e).toMatchObject({ status: 503 });
    expect((e as OipError).body.error).toMatch(/has no signature/);
    const ok = await client.infer('m', req, '1');
    expect(ok.model_version).toBe('1');
    expect(ok.outputs[0].data).toEqual(direct(mlp(1), [row]));
  });

  it("follows a new 'latest' saved by another process (polling the index)", async () => {
    const reg = new ModelRegistry(root);
    await reg.save('m', mlp(1));
    const { client } = await start({ registry: root, pollMs: 20 });
    expect((await client.infer('m', req)).model_version).toBe('1');
    await reg.save('m', mlp(3));
    const deadline = Date.now() + 3000;
    let v = '1';
    while (v !== '2' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      v = (await client.infer('m', req)).model_version!;
    }
    expect(v).toBe('2');
  });

  it("reads a signature from the model file's metadata, and reports a model whose signature is unknown as not ready", async () => {
    const reg = new ModelRegistry(root);
    const net = new Sequential(new Flatten(), new Linear(12, 2, { rng: new Generator(3) }));
    const signature = JSON.stringify({ inputs: [{ name: 'image', shape: [-1, 3, 4] }], outputs: [{ name: 'logits' }] });
    await reg.save('img', net, { metadata: { signature } });
    const { client } = await start({ registry: root, pollMs: 0, models: { opaque: { forward: (x: Tensor) => x } } });
    const meta = await client.modelMetadata('img');
    expect(meta.inputs).toEqual([{ name: 'image', datatype: 'FP32', shape: [-1, 3, 4] }]);
    expect(meta.outputs).toEqual([{ name: 'logits', datatype: 'FP32', shape: [-1, 2] }]);
    const x = Array.from({ length: 12 }, (_, i) => i / 10);
    const r = await client.infer('img', { inputs: [{ name: 'image', shape: [1, 3, 4], datatype: 'FP32', data: x }] });
    expect(r.outputs[0].data).toEqual(Array.from(net.eval().forward(new Tensor(Float32Array.from(x), [1, 3, 4])).data));
    expect(await client.serverReady()).toBe(false);
    expect(await client.modelReady('opaque')).toBe(false);
    const e = await client.infer('opaque', req).catch((err: OipError) => err);
    expect(e).toMatchObject({ status: 503 });
    expect((e as OipError).body.error).toMatch(/input signature cannot be read off this model; declare it/);
  });
});
