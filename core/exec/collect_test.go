package exec

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// denseBlock is a model whose maps grow like a DenseNet block: each layer
// convolves the running concatenation to g channels and appends them, so
// every Concat output is larger than the one freed before it and the free
// lists of a trace run keep them all.
func denseBlock(t *testing.T, layers, g int) (*onnx.Model, map[string]*tensor.Tensor) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 14))
	var inits []*onnx.Tensor
	var nodes []*onnx.Node
	prev, ch := "x", g
	for i := range layers {
		w := tensor.New(tensor.Float32, []int{g, ch, 3, 3})
		for j := range w.F32 {
			w.F32[j] = float32(rng.NormFloat64()) * 0.1
		}
		name := func(s string) string { return s + string(rune('a'+i)) }
		o, err := tensor.ToONNX(w, name("w"))
		if err != nil {
			t.Fatal(err)
		}
		inits = append(inits, o)
		nodes = append(nodes,
			mkNode("Conv", name("conv"), []string{prev, name("w")}, []string{name("y")}, attrInts("pads", 1, 1, 1, 1)),
			mkNode("Concat", name("cat"), []string{prev, name("y")}, []string{name("c")}, attrInt("axis", 1)))
		prev, ch = name("c"), ch+g
	}
	nodes = append(nodes, mkNode("Relu", "out", []string{prev}, []string{"z"}))
	m := testModel(13, []*onnx.ValueInfo{valueInfo("x", onnx.Float, 1, int64(g), 16, 16)}, []string{"z"}, inits, nodes...)
	x := tensor.New(tensor.Float32, []int{1, g, 16, 16})
	for i := range x.F32 {
		x.F32[i] = float32(rng.NormFloat64())
	}
	return m, map[string]*tensor.Tensor{"x": x}
}

// TestCollectFirstRun: with CollectFirstRun the first run's free lists
// never hold more than the largest buffer a layer frees (its Concat input)
// plus what a miss has not yet dropped, instead of every map of the block;
// and the outputs, of the first run and of the planned ones, are the same
// bits as without it. The sessions record their first run (noPlanAhead),
// as one whose shapes cannot be inferred does.
func TestCollectFirstRun(t *testing.T) {
	const layers, g = 8, 8
	m, feeds := denseBlock(t, layers, g)
	var scratch int64 // the largest im2col scratch, a pool buffer too (temp.go)
	run := func(collect bool) (first Stats, outs [][]float32) {
		s, err := NewSessionWith(m, SessionOptions{RunOnly: true, CollectFirstRun: collect, noPlanAhead: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			out, err := s.Run(feeds)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = s.Stats()
			}
			outs = append(outs, out["z"].F32)
		}
		scratch = largestScratchBytes(s)
		return first, outs
	}
	kept, want := run(false)
	dropped, got := run(true)
	for r := range got {
		for i, v := range got[r] {
			if math.Float32bits(v) != math.Float32bits(want[r][i]) {
				t.Fatalf("run %d: z[%d] = %v with CollectFirstRun, %v without", r, i, v, want[r][i])
			}
		}
	}
	// The largest Concat input is (layers) x g channels of 16x16 floats.
	largest := int64(layers*g*16*16) * 4
	t.Logf("first run's free lists: %d bytes kept, %d with CollectFirstRun (largest map %d, peak live %d)",
		kept.PeakFreeBytes, dropped.PeakFreeBytes, largest, dropped.PeakLiveBytes)
	if dropped.PeakFreeBytes > 2*largest+scratch {
		t.Errorf("with CollectFirstRun the free lists held %d bytes, more than two of the largest map (%d) and the scratch (%d)", dropped.PeakFreeBytes, largest, scratch)
	}
	if kept.PeakFreeBytes <= 2*largest {
		t.Errorf("without CollectFirstRun the free lists held only %d bytes: the block does not show what the option is for", kept.PeakFreeBytes)
	}
}
