package onnx

import (
	"fmt"
	"testing"
)

// The one table of element types gives every type its ONNX name, its
// short name and its width; the old per-package tables agreed on these.
func TestDataTypeTable(t *testing.T) {
	for _, c := range []struct {
		dt          DataType
		onnx, short string
		bits        int
	}{
		{Float, "FLOAT", "float32", 32}, {Double, "DOUBLE", "float64", 64}, {Float16, "FLOAT16", "float16", 16},
		{BFloat16, "BFLOAT16", "bfloat16", 16}, {Int4, "INT4", "int4", 4}, {Uint2, "UINT2", "uint2", 2},
		{Bool, "BOOL", "bool", 8}, {String, "STRING", "string", 0}, {Float8E8M0, "FLOAT8E8M0", "float8e8m0", 8},
		{Complex128, "COMPLEX128", "complex128", 128},
	} {
		if c.dt.String() != c.onnx || c.dt.Name() != c.short || c.dt.ElementBits() != c.bits {
			t.Errorf("%d: %s %s %d, want %s %s %d", c.dt, c.dt, c.dt.Name(), c.dt.ElementBits(), c.onnx, c.short, c.bits)
		}
	}
	for dt := Undefined; dt <= Int2; dt++ {
		if dt.Name() == "" || dt.String() == "" || dt.Name() == fmt.Sprintf("dtype(%d)", dt) {
			t.Errorf("type %d is missing from the table", dt)
		}
	}
	if got := DataType(99).Name(); got != "dtype(99)" {
		t.Errorf("unknown type named %q", got)
	}
}
