// The live view (wasm/liveview, ebiten in an iframe): created on first use
// and fetched only then, it draws what the messages say — channel masks,
// a layer's weight histogram with its quantization grid and the QIL
// transfer curves, loss and accuracy — so its canvas changes as training
// goes on; its text version follows for screen readers, and the arrow
// keys move between layers. The second test watches a real run: the demo
// compressed with the defaults in the Compress tab, its layers kept in
// float shown beside the quantized ones.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { serve, open, checkPage, waitForGraph, screenshots } from './harness.mjs';

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

// differingPixels counts the pixels where two PNG screenshots differ.
async function differingPixels(page, a, b) {
  return page.evaluate(async ([a64, b64]) => {
    const load = async (b) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const ctx = c.getContext('2d');
      ctx.drawImage(img, 0, 0);
      return ctx.getImageData(0, 0, c.width, c.height).data;
    };
    const [x, y] = await Promise.all([load(a64), load(b64)]);
    if (x.length !== y.length) return Infinity;
    let n = 0;
    for (let i = 0; i < x.length; i += 4) if (Math.abs(x[i] - y[i]) + Math.abs(x[i + 1] - y[i + 1]) + Math.abs(x[i + 2] - y[i + 2]) > 30) n++;
    return n;
  }, [a.toString('base64'), b.toString('base64')]);
}

const text = (page) => page.textContent('#lv-host .liveview-text');

// pressUntil presses key in the focused view until the text in selector
// matches re. The view polls the keyboard once a frame, so a press shorter
// than a frame can fall between two polls on a loaded machine: hold the
// key as a person does, and press again (only) while the text does not
// match yet. It fails with message if five presses did not do it.
async function pressUntil(page, key, selector, re, message) {
  const matches = ([sel, src]) => new RegExp(src).test(document.querySelector(sel)?.textContent || '');
  const args = [selector, re.source];
  for (let attempt = 0; attempt < 5 && !(await page.evaluate(matches, args)); attempt++) {
    await page.keyboard.press(key, { delay: 250 });
    await page.waitForFunction(matches, args, { timeout: 3000, polling: 100 }).catch(() => {});
  }
  assert.match(await page.textContent(selector), re, message);
}

test('the live view draws masks, intervals and curves as they arrive', async () => {
  const { page, requests } = session;
  await page.waitForFunction(() => window.pare);
  assert.ok(!requests.some((u) => u.endsWith('/liveview.wasm')), 'the live view\'s wasm was fetched before anyone opened it');

  await page.evaluate(async () => {
    const { LiveView } = await import('./js/liveview.js');
    const host = document.createElement('div');
    host.id = 'lv-host';
    host.style.cssText = 'position:fixed;left:0;top:0;width:800px;z-index:1000;background:#fff';
    document.body.append(host);
    window.lv = new LiveView(host);
    window.lv.send({ kind: 'masks', status: 'incumbent 0.91, bound 0.93, gap 2.1 %', masks: [
      { name: 'conv1', kept: '1'.repeat(16) },
      { name: 'conv2', kept: '1'.repeat(32) },
      { name: 'conv3', kept: '1'.repeat(64) },
    ] });
  });
  await page.waitForFunction(() => /112 of 112 kept/.test(document.querySelector('#lv-host .liveview-text')?.textContent || ''), null, { timeout: 120000 });
  assert.ok(requests.some((u) => u.endsWith('/liveview.wasm')), 'liveview.wasm not fetched');
  await page.waitForTimeout(300); // a few frames
  const frame = page.locator('#lv-host iframe');
  const first = await frame.screenshot();

  // The solver drops channels, intervals train, the loss falls.
  await page.evaluate(() => {
    window.lv.send({ kind: 'masks', status: 'optimal', masks: [
      { name: 'conv1', kept: '1010101010101010' },
      { name: 'conv2', kept: '1'.repeat(8) + '0'.repeat(24) },
      { name: 'conv3', kept: '10'.repeat(32) },
    ] });
    const bins = Array.from({ length: 64 }, (_, i) => Math.exp(-(((i - 32) / 10) ** 2)) * 1000);
    window.lv.send({ kind: 'layer', layer: { name: 'conv2', bins, min: -0.5, max: 0.5, weight: { c: 0.2, d: 0.15, gamma: 1, bits: 3 }, act: { c: 1.5, d: 1.4, bits: 3 } } });
    window.lv.send({ kind: 'layer', layer: { name: 'conv3', bins, min: -0.3, max: 0.3, weight: { c: 0.1, d: 0.08, gamma: 1.5, bits: 2 } } });
    for (let i = 0; i < 200; i++) {
      window.lv.send({ kind: 'point', series: 'loss', x: i, y: 2.3 * Math.exp(-i / 50) + 0.1 });
      window.lv.send({ kind: 'point', series: 'accuracy', x: i, y: 0.1 + 0.85 * (1 - Math.exp(-i / 40)) });
    }
  });
  await page.waitForFunction(() => /accuracy/.test(document.querySelector('#lv-host .liveview-text')?.textContent || '') &&
    /loss 0\.14\d* at step 199/.test(document.querySelector('#lv-host .liveview-text')?.textContent || ''), null, { timeout: 30000 });
  const described = await text(page);
  assert.match(described, /48 of 112 kept over 3 layers \(optimal\)/);
  assert.match(described, /Layer conv2 \(1 of 2\): weights 3 bits, pruned below 0\.05, clipped above 0\.35/);
  await page.waitForTimeout(300);
  await mkdir(screenshots, { recursive: true });
  const second = await frame.screenshot({ path: join(screenshots, 'liveview.png') });
  const changed = await differingPixels(page, first, second);
  assert.ok(changed > 5000, `only ${changed} pixels changed between the two frames`);

  // The arrow keys move to the next layer.
  await frame.focus();
  await page.mouse.click(600, 100);
  await pressUntil(page, 'ArrowRight', '#lv-host .liveview-text', /Layer conv3 \(2 of 2\): weights 2 bits/, 'ArrowRight did not move the view to the next layer');

  // A bad message is reported, not drawn.
  await page.evaluate(() => window.lv.send({ kind: 'masks', masks: [{ name: 'x', kept: '12' }] }));
  await page.waitForFunction(() => /only 0 and 1/.test(document.querySelector('#lv-host .liveview-text')?.textContent || ''), null, { timeout: 10000 });
  assert.deepEqual(session.foreignRequests(), []);
  await checkPage(page, 'with the live view open');
});

