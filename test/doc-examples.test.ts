import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as tk from '../src/index';
import * as train from '../src/train/index';
import * as data from '../src/data/index';
import * as optim from '../src/optim/index';
import * as gemmKernels from '../src/tensor/kernels/matmul';
import * as int8Kernels from '../src/tensor/kernels/int8';
import * as sparseKernels from '../src/tensor/kernels/sparse';
import * as linalg from '../src/tensor/linalg';
import * as nn from '../src/nn/index';
import * as compress from '../src/compress/index';

/**
 * Every `@example` in a TSDoc block runs, and each line of the form `expr; // value` checks that
 * expr equals value (numbers within float32 rounding). A comment that is prose, not a value, is
 * not checked; `// throws Name` expects that error class.
 */
const SRC = resolve(__dirname, '../src');
const scope: Record<string, unknown> = { ...tk, ...linalg, ...gemmKernels, ...int8Kernels, ...sparseKernels, ...nn, ...train, ...data, ...optim, ...compress };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

interface Example {
  where: string;
  code: string[];
}

function examples(): Example[] {
  const out: Example[] = [];
  for (const f of files(SRC)) {
    const lines = readFileSync(f, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = /^\s*\*\s*@example\s?(.*)$/.exec(lines[i]);
      if (!m) continue;
      const code: string[] = [];
      const inline = m[1].replace(/\s*@\w+.*$/, '');
      if (inline.trim()) code.push(inline);
      for (let j = i + 1; j < lines.length; j++) {
        const l = lines[j];
        if (/^\s*\*\//.test(l) || /^\s*\*\s*@\w+/.test(l)) break;
        code.push(l.replace(/^\s*\*\s?/, ''));
      }
      if (/@example.*\*\//.test(lines[i])) {
        code.length = 0;
        code.push(inline.replace(/\s*\*\/.*$/, ''));
      }
      out.push({ where: `${relative(SRC, f)}:${i + 1}`, code: code.filter((c) => c.trim() !== '') });
    }
  }
  return out;
}

function parseValue(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: new Function(`return (${text});`)() };
  } catch {
    return { ok: false };
  }
}

function approxEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
    return a === b || Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => approxEqual(v, b[i]));
  return Object.is(a, b) || JSON.stringify(a) === JSON.stringify(b);
}

async function run(ex: Example): Promise<void> {
  const body: string[] = [];
  for (const line of ex.code) {
    const m = /^(.*?);\s*\/\/\s*(.+)$/.exec(line);
    const thrown = m && /^throws\s+(\w+)/.exec(m[2]);
    if (m && thrown) {
      body.push(`__throws(() => { ${m[1]}; }, ${JSON.stringify(thrown[1])}, ${JSON.stringify(line)});`);
    } else if (m && !/^\s*(const|let|var|if|for|try|function|class)\b/.test(m[1]) && parseValue(m[2]).ok) {
      body.push(`__check(() => (${m[1]}), ${JSON.stringify(m[2])}, ${JSON.stringify(line)});`);
    } else body.push(line);
  }
  const js = ts.transpileModule(body.join('\n'), { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.None } }).outputText;
  const names = Object.keys(scope).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'var' && n !== 'default');
  const checks: string[] = [];
  const __check = (f: () => unknown, expected: string, line: string) => {
    const actual = f();
    const want = (parseValue(expected) as { value: unknown }).value;
    if (!approxEqual(actual, want)) throw new Error(`${ex.where}: \`${line}\` gave ${JSON.stringify(actual)}`);
    checks.push(line);
  };
  const __throws = (f: () => unknown, name: string, line: string) => {
    let err: unknown = null;
    try {
      f();
    } catch (e) {
      err = e;
    }
    if (!(err instanceof Error) || (err.name !== name && err.constructor.name !== name)) throw new Error(`${ex.where}: \`${line}\` did not throw ${name} (got ${String(err)})`);
    checks.push(line);
  };
  const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
  try {
    await new AsyncFunction(...names, '__check', '__throws', js)(...names.map((n) => scope[n]), __check, __throws);
  } finally {
    tk.setDebug({ checkNumerics: false });
  }
}

describe('TSDoc @example blocks run and their written outputs hold', () => {
  const all = examples();
  it('there are examples to check', () => {
    expect(all.length).toBeGreaterThan(50);
  });
  for (const ex of all) {
    it(ex.where, async () => run(ex));
  }
});
