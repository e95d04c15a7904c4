// bench-compress.mjs: `make bench-compress`. The page's second-release
// speed figures (issue 12) in headless Chromium, each repeated, with the
// machine's load (1-minute average, /proc/loadavg) before and after each
// run, medians printed (docs/benchmarks-browser.md records them):
//
//   1. the demo's Compress with its defaults (prune 50 % MACs, distilled
//      fine-tune, QIL 4/4, evaluate, then the onnxruntime-web check) with
//      a pool of 1 and of 2 workers (?workers=N), training on as many
//      (#compress-workers): wall time from the click to the check's answer;
//   2. data-parallel fine-tuning (the Fine-tune tab, 1, 2 and 4 workers)
//      on the demo, and on fashion-resnet with the first --fashion-images
//      (1,000) Fashion-MNIST test images when ../shared/assets holds them;
//   3. the latency calibration (Prune, latency budget, Calibrate);
//   4. bytes sent on a first visit (scripts/first-visit.mjs), and whether
//      the live view or onnxruntime-web were fetched without being asked;
//   5. (--only qil, not by default) the Compress tab's QIL stage on 1 and
//      on 2 workers (www/js/parallel.js, as the tab runs it), from one
//      fine-tuned demo model: wall time of the request and QIL's own
//      seconds (the report's stages).
//
//   node scripts/bench-compress.mjs [--repeats 3] [--only compress,finetune,latency,visit,qil] [--fashion-repeats 1] [--fashion-images 1000]
//
// It builds nothing: `make build cli-wasm demo ort` first. Results also go
// to build/bench-compress/results.json.
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { serve, open, waitForGraph, dropFiles, root, assets } from '../tests/browser/harness.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const repeats = Number(opt('repeats', 3));
const fashionRepeats = Number(opt('fashion-repeats', 1));
const fashionImages = Number(opt('fashion-images', 1000)); // of Fashion-MNIST's t10k, for the fashion-resnet fine-tunes
const only = new Set(opt('only', 'compress,finetune,latency,visit').split(','));

const load = async () => Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0]);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const results = { date: new Date().toISOString(), machine: `${cpus().length} x ${cpus()[0]?.model}`, commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim(), runs: {} };
function record(key, run) {
  (results.runs[key] ??= []).push(run);
  console.log(`${key}: ${JSON.stringify(run)}`);
}

const site = await serve();

async function demo(page) {
  await page.click('#try-demo');
  await page.waitForFunction(() => window.pare.state.pending === 0 && window.pare.state.data?.view);
  await waitForGraph(page);
}

// Each run gets a fresh profile: a stored run would be resumed.
async function compressDemo(workers) {
  const s = await open(`${site.url}?workers=${workers}`);
  try {
    await demo(s.page);
    await s.page.click('#tab-compress');
    await s.page.waitForFunction(() => !document.getElementById('compress').disabled);
    // The fine-tune and QIL train on as many workers as the pool has
    // (the tab's default, below 2,000 images, is one).
    await s.page.selectOption('#compress-workers', String(workers));
    const before = await load();
    const t0 = Date.now();
    await s.page.click('#compress');
    await s.page.waitForSelector('#compress-check-status[data-differ]', { timeout: 900000 });
    const seconds = (Date.now() - t0) / 1000;
    const r = await s.page.evaluate(() => window.pare.compress.result.report);
    return { seconds, val: r.accuracy.quantized.val, trainWorkers: [r.finetune?.workers, r.quantize?.workers], load: [before, await load()] };
  } finally {
    await s.close();
  }
}

async function fashionSubset() {
  const src = join(assets, 'data', 'fashion-mnist');
  if (!existsSync(join(src, 't10k-images-idx3-ubyte.gz'))) return null;
  const dir = await mkdtemp(join(tmpdir(), 'pare-bench-fashion-'));
  const cut = (gz, header, item) => {
    const all = gunzipSync(gz);
    const out = Buffer.from(all.subarray(0, header + fashionImages * item));
    out.writeUInt32BE(fashionImages, 4);
    return out;
  };
  const files = [join(dir, 't10k-images-idx3-ubyte'), join(dir, 't10k-labels-idx1-ubyte')];
  await writeFile(files[0], cut(await readFile(join(src, 't10k-images-idx3-ubyte.gz')), 16, 784));
  await writeFile(files[1], cut(await readFile(join(src, 't10k-labels-idx1-ubyte.gz')), 8, 1));
  return files;
}

// finetuneRuns fine-tunes the open model with each worker count in turn,
// `times` rounds, in one page (a pool of 4 workers).
async function finetuneRuns(key, setup, times) {
  const s = await open(`${site.url}?workers=4`);
  try {
    await setup(s.page);
    await s.page.click('#tab-finetune');
    await s.page.waitForFunction(() => !document.getElementById('finetune').disabled);
    for (let i = 0; i < times; i++) {
      for (const workers of [1, 2, 4]) {
        await s.page.selectOption('#finetune-workers', String(workers));
        const before = await load();
        const t0 = Date.now();
        await s.page.click('#finetune');
        await s.page.waitForSelector('#finetune-summary', { timeout: 900000 });
        await s.page.waitForFunction(() => !window.pare.state.busy, null, { timeout: 900000 });
        const seconds = (Date.now() - t0) / 1000;
        const details = await s.page.textContent('#finetune-details');
        record(`${key}/finetune/${workers}`, { seconds, load: [before, await load()], details });
      }
    }
  } finally {
    await s.close();
  }
}

