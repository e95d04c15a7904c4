package exec

import (
	"math"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Unit tests for ops and forms the ONNX conformance data does not cover.

func TestBroadcastArithmetic(t *testing.T) {
	a := f32([]int{2, 1, 3}, 1, 2, 3, 4, 5, 6)
	b := f32([]int{2, 1}, 10, 20)
	y := eval(t, mkNode("Add", "", []string{"a", "b"}, []string{"y"}), 14, a, b)[0]
	wantShape(t, y, 2, 2, 3)
	wantValues(t, y, 11, 12, 13, 21, 22, 23, 14, 15, 16, 24, 25, 26)
	y = eval(t, mkNode("Div", "", []string{"a", "b"}, []string{"y"}), 14, i64([]int{3}, 7, -7, 5), i64(nil, 2))[0]
	wantValues(t, y, 3, -3, 2) // integer division truncates
	y = eval(t, mkNode("Div", "", []string{"a", "b"}, []string{"y"}), 14, i64([]int{1}, 7), i64(nil, 0))[0]
	wantValues(t, y, 0) // no crash on a zero divisor
	y = eval(t, mkNode("Pow", "", []string{"a", "b"}, []string{"y"}), 15, f32([]int{3}, 2, 3, 4), i64(nil, 2))[0]
	wantValues(t, y, 4, 9, 16)
	if _, err := EvalNode(mkNode("Add", "", []string{"a", "b"}, []string{"y"}), 14, []*tensor.Tensor{f32([]int{2}, 1, 2), f32([]int{3}, 1, 2, 3)}); err == nil || !strings.Contains(err.Error(), "cannot be broadcast") {
		t.Fatalf("incompatible shapes: %v", err)
	}
	y = eval(t, mkNode("Mean", "", []string{"a", "b", "c"}, []string{"y"}), 13, f32([]int{2}, 1, 2), f32([]int{1}, 3), f32([]int{2}, 5, 7))[0]
	wantValues(t, y, 3, 4)
	y = eval(t, mkNode("Where", "", []string{"c", "a", "b"}, []string{"y"}), 16,
		&tensor.Tensor{DType: tensor.Bool, Shape: []int{2, 1}, Bool: []bool{true, false}}, f32([]int{2}, 1, 2), f32(nil, 9))[0]
	wantValues(t, y, 1, 2, 9, 9)
}

func TestCastSaturatesAndTruncates(t *testing.T) {
	x := f32([]int{6}, 1.9, -1.9, 300, -300, float32(math.NaN()), 0)
	cast := func(to onnx.DataType) *tensor.Tensor {
		return eval(t, mkNode("Cast", "", []string{"x"}, []string{"y"}, attrInt("to", int64(to))), 13, x)[0]
	}
	wantValues(t, cast(onnx.Int8), 1, -1, 127, -128, 0, 0)
	wantValues(t, cast(onnx.Uint8), 1, 0, 255, 0, 0, 0)
	wantValues(t, cast(onnx.Int64), 1, -1, 300, -300, 0, 0)
	wantValues(t, cast(onnx.Bool), 1, 1, 1, 1, 1, 0)
	y := eval(t, mkNode("Cast", "", []string{"x"}, []string{"y"}, attrInt("to", int64(onnx.Int8))), 13, i64([]int{2}, 200, -1))[0]
	wantValues(t, y, -56, -1) // integer narrowing wraps
}

func TestSliceForms(t *testing.T) {
	x := f32([]int{2, 5}, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	// Negative step walks backwards; huge ends clamp.
	y := eval(t, mkNode("Slice", "", []string{"x", "s", "e", "a", "st"}, []string{"y"}), 13, x,
		i64([]int{1}, -1), i64([]int{1}, math.MinInt64), i64([]int{1}, 1), i64([]int{1}, -2))[0]
	wantShape(t, y, 2, 3)
	wantValues(t, y, 4, 2, 0, 9, 7, 5)
	// Opset 1-9: attributes.
	y = eval(t, mkNode("Slice", "", []string{"x"}, []string{"y"}, attrInts("starts", 1), attrInts("ends", 1000), attrInts("axes", 1)), 9, x)[0]
	wantValues(t, y, 1, 2, 3, 4, 6, 7, 8, 9)
	// Empty result.
	y = eval(t, mkNode("Slice", "", []string{"x", "s", "e"}, []string{"y"}), 13, x, i64([]int{1}, 3), i64([]int{1}, 1))[0]
	wantShape(t, y, 0, 5)
}

func TestPadModes(t *testing.T) {
	x := f32([]int{1, 3}, 1, 2, 3)
	pads := i64([]int{4}, 0, 2, 0, 3)
	for mode, want := range map[string][]float64{
		"constant": {7, 7, 1, 2, 3, 7, 7, 7},
		"reflect":  {3, 2, 1, 2, 3, 2, 1, 2},
		"edge":     {1, 1, 1, 2, 3, 3, 3, 3},
		"wrap":     {2, 3, 1, 2, 3, 1, 2, 3},
	} {
		y := eval(t, mkNode("Pad", "", []string{"x", "p", "v"}, []string{"y"}, attrString("mode", mode)), 19, x, pads, f32(nil, 7))[0]
		wantShape(t, y, 1, 8)
		wantValues(t, y, want...)
	}
	// Negative pads crop; opset 2 attribute form.
	y := eval(t, mkNode("Pad", "", []string{"x"}, []string{"y"}, attrInts("pads", 0, -1, 0, 1)), 2, x)[0]
	wantValues(t, y, 2, 3, 0)
	// axes input (opset 18).
	y = eval(t, mkNode("Pad", "", []string{"x", "p", "", "a"}, []string{"y"}), 18, x, i64([]int{2}, 1, 0), nil, i64([]int{1}, -1))[0]
	wantValues(t, y, 0, 1, 2, 3)
}

func TestSplitForms(t *testing.T) {
	x := f32([]int{5}, 1, 2, 3, 4, 5)
	outs := eval(t, mkNode("Split", "", []string{"x"}, []string{"a", "b", "c"}, attrInt("num_outputs", 3)), 18, x)
	wantValues(t, outs[0], 1, 2)
	wantValues(t, outs[1], 3, 4)
	wantValues(t, outs[2], 5)
	outs = eval(t, mkNode("Split", "", []string{"x", "s"}, []string{"a", "b"}), 13, x, i64([]int{2}, 1, 4))
	wantValues(t, outs[1], 2, 3, 4, 5)
	outs = eval(t, mkNode("Split", "", []string{"x"}, []string{"a", "b"}, attrInts("split", 3, 2)), 11, x)
	wantValues(t, outs[0], 1, 2, 3)
	if _, err := EvalNode(mkNode("Split", "", []string{"x"}, []string{"a", "b"}), 13, []*tensor.Tensor{x}); err == nil {
		t.Error("uneven split without sizes accepted before opset 18")
	}
}

func TestShapeOps(t *testing.T) {
	x := f32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	y := eval(t, mkNode("Gather", "", []string{"x", "i"}, []string{"y"}, attrInt("axis", 1)), 13, x, i64([]int{2}, -1, 0))[0]
	wantShape(t, y, 2, 2)
	wantValues(t, y, 3, 1, 6, 4)
	if _, err := EvalNode(mkNode("Gather", "", []string{"x", "i"}, []string{"y"}), 13, []*tensor.Tensor{x, i64(nil, 2)}); err == nil {
		t.Error("out-of-range index accepted")
	}
	y = eval(t, mkNode("Tile", "", []string{"x", "r"}, []string{"y"}), 13, f32([]int{1, 2}, 1, 2), i64([]int{2}, 2, 2))[0]
	wantShape(t, y, 2, 4)
	wantValues(t, y, 1, 2, 1, 2, 1, 2, 1, 2)
	y = eval(t, mkNode("Expand", "", []string{"x", "s"}, []string{"y"}), 13, f32([]int{2, 1}, 1, 2), i64([]int{3}, 2, 1, 3))[0]
	wantShape(t, y, 2, 2, 3)
	wantValues(t, y, 1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2)
	y = eval(t, mkNode("Range", "", []string{"a", "b", "c"}, []string{"y"}), 11, i64(nil, 10), i64(nil, 1), i64(nil, -3))[0]
	wantValues(t, y, 10, 7, 4)
	y = eval(t, mkNode("ConstantOfShape", "", []string{"s"}, []string{"y"}), 9, i64([]int{2}, 2, 2))[0]
	wantValues(t, y, 0, 0, 0, 0)
	y = eval(t, mkNode("Shape", "", []string{"x"}, []string{"y"}, attrInt("start", -1)), 15, x)[0]
	wantValues(t, y, 3)
	y = eval(t, mkNode("Reshape", "", []string{"x", "s"}, []string{"y"}), 14, x, i64([]int{3}, 0, -1, 1))[0]
	wantShape(t, y, 2, 3, 1)
	y = eval(t, mkNode("Reshape", "", []string{"x"}, []string{"y"}, attrInts("shape", 3, 2)), 1, x)[0]
	wantShape(t, y, 3, 2)
	y = eval(t, mkNode("Unsqueeze", "", []string{"x", "a"}, []string{"y"}), 13, x, i64([]int{2}, 0, -1))[0]
	wantShape(t, y, 1, 2, 3, 1)
	y = eval(t, mkNode("Squeeze", "", []string{"x"}, []string{"y"}, attrInts("axes", 0)), 11, f32([]int{1, 2}, 1, 2))[0]
	wantShape(t, y, 2)
	y = eval(t, mkNode("ReduceSum", "", []string{"x", "a"}, []string{"y"}, attrInt("keepdims", 0)), 13, x, i64([]int{1}, 0))[0]
	wantValues(t, y, 5, 7, 9)
	y = eval(t, mkNode("ReduceMax", "", []string{"x"}, []string{"y"}), 13, x)[0]
	wantShape(t, y, 1, 1)
	wantValues(t, y, 6)
}

func TestQuantizeRoundsHalfToEvenAndSaturates(t *testing.T) {
	x := f32([]int{6}, 0.5, 1.5, 2.5, -0.5, 1000, -1000)
	y := eval(t, mkNode("QuantizeLinear", "", []string{"x", "s", "z"}, []string{"y"}), 13, x, f32(nil, 1), &tensor.Tensor{DType: tensor.Int8, I8: []int8{0}})[0]
	wantValues(t, y, 0, 2, 2, 0, 127, -128)
	// Per-axis dequantize with an int32 input (bias).
	d := eval(t, mkNode("DequantizeLinear", "", []string{"x", "s"}, []string{"y"}, attrInt("axis", 0)), 13,
		&tensor.Tensor{DType: tensor.Int32, Shape: []int{2, 2}, I32: []int32{1, 2, 3, 4}}, f32([]int{2}, 0.5, 2))[0]
	wantValues(t, d, 0.5, 1, 6, 8)
}

func TestActivations(t *testing.T) {
	x := f32([]int{4}, -2, -0.5, 0.5, 3)
	y := eval(t, mkNode("HardSwish", "", []string{"x"}, []string{"y"}), 14, x)[0]
	wantValues(t, y, -2*(1.0/6), -0.5*(-0.5/6+0.5), 0.5*(0.5/6+0.5), 3)
	y = eval(t, mkNode("Clip", "", []string{"x", "lo", "hi"}, []string{"y"}), 13, x, f32(nil, -1), nil)[0]
	wantValues(t, y, -1, -0.5, 0.5, 3)
	y = eval(t, mkNode("Softmax", "", []string{"x"}, []string{"y"}), 13, f32([]int{2}, 1000, 1000))[0]
	wantValues(t, y, 0.5, 0.5) // stable for large logits
	y = eval(t, mkNode("Erf", "", []string{"x"}, []string{"y"}), 13, f32([]int{1}, 1))[0]
	wantValues(t, y, math.Erf(1))
}

func TestLegacyBroadcastAxis(t *testing.T) {
	a := f32([]int{2, 3, 2}, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)
	b := f32([]int{3}, 10, 20, 30)
	y := eval(t, mkNode("Add", "", []string{"a", "b"}, []string{"y"}, attrInt("broadcast", 1), attrInt("axis", 1)), 6, a, b)[0]
	wantValues(t, y, 11, 11, 21, 21, 31, 31, 11, 11, 21, 21, 31, 31)
	if _, err := EvalNode(mkNode("Add", "", []string{"a", "b"}, []string{"y"}), 6, []*tensor.Tensor{a, b}); err == nil {
		t.Error("opset 6 Add of different shapes without broadcast=1 accepted")
	}
}
