// Unit tests of the page benchmark's helpers (no browser): the seeded
// data, the statistics, and the bench server's mounts, headers and proxy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, get } from 'node:http';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cifarRecords, recordBytes } from './cifar.mjs';
import { median, spread } from './stats.mjs';
import { startBenchServer, csp } from './server.mjs';

test('cifarRecords is deterministic, CIFAR-10 sized, labels 0..9', () => {
  const a = cifarRecords(50, 7);
  assert.equal(a.length, 50 * recordBytes);
  assert.deepEqual(a, cifarRecords(50, 7));
  assert.notDeepEqual(a, cifarRecords(50, 8));
  const labels = new Set();
  for (let i = 0; i < 50; i++) labels.add(a[i * recordBytes]);
  assert.ok([...labels].every((l) => l >= 0 && l <= 9), `labels ${[...labels]}`);
  assert.ok(labels.size > 3, 'labels should vary');
});

test('median and spread ignore non-finite values', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([NaN, undefined])));
  assert.deepEqual(spread([5, NaN, 1, 3]), { median: 3, min: 1, max: 5, n: 3 });
});

function fetchText(url, headers = {}) {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    }).on('error', reject);
  });
}

test('bench server: mounts with the app headers, no escape, proxy for the rest', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pagebench-test-'));
  await writeFile(join(dir, 'a.js'), 'export const a = 1;\n');
  const upstream = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Upstream': 'yes' });
    res.end(`upstream ${req.url}`);
  });
  await new Promise((ok) => upstream.listen(0, '127.0.0.1', ok));
  const proxied = [];
  const server = await startBenchServer({
    upstream: `http://127.0.0.1:${upstream.address().port}/`,
    mounts: { 'm/': dir },
    onProxied: (path, bytes, status) => proxied.push({ path, bytes, status }),
  });
  try {
    const a = await fetchText(`${server.url}pagebench/m/a.js`);
    assert.equal(a.status, 200);
    assert.equal(a.body, 'export const a = 1;\n');
    assert.equal(a.headers['content-security-policy'], csp);
    assert.equal(a.headers['cross-origin-embedder-policy'], 'require-corp');
    assert.match(a.headers['content-type'], /^text\/javascript/);
    const escape = await fetchText(`${server.url}pagebench/m/..%2f..%2fetc%2fpasswd`);
    assert.equal(escape.status, 404);
    assert.equal((await fetchText(`${server.url}pagebench/nothing.js`)).status, 404);
    const up = await fetchText(`${server.url}js/app.js?x=1`);
    assert.equal(up.body, 'upstream /js/app.js?x=1');
    assert.equal(up.headers['x-upstream'], 'yes');
    assert.deepEqual(proxied, [{ path: '/js/app.js', bytes: up.body.length, status: 200 }]);
  } finally {
    await server.close();
    await new Promise((ok) => upstream.close(ok));
    await rm(dir, { recursive: true, force: true });
  }
});
