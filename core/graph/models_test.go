package graph_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/internal/testassets"
	"github.com/pare-ml/pare/internal/testmodels"
)

func dimsOf(t *onnx.Tensor) []int {
	out := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		out[i] = int(d)
	}
	return out
}

func TestSharedModels(t *testing.T) {
	dir := testassets.Dir(t, "models")
	want := map[string]map[string][]int{
		"mnist-8.onnx":         {"Plus214_Output_0": {1, 10}},
		"resnet8-cifar10.onnx": {},
		"mnist-mlp.onnx":       {},
	}
	for name, outs := range want {
		t.Run(name, func(t *testing.T) {
			m := testmodels.ReadModel(t, filepath.Join(dir, name))
			in, err := graph.DefaultInputShapes(m, 1)
			if err != nil {
				t.Fatal(err)
			}
			s, err := graph.InferShapes(m, in, testEval)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range m.Graph.Output {
				v := s.Of(o.Name)
				if v == nil {
					t.Fatalf("output %q has no shape", o.Name)
				}
				if exp, ok := outs[o.Name]; ok && !slices.Equal(v.Dims, exp) {
					t.Errorf("output %q: %v, want %v", o.Name, v.Dims, exp)
				}
				if len(v.Dims) != 2 || v.Dims[0] != 1 || v.Dims[1] != 10 {
					t.Errorf("output %q: %v, want [1 10] (10 classes at batch 1)", o.Name, v.Dims)
				}
			}
		})
	}
}

// TestFixtureModels infers the PyTorch-exported fixtures of the repo,
// whose shape chains (Shape -> Gather -> ... -> Reshape, Pad arithmetic)
// need constant folding; output dims are onnxruntime's.
func TestFixtureModels(t *testing.T) {
	dir := "../../testdata/models"
	want := map[string]map[string][]int{
		"densenet_small":     {"output": {1, 10}},
		"dynamic_batch":      {"output": {1, 10}},
		"efficientnet_small": {"output": {1, 10}},
		"mobilenetv2_035":    {"output": {1, 10}},
		"ops_mix":            {"logits": {1, 10}, "decoder": {1, 4, 28, 29}},
		"resnet20_cifar":     {"output": {1, 10}},
		"shufflenetv2_small": {"output": {1, 10}},
		"squeezenet_small":   {"output": {1, 10}},
	}
	for name, outs := range want {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".onnx")
			if _, err := os.Stat(path); err != nil {
				t.Skipf("fixture missing: %v", err)
			}
			m := testmodels.ReadModel(t, path)
			in, err := graph.DefaultInputShapes(m, 1)
			if err != nil {
				t.Fatal(err)
			}
			s, err := graph.InferShapes(m, in, testEval)
			if err != nil {
				t.Fatal(err)
			}
			for o, exp := range outs {
				if got := s.Dims(o); !slices.Equal(got, exp) {
					t.Errorf("output %q: %v, want %v", o, got, exp)
				}
			}
			if name == "dynamic_batch" {
				s3, err := graph.InferShapes(m, map[string][]int{"input": {3, 3, 16, 16}}, testEval)
				if err != nil {
					t.Fatal(err)
				}
				if got := s3.Dims("output"); !slices.Equal(got, []int{3, 10}) {
					t.Errorf("batch 3: output %v, want [3 10]", got)
				}
			}
		})
	}
}

// TestLightModels checks the inferred output shape of the model-zoo
// architectures against their expected outputs.
func TestLightModels(t *testing.T) {
	dir := testassets.Dir(t, "conformance/onnx-node/light")
	files, _ := filepath.Glob(filepath.Join(dir, "*.onnx"))
	if len(files) == 0 {
		t.Skip("no light models")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".onnx")
		t.Run(name, func(t *testing.T) {
			m := testmodels.ReadModel(t, f)
			s, err := graph.InferShapes(m, nil, testEval)
			if err != nil {
				t.Fatal(err)
			}
			exp := testmodels.ReadTensor(t, filepath.Join(dir, name+"_output_0.pb"))
			got := s.Dims(m.Graph.Output[0].Name)
			if !slices.Equal(got, dimsOf(exp)) {
				t.Errorf("output %q: inferred %v, expected %v", m.Graph.Output[0].Name, got, dimsOf(exp))
			}
		})
	}
}

