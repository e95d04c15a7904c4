package graph

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

type shapeCase struct {
	name  string
	model *modelBuilder
	want  map[string][]int // value -> dims
	err   string           // substring of the expected error
}

func runShapeCases(t *testing.T, cases []shapeCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := InferShapes(c.model.m, nil, miniEval)
			if c.err != "" {
				if err == nil {
					t.Fatalf("no error, want one containing %q", c.err)
				}
				if !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %q does not contain %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range c.want {
				v := s.Of(name)
				if v == nil {
					t.Fatalf("no value %q", name)
				}
				if !slices.Equal(v.Dims, want) {
					t.Errorf("%s: dims %v, want %v", name, v.Dims, want)
				}
			}
		})
	}
}

func y(dims ...int) map[string][]int { return map[string][]int{"y": dims} }

func unary(opset int64, op string, dims []int64, attrs ...*onnx.Attribute) *modelBuilder {
	return newModel(opset).input("x", dims...).node(op, []string{"x"}, []string{"y"}, attrs...).output("y")
}

func TestConvShapes(t *testing.T) {
	conv := func(opset int64, x, w []int64, attrs ...*onnx.Attribute) *modelBuilder {
		return newModel(opset).input("x", x...).floats("w", w).node("Conv", []string{"x", "w"}, []string{"y"}, attrs...).output("y")
	}
	runShapeCases(t, []shapeCase{
		{"plain", conv(11, []int64{1, 3, 32, 32}, []int64{16, 3, 3, 3}), y(1, 16, 30, 30), ""},
		{"pads strides", conv(11, []int64{2, 3, 32, 32}, []int64{16, 3, 3, 3}, aInts("pads", 1, 1, 1, 1), aInts("strides", 2, 2)), y(2, 16, 16, 16), ""},
		{"asymmetric pads", conv(1, []int64{1, 1, 5, 5}, []int64{1, 1, 3, 3}, aInts("pads", 1, 0, 0, 0)), y(1, 1, 4, 3), ""},
		{"dilation", conv(11, []int64{1, 3, 10, 10}, []int64{4, 3, 3, 3}, aInts("dilations", 2, 2)), y(1, 4, 6, 6), ""},
		{"group depthwise", conv(11, []int64{1, 8, 7, 7}, []int64{8, 1, 3, 3}, aInt("group", 8), aInts("pads", 1, 1, 1, 1)), y(1, 8, 7, 7), ""},
		{"same upper", conv(11, []int64{1, 3, 7, 7}, []int64{4, 3, 3, 3}, aString("auto_pad", "SAME_UPPER"), aInts("strides", 2, 2)), y(1, 4, 4, 4), ""},
		{"valid", conv(11, []int64{1, 3, 7, 7}, []int64{4, 3, 3, 3}, aString("auto_pad", "VALID"), aInts("strides", 2, 2)), y(1, 4, 3, 3), ""},
		{"1d", conv(22, []int64{1, 2, 9}, []int64{3, 2, 4}), y(1, 3, 6), ""},
		{"3d", conv(11, []int64{1, 2, 4, 5, 6}, []int64{3, 2, 2, 2, 2}), y(1, 3, 3, 4, 5), ""},
		{"channel mismatch", conv(11, []int64{1, 4, 8, 8}, []int64{4, 3, 3, 3}), nil, "channels"},
		{"negative kernel", conv(11, []int64{1, 3, 8, 8}, []int64{4, 3, 3, 3}, aInts("kernel_shape", -3, 3)), nil, "kernel_shape"},
		{"zero stride", conv(11, []int64{1, 3, 8, 8}, []int64{4, 3, 3, 3}, aInts("strides", 0, 1)), nil, "strides"},
		{"zero group", conv(11, []int64{1, 3, 8, 8}, []int64{4, 3, 3, 3}, aInt("group", 0)), nil, "group"},
		{"kernel too big", conv(11, []int64{1, 3, 2, 2}, []int64{4, 3, 3, 3}), nil, "smaller than the (dilated) kernel"},
		{"bad pads length", conv(11, []int64{1, 3, 8, 8}, []int64{4, 3, 3, 3}, aInts("pads", 1)), nil, "pads"},
		{"bad auto_pad", conv(11, []int64{1, 3, 8, 8}, []int64{4, 3, 3, 3}, aString("auto_pad", "FOO")), nil, "auto_pad"},
	})
}

