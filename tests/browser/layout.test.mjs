// The graph layout (www/js/layout.js), without a browser: nodes of a layer
// never overlap, every edge runs downward, and a DenseNet-sized graph with
// long skip edges lays out completely.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layout } from '../../www/js/layout.js';

function denseGraph(blocks, perBlock) {
  const nodes = [];
  const edges = [];
  const add = () => { nodes.push({ id: nodes.length, width: 60 + (nodes.length % 3) * 20, height: 30 }); return nodes.length - 1; };
  let prev = add();
  for (let b = 0; b < blocks; b++) {
    const inBlock = [prev];
    for (let i = 0; i < perBlock; i++) {
      const conv = add();
      edges.push({ from: inBlock[inBlock.length - 1], to: conv });
      const cat = add();
      for (const x of inBlock) edges.push({ from: x, to: cat });
      edges.push({ from: conv, to: cat });
      inBlock.push(cat);
    }
    prev = inBlock[inBlock.length - 1];
  }
  return { nodes, edges };
}

function check(graph) {
  const r = layout(graph);
  assert.equal(r.nodes.length, graph.nodes.length);
  const byY = new Map();
  r.nodes.forEach((p, i) => {
    assert.ok(Number.isFinite(p.x) && Number.isFinite(p.y), `node ${i} has no position`);
    if (!byY.has(p.y)) byY.set(p.y, []);
    byY.get(p.y).push(i);
  });
  for (const ids of byY.values()) {
    ids.sort((a, b) => r.nodes[a].x - r.nodes[b].x);
    for (let k = 1; k < ids.length; k++) {
      const a = ids[k - 1];
      const b = ids[k];
      const gap = r.nodes[b].x - r.nodes[a].x - (graph.nodes[a].width + graph.nodes[b].width) / 2;
      assert.ok(gap >= -1e-6, `nodes ${a} and ${b} overlap by ${-gap}`);
    }
  }
  for (const e of r.edges) {
    for (let k = 1; k < e.points.length; k++) assert.ok(e.points[k][1] >= e.points[k - 1][1] - 1e-6, `edge ${e.from}->${e.to} goes up`);
  }
  return r;
}

test('a chain lays out in one column', () => {
  const nodes = [0, 1, 2, 3].map((id) => ({ id, width: 80, height: 30 }));
  const r = check({ nodes, edges: [{ from: 0, to: 1 }, { from: 1, to: 2 }, { from: 2, to: 3 }] });
  assert.ok(r.nodes.every((p) => Math.abs(p.x - r.nodes[0].x) < 1e-6));
  assert.equal(r.crossings, 0);
});

test('a diamond has no crossings and its branches sit side by side', () => {
  const nodes = [0, 1, 2, 3].map((id) => ({ id, width: 80, height: 30 }));
  const r = check({ nodes, edges: [{ from: 0, to: 1 }, { from: 0, to: 2 }, { from: 1, to: 3 }, { from: 2, to: 3 }] });
  assert.equal(r.crossings, 0);
  assert.equal(r.nodes[1].y, r.nodes[2].y);
  assert.notEqual(r.nodes[1].x, r.nodes[2].x);
});

test('a DenseNet-sized graph (about 400 nodes, long skip edges) lays out', () => {
  const g = denseGraph(4, 50);
  assert.ok(g.nodes.length > 400);
  check(g);
});

test('constant chains (ConstantOfShape -> Unsqueeze) sit just above their consumer', () => {
  // input -> conv1 -> conv2 -> conv3, and a two-node constant chain into conv3
  // and another into conv1 (which has no room above it).
  const nodes = [0, 1, 2, 3, 4, 5, 6, 7].map((id) => ({ id, width: 60, height: 30, anchor: id === 0 }));
  const edges = [{ from: 0, to: 1 }, { from: 1, to: 2 }, { from: 2, to: 3 }, { from: 4, to: 5 }, { from: 5, to: 3 }, { from: 6, to: 7 }, { from: 7, to: 1 }];
  const r = check({ nodes, edges });
  const y = r.nodes.map((p) => p.y);
  assert.ok(y[5] < y[3] && y[5] > y[2] - 1e-6, 'the Unsqueeze is on the layer above its consumer');
  assert.ok(y[4] < y[5], 'the ConstantOfShape is above its Unsqueeze');
  assert.ok(y[6] < y[7] && y[7] < y[1], 'a chain into the first layer pushes the graph down, not into one layer');
  // Without anchors (the source with the longest path is taken as the
  // input) the layout is still valid.
  check({ nodes: nodes.map(({ id, width, height }) => ({ id, width, height })), edges });
});

test('a cycle (an invalid model) still gets positions', () => {
  const nodes = [0, 1, 2].map((id) => ({ id, width: 40, height: 20 }));
  const r = layout({ nodes, edges: [{ from: 0, to: 1 }, { from: 1, to: 2 }, { from: 2, to: 1 }] });
  assert.ok(r.nodes.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
});
