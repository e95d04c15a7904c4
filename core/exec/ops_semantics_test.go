package exec

import (
	"math"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/tensor"
)

// Edge cases of the ONNX specification found in review: each test fails on
// the behaviour it replaced. Where the specification leaves a result open,
// onnxruntime 1.x (the usual reference) decided.

func sliceNode() []string { return []string{"x", "s", "e", "a", "st"} }

// With a negative step, a start before the axis is clamped to 0 (spec:
// [0, dim-1]), so element 0 is taken; it used to clamp to -1 and take
// nothing.
func TestSliceNegativeStepStartBeforeAxis(t *testing.T) {
	x := f32([]int{5}, 0, 1, 2, 3, 4)
	y := eval(t, mkNode("Slice", "", sliceNode(), []string{"y"}), 13, x,
		i64([]int{1}, -10), i64([]int{1}, -100), i64([]int{1}, 0), i64([]int{1}, -1))[0]
	wantShape(t, y, 1)
	wantValues(t, y, 0)
}

// Steps near the int64 limits take one element without overflowing the
// element count or the stride.
func TestSliceExtremeSteps(t *testing.T) {
	x := f32([]int{2, 4}, 0, 1, 2, 3, 4, 5, 6, 7)
	y := eval(t, mkNode("Slice", "", sliceNode(), []string{"y"}), 13, x,
		i64([]int{1}, 1), i64([]int{1}, math.MaxInt64), i64([]int{1}, 1), i64([]int{1}, math.MaxInt64))[0]
	wantShape(t, y, 2, 1)
	wantValues(t, y, 1, 5)
	y = eval(t, mkNode("Slice", "", sliceNode(), []string{"y"}), 13, x,
		i64([]int{1}, -1), i64([]int{1}, math.MinInt64), i64([]int{1}, 1), i64([]int{1}, math.MinInt64))[0]
	wantShape(t, y, 2, 1)
	wantValues(t, y, 3, 7)
}

// Slicing an empty axis, or to an empty result, gives a zero-size tensor.
func TestSliceEmpty(t *testing.T) {
	x := f32([]int{0, 3})
	y := eval(t, mkNode("Slice", "", sliceNode(), []string{"y"}), 13, x,
		i64([]int{1}, -1), i64([]int{1}, math.MinInt64), i64([]int{1}, 0), i64([]int{1}, -1))[0]
	wantShape(t, y, 0, 3)
}

var nan = math.NaN()

// Relu is max(x, 0): NaN propagates on the float32 fast path as on the
// float64 one (onnxruntime gives NaN); it used to become 0.
func TestReluPropagatesNaN(t *testing.T) {
	x := f32([]int{4}, float32(nan), -1, 2, float32(math.Inf(-1)))
	y := eval(t, mkNode("Relu", "", []string{"x"}, []string{"y"}), 14, x)[0]
	wantValues(t, y, nan, 0, 2, 0)
}

// Max and Min propagate NaN from either operand, as onnxruntime does.
func TestMaxMinPropagateNaN(t *testing.T) {
	a := f32([]int{3}, float32(nan), 1, 2)
	b := f32([]int{3}, 0, float32(nan), 1)
	wantValues(t, eval(t, mkNode("Max", "", []string{"a", "b"}, []string{"y"}), 13, a, b)[0], nan, nan, 2)
	wantValues(t, eval(t, mkNode("Min", "", []string{"a", "b"}, []string{"y"}), 13, a, b)[0], nan, nan, 1)
}

// A row of Softmax that is -inf except somewhere gives 0 there; a row that
// is -inf throughout has no defined distribution and gives NaN, as the
// reference (exp(x - max) / sum) and onnxruntime do.
func TestSoftmaxMinusInfinityRows(t *testing.T) {
	inf := float32(math.Inf(-1))
	x := f32([]int{2, 3}, inf, inf, inf, inf, 0, 1)
	y := eval(t, mkNode("Softmax", "", []string{"x"}, []string{"y"}), 13, x)[0]
	wantValues(t, y, nan, nan, nan, 0, 0.2689414322376251, 0.7310585975646973)
	y = eval(t, mkNode("LogSoftmax", "", []string{"x"}, []string{"y"}), 13, x)[0]
	wantValues(t, y, nan, nan, nan, math.Inf(-1), -1.3132616875182228, -0.31326168751822286)
}

// DynamicQuantizeLinear leaves NaN out of the range (onnxruntime: scale
// 2/255, zero point 0, NaN quantized to 0); the range used to become NaN
// and every output undefined.
func TestDynamicQuantizeIgnoresNaN(t *testing.T) {
	x := f32([]int{3}, float32(nan), 1, 2)
	out := eval(t, mkNode("DynamicQuantizeLinear", "", []string{"x"}, []string{"y", "s", "z"}), 11, x)
	wantValues(t, out[0], 0, 127, 255)
	wantValues(t, out[1], float64(float32(2)/255))
	wantValues(t, out[2], 0)
}

