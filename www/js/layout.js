// A layered (Sugiyama-style) layout of a directed acyclic graph, top to
// bottom, as Netron draws models: longest-path layering with sources pulled
// down next to their consumers, dummy nodes on edges that span layers,
// barycentric ordering sweeps against crossings, then x positions pulled
// toward neighbours while keeping nodes apart. Runs in a worker
// (layout-worker.js); it is plain code with no DOM, so node tests it too.

const LAYER_GAP = 34; // vertical space between layers
const NODE_GAP = 18; // horizontal space between nodes of a layer
const DUMMY_WIDTH = 8;
const ORDER_SWEEPS = 8;
const POSITION_SWEEPS = 6;

/**
 * layout places nodes and routes edges.
 * @param {{nodes: {id:number, width:number, height:number, anchor?:boolean}[], edges: {from:number, to:number}[]}} graph
 *   ids are indices into nodes; anchors are the graph's inputs (without
 *   any, the source with the longest path below it)
 * @returns {{nodes: {id:number, x:number, y:number}[], edges: {from:number, to:number, points:number[][]}[], width:number, height:number}}
 *   x, y are node centres; points run from the source's bottom to the target's top
 */
export function layout(graph) {
  const n = graph.nodes.length;
  const width = [];
  const height = [];
  for (const node of graph.nodes) {
    width.push(node.width);
    height.push(node.height);
  }
  const succ = Array.from({ length: n }, () => []);
  const pred = Array.from({ length: n }, () => []);
  const edges = graph.edges.filter((e) => e.from !== e.to && e.from < n && e.to < n);
  for (const e of edges) {
    succ[e.from].push(e.to);
    pred[e.to].push(e.from);
  }

  const order = topologicalOrder(n, succ, pred);
  const layer = new Array(n).fill(0);
  for (const v of order) for (const w of succ[v]) layer[w] = Math.max(layer[w], layer[v] + 1);
  // Constant subgraphs (a Constant, weights made by ConstantOfShape then
  // Unsqueeze, as in the ONNX "light" test models) sit right above their
  // first consumer rather than at the top with long edges down. A node is
  // constant when nothing from an anchor (a graph input) reaches it.
  const fed = new Uint8Array(n);
  const anchors = graph.nodes.map((node, v) => (node.anchor ? v : -1)).filter((v) => v >= 0);
  if (anchors.length === 0 && n > 0) anchors.push(deepestSource(order, succ, pred));
  for (const a of anchors) fed[a] = 1;
  for (const v of order) if (fed[v]) for (const w of succ[v]) fed[w] = 1;
  for (let i = order.length - 1; i >= 0; i--) {
    const v = order[i];
    if (!fed[v] && succ[v].length > 0) layer[v] = Math.min(...succ[v].map((w) => layer[w])) - 1;
  }
  const lowest = Math.min(0, ...layer);
  for (let v = 0; v < n; v++) layer[v] -= lowest;

  // Dummy nodes split every edge that spans more than one layer.
  const chains = []; // per edge: the vertex ids along it, endpoints included
  const dummyLayer = [];
  let total = n;
  const up = pred.map((p) => p.slice(0, 0));
  const down = succ.map((s) => s.slice(0, 0));
  const link = (a, b) => {
    down[a].push(b);
    up[b].push(a);
  };
  for (const e of edges) {
    const chain = [e.from];
    let prev = e.from;
    for (let l = layer[e.from] + 1; l < layer[e.to]; l++) {
      const d = total++;
      dummyLayer.push(l);
      up.push([]);
      down.push([]);
      width.push(DUMMY_WIDTH);
      height.push(0);
      link(prev, d);
      chain.push(d);
      prev = d;
    }
    link(prev, e.to);
    chain.push(e.to);
    chains.push(chain);
  }
  const layerOf = (v) => (v < n ? layer[v] : dummyLayer[v - n]);

  // Initial order: the order vertices are met walking down from sources.
  const layers = [];
  const seen = new Uint8Array(total);
  const place = (v) => {
    if (seen[v]) return;
    seen[v] = 1;
    const l = layerOf(v);
    while (layers.length <= l) layers.push([]);
    layers[l].push(v);
  };
  const stack = [];
  for (const v of order) {
    if (seen[v]) continue;
    stack.push(v);
    while (stack.length) {
      const x = stack.pop();
      if (seen[x]) continue;
      place(x);
      for (let i = down[x].length - 1; i >= 0; i--) if (!seen[down[x][i]]) stack.push(down[x][i]);
    }
  }

  const pos = new Float64Array(total);
  const setPositions = () => layers.forEach((ids) => ids.forEach((v, i) => { pos[v] = i; }));
  setPositions();
  const sweep = (from, step, neighbours) => {
    for (let l = from; l >= 0 && l < layers.length; l += step) {
      const key = new Map();
      for (const v of layers[l]) {
        const nb = neighbours[v];
        key.set(v, nb.length ? nb.reduce((s, w) => s + pos[w], 0) / nb.length : pos[v]);
      }
      layers[l].sort((a, b) => key.get(a) - key.get(b) || pos[a] - pos[b]);
      layers[l].forEach((v, i) => { pos[v] = i; });
    }
  };
  let best = layers.map((l) => l.slice());
  let bestCrossings = crossings(layers, down, pos);
  for (let i = 0; i < ORDER_SWEEPS && bestCrossings > 0; i++) {
    if (i % 2 === 0) sweep(1, 1, up);
    else sweep(layers.length - 2, -1, down);
    const c = crossings(layers, down, pos);
    if (c < bestCrossings) {
      bestCrossings = c;
      best = layers.map((l) => l.slice());
    }
  }
  for (let l = 0; l < layers.length; l++) layers[l] = best[l];
  setPositions();

  // x: pack each layer, then pull toward neighbours, keeping separation.
  const x = new Float64Array(total);
  for (const ids of layers) {
    let cursor = 0;
    for (const v of ids) {
      x[v] = cursor + width[v] / 2;
      cursor += width[v] + NODE_GAP;
    }
  }
  const gapBetween = (a, b) => (width[a] + width[b]) / 2 + (a >= n && b >= n ? NODE_GAP / 3 : NODE_GAP);
  const pull = (ids, neighbours) => {
    if (ids.length === 0) return;
    const want = ids.map((v) => {
      const nb = neighbours[v];
      return nb.length ? nb.reduce((s, w) => s + x[w], 0) / nb.length : x[v];
    });
    const left = want.slice();
    for (let i = 1; i < ids.length; i++) left[i] = Math.max(left[i], left[i - 1] + gapBetween(ids[i - 1], ids[i]));
    const right = want.slice();
    for (let i = ids.length - 2; i >= 0; i--) right[i] = Math.min(right[i], right[i + 1] - gapBetween(ids[i], ids[i + 1]));
    ids.forEach((v, i) => { x[v] = (left[i] + right[i]) / 2; });
  };
  const both = up.map((u, v) => u.concat(down[v]));
  for (let i = 0; i < POSITION_SWEEPS; i++) {
    for (let l = 1; l < layers.length; l++) pull(layers[l], up);
    for (let l = layers.length - 2; l >= 0; l--) pull(layers[l], down);
  }
  for (const ids of layers) pull(ids, both);

  // y: each layer as tall as its tallest node.
  const y = new Float64Array(total);
  let top = 0;
  const layerTop = [];
  const layerHeight = [];
  for (const ids of layers) {
    const h = Math.max(0, ...ids.map((v) => height[v]));
    layerTop.push(top);
    layerHeight.push(h);
    for (const v of ids) y[v] = top + h / 2;
    top += h + LAYER_GAP;
  }

  let minX = Infinity;
  let maxX = -Infinity;
  for (let v = 0; v < total; v++) {
    minX = Math.min(minX, x[v] - width[v] / 2);
    maxX = Math.max(maxX, x[v] + width[v] / 2);
  }
  if (!Number.isFinite(minX)) minX = maxX = 0;
  const shift = -minX;
  const nodesOut = graph.nodes.map((node, v) => ({ id: node.id, x: x[v] + shift, y: y[v] }));
  const edgesOut = edges.map((e, i) => {
    const chain = chains[i];
    const points = [[x[e.from] + shift, y[e.from] + height[e.from] / 2]];
    for (let k = 1; k < chain.length - 1; k++) {
      const d = chain[k];
      const l = dummyLayer[d - n];
      points.push([x[d] + shift, layerTop[l]]);
      points.push([x[d] + shift, layerTop[l] + layerHeight[l]]);
    }
    points.push([x[e.to] + shift, y[e.to] - height[e.to] / 2]);
    return { from: e.from, to: e.to, points };
  });
  return { nodes: nodesOut, edges: edgesOut, width: maxX - minX, height: Math.max(0, top - LAYER_GAP), crossings: bestCrossings };
}

