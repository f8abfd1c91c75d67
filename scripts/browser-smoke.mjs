#!/usr/bin/env node
// Browser smoke test of the *built* ESM bundle (run `npm run build` first).
//
// Serves dist/ (entries, shared chunk files, source maps) plus a tiny HTML page from a Node http
// server on 127.0.0.1 (random free port), opens the page in headless Chromium via playwright-core,
// and checks the numbers the page computes with `import * as tk from './index.js'`: a matmul, a
// sum and a backward pass (plus a solve from './tensor/linalg.js'), and that the default backend is
// the WebAssembly SIMD one with a 64³ matmul equal to the scalar kernels'. Exits non-zero on a wrong
// number, a page error, or when the whole run takes longer than 60 s; the browser and the server are
// always closed.
//
// Chromium: CHROMIUM_PATH if set, else /usr/bin/chromium (Debian package `chromium`).
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { chromium } from 'playwright-core';

const TOTAL_TIMEOUT_MS = 60_000;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const distDir = join(root, 'dist');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const PAGE = `<!doctype html>
<html>
<head><meta charset="utf-8"><title>tensorkit browser smoke</title></head>
<body>
<pre id="out">running…</pre>
<script type="module">
const out = document.getElementById('out');
try {
  const tk = await import('./index.js');
  const linalg = await import('./tensor/linalg.js');
  // a (2×3) · b (3×1), loss = sum → see expected values in scripts/browser-smoke.mjs
  const a = tk.tensor([[1, 2, 3], [4, 5, 6]], undefined, { requiresGrad: true });
  const b = tk.tensor([[1], [-1], [2]], undefined, { requiresGrad: true });
  const c = tk.matmul(a, b);
  const loss = tk.sum(c);
  loss.backward();
  // solve(A, y), loss2 = sum
  const A = tk.tensor([[2, 1], [1, 3]], undefined, { requiresGrad: true });
  const y = tk.tensor([3, 5]);
  const x = linalg.solve(A, y);
  tk.sum(x).backward();
  // The SIMD path: the default backend, and a 64³ product (above the JS fallback size) on wasm
  // against the same product on the scalar js kernels.
  const defaultBackend = tk.getBackend();
  const P = tk.tensor(Array.from({ length: 64 }, (_, i) => Array.from({ length: 64 }, (_, j) => Math.sin(i * 64 + j))));
  const Q = tk.tensor(Array.from({ length: 64 }, (_, i) => Array.from({ length: 64 }, (_, j) => Math.cos(i - 2 * j))));
  tk.setBackend('wasm');
  const viaWasm = tk.matmul(P, Q).data;
  tk.setBackend('js');
  const viaJs = tk.matmul(P, Q).data;
  tk.setBackend(defaultBackend);
  let simdDiff = 0;
  for (let i = 0; i < viaJs.length; i++) simdDiff = Math.max(simdDiff, Math.abs(viaWasm[i] - viaJs[i]));
  window.result = {
    defaultBackend,
    simdDiff,
    ok: true,
    userAgent: navigator.userAgent,
    shape: Array.from(c.shape),
    c: Array.from(c.data),
    loss: loss.item(),
    aGrad: Array.from(a.grad),
    bGrad: Array.from(b.grad),
    x: Array.from(x.data),
    AGrad: Array.from(A.grad),
    sameTensorClass: x instanceof tk.Tensor,
  };
} catch (err) {
  window.result = { ok: false, error: String(err && err.stack || err) };
}
out.textContent = JSON.stringify(window.result, null, 2);
</script>
</body>
</html>
`;

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

function log(msg) {
  console.log(`browser-smoke: ${msg}`);
}

