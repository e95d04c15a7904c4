// The model summary panel: totals of MACs, parameters and activation
// memory for one input (compact, with the exact figure `pare info` prints
// beneath), file size, then producer, opsets, inputs and outputs.
import { el, formatCount, formatExact, formatBytes } from './format.js';

// What each total means, shown on hover and read by screen readers.
const meaning = {
  macs: 'Multiply-accumulates to classify one input: the usual measure of a CNN\'s compute (FLOPs are about twice this).',
  params: 'Numbers in the weight tensors (initializers) the nodes use.',
  act: 'Bytes of every node\'s output added up, for one input.',
  peak: 'The most activation memory alive at once while one input runs: what running it needs per image.',
  file: 'Size of the .onnx file.',
};

export function renderSummary(root, s) {
  const value = (v) => `${v.name}: ${v.type} [${(v.shape || ['?']).join(', ')}]`;
  const total = (id, label, title, compact, exact, raw) => [
    el('dt', { title }, label),
    el('dd', { id, title, 'data-value': String(raw) }, el('span', { className: 'compact' }, compact),
      exact && exact !== compact ? el('span', { className: 'exact' }, exact) : null),
  ];
  root.replaceChildren(...[
    el('h2', { title: s.fileName }, s.fileName),
    el('dl', { className: 'totals', id: 'totals' },
      total('total-macs', 'MACs', meaning.macs, formatCount(s.macs), formatExact(s.macs), s.macs),
      total('total-params', 'parameters', meaning.params, formatCount(s.params), formatExact(s.params), s.params),
      total('total-act', 'activations', meaning.act, formatBytes(s.activationBytes), `${formatExact(s.activationBytes)} B`, s.activationBytes),
      s.peakActivationBytes ? total('peak-act', 'peak memory', meaning.peak, formatBytes(s.peakActivationBytes), `${formatExact(s.peakActivationBytes)} B`, s.peakActivationBytes) : null,
      total('file-size', 'file size', meaning.file, formatBytes(s.fileBytes), null, s.fileBytes)),
    el('p', { className: 'hint' }, `For one input of shape [${(s.inputShape || []).join(', ')}]; hover a figure for what it means.`),
    s.costError ? el('p', { className: 'warn' }, s.costError) : null,
    ...(s.warnings || []).map((w) => el('p', { className: 'warn version-warning' }, `Note: ${w}.`)),
    s.unsupported ? el('div', { className: 'warn', id: 'unsupported' },
      el('strong', {}, 'Cannot run here. '), s.unsupported.message,
      el('ul', {}, (s.unsupported.details || []).map((d) => el('li', { className: 'port' }, d)))) : null,
    el('h3', {}, 'Model'),
    el('dl', {},
      el('dt', {}, 'producer'), el('dd', {}, [s.producer, s.producerVersion].filter(Boolean).join(' ') || '–'),
      el('dt', {}, 'IR version'), el('dd', {}, String(s.irVersion ?? '–')),
      el('dt', {}, 'opsets'), el('dd', {}, (s.opsets || []).map((o) => `${o.domain} ${o.version}`).join(', ') || '–'),
      el('dt', {}, 'nodes'), el('dd', {}, formatExact(s.nodes))),
    el('h3', {}, 'Inputs'),
    el('ul', { className: 'values' }, (s.inputs || []).map((v) => el('li', { className: 'port' }, value(v)))),
    el('h3', {}, 'Outputs'),
    el('ul', { className: 'values' }, (s.outputs || []).map((v) => el('li', { className: 'port' }, value(v)))),
  ].filter(Boolean));
}