// qilRuns quantizes one fine-tuned demo model (labels only, as pare
// compress --no-distill) on 1 and 2 workers in turn, times rounds, in one
// page.
async function qilRuns(times) {
  const s = await open(`${site.url}?workers=2`);
  try {
    await demo(s.page);
    await s.page.evaluate(async () => {
      const { pool, state } = window.pare;
      const slots = [await pool.slot(0), await pool.slot(1)];
      for (const slot of slots) {
        await slot.request('openModel', { name: state.model.name }, state.model.files);
        await slot.request('openData', { preprocess: state.preprocess }, state.data.files);
      }
      const base = { budgets: [{ resource: 'macs', fraction: 0.5 }], bits: '4/4', storage: 'int8', noDistill: true };
      const file = (name, r) => [{ path: `${name}.onnx`, bytes: r.blob.buffer.slice(r.blob.byteOffset, r.blob.byteOffset + r.blob.byteLength) }];
      const p = await slots[0].request('compress', { ...base, until: 'prune' });
      const f = await slots[0].request('compress', { ...base, until: 'finetune', resume: { after: 'prune', report: p.value.report } }, file('prune', p));
      window.qilBench_ = { slots, base, files: file('finetune', f), resume: { after: 'finetune', report: f.value.report } };
    });
    for (let i = 0; i < times; i++) {
      for (const workers of [1, 2]) {
        const before = await load();
        const run = await s.page.evaluate(async (w) => {
          const { trainParallel } = await import(new URL('js/parallel.js', location.href));
          const { slots, base, files, resume } = window.qilBench_;
          const params = { ...base, until: 'quantize', resume };
          const t0 = performance.now();
          const r = w === 1 ? await slots[0].request('compress', params, files) : await trainParallel(slots.slice(0, w), 'compress', params, files);
          const q = r.value.report.quantize;
          return { seconds: (performance.now() - t0) / 1000, qil: q.stages.reduce((t, st) => t + st.seconds, 0), workers: q.workers };
        }, workers);
        record(`demo/qil/${workers}`, { ...run, load: [before, await load()] });
      }
    }
  } finally {
    await s.close();
  }
}

async function calibrate() {
  const s = await open(site.url);
  try {
    await demo(s.page);
    await s.page.click('#tab-prune');
    await s.page.selectOption('#prune-resource', 'latency');
    await s.page.waitForSelector('#prune-latency:not([hidden])');
    const before = await load();
    const t0 = Date.now();
    await s.page.click('#prune-calibrate');
    await s.page.waitForSelector('#prune-latency-summary', { timeout: 600000 });
    const seconds = (Date.now() - t0) / 1000;
    return { seconds, mpe: Number(await s.page.getAttribute('#prune-latency-summary', 'data-mpe')), load: [before, await load()] };
  } finally {
    await s.close();
  }
}

try {
  if (only.has('compress')) {
    for (let i = 0; i < repeats; i++) for (const w of [1, 2]) record(`demo/compress/${w}`, await compressDemo(w));
  }
  if (only.has('finetune')) {
    await finetuneRuns('demo', demo, repeats);
    const files = await fashionSubset();
    if (files && fashionRepeats > 0) {
      await finetuneRuns('fashion-resnet', async (page) => {
        await dropFiles(page, [join(root, 'core', 'train', 'testdata', 'fashion-resnet.onnx')]);
        await waitForGraph(page, 'fashion-resnet.onnx');
        await dropFiles(page, files);
        await page.waitForFunction((n) => window.pare.state.pending === 0 && window.pare.state.data?.view?.count === n, fashionImages);
      }, fashionRepeats);
    } else if (!files) {
      console.log('fashion-resnet: ../shared/assets/data/fashion-mnist is absent; skipped');
    }
  }
  if (only.has('qil')) await qilRuns(repeats);
  if (only.has('latency')) for (let i = 0; i < repeats; i++) record('demo/calibrate', await calibrate());
  if (only.has('visit')) {
    for (let i = 0; i < repeats; i++) {
      const before = await load();
      const out = JSON.parse(execFileSync(process.execPath, [join(root, 'scripts', 'first-visit.mjs'), site.url], { cwd: root }).toString());
      const paths = out.largest.map((l) => l.path);
      record('first-visit', { bytes: out.bytes, requests: out.requests, pareWasm: out.largest.find((l) => l.path.endsWith('/pare.wasm'))?.body,
        liveview: paths.some((p) => p.includes('liveview.wasm')), ort: paths.some((p) => p.includes('/ort/')), load: [before, await load()] });
    }
  }
} finally {
  await site.close();
}

console.log('\nmedians:');
for (const [key, runs] of Object.entries(results.runs)) {
  const fields = Object.keys(runs[0]).filter((k) => typeof runs[0][k] === 'number');
  console.log(`${key} (${runs.length} runs): ${fields.map((f) => `${f} ${median(runs.map((r) => r[f]))}`).join(', ')}; load ${runs.map((r) => r.load.join('→')).join(', ')}`);
}
await mkdir(join(root, 'build', 'bench-compress'), { recursive: true });
await writeFile(join(root, 'build', 'bench-compress', 'results.json'), JSON.stringify(results, null, 2));
