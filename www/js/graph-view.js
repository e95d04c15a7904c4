// The graph view: the model's DAG in SVG, laid out in a worker, with pan
// (drag, arrow keys), zoom (wheel, +/-), fit (0), nodes coloured by category
// or by a per-node metric (a heatmap with a legend), and a selection the
// sidebar follows.
import { categoryOf, categoryNames } from './categories.js';
import { formatCount, formatBytes, formatShape, el } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const RAMP = ['#fff7bc', '#fec44f', '#fe9929', '#d95f0e', '#993404'];
const METRICS = {
  macs: { label: 'MACs', format: formatCount },
  params: { label: 'parameters', format: formatCount },
  actBytes: { label: 'activation memory', format: formatBytes },
};

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

// textWidth estimates rendered width without measuring (measuring 400
// nodes forces as many layouts); the font is 11px system-ui.
const textWidth = (s, px = 11) => s.length * px * 0.6;

/** rampColour maps t in [0,1] to the heatmap ramp. */
export function rampColour(t) {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const a = RAMP[i].match(/\w\w/g).map((h) => parseInt(h, 16));
  const b = RAMP[i + 1].match(/\w\w/g).map((h) => parseInt(h, 16));
  return `rgb(${a.map((v, k) => Math.round(v + (b[k] - v) * f)).join(',')})`;
}

export class GraphView {
  constructor(container, legend, { onSelect }) {
    this.container = container;
    this.legend = legend;
    this.onSelect = onSelect;
    this.metric = 'none';
    this.transform = { x: 0, y: 0, k: 1 };
    this.layoutWorker = null;
    this.seq = 0;
    this.installPanZoom();
  }

  /** show lays out and draws a model's graph (GraphView from the worker). */
  async show(graph) {
    this.graph = graph;
    this.selected = null;
    this.container.replaceChildren(el('div', { className: 'placeholder' }, `Laying out ${graph.nodes.length} nodes…`));
    const sizes = graph.nodes.map((node) => this.nodeSize(node));
    const result = await this.layout({
      nodes: graph.nodes.map((node, i) => ({ id: node.id, width: sizes[i].width, height: sizes[i].height })),
      edges: graph.edges.map((e) => ({ from: e.from, to: e.to })),
    });
    if (this.graph !== graph) return; // another model was opened meanwhile
    this.sizes = sizes;
    this.positions = result;
    this.draw();
    this.fit();
  }

