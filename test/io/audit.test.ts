import { mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_GENESIS, ArgumentError, AuditLog, IntegrityError, verifyAuditLog } from '../../src/index';
import { openAuditLog } from '../../src/io/node';
import { sha256Hex } from '../../src/io/security';

const clock = () => { let t = Date.UTC(2026, 11, 2); return () => new Date((t += 1000)); };

async function sampleLog(n = 5): Promise<string[]> {
  const log = new AuditLog({ now: clock() });
  for (let i = 0; i < n; i++) await log.append({ actor: 'alice', action: i % 2 ? 'promote' : 'publish', details: { model: 'digits', version: i + 1 } });
  return log.lines;
}

describe('AuditLog and verifyAuditLog (JSON lines chained by SHA-256)', () => {
  it('chains each record to the one before; the hash is SHA-256 of the canonical JSON', async () => {
    const lines = await sampleLog(3);
    const recs = lines.map((l) => JSON.parse(l));
    expect(recs.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(recs[0].prev).toBe(AUDIT_GENESIS);
    expect(recs[1].prev).toBe(recs[0].hash);
    const { hash, ...body } = recs[0];
    const canon = `{"action":"publish","actor":"alice","details":{"model":"digits","version":1},"prev":"${body.prev}","seq":0,"time":"${body.time}"}`;
    expect(hash).toBe(await sha256Hex(canon));
    const v = await verifyAuditLog(lines);
    expect(v.valid).toBe(true);
    expect(v.head).toEqual({ count: 3, hash: recs[2].hash });
    expect((await verifyAuditLog(`${lines.join('\n')}\n`)).valid).toBe(true);
  });

  it('finds an edit, a deletion, an insertion and a reordering at the first line they touch', async () => {
    const lines = await sampleLog(5);
    const edited = [...lines];
    edited[2] = edited[2].replace('"version":3', '"version":30');
    expect((await verifyAuditLog(edited)).error).toEqual({ line: 3, reason: expect.stringContaining('edited') });
    const deleted = lines.filter((_, i) => i !== 1);
    expect((await verifyAuditLog(deleted)).error?.line).toBe(2);
    const swapped = [lines[0], lines[2], lines[1], lines[3], lines[4]];
    expect((await verifyAuditLog(swapped)).error?.line).toBe(2);
    const inserted = [...lines.slice(0, 2), lines[1], ...lines.slice(2)];
    expect((await verifyAuditLog(inserted)).error?.line).toBe(3);
    // Recomputing the edited record's own hash does not help: the next line's prev breaks.
    const rec = JSON.parse(lines[2]);
    rec.details.version = 30;
    const { hash: _h, ...body } = rec;
    const keys = Object.keys(body).sort();
    rec.hash = await sha256Hex(`{${keys.map((k) => `${JSON.stringify(k)}:${k === 'details' ? '{"model":"digits","version":30}' : JSON.stringify(body[k])}`).join(',')}}`);
    const rehashed = [...lines];
    rehashed[2] = JSON.stringify(rec);
    expect((await verifyAuditLog(rehashed)).error?.line).toBe(4);
    expect((await verifyAuditLog([...lines.slice(0, 2), 'not json'])).error).toEqual({ line: 3, reason: expect.stringContaining('JSON') });
  });

  it('a deleted tail is found against the stored head', async () => {
    const log = new AuditLog();
    for (let i = 0; i < 4; i++) await log.append({ actor: 'ci', action: 'publish' });
    const head = log.head;
    expect((await verifyAuditLog(log.lines, { head })).valid).toBe(true);
    const cut = await verifyAuditLog(log.lines.slice(0, 3), { head });
    expect(cut.valid).toBe(false);
    expect(cut.error?.reason).toContain('removed from the end');
  });

  it('serializes concurrent appends in call order; a failing sink leaves the head on the last written record', async () => {
    const written: string[] = [];
    let fail = false;
    const log = new AuditLog({ sink: async (l) => { await new Promise((r) => setTimeout(r, Math.random() * 3)); if (fail) throw new Error('disk full'); written.push(l); } });
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.append({ actor: 'a', action: 'x', details: { i } })));
    expect(written.map((l) => JSON.parse(l).details.i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    fail = true;
    await expect(log.append({ actor: 'a', action: 'lost' })).rejects.toThrow('disk full');
    fail = false;
    await log.append({ actor: 'a', action: 'after' });
    expect((await verifyAuditLog(written)).valid).toBe(true);
    expect(written).toHaveLength(21);
  });

  it('bad entries and options are ArgumentErrors', async () => {
    const log = new AuditLog();
    expect(() => log.append({ actor: '', action: 'x' })).toThrow(/non-empty actor and action/);
    expect(() => log.append({ actor: 'a', action: 'x', details: { f: NaN } })).toThrow(/plain JSON object/);
    expect(() => log.append({ actor: 'a', action: 'x', detail: {} } as never)).toThrow(/did you mean 'details'/);
    expect(() => new AuditLog({ head: { count: 1, hash: 'abc' } })).toThrow(ArgumentError);
    await expect(verifyAuditLog(42 as never)).rejects.toThrow(/log must be/);
  });
});

describe('openAuditLog (file-backed, Node)', () => {
  it('appends fsynced lines, continues an existing log, cuts a torn last line, and refuses a tampered file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tk-audit-'));
    try {
      const path = join(dir, 'audit.jsonl');
      const a = await openAuditLog(path);
      await a.append({ actor: 'alice', action: 'publish', details: { version: 1 } });
      await a.append({ actor: 'alice', action: 'promote', details: { version: 1 } });
      const b = await openAuditLog(path);
      expect(b.head.count).toBe(2);
      await b.append({ actor: 'bob', action: 'rollback', details: { version: 1 } });
      await appendFile(path, '{"seq":3,"ti'); // a crash mid-write
      const c = await openAuditLog(path);
      expect(c.head.count).toBe(3);
      const text = await readFile(path, 'utf8');
      expect((await verifyAuditLog(text)).valid).toBe(true);
      await writeFile(path, text.replace('"bob"', '"eve"'));
      await expect(openAuditLog(path)).rejects.toBeInstanceOf(IntegrityError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
