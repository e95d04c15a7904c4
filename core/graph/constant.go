package graph

import (
	"fmt"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// onnxDims converts TensorProto dims, rejecting negative or huge ones.
func onnxDims(t *onnx.Tensor) ([]int, error) {
	dims := make([]int, len(t.Dims))
	total := int64(1)
	for i, d := range t.Dims {
		if d < 0 || d > maxDim {
			return nil, fmt.Errorf("tensor %q: dimension %d is %d", t.Name, i, d)
		}
		dims[i] = int(d)
		if d > 0 && total > maxElements/d {
			return nil, fmt.Errorf("tensor %q: shape %v is too large", t.Name, t.Dims)
		}
		total *= d
	}
	return dims, nil
}

// maxElements bounds the element count of any value so arithmetic on
// counts and byte sizes stays far from overflow.
const maxElements = 1 << 40

// smallConst converts a TensorProto of at most MaxFoldElements elements
// into a tensor. It returns nil without an error for tensors that are
// large, external, or of types the executor does not compute on (strings,
// complex, float8): those are simply not treated as constants.
func smallConst(t *onnx.Tensor) (*tensor.Tensor, error) {
	dims, err := onnxDims(t)
	if err != nil {
		return nil, err
	}
	if tensor.NumElements(dims) > MaxFoldElements || t.DataLocation == onnx.LocationExternal {
		return nil, nil
	}
	switch t.DataType {
	case onnx.Float, onnx.Double, onnx.Float16, onnx.BFloat16, onnx.Int64,
		onnx.Int32, onnx.Int16, onnx.Int8, onnx.Uint8, onnx.Uint16,
		onnx.Uint32, onnx.Uint64, onnx.Bool:
	default:
		return nil, nil
	}
	// Read-only here, so a float initializer's aligned raw_data is read in
	// place: converting every small one (BatchNormalization's parameters,
	// biases) left 1.6 MB of garbage per shape inference on DenseNet-121,
	// which the wasm heap, whose linear memory never shrinks, kept as free
	// pages beside the arena (docs/benchmarks.md).
	return tensor.FromONNXView(t)
}

// constInts returns the values of an integer constant as int64s.
func constInts(t *tensor.Tensor) ([]int64, bool) {
	if t == nil {
		return nil, false
	}
	switch t.DType {
	case tensor.Int64:
		return t.I64, true
	case tensor.Int32:
		out := make([]int64, len(t.I32))
		for i, v := range t.I32 {
			out[i] = int64(v)
		}
		return out, true
	case tensor.Int8, tensor.Int4:
		out := make([]int64, len(t.I8))
		for i, v := range t.I8 {
			out[i] = int64(v)
		}
		return out, true
	case tensor.Uint8, tensor.Uint4:
		out := make([]int64, len(t.U8))
		for i, v := range t.U8 {
			out[i] = int64(v)
		}
		return out, true
	}
	return nil, false
}

// constFloats returns the values of a numeric constant as float64s.
func constFloats(t *tensor.Tensor) ([]float64, bool) {
	if t == nil {
		return nil, false
	}
	switch t.DType {
	case tensor.Float32:
		out := make([]float64, len(t.F32))
		for i, v := range t.F32 {
			out[i] = float64(v)
		}
		return out, true
	case tensor.Float64:
		return t.F64, true
	}
	if ints, ok := constInts(t); ok {
		out := make([]float64, len(ints))
		for i, v := range ints {
			out[i] = float64(v)
		}
		return out, true
	}
	return nil, false
}

// shapeConst builds the int64 tensor holding dims, the output of Shape.
func shapeConst(dims []int) *tensor.Tensor {
	v := make([]int64, len(dims))
	for i, d := range dims {
		v[i] = int64(d)
	}
	return tensor.FromI64([]int{len(v)}, v)
}
