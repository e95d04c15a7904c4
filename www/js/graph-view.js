// The graph view: the model's DAG in SVG, laid out in a worker, with pan
// (drag, wheel, arrow keys), zoom (Ctrl+wheel or pinch, +/-), fit (0),
// nodes coloured by category or by a per-node metric (a heatmap with a
// legend, the value printed on each node), and a selection the sidebar
// follows.
//
// Large graphs (DenseNet-121 has about 1,750 nodes) must not freeze the
// page: the whole layout stays in memory, but only nodes and edges in (or
// near) the view are in the DOM, brought up to date once per animation
// frame as the view pans and zooms. Edges in view are one <path> (their
// arrowheads a second); a node in view is an element, made a frame's
// budget at a time, unless too many are in view (zoomed far out), when
// they are plain boxes, one path per colour, picked by hit-testing. Labels
// are hidden when zoomed out too far to read them. Tab walks all nodes in
// reading order, making each node's element as focus reaches it.
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
// Fit keeps a graph of at most this many nodes at LABEL_MIN_ZOOM or above
// (labels drawn, as much of it in view as that allows); a larger graph is
// shown whole, as an overview whose labels could not be read anyway.
const FIT_LABELLED_MAX_NODES = 120;
// Elements are made for the nodes within this many view widths (heights)
// of the view, so a short pan finds them drawn already.
const RENDER_MARGIN = 0.5;
// With more nodes than this near the view (a big graph zoomed out), nodes
// are drawn as plain boxes, one path per colour, instead of elements.
const MAX_NODE_ELEMENTS = 500;

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

// textWidth estimates rendered width without measuring (measuring 1,000
// nodes forces as many layouts); the font is system-ui.
const textWidth = (s, px) => s.length * px * 0.6;


/** rampColour maps t in [0,1] to the heatmap ramp, as [r, g, b]. */
export function rampColour(t) {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  return mix(hexToRgb(RAMP[i]), hexToRgb(RAMP[i + 1]), x - i);
}

export class GraphView {
  /**
   * @param {HTMLElement} container
   * @param {HTMLElement} legend
   * @param {object} o
   * @param {(node: object|null) => void} o.onSelect
   * @param {(node: object) => {text: string, data: object}|null} [o.annotate] a label
   *   shown instead of a node's shape (the Compress result's kept channels and
   *   bits), with data-* attributes for the node's element
   */
  constructor(container, legend, { onSelect, annotate = null }) {
    this.container = container;
    this.legend = legend;
    this.onSelect = onSelect;
    this.annotate = annotate;
    this.metric = 'none';
    this.transform = { x: 0, y: 0, k: 1 };
    this.layoutWorker = null;
    this.seq = 0;
    this.drawn = null; // the graph whose nodes in view are all drawn
    this.elements = null;
    this.settledWaiters = [];
    this.installPanZoom();
    // A larger view shows more of the graph: draw it.
    new ResizeObserver(() => {
      this.rendered = null;
      this.scheduleRender();
    }).observe(container);
  }

  /** show lays out and draws a model's graph (GraphView from the worker). */
  async show(graph) {
    this.graph = graph;
    this.drawn = null;
    this.selected = null;
    this.focused = null;
    this.elements = null;
    this.rendered = null;
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
    const subs = [this.shapeText(node), this.annotate?.(node)?.text ?? ''];
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
    const note = this.annotate?.(node);
    if (note) return note.text;
    if (this.metric !== 'none' && node.kind === 'op' && node[this.metric] > 0) return METRICS[this.metric].format(node[this.metric]);
    return this.shapeText(node);
  }

