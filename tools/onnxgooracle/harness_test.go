//go:build !js

package onnxgooracle_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	gt "gorgonia.org/tensor"

	"github.com/pare-ml/pare/core/tensor"
)

// These tests check the oracle's own plumbing, so that a pass of
// TestOnnxGoOracle means agreement and not a comparison that cannot fail.

func TestCompareOutputsTolerance(t *testing.T) {
	pare := tensor.FromF32([]int{4}, []float32{-10, 0, 5, 10}) // range 20
	within := tensor.FromF32([]int{4}, []float32{-10, 0.0019, 5, 10})
	beyond := tensor.FromF32([]int{4}, []float32{-10, 0.0021, 5, 10})
	if d := compareOutputs(pare, within); !d.agrees() {
		t.Errorf("diff 1.9e-3 on range 20 should agree: %v", d)
	}
	if d := compareOutputs(pare, beyond); d.agrees() {
		t.Errorf("diff 2.1e-3 on range 20 should disagree: %v", d)
	}
	small := tensor.FromF32([]int{2}, []float32{0, 1e-6})
	if d := compareOutputs(small, tensor.FromF32([]int{2}, []float32{0, 2e-4})); d.agrees() {
		t.Errorf("a tiny-range output is held to 1e-4 absolute: %v", d)
	}
	nan := tensor.FromF32([]int{2}, []float32{0, float32(math.NaN())})
	if d := compareOutputs(tensor.FromF32([]int{2}, []float32{0, 1}), nan); d.agrees() {
		t.Errorf("NaN against a number must disagree: %v", d)
	}
	if d := compareOutputs(nan, nan); !d.agrees() {
		t.Errorf("NaN against NaN at the same place agrees: %v", d)
	}
	if d := compareOutputs(pare, tensor.FromF32([]int{3}, []float32{1, 2, 3})); d.agrees() || !strings.Contains(d.problem, "values") {
		t.Errorf("different element counts must be reported: %v", d)
	}
	wide := &tensor.Tensor{DType: tensor.Float64, Shape: []int{4}, F64: []float64{-10, 0, 5, 10}}
	if d := compareOutputs(pare, wide); !d.agrees() {
		t.Errorf("float64 output with equal values should agree: %v", d)
	}
}

func TestMatchesReference(t *testing.T) {
	want := tensor.FromF32([]int{2}, []float32{1, 100})
	if !matchesReference(tensor.FromF32([]int{2}, []float32{1.0001, 100.09}), want) {
		t.Error("values within atol+rtol*|want| should match")
	}
	if matchesReference(tensor.FromF32([]int{2}, []float32{1, 100.2}), want) {
		t.Error("100.2 against 100 exceeds 1e-4+1e-3*100")
	}
}

func TestGorgoniaRoundTrip(t *testing.T) {
	cases := []*tensor.Tensor{
		tensor.FromF32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}),
		tensor.FromI64([]int{3}, []int64{-1, 0, 7}),
		{DType: tensor.Uint8, Shape: []int{2}, U8: []uint8{0, 255}},
		{DType: tensor.Float32, Shape: nil, F32: []float32{3.5}},
	}
	for _, in := range cases {
		g, err := toGorgonia(in)
		if err != nil {
			t.Fatalf("%v: %v", in.DType, err)
		}
		out, err := fromGorgonia(g)
		if err != nil {
			t.Fatalf("%v: %v", in.DType, err)
		}
		if !slices.Equal(out.Shape, in.Shape) || out.DType != in.DType || compareOutputs(in, out).maxAbs != 0 {
			t.Errorf("round trip of %v %v gave %v %v", in.DType, in.Shape, out.DType, out.Shape)
		}
	}
}

// A transposed gorgonia view must come back in logical order, not in the
// order of its backing array.
func TestFromGorgoniaView(t *testing.T) {
	d := gt.New(gt.WithShape(2, 3), gt.WithBacking([]float32{1, 2, 3, 4, 5, 6}))
	if err := d.T(); err != nil {
		t.Fatal(err)
	}
	out, err := fromGorgonia(d)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 4, 2, 5, 3, 6}
	if !slices.Equal(out.Shape, []int{3, 2}) {
		t.Fatalf("shape %v, want [3 2]", out.Shape)
	}
	for i := range want {
		if out.F32[i] != want[i] {
			t.Fatalf("got %v, want %v", out.F32, want)
		}
	}
}

func TestCrashReason(t *testing.T) {
	stderr := `panic: runtime error: index out of range [1] with length 1

goroutine 33 [running]:
github.com/owulveryck/onnx-go/backend/x/gorgonnx.(*gemm).do32(0x1a9781933f0, {0x1a97812e040?, 0x20?, 0x3?})
	/root/go/pkg/mod/github.com/owulveryck/onnx-go@v0.5.0/backend/x/gorgonnx/gemm.go:131 +0x8cf
`
	got := crashReason(stderr, nil)
	want := "panic: runtime error: index out of range [1] with length 1 (at gorgonnx.(*gemm).do32)"
	if got != want {
		t.Errorf("crashReason = %q, want %q", got, want)
	}
}
