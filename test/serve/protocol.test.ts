import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/tensor/index';
import { direct, mlp, start } from './helpers';
import { OipError } from './oip-client';

/** A two-input, two-output model: sum = a + b (FP32), positive = a > 0 (BOOL), count = row sums of b as INT64. */
class TwoHeads {
  forward(a: Tensor, b: Tensor): Tensor[] {
    const s = new Float32Array(a.size), pos = new Float32Array(a.size);
    for (let i = 0; i < a.size; i++) {
      s[i] = a.data[i] + b.data[i];
      pos[i] = a.data[i] > 0 ? 1 : 0;
    }
    return [new Tensor(s, a.shape), new Tensor(pos, a.shape)];
  }
}

const TWO_HEADS_SIGNATURE = {
  inputs: [{ name: 'a', shape: [-1, 2] }, { name: 'b', shape: [-1, 2], datatype: 'INT32' as const }],
  outputs: [{ name: 'sum' }, { name: 'positive', datatype: 'BOOL' as const }],
};

describe('Open Inference Protocol v2 REST: health and metadata', () => {
  it('answers server live, ready and metadata', async () => {
    const { client } = await start({ models: { mlp: mlp() } });
    expect(await client.serverLive()).toBe(true);
    expect(await client.serverReady()).toBe(true);
    const meta = await client.serverMetadata();
    expect(meta.name).toBe('tensorkit');
    expect(meta.extensions).toContain('model_repository');
  });

  it('describes a model read off its first Linear: input [-1, 3], output [-1, 2] by a probe, FP32', async () => {
    const { client } = await start({ models: { mlp: { versions: { '1': mlp(1), '2': mlp(2) }, defaultVersion: '1' } } });
    const meta = await client.modelMetadata('mlp');
    expect(meta).toEqual({
      name: 'mlp', versions: ['1', '2'], platform: 'tensorkit',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3] }],
      outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 2] }],
    });
    expect((await client.modelMetadata('mlp', '2')).name).toBe('mlp');
    expect(await client.modelReady('mlp')).toBe(true);
    expect(await client.modelReady('mlp', '2')).toBe(true);
  });

  it('uses a declared signature with datatypes and several inputs and outputs', async () => {
    const { client } = await start({ models: { heads: new TwoHeads() }, signatures: { heads: TWO_HEADS_SIGNATURE } });
    const meta = await client.modelMetadata('heads');
    expect(meta.inputs).toEqual([{ name: 'a', datatype: 'FP32', shape: [-1, 2] }, { name: 'b', datatype: 'INT32', shape: [-1, 2] }]);
    expect(meta.outputs).toEqual([{ name: 'sum', datatype: 'FP32', shape: [-1, 2] }, { name: 'positive', datatype: 'BOOL', shape: [-1, 2] }]);
  });

  it('answers an unknown model or version with 404 and { error }', async () => {
    const { client } = await start({ models: { mlp: mlp() } });
    await expect(client.modelMetadata('nope')).rejects.toMatchObject({ status: 404 });
    await expect(client.modelMetadata('mlp', '7')).rejects.toMatchObject({ status: 404 });
    await expect(client.modelReady('nope')).rejects.toBeInstanceOf(OipError);
    const e = await client.modelMetadata('nope').catch((x: OipError) => x);
    expect((e as OipError).body.error).toMatch(/unknown model "nope"/);
  });

  it('answers an unknown path with 404 and a wrong method with 405, both { error }', async () => {
    const { client } = await start({ models: { mlp: mlp() } });
    const r = await client.raw('GET', 'v3/whatever');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: expect.stringMatching(/no endpoint/) });
    const m = await client.raw('GET', 'v2/models/mlp/infer');
    expect(m.status).toBe(405);
    expect(m.headers.get('allow')).toBe('POST');
    expect(m.body).toEqual({ error: expect.stringMatching(/GET is not allowed/) });
  });
});

