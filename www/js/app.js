// The page's controller: wires the toolbar, drag-and-drop, the worker
// pool, the graph, the sidebar and the evaluation view together. All
// computing happens in workers; this thread only draws.
import { WorkerPool } from './pool.js';
import { fromInput, fromDrop, isModel, checkLimits, readAll, fetchFiles } from './files.js';
import { GraphView } from './graph-view.js';
import { NodeFinder } from './find.js';
import { Sidebar } from './sidebar.js';
import { renderSummary } from './summary.js';
import { runEvaluation, summarize, renderResults, renderThumbnails } from './evaluate.js';
import { showError, showWarning, clearBanner, setStatus } from './banner.js';
import { el, formatDuration, formatETA, formatExact } from './format.js';
import { roving } from './roving.js';
import { JobRunner } from './job.js';
import { Stages } from './stages.js';
import { addFinetuneStage } from './finetune.js';
import { addPruneStage } from './prune.js';
import { addCompressStage } from './compress.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const pool = new WorkerPool({
  max: Number(params.get('workers')) || navigator.hardwareConcurrency || 2,
  simd: params.get('simd') || 'auto',
});

// What the workers should hold. Each worker slot records what it holds in
// slot.loaded, and prepare() brings it up to date before it evaluates.
const state = {
  model: null, // {key, files, view}
  data: null, // {key, files, view, demo}: demo when the demo opened it
  preprocess: null, // the preprocessing the user settled on
  resultsFor: null, // the (model, data, preprocessing) the shown results belong to
  opening: 0, // opens queued or under way
  pending: 0, // actions under way (body[aria-busy] while any)
};
let keys = 0;

// One long job at a time (evaluation; the stages to come use the same
// runner): busy state, Cancel, progress and announcements.
const runner = new JobRunner({
  progress: $('progress'), text: $('eta'), cancel: $('cancel'), live: $('announce'),
  onChange: () => updateEvaluateButton(),
});
Object.defineProperty(state, 'busy', { get: () => runner.busy, enumerable: true }); // a job is running

// The workspace's stage tabs; Graph and Evaluate are in the page, later
// stages add themselves with stages.addStage.
const stages = new Stages($('tabs'), $('workspace'), (name) => {
  if (name !== 'graph') sidebar.close();
  else graphView.fitIfUnsized();
});
stages.adopt('graph', $('tab-graph'), $('view-graph'));
stages.adopt('evaluate', $('tab-evaluate'), $('view-evaluate'));
const finetune = addFinetuneStage({
  stages,
  runner,
  ready: () => canRun(),
  worker: (i = 0) => prepare(i),
  images: () => state.data?.view?.count ?? 0,
  cancelAll: () => pool.cancelAll(),
  guard: (what, action) => guard(what, action),
  // The tuned model is the current one's successor: it keeps the data
  // open (the demo's images too), to be evaluated on the same images.
  openModel: (files) => exclusive(() => openModel(files, undefined, { derived: true })),
  modelName: () => state.model?.name || 'model.onnx',
  resultsKey: () => resultsKey(),
});
// Pruning needs only the model: its importance is the weights' L1 norm.
const prune = addPruneStage({
  stages,
  runner,
  ready: () => !!(state.model && !state.busy && !state.opening),
  summary: () => state.model?.view.summary || null,
  worker: () => prepare(0, undefined, { dataToo: false }),
  cancelAll: () => pool.cancelAll(),
  guard: (what, action) => guard(what, action),
  // The pruned model keeps the open data, so Evaluate measures it on the
  // same images.
  openModel: (files) => exclusive(() => openModel(files, undefined, { derived: true })),
  modelName: () => state.model?.name || 'model.onnx',
  modelKey: () => state.model?.key ?? null,
});

