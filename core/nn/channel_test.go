package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// Shapes (batch, channels, plane) for the channel passes: planes of 1 to
// 3 values (all tail), multiples of 4 and not, and planes past a 256-value
// float32 block with and without a tail.
var channelShapes = [][3]int{
	{1, 1, 1}, {1, 1, 3}, {1, 2, 4}, {2, 3, 5}, {3, 4, 7}, {2, 5, 64},
	{4, 16, 33}, {2, 2, 256}, {2, 2, 257}, {1, 3, 300}, {1, 1, 515},
}

// Lengths for the element-wise passes: around the 4-float vector and the
// SIMD threshold.
var elementwiseLengths = []int{0, 1, 3, 4, 5, 31, 32, 33, 67, 256, 1001}

// channelInputs are random operands of the channel passes: x off-centre
// (as activations are), some exact and negative zeros.
type channelInputs struct {
	batch, channels, plane                       int
	x, g                                         []float32
	scale, shift, mean, invStd, k, meanG, meanGX []float32
}

func newChannelInputs(rng *rand.Rand, batch, channels, plane int) *channelInputs {
	n := batch * channels * plane
	vec := func(n int, f func() float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = f()
		}
		return v
	}
	normal := func() float32 { return float32(rng.NormFloat64()) }
	positive := func() float32 { return 0.25 + rng.Float32() }
	in := &channelInputs{batch: batch, channels: channels, plane: plane,
		x: vec(n, func() float32 { return 0.75 + 2*float32(rng.NormFloat64()) }), g: vec(n, normal),
		scale: vec(channels, positive), shift: vec(channels, normal), mean: vec(channels, normal), invStd: vec(channels, positive),
		k: vec(channels, positive), meanG: vec(channels, normal), meanGX: vec(channels, normal),
	}
	for i := 0; i < n; i += 7 {
		in.x[i] = 0
		in.g[i] = float32(math.Copysign(0, -1))
	}
	return in
}

// channelOutputs are the results of every channel pass on one input.
type channelOutputs struct {
	moments, gradSums             []float64
	affine, affineRelu, inputGrad []float32
}

func runChannelPasses(in *channelInputs) channelOutputs {
	n := in.batch * in.channels * in.plane
	out := channelOutputs{
		moments: make([]float64, 2*in.channels), gradSums: make([]float64, 2*in.channels),
		affine: make([]float32, n), affineRelu: make([]float32, n), inputGrad: make([]float32, n),
	}
	ChannelMoments(out.moments, in.x, in.batch, in.channels, in.plane)
	ChannelGradSums(out.gradSums, in.g, in.x, in.mean, in.invStd, in.batch, in.channels, in.plane)
	ChannelAffine(out.affine, in.x, in.scale, in.shift, in.batch, in.channels, in.plane, false)
	ChannelAffine(out.affineRelu, in.x, in.scale, in.shift, in.batch, in.channels, in.plane, true)
	BatchNormInputGrad(out.inputGrad, in.g, in.x, in.mean, in.invStd, in.k, in.meanG, in.meanGX, in.batch, in.channels, in.plane)
	return out
}

// TestChannelPassesMatchDefinition checks every channel pass against its
// formula evaluated in float64.
func TestChannelPassesMatchDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, s := range channelShapes {
		batch, channels, plane := s[0], s[1], s[2]
		name := fmt.Sprintf("%dx%dx%d", batch, channels, plane)
		in := newChannelInputs(rng, batch, channels, plane)
		got := runChannelPasses(in)
		for c := 0; c < channels; c++ {
			var sum, sumSq, sumG, sumGX float64
			for b := 0; b < batch; b++ {
				for i := 0; i < plane; i++ {
					j := (b*channels+c)*plane + i
					x, g := float64(in.x[j]), float64(in.g[j])
					sum += x
					sumSq += x * x
					sumG += g
					sumGX += g * (x - float64(in.mean[c])) * float64(in.invStd[c])
				}
			}
			scale := 1 + math.Sqrt(sumSq) // sums of mixed signs: compare to their magnitude
			for _, chk := range []struct {
				what      string
				got, want float64
			}{{"sum", got.moments[2*c], sum}, {"sum of squares", got.moments[2*c+1], sumSq},
				{"sum of g", got.gradSums[2*c], sumG}, {"sum of g*xhat", got.gradSums[2*c+1], sumGX}} {
				if math.Abs(chk.got-chk.want) > 1e-5*scale*(1+float64(in.invStd[c])) {
					t.Errorf("%s channel %d: %s = %v, want %v", name, c, chk.what, chk.got, chk.want)
				}
			}
		}
		for j := range in.x {
			c := j / plane % channels
			x, g := float64(in.x[j]), float64(in.g[j])
			affine := x*float64(in.scale[c]) + float64(in.shift[c])
			xhat := (x - float64(in.mean[c])) * float64(in.invStd[c])
			grad := float64(in.k[c]) * (g - float64(in.meanG[c]) - xhat*float64(in.meanGX[c]))
			for _, chk := range []struct {
				what      string
				got, want float64
			}{{"affine", float64(got.affine[j]), affine}, {"affine+relu", float64(got.affineRelu[j]), max(affine, 0)},
				{"input grad", float64(got.inputGrad[j]), grad}} {
				if math.Abs(chk.got-chk.want) > 1e-5*(1+math.Abs(chk.want)) {
					t.Fatalf("%s value %d: %s = %v, want %v", name, j, chk.what, chk.got, chk.want)
				}
			}
			if math.Signbit(float64(got.affineRelu[j])) {
				t.Fatalf("%s value %d: relu left a negative sign: %v", name, j, got.affineRelu[j])
			}
		}
	}
}