// TestNodeConformance infers the outputs of the ONNX backend node tests and
// compares them with the expected output tensors. The first input stays a
// graph input with the test's shape; the others become initializers, so the
// shape-driving inputs (Reshape's shape, Slice's starts, ...) are constant
// as they are in real models.
func TestNodeConformance(t *testing.T) {
	for _, suite := range []string{"node", "pytorch-converted", "pytorch-operator"} {
		t.Run(suite, func(t *testing.T) { testNodeSuite(t, testassets.Dir(t, "conformance/onnx-node/"+suite)) })
	}
}

func testNodeSuite(t *testing.T, dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var checked, unsupported, folded int
	var unsupportedOps []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		for _, allConst := range []bool{false, true} {
			sub := name
			if allConst {
				sub += "/folded"
			}
			t.Run(sub, func(t *testing.T) {
				m, inShapes, outs, err := loadNodeTest(filepath.Join(dir, name), allConst)
				if err != nil {
					t.Fatal(err)
				}
				for _, vi := range append(m.Graph.Input, m.Graph.Output...) {
					if vi.Type != nil && vi.Type.TensorType == nil {
						t.Skip("sequence or optional values are outside shape inference")
					}
				}
				s, err := graph.InferShapes(m, inShapes, testEval)
				var unsup *graph.UnsupportedError
				if errors.As(err, &unsup) {
					unsupported++
					unsupportedOps = append(unsupportedOps, name)
					t.Skipf("not covered: %v", err)
				}
				if err != nil {
					t.Fatal(err)
				}
				checked++
				if allConst && s.Folded > 0 {
					folded++
				}
				for i, o := range m.Graph.Output {
					if i >= len(outs) {
						break
					}
					v := s.Of(o.Name)
					if v == nil {
						t.Fatalf("output %q has no shape", o.Name)
					}
					if !slices.Equal(v.Dims, dimsOf(outs[i])) {
						t.Errorf("output %q: inferred %v, expected %v", o.Name, v.Dims, dimsOf(outs[i]))
					}
					if int32(v.DType) != int32(outs[i].DataType) {
						t.Errorf("output %q: inferred type %v, expected %d", o.Name, v.DType, outs[i].DataType)
					}
				}
			})
		}
	}
	sort.Strings(unsupportedOps)
	t.Logf("node tests: %d checked (%d folded through the executor), %d with ops outside the shape rules: %v", checked, folded, unsupported, unsupportedOps)
}

// loadNodeTest reads a node test. With allConst every input becomes an
// initializer, so InferShapes folds the node through the executor and
// checks the kernel's output shape against the shape rule.
func loadNodeTest(dir string, allConst bool) (*onnx.Model, map[string][]int, []*onnx.Tensor, error) {
	data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return nil, nil, nil, err
	}
	m, err := onnx.Decode(data)
	if err != nil {
		return nil, nil, nil, err
	}
	set := filepath.Join(dir, "test_data_set_0")
	read := func(kind string, i int) (*onnx.Tensor, error) {
		b, err := os.ReadFile(filepath.Join(set, kind+"_"+itoa(i)+".pb"))
		if err != nil {
			return nil, err
		}
		return onnx.DecodeTensor(b)
	}
	shapes := map[string][]int{}
	var keep []*onnx.ValueInfo
	for i, vi := range m.Graph.Input {
		x, err := read("input", i)
		if errors.Is(err, fs.ErrNotExist) {
			keep = append(keep, vi)
			continue // optional input without data
		}
		if err != nil {
			return nil, nil, nil, err
		}
		if i == 0 && x.DataType != onnx.Int64 && !allConst {
			shapes[vi.Name] = dimsOf(x)
			keep = append(keep, vi)
			continue
		}
		x.Name = vi.Name
		m.Graph.Initializer = append(m.Graph.Initializer, x)
	}
	m.Graph.Input = keep
	var outs []*onnx.Tensor
	for i := range m.Graph.Output {
		x, err := read("output", i)
		if err != nil {
			break
		}
		outs = append(outs, x)
	}
	return m, shapes, outs, nil
}

func itoa(i int) string {
	return string(rune('0' + i))
}
