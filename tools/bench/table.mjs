// Prints the table of `make bench` from the JSON lines scripts/bench.sh
// collected: median milliseconds per model and runtime, each with its ratio
// to onnxruntime-web (below 1.0 is faster than onnxruntime-web), then the
// memory of the models timed with few runs (ResNet-18). With several
// rounds (each line's "round", 1 when absent) a runtime's milliseconds are
// the median over the rounds, its ratio the median of its per-round
// ratios (each against onnxruntime-web in the same round, which shared
// the machine's state), and the minimum the least of the rounds'.
//
//   node tools/bench/table.mjs build/bench/results.jsonl
import { readFileSync } from 'node:fs';

const runtimes = ['pare-native', 'pare-wasm', 'ort-node', 'ort-web'];
const lines = readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l.trim() !== '');
const rounds = new Map(); // name -> runtime -> round -> result
for (const line of lines) {
  const { runtime, name, round = 1, result } = JSON.parse(line);
  if (!rounds.has(name)) rounds.set(name, {});
  const byRuntime = rounds.get(name);
  byRuntime[runtime] ??= new Map();
  byRuntime[runtime].set(round, result);
}
const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  const h = v.length >> 1;
  return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
};
// rows: name -> runtime -> the first round's result, with median_ms the
// median over the rounds, min_ms the least, and ratio (to ort-web) the
// median of the per-round ratios.
const rows = new Map();
for (const [name, byRuntime] of rounds) {
  const row = {};
  const ref = byRuntime['ort-web'];
  for (const [rt, results] of Object.entries(byRuntime)) {
    const all = [...results.values()];
    const ratios = ref ? [...results].filter(([r]) => ref.has(r)).map(([r, x]) => x.median_ms / ref.get(r).median_ms) : [];
    row[rt] = {
      ...all[0],
      median_ms: median(all.map((x) => x.median_ms)),
      min_ms: Math.min(...all.map((x) => x.min_ms)),
      ratio: ratios.length ? median(ratios) : undefined,
      rounds: all.length,
    };
  }
  rows.set(name, row);
}

const mb = (b) => (b / 2 ** 20).toFixed(2);

// ratioFloor is the least weights + arena for which the memory ratio
// means something: below it the Go runtime's fixed growth (a few MiB on
// mnist-8) swamps the inference it is meant to measure (10-33x there).
const ratioFloor = 8 * 2 ** 20;
const ratioCell = (x) => {
  if (!x.memory_ratio) return 'n/a';
  if ((x.weight_bytes ?? 0) + (x.pooled_bytes ?? 0) < ratioFloor) return '—';
  return `${x.memory_ratio.toFixed(2)}x`;
};
const header = `| model | ${runtimes.map((r) => `${r} ms (x ort-web)`).join(' | ')} | rounds |`;
console.log(header);
console.log(`|${'---|'.repeat(runtimes.length + 2)}`);
for (const [name, r] of rows) {
  if (!r['ort-web']) continue; // memory-only rows (ResNet-18, DenseNet-121)
  const cells = runtimes.map((rt) => {
    if (!r[rt]) return 'n/a';
    const ms = r[rt].median_ms;
    return `${ms.toFixed(ms < 10 ? 3 : 1)} (${r[rt].ratio.toFixed(2)})`;
  });
  console.log(`| ${name} | ${cells.join(' | ')} | ${r['ort-web'].rounds} |`);
}
console.log();
// The minimum is the run least disturbed by other processes: on a shared
// machine its ratio is the steadier one.
console.log(`| model | ${runtimes.map((r) => `${r} min ms (x ort-web min)`).join(' | ')} |`);
console.log(`|${'---|'.repeat(runtimes.length + 1)}`);
for (const [name, r] of rows) {
  if (!r['ort-web']) continue;
  const ref = r['ort-web'].min_ms;
  const cells = runtimes.map((rt) => (r[rt] ? `${r[rt].min_ms.toFixed(r[rt].min_ms < 10 ? 3 : 1)} (${(r[rt].min_ms / ref).toFixed(2)})` : 'n/a'));
  console.log(`| ${name} | ${cells.join(' | ')} |`);
}
console.log();
console.log('| model | runtime | median ms | peak live activations MiB | live heap after a GC MiB | Go HeapInuse MiB | Go Sys MiB | allocated per run MiB | process memory before the model / at its peak MiB | (peak - before) / (weights + arena) |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const [name, r] of [...rows].filter(([n]) => n !== undefined)) {
  for (const rt of ['pare-native', 'pare-wasm']) {
    const x = r[rt];
    if (!x) continue;
    console.log(`| ${name} | ${rt} | ${x.median_ms.toFixed(1)} | ${mb(x.peak_live_bytes)} | ${mb(x.heap_live_bytes)} | ${mb(x.heap_inuse_bytes)} | ${mb(x.sys_bytes)} | ${mb(x.alloc_bytes_per_run)} | ${x.peak_memory_bytes ? `${mb(x.base_memory_bytes)} / ${mb(x.peak_memory_bytes)}` : 'n/a'} | ${ratioCell(x)} |`);
  }
}
console.log();
console.log(`The ratio is left out (—) where weights and arena are under ${mb(ratioFloor)} MiB: there the runtime's own few MiB of heap and stacks, not inference, are what the process grows by.`);
