package exec

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// TestConvScratchIsInTheArena: a convolution's im2col scratch is a request
// of the run's trace, predicted right after the convolution's output and
// released right after it (temp.go), so the arena serves it: planned runs
// allocate nothing but the graph's output, follow the plan to the end, and
// give the same bits as a session that records its first run. Before, the
// scratch was core/nn's shared buffer, reserved at its largest beside the
// arena (ResNet-18: 1.8 MiB of peak RSS).
func TestConvScratchIsInTheArena(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	type layer struct{ in, out int }
	layers := []layer{{4, 8}, {8, 32}, {32, 16}}
	var inits []*onnx.Tensor
	var nodes []*onnx.Node
	var wantSizes []int // the predicted trace's requests
	prev, side := "x", 17
	takes := 0
	for i, l := range layers {
		w := tensor.New(tensor.Float32, []int{l.out, l.in, 3, 3})
		for j := range w.F32 {
			w.F32[j] = float32(rng.NormFloat64()) * 0.1
		}
		name := string(rune('a' + i))
		o, err := tensor.ToONNX(w, "w"+name)
		if err != nil {
			t.Fatal(err)
		}
		inits = append(inits, o)
		nodes = append(nodes, mkNode("Conv", "conv"+name, []string{prev, "w" + name}, []string{"y" + name}))
		g, err := nn.ResolveConv([]int{1, l.in, side, side}, w.Shape, nn.ConvParams{})
		if err != nil {
			t.Fatal(err)
		}
		wantSizes = append(wantSizes, g.OutSize()*l.out)
		if n := nn.ConvScratchFloats(g); n > 0 {
			wantSizes = append(wantSizes, n)
			takes++
		}
		prev, side = "y"+name, side-2
	}
	if takes == 0 {
		t.Skip("no convolution here unrolls a col matrix (the platform's GEMM gathers them all)")
	}
	m := testModel(13, []*onnx.ValueInfo{valueInfo("x", onnx.Float, 1, 4, 17, 17)}, []string{prev}, inits, nodes...)
	x := tensor.New(tensor.Float32, []int{1, 4, 17, 17})
	for i := range x.F32 {
		x.F32[i] = float32(rng.NormFloat64())
	}
	feeds := map[string]*tensor.Tensor{"x": x}
	ahead, err := NewSessionWith(m, SessionOptions{RunOnly: true, CollectFirstRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if ahead.ahead == nil {
		t.Fatal("no trace predicted for a model of static shapes")
	}
	if got := ahead.ahead.trace.sizes; !slices.Equal(got, wantSizes) {
		t.Fatalf("predicted requests %v, want each output followed by its convolution's scratch: %v", got, wantSizes)
	}
	recorded, err := NewSessionWith(m, SessionOptions{RunOnly: true, noPlanAhead: true})
	if err != nil {
		t.Fatal(err)
	}
	outBytes := int64(16*11*11) * 4 // the last convolution's output, the graph's
	for r := range 3 {
		a, err := ahead.Run(feeds)
		if err != nil {
			t.Fatal(err)
		}
		if got := ahead.Stats().AllocatedBytes; got != outBytes {
			t.Errorf("run %d allocated %d bytes; want only the output's %d (the scratch from the arena)", r, got, outBytes)
		}
		b, err := recorded.Run(feeds)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range a[prev].F32 {
			if math.Float32bits(v) != math.Float32bits(b[prev].F32[i]) {
				t.Fatalf("run %d: %s[%d] = %v planned ahead, %v recorded", r, prev, i, v, b[prev].F32[i])
			}
		}
	}
	if pl := ahead.pool.plan; pl == nil || !pl.predicted || pl.followed != 3 {
		t.Fatalf("the predicted plan did not serve the three runs to the end: %+v", pl)
	}
}
