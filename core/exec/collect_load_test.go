package exec

import (
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// TestCollectLoadGarbageReturnsPages: natively, the collection before a
// planned arena returns the freed pages to the OS rather than leaving them
// resident beside the arena, which takes new ones (collect.go: 2.6 MiB of
// DenseNet-121's peak RSS). Loading's garbage is stood in for by 8 MiB of
// 64 KiB buffers of which every other one stays alive, so that the free
// memory is in pieces no 8 MiB arena fits in.
func TestCollectLoadGarbageReturnsPages(t *testing.T) {
	if runtime.GOARCH == "wasm" {
		t.Skip("wasm's linear memory never shrinks: the collection is all there is")
	}
	keep := make([][]byte, 0, 64)
	for i := range 128 {
		b := make([]byte, 64<<10)
		b[0] = 1
		if i%2 == 0 {
			keep = append(keep, b)
		}
	}
	collectLoadGarbage()
	s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
	metrics.Read(s)
	if free := s[0].Value.Uint64(); free > 1<<20 {
		t.Errorf("%d bytes of free heap still resident after collectLoadGarbage; want under 1 MiB", free)
	}
	runtime.KeepAlive(keep)
}

// TestPredictedTraceReservesScratch: the trace predicted for a chain of
// convolutions whose im2col scratch grows layer by layer carries the
// largest of them, which the first run reserves (nn.ReserveScratch)
// before any runs, instead of growing the buffer twice; and that run's
// outputs are the same bits as a session that records its first run.
func TestPredictedTraceReservesScratch(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	type layer struct{ in, out int }
	layers := []layer{{4, 8}, {8, 32}, {32, 16}}
	var inits []*onnx.Tensor
	var nodes []*onnx.Node
	want, prev, side := 0, "x", 17
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
		want = max(want, nn.ConvScratchFloats(g))
		prev, side = "y"+name, side-2
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
	if got := ahead.ahead.scratch; got != want {
		t.Fatalf("predicted scratch %d floats, the largest the convolutions take is %d", got, want)
	}
	recorded, err := NewSessionWith(m, SessionOptions{RunOnly: true, noPlanAhead: true})
	if err != nil {
		t.Fatal(err)
	}
	for r := range 2 {
		a, err := ahead.Run(feeds)
		if err != nil {
			t.Fatal(err)
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
}
