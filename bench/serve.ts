// Loopback load test of tensorkit/serve with autocannon, bounded in count and time (about 3 min
// with the defaults; every autocannon run has a duration or a request count, and a watchdog ends
// the whole run after 15 min):
//   1. requests/s and p50 / p99 latency for an MLP and a CNN at concurrency 1, 16 and 64, batching
//      off and on, rounds interleaved (off and on alternate within each round, order flipped every
//      round), so each round gives one on/off ratio measured under the same machine load;
//   2. 10 000 requests, every tenth malformed: only 4xx for those, zero 5xx, zero lost, still ready;
//   3. promote / rollback of the registry default through the admin endpoint every 100 ms during
//      load: zero failed requests, and every response names the version that computed it;
//   4. the `tensorkit serve` bin (node:cluster) with --workers 2 against --workers 1, both started
//      as child processes on free ports from a temporary registry directory.
// The servers of 1–3 run in a child process (so autocannon does not share their event loop); every
// socket binds 127.0.0.1. Run: npx tsx bench/serve.ts [--duration-s 3] [--rounds 3] [--delay-ms 2]
// (bench/run.ts runs it as the `serve` suite with the defaults).
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator } from '../src/tensor/index';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../src/nn/index';
import { ModelRegistry } from '../src/io/registry';
import { createServer, type InferenceServer } from '../src/serve/index';
import { isMain, machineInfo, makeRow, toMarkdown, type BenchRow } from './util';

interface AutocannonRequest { method: string; path: string; headers?: Record<string, string>; body?: string | Buffer }
interface AutocannonResult {
  latency: { p50: number; p99: number };
  requests: { average: number; total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonOptions {
  url: string;
  connections: number;
  duration?: number;
  amount?: number;
  requests: AutocannonRequest[];
  timeout?: number;
  verifyBody?: (body: string) => boolean;
}
type Autocannon = (o: AutocannonOptions) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(here, '..', 'src', 'cli', 'index.ts');
const IN = 64, HIDDEN = 256, OUT = 10;
const BATCHING = { maxBatchSize: 64, maxDelayMs: 2 };
const CONCURRENCY = [1, 16, 64];

function mlp(seed = 0): Sequential {
  const rng = new Generator(seed);
  return new Sequential(new Linear(IN, HIDDEN, { rng }), new ReLU(), new Linear(HIDDEN, HIDDEN, { rng }), new ReLU(), new Linear(HIDDEN, OUT, { rng })).eval();
}

/** bench/train.ts's CNN: conv 1→8 3×3 same, ReLU, max pool 2, conv 8→16, ReLU, max pool 2, dense 10 on 1×28×28. */
function cnn(): Sequential {
  return new Sequential(
    new Conv2d(1, 8, 3, { padding: 1, rng: new Generator(3) }), new ReLU(), new MaxPool2d(2),
    new Conv2d(8, 16, 3, { padding: 1, rng: new Generator(4) }), new ReLU(), new MaxPool2d(2),
    new Flatten(), new Linear(7 * 7 * 16, 10, { rng: new Generator(5) }),
  ).eval();
}

const FAMILIES = {
  mlp: { label: `MLP ${IN}-${HIDDEN}-${HIDDEN}-${OUT}`, shape: [1, IN] },
  cnn: { label: 'CNN conv8-pool-conv16-pool-dense10', shape: [1, 1, 28, 28] },
} as const;
type Family = keyof typeof FAMILIES;
/** What a cell loads: a family's servers with JSON bodies, or the CNN's with binary ones. */
const WORKLOADS = {
  mlp: { family: 'mlp', label: FAMILIES.mlp.label, binary: false },
  cnn: { family: 'cnn', label: FAMILIES.cnn.label, binary: false },
  cnnBinary: { family: 'cnn', label: `${FAMILIES.cnn.label}, binary tensor data`, binary: true },
} as const;
type Workload = keyof typeof WORKLOADS;
const WORKLOAD_NAMES = Object.keys(WORKLOADS) as Workload[];
type Mode = 'off' | 'on';
type Ports = Record<Family, Record<Mode, number>> & { registry: number };

/** The child: each family served twice (batching off and on), and one batched server of the registry at `dir`. */
async function child(dir: string, delayMs: number): Promise<void> {
  const batching = { ...BATCHING, maxDelayMs: delayMs };
  const servers: InferenceServer[] = [];
  const start = async (s: InferenceServer): Promise<number> => {
    servers.push(s);
    return (await s.listen(0, '127.0.0.1')).port;
  };
  const cnnSig = { cnn: { inputs: [{ name: 'input', shape: [-1, 1, 28, 28] }] } };
  const ports: Ports = {
    mlp: { off: await start(createServer({ models: { mlp: mlp() }, log: () => undefined })), on: await start(createServer({ models: { mlp: mlp() }, batching, log: () => undefined })) },
    cnn: { off: await start(createServer({ models: { cnn: cnn() }, signatures: cnnSig, log: () => undefined })), on: await start(createServer({ models: { cnn: cnn() }, signatures: cnnSig, batching, log: () => undefined })) },
    registry: await start(createServer({ registry: dir, batching, pollMs: 0, log: () => undefined })),
  };
  process.send!(ports);
  process.on('message', async (m) => {
    if (m === 'cpu') {
      const u = process.cpuUsage();
      process.send!({ cpu: u.user + u.system });
    } else if (m === 'stop') {
      await Promise.all(servers.map((s) => s.close()));
      process.exit(0);
    }
  });
}

/**
 * `count` request bodies of one row each: JSON, or (`binary`) the binary tensor data extension's
 * form (a JSON header with `binary_data_size`, then the float32 bytes), as Triton's and KServe's
 * clients send numpy arrays.
 */
function inferBodies(family: Family, count = 8, binary = false): AutocannonRequest[] {
  const shape = FAMILIES[family].shape;
  const n = (shape as readonly number[]).reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, (_, i): AutocannonRequest => {
    const rng = new Generator(100 + i);
    const data = Array.from({ length: n }, () => Math.round(rng.normal() * 1000) / 1000);
    const path = `/v2/models/${family}/infer`;
    if (!binary) return { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [{ name: 'input', shape, datatype: 'FP32', data }] }) };
    const json = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape, datatype: 'FP32', parameters: { binary_data_size: 4 * n } }] }));
    const bytes = Buffer.from(Float32Array.from(data).buffer);
    return { method: 'POST', path, headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(json.length) }, body: Buffer.concat([json, bytes]) };
  });
}

