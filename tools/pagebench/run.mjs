// The page's speed benchmark (issue 4), in one run of headless Chromium:
//   1. time to interactive of the app on localhost: the first visit after
//      `pare serve` starts, cold (fresh profile) and warm (service worker
//      installed), and the demo's graph after a click;
//   2. evaluation throughput of a model (resnet8-cifar10) on seeded
//      CIFAR-10-shaped data: Pare's worker pool with 1 and N workers and
//      onnxruntime-web (wasm, 1 thread) in the same page;
//   3. the bytes the app transfers: every file of a cold visit, raw, gzip -9
//      and brotli 11, and the core wasm alone against the 2 MB goal.
// It builds nothing: run `make build demo` first (scripts/bench-page.sh
// does). Prints tables and writes build/pagebench/results.json.
//
//   node tools/pagebench/run.mjs [--repeats 5] [--images 2000] [--workers N] [--first-visits 3] [--model path.onnx]
import { spawn, execFileSync } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir, cpus, loadavg, availableParallelism } from 'node:os';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { writeCIFAR } from './cifar.mjs';
import { startBenchServer } from './server.mjs';
import { compressedSizes } from './sizes.mjs';
import { spread } from './stats.mjs';
import { installTimingHooks, visit, waitForServiceWorker } from './tti.mjs';
import { measureThroughput } from './throughput.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const www = join(root, 'www');
const out = join(root, 'build', 'pagebench');

const { values: opt } = parseArgs({
  options: {
    repeats: { type: 'string', default: process.env.REPEATS || '5' },
    images: { type: 'string', default: process.env.IMAGES || '2000' },
    workers: { type: 'string', default: process.env.WORKERS || '0' },
    model: { type: 'string', default: join(root, '..', 'shared', 'assets', 'models', 'resnet8-cifar10.onnx') },
    'skip-tti': { type: 'boolean', default: false },
    'skip-throughput': { type: 'boolean', default: false },
    'first-visits': { type: 'string', default: process.env.FIRST_VISITS || '3' },
  },
});
const repeats = Math.max(1, Number(opt.repeats));
const images = Math.max(1, Number(opt.images));
const firstVisitCount = Math.max(0, Number(opt['first-visits']));
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const log = (s) => console.error(s);

function need(path, what) {
  if (!existsSync(path)) {
    console.error(`pagebench: ${path} is missing: ${what}`);
    process.exit(2);
  }
}
need(join(root, 'bin', 'pare'), 'build it with make build');
need(join(www, 'pare.wasm'), 'build it with make build (the wasm target)');
need(join(www, 'demo', 'demo.json'), 'prepare the demo with make demo');
need(join(root, 'node_modules', 'onnxruntime-web', 'dist'), 'install npm packages with make deps');
need(opt.model, 'the shared test assets (../shared/assets) are needed for the throughput model');

// Service-worker requests are only reported to playwright with this set.
process.env.PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS = '1';

async function startPare() {
  const child = spawn(join(root, 'bin', 'pare'), ['serve', '--addr', '127.0.0.1:0', '--dir', www], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      const m = text.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) resolve(m[0]);
    });
    child.on('exit', (code) => reject(new Error(`pare serve exited with ${code}: ${text}`)));
  });
  return { url, close: () => child.kill('SIGTERM') };
}

// firstFetch fetches pare.wasm once as a browser would (offering br and
// gzip) right after the server starts and returns {ms, encoding, bytes}:
// `pare serve` sends the copy precompressed at build time
// (scripts/precompress.mjs) if there is one, and gzips on the fly (once,
// slowly for a multi-megabyte file) if not.
async function firstFetch(siteURL) {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    httpGet(new URL('pare.wasm', siteURL), { headers: { 'Accept-Encoding': 'gzip, deflate, br, zstd' } }, (res) => {
      let bytes = 0;
      res.on('data', (d) => { bytes += d.length; });
      res.on('end', () => resolve({ ms: performance.now() - t0, encoding: res.headers['content-encoding'] || 'identity', bytes }));
    }).on('error', reject);
  });
}

