// Evaluation throughput in one page (tools/pagebench/bench.html): Pare's
// worker pool with 1 and with N workers, onnxruntime-web with one thread
// at batch 1 and at the app's batch of 32, on the same images. Rounds
// alternate the runtimes so a burst of load on the shared machine hits
// them alike; each runtime gets one untimed warm-up pass first.
import { loadavg } from 'node:os';

/**
 * measureThroughput drives an open bench page. Returns per-runtime lists of
 * images/s, the set-up costs and the prediction agreement.
 */
export async function measureThroughput(page, { modelURL, dataURL, workers, repeats, log = () => {} }) {
  await page.waitForFunction(() => window.benchReady === true, null, { timeout: 60000 });
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const most = Math.max(1, workers || cores);
  const setup = await page.evaluate((o) => window.bench.setup(o), { modelURL, dataURL, dataName: 'test_batch.bin', maxWorkers: most });
  log(`  bench page: ${setup.count} images (${setup.format}), opened in worker 0 in ${setup.ms.toFixed(0)} ms`);
  const ortSetup = await page.evaluate(() => window.bench.ortSetup({ wasmPaths: '/pagebench/ort/' }));
  log(`  onnxruntime-web session ready in ${ortSetup.ms.toFixed(0)} ms`);

  const runs = {
    [`pare-1w`]: () => page.evaluate(() => window.bench.pare({ workers: 1 })),
    [`pare-${most}w`]: () => page.evaluate((w) => window.bench.pare({ workers: w }), most),
    'pare-1w-batch1': () => page.evaluate(() => window.bench.pareBatch({ batch: 1 })),
    'ort-web-batch1': () => page.evaluate(() => window.bench.ortRun({ batch: 1 })),
    'ort-web-batch32': () => page.evaluate(() => window.bench.ortRun({ batch: 32 })),
  };
  const rates = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  const preds = {};
  const load = [];
  for (const [name, run] of Object.entries(runs)) {
    const r = await run(); // warm-up: tier-up of the wasm code, workers opening the data
    preds[name] = r.pred;
  }
  for (let round = 0; round < repeats; round++) {
    const line = [];
    for (const [name, run] of Object.entries(runs)) {
      const r = await run();
      rates[name].push(r.images / r.seconds);
      line.push(`${name} ${(r.images / r.seconds).toFixed(0)}`);
    }
    load.push(loadavg()[0]);
    log(`  round ${round + 1}/${repeats}: ${line.join(' | ')} images/s (load ${load[round].toFixed(2)})`);
  }
  const agree = (a, b) => a.reduce((n, v, i) => n + (v === b[i] ? 1 : 0), 0) / a.length;
  return {
    images: setup.count, workersN: most, hardwareConcurrency: cores, setupMs: setup.ms, ortSetupMs: ortSetup.ms,
    preprocess: setup.preprocess, rates, loadPerRound: load,
    agreement: { pareVsOrt: agree(preds['pare-1w'], preds['ort-web-batch1']), pare1VsN: agree(preds['pare-1w'], preds[`pare-${most}w`]) },
  };
}
