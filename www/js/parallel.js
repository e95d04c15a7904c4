// Data-parallel training over several compute workers. Each worker runs
// a finetuneShard request (wasm/finetune_parallel.go), or the Compress
// tab's fine-tune or QIL stage (wasm/compress.go), on the same model,
// images and options: it computes the gradients of its share of every
// batch and posts them here as one transferred ArrayBuffer (float64
// statistics first, then the float32 gradients); once every worker's
// buffer has arrived, this thread sums them in rank order and posts the
// sums back, each worker getting its own buffer back (no copies between
// threads). Every worker then takes the same step, so all end with the same
// model, equal to one worker's to float rounding.

let nextRun = 1;

/**
 * finetuneParallel fine-tunes on slots.length workers and returns worker
 * 0's reply ({value, blob}).
 * @param {object[]} slots worker slots (pool.js), each holding the model and images
 * @param {object} params the finetune request's parameters
 * @param {object} o
 * @param {(p: object) => void} [o.onProgress] worker 0's job.Progress
 * @returns {Promise<{value: object, blob: Uint8Array, exchanges: number, exchangeSeconds: number}>}
 */
export function finetuneParallel(slots, params, o = {}) {
  return trainParallel(slots, 'finetuneShard', params, [], o);
}

/**
 * trainParallel sends a training request (finetuneShard, or compress's
 * fine-tune or quantize stage) to every slot as worker rank of slots.length, runs the
 * exchange between them, and returns worker 0's reply.
 * @param {object[]} slots worker slots (pool.js), each holding the model and images
 * @param {string} method the request
 * @param {object} params its parameters (run, rank and workers are added)
 * @param {object[]} files its files (each worker gets a copy)
 * @param {object} o
 * @param {(p: object) => void} [o.onProgress] worker 0's progress
 * @returns {Promise<{value: object, blob: Uint8Array, exchanges: number, exchangeSeconds: number}>}
 */
export async function trainParallel(slots, method, params, files, { onProgress } = {}) {
  const workers = slots.length;
  const run = nextRun++;
  const arrived = new Array(workers).fill(null);
  let count = 0;
  let exchanges = 0;
  let exchangeSeconds = 0;
  let failed = null;

  const stopAll = () => { for (const s of slots) s.cancelAll(); };
  const sum = () => {
    const t0 = performance.now();
    const n64 = arrived[0].n64;
    const size = arrived[0].buffer.byteLength;
    if (arrived.some((m) => m.n64 !== n64 || m.buffer.byteLength !== size)) {
      failed = new Error('the training workers sent exchanges of different sizes (they are not running the same job)');
      stopAll();
      return;
    }
    const d = arrived.map((m) => new Float64Array(m.buffer, 0, n64));
    const f = arrived.map((m) => new Float32Array(m.buffer, 8 * n64));
    // In doubles, rank after rank, as core/train's LocalGroup sums.
    for (let i = 0; i < n64; i++) {
      let s = 0;
      for (let k = 0; k < workers; k++) s += d[k][i];
      for (let k = 0; k < workers; k++) d[k][i] = s;
    }
    const n32 = f[0].length;
    if (workers === 2) {
      const [a, b] = f;
      for (let i = 0; i < n32; i++) a[i] = b[i] = a[i] + b[i];
    } else {
      for (let i = 0; i < n32; i++) {
        let s = 0;
        for (let k = 0; k < workers; k++) s += f[k][i];
        for (let k = 0; k < workers; k++) f[k][i] = s;
      }
    }
    exchanges++;
    exchangeSeconds += (performance.now() - t0) / 1000;
    arrived.forEach((m, k) => slots[k].worker.postMessage({ type: 'exchange', run, buffer: m.buffer }, [m.buffer]));
    arrived.fill(null);
    count = 0;
  };
  const listeners = slots.map((slot, k) => {
    const listen = (e) => {
      const m = e.data;
      if (!m || m.kind !== 'exchange' || m.run !== run || failed) return;
      arrived[k] = m;
      if (++count === workers) sum();
    };
    slot.worker.addEventListener('message', listen);
    return listen;
  });
  try {
    const replies = await Promise.all(slots.map((slot, rank) =>
      slot.request(method, { ...params, run, rank, workers }, files, { onProgress: rank === 0 ? onProgress : undefined })
        .catch((err) => {
          // The others would wait for this worker's gradients forever.
          stopAll();
          throw err;
        })));
    if (failed) throw failed;
    const size = replies[0].blob.byteLength;
    if (replies.some((r) => r.blob.byteLength !== size)) throw new Error('the training workers ended with different models');
    return { ...replies[0], exchanges, exchangeSeconds };
  } finally {
    slots.forEach((slot, k) => slot.worker.removeEventListener('message', listeners[k]));
  }
}

/**
 * defaultWorkers is how many workers a training run over images open
 * images uses by default: as many as the machine has cores, at most 4, but
 * only as many as give each worker perWorker images; below that, starting a
 * worker (a Go instance, the model and the images decoded again) and the
 * gradient exchange of every step cost more than its share of the epoch
 * saves.
 *
 * finetuneImagesPerWorker is the Fine-tune tab's share, measured on a quiet
 * 2-core machine (scripts/bench-compress.mjs --only finetune,
 * docs/benchmarks-browser.md): two workers fine-tuned fashion-resnet 1.64x
 * faster than one with 225 training images each, and the demo 1.27x with
 * 450 each.
 *
 * compressImagesPerWorker is the Compress tab's: its training is the
 * fine-tune and QIL, each starting the further workers' copies of the
 * model and images, and the whole demo pipeline took 21.8 s on two workers
 * against 16.2 s on one on a nearly quiet machine
 * (docs/benchmarks-browser.md); below it the tab writes exactly the file
 * `pare compress` writes (one worker), not the same to float rounding.
 */
export const finetuneImagesPerWorker = 200;
export const compressImagesPerWorker = 2000;
export function defaultWorkers(images, cores = navigator.hardwareConcurrency || 1, perWorker = finetuneImagesPerWorker) {
  return Math.max(1, Math.min(4, cores, Math.floor(images / perWorker) || 1));
}