// firstVisits measures the first visitor after `pare serve` starts: each
// time a new server and a fresh profile, one cold visit, nothing fetched
// before it (the server's start-up work, such as its background gzip of
// large files without a precompressed copy, runs beside the visit, as it
// would for a real first visitor).
async function firstVisits(n) {
  const list = [];
  for (let i = 0; i < n; i++) {
    const site = await startPare();
    try {
      const b = await launch();
      try {
        await installTimingHooks(b.context);
        const v = await visit(b.page, site.url);
        list.push(v);
        log(`  first visit ${i + 1}/${n} after server start: interactive ${v.interactive.toFixed(0)} ms (pare.wasm downloaded ${v.wasmDownloaded?.toFixed(0)}), demo shown ${v.demoShown.toFixed(0)} ms after the click`);
        if (b.errors.length) log(`  page errors: ${b.errors.join('; ')}`);
      } finally {
        await b.close();
      }
    } finally {
      site.close();
    }
  }
  return list;
}

async function launch() {
  const profile = await mkdtemp(join(tmpdir(), 'pagebench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath, args: chromiumArgs, headless: true, viewport: { width: 1280, height: 800 },
  });
  const errors = [];
  const watch = (p) => {
    p.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    p.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  };
  context.on('page', watch);
  const page = context.pages()[0] || (await context.newPage());
  watch(page);
  return { context, page, errors, close: async () => { await context.close(); await rm(profile, { recursive: true, force: true }); } };
}

// --- 1. time to interactive ------------------------------------------------

const timingKeys = ['ttfb', 'fcp', 'domContentLoaded', 'load', 'appWired', 'wasmDownloaded', 'wasmCompiled', 'workerReady', 'interactive', 'demoShown'];
const summarise = (list) => Object.fromEntries(timingKeys.map((k) => [k, spread(list.map((t) => t[k]))]));

// Each repetition is a fresh profile: one cold visit (empty cache, no
// service worker), then two warm visits once the service worker controls
// the page. Nothing listens to the network here, so nothing but the app
// runs in the page.
async function timeToInteractive(siteURL) {
  const cold = [];
  const warm = [];
  let browserVersion = null;
  for (let rep = 0; rep < repeats; rep++) {
    const b = await launch();
    browserVersion = browserVersion || b.context.browser()?.version() || null;
    await installTimingHooks(b.context);
    const c = await visit(b.page, siteURL);
    cold.push(c);
    log(`  cold ${rep + 1}/${repeats}: interactive ${c.interactive.toFixed(0)} ms (FCP ${c.fcp.toFixed(0)}, worker ready ${c.workerReady.toFixed(0)}), demo shown ${c.demoShown.toFixed(0)} ms after the click`);
    await waitForServiceWorker(b.page);
    await new Promise((r) => setTimeout(r, 500)); // let the service worker's pre-cache finish
    for (let i = 0; i < 2; i++) {
      const w = await visit(b.page, siteURL);
      if (!w.controlledBySW) log('  warning: the warm visit was not controlled by the service worker');
      warm.push(w);
      log(`  warm ${rep + 1}.${i + 1}: interactive ${w.interactive.toFixed(0)} ms (FCP ${w.fcp.toFixed(0)}), demo shown ${w.demoShown.toFixed(0)} ms`);
    }
    if (b.errors.length) log(`  page errors: ${b.errors.join('; ')}`);
    await b.close();
  }
  return { cold: summarise(cold), warm: summarise(warm), coldRuns: cold, warmRuns: warm, browserVersion };
}

// --- 3. transferred bytes ----------------------------------------------------