func TestConvTransposeShapes(t *testing.T) {
	ct := func(x, w []int64, attrs ...*onnx.Attribute) *modelBuilder {
		return newModel(11).input("x", x...).floats("w", w).node("ConvTranspose", []string{"x", "w"}, []string{"y"}, attrs...).output("y")
	}
	runShapeCases(t, []shapeCase{
		{"plain", ct([]int64{1, 1, 3, 3}, []int64{1, 2, 3, 3}), y(1, 2, 5, 5), ""},
		{"strides pads outpad", ct([]int64{1, 1, 3, 3}, []int64{1, 2, 3, 3}, aInts("strides", 3, 2), aInts("pads", 1, 2, 1, 2), aInts("output_padding", 1, 1)), y(1, 2, 8, 4), ""},
		{"output_shape", ct([]int64{1, 1, 3, 3}, []int64{1, 2, 3, 3}, aInts("strides", 3, 2), aInts("output_shape", 10, 8)), y(1, 2, 10, 8), ""},
		{"same", ct([]int64{1, 1, 3, 3}, []int64{1, 2, 3, 3}, aInts("strides", 2, 2), aString("auto_pad", "SAME_UPPER")), y(1, 2, 6, 6), ""},
		{"group", ct([]int64{1, 4, 3, 3}, []int64{4, 3, 3, 3}, aInt("group", 2)), y(1, 6, 5, 5), ""},
		{"dilations", ct([]int64{1, 1, 3, 3}, []int64{1, 1, 2, 2}, aInts("dilations", 2, 2)), y(1, 1, 5, 5), ""},
		{"pads too big", ct([]int64{1, 1, 1, 1}, []int64{1, 1, 1, 1}, aInts("pads", 1, 1, 1, 1)), nil, "pads are larger"},
	})
}

func TestPoolShapes(t *testing.T) {
	x := []int64{1, 3, 32, 32}
	runShapeCases(t, []shapeCase{
		{"max 2x2", unary(12, "MaxPool", x, aInts("kernel_shape", 2, 2), aInts("strides", 2, 2)), y(1, 3, 16, 16), ""},
		{"max indices", newModel(12).input("x", x...).node("MaxPool", []string{"x"}, []string{"y", "i"}, aInts("kernel_shape", 3, 3)).output("y", "i"), map[string][]int{"y": {1, 3, 30, 30}, "i": {1, 3, 30, 30}}, ""},
		{"avg ceil", unary(12, "AveragePool", []int64{1, 1, 4, 4}, aInts("kernel_shape", 3, 3), aInts("strides", 2, 2), aInt("ceil_mode", 1)), y(1, 1, 2, 2), ""},
		{"avg floor", unary(12, "AveragePool", []int64{1, 1, 4, 4}, aInts("kernel_shape", 3, 3), aInts("strides", 2, 2)), y(1, 1, 1, 1), ""},
		{"max ceil drops window in padding", unary(12, "MaxPool", []int64{1, 1, 5, 5}, aInts("kernel_shape", 2, 2), aInts("strides", 2, 2), aInts("pads", 1, 1, 1, 1), aInt("ceil_mode", 1)), y(1, 1, 3, 3), ""},
		{"max ceil 6", unary(12, "MaxPool", []int64{1, 1, 6, 6}, aInts("kernel_shape", 3, 3), aInts("strides", 2, 2), aInt("ceil_mode", 1)), y(1, 1, 3, 3), ""},
		{"same lower", unary(12, "AveragePool", []int64{1, 1, 5, 5}, aInts("kernel_shape", 2, 2), aString("auto_pad", "SAME_LOWER"), aInts("strides", 2, 2)), y(1, 1, 3, 3), ""},
		{"dilated", unary(12, "MaxPool", []int64{1, 1, 4, 4}, aInts("kernel_shape", 2, 2), aInts("dilations", 2, 2)), y(1, 1, 2, 2), ""},
		{"global avg", unary(12, "GlobalAveragePool", []int64{2, 5, 7, 3}), y(2, 5, 1, 1), ""},
		{"global max 1d", unary(12, "GlobalMaxPool", []int64{2, 5, 7}), y(2, 5, 1), ""},
		{"no kernel", unary(12, "MaxPool", x), nil, "kernel_shape"},
		{"zero kernel", unary(12, "MaxPool", x, aInts("kernel_shape", 0, 2)), nil, "kernel_shape"},
		{"rank 2", unary(12, "MaxPool", []int64{3, 4}, aInts("kernel_shape", 2)), nil, "rank 3"},
	})
}