// The text alternative says these once the view has them: a loss point
// (the fine-tune trains), then a QIL layer's intervals.
const trainingText = /loss [\d.e+-]+ at step \d+/;
const qilText = /Layer \S+ \(\d+ of \d+\): weights [2-8] bits, pruned below [\d.e+-]+, clipped above [\d.e+-]+, gamma [\d.e+-]+; activations [2-8] bits/;

test('the live view in the Compress tab moves while the demo trains', async () => {
  const { page } = session;
  await page.evaluate(() => { window.lv?.close(); document.getElementById('lv-host')?.remove(); });
  await page.click('#try-demo');
  await page.waitForFunction(() => window.pare.state.pending === 0 && window.pare.state.data?.view);
  await waitForGraph(page);
  await page.click('#tab-compress');
  await page.waitForFunction(() => !document.getElementById('compress').disabled);
  await page.focus('#compress-show-view');
  await page.keyboard.press('Enter');
  const frame = page.locator('#compress-liveview iframe');
  // The button makes way for the view, and the focus goes to it.
  await page.waitForFunction(() => document.activeElement?.matches('#compress-liveview iframe'), null, { timeout: 10000 });
  const described = () => page.textContent('#compress-liveview .liveview-text');
  const until = (re, timeout = 180000) => page.waitForFunction((src) => new RegExp(src).test(document.querySelector('#compress-liveview .liveview-text')?.textContent || ''),
    re.source, { timeout, polling: 100 });

  await page.click('#compress');
  await until(trainingText);
  const stateAt = () => page.$eval('#compress-stages li[data-state="running"]', (li) => li.dataset.stage).catch(() => null);
  const firstStage = await stateAt();
  const first = await frame.screenshot();
  await until(qilText);
  await page.waitForTimeout(600); // the next layer message, and a few frames
  const secondStage = await stateAt();
  await mkdir(screenshots, { recursive: true });
  const second = await frame.screenshot({ path: join(screenshots, 'compress-liveview.png') });
  const text = await described();
  await page.click('#compress-cancel');
  await page.waitForFunction(() => !window.pare.state.busy, null, { timeout: 60000 });

  assert.equal(firstStage, 'finetune', 'the first screenshot is not of the fine-tune');
  assert.ok(['quantize', 'evaluate'].includes(secondStage), `the second screenshot was taken in ${secondStage}`);
  assert.match(text, /Channels: \d+ of \d+ kept over \d+ layers \(selected/);
  assert.match(text, qilText);
  assert.match(text, /accuracy [\d.e+-]+ at step \d+/);
  // The layers kept in float (the first and the last) are there too; the
  // view opens on the first quantized one.
  assert.match(text, /Layers: \d+ quantized, 2 kept in float\./);
  assert.match(text, /Layer \S+ \(2 of \d+\): weights/);
  const changed = await differingPixels(page, first, second);
  assert.ok(changed > 5000, `only ${changed} pixels changed between the fine-tune and QIL frames`);
  // The keyboard alone: Tab into the view, then an arrow to the layer
  // before, the first, kept in float: its weights without a grid.
  await frame.focus();
  await pressUntil(page, 'ArrowLeft', '#compress-liveview .liveview-text',
    /Layer \S+ \(1 of \d+\): kept in float, no quantization grid; weights from [\d.e+-]+ to [\d.e+-]+/,
    'ArrowLeft did not move the view to the layer kept in float');
  assert.deepEqual(session.foreignRequests(), []);
  await checkPage(page, 'with the Compress tab\'s live view open');
});
