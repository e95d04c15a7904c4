// Shared set-up of the browser tests: serve www/ on 127.0.0.1 (with
// `pare serve` when it is built, else a small static server sending the
// same headers), launch Debian's chromium through playwright-core with a
// fresh profile, and record every request and every console error.
import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { readFile, stat, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, extname, dirname, normalize, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const www = join(root, 'www');
export const assets = join(root, '..', 'shared', 'assets');
export const screenshots = join(root, 'docs', 'images');

const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.onnx': 'application/octet-stream',
};
const csp = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; img-src 'self' data: blob:; " +
  "style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'self'";

/** serve starts the site and returns {url, close}. */
export async function serve() {
  const pare = process.env.PARE_BIN || join(root, 'bin', 'pare');
  if (existsSync(pare) && process.env.PARE_TEST_STATIC !== '1') return servePare(pare);
  return serveStatic();
}

async function servePare(bin) {
  const child = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--dir', www], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) resolve(m[0]);
    });
    child.on('exit', (code) => reject(new Error(`pare serve exited with ${code}: ${out}`)));
  });
  return { url, close: async () => { child.kill('SIGTERM'); } };
}

async function serveStatic() {
  const server = createServer(async (req, res) => {
    try {
      let path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      if (path.endsWith('/')) path += 'index.html';
      const file = normalize(join(www, path));
      if (!file.startsWith(www) || !(await stat(file)).isFile()) throw new Error('not found');
      let body = await readFile(file);
      const headers = {
        'Content-Type': types[extname(file)] || 'application/octet-stream',
        'Content-Security-Policy': csp, 'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff',
      };
      if (/gzip/.test(req.headers['accept-encoding'] || '') && /\.(wasm|js|html|css|json|onnx)$/.test(file)) {
        body = gzipSync(body);
        headers['Content-Encoding'] = 'gzip';
      }
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}

export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * open launches chromium with a fresh profile and returns a session that
 * records requests and console errors: {context, page, requests, errors, close}.
 * extraArgs are added to chromium's command line (worker-oom.test.mjs caps
 * WebAssembly memory with a V8 flag).
 */
export async function open(siteURL, { viewport = { width: 1280, height: 800 }, colorScheme = 'light', extraArgs = [] } = {}) {
  const profile = await mkdtemp(join(tmpdir(), 'pare-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [...chromiumArgs, ...extraArgs], headless: true, viewport, colorScheme, acceptDownloads: false,
  });
  const requests = [];
  const errors = [];
  context.on('request', (r) => requests.push(r.url()));
  const watch = (page) => {
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') errors.push(`worker console: ${m.text()}`); }));
  };
  context.on('page', watch);
  const page = context.pages()[0] || (await context.newPage());
  watch(page);
  await page.goto(siteURL);
  return {
    context, page, requests, errors,
    foreignRequests: () => requests.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== new URL(siteURL).origin),
    close: async () => { await context.close(); await rm(profile, { recursive: true, force: true }); },
  };
}

/** waitIdle waits until the page shows no status and no running work. */
export async function waitForText(page, selector, pattern, timeout = 120000) {
  await page.waitForFunction(([sel, src]) => {
    const e = document.querySelector(sel);
    return e && !e.hidden && new RegExp(src).test(e.textContent);
  }, [selector, pattern.source], { timeout });
}

/** chooseFiles clicks a button that opens a file chooser and picks paths. */
export async function chooseFiles(page, button, paths) {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click(button)]);
  await chooser.setFiles(paths);
}

// Text that only a bug puts on a page: a JavaScript value rendered as text
// (an array of elements, a missing field, a division by zero).
const garbage = /\[object |\bundefined\b|\bNaN\b|\bnull\b/;

/**
 * checkPage asserts that no visible text of the page (text nodes, the
 * values of visible form fields, the graph's SVG labels) contains
 * "[object ", "undefined", "NaN" or "null". The helpers below call it after
 * each major step, so every test gets it.
 */
export async function checkPage(page, step) {
  const found = await page.evaluate((src) => {
    const bad = new RegExp(src);
    const out = [];
    const visible = (e) => e && (e.checkVisibility ? e.checkVisibility({ visibilityProperty: true }) : e.offsetParent !== null);
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (bad.test(n.data) && visible(n.parentElement)) out.push(`"${n.data.trim().slice(0, 120)}" in <${n.parentElement.tagName.toLowerCase()}>`);
    }
    for (const f of document.querySelectorAll('input:not([type=file]), select, textarea')) {
      if (bad.test(f.value) && visible(f)) out.push(`field ${f.name || f.id} = "${f.value}"`);
    }
    return out;
  }, garbage.source);
  assert.deepEqual(found, [], `${step}: the page shows text that only a bug makes:\n${found.join('\n')}`);
}

/**
 * waitForGraph waits until the graph of the open model is drawn: every
 * node in (or near) the view has its element, and no others do (the view
 * draws only what it shows).
 */
export async function waitForGraph(page, fileName = null, timeout = 120000) {
  await page.waitForFunction((name) => {
    const s = window.pare?.state;
    const view = window.pare?.graphView;
    return s?.model && s.pending === 0 && (!name || s.model.view.summary.fileName === name) &&
      view.drawn === s.model.view.graph && !view.renderPending && !view.frame &&
      document.querySelectorAll('#graph .node').length === view.elements.size && view.elements.size > 0;
  }, fileName, { timeout });
  await checkPage(page, `after opening ${fileName || 'the model'}`);
}

