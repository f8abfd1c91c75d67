import { describe, expect, it } from 'vitest';
import { createServer, hashApiKey } from '../../src/serve/index';
import { KeyStore } from '../../src/serve/auth';
import { ArgumentError } from '../../src/tensor/index';
import { expectThrows } from '../helpers/check';
import { mlp, start } from './helpers';
import { OipClient, OipError } from './oip-client';

const ALICE = 'alice-key-0123456789abcdef';
const BOB = 'bob-key-0123456789abcdef';
const ROOT = 'root-key-0123456789abcdef';
const keys = [
  { id: 'alice', key: ALICE, scopes: ['infer:a'] },
  { id: 'bob', sha256: `sha256:${hashApiKey(BOB)}`, scopes: ['infer:*', 'metrics'], rate: 5, burst: 3 },
  { id: 'root', sha256: hashApiKey(ROOT), scopes: ['admin'] },
];
const req = { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] };

describe('API keys with scopes', () => {
  it('answers 401 without a key or with an unknown one, leaving the health probes open', async () => {
    const { client, base } = await start({ models: { a: mlp(1) }, auth: { keys } });
    expect(await client.serverLive()).toBe(true);
    expect(await client.serverReady()).toBe(true);
    const none = await client.infer('a', req).catch((e: OipError) => e);
    expect(none).toMatchObject({ status: 401 });
    expect((none as OipError).headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await new OipClient(base, { authorization: `Bearer ${ALICE}x` }).infer('a', req).catch((e: OipError) => e);
    expect(wrong).toMatchObject({ status: 401, body: { error: 'the API key is not valid' } });
    expect((await client.raw('GET', 'v2')).status).toBe(401);
    // An unknown model is 401 too: without a key nothing tells which names exist.
    expect((await client.raw('GET', 'v2/models/secret-model')).status).toBe(401);
    expect((await client.raw('GET', 'metrics')).status).toBe(401);
  });

  it('answers 403 out of scope: infer on another model, admin and metrics without those scopes', async () => {
    const { base } = await start({ models: { a: mlp(1), b: mlp(2) }, auth: { keys } });
    const alice = new OipClient(base, { authorization: `Bearer ${ALICE}` });
    expect((await alice.infer('a', req)).model_name).toBe('a');
    expect((await alice.modelMetadata('a')).name).toBe('a');
    await expect(alice.infer('b', req)).rejects.toMatchObject({ status: 403, body: { error: 'key "alice" does not have scope infer:b' } });
    await expect(alice.repositoryIndex()).rejects.toMatchObject({ status: 403 });
    expect((await alice.raw('GET', 'metrics')).status).toBe(403);
    const bob = new OipClient(base, { 'x-api-key': BOB });
    expect((await bob.infer('b', req)).model_name).toBe('b');
    expect((await bob.raw('GET', 'metrics')).status).toBe(200);
    await expect(bob.unload('a')).rejects.toMatchObject({ status: 403 });
    const root = new OipClient(base, { authorization: `Bearer ${ROOT}` });
    expect((await root.repositoryIndex()).length).toBe(2);
    expect((await root.infer('a', req)).model_name).toBe('a');
  });

  it('rate-limits per key with a token bucket: 429 with Retry-After once the burst is spent', async () => {
    const { base } = await start({ models: { a: mlp(1) }, auth: { keys } });
    const bob = new OipClient(base, { 'x-api-key': BOB });
    const alice = new OipClient(base, { authorization: `Bearer ${ALICE}` });
    // Eight at once against a burst of 3 (refilled at 5/s: at most one more token while they run).
    const rs = await Promise.all(Array.from({ length: 8 }, () => bob.raw('POST', 'v2/models/a/infer', req)));
    const ok = rs.filter((r) => r.status === 200).length;
    expect(ok).toBeGreaterThanOrEqual(3);
    expect(ok).toBeLessThanOrEqual(4);
    const limited = rs.find((r) => r.status === 429)!;
    expect(rs.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((limited.body as { error: string }).error).toMatch(/over its rate limit of 5 requests\/s/);
    // Another key has its own bucket.
    expect((await alice.raw('POST', 'v2/models/a/infer', req)).status).toBe(200);
    // 5 per second: after 250 ms one token is back.
    await new Promise((r) => setTimeout(r, 250));
    expect((await bob.raw('POST', 'v2/models/a/infer', req)).status).toBe(200);
  });

  it('stores only digests and refuses malformed keys at construction', () => {
    const store = new KeyStore({ keys: [{ id: 'k', key: ALICE, scopes: ['admin'] }] });
    expect(JSON.stringify(store)).not.toContain(ALICE);
    expect(store.authorize(ALICE, { kind: 'admin' })).toBe('k');
    expectThrows(() => createServer({ models: { a: mlp() }, auth: { keys: [{ id: 'k', key: 'short', scopes: ['admin'] }] } }), ArgumentError, 'at least 16 characters');
    expectThrows(() => createServer({ models: { a: mlp() }, auth: { keys: [{ id: 'k', sha256: 'abc', scopes: ['admin'] }] } }), ArgumentError, '64 hex digits');
    expectThrows(() => createServer({ models: { a: mlp() }, auth: { keys: [{ id: 'k', key: ALICE, scopes: ['root'] }] } }), ArgumentError, 'scopes must be');
    expectThrows(() => createServer({ models: { a: mlp() }, auth: { keys: [{ id: 'k', key: ALICE, sha256: hashApiKey(ALICE), scopes: [] }] } }), ArgumentError, 'exactly one of key and sha256');
  });
});
