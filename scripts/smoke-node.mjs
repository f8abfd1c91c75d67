#!/usr/bin/env node
// Smoke test of the *built* package (run `npm run build` first).
//
// Loads every entry of the `exports` map the way a consumer would, through the package's own name
// (Node resolves a self-reference `tensorkit` / `tensorkit/<subpath>` via package.json "exports"):
//   ESM  import('tensorkit'), import('tensorkit/tensor'), import('tensorkit/linalg')
//   CJS  require('tensorkit'), require('tensorkit/tensor'), require('tensorkit/linalg')
// and in each runs a tiny forward + backward pass whose gradients were computed by hand; then
// passes objects of the ESM copy to the CJS copy's functions and back (the dual-package hazard).
// Prints one line per check; exits 1 with a clear message if any check fails.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.error('smoke-node: dist/index.js not found — run `npm run build` first');
  process.exit(1);
}

const TOL = 1e-5;
let failures = 0;

function close(actual, expected) {
  const a = Array.from(actual ?? []);
  return a.length === expected.length && a.every((v, i) => Math.abs(v - expected[i]) <= TOL * Math.max(1, Math.abs(expected[i])));
}
const fmt = (x) => (x == null ? String(x) : `[${Array.from(x).map((v) => +v.toFixed(6)).join(', ')}]`);

function check(label, fn) {
  try {
    const problems = fn();
    if (problems.length === 0) {
      console.log(`ok    ${label}`);
    } else {
      failures++;
      console.log(`FAIL  ${label}`);
      for (const p of problems) console.log(`        ${p}`);
    }
  } catch (err) {
    failures++;
    console.log(`FAIL  ${label}: threw ${err?.stack ?? err}`);
  }
}

function expectClose(problems, what, actual, expected) {
  if (!close(actual, expected)) problems.push(`${what}: expected ${fmt(expected)}, got ${fmt(actual)}`);
}

/*
 * matmul + sum. a = [[1, 2, 3], [4, 5, 6]] (2×3), b = [[1], [-1], [2]] (3×1).
 *   c = a·b = [[1 - 2 + 6], [4 - 5 + 12]] = [[5], [11]];  loss = sum(c) = 16.
 *   d loss / d a[i, k] = b[k]            → [[1, -1, 2], [1, -1, 2]]
 *   d loss / d b[k]    = Σ_i a[i, k]     → [[5], [7], [9]]
 */
function matmulCheck(tk) {
  const problems = [];
  const a = tk.tensor([[1, 2, 3], [4, 5, 6]], undefined, { requiresGrad: true });
  const b = tk.tensor([[1], [-1], [2]], undefined, { requiresGrad: true });
  const c = tk.matmul(a, b);
  if (JSON.stringify(c.shape) !== '[2,1]') problems.push(`matmul shape: expected [2,1], got ${JSON.stringify(c.shape)}`);
  expectClose(problems, 'matmul(a, b)', c.data, [5, 11]);
  const loss = tk.sum(c);
  expectClose(problems, 'sum(matmul(a, b))', [loss.item()], [16]);
  loss.backward();
  expectClose(problems, 'a.grad', a.grad, [1, -1, 2, 1, -1, 2]);
  expectClose(problems, 'b.grad', b.grad, [5, 7, 9]);
  return problems;
}

/*
 * solve + sum (linalg subpath, fed tensors made by the tensor core entry).
 *   a = [[2, 1], [1, 3]], b = [3, 5] → x = a⁻¹b = [0.8, 1.4];  loss = sum(x) = 2.2.
 *   a⁻¹ = ⅕[[3, -1], [-1, 2]];  b̄ = a⁻ᵀ·1 = [0.4, 0.2];  ā = −b̄·xᵀ = [[-0.32, -0.56], [-0.16, -0.28]].
 */
