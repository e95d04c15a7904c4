// Evaluation: top-1 accuracy of the open model on the open data, split over
// the worker pool. The page owns the loop (it hands out chunks of images),
// so progress, ETA and Cancel need nothing from the workers but their
// per-batch progress messages.
import { el, formatDuration } from './format.js';

/** chunkPlan splits n images into chunks for w workers. */
export function chunkPlan(n, w) {
  const size = Math.min(512, Math.max(16, Math.ceil(n / (w * 6))));
  const chunks = [];
  for (let s = 0; s < n; s += size) chunks.push([s, Math.min(n, s + size)]);
  return chunks;
}

/**
 * runEvaluation evaluates images 0..total-1 with up to `workers` workers.
 * @param {object} o
 * @param {number} o.total number of images
 * @param {number} o.workers how many workers to use
 * @param {(i:number) => Promise<object>} o.prepare returns worker slot i with model and data loaded
 * @param {(done:number, total:number, etaSeconds:number) => void} o.onProgress
 * @param {{cancelled: boolean}} o.token set cancelled to stop
 * @returns {Promise<{pred: Int32Array, labels: Int32Array, seconds: number, workers: number}>}
 */
export async function runEvaluation({ total, workers, prepare, onProgress, token }) {
  const chunks = chunkPlan(total, workers);
  workers = Math.max(1, Math.min(workers, chunks.length));
  const pred = new Int32Array(total).fill(-1);
  const labels = new Int32Array(total);
  let done = 0;
  const inflight = new Array(workers).fill(0);
  let started = 0;
  const report = () => {
    const d = done + inflight.reduce((a, b) => a + b, 0);
    const elapsed = (performance.now() - started) / 1000;
    onProgress(d, total, d > 0 ? (elapsed * (total - d)) / d : NaN);
  };
  const slots = await Promise.all(Array.from({ length: workers }, (_, i) => prepare(i)));
  started = performance.now();
  report();
  let failure = null;
  await Promise.all(slots.map(async (slot, i) => {
    while (!token.cancelled && !failure && chunks.length) {
      const [s, e] = chunks.shift();
      try {
        const r = await slot.request('evaluate', { start: s, end: e, batch: 32 }, [], {
          onProgress: (d) => { inflight[i] = d; report(); },
        });
        pred.set(r.pred, s);
        labels.set(r.labels, s);
      } catch (err) {
        if (!token.cancelled) failure = failure || err;
        slots.forEach((other) => other !== slot && other.cancelAll());
        return;
      }
      inflight[i] = 0;
      done += e - s;
      report();
    }
  }));
  if (failure) throw failure;
  return { pred, labels, seconds: (performance.now() - started) / 1000, workers, cancelled: token.cancelled };
}

/** summarize computes accuracy, per-class accuracy and the confusion matrix. */
export function summarize(pred, labels, classes) {
  let k = classes.length;
  for (const p of pred) k = Math.max(k, p + 1);
  const confusion = Array.from({ length: k }, () => new Array(k).fill(0));
  let correct = 0;
  let counted = 0;
  const wrong = [];
  for (let i = 0; i < pred.length; i++) {
    if (pred[i] < 0) continue; // not evaluated (cancelled)
    counted++;
    confusion[labels[i]][pred[i]]++;
    if (pred[i] === labels[i]) correct++;
    else wrong.push(i);
  }
  const perClass = confusion.map((row, c) => {
    const n = row.reduce((a, b) => a + b, 0);
    return { name: classes[c] ?? String(c), count: n, correct: row[c], accuracy: n ? row[c] / n : NaN };
  });
  return { correct, counted, accuracy: counted ? correct / counted : NaN, confusion, perClass, wrong };
}

/** renderResults draws accuracy, per-class table, confusion matrix. */
export function renderResults(root, summary, run, total) {
  const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(2)} %` : '–');
  const names = summary.perClass.map((c) => c.name);
  const maxCell = Math.max(1, ...summary.confusion.flat());
  const cell = (v, diag) => {
    const t = v / maxCell;
    const style = v ? `background: rgba(45,108,223,${(0.12 + 0.75 * t).toFixed(2)}); color: ${t > 0.5 ? '#fff' : 'inherit'}` : '';
    return el('td', { className: diag ? 'diag' : '', style }, String(v));
  };
  root.replaceChildren(
    el('div', { className: 'accuracy', id: 'accuracy', 'data-correct': String(summary.correct), 'data-total': String(summary.counted) },
      `Top-1 accuracy: ${pct(summary.accuracy)}`),
    el('p', {}, `${summary.correct} of ${summary.counted} images right${run.cancelled ? ` (cancelled after ${summary.counted} of ${total})` : ''}; ` +
      `${formatDuration(run.seconds)} on ${run.workers} worker${run.workers > 1 ? 's' : ''} (${(summary.counted / Math.max(run.seconds, 1e-3)).toFixed(0)} images/s).`),
    el('h3', {}, 'Per class'),
    el('table', { id: 'per-class' },
      el('thead', {}, el('tr', {}, el('th', {}, 'class'), el('th', {}, 'images'), el('th', {}, 'right'), el('th', {}, 'accuracy'))),
      el('tbody', {}, ...summary.perClass.filter((c) => c.count > 0).map((c) =>
        el('tr', {}, el('th', {}, c.name), el('td', {}, String(c.count)), el('td', {}, String(c.correct)), el('td', {}, pct(c.accuracy)))))),
    names.length <= 40 ? [
      el('h3', {}, 'Confusion matrix (rows: true class, columns: predicted)'),
      el('table', { className: 'confusion', id: 'confusion' },
        el('thead', {}, el('tr', {}, el('th', {}, ''), ...names.map((n) => el('th', {}, n)))),
        el('tbody', {}, ...summary.confusion.map((row, r) => el('tr', {}, el('th', {}, names[r]), ...row.map((v, c) => cell(v, r === c)))))),
    ] : el('p', {}, `The confusion matrix has ${names.length} classes, too many to show.`),
    el('h3', {}, `Wrong predictions (${summary.wrong.length})`),
    el('div', { className: 'thumbs', id: 'wrong' }, summary.wrong.length ? 'Loading images…' : 'None.'),
  );
}

/** renderThumbnails draws the wrong predictions' images with their labels. */
export function renderThumbnails(root, thumbs, blob, pred, labels, classes) {
  const name = (c) => classes[c] ?? String(c);
  root.replaceChildren(...thumbs.map((t) => {
    const canvas = el('canvas', { width: String(t.width), height: String(t.height) });
    const ctx = canvas.getContext('2d');
    const pixels = new Uint8ClampedArray(blob.buffer, blob.byteOffset + t.offset, t.width * t.height * 4);
    ctx.putImageData(new ImageData(new Uint8ClampedArray(pixels), t.width, t.height), 0, 0);
    const label = `#${t.index}: ${name(labels[t.index])} → ${name(pred[t.index])}`;
    canvas.setAttribute('aria-label', label);
    canvas.setAttribute('role', 'img');
    return el('figure', {}, canvas, el('figcaption', {}, label));
  }));
}
