package graph

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// sliceByWalking is the definition of Slice on one axis written as the
// loop the specification describes, to check SliceRange against.
func sliceByWalking(dim, start, end, step int64) []int64 {
	if start < 0 {
		start += dim
	}
	if end < 0 {
		end += dim
	}
	var got []int64
	if step > 0 {
		start, end = min(max(start, 0), dim), min(max(end, 0), dim)
		for i := start; i < end; i += step {
			got = append(got, i)
		}
		return got
	}
	start, end = min(max(start, 0), dim-1), min(max(end, -1), dim-1)
	for i := start; i > end; i += step {
		got = append(got, i)
	}
	return got
}

func TestSliceRangeMatchesTheSpecification(t *testing.T) {
	for dim := int64(0); dim <= 6; dim++ {
		for start := -9 - dim; start <= dim+9; start++ {
			for end := -9 - dim; end <= dim+9; end++ {
				for _, step := range []int64{-4, -3, -2, -1, 1, 2, 3, 7} {
					want := sliceByWalking(dim, start, end, step)
					first, n := SliceRange(dim, start, end, step)
					if n != int64(len(want)) || (n > 0 && first != want[0]) {
						t.Fatalf("SliceRange(%d, %d, %d, %d) = first %d, count %d; want %v", dim, start, end, step, first, n, want)
					}
				}
			}
		}
	}
}

// A start before the beginning with a negative step is clamped to 0, not
// -1, so the first element is taken (spec; onnxruntime agrees).
func TestSliceRangeNegativeStepFromBeforeTheStart(t *testing.T) {
	if first, n := SliceRange(5, -10, -100, -1); first != 0 || n != 1 {
		t.Fatalf("SliceRange(5, -10, -100, -1) = %d, %d; want first 0, count 1", first, n)
	}
}

func TestSliceRangeExtremeSteps(t *testing.T) {
	cases := []struct{ dim, start, end, step, first, n int64 }{
		{10, 0, math.MaxInt64, math.MaxInt64, 0, 1},
		{10, 2, 10, math.MaxInt64, 2, 1},
		{10, -1, math.MinInt64, math.MinInt64, 9, 1},
		{10, math.MaxInt64, math.MinInt64, -1, 9, 10},
		{10, math.MinInt64, math.MaxInt64, 1, 0, 10},
	}
	for _, c := range cases {
		first, n := SliceRange(c.dim, c.start, c.end, c.step)
		if first != c.first || n != c.n {
			t.Errorf("SliceRange(%d, %d, %d, %d) = %d, %d; want %d, %d", c.dim, c.start, c.end, c.step, first, n, c.first, c.n)
		}
	}
}

func TestBroadcastShape(t *testing.T) {
	cases := []struct {
		in   [][]int
		want []int
	}{
		{[][]int{{2, 3}, {3}}, []int{2, 3}},
		{[][]int{{2, 1, 4}, {3, 1}, {}}, []int{2, 3, 4}},
		{[][]int{{0, 3}, {1, 3}}, []int{0, 3}},
		{[][]int{{0}, {1}}, []int{0}},
		{nil, []int{}},
	}
	for _, c := range cases {
		got, err := BroadcastShape(c.in...)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("BroadcastShape(%v) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	_, err := BroadcastShape([]int{2, 3}, []int{4})
	if err == nil || !strings.Contains(err.Error(), "axis 1: 3 vs 4") {
		t.Errorf("BroadcastShape([2 3], [4]) error = %v; want it to name axis 1: 3 vs 4", err)
	}
	if _, err := BroadcastShape([]int{0}, []int{2}); err == nil {
		t.Error("BroadcastShape([0], [2]) succeeded; 0 and 2 do not broadcast")
	}
}

func TestSqueezeAndUnsqueezeShape(t *testing.T) {
	if got, err := SqueezeShape([]int{1, 3, 1, 0}, nil, false); err != nil || !slices.Equal(got, []int{3, 0}) {
		t.Errorf("SqueezeShape all = %v, %v", got, err)
	}
	if got, err := SqueezeShape([]int{1, 3, 1}, []int64{-1}, true); err != nil || !slices.Equal(got, []int{1, 3}) {
		t.Errorf("SqueezeShape axis -1 = %v, %v", got, err)
	}
	if _, err := SqueezeShape([]int{1, 3}, []int64{1}, true); err == nil {
		t.Error("squeezing an axis of size 3 succeeded")
	}
	if got, err := UnsqueezeShape([]int{3, 4}, []int64{0, -1}); err != nil || !slices.Equal(got, []int{1, 3, 4, 1}) {
		t.Errorf("UnsqueezeShape = %v, %v", got, err)
	}
	if _, err := UnsqueezeShape([]int{3}, []int64{0, -3}); err == nil {
		t.Error("UnsqueezeShape with a repeated axis succeeded")
	}
}

func TestNormAxisMessage(t *testing.T) {
	_, err := NormAxis(3, 3, "perm")
	if err == nil || err.Error() != "perm 3 is out of range for rank 3 (valid: -3..2)" {
		t.Errorf("NormAxis(3, 3) error = %v", err)
	}
}
