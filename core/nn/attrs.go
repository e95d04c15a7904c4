package nn

import "github.com/pare-ml/pare/core/onnx"

// The executor and the training engine read the same ONNX attributes into
// the parameters of these kernels; they do it here, once.

// ConvParamsOf reads the attributes Conv and ConvTranspose share from n.
func ConvParamsOf(n *onnx.Node) ConvParams {
	return ConvParams{
		Kernel:    IntsAttr(n, "kernel_shape"),
		Strides:   IntsAttr(n, "strides"),
		Dilations: IntsAttr(n, "dilations"),
		Pads:      IntsAttr(n, "pads"),
		AutoPad:   n.AttrString("auto_pad", AutoPadNotSet),
		Group:     int(n.AttrInt("group", 1)),
	}
}

// PoolParamsOf reads the attributes of MaxPool and AveragePool from n.
func PoolParamsOf(n *onnx.Node) PoolParams {
	return PoolParams{
		Kernel:             IntsAttr(n, "kernel_shape"),
		Strides:            IntsAttr(n, "strides"),
		Dilations:          IntsAttr(n, "dilations"),
		Pads:               IntsAttr(n, "pads"),
		AutoPad:            n.AttrString("auto_pad", AutoPadNotSet),
		CeilMode:           n.AttrInt("ceil_mode", 0) != 0,
		CountIncludePad:    n.AttrInt("count_include_pad", 0) != 0,
		ColumnMajorIndices: n.AttrInt("storage_order", 0) == 1,
	}
}

// IntsAttr returns n's ints attribute name as []int, or nil when n does
// not set it (the kernels then apply the ONNX default).
func IntsAttr(n *onnx.Node, name string) []int {
	v := n.AttrInts(name, nil)
	if v == nil {
		return nil
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}
