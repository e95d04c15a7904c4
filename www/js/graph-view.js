// The graph view: the model's DAG in SVG, laid out in a worker, with pan
// (drag, wheel, arrow keys), zoom (Ctrl+wheel or pinch, +/-), fit (0),
// nodes coloured by category or by a per-node metric (a heatmap with a
// legend, the value printed on each node), and a selection the sidebar
// follows.
//
// Large graphs (DenseNet-121 has about 1,750 nodes) must not freeze the
// page: all edges are one <path> (and their arrowheads a second one),
// nodes are created a few hundred at a time, one batch per animation frame,
// top first (where the view starts), and labels are hidden when zoomed out
// too far to read them.
import { categoryOf, categoryNames } from './categories.js';
import { formatCount, formatBytes, formatShape, el } from './format.js';
import { textColourOn, mix, hexToRgb, cssRgb } from './colour.js';

const SVG = 'http://www.w3.org/2000/svg';
const RAMP = ['#fff7bc', '#fec44f', '#fe9929', '#d95f0e', '#993404'];
const METRICS = {
  macs: { label: 'MACs', format: (v) => `${formatCount(v)} MACs` },
  params: { label: 'parameters', format: (v) => `${formatCount(v)} params` },
  actBytes: { label: 'activation memory', format: formatBytes },
};
const NODE_HEIGHT = 36;
// How long one batch of node creation may take, and how many nodes it may
// add, before the page gets a frame to paint and answer input: the style,
// layout and paint of the new nodes follow in the same frame.
const FRAME_BUDGET_MS = 6;
const FRAME_MAX_NODES = 120;
// Below this zoom the labels are smaller than about 5 px: not drawn.
const LABEL_MIN_ZOOM = 0.45;

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

// textWidth estimates rendered width without measuring (measuring 1,000
// nodes forces as many layouts); the font is system-ui.
const textWidth = (s, px) => s.length * px * 0.6;

const nextFrame = () => new Promise((resolve) => {
  // requestAnimationFrame paints between batches; the timeout keeps a
  // hidden page (no frames) drawing too.
  requestAnimationFrame(() => resolve());
  setTimeout(resolve, 100);
});

