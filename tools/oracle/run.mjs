// Runs an ONNX model with onnxruntime-node and writes every output as .npy.
// This is the reference that Pare's executor is compared against in tests.
//
//   node tools/oracle/run.mjs MODEL.onnx OUT_DIR NAME=IN.npy [NAME=IN.npy ...]
//
// Each output is written to OUT_DIR/<sanitised output name>.npy, and
// OUT_DIR/outputs.json lists {name, file, type, shape} for every output in the
// model's order, so callers need not repeat the name sanitisation.
//
// onnxruntime runs on one thread (intra- and inter-op) with graph
// optimisation disabled: the oracle must evaluate the graph exactly as
// written, one node at a time. With 'all', onnxruntime fuses Conv+BN,
// Conv+Activation and rewrites layouts (NCHWc), which changes float rounding
// and, worse, can hide a wrong attribute in a node it fuses away. Exit
// status: 0 on success, 1 on a runtime error, 2 on bad usage.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readNpy, writeNpy } from './npy.mjs';

const require = createRequire(import.meta.url);

/** Output names may hold '/', ':' and the like; keep a safe file name. */
export function sanitiseName(name) {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return safe === '' || safe === '.' || safe === '..' ? `_${safe}` : safe;
}

function usage(message) {
  process.stderr.write(`${message}\nusage: node tools/oracle/run.mjs MODEL.onnx OUT_DIR NAME=IN.npy [NAME=IN.npy ...]\n`);
  process.exit(2);
}

async function main(argv) {
  if (argv.length < 2) usage('need a model and an output directory');
  const [modelPath, outDir, ...feedArgs] = argv;

  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (err) {
    process.stderr.write(`onnxruntime-node is not installed (npm ci at the repository root): ${err.message}\n`);
    process.exit(1);
  }

  const feeds = {};
  for (const arg of feedArgs) {
    const eq = arg.indexOf('=');
    if (eq <= 0) usage(`input argument "${arg}" is not NAME=FILE.npy`);
    const name = arg.slice(0, eq);
    const file = arg.slice(eq + 1);
    let npy;
    try {
      npy = readNpy(readFileSync(file));
    } catch (err) {
      throw new Error(`input ${name} from ${file}: ${err.message}`);
    }
    feeds[name] = new ort.Tensor(npy.type, npy.data, npy.shape);
  }

  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'disabled',
    enableCpuMemArena: false,
  });
  const missing = session.inputNames.filter((n) => !(n in feeds));
  if (missing.length > 0) {
    throw new Error(`model inputs without a NAME=FILE.npy argument: ${missing.join(', ')} (model inputs: ${session.inputNames.join(', ')})`);
  }
  const unknown = Object.keys(feeds).filter((n) => !session.inputNames.includes(n));
  if (unknown.length > 0) {
    throw new Error(`arguments name no model input: ${unknown.join(', ')} (model inputs: ${session.inputNames.join(', ')})`);
  }

  const results = await session.run(feeds);
  mkdirSync(outDir, { recursive: true });
  const manifest = [];
  const used = new Set();
  for (const name of session.outputNames) {
    const t = results[name];
    let file = `${sanitiseName(name)}.npy`;
    // Two names may sanitise alike ("a/b", "a:b"); number the later ones.
    for (let i = 1; used.has(file); i++) file = `${sanitiseName(name)}.${i}.npy`;
    used.add(file);
    writeFileSync(join(outDir, file), writeNpy(t.type, t.dims, t.data));
    manifest.push({ name, file, type: t.type, shape: t.dims });
  }
  writeFileSync(join(outDir, 'outputs.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  await session.release();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`oracle: ${err.message}\n`);
    process.exit(1);
  });
}
