import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArgumentError, AuditLog, Generator, IntegrityError, Linear, generateSigningKeys, verifyAuditLog } from '../../src/index';
import { ModelRegistry } from '../../src/io/node';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'tk-reg-trust-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });
const net = (seed: number) => new Linear(3, 2, { rng: new Generator(seed) });

describe('ModelRegistry with an audit log and signatures', () => {
  it('records publish, tag, rollback and delete in the audit log, chained', async () => {
    const log = new AuditLog();
    const reg = new ModelRegistry(dir, { audit: log, actor: 'ci' });
    await reg.save('m', net(1), { tags: ['a'] });
    await reg.save('m', net(2));
    await reg.tag('m', 1, 'prod');
    await reg.rollback('m', 1);
    await reg.remove('m', 2);
    await reg.remove('m');
    const recs = log.lines.map((l) => JSON.parse(l));
    expect(recs.map((r) => [r.actor, r.action, r.details.version])).toEqual([
      ['ci', 'publish', 1], ['ci', 'publish', 2], ['ci', 'tag', 1], ['ci', 'rollback', 1], ['ci', 'delete', 2], ['ci', 'delete', null],
    ]);
    expect(recs[0].details.checksum).toMatch(/^sha256:/);
    expect(recs[3].details.previous).toBe(2);
    expect((await verifyAuditLog(log.lines)).valid).toBe(true);
  });

  it('signs each version and refuses, with a verify key, an unsigned, re-signed or altered version', async () => {
    const keys = await generateSigningKeys();
    const signer = new ModelRegistry(dir, { signingKey: keys.privateKey });
    await signer.save('m', net(1));
    const sig = await readFile(join(dir, 'm', 'v1.sig'));
    expect(sig.length).toBe(64);
    const reader = new ModelRegistry(dir, { verifyKey: keys.publicKey });
    const { version } = await reader.load('m');
    expect(version).toBe(1);
    // A version saved without the signing key has no signature.
    await new ModelRegistry(dir).save('m', net(2));
    await expect(reader.load('m', 2)).rejects.toThrow(/has no signature/);
    // A signature from another key does not verify.
    const other = await generateSigningKeys();
    await new ModelRegistry(dir, { signingKey: other.privateKey }).save('m', net(3));
    await expect(reader.load('m', 3)).rejects.toBeInstanceOf(IntegrityError);
    // A damaged signature does not verify either (the checksum still matches the file).
    const bad = Uint8Array.from(sig);
    bad[0] ^= 1;
    await writeFile(join(dir, 'm', 'v1.sig'), bad);
    await expect(reader.load('m', 1)).rejects.toThrow(/does not verify/);
    // Without a verify key, signatures are not consulted.
    expect((await new ModelRegistry(dir).load('m', 1)).version).toBe(1);
    await new ModelRegistry(dir).remove('m', 1);
    await expect(readFile(join(dir, 'm', 'v1.sig'))).rejects.toThrow();
  });

  it('bad trust options are ArgumentErrors', () => {
    expect(() => new ModelRegistry(dir, { audit: {} as never })).toThrow(ArgumentError);
    expect(() => new ModelRegistry(dir, { verifyKey: 'pem' as never })).toThrow(/verifyKey must be a JSON Web Key or a CryptoKey/);
  });
});
