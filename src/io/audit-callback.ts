import type { Module } from '../nn/index';
import { ArgumentError, Tensor, VERSION } from '../tensor/index';
import { arrayOf, checkArg, instanceOf, nonNegInt, object, parseOptions, str, type Parsed } from '../tensor/options';
import { describe } from '../tensor/shape';
import { AuditLog, type AuditRecord } from './audit';
import type { Json } from './json';
import { saveModel } from './model';
import { sha256Hex } from './security';

/**
 * A fingerprint of training data: `sha256:` and the hex SHA-256 over each tensor's shape and
 * float32 bytes, in order. Equal data gives an equal fingerprint on every machine; one changed
 * value changes it.
 * @category IO
 */
export async function fingerprintData(tensors: readonly Tensor[]): Promise<string> {
  const op = 'fingerprintData';
  const parts: Uint8Array[] = [];
  for (const t of checkArg(op, 'tensors', tensors, TENSORS)) {
    parts.push(new TextEncoder().encode(`[${t.shape.join(',')}]`));
    parts.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.size * 4));
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return `sha256:${await sha256Hex(all, op)}`;
}

const TENSORS = arrayOf(instanceOf(Tensor), { min: 1 });

/** Options of {@link AuditCallback}. @category IO */
export interface AuditCallbackOptions {
  /** Who trains (default `'fit'`). */
  actor?: string;
  /** The seed the run used (recorded as given). */
  seed?: number;
  /** The training data tensors, fingerprinted with {@link fingerprintData} (a DataLoader is not read: that would draw from its shuffle generator). */
  data?: Tensor[];
  /** Free configuration to record (learning rate schedule, batch size, data source, …), plain JSON. */
  config?: Record<string, Json>;
  /** The model's name in a registry, recorded with the record. */
  model?: string;
}

/** The `details` of the record {@link AuditCallback} appends. @category IO */
export interface FitAuditDetails {
  [key: string]: Json;
  /** The model's name from the options, or null. */
  model: string | null;
  /** The model's `config()` (architecture and options). */
  architecture: Json;
  /** The optimizer's class name and final learning rate. */
  optimizer: {
    /** The optimizer's class name. */
    type: string;
    /** Its learning rate when training ended. */
    lr: number;
  };
  /** Epochs run and planned, and why training stopped early (or null). */
  epochs: {
    /** Epochs run. */
    run: number;
    /** Epochs planned. */
    planned: number;
    /** Why training stopped early, or null. */
    stopReason: string | null;
  };
  /** The seed given, or null. */
  seed: number | null;
  /** {@link fingerprintData} of the data given, or null. */
  data: string | null;
  /** The configuration given. */
  config: Record<string, Json>;
  /** The last epoch's logs (loss, metrics, validation values, lr). */
  metrics: Record<string, number>;
  /** `sha256:` and the hex SHA-256 of the trained model's {@link saveModel} bytes. */
  modelHash: string;
  /** The library's {@link VERSION}. */
  libraryVersion: string;
}

const OPTIONS = {
  actor: str, seed: nonNegInt, data: TENSORS, config: object, model: str,
};

/**
 * A `fit` callback that appends one `fit` record to an {@link AuditLog} when training ends: the
 * architecture, optimizer, epochs, seed, a fingerprint of the data, the configuration, the final
 * metrics, the trained model's hash and the library version ({@link FitAuditDetails}). The record
 * is what {@link modelCard} turns into a model card. `lastRecord` holds it after `fit` returns.
 * @example
 * // const log = await openAuditLog('audit.jsonl');
 * // await fit(net, { data, loss, optimizer, epochs: 5, callbacks: [new AuditCallback(log, { seed: 7, data: [x, y] })] });
 * @category IO
 */
export class AuditCallback {
  /** The record appended by the last `fit`, or null before. */
  lastRecord: AuditRecord | null = null;
  private readonly log: AuditLog;
  private readonly o: Parsed<typeof OPTIONS>;

  constructor(log: AuditLog, options: AuditCallbackOptions = {}) {
    const op = 'AuditCallback';
    if (!(log instanceof AuditLog)) throw new ArgumentError(`${op}: log must be an AuditLog, got ${describe(log)}`);
    this.log = log;
    this.o = parseOptions(op, options, OPTIONS);
  }

  /** Appends the record (called by `fit`). */
  async onTrainEnd(ctx: { model: Module; optimizer: { lr: number }; epochs: number; stopReason: string | null; history: { epochs: number[]; history: Record<string, number[]> } }): Promise<void> {
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(ctx.history.history)) if (v.length > 0 && Number.isFinite(v[v.length - 1])) metrics[k] = v[v.length - 1];
    const details: FitAuditDetails = {
      model: this.o.model ?? null,
      architecture: JSON.parse(JSON.stringify(ctx.model.config())) as Json,
      optimizer: { type: ctx.optimizer.constructor.name, lr: Number.isFinite(ctx.optimizer.lr) ? ctx.optimizer.lr : 0 },
      epochs: { run: ctx.history.epochs.length, planned: ctx.epochs, stopReason: ctx.stopReason },
      seed: this.o.seed ?? null,
      data: this.o.data === undefined ? null : await fingerprintData(this.o.data),
      config: (this.o.config ?? {}) as Record<string, Json>,
      metrics,
      modelHash: `sha256:${await sha256Hex(saveModel(ctx.model), 'AuditCallback')}`,
      libraryVersion: VERSION,
    };
    this.lastRecord = await this.log.append({ actor: this.o.actor ?? 'fit', action: 'fit', details });
  }
}
