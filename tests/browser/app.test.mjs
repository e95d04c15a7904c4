// The bundled demo, start to finish: it loads with one click, shows its
// graph (not blank), evaluates with progress, and the accuracy equals
// `pare eval` on the same images. Then the network goes off and the app
// still works (service worker). Every request stays on the page's origin,
// and a normal visit logs no console errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { serve, open, waitForGraph, evaluate, pareCLI, nonBackgroundPixels, checkPage, screenshots, www } from './harness.mjs';

let site;
let session;
before(async () => {
  await mkdir(screenshots, { recursive: true });
  site = await serve();
  session = await open(site.url);
});
after(async () => {
  await session?.close();
  await site?.close();
});

test('the empty page offers Open model and the demo, and says data stays here', async () => {
  const { page } = session;
  assert.equal(await page.isVisible('#empty-open'), true);
  assert.equal(await page.isVisible('#empty-demo'), true);
  assert.match(await page.textContent('#privacy'), /never leave this machine/);
  await page.screenshot({ path: join(screenshots, 'empty.png') });
});

test('the demo loads with one click and draws its graph', async () => {
  const { page } = session;
  await page.click('#empty-demo');
  await waitForGraph(page);
  // For the guide's picture: a taller window, zoomed out two steps and
  // scrolled so that both residual blocks (their skip edges) are in view.
  await page.setViewportSize({ width: 1280, height: 1150 });
  for (let i = 0; i < 2; i++) await page.click('#zoom-out');
  const box = await page.locator('#graph').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, 420);
  // The view applies the scroll on the next animation frame.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const png = await page.screenshot({ path: join(screenshots, 'graph.png') });
  await page.mouse.wheel(0, -420);
  for (let i = 0; i < 2; i++) await page.click('#zoom-in');
  await page.setViewportSize({ width: 1280, height: 800 });
  const painted = await nonBackgroundPixels(page, png);
  assert.ok(painted > 5000, `the graph screenshot is nearly blank (${painted} non-background pixels)`);
  const graphPng = await page.locator('#graph').screenshot();
  assert.ok(await nonBackgroundPixels(page, graphPng) > 2000, 'the graph area itself is blank');
});

test('metric overlay, node sidebar with histogram, Escape closes it', async () => {
  const { page } = session;
  await page.selectOption('#metric', 'macs');
  assert.match(await page.textContent('#legend'), /MACs/);
  // Each node with MACs shows them on the graph, as pare info counts them.
  // Fit shows the whole graph, so every node has its element.
  await page.click('#zoom-fit');
  await waitForGraph(page);
  const labels = await page.$$eval('#graph .node.cat-layer .sub', (subs) => subs.map((s) => s.textContent));
  // The demo's seven Convs (stem, strided, residual pair, strided,
  // depthwise 3x3, pointwise 1x1) and its Gemm head, as pare info counts them.
  assert.deepEqual(labels, ['56.4 k MACs', '226 k MACs', '452 k MACs', '452 k MACs', '226 k MACs', '14.1 k MACs', '50.2 k MACs', '320 MACs']);
  await checkPage(page, 'with the MACs overlay');
  // Back at the opening zoom, where part of the graph is out of view (and
  // not drawn), Tab walks the nodes from the top and brings each one into
  // view. The sixth Conv is the depthwise one (group 32, a 32x1x3x3 weight).
  await page.evaluate(() => window.pare.graphView.fit({ readable: true }));
  await waitForGraph(page);
  const total = await page.evaluate(() => window.pare.state.model.view.graph.nodes.length);
  assert.ok(await page.locator('#graph .node').count() < total, 'at the opening zoom the whole demo graph is drawn: nothing shows that Tab draws nodes');
  await page.focus('#graph .node');
  let convs = 0;
  for (let i = 0; i < total && convs < 6; i++) {
    const here = await page.evaluate(() => {
      const e = document.activeElement;
      const g = document.getElementById('graph').getBoundingClientRect();
      const r = e.getBoundingClientRect();
      return { label: e.getAttribute('aria-label') || '', inView: r.top >= g.top && r.bottom <= g.bottom && r.left >= g.left && r.right <= g.right };
    });
    assert.ok(here.inView, `the focused node ${here.label} is not in view`);
    if (/^Conv /.test(here.label) && ++convs === 6) break;
    await page.keyboard.press('Tab');
  }
  assert.equal(convs, 6, 'Tab did not reach the sixth Conv');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#sidebar:not([hidden]) .hist rect');
  const sidebar = await page.textContent('#sidebar');
  assert.match(sidebar, /kernel_shape/);
  assert.match(sidebar, /group\s*32/);
  await page.screenshot({ path: join(screenshots, 'sidebar.png') });
  await page.keyboard.press('Escape');
  assert.equal(await page.isHidden('#sidebar'), true);
  await page.selectOption('#metric', 'none');
});

