// Times batch-1 inference of one ONNX model with onnxruntime, with the
// protocol of Pare's tools/bench (Go): one session, a fixed input, untimed
// warm-up runs, then each timed run measured alone; prints one JSON line
// with the median and friends.
//
//   node tools/bench/ort.mjs --runtime node|web --model M.onnx --input X.npy
//        [--runs 30] [--warmup 3]
//
// node: onnxruntime-node, CPU execution provider, one intra- and one
//       inter-op thread.
// web:  onnxruntime-web's WebAssembly backend under node, numThreads 1,
//       SIMD on (the build onnxruntime-web ships is SIMD-only).
// Both keep onnxruntime's default graph optimisation ('all': Conv+BN and
// Conv+activation fusion, constant folding), as a deployment would.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy } from '../oracle/npy.mjs';

const require = createRequire(import.meta.url);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function parseArgs(argv) {
  const opts = { runs: 30, warmup: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${argv[i]} needs a value`);
    opts[key] = ['runs', 'warmup'].includes(key) ? Number(value) : value;
  }
  for (const k of ['runtime', 'model', 'input']) {
    if (!opts[k]) throw new Error(`missing --${k}`);
  }
  if (!['node', 'web'].includes(opts.runtime)) throw new Error(`--runtime is node or web, not ${opts.runtime}`);
  if (!(opts.runs >= 1) || !(opts.warmup >= 0)) throw new Error('--runs must be >= 1, --warmup >= 0');
  return opts;
}

function packageVersion(name) {
  return JSON.parse(readFileSync(join(repo, 'node_modules', name, 'package.json'), 'utf8')).version;
}

async function loadRuntime(kind) {
  if (kind === 'node') {
    const ort = require('onnxruntime-node');
    return {
      ort,
      version: packageVersion('onnxruntime-node'),
      options: { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' },
    };
  }
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true; // ignored by builds that are SIMD-only
  ort.env.wasm.proxy = false;
  return { ort, version: packageVersion('onnxruntime-web'), options: { executionProviders: ['wasm'] } };
}

function quantile(sorted, p) {
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const rt = await loadRuntime(opts.runtime);
  const t0 = performance.now();
  const session = await rt.ort.InferenceSession.create(readFileSync(opts.model), rt.options);
  const sessionMS = performance.now() - t0;
  if (session.inputNames.length !== 1) {
    throw new Error(`${opts.model} has ${session.inputNames.length} inputs; the benchmark feeds exactly one`);
  }
  const npy = readNpy(readFileSync(opts.input));
  const feeds = { [session.inputNames[0]]: new rt.ort.Tensor(npy.type, npy.data, npy.shape) };
  for (let i = 0; i < opts.warmup; i++) await session.run(feeds);
  const times = [];
  for (let i = 0; i < opts.runs; i++) {
    const start = performance.now();
    await session.run(feeds);
    times.push(performance.now() - start);
  }
  const s = [...times].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  console.log(JSON.stringify({
    model: opts.model,
    runtime: `onnxruntime-${opts.runtime} ${rt.version}`,
    runs: s.length,
    median_ms: quantile(s, 0.5),
    p10_ms: quantile(s, 0.1),
    p90_ms: quantile(s, 0.9),
    min_ms: s[0],
    mean_ms: mean,
    session_ms: sessionMS,
  }));
  await session.release?.();
}

main().catch((err) => {
  console.error(`ort.mjs: ${err.stack || err}`);
  process.exit(1);
});
