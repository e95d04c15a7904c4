// The Fine-tune stage: pare finetune's defaults on the open model and
// images, in a worker (wasm/finetune.go drives core/train's Fit). There is
// nothing to set: a tenth of the images is held out to validate, the
// learning rate comes from a short range test, a diverging run is rolled
// back at a lower rate, and the best validated weights are kept, so the
// result is never worse on validation than the model opened. The tuned
// model can be downloaded, or opened here to inspect and evaluate.
import { el, formatDuration, formatExact } from './format.js';
import { finetuneParallel, defaultWorkers } from './parallel.js';

/**
 * addFinetuneStage adds the stage's tab and panel.
 * @param {object} o
 * @param {import('./stages.js').Stages} o.stages
 * @param {import('./job.js').JobRunner} o.runner
 * @param {() => boolean} o.ready whether a model and images are open and nothing else runs
 * @param {(i?: number) => Promise<object>} o.worker worker slot i (default 0) holding the open model and images
 * @param {() => number} [o.images] how many labelled images are open (the default number of workers depends on it)
 * @param {() => void} o.cancelAll stops the workers' requests
 * @param {(what: string, action: () => Promise<void>) => Promise<void>} o.guard shows failures
 * @param {(files: {path: string, bytes: ArrayBuffer}[]) => Promise<void>} o.openModel opens a model as the current one
 * @param {() => string} o.modelName the open model's file name
 * @param {() => string} o.resultsKey what a result was computed on (model, data, preprocessing)
 * @returns {{update: () => void, dropStale: () => void}}
 */
