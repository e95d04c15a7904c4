// Tests of the SIMD GEMM kernel modules alone, on a memory of their own
// (run: node --test core/gemm/simd/). The Go side is tested by
// core/gemm/sgemm_wasm_test.go under tools/wasmexec.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import v8 from "node:v8";

const plainBytes = fs.readFileSync(new URL("./kernel.wasm", import.meta.url));
const relaxedBytes = fs.readFileSync(new URL("./kernel_relaxed.wasm", import.meta.url));

// Node 20 validates relaxed SIMD only behind a V8 flag; Chromium does by
// default. Setting it before the first compile lets this file test both.
if (!WebAssembly.validate(relaxedBytes)) v8.setFlagsFromString("--experimental-wasm-relaxed-simd");

const PAGE = 65536;
const SENTINEL = -12345;

// A deterministic generator, so a failure reproduces.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 * 4 - 2;
  };
}

// A bump allocator over one Memory that re-reads mem.buffer on every use:
// a grown memory detaches old ArrayBuffers.
class Heap {
  constructor(memory, start = 64) {
    this.memory = memory;
    this.next = start;
  }
  alloc(floats) {
    const addr = this.next;
    this.next += Math.ceil((floats * 4 + 64) / 64) * 64; // 64 bytes apart: a guard gap
    const needPages = Math.ceil(this.next / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (needPages > 0) this.memory.grow(needPages);
    return addr;
  }
  f32(addr, floats) {
    return new Float32Array(this.memory.buffer, addr, floats);
  }
}

// packB lays out B (k x n, row-major, stride ldb) as the kernel wants it:
// ceil(n/8) panels of k rows of 8 floats, zero-padded past n.
function packB(b, ldb, k, n) {
  const panels = Math.ceil(n / 8);
  const out = new Float32Array(panels * k * 8);
  for (let t = 0; t < panels; t++)
    for (let p = 0; p < k; p++)
      for (let q = 0; q < 8; q++) {
        const j = t * 8 + q;
        out[(t * k + p) * 8 + q] = j < n ? b[p * ldb + j] : 0;
      }
  return out;
}

// runCase computes one GEMM with the kernel and checks it against a float64
// triple loop, that A and packed B are untouched, and that nothing outside
// C's m x n window (stride padding, guard words) changed.
function runCase(kernel, heap, { m, n, k, padA = 0, padC = 0, alpha = 1, beta = 0, seed = 1 }) {
  const next = rng(seed);
  const lda = k + padA, ldc = n + padC;
  const a = Float32Array.from({ length: m * lda }, next);
  const b = Float32Array.from({ length: k * n }, next);
  const c0 = Float32Array.from({ length: m * ldc }, (_, i) =>
    i % ldc >= n ? SENTINEL : beta === 0 ? NaN : next());
  const packed = packB(b, n, k, n);

  const aAddr = heap.alloc(a.length), bAddr = heap.alloc(packed.length);
  const cAddr = heap.alloc(c0.length + 2), tile = heap.alloc(32);
  heap.f32(aAddr, a.length).set(a);
  heap.f32(bAddr, packed.length).set(packed);
  const cView = heap.f32(cAddr, c0.length + 2);
  cView.set(c0, 1);
  cView[0] = SENTINEL;
  cView[c0.length + 1] = SENTINEL;

  const bits = (x) => new Int32Array(Float32Array.of(x).buffer)[0];
  kernel.sgemm_block(aAddr, lda, bAddr, cAddr + 4, ldc, m, n, k, bits(alpha), bits(beta), tile);

  const label = JSON.stringify({ m, n, k, padA, padC, alpha, beta });
  assert.deepEqual(heap.f32(aAddr, a.length), a, `${label}: A changed`);
  assert.deepEqual(heap.f32(bAddr, packed.length), packed, `${label}: packed B changed`);
  const c = heap.f32(cAddr, c0.length + 2);
  assert.equal(c[0], SENTINEL, `${label}: wrote before C`);
  assert.equal(c[c0.length + 1], SENTINEL, `${label}: wrote after C`);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < ldc; j++) {
      const got = c[1 + i * ldc + j];
      if (j >= n) {
        assert.equal(got, SENTINEL, `${label}: wrote C[${i}][${j}] in the stride padding`);
        continue;
      }
      let sum = 0, mag = 0;
      for (let p = 0; p < k; p++) {
        sum += a[i * lda + p] * b[p * n + j];
        mag += Math.abs(a[i * lda + p] * b[p * n + j]);
      }
      let want = alpha * sum;
      mag *= Math.abs(alpha);
      if (beta !== 0) {
        want += beta * c0[i * ldc + j];
        mag += Math.abs(beta * c0[i * ldc + j]);
      }
      assert.ok(Math.abs(got - want) <= 1e-5 * mag + 1e-6, `${label}: C[${i}][${j}] = ${got}, want ${want}`);
    }
}

