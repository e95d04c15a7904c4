package exec

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"unsafe"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// convChainFile writes a model of convolutions with width x width x 3 x 3
// weights (the first one from 8 channels, then layers-1 more, a
// BatchNormalization after the first) to a file, and returns its path, the
// bytes of its float weights and an input.
func convChainFile(t *testing.T, width, layers int) (string, int64, map[string]*tensor.Tensor) {
	t.Helper()
	rng := rand.New(rand.NewPCG(14, 14))
	var weightBytes int64
	random := func(name string, positive bool, dims ...int) *onnx.Tensor {
		x := tensor.New(tensor.Float32, dims)
		for i := range x.F32 {
			v := float32(rng.NormFloat64()) * 0.05
			if positive {
				v = float32(math.Abs(float64(v))) + 0.5
			}
			x.F32[i] = v
		}
		weightBytes += 4 * int64(x.Len())
		o, err := tensor.ToONNX(x, name)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	w := width
	inits := []*onnx.Tensor{random("w0", false, w, 8, 3, 3), random("b0", false, w),
		random("scale", true, w), random("shift", false, w), random("mean", false, w), random("var", true, w)}
	nodes := []*onnx.Node{
		mkNode("Conv", "conv0", []string{"x", "w0", "b0"}, []string{"c0"}, attrInts("pads", 1, 1, 1, 1)),
		mkNode("BatchNormalization", "bn", []string{"c0", "scale", "shift", "mean", "var"}, []string{"y0"}),
	}
	prev := "y0"
	for i := 1; i < layers; i++ {
		name := "w" + string(rune('0'+i))
		inits = append(inits, random(name, false, w, w, 3, 3))
		out := "y" + string(rune('0'+i))
		nodes = append(nodes, mkNode("Conv", "conv"+string(rune('0'+i)), []string{prev, name}, []string{out}, attrInts("pads", 1, 1, 1, 1)))
		prev = out
	}
	m := testModel(13, []*onnx.ValueInfo{valueInfo("x", onnx.Float, 1, 8, 4, 4)}, []string{prev}, inits, nodes...)
	data, err := onnx.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "chain.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(tensor.Float32, []int{1, 8, 4, 4})
	for i := range x.F32 {
		x.F32[i] = float32(rng.NormFloat64())
	}
	return path, weightBytes, map[string]*tensor.Tensor{"x": x}
}

// TestReadModelFileRunsAsReadWhole: a session from the streamed model and
// its Weights computes what one from the model read whole computes, and
// the model keeps every initializer's dims while only the small ones keep
// their values.
func TestReadModelFileRunsAsReadWhole(t *testing.T) {
	path, _, feeds := convChainFile(t, 32, 3)
	whole, err := onnx.ReadModelFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := NewSessionWith(whole, SessionOptions{RunOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	m, w, err := ReadModelFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, init := range m.Graph.Initializer {
		want := whole.Graph.Initializer[i]
		n, _ := want.NumElements()
		taken := n > graph.MaxFoldElements
		if init.Name != want.Name || !equalDims(init.Dims, want.Dims) || init.DataType != want.DataType {
			t.Errorf("initializer %d: %q %v %v, want %q %v %v", i, init.Name, init.Dims, init.DataType, want.Name, want.Dims, want.DataType)
		}
		if taken != (len(init.RawData) == 0) {
			t.Errorf("initializer %q (%d elements): values kept in the model: %v", init.Name, n, len(init.RawData) > 0)
		}
		// A small one's values are the model's bytes, not a copy.
		if c := w.byTensor[init]; !taken && littleEndianHost && (c == nil || len(c.F32) == 0 ||
			unsafe.Pointer(unsafe.SliceData(c.F32)) != unsafe.Pointer(unsafe.SliceData(init.RawData))) {
			t.Errorf("initializer %q (%d elements): the session's tensor %v does not share the model's bytes", init.Name, n, c)
		}
	}
	s, err := NewSessionWith(m, SessionOptions{RunOnly: true, Weights: w})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Run(feeds)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ref.Run(feeds)
	if err != nil {
		t.Fatal(err)
	}
	for name, g := range got {
		for i, v := range g.F32 {
			if math.Float32bits(v) != math.Float32bits(want[name].F32[i]) {
				t.Fatalf("%s[%d] = %v, the model read whole gives %v", name, i, v, want[name].F32[i])
			}
		}
	}
	if _, err := NewSessionWith(m, SessionOptions{RunOnly: true, Weights: w}); err == nil {
		t.Error("the same Weights built a second session (the first folded BN into them)")
	}
}

// littleEndianHost is set where float32 raw_data can be read in place.
var littleEndianHost = *(*byte)(unsafe.Pointer(&[]uint16{1}[0])) == 1

func equalDims(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReadModelFileHoldsWeightsOnce is the memory account of loading:
// reading a model whose float weights take N bytes and building its
// run-only session must allocate at most 1.25 N in all (so the heap
// never held more while loading: whatever was on it was allocated), and
// keep at most 1.1 N after a collection. Reading the file whole and then
// converting allocates at least 2 N (the file's bytes, then the tensors),
// which fails the first bound; the test checks that too, or it would
// measure nothing. The slack covers what is not weights: the model's
// structure, the 64 KiB read buffer, the small initializers copied and
// BatchNormalization's folded bias, a few kB against N = 7.2 MB here.
func TestReadModelFileHoldsWeightsOnce(t *testing.T) {
	path, n, _ := convChainFile(t, 256, 4)
	account := func(read func() (*onnx.Model, *Weights, error)) (total, live float64) {
		var before, loaded, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		m, w, err := read()
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSessionWith(m, SessionOptions{RunOnly: true, Weights: w})
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&loaded)
		runtime.GC() // m and w are dead here: only the session is kept

		runtime.ReadMemStats(&after)
		runtime.KeepAlive(s)
		return float64(loaded.TotalAlloc - before.TotalAlloc), float64(after.HeapAlloc) - float64(before.HeapAlloc)
	}
	wholeTotal, _ := account(func() (*onnx.Model, *Weights, error) {
		m, err := onnx.ReadModelFile(path)
		return m, nil, err
	})
	total, live := account(func() (*onnx.Model, *Weights, error) { return ReadModelFile(path) })
	t.Logf("weights %d bytes; loading allocated %.3f x (read whole: %.3f x), holds %.3f x after a collection",
		n, total/float64(n), wholeTotal/float64(n), live/float64(n))
	if wholeTotal <= 1.25*float64(n) {
		t.Errorf("reading the file whole allocated only %.2f x the weights: the account does not see the file's bytes", wholeTotal/float64(n))
	}
	if total > 1.25*float64(n) {
		t.Errorf("loading allocated %.0f bytes, %.2f x the %d bytes of weights (at most 1.25 x)", total, total/float64(n), n)
	}
	if live > 1.1*float64(n) {
		t.Errorf("the session holds %.0f bytes after a collection, %.2f x the %d bytes of weights (at most 1.1 x)", live, live/float64(n), n)
	}
}
