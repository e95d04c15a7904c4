package train

import (
	"bytes"
	"math"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// TestClipGradIsDyTimesTheDerivative: Clip's rule gives dy where
// min <= x <= max (the bounds included) and dy * 0 elsewhere (a signed
// zero; NaN for an infinite dy; 0 where x is NaN), whether it writes into
// a pooled buffer (the logits' gradient belongs to the caller) or into
// the output gradient it owns (a Mul after the Clip), with the bounds as
// inputs (opset 13) or attributes (opset 6).
func TestClipGradIsDyTimesTheDerivative(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	x := []float32{-1, 0, 3, 6, 7, nan, -2, 8}
	dy := []float32{1, -2, inf, -inf, inf, 5, -3, -inf}
	want := make([]float32, len(x))
	for i, v := range x {
		if v >= 0 && v <= 6 {
			want[i] = dy[i]
		} else {
			want[i] = dy[i] * 0
		}
	}
	for _, c := range []struct {
		name     string
		opset    int64
		attrs    bool
		afterMul bool
	}{{"inputs", 13, false, false}, {"inputs, in place", 13, false, true}, {"attributes", 6, true, false}, {"attributes, in place", 6, true, true}} {
		b := newTestModel(c.opset, 1)
		b.m.Graph.Initializer = append(b.m.Graph.Initializer, &onnx.Tensor{Name: "w", DataType: onnx.Float, Dims: []int64{int64(len(x))}, FloatData: x})
		if c.attrs {
			b.node("Clip", []string{"w"}, []string{"y"}, aFloat("min", 0), aFloat("max", 6))
		} else {
			b.scalar("lo", 0).scalar("hi", 6)
			b.node("Clip", []string{"w", "lo", "hi"}, []string{"y"})
		}
		out := "y"
		if c.afterMul {
			var attrs []*onnx.Attribute
			if c.opset < 7 {
				attrs = append(attrs, aInt("broadcast", 1))
			}
			b.scalar("one", 1).node("Mul", []string{"y", "one"}, []string{"z"}, attrs...)
			out = "z"
		}
		b.output(out)
		net := mustNet(t, b, NetOptions{})
		net.ReuseBuffers(true)
		p, err := net.Forward(nil, ModeTrain)
		if err != nil {
			t.Fatal(err)
		}
		if err := net.Backward(p, tensor.FromF32([]int{len(dy)}, append([]float32(nil), dy...))); err != nil {
			t.Fatal(err)
		}
		got := net.Param("w").Grad.F32
		if !bytes.Equal(f32bytes(got), f32bytes(want)) {
			t.Fatalf("%s: dx = %v, want %v", c.name, got, want)
		}
	}
}

// TestClipNetRecyclesItsBuffers trains a mobile block (Conv, ReLU6 as
// Clip, depthwise Conv, Clip, pooling, Gemm) for three steps with buffer
// reuse and in-place rules, and without either: with reuse a Clip's
// output is a recycled buffer from the second step on, and the logits
// and gradients of every step are the same to the bit.
func TestClipNetRecyclesItsBuffers(t *testing.T) {
	build := func() *testModel {
		b := newTestModel(13, 41)
		b.input("x", -1, 2, 6, 6).param("w1", []int{4, 2, 3, 3}, nil).param("b1", []int{4}, nil)
		b.param("dw", []int{4, 1, 3, 3}, nil).scalar("lo", 0).scalar("hi", 0.6)
		b.node("Conv", []string{"x", "w1", "b1"}, []string{"c1"}, aInts("pads", 1, 1, 1, 1))
		b.node("Clip", []string{"c1", "lo", "hi"}, []string{"r1"})
		b.node("Conv", []string{"r1", "dw"}, []string{"c2"}, aInts("pads", 1, 1, 1, 1), aInt("group", 4))
		b.node("Clip", []string{"c2", "lo", "hi"}, []string{"r2"})
		b.node("GlobalAveragePool", []string{"r2"}, []string{"gap"})
		b.node("Flatten", []string{"gap"}, []string{"f"})
		b.param("fc", []int{3, 4}, nil).node("Gemm", []string{"f", "fc"}, []string{"logits"}, aInt("transB", 1))
		return b.output("logits")
	}
	run := func(fast bool) [][]float32 {
		net := mustNet(t, build(), NetOptions{})
		net.ReuseBuffers(fast)
		net.noInPlace = !fast
		x := tensor.New(tensor.Float32, []int{4, 2, 6, 6})
		r := newRNG(5)
		for i := range x.F32 {
			x.F32[i] = float32(r.normal())
		}
		var out [][]float32
		var clipped []*float32
		for range 3 {
			p, err := net.Forward(map[string]*tensor.Tensor{"x": x}, ModeTrain)
			if err != nil {
				t.Fatal(err)
			}
			clipped = append(clipped, &p.Value("r2").F32[0])
			_, d, _, err := SoftmaxCrossEntropy(p.Logits(), []int{0, 1, 2, 1})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, append([]float32(nil), p.Logits().F32...))
			if err := net.Backward(p, d); err != nil {
				t.Fatal(err)
			}
			for _, prm := range net.Params {
				out = append(out, append([]float32(nil), prm.Grad.F32...))
				for i, g := range prm.Grad.F32 {
					prm.Value.F32[i] -= 0.1 * g
				}
			}
		}
		if recycled := clipped[2] == clipped[0] || clipped[2] == clipped[1]; recycled != fast {
			t.Errorf("reuse %v: the last step's Clip output recycled an earlier buffer: %v", fast, recycled)
		}
		return out
	}
	a, b := run(true), run(false)
	for i := range a {
		if !bytes.Equal(f32bytes(a[i]), f32bytes(b[i])) {
			t.Fatalf("result %d differs with buffer reuse and in-place rules", i)
		}
	}
}