// One more cold visit (demo click included, service worker pre-cache
// finished) through the counting proxy of server.mjs: the bytes are those
// `pare serve` sent, as encoded; playwright tells who asked (the page and
// its workers, or the service worker).
async function transferredBytes(siteURL) {
  const fetched = [];
  let phase = 'load';
  const server = await startBenchServer({
    upstream: siteURL,
    onProxied: (path, bytes, status, encoding, accept) => fetched.push({ path, bytes, status, encoding, accept, phase }),
  });
  const askers = new Map();
  const b = await launch();
  try {
    b.context.on('request', (req) => {
      const u = new URL(req.url());
      if (u.origin !== new URL(server.url).origin) return;
      const who = req.serviceWorker() ? 'sw' : phase;
      askers.set(u.pathname, new Set([...(askers.get(u.pathname) || []), who]));
    });
    await installTimingHooks(b.context);
    await visit(b.page, server.url, { onInteractive: () => { phase = 'demo'; } });
    phase = 'sw';
    await waitForServiceWorker(b.page);
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    await b.close();
    await server.close();
  }
  const files = new Map();
  for (const r of fetched) {
    const f = files.get(r.path) || { url: r.path, onWire: 0, fetches: 0, answers: new Map() };
    f.onWire += r.bytes;
    f.fetches++;
    // 304 Not Modified: the service worker's pre-cache revalidates what
    // the page already holds in its HTTP cache, and no body is sent.
    const answer = r.status === 200 ? `200 ${r.encoding || 'identity'}` : String(r.status);
    f.answers.set(answer, (f.answers.get(answer) || 0) + 1);
    files.set(r.path, f);
  }
  const rows = [];
  for (const f of files.values()) {
    const path = (f.url.endsWith('/') ? `${f.url}index.html` : f.url).replace(/^\//, '');
    const file = join(www, path);
    if (!existsSync(file)) continue;
    rows.push({
      path: f.url === '/' ? '/ (index.html)' : path, file, loadedBy: [...(askers.get(f.url) || [])].sort().join('+'),
      fetches: f.fetches, onWire: f.onWire, answers: [...f.answers].map(([a, n]) => `${n}x ${a}`).join(', '), ...(await compressedSizes(file)),
    });
  }
  rows.sort((a, b) => b.raw - a.raw);
  const sum = (list, k) => list.reduce((s, r) => s + r[k], 0);
  const group = (pred) => {
    const list = rows.filter(pred);
    // "/" and "index.html" are two URLs (and two cache entries) of one
    // file: sizes count each file once, bytes sent count every URL.
    const unique = [...new Map(list.map((r) => [r.file, r])).values()];
    return { files: unique.length, raw: sum(unique, 'raw'), gzip: sum(unique, 'gzip'), brotli: sum(unique, 'brotli'), onWire: sum(list, 'onWire') };
  };
  const isDemo = (r) => r.path.startsWith('demo/');
  return {
    files: rows,
    app: group((r) => !isDemo(r)),
    demo: group(isDemo),
    all: group(() => true),
    coreWasm: rows.find((r) => r.path === 'pare.wasm') || null,
    // What the browser offers decides whether brotli could be used at all.
    acceptEncoding: [...new Set(fetched.map((r) => r.accept))],
  };
}

// --- 2. throughput ---------------------------------------------------------

async function throughput(siteURL, dataFile) {
  const modelName = basename(opt.model);
  const server = await startBenchServer({
    upstream: siteURL,
    mounts: { 'ort/': join(root, 'node_modules', 'onnxruntime-web', 'dist'), 'data/': out },
    files: { '/pagebench/bench.html': join(here, 'bench.html'), '/pagebench/bench.js': join(here, 'bench.js'), [`/pagebench/model/${modelName}`]: opt.model },
  });
  const b = await launch();
  try {
    await b.page.goto(`${server.url}pagebench/bench.html`);
    const result = await measureThroughput(b.page, {
      modelURL: `/pagebench/model/${modelName}`, dataURL: `/pagebench/data/${basename(dataFile)}`,
      workers: Number(opt.workers), repeats, log,
    });
    if (b.errors.length) log(`  page errors: ${b.errors.join('; ')}`);
    const ortVersion = JSON.parse(await readFile(join(root, 'node_modules', 'onnxruntime-web', 'package.json'), 'utf8')).version;
    return { ...result, model: modelName, ortVersion, summary: Object.fromEntries(Object.entries(result.rates).map(([k, v]) => [k, spread(v)])) };
  } finally {
    await b.close();
    await server.close();
  }
}

// --- reporting ---------------------------------------------------------------

const kb = (n) => (n / 1024).toFixed(1);
const ms = (s) => (s.n ? `${s.median.toFixed(0)} (${s.min.toFixed(0)}-${s.max.toFixed(0)})` : '-');

function machine() {
  const sh = (cmd, args) => { try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return null; } };
  return {
    nproc: Number(sh('nproc', [])) || availableParallelism(),
    cpu: cpus()[0]?.model || null,
    node: process.version,
    chromium: sh(chromiumPath, ['--version'])?.split('\n').pop() || null,
    uptime: sh('uptime', []),
    loadavg: loadavg(),
  };
}

