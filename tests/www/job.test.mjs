// The page's job runner (www/js/job.js) without a browser: fake elements
// record what the runner does to the progress bar, its line, the Cancel
// button and the live region.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobRunner } from '../../www/js/job.js';

function fakeElement() {
  const attrs = new Map();
  const listeners = [];
  return {
    hidden: true, value: 0, textContent: '', attrs,
    setAttribute: (k, v) => attrs.set(k, v),
    removeAttribute: (k) => attrs.delete(k),
    addEventListener: (type, fn) => listeners.push(fn),
    click: () => listeners.forEach((fn) => fn()),
  };
}

function runner() {
  const ui = { progress: fakeElement(), text: fakeElement(), cancel: fakeElement(), live: fakeElement() };
  const changes = [];
  const r = new JobRunner({ ...ui, onChange: () => changes.push(r.busy) });
  return { r, ui, changes };
}

test('a job is announced at start and end, shows its progress and leaves the runner idle', async () => {
  const { r, ui, changes } = runner();
  let seenBusy = false;
  const result = await r.run({
    unit: 'images',
    start: 'Started.',
    work: async (job) => {
      seenBusy = r.busy && !ui.cancel.hidden && !ui.progress.hidden;
      assert.equal(ui.live.textContent, 'Started.');
      job.report({ stage: 'evaluate', done: 250, total: 1000 });
      assert.equal(ui.progress.value, 0.25);
      assert.equal(ui.progress.attrs.get('aria-valuetext'), '250 of 1,000 images');
      job.report({ stage: 'search', done: 7, total: -1, message: 'gap 3 %' });
      assert.equal(ui.text.textContent, 'gap 3 %');
      return 42;
    },
    end: (value, how) => `Done with ${value}, cancelled ${how.cancelled}.`,
  });
  assert.equal(result, 42);
  assert.ok(seenBusy, 'busy, Cancel and the bar are shown while the job runs');
  assert.equal(ui.live.textContent, 'Done with 42, cancelled false.');
  assert.equal(r.busy, false);
  assert.ok(ui.cancel.hidden && ui.progress.hidden);
  assert.deepEqual(changes, [true, false]);
});

test('Cancel reaches the job and its handlers; the end says so', async () => {
  const { r, ui } = runner();
  let stopped = 0;
  const run = r.run({
    start: 'Started.',
    work: (job) => new Promise((resolve) => {
      job.onCancel(() => { stopped++; resolve('partial'); });
    }),
    end: (_, how) => (how.cancelled ? 'Cancelled.' : 'Done.'),
  });
  ui.cancel.click();
  ui.cancel.click(); // a second click does nothing more
  assert.equal(await run, 'partial');
  assert.equal(stopped, 1);
  assert.equal(ui.live.textContent, 'Cancelled.');
  assert.equal(ui.text.textContent, 'Cancelled.');
  await r.idle;
});

test('a failing job is rethrown after the runner is idle; one job at a time', async () => {
  const { r, ui } = runner();
  let release;
  const first = r.run({ start: 's', work: () => new Promise((resolve) => { release = resolve; }), end: () => 'e' });
  await assert.rejects(r.run({ start: 's', work: async () => {}, end: () => 'e' }), /another job is running/);
  release();
  await first;
  await assert.rejects(r.run({
    start: 's',
    work: async () => { throw new Error('boom'); },
    end: (_, how) => `failed ${how.failed}`,
  }), /boom/);
  assert.equal(r.busy, false);
  assert.equal(ui.live.textContent, 'failed true');
  assert.equal(ui.text.textContent, 'Stopped: see the message above.');
});
