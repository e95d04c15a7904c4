// One Go instance running Pare's core (pare.wasm), inside a module Web
// Worker so the page never freezes. Messages in:
//   {type: 'init', module: WebAssembly.Module}       once, first
//   {id, type, params, files: [{path, bytes}]}        a request
//   {type: 'cancel', id}                             stop request id early
//   {type: 'exchange', run, buffer}                  summed gradients (finetuneShard)
// Messages out:
//   {kind: 'ready'} | {kind: 'fatal', error}
//   {id, kind: 'progress', progress}                 a job.Progress (core/job), as Go sent it:
//                                                    {stage, done, total, elapsedNs, figures?, message?}
//   {id, kind: 'result', json, blob} | {id, kind: 'error', error}
//   {kind: 'exchange', run, n64, buffer}             a worker's gradients to sum (finetuneShard)
// The Go side (wasm/bridge_js.go) registers globalThis.pare = {handle, cancel}
// and answers through globalThis.pareReply.
import './wasm_exec.js';
import { provideSimdKernel, fetchSimdKernels } from './js/simd-kernel.js';

// Latency models measured on onnxruntime-web: Go (wasm/clock_js.go) asks
// for one model's time and waits; onnxruntime-web is imported only then.
globalThis.pareTimeModel = async (bytes, feeds) => (await import('./js/ort-timer.js')).timeModel(bytes, feeds);

let goExited = false;
const recentOutput = []; // the last lines Go wrote
// Why Go died, in its own words: the "runtime: out of memory: cannot
// allocate ..." and "fatal error: ..." (or "panic: ...") lines it writes
// first. A fatal error in the runtime then dumps every goroutine, system
// ones included, which pushes those lines out of the last 30 long before
// Go exits, so they are kept apart.
const crashLines = [];
const crashLine = /^(fatal error: |panic: |runtime: out of memory)/;

// Go writes its stdout and stderr through fs.writeSync; keep the last lines
// and the crash lines so that a fatal error (for example running out of
// memory) can be reported to the page with its reason.
function captureGoOutput() {
  const decoder = new TextDecoder();
  let line = '';
  const original = globalThis.fs.writeSync.bind(globalThis.fs);
  globalThis.fs.writeSync = (fd, buf) => {
    if (fd === 1 || fd === 2) {
      line += decoder.decode(buf);
      const parts = line.split('\n');
      line = parts.pop();
      for (const p of parts) {
        if (crashLines.length < 8 && crashLine.test(p)) crashLines.push(p);
        recentOutput.push(p);
        if (recentOutput.length > 30) recentOutput.shift();
      }
      return buf.length;
    }
    return original(fd, buf);
  };
}

// fatalMessage says why the Go instance stopped. The pool starts a fresh
// worker on the next request (www/js/pool.js), so that is what it promises.
function fatalMessage(reason) {
  const text = [...crashLines, ...recentOutput, reason || ''].join('\n');
  const details = crashLines.slice(0, 3); // shown under the message, as Go said it
  if (/out of memory|memory access out of bounds|cannot allocate|could not allocate/i.test(text)) {
    return { code: 'out-of-memory', message: 'The computation ran out of memory (the browser gives a page at most 4 GB, often less). Try a smaller batch, fewer images, or a smaller model; the page stays usable and starts a fresh worker for the next action.', details };
  }
  const firstLine = crashLines.find((l) => /^(fatal error|panic)/.test(l)) || recentOutput.find((l) => /panic|fatal/.test(l)) || String(reason || 'the worker stopped');
  return { code: 'worker-crashed', message: `The compute worker stopped unexpectedly (${firstLine.trim()}); the page starts a fresh one for the next action, try again.`, details };
}

globalThis.pareReply = (id, kind, json, blob) => {
  const msg = { id, kind };
  if (kind === 'progress') {
    msg.progress = JSON.parse(json);
  } else if (kind === 'result') {
    // The page parses the JSON text itself: cloning a string across
    // threads is one copy, while cloning a large parsed reply (a
    // DenseNet's graph view, thousands of small objects) blocks the page
    // for tens of milliseconds.
    msg.json = json || '';
    if (blob) msg.blob = blob;
  } else {
    msg.error = JSON.parse(json);
  }
  postMessage(msg, blob ? [blob.buffer] : []);
};

async function start(module, simdMode = 'auto') {
  captureGoOutput();
  const go = new Go();
  const ready = new Promise((resolve) => { globalThis.pareReady = resolve; });
  // The SIMD GEMM kernel Go imports through //go:wasmimport (pare_gemm);
  // kernel.wasm and kernel_relaxed.wasm sit beside this file.
  const kernels = await fetchSimdKernels(new URL('.', self.location.href));
  const simd = provideSimdKernel(go.importObject, { ...kernels, mode: simdMode });
  const instance = await WebAssembly.instantiate(module, go.importObject);
  simd.attach(instance);
  go.run(instance).then(() => {
    goExited = true;
    postMessage({ kind: 'fatal', error: fatalMessage('Go exited') });
  }, (err) => {
    goExited = true;
    postMessage({ kind: 'fatal', error: fatalMessage(err && err.message) });
  });
  await ready;
  postMessage({ kind: 'ready' });
}

self.addEventListener('error', (event) => {
  event.preventDefault();
  postMessage({ kind: 'fatal', error: fatalMessage(event.message) });
});
self.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  postMessage({ kind: 'fatal', error: fatalMessage(event.reason && event.reason.message) });
});

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === 'init') {
    start(msg.module, msg.simd).catch((err) => postMessage({ kind: 'fatal', error: fatalMessage(err.message) }));
    return;
  }
  if (goExited) {
    postMessage({ id: msg.id, kind: 'error', error: { code: 'worker-crashed', message: 'The compute worker has stopped; try again (a fresh one starts).' } });
    return;
  }
  if (msg.type === 'cancel') {
    globalThis.pare.cancel(msg.id);
    return;
  }
  if (msg.type === 'exchange') {
    // The page's sums for a data-parallel fine-tune (wasm/finetune_parallel_js.go).
    globalThis.pareExchange(msg);
    return;
  }
  const files = (msg.files || []).map((f) => ({ path: f.path, bytes: new Uint8Array(f.bytes) }));
  try {
    globalThis.pare.handle(msg.id, msg.type, JSON.stringify(msg.params || {}), files);
  } catch (err) {
    // A trap (for example memory exhausted) kills the Go instance: this
    // worker is done, and the page starts a fresh one.
    goExited = true;
    postMessage({ kind: 'fatal', error: fatalMessage(err && err.message) });
  }
};
