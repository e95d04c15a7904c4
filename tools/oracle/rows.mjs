// Runs a single-input, single-output ONNX model with onnxruntime-node on
// each row of an .npy batch separately (models such as mnist-8 fix their
// batch at 1) and writes the outputs stacked as one .npy. Same session
// settings as tools/oracle/run.mjs: one thread, no graph optimisation.
//
//   node tools/oracle/rows.mjs MODEL.onnx IN.npy OUT.npy

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readNpy, writeNpy } from './npy.mjs';

const require = createRequire(import.meta.url);

async function main([modelPath, inPath, outPath]) {
  if (!outPath) {
    process.stderr.write('usage: node tools/oracle/rows.mjs MODEL.onnx IN.npy OUT.npy\n');
    process.exit(2);
  }
  const ort = require('onnxruntime-node');
  const input = readNpy(readFileSync(inPath));
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'disabled', enableCpuMemArena: false,
  });
  const [rows, ...rest] = input.shape;
  const per = rest.reduce((a, b) => a * b, 1);
  let out = null;
  let outShape = null;
  for (let r = 0; r < rows; r++) {
    const x = new ort.Tensor('float32', input.data.subarray(r * per, (r + 1) * per), [1, ...rest]);
    const res = await session.run({ [session.inputNames[0]]: x });
    const y = res[session.outputNames[0]];
    if (out === null) {
      out = new Float32Array(rows * y.data.length);
      outShape = [rows, ...y.dims.slice(1)];
    }
    out.set(y.data, r * y.data.length);
  }
  writeFileSync(outPath, writeNpy('float32', outShape, out));
  await session.release();
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`rows: ${err.message}\n`);
  process.exit(1);
});