function linalgCheck(core, linalg) {
  const problems = [];
  if (typeof linalg.solve !== 'function') return ['solve is not exported from the linalg entry'];
  const a = core.tensor([[2, 1], [1, 3]], undefined, { requiresGrad: true });
  const b = core.tensor([3, 5], undefined, { requiresGrad: true });
  const x = linalg.solve(a, b);
  expectClose(problems, 'solve(a, b)', x.data, [0.8, 1.4]);
  if (!(x instanceof core.Tensor)) problems.push('solve() result is not an instance of the core entry\'s Tensor (duplicated class across bundles?)');
  const loss = core.sum(x);
  expectClose(problems, 'sum(solve(a, b))', [loss.item()], [2.2]);
  loss.backward();
  expectClose(problems, 'a.grad', a.grad, [-0.32, -0.56, -0.16, -0.28]);
  expectClose(problems, 'b.grad', b.grad, [0.4, 0.2]);
  return problems;
}

function sameClass(label, entries) {
  check(label, () => {
    const first = entries[0][1].Tensor;
    return entries
      .filter(([, mod]) => mod.Tensor !== first)
      .map(([name]) => `${name}.Tensor is a different class from ${entries[0][0]}.Tensor`);
  });
}

const esm = {
  root: await import('tensorkit'),
  tensor: await import('tensorkit/tensor'),
  linalg: await import('tensorkit/linalg'),
};
const cjs = {
  root: require('tensorkit'),
  tensor: require('tensorkit/tensor'),
  linalg: require('tensorkit/linalg'),
};

check("ESM import('tensorkit'): matmul + sum + backward", () => matmulCheck(esm.root));
check("ESM import('tensorkit/tensor'): matmul + sum + backward", () => matmulCheck(esm.tensor));
check("ESM import('tensorkit/linalg'): solve + sum + backward", () => linalgCheck(esm.tensor, esm.linalg));
check("ESM import('tensorkit/linalg') with tensors from 'tensorkit'", () => linalgCheck(esm.root, esm.linalg));
check("CJS require('tensorkit'): matmul + sum + backward", () => matmulCheck(cjs.root));
check("CJS require('tensorkit/tensor'): matmul + sum + backward", () => matmulCheck(cjs.tensor));
check("CJS require('tensorkit/linalg'): solve + sum + backward", () => linalgCheck(cjs.tensor, cjs.linalg));
check("CJS require('tensorkit/linalg') with tensors from 'tensorkit'", () => linalgCheck(cjs.root, cjs.linalg));
sameClass('ESM entries share one Tensor class', [['tensorkit', esm.root], ['tensorkit/tensor', esm.tensor]]);
sameClass('CJS entries share one Tensor class', [['tensorkit', cjs.root], ['tensorkit/tensor', cjs.tensor]]);

check('class names survive the build (messages and stack traces say Tensor, ShapeError)', () => {
  const problems = [];
  for (const [name, mod] of [['ESM', esm.root], ['CJS', cjs.root]]) {
    if (mod.Tensor.name !== 'Tensor' || mod.Parameter.name !== 'Parameter') problems.push(`${name}: Tensor.name = ${mod.Tensor.name}, Parameter.name = ${mod.Parameter.name}`);
    try {
      mod.matmul(mod.zeros([2, 3]), mod.zeros([4, 5]));
      problems.push(`${name}: matmul of [2, 3] and [4, 5] did not throw`);
    } catch (e) {
      if (e.name !== 'ShapeError' || /_[A-Z]/.test(String(e.stack))) problems.push(`${name}: error ${e.name}: ${String(e.stack).split('\n').slice(0, 2).join(' | ')}`);
    }
  }
  return problems;
});

