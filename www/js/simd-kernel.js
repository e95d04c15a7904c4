// simd-kernel.js: supplies the "pare_gemm" import that every Go wasm build of
// Pare needs, backed by the WebAssembly SIMD GEMM kernel when the host can run
// it and by a stub that sends Go to its pure-Go kernel when it cannot.
//
// Go declares the kernel with //go:wasmimport, so the import is part of the Go
// module: without it the Go module does not even instantiate. Every host (the
// browser worker, the node test runner tools/wasmexec, the CLI under node)
// therefore calls provideSimdKernel before instantiating Go, and attach after:
//
//   import { provideSimdKernel, fetchSimdKernels } from "./js/simd-kernel.js";
//   const go = new Go();
//   const simd = provideSimdKernel(go.importObject, await fetchSimdKernels("."));
//   const { instance } = await WebAssembly.instantiate(goBytes, go.importObject);
//   simd.attach(instance);
//   await go.run(instance);
//
// The kernel imports Go's own memory and works on Go's slices in place. Nothing
// here keeps mem.buffer: Go grows its memory, which detaches old buffers, and
// the kernel instance shares the same Memory object so it always sees the
// current size. The contract is documented in core/gemm/doc_wasm.md.

/** The import module name Go's //go:wasmimport directives use. */
export const SIMD_IMPORT_MODULE = "pare_gemm";

/** Kernel kinds as reported to Go by pare_gemm.kernel_kind. */
export const KERNEL_NONE = 0;
export const KERNEL_SIMD = 1;
export const KERNEL_RELAXED = 2;

const kindNames = ["none", "simd", "relaxed"];

/**
 * fetchSimdKernels loads kernel.wasm and kernel_relaxed.wasm from baseURL (the
 * build copies them from core/gemm/simd/). A missing file yields null for that
 * kernel, so the page still runs on pure Go.
 * @param {string|URL} baseURL directory URL holding the two .wasm files
 * @returns {Promise<{simd: ArrayBuffer|null, relaxed: ArrayBuffer|null}>}
 */
export async function fetchSimdKernels(baseURL) {
  const base = new URL(String(baseURL).replace(/\/?$/, "/"), globalThis.location?.href);
  const get = async (name) => {
    try {
      const response = await fetch(new URL(name, base));
      return response.ok ? await response.arrayBuffer() : null;
    } catch {
      return null;
    }
  };
  const [simd, relaxed] = await Promise.all([get("kernel.wasm"), get("kernel_relaxed.wasm")]);
  return { simd, relaxed };
}

/**
 * provideSimdKernel adds importObject.pare_gemm and returns a handle whose
 * attach(goInstance) binds the kernel to Go's memory once Go is instantiated.
 *
 * @param {object} importObject Go's importObject (new Go().importObject)
 * @param {object} [options]
 * @param {BufferSource|null} [options.simd] bytes of kernel.wasm
 * @param {BufferSource|null} [options.relaxed] bytes of kernel_relaxed.wasm
 * @param {string} [options.mode] "auto" (default: relaxed if the host validates
 *   it, else simd, else none), "relaxed", "simd", or "off" (always pure Go)
 * @returns {{kind: string, attach(instance: WebAssembly.Instance): void}}
 *   kind is "relaxed", "simd" or "none": what Go will be told.
 */
