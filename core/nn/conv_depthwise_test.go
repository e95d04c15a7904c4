package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/tensor"
)

// depthwise3x3Table is the conformance table of the 3x3 depthwise path
// (the SIMD kernel in WebAssembly, the register path natively): widths
// around multiples of the four-output vector (so that the interior loop
// ends on a whole step, one short and one over), images narrower than the
// kernel's reach, both horizontal strides, vertical strides up to 3, and
// paddings of 0, 1 and 2 on each side, asymmetric too.
var depthwise3x3Table = []struct {
	c, h, w    int
	sH, sW     int
	t, l, b, r int // pads
}{
	{1, 1, 1, 1, 1, 1, 1, 1, 1},
	{2, 2, 2, 1, 1, 1, 1, 1, 1},
	{1, 3, 3, 1, 1, 0, 0, 0, 0},
	{3, 5, 4, 1, 1, 1, 1, 1, 1},
	{2, 6, 5, 1, 1, 1, 1, 1, 1},
	{2, 7, 6, 1, 1, 1, 1, 1, 1},
	{2, 4, 7, 1, 1, 1, 1, 1, 1},
	{2, 5, 8, 1, 1, 1, 1, 1, 1},
	{2, 5, 9, 1, 1, 0, 0, 0, 0},
	{2, 9, 13, 1, 1, 2, 2, 2, 2},
	{4, 14, 14, 1, 1, 1, 1, 1, 1},
	{2, 7, 17, 1, 1, 0, 2, 1, 0},
	{2, 8, 8, 2, 2, 1, 1, 1, 1},
	{2, 8, 8, 2, 2, 0, 0, 1, 1},
	{2, 9, 9, 2, 2, 1, 1, 1, 1},
	{2, 7, 10, 2, 2, 0, 1, 0, 1},
	{3, 11, 16, 2, 2, 1, 1, 1, 1},
	{2, 12, 17, 2, 2, 2, 2, 2, 2},
	{2, 14, 14, 2, 2, 0, 0, 1, 1},
	{2, 6, 19, 3, 2, 1, 0, 1, 2},
	{2, 10, 11, 3, 1, 1, 2, 0, 1},
	{1, 3, 2, 1, 2, 1, 1, 1, 1},
	{2, 28, 28, 1, 1, 1, 1, 1, 1},
	{2, 28, 28, 2, 2, 1, 1, 1, 1},
}

// TestDepthwise3x3Conformance checks every table geometry with each
// epilogue against the definition, at batch 1 and 2, with y stale first,
// and that nothing outside y's window is written.
func TestDepthwise3x3Conformance(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range depthwise3x3Table {
		for _, batch := range []int{1, 2} {
			for _, ep := range []string{"none", "relu", "relu6", "clip", "residual+relu"} {
				name := fmt.Sprintf("n%d_c%d_%dx%d_s%d,%d_p%d,%d,%d,%d/%s", batch, tc.c, tc.h, tc.w, tc.sH, tc.sW, tc.t, tc.l, tc.b, tc.r, ep)
				t.Run(name, func(t *testing.T) {
					x, w, b := randTensor(rng, batch, tc.c, tc.h, tc.w), randTensor(rng, tc.c, 1, 3, 3), randTensor(rng, tc.c)
					g, err := ResolveConv(x.Shape, w.Shape, ConvParams{Group: tc.c, Strides: []int{tc.sH, tc.sW}, Pads: []int{tc.t, tc.l, tc.b, tc.r}})
					if err != nil {
						t.Fatal(err)
					}
					want := naiveConv(x, w, b, g)
					var e Epilogue
					switch ep {
					case "relu", "residual+relu":
						e = ReluEpilogue()
					case "relu6":
						e = Epilogue{Clamp: true, Max: 6}
					case "clip":
						e = Epilogue{Clamp: true, Min: -0.5, Max: 0.75}
					}
					if ep == "residual+relu" {
						e.Residual = randTensor(rng, g.OutShape()...)
						for j := range want {
							want[j] += e.Residual.F32[j]
						}
					}
					if e.Clamp {
						for j, v := range want {
							want[j] = min(max(v, e.Min), e.Max)
						}
					}
					// y inside a larger buffer whose guard words must survive.
					const guard = 37
					n := len(want)
					buf := make([]float32, n+2*guard)
					for i := range buf {
						buf[i] = -12345
					}
					y := &tensor.Tensor{DType: tensor.Float32, Shape: g.OutShape(), F32: buf[guard : guard+n : guard+n]}
					for i := range y.F32 {
						y.F32[i] = rng.Float32() // stale contents
					}
					if err := ConvFusedInto(y, x, w, b, g, e); err != nil {
						t.Fatal(err)
					}
					assertClose(t, "depthwise 3x3", y.F32, want)
					for i := range guard {
						if buf[i] != -12345 || buf[guard+n+i] != -12345 {
							t.Fatalf("wrote outside y (guard word %d)", i)
						}
					}
				})
			}
		}
	}
}

