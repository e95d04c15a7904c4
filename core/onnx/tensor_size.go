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

// dataTypes is the one table of element types: the ONNX name, the short
// name reports use (numpy's spelling where it has one) and the storage
// width in bits (0: no fixed width).
var dataTypes = [...]struct {
	onnx, short string
	bits        int
}{
	Undefined:      {"UNDEFINED", "undefined", 0},
	Float:          {"FLOAT", "float32", 32},
	Uint8:          {"UINT8", "uint8", 8},
	Int8:           {"INT8", "int8", 8},
	Uint16:         {"UINT16", "uint16", 16},
	Int16:          {"INT16", "int16", 16},
	Int32:          {"INT32", "int32", 32},
	Int64:          {"INT64", "int64", 64},
	String:         {"STRING", "string", 0},
	Bool:           {"BOOL", "bool", 8},
	Float16:        {"FLOAT16", "float16", 16},
	Double:         {"DOUBLE", "float64", 64},
	Uint32:         {"UINT32", "uint32", 32},
	Uint64:         {"UINT64", "uint64", 64},
	Complex64:      {"COMPLEX64", "complex64", 64},
	Complex128:     {"COMPLEX128", "complex128", 128},
	BFloat16:       {"BFLOAT16", "bfloat16", 16},
	Float8E4M3FN:   {"FLOAT8E4M3FN", "float8e4m3fn", 8},
	Float8E4M3FNUZ: {"FLOAT8E4M3FNUZ", "float8e4m3fnuz", 8},
	Float8E5M2:     {"FLOAT8E5M2", "float8e5m2", 8},
	Float8E5M2FNUZ: {"FLOAT8E5M2FNUZ", "float8e5m2fnuz", 8},
	Uint4:          {"UINT4", "uint4", 4},
	Int4:           {"INT4", "int4", 4},
	Float4E2M1:     {"FLOAT4E2M1", "float4e2m1", 4},
	Float8E8M0:     {"FLOAT8E8M0", "float8e8m0", 8},
	Uint2:          {"UINT2", "uint2", 2},
	Int2:           {"INT2", "int2", 2},
}

func (dt DataType) known() bool { return dt >= 0 && int(dt) < len(dataTypes) }

// ElementBits returns the storage size in bits of one element of dt in
// raw_data (4 for the packed int4/uint4/float4 types, 2 for int2/uint2), or 0 for types
// without a fixed size (string, undefined, unknown values).
func (dt DataType) ElementBits() int {
	if !dt.known() {
		return 0
	}
	return dataTypes[dt].bits
}

// String returns the ONNX name of dt, such as "FLOAT" or "INT64".
func (dt DataType) String() string {
	if dt.known() {
		return dataTypes[dt].onnx
	}
	return fmt.Sprintf("DataType(%d)", int32(dt))
}

// Name returns the short name reports show for dt, such as "float32",
// "bfloat16" or "int4"; "dtype(N)" for a value the table does not know.
func (dt DataType) Name() string {
	if dt.known() {
		return dataTypes[dt].short
	}
	return fmt.Sprintf("dtype(%d)", int32(dt))
}

// ParseDataType returns the type whose ONNX name is name ("FLOAT",
// "INT64"), as opsets 1-5 of Cast spell the target type.
func ParseDataType(name string) (DataType, bool) {
	for dt, t := range dataTypes {
		if t.onnx == name {
			return DataType(dt), true
		}
	}
	return Undefined, false
}
