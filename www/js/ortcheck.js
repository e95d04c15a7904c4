// A second opinion on a file before it is downloaded: onnxruntime-web (npm
// onnxruntime-web, served from this origin under ort/ and imported only
// when a check runs) runs the file on the open images, preprocessed by
// Pare's worker exactly as Pare's own evaluation feeds them, and its
// top-1 answers are compared with Pare's, image by image. One thread, no
// proxy worker: the page is not cross-origin isolated, and one file of a
// few megabytes needs neither.

let ortModule = null;

/** loadOrt imports onnxruntime-web once, from this origin. */
export function loadOrt() {
  ortModule ??= import(new URL('../ort/ort.wasm.min.mjs', import.meta.url).href).then((ort) => {
    ort.env.wasm.wasmPaths = new URL('../ort/', import.meta.url).href;
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    return ort;
  }, (err) => {
    ortModule = null;
    throw new Error(`onnxruntime-web could not be loaded from this site (${err.message}); the check needs the site's ort/ folder (make ort)`);
  });
  return ortModule;
}

/**
 * runInOrt gives onnxruntime-web's top-1 answers for images 0..count-1.
 * @param {object} o
 * @param {Uint8Array} o.bytes the ONNX file
 * @param {{request: Function}} o.slot a worker holding the open images (its `inputs` request)
 * @param {number} o.count how many images
 * @param {{cancelled: boolean}} o.token stops between chunks
 * @param {(done: number, total: number) => void} [o.onProgress]
 * @returns {Promise<{pred: number[], labels: number[], msPerImage: number}>}
 */
export async function runInOrt({ bytes, slot, count, token, onProgress }) {
  const ort = await loadOrt();
  let session;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  } catch (err) {
    throw new Error(`onnxruntime-web refuses the file: ${err.message}`);
  }
  const pred = [];
  const labels = [];
  let runSeconds = 0;
  try {
    const chunk = 100;
    for (let start = 0; start < count && !token.cancelled; start += chunk) {
      const end = Math.min(count, start + chunk);
      const r = await slot.request('inputs', { start, end });
      const { name, shape, fixedBatch } = r.value;
      const x = new Float32Array(r.blob.buffer, r.blob.byteOffset, r.blob.byteLength / 4);
      const per = x.length / shape[0];
      const step = fixedBatch || shape[0];
      for (let i = 0; i < shape[0]; i += step) {
        const n = Math.min(step, shape[0] - i);
        const t = new ort.Tensor('float32', x.subarray(i * per, (i + n) * per), [n, ...shape.slice(1)]);
        const t0 = performance.now();
        const out = await session.run({ [name]: t });
        runSeconds += (performance.now() - t0) / 1000;
        const y = out[session.outputNames[0]];
        const k = y.data.length / n;
        for (let j = 0; j < n; j++) pred.push(argmax(y.data, j * k, k));
      }
      labels.push(...r.value.labels);
      onProgress?.(end, count);
    }
  } finally {
    await session.release?.();
  }
  return { pred, labels, msPerImage: pred.length ? (1000 * runSeconds) / pred.length : NaN };
}

function argmax(a, off, k) {
  let best = 0;
  for (let j = 1; j < k; j++) if (a[off + j] > a[off + best]) best = j;
  return best;
}

/**
 * compare sets Pare's answers beside onnxruntime-web's on the same
 * images: the accuracy of each and the images where they differ.
 */
export function compare(pare, ort) {
  const n = Math.min(pare.pred.length, ort.pred.length);
  const differ = [];
  let pareRight = 0;
  let ortRight = 0;
  for (let i = 0; i < n; i++) {
    if (pare.pred[i] === pare.labels[i]) pareRight++;
    if (ort.pred[i] === pare.labels[i]) ortRight++;
    if (pare.pred[i] !== ort.pred[i]) differ.push(i);
  }
  return { images: n, pareAccuracy: n ? pareRight / n : NaN, ortAccuracy: n ? ortRight / n : NaN, differ };
}
