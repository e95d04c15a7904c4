//go:build js && wasm && !purego

package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// These tests run under tools/wasmexec/go_js_wasm_exec, which binds the
// kernel named by PARE_SIMD (auto, simd, relaxed or off).

func TestConformanceSIMD(t *testing.T) {
	requireSIMD(t)
	testKernel(t, "sgemmSIMD", sgemmSIMD)
}

// TestKernelSelection checks that the kernel the host reported is the one
// Sgemm dispatches to, and that it is the one PARE_SIMD asked for.
func TestKernelSelection(t *testing.T) {
	want := map[string]int32{"off": 0, "simd": 1, "relaxed": 2}
	if k, ok := want[os.Getenv("PARE_SIMD")]; ok && simdKind != k {
		t.Fatalf("PARE_SIMD=%s but the host reported kernel kind %d, want %d", os.Getenv("PARE_SIMD"), simdKind, k)
	}
	dispatched := reflect.ValueOf(sgemm).Pointer()
	if simdKind > 0 && dispatched != reflect.ValueOf(kernelFunc(sgemmSIMD)).Pointer() {
		t.Fatalf("kernel kind %d but Sgemm does not dispatch to sgemmSIMD", simdKind)
	}
	if simdKind == 0 && dispatched != reflect.ValueOf(pureGoSgemm).Pointer() {
		t.Fatalf("no SIMD kernel but Sgemm does not dispatch to the pure-Go kernel")
	}
}

// TestSIMDAcrossMemoryGrowth allocates enough between calls that Go grows
// its WebAssembly.Memory; the kernel shares that Memory, so it must keep
// reading and writing the right bytes, both in old buffers and in ones that
// live in the newly grown pages.
func TestSIMDAcrossMemoryGrowth(t *testing.T) {
	requireSIMD(t)
	rng := rand.New(rand.NewPCG(3, 4))
	check := func(label string, transA, transB bool, m, n, k int) {
		t.Helper()
		a, b := randomMatrix(rng, m, k), randomMatrix(rng, k, n)
		got, want := make([]float32, m*n), make([]float32, m*n)
		lda, ldb := k, n
		if transA {
			lda = m
		}
		if transB {
			ldb = k
		}
		Sgemm(transA, transB, m, n, k, 1, a, lda, b, ldb, 0, got, n)
		sgemmRef(transA, transB, m, n, k, 1, a, lda, b, ldb, 0, want, n)
		for i := range got {
			if d := got[i] - want[i]; d > 1e-3 || d < -1e-3 {
				t.Fatalf("%s: C[%d] = %v, want %v", label, i, got[i], want[i])
			}
		}
	}

	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	oldA := randomMatrix(rng, 37, 300)
	oldB := randomMatrix(rng, 300, 29)
	oldC := make([]float32, 37*29)
	check("before growth", false, false, 37, 29, 300)

	var ballast [][]byte
	for i := 0; i < 6; i++ {
		ballast = append(ballast, make([]byte, 16<<20))
		ballast[i][len(ballast[i])-1] = byte(i) // touch it so it is really there
		check(fmt.Sprintf("after %d MiB more", 16*(i+1)), i%2 == 1, i%3 == 0, 33+i, 70+i, 260+i)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if after.Sys < before.Sys+64<<20 {
		t.Fatalf("memory did not grow (Sys %d -> %d bytes): the test no longer exercises memory.grow", before.Sys, after.Sys)
	}

	// The buffers allocated before growth are still computed on correctly.
	Sgemm(false, false, 37, 29, 300, 1, oldA, 300, oldB, 29, 0, oldC, 29)
	want := make([]float32, len(oldC))
	sgemmRef(false, false, 37, 29, 300, 1, oldA, 300, oldB, 29, 0, want, 29)
	for i := range oldC {
		if d := oldC[i] - want[i]; d > 1e-3 || d < -1e-3 {
			t.Fatalf("old buffers after growth: C[%d] = %v, want %v", i, oldC[i], want[i])
		}
	}
	runtime.KeepAlive(ballast)
}

// TestSIMDKernelGuard checks that the one gate in front of the raw kernel
// refuses extents the slices do not have, before the kernel can write.
func TestSIMDKernelGuard(t *testing.T) {
	requireSIMD(t)
	tile := make([]float32, simdTile)
	packed := make([]float32, 8*4)
	cases := []struct {
		name      string
		a, c      []float32
		lda, ldc  int
		m, n, k   int
		wantPanic string
	}{
		{"short C", make([]float32, 16), make([]float32, 15), 4, 4, 4, 4, 4, "C has 15"},
		{"ldc below n", make([]float32, 16), make([]float32, 16), 4, 3, 4, 4, 4, "C has 16"},
		{"short A", make([]float32, 15), make([]float32, 16), 4, 4, 4, 4, 4, "A has 15"},
		{"k beyond packed B", make([]float32, 40), make([]float32, 16), 10, 4, 4, 4, 10, "packed B"},
		{"zero size", make([]float32, 16), make([]float32, 16), 4, 4, 0, 4, 4, "out of range"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sentinel := append([]float32(nil), tc.c...)
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), tc.wantPanic) {
					t.Fatalf("panic %v, want one mentioning %q", r, tc.wantPanic)
				}
				if !reflect.DeepEqual(sentinel, tc.c) {
					t.Fatalf("C was written before the guard refused the call")
				}
			}()
			callSimdKernel(tc.a, tc.lda, packed, tc.c, tc.ldc, tc.m, tc.n, tc.k, 1, 0, tile)
		})
	}
}