// Compressing needs the model and labelled images: it fine-tunes and
// quantizes on them. Its onnxruntime-web check runs the exported file in
// a second worker, so the first keeps the open model.
const compressStage = addCompressStage({
  stages,
  runner,
  ready: () => canRun(),
  worker: () => prepare(0),
  spareWorker: () => prepare(Math.min(1, pool.size - 1)),
  cancelAll: () => pool.cancelAll(),
  guard: (what, action) => guard(what, action),
  warn: (text) => showWarning(new Error(text)),
  openModel: (files) => exclusive(() => openModel(files, undefined, { derived: true })),
  model: () => state.model,
  data: () => (state.data?.view ? { files: state.data.files, count: state.data.view.count, classes: state.data.view.classes } : null),
  preprocess: () => state.preprocess,
  latencyModel: () => prune.calibration?.model ?? null,
  workerAt: (i) => prepare(i),
  images: () => state.data?.view?.count ?? 0,
  resultsKey: () => resultsKey(),
});

const graphView = new GraphView($('graph'), $('legend'), {
  onSelect: (node) => (node ? sidebar.show(node) : sidebar.close()),
});
const finder = new NodeFinder($('find'), $('find-results'), $('find-status'), {
  nodes: () => graphView.graph?.nodes,
  choose: (id) => {
    graphView.select(id);
    graphView.scrollIntoView(id);
  },
});
const sidebar = new Sidebar($('sidebar'), $('sidebar-body'), {
  loadHistograms: async (id) => (await primary()).request('histogram', { node: id }),
  onClose: () => graphView.clearSelection(),
});

async function primary() {
  const slot = await pool.slot(0);
  return prepare(0, slot, { dataToo: false });
}

// prepare loads the current model (and data, with the current
// preprocessing) into worker i if it does not hold them yet.
async function prepare(i, slot, { dataToo = true } = {}) {
  slot = slot || (await pool.slot(i));
  if (state.model && slot.loaded.model !== state.model.key) {
    await slot.request('openModel', { name: state.model.name }, state.model.files);
    slot.loaded = { model: state.model.key };
  }
  if (dataToo && state.data) {
    const preKey = JSON.stringify(state.preprocess);
    if (slot.loaded.data !== state.data.key || slot.loaded.preprocess !== preKey) {
      await slot.request('openData', { preprocess: state.preprocess }, state.data.files);
      slot.loaded.data = state.data.key;
      slot.loaded.preprocess = preKey;
    }
  }
  return slot;
}

pool.onDeath = () => setStatus('A compute worker stopped; a fresh one starts with the next action.');

// --- opening things -------------------------------------------------------

// Opening a model or data changes what the workers hold, so opens run one
// at a time (a double click opens twice, in turn, never interleaved) and
// never under an evaluation: they cancel it and wait for it to end, or
// its remaining chunks would run on the new model.
let openQueue = Promise.resolve();
function exclusive(action) {
  state.opening++;
  trackPending(+1);
  updateEvaluateButton();
  const run = openQueue.then(async () => {
    runner.cancel();
    await runner.idle;
    return action();
  }).finally(() => {
    state.opening--;
    trackPending(-1);
    updateEvaluateButton();
  });
  openQueue = run.catch(() => {});
  return run;
}

async function openPicked(picked, { as } = {}) {
  if (picked.length === 0) return;
  const kind = as || (isModel(picked) ? 'model' : 'data');
  if (kind === 'model') {
    const files = await readAll(checkLimits(picked, 'model selection'));
    return openModel(files);
  }
  const visible = checkLimits(picked, 'folder or selection');
  setStatus(`Reading ${visible.length} files…`);
  const files = await readAll(visible, (d, t) => setStatus(`Reading files: ${d} of ${t}…`));
  return openData(files);
}

// resultsKey names what an evaluation result belongs to: the model, the
// data and the preprocessing. Change any one and the result is another's.
function resultsKey() {
  return JSON.stringify([state.model?.key ?? null, state.data?.key ?? null, state.data?.view ? state.preprocess : null]);
}