describe('Open Inference Protocol v2 REST: inference', () => {
  const rows = [[1, -2, 0.5], [0, 3, -1]];

  it('computes what the model computes, for flat and nested data, echoing the id and naming the version', async () => {
    const model = mlp();
    const { client } = await start({ models: { mlp: model } });
    const want = direct(model, rows);
    const flat = await client.infer('mlp', { id: 'req-1', inputs: [{ name: 'input', shape: [2, 3], datatype: 'FP32', data: rows.flat() }] });
    expect(flat).toMatchObject({ model_name: 'mlp', model_version: '1', id: 'req-1' });
    expect(flat.outputs).toHaveLength(1);
    expect(flat.outputs[0]).toMatchObject({ name: 'output', shape: [2, 2], datatype: 'FP32' });
    expect(flat.outputs[0].data).toEqual(want);
    const nested = await client.infer('mlp', { inputs: [{ name: 'input', shape: [2, 3], datatype: 'FP32', data: rows }] }, '1');
    expect(nested.outputs[0].data).toEqual(want);
    expect(typeof nested.id).toBe('string');
  });

  it('takes each datatype as the spec names it and writes outputs in their declared datatype', async () => {
    const { client } = await start({ models: { heads: new TwoHeads() }, signatures: { heads: TWO_HEADS_SIGNATURE } });
    const res = await client.infer('heads', {
      inputs: [
        { name: 'b', shape: [2, 2], datatype: 'INT32', data: [1, 2, 3, -4] },
        { name: 'a', shape: [2, 2], datatype: 'FP32', data: [0.5, -1, 'Infinity', 0] },
      ],
      outputs: [{ name: 'positive' }, { name: 'sum' }],
    });
    expect(res.outputs.map((o) => o.name)).toEqual(['positive', 'sum']);
    expect(res.outputs[0]).toEqual({ name: 'positive', shape: [2, 2], datatype: 'BOOL', data: [true, false, true, false] });
    // 0.5 + 1, −1 + 2, ∞ + 3, 0 − 4: non-finite values travel as the strings 'Infinity', 'NaN'.
    expect(res.outputs[1].data).toEqual([1.5, 1, 'Infinity', -4]);
  });

  it('refuses a datatype other than the signature declares, and integers out of range', async () => {
    const { client } = await start({ models: { heads: new TwoHeads() }, signatures: { heads: TWO_HEADS_SIGNATURE } });
    const a = { name: 'a', shape: [1, 2], datatype: 'FP32', data: [1, 2] };
    const err = (b: object) => client.infer('heads', { inputs: [a, { name: 'b', shape: [1, 2], ...b } as never] }).catch((e: OipError) => e);
    const wrong = await err({ datatype: 'FP64', data: [1, 2] });
    expect(wrong).toMatchObject({ status: 400 });
    expect((wrong as OipError).body.error).toMatch(/datatype FP64 does not match the model's INT32/);
    const frac = await err({ datatype: 'INT32', data: [1.5, 2] });
    expect((frac as OipError).body.error).toMatch(/integer in \[-2147483648, 2147483647\] for datatype INT32, got 1.5/);
    const big = await err({ datatype: 'INT32', data: [2 ** 31, 2] });
    expect((big as OipError).status).toBe(400);
    const bytes = await err({ datatype: 'BYTES', data: ['x', 'y'] });
    expect((bytes as OipError).body.error).toMatch(/BYTES is not supported/);
    const made = await err({ datatype: 'FP33', data: [1, 2] });
    expect((made as OipError).body.error).toMatch(/not a datatype of the protocol/);
  });

  it('answers the spec example shape of request errors with 400 and { error }', async () => {
    const { client } = await start({ models: { mlp: mlp() } });
    const cases: [unknown, RegExp][] = [
      [{ inputs: [] }, /inputs must be a non-empty array/],
      [{ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }, /no input "x"/],
      [{ inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2] }] }, /shape \[1, 3\] holds 3 elements but data has 2/],
      [{ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] }, /shape \[1, 4\] does not match the model's \[-1, 3\]/],
      [{ inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 'two', 3] }] }, /data\[1\] must be a number/],
      [{ inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [[1, 2], [3]] }] }, /data must be an array of 1 \(axis 0 of shape \[1, 3\]\), got 2 elements/],
      [{ inputs: [{ name: 'input', shape: [1, -3], datatype: 'FP32', data: [] }] }, /shape must be an array of non-negative integers/],
      [{ inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }], outputs: [{ name: 'logits' }] }, /no output "logits"/],
      [{ id: 7, inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }, /id must be a string/],
      [{ inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }], parameters: { a: [1] } }, /parameters.a must be a string, number or boolean/],
      [[1, 2], /must be a JSON object/],
    ];
    for (const [body, msg] of cases) {
      const e = await client.infer('mlp', body as never).catch((x: OipError) => x);
      expect(e, JSON.stringify(body)).toBeInstanceOf(OipError);
      expect((e as OipError).status, JSON.stringify(body)).toBe(400);
      expect((e as OipError).body.error, JSON.stringify(body)).toMatch(msg);
    }
  });
});

describe('Open Inference Protocol v2 REST: model repository extension', () => {
  it('indexes, unloads and loads models', async () => {
    const { client } = await start({ models: { a: mlp(1), b: mlp(2) } });
    expect(await client.repositoryIndex()).toEqual([
      { name: 'a', version: '1', state: 'READY', reason: 'default' },
      { name: 'b', version: '1', state: 'READY', reason: 'default' },
    ]);
    await client.unload('b');
    expect(await client.modelReady('b')).toBe(false);
    expect(await client.serverReady()).toBe(true);
    const idx = await client.repositoryIndex();
    expect(idx[1]).toEqual({ name: 'b', state: 'UNAVAILABLE', reason: 'unloaded' });
    expect(await client.repositoryIndex({ ready: true })).toHaveLength(1);
    const req = { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] };
    await expect(client.infer('b', req)).rejects.toMatchObject({ status: 404 });
    await client.load('b', { parameters: {} });
    expect(await client.modelReady('b')).toBe(true);
    expect((await client.infer('b', req)).model_version).toBe('1');
    await expect(client.load('zzz')).rejects.toMatchObject({ status: 404 });
  });
});
