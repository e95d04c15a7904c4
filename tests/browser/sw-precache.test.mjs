// The service worker precaches the app at its first visit; a module
// missing from its list would be absent offline until the page happened
// to load it online.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { www } from './harness.mjs';

test('the service worker precaches every script, style and wasm file of the app', async () => {
  const sw = await readFile(join(www, 'sw.js'), 'utf8');
  const listed = new Set(JSON.parse(sw.match(/const APP_FILES = (\[[^\]]*\])/)[1].replace(/'/g, '"').replace(/,\s*\]/, ']')));
  const needed = [
    ...(await readdir(join(www, 'js'))).filter((f) => f.endsWith('.js')).map((f) => `js/${f}`),
    ...(await readdir(join(www, 'css'))).map((f) => `css/${f}`),
    'index.html', 'worker.js', 'wasm_exec.js', 'pare.wasm', 'kernel.wasm', 'kernel_relaxed.wasm',
  ];
  assert.deepEqual(needed.filter((f) => !listed.has(f)), []);
});
