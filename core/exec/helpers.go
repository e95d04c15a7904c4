package exec

import (
	"fmt"

	"github.com/pare-ml/pare/core/tensor"
)

// maxElements bounds any tensor a kernel allocates from sizes read out of
// the model or its inputs (shapes, repeats, pads, Range limits), so that a
// corrupt value yields an error instead of exhausting memory.
const maxElements = 1 << 31

// elem lists the Go element types a tensor can hold.
type elem interface {
	~float32 | ~float64 | ~int64 | ~int32 | ~int8 | ~uint8 | ~bool
}

// numeric lists the element types arithmetic is defined on.
type numeric interface {
	~float32 | ~float64 | ~int64 | ~int32 | ~int8 | ~uint8
}

// data returns t's element slice as []T; T must match t.DType.
func data[T elem](t *tensor.Tensor) []T {
	var z T
	switch any(z).(type) {
	case float32:
		return any(t.F32).([]T)
	case float64:
		return any(t.F64).([]T)
	case int64:
		return any(t.I64).([]T)
	case int32:
		return any(t.I32).([]T)
	case int8:
		return any(t.I8).([]T)
	case uint8:
		return any(t.U8).([]T)
	case bool:
		return any(t.Bool).([]T)
	}
	panic("exec: unreachable element type")
}

// checkedSize returns the element count of shape, or an error when a
// dimension is negative or the total is unreasonably large.
func checkedSize(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if d != 0 && n > maxElements/d {
			return 0, fmt.Errorf("shape %v has more than %d elements", shape, maxElements)
		}
		n *= d
	}
	return n, nil
}

// alloc allocates an output through the context after checking its size.
func alloc(c *Context, dt tensor.DType, shape []int) (*tensor.Tensor, error) {
	if _, err := checkedSize(shape); err != nil {
		return nil, err
	}
	switch dt {
	case tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32, tensor.Int8, tensor.Uint8, tensor.Bool, tensor.Int4, tensor.Uint4:
	default:
		return nil, fmt.Errorf("unsupported element type %v", dt)
	}
	return c.Alloc(dt, shape), nil
}

// copyTensor returns a fresh copy of t allocated through the context, with
// the given shape (same element count).
func copyTensor(c *Context, t *tensor.Tensor, shape []int) *tensor.Tensor {
	out := c.Alloc(t.DType, shape)
	switch t.DType {
	case tensor.Float32:
		copy(out.F32, t.F32)
	case tensor.Float64:
		copy(out.F64, t.F64)
	case tensor.Int64:
		copy(out.I64, t.I64)
	case tensor.Int32:
		copy(out.I32, t.I32)
	case tensor.Int8, tensor.Int4:
		copy(out.I8, t.I8)
	case tensor.Uint8, tensor.Uint4:
		copy(out.U8, t.U8)
	case tensor.Bool:
		copy(out.Bool, t.Bool)
	}
	return out
}

// ints reads an integer tensor (int64 or int32) as []int64, as used for
// shapes, axes, pads and indices.
func ints(t *tensor.Tensor, what string) ([]int64, error) {
	switch t.DType {
	case tensor.Int64:
		return t.I64, nil
	case tensor.Int32:
		v := make([]int64, len(t.I32))
		for i, x := range t.I32 {
			v[i] = int64(x)
		}
		return v, nil
	}
	return nil, fmt.Errorf("%s must be int64 or int32, got %v", what, t.DType)
}

// asFloat64 returns element i of a numeric or bool tensor as float64.
func asFloat64(t *tensor.Tensor, i int) float64 {
	switch t.DType {
	case tensor.Float32:
		return float64(t.F32[i])
	case tensor.Float64:
		return t.F64[i]
	}
	return float64(asInt64(t, i))
}

// asInt64 returns element i of an integer or bool tensor as int64; a float
// element is converted as Go converts, truncating toward zero.
func asInt64(t *tensor.Tensor, i int) int64 {
	switch t.DType {
	case tensor.Int64:
		return t.I64[i]
	case tensor.Int32:
		return int64(t.I32[i])
	case tensor.Int8, tensor.Int4:
		return int64(t.I8[i])
	case tensor.Uint8, tensor.Uint4:
		return int64(t.U8[i])
	case tensor.Bool:
		if t.Bool[i] {
			return 1
		}
	case tensor.Float32, tensor.Float64:
		return int64(asFloat64(t, i))
	}
	return 0
}

// dataLen returns the length of t's data slice, which may differ from its
// shape's element count in a malformed tensor.
func dataLen(t *tensor.Tensor) int {
	switch t.DType {
	case tensor.Float32:
		return len(t.F32)
	case tensor.Float64:
		return len(t.F64)
	case tensor.Int64:
		return len(t.I64)
	case tensor.Int32:
		return len(t.I32)
	case tensor.Int8, tensor.Int4:
		return len(t.I8)
	case tensor.Uint8, tensor.Uint4:
		return len(t.U8)
	case tensor.Bool:
		return len(t.Bool)
	}
	return -1
}

// input returns in[i], or nil when the optional input is absent.
func input(in []*tensor.Tensor, i int) *tensor.Tensor {
	if i < len(in) {
		return in[i]
	}
	return nil
}

// need checks that the first n inputs are present.
func need(in []*tensor.Tensor, n int) error {
	if len(in) < n {
		return fmt.Errorf("needs %d inputs, got %d", n, len(in))
	}
	for i := 0; i < n; i++ {
		if in[i] == nil {
			return fmt.Errorf("required input %d is missing", i)
		}
	}
	return nil
}

// isFloat reports whether dt is a floating-point type.
func isFloat(dt tensor.DType) bool { return dt == tensor.Float32 || dt == tensor.Float64 }

// toInts converts int64 values to int, checking range.
func toInts(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}
