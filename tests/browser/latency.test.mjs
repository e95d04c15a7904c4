// A latency budget calibrated in the page: the Prune tab's Calibrate times
// the demo's layers and random pruned copies in onnxruntime-web inside a
// worker (wasm/latency.go with wasm/clock_js.go and js/ort-timer.js),
// shows the fit's mean percentage error, and pruning to half the
// predicted time gives a model predicted within the budget and measured
// faster than the original; the latency model downloads as the JSON
// `pare prune --latency-model` reads. The Compress tab takes a latency
// budget with that calibration (and says to calibrate without one); its
// prune stage meets the budget as the latency model predicts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serve, open, waitForGraph, checkPage, bannerText, pareCLI, www } from './harness.mjs';
import { tempFile } from './fixtures.mjs';

let site;
let session;
before(async () => {
  site = await serve();
  session = await open(site.url);
});
after(async () => {
  await session?.close();
  await site?.close();
});

test('the demo is calibrated in onnxruntime-web and pruned to half its latency', async () => {
  const { page } = session;
  await page.click('#try-demo');
  await page.waitForFunction(() => window.pare.state.pending === 0 && window.pare.state.data?.view);
  await waitForGraph(page);
  // Compress with a latency budget before calibrating says what to do.
  await page.click('#tab-compress');
  await page.waitForFunction(() => !document.getElementById('compress').disabled);
  await page.selectOption('#compress-resource', 'latency');
  await page.click('#compress');
  const refusal = await bannerText(page);
  assert.match(refusal, /latency measured in this browser first.*Calibrate/, refusal);
  await page.click('#tab-prune');
  await page.selectOption('#prune-resource', 'latency');
  await page.waitForSelector('#prune-latency:not([hidden])');
  assert.equal(await page.isDisabled('#prune'), true, 'Prune is enabled before calibrating');
  // onnxruntime-web is fetched only now.
  assert.ok(!session.requests.some((u) => u.includes('/ort/')), 'onnxruntime-web was loaded before it was needed');
  const started = Date.now();
  await page.click('#prune-calibrate');
  await page.waitForSelector('#prune-latency-summary', { timeout: 300000 });
  const seconds = (Date.now() - started) / 1000;
  const mpe = Number(await page.getAttribute('#prune-latency-summary', 'data-mpe'));
  const summary = await page.textContent('#prune-latency-summary');
  assert.ok(Number.isFinite(mpe) && mpe >= 0 && mpe < 100, summary);
  assert.match(summary, /mean error [\d.]+ % on 20 random pruned networks/, summary);
  assert.ok(session.requests.some((u) => u.endsWith('/ort/ort-wasm-simd-threaded.wasm')), 'onnxruntime-web was not loaded from the site');

  await page.waitForFunction(() => !document.getElementById('prune').disabled);
  await page.click('#prune');
  await page.waitForSelector('#prune-summary', { timeout: 120000 });
  await page.waitForFunction(() => !window.pare.state.busy);
  const line = await page.textContent('#prune-summary');
  const m = line.match(/^Latency predicted ([\d.]+) ms → ([\d.]+) ms \(budget ([\d.]+) ms\), measured ([\d.]+) ms → ([\d.]+) ms in onnxruntime-web here/);
  assert.ok(m, line);
  const [predBefore, predAfter, budget, measBefore, measAfter] = m.slice(1).map(Number);
  assert.ok(predAfter <= budget * 1.001, line);
  assert.ok(Math.abs(budget - predBefore / 2) <= 0.01 * predBefore, line);
  assert.ok(measAfter < measBefore, `the pruned model is not faster: ${line}`);

  // The downloaded latency model drives pare prune to the same budget.
  const model = await page.evaluate(() => window.pare.prune.calibration.model);
  const file = await tempFile('demo.latency.json', JSON.stringify(model));
  const out = await tempFile('demo-latency-pruned.onnx', Buffer.alloc(0));
  const cli = await pareCLI(['prune', join(www, 'demo', 'demo-resnet-mnist.onnx'), '--budget', 'latency=50%', '--latency-model', file, '-o', out, '--json']);
  assert.ok(cli, 'pare prune did not take the page\'s latency model');
  const cliRep = JSON.parse(cli);
  assert.ok(cliRep.latency.predicted_after_ms <= cliRep.latency.budget_ms * 1.001, cli);

  // Compress to half the predicted latency with the same calibration: the
  // prune stage's selection meets it; the rest of the run is cancelled.
  await page.click('#tab-compress');
  await page.waitForFunction(() => !document.getElementById('compress').disabled);
  await page.selectOption('#compress-resource', 'latency');
  await page.fill('#compress-budget', '50');
  await page.click('#compress');
  await page.waitForSelector('#compress-stages li[data-stage="prune"][data-state="done"]', { timeout: 120000 });
  const pruneStage = await page.textContent('#compress-stages li[data-stage="prune"] .stage-figures');
  await page.click('#compress-cancel');
  await page.waitForFunction(() => !window.pare.state.busy, null, { timeout: 60000 });
  const c = pruneStage.match(/latency predicted ([\d.]+) ms → ([\d.]+) ms \(budget ([\d.]+) ms\)/);
  assert.ok(c, pruneStage);
  const [cBefore, cAfter, cBudget] = c.slice(1).map(Number);
  assert.ok(cAfter <= cBudget * 1.005, pruneStage);
  assert.ok(Math.abs(cBefore - predBefore) <= 0.01 * predBefore, `Compress predicts ${cBefore} ms unpruned, Prune ${predBefore} ms`);
  assert.ok(Math.abs(cBudget - cBefore / 2) <= 0.01 * cBefore, pruneStage);
  console.log(`latency: calibrated in ${seconds.toFixed(1)} s, mean error ${mpe.toFixed(1)} %; ${line}; compress prune stage: ${pruneStage}`);
  await checkPage(page, 'after a latency prune');
  assert.deepEqual(session.errors, []);
  assert.deepEqual(session.foreignRequests(), []);
});