// dropStaleResults clears the shown accuracy once the model, the data or
// the preprocessing it was measured with has changed, and says why, so
// no figure stays on screen under a model it was not measured on.
function dropStaleResults() {
  finetune.dropStale();
  compressStage.dropStale();
  if (state.resultsFor == null || state.resultsFor === resultsKey()) return;
  state.resultsFor = null;
  $('results').replaceChildren();
  $('eta').textContent = state.data?.view ? 'The model, data or preprocessing changed since the last evaluation: Evaluate measures this combination.' : '';
}

// closeDemoData closes the demo's images when a model of the user's own
// opens: they belong to the demo model (and the models made from it), and
// checking them against another model only raises warnings about data
// the user never opened.
function closeDemoData() {
  if (!state.data?.demo) return false;
  state.data = null;
  renderData(null);
  return true;
}

async function openModel(files, name, { demo = false, derived = false } = {}) {
  await guard('Opening the model', async () => {
    const modelFile = files.find((f) => /\.onnx$/i.test(f.path)) || files[0];
    setStatus(`Opening ${modelFile.path}…`);
    const slot = await pool.slot(0);
    const view = await slot.request('openModel', { name: name || modelFile.path }, files);
    state.model = { key: ++keys, files, name: name || modelFile.path, view };
    slot.loaded = { model: state.model.key };
    state.preprocess = view.summary.preprocess || null;
    const closedDemo = !demo && !derived && closeDemoData();
    dropStaleResults();
    showWorkspace();
    renderSummary($('summary'), view.summary);
    sidebar.close();
    selectTab('graph');
    if (view.summary.unsupported) showWarning(view.summary.unsupported, 'Cannot evaluate:');
    setStatus(`Laying out ${view.graph.nodes.length} nodes…`);
    finder.reset();
    await graphView.show(view.graph);
    setStatus(closedDemo ? "The demo's images were closed with the demo model: open labelled images for this model (Open data)." : '');
    // The demo opens its own images next: checking the old ones against
    // the demo model would only warn about data about to be replaced.
    if (state.data && !demo) {
      try {
        await reopenData();
      } catch (err) {
        showError(err, 'The open images do not fit this model:');
      }
    }
    updateEvaluateButton();
  });
}

async function openData(files, { showEvaluate = true, demo = false } = {}) {
  await guard('Opening the data', async () => {
    setStatus('Reading the images…');
    const slot = await prepare(0, null, { dataToo: false });
    const view = await slot.request('openData', { preprocess: state.model ? state.preprocess : null }, files);
    state.data = { key: ++keys, files, view, demo };
    state.preprocess = view.preprocess;
    slot.loaded.data = state.data.key;
    slot.loaded.preprocess = JSON.stringify(state.preprocess);
    dropStaleResults();
    renderData(view);
    if (state.model && showEvaluate) selectTab('evaluate');
    setStatus('');
    updateEvaluateButton();
  });
}

// reopenData re-reads the data in worker 0 after the model or the
// preprocessing changed, to check them together.
async function reopenData() {
  const slot = await prepare(0, null, { dataToo: false });
  try {
    const view = await slot.request('openData', { preprocess: state.preprocess }, state.data.files);
    state.data.view = view;
    state.preprocess = view.preprocess;
    slot.loaded.data = state.data.key;
    slot.loaded.preprocess = JSON.stringify(state.preprocess);
    dropStaleResults();
    renderData(view);
  } catch (err) {
    slot.loaded.data = null;
    state.data.view = null;
    dropStaleResults();
    renderData(null);
    throw err;
  }
}

async function openDemo() {
  await guard('Loading the demo', async () => {
    setStatus('Loading the demo…');
    const response = await fetch('demo/demo.json');
    if (!response.ok) throw new Error('the demo is not installed here (run make serve, which prepares www/demo/)');
    const demo = await response.json();
    const [model] = await fetchFiles('demo/', [demo.model]);
    const data = await fetchFiles('demo/', demo.data);
    await openModel([model], undefined, { demo: true });
    if (!state.model) return;
    await openData(data, { showEvaluate: false, demo: true });
    setStatus('Demo loaded: the graph is below; the Evaluate tab measures its accuracy on 1,000 MNIST test images.');
  });
}

