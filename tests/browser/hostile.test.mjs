// A model and a data set are the user's files, but they may come from
// anyone: every string in them (node names, op types, attributes, doc
// strings, metadata, class folder names) must reach the page as text,
// never as markup.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, open, chooseFiles, waitForGraph, checkPage } from './harness.mjs';
import { hostile, hostileModel, imageFolder, tempFile } from './fixtures.mjs';

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

// injected lists what the payloads would have made, had any been parsed.
const injected = (page) => page.evaluate(() => ({
  ran: window.__pareXSS ?? null,
  elements: [...document.querySelectorAll('img, script:not([src]), [onerror], [onload], [onmouseover], #graph svg svg')].map((e) => e.outerHTML.slice(0, 80)),
}));

test('markup in a model\'s names, attributes and metadata is shown as text', async () => {
  const { page } = session;
  await chooseFiles(page, '#open-model', [await tempFile('hostile.onnx', hostileModel())]);
  await waitForGraph(page, 'hostile.onnx');
  assert.deepEqual(await injected(page), { ran: null, elements: [] });

  // The unsupported op type is listed, as text, in the banner and the summary.
  assert.ok((await page.textContent('#banner')).includes(hostile.svg));
  assert.ok((await page.textContent('#unsupported')).includes(hostile.svg));
  assert.ok((await page.textContent('#summary')).includes(`x${hostile.img}`));
  const labels = await page.$$eval('#graph .node text.title', (ts) => ts.map((t) => t.textContent));
  assert.ok(labels.includes(hostile.svg), `graph labels: ${labels.join(' | ')}`);

  // The sidebar of each node: names, attributes, inputs and outputs.
  for (const name of [hostile.img, hostile.svg, hostile.attr]) {
    await page.click(`#graph .node[aria-label$=${JSON.stringify(' ' + name)}]`);
    await page.waitForFunction((n) => document.getElementById('sidebar-body').textContent.includes(n), name);
  }
  await page.click(`#graph .node[aria-label$=${JSON.stringify(' ' + hostile.svg)}]`);
  await page.waitForFunction((s) => document.getElementById('sidebar-body').textContent.includes(s), hostile.script);
  assert.deepEqual(await injected(page), { ran: null, elements: [] });
  await page.keyboard.press('Escape');
});

test('markup in class folder names is shown as text', async () => {
  const { page } = session;
  const folder = await imageFolder(2, 2, { name: 'hostile-classes', classNames: [hostile.img, hostile.svg] });
  await chooseFiles(page, '#open-data-folder', [folder]);
  await page.waitForFunction(() => window.pare.state.pending === 0 && window.pare.state.data?.view);
  const summary = await page.textContent('#data-summary');
  assert.ok(summary.includes(hostile.img) && summary.includes(hostile.svg), summary);
  await checkPage(page, 'after opening hostile class names');
  assert.deepEqual(await injected(page), { ran: null, elements: [] });
});

test('no request left the origin and no console errors', () => {
  assert.deepEqual(session.foreignRequests(), []);
  assert.deepEqual(session.errors, []);
});
