package exec

import (
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/tensor"
)

// Opsets 1-5 name Cast's target type as a string, read with the ONNX
// names of the one type table.
func TestCastLegacyTypeNames(t *testing.T) {
	cast := func(to string) *Context {
		return &Context{Node: mkNode("Cast", "c", []string{"x"}, []string{"y"}, attrString("to", to)), Opset: 5}
	}
	x := i64([]int{3}, 1, -2, 3)
	out, err := castKernel(cast("FLOAT"), []*tensor.Tensor{x})
	if err != nil {
		t.Fatal(err)
	}
	wantValues(t, out[0], 1, -2, 3)
	if _, err := castKernel(cast("FLOAT16"), []*tensor.Tensor{x}); err == nil || !strings.Contains(err.Error(), "float16 is not supported") {
		t.Errorf("cast to FLOAT16: %v", err)
	}
	if _, err := castKernel(cast("BOGUS"), []*tensor.Tensor{x}); err == nil || !strings.Contains(err.Error(), `unknown type name "BOGUS"`) {
		t.Errorf("cast to BOGUS: %v", err)
	}
}