// guard runs an action, showing any failure in the banner; the page stays
// usable whatever happens.
async function guard(what, action) {
  clearBanner();
  trackPending(+1);
  try {
    await action();
  } catch (err) {
    setStatus('');
    showError(err, `${what} failed:`);
  } finally {
    trackPending(-1);
  }
}

// trackPending counts actions under way; body[aria-busy] tells assistive
// technology (and the tests) while any is.
function trackPending(delta) {
  state.pending += delta;
  if (state.pending > 0) document.body.setAttribute('aria-busy', 'true');
  else document.body.removeAttribute('aria-busy');
}

// --- views ----------------------------------------------------------------

function showWorkspace() {
  $('empty').hidden = true;
  $('workspace').hidden = false;
  stages.enable();
}

function selectTab(name) {
  stages.select(name);
}

function renderData(view) {
  const panel = $('data-panel');
  if (!view) {
    panel.replaceChildren(el('p', {}, 'No data open. Drop labelled images here, or use Open data.'));
    $('preprocess').replaceChildren();
    return;
  }
  panel.replaceChildren(
    el('h3', {}, 'Data'),
    el('p', { id: 'data-summary' }, `${view.count.toLocaleString('en-US')} images (${view.format}, ${view.imageShape}), ${view.classes.length} classes: ${view.classes.slice(0, 12).join(', ')}${view.classes.length > 12 ? ', …' : ''}`),
    ...(view.notes || []).map((n) => el('p', { className: 'hint' }, n)),
    ...(view.warnings || []).map((w) => el('p', { className: 'note' }, w)),
  );
  renderPreprocess(view.preprocess);
  if (view.warnings?.length) showWarning({ message: view.warnings.join(' ') }, 'These images differ from what the model takes:');
}

function renderPreprocess(p) {
  const form = $('preprocess');
  const num = (name, label, value, attrs = {}) => el('label', {}, label, el('input', { type: 'number', name, value: String(value ?? 0), min: '0', ...attrs }));
  const select = (name, label, options, value) => el('label', {}, label,
    el('select', { name }, ...options.map(([v, text]) => { const o = el('option', { value: String(v) }, text); o.selected = String(v) === String(value); return o; })));
  const list = (a) => (a && a.length ? a.join(', ') : '');
  form.replaceChildren(
    el('h3', { style: 'width:100%;margin:0' }, 'Preprocessing (defaults read from the model input)'),
    num('height', 'height', p.height, { max: '4096' }),
    num('width', 'width', p.width, { max: '4096' }),
    select('channels', 'channels', [[1, '1 (gray)'], [3, '3 (colour)'], [0, 'as the images']], p.channels),
    select('channelOrder', 'channel order', [['RGB', 'RGB'], ['BGR', 'BGR']], p.channelOrder || 'RGB'),
    select('layout', 'layout', [['NCHW', 'NCHW'], ['NHWC', 'NHWC']], p.layout || 'NCHW'),
    el('label', {}, 'scale (×pixel)', el('input', { type: 'text', name: 'scale', value: scaleText(p.scale), inputmode: 'decimal' })),
    el('label', {}, 'mean (per channel)', el('input', { type: 'text', name: 'mean', value: list(p.mean), placeholder: 'e.g. 0.485, 0.456, 0.406' })),
    el('label', {}, 'std (per channel)', el('input', { type: 'text', name: 'std', value: list(p.std), placeholder: 'e.g. 0.229, 0.224, 0.225' })),
    el('button', { type: 'submit' }, 'Apply'),
  );
}

function scaleText(s) {
  if (!s) return '1';
  const inv = 1 / s;
  return Math.abs(inv - Math.round(inv)) < 1e-4 && Math.round(inv) !== 1 ? `1/${Math.round(inv)}` : String(s);
}

