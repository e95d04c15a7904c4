package exec

import (
	"math"
	"testing"
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
