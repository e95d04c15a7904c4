//go:build js && wasm && !purego

package nn

import (
	"fmt"
	"math"
	"unsafe"
)

// In WebAssembly the depthwise convolution and the clamp after a fused
// Conv run in the SIMD kernel module (core/gemm/simd/kernel.wat) that
// also holds the GEMM: Go's wasm has no SIMD, and these two were more than
// half of MobileNetV2. The host supplies the imports (core/gemm/doc_wasm.md);
// only heap addresses and integers cross, and every extent the kernel will
// touch is checked here first, because it can write anywhere in Go's memory.

//go:wasmimport pare_gemm kernel_kind
func simdKernelKind() int32

// simdDepthwise3x3Raw: see depthwise3x3 in kernel.wat. Call it only through
// simdDepthwise3x3.
//
//go:wasmimport pare_gemm depthwise3x3
func simdDepthwise3x3Raw(y, x, w, zeros unsafe.Pointer, channels, inH, inW, outH, outW, strideH, strideW, padT, padL, colLo, colHi int32, loBits, hiBits uint32)

// simdClampRaw clamps n floats at p to [lo, hi]. Call it only through
// simdClamp.
//
//go:wasmimport pare_gemm clamp
func simdClampRaw(p unsafe.Pointer, n int32, loBits, hiBits uint32)

// simdIm2ColRaw: see im2col in kernel.wat. Call it only through
// simdIm2Col.
//
//go:wasmimport pare_gemm im2col
func simdIm2ColRaw(col, img unsafe.Pointer, channels, inH, inW, outH, outW, kH, kW, strideH, strideW, padT, padL, dilH, dilW int32)

// simdCol2ImRaw: see col2im in kernel.wat. Call it only through
// simdCol2Im.
//
//go:wasmimport pare_gemm col2im
func simdCol2ImRaw(img, col unsafe.Pointer, channels, inH, inW, outH, outW, kH, kW, strideH, strideW, padT, padL, dilH, dilW int32)

// simdBiasInitRaw: see bias_init in kernel.wat. Call it only through
// simdBiasInit.
//
//go:wasmimport pare_gemm bias_init
func simdBiasInitRaw(y, src, bias unsafe.Pointer, channels, plane, hasSrc int32)

// simdMaxPoolRaw: see maxpool in kernel.wat. Call it only through
// simdMaxPool.
//
//go:wasmimport pare_gemm maxpool
func simdMaxPoolRaw(y, x unsafe.Pointer, planes, inH, inW, outH, outW, kH, kW, sH, sW int32)

// simdKernels reports whether the host bound a SIMD kernel (kernel_kind is
// 0 under PARE_SIMD=off or without one: then everything stays in Go).
var simdKernels = simdKernelKind() > 0

// depthwiseZeros is the zero image row that kernel rows in the padding
// read; it only grows, and nothing writes it.
var depthwiseZeros []float32

// simdClampMin is the length below which the call costs more than the
// scalar clamp it replaces.
const simdClampMin = 32

// simdClamp clamps v to [lo, hi] in the kernel and reports whether it did.
func simdClamp(v []float32, lo, hi float32) bool {
	if !simdKernels || len(v) < simdClampMin || len(v) > math.MaxInt32/4 {
		return false
	}
	simdClampRaw(unsafe.Pointer(&v[0]), int32(len(v)), math.Float32bits(lo), math.Float32bits(hi))
	return true
}

