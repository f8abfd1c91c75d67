// Prometheus text exposition format (version 0.0.4): one `# HELP` and `# TYPE` per family, base
// units (seconds), counters ending in `_total`, histograms as cumulative `_bucket{le=…}` series
// ending in `le="+Inf"`, with `_sum` and `_count`.

type Labels = Record<string, string>;

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const keyOf = (labels: Labels): string => Object.keys(labels).sort().map((k) => `${k}="${escapeLabel(labels[k])}"`).join(',');
const fmt = (v: number): string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

interface Family {
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  series: Map<string, number>;
  buckets?: number[];
  hist?: Map<string, { counts: number[]; sum: number; count: number }>;
}

/** The request latency buckets, in seconds. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** The batch size buckets, in rows. */
export const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** A small metrics registry: counters, gauges and histograms by name and labels. */
export class Metrics {
  private readonly families = new Map<string, Family>();

  private family(name: string, type: Family['type'], help: string, buckets?: number[]): Family {
    let f = this.families.get(name);
    if (f === undefined) {
      f = { help, type, series: new Map(), buckets, hist: type === 'histogram' ? new Map() : undefined };
      this.families.set(name, f);
    }
    return f;
  }

  /** Adds `by` to a counter. */
  inc(name: string, help: string, labels: Labels, by = 1): void {
    const f = this.family(name, 'counter', help);
    const k = keyOf(labels);
    f.series.set(k, (f.series.get(k) ?? 0) + by);
  }

  /** Sets a gauge. */
  set(name: string, help: string, labels: Labels, v: number): void {
    this.family(name, 'gauge', help).series.set(keyOf(labels), v);
  }

  /** Removes every series of a gauge (before it is set afresh). */
  clear(name: string): void {
    this.families.get(name)?.series.clear();
  }

  /** Records one observation in a histogram. */
  observe(name: string, help: string, buckets: number[], labels: Labels, v: number): void {
    const f = this.family(name, 'histogram', help, buckets);
    const k = keyOf(labels);
    let h = f.hist!.get(k);
    if (h === undefined) {
      h = { counts: new Array<number>(buckets.length).fill(0), sum: 0, count: 0 };
      f.hist!.set(k, h);
    }
    for (let i = 0; i < buckets.length; i++) if (v <= buckets[i]) h.counts[i]++;
    h.sum += v;
    h.count++;
  }

  /** The value of one series (tests and the bench read it); 0 when absent. */
  value(name: string, labels: Labels): number {
    return this.families.get(name)?.series.get(keyOf(labels)) ?? 0;
  }

  /** Everything in the text exposition format. */
  render(): string {
    const lines: string[] = [];
    for (const [name, f] of this.families) {
      lines.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      if (f.type !== 'histogram') {
        for (const [k, v] of f.series) lines.push(`${name}${k === '' ? '' : `{${k}}`} ${fmt(v)}`);
        continue;
      }
      for (const [k, h] of f.hist!) {
        const pre = k === '' ? '' : `${k},`;
        for (let i = 0; i < f.buckets!.length; i++) lines.push(`${name}_bucket{${pre}le="${f.buckets![i]}"} ${h.counts[i]}`);
        lines.push(`${name}_bucket{${pre}le="+Inf"} ${h.count}`);
        lines.push(`${name}_sum${k === '' ? '' : `{${k}}`} ${fmt(h.sum)}`, `${name}_count${k === '' ? '' : `{${k}}`} ${h.count}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}