func TestLinearShapes(t *testing.T) {
	gemm := func(a, b []int64, attrs ...*onnx.Attribute) *modelBuilder {
		return newModel(13).input("a", a...).floats("b", b).floats("c", []int64{b[len(b)-1]}).node("Gemm", []string{"a", "b", "c"}, []string{"y"}, attrs...).output("y")
	}
	mm := func(a, b []int64) *modelBuilder {
		return newModel(13).input("a", a...).input("b", b...).node("MatMul", []string{"a", "b"}, []string{"y"}).output("y")
	}
	runShapeCases(t, []shapeCase{
		{"gemm", gemm([]int64{2, 3}, []int64{3, 4}), y(2, 4), ""},
		{"gemm transB", gemm([]int64{2, 3}, []int64{4, 3}, aInt("transB", 1)), nil, "C [3]"},
		{"gemm transA", gemm([]int64{3, 2}, []int64{3, 4}, aInt("transA", 1)), y(2, 4), ""},
		{"gemm mismatch", gemm([]int64{2, 5}, []int64{3, 4}), nil, "inner dimensions"},
		{"matmul 2d", mm([]int64{2, 3}, []int64{3, 4}), y(2, 4), ""},
		{"matmul batch bcast", mm([]int64{5, 1, 2, 3}, []int64{4, 3, 6}), y(5, 4, 2, 6), ""},
		{"matmul vec left", mm([]int64{3}, []int64{2, 3, 4}), y(2, 4), ""},
		{"matmul vec right", mm([]int64{2, 3, 4}, []int64{4}), y(2, 3), ""},
		{"matmul vec vec", mm([]int64{4}, []int64{4}), y(), ""},
		{"matmul mismatch", mm([]int64{2, 3}, []int64{4, 4}), nil, "inner dimensions"},
	})
}

func TestElementwiseShapes(t *testing.T) {
	bin := func(opset int64, op string, a, b []int64, attrs ...*onnx.Attribute) *modelBuilder {
		return newModel(opset).input("a", a...).input("b", b...).node(op, []string{"a", "b"}, []string{"y"}, attrs...).output("y")
	}
	runShapeCases(t, []shapeCase{
		{"add bcast", bin(13, "Add", []int64{2, 1, 4}, []int64{3, 1}), y(2, 3, 4), ""},
		{"equal bool", bin(13, "Equal", []int64{3}, []int64{1}), y(3), ""},
		{"add mismatch", bin(13, "Add", []int64{2, 3}, []int64{4}), nil, "broadcast"},
		{"legacy broadcast", bin(6, "Mul", []int64{2, 3, 4, 5}, []int64{3}, aInt("broadcast", 1), aInt("axis", 1)), y(2, 3, 4, 5), ""},
		{"sum variadic", newModel(13).input("a", 2, 1).input("b", 1, 3).input("c", 3).node("Sum", []string{"a", "b", "c"}, []string{"y"}).output("y"), y(2, 3), ""},
		{"sum single", newModel(13).input("a", 2, 1).node("Max", []string{"a"}, []string{"y"}).output("y"), y(2, 1), ""},
		{"where", newModel(13).input("c", 2, 1).input("a", 1, 3).input("b", 1).node("Where", []string{"c", "a", "b"}, []string{"y"}).output("y"), y(2, 3), ""},
		{"prelu", newModel(13).input("x", 1, 3, 4, 4).floats("s", []int64{3, 1, 1}).node("PRelu", []string{"x", "s"}, []string{"y"}).output("y"), y(1, 3, 4, 4), ""},
		{"prelu grows", newModel(13).input("x", 3).floats("s", []int64{2, 3}).node("PRelu", []string{"x", "s"}, []string{"y"}).output("y"), nil, "does not broadcast onto"},
		{"softmax axis", unary(13, "Softmax", []int64{2, 3}, aInt("axis", 5)), nil, "axis 5 is out of range"},
		{"logsoftmax", unary(11, "LogSoftmax", []int64{2, 3}), y(2, 3), ""},
		{"clip 11", newModel(11).input("x", 4).floats("lo", nil).node("Clip", []string{"x", "lo", ""}, []string{"y"}).output("y"), y(4), ""},
		{"dropout mask", newModel(12).input("x", 2, 3).node("Dropout", []string{"x"}, []string{"y", "m"}).output("y", "m"), map[string][]int{"y": {2, 3}, "m": {2, 3}}, ""},
	})
	for _, op := range []string{"Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Sqrt", "Exp", "Log", "Neg", "Abs", "Floor", "Ceil", "Reciprocal", "Erf", "Not", "Identity"} {
		runShapeCases(t, []shapeCase{{op, unary(14, op, []int64{2, 3, 5}), y(2, 3, 5), ""}})
	}
}

func TestBatchNormShapes(t *testing.T) {
	bn := func(opset int64, c int64, outs ...string) *modelBuilder {
		b := newModel(opset).input("x", 2, 4, 5, 5)
		for _, p := range []string{"s", "b", "m", "v"} {
			b.floats(p, []int64{c})
		}
		return b.node("BatchNormalization", []string{"x", "s", "b", "m", "v"}, outs).output(outs[0])
	}
	runShapeCases(t, []shapeCase{
		{"inference", bn(15, 4, "y"), y(2, 4, 5, 5), ""},
		{"training outputs", bn(14, 4, "y", "rm", "rv"), map[string][]int{"y": {2, 4, 5, 5}, "rm": {4}, "rv": {4}}, ""},
		{"opset 7", bn(7, 4, "y"), y(2, 4, 5, 5), ""},
		{"wrong channels", bn(15, 3, "y"), nil, "must be [4]"},
	})
}

