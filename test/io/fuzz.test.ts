import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, loadSafetensors, saveModel, saveSafetensors } from '../../src/io/index';
import { BatchNorm1d, Embedding, Linear, ReLU, Sequential } from '../../src/nn/index';
import { FormatError, Tensor, tensor } from '../../src/tensor/index';

/*
 * 1,000 cases in all (seeded by test/setup.ts): random bytes 250, random JSON headers 200, mutated
 * safetensors files 350, mutated model files 200. The only acceptable outcomes are a successful
 * load or a FormatError; any other exception (RangeError, TypeError, an out-of-bounds read) fails.
 */

function outcome(f: () => unknown): 'ok' | 'format' {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (e instanceof FormatError) return 'format';
    throw e;
  }
}

function withLength(n: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, n % 2 ** 32, true);
  dv.setUint32(4, Math.floor(n / 2 ** 32) % 2 ** 32, true);
  out.set(body, 8);
  return out;
}

const valid: Uint8Array[] = [
  saveSafetensors({ a: tensor([1, 2, 3]), b: { dtype: 'I64', shape: [2], data: new Float64Array([1, -1]) } }, { k: 'v' }),
  saveSafetensors({
    h: { dtype: 'F16', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }, m: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
    e: new Tensor(new Float32Array(0), [0, 4]), s: tensor(7),
  }),
  new Uint8Array(readFileSync(resolve(__dirname, '../fixtures/dtypes.safetensors'))),
];
const models: Uint8Array[] = [
  saveModel(new Sequential(new Linear(3, 2), new ReLU(), new BatchNorm1d(2)), { optimizer: { state: [{ step: 1, v: new Float32Array([1, 2]) }] }, metadata: { a: 'b' } }),
  saveModel(new Embedding(4, 2)),
];

/** A list of mutations: set a byte, truncate, insert bytes, delete a range, rewrite the length. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('length' as const), value: fc.oneof(fc.nat({ max: 4096 }), fc.constantFrom(0, 7, 2 ** 32, 2 ** 53, 1e8, 1e8 + 1)) }),
  fc.record({ op: fc.constant('digit' as const), at: fc.nat(), value: fc.constantFrom('0', '9', '-', '.', 'e', '"', ',', ']', '}', ' ') }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(src: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = src.slice();
  for (const m of ms) {
    const at = b.length === 0 ? 0 : ('at' in m ? m.at % (b.length + 1) : 0);
    switch (m.op) {
      case 'set': if (at < b.length) b[at] = m.value; break;
      case 'truncate': b = b.slice(0, at); break;
      case 'insert': b = new Uint8Array([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]); break;
      case 'delete': b = new Uint8Array([...b.subarray(0, at), ...b.subarray(at + m.count)]); break;
      case 'length': if (b.length >= 8) b.set(withLength(m.value, new Uint8Array(0)).subarray(0, 8), 0); break;
      case 'digit': {
        // Aim inside the header, where most structure lives.
        const n = b.length >= 8 ? Math.min(new DataView(b.buffer, b.byteOffset).getUint32(0, true), b.length - 8) : 0;
        if (n > 0) b[8 + (m.at % n)] = m.value.charCodeAt(0);
        break;
      }
    }
  }
  return b;
}

describe('fuzzing the loaders: only FormatError, never another error', () => {
  it('random bytes (250 cases)', () => {
    fc.assert(fc.property(
      fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.tuple(fc.nat({ max: 80 }), fc.uint8Array({ maxLength: 96 })).map(([n, body]) => withLength(n, body))),
      (bytes) => {
        outcome(() => loadSafetensors(bytes));
        outcome(() => loadModel(bytes));
      },
    ), { numRuns: 250 });
  });

  it('random JSON headers over random data (200 cases)', () => {
    const entry = fc.record({
      dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'F64', 'I8', 'U8', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64', 'BOOL', 'F8_E4M3', 'x'), fc.jsonValue()),
      shape: fc.oneof(fc.array(fc.oneof(fc.nat({ max: 4 }), fc.integer(), fc.double())), fc.jsonValue()),
      data_offsets: fc.oneof(fc.tuple(fc.nat({ max: 40 }), fc.nat({ max: 40 })), fc.array(fc.integer()), fc.jsonValue()),
    }, { requiredKeys: [] });
    const header = fc.dictionary(
      fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__metadata__', 'constructor', 'a', 'b')),
      fc.oneof(entry, fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string(), fc.jsonValue())), fc.jsonValue()),
      { maxKeys: 4 },
    );
    fc.assert(fc.property(header, fc.uint8Array({ maxLength: 64 }), fc.boolean(), (h, data, pad) => {
      let text = JSON.stringify(h);
      if (pad) text += ' '.repeat((8 - (text.length % 8)) % 8);
      const hb = new TextEncoder().encode(text);
      const body = new Uint8Array(hb.length + data.length);
      body.set(hb);
      body.set(data, hb.length);
      const bytes = withLength(hb.length, body);
      if (outcome(() => loadSafetensors(bytes)) === 'ok') {
        const { tensors } = loadSafetensors(bytes);
        for (const t of Object.values(tensors)) {
          const n = t.shape.reduce((a, b) => a * b, 1);
          expect(t instanceof Tensor ? t.size : t.data.length).toBe(n);
        }
      }
    }), { numRuns: 200 });
  });

  it('mutated valid safetensors files (350 cases)', () => {
    fc.assert(fc.property(fc.nat({ max: valid.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, ms) => {
      outcome(() => loadSafetensors(mutate(valid[i], ms)));
    }), { numRuns: 350 });
  });

  it('mutated model files through loadModel (200 cases)', () => {
    let ok = 0;
    fc.assert(fc.property(fc.nat({ max: models.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), (i, ms) => {
      if (outcome(() => loadModel(mutate(models[i], ms))) === 'ok') ok++;
    }), { numRuns: 200 });
    // Some mutations (a changed weight byte) leave a loadable file: the fuzzer reaches past the parser.
    expect(ok).toBeGreaterThan(0);
  });
});