const shapes = [
  [1, 1, 1], [4, 8, 1], [3, 5, 7], [4, 8, 16], [5, 9, 3], [7, 15, 2], [8, 16, 33],
  [13, 31, 17], [1, 64, 27], [64, 1, 27], [37, 41, 43],
];
const scalars = [[1, 0], [1, 1], [0.5, -2], [-1.5, 0.25], [0, 3]];

for (const [name, bytes] of [["kernel.wasm", plainBytes], ["kernel_relaxed.wasm", relaxedBytes]]) {
  test(`${name}: matches a float64 reference on edge and whole tiles`, (t) => {
    if (!WebAssembly.validate(bytes)) return t.skip("this node cannot validate it");
    const memory = new WebAssembly.Memory({ initial: 2 });
    const kernel = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: memory } }).exports;
    let seed = 1;
    for (const [m, n, k] of shapes)
      for (const [padA, padC] of [[0, 0], [3, 5]])
        for (const [alpha, beta] of scalars) {
          const heap = new Heap(memory); // reuse the same bytes for each case
          runCase(kernel, heap, { m, n, k, padA, padC, alpha, beta, seed: seed++ });
        }
  });

  test(`${name}: follows memory.grow of the memory it imports`, (t) => {
    if (!WebAssembly.validate(bytes)) return t.skip("this node cannot validate it");
    const memory = new WebAssembly.Memory({ initial: 1 });
    const kernel = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: memory } }).exports;
    const heap = new Heap(memory);
    runCase(kernel, heap, { m: 9, n: 17, k: 20, beta: 1, seed: 7 });
    // Operands past the module's instantiation-time size: the kernel must
    // reach the pages grown afterwards.
    heap.next = 5 * PAGE;
    runCase(kernel, heap, { m: 33, n: 40, k: 64, padC: 2, seed: 8 });
    assert.ok(memory.buffer.byteLength > 5 * PAGE, "memory did not grow");
  });

  test(`${name}: imports only Go's memory and exports the GEMM, convolution, training and fake-quant kernels`, (t) => {
    if (!WebAssembly.validate(bytes)) return t.skip("this node cannot validate it");
    const module = new WebAssembly.Module(bytes);
    assert.deepEqual(WebAssembly.Module.imports(module), [{ module: "env", name: "mem", kind: "memory" }]);
    assert.deepEqual(WebAssembly.Module.exports(module), [
      { name: "sgemm_block", kind: "function" },
      { name: "sgemm_shifted_a", kind: "function" },
      { name: "pack_b", kind: "function" },
      { name: "transpose", kind: "function" },
      { name: "depthwise3x3", kind: "function" },
      { name: "clamp", kind: "function" },
      { name: "im2col", kind: "function" },
      { name: "col2im", kind: "function" },
      { name: "im2col_panels", kind: "function" },
      { name: "bias_init", kind: "function" },
      { name: "gemv", kind: "function" },
      { name: "channel_moments", kind: "function" },
      { name: "channel_grad_sums", kind: "function" },
      { name: "channel_affine", kind: "function" },
      { name: "bn_input_grad", kind: "function" },
      { name: "relu_mask", kind: "function" },
      { name: "add", kind: "function" },
      { name: "clip", kind: "function" },
      { name: "clip_grad", kind: "function" },
      { name: "fake_quant", kind: "function" },
      { name: "maxpool", kind: "function" },
      { name: "act_grads", kind: "function" },
      { name: "qgemm_block", kind: "function" },
      { name: "q16_pack", kind: "function" },
      { name: "dw_weight_grad", kind: "function" },
    ]);
  });
}

