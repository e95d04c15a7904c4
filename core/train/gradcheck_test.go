package train

import (
	"fmt"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
)

// Gradient checks: every backward rule against central finite differences,
// on shapes chosen to exercise groups, strides, dilations, asymmetric
// padding, broadcasting and BatchNormalization with batch statistics.

type gradCase struct {
	name  string
	opset int64
	build func(b *testModel)
	mode  Mode
	opt   NetOptions
}

func unary(op string, gen func(r *rng) float32, attrs ...any) func(b *testModel) {
	return func(b *testModel) {
		b.param("x", []int{2, 3, 4, 5}, gen)
		b.node(op, []string{"x"}, []string{"y"}, attrsOf(attrs)...).output("y")
	}
}

func gradCases() []gradCase {
	conv := func(x, w []int, bias bool, attrs ...any) func(b *testModel) {
		return func(b *testModel) {
			b.param("x", x, nil).param("w", w, nil)
			in := []string{"x", "w"}
			if bias {
				b.param("b", []int{w[0]}, nil)
				in = append(in, "b")
			}
			b.node("Conv", in, []string{"y"}, attrsOf(attrs)...).output("y")
		}
	}
	binary := func(op string, a, bs []int) func(b *testModel) {
		return func(b *testModel) {
			b.param("a", a, nil).param("b", bs, avoiding(1, 0))
			if op == "Div" {
				b.m.Graph.Initializer[1].FloatData = positive(b.m.Graph.Initializer[1].FloatData)
			}
			b.node(op, []string{"a", "b"}, []string{"y"}).output("y")
		}
	}
	cases := []gradCase{
		{name: "Conv/pads", opset: 13, build: conv([]int{2, 3, 7, 6}, []int{4, 3, 3, 3}, true, "pads", []int64{1, 1, 1, 1})},
		{name: "Conv/groups-strides-dilations-asymmetric-pads", opset: 13, build: conv([]int{2, 4, 9, 8}, []int{6, 2, 3, 2}, true,
			"group", int64(2), "strides", []int64{2, 1}, "pads", []int64{1, 0, 2, 1}, "dilations", []int64{2, 1})},
		{name: "Conv/depthwise-stride2", opset: 13, build: conv([]int{2, 4, 6, 6}, []int{4, 1, 3, 3}, true, "group", int64(4), "strides", []int64{2, 2}, "pads", []int64{1, 1, 1, 1})},
		{name: "Conv/depthwise-multiplier", opset: 13, build: conv([]int{1, 3, 5, 5}, []int{6, 1, 3, 3}, false, "group", int64(3))},
		{name: "Conv/stride1-groups-dilation-asymmetric-pads", opset: 13, build: conv([]int{2, 4, 8, 7}, []int{6, 2, 3, 2}, true,
			"group", int64(2), "pads", []int64{2, 0, 1, 1}, "dilations", []int64{2, 1})},
		{name: "Conv/stride1-pads-beyond-reach", opset: 13, build: conv([]int{1, 2, 4, 4}, []int{3, 2, 2, 2}, false, "pads", []int64{2, 0, 1, 2})},
		{name: "Conv/3d", opset: 13, build: conv([]int{1, 2, 4, 3, 4}, []int{3, 2, 2, 2, 3}, true, "pads", []int64{1, 0, 1, 0, 1, 1})},
		{name: "Conv/1x1", opset: 13, build: conv([]int{2, 5, 4, 3}, []int{3, 5, 1, 1}, true)},
		{name: "Conv/1d-stride2", opset: 13, build: conv([]int{2, 3, 10}, []int{2, 3, 3}, true, "strides", []int64{2})},
		{name: "Conv/same-upper", opset: 13, build: conv([]int{1, 2, 7, 5}, []int{3, 2, 3, 3}, true, "auto_pad", "SAME_UPPER", "strides", []int64{2, 2})},
		{name: "Gemm/transB-bias-vector", opset: 13, build: func(b *testModel) {
			b.param("a", []int{4, 5}, nil).param("b", []int{3, 5}, nil).param("c", []int{3}, nil)
			b.node("Gemm", []string{"a", "b", "c"}, []string{"y"}, attrsOf([]any{"transB", int64(1), "alpha", float32(0.5), "beta", float32(2)})...).output("y")
		}},
		{name: "Gemm/transA-full-C", opset: 13, build: func(b *testModel) {
			b.param("a", []int{5, 4}, nil).param("b", []int{5, 3}, nil).param("c", []int{4, 3}, nil)
			b.node("Gemm", []string{"a", "b", "c"}, []string{"y"}, aInt("transA", 1)).output("y")
		}},
		{name: "Gemm/both-transposed", opset: 13, build: func(b *testModel) {
			b.param("a", []int{5, 4}, nil).param("b", []int{3, 5}, nil)
			b.node("Gemm", []string{"a", "b"}, []string{"y"}, aInt("transA", 1), aInt("transB", 1)).output("y")
		}},
		{name: "MatMul/2d", opset: 13, build: func(b *testModel) {
			b.param("a", []int{3, 4}, nil).param("b", []int{4, 5}, nil)
			b.node("MatMul", []string{"a", "b"}, []string{"y"}).output("y")
		}},
		{name: "MatMul/3d-by-2d", opset: 13, build: func(b *testModel) {
			b.param("a", []int{2, 3, 4}, nil).param("b", []int{4, 5}, nil)
			b.node("MatMul", []string{"a", "b"}, []string{"y"}).output("y")
		}},
		{name: "MatMul/batch-broadcast", opset: 13, build: func(b *testModel) {
			b.param("a", []int{2, 1, 3, 4}, nil).param("b", []int{3, 4, 2}, nil)
			b.node("MatMul", []string{"a", "b"}, []string{"y"}).output("y")
		}},
		{name: "BatchNormalization/training", opset: 15, mode: ModeTrain, build: func(b *testModel) {
			b.param("x", []int{4, 3, 5, 5}, nil).param("s", []int{3}, nil).param("bias", []int{3}, nil)
			b.param("mean", []int{3}, nil).param("var", []int{3}, func(r *rng) float32 { return 0.5 + float32(r.float64()) })
			b.node("BatchNormalization", []string{"x", "s", "bias", "mean", "var"}, []string{"y"}).output("y")
		}},
		{name: "BatchNormalization/training-2d", opset: 9, mode: ModeTrain, build: func(b *testModel) {
			b.param("x", []int{6, 4}, nil).param("s", []int{4}, nil).param("bias", []int{4}, nil)
			b.param("mean", []int{4}, nil).param("var", []int{4}, func(r *rng) float32 { return 0.5 + float32(r.float64()) })
			b.node("BatchNormalization", []string{"x", "s", "bias", "mean", "var"}, []string{"y"}, aFloat("epsilon", 1e-3)).output("y")
		}},
		{name: "BatchNormalization/frozen", opset: 15, mode: ModeTrain, opt: NetOptions{FreezeBatchNorm: true}, build: func(b *testModel) {
			b.param("x", []int{2, 3, 4, 4}, nil).param("s", []int{3}, nil).param("bias", []int{3}, nil)
			b.param("mean", []int{3}, nil).param("var", []int{3}, func(r *rng) float32 { return 0.5 + float32(r.float64()) })
			b.node("BatchNormalization", []string{"x", "s", "bias", "mean", "var"}, []string{"y"}).output("y")
		}},
		{name: "BatchNormalization/eval", opset: 15, mode: ModeEval, build: func(b *testModel) {
			b.param("x", []int{2, 3, 4, 4}, nil).param("s", []int{3}, nil).param("bias", []int{3}, nil)
			b.param("mean", []int{3}, nil).param("var", []int{3}, func(r *rng) float32 { return 0.5 + float32(r.float64()) })
			b.node("BatchNormalization", []string{"x", "s", "bias", "mean", "var"}, []string{"y"}).output("y")
		}},
		{name: "Relu", opset: 13, build: unary("Relu", nil)},
		{name: "LeakyRelu", opset: 13, build: unary("LeakyRelu", nil, "alpha", float32(0.1))},
		{name: "Sigmoid", opset: 13, build: unary("Sigmoid", avoiding(4))},
		{name: "Tanh", opset: 13, build: unary("Tanh", avoiding(2))},
		{name: "HardSigmoid", opset: 13, build: unary("HardSigmoid", avoiding(1.5, -5.0/6, 5.0/6), "alpha", float32(0.6))},
		{name: "HardSwish", opset: 14, build: unary("HardSwish", avoiding(4, -3, 3))},
		{name: "Clip/inputs", opset: 13, build: func(b *testModel) {
			b.param("x", []int{3, 7}, nil).scalar("lo", -0.5).scalar("hi", 0.5)
			b.node("Clip", []string{"x", "lo", "hi"}, []string{"y"}).output("y")
		}},
		{name: "Clip/attrs", opset: 6, build: unary("Clip", nil, "min", float32(-0.5), "max", float32(0.5))},
		{name: "PRelu/per-channel", opset: 13, build: func(b *testModel) {
			b.param("x", []int{2, 3, 4, 4}, nil).param("slope", []int{3, 1, 1}, nil)
			b.node("PRelu", []string{"x", "slope"}, []string{"y"}).output("y")
		}},
		{name: "MaxPool/pads-strides", opset: 13, build: func(b *testModel) {
			b.paramDistinct("x", []int{2, 3, 7, 7})
			b.node("MaxPool", []string{"x"}, []string{"y"}, aInts("kernel_shape", 3, 3), aInts("strides", 2, 2), aInts("pads", 1, 1, 1, 1)).output("y")
		}},
		{name: "MaxPool/ceil-dilations", opset: 13, build: func(b *testModel) {
			b.paramDistinct("x", []int{1, 2, 8, 9})
			b.node("MaxPool", []string{"x"}, []string{"y"}, aInts("kernel_shape", 2, 3), aInts("strides", 3, 2), aInts("dilations", 2, 1), aInt("ceil_mode", 1)).output("y")
		}},
		{name: "AveragePool/exclude-pad", opset: 13, build: func(b *testModel) {
			b.param("x", []int{2, 3, 6, 5}, nil)
			b.node("AveragePool", []string{"x"}, []string{"y"}, aInts("kernel_shape", 3, 3), aInts("strides", 2, 2), aInts("pads", 1, 1, 1, 1)).output("y")
		}},
		{name: "AveragePool/include-pad-ceil", opset: 13, build: func(b *testModel) {
			b.param("x", []int{1, 2, 7, 6}, nil)
			b.node("AveragePool", []string{"x"}, []string{"y"}, aInts("kernel_shape", 3, 2), aInts("strides", 2, 2), aInts("pads", 1, 0, 0, 1), aInt("count_include_pad", 1), aInt("ceil_mode", 1)).output("y")
		}},
		{name: "GlobalAveragePool", opset: 13, build: unary("GlobalAveragePool", nil)},
		{name: "GlobalMaxPool", opset: 13, build: func(b *testModel) {
			b.paramDistinct("x", []int{2, 3, 4, 5})
			b.node("GlobalMaxPool", []string{"x"}, []string{"y"}).output("y")
		}},
		{name: "Add/broadcast", opset: 13, build: binary("Add", []int{2, 3, 4, 5}, []int{3, 1, 5})},
		{name: "Sub/broadcast-both", opset: 13, build: binary("Sub", []int{2, 1, 5}, []int{3, 1})},
		{name: "Mul/scalar", opset: 13, build: binary("Mul", []int{2, 3, 4}, []int{1})},
		{name: "Mul/broadcast", opset: 13, build: binary("Mul", []int{4, 1, 3}, []int{2, 1})},
		{name: "Div/broadcast", opset: 13, build: binary("Div", []int{2, 3, 4}, []int{3, 1})},
		{name: "Add/legacy-broadcast", opset: 6, build: func(b *testModel) {
			b.param("a", []int{2, 3, 4, 4}, nil).param("b", []int{3}, nil)
			b.node("Add", []string{"a", "b"}, []string{"y"}, aInt("broadcast", 1), aInt("axis", 1)).output("y")
		}},
		{name: "Concat", opset: 13, build: func(b *testModel) {
			b.param("a", []int{2, 1, 3}, nil).param("b", []int{2, 4, 3}, nil).param("c", []int{2, 2, 3}, nil)
			b.node("Concat", []string{"a", "b", "c"}, []string{"y"}, aInt("axis", 1)).output("y")
		}},
		{name: "Split", opset: 13, build: func(b *testModel) {
			b.param("x", []int{2, 6, 3}, nil).ints("parts", 2, 4)
			b.node("Split", []string{"x", "parts"}, []string{"s0", "s1"}, aInt("axis", 1))
			b.node("Slice", []string{"s1", "st", "en", "ax"}, []string{"s1a"})
			b.ints("st", 1).ints("en", 3).ints("ax", 1)
			b.node("Mul", []string{"s0", "s1a"}, []string{"y"}).output("y")
		}},
		{name: "Slice/negative-step", opset: 13, build: func(b *testModel) {
			b.param("x", []int{3, 8, 5}, nil).ints("starts", -1, 1).ints("ends", 0, 5).ints("axes", 1, 2).ints("steps", -2, 2)
			b.node("Slice", []string{"x", "starts", "ends", "axes", "steps"}, []string{"y"}).output("y")
		}},
		{name: "Flatten", opset: 13, build: unary("Flatten", nil, "axis", int64(2))},
		{name: "Reshape", opset: 13, build: func(b *testModel) {
			b.param("x", []int{2, 3, 4}, nil).ints("shape", 4, -1)
			b.node("Reshape", []string{"x", "shape"}, []string{"r"})
			b.param("w", []int{6, 2}, nil).node("MatMul", []string{"r", "w"}, []string{"y"}).output("y")
		}},
		{name: "Transpose", opset: 13, build: unary("Transpose", nil, "perm", []int64{2, 0, 3, 1})},
		{name: "Squeeze-Unsqueeze", opset: 13, build: func(b *testModel) {
			b.param("x", []int{2, 1, 3}, nil).ints("ax", 1).ints("ax2", 0, 3)
			b.node("Squeeze", []string{"x", "ax"}, []string{"s"})
			b.node("Unsqueeze", []string{"s", "ax2"}, []string{"u"})
			b.param("k", []int{1, 2, 3, 1}, nil).node("Mul", []string{"u", "k"}, []string{"y"}).output("y")
		}},
		{name: "Pad/constant", opset: 13, build: func(b *testModel) {
			b.param("x", []int{2, 3, 4}, nil).ints("pads", 0, 1, 2, 0, 2, 1).scalar("cv", 0.25)
			b.node("Pad", []string{"x", "pads", "cv"}, []string{"y"}).output("y")
		}},
		{name: "Pad/reflect", opset: 13, build: func(b *testModel) {
			b.param("x", []int{1, 2, 4, 5}, nil).ints("pads", 0, 0, 2, 1, 0, 0, 1, 3)
			b.node("Pad", []string{"x", "pads"}, []string{"y"}, aString("mode", "reflect")).output("y")
		}},
		{name: "Pad/edge-legacy", opset: 2, build: unary("Pad", nil, "pads", []int64{0, 0, 1, 2, 0, 0, 2, 1}, "mode", "edge")},
		{name: "Dropout/training", opset: 13, mode: ModeTrain, opt: NetOptions{Seed: 5}, build: func(b *testModel) {
			b.param("x", []int{4, 10}, nil).scalar("ratio", 0.3)
			b.node("Dropout", []string{"x", "ratio"}, []string{"y"}).output("y")
		}},
		{name: "Dropout/eval", opset: 13, mode: ModeEval, build: unary("Dropout", nil)},
		{name: "Identity", opset: 13, build: unary("Identity", nil)},
		{name: "Softmax/axis1", opset: 13, opt: NetOptions{Logits: "y"}, build: unary("Softmax", avoiding(2), "axis", int64(1))},
		{name: "Softmax/legacy-coerced", opset: 11, opt: NetOptions{Logits: "y"}, build: unary("Softmax", avoiding(2), "axis", int64(2))},
		{name: "LogSoftmax/last", opset: 13, opt: NetOptions{Logits: "y"}, build: unary("LogSoftmax", avoiding(2))},
	}
	return cases
}

func TestGradients(t *testing.T) {
	for i, c := range gradCases() {
		t.Run(c.name, func(t *testing.T) {
			b := newTestModel(c.opset, int64(100+i))
			c.build(b)
			gradCheck(t, b, c.mode, c.opt)
		})
	}
}

// attrsOf turns name, value pairs into attributes.
func attrsOf(kv []any) []*onnx.Attribute {
	var out []*onnx.Attribute
	for i := 0; i+1 < len(kv); i += 2 {
		name := kv[i].(string)
		switch v := kv[i+1].(type) {
		case int64:
			out = append(out, aInt(name, v))
		case float32:
			out = append(out, aFloat(name, v))
		case []int64:
			out = append(out, aInts(name, v...))
		case string:
			out = append(out, aString(name, v))
		default:
			panic(fmt.Sprintf("attribute %s: unsupported %T", name, v))
		}
	}
	return out
}

func positive(v []float32) []float32 {
	for i := range v {
		if v[i] < 0 {
			v[i] = -v[i]
		}
		v[i] += 0.5
	}
	return v
}
