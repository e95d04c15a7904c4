// Models and data given as files, not the demo: the shared mnist-8 and
// resnet8-cifar10, a depthwise model (MobileNetV2), and DenseNet-121 (about
// 400 nodes). The graph shows, and the MACs equal `pare info`; mnist-8
// evaluates on MNIST IDX files picked from disk like `pare eval` does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { serve, open, chooseFiles, waitForGraph, evaluate, pareCLI, totalMACs, assets, root, www, screenshots } from './harness.mjs';

const models = {
  'mnist-8': join(assets, 'models', 'mnist-8.onnx'),
  'resnet8-cifar10': join(assets, 'models', 'resnet8-cifar10.onnx'),
  'mobilenetv2 (depthwise)': join(root, 'testdata', 'models', 'mobilenetv2_035.onnx'),
};
const densenet = join(assets, 'conformance', 'onnx-node', 'light', 'light_densenet121.onnx');

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

for (const [name, file] of Object.entries(models)) {
  test(`${name}: the graph shows and the MACs equal pare info`, async (t) => {
    if (!existsSync(file)) {
      t.skip(`${file} is absent (../shared/assets or testdata/models)`);
      return;
    }
    const { page } = session;
    await chooseFiles(page, '#open-model', [file]);
    await waitForGraph(page, basename(file));
    const macs = Number(await page.getAttribute('#total-macs', 'data-value'));
    assert.ok(macs > 0, 'the page shows no MACs');
    const out = await pareCLI(['info', '--json', file]);
    if (out == null) {
      t.skip('bin/pare info is not available: cannot compare MACs');
      return;
    }
    assert.equal(macs, totalMACs(out));
  });
}

test('mnist-8 evaluates on MNIST IDX files as pare eval does', async (t) => {
  const file = models['mnist-8'];
  if (!existsSync(file)) {
    t.skip('../shared/assets is absent');
    return;
  }
  const { page } = session;
  await chooseFiles(page, '#open-model', [file]);
  await waitForGraph(page, basename(file));
  const data = ['mnist-test-images-idx3-ubyte', 'mnist-test-labels-idx1-ubyte'].map((f) => join(www, 'demo', f));
  await chooseFiles(page, '#open-data', data);
  const shown = await evaluate(page);
  assert.equal(shown.total, 1000);
  const out = await pareCLI(['eval', file, '--data', join(www, 'demo'), '--json']);
  if (out == null) {
    t.skip('bin/pare is not built: cannot compare with pare eval');
    return;
  }
  assert.equal(shown.correct, JSON.parse(out).correct);
});

test('DenseNet-121 (about 400 nodes) lays out and stays responsive', async (t) => {
  if (!existsSync(densenet)) {
    t.skip('../shared/assets is absent');
    return;
  }
  const { page } = session;
  // Count animation frames while the model opens: a frozen page has none.
  await page.evaluate(() => {
    window.frames_ = 0;
    window.maxGap_ = 0;
    let last = performance.now();
    const tick = (now) => {
      window.frames_++;
      window.maxGap_ = Math.max(window.maxGap_, now - last);
      last = now;
      if (!window.stopFrames_) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await chooseFiles(page, '#open-model', [densenet]);
  await waitForGraph(page, basename(densenet));
  const { frames, maxGap, nodes } = await page.evaluate(() => {
    window.stopFrames_ = true;
    return { frames: window.frames_, maxGap: window.maxGap_, nodes: document.querySelectorAll('#graph .node').length };
  });
  t.diagnostic(`DenseNet-121: ${nodes} nodes drawn; ${frames} frames while opening, longest gap ${maxGap.toFixed(0)} ms`);
  assert.ok(nodes > 300);
  assert.ok(frames > 0);
  await page.selectOption('#metric', 'actBytes');
  await page.screenshot({ path: join(screenshots, 'densenet-activations.png') });
  await page.locator('#graph .node', { hasText: 'Concat' }).first().click();
  await page.waitForSelector('#sidebar:not([hidden])');
  await page.keyboard.press('Escape');
  assert.equal(await page.isHidden('#sidebar'), true);
});

test('no request left the origin and no console errors', () => {
  assert.deepEqual(session.foreignRequests(), []);
  assert.deepEqual(session.errors, []);
});
