// The main controls from the keyboard alone: the toolbar and the tab list
// are one Tab stop each, walked with the arrow keys, Home and End (roving
// tabindex); the demo opens, the Evaluate tab is chosen and the
// evaluation runs without a mouse; a screen reader hears the evaluation
// start and end through a polite live region, not every progress tick.
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

const focused = (page) => page.evaluate(() => document.activeElement?.id || '');
const tabStops = (page, sel) => page.$$eval(sel, (items) => items.filter((b) => b.tabIndex === 0).map((b) => b.id));

test('the toolbar is one Tab stop, walked with the arrow keys, Home and End', async () => {
  const { page } = session;
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'open-model', 'Tab from the top of the page does not reach the toolbar');
  assert.deepEqual(await tabStops(page, '#main-toolbar button'), ['open-model']);
  await page.keyboard.press('ArrowRight');
  assert.equal(await focused(page), 'open-data');
  await page.keyboard.press('End');
  assert.equal(await focused(page), 'try-demo');
  await page.keyboard.press('ArrowRight');
  assert.equal(await focused(page), 'open-model', 'ArrowRight on the last item wraps to the first');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await focused(page), 'try-demo', 'ArrowLeft on the first item wraps to the last');
  assert.deepEqual(await tabStops(page, '#main-toolbar button'), ['try-demo'], 'the item moved to is the toolbar\'s Tab stop');
  // Tab leaves the toolbar (the tabs are disabled with no model open).
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'theme');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(page), 'try-demo', 'Shift+Tab returns to the item last used');
  await page.keyboard.press('Home');
  assert.equal(await focused(page), 'open-model');
  await page.keyboard.press('End');
});

test('the demo opens, and the stage tabs switch with the arrow keys', async () => {
  const { page } = session;
  assert.equal(await focused(page), 'try-demo');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.pare.state.pending === 0 && window.pare.state.data?.view);
  await waitForGraph(page);
  await page.focus('#try-demo');
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'tab-graph', 'Tab from the toolbar reaches the selected tab');
  assert.deepEqual(await tabStops(page, '#tabs [role=tab]'), ['tab-graph']);
  await page.keyboard.press('ArrowRight');
  assert.equal(await focused(page), 'tab-evaluate');
  assert.equal(await page.getAttribute('#tab-evaluate', 'aria-selected'), 'true');
  assert.equal(await page.getAttribute('#tab-graph', 'aria-selected'), 'false');
  assert.equal(await page.isVisible('#view-evaluate'), true);
  assert.equal(await page.isHidden('#view-graph'), true);
  assert.deepEqual(await tabStops(page, '#tabs [role=tab]'), ['tab-evaluate']);
  await page.keyboard.press('Home');
  assert.equal(await focused(page), 'tab-graph');
  assert.equal(await page.isVisible('#view-graph'), true);
  // End reaches the last stage (Compress); ArrowLeft comes back.
  await page.keyboard.press('End');
  assert.equal(await focused(page), 'tab-compress');
  assert.equal(await page.isVisible('#view-compress'), true);
  await page.keyboard.press('ArrowLeft');
  assert.equal(await focused(page), 'tab-prune');
  assert.equal(await page.isVisible('#view-prune'), true);
  await page.keyboard.press('ArrowLeft');
  assert.equal(await focused(page), 'tab-finetune');
  assert.equal(await page.isVisible('#view-finetune'), true);
  await page.keyboard.press('ArrowLeft');
  assert.equal(await focused(page), 'tab-evaluate');
  assert.equal(await page.isVisible('#view-evaluate'), true);
  await checkPage(page, 'after switching tabs from the keyboard');
});

test('the evaluation runs from the keyboard and announces its start and end, not its progress', async () => {
  const { page } = session;
  assert.equal(await page.getAttribute('#announce', 'aria-live'), 'polite');
  await page.waitForFunction(() => !document.getElementById('evaluate').disabled);
  await page.evaluate(() => {
    window.announced_ = [];
    window.ticks_ = 0;
    new MutationObserver(() => window.announced_.push(document.getElementById('announce').textContent))
      .observe(document.getElementById('announce'), { childList: true, characterData: true, subtree: true });
    new MutationObserver(() => { window.ticks_++; }).observe(document.getElementById('eta'), { childList: true, characterData: true, subtree: true });
  });
  // Tab from the selected tab into the view reaches the Evaluate button.
  await page.focus('#tab-evaluate');
  for (let i = 0; i < 40 && (await focused(page)) !== 'evaluate'; i++) await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'evaluate', 'Tab does not reach the Evaluate button');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#accuracy', { timeout: 300000 });
  await page.waitForFunction(() => !window.pare.state.busy, null, { timeout: 300000 });
  const { announced, ticks } = await page.evaluate(() => ({ announced: window.announced_, ticks: window.ticks_ }));
  assert.equal(announced.length, 2, `announced: ${JSON.stringify(announced)}`);
  assert.match(announced[0], /^Evaluation started on 1,000 images\.$/);
  assert.match(announced[1], /^Evaluation done\. Top-1 accuracy: [\d.]+ %, [\d,]+ of 1,000 images right\.$/);
  assert.ok(ticks > announced.length, `the progress text changed ${ticks} times, the announcements should be fewer`);
  const box = await page.locator('#announce').boundingBox();
  assert.ok(box.width <= 1 && box.height <= 1, `the live region is for screen readers only, but it takes ${box.width}x${box.height} px`);
});

test('no request left the origin and no console errors', () => {
  assert.deepEqual(session.foreignRequests(), []);
  assert.deepEqual(session.errors, []);
});
