//go:build amd64 && !purego

package gemm

import (
	"math"
	"reflect"
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

// TestKernel6x16AVX2 exercises the assembly directly: every k remainder of
// the 4-step unrolled loop, the beta branches (0 and -0 must not read C),
// and a row stride wider than the tile whose gap must stay untouched.
func TestKernel6x16AVX2(t *testing.T) {
	skipWithoutAVX2(t)
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
			kernel6x16AVX2(k, &a[0], &b[0], &c[0], ldc, alpha, beta)
			for r := 0; r < avxMR; r++ {
				for q := 0; q < ldc; q++ {
					got := c[r*ldc+q]
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