test('the demo evaluates, and the accuracy equals pare eval', async (t) => {
  const { page } = session;
  const shown = await evaluate(page);
  assert.equal(shown.total, 1000);
  await page.waitForSelector('#wrong canvas');
  // A taller window, so the guide's picture shows the thumbnails too.
  await page.setViewportSize({ width: 1280, height: 1000 });
  await page.locator('#accuracy').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(screenshots, 'evaluate.png') });
  await page.setViewportSize({ width: 1280, height: 800 });
  const out = await pareCLI(['eval', join(www, 'demo', 'demo-resnet-mnist.onnx'), '--data', join(www, 'demo'), '--json']);
  if (out == null) {
    t.skip('bin/pare is not built (make build): cannot compare with pare eval');
    return;
  }
  const cli = JSON.parse(out);
  assert.equal(shown.total, cli.count);
  assert.equal(shown.correct, cli.correct, `page ${shown.correct}/${shown.total}, pare eval ${cli.correct}/${cli.count}`);
});

test('the confusion matrix is drawn, its rows add up to the per-class counts', async () => {
  const { page } = session;
  const tables = await page.evaluate(() => {
    const rows = (sel) => [...document.querySelectorAll(`${sel} tbody tr`)].map((tr) => ({
      name: tr.querySelector('th').textContent,
      cells: [...tr.querySelectorAll('td')].map((td) => Number(td.textContent.replace(/,/g, '').replace('·', '0'))),
    }));
    return { confusion: rows('#confusion'), perClass: rows('#per-class'), header: [...document.querySelectorAll('#confusion thead th')].slice(1).map((th) => th.textContent) };
  });
  assert.equal(tables.confusion.length, 10, 'the confusion matrix has one row per class');
  assert.deepEqual(tables.header, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  let total = 0;
  let diagonal = 0;
  tables.confusion.forEach((row, r) => {
    assert.equal(row.cells.length, 10, `row ${row.name} has one cell per predicted class`);
    const sum = row.cells.reduce((a, b) => a + b, 0);
    const perClass = tables.perClass.find((p) => p.name === row.name);
    assert.ok(perClass, `class ${row.name} is in the per-class table`);
    assert.equal(sum, perClass.cells[0], `row ${row.name} of the confusion matrix sums to ${sum}, the per-class table says ${perClass.cells[0]} images`);
    assert.equal(row.cells[r], perClass.cells[1], `the diagonal of row ${row.name} is the number right`);
    total += sum;
    diagonal += row.cells[r];
  });
  assert.equal(total, 1000);
  const shown = await page.$eval('#accuracy', (e) => Number(e.dataset.correct));
  assert.equal(diagonal, shown, 'the diagonal adds up to the images classified right');
  const captions = await page.$$eval('#wrong figcaption', (f) => f.map((x) => x.textContent));
  assert.ok(captions.length > 0 && captions.every((c) => /^\d → \d$/.test(c)), `thumbnails show true → predicted: ${captions.slice(0, 3)}`);
});

test('dark theme switches from the keyboard', async () => {
  const { page } = session;
  await page.click('#tab-graph');
  await page.focus('#theme');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await page.screenshot({ path: join(screenshots, 'graph-dark.png') });
  await page.keyboard.press('Enter');
});

test('after one visit the app works with the network off', async () => {
  const { page, context } = session;
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await page.waitForFunction(() => navigator.serviceWorker.controller != null);
  await context.setOffline(true);
  try {
    await page.reload();
    await page.click('#empty-demo');
    await waitForGraph(page);
    const shown = await evaluate(page);
    assert.equal(shown.total, 1000);
  } finally {
    await context.setOffline(false);
  }
});

test('no request left the origin and no console errors', () => {
  assert.deepEqual(session.foreignRequests(), []);
  assert.deepEqual(session.errors, []);
});