function readPreprocessForm() {
  const f = new FormData($('preprocess'));
  const numbers = (s) => String(s || '').split(/[\s,]+/).filter(Boolean).map(Number);
  const scaleRaw = String(f.get('scale') || '1').trim();
  const m = scaleRaw.match(/^1\s*\/\s*([\d.]+)$/);
  const scale = m ? 1 / Number(m[1]) : Number(scaleRaw);
  const p = {
    height: Number(f.get('height')), width: Number(f.get('width')), channels: Number(f.get('channels')),
    channelOrder: f.get('channelOrder'), layout: f.get('layout'), scale, mean: numbers(f.get('mean')), std: numbers(f.get('std')),
  };
  for (const [k, v] of Object.entries(p)) {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`the preprocessing ${k} is not a number`);
  }
  if ([...p.mean, ...p.std].some((v) => !Number.isFinite(v))) throw new Error('mean and std must be numbers separated by commas');
  return p;
}

// canRun reports whether a model and images are open and nothing else
// runs: what Evaluate and the stages after it need.
function canRun() {
  return !!(state.model && state.data && state.data.view && !state.model.view.summary.unsupported && !state.busy && !state.opening);
}

function updateEvaluateButton() {
  const ok = canRun();
  finetune.update();
  prune.update();
  compressStage.update();
  $('evaluate').disabled = !ok;
  $('evaluate').title = !state.model ? 'Open a model first' : !state.data ? 'Open labelled images first' : '';
}

// --- evaluation -----------------------------------------------------------

async function evaluate() {
  if (state.busy || state.opening || $('evaluate').disabled) return;
  setStatus('');
  $('results').replaceChildren();
  state.resultsFor = resultsKey();
  let finished = false;
  await guard('Evaluation', () => runner.run({
    unit: 'images',
    start: `Evaluation started on ${formatExact(state.data.view.count)} images.`,
    work: async (job) => {
      job.onCancel(() => pool.cancelAll());
      job.say('Starting workers…');
      const total = state.data.view.count;
      const run = await runEvaluation({
        total,
        workers: Math.min(pool.size, Math.max(1, Math.ceil(total / 64))),
        prepare: (i) => prepare(i),
        token: job,
        onProgress: (done, all, eta, rate) => job.report({ done, total: all },
          `${formatExact(done)} / ${formatExact(all)} images` +
          (Number.isFinite(rate) && rate > 0 ? ` · ${formatExact(Math.round(rate))} images/s` : '') +
          ` · ${done < all ? formatETA(eta) : 'finishing…'}`),
      });
      const classes = state.data.view.classes;
      const summary = summarize(run.pred, run.labels, classes);
      renderResults($('results'), summary, run, total);
      $('eta').textContent = job.cancelled ? 'Cancelled.' : `Done: ${formatExact(summary.counted)} images in ${formatDuration(run.seconds)}.`;
      finished = true;
      if (summary.wrong.length) {
        const slot = await prepare(0);
        const r = await slot.request('thumbnails', { indices: summary.wrong.slice(0, 60) });
        renderThumbnails($('wrong'), r.value, r.blob, run.pred, run.labels, classes, summary.wrong.length);
      }
    },
    end: (_, { cancelled }) => {
      const shown = $('accuracy');
      if (cancelled) return `Evaluation cancelled.${shown ? ` ${shown.textContent} on the ${formatExact(Number(shown.dataset.total))} images evaluated.` : ''}`;
      return finished && shown ? `Evaluation done. ${shown.textContent}, ${formatExact(Number(shown.dataset.correct))} of ${formatExact(Number(shown.dataset.total))} images right.`
        : 'Evaluation stopped: see the message at the top of the page.';
    },
  }));
  updateEvaluateButton();
  $('evaluate').focus();
}

// --- wiring ---------------------------------------------------------------