func TestReshapeFamilyShapes(t *testing.T) {
	reshape := func(opset int64, x []int64, shape []int64, attrs ...*onnx.Attribute) *modelBuilder {
		return newModel(opset).input("x", x...).vec("s", shape...).node("Reshape", []string{"x", "s"}, []string{"y"}, attrs...).output("y")
	}
	runShapeCases(t, []shapeCase{
		{"reshape -1", reshape(13, []int64{2, 3, 4}, []int64{-1, 4}), y(6, 4), ""},
		{"reshape 0", reshape(13, []int64{2, 3, 4}, []int64{0, -1}), y(2, 12), ""},
		{"reshape allowzero", newModel(14).floats("x", []int64{0, 3}).vec("s", 3, 0).node("Reshape", []string{"x", "s"}, []string{"y"}, aInt("allowzero", 1)).output("y"), y(3, 0), ""},
		{"reshape two -1", reshape(13, []int64{2, 3, 4}, []int64{-1, -1}), nil, "more than one -1"},
		{"reshape count", reshape(13, []int64{2, 3, 4}, []int64{5, -1}), nil, "not divisible"},
		{"reshape attr opset 4", newModel(4).input("x", 2, 3).node("Reshape", []string{"x"}, []string{"y"}, aInts("shape", 3, 2)).output("y"), y(3, 2), ""},
		{"reshape runtime shape", newModel(13).input("x", 2, 3).input("s", 2).node("Reshape", []string{"x", "s"}, []string{"y"}).output("y"), nil, "computed at run time"},
		{"flatten", unary(13, "Flatten", []int64{2, 3, 4, 5}, aInt("axis", 2)), y(6, 20), ""},
		{"flatten default", unary(9, "Flatten", []int64{2, 3, 4}), y(2, 12), ""},
		{"flatten neg", unary(13, "Flatten", []int64{2, 3, 4}, aInt("axis", -1)), y(6, 4), ""},
		{"flatten 0", unary(13, "Flatten", []int64{2, 3}, aInt("axis", 0)), y(1, 6), ""},
		{"flatten bad axis", unary(13, "Flatten", []int64{2, 3}, aInt("axis", 3)), nil, "out of range"},
		{"transpose", unary(13, "Transpose", []int64{2, 3, 4}, aInts("perm", 1, 2, 0)), y(3, 4, 2), ""},
		{"transpose default", unary(13, "Transpose", []int64{2, 3, 4}), y(4, 3, 2), ""},
		{"transpose dup", unary(13, "Transpose", []int64{2, 3, 4}, aInts("perm", 0, 0, 1)), nil, "twice"},
		{"squeeze attr", unary(11, "Squeeze", []int64{1, 3, 1, 4}, aInts("axes", -2)), y(1, 3, 4), ""},
		{"squeeze all", unary(11, "Squeeze", []int64{1, 3, 1, 4}), y(3, 4), ""},
		{"squeeze input", newModel(13).input("x", 1, 3, 1).vec("a", 0, 2).node("Squeeze", []string{"x", "a"}, []string{"y"}).output("y"), y(3), ""},
		{"squeeze not 1", unary(11, "Squeeze", []int64{2, 3}, aInts("axes", 0)), nil, "not 1"},
		{"unsqueeze attr", unary(11, "Unsqueeze", []int64{3, 4}, aInts("axes", 0, -1)), y(1, 3, 4, 1), ""},
		{"unsqueeze input", newModel(13).input("x", 3, 4).vec("a", 1).node("Unsqueeze", []string{"x", "a"}, []string{"y"}).output("y"), y(3, 1, 4), ""},
		{"unsqueeze out of range", unary(11, "Unsqueeze", []int64{3}, aInts("axes", 5)), nil, "out of range"},
	})
}