/** rampColour maps t in [0,1] to the heatmap ramp, as [r, g, b]. */
export function rampColour(t) {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  return mix(hexToRgb(RAMP[i]), hexToRgb(RAMP[i + 1]), x - i);
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
    this.drawn = null; // the graph whose every node is in the DOM
    this.installPanZoom();
  }

  /** show lays out and draws a model's graph (GraphView from the worker). */
  async show(graph) {
    this.graph = graph;
    this.drawn = null;
    this.selected = null;
    this.container.replaceChildren(el('div', { className: 'placeholder' }, `Laying out ${graph.nodes.length.toLocaleString('en-US')} nodes…`));
    const sizes = graph.nodes.map((node) => this.nodeSize(node));
    const result = await this.layout({
      nodes: graph.nodes.map((node, i) => ({ id: node.id, width: sizes[i].width, height: sizes[i].height, anchor: node.kind === 'input' })),
      edges: graph.edges.map((e) => ({ from: e.from, to: e.to })),
    });
    if (this.graph !== graph) return; // another model was opened meanwhile
    this.sizes = sizes;
    this.positions = result;
    await this.draw(graph);
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

  // nodeSize makes a node wide enough for its title and for every
  // subtitle it can show (its shape, each metric), so switching the
  // overlay needs no new layout.
  nodeSize(node) {
    const subs = [this.shapeText(node)];
    if (node.kind === 'op') for (const [key, m] of Object.entries(METRICS)) if (node[key] > 0) subs.push(m.format(node[key]));
    const sub = Math.max(...subs.map((s) => textWidth(s, 10)));
    return { width: Math.max(64, textWidth(this.title(node), 12) + 20, sub + 16), height: NODE_HEIGHT };
  }

  title(node) {
    return node.kind === 'op' ? node.op : node.name;
  }

  shapeText(node) {
    if (node.kind === 'input') return formatShape(node.outputs?.[0]?.shape);
    if (node.kind === 'output') return formatShape(node.inputs?.[0]?.shape);
    const out = node.outputs?.[0]?.shape;
    return out ? formatShape(out) : '';
  }

  // subtitle is the node's metric under an overlay (when it has one), else
  // its output shape.
  subtitle(node) {
    if (this.metric !== 'none' && node.kind === 'op' && node[this.metric] > 0) return METRICS[this.metric].format(node[this.metric]);
    return this.shapeText(node);
  }

  async draw(graph) {
    const { positions } = this;
    const root = svg('svg', { role: 'group', 'aria-label': `Graph of ${graph.nodes.length} nodes` });
    const defs = svg('defs');
    root.append(defs);
    this.viewport = svg('g', { class: 'viewport' });
    root.append(this.viewport);
    let edges = '';
    let heads = '';
    for (const e of positions.edges) {
      edges += edgePath(e.points);
      const [x, y] = e.points[e.points.length - 1];
      heads += `M${x - 3.5},${y - 6}L${x + 3.5},${y - 6}L${x},${y}Z`;
    }
    this.viewport.append(svg('path', { class: 'edges', d: edges }), svg('path', { class: 'arrowheads', d: heads }));
    const nodeLayer = svg('g', { class: 'nodes' });
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
    // A tooltip is made when the pointer first rests on a node, not for
    // every node up front.
    nodeLayer.addEventListener('pointerover', (e) => {
      const g = e.target.closest('.node');
      if (!g || g.querySelector('title')) return;
      const node = graph.nodes[Number(g.dataset.id)];
      const tip = svg('title');
      tip.textContent = `${node.name || node.op}\nMACs ${formatCount(node.macs)} · parameters ${formatCount(node.params)} · activations ${formatBytes(node.actBytes)}`;
      g.prepend(tip);
    });
    this.container.replaceChildren(root);
    this.svgRoot = root;
    this.nodeEls = new Array(graph.nodes.length);
    this.maxValue = this.metricMax();
    this.drawLegend();
    this.fit({ readable: true });

    // Nodes, top of the graph first, a frame's budget at a time.
    const order = graph.nodes.map((_, i) => i).sort((a, b) => positions.nodes[a].y - positions.nodes[b].y || positions.nodes[a].x - positions.nodes[b].x);
    let next = 0;
    while (next < order.length) {
      const started = performance.now();
      const batch = document.createDocumentFragment();
      do {
        batch.append(this.makeNode(graph.nodes[order[next]], order[next]));
        next++;
      } while (next < order.length && (next % 24 !== 0 || (performance.now() - started < FRAME_BUDGET_MS && next % FRAME_MAX_NODES !== 0)));
      nodeLayer.append(batch);
      if (next < order.length) {
        await nextFrame();
        if (this.graph !== graph) return;
      }
    }
    if (this.selected != null) this.nodeEls[this.selected]?.g.classList.add('selected');
    this.drawn = graph;
  }

  makeNode(node, i) {
    const p = this.positions.nodes[i];
    const { width, height } = this.sizes[i];
    const g = svg('g', {
      class: `node ${node.kind === 'op' ? `cat-${categoryOf(node)}` : 'io'}`,
      transform: `translate(${p.x - width / 2},${p.y - height / 2})`,
      tabindex: '0', role: 'button', 'data-id': String(node.id),
      'aria-label': `${node.kind === 'op' ? node.op : node.kind} ${node.name}`,
    });
    const rect = svg('rect', { width, height, rx: 4 });
    const title = svg('text', { x: width / 2, y: 15, 'text-anchor': 'middle', class: 'title' });
    title.textContent = this.title(node);
    const sub = svg('text', { x: width / 2, y: 29, 'text-anchor': 'middle', class: 'sub' });
    g.append(rect, title, sub);
    this.nodeEls[i] = { g, rect, sub };
    this.paintNode(node, i);
    return g;
  }

  /** setMetric switches the overlay: 'none', 'macs', 'params' or 'actBytes'. */
  setMetric(metric) {
    this.metric = metric;
    if (!this.nodeEls) return;
    this.maxValue = this.metricMax();
    this.graph.nodes.forEach((node, i) => this.nodeEls[i] && this.paintNode(node, i));
    this.drawLegend();
  }

  metricMax() {
    if (this.metric === 'none') return 0;
    let max = 0;
    for (const node of this.graph.nodes) max = Math.max(max, node[this.metric] || 0);
    return max;
  }

  paintNode(node, i) {
    const { rect, sub, g } = this.nodeEls[i];
    let fill = '';
    let text = '';
    if (this.metric !== 'none' && node.kind === 'op') {
      const v = node[this.metric] || 0;
      const t = this.maxValue > 0 && v > 0 ? Math.log1p(v) / Math.log1p(this.maxValue) : 0;
      if (v > 0) {
        const rgb = rampColour(t);
        fill = cssRgb(rgb);
        text = textColourOn(rgb);
      }
      g.classList.toggle('cold', v <= 0);
    } else {
      g.classList.remove('cold');
    }
    // Category colours come from the stylesheet (so the theme applies);
    // a heatmap colour, and the text colour readable on it, override them.
    rect.style.fill = fill;
    g.style.setProperty('--heat-text', text || null);
    g.classList.toggle('metric', this.metric !== 'none' && node.kind === 'op' && node[this.metric] > 0);
    sub.textContent = this.subtitle(node);
  }

  drawLegend() {
    if (this.metric === 'none') {
      const used = new Set((this.graph?.nodes || []).map(categoryOf));
      this.legend.replaceChildren(...Object.entries(categoryNames).filter(([c]) => used.has(c)).map(([c, name]) =>
        el('span', {}, el('span', { className: `swatch cat-${c}` }), name)));
      return;
    }
    const m = METRICS[this.metric];
    const max = this.maxValue;
    this.legend.replaceChildren(
      el('span', {}, `${m.label} per node, log scale:`),
      el('span', { className: 'ramp-end' }, this.metric === 'actBytes' ? '1 B' : '1'),
      el('span', { className: 'ramp', role: 'img', 'aria-label': `colour ramp from 1 to ${m.format(max)}` }),
      el('span', { className: 'ramp-end' }, max > 0 ? m.format(max) : 'none'),
      el('span', {}, el('span', { className: 'swatch cold' }), 'zero'),
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
      c.classList.add('dragging');
    });
    c.addEventListener('pointermove', (e) => {
      if (!drag) return;
      this.transform.x = drag.tx + e.clientX - drag.x;
      this.transform.y = drag.ty + e.clientY - drag.y;
      this.scheduleTransform();
    });
    const end = () => {
      drag = null;
      c.classList.remove('dragging');
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    // As in Netron and map apps: the wheel scrolls, Ctrl+wheel (and a
    // touchpad pinch, which arrives as one) zooms at the pointer.
    c.addEventListener('wheel', (e) => {
      e.preventDefault();
      const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? c.clientHeight : 1;
      if (e.ctrlKey || e.metaKey) {
        const r = c.getBoundingClientRect();
        this.zoomAt(Math.exp(-e.deltaY * unit * 0.002), e.clientX - r.left, e.clientY - r.top);
        return;
      }
      const dx = e.shiftKey && !e.deltaX ? e.deltaY : e.deltaX;
      const dy = e.shiftKey && !e.deltaX ? 0 : e.deltaY;
      this.transform.x -= dx * unit;
      this.transform.y -= dy * unit;
      this.scheduleTransform();
    }, { passive: false });
    c.addEventListener('keydown', (e) => {
      if (e.target.closest && e.target.closest('.node') && (e.key === 'Enter' || e.key === ' ')) return;
      const step = 60;
      const keys = {
        ArrowLeft: () => { this.transform.x += step; }, ArrowRight: () => { this.transform.x -= step; },
        ArrowUp: () => { this.transform.y += step; }, ArrowDown: () => { this.transform.y -= step; },
        '+': () => this.zoomBy(1.25), '=': () => this.zoomBy(1.25), '-': () => this.zoomBy(0.8), 0: () => this.fit(),
      };
      if (keys[e.key] && !e.ctrlKey && !e.metaKey && !e.altKey) {
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
    const k = Math.min(4, Math.max(0.01, t.k * f));
    t.x = cx - (cx - t.x) * (k / t.k);
    t.y = cy - (cy - t.y) * (k / t.k);
    t.k = k;
    this.scheduleTransform();
  }

  /**
   * fit shows the whole graph. With readable, a graph too big to show
   * whole at a legible size starts at its top instead, at a size one can
   * read (as Netron opens models); Fit and 0 still show it whole.
   */
  fit({ readable = false } = {}) {
    if (!this.positions) return;
    const r = this.container.getBoundingClientRect();
    this.needsFit = r.width === 0 || r.height === 0 ? { readable } : null;
    if (this.needsFit) return;
    const pad = 20;
    const w = Math.max(1, this.positions.width);
    const h = Math.max(1, this.positions.height);
    const whole = Math.min(1.25, (r.width - 2 * pad) / w, (r.height - 2 * pad) / h);
    const k = readable && whole < 0.75 ? Math.min(1, Math.max(0.85, (r.width - 2 * pad) / w)) : whole;
    let x = (r.width - w * k) / 2;
    if (w * k > r.width - 2 * pad) {
      // Wider than the view: centre the graph's input, without leaving
      // empty space beside the graph.
      x = Math.min(pad, Math.max(r.width - pad - w * k, r.width / 2 - this.firstInputX() * k));
    }
    const y = h * k <= r.height - 2 * pad ? (r.height - h * k) / 2 : pad;
    this.transform = { k, x, y };
    this.applyTransform();
  }

  // firstInputX is where the graph starts, horizontally: its first input
  // (or its first node).
  firstInputX() {
    const i = Math.max(0, this.graph.nodes.findIndex((n) => n.kind === 'input'));
    return this.positions.nodes[i]?.x ?? 0;
  }

  /** fitIfUnsized fits a graph first drawn while its view was hidden. */
  fitIfUnsized() {
    if (this.needsFit) {
      const how = this.needsFit;
      requestAnimationFrame(() => this.fit(how));
    }
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
    this.svgRoot?.classList.toggle('far', t.k < LABEL_MIN_ZOOM);
  }
}

// edgePath draws a polyline of layout points as vertical cubic curves,
// ending a few pixels short of the target for its arrowhead.
function edgePath(points) {
  let d = `M${points[0][0]},${points[0][1]}`;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1];
    const [x1, y1end] = points[i];
    const y1 = i === points.length - 1 ? y1end - 5 : y1end;
    const my = (y0 + y1) / 2;
    d += x0 === x1 ? `L${x1},${y1}` : `C${x0},${my} ${x1},${my} ${x1},${y1}`;
  }
  return d;
}