export function addFinetuneStage({ stages, runner, ready, worker, images, cancelAll, guard, openModel, modelName, resultsKey }) {
  let button, distill, workers, progress, text, cancel, results;
  let shownFor = null; // resultsKey() of the result shown
  let openingTuned = false;
  stages.addStage({
    name: 'finetune',
    label: 'Fine-tune',
    title: 'Train the open model a little more on the open images',
    build: (panel) => {
      button = el('button', { id: 'finetune', type: 'button', className: 'primary', disabled: true }, 'Fine-tune');
      distill = el('input', { id: 'finetune-distill', type: 'checkbox' });
      workers = el('select', { id: 'finetune-workers' },
        el('option', { value: 'auto' }, 'automatic'),
        ...[1, 2, 3, 4].map((n) => el('option', { value: String(n) }, String(n))));
      progress = el('progress', { id: 'finetune-progress', max: '1', value: '0', 'aria-label': 'Fine-tuning progress', hidden: true });
      text = el('span', { id: 'finetune-eta', className: 'eta' });
      cancel = el('button', { id: 'finetune-cancel', type: 'button', hidden: true }, 'Cancel');
      results = el('div', { id: 'finetune-results', className: 'results' });
      panel.append(
        el('div', { className: 'panel' },
          el('h3', {}, 'Fine-tune'),
          el('p', {}, 'Trains the open model for one pass over the open images, with settings chosen for it: a tenth of the images is held out to validate, ',
            'the learning rate comes from a short range test, and the best validated weights are kept, so the result is never worse on them than the model you opened.'),
          el('p', {}, el('label', {}, distill, ' Distill: also learn the open model\'s own softened answers (recovers better after pruning or quantization)')),
          el('p', {}, el('label', {}, 'Workers: ', workers),
            ' (each computes the gradients of its share of every batch; the result is the same as with one)')),
        el('div', { className: 'panel eval-run' }, button, cancel, progress, text),
        results);
      button.addEventListener('click', () => run());
    },
  });

  async function run() {
    if (!ready()) return;
    results.replaceChildren();
    let outcome = null;
    await guard('Fine-tuning', () => runner.run({
      ui: { progress, text, cancel },
      start: 'Fine-tuning started.',
      work: async (job) => {
        job.onCancel(cancelAll);
        job.say('Starting…');
        const params = { distill: distill.checked };
        const onProgress = (p) => job.report(p, describe(p));
        const slots = await workerSlots(job);
        const r = slots.length === 1
          ? await slots[0].request('finetune', params, [], { onProgress })
          : await finetuneParallel(slots, params, { onProgress });
        outcome = { result: { ...r.value, workers: slots.length }, bytes: r.blob };
        render(outcome.result, outcome.bytes);
        shownFor = resultsKey();
        text.textContent = outcome.result.cancelled ? 'Cancelled.' : `Done in ${formatDuration(outcome.result.seconds)}.`;
      },
      end: (_, { cancelled }) => {
        // A cancelled run whose validation had already beaten the open
        // model hands back those weights (wasm/finetune.go).
        if (cancelled && outcome?.result.cancelled) return `Fine-tuning cancelled. ${summaryLine(outcome.result)}`;
        if (cancelled) return 'Fine-tuning cancelled.';
        if (!outcome) return 'Fine-tuning stopped: see the message at the top of the page.';
        return `Fine-tuning done. ${summaryLine(outcome.result)}`;
      },
    }));
    update();
    button.focus();
  }

  // workerSlots starts the workers the choice asks for, each holding the
  // open model and images (fewer when the page's pool has fewer).
  async function workerSlots(job) {
    const first = await worker(0);
    const cores = first.pool?.size || navigator.hardwareConcurrency || 1;
    const asked = workers.value === 'auto' ? defaultWorkers(images ? images() : 0, cores) : Number(workers.value);
    const slots = [first];
    if (asked > 1) job.say(`Starting ${asked} workers…`);
    for (let i = 1; i < asked; i++) {
      const slot = await worker(i);
      if (slots.includes(slot)) break; // a page that hands out one worker only
      slots.push(slot);
    }
    return slots;
  }

  // describe is the line beside the bar for one job.Progress.
  function describe(p) {
    const f = p.figures || {};
    switch (p.stage) {
      case 'probe': return `Choosing the learning rate: step ${p.done} of at most ${p.total}`;
      case 'validate': return `Validating: ${formatExact(p.done)} of ${formatExact(p.total)} images`;
      case 'train': return `Training: step ${formatExact(p.done)} of ${formatExact(p.total)}` +
        (Number.isFinite(f.loss) ? ` · loss ${f.loss.toFixed(3)} · accuracy ${(100 * f.accuracy).toFixed(1)} %` : '');
      default: return p.message || '';
    }
  }

  function summaryLine(r) {
    const pct = (s) => `${(100 * s.accuracy).toFixed(2)} %`;
    if (!r.initial_val) return `Kept the ${r.kept} weights.`;
    const kept = r.kept === 'original' ? 'the original weights are kept'
      : r.cancelled ? 'the best validated weights so far are kept' : `the ${r.kept} weights are kept`;
    return `Validation accuracy ${pct(r.initial_val)} before, ${pct(r.best_val)} at best; ${kept}.`;
  }

  function render(r, bytes) {
    const name = modelName().replace(/(\.onnx)?$/i, '-finetuned.onnx');
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    results.replaceChildren(
      el('h3', {}, 'Result'),
      el('p', { id: 'finetune-summary' }, summaryLine(r)),
      el('p', { id: 'finetune-details' }, `${formatExact(r.trainImages)} training images, ${formatExact(r.valImages)} validation images, ${r.workers} worker${r.workers === 1 ? '' : 's'}; learning rate ${r.lr.toPrecision(2)}` +
        `${r.retries ? `, ${r.retries} restart(s) after the loss diverged` : ''}.`),
      // The job's own lines; the CLI's flag hints mean nothing here.
      el('ul', { id: 'finetune-events' }, r.events.map((e) => el('li', {}, e.replace(/ \(--allow-worse[^)]*\)/, '')))),
      el('p', {},
        el('a', { id: 'finetune-download', href: url, download: name, className: 'button' }, `Download ${name}`), ' ',
        el('button', {
          id: 'finetune-open', type: 'button', onclick: async () => {
            openingTuned = true;
            try {
              await openModel([{ path: name, bytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }]);
            } finally {
              openingTuned = false;
            }
          },
        }, 'Open it here')),
    );
  }

  // dropStale clears a result once the model, the data or the
  // preprocessing it came from has changed (opening the tuned model itself
  // keeps it: it is that model's story).
  function dropStale() {
    if (shownFor == null || shownFor === resultsKey()) return;
    if (openingTuned) {
      shownFor = resultsKey();
      return;
    }
    shownFor = null;
    results.replaceChildren();
    text.textContent = '';
  }

  function update() {
    if (!button) return;
    button.disabled = !ready();
    button.title = button.disabled ? 'Open a model and labelled images first' : '';
  }
  return { update, dropStale };
}
