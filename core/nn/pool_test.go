package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/tensor"
)

func TestPoolsMatchDefinition(t *testing.T) {
	cases := []struct {
		x []int
		p PoolParams
	}{
		{[]int{1, 2, 6, 6}, PoolParams{Kernel: []int{2, 2}, Strides: []int{2, 2}}},
		{[]int{2, 3, 7, 5}, PoolParams{Kernel: []int{3, 3}, Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}},
		{[]int{1, 2, 7, 7}, PoolParams{Kernel: []int{3, 2}, Strides: []int{2, 2}, CeilMode: true, Pads: []int{0, 1, 1, 0}}},
		{[]int{1, 1, 8, 9}, PoolParams{Kernel: []int{2, 3}, Dilations: []int{2, 2}, CeilMode: true}},
		{[]int{1, 2, 5, 6}, PoolParams{Kernel: []int{3, 3}, AutoPad: AutoPadSameUpper, Strides: []int{2, 2}}},
		{[]int{1, 2, 5, 6}, PoolParams{Kernel: []int{2, 3}, AutoPad: AutoPadSameLower}},
		{[]int{2, 2, 11}, PoolParams{Kernel: []int{3}, Strides: []int{3}, Pads: []int{1, 2}, CeilMode: true}},
		{[]int{1, 2, 5, 4, 6}, PoolParams{Kernel: []int{2, 2, 3}, Strides: []int{2, 1, 2}, Pads: []int{1, 0, 1, 1, 1, 0}, Dilations: []int{1, 2, 1}}},
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for i, tc := range cases {
		x := randTensor(rng, tc.x...)
		y, idx, err := MaxPool(x, tc.p, true)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		g, _ := ResolvePool("MaxPool", x.Shape, tc.p)
		assertClose(t, fmt.Sprintf("maxpool case %d", i), y.F32, naivePool(x, g, true, false))
		for j, at := range idx.I64 {
			if x.F32[at] != y.F32[j] {
				t.Fatalf("maxpool case %d: index %d points at %v, max is %v", i, at, x.F32[at], y.F32[j])
			}
		}
		for _, include := range []bool{false, true} {
			tc.p.CountIncludePad = include
			y, err := AveragePool(x, tc.p)
			if err != nil {
				t.Fatalf("case %d: %v", i, err)
			}
			assertClose(t, fmt.Sprintf("avgpool case %d include_pad=%v", i, include), y.F32, naivePool(x, g, false, include))
		}
	}
}

func TestMaxPoolColumnMajorIndices(t *testing.T) {
	// 1 x 1 x 2 x 3 input whose maximum sits at (h=1, w=2).
	x := tensor.FromF32([]int{1, 1, 2, 3}, []float32{0, 1, 2, 3, 4, 5})
	_, idx, err := MaxPool(x, PoolParams{Kernel: []int{2, 3}, ColumnMajorIndices: true}, true)
	if err != nil {
		t.Fatal(err)
	}
	if idx.I64[0] != 2*2+1 { // w*H + h
		t.Fatalf("index %d, want 5", idx.I64[0])
	}
}

func TestMaxPoolUint8(t *testing.T) {
	x := &tensor.Tensor{DType: tensor.Uint8, Shape: []int{1, 1, 2, 2}, U8: []uint8{3, 250, 7, 1}}
	y, _, err := MaxPool(x, PoolParams{Kernel: []int{2, 2}}, false)
	if err != nil || y.U8[0] != 250 {
		t.Fatalf("got %v, %v; want 250", y, err)
	}
}

func TestGlobalPools(t *testing.T) {
	x := tensor.FromF32([]int{1, 2, 2, 2}, []float32{1, 2, 3, 6, -1, -5, -3, -2})
	shape, _ := GlobalPoolShape("GlobalAveragePool", x.Shape)
	avg, mx := tensor.New(tensor.Float32, shape), tensor.New(tensor.Float32, shape)
	if err := GlobalAveragePoolInto(avg, x); err != nil {
		t.Fatal(err)
	}
	if err := GlobalMaxPoolInto(mx, x); err != nil {
		t.Fatal(err)
	}
	assertClose(t, "global average", avg.F32, []float32{3, -2.75})
	assertClose(t, "global max", mx.F32, []float32{6, -1})
	if _, err := GlobalPoolShape("GlobalMaxPool", []int{2, 3}); err == nil {
		t.Fatal("rank-2 input accepted")
	}
}

func TestBatchNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	x := randTensor(rng, 2, 3, 4, 5)
	scale, bias, mean := randTensor(rng, 3), randTensor(rng, 3), randTensor(rng, 3)
	variance := tensor.FromF32([]int{3}, []float32{0.5, 1, 2})
	y, err := BatchNorm(x, scale, bias, mean, variance, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, len(x.F32))
	forEachIndex(x.Shape, func(i []int) {
		c, o := i[1], flat(x.Shape, i)
		want[o] = scale.F32[c]*(x.F32[o]-mean.F32[c])/float32(sqrt64(float64(variance.F32[c])+1e-5)) + bias.F32[c]
	})
	assertClose(t, "batchnorm", y.F32, want)

	// spatial=0 (opset <= 7): parameters per channel and position.
	ps := []int{3, 4, 5}
	s2, b2, m2 := randTensor(rng, ps...), randTensor(rng, ps...), randTensor(rng, ps...)
	v2 := tensor.New(tensor.Float32, ps)
	for i := range v2.F32 {
		v2.F32[i] = 1 + float32(i%3)
	}
	y, err = BatchNorm(x, s2, b2, m2, v2, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	forEachIndex(x.Shape, func(i []int) {
		p, o := flat(ps, i[1:]), flat(x.Shape, i)
		want[o] = s2.F32[p]*(x.F32[o]-m2.F32[p])/float32(sqrt64(float64(v2.F32[p])+1e-3)) + b2.F32[p]
	})
	assertClose(t, "batchnorm spatial=0", y.F32, want)
	if _, err := BatchNorm(x, randTensor(rng, 4), bias, mean, variance, 1e-5); err == nil {
		t.Fatal("mismatched scale accepted")
	}
}

// TestMaxPoolInsideMatchesGeneral: pools whose windows all lie inside the
// image take maxPoolInside when no indices are asked for; its output must
// be the general loop's bit for bit, NaNs included, for float32 and uint8.
func TestMaxPoolInsideMatchesGeneral(t *testing.T) {
	cases := []struct {
		x []int
		p PoolParams
	}{
		{[]int{1, 8, 28, 28}, PoolParams{Kernel: []int{2, 2}, Strides: []int{2, 2}}}, // mnist-8
		{[]int{1, 16, 14, 14}, PoolParams{Kernel: []int{3, 3}, Strides: []int{3, 3}}},
		{[]int{2, 3, 7, 9}, PoolParams{Kernel: []int{2, 2}, Strides: []int{2, 2}}}, // leftover row and column
		{[]int{1, 2, 9, 9}, PoolParams{Kernel: []int{3, 3}, Strides: []int{2, 2}}},
		{[]int{1, 2, 6, 7}, PoolParams{Kernel: []int{2, 3}}},
		{[]int{2, 2, 11}, PoolParams{Kernel: []int{3}, Strides: []int{2}}},
		// Rows long enough for the wasm kernel's vector steps at strides 1
		// and 2, with kernels of even and odd widths past 2 (a last tap
		// pair of one) and rows ending on a vector step or a leftover.
		{[]int{1, 3, 10, 13}, PoolParams{Kernel: []int{3, 3}}},
		{[]int{1, 2, 8, 40}, PoolParams{Kernel: []int{2, 2}, Strides: []int{2, 2}}},
		{[]int{2, 2, 19, 33}, PoolParams{Kernel: []int{3, 3}, Strides: []int{2, 2}}},
		{[]int{1, 2, 12, 30}, PoolParams{Kernel: []int{4, 4}, Strides: []int{2, 2}}},
		{[]int{1, 2, 9, 27}, PoolParams{Kernel: []int{2, 5}, Strides: []int{1, 2}}},
		{[]int{1, 1, 5, 9}, PoolParams{Kernel: []int{1, 2}, Strides: []int{3, 1}}},
	}
	rng := rand.New(rand.NewPCG(13, 14))
	for i, tc := range cases {
		g, err := ResolvePool("MaxPool", tc.x, tc.p)
		if err != nil {
			t.Fatal(err)
		}
		p := g.promote3()
		if !windowsInside2D(&p) {
			t.Fatalf("case %d: windows not inside", i)
		}
		x := randTensor(rng, tc.x...)
		for j := 0; j < len(x.F32); j += 17 {
			x.F32[j] = float32(math.NaN())
		}
		fast, _, err := MaxPool(x, tc.p, false)
		if err != nil {
			t.Fatal(err)
		}
		general, _, _ := MaxPool(x, tc.p, true)
		for j := range fast.F32 {
			if math.Float32bits(fast.F32[j]) != math.Float32bits(general.F32[j]) {
				t.Fatalf("case %d: y[%d] = %v, general loop %v", i, j, fast.F32[j], general.F32[j])
			}
		}
		u := tensor.New(tensor.Uint8, tc.x)
		for j := range u.U8 {
			u.U8[j] = uint8(rng.IntN(256))
		}
		fastU, _, _ := MaxPool(u, tc.p, false)
		generalU, _, _ := MaxPool(u, tc.p, true)
		for j := range fastU.U8 {
			if fastU.U8[j] != generalU.U8[j] {
				t.Fatalf("case %d: uint8 y[%d] = %d, general loop %d", i, j, fastU.U8[j], generalU.U8[j])
			}
		}
	}
}
