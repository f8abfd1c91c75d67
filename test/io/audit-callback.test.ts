import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Adam, ArgumentError, AuditCallback, AuditLog, DataLoader, Generator, Linear, Tensor, TensorDataset, VERSION, fingerprintData, fit,
  mseLoss, modelCard, saveModel, verifyAuditLog,
} from '../../src/index';
import { sha256Hex } from '../../src/io/security';

function data(seed: number) {
  const g = new Generator(seed);
  const x = new Tensor(Float32Array.from({ length: 64 * 3 }, () => g.normal()), [64, 3]);
  const y = new Tensor(Float32Array.from({ length: 64 }, (_, i) => x.data[3 * i] - 2 * x.data[3 * i + 1]), [64, 1]);
  return { x, y };
}

describe('AuditCallback and modelCard', () => {
  it('the library version is the package version', () => {
    expect(VERSION).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  });

  it('fingerprintData is stable, and one changed value changes it', async () => {
    const { x, y } = data(1);
    const a = await fingerprintData([x, y]);
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await fingerprintData([data(1).x, data(1).y])).toBe(a);
    const x2 = new Tensor(x.data.slice(), [64, 3]);
    x2.data[5] += 1e-3;
    expect(await fingerprintData([x2, y])).not.toBe(a);
    // The shape is part of it: the same bytes in another shape differ.
    expect(await fingerprintData([new Tensor(x.data.slice(), [3, 64]), y])).not.toBe(a);
    await expect(fingerprintData([])).rejects.toThrow(ArgumentError);
    await expect(fingerprintData([1 as never])).rejects.toThrow(/must be/);
  });

  it('records a fit: architecture, optimizer, epochs, seed, data fingerprint, metrics, model hash, library version; the chain verifies', async () => {
    const { x, y } = data(2);
    const net = new Linear(3, 1, { rng: new Generator(3) });
    const log = new AuditLog();
    const cb = new AuditCallback(log, { actor: 'alice', seed: 3, data: [x, y], config: { batchSize: 16 }, model: 'linear-demo' });
    await fit(net, {
      data: new DataLoader(new TensorDataset(x, y), { batchSize: 16, shuffle: true, rng: new Generator(4) }),
      loss: mseLoss, optimizer: new Adam(net.parameters(), { lr: 0.05 }), epochs: 3, callbacks: [cb],
    });
    const rec = cb.lastRecord!;
    expect(rec.action).toBe('fit');
    expect(rec.actor).toBe('alice');
    const d = rec.details as Record<string, any>;
    expect(d.architecture.type).toBe('Linear');
    expect(d.optimizer).toEqual({ type: 'Adam', lr: 0.05 });
    expect(d.epochs).toEqual({ run: 3, planned: 3, stopReason: null });
    expect(d.seed).toBe(3);
    expect(d.data).toBe(await fingerprintData([x, y]));
    expect(d.config).toEqual({ batchSize: 16 });
    expect(Object.keys(d.metrics)).toContain('loss');
    expect(d.modelHash).toBe(`sha256:${await sha256Hex(saveModel(net))}`);
    expect(d.libraryVersion).toBe(VERSION);
    expect((await verifyAuditLog(log.lines)).valid).toBe(true);

    const card = modelCard(rec, { intendedUse: 'A demo of the audit trail.', evaluation: { r2: 0.99 }, explanations: { x1: 0.2, x0: 0.9 }, privacy: { epsilon: 2.5, delta: 1e-5 } });
    expect(card).toContain('# linear-demo');
    expect(card).toContain('| architecture | Linear |');
    expect(card).toContain(d.modelHash);
    expect(card).toContain(rec.hash);
    expect(card).toContain('A demo of the audit trail.');
    expect(card).toContain('| evaluation | r2 | 0.99 |');
    expect(card.indexOf('| x0 | 0.9 |')).toBeLessThan(card.indexOf('| x1 | 0.2 |'));
    expect(card).toContain('ε = 2.5 at δ = 0.00001');
    expect(card).toContain(d.data);
  });

  it('bad arguments are ArgumentErrors naming them', () => {
    expect(() => new AuditCallback({} as never)).toThrow(/log must be an AuditLog/);
    expect(() => new AuditCallback(new AuditLog(), { seed: -1 })).toThrow(/seed/);
    expect(() => new AuditCallback(new AuditLog(), { dat: [] } as never)).toThrow(/did you mean 'data'/);
    expect(() => modelCard({ action: 'publish' } as never)).toThrow(/the 'fit' record/);
    expect(() => modelCard({ action: 'fit', details: {} } as never, { privacy: { epsilon: 1 } as never })).toThrow(/epsilon and delta/);
    expect(() => modelCard({ action: 'fit', details: {} } as never, { evaluation: { acc: 'high' } as never })).toThrow(/evaluation.acc/);
  });
});
