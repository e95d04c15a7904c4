package exec

import "testing"

// BenchmarkFakeQuantApply times the fused pass alone on 64K elements
// (ns/op / 65536 is the cost of one element); core/nn's BenchmarkFakeQuant
// times the kernel against its Go loop.
func BenchmarkFakeQuantApply(b *testing.B) {
	f := &fakeQuant{qScale: 0.02, dScale: 0.02, qLo: 0, qHi: 255, lo: 0, hi: 15}
	f.finish()
	x := make([]float32, 1<<16)
	for i := range x {
		x[i] = float32(i%997)*0.001 - 0.2
	}
	y := make([]float32, len(x))
	for b.Loop() {
		f.apply(y, x)
	}
}
