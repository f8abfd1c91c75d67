import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShapeError, Tensor } from '../../src/tensor/index';
import { hashApiKey, type MonitorLike } from '../../src/serve/index';
import { verifyAuditLog } from '../../src/io/index';
import { IntegrityError } from '../../src/tensor/index';
import { direct, mlp, start } from './helpers';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tk-serve-obs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const req = (data: number[]) => ({ inputs: [{ name: 'input', shape: [data.length / 3, 3], datatype: 'FP32', data }] });

/** Parses Prometheus text exposition format strictly enough to catch malformed lines: name{labels} value. */
function parseExposition(text: string): { types: Map<string, string>; samples: { name: string; labels: Record<string, string>; value: number }[] } {
  const types = new Map<string, string>();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.trimEnd().split('\n')) {
    if (line.startsWith('# HELP ')) continue;
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t !== null) {
      types.set(t[1], t[2]);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(m, `malformed sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const l of (m![2] ?? '').match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []) {
      const eq = l.indexOf('=');
      labels[l.slice(0, eq)] = l.slice(eq + 2, -1);
    }
    const v = m![3] === '+Inf' ? Infinity : Number(m![3]);
    expect(Number.isNaN(v) && m![3] !== 'NaN', line).toBe(false);
    samples.push({ name: m![1], labels, value: v });
  }
  return { types, samples };
}

describe('GET /metrics', () => {
  it('exposes counters by model, version and code, a latency histogram with +Inf, batch sizes and in-flight requests', async () => {
    const { client, base } = await start({ models: { m: mlp() } });
    await client.infer('m', req([1, 2, 3]));
    await client.infer('m', req([1, 2, 3, 4, 5, 6]));
    await client.raw('POST', 'v2/models/m/infer', '{');
    await client.raw('GET', 'v2/models/zzz');
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const { types, samples } = parseExposition(await res.text());
    const get = (name: string, labels: Record<string, string>) => samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(types.get('tensorkit_requests_total')).toBe('counter');
    expect(get('tensorkit_requests_total', { endpoint: 'infer', model: 'm', version: '1', code: '200' })).toBe(2);
    expect(get('tensorkit_requests_total', { endpoint: 'infer', model: 'm', version: '1', code: '400' })).toBe(1);
    expect(get('tensorkit_requests_total', { endpoint: 'model_metadata', model: 'zzz', code: '404' })).toBe(1);
    expect(types.get('tensorkit_request_duration_seconds')).toBe('histogram');
    const buckets = samples.filter((s) => s.name === 'tensorkit_request_duration_seconds_bucket' && s.labels.endpoint === 'infer');
    expect(buckets[buckets.length - 1].labels.le).toBe('+Inf');
    expect(buckets[buckets.length - 1].value).toBe(3);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);
    expect(get('tensorkit_request_duration_seconds_count', { endpoint: 'infer', model: 'm' })).toBe(3);
    expect(get('tensorkit_batch_size_sum', { model: 'm', version: '1' })).toBe(3);
    expect(get('tensorkit_batch_size_count', { model: 'm', version: '1' })).toBe(2);
    // The metrics request itself is in flight.
    expect(types.get('tensorkit_in_flight_requests')).toBe('gauge');
    expect(get('tensorkit_in_flight_requests', {})).toBe(1);
    expect(get('tensorkit_model_ready', { model: 'm' })).toBe(1);
  });
});

describe('the audit log', () => {
  it('appends who, what, when and which version for each admin action, chained by SHA-256, across restarts', async () => {
    const ROOT = 'root-key-0123456789abcdef';
    const path = join(dir, 'audit.jsonl');
    const opts = { models: { m: { versions: { '1': mlp(1), '2': mlp(2) }, defaultVersion: '2' } }, auth: { keys: [{ id: 'ops', sha256: hashApiKey(ROOT), scopes: ['admin'] }] }, audit: path };
    const first = await start(opts, { authorization: `Bearer ${ROOT}` });
    expect((await first.client.raw('POST', 'v2/repository/models/m/promote', { version: '1' })).status).toBe(200);
    expect((await first.client.raw('POST', 'v2/repository/models/m/promote', { version: '9' })).status).toBe(404);
    await first.client.unload('m');
    await first.server.close();
    const second = await start(opts, { authorization: `Bearer ${ROOT}` });
    await second.client.load('m');
    const text = await readFile(path, 'utf8');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.actor, l.action, l.details.model, l.details.version, l.details.previous, l.details.ok])).toEqual([
      ['ops', 'promote', 'm', '1', '2', true],
      ['ops', 'promote', 'm', '9', '1', false],
      ['ops', 'unload', 'm', '1', '1', true],
      ['ops', 'load', 'm', '2', '2', true],
    ]);
    expect(lines[1].details.error).toMatch(/version 9 does not exist/);
    expect(Number.isNaN(Date.parse(lines[0].time))).toBe(false);
    expect(await verifyAuditLog(text)).toMatchObject({ valid: true, head: { count: 4 } });
    await second.server.close();
    // Editing a line breaks the chain at that line, and a server refuses to append to it.
    const tampered = text.replace('"ok":false', '"ok":true');
    expect((await verifyAuditLog(tampered)).error?.line).toBe(2);
    await writeFile(path, tampered);
    await expect(start(opts, { authorization: `Bearer ${ROOT}` })).rejects.toBeInstanceOf(IntegrityError);
  });
});

describe('the monitor hook', () => {
  class Recorder implements MonitorLike {
    calls: Parameters<MonitorLike['observe']>[0][] = [];
    observe(o: Parameters<MonitorLike['observe']>[0]): void {
      this.calls.push(o);
    }
    report() {
      return { features: [{ name: 'f0', psi: 0.31, drifted: true }, { name: 'f1', psi: 0.02, drifted: false }], window: this.calls.length, note: NaN };
    }
  }

  it('is fed each request, serves its report at /v2/models/{name}/monitor and drift gauges on /metrics', async () => {
    const model = mlp();
    const rec = new Recorder();
    const { client, base } = await start({ models: { m: model }, monitor: { m: rec } });
    const rows = [[1, 2, 3], [-1, 0, 1]];
    await client.infer('m', req(rows.flat()));
    expect(rec.calls).toHaveLength(1);
    const c = rec.calls[0];
    expect(c.inputs).toEqual(rows);
    const out = direct(model, rows);
    expect(c.predictions).toEqual([out.slice(0, 2), out.slice(2, 4)]);
    expect(c.error).toBe(false);
    expect(c.latencyMs).toBeGreaterThanOrEqual(0);
    const r = await client.raw('GET', 'v2/models/m/monitor');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ features: [{ name: 'f0', psi: 0.31, drifted: true }, { name: 'f1', psi: 0.02, drifted: false }], window: 1, note: 'NaN' });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('tensorkit_drift_psi{feature="f0",model="m"} 0.31');
    expect(text).toContain('tensorkit_drift_detected{feature="f0",model="m"} 1');
    expect(text).toContain('tensorkit_drift_detected{feature="f1",model="m"} 0');
    expect((await client.raw('GET', 'v2/models/zzz/monitor')).status).toBe(404);
  });

  it('records failed inferences as errors, one number per row for a single-output column, and survives a monitor that throws', async () => {
    const picky = { forward(x: Tensor): Tensor {
      if (x.data[0] === 42) throw new ShapeError('Picky.forward: 42');
      return x;
    } };
    const rec = new Recorder();
    const broken: MonitorLike = { observe: () => { throw new Error('monitor down'); }, report: () => { throw new Error('monitor down'); } };
    const sig = { inputs: [{ name: 'x', shape: [-1, 1] }] };
    const { client, base } = await start({ models: { p: picky, q: picky }, signatures: { p: sig, q: sig }, monitor: { p: rec, q: broken } });
    const body = (v: number) => ({ inputs: [{ name: 'x', shape: [2, 1], datatype: 'FP32', data: [v, 5] }] });
    await client.infer('p', body(1));
    expect((await client.raw('POST', 'v2/models/p/infer', body(42))).status).toBe(400);
    expect(rec.calls.map((c) => [c.inputs, c.predictions, c.error])).toEqual([[[[1], [5]], [1, 5], false], [[[42], [5]], undefined, true]]);
    expect((await client.infer('q', body(1))).outputs[0].data).toEqual([1, 5]);
    expect((await client.raw('GET', 'v2/models/q/monitor')).status).toBe(500);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
  });
});
