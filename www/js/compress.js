// The Compress stage: pare compress on the open model and images, in a
// worker (wasm/compress.go drives compress.Pipeline, the stepper the CLI
// drives): prune to a budget with the exact QCQP solver, fine-tune with
// distillation and keep-best, quantize with QIL (learned intervals,
// progressively down to the bits asked), evaluate the exported QDQ file.
// The settings are those of the CLI, so the page and `pare compress` give
// the same file on the same inputs.
//
// With "No pruning" as the budget the run quantizes only, as pare compress
// without --budget: the prune and fine-tune stages are skipped (each
// still a request that ends at once, replying with the open model, so
// that storing and resuming work as for any run) and QIL quantizes the
// open model itself.
//
// The pipeline runs one stage per request; each finished stage's model and
// report go to IndexedDB (store.js), so a reload or a closed tab loses at
// most the stage under way, and the next run with the same model, images
// and settings resumes after the last stored stage. Before the file is
// offered for download it is run in onnxruntime-web on the open images
// (ortcheck.js) and its answers are set beside Pare's.
//
// The live view (liveview.js, loaded only when asked for) watches the run:
// the solver's channel masks while it prunes, the loss and accuracy of
// every batch the fine-tune and QIL train, and each quantized layer's
// weights with its QIL intervals as they train (the layers kept in float
// with their weights alone). The worker sends the
// masks and layers at most twice a second (wasm/compress_live.go).
import { el, formatBytes, formatDuration, formatETA, formatExact } from './format.js';
import { loadRun, saveRun, deleteRun, storageUse, fingerprint } from './store.js';
import { runInOrt, compare } from './ortcheck.js';
import { summarize, confusionMatrix } from './evaluate.js';
import { trainParallel, defaultWorkers, compressImagesPerWorker } from './parallel.js';
import { compareGraphs } from './compare-graphs.js';

const STAGES = [
  { name: 'prune', label: 'Prune', what: 'channels selected by the exact solver and removed' },
  { name: 'finetune', label: 'Fine-tune', what: 'the pruned model trained to recover' },
  { name: 'quantize', label: 'Quantize', what: 'QIL intervals learned, exported as QDQ ONNX' },
  { name: 'evaluate', label: 'Evaluate', what: 'the exported file re-measured and evaluated' },
];
// TRAINING are the stages that train, data-parallel when several workers
// are asked for (wasm/compress.go runs either alone in each worker).
const TRAINING = new Set(['finetune', 'quantize']);
// Latency is the Prune tab's latency model, measured in onnxruntime-web in
// this browser (Calibrate there), predicting the pruned network's time.
const RESOURCES = { macs: 'MACs', params: 'Parameters', memory: 'Memory', latency: 'Latency (calibrated in the Prune tab)' };
// The budget's choices: a resource, or none (quantize only).
const BUDGETS = { ...RESOURCES, none: 'No pruning: quantize only' };
// Errors the worker gives before a stage does any work (the request's
// settings refused); any other error stopped a stage under way.
const RAN = new Set(['compress-failed', 'unreachable-budget', 'cancelled', 'worker-crashed', 'internal']);
// The images the onnxruntime-web check runs (the first ones of the set).
const CHECK_IMAGES = 2000;

/**
 * addCompressStage adds the stage's tab and panel.
 * @param {object} o
 * @param {import('./stages.js').Stages} o.stages
 * @param {import('./job.js').JobRunner} o.runner
 * @param {() => boolean} o.ready whether a model and images are open and nothing else runs
 * @param {() => Promise<object>} o.worker the worker slot holding the open model and images
 * @param {() => Promise<object>} o.spareWorker another slot (or the same one on one worker) holding the images, for the check
 * @param {() => void} o.cancelAll stops the workers' requests
 * @param {(what: string, action: () => Promise<void>) => Promise<void>} o.guard shows failures
 * @param {(text: string) => void} o.warn shows a note that does not stop anything
 * @param {(files: {path: string, bytes: ArrayBuffer}[]) => Promise<void>} o.openModel opens a model as the current one
 * @param {() => {name: string, files: object[]}|null} o.model the open model
 * @param {() => {files: object[], count: number, classes: string[]}|null} o.data the open images
 * @param {() => object} o.preprocess the preprocessing in use
 * @param {() => string} o.resultsKey what a result was computed on (model, data, preprocessing)
 * @param {(i: number) => Promise<object>} o.workerAt the i-th worker slot holding the open model and images (the data-parallel fine-tune's)
 * @param {() => number} o.images how many labelled images are open (the default number of workers depends on it)
 * @param {() => object|null} o.latencyModel the open model's latency model calibrated in the Prune tab (null: none)
 * @returns {{update: () => void, dropStale: () => void, result: object|null}} result is what Download saves
 */