function printTables(r) {
  const lines = [];
  if (r.tti) {
    lines.push('', 'Time to interactive, ms from navigation start: median (min-max)', '',
      '| | ' + (r.firstVisit ? `first visit after server start (${r.firstVisitRuns.length}) | ` : '') +
      'cold (fresh profile) | warm (service worker) |', r.firstVisit ? '|---|---|---|---|' : '|---|---|---|');
    for (const [k, label] of [['ttfb', 'first byte'], ['fcp', 'first contentful paint'], ['domContentLoaded', 'DOMContentLoaded'],
      ['load', 'load'], ['appWired', 'app.js wired (controls work)'], ['wasmDownloaded', 'pare.wasm downloaded (page)'],
      ['wasmCompiled', 'pare.wasm compiled (page, streaming)'], ['workerReady', 'worker 0 ready (pare.wasm instantiated)'],
      ['interactive', '**interactive** (latest of DOMContentLoaded, wired, ready)'], ['demoShown', '"Try the demo" click -> graph drawn']]) {
      lines.push(`| ${label} | ${r.firstVisit ? `${ms(r.firstVisit[k])} | ` : ''}${ms(r.tti.cold[k])} | ${ms(r.tti.warm[k])} |`);
    }
    const f = r.serverFirstFetch;
    lines.push('', `first request for pare.wasm after pare serve started (before the cold visits): ${f.ms.toFixed(0)} ms, ${f.encoding}, ${kb(f.bytes)} KiB`);
  }
  if (r.throughput) {
    const t = r.throughput;
    const base = t.summary['ort-web-batch1'].median;
    lines.push('', `Evaluation throughput, ${t.model}, ${t.images} images, images/s: median (min-max) of ${repeats}; ratio to ort-web batch 1`, '',
      '| runtime | images/s | ratio |', '|---|---|---|');
    for (const [k, s] of Object.entries(t.summary)) {
      lines.push(`| ${k} | ${s.median.toFixed(0)} (${s.min.toFixed(0)}-${s.max.toFixed(0)}) | ${(s.median / base).toFixed(2)} |`);
    }
    lines.push('', `speedup pare ${t.workersN} workers / 1 worker: ${(t.summary[`pare-${t.workersN}w`].median / t.summary['pare-1w'].median).toFixed(2)}x;` +
      ` top-1 agreement pare vs ort-web: ${(100 * t.agreement.pareVsOrt).toFixed(2)} %`);
  }
  if (r.transfer) {
    const x = r.transfer;
    lines.push('', 'Transferred bytes of a cold visit (KiB; files on disk compressed with node zlib)', '',
      '| file | loaded by | raw | gzip -9 | brotli 11 | sent by pare serve (answers) |', '|---|---|---|---|---|---|');
    for (const f of x.files) lines.push(`| ${f.path} | ${f.loadedBy} | ${kb(f.raw)} | ${kb(f.gzip)} | ${kb(f.brotli)} | ${kb(f.onWire)} (${f.answers}) |`);
    for (const [k, g] of [['app (all but demo/)', x.app], ['demo/', x.demo], ['total', x.all]]) {
      lines.push(`| **${k}** (${g.files} files) | | ${kb(g.raw)} | ${kb(g.gzip)} | ${kb(g.brotli)} | ${kb(g.onWire)} |`);
    }
    if (x.coreWasm) {
      const mb = x.coreWasm.brotli / 1e6;
      lines.push('', `core wasm (pare.wasm): ${(x.coreWasm.raw / 1e6).toFixed(2)} MB raw, ${(x.coreWasm.gzip / 1e6).toFixed(2)} MB gzip, ` +
        `${mb.toFixed(2)} MB brotli: goal < 2 MB brotli ${mb < 2 ? 'met' : 'NOT met'}; sent on the cold visit: ` +
        `${(x.coreWasm.onWire / 1e6).toFixed(2)} MB (${x.coreWasm.answers})`,
        `Accept-Encoding sent by Chromium to this origin: ${x.acceptEncoding.join(' | ')}`);
    }
  }
  console.log(lines.join('\n'));
}

