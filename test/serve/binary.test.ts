import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/tensor/index';
import { direct, mlp, start } from './helpers';
import { OipError } from './oip-client';

// The binary tensor data extension of the REST binding, through a client written from the
// extension's text (oip-client.ts inferBinary), on a real server.

/** Little-endian bytes of float32 values. */
function f32(values: number[]): Uint8Array {
  const b = new Uint8Array(4 * values.length);
  const dv = new DataView(b.buffer);
  values.forEach((v, i) => dv.setFloat32(4 * i, v, true));
  return b;
}

function readF32(b: Uint8Array): number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  return Array.from({ length: b.length / 4 }, (_, i) => dv.getFloat32(4 * i, true));
}

/** Inputs a (FP16), b (INT64), c (BOOL), each [-1, 2]; outputs sum = a + b + c (FP32), positive = sum > 0 (BOOL), half = a (FP16). */
class Mixed {
  forward(a: Tensor, b: Tensor, c: Tensor): Tensor[] {
    const s = new Float32Array(a.size), pos = new Float32Array(a.size);
    for (let i = 0; i < a.size; i++) {
      s[i] = a.data[i] + b.data[i] + c.data[i];
      pos[i] = s[i] > 0 ? 1 : 0;
    }
    return [new Tensor(s, a.shape), new Tensor(pos, a.shape), new Tensor(Float32Array.from(a.data), a.shape)];
  }
}
const MIXED_SIGNATURE = {
  inputs: [{ name: 'a', shape: [-1, 2], datatype: 'FP16' as const }, { name: 'b', shape: [-1, 2], datatype: 'INT64' as const }, { name: 'c', shape: [-1, 2], datatype: 'BOOL' as const }],
  outputs: [{ name: 'sum' }, { name: 'positive', datatype: 'BOOL' as const }, { name: 'half', datatype: 'FP16' as const }],
};

const ROWS = [[1, 2, 3], [-4, 0.5, 6]];
const binaryInput = (rows: number[][], parameters: Record<string, unknown> = {}) => ({
  name: 'input', shape: [rows.length, rows[0].length], datatype: 'FP32', parameters: { binary_data_size: 4 * rows.length * rows[0].length, ...parameters },
});

