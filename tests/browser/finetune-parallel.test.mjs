// Data-parallel fine-tuning: the demo fine-tuned on one worker and on
// two (www/js/parallel.js sums the gradients on the main thread) gives the
// same run: the same learning rate, the same validation accuracies at
// every epoch, the same weights kept, a model of the same size within
// float rounding; Cancel stops both workers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, open, waitForGraph } from './harness.mjs';

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

// sameFigures checks that two runs' lines say the same with the same
// figures: accuracies (percentages) exactly, the rest (losses, rates,
// printed with 2 to 4 digits) within a unit of their last printed digit,
// as float rounding can move a figure across a rounding boundary.
function sameFigures(got, want) {
  assert.equal(got.length, want.length, `${JSON.stringify(got)} against ${JSON.stringify(want)}`);
  const number = /-?\d+(?:\.\d+)?(?:e-?\d+)?( %)?/g;
  got.forEach((line, i) => {
    assert.equal(line.replace(number, '#$1'), want[i].replace(number, '#$1'), 'the lines differ in words');
    const g = [...line.matchAll(number)];
    const w = [...want[i].matchAll(number)];
    g.forEach((m, j) => {
      if (m[1]) {
        assert.equal(m[0], w[j][0], `"${line}" against "${want[i]}"`);
        return;
      }
      const unit = 10 ** -((w[j][0].split('e')[0].split('.')[1] || '').length);
      const scale = /e/.test(w[j][0]) ? Math.abs(Number(w[j][0])) : 1;
      assert.ok(Math.abs(Number(m[0]) - Number(w[j][0])) <= 1.01 * unit * scale, `"${line}" against "${want[i]}"`);
    });
  });
}

async function finetune(page, workers) {
  await page.selectOption('#finetune-workers', String(workers));
  const t0 = Date.now();
  await page.click('#finetune');
  try {
    await page.waitForSelector('#finetune-summary', { timeout: 300000 });
    await page.waitForFunction(() => !window.pare.state.busy, null, { timeout: 300000 });
  } catch (err) {
    // What the page showed when it stopped answering: the line beside
    // the bar and the job's events (a run that never ended, in CI once,
    // after a cancelled two-worker run).
    const seen = await page.evaluate(() => ({
      eta: document.getElementById('finetune-eta')?.textContent,
      busy: window.pare.state.busy,
      events: [...document.querySelectorAll('#finetune-events li')].map((li) => li.textContent),
    }));
    err.message += `\npage: ${JSON.stringify(seen)}`;
    throw err;
  }
  const seconds = (Date.now() - t0) / 1000;
  return page.evaluate(async (s) => ({
      seconds: s,
      // The tuned model's bytes: the blob behind the download link (the
      // page's CSP does not let it fetch its own blob URLs).
      bytes: [...new Uint8Array(await window.blobs_.at(-1).arrayBuffer())],
      summary: document.getElementById('finetune-summary').textContent,
      details: document.getElementById('finetune-details').textContent,
      // The job's lines without their timings.
      events: [...document.querySelectorAll('#finetune-events li')].map((li) => li.textContent.replace(/ \[\d+s\]$/, '')),
  }), seconds);
}

test('the demo fine-tuned on two workers equals the one-worker run', async () => {
  const { page } = session;
  await page.evaluate(() => {
    window.blobs_ = [];
    const make = URL.createObjectURL;
    URL.createObjectURL = (blob) => {
      window.blobs_.push(blob);
      return make(blob);
    };
  });
  await page.click('#try-demo');
  await page.waitForFunction(() => window.pare.state.pending === 0 && window.pare.state.data?.view);
  await waitForGraph(page);
  await page.click('#tab-finetune');
  await page.waitForFunction(() => !document.getElementById('finetune').disabled);
  const one = await finetune(page, 1);
  const two = await finetune(page, 2);
  console.log(`demo fine-tune: 1 worker ${one.seconds.toFixed(1)} s, 2 workers ${two.seconds.toFixed(1)} s`);
  assert.match(one.details, /, 1 worker;/);
  assert.match(two.details, /, 2 workers;/);
  assert.equal(two.summary, one.summary);
  sameFigures(two.events, one.events);
  assert.equal(two.bytes.length, one.bytes.length);
  // Same graph, weights within rounding: few bytes differ (only low bits
  // of a few weights, if the trained weights were kept).
  let differ = 0;
  for (let i = 0; i < one.bytes.length; i++) if (one.bytes[i] !== two.bytes[i]) differ++;
  console.log(`${differ} of ${one.bytes.length} bytes differ; ${one.summary}`);
  assert.ok(differ <= one.bytes.length / 4, `${differ} of ${one.bytes.length} bytes differ`);
});

test('Cancel stops every worker of a parallel fine-tune and the page stays usable', async () => {
  const { page } = session;
  await page.selectOption('#finetune-workers', '2');
  await page.click('#finetune');
  await page.waitForFunction(() => window.pare.state.busy && /step|Validating/.test(document.getElementById('finetune-eta').textContent));
  console.log(`cancelled at: ${await page.textContent('#finetune-eta')}`);
  await page.click('#finetune-cancel');
  await page.waitForFunction(() => !window.pare.state.busy, null, { timeout: 120000 });
  assert.equal(await page.textContent('#finetune-eta'), 'Cancelled.');
  // Both workers are free again: a one-worker run goes through.
  const again = await finetune(page, 1);
  assert.match(again.details, /, 1 worker;/);
});

test('no request left the origin and no console errors', () => {
  assert.deepEqual(session.foreignRequests(), []);
  assert.deepEqual(session.errors, []);
});
