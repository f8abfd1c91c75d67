#!/usr/bin/env node
// The browser example (examples/browser/) in headless Chromium, for CI; or, with --serve, the
// static server to open it in your own browser. Run `npm run build` first: the page imports only
// the built ESM bundle (dist/index.js).
//
//   node scripts/browser-example.mjs            CI: serve, open the page in headless Chromium, wait
//                                               until the CNN's test accuracy is ≥ 0.9 (at most 60 s),
//                                               save a screenshot, exit 0 (or 1 with the reason)
//   node scripts/browser-example.mjs --serve [--port 8080]
//                                               serve the repository's examples/browser/ and dist/ at
//                                               http://127.0.0.1:8080/examples/browser/ until Ctrl-C
//
// The screenshot goes to $CI_LOG_DIR/browser-example.png, else dist/browser-example.png (dist/ is
// ignored by git), or where --screenshot PATH says.
// Chromium: CHROMIUM_PATH if set, else /usr/bin/chromium (Debian package `chromium`).
import { createServer } from 'node:http';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';

const TOTAL_TIMEOUT_MS = 60_000;
const MIN_ACCURACY = 0.9;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const argv = process.argv.slice(2);
const flag = (name) => {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1];
};
const serveOnly = argv.includes('--serve');
const screenshot = resolve(flag('--screenshot') ?? (process.env.CI_LOG_DIR ? join(process.env.CI_LOG_DIR, 'browser-example.png') : join(root, 'dist', 'browser-example.png')));

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
// Only these folders of the repository are served.
const SERVED = [join(root, 'examples', 'browser'), join(root, 'dist')];

function log(msg) {
  console.log(`browser-example: ${msg}`);
}

const notFound = [];
function startServer(port) {
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let rel = decodeURIComponent(url.pathname);
      if (rel === '/' || rel === '/examples/browser') {
        res.writeHead(302, { location: '/examples/browser/' }).end();
        return;
      }
      if (rel === '/favicon.ico') {
        res.writeHead(204).end();
        return;
      }
      if (rel.endsWith('/')) rel += 'index.html';
      const file = normalize(join(root, rel));
      if (!SERVED.some((d) => file.startsWith(d + sep))) {
        res.writeHead(403).end('forbidden');
        return;
      }
      const st = await stat(file).catch(() => null);
      if (!st || !st.isFile()) {
        notFound.push(rel);
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${rel}`);
        return;
      }
      res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(await readFile(file));
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(port, '127.0.0.1', () => res(server));
  });
}

async function check() {
  if (!existsSync(executablePath)) throw new Error(`Chromium not found at ${executablePath} (install Debian's "chromium" package or set CHROMIUM_PATH)`);
  const { chromium } = await import('playwright-core');
  let server, browser;
  const pageErrors = [];
  try {
    server = await startServer(0);
    const url = `http://127.0.0.1:${server.address().port}/examples/browser/`;
    browser = await chromium.launch({
      executablePath, headless: true, timeout: 30_000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    log(`opening ${url} in Chromium ${browser.version()}`);
    const page = await browser.newPage({ viewport: { width: 1040, height: 720 } });
    page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => msg.type() === 'error' && pageErrors.push(`console.error: ${msg.text()}`));
    const t0 = Date.now();
    await page.goto(url, { waitUntil: 'load', timeout: 20_000 });
    let s;
    let lastEpoch = -1;
    for (;;) {
      s = await page.evaluate(() => window.tkExample ?? null);
      if (s && s.epoch !== lastEpoch) {
        lastEpoch = s.epoch;
        if (s.epoch > 0) log(`epoch ${s.epoch}/${s.epochs}: test accuracy ${s.testAccuracy.toFixed(3)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      }
      if (s?.error || pageErrors.length > 0 || notFound.length > 0) break;
      if (s?.done) break;
      if (Date.now() - t0 > TOTAL_TIMEOUT_MS - 10_000) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    // Let the last epoch's drawing land, then keep the picture.
    await page.waitForTimeout(300);
    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    log(`screenshot: ${screenshot}`);
    const problems = [...pageErrors, ...notFound.map((r) => `404 for ${r}`)];
    if (s?.error) problems.push(`the page failed: ${s.error}`);
    if (!s || !(s.testAccuracy >= MIN_ACCURACY)) problems.push(`test accuracy ${s ? s.testAccuracy.toFixed(3) : 'none'} after ${s?.epoch ?? 0} epochs is below ${MIN_ACCURACY}`);
    if (problems.length > 0) throw new Error(problems.join('; '));
    log(`ok: test accuracy ${s.testAccuracy.toFixed(3)} ≥ ${MIN_ACCURACY} after ${s.epoch} epochs, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    if (browser) await browser.close().catch((e) => log(`closing browser: ${e}`));
    if (server) {
      server.closeAllConnections?.();
      await new Promise((r) => server.close(() => r()));
    }
  }
}

if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.error('browser-example: dist/index.js not found — run `npm run build` first');
  process.exit(1);
}
if (serveOnly) {
  const port = Number(flag('--port') ?? 8080);
  const server = await startServer(port);
  log(`open http://127.0.0.1:${server.address().port}/examples/browser/ (Ctrl-C stops)`);
} else {
  const timer = setTimeout(() => {
    console.error(`browser-example: FAILED — timed out after ${TOTAL_TIMEOUT_MS / 1000} s`);
    process.exit(1);
  }, TOTAL_TIMEOUT_MS);
  timer.unref();
  check().then(
    () => process.exit(0),
    (err) => {
      console.error(`browser-example: FAILED — ${err?.message ?? err}`);
      process.exit(1);
    },
  );
}