/**
 * evaluate runs an evaluation from the Evaluate tab, waits until the
 * results (thumbnails included) are drawn, and returns {correct, total}.
 */
export async function evaluate(page, timeout = 300000) {
  await page.click('#tab-evaluate');
  await page.waitForFunction(() => !document.getElementById('evaluate').disabled, null, { timeout: 60000 });
  await checkPage(page, 'before evaluating');
  await page.click('#evaluate');
  await page.waitForSelector('#accuracy', { timeout });
  await page.waitForFunction(() => !window.pare.state.busy, null, { timeout });
  await checkPage(page, 'after evaluating');
  return page.$eval('#accuracy', (e) => ({ correct: Number(e.dataset.correct), total: Number(e.dataset.total) }));
}

/** bannerText waits for the alert banner and returns its text. */
export async function bannerText(page, timeout = 120000) {
  await page.waitForSelector('#banner:not([hidden])', { timeout });
  await checkPage(page, 'with a message shown');
  return page.textContent('#banner');
}

/** pare runs the CLI (bin/pare) and returns stdout, or null when it is not built or fails. */
export async function pareCLI(args) {
  const bin = process.env.PARE_BIN || join(root, 'bin', 'pare');
  if (!existsSync(bin)) return null;
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => resolve(code === 0 ? out : (console.error(`pare ${args.join(' ')}: ${err}`), null)));
  });
}

/** totalMACs finds the total MACs in `pare info --json` output. */
export function totalMACs(json) {
  const data = JSON.parse(json);
  const walk = (v) => {
    if (!v || typeof v !== 'object') return null;
    for (const [k, x] of Object.entries(v)) if (/^(total_?)?macs$/i.test(k) && typeof x === 'number') return x;
    for (const k of ['total', 'totals', 'Total', 'Totals']) if (v[k]) { const r = walk(v[k]); if (r != null) return r; }
    return null;
  };
  return walk(data);
}

/** nonBackgroundPixels counts pixels of a PNG screenshot that differ from its corner pixel. */
export async function nonBackgroundPixels(page, png) {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - d[0]) + Math.abs(d[i + 1] - d[1]) + Math.abs(d[i + 2] - d[2]) > 30) n++;
    return n;
  }, png.toString('base64'));
}

/**
 * pareWasm runs the CLI built for wasm (bin/pare.wasm, make cli-wasm) under
 * node with the relaxed-SIMD kernel the page pins with ?simd=relaxed, so
 * its floats are the page's; stdout, or null when it is not built.
 */
export async function pareWasm(args) {
  const wasm = join(root, 'bin', 'pare.wasm');
  if (!existsSync(wasm)) return null;
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, 'tools', 'wasmexec', 'go_js_wasm_exec'), [wasm, ...args], {
      env: { ...process.env, PARE_SIMD: 'relaxed' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`pare.wasm ${args[0]}: ${err}`))));
  });
}

/** openDemoOnCompress opens the demo model and images and shows the Compress tab, ready to run. */
export async function openDemoOnCompress(page) {
  await page.click('#try-demo');
  await page.waitForFunction(() => window.pare.state.pending === 0 && window.pare.state.data?.view);
  await waitForGraph(page);
  await page.click('#tab-compress');
  await page.waitForFunction(() => !document.getElementById('compress').disabled);
}

/** compressStageStates maps each stage of the Compress tab to its state (waiting, running, done, skipped, stopped). */
export const compressStageStates = (page) => page.$$eval('#compress-stages li', (lis) => Object.fromEntries(lis.map((li) => [li.dataset.stage, li.dataset.state])));

/** dropFiles drops files from disk on the page, as a user dragging them onto it. */
export async function dropFiles(page, paths) {
  const files = await Promise.all(paths.map(async (p) => ({ name: basename(p), b64: (await readFile(p)).toString('base64') })));
  await page.evaluate((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, files);
}

// onnxruntimeAccuracy runs file in onnxruntime-node on the first n open
// images as the page preprocessed them (its first worker's 'inputs') and
// returns the share whose top class is the image's label.
export async function onnxruntimeAccuracy(page, file, n) {
  const inputs = await page.evaluate(async (end) => {
    const slot = await window.pare.pool.slot(0);
    const r = await slot.request('inputs', { start: 0, end });
    let s = '';
    for (const x of r.blob) s += String.fromCharCode(x);
    return { ...r.value, b64: btoa(s) };
  }, n);
  const ort = createRequire(import.meta.url)('onnxruntime-node');
  const sess = await ort.InferenceSession.create(file);
  const raw = Buffer.from(inputs.b64, 'base64');
  const x = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const out = await sess.run({ [inputs.name]: new ort.Tensor('float32', x, inputs.shape) });
  const y = out[sess.outputNames[0]].data;
  const k = y.length / inputs.shape[0];
  let right = 0;
  for (let i = 0; i < inputs.shape[0]; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (y[i * k + j] > y[i * k + best]) best = j;
    if (best === inputs.labels[i]) right++;
  }
  return right / inputs.shape[0];
}
