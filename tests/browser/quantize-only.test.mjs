// Quantize only, as a new user does it: the demo, the Compress tab,
// "No pruning: quantize only" as the budget, Compress. The prune and
// fine-tune stages show as skipped (not stopped), the accuracy of the
// original and of the quantized file is shown, a Cancel and a reload in
// the quantization resume after the skipped stages, and the file the
// Download link saves is byte for byte what `pare compress` without
// --budget writes (the CLI built for wasm, with the page's relaxed-SIMD
// kernel) and runs in onnxruntime-node at the accuracy the page shows.
// Then a request the worker refuses before any work (a layer name that
// does not exist) leaves every stage waiting, with the message shown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serve, open, checkPage, bannerText, pareWasm, www, screenshots, openDemoOnCompress, compressStageStates, onnxruntimeAccuracy } from './harness.mjs';
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
const stageText = (page, name) => page.textContent(`#compress-stages li[data-stage="${name}"]`);

test('the demo quantized only: prune and fine-tune skipped, resumed after a reload, the file pare compress writes without a budget', async () => {
  const { page } = session;
  await openDemoOnCompress(page);
  await page.selectOption('#compress-resource', 'none');
  assert.equal(await page.isDisabled('#compress-budget'), true, 'a share to give with no pruning');
  assert.equal(await page.isDisabled('#compress-distill'), true, 'a distillation choice with no fine-tune');

  // Cancelled in the quantization, which starts after the skipped stages.
  await page.click('#compress');
  await page.waitForSelector('#compress-stages li[data-stage="quantize"][data-state="running"]', { timeout: 120000 });
  assert.deepEqual(await stageStates(page), { prune: 'skipped', finetune: 'skipped', quantize: 'running', evaluate: 'waiting' });
  assert.match(await stageText(page, 'prune'), /skipped no budget: nothing pruned · the original model: validation \d+\.\d\d %/);
  assert.match(await stageText(page, 'finetune'), /skipped nothing pruned, so nothing to recover/);
  await page.click('#compress-cancel');
  await page.waitForFunction(() => !window.pare.state.busy, null, { timeout: 60000 });
  assert.deepEqual(await stageStates(page), { prune: 'skipped', finetune: 'skipped', quantize: 'stopped', evaluate: 'waiting' });
  await checkPage(page, 'after cancelling the quantization');

  // A reload: the same choice again, and the stored stages are offered.
  await page.reload();
  await openDemoOnCompress(page);
  await page.selectOption('#compress-resource', 'none');
  await page.waitForSelector('#compress-resume:not([hidden])', { timeout: 30000 });
  assert.match(await page.textContent('#compress-resume-text'), /stopped after the fine-tune stage/);
  assert.deepEqual(await stageStates(page), { prune: 'skipped', finetune: 'skipped', quantize: 'waiting', evaluate: 'waiting' });

  // The blobs behind the page's links, by URL (its CSP does not let it
  // fetch its own blob URLs).
  await page.evaluate(() => {
    window.blobs_ = new Map();
    const make = URL.createObjectURL;
    URL.createObjectURL = (blob) => {
      const url = make(blob);
      window.blobs_.set(url, blob);
      return url;
    };
  });
  await page.click('#compress');
  await page.waitForSelector('#compress-check-status[data-differ]', { timeout: 300000 });
  await page.waitForFunction(() => !window.pare.state.busy, null, { timeout: 60000 });
  assert.deepEqual(await stageStates(page), { prune: 'skipped', finetune: 'skipped', quantize: 'done', evaluate: 'done' });
  const check = await page.$eval('#compress-check-status', (e) => ({ ...e.dataset, text: e.textContent }));
  assert.equal(check.differ, '0', `Pare and onnxruntime-web disagree: ${check.text}`);
  await checkPage(page, 'after quantizing');

  // The accuracy shown: the original and the exported file, nothing in
  // between; no channel table, and a line saying nothing was pruned.
  const rows = await page.$$eval('#compress-accuracy tbody tr', (trs) => trs.map((r) => [r.dataset.model, r.querySelector('td').textContent]));
  assert.deepEqual(rows.map(([m]) => m), ['original', 'quantized']);
  for (const [, acc] of rows) assert.match(acc, /^\d+\.\d\d %$/);
  assert.match(await page.textContent('#compress-solver'), /No pruning: quantized only/);
  assert.equal(await page.$('#compress-kept'), null);
  const bits = await page.$$eval('#compress-bits tbody tr td:last-child', (tds) => tds.map((t) => t.textContent));
  assert.equal(bits[0], 'float');
  assert.equal(bits[bits.length - 1], 'float');
  assert.ok(bits.slice(1, -1).every((b) => b === 'w4a4'), bits.join(' '));
  await page.locator('#view-compress').screenshot({ path: join(screenshots, 'compress-quantize-only.png') });

  // What the Download link saves: the blob behind it.
  assert.equal(await page.getAttribute('#compress-download', 'download'), 'demo-resnet-mnist-quantized-w4a4.onnx');
  const { b64, report } = await page.evaluate(async () => {
    const blob = await window.blobs_.get(document.getElementById('compress-download').href).arrayBuffer();
    let s = '';
    for (const x of new Uint8Array(blob)) s += String.fromCharCode(x);
    return { b64: btoa(s), report: window.pare.compress.result.report };
  });
  const bytes = Buffer.from(b64, 'base64');
  assert.deepEqual(report.skipped_stages, ['prune', 'finetune']);
  assert.equal(report.recipe.prune, 'skipped');
  assert.deepEqual(report.recipe.budgets ?? [], []);
  const file = await tempFile('demo-page-quantized.onnx', bytes);

  // The same inputs through the CLI, without --budget: the same file.
  const cliOut = await tempFile('demo-cli-quantized.onnx', Buffer.alloc(0));
  const cli = await pareWasm(['compress', demoModel, '--data', join(www, 'demo'), '-o', cliOut, '--json']);
  assert.ok(cli, 'bin/pare.wasm is not built (make cli-wasm)');
  const cliReport = JSON.parse(cli);
  assert.deepEqual(cliReport.skipped_stages, ['prune', 'finetune']);
  assert.equal(report.accuracy.quantized.val, cliReport.accuracy.quantized.val, 'the page and pare compress differ in accuracy');
  assert.ok(bytes.equals(await readFile(cliOut)), 'the page and pare compress wrote different files');

  // onnxruntime-node on the images as the page preprocesses them.
  const ortAccuracy = await onnxruntimeAccuracy(page, file, 1000);
  assert.equal(ortAccuracy, Number(check.pare), 'onnxruntime-node and the page disagree on the accuracy');
  console.log(`quantize only: validation ${report.accuracy.original.val} -> ${report.accuracy.quantized.val}; ` +
    `check ${check.pare} (Pare, onnxruntime-web, onnxruntime-node) on ${check.images} images; ${report.bytes.original} -> ${bytes.length} bytes`);
  assert.deepEqual(session.errors, []);
  assert.deepEqual(session.foreignRequests(), []);
});

test('a request refused before any work leaves the stages waiting and says why', async () => {
  const { page } = session;
  for (const resource of ['macs', 'none']) {
    await page.selectOption('#compress-resource', resource);
    if (resource === 'macs') await page.fill('#compress-budget', '50');
    await page.click('#compress-qil summary');
    await page.fill('#compress-layer-bits', 'nosuch=3/3');
    await page.click('#compress');
    const message = await bannerText(page);
    assert.match(message, /nosuch/, message);
    assert.match(message, /the layers are/, message);
    await page.waitForFunction(() => !window.pare.state.busy);
    assert.deepEqual(await stageStates(page), { prune: 'waiting', finetune: 'waiting', quantize: 'waiting', evaluate: 'waiting' }, `with ${resource}`);
    assert.match(await page.textContent('#announce'), /refused before any stage ran/);
    await page.click('#banner-close');
    await page.fill('#compress-layer-bits', '');
    await page.click('#compress-qil summary');
    assert.equal(await page.isDisabled('#compress'), false);
  }
  await checkPage(page, 'after a refused request');
  assert.deepEqual(session.errors, []);
});
