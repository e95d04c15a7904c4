package testmodels

import (
	"os"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
)

// ReadModel reads an .onnx file (external data resolved beside it),
// failing t when it cannot.
func ReadModel(t testing.TB, path string) *onnx.Model {
	t.Helper()
	m, err := onnx.ReadModelFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return m
}

// RoundTrip encodes and decodes m, as writing and reading the file does:
// a deep copy of it, failing t when either step fails.
func RoundTrip(t testing.TB, m *onnx.Model) *onnx.Model {
	t.Helper()
	b, err := onnx.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := onnx.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// ReadTensor reads a serialized TensorProto (.pb) file, failing t when it
// cannot.
func ReadTensor(t testing.TB, path string) *onnx.Tensor {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	x, err := onnx.DecodeTensor(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return x
}

// GraphInputs returns the model's graph inputs that are not initializers:
// the values a caller must feed.
func GraphInputs(m *onnx.Model) []*onnx.ValueInfo {
	inits := map[string]bool{}
	for _, t := range m.Graph.Initializer {
		inits[t.Name] = true
	}
	var in []*onnx.ValueInfo
	for _, v := range m.Graph.Input {
		if !inits[v.Name] {
			in = append(in, v)
		}
	}
	return in
}