function pickInto(input, as) {
  input.value = '';
  input.onchange = () => guard(as === 'model' ? 'Opening the model' : 'Opening the data', () => exclusive(() => openPicked(fromInput(input), { as })));
  input.click();
}

$('open-model').onclick = () => pickInto($('model-input'), 'model');
$('empty-open').onclick = () => pickInto($('model-input'), 'model');
$('open-data').onclick = () => pickInto($('data-input'), 'data');
$('open-data-folder').onclick = () => pickInto($('folder-input'), 'data');
$('try-demo').onclick = () => exclusive(openDemo);
$('empty-demo').onclick = () => exclusive(openDemo);
// Arrow keys, Home and End move along the toolbar and the tab list (each
// is one Tab stop); in the tab list, moving selects (the views switch at
// once).
const toolbarButtons = () => [...$('main-toolbar').querySelectorAll('button')];
roving($('main-toolbar'), { items: toolbarButtons });
$('evaluate').onclick = evaluate;
$('banner-close').onclick = clearBanner;
$('sidebar-close').onclick = () => sidebar.close();
$('metric').onchange = (e) => graphView.setMetric(e.target.value);
$('zoom-fit').onclick = () => graphView.fit();
$('zoom-in').onclick = () => graphView.zoomBy(1.25);
$('zoom-out').onclick = () => graphView.zoomBy(0.8);
$('preprocess').onsubmit = (e) => {
  e.preventDefault();
  guard('Changing the preprocessing', () => exclusive(async () => {
    state.preprocess = readPreprocessForm();
    await reopenData();
  }));
};

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') {
    if (sidebar.open) sidebar.close();
    else if (runner.busy) runner.cancel();
    else clearBanner();
  } else if ((e.ctrlKey || e.metaKey) && e.key === 'o') {
    e.preventDefault();
    pickInto($('model-input'), 'model');
  } else if (state.model && ((e.ctrlKey || e.metaKey) && e.key === 'f' || e.key === '/' && $('graph').contains(document.activeElement))) {
    // Find a node, as in Netron (the browser's own find cannot see nodes
    // that are not drawn).
    e.preventDefault();
    selectTab('graph');
    finder.focus();
  }
});

// Drop anywhere: a model if an .onnx is among the files, data otherwise.
let dragDepth = 0;
window.addEventListener('dragenter', (e) => {
  if (!e.dataTransfer?.types.includes('Files')) return;
  dragDepth++;
  $('drop-overlay').hidden = false;
});
window.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) $('drop-overlay').hidden = true;
});
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  $('drop-overlay').hidden = true;
  // The drop's file list must be read now: the browser empties it once
  // this handler returns.
  const picked = fromDrop(e.dataTransfer);
  guard('Opening the dropped files', async () => {
    const files = await picked;
    return exclusive(() => openPicked(files));
  });
});

// Theme: follows the system until the user picks one.
function applyTheme(theme) {
  if (theme) document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}
applyTheme(localStorage.getItem('pare-theme'));
$('theme').onclick = () => {
  const dark = document.documentElement.dataset.theme
    ? document.documentElement.dataset.theme === 'dark'
    : matchMedia('(prefers-color-scheme: dark)').matches;
  const next = dark ? 'light' : 'dark';
  localStorage.setItem('pare-theme', next);
  applyTheme(next);
};

// Offline: the service worker caches the app after one visit.
if ('serviceWorker' in navigator && params.get('sw') !== 'off') {
  navigator.serviceWorker.register('sw.js').then(() => {
    $('offline-state').textContent = 'Available offline after this visit.';
  }, () => {
    $('offline-state').textContent = 'Offline use is not available here.';
  });
}
window.addEventListener('unhandledrejection', (e) => {
  e.preventDefault();
  showError(e.reason, 'Unexpected problem:');
});

// Start the first worker early so the first model opens quickly.
pool.slot(0).catch((err) => showError(err, 'Cannot start Pare:'));
window.pare = { state, pool, graphView, finder, runner, stages, prune, compress: compressStage }; // for the browser tests and the curious
