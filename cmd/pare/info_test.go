package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
)

// writeTestModel encodes m into a temporary .onnx file.
func writeTestModel(t *testing.T, m *onnx.Model) string {
	t.Helper()
	data, err := onnx.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "m.onnx")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func reluModel(producer, producerVersion string) *onnx.Model {
	shape := &onnx.TensorShape{Dim: []*onnx.Dimension{{Value: 1, HasValue: true}, {Value: 4, HasValue: true}}}
	x := &onnx.ValueInfo{Name: "x", Type: &onnx.TypeProto{TensorType: &onnx.TensorType{ElemType: onnx.Float, Shape: shape}}}
	return &onnx.Model{IRVersion: 7, ProducerName: producer, ProducerVersion: producerVersion,
		OpsetImport: []*onnx.OperatorSet{{Version: 13}},
		Graph: &onnx.Graph{Name: "g", Input: []*onnx.ValueInfo{x}, Output: []*onnx.ValueInfo{{Name: "y"}},
			Node: []*onnx.Node{{Name: "relu", OpType: "Relu", Input: []string{"x"}, Output: []string{"y"}}}}}
}

// A model with a producer name but no version printed "producer pytorch , IR 7",
// and one with neither "producer  , IR 7".
func TestInfoProducerLine(t *testing.T) {
	for _, tc := range []struct{ name, version, want string }{
		{"pytorch", "2.1", "producer  pytorch 2.1, IR 7,"},
		{"pytorch", "", "producer  pytorch, IR 7,"},
		{"", "", "producer  (not recorded), IR 7,"},
	} {
		out, errs, code := runPare(t, "info", writeTestModel(t, reluModel(tc.name, tc.version)))
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		line := regexp.MustCompile(`(?m)^producer.*$`).FindString(out)
		if !strings.HasPrefix(line, tc.want) || strings.Contains(line, " ,") {
			t.Errorf("producer %q version %q: line %q, want it to start %q", tc.name, tc.version, line, tc.want)
		}
	}
}
