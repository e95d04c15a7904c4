// The Compress stage on the demo with its defaults (50 % of the MACs, QIL
// 4/4, int8 storage, distilled fine-tune): Cancel in the fine-tune, and
// again in the quantization, each followed by a reload, keep the finished
// stages, which the next run resumes from;
// the file the page ends with is byte for byte what `pare compress`
// writes (the CLI built for wasm, with the same relaxed-SIMD kernel the
// page uses), its MACs re-measured by `pare info` are within the budget,
// onnxruntime-web in the page and onnxruntime-node here give the accuracy
// the page shows, and the Download links name the file and its report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serve, open, checkPage, bannerText, pareCLI, pareWasm, totalMACs, www, screenshots, openDemoOnCompress, compressStageStates, onnxruntimeAccuracy } from './harness.mjs';
import { tempFile } from './fixtures.mjs';

const demoModel = join(www, 'demo', 'demo-resnet-mnist.onnx');

let site;
let session;
before(async () => {
  site = await serve();
  // The kernel is pinned so that the CLI below, under node, computes with
  // the same instructions.
  session = await open(`${site.url}?simd=relaxed`);
});
after(async () => {
  await session?.close();
  await site?.close();
});

const stageStates = compressStageStates;

// wasmCompress runs `pare compress` built for wasm (bin/pare.wasm, make
// cli-wasm) under node with the relaxed-SIMD kernel; null if not built.
const wasmCompress = (args) => pareWasm(['compress', ...args]);

test('the demo compresses with the defaults, survives Cancel and a reload, and is what pare compress writes', async () => {
  const { page } = session;
  await openDemoOnCompress(page);
  assert.deepEqual(await page.evaluate(() => ['resource', 'budget', 'wbits', 'abits', 'storage'].map((k) => document.getElementById(`compress-${k}`).value)),
    ['macs', '50', '4', '4', 'int8']);
  assert.ok(await page.isChecked('#compress-distill'));

  // Cancel once pruning is done and the fine-tune runs.
  await page.click('#compress');
  await page.waitForSelector('#compress-stages li[data-stage="finetune"][data-state="running"]', { timeout: 120000 });
  await page.click('#compress-cancel');
  await page.waitForFunction(() => !window.pare.state.busy, null, { timeout: 60000 });
  assert.deepEqual(await stageStates(page), { prune: 'done', finetune: 'stopped', quantize: 'waiting', evaluate: 'waiting' });
  assert.match(await page.textContent('#announce'), /cancelled; the finished stages are kept/);
  await checkPage(page, 'after cancelling the compression');

  // A reload: the demo again, and the stored prune stage is offered.
  await page.reload();
  await openDemoOnCompress(page);
  await page.waitForSelector('#compress-resume:not([hidden])', { timeout: 30000 });
  const notice = await page.textContent('#compress-resume-text');
  assert.match(notice, /stopped after the prune stage/, notice);
  assert.match(notice, /Kept in this browser: [\d.]+ KiB; this site stores [\d.]+ [KMG]iB of the [\d.]+ [KMGT]iB the browser allows/, notice);
  assert.equal((await stageStates(page)).prune, 'restored');

  // Resumed, and cancelled again in the quantization: a second reload
  // resumes after the fine-tune.
  await page.click('#compress');
  await page.waitForSelector('#compress-stages li[data-stage="quantize"][data-state="running"]', { timeout: 120000 });
  assert.equal((await stageStates(page)).prune, 'restored');
  await page.click('#compress-cancel');
  await page.waitForFunction(() => !window.pare.state.busy, null, { timeout: 60000 });
  assert.deepEqual(await stageStates(page), { prune: 'restored', finetune: 'done', quantize: 'stopped', evaluate: 'waiting' });
  await page.reload();
  await openDemoOnCompress(page);
  await page.waitForSelector('#compress-resume:not([hidden])', { timeout: 30000 });
  assert.match(await page.textContent('#compress-resume-text'), /stopped after the fine-tune stage/);

  const started = Date.now();
  await page.click('#compress');
  await page.waitForSelector('#compress-check-status[data-differ]', { timeout: 300000 });
  await page.waitForFunction(() => !window.pare.state.busy, null, { timeout: 60000 });
  const seconds = (Date.now() - started) / 1000;
  assert.deepEqual(await stageStates(page), { prune: 'restored', finetune: 'restored', quantize: 'done', evaluate: 'done' });
  assert.equal(await page.isHidden('#compress-resume'), true, 'the finished run is still offered for resuming');
  const check = await page.$eval('#compress-check-status', (e) => ({ ...e.dataset, text: e.textContent }));
  assert.equal(check.images, '1000', check.text);
  assert.equal(check.differ, '0', `Pare and onnxruntime-web disagree: ${check.text}`);
  assert.equal(check.pare, check.ort, check.text);
  await checkPage(page, 'after compressing');
  await page.locator('#view-compress').screenshot({ path: join(screenshots, 'compress.png') });

  // What the Download link saves.
  assert.equal(await page.getAttribute('#compress-download', 'download'), 'demo-resnet-mnist-compressed-w4a4.onnx');
  assert.equal(await page.getAttribute('#compress-report', 'download'), 'demo-resnet-mnist-compressed-w4a4.report.json');
  const { b64, report } = await page.evaluate(() => {
    const r = window.pare.compress.result;
    const b = new Uint8Array(r.bytes);
    let s = '';
    for (const x of b) s += String.fromCharCode(x);
    return { b64: btoa(s), report: r.report };
  });
  const bytes = Buffer.from(b64, 'base64');
  const file = await tempFile('demo-page-compressed.onnx', bytes);

  // The same inputs through the CLI: the same file.
  const cliOut = await tempFile('demo-cli-compressed.onnx', Buffer.alloc(0));
  const cli = await wasmCompress([demoModel, '--data', join(www, 'demo'), '--budget', 'macs=50%', '-o', cliOut, '--json']);
  assert.ok(cli, 'bin/pare.wasm is not built (make cli-wasm)');
  const cliReport = JSON.parse(cli);
  assert.equal(report.accuracy.quantized.val, cliReport.accuracy.quantized.val, 'the page and pare compress differ in accuracy');
  assert.ok(bytes.equals(await readFile(cliOut)), 'the page and pare compress wrote different files');

  // Re-measured by pare info: within the budget.
  const before = totalMACs(await pareCLI(['info', demoModel, '--json']));
  const afterMACs = totalMACs(await pareCLI(['info', file, '--json']));
  assert.ok(afterMACs <= Math.floor(before / 2), `${afterMACs} MACs over half of ${before}`);
  assert.equal(afterMACs, report.resources.macs.after);

  // onnxruntime-node on the images as the page preprocesses them.
  const ortAccuracy = await onnxruntimeAccuracy(page, file, 1000);
  assert.equal(ortAccuracy, Number(check.pare), 'onnxruntime-node and the page disagree on the accuracy');
  console.log(`compress: resumed run ${seconds.toFixed(1)} s; validation ${report.accuracy.original.val} -> ${report.accuracy.quantized.val}; ` +
    `check ${check.pare} (Pare, onnxruntime-web, onnxruntime-node); ${afterMACs} of ${before} MACs; ${bytes.length} bytes`);
  assert.deepEqual(session.errors, []);
  assert.deepEqual(session.foreignRequests(), []);
});

