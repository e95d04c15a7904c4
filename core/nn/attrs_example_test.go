package nn_test

import (
	"fmt"

	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/onnx"
)

// The executor and the training engine read a Conv node the same way.
func ExampleConvParamsOf() {
	conv := &onnx.Node{OpType: "Conv", Attribute: []*onnx.Attribute{
		{Name: "strides", Type: onnx.AttrInts, Ints: []int64{2, 2}},
		{Name: "group", Type: onnx.AttrInt, I: 8},
	}}
	p := nn.ConvParamsOf(conv)
	fmt.Println(p.Strides, p.Group, p.Pads == nil)
	// Output: [2 2] 8 true
}
