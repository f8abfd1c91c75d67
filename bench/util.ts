import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One measured case: our figure, each peer's figure in the same unit, and ours/peer per peer. */
export interface BenchRow {
  /** Case name, e.g. `gemm NN`. */
  name: string;
  /** Problem size as shown in the table, e.g. `512` or `256×512×128`. */
  size: string;
  /** Our figure in `unit` (higher is better). */
  ours: number;
  /** Peer name → figure in `unit`, measured in the same process. */
  peers: Record<string, number>;
  /** Unit of `ours` and `peers`, e.g. `GFLOP/s`. */
  unit: string;
  /** Peer name → ours / peer (above 1 means we are faster). */
  ratio: Record<string, number>;
}

/** A bench module as `bench/run.ts` lists them. */
export interface BenchSuite {
  name: string;
  run: () => Promise<BenchRow[]>;
  /** Lines of methodology printed under the table. */
  notes: string[];
}

export interface MeasureOptions {
  /** Keep repeating until this much time has been spent in timed calls. */
  budgetMs?: number;
  /** Timed calls at least (the untimed warm-up call not counted). */
  minRuns?: number;
  /** Skip the untimed warm-up call (when an earlier call already compiled the code). */
  warmup?: boolean;
  /**
   * What a call's time is: `'wall'` (default) or `'cpu'`, the process's user + system CPU time
   * (for one-thread cases on a loaded machine, where wall time mostly measures the wait for a core).
   */
  clock?: 'wall' | 'cpu';
}

/** Milliseconds on the chosen clock. */
function now(clock: 'wall' | 'cpu'): number {
  if (clock === 'wall') return performance.now();
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** Best (minimum) wall time in seconds of `fn` after one warm-up call, over a time budget. */
export function measure(fn: () => void, { budgetMs = 300, minRuns = 2, warmup = true, clock = 'wall' }: MeasureOptions = {}): number {
  if (warmup) fn();
  let best = Infinity;
  let spent = 0;
  for (let runs = 0; runs < minRuns || spent < budgetMs; runs++) {
    const t0 = now(clock);
    fn();
    const dt = now(clock) - t0;
    if (dt < best) best = dt;
    spent += dt;
  }
  return best / 1000;
}

/**
 * Measures several implementations of one case in alternating rounds and keeps each one's best
 * time: on a shared machine the load drifts, and alternating gives every contender the same
 * chances at a quiet moment.
 */
export function measureInterleaved(
  fns: Record<string, () => void>, rounds: number, opts: MeasureOptions = {},
): Record<string, number> {
  const best: Record<string, number> = {};
  for (let r = 0; r < rounds; r++) {
    for (const name of Object.keys(fns)) {
      const t = measure(fns[name], { ...opts, warmup: r === 0 && opts.warmup !== false });
      if (!(name in best) || t < best[name]) best[name] = t;
    }
  }
  return best;
}

/** {@link measure} for a step that returns a promise (tfjs-layers' `trainOnBatch`): best wall time in seconds. */
export async function measureAsync(
  fn: () => Promise<void>, { budgetMs = 300, minRuns = 2, warmup = true }: MeasureOptions = {},
): Promise<number> {
  if (warmup) await fn();
  let best = Infinity;
  let spent = 0;
  for (let runs = 0; runs < minRuns || spent < budgetMs; runs++) {
    const t0 = performance.now();
    await fn();
    const dt = performance.now() - t0;
    if (dt < best) best = dt;
    spent += dt;
  }
  return best / 1000;
}

/** {@link measureInterleaved} for steps that return promises; each contender's best time in seconds. */
export async function measureInterleavedAsync(
  fns: Record<string, () => Promise<void>>, rounds: number, opts: MeasureOptions = {},
): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  for (let r = 0; r < rounds; r++) {
    for (const name of Object.keys(fns)) {
      const t = await measureAsync(fns[name], { ...opts, warmup: r === 0 && opts.warmup !== false });
      if (!(name in best) || t < best[name]) best[name] = t;
    }
  }
  return best;
}

/** Builds a row from figures where higher is better (throughput). */
export function makeRow(name: string, size: string, unit: string, ours: number, peers: Record<string, number>): BenchRow {
  const ratio: Record<string, number> = {};
  for (const p of Object.keys(peers)) ratio[p] = ours / peers[p];
  return { name, size, ours, peers, unit, ratio };
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return '—';
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** Markdown table of rows: one column per peer figure, then one per ratio. */
export function toMarkdown(rows: BenchRow[]): string {
  // One column per peer stops being readable past a handful of peers; each row lists its own
  // peers instead, as "name figure (ours/peer)".
  const head = ['case', 'size', 'unit', 'tensorkit', 'peers: figure (tensorkit / peer)'];
  const lines = [`| ${head.join(' | ')} |`, '|---|---|---|---:|---|'];
  for (const r of rows) {
    const peers = Object.keys(r.peers).map((p) => `${p} ${fmt(r.peers[p])} (${Number.isFinite(r.ratio[p]) ? `${r.ratio[p].toFixed(1)}×` : '—'})`);
    lines.push(`| ${[r.name, r.size, r.unit, fmt(r.ours), peers.join('; ') || '—'].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** One line describing the machine: CPU model, cores, Node version, load average at the time. */
export function machineInfo(): string {
  const cpus = os.cpus();
  const load = os.loadavg().map((x) => x.toFixed(2)).join(', ');
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}, ` +
    `${os.platform()} ${os.release()}, load average ${load}`;
}

/** True when the module at `metaUrl` is the script Node was started with (tsx bench/x.ts). */
export function isMain(metaUrl: string): boolean {
  return process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(metaUrl);
}

/** Seeded values uniform in [−scale/2, scale/2) (a 32-bit LCG): the inputs every bench feeds both contenders. */
export function randomData(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * scale;
  }
  return out;
}
