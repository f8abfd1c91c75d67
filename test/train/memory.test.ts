import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('memory', () => {
  it('1,000 CNN training steps after 50 warm-up steps hold array buffers within 1 MB and the heap within 5 MB', () => {
    // A separate process, so that --expose-gc gives exact after-GC numbers and no other test's
    // allocations interfere: the graph and its buffers must be released every step.
    const root = resolve(__dirname, '../..');
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/train/memory-probe.ts'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    const growth = JSON.parse(out.trim().split('\n').at(-1)!) as { arrayBuffers: number; heapUsed: number };
    expect(growth.arrayBuffers).toBeLessThan(1024 * 1024);
    expect(growth.heapUsed).toBeLessThan(5 * 1024 * 1024);
  }, 150_000);
});
