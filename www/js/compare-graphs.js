// The Compress result's graphs side by side: the model opened and the
// file the pipeline exported, each in the page's graph view, with what
// compression did written on the nodes: "32→16" on a layer whose output
// channels were pruned (from the report's kept channels), "W4/A4" on a
// layer quantized to 4-bit weights and activations (from the report's
// bits per layer). Selecting a node in one graph selects the node of the
// same name in the other, so a layer is easy to follow across.
import { el } from './format.js';
import { GraphView } from './graph-view.js';

// Layers whose output channels the solver chooses; the ones a residual
// Add ties to a reported map keep the same count, read from the shapes.
const CHANNEL_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/**
 * bitsLabel writes a layer's bits from the report ("w4a4"; "32/32" for a
 * layer kept in float) as "W4/A4"; null for float.
 */
export function bitsLabel(bits) {
  const m = /^w(\d+)a(\d+)$/i.exec(bits ?? '');
  return m ? `W${m[1]}/A${m[2]}` : null;
}

/**
 * annotations reads, from a compress report and the two graphs, what to
 * write on each node, by node name.
 * @returns {Map<string, {text: string, data: object}>}
 */
export function annotations(report, before, after) {
  const kept = new Map((report.solver?.kept ?? []).filter((k) => k.kept < k.channels).map((k) => [k.map, k]));
  const channels = new Map(); // node name -> {channels, kept}
  for (const node of before.nodes) {
    const k = node.kind === 'op' ? kept.get(node.outputs?.[0]?.name) : null;
    if (k) channels.set(node.name, { channels: k.channels, kept: k.kept });
  }
  // Layers sharing a map with a reported one (their output added to it)
  // are not in the report under their own name: their shapes tell.
  const outChannels = (node) => node.outputs?.[0]?.shape?.[1];
  const afterByName = new Map(after.nodes.filter((n) => n.kind === 'op').map((n) => [n.name, n]));
  for (const node of before.nodes) {
    if (node.kind !== 'op' || channels.has(node.name) || !CHANNEL_OPS.has(node.op)) continue;
    const was = outChannels(node);
    const now = outChannels(afterByName.get(node.name) ?? {});
    if (was > 0 && now > 0 && now < was) channels.set(node.name, { channels: was, kept: now });
  }
  const bits = new Map();
  for (const l of report.quantize?.layers ?? []) {
    const b = bitsLabel(l.bits);
    if (b) bits.set(l.node, b);
  }
  const out = new Map();
  for (const name of new Set([...channels.keys(), ...bits.keys()])) {
    const c = channels.get(name);
    const b = bits.get(name);
    const data = {};
    if (c) Object.assign(data, { channels: c.channels, kept: c.kept });
    if (b) data.bits = b;
    out.set(name, { text: [c ? `${c.channels}→${c.kept}` : '', b ?? ''].filter(Boolean).join(' · '), data });
  }
  return out;
}

/**
 * compareGraphs makes the section of the two graphs: {section, before,
 * after, notes, show}; show lays both out and draws them, once the section
 * is in the document (the views fit themselves to their size).
 */
export function compareGraphs(report, beforeGraph, afterGraph) {
  const notes = annotations(report, beforeGraph, afterGraph);
  const pane = (id, caption) => {
    const graph = el('div', { id, className: 'graph', tabindex: '0', 'aria-label': `${caption}: drag or scroll to pan, Ctrl+wheel or +/- to zoom, 0 to fit` });
    const legend = el('div', { className: 'legend', hidden: true });
    return { graph, legend, figure: el('figure', {}, el('figcaption', {}, caption), graph, legend) };
  };
  const left = pane('compress-graph-before', 'The model opened');
  const right = pane('compress-graph-after', 'The compressed file');
  let syncing = false;
  const follow = (other) => (node) => {
    if (syncing || !node) return;
    const id = other.graph?.nodes.findIndex((n) => n.name === node.name && n.kind === node.kind);
    if (id == null || id < 0) return;
    syncing = true;
    try {
      other.select(id);
      other.scrollIntoView(id);
    } finally {
      syncing = false;
    }
  };
  const views = {};
  const annotateBefore = (node) => {
    const n = node.kind === 'op' ? notes.get(node.name) : null;
    return n?.data.kept != null ? { text: `${n.data.channels}→${n.data.kept}`, data: { channels: n.data.channels, kept: n.data.kept } } : null;
  };
  const annotateAfter = (node) => (node.kind === 'op' ? notes.get(node.name) : null) ?? null;
  views.before = new GraphView(left.graph, left.legend, { onSelect: (n) => follow(views.after)(n), annotate: annotateBefore });
  views.after = new GraphView(right.graph, right.legend, { onSelect: (n) => follow(views.before)(n), annotate: annotateAfter });
  const pruned = [...notes.values()].filter((n) => n.data.kept != null).length;
  const quantized = [...notes.values()].filter((n) => n.data.bits).length;
  const section = el('section', { id: 'compress-graphs' },
    el('h3', {}, 'Graphs before and after'),
    el('p', {}, `On the nodes: output channels before→after on the ${pruned} pruned layer${pruned === 1 ? '' : 's'}, `,
      `and the bits of weights/activations (W/A) on the ${quantized} quantized one${quantized === 1 ? '' : 's'}. `,
      'Selecting a node in one graph selects it in the other; each graph pans and zooms on its own.'),
    el('div', { className: 'graph-pair' }, left.figure, right.figure));
  const show = () => Promise.all([views.before.show(beforeGraph), views.after.show(afterGraph)]);
  return { section, before: views.before, after: views.after, notes, show };
}
