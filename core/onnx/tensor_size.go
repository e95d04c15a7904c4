package onnx

import (
	"fmt"
	"math"
)

// NumElements returns the number of elements t's dims describe (1 for a
// scalar, which has no dims). It fails on a negative dimension or a product
// that overflows int64, so callers can size buffers from it safely.
func (t *Tensor) NumElements() (int64, error) {
	n := int64(1)
	for i, d := range t.Dims {
		if d < 0 {
			return 0, fmt.Errorf("onnx: tensor %q: dims[%d] is %d; dimensions must not be negative", t.Name, i, d)
		}
		if d != 0 && n > math.MaxInt64/d {
			return 0, fmt.Errorf("onnx: tensor %q: dims %v describe more than %d elements", t.Name, t.Dims, int64(math.MaxInt64))
		}
		n *= d
	}
	return n, nil
}

// ElementBits returns the storage size in bits of one element of dt in
// raw_data (4 for the packed int4/uint4/float4 types, 2 for int2/uint2), or 0 for types
// without a fixed size (string, undefined, unknown values).
func (dt DataType) ElementBits() int {
	switch dt {
	case Bool, Int8, Uint8, Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ, Float8E8M0:
		return 8
	case Int16, Uint16, Float16, BFloat16:
		return 16
	case Float, Int32, Uint32:
		return 32
	case Int64, Uint64, Double, Complex64:
		return 64
	case Complex128:
		return 128
	case Int4, Uint4, Float4E2M1:
		return 4
	case Uint2, Int2:
		return 2
	}
	return 0
}

// String returns the ONNX name of dt, such as "FLOAT" or "INT64".
func (dt DataType) String() string {
	names := [...]string{"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64",
		"STRING", "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128",
		"BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4",
		"INT4", "FLOAT4E2M1", "FLOAT8E8M0", "UINT2", "INT2"}
	if dt >= 0 && int(dt) < len(names) {
		return names[dt]
	}
	return fmt.Sprintf("DataType(%d)", int32(dt))
}
