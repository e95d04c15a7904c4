//go:build (!(js && wasm) && !amd64) || purego

package nn

// Without the WebAssembly SIMD kernel module or amd64's AVX2, FakeQuant
// runs its Go code (fakequant_amd64.go, fakequant_wasm.go).
const fakeQuantSIMDMin = 0

func simdFakeQuant(*FakeQuant, []float32, []float32) int { return 0 }
