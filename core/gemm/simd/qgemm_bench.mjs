// qgemm_bench.mjs: the integer GEMM (q16_pack + qgemm_block) against the
// float one (pack_b + sgemm_block) on the same shapes, in one kernel
// module, with the same float B (a quantized activation: step * code):
//
//   node core/gemm/simd/qgemm_bench.mjs                    # kernel.wasm (plain SIMD)
//   node --experimental-wasm-relaxed-simd core/gemm/simd/qgemm_bench.mjs relaxed
//
// Each line prints both times (the best of two 300 ms windows after 200
// warm-up calls), their ratio, and the largest difference of the results
// (the float product's rounding: the integer sums are exact).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const file = path.join(here, process.argv[2] === "relaxed" ? "kernel_relaxed.wasm" : "kernel.wasm");
const mem = new WebAssembly.Memory({ initial: 2048 });
const { instance } = await WebAssembly.instantiate(fs.readFileSync(file), { env: { mem } });
const k = instance.exports;
const f32 = new Float32Array(mem.buffer);
const i16 = new Int16Array(mem.buffer);
const bits = (x) => new Uint32Array(new Float32Array([x]).buffer)[0];

function run(m, K, n) {
  let off = 1 << 20;
  const take = (bytes) => { const at = off; off += (bytes + 63) & ~63; return at; };
  const pairs = Math.ceil(K / 2), panels = Math.ceil(n / 8);
  const A = take(m * K * 4), B = take(K * n * 4), PB = take(K * panels * 8 * 4);
  const C = take(m * n * 4), C2 = take(m * n * 4);
  const QA = take(Math.ceil(m / 4) * pairs * 16), QB = take(pairs * 32 * panels);
  const alpha = take((m + 4) * 4), tile = take(128);
  const step = 0.037, wstep = 0.011;
  const codesA = [];
  for (let r = 0; r < m; r++) for (let c = 0; c < K; c++) {
    const q = ((r * 7 + c * 13) % 15) - 7;
    codesA.push(q);
    f32[A / 4 + r * K + c] = Math.fround(q * wstep);
  }
  for (let r = 0; r < K; r++) for (let c = 0; c < n; c++) f32[B / 4 + r * n + c] = Math.fround(((r * 5 + c * 3) % 16) * step);
  // QuantA's strips: per 4 rows, per pair of k, four rows' two codes.
  for (let s = 0; s < Math.ceil(m / 4); s++) for (let p = 0; p < pairs; p++) for (let r = 0; r < 4; r++) for (let h = 0; h < 2; h++) {
    const row = s * 4 + r, col = 2 * p + h;
    i16[(QA + (s * pairs + p) * 16 + r * 4 + h * 2) / 2] = row < m && col < K ? codesA[row * K + col] : 0;
  }
  for (let r = 0; r < m + 4; r++) f32[alpha / 4 + r] = Math.fround(step * wstep);
  const floatGemm = () => { k.pack_b(PB, B, n, K, n); k.sgemm_block(A, K, PB, C, n, m, n, K, bits(1), bits(0), tile); };
  const intGemm = () => {
    k.pack_b(PB, B, n, K, n);
    if (!k.q16_pack(QB, PB, K, panels, bits(1 / step), bits(255))) throw new Error("q16_pack refused codes within the bound");
    k.qgemm_block(QA, QB, C2, n, m, n, pairs, alpha, 0, tile);
  };
  floatGemm(); intGemm();
  let diff = 0, peak = 0;
  for (let i = 0; i < m * n; i++) {
    diff = Math.max(diff, Math.abs(f32[C / 4 + i] - f32[C2 / 4 + i]));
    peak = Math.max(peak, Math.abs(f32[C / 4 + i]));
  }
  const time = (fn) => {
    for (let i = 0; i < 200; i++) fn();
    const t0 = performance.now();
    let calls = 0;
    while (performance.now() - t0 < 300) { fn(); calls++; }
    return ((performance.now() - t0) / calls) * 1000;
  };
  const tf = Math.min(time(floatGemm), time(floatGemm)), ti = Math.min(time(intGemm), time(intGemm));
  console.log(`m=${m} k=${K} n=${n}: float ${tf.toFixed(1)} us, integer ${ti.toFixed(1)} us, ratio ${(ti / tf).toFixed(3)}; largest difference ${diff.toExponential(2)} (largest value ${peak.toFixed(2)})`);
}

for (const [m, K, n] of [[64, 32, 256], [64, 64, 256], [128, 64, 256], [128, 128, 256], [32, 288, 256], [64, 576, 196], [61, 37, 250]]) run(m, K, n);