// simdDepthwise3x3 runs the kernel, after checking every extent it will
// read or write; a geometry it does not cover (or no kernel) returns false
// and leaves y alone.
func simdDepthwise3x3(a *depthwise3x3Args) bool {
	if !simdKernels || a.strideW < 1 || a.strideW > 2 {
		return false
	}
	for _, v := range [...]int{a.channels, a.inH, a.inW, a.outH, a.outW, a.strideH} {
		if v < 1 || v > math.MaxInt32/4 {
			return false
		}
	}
	for _, v := range [...]int{a.padT, a.padL} {
		if v < 0 || v > math.MaxInt32/4 {
			return false
		}
	}
	if a.outH*a.strideH > math.MaxInt32/4 || a.outW*a.strideW > math.MaxInt32/4 {
		return false
	}
	switch inPlane, outPlane := a.inH*a.inW, a.outH*a.outW; {
	case inPlane > math.MaxInt32/4/a.channels || outPlane > math.MaxInt32/4/a.channels:
		return false
	case len(a.x) < a.channels*inPlane:
		panic(fmt.Sprintf("nn: SIMD depthwise: X has %d elements, needs %d x %d x %d", len(a.x), a.channels, a.inH, a.inW))
	case len(a.y) < a.channels*outPlane:
		panic(fmt.Sprintf("nn: SIMD depthwise: Y has %d elements, needs %d x %d x %d", len(a.y), a.channels, a.outH, a.outW))
	case len(a.w) < 9*a.channels:
		panic(fmt.Sprintf("nn: SIMD depthwise: W has %d elements, needs %d x 3 x 3", len(a.w), a.channels))
	case a.colLo < 0 || a.colLo > a.colHi || a.colHi > a.outW:
		panic(fmt.Sprintf("nn: SIMD depthwise: interior [%d, %d) outside the %d outputs of a row", a.colLo, a.colHi, a.outW))
	case a.colHi > a.colLo && (a.colLo*a.strideW-a.padL < 0 || (a.colHi-1)*a.strideW-a.padL+2 >= a.inW):
		panic(fmt.Sprintf("nn: SIMD depthwise: interior [%d, %d) reads outside the %d inputs of a row (stride %d, pad %d)",
			a.colLo, a.colHi, a.inW, a.strideW, a.padL))
	}
	if len(depthwiseZeros) < a.inW {
		depthwiseZeros = make([]float32, max(a.inW, 256))
	}
	simdDepthwise3x3Raw(unsafe.Pointer(&a.y[0]), unsafe.Pointer(&a.x[0]), unsafe.Pointer(&a.w[0]), unsafe.Pointer(&depthwiseZeros[0]),
		int32(a.channels), int32(a.inH), int32(a.inW), int32(a.outH), int32(a.outW),
		int32(a.strideH), int32(a.strideW), int32(a.padT), int32(a.padL), int32(a.colLo), int32(a.colHi),
		math.Float32bits(a.lo), math.Float32bits(a.hi))
	return true
}

// simdIm2Col runs im2col2D's work in the kernel and reports whether it
// did: p is a promoted 2-D window (unit depth). The kernel writes exactly
// channels*kH*kW*outH*outW floats of col and reads img only inside its
// channels planes, so those are the extents checked. The top padding may
// be negative: Im2ColRows' blocks of output rows below the first. The
// kernel compares each image row index unsigned against inH, so the sum
// stays in int32 and any row outside the image reads as padding.
func simdIm2Col(col, img []float32, channels int, p *window3) bool {
	if !simdKernels || !kernelWindowFits("im2col", img, col, channels, p, true) {
		return false
	}
	simdIm2ColRaw(unsafe.Pointer(&col[0]), unsafe.Pointer(&img[0]), int32(channels), int32(p.In[1]), int32(p.In[2]), int32(p.Out[1]), int32(p.Out[2]),
		int32(p.Kernel[1]), int32(p.Kernel[2]), int32(p.Strides[1]), int32(p.Strides[2]), int32(p.PadBegin[1]), int32(p.PadBegin[2]),
		int32(p.Dilations[1]), int32(p.Dilations[2]))
	return true
}

// simdCol2Im runs Col2Im's work for a promoted 2-D window (unit depth)
// in the kernel and reports whether it did. The kernel reads exactly
// channels*kH*kW*outH*outW floats of col and touches img only inside its
// channels planes, so those are the extents checked; it adds in Col2Im's
// order, so the result is Go's to the bit.
func simdCol2Im(img, col []float32, channels int, p *window3) bool {
	if !simdKernels || !kernelWindowFits("col2im", img, col, channels, p, false) {
		return false
	}
	simdCol2ImRaw(unsafe.Pointer(&img[0]), unsafe.Pointer(&col[0]), int32(channels), int32(p.In[1]), int32(p.In[2]), int32(p.Out[1]), int32(p.Out[2]),
		int32(p.Kernel[1]), int32(p.Kernel[2]), int32(p.Strides[1]), int32(p.Strides[2]), int32(p.PadBegin[1]), int32(p.PadBegin[2]),
		int32(p.Dilations[1]), int32(p.Dilations[2]))
	return true
}