// TestSIMDPackGuard: the same gate in front of the raw packer.
func TestSIMDPackGuard(t *testing.T) {
	requireSIMD(t)
	cases := []struct {
		name      string
		dst, b    []float32
		ldb, k, n int
		wantPanic string
	}{
		{"short B", make([]float32, 16), make([]float32, 7), 4, 2, 4, "B has 7"},
		{"ldb below n", make([]float32, 16), make([]float32, 8), 3, 2, 4, "B has 8"},
		{"short destination", make([]float32, 15), make([]float32, 8), 4, 2, 4, "destination has 15"},
		{"zero k", make([]float32, 16), make([]float32, 8), 4, 0, 4, "out of range"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := append([]float32(nil), tc.dst...)
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), tc.wantPanic) {
					t.Fatalf("panic %v, want one mentioning %q", r, tc.wantPanic)
				}
				if !reflect.DeepEqual(before, tc.dst) {
					t.Fatalf("destination was written before the guard refused the call")
				}
			}()
			callSimdPackB(tc.dst, tc.b, tc.ldb, tc.k, tc.n)
		})
	}
}

// TestSIMDTransposeGuard: the same gate in front of the raw transpose.
func TestSIMDTransposeGuard(t *testing.T) {
	requireSIMD(t)
	cases := []struct {
		name                 string
		dst, src             []float32
		ldd, lds, rows, cols int
		wantPanic            string
	}{
		{"short source", make([]float32, 12), make([]float32, 11), 3, 4, 3, 4, "source has 11"},
		{"short destination", make([]float32, 11), make([]float32, 12), 3, 4, 3, 4, "destination has 11"},
		{"destination stride below rows", make([]float32, 12), make([]float32, 12), 2, 4, 3, 4, "destination has 12"},
		{"zero rows", make([]float32, 12), make([]float32, 12), 3, 4, 0, 4, "out of range"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := append([]float32(nil), tc.dst...)
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), tc.wantPanic) {
					t.Fatalf("panic %v, want one mentioning %q", r, tc.wantPanic)
				}
				if !reflect.DeepEqual(before, tc.dst) {
					t.Fatalf("destination was written before the guard refused the call")
				}
			}()
			callSimdTranspose(tc.dst, tc.ldd, tc.src, tc.lds, tc.rows, tc.cols)
		})
	}
}

func requireSIMD(t *testing.T) {
	t.Helper()
	if simdKind == 0 {
		t.Skip("host bound no SIMD kernel (PARE_SIMD=off, or kernel .wasm missing): run under tools/wasmexec/go_js_wasm_exec")
	}
}

// BenchmarkSgemmSIMDvsPureGo reports both kernels on the shared shapes in
// one run, so the ratio is measured on the same machine and moment.
func BenchmarkSgemmSIMDvsPureGo(b *testing.B) {
	if simdKind == 0 {
		b.Skip("no SIMD kernel bound")
	}
	for _, s := range benchShapes {
		b.Run("simd/"+s.name, func(b *testing.B) { benchKernel(b, sgemmSIMD, s.m, s.n, s.k) })
		b.Run("purego/"+s.name, func(b *testing.B) { benchKernel(b, pureGoSgemm, s.m, s.n, s.k) })
	}
}

