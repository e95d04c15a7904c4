//go:build amd64 && !purego

package gemm

import (
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
)

func skipWithoutAVX2(t testing.TB) {
	t.Helper()
	if !hasAVX2FMA {
		t.Skip("CPU lacks AVX2+FMA: sgemmAVX2 cannot run here")
	}
}

func TestConformanceAVX2(t *testing.T) {
	skipWithoutAVX2(t)
	testKernel(t, "sgemmAVX2", sgemmAVX2)
}

// TestDispatchPicksAVX2 checks that Sgemm uses the AVX2 kernel on a CPU
// that has it, unless PARE_GEMM=go asked for pure Go.
func TestDispatchPicksAVX2(t *testing.T) {
	skipWithoutAVX2(t)
	got := reflect.ValueOf(sgemm).Pointer()
	if pureGoKernelRequested {
		if got != reflect.ValueOf(sgemmBlocked).Pointer() {
			t.Fatal("PARE_GEMM=go is set but sgemm is not sgemmBlocked")
		}
		return
	}
	if got != reflect.ValueOf(sgemmAVX2).Pointer() {
		t.Fatal("CPU has AVX2+FMA but sgemm is not sgemmAVX2")
	}
}

// TestTileKernelsAVX2 exercises the assembly directly: every k remainder
// of the 4-step unrolled loop, the beta branches (0 and -0 must not read
// C), a row stride wider than the tile whose gap must stay untouched, and
// for kernel4x16AVX2 rows 4-5, which it must leave alone.
func TestTileKernelsAVX2(t *testing.T) {
	skipWithoutAVX2(t)
	t.Run("6x16", func(t *testing.T) { checkTileKernel(t, kernel6x16AVX2, 6) })
	t.Run("4x16", func(t *testing.T) { checkTileKernel(t, kernel4x16AVX2, 4) })
}

func checkTileKernel(t *testing.T, kernel func(k int, a, b, c *float32, ldc int, alpha, beta float32), rows int) {
	const ldc = avxNR + 5
	for k := 1; k <= 9; k++ {
		for _, beta := range []float32{0, float32(math.Copysign(0, -1)), 1, -0.5} {
			a := make([]float32, avxMR*k)
			b := make([]float32, avxNR*k)
			for i := range a {
				a[i] = float32(i%11) - 5
			}
			for i := range b {
				b[i] = float32(i%7)*0.5 - 1
			}
			c := make([]float32, avxMR*ldc)
			for i := range c {
				switch {
				case i%ldc >= avxNR:
					c[i] = -777 // gap between rows: must not be written
				case beta == 0:
					c[i] = float32(math.NaN())
				default:
					c[i] = float32(i)
				}
			}
			c0 := append([]float32(nil), c...)
			const alpha = 1.5
			kernel(k, &a[0], &b[0], &c[0], ldc, alpha, beta)
			for r := 0; r < avxMR; r++ {
				for q := 0; q < ldc; q++ {
					got := c[r*ldc+q]
					if r >= rows {
						if math.Float32bits(got) != math.Float32bits(c0[r*ldc+q]) {
							t.Fatalf("k=%d beta=%v: wrote row %d of a %d-row kernel", k, beta, r, rows)
						}
						continue
					}
					if q >= avxNR {
						if got != -777 {
							t.Fatalf("k=%d beta=%v: wrote the gap at row %d column %d", k, beta, r, q)
						}
						continue
					}
					var sum float32
					for p := 0; p < k; p++ {
						sum += a[p*avxMR+r] * b[p*avxNR+q]
					}
					want := alpha * sum
					if beta != 0 {
						want += beta * c0[r*ldc+q]
					}
					if math.Abs(float64(got-want)) > 1e-4*(1+math.Abs(float64(want))) {
						t.Fatalf("k=%d beta=%v: C[%d][%d] = %v, want %v", k, beta, r, q, got, want)
					}
				}
			}
		}
	}
}

// BenchmarkSgemmAVX2 and BenchmarkSgemmPureGo time the two native kernels
// on the shapes of BenchmarkSgemm (whichever of them dispatch picked).
func BenchmarkSgemmAVX2(b *testing.B) {
	skipWithoutAVX2(b)
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) { benchKernel(b, sgemmAVX2, s.m, s.n, s.k) })
	}
}

func BenchmarkSgemmPureGo(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) { benchKernel(b, sgemmBlocked, s.m, s.n, s.k) })
	}
}

// modelShapes are GEMMs of MobileNetV2 at batch 1 that the shared
// benchShapes miss: a pointwise expansion with k=16 over 112x112 pixels, the
// last pointwise conv over 7x7 pixels, and the classifier (m=1, B stored
// transposed, as ONNX Gemm with transB=1 gives it).
var modelShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"mnv2_1x1_16to96_112x112", false, false, 96, 12544, 16},
	{"mnv2_1x1_320to1280_7x7", false, false, 1280, 49, 320},
	{"mnv2_fc_1280to1000", false, true, 1, 1000, 1280},
	{"grad_dw_16x144_tB", false, true, 16, 144, 1024},
	{"grad_dw_64x576_tB", false, true, 64, 576, 1024},
	{"grad_dx_576x1024_tA", true, false, 576, 1024, 64},
	{"dn121_1x1_512to256_28x28", false, false, 256, 784, 512}, // more than avxMC rows: B packed in blocks
	{"r18_3x3_256_14x14", false, false, 256, 196, 2304},
}

