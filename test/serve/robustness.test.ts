import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Tensor, ShapeError } from '../../src/tensor/index';
import { mlp, start } from './helpers';

/** Sends raw bytes over one TCP connection and resolves with everything the server wrote before closing. */
function rawExchange(port: number, chunks: (string | Buffer)[], { gapMs = 0, keepOpenMs = 0 } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let out = '';
    sock.on('data', (d) => (out += d.toString('utf8')));
    sock.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? resolve(out) : reject(e)));
    sock.on('close', () => resolve(out));
    sock.on('connect', async () => {
      for (const c of chunks) {
        if (sock.destroyed) break;
        sock.write(c);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
      if (keepOpenMs > 0) await new Promise((r) => setTimeout(r, keepOpenMs));
      if (!sock.destroyed) sock.end();
    });
  });
}

const statusOf = (http: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(http)?.[1] ?? 0);
const bodyOf = (http: string): unknown => JSON.parse(http.slice(http.indexOf('\r\n\r\n') + 4));

class Throws {
  constructor(private readonly kind: 'typed' | 'bug') {}
  forward(x: Tensor): Tensor {
    if (x.data[0] === 42) {
      if (this.kind === 'typed') throw new ShapeError('Custom.forward: x [1, 2]: the value 42 is not allowed here');
      throw new TypeError('Cannot read properties of undefined (reading secretInternalThing)');
    }
    return x;
  }
}
const SIG = { inputs: [{ name: 'x', shape: [-1, 2] }] };

describe('bad input never crashes the server nor returns a stack trace', () => {
  it('answers malformed JSON, a duplicate key and a __proto__ key with 400', async () => {
    const { client } = await start({ models: { mlp: mlp() } });
    for (const [text, msg] of [
      ['{"inputs": [', /malformed JSON/],
      ['{"inputs": [], "inputs": []}', /malformed JSON: .*duplicate|DUPLICATE|repeated/i],
      ['{"__proto__": {"x": 1}, "inputs": []}', /malformed JSON: .*__proto__/],
      ['', /malformed JSON/],
      ['nul', /malformed JSON/],
    ] as const) {
      const r = await client.raw('POST', 'v2/models/mlp/infer', text);
      expect(r.status, text).toBe(400);
      expect((r.body as { error: string }).error, text).toMatch(msg);
      expect(r.text).not.toMatch(/\n\s+at /);
    }
    expect(await client.serverLive()).toBe(true);
  });

  it('refuses a body over the limit with 413: by content-length at once, and while a chunked body streams', async () => {
    const { client, port } = await start({ models: { mlp: mlp() }, limits: { maxBodyBytes: 1000 } });
    const big = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }], pad: 'x'.repeat(2000) });
    const r = await client.raw('POST', 'v2/models/mlp/infer', big);
    expect(r.status).toBe(413);
    expect((r.body as { error: string }).error).toMatch(/over the limit of 1000 bytes/);
    // Chunked, no content-length: 1 MB in 1 KB chunks; the answer comes after the limit, not the end.
    const head = 'POST /v2/models/mlp/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    const chunk = `400\r\n${'x'.repeat(1024)}\r\n`;
    const res = await rawExchange(port, [head, ...Array.from({ length: 1000 }, () => chunk), '0\r\n\r\n']);
    expect(statusOf(res)).toBe(413);
    expect(bodyOf(res)).toEqual({ error: 'request body is over the limit of 1000 bytes' });
    expect(await client.serverLive()).toBe(true);
  });

  it('answers a client too slow to send its body with 408', async () => {
    const { client, port } = await start({ models: { mlp: mlp() }, limits: { bodyTimeoutMs: 150 } });
    const head = 'POST /v2/models/mlp/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"inputs":';
    const t0 = Date.now();
    const res = await rawExchange(port, [head], { keepOpenMs: 2000 });
    expect(statusOf(res)).toBe(408);
    expect(bodyOf(res)).toEqual({ error: 'the request body did not arrive within 150 ms' });
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(await client.serverLive()).toBe(true);
  });

  it('answers a malformed HTTP request with 400 JSON and keeps serving', async () => {
    const { client, port } = await start({ models: { mlp: mlp() } });
    const res = await rawExchange(port, ['NOT HTTP AT ALL\r\n\r\n']);
    expect(statusOf(res)).toBe(400);
    expect(bodyOf(res)).toEqual({ error: 'malformed HTTP request' });
    const bad = await client.raw('GET', 'v2/models/%E0%A4%A');
    expect(bad.status).toBe(400);
    expect(await client.serverLive()).toBe(true);
  });

  it('answers a model that throws a typed error with 400 and its message, and a bug with 500 and no details', async () => {
    const logged: string[] = [];
    const { client } = await start({ models: { typed: new Throws('typed'), bug: new Throws('bug') }, signatures: { typed: SIG, bug: SIG }, log: (m) => logged.push(m) });
    const body = { inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [42, 0] }] };
    const t = await client.raw('POST', 'v2/models/typed/infer', body);
    expect(t.status).toBe(400);
    expect(t.body).toEqual({ error: 'model "typed" version 1 cannot compute this input: Custom.forward: x [1, 2]: the value 42 is not allowed here' });
    const b = await client.raw('POST', 'v2/models/bug/infer', body);
    expect(b.status).toBe(500);
    expect(b.body).toEqual({ error: 'model "bug" version 1 failed with an internal error' });
    expect(b.text).not.toMatch(/secretInternalThing|\bat\b.*\.ts/);
    // The stack goes to the log, not the client.
    expect(logged.some((l) => l.includes('secretInternalThing') && l.includes('\n'))).toBe(true);
    const ok = await client.infer('bug', { inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] });
    expect(ok.outputs[0].data).toEqual([1, 2]);
  });

  it('survives a burst of assorted garbage and still answers correctly', async () => {
    const { client } = await start({ models: { mlp: mlp() }, limits: { maxBodyBytes: 4096 } });
    const bodies: unknown[] = ['{', '[]', '{"inputs": 5}', '"x"', JSON.stringify({ inputs: [{ name: 'input', shape: [1e12, 3], datatype: 'FP32', data: [] }] }),
      JSON.stringify({ inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: { a: 1 } }] }), 'x'.repeat(5000)];
    const rs = await Promise.all(bodies.map((b) => client.raw('POST', 'v2/models/mlp/infer', b as string)));
    for (const r of rs) {
      expect(r.status >= 400 && r.status < 500, r.text).toBe(true);
      expect(typeof (r.body as { error: unknown }).error).toBe('string');
    }
    const ok = await client.infer('mlp', { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] });
    expect(ok.outputs[0].shape).toEqual([1, 2]);
  });
});
