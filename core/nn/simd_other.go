//go:build !(js && wasm) || purego

package nn

// Without the WebAssembly SIMD kernel module (native builds, and wasm
// builds with -tags purego) the depthwise convolution and the clamp stay
// in Go; see simd_wasm.go.

const simdKernels = false

func simdDepthwise3x3(*depthwise3x3Args) bool { return false }

func simdClamp([]float32, float32, float32) bool { return false }

func simdIm2Col([]float32, []float32, int, *window3) bool { return false }

func simdBiasInit([]float32, []float32, []float32, int, int, int) bool { return false }
