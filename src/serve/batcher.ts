import type { Plain } from './signature';

/** Options of dynamic micro-batching. @category Serve */
export interface BatchingOptions {
  /** Most rows (sum of the requests' batch axes) stacked into one forward pass (default 32). */
  maxBatchSize?: number;
  /** Longest a request waits for others to join its batch, in ms (default 2; 0 batches what arrived in the same tick). */
  maxDelayMs?: number;
}

interface Pending {
  inputs: Plain[];
  rows: number;
  resolve: (out: { outputs: Plain[]; batchSize: number }) => void;
  reject: (e: unknown) => void;
}

interface Queue {
  items: Pending[];
  rows: number;
  timer: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | null;
  /** Whether `timer` is an immediate (run this tick) rather than the maxDelayMs timeout. */
  immediate: boolean;
  /** Rows of this group's last pass: fewer queued wait (up to maxDelayMs) for the rest of them. */
  lastRows: number;
}

/**
 * Stacks concurrent requests to one model version on the batch axis (axis 0) into one forward
 * pass and splits the outputs again by each request's rows. Requests are grouped by the shape of
 * their non-batch axes (only equal ones stack). A group runs when it holds `maxBatchSize` rows,
 * when no other request to this version is still arriving (announced but not submitted: nothing
 * to wait for, so a lone request does not wait) and it holds at least as many rows as its last
 * pass (fewer: that pass's clients are likely between a response and their next request), or
 * `maxDelayMs` after its first request; a request of `maxBatchSize` rows or more runs alone.
 * When a stacked pass throws, each request of it is run alone, so one bad request fails only
 * itself.
 */
export class Batcher {
  private readonly queues = new Map<string, Queue>();
  // Requests to this version that have arrived and are still being read: worth waiting for.
  private arriving = 0;

  constructor(
    private readonly run: (inputs: Plain[]) => Plain[],
    private readonly maxBatchSize: number,
    private readonly maxDelayMs: number,
    private readonly onBatch: (size: number) => void,
  ) {}

  /** A request to this version arrived (its body is being read); {@link submit} or {@link withdraw} follows. */
  announce(): void {
    this.arriving++;
  }

  /** An announced request will not be submitted (its body was refused). */
  withdraw(): void {
    this.arriving--;
    if (this.arriving === 0) this.flushSoon();
  }

  /**
   * With no request left arriving, run what is queued in this tick, unless a group holds fewer
   * rows than its last pass: then the clients of that pass are likely between a response and
   * their next request, and the group keeps waiting for them (at most maxDelayMs after its first).
   */
  private flushSoon(): void {
    for (const q of this.queues.values()) {
      if (q.items.length === 0 || q.immediate || q.rows < q.lastRows) continue;
      if (q.timer !== null) clearTimeout(q.timer as ReturnType<typeof setTimeout>);
      q.timer = setImmediate(() => this.flush(q));
      q.immediate = true;
    }
  }

  /** Queues one announced request (inputs in signature order, each with the same batch axis). */
  submit(inputs: Plain[]): Promise<{ outputs: Plain[]; batchSize: number }> {
    this.arriving--;
    const rows = inputs[0].shape[0];
    if (rows >= this.maxBatchSize) {
      if (this.arriving === 0) this.flushSoon();
      try {
        const outputs = this.run(inputs);
        this.onBatch(rows);
        return Promise.resolve({ outputs, batchSize: rows });
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const key = inputs.map((p) => p.shape.slice(1).join('x')).join('|');
    return new Promise((resolve, reject) => {
      let q = this.queues.get(key);
      if (q === undefined) {
        q = { items: [], rows: 0, timer: null, immediate: false, lastRows: 0 };
        this.queues.set(key, q);
      }
      if (q.rows + rows > this.maxBatchSize) this.flush(q);
      q.items.push({ inputs, rows, resolve, reject });
      q.rows += rows;
      if (q.rows >= this.maxBatchSize) this.flush(q);
      else if (this.arriving === 0 && !q.immediate && q.rows >= q.lastRows) this.flushSoon();
      else if (q.timer === null) {
        const fire = (): void => this.flush(q!);
        q.immediate = this.maxDelayMs === 0;
        q.timer = this.maxDelayMs > 0 ? setTimeout(fire, this.maxDelayMs) : setImmediate(fire);
      }
    });
  }

  private flush(q: Queue): void {
    if (q.timer !== null) {
      if (q.immediate) clearImmediate(q.timer as ReturnType<typeof setImmediate>);
      else clearTimeout(q.timer as ReturnType<typeof setTimeout>);
      q.timer = null;
    }
    q.immediate = false;
    const items = q.items;
    const total = q.rows;
    q.items = [];
    q.rows = 0;
    if (items.length === 0) return;
    q.lastRows = total;
    if (items.length === 1) {
      this.runAlone(items[0]);
      return;
    }
    let outputs: Plain[];
    try {
      outputs = this.run(stack(items.map((p) => p.inputs), total));
    } catch {
      for (const p of items) this.runAlone(p);
      return;
    }
    this.onBatch(total);
    let offset = 0;
    for (const p of items) {
      p.resolve({ outputs: outputs.map((o) => sliceRows(o, offset, p.rows, total)), batchSize: total });
      offset += p.rows;
    }
  }

  private runAlone(p: Pending): void {
    try {
      const outputs = this.run(p.inputs);
      this.onBatch(p.rows);
      p.resolve({ outputs, batchSize: p.rows });
    } catch (e) {
      p.reject(e);
    }
  }
}

/** Concatenates each input of several requests along axis 0 (row-major: the flat data back to back). */
function stack(requests: Plain[][], total: number): Plain[] {
  return requests[0].map((first, j) => {
    const rowSize = first.data.length / first.shape[0];
    const data = new Float32Array(total * rowSize);
    let off = 0;
    for (const r of requests) {
      data.set(r[j].data, off);
      off += r[j].data.length;
    }
    return { data, shape: [total, ...first.shape.slice(1)] };
  });
}

/**
 * Rows [offset, offset + rows) of a stacked output whose axis 0 has `total` rows (checked by `run`),
 * as a view: the requests of one pass share the output's storage, which nothing writes after the pass.
 */
function sliceRows(o: Plain, offset: number, rows: number, total: number): Plain {
  const rowSize = total === 0 ? 0 : o.data.length / total;
  return { data: o.data.subarray(offset * rowSize, (offset + rows) * rowSize), shape: [rows, ...o.shape.slice(1)] };
}