// TestClampInPlaceBounds checks the clamp of an Epilogue, at lengths on
// both sides of where the SIMD kernel takes over and odd offsets, against
// the definition; Relu and ReLU6 leave no negative zeros.
func TestClampInPlaceBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	specials := []float32{-7, negZero, 0, 1e-40, -1e-40, 6, 6.000001, float32(math.Inf(1)), float32(math.Inf(-1))}
	for _, e := range []Epilogue{ReluEpilogue(), {Clamp: true, Max: 6}, {Clamp: true, Min: -1, Max: 0.5}, {Clamp: true, Min: 2, Max: 2}} {
		for _, n := range []int{1, 3, 4, 31, 32, 33, 64, 67, 1000} {
			for _, off := range []int{0, 1} {
				buf := make([]float32, n+off+1)
				for i := range buf {
					buf[i] = rng.Float32()*16 - 8
					if i%5 == 0 {
						buf[i] = specials[(i/5)%len(specials)]
					}
				}
				buf[len(buf)-1] = 1234
				v := buf[off : off+n]
				want := make([]float32, n)
				for i, x := range v {
					want[i] = min(max(x, e.Min), e.Max)
				}
				e.clampInPlace(v)
				for i := range v {
					if v[i] != want[i] || (e.Min == 0 && math.Signbit(float64(v[i]))) {
						t.Fatalf("[%v, %v] n=%d off=%d: v[%d] = %v, want %v", e.Min, e.Max, n, off, i, v[i], want[i])
					}
				}
				if buf[len(buf)-1] != 1234 {
					t.Fatalf("[%v, %v] n=%d off=%d: wrote past the slice", e.Min, e.Max, n, off)
				}
			}
		}
	}
}

// BenchmarkDepthwise3x3 times MobileNetV2's depthwise shapes (with ReLU6).
func BenchmarkDepthwise3x3(b *testing.B) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, s := range []struct{ c, hw, stride int }{{32, 112, 1}, {96, 112, 2}, {144, 56, 1}, {384, 14, 1}, {960, 7, 1}} {
		b.Run(fmt.Sprintf("c%d_%d_s%d", s.c, s.hw, s.stride), func(b *testing.B) {
			x, w, bias := randTensor(rng, 1, s.c, s.hw, s.hw), randTensor(rng, s.c, 1, 3, 3), randTensor(rng, s.c)
			g, err := ResolveConv(x.Shape, w.Shape, ConvParams{Group: s.c, Strides: []int{s.stride, s.stride}, Pads: []int{1, 1, 1, 1}})
			if err != nil {
				b.Fatal(err)
			}
			y := tensor.New(tensor.Float32, g.OutShape())
			e := Epilogue{Clamp: true, Max: 6}
			for b.Loop() {
				if err := ConvFusedInto(y, x, w, bias, g, e); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(4 * len(y.F32)))
		})
	}
}
