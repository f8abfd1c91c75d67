import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exportOnnx, onnxInfo } from '../../../src/io/index';
import { CNN } from '../../../src/models/index';
import { GELU, Linear, Sequential } from '../../../src/nn/index';
import { ArgumentError, FormatError, Generator, type TensorkitError } from '../../../src/tensor/index';
import { expectThrows } from '../../helpers/check';

/** FormatError's constructor takes (message, code), so it goes to expectThrows through this cast. */
const FORMAT = FormatError as unknown as typeof TensorkitError;

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../../bench/fixtures/${name}.onnx`, import.meta.url)));

describe('onnxInfo on files exported by PyTorch 1.13 (torch.onnx.export)', () => {
  it('mlp.onnx: opset, producer, inputs and outputs with the dynamic batch axis, op counts', () => {
    expect(onnxInfo(fixture('mlp'))).toEqual({
      irVersion: 8, opset: 17, opsets: { '': 17 }, producer: { name: 'pytorch', version: '1.13.0' },
      inputs: [{ name: 'x', elemType: 'FLOAT', shape: ['batch', 784] }],
      outputs: [{ name: 'y', elemType: 'FLOAT', shape: ['batch', 10] }],
      opCounts: { Gemm: 3, Relu: 2 }, nodeCount: 5, initializerCount: 6,
    });
  });

  it('cnn.onnx and lstm.onnx', () => {
    const cnn = onnxInfo(fixture('cnn'));
    expect(cnn.inputs).toEqual([{ name: 'x', elemType: 'FLOAT', shape: ['batch', 1, 28, 28] }]);
    expect(cnn.opCounts).toEqual({ Conv: 2, Relu: 2, MaxPool: 2, Flatten: 1, Gemm: 1 });
    const lstm = onnxInfo(fixture('lstm'));
    expect(lstm.outputs.map((o) => o.shape)).toEqual([['batch', 32, 128], [1, 'batch', 128]]);
    expect(lstm.opCounts.LSTM).toBe(1);
  });

  it('every truncation of a real file is a FormatError (never another error)', () => {
    const bytes = fixture('cnn');
    let refused = 0;
    for (let cut = 1; cut < bytes.length; cut += 97) {
      try { onnxInfo(bytes.subarray(0, cut)); } catch (e) { expect(e).toBeInstanceOf(FormatError); refused++; }
    }
    expect(refused).toBeGreaterThan(0);
  });
});

describe('onnxInfo on exportOnnx output', () => {
  it('reads back the exported CNN: names, dynamic batch, op counts', () => {
    const cnn = new CNN({ inChannels: 1, inputSize: [8, 8], numClasses: 3, blocks: [{ channels: 4, batchNorm: true }], rng: new Generator(1) });
    const info = onnxInfo(exportOnnx(cnn, { inputShape: [1, 1, 8, 8], inputNames: ['image'], outputNames: ['logits'] }));
    expect(info).toMatchObject({
      irVersion: 8, opset: 17, producer: { name: 'tensorkit' },
      inputs: [{ name: 'image', elemType: 'FLOAT', shape: ['batch', 1, 8, 8] }],
      outputs: [{ name: 'logits', elemType: 'FLOAT', shape: ['batch', 3] }],
      opCounts: { Conv: 1, BatchNormalization: 1, Relu: 1, MaxPool: 1, Flatten: 1, Gemm: 1 },
    });
  });

  it('a fixed batch axis, another opset and the GELU decomposition', () => {
    const info = onnxInfo(exportOnnx(new Sequential(new Linear(2, 3, { rng: new Generator(1) }), new GELU()), { inputShape: [4, 2], opset: 15, dynamicBatch: false }));
    expect(info.irVersion).toBe(8);
    expect(info.opset).toBe(15);
    expect(info.inputs[0].shape).toEqual([4, 2]);
    expect(info.outputs[0].shape).toEqual([4, 3]);
    expect(info.opCounts).toEqual({ Gemm: 1, Div: 1, Erf: 1, Add: 1, Mul: 2 });
    expect(info.initializerCount).toBe(2 + 3);
  });

  it('refuses what is not an ONNX model', () => {
    expectThrows(() => onnxInfo(new Uint8Array(0)), FORMAT, 'no graph');
    expectThrows(() => onnxInfo(new TextEncoder().encode('{"json": true}')), FORMAT);
    expectThrows(() => onnxInfo('model.onnx' as never), ArgumentError, 'Uint8Array');
  });
});
