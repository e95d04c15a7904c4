//go:build (!(js && wasm) && !amd64) || purego

package nn

// Without the WebAssembly SIMD kernel module or amd64's AVX2 (other
// native builds, and builds with -tags purego) the convolution kernels
// and the training passes stay in Go; see simd_wasm.go,
// simd_train_wasm.go and simd_amd64.go.

const simdKernels = false

func simdDepthwise3x3(*depthwise3x3Args) bool { return false }

func simdClamp([]float32, float32, float32) bool { return false }

func simdClip([]float32, []float32, float32, float32) bool { return false }

func simdClipGrad([]float32, []float32, []float32, float32, float32) bool { return false }

func simdIm2Col([]float32, []float32, int, *window3) bool { return false }

func simdDecimate2([]float32, []float32) bool { return false }

func simdCol2Im([]float32, []float32, int, *window3) bool { return false }

func simdMaxPool([]float32, []float32, int, *window3) bool { return false }

func simdDepthwiseWeightGrad(_, _, _, _ []float32, _ int, _ *window3) bool { return false }

func simdBiasInit([]float32, []float32, []float32, int, int, int) bool { return false }

func simdChannelMoments([]float64, []float32, int, int, int) bool { return false }

func simdChannelGradSums([]float64, []float32, []float32, []float32, []float32, int, int, int) bool {
	return false
}

func simdChannelAffine([]float32, []float32, []float32, []float32, int, int, int, bool) bool {
	return false
}

func simdBatchNormInputGrad(_, _, _, _, _, _, _, _ []float32, _, _, _ int) bool { return false }

func simdReluMask([]float32, []float32, []float32) bool { return false }

func simdAdd([]float32, []float32, []float32, bool) bool { return false }

func simdColPanels(*ColPanels, []float32, int, int, int, int, int) bool { return false }

// gathersFast is false without the kernel: gathering panels in Go costs
// more than Im2Col's bulk copies plus the GEMM's assembly packing.
func (*ColPanels) gathersFast() bool { return false }

// depthwiseRowSIMD: no vector kernel for rows here (wasm runs whole
// depthwise convolutions in its kernel module instead).
func depthwiseRowSIMD(_, _, _, _, _ []float32) int { return 0 }