// The dual-package hazard: an application whose dependencies load both builds (one through
// `import`, one through `require`) has two copies of every class. Objects of one copy must work in
// the other's functions, because tensorkit recognises its classes by a Symbol.for brand.
function crossCopy(a, b) {
  const problems = [];
  // a tensor of `a` in b's ops, through backward (b's graph reaches into a's leaf)
  const x = a.tensor([[1, 2], [3, 4]], undefined, { requiresGrad: true });
  if (!(x instanceof b.Tensor)) problems.push('a tensor is not instanceof the other copy\'s Tensor');
  const y = b.sum(b.mul(x, b.tensor([[1, 0], [2, 1]])));
  expectClose(problems, 'sum(x·w) across copies', [y.item()], [1 + 6 + 4]);
  y.backward();
  expectClose(problems, 'x.grad across copies', x.grad, [1, 0, 2, 1]);
  expectClose(problems, 'b.matmul(a tensor)', b.matmul(a.eye(2), a.tensor([[5], [6]])).data, [5, 6]);
  // a Parameter of `a` in a Module of `b`, found by parameters(), trained by b's optimizer
  class Net extends b.Module {
    constructor() { super(); this.w = a.Parameter.full([2], 1); this.inner = new a.Linear(2, 1, { rng: new a.Generator(0) }); }
    forward(t) { return this.inner.forward(b.mul(t, this.w)); }
  }
  const net = new Net();
  const names = net.namedParameters().map(([n]) => n).join(',');
  if (names !== 'w,inner.weight,inner.bias') problems.push(`namedParameters across copies: ${names}`);
  if (!(net.w instanceof b.Parameter) || net.w instanceof a.Linear) problems.push('Parameter brand check wrong across copies');
  const opt = new b.SGD(net.parameters(), { lr: 0.1 });
  const before = net.w.toArray();
  b.sum(net.forward(b.ones([3, 2]))).backward();
  opt.step();
  if (net.w.toArray().join() === before.join()) problems.push('b.SGD did not update a Parameter of copy a');
  // a Module of `a` accepted by b's optimizer, saveModel and Sequential; a's loadModel reads it back
  const lin = new a.Linear(2, 3, { rng: new a.Generator(1) });
  new b.Adam(lin.parameters());
  const seq = new b.Sequential(lin, new a.ReLU());
  if (seq.forward(a.ones([1, 2])).shape.join() !== '1,3') problems.push('b.Sequential of a\'s layers');
  const bytes = b.saveModel(lin);
  const back = a.loadModel(bytes).model;
  if (back.weight.toArray().join() !== lin.weight.toArray().join()) problems.push('saveModel(b) → loadModel(a) changed the weights');
  // a Generator of `a` as the rng of b
  const r1 = b.randn([4], { rng: new a.Generator(7) }).toArray().join();
  const r2 = b.randn([4], { rng: new b.Generator(7) }).toArray().join();
  if (r1 !== r2) problems.push('a Generator as b\'s rng drew another stream');
  if (!(new a.Linear(2, 2) instanceof b.Module) || b.Module.prototype instanceof b.Module) problems.push('Module brand check wrong');
  // a TypedBuffer of `a` as a buffer of a b Module
  class Masked extends b.Module { constructor() { super(); this.mask = new a.TypedBuffer('U8', [2]); } forward() { return null; } }
  if (new Masked().stateDict().mask?.dtype !== 'U8') problems.push('TypedBuffer of a is not a buffer of b\'s Module');
  return problems;
}
check('ESM tensors, parameters, modules, generators work in the CJS copy', () => crossCopy(esm.root, cjs.root));
check('CJS tensors, parameters, modules, generators work in the ESM copy', () => crossCopy(cjs.root, esm.root));

// TypeScript consumers on the old `moduleResolution: node10` resolve the subpaths through
// typesVersions (node10 ignores the exports map).
const ts = (await import('typescript')).default;
check('TypeScript moduleResolution node10 resolves every subpath to its declarations', () => {
  const { mkdtempSync, mkdirSync, symlinkSync, writeFileSync, rmSync } = require('node:fs');
  const { tmpdir } = require('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'tk-node10-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules', 'tensorkit'), 'dir');
    writeFileSync(join(dir, 'a.ts'), '');
    const pkg = JSON.parse(require('node:fs').readFileSync(join(root, 'package.json'), 'utf8'));
    const problems = [];
    for (const sub of Object.keys(pkg.exports).filter((k) => k !== './package.json')) {
      const spec = sub === '.' ? 'tensorkit' : `tensorkit/${sub.slice(2)}`;
      const r = ts.resolveModuleName(spec, join(dir, 'a.ts'), { moduleResolution: ts.ModuleResolutionKind.Node10 }, ts.sys);
      const file = r.resolvedModule?.resolvedFileName;
      if (!file || !file.endsWith('.d.ts')) problems.push(`${spec}: not resolved (${file ?? 'nothing'})`);
    }
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

if (failures > 0) {
  console.error(`smoke-node: ${failures} check(s) FAILED`);
  process.exit(1);
}
console.log('smoke-node: all checks passed');
