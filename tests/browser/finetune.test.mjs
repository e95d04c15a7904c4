// The Fine-tune stage with no settings: the demo model fine-tuned on the
// demo's 1,000 images in a worker, through the generic job runner
// (progress from core/job, announcements at start and end, Cancel); the
// result is never worse on validation than the model opened, and the tuned
// model downloads and opens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, open, waitForGraph, checkPage } from './harness.mjs';

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

async function openDemoOnFinetune(page) {
  await page.click('#try-demo');
  await page.waitForFunction(() => window.pare.state.pending === 0 && window.pare.state.data?.view);
  await waitForGraph(page);
  await page.click('#tab-finetune');
  await page.waitForFunction(() => !document.getElementById('finetune').disabled);
}

test('Cancel stops a fine-tune through the job runner and the page stays usable', async () => {
  const { page } = session;
  await openDemoOnFinetune(page);
  await page.click('#finetune');
  await page.waitForFunction(() => window.pare.state.busy && /step|Validating/.test(document.getElementById('finetune-eta').textContent));
  await page.click('#finetune-cancel');
  await page.waitForFunction(() => !window.pare.state.busy, null, { timeout: 120000 });
  assert.equal(await page.textContent('#finetune-eta'), 'Cancelled.');
  assert.equal(await page.textContent('#announce'), 'Fine-tuning cancelled.');
  assert.equal(await page.isHidden('#finetune-cancel'), true);
  assert.equal(await page.isDisabled('#finetune'), false);
});

test('the demo fine-tunes with no settings, is kept only if not worse, and downloads', async () => {
  const { page } = session;
  await page.evaluate(() => {
    window.announced_ = [];
    window.stages_ = new Set();
    new MutationObserver(() => window.announced_.push(document.getElementById('announce').textContent))
      .observe(document.getElementById('announce'), { childList: true, characterData: true, subtree: true });
    new MutationObserver(() => window.stages_.add(document.getElementById('finetune-eta').textContent.split(':')[0]))
      .observe(document.getElementById('finetune-eta'), { childList: true, characterData: true, subtree: true });
  });
  await page.click('#finetune');
  await page.waitForSelector('#finetune-summary', { timeout: 300000 });
  await page.waitForFunction(() => !window.pare.state.busy, null, { timeout: 300000 });
  const { announced, stages } = await page.evaluate(() => ({ announced: window.announced_, stages: [...window.stages_] }));
  assert.equal(announced.length, 2, `announced: ${JSON.stringify(announced)}`);
  assert.equal(announced[0], 'Fine-tuning started.');
  const m = announced[1].match(/^Fine-tuning done\. Validation accuracy ([\d.]+) % before, ([\d.]+) % at best; the (best|original) weights are kept\.$/);
  assert.ok(m, announced[1]);
  assert.ok(Number(m[2]) >= Number(m[1]), `best ${m[2]} % below the start ${m[1]} %`);
  for (const s of ['Choosing the learning rate', 'Validating', 'Training']) assert.ok(stages.includes(s), `no "${s}" progress among ${stages}`);
  const events = await page.$$eval('#finetune-events li', (li) => li.map((x) => x.textContent));
  assert.ok(events.some((e) => /^learning rate .* chosen by a range test/.test(e)), events.join('\n'));
  const download = await page.getAttribute('#finetune-download', 'download');
  assert.equal(download, 'demo-resnet-mnist-finetuned.onnx');
  // Opening the tuned model makes it the current one (graph and all).
  await page.click('#finetune-open');
  await waitForGraph(page, 'demo-resnet-mnist-finetuned.onnx');
  await checkPage(page, 'after opening the fine-tuned model');
  // The result stays (it is the open model's story); it goes when the
  // preprocessing changes, as the evaluation's does.
  assert.ok(await page.$('#finetune-summary'), 'the result went when its own model opened');
  await page.click('#tab-evaluate');
  await page.fill('#preprocess input[name=scale]', '0.5');
  await page.click('#preprocess button[type=submit]');
  await page.waitForFunction(() => !document.getElementById('finetune-summary') && window.pare.state.pending === 0);
});

test('no request left the origin and no console errors', () => {
  assert.deepEqual(session.foreignRequests(), []);
  assert.deepEqual(session.errors, []);
});