for (const [name, bytes] of [["kernel.wasm", plainBytes], ["kernel_relaxed.wasm", relaxedBytes]]) {
  test(`${name}: pack_b lays out panels like the JS packer, and stays inside them`, (t) => {
    if (!WebAssembly.validate(bytes)) return t.skip("this node cannot validate it");
    const memory = new WebAssembly.Memory({ initial: 1 });
    const kernel = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: memory } }).exports;
    let seed = 100;
    for (const [k, n, pad] of [[1, 1, 0], [3, 8, 0], [5, 13, 2], [17, 16, 1], [9, 31, 0], [2, 7, 5]]) {
      const heap = new Heap(memory);
      const ldb = n + pad;
      const next = rng(seed++);
      const b = Float32Array.from({ length: k * ldb }, next);
      const want = packB(b, ldb, k, n);
      const bAddr = heap.alloc(b.length), dst = heap.alloc(want.length + 2);
      heap.f32(bAddr, b.length).set(b);
      const out = heap.f32(dst, want.length + 2);
      out.fill(NaN); // the zero padding must really be written
      out[0] = SENTINEL;
      out[want.length + 1] = SENTINEL;
      kernel.pack_b(dst + 4, bAddr, ldb, k, n);
      const got = heap.f32(dst, want.length + 2);
      const label = JSON.stringify({ k, n, pad });
      assert.deepEqual(got.subarray(1, want.length + 1), want, `${label}: panels differ`);
      assert.equal(got[0], SENTINEL, `${label}: wrote before the panels`);
      assert.equal(got[want.length + 1], SENTINEL, `${label}: wrote after the panels`);
      assert.deepEqual(heap.f32(bAddr, b.length), b, `${label}: B changed`);
    }
  });
}

test("transpose writes exactly the transposed window", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const kernel = new WebAssembly.Instance(new WebAssembly.Module(plainBytes), { env: { mem: memory } }).exports;
  let seed = 200;
  for (const [rows, cols, lds, ldd] of [[1, 1, 1, 1], [3, 5, 5, 3], [4, 7, 9, 6], [8, 33, 40, 8], [17, 2, 2, 20], [6, 10, 12, 7], [13, 9, 9, 16], [16, 16, 16, 16]]) {
    const heap = new Heap(memory);
    const next = rng(seed++);
    const src = Float32Array.from({ length: rows * lds }, next);
    const dstLen = (cols - 1) * ldd + rows;
    const srcAddr = heap.alloc(src.length), dst = heap.alloc(dstLen + 2);
    heap.f32(srcAddr, src.length).set(src);
    heap.f32(dst, dstLen + 2).fill(SENTINEL);
    kernel.transpose(dst + 4, ldd, srcAddr, lds, rows, cols);
    const got = heap.f32(dst, dstLen + 2);
    const label = JSON.stringify({ rows, cols, lds, ldd });
    assert.equal(got[0], SENTINEL, `${label}: wrote before dst`);
    assert.equal(got[dstLen + 1], SENTINEL, `${label}: wrote after dst`);
    for (let j = 0; j < cols; j++)
      for (let i = 0; i < ldd && j * ldd + i < dstLen; i++) {
        const want = i < rows ? src[i * lds + j] : SENTINEL; // stride padding untouched
        assert.equal(got[1 + j * ldd + i], want, `${label}: dst[${j}][${i}]`);
      }
  }
});

test("kernel.wasm uses no relaxed SIMD (it must run where relaxed is unavailable)", () => {
  // 0xfd 0x85 0x02 is f32x4.relaxed_madd; the plain kernel must not contain it.
  const hex = Buffer.from(plainBytes).toString("hex");
  assert.ok(!hex.includes("fd8502"), "kernel.wasm contains f32x4.relaxed_madd");
  assert.ok(Buffer.from(relaxedBytes).toString("hex").includes("fd8502"), "kernel_relaxed.wasm lacks f32x4.relaxed_madd");
});

const f32bits = (x) => new Int32Array(Float32Array.of(x).buffer)[0];