  // draw sets up the SVG for a laid-out graph. Only what lies in (or near)
  // the visible rectangle gets elements (render() keeps that true as the
  // view pans and zooms); the layout stays whole in memory.
  async draw(graph) {
    const { positions } = this;
    const n = graph.nodes.length;
    const root = svg('svg', { role: 'group', 'aria-label': `Graph of ${n} nodes` });
    this.viewport = svg('g', { class: 'viewport' });
    root.append(this.viewport);
    this.edgePath = svg('path', { class: 'edges' });
    this.headPath = svg('path', { class: 'arrowheads' });
    this.farLayer = svg('g', { class: 'far-nodes', 'aria-hidden': 'true' });
    const nodeLayer = svg('g', { class: 'nodes' });
    this.viewport.append(this.edgePath, this.headPath, this.farLayer, nodeLayer);
    this.nodeLayer = nodeLayer;

    // Node boxes, the reading order (top to bottom, left to right: the
    // order of the DOM and of Tab), and each edge's path and bounds.
    this.boxes = new Float64Array(4 * n);
    for (let i = 0; i < n; i++) {
      const p = positions.nodes[i];
      const { width, height } = this.sizes[i];
      this.boxes.set([p.x - width / 2, p.y - height / 2, p.x + width / 2, p.y + height / 2], 4 * i);
    }
    this.order = graph.nodes.map((_, i) => i).sort((a, b) => positions.nodes[a].y - positions.nodes[b].y || positions.nodes[a].x - positions.nodes[b].x);
    this.rank = new Int32Array(n);
    this.order.forEach((id, r) => { this.rank[id] = r; });
    this.edgeData = positions.edges.map((e) => {
      let x0 = Infinity; let y0 = Infinity; let x1 = -Infinity; let y1 = -Infinity;
      for (const [x, y] of e.points) {
        x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
      }
      const [hx, hy] = e.points[e.points.length - 1];
      // Curves bulge at most halfway between points horizontally, so the
      // points' bounds (plus the arrowhead) hold the whole edge.
      return { d: edgePath(e.points), head: `M${hx - 3.5},${hy - 6}L${hx + 3.5},${hy - 6}L${hx},${hy}Z`, box: [x0 - 4, y0 - 6, x1 + 4, y1] };
    });

    nodeLayer.addEventListener('click', (e) => {
      const g = e.target.closest('.node');
      if (g) this.select(Number(g.dataset.id));
    });
    nodeLayer.addEventListener('keydown', (e) => {
      const g = e.target.closest('.node');
      if (!g) return;
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        this.select(Number(g.dataset.id));
      } else if (e.key === 'Tab' && !e.ctrlKey && !e.altKey && !e.metaKey) {
        // Tab walks the nodes in reading order, also those not drawn yet.
        // From the first or the last node the browser moves on (they are
        // the first and last in the DOM), so Tab still leaves the graph.
        const r = this.rank[Number(g.dataset.id)] + (e.shiftKey ? -1 : 1);
        if (r < 0 || r >= n) return;
        e.preventDefault();
        this.focusNode(this.order[r]);
      }
    });
    nodeLayer.addEventListener('focusin', (e) => {
      const g = e.target.closest('.node');
      if (!g) return;
      this.focused = Number(g.dataset.id);
      // Keyboard focus brings the node into view; a click leaves the view be.
      if (g.matches(':focus-visible')) this.scrollIntoView(this.focused);
    });
    nodeLayer.addEventListener('focusout', (e) => {
      if (!nodeLayer.contains(e.relatedTarget)) this.focused = null;
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
    this.elements = new Map(); // node id -> {g, rect, sub}, the nodes in the DOM
    this.rendered = null; // the graph rectangle render() last covered
    this.mode = 'elements';
    this.maxValue = this.metricMax();
    this.drawLegend();
    this.fit({ readable: true });
    await this.settled();
    if (this.graph === graph) this.drawn = graph;
  }

  // settled resolves once every node in view has its element.
  settled() {
    if (!this.renderPending && !this.frame) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  // visibleRect is the part of the graph in the view, in layout
  // coordinates, grown by `margin` views on each side.
  visibleRect(margin) {
    const t = this.transform;
    const w = this.container.clientWidth;
    const h = this.container.clientHeight;
    const mx = w * margin;
    const my = h * margin;
    return [(-t.x - mx) / t.k, (-t.y - my) / t.k, (w - t.x + mx) / t.k, (h - t.y + my) / t.k];
  }

  // render brings the DOM up to date with the view: elements for the nodes
  // near the view (or, when too many are, one path per fill colour, with
  // hit-testing for clicks), the edges near the view as one path. The
  // selected and the focused node always keep their element. New elements
  // are made a frame's budget at a time; the rest follow next frame.
  render() {
    if (!this.positions || !this.elements) return this.settle();
    const inner = this.visibleRect(0);
    const r = this.rendered;
    const k = this.transform.k;
    // Still inside what was drawn, at about the same zoom: nothing to do.
    if (r && !this.renderPending && r.k / k < 1.5 && k / r.k < 1.5 &&
      inner[0] >= r.rect[0] && inner[1] >= r.rect[1] && inner[2] <= r.rect[2] && inner[3] <= r.rect[3]) return this.settle();
    const rect = this.visibleRect(RENDER_MARGIN);
    const hit = (b, o) => b[o] <= rect[2] && b[o + 2] >= rect[0] && b[o + 1] <= rect[3] && b[o + 3] >= rect[1];
    const near = [];
    for (let i = 0; i < this.graph.nodes.length; i++) if (hit(this.boxes, 4 * i)) near.push(i);
    this.mode = near.length > MAX_NODE_ELEMENTS ? 'paths' : 'elements';
    const wanted = new Set(this.mode === 'elements' ? near : []);
    for (const pin of [this.selected, this.focused]) if (pin != null) wanted.add(pin);
    for (const [id, e] of this.elements) {
      if (!wanted.has(id)) {
        e.g.remove();
        this.elements.delete(id);
      }
    }
    const ids = [...wanted].sort((a, b) => this.rank[a] - this.rank[b]);
    const started = performance.now();
    let made = 0;
    let incomplete = false;
    let cursor = this.nodeLayer.firstChild;
    for (const id of ids) {
      let e = this.elements.get(id);
      if (!e) {
        if (made >= FRAME_MAX_NODES || (made % 24 === 23 && performance.now() - started > FRAME_BUDGET_MS)) {
          incomplete = true;
          continue;
        }
        e = this.makeNode(id);
        made++;
      }
      if (e.g === cursor) cursor = cursor.nextSibling;
      else this.nodeLayer.insertBefore(e.g, cursor);
    }
    this.drawFarNodes(this.mode === 'paths' ? near.filter((id) => !this.elements.has(id)) : []);
    let edges = '';
    let heads = '';
    for (const e of this.edgeData) {
      if (!hit(e.box, 0)) continue;
      edges += e.d;
      heads += e.head;
    }
    this.edgePath.setAttribute('d', edges);
    this.headPath.setAttribute('d', heads);
    this.rendered = { rect, k };
    this.renderPending = incomplete;
    if (incomplete) this.scheduleRender();
    else this.settle();
  }

  settle() {
    if (!this.renderPending && !this.frame) this.settledWaiters.splice(0).forEach((resolve) => resolve());
  }

  // drawFarNodes draws nodes without elements (too many in view to give
  // each one) as plain boxes, one path per fill.
  drawFarNodes(ids) {
    const groups = new Map();
    for (const id of ids) {
      const key = this.farFill(id);
      const b = this.boxes.subarray(4 * id, 4 * id + 4);
      groups.set(key, (groups.get(key) || '') + `M${b[0]},${b[1]}h${b[2] - b[0]}v${b[3] - b[1]}h${b[0] - b[2]}Z`);
    }
    this.farLayer.replaceChildren(...[...groups].map(([key, d]) => {
      const path = svg('path', { d, class: key.startsWith('#') ? 'heat' : key });
      if (key.startsWith('#')) path.style.fill = key;
      return path;
    }));
  }

  // farFill is a far node's class (its category) or heatmap colour, the
  // colour rounded to one of 32 steps so that few paths are needed.
  farFill(id) {
    const node = this.graph.nodes[id];
    if (node.kind !== 'op') return 'io';
    if (this.metric === 'none') return `cat-${categoryOf(node)}`;
    const v = node[this.metric] || 0;
    if (v <= 0 || this.maxValue <= 0) return 'cold';
    const t = Math.round(32 * Math.log1p(v) / Math.log1p(this.maxValue)) / 32;
    return '#' + rampColour(t).map((c) => Math.round(c).toString(16).padStart(2, '0')).join('');
  }

  // nodeAt is the node under a point of the view (for clicks on far nodes).
  nodeAt(vx, vy) {
    const t = this.transform;
    const x = (vx - t.x) / t.k;
    const y = (vy - t.y) / t.k;
    for (let i = 0; i < this.graph.nodes.length; i++) {
      const o = 4 * i;
      if (x >= this.boxes[o] && x <= this.boxes[o + 2] && y >= this.boxes[o + 1] && y <= this.boxes[o + 3]) return i;
    }
    return null;
  }

  // element returns node id's element, making it (in reading order among
  // the others) if it is not in the DOM.
  element(id) {
    let e = this.elements.get(id);
    if (e) return e;
    e = this.makeNode(id);
    let before = null;
    for (const g of this.nodeLayer.children) {
      if (this.rank[Number(g.dataset.id)] > this.rank[id]) {
        before = g;
        break;
      }
    }
    this.nodeLayer.insertBefore(e.g, before);
    return e;
  }

  /** focusNode moves keyboard focus to a node, drawing it and bringing it into view. */
  focusNode(id) {
    this.focused = id;
    const { g } = this.element(id);
    this.scrollIntoView(id);
    g.focus({ preventScroll: true });
  }

  // scrollIntoView pans (at the same zoom) just enough to show a node whole.
  scrollIntoView(id) {
    const t = this.transform;
    const pad = 24;
    const o = 4 * id;
    const w = this.container.clientWidth;
    const h = this.container.clientHeight;
    const [x0, y0, x1, y1] = [0, 1, 2, 3].map((j) => this.boxes[o + j] * t.k + (j % 2 ? t.y : t.x));
    let dx = 0;
    let dy = 0;
    if (x1 - x0 > w - 2 * pad || x0 < pad) dx = pad - x0;
    else if (x1 > w - pad) dx = w - pad - x1;
    if (y1 - y0 > h - 2 * pad || y0 < pad) dy = pad - y0;
    else if (y1 > h - pad) dy = h - pad - y1;
    if (!dx && !dy) return;
    t.x += dx;
    t.y += dy;
    this.applyTransform();
  }

  makeNode(i) {
    const node = this.graph.nodes[i];
    const p = this.positions.nodes[i];
    const { width, height } = this.sizes[i];
    const g = svg('g', {
      class: `node ${node.kind === 'op' ? `cat-${categoryOf(node)}` : 'io'}${i === this.selected ? ' selected' : ''}`,
      transform: `translate(${p.x - width / 2},${p.y - height / 2})`,
      tabindex: '0', role: 'button', 'data-id': String(node.id),
      'aria-label': `${node.kind === 'op' ? node.op : node.kind} ${node.name}`,
    });
    const note = this.annotate?.(node);
    if (note) {
      for (const [k, v] of Object.entries(note.data)) g.dataset[k] = String(v);
      g.classList.add('annotated');
      g.setAttribute('aria-label', `${g.getAttribute('aria-label')}: ${note.text}`);
    }
    const rect = svg('rect', { width, height, rx: 4 });
    const title = svg('text', { x: width / 2, y: 15, 'text-anchor': 'middle', class: 'title' });
    title.textContent = this.title(node);
    const sub = svg('text', { x: width / 2, y: 29, 'text-anchor': 'middle', class: 'sub' });
    g.append(rect, title, sub);
    const e = { g, rect, sub };
    this.elements.set(i, e);
    this.paintNode(node, i);
    return e;
  }

  /** setMetric switches the overlay: 'none', 'macs', 'params' or 'actBytes'. */
  setMetric(metric) {
    this.metric = metric;
    if (!this.elements) return;
    this.maxValue = this.metricMax();
    for (const i of this.elements.keys()) this.paintNode(this.graph.nodes[i], i);
    this.drawLegend();
    this.rendered = null; // far nodes change colour too
    this.scheduleRender();
  }

  metricMax() {
    if (this.metric === 'none') return 0;
    let max = 0;
    for (const node of this.graph.nodes) max = Math.max(max, node[this.metric] || 0);
    return max;
  }

  paintNode(node, i) {
    const { rect, sub, g } = this.elements.get(i);
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
    if (this.selected != null) this.elements?.get(this.selected)?.g.classList.remove('selected');
    this.selected = id;
    // The selected node keeps an element (for its highlight, and for focus
    // to return to when the sidebar closes) wherever the view goes.
    if (id != null) this.element(id).g.classList.add('selected');
    this.onSelect(id == null ? null : this.graph.nodes[id]);
  }

  clearSelection() {
    if (this.selected != null) this.elements?.get(this.selected)?.g.classList.remove('selected');
    this.selected = null;
    this.scheduleRender();
  }

  installPanZoom() {
    const c = this.container;
    let drag = null;
    c.addEventListener('pointerdown', (e) => {
      if (e.button !== 0 || e.target.closest('.node')) return;
      drag = { x: e.clientX, y: e.clientY, tx: this.transform.x, ty: this.transform.y, moved: false };
      c.setPointerCapture(e.pointerId);
      c.classList.add('dragging');
    });
    c.addEventListener('pointermove', (e) => {
      if (!drag) return;
      drag.moved ||= Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) > 4;
      this.transform.x = drag.tx + e.clientX - drag.x;
      this.transform.y = drag.ty + e.clientY - drag.y;
      this.scheduleTransform();
    });
    const end = () => {
      drag = null;
      c.classList.remove('dragging');
    };
    c.addEventListener('pointerup', (e) => {
      // A click (not a drag) on a node drawn as a plain box selects it.
      if (drag && !drag.moved && this.mode === 'paths') {
        const r = c.getBoundingClientRect();
        const id = this.nodeAt(e.clientX - r.left, e.clientY - r.top);
        if (id != null) this.select(id);
      }
      end();
    });
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
   * read (as Netron opens models). Fit and 0 show it whole, except that a
   * small graph (the demo's 28 nodes) never goes below the zoom where
   * labels are drawn: it shows as much as fits with its labels, from the
   * top, rather than a column of blank boxes.
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
    let k = readable && whole < 0.75 ? Math.min(1, Math.max(0.85, (r.width - 2 * pad) / w)) : whole;
    if (k < LABEL_MIN_ZOOM && this.graph.nodes.length <= FIT_LABELLED_MAX_NODES) k = LABEL_MIN_ZOOM;
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

  // scheduleTransform applies pan and zoom, and renders what came into
  // view, once per animation frame however many events asked.
  scheduleTransform() {
    this.transformPending = true;
    this.scheduleRender();
  }

  scheduleRender() {
    if (this.frame) return;
    const run = () => {
      if (!this.frame) return;
      cancelAnimationFrame(this.frame);
      clearTimeout(this.frameTimer);
      this.frame = 0;
      if (this.transformPending) this.applyTransform();
      else this.render();
    };
    this.frame = requestAnimationFrame(run);
    // A hidden page gets no frames; the timeout keeps it drawing anyway.
    this.frameTimer = setTimeout(run, 100);
  }

  applyTransform() {
    const t = this.transform;
    this.transformPending = false;
    this.viewport?.setAttribute('transform', `translate(${t.x},${t.y}) scale(${t.k})`);
    this.svgRoot?.classList.toggle('far', t.k < LABEL_MIN_ZOOM);
    this.render();
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
