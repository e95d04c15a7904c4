// The model summary panel: producer, opsets, inputs and outputs, totals of
// MACs, parameters, activation memory, and the file size.
import { el, formatCount, formatExact, formatBytes } from './format.js';

export function renderSummary(root, s) {
  const value = (v) => `${v.name}: ${v.type} [${(v.shape || ['?']).join(', ')}]`;
  root.replaceChildren(...[
    el('h2', { title: s.fileName }, s.fileName),
    el('dl', { className: 'totals', id: 'totals' },
      el('dt', {}, 'MACs'), el('dd', { id: 'total-macs', title: formatExact(s.macs), 'data-value': String(s.macs) }, formatCount(s.macs)),
      el('dt', {}, 'parameters'), el('dd', { id: 'total-params', title: formatExact(s.params), 'data-value': String(s.params) }, formatCount(s.params)),
      el('dt', {}, 'activations'), el('dd', { id: 'total-act', 'data-value': String(s.activationBytes) }, formatBytes(s.activationBytes)),
      el('dt', {}, 'file size'), el('dd', { id: 'file-size' }, formatBytes(s.fileBytes))),
    el('p', { className: 'hint' }, `Costs for one input of shape [${(s.inputShape || []).join(', ')}].`),
    s.costError ? el('p', { className: 'warn' }, s.costError) : null,
    s.unsupported ? el('div', { className: 'warn', id: 'unsupported' },
      el('strong', {}, 'Cannot run here. '), s.unsupported.message,
      el('ul', {}, ...(s.unsupported.details || []).map((d) => el('li', { className: 'port' }, d)))) : null,
    el('h3', {}, 'Model'),
    el('dl', {},
      el('dt', {}, 'producer'), el('dd', {}, [s.producer, s.producerVersion].filter(Boolean).join(' ') || '–'),
      el('dt', {}, 'IR version'), el('dd', {}, String(s.irVersion)),
      el('dt', {}, 'opsets'), el('dd', {}, (s.opsets || []).map((o) => `${o.domain} ${o.version}`).join(', ') || '–'),
      el('dt', {}, 'nodes'), el('dd', {}, String(s.nodes))),
    el('h3', {}, 'Inputs'),
    el('ul', { className: 'values' }, ...(s.inputs || []).map((v) => el('li', { className: 'port' }, value(v)))),
    el('h3', {}, 'Outputs'),
    el('ul', { className: 'values' }, ...(s.outputs || []).map((v) => el('li', { className: 'port' }, value(v)))),
  ].filter(Boolean));
}
