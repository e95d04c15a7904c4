// The input formats the page takes besides the demo's IDX files: a model
// whose weights are in an external-data file given alongside it (and a
// clear message naming that file when it is not given), labelled PNGs as a
// .zip and as a folder of class sub-folders, CIFAR-10 binary batches, and a
// change of preprocessing. Each accuracy equals `pare eval` on the same
// files with the same settings. Every input is made here, in a temp dir.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, open, chooseFiles, waitForGraph, evaluate, bannerText, pareCLI, checkPage, assets, www } from './harness.mjs';
import { externalDataModel, png, zip } from './fixtures.mjs';

const demoModel = join(www, 'demo', 'demo-resnet-mnist.onnx');
const demoData = ['mnist-test-images-idx3-ubyte', 'mnist-test-labels-idx1-ubyte'].map((f) => join(www, 'demo', f));
const cifarModel = join(assets, 'models', 'resnet8-cifar10.onnx');

let site;
let session;
let work;
let mnist;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'pare-formats-'));
  mnist = await readMNIST();
  site = await serve();
  session = await open(site.url);
});
after(async () => {
  await session?.close();
  await site?.close();
});

// readMNIST reads the demo's IDX files: {images: [Buffer of 784]}, labels}.
async function readMNIST() {
  const [imgs, labs] = await Promise.all(demoData.map((f) => readFile(f)));
  const count = labs.readUInt32BE(4);
  assert.equal(imgs.readUInt32BE(4), count);
  const images = Array.from({ length: count }, (_, i) => imgs.subarray(16 + i * 784, 16 + (i + 1) * 784));
  return { images, labels: [...labs.subarray(8, 8 + count)] };
}

// cliEval runs `pare eval --json` and returns {correct, count}, or null
// (the test then skips its comparison) when bin/pare is not built.
async function cliEval(model, data, extra = []) {
  const out = await pareCLI(['eval', model, '--data', data, '--json', ...extra]);
  return out == null ? null : JSON.parse(out);
}

// assertSameAsCLI compares the page's result with `pare eval`.
async function assertSameAsCLI(t, shown, model, data, extra = []) {
  const cli = await cliEval(model, data, extra);
  if (cli == null) {
    t.skip('bin/pare is not built (make build): cannot compare with pare eval');
    return null;
  }
  assert.equal(shown.total, cli.count, `page evaluated ${shown.total} images, pare eval ${cli.count}`);
  assert.equal(shown.correct, cli.correct, `page ${shown.correct}/${shown.total}, pare eval ${cli.correct}/${cli.count} (${extra.join(' ') || 'default preprocessing'})`);
  t.diagnostic(`page and pare eval ${extra.join(' ')}: ${shown.correct}/${shown.total} right`);
  return cli;
}

// openModel picks model files and waits until the graph is drawn.
async function openModel(page, files, name) {
  await chooseFiles(page, '#open-model', files);
  await waitForGraph(page, name);
}

// waitForData waits until the open data set shows `count` images.
async function waitForData(page, count) {
  await page.waitForFunction((n) => {
    const s = window.pare.state;
    return s.pending === 0 && !s.opening && s.data?.view?.count === n;
  }, count, { timeout: 120000 });
  await checkPage(page, 'after opening data');
}

// The first n demo images, written as PNGs into sub-folders named by
// their digit: [{name: 'digits/7/img0000.png', data}].
function digitPNGs(n) {
  return mnist.images.slice(0, n).map((img, i) => ({
    name: `digits/${mnist.labels[i]}/img${String(i).padStart(4, '0')}.png`,
    data: png(28, 28, (x, y) => img[y * 28 + x]),
  }));
}
const pngCount = 200;

test('a model with its external-data file alongside opens and evaluates as pare eval does', async (t) => {
  const { page } = session;
  // Nearest class mean: class c scores x·m_c - |m_c|²/2, with m_c the
  // mean of the demo's images of digit c. Far better than chance only if
  // the page read both tensors from the external file.
  const sums = Array.from({ length: 10 }, () => new Float64Array(784));
  const counts = new Array(10).fill(0);
  mnist.images.forEach((img, i) => {
    counts[mnist.labels[i]]++;
    for (let p = 0; p < 784; p++) sums[mnist.labels[i]][p] += img[p];
  });
  const means = sums.map((s, c) => [...s].map((v) => v / counts[c] / 255));
  const weights = means.flat();
  const bias = means.map((m) => -0.5 * 255 * m.reduce((a, v) => a + v * v, 0));
  const { model, data } = externalDataModel(weights, bias, 'weights.bin');
  const dir = join(work, 'external');
  await mkdir(dir);
  await writeFile(join(dir, 'templates.onnx'), model);
  await writeFile(join(dir, 'weights.bin'), data);

  await openModel(page, [join(dir, 'templates.onnx'), join(dir, 'weights.bin')], 'templates.onnx');
  await chooseFiles(page, '#open-data', demoData);
  await waitForData(page, 1000);
  const shown = await evaluate(page);
  assert.equal(shown.total, 1000);
  assert.ok(shown.correct > 500, `the class-mean model is right on only ${shown.correct} of 1000 images: were its weights read?`);
  await assertSameAsCLI(t, shown, join(dir, 'templates.onnx'), join(www, 'demo'));
});

