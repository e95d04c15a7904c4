package tensor

import (
	"fmt"

	"github.com/pare-ml/pare/core/onnx"
)

// DType is the element type of a Tensor. Values equal onnx.DataType numbers
// so conversion is a cast.
type DType int32

// Element types the executor computes on. Int4 and Uint4 values are stored
// unpacked, one per element, in I8 and U8.
const (
	Undefined DType = 0
	Float32   DType = 1
	Uint8     DType = 2
	Int8      DType = 3
	Int32     DType = 6
	Int64     DType = 7
	Bool      DType = 9
	Float64   DType = 11
	Uint4     DType = 21
	Int4      DType = 22
)

// String returns the short name of d ("float32", "int4"), from the one
// table of element types in package onnx.
func (d DType) String() string { return onnx.DataType(d).Name() }

// Tensor is a dense row-major (C order) array. Exactly one data slice, the
// one matching DType, is non-nil; its length is the product of Shape (1 for
// a scalar, whose Shape is empty).
type Tensor struct {
	DType DType
	Shape []int
	F32   []float32
	F64   []float64
	I64   []int64
	I32   []int32
	I8    []int8  // Int8 and Int4
	U8    []uint8 // Uint8 and Uint4
	Bool  []bool
}

// NumElements returns the product of shape (1 for a scalar).
func NumElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len returns the number of elements of t.
func (t *Tensor) Len() int { return NumElements(t.Shape) }

// New allocates a zeroed tensor of the given type and shape, which the
// caller has checked (a shape computed by a kernel, or one passed through
// CheckSize); it panics on a type the executor does not compute on. Use
// NewChecked for shapes that come from input.
func New(dt DType, shape []int) *Tensor {
	n := NumElements(shape)
	t := &Tensor{DType: dt, Shape: append([]int(nil), shape...)}
	switch dt {
	case Float32:
		t.F32 = make([]float32, n)
	case Float64:
		t.F64 = make([]float64, n)
	case Int64:
		t.I64 = make([]int64, n)
	case Int32:
		t.I32 = make([]int32, n)
	case Int8, Int4:
		t.I8 = make([]int8, n)
	case Uint8, Uint4:
		t.U8 = make([]uint8, n)
	case Bool:
		t.Bool = make([]bool, n)
	default:
		panic((&UnsupportedTypeError{DType: dt, What: "tensor.New"}).Error())
	}
	return t
}

// FromF32 wraps data (not copied) as a float32 tensor of the given shape.
func FromF32(shape []int, data []float32) *Tensor {
	if NumElements(shape) != len(data) {
		panic(fmt.Sprintf("tensor.FromF32: shape %v needs %d values, got %d", shape, NumElements(shape), len(data)))
	}
	return &Tensor{DType: Float32, Shape: append([]int(nil), shape...), F32: data}
}

// FromI64 wraps data (not copied) as an int64 tensor of the given shape.
func FromI64(shape []int, data []int64) *Tensor {
	if NumElements(shape) != len(data) {
		panic(fmt.Sprintf("tensor.FromI64: shape %v needs %d values, got %d", shape, NumElements(shape), len(data)))
	}
	return &Tensor{DType: Int64, Shape: append([]int(nil), shape...), I64: data}
}

// Strides returns the row-major element strides of shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}