// wasmFiles describes www/pare.wasm and its precompressed copies (size and
// modification time): `pare serve` falls back to gzip on the fly while a
// copy is older than pare.wasm, as it is for the ~15 s of brotli -11 after
// someone else's `make wasm`, so a rebuild during the run changes what is
// sent and the run says so.
function wasmFiles() {
  return Object.fromEntries(['pare.wasm', 'pare.wasm.br', 'pare.wasm.gz'].map((f) => {
    try {
      const st = statSync(join(www, f));
      return [f, { size: st.size, mtime: st.mtime.toISOString() }];
    } catch {
      return [f, null];
    }
  }));
}

function checkWasmFiles(before, after) {
  const problems = [];
  if (JSON.stringify(before) !== JSON.stringify(after)) problems.push('www/pare.wasm or its .br/.gz changed during the run (rebuilt): the numbers mix two builds');
  for (const copy of ['pare.wasm.br', 'pare.wasm.gz']) {
    if (!after[copy]) problems.push(`www/${copy} is missing: pare serve compresses pare.wasm on the fly (make wasm writes it)`);
    else if (after['pare.wasm'] && after[copy].mtime < after['pare.wasm'].mtime) problems.push(`www/${copy} is older than pare.wasm: pare serve ignores it`);
  }
  return problems;
}

// --- main ------------------------------------------------------------------

const site = await startPare();
const results = { date: new Date().toISOString(), command: `node tools/pagebench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(), repeats, images, machineBefore: machine(), wasmFilesBefore: wasmFiles() };
log(`pagebench: pare serve at ${site.url}; load ${results.machineBefore.loadavg.map((l) => l.toFixed(2)).join(' ')}`);
try {
  const dataFile = await writeCIFAR(out, images);
  results.serverFirstFetch = await firstFetch(site.url);
  const f = results.serverFirstFetch;
  log(`first request for pare.wasm after pare serve started: ${f.ms.toFixed(0)} ms, ${f.encoding}, ${f.bytes} bytes`);
  if (!opt['skip-tti']) {
    if (firstVisitCount > 0) {
      log(`first visit after pare serve starts (${firstVisitCount}x, a new server each time):`);
      results.firstVisitRuns = await firstVisits(firstVisitCount);
      results.firstVisit = summarise(results.firstVisitRuns);
    }
    log('time to interactive (cold, then warm):');
    const tti = await timeToInteractive(site.url);
    results.chromium = tti.browserVersion;
    results.tti = tti;
    log('transferred bytes (one more cold visit, through a counting proxy):');
    results.transfer = await transferredBytes(site.url);
  }
  if (!opt['skip-throughput']) {
    log(`throughput (${images} images, ${repeats} rounds):`);
    results.throughput = await throughput(site.url, dataFile);
  }
  results.machineAfter = machine();
  results.wasmFilesAfter = wasmFiles();
  results.warnings = checkWasmFiles(results.wasmFilesBefore, results.wasmFilesAfter);
  printTables(results);
  for (const w of results.warnings) log(`pagebench: warning: ${w}`);
  await writeFile(join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  log(`\nwrote ${join(out, 'results.json')}`);
} finally {
  site.close();
}
