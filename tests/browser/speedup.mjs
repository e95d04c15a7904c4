// Measures the data-parallel speedup of evaluation: the demo's 1,000 MNIST
// images with 1 worker, then with up to navigator.hardwareConcurrency
// workers (?workers=N), in the same browser. Prints images/s and the ratio;
// asserts nothing (timings belong in reports, not tests).
//
//   node tests/browser/speedup.mjs [repeats]
import { serve, open, waitForGraph, evaluate } from './harness.mjs';

const repeats = Number(process.argv[2]) || 3;
const site = await serve();
const results = {};
try {
  const probe = await open(site.url);
  const cores = await probe.page.evaluate(() => navigator.hardwareConcurrency);
  await probe.close();
  for (const workers of [...new Set([1, cores])]) {
    const s = await open(`${site.url}?workers=${workers}`);
    await s.page.click('#empty-demo');
    await waitForGraph(s.page);
    const rates = [];
    for (let i = 0; i < repeats; i++) {
      await evaluate(s.page);
      // The page prints the rate with thousands separators: "(3,311 images/s)".
      rates.push(await s.page.evaluate(() => Number(document.querySelector('#results p').textContent.match(/\(([\d.,]+) images\/s\)/)[1].replace(/,/g, ''))));
    }
    await s.close();
    results[workers] = Math.max(...rates);
    console.log(`${workers} worker(s): best of ${repeats}: ${results[workers]} images/s (all: ${rates.join(', ')})`);
  }
  const counts = Object.keys(results).map(Number);
  const most = Math.max(...counts);
  if (most > 1) console.log(`speedup ${most} workers / 1 worker: ${(results[most] / results[1]).toFixed(2)}x`);
} finally {
  await site.close();
}