// depthwiseRef is the definition: y + the in-image taps, clamped.
function depthwiseRef(y, x, w, c, inH, inW, outH, outW, sH, sW, padT, padL, lo, hi) {
  const out = Float32Array.from(y);
  for (let ch = 0; ch < c; ch++)
    for (let oh = 0; oh < outH; oh++)
      for (let ow = 0; ow < outW; ow++) {
        let acc = out[(ch * outH + oh) * outW + ow];
        for (let kh = 0; kh < 3; kh++)
          for (let kw = 0; kw < 3; kw++) {
            const ih = oh * sH - padT + kh, iw = ow * sW - padL + kw;
            if (ih >= 0 && ih < inH && iw >= 0 && iw < inW) acc += w[ch * 9 + kh * 3 + kw] * x[(ch * inH + ih) * inW + iw];
          }
        out[(ch * outH + oh) * outW + ow] = Math.min(Math.max(acc, lo), hi);
      }
  return out;
}

test("depthwise3x3 matches the definition and writes only y", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const kernel = new WebAssembly.Instance(new WebAssembly.Module(plainBytes), { env: { mem: memory } }).exports;
  let seed = 300;
  // c, inH, inW, sH, sW, pads top, left, bottom, right
  for (const [c, inH, inW, sH, sW, pt, pl, pb, pr] of [
    [1, 1, 1, 1, 1, 1, 1, 1, 1], [2, 5, 8, 1, 1, 1, 1, 1, 1], [2, 7, 9, 1, 1, 0, 0, 0, 0], [3, 9, 13, 2, 2, 1, 1, 1, 1],
    [2, 8, 8, 2, 2, 0, 0, 1, 1], [2, 6, 19, 3, 2, 1, 0, 1, 2], [1, 4, 2, 1, 2, 1, 1, 1, 1], [2, 10, 11, 1, 1, 2, 2, 2, 2],
  ]) {
    const outH = Math.floor((inH + pt + pb - 3) / sH) + 1, outW = Math.floor((inW + pl + pr - 3) / sW) + 1;
    // The interior: outputs whose three taps are inside the row.
    let colLo = 0;
    while (colLo < outW && colLo * sW - pl < 0) colLo++;
    let colHi = colLo;
    while (colHi < outW && colHi * sW - pl + 2 < inW) colHi++;
    const heap = new Heap(memory);
    const next = rng(seed++);
    const x = Float32Array.from({ length: c * inH * inW }, next);
    const w = Float32Array.from({ length: c * 9 }, next);
    const y0 = Float32Array.from({ length: c * outH * outW }, next);
    const [lo, hi] = [-0.5, 1.25];
    const want = depthwiseRef(y0, x, w, c, inH, inW, outH, outW, sH, sW, pt, pl, lo, hi);
    const xAddr = heap.alloc(x.length), wAddr = heap.alloc(w.length), zeros = heap.alloc(inW);
    const yAddr = heap.alloc(y0.length + 2);
    heap.f32(xAddr, x.length).set(x);
    heap.f32(wAddr, w.length).set(w);
    heap.f32(zeros, inW).fill(0);
    const yView = heap.f32(yAddr, y0.length + 2);
    yView.set(y0, 1);
    yView[0] = SENTINEL;
    yView[y0.length + 1] = SENTINEL;
    kernel.depthwise3x3(yAddr + 4, xAddr, wAddr, zeros, c, inH, inW, outH, outW, sH, sW, pt, pl, colLo, colHi, f32bits(lo), f32bits(hi));
    const got = heap.f32(yAddr, y0.length + 2);
    const label = JSON.stringify({ c, inH, inW, sH, sW, pt, pl, pb, pr });
    assert.equal(got[0], SENTINEL, `${label}: wrote before y`);
    assert.equal(got[y0.length + 1], SENTINEL, `${label}: wrote after y`);
    for (let i = 0; i < want.length; i++)
      assert.ok(Math.abs(got[i + 1] - want[i]) <= 1e-5 * (1 + Math.abs(want[i])), `${label}: y[${i}] = ${got[i + 1]}, want ${want[i]}`);
    assert.deepEqual(heap.f32(xAddr, x.length), x, `${label}: x changed`);
  }
});

