import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/serve/index';
import { ArgumentError } from '../../src/tensor/index';
import { expectThrows } from '../helpers/check';
import { mlp } from './helpers';

const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] });

describe('server lifecycle', () => {
  it('listen returns the bound address; close drains the request in flight, then refuses connections', async () => {
    const server = createServer({ models: { m: mlp() }, batching: { maxBatchSize: 64, maxDelayMs: 5 }, log: () => undefined });
    const addr = await server.listen(0, '127.0.0.1');
    expect(addr.address).toBe('127.0.0.1');
    expect(addr.port).toBeGreaterThan(0);
    // A request whose body is half sent when close() is called: it must still be answered.
    const sock = connect(addr.port, '127.0.0.1');
    let answer = '';
    sock.on('data', (d) => (answer += d.toString('utf8')));
    const ended = new Promise((r) => sock.on('close', r));
    await new Promise((r) => sock.on('connect', r));
    sock.write(`POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false);
    await expect(fetch(`http://127.0.0.1:${addr.port}/v2/health/live`)).rejects.toThrow();
    sock.write(body.slice(20));
    await closing;
    await ended;
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(answer).toContain('"model_version":"1"');
    expect(Date.now() - t0).toBeLessThan(5000);
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
