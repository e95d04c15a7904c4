//go:build js && wasm && !purego

package nn

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/pare-ml/pare/core/tensor"
)

// TestSIMDKernelsBound checks that the kernels are used when the runner
// bound them (PARE_SIMD other than off, under tools/wasmexec).
func TestSIMDKernelsBound(t *testing.T) {
	if mode := os.Getenv("PARE_SIMD"); mode == "off" && simdKernels {
		t.Fatal("PARE_SIMD=off but the host reported a SIMD kernel")
	} else if (mode == "simd" || mode == "relaxed") && !simdKernels {
		t.Fatalf("PARE_SIMD=%s but the host reported no SIMD kernel", mode)
	}
}

// TestDepthwise3x3SIMDMatchesGo runs each conformance geometry through the
// SIMD kernel and through the Go path in the same process and compares
// them (the conformance test compares both with the definition).
func TestDepthwise3x3SIMDMatchesGo(t *testing.T) {
	if !simdKernels {
		t.Skip("host bound no SIMD kernel (PARE_SIMD=off, or kernel .wasm missing): run under tools/wasmexec/go_js_wasm_exec")
	}
	rng := rand.New(rand.NewPCG(17, 18))
	for _, tc := range depthwise3x3Table {
		name := fmt.Sprintf("c%d_%dx%d_s%d,%d_p%d,%d,%d,%d", tc.c, tc.h, tc.w, tc.sH, tc.sW, tc.t, tc.l, tc.b, tc.r)
		x, w, b := randTensor(rng, 1, tc.c, tc.h, tc.w), randTensor(rng, tc.c, 1, 3, 3), randTensor(rng, tc.c)
		g, err := ResolveConv(x.Shape, w.Shape, ConvParams{Group: tc.c, Strides: []int{tc.sH, tc.sW}, Pads: []int{tc.t, tc.l, tc.b, tc.r}})
		if err != nil {
			t.Fatal(err)
		}
		e := Epilogue{Clamp: true, Min: -0.25, Max: 1.5}
		simd := tensor.New(tensor.Float32, g.OutShape())
		if err := ConvFusedInto(simd, x, w, b, g, e); err != nil {
			t.Fatal(err)
		}
		simdKernels = false
		pure := tensor.New(tensor.Float32, g.OutShape())
		err = ConvFusedInto(pure, x, w, b, g, e)
		simdKernels = true
		if err != nil {
			t.Fatal(err)
		}
		assertClose(t, name, simd.F32, pure.F32)
	}
}

// TestSIMDDepthwiseRejectsBadExtents checks that the checked caller panics
// with a message before the kernel could read or write out of bounds.
func TestSIMDDepthwiseRejectsBadExtents(t *testing.T) {
	if !simdKernels {
		t.Skip("host bound no SIMD kernel")
	}
	ok := depthwise3x3Args{
		y: make([]float32, 2*4*4), x: make([]float32, 2*4*4), w: make([]float32, 18),
		channels: 2, inH: 4, inW: 4, outH: 4, outW: 4, strideH: 1, strideW: 1, padT: 1, padL: 1, colLo: 1, colHi: 3, hi: 1,
	}
	for name, bad := range map[string]func(a *depthwise3x3Args){
		"short x":           func(a *depthwise3x3Args) { a.x = a.x[:31] },
		"short y":           func(a *depthwise3x3Args) { a.y = a.y[:31] },
		"short w":           func(a *depthwise3x3Args) { a.w = a.w[:17] },
		"interior too wide": func(a *depthwise3x3Args) { a.colHi = 4 },
		"interior at pad":   func(a *depthwise3x3Args) { a.colLo = 0 },
		"interior reversed": func(a *depthwise3x3Args) { a.colLo, a.colHi = 3, 1 },
	} {
		a := ok
		bad(&a)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			simdDepthwise3x3(&a)
		}()
	}
	a := ok
	if !simdDepthwise3x3(&a) {
		t.Fatal("a valid call was declined")
	}
	a.strideW = 3
	if simdDepthwise3x3(&a) {
		t.Fatal("stride 3 was taken")
	}
}

