package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/tensor"
)

// depthwiseCases exercise the 3x3 register path of convDepthwise: interior
// and edge outputs, strides, dilations, channel multipliers, and images
// smaller than the kernel's reach (no interior at all).
var depthwiseCases = []convCase{
	{[]int{1, 3, 7, 9}, []int{3, 1, 3, 3}, ConvParams{Group: 3, Pads: []int{1, 1, 1, 1}}, true},
	{[]int{1, 2, 9, 8}, []int{2, 1, 3, 3}, ConvParams{Group: 2, Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}, true},
	{[]int{1, 2, 9, 10}, []int{4, 1, 3, 3}, ConvParams{Group: 2, Dilations: []int{2, 2}, Pads: []int{2, 2, 2, 2}}, false},
	{[]int{1, 2, 2, 2}, []int{2, 1, 3, 3}, ConvParams{Group: 2, Pads: []int{1, 1, 1, 1}}, true},
	{[]int{1, 2, 6, 7}, []int{2, 1, 3, 3}, ConvParams{Group: 2, Strides: []int{2, 3}, Pads: []int{0, 2, 1, 0}}, true},
	{[]int{1, 2, 8, 8}, []int{2, 1, 3, 3}, ConvParams{Group: 2}, false},
	{[]int{1, 2, 8, 8}, []int{2, 1, 2, 3}, ConvParams{Group: 2, Pads: []int{0, 1, 1, 1}}, true},
	{[]int{1, 3, 12}, []int{3, 1, 3}, ConvParams{Group: 3, Strides: []int{2}, Pads: []int{1, 1}}, true},
}

// sameWidthCases exercise im2colShifted: stride 1 with output rows as wide
// as the image rows, with every mix of vertical padding, dilation and a
// kernel wider than the image.
var sameWidthCases = []convCase{
	{[]int{1, 2, 6, 5}, []int{3, 2, 3, 3}, ConvParams{Pads: []int{2, 1, 0, 1}}, true},
	{[]int{1, 2, 5, 4}, []int{3, 2, 5, 3}, ConvParams{Pads: []int{1, 1, 0, 1}}, false},
	{[]int{1, 2, 7, 6}, []int{2, 2, 3, 3}, ConvParams{Dilations: []int{2, 2}, Pads: []int{2, 2, 2, 2}}, true},
	{[]int{1, 2, 3, 4}, []int{2, 2, 1, 7}, ConvParams{Pads: []int{0, 3, 0, 3}}, true},
	{[]int{2, 3, 8}, []int{2, 3, 3}, ConvParams{Pads: []int{1, 1}}, true},
}

// TestConvFusedMatchesUnfused checks Conv + residual + clamp against the
// definition followed by the same arithmetic, for every conv case and
// epilogue, with y holding stale values first (as a recycled buffer does).
func TestConvFusedMatchesUnfused(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	cases := append(append(append([]convCase(nil), convCases...), depthwiseCases...), sameWidthCases...)
	for i, tc := range cases {
		for _, ep := range []string{"none", "relu", "clip", "residual", "residual+relu"} {
			t.Run(fmt.Sprintf("%d/%s", i, ep), func(t *testing.T) {
				x, w := randTensor(rng, tc.x...), randTensor(rng, tc.w...)
				var b *tensor.Tensor
				if tc.withBias {
					b = randTensor(rng, tc.w[0])
				}
				g, err := ResolveConv(x.Shape, w.Shape, tc.p)
				if err != nil {
					t.Fatal(err)
				}
				want := naiveConv(x, w, b, g)
				var e Epilogue
				switch ep {
				case "relu", "residual+relu":
					e = ReluEpilogue()
				case "clip":
					e = Epilogue{Clamp: true, Min: -0.5, Max: 0.75}
				}
				if ep == "residual" || ep == "residual+relu" {
					e.Residual = randTensor(rng, g.OutShape()...)
					for j := range want {
						want[j] += e.Residual.F32[j]
					}
				}
				if e.Clamp {
					for j, v := range want {
						want[j] = float32(math.Min(math.Max(float64(v), float64(e.Min)), float64(e.Max)))
					}
				}
				y := randTensor(rng, g.OutShape()...) // stale contents
				if err := ConvFusedInto(y, x, w, b, g, e); err != nil {
					t.Fatal(err)
				}
				assertClose(t, "fused conv", y.F32, want)
			})
		}
	}
}

func TestConvFusedRejectsBadEpilogue(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	x, w := randTensor(rng, 1, 2, 5, 5), randTensor(rng, 3, 2, 3, 3)
	g, _ := ResolveConv(x.Shape, w.Shape, ConvParams{})
	y := tensor.New(tensor.Float32, g.OutShape())
	if err := ConvFusedInto(y, x, w, nil, g, Epilogue{Residual: randTensor(rng, 1, 3, 3, 4)}); err == nil {
		t.Error("a residual of the wrong shape was accepted")
	}
	if err := ConvFusedInto(y, x, w, nil, g, Epilogue{Clamp: true, Min: 1, Max: 0}); err == nil {
		t.Error("an empty clamp range was accepted")
	}
}

func TestFill(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 17, 33, 1000} {
		v := make([]float32, n)
		fill(v, 2.5)
		for i, x := range v {
			if x != 2.5 {
				t.Fatalf("n=%d: v[%d] = %v", n, i, x)
			}
		}
	}
}

func BenchmarkClamp(b *testing.B) {
	v := randTensor(rand.New(rand.NewPCG(9, 9)), 1<<16).F32
	work := make([]float32, len(v))
	for _, c := range []struct {
		name string
		e    Epilogue
	}{{"relu", ReluEpilogue()}, {"relu6", Epilogue{Clamp: true, Max: 6}}, {"clip-1,1", Epilogue{Clamp: true, Min: -1, Max: 1}}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				copy(work, v)
				c.e.clampInPlace(work)
			}
			b.SetBytes(4 * int64(len(v)))
		})
	}
}

// TestClampZeroToMax checks the two-lane integer clamp against the scalar
// definition on values around the bounds, both lanes, odd lengths and an
// odd start offset.
func TestClampZeroToMax(t *testing.T) {
	vals := []float32{-7, negZero, 0, 1e-40, -1e-40, 0.5, 5.999999, 6, 6.000001, 7, 1e30, float32(math.Inf(1)), float32(math.Inf(-1)), -3, 2.5}
	for _, hi := range []float32{6, 0, 1, float32(math.Inf(1))} {
		for start := 0; start < 2; start++ {
			v := append([]float32(nil), vals...)[start:]
			want := make([]float32, len(v))
			for i, x := range v {
				want[i] = min(max(x, 0), hi)
			}
			if math.IsInf(float64(hi), 1) {
				relu(v)
			} else {
				clampZeroToMax(v, hi)
			}
			for i := range v {
				if v[i] != want[i] || math.Signbit(float64(v[i])) {
					t.Errorf("hi=%v: clamp(%v) = %v, want %v", hi, append([]float32(nil), vals...)[start+i], v[i], want[i])
				}
			}
		}
	}
}

// negZero is -0.0 as a value: the literal -0.0 is positive zero in Go.
var negZero = float32(math.Copysign(0, -1))