export function addCompressStage(o) {
  const { stages, runner, ready, worker, spareWorker, cancelAll, guard, warn, openModel } = o;
  let ui = {};
  let shownFor = null;
  let openingResult = false;
  let storedFor = null; // the fingerprint whose stored run the notice describes
  let last = null; // {bytes, report, check}: what the Download links save
  let graphs = null; // the result's two graph views (compare-graphs.js)
  let listFromRun = false; // the stage list shows a run of this page, not a stored one
  const live = newLiveFeed();
  stages.addStage({
    name: 'compress',
    label: 'Compress',
    title: 'Prune, fine-tune, quantize and evaluate the open model in one run',
    build: (panel) => build(panel),
  });

  function build(panel) {
    const select = (id, label, options, value) => el('select', { id, 'aria-label': label },
      ...options.map(([v, text]) => el('option', { value: v, selected: v === value }, text)));
    const bitOptions = [2, 3, 4, 5, 6, 7, 8].map((b) => [String(b), `${b} bits`]);
    ui = {
      resource: select('compress-resource', 'Resource to budget', Object.entries(BUDGETS), 'macs'),
      percent: el('input', { id: 'compress-budget', type: 'number', min: '1', max: '100', step: 'any', value: '50', 'aria-label': 'Budget, percent of the model' }),
      minKeep: el('input', { id: 'compress-min-keep', type: 'number', min: '0', max: '100', step: '1', value: '', placeholder: '25', 'aria-describedby': 'compress-min-keep-hint' }),
      wbits: select('compress-wbits', 'Weight bits', bitOptions, '4'),
      abits: select('compress-abits', 'Activation bits', bitOptions, '4'),
      storage: select('compress-storage', 'Weight storage', [['int8', 'int8 (every runtime)'], ['int4', 'int4 (opset 21, half the size)']], 'int8'),
      distill: el('input', { id: 'compress-distill', type: 'checkbox', checked: true }),
      schedule: select('compress-schedule', 'QIL schedule',
        [['progressive', 'progressive: 8 → 5 → 4 … down to the bits asked'], ['direct', 'direct: the bits asked from the start']], 'progressive'),
      qilEpochs: el('input', { id: 'compress-qil-epochs', type: 'number', min: '1', max: '20', step: '1', value: '1', 'aria-label': 'QIL epochs per stage' }),
      quantizerOnly: el('input', { id: 'compress-quantizer-only', type: 'checkbox' }),
      keepFP: select('compress-keep-fp', 'Layers kept in full precision',
        [['first,last', 'the first and the last layer'], ['none', 'none: quantize every layer']], 'first,last'),
      layerBits: el('input', { id: 'compress-layer-bits', type: 'text', size: '32', placeholder: 'NAME=3/3, NAME2=8/8', 'aria-label': 'Bits of single layers, by node name', spellcheck: false }),
      workers: el('select', { id: 'compress-workers', 'aria-label': 'Training workers' },
        el('option', { value: 'auto' }, 'automatic'),
        ...[1, 2, 3, 4].map((n) => el('option', { value: String(n) }, String(n)))),
      button: el('button', { id: 'compress', type: 'button', className: 'primary', disabled: true }, 'Compress'),
      cancel: el('button', { id: 'compress-cancel', type: 'button', hidden: true }, 'Cancel'),
      progress: el('progress', { id: 'compress-progress', max: '1', value: '0', 'aria-label': 'Compression progress', hidden: true }),
      text: el('span', { id: 'compress-eta', className: 'eta' }),
      resume: el('div', { id: 'compress-resume', className: 'panel', hidden: true }),
      list: el('ol', { id: 'compress-stages', className: 'compress-stages' },
        STAGES.map((s) => el('li', { 'data-stage': s.name, 'data-state': 'waiting' },
          el('strong', {}, s.label), ' ', el('span', { className: 'stage-state' }, 'waiting'), ' ',
          el('span', { className: 'stage-figures' })))),
      results: el('div', { id: 'compress-results', className: 'results' }),
      viewButton: el('button', { id: 'compress-show-view', type: 'button' }, 'Show the live view'),
      viewBox: el('div', { id: 'compress-liveview', className: 'liveview' }),
    };
    panel.append(
      el('div', { className: 'panel' },
        el('h3', {}, 'Compress'),
        el('p', {}, 'Runs the whole of pare compress on the open model and images: an exact solver removes the channels that matter least until the model fits the budget, ',
          'the pruned model is fine-tuned (learning from the original model\'s answers too), then its weights and activations are quantized with learned intervals (QIL) ',
          'and the result is evaluated. A tenth of the images is held out to validate every stage. Each finished stage is kept in this browser, so a reload does not lose it. ',
          'To quantize only, choose "No pruning" as the budget: pruning and the fine-tune are skipped.'),
        el('p', { className: 'compress-settings' },
          el('label', {}, 'Budget ', ui.resource), ' ', el('label', {}, ui.percent, ' % of the model'), ' · ',
          el('label', {}, 'weights ', ui.wbits), ' ', el('label', {}, 'activations ', ui.abits), ' · ',
          el('label', {}, 'storage ', ui.storage)),
        el('p', {}, el('label', {}, 'Keep at least ', ui.minKeep, ' % of every layer'), ' ',
          el('span', { id: 'compress-min-keep-hint', className: 'hint' }, 'empty: 25 %, lowered as far as the budget needs, as pare compress does; 0: a layer may fall to one channel')),
        el('p', {}, el('label', {}, ui.distill, ' Distill: the fine-tune also learns the original model\'s softened answers')),
        el('details', { id: 'compress-qil', className: 'compress-qil' },
          el('summary', {}, 'Quantization (QIL) choices'),
          el('p', {}, el('label', {}, 'Schedule ', ui.schedule), ' · ', el('label', {}, 'epochs per stage ', ui.qilEpochs)),
          el('p', {}, el('label', {}, ui.quantizerOnly, ' Learn the intervals only: the fine-tuned weights stay as they are (QIL\'s quantizer-only training)')),
          el('p', {}, el('label', {}, 'Kept in full precision: ', ui.keepFP)),
          el('p', {}, el('label', {}, 'Bits of single layers: ', ui.layerBits),
            ' ', el('span', { className: 'hint' }, 'node names as the graph shows them, e.g. a layer that needs 8 bits while the rest take 4'))),
        el('p', {}, el('label', {}, 'Training workers: ', ui.workers),
          ' (for the fine-tune and QIL: each computes the gradients of its share of every batch; the result is the same as with one, to float rounding)')),
      ui.resume,
      el('div', { className: 'panel eval-run' }, ui.button, ui.cancel, ui.progress, ui.text),
      el('div', { className: 'panel' }, ui.list,
        el('p', {}, ui.viewButton, ' ', el('span', { className: 'hint' }, 'Channel masks as the solver prunes, loss and accuracy as the net trains, and each quantized layer\'s weights with the intervals QIL learns (arrow keys in the view change the layer).')),
        ui.viewBox),
      ui.results);
    ui.button.addEventListener('click', () => run());
    // No pruning: no share to give, and no fine-tune to distil in.
    const quantizeOnlyChoice = () => {
      const none = ui.resource.value === 'none';
      ui.percent.disabled = none;
      ui.minKeep.disabled = none;
      ui.distill.disabled = none;
    };
    ui.resource.addEventListener('change', quantizeOnlyChoice);
    ui.viewButton.addEventListener('click', async () => {
      ui.viewButton.parentElement.hidden = true;
      await live.open(ui.viewBox);
      // The button is gone: the keyboard's focus goes to what replaced it.
      ui.viewBox.querySelector('iframe')?.focus();
    });
    for (const input of [ui.resource, ui.percent, ui.minKeep, ui.wbits, ui.abits, ui.storage, ui.distill,
      ui.schedule, ui.qilEpochs, ui.quantizerOnly, ui.keepFP, ui.layerBits]) {
      input.addEventListener('change', () => showStored());
    }
  }

  function quantizeOnly() {
    return ui.resource.value === 'none';
  }

  function settings() {
    const percent = Number(ui.percent.value);
    const budget = { resource: ui.resource.value, fraction: percent / 100 };
    // The worker running the pipeline may not be the one that calibrated.
    if (budget.resource === 'latency') budget.latencyModel = o.latencyModel();
    return {
      budgets: quantizeOnly() ? [] : [budget],
      bits: `${ui.wbits.value}/${ui.abits.value}`,
      storage: ui.storage.value,
      // (Nothing is fine-tuned without pruning: the box does not count.)
      noDistill: !quantizeOnly() && !ui.distill.checked,
      schedule: ui.schedule.value,
      qilEpochs: Math.max(1, Math.round(Number(ui.qilEpochs.value)) || 1),
      quantizerOnly: ui.quantizerOnly.checked,
      keepFP: ui.keepFP.value === 'first,last' ? '' : ui.keepFP.value,
      layerBits: ui.layerBits.value.trim(),
      ...(quantizeOnly() || ui.minKeep.value.trim() === '' ? {} : { minKeep: Number(ui.minKeep.value) / 100 }),
    };
  }

  // runKey names a run across reloads: the model's bytes, the images, the
  // preprocessing and the settings.
  async function runKey() {
    const m = o.model();
    const d = o.data();
    if (!m || !d) return null;
    return fingerprint(m.files, d.files, { preprocess: o.preprocess(), settings: settings() });
  }

  function setStage(name, state, figures = '') {
    const li = ui.list.querySelector(`li[data-stage="${name}"]`);
    li.dataset.state = state;
    li.querySelector('.stage-state').textContent = { waiting: 'waiting', running: 'running…', done: 'done', restored: 'done (kept from an earlier run)', skipped: 'skipped', stopped: 'stopped' }[state];
    li.querySelector('.stage-figures').textContent = figures;
  }

  function resetStages() {
    listFromRun = false;
    for (const s of STAGES) setStage(s.name, 'waiting');
  }

  // ended is a finished stage's state in the list: skipped (the report
  // says it did not run), else done now or kept from an earlier run.
  function ended(name, report, state) {
    return report?.skipped_stages?.includes(name) ? 'skipped' : state;
  }

  async function run() {
    if (!ready()) return;
    const request = settings();
    if (request.budgets.length > 0 && !(request.budgets[0].fraction > 0 && request.budgets[0].fraction <= 1)) {
      await guard('Compressing', async () => { throw Object.assign(new Error('Give a budget above 0 and at most 100 % of the model.'), { code: 'bad-budget' }); });
      return;
    }
    if (request.budgets[0]?.resource === 'latency' && !request.budgets[0].latencyModel) {
      await guard('Compressing', async () => {
        throw Object.assign(new Error('A latency budget needs this model\'s latency measured in this browser first: choose Latency in the Prune tab and press Calibrate.'), { code: 'no-latency-model' });
      });
      return;
    }
    const modelName = o.model().name;
    const key = await runKey();
    ui.results.replaceChildren();
    ui.resume.hidden = true;
    resetStages();
    listFromRun = true;
    live.reset();
    let outcome = null;
    let storeFailed = false;
    let current = null;
    let refused = false; // the worker refused the settings before any work
    await guard('Compressing', () => runner.run({
      ui: { progress: ui.progress, text: ui.text, cancel: ui.cancel },
      start: 'Compression started.',
      unit: 'steps',
      work: async (job) => {
        job.onCancel(cancelAll);
        job.say('Starting…');
        let stored = null;
        try {
          stored = await loadRun(key);
        } catch (err) {
          storeFailed = true;
          warn(`Finished stages cannot be kept in this browser: ${err.message}. The compression still runs; a reload would start it again.`);
        }
        const slot = await worker();
        let resume = null;
        let files = [];
        let from = 0;
        if (stored) {
          from = STAGES.findIndex((s) => s.name === stored.after) + 1;
          resume = { after: stored.after, report: stored.report };
          files = [{ path: `${stored.after}.onnx`, bytes: stored.bytes }];
          for (const s of STAGES.slice(0, from)) setStage(s.name, ended(s.name, stored.report, 'restored'), stageFigures(s.name, stored.report));
        }
        const eta = new Eta();
        let report = stored?.report ?? null;
        let bytes = null;
        const spent = {}; // seconds of each stage run now
        for (const s of STAGES.slice(from)) {
          current = s.name;
          setStage(s.name, 'running');
          const params = { ...request, until: s.name, resume };
          live.nextStage();
          let progressed = false;
          const onProgress = (p) => {
            progressed = true;
            job.report(p, describe(p, eta));
            live.feed(p);
          };
          // The fine-tune and QIL train data-parallel as the Fine-tune tab
          // does (same default number of workers, the same workers for
          // both); the other stages run in one, and so does a fine-tune
          // that is skipped (quantize only).
          const trains = TRAINING.has(s.name) && !(s.name === 'finetune' && request.budgets.length === 0);
          const slots = trains ? await trainingSlots(slot, job) : [slot];
          let r;
          try {
            r = slots.length === 1
              ? await slot.request('compress', params, files, { onProgress })
              : await trainParallel(slots, 'compress', params, files, { onProgress });
          } catch (err) {
            if (!progressed && !RAN.has(err.code) && !job.cancelled) {
              // Refused before anything ran (a layer name that does not
              // exist, say): the stage has not run, and the banner says why.
              refused = true;
              setStage(s.name, 'waiting');
              current = null;
            }
            throw err;
          }
          report = r.value.report;
          spent[s.name] = report.seconds?.[s.name] ?? 0;
          bytes = r.blob.buffer.slice(r.blob.byteOffset, r.blob.byteOffset + r.blob.byteLength);
          setStage(s.name, ended(s.name, report, 'done'), stageFigures(s.name, report));
          resume = { after: s.name, report };
          files = [{ path: `${s.name}.onnx`, bytes }];
          if (!storeFailed) {
            try {
              await saveRun(key, { after: s.name, report, bytes, modelName, settings: request });
            } catch (err) {
              storeFailed = true;
              warn(`The finished ${s.label.toLowerCase()} stage could not be kept in this browser: ${err.message}. The compression goes on; a reload would start it again.`);
            }
          }
        }
        current = null;
        outcome = { report, bytes, request, modelName, key, graph: o.model().view?.graph };
        shownFor = o.resultsKey();
        const t0 = performance.now();
        await renderAndCheck(outcome, job);
        // Each stage runs as a request of its own, whose report times only
        // that stage (total_seconds and seconds): the stages of this run
        // are added up here.
        const compressing = Object.values(spent).reduce((a, b) => a + b, 0);
        job.say(`Done: ${formatDuration(compressing)} compressing, ${formatDuration((performance.now() - t0) / 1000)} checking.`);
      },
      end: (_, { cancelled }) => {
        if (current) setStage(current, 'stopped');
        if (cancelled) return 'Compression cancelled; the finished stages are kept.';
        if (refused) return 'Compression refused before any stage ran: see the message at the top of the page.';
        if (!outcome) return 'Compression stopped: see the message at the top of the page.';
        return `Compression done. ${summaryLine(outcome.report)}`;
      },
    }));
    await showStored();
    update();
    ui.button.focus();
  }

  // trainingSlots is first and the further workers the training stages use:
  // the number asked, or by default one per compressImagesPerWorker open
  // images (defaultWorkers); fewer when the page's pool hands
  // out fewer. The number is not part of a stored run's key: a run
  // resumed with another gives the same result to float rounding.
  async function trainingSlots(first, job) {
    const cores = first.pool?.size || navigator.hardwareConcurrency || 1;
    const asked = ui.workers.value === 'auto' ? defaultWorkers(o.images(), cores, compressImagesPerWorker) : Number(ui.workers.value);
    const slots = [first];
    if (asked > 1) job.say(`Starting ${asked} workers for the training…`);
    for (let i = 1; i < asked; i++) {
      const slot = await o.workerAt(i);
      if (slots.includes(slot)) break;
      slots.push(slot);
    }
    return slots;
  }

  // Eta estimates the time left of the sub-step under way from its own
  // pace (the pipeline's stages run at very different speeds).
  class Eta {
    constructor() { this.key = null; }
    left(p) {
      const key = `${p.stage}/${p.doing}/${p.total}`;
      const now = performance.now();
      if (key !== this.key || p.done < this.done0) {
        Object.assign(this, { key, t0: now, done0: p.done });
        return NaN;
      }
      const rate = (p.done - this.done0) / ((now - this.t0) / 1000);
      return rate > 0 ? (p.total - p.done) / rate : NaN;
    }
  }

  function describe(p, eta) {
    const f = p.figures || {};
    const stage = STAGES.find((s) => s.name === p.stage)?.label ?? p.stage;
    const parts = [`${stage}: ${p.doing === 'skip' ? 'skipped' : p.doing || ''}`.trim()];
    if (p.total > 0) parts.push(`${formatExact(p.done)} of ${formatExact(p.total)}`);
    if (Number.isFinite(f.gap)) parts.push(`gap ${(100 * f.gap).toFixed(2)} %`);
    if (Number.isFinite(f.nodes)) parts.push(`${formatExact(f.nodes)} nodes`);
    if (Number.isFinite(f.loss)) parts.push(`loss ${f.loss.toFixed(3)}`);
    if (Number.isFinite(f.accuracy)) parts.push(`accuracy ${(100 * f.accuracy).toFixed(1)} %`);
    if (p.total > 1) parts.push(formatETA(eta.left(p)));
    return parts.join(' · ');
  }

  function pct(a) {
    return Number.isFinite(a) ? `${(100 * a).toFixed(2)} %` : '–';
  }

  function valOf(report, name) {
    return report?.accuracy?.[name]?.val;
  }

  function stageFigures(name, report) {
    if (!report) return '';
    switch (name) {
      case 'prune': {
        if (report.recipe?.prune === 'skipped') return `no budget: nothing pruned · the original model: validation ${pct(valOf(report, 'original'))}`;
        const s = report.solver;
        const macs = report.resources?.macs;
        const l = report.latency;
        return [s ? `${s.status}${s.gap != null ? `, gap ${(100 * s.gap).toFixed(2)} %` : ''}` : '',
          macs?.pruned ? `MACs ${(100 * macs.pruned / macs.before).toFixed(1)} % of the original` : '',
          l ? `latency predicted ${l.predicted_before_ms.toPrecision(3)} ms → ${l.predicted_after_ms.toPrecision(3)} ms (budget ${l.budget_ms.toPrecision(3)} ms)` : '',
          `validation ${pct(valOf(report, 'pruned'))}`].filter(Boolean).join(' · ');
      }
      case 'finetune':
        if (report.recipe?.prune === 'skipped') return 'nothing pruned, so nothing to recover';
        return report.finetune ? `validation ${pct(valOf(report, 'finetuned'))} (learning rate ${report.finetune.lr.toPrecision(2)}, ${report.finetune.kept} weights kept` +
          `${report.finetune.workers > 1 ? `, ${report.finetune.workers} workers` : ''})` : 'skipped';
      case 'quantize':
        return report.quantize ? `${report.recipe.bits}, ${report.recipe.schedule === 'direct' ? 'directly' : 'progressively'}: ` +
          `${report.quantize.stages.map((s) => s.bits).join(' → ')}${report.recipe.quantizer_only ? ' (intervals only)' : ''}` +
          `${report.quantize.workers > 1 ? ` (${report.quantize.workers} workers)` : ''}` : '';
      case 'evaluate':
        return `validation ${pct(valOf(report, 'quantized'))}, ${formatBytes(report.bytes?.quantized)}`;
    }
    return '';
  }

  function summaryLine(r) {
    const macs = r.resources?.macs;
    return `Validation accuracy ${pct(valOf(r, 'original'))} before, ${pct(valOf(r, 'quantized'))} after; ` +
      `MACs ${macs ? (100 * macs.after / macs.before).toFixed(1) : '–'} % of the original; ${formatBytes(r.bytes?.original)} → ${formatBytes(r.bytes?.quantized)}.`;
  }

  // renderAndCheck shows the figures, then runs the exported file in Pare
  // and in onnxruntime-web on the open images and offers the download.
  async function renderAndCheck(out, job) {
    const r = out.report;
    const how = r.recipe.prune === 'skipped' ? 'quantized' : 'compressed';
    const name = `${out.modelName.replace(/\.onnx$/i, '')}-${how}-${r.recipe.bits.replace(/[^0-9a-z]/gi, '')}.onnx`;
    const check = el('div', { id: 'compress-check', className: 'panel' }, el('h3', {}, 'Check in onnxruntime-web'), el('p', { id: 'compress-check-status' }, 'Running the file in Pare and in onnxruntime-web…'));
    const downloads = el('p', { id: 'compress-downloads' });
    const graphsAt = el('div', { id: 'compress-graphs-slot' });
    ui.results.replaceChildren(
      el('h3', {}, 'Result'),
      el('p', { id: 'compress-summary' }, summaryLine(r)),
      figuresTable(r),
      resourcesTable(r),
      solverLine(r),
      layersTables(r),
      graphsAt,
      check,
      downloads);
    graphs = null;
    let checked = null;
    try {
      // The exported file's graph (from the worker that opens it for the
      // check) goes beside the original's.
      checked = await runCheck(out.bytes, job, async (view) => {
        if (out.graph) await showGraphs(graphsAt, r, out.graph, view.graph);
      });
      renderCheck(check, checked);
    } catch (err) {
      if (job.cancelled) {
        check.querySelector('#compress-check-status').textContent = 'The check was cancelled: the file has not been run in onnxruntime-web.';
      } else {
        check.querySelector('#compress-check-status').textContent = `The check could not run: ${err.message}. The file is offered anyway; check it before you rely on it.`;
        check.classList.add('mismatch');
      }
    }
    last = { bytes: out.bytes, report: r, check: checked?.summary ?? null };
    const reportJSON = JSON.stringify({ tool: 'pare page', model: out.modelName, output: name, settings: out.request, ...r, check: checked?.summary ?? null }, null, 2);
    const fileURL = URL.createObjectURL(new Blob([out.bytes], { type: 'application/octet-stream' }));
    const reportURL = URL.createObjectURL(new Blob([reportJSON], { type: 'application/json' }));
    const reportName = name.replace(/\.onnx$/, '.report.json');
    downloads.replaceChildren(
      el('a', { id: 'compress-download', href: fileURL, download: name, className: 'button' }, `Download ${name}`), ' ',
      el('a', { id: 'compress-report', href: reportURL, download: reportName, className: 'button' }, `Download the report (${reportName})`), ' ',
      el('button', {
        id: 'compress-open', type: 'button', onclick: async () => {
          openingResult = true;
          try {
            await openModel([{ path: name, bytes: out.bytes.slice(0) }]);
          } finally {
            openingResult = false;
          }
        },
      }, 'Open it here'));
  }

  // showGraphs draws the graphs before and after into their place in the
  // result; a failure there is shown in place and stops nothing else.
  async function showGraphs(at, report, before, after) {
    try {
      graphs = compareGraphs(report, before, after);
      at.replaceChildren(graphs.section);
      await graphs.show();
    } catch (err) {
      at.replaceChildren(el('p', { className: 'mismatch' }, `The graphs could not be drawn: ${err.message}`));
    }
  }

  // runCheck evaluates the original and the exported file in Pare, and the
  // exported file in onnxruntime-web, on the same first images.
  async function runCheck(bytes, job, opened) {
    const d = o.data();
    const count = Math.min(d.count, CHECK_IMAGES);
    const status = ui.results.querySelector('#compress-check-status');
    const step = (what) => (done, total) => job.report({ done, total }, `Checking: ${what} ${formatExact(done)} of ${formatExact(total)} images`);
    const original = await (await worker()).request('evaluate', { start: 0, end: count, batch: 32 }, [], { onProgress: (p) => step('the original model in Pare,')(p.done, p.total) });
    if (job.cancelled) throw new Error('cancelled');
    const slot = await spareWorker();
    const view = await slot.request('openModel', { name: 'compressed.onnx' }, [{ path: 'compressed.onnx', bytes }]);
    slot.loaded = { ...slot.loaded, model: 'compressed-check' }; // the images stay open in it
    await opened(view);
    if (job.cancelled) throw new Error('cancelled');
    const pare = await slot.request('evaluate', { start: 0, end: count, batch: 32 }, [], { onProgress: (p) => step('the compressed file in Pare,')(p.done, p.total) });
    if (job.cancelled) throw new Error('cancelled');
    status.textContent = 'Loading onnxruntime-web…';
    const ort = await runInOrt({ bytes: new Uint8Array(bytes), slot, count, token: job, onProgress: step('the compressed file in onnxruntime-web,') });
    if (job.cancelled) throw new Error('cancelled');
    const cmp = compare(pare, ort);
    const classes = d.classes;
    return {
      cmp, ort, pare, original, classes,
      summary: {
        images: cmp.images, pare_accuracy: cmp.pareAccuracy, onnxruntime_web_accuracy: cmp.ortAccuracy,
        original_accuracy: summarize(original.pred, original.labels, classes).accuracy,
        differing_images: cmp.differ, onnxruntime_web_ms_per_image: ort.msPerImage,
      },
    };
  }

  function renderCheck(root, c) {
    const { cmp, ort } = c;
    const agree = cmp.images - cmp.differ.length;
    const before = summarize(c.original.pred, c.original.labels, c.classes);
    const after = summarize(c.pare.pred, c.pare.labels, c.classes);
    root.classList.toggle('mismatch', cmp.differ.length > 0);
    root.replaceChildren(
      el('h3', {}, 'Check in onnxruntime-web'),
      el('p', { id: 'compress-check-status', 'data-images': String(cmp.images), 'data-differ': String(cmp.differ.length),
        'data-pare': String(cmp.pareAccuracy), 'data-ort': String(cmp.ortAccuracy) },
        `On the first ${formatExact(cmp.images)} images: Pare ${pct(cmp.pareAccuracy)}, onnxruntime-web ${pct(cmp.ortAccuracy)} ` +
        `(the original model: ${pct(before.accuracy)}). ` +
        (cmp.differ.length === 0
          ? `The two runtimes give the same answer on every image.`
          : `They disagree on ${formatExact(cmp.differ.length)} image${cmp.differ.length > 1 ? 's' : ''} (agree on ${formatExact(agree)}): ${cmp.differ.slice(0, 20).join(', ')}${cmp.differ.length > 20 ? ', …' : ''}.`) +
        ` onnxruntime-web took ${ort.msPerImage.toFixed(3)} ms per image here.`),
      el('div', { className: 'result-tables' },
        el('section', {},
          el('h3', {}, 'Per class, before and after'),
          el('table', { id: 'compress-per-class' },
            el('thead', {}, el('tr', {}, ['class', 'images', 'original', 'compressed'].map((h) => el('th', { scope: 'col' }, h)))),
            el('tbody', {}, before.perClass.filter((cl) => cl.count > 0).map((cl, i) =>
              el('tr', {}, el('th', { scope: 'row' }, cl.name), el('td', {}, formatExact(cl.count)), el('td', {}, pct(cl.accuracy)), el('td', {}, pct(after.perClass[i]?.accuracy))))))),
        c.classes.length <= 40 ? confusionMatrix(after.confusion, after.perClass.map((cl) => cl.name), 'compress-confusion', 'Confusion matrix of the compressed file') : null));
  }

  function figuresTable(r) {
    const rows = [['original', 'the model opened'], ['pruned', 'after pruning'], ['finetuned', 'after fine-tuning'], ['quantized', 'the exported file']];
    return el('table', { id: 'compress-accuracy' },
      el('caption', {}, `Validation accuracy on ${formatExact(r.val_images)} held-out images (trained on ${formatExact(r.train_images)})`),
      el('thead', {}, el('tr', {}, ['model', 'validation accuracy', 'file size'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows.filter(([k]) => r.accuracy?.[k]).map(([k, label]) =>
        el('tr', { 'data-model': k }, el('th', { scope: 'row' }, label), el('td', {}, pct(valOf(r, k))), el('td', {}, formatBytes(r.bytes?.[k]))))));
  }

  function resourcesTable(r) {
    return el('table', { id: 'compress-resources' },
      el('caption', {}, 'Resources (memory: float32 weights plus the peak of live activations, batch 1)'),
      el('thead', {}, el('tr', {}, ['resource', 'original', 'pruned', 'exported', 'budget', 'exported / original'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, Object.entries(RESOURCES).filter(([k]) => r.resources?.[k]).map(([k, label]) => {
        const c = r.resources[k];
        return el('tr', { 'data-resource': k }, el('th', { scope: 'row' }, label),
          ...[c.before, c.pruned, c.after, c.budget].map((v) => el('td', {}, v == null ? '–' : formatExact(Math.round(v)))),
          el('td', {}, `${(100 * c.after / c.before).toFixed(1)} %`));
      })));
  }

  function solverLine(r) {
    const s = r.solver;
    if (r.recipe?.prune === 'skipped') return el('p', { id: 'compress-solver' }, 'No pruning: quantized only (no budget); every channel is kept.');
    if (!s) return el('p', {}, 'Pruning was resumed from a stored stage.');
    return el('p', { id: 'compress-solver' }, `Channel selection: ${s.status}, objective ${s.objective.toPrecision(6)}, ` +
      `${s.gap == null ? 'no bound proven' : `gap ${(100 * s.gap).toFixed(2)} %`}, ${formatExact(s.nodes)} nodes, ${formatDuration(s.seconds)}; ` +
      `${s.frozen_groups} channel group${s.frozen_groups === 1 ? '' : 's'} frozen.`);
  }

  function layersTables(r) {
    const kept = r.solver?.kept ?? [];
    const layers = r.quantize?.layers ?? [];
    return el('div', { className: 'result-tables' },
      kept.length === 0 ? null : el('section', {}, el('h3', {}, 'Channels kept'),
        el('table', { id: 'compress-kept' },
          el('thead', {}, el('tr', {}, ['feature map', 'kept', 'of'].map((h) => el('th', { scope: 'col' }, h)))),
          el('tbody', {}, kept.map((k) => el('tr', {}, el('th', { scope: 'row' }, k.map), el('td', {}, formatExact(k.kept)), el('td', {}, formatExact(k.channels))))))),
      el('section', {}, el('h3', {}, 'Bits per layer (weights/activations)'),
        el('table', { id: 'compress-bits' },
          el('thead', {}, el('tr', {}, ['layer', 'op', 'bits'].map((h) => el('th', { scope: 'col' }, h)))),
          el('tbody', {}, layers.map((l) => el('tr', {}, el('th', { scope: 'row' }, l.node), el('td', {}, l.op), el('td', {}, l.bits === '32/32' ? 'float' : l.bits)))))));
  }

  // showStored tells the user about a stored, unfinished run of the open
  // model, images and settings, with the storage it takes.
  async function showStored() {
    if (!ui.resume || runner.busy) return;
    let key = null;
    let stored = null;
    try {
      key = await runKey();
      stored = key ? await loadRun(key) : null;
    } catch {
      stored = null;
    }
    storedFor = key;
    if (!stored || stored.after === 'evaluate') {
      ui.resume.hidden = true;
      if (!listFromRun) resetStages();
      return;
    }
    const use = await storageUse();
    const label = STAGES.find((s) => s.name === stored.after)?.label.toLowerCase();
    if (!listFromRun) {
      resetStages();
      for (const s of STAGES.slice(0, STAGES.findIndex((x) => x.name === stored.after) + 1)) setStage(s.name, ended(s.name, stored.report, 'restored'), stageFigures(s.name, stored.report));
    }
    ui.resume.replaceChildren(
      el('p', { id: 'compress-resume-text' },
        `An earlier compression of this model with these settings stopped after the ${label} stage (${new Date(stored.savedAt).toLocaleString()}). `,
        `Compress goes on from there. Kept in this browser: ${formatBytes(stored.bytes.byteLength)}` +
        (use ? `; this site stores ${formatBytes(use.usage)} of the ${formatBytes(use.quota)} the browser allows.` : '.')),
      el('p', {}, el('button', {
        id: 'compress-discard', type: 'button', onclick: async () => {
          try {
            await deleteRun(storedFor);
          } catch (err) {
            warn(`The stored stages could not be removed: ${err.message}`);
          }
          resetStages();
          await showStored();
        },
      }, 'Discard the stored stages')));
    ui.resume.hidden = false;
  }

  function dropStale() {
    if (shownFor == null || shownFor === o.resultsKey()) return;
    if (openingResult) {
      shownFor = o.resultsKey();
      return;
    }
    shownFor = null;
    ui.results.replaceChildren();
    ui.text.textContent = '';
    resetStages();
  }

  function update() {
    if (!ui.button) return;
    ui.button.disabled = !ready();
    ui.button.title = ui.button.disabled ? 'Open a model and labelled images first' : '';
    if (!runner.busy) showStored();
  }
  return { update, dropStale, get result() { return last; }, get graphs() { return graphs; } };
}

// The most points kept to replay into a live view opened mid-run (the
// view keeps its own, thinned past 100,000).
const MAX_REPLAY_POINTS = 20000;

// newLiveFeed turns the Compress progress messages' live part into the
// live view's messages (see liveview.js), remembering the latest masks and
// layers and the curves so far, so that a view opened during or after a
// run starts from them.
function newLiveFeed() {
  let view = null;
  let masks = null;
  let gap = null; // the solver's last proven gap
  const layers = new Map(); // name -> layer message, in arrival order
  let points = [];
  let base = 0; // the curves' x where this request's batches start
  let lastX = 0;
  const send = (msg) => view?.send(msg);
  return {
    async open(container) {
      if (view) return;
      // Loaded only by those who ask: the module, then the frame's wasm.
      const { LiveView } = await import('./liveview.js');
      view = new LiveView(container);
      view.show();
      if (masks) view.send(masks);
      for (const m of layers.values()) view.send(m);
      for (const m of points) view.send(m);
    },
    reset() {
      masks = null;
      gap = null;
      layers.clear();
      points = [];
      base = lastX = 0;
      send({ kind: 'reset' });
    },
    // nextStage: each stage is a request of its own, whose batches count
    // from 1; the curves go on from where the last stage ended.
    nextStage() {
      base = lastX;
    },
    feed(p) {
      const f = p.figures || {};
      if (p.stage === 'prune' && Number.isFinite(f.gap)) gap = f.gap;
      const l = p.live;
      const searching = p.stage === 'prune' && p.doing === 'solve';
      const status = () => {
        const state = searching ? 'searching' : 'selected';
        return gap == null ? state : `${state}, gap ${(100 * gap).toFixed(2)} %`;
      };
      if (p.stage === 'prune' && p.doing === 'skip') {
        masks = { kind: 'masks', status: 'no pruning: quantize only', masks: [] };
        send(masks);
      } else if (l?.masks) {
        masks = { kind: 'masks', status: status(), masks: l.masks.map((m) => ({ name: m.name, kept: m.mask })) };
        send(masks);
      } else if (masks?.masks.length > 0 && p.stage === 'prune' && masks.status !== status()) {
        // The search ended on the masks already shown (they go only when
        // they change): its final gap and state.
        masks = { ...masks, status: status() };
        send(masks);
      }
      if (!l) return;
      for (const layer of l.layers || []) {
        const msg = { kind: 'layer', layer };
        layers.set(layer.name, msg);
        send(msg);
      }
      if (l.point) {
        lastX = base + l.point.step;
        for (const [series, y] of [['loss', l.point.loss], ['accuracy', l.point.accuracy]]) {
          const msg = { kind: 'point', series, x: lastX, y };
          points.push(msg);
          send(msg);
        }
        if (points.length > MAX_REPLAY_POINTS) points = points.filter((_, i) => i % 4 < 2); // every other pair
      }
    },
  };
}
