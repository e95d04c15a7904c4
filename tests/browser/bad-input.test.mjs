// Bad input gets a clear message in the page (role=alert), and the page
// stays usable afterwards: after each case the demo still opens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, open, chooseFiles, waitForGraph, bannerText, www, screenshots } from './harness.mjs';
import { unsupportedModel, hugeActivationModel, imageFolder, tempFile } from './fixtures.mjs';

let site;
let session;
before(async () => {
  site = await serve();
  session = await open(`${site.url}?maxFiles=500`);
});
after(async () => {
  await session?.close();
  await site?.close();
});

// stillUsable opens the demo model after a failure.
async function stillUsable(page) {
  await page.click('#banner-close');
  await page.click('#try-demo');
  await page.waitForFunction(() => window.pare.state.pending === 0 && window.pare.state.data?.view);
  await waitForGraph(page);
}

const demoModel = () => readFile(join(www, 'demo', 'demo-resnet-mnist.onnx'));

test('a truncated model', async () => {
  const { page } = session;
  const bytes = await demoModel();
  await chooseFiles(page, '#open-model', [await tempFile('truncated.onnx', bytes.subarray(0, Math.floor(bytes.length / 2)))]);
  assert.match(await bannerText(page), /truncated\.onnx is not a readable ONNX model.*truncated/s);
  await page.screenshot({ path: join(screenshots, 'error-truncated.png') });
  await stillUsable(page);
});

test('a file that is not ONNX', async () => {
  const { page } = session;
  await chooseFiles(page, '#open-model', [await tempFile('notes.onnx', Buffer.from('These are my notes, not a model.\n'.repeat(20)))]);
  assert.match(await bannerText(page), /notes\.onnx .*(not a readable ONNX model|holds no graph)/s);
  await stillUsable(page);
});

test('unsupported operators are listed', async () => {
  const { page } = session;
  await chooseFiles(page, '#open-model', [await tempFile('custom-ops.onnx', unsupportedModel())]);
  const text = await bannerText(page);
  assert.match(text, /FrobnicateChannels/);
  assert.match(text, /Wibble/);
  await waitForGraph(page, 'custom-ops.onnx'); // the graph still shows
  assert.equal(await page.isDisabled('#evaluate'), true);
  await stillUsable(page);
});

test('data that does not match the model', async () => {
  const { page } = session;
  await page.waitForFunction(() => window.pare.state.model);
  const folder = await imageFolder(12, 2, { name: 'twelve-classes' });
  await chooseFiles(page, '#open-data-folder', [folder]);
  assert.match(await bannerText(page), /12 classes.*predicts only 10/s);
  await page.screenshot({ path: join(screenshots, 'error-mismatch.png') });
  await stillUsable(page);
});

test('an empty folder and a folder without images', async () => {
  const { page } = session;
  const dir = await mkdtemp(join(tmpdir(), 'pare-empty-'));
  await writeFile(join(dir, 'README.txt'), 'nothing to see\n');
  await chooseFiles(page, '#open-data-folder', [dir]);
  assert.match(await bannerText(page), /Cannot read these files as labelled images|no data set recognised/i);
  await stillUsable(page);
});

test('a huge folder is refused before it is read', async () => {
  const { page } = session;
  const folder = await imageFolder(10, 60, { name: 'six-hundred' }); // the page was opened with ?maxFiles=500
  await chooseFiles(page, '#open-data-folder', [folder]);
  assert.match(await bannerText(page), /more than 500 files/);
  await stillUsable(page);
});

test('running out of memory', async () => {
  const { page } = session;
  await chooseFiles(page, '#open-model', [await tempFile('four-gigabytes.onnx', hugeActivationModel())]);
  await waitForGraph(page, 'four-gigabytes.onnx');
  await page.evaluate(() => document.getElementById('banner-close').click());
  const folder = await imageFolder(2, 2, { name: 'tiny' });
  await chooseFiles(page, '#open-data-folder', [folder]);
  await page.click('#tab-evaluate');
  await page.waitForFunction(() => !document.getElementById('evaluate').disabled);
  await page.click('#evaluate');
  assert.match(await bannerText(page), /memory/i);
  await page.screenshot({ path: join(screenshots, 'error-memory.png') });
  await stillUsable(page);
});

test('no request left the origin', () => {
  assert.deepEqual(session.foreignRequests(), []);
});