func TestConcatSplitSliceShapes(t *testing.T) {
	runShapeCases(t, []shapeCase{
		{"concat", newModel(13).input("a", 2, 3).input("b", 2, 5).node("Concat", []string{"a", "b"}, []string{"y"}, aInt("axis", -1)).output("y"), y(2, 8), ""},
		{"concat mismatch", newModel(13).input("a", 2, 3).input("b", 3, 5).node("Concat", []string{"a", "b"}, []string{"y"}, aInt("axis", 1)).output("y"), nil, "differs"},
		{"concat no axis", newModel(13).input("a", 2, 3).node("Concat", []string{"a"}, []string{"y"}).output("y"), nil, "no axis"},
		{"split even", newModel(11).input("x", 2, 6).node("Split", []string{"x"}, []string{"p", "q"}, aInt("axis", 1)).output("p", "q"), map[string][]int{"p": {2, 3}, "q": {2, 3}}, ""},
		{"split attr", newModel(11).input("x", 2, 6).node("Split", []string{"x"}, []string{"p", "q"}, aInt("axis", 1), aInts("split", 2, 4)).output("p", "q"), map[string][]int{"p": {2, 2}, "q": {2, 4}}, ""},
		{"split input", newModel(13).input("x", 6).vec("s", 1, 5).node("Split", []string{"x", "s"}, []string{"p", "q"}).output("p", "q"), map[string][]int{"p": {1}, "q": {5}}, ""},
		{"split num_outputs uneven", newModel(18).input("x", 7).node("Split", []string{"x"}, []string{"p", "q", "r"}, aInt("num_outputs", 3)).output("p", "q", "r"), map[string][]int{"p": {3}, "q": {3}, "r": {1}}, ""},
		{"split bad sum", newModel(11).input("x", 6).node("Split", []string{"x"}, []string{"p", "q"}, aInts("split", 2, 2)).output("p", "q"), nil, "sums to"},
		{"split uneven before 18", newModel(13).input("x", 7).node("Split", []string{"x"}, []string{"p", "q"}).output("p", "q"), nil, "evenly"},
		{"slice attrs", newModel(9).input("x", 10, 8).node("Slice", []string{"x"}, []string{"y"}, aInts("starts", 2, 0), aInts("ends", -1, 100)).output("y"), y(7, 8), ""},
		{"slice inputs", newModel(13).input("x", 10, 8).vec("st", 1).vec("en", 1000).vec("ax", -1).vec("sp", 3).node("Slice", []string{"x", "st", "en", "ax", "sp"}, []string{"y"}).output("y"), y(10, 3), ""},
		{"slice negative step", newModel(13).input("x", 10).vec("st", -1).vec("en", -9223372036854775807).vec("ax", 0).vec("sp", -2).node("Slice", []string{"x", "st", "en", "ax", "sp"}, []string{"y"}).output("y"), y(5), ""},
		{"slice empty", newModel(13).input("x", 10).vec("st", 5).vec("en", 2).node("Slice", []string{"x", "st", "en"}, []string{"y"}).output("y"), y(0), ""},
		{"slice zero step", newModel(13).input("x", 10).vec("st", 5).vec("en", 2).vec("ax", 0).vec("sp", 0).node("Slice", []string{"x", "st", "en", "ax", "sp"}, []string{"y"}).output("y"), nil, "steps[0] is 0"},
	})
}

func TestPadGatherExpandShapes(t *testing.T) {
	runShapeCases(t, []shapeCase{
		{"pad attr", unary(2, "Pad", []int64{1, 3, 4, 4}, aInts("pads", 0, 0, 1, 2, 0, 0, 3, 4)), y(1, 3, 8, 10), ""},
		{"pad input", newModel(13).input("x", 2, 3).vec("p", 1, 0, 1, -1).node("Pad", []string{"x", "p"}, []string{"y"}).output("y"), y(4, 2), ""},
		{"pad axes 18", newModel(18).input("x", 2, 3).vec("p", 2, 2).floats("v", []int64{}, 0).vec("a", -1).node("Pad", []string{"x", "p", "v", "a"}, []string{"y"}).output("y"), y(2, 7), ""},
		{"pad too negative", newModel(13).input("x", 2).vec("p", -2, -1).node("Pad", []string{"x", "p"}, []string{"y"}).output("y"), nil, "size -1"},
		{"gather scalar", newModel(13).input("x", 5, 6, 7).ints("i", []int64{}, 2).node("Gather", []string{"x", "i"}, []string{"y"}, aInt("axis", 1)).output("y"), y(5, 7), ""},
		{"gather matrix", newModel(13).input("x", 5, 6).ints("i", []int64{2, 2}, 0, 1, 2, 3).node("Gather", []string{"x", "i"}, []string{"y"}).output("y"), y(2, 2, 6), ""},
		{"gather axis", newModel(13).input("x", 5, 6).ints("i", []int64{}, 0).node("Gather", []string{"x", "i"}, []string{"y"}, aInt("axis", 2)).output("y"), nil, "out of range"},
		{"expand", newModel(13).input("x", 3, 1).vec("s", 2, 1, 4).node("Expand", []string{"x", "s"}, []string{"y"}).output("y"), y(2, 3, 4), ""},
		{"tile", newModel(13).input("x", 3, 1).vec("r", 2, 4).node("Tile", []string{"x", "r"}, []string{"y"}).output("y"), y(6, 4), ""},
		{"depth to space", unary(13, "DepthToSpace", []int64{1, 8, 2, 3}, aInt("blocksize", 2)), y(1, 2, 4, 6), ""},
	})
}

