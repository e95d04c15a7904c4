//go:build !js

package onnxgooracle_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testmodels"
)

// namedTensor is one graph input or output value.
type namedTensor struct {
	name string
	t    *tensor.Tensor
}

// caseInputs builds the inputs of c for the graph inputs of m, in
// declaration order.
func caseInputs(c oracleCase, m *onnx.Model) ([]namedTensor, error) {
	declared := testmodels.GraphInputs(m)
	var in []namedTensor
	if c.synth != nil {
		for _, vi := range declared {
			if vi.Type == nil || vi.Type.TensorType == nil || vi.Type.TensorType.Shape == nil {
				return nil, fmt.Errorf("input %q has no tensor shape to synthesise a value for", vi.Name)
			}
			var shape []int
			for _, d := range vi.Type.TensorType.Shape.Dim {
				n := 1 // a dynamic dimension (batch) becomes 1
				if d.HasValue && d.Value > 0 {
					n = int(d.Value)
				}
				shape = append(shape, n)
			}
			in = append(in, namedTensor{vi.Name, c.synth(shape)})
		}
		return in, nil
	}
	if len(c.inputFiles) != len(declared) {
		return nil, fmt.Errorf("%d input files for %d graph inputs", len(c.inputFiles), len(declared))
	}
	for i, p := range c.inputFiles {
		t, err := readTensorFile(p)
		if err != nil {
			return nil, err
		}
		in = append(in, namedTensor{declared[i].Name, t})
	}
	return in, nil
}

// readTensorFile reads a serialized TensorProto (.pb) or a NumPy (.npy)
// file.
func readTensorFile(path string) (*tensor.Tensor, error) {
	if filepath.Ext(path) == ".npy" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		t, err := tensor.ReadNpy(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		return t, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := onnx.DecodeTensor(b)
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	t, err := tensor.FromONNX(p)
	if err != nil {
		return nil, fmt.Errorf("converting %s: %w", path, err)
	}
	return t, nil
}

// uniformInput fills a float32 tensor with values in [lo, hi) from a
// fixed-seed generator, so every run compares the same numbers.
func uniformInput(shape []int, lo, hi float32, seed uint64) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape)
	state := seed*0x9E3779B97F4A7C15 + 1
	for i := range t.F32 {
		// xorshift64*: cheap, deterministic, good enough for test data.
		state ^= state >> 12
		state ^= state << 25
		state ^= state >> 27
		u := float32((state*0x2545F4914F6CDD1D)>>40) / float32(1<<24)
		t.F32[i] = lo + (hi-lo)*u
	}
	return t
}

// arangeInput is the input the light models' reference outputs were
// computed for: arange(n).reshape(shape)/n.
func arangeInput(shape []int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape)
	n := float64(len(t.F32))
	for i := range t.F32 {
		t.F32[i] = float32(float64(i) / n)
	}
	return t
}
