// Child process of header-memory.test.ts: builds one safetensors file whose header is hostile
// (written into a Buffer, outside the JS heap, so that only the loader's own allocations count
// against --max-old-space-size), loads it, and prints { result, code }.
import { loadSafetensors, saveSafetensors } from '../../src/io/index';
import { Tensor, TensorkitError } from '../../src/tensor/index';

const HEADER = 24_000_000;

function file(write: (b: Buffer, at: number, end: number) => number, data = 0): Uint8Array {
  const b = Buffer.alloc(8 + HEADER + data, 0x20);
  const end = write(b, 8, 8 + HEADER);
  b.writeUInt32LE(end - 8, 0);
  b.writeUInt32LE(0, 4);
  return new Uint8Array(b.buffer, b.byteOffset, end + data);
}

const cases: Record<string, () => Uint8Array> = {
  // ~1.7M distinct metadata entries "k123456":"", near the header size.
  tinyEntries: () => file((b, at, end) => {
    at += b.write('{"__metadata__":{', at, 'latin1');
    for (let i = 0; at < end - 40; i++) at += b.write(`${i === 0 ? '' : ','}"k${i}":""`, at, 'latin1');
    return at + b.write('}}', at, 'latin1');
  }),
  // One metadata string of 20 MB of \u0041 escapes ("AAAA…", 3.3M characters).
  escapes: () => file((b, at) => {
    at += b.write('{"__metadata__":{"a":"', at, 'latin1');
    const n = 6 * 3_333_333;
    b.fill('\\u0041', at, at + n, 'latin1');
    at += n;
    return at + b.write('"}}', at, 'latin1');
  }),
  // A tensor of rank 12M: shape [1, 1, 1, …] (one element).
  rank: () => file((b, at, end) => {
    at += b.write('{"t":{"dtype":"F32","data_offsets":[0,4],"shape":[1', at, 'latin1');
    const n = (end - at - 20) & ~1;
    b.fill(',1', at, at + n, 'latin1');
    at += n;
    return at + b.write(']}}', at, 'latin1');
  }, 4),
  // A well-formed 40 MB file of 10 tensors.
  normal: () => {
    const sd: Record<string, Tensor> = {};
    for (let i = 0; i < 10; i++) sd[`w${i}`] = new Tensor(new Float32Array(1_000_000).fill(i), [1000, 1000]);
    return saveSafetensors(sd);
  },
};

const bytes = cases[process.argv[2]]();
try {
  const { tensors, metadata } = loadSafetensors(bytes);
  console.log(JSON.stringify({ result: 'loaded', tensors: Object.keys(tensors).length, metadataChars: Object.values(metadata).reduce((s, v) => s + v.length, 0) }));
} catch (e) {
  if (!(e instanceof TensorkitError)) throw e;
  console.log(JSON.stringify({ result: e.name, code: e.code, message: e.message }));
}
