package qcqp

import (
	"math/rand/v2"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// zooNet exercises the paths no fixture takes: a residual Add right after
// the first conv, a depthwise conv over a Concat of two maps, a
// per-channel Sub constant, a Squeeze after global pooling, a Gemm with an
// untransposed weight, and a MatMul with an initializer weight and a
// broadcast bias Add.
//
//	x -> conv1(6) -> Relu -> Add(conv4(6) of it) -> {conv2(5), conv3(4)}
//	  -> Concat(9) -> dw3x3(9) -> Sub(c[9,1,1]) -> GAP -> Squeeze
//	  -> Gemm(B[9,7]) -> Relu -> MatMul(W[7,3]) + b[3] -> y
func zooNet(r *rand.Rand) *onnx.Model {
	param := func(name string, dims ...int) *onnx.Tensor {
		x := tensor.New(tensor.Float32, dims)
		for i := range x.F32 {
			x.F32[i] = float32(r.NormFloat64())
		}
		t, _ := tensor.ToONNX(x, name)
		return t
	}
	ints := func(name string, v ...int64) *onnx.Tensor {
		t, _ := tensor.ToONNX(tensor.FromI64([]int{len(v)}, v), name)
		return t
	}
	node := func(op string, in []string, out string, attrs ...*onnx.Attribute) *onnx.Node {
		return &onnx.Node{Name: out, OpType: op, Input: in, Output: []string{out}, Attribute: attrs}
	}
	attr := func(name string, v ...int64) *onnx.Attribute {
		if len(v) == 1 && name != "pads" && name != "kernel_shape" {
			return &onnx.Attribute{Name: name, I: v[0], Type: onnx.AttrInt}
		}
		return &onnx.Attribute{Name: name, Ints: v, Type: onnx.AttrInts}
	}
	return &onnx.Model{
		IRVersion:   8,
		OpsetImport: []*onnx.OperatorSet{{Version: 13}},
		Graph: &onnx.Graph{
			Name:   "zoo",
			Input:  []*onnx.ValueInfo{vinfo("x", 1, 3, 6, 6)},
			Output: []*onnx.ValueInfo{vinfo("y", 1, 3)},
			Initializer: []*onnx.Tensor{
				param("w1", 6, 3, 3, 3), param("b1", 6),
				param("w2", 5, 6, 1, 1), param("w3", 4, 6, 3, 3), param("b3", 4),
				param("wd", 9, 1, 3, 3), param("bd", 9),
				param("c", 9, 1, 1),
				param("w4", 6, 6, 1, 1), param("b4", 6),
				ints("axes", 2, 3),
				param("B", 9, 7), param("C", 7),
				param("W", 7, 3), param("b", 3),
			},
			Node: []*onnx.Node{
				node("Conv", []string{"x", "w1", "b1"}, "c1", attr("pads", 1, 1, 1, 1)),
				node("Relu", []string{"c1"}, "r1"),
				node("Conv", []string{"r1", "w4", "b4"}, "c4"),
				node("Add", []string{"r1", "c4"}, "res"),
				node("Conv", []string{"res", "w2"}, "c2"),
				node("Conv", []string{"res", "w3", "b3"}, "c3", attr("pads", 1, 1, 1, 1)),
				node("Concat", []string{"c2", "c3"}, "cat", attr("axis", 1)),
				node("Conv", []string{"cat", "wd", "bd"}, "dw", attr("group", 9), attr("pads", 1, 1, 1, 1)),
				node("Sub", []string{"dw", "c"}, "sub"),
				node("GlobalAveragePool", []string{"sub"}, "gap"),
				node("Squeeze", []string{"gap", "axes"}, "sq"),
				node("Gemm", []string{"sq", "B", "C"}, "fc"),
				node("Relu", []string{"fc"}, "r2"),
				node("MatMul", []string{"r2", "W"}, "mm"),
				node("Add", []string{"mm", "b"}, "y"),
			},
		},
	}
}
