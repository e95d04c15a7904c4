// What a newcomer hit (issue 15): an accuracy left on screen under a model
// it was not measured on, the demo's images following the user into their
// own model (with warnings about data they never opened), a Fit that hid
// every label of the demo graph, a faint selection ring, and disabled tabs
// that looked half-selected.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, open, chooseFiles, waitForGraph, evaluate, checkPage, root, www } from './harness.mjs';

const demoData = ['mnist-test-images-idx3-ubyte', 'mnist-test-labels-idx1-ubyte'].map((f) => join(www, 'demo', f));
const demoModel = join(www, 'demo', 'demo-resnet-mnist.onnx');
// A CIFAR-shaped model (3x32x32) of the repository: the demo's 1x28x28
// digits do not fit it, so a leak of the demo's data shows as a warning.
const cifarModel = join(root, 'testdata', 'models', 'resnet20_cifar.onnx');

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

const idle = (page) => page.waitForFunction(() => window.pare.state.pending === 0 && !window.pare.state.opening, null, { timeout: 120000 });
const shownAccuracy = (page) => page.$('#accuracy');

async function openDemo(page) {
  await page.click('#try-demo');
  await page.waitForFunction(() => window.pare.state.pending === 0 && window.pare.state.data?.view, null, { timeout: 120000 });
  await waitForGraph(page);
}

test('before a model opens, the disabled tabs do not look selected', async () => {
  const { page } = session;
  const look = await page.$$eval('#tabs [role=tab]', (tabs) => tabs.map((t) => ({ disabled: t.disabled, bg: getComputedStyle(t).backgroundColor })));
  const accent = await page.evaluate(() => {
    const b = document.createElement('button');
    b.className = 'primary';
    document.body.append(b);
    const c = getComputedStyle(b).backgroundColor;
    b.remove();
    return c;
  });
  for (const t of look) {
    assert.equal(t.disabled, true);
    assert.notEqual(t.bg, accent, 'a disabled tab has the selected tab\'s accent background');
  }
});

test('Fit keeps the demo graph\'s labels, and the selected node has a strong ring', async () => {
  const { page } = session;
  await openDemo(page);
  await page.click('#tab-graph');
  await page.click('#zoom-fit');
  await waitForGraph(page);
  const labels = await page.evaluate(() => {
    const svg = document.querySelector('#graph svg');
    const titles = [...document.querySelectorAll('#graph .node .title')];
    return { far: svg.classList.contains('far'), visible: titles.filter((t) => t.getBoundingClientRect().height > 0 && getComputedStyle(t).display !== 'none').length };
  });
  assert.equal(labels.far, false, 'after Fit the demo graph is drawn without labels');
  assert.ok(labels.visible >= 8, `after Fit only ${labels.visible} node labels show`);
  await page.click('#graph .node.cat-layer');
  await page.waitForSelector('#sidebar:not([hidden])');
  const ring = await page.$eval('#graph .node.selected rect', (r) => {
    const s = getComputedStyle(r);
    return { width: parseFloat(s.strokeWidth), scaling: s.vectorEffect, filter: s.filter };
  });
  assert.ok(ring.width >= 4 && ring.scaling === 'non-scaling-stroke', `the selection ring is ${ring.width}px, ${ring.scaling}: thin when zoomed out`);
  assert.match(ring.filter, /drop-shadow/);
  await page.keyboard.press('Escape');
});

test('a model opened after the demo starts without the demo\'s images, and without the demo\'s result', async () => {
  const { page } = session;
  const demo = await evaluate(page);
  assert.equal(demo.total, 1000);
  await chooseFiles(page, '#open-model', [cifarModel]);
  await waitForGraph(page, 'resnet20_cifar.onnx');
  await idle(page);
  assert.equal(await page.isHidden('#banner'), true, `a banner shows though no data was opened: ${await page.textContent('#banner')}`);
  assert.equal(await page.evaluate(() => window.pare.state.data), null, 'the demo\'s images are still open');
  assert.match(await page.textContent('#status'), /demo's images were closed/);
  await page.click('#tab-evaluate');
  assert.equal(await shownAccuracy(page), null, 'the demo\'s accuracy is shown under resnet20_cifar');
  assert.match(await page.textContent('#data-panel'), /No data open/);
  assert.equal(await page.isDisabled('#evaluate'), true);
  await checkPage(page, 'the CIFAR model after the demo');
});

test('results disappear when the model, the data or the preprocessing changes', async () => {
  const { page } = session;
  // Data the user opened (not the demo's) stays with the next model, but
  // the result measured on the previous model does not.
  await chooseFiles(page, '#open-model', [demoModel]);
  await waitForGraph(page, 'demo-resnet-mnist.onnx');
  await chooseFiles(page, '#open-data', demoData);
  await page.waitForFunction(() => window.pare.state.data?.view?.count === 1000 && window.pare.state.pending === 0);
  await evaluate(page);

  await chooseFiles(page, '#open-model', [demoModel]);
  await waitForGraph(page, 'demo-resnet-mnist.onnx');
  await idle(page);
  assert.equal(await page.evaluate(() => window.pare.state.data?.view?.count), 1000, 'the user\'s own data was closed with the model');
  await page.click('#tab-evaluate');
  assert.equal(await shownAccuracy(page), null, 'the result stayed after the model was opened again');
  assert.match(await page.textContent('#eta'), /changed since the last evaluation/);

  await evaluate(page);
  await chooseFiles(page, '#open-data', demoData);
  await page.waitForFunction(() => window.pare.state.pending === 0 && !window.pare.state.opening && window.pare.state.data?.view);
  assert.equal(await shownAccuracy(page), null, 'the result stayed after other data was opened');

  await evaluate(page);
  await page.fill('#preprocess input[name=scale]', '1/255');
  await page.click('#preprocess button[type=submit]');
  await page.waitForFunction(() => window.pare.state.preprocess?.scale < 0.01 && window.pare.state.pending === 0 && !window.pare.state.opening);
  assert.equal(await shownAccuracy(page), null, 'the result stayed after the preprocessing changed');

  // Applying the same preprocessing again changes nothing: the result stays.
  const again = await evaluate(page);
  await page.click('#preprocess button[type=submit]');
  await idle(page);
  assert.ok(await shownAccuracy(page), 'an unchanged preprocessing cleared the result');
  assert.equal(await page.$eval('#accuracy', (e) => Number(e.dataset.correct)), again.correct);
  await checkPage(page, 'after the changes');
});

test('a digits CSV (pixels 0..16) for an MNIST model is warned about, with the scale that fits', async () => {
  const { page } = session;
  // Five 28x28 "digits" in the 0..16 range of scikit-learn's digits.
  const rows = Array.from({ length: 5 }, (_, r) => [...Array.from({ length: 784 }, (_, i) => (i * 7 + r) % 17), r].join(','));
  const csv = join(await mkdtemp(join(tmpdir(), 'pare-digits-')), 'digits.csv');
  await writeFile(csv, rows.join('\n') + '\n');
  await chooseFiles(page, '#open-model', [demoModel]);
  await waitForGraph(page, 'demo-resnet-mnist.onnx');
  await chooseFiles(page, '#open-data', [csv]);
  await page.waitForFunction(() => window.pare.state.data?.view?.count === 5 && window.pare.state.pending === 0);
  const text = await page.textContent('#banner');
  assert.match(text, /0\.\.16, not 0\.\.255/);
  assert.match(text, /set the scale to 15\.9375/);
});

test('no request left the origin and no console errors', () => {
  assert.deepEqual(session.foreignRequests(), []);
  assert.deepEqual(session.errors, []);
});