test("clamp limits exactly n floats, vector body and tail", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const kernel = new WebAssembly.Instance(new WebAssembly.Module(plainBytes), { env: { mem: memory } }).exports;
  for (const n of [1, 3, 4, 5, 8, 31, 64]) {
    const heap = new Heap(memory);
    const v = Float32Array.from({ length: n }, rng(n));
    v[0] = -0;
    const addr = heap.alloc(n + 2);
    const view = heap.f32(addr, n + 2);
    view.set(v, 1);
    view[0] = SENTINEL;
    view[n + 1] = SENTINEL;
    kernel.clamp(addr + 4, n, f32bits(0), f32bits(6));
    const got = heap.f32(addr, n + 2);
    assert.equal(got[0], SENTINEL);
    assert.equal(got[n + 1], SENTINEL);
    for (let i = 0; i < n; i++) assert.ok(Object.is(got[i + 1], Math.min(Math.max(v[i], 0), 6) + 0), `n=${n}: v[${i}] = ${got[i + 1]}`);
  }
});

test("im2col writes exactly the unrolled windows", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const kernel = new WebAssembly.Instance(new WebAssembly.Module(plainBytes), { env: { mem: memory } }).exports;
  let seed = 400;
  // c, inH, inW, kH, kW, sH, sW, pads t l b r, dilH, dilW
  for (const [c, inH, inW, kH, kW, sH, sW, pt, pl, pb, pr, dH, dW] of [
    [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1], [2, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1], [2, 16, 16, 3, 3, 2, 2, 0, 0, 1, 1, 1, 1],
    [1, 17, 19, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1], [2, 9, 23, 3, 5, 1, 2, 2, 3, 0, 1, 1, 1], [1, 10, 12, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2],
    [1, 3, 2, 5, 5, 1, 1, 4, 4, 4, 4, 1, 1], [2, 12, 12, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1],
  ]) {
    const outH = Math.floor((inH + pt + pb - ((kH - 1) * dH + 1)) / sH) + 1;
    const outW = Math.floor((inW + pl + pr - ((kW - 1) * dW + 1)) / sW) + 1;
    const next = rng(seed++);
    const img = Float32Array.from({ length: c * inH * inW }, next);
    const want = new Float32Array(c * kH * kW * outH * outW);
    let r = 0;
    for (let ch = 0; ch < c; ch++)
      for (let kh = 0; kh < kH; kh++)
        for (let kw = 0; kw < kW; kw++, r++)
          for (let oh = 0; oh < outH; oh++)
            for (let ow = 0; ow < outW; ow++) {
              const ih = oh * sH - pt + kh * dH, iw = ow * sW - pl + kw * dW;
              want[(r * outH + oh) * outW + ow] = ih >= 0 && ih < inH && iw >= 0 && iw < inW ? img[(ch * inH + ih) * inW + iw] : 0;
            }
    const heap = new Heap(memory);
    const imgAddr = heap.alloc(img.length), colAddr = heap.alloc(want.length + 2);
    heap.f32(imgAddr, img.length).set(img);
    heap.f32(colAddr, want.length + 2).fill(SENTINEL); // stale contents, and guards
    kernel.im2col(colAddr + 4, imgAddr, c, inH, inW, outH, outW, kH, kW, sH, sW, pt, pl, dH, dW);
    const got = heap.f32(colAddr, want.length + 2);
    const label = JSON.stringify({ c, inH, inW, kH, kW, sH, sW, pt, pl, dH, dW });
    assert.equal(got[0], SENTINEL, `${label}: wrote before col`);
    assert.equal(got[want.length + 1], SENTINEL, `${label}: wrote after col`);
    assert.deepEqual(got.subarray(1, want.length + 1), want, `${label}: col differs`);
  }
});