// kernelWindowFits reports whether the kernel's im2col and col2im take
// window p over channels planes (every size positive, every byte offset
// within int32; the top padding may be negative when negativeTop is set),
// and panics, naming op, when img or col is shorter than the kernel would
// touch.
func kernelWindowFits(op string, img, col []float32, channels int, p *window3, negativeTop bool) bool {
	inH, inW, outH, outW := p.In[1], p.In[2], p.Out[1], p.Out[2]
	kH, kW := p.Kernel[1], p.Kernel[2]
	for _, v := range [...]int{channels, inH, inW, outH, outW, kH, kW, p.Strides[1], p.Strides[2], p.Dilations[1], p.Dilations[2]} {
		if v < 1 || v > math.MaxInt32/4 {
			return false
		}
	}
	for _, v := range [...]int{p.PadBegin[2], outH * p.Strides[1], outW * p.Strides[2], kH * p.Dilations[1], kW * p.Dilations[2]} {
		if v < 0 || v > math.MaxInt32/8 {
			return false
		}
	}
	if top := p.PadBegin[1]; top > math.MaxInt32/8 || top < -math.MaxInt32/8 || (top < 0 && !negativeTop) {
		return false
	}
	rows, plane, inPlane := channels*kH*kW, outH*outW, inH*inW
	if rows > math.MaxInt32/4/plane || channels > math.MaxInt32/4/inPlane {
		return false
	}
	switch {
	case len(col) < rows*plane:
		panic(fmt.Sprintf("nn: SIMD %s: col has %d elements, needs %d x %d", op, len(col), rows, plane))
	case len(img) < channels*inPlane:
		panic(fmt.Sprintf("nn: SIMD %s: image has %d elements, needs %d x %d x %d", op, len(img), channels, inH, inW))
	}
	return true
}

// simdBiasInit sets y (batch x channels planes of plane floats) to the
// bias of each channel plus residual (nil for none) in the kernel, and
// reports whether it did.
func simdBiasInit(y, bias, residual []float32, batch, channels, plane int) bool {
	if !simdKernels || batch < 1 || channels < 1 || plane < 1 || plane > math.MaxInt32/4/channels {
		return false
	}
	n := channels * plane
	switch {
	case len(y) < batch*n:
		panic(fmt.Sprintf("nn: SIMD bias init: Y has %d elements, needs %d x %d x %d", len(y), batch, channels, plane))
	case len(bias) < channels:
		panic(fmt.Sprintf("nn: SIMD bias init: bias has %d elements, needs %d", len(bias), channels))
	case residual != nil && len(residual) < batch*n:
		panic(fmt.Sprintf("nn: SIMD bias init: residual has %d elements, needs %d x %d x %d", len(residual), batch, channels, plane))
	}
	for i := 0; i < batch; i++ {
		src, hasSrc := unsafe.Pointer(&y[i*n]), int32(0) // src is not read without hasSrc
		if residual != nil {
			src, hasSrc = unsafe.Pointer(&residual[i*n]), 1
		}
		simdBiasInitRaw(unsafe.Pointer(&y[i*n]), src, unsafe.Pointer(&bias[0]), int32(channels), int32(plane), hasSrc)
	}
	return true
}

// simdMaxPool runs maxPoolInside's float32 work in the kernel and reports
// whether it did: p is a promoted 2-D window whose every window lies
// inside the image (windowsInside2D). The kernel writes exactly planes
// maps of outH x outW floats of y and reads x only inside the windows,
// so those are the extents checked.
func simdMaxPool(y, x []float32, planes int, p *window3) bool {
	if !simdKernels || planes < 1 {
		return false
	}
	inH, inW, outH, outW := p.In[1], p.In[2], p.Out[1], p.Out[2]
	kH, kW, sH, sW := p.Kernel[1], p.Kernel[2], p.Strides[1], p.Strides[2]
	for _, v := range [...]int{inH, inW, outH, outW, kH, kW, sH, sW} {
		if v < 1 || v > math.MaxInt32/4 {
			return false
		}
	}
	inPlane, outPlane := inH*inW, outH*outW
	if inPlane > math.MaxInt32/4/planes || outPlane > math.MaxInt32/4/planes {
		return false
	}
	switch {
	case (outH-1)*sH+kH > inH || (outW-1)*sW+kW > inW:
		panic(fmt.Sprintf("nn: SIMD max pool: windows %dx%d at strides %dx%d over %d x %d outputs leave the %d x %d image", kH, kW, sH, sW, outH, outW, inH, inW))
	case len(x) < planes*inPlane:
		panic(fmt.Sprintf("nn: SIMD max pool: X has %d elements, needs %d x %d x %d", len(x), planes, inH, inW))
	case len(y) < planes*outPlane:
		panic(fmt.Sprintf("nn: SIMD max pool: Y has %d elements, needs %d x %d x %d", len(y), planes, outH, outW))
	}
	simdMaxPoolRaw(unsafe.Pointer(&y[0]), unsafe.Pointer(&x[0]), int32(planes), int32(inH), int32(inW), int32(outH), int32(outW),
		int32(kH), int32(kW), int32(sH), int32(sW))
	return true
}

// depthwiseRowSIMD: no vector kernel for rows here (wasm runs whole
// depthwise convolutions in its kernel module instead).
func depthwiseRowSIMD(_, _, _, _, _ []float32) int { return 0 }

// The wasm kernel module builds whole col matrices (simdIm2Col); im2col2D
// runs only where it declines, where a strided row is rare.
func simdDecimate2([]float32, []float32) bool { return false }
