import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

/** docs/architecture.md's layering table: which source folders each folder may import from (its own folder is always allowed). */
const allowed: Record<string, string[]> = {
  'tensor/kernels': [],
  tensor: ['tensor/kernels'],
  nn: ['tensor', 'tensor/kernels'],
  optim: ['tensor', 'tensor/kernels'],
  data: ['tensor', 'tensor/kernels'],
  metrics: ['tensor', 'tensor/kernels'],
  train: ['tensor', 'tensor/kernels', 'nn', 'optim', 'data', 'metrics'],
  models: ['tensor', 'tensor/kernels', 'nn', 'optim', 'data', 'train', 'metrics'],
  compress: ['tensor', 'tensor/kernels', 'nn', 'optim', 'train'],
  explain: ['tensor', 'tensor/kernels', 'nn', 'optim', 'data', 'metrics'],
  privacy: ['tensor', 'tensor/kernels', 'nn', 'optim', 'data', 'metrics'],
  monitor: ['tensor', 'tensor/kernels', 'nn', 'optim', 'data', 'metrics'],
  plot: ['tensor', 'tensor/kernels', 'metrics'],
  io: ['tensor', 'tensor/kernels', 'nn', 'optim', 'compress'],
};
// serve and cli may import every folder above; they are Node-only entries.
const NODE_ONLY = ['serve', 'cli'];
const BELOW_NODE_ONLY = Object.keys(allowed);
for (const n of NODE_ONLY) allowed[n] = BELOW_NODE_ONLY;
// cli's serve command runs the server: cli may import serve too.
allowed.cli = [...BELOW_NODE_ONLY, 'serve'];

const SRC = resolve(__dirname, '../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The layer a source file belongs to: `tensor/kernels` for kernels, else its top folder; `.` for src/index.ts. */
function layerOf(file: string): string {
  const rel = relative(SRC, file).split('\\').join('/');
  if (rel.startsWith('tensor/kernels/')) return 'tensor/kernels';
  const top = rel.split('/')[0];
  return rel.includes('/') ? top : '.';
}

describe('layering (docs/architecture.md)', () => {
  const all = files(SRC);

  it('every source file lives in a known folder', () => {
    for (const f of all) {
      const layer = layerOf(f);
      expect(layer === '.' || layer in allowed, relative(SRC, f)).toBe(true);
    }
  });

  it('no folder imports from a folder its row does not allow, and src has no runtime dependencies', () => {
    const violations: string[] = [];
    for (const f of all) {
      const from = layerOf(f);
      // Comments (TSDoc examples) may mention imports; only code counts.
      const text = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      const specs = [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]);
      for (const spec of specs) {
        if (!spec.startsWith('.')) {
          if (!spec.startsWith('node:')) violations.push(`${relative(SRC, f)} imports package '${spec}'`);
          continue;
        }
        const target = resolve(dirname(f), spec);
        const to = layerOf(target.endsWith('.ts') ? target : `${target}.ts`);
        if (from === '.' || to === from) continue;
        if (!allowed[from].includes(to)) violations.push(`${relative(SRC, f)} (${from}) imports ${spec} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('the table above is the one in docs/architecture.md', () => {
    const doc = readFileSync(resolve(__dirname, '../docs/architecture.md'), 'utf8');
    const section = doc.slice(doc.indexOf('| folder | may import |'));
    const fromDoc: Record<string, string[]> = {};
    for (const row of section.split('\n').slice(2)) {
      if (!row.startsWith('|')) break;
      const [, left, right] = row.split('|');
      const names = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
      const deps = /everything above/.test(right) ? Object.keys(fromDoc) : names(right);
      if (deps.includes('tensor') && !deps.includes('tensor/kernels')) deps.push('tensor/kernels');
      for (const f of names(left)) fromDoc[f] = deps;
    }
    const norm = (t: Record<string, string[]>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, [...new Set(v)].sort()]));
    expect(norm(fromDoc)).toEqual(norm(allowed));
  });

  it('no Math.random in src (every draw goes through a seeded Generator)', () => {
    const hits = all.filter((f) => /Math\.random/.test(readFileSync(f, 'utf8')));
    expect(hits.map((f) => relative(SRC, f))).toEqual([]);
  });
});
