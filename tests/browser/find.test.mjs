// Find a node by name or operator type: / in the graph or Ctrl+F opens the box on the demo,
// "Conv" lists every Conv node that `pare info` counts, the arrow keys and
// Enter choose one, whose details open with the node selected and in view;
// Escape returns to the box; a query that matches nothing says so; leaving
// the box and coming straight back does not close the list.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serve, open, waitForGraph, checkPage, pareCLI, www } from './harness.mjs';

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

test('Ctrl+F finds nodes by operator type and by name, and shows the one chosen', async () => {
  const { page } = session;
  await page.click('#try-demo');
  await page.waitForFunction(() => window.pare.state.pending === 0 && window.pare.state.model);
  await waitForGraph(page);

  const info = await pareCLI(['info', join(www, 'demo', 'demo-resnet-mnist.onnx'), '--json']);
  const convs = info ? JSON.parse(info).layers.filter((l) => l.op_type === 'Conv') : null;
  const graphConvs = await page.evaluate(() => window.pare.graphView.graph.nodes.filter((n) => n.op === 'Conv').length);
  if (convs) assert.equal(graphConvs, convs.length, 'the page and pare info disagree on the Conv count');
  assert.ok(graphConvs >= 3, `the demo has ${graphConvs} Conv nodes`);

  // "/" in the graph, as in many viewers; Ctrl+F anywhere (tested below).
  await page.focus('#graph');
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'find', '/ in the graph does not reach the find box');
  await page.keyboard.type('Conv');
  await page.waitForFunction(() => !document.querySelector('#find-results').hidden);
  const listed = await page.$$eval('#find-results [role=option] .find-op', (ops) => ops.map((o) => o.textContent));
  const listedConvs = listed.filter((o) => o === 'Conv').length;
  assert.equal(listedConvs, graphConvs, `listed ${listedConvs} Conv nodes of ${graphConvs}`);
  assert.deepEqual(listed.slice(0, graphConvs), Array(graphConvs).fill('Conv'), 'exact operator-type matches are not listed first');
  assert.match(await page.textContent('#find-status'), /\d+ nodes? match/);

  // The third match, by keyboard.
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.getAttribute('#find', 'aria-activedescendant'), 'find-option-2');
  const chosen = await page.$eval('#find-option-2', (li) => ({ id: Number(li.dataset.id), name: li.querySelector('.find-name').textContent }));
  await page.keyboard.press('Enter');
  await page.waitForSelector('#sidebar:not([hidden])');
  assert.equal(await page.textContent('#sidebar-title'), 'Conv');
  assert.ok((await page.textContent('#sidebar-body')).includes(chosen.name), `the sidebar does not show ${chosen.name}`);
  const inView = await page.evaluate((id) => {
    const g = window.pare.graphView.elements.get(id)?.g;
    if (!g || !g.classList.contains('selected')) return false;
    const r = g.getBoundingClientRect();
    const c = document.querySelector('#graph').getBoundingClientRect();
    return r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom;
  }, chosen.id);
  assert.ok(inView, 'the chosen node is not selected and in view');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#sidebar', { state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'find', 'closing the details does not return to the find box');

  // By name: the chosen node's own name comes first.
  await page.focus('#tab-graph');
  await page.keyboard.press('Control+f');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'find', 'Ctrl+F does not reach the find box');
  await page.fill('#find', chosen.name);
  await page.waitForFunction(() => !document.querySelector('#find-results').hidden);
  assert.equal(await page.$eval('#find-option-0', (li) => Number(li.dataset.id)), chosen.id);

  // Leaving the box and coming back at once (faster than the moment a
  // blur waits for a click on a match) keeps the fresh list open.
  const stillOpen = await page.evaluate(async (name) => {
    const input = document.querySelector('#find');
    input.blur();
    input.focus();
    input.value = name;
    input.dispatchEvent(new Event('input'));
    await new Promise((r) => setTimeout(r, 400));
    return !document.querySelector('#find-results').hidden;
  }, chosen.name);
  assert.ok(stillOpen, 'the list closed on a blur the user had already come back from');

  await page.fill('#find', 'no-such-node-anywhere');
  await page.waitForFunction(() => document.querySelector('#find-results').hidden);
  assert.match(await page.textContent('#find-status'), /No node matches/);
  await page.keyboard.press('Escape');
  assert.equal(await page.inputValue('#find'), '', 'Escape does not clear the box');
  await checkPage(page, 'after finding nodes');
});
