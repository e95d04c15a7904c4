package qil

import (
	"context"
	"math"
	"testing"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/internal/testassets"
)

// smallMnist is mnist-8 with the first n t10k images: enough to calibrate
// and take a few training steps, so that intervals and weights have moved
// from their initial values before export is checked.
func smallMnist(t *testing.T, n int) (*onnx.Model, *train.Loader) {
	t.Helper()
	m, err := onnx.ReadModelFile(testassets.Dir(t, "models/mnist-8.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := dataset.OpenPath(testassets.Dir(t, "data/mnist"))
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return m, &train.Loader{Set: set, Indices: idx, Preprocess: dataset.DefaultPreprocess([]int{64, 1, 28, 28}), BatchSize: 64, Shuffle: true, Seed: 1, DropLast: true}
}

// trainedQIL runs a short direct-schedule QIL run of every layer (first
// and last included, to cover the graph input and mnist-8's Reshape-fed
// MatMul weight) and returns the QIL form.
func trainedQIL(t *testing.T, bits Bits) (*onnx.Model, *train.Loader, []*Layer) {
	t.Helper()
	if r, ok := trainedCache[bits]; ok {
		return r.m, r.data, r.layers
	}
	m, data := smallMnist(t, 256)
	run, err := NewRun(context.Background(), m, data, Config{Options: Options{Bits: bits, KeepFP: []string{}}, Schedule: "direct", CalibrationImages: 64, IntervalLR: 1e-2})
	if err != nil {
		t.Fatal(err)
	}
	for !run.Done() {
		if _, err := run.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	qm, err := run.Model()
	if err != nil {
		t.Fatal(err)
	}
	trainedCache[bits] = trainedRun{qm, data, run.Layers()}
	return qm, data, run.Layers()
}

type trainedRun struct {
	m      *onnx.Model
	data   *train.Loader
	layers []*Layer
}

// trainedCache shares runs between tests (Export does not modify them).
var trainedCache = map[Bits]trainedRun{}

// rows returns images [from, from+n) of data's set, one batch-1 tensor each.
func rows(t *testing.T, data *train.Loader, n int) []*tensor.Tensor {
	t.Helper()
	l := &train.Loader{Set: data.Set, Preprocess: dataset.DefaultPreprocess([]int{1, 1, 28, 28}), BatchSize: 1}
	out := make([]*tensor.Tensor, n)
	for i := range out {
		x, _, err := l.Batch(0, 1000+i) // images the run did not train on
		if err != nil {
			t.Fatal(err)
		}
		out[i] = x
	}
	return out
}

func runAll(t *testing.T, m *onnx.Model, xs []*tensor.Tensor) [][]float32 {
	t.Helper()
	s, err := exec.NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	name := m.Graph.Input[0].Name
	out := make([][]float32, len(xs))
	for i, x := range xs {
		y, err := s.Run(map[string]*tensor.Tensor{name: x})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = append([]float32(nil), y[m.Graph.Output[0].Name].F32...)
	}
	return out
}

// TestExportComputesTheTrainedQuantizedForward: the QDQ file with float
// biases computes the QIL form's logits bit for bit, in int8 and int4
// storage (bias_test.go checks what rounding biases to int32 changes).
func TestExportComputesTheTrainedQuantizedForward(t *testing.T) {
	for _, c := range []struct {
		bits    Bits
		storage Storage
		opset   int64
	}{{Bits{4, 4}, StorageInt8, 13}, {Bits{3, 2}, StorageInt4, 21}} {
		qm, data, layers := trainedQIL(t, c.bits)
		for _, l := range layers {
			if l.Signed {
				t.Errorf("%s: input treated as signed; mnist-8's pixels and ReLU outputs are not negative", l.Node)
			}
		}
		ex, err := export(qm, &emitter{storage: c.storage, floatBias: true}, "test")
		if err != nil {
			t.Fatal(err)
		}
		if v := ex.OpsetVersion(""); v != c.opset {
			t.Errorf("%s: exported at opset %d, want %d", c.storage, v, c.opset)
		}
		for _, n := range ex.Graph.Node {
			if n.Domain != "" {
				t.Fatalf("exported node %s is in domain %q", n.Name, n.Domain)
			}
		}
		xs := rows(t, data, 16)
		want, got := runAll(t, qm, xs), runAll(t, ex, xs)
		for i := range want {
			for j := range want[i] {
				if math.Float32bits(want[i][j]) != math.Float32bits(got[i][j]) {
					t.Fatalf("%s %s: image %d logit %d: exported %v, QIL form %v", c.bits, c.storage, i, j, got[i][j], want[i][j])
				}
			}
		}
		checkLevels(t, ex, c.bits, c.storage, xs[0])
	}
}

// checkLevels counts distinct weight levels per quantized layer (at most
// 2^N - 1) and distinct values of every quantized activation (at most
// 2^N), and checks the weight storage type.
func checkLevels(t *testing.T, m *onnx.Model, bits Bits, storage Storage, x *tensor.Tensor) {
	t.Helper()
	s, err := exec.NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.RunWith(context.Background(), map[string]*tensor.Tensor{m.Graph.Input[0].Name: x}, exec.RunOptions{KeepAll: true})
	if err != nil {
		t.Fatal(err)
	}
	inits := map[string]*onnx.Tensor{}
	for _, it := range m.Graph.Initializer {
		inits[it.Name] = it
	}
	weights, acts := 0, 0
	for _, n := range m.Graph.Node {
		if n.OpType != "DequantizeLinear" {
			continue
		}
		if w := inits[n.Input[0]]; w != nil {
			if w.DataType == onnx.Int32 {
				continue // a bias (bias_test.go)
			}
			weights++
			want := onnx.Int8
			if storage == StorageInt4 && bits.W <= 4 {
				want = onnx.Int4
			}
			if w.DataType != want {
				t.Errorf("weight %s stored as %v, want %v", w.Name, w.DataType, want)
			}
			v, err := tensor.FromONNX(w)
			if err != nil {
				t.Fatal(err)
			}
			if got := distinctI8(v.I8); got > 1<<bits.W-1 {
				t.Errorf("weight %s: %d distinct levels at %d bits", w.Name, got, bits.W)
			}
			continue
		}
		acts++
		v := all[n.Output[0]]
		if v == nil {
			t.Fatalf("activation %s was not kept", n.Output[0])
		}
		if got := distinct(v.F32); got > 1<<bits.A {
			t.Errorf("activation %s: %d distinct values at %d bits", n.Output[0], got, bits.A)
		}
	}
	if weights != 3 || acts != 3 {
		t.Errorf("%d weight and %d activation DequantizeLinear nodes, want 3 and 3", weights, acts)
	}
}

func distinctI8(v []int8) int {
	seen := map[int8]bool{}
	for _, x := range v {
		seen[x] = true
	}
	return len(seen)
}

// TestInt4HalvesTheWeights: int4 storage of 4-bit layers is smaller than
// int8 storage of the same levels.
func TestInt4HalvesTheWeights(t *testing.T) {
	qm, _, _ := trainedQIL(t, Bits{4, 4})
	size := func(s Storage) int {
		ex, err := Export(qm, s, "test")
		if err != nil {
			t.Fatal(err)
		}
		b, err := onnx.Encode(ex)
		if err != nil {
			t.Fatal(err)
		}
		return len(b)
	}
	i8, i4 := size(StorageInt8), size(StorageInt4)
	// mnist-8 holds 5,760 weights: int4 saves 2,880 bytes of them.
	if i8-i4 < 2800 {
		t.Fatalf("int8 file %d bytes, int4 %d: want about 2,880 fewer", i8, i4)
	}
}

// TestPTQBaseline: min-max PTQ at 8 bits keeps mnist-8's accuracy on
// held-out images, each output channel's weights take at most 2^N - 1
// levels, and 2 bits on every layer costs accuracy (the gap QIL closes).
func TestPTQBaseline(t *testing.T) {
	m, data := smallMnist(t, 256)
	ctx := context.Background()
	held := &train.Loader{Set: data.Set, Indices: make([]int, 300), Preprocess: data.Preprocess, BatchSize: 100}
	for i := range held.Indices {
		held.Indices[i] = 2000 + i
	}
	fp, err := Accuracy(ctx, m, held)
	if err != nil {
		t.Fatal(err)
	}
	acc := map[int]float64{}
	for _, b := range []int{8, 2} {
		q, layers, err := PTQ(ctx, m, data, Options{Bits: Bits{b, b}, KeepFP: []string{}}, 128, StorageInt8)
		if err != nil {
			t.Fatal(err)
		}
		if len(layers) != 3 {
			t.Fatalf("%d layers planned, want 3", len(layers))
		}
		if acc[b], err = Accuracy(ctx, q, held); err != nil {
			t.Fatal(err)
		}
		for _, it := range q.Graph.Initializer {
			if it.DataType != onnx.Int8 || len(it.Dims) < 2 {
				continue
			}
			v, _ := tensor.FromONNX(it)
			if got := distinctI8(v.I8); got > 1<<b-1 {
				t.Errorf("%d bits: %s has %d levels", b, it.Name, got)
			}
		}
	}
	t.Logf("held-out accuracy: float %.1f %%, PTQ w8a8 %.1f %%, w2a2 %.1f %%", 100*fp, 100*acc[8], 100*acc[2])
	if acc[8] < fp-0.01 {
		t.Errorf("8-bit PTQ %.3f, float %.3f: min-max at 8 bits should cost almost nothing", acc[8], fp)
	}
	if acc[2] >= acc[8] {
		t.Errorf("2-bit PTQ %.3f is not below 8-bit %.3f", acc[2], acc[8])
	}
}