func TestConstantShapes(t *testing.T) {
	runShapeCases(t, []shapeCase{
		{"constant tensor", newModel(13).node("Constant", nil, []string{"y"}, aTensor("value", &onnx.Tensor{DataType: onnx.Int64, Dims: []int64{2}, Int64Data: []int64{3, 4}})).output("y"), y(2), ""},
		{"constant ints", newModel(13).node("Constant", nil, []string{"y"}, aInts("value_ints", 1, 2, 3)).output("y"), y(3), ""},
		{"constant float", newModel(13).node("Constant", nil, []string{"y"}, &onnx.Attribute{Name: "value_float", Type: onnx.AttrFloat, F: 2}).output("y"), y(), ""},
		{"constant of shape", newModel(13).vec("s", 2, 3).node("ConstantOfShape", []string{"s"}, []string{"y"}).output("y"), y(2, 3), ""},
		{"constant of shape negative", newModel(13).vec("s", 2, -3).node("ConstantOfShape", []string{"s"}, []string{"y"}).output("y"), nil, "shape[1] is -3"},
		{"range int", newModel(13).ints("a", []int64{}, 1).ints("b", []int64{}, 10).ints("d", []int64{}, 3).node("Range", []string{"a", "b", "d"}, []string{"y"}).output("y"), y(3), ""},
		{"range negative", newModel(13).ints("a", []int64{}, 10).ints("b", []int64{}, 1).ints("d", []int64{}, -4).node("Range", []string{"a", "b", "d"}, []string{"y"}).output("y"), y(3), ""},
		{"range empty", newModel(13).ints("a", []int64{}, 10).ints("b", []int64{}, 1).ints("d", []int64{}, 4).node("Range", []string{"a", "b", "d"}, []string{"y"}).output("y"), y(0), ""},
		{"range float", newModel(13).floats("a", []int64{}, 0).floats("b", []int64{}, 1).floats("d", []int64{}, 0.3).node("Range", []string{"a", "b", "d"}, []string{"y"}).output("y"), y(4), ""},
		// The int64 difference limit-start once wrapped to -1 and gave an
		// empty range instead of an error.
		{"range wraps", newModel(13).ints("a", []int64{}, math.MinInt64).ints("b", []int64{}, math.MaxInt64).ints("d", []int64{}, 1).node("Range", []string{"a", "b", "d"}, []string{"y"}).output("y"), nil, "too many elements"},
		{"range min int64 span", newModel(13).ints("a", []int64{}, 0).ints("b", []int64{}, math.MinInt64).ints("d", []int64{}, -1).node("Range", []string{"a", "b", "d"}, []string{"y"}).output("y"), nil, "too many elements"},
		{"range zero delta", newModel(13).ints("a", []int64{}, 1).ints("b", []int64{}, 10).ints("d", []int64{}, 0).node("Range", []string{"a", "b", "d"}, []string{"y"}).output("y"), nil, "delta is 0"},
		{"shape", newModel(13).input("x", 2, 3, 4).node("Shape", []string{"x"}, []string{"y"}).output("y"), y(3), ""},
		{"shape start end", newModel(15).input("x", 2, 3, 4).node("Shape", []string{"x"}, []string{"y"}, aInt("start", 1), aInt("end", -1)).output("y"), y(1), ""},
		{"size", newModel(13).input("x", 2, 3, 4).node("Size", []string{"x"}, []string{"y"}).output("y"), y(), ""},
	})
}

func TestReduceShapes(t *testing.T) {
	runShapeCases(t, []shapeCase{
		{"mean attr keep", unary(13, "ReduceMean", []int64{2, 3, 4}, aInts("axes", 1)), y(2, 1, 4), ""},
		{"mean attr drop", unary(13, "ReduceMean", []int64{2, 3, 4}, aInts("axes", -1, 0), aInt("keepdims", 0)), y(3), ""},
		{"mean all", unary(13, "ReduceMean", []int64{2, 3, 4}, aInt("keepdims", 0)), y(), ""},
		{"mean input 18", newModel(18).input("x", 2, 3, 4).vec("a", 2).node("ReduceMean", []string{"x", "a"}, []string{"y"}).output("y"), y(2, 3, 1), ""},
		{"mean noop 18", newModel(18).input("x", 2, 3, 4).node("ReduceMean", []string{"x"}, []string{"y"}, aInt("noop_with_empty_axes", 1)).output("y"), y(2, 3, 4), ""},
		{"sum input 13", newModel(13).input("x", 2, 3, 4).vec("a", 0).node("ReduceSum", []string{"x", "a"}, []string{"y"}, aInt("keepdims", 0)).output("y"), y(3, 4), ""},
		{"mean axis range", unary(13, "ReduceMean", []int64{2, 3}, aInts("axes", 2)), nil, "out of range"},
		{"argmax", unary(13, "ArgMax", []int64{2, 3}, aInt("axis", 1), aInt("keepdims", 0)), y(2), ""},
	})
}

