import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ModelRegistry } from '../../src/io/registry';
import { direct, mlp } from './helpers';

const BIN = resolve(__dirname, '../../src/cli/index.ts');
const PROTO = resolve(__dirname, '../fixtures/grpc_predict_v2.proto');
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tk-grpc-cli-'));
  await new ModelRegistry(join(root, 'reg')).save('m', mlp(5));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('tensorkit serve --grpc-port', () => {
  it('serves the registry over gRPC beside REST, and drains and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', BIN, 'serve', '--registry', join(root, 'reg'), '--port', '0', '--grpc-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stderr.on('data', (d) => (err += d));
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const ports = await new Promise<[number, number]>((res, rej) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+), gRPC on 127\.0\.0\.1:(\d+)/.exec(out);
        if (m !== null) res([Number(m[1]), Number(m[2])]);
      });
      void exit.then((code) => rej(new Error(`exited with ${code} before listening: ${err}`)));
    });
    expect(ports[1]).not.toBe(ports[0]);
    const def = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, defaults: true });
    const Service = (grpc.loadPackageDefinition(def).inference as grpc.GrpcObject).GRPCInferenceService as grpc.ServiceClientConstructor;
    const c = new Service(`127.0.0.1:${ports[1]}`, grpc.credentials.createInsecure());
    const r = await new Promise<{ model_version: string; outputs: { contents: { fp32_contents: number[] } }[] }>((res, rej) => {
      (c as unknown as Record<string, (m: object, cb: (e: Error | null, v: never) => void) => void>).ModelInfer(
        { model_name: 'm', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } }] },
        (e, v) => (e === null ? res(v) : rej(e)),
      );
    });
    c.close();
    expect(r.model_version).toBe('1');
    expect(r.outputs[0].contents.fp32_contents).toEqual(direct(mlp(5), [[1, 2, 3]]));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(out).toMatch(/SIGTERM: draining\n.*shut down/);
  });
});