test("bias_init fills each plane with its bias, plus the source when asked", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const kernel = new WebAssembly.Instance(new WebAssembly.Module(plainBytes), { env: { mem: memory } }).exports;
  for (const plane of [1, 3, 4, 7, 49]) {
    for (const hasSrc of [0, 1]) {
      const channels = 3, n = channels * plane;
      const next = rng(500 + plane);
      const bias = Float32Array.from({ length: channels }, next);
      const src = Float32Array.from({ length: n }, next);
      const heap = new Heap(memory);
      const bAddr = heap.alloc(channels), sAddr = heap.alloc(n), yAddr = heap.alloc(n + 2);
      heap.f32(bAddr, channels).set(bias);
      heap.f32(sAddr, n).set(src);
      heap.f32(yAddr, n + 2).fill(SENTINEL);
      kernel.bias_init(yAddr + 4, sAddr, bAddr, channels, plane, hasSrc);
      const got = heap.f32(yAddr, n + 2);
      assert.equal(got[0], SENTINEL);
      assert.equal(got[n + 1], SENTINEL);
      for (let i = 0; i < n; i++) {
        const want = Math.fround(bias[Math.floor(i / plane)] + (hasSrc ? src[i] : 0));
        assert.equal(got[i + 1], want, `plane ${plane} hasSrc ${hasSrc}: y[${i}]`);
      }
    }
  }
});

test("gemv computes one row of alpha*a*op(B) + beta*y in both layouts", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const kernel = new WebAssembly.Instance(new WebAssembly.Module(plainBytes), { env: { mem: memory } }).exports;
  for (const [n, k, pad] of [[1, 1, 0], [7, 3, 2], [8, 16, 0], [13, 9, 1], [33, 70, 3]]) {
    for (const transB of [0, 1]) {
      for (const [alpha, beta] of [[1, 0], [0.5, -2]]) {
        const next = rng(600 + n * k);
        const ldb = (transB ? k : n) + pad, rows = transB ? n : k;
        const a = Float32Array.from({ length: k }, next), b = Float32Array.from({ length: rows * ldb }, next);
        const y0 = Float32Array.from({ length: n }, () => (beta === 0 ? NaN : next()));
        const heap = new Heap(memory);
        const aAddr = heap.alloc(k), bAddr = heap.alloc(b.length), yAddr = heap.alloc(n + 2);
        heap.f32(aAddr, k).set(a);
        heap.f32(bAddr, b.length).set(b);
        const view = heap.f32(yAddr, n + 2);
        view.set(y0, 1);
        view[0] = SENTINEL;
        view[n + 1] = SENTINEL;
        kernel.gemv(yAddr + 4, aAddr, bAddr, ldb, n, k, transB, f32bits(alpha), f32bits(beta));
        const got = heap.f32(yAddr, n + 2);
        const label = JSON.stringify({ n, k, pad, transB, alpha, beta });
        assert.equal(got[0], SENTINEL, `${label}: wrote before y`);
        assert.equal(got[n + 1], SENTINEL, `${label}: wrote after y`);
        for (let j = 0; j < n; j++) {
          let sum = 0, mag = 0;
          for (let p = 0; p < k; p++) {
            const v = a[p] * (transB ? b[j * ldb + p] : b[p * ldb + j]);
            sum += v;
            mag += Math.abs(v);
          }
          const want = alpha * sum + (beta === 0 ? 0 : beta * y0[j]);
          assert.ok(Math.abs(got[j + 1] - want) <= 1e-5 * (mag + Math.abs(beta * (y0[j] || 0))) + 1e-6, `${label}: y[${j}] = ${got[j + 1]}, want ${want}`);
        }
      }
    }
  }
});

// The training passes (channel_moments ... add) must equal core/nn's Go
// code bit for bit; these references follow that code's order of float32
// (Math.fround) and float64 operations exactly.

// goPlaneSums mirrors core/nn's planeMoments/planeGradSums: blocks of 256
// values summed in four float32 lanes (tail into lane 0), each block
// flushed into float64 as float64(l0+l1) + float64(l2+l3).
function goPlaneSums(n, term) {
  let total = 0;
  for (let start = 0; start < n; start += 256) {
    const len = Math.min(256, n - start);
    const lanes = [0, 0, 0, 0];
    let i = 0;
    for (; i + 4 <= len; i += 4) for (let j = 0; j < 4; j++) lanes[j] = Math.fround(lanes[j] + term(start + i + j));
    for (; i < len; i++) lanes[0] = Math.fround(lanes[0] + term(start + i));
    total += Math.fround(lanes[0] + lanes[1]) + Math.fround(lanes[2] + lanes[3]);
  }
  return total;
}

