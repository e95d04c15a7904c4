package onnx_test

import (
	"fmt"

	"github.com/pare-ml/pare/core/onnx"
)

// Two spellings, one domain: compare domains through CanonicalDomain (or
// ask IsDefaultDomain), never with == on the raw strings.
func ExampleIsDefaultDomain() {
	for _, d := range []string{"", "ai.onnx", "com.microsoft"} {
		fmt.Printf("%q default=%v key=%q shown=%s op=%s\n", d, onnx.IsDefaultDomain(d), onnx.CanonicalDomain(d), onnx.DisplayDomain(d), onnx.OpName(d, "Gelu"))
	}
	// Output:
	// "" default=true key="" shown=ai.onnx op=Gelu
	// "ai.onnx" default=true key="" shown=ai.onnx op=Gelu
	// "com.microsoft" default=false key="com.microsoft" shown=com.microsoft op=com.microsoft.Gelu
}

// One table names every element type and gives its width.
func ExampleDataType_Name() {
	for _, dt := range []onnx.DataType{onnx.Float, onnx.BFloat16, onnx.Int4} {
		fmt.Println(dt, dt.Name(), dt.ElementBits())
	}
	// Output:
	// FLOAT float32 32
	// BFLOAT16 bfloat16 16
	// INT4 int4 4
}