// BenchmarkSgemmSIMDTransposed covers the layouts of training's gradients
// (im2col: dW = dY * col^T, dcol = W^T * dY), which pack differently.
func BenchmarkSgemmSIMDTransposed(b *testing.B) {
	if simdKind == 0 {
		b.Skip("no SIMD kernel bound")
	}
	shapes := []struct {
		name           string
		transA, transB bool
		m, n, k        int
	}{
		{"256_transA", true, false, 256, 256, 256},
		{"256_transB", false, true, 256, 256, 256},
		{"dW_conv3x3_16c_32x32", false, true, 16, 144, 1024},
		{"dcol_conv3x3_64c_8x8", true, false, 576, 64, 64},
	}
	for _, s := range shapes {
		for _, kernel := range []struct {
			name string
			fn   kernelFunc
		}{{"simd", sgemmSIMD}, {"purego", pureGoSgemm}} {
			b.Run(kernel.name+"/"+s.name, func(b *testing.B) {
				x, y, z := make([]float32, s.m*s.k), make([]float32, s.k*s.n), make([]float32, s.m*s.n)
				lda, ldb := s.k, s.n
				if s.transA {
					lda = s.m
				}
				if s.transB {
					ldb = s.k
				}
				for b.Loop() {
					kernel.fn(s.transA, s.transB, s.m, s.n, s.k, 1, x, lda, y, ldb, 0, z, s.n)
				}
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestSIMDBlockingShapes covers the driver's block choices against the
// reference: k in (simdKC, simdKCMax] as one k-block over several narrower
// column blocks, k past simdKCMax split again, and m = 1 (gemv), in every
// layout, with beta.
func TestSIMDBlockingShapes(t *testing.T) {
	requireSIMD(t)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range []struct{ m, n, k int }{{9, 300, 600}, {6, 105, 257}, {5, 20, 1030}, {33, 17, 1024}, {4, 8, 700},
		{1, 1000, 1280}, {1, 1, 1}, {1, 7, 3}, {1, 33, 5}, {1, 4, 8}} {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			a, b := randomMatrix(rng, s.m, s.k), randomMatrix(rng, s.k, s.n)
			got := randomMatrix(rng, s.m, s.n)
			want := append([]float32(nil), got...)
			lda, ldb := s.k, s.n
			if tr[0] {
				lda = s.m
			}
			if tr[1] {
				ldb = s.k
			}
			Sgemm(tr[0], tr[1], s.m, s.n, s.k, 0.5, a, lda, b, ldb, 1, got, s.n)
			sgemmRef(tr[0], tr[1], s.m, s.n, s.k, 0.5, a, lda, b, ldb, 1, want, s.n)
			for i := range got {
				if d := got[i] - want[i]; d > 1e-3 || d < -1e-3 {
					t.Fatalf("%v trans %v: C[%d] = %v, want %v", s, tr, i, got[i], want[i])
				}
			}
		}
	}
}

// TestSIMDGemvIgnoresCWhenBetaIsZero: with beta 0 the m = 1 path must
// overwrite C without reading it (a recycled buffer may hold NaNs).
func TestSIMDGemvIgnoresCWhenBetaIsZero(t *testing.T) {
	requireSIMD(t)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, transB := range []bool{false, true} {
		const n, k = 13, 9
		a, b := randomMatrix(rng, 1, k), randomMatrix(rng, k, n)
		ldb := n
		if transB {
			ldb = k
		}
		got := make([]float32, n+1)
		for i := range got {
			got[i] = float32(math.NaN())
		}
		want := make([]float32, n)
		Sgemm(false, transB, 1, n, k, 1, a, k, b, ldb, 0, got[:n], n)
		sgemmRef(false, transB, 1, n, k, 1, a, k, b, ldb, 0, want, n)
		for i := range want {
			if d := got[i] - want[i]; !(d <= 1e-4 && d >= -1e-4) {
				t.Fatalf("transB %v: C[%d] = %v, want %v", transB, i, got[i], want[i])
			}
		}
		if !math.IsNaN(float64(got[n])) {
			t.Fatalf("transB %v: wrote past C", transB)
		}
	}
}
