import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/serve/index';
import { ArgumentError } from '../../src/tensor/index';
import { expectThrows } from '../helpers/check';
import { mlp } from './helpers';

const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] });

describe('server lifecycle', () => {
  it('listen returns the bound address; close drains the request in flight, then refuses connections', async () => {
    // A 300 ms batching window keeps the request in flight while close() is called.
    const server = createServer({ models: { m: mlp() }, batching: { maxBatchSize: 64, maxDelayMs: 300 }, log: () => undefined });
    const addr = await server.listen(0, '127.0.0.1');
    expect(addr.address).toBe('127.0.0.1');
    expect(addr.port).toBeGreaterThan(0);
    const url = `http://127.0.0.1:${addr.port}/v2/models/m/infer`;
    const inFlight = fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    const closed = server.close();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { model_version: string }).model_version).toBe('1');
    await closed;
    expect(Date.now() - t0).toBeLessThan(5000);
    await expect(fetch(url, { method: 'POST', body })).rejects.toThrow();
  });

  it('refuses bad options with typed errors', () => {
    expectThrows(() => createServer({} as never), ArgumentError, 'give registry');
    expectThrows(() => createServer({ models: { m: mlp() }, batching: { maxBatchSize: 0 } }), ArgumentError, 'maxBatchSize must be');
    expectThrows(() => createServer({ models: { m: mlp() }, limit: {} } as never), ArgumentError, "unknown option 'limit'");
    expectThrows(() => createServer({ models: { m: {} } } as never), ArgumentError, 'models.m must be a model');
    expectThrows(() => createServer({ models: { m: mlp() }, monitor: { m: {} } } as never), ArgumentError, 'monitor.m must have observe and report');
    expectThrows(() => createServer({ models: { m: mlp() }, signatures: { m: { inputs: [{ name: 'x', shape: [3] }] } } }), ArgumentError, 'shape[0] must be -1');
  });
});