function trainKernel() {
  const memory = new WebAssembly.Memory({ initial: 1 });
  return [new WebAssembly.Instance(new WebAssembly.Module(plainBytes), { env: { mem: memory } }).exports, memory];
}

function f64(heap, addr, n) {
  return new Float64Array(heap.memory.buffer, addr, n);
}

const trainShapes = [[1, 1, 1], [1, 1, 3], [2, 3, 5], [1, 2, 8], [2, 2, 257], [1, 1, 515]];

test("channel_moments and channel_grad_sums sum in Go's exact order and write only out", () => {
  for (const [batch, channels, plane] of trainShapes) {
    const [kernel, memory] = trainKernel();
    const heap = new Heap(memory);
    const next = rng(600 + plane);
    const count = batch * channels * plane;
    const x = Float32Array.from({ length: count }, () => next() + 0.5);
    const g = Float32Array.from({ length: count }, next);
    const mean = Float32Array.from({ length: channels }, next);
    const inv = Float32Array.from({ length: channels }, () => 1 + next() / 4);
    const xA = heap.alloc(count), gA = heap.alloc(count), meanA = heap.alloc(channels), invA = heap.alloc(channels);
    heap.f32(xA, count).set(x);
    heap.f32(gA, count).set(g);
    heap.f32(meanA, channels).set(mean);
    heap.f32(invA, channels).set(inv);
    const momA = heap.alloc(4 * channels + 4), sumsA = heap.alloc(4 * channels + 4);
    f64(heap, momA, 2 * channels + 2).fill(SENTINEL);
    f64(heap, sumsA, 2 * channels + 2).fill(SENTINEL);
    kernel.channel_moments(momA + 8, xA, batch, channels, plane);
    kernel.channel_grad_sums(sumsA + 8, gA, xA, meanA, invA, batch, channels, plane);
    const mom = f64(heap, momA, 2 * channels + 2), sums = f64(heap, sumsA, 2 * channels + 2);
    const label = `${batch}x${channels}x${plane}`;
    for (const arr of [mom, sums]) {
      assert.equal(arr[0], SENTINEL, `${label}: wrote before out`);
      assert.equal(arr[2 * channels + 1], SENTINEL, `${label}: wrote after out`);
    }
    for (let c = 0; c < channels; c++) {
      let sum = 0, sumSq = 0, sumG = 0, sumGX = 0;
      for (let b = 0; b < batch; b++) {
        const row = (b * channels + c) * plane;
        sum += goPlaneSums(plane, (i) => x[row + i]);
        sumSq += goPlaneSums(plane, (i) => Math.fround(x[row + i] * x[row + i]));
        sumG += goPlaneSums(plane, (i) => g[row + i]);
        sumGX += goPlaneSums(plane, (i) => Math.fround(g[row + i] * Math.fround(x[row + i] - mean[c]))) * inv[c];
      }
      assert.deepEqual([mom[1 + 2 * c], mom[2 + 2 * c]], [sum, sumSq], `${label}: moments of channel ${c}`);
      assert.deepEqual([sums[1 + 2 * c], sums[2 + 2 * c]], [sumG, sumGX], `${label}: grad sums of channel ${c}`);
    }
  }
});

// goRelu is core/nn's reluBits: clear every bit when the sign bit is set.
function goRelu(v) {
  const bits = new Int32Array(Float32Array.of(v).buffer)[0];
  return bits < 0 ? 0 : v;
}