test('a budget no pruning meets gets a clear message and the page stays usable', async () => {
  const { page } = session;
  await page.fill('#compress-budget', '0.001');
  await page.click('#compress');
  const message = await bannerText(page);
  assert.match(message, /budget/i, message);
  assert.match(message, /Raise the budget|at least/i, message);
  await page.waitForFunction(() => !window.pare.state.busy);
  assert.equal(await page.isDisabled('#compress'), false);
  await checkPage(page, 'after an unreachable budget');
});

test('the fine-tune and QIL train on two workers as on one', async () => {
  const { page } = session;
  // Labels only (a run no earlier test stored), on two workers, to the end.
  await page.fill('#compress-budget', '50');
  await page.uncheck('#compress-distill');
  await page.selectOption('#compress-workers', '2');
  await page.click('#compress');
  await page.waitForSelector('#compress-stages li[data-stage="evaluate"][data-state="done"]', { timeout: 600000 });
  const figures = (name) => page.textContent(`#compress-stages li[data-stage="${name}"] .stage-figures`);
  const two = { finetune: await figures('finetune'), quantize: await figures('quantize') };
  await page.waitForFunction(() => !window.pare.state.busy, null, { timeout: 300000 });
  const twoReport = await page.evaluate(() => window.pare.compress.result.report);
  assert.match(two.finetune, /, 2 workers\)$/, two.finetune);
  assert.match(two.quantize, / \(2 workers\)$/, two.quantize);
  assert.equal(twoReport.finetune.workers, 2);
  assert.equal(twoReport.quantize.workers, 2);

  // The same stages as requests to one worker; then QIL again from the
  // same fine-tuned model on two workers (www/js/parallel.js, as the tab
  // runs it), and its file evaluated.
  const { one, q2, q2eval } = await page.evaluate(async () => {
    const { pool, state } = window.pare;
    const { trainParallel } = await import(new URL('js/parallel.js', location.href));
    const slots = [await pool.slot(0), await pool.slot(1)];
    for (const s of slots) {
      // The tab's check left the compressed file open in the second.
      if (s.loaded.model !== state.model.key) {
        await s.request('openModel', { name: state.model.name }, state.model.files);
        s.loaded = { ...s.loaded, model: state.model.key };
      }
    }
    const base = { budgets: [{ resource: 'macs', fraction: 0.5 }], bits: '4/4', storage: 'int8', noDistill: true };
    const file = (name, r) => [{ path: `${name}.onnx`, bytes: r.blob.buffer.slice(r.blob.byteOffset, r.blob.byteOffset + r.blob.byteLength) }];
    const chain = {};
    let resume = null;
    let files = [];
    for (const until of ['prune', 'finetune', 'quantize', 'evaluate']) {
      const r = await slots[0].request('compress', { ...base, until, resume }, files);
      chain[until] = r;
      resume = { after: until, report: r.value.report };
      files = file(until, r);
    }
    const q2 = await trainParallel(slots, 'compress', { ...base, until: 'quantize', resume: { after: 'finetune', report: chain.finetune.value.report } },
      file('finetune', chain.finetune));
    const q2eval = await slots[0].request('compress', { ...base, until: 'evaluate', resume: { after: 'quantize', report: q2.value.report } }, file('quantize', q2));
    let differ = 0;
    const a = chain.quantize.blob;
    const b = q2.blob;
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) differ++;
    return {
      one: chain.evaluate.value.report,
      q2: { report: q2.value.report, bytes: b.length, oneBytes: a.length, differ, exchanges: q2.exchanges },
      q2eval: q2eval.value.report,
    };
  });
  assert.equal(one.finetune.workers, 1);
  assert.equal(one.quantize.workers, 1);
  const want = `validation ${(100 * one.accuracy.finetuned.val).toFixed(2)} % (learning rate ${one.finetune.lr.toPrecision(2)}, ${one.finetune.kept} weights kept, 2 workers)`;
  assert.equal(two.finetune, want, 'two workers and one fine-tuned differently');
  assert.deepEqual(twoReport.quantize.stages.map((s) => s.bits), one.quantize.stages.map((s) => s.bits));
  // QIL from the same model on two workers: the one-worker run up to the
  // summation order of the gradients, which QIL's training carries
  // across quantizer levels (compress's TestQuantizeStageDataParallel
  // measures that drift against a one-worker run from weights one ulp
  // away). So the same stages and a file of the same layers: within 1 %
  // of the size (an activation interval that ends at c = d has no Sub
  // node), training accuracy within 5 points and loss within a quarter
  // (the demo's losses are near 0.05: one image moves them), the same accuracy
  // to a few held-out images.
  const q = q2.report.quantize;
  const images = one.val_images;
  console.log(`QIL on two workers: ${q2.bytes} bytes (one worker ${q2.oneBytes}), ${q2.differ} differ; stages ${JSON.stringify(q.stages)}, ` +
    `one worker ${JSON.stringify(one.quantize.stages)}; validation ${q2eval.accuracy.quantized.val} (one worker ${one.accuracy.quantized.val}, ${images} images)`);
  assert.equal(q.workers, 2);
  assert.ok(Math.abs(q2.bytes - q2.oneBytes) <= q2.oneBytes / 100, `QIL on two workers exported ${q2.bytes} bytes, on one ${q2.oneBytes}`);
  assert.equal(q.stages.length, one.quantize.stages.length);
  q.stages.forEach((s, i) => {
    const w = one.quantize.stages[i];
    assert.equal(s.bits, w.bits);
    assert.ok(Math.abs(s.train_accuracy - w.train_accuracy) <= 0.05 && Math.abs(s.train_loss - w.train_loss) <= 0.25 * w.train_loss,
      `QIL ${s.bits} on two workers: ${JSON.stringify(s)}, on one: ${JSON.stringify(w)}`);
  });
  assert.ok(Math.abs(q2eval.accuracy.quantized.val - one.accuracy.quantized.val) <= Math.max(6, 0.03 * images) / images,
    `validation accuracy ${q2eval.accuracy.quantized.val} after QIL on two workers, ${one.accuracy.quantized.val} on one`);
  // The whole run on two workers starts QIL from a fine-tuned model equal
  // to the one worker's to float rounding: the same bound.
  assert.ok(Math.abs(twoReport.accuracy.quantized.val - one.accuracy.quantized.val) <= Math.max(6, 0.03 * images) / images,
    `validation accuracy ${twoReport.accuracy.quantized.val} with two workers, ${one.accuracy.quantized.val} with one`);
  const qil = (rep) => rep.quantize.stages.reduce((t, s) => t + s.seconds, 0);
  console.log(`compress QIL (demo, labels only, from the same fine-tuned model): 1 worker ${qil(one).toFixed(2)} s, 2 workers ${qil(q2.report).toFixed(2)} s ` +
    `(${q2.exchanges} exchanges), ${q2.differ} of ${q2.bytes} bytes differ; validation ${one.accuracy.quantized.val} (1), ${q2eval.accuracy.quantized.val} (2); ` +
    `the tab's run on 2 workers: QIL ${qil(twoReport).toFixed(2)} s, validation ${twoReport.accuracy.quantized.val}; ${two.quantize}`);
  await page.selectOption('#compress-workers', 'auto');
  await page.check('#compress-distill');
  assert.deepEqual(session.errors, []);
});