// deepestSource is the source with the longest path below it: a CNN's
// image input, when the caller does not say which nodes are inputs.
function deepestSource(order, succ, pred) {
  const depth = new Array(order.length).fill(0);
  for (let i = order.length - 1; i >= 0; i--) {
    const v = order[i];
    for (const w of succ[v]) depth[v] = Math.max(depth[v], depth[w] + 1);
  }
  let best = order[0];
  for (const v of order) if (pred[v].length === 0 && depth[v] > depth[best]) best = v;
  return best;
}

// topologicalOrder is Kahn's algorithm, taking the lowest index first so
// the model's own node order is kept where it is free; vertices on a cycle
// (an invalid model) are appended in index order.
function topologicalOrder(n, succ, pred) {
  const indegree = pred.map((p) => p.length);
  const ready = [];
  for (let v = n - 1; v >= 0; v--) if (indegree[v] === 0) ready.push(v);
  const out = [];
  const done = new Uint8Array(n);
  while (ready.length) {
    const v = ready.pop();
    out.push(v);
    done[v] = 1;
    const next = [];
    for (const w of succ[v]) if (--indegree[w] === 0) next.push(w);
    next.sort((a, b) => b - a);
    ready.push(...next);
    ready.sort((a, b) => b - a);
  }
  for (let v = 0; v < n; v++) if (!done[v]) out.push(v);
  return out;
}

// crossings counts edge crossings between consecutive layers (pairs of
// edges whose ends are in opposite orders).
function crossings(layers, down, pos) {
  let count = 0;
  for (let l = 0; l + 1 < layers.length; l++) {
    const segs = [];
    for (const v of layers[l]) for (const w of down[v]) segs.push([pos[v], pos[w]]);
    segs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    // Count inversions of the targets (merge sort).
    count += inversions(segs.map((s) => s[1]));
  }
  return count;
}

function inversions(a) {
  if (a.length < 2) return 0;
  const mid = a.length >> 1;
  const left = a.slice(0, mid);
  const right = a.slice(mid);
  let count = inversions(left) + inversions(right);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < left.length && j < right.length) {
    if (right[j] < left[i]) {
      count += left.length - i;
      a[k++] = right[j++];
    } else {
      a[k++] = left[i++];
    }
  }
  while (i < left.length) a[k++] = left[i++];
  while (j < right.length) a[k++] = right[j++];
  return count;
}