// elementwiseInputs returns g, a ReLU output y with exact zeros, and two
// addends for the element-wise passes.
func elementwiseInputs(rng *rand.Rand, n int) (g, y, a, b []float32) {
	g, y, a, b = make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range g {
		g[i] = float32(rng.NormFloat64())
		y[i] = max(float32(rng.NormFloat64()), 0)
		a[i] = float32(rng.NormFloat64())
		b[i] = float32(rng.NormFloat64())
	}
	if n > 2 {
		b[1] = -a[1] // an exact zero sum
		a[2], b[2] = float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1))
	}
	return g, y, a, b
}

// TestElementwisePassesMatchDefinition checks ReluMask and AddInto, also
// in place.
func TestElementwisePassesMatchDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, n := range elementwiseLengths {
		g, y, a, b := elementwiseInputs(rng, n)
		mask, sum, sumRelu := make([]float32, n), make([]float32, n), make([]float32, n)
		ReluMask(mask, g, y)
		AddInto(sum, a, b, false)
		AddInto(sumRelu, a, b, true)
		inPlace := append([]float32(nil), a...)
		AddInto(inPlace, inPlace, b, false)
		for i := 0; i < n; i++ {
			wantMask := float32(0)
			if y[i] > 0 {
				wantMask = g[i]
			}
			s := a[i] + b[i]
			switch {
			case math.Float32bits(mask[i]) != math.Float32bits(wantMask):
				t.Fatalf("n=%d: ReluMask[%d] = %v, want %v", n, i, mask[i], wantMask)
			case sum[i] != s || inPlace[i] != s:
				t.Fatalf("n=%d: AddInto[%d] = %v (in place %v), want %v", n, i, sum[i], inPlace[i], s)
			case sumRelu[i] != max(s, 0) || math.Signbit(float64(sumRelu[i])):
				t.Fatalf("n=%d: AddInto relu [%d] = %v, want %v", n, i, sumRelu[i], max(s, 0))
			}
		}
	}
}

// TestChannelPassesRejectShortOperands checks that a slice shorter than
// the shape panics with a message naming it, before anything is written.
func TestChannelPassesRejectShortOperands(t *testing.T) {
	in := newChannelInputs(rand.New(rand.NewPCG(35, 36)), 2, 3, 40)
	n := 2 * 3 * 40
	full, short := make([]float32, n), make([]float32, n-1)
	for name, call := range map[string]func(){
		"moments": func() { ChannelMoments(make([]float64, 5), in.x, 2, 3, 40) },
		"x":       func() { ChannelMoments(make([]float64, 6), in.x[:n-1], 2, 3, 40) },
		"g":       func() { ChannelGradSums(make([]float64, 6), in.g[:n-1], in.x, in.mean, in.invStd, 2, 3, 40) },
		"invStd":  func() { ChannelGradSums(make([]float64, 6), in.g, in.x, in.mean, in.invStd[:2], 2, 3, 40) },
		"shift":   func() { ChannelAffine(full, in.x, in.scale, in.shift[:2], 2, 3, 40, true) },
		"y":       func() { ChannelAffine(short, in.x, in.scale, in.shift, 2, 3, 40, false) },
		"meanGX": func() {
			BatchNormInputGrad(full, in.g, in.x, in.mean, in.invStd, in.k, in.meanG, in.meanGX[:1], 2, 3, 40)
		},
		"dx":           func() { BatchNormInputGrad(short, in.g, in.x, in.mean, in.invStd, in.k, in.meanG, in.meanGX, 2, 3, 40) },
		"a":            func() { AddInto(full, short, full, false) },
		"b":            func() { AddInto(full, full, short, true) },
		"ReluMask's y": func() { ReluMask(full, full, short) },
		"negative":     func() { ChannelMoments(nil, nil, -1, 3, 40) },
	} {
		func() {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				want := strings.TrimPrefix(name, "ReluMask's ")
				if name == "negative" {
					want = "negative"
				}
				if r == nil || !strings.Contains(msg, want) {
					t.Errorf("%s: panic %v, want a message naming %q", name, r, want)
				}
			}()
			call()
		}()
	}
}

// sameBits32 and sameBits64 fail t at the first value whose bits differ.
func sameBits32(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d = %v (SIMD), Go %v", what, i, got[i], want[i])
		}
	}
}

func sameBits64(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s: value %d = %v (SIMD), Go %v", what, i, got[i], want[i])
		}
	}
}