// QuantizeLinear rounds half to even after dividing by the scale, then
// adds the zero point and saturates.
func TestQuantizeHalfEvenThenSaturate(t *testing.T) {
	x := f32([]int{8}, 0.5, 1.5, 2.5, -0.5, -1.5, 200, -200, 253)
	zp := &tensor.Tensor{DType: tensor.Int8, Shape: []int{}, I8: []int8{0}}
	y := eval(t, mkNode("QuantizeLinear", "", []string{"x", "s", "z"}, []string{"y"}), 13, x, f32(nil, 1), zp)[0]
	wantValues(t, y, 0, 2, 2, 0, -2, 127, -128, 127)
	zpU := &tensor.Tensor{DType: tensor.Uint8, Shape: []int{}, U8: []uint8{3}}
	y = eval(t, mkNode("QuantizeLinear", "", []string{"x", "s", "z"}, []string{"y"}), 13, x, f32(nil, 1), zpU)[0]
	wantValues(t, y, 3, 5, 5, 3, 1, 203, 0, 255)
}

// Resizing an axis of size 0 to a positive size has nothing to sample: a
// clear error, where the linear mode used to index out of range.
func TestResizeFromEmptyAxisIsAnError(t *testing.T) {
	x := f32([]int{1, 0})
	for _, mode := range []string{"linear", "nearest"} {
		n := mkNode("Resize", "", []string{"x", "", "", "sizes"}, []string{"y"}, attrString("mode", mode))
		_, err := EvalNode(n, 13, []*tensor.Tensor{x, nil, nil, i64([]int{2}, 1, 4)})
		if err == nil || !strings.Contains(err.Error(), "size 0") {
			t.Errorf("mode %s: error = %v; want one about the empty axis", mode, err)
		}
	}
	// Empty to empty is fine.
	n := mkNode("Resize", "", []string{"x", "", "", "sizes"}, []string{"y"}, attrString("mode", "linear"))
	wantShape(t, eval(t, n, 13, x, nil, nil, i64([]int{2}, 2, 0))[0], 2, 0)
}

// Zero-size tensors flow through the layout ops.
func TestEmptyTensors(t *testing.T) {
	a := f32([]int{2, 0})
	b := f32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	y := eval(t, mkNode("Concat", "", []string{"a", "b", "a"}, []string{"y"}, attrInt("axis", 1)), 13, a, b, a)[0]
	wantShape(t, y, 2, 3)
	wantValues(t, y, 1, 2, 3, 4, 5, 6)
	y = eval(t, mkNode("Concat", "", []string{"a", "a"}, []string{"y"}, attrInt("axis", 0)), 13, a, a)[0]
	wantShape(t, y, 4, 0)
	y = eval(t, mkNode("Add", "", []string{"a", "c"}, []string{"y"}), 14, a, f32([]int{1}, 1))[0]
	wantShape(t, y, 2, 0)
	y = eval(t, mkNode("Transpose", "", []string{"a"}, []string{"y"}), 13, a)[0]
	wantShape(t, y, 0, 2)
	y = eval(t, mkNode("ReduceSum", "", []string{"a", "ax"}, []string{"y"}), 13, a, i64([]int{1}, 1))[0]
	wantShape(t, y, 2, 1)
	wantValues(t, y, 0, 0)
	y = eval(t, mkNode("Pad", "", []string{"a", "p"}, []string{"y"}), 13, a, i64([]int{4}, 0, 1, 0, 1))[0]
	wantShape(t, y, 2, 2)
	wantValues(t, y, 0, 0, 0, 0)
	y = eval(t, mkNode("Reshape", "", []string{"a", "s"}, []string{"y"}, attrInt("allowzero", 1)), 14, a, i64([]int{2}, 5, 0))[0]
	wantShape(t, y, 5, 0)
}

// Integer reductions are exact: a float64 accumulator rounded 2^53+1.
func TestIntegerReductionsAreExact(t *testing.T) {
	big := int64(1) << 53
	x := i64([]int{3}, big, 1, 1)
	y := eval(t, mkNode("ReduceSum", "", []string{"x"}, []string{"y"}, attrInt("keepdims", 0)), 13, x)[0]
	if y.I64[0] != big+2 {
		t.Errorf("ReduceSum = %d, want %d", y.I64[0], big+2)
	}
	x = i64([]int{2}, math.MaxInt64, math.MaxInt64-1)
	y = eval(t, mkNode("ReduceMin", "", []string{"x"}, []string{"y"}, attrInt("keepdims", 0)), 18, x)[0]
	if y.I64[0] != math.MaxInt64-1 {
		t.Errorf("ReduceMin = %d, want %d", y.I64[0], int64(math.MaxInt64-1))
	}
	// An empty Max gives the type's minimum.
	e := &tensor.Tensor{DType: tensor.Int32, Shape: []int{0}, I32: []int32{}}
	y = eval(t, mkNode("ReduceMax", "", []string{"x"}, []string{"y"}, attrInt("keepdims", 0)), 18, e)[0]
	if y.I32[0] != math.MinInt32 {
		t.Errorf("ReduceMax of nothing = %d, want %d", y.I32[0], math.MinInt32)
	}
}