  layout(input) {
    if (!this.layoutWorker) {
      this.layoutWorker = new Worker(new URL('./layout-worker.js', import.meta.url), { type: 'module', name: 'layout' });
    }
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.layoutWorker.onmessage = (e) => {
        if (e.data.seq !== this.seq) return;
        if (e.data.error) reject(new Error(`graph layout failed: ${e.data.error}`));
        else resolve(e.data.result);
      };
      this.layoutWorker.postMessage({ seq, graph: input });
    });
  }

  nodeSize(node) {
    const title = node.kind === 'op' ? node.op : node.name;
    const sub = this.subtitle(node);
    return { width: Math.max(56, textWidth(title) + 20, textWidth(sub, 9) + 16), height: 34 };
  }

  subtitle(node) {
    if (this.metric !== 'none' && node.kind === 'op') return METRICS[this.metric].format(node[this.metric]);
    if (node.kind === 'input') return formatShape(node.outputs?.[0]?.shape);
    if (node.kind === 'output') return formatShape(node.inputs?.[0]?.shape);
    const out = node.outputs?.[0]?.shape;
    return out ? formatShape(out) : '';
  }

  draw() {
    const { graph, positions } = this;
    const root = svg('svg', { role: 'img', 'aria-label': `Graph of ${graph.nodes.length} nodes` });
    this.viewport = svg('g', { class: 'viewport' });
    root.append(this.viewport);
    const edgeLayer = svg('g', { class: 'edges' });
    for (const e of positions.edges) edgeLayer.append(svg('path', { class: 'edge', d: edgePath(e.points), 'marker-end': 'url(#arrow)' }));
    const defs = svg('defs');
    const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '6', markerHeight: '6', orient: 'auto-start-reverse' });
    marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: 'var(--edge)' }));
    defs.append(marker);
    root.prepend(defs);
    this.viewport.append(edgeLayer);
    const nodeLayer = svg('g', { class: 'nodes' });
    this.nodeEls = [];
    graph.nodes.forEach((node, i) => {
      const p = positions.nodes[i];
      const { width, height } = this.sizes[i];
      const g = svg('g', { class: `node ${node.kind === 'op' ? '' : 'io'}`, transform: `translate(${p.x - width / 2},${p.y - height / 2})`, tabindex: '0', role: 'button', 'data-id': String(node.id) });
      g.setAttribute('aria-label', `${node.op} ${node.name}`);
      const rect = svg('rect', { width, height, rx: 4 });
      const title = svg('text', { x: width / 2, y: 14, 'text-anchor': 'middle' });
      title.textContent = node.kind === 'op' ? node.op : node.name;
      const sub = svg('text', { x: width / 2, y: 27, 'text-anchor': 'middle', class: 'sub' });
      sub.textContent = this.subtitle(node);
      const tip = svg('title');
      tip.textContent = `${node.name || node.op}\nMACs ${formatCount(node.macs)} · params ${formatCount(node.params)} · activations ${formatBytes(node.actBytes)}`;
      g.append(tip, rect, title, sub);
      nodeLayer.append(g);
      this.nodeEls.push({ g, rect, sub });
    });
    this.viewport.append(nodeLayer);
    nodeLayer.addEventListener('click', (e) => {
      const g = e.target.closest('.node');
      if (g) this.select(Number(g.dataset.id));
    });
    nodeLayer.addEventListener('keydown', (e) => {
      const g = e.target.closest('.node');
      if (g && (e.key === 'Enter' || e.key === ' ')) {
        e.preventDefault();
        this.select(Number(g.dataset.id));
      }
    });
    this.container.replaceChildren(root);
    this.svgRoot = root;
    this.paint();
    this.applyTransform();
  }

  /** setMetric switches the overlay: 'none', 'macs', 'params' or 'actBytes'. */
  setMetric(metric) {
    this.metric = metric;
    if (!this.nodeEls) return;
    this.paint();
  }

  paint() {
    const { graph } = this;
    const metric = this.metric;
    let maxV = 0;
    if (metric !== 'none') for (const node of graph.nodes) maxV = Math.max(maxV, node[metric] || 0);
    graph.nodes.forEach((node, i) => {
      const { rect, sub, g } = this.nodeEls[i];
      let fill;
      let dark = false;
      if (metric === 'none' || node.kind !== 'op') {
        fill = `var(--cat-${categoryOf(node)})`;
      } else {
        const v = node[metric] || 0;
        const t = maxV > 0 && v > 0 ? Math.log1p(v) / Math.log1p(maxV) : 0;
        fill = v > 0 ? rampColour(t) : 'var(--cat-shape)';
        dark = t > 0.7;
      }
      rect.setAttribute('fill', fill);
      g.classList.toggle('hot', dark);
      for (const t of g.querySelectorAll('text')) t.style.fill = dark ? '#fff' : '';
      sub.textContent = this.subtitle(node);
    });
    this.drawLegend(maxV);
  }

  drawLegend(maxV) {
    if (this.metric === 'none') {
      const used = new Set((this.graph?.nodes || []).map(categoryOf));
      this.legend.replaceChildren(...Object.entries(categoryNames).filter(([c]) => used.has(c)).map(([c, name]) =>
        el('span', {}, el('span', { className: 'swatch', style: `background: var(--cat-${c})` }), name)));
      return;
    }
    const m = METRICS[this.metric];
    this.legend.replaceChildren(
      el('span', {}, `${m.label} per node (log scale): 0`),
      el('span', { className: 'ramp', role: 'img', 'aria-label': `colour ramp from 0 to ${m.format(maxV)}` }),
      el('span', {}, m.format(maxV)),
    );
  }

  select(id) {
    if (this.selected != null) this.nodeEls[this.selected]?.g.classList.remove('selected');
    this.selected = id;
    if (id != null) this.nodeEls[id]?.g.classList.add('selected');
    this.onSelect(id == null ? null : this.graph.nodes[id]);
  }

  clearSelection() {
    if (this.selected != null) this.nodeEls[this.selected]?.g.classList.remove('selected');
    this.selected = null;
  }

  installPanZoom() {
    const c = this.container;
    let drag = null;
    c.addEventListener('pointerdown', (e) => {
      if (e.button !== 0 || e.target.closest('.node')) return;
      drag = { x: e.clientX, y: e.clientY, tx: this.transform.x, ty: this.transform.y };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointermove', (e) => {
      if (!drag) return;
      this.transform.x = drag.tx + e.clientX - drag.x;
      this.transform.y = drag.ty + e.clientY - drag.y;
      this.scheduleTransform();
    });
    const end = () => { drag = null; };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('wheel', (e) => {
      e.preventDefault();
      const r = c.getBoundingClientRect();
      this.zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    c.addEventListener('keydown', (e) => {
      if (e.target.closest && e.target.closest('.node') && (e.key === 'Enter' || e.key === ' ')) return;
      const step = 60;
      const keys = {
        ArrowLeft: () => { this.transform.x += step; }, ArrowRight: () => { this.transform.x -= step; },
        ArrowUp: () => { this.transform.y += step; }, ArrowDown: () => { this.transform.y -= step; },
        '+': () => this.zoomBy(1.25), '=': () => this.zoomBy(1.25), '-': () => this.zoomBy(0.8), 0: () => this.fit(),
      };
      if (keys[e.key] && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        keys[e.key]();
        this.scheduleTransform();
      }
    });
  }

  zoomBy(f) {
    const r = this.container.getBoundingClientRect();
    this.zoomAt(f, r.width / 2, r.height / 2);
  }

  zoomAt(f, cx, cy) {
    const t = this.transform;
    const k = Math.min(4, Math.max(0.02, t.k * f));
    t.x = cx - (cx - t.x) * (k / t.k);
    t.y = cy - (cy - t.y) * (k / t.k);
    t.k = k;
    this.scheduleTransform();
  }

  /** fit scales the graph to the window (at most life size). */
  fit() {
    if (!this.positions) return;
    const r = this.container.getBoundingClientRect();
    this.needsFit = r.width === 0 || r.height === 0;
    if (this.needsFit) return;
    const pad = 20;
    const w = Math.max(1, this.positions.width);
    const h = Math.max(1, this.positions.height);
    // Tall graphs (most CNNs) fit their width and start at the top.
    const k = Math.min(1.2, (r.width - 2 * pad) / w, Math.max((r.height - 2 * pad) / h, 0.35));
    this.transform = { k, x: (r.width - w * k) / 2, y: pad };
    this.applyTransform();
  }

  /** fitIfUnsized fits a graph first drawn while its view was hidden. */
  fitIfUnsized() {
    if (this.needsFit) requestAnimationFrame(() => this.fit());
  }

  scheduleTransform() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.applyTransform();
    });
  }

  applyTransform() {
    const t = this.transform;
    this.viewport?.setAttribute('transform', `translate(${t.x},${t.y}) scale(${t.k})`);
  }
}

// edgePath draws a polyline of layout points as vertical cubic curves.
function edgePath(points) {
  let d = `M${points[0][0]},${points[0][1]}`;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1];
    const [x1, y1] = points[i];
    const my = (y0 + y1) / 2;
    d += x0 === x1 ? ` L${x1},${y1}` : ` C${x0},${my} ${x1},${my} ${x1},${y1}`;
  }
  return d;
}
