// The Compress result's graphs before and after: after compressing the
// demo with the defaults (50 % of the MACs, QIL 4/4), both graphs are
// drawn side by side, every pruned layer the report names shows its
// channels before→after on its node in both graphs, and every quantized
// layer shows its bits (W4/A4) on its node in the compressed graph.
// Selecting a node in one graph selects the same node in the other.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serve, open, waitForGraph, checkPage, screenshots } from './harness.mjs';

let site;
let session;
before(async () => {
  site = await serve();
  session = await open(site.url, { viewport: { width: 1400, height: 1200 } });
});
after(async () => {
  await session?.close();
  await site?.close();
});

test('after a demo compress the graphs before and after carry the report\'s kept channels and bits', async () => {
  const { page } = session;
  await page.click('#try-demo');
  await page.waitForFunction(() => window.pare.state.pending === 0 && window.pare.state.data?.view);
  await waitForGraph(page);
  await page.click('#tab-compress');
  await page.waitForFunction(() => !document.getElementById('compress').disabled);
  // A run stored by an earlier test in this profile would be resumed: the
  // profile is fresh, so the run is whole.
  await page.click('#compress');
  await page.waitForSelector('#compress-check-status[data-differ]', { timeout: 600000 });
  await page.waitForFunction(() => !window.pare.state.busy, null, { timeout: 60000 });
  await page.waitForSelector('#compress-graph-before svg .node', { timeout: 60000 });
  await page.waitForSelector('#compress-graph-after svg .node', { timeout: 60000 });

  const seen = await page.evaluate(() => {
    const { graphs, result } = window.pare.compress;
    const report = result.report;
    // The label drawn on a node, by name, in one of the two views.
    const label = (view, name) => {
      const id = view.graph.nodes.findIndex((n) => n.kind === 'op' && n.name === name);
      if (id < 0) return null;
      const { g, sub } = view.element(id);
      return { text: sub.textContent, channels: g.dataset.channels, kept: g.dataset.kept, bits: g.dataset.bits };
    };
    const pruned = report.solver.kept.filter((k) => k.kept < k.channels).map((k) => {
      const producer = graphs.before.graph.nodes.find((n) => n.kind === 'op' && n.outputs?.[0]?.name === k.map);
      return { ...k, op: producer?.op, node: producer?.name, before: producer && label(graphs.before, producer.name), after: producer && label(graphs.after, producer.name) };
    });
    const quantized = report.quantize.layers.filter((l) => l.bits !== '32/32').map((l) => ({ ...l, after: label(graphs.after, l.node) }));
    const float = report.quantize.layers.filter((l) => l.bits === '32/32').map((l) => ({ ...l, after: label(graphs.after, l.node) }));
    return {
      pruned, quantized, float,
      counts: [graphs.before.graph.nodes.length, graphs.after.graph.nodes.length, window.pare.state.model.view.graph.nodes.length],
      drawn: [document.querySelectorAll('#compress-graph-before svg .node').length, document.querySelectorAll('#compress-graph-after svg .node').length],
    };
  });
  // The original graph is the open model's; the exported one has more
  // nodes (QuantizeLinear/DequantizeLinear pairs).
  assert.equal(seen.counts[0], seen.counts[2]);
  assert.ok(seen.counts[1] > seen.counts[0], `the compressed graph has ${seen.counts[1]} nodes, the original ${seen.counts[0]}`);
  assert.ok(seen.drawn[0] > 0 && seen.drawn[1] > 0, `nodes drawn: ${seen.drawn}`);

  assert.ok(seen.pruned.length > 0, 'the report names no pruned map at 50 % of the MACs');
  for (const p of seen.pruned) {
    assert.ok(p.node, `no node writes the pruned map ${p.map}`);
    for (const side of ['before', 'after']) {
      const l = p[side];
      assert.ok(l, `${p.node} is missing from the graph ${side}`);
      assert.equal(l.channels, String(p.channels), `${side}: ${p.node}`);
      assert.equal(l.kept, String(p.kept), `${side}: ${p.node}`);
      assert.ok(l.text.startsWith(`${p.channels}→${p.kept}`), `${side}: ${p.node} reads "${l.text}", want ${p.channels}→${p.kept}`);
    }
  }
  assert.ok(seen.quantized.length > 0, 'the report names no quantized layer');
  // The report writes bits as "w4a4" (weights, activations).
  const wa = (bits) => {
    const m = /^w(\d+)a(\d+)$/.exec(bits);
    assert.ok(m, `bits "${bits}" in the report`);
    return `W${m[1]}/A${m[2]}`;
  };
  for (const q of seen.quantized) {
    assert.ok(q.after, `${q.node} is missing from the compressed graph`);
    assert.equal(q.after.bits, wa(q.bits), q.node);
    assert.ok(q.after.text.endsWith(wa(q.bits)), `${q.node} reads "${q.after.text}"`);
  }
  // Layers kept in float carry no bits.
  for (const f of seen.float) assert.equal(f.after?.bits, undefined, `${f.node} is float but reads "${f.after?.text}"`);
  // A pruned conv that is quantized too reads both, e.g. "16→4 · W4/A4".
  const both = seen.pruned.find((p) => seen.quantized.some((q) => q.node === p.node));
  assert.ok(both, 'no layer is both pruned and quantized');
  assert.equal(both.after.text, `${both.channels}→${both.kept} · ${wa(seen.quantized.find((x) => x.node === both.node).bits)}`);

  // Selecting a node in the original selects it in the compressed graph.
  const name = seen.pruned[0].node;
  const selected = await page.evaluate((n) => {
    const { graphs } = window.pare.compress;
    graphs.before.select(graphs.before.graph.nodes.findIndex((x) => x.name === n));
    return graphs.after.graph.nodes[graphs.after.selected]?.name;
  }, name);
  assert.equal(selected, name);

  await checkPage(page, 'with the graphs before and after');
  // The screenshot shows the layer that is both pruned and quantized.
  await page.evaluate((n) => {
    for (const view of [window.pare.compress.graphs.before, window.pare.compress.graphs.after]) {
      view.clearSelection();
      view.scrollIntoView(view.graph.nodes.findIndex((x) => x.name === n));
    }
  }, both.node);
  await page.evaluate(() => Promise.all([window.pare.compress.graphs.before.settled(), window.pare.compress.graphs.after.settled()]));
  await page.evaluate(() => document.getElementById('compress-graphs').scrollIntoView({ block: 'start' }));
  await page.locator('#compress-graphs').screenshot({ path: join(screenshots, 'compress-graphs.png') });
  console.log(`compress-graphs: ${seen.pruned.length} pruned maps (${seen.pruned.map((p) => `${p.node} ${p.channels}→${p.kept}`).join(', ')}); ` +
    `${seen.quantized.length} quantized layers; ${seen.counts[0]} → ${seen.counts[1]} nodes`);
  assert.deepEqual(session.errors, []);
  assert.deepEqual(session.foreignRequests(), []);
});
