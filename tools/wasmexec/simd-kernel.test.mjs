// Tests of www/js/simd-kernel.js, the host-side provider of the pare_gemm
// import, against a stand-in for Go's instance (an object with exports.mem).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import v8 from "node:v8";
import { provideSimdKernel, SIMD_IMPORT_MODULE } from "../../www/js/simd-kernel.js";

const simd = fs.readFileSync(new URL("../../core/gemm/simd/kernel.wasm", import.meta.url));
const relaxed = fs.readFileSync(new URL("../../core/gemm/simd/kernel_relaxed.wasm", import.meta.url));
const relaxedByDefault = WebAssembly.validate(relaxed);

function fakeGo() {
  return { exports: { mem: new WebAssembly.Memory({ initial: 1 }) } };
}

test("mode off supplies a stub that reports no kernel", () => {
  const imports = {};
  const handle = provideSimdKernel(imports, { simd, relaxed, mode: "off" });
  assert.equal(handle.kind, "none");
  handle.attach(fakeGo());
  assert.equal(imports[SIMD_IMPORT_MODULE].kernel_kind(), 0);
  assert.throws(() => imports[SIMD_IMPORT_MODULE].sgemm_block(0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0), /no kernel/);
  assert.throws(() => imports[SIMD_IMPORT_MODULE].clamp(0, 1, 0, 0), /no kernel/);
  assert.throws(() => imports[SIMD_IMPORT_MODULE].depthwise3x3(0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0), /no kernel/);
});

test("no kernel bytes supplies the stub: Go still instantiates and uses pure Go", () => {
  const imports = {};
  const handle = provideSimdKernel(imports);
  assert.equal(handle.kind, "none");
  assert.equal(typeof imports.pare_gemm.kernel_kind, "function");
  assert.equal(typeof imports.pare_gemm.sgemm_block, "function");
  assert.equal(imports.pare_gemm.kernel_kind(), 0);
});

test("before attach the kernel reports none; after, the kind chosen", () => {
  const imports = {};
  const handle = provideSimdKernel(imports, { simd, relaxed: relaxedByDefault ? relaxed : null });
  assert.equal(handle.kind, relaxedByDefault ? "relaxed" : "simd");
  assert.equal(imports.pare_gemm.kernel_kind(), 0, "no memory yet: must not claim a kernel");
  handle.attach(fakeGo());
  assert.equal(imports.pare_gemm.kernel_kind(), relaxedByDefault ? 2 : 1);
});

test("the trampoline computes in the attached instance's memory, across growth", () => {
  const imports = {};
  const handle = provideSimdKernel(imports, { simd, mode: "simd" });
  const go = fakeGo();
  handle.attach(go);
  assert.equal(imports.pare_gemm.kernel_kind(), 1);
  go.exports.mem.grow(1); // Go grows its memory: old buffers detach
  const f = new Float32Array(go.exports.mem.buffer);
  const a = 70000 / 4, b = a + 16, c = b + 64, tile = c + 32; // float indices in page 2
  f.set([1, 2, 3, 4], a); // A is 1 x 4
  for (let p = 0; p < 4; p++) f[b + p * 8] = p + 1; // packed B: column 0 = 1..4
  const one = new Int32Array(Float32Array.of(1).buffer)[0];
  imports.pare_gemm.sgemm_block(a * 4, 4, b * 4, c * 4, 1, 1, 1, 4, one, 0, tile * 4);
  assert.equal(new Float32Array(go.exports.mem.buffer)[c], 1 + 4 + 9 + 16);
  // clamp, in the grown page too.
  const p = tile + 32;
  new Float32Array(go.exports.mem.buffer).set([-3, 2, 9, 5, -1], p);
  imports.pare_gemm.clamp(p * 4, 5, 0, new Int32Array(Float32Array.of(6).buffer)[0]);
  assert.deepEqual([...new Float32Array(go.exports.mem.buffer, p * 4, 5)], [0, 2, 6, 5, 0]);
});

test("relaxed is chosen in auto mode when the host validates it", () => {
  v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  if (!WebAssembly.validate(relaxed)) return; // this node lacks the flag entirely
  const imports = {};
  const handle = provideSimdKernel(imports, { simd, relaxed });
  assert.equal(handle.kind, "relaxed");
  handle.attach(fakeGo());
  assert.equal(imports.pare_gemm.kernel_kind(), 2);
  assert.equal(provideSimdKernel({}, { simd, relaxed, mode: "simd" }).kind, "simd");
});

test("bad options and a bad attach fail with a message saying what to do", () => {
  assert.throws(() => provideSimdKernel({}, { mode: "fast" }), /unknown mode "fast"/);
  assert.throws(() => provideSimdKernel({}, { mode: "relaxed", relaxed: null }), /cannot validate/);
  assert.throws(() => provideSimdKernel({}, { mode: "simd", simd: new Uint8Array([1, 2, 3]) }), /cannot validate/);
  assert.throws(() => provideSimdKernel({}, { simd }).attach({}), /exports\.mem/);
});
