// Evaluation: top-1 accuracy of the open model on the open data, split over
// the worker pool. The page owns the loop (it hands out chunks of images),
// so progress, ETA and Cancel need nothing from the workers but their
// per-batch progress messages.
import { el, formatDuration, formatExact } from './format.js';
import { textColourOn, mix, cssRgb } from './colour.js';

// Confusion-matrix cells shade from PALE_BLUE (few of the row) to
// DEEP_BLUE (all of it); opaque, so the text colour can be picked for
// contrast in either theme.
const PALE_BLUE = [226, 235, 251];
const DEEP_BLUE = [24, 70, 160];

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
 * @param {(done:number, total:number, etaSeconds:number, imagesPerSecond:number) => void} o.onProgress
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
    // The first images include compiling and warming up: wait for a few
    // before promising a time.
    const rate = elapsed > 0.2 && d > 0 ? d / elapsed : NaN;
    onProgress(d, total, Number.isFinite(rate) ? (total - d) / rate : NaN, rate);
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
          onProgress: (p) => { inflight[i] = p.done; report(); },
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

/** renderResults draws accuracy, the per-class table and the confusion matrix. */
export function renderResults(root, summary, run, total) {
  const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(2)} %` : '–');
  const n = (v) => formatExact(v);
  const names = summary.perClass.map((c) => c.name);
  const seconds = Math.max(run.seconds, 1e-3);
  root.replaceChildren(
    el('div', { className: 'accuracy', id: 'accuracy', 'data-correct': String(summary.correct), 'data-total': String(summary.counted) },
      `Top-1 accuracy: ${pct(summary.accuracy)}`),
    el('p', { className: 'accuracy-detail' },
      `${n(summary.correct)} of ${n(summary.counted)} images classified right` +
      `${run.cancelled ? ` (cancelled after ${n(summary.counted)} of ${n(total)} images)` : ''}, ` +
      `in ${formatDuration(run.seconds)} on ${run.workers} worker${run.workers > 1 ? 's' : ''} ` +
      `(${n(Math.round(summary.counted / seconds))} images/s).`),
    el('div', { className: 'result-tables' },
      el('section', {},
        el('h3', {}, 'Per class'),
        el('table', { id: 'per-class' },
          el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'class'), el('th', { scope: 'col' }, 'images'),
            el('th', { scope: 'col' }, 'right'), el('th', { scope: 'col' }, 'accuracy'))),
          el('tbody', {}, summary.perClass.filter((c) => c.count > 0).map((c) =>
            el('tr', { 'data-class': c.name }, el('th', { scope: 'row' }, c.name), el('td', {}, n(c.count)), el('td', {}, n(c.correct)), el('td', {}, pct(c.accuracy)))))),
      ),
      names.length <= 40
        ? confusionMatrix(summary.confusion, names)
        : el('p', {}, `The confusion matrix has ${names.length} classes, too many to show here.`),
    ),
    el('h3', {}, `Wrong predictions (${n(summary.wrong.length)})`,
      summary.wrong.length ? el('span', { className: 'legend-note' }, ' under each image: ', el('span', { className: 'truth' }, 'true class'), ' → ', el('span', { className: 'guess' }, 'predicted')) : null),
    el('div', { className: 'thumbs', id: 'wrong' }, summary.wrong.length ? 'Loading images…' : 'None: every image was classified right.'),
  );
}

// confusionMatrix draws counts of (true class, predicted class) pairs, each
// cell shaded by its share of its row, so a weak class stands out however
// many images it has.
export function confusionMatrix(confusion, names, id = 'confusion', title = 'Confusion matrix') {
  const cell = (v, rowTotal, diag) => {
    const t = rowTotal ? v / rowTotal : 0;
    const shade = mix(PALE_BLUE, DEEP_BLUE, t);
    const style = v ? `background: ${cssRgb(shade)}; color: ${textColourOn(shade)}` : '';
    return el('td', { className: diag ? 'diag' : v ? 'off' : 'zero', style, title: v ? `${formatExact(v)} (${(100 * t).toFixed(1)} % of the row)` : null }, v ? formatExact(v) : '·');
  };
  return el('section', {},
    el('h3', {}, title),
    el('table', { className: 'confusion', id },
      el('caption', {}, 'rows: true class · columns: predicted class'),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', 'aria-label': 'true class' }, 'true ╲ pred'), names.map((name) => el('th', { scope: 'col' }, name)))),
      el('tbody', {}, confusion.map((row, r) => {
        const rowTotal = row.reduce((a, b) => a + b, 0);
        return el('tr', { 'data-class': names[r] }, el('th', { scope: 'row' }, names[r]), row.map((v, c) => cell(v, rowTotal, r === c)));
      }))));
}

/** renderThumbnails draws the wrong predictions' images with their true and predicted classes. */
export function renderThumbnails(root, thumbs, blob, pred, labels, classes, totalWrong) {
  const name = (c) => classes[c] ?? String(c);
  const figures = thumbs.map((t) => {
    const canvas = el('canvas', { width: String(t.width), height: String(t.height) });
    const ctx = canvas.getContext('2d');
    const pixels = new Uint8ClampedArray(blob.buffer, blob.byteOffset + t.offset, t.width * t.height * 4);
    ctx.putImageData(new ImageData(new Uint8ClampedArray(pixels), t.width, t.height), 0, 0);
    const truth = name(labels[t.index]);
    const guess = name(pred[t.index]);
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `image ${t.index}: true class ${truth}, predicted ${guess}`);
    return el('figure', { title: `image #${t.index}` }, canvas,
      el('figcaption', {}, el('span', { className: 'truth' }, truth), ' → ', el('span', { className: 'guess' }, guess)));
  });
  root.replaceChildren(...figures);
  if (totalWrong > thumbs.length) {
    root.append(el('p', { className: 'hint more' }, `…and ${formatExact(totalWrong - thumbs.length)} more.`));
  }
}
