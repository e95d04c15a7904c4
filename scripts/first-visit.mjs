// Bytes a first visit downloads: opens URL in a fresh headless Chromium
// profile, clicks Try the demo, waits for the graph and for the service
// worker's copy of the app (what makes the next visit work offline), and
// adds up every response that came over the network: headers and body as
// sent (compressed when the server compressed it). Used for
// docs/distribution.md:
//
//   node scripts/first-visit.mjs http://127.0.0.1:8080/
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumArgs } from '../tests/browser/harness.mjs';

const url = process.argv[2];
if (!url) {
  console.error('usage: node scripts/first-visit.mjs URL');
  process.exit(2);
}
const profile = await mkdtemp(join(tmpdir(), 'pare-first-visit-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: chromiumArgs, headless: true,
});
const sizes = [];
context.on('requestfinished', (req) => {
  sizes.push(req.sizes().then((s) => ({ url: req.url(), body: s.responseBodySize, headers: s.responseHeadersSize, sw: !!req.serviceWorker() })));
});
try {
  const page = context.pages()[0] || (await context.newPage());
  await page.goto(url);
  await page.click('#empty-demo');
  await page.waitForFunction(() => window.pare?.state?.model && window.pare.state.data?.view && window.pare.state.pending === 0, null, { timeout: 120000 });
  await page.evaluate(() => navigator.serviceWorker.ready);
  await new Promise((r) => setTimeout(r, 2000)); // the pre-cache's last answers
  const all = (await Promise.all(sizes)).filter((s) => s.url.startsWith('http'));
  const sum = (list) => list.reduce((a, s) => a + Math.max(0, s.body) + Math.max(0, s.headers), 0);
  const page_ = all.filter((s) => !s.sw);
  const sw = all.filter((s) => s.sw);
  console.log(JSON.stringify({ url, requests: all.length, bytes: sum(all), pageRequests: page_.length, pageBytes: sum(page_), serviceWorkerRequests: sw.length, serviceWorkerBytes: sum(sw),
    largest: all.sort((a, b) => b.body - a.body).slice(0, 5).map((s) => ({ path: new URL(s.url).pathname, body: s.body, sw: s.sw })) }, null, 2));
} finally {
  await context.close();
  await rm(profile, { recursive: true, force: true });
}
