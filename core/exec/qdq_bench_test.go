package exec_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/internal/testassets"
	"github.com/pare-ml/pare/internal/testmodels"
	"github.com/pare-ml/pare/qil"
)

// qdqModels are the float models the QDQ benchmarks quantize, each with
// the labelled images its min-max calibration reads (the shared t10k
// sets: what is at hand, and only ranges are taken from them).
var qdqModels = []struct {
	name, model, data string
	inRepo            bool // model is a path in the repository, not the shared assets
}{
	{"mnist-8", "models/mnist-8.onnx", "data/mnist", false},
	{"fashion-dwnet", "core/train/testdata/fashion-dwnet.onnx", "data/fashion-mnist", true},
	{"fashion-resnet", "core/train/testdata/fashion-resnet.onnx", "data/fashion-mnist", true},
}

// qdqVariants are the files each benchmark times: the float model, and
// its min-max 4/4 QDQ export (int8 storage) with the default policy
// (first and last layer in float) and with every layer quantized, each run
// with the fake-quant fusion and without it.
type qdqVariant struct {
	name    string
	model   *onnx.Model
	unfused bool
}

func qdqVariants(tb testing.TB, path, data string, inRepo bool) ([]qdqVariant, *tensor.Tensor) {
	tb.Helper()
	if inRepo {
		p, err := testassets.RepoPath(path)
		if err != nil {
			tb.Fatal(err)
		}
		path = p
	} else {
		path = testassets.Dir(tb, path)
	}
	m, err := onnx.ReadModelFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	set, err := dataset.OpenPath(testassets.Dir(tb, data))
	if err != nil {
		tb.Fatal(err)
	}
	shape, err := concreteInputShape(m)
	if err != nil {
		tb.Fatal(err)
	}
	pre := dataset.DefaultPreprocess(append([]int{64}, shape[1:]...))
	calib := &train.Loader{Set: set, Preprocess: pre, BatchSize: 64, Indices: make([]int, 64)}
	for i := range calib.Indices {
		calib.Indices[i] = i
	}
	out := []qdqVariant{{name: "float", model: m}}
	for _, keep := range []struct {
		name string
		fp   []string
	}{{"w4a4", nil}, {"w4a4-all", []string{}}} {
		q, _, err := qil.PTQ(context.Background(), m, calib, qil.Options{Bits: qil.Bits{W: 4, A: 4}, KeepFP: keep.fp}, 64, qil.StorageInt8)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, qdqVariant{name: "qdq-" + keep.name, model: q}, qdqVariant{name: "qdq-" + keep.name + "-unfused", model: q, unfused: true})
	}
	one := &train.Loader{Set: set, Preprocess: dataset.DefaultPreprocess(shape), BatchSize: 1}
	x, _, err := one.Batch(0, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return out, x
}

// concreteInputShape is the model's first input's shape with symbolic
// dimensions (the batch) set to 1.
func concreteInputShape(m *onnx.Model) ([]int, error) {
	ins := testmodels.GraphInputs(m)
	if len(ins) == 0 || ins[0].Type == nil || ins[0].Type.TensorType == nil || ins[0].Type.TensorType.Shape == nil {
		return nil, fmt.Errorf("the model's first input has no tensor shape")
	}
	var shape []int
	for _, d := range ins[0].Type.TensorType.Shape.Dim {
		shape = append(shape, max(1, int(d.Value)))
	}
	return shape, nil
}

func session(tb testing.TB, v qdqVariant) *exec.Session {
	tb.Helper()
	var s *exec.Session
	var err error
	if v.unfused {
		s, err = exec.NewSessionUnfusedQDQ(v.model)
	} else {
		s, err = exec.NewSessionWith(v.model, exec.SessionOptions{RunOnly: true})
	}
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// BenchmarkQDQ times batch-1 inference of each variant:
//
//	go test ./core/exec/ -run '^$' -bench QDQ -benchtime 2s
//	GOOS=js GOARCH=wasm go test -exec=$PWD/tools/wasmexec/go_js_wasm_exec ./core/exec/ -run '^$' -bench QDQ
func BenchmarkQDQ(b *testing.B) {
	for _, mc := range qdqModels {
		variants, x := qdqVariants(b, mc.model, mc.data, mc.inRepo)
		for _, v := range variants {
			b.Run(mc.name+"/"+v.name, func(b *testing.B) {
				s := session(b, v)
				feeds := map[string]*tensor.Tensor{s.InputNames()[0]: x}
				for b.Loop() {
					if _, err := s.Run(feeds); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestQDQExportsFusedMatchUnfused: on the exported QDQ files of the
// benchmark, the fused plan's outputs equal the unfused plan's bit for
// bit.
func TestQDQExportsFusedMatchUnfused(t *testing.T) {
	for _, mc := range qdqModels {
		variants, x := qdqVariants(t, mc.model, mc.data, mc.inRepo)
		for i := 1; i+1 < len(variants); i += 2 {
			fused, unfused := session(t, variants[i]), session(t, variants[i+1])
			feeds := map[string]*tensor.Tensor{fused.InputNames()[0]: x}
			a, err := fused.Run(feeds)
			if err != nil {
				t.Fatal(err)
			}
			b, err := unfused.Run(feeds)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range fused.OutputNames() {
				for j, v := range b[name].F32 {
					if math.Float32bits(v) != math.Float32bits(a[name].F32[j]) {
						t.Fatalf("%s %s: %s[%d] = %v fused, %v unfused", mc.name, variants[i].name, name, j, a[name].F32[j], v)
					}
				}
			}
		}
	}
}
