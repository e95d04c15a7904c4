package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/gemm"
)

// TestDepthwiseWeightGradIsThePerChannelPath: where the kernel module
// takes it, DepthwiseWeightGrad adds exactly what Im2Col and the one-row
// GEMM per channel add (the training engine's path otherwise), to the bit,
// on stride 1 and 2, padding on some sides, dilation, a 5x5 kernel, rows
// that do not fill a vector, and a plane smaller than the kernel; elsewhere
// it declines and leaves dW alone.
func TestDepthwiseWeightGradIsThePerChannelPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, tc := range []struct {
		name   string
		in, k  [2]int
		stride [2]int
		pads   [4]int
		dil    [2]int
	}{
		{"3x3 same, rows of 14", [2]int{14, 14}, [2]int{3, 3}, [2]int{1, 1}, [4]int{1, 1, 1, 1}, [2]int{1, 1}},
		{"3x3 stride 2, odd plane", [2]int{15, 15}, [2]int{3, 3}, [2]int{2, 2}, [4]int{1, 1, 1, 1}, [2]int{1, 1}},
		{"3x3 stride 2, even plane, pads after only", [2]int{16, 12}, [2]int{3, 3}, [2]int{2, 2}, [4]int{0, 0, 1, 1}, [2]int{1, 1}},
		{"5x5 same", [2]int{9, 11}, [2]int{5, 5}, [2]int{1, 1}, [4]int{2, 2, 2, 2}, [2]int{1, 1}},
		{"3x3 dilated 2", [2]int{10, 10}, [2]int{3, 3}, [2]int{1, 1}, [4]int{2, 2, 2, 2}, [2]int{2, 2}},
		{"3x3 on a 1x1 plane", [2]int{1, 1}, [2]int{3, 3}, [2]int{1, 1}, [4]int{1, 1, 1, 1}, [2]int{1, 1}},
		{"3x3 unpadded, rows of 5", [2]int{7, 7}, [2]int{3, 3}, [2]int{1, 1}, [4]int{0, 0, 0, 0}, [2]int{1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const channels = 7
			g, err := ResolveConv([]int{1, channels, tc.in[0], tc.in[1]}, []int{channels, 1, tc.k[0], tc.k[1]},
				ConvParams{Strides: tc.stride[:], Pads: tc.pads[:], Dilations: tc.dil[:], Group: channels})
			if err != nil {
				t.Fatal(err)
			}
			w := &g.Window
			taps, out, in := w.KernelSize(), w.OutSize(), w.InSize()
			x, dy := make([]float32, channels*in), make([]float32, channels*out)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			for i := range dy {
				dy[i] = float32(rng.NormFloat64())
			}
			dw0 := make([]float32, channels*taps)
			for i := range dw0 {
				dw0[i] = float32(rng.NormFloat64())
			}
			want := append([]float32(nil), dw0...)
			col := make([]float32, taps*out)
			for c := 0; c < channels; c++ {
				Im2Col(col, x[c*in:(c+1)*in], 1, w)
				gemm.Sgemm(false, true, 1, taps, out, 1, dy[c*out:(c+1)*out], out, col, out, 1, want[c*taps:(c+1)*taps], taps)
			}
			got := append([]float32(nil), dw0...)
			for i := range col {
				col[i] = 7 // stale scratch
			}
			if !DepthwiseWeightGrad(got, dy, x, col, channels, w) {
				if i, ok := firstBitDiff(got, dw0); !ok {
					t.Fatalf("declined, yet changed dW[%d]", i)
				}
				t.Skip("no kernel module here: the per-channel path serves")
			}
			if i, ok := firstBitDiff(got, want); !ok {
				t.Fatalf("dW[%d] = %v, the per-channel path's %v", i, got[i], want[i])
			}
		})
	}
}