test('a model whose external-data file is not given names the missing file', async () => {
  const { page } = session;
  const { model } = externalDataModel(new Array(7840).fill(0), new Array(10).fill(0), 'class-templates.weights');
  const dir = join(work, 'external-missing');
  await mkdir(dir);
  await writeFile(join(dir, 'lonely.onnx'), model);
  await chooseFiles(page, '#open-model', [join(dir, 'lonely.onnx')]);
  const text = await bannerText(page);
  assert.match(text, /class-templates\.weights/, `the message does not name the missing file: ${text}`);
  await page.click('#banner-close');
});

test('a .zip of class sub-folders of PNGs evaluates as pare eval does', async (t) => {
  const { page } = session;
  const files = digitPNGs(pngCount);
  assert.equal(new Set(mnist.labels.slice(0, pngCount)).size, 10, 'the first images do not cover all ten digits');
  const archive = join(work, 'digits.zip');
  await writeFile(archive, zip(files));
  await openModel(page, [demoModel], 'demo-resnet-mnist.onnx');
  await chooseFiles(page, '#open-data', [archive]);
  await waitForData(page, pngCount);
  const shown = await evaluate(page);
  assert.equal(shown.total, pngCount);
  assert.ok(shown.correct > pngCount / 2, `the demo model is right on only ${shown.correct} of ${pngCount} digits from the zip`);
  await assertSameAsCLI(t, shown, demoModel, archive);
});

test('a folder of class sub-folders of PNGs evaluates as pare eval does', async (t) => {
  const { page } = session;
  const root = join(work, 'folder');
  for (const { name, data } of digitPNGs(pngCount)) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), data);
  }
  await openModel(page, [demoModel], 'demo-resnet-mnist.onnx');
  await chooseFiles(page, '#open-data-folder', [join(root, 'digits')]);
  await waitForData(page, pngCount);
  const shown = await evaluate(page);
  assert.equal(shown.total, pngCount);
  assert.ok(shown.correct > pngCount / 2, `the demo model is right on only ${shown.correct} of ${pngCount} digits from the folder`);
  await assertSameAsCLI(t, shown, demoModel, join(root, 'digits'));
});

test('CIFAR-10 binary data evaluates on resnet8-cifar10 as pare eval does', async (t) => {
  if (!existsSync(cifarModel)) {
    t.skip(`${cifarModel} is absent (../shared/assets)`);
    return;
  }
  const { page } = session;
  // 96 records of a label byte and 3x32x32 pixels, from a fixed seed.
  // Smooth colour gradients plus noise, so the predictions spread over
  // several classes rather than all landing on one.
  let seed = 20240611;
  const random = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const records = 96;
  const batch = Buffer.alloc(records * 3073);
  for (let r = 0; r < records; r++) {
    const o = r * 3073;
    batch[o] = Math.floor(random() * 10);
    const base = [0, 1, 2].map(() => random() * 255);
    const slope = [0, 1, 2].map(() => (random() - 0.5) * 8);
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < 1024; p++) {
        const v = base[c] + slope[c] * ((p >> 5) + (p & 31) - 32) + (random() - 0.5) * 60;
        batch[o + 1 + c * 1024 + p] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  const dir = join(work, 'cifar');
  await mkdir(dir);
  await writeFile(join(dir, 'test_batch.bin'), batch);
  await openModel(page, [cifarModel], 'resnet8-cifar10.onnx');
  await chooseFiles(page, '#open-data', [join(dir, 'test_batch.bin')]);
  await waitForData(page, records);
  assert.match(await page.textContent('#data-summary'), /96 images.*10 classes/s);
  const shown = await evaluate(page);
  assert.equal(shown.total, records);
  await assertSameAsCLI(t, shown, cifarModel, dir);
});

test('changing the scale in the preprocessing form changes the result as pare eval --scale does', async (t) => {
  const { page } = session;
  await openModel(page, [demoModel], 'demo-resnet-mnist.onnx');
  await chooseFiles(page, '#open-data', demoData);
  await waitForData(page, 1000);
  assert.equal(await page.inputValue('#preprocess input[name=scale]'), '1', 'the default scale is not 1 (raw 0..255 values)');
  const raw = await evaluate(page);
  const rawCLI = await assertSameAsCLI(t, raw, demoModel, join(www, 'demo'), ['--scale', '1']);

  await page.fill('#preprocess input[name=scale]', '1/255');
  await page.click('#preprocess button[type=submit]');
  await page.waitForFunction(() => window.pare.state.preprocess?.scale < 0.01 && window.pare.state.pending === 0 && !window.pare.state.opening);
  await waitForData(page, 1000);
  assert.equal(await page.inputValue('#preprocess input[name=scale]'), '1/255', 'the form does not show the scale applied');
  const scaled = await evaluate(page);
  assert.equal(scaled.total, 1000);
  const scaledCLI = await assertSameAsCLI(t, scaled, demoModel, join(www, 'demo'), ['--scale', String(1 / 255)]);
  if (rawCLI && scaledCLI) {
    assert.notEqual(scaledCLI.correct, rawCLI.correct, 'pare eval gives the same accuracy at scale 1 and 1/255: this test shows nothing');
  }
  assert.notEqual(scaled.correct, raw.correct, `the page is right on ${raw.correct} images at scale 1 and also at 1/255: the scale had no effect`);
});

test('no request left the origin and no console errors', () => {
  assert.deepEqual(session.foreignRequests(), []);
  assert.deepEqual(session.errors, []);
});
