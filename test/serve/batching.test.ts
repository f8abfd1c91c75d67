import { describe, expect, it } from 'vitest';
import { Generator, ShapeError, Tensor } from '../../src/tensor/index';
import { direct, mlp, start } from './helpers';

/** The count and sum of the batch-size histogram series of a model, from the metrics text. */
function batchStats(text: string, model: string): { count: number; sum: number } {
  const num = (re: RegExp): number => Number(re.exec(text)?.[1] ?? NaN);
  return {
    count: num(new RegExp(`tensorkit_batch_size_count\\{model="${model}",version="1"\\} (\\d+)`)),
    sum: num(new RegExp(`tensorkit_batch_size_sum\\{model="${model}",version="1"\\} (\\d+)`)),
  };
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
    const [a, b] = await Promise.all([
      Promise.all(requests.map((r) => batched.client.infer('m', r.body))),
      Promise.all(requests.map((r) => plain.client.infer('m', r.body))),
    ]);
    for (let i = 0; i < requests.length; i++) {
      expect(a[i].id).toBe(requests[i].id);
      expect(a[i].outputs[0].shape).toEqual([requests[i].rows.length, 5]);
      // Bit-identical to the unbatched server and to the model run on the request alone.
      expect(a[i].outputs[0].data).toEqual(b[i].outputs[0].data);
      expect(a[i].outputs[0].data).toEqual(direct(model, requests[i].rows));
    }
    const rows = requests.reduce((n, r) => n + r.rows.length, 0);
    const sb = batchStats(batched.server.metricsText(), 'm');
    expect(sb.sum).toBe(rows);
    expect(sb.count).toBeLessThan(requests.length / 2);
    expect(sb.count).toBeGreaterThanOrEqual(Math.ceil(rows / 64));
    const sp = batchStats(plain.server.metricsText(), 'm');
    expect(sp).toEqual({ count: requests.length, sum: rows });
  });

  it('runs a request larger than maxBatchSize alone, and isolates a request the stacked pass cannot take', async () => {
    const model = mlp(4);
    const { client, server } = await start({ models: { m: model }, batching: { maxBatchSize: 4, maxDelayMs: 20 } });
    const rows = Array.from({ length: 6 }, (_, i) => [i, -i, 0.5 * i]);
    const big = await client.infer('m', { inputs: [{ name: 'input', shape: [6, 3], datatype: 'FP32', data: rows.flat() }] });
    expect(big.outputs[0].data).toEqual(direct(model, rows));
    const small = await Promise.all([0, 1, 2].map((i) => client.infer('m', { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: rows[i] }] })));
    small.forEach((r, i) => expect(r.outputs[0].data).toEqual(direct(model, [rows[i]])));
    expect(batchStats(server.metricsText(), 'm')).toEqual({ count: 2, sum: 9 });
  });

  it('isolates a request the stacked pass cannot take: it alone fails, the others get their answers', async () => {
    const picky = { forward(x: Tensor): Tensor {
      for (let i = 0; i < x.size; i++) if (x.data[i] === 42) throw new ShapeError('Picky.forward: 42 is refused');
      return x;
    } };
    const { client } = await start({ models: { p: picky }, signatures: { p: { inputs: [{ name: 'x', shape: [-1, 1] }] } }, batching: { maxBatchSize: 8, maxDelayMs: 20 } });
    const rs = await Promise.all([1, 42, 3].map((v) => client.raw('POST', 'v2/models/p/infer', { inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [v] }] })));
    expect(rs.map((r) => r.status)).toEqual([200, 400, 200]);
    expect((rs[0].body as { outputs: { data: number[] }[] }).outputs[0].data).toEqual([1]);
    expect((rs[1].body as { error: string }).error).toMatch(/42 is refused/);
    expect((rs[2].body as { outputs: { data: number[] }[] }).outputs[0].data).toEqual([3]);
  });
});