// TestIm2ColSIMDMatchesGo compares the kernel's im2col with im2col2D bit
// for bit (both only copy) on windows with every stride, padding and
// dilation mix, images narrower than the kernel, and 1-D windows; the
// guard words after col must survive and stale contents must be replaced.
func TestIm2ColSIMDMatchesGo(t *testing.T) {
	if !simdKernels {
		t.Skip("host bound no SIMD kernel (PARE_SIMD=off, or kernel .wasm missing): run under tools/wasmexec/go_js_wasm_exec")
	}
	rng := rand.New(rand.NewPCG(19, 20))
	cases := []struct {
		x, k []int
		p    ConvParams
	}{
		{[]int{3, 32, 32}, []int{3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}}},
		{[]int{2, 32, 32}, []int{3, 3}, ConvParams{Strides: []int{2, 2}, Pads: []int{0, 0, 1, 1}}},
		{[]int{2, 16, 16}, []int{1, 1}, ConvParams{Strides: []int{2, 2}}},
		{[]int{2, 17, 19}, []int{3, 3}, ConvParams{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}},
		{[]int{2, 9, 23}, []int{3, 5}, ConvParams{Strides: []int{1, 2}, Pads: []int{2, 3, 0, 1}}},
		{[]int{1, 8, 8}, []int{7, 7}, ConvParams{Strides: []int{2, 2}, Pads: []int{3, 3, 3, 3}}},
		{[]int{2, 10, 12}, []int{3, 3}, ConvParams{Strides: []int{3, 3}, Dilations: []int{2, 2}, Pads: []int{2, 2, 2, 2}}},
		{[]int{1, 3, 2}, []int{5, 5}, ConvParams{Pads: []int{4, 4, 4, 4}}},
		{[]int{2, 6, 9}, []int{2, 4}, ConvParams{Strides: []int{2, 2}, Pads: []int{0, 6, 1, 6}}},
		{[]int{3, 15}, []int{3}, ConvParams{Strides: []int{2}, Pads: []int{1, 1}}},
		{[]int{2, 40}, []int{5}, ConvParams{Dilations: []int{3}, Pads: []int{2, 5}}},
		{[]int{2, 20, 30}, []int{3, 3}, ConvParams{Strides: []int{2, 2}}},
	}
	for i, tc := range cases {
		c := tc.x[0]
		x := randTensor(rng, append([]int{1}, tc.x...)...)
		w := randTensor(rng, append([]int{1, c}, tc.k...)...)
		g, err := ResolveConv(x.Shape, w.Shape, tc.p)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		n := c * g.KernelSize() * g.OutSize()
		want := make([]float32, n)
		p := g.promote3()
		im2col2D(want, x.F32, c, &p)
		buf := make([]float32, n+8)
		for j := range buf {
			buf[j] = -12345
		}
		Im2Col(buf[:n], x.F32, c, &g.Window)
		for j := range want {
			if buf[j] != want[j] {
				t.Fatalf("case %d %+v: col[%d] = %v, want %v", i, tc.p, j, buf[j], want[j])
			}
		}
		for j := n; j < len(buf); j++ {
			if buf[j] != -12345 {
				t.Fatalf("case %d: wrote past col (index %d)", i, j)
			}
		}
	}
}

// TestBiasInitSIMD checks the kernel's bias (and residual) fill against
// the definition on planes around the vector width, at batch 2, and that
// the guard words after y survive.
func TestBiasInitSIMD(t *testing.T) {
	if !simdKernels {
		t.Skip("host bound no SIMD kernel")
	}
	rng := rand.New(rand.NewPCG(23, 24))
	for _, plane := range []int{1, 3, 4, 5, 8, 49, 3136} {
		for _, withResidual := range []bool{false, true} {
			const batch, channels = 2, 3
			n := batch * channels * plane
			bias := randTensor(rng, channels).F32
			var res []float32
			if withResidual {
				res = randTensor(rng, n).F32
			}
			buf := randTensor(rng, n+5).F32 // stale contents, then guards
			guard := append([]float32(nil), buf[n:]...)
			if !simdBiasInit(buf[:n], bias, res, batch, channels, plane) {
				t.Fatal("declined")
			}
			for i := range n {
				want := bias[(i/plane)%channels]
				if res != nil {
					want += res[i]
				}
				if buf[i] != want {
					t.Fatalf("plane %d residual %v: y[%d] = %v, want %v", plane, withResidual, i, buf[i], want)
				}
			}
			for i, g := range guard {
				if buf[n+i] != g {
					t.Fatalf("plane %d: wrote past y", plane)
				}
			}
		}
	}
}
