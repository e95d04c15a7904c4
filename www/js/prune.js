// The Prune stage: pare prune's defaults (the exact QCQP solver, L1
// importance, removed channels folded into the next biases) on the open
// model, in a worker (wasm/prune.go steps qcqp's Solver and yields between
// steps). The budget is one resource — MACs, parameters or memory — as a
// share of the open model's figure or an absolute figure. While the
// solver works, its incumbent, proven bound, gap and per-layer kept
// channels update, and the live view (loaded only when asked for) draws
// the masks. The pruned model can be downloaded, or opened here so that
// the Evaluate tab measures it.
import { el, formatExact } from './format.js';

const resources = {
  macs: { label: 'MACs', unit: 'MACs', of: (s) => s.macs },
  params: { label: 'Parameters', unit: 'parameters', of: (s) => s.params },
  // As qcqp.Measure counts it: float32 weights plus the activation peak.
  memory: { label: 'Memory', unit: 'bytes', of: (s) => 4 * s.params + s.peakActivationBytes },
  // The latency model measured here (Calibrate): its prediction of the
  // unpruned model, in milliseconds.
  latency: { label: 'Latency (onnxruntime-web, this browser)', unit: 'ms', of: () => (calibration ? 1e3 * calibration.predictedFull : 0) },
};
let calibration = null; // the latency request's result for calibratedFor
let calibratedFor = null; // the model key it was measured on

/**
 * addPruneStage adds the stage's tab and panel.
 * @param {object} o
 * @param {import('./stages.js').Stages} o.stages
 * @param {import('./job.js').JobRunner} o.runner
 * @param {() => boolean} o.ready whether a model is open and nothing else runs
 * @param {() => object|null} o.summary the open model's summary (its costs)
 * @param {() => Promise<object>} o.worker a worker slot holding the open model
 * @param {() => void} o.cancelAll stops the workers' requests
 * @param {(what: string, action: () => Promise<void>) => Promise<void>} o.guard shows failures
 * @param {(files: {path: string, bytes: ArrayBuffer}[]) => Promise<void>} o.openModel opens a model as the current one
 * @param {() => string} o.modelName the open model's file name
 * @param {() => any} o.modelKey identifies the open model (its figures are cleared when it changes)
 * @returns {{update: () => void, pruned: Blob|null}} pruned is what Download saves
 */
