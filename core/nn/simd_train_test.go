//go:build ((js && wasm) || amd64) && !purego

package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The vector kernels of the training passes (the wasm SIMD module, amd64's
// AVX2) against the Go loops in the same process: simdKernels is switched
// off for the reference run.

// TestChannelPassesSIMDMatchGoExactly runs every channel pass through the
// SIMD kernel and through the Go path in the same process: the kernel
// reproduces Go's order of float32 and float64 operations, so the bits
// must agree (Go's wasm has no fused multiply-add, and the kernel uses
// none, relaxed or not).
func TestChannelPassesSIMDMatchGoExactly(t *testing.T) {
	if !simdKernels {
		t.Skip("no vector kernel (wasm: PARE_SIMD=off or no kernel .wasm, run under tools/wasmexec/go_js_wasm_exec; amd64: no AVX2 or PARE_GEMM=go)")
	}
	rng := rand.New(rand.NewPCG(41, 42))
	for _, s := range channelShapes {
		name := fmt.Sprintf("%dx%dx%d", s[0], s[1], s[2])
		in := newChannelInputs(rng, s[0], s[1], s[2])
		simd := runChannelPasses(in)
		simdKernels = false
		pure := runChannelPasses(in)
		simdKernels = true
		sameBits64(t, name+" moments", simd.moments, pure.moments)
		sameBits64(t, name+" grad sums", simd.gradSums, pure.gradSums)
		sameBits32(t, name+" affine", simd.affine, pure.affine)
		sameBits32(t, name+" affine+relu", simd.affineRelu, pure.affineRelu)
		sameBits32(t, name+" input grad", simd.inputGrad, pure.inputGrad)
		// In place, as the training engine calls them.
		inPlace := append([]float32(nil), in.x...)
		ChannelAffine(inPlace, inPlace, in.scale, in.shift, s[0], s[1], s[2], true)
		sameBits32(t, name+" affine+relu in place", inPlace, pure.affineRelu)
		inPlace = append(inPlace[:0], in.g...)
		BatchNormInputGrad(inPlace, inPlace, in.x, in.mean, in.invStd, in.k, in.meanG, in.meanGX, s[0], s[1], s[2])
		sameBits32(t, name+" input grad in place", inPlace, pure.inputGrad)
	}
}

// TestElementwisePassesSIMDMatchGoExactly does the same for ReluMask,
// AddInto, Clip and ClipGrad, on lengths around the vector width and the
// SIMD threshold.
func TestElementwisePassesSIMDMatchGoExactly(t *testing.T) {
	if !simdKernels {
		t.Skip("no vector kernel")
	}
	rng := rand.New(rand.NewPCG(43, 44))
	for _, n := range elementwiseLengths {
		g, y, a, b := elementwiseInputs(rng, n)
		x, gc := clipInputs(rng, n, 0, 6)
		run := func() [][]float32 {
			mask, sum, sumRelu := make([]float32, n), make([]float32, n), make([]float32, n)
			ReluMask(mask, g, y)
			AddInto(sum, a, b, false)
			AddInto(sumRelu, a, b, true)
			clip, clipGrad := make([]float32, n), make([]float32, n)
			Clip(clip, x, 0, 6)
			ClipGrad(clipGrad, gc, x, 0, 6)
			return [][]float32{mask, sum, sumRelu, clip, clipGrad}
		}
		simd := run()
		simdKernels = false
		pure := run()
		simdKernels = true
		for i, what := range []string{"relu mask", "add", "add+relu", "clip", "clip grad"} {
			sameBits32(t, fmt.Sprintf("n=%d %s", n, what), simd[i], pure[i])
		}
	}
}
