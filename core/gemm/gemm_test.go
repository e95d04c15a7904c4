package gemm

import (
	"fmt"
	"strings"
	"testing"
)

func TestSgemmPanicsOnShortSlices(t *testing.T) {
	cases := []struct {
		name string
		call func()
		want string
	}{
		{"short a", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		}, "a has 3"},
		{"short b", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 3), 2, 0, make([]float32, 4), 2)
		}, "b has 3"},
		{"short c", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
		}, "c has 3"},
		{"small ldc", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 4), 1)
		}, "ldc=1"},
		{"negative", func() { Sgemm(false, false, -1, 2, 2, 1, nil, 2, nil, 2, 0, nil, 2) }, "negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), tc.want) {
					t.Fatalf("panic %v, want one mentioning %q", r, tc.want)
				}
			}()
			tc.call()
		})
	}
}

// TestSgemmDoesNotAllocate guards the pooled packing buffers.
func TestSgemmDoesNotAllocate(t *testing.T) {
	a, b, c := make([]float32, 64*64), make([]float32, 64*64), make([]float32, 64*64)
	Sgemm(false, false, 64, 64, 64, 1, a, 64, b, 64, 0, c, 64)
	if n := testing.AllocsPerRun(10, func() { Sgemm(false, true, 64, 64, 64, 1, a, 64, b, 64, 0, c, 64) }); n > 0 {
		t.Fatalf("Sgemm allocated %v times per call", n)
	}
}

// benchShapes: a square reference and the GEMMs of im2col convolutions
// (m = output channels, n = output pixels, k = in channels * kernel area).
var benchShapes = []struct {
	name    string
	m, n, k int
}{
	{"256", 256, 256, 256},
	{"64", 64, 64, 64},
	{"conv3x3_16c_32x32", 16, 1024, 144},   // ResNet-8 stage 1
	{"conv3x3_64c_8x8", 64, 64, 576},       // ResNet-8 stage 3
	{"conv1x1_96to24_56x56", 24, 3136, 96}, // MobileNetV2 projection
	{"conv1x1_24to144_56x56", 144, 3136, 24},
}

func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) { benchKernel(b, sgemm, s.m, s.n, s.k) })
	}
}

func BenchmarkSgemmRef(b *testing.B) {
	b.Run("64", func(b *testing.B) { benchKernel(b, sgemmRef, 64, 64, 64) })
}

func benchKernel(b *testing.B, kernel kernelFunc, m, n, k int) {
	x, y, z := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	for i := range y {
		y[i] = float32(i%5) - 2
	}
	b.ResetTimer()
	for b.Loop() {
		kernel(false, false, m, n, k, 1, x, k, y, n, 0, z, n)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
