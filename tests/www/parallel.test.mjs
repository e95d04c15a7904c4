// The default number of training workers (www/js/parallel.js) without a
// browser: one per share of images, at most the cores and 4, at least 1;
// the Compress tab's share is larger than the Fine-tune tab's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultWorkers, finetuneImagesPerWorker, compressImagesPerWorker } from '../../www/js/parallel.js';

test('the Fine-tune tab gives each worker at least its share of the images', () => {
  const share = finetuneImagesPerWorker;
  assert.equal(defaultWorkers(0, 8), 1, 'no images');
  assert.equal(defaultWorkers(2 * share - 1, 8), 1);
  assert.equal(defaultWorkers(2 * share, 8), 2);
  assert.equal(defaultWorkers(3 * share, 8), 3);
  assert.equal(defaultWorkers(100 * share, 8), 4, 'at most 4');
  assert.equal(defaultWorkers(100 * share, 2), 2, 'at most the cores');
  assert.equal(defaultWorkers(100 * share, 1), 1);
  // The demo's 1,000 images on a 2-core machine: two workers (1.27x
  // measured, docs/benchmarks-browser.md).
  assert.equal(defaultWorkers(1000, 2), 2);
});

test('the Compress tab keeps one worker on the demo, as pare compress', () => {
  assert.equal(defaultWorkers(1000, 2, compressImagesPerWorker), 1);
  assert.equal(defaultWorkers(2 * compressImagesPerWorker, 2, compressImagesPerWorker), 2);
  assert.ok(compressImagesPerWorker > finetuneImagesPerWorker);
});
