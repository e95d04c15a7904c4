package qil

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/pare-ml/pare/core/tensor"
)

// branchingActGrads is actGrads' unsigned, discrete case as the plain
// loop computes it, one branch per case: the reference of the
// branch-free loop.
func branchingActGrads(x, dy []float32, g actGrid) (dx []float32, dc, dd float64) {
	dx = make([]float32, len(x))
	lo, width, q := g.lo, g.width, float32(g.q)
	inv, invQ := 1/width, 1/q
	for i, u := range x {
		gy := dy[i]
		u -= lo
		switch {
		case u <= 0:
		case u >= width:
			dd += 2 * float64(gy)
		default:
			xh := u * inv
			level := ((q*xh + roundMagic) - roundMagic) * invQ
			dx[i] = gy
			dc -= float64(gy)
			dd += float64(gy) * float64(2*level+1-2*xh)
		}
	}
	return
}

// TestActGradsUnsignedMatchesTheBranchingLoop checks the branch-free
// gradient of an unsigned quantizer against the branching loop to the
// bit: dx, dc and dd, on ReLU-like inputs (a third exact zeros) with
// values on the thresholds and the grid's ties, at 2, 4 and 8 bits and
// with the interval starting at 0 and above it; and on hostile inputs
// (NaN and infinite activations and gradients, -0) where the two must
// still agree.
func TestActGradsUnsignedMatchesTheBranchingLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, bits := range []int{2, 4, 8} {
		for _, iv := range [][2]float32{{0.6, 0.6}, {0.8, 0.5}, {1e-3, 1e-3}} {
			g := newActGrid(iv[0], iv[1], actSteps(bits, false))
			const n = 4099
			x, dy := make([]float32, n), randomValues(r, n, 1)
			for i := range x {
				switch r.IntN(6) {
				case 0, 1:
					x[i] = 0
				case 2:
					x[i] = g.lo + float32(r.IntN(g.q+1))*g.step // on the grid
				case 3:
					x[i] = g.lo + (float32(r.IntN(g.q))+0.5)*g.step // a tie
				default:
					x[i] = float32(math.Abs(r.NormFloat64())) * 2 * (g.lo + g.width)
				}
			}
			x[0], x[1] = g.lo, g.lo+g.width
			compareActGrads(t, x, dy, g)
		}
	}
	g := newActGrid(0.8, 0.5, actSteps(4, false))
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	x := []float32{nan, 0, 2, 0.5, -inf, inf, 0.3, 0, 1.2, nan}
	dy := []float32{1, inf, -inf, float32(math.Copysign(0, -1)), nan, 1, nan, float32(math.Copysign(0, -1)), -2, -inf}
	compareActGrads(t, x, dy, g)
}

func compareActGrads(t *testing.T, x, dy []float32, g actGrid) {
	t.Helper()
	a := actArgs{x: tensor.FromF32([]int{len(x)}, x), grid: g}
	dx, dc, dd := actGrads(a, dy, true)
	wdx, wdc, wdd := branchingActGrads(x, dy, g)
	for i := range dx {
		if math.Float32bits(dx[i]) != math.Float32bits(wdx[i]) {
			t.Fatalf("grid %+v: dx[%d] = %v (x %v, dy %v), the branching loop's %v", g, i, dx[i], x[i], dy[i], wdx[i])
		}
	}
	if math.Float64bits(dc) != math.Float64bits(wdc) || math.Float64bits(dd) != math.Float64bits(wdd) {
		t.Fatalf("grid %+v: dc, dd = %v, %v; the branching loop's %v, %v", g, dc, dd, wdc, wdd)
	}
}