describe('Open Inference Protocol v2 REST: binary tensor data extension', () => {
  it('lists binary_tensor_data among the server extensions', async () => {
    const { client } = await start({ models: { mlp: mlp() } });
    expect((await client.serverMetadata()).extensions).toContain('binary_tensor_data');
  });

  it('takes binary inputs and answers in JSON unless an output is asked for as binary', async () => {
    const model = mlp();
    const { client } = await start({ models: { mlp: model } });
    const want = direct(model, ROWS);
    const { response, binary, headers } = await client.inferBinary('mlp', { id: 'b1', inputs: [binaryInput(ROWS) as never] }, [f32(ROWS.flat())]);
    expect(response.id).toBe('b1');
    expect(response.outputs[0].data).toEqual(want);
    expect(binary.size).toBe(0);
    expect(headers.get('content-type')).toMatch(/application\/json/);
    // The same request in JSON gives the same answer.
    const json = await client.infer('mlp', { inputs: [{ name: 'input', shape: [2, 3], datatype: 'FP32', data: ROWS.flat() }] });
    expect(json.outputs[0].data).toEqual(want);
  });

  it('returns binary outputs for binary_data_output, and binary_data per output overrides it', async () => {
    const model = mlp();
    const { client } = await start({ models: { mlp: model } });
    const want = direct(model, ROWS);
    const all = await client.inferBinary('mlp', { parameters: { binary_data_output: true }, inputs: [binaryInput(ROWS) as never] }, [f32(ROWS.flat())]);
    expect(all.response.outputs[0]).toEqual({ name: 'output', shape: [2, 2], datatype: 'FP32', parameters: { binary_data_size: 16 } });
    expect(readF32(all.binary.get('output')!)).toEqual(want);
    expect(all.headers.get('content-type')).toBe('application/octet-stream');
    const none = await client.inferBinary('mlp', { parameters: { binary_data_output: true }, inputs: [binaryInput(ROWS) as never], outputs: [{ name: 'output', parameters: { binary_data: false } }] }, [f32(ROWS.flat())]);
    expect(none.response.outputs[0].data).toEqual(want);
    // A JSON request may ask for a binary output too.
    const fromJson = await client.inferBinary('mlp', { inputs: [{ name: 'input', shape: [2, 3], datatype: 'FP32', data: ROWS.flat() }], outputs: [{ name: 'output', parameters: { binary_data: true } }] }, []);
    expect(readF32(fromJson.binary.get('output')!)).toEqual(want);
  });

  it('reads each datatype little-endian in its native size, beside JSON inputs, and writes binary outputs of each', async () => {
    const { client } = await start({ models: { mixed: new Mixed() }, signatures: { mixed: MIXED_SIGNATURE } });
    // FP16 1.5 = 0x3E00, -2 = 0xC000, 0.25 = 0x3400, 65504 = 0x7BFF.
    const half = Uint8Array.from([0x00, 0x3e, 0x00, 0xc0, 0x00, 0x34, 0xff, 0x7b]);
    const int64 = new Uint8Array(32);
    const dv = new DataView(int64.buffer);
    [10, -3, 2 ** 40, -(2 ** 53 - 1)].forEach((v, i) => dv.setBigInt64(8 * i, BigInt(v), true));
    const request = {
      inputs: [
        { name: 'a', shape: [2, 2], datatype: 'FP16', parameters: { binary_data_size: 8 } },
        { name: 'b', shape: [2, 2], datatype: 'INT64', parameters: { binary_data_size: 32 } },
        { name: 'c', shape: [2, 2], datatype: 'BOOL', data: [true, false, false, true] },
      ],
      outputs: [{ name: 'sum' }, { name: 'positive', parameters: { binary_data: true } }, { name: 'half', parameters: { binary_data: true } }],
    };
    const { response, binary } = await client.inferBinary('mixed', request as never, [half, int64]);
    const sum = [1.5 + 10 + 1, -2 - 3, 0.25 + 2 ** 40, 65504 - (2 ** 53 - 1) + 1].map(Math.fround);
    expect(response.outputs[0].data).toEqual(sum);
    expect(Array.from(binary.get('positive')!)).toEqual([1, 0, 1, 0]);
    expect(Array.from(binary.get('half')!)).toEqual(Array.from(half));
  });

  it('refuses malformed binary requests with 400 naming the problem, and stays healthy', async () => {
    const { client, base } = await start({ models: { mlp: mlp() } });
    const post = async (json: object, bin: Uint8Array, header?: string): Promise<{ status: number; error: string }> => {
      const j = new TextEncoder().encode(JSON.stringify(json));
      const body = new Uint8Array(j.length + bin.length);
      body.set(j);
      body.set(bin, j.length);
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
      if (header !== undefined) headers['inference-header-content-length'] = header === 'json' ? String(j.length) : header;
      const res = await fetch(`${base}/v2/models/mlp/infer`, { method: 'POST', headers, body });
      const text = await res.text();
      return { status: res.status, error: (JSON.parse(text) as { error: string }).error };
    };
    const ok = { inputs: [binaryInput([[1, 2, 3]])] };
    const bytes = f32([1, 2, 3]);
    const cases: [object, Uint8Array, string | undefined, RegExp][] = [
      [ok, bytes, 'abc', /Inference-Header-Content-Length header must be the byte length of the JSON part.*got "abc"/],
      [ok, bytes, '99999', /an integer from 0 to the body's \d+ bytes/],
      [ok, bytes, undefined, /malformed JSON/],
      [{ inputs: [binaryInput([[1, 2, 3]])] }, new Uint8Array(0), undefined, /malformed JSON|no binary part/],
      [{ inputs: [binaryInput([[1, 2, 3]], { binary_data_size: 8 })] }, bytes, 'json', /binary_data_size must be 12 \(shape \[1, 3\] of FP32: 3 elements of 4 bytes\), got 8/],
      [{ inputs: [{ ...binaryInput([[1, 2, 3]]), data: [1, 2, 3] }] }, bytes, 'json', /both data and parameters\.binary_data_size/],
      [ok, f32([1, 2, 3, 4]), 'json', /the binary part has 16 bytes but the inputs' binary_data_size add up to 12/],
      [ok, f32([1, 2]), 'json', /runs past the end of the binary part \(8 of its 8 bytes left\)/],
      [{ inputs: [binaryInput([[1, 2, 3]], { binary_data_size: -4 })] }, bytes, 'json', /binary_data_size must be 12/],
      [{ parameters: { binary_data_output: 'yes' }, inputs: [binaryInput([[1, 2, 3]])] }, bytes, 'json', /binary_data_output must be a boolean, got/],
      [{ inputs: [binaryInput([[1, 2, 3]])], outputs: [{ name: 'output', parameters: { binary_data: 1 } }] }, bytes, 'json', /outputs\[0\]\.parameters\.binary_data must be a boolean/],
    ];
    for (const [json, bin, header, re] of cases) {
      const r = await post(json, bin, header);
      expect(r.status, re.source).toBe(400);
      expect(r.error, re.source).toMatch(re);
    }
    // binary_data_size in a plain JSON request (no header): said plainly.
    const plain = await client.infer('mlp', { inputs: [binaryInput([[1, 2, 3]]) as never] }).catch((e: OipError) => e);
    expect((plain as OipError).status).toBe(400);
    expect((plain as OipError).body.error).toMatch(/binary_data_size is given but the request has no binary part/);
    expect(await client.serverReady()).toBe(true);
  });

  it('refuses a BOOL byte other than 0 and 1, and a 64-bit integer past 2^53 − 1', async () => {
    const { client } = await start({ models: { mixed: new Mixed() }, signatures: { mixed: MIXED_SIGNATURE } });
    const big = new Uint8Array(16);
    new DataView(big.buffer).setBigInt64(0, 2n ** 60n, true);
    const inputs = (c: object) => [
      { name: 'a', shape: [1, 2], datatype: 'FP16', data: [1, 2] },
      { name: 'b', shape: [1, 2], datatype: 'INT64', parameters: { binary_data_size: 16 } },
      { name: 'c', shape: [1, 2], datatype: 'BOOL', ...c },
    ];
    const bool = await client.inferBinary('mixed', { inputs: inputs({ parameters: { binary_data_size: 2 } }) as never }, [new Uint8Array(16), Uint8Array.from([1, 2])]).catch((e: OipError) => e);
    expect((bool as OipError).status).toBe(400);
    expect((bool as OipError).body.error).toMatch(/inputs\[2\] binary data: element 1 is the byte 2; a BOOL element is one byte, 0 or 1/);
    const wide = await client.inferBinary('mixed', { inputs: inputs({ data: [true, true] }) as never }, [big]).catch((e: OipError) => e);
    expect((wide as OipError).body.error).toMatch(/element 0 must be an integer in \[-9007199254740991, 9007199254740991\] for datatype INT64/);
  });

  it('batches binary requests with JSON ones, each answered as if alone', async () => {
    const model = mlp(3);
    const { client } = await start({ models: { mlp: model }, batching: { maxBatchSize: 8, maxDelayMs: 20 } });
    const rows = Array.from({ length: 8 }, (_, i) => [i, -i / 2, 1 + i / 3]);
    const answers = await Promise.all(rows.map(async (r, i) => {
      if (i % 2 === 0) return (await client.inferBinary('mlp', { parameters: { binary_data_output: true }, inputs: [binaryInput([r]) as never] }, [f32(r)])).binary.get('output')!;
      return f32((await client.infer('mlp', { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: r }] })).outputs[0].data as number[]);
    }));
    answers.forEach((a, i) => expect(readF32(a), `row ${i}`).toEqual(direct(model, [rows[i]])));
  });
});