func TestResizeShapes(t *testing.T) {
	x := []int64{1, 3, 4, 6}
	runShapeCases(t, []shapeCase{
		{"resize 10 scales", newModel(10).input("x", x...).floats("s", []int64{4}, 1, 1, 2, 1.5).node("Resize", []string{"x", "s"}, []string{"y"}).output("y"), y(1, 3, 8, 9), ""},
		{"resize 11 scales", newModel(11).input("x", x...).floats("roi", []int64{0}).floats("s", []int64{4}, 1, 1, 0.5, 0.5).node("Resize", []string{"x", "roi", "s"}, []string{"y"}).output("y"), y(1, 3, 2, 3), ""},
		{"resize 11 sizes", newModel(11).input("x", x...).floats("roi", []int64{0}).floats("s", []int64{0}).vec("sz", 1, 3, 5, 7).node("Resize", []string{"x", "roi", "s", "sz"}, []string{"y"}).output("y"), y(1, 3, 5, 7), ""},
		{"resize 13 sizes only", newModel(13).input("x", x...).vec("sz", 1, 3, 5, 7).node("Resize", []string{"x", "", "", "sz"}, []string{"y"}).output("y"), y(1, 3, 5, 7), ""},
		{"resize 18 axes", newModel(18).input("x", x...).floats("s", []int64{2}, 2, 3).node("Resize", []string{"x", "", "s"}, []string{"y"}, aInts("axes", 2, 3)).output("y"), y(1, 3, 8, 18), ""},
		{"resize 18 not_larger", newModel(18).input("x", x...).vec("sz", 8, 8).node("Resize", []string{"x", "", "", "sz"}, []string{"y"}, aInts("axes", 2, 3), aString("keep_aspect_ratio_policy", "not_larger")).output("y"), y(1, 3, 5, 8), ""},
		{"resize neither", newModel(13).input("x", x...).node("Resize", []string{"x"}, []string{"y"}).output("y"), nil, "scales or sizes"},
		{"upsample 7", unary(7, "Upsample", x, aFloats("scales", 1, 1, 2, 2)), y(1, 3, 8, 12), ""},
		{"upsample 9", newModel(9).input("x", x...).floats("s", []int64{4}, 1, 1, 2, 3).node("Upsample", []string{"x", "s"}, []string{"y"}).output("y"), y(1, 3, 8, 18), ""},
		{"upsample bad scale", unary(7, "Upsample", x, aFloats("scales", 1, 1, -2, 2)), nil, "positive"},
	})
}