const med = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const span = (xs: number[], d = 0): string => (xs.length === 1 ? xs[0].toFixed(d) : `${med(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`);
const load = (): string => machineInfo().replace(/.*load average /, 'load average ');

/** Starts the bin with `--workers n` on a free port; resolves with its port once every worker listens. */
async function startBin(dir: string, n: number): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', BIN, 'serve', '--registry', dir, '--port', '0', '--host', '127.0.0.1', '--workers', String(n),
    '--max-batch-size', String(BATCHING.maxBatchSize), '--max-delay-ms', String(BATCHING.maxDelayMs), '--poll-ms', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tensorkit serve --workers ${n} did not listen within 60 s: ${err}`)), 60_000);
    proc.stdout!.on('data', () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    proc.once('exit', (code) => reject(new Error(`tensorkit serve --workers ${n} exited with ${code}: ${err}`)));
  });
  return { proc, port };
}

async function stopBin(proc: ChildProcess): Promise<number | null> {
  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  proc.kill('SIGTERM');
  return exit;
}

/** The notes bench/run.ts writes under the table; {@link benchServe} appends what it measured. */
export const serveNotes: string[] = [
  `serve (bench/serve.ts): tensorkit/serve on 127.0.0.1 under autocannon (in the parent process; the servers in a child process), one row per request (batch 1), keep-alive connections, 8 distinct request bodies cycled. MLP ${IN}-${HIDDEN}-${HIDDEN}-${OUT} (ReLU), CNN conv 1→8 3×3 same + ReLU → max pool 2 → conv 8→16 + ReLU → max pool 2 → dense 10 on 1×28×28, eval mode, default backend. Batching on: maxBatchSize ${BATCHING.maxBatchSize}, maxDelayMs ${BATCHING.maxDelayMs}; off: no batcher; both servers of a family in the same process. Each cell: autocannon runs of a few seconds in rounds, off and on alternating within a round (order flipped each round); figure = median over rounds of requests/s; p50/p99 = medians of autocannon's per-run percentiles (whole milliseconds). "server CPU" rows: requests per second of the server process's CPU time (user + system from process.cpuUsage before and after each run, over the requests it answered), which depends far less on what else runs on the machine than requests/s does. The machine has 2 cores shared with other work: autocannon, the server and everything else compete for them, so under load requests/s spreads widely between rounds; the per-round on/off ratios below pair runs made seconds apart.`,
];

/**
 * Runs the four measurements; returns the table rows (batching on vs off per family and
 * concurrency, --workers 2 vs 1) and appends the measured robustness results to {@link serveNotes}.
 */
export async function benchServe({ duration = 3, rounds = 3, delayMs = BATCHING.maxDelayMs, print = false } = {}): Promise<BenchRow[]> {
  const say = (s: string): void => {
    if (print) console.log(s);
  };
  const watchdog = setTimeout(() => {
    console.error('bench/serve: over 15 min, giving up');
    process.exit(1);
  }, 15 * 60_000);
  watchdog.unref();
  const root = await mkdtemp(path.join(tmpdir(), 'tk-bench-serve-'));
  const rows: BenchRow[] = [];
  const procs: ChildProcess[] = [];
  try {
    const regDir = path.join(root, 'rollback'), binDir = path.join(root, 'workers');
    const rollbackReg = new ModelRegistry(regDir);
    await rollbackReg.save('mlp', mlp(0));
    await rollbackReg.save('mlp', mlp(1));
    await new ModelRegistry(binDir).save('mlp', mlp(0));

    const proc = fork(fileURLToPath(import.meta.url), ['--child', regDir, String(delayMs)], { execArgv: ['--import', 'tsx'] });
    procs.push(proc);
    const ports = await new Promise<Ports>((r) => proc.once('message', (m) => r(m as Ports)));
    /** The child's CPU time so far (user + system, all its threads), in µs. */
    const cpu = (): Promise<number> => new Promise((r) => {
      proc.once('message', (m) => r((m as { cpu: number }).cpu));
      proc.send('cpu');
    });
    const bodies = { mlp: inferBodies('mlp'), cnn: inferBodies('cnn'), cnnBinary: inferBodies('cnn', 8, true) };
    const url = (port: number): string => `http://127.0.0.1:${port}`;
    const startLoad = load();
    const started = new Date().toISOString();
    say(`# tensorkit/serve under autocannon (loopback), batch 1 per request; ${machineInfo()}`);
    say(`# batching on: maxBatchSize ${BATCHING.maxBatchSize}, maxDelayMs ${delayMs}; ${rounds} rounds of ${duration} s per cell, off and on interleaved\n`);

    // Warm-up (JIT, first allocations) on every server; not recorded.
    for (const w of WORKLOAD_NAMES) for (const m of ['off', 'on'] as const) await autocannon({ url: url(ports[WORKLOADS[w].family][m]), connections: 16, duration: 1, requests: bodies[w] });

    // 1. Throughput and latency.
    const cells = new Map<string, AutocannonResult[]>();
    const cpuPer = new Map<string, number[]>();
    for (let r = 0; r < rounds; r++) {
      for (const f of WORKLOAD_NAMES) {
        for (const c of CONCURRENCY) {
          for (const mode of (r % 2 === 0 ? ['off', 'on'] : ['on', 'off']) as Mode[]) {
            const c0 = await cpu();
            const res = await autocannon({ url: url(ports[WORKLOADS[f].family][mode]), connections: c, duration, requests: bodies[f], timeout: 30 });
            const c1 = await cpu();
            const k = `${f}|${c}|${mode}`;
            cells.set(k, [...(cells.get(k) ?? []), res]);
            cpuPer.set(k, [...(cpuPer.get(k) ?? []), (c1 - c0) / Math.max(1, res.requests.total)]);
          }
        }
      }
    }
    say('| model | concurrency | batching | requests/s | on/off | p50 ms | p99 ms | mean ms (c / rate) | server CPU µs/request | off/on CPU | non-2xx | errors |');
    say('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const f of WORKLOAD_NAMES) {
      for (const c of CONCURRENCY) {
        const on = cells.get(`${f}|${c}|on`)!, off = cells.get(`${f}|${c}|off`)!;
        const ratios = on.map((x, i) => x.requests.average / off[i].requests.average);
        const cpuOn = cpuPer.get(`${f}|${c}|on`)!, cpuOff = cpuPer.get(`${f}|${c}|off`)!;
        const cpuRatios = cpuOff.map((x, i) => x / cpuOn[i]);
        for (const mode of ['off', 'on'] as const) {
          const rs = mode === 'on' ? on : off;
          const rate = rs.map((x) => x.requests.average);
          say(`| ${WORKLOADS[f].label} | ${c} | ${mode} | ${span(rate)} | ${mode === 'on' ? `${span(ratios, 2)}×` : ''} | ${span(rs.map((x) => x.latency.p50))} | ${span(rs.map((x) => x.latency.p99))} | ${span(rate.map((x) => (1000 * c) / x), 2)} | ${span(mode === 'on' ? cpuOn : cpuOff)} | ${mode === 'on' ? `${span(cpuRatios, 2)}×` : ''} | ${rs.reduce((n, x) => n + x.non2xx, 0)} | ${rs.reduce((n, x) => n + x.errors + x.timeouts, 0)} |`);
        }
        const lat = (rs: AutocannonResult[]): string => `${med(rs.map((x) => x.latency.p50))}/${med(rs.map((x) => x.latency.p99))}`;
        const row = makeRow(`serve ${WORKLOADS[f].label}, batching on vs off`, `c ${c}; p50/p99 ms on ${lat(on)}, off ${lat(off)}`, 'requests/s', med(on.map((x) => x.requests.average)), { 'batching off': med(off.map((x) => x.requests.average)) });
        rows.push(row);
        if (c === 64) rows.push(makeRow(`serve ${WORKLOADS[f].label}, batching on vs off, server CPU`, `c ${c}`, 'requests/CPU-s', 1e6 / med(cpuOn), { 'batching off': 1e6 / med(cpuOff) }));
        if (c === 64) serveNotes.push(`serve ${WORKLOADS[f].label} at concurrency 64: batching on/off ${med(ratios).toFixed(2)}× in requests/s (per-round ratios ${ratios.map((x) => x.toFixed(2)).join(', ')}); server CPU per request ${med(cpuOff).toFixed(0)} µs off, ${med(cpuOn).toFixed(0)} µs on (off/on per round ${cpuRatios.map((x) => x.toFixed(2)).join(', ')}); ${startLoad} at the start (${started}).`);
      }
    }

    // 2. 10 000 requests, every tenth malformed (the request list cycles per connection).
    const broken: AutocannonRequest = { method: 'POST', path: '/v2/models/mlp/infer', headers: { 'content-type': 'application/json' }, body: '{"inputs": [{"name": "input", "shape": [1, 64], "datatype": "FP32", "data": [1, 2' };
    const malformed = [...bodies.mlp, bodies.mlp[0], broken];
    for (const mode of ['off', 'on'] as const) {
      const port = ports.mlp[mode];
      const res = await autocannon({ url: url(port), connections: 10, amount: 10_000, requests: malformed, timeout: 30 });
      const codes = Object.fromEntries(Object.entries(res.statusCodeStats).map(([k, v]) => [k, v.count]));
      const total = Object.values(codes).reduce((a, b) => a + b, 0);
      const fivexx = Object.entries(codes).filter(([k]) => k.startsWith('5')).reduce((n, [, v]) => n + v, 0);
      const ready = (await fetch(`${url(port)}/v2/health/ready`)).status;
      const line = `serve, 10 000 requests with every tenth malformed (truncated JSON), 10 connections, MLP, batching ${mode}: status codes ${JSON.stringify(codes)}, answered ${total} of 10 000, 5xx ${fivexx}, errors ${res.errors}, timeouts ${res.timeouts}, /v2/health/ready afterwards ${ready}.`;
      say(`\n${line}`);
      serveNotes.push(line);
    }

    // 3. Promote / rollback of the registry default during load.
    const versions: Record<string, number> = {};
    const admin: Record<string, number> = {};
    let stop = false;
    const flip = (async () => {
      for (let i = 0; !stop; i++) {
        const action = i % 2 === 0 ? 'promote' : 'rollback';
        const r = await fetch(`${url(ports.registry)}/v2/repository/models/mlp/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: action === 'promote' ? '{"version": "1"}' : '' });
        await r.text();
        admin[`${action} ${r.status}`] = (admin[`${action} ${r.status}`] ?? 0) + 1;
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    const rb = await autocannon({
      url: url(ports.registry), connections: 16, duration: Math.max(4, duration), requests: bodies.mlp, timeout: 30,
      verifyBody: (body) => {
        const v = /"model_version":"([^"]*)"/.exec(body)?.[1] ?? 'none';
        versions[v] = (versions[v] ?? 0) + 1;
        return v === '1' || v === '2';
      },
    });
    stop = true;
    await flip;
    const rbLine = `serve, promote to version 1 / rollback to 2 through the admin endpoint every 100 ms during load (registry of two MLP versions, batching on, 16 connections, ${Math.max(4, duration)} s): ${rb.requests.total} requests, non-2xx ${rb.non2xx}, errors ${rb.errors}, timeouts ${rb.timeouts}, responses without a version ${rb.mismatches}; responses by model_version ${JSON.stringify(versions)}; admin calls ${JSON.stringify(admin)}.`;
    say(`\n${rbLine}`);
    serveNotes.push(rbLine);
    proc.send('stop');
    await new Promise((r) => proc.once('exit', r));
    procs.length = 0;

    // 4. The bin with --workers 2 against --workers 1, both up at once, runs alternating.
    const w1 = await startBin(binDir, 1);
    procs.push(w1.proc);
    const w2 = await startBin(binDir, 2);
    procs.push(w2.proc);
    const wr: Record<'1' | '2', AutocannonResult[]> = { 1: [], 2: [] };
    for (const b of [w1, w2]) await autocannon({ url: url(b.port), connections: 16, duration: 1, requests: bodies.mlp });
    for (let r = 0; r < rounds; r++) {
      for (const n of (r % 2 === 0 ? ['1', '2'] : ['2', '1']) as ('1' | '2')[]) {
        wr[n].push(await autocannon({ url: url((n === '1' ? w1 : w2).port), connections: 64, duration, requests: bodies.mlp, timeout: 30 }));
      }
    }
    const exits = [await stopBin(w1.proc), await stopBin(w2.proc)];
    procs.length = 0;
    const wRatios = wr[2].map((x, i) => x.requests.average / wr[1][i].requests.average);
    const fails = (n: '1' | '2'): number => wr[n].reduce((k, x) => k + x.non2xx + x.errors + x.timeouts, 0);
    say(`\n| tensorkit serve (MLP, batching on, c 64) | requests/s | p50 ms | p99 ms | failed |\n|---|---|---|---|---|`);
    for (const n of ['1', '2'] as const) say(`| --workers ${n} | ${span(wr[n].map((x) => x.requests.average))} | ${span(wr[n].map((x) => x.latency.p50))} | ${span(wr[n].map((x) => x.latency.p99))} | ${fails(n)} |`);
    rows.push(makeRow(`serve bin --workers 2 vs 1 (MLP ${IN}-${HIDDEN}-${HIDDEN}-${OUT}, batching on)`, 'c 64', 'requests/s', med(wr[2].map((x) => x.requests.average)), { '--workers 1': med(wr[1].map((x) => x.requests.average)) }));
    const wLine = `serve bin: \`tensorkit serve --registry DIR --workers N --max-batch-size ${BATCHING.maxBatchSize} --max-delay-ms ${BATCHING.maxDelayMs}\` started as a child process (node:cluster, round-robin) on a free port, both up at once, runs alternating at concurrency 64: --workers 2 / --workers 1 ${med(wRatios).toFixed(2)}× (per-round ${wRatios.map((x) => x.toFixed(2)).join(', ')}); failed requests ${fails('1')} and ${fails('2')}; exit codes after SIGTERM ${exits.join(', ')}. With 2 cores, the second worker competes with autocannon for the second core. ${load()} at the end.`;
    say(`\n${wLine}`);
    serveNotes.push(wLine);
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    clearTimeout(watchdog);
    await rm(root, { recursive: true, force: true });
  }
  return rows;
}

if (isMain(import.meta.url)) {
  const i = process.argv.indexOf('--child');
  if (i >= 0) void child(process.argv[i + 1], Number(process.argv[i + 2]));
  else {
    const args = process.argv.slice(2);
    const arg = (name: string, d: number): number => {
      const k = args.indexOf(`--${name}`);
      return k >= 0 ? Number(args[k + 1]) : d;
    };
    const rows = await benchServe({ duration: arg('duration-s', 3), rounds: arg('rounds', 3), delayMs: arg('delay-ms', BATCHING.maxDelayMs), print: true });
    // What bench/run.ts would put into RESULTS.md for this suite.
    console.log(`\n${toMarkdown(rows)}\n\n${serveNotes.map((n) => `- ${n}`).join('\n')}`);
  }
}