export function addPruneStage({ stages, runner, ready, summary, worker, cancelAll, guard, openModel, modelName, modelKey }) {
  let button, resource, mode, slider, number, target, progress, text, cancel, figures, maps, results, viewButton, viewBox;
  let latencyBox, calibrateButton, latencyStatus, minKeep;
  let liveView = null;
  let lastMasks = null;
  let pruned = null; // the Blob the Download link saves
  let shownFor = null; // the model key the shown figures belong to
  let adopting = false; // the pruned model is being opened: its result stays
  stages.addStage({
    name: 'prune',
    label: 'Prune',
    title: 'Remove channels from the open model to meet a budget',
    build: (panel) => {
      resource = el('select', { id: 'prune-resource', 'aria-label': 'Resource to budget' },
        ...Object.entries(resources).map(([v, r]) => el('option', { value: v }, r.label)));
      mode = el('select', { id: 'prune-mode', 'aria-label': 'Budget as' },
        el('option', { value: 'fraction' }, '% of the model'), el('option', { value: 'absolute' }, 'absolute figure'));
      slider = el('input', { id: 'prune-slider', type: 'range', min: '1', max: '100', step: '1', value: '50', 'aria-label': 'Budget, percent of the model' });
      number = el('input', { id: 'prune-budget', type: 'number', min: '0', step: 'any', value: '50', 'aria-label': 'Budget' });
      target = el('span', { id: 'prune-target', className: 'hint' });
      minKeep = el('input', { id: 'prune-min-keep', type: 'number', min: '0', max: '100', step: '1', value: '', placeholder: '25', 'aria-describedby': 'prune-min-keep-hint' });
      button = el('button', { id: 'prune', type: 'button', className: 'primary', disabled: true }, 'Prune');
      progress = el('progress', { id: 'prune-progress', max: '1', value: '0', 'aria-label': 'Pruning progress', hidden: true });
      text = el('span', { id: 'prune-eta', className: 'eta' });
      cancel = el('button', { id: 'prune-cancel', type: 'button', hidden: true }, 'Cancel');
      figures = el('p', { id: 'prune-figures', 'aria-live': 'off' });
      maps = el('table', { id: 'prune-maps', className: 'prune-maps' });
      viewButton = el('button', { id: 'prune-show-view', type: 'button' }, 'Show the live view');
      viewBox = el('div', { id: 'prune-liveview', className: 'liveview' });
      results = el('div', { id: 'prune-results', className: 'results' });
      calibrateButton = el('button', { id: 'prune-calibrate', type: 'button' }, 'Calibrate in this browser');
      latencyStatus = el('p', { id: 'prune-latency-status' });
      latencyBox = el('div', { id: 'prune-latency', className: 'panel', hidden: true },
        el('h3', {}, 'Latency model'),
        el('p', {}, 'A latency budget needs to know how long this model takes here. Calibrate times each prunable layer alone in onnxruntime-web, in this browser, ',
          'at 16 combinations of its input and output channels, fits a + b·in + c·out + d·in·out per layer, ',
          'then times 20 randomly pruned copies of the network to show how far the fit is off before you rely on it.'),
        el('p', {}, calibrateButton), latencyStatus);
      calibrateButton.addEventListener('click', () => calibrate());
      panel.append(
        el('div', { className: 'panel' },
          el('h3', {}, 'Prune'),
          el('p', {}, 'Removes whole channels so that the model fits a budget, keeping the weights that matter most (their L1 norm): ',
            'an exact solver chooses how many channels each layer keeps and proves how close its choice is to the best possible (the gap). ',
            'No images are needed.'),
          el('p', { className: 'prune-budget' },
            el('label', {}, 'Budget ', resource), ' ', mode, ' ', slider, ' ', number, ' ', target),
          el('p', {},
            el('label', {}, 'Keep at least ', minKeep, ' % of every layer'), ' ',
            el('span', { id: 'prune-min-keep-hint', className: 'hint' },
              'Empty: 25 %, lowered as far as the budget needs (as pare prune does). The solver’s objective values small layers little; the floor keeps them from being cut so far that fine-tuning cannot recover. 0: any layer may fall to one channel (the paper’s problem).'))),
        latencyBox,
        el('div', { className: 'panel eval-run' }, button, cancel, progress, text),
        el('div', { className: 'panel' }, figures, maps, el('p', {}, viewButton), viewBox),
        results);
      button.addEventListener('click', () => run());
      slider.addEventListener('input', () => { number.value = slider.value; showTarget(); });
      number.addEventListener('input', () => {
        if (mode.value === 'fraction') slider.value = number.value;
        showTarget();
      });
      resource.addEventListener('change', () => setMode());
      mode.addEventListener('change', () => setMode());
      viewButton.addEventListener('click', async () => {
        viewButton.hidden = true;
        // Loaded only by those who ask: the module, then the frame's wasm.
        const { LiveView } = await import('./liveview.js');
        liveView = new LiveView(viewBox);
        liveView.show();
        if (lastMasks) liveView.send(lastMasks);
      });
    },
  });

  // setMode rewrites the number in the new unit, keeping the same cap.
  function setMode() {
    latencyBox.hidden = resource.value !== 'latency';
    refreshButtons();
    const full = fullFigure();
    if (mode.value === 'fraction') {
      number.max = '100';
      number.step = 'any';
      slider.hidden = false;
      number.value = slider.value;
    } else {
      number.removeAttribute('max');
      number.step = resource.value === 'latency' ? 'any' : '1';
      slider.hidden = true;
      const v = (Number(slider.value) / 100) * full;
      number.value = full ? String(resource.value === 'latency' ? Number(v.toPrecision(3)) : Math.round(v)) : '';
    }
    showTarget();
  }

  function fullFigure() {
    const s = summary();
    return s ? resources[resource.value].of(s) : 0;
  }

  // request is the budget as the prune request takes it.
  function request() {
    const v = Number(number.value);
    const model = resource.value === 'latency' && calibration ? { latencyModel: calibration.model } : {};
    const floor = minKeep.value.trim() === '' ? {} : { minKeep: Number(minKeep.value) / 100 };
    if (mode.value === 'fraction') return { resource: resource.value, fraction: v / 100, ...model, ...floor };
    return { resource: resource.value, value: resource.value === 'latency' ? v / 1000 : v, ...model, ...floor };
  }

  function showTarget() {
    const full = fullFigure();
    const v = Number(number.value);
    const unit = resources[resource.value].unit;
    if (!full || !Number.isFinite(v)) { target.textContent = ''; return; }
    const fig = (x) => (resource.value === 'latency' ? x.toPrecision(3) : formatExact(Math.round(x)));
    target.textContent = mode.value === 'fraction'
      ? `% = ${fig((v / 100) * full)} of ${fig(full)} ${unit}`
      : `${unit} (${((100 * v) / full).toFixed(1)} % of ${fig(full)})`;
  }

  async function run() {
    if (!ready()) return;
    results.replaceChildren();
    figures.textContent = '';
    maps.replaceChildren();
    liveView?.send({ kind: 'reset' });
    lastMasks = null;
    shownFor = modelKey();
    const from = modelName();
    let outcome = null;
    await guard('Pruning', () => runner.run({
      ui: { progress, text, cancel },
      start: 'Pruning started.',
      work: async (job) => {
        job.onCancel(cancelAll);
        job.say('Analysing the model…');
        const slot = await worker();
        const r = await slot.request('prune', request(), [], {
          onProgress: (p) => {
            job.report(p, describe(p));
            showFigures(p.figures || {}, p.maps || []);
          },
        });
        if (job.cancelled) return;
        outcome = { result: r.value, bytes: r.blob };
        render(outcome.result, outcome.bytes, from);
        text.textContent = `Done in ${outcome.result.seconds.toFixed(2)} s of search.`;
      },
      end: (_, { cancelled }) => {
        if (cancelled) return 'Pruning cancelled.';
        if (!outcome) return 'Pruning stopped: see the message at the top of the page.';
        return `Pruning done. ${summaryLine(outcome.result)}`;
      },
    }));
    update();
    button.focus();
  }

  // describe is the line beside the bar: the solver stage's own words
  // (qcqp.StageText, sent by the worker), and the nodes once the tree
  // has some (the stages before it search none).
  function describe(p) {
    const nodes = (p.figures || {}).nodes || 0;
    const what = p.doing || `Solver stage ${p.stage}`;
    return nodes > 0 ? `${what}: ${formatExact(nodes)} nodes` : `${what}…`;
  }

  const gapText = (g) => (g === null || g === undefined || !Number.isFinite(g) ? 'not proven yet' : `${(100 * g).toFixed(2)} %`);
  const num = (v) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toPrecision(6));

  // showFigures shows the solver's figures and the incumbent's kept
  // channels, and feeds the live view.
  function showFigures(f, list) {
    figures.replaceChildren(
      'Incumbent ', el('strong', { id: 'prune-incumbent' }, num(f.incumbent)),
      ' · bound ', el('strong', { id: 'prune-bound' }, num(f.bound)),
      ' · gap ', el('strong', { id: 'prune-gap' }, gapText(f.gap)),
      ' · ', el('span', { id: 'prune-nodes' }, formatExact(f.nodes || 0)), ' nodes');
    showMaps(list);
    if (list.length) {
      lastMasks = { kind: 'masks', status: `bound ${num(f.bound)}, gap ${gapText(f.gap)}`, masks: list.map((m) => ({ name: m.name, kept: m.mask })) };
      liveView?.send(lastMasks);
    }
  }

  function showMaps(list) {
    maps.replaceChildren(
      el('caption', {}, 'Channels kept per layer'),
      el('tr', {}, el('th', { scope: 'col' }, 'Feature map'), el('th', { scope: 'col' }, 'Kept'), el('th', { scope: 'col' }, 'Of')),
      ...list.map((m) => el('tr', {}, el('td', {}, m.name), el('td', {}, String(m.kept)), el('td', {}, String(m.channels)))));
  }

  function summaryLine(r) {
    if (r.latency) {
      const l = r.latency;
      const ms = (x) => `${(1e3 * x).toPrecision(3)} ms`;
      return `Latency predicted ${ms(l.predictedBefore)} → ${ms(l.predictedAfter)} (budget ${ms(r.budget)}), measured ${ms(l.measuredBefore)} → ${ms(l.measuredAfter)} in onnxruntime-web here; ` +
        `solver ${r.status}, gap ${gapText(r.gap)}.`;
    }
    const unit = resources[r.resource].unit;
    return `${resources[r.resource].label} ${formatExact(r.before[r.resource])} → ${formatExact(r.after[r.resource])} ${unit} ` +
      `(budget ${formatExact(Math.floor(r.budget))}); solver ${r.status}, gap ${gapText(r.gap)}.${floorLine(r)}`;
  }

  // floorLine says what share of its channels every layer had to keep.
  function floorLine(r) {
    return r.minKeep > 0 ? ` Every layer kept at least ${Math.round(100 * r.minKeep)} % of its channels.` : '';
  }

  function render(r, bytes, from) {
    const name = from.replace(/(\.onnx)?$/i, '-pruned.onnx');
    pruned = new Blob([bytes], { type: 'application/octet-stream' });
    const url = URL.createObjectURL(pruned);
    const row = (label, key) => el('tr', { 'data-resource': key }, el('th', { scope: 'row' }, label),
      el('td', {}, formatExact(r.before[key])), el('td', {}, formatExact(r.after[key])),
      el('td', {}, `${((100 * r.after[key]) / r.before[key]).toFixed(1)} %`));
    showFigures({ incumbent: r.objective, bound: r.bound, gap: r.gap, nodes: r.nodes }, r.maps);
    results.replaceChildren(
      el('h3', {}, `Result: ${from} pruned`),
      el('p', { id: 'prune-summary' }, summaryLine(r)),
      el('table', { id: 'prune-resources' },
        el('caption', {}, 'Re-measured on the pruned model'),
        el('tr', {}, el('th', {}, ''), el('th', { scope: 'col' }, 'Before'), el('th', { scope: 'col' }, 'After'), el('th', { scope: 'col' }, 'After / before')),
        row('MACs', 'macs'), row('Parameters', 'params'), row('Memory (bytes)', 'memory')),
      el('p', {}, `${r.frozen} channel groups are frozen (the network's input and output, and what cannot be followed); ${formatExact(r.modelBytes)} bytes.`),
      el('p', {},
        el('a', { id: 'prune-download', href: url, download: name, className: 'button' }, `Download ${name}`), ' ',
        el('button', {
          id: 'prune-evaluate', type: 'button',
          onclick: () => guard('Opening the pruned model', async () => {
            adopting = true;
            try {
              await openModel([{ path: name, bytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }]);
            } finally {
              adopting = false;
            }
            shownFor = modelKey();
            stages.select('evaluate');
          }),
        }, 'Evaluate the pruned model')),
    );
  }

  function update() {
    if (!button) return;
    // Figures belong to the model they were found on: another model
    // (the pruned one opened to evaluate, say) clears them.
    if (shownFor !== null && shownFor !== modelKey() && !runner.busy && !adopting) {
      shownFor = null;
      figures.textContent = '';
      maps.replaceChildren();
      results.replaceChildren(el('p', { id: 'prune-stale', className: 'hint' }, 'Another model is open: the last pruning result belonged to the model before it. Press Prune to prune this one.'));
      text.textContent = '';
      liveView?.send({ kind: 'reset' });
      lastMasks = null;
    }
    if (calibratedFor !== null && calibratedFor !== modelKey()) {
      calibration = null;
      calibratedFor = null;
      if (latencyStatus) showCalibration();
    }
    refreshButtons();
    if (mode.value === 'absolute' && !number.value) setMode();
    showTarget();
  }
  function refreshButtons() {
    const needsCalibration = resource.value === 'latency' && !calibration;
    button.disabled = !ready() || needsCalibration;
    button.title = !ready() ? 'Open a model first' : needsCalibration ? 'Calibrate the latency model first' : '';
    calibrateButton.disabled = !ready();
  }

  // calibrate measures the open model's latency model in onnxruntime-web
  // in a worker (wasm/latency.go), which keeps it for latency budgets.
  async function calibrate() {
    if (!ready()) return;
    const key = modelKey();
    let result = null;
    await guard('Calibrating', () => runner.run({
      ui: { progress, text, cancel },
      start: 'Latency calibration started.',
      work: async (job) => {
        job.onCancel(cancelAll);
        job.say('Loading onnxruntime-web…');
        const slot = await worker();
        const r = await slot.request('latency', {}, [], {
          onProgress: (p) => job.report({ done: 0, total: 0 }, `${p.message || 'Timing'} · ${formatExact(p.done)} timings`),
        });
        result = r;
      },
      end: (_, { cancelled }) => (cancelled ? 'Calibration cancelled.' : result ? `Calibration done: mean error ${result.meanPercentError.toFixed(1)} %.` : 'Calibration stopped: see the message at the top of the page.'),
    }));
    if (result && key === modelKey()) {
      calibration = result;
      calibratedFor = key;
      showCalibration();
      if (mode.value === 'absolute') setMode();
    }
    update();
  }

  function showCalibration() {
    const c = calibration;
    if (!c) {
      latencyStatus.textContent = 'Not measured yet for this model.';
      return;
    }
    const ms = (x) => `${(1e3 * x).toPrecision(3)} ms`;
    const url = URL.createObjectURL(new Blob([JSON.stringify(c.model, null, 2)], { type: 'application/json' }));
    const name = modelName().replace(/(\.onnx)?$/i, '.latency.json');
    latencyStatus.replaceChildren(
      el('span', { id: 'prune-latency-summary', 'data-mpe': String(c.meanPercentError) },
        `Measured in onnxruntime-web here: the whole network takes ${ms(c.fullSeconds)} (the fit predicts ${ms(c.predictedFull)}); ` +
        `mean error ${c.meanPercentError.toFixed(1)} % on ${c.networks.length} random pruned networks; ${formatExact(c.timings)} timings in ${c.seconds.toFixed(1)} s. `),
      el('a', { id: 'prune-latency-download', href: url, download: name }, `Download the latency model (${name}, read by pare prune --latency-model)`));
  }

  return { update, get pruned() { return pruned; }, get calibration() { return calibration; } };
}