func BenchmarkSgemmModelShapes(b *testing.B) {
	for _, s := range modelShapes {
		kernels := []struct {
			name   string
			kernel kernelFunc
		}{{"purego", sgemmBlocked}, {"avx2", sgemmAVX2}}
		for _, kn := range kernels {
			if kn.name == "avx2" && !hasAVX2FMA {
				continue
			}
			b.Run(s.name+"/"+kn.name, func(b *testing.B) {
				benchKernelTrans(b, kn.kernel, s.transA, s.transB, s.m, s.n, s.k)
			})
		}
	}
}

func benchKernelTrans(b *testing.B, kernel kernelFunc, transA, transB bool, m, n, k int) {
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	x, y, z := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	for i := range y {
		y[i] = float32(i%5) - 2
	}
	b.ResetTimer()
	for b.Loop() {
		kernel(transA, transB, m, n, k, 1, x, lda, y, ldb, 0, z, n)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// TestBlockPathsAVX2 covers what the shared table's shapes (m <= 130) do
// not reach: m > avxMC, where whole B blocks are packed and reused across
// blocks of A, with every row remainder (m mod 6 = 1..5 and 0) and k
// crossing avxKC.
func TestBlockPathsAVX2(t *testing.T) {
	skipWithoutAVX2(t)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, s := range []gemmShape{{150, 40, 300}, {301, 33, 20}, {146, 17, 7}, {147, 16, 9}, {148, 5, 3}, {149, 64, 2}, {289, 1041, 5}} {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			checkKernelCase(t, "sgemmAVX2", sgemmAVX2, rng, s, tr[0], tr[1], 1, alphaBeta{1, 0})
			checkKernelCase(t, "sgemmAVX2", sgemmAVX2, rng, s, tr[0], tr[1], 0, alphaBeta{-0.5, 2})
		}
	}
}

// TestGemvRowAVX2 runs the m=1 path on shapes the shared table lacks: k
// long enough for the 32-wide loops and n past gemvColumnBlock.
func TestGemvRowAVX2(t *testing.T) {
	skipWithoutAVX2(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range []gemmShape{{1, 2100, 70}, {1, 40, 300}, {1, 33, 65}} {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, pad := range []int{0, 2} {
				for _, ab := range alphaBetas {
					checkKernelCase(t, "sgemmAVX2", sgemmAVX2, rng, s, tr[0], tr[1], pad, ab)
				}
			}
		}
	}
}

// TestDotAxpyAVX2 checks every length up to three 32-wide blocks plus
// remainders, against float64 loops.
func TestDotAxpyAVX2(t *testing.T) {
	skipWithoutAVX2(t)
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 1; n <= 100; n++ {
		x := randomMatrix(rng, 1, n)
		y := randomMatrix(rng, 1, n+1) // y[n] must stay untouched
		y0 := append([]float32(nil), y...)
		var want, mag float64
		for i := range n {
			want += float64(x[i]) * float64(y[i])
			mag += math.Abs(float64(x[i]) * float64(y[i]))
		}
		if got := dotAVX2(n, &x[0], &y[0]); math.Abs(float64(got)-want) > 1e-5*mag+1e-6 {
			t.Fatalf("dotAVX2 n=%d = %v, want %v", n, got, want)
		}
		const alpha = -0.75
		axpyAVX2(n, alpha, &x[0], &y[0])
		for i := range n {
			want := float64(y0[i]) + alpha*float64(x[i])
			if math.Abs(float64(y[i])-want) > 1e-5*(1+math.Abs(want)) {
				t.Fatalf("axpyAVX2 n=%d: y[%d] = %v, want %v", n, i, y[i], want)
			}
		}
		if y[n] != y0[n] {
			t.Fatalf("axpyAVX2 n=%d wrote past n", n)
		}
	}
}

// TestAVXPackBuffersFitL2: a product of more than avxMC rows and 784
// columns (DenseNet-121's second transition) packs B in blocks of
// avxNCPacked columns, so the pack buffers it allocates, with none free to
// reuse, are A's block and a 256-column block of B (400 KiB), where a
// 1024-column block made them 1.1 MiB, resident wherever such a product
// ran.
func TestAVXPackBuffersFitL2(t *testing.T) {
	if !hasAVX2FMA {
		t.Skip("no AVX2/FMA")
	}
	const m, n, k = 256, 784, 512
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for len(avxPackFree) > 0 {
		<-avxPackFree
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sgemmAVX2(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
	runtime.ReadMemStats(&after)
	const want = (avxMC + avxNCPacked) * avxKC * 4
	if got := after.TotalAlloc - before.TotalAlloc; got > want+4096 {
		t.Errorf("sgemmAVX2 %dx%dx%d allocated %d bytes; want its pack buffers, %d", m, n, k, got, want)
	}
}