// BenchmarkActGrads times the activation quantizer's gradient on one
// 16x28x28 activation of a batch of 64 (ReLU-like: half zeros), the
// branch-free loop against the branching one.
//
//	go test ./qil -run '^$' -bench ActGrads
func BenchmarkActGrads(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	const n = 64 * 16 * 28 * 28
	x, dy := randomValues(r, n, 1), randomValues(r, n, 1)
	for i := range x {
		x[i] = max(x[i], 0)
	}
	g := newActGrid(0.7, 0.6, actSteps(4, false))
	a := actArgs{x: tensor.FromF32([]int{n}, x), grid: g}
	b.Run("branch-free", func(b *testing.B) {
		for range b.N {
			actGrads(a, dy, true)
		}
	})
	b.Run("branching", func(b *testing.B) {
		for range b.N {
			branchingActGrads(x, dy, g)
		}
	})
}

// TestActGradsUnsignedSIMDMatchesGo checks actGradsUnsigned, whose
// prefix runs in SIMD where there is any (actgrad_amd64.go,
// actgrad_wasm.go), against its Go loop alone to the bit: dx, dc and dd,
// at lengths around the chunk and the vector steps, on inputs on the
// thresholds and the grid's ties and on hostile ones (NaN with payloads,
// infinities, -0, subnormals) in both x and dy (see sameSum).
func TestActGradsUnsignedSIMDMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	specials := []float32{float32(math.NaN()), math.Float32frombits(0x7fc01234), math.Float32frombits(0xffa00001),
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)), 0, 1e-45, -1e-40, 3e38}
	for _, bits := range []int{2, 4, 8} {
		for _, iv := range [][2]float32{{0.6, 0.6}, {0.8, 0.5}, {1e-3, 1e-3}} {
			g := newActGrid(iv[0], iv[1], actSteps(bits, false))
			for _, n := range []int{1, 7, 8, 9, 511, 512, 513, 1031, 1032, 4099, 4104} {
				// Every other length without the special values, so that
				// the sums stay finite and every term's rounding counts.
				hostile := n%2 == 0
				x, dy := make([]float32, n), randomValues(r, n, 1)
				for i := range x {
					kind := r.IntN(8)
					if kind == 4 && !hostile {
						kind = 5
					}
					switch kind {
					case 0, 1:
						x[i] = 0
					case 2:
						x[i] = g.lo + float32(r.IntN(g.q+1))*g.step
					case 3:
						x[i] = g.lo + (float32(r.IntN(g.q))+0.5)*g.step
					case 4:
						x[i] = specials[r.IntN(len(specials))]
					default:
						x[i] = float32(math.Abs(r.NormFloat64())) * 2 * (g.lo + g.width)
					}
					if hostile && r.IntN(10) == 0 {
						dy[i] = specials[r.IntN(len(specials))]
					}
				}
				x[0] = g.lo + g.width
				if n > 1 {
					x[1] = g.lo
				}
				dx := make([]float32, n)
				dc, dd := actGradsUnsigned(dx, x, dy, g)
				wdx := make([]float32, n)
				wdc, wdd := actGradsUnsignedGo(wdx, x, dy, g, 0, 0)
				for i := range dx {
					if math.Float32bits(dx[i]) != math.Float32bits(wdx[i]) {
						t.Fatalf("grid %+v, n %d: dx[%d] = %v (x %v, dy %v), the Go loop's %v", g, n, i, dx[i], x[i], dy[i], wdx[i])
					}
				}
				if !sameSum(dc, wdc) || !sameSum(dd, wdd) {
					t.Fatalf("grid %+v, n %d: dc, dd = %v, %v; the Go loop's %v, %v (%x %x, %x %x)", g, n, dc, dd, wdc, wdd, math.Float64bits(dc), math.Float64bits(dd), math.Float64bits(wdc), math.Float64bits(wdd))
				}
			}
		}
	}
}

// sameSum reports whether two gradient sums are the same bits, or, in
// WebAssembly, both NaN: there the payload of a NaN that an addition of
// two NaNs returns is not fixed (the WebAssembly specification leaves it
// to the engine, and V8 takes either operand's), so neither Go's own
// loop nor the kernel has a payload to match. Every other value must
// match to the bit everywhere.
func sameSum(a, b float64) bool {
	if math.Float64bits(a) == math.Float64bits(b) {
		return true
	}
	return runtime.GOARCH == "wasm" && math.IsNaN(a) && math.IsNaN(b)
}
