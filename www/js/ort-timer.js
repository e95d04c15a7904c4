// Times one model in onnxruntime-web for the latency models the worker
// measures (wasm/clock_js.go calls pareTimeModel and waits for it). As
// pare bench does on Pare's executor, a session warms up until its times
// settle (V8 tiers the wasm up over the first runs) and the median of the
// runs that follow is the figure.
import { loadOrt } from './ortcheck.js';

const warmup = { maxSeconds: 2, maxRuns: 300, window: 5, settled: 0.05 };
const measure = { minSeconds: 0.1, minRuns: 10 };

/**
 * timeModel resolves with the median seconds of one run of the model.
 * @param {Uint8Array} bytes the ONNX file
 * @param {{name: string, shape: number[], data: Float32Array}[]} feeds
 */
export async function timeModel(bytes, feeds) {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  try {
    const inputs = Object.fromEntries(feeds.map((f) => [f.name, new ort.Tensor('float32', f.data, f.shape)]));
    const once = async () => {
      const t0 = performance.now();
      await session.run(inputs);
      return (performance.now() - t0) / 1000;
    };
    const times = [];
    const started = performance.now();
    let previous = Infinity;
    while (times.length < warmup.maxRuns && (performance.now() - started) / 1000 < warmup.maxSeconds) {
      times.push(await once());
      if (times.length % warmup.window === 0) {
        const m = median(times.slice(-warmup.window));
        if (Math.abs(m - previous) <= warmup.settled * m) break;
        previous = m;
      }
    }
    const runs = [];
    const t0 = performance.now();
    while (runs.length < measure.minRuns || (performance.now() - t0) / 1000 < measure.minSeconds) runs.push(await once());
    return median(runs);
  } finally {
    await session.release?.();
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
}