test("channel_affine and bn_input_grad compute Go's expressions per channel and write only y", () => {
  for (const [batch, channels, plane] of trainShapes) {
    for (const relu of [0, 1]) {
      const [kernel, memory] = trainKernel();
      const heap = new Heap(memory);
      const next = rng(700 + plane + relu);
      const count = batch * channels * plane;
      const vec = (n) => Float32Array.from({ length: n }, next);
      const x = vec(count), g = vec(count);
      x[0] = -0;
      const [scale, shift, mean, inv, k, meanG, meanGX] = Array.from({ length: 7 }, () => vec(channels));
      const put = (arr) => {
        const a = heap.alloc(arr.length);
        heap.f32(a, arr.length).set(arr);
        return a;
      };
      const [xA, gA, scaleA, shiftA, meanA, invA, kA, meanGA, meanGXA] = [x, g, scale, shift, mean, inv, k, meanG, meanGX].map(put);
      const yA = heap.alloc(count + 2), dA = heap.alloc(count + 2);
      heap.f32(yA, count + 2).fill(SENTINEL);
      heap.f32(dA, count + 2).fill(SENTINEL);
      kernel.channel_affine(yA + 4, xA, scaleA, shiftA, batch, channels, plane, relu);
      kernel.bn_input_grad(dA + 4, gA, xA, meanA, invA, kA, meanGA, meanGXA, batch, channels, plane);
      const y = heap.f32(yA, count + 2), d = heap.f32(dA, count + 2);
      const label = `${batch}x${channels}x${plane} relu ${relu}`;
      for (const arr of [y, d]) {
        assert.equal(arr[0], SENTINEL, `${label}: wrote before the output`);
        assert.equal(arr[count + 1], SENTINEL, `${label}: wrote after the output`);
      }
      const fr = Math.fround;
      for (let i = 0; i < count; i++) {
        const c = Math.floor(i / plane) % channels;
        const affine = fr(fr(x[i] * scale[c]) + shift[c]);
        assert.ok(Object.is(y[i + 1], relu ? goRelu(affine) : affine), `${label}: y[${i}] = ${y[i + 1]}, want ${affine}`);
        const xhat = fr(fr(x[i] - mean[c]) * inv[c]);
        const want = fr(k[c] * fr(fr(g[i] - meanG[c]) - fr(xhat * meanGX[c])));
        assert.ok(Object.is(d[i + 1], want), `${label}: dx[${i}] = ${d[i + 1]}, want ${want}`);
      }
    }
  }
});

test("relu_mask and add handle vector bodies and tails, in place too, and write only n floats", () => {
  for (const n of [0, 1, 3, 4, 5, 8, 31, 33]) {
    const [kernel, memory] = trainKernel();
    const heap = new Heap(memory);
    const next = rng(800 + n);
    const g = Float32Array.from({ length: n }, next), a = Float32Array.from({ length: n }, next), b = Float32Array.from({ length: n }, next);
    const y = Float32Array.from({ length: n }, () => Math.max(next(), 0));
    if (n > 1) { a[1] = -0; b[1] = -0; } // -0 + -0 = -0, which the relu makes +0
    const put = (arr) => {
      const p = heap.alloc(arr.length + 2);
      const view = heap.f32(p, arr.length + 2);
      view.fill(SENTINEL);
      view.set(arr, 1);
      return p + 4;
    };
    const [gA, yA, aA, bA] = [g, y, a, b].map(put);
    const outs = [put(new Float32Array(n)), put(new Float32Array(n)), put(new Float32Array(n))];
    kernel.relu_mask(outs[0], gA, yA, n);
    kernel.add(outs[1], aA, bA, n, 0);
    kernel.add(outs[2], aA, bA, n, 1);
    kernel.relu_mask(gA, gA, yA, n); // in place: d is g
    kernel.add(aA, aA, bA, n, 0); // in place: y is a
    const wants = [
      Array.from(g, (v, i) => (y[i] !== 0 ? v : 0)),
      Array.from(a, (v, i) => Math.fround(v + b[i])),
      Array.from(a, (v, i) => goRelu(Math.fround(v + b[i]))),
    ];
    for (const [p, want, what] of [[outs[0], wants[0], "relu_mask"], [outs[1], wants[1], "add"], [outs[2], wants[2], "add relu"],
      [gA, wants[0], "relu_mask in place"], [aA, wants[1], "add in place"]]) {
      const got = heap.f32(p - 4, n + 2);
      assert.equal(got[0], SENTINEL, `n=${n} ${what}: wrote before`);
      assert.equal(got[n + 1], SENTINEL, `n=${n} ${what}: wrote after`);
      for (let i = 0; i < n; i++) assert.ok(Object.is(got[i + 1], want[i]), `n=${n} ${what}: [${i}] = ${got[i + 1]}, want ${want[i]}`);
    }
  }
});
