// The bench page: evaluation throughput of one model on one CIFAR-10
// binary file, by Pare's worker pool exactly as the app evaluates
// (www/js/pool.js + runEvaluation from www/js/evaluate.js: chunks of images
// handed to workers, batches of 32 inside each) and by onnxruntime-web
// (wasm backend, one thread) on the same images, preprocessed the way
// Pare's core does. run.mjs calls window.bench.* through playwright and
// times nothing itself: every figure comes from performance.now() here.
import { WorkerPool } from '/js/pool.js';
import { runEvaluation } from '/js/evaluate.js';
import * as ort from '/pagebench/ort/ort.wasm.min.mjs';

const log = (s) => { document.getElementById('log').textContent += `${s}\n`; };

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`cannot fetch ${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

const state = { pool: null, model: null, data: null, view: null, loaded: new Set(), images: null, labels: null, session: null };

/**
 * setup fetches the model and data, starts a pool of up to maxWorkers
 * workers, and opens both in worker 0 (which also checks them together).
 */
async function setup({ modelURL, dataURL, dataName, maxWorkers }) {
  const t0 = performance.now();
  state.model = { path: modelURL.split('/').pop(), bytes: await fetchBytes(modelURL) };
  state.data = { path: dataName, bytes: await fetchBytes(dataURL) };
  state.pool = new WorkerPool({ max: maxWorkers, wasmURL: '/pare.wasm' });
  const slot = await prepare(0);
  log(`setup: ${state.view.count} images, preprocess ${JSON.stringify(state.view.preprocess)}`);
  return { count: state.view.count, preprocess: state.view.preprocess, format: state.view.format, ms: performance.now() - t0 };
}

// prepare opens the model and the data in worker i once, as the app's
// prepare() does, and returns its slot.
async function prepare(i) {
  const slot = await state.pool.slot(i);
  if (!state.loaded.has(i)) {
    await slot.request('openModel', { name: state.model.path }, [state.model]);
    const view = await slot.request('openData', { preprocess: null }, [state.data]);
    state.view = state.view || view;
    state.loaded.add(i);
  }
  return slot;
}

/** pare runs one whole evaluation the way the app does; seconds exclude opening (done once per worker). */
async function pare({ workers }) {
  const total = state.view.count;
  const prepared = await Promise.all(Array.from({ length: workers }, (_, i) => prepare(i)));
  const run = await runEvaluation({
    total, workers, prepare: async (i) => prepared[i], token: { cancelled: false }, onProgress: () => {},
  });
  return { images: total, seconds: run.seconds, workers: run.workers, pred: Array.from(run.pred), labels: Array.from(run.labels) };
}

/**
 * pareBatch evaluates every image in worker 0 in one request with the
 * given batch size (the app asks for 32): the per-batch cost shows as the
 * difference between batch sizes.
 */
async function pareBatch({ batch }) {
  const slot = await prepare(0);
  const total = state.view.count;
  const t0 = performance.now();
  const r = await slot.request('evaluate', { start: 0, end: total, batch });
  return { images: total, seconds: (performance.now() - t0) / 1000, batch: r.batch, pred: r.pred };
}

// preprocessImages turns the CIFAR-10 records into NCHW float32 exactly as
// core/dataset does: v*mul[c] + add[c] with mul = scale/std and
// add = -mean/std computed in float32.
function preprocessImages() {
  const p = state.view.preprocess;
  const raw = new Uint8Array(state.data.bytes);
  const plane = 32 * 32;
  const record = 1 + 3 * plane;
  const n = raw.length / record;
  if (p.channels !== 3 || p.height !== 32 || p.width !== 32 || (p.layout && p.layout !== 'NCHW')) {
    throw new Error(`bench: preprocessing ${JSON.stringify(p)} is not the 3x32x32 NCHW this page reproduces`);
  }
  const f = Math.fround;
  const per = (list, fill) => [0, 1, 2].map((c) => f(list && list.length ? list[list.length === 1 ? 0 : c] : fill));
  const mean = per(p.mean, 0);
  const std = per(p.std, 1);
  const mul = [0, 1, 2].map((c) => f(f(p.scale) / std[c]));
  const add = [0, 1, 2].map((c) => f(-mean[c] / std[c]));
  const order = p.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const images = new Float32Array(n * 3 * plane);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = raw[i * record];
    for (let c = 0; c < 3; c++) {
      const src = i * record + 1 + order[c] * plane;
      const dst = (i * 3 + c) * plane;
      for (let j = 0; j < plane; j++) images[dst + j] = f(f(raw[src + j] * mul[c]) + add[c]);
    }
  }
  state.images = images;
  state.labels = labels;
}

/** ortSetup creates the onnxruntime-web session (wasm, one thread). */
async function ortSetup({ wasmPaths }) {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = wasmPaths;
  const t0 = performance.now();
  state.session = await ort.InferenceSession.create(new Uint8Array(state.model.bytes), { executionProviders: ['wasm'] });
  preprocessImages();
  return { ms: performance.now() - t0, version: ort.env.versions?.web || ort.env.versions?.common || null, inputs: state.session.inputNames, outputs: state.session.outputNames };
}

/** ortRun evaluates every image in batches of `batch` (top-1 included). */
async function ortRun({ batch }) {
  const s = state.session;
  const input = s.inputNames[0];
  const output = s.outputNames[0];
  const n = state.labels.length;
  const size = 3 * 32 * 32;
  const pred = new Array(n);
  const t0 = performance.now();
  for (let lo = 0; lo < n; lo += batch) {
    const hi = Math.min(n, lo + batch);
    const x = new ort.Tensor('float32', state.images.subarray(lo * size, hi * size), [hi - lo, 3, 32, 32]);
    const out = await s.run({ [input]: x });
    const y = out[output].data;
    const k = y.length / (hi - lo);
    for (let i = 0; i < hi - lo; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (y[i * k + j] > y[i * k + best]) best = j;
      pred[lo + i] = best;
    }
    out[output].dispose?.();
  }
  return { images: n, seconds: (performance.now() - t0) / 1000, batch, pred };
}

window.bench = { setup, pare, pareBatch, ortSetup, ortRun, hardwareConcurrency: navigator.hardwareConcurrency };
window.benchReady = true;
log('ready');
