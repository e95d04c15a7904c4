// Pare without a checkout (issue 13): the release binary, copied alone
// into an empty folder, serves the page it carries; and the static site
// of `make site`, unpacked from its .zip into a sub-folder of a plain
// file server that sets no headers at all (as a course page's host), works
// from its relative paths. In both the demo evaluates, every request stays
// inside the site, and after one visit the page works offline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, waitForGraph, evaluate, root } from './harness.mjs';

let work;
before(async () => {
  // The test builds what it tests: bin/pare-release and build/pare-site.zip.
  const made = spawnSync('make', ['-s', 'release'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  assert.equal(made.status, 0, 'make release failed');
  work = await mkdtemp(join(tmpdir(), 'pare-dist-'));
});
after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

// start runs a server and resolves with its URL, read from its output.
function start(cmd, args, cwd, pattern) {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = new Promise((resolve, reject) => {
    let out = '';
    const read = (d) => {
      out += d;
      const m = out.match(pattern);
      if (m) resolve(m[1]);
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`${cmd} exited with ${code}: ${out}`)));
  });
  return { child, url };
}

// demoWorksOffline runs the demo, then again with the network off.
async function demoWorksOffline(siteURL) {
  const session = await open(siteURL);
  try {
    const { page, context } = session;
    await page.click('#empty-demo');
    await waitForGraph(page);
    assert.equal((await evaluate(page)).total, 1000);
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    assert.equal(scope, siteURL, 'the service worker is not scoped to the site\'s folder');
    await page.reload();
    await page.waitForFunction(() => navigator.serviceWorker.controller != null);
    await context.setOffline(true);
    try {
      await page.reload();
      await page.click('#empty-demo');
      await waitForGraph(page);
      assert.equal((await evaluate(page)).total, 1000, 'offline, the demo did not evaluate');
    } finally {
      await context.setOffline(false);
    }
    const outside = session.requests.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && !u.startsWith(siteURL));
    assert.deepEqual(outside, [], 'requests left the site\'s folder');
    assert.deepEqual(session.errors, []);
  } finally {
    await session.close();
  }
}

test('the release binary alone in an empty folder serves the page, which works offline', async () => {
  const dir = join(work, 'release');
  await mkdir(dir);
  await copyFile(join(root, 'bin', 'pare-release'), join(dir, 'pare'));
  assert.deepEqual(await readdir(dir), ['pare']);
  const server = start(join(dir, 'pare'), ['serve', '--addr', '127.0.0.1:0'], dir, /(http:\/\/127\.0\.0\.1:\d+\/)/);
  try {
    await demoWorksOffline(await server.url);
  } finally {
    server.child.kill('SIGTERM');
  }
});

test('the static site from make site works from a plain file server, in a sub-folder, offline', async (t) => {
  const python = spawnSync('python3', ['--version']);
  if (python.status !== 0) {
    t.skip('python3 (its http.server is the plain static server) is not installed');
    return;
  }
  const dir = join(work, 'static');
  const unzip = spawnSync('python3', ['-m', 'zipfile', '-e', join(root, 'build', 'pare-site.zip'), dir]);
  assert.equal(unzip.status, 0, `unzip failed: ${unzip.stderr}`);
  const server = start('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', dir], dir, /port (\d+)/);
  try {
    const siteURL = `http://127.0.0.1:${await server.url}/pare-site/`;
    const head = await fetch(siteURL);
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-security-policy'), null, 'this server sets headers: the test shows nothing about a plain host');
    await demoWorksOffline(siteURL);
  } finally {
    server.child.kill('SIGTERM');
  }
});