const served = [];
const pageErrors = [];
function startServer() {
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let rel = decodeURIComponent(url.pathname);
      if (rel === '/' || rel === '/index.html' || rel === '/smoke.html') {
        res.writeHead(200, { 'content-type': MIME['.html'], 'cache-control': 'no-store' });
        res.end(PAGE);
        return;
      }
      if (rel === '/favicon.ico') {
        res.writeHead(204).end();
        return;
      }
      // Serve files from dist/ only (entries in subfolders and the chunk-*.js files they import).
      const file = normalize(join(distDir, rel));
      if (!file.startsWith(distDir + sep)) {
        res.writeHead(403).end('forbidden');
        return;
      }
      const st = await stat(file).catch(() => null);
      if (!st || !st.isFile()) {
        pageErrors.push(`server: 404 for ${rel}`);
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${rel}`);
        return;
      }
      const body = await readFile(file);
      served.push(rel);
      res.writeHead(200, {
        'content-type': MIME[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
      });
      res.end(body);
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

const TOL = 1e-5;
function compare(problems, what, actual, expected) {
  const a = Array.isArray(actual) ? actual : [actual];
  const ok = a.length === expected.length &&
    a.every((v, i) => typeof v === 'number' && Math.abs(v - expected[i]) <= TOL * Math.max(1, Math.abs(expected[i])));
  console.log(`${ok ? 'ok  ' : 'FAIL'}  ${what}: ${JSON.stringify(a)}${ok ? '' : ` (expected ${JSON.stringify(expected)})`}`);
  if (!ok) problems.push(what);
}

async function main() {
  if (!existsSync(join(distDir, 'index.js'))) throw new Error('dist/index.js not found — run `npm run build` first');
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath} (install Debian's "chromium" package or set CHROMIUM_PATH)`);
  }
  let server;
  let browser;
  try {
    server = await startServer();
    const { port } = server.address();
    const url = `http://127.0.0.1:${port}/smoke.html`;
    log(`serving dist/ at http://127.0.0.1:${port}/`);
    browser = await chromium.launch({
      executablePath,
      headless: true,
      timeout: 30_000,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    });
    log(`launched ${executablePath} (Chromium ${browser.version()})`);
    const page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(`console.error: ${msg.text()}`);
    });
    page.on('requestfailed', (r) => pageErrors.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
    await page.goto(url, { waitUntil: 'load', timeout: 20_000 });
    await page.waitForFunction(() => window.result !== undefined, undefined, { timeout: 20_000 });
    const result = await page.evaluate(() => window.result);
    log(`files served: ${[...new Set(served)].join(', ')}`);

    const problems = [];
    if (!result.ok) {
      problems.push(`page threw: ${result.error}`);
      console.log(`FAIL  page threw: ${result.error}`);
    } else {
      // Hand-computed (see scripts/smoke-node.mjs): c = [[5], [11]], loss 16,
      // a.grad = [[1, -1, 2], [1, -1, 2]], b.grad = [[5], [7], [9]];
      // solve([[2, 1], [1, 3]], [3, 5]) = [0.8, 1.4], A.grad = −(A⁻ᵀ·1)·xᵀ = [[-0.32, -0.56], [-0.16, -0.28]].
      compare(problems, 'matmul(a, b).shape', result.shape, [2, 1]);
      compare(problems, 'matmul(a, b)', result.c, [5, 11]);
      compare(problems, 'sum(matmul(a, b))', result.loss, [16]);
      compare(problems, 'a.grad', result.aGrad, [1, -1, 2, 1, -1, 2]);
      compare(problems, 'b.grad', result.bGrad, [5, 7, 9]);
      compare(problems, 'linalg.solve(A, y)', result.x, [0.8, 1.4]);
      compare(problems, 'A.grad', result.AGrad, [-0.32, -0.56, -0.16, -0.28]);
      const simd = result.defaultBackend === 'wasm' && result.simdDiff < 1e-3;
      console.log(`${simd ? 'ok  ' : 'FAIL'}  default backend ${result.defaultBackend}; a 64³ matmul on wasm SIMD equals the js kernels' (max difference ${result.simdDiff})`);
      if (!simd) problems.push('the SIMD backend is not the default in Chromium, or its matmul differs from the js kernels');
      const same = result.sameTensorClass === true;
      console.log(`${same ? 'ok  ' : 'FAIL'}  './tensor/linalg.js' returns the same Tensor class as './index.js'`);
      if (!same) problems.push('Tensor class differs between entries');
    }
    for (const e of pageErrors) console.log(`      ${e}`);
    if (problems.length > 0) throw new Error(`${problems.length} check(s) failed in the browser`);
    log(`all checks passed (${result.userAgent})`);
  } finally {
    if (browser) await browser.close().catch((e) => log(`closing browser: ${e}`));
    if (server) {
      server.closeAllConnections?.();
      await new Promise((r) => server.close(() => r()));
    }
  }
}

const timer = setTimeout(() => {
  console.error(`browser-smoke: FAILED — timed out after ${TOTAL_TIMEOUT_MS / 1000} s`);
  process.exit(1); // the browser is a child process: playwright kills it on process exit
}, TOTAL_TIMEOUT_MS);
timer.unref();

main().then(
  () => {
    clearTimeout(timer);
    process.exit(0);
  },
  (err) => {
    clearTimeout(timer);
    console.error(`browser-smoke: FAILED — ${err?.message ?? err}`);
    process.exit(1);
  },
);