export function provideSimdKernel(importObject, options = {}) {
  const mode = options.mode || "auto";
  if (!["auto", "relaxed", "simd", "off"].includes(mode)) {
    throw new Error(`simd-kernel: unknown mode "${mode}": use auto, relaxed, simd or off`);
  }
  const usable = (bytes) => bytes != null && WebAssembly.validate(bytes);

  let kind = KERNEL_NONE;
  let bytes = null;
  if ((mode === "auto" || mode === "relaxed") && usable(options.relaxed)) {
    kind = KERNEL_RELAXED;
    bytes = options.relaxed;
  } else if ((mode === "auto" || mode === "simd") && usable(options.simd)) {
    kind = KERNEL_SIMD;
    bytes = options.simd;
  } else if (mode === "relaxed" || mode === "simd") {
    throw new Error(`simd-kernel: mode "${mode}" asked for, but this host cannot validate that kernel` +
      (mode === "relaxed" ? " (node 20 needs --experimental-wasm-relaxed-simd)" : ""));
  }
  // Small modules (about 7 KB) compile synchronously even on a page's main thread.
  const module = bytes ? new WebAssembly.Module(bytes) : null;

  let memory = null;
  let kernel = null;
  const bind = () => {
    if (!kernel && module && memory) {
      kernel = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
    }
    return kernel;
  };

  importObject[SIMD_IMPORT_MODULE] = {
    // Called once by Go at package init. Binding happens here, lazily, because
    // Go's memory exists only after Go is instantiated; a host that forgot
    // attach gets 0 and a working pure-Go build rather than a crash.
    kernel_kind: () => (bind() ? kind : KERNEL_NONE),
    sgemm_block: (a, lda, b, c, ldc, m, n, k, alphaBits, betaBits, tile) => {
      if (!kernel) throw new Error("simd-kernel: sgemm_block called but kernel_kind reported no kernel");
      kernel.sgemm_block(a, lda, b, c, ldc, m, n, k, alphaBits, betaBits, tile);
    },
    sgemm_shifted_a: (a, offs, width, gapBytes, first, b, c, ldc, m, n, k, alphaBits, betaBits, tile) => {
      if (!kernel) throw new Error("simd-kernel: sgemm_shifted_a called but kernel_kind reported no kernel");
      kernel.sgemm_shifted_a(a, offs, width, gapBytes, first, b, c, ldc, m, n, k, alphaBits, betaBits, tile);
    },
    gemv: (y, a, b, ldb, n, k, transB, alphaBits, betaBits) => {
      if (!kernel) throw new Error("simd-kernel: gemv called but kernel_kind reported no kernel");
      kernel.gemv(y, a, b, ldb, n, k, transB, alphaBits, betaBits);
    },
    pack_b: (dst, b, ldb, k, n) => {
      if (!kernel) throw new Error("simd-kernel: pack_b called but kernel_kind reported no kernel");
      kernel.pack_b(dst, b, ldb, k, n);
    },
    transpose: (dst, ldd, src, lds, rows, cols) => {
      if (!kernel) throw new Error("simd-kernel: transpose called but kernel_kind reported no kernel");
      kernel.transpose(dst, ldd, src, lds, rows, cols);
    },
    im2col_panels: (dst, img, imgBytes, rows, kb, j0, nb, inH, inW, outW, strideH, strideW) => {
      if (!kernel) throw new Error("simd-kernel: im2col_panels called but kernel_kind reported no kernel");
      kernel.im2col_panels(dst, img, imgBytes, rows, kb, j0, nb, inH, inW, outW, strideH, strideW);
    },
    depthwise3x3: (y, x, w, zeros, channels, inH, inW, outH, outW, strideH, strideW, padT, padL, colLo, colHi, loBits, hiBits) => {
      if (!kernel) throw new Error("simd-kernel: depthwise3x3 called but kernel_kind reported no kernel");
      kernel.depthwise3x3(y, x, w, zeros, channels, inH, inW, outH, outW, strideH, strideW, padT, padL, colLo, colHi, loBits, hiBits);
    },
    im2col: (col, img, channels, inH, inW, outH, outW, kH, kW, strideH, strideW, padT, padL, dilH, dilW) => {
      if (!kernel) throw new Error("simd-kernel: im2col called but kernel_kind reported no kernel");
      kernel.im2col(col, img, channels, inH, inW, outH, outW, kH, kW, strideH, strideW, padT, padL, dilH, dilW);
    },
    bias_init: (y, src, bias, channels, plane, hasSrc) => {
      if (!kernel) throw new Error("simd-kernel: bias_init called but kernel_kind reported no kernel");
      kernel.bias_init(y, src, bias, channels, plane, hasSrc);
    },
    clamp: (p, n, loBits, hiBits) => {
      if (!kernel) throw new Error("simd-kernel: clamp called but kernel_kind reported no kernel");
      kernel.clamp(p, n, loBits, hiBits);
    },
    channel_moments: (out, x, batch, channels, plane) => {
      if (!kernel) throw new Error("simd-kernel: channel_moments called but kernel_kind reported no kernel");
      kernel.channel_moments(out, x, batch, channels, plane);
    },
    channel_grad_sums: (out, g, x, mean, invStd, batch, channels, plane) => {
      if (!kernel) throw new Error("simd-kernel: channel_grad_sums called but kernel_kind reported no kernel");
      kernel.channel_grad_sums(out, g, x, mean, invStd, batch, channels, plane);
    },
    channel_affine: (y, x, scale, shift, batch, channels, plane, relu) => {
      if (!kernel) throw new Error("simd-kernel: channel_affine called but kernel_kind reported no kernel");
      kernel.channel_affine(y, x, scale, shift, batch, channels, plane, relu);
    },
    bn_input_grad: (dx, g, x, mean, invStd, k, meanG, meanGX, batch, channels, plane) => {
      if (!kernel) throw new Error("simd-kernel: bn_input_grad called but kernel_kind reported no kernel");
      kernel.bn_input_grad(dx, g, x, mean, invStd, k, meanG, meanGX, batch, channels, plane);
    },
    relu_mask: (d, g, y, n) => {
      if (!kernel) throw new Error("simd-kernel: relu_mask called but kernel_kind reported no kernel");
      kernel.relu_mask(d, g, y, n);
    },
    add: (y, a, b, n, relu) => {
      if (!kernel) throw new Error("simd-kernel: add called but kernel_kind reported no kernel");
      kernel.add(y, a, b, n, relu);
    },
    clip: (y, x, n, loBits, hiBits) => {
      if (!kernel) throw new Error("simd-kernel: clip called but kernel_kind reported no kernel");
      kernel.clip(y, x, n, loBits, hiBits);
    },
    clip_grad: (d, g, x, n, loBits, hiBits) => {
      if (!kernel) throw new Error("simd-kernel: clip_grad called but kernel_kind reported no kernel");
      kernel.clip_grad(d, g, x, n, loBits, hiBits);
    },
    fake_quant: (y, x, pre, n, npre, scaleBits, loBits, hiBits, nanBits, offBits, stepBits, signBits) => {
      if (!kernel) throw new Error("simd-kernel: fake_quant called but kernel_kind reported no kernel");
      kernel.fake_quant(y, x, pre, n, npre, scaleBits, loBits, hiBits, nanBits, offBits, stepBits, signBits);
    },
    act_grads: (dx, x, dy, sums, n, loBits, widthBits, invBits, qBits, invQBits) => {
      if (!kernel) throw new Error("simd-kernel: act_grads called but kernel_kind reported no kernel");
      kernel.act_grads(dx, x, dy, sums, n, loBits, widthBits, invBits, qBits, invQBits);
    },
    col2im: (img, col, channels, inH, inW, outH, outW, kH, kW, strideH, strideW, padT, padL, dilH, dilW) => {
      if (!kernel) throw new Error("simd-kernel: col2im called but kernel_kind reported no kernel");
      kernel.col2im(img, col, channels, inH, inW, outH, outW, kH, kW, strideH, strideW, padT, padL, dilH, dilW);
    },
    qgemm_block: (a, b, c, ldc, m, n, kp, alpha, acc, tile) => {
      if (!kernel) throw new Error("simd-kernel: qgemm_block called but kernel_kind reported no kernel");
      kernel.qgemm_block(a, b, c, ldc, m, n, kp, alpha, acc, tile);
    },
    q16_pack: (dst, src, kb, np, invBits, limitBits) => {
      if (!kernel) throw new Error("simd-kernel: q16_pack called but kernel_kind reported no kernel");
      return kernel.q16_pack(dst, src, kb, np, invBits, limitBits);
    },
    dw_weight_grad: (dw, dy, x, col, channels, inH, inW, outH, outW, kH, kW, strideH, strideW, padT, padL, dilH, dilW) => {
      if (!kernel) throw new Error("simd-kernel: dw_weight_grad called but kernel_kind reported no kernel");
      kernel.dw_weight_grad(dw, dy, x, col, channels, inH, inW, outH, outW, kH, kW, strideH, strideW, padT, padL, dilH, dilW);
    },
    maxpool: (y, x, planes, inH, inW, outH, outW, kH, kW, sH, sW) => {
      if (!kernel) throw new Error("simd-kernel: maxpool called but kernel_kind reported no kernel");
      kernel.maxpool(y, x, planes, inH, inW, outH, outW, kH, kW, sH, sW);
    },
  };

  return {
    kind: kindNames[kind],
    attach(instance) {
      const mem = instance?.exports?.mem;
      if (!(mem instanceof WebAssembly.Memory)) {
        throw new Error("simd-kernel: attach needs the Go instance (its exports.mem is Go's memory)");
      }
      memory = mem;
    },
  };
}