test('the QIL choices and the kept share of the Compress tab reach the run and give what pare compress gives with the same flags', async () => {
  const { page } = session;
  await page.reload();
  await openDemoOnCompress(page);
  await page.fill('#compress-budget', '50');
  // A floor that binds (the default selection keeps 4 of one layer's 16).
  await page.fill('#compress-min-keep', '40');
  await page.click('#compress-qil summary');
  await page.selectOption('#compress-schedule', 'direct');
  await page.check('#compress-quantizer-only');
  // A layer that does not exist: refused before anything runs, with the
  // names that do, and the page stays usable.
  await page.fill('#compress-layer-bits', 'nosuch=3/3');
  await page.click('#compress');
  const refused = await bannerText(page);
  assert.match(refused, /nosuch/, refused);
  assert.match(refused, /the layers are/, refused);
  await page.waitForFunction(() => !window.pare.state.busy);
  const states = Object.values(await stageStates(page));
  assert.ok(!states.includes('done') && !states.includes('running'), `a stage ran: ${states}`);
  await page.click('#banner-close');
  const layer = '/down1/down1.0/down1.0.0/Conv';
  await page.fill('#compress-layer-bits', `${layer}=8/8`);
  await page.click('#compress');
  await page.waitForSelector('#compress-check-status[data-differ]', { timeout: 300000 });
  await page.waitForFunction(() => !window.pare.state.busy, null, { timeout: 60000 });
  const figures = await page.textContent('#compress-stages li[data-stage="quantize"] .stage-figures');
  assert.match(figures, /w4a4, directly: w4a4 \(intervals only\)/, figures);
  const bitsRow = await page.$$eval('#compress-bits tbody tr', (rows) => rows.map((r) => r.textContent));
  assert.ok(bitsRow.some((r) => r.includes(layer) && r.includes('w8a8')), bitsRow.join(' | '));
  const { b64, report } = await page.evaluate(() => {
    const r = window.pare.compress.result;
    let s = '';
    for (const x of new Uint8Array(r.bytes)) s += String.fromCharCode(x);
    return { b64: btoa(s), report: r.report };
  });
  assert.equal(report.recipe.schedule, 'direct');
  assert.equal(report.recipe.quantizer_only, true);
  assert.equal(report.recipe.min_keep, 0.4);

  const cliOut = await tempFile('demo-cli-qil-choices.onnx', Buffer.alloc(0));
  const cli = await wasmCompress([demoModel, '--data', join(www, 'demo'), '--budget', 'macs=50%', '--min-keep', '40%', '--schedule', 'direct',
    '--quantizer-only', '--layer-bits', `${layer}=8/8`, '-o', cliOut, '--json']);
  assert.ok(cli, 'bin/pare.wasm is not built (make cli-wasm)');
  assert.equal(report.accuracy.quantized.val, JSON.parse(cli).accuracy.quantized.val, 'the page and pare compress differ in accuracy');
  assert.ok(Buffer.from(b64, 'base64').equals(await readFile(cliOut)), 'the page and pare compress wrote different files');
  assert.deepEqual(session.errors, []);
});
