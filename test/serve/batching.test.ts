import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Generator, ShapeError, Tensor, getBackend } from '../../src/tensor/index';
import { expectClose } from '../helpers/check';
import { direct, mlp, start } from './helpers';

/** The count and sum of the batch-size histogram series of a model, from the metrics text. */
function batchStats(text: string, model: string): { count: number; sum: number } {
  const num = (re: RegExp): number => Number(re.exec(text)?.[1] ?? NaN);
  return {
    count: num(new RegExp(`tensorkit_batch_size_count\\{model="${model}",version="1"\\} (\\d+)`)),
    sum: num(new RegExp(`tensorkit_batch_size_sum\\{model="${model}",version="1"\\} (\\d+)`)),
  };
}

/**
 * Sends every body but its last byte on its own connection, waits until all have arrived, then
 * sends the last bytes: the server sees every request arriving before the first completes, as under
 * real concurrent load (a client in this process would otherwise trickle them in one per tick).
 */
async function together(port: number, model: string, bodies: object[]): Promise<{ status: number; body: any }[]> {
  const texts = bodies.map((b) => JSON.stringify(b));
  const reqs = texts.map((t) => {
    const r = request({ host: '127.0.0.1', port, path: `/v2/models/${model}/infer`, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(t) } });
    const done = new Promise<{ status: number; body: any }>((resolve, reject) => {
      r.on('response', (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(data) }));
      });
      r.on('error', reject);
    });
    r.write(t.slice(0, -1));
    return { r, done, last: t.slice(-1) };
  });
  await new Promise((res) => setTimeout(res, 150));
  for (const x of reqs) x.r.end(x.last);
  return Promise.all(reqs.map((x) => x.done));
}

describe('dynamic micro-batching', () => {
  it('stacks concurrent requests into fewer forward passes with results identical to unbatched', async () => {
    const model = mlp(3, 8, 16, 5);
    const batched = await start({ models: { m: model }, batching: { maxBatchSize: 64, maxDelayMs: 30 } });
    const plain = await start({ models: { m: model } });
    const rng = new Generator(7);
    // 40 requests of 1–3 rows each: 80 rows at most, so at least two passes, and fewer than 40.
    const requests = Array.from({ length: 40 }, (_, i) => {
      const rows = Array.from({ length: 1 + (i % 3) }, () => Array.from({ length: 8 }, () => rng.normal()));
      return { id: `r${i}`, rows, body: { id: `r${i}`, inputs: [{ name: 'input', shape: [rows.length, 8], datatype: 'FP32', data: rows.flat() }] } };
    });
    const a = (await together(batched.port, 'm', requests.map((r) => r.body))).map((x) => x.body);
    const b = await Promise.all(requests.map((r) => plain.client.infer('m', r.body)));
    for (let i = 0; i < requests.length; i++) {
      expect(a[i].id).toBe(requests[i].id);
      expect(a[i].outputs[0].shape).toEqual([requests[i].rows.length, 5]);
      // The unbatched server computes what the model computes on the request alone.
      expect(b[i].outputs[0].data).toEqual(direct(model, requests[i].rows));
      // Batched: bit-identical on the js backend, whose GEMM sums each row the same way whatever
      // the batch; the wasm backend runs a request of fewer than 4 rows through the scalar GEMM and
      // a stacked pass through its SIMD kernel, whose summation order differs (float32 rounding).
      if (getBackend() === 'js') expect(a[i].outputs[0].data).toEqual(b[i].outputs[0].data);
      else expectClose(a[i].outputs[0].data as number[], b[i].outputs[0].data as number[], 1e-6, 1e-5);
    }
    const rows = requests.reduce((n, r) => n + r.rows.length, 0);
    const sb = batchStats(batched.server.metricsText(), 'm');
    expect(sb.sum).toBe(rows);
    // 80 rows in passes of at most 64: two passes, or three if one filled up early.
    expect(sb.count).toBeGreaterThanOrEqual(Math.ceil(rows / 64));
    expect(sb.count).toBeLessThanOrEqual(3);
    const sp = batchStats(plain.server.metricsText(), 'm');
    expect(sp).toEqual({ count: requests.length, sum: rows });
  });

  it('runs a request larger than maxBatchSize alone, and isolates a request the stacked pass cannot take', async () => {
    const model = mlp(4);
    const { client, server, port } = await start({ models: { m: model }, batching: { maxBatchSize: 4, maxDelayMs: 20 } });
    const rows = Array.from({ length: 6 }, (_, i) => [i, -i, 0.5 * i]);
    const big = await client.infer('m', { inputs: [{ name: 'input', shape: [6, 3], datatype: 'FP32', data: rows.flat() }] });
    expect(big.outputs[0].data).toEqual(direct(model, rows));
    const small = await together(port, 'm', [0, 1, 2].map((i) => ({ inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: rows[i] }] })));
    small.forEach((r, i) => expect(r.body.outputs[0].data).toEqual(direct(model, [rows[i]])));
    expect(batchStats(server.metricsText(), 'm')).toEqual({ count: 2, sum: 9 });
  });

  it('isolates a request the stacked pass cannot take: it alone fails, the others get their answers', async () => {
    const picky = { forward(x: Tensor): Tensor {
      for (let i = 0; i < x.size; i++) if (x.data[i] === 42) throw new ShapeError('Picky.forward: 42 is refused');
      return x;
    } };
    const { port, server } = await start({ models: { p: picky }, signatures: { p: { inputs: [{ name: 'x', shape: [-1, 1] }] } }, batching: { maxBatchSize: 8, maxDelayMs: 20 } });
    const rs = await together(port, 'p', [1, 42, 3].map((v) => ({ inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [v] }] })));
    expect(rs.map((r) => r.status)).toEqual([200, 400, 200]);
    expect((rs[0].body as { outputs: { data: number[] }[] }).outputs[0].data).toEqual([1]);
    expect((rs[1].body as { error: string }).error).toMatch(/42 is refused/);
    expect((rs[2].body as { outputs: { data: number[] }[] }).outputs[0].data).toEqual([3]);
    // The stacked pass of three failed; each then ran alone (the failed one records no pass).
    expect(batchStats(server.metricsText(), 'p')).toEqual({ count: 2, sum: 2 });
  });

  it('does not make a lone request wait for maxDelayMs', async () => {
    const { client } = await start({ models: { m: mlp() }, batching: { maxBatchSize: 64, maxDelayMs: 2000 } });
    const t0 = performance.now();
    await client.infer('m', { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] });
    expect(performance.now() - t0).toBeLessThan(1500);
  });
});
