package exec_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/gemm"
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
	// floatConv keeps every Conv in float (no integer convolutions).
	floatConv bool
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
	switch {
	case v.unfused:
		s, err = exec.NewSessionUnfusedQDQ(v.model)
	case v.floatConv:
		s, err = exec.NewSessionFloatConvQDQ(v.model)
	default:
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
// benchmark, the fused plan's outputs (every Conv in float) equal the
// unfused plan's bit for bit.
func TestQDQExportsFusedMatchUnfused(t *testing.T) {
	for _, mc := range qdqModels {
		variants, x := qdqVariants(t, mc.model, mc.data, mc.inRepo)
		for i := 1; i+1 < len(variants); i += 2 {
			fv := variants[i]
			fv.floatConv = true
			fused, unfused := session(t, fv), session(t, variants[i+1])
			a, b := runBoth(t, fused, unfused, x)
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

// TestQDQExportsIntegerConvs: where the platform multiplies quantized
// convolutions in integers, every quantized Conv of the exported files
// does (none is left in float for want of a pattern), and the outputs are
// the float plan's within float32 rounding of the logits' range, the
// class the same; where it does not, none does.
func TestQDQExportsIntegerConvs(t *testing.T) {
	for _, mc := range qdqModels {
		variants, x := qdqVariants(t, mc.model, mc.data, mc.inRepo)
		for i := 1; i+1 < len(variants); i += 2 {
			v := variants[i]
			s := session(t, v)
			fv := v
			fv.floatConv = true
			ref := session(t, fv)
			steps := exec.IntegerConvSteps(s)
			if !gemm.IntegerKernel() {
				if steps != 0 {
					t.Fatalf("%s %s: %d integer convolutions on a platform without the kernel", mc.name, v.name, steps)
				}
				continue
			}
			if want := quantizedConvs(v.model); steps != want {
				t.Errorf("%s %s: %d of the %d Convs with a quantized input and integer weights multiply in integers", mc.name, v.name, steps, want)
			}
			a, b := runBoth(t, s, ref, x)
			for _, name := range s.OutputNames() {
				got, want := a[name].F32, b[name].F32
				lo, hi := want[0], want[0]
				for _, v := range want {
					lo, hi = min(lo, v), max(hi, v)
				}
				for j := range want {
					if d := math.Abs(float64(got[j] - want[j])); d > 1e-4*float64(hi-lo) {
						t.Errorf("%s %s: %s[%d] = %v with integer convolutions, %v in float (%.3g apart, logit range %.3g)", mc.name, v.name, name, j, got[j], want[j], d, hi-lo)
					}
				}
				if argmax(got) != argmax(want) {
					t.Errorf("%s %s: class %d with integer convolutions, %d in float", mc.name, v.name, argmax(got), argmax(want))
				}
			}
			t.Logf("%s %s: %d integer convolutions", mc.name, v.name, steps)
		}
	}
}

// runBoth runs sessions s and t of one model on the input x.
func runBoth(tb testing.TB, s, t *exec.Session, x *tensor.Tensor) (a, b map[string]*tensor.Tensor) {
	tb.Helper()
	feeds := map[string]*tensor.Tensor{s.InputNames()[0]: x}
	a, err := s.Run(feeds)
	if err != nil {
		tb.Fatal(err)
	}
	if b, err = t.Run(feeds); err != nil {
		tb.Fatal(err)
	}
	return a, b
}

// quantizedConvs counts the Convs of a QDQ file that read a
// DequantizeLinear of an activation (or the signed form's Mul of one by a
// Sign) and of an integer initializer, with one input channel group.
func quantizedConvs(m *onnx.Model) int {
	producer := map[string]*onnx.Node{}
	for _, n := range m.Graph.Node {
		for _, o := range n.Output {
			producer[o] = n
		}
	}
	inits := map[string]bool{}
	for _, t := range m.Graph.Initializer {
		inits[t.Name] = true
	}
	count := 0
	for _, n := range m.Graph.Node {
		if n.OpType != "Conv" || len(n.Input) < 2 || n.AttrInt("group", 1) != 1 {
			continue
		}
		x, w := producer[n.Input[0]], producer[n.Input[1]]
		if x != nil && x.OpType == "Mul" {
			for _, in := range x.Input {
				if p := producer[in]; p != nil && p.OpType == "DequantizeLinear" {
					x = p
				}
			}
		}
		if x != nil && x.OpType == "DequantizeLinear" && !inits[x.Input[0]] && w != nil && w.OpType == "DequantizeLinear" && inits[w.Input[0]] {
			count++
		}
	}
	return count
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
