// The node sidebar: type, name, attributes, inputs and outputs with shapes,
// the node's MACs, parameters and activation memory, and a histogram of
// each weight tensor. Escape or × closes it.
//
// Focus follows the sidebar, as with a dialog: opening it moves focus to
// its title (so a screen reader reads the node), and closing it returns
// focus to where it was when the sidebar opened (the graph node), so a
// keyboard user goes on from there.
import { el, formatCount, formatExact, formatBytes, formatShape } from './format.js';
import { categoryOf, categoryNames } from './categories.js';

const SVG = 'http://www.w3.org/2000/svg';

export class Sidebar {
  constructor(root, body, { loadHistograms, onClose }) {
    this.root = root;
    this.body = body;
    this.loadHistograms = loadHistograms;
    this.onClose = onClose;
    this.seq = 0;
    this.returnFocus = null;
  }

  get open() { return !this.root.hidden; }

  show(node) {
    const seq = ++this.seq;
    // Focus goes back to where the user was when these details opened: a
    // graph node, or the find box when they came from a search.
    if (this.root.hidden || !this.root.contains(document.activeElement)) this.returnFocus = document.activeElement;
    const ports = (list) => el('dl', {}, ...(list || []).flatMap((p) => [
      el('dt', {}, p.weight ? 'weight' : 'value'),
      el('dd', { className: 'port' }, `${p.name || '(none)'}${p.shape ? ` ⟨${formatShape(p.shape)}⟩` : ''}${p.type ? ` ${p.type}` : ''}`),
    ]));
    const histograms = el('div', { className: 'histograms' }, node.hasWeights ? 'Reading weights…' : 'No weights.');
    this.body.replaceChildren(...[
      el('h2', { id: 'sidebar-title', tabindex: '-1' }, node.kind === 'op' ? node.op : `${node.op}: ${node.name}`),
      el('dl', {},
        el('dt', {}, 'name'), el('dd', {}, node.name || '(unnamed)'),
        el('dt', {}, 'category'), el('dd', {}, categoryNames[categoryOf(node)]),
        node.domain ? [el('dt', {}, 'domain'), el('dd', {}, node.domain)] : null),
      el('h3', {}, 'Metrics'),
      el('dl', { className: 'metrics' },
        el('dt', {}, 'MACs'), el('dd', {}, exactAndCompact(node.macs, formatExact(node.macs), formatCount(node.macs))),
        el('dt', {}, 'parameters'), el('dd', {}, exactAndCompact(node.params, formatExact(node.params), formatCount(node.params))),
        el('dt', {}, 'activation memory'), el('dd', {}, exactAndCompact(node.actBytes, `${formatExact(node.actBytes)} B`, formatBytes(node.actBytes)))),
      node.attributes?.length ? [el('h3', {}, 'Attributes'), el('dl', {}, ...node.attributes.flatMap((a) => [el('dt', {}, a.name), el('dd', { className: 'port' }, a.value)]))] : null,
      node.inputs?.length ? [el('h3', {}, 'Inputs'), ports(node.inputs)] : null,
      node.outputs?.length ? [el('h3', {}, 'Outputs'), ports(node.outputs)] : null,
      el('h3', {}, 'Weights'),
      histograms,
    ].flat().filter(Boolean));
    this.root.hidden = false;
    this.root.setAttribute('aria-labelledby', 'sidebar-title');
    this.body.querySelector('#sidebar-title').focus({ preventScroll: true });
    if (node.hasWeights) {
      this.loadHistograms(node.id).then((list) => {
        if (seq !== this.seq) return;
        histograms.replaceChildren(...list.map(histogramFigure));
        if (list.length === 0) histograms.textContent = 'No weights.';
      }, (err) => {
        if (seq === this.seq) histograms.textContent = `Cannot read the weights: ${err.message}`;
      });
    }
  }

  close() {
    if (this.root.hidden) return;
    const hadFocus = this.root.contains(document.activeElement);
    this.root.hidden = true;
    this.seq++;
    this.onClose?.();
    const back = this.returnFocus;
    this.returnFocus = null;
    if (hadFocus && back?.isConnected) back.focus({ preventScroll: true });
  }
}

// exactAndCompact shows a figure exactly (as pare info prints it) and,
// when they differ, compactly beside it.
function exactAndCompact(v, exact, compact) {
  if (v == null) return '–';
  return compact && compact !== exact && v >= 1000 ? [exact, el('span', { className: 'muted' }, ` (${compact})`)] : exact;
}

// histogramFigure draws one weight histogram as SVG bars with its range
// and statistics.
function histogramFigure(h) {
  const figure = el('figure', { className: 'hist-figure' });
  const w = 320;
  const hgt = 90;
  const chart = document.createElementNS(SVG, 'svg');
  chart.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  chart.setAttribute('class', 'hist');
  chart.setAttribute('role', 'img');
  chart.setAttribute('aria-label', `histogram of ${h.name}: ${h.count} values from ${h.min.toPrecision(3)} to ${h.max.toPrecision(3)}`);
  const peak = Math.max(1, ...h.counts);
  const bw = w / h.counts.length;
  h.counts.forEach((c, i) => {
    if (c === 0) return;
    const bh = Math.max(1, (c / peak) * (hgt - 2));
    const r = document.createElementNS(SVG, 'rect');
    r.setAttribute('x', i * bw);
    r.setAttribute('y', hgt - bh);
    r.setAttribute('width', Math.max(0.5, bw - 0.6));
    r.setAttribute('height', bh);
    chart.append(r);
  });
  figure.append(
    el('figcaption', { className: 'port' }, `${h.name} ⟨${formatShape(h.shape)}⟩`),
    chart,
    el('div', { className: 'hist-caption' }, `min ${h.min.toPrecision(3)} · max ${h.max.toPrecision(3)} · mean ${h.mean.toPrecision(3)} · std ${h.std.toPrecision(3)} · ${formatExact(h.count)} values, ${formatExact(h.zeros)} zero`),
  );
  return figure;
}
