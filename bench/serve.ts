// Loopback load test of tensorkit/serve with autocannon (bounded in time and count):
//   1. p50 / p99 latency and requests/s for an MLP at concurrency 1, 16 and 64, batching off and on;
//   2. 10 000 requests, every tenth malformed: only 4xx for those, zero 5xx, zero lost, still ready.
// The server runs in a child process (so autocannon does not share its event loop); both bind to
// 127.0.0.1 only. Run: npx tsx bench/serve.ts [--duration-s 3] [--rounds 2]
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Generator } from '../src/tensor/index';
import { Linear, ReLU, Sequential } from '../src/nn/index';
import { createServer } from '../src/serve/index';
import { isMain, machineInfo } from './util';

interface AutocannonRequest { method: string; path: string; headers?: Record<string, string>; body?: string }
interface AutocannonResult {
  latency: { p50: number; p99: number };
  requests: { average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
type Autocannon = (o: { url: string; connections: number; duration?: number; amount?: number; requests: AutocannonRequest[]; timeout?: number }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const IN = 64, HIDDEN = 256, OUT = 10;

function mlp(): Sequential {
  const rng = new Generator(0);
  return new Sequential(new Linear(IN, HIDDEN, { rng }), new ReLU(), new Linear(HIDDEN, HIDDEN, { rng }), new ReLU(), new Linear(HIDDEN, OUT, { rng })).eval();
}

/** The child: one server with the MLP twice, batching off ('plain') and on ('batched'). */
async function child(delayMs: number): Promise<void> {
  const plain = createServer({ models: { mlp: mlp() }, log: () => undefined });
  const batched = createServer({ models: { mlp: mlp() }, batching: { maxBatchSize: 64, maxDelayMs: delayMs }, log: () => undefined });
  const a = await plain.listen(0, '127.0.0.1');
  const b = await batched.listen(0, '127.0.0.1');
  process.send!({ plain: a.port, batched: b.port });
  process.on('message', async (m) => {
    if (m === 'stop') {
      await Promise.all([plain.close(), batched.close()]);
      process.exit(0);
    }
  });
}

function body(seed: number): string {
  const rng = new Generator(seed);
  return JSON.stringify({ inputs: [{ name: 'input', shape: [1, IN], datatype: 'FP32', data: Array.from({ length: IN }, () => Math.round(rng.normal() * 1000) / 1000) }] });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string, d: number): number => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : d;
  };
  const duration = arg('duration-s', 3), rounds = arg('rounds', 2), delayMs = arg('delay-ms', 2);
  const proc: ChildProcess = fork(fileURLToPath(import.meta.url), ['--child', String(delayMs)], { execArgv: ['--import', 'tsx'] });
  const ports = await new Promise<{ plain: number; batched: number }>((r) => proc.once('message', (m) => r(m as { plain: number; batched: number })));
  const infer: AutocannonRequest[] = Array.from({ length: 8 }, (_, i) => ({ method: 'POST', path: '/v2/models/mlp/infer', headers: { 'content-type': 'application/json' }, body: body(i) }));
  console.log(`# tensorkit/serve under autocannon (loopback), MLP ${IN}-${HIDDEN}-${HIDDEN}-${OUT}, batch 1 per request; ${machineInfo()}`);
  console.log(`# batching on: maxBatchSize 64, maxDelayMs ${delayMs}; ${rounds} rounds of ${duration} s per cell, off and on interleaved; each cell: median of rounds (min–max)\n`);
  const cells = new Map<string, AutocannonResult[]>();
  for (let r = 0; r < rounds; r++) {
    for (const c of [1, 16, 64]) {
      for (const mode of ['off', 'on'] as const) {
        const port = mode === 'on' ? ports.batched : ports.plain;
        const res = await autocannon({ url: `http://127.0.0.1:${port}`, connections: c, duration, requests: infer, timeout: 30 });
        const k = `${c}|${mode}`;
        cells.set(k, [...(cells.get(k) ?? []), res]);
      }
    }
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const span = (xs: number[], d = 0): string => `${med(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`;
  console.log('| concurrency | batching | requests/s | p50 ms | p99 ms | non-2xx | errors |');
  console.log('|---|---|---|---|---|---|---|');
  for (const c of [1, 16, 64]) {
    for (const mode of ['off', 'on']) {
      const rs = cells.get(`${c}|${mode}`)!;
      console.log(`| ${c} | ${mode} | ${span(rs.map((x) => x.requests.average))} | ${span(rs.map((x) => x.latency.p50), 1)} | ${span(rs.map((x) => x.latency.p99), 1)} | ${rs.reduce((n, x) => n + x.non2xx, 0)} | ${rs.reduce((n, x) => n + x.errors + x.timeouts, 0)} |`);
    }
  }
  // 10 000 requests, every tenth malformed (the request list cycles per connection).
  const malformed: AutocannonRequest[] = [...infer.slice(0, 8), infer[0], { method: 'POST', path: '/v2/models/mlp/infer', headers: { 'content-type': 'application/json' }, body: '{"inputs": [{"name": "input", "shape": [1, 64], "datatype": "FP32", "data": [1, 2' }];
  for (const mode of ['off', 'on'] as const) {
    const port = mode === 'on' ? ports.batched : ports.plain;
    const res = await autocannon({ url: `http://127.0.0.1:${port}`, connections: 10, amount: 10_000, requests: malformed, timeout: 30 });
    const codes = Object.fromEntries(Object.entries(res.statusCodeStats).map(([k, v]) => [k, v.count]));
    const total = Object.values(codes).reduce((a, b) => a + b, 0);
    const fivexx = Object.entries(codes).filter(([k]) => k.startsWith('5')).reduce((n, [, v]) => n + v, 0);
    const ready = (await fetch(`http://127.0.0.1:${port}/v2/health/ready`)).status;
    console.log(`\nmalformed 10% (batching ${mode}): status codes ${JSON.stringify(codes)}, answered ${total} of 10000, 5xx ${fivexx}, errors ${res.errors}, timeouts ${res.timeouts}, ready after: ${ready}`);
  }
  proc.send('stop');
  await new Promise((r) => proc.once('exit', r));
}

if (isMain(import.meta.url)) {
  const i = process.argv.indexOf('--child');
  if (i >= 0) void child(Number(process.argv[i + 1]));
  else void main();
}