func TestQuantizeShapesAndTypes(t *testing.T) {
	m := newModel(13).input("x", 1, 4).floats("s", []int64{}, 0.1).
		ints("zp", []int64{}, 0)
	m.m.Graph.Initializer[1].DataType = onnx.Int8
	m.m.Graph.Initializer[1].Int64Data = nil
	m.m.Graph.Initializer[1].Int32Data = []int32{0}
	m.node("QuantizeLinear", []string{"x", "s", "zp"}, []string{"q"}).
		node("DequantizeLinear", []string{"q", "s", "zp"}, []string{"y"}).
		node("Cast", []string{"y"}, []string{"c"}, aInt("to", int64(onnx.Int64))).output("c")
	s, err := InferShapes(m.m, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := s.Of("q"); v.DType != tensor.Int8 || !slices.Equal(v.Dims, []int{1, 4}) {
		t.Errorf("q = %v, want int8[1 4]", v)
	}
	if v := s.Of("y"); v.DType != tensor.Float32 {
		t.Errorf("y = %v, want float32", v)
	}
	if v := s.Of("c"); v.DType != tensor.Int64 {
		t.Errorf("c = %v, want int64", v)
	}
}

// TestPyTorchShapeChain folds Shape -> Gather -> Unsqueeze -> Concat ->
// Reshape, the flatten idiom of PyTorch exports.
func TestPyTorchShapeChain(t *testing.T) {
	for _, opset := range []int64{9, 11, 13} {
		t.Run(fmt.Sprint("opset", opset), func(t *testing.T) {
			b := newModel(opset).input("x", -1, 8, 2, 2).ints("zero", []int64{}, 0).vec("minus1", -1)
			b.node("Shape", []string{"x"}, []string{"shape"})
			b.node("Gather", []string{"shape", "zero"}, []string{"batch"}, aInt("axis", 0))
			if opset >= 13 {
				b.vec("axes0", 0)
				b.node("Unsqueeze", []string{"batch", "axes0"}, []string{"batch1"})
			} else {
				b.node("Unsqueeze", []string{"batch"}, []string{"batch1"}, aInts("axes", 0))
			}
			b.node("Concat", []string{"batch1", "minus1"}, []string{"target"}, aInt("axis", 0))
			b.node("Reshape", []string{"x", "target"}, []string{"y"}).output("y")
			s, err := InferShapes(b.m, map[string][]int{"x": {3, 8, 2, 2}}, miniEval)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Dims("y"); !slices.Equal(got, []int{3, 32}) {
				t.Errorf("y dims %v, want [3 32]", got)
			}
			if tgt := s.Of("target"); tgt.Const == nil || fmt.Sprint(tgt.Const.I64) != "[3 -1]" {
				t.Errorf("target not folded to [3 -1]: %v", tgt)
			}
			if s.Folded < 3 {
				t.Errorf("Folded = %d, want at least 3 (shape, gather, unsqueeze, concat)", s.Folded)
			}
			// Without an evaluator the chain cannot be folded: a clear error.
			_, err = InferShapes(b.m, map[string][]int{"x": {3, 8, 2, 2}}, nil)
			if err == nil || !strings.Contains(err.Error(), "not a known constant") {
				t.Errorf("without eval: err = %v", err)
			}
		})
	}
}

func TestInputShapeResolution(t *testing.T) {
	b := newModel(13).input("x", -1, 3).node("Relu", []string{"x"}, []string{"y"}).output("y")
	if _, err := InferShapes(b.m, nil, nil); err == nil || !strings.Contains(err.Error(), "symbolic") {
		t.Errorf("symbolic batch: err = %v", err)
	}
	shapes, err := DefaultInputShapes(b.m, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(shapes["x"], []int{1, 3}) {
		t.Errorf("DefaultInputShapes = %v", shapes)
	}
	s, err := InferShapes(b.m, shapes, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Dims("y"), []int{1, 3}) {
		t.Errorf("y = %v", s.Dims("y"))
	}
	if _, err := InferShapes(b.m, map[string][]int{"x": {1, 3, 3}}, nil); err == nil || !strings.Contains(err.Error(), "rank") {
		t.Errorf("wrong rank: err = %v", err)
	}
	if _, err := InferShapes(b.m, map[string][]int{"x": {1, 3}, "zz": {1}}, nil); err == nil || !strings.Contains(err.Error(), "zz") {
		t.Errorf("unknown input: err = %v", err)
	}
	inner := newModel(13).input("x", 1, -1).node("Relu", []string{"x"}, []string{"y"}).output("y")
	if _, err := DefaultInputShapes(inner.m, 1); err == nil || !strings.Contains(err.Error(), "dimension 1") {
		t.Errorf("unknown inner dim: err = %v", err)
	}
}

func TestUnknownOpsListed(t *testing.T) {
	b := newModel(13).input("x", 2).
		node("Frobnicate", []string{"x"}, []string{"a"}).
		node("Twiddle", []string{"a"}, []string{"y"}).output("y")
	_, err := InferShapes(b.m, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "Frobnicate") || !strings.Contains(err.Error(), "Twiddle") {
		t.Errorf("err = %v, want both unknown ops listed", err)
	}
}

// Every dimension within bounds does not make the product bounded: a graph
// input of three 2^31 axes once passed and overflowed element counts (and
// the byte counts core/cost derives from them) downstream.
func TestInputShapeTotalBounded(t *testing.T) {
	const huge = 1 << 31
	declared := newModel(13).input("x", huge, huge, huge).node("Relu", []string{"x"}, []string{"y"}).output("y")
	if _, err := InferShapes(declared.m, nil, nil); err == nil || !strings.Contains(err.Error(), "too many elements") {
		t.Errorf("declared [2^31 2^31 2^31]: err = %v, want too many elements", err)
	}
	given := newModel(13).input("x", -1, 2, 2).node("Relu", []string{"x"}, []string{"y"}).output("y")
	if _, err := InferShapes(given.m, map[string][]int{"x": {huge, huge, huge}}, nil); err == nil || !strings.Contains(err.Error(), `input "x"`) {
		t.Errorf("given [2^31 2^31 2^31]: err = %v, want an error naming input x", err)
	}
	s, err := InferShapes(given.m, map[string][]int{"x": {huge, 2, 2}}, nil)
	if err != nil {
		t.Fatalf("[2^31 2 2] is within bounds: %v", err)
	}
	if got := s.Of("x").Elements(); got != 4*huge {
		t.Errorf("elements = %d", got)
	}
}
