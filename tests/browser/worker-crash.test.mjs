// A compute worker whose Go instance dies mid-request: the request fails
// with a message that says what happened and that the page recovers, the
// page stays usable, and the next evaluation starts fresh workers and
// gives the same accuracy as before the crash.
//
// The crash is a WebAssembly trap ("memory access out of bounds", what an
// exhausted Go heap raises) thrown inside the worker where it calls into
// Go, injected through the browser's devtools protocol: no page code has
// a test hook. Every input size is checked before allocating, so no real
// input is known that kills a worker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, open, waitForGraph, evaluate, bannerText, checkPage } from './harness.mjs';

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

test('a worker that dies is replaced and the page goes on', async () => {
  const { page } = session;
  await page.click('#try-demo');
  await page.waitForFunction(() => window.pare.state.pending === 0 && window.pare.state.data?.view);
  await waitForGraph(page);
  const first = await evaluate(page);
  assert.ok(first.total > 0 && first.correct > 0, `first evaluation: ${JSON.stringify(first)}`);

  // Every compute worker now traps on its next call into Go.
  let armed = 0;
  for (const w of page.workers()) {
    const name = await w.evaluate(() => self.name).catch(() => '');
    if (!name.startsWith('pare-')) continue;
    await w.evaluate(() => {
      globalThis.pare.handle = () => { throw new WebAssembly.RuntimeError('memory access out of bounds'); };
    });
    armed++;
  }
  assert.ok(armed >= 1, 'no compute worker found');

  await page.click('#tab-evaluate');
  await page.click('#evaluate');
  const message = await bannerText(page);
  assert.match(message, /ran out of memory/i, `the crash message: ${message}`);
  assert.match(message, /restarted|fresh/i, `the message does not say the page recovers: ${message}`);
  await page.waitForFunction(() => !window.pare.state.busy, null, { timeout: 60000 });

  // Still usable: the graph answers, and a new evaluation runs on new
  // workers with the same result.
  await page.click('#tab-graph');
  await checkPage(page, 'after the worker died');
  const again = await evaluate(page);
  assert.deepEqual(again, first, 'the evaluation after the crash differs');
  assert.deepEqual(session.errors.filter((e) => !/memory access out of bounds/.test(e)), [], 'unexpected console errors');
});
