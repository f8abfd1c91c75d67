import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/tensor/index';
import { Batcher } from '../../src/serve/batcher';
import type { Plain } from '../../src/serve/signature';
import { start } from './helpers';

const plain = (rows: number[][]): Plain => ({ data: Float32Array.from(rows.flat()), shape: [rows.length, rows[0].length] });

describe('Batcher: stacking and splitting', () => {
  it('stacks announced requests in arrival order into one pass and gives each exactly its own rows back', async () => {
    const passes: Plain[][] = [];
    // Each output row: the row's sum and its index in the pass, so a misplaced split shows.
    const run = (inputs: Plain[]): Plain[] => {
      passes.push(inputs.map((p) => ({ data: p.data.slice(), shape: [...p.shape] })));
      const x = inputs[0], rows = x.shape[0], w = x.shape[1];
      const out = new Float32Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let j = 0; j < w; j++) s += x.data[r * w + j];
        out[2 * r] = s;
        out[2 * r + 1] = r;
      }
      return [{ data: out, shape: [rows, 2] }];
    };
    const sizes: number[] = [];
    const b = new Batcher(run, 16, 1000, (n) => sizes.push(n));
    const reqs = [[[1, 2]], [[3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]];
    for (let i = 0; i < reqs.length; i++) b.announce();
    const results = await Promise.all(reqs.map((r) => b.submit([plain(r)])));
    expect(passes).toHaveLength(1);
    expect(Array.from(passes[0][0].data)).toEqual(reqs.flat(2));
    expect(passes[0][0].shape).toEqual([6, 2]);
    expect(sizes).toEqual([6]);
    let offset = 0;
    results.forEach((res, i) => {
      const rows = reqs[i].length;
      expect(res.batchSize).toBe(6);
      expect(res.outputs[0].shape).toEqual([rows, 2]);
      expect(Array.from(res.outputs[0].data)).toEqual(reqs[i].flatMap((row, r) => [row[0] + row[1], offset + r]));
      offset += rows;
    });
  });

  it('runs a group at once when it reaches maxBatchSize, without waiting for the requests still arriving', async () => {
    const passes: number[] = [];
    const b = new Batcher((inputs) => {
      passes.push(inputs[0].shape[0]);
      return inputs;
    }, 4, 10_000, () => undefined);
    for (let i = 0; i < 6; i++) b.announce();
    const t0 = performance.now();
    const first = Array.from({ length: 4 }, (_, i) => b.submit([plain([[i]])]));
    const got = await Promise.all(first);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(passes).toEqual([4]);
    expect(got.map((g) => Array.from(g.outputs[0].data))).toEqual([[0], [1], [2], [3]]);
    // The last two: a request announced after them ends the wait at maxBatchSize.
    const rest = [b.submit([plain([[4]])]), b.submit([plain([[5]])])];
    b.announce();
    b.announce();
    rest.push(b.submit([plain([[6]])]), b.submit([plain([[7]])]));
    expect(passes).toEqual([4, 4]);
    expect((await Promise.all(rest)).map((g) => Array.from(g.outputs[0].data))).toEqual([[4], [5], [6], [7]]);
  });

  it('after a pass of n rows, fewer queued rows wait up to maxDelayMs for the others; a lone request after a lone pass runs at once', async () => {
    const passes: number[] = [];
    const b = new Batcher((inputs) => {
      passes.push(inputs[0].shape[0]);
      return inputs;
    }, 64, 200, () => undefined);
    const ticks = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
    };
    for (let i = 0; i < 3; i++) b.announce();
    await Promise.all([0, 1, 2].map((i) => b.submit([plain([[i]])]))); // nothing arriving: runs in this tick
    expect(passes).toEqual([3]);
    b.announce();
    const lone = b.submit([plain([[3]])]);
    await ticks(3);
    expect(passes).toEqual([3]); // one row after a pass of three: the other two may be on their way
    b.announce();
    b.announce();
    const joined = [b.submit([plain([[4]])]), b.submit([plain([[5]])])];
    await Promise.all([lone, ...joined]); // three rows again: no more waiting
    expect(passes).toEqual([3, 3]);
    b.announce();
    const slow = b.submit([plain([[6]])]);
    await ticks(3);
    expect(passes).toEqual([3, 3]);
    await slow; // nobody came: maxDelayMs ran it
    expect(passes).toEqual([3, 3, 1]);
    b.announce();
    const next = b.submit([plain([[7]])]);
    await ticks(2);
    expect(passes).toEqual([3, 3, 1, 1]); // after a lone pass a lone request does not wait
    expect(Array.from((await next).outputs[0].data)).toEqual([7]);
    // Each group of equal shapes keeps its own last size: after a pass of three rows of width 1,
    // a lone request of width 2 runs at once.
    for (let i = 0; i < 3; i++) b.announce();
    await Promise.all([0, 1, 2].map((i) => b.submit([plain([[i]])])));
    b.announce();
    const wide = b.submit([plain([[8, 9]])]);
    await ticks(2);
    expect(passes).toEqual([3, 3, 1, 1, 3, 1]);
    expect(Array.from((await wide).outputs[0].data)).toEqual([8, 9]);
  });
});

describe('inference response text', () => {
  it('is the JSON.stringify bytes of the response, with non-finite floats as strings and integer and boolean outputs converted', async () => {
    const model = { forward: (a: Tensor): Tensor[] => [a, a, a] };
    const { base } = await start({
      models: { m: model },
      signatures: { m: { inputs: [{ name: 'a', shape: [-1, 3] }], outputs: [{ name: 'f', shape: [-1, 3] }, { name: 'i', shape: [-1, 3], datatype: 'INT32' }, { name: 'b', shape: [-1, 3], datatype: 'BOOL' }] } },
    });
    const cases: [unknown[], unknown[], unknown[], unknown[]][] = [
      // float32 values read back as doubles: 0.1 is 0.10000000149011612; -0 is written 0.
      [[0.1, -0, 3e-8], [0.10000000149011612, 0, Math.fround(3e-8)], [0, 0, 0], [true, false, true]],
      [[1.5, 'NaN', '-Infinity'], [1.5, 'NaN', '-Infinity'], [2, 0, -2147483648], [true, true, true]],
    ];
    for (const [input, f, i, b] of cases) {
      const res = await fetch(`${base}/v2/models/m/infer`, { method: 'POST', body: JSON.stringify({ id: 'q"1', inputs: [{ name: 'a', shape: [1, 3], datatype: 'FP32', data: input }] }) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      const text = await res.text();
      const want = { model_name: 'm', model_version: '1', id: 'q"1', outputs: [
        { name: 'f', shape: [1, 3], datatype: 'FP32', data: f },
        { name: 'i', shape: [1, 3], datatype: 'INT32', data: i },
        { name: 'b', shape: [1, 3], datatype: 'BOOL', data: b },
      ] };
      expect(text).toBe(JSON.stringify(want));
    }
  });
});
