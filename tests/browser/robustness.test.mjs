// The page under awkward use: a model dropped while an evaluation runs,
// and the keyboard path through the node sidebar.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, open, waitForGraph, bannerText } from './harness.mjs';
import { unsupportedModel } from './fixtures.mjs';

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

test('a model dropped during an evaluation cancels it and opens cleanly', async () => {
  const { page } = session;
  await page.click('#try-demo');
  await page.waitForFunction(() => window.pare.state.pending === 0 && window.pare.state.data?.view);
  await waitForGraph(page);
  await page.click('#tab-evaluate');
  await page.waitForFunction(() => !document.getElementById('evaluate').disabled);
  // Start the evaluation and drop a model in the same task, so the drop
  // surely lands while the evaluation runs.
  await page.evaluate((bytes) => {
    document.getElementById('evaluate').click();
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'custom-ops.onnx'));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, [...unsupportedModel()]);
  await waitForGraph(page, 'custom-ops.onnx');
  const text = await bannerText(page);
  assert.match(text, /FrobnicateChannels/);
  assert.doesNotMatch(text, /Evaluation failed/);
  assert.equal(await page.evaluate(() => window.pare.state.busy), false);
});

test('Enter on a graph node opens the sidebar with focus in it; Escape returns focus to the node', async () => {
  const { page } = session;
  await page.click('#try-demo');
  await page.waitForFunction(() => window.pare.state.pending === 0 && window.pare.state.data?.view);
  await waitForGraph(page);
  await page.focus('#graph .node.cat-layer');
  const id = await page.evaluate(() => document.activeElement.dataset.id);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#sidebar:not([hidden])');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'sidebar-title');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#sidebar', { state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement.dataset?.id), id);
});
