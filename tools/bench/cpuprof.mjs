// Summarises a V8 CPU profile (node --cpu-prof) by function: self time and
// share of the profile, largest first. With Pare's wasm build the function
// names are Go's (github.com/pare-ml/pare/core/gemm.sgemmSIMD, ...), and the
// SIMD kernel's functions appear by their export names.
//
//   node tools/bench/cpuprof.mjs PROFILE.cpuprofile [TOP]
import { readFileSync } from 'node:fs';

const prof = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const top = Number(process.argv[3] || 30);
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const selfMicros = new Map();
// timeDeltas[i] is the time before sample i; attribute it to that sample.
for (let i = 0; i < prof.samples.length; i++) {
  const node = byId.get(prof.samples[i]);
  const name = node.callFrame.functionName || `(anonymous ${node.callFrame.url}:${node.callFrame.lineNumber})`;
  selfMicros.set(name, (selfMicros.get(name) || 0) + (prof.timeDeltas[i] || 0));
}
const total = [...selfMicros.values()].reduce((a, b) => a + b, 0);
const rows = [...selfMicros].sort((a, b) => b[1] - a[1]).slice(0, top);
console.log(`total ${(total / 1000).toFixed(1)} ms sampled`);
for (const [name, us] of rows) {
  console.log(`${(100 * us / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(1).padStart(8)} ms  ${name}`);
}
