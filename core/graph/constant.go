package graph

import (
	"encoding/binary"
	"fmt"
	"math"

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

// smallConst converts a TensorProto of at most MaxFoldElements elements of
// a type the executor computes on into a tensor. It returns nil without an
// error for tensors that are large, external, or of other types: those are
// simply not treated as constants.
//
// It reads only the few shapes folding needs; the executor uses the full
// conversion in core/tensor.
func smallConst(t *onnx.Tensor) (*tensor.Tensor, error) {
	dims, err := onnxDims(t)
	if err != nil {
		return nil, err
	}
	n := tensor.NumElements(dims)
	if n > MaxFoldElements || t.DataLocation == onnx.LocationExternal {
		return nil, nil
	}
	raw := t.RawData
	hasRaw := len(raw) > 0
	wrong := func(have int) error {
		return fmt.Errorf("tensor %q: shape %v needs %d values, found %d", t.Name, dims, n, have)
	}
	out := &tensor.Tensor{DType: tensor.DType(t.DataType), Shape: dims}
	switch t.DataType {
	case onnx.Float:
		out.F32 = make([]float32, n)
		if hasRaw {
			if len(raw) != 4*n {
				return nil, wrong(len(raw) / 4)
			}
			for i := range out.F32 {
				out.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		} else {
			if len(t.FloatData) != n {
				return nil, wrong(len(t.FloatData))
			}
			copy(out.F32, t.FloatData)
		}
	case onnx.Double:
		out.F64 = make([]float64, n)
		if hasRaw {
			if len(raw) != 8*n {
				return nil, wrong(len(raw) / 8)
			}
			for i := range out.F64 {
				out.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		} else {
			if len(t.DoubleData) != n {
				return nil, wrong(len(t.DoubleData))
			}
			copy(out.F64, t.DoubleData)
		}
	case onnx.Int64:
		out.I64 = make([]int64, n)
		if hasRaw {
			if len(raw) != 8*n {
				return nil, wrong(len(raw) / 8)
			}
			for i := range out.I64 {
				out.I64[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		} else {
			if len(t.Int64Data) != n {
				return nil, wrong(len(t.Int64Data))
			}
			copy(out.I64, t.Int64Data)
		}
	case onnx.Int32:
		out.I32 = make([]int32, n)
		if hasRaw {
			if len(raw) != 4*n {
				return nil, wrong(len(raw) / 4)
			}
			for i := range out.I32 {
				out.I32[i] = int32(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		} else {
			if len(t.Int32Data) != n {
				return nil, wrong(len(t.Int32Data))
			}
			copy(out.I32, t.Int32Data)
		}
	case onnx.Int8, onnx.Uint8, onnx.Bool:
		if !hasRaw && len(t.Int32Data) != n {
			return nil, wrong(len(t.Int32Data))
		}
		if hasRaw && len(raw) != n {
			return nil, wrong(len(raw))
		}
		byteAt := func(i int) int32 {
			if hasRaw {
				return int32(raw[i])
			}
			return t.Int32Data[i]
		}
		switch t.DataType {
		case onnx.Int8:
			out.I8 = make([]int8, n)
			for i := range out.I8 {
				out.I8[i] = int8(byteAt(i))
			}
		case onnx.Uint8:
			out.U8 = make([]uint8, n)
			for i := range out.U8 {
				out.U8[i] = uint8(byteAt(i))
			}
		default:
			out.Bool = make([]bool, n)
			for i := range out.Bool {
				out.Bool[i] = byteAt(i) != 0
			}
		}
	default:
		return nil, nil
	}
	return out, nil
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
