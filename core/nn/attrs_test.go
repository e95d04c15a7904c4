package nn

import (
	"reflect"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
)

func TestParamsOfNodes(t *testing.T) {
	ints := func(name string, v ...int64) *onnx.Attribute {
		return &onnx.Attribute{Name: name, Type: onnx.AttrInts, Ints: v}
	}
	conv := &onnx.Node{OpType: "Conv", Attribute: []*onnx.Attribute{
		ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1), {Name: "group", Type: onnx.AttrInt, I: 4},
	}}
	if got, want := ConvParamsOf(conv), (ConvParams{Kernel: []int{3, 3}, Pads: []int{1, 1, 1, 1}, AutoPad: AutoPadNotSet, Group: 4}); !reflect.DeepEqual(got, want) {
		t.Errorf("ConvParamsOf = %+v, want %+v", got, want)
	}
	// Absent attributes stay nil, so the kernels apply the ONNX defaults.
	if got := ConvParamsOf(&onnx.Node{OpType: "Conv"}); got.Strides != nil || got.Group != 1 {
		t.Errorf("defaults: %+v", got)
	}
	pool := &onnx.Node{OpType: "MaxPool", Attribute: []*onnx.Attribute{
		ints("kernel_shape", 2, 2), ints("strides", 2, 2), {Name: "ceil_mode", Type: onnx.AttrInt, I: 1},
		{Name: "storage_order", Type: onnx.AttrInt, I: 1}, {Name: "auto_pad", Type: onnx.AttrString, S: []byte("SAME_UPPER")},
	}}
	want := PoolParams{Kernel: []int{2, 2}, Strides: []int{2, 2}, AutoPad: "SAME_UPPER", CeilMode: true, ColumnMajorIndices: true}
	if got := PoolParamsOf(pool); !reflect.DeepEqual(got, want) {
		t.Errorf("PoolParamsOf = %+v, want %+v", got, want)
	}
}
